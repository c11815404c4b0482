/*
 * vcpu_op.c — VCPUOP_register_vcpu_info, where each vCPU's events are
 * announced, and the vm_assist hypercall.
 *
 * A vCPU's vcpu_info (public/xen.h) holds the two words an upcall sets:
 * evtchn_upcall_pending and the selector evtchn_pending_sel.  On Arm only
 * vCPU 0 has one inside shared_info (XEN_LEGACY_MAX_VCPUS 1); every vCPU may
 * move its own into a page of the guest's RAM with VCPUOP_register_vcpu_info
 * {gfn, offset}, and Linux does so on every CPU as it comes up, BUG()ing on
 * failure (linux-xen-guest.md §2 steps 3g and 5).  From then on the event
 * code (core/event_channel.c) finds the vCPU's flags through xen_vcpu_info().
 *
 * Validation (each failure -EINVAL and a rate-limited line, as Xen):
 *   - offset + sizeof(struct vcpu_info) must stay inside the page, and offset
 *     must be 8-byte aligned: evtchn_pending_sel is changed with 64-bit atomic
 *     instructions, which need natural alignment;
 *   - the frame must be a page of the caller's own RAM: inside its RAM range,
 *     mapped p2m_ram_rw, not a page granite placed there (shared_info, a grant
 *     frame), and RAM granite maps at EL2.  A domain's RAM pages are freed only
 *     when the domain is released, after its event channels are closed, so
 *     the pointer kept here stays valid as long as anything can use it (even
 *     if the guest later maps shared_info over the same GFN: the RAM page
 *     stays the domain's, core/memory_op.c);
 *   - once per vCPU: a second registration fails (Linux keeps its vcpu_info
 *     across CPU hotplug and does not register again).
 * The rsvd field is ignored: Linux leaves it uninitialised.
 *
 * On success, as Xen does, the new vcpu_info starts with what the old one
 * held, and then every selector bit and the upcall flag are set and the
 * upcall raised: an event that landed in the old place meanwhile is not lost,
 * and the guest gets at most a spurious scan.
 *
 * Concurrency: the pointer is published with one compare-and-swap from NULL
 * (two racing registrations: one wins, the other gets -EINVAL); the event code
 * reads it with an acquire load.  Events delivered to the old place between
 * the copy and the swap are covered by the "everything pending" step.
 */
#include <granite/xen_guest.h>
#include <granite/domain.h>
#include <granite/event_channel.h>
#include <granite/arch.h>
#include <granite/dlog.h>
#include <granite/errno.h>
#include <granite/memory_map.h>
#include <granite/mm.h>
#include <public/xen.h>
#include <public/vcpu.h>

struct xen_vcpu_slot {
    struct vcpu_info *info; /* registered vcpu_info (EL2 pointer), or NULL */
    u64 gfn;
    u32 offset;
};

/* A domain's records: its unit's state (xen_guest_unit below, d->xen_guest). */
struct xen_guest {
    struct xen_vcpu_slot slot[MAX_VCPUS];
    bool runstate_flag;     /* VMASST_TYPE_runstate_update_flag is on */
};

void xen_guest_domain_init(struct domain *d)
{
    struct xen_guest *x = d->xen_guest;

    if (!x)
        return;
    for (unsigned i = 0; i < MAX_VCPUS; i++) {
        __atomic_store_n(&x->slot[i].info, NULL, __ATOMIC_RELEASE);
        x->slot[i].gfn = 0;
        x->slot[i].offset = 0;
        if (i < d->nr_vcpus)
            runstate_vcpu_reset(&d->vcpu[i]);
    }
    __atomic_store_n(&x->runstate_flag, false, __ATOMIC_RELEASE);
}

struct vcpu_info *xen_vcpu_info(struct domain *d, unsigned vcpu)
{
    struct vcpu_info *vi;

    if (!d->xen_guest || vcpu >= MAX_VCPUS)
        return NULL;
    vi = __atomic_load_n(&d->xen_guest->slot[vcpu].info, __ATOMIC_ACQUIRE);
    if (vi)
        return vi;
    if (vcpu < XEN_LEGACY_MAX_VCPUS && d->shared_info)
        return &((struct shared_info *)d->shared_info)->vcpu_info[vcpu];
    return NULL;
}

bool xen_runstate_update_flag(const struct domain *d)
{
    return d->xen_guest && __atomic_load_n(&d->xen_guest->runstate_flag, __ATOMIC_ACQUIRE);
}

/* The EL2 address of the caller's RAM page at gfn, or NULL (and why). */
static u8 *own_ram_page(struct domain *d, u64 gfn, const char **why)
{
    u64 at = gfn << PAGE_SHIFT;
    p2m_type_t t;
    pa_t pa;

    if (gfn >> (64 - PAGE_SHIFT) || at < ipa_addr(d->ram_base) ||
        at - ipa_addr(d->ram_base) >= d->ram_size) {
        *why = "not in its RAM";
        return NULL;
    }
    if (p2m_lookup(&d->p2m, ipa(at), &pa, &t) || t != p2m_ram_rw) {
        *why = "not writable RAM in its p2m";
        return NULL;
    }
    if (physmap_is_granite_page(d, pa)) {
        *why = "a page granite placed there (shared_info or a grant frame)";
        return NULL;
    }
    if (!mm_pa_range_is_ram(pa, PAGE_SIZE)) {
        *why = "not RAM granite maps (reserved memory or a device window)";
        return NULL;
    }
    return pa_to_ptr(pa);
}

static long register_vcpu_info(struct vcpu *v, struct vcpu *target, u64 arg)
{
    struct domain *d = v->d;
    struct vcpu_register_vcpu_info r;
    struct xen_vcpu_slot *s = &d->xen_guest->slot[target->id];
    struct vcpu_info *old, *new, *expected = NULL;
    const char *why = NULL;
    u8 *page;

    if (copy_from_guest(v, &r, arg, sizeof(r))) {
        dlog(d, "vcpu: d%u vcpu%u: register_vcpu_info: argument at 0x%lx unreadable: -EFAULT\n",
             d->id, v->id, arg);
        return -EFAULT;
    }
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) || (r.offset & 7)) {
        dlog(d, "vcpu: d%u: register_vcpu_info for vcpu%u: offset 0x%x (a %lu-byte vcpu_info "
             "must fit in the page, 8-byte aligned): -ENXIO\n", d->id, target->id, r.offset,
             sizeof(struct vcpu_info));
        return -ENXIO; /* Xen's answer for an area that crosses a page or is misaligned */
    }
    if (__atomic_load_n(&s->info, __ATOMIC_ACQUIRE)) {
        dlog(d, "vcpu: d%u: register_vcpu_info for vcpu%u: already registered (gfn 0x%lx+0x%x): "
             "-EINVAL\n", d->id, target->id, s->gfn, s->offset);
        return -EINVAL;
    }
    page = own_ram_page(d, r.mfn, &why);
    if (!page) {
        dlog(d, "vcpu: d%u: register_vcpu_info for vcpu%u: gfn 0x%lx is %s: -EINVAL\n", d->id,
             target->id, r.mfn, why);
        return -EINVAL;
    }
    new = (struct vcpu_info *)(page + r.offset);
    old = xen_vcpu_info(d, target->id);
    if (old) {
        new->evtchn_upcall_pending = __atomic_load_n(&old->evtchn_upcall_pending,
                                                     __ATOMIC_SEQ_CST);
        new->evtchn_upcall_mask = old->evtchn_upcall_mask;
        __atomic_store_n(&new->evtchn_pending_sel,
                         __atomic_load_n(&old->evtchn_pending_sel, __ATOMIC_SEQ_CST),
                         __ATOMIC_SEQ_CST);
        new->time = old->time;
    }
    s->gfn = r.mfn;
    s->offset = r.offset;
    if (!__atomic_compare_exchange_n(&s->info, &expected, new, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
        dlog(d, "vcpu: d%u: register_vcpu_info for vcpu%u: registered meanwhile: -EINVAL\n",
             d->id, target->id);
        return -EINVAL;
    }
    /* Anything may have landed in the old place: have the guest look at all. */
    __atomic_store_n(&new->evtchn_pending_sel, ~(xen_ulong_t)0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&new->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
    arch_evtchn_upcall(d, target->id);
    return 0;
}

long do_vcpu_op(struct vcpu *v, u64 cmd, u64 vcpuid, u64 arg)
{
    struct domain *d = v->d;
    struct vcpu_register_runstate_memory_area area;
    struct vcpu *target;

    if (vcpuid >= d->nr_vcpus || !d->xen_guest) {
        dlog(d, "vcpu: d%u: vcpu_op %lu for vcpu%lu: the domain has %u vCPU(s): -ENOENT\n",
             d->id, cmd, vcpuid, d->nr_vcpus);
        return -ENOENT;
    }
    target = &d->vcpu[vcpuid];
    switch (cmd) {
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, target, arg);
    case VCPUOP_register_runstate_memory_area:
    case VCPUOP_register_runstate_phys_area:
        if (copy_from_guest(v, &area, arg, sizeof(area))) {
            dlog(d, "vcpu: d%u vcpu%u: register_runstate area: argument at 0x%lx unreadable: "
                 "-EFAULT\n", d->id, v->id, arg);
            return -EFAULT;
        }
        return runstate_register(v, target, area.addr,
                                 cmd == VCPUOP_register_runstate_phys_area);
    default:
        /* Xen/Arm offers only the registrations and answers -EINVAL to the rest. */
        dlog(d, "vcpu: d%u: vcpu_op %lu not offered on Arm: -EINVAL\n", d->id, cmd);
        return -EINVAL;
    }
}

long do_vm_assist(struct vcpu *v, u64 cmd, u64 type)
{
    struct domain *d = v->d;

    if (cmd != VMASST_CMD_enable && cmd != VMASST_CMD_disable) {
        dlog(d, "vcpu: d%u: vm_assist command %lu unknown: -ENOSYS\n", d->id, cmd);
        return -ENOSYS;
    }
    if (type != VMASST_TYPE_runstate_update_flag || !d->xen_guest) {
        dlog(d, "vcpu: d%u: vm_assist type %lu not offered (only runstate_update_flag, %u): "
             "-EINVAL\n", d->id, type, VMASST_TYPE_runstate_update_flag);
        return -EINVAL;
    }
    __atomic_store_n(&d->xen_guest->runstate_flag, cmd == VMASST_CMD_enable, __ATOMIC_RELEASE);
    return 0;
}

static int unit_init(struct domain *d, void *state)
{
    d->xen_guest = state;
    return 0;
}

/* Its unit (domain.h): the records are reset by xen_guest_domain_init. */
const struct domain_unit xen_guest_unit = {
    .name = "vcpu_info records", .state_size = sizeof(struct xen_guest), .init = unit_init,
};
