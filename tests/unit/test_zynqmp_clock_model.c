/*
 * test_zynqmp_clock_model.c — host tests of the clock tree granite describes
 * when it answers the ZynqMP firmware interface itself
 * (core/zynqmp_clock_model.c).
 *
 * The queries are asked the way Linux's drivers/clk/zynqmp/clkc.c asks them
 * (query id, clock id, index), and the answers decoded with the interface's
 * layouts: a name in the 16 payload bytes, topology and parent words three at
 * a time, attribute bits.  Every argument comes from a guest: out-of-range
 * ids and indices must be refused, never read past a table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <libfdt.h>
#include <granite/zynqmp_clock_model.h>
#include <granite/zynqmp_eemi.h>
#include "host_stubs.h"

#define PSS_REF_HZ 33333333U
#define PSS_REF_ID 113 /* the first external clock, after outputs 0..112 */
#define NR_IDS 114
#define UART0_REF 56
#define UART1_REF 57
#define GEM3_REF 107
#define SDIO1_REF 55
#define ACPU 10
#define LPD_WDT 112
#define IOPLL 0        /* not in the model: no device of the board names it */
#define TOPSW_MAIN 27  /* named by the board, invalid in the firmware */
#define XST_PM_INVALID_PARAM 15
#define NA_PARENT 0xffffffffU

static char fdt[4096] __attribute__((aligned(8)));

/* The firmware node's clock controller with the ZCU102's five inputs (the
 * second provider with a cell, to check entries are walked by their own
 * #clock-cells); `freq` 0: pss_ref_clk without a clock-frequency. */
static void build_tree(bool with_names, u32 freq)
{
    int root, fw, clk, ref, other;
    fdt32_t inputs[3] = { cpu_to_fdt32(5), cpu_to_fdt32(7), cpu_to_fdt32(4) };
    static const char names[] = "video_clk\0pss_ref_clk";

    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    root = fdt_path_offset(fdt, "/");
    other = fdt_add_subnode(fdt, root, "video_clk");
    assert_int_equal(fdt_setprop_u32(fdt, other, "phandle", 5), 0);
    assert_int_equal(fdt_setprop_u32(fdt, other, "#clock-cells", 1), 0);
    assert_int_equal(fdt_setprop_u32(fdt, other, "clock-frequency", 27000000), 0);
    root = fdt_path_offset(fdt, "/");
    ref = fdt_add_subnode(fdt, root, "pss_ref_clk");
    assert_int_equal(fdt_setprop_string(fdt, ref, "compatible", "fixed-clock"), 0);
    assert_int_equal(fdt_setprop_u32(fdt, ref, "phandle", 4), 0);
    assert_int_equal(fdt_setprop_u32(fdt, ref, "#clock-cells", 0), 0);
    if (freq)
        assert_int_equal(fdt_setprop_u32(fdt, ref, "clock-frequency", freq), 0);
    root = fdt_path_offset(fdt, "/");
    fw = fdt_add_subnode(fdt, root, "firmware");
    clk = fdt_add_subnode(fdt, fw, "clock-controller");
    assert_int_equal(fdt_setprop_string(fdt, clk, "compatible", "xlnx,zynqmp-clk"), 0);
    assert_int_equal(fdt_setprop_u32(fdt, clk, "#clock-cells", 1), 0);
    assert_int_equal(fdt_setprop(fdt, clk, "clocks", inputs, sizeof(inputs)), 0);
    if (with_names)
        assert_int_equal(fdt_setprop(fdt, clk, "clock-names", names, sizeof(names)), 0);
}

static u32 query(u32 qid, u32 id, u32 index, u32 p[4])
{
    const u32 arg[4] = { qid, id, index, 0 };
    return zynqmp_clock_query(arg, p);
}

static int setup_zcu102(void **state unused)
{
    build_tree(true, PSS_REF_HZ);
    assert_int_equal(zynqmp_clock_model_probe(fdt), 41);
    return 0;
}

static void test_ref_from_the_tree(void **state unused)
{
    assert_int_equal(zynqmp_clock_model_ref_hz(), PSS_REF_HZ);
}

static void test_count(void **state unused)
{
    u32 p[4];

    assert_int_equal(query(PM_QID_CLOCK_GET_NUM_CLOCKS, 0, 0, p), 0);
    assert_int_equal(p[0], 0);
    assert_int_equal(p[1], NR_IDS);
}

static void test_names(void **state unused)
{
    u32 p[4];
    char name[17] = { 0 };

    /* the 16 bytes are all name, status word included */
    assert_int_equal(query(PM_QID_CLOCK_GET_NAME, UART0_REF, 0, p), 0);
    memcpy(name, p, 16);
    assert_string_equal(name, "uart0_ref");
    query(PM_QID_CLOCK_GET_NAME, GEM3_REF, 0, p);
    memcpy(name, p, 16);
    assert_string_equal(name, "gem3_ref");
    query(PM_QID_CLOCK_GET_NAME, 75, 0, p);
    memcpy(name, p, 16);
    assert_string_equal(name, "fpd_wdt");
    query(PM_QID_CLOCK_GET_NAME, PSS_REF_ID, 0, p);
    memcpy(name, p, 16);
    assert_string_equal(name, "pss_ref_clk");
    /* not modelled: zeros, still a success (Linux asks every id) */
    assert_int_equal(query(PM_QID_CLOCK_GET_NAME, IOPLL, 0, p), 0);
    assert_true(!p[0] && !p[1] && !p[2] && !p[3]);
    assert_int_equal(query(PM_QID_CLOCK_GET_NAME, TOPSW_MAIN, 0, p), 0);
    assert_true(!p[0] && !p[1] && !p[2] && !p[3]);
    /* beyond the id space: zeros, and the caller is told it was bad */
    assert_int_equal(query(PM_QID_CLOCK_GET_NAME, NR_IDS, 0, p), XST_PM_INVALID_PARAM);
    assert_true(!p[0] && !p[1] && !p[2] && !p[3]);
    assert_int_equal(query(PM_QID_CLOCK_GET_NAME, 0xffffffffU, 0, p), XST_PM_INVALID_PARAM);
}

static void test_attributes(void **state unused)
{
    u32 p[4];

    assert_int_equal(query(PM_QID_CLOCK_GET_ATTRIBUTES, UART1_REF, 0, p), 0);
    assert_int_equal(p[1], 1);     /* valid, output */
    assert_int_equal(query(PM_QID_CLOCK_GET_ATTRIBUTES, PSS_REF_ID, 0, p), 0);
    assert_int_equal(p[1], 1 | 4); /* valid, external */
    assert_int_equal(query(PM_QID_CLOCK_GET_ATTRIBUTES, IOPLL, 0, p), 0);
    assert_int_equal(p[1], 0);     /* not valid */
    /* node type/class fields stay 0: Linux's id for the clock is its index */
    assert_int_equal(query(PM_QID_CLOCK_GET_ATTRIBUTES, LPD_WDT, 0, p), 0);
    assert_int_equal(p[1], 1);
    assert_int_equal(query(PM_QID_CLOCK_GET_ATTRIBUTES, NR_IDS, 0, p), XST_PM_INVALID_PARAM);
    assert_int_equal(p[0], XST_PM_INVALID_PARAM);
}

/* One fixed-factor node, then TYPE_INVALID ends the chain. */
static void test_topology(void **state unused)
{
    u32 p[4];

    assert_int_equal(query(PM_QID_CLOCK_GET_TOPOLOGY, SDIO1_REF, 0, p), 0);
    assert_int_equal(p[1] & 0xf, 3);   /* TYPE_FIXEDFACTOR */
    assert_int_equal(p[1] >> 8, 0);    /* no flags, no type flags */
    assert_int_equal(p[2], 0);
    assert_int_equal(p[3], 0);
    assert_int_equal(query(PM_QID_CLOCK_GET_TOPOLOGY, SDIO1_REF, 3, p), 0);
    assert_true(!p[1] && !p[2] && !p[3]);
    assert_int_equal(query(PM_QID_CLOCK_GET_TOPOLOGY, SDIO1_REF, 7, p), XST_PM_INVALID_PARAM);
    assert_int_equal(query(PM_QID_CLOCK_GET_TOPOLOGY, PSS_REF_ID, 0, p), XST_PM_INVALID_PARAM);
    assert_int_equal(query(PM_QID_CLOCK_GET_TOPOLOGY, IOPLL, 0, p), XST_PM_INVALID_PARAM);
}

/* pss_ref_clk, flagged external, then NA_PARENT. */
static void test_parents(void **state unused)
{
    u32 p[4];

    assert_int_equal(query(PM_QID_CLOCK_GET_PARENTS, UART0_REF, 0, p), 0);
    assert_int_equal(p[1] & 0xffff, PSS_REF_ID);
    assert_int_equal(p[1] >> 16, 5); /* PARENT_CLK_EXTERNAL */
    assert_int_equal(p[2], NA_PARENT);
    assert_int_equal(p[3], NA_PARENT);
    assert_int_equal(query(PM_QID_CLOCK_GET_PARENTS, UART0_REF, 3, p), 0);
    assert_true(p[1] == NA_PARENT && p[2] == NA_PARENT && p[3] == NA_PARENT);
    assert_int_equal(query(PM_QID_CLOCK_GET_PARENTS, UART0_REF, 101, p), XST_PM_INVALID_PARAM);
    assert_int_equal(query(PM_QID_CLOCK_GET_PARENTS, 0xffffffffU, 0, p), XST_PM_INVALID_PARAM);
}

static void test_fixed_factors_and_rates(void **state unused)
{
    u32 p[4];

    assert_int_equal(query(PM_QID_CLOCK_GET_FIXEDFACTOR_PARAMS, UART0_REF, 0, p), 0);
    assert_int_equal(p[1], 3);
    assert_int_equal(p[2], 1);
    assert_int_equal(zynqmp_clock_rate(UART0_REF), 99999999);     /* nominal 100 MHz */
    assert_int_equal(zynqmp_clock_rate(GEM3_REF), 124999998);     /* nominal 125 MHz */
    assert_int_equal(zynqmp_clock_rate(SDIO1_REF), 199999998);    /* nominal 200 MHz */
    assert_int_equal(zynqmp_clock_rate(ACPU), 1199999988UL);      /* nominal 1.2 GHz */
    assert_int_equal(zynqmp_clock_rate(IOPLL), 0);
    assert_int_equal(zynqmp_clock_rate(0xffffffffU), 0);
    assert_int_equal(query(PM_QID_CLOCK_GET_FIXEDFACTOR_PARAMS, PSS_REF_ID, 0, p),
                     XST_PM_INVALID_PARAM);
    /* no dividers to describe */
    assert_int_equal(query(PM_QID_CLOCK_GET_MAX_DIVISOR, UART0_REF, 4, p), XST_PM_INVALID_PARAM);
}

static void test_modelled_set(void **state unused)
{
    unsigned n = 0;

    for (u32 id = 0; id < NR_IDS + 10; id++)
        n += zynqmp_clock_modelled(id);
    assert_int_equal(n, 41);
    assert_true(zynqmp_clock_modelled(UART0_REF));
    assert_false(zynqmp_clock_modelled(TOPSW_MAIN));
    assert_false(zynqmp_clock_modelled(PSS_REF_ID)); /* an input, not an output */
    assert_true(zynqmp_clock_is_query(PM_QID_CLOCK_GET_NAME));
    assert_false(zynqmp_clock_is_query(6));          /* a pin-controller query */
    assert_false(zynqmp_clock_is_query(0));
}

/* Without the board's reference clock there is nothing to derive rates from:
 * no clocks, as before the model. */
static void test_no_reference_no_clocks(void **state unused)
{
    u32 p[4];

    build_tree(false, PSS_REF_HZ); /* clock-names missing */
    assert_int_equal(zynqmp_clock_model_probe(fdt), 0);
    assert_int_equal(query(PM_QID_CLOCK_GET_NUM_CLOCKS, 0, 0, p), 0);
    assert_int_equal(p[1], 0);
    assert_false(zynqmp_clock_modelled(UART0_REF));
    assert_int_equal(query(PM_QID_CLOCK_GET_ATTRIBUTES, UART0_REF, 0, p), XST_PM_INVALID_PARAM);
    build_tree(true, 0); /* no clock-frequency */
    assert_int_equal(zynqmp_clock_model_probe(fdt), 0);
    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    assert_int_equal(zynqmp_clock_model_probe(fdt), 0);
    assert_int_equal(zynqmp_clock_model_ref_hz(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ref_from_the_tree, setup_zcu102),
        cmocka_unit_test_setup(test_count, setup_zcu102),
        cmocka_unit_test_setup(test_names, setup_zcu102),
        cmocka_unit_test_setup(test_attributes, setup_zcu102),
        cmocka_unit_test_setup(test_topology, setup_zcu102),
        cmocka_unit_test_setup(test_parents, setup_zcu102),
        cmocka_unit_test_setup(test_fixed_factors_and_rates, setup_zcu102),
        cmocka_unit_test_setup(test_modelled_set, setup_zcu102),
        cmocka_unit_test(test_no_reference_no_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
