/*
 * mmio.c — emulating a guest's load or store to a device that granite models.
 *
 * A guest's access to an IPA with no stage-2 mapping traps as a data abort
 * from a lower EL.  When the instruction was a simple load or store, the
 * syndrome describes it completely (ESR_EL2.ISV = 1, Arm ARM D19.2.40): the
 * access size (SAS), the register (SRT), whether to sign-extend (SSE) into a
 * 32- or 64-bit register (SF), and the direction (WnR).  granite offers the
 * access to each emulated device of the domain (the vGIC, the vPL011); the
 * one that claims the address performs it, and the guest continues after the
 * instruction.
 *
 * An access no device claims is a stage-2 abort proper: logged field by field
 * and fatal to the domain.  So is an access to a device with an instruction
 * the syndrome cannot describe (ISV = 0: load/store pair, writeback...).
 */
#include <granite/dlog.h>
#include <granite/domain.h>
#include <granite/vgic.h>
#include <granite/console.h>
#include "sysregs.h"
#include "internal.h"
#include "inject.h"


static u64 reg_read(struct guest_context *c, unsigned r) { return r == 31 ? 0 : c->x[r]; }

static void reg_write(struct guest_context *c, unsigned r, u64 v)
{
    if (r != 31)
        c->x[r] = v;
}

static bool device_access(struct domain *d, unsigned vcpu, u64 ipa, unsigned size, bool write,
                          u64 *val)
{
    if (write ? vgic_mmio_write(d->vgic, vcpu, ipa, size, *val)
              : vgic_mmio_read(d->vgic, vcpu, ipa, size, val))
        return true;
    return vpl011_mmio(&d->uart, ipa, size, write, val);
}

static bool vgic_owns(const struct vgic *g, u64 ipa)
{
    return vgic_in_dist(g, ipa) || vgic_in_rdist(g, ipa);
}

static bool is_emulated(struct domain *d, u64 ipa)
{
    return vgic_owns(d->vgic, ipa) || (d->uart.present && ipa >= d->uart.base &&
                                       ipa < d->uart.base + VPL011_SIZE);
}

/* Returns true if the abort was an emulated device access (now done). */
bool mmio_emulate(struct vcpu *v, u64 esr, u64 ipa)
{
    struct guest_context *c = &v->ctx;
    unsigned size, srt;
    bool write;
    u64 val;

    if (!is_emulated(v->d, ipa)) {
        v->stats.mmio[STATS_MMIO_NONE]++;
        return false;
    }
    if (vgic_owns(v->d->vgic, ipa))
        v->stats.mmio[vgic_in_dist(v->d->vgic, ipa) ? STATS_MMIO_GICD : STATS_MMIO_GICR]++;
    else
        v->stats.mmio[STATS_MMIO_UART]++;
    if (!(esr & DABT_ISV)) {
        dlog(v->d, "mmio: d%u vcpu%u: access to emulated device at IPA 0x%lx by an instruction "
             "without syndrome (PC 0x%lx): cannot emulate\n", v->d->id, v->id, ipa, c->pc);
        return false;
    }
    size = 1U << FIELD_GET(DABT_SAS, esr);
    srt = FIELD_GET(DABT_SRT, esr);
    write = esr & DABT_WNR;
    val = write ? reg_read(c, srt) : 0;
    if (write && size < 8)
        val &= (1UL << (size * 8)) - 1;
    device_access(v->d, v->id, ipa, size, write, &val);
    if (!write) {
        if ((esr & DABT_SSE) && size < 8 && (val & (1UL << (size * 8 - 1))))
            val |= ~((1UL << (size * 8)) - 1);
        if (!(esr & DABT_SF))
            val &= 0xffffffffUL;
        reg_write(c, srt, val);
    }
    vcpu_skip_instruction(c);
    return true;
}
