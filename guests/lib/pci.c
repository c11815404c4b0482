/*
 * pci.c — PCI functions below the DTB's generic host bridge (see pci.h).
 *
 * The bridge's ECAM window and the walk over bus 0 are the parser shared
 * with granite (include/granite/pci_ecam.h).  Its `ranges` entries are
 * <PCI address (3 cells) CPU address (2) size (2)>, the space code in bits
 * 25:24 of the first cell (Open Firmware PCI binding: 2 = 32-bit memory).
 * Assumes a 2-cell root (as on QEMU virt and most arm64 boards).
 */
#include <libfdt.h>
#include <stdbool.h>
#include "guest.h"
#include "pci.h"

#define PCI_PHYS_HI_DEV_SHIFT 11           /* OF PCI binding: phys.hi = bus << 16 | dev << 11 | fn << 8 */
#define FDT_RANGE_SPACE_SHIFT 24
#define FDT_RANGE_SPACE_MASK 3
#define FDT_RANGE_SPACE_MEM32 2
#define RANGE_CELLS 7
#define GIC_SPI 0
#define GIC_SPI_BASE 32

static uint64_t cells64(const fdt32_t *p) { return (uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]); }

/* Configuration space through the runtime's single-load accessor. */
static uint32_t cfg_read32(const volatile uint8_t *cfg, unsigned off) { return mmio_read32(cfg + off); }

struct id_match {
    uint32_t id;                 /* device << 16 | vendor */
    struct pci_function *f;
};

/* Stops the walk at the first function 0 with the ID: the drivers here
 * drive function 0 (they print and route INTx as dev.0). */
static int match_id(const struct pci_ecam_fn *fn, void *ctx)
{
    struct id_match *m = ctx;

    if (fn->fn != 0 || ((uint32_t)fn->device << 16 | fn->vendor) != m->id)
        return 0;
    m->f->cfg = fn->cfg;
    m->f->dev = fn->dev;
    return 1;
}

/* The bridge's 32-bit memory window (the last such `ranges` entry). */
static void find_mem32(const fdt32_t *ranges, int rlen, struct pci_function *f)
{
    for (int i = 0; i + RANGE_CELLS <= rlen / 4; i += RANGE_CELLS)
        if ((fdt32_to_cpu(ranges[i]) >> FDT_RANGE_SPACE_SHIFT & FDT_RANGE_SPACE_MASK) ==
            FDT_RANGE_SPACE_MEM32) {
            f->mem32_pci = cells64(&ranges[i + 1]);
            f->mem32_cpu = cells64(&ranges[i + 3]);
            f->mem32_size = cells64(&ranges[i + 5]);
        }
}

int pci_find(const void *fdt, uint32_t id, struct pci_function *f)
{
    int bridge = fdt_node_offset_by_compatible(fdt, -1, PCI_ECAM_COMPATIBLE), rlen;
    const fdt32_t *ranges = bridge >= 0 ? fdt_getprop(fdt, bridge, "ranges", &rlen) : NULL;
    int pac = bridge >= 0 ? fdt_address_cells(fdt, fdt_parent_offset(fdt, bridge)) : 0;
    struct pci_ecam_window w;

    if (!ranges || pac != 2 || pci_ecam_window(fdt, bridge, &w))
        return PCI_NO_BRIDGE;
    *f = (struct pci_function){ .bridge = bridge };
    find_mem32(ranges, rlen, f);
    struct id_match m = { .id = id, .f = f };
    /* dom0's stage 1 is 1:1: the window's IPA is where the CPU reaches it. */
    if (pci_ecam_scan_bus((volatile uint8_t *)w.base, cfg_read32, match_id, &m, NULL))
        return 0;
    return PCI_NOT_FOUND;
}

/* interrupt-map entries (Open Firmware PCI binding / DT spec 2.4.3): <child
 * unit address (bridge #address-cells) child interrupt (#interrupt-cells)
 * parent phandle, parent unit address (parent's #address-cells) parent
 * interrupt (parent's #interrupt-cells)>, compared after ANDing with
 * interrupt-map-mask. */
uint32_t pci_intx_intid(const void *fdt, int bridge, unsigned dev, unsigned pin)
{
    int len, mlen;
    const fdt32_t *map = fdt_getprop(fdt, bridge, "interrupt-map", &len);
    const fdt32_t *mask = fdt_getprop(fdt, bridge, "interrupt-map-mask", &mlen);
    int acells = fdt_address_cells(fdt, bridge);
    const fdt32_t *ic = fdt_getprop(fdt, bridge, "#interrupt-cells", NULL);
    int icells = ic ? (int)fdt32_to_cpu(*ic) : 1;
    uint32_t child[4] = { dev << PCI_PHYS_HI_DEV_SHIFT, 0, 0, pin };
    int n, i = 0;

    if (!map || !mask || acells != 3 || icells != 1 || mlen != 4 * 4)
        return 0;
    n = len / 4;
    while (i + 4 + 1 <= n) {
        bool match = true;
        for (int c = 0; c < 4; c++)
            if ((child[c] & fdt32_to_cpu(mask[c])) != (fdt32_to_cpu(map[i + c]) & fdt32_to_cpu(mask[c])))
                match = false;
        int parent = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(map[i + 4]));
        if (parent < 0)
            return 0;
        const fdt32_t *pa = fdt_getprop(fdt, parent, "#address-cells", NULL);
        const fdt32_t *pi = fdt_getprop(fdt, parent, "#interrupt-cells", NULL);
        int pacells = pa ? (int)fdt32_to_cpu(*pa) : 0, picells = pi ? (int)fdt32_to_cpu(*pi) : 0;
        int spec = i + 5 + pacells;
        if (picells < 2 || spec + picells > n)
            return 0;
        if (match)
            return fdt32_to_cpu(map[spec]) == GIC_SPI ? fdt32_to_cpu(map[spec + 1]) + GIC_SPI_BASE
                                                      : 0;
        i = spec + picells;
    }
    return 0;
}
