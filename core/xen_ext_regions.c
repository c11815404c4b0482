/*
 * xen_ext_regions.c — the holes a domain's /hypervisor node offers as Xen
 * "extended regions" (reg[1..N]; see ../shared/reference/linux-xen-guest.md
 * §1): space inside a window with nothing mapped there, 2 MiB-aligned, at
 * least 64 MiB, sorted and disjoint (Linux refuses unsorted or overlapping
 * ones with -EINVAL).
 *
 * Assumption: callers list in `busy` everything the domain could reach at
 * those addresses (its RAM, devices, granite's windows); the holes are the
 * rest.  Busy ranges may overlap and come in any order.
 */
#include <granite/xen_ext_regions.h>

static void sort_by_start(struct ext_range *r, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        struct ext_range x = r[i];
        unsigned j = i;
        for (; j && r[j - 1].start > x.start; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

static unsigned add_hole(u64 start, u64 end, struct ext_range *out, unsigned *nr_out,
                         unsigned max_out)
{
    u64 s = ALIGN_UP(start, XEN_EXT_REGION_ALIGN), e = ALIGN_DOWN(end, XEN_EXT_REGION_ALIGN);

    if (s < start || e <= s || e - s < XEN_EXT_REGION_MIN || *nr_out >= max_out)
        return 0;
    out[(*nr_out)++] = (struct ext_range){ s, e - s };
    return 1;
}

unsigned xen_ext_regions_find(struct ext_range *busy, unsigned nr_busy, u64 lo, u64 hi,
                              struct ext_range *out, unsigned *nr_out, unsigned max_out)
{
    u64 cursor = lo;
    unsigned added = 0;

    sort_by_start(busy, nr_busy);
    for (unsigned i = 0; i < nr_busy && cursor < hi; i++) {
        u64 bs = busy[i].start, be = busy[i].start + busy[i].size;
        if (!busy[i].size)
            continue;
        if (be < bs) /* wraps: busy to the top */
            be = ~0UL;
        if (be <= cursor)
            continue;
        if (bs > cursor)
            added += add_hole(cursor, MIN(bs, hi), out, nr_out, max_out);
        cursor = MAX(cursor, be);
    }
    if (cursor < hi)
        added += add_hole(cursor, hi, out, nr_out, max_out);
    return added;
}
