/*
 * hostile_mc.c — hostile=multicall: the domU throws bad multicalls at the
 * hypervisor (public/multicall.h) and checks each answer, then makes one
 * good multicall and checks every entry's result.  Output: one line per
 * case, "hostile: multicall: <case> -> <got> (want <want>): ok|WRONG", then
 * "hostile: multicall: PASS" or "FAIL".  The hypervisor must answer each
 * with an error code, log it rate-limited, and carry on.
 *
 * Assumptions: the guest runs with its MMU off (VA = IPA), so an address
 * past its RAM is unmapped for copy_from_guest; the last 64 bytes of RAM are
 * free to use (the stack grows down from lower addresses; checked below by
 * keeping the bytes we overwrite and putting them back).
 */
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "hostile.h"
#include <public/version.h>
#include <public/multicall.h>

/* Xen's errno values (the guest C library's differ) */
#define XEN_E2BIG 7
#define XEN_EFAULT 14
#define XEN_EINVAL 22
#define XEN_ENOSYS 38
#define UNMAPPED_VA 0xdead00000000UL /* beyond any IPA granite gives a domU */
#define UNKNOWN_HYPERCALL 999         /* no hypercall has this number */
#define BIG_GRANT_BATCH 400           /* two of these exceed one multicall's work budget */
#define FLOOD 2000
#define LOG_REFILL_WAIT_US 300000 /* > DLOG_REFILL_MS (100 ms): a log token is back */
#define XEN_ABI_VERSION ((4L << 16) | 19)

static bool all_ok = true;

static void check(const char *what, long got, long want)
{
    bool ok = got == want;
    all_ok = all_ok && ok;
    printf("hostile: multicall: %s -> %ld (want %ld): %s\n", what, got, want, ok ? "ok" : "WRONG");
}

static struct multicall_entry list[MULTICALL_MAX_ENTRIES + 1];

static void fill_versions(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        list[i] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version,
                                            .args = { XENVER_version }, .result = 0x5a5a };
}

void hostile_multicall(void)
{
    const struct guest_info *gi = guest_info();
    struct gnttab_unmap_grant_ref bad_unmap = { .host_addr = 0, .handle = 0x7777 };
    unsigned refused = 0;

    printf("hostile: multicall: start\n");
    /* 1. more entries than granite runs in one call: none runs */
    fill_versions(MULTICALL_MAX_ENTRIES + 1);
    check("33 entries", xen_multicall(list, MULTICALL_MAX_ENTRIES + 1), -XEN_E2BIG);
    check("33 entries: entry 0 untouched", (long)list[0].result, 0x5a5a);
    /* 2. the list itself unreadable */
    check("list at an unmapped address", xen_multicall((void *)UNMAPPED_VA, 2), -XEN_EFAULT);
    /* 3. a multicall inside a multicall: refused in its own result; the rest runs */
    fill_versions(3);
    list[1] = (struct multicall_entry){ .op = __HYPERVISOR_multicall,
                                        .args = { (uint64_t)list, 3 } };
    check("nested: call", xen_multicall(list, 3), 0);
    check("nested: entry 0", (long)list[0].result, XEN_ABI_VERSION);
    check("nested: entry 1 (the multicall)", (long)list[1].result, -XEN_EINVAL);
    check("nested: entry 2", (long)list[2].result, XEN_ABI_VERSION);
    /* 4. an unknown hypercall and a grant op whose own buffer is unmapped,
     *    and an unmap of a handle we never had: each fails on its own */
    fill_versions(4);
    list[0].op = UNKNOWN_HYPERCALL;
    list[1] = (struct multicall_entry){ .op = __HYPERVISOR_grant_table_op,
                                        .args = { GNTTABOP_unmap_grant_ref, UNMAPPED_VA, 1 } };
    list[2] = (struct multicall_entry){ .op = __HYPERVISOR_grant_table_op,
                                        .args = { GNTTABOP_unmap_grant_ref,
                                                  (uint64_t)&bad_unmap, 1 } };
    check("bad entries: call", xen_multicall(list, 4), 0);
    check("bad entries: an unknown hypercall number", (long)list[0].result, -XEN_ENOSYS);
    check("bad entries: grant op at an unmapped address", (long)list[1].result, -XEN_EFAULT);
    check("bad entries: unmap of an unknown handle (op status < 0)",
          bad_unmap.status < 0 ? 1 : 0, 1);
    check("bad entries: the good entry after them", (long)list[3].result, XEN_ABI_VERSION);
    /* 4b. more work than one full grant batch (512 operations) in one call:
     *     EL2 is not preempted, so the entry that would exceed it does not
     *     run (its ops buffer is unmapped: had it run, -EFAULT) */
    fill_versions(3);
    list[0] = (struct multicall_entry){ .op = __HYPERVISOR_grant_table_op,
                                        .args = { GNTTABOP_copy, UNMAPPED_VA, BIG_GRANT_BATCH } };
    list[1] = list[0];
    check("two 400-op grant entries: call", xen_multicall(list, 3), 0);
    check("two 400-op grant entries: the first runs", (long)list[0].result, -XEN_EFAULT);
    check("two 400-op grant entries: the second is over the budget", (long)list[1].result,
          -XEN_E2BIG);
    check("two 400-op grant entries: a small entry after them", (long)list[2].result,
          XEN_ABI_VERSION);
    /* 5. a list running off the end of RAM: entry 0 runs and has its result,
     *    entry 1 is unreadable */
    struct multicall_entry *last = (struct multicall_entry *)(gi->ram_base + gi->ram_size -
                                                              sizeof(*last));
    struct multicall_entry saved = *last;
    *last = (struct multicall_entry){ .op = __HYPERVISOR_xen_version, .args = { XENVER_version } };
    check("list crossing the end of RAM", xen_multicall(last, 2), -XEN_EFAULT);
    check("list crossing the end of RAM: entry 0", (long)last->result, XEN_ABI_VERSION);
    *last = saved;
    /* 6. nr_calls is 32 bits: the upper half of the register is ignored */
    fill_versions(2);
    check("nr_calls with bits above 32", xen_hypercall(__HYPERVISOR_multicall, (uint64_t)list,
                                                       (1UL << 32) | 2, 0, 0, 0), 0);
    check("nr_calls with bits above 32: entry 1", (long)list[1].result, XEN_ABI_VERSION);
    /* 7. zero entries: nothing to do */
    check("0 entries", xen_multicall(list, 0), 0);
    /* 8. a flood: each refused, the hypervisor's log lines rate-limited */
    for (unsigned i = 0; i < FLOOD; i++)
        refused += xen_multicall((void *)UNMAPPED_VA, 1) == -XEN_EFAULT;
    check("2000 unreadable lists refused", refused, FLOOD);
    /* one more after the log's refill period: its line carries the count of
     * those suppressed (core/dlog.c; counter time, not wall-clock) */
    guest_sleep_us(0, LOG_REFILL_WAIT_US);
    check("one more after the refill", xen_multicall((void *)UNMAPPED_VA, 1), -XEN_EFAULT);
    /* 9. and a good one through the guest wrapper still works */
    struct xen_mc mc = { 0 };
    xen_mc_add(&mc, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    xen_mc_add(&mc, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    check("good multicall", xen_mc_flush(&mc), 0);
    check("good multicall: entry 1", (long)mc.e[1].result, XEN_ABI_VERSION);
    printf("hostile: multicall: %s\n", all_ok ? "PASS" : "FAIL");
}
