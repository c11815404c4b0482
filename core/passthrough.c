/*
 * passthrough.c — devices a domain owns outright: the PCIe host bridge, and
 * the hardware domain's platform devices.
 *
 * Which domain owns which bridge is the configuration's business
 * (core/domain_config.c: granite,passthrough, else the hardware domain).  The
 * owner is direct-mapped (checked at boot), so passing a device through is
 * mapping its register windows 1:1 into the owner's stage 2 and routing its
 * interrupts to it:
 *   - the ECAM configuration space (`reg` of the "pci-host-ecam-generic" node)
 *     and every window in `ranges` (I/O, 32-bit and 64-bit memory), as
 *     Device-nGnRE (p2m_mmio_direct_dev);
 *   - each INTx line in `interrupt-map` (a GIC SPI) becomes the same SPI in
 *     owner's vGIC, HW-linked: the physical SPI is aimed at the CPU of its
 *     vCPU 0, and its deactivation of the virtual one deactivates it.
 * Its functions' SMMU streams are attached to the owner's context by
 * core/iommu.c (iommu_domain_assign_devices).
 *
 * A platform device (the ZynqMP GEM, SD controller, RTC: the ones dom0's tree
 * keeps, dom0_dt_platform_device()) is handed to the hardware domain the same
 * way: every `reg` entry, translated through the parent buses' `ranges`,
 * mapped 1:1 as Device-nGnRE, and every GIC SPI of `interrupts` (through the
 * inherited `interrupt-parent`) or `interrupts-extended` routed to it with
 * the call PCI INTx uses.  The node is input from outside: a window that
 * touches what granite owns or gave away (RAM, granite's console, the GIC and
 * its ITS/v2m frames, the IOMMUs granite drives, the PCIe host bridges'
 * ECAM and windows), an interrupt that is not an SPI of the GIC within the
 * owner's vGIC or is already taken (by granite: the console's receive, an
 * IOMMU's events; or by another domain), or an `iommus` that names an IOMMU
 * granite drives (it attaches PCIe functions only) stops the domain's build
 * with a message naming the node and property (passthrough_platform_plan()).
 * Every kept device is planned before the first is handed over, so a refusal
 * leaves nothing mapped or routed.  Assumes the GIC binding's 3-cell
 * specifiers <type number flags> (the only kind dom0's vGIC models).
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#include <libfdt.h>
#include <granite/boot.h>
#include <granite/domain.h>
#include <granite/domain_build.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/errno.h>
#include <granite/dom0_dt.h>
#include <granite/iommu_known.h>
#include <granite/passthrough.h>

#define PCI_ADDR_CELLS 3
#define GIC_SPI 0
#define GIC_SPI_BASE 32
#define IRQ_TYPE_EDGE_RISING 1
/* The GIC binding's specifier (bindings/interrupt-controller/arm,gic.yaml). */
#define GIC_PPI 1
#define GIC_INTERRUPT_CELLS 3
#define GIC_MAX_SPI 987              /* SPIs 0..987: INTIDs 32..1019 */
#define IRQ_TYPE_LEVEL_HIGH 4
#define IRQ_TYPE_SENSE_MASK 0xf
#define MAX_CELLS 2                  /* reg: 1- or 2-cell addresses and sizes */
#define MAX_INTERRUPT_PARENT_HOPS 16 /* steps up the interrupt tree to find a controller */
#define GIC_MAX_REG 6                /* GICD, GICR/GICC, GICC, GICH, GICV + one */

static __boot int map_window(struct domain *d, u64 base, u64 size, const char *what)
{
    u64 start = ALIGN_DOWN(base, PAGE_SIZE), end = ALIGN_UP(base + size, PAGE_SIZE);
    int ret = p2m_map(&d->p2m, ipa_of_pa_1to1(pa(start)), pa(start), end - start,
                      p2m_mmio_direct_dev);

    if (!ret)
        printk("passthrough: d%u: %s 0x%lx-0x%lx mapped 1:1\n", d->id, what, start, end);
    return ret;
}

static __boot int map_reg_and_ranges(const void *fdt, int node, struct domain *d, const char **why)
{
    int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0), len;
    const fdt32_t *p = fdt_getprop(fdt, node, "reg", &len);

    if (!p || ac < 1 || sc < 1 || len < (ac + sc) * 4) {
        *why = "PCIe host bridge: missing or short 'reg'";
        return -EINVAL;
    }
    if (map_window(d, dt_read_cells(p, ac), dt_read_cells(p + ac, sc), "PCIe ECAM"))
        return -ENOMEM;
    p = fdt_getprop(fdt, node, "ranges", &len);
    if (!p)
        return 0;
    /* Each entry: PCI address (3 cells), CPU address (root's cells), size (2 cells). */
    int entry = PCI_ADDR_CELLS + ac + 2;
    if (len % (entry * 4)) {
        *why = "PCIe host bridge: 'ranges' is not whole entries";
        return -EINVAL;
    }
    for (int i = 0; i < len / (entry * 4); i++) {
        const fdt32_t *e = p + i * entry;
        if (map_window(d, dt_read_cells(e + PCI_ADDR_CELLS, ac), dt_read_cells(e + PCI_ADDR_CELLS + ac, 2),
                       "PCIe window"))
            return -ENOMEM;
    }
    return 0;
}

/* The host's GIC node, of either version, or a negative libfdt error. */
static __boot int host_gic_node(const void *fdt)
{
    static const char *const gics[] = { "arm,gic-v3", "arm,cortex-a15-gic", "arm,gic-400" };
    int node = -FDT_ERR_NOTFOUND;

    for (size_t i = 0; i < ARRAY_SIZE(gics) && node < 0; i++)
        node = fdt_node_offset_by_compatible(fdt, -1, gics[i]);
    return node;
}

static __boot int route_intx(const void *fdt, int node, struct domain *d, const char **why)
{
    int len, icells = 1, gic_ac = 2, gic_ic = 3;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupt-map", &len);
    int gic = host_gic_node(fdt);
    u64 routed = 0;

    if (!p)
        return 0;
    if (gic >= 0) {
        gic_ac = fdt_address_cells(fdt, gic);
        const fdt32_t *c = fdt_getprop(fdt, gic, "#interrupt-cells", NULL);
        gic_ic = c ? (int)fdt32_to_cpu(*c) : 3;
    }
    /* Each entry: child unit address (3), child interrupt (1), parent phandle (1),
     * parent unit address (GIC's #address-cells), parent interrupt (GIC's #interrupt-cells). */
    int entry = PCI_ADDR_CELLS + icells + 1 + gic_ac + gic_ic;
    if (gic_ic != 3 || len % (entry * 4)) {
        *why = "PCIe host bridge: 'interrupt-map' entries do not match the GIC's cells";
        return -EINVAL;
    }
    for (int i = 0; i < len / (entry * 4); i++) {
        const fdt32_t *spec = p + i * entry + PCI_ADDR_CELLS + icells + 1 + gic_ac;
        u32 type = fdt32_to_cpu(spec[0]), num = fdt32_to_cpu(spec[1]);
        u32 flags = fdt32_to_cpu(spec[2]);
        u32 intid = num + GIC_SPI_BASE;
        if (type != GIC_SPI || intid >= ARCH_NR_VIRQS || intid >= 64 + GIC_SPI_BASE)
            continue;
        if (routed & BIT(intid - GIC_SPI_BASE))
            continue;
        routed |= BIT(intid - GIC_SPI_BASE);
        if (irq_spi_owned(intid, d)) {
            *why = "PCIe host bridge: an INTx SPI is already granite's or another domain's";
            return -EINVAL;
        }
        if (irq_route_to_domain(intid, d, intid, (flags & 0xf) == IRQ_TYPE_EDGE_RISING)) {
            *why = "cannot route a PCI INTx SPI to the device's owner";
            return -EINVAL;
        }
        printk("passthrough: d%u: PCI INTx SPI %u (INTID %u) routed, HW-linked\n", d->id, num,
               intid);
    }
    return 0;
}

__boot int passthrough_device(const void *fdt, struct domain *d, const char *path,
                              const char **why)
{
    int node = fdt_path_offset(fdt, path);
    int ret;

    if (node < 0 || fdt_node_check_compatible(fdt, node, PASSTHROUGH_COMPATIBLE)) {
        *why = "passthrough: not a PCIe host bridge in the host device tree";
        return -ENOENT;
    }
    if (!d->direct_map) {
        *why = "passthrough: the domain is not direct-mapped";
        return -EINVAL;
    }
    printk("passthrough: d%u (%s): %s\n", d->id, d->name, path);
    ret = map_reg_and_ranges(fdt, node, d, why);
    if (!ret)
        ret = route_intx(fdt, node, d, why);
    return ret;
}

/* --- platform devices ----------------------------------------------------- */

static char pt_msg[200];

/* "<node>: <prop>: <what>" (boot is single-threaded). */
static __boot __attribute__((format(printf, 4, 5))) const char *
refuse(const void *fdt, int node, const char *prop, const char *fmt, ...)
{
    char what[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(pt_msg, sizeof(pt_msg), "%s: %s", prop, what);
    return dt_node_msg(fdt, node, pt_msg);
}

static __boot bool overlaps(u64 a, u64 a_size, u64 b, u64 b_size)
{
    return a < b + b_size && b < a + a_size;
}

static __boot int plan_window(const void *fdt, int node, const struct pt_limits *lim, u64 base,
                              u64 size, struct pt_plan *out, const char **why)
{
    u64 bus_base = base;

    if (!size) {
        *why = refuse(fdt, node, "reg", "the window at 0x%lx is empty", bus_base);
        return -EINVAL;
    }
    if (dt_translate(fdt, node, &base, size, why)) {
        *why = refuse(fdt, node, "reg", "%s", *why);
        return -EINVAL;
    }
    if (lim->root_ac < 2 && (base >> 32 || (base + size - 1) >> 32)) {
        *why = refuse(fdt, node, "reg", "[0x%lx, +0x%lx) does not fit the root's "
                      "#address-cells = <1>", base, size);
        return -EINVAL;
    }
    for (unsigned i = 0; i < lim->nr_forbidden; i++) {
        const struct pt_forbidden *f = &lim->forbidden[i];
        /* Whole pages are mapped: a window sharing a page with f shares f. */
        if (overlaps(ALIGN_DOWN(base, PAGE_SIZE), ALIGN_UP(base + size, PAGE_SIZE) -
                     ALIGN_DOWN(base, PAGE_SIZE), f->base, f->size)) {
            *why = refuse(fdt, node, "reg", "[0x%lx, +0x%lx) overlaps %s [0x%lx, +0x%lx)", base,
                          size, f->what, f->base, f->size);
            return -EINVAL;
        }
    }
    if (out->nr_win == PASSTHROUGH_MAX_WINDOWS) {
        *why = refuse(fdt, node, "reg", "more than %d windows", PASSTHROUGH_MAX_WINDOWS);
        return -EINVAL;
    }
    out->win[out->nr_win++] = (struct pt_window){ base, size };
    return 0;
}

static __boot int plan_reg(const void *fdt, int node, const struct pt_limits *lim,
                           struct pt_plan *out, const char **why)
{
    int parent = fdt_parent_offset(fdt, node), len;
    int ac = parent >= 0 ? fdt_address_cells(fdt, parent) : -1;
    int sc = parent >= 0 ? fdt_size_cells(fdt, parent) : -1;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    if (ac < 1 || ac > MAX_CELLS || sc < 1 || sc > MAX_CELLS) {
        *why = refuse(fdt, node, "reg", "the parent's #address-cells/#size-cells are not 1 or 2");
        return -EINVAL;
    }
    if (!reg || len <= 0 || len % ((ac + sc) * 4)) {
        *why = refuse(fdt, node, "reg", "missing, or not whole (address, size) entries of %d+%d "
                      "cells", ac, sc);
        return -EINVAL;
    }
    for (const fdt32_t *e = reg; e < reg + len / 4; e += ac + sc) {
        int err = plan_window(fdt, node, lim, dt_read_cells(e, ac), dt_read_cells(e + ac, sc),
                              out, why);
        if (err)
            return err;
    }
    return 0;
}

/* A node that can be an interrupt parent: a controller or a nexus (DT
 * specification 2.4: interrupt-controller, #interrupt-cells, interrupt-map). */
static __boot bool interrupt_domain_root(const void *fdt, int node)
{
    return fdt_getprop(fdt, node, "interrupt-controller", NULL) ||
           fdt_getprop(fdt, node, "#interrupt-cells", NULL) ||
           fdt_getprop(fdt, node, "interrupt-map", NULL);
}

/* The interrupt parent of `node` (DT specification 2.4.1): follow each node's
 * `interrupt-parent`, or its devicetree parent when it has none, until a node
 * that is a controller or nexus.  A negative libfdt error when an
 * `interrupt-parent` is not one phandle (-FDT_ERR_BADVALUE), names no node,
 * the root is passed, or no controller is found within
 * MAX_INTERRUPT_PARENT_HOPS steps (-FDT_ERR_BADSTRUCTURE: a loop). */
static __boot int interrupt_parent(const void *fdt, int node)
{
    int n = node, len;

    for (int hop = 0; hop < MAX_INTERRUPT_PARENT_HOPS; hop++) {
        const fdt32_t *ph = fdt_getprop(fdt, n, "interrupt-parent", &len);
        if (ph && len != 4)
            return -FDT_ERR_BADVALUE;
        n = ph ? fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(*ph)) : fdt_parent_offset(fdt, n);
        if (n < 0)
            return n;
        if (interrupt_domain_root(fdt, n))
            return n;
    }
    return -FDT_ERR_BADSTRUCTURE;
}

/* One <type number flags> specifier of the GIC. */
static __boot int plan_spi(const void *fdt, int node, const char *prop, const fdt32_t *spec,
                           const struct pt_limits *lim, struct pt_plan *out, const char **why)
{
    u32 type = fdt32_to_cpu(spec[0]), num = fdt32_to_cpu(spec[1]);
    u32 sense = fdt32_to_cpu(spec[2]) & IRQ_TYPE_SENSE_MASK;
    u32 intid = num + GIC_SPI_BASE;

    if (type != GIC_SPI) {
        *why = refuse(fdt, node, prop, "<%u %u ...> is %s, not an SPI: only SPIs can be owned",
                      type, num, type == GIC_PPI ? "a PPI" : "of an unknown type");
        return -EINVAL;
    }
    if (num > GIC_MAX_SPI || intid >= lim->max_intid) {
        *why = refuse(fdt, node, prop, "SPI %u (INTID %u) is beyond the owner's vGIC or the "
                      "host GIC (INTIDs below %u)", num, intid, lim->max_intid);
        return -EINVAL;
    }
    if (sense != IRQ_TYPE_EDGE_RISING && sense != IRQ_TYPE_LEVEL_HIGH) {
        *why = refuse(fdt, node, prop, "SPI %u: trigger type %u; a GIC SPI is rising-edge (1) or "
                      "level-high (4)", num, sense);
        return -EINVAL;
    }
    if (intid == lim->console_intid) {
        *why = refuse(fdt, node, prop, "SPI %u (INTID %u) is granite's console's receive "
                      "interrupt", num, intid);
        return -EINVAL;
    }
    if (irq_spi_owned(intid, lim->owner)) {
        *why = refuse(fdt, node, prop, "SPI %u (INTID %u) is already granite's or another "
                      "domain's", num, intid);
        return -EINVAL;
    }
    for (unsigned i = 0; i < out->nr_spi; i++)
        if (out->spi[i].intid == intid)
            return 0; /* listed again (gem3 names SPI 63 twice): routed once */
    if (out->nr_spi == PASSTHROUGH_MAX_SPIS) {
        *why = refuse(fdt, node, prop, "more than %d SPIs", PASSTHROUGH_MAX_SPIS);
        return -EINVAL;
    }
    out->spi[out->nr_spi++] = (struct pt_spi){ intid, sense == IRQ_TYPE_EDGE_RISING };
    return 0;
}

/* The host GIC, checked as the parent of `node`'s interrupts. */
static __boot int check_gic_parent(const void *fdt, int node, const char *prop, int parent,
                                   const char **why)
{
    int gic = host_gic_node(fdt), len;
    const fdt32_t *cells = gic >= 0 ? fdt_getprop(fdt, gic, "#interrupt-cells", &len) : NULL;

    if (parent < 0 || parent != gic) {
        *why = refuse(fdt, node, prop, "the interrupt parent is not the host's GIC");
        return -EINVAL;
    }
    if (!cells || len != 4 || fdt32_to_cpu(*cells) != GIC_INTERRUPT_CELLS) {
        *why = refuse(fdt, node, prop, "the GIC's #interrupt-cells is not <3>");
        return -EINVAL;
    }
    return 0;
}

static __boot int plan_interrupts(const void *fdt, int node, const struct pt_limits *lim,
                                  struct pt_plan *out, const char **why)
{
    int len, err;
    const fdt32_t *v = fdt_getprop(fdt, node, "interrupts-extended", &len);
    const char *prop = "interrupts-extended";

    if (v) { /* <phandle type number flags>..., taking precedence over `interrupts` */
        if (len <= 0 || len % ((1 + GIC_INTERRUPT_CELLS) * 4)) {
            *why = refuse(fdt, node, prop, "not whole <phandle type number flags> entries");
            return -EINVAL;
        }
        for (const fdt32_t *e = v; e < v + len / 4; e += 1 + GIC_INTERRUPT_CELLS) {
            int parent = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(e[0]));
            if ((err = check_gic_parent(fdt, node, prop, parent, why)) ||
                (err = plan_spi(fdt, node, prop, e + 1, lim, out, why)))
                return err;
        }
        return 0;
    }
    prop = "interrupts";
    v = fdt_getprop(fdt, node, prop, &len);
    if (!v)
        return 0; /* a device without interrupts */
    int parent = interrupt_parent(fdt, node);
    if (parent == -FDT_ERR_BADVALUE) {
        *why = refuse(fdt, node, "interrupt-parent", "not one phandle (here or on an ancestor)");
        return -EINVAL;
    }
    if (parent == -FDT_ERR_BADSTRUCTURE) {
        *why = refuse(fdt, node, prop, "no interrupt controller within %d steps up the "
                      "interrupt tree", MAX_INTERRUPT_PARENT_HOPS);
        return -EINVAL;
    }
    if ((err = check_gic_parent(fdt, node, prop, parent, why)))
        return err;
    if (len <= 0 || len % (GIC_INTERRUPT_CELLS * 4)) {
        *why = refuse(fdt, node, prop, "not whole <type number flags> entries");
        return -EINVAL;
    }
    for (const fdt32_t *e = v; e < v + len / 4; e += GIC_INTERRUPT_CELLS)
        if ((err = plan_spi(fdt, node, prop, e, lim, out, why)))
            return err;
    return 0;
}

/*
 * `iommus` (<phandle specifier>..., each specifier #iommu-cells long): every
 * entry must name an IOMMU granite does not drive.  Granite attaches only PCIe
 * functions to the IOMMUs it drives (iommu_domain_assign_devices), so a
 * platform device behind one would do DMA through an unattached stream.  The
 * first IOMMU is kept for the log (log_isolation).
 */
static __boot int plan_iommus(const void *fdt, int node, struct pt_plan *out, const char **why)
{
    int len, cells_len;
    const fdt32_t *p = fdt_getprop(fdt, node, "iommus", &len), *end;

    out->iommu = -1;
    if (!p)
        return 0;
    if (len <= 0 || len % 4) {
        *why = refuse(fdt, node, "iommus", "empty, or not whole cells");
        return -EINVAL;
    }
    for (end = p + len / 4; p < end;) {
        u32 ph = fdt32_to_cpu(*p);
        int iommu = fdt_node_offset_by_phandle(fdt, ph);
        const fdt32_t *cells = iommu >= 0 ? fdt_getprop(fdt, iommu, "#iommu-cells", &cells_len)
                                          : NULL;
        if (iommu < 0 || !iommu_known_is_iommu(fdt, iommu)) {
            *why = refuse(fdt, node, "iommus", "phandle 0x%x names no IOMMU", ph);
            return -EINVAL;
        }
        if (iommu_known_driven(fdt, iommu)) {
            *why = refuse(fdt, node, "iommus", "behind %s, which granite drives: platform devices "
                          "behind it are not supported (their streams would not be attached)",
                          fdt_get_name(fdt, iommu, NULL));
            return -EINVAL;
        }
        if (!cells || cells_len != 4 || fdt32_to_cpu(*cells) > (u32)(end - p - 1)) {
            *why = refuse(fdt, node, "iommus", "the entry for %s does not match its #iommu-cells",
                          fdt_get_name(fdt, iommu, NULL));
            return -EINVAL;
        }
        if (out->iommu < 0)
            out->iommu = iommu;
        p += 1 + fdt32_to_cpu(*cells);
    }
    return 0;
}

__boot int passthrough_platform_plan(const void *fdt, int node, const struct pt_limits *lim,
                                     struct pt_plan *out, const char **why)
{
    int err;

    *out = (struct pt_plan){ 0 };
    if ((err = plan_reg(fdt, node, lim, out, why)) ||
        (err = plan_interrupts(fdt, node, lim, out, why)))
        return err;
    return plan_iommus(fdt, node, out, why);
}

/* The forbidden ranges being collected. */
struct forbid_list {
    struct pt_forbidden *f;
    unsigned n, max;
    bool full;
};

static __boot void forbid(struct forbid_list *l, u64 base, u64 size, const char *what)
{
    if (!size)
        return;
    if (l->n == l->max) {
        l->full = true;
        return;
    }
    l->f[l->n++] = (struct pt_forbidden){ base, size, what };
}

/* Every `reg` window of `node`, translated to CPU addresses (untranslatable
 * ones as written: the range is forbidden either way). */
static __boot void forbid_reg(struct forbid_list *l, const void *fdt, int node, const char *what)
{
    int parent = fdt_parent_offset(fdt, node), len;
    int ac = parent >= 0 ? fdt_address_cells(fdt, parent) : -1;
    int sc = parent >= 0 ? fdt_size_cells(fdt, parent) : -1;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    const char *ignored;

    if (!reg || ac < 1 || ac > MAX_CELLS || sc < 1 || sc > MAX_CELLS)
        return;
    for (int i = 0; i < len / ((ac + sc) * 4); i++) {
        const fdt32_t *e = reg + i * (ac + sc);
        u64 base = dt_read_cells(e, ac), size = dt_read_cells(e + ac, sc), cpu = base;
        forbid(l, dt_translate(fdt, node, &cpu, size, &ignored) ? base : cpu, size, what);
    }
}

/* A PCIe host bridge's ECAM (`reg`) and every `ranges` window: they belong to
 * the bridge's owner (passthrough_device), whichever domain that is. */
static __boot void forbid_pcie_bridge(struct forbid_list *l, const void *fdt, int node)
{
    int ac = fdt_address_cells(fdt, 0), len;
    const fdt32_t *p = fdt_getprop(fdt, node, "ranges", &len);
    int entry = PCI_ADDR_CELLS + ac + 2;

    forbid_reg(l, fdt, node, "a PCIe host bridge's ECAM");
    if (!p || ac < 1 || ac > MAX_CELLS)
        return;
    for (int i = 0; i < len / (entry * 4); i++) {
        const fdt32_t *e = p + i * entry;
        forbid(l, dt_read_cells(e + PCI_ADDR_CELLS, ac), dt_read_cells(e + PCI_ADDR_CELLS + ac, 2),
               "a PCIe host bridge's window");
    }
}

__boot int passthrough_forbidden_ranges(const struct boot_info *bi, struct pt_forbidden *f,
                                        unsigned max)
{
    struct forbid_list l = { .f = f, .max = max };
    const void *fdt = bi->fdt;
    int gic = host_gic_node(fdt), node, depth = 0;

    for (unsigned i = 0; i < bi->nr_mem; i++)
        forbid(&l, pa_addr(bi->mem[i].start), bi->mem[i].size, "RAM");
    if (pa_addr(bi->console_pa))
        forbid(&l, pa_addr(bi->console_pa), PAGE_SIZE, "granite's console");
    if (gic >= 0) {
        forbid_reg(&l, fdt, gic, "the GIC");
        fdt_for_each_subnode(node, fdt, gic) /* GICv3 ITS, GICv2m frames */
            forbid_reg(&l, fdt, node, "a GIC frame (ITS/v2m)");
    }
    for (node = fdt_next_node(fdt, -1, &depth); node >= 0; node = fdt_next_node(fdt, node, &depth)) {
        if (iommu_known_is_iommu(fdt, node) && iommu_known_driven(fdt, node))
            forbid_reg(&l, fdt, node, "an IOMMU granite drives");
        else if (fdt_node_check_compatible(fdt, node, PASSTHROUGH_COMPATIBLE) == 0)
            forbid_pcie_bridge(&l, fdt, node);
    }
    return l.full ? -ENOSPC : (int)l.n;
}

/* Whose DMA this is: a device without `iommus`, or behind an IOMMU granite
 * does not drive (core/iommu_known.c hides it), goes unisolated.  (One behind
 * an IOMMU granite drives was refused by plan_iommus.) */
static __boot void log_isolation(const void *fdt, const struct pt_plan *pl, struct domain *d,
                                 const char *path)
{
    if (pl->iommu < 0)
        printk("passthrough: d%u: %s: no `iommus`: any DMA it does is not isolated\n", d->id, path);
    else
        printk("passthrough: d%u: %s: its DMA is not isolated: behind %s, which granite does "
               "not drive\n", d->id, path, fdt_get_name(fdt, pl->iommu, NULL));
}

static __boot int hand_over(const void *fdt, int node, struct domain *d, const struct pt_plan *pl,
                            const char *path, const char **why)
{
    for (unsigned i = 0; i < pl->nr_win; i++)
        if (map_window(d, pl->win[i].base, pl->win[i].size, path)) {
            *why = dt_node_msg(fdt, node, "reg: cannot map a window into the owner's stage 2");
            return -ENOMEM;
        }
    for (unsigned i = 0; i < pl->nr_spi; i++) {
        const struct pt_spi *s = &pl->spi[i];
        if (irq_route_to_domain(s->intid, d, s->intid, s->edge)) {
            *why = dt_node_msg(fdt, node, "interrupts: cannot route an SPI to the owner");
            return -EINVAL;
        }
        printk("passthrough: d%u: %s: SPI %u (INTID %u, %s) routed\n", d->id, path,
               s->intid - GIC_SPI_BASE, s->intid, s->edge ? "edge" : "level");
    }
    return 0;
}

/* The next device the hardware domain's tree keeps after `node` in the whole
 * tree, or < 0.  (No depth given to fdt_next_node: counted from `node`, it
 * would stop the walk when it left node's parent.) */
static __boot int next_kept(const void *fdt, int node, const char **what)
{
    while ((node = fdt_next_node(fdt, node, NULL)) >= 0)
        if ((*what = dom0_dt_platform_device(fdt, node)))
            return node;
    return node;
}

__boot int passthrough_platform_devices(const struct boot_info *bi, struct domain *d,
                                        const char **why)
{
    static struct pt_forbidden forbidden[PASSTHROUGH_MAX_FORBIDDEN];
    static struct pt_plan plan;
    const void *fdt = bi->fdt;
    int nr_forbidden = passthrough_forbidden_ranges(bi, forbidden, PASSTHROUGH_MAX_FORBIDDEN);
    struct pt_limits lim = {
        .root_ac = (unsigned)fdt_address_cells(fdt, 0),
        /* INTIDs both dom0's vGIC and the host's GIC have */
        .max_intid = MIN(ARCH_NR_VIRQS, arch_host_nr_irqs()),
        .console_intid = bi->console_intid, .owner = d,
        .forbidden = forbidden, .nr_forbidden = nr_forbidden > 0 ? (unsigned)nr_forbidden : 0,
    };
    const char *what;
    char path[96];
    int node, err;

    if (!d->direct_map) {
        *why = "passthrough: platform devices need a direct-mapped domain";
        return -EINVAL;
    }
    if (nr_forbidden < 0) {
        *why = "passthrough: too many ranges to keep platform devices away from "
               "(PASSTHROUGH_MAX_FORBIDDEN)";
        return -ENOSPC;
    }
    /* Every device checked first: a refusal leaves nothing mapped or routed. */
    for (node = next_kept(fdt, -1, &what); node >= 0; node = next_kept(fdt, node, &what))
        if ((err = passthrough_platform_plan(fdt, node, &lim, &plan, why)))
            return err;
    for (node = next_kept(fdt, -1, &what); node >= 0; node = next_kept(fdt, node, &what)) {
        if ((err = passthrough_platform_plan(fdt, node, &lim, &plan, why)))
            return err; /* (not reached: the same checks passed above) */
        if (fdt_get_path(fdt, node, path, sizeof(path)) < 0)
            snprintf(path, sizeof(path), "%s", fdt_get_name(fdt, node, NULL));
        printk("passthrough: d%u (%s): %s: %s\n", d->id, d->name, path, what);
        if ((err = hand_over(fdt, node, d, &plan, path, why)))
            return err;
        log_isolation(fdt, &plan, d, path);
    }
    return 0;
}
