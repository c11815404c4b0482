/*
 * xen_ext_regions.h — the "extended regions" of Xen's /hypervisor node
 * (core/xen_ext_regions.c): guest-physical space with nothing behind it, where
 * a guest may map foreign pages (Linux's unpopulated-alloc).  Pure arithmetic,
 * unit-tested on the host (tests/unit/test_xen_ext_regions.c).
 */
#ifndef GRANITE_XEN_EXT_REGIONS_H
#define GRANITE_XEN_EXT_REGIONS_H

#include <granite/types.h>

/* Xen's rules (add_ext_regions): 2 MiB-aligned, at least 64 MiB each. */
#define XEN_EXT_REGION_ALIGN SZ_2M
#define XEN_EXT_REGION_MIN (64UL << 20)
#define XEN_EXT_REGIONS_MAX 16

struct ext_range {
    u64 start, size;
};

/* The holes of [lo, hi) not covered by any `busy` range (sorted in place;
 * they may overlap each other), each trimmed to 2 MiB boundaries and kept
 * when at least 64 MiB, sorted and non-overlapping, at most max_out of them,
 * appended to out[*nr_out...].  Returns the number added. */
unsigned xen_ext_regions_find(struct ext_range *busy, unsigned nr_busy, u64 lo, u64 hi,
                              struct ext_range *out, unsigned *nr_out, unsigned max_out);

#endif
