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
 * The model follows the host GIC (gic_host()->version): a GICv3 host gives
 * guests the GICv3 model, a GICv2 host the GICv2 one, whose CPU interface is
 * the hardware's GICV frame mapped into the guest's stage 2 where its GICC is
 * (dom0: the host's GICC address; a domU: GUEST_GICC_BASE).  The one table
 * below holds the difference.
 *
 * Assumption: a domain's vGIC is its unit's state (arch_vgic_unit below), so
 * it lives as long as the domain table's slot, not just as long as the
 * domain -- a physical interrupt or an event raised for a domain that has
 * just ended still finds initialised state.  It is the first unit set up and
 * the last released (core/domain.c units[]), and has no dying or destroy.
 */
#include <granite/arch.h>
#include <granite/arch_callbacks.h>
#include <granite/console.h>
#include <granite/domain.h>
#include <granite/errno.h>
#include <granite/gic.h>
#include <granite/memory_map.h>
#include <granite/p2m.h>
#include <granite/vgic.h>

_Static_assert(GUEST_GICD_SIZE == VGIC_DIST_SIZE && GUEST_GICR_STRIDE == VGIC_RDIST_STRIDE,
               "the guest layout (memory_map.h) is the vGIC's frames");
_Static_assert(GUEST_GICV2_DIST_SIZE == VGIC_V2_DIST_SIZE && GUEST_GICC_SIZE == 2 * PAGE_SIZE,
               "a GICv2 guest's layout: the vGIC's distributor page, two GICV pages");
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

/*
 * GICv2: the guest's GICC is the hardware's GICV, page by page: GICV's
 * second page (GICV_DIR) may sit 64 KiB on (a GIC-400's aliased frames), the
 * guest's always sits 4 KiB on (the DT it is given says a 8 KiB GICC).
 */
static int map_gicv(struct domain *d, u64 gicc_ipa)
{
    const struct gic_ops *h = gic_host();
    int ret = p2m_map(&d->p2m, ipa(gicc_ipa), h->vcpuif_base, PAGE_SIZE, p2m_mmio_direct_dev);

    if (!ret)
        ret = p2m_map(&d->p2m, ipa(gicc_ipa + PAGE_SIZE), pa(pa_addr(h->vcpuif_base) +
                      h->vcpuif_page2), PAGE_SIZE, p2m_mmio_direct_dev);
    if (ret)
        printk("vgic: d%u: cannot map the virtual CPU interface at IPA 0x%lx: %d\n", d->id,
               gicc_ipa, ret);
    return ret;
}

static u64 guest_gicc(const struct domain *d)
{
    return d->direct_map ? pa_addr(gic_host()->cpuif_base) : GUEST_GICC_BASE;
}

static u64 guest_gicd(const struct domain *d)
{
    return d->direct_map ? pa_addr(gic_dist_base()) : GUEST_GICD_BASE;
}

static int init_v3(struct domain *d, const struct vgic_ops *ops)
{
    u64 rdist = d->direct_map ? pa_addr(gic_rdist_base()) : GUEST_GICR_BASE;

    return vgic_init(d->vgic, d->id, d->nr_vcpus, guest_gicd(d), rdist, ops);
}

static int init_v2(struct domain *d, const struct vgic_ops *ops)
{
    int ret = vgic_init_v2(d->vgic, d->id, d->nr_vcpus, guest_gicd(d), ops);

    return ret ? ret : map_gicv(d, guest_gicc(d));
}

static void dt_v3(const struct domain *d, struct arch_gic_dt *out)
{
    *out = (struct arch_gic_dt){
        .compatible = "arm,gic-v3",
        .reg = { GUEST_GICD_BASE, GUEST_GICD_SIZE, GUEST_GICR_BASE,
                 (u64)d->nr_vcpus * GUEST_GICR_STRIDE },
        .nr_reg = 2,
        .redist_regions = true,
    };
}

static void dt_v2(const struct domain *d unused, struct arch_gic_dt *out)
{
    *out = (struct arch_gic_dt){
        .compatible = "arm,cortex-a15-gic",
        .reg = { GUEST_GICD_BASE, GUEST_GICV2_DIST_SIZE, GUEST_GICC_BASE, GUEST_GICC_SIZE },
        .nr_reg = 2,
    };
}

static const struct {
    int (*init)(struct domain *d, const struct vgic_ops *ops);
    void (*dt)(const struct domain *d, struct arch_gic_dt *out);
} guest_gic[] = {
    [GIC_V2] = { init_v2, dt_v2 },
    [GIC_V3] = { init_v3, dt_v3 },
};

/* A direct-mapped domain sees the host's GIC layout (its device tree is the
 * host's); any other domain the layout of Xen's guests (memory_map.h). */
int arch_domain_init(struct domain *d)
{
    struct vgic_ops ops = { .kick = kick_vcpu, .hw_enable = mirror_hw_enable, .ctx = d };

    if (!d->vgic)
        return -EINVAL;
    return guest_gic[gic_host()->version].init(d, &ops);
}

void arch_domain_gic_dt(const struct domain *d, struct arch_gic_dt *out)
{
    guest_gic[gic_host()->version].dt(d, out);
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

void arch_evtchn_upcall_describe(struct domain *d, unsigned vcpu, char *buf, size_t len)
{
    vgic_describe(d->vgic, vcpu, GUEST_EVTCHN_PPI, buf, len);
}

/* An emulated device's level-sensitive SPI (the vPL011's), aimed at vCPU 0. */
void arch_domain_irq_level(struct domain *d, u32 intid, bool level)
{
    vgic_set_level(d->vgic, 0, intid, level);
}

bool arch_vcpu_has_pending(struct vcpu *v) { return vgic_has_pending(v->d->vgic, v->id); }
