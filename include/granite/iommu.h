/*
 * iommu.h — the IOMMU layer: policy (core/iommu.c) and the units that
 * implement it (drivers/smmuv3.c).
 *
 * A device's DMA address goes through the IOMMU the way a guest's memory
 * access goes through stage 2.  granite gives the hardware domain (dom0) one
 * translation context, and so does each domain that owns passed-through
 * devices: their streams point at their owner's.  The context walks
 *   - the domain's p2m itself (iommu_pt=shared: the SMMU reads the very tables
 *     the CPU walks, so every p2m change is instantly an IOMMU change), or
 *   - tables of its own in the same format (iommu_pt=separate), into which
 *     every p2m change is mirrored (Xen's need_sync), or that map all RAM but
 *     granite's (dom0_iommu=relaxed).
 * Grant mappings of a direct-mapped domain may add machine == bus entries
 * (seed 000); core/iommu.c says when.
 *
 * A device's address is an iova_t.  Which IOVA reaches which page depends on
 * what the context's tables hold, so the conversions below are named for it.
 *
 * Core code calls the hooks below unconditionally; a domain without a
 * context, or a board without an IOMMU, makes them do nothing.  A unit plugs
 * in through struct iommu_unit_ops, so no core file knows it is an SMMUv3.
 */
#ifndef GRANITE_IOMMU_H
#define GRANITE_IOMMU_H

#include <granite/types.h>
#include <granite/pgtable.h>
#include <granite/spinlock.h>
#include <granite/iommu_policy.h>
#include <granite/iommu_inval.h>

struct domain;

/* The context translates a device's address with its owner's stage-2 view
 * (the shared p2m, or separate tables mirroring it): the IOVA is an IPA of
 * the owner, and the p2m slot it walks is that IPA. */
static inline iova_t iova_of_ipa(ipa_t a) { return iova(ipa_addr(a)); }
static inline ipa_t ipa_of_iova(iova_t a) { return ipa(iova_addr(a)); }
/* A 1:1 entry puts machine page `p` at bus address p: a direct-mapped
 * domain's grant mappings (seed 000's fix), relaxed tables, reserved-memory
 * identity maps.  Only true where such an entry exists (or the IOMMU is off:
 * then every bus address is a machine address). */
static inline iova_t iova_of_pa_1to1(pa_t p) { return iova(pa_addr(p)); }

/* Per-domain counters (readable by guests through GRANITE_OP_iommu_stats). */
struct iommu_stats {
    u64 maps, unmaps;     /* IOMMU entries added / removed (pages) */
    u64 tlbi;             /* invalidation commands issued */
    u64 syncs;            /* completion waits (CMD_SYNC) */
    u64 faults;           /* faults recorded against this domain's devices */
    u64 one_to_one;       /* 1:1 entries added for grant mappings (seed 000's fix) */
    u64 last_fault_iova;  /* input address of the most recent fault */
    u64 by_address;       /* batches invalidated address by address (TLBI_S2_IPA) */
    u64 whole;            /* batches invalidated whole (TLBI_S12_VMALL / by ASID) */
};

struct grant_ref_count;

/* A domain's translation context, shared by the policy and the unit. */
struct iommu_ctx {
    struct domain *d;
    bool live;            /* set up and in use */
    unsigned nr_streams;  /* device streams the unit points at it */
    bool shared;          /* walks d->p2m; else `pt` below */
    bool relaxed;         /* `pt` maps all domains' RAM 1:1 */
    bool need_sync;       /* every p2m change is mirrored into `pt` */
    struct pgtable pt;    /* separate tables (unused when shared) */
    pa_t ttb;             /* the table base the unit programs */
    u16 vmid;             /* stage 2: the domain's VMID */
    u16 asid;             /* stage 1 stand-in: an ASID of the unit's own */
    bool flush_pending;   /* batched: an invalidation is owed */
    struct iommu_inval_set owed; /* batched: what it is owed for (under flush_lock) */
    spinlock_t lock;      /* the separate tables */
    /* Held from taking flush_pending to the end of the CMD_SYNC: whoever finds
     * the flag clear after waiting here knows the flush it needed is done. */
    spinlock_t flush_lock;
    /* The 1:1 grant entries' counts, and the lock held across a count change
     * and the table update it decides (the lock order: spinlock.h). */
    struct grant_ref_count *grant_counts;
    spinlock_t grant_lock;
    struct iommu_stats stats;
    void *unit_priv;      /* the unit's per-context state (a stage-1 CD, ...) */
};

/* --- what a unit (driver) provides --------------------------------------------- */
struct iommu_unit_ops {
    /* Policy decided: translate (streams granite attaches translate, the rest
     * abort) or not (iommu=off: every stream bypasses, untranslated). */
    void (*enable)(void *unit, bool translate);
    /* Translation for `ctx` is about to be used: prepare what the unit needs. */
    int (*ctx_init)(void *unit, struct iommu_ctx *ctx);
    /* Point stream `sid` (device `dev`, for log lines) at `ctx`. */
    int (*attach)(void *unit, struct iommu_ctx *ctx, u32 sid, const char *dev);
    /* Invalidate cached translations of [iova, iova+size), then wait for completion. */
    void (*flush_range)(void *unit, struct iommu_ctx *ctx, iova_t iova, u64 size);
    /* Invalidate the cached translations of each range, then wait once for
     * completion (one CMD_SYNC for all).  Optional: flush_all stands in. */
    void (*flush_ranges)(void *unit, struct iommu_ctx *ctx, const struct iommu_range *r,
                         unsigned n);
    /* Optional (smmu_measure=on): time the invalidation forms against ctx and
     * print the figures (they chose IOMMU_INVAL_MAX_CMDS). */
    void (*measure)(void *unit, struct iommu_ctx *ctx);
    /* Invalidate everything cached for ctx, then wait for completion. */
    void (*flush_all)(void *unit, struct iommu_ctx *ctx);
    /* Tear down ctx's streams (they abort from now on) and the unit's state for it. */
    void (*ctx_destroy)(void *unit, struct iommu_ctx *ctx);
    /* Print the unit's state and counters. */
    void (*dump)(void *unit);
    /* Optional: queue a command the hardware must refuse (error handling demo). */
    void (*selftest_bad_command)(void *unit);
};

struct iommu_unit {
    const char *name;     /* for log lines: "smmu@9050000" */
    const char *dt_path;  /* its node in the host DTB */
    u32 phandle;          /* what iommu-map / iommus point at */
    bool stage2, stage1;
    bool coherent;        /* walks table memory coherently with the CPU's caches */
    unsigned ias_bits;    /* largest input address it translates */
    unsigned oas_bits;    /* largest output (physical) address */
    /* Commands flush_ranges needs for a range of n pages (NULL: one per page). */
    iommu_range_cmds_fn range_cmds;
    const struct iommu_unit_ops *ops;
    void *priv;
};

/* Called by a unit's probe when the hardware is reset, quiescent and aborting. */
int iommu_register_unit(const struct iommu_unit *u);

/* --- boot ------------------------------------------------------------------------ */
/* Probe IOMMUs in the DTB, resolve the policy from the options, log it in one
 * line.  Before the stage-2 geometry is chosen (shared tables limit the IPA
 * size to what the IOMMU can take).  0, or -errno with *why. */
int iommu_init(const void *fdt, const char **why);
const struct iommu_policy *iommu_policy(void);

/* --- domains ---------------------------------------------------------------------- */
/* Its unit (domain.h): takes d->iommu at domain_create; destroy is
 * iommu_domain_destroy. */
extern const struct domain_unit iommu_unit;
/* Give a domain that owns devices (the hardware domain, a driver domain) its
 * context, before any of its p2m is mapped.  Nothing when the IOMMU is off. */
int iommu_domain_init(struct domain *d);
/* Point every PCI device found below the given host bridges (host DT paths,
 * the ones d owns) at d's context, and identity-map the reserved-memory
 * regions those bridges name.  End of the owner's build. */
int iommu_domain_assign_devices(struct domain *d, const void *fdt,
                                const char *const *bridges, unsigned nr_bridges,
                                const char **why);
void iommu_domain_destroy(struct domain *d);
/* The host bridges whose devices' DMA granite translates (dom0 DT paths). */
unsigned iommu_translated_nodes(const void *fdt, const char **paths, unsigned max);
/* Whether dom0's DMA is translated and granite is to say so (the feature bit). */
bool iommu_advertise_dom0(void);

/* --- hooks called by the p2m, the grant table and the domain builder -------------- */
/* d's p2m changed at [ipa, ipa + size): it now maps pa with `type` (a p2m_type_t),
 * or nothing (p2m_invalid).  Called by p2m_map/p2m_unmap after their update:
 * shared tables owe an invalidation, separate ones with need_sync mirror it. */
void iommu_p2m_changed(struct domain *d, ipa_t ipa, pa_t pa, u64 size, unsigned type);
/* A table page of d's p2m is about to be freed: an IOMMU walking the p2m
 * forgets it now (whatever iommu_flush says: the page is about to be reused). */
void iommu_p2m_table_freed(struct domain *d);
/* `owner`'s RAM [pa, pa+size) came into use or goes away (relaxed contexts map it). */
void iommu_ram_changed(struct domain *owner, pa_t pa, u64 size, bool added);
/* `mapper` grant-mapped the machine page `page` (read-only if !writable). */
int iommu_grant_map(struct domain *mapper, pa_t page, bool writable);
int iommu_grant_unmap(struct domain *mapper, pa_t page, bool writable);
/* The packet trace (core/trace.c): say whether a grant map of `page` at
 * host_addr got a 1:1 entry and why, and what mapper's devices reach at the
 * machine address and at host_addr. */
void iommu_trace_grant(struct domain *mapper, pa_t page, ipa_t host_addr);

/* --- invalidation batching ----------------------------------------------------------- */
/* A hypercall is a batch: with iommu_flush=batched, the invalidations its
 * updates need are issued once, at the end (before the guest runs again). */
void iommu_batch_begin(void);
void iommu_batch_end(void);
/* Issue now what d's context owes (before a page it may no longer reach is released). */
void iommu_flush_owed(struct domain *d);

/* --- faults and counters ----------------------------------------------------------- */
/* A unit reports a fault at `iova` on stream `sid`, attached to ctx. */
void iommu_count_fault(struct iommu_ctx *ctx, iova_t iova, u32 sid);
int iommu_get_stats(struct domain *d, struct iommu_stats *out);
/* selftest=smmu-bad-command: hand each unit a command it must refuse. */
void iommu_selftest_bad_command(void);
void iommu_dump(void);

/* --- what a context translates (dump=maps, core/map_dump.c) ---------------------- */
/* Call fn for every entry of the tables d's devices walk, in IOVA order:
 * the p2m itself when shared (*shared set), else its separate tables.
 * -ENODEV when d has no context. */
int iommu_for_each_entry(struct domain *d, pt_leaf_fn fn, void *arg, bool *shared);
/* Whether d's devices reach a page at `bus`, and which (*pa). */
bool iommu_translates(struct domain *d, iova_t bus, pa_t *pa);

#endif
