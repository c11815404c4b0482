/*
 * pgtable.h — the translation-table walker's interface.
 *
 * One walker (arch/arm64/pgtable.c) builds and edits every table granite owns:
 * its own EL2 stage-1 tables, each domain's stage-2 tables and an IOMMU's
 * separate tables.  What differs between those is described to it, not coded
 * into it (the Bao way):
 *   - a format: how a leaf descriptor encodes an output address and a type;
 *   - hooks: how to write a descriptor and how to invalidate TLBs, so the same
 *     walker serves the CPU and an SMMU with its own TLB;
 *   - an allocator for table pages.
 *
 * Addresses are typed.  The output address is always a pa_t.  The input
 * address (IA) is granite's VA for its EL2 stage-1 tables, a domain's IPA for
 * its stage-2 tables and a device's IOVA for an IOMMU's separate tables: the
 * walker serves all three, so it takes a pt_ia_t, an address tagged with its
 * space, made by pt_va(), pt_ipa() or pt_iova().  A table belongs to one space
 * (pt_init); an address of another is refused, never walked.
 */
#ifndef GRANITE_PGTABLE_H
#define GRANITE_PGTABLE_H

#include <granite/types.h>

struct pgtable;

enum pt_space { PT_SPACE_VA, PT_SPACE_IPA, PT_SPACE_IOVA };
typedef struct { u64 v; enum pt_space space; } pt_ia_t;

static inline pt_ia_t pt_va(va_t a) { return (pt_ia_t){ va_addr(a), PT_SPACE_VA }; }
static inline pt_ia_t pt_ipa(ipa_t a) { return (pt_ia_t){ ipa_addr(a), PT_SPACE_IPA }; }
static inline pt_ia_t pt_iova(iova_t a) { return (pt_ia_t){ iova_addr(a), PT_SPACE_IOVA }; }
/* The number: for the walk itself and for a TLB maintenance operand. */
static inline u64 pt_ia_addr(pt_ia_t a) { return a.v; }

struct pt_format {
    const char *name;
    /* Leaf descriptor for output address `oa` of memory type `type` at `level`. */
    u64 (*encode_leaf)(pa_t oa, unsigned level, unsigned type);
    /* The type stored in a leaf descriptor (0 if none). */
    unsigned (*leaf_type)(u64 desc);
};

struct pt_hooks {
    /* Store one descriptor where the table walker can see it. */
    void (*write_desc)(struct pgtable *pt, u64 *slot, u64 desc);
    /* Make earlier descriptor stores visible to the walker (DSB). */
    void (*sync)(struct pgtable *pt);
    /* Invalidate cached translations of the `level` entry covering `ia`. */
    void (*flush_ia)(struct pgtable *pt, pt_ia_t ia, unsigned level);
    /* Invalidate every cached translation (and walk cache) of this table. */
    void (*flush_all)(struct pgtable *pt);
    /* Optional.  A table page is about to be freed, after flush_all: any other
     * walker of this table (an IOMMU sharing it) must forget it now, whatever
     * its own invalidation policy, for the page is about to be reused. */
    void (*before_table_free)(struct pgtable *pt);
    /* Optional.  A new table page is filled and about to be linked in: make
     * its contents visible to walkers that do not snoop the CPU's caches. */
    void (*table_ready)(struct pgtable *pt, u64 *table);
};

struct pt_allocator {
    /* Returns 2^order zeroed, naturally aligned pages, or NULL. */
    void *(*alloc)(void *ctx, unsigned order);
    void (*free)(void *ctx, void *pages, unsigned order);
    void *ctx;
};

struct pgtable {
    u64 *root;
    unsigned root_level;   /* 0..2: where the walk starts */
    unsigned root_order;   /* the root is 2^root_order concatenated pages */
    unsigned ia_bits;      /* input address size */
    enum pt_space space;   /* what the input addresses are */
    const struct pt_format *fmt;
    const struct pt_hooks *hooks;
    const struct pt_allocator *alloc;
    void *owner;           /* e.g. the p2m, for the hooks */
    bool need_flush;       /* removals done, TLB flush deferred to pt_finish() */
    bool keep_tables;      /* an unmap leaves emptied tables in place (an IOMMU walks
                              this table: freeing one means invalidating it first) */
    unsigned nr_tables;    /* table pages currently owned, root included */
};

/* Geometry of the 4 KiB granule (Arm ARM D8.2): levels 0..3. */
#define PT_LEVELS 4
#define PT_ENTRIES 512
unsigned pt_level_shift(unsigned level);
bool pt_level_has_blocks(unsigned level);

int pt_init(struct pgtable *pt, enum pt_space space, unsigned ia_bits, unsigned root_level,
            unsigned root_order, const struct pt_format *fmt, const struct pt_hooks *hooks,
            const struct pt_allocator *alloc, void *owner);
/* Map [ia, ia+size) to [oa, oa+size) with `type`, using the largest blocks that
 * alignment allows, splitting and merging blocks as needed.  Page aligned;
 * -EINVAL for an address outside the table's space or size. */
int pt_map(struct pgtable *pt, pt_ia_t ia, pa_t oa, u64 size, unsigned type);
/* Unmap [ia, ia+size), splitting blocks that are only partly covered. */
int pt_unmap(struct pgtable *pt, pt_ia_t ia, u64 size);
/* Translate ia.  Returns false if unmapped (or of another space). */
bool pt_lookup(struct pgtable *pt, pt_ia_t ia, pa_t *oa, unsigned *type, unsigned *level);
/* Call fn for every valid leaf, in input-address order: where it starts, the
 * output address, the size it covers (a page or a block) and its type.  The
 * caller holds whatever lock keeps the table still (a read-only walk). */
typedef void (*pt_leaf_fn)(void *ctx, u64 ia, pa_t oa, u64 size, unsigned type);
void pt_for_each_leaf(const struct pgtable *pt, pt_leaf_fn fn, void *ctx);
/* Perform the TLB flush deferred by removals.  Call before dropping the lock. */
void pt_finish(struct pgtable *pt);
/* Free every table page.  The caller has already made the table unreachable. */
void pt_destroy(struct pgtable *pt);

/* VMSAv8-64 descriptor bits common to both stages (Arm ARM D8.3). */
#define DESC_VALID BIT(0)
#define DESC_TABLE BIT(1)        /* levels 0-2: 1 = table, 0 = block */
#define DESC_PAGE BIT(1)         /* level 3: must be 1 for a page */
#define DESC_AF BIT(10)
#define DESC_OA_MASK GENMASK(47, 12)
#define DESC_SW_MASK GENMASK(58, 55) /* ignored by hardware: granite stores the type here */

#endif
