/*
 * inject.c — delivering a synchronous exception into a guest, as the hardware
 * would have (Arm ARM D1.10 "Exception entry"): the guest's PC and PSTATE go to
 * ELR_EL1/SPSR_EL1, ESR_EL1 gets the syndrome, and the guest continues at its
 * VBAR_EL1 vector for "current EL with SP_ELx" (offset 0x200) or "lower EL,
 * AArch64" (0x400), at EL1h with all interrupts masked.
 */
#include <granite/guest_context.h>
#include "sysregs.h"

#define VECTOR_CURRENT_SPX 0x200
#define VECTOR_LOWER_A64 0x400
#define SPSR_M_MASK 0xf
#define SPSR_MODE_EL0t 0x0

void vcpu_inject_undef(struct guest_context *c)
{
    bool from_el0 = (c->pstate & SPSR_M_MASK) == SPSR_MODE_EL0t;
    u64 vbar = read_sysreg(vbar_el1);

    write_sysreg(elr_el1, c->pc);
    write_sysreg(spsr_el1, c->pstate);
    write_sysreg(esr_el1, FIELD_PREP(GENMASK(31, 26), EC_UNKNOWN) | ESR_IL);
    c->pc = vbar + (from_el0 ? VECTOR_LOWER_A64 : VECTOR_CURRENT_SPX);
    c->pstate = SPSR_MODE_EL1h | SPSR_D | SPSR_A | SPSR_I | SPSR_F;
}
