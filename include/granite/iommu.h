/*
 * iommu.h — the IOMMU policy layer's interface (core/iommu.c).
 *
 * Grant mappings call these hooks so that, for a direct-mapped domain whose
 * devices do DMA through an IOMMU, the machine frame of a foreign page can
 * also be made reachable at bus address == machine address (Xen's
 * gnttab_need_iommu_mapping() case, seed 000).  The SMMU driver and the
 * policy switches (iommu, iommu_pt, gnttab_iommu, ...) come with the SMMUv3
 * issue; until then no domain has an IOMMU and the hooks have nothing to do.
 */
#ifndef GRANITE_IOMMU_H
#define GRANITE_IOMMU_H

#include <granite/types.h>

struct domain;

/* `mapper` grant-mapped the machine page `page` (read-only if !writable). */
int iommu_grant_map(struct domain *mapper, pa_t page, bool writable);
/* ... and unmapped it. */
int iommu_grant_unmap(struct domain *mapper, pa_t page);

#endif
