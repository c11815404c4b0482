/*
 * stage2_hw.c — stage 2 on the CPU: VTCR_EL2 on every CPU, and the TLB
 * maintenance the walker's hooks ask for.
 *
 * TLB entries are tagged with the VMID of the VTTBR_EL2 in force when the TLBI
 * executes, so invalidating another domain's entries means loading its VTTBR
 * first (with interrupts off), as Xen does in p2m_force_tlb_flush_sync().
 * Invalidation by IPA follows Arm ARM D8.14.5 ("Invalidation of TLB entries
 * for stage 2"): TLBI IPAS2E1IS removes the stage-2 entry, but combined
 * stage-1+2 entries built from it are only removed by a stage-1 invalidation,
 * so the sequence is
 *     DSB ISHST; TLBI IPAS2E1IS, ipa; DSB ISH; TLBI VMALLE1IS; DSB ISH; ISB.
 * A whole-VMID flush is TLBI VMALLS12E1IS.
 */
#include <granite/arch.h>
#include <granite/p2m.h>
#include <granite/console.h>
#include <granite/errno.h>
#include <granite/mm.h>
#include <granite/iommu.h>
#include "sysregs.h"
#include "id_regs.h"

static struct stage2_geometry geometry;
/* ID_AA64MMFR0_EL1.PARange-style field: the largest IPA size allowed (6 = 52 bits). */
static unsigned ipa_limit_field = 6;
static const unsigned size_fields[] = { 32, 36, 40, 42, 44, 48, 52 };

void arch_stage2_limit_ipa_bits(unsigned bits)
{
    /* The largest size <= bits (geometry refuses anything under 40 bits). */
    for (unsigned f = ARRAY_SIZE(size_fields); f-- > 0;)
        if (size_fields[f] <= bits) {
            ipa_limit_field = MIN(ipa_limit_field, f);
            break;
        }
}

const struct stage2_geometry *stage2_geometry(void) { return &geometry; }

int arch_stage2_init(void)
{
    u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1), mmfr1 = read_sysreg(id_aa64mmfr1_el1);
    unsigned parange = FIELD_GET(MMFR0_PARANGE, mmfr0);
    /* An IOMMU that walks the p2m limits both its input and output size (Xen:
     * p2m_restrict_ipa_bits()); the CPU's PARange is lowered to match. */
    unsigned field = MIN(parange, ipa_limit_field);
    int ret = stage2_geometry_for(field, FIELD_GET(MMFR1_VMIDBITS, mmfr1), &geometry);

    if (ret) {
        printk("p2m: PARange field %lu: granite needs at least a 40-bit PA space\n",
               FIELD_GET(MMFR0_PARANGE, mmfr0));
        return ret;
    }
    printk("p2m: %u-bit IPA with %u-bit PA and %u-bit VMID%s\n", geometry.ipa_bits,
           geometry.pa_bits, geometry.vmid_bits,
           field < parange ? " (limited to what the IOMMU sharing these tables takes)" : "");
    printk("p2m: %u levels, root at level %u (%u page%s), VTCR_EL2 0x%lx\n",
           4 - geometry.root_level, geometry.root_level, 1U << geometry.root_order,
           geometry.root_order ? "s, concatenated" : "", geometry.vtcr);
    id_regs_init(geometry.ipa_bits);   /* the guests' PARange follows the IPA size */
    arch_stage2_cpu_init();
    return 0;
}

void arch_stage2_cpu_init(void)
{
    write_sysreg(vtcr_el2, geometry.vtcr);
    isb();
}

/* Run `fn` with `vttbr` loaded, then restore the previous one. */
static void with_vttbr(u64 vttbr, void (*fn)(u64), u64 arg)
{
    u64 f = irq_save(), old = read_sysreg(vttbr_el2);

    if (old != vttbr) {
        write_sysreg(vttbr_el2, vttbr);
        isb();
    }
    fn(arg);
    if (old != vttbr) {
        write_sysreg(vttbr_el2, old);
        isb();
    }
    irq_restore(f);
}

static void tlbi_ipa(u64 ipa)
{
    dsb(ishst);
    __asm__ volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> PAGE_SHIFT) : "memory");
    dsb(ish);
    __asm__ volatile("tlbi vmalle1is" ::: "memory");
    dsb(ish);
    isb();
}

static void tlbi_vmid(u64 unused_arg unused)
{
    dsb(ishst);
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    dsb(ish);
    isb();
}

void arch_stage2_flush_vmid(u16 vmid unused, u64 vttbr) { with_vttbr(vttbr, tlbi_vmid, 0); }

static void s2_write_desc(struct pgtable *pt, u64 *slot, u64 d)
{
    *(volatile u64 *)slot = d;
    /* A non-coherent IOMMU sharing this table reads memory, not the CPU's caches. */
    if (((const struct p2m *)pt->owner)->clean_pte)
        dcache_clean_range(slot, sizeof(*slot));
}
static void s2_sync(struct pgtable *pt unused) { dsb(ishst); }

static void s2_flush_ia(struct pgtable *pt, pt_ia_t ipa, unsigned level unused)
{
    with_vttbr(p2m_vttbr(pt->owner), tlbi_ipa, pt_ia_addr(ipa));
}

static void s2_flush_all(struct pgtable *pt) { with_vttbr(p2m_vttbr(pt->owner), tlbi_vmid, 0); }

/* An IOMMU walking this p2m may cache the table about to be freed. */
static void s2_before_table_free(struct pgtable *pt) { iommu_p2m_table_freed(((struct p2m *)pt->owner)->d); }

static void s2_table_ready(struct pgtable *pt, u64 *table)
{
    if (((const struct p2m *)pt->owner)->clean_pte)
        dcache_clean_range(table, PAGE_SIZE);
}

const struct pt_hooks stage2_hooks = {
    .write_desc = s2_write_desc,
    .sync = s2_sync,
    .flush_ia = s2_flush_ia,
    .flush_all = s2_flush_all,
    .before_table_free = s2_before_table_free,
    .table_ready = s2_table_ready,
};
