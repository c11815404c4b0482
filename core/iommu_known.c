/*
 * iommu_known.c — IOMMUs granite recognises in the device tree, whether or
 * not it drives them (seed 001).
 *
 * Seed 001 is Xen leaving an IOMMU it had no driver for (an Exynos SysMMU) in
 * dom0's device tree by accident: dom0 drove it, and the PV drivers broke,
 * because grants are mapped only in the IOMMUs the hypervisor drives.  Xen had
 * no list of IOMMUs it recognises without driving; this file is granite's.
 * A node is an IOMMU when
 *   - one of its compatibles is on the list below (which also catches the Arm
 *     SMMU's legacy `mmu-masters` binding, whose nodes have no #iommu-cells), or
 *   - it has #iommu-cells, which the generic IOMMU binding requires of every
 *     IOMMU (Linux: Documentation/devicetree/bindings/iommu/iommu.txt);
 * granite drives it when a DRIVER_IOMMU driver (include/granite/drivers.h)
 * matches one of its compatibles.  One it does not drive is hidden from dom0
 * (core/dom0_dt.c) and its devices are named at boot, since their DMA is not
 * isolated; the option dom0_iommu_passthrough hands it to dom0 instead.
 * The devices behind an IOMMU are the nodes whose `iommus` (<phandle
 * specifier>...) or `iommu-map` (<rid-base phandle specifier length>..., the
 * PCI binding) names its phandle; a specifier is #iommu-cells long.
 *
 * Assumptions: a handed IOMMU's `reg` is in its parent's address space and the
 * parent does not translate (the SoC buses of the boards' trees say `ranges;`).
 * Its interrupts are not routed to dom0: granite routes passed-through PCI
 * INTx only, so dom0's driver runs without the IOMMU's fault interrupts.
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#include <libfdt.h>
#include <granite/iommu_known.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/domain.h>
#include <granite/drivers.h>
#include <granite/errno.h>
#include <granite/mm.h>
#include <granite/p2m.h>

/* IOMMU compatibles of the Linux bindings (bindings/iommu/), driven or not: Arm's SMMUv3,
 * SMMUv1/v2 and MMU-500 (with vendors' integrations), then vendors' own (seed 001's Samsung). */
static const char *const known_iommus[] = {
    "arm,smmu-v3", "arm,mmu-500", "arm,mmu-401", "arm,mmu-400", "arm,smmu-v2", "arm,smmu-v1",
    "qcom,smmu-v2", "nvidia,smmu-500", "samsung,exynos-sysmmu", "mediatek,mt8173-m4u",
    "rockchip,iommu", "apple,t8103-dart", "renesas,ipmmu-vmsa", "ti,omap4-iommu",
    "allwinner,sun50i-h6-iommu", "sprd,iommu-v1", "qcom,apq8064-iommu",
};

#define MAX_PATH 256
#define MAX_IOMMU_CELLS 8        /* sanity bound on a specifier's length */
#define DEVICE_LIST_MAX 120      /* the devices named in one warning: the line fits the console's 256 */

__boot bool iommu_known_is_iommu(const void *fdt, int node)
{
    for (size_t i = 0; i < ARRAY_SIZE(known_iommus); i++)
        if (fdt_node_check_compatible(fdt, node, known_iommus[i]) == 0)
            return true;
    return fdt_getprop(fdt, node, "#iommu-cells", NULL) != NULL;
}

/* Does a granite driver match one of the node's compatibles? */
static __boot bool driven(const void *fdt, int node)
{
    const char *c;

    for (int i = 0; (c = fdt_stringlist_get(fdt, node, "compatible", i, NULL)); i++)
        if (driver_by_compatible(DRIVER_IOMMU, c))
            return true;
    return false;
}

__boot bool iommu_known_driven(const void *fdt, int node)
{
    return driven(fdt, node);
}

__boot bool iommu_known_handed(const void *fdt, int node, const char *spec)
{
    char path[MAX_PATH];

    if (!spec || !spec[0] || !iommu_known_is_iommu(fdt, node) || driven(fdt, node))
        return false;
    /* The option names a node by its full path, or by one of its compatibles. */
    if (spec[0] == '/')
        return fdt_get_path(fdt, node, path, sizeof(path)) == 0 && !strcmp(path, spec);
    return fdt_node_check_compatible(fdt, node, spec) == 0;
}

__boot int iommu_known_count_refs(const void *fdt, const void *prop, int len, bool map,
                                  int iommu, const char *spec)
{
    unsigned n = len > 0 ? (unsigned)len / 4 : 0, wrap = map ? 1 : 0, i = wrap;
    int count = 0, clen = 0;

    if (n == 0 || len % 4) /* empty or ragged: malformed, never kept */
        return -1;
    while (i < n) {
        int t = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(((const fdt32_t *)prop)[i]));
        const fdt32_t *cells = t >= 0 ? fdt_getprop(fdt, t, "#iommu-cells", &clen) : NULL;
        unsigned c = cells && clen == 4 ? fdt32_to_cpu(*cells) : 0;
        if (t < 0 || (cells && clen != 4) || c > MAX_IOMMU_CELLS)
            return -1;
        count += iommu >= 0 ? t == iommu : !iommu_known_handed(fdt, t, spec);
        i += 1 + c + 2 * wrap; /* phandle, specifier, then length and the next rid-base */
    }
    return i == n + wrap ? count : -1;
}

/* "<path>, <path>...": the nodes whose iommus or iommu-map names `iommu`. */
static __boot void list_devices(const void *fdt, int iommu, char *out, size_t size)
{
    char path[MAX_PATH], more[24];
    size_t used = 0;
    unsigned left_out = 0;
    int node = -1, len1, len2;

    out[0] = '\0';
    while ((node = fdt_next_node(fdt, node, NULL)) >= 0) {
        const fdt32_t *v1 = fdt_getprop(fdt, node, "iommus", &len1);
        const fdt32_t *v2 = fdt_getprop(fdt, node, "iommu-map", &len2);
        size_t need;
        if ((iommu_known_count_refs(fdt, v1, v1 ? len1 : 0, false, iommu, NULL) <= 0 &&
             iommu_known_count_refs(fdt, v2, v2 ? len2 : 0, true, iommu, NULL) <= 0) ||
            fdt_get_path(fdt, node, path, sizeof(path)) != 0)
            continue;
        /* Whole paths only, with room kept for " and N more": a board such as
         * the ZCU102 puts dozens of masters behind one SMMU, and the line
         * must still fit the console's. */
        need = strlen(path) + (used ? 2 : 0);
        if (left_out || used + need + sizeof(more) >= size) {
            left_out++;
            continue;
        }
        used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "", path);
    }
    if (left_out) {
        snprintf(more, sizeof(more), " and %u more", left_out);
        snprintf(out + used, size - used, "%s", more);
    }
    if (!used)
        snprintf(out, size, "its devices (no node names it in iommus/iommu-map)");
}

/* A handed IOMMU's registers (reg[0]: one frame in every binding above), 1:1 as
 * Device-nGnRE, as core/passthrough.c maps a passed-through device's. */
static __boot int map_registers(struct domain *d, const void *fdt, int node)
{
    int parent = fdt_parent_offset(fdt, node), len;
    int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    u64 start, end;

    if (!reg || ac < 1 || ac > 2 || sc < 1 || sc > 2 || len < (ac + sc) * 4)
        return -EINVAL;
    start = ALIGN_DOWN(dt_read_cells(reg, ac), PAGE_SIZE);
    end = ALIGN_UP(dt_read_cells(reg, ac) + dt_read_cells(reg + ac, sc), PAGE_SIZE);
    printk("iommu: d%u: registers 0x%lx-0x%lx mapped 1:1\n", d->id, start, end);
    return p2m_map(&d->p2m, ipa_of_pa_1to1(pa(start)), pa(start), end - start,
                   p2m_mmio_direct_dev);
}

/* For each IOMMU granite does not drive: the warning, and the policy line. */
__boot int iommu_known_settle(struct domain *dom0, const void *fdt, const char *spec,
                              const char **why)
{
    static char devs[DEVICE_LIST_MAX];
    char path[MAX_PATH];
    const char *compat;
    unsigned handed = 0;
    int node = -1;

    while ((node = fdt_next_node(fdt, node, NULL)) >= 0) {
        bool hand = iommu_known_handed(fdt, node, spec);
        if (!iommu_known_is_iommu(fdt, node) || driven(fdt, node))
            continue;
        if (!(compat = fdt_stringlist_get(fdt, node, "compatible", 0, NULL)))
            compat = "no compatible";
        if (fdt_get_path(fdt, node, path, sizeof(path)) < 0)
            snprintf(path, sizeof(path), "(node at offset %d)", node);
        list_devices(fdt, node, devs, sizeof(devs));
        printk("iommu: %s (%s): no driver in granite: %s; DMA from %s is not isolated\n", path,
               compat, hand ? "handed to dom0 (" IOMMU_PASSTHROUGH_OPTION ")"
                            : "hidden from dom0", devs);
        if (hand)
            printk("iommu: WARNING: %s is dom0's on purpose: certain things are going to "
                   "break, specifically PV drivers are going to break (granted pages are not "
                   "mapped in an IOMMU granite does not drive)\n", path);
        printk("iommu: policy: DMA from %s is not isolated (%s: no driver in granite%s)\n",
               devs, path, hand ? ", dom0's" : "");
        if (hand && map_registers(dom0, fdt, node)) {
            *why = dt_node_msg(fdt, node, "reg: cannot map it 1:1 into dom0");
            return -EINVAL;
        }
        handed += hand;
    }
    if (spec && spec[0] && !handed) {
        *why = IOMMU_PASSTHROUGH_OPTION ": names no IOMMU that granite recognises and does "
               "not drive (give its full node path or a compatible)";
        return -EINVAL;
    }
    return 0;
}
