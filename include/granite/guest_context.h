/*
 * guest_context.h — a vCPU's saved state, AArch64 layout.
 *
 * The first fields (x0..x30, pc, pstate) are saved and restored by the
 * exception entry code on every trap (arch/arm64/vectors.S; offsets fixed in
 * asm_offsets.h and checked at compile time).  The rest is the EL1 state that
 * only moves when a physical CPU switches from one vCPU to another
 * (arch/arm64/vcpu_switch.c): system registers, FP/SIMD, virtual timer and
 * the GIC virtual CPU interface.
 */
#ifndef GRANITE_GUEST_CONTEXT_H
#define GRANITE_GUEST_CONTEXT_H

#include <granite/types.h>

#define GUEST_MAX_LRS 16

struct el1_sysregs {
    u64 sctlr, actlr, cpacr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
    u64 tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1, elr_el1, spsr_el1;
    u64 esr, far, afsr0, afsr1, par, cntkctl, csselr, mdscr;
};

struct fpsimd_state {
    u64 q[32][2]; /* v0..v31, 128 bits each */
    u64 fpcr, fpsr;
} __attribute__((aligned(16)));

struct vtimer_state {
    u64 ctl, cval; /* CNTV_CTL_EL0, CNTV_CVAL_EL0 */
};

struct gic_vcpu_if {
    u64 lr[GUEST_MAX_LRS]; /* ICH_LR<n>_EL2 */
    u64 vmcr;              /* ICH_VMCR_EL2 */
    u64 ap0r0, ap1r0;      /* ICH_AP0R0_EL2, ICH_AP1R0_EL2 */
    u32 lr_used;           /* LRs granite filled and the model counts as in_lr */
};

struct guest_context {
    u64 x[31];   /* x0..x30 */
    u64 pc;      /* ELR_EL2: where the guest resumes */
    u64 pstate;  /* SPSR_EL2 */
    /* loaded when the vCPU is switched in */
    u64 vmpidr;
    u64 hcr;
    u64 vttbr;
    struct el1_sysregs el1;
    struct vtimer_state timer;
    struct gic_vcpu_if gicif;
    struct fpsimd_state fp;
};

#endif
