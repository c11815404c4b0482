/*
 * pci_ecam.c — the ECAM parser granite and the guests share (see
 * include/granite/pci_ecam.h).  Pure: it reads the DTB with libfdt and
 * configuration space through the caller's accessor, and nothing else.
 */
#include <libfdt.h>
#include <granite/pci_ecam.h>

/* granite defines it to put this file with its boot-only code. */
#ifndef PCI_ECAM_CODE
#define PCI_ECAM_CODE
#endif

static PCI_ECAM_CODE uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++)
        v = v << 32 | fdt32_to_cpu(p[i]);
    return v;
}

PCI_ECAM_CODE int pci_ecam_window(const void *fdt, int bridge, struct pci_ecam_window *w)
{
    int parent = fdt_parent_offset(fdt, bridge), len, rlen;
    int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
    const fdt32_t *reg = fdt_getprop(fdt, bridge, "reg", &len);
    const fdt32_t *range = fdt_getprop(fdt, bridge, "bus-range", &rlen);

    if (!reg || ac < 1 || sc < 1 || len < (ac + sc) * 4)
        return -1;
    w->base = read_cells(reg, ac);
    w->size = read_cells(reg + ac, sc);
    w->first_bus = range && rlen == 8 ? fdt32_to_cpu(range[0]) : 0;
    return w->size < ECAM_BUS_SIZE ? -1 : 0;
}

PCI_ECAM_CODE uint64_t pci_ecam_offset(unsigned dev, unsigned fn)
{
    return (uint64_t)dev << ECAM_DEV_SHIFT | (uint64_t)fn << ECAM_FN_SHIFT;
}

PCI_ECAM_CODE uint32_t pci_requester_id(unsigned bus, unsigned dev, unsigned fn)
{
    return bus << 8 | dev << 3 | fn;
}

PCI_ECAM_CODE int pci_ecam_scan_bus(volatile uint8_t *bus_base, pci_cfg_read32_t read32,
                                    int (*visit)(const struct pci_ecam_fn *f, void *arg),
                                    void *arg, unsigned *found)
{
    int ret;

    for (unsigned dev = 0; dev < PCI_DEVS_PER_BUS; dev++) {
        for (unsigned fn = 0; fn < PCI_FNS_PER_DEV; fn++) {
            volatile uint8_t *cfg = bus_base + pci_ecam_offset(dev, fn);
            uint32_t id = read32(cfg, PCI_ID), type;
            if ((id & 0xffff) == PCI_VENDOR_NONE) {
                if (fn == 0)
                    break; /* no function 0: no device */
                continue;
            }
            type = PCI_HEADER_TYPE(read32(cfg, PCI_HEADER_WORD));
            struct pci_ecam_fn f = {
                .dev = dev, .fn = fn, .vendor = (uint16_t)id, .device = (uint16_t)(id >> 16),
                .bridge = (type & PCI_HEADER_LAYOUT_MASK) == PCI_HEADER_LAYOUT_BRIDGE,
                .cfg = cfg,
            };
            if (found)
                (*found)++;
            if ((ret = visit(&f, arg)))
                return ret;
            if (fn == 0 && !(type & PCI_HEADER_MULTIFUNCTION))
                break;
        }
    }
    return 0;
}
