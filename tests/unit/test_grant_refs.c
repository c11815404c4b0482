/*
 * test_grant_refs.c — host unit tests of the guests' grant-reference
 * allocator (guests/lib/grant_refs.c).
 *
 * What is checked:
 *   - init: every reference of the frames is free except 0..7 (the reserved
 *     entries of Xen's public/grant_table.h, written out here as 8), 0 frames
 *     and more than the maximum refused;
 *   - alloc hands out each non-reserved reference exactly once, never a
 *     reserved one, then -ENOSPC (again and again: no silent reuse, the count
 *     stays 0);
 *   - free: a reserved, out-of-range or never-allocated reference is refused
 *     (-EINVAL / -EALREADY), a double free is -EALREADY and changes nothing;
 *   - a freed reference comes back only after every other free one (FIFO);
 *   - a random alloc/free run against a model (a bitmap) keeps the count and
 *     the answers in step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "grant_refs.h"

#define RESERVED 8u                 /* GNTTAB_NR_RESERVED_ENTRIES */
#define PER_FRAME 512u              /* 4096 / sizeof(grant_entry_v1) = 4096 / 8 */

static struct grant_refs t;

static void test_init(void **state)
{
    (void)state;
    assert_int_equal(grant_refs_init(&t, 0), -EINVAL);
    assert_int_equal(grant_refs_init(&t, GRANT_REFS_MAX_FRAMES + 1), -EINVAL);
    assert_int_equal(grant_refs_init(NULL, 1), -EINVAL);
    assert_int_equal(grant_refs_init(&t, 1), 0);
    assert_int_equal(grant_refs_free_count(&t), PER_FRAME - RESERVED);
    assert_int_equal(grant_refs_init(&t, 2), 0);
    assert_int_equal(grant_refs_free_count(&t), 2 * PER_FRAME - RESERVED);
}

static void test_exhaustion(void **state)
{
    static bool seen[2 * PER_FRAME];
    grant_ref_t r;

    (void)state;
    memset(seen, 0, sizeof(seen));
    assert_int_equal(grant_refs_init(&t, 2), 0);
    for (unsigned i = 0; i < 2 * PER_FRAME - RESERVED; i++) {
        assert_int_equal(grant_ref_alloc(&t, &r), 0);
        assert_true(r >= RESERVED && r < 2 * PER_FRAME);
        assert_false(seen[r]);
        seen[r] = true;
    }
    assert_int_equal(grant_refs_free_count(&t), 0);
    for (unsigned i = 0; i < 3; i++) {
        r = 12345;
        assert_int_equal(grant_ref_alloc(&t, &r), -ENOSPC);
        assert_int_equal(r, 12345); /* untouched on failure */
    }
    assert_int_equal(grant_refs_free_count(&t), 0);
    /* one back: that one and only that one comes out again */
    assert_int_equal(grant_ref_free(&t, 300), 0);
    assert_int_equal(grant_ref_alloc(&t, &r), 0);
    assert_int_equal(r, 300);
    assert_int_equal(grant_ref_alloc(&t, &r), -ENOSPC);
    assert_int_equal(grant_ref_alloc(&t, NULL), -EINVAL);
}

static void test_bad_free(void **state)
{
    grant_ref_t r;

    (void)state;
    assert_int_equal(grant_refs_init(&t, 1), 0);
    for (grant_ref_t x = 0; x < RESERVED; x++)
        assert_int_equal(grant_ref_free(&t, x), -EINVAL);
    assert_int_equal(grant_ref_free(&t, PER_FRAME), -EINVAL);
    assert_int_equal(grant_ref_free(&t, 0xffffffffu), -EINVAL);
    assert_int_equal(grant_ref_free(&t, RESERVED), -EALREADY); /* free, never allocated */
    assert_int_equal(grant_ref_free(&t, PER_FRAME - 1), -EALREADY);
    assert_int_equal(grant_refs_free_count(&t), PER_FRAME - RESERVED);
    assert_int_equal(grant_ref_alloc(&t, &r), 0);
    assert_int_equal(grant_ref_free(&t, r), 0);
    assert_int_equal(grant_ref_free(&t, r), -EALREADY);
    assert_int_equal(grant_refs_free_count(&t), PER_FRAME - RESERVED);
    assert_int_equal(grant_ref_free(NULL, r), -EINVAL);
}

static void test_fifo(void **state)
{
    grant_ref_t a, b, r;

    (void)state;
    assert_int_equal(grant_refs_init(&t, 1), 0);
    assert_int_equal(grant_ref_alloc(&t, &a), 0);
    assert_int_equal(a, RESERVED); /* the lowest first, from a fresh table */
    assert_int_equal(grant_ref_alloc(&t, &b), 0);
    assert_int_equal(b, RESERVED + 1);
    assert_int_equal(grant_ref_free(&t, a), 0);
    /* every never-used reference comes before a */
    for (grant_ref_t want = RESERVED + 2; want < PER_FRAME; want++) {
        assert_int_equal(grant_ref_alloc(&t, &r), 0);
        assert_int_equal(r, want);
    }
    assert_int_equal(grant_ref_alloc(&t, &r), 0);
    assert_int_equal(r, a);
    assert_int_equal(grant_ref_alloc(&t, &r), -ENOSPC);
}

static void test_random_against_model(void **state)
{
    static bool used[3 * PER_FRAME];
    unsigned nused = 0;

    (void)state;
    memset(used, 0, sizeof(used));
    srand(12);
    assert_int_equal(grant_refs_init(&t, 3), 0);
    for (unsigned step = 0; step < 200000; step++) {
        grant_ref_t r;
        if (rand() % 2) {
            int e = grant_ref_alloc(&t, &r);
            if (nused == 3 * PER_FRAME - RESERVED) {
                assert_int_equal(e, -ENOSPC);
            } else {
                assert_int_equal(e, 0);
                assert_true(r >= RESERVED && r < 3 * PER_FRAME && !used[r]);
                used[r] = true;
                nused++;
            }
        } else {
            r = (grant_ref_t)(rand() % (3 * PER_FRAME + 4));
            int e = grant_ref_free(&t, r);
            if (r < RESERVED || r >= 3 * PER_FRAME) {
                assert_int_equal(e, -EINVAL);
            } else if (!used[r]) {
                assert_int_equal(e, -EALREADY);
            } else {
                assert_int_equal(e, 0);
                used[r] = false;
                nused--;
            }
        }
        assert_int_equal(grant_refs_free_count(&t), 3 * PER_FRAME - RESERVED - nused);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_exhaustion),
        cmocka_unit_test(test_bad_free),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
