/*
 * memory_op.c — XENMEM_add_to_physmap: a guest asks granite to place a page
 * granite owns at a GFN of its choice.
 *
 *   XENMAPSPACE_shared_info   the domain's shared_info page (event-channel
 *                             bitmaps, vcpu_info[0], wallclock), idx must be 0;
 *   XENMAPSPACE_grant_table   grant-table frame idx of the domain's own table
 *                             (asking for a frame past the current size grows
 *                             the table, so Linux maps the highest first).
 *
 * Where the page may go (linux-xen-guest.md §2 step 3a, xen-facts.md §3):
 *   - an empty GFN of the domain's grant window (the non-RAM range its
 *     /hypervisor node's reg[0] advertises): where Linux maps grant frames;
 *   - a GFN of the domain's own RAM: Linux maps shared_info over a page it has
 *     just allocated and zeroed, and BUG()s if that fails.  As on Xen, the
 *     RAM page leaves the guest's physmap and the granite page takes its place
 *     (gnttab_physmap_place says what becomes of the RAM page);
 *   - the GFN where that very page is already: a no-op that succeeds.
 * Anything else (an emulated device, a grant mapping, another granite page) is
 * refused with an error and a log line.  A granite page is mapped at one GFN
 * at a time: placing it again elsewhere removes the old mapping, as Xen does.
 * The check and the mapping are one step under the domain's grant-table lock,
 * the lock grant maps into the window hold, so two vCPUs cannot both find a
 * GFN free and map over each other.
 */
#include <granite/dlog.h>
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/grant_table.h>
#include <granite/memory_map.h>
#include <granite/errno.h>
#include <granite/xen_guest.h>
#include <public/xen.h>
#include <public/memory.h>

/* Slot 0: shared_info; slot 1 + i: grant-table frame i. */
#define PLACED_SLOTS (1 + GNTTAB_MAX_FRAMES)

/* Where each granite page of each domain is mapped now (gfn + 1; 0 = not). */
static u64 placed[MAX_DOMAINS][PLACED_SLOTS];

void physmap_domain_init(struct domain *d)
{
    for (unsigned i = 0; i < PLACED_SLOTS; i++)
        __atomic_store_n(&placed[d->id][i], 0, __ATOMIC_RELAXED);
}

/* Whether machine page pa is one granite placed in d (not d's own RAM). */
bool physmap_is_granite_page(struct domain *d, pa_t pa)
{
    return gnttab_is_table_frame(d, pa); /* shared_info included */
}

static long add_to_physmap(struct vcpu *v, u64 arg)
{
    struct domain *d = v->d;
    struct xen_add_to_physmap a;
    unsigned slot;
    pa_t page;
    u64 old;
    int ret;

    if (copy_from_guest(v, &a, arg, sizeof(a)))
        return -EFAULT;
    if (a.domid != DOMID_SELF && a.domid != d->id) {
        dlog(d, "memory: d%u: add_to_physmap for d%u: -EPERM\n", d->id, a.domid);
        return -EPERM;
    }
    if (a.gpfn >> (64 - PAGE_SHIFT) || d->id >= MAX_DOMAINS) {
        dlog(d, "memory: d%u: add_to_physmap at gpfn 0x%lx: not a frame number: -EINVAL\n",
             d->id, a.gpfn);
        return -EINVAL;
    }
    switch (a.space) {
    case XENMAPSPACE_shared_info:
        if (a.idx != 0 || !d->shared_info) {
            dlog(d, "memory: d%u: add_to_physmap: shared_info idx %lu (only 0): -EINVAL\n",
                 d->id, a.idx);
            return -EINVAL;
        }
        page = ptr_to_pa(d->shared_info);
        slot = 0;
        break;
    case XENMAPSPACE_grant_table:
        if (a.idx >= GNTTAB_MAX_FRAMES || (a.idx & XENMAPIDX_grant_table_status) ||
            gnttab_get_frame(d, (unsigned)a.idx, &page)) {
            dlog(d, "memory: d%u: add_to_physmap: no grant-table frame %lu (0..%u): -EINVAL\n",
                 d->id, a.idx, GNTTAB_MAX_FRAMES - 1);
            return -EINVAL;
        }
        slot = 1 + (unsigned)a.idx;
        break;
    default:
        dlog(d, "memory: d%u: add_to_physmap space %u not supported: -EOPNOTSUPP\n", d->id,
             a.space);
        return -EOPNOTSUPP;
    }
    old = __atomic_load_n(&placed[d->id][slot], __ATOMIC_ACQUIRE);
    ret = gnttab_physmap_place(d, ipa(a.gpfn << PAGE_SHIFT), page, old != 0,
                               ipa((old - 1) << PAGE_SHIFT));
    switch (ret) {
    case 0:
        __atomic_store_n(&placed[d->id][slot], a.gpfn + 1, __ATOMIC_RELEASE);
        if (slot == 0)
            wallclock_fill(d); /* what the guest will read first */
        break;
    case -EBUSY:
        dlog(d, "memory: d%u: add_to_physmap at gpfn 0x%lx: something else is mapped there "
             "(a device, a grant mapping or another granite page): -EBUSY\n", d->id, a.gpfn);
        break;
    case -EINVAL:
        dlog(d, "memory: d%u: add_to_physmap at gpfn 0x%lx: neither in its RAM nor in its grant "
             "window 0x%lx+0x%lx: -EINVAL\n", d->id, a.gpfn, ipa_addr(d->gnttab_base),
             d->gnttab_size);
        break;
    default:
        dlog(d, "memory: d%u: add_to_physmap at gpfn 0x%lx: no memory for the stage-2 entry: "
             "-ENOMEM\n", d->id, a.gpfn);
        break;
    }
    return ret;
}

long do_memory_op(struct vcpu *v, u64 cmd, u64 arg)
{
    switch (cmd) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, arg);
    case XENMEM_get_vnumainfo:
        return -EOPNOTSUPP; /* no vNUMA topology: Xen's answer for such a domain */
    default:
        dlog(v->d, "memory: d%u: memory_op %lu unknown: -ENOSYS\n", v->d->id, cmd);
        return -ENOSYS;
    }
}
