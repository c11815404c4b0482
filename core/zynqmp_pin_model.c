/*
 * zynqmp_pin_model.c — the ZynqMP's pin controller (the multiplexer and I/O
 * configuration of its 78 MIO pins) as granite reports it when granite is the
 * platform firmware: core/zynqmp_eemi.c's answer mode (QEMU's xlnx-zcu102 has
 * no PMU firmware and models no pin controller).
 *
 * What Linux's zynqmp-pinctrl driver asks, and how it reads the answers
 * (Linux 6.1 drivers/pinctrl/pinctrl-zynqmp.c, drivers/firmware/xilinx/zynqmp.c):
 *   - PM_QUERY_DATA: the number of pins, of functions, a function's name
 *     (16 bytes filling the whole answer, status word included) and its
 *     number of groups; a function's group ids and a pin's group ids, six
 *     16-bit ids per answer starting at an index, the rest of the six filled
 *     with END_OF_GROUPS (0xffff).  Linux names group k of function F
 *     "F_k_grp" — the names the board DT's pinctrl nodes use
 *     ("ethernet3_0_grp") — so each function's groups are listed in the
 *     firmware's order; the group ids themselves only tie the two lists
 *     together (Linux sizes its table by the sum of the functions' counts).
 *   - PM_PINCTRL_REQUEST / RELEASE / GET_FUNCTION / SET_FUNCTION (pin, function)
 *     and CONFIG_PARAM_GET / SET (pin, parameter, value).
 * Which pins each group holds are the firmware's facts (TF-A's
 * plat/xilinx/zynqmp/pm_service/pm_api_pinctrl.c); the representation is
 * granite's: a family of groups whose group j holds a pattern of pins (a
 * bit mask) at a base that moves with j, regularly or by a short list, plus
 * pins every group of the family shares (an SD interface's clock/command).
 *
 * All 57 functions of the firmware are modelled, with their group counts and
 * pins, and function ids are the firmware's.  Group ids are granite's own
 * (each function's groups numbered consecutively; the firmware numbers them
 * in another order): Linux uses them only to tie the function and pin lists
 * together.  Differences from the firmware's answers, none of which changes
 * what Linux builds: a pin's groups are listed in group-id order (the
 * firmware lists them by mux slot and marks slots without a group RESERVED;
 * the model never answers RESERVED, which Linux skips anyway); the firmware
 * lists pin 42's sdio0_1 and pin 71's sdio0_2 group twice (Linux would put
 * the pin in the group twice), the model once.
 *
 * State: each pin's function and its configuration parameters, what a later
 * GET answers.  Reset state (the model's choice, not the TRM's): gpio0, fast
 * slew, bias enabled, pull-up, CMOS input, 12 mA, not tri-stated; the I/O
 * voltage reads LVCMOS18 (1.8 V) on every bank, as the ZCU102's DT expects
 * (power-source = <1>), and cannot be set (it is the board's supply).
 * Requests are not tracked: a request or release of a valid pin succeeds.
 *
 * Whose pins: the hardware domain may change (request, release, mux,
 * configure) only the pins its own tree's `pinctrl-N` states name — the
 * config nodes (and their subnodes) its devices' states point at, and the
 * pin controller node's own states (its hogs), through their `groups`
 * (resolved to pins by this model: F_k_grp is group k of function F) and
 * `pins`.  A device withheld from it (another domain's, granite's) is not in
 * that tree, so neither are its pins.  granite's console: the pins of its
 * UART's `pinctrl-0` configuration in the host tree are granite's whatever
 * the hardware domain's tree names (on a board, re-muxing them would cut
 * granite's console).  A change of any other pin is refused
 * PM_RET_ERROR_ACCESS with a rate-limited line.  Reads and the queries stay
 * answered: they describe, not change.  Those
 * checks (pin_model_check) are made in both modes; in forward mode a checked
 * call then goes to the real firmware, which judges functions and values
 * itself (the model's tables and state are not used there).  Forwarding
 * rather than refusing all pin control: refusing would leave every device
 * with a pinctrl-0 unprobed on a real board, while forwarding keeps from
 * dom0 only what is granite's.  Not covered: dom0 muxing another pin pair
 * to the console UART's own function (uart0 on pins 38-39, say) — what the
 * hardware then feeds the UART's input is not modelled nor refused.
 *
 * Assumes: only the hardware domain calls (core/zynqmp_eemi.c refuses the
 * others); the state is one set of pins, not per domain.  Calls from its
 * vCPUs at once each write single bytes of one pin's state: the last writer
 * wins, as with the hardware's registers, so no lock is taken.
 */
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <granite/boot.h>
#include <granite/dlog.h>
#include <granite/domain.h>
#include <granite/zynqmp_eemi.h>
#include <granite/zynqmp_pin_model.h>

#define FUNC_NAME_LEN 16 /* PM_QID_PINCTRL_GET_FUNCTION_NAME's answer */
#define MIO_NAME_PREFIX "MIO"
#define PINCTRL_STATE_PREFIX "pinctrl-" /* a device's pin states: pinctrl-0, pinctrl-1, ... */
#define GROUP_NAME_SUFFIX "_grp"
#define GROUP_INDEX_MAX_DIGITS 3 /* gpio0's 78 groups are the most a function has */
#define GROUP_ID_BITS 16         /* a group id in an answer */
#define GROUP_IDS_PER_WORD 2

/* PM_PINCTRL_CONFIG_PARAM_* parameters and their values (xlnx-zynqmp.h). */
enum {
    PM_PINCTRL_CONFIG_SLEW_RATE,
    PM_PINCTRL_CONFIG_BIAS_STATUS,
    PM_PINCTRL_CONFIG_PULL_CTRL,
    PM_PINCTRL_CONFIG_SCHMITT_CMOS,
    PM_PINCTRL_CONFIG_DRIVE_STRENGTH,
    PM_PINCTRL_CONFIG_VOLTAGE_STATUS,
    PM_PINCTRL_CONFIG_TRI_STATE,
    PM_PINCTRL_CONFIG_MAX
};
#define PM_PINCTRL_SLEW_RATE_FAST 0
#define PM_PINCTRL_SLEW_RATE_SLOW 1
#define PM_PINCTRL_BIAS_ENABLE 1
#define PM_PINCTRL_BIAS_PULL_UP 1
#define PM_PINCTRL_INPUT_TYPE_CMOS 0
#define PM_PINCTRL_INPUT_TYPE_SCHMITT 1
#define PM_PINCTRL_DRIVE_STRENGTH_12MA 3
#define PM_PINCTRL_IO_LVCMOS18 1 /* VOLTAGE_STATUS: 1.8 V bank */
#define PM_PINCTRL_TRI_STATE_DISABLE 0
#define PM_PINCTRL_TRI_STATE_ENABLE 1

/* The largest value each parameter takes; every one is a small enumeration. */
static const u8 config_max[PM_PINCTRL_CONFIG_MAX] = {
    [PM_PINCTRL_CONFIG_SLEW_RATE] = PM_PINCTRL_SLEW_RATE_SLOW,
    [PM_PINCTRL_CONFIG_BIAS_STATUS] = PM_PINCTRL_BIAS_ENABLE,
    [PM_PINCTRL_CONFIG_PULL_CTRL] = PM_PINCTRL_BIAS_PULL_UP,
    [PM_PINCTRL_CONFIG_SCHMITT_CMOS] = PM_PINCTRL_INPUT_TYPE_SCHMITT,
    [PM_PINCTRL_CONFIG_DRIVE_STRENGTH] = PM_PINCTRL_DRIVE_STRENGTH_12MA,
    [PM_PINCTRL_CONFIG_VOLTAGE_STATUS] = PM_PINCTRL_IO_LVCMOS18,
    [PM_PINCTRL_CONFIG_TRI_STATE] = PM_PINCTRL_TRI_STATE_ENABLE,
};

static const u8 config_reset[PM_PINCTRL_CONFIG_MAX] = {
    [PM_PINCTRL_CONFIG_SLEW_RATE] = PM_PINCTRL_SLEW_RATE_FAST,
    [PM_PINCTRL_CONFIG_BIAS_STATUS] = PM_PINCTRL_BIAS_ENABLE,
    [PM_PINCTRL_CONFIG_PULL_CTRL] = PM_PINCTRL_BIAS_PULL_UP,
    [PM_PINCTRL_CONFIG_SCHMITT_CMOS] = PM_PINCTRL_INPUT_TYPE_CMOS,
    [PM_PINCTRL_CONFIG_DRIVE_STRENGTH] = PM_PINCTRL_DRIVE_STRENGTH_12MA,
    [PM_PINCTRL_CONFIG_VOLTAGE_STATUS] = PM_PINCTRL_IO_LVCMOS18,
    [PM_PINCTRL_CONFIG_TRI_STATE] = PM_PINCTRL_TRI_STATE_DISABLE,
};

/* --- the table ------------------------------------------------------------ */

/* The functions; their ids are the firmware's (TF-A's PINCTRL_FUNC_* order). */
enum {
    F_CAN0, F_CAN1, F_ETHERNET0, F_ETHERNET1, F_ETHERNET2, F_ETHERNET3, F_GEMTSU0,
    F_GPIO0, F_I2C0, F_I2C1, F_MDIO0, F_MDIO1, F_MDIO2, F_MDIO3, F_QSPI0, F_QSPI_FBCLK,
    F_QSPI_SS, F_SPI0, F_SPI1, F_SPI0_SS, F_SPI1_SS, F_SDIO0, F_SDIO0_PC, F_SDIO0_CD,
    F_SDIO0_WP, F_SDIO1, F_SDIO1_PC, F_SDIO1_CD, F_SDIO1_WP, F_NAND0, F_NAND0_CE,
    F_NAND0_RB, F_NAND0_DQS, F_TTC0_CLK, F_TTC0_WAV, F_TTC1_CLK, F_TTC1_WAV, F_TTC2_CLK,
    F_TTC2_WAV, F_TTC3_CLK, F_TTC3_WAV, F_UART0, F_UART1, F_USB0, F_USB1, F_SWDT0_CLK,
    F_SWDT0_RST, F_SWDT1_CLK, F_SWDT1_RST, F_PMU0, F_PCIE0, F_CSU0, F_DPAUX0, F_PJTAG0,
    F_TRACE0, F_TRACE0_CLK, F_TESTSCAN0, NR_FUNCTIONS
};

static const char function_name[NR_FUNCTIONS][FUNC_NAME_LEN] = {
    "can0", "can1", "ethernet0", "ethernet1", "ethernet2", "ethernet3", "gemtsu0",
    "gpio0", "i2c0", "i2c1", "mdio0", "mdio1", "mdio2", "mdio3", "qspi0", "qspi_fbclk",
    "qspi_ss", "spi0", "spi1", "spi0_ss", "spi1_ss", "sdio0", "sdio0_pc", "sdio0_cd",
    "sdio0_wp", "sdio1", "sdio1_pc", "sdio1_cd", "sdio1_wp", "nand0", "nand0_ce",
    "nand0_rb", "nand0_dqs", "ttc0_clk", "ttc0_wav", "ttc1_clk", "ttc1_wav", "ttc2_clk",
    "ttc2_wav", "ttc3_clk", "ttc3_wav", "uart0", "uart1", "usb0", "usb1", "swdt0_clk",
    "swdt0_rst", "swdt1_clk", "swdt1_rst", "pmu0", "pcie0", "csu0", "dpaux0", "pjtag0",
    "trace0", "trace0_clk", "testscan0",
};

/*
 * A family: `count` consecutive groups of one function.  Group j holds the
 * pins base + i for every bit i set in `mask`, where
 *     base = first + j * stride + (bases ? bases[j] : 0),
 * and the pins fixed_first + i for every bit i set in `fixed` (pins every
 * group of the family shares: an SD interface's clock and command).
 */
struct group_family {
    u8 func, count, first;
    int8_t stride; /* may be negative */
    const u8 *bases;
    u64 mask;
    u8 fixed_first;
    u16 fixed;
};

#define RUN(n) ((1ULL << (n)) - 1)   /* n consecutive pins */
#define PIN(i) (1ULL << (i))

/* Where the groups of the functions placed irregularly start. */
static const u8 spi0_bases[] = { 0, 12, 26, 38, 52, 64 };        /* sclk; +4 miso, +5 mosi */
static const u8 spi1_bases[] = { 6, 18, 32, 44, 58, 70 };
/* ss0, ss1, ss2 of each spi0/spi1 group, in the firmware's group order */
static const u8 spi0_ss_pins[] = { 3, 2, 1, 15, 14, 13, 29, 28, 27, 41, 40, 39, 55, 54, 53, 67, 66, 65 };
static const u8 spi1_ss_pins[] = { 9, 8, 7, 21, 20, 19, 35, 34, 33, 47, 46, 45, 61, 60, 59, 73, 72, 71 };
static const u8 sdio0_pc_pins[] = { 23, 49, 75 }, sdio0_cd_pins[] = { 24, 39, 65 };
static const u8 sdio0_wp_pins[] = { 25, 50, 76 };
static const u8 sdio1_pc_pins[] = { 43, 70 }, sdio1_cd_pins[] = { 45, 77 }, sdio1_wp_pins[] = { 44, 69 };
static const u8 nand0_ce_pins[] = { 9, 26 }, nand0_rb_bases[] = { 10, 27 }, nand0_dqs_pins[] = { 12, 32 };
/* the watchdogs' clock pins (reset: the next pin) */
static const u8 swdt0_pins[] = { 6, 10, 18, 22, 30, 34, 42, 46, 50, 62, 66, 70, 74 };
static const u8 swdt1_pins[] = { 4, 8, 16, 20, 24, 32, 36, 44, 48, 56, 64, 68, 72 };
static const u8 pcie0_pins[] = { 29, 30, 31, 33, 34, 35, 36, 37 };
static const u8 csu0_pins[] = { 18, 19, 20, 21, 22, 23, 24, 25, 26, 31, 32, 33 };
static const u8 pjtag0_bases[] = { 0, 12, 26, 38, 52, 58 };
static const u8 trace0_clk_bases[] = { 0, 38, 52 };

/* Regular: group j at first + j*stride. */
#define REG(f, n, first, stride, mask) { f, n, first, stride, NULL, mask, 0, 0 }
/* Placed by a list. */
#define LIST(f, bases, first, mask) { f, sizeof(bases), first, 0, bases, mask, 0, 0 }
/* Regular, plus pins every group shares. */
#define SHARED(f, n, first, stride, mask, ffirst, fixed) { f, n, first, stride, NULL, mask, ffirst, fixed }

/*
 * In function order; a function's families in the firmware's group order
 * (group k of a function is its k-th group over its families).  The pin-pair
 * peripherals (CAN, I2C, UART) repeat every 4 pins, instance 1 first; the
 * timers every 8 pins.
 */
static const struct group_family families[] = {
    REG(F_CAN0, 19, 2, 4, RUN(2)),
    REG(F_CAN1, 20, 0, 4, RUN(2)),
    REG(F_ETHERNET0, 1, 27, 0, RUN(11)),
    REG(F_ETHERNET1, 1, 38, 0, RUN(12)),
    REG(F_ETHERNET2, 1, 52, 0, RUN(12)),
    REG(F_ETHERNET3, 1, 64, 0, RUN(12)),
    REG(F_GEMTSU0, 1, 26, 0, PIN(0)),
    REG(F_GEMTSU0, 2, 50, 1, PIN(0)),
    REG(F_GPIO0, ZYNQMP_NUM_MIOS, 0, 1, PIN(0)),
    REG(F_I2C0, 19, 2, 4, RUN(2)),
    REG(F_I2C1, 20, 0, 4, RUN(2)),
    REG(F_MDIO0, 1, 76, 0, RUN(2)),
    REG(F_MDIO1, 1, 50, 0, RUN(2)),
    REG(F_MDIO1, 1, 76, 0, RUN(2)),
    REG(F_MDIO2, 1, 76, 0, RUN(2)),
    REG(F_MDIO3, 1, 76, 0, RUN(2)),
    REG(F_QSPI0, 1, 0, 0, RUN(5) | RUN(5) << 8),   /* 0-4, 8-12 */
    REG(F_QSPI_FBCLK, 1, 6, 0, PIN(0)),
    REG(F_QSPI_SS, 1, 5, 0, PIN(0) | PIN(2)),      /* 5, 7 */
    LIST(F_SPI0, spi0_bases, 0, PIN(0) | PIN(4) | PIN(5)),
    LIST(F_SPI1, spi1_bases, 0, PIN(0) | PIN(4) | PIN(5)),
    LIST(F_SPI0_SS, spi0_ss_pins, 0, PIN(0)),
    LIST(F_SPI1_SS, spi1_ss_pins, 0, PIN(0)),
    /* sdio0: 8-bit on 13-22, 38+40-48, 64+66-74; 4-bit on half the data pins
     * with the clock and command (21-22, 38+40, 64+66); 1-bit on one. */
    REG(F_SDIO0, 1, 13, 0, RUN(10)),
    REG(F_SDIO0, 1, 38, 0, PIN(0) | RUN(9) << 2),
    REG(F_SDIO0, 1, 64, 0, PIN(0) | RUN(9) << 2),
    REG(F_SDIO0, 1, 13, 0, RUN(4) | RUN(2) << 8),
    REG(F_SDIO0, 1, 17, 0, RUN(6)),
    REG(F_SDIO0, 1, 38, 0, PIN(0) | PIN(2) | RUN(4) << 3),
    REG(F_SDIO0, 1, 38, 0, PIN(0) | PIN(2) | RUN(4) << 7),
    REG(F_SDIO0, 1, 64, 0, PIN(0) | PIN(2) | RUN(4) << 3),
    REG(F_SDIO0, 1, 64, 0, PIN(0) | PIN(2) | RUN(4) << 7),
    SHARED(F_SDIO0, 8, 13, 1, PIN(0), 21, RUN(2)),
    SHARED(F_SDIO0, 8, 41, 1, PIN(0), 38, PIN(0) | PIN(2)),
    SHARED(F_SDIO0, 8, 67, 1, PIN(0), 64, PIN(0) | PIN(2)),
    LIST(F_SDIO0_PC, sdio0_pc_pins, 0, PIN(0)),
    LIST(F_SDIO0_CD, sdio0_cd_pins, 0, PIN(0)),
    LIST(F_SDIO0_WP, sdio0_wp_pins, 0, PIN(0)),
    /* sdio1: 8-bit on 39-42 + 46-51 (clock and command 50-51); 4-bit on
     * 39-42 or 46-49 (+50-51) or 71-76; 1-bit on one data pin + 50-51, or
     * one of 71-74 + 75-76. */
    REG(F_SDIO1, 1, 39, 0, RUN(4) | RUN(6) << 7),
    REG(F_SDIO1, 1, 39, 0, RUN(4) | RUN(2) << 11),
    REG(F_SDIO1, 1, 46, 0, RUN(6)),
    REG(F_SDIO1, 1, 71, 0, RUN(6)),
    SHARED(F_SDIO1, 4, 39, 1, PIN(0), 50, RUN(2)),
    SHARED(F_SDIO1, 4, 46, 1, PIN(0), 50, RUN(2)),
    SHARED(F_SDIO1, 4, 71, 1, PIN(0), 75, RUN(2)),
    LIST(F_SDIO1_PC, sdio1_pc_pins, 0, PIN(0)),
    LIST(F_SDIO1_CD, sdio1_cd_pins, 0, PIN(0)),
    LIST(F_SDIO1_WP, sdio1_wp_pins, 0, PIN(0)),
    REG(F_NAND0, 1, 13, 0, RUN(13)),
    LIST(F_NAND0_CE, nand0_ce_pins, 0, PIN(0)),
    LIST(F_NAND0_RB, nand0_rb_bases, 0, RUN(2)),
    LIST(F_NAND0_DQS, nand0_dqs_pins, 0, PIN(0)),
    REG(F_TTC0_CLK, 9, 6, 8, PIN(0)),
    REG(F_TTC0_WAV, 9, 7, 8, PIN(0)),
    REG(F_TTC1_CLK, 9, 4, 8, PIN(0)),
    REG(F_TTC1_WAV, 9, 5, 8, PIN(0)),
    REG(F_TTC2_CLK, 9, 2, 8, PIN(0)),
    REG(F_TTC2_WAV, 9, 3, 8, PIN(0)),
    REG(F_TTC3_CLK, 9, 0, 8, PIN(0)),
    REG(F_TTC3_WAV, 9, 1, 8, PIN(0)),
    REG(F_UART0, 19, 2, 4, RUN(2)),
    REG(F_UART1, 19, 0, 4, RUN(2)),
    REG(F_USB0, 1, 52, 0, RUN(12)),
    REG(F_USB1, 1, 64, 0, RUN(12)),
    LIST(F_SWDT0_CLK, swdt0_pins, 0, PIN(0)),
    LIST(F_SWDT0_RST, swdt0_pins, 1, PIN(0)),
    LIST(F_SWDT1_CLK, swdt1_pins, 0, PIN(0)),
    LIST(F_SWDT1_RST, swdt1_pins, 1, PIN(0)),
    REG(F_PMU0, 12, 26, 1, PIN(0)),
    LIST(F_PCIE0, pcie0_pins, 0, PIN(0)),
    LIST(F_CSU0, csu0_pins, 0, PIN(0)),
    REG(F_DPAUX0, 2, 27, 2, RUN(2)),
    REG(F_DPAUX0, 2, 34, 2, RUN(2)),
    LIST(F_PJTAG0, pjtag0_bases, 0, RUN(4)),
    REG(F_TRACE0, 1, 2, 0, RUN(16)),
    REG(F_TRACE0, 1, 26, 0, RUN(12) | RUN(4) << 14), /* 26-37, 40-43 */
    REG(F_TRACE0, 1, 54, 0, RUN(16)),
    LIST(F_TRACE0_CLK, trace0_clk_bases, 0, RUN(2)),
    REG(F_TESTSCAN0, 1, 0, 0, RUN(38)),
};

#define NR_FAMILIES (sizeof(families) / sizeof(families[0]))

/* Where a group id lands: its family and its index j in it. */
struct group_ref {
    const struct group_family *fam;
    unsigned j;
};

static bool group_ref(unsigned group, struct group_ref *ref)
{
    for (unsigned i = 0; i < NR_FAMILIES; i++) {
        if (group < families[i].count) {
            ref->fam = &families[i];
            ref->j = group;
            return true;
        }
        group -= families[i].count;
    }
    return false;
}

/* Is `pin` bit (pin - base) of `mask` (of `width` bits)? */
static bool in_mask(u32 pin, int base, u64 mask, unsigned width)
{
    int off = (int)pin - base;
    return off >= 0 && off < (int)width && (mask >> off) & 1;
}

static bool family_has_pin(const struct group_family *fam, unsigned j, u32 pin)
{
    int base = fam->first + (int)j * fam->stride + (fam->bases ? fam->bases[j] : 0);

    return in_mask(pin, base, fam->mask, 64) || in_mask(pin, fam->fixed_first, fam->fixed, 16);
}

bool pin_model_group_has_pin(unsigned group, u32 pin)
{
    struct group_ref r;

    return pin < ZYNQMP_NUM_MIOS && group_ref(group, &r) && family_has_pin(r.fam, r.j, pin);
}

unsigned pin_model_nr_functions(void) { return NR_FUNCTIONS; }

unsigned pin_model_nr_groups(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < NR_FAMILIES; i++)
        n += families[i].count;
    return n;
}

/* The id of group `k` of function `func`, or -1 when it has fewer. */
static int function_group(u32 func, u32 k)
{
    unsigned id = 0;

    for (unsigned i = 0; i < NR_FAMILIES; i++) {
        if (families[i].func == func) {
            if (k < families[i].count)
                return (int)(id + k);
            k -= families[i].count;
        }
        id += families[i].count;
    }
    return -1;
}

static unsigned function_nr_groups(unsigned func)
{
    unsigned n = 0;

    for (unsigned i = 0; i < NR_FAMILIES; i++)
        if (families[i].func == func)
            n += families[i].count;
    return n;
}

/* Does any group of `func` hold `pin` (may the pin be muxed to it)? */
static bool function_has_pin(unsigned func, u32 pin)
{
    for (unsigned k = 0, n = function_nr_groups(func); k < n; k++)
        if (pin_model_group_has_pin((unsigned)function_group(func, k), pin))
            return true;
    return false;
}

/* The `index`th group holding `pin`, in group-id order; -1 past the last. */
static int pin_group(u32 pin, u32 index)
{
    unsigned id = 0;

    for (unsigned i = 0; i < NR_FAMILIES; id += families[i++].count)
        for (unsigned j = 0; j < families[i].count; j++)
            if (family_has_pin(&families[i], j, pin) && index-- == 0)
                return (int)(id + j);
    return -1;
}

/* "<function>_<k>_grp" → group id, -1 when no function has such a group. */
int pin_model_group_by_name(const char *name)
{
    for (unsigned f = 0; f < NR_FUNCTIONS; f++) {
        size_t n = strnlen(function_name[f], FUNC_NAME_LEN);
        const char *p = name + n;
        u32 k = 0;
        unsigned digits = 0;

        if (strncmp(name, function_name[f], n) || *p++ != '_')
            continue;
        for (; *p >= '0' && *p <= '9' && digits < GROUP_INDEX_MAX_DIGITS; p++, digits++)
            k = k * 10 + (u32)(*p - '0');
        if (digits && !strcmp(p, GROUP_NAME_SUFFIX))
            return function_group(f, k);
    }
    return -1;
}

/* --- state ------------------------------------------------------------------ */

struct pin_state {
    u8 func;
    u8 config[PM_PINCTRL_CONFIG_MAX];
};

#define PIN_SET_WORDS ((ZYNQMP_NUM_MIOS + 63) / 64)

struct pin_set {
    u64 bits[PIN_SET_WORDS];
};

static struct pin_state pins[ZYNQMP_NUM_MIOS];
/* granite's console's pins (host tree); the ones the hardware domain's tree
 * names (its own tree, console's excluded): see pin_model_note_hwdom. */
static struct pin_set console_pins, hwdom_pins;

static bool pin_in(const struct pin_set *set, u32 pin)
{
    return pin < ZYNQMP_NUM_MIOS && (set->bits[pin / 64] >> (pin % 64)) & 1;
}

bool pin_model_console_pin(u32 pin) { return pin_in(&console_pins, pin); }

bool pin_model_hwdom_pin(u32 pin) { return pin_in(&hwdom_pins, pin); }

void pin_model_reset(void)
{
    for (unsigned p = 0; p < ZYNQMP_NUM_MIOS; p++) {
        pins[p].func = F_GPIO0;
        memcpy(pins[p].config, config_reset, sizeof(config_reset));
    }
    memset(&console_pins, 0, sizeof(console_pins));
    memset(&hwdom_pins, 0, sizeof(hwdom_pins));
}

/* --- boot: whose pins ---------------------------------------------------------- */

/* Add `pin` to `set`, muxed to `func` when that is one of the pin's functions
 * (func < 0: left as it is).  Returns 1 when the pin is new to the set. */
static __boot unsigned add_pin(struct pin_set *set, u32 pin, int func)
{
    if (pin >= ZYNQMP_NUM_MIOS)
        return 0;
    if (func >= 0 && function_has_pin((unsigned)func, pin))
        pins[pin].func = (u8)func;
    if (pin_in(set, pin))
        return 0;
    set->bits[pin / 64] |= 1UL << (pin % 64);
    return 1;
}

/* A host-tree `function` string, -1 when none: it must end within its
 * property before it is compared. */
static __boot int function_by_name(const char *name, int len)
{
    if (!name || len <= 0 || strnlen(name, (size_t)len) >= (size_t)len)
        return -1;
    for (unsigned f = 0; f < NR_FUNCTIONS; f++)
        if (!strncmp(name, function_name[f], FUNC_NAME_LEN))
            return (int)f;
    return -1;
}

/* "MIO<n>" → n; ZYNQMP_NUM_MIOS (no pin) for anything else. */
static __boot u32 pin_by_name(const char *s)
{
    const char *digits = s + strlen(MIO_NAME_PREFIX);
    char *end;
    unsigned long pin;

    if (strncmp(s, MIO_NAME_PREFIX, strlen(MIO_NAME_PREFIX)) || *digits < '0' || *digits > '9')
        return ZYNQMP_NUM_MIOS;
    pin = strtoul(digits, &end, 10);
    return *end || pin >= ZYNQMP_NUM_MIOS ? ZYNQMP_NUM_MIOS : (u32)pin;
}

/* One pinctrl config node (or subnode): its `groups` and `pins` strings into
 * `set`, muxed to its `function` when `mux` and it names one. */
static __boot unsigned note_config_node(const void *fdt, int node, struct pin_set *set, bool mux)
{
    int flen;
    const char *fname = fdt_getprop(fdt, node, "function", &flen);
    int func = mux ? function_by_name(fname, flen) : -1;
    unsigned added = 0;
    const char *s;

    for (int i = 0; (s = fdt_stringlist_get(fdt, node, "groups", i, NULL)); i++) {
        int g = pin_model_group_by_name(s);
        for (u32 pin = 0; g >= 0 && pin < ZYNQMP_NUM_MIOS; pin++)
            if (pin_model_group_has_pin((unsigned)g, pin))
                added += add_pin(set, pin, func);
    }
    for (int i = 0; (s = fdt_stringlist_get(fdt, node, "pins", i, NULL)); i++)
        added += add_pin(set, pin_by_name(s), func);
    return added;
}

/* A `pinctrl-N` property's value (phandles of config nodes): each node and
 * its subnodes into `set`. */
static __boot unsigned note_state(const void *fdt, const fdt32_t *cfg, int len, struct pin_set *set,
                                  bool mux)
{
    unsigned added = 0;

    for (int i = 0; cfg && i < len / (int)sizeof(*cfg); i++) {
        int node = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(cfg[i])), sub;
        if (node < 0)
            continue;
        added += note_config_node(fdt, node, set, mux);
        fdt_for_each_subnode(sub, fdt, node)
            added += note_config_node(fdt, sub, set, mux);
    }
    return added;
}

__boot unsigned pin_model_note_console(const void *fdt, int uart)
{
    int len;
    const fdt32_t *cfg = uart >= 0 ? fdt_getprop(fdt, uart, "pinctrl-0", &len) : NULL;

    return note_state(fdt, cfg, len, &console_pins, true);
}

/* "pinctrl-<n>": a device's pin state (not "pinctrl-names"). */
static __boot bool is_pin_state_prop(const char *name)
{
    size_t n = strlen(PINCTRL_STATE_PREFIX);

    if (strncmp(name, PINCTRL_STATE_PREFIX, n) || !name[n])
        return false;
    for (name += n; *name; name++)
        if (*name < '0' || *name > '9')
            return false;
    return true;
}

/*
 * The hardware domain's pins: what the `pinctrl-N` states of the nodes of its
 * own tree name (its devices' configurations, and the pin controller's hogs:
 * its own states naming its children), granite's console's excluded.  Devices
 * withheld from it are not in that tree, so neither are their states.
 */
__boot unsigned pin_model_note_hwdom(const void *fdt)
{
    unsigned n = 0;
    int node, prop;

    memset(&hwdom_pins, 0, sizeof(hwdom_pins));
    for (node = fdt_next_node(fdt, -1, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        fdt_for_each_property_offset(prop, fdt, node) {
            const char *name;
            int len;
            const fdt32_t *cfg = fdt_getprop_by_offset(fdt, prop, &name, &len);
            if (cfg && name && is_pin_state_prop(name))
                note_state(fdt, cfg, len, &hwdom_pins, false);
        }
    }
    for (unsigned w = 0; w < PIN_SET_WORDS; w++)
        hwdom_pins.bits[w] &= ~console_pins.bits[w];
    for (u32 pin = 0; pin < ZYNQMP_NUM_MIOS; pin++)
        n += pin_model_hwdom_pin(pin); /* (libgcc's popcount uses SIMD registers) */
    return n;
}

/* --- serving ------------------------------------------------------------------ */

bool pin_model_is_api(u32 api) { return api >= PM_PINCTRL_REQUEST && api <= PM_PINCTRL_CONFIG_PARAM_SET; }

bool pin_model_is_query(u32 qid)
{
    return qid >= PM_QID_PINCTRL_GET_NUM_PINS && qid <= PM_QID_PINCTRL_GET_PIN_GROUPS;
}

static bool changes_pin(u32 api) { return api != PM_PINCTRL_GET_FUNCTION && api != PM_PINCTRL_CONFIG_PARAM_GET; }

u32 pin_model_check(struct domain *d, u32 api, const u32 arg[4])
{
    if (arg[0] >= ZYNQMP_NUM_MIOS) {
        dlog(d, "smc: d%u: EEMI pinctrl API %u: pin %u: no such MIO pin (%u): error\n", d->id,
             api, arg[0], ZYNQMP_NUM_MIOS);
        return PM_RET_ERROR_ARGS;
    }
    if (changes_pin(api) && pin_model_console_pin(arg[0])) {
        dlog(d, "smc: d%u: EEMI pinctrl API %u (pin %u, 0x%x, 0x%x): a pin of granite's "
             "console UART: refused\n", d->id, api, arg[0], arg[1], arg[2]);
        return PM_RET_ERROR_ACCESS;
    }
    if (changes_pin(api) && !pin_model_hwdom_pin(arg[0])) {
        dlog(d, "smc: d%u: EEMI pinctrl API %u (pin %u, 0x%x, 0x%x): no pinctrl state of "
             "d%u's tree names the pin: refused\n", d->id, api, arg[0], arg[1], arg[2], d->id);
        return PM_RET_ERROR_ACCESS;
    }
    return PM_RET_SUCCESS;
}

static u32 set_function(struct domain *d, u32 pin, u32 func)
{
    if (func >= NR_FUNCTIONS || !function_has_pin(func, pin)) {
        dlog(d, "smc: d%u: EEMI pinctrl: pin %u cannot take function %u: error\n", d->id, pin,
             func);
        return PM_RET_ERROR_NOTSUPPORTED;
    }
    pins[pin].func = (u8)func;
    return PM_RET_SUCCESS;
}

static u32 set_config(struct domain *d, u32 pin, u32 param, u32 value)
{
    if (param >= PM_PINCTRL_CONFIG_MAX || param == PM_PINCTRL_CONFIG_VOLTAGE_STATUS) {
        dlog(d, "smc: d%u: EEMI pinctrl: pin %u: parameter %u cannot be set: error\n", d->id,
             pin, param);
        return PM_RET_ERROR_NOTSUPPORTED;
    }
    if (value > config_max[param]) {
        dlog(d, "smc: d%u: EEMI pinctrl: pin %u: value %u out of range for parameter %u: "
             "error\n", d->id, pin, value, param);
        return PM_RET_ERROR_ARGS;
    }
    pins[pin].config[param] = (u8)value;
    return PM_RET_SUCCESS;
}

static u32 get_config(struct domain *d, u32 pin, u32 param, u32 *value)
{
    if (param >= PM_PINCTRL_CONFIG_MAX) {
        dlog(d, "smc: d%u: EEMI pinctrl: pin %u: no parameter %u: error\n", d->id, pin, param);
        return PM_RET_ERROR_NOTSUPPORTED;
    }
    *value = pins[pin].config[param];
    return PM_RET_SUCCESS;
}

/* Answer mode, after pin_model_check passed (the pin is valid). */
void pin_model_call(struct domain *d, u32 api, const u32 arg[4], u32 payload[PINCTRL_PAYLOAD_WORDS])
{
    u32 pin = arg[0];

    payload[0] = PM_RET_SUCCESS;
    switch (api) {
    case PM_PINCTRL_GET_FUNCTION:
        payload[1] = pins[pin].func;
        break;
    case PM_PINCTRL_SET_FUNCTION:
        payload[0] = set_function(d, pin, arg[1]);
        break;
    case PM_PINCTRL_CONFIG_PARAM_GET:
        payload[0] = get_config(d, pin, arg[1], &payload[1]);
        break;
    case PM_PINCTRL_CONFIG_PARAM_SET:
        payload[0] = set_config(d, pin, arg[1], arg[2]);
        break;
    default:
        break; /* REQUEST, RELEASE: nothing to track */
    }
}

/* Six group ids from `index` on, packed two per word from payload[1], as
 * Linux copies them (12 bytes from payload[1], little-endian u16s). */
static void pack_groups(u32 payload[PINCTRL_PAYLOAD_WORDS], int (*at)(u32, u32), u32 key, u32 index)
{
    for (unsigned i = 0; i < PINCTRL_GROUPS_PER_RESP; i++) {
        int g = index + i >= index ? at(key, index + i) : -1; /* index + i wrapped: none */
        u32 id = g >= 0 ? (u32)g : PINCTRL_END_OF_GROUPS;
        unsigned w = 1 + i / GROUP_IDS_PER_WORD, shift = (i % GROUP_IDS_PER_WORD) * GROUP_ID_BITS;

        payload[w] = (payload[w] & ~(PINCTRL_END_OF_GROUPS << shift)) | id << shift;
    }
}

void pin_model_query(struct domain *d, const u32 arg[4], u32 payload[PINCTRL_PAYLOAD_WORDS])
{
    u32 qid = arg[0], a1 = arg[1], a2 = arg[2];
    bool func_arg = qid == PM_QID_PINCTRL_GET_NUM_FUNCTION_GROUPS ||
                    qid == PM_QID_PINCTRL_GET_FUNCTION_NAME ||
                    qid == PM_QID_PINCTRL_GET_FUNCTION_GROUPS;

    memset(payload, 0, PINCTRL_PAYLOAD_WORDS * sizeof(u32));
    if ((func_arg && a1 >= NR_FUNCTIONS) ||
        (qid == PM_QID_PINCTRL_GET_PIN_GROUPS && a1 >= ZYNQMP_NUM_MIOS)) {
        dlog(d, "smc: d%u: EEMI pinctrl query %u: %s %u out of range: error\n", d->id, qid,
             func_arg ? "function" : "pin", a1);
        /* A name is all zeros (its answer has no status word). */
        if (qid != PM_QID_PINCTRL_GET_FUNCTION_NAME)
            payload[0] = PM_RET_ERROR_ARGS;
        return;
    }
    switch (qid) {
    case PM_QID_PINCTRL_GET_NUM_PINS:
        payload[1] = ZYNQMP_NUM_MIOS;
        break;
    case PM_QID_PINCTRL_GET_NUM_FUNCTIONS:
        payload[1] = NR_FUNCTIONS;
        break;
    case PM_QID_PINCTRL_GET_NUM_FUNCTION_GROUPS:
        payload[1] = function_nr_groups(a1);
        break;
    case PM_QID_PINCTRL_GET_FUNCTION_NAME:
        memcpy(payload, function_name[a1], FUNC_NAME_LEN);
        break;
    case PM_QID_PINCTRL_GET_FUNCTION_GROUPS:
        pack_groups(payload, function_group, a1, a2);
        break;
    case PM_QID_PINCTRL_GET_PIN_GROUPS:
        pack_groups(payload, pin_group, a1, a2);
        break;
    }
}
