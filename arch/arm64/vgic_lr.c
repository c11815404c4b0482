/*
 * vgic_lr.c — the list registers: how emulated interrupts reach a guest.
 *
 * The virtual CPU interface presents to the guest whatever granite writes into
 * the list registers (GICv3: ICH_LR<n>_EL2, IHI 0069 §4.9; GICv2: GICH_LR<n>,
 * IHI 0048B §5.3.11; the host GIC's struct gic_ops reads, writes, decodes and
 * encodes them, this file sees only struct gic_lr): a virtual INTID,
 * its priority and group, a state (pending, active, both) and, with the HW bit,
 * the physical INTID that the guest's deactivation also deactivates (or, on
 * a host that says gic_no_hw_lrs, granite deactivates it when the LR drains:
 * soft_link).  The
 * guest acknowledges and ends interrupts on its own; granite only sees the
 * states change.
 *
 * On every exit from the guest, granite reads the list registers back and
 * tells the model (arch/arm64/vgic.c) what became of each interrupt; an
 * interrupt that is neither pending nor active leaves its LR.  On every entry,
 * free LRs are filled with the model's highest-priority deliverable
 * interrupts.  When all LRs are in use, the underflow maintenance interrupt
 * (ICH_HCR_EL2.UIE, GICH_HCR.UIE) asks for a
 * maintenance interrupt once at most one is left, so the rest follow.
 */
#include <granite/domain.h>
#include <granite/vgic.h>
#include <granite/gic.h>
#include "sysregs.h"
#include "internal.h"

/* Which LRs hold an interrupt is tracked in a bitmap, not read off the LR
 * value: an LR for SGI 0, Group 0, priority 0 is all zeros once deactivated. */
static bool lr_in_use(const struct vcpu *v, unsigned i) { return v->ctx.gicif.lr_used & BIT(i); }

/* The LR's interrupt is over (or leaves it): a physical interrupt linked in
 * software (soft_link) is deactivated here, as the HW bit would have done.
 * An LR the guest drained (neither pending nor active) is already invalid to
 * the GIC (IHI 0069, ICH_LR<n>_EL2: State 0b00, the LR holds no interrupt)
 * and need not be written -- unless its EOI bit is set: an invalid LR with
 * EOI = 1 and HW = 0 keeps its ICH_EISR_EL2 bit, and with it the maintenance
 * interrupt, asserted until the LR is cleared.  One that still holds state
 * is cleared too. */
static void lr_release(struct vcpu *v, unsigned i, bool already_quiet)
{
    u16 pintid = v->ctx.gicif.lr_soft_hw[i];

    if (!already_quiet)
        gic_lr_write(i, 0);
    v->ctx.gicif.lr_used &= ~(u32)BIT(i);
    v->ctx.gicif.lr_soft_hw[i] = 0;
    if (pintid)
        gic_deactivate(pintid);
}

/*
 * A HW-linked interrupt on a host whose GIC does not re-signal a physical
 * level interrupt after the guest's deactivation of a HW LR (gic_no_hw_lrs,
 * drivers/gicv2.c says why): the LR goes without the HW bit and with the EOI
 * maintenance bit (set_eoi_exit), and lr_release deactivates the physical one.
 */
static void soft_link(struct vcpu *v, unsigned i, struct gic_lr *lr)
{
    v->ctx.gicif.lr_soft_hw[i] = 0;
    if (!lr->hw || !gic_no_hw_lrs())
        return;
    v->ctx.gicif.lr_soft_hw[i] = (u16)lr->pintid;
    lr->hw = false;
    lr->pintid = 0;
}

void vgic_lr_sync_from_hw(struct vcpu *v)
{
    unsigned n = gic_nr_lrs();

    for (unsigned i = 0; i < n; i++) {
        struct gic_lr lr;
        if (!lr_in_use(v, i))
            continue;
        gic_lr_decode(gic_lr_read(i), &lr);
        vgic_lr_sync(v->d->vgic, v->id, lr.vintid, lr.pending, lr.active);
        if (!lr.pending && !lr.active)
            lr_release(v, i, !lr.eoi);
    }
}

/*
 * The vCPU restarts (PSCI CPU_ON after CPU_OFF): the LRs saved with its old
 * context are dropped, but the interrupts in them are not.  A real
 * redistributor keeps an interrupt pending while its PE is off, so each one
 * goes back to the model with its pending state (and without the active
 * state: the old context that would have deactivated it is gone).  Without
 * this the model would still think them in an LR, and never deliver them again.
 */
void vgic_lr_forget_saved(struct vcpu *v)
{
    for (unsigned i = 0; i < GUEST_MAX_LRS; i++) {
        struct gic_lr lr;
        if (!lr_in_use(v, i))
            continue;
        gic_lr_decode(v->ctx.gicif.lr[i], &lr);
        vgic_lr_forget(v->d->vgic, v->id, lr.vintid, lr.pending);
        v->ctx.gicif.lr[i] = 0;
        v->ctx.gicif.lr_used &= ~(u32)BIT(i);
        v->ctx.gicif.lr_soft_hw[i] = 0;   /* the physical one stays active, as with HW */
    }
}

/*
 * The EOI bit of a software LR: granite must see the guest's deactivation
 * when the model still holds pending state for the interrupt (`owed`, from
 * vgic_lr_refresh or vgic_claim_next: vgic_lr_needs_eoi_exit), and always
 * for the virtual timer (vtimer.c looks at the timer again then).  With
 * HW = 1 the bit is part of the physical INTID field and the physical
 * interrupt itself comes back.
 */
static void set_eoi_exit(const struct vcpu *v, unsigned i, struct gic_lr *lr, bool owed)
{
    lr->eoi = !lr->hw &&
              (owed || lr->vintid == IRQ_PPI_VTIMER || v->ctx.gicif.lr_soft_hw[i]);
}

/* Interrupts already in LRs: rewrite each with the state the model now wants
 * (a new edge, a disable, a priority change since the exit), or clear it.
 * Each ICH_* access is a trip through the GIC model in QEMU: an LR is read
 * only if in use, and written only if it changes. */
static void refresh_lrs(struct vcpu *v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct gic_lr lr;
        u64 raw, want;
        bool owed;

        if (!lr_in_use(v, i))
            continue;
        raw = gic_lr_read(i);
        gic_lr_decode(raw, &lr);
        if (!vgic_lr_refresh(v->d->vgic, v->id, lr.vintid, &lr.priority, &lr.pending,
                             &lr.active, &owed)) {
            lr_release(v, i, false);
            continue;
        }
        set_eoi_exit(v, i, &lr, owed);
        want = gic_lr_encode(&lr);
        if (want != raw)
            gic_lr_write(i, want);
    }
}

void vgic_lr_fill(struct vcpu *v)
{
    unsigned n = gic_nr_lrs();
    bool full = true;

    refresh_lrs(v, n);
    for (unsigned i = 0; i < n; i++) {
        struct gic_lr lr = { .pending = true };
        bool owed;
        int intid;

        if (lr_in_use(v, i))
            continue;
        intid = vgic_claim_next(v->d->vgic, v->id, &lr.priority, &lr.group1, &lr.hw,
                                &lr.pintid, &owed);
        if (intid < 0) {
            full = false;
            break;
        }
        lr.vintid = (u32)intid;
        soft_link(v, i, &lr);
        set_eoi_exit(v, i, &lr, owed);
        gic_lr_write(i, gic_lr_encode(&lr));
        v->ctx.gicif.lr_used |= BIT(i);
    }
    /* Every LR in use: ask for a maintenance interrupt when they drain, so that
     * interrupts still waiting in the model follow. */
    gic_underflow_irq(full);
}
