/*
 * passthrough.c — devices a domain owns outright: the PCIe host bridge.
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
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#include <libfdt.h>
#include <granite/boot.h>
#include <granite/domain.h>
#include <granite/domain_build.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/errno.h>

#define PCI_ADDR_CELLS 3
#define GIC_SPI 0
#define GIC_SPI_BASE 32
#define IRQ_TYPE_EDGE_RISING 1

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
