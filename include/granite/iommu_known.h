/*
 * iommu_known.h — IOMMUs granite recognises in a device tree, driven or not
 * (seed 001).
 *
 * An IOMMU granite drives (a DRIVER_IOMMU driver, include/granite/drivers.h)
 * is granite's.  One it recognises but cannot drive is hidden from dom0 too
 * (core/dom0_dt.c), and the devices behind it are named at boot: their DMA is
 * not isolated.  The boot option dom0_iommu_passthrough=<node path or
 * compatible> hands such an IOMMU to dom0 on purpose, with the seed's warning:
 * PV drivers break, since granite cannot map grants in it.
 * core/iommu_known.c has the list and says how a node is recognised.
 *
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#ifndef GRANITE_IOMMU_KNOWN_H
#define GRANITE_IOMMU_KNOWN_H

#include <granite/types.h>

struct domain;

#define IOMMU_PASSTHROUGH_OPTION "dom0_iommu_passthrough"

/* Is `node` an IOMMU: a compatible on granite's list, or #iommu-cells? */
bool iommu_known_is_iommu(const void *fdt, int node);
/* Does a granite IOMMU driver (DRIVER_IOMMU) match one of the node's compatibles? */
bool iommu_known_driven(const void *fdt, int node);
/* An IOMMU no granite driver drives that `spec` (the option's value: a full
 * node path or one of its compatibles; NULL: none) hands to dom0. */
bool iommu_known_handed(const void *fdt, int node, const char *spec);
/* Of the entries of `prop` (len bytes: a node's `iommus`, or its `iommu-map`
 * when `map`), how many name node `iommu`, or when iommu < 0, an IOMMU that
 * `spec` does not hand to dom0; -1 when it is not whole entries or names no
 * node.  Entries: <phandle specifier> and <rid-base phandle specifier
 * length>, the specifier #iommu-cells long (bindings/iommu/, pci/pci-iommu). */
int iommu_known_count_refs(const void *fdt, const void *prop, int len, bool map, int iommu,
                           const char *spec);
/*
 * At dom0's build: for each IOMMU of host tree `fdt` granite does not drive,
 * a warning naming it and the devices behind it, and the policy line saying
 * their DMA is not isolated; one handed to dom0 (spec) gets its registers
 * mapped 1:1 into dom0.  -EINVAL (with *why) when spec names no such IOMMU.
 */
int iommu_known_settle(struct domain *dom0, const void *fdt, const char *spec,
                       const char **why);

#endif
