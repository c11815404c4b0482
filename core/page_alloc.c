/*
 * page_alloc.c — host RAM, one bit per 4 KiB frame.
 *
 * Each RAM bank from the DTB is a region with its own bitmap (1 = in use),
 * stored in the highest free pages of that bank.  Allocation searches for a
 * naturally aligned run of 2^order free frames: O(frames), simple, and the
 * callers (stage-2 tables, guest RAM at domain build) are not hot paths.
 *
 * Freed pages are scrubbed, so nothing a domain wrote survives into the next
 * owner; allocated pages are zeroed, so no owner sees stale data either.
 * The free count is what leak checks compare against a baseline.
 */
#include <string.h>
#include <granite/page_alloc.h>
#include <granite/memory_map.h>
#include <granite/mm.h>
#include <granite/console.h>
#include <granite/spinlock.h>
#include <granite/errno.h>


/* Reserved ranges remembered: granite's image, the DTB, boot modules
 * (MAX_DOMAIN_CONFIGS) and the board's reserved memory (MAX_RESERVED). */
#define PAGE_ALLOC_MAX_HOLES 16

struct region {
    u64 base_pfn, nr_frames;
    u64 *bitmap;
};

static struct region regions[PAGE_ALLOC_MAX_REGIONS];
static unsigned nr_regions;
/* The reserved ranges left unmapped inside the banks, for mm_pa_range_is_ram. */
static struct mem_range holes[PAGE_ALLOC_MAX_HOLES];
static unsigned nr_holes;
static u64 free_frames, total_frames;
static spinlock_t alloc_lock = SPINLOCK_INIT(LOCK_PAGE_ALLOC);

static bool bit_test(const u64 *bm, u64 i) { return bm[i / 64] & (1UL << (i % 64)); }
static void bit_set(u64 *bm, u64 i) { bm[i / 64] |= 1UL << (i % 64); }
static void bit_clear(u64 *bm, u64 i) { bm[i / 64] &= ~(1UL << (i % 64)); }

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen) { return a < b + blen && b < a + alen; }

static bool range_reserved(u64 start, u64 len, const struct mem_range *res, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (overlaps(start, len, pa_addr(res[i].start), res[i].size))
            return true;
    return false;
}

/* Highest page-aligned spot of `len` bytes in the bank clear of reserved ranges. */
static u64 place_bitmap(u64 start, u64 end, u64 len, const struct mem_range *res, unsigned n)
{
    for (u64 at = ALIGN_DOWN(end - len, PAGE_SIZE); at >= start && at + len <= end;
         at -= PAGE_SIZE) {
        if (!range_reserved(at, len, res, n))
            return at;
        if (at < start + PAGE_SIZE)
            break;
    }
    return 0;
}

/* Map the bank for granite's own access, leaving reserved ranges as they are
 * (granite's image keeps its per-section permissions, the DTB stays read-only). */
static int map_unreserved(u64 start, u64 end, const struct mem_range *res, unsigned n)
{
    u64 cur = start;

    while (cur < end) {
        u64 hole = end, hole_end = end;
        for (unsigned i = 0; i < n; i++) {
            u64 rs = ALIGN_DOWN(pa_addr(res[i].start), PAGE_SIZE);
            u64 re = ALIGN_UP(pa_addr(res[i].start) + res[i].size, PAGE_SIZE);
            if (re <= cur || rs >= end)
                continue;
            if (MAX(rs, cur) < hole) {
                hole = MAX(rs, cur);
                hole_end = MIN(re, end);
            }
        }
        if (hole > cur && hyp_map(pa(cur), hole - cur, HYP_MAP_RW))
            return -ENOMEM;
        cur = hole_end;
    }
    return 0;
}

static void mark_used(struct region *r, u64 start, u64 len)
{
    u64 first = start >> PAGE_SHIFT, last = (start + len + PAGE_SIZE - 1) >> PAGE_SHIFT;

    for (u64 pfn = MAX(first, r->base_pfn); pfn < MIN(last, r->base_pfn + r->nr_frames); pfn++) {
        if (!bit_test(r->bitmap, pfn - r->base_pfn)) {
            bit_set(r->bitmap, pfn - r->base_pfn);
            free_frames--;
        }
    }
}

static int add_region(const struct mem_range *bank, const struct mem_range *res, unsigned nres)
{
    u64 start = ALIGN_UP(pa_addr(bank->start), PAGE_SIZE);
    u64 end = ALIGN_DOWN(pa_addr(bank->start) + bank->size, PAGE_SIZE);
    struct region *r;
    u64 nframes, bm_bytes, bm_at;

    printk("mm: RAM bank 0x%lx-0x%lx (%lu MiB)\n", pa_addr(bank->start),
           pa_addr(bank->start) + bank->size, bank->size >> 20);
    /* The EL2 linear map is the identity (VA == PA): the frame at PA 0 (the
     * ZCU102's bank 0 starts there) would be the NULL pointer, so it is
     * neither mapped nor handed out, and a NULL dereference still faults. */
    if (start == 0)
        start = PAGE_SIZE;
    if (end <= start)
        return 0;
    if (nr_regions == PAGE_ALLOC_MAX_REGIONS) {
        printk("mm: more than %d RAM banks; ignoring 0x%lx-0x%lx\n", PAGE_ALLOC_MAX_REGIONS,
               start, end);
        return 0;
    }
    nframes = (end - start) >> PAGE_SHIFT;
    bm_bytes = ALIGN_UP(ALIGN_UP(nframes, 64) / 8, PAGE_SIZE);
    bm_at = place_bitmap(start, end, bm_bytes, res, nres);
    if (!bm_at) {
        printk("mm: no room for the bitmap of bank 0x%lx-0x%lx\n", start, end);
        return -ENOMEM;
    }
    if (map_unreserved(start, end, res, nres))
        return -ENOMEM;
    r = &regions[nr_regions++];
    r->base_pfn = start >> PAGE_SHIFT;
    r->nr_frames = nframes;
    r->bitmap = pa_to_ptr(pa(bm_at));
    memset(r->bitmap, 0, bm_bytes);
    free_frames += nframes;
    total_frames += nframes;
    mark_used(r, bm_at, bm_bytes);
    for (unsigned i = 0; i < nres; i++)
        mark_used(r, pa_addr(res[i].start), res[i].size);
    return 0;
}

int page_alloc_init(const struct mem_range *ram, unsigned nr_ram,
                    const struct mem_range *reserved, unsigned nr_reserved)
{
    if (nr_reserved > PAGE_ALLOC_MAX_HOLES) {
        printk("mm: %u reserved ranges, at most %d\n", nr_reserved, PAGE_ALLOC_MAX_HOLES);
        return -EINVAL;
    }
    /* Rounded out to pages, as map_unreserved() leaves them unmapped. */
    for (unsigned i = 0; i < nr_reserved; i++) {
        u64 s = ALIGN_DOWN(pa_addr(reserved[i].start), PAGE_SIZE);
        u64 e = ALIGN_UP(pa_addr(reserved[i].start) + reserved[i].size, PAGE_SIZE);
        holes[nr_holes++] = (struct mem_range){ pa(s), e - s };
    }
    for (unsigned i = 0; i < nr_ram; i++) {
        int ret = add_region(&ram[i], reserved, nr_reserved);
        if (ret)
            return ret;
    }
    printk("mm: %lu MiB of RAM in %u bank(s), %lu MiB free for domains and tables\n",
           (total_frames << PAGE_SHIFT) >> 20, nr_regions, (free_frames << PAGE_SHIFT) >> 20);
    return 0;
}

static bool run_free(const struct region *r, u64 i, u64 n)
{
    for (u64 j = 0; j < n; j++)
        if (bit_test(r->bitmap, i + j))
            return false;
    return true;
}

void *alloc_pages_contig(u64 n, unsigned align_order) { return alloc_pages_above(n, align_order, pa(0)); }

void *alloc_pages_above(u64 n, unsigned align_order, pa_t floor)
{
    u64 step = 1UL << align_order, floor_pfn = pa_addr(floor) >> PAGE_SHIFT;
    u64 f = spin_lock_irqsave(&alloc_lock);

    for (unsigned ri = 0; ri < nr_regions; ri++) {
        struct region *r = &regions[ri];
        u64 first = MAX(r->base_pfn, floor_pfn);
        for (u64 i = ALIGN_UP(first, step) - r->base_pfn; i + n <= r->nr_frames; i += step) {
            if (!run_free(r, i, n))
                continue;
            for (u64 j = 0; j < n; j++)
                bit_set(r->bitmap, i + j);
            free_frames -= n;
            spin_unlock_irqrestore(&alloc_lock, f);
            void *p = pa_to_ptr(pa((r->base_pfn + i) << PAGE_SHIFT));
            zero_pages(p, n << PAGE_SHIFT);
            return p;
        }
    }
    spin_unlock_irqrestore(&alloc_lock, f);
    return NULL;
}

void free_pages_contig(void *p, u64 n)
{
    u64 pfn = pa_addr(ptr_to_pa(p)) >> PAGE_SHIFT;
    u64 f;

    zero_pages(p, n << PAGE_SHIFT);
    f = spin_lock_irqsave(&alloc_lock);
    for (unsigned ri = 0; ri < nr_regions; ri++) {
        struct region *r = &regions[ri];
        if (pfn < r->base_pfn || pfn + n > r->base_pfn + r->nr_frames)
            continue;
        for (u64 j = 0; j < n; j++) {
            if (!bit_test(r->bitmap, pfn - r->base_pfn + j))
                panic("mm: double free of frame 0x%lx", (pfn + j) << PAGE_SHIFT);
            bit_clear(r->bitmap, pfn - r->base_pfn + j);
        }
        free_frames += n;
        spin_unlock_irqrestore(&alloc_lock, f);
        return;
    }
    spin_unlock_irqrestore(&alloc_lock, f);
    panic("mm: free of 0x%lx, which the allocator never gave out", pfn << PAGE_SHIFT);
}

/* A block of 2^order pages is a contiguous run aligned to its own size. */
void *alloc_pages(unsigned order) { return alloc_pages_contig(1UL << order, order); }
void free_pages(void *p, unsigned order) { free_pages_contig(p, 1UL << order); }

/* Written once at boot (page_alloc_init, before any guest runs), read-only
 * after: no lock needed. */
bool mm_pa_range_is_ram(pa_t p, u64 len)
{
    u64 start = pa_addr(p), end = start + len;

    if (!len || end < start)
        return false;
    for (unsigned i = 0; i < nr_holes; i++)
        if (overlaps(start, len, pa_addr(holes[i].start), holes[i].size))
            return false;
    for (unsigned ri = 0; ri < nr_regions; ri++) {
        u64 rs = regions[ri].base_pfn << PAGE_SHIFT, re = rs + (regions[ri].nr_frames << PAGE_SHIFT);
        if (start >= rs && end <= re)
            return true;
    }
    return false;
}

u64 page_alloc_free_pages(void) { return free_frames; }
u64 page_alloc_total_pages(void) { return total_frames; }
