/*
 * test_iommu_policy.c — host tests of the IOMMU policy decision
 * (core/iommu_policy.c): every combination of the boot options against every
 * kind of hardware, checked against the brief's table and Xen's formulas.
 *
 * The oracle below is written independently of the code under test, from the
 * brief and from xen/drivers/passthrough/iommu.c and
 * xen/arch/arm/include/asm/grant_table.h as documented in
 * ../shared/reference/xen-facts.md:
 *   need_sync = (!hwdom || strict) ? !use_hap_pt : false
 *   gnttab_need_iommu_mapping: direct -> direct_mapped; sync -> direct_mapped && need_sync
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <granite/iommu_policy.h>
#include <granite/errno.h>

#define U IOMMU_OPT_UNSET

static const struct iommu_hw hw_s2 = { .present = true, .stage2 = true, .stage1 = true };
static const struct iommu_hw hw_s1 = { .present = true, .stage2 = false, .stage1 = true };
static const struct iommu_hw hw_none = { .present = false };

static struct iommu_request req(int iommu, int pt, int gnt, int dom0, int flush, int feat)
{
    return (struct iommu_request){ iommu, pt, gnt, dom0, flush, feat };
}

static int resolve(const struct iommu_request *r, const struct iommu_hw *hw,
                   struct iommu_policy *p, const char **why)
{
    const char *note;
    return iommu_policy_resolve(r, hw, p, why, &note);
}

/* The defaults on QEMU's nested SMMU: Xen/ARM after the fix. */
static void test_defaults_with_stage2(void **state)
{
    (void)state;
    struct iommu_request r = req(U, U, U, U, U, U);
    struct iommu_policy p;
    const char *why;

    assert_int_equal(resolve(&r, &hw_s2, &p, &why), 0);
    assert_true(p.enabled);
    assert_int_equal(p.pt, IOMMU_PT_SHARED);
    assert_int_equal(p.gnttab, GNTTAB_IOMMU_DIRECT);
    assert_int_equal(p.dom0, DOM0_IOMMU_STRICT);
    assert_int_equal(p.flush, IOMMU_FLUSH_BATCHED);
    assert_false(p.feat_dom0);
    assert_false(p.stage1);
    /* Xen on ARM: need_sync is false (tables shared), and the fixed rule still maps grants. */
    assert_false(iommu_need_sync(&p, true));
    assert_true(iommu_gnttab_need_mapping(&p, true, true));
}

static void test_defaults_without_smmu(void **state)
{
    (void)state;
    struct iommu_request r = req(U, U, U, U, U, U);
    struct iommu_policy p;
    const char *why;

    assert_int_equal(resolve(&r, &hw_none, &p, &why), 0);
    assert_false(p.enabled);
    assert_false(iommu_need_sync(&p, true));
    assert_false(iommu_gnttab_need_mapping(&p, true, true));
}

static void test_iommu_on_without_smmu_is_refused(void **state)
{
    (void)state;
    struct iommu_request r = req(1, U, U, U, U, U);
    struct iommu_policy p;
    const char *why;

    assert_int_equal(resolve(&r, &hw_none, &p, &why), -EINVAL);
    assert_non_null(strstr(why, "no SMMU"));
}

/* Seed 000: shared tables + the regressed rule = no 1:1 grant mapping. */
static void test_seed000_regression_combination(void **state)
{
    (void)state;
    struct iommu_request r = req(1, IOMMU_PT_SHARED, GNTTAB_IOMMU_SYNC, U, U, U);
    struct iommu_policy p;
    const char *why;

    assert_int_equal(resolve(&r, &hw_s2, &p, &why), 0);
    assert_false(iommu_gnttab_need_mapping(&p, true, true));
    r.gnttab_iommu = GNTTAB_IOMMU_DIRECT;
    assert_int_equal(resolve(&r, &hw_s2, &p, &why), 0);
    assert_true(iommu_gnttab_need_mapping(&p, true, true));
}

static void test_stage1_only_smmu(void **state)
{
    (void)state;
    struct iommu_request r = req(U, U, U, U, U, U);
    struct iommu_policy p;
    const char *why;

    assert_int_equal(resolve(&r, &hw_s1, &p, &why), 0);
    assert_true(p.enabled);
    assert_int_equal(p.pt, IOMMU_PT_SEPARATE);
    assert_true(p.stage1);
    r.iommu_pt = IOMMU_PT_SHARED;
    assert_int_equal(resolve(&r, &hw_s1, &p, &why), -EINVAL);
    assert_non_null(strstr(why, "no stage 2"));
}

static void test_relaxed_needs_separate(void **state)
{
    (void)state;
    struct iommu_request r = req(U, U, U, DOM0_IOMMU_RELAXED, U, U);
    struct iommu_policy p;
    const char *why;

    assert_int_equal(resolve(&r, &hw_s2, &p, &why), 0);
    assert_int_equal(p.pt, IOMMU_PT_SEPARATE); /* the default follows relaxed */
    r.iommu_pt = IOMMU_PT_SHARED;
    assert_int_equal(resolve(&r, &hw_s2, &p, &why), -EINVAL);
    assert_non_null(strstr(why, "relaxed"));
}

static void test_off_notes_ignored_options(void **state)
{
    (void)state;
    struct iommu_request r = req(0, IOMMU_PT_SEPARATE, U, U, U, 1);
    struct iommu_policy p;
    const char *why, *note;

    assert_int_equal(iommu_policy_resolve(&r, &hw_s2, &p, &why, &note), 0);
    assert_false(p.enabled);
    assert_false(p.feat_dom0);
    assert_non_null(note);
    r = req(0, U, U, U, U, U);
    assert_int_equal(iommu_policy_resolve(&r, &hw_s2, &p, &why, &note), 0);
    assert_null(note);
}

/* The independent oracle. */
static bool oracle_need_sync(bool enabled, int pt, int dom0, bool hwdom)
{
    if (!enabled)
        return false;
    bool hap = pt == IOMMU_PT_SHARED;
    if (!hwdom || dom0 == DOM0_IOMMU_STRICT)
        return !hap;
    return false;
}

/*
 * Every combination: iommu x iommu_pt x gnttab_iommu x dom0_iommu x
 * iommu_flush x feat_dom0_iommu (each option also unset) x 3 kinds of
 * hardware, and for each result the derived flags for hardware and other
 * domains, direct-mapped or not.
 */
static void test_whole_decision_table(void **state)
{
    (void)state;
    const struct iommu_hw *hws[] = { &hw_s2, &hw_s1, &hw_none };
    unsigned accepted = 0, refused = 0;

    for (unsigned h = 0; h < 3; h++)
    for (int io = -1; io <= 1; io++)
    for (int pt = -1; pt <= 1; pt++)
    for (int gn = -1; gn <= 1; gn++)
    for (int d0 = -1; d0 <= 1; d0++)
    for (int fl = -1; fl <= 2; fl++)
    for (int ft = -1; ft <= 1; ft++) {
        const struct iommu_hw *hw = hws[h];
        struct iommu_request r = req(io, pt, gn, d0, fl, ft);
        struct iommu_policy p;
        const char *why;
        int ret = resolve(&r, hw, &p, &why);

        bool enabled = io == -1 ? hw->present : io == 1;
        int e_d0 = d0 == -1 ? DOM0_IOMMU_STRICT : d0;
        int e_pt = pt != -1 ? pt
                            : (hw->stage2 && e_d0 == DOM0_IOMMU_STRICT ? IOMMU_PT_SHARED
                                                                       : IOMMU_PT_SEPARATE);
        bool expect_refusal = enabled && (!hw->present ||
                                          (e_pt == IOMMU_PT_SHARED && !hw->stage2) ||
                                          (e_pt == IOMMU_PT_SHARED && e_d0 == DOM0_IOMMU_RELAXED));
        if (expect_refusal) {
            assert_int_equal(ret, -EINVAL);
            assert_non_null(why);
            refused++;
            continue;
        }
        assert_int_equal(ret, 0);
        accepted++;
        assert_int_equal(p.enabled, enabled);
        if (!enabled) {
            assert_false(p.feat_dom0);
            for (int hwdom = 0; hwdom <= 1; hwdom++)
                for (int dm = 0; dm <= 1; dm++)
                    assert_false(iommu_gnttab_need_mapping(&p, dm, hwdom));
            continue;
        }
        int e_gn = gn == -1 ? GNTTAB_IOMMU_DIRECT : gn;
        assert_int_equal(p.pt, e_pt);
        assert_int_equal(p.gnttab, e_gn);
        assert_int_equal(p.dom0, e_d0);
        assert_int_equal(p.flush, fl == -1 ? IOMMU_FLUSH_BATCHED : fl);
        assert_int_equal(p.feat_dom0, ft == 1 && e_d0 == DOM0_IOMMU_STRICT);
        assert_int_equal(p.stage1, !hw->stage2);
        assert_int_equal(iommu_use_hap_pt(&p), e_pt == IOMMU_PT_SHARED);
        for (int hwdom = 0; hwdom <= 1; hwdom++) {
            bool ns = oracle_need_sync(true, e_pt, e_d0, hwdom);
            assert_int_equal(iommu_need_sync(&p, hwdom), ns);
            for (int dm = 0; dm <= 1; dm++) {
                bool want = dm && (e_gn == GNTTAB_IOMMU_DIRECT || ns);
                assert_int_equal(iommu_gnttab_need_mapping(&p, dm, hwdom), want);
            }
        }
    }
    /* 3 hardware kinds x 3^5 x 4 requests; the count guards against a loop that skips. */
    assert_int_equal(accepted + refused, 3 * 243 * 4);
    assert_true(refused > 0 && accepted > refused);
}

/* The brief's outcome table, as flags: which rows add the 1:1 grant entry. */
static void test_brief_outcome_rows(void **state)
{
    (void)state;
    struct {
        int pt, gnt;
        bool one_to_one; /* a grant mapping adds machine == bus entries */
        bool walks_p2m;  /* IPA-addressed DMA works because the SMMU sees the p2m or a mirror */
    } rows[] = {
        { IOMMU_PT_SHARED, GNTTAB_IOMMU_DIRECT, true, true },
        { IOMMU_PT_SHARED, GNTTAB_IOMMU_SYNC, false, true }, /* seed 000: machine address faults */
        { IOMMU_PT_SEPARATE, GNTTAB_IOMMU_DIRECT, true, true },
        { IOMMU_PT_SEPARATE, GNTTAB_IOMMU_SYNC, true, true },
    };
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct iommu_request r = req(1, rows[i].pt, rows[i].gnt, U, U, U);
        struct iommu_policy p;
        const char *why;
        assert_int_equal(resolve(&r, &hw_s2, &p, &why), 0);
        assert_int_equal(iommu_gnttab_need_mapping(&p, true, true), rows[i].one_to_one);
        assert_int_equal(iommu_use_hap_pt(&p) || iommu_need_sync(&p, true), rows[i].walks_p2m);
    }
}

static void test_describe_is_one_line(void **state)
{
    (void)state;
    struct iommu_request r = req(U, U, GNTTAB_IOMMU_SYNC, U, IOMMU_FLUSH_NONE, 1);
    struct iommu_policy p;
    const char *why;
    char buf[256];

    assert_int_equal(resolve(&r, &hw_s2, &p, &why), 0);
    iommu_policy_describe(&p, buf, sizeof(buf));
    assert_null(strchr(buf, '\n'));
    assert_non_null(strstr(buf, "iommu_pt=shared"));
    assert_non_null(strstr(buf, "gnttab_iommu=sync"));
    assert_non_null(strstr(buf, "iommu_flush=none"));
    assert_non_null(strstr(buf, "feat_dom0_iommu=on"));
    assert_non_null(strstr(buf, "gnttab_need_iommu_mapping(dom0)=no"));
    p.enabled = false;
    iommu_policy_describe(&p, buf, sizeof(buf));
    assert_non_null(strstr(buf, "iommu=off"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_with_stage2),
        cmocka_unit_test(test_defaults_without_smmu),
        cmocka_unit_test(test_iommu_on_without_smmu_is_refused),
        cmocka_unit_test(test_seed000_regression_combination),
        cmocka_unit_test(test_stage1_only_smmu),
        cmocka_unit_test(test_relaxed_needs_separate),
        cmocka_unit_test(test_off_notes_ignored_options),
        cmocka_unit_test(test_whole_decision_table),
        cmocka_unit_test(test_brief_outcome_rows),
        cmocka_unit_test(test_describe_is_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
