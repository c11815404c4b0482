/*
 * iommu_inval.h — what a batch of IOMMU updates owes the IOTLB, and whether
 * to pay it address by address or with one whole-context invalidation
 * (core/iommu_inval.c; pure C, the host unit tests run it).
 *
 * A batch (one hypercall, iommu_flush=batched) records each range of input
 * addresses it changed.  At the end it invalidates either
 *   - each range: one command per page (SMMUv3 CMD_TLBI_S2_IPA), or fewer
 *     when the unit has range invalidation (SMMU_IDR3.RIL: one command covers
 *     (NUM+1) << SCALE pages, spec 4.4.1.1), or
 *   - the whole context (CMD_TLBI_S12_VMALL): one command, but every cached
 *     translation of the context is then walked again on the device's next use.
 * The ranges are kept while the commands they need stay at or below
 * IOMMU_INVAL_MAX_CMDS (measured: see core/iommu_inval.c); beyond that, or
 * when more distinct ranges were changed than the set holds, the batch
 * invalidates the whole context.
 */
#ifndef GRANITE_IOMMU_INVAL_H
#define GRANITE_IOMMU_INVAL_H

#include <granite/types.h>

/* Distinct ranges a batch remembers (adjacent or overlapping pages merge). */
#define IOMMU_INVAL_RANGES 8
/* The largest number of invalidation commands a batch issues address by
 * address; more, and one whole-context command is cheaper.  Measured. */
#define IOMMU_INVAL_MAX_CMDS 1

struct iommu_range {
    iova_t start; /* page aligned */
    u64 pages;
};

struct iommu_inval_set {
    struct iommu_range r[IOMMU_INVAL_RANGES];
    unsigned n;
    bool all;    /* overflowed (or asked for): only a whole-context invalidation will do */
};

/* How many commands the unit needs for one range of `pages` pages; NULL
 * means one command per page (no range invalidation). */
typedef unsigned (*iommu_range_cmds_fn)(u64 pages);

void iommu_inval_reset(struct iommu_inval_set *s);
/* [iova, iova + size) changed: remember it (page granular). */
void iommu_inval_add(struct iommu_inval_set *s, iova_t iova, u64 size);
/* Commands needed to invalidate the set range by range; ~0U if it overflowed. */
unsigned iommu_inval_cmds(const struct iommu_inval_set *s, iommu_range_cmds_fn cmds_for);
/* The decision: true to invalidate range by range, false for the whole context. */
bool iommu_inval_by_range(const struct iommu_inval_set *s, iommu_range_cmds_fn cmds_for,
                          unsigned max_cmds);

#endif
