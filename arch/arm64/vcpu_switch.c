/*
 * vcpu_switch.c — moving a vCPU's EL1 state on and off a physical CPU.
 *
 * The general registers, PC and PSTATE travel on every trap (vectors.S).  The
 * rest of what a guest can see of "its" CPU stays in the hardware while it
 * runs, and is saved and restored only when the physical CPU changes vCPU:
 *   - EL1 system registers: MMU (SCTLR, TTBRx, TCR, MAIR, AMAIR), exception
 *     state (VBAR, ELR, SPSR, ESR, FAR, AFSRx), thread and stack pointers,
 *     CPACR, CNTKCTL, CSSELR, PAR, CONTEXTIDR, MDSCR;
 *   - pointer-authentication keys (all five pairs), when the host has them
 *     (HCR_EL2.API/APK are then set: the guest uses them untrapped);
 *   - breakpoint and watchpoint registers (as many as ID_AA64DFR0 counts)
 *     and MDCCINT_EL1;
 *   - the virtual timer (vtimer.c) and the emulated EL1 physical timer
 *     (ptimer.c): off the CPU, their earliest deadline is handed to the
 *     scheduler;
 *   - the GIC virtual CPU interface (list registers, VMCR, active priorities);
 *   - FP/SIMD (fpsimd.S).
 * Also VMPIDR_EL2 (what MPIDR_EL1 reads), HCR_EL2 and VTTBR_EL2 (its stage 2).
 */
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/gic.h>
#include "sysregs.h"
#include "id_regs.h"
#include "internal.h"
#include "vtimer.h"


static u64 earliest(u64 a, u64 b) { return !a ? b : !b ? a : MIN(a, b); }

static void save_el1(struct el1_sysregs *r)
{
    r->sctlr = read_sysreg(sctlr_el1);
    r->actlr = read_sysreg(actlr_el1);
    r->cpacr = read_sysreg(cpacr_el1);
    r->ttbr0 = read_sysreg(ttbr0_el1);
    r->ttbr1 = read_sysreg(ttbr1_el1);
    r->tcr = read_sysreg(tcr_el1);
    r->mair = read_sysreg(mair_el1);
    r->amair = read_sysreg(amair_el1);
    r->vbar = read_sysreg(vbar_el1);
    r->contextidr = read_sysreg(contextidr_el1);
    r->tpidr_el0 = read_sysreg(tpidr_el0);
    r->tpidrro_el0 = read_sysreg(tpidrro_el0);
    r->tpidr_el1 = read_sysreg(tpidr_el1);
    r->sp_el0 = read_sysreg(sp_el0);
    r->sp_el1 = read_sysreg(sp_el1);
    r->elr_el1 = read_sysreg(elr_el1);
    r->spsr_el1 = read_sysreg(spsr_el1);
    r->esr = read_sysreg(esr_el1);
    r->far = read_sysreg(far_el1);
    r->afsr0 = read_sysreg(afsr0_el1);
    r->afsr1 = read_sysreg(afsr1_el1);
    r->par = read_sysreg(par_el1);
    r->cntkctl = read_sysreg(cntkctl_el1);
    r->csselr = read_sysreg(csselr_el1);
    r->mdscr = read_sysreg(mdscr_el1);
}

static void load_el1(const struct el1_sysregs *r)
{
    write_sysreg(sctlr_el1, r->sctlr);
    write_sysreg(actlr_el1, r->actlr);
    write_sysreg(cpacr_el1, r->cpacr);
    write_sysreg(ttbr0_el1, r->ttbr0);
    write_sysreg(ttbr1_el1, r->ttbr1);
    write_sysreg(tcr_el1, r->tcr);
    write_sysreg(mair_el1, r->mair);
    write_sysreg(amair_el1, r->amair);
    write_sysreg(vbar_el1, r->vbar);
    write_sysreg(contextidr_el1, r->contextidr);
    write_sysreg(tpidr_el0, r->tpidr_el0);
    write_sysreg(tpidrro_el0, r->tpidrro_el0);
    write_sysreg(tpidr_el1, r->tpidr_el1);
    write_sysreg(sp_el0, r->sp_el0);
    write_sysreg(sp_el1, r->sp_el1);
    write_sysreg(elr_el1, r->elr_el1);
    write_sysreg(spsr_el1, r->spsr_el1);
    write_sysreg(esr_el1, r->esr);
    write_sysreg(far_el1, r->far);
    write_sysreg(afsr0_el1, r->afsr0);
    write_sysreg(afsr1_el1, r->afsr1);
    write_sysreg(par_el1, r->par);
    write_sysreg(cntkctl_el1, r->cntkctl);
    write_sysreg(csselr_el1, r->csselr);
    write_sysreg(mdscr_el1, r->mdscr);
}

/* Pointer-authentication keys (Arm ARM D19.2, APIAKeyLo_EL1 ...): S3_0_C2_C1_0..3
 * (APIA, APIB), C2_C2_0..3 (APDA, APDB), C2_C3_0..1 (APGA). */
static bool pauth_switched(const struct vcpu *v) { return v->ctx.hcr & HCR_APK; }

static void save_pauth(struct pauth_keys *p)
{
    p->k[0] = read_sysreg(S3_0_C2_C1_0);
    p->k[1] = read_sysreg(S3_0_C2_C1_1);
    p->k[2] = read_sysreg(S3_0_C2_C1_2);
    p->k[3] = read_sysreg(S3_0_C2_C1_3);
    p->k[4] = read_sysreg(S3_0_C2_C2_0);
    p->k[5] = read_sysreg(S3_0_C2_C2_1);
    p->k[6] = read_sysreg(S3_0_C2_C2_2);
    p->k[7] = read_sysreg(S3_0_C2_C2_3);
    p->k[8] = read_sysreg(S3_0_C2_C3_0);
    p->k[9] = read_sysreg(S3_0_C2_C3_1);
}

static void load_pauth(const struct pauth_keys *p)
{
    write_sysreg(S3_0_C2_C1_0, p->k[0]);
    write_sysreg(S3_0_C2_C1_1, p->k[1]);
    write_sysreg(S3_0_C2_C1_2, p->k[2]);
    write_sysreg(S3_0_C2_C1_3, p->k[3]);
    write_sysreg(S3_0_C2_C2_0, p->k[4]);
    write_sysreg(S3_0_C2_C2_1, p->k[5]);
    write_sysreg(S3_0_C2_C2_2, p->k[6]);
    write_sysreg(S3_0_C2_C2_3, p->k[7]);
    write_sysreg(S3_0_C2_C3_0, p->k[8]);
    write_sysreg(S3_0_C2_C3_1, p->k[9]);
}

/* Breakpoint n: DBGBVR<n>_EL1 = S2_0_C0_C<n>_4, DBGBCR<n>_EL1 = ..._5; watchpoint
 * n: DBGWVR<n>_EL1 = ..._6, DBGWCR<n>_EL1 = ..._7 (Arm ARM D19.3). */
#define DBG_SWITCH(fn, op_v_, op_c_)                                             \
    static void fn(unsigned n, bool save, u64 *a, u64 *b)                        \
    {                                                                            \
        switch (n) {                                                             \
        DBG_CASES(op_v_, op_c_)                                                  \
        }                                                                        \
    }
#define DBG_CASE_(n, op_v, op_c)                                                 \
    case n:                                                                      \
        if (save) {                                                              \
            *a = read_sysreg(S2_0_C0_C##n##_##op_v);                             \
            *b = read_sysreg(S2_0_C0_C##n##_##op_c);                             \
        } else {                                                                 \
            write_sysreg(S2_0_C0_C##n##_##op_v, *a);                             \
            write_sysreg(S2_0_C0_C##n##_##op_c, *b);                             \
        }                                                                        \
        break;
#define DBG_CASES(v, c)                                                          \
    DBG_CASE_(0, v, c) DBG_CASE_(1, v, c) DBG_CASE_(2, v, c) DBG_CASE_(3, v, c)     \
    DBG_CASE_(4, v, c) DBG_CASE_(5, v, c) DBG_CASE_(6, v, c) DBG_CASE_(7, v, c)     \
    DBG_CASE_(8, v, c) DBG_CASE_(9, v, c) DBG_CASE_(10, v, c) DBG_CASE_(11, v, c)   \
    DBG_CASE_(12, v, c) DBG_CASE_(13, v, c) DBG_CASE_(14, v, c) DBG_CASE_(15, v, c)

DBG_SWITCH(bkpt_access, 4, 5)
DBG_SWITCH(wkpt_access, 6, 7)

static void switch_debug(struct debug_state *d, bool save)
{
    u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
    unsigned brps = FIELD_GET(DFR0_BRPS, dfr0) + 1, wrps = FIELD_GET(DFR0_WRPS, dfr0) + 1;

    for (unsigned i = 0; i < brps && i < GUEST_MAX_BKPTS; i++)
        bkpt_access(i, save, &d->bvr[i], &d->bcr[i]);
    for (unsigned i = 0; i < wrps && i < GUEST_MAX_BKPTS; i++)
        wkpt_access(i, save, &d->wvr[i], &d->wcr[i]);
    if (save)
        d->mdccint = read_sysreg(mdccint_el1);
    else
        write_sysreg(mdccint_el1, d->mdccint);
}

void arch_vcpu_save(struct vcpu *v)
{
    save_el1(&v->ctx.el1);
    if (pauth_switched(v))
        save_pauth(&v->ctx.pauth);
    switch_debug(&v->ctx.debug, true);
    vtimer_save(v);
    ptimer_save(v);
    v->timer_deadline = earliest(vtimer_deadline(v), ptimer_deadline(v));
    gic_vif_save(&v->ctx.gicif);
    fpsimd_save(&v->ctx.fp);
    /* Until the next vCPU is loaded, no stage 2 is live on this CPU: its
     * tables may be freed (domain end) while this CPU idles. */
    write_sysreg(hcr_el2, HCR_HOST);
    write_sysreg(vttbr_el2, 0);
    isb();
}

/*
 * WFI traps only where another vCPU may want the CPU.  A vCPU alone on its
 * CPU sleeps in its own WFI (HCR_EL2.TWI = 0, as Xen's vwfi=native): the
 * interrupt that ends the sleep reaches EL2 as before (IMO), but the
 * trap-block-idle-wake round trip around every guest wait is gone.  Its
 * runstate then counts that sleep as running, as on Xen with vwfi=native.
 */
static u64 hcr_for(const struct vcpu *v)
{
    return v->cpu_exclusive ? v->ctx.hcr & ~HCR_TWI : v->ctx.hcr;
}

void arch_vcpu_load(struct vcpu *v)
{
    struct guest_context *c = &v->ctx;

    write_sysreg(vmpidr_el2, c->vmpidr);
    write_sysreg(vpidr_el2, read_sysreg(midr_el1));
    write_sysreg(vttbr_el2, c->vttbr);
    write_sysreg(hcr_el2, hcr_for(v));
    load_el1(&c->el1);
    if (pauth_switched(v))
        load_pauth(&c->pauth);
    switch_debug(&c->debug, false);
    fpsimd_restore(&c->fp);
    gic_vif_load(&c->gicif);
    vtimer_load(v);
    v->timer_deadline = 0; /* the hardware watches both timers now */
    ptimer_load(v);
    isb();
}

/* A descheduled vCPU's deadline passed (the scheduler's EL2 timer): raise
 * whichever timer lines are due, and keep the deadline of the other. */
void arch_vcpu_timers_expired(struct vcpu *v, u64 now)
{
    vtimer_expired_saved(v, now);
    ptimer_expired_saved(v, now);
    v->timer_deadline = earliest(vtimer_deadline(v), ptimer_deadline(v));
}
