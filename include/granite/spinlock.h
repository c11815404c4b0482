/*
 * spinlock.h — a ticket-free test-and-set lock; the architecture implements it
 * with acquire/release exclusives.  Only for short sections; never held across
 * a guest entry.
 *
 * Every lock has a class, and the classes have an order: a CPU may take a
 * lock only if its class ranks above every lock it already holds, so no two
 * CPUs can ever wait for each other.  core/lock_order.c checks it on every
 * spin_lock and panics, naming both classes, when the order is broken.
 */
#ifndef GRANITE_SPINLOCK_H
#define GRANITE_SPINLOCK_H

#include <granite/types.h>

/* The lock order, outermost first (what may be held while taking what). */
enum lock_class {
    LOCK_NONE,            /* never initialised with a class: taking it panics */
    LOCK_PSCI,            /* a domain's PSCI CPU_ON/CPU_OFF (domain.h) */
    LOCK_EVTCHN,          /* a domain's event channels; two at once in domain-id order */
    LOCK_GNTTAB,          /* a domain's grant table */
    LOCK_GNTTAB_PINNED,   /* the machine pages pinned by grant maps */
    LOCK_IOMMU_GRANT,     /* an IOMMU context's 1:1 grant counts: held across the p2m update */
    LOCK_P2M,             /* a domain's stage-2 tables */
    LOCK_IOMMU_TABLES,    /* an IOMMU context's separate tables */
    LOCK_IOMMU_FLUSH,     /* an IOMMU context's owed invalidation, to the end of its CMD_SYNC */
    LOCK_SMMU_EVTQ,       /* an SMMU's event queue */
    LOCK_SMMU_CMDQ,       /* an SMMU's command queue */
    LOCK_WALLCLOCK,
    LOCK_VPL011,          /* a domain's emulated UART (raises its interrupt: the vGIC) */
    LOCK_VGIC,            /* a domain's virtual GIC */
    LOCK_DOMAINS,         /* the domain table's counters and states */
    LOCK_HYP_PT,          /* granite's own page tables (allocate) */
    LOCK_PAGE_ALLOC,
    LOCK_GUEST_CONSOLE,   /* a domain's console_io line (prints it) */
    LOCK_DLOG,            /* a domain's rate-limited log (prints) */
    LOCK_MAP_RECORD,      /* dump=maps: grant mappings and SMMU faults seen (map_dump.c) */
    LOCK_CONSOLE,         /* the hypervisor console: any code may print */
    LOCK_NR_CLASSES
};
/* Classes whose locks may be held two at once (taken in a fixed order of their own). */
#define LOCK_SELF_NESTING (1U << LOCK_EVTCHN)

typedef struct {
    volatile u32 locked;
    u32 class; /* enum lock_class */
} spinlock_t;
#define SPINLOCK_INIT(cls) { 0, (cls) }

void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
/* Lock with interrupts masked; returns the previous mask to restore. */
u64 spin_lock_irqsave(spinlock_t *l);
void spin_unlock_irqrestore(spinlock_t *l, u64 flags);

/* core/lock_order.c, called by spin_lock before it waits (panics if `l` may
 * not be taken now) and by spin_unlock. */
void lock_order_acquire(const spinlock_t *l);
void lock_order_release(const spinlock_t *l);

#endif
