/*
 * test_iommu_inval.c — host tests of what a batch owes the IOTLB and the
 * by-address / whole-context decision (core/iommu_inval.c), with the SMMUv3's
 * own count of range commands (drivers/smmuv3_format.c) standing in for a
 * unit with SMMU_IDR3.RIL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <granite/iommu_inval.h>
#include <granite/smmuv3_hw.h>

#define unused __attribute__((unused))
#define PG 0x1000UL

static struct iommu_inval_set set;

static int reset(void **state unused)
{
    iommu_inval_reset(&set);
    return 0;
}

/* Adjacent and overlapping pages merge into one range, in any order. */
static void test_ranges_merge(void **state unused)
{
    iommu_inval_add(&set, iova(0x40000000), PG);
    iommu_inval_add(&set, iova(0x40001000), PG);      /* abuts above */
    iommu_inval_add(&set, iova(0x3ffff000), PG);      /* abuts below */
    iommu_inval_add(&set, iova(0x40000000), 2 * PG);  /* inside */
    assert_int_equal(set.n, 1);
    assert_int_equal(iova_addr(set.r[0].start), 0x3ffff000);
    assert_int_equal(set.r[0].pages, 3);
    iommu_inval_add(&set, iova(0x50000000), PG);      /* apart */
    assert_int_equal(set.n, 2);
    assert_false(set.all);
}

/* A page that bridges two runs joins them into one. */
static void test_bridging_page_joins_runs(void **state unused)
{
    iommu_inval_add(&set, iova(0x40000000), PG);
    iommu_inval_add(&set, iova(0x50000000), PG);
    iommu_inval_add(&set, iova(0x40002000), PG);
    assert_int_equal(set.n, 3);
    iommu_inval_add(&set, iova(0x40001000), PG);
    assert_int_equal(set.n, 2);
    assert_int_equal(iommu_inval_cmds(&set, NULL), 4);
    assert_int_equal(iommu_inval_cmds(&set, smmu_tlbi_range_cmds), 2);
    for (unsigned i = 0; i < set.n; i++)
        if (iova_addr(set.r[i].start) == 0x40000000)
            assert_int_equal(set.r[i].pages, 3);
}

/* An unaligned address or size covers every page it touches. */
static void test_partial_pages_round_out(void **state unused)
{
    iommu_inval_add(&set, iova(0x40000ff0), 0x20);
    assert_int_equal(iova_addr(set.r[0].start), 0x40000000);
    assert_int_equal(set.r[0].pages, 2);
    iommu_inval_add(&set, iova(0x60000000), 0);       /* nothing changed: nothing owed */
    assert_int_equal(set.n, 1);
}

/* More distinct ranges than the set holds: only the whole context will do. */
static void test_overflow_means_whole(void **state unused)
{
    for (unsigned i = 0; i <= IOMMU_INVAL_RANGES; i++)
        iommu_inval_add(&set, iova(0x40000000 + i * 0x100000UL), PG);
    assert_true(set.all);
    assert_int_equal(iommu_inval_cmds(&set, NULL), ~0U);
    assert_false(iommu_inval_by_range(&set, smmu_tlbi_range_cmds, 1000));
    iommu_inval_reset(&set);
    assert_false(set.all);
    assert_int_equal(set.n, 0);
}

/* Without range invalidation each page is a command; with it, a contiguous
 * run is one (up to 32 units of 2^SCALE pages). */
static void test_command_counts(void **state unused)
{
    iommu_inval_add(&set, iova(0x40000000), 64 * PG);
    iommu_inval_add(&set, iova(0x80000000), 3 * PG);
    assert_int_equal(iommu_inval_cmds(&set, NULL), 67);
    assert_int_equal(iommu_inval_cmds(&set, smmu_tlbi_range_cmds), 2);
}

/* The decision at IOMMU_INVAL_MAX_CMDS (1, measured): one page, or one
 * contiguous run on a unit with RIL, goes by address; issue 13's 64-grant
 * batch with its 1:1 entries (two runs of 64 pages) goes whole (one command
 * either way); with gnttab_iommu=sync (one run) by address with RIL. */
static void test_decision_at_the_measured_threshold(void **state unused)
{
    assert_int_equal(IOMMU_INVAL_MAX_CMDS, 1);
    iommu_inval_add(&set, iova(0x38000000), 64 * PG);  /* the grant IPAs */
    assert_true(iommu_inval_by_range(&set, smmu_tlbi_range_cmds, IOMMU_INVAL_MAX_CMDS));
    assert_false(iommu_inval_by_range(&set, NULL, IOMMU_INVAL_MAX_CMDS));
    iommu_inval_add(&set, iova(0x46280000), 64 * PG);  /* their 1:1 entries */
    assert_false(iommu_inval_by_range(&set, smmu_tlbi_range_cmds, IOMMU_INVAL_MAX_CMDS));

    iommu_inval_reset(&set);
    iommu_inval_add(&set, iova(0x38000000), PG);
    assert_true(iommu_inval_by_range(&set, NULL, IOMMU_INVAL_MAX_CMDS));
    iommu_inval_add(&set, iova(0x46280000), PG);       /* a netback packet: IPA + 1:1 */
    assert_false(iommu_inval_by_range(&set, NULL, IOMMU_INVAL_MAX_CMDS));
    assert_false(iommu_inval_by_range(&set, smmu_tlbi_range_cmds, IOMMU_INVAL_MAX_CMDS));
    /* the threshold is a parameter: at 2, the two runs would go by address */
    assert_true(iommu_inval_by_range(&set, smmu_tlbi_range_cmds, 2));
}

/* An empty set is not a reason for commands (the caller flushes whole or
 * not at all: it asks only when something is owed). */
static void test_empty_set_costs_nothing(void **state unused)
{
    assert_int_equal(iommu_inval_cmds(&set, NULL), 0);
    assert_int_equal(iommu_inval_cmds(&set, smmu_tlbi_range_cmds), 0);
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ranges_merge),
        T(test_bridging_page_joins_runs),
        T(test_partial_pages_round_out),
        T(test_overflow_means_whole),
        T(test_command_counts),
        T(test_decision_at_the_measured_threshold),
        T(test_empty_set_costs_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
