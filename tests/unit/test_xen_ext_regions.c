/*
 * test_xen_ext_regions.c — host unit tests of core/xen_ext_regions.c: holes
 * between busy ranges, 2 MiB trimming, the 64 MiB minimum, sorting,
 * overlapping busy ranges, the output limit, and the domU layout granite uses
 * (RAM at 0x40000000 in Xen's GUEST_RAM0 window, GUEST_RAM1 above 8 GiB).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <granite/xen_ext_regions.h>

#define MiB (1UL << 20)
#define GiB (1UL << 30)

static void test_holes_basic(void **state)
{
    struct ext_range busy[] = { { 3 * GiB, GiB }, { 0, GiB + 1 }, { 1536 * MiB, 10 * MiB } };
    struct ext_range out[8];
    unsigned n = 0;
    (void)state;
    assert_int_equal(xen_ext_regions_find(busy, 3, 0, 8 * GiB, out, &n, 8), 3);
    assert_int_equal(n, 3);
    /* [1 GiB + 1, 1.5 GiB): start rounded up to 2 MiB */
    assert_int_equal(out[0].start, GiB + 2 * MiB);
    assert_int_equal(out[0].start + out[0].size, 1536 * MiB);
    assert_int_equal(out[1].start, 1546 * MiB);
    assert_int_equal(out[1].start + out[1].size, 3 * GiB);
    assert_int_equal(out[2].start, 4 * GiB);
    assert_int_equal(out[2].size, 4 * GiB);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(out[i].start % (2 * MiB), 0);
        assert_int_equal(out[i].size % (2 * MiB), 0);
        assert_true(out[i].size >= 64 * MiB);
        if (i)
            assert_true(out[i].start >= out[i - 1].start + out[i - 1].size);
    }
}

static void test_small_and_overlapping(void **state)
{
    /* Overlapping busy ranges, a 63 MiB hole (dropped) and a 64 MiB one (kept). */
    struct ext_range busy[] = { { 0, 100 * MiB }, { 50 * MiB, 100 * MiB },
                                { 213 * MiB, 101 * MiB }, { 378 * MiB, GiB } };
    struct ext_range out[8];
    unsigned n = 0;
    (void)state;
    assert_int_equal(xen_ext_regions_find(busy, 4, 0, 378 * MiB + GiB, out, &n, 8), 1);
    assert_int_equal(out[0].start, 314 * MiB); /* [150, 213) was 63 MiB: dropped */
    assert_int_equal(out[0].size, 64 * MiB);
    /* One byte less and it is gone too. */
    busy[0] = (struct ext_range){ 0, 100 * MiB };
    busy[1] = (struct ext_range){ 50 * MiB, 100 * MiB };
    busy[2] = (struct ext_range){ 213 * MiB, 101 * MiB + 1 };
    busy[3] = (struct ext_range){ 378 * MiB, GiB };
    n = 0;
    assert_int_equal(xen_ext_regions_find(busy, 4, 0, 378 * MiB + GiB, out, &n, 8), 0);
}

static void test_limit(void **state)
{
    struct ext_range busy[] = { { GiB, MiB }, { 2 * GiB, MiB }, { 3 * GiB, MiB } };
    struct ext_range out[2];
    unsigned n = 0;
    (void)state;
    assert_int_equal(xen_ext_regions_find(busy, 3, 0, 4 * GiB, out, &n, 2), 2);
    assert_int_equal(n, 2);
}

/* The domU case: 256 MiB of RAM at 0x40000000 in GUEST_RAM0 [1 GiB, 4 GiB),
 * then GUEST_RAM1 [8 GiB, 1 TiB): one hole above RAM, and the whole RAM1
 * window, which holds 128 MiB-aligned 128 MiB blocks. */
static void test_domu_windows(void **state)
{
    struct ext_range ram = { GiB, 256 * MiB }, out[4];
    unsigned n = 0;
    (void)state;
    xen_ext_regions_find(&ram, 1, GiB, 4 * GiB, out, &n, 4);
    xen_ext_regions_find(&ram, 1, 8 * GiB, 1UL << 40, out, &n, 4);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].start, GiB + 256 * MiB);
    assert_int_equal(out[0].start + out[0].size, 4 * GiB);
    assert_int_equal(out[1].start, 8 * GiB);
    assert_int_equal(out[1].start % (128 * MiB), 0);
    assert_true(out[1].size >= 128 * MiB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holes_basic),
        cmocka_unit_test(test_small_and_overlapping),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_domu_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
