/*
 * p2m.h — a domain's physical-to-machine map: its stage-2 translation.
 *
 * Every guest memory access goes IPA -> PA through this table.  Each entry has
 * a type (stored in the descriptor's software bits) that says what the page is:
 * RAM, device MMIO, a grant mapping, an IOMMU-only mapping.  The types are
 * Xen's (xen/arch/arm/include/asm/p2m.h), so the grant and IOMMU code can ask
 * "what is this page?" of the table itself.
 */
#ifndef GRANITE_P2M_H
#define GRANITE_P2M_H

#include <granite/pgtable.h>
#include <granite/spinlock.h>

typedef enum {
    p2m_invalid = 0,
    p2m_ram_rw,           /* guest RAM, read/write/execute */
    p2m_ram_ro,           /* guest RAM, read-only */
    p2m_mmio_direct_dev,  /* device MMIO passed through, Device-nGnRE */
    p2m_mmio_direct_nc,   /* device memory, Normal non-cacheable */
    p2m_grant_map_rw,     /* a foreign page mapped by grant, never executable */
    p2m_grant_map_ro,
    p2m_iommu_map_rw,     /* a 1:1 entry added for device DMA only */
    p2m_iommu_map_ro,
    p2m_max_type          /* at most 16: the type lives in 4 descriptor bits */
} p2m_type_t;

struct domain;

/* A direct-mapped domain (dom0) sees the host's layout: host address x is
 * its IPA x.  Only for such a domain (d->direct_map). */
static inline ipa_t ipa_of_pa_1to1(pa_t p) { return ipa(pa_addr(p)); }
static inline pa_t pa_of_ipa_1to1(ipa_t a) { return pa(ipa_addr(a)); }

struct p2m {
    struct pgtable pt;
    struct domain *d;
    u16 vmid;
    spinlock_t lock;
    u64 nr_mapped_pages;  /* statistics: pages currently mapped */
    bool clean_pte;       /* a non-coherent IOMMU walks this table: clean each PTE to PoC */
};

const char *p2m_type_name(p2m_type_t t);
int p2m_init(struct p2m *p2m, struct domain *d, u16 vmid);
/* Map [ipa, ipa + size) to pa with `type`, or unmap it; either way the
 * domain's IOMMU context follows (iommu_p2m_changed: a device behind it sees
 * the change too, core/iommu.c). */
int p2m_map(struct p2m *p2m, ipa_t ipa, pa_t pa, u64 size, p2m_type_t type);
int p2m_unmap(struct p2m *p2m, ipa_t ipa, u64 size);
int p2m_lookup(struct p2m *p2m, ipa_t ipa, pa_t *pa, p2m_type_t *type);
/* Unmap, leaving the TLB invalidation to a later p2m_flush() (or to the next
 * map, which completes it first).  Only for a page that stays the domain's own
 * (the balloon, core/memory_op.c): a stale TLB entry in the meantime reaches
 * nothing but that page, from that domain.  The IOMMU hook runs as for
 * p2m_unmap (its own invalidation policy applies). */
int p2m_unmap_lazy_flush(struct p2m *p2m, ipa_t ipa, u64 size);
void p2m_flush(struct p2m *p2m);
/* The RAM page behind an IPA, with the p2m lock held until p2m_put_ram_page()
 * (p2m.c says which pages count).  0 or -EFAULT (nothing held). */
int p2m_get_ram_page(struct p2m *p2m, ipa_t ipa, bool write, pa_t *pa);
void p2m_put_ram_page(struct p2m *p2m);
/* Call fn for every entry, in IPA order, with the p2m lock held (a dump:
 * fn may print, not touch the p2m).  Nothing once the p2m is destroyed. */
void p2m_for_each_entry(struct p2m *p2m, pt_leaf_fn fn, void *ctx);
void p2m_destroy(struct p2m *p2m);
/* The value to load into VTTBR_EL2 (table base and VMID) to run this domain. */
u64 p2m_vttbr(const struct p2m *p2m);

/*
 * Provided by the architecture (arch/arm64/stage2.c): the stage-2 geometry
 * chosen at boot from what the CPU supports, and the descriptor format.
 */
struct stage2_geometry {
    unsigned ipa_bits, pa_bits, root_level, root_order, vmid_bits;
    u64 vtcr;
};
int stage2_geometry_for(unsigned parange_field, unsigned vmid_bits_field,
                        struct stage2_geometry *g);
const struct stage2_geometry *stage2_geometry(void);
extern const struct pt_format stage2_format;
extern const struct pt_hooks stage2_hooks;

#endif
