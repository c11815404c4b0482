/*
 * ptimer.c — the EL1 physical timer (CNTP, PPI 30), emulated per vCPU.
 *
 * CNTHCTL_EL2.EL1PCEN = 0, so a guest's CNTP_CTL_EL0, CNTP_CVAL_EL0 and
 * CNTP_TVAL_EL0 accesses trap (EC 0x18); CNTPCT_EL0 stays readable
 * (EL1PCTEN = 1).  The model follows Arm ARM D11.2.4 "Timers":
 *   - CTL: ENABLE and IMASK read back as written; ISTATUS (read-only) is the
 *     condition CNTPCT >= CVAL while ENABLE = 1 (0 when disabled: UNKNOWN in
 *     the architecture, 0 here);
 *   - CVAL: 64 bits, as written;
 *   - TVAL: a signed 32-bit down-counter: reads (CVAL - CNTPCT)[31:0], a write
 *     sets CVAL = CNTPCT + SignExtend(TVAL[31:0]);
 *   - the interrupt, PPI 30, is a level: high exactly while ENABLE = 1,
 *     IMASK = 0 and the condition holds.  Every change the guest can make to
 *     it traps, so the line is updated on the spot (vgic_set_level), and
 *     drops as soon as the guest disables, masks or moves CVAL ahead.
 * The deadline is watched with a real timer: while the vCPU is loaded,
 * granite programs the EL1 physical timer itself (free: the guest cannot touch
 * it) and its PPI 30 raises the line; while the vCPU is off the CPU, the
 * scheduler's EL2 timer does (ptimer_deadline / ptimer_expired_saved), so a
 * blocked vCPU is woken by its physical timer too.
 */
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/vgic.h>
#include <granite/gic.h>
#include "sysregs.h"
#include "vtimer.h"

#define TVAL_MASK GENMASK(31, 0)

static u64 now(void)
{
    isb();
    return read_sysreg(cntpct_el0);
}

static bool armed(const struct ptimer_state *t)
{
    return (t->ctl & CNT_CTL_ENABLE) && !(t->ctl & CNT_CTL_IMASK);
}

static void set_line(struct vcpu *v, bool level)
{
    if (v->ctx.ptimer.line == level)
        return;
    v->ctx.ptimer.line = level;
    vgic_set_level(v->d->vgic, v->id, IRQ_PPI_PTIMER, level);
}

/* Program the real EL1 physical timer for the loaded vCPU: only while the
 * line is low and could still rise. */
static void program_hw(const struct ptimer_state *t)
{
    if (armed(t) && !t->line) {
        write_sysreg(cntp_cval_el0, t->cval);
        write_sysreg(cntp_ctl_el0, CNT_CTL_ENABLE);
    } else {
        write_sysreg(cntp_ctl_el0, 0);
    }
    isb();
}

/* After any change: the line follows the condition, the real timer the rest. */
static void update(struct vcpu *v, bool loaded)
{
    struct ptimer_state *t = &v->ctx.ptimer;

    set_line(v, armed(t) && now() >= t->cval);
    if (loaded)
        program_hw(t);
}

bool ptimer_access(struct vcpu *v, u32 reg, bool read, u64 *val)
{
    struct ptimer_state *t = &v->ctx.ptimer;
    u64 n = now();

    switch (reg) {
    case SR_CNTP_CTL_EL0:
        if (read) {
            *val = t->ctl;
            if ((t->ctl & CNT_CTL_ENABLE) && n >= t->cval)
                *val |= CNT_CTL_ISTATUS;
            return true;
        }
        t->ctl = *val & (CNT_CTL_ENABLE | CNT_CTL_IMASK);
        break;
    case SR_CNTP_CVAL_EL0:
        if (read) {
            *val = t->cval;
            return true;
        }
        t->cval = *val;
        break;
    case SR_CNTP_TVAL_EL0:
        if (read) {
            *val = (t->cval - n) & TVAL_MASK;
            return true;
        }
        t->cval = n + (u64)(s64)(s32)(u32)(*val & TVAL_MASK);
        break;
    default:
        return false;
    }
    update(v, true);
    return true;
}

void ptimer_fired(struct vcpu *cur)
{
    /* The real timer is granite's: stop it whatever happens next. */
    write_sysreg(cntp_ctl_el0, 0);
    isb();
    if (cur)
        update(cur, true);
}

/* Off the CPU: the real timer stops.  The line is not raised here, inside
 * the scheduler (it would not see the vCPU become runnable): a deadline
 * already past makes the scheduler's timer fire at once, and
 * ptimer_expired_saved raises it. */
void ptimer_save(struct vcpu *v)
{
    (void)v;
    write_sysreg(cntp_ctl_el0, 0);
    isb();
}

void ptimer_load(struct vcpu *v) { update(v, true); }

u64 ptimer_deadline(const struct vcpu *v)
{
    const struct ptimer_state *t = &v->ctx.ptimer;

    return armed(t) && !t->line ? t->cval : 0;
}

void ptimer_expired_saved(struct vcpu *v, u64 when)
{
    const struct ptimer_state *t = &v->ctx.ptimer;

    if (armed(t) && when >= t->cval)
        set_line(v, true);
}

void ptimer_reset(struct vcpu *v)
{
    v->ctx.ptimer = (struct ptimer_state){ 0 };
    vgic_set_level(v->d->vgic, v->id, IRQ_PPI_PTIMER, false);
}
