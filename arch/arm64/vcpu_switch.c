/*
 * vcpu_switch.c — moving a vCPU's EL1 state on and off a physical CPU.
 *
 * The general registers, PC and PSTATE travel on every trap (vectors.S).  The
 * rest of what a guest can see of "its" CPU stays in the hardware while it
 * runs, and is saved and restored only when the physical CPU changes vCPU:
 *   - EL1 system registers: MMU (SCTLR, TTBRx, TCR, MAIR, AMAIR), exception
 *     state (VBAR, ELR, SPSR, ESR, FAR, AFSRx), thread and stack pointers,
 *     CPACR, CNTKCTL, CSSELR, PAR, CONTEXTIDR, MDSCR;
 *   - the virtual timer (CNTV_CTL_EL0, CNTV_CVAL_EL0): disabled while the
 *     vCPU is off the CPU, its deadline handed to the scheduler;
 *   - the GIC virtual CPU interface (list registers, VMCR, active priorities);
 *   - FP/SIMD (fpsimd.S).
 * Also VMPIDR_EL2 (what MPIDR_EL1 reads), HCR_EL2 and VTTBR_EL2 (its stage 2).
 */
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/gic.h>
#include "sysregs.h"

void fpsimd_save(struct fpsimd_state *s);
void fpsimd_restore(const struct fpsimd_state *s);

#define CNTV_CTL_ENABLE BIT(0)
#define CNTV_CTL_IMASK BIT(1)

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

/* ICH_LR<n>_EL2 (GICv3 §12.4.6): sixteen registers, sixteen encodings. */
#define ICH_LR_CASE(n, crm, op2)                                                  \
    case n:                                                                       \
        if (write)                                                                \
            write_sysreg(S3_4_C12_##crm##_##op2, v);                              \
        else                                                                      \
            v = read_sysreg(S3_4_C12_##crm##_##op2);                              \
        break;

u64 ich_lr_access(unsigned n, bool write, u64 v)
{
    switch (n) {
    ICH_LR_CASE(0, C12, 0) ICH_LR_CASE(1, C12, 1) ICH_LR_CASE(2, C12, 2) ICH_LR_CASE(3, C12, 3)
    ICH_LR_CASE(4, C12, 4) ICH_LR_CASE(5, C12, 5) ICH_LR_CASE(6, C12, 6) ICH_LR_CASE(7, C12, 7)
    ICH_LR_CASE(8, C13, 0) ICH_LR_CASE(9, C13, 1) ICH_LR_CASE(10, C13, 2) ICH_LR_CASE(11, C13, 3)
    ICH_LR_CASE(12, C13, 4) ICH_LR_CASE(13, C13, 5) ICH_LR_CASE(14, C13, 6) ICH_LR_CASE(15, C13, 7)
    }
    return v;
}

#define ICH_VMCR_EL2 S3_4_C12_C11_7
#define ICH_AP0R0_EL2 S3_4_C12_C8_0
#define ICH_AP1R0_EL2 S3_4_C12_C9_0

static void save_gic_if(struct gic_vcpu_if *g)
{
    unsigned n = gic_nr_lrs();

    for (unsigned i = 0; i < n && i < GUEST_MAX_LRS; i++) {
        g->lr[i] = ich_lr_access(i, false, 0);
        ich_lr_access(i, true, 0);
    }
    g->vmcr = read_sysreg(ICH_VMCR_EL2);
    g->ap0r0 = read_sysreg(ICH_AP0R0_EL2);
    g->ap1r0 = read_sysreg(ICH_AP1R0_EL2);
}

static void load_gic_if(const struct gic_vcpu_if *g)
{
    unsigned n = gic_nr_lrs();

    for (unsigned i = 0; i < n && i < GUEST_MAX_LRS; i++)
        ich_lr_access(i, true, g->lr[i]);
    write_sysreg(ICH_VMCR_EL2, g->vmcr);
    write_sysreg(ICH_AP0R0_EL2, g->ap0r0);
    write_sysreg(ICH_AP1R0_EL2, g->ap1r0);
}

static void save_timer(struct vcpu *v)
{
    struct vtimer_state *t = &v->ctx.timer;

    t->ctl = read_sysreg(cntv_ctl_el0);
    t->cval = read_sysreg(cntv_cval_el0);
    write_sysreg(cntv_ctl_el0, 0); /* off the CPU: it must not fire for the next vCPU */
    isb();
    /* CNTVOFF_EL2 is 0: virtual time is physical time. */
    v->timer_deadline = ((t->ctl & CNTV_CTL_ENABLE) && !(t->ctl & CNTV_CTL_IMASK)) ? t->cval : 0;
}

static void load_timer(struct vcpu *v)
{
    write_sysreg(cntv_cval_el0, v->ctx.timer.cval);
    write_sysreg(cntv_ctl_el0, v->ctx.timer.ctl);
    v->timer_deadline = 0; /* the hardware watches it now */
}

void arch_vcpu_save(struct vcpu *v)
{
    save_el1(&v->ctx.el1);
    save_timer(v);
    save_gic_if(&v->ctx.gicif);
    fpsimd_save(&v->ctx.fp);
    /* Until the next vCPU is loaded, no stage 2 is live on this CPU: its
     * tables may be freed (domain end) while this CPU idles. */
    write_sysreg(hcr_el2, HCR_HOST);
    write_sysreg(vttbr_el2, 0);
    isb();
}

void arch_vcpu_load(struct vcpu *v)
{
    struct guest_context *c = &v->ctx;

    write_sysreg(vmpidr_el2, c->vmpidr);
    write_sysreg(vpidr_el2, read_sysreg(midr_el1));
    write_sysreg(vttbr_el2, c->vttbr);
    write_sysreg(hcr_el2, c->hcr);
    load_el1(&c->el1);
    fpsimd_restore(&c->fp);
    load_gic_if(&c->gicif);
    load_timer(v);
    isb();
}

/* The running vCPU's virtual timer fired (physical PPI 27, taken at EL2).  As
 * Xen does: mask it at the timer (CNTV_CTL.IMASK) so the line drops, and hand
 * the guest a virtual PPI 27; the guest's next write to CNTV_CTL unmasks it. */
void arch_vtimer_fired(void)
{
    write_sysreg(cntv_ctl_el0, read_sysreg(cntv_ctl_el0) | CNTV_CTL_IMASK);
    isb();
}

/* A descheduled vCPU's deadline passed: same, on the saved copy. */
void arch_vtimer_expired_saved(struct vcpu *v)
{
    v->ctx.timer.ctl |= CNTV_CTL_IMASK;
    v->timer_deadline = 0;
}
