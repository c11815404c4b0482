/*
 * vtimer.c — the guest's virtual timer (CNTV, PPI 27) with the architecture's
 * semantics (Arm ARM D11.2 "The AArch64 view of the Generic Timer"): the guest
 * reads back exactly what it wrote in CNTV_CTL_EL0, ISTATUS reads the timer
 * condition, and the interrupt is a level that is high exactly while
 * ENABLE = 1, IMASK = 0 and the condition (CNTVCT >= CVAL) holds.
 *
 * The guest uses the real CNTV registers directly (no trap).  granite never
 * writes them behind its back; it samples the level instead:
 *   - the physical PPI 27 fires (the running vCPU's timer met its
 *     condition): the guest's virtual line goes high, and granite leaves the
 *     physical interrupt active (priority dropped, not deactivated, EOImode =
 *     1) so that the level-sensitive source does not fire again and again;
 *   - on every exit from the guest (traps.c, before the list registers are
 *     refilled) granite reads CNTV_CTL_EL0: when ISTATUS && ENABLE && !IMASK
 *     no longer holds (the guest disabled, masked, or moved CVAL to the
 *     future), the virtual line drops -- a pending copy in a list register is
 *     withdrawn by the vGIC -- and the physical interrupt is deactivated, so
 *     it can fire again for the next deadline;
 *   - to be sure such an exit comes after the guest has handled the
 *     interrupt, the list register carrying virtual PPI 27 asks for a
 *     maintenance interrupt at its deactivation (ICH_LR.EOI, vgic_lr.c).
 * A virtual interrupt the guest has not yet acknowledged may therefore stay
 * pending from the guest's write until its next exit; Linux, like any guest
 * written for real GICs, reads ISTATUS in its handler and ignores such a one.
 *
 * Off the CPU: the registers are saved, the real timer disabled (the next
 * vCPU must not get its interrupt) and the physical interrupt deactivated;
 * the deadline goes to the scheduler, which raises the line when it passes
 * and wakes the vCPU (arch_vcpu_timers_expired).  Saving never raises the
 * line itself: it runs inside the scheduler, which would not see the vCPU
 * become runnable (a deadline already past fires the scheduler's timer at
 * once instead).
 */
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/vgic.h>
#include <granite/gic.h>
#include <granite/memory_map.h>
#include "sysregs.h"
#include "vtimer.h"

#define MAX_CPUS GRANITE_MAX_CPUS

/* Per physical CPU: PPI 27 taken and left active (not deactivated). */
static bool ppi_held[MAX_CPUS];

static bool condition_met(u64 ctl)
{
    return (ctl & CNT_CTL_ENABLE) && (ctl & CNT_CTL_ISTATUS) && !(ctl & CNT_CTL_IMASK);
}

static void set_line(struct vcpu *v, bool level)
{
    if (v->ctx.timer.line == level)
        return;
    v->ctx.timer.line = level;
    vgic_set_level(v->d->vgic, v->id, IRQ_PPI_VTIMER, level);
}

static void release_ppi(void)
{
    unsigned cpu = this_cpu();

    if (ppi_held[cpu]) {
        ppi_held[cpu] = false;
        gic_deactivate(IRQ_PPI_VTIMER);
    }
}

void vtimer_fired(struct vcpu *cur)
{
    if (!cur) {
        write_sysreg(cntv_ctl_el0, 0);  /* nobody's timer: keep it quiet */
        isb();
        gic_deactivate(IRQ_PPI_VTIMER);
        return;
    }
    ppi_held[this_cpu()] = true;
    set_line(cur, true);
}

/*
 * Only a line that is high can need lowering here.  While it is low and PPI 27
 * is not held, the physical interrupt is enabled and not active: a condition
 * met since the guest last ran fires it, and vtimer_fired raises the line.
 * Reading CNTV_CTL_EL0 on every exit would only find that out earlier, and
 * under QEMU each timer register access takes its global lock, which the
 * other CPU and the device thread contend for on the PV path.
 */
void vtimer_sample(struct vcpu *v)
{
    bool level;

    if (!v->ctx.timer.line && !ppi_held[this_cpu()])
        return;
    level = condition_met(read_sysreg(cntv_ctl_el0));

    set_line(v, level);
    if (!level)
        release_ppi();
}

void vtimer_save(struct vcpu *v)
{
    struct vtimer_state *t = &v->ctx.timer;

    t->ctl = read_sysreg(cntv_ctl_el0);
    t->cval = read_sysreg(cntv_cval_el0);
    write_sysreg(cntv_ctl_el0, 0); /* off the CPU: it must not fire for the next vCPU */
    isb();
    release_ppi();
    /* The line may only drop here (the guest switched the timer off or moved
     * it since its last exit).  It is never raised here: this runs inside the
     * scheduler, where raising it would make the vCPU runnable without the
     * scheduler noticing.  A condition already met leaves a deadline in the
     * past, and the scheduler's timer raises the line at once
     * (vtimer_expired_saved).  CNTVOFF_EL2 is 0: virtual time is physical. */
    if (!condition_met(t->ctl))
        set_line(v, false);
}

/* Its deadline while off the CPU, 0 for none. */
u64 vtimer_deadline(const struct vcpu *v)
{
    const struct vtimer_state *t = &v->ctx.timer;

    if (!(t->ctl & CNT_CTL_ENABLE) || (t->ctl & CNT_CTL_IMASK) || t->line)
        return 0;
    return t->cval;
}

void vtimer_load(struct vcpu *v)
{
    /* ISTATUS is read-only: the hardware recomputes it. */
    write_sysreg(cntv_cval_el0, v->ctx.timer.cval);
    write_sysreg(cntv_ctl_el0, v->ctx.timer.ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK));
}

/* A descheduled vCPU's deadline passed: its line goes high. */
void vtimer_expired_saved(struct vcpu *v, u64 now)
{
    struct vtimer_state *t = &v->ctx.timer;

    if ((t->ctl & CNT_CTL_ENABLE) && !(t->ctl & CNT_CTL_IMASK) && now >= t->cval) {
        t->ctl |= CNT_CTL_ISTATUS;
        set_line(v, true);
    }
}

void vtimer_reset(struct vcpu *v)
{
    v->ctx.timer = (struct vtimer_state){ 0 };
    vgic_set_level(v->d->vgic, v->id, IRQ_PPI_VTIMER, false);
}
