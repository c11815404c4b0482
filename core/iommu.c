/*
 * iommu.c — the IOMMU policy layer: which tables dom0's devices translate
 * through, what goes into them, and when the IOTLB is invalidated.
 *
 * The hardware domain (dom0, id 0) gets a translation context when the
 * IOMMU is on, and so does every domain that owns passed-through devices (a
 * direct-mapped driver domain, core/domain_config.c); each owner's PCI
 * devices' streams are pointed at its own context at the end of its build.
 * Other domains own no devices and get none.  dom0_iommu=relaxed is about
 * the hardware domain only: any other owner's context is strict.  What the
 * context holds follows the policy (include/granite/iommu_policy.h):
 *
 *   iommu_pt=shared    the unit walks dom0's p2m.  Nothing to mirror: every
 *                      p2m change is an IOMMU change, so each one owes an
 *                      invalidation.  A 1:1 grant entry is a p2m entry of type
 *                      p2m_iommu_map_rw/ro (Xen's arm_iommu_map_page()).
 *   iommu_pt=separate  own tables in the same format.  strict: every p2m
 *                      change of dom0 is mirrored (need_sync); relaxed: the
 *                      tables map every domain's RAM 1:1 and nothing else —
 *                      never granite's memory, stage-2 tables included.
 *
 *   Grant mappings (seed 000): when iommu_gnttab_need_mapping() says so, the
 *   granted machine frame is also entered at bus address == machine address
 *   (iova_of_pa_1to1: the dev_bus_addr core/grant_table.c hands the mapper),
 *   reference-counted per frame (read and write maps counted apart, as Xen's
 *   maptrack tree does): the first mapping adds it, a write mapping upgrades
 *   it, the last unmapping removes or downgrades it.
 *
 *   Invalidation (iommu_flush): eager invalidates each update's range and
 *   waits; batched records the ranges changed and issues, at the end of the
 *   hypercall (iommu_batch_end), one wait after either per-address
 *   invalidations (few pages changed: at most IOMMU_INVAL_MAX_CMDS commands,
 *   core/iommu_inval.c says why that many) or one whole-context invalidation;
 *   none never invalidates — a stale IOTLB entry then outlives its mapping.
 *   A grant unmap's page is released only after the invalidation that covers
 *   it (core/grant_table.c defers the releases of a batch to one flush).
 *   Before a context has a stream attached nothing can be cached, so nothing
 *   is owed.
 *
 * Assumptions: one unit (the first one probed) serves every stream granite
 * attaches; contexts change only under their lock; the p2m calls the hooks
 * after its own update, with its lock released.
 */
#include <libfdt.h>
#include <granite/iommu.h>
#include <granite/boot.h>
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/drivers.h>
#include <granite/errno.h>
#include <granite/memory_map.h>
#include <granite/options.h>
#include <granite/mm.h>
#include <granite/page_alloc.h>
#include <granite/pci.h>
#include <granite/trace.h>
#include <granite/map_dump.h>

#define MAX_UNITS 2
/* Ranges larger than this are invalidated whole rather than page by page. */
#define EAGER_MAX_PAGES 16
/* 1:1 grant entries tracked per context: as many as one domain can map. */
#define GRANT_SLOTS 2048
#define GRANT_COUNT_PAGES (ALIGN_UP(GRANT_SLOTS * sizeof(struct grant_ref_count), PAGE_SIZE) >> PAGE_SHIFT)

static struct iommu_unit units[MAX_UNITS];
static unsigned nr_units;
static struct iommu_policy policy;

static unsigned batch_depth[GRANITE_MAX_CPUS];
/* Contexts this CPU's current batch owes an invalidation (bit = domain id):
 * a batch ends by flushing what it changed, not what another CPU's batch did. */
static u32 batch_dirty[GRANITE_MAX_CPUS];

/* One 1:1 grant entry: how many read-only and writable grant maps need it. */
struct grant_ref_count {
    pa_t page;  /* machine address; 0 = free slot */
    u32 ro, rw;
};

const struct iommu_policy *iommu_policy(void) { return &policy; }

static struct iommu_unit *unit(void) { return nr_units ? &units[0] : NULL; }

static struct iommu_ctx *ctx_of(struct domain *d)
{
    return d && d->iommu && d->iommu->live ? d->iommu : NULL;
}

/* ------------------------------------------------------------------------ */
/* Units                                                                     */
/* ------------------------------------------------------------------------ */

int iommu_register_unit(const struct iommu_unit *u)
{
    if (nr_units == MAX_UNITS) {
        printk("iommu: %s: granite drives at most %d IOMMUs; this one stays aborting\n",
               u->name, MAX_UNITS);
        return -ENOSPC;
    }
    units[nr_units++] = *u;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Boot: the policy                                                          */
/* ------------------------------------------------------------------------ */

static const char *const pt_modes[] = { "shared", "separate", NULL };
static const char *const gnttab_modes[] = { "direct", "sync", NULL };
static const char *const dom0_modes[] = { "strict", "relaxed", NULL };
static const char *const flush_modes[] = { "batched", "eager", "none", NULL };

static __boot int read_request(struct iommu_request *r, const char **why)
{
    *r = (struct iommu_request){
        .iommu = opt_choice("iommu", opt_off_on, IOMMU_OPT_UNSET),
        .iommu_pt = opt_choice("iommu_pt", pt_modes, IOMMU_OPT_UNSET),
        .gnttab_iommu = opt_choice("gnttab_iommu", gnttab_modes, IOMMU_OPT_UNSET),
        .dom0_iommu = opt_choice("dom0_iommu", dom0_modes, IOMMU_OPT_UNSET),
        .iommu_flush = opt_choice("iommu_flush", flush_modes, IOMMU_OPT_UNSET),
        .feat_dom0_iommu = opt_choice("feat_dom0_iommu", opt_off_on, IOMMU_OPT_UNSET),
    };
    /* opt_choice says -1 both for "absent" (our default) and "bad": tell them apart. */
    static const char *const keys[] = { "iommu", "iommu_pt", "gnttab_iommu", "dom0_iommu",
                                        "iommu_flush", "feat_dom0_iommu" };
    const int *vals = &r->iommu;
    for (unsigned i = 0; i < ARRAY_SIZE(keys); i++)
        if (vals[i] == IOMMU_OPT_UNSET && opt_str(keys[i])) {
            *why = keys[i];
            return -EINVAL;
        }
    return 0;
}

__boot int iommu_init(const void *fdt, const char **why)
{
    struct iommu_request req;
    struct iommu_hw hw = { 0 };
    const char *note, *bad;
    char line[300];
    int ret;

    if (read_request(&req, &bad)) {
        static char msg[64];
        snprintf(msg, sizeof(msg), "bad value for option '%s'", bad);
        *why = msg;
        return -EINVAL;
    }
    /* Every IOMMU in the DT, by the drivers that registered (drivers/driver_table.c). */
    if ((ret = drivers_probe_all(DRIVER_IOMMU, fdt, NULL, why)))
        return ret;
    if (nr_units) {
        hw.present = true;
        hw.stage2 = units[0].stage2;
        hw.stage1 = units[0].stage1;
    }
    if ((ret = iommu_policy_resolve(&req, &hw, &policy, why, &note)))
        return ret;
    if (note)
        printk("iommu: note: %s\n", note);
    if (nr_units && policy.enabled && policy.stage1)
        printk("iommu: %s has no stage 2: dom0's DMA translates through stage-1 tables of "
               "granite's own (iommu_pt=separate), kept in step with the p2m\n", units[0].name);
    if (nr_units && policy.enabled && !policy.stage1)
        /* The unit translates IPAs with stage-2 tables of the p2m's geometry
         * (the p2m itself when shared): the p2m's input size must be one it
         * accepts (Xen: p2m_restrict_ipa_bits(smmu->ias)). */
        arch_stage2_limit_ipa_bits(units[0].ias_bits);
    for (unsigned i = 0; i < nr_units; i++)
        units[i].ops->enable(units[i].priv, policy.enabled);
    iommu_policy_describe(&policy, line, sizeof(line));
    printk("iommu: policy: %s\n", line);
    return 0;
}

bool iommu_advertise_dom0(void) { return policy.enabled && policy.feat_dom0 && nr_units; }

/* ------------------------------------------------------------------------ */
/* Invalidation                                                              */
/* ------------------------------------------------------------------------ */

static bool in_batch(void) { return batch_depth[this_cpu()] > 0; }

/* Invalidate all of c now (flush_lock held): what was owed is covered too. */
static void flush_whole_locked(struct iommu_ctx *c)
{
    __atomic_store_n(&c->flush_pending, false, __ATOMIC_RELEASE);
    iommu_inval_reset(&c->owed);
    unit()->ops->flush_all(unit()->priv, c);
    __atomic_fetch_add(&c->stats.whole, 1, __ATOMIC_RELAXED);
}

static void flush_all_now(struct iommu_ctx *c)
{
    spin_lock(&c->flush_lock);
    flush_whole_locked(c);
    spin_unlock(&c->flush_lock);
}

/* Issue what c owes (flush_lock held, flush_pending just taken): address by
 * address while that takes at most IOMMU_INVAL_MAX_CMDS commands, else the
 * whole context (the measured trade-off, core/iommu_inval.c). */
static void issue_owed(struct iommu_ctx *c)
{
    const struct iommu_unit *u = unit();

    if (u->ops->flush_ranges && c->owed.n &&
        iommu_inval_by_range(&c->owed, u->range_cmds, IOMMU_INVAL_MAX_CMDS)) {
        u->ops->flush_ranges(u->priv, c, c->owed.r, c->owed.n);
        iommu_inval_reset(&c->owed);
        __atomic_fetch_add(&c->stats.by_address, 1, __ATOMIC_RELAXED);
    } else {
        flush_whole_locked(c);
    }
}

/* Flush c if an invalidation is owed; return only once none is outstanding. */
static void flush_if_owed(struct iommu_ctx *c)
{
    spinlock_t *l = &c->flush_lock;

    spin_lock(l);
    if (__atomic_exchange_n(&c->flush_pending, false, __ATOMIC_ACQ_REL))
        issue_owed(c);
    spin_unlock(l);
}

/* An update of [iova, iova + size) in c's tables: invalidate per the policy. */
static void owe(struct iommu_ctx *c, iova_t iova, u64 size)
{
    if (!c->nr_streams || policy.flush == IOMMU_FLUSH_NONE)
        return;
    if (policy.flush == IOMMU_FLUSH_EAGER) {
        if (size >> PAGE_SHIFT > EAGER_MAX_PAGES)
            flush_all_now(c);
        else
            unit()->ops->flush_range(unit()->priv, c, iova, size);
    } else if (in_batch()) {
        /* The range and the flag change together: whoever takes the flag
         * (under the same lock) invalidates what it stands for. */
        spin_lock(&c->flush_lock);
        iommu_inval_add(&c->owed, iova, size);
        __atomic_store_n(&c->flush_pending, true, __ATOMIC_RELEASE);
        spin_unlock(&c->flush_lock);
        batch_dirty[this_cpu()] |= 1U << c->d->id;
    } else {
        flush_all_now(c);
    }
}

void iommu_batch_begin(void) { batch_depth[this_cpu()]++; }

void iommu_batch_end(void)
{
    unsigned cpu = this_cpu();
    u32 dirty;

    if (--batch_depth[cpu] || !(dirty = batch_dirty[cpu]))
        return; /* the common case on every hypercall: nothing owed */
    batch_dirty[cpu] = 0;
    /* If another CPU flushed a context meanwhile, that flush came after our
     * updates (they set flush_pending first): nothing is left to do for it. */
    for (unsigned i = 0; i < MAX_DOMAINS; i++) {
        struct iommu_ctx *c = dirty & (1U << i) ? ctx_of(domain_by_id(i)) : NULL;
        if (c)
            flush_if_owed(c);
    }
}

void iommu_flush_owed(struct domain *d)
{
    struct iommu_ctx *c = ctx_of(d);

    if (c)
        flush_if_owed(c);
}

/* ------------------------------------------------------------------------ */
/* Separate tables                                                           */
/* ------------------------------------------------------------------------ */

static void *table_alloc(void *ctx unused, unsigned order) { return alloc_pages(order); }
static void table_free(void *ctx unused, void *p, unsigned order) { free_pages(p, order); }
static const struct pt_allocator table_allocator = { .alloc = table_alloc, .free = table_free };

/* The walker's hooks for tables only the unit reads.  A unit that does not
 * snoop the CPU's caches must find each descriptor in memory (SMMUv3 spec
 * 3.16: IDR0.COHACC = 0 means table walks are not coherent). */
static void sep_write_desc(struct pgtable *pt, u64 *slot, u64 desc)
{
    *(volatile u64 *)slot = desc;
    if (!unit()->coherent)
        dcache_clean_range(slot, sizeof(*slot));
    (void)pt;
}
static void sep_sync(struct pgtable *pt unused) { arch_dsb_ishst(); }
/* Invalidations for these tables are owed by the callers (map/unmap below),
 * which know the whole range; the walker's own requests add nothing ... */
static void sep_flush_ia(struct pgtable *pt unused, pt_ia_t ia unused, unsigned level unused) {}
static void sep_flush_all(struct pgtable *pt unused) {}
/* ... except before a table page is freed: the unit must forget it first. */
static void sep_before_table_free(struct pgtable *pt)
{
    struct iommu_ctx *c = pt->owner;
    if (c->nr_streams)
        flush_all_now(c);
}
static void sep_table_ready(struct pgtable *pt unused, u64 *table)
{
    if (!unit()->coherent)
        dcache_clean_range(table, PAGE_SIZE);
}
static const struct pt_hooks sep_hooks = {
    .write_desc = sep_write_desc, .sync = sep_sync,
    .flush_ia = sep_flush_ia, .flush_all = sep_flush_all,
    .before_table_free = sep_before_table_free, .table_ready = sep_table_ready,
};

static int sep_map(struct iommu_ctx *c, iova_t iova, pa_t pa_, u64 size, unsigned type)
{
    int ret;

    spin_lock(&c->lock);
    if (!c->live) {          /* destroyed since the caller's ctx_of(): see sep_unmap */
        spin_unlock(&c->lock);
        return -ENODEV;
    }
    ret = pt_map(&c->pt, pt_iova(iova), pa_, size, type);
    pt_finish(&c->pt);
    spin_unlock(&c->lock);
    if (ret) {
        printk("iommu: d%u: map 0x%lx-0x%lx -> 0x%lx failed: error %d\n", c->d->id,
               iova_addr(iova), iova_addr(iova) + size, pa_addr(pa_), ret);
        return ret;
    }
    __atomic_fetch_add(&c->stats.maps, size >> PAGE_SHIFT, __ATOMIC_RELAXED);
    owe(c, iova, size);
    return 0;
}

static int sep_unmap(struct iommu_ctx *c, iova_t iova, u64 size)
{
    int ret;

    spin_lock(&c->lock);
    /* ctx_of() reads `live` without this lock: the context can be destroyed
     * (its tables freed, by iommu_domain_destroy under this lock) between
     * the caller's look-up and here, e.g. dom0 ending on one CPU while a
     * domU's RAM, mapped for dom0's devices by dom0_iommu=relaxed, is
     * released on another.  A dead context has no streams: nothing to undo. */
    if (!c->live) {
        spin_unlock(&c->lock);
        return 0;
    }
    ret = pt_unmap(&c->pt, pt_iova(iova), size);
    pt_finish(&c->pt);
    spin_unlock(&c->lock);
    if (ret) {
        printk("iommu: d%u: unmap 0x%lx-0x%lx failed: error %d\n", c->d->id, iova_addr(iova),
               iova_addr(iova) + size, ret);
        return ret;
    }
    __atomic_fetch_add(&c->stats.unmaps, size >> PAGE_SHIFT, __ATOMIC_RELAXED);
    owe(c, iova, size);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Domains                                                                   */
/* ------------------------------------------------------------------------ */

/* Relaxed tables: owner's RAM at bus address == machine address. */
static void map_ram_of(struct iommu_ctx *c, struct domain *owner)
{
    for (unsigned i = 0; i < owner->nr_chunks; i++) {
        pa_t ram = ptr_to_pa(owner->chunks[i].pages);
        sep_map(c, iova_of_pa_1to1(ram), ram, owner->chunks[i].nr_pages << PAGE_SHIFT, p2m_ram_rw);
    }
}

static int init_separate_tables(struct iommu_ctx *c)
{
    const struct stage2_geometry *g = stage2_geometry();
    int ret = pt_init(&c->pt, PT_SPACE_IOVA, g->ipa_bits, g->root_level, g->root_order,
                      arch_iommu_format(policy.stage1), &sep_hooks, &table_allocator, c);

    if (ret)
        return ret;
    c->pt.keep_tables = true;
    c->ttb = ptr_to_pa(c->pt.root);
    if (!unit()->coherent)
        dcache_clean_range(c->pt.root, PAGE_SIZE << c->pt.root_order);
    if (c->relaxed)
        for (unsigned id = 0; id < MAX_DOMAINS; id++) {
            struct domain *other = domain_by_id(id);
            if (other && other->state != DOM_FREE)
                map_ram_of(c, other);
        }
    return 0;
}

__boot int iommu_domain_init(struct domain *d)
{
    struct iommu_ctx *c = d->iommu;
    bool hwdom = d->id == HWDOM_ID;
    int ret;

    if (!policy.enabled || !nr_units || !c)
        return 0;
    *c = (struct iommu_ctx){
        .d = d, .shared = policy.pt == IOMMU_PT_SHARED,
        .relaxed = hwdom && policy.dom0 == DOM0_IOMMU_RELAXED,
        .need_sync = iommu_need_sync(&policy, hwdom),
        .vmid = d->p2m.vmid, .asid = (u16)(d->id + 1), .lock = SPINLOCK_INIT(LOCK_IOMMU_TABLES),
        .flush_lock = SPINLOCK_INIT(LOCK_IOMMU_FLUSH), .grant_lock = SPINLOCK_INIT(LOCK_IOMMU_GRANT),
    };
    c->grant_counts = alloc_pages_contig(GRANT_COUNT_PAGES, 0);
    if (!c->grant_counts)
        return -ENOMEM;
    if (c->shared) {
        c->ttb = ptr_to_pa(d->p2m.pt.root);
        /* The unit reads the p2m too: a non-coherent one needs each PTE cleaned,
         * starting with the (empty) root. */
        d->p2m.clean_pte = !unit()->coherent;
        /* Tables the unit walks are not freed on the way (grant unmaps empty
         * them all the time); they go with the p2m. */
        d->p2m.pt.keep_tables = true;
        if (d->p2m.clean_pte)
            dcache_clean_range(d->p2m.pt.root, PAGE_SIZE << d->p2m.pt.root_order);
    } else if ((ret = init_separate_tables(c))) {
        goto fail;
    }
    if ((ret = unit()->ops->ctx_init(unit()->priv, c))) {
        if (!c->shared)
            pt_destroy(&c->pt);
        goto fail;
    }
    c->live = true;
    printk("iommu: d%u: translation context: %s tables at 0x%lx, %s%s; for d%u (%s): "
           "need_sync=%s gnttab_need_iommu_mapping=%s\n", d->id,
           c->shared ? "the p2m's own" : policy.stage1 ? "separate stage-1" : "separate stage-2",
           pa_addr(c->ttb),
           c->relaxed ? "relaxed (all domains' RAM 1:1, never granite's)" : "strict",
           c->need_sync ? ", every p2m change mirrored" : "", d->id, d->name,
           c->need_sync ? "yes" : "no",
           iommu_gnttab_need_mapping(&policy, d->direct_map, hwdom) ? "yes" : "no");
    return 0;
fail:
    d->p2m.clean_pte = false;
    free_pages_contig(c->grant_counts, GRANT_COUNT_PAGES);
    c->grant_counts = NULL;
    printk("iommu: d%u: no translation context: error %d\n", d->id, ret);
    return ret;
}

static __boot int attach_one(const struct pci_dev *dev, void *arg)
{
    struct iommu_ctx *c = arg;
    int ret;

    if (dev->iommu_phandle != unit()->phandle) {
        printk("iommu: %s: behind IOMMU phandle 0x%x, which granite does not drive: its DMA "
               "aborts\n", dev->name, dev->iommu_phandle);
        return 0;
    }
    ret = unit()->ops->attach(unit()->priv, c, dev->sid, dev->name);
    if (!ret)
        c->nr_streams++;
    return ret;
}

/* Identity-map host memory [base, base+size) for the devices of this context. */
static __boot int map_identity(struct iommu_ctx *c, pa_t base, u64 size, const char *what)
{
    iova_t bus = iova_of_pa_1to1(base);
    pa_t p;
    p2m_type_t t;

    if (c->shared) {
        bool all = true;
        for (u64 off = 0; off < size && all; off += PAGE_SIZE)
            all = !p2m_lookup(&c->d->p2m, ipa_of_iova(iova_add(bus, off)), &p, &t) &&
                  pa_addr(p) == pa_addr(base) + off;
        if (all) {
            printk("iommu: d%u: %s 0x%lx-0x%lx: already 1:1 in the shared p2m\n", c->d->id,
                   what, pa_addr(base), pa_addr(base) + size);
            return 0;
        }
        return p2m_map(&c->d->p2m, ipa_of_iova(bus), base, size, p2m_iommu_map_rw);
    }
    return sep_map(c, bus, base, size, p2m_iommu_map_rw);
}

__boot int iommu_domain_assign_devices(struct domain *d, const void *fdt,
                                       const char *const *bridges, unsigned nr_bridges,
                                       const char **why)
{
    struct iommu_ctx *c = ctx_of(d);
    struct pci_region regions[PCI_MAX_REGIONS];
    unsigned n;
    int ret;

    if (!c)
        return 0;
    for (unsigned b = 0; b < nr_bridges; b++) {
        int node = fdt_path_offset(fdt, bridges[b]);
        if (node < 0) {
            *why = "iommu: a passed-through bridge is not in the host device tree";
            return -ENOENT;
        }
        n = pci_bridge_reserved_regions(fdt, node, regions, PCI_MAX_REGIONS);
        for (unsigned i = 0; i < n; i++) {
            if ((ret = map_identity(c, pa(regions[i].base), regions[i].size, "reserved-memory")))
                return ret;
            printk("iommu: d%u: reserved-memory %s 0x%lx-0x%lx identity-mapped for %s (%s)\n",
                   d->id, regions[i].name, regions[i].base, regions[i].base + regions[i].size,
                   regions[i].user, c->relaxed ? "relaxed" : "even though strict");
        }
        ret = pci_for_each_device_on(fdt, node, attach_one, c);
        if (ret) {
            *why = "cannot attach the domain's PCI devices to the IOMMU";
            return ret;
        }
    }
    printk("iommu: d%u (%s): %u device stream(s) translated by %s\n", d->id, d->name,
           c->nr_streams, unit()->name);
    if (c->nr_streams && unit()->ops->measure && opt_choice("iommu_measure", opt_off_on, 0) == 1)
        unit()->ops->measure(unit()->priv, c);
    return 0;
}

__boot unsigned iommu_translated_nodes(const void *fdt, const char **paths, unsigned max)
{
    /* (Whoever owns them: the caller keeps the ones it passes through.) */
    if (!iommu_advertise_dom0())
        return 0;
    return pci_translated_bridges(fdt, unit()->phandle, paths, max);
}

/* 1:1 grant entries still counted in c: every grant mapping should be gone
 * by the time its context is destroyed (the mapper's grants are unmapped when
 * it dies), so anything here is an entry a device could still use. */
static unsigned grant_entries_left(const struct iommu_ctx *c)
{
    unsigned n = 0;

    for (unsigned i = 0; c->grant_counts && i < GRANT_SLOTS; i++)
        n += (c->grant_counts[i].ro || c->grant_counts[i].rw);
    return n;
}

void iommu_domain_destroy(struct domain *d)
{
    struct iommu_ctx *c = ctx_of(d);
    unsigned left;

    if (!c)
        return;
    /* Streams abort first: no device may walk tables that are about to go. */
    unit()->ops->ctx_destroy(unit()->priv, c);
    spin_lock(&c->lock); /* a dump may be walking the tables (iommu_for_each_entry) */
    c->live = false;
    c->nr_streams = 0;
    if (!c->shared)
        pt_destroy(&c->pt);
    spin_unlock(&c->lock);
    left = grant_entries_left(c);
    free_pages_contig(c->grant_counts, GRANT_COUNT_PAGES);
    c->grant_counts = NULL;
    printk("iommu: d%u: context destroyed (maps %lu, unmaps %lu, TLBI %lu, CMD_SYNC %lu, "
           "faults %lu); %u 1:1 grant entr%s left%s\n", d->id, c->stats.maps, c->stats.unmaps,
           c->stats.tlbi, c->stats.syncs, c->stats.faults, left, left == 1 ? "y" : "ies",
           left ? ": LEAK" : "");
}

/* ------------------------------------------------------------------------ */
/* Hooks                                                                     */
/* ------------------------------------------------------------------------ */

/* What a device may reach through a mirrored p2m entry: memory, not MMIO. */
static bool dma_type(unsigned type)
{
    return type == p2m_ram_rw || type == p2m_ram_ro || type == p2m_grant_map_rw ||
           type == p2m_grant_map_ro || type == p2m_iommu_map_rw || type == p2m_iommu_map_ro;
}

void iommu_p2m_changed(struct domain *d, ipa_t at, pa_t pa_, u64 size, unsigned type)
{
    struct iommu_ctx *c = ctx_of(d);
    bool removed = type == p2m_invalid;

    if (!c)
        return;
    if (c->shared) {
        /* Counted: memory a device can now reach, or no longer (device windows
         * are mapped too, for peer-to-peer, but are not what the counters are about). */
        if (removed)
            __atomic_fetch_add(&c->stats.unmaps, size >> PAGE_SHIFT, __ATOMIC_RELAXED);
        else if (dma_type(type))
            __atomic_fetch_add(&c->stats.maps, size >> PAGE_SHIFT, __ATOMIC_RELAXED);
        owe(c, iova_of_ipa(at), size);
    } else if (c->need_sync && removed) {
        sep_unmap(c, iova_of_ipa(at), size);
    } else if (c->need_sync && dma_type(type)) {
        sep_map(c, iova_of_ipa(at), pa_, size, type);
    }
}

void iommu_p2m_table_freed(struct domain *d)
{
    struct iommu_ctx *c = ctx_of(d);

    if (c && c->shared && c->nr_streams)
        flush_all_now(c);
}

void iommu_ram_changed(struct domain *owner, pa_t pa_, u64 size, bool added)
{
    struct iommu_ctx *c = ctx_of(domain_by_id(HWDOM_ID));

    if (!c || !c->relaxed)
        return;
    if (added) {
        sep_map(c, iova_of_pa_1to1(pa_), pa_, size, p2m_ram_rw);
    } else {
        sep_unmap(c, iova_of_pa_1to1(pa_), size);
        /* The pages go back to the allocator next: no device may still reach
         * them, whatever iommu_flush says (none is about leaf hazards in
         * dom0's own mappings, not about handing freed memory to a device). */
        if (c->nr_streams)
            flush_all_now(c);
    }
    (void)owner;
}

/* The 1:1 entry of `page` in c's tables (bus address == machine address),
 * with the given writability. */
static int set_one_to_one(struct iommu_ctx *c, pa_t page, bool writable)
{
    unsigned type = writable ? p2m_iommu_map_rw : p2m_iommu_map_ro;
    iova_t bus = iova_of_pa_1to1(page);
    pa_t p;
    p2m_type_t t;

    if (!c->shared)
        return sep_map(c, bus, page, PAGE_SIZE, type);
    /* In the shared p2m the IPA == PA slot must be free, or ours already. */
    if (!p2m_lookup(&c->d->p2m, ipa_of_iova(bus), &p, &t) && t != p2m_iommu_map_rw &&
        t != p2m_iommu_map_ro) {
        printk("iommu: d%u: 1:1 entry for machine page 0x%lx: IPA 0x%lx is already %s\n",
               c->d->id, pa_addr(page), ipa_addr(ipa_of_iova(bus)), p2m_type_name(t));
        return -EBUSY;
    }
    return p2m_map(&c->d->p2m, ipa_of_iova(bus), page, PAGE_SIZE, type);
}

static int clear_one_to_one(struct iommu_ctx *c, pa_t page)
{
    iova_t bus = iova_of_pa_1to1(page);

    if (!c->shared)
        return sep_unmap(c, bus, PAGE_SIZE);
    return p2m_unmap(&c->d->p2m, ipa_of_iova(bus), PAGE_SIZE);
}

/*
 * The counting slot for `page` (grant lock held), in an open-addressed table.
 * A slot whose counts fell to zero keeps its page as a tombstone, so that the
 * probe sequence of pages entered after it is not cut; `create` reuses the
 * first tombstone on the way.  NULL: not found (or, creating, no room).
 */
static struct grant_ref_count *count_slot(struct grant_ref_count *tab, pa_t page, bool create)
{
    unsigned h = (unsigned)(pa_addr(page) >> PAGE_SHIFT) % GRANT_SLOTS;
    struct grant_ref_count *reuse = NULL;

    for (unsigned i = 0; i < GRANT_SLOTS; i++, h = (h + 1) % GRANT_SLOTS) {
        struct grant_ref_count *e = &tab[h];
        if (pa_addr(e->page) == pa_addr(page))
            return e;
        if (!pa_addr(e->page))
            break; /* never used: page is not further on */
        if (!reuse && !e->ro && !e->rw)
            reuse = e;
    }
    if (!create)
        return NULL;
    if (!reuse && !pa_addr(tab[h].page))
        reuse = &tab[h];
    if (reuse)
        *reuse = (struct grant_ref_count){ .page = page };
    return reuse;
}

static bool grant_needs_iommu(struct iommu_ctx *c)
{
    static bool relaxed_said;

    if (!iommu_gnttab_need_mapping(&policy, c->d->direct_map, c->d->id == HWDOM_ID))
        return false;
    if (c->relaxed) {
        if (!relaxed_said)
            printk("iommu: d%u: relaxed: granted pages are already reachable 1:1\n", c->d->id);
        relaxed_said = true;
        return false;
    }
    return true;
}

int iommu_grant_map(struct domain *mapper, pa_t page, bool writable)
{
    struct iommu_ctx *c = ctx_of(mapper);
    struct grant_ref_count *e;
    int ret = 0;

    if (!c || !grant_needs_iommu(c))
        return 0;
    spin_lock(&c->grant_lock);
    e = count_slot(c->grant_counts, page, true);
    if (!e) {
        printk("iommu: d%u: no room to count the 1:1 entry of 0x%lx\n", mapper->id, pa_addr(page));
        ret = -ENOSPC;
    } else if (writable ? e->rw == 0 : e->rw == 0 && e->ro == 0) {
        /* The first mapping that needs this much access enters (or upgrades) it. */
        ret = set_one_to_one(c, page, writable);
        if (!ret && !e->rw && !e->ro)
            __atomic_fetch_add(&c->stats.one_to_one, 1, __ATOMIC_RELAXED);
    }
    if (!ret) {
        if (writable)
            e->rw++;
        else
            e->ro++;
    }
    spin_unlock(&c->grant_lock);
    return ret;
}

int iommu_grant_unmap(struct domain *mapper, pa_t page, bool writable)
{
    struct iommu_ctx *c = ctx_of(mapper);
    struct grant_ref_count *e;
    int ret = 0;

    if (!c || !grant_needs_iommu(c))
        return 0;
    spin_lock(&c->grant_lock);
    e = count_slot(c->grant_counts, page, false);
    if (!e || (writable ? !e->rw : !e->ro)) {
        printk("iommu: d%u: unmap of a %s mapping of 0x%lx that was never counted\n", mapper->id,
               writable ? "writable" : "read-only", pa_addr(page));
        ret = -ENOENT;
    } else {
        if (writable)
            e->rw--;
        else
            e->ro--;
        if (!e->rw && !e->ro)
            ret = clear_one_to_one(c, page);
        else if (writable && !e->rw)
            ret = set_one_to_one(c, page, false); /* read-only mappings remain */
    }
    spin_unlock(&c->grant_lock);
    return ret;
}

/* What d's context maps at bus address `bus`: the walk its IOMMU makes
 * (the p2m itself when shared, else the separate tables).  True and *pa,
 * *type set if an entry is there; false if a DMA there would fault. */
static bool iommu_translate(struct iommu_ctx *c, iova_t bus, pa_t *pa, unsigned *type)
{
    p2m_type_t t;
    bool found;

    if (c->shared) {
        found = !p2m_lookup(&c->d->p2m, ipa_of_iova(bus), pa, &t);
        *type = t;
        return found;
    }
    spin_lock(&c->lock);
    found = pt_lookup(&c->pt, pt_iova(bus), pa, type, NULL);
    spin_unlock(&c->lock);
    return found;
}

/* "PA 0x... (type)" or "none: a DMA there faults", for a trace line. */
static void describe_walk(struct iommu_ctx *c, iova_t bus, char *buf, size_t len)
{
    unsigned type;
    pa_t pa_;

    if (iommu_translate(c, bus, &pa_, &type))
        snprintf(buf, len, "PA 0x%lx (%s)", pa_addr(pa_), p2m_type_name((p2m_type_t)type));
    else
        snprintf(buf, len, "none: DMA faults");
}

/*
 * The packet trace's hops 6 and 7 for a TX buffer granite just grant-mapped
 * into `mapper` at host_addr (core/trace.c): whether iommu_grant_map added a
 * 1:1 entry and why, then what the mapper's devices reach at the two bus
 * addresses its DMA layer may choose (docs/packet-path.md, forks 1 and 2).
 */
void iommu_trace_grant(struct domain *mapper, pa_t page, ipa_t host_addr)
{
    static const char where[] = "iommu.c:iommu_grant_map";
    struct iommu_ctx *c = ctx_of(mapper);
    char at_m[48], at_ipa[48];

    if (!c) {
        trace_hv(TRACE_HOP_IOMMU_ENTRY, where, "d%u: no IOMMU context (iommu=%s): no entry, "
                 "bus addresses are machine addresses", mapper->id, policy.enabled ? "on" : "off");
        return;
    }
    if (!iommu_gnttab_need_mapping(&policy, c->d->direct_map, c->d->id == HWDOM_ID))
        trace_hv(TRACE_HOP_IOMMU_ENTRY, where, "no 1:1 entry: gnttab_iommu=%s iommu_pt=%s "
                 "need_sync=%s", gnttab_iommu_name(policy.gnttab), iommu_pt_name(policy.pt),
                 c->need_sync ? "yes" : "no");
    else if (c->relaxed)
        trace_hv(TRACE_HOP_IOMMU_ENTRY, where, "no 1:1 entry needed: dom0_iommu=relaxed "
                 "maps all RAM 1:1");
    else
        trace_hv(TRACE_HOP_IOMMU_ENTRY, where, "1:1 entry at 0x%lx: gnttab_iommu=%s iommu_pt=%s",
                 pa_addr(page), gnttab_iommu_name(policy.gnttab), iommu_pt_name(policy.pt));
    describe_walk(c, iova_of_pa_1to1(page), at_m, sizeof(at_m));
    describe_walk(c, iova_of_ipa(host_addr), at_ipa, sizeof(at_ipa));
    trace_hv(TRACE_HOP_IOMMU_WALK, "iommu.c:iommu_translate", "d%u iova 0x%lx -> %s", c->d->id,
             pa_addr(page), at_m);
    trace_hv(TRACE_HOP_IOMMU_WALK, "iommu.c:iommu_translate", "d%u iova 0x%lx -> %s", c->d->id,
             ipa_addr(host_addr), at_ipa);
}

/* ------------------------------------------------------------------------ */
/* Faults, counters, dump                                                    */
/* ------------------------------------------------------------------------ */

void iommu_count_fault(struct iommu_ctx *c, iova_t iova, u32 sid)
{
    __atomic_fetch_add(&c->stats.faults, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&c->stats.last_fault_iova, iova_addr(iova), __ATOMIC_RELAXED);
    if (map_dump_enabled())
        map_dump_note_fault(c->d, iova, sid);
}

int iommu_for_each_entry(struct domain *d, pt_leaf_fn fn, void *arg, bool *shared)
{
    struct iommu_ctx *c = ctx_of(d);

    if (!c)
        return -ENODEV;
    *shared = c->shared;
    if (c->shared) {
        p2m_for_each_entry(&d->p2m, fn, arg);
        return 0;
    }
    spin_lock(&c->lock);
    if (c->live) /* (iommu_domain_destroy frees the tables under this lock) */
        pt_for_each_leaf(&c->pt, fn, arg);
    spin_unlock(&c->lock);
    return 0;
}

bool iommu_translates(struct domain *d, iova_t bus, pa_t *pa_out)
{
    struct iommu_ctx *c = ctx_of(d);
    bool found;

    if (!c)
        return false;
    if (c->shared)
        return !p2m_lookup(&d->p2m, ipa_of_iova(bus), pa_out, NULL);
    spin_lock(&c->lock);
    found = c->live && pt_lookup(&c->pt, pt_iova(bus), pa_out, NULL, NULL);
    spin_unlock(&c->lock);
    return found;
}

int iommu_get_stats(struct domain *d, struct iommu_stats *out)
{
    struct iommu_ctx *c = ctx_of(d);

    if (!c)
        return -ENODEV;
    *out = c->stats;
    return 0;
}

void iommu_dump(void)
{
    char line[300];

    iommu_policy_describe(&policy, line, sizeof(line));
    printk("iommu: dump: %s\n", line);
    for (unsigned i = 0; i < MAX_DOMAINS; i++) {
        const struct iommu_ctx *c = ctx_of(domain_by_id(i));
        if (!c)
            continue;
        printk("iommu: dump: d%u: %u stream(s), ttb 0x%lx, maps %lu, unmaps %lu, 1:1 grant "
               "entries added %lu, TLBI %lu, CMD_SYNC %lu, faults %lu (last iova 0x%lx), "
               "invalidations by address %lu, whole %lu\n", i,
               c->nr_streams, pa_addr(c->ttb), c->stats.maps, c->stats.unmaps, c->stats.one_to_one,
               c->stats.tlbi, c->stats.syncs, c->stats.faults, c->stats.last_fault_iova,
               c->stats.by_address, c->stats.whole);
    }
    for (unsigned i = 0; i < nr_units; i++)
        units[i].ops->dump(units[i].priv);
}

void iommu_selftest_bad_command(void)
{
    for (unsigned i = 0; i < nr_units; i++)
        if (units[i].ops->selftest_bad_command) {
            printk("iommu: selftest: sending %s a command it must refuse\n", units[i].name);
            units[i].ops->selftest_bad_command(units[i].priv);
        }
}

/* Its unit (domain.h): the context is taken at domain_create; the builder
 * sets it up (iommu_domain_init) only for a domain that owns devices. */
static int unit_init(struct domain *d, void *state)
{
    d->iommu = state;
    return 0;
}

const struct domain_unit iommu_unit = {
    .name = "IOMMU context", .state_size = sizeof(struct iommu_ctx), .init = unit_init,
    .destroy = iommu_domain_destroy,
};
