/*
 * irq.c — physical interrupts taken at EL2, and who they are for.
 *
 * Guests run with HCR_EL2.IMO set, so every physical IRQ reaches granite,
 * whether a guest or the idle loop was running (in the idle loop, a blocked
 * vCPU may still be loaded: its timer interrupts are then its own).  granite acknowledges it
 * (ICC_IAR1_EL1 or GICC_IAR, gic_ack) and then:
 *   SGI 0 (kick)         re-examine this CPU's run queue;
 *   PPI 26 (CNTHP)       granite's own timer: time slices, sleeping vCPUs' timers;
 *   PPI 27 (CNTV)        the running vCPU's virtual timer: its virtual PPI 27
 *                        goes high, the physical one stays active until the
 *                        condition is gone (vtimer.c);
 *   PPI 30 (CNTP)        granite's watch on the running vCPU's emulated EL1
 *                        physical timer: its virtual PPI 30 goes high (ptimer.c);
 *   PPI 25 (maintenance) the list registers need refilling (done on entry);
 *   an SPI owned by a domain (passthrough)
 *                        priority drop only, and inject it with the HW bit: the
 *                        guest's deactivation of the virtual interrupt
 *                        deactivates the physical one (GICv3 §4.12); on a
 *                        GICv2 host (gic_no_hw_lrs) granite deactivates it
 *                        when the LR drains (vgic_lr.c, soft_link);
 *   an SPI granite owns  its handler (the console's receive interrupt).
 * EOImode = 1: priority drop and deactivation are separate writes.
 */
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/vgic.h>
#include <granite/gic.h>
#include <granite/sched.h>
#include <granite/console.h>
#include <granite/drivers.h>
#include <granite/memory_map.h>
#include "sysregs.h"
#include "internal.h"
#include "vtimer.h"

#define MAX_SPI_OWNERS 1020

struct spi_owner {
    struct domain *d;      /* guest owner (passthrough), or */
    void (*handler)(u32);  /* granite's own handler */
    u32 virq;
};

static struct spi_owner spi_owner[MAX_SPI_OWNERS];
static u64 cpu_mpidr[8];
static u64 spurious, unowned;

void arch_set_cpu_mpidr(unsigned cpu, u64 mpidr) { cpu_mpidr[cpu] = mpidr; }
u64 arch_cpu_mpidr(unsigned cpu) { return cpu_mpidr[cpu]; }

void arch_kick_cpu(unsigned cpu)
{
    exit_timing_kick_sent(cpu);
    gic_send_sgi(cpu_mpidr[cpu], IRQ_SGI_KICK);
}

/* The GIC is the DRIVER_IRQCHIP the driver table finds; its CPU interface is ours. */
__boot int arch_irq_init(const void *fdt, const char **why)
{
    int ret = driver_probe_first(DRIVER_IRQCHIP, fdt, why);

    if (!ret)
        gic_cpuif_boot();
    return ret;
}

int arch_irq_cpu_init(unsigned cpu, u64 mpidr) { return gic_cpu_init(cpu, mpidr); }

void irq_take_for_granite(u32 intid, void (*handler)(u32), bool edge)
{
    if (intid >= 32 && intid < MAX_SPI_OWNERS)
        spi_owner[intid] = (struct spi_owner){ .handler = handler };
    gic_set_edge(intid, edge);
    gic_route_spi(intid, cpu_mpidr[0]);
    gic_enable(intid, true);
}

unsigned arch_host_nr_irqs(void) { return gic_nr_irqs(); }

bool irq_spi_owned(u32 intid, const struct domain *d)
{
    const struct spi_owner *o = intid >= 32 && intid < MAX_SPI_OWNERS ? &spi_owner[intid] : NULL;

    return o && (o->handler || (o->d && o->d != d));
}

/* Route physical SPI `intid` to domain d as its SPI `virq`, HW-linked, and aim
 * it at the physical CPU of the domain's vCPU 0 (for now: the vCPUs are
 * placed after the domains are built, and arch_irq_follow_vcpus aims it
 * again then). */
int irq_route_to_domain(u32 intid, struct domain *d, u32 virq, bool edge)
{
    /* An INTID past the host's ITLinesNumber has no line: the distributor
     * would ignore its enable, and the guest would wait for it forever. */
    if (intid < 32 || intid >= MAX_SPI_OWNERS || intid >= gic_nr_irqs())
        return -1;
    spi_owner[intid] = (struct spi_owner){ .d = d, .virq = virq };
    gic_set_edge(intid, edge);
    gic_route_spi(intid, cpu_mpidr[d->vcpu[0].pcpu]);
    return vgic_link_hw(d->vgic, virq, intid);
}

/*
 * Aim every SPI a domain owns at the physical CPU its vCPU 0 (which gets
 * them, vgic_inject(.., 0, ..)) is pinned to.  Elsewhere, each device
 * interrupt would first stop whatever runs on that other CPU -- an exit of
 * another domain -- and then cost a kick (SGI) to the owner's CPU: with
 * Linux as domU on cpu0 and dom0 on cpu1, every e1000 interrupt was an exit
 * of the Linux domU.
 */
void arch_irq_follow_vcpus(struct domain *d)
{
    for (u32 intid = 32; intid < MAX_SPI_OWNERS; intid++)
        if (spi_owner[intid].d == d)
            gic_route_spi(intid, cpu_mpidr[d->vcpu[0].pcpu]);
}

static void done(u32 intid)
{
    gic_priority_drop(intid);
    gic_deactivate(intid);
}

static void handle_spi(u32 intid)
{
    struct spi_owner *o = intid < MAX_SPI_OWNERS ? &spi_owner[intid] : NULL;

    if (o && o->d) {
        gic_priority_drop(intid); /* deactivation comes from the guest, via the LR's HW bit */
        if (o->d->state == DOM_RUNNING) {
            vgic_inject(o->d->vgic, 0, o->virq);
        } else {
            gic_deactivate(intid);
            gic_enable(intid, false);
        }
        return;
    }
    if (o && o->handler) {
        o->handler(intid);
        done(intid);
        return;
    }
    if (unowned++ < 8)
        printk("irq: cpu%u: SPI %u has no owner; disabled\n", this_cpu(), intid);
    gic_enable(intid, false);
    done(intid);
}

static enum stats_irq irq_kind(u32 intid)
{
    switch (intid) {
    case IRQ_SGI_KICK: return STATS_IRQ_KICK;
    case IRQ_PPI_HYP_TIMER: return STATS_IRQ_HYP_TIMER;
    case IRQ_PPI_VTIMER: return STATS_IRQ_VTIMER;
    case IRQ_PPI_PTIMER: return STATS_IRQ_PTIMER;
    case IRQ_PPI_MAINTENANCE: return STATS_IRQ_MAINTENANCE;
    default: return intid >= 32 ? STATS_IRQ_SPI : STATS_IRQ_OTHER;
    }
}

/* Interrupts taken while no vCPU ran (the idle loop), per CPU, by kind. */
static u64 idle_irqs[GRANITE_MAX_CPUS][STATS_IRQ_KINDS];

u64 arch_idle_irqs(unsigned cpu, unsigned kind)
{
    return cpu < GRANITE_MAX_CPUS && kind < STATS_IRQ_KINDS ? idle_irqs[cpu][kind] : 0;
}

static void handle_one(u32 intid, struct vcpu *cur, bool idle)
{
    if (!idle)
        cur->stats.irq[irq_kind(intid)]++;
    else
        idle_irqs[this_cpu()][irq_kind(intid)]++;
    switch (intid) {
    case IRQ_SGI_KICK:
        exit_timing_kick_taken();
        done(intid);
        sched_kicked();
        break;
    case IRQ_PPI_HYP_TIMER:
        done(intid);
        sched_timer_interrupt();
        break;
    case IRQ_PPI_VTIMER:
        /* Priority drop only: vtimer.c deactivates it once the guest's
         * timer condition is gone (the source is a level). */
        gic_priority_drop(intid);
        vtimer_fired(cur);
        break;
    case IRQ_PPI_PTIMER:
        ptimer_fired(cur);
        done(intid);
        break;
    case IRQ_PPI_MAINTENANCE:
        /* The list registers ran low; the refill happens on the way back in. */
        gic_underflow_irq(false);
        done(intid);
        break;
    default:
        if (intid >= 32)
            handle_spi(intid);
        else
            done(intid); /* a private interrupt granite did not enable */
        break;
    }
}

/* Interrupts handled per exception before returning to the interrupted
 * code: bounded, so that a source that keeps firing cannot starve the rest. */
#define MAX_IRQS_PER_EXCEPTION 16

#define ISR_EL1_I BIT(7)

/* Whether the CPU still sees an IRQ: ISR_EL1.I (Arm ARM D19.2, "ISR_EL1"),
 * which at EL2 shows the physical IRQ signal, pending or not masked.  A CPU
 * register: asking it costs no trip to the GIC (under QEMU, no global lock,
 * which an acknowledge that finds nothing would take). */
static bool irq_signalled(void) { return read_sysreg(isr_el1) & ISR_EL1_I; }

static void handle_irqs(struct vcpu *cur, bool idle)
{
    for (unsigned n = 0; n < MAX_IRQS_PER_EXCEPTION; n++) {
        u32 intid = gic_ack();
        if (intid >= 1020) {
            if (intid == IRQ_SPURIOUS)
                spurious++;
            return;
        }
        handle_one(intid, cur, idle);
        if (!irq_signalled())
            return;
    }
}

/* From vectors.S: an IRQ while EL2 itself ran (the idle loop, the only
 * place granite unmasks IRQs).  A blocked vCPU may still be loaded there
 * (sched.c keeps it when nothing else wants the CPU): its timers are live in
 * the hardware, so their interrupts are its own. */
void el2_irq(void) { handle_irqs(sched_current(), true); }

/* From traps.c: an IRQ while a guest ran (guests/lib has a guest_irq of its own). */
void irq_taken_in_guest(struct vcpu *cur) { handle_irqs(cur, false); }

void arch_irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

/* Sleep until an interrupt is pending, then take it.  WFI runs with IRQs still
 * masked: a pending interrupt wakes it all the same (Arm ARM D1.6.2), and an
 * interrupt that arrived after the caller last looked cannot be taken just
 * before the WFI and leave the CPU asleep with work to do. */
void arch_idle_wait(void)
{
    __asm__ volatile("dsb sy; wfi; msr daifclr, #2; isb; msr daifset, #2" ::: "memory");
}

u64 arch_counter(void)
{
    isb();
    return read_sysreg(cntpct_el0);
}

u64 arch_counter_freq(void) { return read_sysreg(cntfrq_el0); }

#define CNTHP_CTL_ENABLE BIT(0)

void arch_hyp_timer_set(u64 deadline)
{
    if (!deadline) {
        write_sysreg(cnthp_ctl_el2, 0);
    } else {
        write_sysreg(cnthp_cval_el2, deadline);
        write_sysreg(cnthp_ctl_el2, CNTHP_CTL_ENABLE);
    }
    isb();
}
