/*
 * test_gic_lr_format.c — host unit tests of arch/arm64/gic_lr_format.c: the
 * GICv3 ICH_LR<n>_EL2 and GICv2 GICH_LR<n> layouts of a struct gic_lr.
 * Expected words are written out here from the specifications (Arm IHI 0069
 * "ICH_LR<n>_EL2", Arm IHI 0048B §5.3.11 "GICH_LRn"), not from the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <granite/gic.h>

/* GICv3: vINTID 27, priority 0xa0, Group 1, pending. */
static void test_v3_software_pending(void **state unused)
{
    struct gic_lr lr = { .vintid = 27, .priority = 0xa0, .group1 = true, .pending = true };

    assert_int_equal(gic_v3_lr_encode(&lr), (1ULL << 62) | (1ULL << 60) | (0xa0ULL << 48) | 27);
    lr.eoi = true;
    lr.active = true;
    assert_int_equal(gic_v3_lr_encode(&lr),
                     (3ULL << 62) | (1ULL << 60) | (0xa0ULL << 48) | (1ULL << 41) | 27);
}

/* GICv3 HW: pINTID in [44:32], no EOI bit (it would be pINTID bit 9: 0x1fb has it clear). */
static void test_v3_hw(void **state unused)
{
    struct gic_lr lr = { .vintid = 40, .pintid = 0x1fb, .hw = true, .eoi = true, .pending = true };
    struct gic_lr back;
    u64 raw = gic_v3_lr_encode(&lr);

    assert_int_equal(raw, (1ULL << 62) | (1ULL << 61) | (0x1fbULL << 32) | 40);
    gic_v3_lr_decode(raw, &back);
    assert_true(back.hw);
    assert_false(back.eoi);
    assert_int_equal(back.pintid, 0x1fb);
    assert_int_equal(back.vintid, 40);
}

/* GICv2: VirtualID [9:0], Priority [27:23] = priority >> 3, State [29:28], Grp1 [30]. */
static void test_v2_software_pending(void **state unused)
{
    struct gic_lr lr = { .vintid = 27, .priority = 0xa0, .pending = true };

    assert_int_equal(gic_v2_lr_encode(&lr), (1u << 28) | (0x14u << 23) | 27);
    lr.group1 = true;
    lr.active = true;
    lr.eoi = true;   /* bit 19 when HW = 0 */
    assert_int_equal(gic_v2_lr_encode(&lr),
                     (1u << 30) | (3u << 28) | (0x14u << 23) | (1u << 19) | 27);
}

/* GICv2 HW: PhysicalID [19:10], HW [31]; the EOI request cannot be expressed (bit 19
 * is PhysicalID bit 9, clear in 0x1fb). */
static void test_v2_hw(void **state unused)
{
    struct gic_lr lr = { .vintid = 35, .pintid = 0x1fb, .priority = 0x80, .hw = true,
                         .eoi = true, .pending = true };
    struct gic_lr back;
    u64 raw = gic_v2_lr_encode(&lr);

    assert_int_equal(raw, (1u << 31) | (1u << 28) | (0x10u << 23) | (0x1fbu << 10) | 35);
    assert_true(raw <= 0xffffffffULL);   /* a 32-bit register */
    gic_v2_lr_decode(raw, &back);
    assert_true(back.hw);
    assert_false(back.eoi);
    assert_int_equal(back.pintid, 0x1fb);
    assert_int_equal(back.vintid, 35);
    assert_int_equal(back.priority, 0x80);
}

/* The low three priority bits do not exist in a GICH_LR. */
static void test_v2_priority_truncated(void **state unused)
{
    struct gic_lr lr = { .vintid = 1, .priority = 0xa7, .pending = true };
    struct gic_lr back;

    gic_v2_lr_decode(gic_v2_lr_encode(&lr), &back);
    assert_int_equal(back.priority, 0xa0);
}

/* What vgic_lr.c relies on: decode(encode(x)) gives x back (with the
 * GICv2 priority truncated), and encode(decode(raw)) is raw, so an LR it did
 * not change is not rewritten. */
static void test_round_trips(void **state unused)
{
    static const struct gic_lr cases[] = {
        { .vintid = 0, .pending = true },
        { .vintid = 31, .priority = 0xf8, .group1 = true, .active = true, .eoi = true },
        { .vintid = 95, .priority = 0x08, .pending = true, .active = true },
        { .vintid = 64, .pintid = 33, .hw = true, .active = true, .priority = 0x40 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gic_lr b3, b2;
        u64 r3 = gic_v3_lr_encode(&cases[i]), r2 = gic_v2_lr_encode(&cases[i]);

        gic_v3_lr_decode(r3, &b3);
        gic_v2_lr_decode(r2, &b2);
        assert_memory_equal(&b3, &cases[i], sizeof(b3));
        assert_memory_equal(&b2, &cases[i], sizeof(b2));   /* priorities are multiples of 8 */
        assert_int_equal(gic_v3_lr_encode(&b3), r3);
        assert_int_equal(gic_v2_lr_encode(&b2), r2);
    }
}

/* An empty LR (state invalid, all zero) decodes as nothing pending or active. */
static void test_zero_is_empty(void **state unused)
{
    struct gic_lr lr;

    gic_v3_lr_decode(0, &lr);
    assert_false(lr.pending || lr.active || lr.hw || lr.eoi);
    gic_v2_lr_decode(0, &lr);
    assert_false(lr.pending || lr.active || lr.hw || lr.eoi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v3_software_pending),
        cmocka_unit_test(test_v3_hw),
        cmocka_unit_test(test_v2_software_pending),
        cmocka_unit_test(test_v2_hw),
        cmocka_unit_test(test_v2_priority_truncated),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_zero_is_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
