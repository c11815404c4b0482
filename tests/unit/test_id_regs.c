/*
 * test_id_regs.c — host tests of the ID-register sanitiser
 * (arch/arm64/id_regs.c).
 *
 * The expectations are written out field by field from the Arm ARM (DDI 0487,
 * D19.2, the ID_AA64* register descriptions), independently of the code's
 * tables: for each register, the host value is "everything implemented" (every
 * 4-bit field 0x1 or more) and the test names which fields must come through,
 * which must read 0 and which are capped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../arch/arm64/id_regs.h"

static const struct id_caps caps_pauth = { .pauth = true, .parange = 5 /* 48 bits */,
                                           .gic_sysreg = true };
static const struct id_caps caps_nopauth = { .pauth = false, .parange = 2 /* 40 bits */,
                                             .gic_sysreg = true };
/* A GICv2 host: the vGIC is a GICv2, no ICC_* registers to advertise. */
static const struct id_caps caps_gicv2 = { .pauth = true, .parange = 5, .gic_sysreg = false };

static unsigned field(u64 v, unsigned shift) { return (unsigned)((v >> shift) & 0xf); }

/* A host where every field says 0x2 (something implemented, above the v8.0
 * value where there is one). */
#define ALL_TWO 0x2222222222222222UL
#define ALL_F 0xffffffffffffffffUL

static void test_pfr0(void **state)
{
    (void)state;
    u64 g = id_reg_sanitise(ID_AA64PFR0, ALL_TWO, &caps_pauth);

    assert_int_equal(field(g, 0), 1);   /* EL0: AArch64 only */
    assert_int_equal(field(g, 4), 1);   /* EL1: AArch64 only */
    assert_int_equal(field(g, 8), 0);   /* EL2: not for the guest */
    assert_int_equal(field(g, 12), 0);  /* EL3 */
    assert_int_equal(field(g, 16), 2);  /* FP: switched */
    assert_int_equal(field(g, 20), 2);  /* AdvSIMD */
    assert_int_equal(field(g, 24), 1);  /* GIC: system registers v3.0/4.0 only */
    assert_int_equal(field(g, 28), 0);  /* RAS */
    assert_int_equal(field(g, 32), 0);  /* SVE */
    assert_int_equal(field(g, 36), 0);  /* SEL2 */
    assert_int_equal(field(g, 40), 0);  /* MPAM */
    assert_int_equal(field(g, 44), 0);  /* AMU */
    assert_int_equal(field(g, 48), 2);  /* DIT */
    assert_int_equal(field(g, 52), 0);  /* RME */
    assert_int_equal(field(g, 56), 1);  /* CSV2: capped, 2 would promise SCXTNUM_ELx */
    assert_int_equal(field(g, 60), 2);  /* CSV3 */
    /* FP/AdvSIMD "not implemented" (0xf) comes through as such */
    g = id_reg_sanitise(ID_AA64PFR0, ALL_F, &caps_pauth);
    assert_int_equal(field(g, 16), 0xf);
    assert_int_equal(field(g, 20), 0xf);
    /* a host with AArch64-only EL0/EL1 (0x1) stays so */
    g = id_reg_sanitise(ID_AA64PFR0, 0x11, &caps_pauth);
    assert_int_equal(g, 0x11);
}

/* On a GICv2 host the vGIC has no system-register interface: GIC reads 0
 * even when the CPU implements ICC_* (a GIC-400 beside a core that has it). */
static void test_pfr0_gic_on_gicv2_host(void **state)
{
    (void)state;
    u64 g = id_reg_sanitise(ID_AA64PFR0, ALL_TWO, &caps_gicv2);

    assert_int_equal(field(g, 24), 0);
    assert_int_equal(field(g, 16), 2);  /* the rest as on any host */
    assert_int_equal(field(g, 0), 1);
}

static void test_pfr1(void **state)
{
    (void)state;
    u64 g = id_reg_sanitise(ID_AA64PFR1, ALL_TWO, &caps_pauth);

    assert_int_equal(field(g, 0), 2);   /* BT */
    assert_int_equal(field(g, 4), 2);   /* SSBS */
    assert_int_equal(field(g, 8), 0);   /* MTE */
    assert_int_equal(field(g, 12), 0);  /* RAS_frac */
    assert_int_equal(field(g, 16), 0);  /* MPAM_frac */
    assert_int_equal(field(g, 24), 0);  /* SME */
    assert_int_equal(field(g, 28), 0);  /* RNDR_trap */
    assert_int_equal(field(g, 32), 1);  /* CSV2_frac: capped, 2 is CSV2_1p2 (SCXTNUM_ELx) */
    assert_int_equal(field(g, 36), 0);  /* NMI */
    assert_int_equal(g >> 40, 0);       /* MTE_frac, GCS, THE, MTEX, DF2, PFAR */
}

static void test_dfr0(void **state)
{
    (void)state;
    u64 g = id_reg_sanitise(ID_AA64DFR0, 0x2222222222222229UL, &caps_pauth);

    assert_int_equal(field(g, 0), 6);   /* DebugVer: capped at Armv8.0 debug */
    assert_int_equal(field(g, 4), 0);   /* TraceVer */
    assert_int_equal(field(g, 8), 0);   /* PMUVer */
    assert_int_equal(field(g, 12), 2);  /* BRPs: switched */
    assert_int_equal(field(g, 16), 0);  /* PMSS */
    assert_int_equal(field(g, 20), 2);  /* WRPs */
    assert_int_equal(field(g, 28), 2);  /* CTX_CMPs */
    assert_int_equal(field(g, 32), 0);  /* PMSVer (SPE) */
    assert_int_equal(field(g, 36), 0xf);/* DoubleLock: not implemented */
    assert_int_equal(field(g, 40), 0);  /* TraceFilt */
    assert_int_equal(field(g, 44), 0);  /* TraceBuffer (TRBE) */
    assert_int_equal(field(g, 48), 0);  /* MTPMU */
    assert_int_equal(field(g, 52), 0);  /* BRBE */
    assert_int_equal(field(g, 60), 0);  /* HPMN0 */
    /* DebugVer below the cap passes unchanged */
    assert_int_equal(field(id_reg_sanitise(ID_AA64DFR0, 0x6, &caps_pauth), 0), 6);
}

static void test_isar(void **state)
{
    (void)state;
    u64 g0 = id_reg_sanitise(ID_AA64ISAR0, ALL_TWO, &caps_pauth);
    u64 g1 = id_reg_sanitise(ID_AA64ISAR1, ALL_TWO, &caps_pauth);
    u64 g1n = id_reg_sanitise(ID_AA64ISAR1, ALL_TWO, &caps_nopauth);
    u64 g2 = id_reg_sanitise(ID_AA64ISAR2, ALL_TWO, &caps_pauth);
    u64 g2n = id_reg_sanitise(ID_AA64ISAR2, ALL_TWO, &caps_nopauth);

    assert_int_equal(field(g0, 0), 0);  /* RES0 */
    assert_int_equal(field(g0, 4), 2);  /* AES */
    assert_int_equal(field(g0, 20), 2); /* Atomic */
    assert_int_equal(field(g0, 24), 0); /* TME */
    assert_int_equal(field(g0, 60), 2); /* RNDR */
    assert_int_equal(field(g1, 4), 2);  /* APA */
    assert_int_equal(field(g1, 8), 2);  /* API */
    assert_int_equal(field(g1, 24), 2); /* GPA */
    assert_int_equal(field(g1, 28), 2); /* GPI */
    assert_int_equal(field(g1, 56), 0); /* XS */
    assert_int_equal(field(g1, 60), 0); /* LS64 */
    assert_int_equal(field(g1n, 4), 0); /* no switched keys: no pointer authentication */
    assert_int_equal(field(g1n, 8), 0);
    assert_int_equal(field(g1n, 24), 0);
    assert_int_equal(field(g1n, 28), 0);
    assert_int_equal(field(g1n, 12), 2); /* JSCVT is an instruction: kept */
    assert_int_equal(field(g2, 0), 0);  /* WFxT */
    assert_int_equal(field(g2, 8), 2);  /* GPA3 */
    assert_int_equal(field(g2, 12), 2); /* APA3 */
    assert_int_equal(field(g2, 16), 0); /* MOPS */
    assert_int_equal(field(g2, 24), 2); /* PAC_frac */
    assert_int_equal(field(g2n, 8), 0);
    assert_int_equal(field(g2n, 12), 0);
    assert_int_equal(field(g2n, 24), 0);
}

static void test_mmfr(void **state)
{
    (void)state;
    u64 g0 = id_reg_sanitise(ID_AA64MMFR0, 0x2222222222222226UL, &caps_pauth);
    u64 g0s = id_reg_sanitise(ID_AA64MMFR0, 0x5, &caps_nopauth);
    u64 g1 = id_reg_sanitise(ID_AA64MMFR1, ALL_TWO, &caps_pauth);
    u64 g2 = id_reg_sanitise(ID_AA64MMFR2, ALL_TWO, &caps_pauth);

    assert_int_equal(field(g0, 0), 5);  /* PARange: 52 on the host, 48 for the guest */
    assert_int_equal(field(g0s, 0), 2); /* a 40-bit IPA */
    assert_int_equal(field(g0, 4), 2);  /* ASIDBits */
    assert_int_equal(field(g0, 8), 0);  /* BigEnd: MMIO is not byte-swapped */
    assert_int_equal(field(g0, 16), 0); /* BigEndEL0 */
    assert_int_equal(field(g0, 12), 2); /* SNSMem */
    assert_int_equal(field(g0, 28), 2); /* TGran4 */
    assert_int_equal(field(g0, 32), 0); /* TGran16_2 */
    assert_int_equal(field(g0, 56), 0); /* FGT */
    assert_int_equal(field(g0, 60), 0); /* ECV */
    assert_int_equal(field(g1, 0), 2);  /* HAFDBS */
    assert_int_equal(field(g1, 4), 0);  /* VMIDBits */
    assert_int_equal(field(g1, 8), 0);  /* VH */
    assert_int_equal(field(g1, 16), 0); /* LO */
    assert_int_equal(field(g1, 20), 2); /* PAN */
    assert_int_equal(field(g1, 40), 0); /* HCX */
    assert_int_equal(field(g2, 0), 2);  /* CnP */
    assert_int_equal(field(g2, 24), 0); /* NV */
    assert_int_equal(field(g2, 36), 0); /* IDS */
    assert_int_equal(field(g2, 40), 0); /* FWB */
    assert_int_equal(field(g2, 56), 0); /* EVT */
}

/* Registers that are hidden entirely, and every reserved encoding. */
static void test_hidden_and_reserved(void **state)
{
    (void)state;
    static const unsigned zero[] = { ID_AA64ZFR0, ID_AA64SMFR0, ID_AA64PFR2, ID_AA64FPFR0,
                                     ID_AA64DFR1, ID_AA64AFR0, ID_AA64AFR1, ID_AA64MMFR3,
                                     ID_AA64MMFR4 };
    for (unsigned i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
        assert_int_equal(id_reg_sanitise(zero[i], ALL_F, &caps_pauth), 0);
    /* The AArch32 ID registers (CRm 1..3): EL0/EL1 are AArch64-only. */
    for (unsigned enc = ID_ENC(1, 0); enc < ID_ENC(4, 0); enc++)
        assert_int_equal(id_reg_sanitise(enc, ALL_F, &caps_pauth), 0);
    /* Reserved encodings in CRm 4..7. */
    static const unsigned reserved[] = { ID_ENC(4, 3), ID_ENC(4, 6), ID_ENC(5, 2), ID_ENC(5, 3),
                                         ID_ENC(5, 6), ID_ENC(5, 7), ID_ENC(6, 3), ID_ENC(6, 7),
                                         ID_ENC(7, 5), ID_ENC(7, 7) };
    for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        assert_int_equal(id_reg_sanitise(reserved[i], ALL_F, &caps_pauth), 0);
}

/* Nothing beyond the host: no field reads higher than the host's value
 * (except DoubleLock, whose "not implemented" is 0xf). */
static void test_never_above_host(void **state)
{
    (void)state;
    for (unsigned enc = 0; enc < ID_SPACE_CRM * ID_SPACE_OP2; enc++) {
        u64 g = id_reg_sanitise(enc, 0, &caps_pauth);
        if (enc == ID_AA64DFR0)
            assert_int_equal(g, 0xfUL << 36);
        else
            assert_int_equal(g, 0);
    }
}

static void test_helpers(void **state)
{
    (void)state;
    assert_int_equal(id_parange_for_bits(32), 0);
    assert_int_equal(id_parange_for_bits(39), 1);
    assert_int_equal(id_parange_for_bits(40), 2);
    assert_int_equal(id_parange_for_bits(44), 4);
    assert_int_equal(id_parange_for_bits(48), 5);
    assert_int_equal(id_parange_for_bits(52), 6);
    assert_true(id_host_has_pauth(0x11000010UL, 0));        /* APA + GPA */
    assert_true(id_host_has_pauth(0, 0x1100UL));             /* APA3 + GPA3 */
    assert_false(id_host_has_pauth(0x10UL, 0));              /* address keys only */
    assert_false(id_host_has_pauth(0, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pfr0),
        cmocka_unit_test(test_pfr0_gic_on_gicv2_host),
        cmocka_unit_test(test_pfr1),
        cmocka_unit_test(test_dfr0),
        cmocka_unit_test(test_isar),
        cmocka_unit_test(test_mmfr),
        cmocka_unit_test(test_hidden_and_reserved),
        cmocka_unit_test(test_never_above_host),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
