/*
 * iommu_inval.c — the ranges a batch of IOMMU updates changed, and the
 * decision between invalidating them one by one and invalidating the whole
 * context (include/granite/iommu_inval.h).
 *
 * Why a threshold and not always one or the other.  A whole-context
 * invalidation is one command, but it throws away every cached translation
 * of the context: each page the device touches next is walked again.  Per-
 * address invalidations keep the rest of the IOTLB, but each is a command the
 * unit must consume.  IOMMU_INVAL_MAX_CMDS is where the two meet, measured
 * with iommu_measure=on (drivers/smmuv3.c smmu_measure; scenario
 * iotlb-grant-batch@measure) on QEMU 10.0's SMMUv3 model under TCG: EL2
 * counter ticks at 1 GHz (= ns), medians of 33 runs, each row one CMD_SYNC:
 *
 *     CMD_SYNC alone                              1574
 *     CMD_TLBI_S12_VMALL + sync                   1943
 *     k x CMD_TLBI_S2_IPA + sync   k=1  1924 (-19 vs VMALL)   k=2   2344 (+401)
 *                                  k=4  2986 (+1043)          k=8   4257 (+2314)
 *                                  k=16 6733 (+4790)          k=32 11813 (+9870)
 *     one range command (RIL) of k pages + sync   1984..2004 for k = 1..32
 *
 * (A second run: 1433 / 1773 / k=1 +21, k=2 +331, k=4 +921, k=32 +9208; range
 * commands 1783..1814.  The host is shared: absolute figures move by ~10%,
 * the shape does not.)
 *
 * So each command costs ~320 ticks past the first, whatever it covers, and
 * QEMU advertises RIL (IDR3 0x1414): a contiguous run of pages is one command.
 * The direct costs cross between k = 1 (no dearer than VMALL) and k = 2
 * (+401 ticks, +21%).  What a whole-context invalidation costs later (each
 * hot translation walked again: e1000 descriptor rings and buffers) could not
 * be timed: the device's walks happen inside QEMU, off any counter granite
 * reads.  So N is the measured crossover, 1: a batch goes by address only
 * when one command covers it (one page, or one contiguous run with RIL) —
 * never dearer than VMALL, never more invalidations than before, and the
 * rest of the IOTLB survives.  Two or more runs (a grant map's IPA and its
 * 1:1 entry are two) take the whole-context form.  Raising N to 2 would keep
 * the IOTLB across a netback packet's map and unmap for +401 ticks each and
 * twice the invalidation commands; worth it only if the refill costs more,
 * which this measurement cannot show.
 *
 * Assumptions: addresses and sizes are page multiples (the callers are the
 * p2m and the IOMMU tables, which work in pages).
 */
#include <granite/iommu_inval.h>

#define INVAL_PAGE_SHIFT 12
#define NO_CMDS (~0U)

void iommu_inval_reset(struct iommu_inval_set *s)
{
    s->n = 0;
    s->all = false;
}

static u64 range_end(const struct iommu_range *r)
{
    return iova_addr(r->start) + (r->pages << INVAL_PAGE_SHIFT);
}

/* Does [start, start + pages) touch (overlap or abut) r? */
static bool touches(const struct iommu_range *r, u64 start, u64 pages)
{
    u64 end = start + (pages << INVAL_PAGE_SHIFT);

    return start <= range_end(r) && iova_addr(r->start) <= end;
}

/* Grow r to cover [start, end) too (they touch). */
static void extend(struct iommu_range *r, u64 start, u64 end)
{
    u64 r_start = MIN(iova_addr(r->start), start), r_end = MAX(range_end(r), end);

    r->start = iova(r_start);
    r->pages = (r_end - r_start) >> INVAL_PAGE_SHIFT;
}

/* Range i grew: fold in every other range it now touches (pages 0 and 2,
 * then 1, are one run, not two). */
static void absorb_neighbours(struct iommu_inval_set *s, unsigned i)
{
    for (unsigned j = 0; j < s->n;) {
        struct iommu_range *r = &s->r[i], *o = &s->r[j];
        if (j == i || !touches(r, iova_addr(o->start), o->pages)) {
            j++;
            continue;
        }
        extend(r, iova_addr(o->start), range_end(o));
        s->r[j] = s->r[--s->n]; /* j's place taken by the last range */
        if (i == s->n)
            i = j;              /* ... which was i itself */
    }
}

void iommu_inval_add(struct iommu_inval_set *s, iova_t at, u64 size)
{
    u64 start = iova_addr(at) & ~((1UL << INVAL_PAGE_SHIFT) - 1);
    u64 end = iova_addr(at) + size;
    u64 pages = (end - start + (1UL << INVAL_PAGE_SHIFT) - 1) >> INVAL_PAGE_SHIFT;

    if (s->all || !size)
        return;
    for (unsigned i = 0; i < s->n; i++) {
        struct iommu_range *r = &s->r[i];
        if (!touches(r, start, pages))
            continue;
        extend(r, start, start + (pages << INVAL_PAGE_SHIFT));
        absorb_neighbours(s, i);
        return;
    }
    if (s->n == IOMMU_INVAL_RANGES) {
        s->all = true;
        return;
    }
    s->r[s->n++] = (struct iommu_range){ .start = iova(start), .pages = pages };
}

unsigned iommu_inval_cmds(const struct iommu_inval_set *s, iommu_range_cmds_fn cmds_for)
{
    u64 total = 0;

    if (s->all)
        return NO_CMDS;
    for (unsigned i = 0; i < s->n; i++) {
        total += cmds_for ? cmds_for(s->r[i].pages) : s->r[i].pages;
        if (total >= NO_CMDS)
            return NO_CMDS;
    }
    return (unsigned)total;
}

bool iommu_inval_by_range(const struct iommu_inval_set *s, iommu_range_cmds_fn cmds_for,
                          unsigned max_cmds)
{
    unsigned n = iommu_inval_cmds(s, cmds_for);

    return n != NO_CMDS && n <= max_cmds;
}
