/*
 * pci.h — a dom0 guest finds functions below the PCIe host bridge its device
 * tree passes it ("pci-host-ecam-generic"), for the drivers in guests/ (edu,
 * e1000).  Bus 0 only: nothing configures PCI-PCI bridges.
 */
#ifndef GUEST_LIB_PCI_H
#define GUEST_LIB_PCI_H

#include <stdint.h>
#include <granite/pci_ecam.h>   /* the ECAM parser and register layout, shared with granite */

struct pci_function {
    int bridge;                  /* the host bridge's DT node */
    volatile uint8_t *cfg;       /* the function's configuration space (ECAM) */
    unsigned dev;                /* device number on bus 0 */
    /* The bridge's 32-bit memory window, as the CPU and as the bus see it. */
    uint64_t mem32_cpu, mem32_pci, mem32_size;
};

#define PCI_NO_BRIDGE (-1)       /* no usable host bridge in the DTB */
#define PCI_NOT_FOUND (-2)       /* no such function on bus 0 */

/* Find the first function on bus 0 whose vendor/device ID (one 32-bit read at
 * offset 0: device << 16 | vendor) is `id`.  0, PCI_NO_BRIDGE or PCI_NOT_FOUND. */
int pci_find(const void *fdt, uint32_t id, struct pci_function *f);

/* The GIC INTID of INTx `pin` (1 = INTA) of device `dev` on bus 0, from the
 * bridge's interrupt-map; 0 if it cannot be told. */
uint32_t pci_intx_intid(const void *fdt, int bridge, unsigned dev, unsigned pin);

#endif
