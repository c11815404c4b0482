/*
 * stage2.c — the stage-2 descriptor format and geometry (Arm ARM D8.3, D8.2).
 *
 * Stage 2 translates a guest's IPA to a PA.  Its leaf descriptor differs from
 * stage 1: memory attributes are given directly (MemAttr[5:2], no MAIR), access
 * permissions are S2AP[7:6], execute-never is XN[54:53].  granite keeps the p2m
 * type in the software bits [58:55], which the hardware ignores.
 *
 * The geometry follows ID_AA64MMFR0_EL1.PARange: the IPA space is as large as the
 * PA space (capped at 48 bits, the 4 KiB granule's limit without FEAT_LPA2, and
 * at least 40 bits).  The walk starts at level 1 with a concatenated root for
 * 40 and 42 bits, at level 0 for 44 and 48 bits — the table Xen uses too.
 *
 * Pure C: the host unit tests check these encodings.
 */
#include <granite/p2m.h>
#include <granite/errno.h>

/* Stage-2 leaf fields (Arm ARM D8.3.2). */
#define S2_MEMATTR(x) FIELD_PREP(GENMASK(5, 2), x)
#define S2_MEMATTR_DEVICE_nGnRE 0x1 /* 0b0001 */
#define S2_MEMATTR_NORMAL_NC 0x5    /* outer NC, inner NC */
#define S2_MEMATTR_NORMAL_WB 0xf    /* outer WB, inner WB */
#define S2AP_R BIT(6)
#define S2AP_W BIT(7)
#define S2_SH(x) FIELD_PREP(GENMASK(9, 8), x)
#define SH_OUTER 2
#define SH_INNER 3
#define S2_XN BIT(54) /* XN[1:0] = 0b10: not executable at EL1 or EL0 */
#define S2_TYPE(t) FIELD_PREP(DESC_SW_MASK, t)

/* VTCR_EL2 fields (Arm ARM D19.2, VTCR_EL2). */
#define VTCR_T0SZ(x) FIELD_PREP(GENMASK(5, 0), x)
#define VTCR_SL0(x) FIELD_PREP(GENMASK(7, 6), x)
#define VTCR_IRGN0_WBWA FIELD_PREP(GENMASK(9, 8), 1)
#define VTCR_ORGN0_WBWA FIELD_PREP(GENMASK(11, 10), 1)
#define VTCR_SH0_INNER FIELD_PREP(GENMASK(13, 12), 3)
#define VTCR_TG0_4K FIELD_PREP(GENMASK(15, 14), 0)
#define VTCR_PS(x) FIELD_PREP(GENMASK(18, 16), x)
#define VTCR_VS BIT(19)
#define VTCR_RES1 BIT(31)

#define PARANGE_48 5
#define VMIDBITS_16 2

static u64 stage2_encode_leaf(pa_t oa, unsigned level, unsigned type)
{
    u64 d = pa_addr(oa) | DESC_VALID | DESC_AF | S2_TYPE(type);

    if (level == 3)
        d |= DESC_PAGE;
    switch ((p2m_type_t)type) {
    case p2m_ram_rw:
        return d | S2_MEMATTR(S2_MEMATTR_NORMAL_WB) | S2_SH(SH_INNER) | S2AP_R | S2AP_W;
    case p2m_ram_ro:
        return d | S2_MEMATTR(S2_MEMATTR_NORMAL_WB) | S2_SH(SH_INNER) | S2AP_R;
    case p2m_mmio_direct_dev:
        return d | S2_MEMATTR(S2_MEMATTR_DEVICE_nGnRE) | S2_SH(SH_OUTER) | S2AP_R | S2AP_W |
               S2_XN;
    case p2m_mmio_direct_nc:
        return d | S2_MEMATTR(S2_MEMATTR_NORMAL_NC) | S2_SH(SH_OUTER) | S2AP_R | S2AP_W | S2_XN;
    case p2m_grant_map_rw:
    case p2m_iommu_map_rw:
        return d | S2_MEMATTR(S2_MEMATTR_NORMAL_WB) | S2_SH(SH_INNER) | S2AP_R | S2AP_W | S2_XN;
    case p2m_grant_map_ro:
    case p2m_iommu_map_ro:
        return d | S2_MEMATTR(S2_MEMATTR_NORMAL_WB) | S2_SH(SH_INNER) | S2AP_R | S2_XN;
    case p2m_invalid:
    case p2m_max_type:
        break;
    }
    return 0; /* an invalid descriptor: an unknown type maps nothing */
}

static unsigned stage2_leaf_type(u64 desc) { return FIELD_GET(DESC_SW_MASK, desc); }

const struct pt_format stage2_format = {
    .name = "stage2",
    .encode_leaf = stage2_encode_leaf,
    .leaf_type = stage2_leaf_type,
};

static const unsigned parange_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

int stage2_geometry_for(unsigned parange, unsigned vmid_bits_field, struct stage2_geometry *g)
{
    unsigned ps;

    if (parange >= ARRAY_SIZE(parange_bits))
        return -EINVAL;
    g->pa_bits = parange_bits[parange];
    if (g->pa_bits < 40)
        return -ERANGE; /* granite needs at least a 40-bit IPA space */
    ps = parange > PARANGE_48 ? PARANGE_48 : parange;
    g->ipa_bits = parange_bits[ps];
    if (g->ipa_bits <= 42) {
        g->root_level = 1; /* SL0 = 1 */
        /* 2^(ipa_bits - 30) root entries of 512 per page: 40 bits -> 2 pages, 42 -> 8 */
        g->root_order = g->ipa_bits - 30 - 9;
    } else {
        g->root_level = 0; /* SL0 = 2 */
        g->root_order = 0;
    }
    g->vmid_bits = vmid_bits_field == VMIDBITS_16 ? 16 : 8;
    g->vtcr = VTCR_RES1 | VTCR_T0SZ(64 - g->ipa_bits) | VTCR_SL0(2 - g->root_level) |
              VTCR_IRGN0_WBWA | VTCR_ORGN0_WBWA | VTCR_SH0_INNER | VTCR_TG0_4K | VTCR_PS(ps) |
              (g->vmid_bits == 16 ? VTCR_VS : 0);
    return 0;
}
