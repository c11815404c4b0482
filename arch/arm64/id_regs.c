/*
 * id_regs.c — the ID registers a guest reads (HCR_EL2.TID3 traps them all).
 *
 * A guest must see a machine whose advertised features all work.  granite
 * reads the host's ID registers once (boot CPU; granite assumes the CPUs are
 * alike, as QEMU's are) and passes a field through only if it is on the
 * allow-list below: a feature whose state granite switches between vCPUs, or
 * one that has no state to switch (an instruction, a PSTATE bit saved in
 * SPSR, an SCTLR_EL1/TCR_EL1 bit, which are switched).  Every other field --
 * including fields this table does not know, added by later versions of the
 * architecture -- reads as 0, the "not implemented" value of almost every
 * field (Arm ARM D19.1.3, "Principles of the ID scheme for fields in ID
 * registers").  The few signed fields where 0 would mean "implemented"
 * (ID_AA64DFR0.DoubleLock) are set to their "not implemented" value.
 * Reserved encodings in the ID space read as 0, as the Arm ARM makes them.
 *
 * Hidden, with the trap that makes a guest's use of it UNDEFINED as on a CPU
 * without it (cpu.c sets the traps, sysreg_trap.c injects the UNDEF):
 *   SVE, SME                 CPTR_EL2.TZ/TSM (EC 0x19/0x1d -> UNDEF)
 *   MTE                      HCR_EL2.ATA = 0, TID5 (GMID_EL1)
 *   AMU                      CPTR_EL2.TAM
 *   PMU                      MDCR_EL2.TPM/TPMCR
 *   SPE, TRBE, trace         MDCR_EL2.TPMS/E2PB/E2TB/TTRF, CPTR_EL2.TTA
 *   RAS, LORegions           HCR_EL2.TERR, TLOR
 *   FEAT_NV, EL2, EL3, SEL2, RME, MPAM, TME, NMI, WFxT, MOPS, LS64, ECV, FGT,
 *   HCX, MMFR3's extensions  nothing of them is switched or emulated
 * Capped: EL0/EL1 to AArch64 only (granite handles no AArch32 traps),
 * DebugVer to Armv8.0 debug (the breakpoint/watchpoint registers are switched),
 * GIC to the GICv3 system-register interface when the vGIC is a GICv3, and to
 * none on a GICv2 host (its vGIC is a GICv2: ICC_* do not exist), PARange to
 * the domain's IPA size.  Pointer authentication is passed through when
 * granite switches its keys (vcpu_switch.c).
 */
#include <granite/types.h>
#include "id_regs.h"

enum field_kind {
    F_MAX,      /* the host's value, at most `val` (an unsigned, "more is more" field) */
    F_FIXED,    /* always `val` */
    F_PAUTH,    /* the host's value when pointer authentication is switched, else 0 */
    F_PARANGE,  /* the host's value, at most the guest's IPA size */
    F_GIC,      /* the host's value, at most `val`, when the vGIC has system registers; else 0 */
};

struct id_field {
    u8 shift;
    u8 kind;
    u8 val;
};

#define ANY 0xf /* a 4-bit field passed through whatever it says */
/* Speculation fields capped where the next value promises SCXTNUM_EL0/EL1. */
#define CSV2_NO_SCXTNUM 1
#define CSV2_FRAC_NO_SCXTNUM 1
#define FMAX(shift, max) { shift, F_MAX, max }
#define FCOPY(shift) { shift, F_MAX, ANY }
#define FFIXED(shift, v) { shift, F_FIXED, v }
#define FPAUTH(shift) { shift, F_PAUTH, 0 }
#define FGIC(shift, max) { shift, F_GIC, max }
#define FIELD_W 4

#define EL_AARCH64_ONLY 1
#define GIC_SYSREG_V3 1
#define DEBUGVER_V8 6
#define DOUBLELOCK_NONE 0xf

/* ID_AA64PFR0_EL1 (D19.2.64) */
static const struct id_field pfr0[] = {
    FMAX(0, EL_AARCH64_ONLY),   /* EL0 */
    FMAX(4, EL_AARCH64_ONLY),   /* EL1 */
    /* EL2 [11:8], EL3 [15:12]: 0, the guest has neither */
    FCOPY(16),                  /* FP (signed: 0xf = none); FP/SIMD switched */
    FCOPY(20),                  /* AdvSIMD (signed) */
    FGIC(24, GIC_SYSREG_V3),    /* GIC: 0 on a GICv2 host */
    /* RAS [31:28], SVE [35:32], SEL2 [39:36], MPAM [43:40], AMU [47:44]: 0 */
    FCOPY(48),                  /* DIT: PSTATE.DIT, in SPSR */
    /* RME [55:52]: 0 */
    FMAX(56, CSV2_NO_SCXTNUM),  /* CSV2: at most 1; 2+ would promise SCXTNUM_ELx,
                                   which granite neither switches nor enables
                                   (HCR_EL2.EnSCXT) */
    FCOPY(60),                  /* CSV3 */
};

/* ID_AA64PFR1_EL1 (D19.2.65) */
static const struct id_field pfr1[] = {
    FCOPY(0),                   /* BT: PSTATE.BTYPE and SCTLR_EL1.BTx */
    FCOPY(4),                   /* SSBS: PSTATE.SSBS */
    /* MTE [11:8], RAS_frac, MPAM_frac, SME [27:24], RNDR_trap, ... : 0 */
    FMAX(32, CSV2_FRAC_NO_SCXTNUM), /* CSV2_frac: 0b0010 (CSV2_1p2) adds SCXTNUM_ELx */
    /* NMI [39:36], MTE_frac, GCS, THE, MTEX, DF2, PFAR: 0 */
};

/* ID_AA64DFR0_EL1 (D19.2.58) */
static const struct id_field dfr0[] = {
    FMAX(0, DEBUGVER_V8),       /* DebugVer */
    /* TraceVer [7:4], PMUVer [11:8]: 0 */
    FCOPY(12),                  /* BRPs: breakpoints switched */
    /* PMSS [19:16]: 0 */
    FCOPY(20),                  /* WRPs: watchpoints switched */
    /* SEBEP [27:24]: 0 */
    FCOPY(28),                  /* CTX_CMPs: CONTEXTIDR_EL1 switched */
    /* PMSVer [35:32]: 0 */
    FFIXED(36, DOUBLELOCK_NONE), /* DoubleLock (signed: 0 would mean implemented) */
    /* TraceFilt [43:40], TraceBuffer [47:44], MTPMU, BRBE, ExtTrcBuff, HPMN0: 0 */
};

/* ID_AA64ISAR0_EL1 (D19.2.61): instructions, no state. */
static const struct id_field isar0[] = {
    FCOPY(4),  /* AES */    FCOPY(8),  /* SHA1 */  FCOPY(12), /* SHA2 */
    FCOPY(16), /* CRC32 */  FCOPY(20), /* Atomic */
    /* TME [27:24]: 0 (transactional state is not switched) */
    FCOPY(28), /* RDM */    FCOPY(32), /* SHA3 */  FCOPY(36), /* SM3 */
    FCOPY(40), /* SM4 */    FCOPY(44), /* DP */    FCOPY(48), /* FHM */
    FCOPY(52), /* TS */     FCOPY(56), /* TLB */   FCOPY(60), /* RNDR */
};

/* ID_AA64ISAR1_EL1 (D19.2.62) */
static const struct id_field isar1[] = {
    FCOPY(0),  /* DPB */
    FPAUTH(4), /* APA */    FPAUTH(8), /* API */
    FCOPY(12), /* JSCVT */  FCOPY(16), /* FCMA */  FCOPY(20), /* LRCPC */
    FPAUTH(24), /* GPA */   FPAUTH(28), /* GPI */
    FCOPY(32), /* FRINTTS */ FCOPY(36), /* SB */   FCOPY(40), /* SPECRES */
    FCOPY(44), /* BF16 */   FCOPY(48), /* DGH */   FCOPY(52), /* I8MM */
    /* XS [59:56], LS64 [63:60]: 0 (both need HCRX_EL2, not set up) */
};

/* ID_AA64ISAR2_EL1 (D19.2.63) */
static const struct id_field isar2[] = {
    /* WFxT [3:0]: 0 (a trapped WFIT would lose its timeout) */
    FCOPY(4),   /* RPRES */
    FPAUTH(8),  /* GPA3 */  FPAUTH(12), /* APA3 */
    /* MOPS [19:16]: 0 (needs HCRX_EL2.MSCEn) */
    FCOPY(20),  /* BC */    FPAUTH(24), /* PAC_frac */ FCOPY(28), /* CLRBHB */
};

/* ID_AA64MMFR0_EL1 (D19.2.66) */
static const struct id_field mmfr0[] = {
    { 0, F_PARANGE, 0 },        /* PARange: the guest's IPA size */
    FCOPY(4),  /* ASIDBits */
    /* BigEnd [11:8], BigEndEL0 [19:16]: 0 — granite's MMIO emulation does
     * not byte-swap for SCTLR_EL1.EE/E0E, so mixed endianness is hidden */
    FCOPY(12), /* SNSMem */     FCOPY(20), /* TGran16 */
    FCOPY(24), /* TGran64 (signed) */ FCOPY(28), /* TGran4 (signed) */
    /* TGran*_2 [43:32]: 0 = "as the stage-1 fields", the guest has no stage 2 */
    FCOPY(44), /* ExS */
    /* FGT [59:56], ECV [63:60]: 0 (EL2 features) */
};

/* ID_AA64MMFR1_EL1 (D19.2.67) */
static const struct id_field mmfr1[] = {
    FCOPY(0),  /* HAFDBS */
    /* VMIDBits [7:4], VH [11:8]: 0 */
    FCOPY(12), /* HPDS */
    /* LO [19:16]: 0 (HCR_EL2.TLOR) */
    FCOPY(20), /* PAN */
    /* SpecSEI, XNX, TWED: 0 */
    FCOPY(36), /* ETS */
    /* HCX [43:40]: 0 */
    FCOPY(44), /* AFP: FPCR bits, switched */
    FCOPY(48), /* nTLBPA */
    /* TIDCP1 [55:52]: 0 */
    FCOPY(56), /* CMOW */
    FCOPY(60), /* ECBHB */
};

/* ID_AA64MMFR2_EL1 (D19.2.68) */
static const struct id_field mmfr2[] = {
    FCOPY(0),  /* CnP */   FCOPY(4),  /* UAO */
    /* LSM [11:8]: 0 */
    FCOPY(12), /* IESB */  FCOPY(16), /* VARange */ FCOPY(20), /* CCIDX */
    /* NV [27:24]: 0 */
    FCOPY(28), /* ST */    FCOPY(32), /* AT */
    /* IDS [39:36], FWB [43:40]: 0 */
    FCOPY(48), /* TTL */   FCOPY(52), /* BBM */
    /* EVT [59:56]: 0 */
    FCOPY(60), /* E0PD */
};

struct id_reg_rule {
    unsigned enc;
    const struct id_field *fields;
    unsigned nr;
};

#define RULE(enc, tbl) { enc, tbl, ARRAY_SIZE(tbl) }

/* Every register not listed (the AArch32 ID registers -- EL0 and EL1 are
 * AArch64-only --, ZFR0, SMFR0, PFR2, FPFR0, DFR1, AFR0/1, MMFR3/4 and the
 * reserved encodings) reads as 0. */
static const struct id_reg_rule rules[] = {
    RULE(ID_AA64PFR0, pfr0),   RULE(ID_AA64PFR1, pfr1),   RULE(ID_AA64DFR0, dfr0),
    RULE(ID_AA64ISAR0, isar0), RULE(ID_AA64ISAR1, isar1), RULE(ID_AA64ISAR2, isar2),
    RULE(ID_AA64MMFR0, mmfr0), RULE(ID_AA64MMFR1, mmfr1), RULE(ID_AA64MMFR2, mmfr2),
};

static u64 field_value(const struct id_field *f, u64 host, const struct id_caps *caps)
{
    u64 h = (host >> f->shift) & 0xf;

    switch (f->kind) {
    case F_MAX:
        return MIN(h, (u64)f->val);
    case F_FIXED:
        return f->val;
    case F_PAUTH:
        return caps->pauth ? h : 0;
    case F_PARANGE:
        return MIN(h, (u64)caps->parange);
    case F_GIC:
        return caps->gic_sysreg ? MIN(h, (u64)f->val) : 0;
    }
    return 0;
}

u64 id_reg_sanitise(unsigned enc, u64 host, const struct id_caps *caps)
{
    for (unsigned i = 0; i < ARRAY_SIZE(rules); i++) {
        u64 out = 0;
        if (rules[i].enc != enc)
            continue;
        for (unsigned j = 0; j < rules[i].nr; j++) {
            const struct id_field *f = &rules[i].fields[j];
            out |= field_value(f, host, caps) << f->shift;
        }
        return out;
    }
    return 0;
}

/* PARange encodings (D19.2.66): 0 = 32 bits, 1 = 36, 2 = 40, 3 = 42, 4 = 44,
 * 5 = 48, 6 = 52. */
unsigned id_parange_for_bits(unsigned bits)
{
    static const u8 sizes[] = { 32, 36, 40, 42, 44, 48, 52 };
    unsigned code = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
        if (sizes[i] <= bits)
            code = i;
    return code;
}

bool id_host_has_pauth(u64 isar1, u64 isar2)
{
    /* Both the address keys and the generic key must be there: granite
     * switches all five pairs and advertises both kinds. */
    bool addr = FIELD_GET(ISAR1_APA, isar1) || FIELD_GET(ISAR1_API, isar1) ||
                FIELD_GET(ISAR2_APA3, isar2);
    bool generic = FIELD_GET(ISAR1_GPA, isar1) || FIELD_GET(ISAR1_GPI, isar1) ||
                   FIELD_GET(ISAR2_GPA3, isar2);
    return addr && generic;
}

#ifndef HOST_TEST
#include <granite/gic.h>
#include "sysregs.h"

static u64 host_id[ID_SPACE_CRM * ID_SPACE_OP2];
static u64 guest_id[ID_SPACE_CRM * ID_SPACE_OP2];

/* The registers of CRm = 1..7 by their generic names: every encoding there is
 * either a register or reserved, RAZ (D19.1), so reading all of them is safe.
 * CRm = 0 holds MIDR/MPIDR/REVIDR (virtualised through VPIDR/VMPIDR, not
 * trapped by TID3) and unallocated encodings granite does not touch. */
#define RD(crm, op2) case ID_ENC(crm, op2): return read_sysreg(S3_0_C0_C##crm##_##op2);
#define RD_ROW(crm) RD(crm, 0) RD(crm, 1) RD(crm, 2) RD(crm, 3) RD(crm, 4) RD(crm, 5) \
                    RD(crm, 6) RD(crm, 7)

static u64 read_host_id(unsigned enc)
{
    switch (enc) {
    RD_ROW(1) RD_ROW(2) RD_ROW(3) RD_ROW(4) RD_ROW(5) RD_ROW(6) RD_ROW(7)
    }
    return 0;
}

void id_regs_init(unsigned ipa_bits)
{
    struct id_caps caps;

    for (unsigned enc = ID_ENC(1, 0); enc < ID_SPACE_CRM * ID_SPACE_OP2; enc++)
        host_id[enc] = read_host_id(enc);
    caps.pauth = id_host_has_pauth(host_id[ID_AA64ISAR1], host_id[ID_AA64ISAR2]);
    caps.parange = id_parange_for_bits(ipa_bits);
    caps.gic_sysreg = gic_host()->version == GIC_V3;   /* the guests' vGIC follows the host */
    for (unsigned enc = 0; enc < ID_SPACE_CRM * ID_SPACE_OP2; enc++)
        guest_id[enc] = id_reg_sanitise(enc, host_id[enc], &caps);
}

u64 id_reg_host_value(unsigned enc)
{
    return enc < ID_SPACE_CRM * ID_SPACE_OP2 ? host_id[enc] : 0;
}

u64 id_reg_guest_value(unsigned crm, unsigned op2)
{
    if (crm >= ID_SPACE_CRM || op2 >= ID_SPACE_OP2)
        return 0;
    if (crm == 0) {
        switch (op2) {
        case 0: return read_sysreg(vpidr_el2);   /* MIDR_EL1 as the guest sees it */
        case 5: return read_sysreg(vmpidr_el2);  /* MPIDR_EL1 */
        case 6: return read_sysreg(revidr_el1);  /* REVIDR_EL1 */
        default: return 0;
        }
    }
    return guest_id[ID_ENC(crm, op2)];
}
#endif
