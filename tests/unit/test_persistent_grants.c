/*
 * test_persistent_grants.c — host unit tests of dom0's cache of persistent
 * grants (guests/dom0/persistent_grants.c).
 *
 * What is checked:
 *   - a first use adds an entry with a page of its own and a map op of the
 *     right access (read-only for TX); once mapped, later uses hit it and no
 *     new op is asked for; the map's handle and machine address are kept;
 *   - a grant already cached with the other access is not cached again (the
 *     per-packet path refuses what the frontend did not grant);
 *   - bounded: PGRANT_MAX entries, then NULL (per-packet way); every cached
 *     reference is still found, whatever the hash collisions (a model run);
 *   - no page from the supplier: no entry;
 *   - a grant whose map was refused goes the per-packet way from then on (a
 *     transient refusal — dom0 out of map handles — does not fail the
 *     buffer for the whole connection), with no second cache entry;
 *   - tear-down: unmap ops only for mapped entries; after reset the pages are
 *     reused by the next connection, except one whose unmap failed (dropped:
 *     never handed out while still mapped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "persistent_grants.h"

#define PAGE 4096u
#define WINDOW 0x40000000ull

static struct pgrant_cache c;
static unsigned pages_given, pages_limit;

static uint64_t page_supply(void)
{
    if (pages_given == pages_limit)
        return 0;
    return WINDOW + (uint64_t)PAGE * pages_given++;
}

static int setup(void **state)
{
    (void)state;
    memset(&c, 0, sizeof(c));
    pages_given = 0;
    pages_limit = 1000;
    return 0;
}

/* Map entry p as the hypervisor would: status, handle, machine address. */
static void map_as(struct pgrant *p, int16_t status, grant_handle_t h)
{
    struct gnttab_map_grant_ref op = pgrant_map_op(p, 1);
    op.status = status;
    op.handle = h;
    op.dev_bus_addr = 0x80000000ull + p->ref * PAGE;
    pgrant_map_done(p, &op);
}

static void test_first_use_then_hits(void **state)
{
    bool added;
    (void)state;

    struct pgrant *p = pgrant_get(&c, 300, PGRANT_READ, page_supply, &added);
    assert_non_null(p);
    assert_true(added);
    assert_int_equal(p->state, PGRANT_MAPPING);
    assert_int_equal(p->host_addr, WINDOW);
    struct gnttab_map_grant_ref op = pgrant_map_op(p, 3);
    assert_int_equal(op.ref, 300);
    assert_int_equal(op.dom, 3);
    assert_int_equal(op.host_addr, WINDOW);
    assert_int_equal(op.flags, GNTMAP_host_map | GNTMAP_readonly);
    map_as(p, GNTST_okay, 17);
    assert_int_equal(p->state, PGRANT_MAPPED);
    assert_int_equal(p->handle, 17);
    assert_int_equal(p->machine, 0x80000000ull + 300 * PAGE);

    struct pgrant *again = pgrant_get(&c, 300, PGRANT_READ, page_supply, &added);
    assert_ptr_equal(again, p);
    assert_false(added);
    assert_int_equal(pages_given, 1);
    assert_int_equal(pgrant_mapped_count(&c), 1);

    struct pgrant *w = pgrant_get(&c, 301, PGRANT_WRITE, page_supply, &added);
    assert_true(added);
    assert_int_equal(pgrant_map_op(w, 3).flags, GNTMAP_host_map); /* RX: writable */
}

static void test_other_access_not_cached(void **state)
{
    bool added = true;
    (void)state;

    struct pgrant *p = pgrant_get(&c, 9, PGRANT_READ, page_supply, &added);
    map_as(p, GNTST_okay, 1);
    assert_null(pgrant_get(&c, 9, PGRANT_WRITE, page_supply, &added));
    assert_false(added);
    assert_int_equal(pages_given, 1);
}

/* Every reference added is found again, colliding or not, up to the bound. */
static void test_bounded_and_all_found(void **state)
{
    bool added;
    grant_ref_t refs[PGRANT_MAX];
    (void)state;

    for (unsigned i = 0; i < PGRANT_MAX; i++) {
        /* consecutive, far apart and multiples of the hash size: collisions */
        refs[i] = i % 3 == 0 ? i : i % 3 == 1 ? 5000 + i * PGRANT_HASH : 0x7fff0000u - i;
        struct pgrant *p = pgrant_get(&c, refs[i], PGRANT_WRITE, page_supply, &added);
        assert_non_null(p);
        assert_true(added);
        map_as(p, GNTST_okay, (grant_handle_t)i);
    }
    assert_null(pgrant_get(&c, 123456, PGRANT_WRITE, page_supply, &added));
    assert_false(added);
    for (unsigned i = 0; i < PGRANT_MAX; i++) {
        struct pgrant *p = pgrant_find(&c, refs[i]);
        assert_non_null(p);
        assert_int_equal(p->ref, refs[i]);
        assert_int_equal(p->handle, i);
    }
    assert_null(pgrant_find(&c, 123456));
    assert_int_equal(pgrant_mapped_count(&c), PGRANT_MAX);
    assert_int_equal(pages_given, PGRANT_MAX);
}

static void test_no_page_no_entry(void **state)
{
    bool added = true;
    (void)state;

    pages_limit = 0;
    assert_null(pgrant_get(&c, 5, PGRANT_READ, page_supply, &added));
    assert_false(added);
    assert_null(pgrant_find(&c, 5));
}

static void test_refused_stays_refused(void **state)
{
    bool added;
    (void)state;

    struct pgrant *p = pgrant_get(&c, 4000, PGRANT_READ, page_supply, &added);
    map_as(p, GNTST_no_space, 0); /* e.g. dom0 out of map handles for now */
    assert_int_equal(p->state, PGRANT_REFUSED);
    /* from now on the per-packet way (which may succeed), never a second
     * cache entry or map op of its own */
    assert_null(pgrant_get(&c, 4000, PGRANT_READ, page_supply, &added));
    assert_false(added);
    assert_int_equal(pgrant_mapped_count(&c), 0);
    assert_int_equal(pages_given, 1);
}

static void test_teardown_reuses_pages_but_not_a_stuck_one(void **state)
{
    bool added;
    struct gnttab_unmap_grant_ref ops[PGRANT_MAX];
    (void)state;

    for (grant_ref_t r = 10; r < 14; r++)
        map_as(pgrant_get(&c, r, PGRANT_WRITE, page_supply, &added), GNTST_okay, r);
    map_as(pgrant_get(&c, 99, PGRANT_WRITE, page_supply, &added), GNTST_bad_gntref, 0);
    unsigned n = pgrant_unmap_ops(&c, ops, PGRANT_MAX);
    assert_int_equal(n, 4); /* the refused one has nothing to unmap */
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(ops[i].handle, 10 + i);
        ops[i].status = GNTST_okay;
    }
    ops[2].status = GNTST_general_error; /* ref 12's page stays mapped */
    uint64_t stuck = ops[2].host_addr;
    pgrant_reset(&c, ops, n);
    assert_null(pgrant_find(&c, 10));
    assert_int_equal(pgrant_mapped_count(&c), 0);

    /* The next connection: five entries reuse four of the five pages; the
     * stuck one is replaced by a new page. */
    unsigned before = pages_given;
    for (grant_ref_t r = 50; r < 55; r++) {
        struct pgrant *p = pgrant_get(&c, r, PGRANT_READ, page_supply, &added);
        assert_true(added);
        assert_true(p->host_addr != stuck);
    }
    assert_int_equal(pages_given, before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_first_use_then_hits, setup),
        cmocka_unit_test_setup(test_other_access_not_cached, setup),
        cmocka_unit_test_setup(test_bounded_and_all_found, setup),
        cmocka_unit_test_setup(test_no_page_no_entry, setup),
        cmocka_unit_test_setup(test_refused_stays_refused, setup),
        cmocka_unit_test_setup(test_teardown_reuses_pages_but_not_a_stuck_one, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
