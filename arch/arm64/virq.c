/*
 * virq.c — a domain's emulated GIC, and the interrupts granite raises in it
 * for core/: the event-channel upcall and an emulated device's line.
 *
 * The route of an upcall, end to end (a port signalled to dom0, say):
 *   core/event_channel.c  the five delivery steps there; the last is
 *   arch_evtchn_upcall    here: the upcall PPI becomes pending in the vGIC;
 *   vgic_inject           (vgic.c) if it became deliverable, kicks the vCPU:
 *   kick_vcpu             here: vcpu_wake (core/sched.c) makes it runnable
 *                         if it was blocked and, unless its CPU will look on
 *                         its own way in, kicks that CPU (arch_kick_cpu, an
 *                         SGI); on entry vgic_lr_fill puts the PPI in an LR.
 *
 * The vGIC model (vgic.c) is plain C with no knowledge of vCPUs or CPUs: it
 * reports "look again" and "mirror this enable" through struct vgic_ops, and
 * this file is where those become calls into the scheduler and the GIC.
 *
 * Assumption: a domain's vGIC is its unit's state (arch_vgic_unit below), so
 * it lives as long as the domain table's slot, not just as long as the
 * domain -- a physical interrupt or an event raised for a domain that has
 * just ended still finds initialised state.  It is the first unit set up and
 * the last released (core/domain.c units[]), and has no dying or destroy.
 */
#include <granite/arch.h>
#include <granite/arch_callbacks.h>
#include <granite/domain.h>
#include <granite/errno.h>
#include <granite/gic.h>
#include <granite/memory_map.h>
#include <granite/vgic.h>

_Static_assert(GUEST_GICD_SIZE == VGIC_DIST_SIZE && GUEST_GICR_STRIDE == VGIC_RDIST_STRIDE,
               "the guest layout (memory_map.h) is the vGIC's frames");
_Static_assert(ARCH_NR_VIRQS == VGIC_NR_IRQS, "arch.h tells core how many INTIDs a vGIC has");

/* A vGIC's "this vCPU should look at its interrupts again". */
static void kick_vcpu(void *domain, unsigned vcpu)
{
    struct domain *d = domain;

    if (vcpu < d->nr_vcpus)
        vcpu_wake(&d->vcpu[vcpu]);
}

/* The guest enabled or disabled a HW-linked SPI: the physical one follows. */
static void mirror_hw_enable(void *domain unused, u32 hw_intid, bool enable)
{
    gic_enable(hw_intid, enable);
}

/* A direct-mapped domain sees the host's GIC layout (its device tree is the
 * host's); any other domain the layout of Xen's guests (memory_map.h). */
int arch_domain_init(struct domain *d)
{
    struct vgic_ops ops = { .kick = kick_vcpu, .hw_enable = mirror_hw_enable, .ctx = d };
    u64 dist = d->direct_map ? pa_addr(gic_dist_base()) : GUEST_GICD_BASE;
    u64 rdist = d->direct_map ? pa_addr(gic_rdist_base()) : GUEST_GICR_BASE;

    if (!d->vgic)
        return -EINVAL;
    return vgic_init(d->vgic, d->id, d->nr_vcpus, dist, rdist, &ops);
}

static int unit_init(struct domain *d, void *state)
{
    d->vgic = state;
    return 0;
}

const struct domain_unit arch_vgic_unit = {
    .name = "vGIC", .state_size = sizeof(struct vgic), .init = unit_init,
};

/* Event-channel upcall: the PPI the guest's /hypervisor node names. */
void arch_evtchn_upcall(struct domain *d, unsigned vcpu)
{
    vgic_inject(d->vgic, vcpu, GUEST_EVTCHN_PPI);
}

/* An emulated device's level-sensitive SPI (the vPL011's), aimed at vCPU 0. */
void arch_domain_irq_level(struct domain *d, u32 intid, bool level)
{
    vgic_set_level(d->vgic, 0, intid, level);
}

bool arch_vcpu_has_pending(struct vcpu *v) { return vgic_has_pending(v->d->vgic, v->id); }
