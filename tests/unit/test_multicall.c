/*
 * test_multicall.c — host unit tests of __HYPERVISOR_multicall
 * (core/multicall.c).
 *
 * What is checked:
 *   - each entry goes to the dispatcher with its op and args[0..4], in
 *     order, and its return value lands in that entry's result (and nowhere
 *     else: op and args are left as they were);
 *   - the return is 0 whatever the entries' results;
 *   - more than 32 entries: -E2BIG, nothing runs, nothing written;
 *   - a multicall entry inside the list: its result is -EINVAL, the
 *     dispatcher never sees it, later entries run;
 *   - the list unreadable from the start, or from entry k on: -EFAULT, the
 *     entries before k ran and have their results;
 *   - a result that cannot be written back: -EFAULT, nothing after runs;
 *   - nr_calls is 32 bits wide (upper half of the register ignored);
 *   - an entry that ends the domain stops the list there.
 * Guest memory is a host array at a fake guest address; anything outside it
 * faults.  The ABI numbers and layout are written out here from Xen's public
 * headers (xen.h: multicall 13; struct multicall_entry on Arm: 8 x 64 bits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <granite/multicall.h>
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/errno.h>
#include <public/xen.h>

#define HC_MULTICALL 13
#define ENTRY_BYTES 64
#define MAX_ENTRIES 32
#define GBASE 0x40000000UL
#define OP_ENDS_DOMAIN 29
#define OP_BASE 200 /* the fake dispatcher's ops: none is multicall or OP_ENDS_DOMAIN */

struct entry { uint64_t op, result, args[6]; };

static struct entry mem[MAX_ENTRIES + 2];
static struct domain dom;
static struct vcpu vc;
static bool fail_write;

int copy_from_guest(struct vcpu *v, void *dst, u64 gva, u64 len)
{
    (void)v;
    if (gva < GBASE || gva + len > GBASE + sizeof(mem) || gva + len < gva)
        return -EFAULT;
    memcpy(dst, (const char *)mem + (gva - GBASE), len);
    return 0;
}

int copy_to_guest(struct vcpu *v, u64 gva, const void *src, u64 len)
{
    (void)v;
    if (fail_write || gva < GBASE || gva + len > GBASE + sizeof(mem) || gva + len < gva)
        return -EFAULT;
    memcpy((char *)mem + (gva - GBASE), src, len);
    return 0;
}

static unsigned ncalls;
static u64 seen_op[64], seen_args[64][5];

long hypercall_dispatch(struct vcpu *v, u64 nr, const u64 args[5])
{
    assert_ptr_equal(v, &vc);
    seen_op[ncalls] = nr;
    memcpy(seen_args[ncalls], args, sizeof(seen_args[0]));
    ncalls++;
    if (nr == OP_ENDS_DOMAIN)
        v->d->state = DOM_ENDED_CLEAN;
    return (long)(nr * 100 + args[0]) * (nr % 2 ? -1 : 1);
}

static int setup(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    memset(&dom, 0, sizeof(dom));
    dom.state = DOM_RUNNING;
    vc.d = &dom;
    ncalls = 0;
    fail_write = false;
    for (unsigned i = 0; i < MAX_ENTRIES + 2; i++) {
        mem[i].op = OP_BASE + i;
        mem[i].result = 0xa5a5;
        for (unsigned a = 0; a < 6; a++)
            mem[i].args[a] = i * 10 + a;
    }
    return 0;
}

/* What the fake dispatcher answers for entry i as setup() fills it. */
static long expected(unsigned i)
{
    return (long)((OP_BASE + i) * 100 + i * 10) * ((OP_BASE + i) % 2 ? -1 : 1);
}

static void test_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct entry), ENTRY_BYTES);
}

static void test_runs_in_order_with_results(void **state)
{
    (void)state;
    assert_int_equal(do_multicall(&vc, GBASE, 5), 0);
    assert_int_equal(ncalls, 5);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(seen_op[i], OP_BASE + i);
        for (unsigned a = 0; a < 5; a++)
            assert_int_equal(seen_args[i][a], i * 10 + a);
        assert_int_equal((long)mem[i].result, expected(i));
        assert_int_equal(mem[i].op, OP_BASE + i);
        assert_int_equal(mem[i].args[5], i * 10 + 5);
    }
    assert_int_equal(mem[5].result, 0xa5a5);
}

static void test_zero_entries(void **state)
{
    (void)state;
    assert_int_equal(do_multicall(&vc, GBASE, 0), 0);
    assert_int_equal(ncalls, 0);
}

static void test_too_many(void **state)
{
    (void)state;
    assert_int_equal(do_multicall(&vc, GBASE, MAX_ENTRIES + 1), -E2BIG);
    assert_int_equal(ncalls, 0);
    assert_int_equal(mem[0].result, 0xa5a5);
    assert_int_equal(do_multicall(&vc, GBASE, MAX_ENTRIES), 0);
    assert_int_equal(ncalls, MAX_ENTRIES);
}

/* At most one full grant batch of work per call: EL2 is not preempted, so 32
 * entries of 512 grant operations would hold the CPU 32 times longer than a
 * direct hypercall can (before the budget, all of them ran). */
static void test_work_budget(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 4; i++) {
        mem[i].op = __HYPERVISOR_grant_table_op;
        mem[i].args[2] = 200;               /* 200 + 200 fit in 512; the third does not */
    }
    mem[3].args[2] = 100;                   /* ...but a smaller one still does */
    mem[4].op = __HYPERVISOR_memory_op;     /* up to 512 extents: over what is left */
    assert_int_equal(do_multicall(&vc, GBASE, 6), 0);
    assert_int_equal(ncalls, 4);            /* entries 0, 1, 3, 5 */
    assert_int_equal(seen_op[0], __HYPERVISOR_grant_table_op);
    assert_int_equal((long)mem[2].result, -E2BIG);
    assert_int_not_equal((long)mem[3].result, -E2BIG);
    assert_int_equal((long)mem[4].result, -E2BIG);
    assert_int_equal(seen_op[3], OP_BASE + 5);
}

static void test_nested_refused(void **state)
{
    (void)state;
    mem[1].op = HC_MULTICALL;
    mem[1].args[0] = GBASE;
    mem[1].args[1] = 3;
    assert_int_equal(do_multicall(&vc, GBASE, 3), 0);
    assert_int_equal(ncalls, 2);
    assert_int_equal(seen_op[0], OP_BASE);
    assert_int_equal(seen_op[1], OP_BASE + 2);
    assert_int_equal((long)mem[1].result, -EINVAL);
    assert_int_equal((long)mem[2].result, expected(2));
}

static void test_unreadable(void **state)
{
    (void)state;
    assert_int_equal(do_multicall(&vc, 0x1000, 1), -EFAULT);
    assert_int_equal(do_multicall(&vc, ~0UL - 8, 2), -EFAULT); /* wraps */
    assert_int_equal(ncalls, 0);
    /* the last two entries of guest memory, then one past it */
    u64 at = GBASE + sizeof(mem) - 2 * ENTRY_BYTES;
    assert_int_equal(do_multicall(&vc, at, 3), -EFAULT);
    assert_int_equal(ncalls, 2);
    assert_int_equal((long)mem[MAX_ENTRIES].result, expected(MAX_ENTRIES));
    assert_int_equal((long)mem[MAX_ENTRIES + 1].result, expected(MAX_ENTRIES + 1));
}

static void test_result_unwritable(void **state)
{
    (void)state;
    fail_write = true;
    assert_int_equal(do_multicall(&vc, GBASE, 4), -EFAULT);
    assert_int_equal(ncalls, 1);
}

static void test_nr_calls_32_bits(void **state)
{
    (void)state;
    assert_int_equal(do_multicall(&vc, GBASE, (1UL << 32) | 2), 0);
    assert_int_equal(ncalls, 2);
    assert_int_equal(do_multicall(&vc, GBASE, 1UL << 32), 0);
    assert_int_equal(ncalls, 2);
}

static void test_domain_end_stops(void **state)
{
    (void)state;
    mem[1].op = OP_ENDS_DOMAIN;
    assert_int_equal(do_multicall(&vc, GBASE, 4), 0);
    assert_int_equal(ncalls, 2);
    assert_int_equal(mem[2].result, 0xa5a5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_layout, setup),
        cmocka_unit_test_setup(test_runs_in_order_with_results, setup),
        cmocka_unit_test_setup(test_zero_entries, setup),
        cmocka_unit_test_setup(test_too_many, setup),
        cmocka_unit_test_setup(test_work_budget, setup),
        cmocka_unit_test_setup(test_nested_refused, setup),
        cmocka_unit_test_setup(test_unreadable, setup),
        cmocka_unit_test_setup(test_result_unwritable, setup),
        cmocka_unit_test_setup(test_nr_calls_32_bits, setup),
        cmocka_unit_test_setup(test_domain_end_stops, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
