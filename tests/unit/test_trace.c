/*
 * test_trace.c — host tests of the packet trace's hypervisor side
 * (core/trace.c): the option's value is checked as any boot option is (a bad
 * one is refused with a message and leaves the trace off), the output is
 * bounded by the count, and an SMMU fault is tied to the traced grant whose
 * machine page it hits (and whose mapper it is), one fault line per traced
 * map; a slot claimed but not yet written (page 0) is never matched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <granite/trace.h>
#include <granite/errno.h>
#include "host_stubs.h"

static int reset(void **state unused)
{
    host_stubs_reset();
    trace_configure(NULL);
    return 0;
}

static void test_off_unless_asked(void **state unused)
{
    assert_int_equal(trace_configure(NULL), 0);
    assert_false(trace_on());
    assert_false(trace_grant_claim(0, 1, 10, pa(0x42000000)));
    assert_int_equal(host_log_count(), 0);
}

static void test_values(void **state unused)
{
    assert_int_equal(trace_configure("packet"), 0);
    assert_int_equal(trace_packets, TRACE_COUNT_DEFAULT);
    assert_int_equal(trace_configure("packet,count=2"), 0);
    assert_int_equal(trace_packets, 2);
    assert_int_equal(trace_configure("packet,count=64"), 0);
    assert_int_equal(trace_packets, TRACE_COUNT_MAX);
}

/* Each bad value: refused, said, and the trace stays off. */
static void test_bad_values_refused(void **state unused)
{
    static const char *const bad[] = {
        "", "pkt", "packets", "packet,", "packet,count=", "packet,count=0", "packet,count=65",
        "packet,count=-1", "packet,count=2x", "packet,count=0x4", "packet,cnt=2",
        "packet,count=99999999999999999999",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        host_log_clear();
        assert_int_equal(trace_configure(bad[i]), -EINVAL);
        assert_false(trace_on());
        assert_true(host_log_contains("options: trace="));
    }
}

/* count=2: the first two claims are traced, the third is not. */
static void test_claims_bounded(void **state unused)
{
    assert_int_equal(trace_configure("packet,count=2"), 0);
    assert_true(trace_grant_claim(0, 1, 10, pa(0x42000000)));
    assert_true(trace_grant_claim(0, 1, 11, pa(0x42001000)));
    assert_false(trace_grant_claim(0, 1, 12, pa(0x42002000)));
}

static void test_hop_line_format(void **state unused)
{
    assert_int_equal(trace_configure("packet"), 0);
    trace_hv(TRACE_HOP_GRANT_MAP, "grant_table.c:add_mapping", "d0 maps d1 gref %u", 10u);
    assert_string_equal(host_log_last(),
                        "trace: tx ? hop 5 hv grant_table.c:add_mapping: d0 maps d1 gref 10");
}

/* A fault anywhere in a traced page names its grant; the second fault of the
 * same map is folded; a second map of the same page gets the next fault. */
static void test_fault_tied_to_grant(void **state unused)
{
    assert_int_equal(trace_configure("packet,count=2"), 0);
    assert_true(trace_grant_claim(0, 1, 10, pa(0x4218b000)));
    trace_iommu_fault(0, iova(0x4218b000), "F_TRANSLATION");
    assert_string_equal(host_log_last(), "trace: tx ? hop 11 hv smmuv3.c:report_event: d0 DMA "
                        "fault F_TRANSLATION iova 0x4218b000 = machine of d1 gref 10");
    host_log_clear();
    trace_iommu_fault(0, iova(0x4218b004), "F_TRANSLATION");
    assert_int_equal(host_log_count(), 0);
    assert_true(trace_grant_claim(0, 1, 10, pa(0x4218b000)));
    trace_iommu_fault(0, iova(0x4218b008), "F_TRANSLATION");
    assert_true(host_log_contains("iova 0x4218b008 = machine of d1 gref 10"));
}

/* Faults at no traced page: said, at most count of them. */
static void test_unmatched_faults_bounded(void **state unused)
{
    assert_int_equal(trace_configure("packet,count=2"), 0);
    for (unsigned i = 0; i < 5; i++)
        trace_iommu_fault(0, iova(0x50000000 + i * 0x1000), "F_TRANSLATION");
    assert_int_equal(host_log_count(), 2);
    assert_true(host_log_contains("(no traced grant there)"));
}

/* A fault names a traced grant only for the domain that mapped it: d2's
 * device faulting at the same machine page is not d0's TX buffer. */
static void test_fault_of_another_domain_not_tied(void **state unused)
{
    assert_int_equal(trace_configure("packet,count=2"), 0);
    assert_true(trace_grant_claim(0, 1, 10, pa(0x4218b000)));
    trace_iommu_fault(2, iova(0x4218b000), "F_TRANSLATION");
    assert_string_equal(host_log_last(), "trace: tx ? hop 11 hv smmuv3.c:report_event: d2 DMA "
                        "fault F_TRANSLATION iova 0x4218b000 (no traced grant there)");
    /* and the mapper's own fault still gets the grant's line */
    trace_iommu_fault(0, iova(0x4218b010), "F_TRANSLATION");
    assert_true(host_log_contains("d0 DMA fault F_TRANSLATION iova 0x4218b010 = machine of d1 "
                                  "gref 10"));
}

/* A slot whose page reads 0 is one claimed but not yet written (another CPU
 * between its fetch-add and its store): a fault at IOVA page 0 must not take
 * it for a traced grant, nor use up its one fault line. */
static void test_fault_at_page_0_skips_unwritten_slot(void **state unused)
{
    assert_int_equal(trace_configure("packet,count=2"), 0);
    assert_true(trace_grant_claim(0, 1, 10, pa(0))); /* reads as claimed, unwritten */
    trace_iommu_fault(0, iova(0x10), "F_TRANSLATION");
    assert_string_equal(host_log_last(), "trace: tx ? hop 11 hv smmuv3.c:report_event: d0 DMA "
                        "fault F_TRANSLATION iova 0x10 (no traced grant there)");
}

/* The unmatched count stops at N however many faults come (it is checked
 * before it is counted, so it cannot wrap back into range). */
static void test_unmatched_count_does_not_wrap(void **state unused)
{
    assert_int_equal(trace_configure("packet,count=1"), 0);
    for (unsigned i = 0; i < 1000; i++)
        trace_iommu_fault(0, iova(0x50000000), "F_TRANSLATION");
    assert_int_equal(host_log_count(), 1);
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_off_unless_asked),
        T(test_values),
        T(test_bad_values_refused),
        T(test_claims_bounded),
        T(test_hop_line_format),
        T(test_fault_tied_to_grant),
        T(test_unmatched_faults_bounded),
        T(test_fault_of_another_domain_not_tied),
        T(test_fault_at_page_0_skips_unwritten_slot),
        T(test_unmatched_count_does_not_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
