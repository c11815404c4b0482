/*
 * memory_op.c — XENMEM_add_to_physmap: a guest asks granite to place a page
 * granite owns at a GFN of its choice.
 *
 *   XENMAPSPACE_shared_info   the domain's shared_info page (event-channel
 *                             bitmaps, vcpu_info), idx must be 0;
 *   XENMAPSPACE_grant_table   grant-table frame idx of the domain's own table.
 * The page is mapped as RAM (p2m_ram_rw) at gpfn, which must lie in the
 * domain's grant window (the non-RAM IPA range its /hypervisor node
 * advertises): placing it over RAM would hide a page the guest owns, and over
 * an emulated device would hide the device.  Anything else is refused with an
 * error and a log line.  "Free, then map" is one step under the domain's
 * grant-table lock (gnttab_window_map), the lock grant maps into the same
 * window hold: two vCPUs cannot both find a GFN free and map over each other.
 */
#include <granite/dlog.h>
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/grant_table.h>
#include <granite/memory_map.h>
#include <granite/errno.h>
#include <public/xen.h>
#include <public/memory.h>

static bool in_window(const struct domain *d, u64 ipa_)
{
    return ipa_ >= ipa_addr(d->gnttab_base) && ipa_ < ipa_addr(d->gnttab_base) + d->gnttab_size;
}

static long add_to_physmap(struct vcpu *v, u64 arg)
{
    struct domain *d = v->d;
    struct xen_add_to_physmap a;
    pa_t page;
    u64 at;
    int ret;

    if (copy_from_guest(v, &a, arg, sizeof(a)))
        return -EFAULT;
    if (a.domid != DOMID_SELF && a.domid != d->id) {
        dlog(d, "memory: d%u: add_to_physmap for d%u: -EPERM\n", d->id, a.domid);
        return -EPERM;
    }
    at = a.gpfn << PAGE_SHIFT;
    if (a.gpfn >> (64 - PAGE_SHIFT) || !in_window(d, at)) {
        dlog(d, "memory: d%u: add_to_physmap at gpfn 0x%lx: outside the grant window "
             "0x%lx+0x%lx: -EINVAL\n", d->id, a.gpfn, ipa_addr(d->gnttab_base), d->gnttab_size);
        return -EINVAL;
    }
    switch (a.space) {
    case XENMAPSPACE_shared_info:
        if (a.idx != 0 || !d->shared_info)
            return -EINVAL;
        page = ptr_to_pa(d->shared_info);
        break;
    case XENMAPSPACE_grant_table:
        if (a.idx >= 0x10000 || (a.idx & XENMAPIDX_grant_table_status) ||
            gnttab_get_frame(d, (unsigned)a.idx, &page)) {
            dlog(d, "memory: d%u: add_to_physmap: no grant-table frame %lu: -EINVAL\n", d->id,
                 a.idx);
            return -EINVAL;
        }
        break;
    default:
        dlog(d, "memory: d%u: add_to_physmap space %u not supported: -EOPNOTSUPP\n", d->id,
             a.space);
        return -EOPNOTSUPP;
    }
    /* Check and map in one step under the table lock: two vCPUs (or a grant
     * map) racing for the same GFN must not both find it free. */
    ret = gnttab_window_map(d, ipa(at), page);
    if (ret == -EBUSY)
        dlog(d, "memory: d%u: add_to_physmap at gpfn 0x%lx: already mapped: -EBUSY\n", d->id,
             a.gpfn);
    else if (ret)
        dlog(d, "memory: d%u: add_to_physmap at gpfn 0x%lx: %s\n", d->id, a.gpfn,
             ret == -ENOMEM ? "no memory for the stage-2 entry: -ENOMEM" : "no table: -EINVAL");
    return ret;
}

long do_memory_op(struct vcpu *v, u64 cmd, u64 arg)
{
    switch (cmd) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, arg);
    default:
        dlog(v->d, "memory: d%u: memory_op %lu unknown: -ENOSYS\n", v->d->id, cmd);
        return -ENOSYS;
    }
}
