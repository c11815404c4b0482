/*
 * vcpu_stats.c — the per-vCPU exit counters (vcpu_stats.h): recording a
 * trapped system register, and printing everything in a few greppable lines
 * ("stats: dN vcpuM ...") so that a student, or a benchmark, can see where a
 * guest's exits go.  Dividing the counters by the packets a benchmark moved
 * gives exits per packet by reason.
 *
 * The whole-machine dump ends with two summary lines a harness can diff
 * between two dumps (tools/scenarios.py, tools/bench):
 *   "stats: total: EL2 entries N (vcpu exits X, irqs while idle Y; idle
 *    waits W); iommu maps M, unmaps U, TLBI T, CMD_SYNC S"
 *   "stats: dump done"
 * EL2 entries = every exception taken to EL2: a vCPU's exits (sync, irq,
 * other) plus the interrupts a CPU takes while it idles in EL2.  The totals
 * only grow: a released domain's vCPU counters stay in its structure, and its
 * IOMMU context's counters, gone with the context, are kept here
 * (vcpu_stats_retire).  When the last domain ends, the two summary lines are
 * printed once more (vcpu_stats_print_totals): a harness gets whole-run
 * figures even when nobody typed Ctrl-A e.
 *
 * Assumption: only the CPU running a vCPU writes its counters (no locks); the
 * printer reads them racily, which at worst shows a count one short.
 */
#include <granite/vcpu_stats.h>
#include <granite/domain.h>
#include <granite/console.h>
#include <granite/arch.h>
#include <granite/sched.h>
#include <granite/memory_map.h>
#include <granite/iommu.h>
#include <public/xen.h>
#include <public/granite.h>

void vcpu_stats_sysreg(struct vcpu_stats *s, u32 reg)
{
    for (unsigned i = 0; i < STATS_SYSREGS; i++) {
        if (s->sysreg[i].n && s->sysreg[i].reg == reg) {
            s->sysreg[i].n++;
            return;
        }
        if (!s->sysreg[i].n) {
            s->sysreg[i].reg = reg;
            s->sysreg[i].n = 1;
            return;
        }
    }
    s->sysreg_other++;
}

static const char *hypercall_name(unsigned nr)
{
    switch (nr) {
    case __HYPERVISOR_platform_op: return "platform_op";
    case __HYPERVISOR_memory_op: return "memory_op";
    case __HYPERVISOR_multicall: return "multicall";
    case __HYPERVISOR_xen_version: return "xen_version";
    case __HYPERVISOR_console_io: return "console_io";
    case __HYPERVISOR_grant_table_op: return "grant_table_op";
    case __HYPERVISOR_vm_assist: return "vm_assist";
    case __HYPERVISOR_vcpu_op: return "vcpu_op";
    case __HYPERVISOR_sched_op: return "sched_op";
    case __HYPERVISOR_event_channel_op: return "event_channel_op";
    case __HYPERVISOR_physdev_op: return "physdev_op";
    case __HYPERVISOR_hvm_op: return "hvm_op";
    case __HYPERVISOR_granite_op: return "granite_op";
    default: return "hypercall";
    }
}

static void print_subops(const struct domain *d, unsigned vcpu, const char *what,
                         const u64 *n)
{
    char line[160];
    unsigned len = 0;

    for (unsigned i = 0; i < STATS_SUBOPS && len < sizeof(line) - 24; i++)
        if (n[i])
            len += snprintf(line + len, sizeof(line) - len, " %u:%lu", i, n[i]);
    if (len)
        printk("stats: d%u vcpu%u: %s by command:%s\n", d->id, vcpu, what, line);
}

static void print_vcpu(const struct domain *d, const struct vcpu *v)
{
    const struct vcpu_stats *s = &v->stats;
    char line[256];
    unsigned len = 0;

    printk("stats: d%u vcpu%u: exits %lu (sync %lu, irq %lu, other %lu); runs %lu, loads %lu, "
           "saves %lu, kept loaded while blocked %lu\n", d->id, v->id,
           s->exits_sync + s->exits_irq + s->exits_other, s->exits_sync, s->exits_irq,
           s->exits_other, v->nr_runs, s->loads, s->saves, s->kept_loaded);
    printk("stats: d%u vcpu%u: wfi %lu (blocked %lu), wfe %lu, smccc %lu, sgi sent %lu; "
           "mmio gicd %lu gicr %lu uart %lu unbacked %lu\n", d->id, v->id, s->wfi,
           s->wfi_blocked, s->wfe, s->smccc, s->sgi_sent, s->mmio[STATS_MMIO_GICD],
           s->mmio[STATS_MMIO_GICR], s->mmio[STATS_MMIO_UART], s->mmio[STATS_MMIO_NONE]);
    printk("stats: d%u vcpu%u: irqs while running: kick %lu, hyp-timer %lu, vtimer %lu, "
           "ptimer %lu, maintenance %lu, spi %lu, other %lu\n", d->id, v->id,
           s->irq[STATS_IRQ_KICK], s->irq[STATS_IRQ_HYP_TIMER], s->irq[STATS_IRQ_VTIMER],
           s->irq[STATS_IRQ_PTIMER], s->irq[STATS_IRQ_MAINTENANCE], s->irq[STATS_IRQ_SPI],
           s->irq[STATS_IRQ_OTHER]);
    for (unsigned i = 0; i < STATS_HYPERCALLS && len < sizeof(line) - 40; i++)
        if (s->hypercall[i])
            len += snprintf(line + len, sizeof(line) - len, " %s(%u):%lu", hypercall_name(i), i,
                            s->hypercall[i]);
    if (len || s->hypercall_other)
        printk("stats: d%u vcpu%u: hypercalls:%s other:%lu\n", d->id, v->id, line,
               s->hypercall_other);
    print_subops(d, v->id, "event_channel_op", s->evtchn_op);
    print_subops(d, v->id, "grant_table_op", s->grant_op);
    print_subops(d, v->id, "sched_op", s->sched_op);
    len = 0;
    for (unsigned i = 0; i < STATS_SYSREGS && s->sysreg[i].n && len < sizeof(line) - 40; i++) {
        u32 r = s->sysreg[i].reg;
        len += snprintf(line + len, sizeof(line) - len, " S%u_%u_C%u_C%u_%u:%lu", (r >> 16) & 0xf,
                        (r >> 12) & 0xf, (r >> 8) & 0xf, (r >> 4) & 0xf, r & 0xf, s->sysreg[i].n);
    }
    if (len || s->sysreg_other)
        printk("stats: d%u vcpu%u: sysregs trapped:%s other:%lu\n", d->id, v->id, line,
               s->sysreg_other);
}

struct stats_totals {
    u64 exits, idle_irqs, idle_waits;
    struct iommu_stats iommu;     /* summed over the domains with a context */
};

/* IOMMU counters of contexts already destroyed (vcpu_stats_retire). */
static struct iommu_stats retired_iommu;

static void add_iommu(struct iommu_stats *sum, const struct iommu_stats *io)
{
    sum->maps += io->maps;
    sum->unmaps += io->unmaps;
    sum->tlbi += io->tlbi;
    sum->syncs += io->syncs;
}

void vcpu_stats_retire(struct domain *d)
{
    struct iommu_stats io;

    if (iommu_get_stats(d, &io) == 0)
        add_iommu(&retired_iommu, &io);
}

static void add_domain_totals(struct domain *d, struct stats_totals *t)
{
    struct iommu_stats io;

    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        const struct vcpu_stats *s = &d->vcpu[i].stats;
        t->exits += s->exits_sync + s->exits_irq + s->exits_other;
    }
    if (iommu_get_stats(d, &io) == 0)
        add_iommu(&t->iommu, &io);
}

static void print_totals(const struct stats_totals *t)
{
    struct exit_timing_totals et;

    arch_exit_timing(&et);
    if (et.on)
        printk("stats: timing: EL2 residency %lu ns over %lu vcpu exits (avg %lu ns); kick "
               "latency %lu ns over %lu kicks (avg %lu ns)\n", et.el2_ns, et.exits,
               et.exits ? et.el2_ns / et.exits : 0, et.kick_ns, et.kicks,
               et.kicks ? et.kick_ns / et.kicks : 0);
    else
        printk("stats: timing: off (boot option timing=on measures EL2 residency per vcpu exit "
               "and kick latency)\n");
    printk("stats: total: EL2 entries %lu (vcpu exits %lu, irqs while idle %lu; idle waits %lu); "
           "iommu maps %lu, unmaps %lu, TLBI %lu, CMD_SYNC %lu\n", t->exits + t->idle_irqs,
           t->exits, t->idle_irqs, t->idle_waits, t->iommu.maps, t->iommu.unmaps, t->iommu.tlbi,
           t->iommu.syncs);
    printk("stats: dump done\n");
}

static void sum_domains(struct stats_totals *tot, bool print_each)
{
    for (unsigned id = 0; id < MAX_DOMAINS; id++) {
        struct domain *x = domain_by_id(id);
        if (x && x->state != DOM_FREE) {
            if (print_each)
                vcpu_stats_print(x);
            add_domain_totals(x, tot);
        }
    }
    add_iommu(&tot->iommu, &retired_iommu);
}

static void sum_idle(struct stats_totals *tot)
{
    for (unsigned cpu = 0; cpu < GRANITE_MAX_CPUS; cpu++) {
        u64 ticks, waits;
        for (unsigned k = 0; k < STATS_IRQ_KINDS; k++)
            tot->idle_irqs += arch_idle_irqs(cpu, k);
        sched_idle_stats(cpu, &ticks, &waits);
        tot->idle_waits += waits;
    }
}

void vcpu_stats_print_totals(void)
{
    struct stats_totals tot = { 0 };

    sum_domains(&tot, false);
    sum_idle(&tot);
    print_totals(&tot);
}

/* One CPU's idle time, the interrupts it took while idle, its wake-ups of
 * vCPUs elsewhere (only what is not zero). */
static void print_cpu(unsigned cpu)
{
    u64 t = 0, ticks, waits, sent, saved;

    for (unsigned k = 0; k < STATS_IRQ_KINDS; k++)
        t += arch_idle_irqs(cpu, k);
    sched_idle_stats(cpu, &ticks, &waits);
    if (waits)
        printk("stats: cpu%u: idle %lu ms in %lu sleeps (counter at %lu ms)\n", cpu,
               ticks / (arch_counter_freq() / 1000), waits,
               arch_counter() / (arch_counter_freq() / 1000));
    if (t)
        printk("stats: cpu%u: irqs while idle: kick %lu, hyp-timer %lu, vtimer %lu, "
               "maintenance %lu, spi %lu\n", cpu, arch_idle_irqs(cpu, STATS_IRQ_KICK),
               arch_idle_irqs(cpu, STATS_IRQ_HYP_TIMER), arch_idle_irqs(cpu, STATS_IRQ_VTIMER),
               arch_idle_irqs(cpu, STATS_IRQ_MAINTENANCE), arch_idle_irqs(cpu, STATS_IRQ_SPI));
    sched_kick_stats(cpu, &sent, &saved);
    if (sent || saved)
        printk("stats: cpu%u: wake-ups of vCPUs on other CPUs: %lu with a kick, %lu "
               "without (the target was about to enter its guest)\n", cpu, sent, saved);
}

void vcpu_stats_print(struct domain *d)
{
    if (!d) {
        struct stats_totals tot = { 0 };

        sum_domains(&tot, true);
        for (unsigned cpu = 0; cpu < GRANITE_MAX_CPUS; cpu++)
            print_cpu(cpu);
        sum_idle(&tot);
        print_totals(&tot);
        return;
    }
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        print_vcpu(d, &d->vcpu[i]);
}
