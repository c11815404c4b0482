/*
 * pci.h — the PCIe host bridges of the board's DTB, seen from granite
 * (drivers/pci.c): which functions exist below them (found through ECAM), the
 * stream ID each presents to its IOMMU (translated with the bridge's
 * `iommu-map`), and the reserved memory the bridge's devices use.
 *
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#ifndef GRANITE_PCI_H
#define GRANITE_PCI_H

#include <granite/types.h>

#define PCI_MAX_REGIONS 8
#define PCI_MAX_BRIDGES 4

struct pci_dev {
    u8 bus, dev, fn;
    u16 vendor, device;
    u32 rid;             /* requester ID: bus << 8 | dev << 3 | fn */
    u32 sid;             /* stream ID at its IOMMU (iommu-map) */
    u32 iommu_phandle;   /* 0: the bridge names no IOMMU for this RID */
    char name[40];       /* "0000:00:02.0 (1234:11e8)" */
};

/* A /reserved-memory region that a device node names in `memory-region`. */
struct pci_region {
    u64 base, size;
    const char *name;    /* the region's node name */
    const char *user;    /* the node that names it */
};

/* Call fn for every function found on every "pci-host-ecam-generic" bridge
 * (its first bus: granite configures no PCI-PCI bridges).  Stops at the first
 * non-zero return and passes it on; a malformed bridge node is -EINVAL. */
int pci_for_each_device(const void *fdt, int (*fn)(const struct pci_dev *dev, void *arg),
                        void *arg);
/* The same for the functions of one bridge (its node offset); -EINVAL if
 * `bridge` is not a "pci-host-ecam-generic" node. */
int pci_for_each_device_on(const void *fdt, int bridge,
                           int (*fn)(const struct pci_dev *dev, void *arg), void *arg);
/* Translate a requester ID through `iommu-map` / `iommu-map-mask` of bridge
 * `node` (DT binding pci/pci-iommu.txt).  0, or -ENOENT when no entry covers it. */
int pci_rid_to_sid(const void *fdt, int node, u32 rid, u32 *iommu_phandle, u32 *sid);
/* The reserved-memory regions named by bridges whose devices sit behind an
 * IOMMU.  Returns how many were written to out. */
unsigned pci_reserved_regions(const void *fdt, struct pci_region *out, unsigned max);
/* The same, for bridge `bridge` (node offset) only. */
unsigned pci_bridge_reserved_regions(const void *fdt, int bridge, struct pci_region *out,
                                     unsigned max);
/* Full paths of the bridges whose iommu-map points at `iommu_phandle`. */
unsigned pci_translated_bridges(const void *fdt, u32 iommu_phandle, const char **paths,
                                unsigned max);

#endif
