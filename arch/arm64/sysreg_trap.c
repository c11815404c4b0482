/*
 * sysreg_trap.c — system register accesses a guest makes that trap to EL2
 * (ESR_EL2.EC = 0x18; ISS layout in Arm ARM D19.2.40, "ISS encoding for an
 * exception from MSR, MRS, or System instruction execution"):
 *
 *   ICC_SGI1R_EL1, ICC_ASGI1R_EL1, ICC_SGI0R_EL1
 *       a guest sending an SGI (trapped because HCR_EL2.IMO = 1): handed to
 *       the vGIC, which makes it pending on the target vCPUs;
 *   ACTLR_EL1 (trapped by HCR_EL2.TACR): implementation defined; reads as 0,
 *       writes ignored, so a guest cannot change the physical CPU's behaviour;
 *   DC ISW / CSW / CISW (trapped by HCR_EL2.TSW): set/way maintenance only
 *       makes sense on the physical cache; granite's stage-2 memory is
 *       coherent, so the operation is completed as a no-op;
 *   the ID registers (HCR_EL2.TID3, TID5): reads answered with the
 *       sanitised values (id_regs.c), every encoding of the ID space
 *       (op0=3, op1=0, CRn=0, CRm=0..7) included, reserved ones as 0;
 *       GMID_EL1 (TID5, only with MTE, which is hidden) UNDEFINED;
 *   CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTP_TVAL_EL0 (CNTHCTL_EL2.EL1PCEN = 0):
 *       the emulated EL1 physical timer (ptimer.c);
 *   OSLAR_EL1, OSLSR_EL1, OSDLR_EL1, DBGPRCR_EL1 (MDCR_EL2.TDOSA) and
 *       MDRAR_EL1 (TDRA): the OS lock is kept per vCPU (OSLSR_EL1 reads
 *       OSLM = 0b10 "implemented" and OSLK as written); OSDLR_EL1 RAZ/WI (no
 *       DoubleLock: ID_AA64DFR0.DoubleLock reads 0xf); DBGPRCR_EL1 RAZ/WI
 *       (nothing to keep powered); MDRAR_EL1 reads 0, "no ROM table";
 *   PMU, SPE, TRBE, trace, AMU, RAS error-record, LORegion and MTE
 *       registers (MDCR_EL2, CPTR_EL2, HCR_EL2 traps): the features are
 *       hidden, so these are UNDEFINED like any register that does not
 *       exist (below).
 * Anything else is answered with an UNDEFINED exception injected into the
 * guest, as the hardware would for a register that does not exist.
 */
#include <granite/dlog.h>
#include <granite/domain.h>
#include <granite/vgic.h>
#include <granite/console.h>
#include <granite/errno.h>
#include "sysregs.h"
#include "internal.h"
#include "id_regs.h"
#include "inject.h"
#include "vtimer.h"

#define ISS_DIR_READ BIT(0)
#define ISS_CRM GENMASK(4, 1)
#define ISS_RT GENMASK(9, 5)
#define ISS_CRN GENMASK(13, 10)
#define ISS_OP1 GENMASK(16, 14)
#define ISS_OP2 GENMASK(19, 17)
#define ISS_OP0 GENMASK(21, 20)
#define SYSREG(op0, op1, crn, crm, op2) (((op0) << 16) | ((op1) << 12) | ((crn) << 8) | ((crm) << 4) | (op2))

#define SR_ICC_SGI1R SYSREG(3, 0, 12, 11, 5)
#define SR_ICC_ASGI1R SYSREG(3, 0, 12, 11, 6)
#define SR_ICC_SGI0R SYSREG(3, 0, 12, 11, 7)
#define SR_ACTLR_EL1 SYSREG(3, 0, 1, 0, 1)
#define SR_DC_ISW SYSREG(1, 0, 7, 6, 2)
#define SR_DC_CSW SYSREG(1, 0, 7, 10, 2)
#define SR_DC_CISW SYSREG(1, 0, 7, 14, 2)
#define SR_OSLAR_EL1 SYSREG(2, 0, 1, 0, 4)
#define SR_OSLSR_EL1 SYSREG(2, 0, 1, 1, 4)
#define SR_OSDLR_EL1 SYSREG(2, 0, 1, 3, 4)
#define SR_DBGPRCR_EL1 SYSREG(2, 0, 1, 4, 4)
#define SR_MDRAR_EL1 SYSREG(2, 0, 1, 0, 0)

#define OSLAR_OSLK BIT(0)
#define OSLSR_OSLM_IMPLEMENTED BIT(3)  /* OSLM = 0b10: the OS lock is implemented */
#define OSLSR_OSLK BIT(1)

/* op0 = 3, op1 = 0, CRn = 0: the ID space (CRm and op2 vary). */
static bool is_id_space(u64 iss)
{
    return FIELD_GET(ISS_OP0, iss) == 3 && FIELD_GET(ISS_OP1, iss) == 0 &&
           FIELD_GET(ISS_CRN, iss) == 0;
}

static u64 rt_value(struct guest_context *c, unsigned rt) { return rt == 31 ? 0 : c->x[rt]; }

/* Returns false if the access was refused (UNDEF injected). */
bool sysreg_trap(struct vcpu *v, u64 esr)
{
    struct guest_context *c = &v->ctx;
    u64 iss = ESR_ISS(esr);
    unsigned rt = FIELD_GET(ISS_RT, iss);
    bool read = iss & ISS_DIR_READ;
    u32 reg = SYSREG(FIELD_GET(ISS_OP0, iss), FIELD_GET(ISS_OP1, iss), FIELD_GET(ISS_CRN, iss),
                     FIELD_GET(ISS_CRM, iss), FIELD_GET(ISS_OP2, iss));

    vcpu_stats_sysreg(&v->stats, reg);
    if (read && is_id_space(iss)) {
        u64 val = id_reg_guest_value(FIELD_GET(ISS_CRM, iss), FIELD_GET(ISS_OP2, iss));
        if (rt != 31)
            c->x[rt] = val;
        vcpu_skip_instruction(c);
        return true;
    }
    {
        u64 val = rt_value(c, rt);
        if (ptimer_access(v, reg, read, &val)) {
            if (read && rt != 31)
                c->x[rt] = val;
            vcpu_skip_instruction(c);
            return true;
        }
    }
    switch (reg) {
    case SR_OSLAR_EL1:
        if (!read)
            c->debug.os_lock = rt_value(c, rt) & OSLAR_OSLK;
        break;
    case SR_OSLSR_EL1:
        if (read && rt != 31)
            c->x[rt] = OSLSR_OSLM_IMPLEMENTED | (c->debug.os_lock ? OSLSR_OSLK : 0);
        break;
    case SR_OSDLR_EL1:
    case SR_DBGPRCR_EL1:
    case SR_MDRAR_EL1:
        if (read && rt != 31)
            c->x[rt] = 0;
        break;
    case SR_ICC_SGI1R:
    case SR_ICC_ASGI1R:
    case SR_ICC_SGI0R:
        /* A GICv2 vGIC has no system-register interface: UNDEFINED, as on
         * hardware without one (vgic_send_sgi says -ENODEV).  (These are
         * write-only; a read is ignored, as before.) */
        if (!read && vgic_send_sgi(v->d->vgic, v->id, rt_value(c, rt)) == -ENODEV) {
            dlog(v->d, "traps: d%u vcpu%u: ICC SGI register write at PC 0x%lx with a GICv2 "
                 "vGIC: injecting UNDEF\n", v->d->id, v->id, c->pc);
            vcpu_inject_undef(c);
            return false;
        }
        if (!read)
            v->stats.sgi_sent++;
        break;
    case SR_ACTLR_EL1:
        if (read && rt != 31)
            c->x[rt] = 0;
        break;
    case SR_DC_ISW:
    case SR_DC_CSW:
    case SR_DC_CISW:
        break;
    default:
        dlog(v->d, "traps: d%u vcpu%u: %s of system register op0=%lu op1=%lu CRn=%lu CRm=%lu "
             "op2=%lu at PC 0x%lx: injecting UNDEF\n", v->d->id, v->id, read ? "read" : "write",
             FIELD_GET(ISS_OP0, iss), FIELD_GET(ISS_OP1, iss), FIELD_GET(ISS_CRN, iss),
             FIELD_GET(ISS_CRM, iss), FIELD_GET(ISS_OP2, iss), c->pc);
        vcpu_inject_undef(c);
        return false;
    }
    vcpu_skip_instruction(c);
    return true;
}
