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
 * refused with an error and a log line.  Unlike Xen, placing a page again
 * at another GFN leaves the earlier mapping in place (Xen removes it): the
 * page is the guest's own either way, and a guest that keeps using the old
 * address (the hostile storm does, from several vCPUs at once) must not
 * fault for it.  Linux maps each page once, or again at the same GFN.
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

/* Whether machine page pa is one granite placed in d (not d's own RAM). */
bool physmap_is_granite_page(struct domain *d, pa_t pa)
{
    return gnttab_is_table_frame(d, pa); /* shared_info included */
}

static long add_to_physmap(struct vcpu *v, u64 arg)
{
    struct domain *d = v->d;
    struct xen_add_to_physmap a;
    pa_t page;
    int ret;

    if (copy_from_guest(v, &a, arg, sizeof(a)))
        return -EFAULT;
    if (a.domid != DOMID_SELF && a.domid != d->id) {
        dlog(d, "memory: d%u: add_to_physmap for d%u: -EPERM\n", d->id, a.domid);
        return -EPERM;
    }
    if (a.gpfn >> (64 - PAGE_SHIFT)) {
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
        break;
    case XENMAPSPACE_grant_table:
        if (a.idx >= GNTTAB_MAX_FRAMES || (a.idx & XENMAPIDX_grant_table_status) ||
            gnttab_get_frame(d, (unsigned)a.idx, &page)) {
            dlog(d, "memory: d%u: add_to_physmap: no grant-table frame %lu (0..%u): -EINVAL\n",
                 d->id, a.idx, GNTTAB_MAX_FRAMES - 1);
            return -EINVAL;
        }
        break;
    default:
        dlog(d, "memory: d%u: add_to_physmap space %u not supported: -EOPNOTSUPP\n", d->id,
             a.space);
        return -EOPNOTSUPP;
    }
    ret = gnttab_physmap_place(d, ipa(a.gpfn << PAGE_SHIFT), page);
    switch (ret) {
    case 0:
        if (a.space == XENMAPSPACE_shared_info)
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
