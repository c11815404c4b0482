/*
 * memory_op.c — the memory_op hypercall: XENMEM_add_to_physmap (a guest asks
 * granite to place a page granite owns at a GFN of its choice) and the balloon
 * (XENMEM_decrease_reservation / XENMEM_populate_physmap: a guest gives pages
 * of its RAM back, and has them again).
 *
 * add_to_physmap:
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
 *
 * The balloon.  Why it is needed: a Linux without ZONE_DEVICE (Debian's arm64
 * kernel: no XEN_UNPOPULATED_ALLOC) takes the pages at which xen-netback and
 * xenbus grant-map foreign pages from its balloon -- it gives pages of its RAM
 * back with decrease_reservation, BUG()s unless every one is taken, then maps
 * grants at those GFNs (core/grant_table.c accepts a map at an empty GFN of
 * the domain's RAM range); its balloon worker may later ask for the same GFNs
 * back with populate_physmap.
 *   decrease_reservation  each GFN must be a page of the domain's RAM range
 *                         mapped p2m_ram_rw to the domain's own page for that
 *                         GFN (struct ram_chunk records where each chunk was
 *                         mapped): not shared_info or a grant frame placed over
 *                         RAM, not a grant map, not a device, not a page
 *                         ballooned out already.  The stage-2 entry goes (the
 *                         IOMMU follows through the p2m hooks: shared tables are
 *                         invalidated, separate ones mirrored); the TLB flush
 *                         is done once per call.
 *   populate_physmap      each GFN must be an empty GFN of the domain's RAM
 *                         range: the domain's own page for it is mapped back
 *                         (p2m_ram_rw), with the content it had, and the GFN is
 *                         written back into the array (Xen's OUT).
 * Where granite differs from Xen: the machine page of a ballooned-out GFN stays
 * the domain's -- never freed to the allocator or given to another domain
 * while the domain lives, freed with its RAM when it ends -- and populate
 * always gives that same page back.  That is what Xen does for a direct-mapped
 * domain (its frames are IPA == PA); for the others it means ballooning
 * frees no host memory, which granite does not need (memory is fixed at
 * boot).  A page ballooned out while another domain still has it grant-mapped
 * is therefore harmless: it is not reused.
 * Limits: extent_order 0 only (pages; Linux's EXTENT_ORDER with 4 KiB pages),
 * mem_flags 0 (there is no choice of page to make), DOMID_SELF or the
 * caller's own id (-EPERM otherwise), and at most BALLOON_MAX_EXTENTS extents
 * per call -- Linux sends at most a page of frame numbers (512) per call;
 * granite has no hypercall continuations, so a longer list is refused whole
 * (0 extents done) rather than leaving the vCPU in granite for long.  An
 * extent that fails stops the call: the return value is the number done
 * before it (Xen's rule), with a rate-limited log line saying why.
 * increase_reservation (cmd 0) stays -ENOSYS: its OUT is machine frame
 * numbers, which mean nothing to an auto-translated guest; Arm guests (Linux
 * included) use populate_physmap.  A continuation-encoded cmd (extent index in
 * bits 6 and up) is an unknown cmd: -ENOSYS.
 * Each GFN's check and change are one step under the domain's grant-table
 * lock (gnttab_physmap_begin), as for add_to_physmap and grant maps.
 */
#include <granite/dlog.h>
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/grant_table.h>
#include <granite/hypercall.h>
#include <granite/memory_map.h>
#include <granite/errno.h>
#include <granite/xen_guest.h>
#include <public/xen.h>
#include <public/memory.h>

#define BALLOON_MAX_EXTENTS 512 /* a page of xen_pfn_t: Linux's frame_list */

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

/* --- the balloon ------------------------------------------------------------ */

/* The domain's own machine page for GFN gfn: inside its RAM range, in the
 * chunk the builder mapped there.  False when gfn is not RAM of d. */
static bool own_ram_page(const struct domain *d, u64 gfn, pa_t *page)
{
    u64 at, off;

    if (gfn >> (64 - PAGE_SHIFT))
        return false;
    at = gfn << PAGE_SHIFT;
    if (at < ipa_addr(d->ram_base) || at - ipa_addr(d->ram_base) >= d->ram_size)
        return false;
    for (unsigned i = 0; i < d->nr_chunks; i++) {
        const struct ram_chunk *c = &d->chunks[i];
        if (at < ipa_addr(c->ipa) || (off = at - ipa_addr(c->ipa)) >= c->nr_pages << PAGE_SHIFT)
            continue;
        *page = pa_add(ptr_to_pa(c->pages), off);
        return true;
    }
    return false;
}

enum balloon_op { BALLOON_OUT, BALLOON_IN };

/* One GFN out of (or back into) d's physmap.  0, or -errno with *why. */
static int balloon_one(struct domain *d, enum balloon_op op, u64 gfn, const char **why)
{
    static const char *const dying = "the domain is dying";
    pa_t own, cur;
    p2m_type_t t;
    ipa_t at;
    int ret = 0;

    if (!own_ram_page(d, gfn, &own)) {
        *why = "not a page of its RAM";
        return -EINVAL;
    }
    at = ipa(gfn << PAGE_SHIFT);
    if (!gnttab_physmap_begin(d)) {
        *why = dying;
        return -ESRCH;
    }
    bool mapped = !p2m_lookup(&d->p2m, at, &cur, &t);
    if (op == BALLOON_OUT) {
        if (!mapped) {
            *why = "ballooned out already";
            ret = -ENOENT;
        } else if (t != p2m_ram_rw || pa_addr(cur) != pa_addr(own)) {
            *why = t != p2m_ram_rw ? "not RAM now (a grant map or another mapping)"
                                   : "not its own page now (shared_info or a grant frame)";
            ret = -EBUSY;
        } else if (p2m_unmap_lazy_flush(&d->p2m, at, PAGE_SIZE)) {
            *why = "no memory to split the stage-2 block";
            ret = -ENOMEM;
        }
    } else {
        if (mapped) {
            *why = t == p2m_ram_rw && pa_addr(cur) == pa_addr(own)
                       ? "never ballooned out (its page is there)"
                       : "something is mapped there (a grant map, shared_info, a grant frame)";
            ret = -EBUSY;
        } else if (p2m_map(&d->p2m, at, own, PAGE_SIZE, p2m_ram_rw)) {
            *why = "no memory for the stage-2 entry";
            ret = -ENOMEM;
        }
    }
    gnttab_physmap_end(d);
    return ret;
}

static long reservation_op(struct vcpu *v, enum balloon_op op, u64 arg)
{
    struct domain *d = v->d;
    const char *name = op == BALLOON_OUT ? "decrease_reservation" : "populate_physmap";
    const char *why = NULL;
    struct xen_memory_reservation r;
    u64 done, bad = 0, gfn = 0, first = 0;
    int ret = 0;

    if (copy_from_guest(v, &r, arg, sizeof(r))) {
        dlog(d, "memory: d%u: %s: argument at 0x%lx unreadable: -EFAULT\n", d->id, name, arg);
        return -EFAULT;
    }
    if (r.domid != DOMID_SELF && r.domid != d->id) {
        dlog(d, "memory: d%u: %s for d%u: only its own: -EPERM\n", d->id, name, r.domid);
        return -EPERM;
    }
    if (r.mem_flags) {
        dlog(d, "memory: d%u: %s: mem_flags 0x%x (only 0): -EINVAL\n", d->id, name,
             r.mem_flags);
        return -EINVAL;
    }
    if (r.extent_order != 0 || r.nr_extents > BALLOON_MAX_EXTENTS) {
        dlog(d, "memory: d%u: %s: %lu extent(s) of order %u refused (order 0 only, at most "
             "%u per call): 0 done\n", d->id, name, r.nr_extents, r.extent_order,
             BALLOON_MAX_EXTENTS);
        return 0;
    }
    for (done = 0; done < r.nr_extents; done++) {
        u64 slot = r.extent_start + done * sizeof(xen_pfn_t);
        bad = done;
        if (copy_from_guest(v, &gfn, slot, sizeof(gfn))) {
            why = "its array entry is unreadable";
            ret = -EFAULT;
            break;
        }
        if ((ret = balloon_one(d, op, gfn, &why)))
            break;
        if (!done)
            first = gfn;
        if (op == BALLOON_IN && copy_to_guest(v, slot, &gfn, sizeof(gfn))) {
            why = "its array entry is not writable (the page is back all the same)";
            ret = -EFAULT;
            done++; /* mapped: it counts, as the guest now has it */
            break;
        }
    }
    if (op == BALLOON_OUT && done)
        p2m_flush(&d->p2m); /* one stage-2 TLB invalidation for the whole call */
    if (!ret && done)
        dlog(d, "memory: d%u: %s: %lu page(s) %s, from gfn 0x%lx\n", d->id, name, done,
             op == BALLOON_OUT ? "given back" : "back", first);
    if (ret)
        dlog(d, "memory: d%u: %s: extent %lu (gfn 0x%lx, array at 0x%lx): %s (error %d): "
             "%lu of %lu done\n", d->id, name, bad, gfn, r.extent_start, why, ret, done,
             r.nr_extents);
    return (long)done;
}

long do_memory_op(struct vcpu *v, u64 cmd, u64 arg)
{
    switch (cmd) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, arg);
    case XENMEM_decrease_reservation:
        return reservation_op(v, BALLOON_OUT, arg);
    case XENMEM_populate_physmap:
        return reservation_op(v, BALLOON_IN, arg);
    case XENMEM_get_vnumainfo:
        return -EOPNOTSUPP; /* no vNUMA topology: Xen's answer for such a domain */
    default:
        dlog(v->d, "memory: d%u: memory_op %lu unknown: -ENOSYS\n", v->d->id, cmd);
        return -ENOSYS;
    }
}
