/*
 * guest_context.h — a vCPU's saved state, AArch64 layout.  The field order is
 * fixed by arch/arm64/asm_offsets.h (checked at compile time).
 */
#ifndef GRANITE_GUEST_CONTEXT_H
#define GRANITE_GUEST_CONTEXT_H

#include <granite/types.h>

struct guest_context {
    u64 x[31];   /* x0..x30 */
    u64 pc;      /* ELR_EL2: where the guest resumes */
    u64 pstate;  /* SPSR_EL2 */
    /* EL1 state, loaded before the first entry */
    u64 sctlr_el1;
    u64 vmpidr;
    u64 hcr;
    u64 vttbr;
};

#endif
