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
    bool line;     /* the level granite last gave the guest's PPI 27 (vtimer.c) */
};

/* The emulated EL1 physical timer (arch/arm64/ptimer.c). */
struct ptimer_state {
    u64 ctl;       /* CNTP_CTL_EL0's ENABLE and IMASK as the guest wrote them */
    u64 cval;      /* CNTP_CVAL_EL0 */
    bool line;     /* the level of the guest's PPI 30 */
};

/* Breakpoint and watchpoint registers (as many as ID_AA64DFR0 says) and the
 * emulated OS lock. */
#define GUEST_MAX_BKPTS 16
struct debug_state {
    u64 bvr[GUEST_MAX_BKPTS], bcr[GUEST_MAX_BKPTS];
    u64 wvr[GUEST_MAX_BKPTS], wcr[GUEST_MAX_BKPTS];
    u64 mdccint;
    bool os_lock;
};

/* Pointer-authentication keys: APIA, APIB, APDA, APDB, APGA, Lo and Hi each. */
#define PAUTH_KEY_REGS 10
struct pauth_keys {
    u64 k[PAUTH_KEY_REGS];
};

/* Stage-2 aborts injected into the guest whose report was already logged
 * (once per address, traps.c). */
#define GUEST_ABORTS_REMEMBERED 8

struct gic_vcpu_if {
    u64 lr[GUEST_MAX_LRS]; /* ICH_LR<n>_EL2 */
    u64 vmcr;              /* ICH_VMCR_EL2 */
    u64 ap0r0, ap1r0;      /* ICH_AP0R0_EL2, ICH_AP1R0_EL2 */
    u32 lr_used;           /* LRs granite filled and the model counts as in_lr */
    u16 lr_soft_hw[GUEST_MAX_LRS]; /* physical INTID granite deactivates when LR n
                                    * drains (gic_no_hw_lrs hosts), 0: none */
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
    struct ptimer_state ptimer;
    struct debug_state debug;
    struct pauth_keys pauth;
    u64 aborts_logged[GUEST_ABORTS_REMEMBERED]; /* IPA pages, round robin */
    unsigned aborts_next;
    struct gic_vcpu_if gicif;
    struct fpsimd_state fp;
};

#endif
