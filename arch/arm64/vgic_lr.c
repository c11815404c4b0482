/*
 * vgic_lr.c — the GICv3 list registers: how emulated interrupts reach a guest.
 *
 * The virtual CPU interface presents to the guest whatever granite writes into
 * the list registers ICH_LR<n>_EL2 (GICv3 §4.9, §12.4.6): a virtual INTID,
 * its priority and group, a state (pending, active, both) and, with the HW bit,
 * the physical INTID that the guest's deactivation also deactivates.  The
 * guest acknowledges and ends interrupts on its own; granite only sees the
 * states change.
 *
 * On every exit from the guest, granite reads the list registers back and
 * tells the model (arch/arm64/vgic.c) what became of each interrupt; an
 * interrupt that is neither pending nor active leaves its LR.  On every entry,
 * free LRs are filled with the model's highest-priority deliverable
 * interrupts.  When all LRs are in use, ICH_HCR_EL2.UIE asks for a
 * maintenance interrupt once at most one is left, so the rest follow.
 */
#include <granite/domain.h>
#include <granite/vgic.h>
#include <granite/gic.h>
#include "sysregs.h"
#include "internal.h"

#define ICH_LR_VINTID GENMASK(31, 0)
#define ICH_LR_PINTID GENMASK(44, 32)
#define ICH_LR_PRIORITY GENMASK(55, 48)
#define ICH_LR_GROUP BIT(60)
#define ICH_LR_HW BIT(61)
#define ICH_LR_EOI BIT(41) /* HW = 0: maintenance interrupt when the guest deactivates it */
#define ICH_LR_STATE GENMASK(63, 62)
#define LR_STATE_PENDING 1
#define LR_STATE_ACTIVE 2
#define ICH_HCR_EL2 S3_4_C12_C11_0
#define ICH_HCR_UIE BIT(1)

/* Which LRs hold an interrupt is tracked in a bitmap, not read off the LR
 * value: an LR for SGI 0, Group 0, priority 0 is all zeros once deactivated. */
static bool lr_in_use(const struct vcpu *v, unsigned i) { return v->ctx.gicif.lr_used & BIT(i); }
static void lr_release(struct vcpu *v, unsigned i)
{
    ich_lr_access(i, true, 0);
    v->ctx.gicif.lr_used &= ~(u32)BIT(i);
}

void vgic_lr_sync_from_hw(struct vcpu *v)
{
    unsigned n = gic_nr_lrs();

    for (unsigned i = 0; i < n; i++) {
        u64 lr, state;
        if (!lr_in_use(v, i))
            continue;
        lr = ich_lr_access(i, false, 0);
        state = FIELD_GET(ICH_LR_STATE, lr);
        vgic_lr_sync(v->d->vgic, v->id, (u32)FIELD_GET(ICH_LR_VINTID, lr),
                     state & LR_STATE_PENDING, state & LR_STATE_ACTIVE);
        if (!state)
            lr_release(v, i);
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
        u64 lr = v->ctx.gicif.lr[i];
        if (!lr_in_use(v, i))
            continue;
        vgic_lr_forget(v->d->vgic, v->id, (u32)FIELD_GET(ICH_LR_VINTID, lr),
                       FIELD_GET(ICH_LR_STATE, lr) & LR_STATE_PENDING);
        v->ctx.gicif.lr[i] = 0;
        v->ctx.gicif.lr_used &= ~(u32)BIT(i);
    }
}

static u64 make_lr(u32 intid, u8 prio, bool group1, bool hw, u32 hw_intid, bool pending,
                   bool active)
{
    u64 lr = FIELD_PREP(ICH_LR_VINTID, intid) | FIELD_PREP(ICH_LR_PRIORITY, prio) |
             (group1 ? ICH_LR_GROUP : 0) |
             FIELD_PREP(ICH_LR_STATE, (pending ? LR_STATE_PENDING : 0) |
                                      (active ? LR_STATE_ACTIVE : 0));
    if (hw)
        lr |= ICH_LR_HW | FIELD_PREP(ICH_LR_PINTID, hw_intid);
    return lr;
}

/*
 * The EOI bit of a software LR: granite must see the guest's deactivation
 * when the model still holds pending state for the interrupt (`owed`, from
 * vgic_lr_refresh or vgic_claim_next: vgic_lr_needs_eoi_exit), and always
 * for the virtual timer (vtimer.c looks at the timer again then).  With
 * HW = 1 the bit is part of the physical INTID field and the physical
 * interrupt itself comes back.
 */
static u64 with_eoi_exit(u64 lr, bool owed)
{
    if (lr & ICH_LR_HW)
        return lr;
    lr &= ~ICH_LR_EOI;
    if (owed || FIELD_GET(ICH_LR_VINTID, lr) == IRQ_PPI_VTIMER)
        lr |= ICH_LR_EOI;
    return lr;
}

/* Interrupts already in LRs: rewrite each with the state the model now wants
 * (a new edge, a disable, a priority change since the exit), or clear it.
 * Each ICH_* access is a trip through the GIC model in QEMU: an LR is read
 * only if in use, and written only if it changes. */
static void refresh_lrs(struct vcpu *v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        u64 lr, want;
        u8 prio;
        bool pending, active, owed;
        u32 intid;

        if (!lr_in_use(v, i))
            continue;
        lr = ich_lr_access(i, false, 0);
        intid = (u32)FIELD_GET(ICH_LR_VINTID, lr);
        if (!vgic_lr_refresh(v->d->vgic, v->id, intid, &prio, &pending, &active, &owed)) {
            lr_release(v, i);
            continue;
        }
        want = (lr & ~(ICH_LR_STATE | ICH_LR_PRIORITY)) | FIELD_PREP(ICH_LR_PRIORITY, prio) |
               FIELD_PREP(ICH_LR_STATE, (pending ? LR_STATE_PENDING : 0) |
                                        (active ? LR_STATE_ACTIVE : 0));
        want = with_eoi_exit(want, owed);
        if (want != lr)
            ich_lr_access(i, true, want);
    }
}

void vgic_lr_fill(struct vcpu *v)
{
    unsigned n = gic_nr_lrs();
    bool full = true;
    u64 hcr;

    refresh_lrs(v, n);
    for (unsigned i = 0; i < n; i++) {
        u8 prio;
        bool group1, hw, owed;
        u32 hw_intid;
        int intid;

        if (lr_in_use(v, i))
            continue;
        intid = vgic_claim_next(v->d->vgic, v->id, &prio, &group1, &hw, &hw_intid, &owed);
        if (intid < 0) {
            full = false;
            break;
        }
        ich_lr_access(i, true, with_eoi_exit(make_lr((u32)intid, prio, group1, hw, hw_intid,
                                                     true, false), owed));
        v->ctx.gicif.lr_used |= BIT(i);
    }
    /* Every LR in use: ask for a maintenance interrupt when they drain, so that
     * interrupts still waiting in the model follow. */
    hcr = read_sysreg(ICH_HCR_EL2);
    if (full != !!(hcr & ICH_HCR_UIE))
        write_sysreg(ICH_HCR_EL2, full ? (hcr | ICH_HCR_UIE) : (hcr & ~ICH_HCR_UIE));
}
