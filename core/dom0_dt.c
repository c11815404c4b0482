/*
 * dom0_dt.c — dom0's device tree: the board's, filtered.
 *
 * dom0 is direct-mapped (IPA == PA), so every device address in the board's
 * DTB means the same thing to dom0 as to the hardware, and the tree can be
 * handed on after editing rather than written from scratch.  The editing is
 * about what dom0 must NOT see:
 *
 *   - The IOMMU.  granite drives the SMMU; a dom0 that also found it in its
 *     tree would probe it, reprogram stream tables under granite's feet and
 *     treat its devices as translated by an IOMMU it owns.  Seed 001 is that
 *     mistake happening by accident on Xen: an IOMMU the hypervisor did not
 *     recognise was left in dom0's tree and dom0 drove it.  So every IOMMU
 *     node goes (core/iommu_known.c recognises them), driven by granite or
 *     not, and every `iommus` / `iommu-map` / `iommu-map-mask` reference to one
 *     goes with it.  The one exception is asked for: an IOMMU granite does not
 *     drive that the boot option dom0_iommu_passthrough hands to dom0 stays,
 *     with the references that name only IOMMUs dom0 was handed.
 *   - The GICv3 ITS and GICv2m MSI frames.  granite emulates neither, so dom0's PCI devices use
 *     INTx; `msi-parent` / `msi-map` would point at a node that is gone.
 *   - Everything granite does not pass through or emulate.  A keep-list (the
 *     table below) names what dom0 gets; every other device node is deleted.
 *     A keep-list rather than a deny-list because a board brings devices
 *     nobody here has thought about, and the safe default for an unknown
 *     device is that dom0 does not touch it.
 *
 * and about what granite describes differently from the board:
 *   - RAM: dom0's own banks (params), not the board's.
 *   - CPUs: dom0's vCPUs, cpu@0..n-1 with reg = n (vCPU n's MPIDR has Aff0 = n);
 *     the board's cpu nodes describe physical cores (their MPIDRs, caches,
 *     idle states, OPPs), which dom0 does not run on one to one.
 *   - PSCI: conduit "hvc", served by granite (QEMU's tree says "smc" when
 *     virtualization=on, for the firmware granite sits on).
 *   - /chosen: dom0's command line; the host's bootargs are granite's options
 *     and dom0less domain/module nodes describe other domains.
 *   - a Xen-style /hypervisor node: grant-table window and event-channel PPI.
 *   - the GIC: redistributors for dom0's vCPUs only (granite's vGIC); on a
 *     GICv2 host, GICD and an 8 KiB GICC (the hardware's GICV is mapped
 *     there), without GICH, GICV and the maintenance interrupt.
 *
 * Because dom0 is direct-mapped, its RAM banks and grant window must not
 * overlap a device it keeps (checked).  Host /reserved-memory is kept whole:
 * its regions are host memory that devices dom0 drives use (a kept node's
 * `memory-region` points there); granite never hands them out as RAM and maps
 * them 1:1 into dom0, as Xen does.
 *
 * Assumptions: the board's interrupt controller is a GICv3 (granite's vGIC is
 * one); the root and GIC parent use 1- or 2-cell addresses and sizes; dom0's
 * console is the pl011 named by /chosen/stdout-path, clocked by fixed clocks
 * (a console UART of another kind, e.g. the ZCU102's Cadence, is granite's
 * alone: dom0 then gets none and prints through the console hypercall);
 * the host tree is version 17.  Anything else is refused with a message naming
 * the node and property: the host DTB is input from outside and is checked
 * (fdt_check_full, then every value read), not trusted.
 *
 * How: libfdt.  The host tree is copied into the output buffer with
 * fdt_open_into() and edited in place, then packed.  Deleting a node moves
 * everything after it, so victims are collected in document order by one
 * read-only walk and deleted from the last to the first: a deletion never
 * moves a node that comes before it.  Every write is bounded by the output
 * buffer (libfdt returns FDT_ERR_NOSPACE rather than overrun it).  The steps
 * are listed in order in steps[] at the end of the file.
 *
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#include <libfdt.h>
#include <granite/dom0_dt.h>
#include <granite/iommu_known.h>
#include <granite/hypercall.h>
#include <granite/xen_ext_regions.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/errno.h>
#include <granite/drivers.h>
#include <public/granite.h>

/* --- what dom0 keeps ------------------------------------------------------ */

struct host_survey;

/*
 * A node whose compatible matches an entry (and whose `wanted` agrees, when
 * there is one) is dom0's, with everything under it except IOMMUs and ITSes.
 * Structural nodes (/, /cpus, /chosen, /aliases) are handled by name, RAM and
 * PSCI are rebuilt from the parameters, and a bus node survives only when a
 * kept device sits under it.  To give dom0 one more device, add a line.
 */
struct keep_rule {
    const char *compatible;
    bool (*wanted)(const struct host_survey *s, const void *fdt, int node);
    const char *why;
    /* A platform device dom0 drives itself: core/passthrough.c maps its `reg`
     * 1:1 and routes its SPIs to dom0 (dom0_dt_platform_device()).  Its
     * `wanted` must not read the survey (it is also asked without one). */
    bool platform;
};

static bool is_console_uart(const struct host_survey *s, const void *fdt, int node);
static bool is_console_clock(const struct host_survey *s, const void *fdt, int node);
static bool is_firmware_clock_input(const struct host_survey *s, const void *fdt, int node);
static bool is_enabled_device(const struct host_survey *s, const void *fdt, int node);

static const struct keep_rule keep_list[] = {
    { "arm,gic-v3", NULL,
      "the interrupt controller: granite's vGIC answers at the host's addresses; its "
      "redistributor region is shrunk to dom0's vCPUs", false },
    { "arm,cortex-a15-gic", NULL,
      "the GICv2 interrupt controller: granite's vGIC distributor answers at the host's "
      "GICD, the hardware's virtual CPU interface (GICV) is mapped at the host's GICC; "
      "the GICH and GICV frames are granite's and not shown", false },
    { "arm,gic-400", NULL,
      "the GICv2 interrupt controller (GIC-400): as arm,cortex-a15-gic", false },
    { "arm,armv8-timer", NULL,
      "the generic timer: the EL1 physical and virtual timers are each vCPU's own", false },
    { "arm,pl011", is_console_uart,
      "the console UART only: granite emulates a vPL011 at its address; other UARTs "
      "are not emulated", false },
    { "fixed-clock", is_console_clock,
      "the console UART's clock: the pl011 driver reads its rate and fails without it", false },
    { "pci-host-ecam-generic", NULL,
      "the PCIe host bridge, passed through: dom0 drives the NIC behind it, whose DMA "
      "goes through the SMMU granite drives", false },
    { "fixed-clock", is_firmware_clock_input,
      "a reference clock of the ZynqMP firmware's clock controller (it names them as its "
      "inputs; no registers)", false },
    { "xlnx,zynqmp-firmware", NULL,
      "the ZynqMP platform firmware interface (EEMI over SMC), with its children (power, "
      "resets, clocks, pinctrl): no registers, granite serves or forwards its calls "
      "(core/zynqmp_eemi.c)", false },
    /* ZynqMP platform devices, each one QEMU's xlnx-zcu102 also models (an
     * access to an address QEMU does not model is an external abort that
     * kills dom0), and only when enabled: a disabled node names hardware the
     * board does not wire up.  Each SPI must also be one dom0's vGIC has
     * (ARCH_NR_VIRQS, 192 INTIDs as the ZynqMP's GIC-400) and the host GIC
     * has (core/passthrough.c refuses the device otherwise). */
    { "cdns,zynqmp-gem", is_enabled_device,
      "a ZynqMP Gigabit Ethernet MAC (Cadence GEM), passed through: dom0's macb driver", true },
    { "xlnx,zynqmp-8.9a", is_enabled_device,
      "a ZynqMP SD/eMMC controller (Arasan SDHCI 8.9a), passed through: dom0's "
      "sdhci-of-arasan driver", true },
    { "xlnx,zynqmp-rtc", is_enabled_device,
      "the ZynqMP real-time clock, passed through (Debian's kernel has no driver for it: "
      "the device appears, unbound)", true },
    { "ceva,ahci-1v84", is_enabled_device,
      "the ZynqMP SATA controller (CEVA AHCI), passed through: dom0's ahci_ceva driver", true },
    { "xlnx,zynqmp-dma-1.0", is_enabled_device,
      "a ZynqMP DMA channel (ZDMA: the FPD's GDMA or the LPD's ADMA), passed through "
      "(Debian's kernel has no zynqmp_dma driver: the device appears, unbound)", true },
};

/* What keeps an IOMMU that dom0_iommu_passthrough hands to dom0 (seed 001). */
static const struct keep_rule handed_iommu_rule = {
    "", NULL, "an IOMMU granite does not drive, handed to dom0 on purpose by the boot option",
    false,
};

/* MSI controllers: granite emulates none. */
static const char *const msi_compatibles[] = { "arm,gic-v3-its", "arm,gic-v2m-frame" };

/* Removed from every node: references to the IOMMU and to MSI controllers,
 * all of which are gone from dom0's tree (but see keeps_iommu_ref()). */
static const char *const stripped_props[] = {
    "iommus", "iommu-map", "iommu-map-mask", "msi-parent", "msi-map", "msi-map-mask",
};

/* /chosen children with a compatible starting with one of these describe boot
 * modules and dom0less domains (Xen's bindings): other domains' business. */
static const char *const chosen_node_prefixes[] = { "xen,", "multiboot," };
/* /chosen properties for another consumer: Xen's command lines, the host's
 * initrd (dom0's is granite's choice). */
static const char *const chosen_prop_prefixes[] = { "xen,", "linux,initrd-" };

/* --- constants ------------------------------------------------------------ */

#define FDT_BUF_ALIGN 8          /* libfdt refuses trees not 8-byte aligned */
#define MAX_PATH 256
#define MAX_CELLS 2              /* 64-bit addresses and sizes */
#define MAX_CONSOLE_CLOCKS 4     /* pl011: "uartclk" and "apb_pclk" */
#define MAX_CLOCK_CELLS 8        /* sanity bound on a provider's #clock-cells */
#define DELETE_BATCH 64          /* victims collected per walk */

/* GICv3: each redistributor is two 64 KiB frames (RD_base, SGI_base). */
#define GICV3_REDIST_SIZE 0x20000UL
/* GICv2: the CPU interface dom0 is shown is two 4 KiB pages (GICC_DIR in the
 * second), whatever aliasing the host's frame has (IHI 0048B §4.4). */
#define GICV2_CPUIF_SIZE 0x2000UL
#define GIC_INTERRUPT_CELLS 3    /* <type number flags> */
#define GIC_IRQ_TYPE_PPI 1
#define GIC_PPI_FIRST 16
#define GIC_PPI_LAST 31
/* Event-channel PPI flags as Xen writes them: level-low (0x8) with the GICv2
 * CPU-mask bits 8..11 set (ignored by GICv3, kept for Xen-aware guests). */
#define EVTCHN_IRQ_FLAGS 0xf08

/* --- state ---------------------------------------------------------------- */

/* What the read-only survey of the host tree found, checked. */
struct host_survey {
    unsigned root_ac, root_sc;       /* root #address-cells / #size-cells */
    u32 gic_phandle;
    unsigned gic_ac, gic_sc;         /* cells of the GIC's parent (its reg) */
    bool gic_v2;                     /* a GICv2: the second region is GICC, not GICR */
    u64 gic_dist_base, gic_dist_size, gic_redist_base, gic_redist_size;
    char console_path[MAX_PATH];     /* "" when /chosen names no console */
    u32 console_clocks[MAX_CONSOLE_CLOCKS];
    unsigned nr_console_clocks;
    int console_node;                /* the console's offset in the tree being walked */
    const char *const *withheld;     /* params' withheld_paths */
    unsigned nr_withheld;
    const char *handed_iommu;        /* params' handed_iommu */
    bool no_platform_devices;        /* params' no_platform_devices */
};

struct build {
    const struct dom0_dt_params *p;
    void *fdt;                       /* the output buffer */
    size_t size;
    bool opened;                     /* out holds a (partial) tree */
    struct host_survey s;
};

/* Messages naming a node are formatted here (boot is single-threaded). */
static char why_buf[MAX_PATH + 128];

/* --- small helpers -------------------------------------------------------- */

/* "<node path>: <prop>: <what>" into why_buf; node < 0 leaves out the path. */
static __boot __attribute__((format(printf, 4, 5))) const char *
sayf(const void *fdt, int node, const char *prop, const char *fmt, ...)
{
    char path[MAX_PATH];
    size_t n = 0;
    va_list ap;

    why_buf[0] = '\0';
    if (node >= 0) {
        if (fdt_get_path(fdt, node, path, sizeof(path)) < 0)
            snprintf(path, sizeof(path), "(node at offset %d)", node);
        snprintf(why_buf, sizeof(why_buf), "%s: ", path);
        n = strlen(why_buf);
    }
    if (prop) {
        snprintf(why_buf + n, sizeof(why_buf) - n, "%s: ", prop);
        n = strlen(why_buf);
    }
    va_start(ap, fmt);
    vsnprintf(why_buf + n, sizeof(why_buf) - n, fmt, ap);
    va_end(ap);
    return why_buf;
}

/* A libfdt failure while editing the output: name what was being written. */
static __boot int edit_failed(int err, const char *what, const char **why)
{
    if (err == -FDT_ERR_NOSPACE) {
        *why = sayf(NULL, -1, what, "the output buffer is too small for dom0's device tree");
        return -ENOSPC;
    }
    *why = sayf(NULL, -1, what, "%s", fdt_strerror(err));
    return -EINVAL;
}

static __boot u64 read_cells(const fdt32_t *p, unsigned cells)
{
    u64 v = 0;
    for (unsigned i = 0; i < cells; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

static __boot void write_cells(fdt32_t *p, unsigned cells, u64 v)
{
    for (unsigned i = cells; i-- > 0; v >>= 32)
        p[i] = cpu_to_fdt32((u32)v);
}

static __boot bool fits_cells(u64 v, unsigned cells)
{
    return cells >= 2 || (v >> 32) == 0;
}

/* A property that is a NUL-terminated string, or NULL. */
static __boot const char *get_string(const void *fdt, int node, const char *name)
{
    int len;
    const char *s = fdt_getprop(fdt, node, name, &len);
    return s && len > 0 && memchr(s, '\0', len) ? s : NULL;
}

static __boot bool has_compatible(const void *fdt, int node, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fdt_node_check_compatible(fdt, node, list[i]) == 0)
            return true;
    return false;
}

/* Does any string of `compatible` start with one of the prefixes? */
static __boot bool compatible_has_prefix(const void *fdt, int node, const char *const *prefixes,
                                         size_t nr_prefixes)
{
    int len;
    const char *c = fdt_getprop(fdt, node, "compatible", &len);

    while (c && len > 0) {
        size_t n = strnlen(c, (size_t)len);
        for (size_t i = 0; i < nr_prefixes; i++) {
            size_t plen = strlen(prefixes[i]);
            if (n >= plen && !strncmp(c, prefixes[i], plen))
                return true;
        }
        c += n + 1;
        len -= (int)(n + 1);
    }
    return false;
}

static __boot bool name_has_prefix(const char *name, const char *const *prefixes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

/* A bus's #address-cells/#size-cells, within what granite handles. */
static __boot int bus_cells(const void *fdt, int bus, unsigned *ac, unsigned *sc, const char **why)
{
    int a = fdt_address_cells(fdt, bus), s = fdt_size_cells(fdt, bus);

    if (a < 1 || a > MAX_CELLS) {
        *why = sayf(fdt, bus, "#address-cells", "must be 1 or 2");
        return -EINVAL;
    }
    if (s < 1 || s > MAX_CELLS) {
        *why = sayf(fdt, bus, "#size-cells", "must be 1 or 2");
        return -EINVAL;
    }
    *ac = (unsigned)a;
    *sc = (unsigned)s;
    return 0;
}

static __boot bool ranges_overlap(u64 a, u64 a_size, u64 b, u64 b_size)
{
    return a < b + b_size && b < a + a_size;
}

/* --- step 1: parameters --------------------------------------------------- */

static __boot int check_range(const char *what, u64 base, u64 size, const char **why)
{
    if (!size || !IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
        base + size < base) {
        *why = sayf(NULL, -1, what, "[0x%lx, +0x%lx) is empty, not page-aligned or wraps",
                    (unsigned long)base, (unsigned long)size);
        return -EINVAL;
    }
    return 0;
}

static __boot int check_banks(const struct dom0_dt_params *p, const char **why)
{
    int err;

    if (!p->banks || p->nr_banks < 1 || p->nr_banks > DOM0_DT_MAX_BANKS) {
        *why = sayf(NULL, -1, "params", "nr_banks %u is outside 1..%u", p->nr_banks,
                    DOM0_DT_MAX_BANKS);
        return -EINVAL;
    }
    for (unsigned i = 0; i < p->nr_banks; i++) {
        u64 base = pa_addr(p->banks[i].start), size = p->banks[i].size;
        if ((err = check_range("params: RAM bank", base, size, why)))
            return err;
        if (ranges_overlap(base, size, p->gnttab_base, p->gnttab_size)) {
            *why = sayf(NULL, -1, "params", "RAM bank at 0x%lx overlaps the grant window",
                        (unsigned long)base);
            return -EINVAL;
        }
        for (unsigned j = 0; j < i; j++) {
            if (ranges_overlap(base, size, pa_addr(p->banks[j].start), p->banks[j].size)) {
                *why = sayf(NULL, -1, "params", "RAM banks %u and %u overlap", j, i);
                return -EINVAL;
            }
        }
    }
    return 0;
}

static __boot int check_iommu_paths(const struct dom0_dt_params *p, const char **why)
{
    if (!p->feat_dom0_iommu)
        return 0;
    if (p->nr_iommu_paths > DOM0_DT_MAX_IOMMU_PATHS || (p->nr_iommu_paths && !p->iommu_paths)) {
        *why = sayf(NULL, -1, "params", "iommu_paths: %u paths (at most %u)",
                    p->nr_iommu_paths, DOM0_DT_MAX_IOMMU_PATHS);
        return -EINVAL;
    }
    for (unsigned i = 0; i < p->nr_iommu_paths; i++) {
        if (!p->iommu_paths[i] || p->iommu_paths[i][0] != '/') {
            *why = sayf(NULL, -1, "params", "iommu_paths[%u] is not an absolute node path", i);
            return -EINVAL;
        }
    }
    return 0;
}

static __boot int check_params(struct build *b, const char **why)
{
    const struct dom0_dt_params *p = b->p;
    int err;

    if (!p || !p->host_fdt || !b->fdt) {
        *why = "dom0_dt_build: params, host_fdt and out must not be NULL";
        return -EINVAL;
    }
    if (p->nr_vcpus < 1 || p->nr_vcpus > DOM0_DT_MAX_VCPUS) {
        *why = sayf(NULL, -1, "params", "nr_vcpus %u is outside 1..%u", p->nr_vcpus,
                    DOM0_DT_MAX_VCPUS);
        return -EINVAL;
    }
    if (p->evtchn_ppi < GIC_PPI_FIRST || p->evtchn_ppi > GIC_PPI_LAST) {
        *why = sayf(NULL, -1, "params", "evtchn_ppi %u is not a PPI (%u..%u)", p->evtchn_ppi,
                    GIC_PPI_FIRST, GIC_PPI_LAST);
        return -EINVAL;
    }
    if ((err = check_range("params: grant window", p->gnttab_base, p->gnttab_size, why)))
        return err;
    if ((err = check_banks(p, why)))
        return err;
    return check_iommu_paths(p, why);
}

/* --- step 2: the host tree as a whole ------------------------------------- */

static __boot int check_host(struct build *b, const char **why)
{
    const void *host = b->p->host_fdt;
    uintptr_t h = (uintptr_t)host, o = (uintptr_t)b->fdt;
    int err;

    if ((o & (FDT_BUF_ALIGN - 1)) || (h & (FDT_BUF_ALIGN - 1))) {
        *why = "dom0_dt_build: host_fdt and out must be 8-byte aligned (libfdt)";
        return -EINVAL;
    }
    if (fdt_magic(host) != FDT_MAGIC) {
        *why = "host DTB: bad magic";
        return -EINVAL;
    }
    /* Every structural rule libfdt knows: offsets, tags, names, strings. */
    err = fdt_check_full(host, fdt_totalsize(host));
    if (err) {
        *why = sayf(NULL, -1, "host DTB", "%s", fdt_strerror(err));
        return -EINVAL;
    }
    if (ranges_overlap(h, fdt_totalsize(host), o, b->size)) {
        *why = "dom0_dt_build: out overlaps host_fdt";
        return -EINVAL;
    }
    return 0;
}

/* --- step 3: survey (read-only, every value read is checked) -------------- */

static __boot int survey_root(struct build *b, const char **why)
{
    const struct dom0_dt_params *p = b->p;
    struct host_survey *s = &b->s;
    int err = bus_cells(p->host_fdt, 0, &s->root_ac, &s->root_sc, why);

    if (err)
        return err;
    /* dom0's RAM and grant window are written in the root's cells. */
    for (unsigned i = 0; i <= p->nr_banks; i++) {
        u64 base = i < p->nr_banks ? pa_addr(p->banks[i].start) : p->gnttab_base;
        u64 size = i < p->nr_banks ? p->banks[i].size : p->gnttab_size;
        if (!fits_cells(base + size - 1, s->root_ac) || !fits_cells(size, s->root_sc)) {
            *why = sayf(p->host_fdt, 0, "#address-cells", "dom0's range [0x%lx, +0x%lx) "
                        "does not fit the root's cells", (unsigned long)base,
                        (unsigned long)size);
            return -EINVAL;
        }
    }
    return 0;
}

static __boot int survey_gic_reg(struct build *b, int gic, const char **why)
{
    const void *host = b->p->host_fdt;
    struct host_survey *s = &b->s;
    unsigned entry;
    int len, err;
    const fdt32_t *reg;

    err = bus_cells(host, fdt_parent_offset(host, gic), &s->gic_ac, &s->gic_sc, why);
    if (err)
        return err;
    entry = s->gic_ac + s->gic_sc;
    reg = fdt_getprop(host, gic, "reg", &len);
    /* GICv3 reg: distributor, then the redistributor region(s), then optional
     * GICv2-compatibility frames; dom0 needs the first two.  GICv2 reg:
     * GICD, GICC, then GICH and GICV (granite's); dom0 needs the first two. */
    if (!reg || len % (int)(entry * 4) || len < (int)(2 * entry * 4)) {
        *why = sayf(host, gic, "reg", "needs whole (address, size) entries for the "
                                      "distributor and a %s", s->gic_v2 ? "CPU interface"
                                      : "redistributor region");
        return -EINVAL;
    }
    s->gic_dist_base = read_cells(reg, s->gic_ac);
    s->gic_dist_size = read_cells(reg + s->gic_ac, s->gic_sc);
    s->gic_redist_base = read_cells(reg + entry, s->gic_ac);
    s->gic_redist_size = read_cells(reg + entry + s->gic_ac, s->gic_sc);
    if (s->gic_v2) {
        if (s->gic_redist_size < GICV2_CPUIF_SIZE) {
            *why = sayf(host, gic, "reg", "the CPU interface (0x%lx bytes) is smaller than its "
                        "two 4 KiB pages", (unsigned long)s->gic_redist_size);
            return -EINVAL;
        }
        return 0;
    }
    if (s->gic_redist_size < b->p->nr_vcpus * GICV3_REDIST_SIZE) {
        *why = sayf(host, gic, "reg", "the redistributor region (0x%lx bytes) is smaller "
                    "than %u vCPUs x 0x%lx", (unsigned long)s->gic_redist_size,
                    b->p->nr_vcpus, GICV3_REDIST_SIZE);
        return -EINVAL;
    }
    return 0;
}

/* The GICs granite's vGIC can stand in for, by compatible: the first found wins. */
static const struct {
    const char *compatible;
    bool v2;
} gic_kinds[] = {
    { "arm,gic-v3", false }, { "arm,cortex-a15-gic", true }, { "arm,gic-400", true },
};

static __boot int survey_gic(struct build *b, const char **why)
{
    const void *host = b->p->host_fdt;
    int gic = -FDT_ERR_NOTFOUND, len;
    const char *compat = NULL;
    const fdt32_t *cells;

    for (size_t i = 0; i < ARRAY_SIZE(gic_kinds) && gic == -FDT_ERR_NOTFOUND; i++) {
        compat = gic_kinds[i].compatible;
        b->s.gic_v2 = gic_kinds[i].v2;
        gic = fdt_node_offset_by_compatible(host, -1, compat);
    }
    if (gic == -FDT_ERR_NOTFOUND) {
        *why = "host DTB: no interrupt controller compatible with \"arm,gic-v3\", "
               "\"arm,cortex-a15-gic\" or \"arm,gic-400\" (the GICs granite's vGIC models)";
        return -ENODEV;
    }
    if (gic < 0) {
        *why = sayf(NULL, -1, "host DTB", "looking for the GIC: %s", fdt_strerror(gic));
        return -EINVAL;
    }
    if (fdt_node_offset_by_compatible(host, gic, compat) >= 0) {
        *why = sayf(host, gic, "compatible", "more than one \"%s\" node", compat);
        return -EINVAL;
    }
    b->s.gic_phandle = fdt_get_phandle(host, gic);
    if (b->s.gic_phandle == 0 || b->s.gic_phandle == ~0U) {
        *why = sayf(host, gic, "phandle", "missing or invalid (the hypervisor node's "
                                          "interrupt-parent must name the GIC)");
        return -EINVAL;
    }
    cells = fdt_getprop(host, gic, "#interrupt-cells", &len);
    if (!cells || len != 4 || fdt32_to_cpu(*cells) != GIC_INTERRUPT_CELLS) {
        *why = sayf(host, gic, "#interrupt-cells", "must be <3>");
        return -EINVAL;
    }
    return survey_gic_reg(b, gic, why);
}

/* stdout-path "path-or-alias[:options]" to a node, or a negative libfdt error. */
static __boot int resolve_stdout(const void *fdt, const char *sp)
{
    int plen = 0, aliases, len;
    const char *target;

    while (sp[plen] && sp[plen] != ':')
        plen++;
    if (sp[0] == '/')
        return fdt_path_offset_namelen(fdt, sp, plen);
    aliases = fdt_path_offset(fdt, "/aliases");
    if (aliases < 0)
        return aliases;
    target = fdt_getprop_namelen(fdt, aliases, sp, plen, &len);
    if (!target || len < 2 || target[0] != '/' || !memchr(target, '\0', len))
        return -FDT_ERR_NOTFOUND;
    return fdt_path_offset(fdt, target);
}

static __boot bool seen_clock(const struct host_survey *s, u32 phandle)
{
    for (unsigned i = 0; i < s->nr_console_clocks; i++)
        if (s->console_clocks[i] == phandle)
            return true;
    return false;
}

/* `clocks` is a list of <phandle specifier...>, each specifier as long as the
 * provider's #clock-cells.  Each provider must be a fixed clock: a clock
 * controller is not dom0's, and a reference to a deleted node breaks probing. */
static __boot int survey_console_clocks(struct build *b, int uart, const char **why)
{
    const void *host = b->p->host_fdt;
    struct host_survey *s = &b->s;
    int len, clen;
    const fdt32_t *clocks = fdt_getprop(host, uart, "clocks", &len), *cc;
    unsigned n, i = 0;

    if (!clocks)
        return 0;
    n = (unsigned)len / 4;
    if (len % 4) {
        *why = sayf(host, uart, "clocks", "length %d is not a whole number of cells", len);
        return -EINVAL;
    }
    while (i < n) {
        u32 ph = fdt32_to_cpu(clocks[i]);
        int clk = fdt_node_offset_by_phandle(host, ph);
        if (clk < 0 || fdt_node_check_compatible(host, clk, "fixed-clock") != 0) {
            *why = sayf(host, uart, "clocks", "phandle 0x%x is not a \"fixed-clock\" node "
                        "(dom0 gets no clock controller)", ph);
            return -EINVAL;
        }
        cc = fdt_getprop(host, clk, "#clock-cells", &clen);
        if (!cc || clen != 4 || fdt32_to_cpu(*cc) > MAX_CLOCK_CELLS ||
            i + 1 + fdt32_to_cpu(*cc) > n) {
            *why = sayf(host, clk, "#clock-cells", "missing, too large, or longer than "
                        "the console's clocks entry");
            return -EINVAL;
        }
        i += 1 + fdt32_to_cpu(*cc);
        if (seen_clock(s, ph))
            continue;
        if (s->nr_console_clocks == MAX_CONSOLE_CLOCKS) {
            *why = sayf(host, uart, "clocks", "more than %u clocks", MAX_CONSOLE_CLOCKS);
            return -EINVAL;
        }
        s->console_clocks[s->nr_console_clocks++] = ph;
    }
    return 0;
}

/* A UART granite has a console driver for (drivers.h). */
static __boot bool drives_as_console(const void *fdt, int node)
{
    int n = fdt_stringlist_count(fdt, node, "compatible");

    for (int i = 0; i < n; i++) {
        const char *c = fdt_stringlist_get(fdt, node, "compatible", i, NULL);
        if (c && driver_by_compatible(DRIVER_CONSOLE, c))
            return true;
    }
    return false;
}

/* dom0's console is the pl011 that /chosen/stdout-path names.  No stdout-path,
 * or a console UART of another kind: dom0 gets no UART (its console is then
 * the hypercall one). */
static __boot int survey_console(struct build *b, const char **why)
{
    const void *host = b->p->host_fdt;
    int chosen = fdt_path_offset(host, "/chosen"), uart;
    const char *sp;

    b->s.console_path[0] = '\0';
    b->s.nr_console_clocks = 0;
    if (chosen < 0 || !fdt_getprop(host, chosen, "stdout-path", NULL))
        return 0;
    sp = get_string(host, chosen, "stdout-path");
    if (!sp) {
        *why = "/chosen: stdout-path: not a NUL-terminated string";
        return -EINVAL;
    }
    uart = resolve_stdout(host, sp);
    if (uart < 0) {
        *why = sayf(host, chosen, "stdout-path", "\"%s\" names no node", sp);
        return -EINVAL;
    }
    if (fdt_node_check_compatible(host, uart, "arm,pl011") != 0) {
        if (!drives_as_console(host, uart)) {
            *why = sayf(host, uart, "compatible", "stdout-path names this node, which is not "
                        "\"arm,pl011\" (dom0's console is granite's vPL011)");
            return -EINVAL;
        }
        /* Another UART granite drives (the ZCU102's Cadence): granite's own,
         * and not one it emulates, so dom0 gets none. */
        printk("dom0: %s is granite's console, not a PL011: dom0 gets no UART (its console "
               "is the console_io hypercall, Linux's hvc0)\n", fdt_get_name(host, uart, NULL));
        return 0;
    }
    if (fdt_get_path(host, uart, b->s.console_path, sizeof(b->s.console_path)) < 0) {
        *why = sayf(NULL, -1, "/chosen: stdout-path", "the console's path is longer than %u",
                    MAX_PATH - 1);
        return -EINVAL;
    }
    return survey_console_clocks(b, uart, why);
}

static __boot int survey_host(struct build *b, const char **why)
{
    int err = survey_root(b, why);

    b->s.withheld = b->p->withheld_paths;
    b->s.nr_withheld = b->p->withheld_paths ? b->p->nr_withheld_paths : 0;
    b->s.handed_iommu = b->p->handed_iommu;
    b->s.no_platform_devices = b->p->no_platform_devices;
    if (!err)
        err = survey_gic(b, why);
    if (!err)
        err = survey_console(b, why);
    return err;
}

/* --- step 4: copy into the output ----------------------------------------- */

/*
 * fdt_open_into() wants the whole of the host's totalsize to fit, free space
 * included, and QEMU's DTB is 1 MiB of mostly free space.  So when it does not
 * fit, the used blocks are laid end to end first (a version 17 header, the
 * memory reservation map, the structure block, the strings block, as the
 * devicetree specification lays them out), and that compact tree is then
 * opened in place.  Only what the host tree uses has to fit.
 */
static __boot int copy_compact(const void *host, void *out, size_t out_size, const char **why)
{
    int nr_rsv = fdt_num_mem_rsv(host);
    size_t hdr = sizeof(struct fdt_header), rsv, need;
    size_t dt_struct = fdt_size_dt_struct(host), strings = fdt_size_dt_strings(host);
    char *o = out;

    if (fdt_version(host) < 17 || nr_rsv < 0) {
        *why = "host DTB: version 16 or older, or a bad reservation map";
        return -EINVAL;
    }
    /* The map ends with an all-zero entry. */
    rsv = ((size_t)nr_rsv + 1) * sizeof(struct fdt_reserve_entry);
    need = hdr + rsv + dt_struct + strings;
    if (need > out_size) {
        *why = sayf(NULL, -1, "out", "%lu bytes cannot hold the host tree being filtered "
                    "(%lu bytes)", (unsigned long)out_size, (unsigned long)need);
        return -ENOSPC;
    }
    memcpy(o, host, hdr);
    memcpy(o + hdr, (const char *)host + fdt_off_mem_rsvmap(host), rsv);
    memcpy(o + hdr + rsv, (const char *)host + fdt_off_dt_struct(host), dt_struct);
    memcpy(o + hdr + rsv + dt_struct, (const char *)host + fdt_off_dt_strings(host), strings);
    fdt_set_off_mem_rsvmap(out, hdr);
    fdt_set_off_dt_struct(out, hdr + rsv);
    fdt_set_off_dt_strings(out, hdr + rsv + dt_struct);
    fdt_set_totalsize(out, need);
    fdt_set_version(out, 17);
    return 0;
}

static __boot int open_output(struct build *b, const char **why)
{
    const void *src = b->p->host_fdt;
    int size = b->size > (size_t)INT_MAX ? INT_MAX : (int)b->size;
    int err;

    if (fdt_totalsize(src) > b->size) {
        if ((err = copy_compact(src, b->fdt, b->size, why)))
            return err;
        src = b->fdt;
    }
    b->opened = true;
    err = fdt_open_into(src, b->fdt, size); /* in place when src == out */
    if (err == -FDT_ERR_NOSPACE) {
        *why = sayf(NULL, -1, "out", "%lu bytes cannot hold the host tree being filtered",
                    (unsigned long)b->size);
        return -ENOSPC;
    }
    return err ? edit_failed(err, "fdt_open_into", why) : 0;
}

/* --- step 5: delete what dom0 does not get -------------------------------- */

static __boot bool is_console_uart(const struct host_survey *s, const void *fdt, int node)
{
    (void)fdt;
    return node == s->console_node;
}

static __boot bool is_console_clock(const struct host_survey *s, const void *fdt, int node)
{
    return seen_clock(s, fdt_get_phandle(fdt, node));
}

/* A clock the ZynqMP firmware's clock controller ("xlnx,zynqmp-clk") lists in
 * its `clocks` (one cell each: fixed clocks have #clock-cells = 0). */
static __boot bool is_firmware_clock_input(const struct host_survey *s unused, const void *fdt,
                                           int node)
{
    u32 ph = fdt_get_phandle(fdt, node);
    int clkc = fdt_node_offset_by_compatible(fdt, -1, "xlnx,zynqmp-clk"), len;
    const fdt32_t *c = clkc >= 0 ? fdt_getprop(fdt, clkc, "clocks", &len) : NULL;

    for (int i = 0; c && ph && i < len / 4; i++)
        if (fdt32_to_cpu(c[i]) == ph)
            return true;
    return false;
}

/* A node the devicetree specification calls enabled (`status` absent or
 * "okay"; "ok" is the older spelling Linux also takes) and not the node
 * /chosen/stdout-path names, granite's console. */
static __boot bool is_enabled_device(const struct host_survey *s unused, const void *fdt,
                                     int node)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    const char *sp = chosen >= 0 ? get_string(fdt, chosen, "stdout-path") : NULL;
    const char *status = get_string(fdt, node, "status");

    if (fdt_getprop(fdt, node, "status", NULL) &&
        (!status || (strcmp(status, "okay") && strcmp(status, "ok"))))
        return false;
    return !sp || resolve_stdout(fdt, sp) != node;
}

__boot const char *dom0_dt_platform_device(const void *fdt, int node)
{
    for (size_t i = 0; i < ARRAY_SIZE(keep_list); i++) {
        const struct keep_rule *r = &keep_list[i];
        if (r->platform && fdt_node_check_compatible(fdt, node, r->compatible) == 0 &&
            (!r->wanted || r->wanted(NULL, fdt, node)))
            return r->why;
    }
    return NULL;
}

/* Passed through to another domain (params' withheld_paths). */
static __boot bool is_withheld(const struct host_survey *s, const void *fdt, int node)
{
    char path[MAX_PATH];

    if (!s->nr_withheld || fdt_get_path(fdt, node, path, sizeof(path)) < 0)
        return false;
    for (unsigned i = 0; i < s->nr_withheld; i++)
        if (s->withheld[i] && !strcmp(s->withheld[i], path))
            return true;
    return false;
}

static __boot const struct keep_rule *keep_rule_for(const struct host_survey *s,
                                                    const void *fdt, int node)
{
    if (is_withheld(s, fdt, node))
        return NULL;
    if (iommu_known_handed(fdt, node, s->handed_iommu))
        return &handed_iommu_rule;
    for (size_t i = 0; i < ARRAY_SIZE(keep_list); i++) {
        const struct keep_rule *r = &keep_list[i];
        if (r->platform && s->no_platform_devices)
            continue;
        if (fdt_node_check_compatible(fdt, node, r->compatible) == 0 &&
            (!r->wanted || r->wanted(s, fdt, node)))
            return r;
    }
    return NULL;
}

/* Removed wherever they are, even under a kept node. */
static __boot bool is_denied(const struct host_survey *s, const void *fdt, int node)
{
    return (iommu_known_is_iommu(fdt, node) && !iommu_known_handed(fdt, node, s->handed_iommu)) ||
           has_compatible(fdt, node, msi_compatibles, ARRAY_SIZE(msi_compatibles));
}

/* Rebuilt from the parameters, so the host's copies go. */
static __boot bool is_rebuilt(const void *fdt, int node, int depth)
{
    static const char *const psci[] = { "arm,psci", "arm,psci-0.2", "arm,psci-1.0" };
    const char *type = get_string(fdt, node, "device_type");
    const char *name = fdt_get_name(fdt, node, NULL);

    return (type && !strcmp(type, "memory")) ||
           has_compatible(fdt, node, psci, ARRAY_SIZE(psci)) ||
           (depth == 1 && name && !strcmp(name, "psci"));
}

/* Node after `node`'s subtree (depth updated), in document order. */
static __boot int skip_subtree(const void *fdt, int node, int *depth)
{
    int d = *depth;
    do
        node = fdt_next_node(fdt, node, depth);
    while (node >= 0 && *depth > d);
    return node;
}

/* A bus survives only if it carries a kept device. */
static __boot bool holds_kept_device(const struct host_survey *s, const void *fdt, int node,
                                     int depth)
{
    int d = depth;

    for (node = fdt_next_node(fdt, node, &d); node >= 0 && d > depth;
         node = fdt_next_node(fdt, node, &d))
        if (!is_denied(s, fdt, node) && keep_rule_for(s, fdt, node))
            return true;
    return false;
}

enum verdict {
    DROP,     /* delete the node and its subtree */
    KEEP,     /* keep the node and its subtree (minus denied nodes) */
    DESCEND,  /* keep the node; judge its children one by one */
};

/* Which top-level node the walk is under: /cpus and /chosen have own rules. */
enum top { TOP_OTHER, TOP_CPUS, TOP_CHOSEN };

static __boot enum verdict judge(const struct host_survey *s, const void *fdt, int node,
                                 int depth, enum top *top)
{
    const char *name = fdt_get_name(fdt, node, NULL);

    if (depth == 1)
        *top = TOP_OTHER;
    if (is_denied(s, fdt, node) || is_rebuilt(fdt, node, depth))
        return DROP;
    if (depth == 1) {
        if (name && !strcmp(name, "cpus")) {
            *top = TOP_CPUS;
            return DESCEND;
        }
        if (name && !strcmp(name, "chosen")) {
            *top = TOP_CHOSEN;
            return DESCEND;
        }
        if (name && (!strcmp(name, "aliases") || !strcmp(name, "reserved-memory")))
            return KEEP;
    }
    if (*top == TOP_CPUS)
        return DROP; /* cpu nodes, cpu-map, caches, idle states: rebuilt or not dom0's */
    if (*top == TOP_CHOSEN)
        return compatible_has_prefix(fdt, node, chosen_node_prefixes,
                                     ARRAY_SIZE(chosen_node_prefixes)) ? DROP : KEEP;
    if (keep_rule_for(s, fdt, node))
        return KEEP;
    return holds_kept_device(s, fdt, node, depth) ? DESCEND : DROP;
}

/* One read-only walk: up to DELETE_BATCH outermost victims, in document order. */
static __boot int collect_victims(struct build *b, int *victims, const char **why)
{
    const void *fdt = b->fdt;
    struct host_survey *s = &b->s;
    int depth = 0, kept_depth = -1, n = 0, node;
    enum top top = TOP_OTHER;

    s->console_node = s->console_path[0] ? fdt_path_offset(fdt, s->console_path)
                                         : -FDT_ERR_NOTFOUND;
    node = fdt_next_node(fdt, 0, &depth);
    while (node >= 0 && depth > 0) {
        enum verdict v;
        if (kept_depth >= 0 && depth <= kept_depth)
            kept_depth = -1;
        if (kept_depth >= 0)
            v = is_denied(s, fdt, node) ? DROP : DESCEND;
        else
            v = judge(s, fdt, node, depth, &top);
        if (v == DROP) {
            victims[n++] = node;
            if (n == DELETE_BATCH)
                return n;
            node = skip_subtree(fdt, node, &depth);
            continue;
        }
        if (v == KEEP)
            kept_depth = depth;
        node = fdt_next_node(fdt, node, &depth);
    }
    if (node < 0 && node != -FDT_ERR_NOTFOUND)
        return edit_failed(node, "walking dom0's tree", why);
    return n;
}

static __boot int filter_nodes(struct build *b, const char **why)
{
    int victims[DELETE_BATCH], n, err;

    do {
        n = collect_victims(b, victims, why);
        if (n < 0)
            return n;
        /* Last first: deleting a node moves only what follows it. */
        for (int i = n; i-- > 0;)
            if ((err = fdt_del_node(b->fdt, victims[i])))
                return edit_failed(err, "deleting a node", why);
    } while (n == DELETE_BATCH);
    return 0;
}

/* --- step 6: delete references to what is gone --------------------------- */

/* An `iommus` / `iommu-map` naming only IOMMUs dom0 was handed (still in its
 * tree) stays, and `iommu-map-mask` with its `iommu-map`; every other goes. */
static __boot bool keeps_iommu_ref(const struct build *b, int node, const char *name)
{
    bool map = !strcmp(name, "iommu-map");
    const void *v;
    int len;

    if (!strcmp(name, "iommu-map-mask"))
        return fdt_getprop(b->fdt, node, "iommu-map", NULL) != NULL;
    if (!map && strcmp(name, "iommus"))
        return false;
    v = fdt_getprop(b->fdt, node, name, &len);
    return v && b->s.handed_iommu &&
           iommu_known_count_refs(b->fdt, v, len, map, -1, b->s.handed_iommu) == 0;
}

static __boot int strip_properties(struct build *b, const char **why)
{
    int depth = 0;

    /* Deleting a property keeps the node's own offset: the walk goes on from it. */
    for (int node = 0; node >= 0 && depth >= 0; node = fdt_next_node(b->fdt, node, &depth)) {
        for (size_t i = 0; i < ARRAY_SIZE(stripped_props); i++) {
            int err = keeps_iommu_ref(b, node, stripped_props[i])
                          ? 0 : fdt_delprop(b->fdt, node, stripped_props[i]);
            if (err && err != -FDT_ERR_NOTFOUND)
                return edit_failed(err, stripped_props[i], why);
        }
    }
    return 0;
}

/* --- step 7: the GIC, as granite's vGIC presents it ----------------------- */

static __boot int del_prop_if_any(void *fdt, int node, const char *name, const char **why)
{
    int err = fdt_delprop(fdt, node, name);
    return err && err != -FDT_ERR_NOTFOUND ? edit_failed(err, name, why) : 0;
}

/* GICv2: GICD as is, GICC as two 4 KiB pages (granite maps the hardware's
 * GICV there), no GICH/GICV, no maintenance interrupt. */
static __boot int fix_gic_v2(struct build *b, int gic, const char **why)
{
    const struct host_survey *s = &b->s;
    unsigned entry = s->gic_ac + s->gic_sc;
    fdt32_t reg[2 * 2 * MAX_CELLS];
    int err;

    write_cells(reg, s->gic_ac, s->gic_dist_base);
    write_cells(reg + s->gic_ac, s->gic_sc, s->gic_dist_size);
    write_cells(reg + entry, s->gic_ac, s->gic_redist_base);
    write_cells(reg + entry + s->gic_ac, s->gic_sc, GICV2_CPUIF_SIZE);
    if ((err = fdt_setprop(b->fdt, gic, "reg", reg, 2 * entry * sizeof(fdt32_t))))
        return edit_failed(err, "GIC: reg", why);
    return del_prop_if_any(b->fdt, gic, "interrupts", why);
}

static __boot int fix_gic(struct build *b, const char **why)
{
    /* Properties of the host GIC that granite's vGIC does not offer:
     *   interrupts            the maintenance interrupt (granite's, at EL2)
     *   redistributor-stride  the vGIC's redistributors are packed GICv3 frames
     *   mbi-*, msi-controller GICv3 message-based interrupts: not emulated */
    static const char *const gone[] = {
        "interrupts", "redistributor-stride", "mbi-ranges", "mbi-alias", "msi-controller",
    };
    const struct host_survey *s = &b->s;
    unsigned entry = s->gic_ac + s->gic_sc;
    fdt32_t reg[2 * 2 * MAX_CELLS];
    int gic = fdt_node_offset_by_phandle(b->fdt, s->gic_phandle), err, part;

    if (gic < 0)
        return edit_failed(gic, "the GIC", why);
    if (s->gic_v2)
        return fix_gic_v2(b, gic, why);
    /* Distributor as is; one redistributor region sized for dom0's vCPUs.  The
     * GICv2 compatibility frames after it (GICC/GICH/GICV) are for a hypervisor
     * or a GICv2 guest, neither of which dom0 is.  #address-cells stays: the
     * interrupt-map of the PCIe bridge encodes GIC unit addresses in it. */
    write_cells(reg, s->gic_ac, s->gic_dist_base);
    write_cells(reg + s->gic_ac, s->gic_sc, s->gic_dist_size);
    write_cells(reg + entry, s->gic_ac, s->gic_redist_base);
    write_cells(reg + entry + s->gic_ac, s->gic_sc, b->p->nr_vcpus * GICV3_REDIST_SIZE);
    if ((err = fdt_setprop(b->fdt, gic, "reg", reg, 2 * entry * sizeof(fdt32_t))))
        return edit_failed(err, "GIC: reg", why);
    if ((err = fdt_setprop_u32(b->fdt, gic, "#redistributor-regions", 1)))
        return edit_failed(err, "GIC: #redistributor-regions", why);
    for (size_t i = 0; i < ARRAY_SIZE(gone); i++)
        if ((err = del_prop_if_any(b->fdt, gic, gone[i], why)))
            return err;
    /* PPI partitions name physical CPUs, whose nodes are gone. */
    part = fdt_subnode_offset(b->fdt, gic, "ppi-partitions");
    if (part >= 0 && (err = fdt_del_node(b->fdt, part)))
        return edit_failed(err, "GIC: ppi-partitions", why);
    return 0;
}

/* --- step 8: dom0's own ranges must not land on a device it keeps --------- */

/*
 * dom0 is direct-mapped: an IPA that is both RAM (or grant window) and a
 * device dom0 drives would mean two things at once.  The case that bites:
 * Xen's guest grant-table base, 0x38000000, lies inside QEMU virt's 32-bit
 * PCIe window [0x10000000, 0x3eff0000), where dom0's PCI code places BARs.
 * Checked against what is left after filtering (a deleted device is not
 * dom0's), over the root's children: their `reg` and, for buses, the parent
 * side of their `ranges` windows.
 */
static __boot int check_against_params(struct build *b, int node, const char *prop, u64 base,
                                       u64 size, const char **why)
{
    const struct dom0_dt_params *p = b->p;

    if (size && ranges_overlap(base, size, p->gnttab_base, p->gnttab_size)) {
        *why = sayf(b->fdt, node, prop, "[0x%lx, +0x%lx) overlaps dom0's grant window at "
                    "0x%lx", (unsigned long)base, (unsigned long)size,
                    (unsigned long)p->gnttab_base);
        return -EINVAL;
    }
    for (unsigned i = 0; size && i < p->nr_banks; i++) {
        if (ranges_overlap(base, size, pa_addr(p->banks[i].start), p->banks[i].size)) {
            *why = sayf(b->fdt, node, prop, "[0x%lx, +0x%lx) overlaps dom0's RAM bank at "
                        "0x%lx", (unsigned long)base, (unsigned long)size,
                        (unsigned long)pa_addr(p->banks[i].start));
            return -EINVAL;
        }
    }
    return 0;
}

/* Entries of `prop` are <skip cells, root address, size cells>. */
static __boot int check_windows(struct build *b, int node, const char *prop, unsigned skip,
                                unsigned size_cells, const char **why)
{
    unsigned ac = b->s.root_ac, entry = skip + ac + size_cells;
    int len, err;
    const fdt32_t *v = fdt_getprop(b->fdt, node, prop, &len);

    if (!v || len == 0)
        return 0; /* no reg, or `ranges;` (identity) */
    if (len % (int)(entry * 4)) {
        *why = sayf(b->fdt, node, prop, "length %d is not a whole number of %u-cell entries",
                    len, entry);
        return -EINVAL;
    }
    for (const fdt32_t *e = v; e < v + len / 4; e += entry)
        if ((err = check_against_params(b, node, prop, read_cells(e + skip, ac),
                                        read_cells(e + skip + ac, size_cells), why)))
            return err;
    return 0;
}

static __boot int check_collisions(struct build *b, const char **why)
{
    int node, err;

    fdt_for_each_subnode(node, b->fdt, 0) {
        int child_ac, child_sc;
        if ((err = check_windows(b, node, "reg", 0, b->s.root_sc, why)))
            return err;
        if (!fdt_getprop(b->fdt, node, "ranges", NULL))
            continue;
        /* Any number of child address cells (PCI uses 3, skipped); sizes must
         * fit 64 bits to be compared. */
        child_ac = fdt_address_cells(b->fdt, node);
        child_sc = fdt_size_cells(b->fdt, node);
        if (child_ac < 0 || child_sc < 1 || child_sc > MAX_CELLS) {
            *why = sayf(b->fdt, node, "#address-cells", "or #size-cells: unusable for "
                                                        "reading `ranges`");
            return -EINVAL;
        }
        if ((err = check_windows(b, node, "ranges", (unsigned)child_ac, (unsigned)child_sc,
                                 why)))
            return err;
    }
    return 0;
}

/* --- step 9: what granite describes itself -------------------------------- */

static __boot int add_reg(void *fdt, int node, const struct host_survey *s, u64 base, u64 size)
{
    fdt32_t reg[2 * MAX_CELLS];

    write_cells(reg, s->root_ac, base);
    write_cells(reg + s->root_ac, s->root_sc, size);
    return fdt_setprop(fdt, node, "reg", reg, (s->root_ac + s->root_sc) * sizeof(fdt32_t));
}

static __boot int root_subnode(void *fdt, const char *name, const char **why)
{
    int node = fdt_path_offset(fdt, name);
    if (node == -FDT_ERR_NOTFOUND)
        node = fdt_add_subnode(fdt, 0, name + 1);
    return node < 0 ? edit_failed(node, name, why) : node;
}

static __boot int build_cpus(struct build *b, const char **why)
{
    void *fdt = b->fdt;
    char name[16];
    int cpus = root_subnode(fdt, "/cpus", why), cpu, err;

    if (cpus < 0)
        return cpus;
    /* reg = n: one cell, no size. */
    if ((err = fdt_setprop_u32(fdt, cpus, "#address-cells", 1)) ||
        (err = fdt_setprop_u32(fdt, cpus, "#size-cells", 0)))
        return edit_failed(err, "/cpus", why);
    /* A new subnode goes first among its siblings: add the last vCPU first. */
    for (unsigned n = b->p->nr_vcpus; n-- > 0;) {
        snprintf(name, sizeof(name), "cpu@%x", n);
        cpu = fdt_add_subnode(fdt, cpus, name);
        if (cpu < 0)
            return edit_failed(cpu, "/cpus: cpu", why);
        if ((err = fdt_setprop_string(fdt, cpu, "device_type", "cpu")) ||
            (err = fdt_setprop_string(fdt, cpu, "compatible", "arm,armv8")) ||
            (err = fdt_setprop_u32(fdt, cpu, "reg", n)) ||
            (err = fdt_setprop_string(fdt, cpu, "enable-method", "psci")))
            return edit_failed(err, "/cpus: cpu", why);
    }
    return 0;
}

static __boot int build_memory(struct build *b, const char **why)
{
    char name[32];
    int node, err;

    for (unsigned i = b->p->nr_banks; i-- > 0;) {
        const struct mem_range *bank = &b->p->banks[i];
        snprintf(name, sizeof(name), "memory@%lx", (unsigned long)pa_addr(bank->start));
        node = fdt_add_subnode(b->fdt, 0, name);
        if (node < 0)
            return edit_failed(node, "memory node", why);
        if ((err = fdt_setprop_string(b->fdt, node, "device_type", "memory")) ||
            (err = add_reg(b->fdt, node, &b->s, pa_addr(bank->start), bank->size)))
            return edit_failed(err, "memory node", why);
    }
    return 0;
}

static __boot int build_psci(struct build *b, const char **why)
{
    static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
    int node = fdt_add_subnode(b->fdt, 0, "psci"), err;

    if (node < 0)
        return edit_failed(node, "/psci", why);
    if ((err = fdt_setprop(b->fdt, node, "compatible", compat, sizeof(compat))) ||
        (err = fdt_setprop_string(b->fdt, node, "method", "hvc")))
        return edit_failed(err, "/psci", why);
    return 0;
}

/* The first property of `node` whose name starts with a prefix, or NULL. */
static __boot const char *find_prefixed_prop(const void *fdt, int node,
                                             const char *const *prefixes, size_t n)
{
    int off;
    fdt_for_each_property_offset(off, fdt, node) {
        const char *name;
        if (fdt_getprop_by_offset(fdt, off, &name, NULL) &&
            name_has_prefix(name, prefixes, n))
            return name;
    }
    return NULL;
}

static __boot int build_chosen(struct build *b, const char **why)
{
    int chosen = root_subnode(b->fdt, "/chosen", why), err;
    const char *name;

    if (chosen < 0)
        return chosen;
    /* Deleting moves the properties after it: look again from the start. */
    while ((name = find_prefixed_prop(b->fdt, chosen, chosen_prop_prefixes,
                                      ARRAY_SIZE(chosen_prop_prefixes))))
        if ((err = fdt_delprop(b->fdt, chosen, name)))
            return edit_failed(err, "/chosen", why);
    /* No UART for dom0 (survey_console): stdout-path would name nothing. */
    if (!b->s.console_path[0] && (err = del_prop_if_any(b->fdt, chosen, "stdout-path", why)))
        return err;
    if (b->p->initrd_end > b->p->initrd_start &&
        ((err = fdt_setprop_u64(b->fdt, chosen, "linux,initrd-start", b->p->initrd_start)) ||
         (err = fdt_setprop_u64(b->fdt, chosen, "linux,initrd-end", b->p->initrd_end))))
        return edit_failed(err, "/chosen: linux,initrd-start/end", why);
    if (!b->p->bootargs)
        return del_prop_if_any(b->fdt, chosen, "bootargs", why);
    err = fdt_setprop_string(b->fdt, chosen, "bootargs", b->p->bootargs);
    return err ? edit_failed(err, "/chosen: bootargs", why) : 0;
}

/*
 * dom0's extended regions, as Xen's find_memory_holes: the host's physical
 * address space below 2^40 (the smallest IPA size granite runs with) minus
 * every `reg` and `ranges` parent window in the host tree (RAM, reserved
 * memory and devices, including those dom0 does not see), the /memreserve/
 * entries, dom0's RAM and the grant window (a direct-mapped domain that is not
 * the hardware domain gets the same holes: its addresses are the host's).
 * With store_ipa_out, the xenstore page's slot is cut from the top of the
 * highest hole before the regions are written.  A node under a translating bus
 * has its bus-local reg taken as is: that can only make the holes smaller.
 * PCI children (#address-cells 3) are skipped: their space is the bridge's
 * `ranges`, which counts.
 */
#define HOLES_SPACE_END (1UL << 40)
#define MAX_BUSY_RANGES 256

static struct ext_range busy_ranges[MAX_BUSY_RANGES];

static __boot void add_busy(unsigned *n, u64 start, u64 size)
{
    if (size && *n < MAX_BUSY_RANGES)
        busy_ranges[(*n)++] = (struct ext_range){ start, size };
}

static __boot bool busy_from_prop(const void *fdt, int node, const char *prop, unsigned skip,
                                  unsigned ac, unsigned sc, unsigned *n)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, prop, &len);
    unsigned stride = skip + ac + sc;

    if (!v || len <= 0)
        return true;
    if (ac < 1 || ac > MAX_CELLS || sc > MAX_CELLS || len % (int)(stride * 4))
        return false;
    for (int i = 0; i < len / (int)(stride * 4); i++) {
        const fdt32_t *e = v + i * stride + skip;
        add_busy(n, read_cells(e, ac), sc ? read_cells(e + ac, sc) : 1);
    }
    return *n < MAX_BUSY_RANGES;
}

static __boot unsigned cells_prop(const void *fdt, int node, const char *name, unsigned dflt)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, name, &len);
    return v && len == 4 ? fdt32_to_cpu(*v) : dflt;
}

static __boot int dom0_ext_regions(struct build *b, struct ext_range *out, unsigned *nr_out,
                                   const char **why)
{
    const void *host = b->p->host_fdt;
    unsigned n = 0;
    int node = -1, depth = 0;

    while ((node = fdt_next_node(host, node, &depth)) >= 0) {
        int parent = depth > 0 ? fdt_parent_offset(host, node) : -1;
        unsigned pac = parent >= 0 ? cells_prop(host, parent, "#address-cells", 2) : 2;
        unsigned psc = parent >= 0 ? cells_prop(host, parent, "#size-cells", 1) : 1;
        unsigned cac = cells_prop(host, node, "#address-cells", 2);
        unsigned csc = cells_prop(host, node, "#size-cells", 1);
        if (depth == 0)
            continue;
        if (pac <= MAX_CELLS && !busy_from_prop(host, node, "reg", 0, pac, psc, &n))
            goto too_many;
        if (cac <= 3 && !busy_from_prop(host, node, "ranges", cac, pac, csc, &n))
            goto too_many;
    }
    for (int i = 0; i < fdt_num_mem_rsv(host); i++) {
        uint64_t a, sz;
        if (!fdt_get_mem_rsv(host, i, &a, &sz))
            add_busy(&n, a, sz);
    }
    for (unsigned i = 0; i < b->p->nr_banks; i++)
        add_busy(&n, pa_addr(b->p->banks[i].start), b->p->banks[i].size);
    add_busy(&n, b->p->gnttab_base, b->p->gnttab_size);
    if (n >= MAX_BUSY_RANGES)
        goto too_many;
    xen_ext_regions_find(busy_ranges, n, 0, HOLES_SPACE_END, out, nr_out, XEN_EXT_REGIONS_MAX);
    if (b->p->store_ipa_out) {
        /* The xenstore ring: the top slot of the highest region, which then
         * no longer offers it (a region keeps >= XEN_EXT_REGION_MIN or goes). */
        struct ext_range *top = *nr_out ? &out[*nr_out - 1] : NULL;
        if (!top || top->size < DOM0_DT_STORE_SLOT) {
            *why = sayf(NULL, -1, "/hypervisor", "no host hole for the xenstore page");
            return -ENOSPC;
        }
        top->size -= DOM0_DT_STORE_SLOT;
        *b->p->store_ipa_out = top->start + top->size;
        if (top->size < XEN_EXT_REGION_MIN)
            (*nr_out)--;
    }
    return 0;
too_many:
    *why = sayf(NULL, -1, "/hypervisor", "more than %u reg/ranges entries in the host tree, or "
                "one with #address-cells/#size-cells granite cannot read", MAX_BUSY_RANGES);
    return -EINVAL;
}

static __boot int build_hypervisor(struct build *b, const char **why)
{
    static const char compat[] = GRANITE_XEN_COMPATIBLE;
    const struct dom0_dt_params *p = b->p;
    fdt32_t irq[GIC_INTERRUPT_CELLS] = {
        cpu_to_fdt32(GIC_IRQ_TYPE_PPI),
        cpu_to_fdt32(p->evtchn_ppi - GIC_PPI_FIRST),
        cpu_to_fdt32(EVTCHN_IRQ_FLAGS),
    };
    struct ext_range ext[XEN_EXT_REGIONS_MAX];
    fdt32_t reg[(1 + XEN_EXT_REGIONS_MAX) * 2 * MAX_CELLS];
    unsigned nr_ext = 0, cells = b->s.root_ac + b->s.root_sc, nr_reg = 0;
    int node, err;

    if ((err = dom0_ext_regions(b, ext, &nr_ext, why)))
        return err;
    /* reg[0] the grant window, reg[1..] the extended regions, in root cells
     * (a region too large for them is left out). */
    write_cells(reg, b->s.root_ac, p->gnttab_base);
    write_cells(reg + b->s.root_ac, b->s.root_sc, p->gnttab_size);
    nr_reg = 1;
    for (unsigned i = 0; i < nr_ext; i++) {
        if (!fits_cells(ext[i].start, b->s.root_ac) || !fits_cells(ext[i].size, b->s.root_sc))
            continue;
        write_cells(reg + nr_reg * cells, b->s.root_ac, ext[i].start);
        write_cells(reg + nr_reg * cells + b->s.root_ac, b->s.root_sc, ext[i].size);
        nr_reg++;
        if (p->ext_out && p->nr_ext_out)
            p->ext_out[(*p->nr_ext_out)++] = ext[i];
    }
    /* Exactly "hypervisor", no unit address: Linux finds it by that name. */
    node = fdt_add_subnode(b->fdt, 0, "hypervisor");
    if (node < 0)
        return edit_failed(node, "/hypervisor", why);
    if ((err = fdt_setprop(b->fdt, node, "compatible", compat, sizeof(compat))) ||
        (err = fdt_setprop(b->fdt, node, "reg", reg, nr_reg * cells * sizeof(fdt32_t))) ||
        (err = fdt_setprop(b->fdt, node, "interrupts", irq, sizeof(irq))) ||
        (err = fdt_setprop_u32(b->fdt, node, "interrupt-parent", b->s.gic_phandle)))
        return edit_failed(err, "/hypervisor", why);
    if (p->trace_packets) {
        fdt32_t trace[2] = { cpu_to_fdt32(p->trace_packets), cpu_to_fdt32(p->domid) };
        if ((err = fdt_setprop(b->fdt, node, GRANITE_DT_PROP_PACKET_TRACE, trace, sizeof(trace))))
            return edit_failed(err, "/hypervisor", why);
    }
    return 0;
}

/* --- step 10: tidy and mark ------------------------------------------------ */

/* An alias naming a deleted node would send dom0 looking for it. */
static __boot const char *dangling_alias(const void *fdt, int aliases, const char **why,
                                         int *err)
{
    int off, len;

    *err = 0;
    fdt_for_each_property_offset(off, fdt, aliases) {
        const char *name, *val = fdt_getprop_by_offset(fdt, off, &name, &len);
        if (!val || len < 1 || !memchr(val, '\0', len)) {
            *why = sayf(fdt, aliases, name ? name : "?", "not a NUL-terminated path");
            *err = -EINVAL;
            return NULL;
        }
        if (val[0] == '/' && fdt_path_offset(fdt, val) < 0)
            return name;
    }
    return NULL;
}

static __boot int prune_aliases(struct build *b, const char **why)
{
    int aliases = fdt_path_offset(b->fdt, "/aliases"), err;
    const char *name;

    if (aliases < 0)
        return 0;
    while ((name = dangling_alias(b->fdt, aliases, why, &err)))
        if ((err = fdt_delprop(b->fdt, aliases, name)))
            return edit_failed(err, "/aliases", why);
    return err;
}

static __boot int mark_iommu_translated(struct build *b, const char **why)
{
    const struct dom0_dt_params *p = b->p;

    if (!p->feat_dom0_iommu)
        return 0;
    for (unsigned i = 0; i < p->nr_iommu_paths; i++) {
        int node = fdt_path_offset(b->fdt, p->iommu_paths[i]), err;
        if (node < 0) {
            *why = sayf(NULL, -1, p->iommu_paths[i], "not in dom0's device tree (absent on "
                                                     "this board, or filtered out)");
            return -ENOENT;
        }
        if ((err = fdt_setprop_empty(b->fdt, node, DOM0_DT_PROP_IOMMU_TRANSLATED)))
            return edit_failed(err, DOM0_DT_PROP_IOMMU_TRANSLATED, why);
    }
    return 0;
}

static __boot int finish(struct build *b, const char **why)
{
    int err = fdt_pack(b->fdt);

    if (!err) /* cheap at boot, and catches a libfdt misuse above */
        err = fdt_check_full(b->fdt, fdt_totalsize(b->fdt));
    return err ? edit_failed(err, "dom0 DTB", why) : 0;
}

/* --- the builder ---------------------------------------------------------- */

/* In order: check, survey the host tree (read-only), copy, delete, rebuild. */
static int (*const steps[])(struct build *b, const char **why) = {
    check_params, check_host, survey_host, open_output,
    filter_nodes, strip_properties, fix_gic, check_collisions,
    build_cpus, build_memory, build_psci, build_chosen, build_hypervisor,
    prune_aliases, mark_iommu_translated, finish,
};

__boot int dom0_dt_build(const struct dom0_dt_params *p, void *out, size_t out_size,
                         const char **why)
{
    struct build b = { .p = p, .fdt = out, .size = out_size };
    const char *ignored;
    int err = 0;

    if (!why)
        why = &ignored;
    *why = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(steps) && !err; i++)
        err = steps[i](&b, why);
    /* A half-edited tree must not pass for a DTB. */
    if (err && b.opened && out_size >= sizeof(struct fdt_header))
        fdt_set_magic(out, 0);
    return err;
}
