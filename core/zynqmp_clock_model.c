/*
 * zynqmp_clock_model.c — the ZynqMP clock tree granite describes to the
 * hardware domain when granite itself answers the platform firmware
 * interface (EEMI "answer mode", core/zynqmp_eemi.c: QEMU's xlnx-zcu102 has
 * no PMU firmware behind the SMC).
 *
 * What Linux's clock driver for the firmware (drivers/clk/zynqmp/clkc.c)
 * asks, through PM_QUERY_DATA, and what this model answers:
 *   - GET_NUM_CLOCKS: the size of the clock id space.  Ids are the
 *     firmware's: output clocks 0..112 as the DT binding numbers them
 *     (include/dt-bindings/clock/xlnx-zynqmp-clk.h: UART0_REF = 56, ...),
 *     then the external inputs, pss_ref_clk first (113).  The model's space
 *     ends after pss_ref_clk: it is the only input the model uses.
 *   - GET_ATTRIBUTES(id): bit 0 valid, bit 2 external.  Valid are the output
 *     clocks below and pss_ref_clk; every other id is answered "not valid",
 *     as the firmware answers the ids it does not implement.
 *   - GET_NAME(id): the firmware's name, 16 bytes, zeros for an invalid id.
 *   - GET_TOPOLOGY(id, index): the clock's chain of nodes, three words per
 *     answer (type in bits 3:0, clock-framework flags in bits 23:8); here
 *     one node, TYPE_FIXEDFACTOR, then TYPE_INVALID (0) ends the chain.
 *   - GET_FIXEDFACTOR_PARAMS(id): mult, div.
 *   - GET_PARENTS(id, index): three words per answer (id in bits 15:0, flags
 *     in 31:16); here pss_ref_clk with the "external" flag, whose name Linux
 *     looks up in the clock controller's clock-names, then NA_PARENT ends.
 *   - GET_MAX_DIVISOR: asked only of divider nodes; the model has none.
 *
 * Why fixed factors of pss_ref_clk: QEMU's ZynqMP devices do not depend on
 * clocks (no device's speed follows a clock register), so granite cannot
 * report a rate it measured.  Each output clock the
 * ZCU102's device tree names is a fixed multiple of the board's 33.333 MHz
 * reference, giving that clock's NOMINAL rate on a ZCU102 (100 MHz UART and
 * I2C references, 125 MHz Ethernet, 200 MHz SD, ...: round figures for the
 * clock's function, not read from a board configuration).  No gate, mux or
 * divider is reported, so dom0's clock framework has nothing to enable,
 * disable or set (and cannot switch off granite's console UART's clocks);
 * the rates are whatever pss_ref_clk's DT rate gives, times the ratio.
 * Which ids are modelled: a fixed table, the ids a `clocks` reference of
 * Debian's zynqmp-zcu102-rev1.0.dtb names (41), minus the ones the firmware
 * itself marks invalid on this device (TOPSW_MAIN).  A ZynqMP board naming
 * another id (a PL clock, DP's STC...) finds it "not valid": Linux then
 * gives that device no clock, as it would with a firmware lacking it.
 *
 * Assumes: the host DT's "xlnx,zynqmp-clk" node names its inputs with
 * clocks/clock-names, "pss_ref_clk" among them, a fixed clock with a
 * clock-frequency.  Without it the model has no clocks at all.
 */
#include <libfdt.h>
#include <granite/zynqmp_clock_model.h>
#include <granite/zynqmp_eemi.h>
#include <granite/boot.h>
#include <granite/console.h>

/* Output clock ids (the DT binding's names and values) the model has. */
enum {
    ACPU = 10, DP_VIDEO_REF = 16, DP_AUDIO_REF = 17, GDMA_REF = 19, DPDMA_REF = 20,
    SATA_REF = 22, PCIE_REF = 23, TOPSW_LSBUS = 28, LPD_LSBUS = 31, USB0_BUS_REF = 32,
    USB1_BUS_REF = 33, USB3_DUAL_REF = 34, GEM_TSU = 44, GEM0_TX = 45, GEM1_TX = 46,
    GEM2_TX = 47, GEM3_TX = 48, GEM0_RX = 49, GEM1_RX = 50, GEM2_RX = 51, GEM3_RX = 52,
    QSPI_REF = 53, SDIO0_REF = 54, SDIO1_REF = 55, UART0_REF = 56, UART1_REF = 57,
    SPI0_REF = 58, SPI1_REF = 59, NAND_REF = 60, I2C0_REF = 61, I2C1_REF = 62,
    CAN0_REF = 63, CAN1_REF = 64, ADMA_REF = 68, AMS_REF = 70, WDT = 75, GEM0_REF = 104,
    GEM1_REF = 105, GEM2_REF = 106, GEM3_REF = 107, LPD_WDT = 112,
};

#define NR_OUTPUT_CLKS 113                /* output ids 0..112 */
#define EXT_CLK_PSS_REF NR_OUTPUT_CLKS    /* the first external input */
#define NR_MODEL_IDS (EXT_CLK_PSS_REF + 1)
#define PSS_REF_NAME "pss_ref_clk"

/* Attribute bits (GET_ATTRIBUTES payload[1]). */
#define CLK_ATTR_VALID (1U << 0)
#define CLK_ATTR_EXTERNAL (1U << 2)

/* Topology node word: type in bits 3:0; clock-framework flags from bit 8. */
#define TYPE_INVALID 0
#define TYPE_FIXEDFACTOR 3
#define CLK_TOPOLOGY_FLAGS_SHIFT 8
#define CLK_NODE_MAX 6 /* the most nodes a firmware clock chains */

/* Parent word: id in bits 15:0, flags from bit 16. */
#define CLK_PARENTS_FLAGS_SHIFT 16
#define PARENT_CLK_EXTERNAL 5
#define NA_PARENT 0xffffffffU
#define MAX_PARENTS 100 /* the firmware's bound on a clock's parent list */

#define WORDS_PER_ANSWER 3 /* topology nodes or parents per answer */
#define CLK_NAME_BYTES 16
#define MAX_SPEC_CELLS 8   /* sanity bound on a provider's #clock-cells */

struct model_clock {
    const char *name; /* as the firmware reports it; NULL: not modelled */
    u8 mult, div;     /* rate = pss_ref_clk * mult / div (nominal) */
};

/* Nominal ZCU102 rates as ratios of the 33.333 MHz reference, the ones the
 * table uses: x3/5 = 20 MHz, x3/4 = 25 MHz, x3/2 = 50 MHz, x3 = 100 MHz,
 * x15/4 = 125 MHz, x6 = 200 MHz, x15/2 = 250 MHz, x9 = 300 MHz,
 * x15 = 500 MHz, x18 = 600 MHz, x36 = 1.2 GHz. */
static const struct model_clock clocks[NR_OUTPUT_CLKS] = {
    [ACPU] = { "acpu", 36, 1 },
    [DP_VIDEO_REF] = { "dp_video_ref", 9, 1 },
    [DP_AUDIO_REF] = { "dp_audio_ref", 3, 4 },
    [GDMA_REF] = { "gdma_ref", 18, 1 },
    [DPDMA_REF] = { "dpdma_ref", 18, 1 },
    [SATA_REF] = { "sata_ref", 15, 2 },
    [PCIE_REF] = { "pcie_ref", 15, 2 },
    [TOPSW_LSBUS] = { "topsw_lsbus", 3, 1 },
    [LPD_LSBUS] = { "lpd_lsbus", 3, 1 },
    [USB0_BUS_REF] = { "usb0_bus_ref", 15, 2 },
    [USB1_BUS_REF] = { "usb1_bus_ref", 15, 2 },
    [USB3_DUAL_REF] = { "usb3_dual_ref", 3, 5 },
    [GEM_TSU] = { "gem_tsu", 15, 2 },
    [GEM0_TX] = { "gem0_tx", 15, 4 },
    [GEM1_TX] = { "gem1_tx", 15, 4 },
    [GEM2_TX] = { "gem2_tx", 15, 4 },
    [GEM3_TX] = { "gem3_tx", 15, 4 },
    [GEM0_RX] = { "gem0_rx", 15, 4 },
    [GEM1_RX] = { "gem1_rx", 15, 4 },
    [GEM2_RX] = { "gem2_rx", 15, 4 },
    [GEM3_RX] = { "gem3_rx", 15, 4 },
    [QSPI_REF] = { "qspi_ref", 15, 4 },
    [SDIO0_REF] = { "sdio0_ref", 6, 1 },
    [SDIO1_REF] = { "sdio1_ref", 6, 1 },
    [UART0_REF] = { "uart0_ref", 3, 1 },
    [UART1_REF] = { "uart1_ref", 3, 1 },
    [SPI0_REF] = { "spi0_ref", 6, 1 },
    [SPI1_REF] = { "spi1_ref", 6, 1 },
    [NAND_REF] = { "nand_ref", 3, 1 },
    [I2C0_REF] = { "i2c0_ref", 3, 1 },
    [I2C1_REF] = { "i2c1_ref", 3, 1 },
    [CAN0_REF] = { "can0_ref", 3, 1 },
    [CAN1_REF] = { "can1_ref", 3, 1 },
    [ADMA_REF] = { "adma_ref", 15, 1 },
    [AMS_REF] = { "ams_ref", 3, 2 },
    [WDT] = { "fpd_wdt", 3, 1 },
    [GEM0_REF] = { "gem0_ref", 15, 4 },
    [GEM1_REF] = { "gem1_ref", 15, 4 },
    [GEM2_REF] = { "gem2_ref", 15, 4 },
    [GEM3_REF] = { "gem3_ref", 15, 4 },
    [LPD_WDT] = { "lpd_wdt", 3, 1 },
};

static u32 ref_hz; /* pss_ref_clk's DT rate; 0: no clocks */

u32 zynqmp_clock_model_ref_hz(void) { return ref_hz; }

bool zynqmp_clock_modelled(u32 id)
{
    return ref_hz && id < NR_OUTPUT_CLKS && clocks[id].name;
}

u64 zynqmp_clock_rate(u32 id)
{
    return zynqmp_clock_modelled(id) ? (u64)ref_hz * clocks[id].mult / clocks[id].div : 0;
}

/* --- boot: the board's reference clock ------------------------------------ */

/* The rate of entry `want` of `node`'s "clocks" (each entry's length from its
 * provider's #clock-cells); 0 when it cannot be read. */
static __boot u32 input_rate(const void *fdt, int node, int want)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "clocks", &len);
    unsigned words = p && len > 0 ? (unsigned)len / 4 : 0;

    for (unsigned i = 0, entry = 0; i < words; entry++) {
        int prov = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(p[i])), clen;
        const fdt32_t *cells = prov >= 0 ? fdt_getprop(fdt, prov, "#clock-cells", &clen) : NULL;
        u32 nc = cells && clen == 4 ? fdt32_to_cpu(*cells) : MAX_SPEC_CELLS + 1;
        const fdt32_t *freq;

        if (nc > MAX_SPEC_CELLS || i + 1 + nc > words)
            return 0;
        if ((int)entry == want) {
            freq = fdt_getprop(fdt, prov, "clock-frequency", &clen);
            return freq && clen == 4 ? fdt32_to_cpu(*freq) : 0;
        }
        i += 1 + nc;
    }
    return 0;
}

__boot unsigned zynqmp_clock_model_probe(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "xlnx,zynqmp-clk");
    int idx = node >= 0 ? fdt_stringlist_search(fdt, node, "clock-names", PSS_REF_NAME) : -1;
    unsigned n = 0;

    ref_hz = idx >= 0 ? input_rate(fdt, node, idx) : 0;
    for (u32 id = 0; id < NR_OUTPUT_CLKS; id++)
        n += zynqmp_clock_modelled(id);
    return n;
}

/* --- queries -------------------------------------------------------------- */

bool zynqmp_clock_is_query(u32 qid)
{
    switch (qid) {
    case PM_QID_CLOCK_GET_NAME:
    case PM_QID_CLOCK_GET_TOPOLOGY:
    case PM_QID_CLOCK_GET_FIXEDFACTOR_PARAMS:
    case PM_QID_CLOCK_GET_PARENTS:
    case PM_QID_CLOCK_GET_ATTRIBUTES:
    case PM_QID_CLOCK_GET_NUM_CLOCKS:
    case PM_QID_CLOCK_GET_MAX_DIVISOR:
        return true;
    }
    return false;
}

static bool ext_valid(u32 id) { return ref_hz && id == EXT_CLK_PSS_REF; }

static void put_name(const char *name, u32 p[4])
{
    char bytes[CLK_NAME_BYTES] = { 0 };
    size_t n = strlen(name);

    memcpy(bytes, name, n < CLK_NAME_BYTES - 1 ? n : CLK_NAME_BYTES - 1);
    memcpy(p, bytes, sizeof(bytes)); /* little-endian words, as x0/x1 carry them */
}

/* Words `index`.. of a list of `n` words, WORDS_PER_ANSWER at a time, the
 * rest filled with `end`. */
static void put_words(const u32 *list, u32 n, u32 index, u32 end, u32 p[4])
{
    for (u32 i = 0; i < WORDS_PER_ANSWER; i++)
        p[1 + i] = index + i < n ? list[index + i] : end;
}

u32 zynqmp_clock_query(const u32 arg[4], u32 p[4])
{
    u32 qid = arg[0], id = arg[1], index = arg[2];
    bool out = zynqmp_clock_modelled(id);

    p[0] = p[1] = p[2] = p[3] = 0;
    switch (qid) {
    case PM_QID_CLOCK_GET_NUM_CLOCKS:
        p[1] = ref_hz ? NR_MODEL_IDS : 0;
        return PM_RET_SUCCESS;
    case PM_QID_CLOCK_GET_NAME:
        /* The answer is all name: an id the model does not implement gets
         * zeros, the interface's way of saying so (Linux asks every id in the
         * space); only an id beyond the space is a bad argument, which the
         * status tells the caller alone (the guest sees zeros either way). */
        if (out)
            put_name(clocks[id].name, p);
        else if (ext_valid(id))
            put_name(PSS_REF_NAME, p);
        return ref_hz && id < NR_MODEL_IDS ? PM_RET_SUCCESS : PM_RET_INVALID_PARAM;
    case PM_QID_CLOCK_GET_ATTRIBUTES:
        if (!ref_hz || id >= NR_MODEL_IDS)
            break;
        p[1] = out ? CLK_ATTR_VALID : ext_valid(id) ? CLK_ATTR_VALID | CLK_ATTR_EXTERNAL : 0;
        return PM_RET_SUCCESS;
    case PM_QID_CLOCK_GET_TOPOLOGY: {
        const u32 node = TYPE_FIXEDFACTOR; /* no flags: nothing to gate or set */
        if (!out || index > CLK_NODE_MAX)
            break;
        put_words(&node, 1, index, TYPE_INVALID, p);
        return PM_RET_SUCCESS;
    }
    case PM_QID_CLOCK_GET_PARENTS: {
        const u32 parent = EXT_CLK_PSS_REF | PARENT_CLK_EXTERNAL << CLK_PARENTS_FLAGS_SHIFT;
        if (!out || index > MAX_PARENTS)
            break;
        put_words(&parent, 1, index, NA_PARENT, p);
        return PM_RET_SUCCESS;
    }
    case PM_QID_CLOCK_GET_FIXEDFACTOR_PARAMS:
        if (!out)
            break;
        p[1] = clocks[id].mult;
        p[2] = clocks[id].div;
        return PM_RET_SUCCESS;
    case PM_QID_CLOCK_GET_MAX_DIVISOR: /* no dividers in the model */
    default:
        break;
    }
    p[0] = PM_RET_INVALID_PARAM;
    return PM_RET_INVALID_PARAM;
}
