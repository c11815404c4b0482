/*
 * pci_ecam.h — PCI configuration space through ECAM, the one parser that
 * granite (drivers/pci.c) and the guests (guests/lib/pci.c) share: where a
 * generic host bridge's ECAM window is (its DT node), where a function's
 * configuration space is in it, the header registers both read, and a walk
 * over the functions present on one bus.
 *
 * drivers/pci_ecam.c is pure and freestanding: <stdint.h>, <stdbool.h>,
 * libfdt, nothing of either side's runtime.  Configuration space is read
 * through the caller's accessor (granite's plain volatile load, a guest's
 * mmio_read32, a host test's array), so the walk is host unit-tested
 * (tests/unit/test_pci.c).  granite builds it with its boot-only code
 * (PCI_ECAM_CODE, see the Makefile and include/granite/boot.h).
 *
 * Layout facts: PCIe Base spec 7.2.2 (ECAM), PCI Local Bus 3.0 6.1 and 6.2
 * (the type 0/1 header, Command, BARs), DT binding host-generic-pci.yaml.
 */
#ifndef GRANITE_PCI_ECAM_H
#define GRANITE_PCI_ECAM_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_ECAM_COMPATIBLE "pci-host-ecam-generic"

/* Function (bus, dev, fn) is the 4 KiB at base + (bus << 20 | dev << 15 | fn << 12). */
#define ECAM_BUS_SHIFT 20
#define ECAM_DEV_SHIFT 15
#define ECAM_FN_SHIFT 12
#define ECAM_BUS_SIZE (1UL << ECAM_BUS_SHIFT)
#define PCI_DEVS_PER_BUS 32
#define PCI_FNS_PER_DEV 8

/* Header registers (byte offsets in a function's configuration space). */
#define PCI_ID 0x00                  /* Vendor ID [15:0], Device ID [31:16] */
#define PCI_COMMAND 0x04             /* 16 bits */
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_HEADER_WORD 0x0c         /* cache line size, latency timer, header type, BIST */
#define PCI_HEADER_TYPE(w) (((w) >> 16) & 0xff)
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_HEADER_LAYOUT_MASK 0x7f
#define PCI_HEADER_LAYOUT_BRIDGE 0x01
#define PCI_BAR0 0x10
#define PCI_INTERRUPT_PIN 0x3d       /* 8 bits: 0 none, 1 INTA .. 4 INTD */
#define PCI_VENDOR_NONE 0xffff       /* what an absent function reads */

/* A BAR's low bits (PCI 3.0 6.2.5.1). */
#define PCI_BAR_IO 0x1
#define PCI_BAR_TYPE_MASK 0x6
#define PCI_BAR_TYPE_64 0x4
#define PCI_BAR_ADDR_MASK 0xfffffff0U

/* The bridge's ECAM window: `reg` starts at bus-range's first bus. */
struct pci_ecam_window {
    uint64_t base, size;
    unsigned first_bus;
};

/* One function found on a bus. */
struct pci_ecam_fn {
    unsigned dev, fn;
    uint16_t vendor, device;
    bool bridge;                     /* header layout 1: a PCI-PCI bridge */
    volatile uint8_t *cfg;           /* its configuration space */
};

/* Reads the 32-bit register at byte `off` of configuration space `cfg`. */
typedef uint32_t (*pci_cfg_read32_t)(const volatile uint8_t *cfg, unsigned off);

/* The window of bridge node `bridge` from its `reg` (cells as its parent
 * says) and `bus-range`.  0, or -1 when `reg` is missing, malformed or
 * smaller than one bus. */
int pci_ecam_window(const void *fdt, int bridge, struct pci_ecam_window *w);

/* Byte offset of (dev, fn)'s configuration space from its bus's start. */
uint64_t pci_ecam_offset(unsigned dev, unsigned fn);

/* Requester ID, what the function's DMA is tagged with (PCIe Base 2.2.6.2). */
uint32_t pci_requester_id(unsigned bus, unsigned dev, unsigned fn);

/* visit(f, arg) for each function present on the bus whose configuration
 * space starts at `bus_base`: device 0..31, function 0 and, when function 0
 * says multi-function, 1..7; an absent function reads PCI_VENDOR_NONE.  The
 * first non-zero return of visit stops the walk and is returned; else 0.
 * *found (may be NULL) counts the functions visited. */
int pci_ecam_scan_bus(volatile uint8_t *bus_base, pci_cfg_read32_t read32,
                      int (*visit)(const struct pci_ecam_fn *f, void *arg), void *arg,
                      unsigned *found);

#endif
