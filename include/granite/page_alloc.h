/*
 * page_alloc.h — the host RAM page allocator.
 */
#ifndef GRANITE_PAGE_ALLOC_H
#define GRANITE_PAGE_ALLOC_H

#include <granite/types.h>

#define PAGE_ALLOC_MAX_REGIONS 8
#define PAGE_ALLOC_MAX_RESERVED 8

struct mem_range {
    pa_t start;
    u64 size;
};

/* Hand RAM banks to the allocator, minus the reserved ranges (granite's image,
 * the DTB).  The bitmaps live in the banks themselves.  0 or -errno. */
int page_alloc_init(const struct mem_range *ram, unsigned nr_ram,
                    const struct mem_range *reserved, unsigned nr_reserved);
/* 2^order zeroed pages aligned to their size, or NULL. */
void *alloc_pages(unsigned order);
/* Scrub (zero) and return pages from alloc_pages(). */
void free_pages(void *p, unsigned order);
/* n zeroed contiguous pages starting on a 2^align_order-page boundary (a
 * direct-mapped domain's RAM), or NULL.  Freed with free_pages_contig(). */
void *alloc_pages_contig(u64 n, unsigned align_order);
void free_pages_contig(void *p, u64 n);
/* As alloc_pages_contig, from host memory at or above `floor` only. */
void *alloc_pages_above(u64 n, unsigned align_order, pa_t floor);
u64 page_alloc_free_pages(void);
u64 page_alloc_total_pages(void);

#endif
