/*
 * iommu.c — the IOMMU policy layer.
 *
 * Today granite drives no IOMMU, so no domain's DMA is translated and a grant
 * mapping needs no IOMMU entry: the hooks succeed without doing anything.
 * The SMMUv3 issue fills this file with the policy of the brief's table
 * (iommu, iommu_pt, gnttab_iommu, dom0_iommu, iommu_flush, feat_dom0_iommu).
 */
#include <granite/iommu.h>

int iommu_grant_map(struct domain *mapper unused, pa_t page unused, bool writable unused)
{
    return 0;
}

int iommu_grant_unmap(struct domain *mapper unused, pa_t page unused) { return 0; }
