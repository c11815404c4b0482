/*
 * test_zynqmp_eemi.c — host tests of the SMC service table (core/smc_service.c)
 * and the ZynqMP EEMI service (core/zynqmp_eemi.c).
 *
 * A small board tree is built in memory: the firmware node, a reset and a
 * clock controller under it, three devices naming power nodes, resets and
 * clocks, one of them withheld from dom0 (not in the tree granite builds for
 * dom0, which the tests make by deleting it from a copy).  The
 * firmware behind the SMC is a stand-in (arch_firmware_smc below) that either
 * answers NOT_SUPPORTED to everything, as QEMU's ZCU102 model does, or
 * answers success and records what it was asked (a board with TF-A).
 * Every call comes from a guest and is hostile until checked.  With
 * board_ref the tree also gives the clock controller its pss_ref_clk input
 * and rate, so answer mode has the clocks of core/zynqmp_clock_model.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <libfdt.h>
#include <granite/smc_service.h>
#include <granite/domain.h>
#include "host_stubs.h"

#define SIP64(api) (0xC2000000UL | (api))
#define NODE_UART0 0x21
#define NODE_GEM3 0x20
#define RESET_GEM3 32 /* DT index: EEMI id 1032 */
#define NODE_GEM1 0x1e  /* withheld from dom0 (another domain's) */
#define RESET_GEM1 30
#define CLK_UART0 0x38  /* granite's console's reference clock */
#define CLK_GEM3 0x2c
#define CLK_GEM1 0x2a
#define WITHHELD "/ethernet@ff0c0000"

#define PSS_REF_HZ 33333333U
/* pinctrl config nodes' phandles (5 is the console's uart0-default) */
#define PH_GEM3_PINS 6
#define PH_GEM1_PINS 7
#define PH_I2C1_PINS 8
#define PH_UART1_PINS 9

static char fdt[16384] __attribute__((aligned(8)));
/* The board names its reference clock (the clock controller's "pss_ref_clk"
 * input, with a rate), as the ZCU102's tree does: granite's clock model has
 * clocks only then. */
static bool board_ref;
static char dom0_fdt[16384] __attribute__((aligned(8)));

/* --- the stand-in firmware -------------------------------------------------- */

static bool fw_present;
static unsigned fw_calls;
static u64 fw_last[8];

void arch_firmware_smc(const u64 a[8], u64 res[4])
{
    fw_calls++;
    memcpy(fw_last, a, sizeof(fw_last));
    res[0] = fw_present ? 0x0001000100000000UL : 0xffffffffffffffffUL; /* v1.1 / NOT_SUPPORTED */
    res[1] = fw_present ? 0x1111 : 0;
    res[2] = res[3] = 0;
}

/* --- tree ------------------------------------------------------------------- */

/* pinctrl config node /pinctrl/<name> (phandle `ph` when not 0), with `prop`
 * (a string list, each string NUL-terminated, an empty one ending the list)
 * on it or on its subnode `sub`. */
static void pinctrl_config(const char *name, u32 ph, const char *sub, const char *prop,
                           const char *list)
{
    char path[64];
    int node, len = 0;

    snprintf(path, sizeof(path), "/pinctrl/%s", name);
    node = fdt_path_offset(fdt, path);
    if (node < 0)
        node = fdt_add_subnode(fdt, fdt_path_offset(fdt, "/pinctrl"), name);
    assert_true(node >= 0);
    if (ph)
        assert_int_equal(fdt_setprop_u32(fdt, node, "phandle", ph), 0);
    if (sub) {
        node = fdt_add_subnode(fdt, fdt_path_offset(fdt, path), sub);
        assert_true(node >= 0);
    }
    while (list[len])
        len += (int)strlen(list + len) + 1;
    assert_int_equal(fdt_setprop(fdt, node, prop, list, len), 0);
}

static void build_tree(const char *method)
{
    int root, fwp, fw, rst, dev;
    fdt32_t pd[2] = { cpu_to_fdt32(1), cpu_to_fdt32(NODE_UART0) };
    fdt32_t pd2[4] = { cpu_to_fdt32(1), cpu_to_fdt32(NODE_GEM3), cpu_to_fdt32(7),
                       cpu_to_fdt32(0x99) }; /* the second names another provider */
    fdt32_t rs[2] = { cpu_to_fdt32(2), cpu_to_fdt32(RESET_GEM3) };
    /* clocks mixing providers of different cell counts: <&fixed> <&clk id> */
    fdt32_t ck[3] = { cpu_to_fdt32(4), cpu_to_fdt32(3), cpu_to_fdt32(CLK_GEM3) };
    fdt32_t ck_uart[2] = { cpu_to_fdt32(3), cpu_to_fdt32(CLK_UART0) };
    fdt32_t pd1[2] = { cpu_to_fdt32(1), cpu_to_fdt32(NODE_GEM1) };
    fdt32_t rs1[2] = { cpu_to_fdt32(2), cpu_to_fdt32(RESET_GEM1) };
    fdt32_t ck1[2] = { cpu_to_fdt32(3), cpu_to_fdt32(CLK_GEM1) };

    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    root = fdt_path_offset(fdt, "/");
    fwp = fdt_add_subnode(fdt, root, "firmware");
    fw = fdt_add_subnode(fdt, fwp, "zynqmp-firmware");
    assert_int_equal(fdt_setprop_string(fdt, fw, "compatible", "xlnx,zynqmp-firmware"), 0);
    if (method)
        assert_int_equal(fdt_setprop_string(fdt, fw, "method", method), 0);
    assert_int_equal(fdt_setprop_u32(fdt, fw, "phandle", 1), 0);
    assert_int_equal(fdt_setprop_u32(fdt, fw, "#power-domain-cells", 1), 0);
    rst = fdt_add_subnode(fdt, fw, "reset-controller");
    assert_int_equal(fdt_setprop_string(fdt, rst, "compatible", "xlnx,zynqmp-reset"), 0);
    assert_int_equal(fdt_setprop_u32(fdt, rst, "phandle", 2), 0);
    assert_int_equal(fdt_setprop_u32(fdt, rst, "#reset-cells", 1), 0);
    fw = fdt_path_offset(fdt, "/firmware/zynqmp-firmware");
    rst = fdt_add_subnode(fdt, fw, "clock-controller");
    assert_int_equal(fdt_setprop_string(fdt, rst, "compatible", "xlnx,zynqmp-clk"), 0);
    assert_int_equal(fdt_setprop_u32(fdt, rst, "phandle", 3), 0);
    assert_int_equal(fdt_setprop_u32(fdt, rst, "#clock-cells", 1), 0);
    if (board_ref) {
        assert_int_equal(fdt_setprop_u32(fdt, rst, "clocks", 4), 0);
        rst = fdt_path_offset(fdt, "/firmware/zynqmp-firmware/clock-controller");
        assert_int_equal(fdt_setprop_string(fdt, rst, "clock-names", "pss_ref_clk"), 0);
    }
    root = fdt_path_offset(fdt, "/");
    dev = fdt_add_subnode(fdt, root, "pss_ref_clk");
    assert_int_equal(fdt_setprop_string(fdt, dev, "compatible", "fixed-clock"), 0);
    assert_int_equal(fdt_setprop_u32(fdt, dev, "phandle", 4), 0);
    assert_int_equal(fdt_setprop_u32(fdt, dev, "#clock-cells", 0), 0);
    if (board_ref) {
        dev = fdt_path_offset(fdt, "/pss_ref_clk");
        assert_int_equal(fdt_setprop_u32(fdt, dev, "clock-frequency", PSS_REF_HZ), 0);
    }
    root = fdt_path_offset(fdt, "/");
    dev = fdt_add_subnode(fdt, root, "serial@ff000000");
    assert_int_equal(fdt_setprop(fdt, dev, "power-domains", pd, sizeof(pd)), 0);
    dev = fdt_path_offset(fdt, "/serial@ff000000");
    assert_int_equal(fdt_setprop(fdt, dev, "clocks", ck_uart, sizeof(ck_uart)), 0);
    root = fdt_path_offset(fdt, "/");
    dev = fdt_add_subnode(fdt, root, "ethernet@ff0e0000");
    assert_int_equal(fdt_setprop(fdt, dev, "power-domains", pd2, sizeof(pd2)), 0);
    dev = fdt_path_offset(fdt, "/ethernet@ff0e0000");
    assert_int_equal(fdt_setprop(fdt, dev, "resets", rs, sizeof(rs)), 0);
    dev = fdt_path_offset(fdt, "/ethernet@ff0e0000");
    assert_int_equal(fdt_setprop(fdt, dev, "clocks", ck, sizeof(ck)), 0);
    root = fdt_path_offset(fdt, "/");
    dev = fdt_add_subnode(fdt, root, WITHHELD + 1);
    assert_int_equal(fdt_setprop(fdt, dev, "power-domains", pd1, sizeof(pd1)), 0);
    dev = fdt_path_offset(fdt, WITHHELD);
    assert_int_equal(fdt_setprop(fdt, dev, "resets", rs1, sizeof(rs1)), 0);
    dev = fdt_path_offset(fdt, WITHHELD);
    assert_int_equal(fdt_setprop(fdt, dev, "clocks", ck1, sizeof(ck1)), 0);
    /* granite's console's pins: its pinctrl-0 is the ZCU102's uart0-default */
    root = fdt_path_offset(fdt, "/");
    dev = fdt_add_subnode(fdt, root, "pinctrl");
    dev = fdt_add_subnode(fdt, dev, "uart0-default");
    assert_int_equal(fdt_setprop_u32(fdt, dev, "phandle", 5), 0);
    assert_int_equal(fdt_setprop_string(fdt, dev, "groups", "uart0_4_grp"), 0);
    assert_int_equal(fdt_setprop_string(fdt, dev, "function", "uart0"), 0);
    dev = fdt_path_offset(fdt, "/serial@ff000000");
    assert_int_equal(fdt_setprop_u32(fdt, dev, "pinctrl-0", 5), 0);
    /* dom0's gem3: its MAC group and MDIO pins (a config node with subnodes) */
    pinctrl_config("gem3-default", PH_GEM3_PINS, "mux", "groups", "ethernet3_0_grp\0");
    pinctrl_config("gem3-default", 0, "conf-mdio", "pins", "MIO76\0MIO77\0");
    dev = fdt_path_offset(fdt, "/ethernet@ff0e0000");
    assert_int_equal(fdt_setprop_string(fdt, dev, "pinctrl-names", "default"), 0);
    dev = fdt_path_offset(fdt, "/ethernet@ff0e0000");
    assert_int_equal(fdt_setprop_u32(fdt, dev, "pinctrl-0", PH_GEM3_PINS), 0);
    /* the withheld gem1's (MIO38-49) */
    pinctrl_config("gem1-default", PH_GEM1_PINS, NULL, "groups", "ethernet1_0_grp\0");
    dev = fdt_path_offset(fdt, WITHHELD);
    assert_int_equal(fdt_setprop_u32(fdt, dev, "pinctrl-0", PH_GEM1_PINS), 0);
    /* a hog: the pin controller's own state names its child i2c1-default (MIO16-17) */
    pinctrl_config("i2c1-default", PH_I2C1_PINS, NULL, "groups", "i2c1_4_grp\0");
    dev = fdt_path_offset(fdt, "/pinctrl");
    assert_int_equal(fdt_setprop_u32(fdt, dev, "pinctrl-0", PH_I2C1_PINS), 0);
    /* a configuration nobody names (uart1's, MIO20-21) */
    pinctrl_config("uart1-default", PH_UART1_PINS, NULL, "groups", "uart1_5_grp\0");
    /* granite's console: its power node is not dom0's to switch */
    root = fdt_path_offset(fdt, "/");
    dev = fdt_add_subnode(fdt, root, "chosen");
    assert_int_equal(fdt_setprop_string(fdt, dev, "stdout-path", "/serial@ff000000:115200n8"), 0);
}

static struct domain dom0 = { .id = 0 }, domU = { .id = 1 };

/* One call: true if a service took it; x0..x3 in out[]. */
static bool call(struct domain *d, u64 fid, u64 x1, u64 x2, u64 out[4])
{
    struct smccc_regs r = { .x = { fid, x1, x2 } };
    bool taken = smc_service_call(d, 0, &r);
    memcpy(out, r.x, 4 * sizeof(u64));
    return taken;
}

static u32 status(const u64 out[4]) { return (u32)out[0]; }
static u32 payload1(const u64 out[4]) { return (u32)(out[0] >> 32); }

/* dom0's tree as core/dom0_dt.c would build it: the host's without the
 * withheld device (granite's console stays here, to show it is excluded by
 * the service itself). */
static void give_dom0_its_tree(void)
{
    assert_int_equal(fdt_open_into(fdt, dom0_fdt, sizeof(dom0_fdt)), 0);
    assert_int_equal(fdt_del_node(dom0_fdt, fdt_path_offset(dom0_fdt, WITHHELD)), 0);
    smc_services_hwdom_tree(dom0_fdt);
}

static void boot(bool firmware)
{
    build_tree("smc");
    fw_present = firmware;
    fw_calls = 0;
    host_log_clear();
    smc_services_init(fdt);
    give_dom0_its_tree();
}

static int setup_no_firmware(void **state unused)
{
    board_ref = false;
    boot(false);
    return 0;
}

static int setup_no_firmware_board_clocks(void **state unused)
{
    board_ref = true;
    boot(false);
    return 0;
}

static int setup_with_firmware(void **state unused)
{
    board_ref = true; /* forwarded: the model is not consulted */
    boot(true);
    return 0;
}

/* --- answered (no firmware) -------------------------------------------------- */

static void test_probe_says_how(void **state unused)
{
    assert_true(host_log_contains("no firmware answers (GET_API_VERSION: 0xffffffff)"));
    assert_true(host_log_contains("(API v1.0, 0 clocks modelled"));
    assert_true(host_log_contains("d0's tree names 2 power-node, 1 reset and 2 clock references"));
}

static void test_versions(void **state unused)
{
    u64 out[4];

    assert_true(call(&dom0, SIP64(1), 0, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 0x10000); /* v1.0 */
    assert_true(call(&dom0, SIP64(0xa03), 0, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 0x10000);
    assert_int_equal(fw_calls, 1); /* only the probe asked the firmware */
}

static void test_feature_check(void **state unused)
{
    u64 out[4];

    assert_true(call(&dom0, SIP64(63), 35 /* PM_QUERY_DATA */, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 1);
    assert_true(call(&dom0, SIP64(63), 26 /* PM_SECURE_SHA: not served */, 0, out));
    assert_int_equal(status(out), 19);
    assert_true(call(&dom0, SIP64(63), 0xffffffffUL, 0, out));
    assert_int_equal(status(out), 19);
}

/* A PM_QUERY_DATA query id granite does not answer: NO_FEATURE, logged. */
static void test_unknown_query(void **state unused)
{
    u64 out[4];

    host_log_clear();
    assert_true(call(&dom0, SIP64(35), 0x99 | (7UL << 32), 0, out));
    assert_int_equal(status(out), 19);
    assert_true(host_log_contains("smc: d0: EEMI PM_QUERY_DATA query 153 (0x7, 0x0): not one "
                                  "granite answers: no feature"));
    assert_true(call(&dom0, SIP64(35), 0, 0, out)); /* XPM_QID_INVALID */
    assert_int_equal(status(out), 19);
    assert_int_equal(fw_calls, 1);
}

static void test_no_clocks(void **state unused)
{
    u64 out[4];

    assert_true(call(&dom0, SIP64(35), 12 /* GET_NUM_CLOCKS */, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 0);
    assert_true(call(&dom0, SIP64(35), 1 /* GET_NAME */ | (3UL << 32), 0, out));
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 0);
    /* no clock exists: a query about one names an invalid clock */
    assert_true(call(&dom0, SIP64(35), 2 /* CLOCK_GET_TOPOLOGY */ | (3UL << 32), 0, out));
    assert_int_equal(status(out), 15);
    assert_true(call(&dom0, SIP64(36), 3 /* CLOCK_ENABLE(3) */, 0, out));
    assert_int_equal(status(out), 2003);
}

/* The pin controller: answered from core/zynqmp_pin_model.c, through the
 * SMC's register layout. */
static void test_pinctrl_answered(void **state unused)
{
    u64 out[4];

    assert_true(host_log_contains("granite's console keeps its 2 MIO pin(s)"));
    for (u64 api = 28; api <= 33; api++) {
        assert_true(call(&dom0, SIP64(63), api, 0, out));
        assert_int_equal(status(out), 0);
        /* PARAM_SET: version 2, the tri-state parameter (Linux checks) */
        assert_int_equal(payload1(out), api == 33 ? 2 : 1);
    }
    assert_true(call(&dom0, SIP64(35), 6 /* GET_NUM_PINS */, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 78);
    /* a function name fills x0 and x1, status word included: "can0" */
    assert_true(call(&dom0, SIP64(35), 9 /* GET_FUNCTION_NAME */ | (0UL << 32), 0, out));
    assert_memory_equal(&out[0], "can0\0\0\0\0", 8);
    assert_int_equal(out[1], 0);
    /* REQUEST(64), SET_FUNCTION(64, ethernet3's id 5) */
    assert_true(call(&dom0, SIP64(28), 64, 0, out));
    assert_int_equal(status(out), 0);
    assert_true(call(&dom0, SIP64(31), 64 | (5UL << 32), 0, out));
    assert_int_equal(status(out), 0);
    /* granite's console's pins */
    assert_true(call(&dom0, SIP64(31), 18 | (5UL << 32), 0, out));
    assert_int_equal(status(out), 2002);
    assert_true(call(&dom0, SIP64(28), 78, 0, out));
    assert_int_equal(status(out), 1);
    assert_int_equal(fw_calls, 1); /* the probe's only */
}

/* Which pins dom0 may change: the ones its own tree's pinctrl states name
 * (gem3's group and MDIO pins, the pin controller's i2c1 hog), not the
 * withheld gem1's, not a configuration nobody names; reads stay open. */
static void check_pin_ownership(void)
{
    u64 out[4];
    unsigned fw_before = fw_calls;

    assert_true(host_log_contains("d0's pinctrl states name 16 MIO pin(s)"));
    /* gem3's: SET_FUNCTION(64, ethernet3), REQUEST(77) (a `pins` subnode),
     * the hog's CONFIG_PARAM_SET(16, slew, slow), RELEASE(75) */
    assert_true(call(&dom0, SIP64(31), 64 | (5UL << 32), 0, out));
    assert_int_equal(status(out), 0);
    assert_true(call(&dom0, SIP64(28), 77, 0, out));
    assert_int_equal(status(out), 0);
    assert_true(call(&dom0, SIP64(33), 16, 1, out));
    assert_int_equal(status(out), 0);
    assert_true(call(&dom0, SIP64(29), 75, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(fw_calls - fw_before, fw_present ? 4 : 0);
    /* the withheld gem1's MIO40, uart1's unnamed MIO20, MIO0: every change refused */
    host_log_clear();
    fw_before = fw_calls;
    for (u64 pin = 0; pin <= 40; pin += 20) {
        assert_true(call(&dom0, SIP64(28), pin, 0, out));
        assert_int_equal(status(out), 2002);
        assert_true(call(&dom0, SIP64(29), pin, 0, out));
        assert_int_equal(status(out), 2002);
        assert_true(call(&dom0, SIP64(31), pin | (3UL << 32), 0, out));
        assert_int_equal(status(out), 2002);
        assert_true(call(&dom0, SIP64(33), pin | (0UL << 32), 1, out));
        assert_int_equal(status(out), 2002);
    }
    assert_true(host_log_contains("smc: d0: EEMI pinctrl API 31 (pin 40, 0x3, 0x0): no pinctrl "
                                  "state of d0's tree names the pin: refused"));
    assert_int_equal(fw_calls, fw_before);
    /* reading them: GET_FUNCTION, CONFIG_PARAM_GET, a pin's groups */
    assert_true(call(&dom0, SIP64(30), 40, 0, out));
    assert_int_equal(status(out), 0);
    assert_true(call(&dom0, SIP64(32), 40, 0, out));
    assert_int_equal(status(out), 0);
    assert_true(call(&dom0, SIP64(35), 11 /* GET_PIN_GROUPS */ | (40UL << 32), 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(fw_calls - fw_before, fw_present ? 3 : 0);
}

static void test_pin_ownership(void **state unused) { check_pin_ownership(); }

/* Forwarded after the same checks: granite's console's pins never reach the
 * firmware, other pins do, unchanged. */
static void test_pinctrl_forwarded(void **state unused)
{
    u64 out[4];

    assert_true(call(&dom0, SIP64(28), 19, 0, out));
    assert_int_equal(status(out), 2002);
    assert_true(call(&dom0, SIP64(33), 18 | (6UL << 32), 1, out));
    assert_int_equal(status(out), 2002);
    assert_int_equal(fw_calls, 1);
    assert_true(call(&dom0, SIP64(31), 64 | (7UL << 32), 0, out));
    assert_int_equal(fw_calls, 2);
    assert_int_equal(fw_last[0], SIP64(31));
    assert_int_equal(fw_last[1], 64 | (7UL << 32));
    assert_int_equal(out[1], 0x1111); /* the firmware's own answer */
    assert_true(call(&dom0, SIP64(35), 11 /* GET_PIN_GROUPS */ | (18UL << 32), 0, out));
    assert_int_equal(fw_calls, 3); /* a query describes: forwarded */
}

static void test_power_nodes_checked(void **state unused)
{
    u64 out[4];

    /* REQUEST_NODE(node, capabilities = ACCESS, qos 100, ack blocking) */
    assert_true(call(&dom0, SIP64(13), NODE_GEM3 | (1UL << 32), 100 | (1UL << 32), out));
    assert_int_equal(status(out), 0);
    assert_true(call(&dom0, SIP64(14), NODE_GEM3, 0, out));
    assert_int_equal(status(out), 0);
    /* granite's console UART's node: named by the DT, still refused */
    assert_true(call(&dom0, SIP64(14), NODE_UART0, 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(15), NODE_UART0 | (1UL << 32), 0, out));
    assert_int_equal(status(out), 2003);
    /* 7/0x99 belongs to another provider; 0x22 is named by nobody */
    host_log_clear();
    assert_true(call(&dom0, SIP64(13), 0x99 | (1UL << 32), 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(host_log_contains("a node, reset or clock not dom0's"));
    assert_true(call(&dom0, SIP64(14), 0x22, 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(13), 0xffffffffUL, 0, out));
    assert_int_equal(status(out), 2003);
    /* bad capabilities, QoS above 100, an unknown ack (valid: 1..3):
     * argument errors, INVALID_PARAM (15) */
    host_log_clear();
    assert_true(call(&dom0, SIP64(15), NODE_GEM3 | (0x10UL << 32), 1UL << 32, out));
    assert_int_equal(status(out), 15);
    assert_true(host_log_contains("a requirement (capabilities, QoS, ack) or reset action out "
                                  "of range: refused"));
    assert_true(call(&dom0, SIP64(15), NODE_GEM3 | (1UL << 32), 101 | (1UL << 32), out));
    assert_int_equal(status(out), 15);
    assert_true(call(&dom0, SIP64(13), NODE_GEM3 | (1UL << 32), 4UL << 32, out));
    assert_int_equal(status(out), 15);
    assert_true(call(&dom0, SIP64(13), NODE_GEM3 | (1UL << 32), 0, out)); /* ack 0 */
    assert_int_equal(status(out), 15);
    assert_true(call(&dom0, SIP64(15), NODE_GEM3 | (1UL << 32), 3UL << 32, out));
    assert_int_equal(status(out), 0);
    /* a bad node and a bad argument: the node's error */
    assert_true(call(&dom0, SIP64(13), 0x22 | (1UL << 32), 0, out));
    assert_int_equal(status(out), 2003);
}

static void test_resets_checked(void **state unused)
{
    u64 out[4];

    assert_true(call(&dom0, SIP64(17), (1000 + RESET_GEM3) | (2UL << 32) /* pulse */, 0, out));
    assert_int_equal(status(out), 0);
    assert_true(call(&dom0, SIP64(18), 1000 + RESET_GEM3, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 0);
    assert_true(call(&dom0, SIP64(17), (1000 + RESET_GEM3) | (3UL << 32), 0, out));
    assert_int_equal(status(out), 15); /* no action 3: an argument error */
    assert_true(call(&dom0, SIP64(17), 999 | (1UL << 32), 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(18), 1001, 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(18), 0, 0, out)); /* below the base: no wrap */
    assert_int_equal(status(out), 2003);
}

/* A device withheld from dom0 (another domain's): its power node and reset
 * are named by the host tree, not by dom0's, so dom0 may not switch them. */
static void test_withheld_device_refused(void **state unused)
{
    u64 out[4];

    assert_true(call(&dom0, SIP64(13), NODE_GEM1 | (1UL << 32), 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(14), NODE_GEM1, 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(17), (1000 + RESET_GEM1) | (1UL << 32), 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(18), 1000 + RESET_GEM1, 0, out));
    assert_int_equal(status(out), 2003);
}

/* Before dom0's tree is built, dom0 owns nothing. */
static void test_nothing_owned_before_dom0_tree(void **state unused)
{
    u64 out[4];

    build_tree("smc");
    fw_present = false;
    smc_services_init(fdt);
    assert_true(call(&dom0, SIP64(13), NODE_GEM3 | (1UL << 32), 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(18), 1000 + RESET_GEM3, 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(31), 64 | (5UL << 32), 0, out)); /* gem3's pin */
    assert_int_equal(status(out), 2002);
}

/* Only the hardware domain; only SMC64 EEMI ids; unknown APIs refused. */
static void test_who_and_what(void **state unused)
{
    u64 out[4];

    assert_true(call(&domU, SIP64(1), 0, 0, out));
    assert_int_equal(out[0], (u64)-1);
    assert_true(call(&dom0, 0x82000001UL /* SMC32 */, 0, 0, out));
    assert_int_equal(out[0], (u64)-1);
    assert_true(call(&dom0, SIP64(26) /* PM_SECURE_SHA */, 0, 0, out));
    assert_int_equal(out[0], (u64)-1);
    assert_true(call(&dom0, 0xC200ff03UL /* another SiP id */, 0, 0, out));
    assert_int_equal(out[0], (u64)-1);
    /* a yielding call, or another owner: no service takes it */
    assert_false(call(&dom0, 0x42000001UL, 0, 0, out));
    assert_false(call(&dom0, 0xC3000001UL /* OEM */, 0, 0, out));
    assert_int_equal(fw_calls, 1);
}

/* --- answered, with the board's reference clock: the clock model ---------- */

static void test_model_clocks_listed(void **state unused)
{
    u64 out[4];
    char name[17] = { 0 };

    assert_true(host_log_contains("(API v1.0, 41 clocks modelled: fixed factors of a "
                                  "33333333 Hz pss_ref_clk"));
    assert_true(call(&dom0, SIP64(35), 12 /* GET_NUM_CLOCKS */, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 114);
    /* GET_NAME(56): x0 and x1 carry the 16 bytes of the name */
    assert_true(call(&dom0, SIP64(35), 1 | ((u64)CLK_UART0 << 32), 0, out));
    memcpy(name, &out[0], 8);
    memcpy(name + 8, &out[1], 8);
    assert_string_equal(name, "uart0_ref");
    /* GET_PARENTS(44, index 0): pss_ref_clk (113), external */
    assert_true(call(&dom0, SIP64(35), 4 | ((u64)CLK_GEM3 << 32), 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 113 | 5 << 16);
    /* queries describe the whole tree, whoever's the clock: not an access */
    assert_true(call(&dom0, SIP64(35), 3 /* FIXEDFACTOR */ | ((u64)CLK_UART0 << 32), 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 3);
    /* a bad index: refused and logged */
    host_log_clear();
    assert_true(call(&dom0, SIP64(35), 2 /* TOPOLOGY */ | ((u64)CLK_GEM3 << 32), 50, out));
    assert_int_equal(status(out), 15);
    assert_true(host_log_contains("not in the model's clock tree: refused"));
    /* the pin controller's queries are the pin model's, beside the clocks */
    assert_true(call(&dom0, SIP64(35), 6 /* PINCTRL_GET_NUM_PINS */, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 78);
}

/* dom0's own modelled clock (GEM3's gem_tsu, 44) answers as a running fixed
 * factor; granite's console's, another domain's, unnamed ones are refused. */
static void test_model_clock_calls(void **state unused)
{
    static const u32 changes[] = { 37 /* DISABLE */, 39 /* SETDIVIDER */, 41 /* SETRATE */,
                                   43 /* SETPARENT */ };
    static const u32 calls[] = { 36, 37, 38, 39, 40, 41, 42, 43, 44 };
    u64 out[4];

    assert_true(call(&dom0, SIP64(38) /* GETSTATE */, CLK_GEM3, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 1);
    assert_true(call(&dom0, SIP64(42) /* GETRATE */, CLK_GEM3, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 249999997); /* x15/2: nominal 250 MHz */
    assert_int_equal((u32)out[1], 0);            /* the rate's high word */
    assert_true(call(&dom0, SIP64(44) /* GETPARENT */, CLK_GEM3, 0, out));
    assert_int_equal(status(out), 0);
    assert_int_equal(payload1(out), 0);
    assert_true(call(&dom0, SIP64(40) /* GETDIVIDER */, CLK_GEM3, 0, out));
    assert_int_equal(status(out), 15);
    assert_true(call(&dom0, SIP64(36) /* ENABLE: it runs */, CLK_GEM3, 0, out));
    assert_int_equal(status(out), 0);
    host_log_clear();
    for (unsigned i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        assert_true(call(&dom0, SIP64(changes[i]), CLK_GEM3 | (1UL << 32), 0, out));
        assert_int_equal(status(out), 2002);
    }
    assert_true(host_log_contains("the model's clocks run at fixed rates, ungated: refused"));
    for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        assert_true(call(&dom0, SIP64(calls[i]), CLK_UART0, 0, out));
        assert_int_equal(status(out), 2003);
        assert_true(call(&dom0, SIP64(calls[i]), CLK_GEM1, 0, out));
        assert_int_equal(status(out), 2003);
        assert_true(call(&dom0, SIP64(calls[i]), 0xffffffffUL, 0, out));
        assert_int_equal(status(out), 2003);
    }
    assert_int_equal(fw_calls, 1); /* the probe only */
}

/* --- forwarded (a firmware answers) ------------------------------------------ */

static void test_forwarded(void **state unused)
{
    u64 out[4];

    assert_true(host_log_contains("firmware API v1.1: dom0's calls forwarded"));
    assert_true(call(&dom0, SIP64(13), NODE_GEM3 | (1UL << 32), 100 | (2UL << 32), out));
    assert_int_equal(fw_calls, 2);
    assert_int_equal(fw_last[0], SIP64(13));
    assert_int_equal(fw_last[1], NODE_GEM3 | (1UL << 32));
    assert_int_equal(fw_last[2], 100 | (2UL << 32));
    assert_int_equal(out[1], 0x1111); /* the firmware's own answer */
    /* checked before forwarding: never reaches the firmware */
    assert_true(call(&dom0, SIP64(13), 0x22, 0, out));
    assert_int_equal(status(out), 2003);
    assert_true(call(&dom0, SIP64(13), NODE_GEM3 | (1UL << 32), 100, out)); /* ack 0 */
    assert_int_equal(status(out), 15);
    assert_true(call(&dom0, SIP64(63), 26, 0, out));
    assert_int_equal(status(out), 19);
    assert_true(call(&domU, SIP64(1), 0, 0, out));
    assert_int_equal(fw_calls, 2);
}

/* Forwarded: no clock change reaches the firmware (gating granite's console
 * UART's reference clock would hang granite's console); read-only queries
 * of dom0's own clocks do. */
static void test_forwarded_clock_changes_refused(void **state unused)
{
    static const u32 changes[] = { 36 /* ENABLE */, 37 /* DISABLE */, 39 /* SETDIVIDER */,
                                   41 /* SETRATE */, 43 /* SETPARENT */ };
    static const u32 clocks[] = { CLK_UART0, CLK_GEM3, CLK_GEM1, 0xffffffffU };
    u64 out[4];

    host_log_clear();
    for (unsigned i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        for (unsigned j = 0; j < sizeof(clocks) / sizeof(clocks[0]); j++) {
            assert_true(call(&dom0, SIP64(changes[i]), clocks[j] | (1UL << 32), 0, out));
            assert_int_equal(status(out), 2002); /* XST_PM_NO_ACCESS */
        }
        /* and a feature check says so, without asking the firmware */
        assert_true(call(&dom0, SIP64(63), changes[i], 0, out));
        assert_int_equal(status(out), 19);
    }
    assert_int_equal(fw_calls, 1); /* the probe only */
    assert_true(host_log_contains("a clock change, never forwarded: refused"));
}

static void test_forwarded_clock_queries_checked(void **state unused)
{
    static const u32 queries[] = { 38 /* GETSTATE */, 40 /* GETDIVIDER */, 42 /* GETRATE */,
                                   44 /* GETPARENT */ };
    u64 out[4];

    for (unsigned i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        unsigned before = fw_calls;
        assert_true(call(&dom0, SIP64(queries[i]), CLK_GEM3, 0, out));
        assert_int_equal(fw_calls, before + 1);
        assert_int_equal(fw_last[0], SIP64(queries[i]));
        /* granite's console's, a withheld device's, nobody's: not asked */
        assert_true(call(&dom0, SIP64(queries[i]), CLK_UART0, 0, out));
        assert_int_equal(status(out), 2003);
        assert_true(call(&dom0, SIP64(queries[i]), CLK_GEM1, 0, out));
        assert_int_equal(status(out), 2003);
        assert_true(call(&dom0, SIP64(queries[i]), 0x77, 0, out));
        assert_int_equal(status(out), 2003);
        assert_int_equal(fw_calls, before + 1);
    }
    assert_true(call(&dom0, SIP64(63), 38, 0, out)); /* a query's feature check: passed on */
    assert_int_equal(fw_last[0], SIP64(63));
}

/* --- not served ---------------------------------------------------------------- */

static void test_no_firmware_node_no_service(void **state unused)
{
    u64 out[4];

    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    smc_services_init(fdt);
    assert_false(call(&dom0, SIP64(1), 0, 0, out));
}

static void test_hvc_method_not_served(void **state unused)
{
    u64 out[4];

    build_tree("hvc");
    host_log_clear();
    smc_services_init(fdt);
    assert_true(host_log_contains("method is not \"smc\""));
    assert_false(call(&dom0, SIP64(1), 0, 0, out));
    build_tree(NULL);
    smc_services_init(fdt);
    assert_false(call(&dom0, SIP64(1), 0, 0, out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_probe_says_how, setup_no_firmware),
        cmocka_unit_test_setup(test_versions, setup_no_firmware),
        cmocka_unit_test_setup(test_feature_check, setup_no_firmware),
        cmocka_unit_test_setup(test_no_clocks, setup_no_firmware),
        cmocka_unit_test_setup(test_unknown_query, setup_no_firmware),
        cmocka_unit_test_setup(test_unknown_query, setup_no_firmware_board_clocks),
        cmocka_unit_test_setup(test_model_clocks_listed, setup_no_firmware_board_clocks),
        cmocka_unit_test_setup(test_model_clock_calls, setup_no_firmware_board_clocks),
        cmocka_unit_test_setup(test_power_nodes_checked, setup_no_firmware_board_clocks),
        cmocka_unit_test_setup(test_pinctrl_answered, setup_no_firmware),
        cmocka_unit_test_setup(test_pinctrl_forwarded, setup_with_firmware),
        cmocka_unit_test_setup(test_pin_ownership, setup_no_firmware),
        cmocka_unit_test_setup(test_pin_ownership, setup_with_firmware),
        cmocka_unit_test_setup(test_power_nodes_checked, setup_no_firmware),
        cmocka_unit_test_setup(test_resets_checked, setup_no_firmware),
        cmocka_unit_test_setup(test_who_and_what, setup_no_firmware),
        cmocka_unit_test_setup(test_withheld_device_refused, setup_no_firmware),
        cmocka_unit_test_setup(test_withheld_device_refused, setup_with_firmware),
        cmocka_unit_test(test_nothing_owned_before_dom0_tree),
        cmocka_unit_test_setup(test_forwarded, setup_with_firmware),
        cmocka_unit_test_setup(test_forwarded_clock_changes_refused, setup_with_firmware),
        cmocka_unit_test_setup(test_forwarded_clock_queries_checked, setup_with_firmware),
        cmocka_unit_test(test_no_firmware_node_no_service),
        cmocka_unit_test(test_hvc_method_not_served),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
