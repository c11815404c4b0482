/*
 * pci.c — PCIe functions behind the board's host bridges, and their stream IDs.
 *
 * A generic host bridge (DT binding "pci-host-ecam-generic") exposes each
 * function's configuration space through ECAM; finding the window and
 * walking a bus is the parser granite shares with the guests
 * (drivers/pci_ecam.c).  This file is granite's glue around it.
 *
 * A function's DMA reaches the IOMMU tagged with its requester ID
 * (bus << 8 | dev << 3 | fn).  The bridge's `iommu-map` (DT binding
 * pci-iommu.txt) turns it into the IOMMU's stream ID: entries of
 * (rid-base, iommu phandle, iommu-base, length), after masking the RID with
 * `iommu-map-mask`.  QEMU virt says <0 &smmu 0 0x10000>: SID == RID.
 *
 * Assumptions: granite enumerates only the bridge's first bus (its
 * bus-range start).  Nothing configures PCI-PCI bridges before dom0 runs, so
 * functions behind one are not visible yet; they get no stream and their DMA
 * aborts.  Boot-only (libfdt).
 */
#include <libfdt.h>
#include <granite/pci.h>
#include <granite/pci_ecam.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/errno.h>
#include <granite/memory_map.h>
#include <granite/mm.h>

#define IOMMU_MAP_ENTRY_CELLS 4

static const char bridge_compat[] = PCI_ECAM_COMPATIBLE;

/* ECAM is mapped as Device memory: one plain load per register. */
static __boot u32 cfg_read32(const volatile u8 *cfg, unsigned off)
{
    return *(const volatile u32 *)(cfg + off);
}

__boot int pci_rid_to_sid(const void *fdt, int node, u32 rid, u32 *iommu_phandle, u32 *sid)
{
    int len, mlen;
    const fdt32_t *map = fdt_getprop(fdt, node, "iommu-map", &len);
    const fdt32_t *mask = fdt_getprop(fdt, node, "iommu-map-mask", &mlen);
    u32 masked;

    if (mask && mlen != 4)
        return -ENOENT; /* a malformed mask would map RIDs onto other devices' streams */
    masked = mask ? rid & fdt32_to_cpu(*mask) : rid;
    if (!map || len % (IOMMU_MAP_ENTRY_CELLS * 4))
        return -ENOENT;
    for (int i = 0; i < len / (IOMMU_MAP_ENTRY_CELLS * 4); i++) {
        const fdt32_t *e = map + i * IOMMU_MAP_ENTRY_CELLS;
        u32 rid_base = fdt32_to_cpu(e[0]), length = fdt32_to_cpu(e[3]);
        u32 sid_base = fdt32_to_cpu(e[2]);
        if (masked >= rid_base && masked - rid_base < length) {
            if (sid_base + (masked - rid_base) < sid_base)
                return -ENOENT; /* the entry's StreamIDs wrap past 32 bits */
            *iommu_phandle = fdt32_to_cpu(e[1]);
            *sid = sid_base + (masked - rid_base);
            return 0;
        }
    }
    return -ENOENT;
}

/* What scan_bridge's visitor needs besides the function. */
struct scan {
    const void *fdt;
    int bridge;
    unsigned bus;
    int (*fn)(const struct pci_dev *, void *);
    void *arg;
};

/* A function pci_ecam_scan_bus found: named, given its stream, passed on. */
static __boot int found_function(const struct pci_ecam_fn *f, void *ctx)
{
    const struct scan *sc = ctx;
    struct pci_dev d = { .bus = (u8)sc->bus, .dev = (u8)f->dev, .fn = (u8)f->fn,
                         .vendor = f->vendor, .device = f->device,
                         .rid = pci_requester_id(sc->bus, f->dev, f->fn) };

    snprintf(d.name, sizeof(d.name), "0000:%02x:%02x.%u (%04x:%04x)", sc->bus, f->dev, f->fn,
             d.vendor, d.device);
    if (f->bridge)
        printk("pci: %s is a PCI-PCI bridge: granite does not configure it, so "
               "nothing behind it gets a stream\n", d.name);
    if (pci_rid_to_sid(sc->fdt, sc->bridge, d.rid, &d.iommu_phandle, &d.sid))
        d.iommu_phandle = 0;
    return sc->fn(&d, sc->arg);
}

/* Enumerates the bridge's first bus, through granite's mapping of its ECAM. */
static __boot int scan_bridge(const void *fdt, int node,
                              int (*fn)(const struct pci_dev *, void *), void *arg)
{
    struct pci_ecam_window w;
    volatile u8 *ecam = NULL;
    unsigned found = 0;
    int ret;

    if (!pci_ecam_window(fdt, node, &w))
        ecam = ioremap(pa(w.base), ECAM_BUS_SIZE);
    if (!ecam) {
        printk("pci: %s: unusable 'reg' (ECAM): devices not enumerated\n",
               dt_node_msg(fdt, node, "reg"));
        return -EINVAL;
    }
    struct scan sc = { .fdt = fdt, .bridge = node, .bus = w.first_bus, .fn = fn, .arg = arg };
    if ((ret = pci_ecam_scan_bus(ecam, cfg_read32, found_function, &sc, &found)))
        return ret;
    printk("pci: %s: %u function(s) on bus %u\n", dt_node_msg(fdt, node, "ECAM"), found,
           w.first_bus);
    return 0;
}

__boot int pci_for_each_device(const void *fdt, int (*fn)(const struct pci_dev *, void *),
                               void *arg)
{
    int node = -1, ret;

    while ((node = fdt_node_offset_by_compatible(fdt, node, bridge_compat)) >= 0)
        if ((ret = scan_bridge(fdt, node, fn, arg)))
            return ret;
    return 0;
}

__boot int pci_for_each_device_on(const void *fdt, int bridge,
                                  int (*fn)(const struct pci_dev *, void *), void *arg)
{
    if (bridge < 0 || fdt_node_check_compatible(fdt, bridge, bridge_compat))
        return -EINVAL;
    return scan_bridge(fdt, bridge, fn, arg);
}

/* Regions of every bridge (only < 0) or of bridge `only`. */
static __boot unsigned reserved_regions(const void *fdt, int only, struct pci_region *out,
                                        unsigned max)
{
    int node = -1;
    unsigned n = 0;

    while ((node = fdt_node_offset_by_compatible(fdt, node, bridge_compat)) >= 0) {
        int len;
        if (only >= 0 && node != only)
            continue;
        const fdt32_t *ph = fdt_getprop(fdt, node, "memory-region", &len);
        if (!ph || !fdt_getprop(fdt, node, "iommu-map", NULL))
            continue;
        for (int i = 0; i < len / 4 && n < max; i++) {
            int r = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(ph[i]));
            int parent = r >= 0 ? fdt_parent_offset(fdt, r) : -1;
            int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent), rlen;
            const fdt32_t *reg = r >= 0 ? fdt_getprop(fdt, r, "reg", &rlen) : NULL;
            const char *status = r >= 0 ? fdt_getprop(fdt, r, "status", NULL) : NULL;
            /* Only what boot_dt.c kept from the allocator: an enabled child of
             * /reserved-memory with a reg. */
            if (!reg || ac < 1 || sc < 1 || rlen < (ac + sc) * 4 ||
                parent != fdt_path_offset(fdt, "/reserved-memory") ||
                (status && strcmp(status, "okay") && strcmp(status, "ok"))) {
                printk("pci: %s: a 'memory-region' phandle names no enabled /reserved-memory "
                       "region with a 'reg': ignored\n", dt_node_msg(fdt, node, "memory-region"));
                continue;
            }
            for (int k = 0; k < rlen / ((ac + sc) * 4) && n < max; k++) {
                const fdt32_t *e = reg + k * (ac + sc);
                u64 base = dt_read_cells(e, ac), end = base + dt_read_cells(e + ac, sc);
                out[n++] = (struct pci_region){
                    .base = ALIGN_DOWN(base, PAGE_SIZE),
                    .size = ALIGN_UP(end, PAGE_SIZE) - ALIGN_DOWN(base, PAGE_SIZE),
                    .name = fdt_get_name(fdt, r, NULL),
                    .user = fdt_get_name(fdt, node, NULL),
                };
            }
        }
    }
    return n;
}

__boot unsigned pci_reserved_regions(const void *fdt, struct pci_region *out, unsigned max)
{
    return reserved_regions(fdt, -1, out, max);
}

__boot unsigned pci_bridge_reserved_regions(const void *fdt, int bridge, struct pci_region *out,
                                            unsigned max)
{
    return bridge < 0 ? 0 : reserved_regions(fdt, bridge, out, max);
}

__boot unsigned pci_translated_bridges(const void *fdt, u32 iommu_phandle, const char **paths,
                                       unsigned max)
{
    static char store[PCI_MAX_BRIDGES][128];
    int node = -1;
    unsigned n = 0;

    while ((node = fdt_node_offset_by_compatible(fdt, node, bridge_compat)) >= 0 &&
           n < max && n < PCI_MAX_BRIDGES) {
        int len;
        const fdt32_t *map = fdt_getprop(fdt, node, "iommu-map", &len);
        bool ours = false;
        for (int i = 0; map && i < len / (IOMMU_MAP_ENTRY_CELLS * 4); i++)
            ours |= fdt32_to_cpu(map[i * IOMMU_MAP_ENTRY_CELLS + 1]) == iommu_phandle;
        if (!ours)
            continue;
        if (fdt_get_path(fdt, node, store[n], sizeof(store[n])))
            continue;
        paths[n] = store[n];
        n++;
    }
    return n;
}
