/*
 * vcpu_stats.h — per-vCPU counters of why a guest left the guest and what
 * granite did for it: exits by kind, hypercalls by number (and the
 * sub-commands of the hot ones), WFI/WFE, emulated-device accesses by
 * device, trapped system registers by encoding, physical interrupts taken
 * while it ran, and how often it was switched in and out.
 *
 * Cheap on purpose: each counter is written only by the physical CPU the
 * vCPU runs on, while it runs (or is being switched), so plain increments
 * without locks or atomics are enough.  A reader on another CPU (the dump)
 * may see a value one increment stale, which is fine for statistics.
 *
 * Printed when a domain is released (core/vcpu_stats.c) and on demand: the
 * console key sequence Ctrl-A then 'e' (core/console_input.c), or dom0's
 * GRANITE_OP_debug_dump.  Each line starts with "stats:".
 */
#ifndef GRANITE_VCPU_STATS_H
#define GRANITE_VCPU_STATS_H

#include <granite/types.h>
#include <granite/arch_callbacks.h>

#define STATS_HYPERCALLS 64      /* Xen numbers 0..63 (granite_op is 55); others: hypercall_other */
#define STATS_SUBOPS 16          /* sub-commands 0..15 of event_channel_op, grant_table_op, sched_op */
#define STATS_SYSREGS 12         /* distinct trapped system registers remembered */

enum stats_mmio { STATS_MMIO_GICD, STATS_MMIO_GICR, STATS_MMIO_UART, STATS_MMIO_NONE,
                  STATS_MMIO_KINDS };
enum stats_irq { STATS_IRQ_KICK, STATS_IRQ_HYP_TIMER, STATS_IRQ_VTIMER, STATS_IRQ_PTIMER,
                 STATS_IRQ_MAINTENANCE, STATS_IRQ_SPI, STATS_IRQ_OTHER, STATS_IRQ_KINDS };

struct vcpu_stats {
    u64 exits_sync, exits_irq, exits_other;
    u64 hypercall[STATS_HYPERCALLS], hypercall_other;
    u64 evtchn_op[STATS_SUBOPS], grant_op[STATS_SUBOPS], sched_op[STATS_SUBOPS];
    u64 smccc;
    u64 wfi, wfi_blocked, wfe;
    u64 mmio[STATS_MMIO_KINDS];
    struct { u32 reg; u64 n; } sysreg[STATS_SYSREGS];
    u64 sysreg_other;
    u64 irq[STATS_IRQ_KINDS];
    u64 sgi_sent;              /* ICC_SGI1R writes (also in sysreg) */
    u64 loads, saves;          /* full EL1 context switched in / out */
    u64 kept_loaded;           /* blocked, then resumed without a save and a load */
};

/* EL2 residency per vCPU exit and kick latency, summed over the CPUs
 * (arch/arm64/exit_timing.c says what each one covers). */
struct exit_timing_totals {
    bool on;              /* boot option timing=on: the figures below are measured */
    u64 el2_ns, exits;    /* time in EL2 handling vCPU exits, and how many */
    u64 kick_ns, kicks;   /* SGI written on one CPU -> its handler running on the target */
};

/* Print every vCPU of one domain, or (d == NULL) of every domain. */
struct domain;
void vcpu_stats_print(struct domain *d);
/* Its IOMMU context is about to go: keep its counters in the totals. */
void vcpu_stats_retire(struct domain *d);
/* The whole-machine summary lines alone ("stats: total: ...", "stats: dump
 * done"): printed when the last domain has ended. */
void vcpu_stats_print_totals(void);

#endif
