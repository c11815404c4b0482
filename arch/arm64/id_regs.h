/*
 * id_regs.h — what a guest reads from the ID registers (arch/arm64/id_regs.c).
 *
 * The sanitiser is a pure function of the host's value and a few facts about
 * what granite switches (struct id_caps), so it is unit-tested on the host
 * (tests/unit/test_id_regs.c).
 */
#ifndef ARCH_ARM64_ID_REGS_H
#define ARCH_ARM64_ID_REGS_H

#include <granite/types.h>

/* The ID space: op0 = 3, op1 = 0, CRn = 0, CRm = 0..7, op2 = 0..7 (Arm ARM
 * D19.1, "The ID register space"; reserved encodings there read as zero). */
#define ID_SPACE_CRM 8
#define ID_SPACE_OP2 8
#define ID_ENC(crm, op2) ((crm) * ID_SPACE_OP2 + (op2))

#define ID_AA64PFR0 ID_ENC(4, 0)
#define ID_AA64PFR1 ID_ENC(4, 1)
#define ID_AA64PFR2 ID_ENC(4, 2)
#define ID_AA64ZFR0 ID_ENC(4, 4)
#define ID_AA64SMFR0 ID_ENC(4, 5)
#define ID_AA64FPFR0 ID_ENC(4, 7)
#define ID_AA64DFR0 ID_ENC(5, 0)
#define ID_AA64DFR1 ID_ENC(5, 1)
#define ID_AA64AFR0 ID_ENC(5, 4)
#define ID_AA64AFR1 ID_ENC(5, 5)
#define ID_AA64ISAR0 ID_ENC(6, 0)
#define ID_AA64ISAR1 ID_ENC(6, 1)
#define ID_AA64ISAR2 ID_ENC(6, 2)
#define ID_AA64MMFR0 ID_ENC(7, 0)
#define ID_AA64MMFR1 ID_ENC(7, 1)
#define ID_AA64MMFR2 ID_ENC(7, 2)
#define ID_AA64MMFR3 ID_ENC(7, 3)
#define ID_AA64MMFR4 ID_ENC(7, 4)

/* Field positions the rest of granite needs (Arm ARM D19.2). */
#define PFR0_RAS GENMASK(31, 28)
#define PFR1_MTE GENMASK(11, 8)
#define DFR0_PMUVER GENMASK(11, 8)
#define DFR0_BRPS GENMASK(15, 12)
#define DFR0_WRPS GENMASK(23, 20)
#define DFR0_PMSVER GENMASK(35, 32)
#define DFR0_TRACEFILT GENMASK(43, 40)
#define DFR0_TRACEBUFFER GENMASK(47, 44)
#define ISAR1_APA GENMASK(7, 4)
#define ISAR1_API GENMASK(11, 8)
#define ISAR1_GPA GENMASK(27, 24)
#define ISAR1_GPI GENMASK(31, 28)
#define ISAR2_GPA3 GENMASK(11, 8)
#define ISAR2_APA3 GENMASK(15, 12)
#define MMFR0_PARANGE_F GENMASK(3, 0)

/* What granite provides, as far as the ID registers are concerned. */
struct id_caps {
    bool pauth;          /* the five key pairs are switched and HCR_EL2.API/APK set */
    unsigned parange;    /* largest ID_AA64MMFR0.PARange the guest's IPA space covers */
    bool gic_sysreg;     /* the vGIC is a GICv3: its CPU interface is the ICC_* registers */
};

/* The value a guest reads for ID register `enc` (ID_ENC) when the host reads `host`. */
u64 id_reg_sanitise(unsigned enc, u64 host, const struct id_caps *caps);
/* The PARange encoding for an IPA size in bits (the largest size not above it). */
unsigned id_parange_for_bits(unsigned bits);
/* Whether the host implements pointer authentication (from ISAR1/ISAR2). */
bool id_host_has_pauth(u64 isar1, u64 isar2);

/* Hypervisor side (not in the unit test): snapshot the host's values on the
 * boot CPU and answer a trapped read. */
void id_regs_init(unsigned ipa_bits);
u64 id_reg_guest_value(unsigned crm, unsigned op2);
u64 id_reg_host_value(unsigned enc);

#endif
