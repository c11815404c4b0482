/*
 * inject.c — delivering a synchronous exception into a guest, as the hardware
 * would have (Arm ARM D1.10 "Exception entry", pseudocode
 * AArch64.TakeException): the guest's PC and PSTATE go to ELR_EL1/SPSR_EL1,
 * ESR_EL1 (and FAR_EL1 for an abort) get the syndrome, and the guest continues
 * at VBAR_EL1 plus the vector offset for where it was:
 *   current EL (EL1) with SP_EL0   0x000      current EL with SP_EL1   0x200
 *   lower EL (EL0), AArch64        0x400      lower EL, AArch32        0x600
 * in EL1h with D, A, I, F set, PSTATE.IL, SS and BTYPE cleared, PAN set when
 * SCTLR_EL1.SPAN is 0, UAO cleared and SSBS taken from SCTLR_EL1.DSSBS.
 * The vCPU's EL1 registers are live on this CPU while its trap is handled.
 */
#include <granite/guest_context.h>
#include "sysregs.h"
#include "inject.h"

#define VECTOR_CURRENT_SP0 0x000
#define VECTOR_CURRENT_SPX 0x200
#define VECTOR_LOWER_A64 0x400
#define VECTOR_LOWER_A32 0x600
#define ESR_EC_SHIFT 26

static u64 vector_offset(u64 pstate)
{
    if (pstate & SPSR_M_RW)
        return VECTOR_LOWER_A32;
    if ((pstate & SPSR_M_MASK) == SPSR_MODE_EL0t)
        return VECTOR_LOWER_A64;
    return (pstate & SPSR_M_SP) ? VECTOR_CURRENT_SPX : VECTOR_CURRENT_SP0;
}

static void inject_sync(struct guest_context *c, u64 esr)
{
    u64 sctlr = read_sysreg(sctlr_el1);
    u64 keep = c->pstate & SPSR_DIT; /* DIT is unchanged by exception entry */
    u64 pstate = SPSR_MODE_EL1h | SPSR_D | SPSR_A | SPSR_I | SPSR_F | keep;

    if (FIELD_GET(MMFR1_PAN, read_sysreg(id_aa64mmfr1_el1)) &&
        ((c->pstate & SPSR_PAN) || !(sctlr & SCTLR_EL1_SPAN)))
        pstate |= SPSR_PAN;
    if (sctlr & SCTLR_EL1_DSSBS)
        pstate |= SPSR_SSBS;
    write_sysreg(elr_el1, c->pc);
    write_sysreg(spsr_el1, c->pstate);
    write_sysreg(esr_el1, esr);
    c->pc = read_sysreg(vbar_el1) + vector_offset(c->pstate);
    c->pstate = pstate;
}

static bool from_el0(const struct guest_context *c)
{
    return (c->pstate & SPSR_M_RW) || (c->pstate & SPSR_M_MASK) == SPSR_MODE_EL0t;
}

void vcpu_inject_undef(struct guest_context *c)
{
    inject_sync(c, ((u64)EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL);
}

/* A synchronous external abort (D19.2.40: DFSC/IFSC 0b010000) on the access
 * at the guest's PC, which faulted at virtual address `far`.  A data abort
 * keeps the access's direction (WnR); ISV = 0: no instruction syndrome. */
void vcpu_inject_external_abort(struct guest_context *c, bool insn, u64 far, bool write)
{
    u64 ec = insn ? (from_el0(c) ? EC_IABT_LOW : EC_IABT_CUR)
                  : (from_el0(c) ? EC_DABT_LOW : EC_DABT_CUR);
    u64 esr = (ec << ESR_EC_SHIFT) | ESR_IL | FSC_SYNC_EXTERNAL;

    if (!insn && write)
        esr |= DABT_WNR;
    write_sysreg(far_el1, far);
    inject_sync(c, esr);
}

/*
 * granite completed a trapped instruction for the guest (MMIO, a system
 * register, SMC, WFx): the guest goes on at the next one, as if the CPU had
 * executed it.  Besides the PC that means (Arm ARM D2.12 software step, and
 * BTI's PSTATE.BTYPE rules): BTYPE is 0 after any instruction that is not a
 * branch, and a pending software step has now stepped one instruction, so
 * PSTATE.SS goes to 0 and the step exception is taken before the next one.
 */
void vcpu_skip_instruction(struct guest_context *c)
{
    c->pc += AARCH64_INSN_LEN;
    c->pstate &= ~(SPSR_BTYPE | SPSR_SS);
}
