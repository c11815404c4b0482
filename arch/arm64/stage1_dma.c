/*
 * stage1_dma.c — descriptor formats for an IOMMU's own tables.
 *
 * With stage 2 the IOMMU's separate tables use the p2m's own format
 * (arch/arm64/stage2.c): same leaf bits, same types, so mirroring a p2m entry
 * is copying it.  An SMMU without stage 2 translates with stage-1 tables
 * instead (Arm ARM D8.3, VMSAv8-64 stage-1 descriptors): memory attributes
 * come indirectly through MAIR (AttrIndx[4:2] picks one of eight bytes),
 * permissions are AP[7:6] (AP[2] = read-only; AP[1] = EL0 access, set: a
 * device's request may arrive unprivileged), and
 * execute-never is UXN/PXN[54:53].  The p2m type goes in the software bits
 * [58:55] as in stage 2, so the IOMMU layer can read back what it mapped.
 *
 * The walk geometry is the p2m's (same input size, same start level), which a
 * stage-1 walk accepts for the sizes granite uses (44 and 48 bits start at
 * level 0 with one root page; 40 and 42 need a concatenated root, which
 * stage 1 does not have — the SMMU driver refuses that combination).
 */
#include <granite/arch.h>
#include <granite/p2m.h>

#define S1_ATTRINDX(x) FIELD_PREP(GENMASK(4, 2), x)
#define S1_AP_RO BIT(7)       /* AP[2]: read-only at every level */
#define S1_AP_EL0 BIT(6)      /* AP[1]: unprivileged access allowed too */
#define S1_SH_INNER FIELD_PREP(GENMASK(9, 8), 3)
#define S1_SH_OUTER FIELD_PREP(GENMASK(9, 8), 2)
#define S1_XN (BIT(54) | BIT(53))
#define S1_TYPE(t) FIELD_PREP(DESC_SW_MASK, t)

/* MAIR attribute bytes (Arm ARM D19.2, MAIR_ELx). */
#define MAIR_IDX_NORMAL_WB 0
#define MAIR_IDX_DEVICE 1
#define MAIR_NORMAL_WB_RWA 0xffUL   /* outer and inner write-back, read/write-allocate */
#define MAIR_DEVICE_nGnRE 0x04UL

u64 arch_iommu_s1_mair(void)
{
    return MAIR_NORMAL_WB_RWA << (8 * MAIR_IDX_NORMAL_WB) | MAIR_DEVICE_nGnRE << (8 * MAIR_IDX_DEVICE);
}

static u64 s1_encode_leaf(pa_t oa, unsigned level, unsigned type)
{
    /* AP[1] set: PCIe requests without a PASID arrive unprivileged, and the
     * STE's PRIVCFG override exists only with IDR1.ATTR_PERMS_OVR. */
    u64 d = pa_addr(oa) | DESC_VALID | DESC_AF | S1_XN | S1_AP_EL0 | S1_TYPE(type);

    if (level == 3)
        d |= DESC_PAGE;
    switch ((p2m_type_t)type) {
    case p2m_ram_rw:
    case p2m_grant_map_rw:
    case p2m_iommu_map_rw:
        return d | S1_ATTRINDX(MAIR_IDX_NORMAL_WB) | S1_SH_INNER;
    case p2m_ram_ro:
    case p2m_grant_map_ro:
    case p2m_iommu_map_ro:
        return d | S1_ATTRINDX(MAIR_IDX_NORMAL_WB) | S1_SH_INNER | S1_AP_RO;
    case p2m_mmio_direct_dev:
    case p2m_mmio_direct_nc:
        return d | S1_ATTRINDX(MAIR_IDX_DEVICE) | S1_SH_OUTER;
    case p2m_invalid:
    case p2m_max_type:
        break;
    }
    return 0;
}

static unsigned s1_leaf_type(u64 desc) { return FIELD_GET(DESC_SW_MASK, desc); }

static const struct pt_format s1_dma_format = {
    .name = "stage1-dma",
    .encode_leaf = s1_encode_leaf,
    .leaf_type = s1_leaf_type,
};

const struct pt_format *arch_iommu_format(bool stage1) { return stage1 ? &s1_dma_format : &stage2_format; }

void arch_dsb_ishst(void) { __asm__ volatile("dsb ishst" ::: "memory"); }
