/*
 * pci.c — PCIe functions behind the board's host bridges, and their stream IDs.
 *
 * A generic host bridge (DT binding "pci-host-ecam-generic") exposes each
 * function's configuration space through ECAM (PCIe Base spec 7.2.2): function
 * (bus, dev, fn) is the 4 KiB at base + (bus << 20 | dev << 15 | fn << 12).
 * Offset 0 holds Vendor ID [15:0] and Device ID [31:16]; an absent function
 * reads all ones.  Offset 0xc holds Header Type at [23:16], whose bit 7 says
 * the device has more than function 0.
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
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/errno.h>
#include <granite/memory_map.h>
#include <granite/mm.h>

#define ECAM_BUS_SHIFT 20
#define ECAM_DEV_SHIFT 15
#define ECAM_FN_SHIFT 12
#define ECAM_BUS_SIZE (1UL << ECAM_BUS_SHIFT)
#define PCI_DEVS 32
#define PCI_FNS 8
#define PCI_VENDOR_DEVICE 0x00
#define PCI_HEADER_WORD 0x0c      /* cache line size, latency timer, header type, BIST */
#define PCI_HEADER_TYPE(w) (((w) >> 16) & 0xff)
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_HEADER_LAYOUT_BRIDGE 0x01
#define PCI_VENDOR_NONE 0xffff
#define IOMMU_MAP_ENTRY_CELLS 4

static const char bridge_compat[] = "pci-host-ecam-generic";

static u32 cfg_read32(volatile u8 *ecam, unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    u64 at = (u64)bus << ECAM_BUS_SHIFT | (u64)dev << ECAM_DEV_SHIFT |
             (u64)fn << ECAM_FN_SHIFT | off;
    return *(volatile u32 *)(ecam + at);
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

/* The ECAM window of the bridge's first bus, mapped for granite. */
static __boot volatile u8 *map_first_bus(const void *fdt, int node, unsigned *bus)
{
    int ac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node));
    int sc = fdt_size_cells(fdt, fdt_parent_offset(fdt, node)), len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    int rlen;
    const fdt32_t *range = fdt_getprop(fdt, node, "bus-range", &rlen);
    u64 base, size;

    if (!reg || ac < 1 || sc < 1 || len < (ac + sc) * 4)
        return NULL;
    base = dt_read_cells(reg, ac);
    size = dt_read_cells(reg + ac, sc);
    *bus = range && rlen == 8 ? fdt32_to_cpu(range[0]) : 0;
    /* ECAM's reg starts at bus-range's first bus (binding host-generic-pci.yaml). */
    if (size < ECAM_BUS_SIZE)
        return NULL;
    return ioremap(pa(base), ECAM_BUS_SIZE);
}

static __boot int scan_bridge(const void *fdt, int node,
                              int (*fn)(const struct pci_dev *, void *), void *arg)
{
    unsigned bus, found = 0;
    volatile u8 *ecam = map_first_bus(fdt, node, &bus);
    int ret;

    if (!ecam) {
        printk("pci: %s: unusable 'reg' (ECAM): devices not enumerated\n",
               dt_node_msg(fdt, node, "reg"));
        return -EINVAL;
    }
    for (unsigned dev = 0; dev < PCI_DEVS; dev++) {
        for (unsigned f = 0; f < PCI_FNS; f++) {
            /* ECAM here covers one bus, so the bus field is 0 relative to it. */
            u32 id = cfg_read32(ecam, 0, dev, f, PCI_VENDOR_DEVICE);
            u32 hdr;
            struct pci_dev d = { .bus = (u8)bus, .dev = (u8)dev, .fn = (u8)f };
            if ((id & 0xffff) == PCI_VENDOR_NONE) {
                if (f == 0)
                    break;
                continue;
            }
            hdr = cfg_read32(ecam, 0, dev, f, PCI_HEADER_WORD);
            d.vendor = id & 0xffff;
            d.device = id >> 16;
            d.rid = bus << 8 | dev << 3 | f;
            snprintf(d.name, sizeof(d.name), "0000:%02x:%02x.%u (%04x:%04x)", bus, dev, f,
                     d.vendor, d.device);
            if ((PCI_HEADER_TYPE(hdr) & 0x7f) == PCI_HEADER_LAYOUT_BRIDGE)
                printk("pci: %s is a PCI-PCI bridge: granite does not configure it, so "
                       "nothing behind it gets a stream\n", d.name);
            if (pci_rid_to_sid(fdt, node, d.rid, &d.iommu_phandle, &d.sid))
                d.iommu_phandle = 0;
            found++;
            if ((ret = fn(&d, arg)))
                return ret;
            if (f == 0 && !(PCI_HEADER_TYPE(hdr) & PCI_HEADER_MULTIFUNCTION))
                break;
        }
    }
    printk("pci: %s: %u function(s) on bus %u\n", dt_node_msg(fdt, node, "ECAM"), found, bus);
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
