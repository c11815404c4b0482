/*
 * domain.h — domains (guests) and their virtual CPUs.
 *
 * A domain owns a p2m (its stage-2 table), its RAM (a list of host page chunks,
 * or one contiguous 1:1 region for a direct-mapped domain), an emulated GIC, an
 * emulated PL011 and its vCPUs.  It ends in one of two ways: cleanly, when it
 * asks for PSCI SYSTEM_OFF (or SCHEDOP_shutdown poweroff), or destroyed by
 * granite (a fault it cannot recover from).  Either way its vCPUs stop, its
 * pages are scrubbed and returned, its TLB entries flushed, and the other
 * domains carry on.  When every domain has ended, granite switches the machine
 * off; the exit status says whether all of them ended cleanly.
 */
#ifndef GRANITE_DOMAIN_H
#define GRANITE_DOMAIN_H

#include <granite/p2m.h>
#include <granite/arch_callbacks.h>
#include <granite/guest_context.h>
#include <granite/vpl011.h>
#include <granite/dlog.h>
#include <granite/vcpu_stats.h>
#include <granite/xen_ext_regions.h>

struct vgic;
struct evtchn_domain;
struct gnttab;
struct iommu_ctx;
struct xen_guest;
struct runstate;

#define MAX_DOMAINS 8
#define MAX_VCPUS 4
#define DOMAIN_MAX_CHUNKS 256
#define DOMAIN_NAME_LEN 16

enum domain_state { DOM_FREE, DOM_BUILDING, DOM_RUNNING, DOM_ENDED_CLEAN, DOM_DESTROYED };

/*
 * A vCPU's state changes only through vcpu_transition() (core/sched.c): a
 * compare-and-swap from the state the caller expects, so two CPUs acting on one
 * vCPU at once (a wake-up against a block, CPU_ON against CPU_OFF, any of them
 * against the domain's end) cannot overwrite each other.  DEAD is terminal:
 * nothing leaves it, so a dead vCPU can never be loaded again.
 *
 *   OFFLINE --CPU_ON--> RUNNABLE --WFI, nothing pending--> BLOCKED
 *      ^                 |   ^                               |
 *      +----CPU_OFF------+   +----interrupt, timer, kick-----+
 *   any state --domain_end--> DEAD
 */
enum vcpu_state {
    VCPU_OFFLINE,  /* not started (PSCI CPU_ON brings it up) or CPU_OFF */
    VCPU_RUNNABLE, /* running or waiting for its physical CPU */
    VCPU_BLOCKED,  /* in WFI with nothing pending */
    VCPU_DEAD,     /* its domain has ended */
};

struct vcpu {
    struct guest_context ctx; /* must stay first: the exception entry code finds it here */
    struct domain *d;
    unsigned id;
    unsigned pcpu;            /* the physical CPU it is pinned to */
    volatile enum vcpu_state state;  /* see above: changed only by vcpu_transition() */
    /* PSCI CPU_ON's entry point and context ID, applied by the vCPU's own
     * physical CPU when it next schedules it (it may still be unloading the
     * vCPU's old context after CPU_OFF). */
    volatile bool reset_pending;
    u64 reset_entry, reset_x0;
    u64 timer_deadline;       /* physical count at which one of its timers fires (set while it is off its CPU), 0 = none */
    /* The only vCPU pinned to its CPU (sched_start): nothing else can want
     * the CPU while it sleeps, so its WFI need not trap (arch_vcpu_load). */
    bool cpu_exclusive;
    /* Between entry (arch_enter_guest) and its next exception, as its own CPU
     * last said: a wake-up for a vCPU that is loaded but not in the guest
     * needs no kick, the way in looks at its interrupts (sched.c vcpu_wake). */
    volatile bool in_guest;
    u64 nr_runs, nr_traps;    /* statistics */
    struct vcpu_stats stats;  /* exits by reason (vcpu_stats.h); only its own CPU writes */
};

/* A vCPU's state as another CPU may be changing it (vcpu_transition). */
static inline enum vcpu_state vcpu_state(const struct vcpu *v)
{
    return __atomic_load_n(&v->state, __ATOMIC_SEQ_CST);
}

/* A run of host pages the domain owns, and the IPA where the builder mapped
 * its first page (the memory_op balloon finds a GFN's own page again). */
struct ram_chunk {
    void *pages;
    u64 nr_pages;
    ipa_t ipa;
};

struct domain {
    unsigned id;
    char name[DOMAIN_NAME_LEN];
    volatile enum domain_state state;
    bool direct_map;          /* IPA == PA for all of its RAM (dom0, a driver domain) */
    bool dma_translated;      /* granite says (XENFEAT bit 31, DT property) that
                               * its passed-through devices' DMA is translated */
    struct p2m p2m;
    struct vcpu vcpu[MAX_VCPUS];
    unsigned nr_vcpus;
    spinlock_t psci_lock;     /* serialises PSCI CPU_ON/CPU_OFF of its vCPUs */
    bool vcpus_dead;          /* domain_end has made every vCPU DEAD: it may be released */
    ipa_t ram_base;
    u64 ram_size;
    struct ram_chunk chunks[DOMAIN_MAX_CHUNKS];
    unsigned nr_chunks;
    /* Its units' state (struct domain_unit below), each private to its file. */
    struct vgic *vgic;        /* its emulated GIC: the architecture's (arch_domain_init) */
    struct evtchn_domain *evtchn; /* its event channels (event_channel.c) */
    struct gnttab *gnttab;    /* its grant table (grant_table.c) */
    struct iommu_ctx *iommu;  /* its IOMMU context (iommu.c) */
    struct xen_guest *xen_guest; /* its vCPUs' vcpu_info registrations (vcpu_op.c) */
    struct runstate *runstate; /* its vCPUs' runstate records, [vCPU id] (runstate.c) */
    struct vpl011 uart;
    /* Xen PV interfaces */
    void *shared_info;        /* one page granite owns: struct shared_info (public/xen.h) */
    ipa_t gnttab_base;        /* the grant window: an IPA range that is not RAM, where */
    u64 gnttab_size;          /* the domain maps grant-table frames and foreign pages */
    /* The extended regions its /hypervisor node offers (reg[1..]): IPA holes
     * where it may also map foreign pages (Linux's unpopulated-alloc puts
     * netback's and xenbus's grant maps there).  Set once, at build. */
    struct ext_range ext_regions[XEN_EXT_REGIONS_MAX];
    unsigned nr_ext_regions;
    void *store_page;         /* its xenstore ring page (not the hardware domain's) */
    ipa_t store_ipa;          /* where: GUEST_XENSTORE_IPA, or a host hole if direct-mapped */
    u32 store_port;           /* its unbound event channel for dom0 (the xenstore daemon) */
    struct dlog log;          /* its guest-caused log lines (dlog.h) */
    spinlock_t console_lock;  /* guards console_len and console_buf (guest_console.c) */
    u64 console_len;
    char console_buf[128];    /* console_io output, flushed at '\n' */
};

#define HWDOM_ID 0 /* the hardware domain (dom0) */

/*
 * A unit of a domain: one subsystem's per-domain state and its life cycle.
 * domain.c lists the units in one table (units[], which says why in that
 * order), hands each state_size zeroed bytes of the domain's slot at
 * domain_create and calls, where a hook is not NULL:
 *   init     at domain_create, in the listed order: take the state.  The
 *            builder sets the unit up later with the unit's own calls, once
 *            what it needs exists (shared_info, the grant window, devices);
 *   dying    at domain_end, in reverse order: let go of what the domain
 *            holds of other domains;
 *   destroy  when the domain is released (no vCPU of it loaded anywhere),
 *            in reverse order.
 * The state is never freed: it lives as long as the slot, so an interrupt
 * or event arriving just after the domain ended still finds it.
 */
struct domain_unit {
    const char *name;
    u64 state_size;
    int (*init)(struct domain *d, void *state);
    void (*dying)(struct domain *d);
    void (*destroy)(struct domain *d);
};

struct domain *domain_create(unsigned id, const char *name, unsigned nr_vcpus);
struct domain *domain_by_id(unsigned id);
/* Free a domain that never ran (a build failure). */
void domain_discard(struct domain *d, const char *why);
/* Write bytes to a domain's memory at an IPA (granite's side). */
int domain_copy_to(struct domain *d, ipa_t dst, const void *src, u64 len);
/* Record the free page count before any domain exists (the leak check). */
void domains_baseline(void);
/* Called once every domain has been started; powers off when all have ended. */
void domains_started(unsigned count);
/* The scheduler tells the domain when one of its vCPUs goes on or off a CPU. */
void domain_vcpu_loaded(struct vcpu *v);
void domain_vcpu_unloaded(struct vcpu *v);
/* Print a line of a guest's console output with its prefix. */
void domain_console_line(struct domain *d, const char *prefix, const char *buf, u64 len);

#endif
