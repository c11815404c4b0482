/*
 * test_grant_table.c — host tests of the grant tables (core/grant_table.c)
 * on real p2ms (core/p2m.c, arch/arm64/stage2.c and pgtable.c).
 *
 * The world: four domains.  d0 plays dom0 (the mapper), d1 and d3 grant
 * pages, d2 is a bystander that also maps.  Each has RAM pages from the
 * host stubs' alloc_pages() mapped in its p2m at IPA 0x40000000 (so a "machine
 * address" is a host pointer), and a grant window at 0x38000000.  A guest's
 * side is played by the test: it writes grant entries straight into the
 * table frames, and revokes them with the compare-and-swap the protocol
 * prescribes.  Guest virtual addresses of hypercall arguments are host
 * pointers; any address below 4 GiB is "unmapped", and one buffer is
 * "read-only".  iommu_grant_map/unmap count their calls (and can be made to
 * fail); domain_release_page records and frees; mm_pa_range_is_ram says yes
 * except for one page a test can declare "not RAM" (a /reserved-memory page
 * or a BAR in dom0's p2m).  XENMEM_add_to_physmap (core/memory_op.c) is linked
 * in too: it shares the grant window with grant maps.  Every test ends by ending
 * all domains the way core/domain.c does and checking that every page came
 * back.
 *
 * Status codes are written out as numbers next to their names, from Xen's
 * public header, so a wrong value in public/grant_table.h shows up here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/grant_table.h>
#include <granite/domain.h>
#include <granite/p2m.h>
#include <granite/iommu.h>
#include <granite/arch.h>
#include <granite/memory_map.h>
#include <granite/errno.h>
#include <public/grant_table.h>
#include <public/memory.h>
#include <granite/mm.h>
#include "host_stubs.h"

long do_memory_op(struct vcpu *v, u64 cmd, u64 arg); /* core/memory_op.c, as hypercall.c */

#define NR_DOMS 4
#define RAM_BASE 0x40000000UL
#define WINDOW_BASE 0x38000000UL
#define WINDOW_SIZE 0x01000000UL
#define MAP_AT (WINDOW_BASE + 0x10000) /* where the tests map foreign pages */
#define DEFAULT_RAM_PAGES 16
#define BIG_RAM_PAGES 2100
#define UNMAPPED_GVA 0x7f000000UL

/* --- the fake world ------------------------------------------------------- */

static struct domain doms[NR_DOMS];
static struct vcpu *v0 = &doms[0].vcpu[0], *v1 = &doms[1].vcpu[0], *v2 = &doms[2].vcpu[0];
static void *ram[NR_DOMS][BIG_RAM_PAGES];
static unsigned ram_pages[NR_DOMS];
static bool released_dom[NR_DOMS];

struct domain *domain_by_id(unsigned id)
{
    return id < NR_DOMS && doms[id].state != DOM_FREE ? &doms[id] : NULL;
}

/* Guest memory: host pointers; below 4 GiB nothing is mapped. */
static uint8_t readonly_area[64] __attribute__((aligned(8)));
static unsigned copies_from_guest;

int copy_from_guest(struct vcpu *v unused, void *dst, u64 gva, u64 len)
{
    copies_from_guest++;
    if (gva < (1UL << 32))
        return -EFAULT;
    memcpy(dst, (void *)(uintptr_t)gva, len);
    return 0;
}

int copy_to_guest(struct vcpu *v unused, u64 gva, const void *src, u64 len)
{
    uintptr_t ro = (uintptr_t)readonly_area;
    if (gva < (1UL << 32) || (gva + len > ro && gva < ro + sizeof(readonly_area)))
        return -EFAULT;
    memcpy((void *)(uintptr_t)gva, src, len);
    return 0;
}

/* The IOMMU policy layer: counted, optionally failing. */
static unsigned iommu_maps, iommu_unmaps, iommu_maps_writable;
static pa_t iommu_last_page;
static bool iommu_fail, iommu_unmap_fail;

int iommu_grant_map(struct domain *mapper unused, pa_t page, bool writable)
{
    if (iommu_fail)
        return -ENOMEM;
    iommu_maps++;
    iommu_maps_writable += writable;
    iommu_last_page = page;
    return 0;
}

int iommu_grant_unmap(struct domain *mapper unused, pa_t page, bool writable unused)
{
    if (iommu_unmap_fail)
        return -EIO;
    iommu_unmaps++;
    iommu_last_page = page;
    return 0;
}

/* Each IOMMU flush a release waits for: which mapper, and how many of the
 * watched pages were still pinned at that moment (none may be free yet). */
#define MAX_FLUSHES 8
static unsigned flushes;
static unsigned pinned_at_flush[MAX_FLUSHES];
static domid_t flushed_for[MAX_FLUSHES];
static pa_t watched[128];
static unsigned nr_watched;

void iommu_flush_owed(struct domain *d)
{
    unsigned pinned = 0;

    for (unsigned i = 0; i < nr_watched; i++)
        pinned += gnttab_page_in_use(watched[i]);
    if (flushes < MAX_FLUSHES) {
        pinned_at_flush[flushes] = pinned;
        flushed_for[flushes] = (domid_t)d->id;
    }
    flushes++;
}

static void watch_reset(void)
{
    flushes = 0;
    nr_watched = 0;
    memset(pinned_at_flush, 0, sizeof(pinned_at_flush));
}

/* RAM granite maps at EL2: everything but the page a test names. */
static pa_t not_ram = { 0 };

bool mm_pa_range_is_ram(pa_t p, u64 len)
{
    return len && !(pa_addr(not_ram) && pa_addr(p) < pa_addr(not_ram) + PAGE_SIZE &&
                    pa_addr(not_ram) < pa_addr(p) + len);
}

/* The domain code's half: a dead domain's kept page, freed at last. */
#define MAX_RELEASED 4096
static pa_t released_pages[MAX_RELEASED];
static unsigned nr_released;

void domain_release_page(pa_t page)
{
    assert_true(nr_released < MAX_RELEASED);
    released_pages[nr_released++] = page;
    free_pages(pa_to_ptr(page), 0);
}

extern void (*gnttab_test_before_swap)(struct grant_entry_v1 *e);

/* dump=maps' record (core/map_dump.c), seen from here: each note, and
 * whether it came while the mapper's grant table lock was held (the lock
 * order hook counts the grant-table-class locks held). */
#include <granite/map_dump.h>
#include <granite/spinlock.h>
static unsigned gnttab_locks_held;

void lock_order_acquire(const spinlock_t *l)
{
    gnttab_locks_held += l->class == LOCK_GNTTAB;
}

void lock_order_release(const spinlock_t *l)
{
    gnttab_locks_held -= l->class == LOCK_GNTTAB;
}

#define MAX_NOTES 16
static struct note {
    bool map, under_gnttab_lock, ro;
    unsigned mapper, granter;
    u32 ref;
    u64 at, page;
} notes[MAX_NOTES];
static unsigned nr_notes;

static void note(bool map, struct domain *m, unsigned granter, u32 ref, ipa_t at, pa_t page,
                 bool ro)
{
    if (!map_dump_on) /* callers check first; the record ignores notes when off */
        return;
    assert_true(nr_notes < MAX_NOTES);
    notes[nr_notes++] = (struct note){ map, gnttab_locks_held > 0, ro, m->id, granter, ref,
                                       ipa_addr(at), pa_addr(page) };
}

void map_dump_note_grant_map(struct domain *m, unsigned granter, u32 ref, ipa_t at, pa_t page,
                             bool ro)
{
    note(true, m, granter, ref, at, page, ro);
}

void map_dump_note_grant_unmap(struct domain *m, unsigned granter, u32 ref, ipa_t at, pa_t page)
{
    note(false, m, granter, ref, at, page, false);
}

static void make_domain(unsigned id, unsigned nr_pages)
{
    struct domain *d = &doms[id];

    d->id = id;
    d->nr_vcpus = 1;
    d->vcpu[0].d = d;
    assert_int_equal(p2m_init(&d->p2m, d, (u16)(id + 1)), 0);
    d->ram_base = ipa(RAM_BASE);
    d->ram_size = (u64)nr_pages * PAGE_SIZE;
    for (unsigned i = 0; i < nr_pages; i++) {
        ram[id][i] = alloc_pages(0);
        assert_non_null(ram[id][i]);
        assert_int_equal(p2m_map(&d->p2m, ipa(RAM_BASE + i * PAGE_SIZE), ptr_to_pa(ram[id][i]),
                                 PAGE_SIZE, p2m_ram_rw), 0);
    }
    ram_pages[id] = nr_pages;
    d->gnttab_base = ipa(WINDOW_BASE);
    d->gnttab_size = WINDOW_SIZE;
    host_unit_attach(d, &gnttab_unit);
    assert_int_equal(gnttab_domain_init(d), 0);
    d->state = DOM_RUNNING;
}

static int setup_with(unsigned granter_pages, unsigned d2_pages)
{
    host_stubs_reset();
    memset(doms, 0, sizeof(doms));
    memset(ram, 0, sizeof(ram));
    memset(released_dom, 0, sizeof(released_dom));
    iommu_maps = iommu_unmaps = iommu_maps_writable = 0;
    iommu_fail = iommu_unmap_fail = false;
    not_ram = pa(0);
    nr_released = 0;
    copies_from_guest = 0;
    gnttab_test_before_swap = NULL;
    map_dump_on = false;
    nr_notes = 0;
    watch_reset();
    for (unsigned i = 0; i < NR_DOMS; i++)
        make_domain(i, i == 1 ? granter_pages : i == 2 ? d2_pages : DEFAULT_RAM_PAGES);
    host_log_clear();
    return 0;
}

static int setup(void **state unused) { return setup_with(DEFAULT_RAM_PAGES, DEFAULT_RAM_PAGES); }
static int setup_two_big(void **state unused)
{
    return setup_with(GNTTAB_MAX_MAPS + 8, GNTTAB_MAX_MAPS + 8);
}

/* End and release a domain as core/domain.c does: dying (its mappings go),
 * then the table, then its RAM page by page unless a grant still uses it,
 * then the p2m.  Returns the number of pages kept. */
static unsigned end_domain(unsigned id)
{
    struct domain *d = &doms[id];
    unsigned kept = 0;

    if (released_dom[id])
        return 0;
    d->state = DOM_DESTROYED;
    gnttab_domain_dying(d);
    gnttab_domain_destroy(d);
    for (unsigned i = 0; i < ram_pages[id]; i++) {
        if (gnttab_page_in_use(ptr_to_pa(ram[id][i])))
            kept++;
        else
            free_pages(ram[id][i], 0);
        ram[id][i] = NULL;
    }
    p2m_destroy(&d->p2m);
    released_dom[id] = true;
    return kept;
}

/* Every test: all domains end (a page kept when its owner goes is released
 * when its last mapper goes), and every page comes back. */
static int teardown(void **state unused)
{
    unsigned kept = 0, released_before = nr_released;

    gnttab_test_before_swap = NULL;
    for (unsigned i = 0; i < NR_DOMS; i++)
        doms[i].state = DOM_DESTROYED;
    for (unsigned i = 0; i < NR_DOMS; i++)
        kept += end_domain(i);
    if (kept != nr_released - released_before || host_pages_outstanding() != 0) {
        print_error("leak: %u page(s) kept, %u released, %ld page(s) outstanding\n", kept,
                    nr_released - released_before, host_pages_outstanding());
        return -1;
    }
    return 0;
}

/* --- the guests' side ------------------------------------------------------ */

static struct grant_entry_v1 *entry(unsigned dom, grant_ref_t ref)
{
    pa_t frame;

    assert_int_equal(gnttab_get_frame(&doms[dom], ref / GNTTAB_ENTRIES_PER_FRAME, &frame), 0);
    return (struct grant_entry_v1 *)pa_to_ptr(frame) + ref % GNTTAB_ENTRIES_PER_FRAME;
}

static u32 gfn_of_page(unsigned i) { return (u32)((RAM_BASE >> PAGE_SHIFT) + i); }
static pa_t page_pa(unsigned dom, unsigned i) { return ptr_to_pa(ram[dom][i]); }
static char *page_ptr(unsigned dom, unsigned i) { return ram[dom][i]; }

/* Granter `dom` lets `to` use its RAM page i through `ref` (the publication
 * order of the protocol: domid and frame, then flags). */
static void grant(unsigned dom, grant_ref_t ref, domid_t to, unsigned page, bool ro)
{
    struct grant_entry_v1 *e = entry(dom, ref);

    e->domid = to;
    e->frame = gfn_of_page(page);
    __atomic_store_n(&e->flags, (u16)(GTF_permit_access | (ro ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
}

static u16 flags_of(unsigned dom, grant_ref_t ref)
{
    return __atomic_load_n(&entry(dom, ref)->flags, __ATOMIC_ACQUIRE);
}

/* The granter takes a grant back: only if no one is using it. */
static bool revoke(unsigned dom, grant_ref_t ref)
{
    struct grant_entry_v1 *e = entry(dom, ref);
    u16 f = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

    if (f & (GTF_reading | GTF_writing))
        return false;
    return __atomic_compare_exchange_n(&e->flags, &f, 0, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

/* --- hypercalls as the guests make them ----------------------------------- */

static struct gnttab_map_grant_ref last_map;

static int16_t map_flags(struct vcpu *v, domid_t dom, grant_ref_t ref, u64 host_addr, u32 flags)
{
    last_map = (struct gnttab_map_grant_ref){ .host_addr = host_addr, .flags = flags,
                                              .ref = ref, .dom = dom, .status = 99 };
    assert_int_equal(do_grant_table_op(v, GNTTABOP_map_grant_ref, (u64)(uintptr_t)&last_map, 1),
                     0);
    return last_map.status;
}

static int16_t map(struct vcpu *v, domid_t dom, grant_ref_t ref, u64 host_addr, bool ro)
{
    return map_flags(v, dom, ref, host_addr, GNTMAP_host_map | (ro ? GNTMAP_readonly : 0));
}

static int16_t unmap(struct vcpu *v, u64 host_addr, grant_handle_t h)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = host_addr, .handle = h, .status = 99 };

    assert_int_equal(do_grant_table_op(v, GNTTABOP_unmap_grant_ref, (u64)(uintptr_t)&op, 1), 0);
    return op.status;
}

static int16_t copy(struct vcpu *v, struct gnttab_copy *op)
{
    op->status = 99;
    assert_int_equal(do_grant_table_op(v, GNTTABOP_copy, (u64)(uintptr_t)op, 1), 0);
    return op->status;
}

/* What d's p2m says about an IPA. */
static bool lookup(unsigned dom, u64 at, pa_t *page, p2m_type_t *t)
{
    return p2m_lookup(&doms[dom].p2m, ipa(at), page, t) == 0;
}

/* ========================================================================== */

/* The numbers are Xen's (xen/include/public/grant_table.h). */
static void test_abi_numbers(void **state unused)
{
    assert_int_equal(GNTST_okay, 0);
    assert_int_equal(GNTST_general_error, -1);
    assert_int_equal(GNTST_bad_domain, -2);
    assert_int_equal(GNTST_bad_gntref, -3);
    assert_int_equal(GNTST_bad_handle, -4);
    assert_int_equal(GNTST_bad_virt_addr, -5);
    assert_int_equal(GNTST_bad_dev_addr, -6);
    assert_int_equal(GNTST_no_device_space, -7);
    assert_int_equal(GNTST_permission_denied, -8);
    assert_int_equal(GNTST_bad_page, -9);
    assert_int_equal(GNTST_bad_copy_arg, -10);
    assert_int_equal(GNTST_address_too_big, -11);
    assert_int_equal(GNTST_eagain, -12);
    assert_int_equal(GNTST_no_space, -13);
    assert_int_equal(GTF_permit_access, 1);
    assert_int_equal(GTF_type_mask, 3);
    assert_int_equal(GTF_readonly, 4);
    assert_int_equal(GTF_reading, 8);
    assert_int_equal(GTF_writing, 16);
    assert_int_equal(GNTMAP_device_map, 1);
    assert_int_equal(GNTMAP_host_map, 2);
    assert_int_equal(GNTMAP_readonly, 4);
    assert_int_equal(GNTMAP_application_map, 8);
    assert_int_equal(GNTMAP_contains_pte, 16);
    assert_int_equal(GNTTABOP_map_grant_ref, 0);
    assert_int_equal(GNTTABOP_unmap_grant_ref, 1);
    assert_int_equal(GNTTABOP_setup_table, 2);
    assert_int_equal(GNTTABOP_copy, 5);
    assert_int_equal(GNTTABOP_query_size, 6);
    assert_int_equal(GNTCOPY_source_gref, 1);
    assert_int_equal(GNTCOPY_dest_gref, 2);
    assert_int_equal(GNTTAB_NR_RESERVED_ENTRIES, 8);
    assert_int_equal(sizeof(struct gnttab_map_grant_ref), 32);
    assert_int_equal(sizeof(struct gnttab_copy), 40);
}

/* The core story: d1 grants a page, d0 maps it writable in its grant window,
 * gets the page's machine address, reads d1's data and writes its own. */
static void test_map_rw_reads_writes_and_returns_machine_address(void **state unused)
{
    pa_t page;
    p2m_type_t t;

    strcpy(page_ptr(1, 3), "written by the front end");
    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
    assert_int_equal(last_map.dev_bus_addr, pa_addr(page_pa(1, 3)));
    assert_true(lookup(0, MAP_AT, &page, &t));
    assert_int_equal(pa_addr(page), pa_addr(page_pa(1, 3)));
    assert_int_equal(t, p2m_grant_map_rw);
    assert_string_equal((char *)pa_to_ptr(page), "written by the front end");
    strcpy((char *)pa_to_ptr(page), "written by the back end");
    assert_string_equal(page_ptr(1, 3), "written by the back end");
    assert_int_equal(flags_of(1, 8), GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(iommu_maps, 1);
    assert_int_equal(iommu_maps_writable, 1);
    assert_int_equal(pa_addr(iommu_last_page), pa_addr(page_pa(1, 3)));
    assert_int_equal(gnttab_mapped_count(&doms[0]), 1);
    assert_true(gnttab_page_in_use(page_pa(1, 3)));
    assert_true(host_log_contains("gnttab: d0 maps d1 ref 8 (gfn 0x40003) at IPA 0x38010000"));

    assert_int_equal(unmap(v0, MAP_AT, last_map.handle), GNTST_okay);
    assert_false(lookup(0, MAP_AT, NULL, NULL));
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    assert_int_equal(iommu_unmaps, 1);
    assert_int_equal(gnttab_mapped_count(&doms[0]), 0);
    assert_false(gnttab_page_in_use(page_pa(1, 3)));
    /* asking about a live domain's page did not hand the page over */
    assert_int_equal(nr_released, 0);
    {
        struct gnttab_stats s;
        gnttab_get_stats(&doms[0], &s);
        assert_int_equal(s.maps, 1);
        assert_int_equal(s.unmaps, 1);
        assert_int_equal(s.refused, 0);
        assert_int_equal(s.nr_frames, 1);
    }
}

/* A read-only map: a read-only stage-2 entry, GTF_reading only, and a
 * read-only IOMMU request; dev_bus_addr all the same. */
static void test_map_ro(void **state unused)
{
    p2m_type_t t;

    grant(1, 9, 0, 4, true);
    assert_int_equal(map(v0, 1, 9, MAP_AT, true), GNTST_okay);
    assert_int_equal(last_map.dev_bus_addr, pa_addr(page_pa(1, 4)));
    assert_true(lookup(0, MAP_AT, NULL, &t));
    assert_int_equal(t, p2m_grant_map_ro);
    assert_int_equal(flags_of(1, 9), GTF_permit_access | GTF_readonly | GTF_reading);
    assert_int_equal(iommu_maps, 1);
    assert_int_equal(iommu_maps_writable, 0);
    assert_int_equal(unmap(v0, MAP_AT, last_map.handle), GNTST_okay);
    assert_int_equal(flags_of(1, 9), GTF_permit_access | GTF_readonly);
}

/* The pins: two mappings of one grant.  The granter cannot revoke while
 * either lives; GTF_writing goes with the last writer, GTF_reading with the
 * last user; then revocation works and the grant is unusable. */
static void test_pins_and_revocation(void **state unused)
{
    grant_handle_t ro, rw;

    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, MAP_AT, true), GNTST_okay);
    ro = last_map.handle;
    assert_int_equal(flags_of(1, 8), GTF_permit_access | GTF_reading);
    assert_int_equal(map(v0, 1, 8, MAP_AT + PAGE_SIZE, false), GNTST_okay);
    rw = last_map.handle;
    assert_int_not_equal(ro, rw);
    assert_int_equal(last_map.dev_bus_addr, pa_addr(page_pa(1, 3)));
    assert_int_equal(flags_of(1, 8), GTF_permit_access | GTF_reading | GTF_writing);
    assert_false(revoke(1, 8));

    assert_int_equal(unmap(v0, MAP_AT + PAGE_SIZE, rw), GNTST_okay);
    assert_int_equal(flags_of(1, 8), GTF_permit_access | GTF_reading);
    assert_false(revoke(1, 8));
    assert_true(gnttab_page_in_use(page_pa(1, 3)));

    assert_int_equal(unmap(v0, MAP_AT, ro), GNTST_okay);
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    assert_false(gnttab_page_in_use(page_pa(1, 3)));
    assert_true(revoke(1, 8));
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_permission_denied);
    assert_int_equal(flags_of(1, 8), 0);
}

/* A grant revoked before the map: refused, and the entry is left alone. */
static void test_revoked_grant_is_refused(void **state unused)
{
    grant(1, 8, 0, 3, false);
    assert_true(revoke(1, 8));
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_permission_denied);
    assert_int_equal(flags_of(1, 8), 0);
    assert_false(lookup(0, MAP_AT, NULL, NULL));
    assert_int_equal(iommu_maps, 0);
    assert_true(host_log_contains("gnttab: d0: map ref 8 from d1: not granted"));
    assert_true(host_log_contains("(GNTST_permission_denied)"));
}

/* The granter revokes (or re-grants to someone else) between granite's read
 * of the entry and its compare-and-swap: the swap fails, granite looks again
 * and refuses.  A granter that keeps changing the entry gets general_error. */
static unsigned swaps;
static void revoke_now(struct grant_entry_v1 *e)
{
    swaps++;
    if (swaps == 1)
        __atomic_store_n(&e->flags, 0, __ATOMIC_SEQ_CST);
}
static void regrant_to_d2(struct grant_entry_v1 *e)
{
    swaps++;
    if (swaps == 1)
        __atomic_store_n(&e->domid, 2, __ATOMIC_SEQ_CST);
}
static void keep_changing(struct grant_entry_v1 *e)
{
    swaps++;
    __atomic_fetch_xor(&e->flags, GTF_PWT, __ATOMIC_SEQ_CST);
}

static void test_revocation_races_the_swap(void **state unused)
{
    grant(1, 8, 0, 3, false);
    swaps = 0;
    gnttab_test_before_swap = revoke_now;
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_permission_denied);
    assert_int_equal(swaps, 1);
    assert_int_equal(flags_of(1, 8), 0);

    grant(1, 8, 0, 3, false);
    swaps = 0;
    gnttab_test_before_swap = regrant_to_d2;
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_permission_denied);
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    assert_true(host_log_contains("granted to d2, not to d0"));

    grant(1, 8, 0, 3, false);
    swaps = 0;
    gnttab_test_before_swap = keep_changing;
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_general_error);
    assert_int_equal(swaps, 5);
    assert_int_equal(flags_of(1, 8) & (GTF_reading | GTF_writing), 0);
    gnttab_test_before_swap = NULL;
    assert_false(lookup(0, MAP_AT, NULL, NULL));
    assert_false(gnttab_page_in_use(page_pa(1, 3)));

    /* and with a stable entry the same map works */
    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
}

/* References: beyond the table, not granted, granted to another domain. */
static void test_bad_references(void **state unused)
{
    grant(1, 30, 2, 5, false);
    assert_int_equal(map(v0, 1, GNTTAB_ENTRIES_PER_FRAME, MAP_AT, false), GNTST_bad_gntref);
    assert_int_equal(map(v0, 1, 5000, MAP_AT, false), GNTST_bad_gntref);
    assert_int_equal(map(v0, 1, 0xffffffffU, MAP_AT, false), GNTST_bad_gntref);
    assert_int_equal(map(v0, 1, 20, MAP_AT, false), GNTST_permission_denied);
    assert_int_equal(map(v0, 1, 30, MAP_AT, false), GNTST_permission_denied);
    assert_int_equal(flags_of(1, 30), GTF_permit_access);
    /* the domain it is granted to may map it */
    assert_int_equal(map(v2, 1, 30, MAP_AT, false), GNTST_okay);
    assert_int_equal(iommu_maps, 1);
    {
        struct gnttab_stats s;
        gnttab_get_stats(&doms[0], &s);
        assert_int_equal(s.refused, 5);
        assert_int_equal(s.maps, 0);
    }
}

/* Domains: none with that id, out of range, or not running. */
static void test_bad_domains(void **state unused)
{
    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 7, 8, MAP_AT, false), GNTST_bad_domain);
    assert_int_equal(map(v0, 0x7ff2, 8, MAP_AT, false), GNTST_bad_domain);
    doms[1].state = DOM_ENDED_CLEAN;
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_bad_domain);
    assert_true(host_log_contains("d1 is not running (GNTST_bad_domain)"));
    doms[1].state = DOM_RUNNING;
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
}

/* A writable map of a read-only grant: refused, entry untouched, and a
 * read-only mapping already there keeps working. */
static void test_writable_map_of_readonly_grant(void **state unused)
{
    grant(1, 9, 0, 4, true);
    assert_int_equal(map(v0, 1, 9, MAP_AT, false), GNTST_permission_denied);
    assert_int_equal(flags_of(1, 9), GTF_permit_access | GTF_readonly);
    assert_int_equal(map(v0, 1, 9, MAP_AT, true), GNTST_okay);
    assert_int_equal(map(v0, 1, 9, MAP_AT + PAGE_SIZE, false), GNTST_permission_denied);
    assert_int_equal(flags_of(1, 9), GTF_permit_access | GTF_readonly | GTF_reading);
    assert_true(host_log_contains("write access to a read-only grant (GNTST_permission_denied)"));
    assert_int_equal(gnttab_mapped_count(&doms[0]), 1);
}

/* A GFN of the mapper's own RAM range that it ballooned out (nothing mapped
 * there) takes a grant map, as Linux's netback does without ZONE_DEVICE; a
 * RAM GFN whose page is still there does not.  The unmap leaves it empty. */
static void test_map_at_ballooned_gfn(void **state unused)
{
    ipa_t out = ipa(RAM_BASE + 6 * PAGE_SIZE);
    pa_t p;
    p2m_type_t t;

    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, RAM_BASE + 5 * PAGE_SIZE, false), GNTST_bad_virt_addr);
    assert_true(host_log_contains("is mapped already"));
    assert_int_equal(p2m_unmap(&doms[0].p2m, out, PAGE_SIZE), 0); /* ballooned out */
    assert_int_equal(map(v0, 1, 8, ipa_addr(out), false), GNTST_okay);
    assert_int_equal(p2m_lookup(&doms[0].p2m, out, &p, &t), 0);
    assert_int_equal(t, p2m_grant_map_rw);
    assert_int_equal(pa_addr(p), pa_addr(page_pa(1, 3)));
    assert_int_equal(unmap(v0, ipa_addr(out), last_map.handle), GNTST_okay);
    assert_int_equal(p2m_lookup(&doms[0].p2m, out, NULL, NULL), -ENOENT);
    assert_false(gnttab_page_in_use(page_pa(1, 3)));
}

/* host_addr: page aligned, inside the window, not mapped already.  A refusal
 * after the pin (already mapped) gives the pin back. */
static void test_host_addr_checks(void **state unused)
{
    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, 0x1000, false), GNTST_bad_virt_addr);
    assert_int_equal(map(v0, 1, 8, RAM_BASE, false), GNTST_bad_virt_addr);
    assert_int_equal(map(v0, 1, 8, WINDOW_BASE - PAGE_SIZE, false), GNTST_bad_virt_addr);
    assert_int_equal(map(v0, 1, 8, WINDOW_BASE + WINDOW_SIZE, false), GNTST_bad_virt_addr);
    assert_int_equal(map(v0, 1, 8, MAP_AT + 8, false), GNTST_bad_virt_addr);
    assert_true(host_log_contains("is not page aligned"));
    assert_int_equal(map(v0, 1, 8, ~0UL & PAGE_MASK, false), GNTST_bad_virt_addr);
    assert_int_equal(flags_of(1, 8), GTF_permit_access);

    assert_int_equal(map(v0, 1, 8, WINDOW_BASE + WINDOW_SIZE - PAGE_SIZE, false), GNTST_okay);
    grant(1, 10, 0, 5, false);
    assert_int_equal(map(v0, 1, 10, WINDOW_BASE + WINDOW_SIZE - PAGE_SIZE, false),
                     GNTST_bad_virt_addr);
    assert_true(host_log_contains("is mapped already"));
    assert_int_equal(flags_of(1, 10), GTF_permit_access);
    assert_false(gnttab_page_in_use(page_pa(1, 5)));
    assert_int_equal(iommu_maps, 1);
}

/* Only GNTMAP_host_map [| GNTMAP_readonly] exist on Arm: device, application
 * and PTE mappings are general errors, as in Xen for paging_mode_external;
 * neither host nor device map is a bad reference, as in Xen. */
static void test_map_flags_refused(void **state unused)
{
    grant(1, 8, 0, 3, false);
    assert_int_equal(map_flags(v0, 1, 8, MAP_AT, GNTMAP_host_map | GNTMAP_device_map),
                     GNTST_general_error);
    assert_true(host_log_contains("(GNTST_general_error)"));
    assert_int_equal(map_flags(v0, 1, 8, MAP_AT, GNTMAP_device_map), GNTST_general_error);
    assert_int_equal(map_flags(v0, 1, 8, MAP_AT, GNTMAP_host_map | GNTMAP_application_map),
                     GNTST_general_error);
    assert_int_equal(map_flags(v0, 1, 8, MAP_AT, GNTMAP_host_map | GNTMAP_contains_pte),
                     GNTST_general_error);
    assert_int_equal(map_flags(v0, 1, 8, MAP_AT, 0), GNTST_bad_gntref);
    assert_int_equal(map_flags(v0, 1, 8, MAP_AT, GNTMAP_readonly), GNTST_bad_gntref);
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    assert_false(lookup(0, MAP_AT, NULL, NULL));
    assert_int_equal(iommu_maps, 0);
}

/* The frame must be the granter's RAM: not outside it, not in its grant
 * window (where granite's own pages are mapped), not unmapped. */
static void test_frame_must_be_granter_ram(void **state unused)
{
    pa_t frame;
    struct grant_entry_v1 *e = entry(1, 8);

    /* d1 maps its own grant frame into its window, then grants that GFN */
    assert_int_equal(gnttab_get_frame(&doms[1], 0, &frame), 0);
    assert_int_equal(p2m_map(&doms[1].p2m, ipa(WINDOW_BASE + PAGE_SIZE), frame, PAGE_SIZE,
                             p2m_ram_rw), 0);
    e->domid = 0;
    e->frame = (WINDOW_BASE + PAGE_SIZE) >> PAGE_SHIFT;
    e->flags = GTF_permit_access;
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_bad_page);
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    e->frame = gfn_of_page(DEFAULT_RAM_PAGES); /* just past its RAM */
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_bad_page);
    /* inside the RAM range but unmapped by its p2m */
    assert_int_equal(p2m_unmap(&doms[1].p2m, ipa(RAM_BASE + 2 * PAGE_SIZE), PAGE_SIZE), 0);
    e->frame = gfn_of_page(2);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_bad_page);
    assert_true(host_log_contains("not writable RAM in d1's p2m (GNTST_bad_page)"));
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    assert_false(gnttab_page_in_use(frame));
}

/* Unmap: by handle and host_addr; bad, double, and another domain's handles. */
static void test_unmap_errors(void **state unused)
{
    grant_handle_t h;

    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
    h = last_map.handle;
    assert_int_equal(unmap(v0, MAP_AT, 777), GNTST_bad_handle);
    assert_int_equal(unmap(v0, MAP_AT, GNTTAB_MAX_MAPS), GNTST_bad_handle);
    assert_int_equal(unmap(v0, MAP_AT, 0xffffffffU), GNTST_bad_handle);
    assert_int_equal(unmap(v0, MAP_AT + PAGE_SIZE, h), GNTST_bad_virt_addr);
    assert_int_equal(unmap(v0, 0, h), GNTST_bad_virt_addr);
    assert_true(host_log_contains("gnttab: d0: unmap handle"));
    /* d2 presents d0's handle: it names nothing in d2's maptrack */
    assert_int_equal(unmap(v2, MAP_AT, h), GNTST_bad_handle);
    assert_true(lookup(0, MAP_AT, NULL, NULL));
    assert_int_equal(flags_of(1, 8), GTF_permit_access | GTF_reading | GTF_writing);

    assert_int_equal(unmap(v0, MAP_AT, h), GNTST_okay);
    assert_int_equal(unmap(v0, MAP_AT, h), GNTST_bad_handle);
    assert_int_equal(iommu_unmaps, 1);
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
}

/* A domain's own grants: Xen lets a domain map them (its map_grant_ref
 * handles ld == rd), and so does granite, without IOMMU calls.  An own
 * reference that is not granted is refused like any other. */
static void test_own_grant(void **state unused)
{
    p2m_type_t t;

    assert_int_equal(map(v0, 0, 8, MAP_AT, false), GNTST_permission_denied);
    assert_int_equal(map(v0, DOMID_SELF, 8, MAP_AT, false), GNTST_permission_denied);
    grant(0, 9, 0, 2, false);
    assert_int_equal(map(v0, DOMID_SELF, 9, MAP_AT, false), GNTST_okay);
    assert_int_equal(last_map.dev_bus_addr, pa_addr(page_pa(0, 2)));
    assert_true(lookup(0, MAP_AT, NULL, &t));
    assert_int_equal(t, p2m_grant_map_rw);
    assert_int_equal(iommu_maps, 0);
    assert_int_equal(unmap(v0, MAP_AT, last_map.handle), GNTST_okay);
    assert_int_equal(iommu_unmaps, 0);
    assert_int_equal(flags_of(0, 9), GTF_permit_access);
}

/* GNTTABOP_copy both ways with odd offsets, and grant to grant.  The pins
 * last only for the copy. */
static void test_copy_both_ways(void **state unused)
{
    static const char msg[] = "written by the back end, dom0";
    struct gnttab_copy c;

    grant(1, 10, 0, 6, false);
    grant(1, 9, 0, 7, true);
    grant(3, 11, 0, 1, false);
    strcpy(page_ptr(0, 1), msg);
    strcpy(page_ptr(1, 7), "written by the front end, domU");

    c = (struct gnttab_copy){ .source = { .u.gmfn = gfn_of_page(1), .domid = DOMID_SELF },
                              .dest = { .u.ref = 10, .domid = 1, .offset = 3 },
                              .len = sizeof(msg), .flags = GNTCOPY_dest_gref };
    assert_int_equal(copy(v0, &c), GNTST_okay);
    assert_memory_equal(page_ptr(1, 6) + 3, msg, sizeof(msg));
    assert_int_equal(page_ptr(1, 6)[2], 0);
    assert_int_equal(flags_of(1, 10), GTF_permit_access);

    c = (struct gnttab_copy){ .source = { .u.ref = 9, .domid = 1, .offset = 7 },
                              .dest = { .u.gmfn = gfn_of_page(1), .domid = 0, .offset = 1001 },
                              .len = 20, .flags = GNTCOPY_source_gref };
    assert_int_equal(copy(v0, &c), GNTST_okay);
    assert_memory_equal(page_ptr(0, 1) + 1001, "written by the front end, domU" + 7, 20);
    assert_int_equal(flags_of(1, 9), GTF_permit_access | GTF_readonly);

    /* grant to grant, up to the last byte of both pages */
    memset(page_ptr(1, 6) + 4000, 0x5a, 96);
    c = (struct gnttab_copy){ .source = { .u.ref = 10, .domid = 1, .offset = 4000 },
                              .dest = { .u.ref = 11, .domid = 3, .offset = 4000 },
                              .len = 96, .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref };
    assert_int_equal(copy(v0, &c), GNTST_okay);
    assert_int_equal((u8)page_ptr(3, 1)[4095], 0x5a);
    assert_int_equal(flags_of(3, 11), GTF_permit_access);
    /* a page onto itself, overlapping */
    c = (struct gnttab_copy){ .source = { .u.ref = 10, .domid = 1, .offset = 3 },
                              .dest = { .u.ref = 10, .domid = 1, .offset = 4 },
                              .len = 5, .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref };
    assert_int_equal(copy(v0, &c), GNTST_okay);
    assert_memory_equal(page_ptr(1, 6) + 4, "writt", 5);
    assert_int_equal(flags_of(1, 10), GTF_permit_access);

    assert_int_equal(iommu_maps, 0);
    assert_false(gnttab_page_in_use(page_pa(1, 6)));
    {
        struct gnttab_stats s;
        gnttab_get_stats(&doms[0], &s);
        assert_int_equal(s.copies, 4);
    }
}

/* Linux's netback in a driver domain that is not the hardware domain (d2,
 * direct-mapped in the target topology): TX copies from a frontend's grant
 * (GNTCOPY_source_gref, source.domid = the frontend) into its own frame, RX
 * from its own frame into a frontend's grant (GNTCOPY_dest_gref), and a frame
 * that came from one frontend to another, gref on both sides with two third
 * domains (reference §8.6).  A grant made out to someone else is refused. */
static void test_copy_by_driver_domain(void **state unused)
{
    struct gnttab_copy c;

    grant(1, 20, 2, 3, true);   /* frontend d1's TX page, read-only to d2 */
    grant(1, 21, 2, 4, false);  /* frontend d1's RX page */
    grant(3, 22, 2, 5, true);   /* frontend d3's TX page */
    grant(3, 23, 0, 6, true);   /* d3's page for d0, not for d2 */
    strcpy(page_ptr(1, 3), "tx frame of d1");
    strcpy(page_ptr(3, 5), "tx frame of d3, bridged to d1");
    strcpy(page_ptr(2, 2), "rx frame from the wire");

    c = (struct gnttab_copy){ .source = { .u.ref = 20, .domid = 1 },
                              .dest = { .u.gmfn = gfn_of_page(1), .domid = DOMID_SELF, .offset = 64 },
                              .len = 15, .flags = GNTCOPY_source_gref };
    assert_int_equal(copy(v2, &c), GNTST_okay);
    assert_string_equal(page_ptr(2, 1) + 64, "tx frame of d1");

    c = (struct gnttab_copy){ .source = { .u.gmfn = gfn_of_page(2), .domid = DOMID_SELF },
                              .dest = { .u.ref = 21, .domid = 1, .offset = 10 },
                              .len = 23, .flags = GNTCOPY_dest_gref };
    assert_int_equal(copy(v2, &c), GNTST_okay);
    assert_string_equal(page_ptr(1, 4) + 10, "rx frame from the wire");

    c = (struct gnttab_copy){ .source = { .u.ref = 22, .domid = 3 },
                              .dest = { .u.ref = 21, .domid = 1 },
                              .len = 30, .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref };
    assert_int_equal(copy(v2, &c), GNTST_okay);
    assert_string_equal(page_ptr(1, 4), "tx frame of d3, bridged to d1");

    /* d3's grant to d0 is not d2's to use, nor is a read-only grant a destination */
    c = (struct gnttab_copy){ .source = { .u.ref = 23, .domid = 3 },
                              .dest = { .u.gmfn = gfn_of_page(1), .domid = DOMID_SELF },
                              .len = 8, .flags = GNTCOPY_source_gref };
    assert_int_equal(copy(v2, &c), GNTST_permission_denied);
    c = (struct gnttab_copy){ .source = { .u.gmfn = gfn_of_page(2), .domid = DOMID_SELF },
                              .dest = { .u.ref = 20, .domid = 1 },
                              .len = 8, .flags = GNTCOPY_dest_gref };
    assert_int_not_equal(copy(v2, &c), GNTST_okay);
    assert_string_equal(page_ptr(1, 3), "tx frame of d1");

    for (unsigned r = 20; r <= 22; r++)
        assert_int_equal(flags_of(r == 22 ? 3 : 1, r) & (GTF_reading | GTF_writing), 0);
    assert_int_equal(iommu_maps, 0);
}

/* Copies refused: past a page end, a read-only destination, someone else's
 * frame, a frame that is not RAM, a missing domain, a reference not granted.
 * Nothing is copied and nothing stays pinned. */
static void test_copy_errors(void **state unused)
{
    struct gnttab_copy c;

    grant(1, 10, 0, 6, false);
    grant(1, 9, 0, 7, true);
    memset(page_ptr(1, 6), 0, PAGE_SIZE);
    memset(page_ptr(0, 1), 0x77, PAGE_SIZE);

    c = (struct gnttab_copy){ .source = { .u.gmfn = gfn_of_page(1), .domid = DOMID_SELF,
                                          .offset = 4000 },
                              .dest = { .u.ref = 10, .domid = 1 },
                              .len = 200, .flags = GNTCOPY_dest_gref };
    assert_int_equal(copy(v0, &c), GNTST_bad_copy_arg);
    c.source.offset = 0;
    c.dest.offset = 4095;
    c.len = 2;
    assert_int_equal(copy(v0, &c), GNTST_bad_copy_arg);
    c.dest.offset = 0;
    c.len = 0xffff;
    assert_int_equal(copy(v0, &c), GNTST_bad_copy_arg);
    assert_true(host_log_contains("crosses the end of a page (GNTST_bad_copy_arg)"));

    c = (struct gnttab_copy){ .source = { .u.gmfn = gfn_of_page(1), .domid = DOMID_SELF },
                              .dest = { .u.ref = 9, .domid = 1 },
                              .len = 16, .flags = GNTCOPY_dest_gref };
    assert_int_equal(copy(v0, &c), GNTST_permission_denied);
    c.dest.u.ref = 20; /* not granted */
    assert_int_equal(copy(v0, &c), GNTST_permission_denied);
    c.dest.u.ref = 10;
    c.dest.domid = 6; /* no such domain */
    assert_int_equal(copy(v0, &c), GNTST_bad_domain);
    c.dest.domid = 1;
    c.source.domid = 1; /* a frame of another domain, not a grant */
    assert_int_equal(copy(v0, &c), GNTST_permission_denied);
    c.source.domid = DOMID_SELF;
    c.source.u.gmfn = WINDOW_BASE >> PAGE_SHIFT; /* not RAM */
    assert_int_equal(copy(v0, &c), GNTST_bad_page);
    c.source.u.gmfn = ~0UL;
    assert_int_equal(copy(v0, &c), GNTST_bad_page);
    /* a good source grant, then a bad destination: the source's pin is
     * given back */
    c = (struct gnttab_copy){ .source = { .u.ref = 10, .domid = 1 },
                              .dest = { .u.gmfn = WINDOW_BASE >> PAGE_SHIFT, .domid = DOMID_SELF },
                              .len = 16, .flags = GNTCOPY_source_gref };
    assert_int_equal(copy(v0, &c), GNTST_bad_page);

    for (unsigned i = 0; i < PAGE_SIZE; i++)
        assert_int_equal(page_ptr(1, 6)[i], 0);
    assert_int_equal(flags_of(1, 10), GTF_permit_access);
    assert_int_equal(flags_of(1, 9), GTF_permit_access | GTF_readonly);
    assert_false(gnttab_page_in_use(page_pa(1, 6)));
}

/* The hypercall itself: a batch, each operation with its own status; too
 * many operations; misaligned, unreadable and unwritable arrays; unknown
 * commands. */
static void test_batches_and_bad_calls(void **state unused)
{
    struct gnttab_map_grant_ref ops[3] = {
        { .host_addr = MAP_AT, .flags = GNTMAP_host_map, .ref = 8, .dom = 1 },
        { .host_addr = MAP_AT + PAGE_SIZE, .flags = GNTMAP_host_map, .ref = 20, .dom = 1 },
        { .host_addr = MAP_AT + 2 * PAGE_SIZE, .flags = GNTMAP_host_map | GNTMAP_readonly,
          .ref = 9, .dom = 1 },
    };
    struct gnttab_unmap_grant_ref un[3];
    u8 raw[sizeof(ops) + 8] __attribute__((aligned(8)));

    grant(1, 8, 0, 3, false);
    grant(1, 9, 0, 4, true);
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_map_grant_ref, (u64)(uintptr_t)ops, 3), 0);
    assert_int_equal(ops[0].status, GNTST_okay);
    assert_int_equal(ops[1].status, GNTST_permission_denied);
    assert_int_equal(ops[2].status, GNTST_okay);
    assert_int_equal(ops[0].dev_bus_addr, pa_addr(page_pa(1, 3)));
    assert_int_equal(ops[2].dev_bus_addr, pa_addr(page_pa(1, 4)));
    assert_int_equal(gnttab_mapped_count(&doms[0]), 2);

    host_log_clear();
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_map_grant_ref, (u64)(uintptr_t)ops,
                                       GNTTAB_MAX_BATCH + 1), -EINVAL);
    assert_true(host_log_contains("GNTTABOP_map_grant_ref with 513 operation(s) (at most 512): "
                                  "-EINVAL"));
    copies_from_guest = 0;
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_map_grant_ref, (u64)(uintptr_t)ops, 100000),
                     -EINVAL);
    assert_int_equal(copies_from_guest, 0);
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_map_grant_ref, UNMAPPED_GVA, 1), -EFAULT);
    memcpy(raw + 1, ops, sizeof(struct gnttab_map_grant_ref));
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_map_grant_ref, (u64)(uintptr_t)(raw + 1), 1),
                     -EFAULT);
    assert_true(host_log_contains("not 8-byte aligned: -EFAULT"));
    assert_int_equal(do_grant_table_op(v0, 99, (u64)(uintptr_t)ops, 1), -ENOSYS);
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_dump_table, (u64)(uintptr_t)ops, 1), -ENOSYS);
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_transfer, (u64)(uintptr_t)ops, 1), -ENOSYS);
    assert_int_equal(do_grant_table_op(v0, ~0UL, (u64)(uintptr_t)ops, 1), -ENOSYS);
    assert_true(host_log_contains("grant_table_op 99 unknown or not supported: -ENOSYS"));
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_map_grant_ref, UNMAPPED_GVA, 0), 0);
    /* results that cannot be written back: the op happened, the call faults */
    memcpy(readonly_area, &ops[1], sizeof(ops[1]));
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_map_grant_ref,
                                       (u64)(uintptr_t)readonly_area, 1), -EFAULT);
    assert_int_equal(gnttab_mapped_count(&doms[0]), 2);

    un[0] = (struct gnttab_unmap_grant_ref){ .host_addr = MAP_AT, .handle = ops[0].handle };
    un[1] = (struct gnttab_unmap_grant_ref){ .host_addr = MAP_AT, .handle = ops[0].handle };
    un[2] = (struct gnttab_unmap_grant_ref){ .host_addr = MAP_AT + 2 * PAGE_SIZE,
                                             .handle = ops[2].handle };
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_unmap_grant_ref, (u64)(uintptr_t)un, 3), 0);
    assert_int_equal(un[0].status, GNTST_okay);
    assert_int_equal(un[1].status, GNTST_bad_handle);
    assert_int_equal(un[2].status, GNTST_okay);
    assert_int_equal(gnttab_mapped_count(&doms[0]), 0);
}

/* setup_table and query_size: one operation each, the caller's own table;
 * frames grow up to the maximum; frame_list gets the GFNs the guest mapped
 * its frames at (INVALID where it has not), as on Xen/Arm. */
static void test_setup_table_and_query_size(void **state unused)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    struct gnttab_setup_table st;
    xen_pfn_t list[GNTTAB_MAX_FRAMES + 1];
    pa_t frame0, frame;

    assert_int_equal(do_grant_table_op(v1, GNTTABOP_query_size, (u64)(uintptr_t)&q, 1), 0);
    assert_int_equal(q.status, GNTST_okay);
    assert_int_equal(q.nr_frames, 1);
    assert_int_equal(q.max_nr_frames, GNTTAB_MAX_FRAMES);
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_query_size, (u64)(uintptr_t)&q, 2), -EINVAL);
    q.dom = 2;
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_query_size, (u64)(uintptr_t)&q, 1), 0);
    assert_int_equal(q.status, GNTST_permission_denied);

    assert_int_equal(gnttab_get_frame(&doms[1], 0, &frame0), 0);
    assert_int_equal(p2m_map(&doms[1].p2m, ipa(WINDOW_BASE + PAGE_SIZE), frame0, PAGE_SIZE,
                             p2m_ram_rw), 0);
    memset(list, 0xa5, sizeof(list));
    st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 2,
                                      .frame_list = (u64)(uintptr_t)list };
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_setup_table, (u64)(uintptr_t)&st, 1), 0);
    assert_int_equal(st.status, GNTST_okay);
    assert_int_equal(list[0], (WINDOW_BASE + PAGE_SIZE) >> PAGE_SHIFT);
    assert_int_equal(list[1], ~0UL);
    assert_int_equal(list[2], 0xa5a5a5a5a5a5a5a5UL);
    q.dom = 1;
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_query_size, (u64)(uintptr_t)&q, 1), 0);
    assert_int_equal(q.nr_frames, 2);

    /* refs of the new frame work */
    grant(1, GNTTAB_ENTRIES_PER_FRAME + 88, 0, 3, false);
    assert_int_equal(map(v0, 1, GNTTAB_ENTRIES_PER_FRAME + 88, MAP_AT, false), GNTST_okay);

    st.nr_frames = GNTTAB_MAX_FRAMES + 1;
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_setup_table, (u64)(uintptr_t)&st, 1), 0);
    assert_int_equal(st.status, GNTST_general_error);
    st.nr_frames = 1;
    st.dom = 2;
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_setup_table, (u64)(uintptr_t)&st, 1), 0);
    assert_int_equal(st.status, GNTST_permission_denied);
    st.dom = 6;
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_setup_table, (u64)(uintptr_t)&st, 1), 0);
    assert_int_equal(st.status, GNTST_bad_domain);
    st.dom = DOMID_SELF;
    st.frame_list = UNMAPPED_GVA;
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_setup_table, (u64)(uintptr_t)&st, 1), 0);
    assert_int_equal(st.status, GNTST_bad_virt_addr);
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_setup_table, (u64)(uintptr_t)&st, 0), -EINVAL);

    /* XENMAPSPACE_grant_table: growing up to the maximum, not beyond */
    assert_int_equal(gnttab_get_frame(&doms[1], GNTTAB_MAX_FRAMES, &frame), -EINVAL);
    assert_int_equal(gnttab_get_frame(&doms[1], GNTTAB_MAX_FRAMES - 1, &frame), 0);
    assert_true(host_log_contains("gnttab: d1: table grown from 2 to 4 frame(s)"));
    q.dom = DOMID_SELF;
    assert_int_equal(do_grant_table_op(v1, GNTTABOP_query_size, (u64)(uintptr_t)&q, 1), 0);
    assert_int_equal(q.nr_frames, GNTTAB_MAX_FRAMES);
    assert_int_equal(map(v0, 1, GNTTAB_MAX_ENTRIES, MAP_AT + PAGE_SIZE, false), GNTST_bad_gntref);
}

/* The mapper dies: everything it mapped is unmapped (stage 2, IOMMU, the
 * granters' flags), and it maps nothing more. */
static void test_mapper_dies(void **state unused)
{
    grant(1, 8, 0, 3, false);
    grant(1, 9, 0, 4, true);
    grant(3, 12, 0, 5, false);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
    assert_int_equal(map(v0, 1, 8, MAP_AT + PAGE_SIZE, true), GNTST_okay);
    assert_int_equal(map(v0, 1, 9, MAP_AT + 2 * PAGE_SIZE, true), GNTST_okay);
    assert_int_equal(map(v0, 3, 12, MAP_AT + 3 * PAGE_SIZE, false), GNTST_okay);
    assert_int_equal(gnttab_mapped_count(&doms[0]), 4);

    doms[0].state = DOM_DESTROYED;
    gnttab_domain_dying(&doms[0]);
    assert_true(host_log_contains("gnttab: d0: dying: 4 mapping(s) of other domains' pages removed"));
    assert_int_equal(gnttab_mapped_count(&doms[0]), 0);
    for (unsigned i = 0; i < 4; i++)
        assert_false(lookup(0, MAP_AT + i * PAGE_SIZE, NULL, NULL));
    assert_int_equal(iommu_unmaps, 4);
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    assert_int_equal(flags_of(1, 9), GTF_permit_access | GTF_readonly);
    assert_int_equal(flags_of(3, 12), GTF_permit_access);
    assert_true(revoke(1, 8));
    assert_false(gnttab_page_in_use(page_pa(1, 3)));
    /* a vCPU still in a hypercall cannot map any more */
    assert_int_equal(map(v0, 3, 12, MAP_AT, false), GNTST_general_error);
    assert_true(host_log_contains("d0 is dying"));
    assert_int_equal(flags_of(3, 12), GTF_permit_access);
}

/* The granter dies while its page is mapped: the page outlives it (kept
 * when its RAM is freed, still readable through the mapping), new maps of
 * its grants fail, and the last unmap hands the page to
 * domain_release_page() — once. */
static void test_granter_dies_while_mapped(void **state unused)
{
    pa_t page = page_pa(1, 3);
    grant_handle_t h1, h2;

    strcpy(page_ptr(1, 3), "written by the front end, domU");
    grant(1, 8, 0, 3, false);
    grant(1, 9, 0, 3, true); /* the same page under a second reference */
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
    h1 = last_map.handle;
    assert_int_equal(map(v0, 1, 9, MAP_AT + PAGE_SIZE, true), GNTST_okay);
    h2 = last_map.handle;

    assert_int_equal(end_domain(1), 1);
    assert_int_equal(host_pages_outstanding() > 0, 1);
    assert_int_equal(nr_released, 0);
    {
        pa_t p;
        assert_true(lookup(0, MAP_AT, &p, NULL));
        assert_string_equal((char *)pa_to_ptr(p), "written by the front end, domU");
    }
    assert_int_equal(map(v0, 1, 8, MAP_AT + 2 * PAGE_SIZE, false), GNTST_bad_domain);

    assert_int_equal(unmap(v0, MAP_AT, h1), GNTST_okay);
    assert_int_equal(nr_released, 0);
    assert_true(gnttab_page_in_use(page));
    assert_int_equal(unmap(v0, MAP_AT + PAGE_SIZE, h2), GNTST_okay);
    assert_int_equal(nr_released, 1);
    assert_int_equal(pa_addr(released_pages[0]), pa_addr(page));
    assert_false(gnttab_page_in_use(page));
    assert_int_equal(iommu_unmaps, 2);
}

/* The granter dies with nothing mapped: every page is freed at once; a page
 * that was mapped and unmapped before is not special. */
static void test_granter_dies_unmapped(void **state unused)
{
    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
    assert_int_equal(unmap(v0, MAP_AT, last_map.handle), GNTST_okay);
    assert_int_equal(end_domain(1), 0);
    assert_int_equal(nr_released, 0);
}

/* The granter is dead but its RAM not yet freed when the last unmap comes:
 * the page is not released by the unmap (the domain code has not let go of
 * it) and the domain code frees it as usual. */
static void test_granter_dead_unmap_before_its_ram_is_freed(void **state unused)
{
    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
    doms[1].state = DOM_DESTROYED;
    gnttab_domain_dying(&doms[1]);
    assert_int_equal(unmap(v0, MAP_AT, last_map.handle), GNTST_okay);
    assert_int_equal(nr_released, 0);
    assert_int_equal(end_domain(1), 0);
    assert_int_equal(nr_released, 0);
}

/* Both die, mapper last: the kept page is released by the mapper's death. */
static void test_granter_then_mapper_die(void **state unused)
{
    grant(1, 8, 0, 3, false);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
    assert_int_equal(end_domain(1), 1);
    assert_int_equal(end_domain(0), 0);
    assert_int_equal(nr_released, 1);
}

/* The IOMMU refuses: the map fails with general_error, leaving nothing
 * behind (no stage-2 entry, no flags, no pin). */
static void test_iommu_refusal_undoes_the_map(void **state unused)
{
    grant(1, 8, 0, 3, false);
    iommu_fail = true;
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_general_error);
    assert_true(host_log_contains("the IOMMU refused the page"));
    assert_false(lookup(0, MAP_AT, NULL, NULL));
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    assert_false(gnttab_page_in_use(page_pa(1, 3)));
    assert_int_equal(gnttab_mapped_count(&doms[0]), 0);
    iommu_fail = false;
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
}

/* No memory for a stage-2 table page: general_error, undone. */
static void test_p2m_out_of_memory_undoes_the_map(void **state unused)
{
    grant(1, 8, 0, 3, false);
    host_alloc_fail_after(0);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_general_error);
    host_alloc_fail_after(-1);
    assert_int_equal(flags_of(1, 8), GTF_permit_access);
    assert_false(gnttab_page_in_use(page_pa(1, 3)));
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
}

/* Table setup without memory: -ENOMEM, nothing kept; growing without
 * memory: -ENOMEM, the table as it was. */
static void test_init_and_grow_without_memory(void **state unused)
{
    struct domain *d = &doms[2];
    pa_t frame;
    long before;

    gnttab_domain_destroy(d);
    gnttab_domain_destroy(d); /* idempotent */
    before = host_pages_outstanding();
    for (int n = 0; n < 3; n++) {
        host_alloc_fail_after(n);
        assert_int_equal(gnttab_domain_init(d), -ENOMEM);
        assert_int_equal(host_pages_outstanding(), before);
    }
    host_alloc_fail_after(-1);
    assert_int_equal(gnttab_domain_init(d), 0);
    assert_int_equal(gnttab_domain_init(d), -EBUSY);
    host_alloc_fail_after(1);
    assert_int_equal(gnttab_get_frame(d, 1, &frame), -ENOMEM);
    host_alloc_fail_after(-1);
    {
        struct gnttab_stats s;
        gnttab_get_stats(d, &s);
        assert_int_equal(s.nr_frames, 1);
    }
}

/* Handles run out at GNTTAB_MAX_MAPS: GNTST_no_space, and all are distinct. */
static void test_maptrack_exhaustion(void **state unused)
{
    static grant_handle_t h[GNTTAB_MAX_MAPS];
    static bool seen[GNTTAB_MAX_MAPS];

    grant(1, 8, 0, 3, true);
    memset(seen, 0, sizeof(seen));
    for (unsigned i = 0; i < GNTTAB_MAX_MAPS; i++) {
        assert_int_equal(map(v0, 1, 8, MAP_AT + i * PAGE_SIZE, true), GNTST_okay);
        h[i] = last_map.handle;
        assert_true(h[i] < GNTTAB_MAX_MAPS);
        assert_false(seen[h[i]]);
        seen[h[i]] = true;
    }
    assert_int_equal(map(v0, 1, 8, MAP_AT + GNTTAB_MAX_MAPS * PAGE_SIZE, true), GNTST_no_space);
    assert_false(lookup(0, MAP_AT + GNTTAB_MAX_MAPS * PAGE_SIZE, NULL, NULL));
    assert_int_equal(unmap(v0, MAP_AT + 5 * PAGE_SIZE, h[5]), GNTST_okay);
    assert_int_equal(map(v0, 1, 8, MAP_AT + GNTTAB_MAX_MAPS * PAGE_SIZE, true), GNTST_okay);
    assert_int_equal(last_map.handle, h[5]);
    assert_int_equal(flags_of(1, 8), GTF_permit_access | GTF_readonly | GTF_reading);
}

static unsigned pins_of(unsigned dom)
{
    struct gnttab_stats st;

    gnttab_get_stats(&doms[dom], &st);
    return st.pins;
}

/* Issue 10, finding 4: two hostile domains, each self-mapping its own pages
 * with every handle it has, must not starve a third domain (or dom0) of the
 * machine-wide pinned-page table.  Before the per-domain quota sizing, the
 * 2,048-page table was full and d0's map and copy below got GNTST_no_space. */
static void test_self_mappers_cannot_starve_others(void **state unused)
{
    static const unsigned hostile[] = { 1, 2 };
    struct gnttab_copy c;
    pa_t frame;

    for (unsigned k = 0; k < 2; k++) {
        unsigned d = hostile[k];
        assert_int_equal(gnttab_get_frame(&doms[d], 1, &frame), 0); /* 1024 entries */
        for (unsigned ref = 0; ref < GNTTAB_MAX_MAPS; ref++)
            grant(d, ref, (domid_t)d, ref, false);
        for (unsigned ref = 0; ref < GNTTAB_MAX_MAPS; ref++)
            assert_int_equal(map(&doms[d].vcpu[0], DOMID_SELF, ref, MAP_AT + ref * PAGE_SIZE,
                                 false), GNTST_okay);
        /* each self-map is charged to the mapper, itself */
        assert_int_equal(pins_of(d), GNTTAB_MAX_MAPS);
        /* its handles are spent: refused, and only the first few are logged */
        grant(d, GNTTAB_MAX_MAPS, (domid_t)d, GNTTAB_MAX_MAPS, false);
        host_log_clear();
        for (unsigned i = 0; i < 20; i++)
            assert_int_equal(map(&doms[d].vcpu[0], DOMID_SELF, GNTTAB_MAX_MAPS,
                                 MAP_AT + (GNTTAB_MAX_MAPS + i) * PAGE_SIZE, false),
                             GNTST_no_space);
        assert_true(host_log_count() <= 5 + 1);
        assert_true(host_log_contains("further refusals for lack of space are counted"));
        assert_int_equal(pins_of(d), GNTTAB_MAX_MAPS);
    }
    assert_int_equal(pins_of(0), 0);

    /* d0 (dom0's netback) still maps a third domain's page, and copies from it */
    grant(3, 8, 0, 2, false);
    strcpy(page_ptr(3, 2), "tx packet");
    assert_int_equal(map(v0, 3, 8, MAP_AT, true), GNTST_okay);
    assert_int_equal(pins_of(0), 1);
    c = (struct gnttab_copy){ .source = { .u.ref = 8, .domid = 3 },
                              .dest = { .u.gmfn = gfn_of_page(1), .domid = DOMID_SELF },
                              .len = 10, .flags = GNTCOPY_source_gref };
    assert_int_equal(copy(v0, &c), GNTST_okay);
    assert_string_equal(page_ptr(0, 1), "tx packet");
    /* a copy's pins are the caller's for the copy only */
    assert_int_equal(pins_of(0), 1);
    /* a domain with every handle spent still copies: its quota keeps room for that */
    c = (struct gnttab_copy){ .source = { .u.ref = 5, .domid = DOMID_SELF },
                              .dest = { .u.ref = 6, .domid = DOMID_SELF },
                              .len = 4, .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref };
    assert_int_equal(copy(v1, &c), GNTST_okay);
    assert_int_equal(pins_of(1), GNTTAB_MAX_MAPS);
    assert_int_equal(unmap(v0, MAP_AT, last_map.handle), GNTST_okay);
    assert_int_equal(pins_of(0), 0);
}

/* Issue 10, finding 3: a frame that the granter's (dom0's) p2m maps as RAM
 * but that is not RAM granite maps at EL2 (a /reserved-memory region, a PCIe
 * BAR) is never touched: map and copy refuse it with GNTST_general_error and a
 * log line.  Before the check, the map succeeded and the copy dereferenced the
 * address (on the board: an EL2 data abort). */
static void test_frame_not_ram_at_el2_is_refused(void **state unused)
{
    struct gnttab_copy c;

    not_ram = page_pa(1, 5);
    grant(1, 10, 0, 5, false);
    host_log_clear();
    assert_int_equal(map(v0, 1, 10, MAP_AT, false), GNTST_general_error);
    assert_true(host_log_contains("not RAM granite maps"));
    assert_false(lookup(0, MAP_AT, NULL, NULL));
    assert_int_equal(flags_of(1, 10), GTF_permit_access);
    assert_int_equal(iommu_maps, 0);

    memset(page_ptr(1, 5), 0x11, 16);
    c = (struct gnttab_copy){ .source = { .u.gmfn = gfn_of_page(1), .domid = DOMID_SELF },
                              .dest = { .u.ref = 10, .domid = 1 },
                              .len = 8, .flags = GNTCOPY_dest_gref };
    assert_int_equal(copy(v0, &c), GNTST_general_error);
    assert_int_equal((u8)page_ptr(1, 5)[0], 0x11);
    assert_int_equal(flags_of(1, 10), GTF_permit_access);
    /* the caller's own frame (dom0 naming its reserved region by gmfn) */
    c = (struct gnttab_copy){ .source = { .u.gmfn = gfn_of_page(5), .domid = DOMID_SELF },
                              .dest = { .u.gmfn = gfn_of_page(2), .domid = DOMID_SELF },
                              .len = 8 };
    assert_int_equal(copy(v1, &c), GNTST_general_error);
    assert_true(host_log_contains("gmfn 0x40005 is machine address"));
    assert_int_equal(pins_of(0), 0);
    assert_int_equal(pins_of(1), 0);
    assert_false(gnttab_page_in_use(page_pa(1, 5)));
}

/* Issue 10, finding 6: an IOMMU entry that cannot be removed keeps the pin:
 * the granter cannot revoke, the page is not handed back when its owner dies,
 * and the handle stays so that unmapping again retries.  Before, the page was
 * unpinned (and could be reused) while a device could still reach it. */
static void test_iommu_unmap_failure_keeps_the_pin(void **state unused)
{
    grant_handle_t h;

    grant(1, 10, 0, 5, false);
    assert_int_equal(map(v0, 1, 10, MAP_AT, false), GNTST_okay);
    h = last_map.handle;
    iommu_unmap_fail = true;
    host_log_clear();
    assert_int_equal(unmap(v0, MAP_AT, h), GNTST_general_error);
    assert_true(host_log_contains("the page stays pinned"));
    assert_false(lookup(0, MAP_AT, NULL, NULL)); /* the guest's view is gone */
    assert_true(gnttab_page_in_use(page_pa(1, 5)));
    assert_false(revoke(1, 10));
    assert_int_equal(pins_of(0), 1);
    assert_int_equal(gnttab_mapped_count(&doms[0]), 1);

    /* a retry that succeeds lets go */
    iommu_unmap_fail = false;
    assert_int_equal(unmap(v0, MAP_AT, h), GNTST_okay);
    assert_false(gnttab_page_in_use(page_pa(1, 5)));
    assert_int_equal(pins_of(0), 0);
    assert_true(revoke(1, 10));

    /* the mapper dies with the IOMMU still failing: the pin stays through
     * dying; the granter dies too and its page is kept, not freed */
    grant(1, 11, 0, 6, false);
    assert_int_equal(map(v0, 1, 11, MAP_AT, false), GNTST_okay);
    iommu_unmap_fail = true;
    doms[0].state = DOM_DESTROYED;
    gnttab_domain_dying(&doms[0]);
    assert_true(gnttab_page_in_use(page_pa(1, 6)));
    assert_int_equal(end_domain(1), 1);
    assert_int_equal(nr_released, 0);
    /* the mapper's IOMMU context is destroyed before its table (domain.c):
     * the retry at destroy succeeds and the kept page is released */
    iommu_unmap_fail = false;
    assert_int_equal(end_domain(0), 0);
    assert_int_equal(nr_released, 1);
}

/* Issue 10, finding 6: XENMEM_add_to_physmap checks that the GFN is free and
 * maps it in one step under the table lock grant maps use.  Checked on the
 * recorded lock events: the first lock taken (before the p2m lookup) is not
 * the p2m's own and is held until after the stage-2 entry is written.  Before
 * the fix, lookup and map took only the p2m lock, one after the other, so two
 * vCPUs could both find the GFN free. */
static void test_add_to_physmap_checks_and_maps_under_one_lock(void **state unused)
{
    struct domain *d = &doms[0];
    struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
                                    .idx = 0, .gpfn = (MAP_AT >> PAGE_SHIFT) + 1 };
    const void *outer;
    int lock_at, write_at = -1, unlock_at = -1;
    p2m_type_t t;
    pa_t p;

    d->shared_info = alloc_pages(0);
    host_events_clear();
    assert_int_equal(do_memory_op(v0, XENMEM_add_to_physmap, (u64)(uintptr_t)&a), 0);
    assert_true(lookup(0, MAP_AT + PAGE_SIZE, &p, &t));
    assert_int_equal(pa_addr(p), pa_addr(ptr_to_pa(d->shared_info)));
    lock_at = host_event_find(HEV_LOCK, 0);
    assert_true(lock_at >= 0);
    outer = host_events[lock_at].ptr;
    assert_ptr_not_equal(outer, &d->p2m.lock);
    for (unsigned i = (unsigned)lock_at; i < host_nr_events; i++) {
        if (write_at < 0 && host_events[i].kind == HEV_WRITE &&
            (host_events[i].val & ~0xfffUL & ((1UL << 48) - 1)) == pa_addr(p))
            write_at = (int)i;
        if (unlock_at < 0 && host_events[i].kind == HEV_UNLOCK && host_events[i].ptr == outer)
            unlock_at = (int)i;
    }
    assert_true(write_at > lock_at);
    assert_true(unlock_at > write_at);

    /* the same lock serialises it with grant maps: a GFN a grant holds is busy */
    grant(1, 10, 0, 5, true);
    assert_int_equal(map(v0, 1, 10, MAP_AT, true), GNTST_okay);
    a.gpfn = MAP_AT >> PAGE_SHIFT;
    assert_int_equal(do_memory_op(v0, XENMEM_add_to_physmap, (u64)(uintptr_t)&a), -EBUSY);
    assert_true(lookup(0, MAP_AT, NULL, &t));
    assert_int_equal(t, p2m_grant_map_ro);
    assert_int_equal(unmap(v0, MAP_AT, last_map.handle), GNTST_okay);
    assert_int_equal(p2m_unmap(&d->p2m, ipa(MAP_AT + PAGE_SIZE), PAGE_SIZE), 0);
    free_pages(d->shared_info, 0);
    d->shared_info = NULL;
}


/* --- issue 13: one IOMMU invalidation per batch, before any release ------- */

/* d1 grants its pages first..first+n-1 (refs 100 + page) to d0, which maps
 * them all in one call at MAP_AT onwards; the pages are watched. */
static void map_batch(struct gnttab_map_grant_ref *ops, unsigned first, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        grant(1, 100 + first + i, 0, first + i, false);
        ops[i] = (struct gnttab_map_grant_ref){ .host_addr = MAP_AT + i * PAGE_SIZE,
                                                .flags = GNTMAP_host_map,
                                                .ref = 100 + first + i, .dom = 1 };
        watched[nr_watched++] = page_pa(1, first + i);
    }
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_map_grant_ref, (u64)(uintptr_t)ops, n), 0);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(ops[i].status, GNTST_okay);
}

static void unmap_batch(const struct gnttab_map_grant_ref *ops, unsigned n)
{
    static struct gnttab_unmap_grant_ref un[128];

    for (unsigned i = 0; i < n; i++)
        un[i] = (struct gnttab_unmap_grant_ref){ .host_addr = ops[i].host_addr,
                                                 .handle = ops[i].handle };
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_unmap_grant_ref, (u64)(uintptr_t)un, n), 0);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(un[i].status, GNTST_okay);
}

static unsigned watched_in_use(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < nr_watched; i++)
        n += gnttab_page_in_use(watched[i]);
    return n;
}

/* Eight unmaps in one call: one flush, and at that moment all eight pages are
 * still pinned (the granter cannot have them back yet); after the call none. */
static void test_unmap_batch_releases_after_one_flush(void **state unused)
{
    struct gnttab_map_grant_ref ops[8];

    map_batch(ops, 0, 8);
    assert_int_equal(flushes, 0); /* maps release nothing: no flush owed by grant code */
    unmap_batch(ops, 8);
    assert_int_equal(flushes, 1);
    assert_int_equal(flushed_for[0], 0);
    assert_int_equal(pinned_at_flush[0], 8);
    assert_int_equal(watched_in_use(), 0);
    assert_int_equal(pins_of(0), 0);
    assert_true(revoke(1, 100));
    assert_true(revoke(1, 107));
}

/* More unmaps than the release queue holds (64): it flushes when full, then
 * releases what it held; the rest wait for the end of the call. */
static void test_release_queue_full_flushes_first(void **state unused)
{
    static struct gnttab_map_grant_ref ops[70];

    map_batch(ops, 0, 70);
    unmap_batch(ops, 70);
    assert_int_equal(flushes, 2);
    assert_int_equal(pinned_at_flush[0], 70); /* nothing released before the first flush */
    assert_int_equal(pinned_at_flush[1], 6);  /* the first 64 went after it, the rest wait */
    assert_int_equal(watched_in_use(), 0);
    assert_int_equal(pins_of(0), 0);
}

/* A map undone (the IOMMU refused it) releases its pin after a flush too. */
static void test_undone_map_releases_after_flush(void **state unused)
{
    grant(1, 12, 0, 2, false);
    watched[nr_watched++] = page_pa(1, 2);
    iommu_fail = true;
    assert_int_equal(map(v0, 1, 12, MAP_AT, false), GNTST_general_error);
    assert_int_equal(flushes, 1);
    assert_int_equal(pinned_at_flush[0], 1);
    assert_int_equal(watched_in_use(), 0);
    assert_true(revoke(1, 12));
}

/* A mix in one call: the failed unmaps (bad handle) release nothing, the good
 * ones wait for the one flush. */
static void test_unmap_batch_with_errors(void **state unused)
{
    struct gnttab_map_grant_ref ops[3];
    struct gnttab_unmap_grant_ref un[3];

    map_batch(ops, 0, 2);
    un[0] = (struct gnttab_unmap_grant_ref){ .host_addr = ops[0].host_addr,
                                             .handle = ops[0].handle };
    un[1] = (struct gnttab_unmap_grant_ref){ .host_addr = ops[0].host_addr,
                                             .handle = ops[0].handle }; /* twice: bad handle */
    un[2] = (struct gnttab_unmap_grant_ref){ .host_addr = ops[1].host_addr,
                                             .handle = ops[1].handle };
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_unmap_grant_ref, (u64)(uintptr_t)un, 3), 0);
    assert_int_equal(un[0].status, GNTST_okay);
    assert_int_equal(un[1].status, GNTST_bad_handle);
    assert_int_equal(un[2].status, GNTST_okay);
    assert_int_equal(flushes, 1);
    assert_int_equal(pinned_at_flush[0], 2);
    assert_int_equal(watched_in_use(), 0);
}

/* A call that faults half-way (results not written back) still releases
 * what it unmapped, after the flush: nothing stays queued across calls. */
static void test_faulting_unmap_call_still_releases(void **state unused)
{
    struct gnttab_map_grant_ref ops[2];
    struct gnttab_unmap_grant_ref *un = (struct gnttab_unmap_grant_ref *)readonly_area;

    map_batch(ops, 0, 2);
    /* the readonly area cannot be written back: the first op runs, then -EFAULT */
    memcpy(readonly_area, &(struct gnttab_unmap_grant_ref){ .host_addr = ops[0].host_addr,
                                                            .handle = ops[0].handle },
           sizeof(*un));
    assert_int_equal(do_grant_table_op(v0, GNTTABOP_unmap_grant_ref, (u64)(uintptr_t)un, 2),
                     -EFAULT);
    assert_int_equal(flushes, 1);
    assert_int_equal(pinned_at_flush[0], 2);
    assert_false(gnttab_page_in_use(watched[0]));
    assert_true(gnttab_page_in_use(watched[1]));
    unmap_batch(&ops[1], 1);
    assert_int_equal(flushes, 2);
    assert_int_equal(watched_in_use(), 0);
}

/* The mapper dies holding mappings: one flush for all, before the releases. */
static void test_dying_mapper_releases_after_one_flush(void **state unused)
{
    struct gnttab_map_grant_ref ops[3];

    map_batch(ops, 0, 3);
    doms[0].state = DOM_DESTROYED;
    gnttab_domain_dying(&doms[0]);
    assert_int_equal(flushes, 1);
    assert_int_equal(pinned_at_flush[0], 3);
    assert_int_equal(watched_in_use(), 0);
}

/* dump=maps records each grant map and unmap in the same grant-table
 * critical section as the handle's creation and removal.  Recorded after the
 * lock was dropped, another vCPU could unmap the handle first: the unmap
 * would find no record, the map would stay "live" in it for good, and a
 * guest repeating that would fill the record (MAX_GRANTS_SEEN) with mappings
 * long gone.  Under the lock, a map is always recorded before any unmap of
 * its handle can be. */
static void test_dump_records_maps_and_unmaps_under_the_table_lock(void **state unused)
{
    map_dump_on = true;
    grant(1, 8, 0, 3, false);
    grant(1, 9, 0, 4, true);
    assert_int_equal(map(v0, 1, 8, MAP_AT, false), GNTST_okay);
    assert_int_equal(unmap(v0, MAP_AT, last_map.handle), GNTST_okay);
    assert_int_equal(map(v0, 1, 9, MAP_AT + PAGE_SIZE, true), GNTST_okay);
    /* A refused map is not recorded. */
    assert_int_equal(map(v0, 1, 9, MAP_AT + PAGE_SIZE, true), GNTST_bad_virt_addr);
    doms[0].state = DOM_DESTROYED;
    gnttab_domain_dying(&doms[0]); /* the dying mapper's last mapping goes */
    map_dump_on = false;

    assert_int_equal(nr_notes, 4);
    for (unsigned i = 0; i < nr_notes; i++) {
        assert_true(notes[i].under_gnttab_lock);
        assert_int_equal(notes[i].mapper, 0);
        assert_int_equal(notes[i].granter, 1);
    }
    assert_true(notes[0].map);
    assert_false(notes[0].ro);
    assert_int_equal(notes[0].ref, 8);
    assert_int_equal(notes[0].at, MAP_AT);
    assert_int_equal(notes[0].page, pa_addr(page_pa(1, 3)));
    assert_false(notes[1].map);
    assert_int_equal(notes[1].ref, 8);
    assert_int_equal(notes[1].at, MAP_AT);
    assert_int_equal(notes[1].page, pa_addr(page_pa(1, 3)));
    assert_true(notes[2].map);
    assert_true(notes[2].ro);
    assert_int_equal(notes[2].ref, 9);
    assert_int_equal(notes[2].at, MAP_AT + PAGE_SIZE);
    assert_false(notes[3].map);
    assert_int_equal(notes[3].ref, 9);
    assert_int_equal(notes[3].page, pa_addr(page_pa(1, 4)));
    assert_int_equal(gnttab_locks_held, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_abi_numbers),
        T(test_map_rw_reads_writes_and_returns_machine_address),
        T(test_map_ro),
        T(test_pins_and_revocation),
        T(test_revoked_grant_is_refused),
        T(test_revocation_races_the_swap),
        T(test_bad_references),
        T(test_bad_domains),
        T(test_writable_map_of_readonly_grant),
        T(test_host_addr_checks),
        T(test_map_at_ballooned_gfn),
        T(test_map_flags_refused),
        T(test_frame_must_be_granter_ram),
        T(test_unmap_errors),
        T(test_own_grant),
        T(test_copy_both_ways),
        T(test_copy_by_driver_domain),
        T(test_copy_errors),
        T(test_batches_and_bad_calls),
        T(test_setup_table_and_query_size),
        T(test_mapper_dies),
        T(test_granter_dies_while_mapped),
        T(test_granter_dies_unmapped),
        T(test_granter_dead_unmap_before_its_ram_is_freed),
        T(test_granter_then_mapper_die),
        T(test_iommu_refusal_undoes_the_map),
        T(test_p2m_out_of_memory_undoes_the_map),
        T(test_init_and_grow_without_memory),
        T(test_maptrack_exhaustion),
        cmocka_unit_test_setup_teardown(test_self_mappers_cannot_starve_others, setup_two_big,
                                        teardown),
        T(test_frame_not_ram_at_el2_is_refused),
        T(test_iommu_unmap_failure_keeps_the_pin),
        T(test_add_to_physmap_checks_and_maps_under_one_lock),
        T(test_unmap_batch_releases_after_one_flush),
        cmocka_unit_test_setup_teardown(test_release_queue_full_flushes_first, setup_two_big,
                                        teardown),
        T(test_undone_map_releases_after_flush),
        T(test_unmap_batch_with_errors),
        T(test_faulting_unmap_call_still_releases),
        T(test_dying_mapper_releases_after_one_flush),
        T(test_dump_records_maps_and_unmaps_under_the_table_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
