/*
 * test_pgtable.c — host tests of the VMSAv8-64 table walker (arch/arm64/pgtable.c).
 *
 * The walker is driven with a fake leaf format (oa | valid | AF | type << 55,
 * page bit at level 3), an allocator over aligned_alloc() that counts live
 * pages, and hooks that
 *   - record every descriptor write, sync and TLB flush in an event log, and
 *   - check break-before-make (Arm ARM D8.14.1) online against a shadow of the
 *     table tree, see "BBM checker" below.
 * Every test ends in finish(): no BBM violation, every page freed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <granite/pgtable.h>
#include <granite/errno.h>

#define SZ_4K PAGE_SIZE
#define SZ_512G (1UL << 39)

/* ------------------------------------------------------------------------ */
/* Fake format                                                               */
/* ------------------------------------------------------------------------ */

#define FAKE_TYPE_SHIFT 55

/* The tables under test walk IPAs (PT_SPACE_IPA); the walker does not care. */
#define IA(x) pt_ipa(ipa(x))
#define PA(x) pa(x)

static u64 fake_encode(pa_t oa, unsigned level, unsigned type)
{
    return pa_addr(oa) | DESC_VALID | DESC_AF | ((u64)type << FAKE_TYPE_SHIFT) |
           (level == 3 ? DESC_PAGE : 0);
}

static unsigned fake_type(u64 d) { return (d >> FAKE_TYPE_SHIFT) & 0xf; }

static const struct pt_format fake_format = {
    .name = "fake",
    .encode_leaf = fake_encode,
    .leaf_type = fake_type,
};

/* ------------------------------------------------------------------------ */
/* Event log                                                                 */
/* ------------------------------------------------------------------------ */

enum ev_kind { EV_WRITE, EV_SYNC, EV_FLUSH_IA, EV_FLUSH_ALL };

struct ev {
    enum ev_kind kind;
    u64 *slot;
    u64 old, val;
    u64 ia;
    unsigned level;
};

#define MAX_EVENTS (1U << 16)
static struct ev events[MAX_EVENTS];
static unsigned nr_events;
static bool events_overflowed;

static void events_clear(void)
{
    nr_events = 0;
    events_overflowed = false;
}

static struct ev *add_event(enum ev_kind kind)
{
    static struct ev scratch;
    struct ev *e = &scratch;

    if (nr_events < MAX_EVENTS)
        e = &events[nr_events++];
    else
        events_overflowed = true;
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    return e;
}

static unsigned count_events(enum ev_kind kind)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nr_events; i++)
        n += events[i].kind == kind;
    return n;
}

/* Index of the first write to `slot` at or after `from`, or -1. */
static int find_write(const u64 *slot, unsigned from)
{
    for (unsigned i = from; i < nr_events; i++)
        if (events[i].kind == EV_WRITE && events[i].slot == slot)
            return (int)i;
    return -1;
}

static int find_event(enum ev_kind kind, unsigned from)
{
    for (unsigned i = from; i < nr_events; i++)
        if (events[i].kind == kind)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* BBM checker                                                               */
/*                                                                           */
/* A shadow of the tree (which pages are tables, at which level, covering    */
/* which IA range) is kept from the writes the walker makes.  It checks:     */
/*  1. no write replaces a valid descriptor by a different valid one;        */
/*  2. after a valid entry is made invalid, no valid entry is written to the */
/*     same slot until a TLB invalidation covering it has been issued:       */
/*     FLUSH_ALL, or FLUSH_IA of an address in its range at its level (a     */
/*     table entry needs FLUSH_ALL: its walk-cache entries span its range);  */
/*  3. a table page is published only right after a SYNC (its contents must  */
/*     be visible before the pointer to it);                                 */
/*  4. a table page is freed only once unreachable and after a FLUSH_ALL     */
/*     issued since it became unreachable;                                   */
/*  5. every write lands in a reachable table.                               */
/* ------------------------------------------------------------------------ */

#define MAX_SHADOW 4096
#define MAX_DIRTY 8192

struct shadow {
    bool used, reachable;
    u64 *page;
    unsigned entries;
    unsigned level;
    u64 base_ia;
    int parent;
    unsigned unlink_epoch; /* flush_all_epoch when it became unreachable */
};

struct dirty {
    u64 *slot;
    u64 ia, size;
    unsigned level;
    bool table;
};

static struct shadow shadows[MAX_SHADOW];
static struct dirty dirties[MAX_DIRTY];
static unsigned nr_dirty;
static unsigned flush_all_epoch;
static bool checker_off; /* during pt_destroy(): the caller flushed already */
static unsigned violations;
static char first_violation[256];
static unsigned long writes_checked;

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
    va_list ap;

    if (violations++ == 0) {
        va_start(ap, fmt);
        vsnprintf(first_violation, sizeof(first_violation), fmt, ap);
        va_end(ap);
        print_error("BBM checker: %s\n", first_violation);
    }
}

static u64 lsize(unsigned level) { return 1UL << pt_level_shift(level); }
static bool d_valid(u64 d) { return d & DESC_VALID; }
static bool d_table(u64 d, unsigned level) { return level < 3 && (d & 3) == 3; }

static void checker_reset(void)
{
    memset(shadows, 0, sizeof(shadows));
    nr_dirty = 0;
    flush_all_epoch = 0;
    checker_off = false;
    violations = 0;
    first_violation[0] = '\0';
    writes_checked = 0;
}

static int shadow_add(u64 *page, unsigned entries, unsigned level, u64 base_ia, int parent)
{
    for (int i = 0; i < MAX_SHADOW; i++) {
        if (shadows[i].used)
            continue;
        shadows[i] = (struct shadow){ .used = true, .reachable = true, .page = page,
                                      .entries = entries, .level = level,
                                      .base_ia = base_ia, .parent = parent };
        return i;
    }
    fail_msg("shadow table full");
    return -1;
}

static int shadow_of_page(const u64 *page)
{
    for (int i = 0; i < MAX_SHADOW; i++)
        if (shadows[i].used && shadows[i].page == page)
            return i;
    return -1;
}

static int shadow_of_slot(const u64 *slot)
{
    for (int i = 0; i < MAX_SHADOW; i++)
        if (shadows[i].used && slot >= shadows[i].page &&
            slot < shadows[i].page + shadows[i].entries)
            return i;
    return -1;
}

static void shadow_unlink(int i)
{
    shadows[i].reachable = false;
    shadows[i].unlink_epoch = flush_all_epoch;
    for (int j = 0; j < MAX_SHADOW; j++)
        if (shadows[j].used && shadows[j].parent == i && shadows[j].reachable)
            shadow_unlink(j);
}

static bool slot_dirty(const u64 *slot)
{
    for (unsigned i = 0; i < nr_dirty; i++)
        if (dirties[i].slot == slot)
            return true;
    return false;
}

static void check_write(u64 *slot, u64 old, u64 val)
{
    int s = shadow_of_slot(slot);
    unsigned level, idx;
    u64 ia;

    writes_checked++;
    if (s < 0 || !shadows[s].reachable) {
        violation("write to %p, which is in no reachable table", (void *)slot);
        return;
    }
    level = shadows[s].level;
    idx = (unsigned)(slot - shadows[s].page);
    ia = shadows[s].base_ia + idx * lsize(level);

    if (d_valid(old) && d_valid(val) && old != val)
        violation("slot for IA 0x%lx level %u: valid 0x%lx overwritten by valid 0x%lx", ia,
                  level, old, val);
    if (d_valid(val) && slot_dirty(slot))
        violation("slot for IA 0x%lx level %u: valid 0x%lx written before the old entry's "
                  "invalidation", ia, level, val);
    if (d_table(old, level)) {
        int c = shadow_of_page((u64 *)(uintptr_t)(old & DESC_OA_MASK));
        if (c < 0)
            violation("IA 0x%lx level %u: unlinking an unknown table", ia, level);
        else if (!(d_table(val, level) && (val & DESC_OA_MASK) == (old & DESC_OA_MASK)))
            shadow_unlink(c);
    }
    if (d_valid(old) && !d_valid(val)) {
        if (nr_dirty == MAX_DIRTY)
            fail_msg("dirty list full");
        dirties[nr_dirty++] = (struct dirty){ slot, ia, lsize(level), level,
                                              d_table(old, level) };
    }
    if (d_table(val, level) && !(d_table(old, level) && old == val)) {
        u64 *child = (u64 *)(uintptr_t)(val & DESC_OA_MASK);
        if (nr_events < 2 || events[nr_events - 2].kind != EV_SYNC)
            violation("IA 0x%lx level %u: table published without a SYNC just before", ia,
                      level);
        if (shadow_of_page(child) >= 0)
            violation("IA 0x%lx level %u: table %p published twice", ia, level, (void *)child);
        else
            shadow_add(child, PT_ENTRIES, level + 1, ia, s);
    }
}

static void check_flush_ia(u64 ia, unsigned level)
{
    for (unsigned i = 0; i < nr_dirty;) {
        struct dirty *d = &dirties[i];
        if (!d->table && d->level == level && ia >= d->ia && ia - d->ia < d->size)
            dirties[i] = dirties[--nr_dirty];
        else
            i++;
    }
}

static void check_flush_all(void)
{
    nr_dirty = 0;
    flush_all_epoch++;
}

static void check_free(void *p, unsigned order)
{
    int s = shadow_of_page(p);

    if (s < 0)
        return; /* never published */
    if (!checker_off) {
        if (shadows[s].reachable)
            violation("table %p (level %u, IA 0x%lx) freed while reachable", p,
                      shadows[s].level, shadows[s].base_ia);
        else if (shadows[s].unlink_epoch == flush_all_epoch)
            violation("table %p (level %u, IA 0x%lx) freed with no FLUSH_ALL since it was "
                      "unlinked", p, shadows[s].level, shadows[s].base_ia);
    }
    if (shadows[s].entries != (unsigned)PT_ENTRIES << order)
        violation("table %p freed with order %u", p, order);
    /* A freed page may come back from aligned_alloc(): forget its slots. */
    for (unsigned i = 0; i < nr_dirty;) {
        if (dirties[i].slot >= (u64 *)p && dirties[i].slot < (u64 *)p + shadows[s].entries)
            dirties[i] = dirties[--nr_dirty];
        else
            i++;
    }
    shadows[s].used = false;
}

/* ------------------------------------------------------------------------ */
/* Hooks and allocator                                                       */
/* ------------------------------------------------------------------------ */

static void h_write(struct pgtable *pt unused, u64 *slot, u64 d)
{
    struct ev *e = add_event(EV_WRITE);
    e->slot = slot;
    e->old = *slot;
    e->val = d;
    check_write(slot, e->old, d);
    *slot = d;
}

static void h_sync(struct pgtable *pt unused) { add_event(EV_SYNC); }

static void h_flush_ia(struct pgtable *pt unused, pt_ia_t ia, unsigned level)
{
    struct ev *e = add_event(EV_FLUSH_IA);
    e->ia = pt_ia_addr(ia);
    e->level = level;
    check_flush_ia(e->ia, level);
}

static void h_flush_all(struct pgtable *pt unused)
{
    add_event(EV_FLUSH_ALL);
    check_flush_all();
}

static const struct pt_hooks rec_hooks = {
    .write_desc = h_write,
    .sync = h_sync,
    .flush_ia = h_flush_ia,
    .flush_all = h_flush_all,
};

struct test_alloc {
    long live_pages;
    int fail_countdown; /* -1: never; n: the n-th next allocation fails */
    unsigned nr_allocs;
};

static struct test_alloc talloc;

static void *t_alloc(void *ctx, unsigned order)
{
    struct test_alloc *a = ctx;
    size_t size = PAGE_SIZE << order;
    void *p;

    if (a->fail_countdown == 0) {
        a->fail_countdown = -1;
        return NULL;
    }
    if (a->fail_countdown > 0)
        a->fail_countdown--;
    p = aligned_alloc(size, size);
    assert_non_null(p);
    memset(p, 0, size);
    a->live_pages += 1L << order;
    a->nr_allocs++;
    return p;
}

static void t_free(void *ctx, void *p, unsigned order)
{
    struct test_alloc *a = ctx;

    check_free(p, order);
    a->live_pages -= 1L << order;
    free(p);
}

static const struct pt_allocator test_allocator = {
    .alloc = t_alloc, .free = t_free, .ctx = &talloc,
};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static struct pgtable pt;

static void start(unsigned ia_bits, unsigned root_level, unsigned root_order)
{
    talloc = (struct test_alloc){ .fail_countdown = -1 };
    checker_reset();
    events_clear();
    assert_int_equal(pt_init(&pt, PT_SPACE_IPA, ia_bits, root_level, root_order, &fake_format,
                             &rec_hooks, &test_allocator, NULL),
                     0);
    assert_int_equal(talloc.live_pages, 1L << root_order);
    assert_int_equal(pt.nr_tables, 1U << root_order);
    shadow_add(pt.root, (PT_ENTRIES << root_order), root_level, 0, -1);
}

/* Every test ends here: the tree obeyed BBM and gave every page back. */
static void finish(void)
{
    assert_int_equal(violations, 0);
    assert_int_equal(pt.nr_tables, talloc.live_pages);
    checker_off = true;
    pt_destroy(&pt);
    assert_null(pt.root);
    assert_int_equal(pt.nr_tables, 0);
    assert_int_equal(talloc.live_pages, 0);
    assert_false(events_overflowed);
}

static void expect_mapped(u64 ia, u64 oa, unsigned type, unsigned level)
{
    pa_t got = PA(~0UL);
    unsigned got_type = ~0U, got_level = ~0U;
    u64 got_oa;

    if (!pt_lookup(&pt, IA(ia), &got, &got_type, &got_level))
        fail_msg("IA 0x%lx: not mapped, expected OA 0x%lx", ia, oa);
    got_oa = pa_addr(got);
    if (got_oa != oa || got_type != type || got_level != level)
        fail_msg("IA 0x%lx: OA 0x%lx type %u level %u, expected OA 0x%lx type %u level %u", ia,
                 got_oa, got_type, got_level, oa, type, level);
}

static void expect_unmapped(u64 ia)
{
    pa_t oa;
    if (pt_lookup(&pt, IA(ia), &oa, NULL, NULL))
        fail_msg("IA 0x%lx: mapped to 0x%lx, expected unmapped", ia, pa_addr(oa));
}

/* The descriptor slot for `ia` at `level`, or NULL if the walk stops above it. */
static u64 *slot_at(u64 ia, unsigned level)
{
    u64 *table = pt.root;

    for (unsigned l = pt.root_level;; l++) {
        unsigned entries = l == pt.root_level ? 1U << (pt.ia_bits - pt_level_shift(l))
                                               : PT_ENTRIES;
        u64 *slot = &table[(ia >> pt_level_shift(l)) & (entries - 1)];
        if (l == level)
            return slot;
        if (!d_table(*slot, l))
            return NULL;
        table = (u64 *)(uintptr_t)(*slot & DESC_OA_MASK);
    }
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                     */
/* ------------------------------------------------------------------------ */

/* A 4 KiB page is a level-3 page descriptor (bits[1:0] = 0b11) reached through
 * one table per level; its neighbours stay invalid.  Making an invalid entry
 * valid needs no TLB invalidation. */
static void test_map_single_page_and_lookup(void **state unused)
{
    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(0x40001000), PA(0x80005000), SZ_4K, 3), 0);

    expect_mapped(0x40001000, 0x80005000, 3, 3);
    expect_mapped(0x40001abc, 0x80005abc, 3, 3);
    expect_unmapped(0x40000000);
    expect_unmapped(0x40000fff);
    expect_unmapped(0x40002000);
    expect_unmapped(0);
    assert_int_equal(*slot_at(0x40001000, 3), fake_encode(PA(0x80005000), 3, 3));
    assert_int_equal(pt.nr_tables, 4); /* root + L1 + L2 + L3 */
    assert_int_equal(count_events(EV_FLUSH_IA) + count_events(EV_FLUSH_ALL), 0);
    /* An IA beyond the input size is never translated. */
    assert_false(pt_lookup(&pt, IA(1UL << 48), NULL, NULL, NULL));
    finish();
}

/* A range aligned to 2 MiB at both IA and OA is one level-2 block
 * (bits[1:0] = 0b01), with no level-3 table. */
static void test_map_2m_aligned_uses_level2_block(void **state unused)
{
    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(0x40200000), PA(0x80400000), SZ_2M, 1), 0);
    expect_mapped(0x40200000, 0x80400000, 1, 2);
    expect_mapped(0x403ff000, 0x805ff000, 1, 2);
    expect_unmapped(0x40400000);
    expect_unmapped(0x401ff000);
    assert_int_equal(*slot_at(0x40200000, 2) & 3, DESC_VALID);
    assert_int_equal(pt.nr_tables, 3); /* root + L1 + L2 */
    finish();
}

/* A range aligned to 1 GiB at both IA and OA is one level-1 block. */
static void test_map_1g_aligned_uses_level1_block(void **state unused)
{
    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(0x80000000), PA(0x1c0000000), SZ_1G, 2), 0);
    expect_mapped(0x80000000, 0x1c0000000, 2, 1);
    expect_mapped(0xbffff000, 0x1fffff000, 2, 1);
    expect_unmapped(0xc0000000);
    assert_int_equal(*slot_at(0x80000000, 1) & 3, DESC_VALID);
    assert_int_equal(pt.nr_tables, 2); /* root + L1 */
    finish();
}

/* A block needs its OA aligned to the block size too: an IA-aligned range with
 * a misaligned OA falls back to the largest entries the OA allows. */
static void test_map_misaligned_oa_falls_back_to_smaller_entries(void **state unused)
{
    start(48, 0, 0);
    /* 2 MiB at a 2 MiB IA, OA only 4 KiB aligned: 512 pages. */
    assert_int_equal(pt_map(&pt, IA(0x40000000), PA(0x80001000), SZ_2M, 1), 0);
    for (u64 off = 0; off < SZ_2M; off += SZ_4K)
        expect_mapped(0x40000000 + off, 0x80001000 + off, 1, 3);
    /* 1 GiB at a 1 GiB IA, OA only 2 MiB aligned: 512 level-2 blocks. */
    assert_int_equal(pt_map(&pt, IA(0x80000000), PA(0x100200000), SZ_1G, 2), 0);
    for (u64 off = 0; off < SZ_1G; off += SZ_2M)
        expect_mapped(0x80000000 + off, 0x100200000 + off, 2, 2);
    finish();
}

/* 1 GiB + 4 KiB from a 1 GiB boundary: one level-1 block and one page. */
static void test_map_1g_plus_page_uses_block_and_page(void **state unused)
{
    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(SZ_1G), PA(2 * SZ_1G), SZ_1G + SZ_4K, 4), 0);
    expect_mapped(SZ_1G, 2 * SZ_1G, 4, 1);
    expect_mapped(2 * SZ_1G - SZ_4K, 3 * SZ_1G - SZ_4K, 4, 1);
    expect_mapped(2 * SZ_1G, 3 * SZ_1G, 4, 3);
    expect_unmapped(2 * SZ_1G + SZ_4K);
    expect_unmapped(SZ_1G - SZ_4K);
    assert_int_equal(pt.nr_tables, 4); /* root + L1 + L2 + L3 for the page */
    finish();
}

/* Unmapping a page inside a block splits it: the new table maps what the block
 * mapped minus the hole.  Break-before-make: the block is invalidated, its TLB
 * entry flushed, and only then is the table descriptor written. */
static void test_split_block_on_partial_unmap_follows_bbm(void **state unused)
{
    const u64 ia = 0x40200000, oa = 0x80600000, hole = ia + 0x100000;
    u64 *l2;
    int brk, flush, publish;

    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(ia), PA(oa), SZ_2M, 5), 0);
    l2 = slot_at(ia, 2);
    assert_non_null(l2);
    u64 block = *l2;
    events_clear();

    assert_int_equal(pt_unmap(&pt, IA(hole), SZ_4K), 0);
    pt_finish(&pt);

    expect_unmapped(hole);
    for (u64 off = 0; off < SZ_2M; off += SZ_4K)
        if (ia + off != hole)
            expect_mapped(ia + off, oa + off, 5, 3);

    brk = find_write(l2, 0);
    assert_true(brk >= 0);
    assert_int_equal(events[brk].old, block);
    assert_int_equal(events[brk].val, 0);
    flush = find_event(EV_FLUSH_IA, brk);
    assert_true(flush > brk);
    assert_int_equal(events[flush].ia, ia);
    assert_int_equal(events[flush].level, 2);
    publish = find_write(l2, brk + 1);
    assert_true(publish > flush);
    assert_int_equal(events[publish].val & 3, 3); /* a table descriptor */
    assert_int_equal(events[publish - 1].kind, EV_SYNC);
    finish();
}

/* Changing the OA of a live page: WRITE(0), FLUSH_IA(ia, 3), WRITE(new). */
static void test_replace_page_follows_bbm(void **state unused)
{
    const u64 ia = 0x40003000;
    u64 *slot;

    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(ia), PA(0x80000000), SZ_4K, 1), 0);
    slot = slot_at(ia, 3);
    events_clear();
    assert_int_equal(pt_map(&pt, IA(ia), PA(0x90000000), SZ_4K, 1), 0);

    assert_true(nr_events >= 3);
    assert_int_equal(events[0].kind, EV_WRITE);
    assert_ptr_equal(events[0].slot, slot);
    assert_int_equal(events[0].old, fake_encode(PA(0x80000000), 3, 1));
    assert_int_equal(events[0].val, 0);
    assert_int_equal(events[1].kind, EV_FLUSH_IA);
    assert_int_equal(events[1].ia, ia);
    assert_int_equal(events[1].level, 3);
    assert_int_equal(events[2].kind, EV_WRITE);
    assert_ptr_equal(events[2].slot, slot);
    assert_int_equal(events[2].val, fake_encode(PA(0x90000000), 3, 1));
    expect_mapped(ia, 0x90000000, 1, 3);

    /* Re-mapping the same thing changes nothing and needs no maintenance. */
    events_clear();
    assert_int_equal(pt_map(&pt, IA(ia), PA(0x90000000), SZ_4K, 1), 0);
    assert_int_equal(count_events(EV_WRITE), 0);
    finish();
}

/* 512 contiguous pages with the same attributes, filling an aligned 2 MiB, are
 * merged into one level-2 block and the level-3 table is freed (after a flush). */
static void test_merge_512_pages_into_2m_block(void **state unused)
{
    const u64 ia = 0x40400000, oa = 0x100000000;

    start(48, 0, 0);
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        assert_int_equal(pt_map(&pt, IA(ia + i * SZ_4K), PA(oa + i * SZ_4K), SZ_4K, 2), 0);
        if (i == PT_ENTRIES - 2) {
            expect_mapped(ia, oa, 2, 3);
            assert_int_equal(talloc.live_pages, 4);
        }
    }
    expect_mapped(ia, oa, 2, 2);
    expect_mapped(ia + SZ_2M - SZ_4K, oa + SZ_2M - SZ_4K, 2, 2);
    assert_int_equal(talloc.live_pages, 3); /* root + L1 + L2: the L3 table is gone */
    assert_int_equal(pt.nr_tables, 3);
    finish();
}

/* 512 contiguous 2 MiB blocks filling an aligned 1 GiB become one level-1 block. */
static void test_merge_512_blocks_into_1g_block(void **state unused)
{
    start(48, 0, 0);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        assert_int_equal(pt_map(&pt, IA(SZ_1G + i * SZ_2M), PA(4 * SZ_1G + i * SZ_2M), SZ_2M, 1),
                         0);
    expect_mapped(SZ_1G, 4 * SZ_1G, 1, 1);
    assert_int_equal(talloc.live_pages, 2); /* root + L1 */
    finish();
}

/* No merge when the pages are not one uniform block: a different type, a
 * discontiguous OA, a hole, or an OA base that is not block aligned. */
static void test_no_merge_when_not_uniform(void **state unused)
{
    const u64 ia = 0x40000000;

    start(48, 0, 0);
    /* Different type in the last page. */
    assert_int_equal(pt_map(&pt, IA(ia), PA(0x80000000), SZ_2M - SZ_4K, 1), 0);
    assert_int_equal(pt_map(&pt, IA(ia + SZ_2M - SZ_4K), PA(0x80000000 + SZ_2M - SZ_4K), SZ_4K, 2),
                     0);
    expect_mapped(ia, 0x80000000, 1, 3);
    /* Discontiguous OA in the last page. */
    assert_int_equal(pt_map(&pt, IA(ia + SZ_2M), PA(0x80200000), SZ_2M - SZ_4K, 1), 0);
    assert_int_equal(pt_map(&pt, IA(ia + 2 * SZ_2M - SZ_4K), PA(0x90000000), SZ_4K, 1), 0);
    expect_mapped(ia + SZ_2M, 0x80200000, 1, 3);
    /* A hole. */
    assert_int_equal(pt_map(&pt, IA(ia + 2 * SZ_2M), PA(0x80400000), SZ_2M - SZ_4K, 1), 0);
    expect_mapped(ia + 2 * SZ_2M, 0x80400000, 1, 3);
    expect_unmapped(ia + 3 * SZ_2M - SZ_4K);
    /* Contiguous, uniform, but the OA is not 2 MiB aligned. */
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        assert_int_equal(pt_map(&pt, IA(ia + 3 * SZ_2M + i * SZ_4K), PA(0x80801000 + i * SZ_4K),
                                SZ_4K, 1),
                         0);
    expect_mapped(ia + 3 * SZ_2M, 0x80801000, 1, 3);
    assert_int_equal(talloc.live_pages, 3 + 4);
    finish();
}

/* Mapping a block over a range that has a level-3 table replaces the table:
 * the table is unlinked, everything flushed, and only then freed. */
static void test_block_over_table_frees_table_after_flush(void **state unused)
{
    const u64 ia = 0x40000000;

    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(ia + 0x5000), PA(0x70000000), 3 * SZ_4K, 1), 0);
    assert_int_equal(talloc.live_pages, 4);
    events_clear();
    assert_int_equal(pt_map(&pt, IA(ia), PA(0x80000000), SZ_2M, 2), 0);
    expect_mapped(ia + 0x5000, 0x80005000, 2, 2);
    assert_int_equal(talloc.live_pages, 3);
    assert_int_equal(count_events(EV_FLUSH_ALL), 1);
    finish(); /* the checker verified the free came after the flush */
}

/* Mapping a 2 MiB range inside a 1 GiB block splits the block into 512
 * level-2 blocks (BBM on the level-1 slot), then replaces one of them. */
static void test_split_1g_block_into_2m_blocks(void **state unused)
{
    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(SZ_1G), PA(8 * SZ_1G), SZ_1G, 1), 0);
    assert_int_equal(pt_map(&pt, IA(SZ_1G + 10 * SZ_2M), PA(0x40000000), SZ_2M, 3), 0);
    expect_mapped(SZ_1G, 8 * SZ_1G, 1, 2);
    expect_mapped(SZ_1G + 9 * SZ_2M, 8 * SZ_1G + 9 * SZ_2M, 1, 2);
    expect_mapped(SZ_1G + 10 * SZ_2M, 0x40000000, 3, 2);
    expect_mapped(SZ_1G + 11 * SZ_2M, 8 * SZ_1G + 11 * SZ_2M, 1, 2);
    assert_int_equal(talloc.live_pages, 3);
    /* Put the original back: the level-2 table merges into the 1 GiB block again. */
    assert_int_equal(pt_map(&pt, IA(SZ_1G + 10 * SZ_2M), PA(8 * SZ_1G + 10 * SZ_2M), SZ_2M, 1), 0);
    expect_mapped(SZ_1G, 8 * SZ_1G, 1, 1);
    assert_int_equal(talloc.live_pages, 2);
    finish();
}

/* Unmapping everything frees every intermediate table; leaf removals defer
 * their TLB invalidation to pt_finish(), which issues exactly one FLUSH_ALL. */
static void test_unmap_everything_frees_tables_and_defers_one_flush(void **state unused)
{
    static const struct { u64 ia, oa, size; } maps[] = {
        { 0x40000000, 0x80000000, SZ_2M },          /* a level-2 block */
        { 0x40200000, 0x80201000, 16 * SZ_4K },     /* pages */
        { 5 * SZ_1G, 0x200000000, SZ_1G },          /* a level-1 block */
        { SZ_512G + 0x3000, 0x1000, SZ_4K },        /* a page under another L0 entry */
    };
    int mark;

    start(48, 0, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(maps); i++)
        assert_int_equal(pt_map(&pt, IA(maps[i].ia), PA(maps[i].oa), maps[i].size, 1), 0);
    assert_int_equal(talloc.live_pages, 1 + 3 + 3);

    /* A single leaf: written to 0, its flush deferred. */
    events_clear();
    assert_int_equal(pt_unmap(&pt, IA(0x40200000), SZ_4K), 0);
    assert_int_equal(count_events(EV_WRITE), 1);
    assert_int_equal(count_events(EV_FLUSH_ALL) + count_events(EV_FLUSH_IA), 0);
    assert_true(pt.need_flush);
    pt_finish(&pt);
    assert_int_equal(count_events(EV_FLUSH_ALL), 1);
    assert_false(pt.need_flush);

    /* Everything, range by range, in one critical section. */
    for (unsigned i = 0; i < ARRAY_SIZE(maps); i++)
        assert_int_equal(pt_unmap(&pt, IA(maps[i].ia), maps[i].size), 0);
    assert_int_equal(talloc.live_pages, 1);
    assert_int_equal(pt.nr_tables, 1);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        assert_int_equal(pt.root[i], 0);
    mark = (int)nr_events;
    pt_finish(&pt);
    assert_int_equal(nr_events - mark, 1);
    assert_int_equal(events[mark].kind, EV_FLUSH_ALL);
    /* Nothing pending: a second pt_finish() does nothing. */
    pt_finish(&pt);
    assert_int_equal(nr_events - mark, 1);
    expect_unmapped(0x40000000);
    expect_unmapped(SZ_512G + 0x3000);

    /* The whole input range in one call does the same. */
    for (unsigned i = 0; i < ARRAY_SIZE(maps); i++)
        assert_int_equal(pt_map(&pt, IA(maps[i].ia), PA(maps[i].oa), maps[i].size, 1), 0);
    assert_int_equal(pt_unmap(&pt, IA(0), 1UL << 48), 0);
    mark = (int)nr_events;
    pt_finish(&pt);
    assert_true(nr_events - mark <= 1);
    assert_int_equal(talloc.live_pages, 1);
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        assert_int_equal(pt.root[i], 0);

    /* Unmapping what is not mapped is fine and writes nothing. */
    events_clear();
    assert_int_equal(pt_unmap(&pt, IA(0x40000000), SZ_1G), 0);
    pt_finish(&pt);
    assert_int_equal(nr_events, 0);
    finish();
}

/* Addresses and sizes must be page aligned, non-empty and inside the input
 * range; a rejected call touches nothing. */
static void test_bad_arguments_rejected_without_events(void **state unused)
{
    start(40, 1, 1);
    assert_int_equal(pt_map(&pt, IA(0x1000), PA(0x2000), SZ_4K, 1), 0);
    events_clear();

    assert_int_equal(pt_map(&pt, IA(0x40000800), PA(0x80000000), SZ_4K, 1), -EINVAL);
    assert_int_equal(pt_map(&pt, IA(0x40000000), PA(0x80000010), SZ_4K, 1), -EINVAL);
    assert_int_equal(pt_map(&pt, IA(0x40000000), PA(0x80000000), 100, 1), -EINVAL);
    assert_int_equal(pt_map(&pt, IA(0x40000000), PA(0x80000000), 0, 1), -EINVAL);
    assert_int_equal(pt_map(&pt, IA(1UL << 40), PA(0x80000000), SZ_4K, 1), -EINVAL);
    assert_int_equal(pt_map(&pt, IA((1UL << 40) - SZ_4K), PA(0x80000000), 2 * SZ_4K, 1), -EINVAL);
    /* would alias IA 0: */
    assert_int_equal(pt_map(&pt, IA(1UL << 41), PA(0x80000000), SZ_4K, 1), -EINVAL);
    assert_int_equal(pt_map(&pt, IA(~0UL & PAGE_MASK), PA(0x80000000), SZ_4K, 1), -EINVAL);
    assert_int_equal(pt_map(&pt, IA(SZ_4K), PA(0), ~0UL & PAGE_MASK, 1), -EINVAL); /* huge size */
    /* OA > 48 bits: */
    assert_int_equal(pt_map(&pt, IA(0x40000000), PA(1UL << 48), SZ_4K, 1), -EINVAL);
    assert_int_equal(pt_unmap(&pt, IA(0x1800), SZ_4K), -EINVAL);
    assert_int_equal(pt_unmap(&pt, IA(0x1000), 0x800), -EINVAL);
    assert_int_equal(pt_unmap(&pt, IA(0x1000), 0), -EINVAL);
    assert_int_equal(pt_unmap(&pt, IA(1UL << 40), SZ_4K), -EINVAL);
    /* would hit IA 0x1000: */
    assert_int_equal(pt_unmap(&pt, IA((1UL << 41) + 0x1000), SZ_4K), -EINVAL);
    assert_int_equal(pt_unmap(&pt, IA(0), (1UL << 40) + SZ_4K), -EINVAL);
    /* An address of another space than the table's is refused, never walked. */
    assert_int_equal(pt_map(&pt, pt_va(va(0x40000000)), PA(0x80000000), SZ_4K, 1), -EINVAL);
    assert_int_equal(pt_unmap(&pt, pt_iova(iova(0x1000)), SZ_4K), -EINVAL);
    assert_false(pt_lookup(&pt, pt_va(va(0x1000)), NULL, NULL, NULL));

    assert_int_equal(nr_events, 0);
    expect_mapped(0x1000, 0x2000, 1, 3);
    finish();
}

/* The output address may use all 48 bits of a 4 KiB-granule descriptor's
 * OA field (bits [47:12]): the last page below 2^48 is a valid OA. */
static void test_map_accepts_last_page_of_48bit_oa_space(void **state unused)
{
    const u64 top = (1UL << 48) - SZ_4K;

    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(0x1000), PA(top), SZ_4K, 1), 0);
    expect_mapped(0x1000, top, 1, 3);
    assert_int_equal(pt_map(&pt, IA(SZ_2M), PA((1UL << 48) - SZ_2M), SZ_2M, 1), 0);
    expect_mapped(SZ_2M, (1UL << 48) - SZ_2M, 1, 2);
    finish();
}

/* An OA range that wraps around 2^64 is not a valid range: rejected, nothing
 * written (else the OA's high bits would land in the descriptor's attributes). */
static void test_map_rejects_oa_range_that_wraps(void **state unused)
{
    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(0x40000000), PA(0xfffffffffffff000UL), 2 * SZ_4K, 1), -EINVAL);
    assert_int_equal(nr_events, 0);
    expect_unmapped(0x40000000);
    finish();
}

/* A 40-bit input range starting at level 1 needs 1024 root entries: two
 * concatenated pages (Arm ARM D8.2.7).  Both halves are distinct entries, and
 * the top of the space is reachable. */
static void test_concatenated_root_40bit(void **state unused)
{
    const u64 top = 1UL << 40;

    start(40, 1, 1);
    assert_int_equal(pt_map(&pt, IA(top - SZ_4K), PA(0x80000000), SZ_4K, 1), 0);
    assert_int_equal(pt_map(&pt, IA(top - 2 * SZ_1G), PA(0x40000000), SZ_1G, 2), 0);
    assert_int_equal(pt_map(&pt, IA(0), PA(0x1000000000), SZ_1G, 3), 0);
    assert_int_equal(pt_map(&pt, IA(SZ_512G), PA(0x2000000000), SZ_1G, 4), 0);
    expect_mapped(top - SZ_4K, 0x80000000, 1, 3);
    expect_mapped(top - 2 * SZ_1G, 0x40000000, 2, 1);
    expect_mapped(0, 0x1000000000, 3, 1);
    expect_mapped(SZ_512G, 0x2000000000, 4, 1);
    expect_unmapped(top - 2 * SZ_4K);
    expect_unmapped(SZ_512G - SZ_1G);
    assert_int_equal(pt.root[1023] & 3, 3); /* last entry of the second page: a table */
    assert_int_equal(pt.root[512], fake_encode(PA(0x2000000000), 1, 4));
    assert_int_equal(pt.root[0], fake_encode(PA(0x1000000000), 1, 3));
    assert_int_equal(pt_unmap(&pt, IA(0), top), 0);
    pt_finish(&pt);
    assert_int_equal(talloc.live_pages, 2);
    finish();
}

/* 42 bits at level 1: 4096 root entries in eight concatenated pages. */
static void test_concatenated_root_42bit(void **state unused)
{
    const u64 top = 1UL << 42;

    start(42, 1, 3);
    assert_int_equal(pt_map(&pt, IA(top - SZ_2M), PA(0x80000000), SZ_2M, 1), 0);
    assert_int_equal(pt_map(&pt, IA(3 * SZ_512G + SZ_4K), PA(0x1000), SZ_4K, 2), 0);
    expect_mapped(top - SZ_2M, 0x80000000, 1, 2);
    expect_mapped(3 * SZ_512G + SZ_4K, 0x1000, 2, 3);
    expect_unmapped(SZ_4K);
    assert_int_equal(pt.root[4095] & 3, 3);
    assert_int_equal(pt.root[3 * 512] & 3, 3);
    assert_int_equal(pt.nr_tables, 8 + 1 + 2);
    assert_false(pt_lookup(&pt, IA(top), NULL, NULL, NULL));
    finish();
}

/* pt_init() refuses geometries the 4 KiB granule cannot express: start level
 * 3, more than 48 bits, a root of more than 16 pages, a root too small for the
 * input range, an input range no larger than one root entry. */
static int init_t(struct pgtable *t, unsigned ia_bits, unsigned root_level, unsigned root_order)
{
    return pt_init(t, PT_SPACE_IPA, ia_bits, root_level, root_order, &fake_format, &rec_hooks,
                   &test_allocator, NULL);
}

static void test_pt_init_rejects_bad_geometry(void **state unused)
{
    struct pgtable t;

    talloc = (struct test_alloc){ .fail_countdown = -1 };
    checker_reset();
    assert_int_equal(init_t(&t, 39, 3, 0), -EINVAL);
    assert_int_equal(init_t(&t, 49, 0, 0), -EINVAL);
    assert_int_equal(init_t(&t, 40, 1, 5), -EINVAL);
    assert_int_equal(init_t(&t, 41, 1, 1), -EINVAL);
    assert_int_equal(init_t(&t, 48, 1, 4), -EINVAL);
    assert_int_equal(init_t(&t, 30, 1, 0), -EINVAL);
    assert_int_equal(talloc.live_pages, 0);
    /* No memory for the root. */
    talloc.fail_countdown = 0;
    assert_int_equal(init_t(&t, 48, 0, 0), -ENOMEM);
    assert_int_equal(talloc.live_pages, 0);
}

/* An allocation failure part-way through a map: -ENOMEM, what was mapped stays
 * mapped correctly, nothing else is, the table still works, nothing leaks.
 * Tried with the failure at every allocation the map makes. */
static void test_enomem_mid_map_leaves_table_consistent(void **state unused)
{
    /* 8 KiB before a 1 GiB boundary to 8 KiB after the next 2 MiB: pages,
     * blocks and pages again, over two level-2 tables. */
    const u64 ia = 0x3fe00000 - 2 * SZ_4K, size = 0x40400000 + 2 * SZ_4K - ia;
    const u64 delta = 0x100000000;
    bool saw_enomem = false;

    for (int k = 0; k < 16; k++) {
        int ret;

        start(48, 0, 0);
        talloc.fail_countdown = k;
        ret = pt_map(&pt, IA(ia), PA(ia + delta), size, 1);
        if (ret == 0) {
            /* Enough allocations: the failure point is past the last one. */
            talloc.fail_countdown = -1;
            finish();
            break;
        }
        assert_int_equal(ret, -ENOMEM);
        saw_enomem = true;
        for (u64 a = ia - SZ_4K; a < ia + size + SZ_4K; a += SZ_4K) {
            pa_t oa;
            unsigned type, level;
            if (pt_lookup(&pt, IA(a), &oa, &type, &level)) {
                assert_true(a >= ia && a < ia + size);
                assert_int_equal(pa_addr(oa), a + delta);
                assert_int_equal(type, 1);
            }
        }
        assert_int_equal(pt.nr_tables, talloc.live_pages);
        /* The table is usable: the same map now completes. */
        assert_int_equal(pt_map(&pt, IA(ia), PA(ia + delta), size, 1), 0);
        expect_mapped(ia, ia + delta, 1, 3);
        expect_mapped(0x40000000, 0x40000000 + delta, 1, 2);
        expect_mapped(ia + size - SZ_4K, ia + size - SZ_4K + delta, 1, 3);
        finish();
    }
    assert_true(saw_enomem);
}

/* Splitting a block needs a new table: if it cannot be allocated, the unmap
 * fails with -ENOMEM before touching the block. */
static void test_enomem_during_split_keeps_block(void **state unused)
{
    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(0x40000000), PA(0x80000000), SZ_2M, 1), 0);
    events_clear();
    talloc.fail_countdown = 0;
    assert_int_equal(pt_unmap(&pt, IA(0x40010000), SZ_4K), -ENOMEM);
    pt_finish(&pt);
    assert_int_equal(count_events(EV_WRITE), 0);
    expect_mapped(0x40010000, 0x80010000, 1, 2);
    finish();
}

/* Removals may defer their TLB flush to pt_finish(), which callers run "before
 * dropping the lock" — so a caller may unmap and then map the same IA under
 * one lock.  Break-before-make still requires the invalidation of the old
 * entry before the new valid one is written. */
static void test_unmap_then_map_before_finish_keeps_bbm(void **state unused)
{
    const u64 ia = 0x40005000;

    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(0x40000000), PA(0x80000000), 16 * SZ_4K, 1), 0);
    assert_int_equal(pt_unmap(&pt, IA(ia), SZ_4K), 0);
    /* no pt_finish() here: same critical section */
    assert_int_equal(pt_map(&pt, IA(ia), PA(0x90000000), SZ_4K, 1), 0);
    pt_finish(&pt);
    expect_mapped(ia, 0x90000000, 1, 3);
    finish(); /* the checker flags a valid write before the old entry's flush */
}

/* ---- randomized test against a reference model ------------------------- */

#define WIN_PAGES (64UL << 20 >> PAGE_SHIFT)

struct model_page {
    bool mapped;
    u64 oa;
    unsigned type;
};

static struct model_page model[WIN_PAGES];

static u64 rnd64(void) { return ((u64)random() << 31) ^ (u64)random(); }

/* Every page of the window translates as the model says, with the largest
 * entry possible where a whole aligned 2 MiB region is uniform. */
static void check_against_model(u64 win, unsigned step)
{
    for (u64 p = 0; p < WIN_PAGES; p++) {
        pa_t out;
        unsigned type, level;
        bool found = pt_lookup(&pt, IA(win + p * SZ_4K), &out, &type, &level);
        u64 oa = found ? pa_addr(out) : 0;
        if (found != model[p].mapped || (found && (oa != model[p].oa || type != model[p].type)))
            fail_msg("step %u: IA 0x%lx: walker %s OA 0x%lx type %u; model %s OA 0x%lx type %u",
                     step, win + p * SZ_4K, found ? "maps" : "unmapped", found ? oa : 0,
                     found ? type : 0, model[p].mapped ? "maps" : "unmapped", model[p].oa,
                     model[p].type);
    }
    for (u64 p = 0; p < WIN_PAGES; p += PT_ENTRIES) {
        bool uniform = model[p].mapped && IS_ALIGNED(model[p].oa, SZ_2M);
        unsigned level;
        for (unsigned i = 1; uniform && i < PT_ENTRIES; i++)
            uniform = model[p + i].mapped && model[p + i].type == model[p].type &&
                      model[p + i].oa == model[p].oa + i * SZ_4K;
        if (uniform) {
            assert_true(pt_lookup(&pt, IA(win + p * SZ_4K), NULL, NULL, &level));
            if (level != 2)
                fail_msg("step %u: IA 0x%lx: a uniform 2 MiB region left at level %u", step,
                         win + p * SZ_4K, level);
        }
    }
    assert_int_equal(pt.nr_tables, talloc.live_pages);
}

static void run_random(unsigned ia_bits, unsigned root_level, unsigned root_order, u64 win,
                       unsigned steps, unsigned seed)
{
    static const u64 deltas[] = { 0x100000000, 0x340000000, 0x100005000 };

    srandom(seed);
    memset(model, 0, sizeof(model));
    start(ia_bits, root_level, root_order);
    for (unsigned step = 0; step < steps; step++) {
        u64 first, n;
        unsigned r = random() % 100;

        if (r < 50) {
            first = random() % WIN_PAGES;
            n = 1 + random() % 64;
        } else if (r < 85) {
            first = (random() % (WIN_PAGES / PT_ENTRIES)) * PT_ENTRIES;
            n = (1 + random() % 4) * PT_ENTRIES;
        } else {
            first = random() % WIN_PAGES;
            n = 1 + random() % 4096;
        }
        if (first + n > WIN_PAGES)
            n = WIN_PAGES - first;

        events_clear();
        if (random() % 100 < 60) {
            unsigned type = 1 + random() % 2;
            u64 ia = win + first * SZ_4K, oa;
            if (random() % 10 < 7)
                oa = ia + deltas[random() % ARRAY_SIZE(deltas)];
            else
                oa = (rnd64() % (1UL << 28)) << PAGE_SHIFT;
            assert_int_equal(pt_map(&pt, IA(ia), PA(oa), n * SZ_4K, type), 0);
            for (u64 i = 0; i < n; i++)
                model[first + i] = (struct model_page){ true, oa + i * SZ_4K, type };
        } else {
            assert_int_equal(pt_unmap(&pt, IA(win + first * SZ_4K), n * SZ_4K), 0);
            for (u64 i = 0; i < n; i++)
                model[first + i].mapped = false;
        }
        pt_finish(&pt);
        if (violations)
            fail_msg("step %u: %s", step, first_violation);
        check_against_model(win, step);
    }
    assert_true(writes_checked > 1000);
    assert_int_equal(pt_unmap(&pt, IA(win), WIN_PAGES * SZ_4K), 0);
    pt_finish(&pt);
    assert_int_equal(talloc.live_pages, 1L << root_order);
    finish();
}

/* Random maps and unmaps of page-aligned ranges in a 64 MiB window, checked
 * after each operation against a per-page model; break-before-make checked on
 * every write throughout.  48-bit, root at level 0. */
static void test_random_ops_match_model_48bit(void **state unused)
{
    run_random(48, 0, 0, 0x80000000, 1500, 12345);
}

/* The same on a 40-bit concatenated root, the window straddling the boundary
 * between the two root pages (IA 512 GiB). */
static void test_random_ops_match_model_40bit_concatenated(void **state unused)
{
    run_random(40, 1, 1, SZ_512G - (32UL << 20), 1000, 777);
}

/* After a failed test: give the pages back so LeakSanitizer reports only real leaks. */
/* pt_for_each_leaf: every valid leaf once, in IA order, with the size of its
 * level (a block as one call), its OA and type; also through a concatenated
 * root (40 bits: two root pages, the second walked too). */
struct leaf_rec { u64 ia, oa, size; unsigned type; };
struct leaf_log { struct leaf_rec r[8]; unsigned n; };

static void log_leaf(void *arg, u64 ia, pa_t oa, u64 size, unsigned type)
{
    struct leaf_log *l = arg;
    if (l->n < 8)
        l->r[l->n] = (struct leaf_rec){ ia, pa_addr(oa), size, type };
    l->n++;
}

static void test_for_each_leaf_visits_leaves_in_order(void **state unused)
{
    struct leaf_log log = { .n = 0 };

    start(40, 1, 1);
    assert_int_equal(pt_map(&pt, IA(0x8000001000), PA(0x5000), SZ_4K, 2), 0); /* 2nd root page */
    assert_int_equal(pt_map(&pt, IA(0x40200000), PA(0x80400000), SZ_2M, 1), 0);
    assert_int_equal(pt_map(&pt, IA(0x1000), PA(0x9000), 2 * SZ_4K, 3), 0);
    pt_for_each_leaf(&pt, log_leaf, &log);
    assert_int_equal(log.n, 4);
    assert_int_equal(log.r[0].ia, 0x1000);
    assert_int_equal(log.r[0].oa, 0x9000);
    assert_int_equal(log.r[0].size, SZ_4K);
    assert_int_equal(log.r[0].type, 3);
    assert_int_equal(log.r[1].ia, 0x2000);
    assert_int_equal(log.r[1].oa, 0xa000);
    assert_int_equal(log.r[2].ia, 0x40200000);
    assert_int_equal(log.r[2].size, SZ_2M);
    assert_int_equal(log.r[2].oa, 0x80400000);
    assert_int_equal(log.r[3].ia, 0x8000001000);
    assert_int_equal(log.r[3].oa, 0x5000);
    assert_int_equal(log.r[3].type, 2);
    /* A read-only walk: no descriptor written, nothing flushed. */
    events_clear();
    log.n = 0;
    pt_for_each_leaf(&pt, log_leaf, &log);
    assert_int_equal(log.n, 4);
    assert_int_equal(count_events(EV_FLUSH_IA) + count_events(EV_FLUSH_ALL), 0);
    finish();
}

/* Once destroyed, a table translates nothing and has no leaves: a reader
 * that races the release (dump=maps on an ending domain) must not follow
 * the NULL root. */
static void test_destroyed_table_translates_nothing(void **state unused)
{
    struct leaf_log log = { .n = 0 };
    pa_t oa = PA(0x1234);

    start(48, 0, 0);
    assert_int_equal(pt_map(&pt, IA(0x40001000), PA(0x80005000), SZ_4K, 3), 0);
    expect_mapped(0x40001000, 0x80005000, 3, 3);
    finish(); /* pt_destroy: root NULL */
    assert_false(pt_lookup(&pt, IA(0x40001000), &oa, NULL, NULL));
    assert_int_equal(pa_addr(oa), 0x1234); /* untouched */
    assert_false(pt_lookup(&pt, IA(0), NULL, NULL, NULL));
    pt_for_each_leaf(&pt, log_leaf, &log);
    assert_int_equal(log.n, 0);
}

static int cleanup(void **state unused)
{
    if (pt.root) {
        checker_off = true;
        pt_destroy(&pt);
    }
    return 0;
}

#define T(f) cmocka_unit_test_teardown(f, cleanup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_map_single_page_and_lookup),
        T(test_map_2m_aligned_uses_level2_block),
        T(test_map_1g_aligned_uses_level1_block),
        T(test_map_misaligned_oa_falls_back_to_smaller_entries),
        T(test_map_1g_plus_page_uses_block_and_page),
        T(test_split_block_on_partial_unmap_follows_bbm),
        T(test_replace_page_follows_bbm),
        T(test_merge_512_pages_into_2m_block),
        T(test_merge_512_blocks_into_1g_block),
        T(test_no_merge_when_not_uniform),
        T(test_block_over_table_frees_table_after_flush),
        T(test_split_1g_block_into_2m_blocks),
        T(test_unmap_everything_frees_tables_and_defers_one_flush),
        T(test_bad_arguments_rejected_without_events),
        T(test_map_accepts_last_page_of_48bit_oa_space),
        T(test_map_rejects_oa_range_that_wraps),
        T(test_concatenated_root_40bit),
        T(test_concatenated_root_42bit),
        T(test_pt_init_rejects_bad_geometry),
        T(test_enomem_mid_map_leaves_table_consistent),
        T(test_enomem_during_split_keeps_block),
        T(test_unmap_then_map_before_finish_keeps_bbm),
        T(test_random_ops_match_model_48bit),
        T(test_random_ops_match_model_40bit_concatenated),
        T(test_for_each_leaf_visits_leaves_in_order),
        T(test_destroyed_table_translates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
