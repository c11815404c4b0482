/*
 * multicall.c — __HYPERVISOR_multicall (public/multicall.h): a guest hands
 * over a list of hypercalls and they all run in one entry into EL2.  A
 * backend's round (unmap the last TX batch, copy the RX frames, ...) then
 * costs one trap instead of one per operation.
 *
 * Every field is guest-controlled: the list is read entry by entry with
 * copy_from_guest (a bad pointer is -EFAULT, logged); each entry goes to the
 * same dispatcher as a direct hypercall, so it is validated exactly as that
 * hypercall would be; its result is written back before the next entry runs
 * (so a guest sees the results of everything that ran, even on a later
 * -EFAULT).  Bounded: MULTICALL_MAX_ENTRIES per call (no continuations);
 * no multicall inside a multicall.  The whole list is one IOMMU batch: the
 * caller (do_hypercall) opened it, and nothing here closes it early.
 *
 * Assumptions: called from do_hypercall only, so never nested by design;
 * the nesting check refuses the entry itself, before any dispatch.
 */
#include <granite/dlog.h>
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/errno.h>
#include <granite/multicall.h>
#include <public/xen.h>
#include <public/multicall.h>

#define MC_RESULT_OFFSET 8 /* offsetof(struct multicall_entry, result) */
_Static_assert(__builtin_offsetof(struct multicall_entry, result) == MC_RESULT_OFFSET,
               "multicall_entry.result");

/* One entry: its result, or the reason it did not run. */
static long run_entry(struct vcpu *v, const struct multicall_entry *e, u32 i)
{
    u64 args[5] = { e->args[0], e->args[1], e->args[2], e->args[3], e->args[4] };

    if (e->op == __HYPERVISOR_multicall) {
        dlog(v->d, "multicall: d%u: entry %u is itself a multicall: -EINVAL\n", v->d->id, i);
        return -EINVAL;
    }
    return hypercall_dispatch(v, e->op, args);
}

long do_multicall(struct vcpu *v, u64 list, u64 nr_calls)
{
    struct multicall_entry e;

    /* nr_calls is a uint32_t in the ABI: the upper half of x1 is ignored,
     * as Xen's prototype ignores it. */
    nr_calls = (u32)nr_calls;
    if (nr_calls > MULTICALL_MAX_ENTRIES) {
        dlog(v->d, "multicall: d%u: %lu entries (at most %u per call): -E2BIG\n", v->d->id,
             nr_calls, MULTICALL_MAX_ENTRIES);
        return -E2BIG;
    }
    for (u32 i = 0; i < nr_calls; i++) {
        u64 at = list + (u64)i * sizeof(e);
        if (at < list || copy_from_guest(v, &e, at, sizeof(e))) {
            dlog(v->d, "multicall: d%u: entry %u at 0x%lx unreadable: -EFAULT\n", v->d->id, i,
                 at);
            return -EFAULT;
        }
        u64 result = (u64)run_entry(v, &e, i);
        if (copy_to_guest(v, at + MC_RESULT_OFFSET, &result, sizeof(result))) {
            dlog(v->d, "multicall: d%u: entry %u at 0x%lx: result not writable: -EFAULT\n",
                 v->d->id, i, at);
            return -EFAULT;
        }
        /* An entry that ended the domain (SCHEDOP_shutdown): nothing more runs. */
        if (v->d->state != DOM_RUNNING)
            return 0;
    }
    return 0;
}
