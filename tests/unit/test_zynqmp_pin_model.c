/*
 * test_zynqmp_pin_model.c — host tests of the ZynqMP pin-controller model
 * granite answers with when it is the firmware (core/zynqmp_pin_model.c).
 *
 * The model is read back the way Linux 6.1's zynqmp-pinctrl driver reads it
 * (linux_view below): functions and their names, each function's group ids
 * six per answer until END_OF_GROUPS, group k of function F named "F_k_grp",
 * then every pin's group ids six per answer, the pin added to each group
 * named.  The names and pins the ZCU102's DT uses (its pinctrl node, as
 * decompiled from zynqmp-zcu102-rev1.0.dtb) must come out of that exactly.
 * Every argument a guest passes is hostile: bounds, bad ids and values, and
 * granite's console's pins (from a host tree in memory) are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <libfdt.h>
#include <granite/domain.h>
#include <granite/zynqmp_eemi.h>
#include <granite/zynqmp_pin_model.h>
#include "host_stubs.h"


enum { SLEW, BIAS, PULL, SCHMITT, DRIVE, VOLTAGE, TRI, NR_PARAMS }; /* PM_PINCTRL_CONFIG_* */

static struct domain dom0 = { .id = 0 };

static u32 query(u32 qid, u32 a1, u32 a2, u32 p[4])
{
    u32 arg[4] = { qid, a1, a2, 0 };
    pin_model_query(&dom0, arg, p);
    return p[0];
}

/* A pin-controller API call as core/zynqmp_eemi.c makes it: check, then serve. */
static u32 api(u32 id, u32 pin, u32 a1, u32 a2, u32 *out)
{
    u32 arg[4] = { pin, a1, a2, 0 }, p[4] = { 0 };
    u32 st = pin_model_check(&dom0, id, arg);

    if (st)
        return st;
    pin_model_call(&dom0, id, arg, p);
    if (out)
        *out = p[1];
    return p[0];
}

static u16 group_in(const u32 p[4], unsigned i) { return (u16)(p[1 + i / 2] >> (16 * (i % 2))); }

/* --- Linux's reading of the model ---------------------------------------------- */

#define MAX_GROUPS 512
#define MAX_GROUP_PINS 50

struct linux_group {
    char name[40];
    unsigned pins[MAX_GROUP_PINS], npins;
};

static struct linux_group groups[MAX_GROUPS];
static unsigned nr_groups;

static void linux_view(void)
{
    u32 p[4], nfuncs;

    memset(groups, 0, sizeof(groups));
    nr_groups = 0;
    assert_int_equal(query(PM_QID_PINCTRL_GET_NUM_PINS, 0, 0, p), 0);
    assert_int_equal(p[1], 78);
    assert_int_equal(query(PM_QID_PINCTRL_GET_NUM_FUNCTIONS, 0, 0, p), 0);
    nfuncs = p[1];
    for (u32 f = 0; f < nfuncs; f++) {
        char name[17] = { 0 };
        u32 ng;

        query(PM_QID_PINCTRL_GET_FUNCTION_NAME, f, 0, p);
        memcpy(name, p, 16);
        assert_int_equal(query(PM_QID_PINCTRL_GET_NUM_FUNCTION_GROUPS, f, 0, p), 0);
        ng = p[1];
        nr_groups += ng;
        assert_true(nr_groups <= MAX_GROUPS);
        for (u32 index = 0; index < ng; index += 6) {
            assert_int_equal(query(PM_QID_PINCTRL_GET_FUNCTION_GROUPS, f, index, p), 0);
            for (unsigned i = 0; i < 6; i++) {
                u16 g = group_in(p, i);
                if (g == PINCTRL_END_OF_GROUPS) {
                    assert_int_equal(index + i, ng); /* ends exactly after the last */
                    break;
                }
                assert_true(g < MAX_GROUPS);
                assert_int_equal(groups[g].name[0], 0); /* each id named once */
                snprintf(groups[g].name, sizeof(groups[g].name), "%s_%u_grp", name, index + i);
            }
        }
    }
    for (u32 pin = 0; pin < 78; pin++) {
        for (u32 index = 0; index <= 50; index += 6) {
            bool end = false;
            assert_int_equal(query(PM_QID_PINCTRL_GET_PIN_GROUPS, pin, index, p), 0);
            for (unsigned i = 0; i < 6 && !end; i++) {
                u16 g = group_in(p, i);
                end = g == PINCTRL_END_OF_GROUPS;
                if (!end && g != PINCTRL_RESERVED_GROUP) {
                    assert_true(g < nr_groups);
                    assert_true(groups[g].npins < MAX_GROUP_PINS);
                    groups[g].pins[groups[g].npins++] = pin;
                }
            }
            if (end)
                break;
        }
    }
}

static const struct linux_group *named(const char *name)
{
    for (unsigned g = 0; g < nr_groups; g++)
        if (!strcmp(groups[g].name, name))
            return &groups[g];
    return NULL;
}

/* The group `name` exists and holds exactly pins first..first+n-1 and
 * first2..first2+n2-1. */
static void expect_group(const char *name, unsigned first, unsigned n, unsigned first2, unsigned n2)
{
    const struct linux_group *g = named(name);
    unsigned k = 0;

    if (!g)
        fail_msg("no group %s", name);
    assert_int_equal(g->npins, n + n2);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(g->pins[k++], first + i);
    for (unsigned i = 0; i < n2; i++)
        assert_int_equal(g->pins[k++], first2 + i);
}

static unsigned groups_of_pin(unsigned pin)
{
    unsigned n = 0;

    for (unsigned g = 0; g < nr_groups; g++)
        for (unsigned i = 0; i < groups[g].npins; i++)
            n += groups[g].pins[i] == pin;
    return n;
}

/* The group `name` holds exactly the pins listed (ascending). */
#define EXPECT_PINS(name, ...)                                                         \
    do {                                                                               \
        static const unsigned want[] = { __VA_ARGS__ };                                \
        const struct linux_group *g_ = named(name);                                    \
        if (!g_)                                                                       \
            fail_msg("no group %s", name);                                             \
        assert_int_equal(g_->npins, sizeof(want) / sizeof(want[0]));                   \
        assert_memory_equal(g_->pins, want, sizeof(want));                             \
    } while (0)

/* dom0's tree: a device whose pinctrl-0 names all 78 gpio0 groups, so that
 * dom0 may change every pin (but granite's console's, once noted). */
static char dom0_fdt[8192] __attribute__((aligned(8)));

static void dom0_owns_every_pin(void)
{
    char list[78 * 16];
    int len = 0, node;

    for (unsigned pin = 0; pin < 78; pin++)
        len += snprintf(list + len, sizeof(list) - (size_t)len, "gpio0_%u_grp", pin) + 1;
    assert_int_equal(fdt_create_empty_tree(dom0_fdt, sizeof(dom0_fdt)), 0);
    node = fdt_add_subnode(dom0_fdt, 0, "pinctrl");
    node = fdt_add_subnode(dom0_fdt, node, "all-gpio");
    assert_int_equal(fdt_setprop_u32(dom0_fdt, node, "phandle", 1), 0);
    assert_int_equal(fdt_setprop(dom0_fdt, node, "groups", list, len), 0);
    node = fdt_add_subnode(dom0_fdt, 0, "gpio");
    assert_int_equal(fdt_setprop_u32(dom0_fdt, node, "pinctrl-0", 1), 0);
    pin_model_note_hwdom(dom0_fdt);
}

static int setup(void **state unused)
{
    pin_model_reset();
    dom0_owns_every_pin();
    host_log_clear();
    return 0;
}

/* --- tests ------------------------------------------------------------------- */

static void test_zcu102_groups(void **state unused)
{
    linux_view();
    assert_int_equal(nr_groups, pin_model_nr_groups());
    /* every group named, each id in range */
    for (unsigned g = 0; g < nr_groups; g++)
        assert_true(groups[g].name[0] && groups[g].npins > 0);
    /* the board DT's groups (zynqmp-zcu102-rev1.0 pinctrl node) */
    expect_group("i2c0_3_grp", 14, 2, 0, 0);
    expect_group("i2c1_4_grp", 16, 2, 0, 0);
    expect_group("gpio0_14_grp", 14, 1, 0, 0);
    expect_group("gpio0_15_grp", 15, 1, 0, 0);
    expect_group("gpio0_16_grp", 16, 1, 0, 0);
    expect_group("gpio0_17_grp", 17, 1, 0, 0);
    expect_group("gpio0_13_grp", 13, 1, 0, 0);
    expect_group("gpio0_22_grp", 22, 1, 0, 0);
    expect_group("gpio0_23_grp", 23, 1, 0, 0);
    expect_group("gpio0_38_grp", 38, 1, 0, 0);
    expect_group("uart0_4_grp", 18, 2, 0, 0);
    expect_group("uart1_5_grp", 20, 2, 0, 0);
    expect_group("usb0_0_grp", 52, 12, 0, 0);
    expect_group("ethernet3_0_grp", 64, 12, 0, 0);
    expect_group("mdio3_0_grp", 76, 2, 0, 0);
    expect_group("can1_6_grp", 24, 2, 0, 0);
    expect_group("sdio1_0_grp", 39, 4, 46, 6);
    expect_group("sdio1_cd_0_grp", 45, 1, 0, 0);
    expect_group("sdio1_wp_0_grp", 44, 1, 0, 0);
    /* each function's last group, and the firmware's group counts */
    expect_group("gpio0_77_grp", 77, 1, 0, 0);
    expect_group("can1_19_grp", 76, 2, 0, 0);
    expect_group("uart1_18_grp", 72, 2, 0, 0);
    assert_null(named("uart1_19_grp"));
    expect_group("uart0_18_grp", 74, 2, 0, 0);
    expect_group("i2c0_18_grp", 74, 2, 0, 0);
    expect_group("sdio1_15_grp", 74, 1, 75, 2);
    expect_group("sdio1_4_grp", 39, 1, 50, 2);
    expect_group("sdio1_3_grp", 71, 6, 0, 0);
    expect_group("ttc0_clk_8_grp", 70, 1, 0, 0);
    expect_group("mdio1_1_grp", 76, 2, 0, 0);
    /* the irregular ones (TF-A's pm_api_pinctrl.c pin lists) */
    EXPECT_PINS("ethernet0_0_grp", 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37);
    EXPECT_PINS("gemtsu0_2_grp", 51);
    EXPECT_PINS("qspi0_0_grp", 0, 1, 2, 3, 4, 8, 9, 10, 11, 12);
    EXPECT_PINS("qspi_ss_0_grp", 5, 7);
    EXPECT_PINS("qspi_fbclk_0_grp", 6);
    EXPECT_PINS("spi0_1_grp", 12, 16, 17);
    EXPECT_PINS("spi1_5_grp", 70, 74, 75);
    EXPECT_PINS("spi0_ss_0_grp", 3);   /* spi0_0's ss0 */
    EXPECT_PINS("spi0_ss_5_grp", 13);  /* spi0_1's ss2 */
    EXPECT_PINS("spi1_ss_17_grp", 71); /* spi1_5's ss2 */
    EXPECT_PINS("sdio0_0_grp", 13, 14, 15, 16, 17, 18, 19, 20, 21, 22);
    EXPECT_PINS("sdio0_1_grp", 38, 40, 41, 42, 43, 44, 45, 46, 47, 48);
    EXPECT_PINS("sdio0_4_grp", 17, 18, 19, 20, 21, 22);      /* 4-bit 0_1 */
    EXPECT_PINS("sdio0_6_grp", 38, 40, 45, 46, 47, 48);      /* 4-bit 1_1 */
    EXPECT_PINS("sdio0_9_grp", 13, 21, 22);                  /* 1-bit 0_0 */
    EXPECT_PINS("sdio0_32_grp", 64, 66, 74);                 /* 1-bit 2_7 */
    assert_null(named("sdio0_33_grp"));
    EXPECT_PINS("sdio0_cd_1_grp", 39);
    EXPECT_PINS("sdio1_pc_1_grp", 70);
    EXPECT_PINS("nand0_0_grp", 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25);
    EXPECT_PINS("nand0_rb_1_grp", 27, 28);
    EXPECT_PINS("swdt0_clk_8_grp", 50);
    EXPECT_PINS("swdt1_rst_9_grp", 57);
    EXPECT_PINS("swdt1_clk_12_grp", 72);
    EXPECT_PINS("pmu0_11_grp", 37);
    EXPECT_PINS("pcie0_3_grp", 33);
    EXPECT_PINS("csu0_9_grp", 31);
    EXPECT_PINS("dpaux0_2_grp", 34, 35);
    EXPECT_PINS("pjtag0_5_grp", 58, 59, 60, 61);
    EXPECT_PINS("trace0_1_grp", 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 40, 41, 42, 43);
    EXPECT_PINS("trace0_clk_2_grp", 52, 53);
    assert_int_equal(named("testscan0_0_grp")->npins, 38);
    /* the firmware's 503 groups */
    assert_int_equal(nr_groups, 503);
    /* a pin's groups: as many as the firmware lists for it, RESERVED slots
     * and its duplicate sdio0_1 entry on pin 42 aside */
    assert_int_equal(groups_of_pin(0), 10);
    assert_int_equal(groups_of_pin(38), 20);
    assert_int_equal(groups_of_pin(42), 15);
    assert_int_equal(groups_of_pin(50), 20);
    assert_int_equal(groups_of_pin(77), 8);
}

/* Function ids are the firmware's (TF-A's PINCTRL_FUNC_* order). */
static void test_function_ids(void **state unused)
{
    static const struct { u32 id; const char *name; } ids[] = {
        { 0, "can0" }, { 5, "ethernet3" }, { 7, "gpio0" }, { 8, "i2c0" }, { 13, "mdio3" },
        { 25, "sdio1" }, { 27, "sdio1_cd" }, { 28, "sdio1_wp" }, { 41, "uart0" },
        { 42, "uart1" }, { 43, "usb0" }, { 56, "testscan0" },
    };
    u32 p[4];

    assert_int_equal(query(PM_QID_PINCTRL_GET_NUM_FUNCTIONS, 0, 0, p), 0);
    assert_int_equal(p[1], 57);
    for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char name[17] = { 0 };
        query(PM_QID_PINCTRL_GET_FUNCTION_NAME, ids[i].id, 0, p);
        memcpy(name, p, 16);
        assert_string_equal(name, ids[i].name);
    }
    /* "trace0_clk" is not "trace0" + "_clk_..." */
    assert_true(pin_model_group_by_name("trace0_clk_0_grp") >= 0);
    assert_true(pin_model_group_has_pin((unsigned)pin_model_group_by_name("trace0_clk_0_grp"), 1));
}

static void test_group_names_parse(void **state unused)
{
    int g = pin_model_group_by_name("sdio1_cd_0_grp");

    assert_true(g >= 0);
    assert_true(pin_model_group_has_pin((unsigned)g, 45));
    assert_false(pin_model_group_has_pin((unsigned)g, 44));
    assert_int_equal(pin_model_group_by_name("uart0_19_grp"), -1); /* uart0 has 19: 0..18 */
    assert_int_equal(pin_model_group_by_name("uart0_4"), -1);
    assert_int_equal(pin_model_group_by_name("uart0__grp"), -1);
    assert_int_equal(pin_model_group_by_name("uart0_4_grpx"), -1);
    assert_int_equal(pin_model_group_by_name("nosuch_0_grp"), -1);
    assert_int_equal(pin_model_group_by_name(""), -1);
    assert_false(pin_model_group_has_pin(100000, 0));
}

static void test_batches_and_markers(void **state unused)
{
    u32 p[4], ng;
    int eth3 = -1;

    /* a function with one group: the id, then END five times */
    for (u32 f = 0; f < pin_model_nr_functions(); f++) {
        query(PM_QID_PINCTRL_GET_FUNCTION_NAME, f, 0, p);
        if (!memcmp(p, "ethernet3", 10))
            eth3 = (int)f;
    }
    assert_true(eth3 >= 0);
    assert_int_equal(query(PM_QID_PINCTRL_GET_NUM_FUNCTION_GROUPS, (u32)eth3, 0, p), 0);
    ng = p[1];
    assert_int_equal(ng, 1);
    assert_int_equal(query(PM_QID_PINCTRL_GET_FUNCTION_GROUPS, (u32)eth3, 0, p), 0);
    assert_int_equal(group_in(p, 0), pin_model_group_by_name("ethernet3_0_grp"));
    for (unsigned i = 1; i < 6; i++)
        assert_int_equal(group_in(p, i), PINCTRL_END_OF_GROUPS);
    /* an index past the end (and one that would wrap): all END, still success */
    assert_int_equal(query(PM_QID_PINCTRL_GET_FUNCTION_GROUPS, (u32)eth3, 6, p), 0);
    assert_int_equal(group_in(p, 0), PINCTRL_END_OF_GROUPS);
    assert_int_equal(query(PM_QID_PINCTRL_GET_PIN_GROUPS, 0, 0xfffffffeU, p), 0);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(group_in(p, i), PINCTRL_END_OF_GROUPS);
    /* pin 50 is in many groups (sdio1 1-bit ones, mdio1, can0, ...): more than one batch */
    assert_int_equal(query(PM_QID_PINCTRL_GET_PIN_GROUPS, 50, 6, p), 0);
    assert_true(group_in(p, 0) != PINCTRL_END_OF_GROUPS);
}

static void test_query_bounds(void **state unused)
{
    u32 p[4], nf = pin_model_nr_functions();

    assert_int_equal(query(PM_QID_PINCTRL_GET_PIN_GROUPS, 78, 0, p), PM_RET_ERROR_ARGS);
    assert_int_equal(query(PM_QID_PINCTRL_GET_PIN_GROUPS, 0xffffffffU, 0, p), PM_RET_ERROR_ARGS);
    assert_int_equal(query(PM_QID_PINCTRL_GET_NUM_FUNCTION_GROUPS, nf, 0, p), PM_RET_ERROR_ARGS);
    assert_int_equal(query(PM_QID_PINCTRL_GET_FUNCTION_GROUPS, nf, 0, p), PM_RET_ERROR_ARGS);
    /* a name's answer has no status: all zeros for a function that is not */
    p[0] = p[1] = p[2] = p[3] = 0x41414141;
    query(PM_QID_PINCTRL_GET_FUNCTION_NAME, nf, 0, p);
    assert_true(!p[0] && !p[1] && !p[2] && !p[3]);
    assert_true(host_log_contains("out of range"));
}

static void test_function_and_config_state(void **state unused)
{
    int eth3 = -1, gpio0 = -1;
    u32 v, p[4];

    for (u32 f = 0; f < pin_model_nr_functions(); f++) {
        query(PM_QID_PINCTRL_GET_FUNCTION_NAME, f, 0, p);
        if (!memcmp(p, "ethernet3", 10))
            eth3 = (int)f;
        if (!memcmp(p, "gpio0", 6))
            gpio0 = (int)f;
    }
    assert_int_equal(api(PM_PINCTRL_REQUEST, 64, 0, 0, NULL), 0);
    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 64, 0, 0, &v), 0);
    assert_int_equal(v, (u32)gpio0); /* the model's reset state */
    assert_int_equal(api(PM_PINCTRL_SET_FUNCTION, 64, (u32)eth3, 0, NULL), 0);
    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 64, 0, 0, &v), 0);
    assert_int_equal(v, (u32)eth3);
    /* a function none of whose groups holds the pin, an id out of range */
    assert_int_equal(api(PM_PINCTRL_SET_FUNCTION, 10, (u32)eth3, 0, NULL), PM_RET_ERROR_NOTSUPPORTED);
    assert_int_equal(api(PM_PINCTRL_SET_FUNCTION, 64, 1000, 0, NULL), PM_RET_ERROR_NOTSUPPORTED);
    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 10, 0, 0, &v), 0);
    assert_int_equal(v, (u32)gpio0); /* unchanged */
    /* parameters: what is set reads back; values and ids checked */
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 64, SLEW, 1, NULL), 0);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 64, SLEW, 0, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 64, TRI, 1, NULL), 0);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 64, TRI, 0, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 64, DRIVE, 0, NULL), 0);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 64, DRIVE, 0, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 64, DRIVE, 4, NULL), PM_RET_ERROR_ARGS);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 64, PULL, 2, NULL), PM_RET_ERROR_ARGS);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 64, NR_PARAMS, 0, NULL), PM_RET_ERROR_NOTSUPPORTED);
    host_log_clear();
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 64, NR_PARAMS, 0, &v), PM_RET_ERROR_NOTSUPPORTED);
    assert_true(host_log_contains("smc: d0: EEMI pinctrl: pin 64: no parameter 7: error"));
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 64, 0xffffffffU, 0, &v), PM_RET_ERROR_NOTSUPPORTED);
    /* the bank voltage is the board's: reads LVCMOS18 (as the ZCU102 DT's
     * power-source = <1> expects), cannot be set */
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 64, VOLTAGE, 0, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 64, VOLTAGE, 0, NULL), PM_RET_ERROR_NOTSUPPORTED);
    /* other pins keep their own state */
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 65, SLEW, 0, &v), 0);
    assert_int_equal(v, 0);
    /* pin bounds, for every API */
    for (u32 id = PM_PINCTRL_REQUEST; id <= PM_PINCTRL_CONFIG_PARAM_SET; id++) {
        assert_int_equal(api(id, 78, 0, 0, NULL), PM_RET_ERROR_ARGS);
        assert_int_equal(api(id, 0xffffffffU, 0, 0, NULL), PM_RET_ERROR_ARGS);
    }
    assert_true(host_log_contains("no such MIO pin"));
}

/* A host tree whose console UART's pinctrl-0 is the ZCU102's uart0-default. */
static char fdt[4096] __attribute__((aligned(8)));

static int console_node(void)
{
    int root, pc, cfg, sub, uart;
    const char pins_rx[] = "MIO18";
    /* junk after the real one: none of it names a pin (not even MIO0) */
    const char pins_tx[] = "MIO19\0MIO200\0PAD3\0MIO\0MIO5x\0MIO-1";

    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    root = fdt_path_offset(fdt, "/");
    pc = fdt_add_subnode(fdt, root, "pinctrl");
    cfg = fdt_add_subnode(fdt, pc, "uart0-default");
    assert_int_equal(fdt_setprop_u32(fdt, cfg, "phandle", 0x1e), 0);
    sub = fdt_add_subnode(fdt, cfg, "mux");
    assert_int_equal(fdt_setprop_string(fdt, sub, "groups", "uart0_4_grp"), 0);
    assert_int_equal(fdt_setprop_string(fdt, sub, "function", "uart0"), 0);
    cfg = fdt_subnode_offset(fdt, fdt_path_offset(fdt, "/pinctrl"), "uart0-default");
    sub = fdt_add_subnode(fdt, cfg, "conf-rx");
    assert_int_equal(fdt_setprop(fdt, sub, "pins", pins_rx, sizeof(pins_rx)), 0);
    cfg = fdt_subnode_offset(fdt, fdt_path_offset(fdt, "/pinctrl"), "uart0-default");
    sub = fdt_add_subnode(fdt, cfg, "conf-tx");
    assert_int_equal(fdt_setprop(fdt, sub, "pins", pins_tx, sizeof(pins_tx)), 0);
    root = fdt_path_offset(fdt, "/");
    uart = fdt_add_subnode(fdt, root, "serial@ff000000");
    assert_int_equal(fdt_setprop_u32(fdt, uart, "pinctrl-0", 0x1e), 0);
    return fdt_path_offset(fdt, "/serial@ff000000");
}

static void test_console_pins_refused(void **state unused)
{
    u32 v, p[4];
    int uart0 = -1;

    assert_int_equal(pin_model_note_console(fdt, console_node()), 2);
    dom0_owns_every_pin(); /* as at boot: dom0's tree after the console */
    for (u32 f = 0; f < pin_model_nr_functions(); f++) {
        query(PM_QID_PINCTRL_GET_FUNCTION_NAME, f, 0, p);
        if (!memcmp(p, "uart0", 6))
            uart0 = (int)f;
    }
    assert_true(pin_model_console_pin(18) && pin_model_console_pin(19));
    assert_false(pin_model_console_pin(17) || pin_model_console_pin(20));
    assert_false(pin_model_console_pin(0) || pin_model_console_pin(5));
    assert_false(pin_model_console_pin(78));
    /* muxed as the console's configuration says */
    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 18, 0, 0, &v), 0);
    assert_int_equal(v, (u32)uart0);
    host_log_clear();
    assert_int_equal(api(PM_PINCTRL_REQUEST, 18, 0, 0, NULL), PM_RET_ERROR_ACCESS);
    assert_int_equal(api(PM_PINCTRL_RELEASE, 19, 0, 0, NULL), PM_RET_ERROR_ACCESS);
    assert_int_equal(api(PM_PINCTRL_SET_FUNCTION, 19, 0, 0, NULL), PM_RET_ERROR_ACCESS);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 18, TRI, 1, NULL), PM_RET_ERROR_ACCESS);
    assert_true(host_log_contains("a pin of granite's console UART: refused"));
    /* reads and the queries stay answered; the neighbours are dom0's */
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 18, TRI, 0, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(query(PM_QID_PINCTRL_GET_PIN_GROUPS, 18, 0, p), 0);
    assert_int_equal(api(PM_PINCTRL_REQUEST, 20, 0, 0, NULL), 0);
    /* a reset gives them back (a new boot) */
    pin_model_reset();
    dom0_owns_every_pin();
    assert_int_equal(api(PM_PINCTRL_REQUEST, 18, 0, 0, NULL), 0);
}

static void test_console_without_pinctrl(void **state unused)
{
    int uart = console_node();

    assert_int_equal(fdt_delprop(fdt, uart, "pinctrl-0"), 0);
    assert_int_equal(pin_model_note_console(fdt, fdt_path_offset(fdt, "/serial@ff000000")), 0);
    assert_int_equal(pin_model_note_console(fdt, -1), 0);
    assert_int_equal(api(PM_PINCTRL_REQUEST, 18, 0, 0, NULL), 0);
}

/* A console configuration whose `function` does not end within its
 * property: its pins are still granite's, left unmuxed (the string is
 * checked for its end before it is compared). */
static void test_console_function_unterminated(void **state unused)
{
    int cfg, uart = console_node();
    u32 v, gpio_func;

    (void)uart;
    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 18, 0, 0, &gpio_func), 0);
    cfg = fdt_path_offset(fdt, "/pinctrl/uart0-default/mux");
    assert_int_equal(fdt_setprop(fdt, cfg, "function", "uart0", 5), 0); /* no NUL */
    assert_int_equal(pin_model_note_console(fdt, fdt_path_offset(fdt, "/serial@ff000000")), 2);
    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 18, 0, 0, &v), 0);
    assert_int_equal(v, gpio_func);
    cfg = fdt_path_offset(fdt, "/pinctrl/uart0-default/mux");
    assert_int_equal(fdt_setprop(fdt, cfg, "function", "", 0), 0); /* empty */
    /* 0: both pins are granite's already */
    assert_int_equal(pin_model_note_console(fdt, fdt_path_offset(fdt, "/serial@ff000000")), 0);
    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 18, 0, 0, &v), 0);
    assert_int_equal(v, gpio_func);
}

/* A string-list property (each string NUL-terminated, "" ends the list). */
static void set_list(char *t, const char *path, const char *prop, const char *list)
{
    int len = 0;

    while (list[len])
        len += (int)strlen(list + len) + 1;
    assert_int_equal(fdt_setprop(t, fdt_path_offset(t, path), prop, list, len), 0);
}

static void set_u32(char *t, const char *path, const char *prop, u32 v)
{
    assert_int_equal(fdt_setprop_u32(t, fdt_path_offset(t, path), prop, v), 0);
}

static void add_node(char *t, const char *parent, const char *name)
{
    assert_true(fdt_add_subnode(t, fdt_path_offset(t, parent), name) >= 0);
}

/* dom0's pins are what its tree's pinctrl-N states name: a device's states
 * (config nodes and their subnodes, groups and pins), the pin controller's
 * own hog state; not pinctrl-names or another property, not a config node
 * nobody names, never granite's console's.  Noting them muxes nothing. */
static void test_hwdom_pins_from_its_tree(void **state unused)
{
    static char t[4096] __attribute__((aligned(8)));
    u32 v, eth3_pin64;

    pin_model_reset();
    assert_int_equal(pin_model_note_console(fdt, console_node()), 2);
    assert_int_equal(fdt_create_empty_tree(t, sizeof(t)), 0);
    add_node(t, "/", "pinctrl");
    add_node(t, "/pinctrl", "i2c1-hog");
    set_u32(t, "/pinctrl/i2c1-hog", "phandle", 1);
    set_list(t, "/pinctrl/i2c1-hog", "groups", "i2c1_4_grp\0");     /* 16-17 */
    set_list(t, "/pinctrl", "pinctrl-names", "default\0");
    set_u32(t, "/pinctrl", "pinctrl-0", 1);
    add_node(t, "/pinctrl", "gem3");
    set_u32(t, "/pinctrl/gem3", "phandle", 2);
    add_node(t, "/pinctrl/gem3", "mux");
    set_list(t, "/pinctrl/gem3/mux", "groups", "ethernet3_0_grp\0"); /* 64-75 */
    set_list(t, "/pinctrl/gem3/mux", "function", "ethernet3\0");
    add_node(t, "/pinctrl/gem3", "conf");
    set_list(t, "/pinctrl/gem3/conf", "pins", "MIO76\0NOPE\0");
    add_node(t, "/pinctrl", "sleep");
    set_u32(t, "/pinctrl/sleep", "phandle", 3);
    set_list(t, "/pinctrl/sleep", "pins", "MIO5\0");
    add_node(t, "/pinctrl", "other");
    set_u32(t, "/pinctrl/other", "phandle", 4);
    set_list(t, "/pinctrl/other", "pins", "MIO6\0");
    add_node(t, "/pinctrl", "unnamed");
    set_u32(t, "/pinctrl/unnamed", "phandle", 5);
    set_list(t, "/pinctrl/unnamed", "pins", "MIO7\0");
    add_node(t, "/pinctrl", "console");
    set_u32(t, "/pinctrl/console", "phandle", 6);
    set_list(t, "/pinctrl/console", "groups", "uart0_4_grp\0");
    add_node(t, "/", "ethernet");
    set_list(t, "/ethernet", "pinctrl-names", "default\0sleep\0");
    set_u32(t, "/ethernet", "pinctrl-0", 2);
    set_u32(t, "/ethernet", "pinctrl-1", 3);
    set_u32(t, "/ethernet", "pinctrl-x", 4);
    set_u32(t, "/ethernet", "pinctrl-", 4);
    set_u32(t, "/ethernet", "pinctrl-12", 99); /* names no node */
    add_node(t, "/", "serial");
    set_u32(t, "/serial", "pinctrl-0", 6);

    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 64, 0, 0, &eth3_pin64), 0);
    assert_int_equal(pin_model_note_hwdom(t), 2 + 12 + 1 + 1);
    for (u32 pin = 0; pin < 78; pin++) {
        bool want = pin == 16 || pin == 17 || (pin >= 64 && pin <= 76) || pin == 5;
        if (pin_model_hwdom_pin(pin) != want)
            fail_msg("pin %u: dom0's is %d, want %d", pin, pin_model_hwdom_pin(pin), want);
    }
    assert_false(pin_model_hwdom_pin(78));
    assert_int_equal(api(PM_PINCTRL_GET_FUNCTION, 64, 0, 0, &v), 0);
    assert_int_equal(v, eth3_pin64); /* not muxed by being noted */
    host_log_clear();
    assert_int_equal(api(PM_PINCTRL_SET_FUNCTION, 7, 0, 0, NULL), PM_RET_ERROR_ACCESS);
    assert_true(host_log_contains("no pinctrl state of d0's tree names the pin: refused"));
    assert_int_equal(api(PM_PINCTRL_REQUEST, 6, 0, 0, NULL), PM_RET_ERROR_ACCESS);
    assert_int_equal(api(PM_PINCTRL_RELEASE, 6, 0, 0, NULL), PM_RET_ERROR_ACCESS);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 6, SLEW, 1, NULL), PM_RET_ERROR_ACCESS);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_GET, 6, SLEW, 0, &v), 0);
    assert_int_equal(api(PM_PINCTRL_CONFIG_PARAM_SET, 76, SLEW, 1, NULL), 0);
    /* granite's console's, even named by dom0's tree: the console's message */
    assert_int_equal(api(PM_PINCTRL_REQUEST, 18, 0, 0, NULL), PM_RET_ERROR_ACCESS);
    assert_true(host_log_contains("a pin of granite's console UART: refused"));
    /* a reset: none is dom0's until its tree is noted again */
    pin_model_reset();
    assert_int_equal(api(PM_PINCTRL_REQUEST, 64, 0, 0, NULL), PM_RET_ERROR_ACCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_zcu102_groups, setup),
        cmocka_unit_test_setup(test_function_ids, setup),
        cmocka_unit_test_setup(test_group_names_parse, setup),
        cmocka_unit_test_setup(test_batches_and_markers, setup),
        cmocka_unit_test_setup(test_query_bounds, setup),
        cmocka_unit_test_setup(test_function_and_config_state, setup),
        cmocka_unit_test_setup(test_console_pins_refused, setup),
        cmocka_unit_test_setup(test_console_without_pinctrl, setup),
        cmocka_unit_test_setup(test_hwdom_pins_from_its_tree, setup),
        cmocka_unit_test_setup(test_console_function_unterminated, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
