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
 * no multicall inside a multicall; and at most one full batch of work per
 * call (MULTICALL_WORK_BUDGET): EL2 runs with interrupts masked and is not
 * preempted, so 32 entries of 512 grant operations each would hold this CPU
 * (and the granters' table locks) 32 times longer than any single hypercall
 * can.  An entry's work is its grant operation count, the most extents a
 * memory_op may carry (it is not read here), or 1; an entry that would take
 * the call over the budget does not run and gets -E2BIG.  The whole list is one IOMMU batch: the
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
#include <granite/grant_table.h>
#include <public/xen.h>
#include <public/multicall.h>

#define MC_RESULT_OFFSET 8 /* offsetof(struct multicall_entry, result) */
/* One full grant_table_op batch: what one direct hypercall may do at most. */
#define MULTICALL_WORK_BUDGET GNTTAB_MAX_BATCH
#define MEMORY_OP_MAX_WORK 512   /* memory_op's extents per call (core/memory_op.c) */
_Static_assert(__builtin_offsetof(struct multicall_entry, result) == MC_RESULT_OFFSET,
               "multicall_entry.result");

/* How much batched work an entry may do (see the top of the file). */
static u64 entry_work(const struct multicall_entry *e)
{
    switch (e->op) {
    case __HYPERVISOR_grant_table_op:
        return e->args[2] < GNTTAB_MAX_BATCH ? e->args[2] : GNTTAB_MAX_BATCH;
    case __HYPERVISOR_memory_op:
        return MEMORY_OP_MAX_WORK;
    default:
        return 1;
    }
}

/* One entry: its result, or the reason it did not run.  *work_left: what the
 * call may still do. */
static long run_entry(struct vcpu *v, const struct multicall_entry *e, u32 i, u64 *work_left)
{
    u64 args[5] = { e->args[0], e->args[1], e->args[2], e->args[3], e->args[4] };
    u64 work = entry_work(e);

    if (e->op == __HYPERVISOR_multicall) {
        dlog(v->d, "multicall: d%u: entry %u is itself a multicall: -EINVAL\n", v->d->id, i);
        return -EINVAL;
    }
    if (work > *work_left) {
        dlog(v->d, "multicall: d%u: entry %u (op %lu, %lu operations) over the call's budget "
             "of %u: -E2BIG\n", v->d->id, i, e->op, work, MULTICALL_WORK_BUDGET);
        return -E2BIG;
    }
    *work_left -= work;
    return hypercall_dispatch(v, e->op, args);
}

long do_multicall(struct vcpu *v, u64 list, u64 nr_calls)
{
    struct multicall_entry e;
    u64 work_left = MULTICALL_WORK_BUDGET;

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
        u64 result = (u64)run_entry(v, &e, i, &work_left);
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
