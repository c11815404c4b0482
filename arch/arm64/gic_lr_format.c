/*
 * gic_lr_format.c — the two list-register formats, as struct gic_lr
 * (include/granite/gic.h) and back: pure bit layout, no register access, so
 * the host unit tests check it (tests/unit/test_gic_lr_format.c).
 *
 *   GICv3 ICH_LR<n>_EL2 (Arm IHI 0069, "ICH_LR<n>_EL2"), 64 bits:
 *     vINTID [31:0], pINTID [44:32] (HW = 1; bit 41 is EOI when HW = 0),
 *     Priority [55:48], Group [60], HW [61], State [63:62].
 *   GICv2 GICH_LR<n> (Arm IHI 0048B §5.3.11), 32 bits:
 *     VirtualID [9:0], PhysicalID [19:10] (HW = 1; bit 19 is EOI and
 *     [12:10] the SGI's CPUID when HW = 0), Priority [27:23] (the top five
 *     bits of the 8-bit priority), State [29:28], Grp1 [30], HW [31].
 * State: bit 0 pending, bit 1 active, in both.
 *
 * Assumption: the fields of a struct gic_lr fit (vINTID < 1020 for GICv2,
 * pINTID 32..1019); the callers (vgic_lr.c, fed by the vGIC model) never ask
 * for more.  A GICv2 SGI's CPUID is written as 0 (see vgic.h).
 */
#include <granite/gic.h>

#define ICH_LR_VINTID GENMASK(31, 0)
#define ICH_LR_PINTID GENMASK(44, 32)
#define ICH_LR_EOI BIT(41)
#define ICH_LR_PRIORITY GENMASK(55, 48)
#define ICH_LR_GROUP BIT(60)
#define ICH_LR_HW BIT(61)
#define ICH_LR_STATE GENMASK(63, 62)

#define GICH_LR_VIRTUALID GENMASK(9, 0)
#define GICH_LR_PHYSICALID GENMASK(19, 10)
#define GICH_LR_EOI BIT(19)
#define GICH_LR_PRIORITY GENMASK(27, 23)
#define GICH_LR_PRIORITY_SHIFT 3
#define GICH_LR_STATE GENMASK(29, 28)
#define GICH_LR_GRP1 BIT(30)
#define GICH_LR_HW BIT(31)

#define LR_STATE_PENDING 1
#define LR_STATE_ACTIVE 2

static u64 state_of(const struct gic_lr *lr)
{
    return (lr->pending ? LR_STATE_PENDING : 0) | (lr->active ? LR_STATE_ACTIVE : 0);
}

u64 gic_v3_lr_encode(const struct gic_lr *lr)
{
    u64 raw = FIELD_PREP(ICH_LR_VINTID, lr->vintid) | FIELD_PREP(ICH_LR_PRIORITY, lr->priority) |
              (lr->group1 ? ICH_LR_GROUP : 0) | FIELD_PREP(ICH_LR_STATE, state_of(lr));

    if (lr->hw)
        raw |= ICH_LR_HW | FIELD_PREP(ICH_LR_PINTID, lr->pintid);
    else if (lr->eoi)
        raw |= ICH_LR_EOI;
    return raw;
}

void gic_v3_lr_decode(u64 raw, struct gic_lr *lr)
{
    u64 state = FIELD_GET(ICH_LR_STATE, raw);

    *lr = (struct gic_lr){
        .vintid = (u32)FIELD_GET(ICH_LR_VINTID, raw),
        .priority = (u8)FIELD_GET(ICH_LR_PRIORITY, raw),
        .group1 = raw & ICH_LR_GROUP,
        .hw = raw & ICH_LR_HW,
        .pending = state & LR_STATE_PENDING,
        .active = state & LR_STATE_ACTIVE,
    };
    if (lr->hw)
        lr->pintid = (u32)FIELD_GET(ICH_LR_PINTID, raw);
    else
        lr->eoi = raw & ICH_LR_EOI;
}

u64 gic_v2_lr_encode(const struct gic_lr *lr)
{
    u64 raw = FIELD_PREP(GICH_LR_VIRTUALID, lr->vintid) |
              FIELD_PREP(GICH_LR_PRIORITY, lr->priority >> GICH_LR_PRIORITY_SHIFT) |
              (lr->group1 ? GICH_LR_GRP1 : 0) | FIELD_PREP(GICH_LR_STATE, state_of(lr));

    if (lr->hw)
        raw |= GICH_LR_HW | FIELD_PREP(GICH_LR_PHYSICALID, lr->pintid);
    else if (lr->eoi)
        raw |= GICH_LR_EOI;
    return raw;
}

void gic_v2_lr_decode(u64 raw, struct gic_lr *lr)
{
    u64 state = FIELD_GET(GICH_LR_STATE, raw);

    *lr = (struct gic_lr){
        .vintid = (u32)FIELD_GET(GICH_LR_VIRTUALID, raw),
        .priority = (u8)(FIELD_GET(GICH_LR_PRIORITY, raw) << GICH_LR_PRIORITY_SHIFT),
        .group1 = raw & GICH_LR_GRP1,
        .hw = raw & GICH_LR_HW,
        .pending = state & LR_STATE_PENDING,
        .active = state & LR_STATE_ACTIVE,
    };
    if (lr->hw)
        lr->pintid = (u32)FIELD_GET(GICH_LR_PHYSICALID, raw);
    else
        lr->eoi = raw & GICH_LR_EOI;
}
