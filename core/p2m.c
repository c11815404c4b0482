/*
 * p2m.c — the p2m API: map, unmap and look up a domain's IPA -> PA entries.
 *
 * The architecture supplies the table format and TLB maintenance
 * (arch/arm64/stage2.c, stage2_hw.c); the walker does break-before-make
 * (arch/arm64/pgtable.c).  This layer adds what every caller needs: argument
 * checks, the per-domain lock, the deferred TLB flush done before the lock is
 * dropped (as Xen's p2m_write_unlock() does), counters and log lines, and
 * the domain's IOMMU view: every successful map or unmap ends in one call,
 * iommu_p2m_changed(), which invalidates or mirrors per the policy.  One
 * exception, p2m_unmap_lazy_flush(): the balloon removes up to a few hundred
 * of the domain's own pages per hypercall and flushes once at the end (a
 * stale entry until then reaches only the domain's own page).
 *
 * VMIDs: each domain gets its own, never 0 (left unused so that a stray VTTBR
 * of 0 never aliases a domain's TLB entries).
 */
#include <granite/p2m.h>
#include <granite/page_alloc.h>
#include <granite/mm.h>
#include <granite/memory_map.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/errno.h>
#include <granite/domain.h>
#include <granite/iommu.h>
#include <granite/dlog.h>

#define VTTBR_VMID_SHIFT 48

static const char *const type_names[p2m_max_type] = {
    [p2m_invalid] = "invalid",
    [p2m_ram_rw] = "ram_rw",
    [p2m_ram_ro] = "ram_ro",
    [p2m_mmio_direct_dev] = "mmio_direct_dev",
    [p2m_mmio_direct_nc] = "mmio_direct_nc",
    [p2m_grant_map_rw] = "grant_map_rw",
    [p2m_grant_map_ro] = "grant_map_ro",
    [p2m_iommu_map_rw] = "iommu_map_rw",
    [p2m_iommu_map_ro] = "iommu_map_ro",
};

const char *p2m_type_name(p2m_type_t t) { return t < p2m_max_type ? type_names[t] : "?"; }

static void *table_alloc(void *ctx unused, unsigned order) { return alloc_pages(order); }
static void table_free(void *ctx unused, void *p, unsigned order) { free_pages(p, order); }
static const struct pt_allocator table_allocator = { .alloc = table_alloc, .free = table_free };

static unsigned domid(const struct p2m *p2m) { return p2m->d ? p2m->d->id : 0; }

int p2m_init(struct p2m *p2m, struct domain *d, u16 vmid)
{
    const struct stage2_geometry *g = stage2_geometry();
    int ret;

    if (vmid == 0 || (g->vmid_bits == 8 && vmid > 0xff))
        return -EINVAL;
    p2m->d = d;
    p2m->vmid = vmid;
    p2m->lock = (spinlock_t)SPINLOCK_INIT(LOCK_P2M);
    p2m->nr_mapped_pages = 0;
    p2m->clean_pte = false;
    ret = pt_init(&p2m->pt, PT_SPACE_IPA, g->ipa_bits, g->root_level, g->root_order,
                  &stage2_format, &stage2_hooks, &table_allocator, p2m);
    if (ret)
        printk("p2m: d%u: cannot allocate the stage-2 root: error %d\n", domid(p2m), ret);
    return ret;
}

u64 p2m_vttbr(const struct p2m *p2m)
{
    return pa_addr(ptr_to_pa(p2m->pt.root)) | ((u64)p2m->vmid << VTTBR_VMID_SHIFT);
}

int p2m_map(struct p2m *p2m, ipa_t ipa_, pa_t pa_, u64 size, p2m_type_t type)
{
    int ret;

    if (type == p2m_invalid || type >= p2m_max_type) {
        printk("p2m: d%u: map IPA 0x%lx: bad type %d\n", domid(p2m), ipa_addr(ipa_), type);
        return -EINVAL;
    }
    if (pa_addr(pa_) >> stage2_geometry()->pa_bits ||
        (pa_addr(pa_) + size - 1) >> stage2_geometry()->pa_bits) {
        printk("p2m: d%u: map IPA 0x%lx -> PA 0x%lx: beyond the CPU's %u-bit PA space\n",
               domid(p2m), ipa_addr(ipa_), pa_addr(pa_), stage2_geometry()->pa_bits);
        return -EINVAL;
    }
    spin_lock(&p2m->lock);
    /* An entry removed without its flush yet (p2m_unmap_lazy_flush) may still
     * sit in another CPU's TLB: flush it before anything takes its place, or
     * old and new translations could coexist (break-before-make). */
    pt_finish(&p2m->pt);
    ret = pt_map(&p2m->pt, pt_ipa(ipa_), pa_, size, type);
    pt_finish(&p2m->pt);
    if (!ret)
        p2m->nr_mapped_pages += size >> PAGE_SHIFT; /* an upper bound when remapping */
    spin_unlock(&p2m->lock);
    if (ret)
        dlog(p2m->d, "p2m: d%u: map IPA 0x%lx-0x%lx -> PA 0x%lx (%s) failed: error %d\n",
             domid(p2m), ipa_addr(ipa_), ipa_addr(ipa_) + size, pa_addr(pa_),
             p2m_type_name(type), ret);
    else
        iommu_p2m_changed(p2m->d, ipa_, pa_, size, type); /* the IOMMU follows (iommu.h) */
    return ret;
}

/* Remove [ipa, ipa + size); flush_now: the TLB maintenance before the lock
 * is dropped (otherwise it waits for p2m_flush()). */
static int unmap(struct p2m *p2m, ipa_t ipa_, u64 size, bool flush_now)
{
    int ret;

    spin_lock(&p2m->lock);
    ret = pt_unmap(&p2m->pt, pt_ipa(ipa_), size); /* a leaf removal sets need_flush */
    if (flush_now)
        pt_finish(&p2m->pt);
    spin_unlock(&p2m->lock);
    if (ret)
        dlog(p2m->d, "p2m: d%u: unmap IPA 0x%lx-0x%lx failed: error %d\n", domid(p2m),
             ipa_addr(ipa_), ipa_addr(ipa_) + size, ret);
    else
        iommu_p2m_changed(p2m->d, ipa_, pa(0), size, p2m_invalid); /* the IOMMU follows */
    return ret;
}

int p2m_unmap(struct p2m *p2m, ipa_t ipa_, u64 size) { return unmap(p2m, ipa_, size, true); }

int p2m_unmap_lazy_flush(struct p2m *p2m, ipa_t ipa_, u64 size)
{
    return unmap(p2m, ipa_, size, false);
}

void p2m_flush(struct p2m *p2m)
{
    spin_lock(&p2m->lock);
    pt_finish(&p2m->pt);
    spin_unlock(&p2m->lock);
}

int p2m_lookup(struct p2m *p2m, ipa_t ipa_, pa_t *pa_out, p2m_type_t *type)
{
    pa_t oa;
    unsigned t;
    bool found;

    spin_lock(&p2m->lock);
    found = pt_lookup(&p2m->pt, pt_ipa(ipa_), &oa, &t, NULL);
    spin_unlock(&p2m->lock);
    if (!found)
        return -ENOENT;
    if (pa_out)
        *pa_out = oa;
    if (type)
        *type = (p2m_type_t)t;
    return 0;
}

/*
 * The page of RAM an IPA maps, for granite to read or write on the domain's
 * behalf (hypercall arguments).  Only the domain's own RAM counts (ram_rw, or
 * ram_ro for reading), and only where that RAM is RAM granite maps itself
 * (mm_pa_range_is_ram): a /reserved-memory region or a window dom0 has 1:1 is
 * refused, not dereferenced.  On success the p2m lock is still held, so the
 * page cannot be unmapped and freed while the caller copies; the caller ends
 * with p2m_put_ram_page().  -EFAULT with nothing held otherwise.
 */
int p2m_get_ram_page(struct p2m *p2m, ipa_t ipa_, bool write, pa_t *pa_out)
{
    pa_t oa; /* with ipa_'s offset in its page */
    unsigned t;

    spin_lock(&p2m->lock);
    if (!pt_lookup(&p2m->pt, pt_ipa(ipa_), &oa, &t, NULL) ||
        !(t == p2m_ram_rw || (!write && t == p2m_ram_ro)) ||
        !mm_pa_range_is_ram(pa(pa_addr(oa) & PAGE_MASK), PAGE_SIZE)) {
        spin_unlock(&p2m->lock);
        return -EFAULT;
    }
    *pa_out = oa;
    return 0;
}

void p2m_put_ram_page(struct p2m *p2m) { spin_unlock(&p2m->lock); }

void p2m_for_each_entry(struct p2m *p2m, pt_leaf_fn fn, void *ctx)
{
    spin_lock(&p2m->lock);
    pt_for_each_leaf(&p2m->pt, fn, ctx); /* the root is NULL once destroyed */
    spin_unlock(&p2m->lock);
}

void p2m_destroy(struct p2m *p2m)
{
    spin_lock(&p2m->lock);
    if (p2m->pt.root) {
        /* No CPU may keep translations that point into pages about to be freed. */
        arch_stage2_flush_vmid(p2m->vmid, p2m_vttbr(p2m));
        pt_destroy(&p2m->pt);
    }
    spin_unlock(&p2m->lock);
}
