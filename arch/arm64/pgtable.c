/*
 * pgtable.c — the VMSAv8-64 translation-table walker, 4 KiB granule.
 *
 * A table at level L has 512 eight-byte descriptors, each covering
 * 2^(12 + 9*(3-L)) bytes: 512 GiB at L0, 1 GiB at L1, 2 MiB at L2, 4 KiB at L3
 * (Arm ARM D8.2).  A descriptor is invalid, a table pointer (L0-L2), a block
 * (L1-L2, a whole aligned range in one entry) or a page (L3).  The root may be
 * up to 16 concatenated pages, so its index can have more than 9 bits.
 *
 * Changing a live descriptor follows break-before-make (Arm ARM D8.14.1): a valid
 * entry is never overwritten by another valid entry.  It is first made invalid,
 * the TLB entries that may hold it are invalidated, and only then is the new
 * entry written.  Removals may defer their invalidation to pt_finish(); a
 * replacement cannot.  Table pages are freed only after the TLB flush that makes
 * them unreachable to the walker.
 *
 * Table pointers in descriptors are physical addresses; granite maps VA == PA
 * (include/granite/memory_map.h), so pa_to_ptr() turns one into a pointer.
 * Inside the walk an input address is a plain number of the table's space:
 * pt_map/pt_unmap/pt_lookup check the space once, and the hooks get it back.
 *
 * This file is pure C (no system registers): the host unit tests run it with
 * hooks that record every write and flush.
 */
#include <granite/pgtable.h>
#include <granite/errno.h>
#include <granite/memory_map.h>

unsigned pt_level_shift(unsigned level) { return PAGE_SHIFT + 9 * (3 - level); }
bool pt_level_has_blocks(unsigned level) { return level == 1 || level == 2; }

static u64 level_size(unsigned level) { return 1UL << pt_level_shift(level); }

static unsigned level_entries(const struct pgtable *pt, unsigned level)
{
    if (level == pt->root_level)
        return 1U << (pt->ia_bits - pt_level_shift(level));
    return PT_ENTRIES;
}

static unsigned level_index(const struct pgtable *pt, unsigned level, u64 ia)
{
    return (ia >> pt_level_shift(level)) & (level_entries(pt, level) - 1);
}

static bool desc_is_valid(u64 d) { return d & DESC_VALID; }
static bool desc_is_table(u64 d, unsigned level) { return level < 3 && (d & 3) == 3; }
static bool desc_is_leaf(u64 d, unsigned level) { return desc_is_valid(d) && !desc_is_table(d, level); }
static u64 desc_oa(u64 d) { return d & DESC_OA_MASK; }
static u64 *desc_table(u64 d) { return pa_to_ptr(pa(desc_oa(d))); }
/* Everything in a leaf but its address and its page/block bit. */
static u64 leaf_attrs(u64 d) { return d & ~(DESC_OA_MASK | 3UL); }
static u64 make_leaf(u64 attrs, u64 oa, unsigned level)
{
    return attrs | oa | (level == 3 ? (DESC_VALID | DESC_PAGE) : DESC_VALID);
}

static void write_desc(struct pgtable *pt, u64 *slot, u64 d) { pt->hooks->write_desc(pt, slot, d); }

static u64 *alloc_table(struct pgtable *pt)
{
    u64 *t = pt->alloc->alloc(pt->alloc->ctx, 0);
    if (t)
        pt->nr_tables++;
    return t;
}

static void free_subtree(struct pgtable *pt, u64 *table, unsigned level)
{
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        if (desc_is_table(table[i], level))
            free_subtree(pt, desc_table(table[i]), level + 1);
    pt->alloc->free(pt->alloc->ctx, table, 0);
    pt->nr_tables--;
}

/* Publish a freshly filled table: its contents must be visible first. */
static void publish_table(struct pgtable *pt, u64 *slot, u64 *table)
{
    if (pt->hooks->table_ready)
        pt->hooks->table_ready(pt, table);
    pt->hooks->sync(pt);
    write_desc(pt, slot, pa_addr(ptr_to_pa(table)) | DESC_VALID | DESC_TABLE);
    pt->hooks->sync(pt);
}

/* Break: invalidate a live entry and flush what the TLB may hold of it. */
static void break_entry(struct pgtable *pt, u64 *slot, u64 ia, unsigned level, bool whole_table)
{
    write_desc(pt, slot, 0);
    if (whole_table) {
        pt->hooks->flush_all(pt);
        if (pt->hooks->before_table_free)
            pt->hooks->before_table_free(pt); /* the caller frees the table next */
    } else {
        pt->hooks->flush_ia(pt, (pt_ia_t){ ia, pt->space }, level);
    }
}

/* Install a leaf at `slot`, replacing whatever is there with break-before-make. */
static void set_leaf(struct pgtable *pt, u64 *slot, u64 desc, u64 ia, unsigned level)
{
    u64 old = *slot;

    if (old == desc)
        return;
    if (desc_is_table(old, level)) {
        break_entry(pt, slot, ia, level, true);
        free_subtree(pt, desc_table(old), level + 1);
    } else if (desc_is_valid(old)) {
        break_entry(pt, slot, ia, level, false);
    }
    write_desc(pt, slot, desc);
    pt->hooks->sync(pt);
}

/* The next-level table under `slot`, creating it or splitting a block into it. */
static u64 *table_under(struct pgtable *pt, u64 *slot, u64 ia, unsigned level)
{
    u64 old = *slot;
    u64 *t;

    if (desc_is_table(old, level))
        return desc_table(old);
    t = alloc_table(pt);
    if (!t)
        return NULL;
    if (desc_is_valid(old)) {
        /* Split: the new table maps exactly what the block mapped. */
        u64 step = level_size(level + 1);
        for (unsigned i = 0; i < PT_ENTRIES; i++)
            t[i] = make_leaf(leaf_attrs(old), desc_oa(old) + i * step, level + 1);
        break_entry(pt, slot, ALIGN_DOWN(ia, level_size(level)), level, false);
    }
    publish_table(pt, slot, t);
    return t;
}

/* If the table under `slot` maps one contiguous, uniform, block-aligned range,
 * replace it with a single block. */
static void try_merge(struct pgtable *pt, u64 *slot, u64 ia, unsigned level)
{
    u64 *t, first, step = level_size(level + 1);

    if (!pt_level_has_blocks(level) || !desc_is_table(*slot, level))
        return;
    t = desc_table(*slot);
    first = t[0];
    if (!desc_is_leaf(first, level + 1) || !IS_ALIGNED(desc_oa(first), level_size(level)))
        return;
    for (unsigned i = 1; i < PT_ENTRIES; i++) {
        if (!desc_is_leaf(t[i], level + 1) || leaf_attrs(t[i]) != leaf_attrs(first) ||
            desc_oa(t[i]) != desc_oa(first) + i * step)
            return;
    }
    break_entry(pt, slot, ia, level, true);
    write_desc(pt, slot, make_leaf(leaf_attrs(first), desc_oa(first), level));
    pt->hooks->sync(pt);
    free_subtree(pt, t, level + 1);
}

static int map_level(struct pgtable *pt, u64 *table, unsigned level, u64 ia, u64 end, u64 oa,
                     unsigned type)
{
    while (ia < end) {
        u64 size = level_size(level);
        u64 base = ALIGN_DOWN(ia, size);
        u64 next = MIN(base + size, end);
        u64 *slot = &table[level_index(pt, level, ia)];
        bool whole = ia == base && next - ia == size && IS_ALIGNED(oa, size);

        if (level == 3 || (whole && pt_level_has_blocks(level))) {
            set_leaf(pt, slot, pt->fmt->encode_leaf(pa(oa), level, type), ia, level);
        } else {
            u64 *sub = table_under(pt, slot, ia, level);
            int ret;
            if (!sub)
                return -ENOMEM;
            ret = map_level(pt, sub, level + 1, ia, next, oa, type);
            if (ret)
                return ret;
            try_merge(pt, slot, base, level);
        }
        oa += next - ia;
        ia = next;
    }
    return 0;
}

static bool table_is_empty(const u64 *t)
{
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        if (t[i])
            return false;
    return true;
}

static int unmap_level(struct pgtable *pt, u64 *table, unsigned level, u64 ia, u64 end)
{
    while (ia < end) {
        u64 size = level_size(level);
        u64 base = ALIGN_DOWN(ia, size);
        u64 next = MIN(base + size, end);
        u64 *slot = &table[level_index(pt, level, ia)];
        u64 old = *slot;

        if (!desc_is_valid(old)) {
            /* nothing mapped here */
        } else if (ia == base && next - ia == size) {
            if (desc_is_table(old, level)) {
                /* The walker may cache the table: flush before freeing it. */
                break_entry(pt, slot, ia, level, true);
                free_subtree(pt, desc_table(old), level + 1);
            } else {
                write_desc(pt, slot, 0);
                pt->need_flush = true;
            }
        } else {
            u64 *sub = table_under(pt, slot, ia, level);
            int ret;
            if (!sub)
                return -ENOMEM;
            ret = unmap_level(pt, sub, level + 1, ia, next);
            if (ret)
                return ret;
            if (!pt->keep_tables && table_is_empty(sub)) {
                break_entry(pt, slot, base, level, true);
                free_subtree(pt, sub, level + 1);
            }
        }
        ia = next;
    }
    return 0;
}

static bool range_ok(const struct pgtable *pt, pt_ia_t ia, u64 size)
{
    u64 limit = 1UL << pt->ia_bits;
    u64 start = pt_ia_addr(ia);

    return ia.space == pt->space && size && IS_ALIGNED(start, PAGE_SIZE) &&
           IS_ALIGNED(size, PAGE_SIZE) && start < limit && size <= limit - start;
}

int pt_init(struct pgtable *pt, enum pt_space space, unsigned ia_bits, unsigned root_level,
            unsigned root_order, const struct pt_format *fmt, const struct pt_hooks *hooks,
            const struct pt_allocator *alloc, void *owner)
{
    /* The root holds 2^(ia_bits - shift) entries: at most 16 pages of 512. */
    if (root_level > 2 || ia_bits > 48 || root_order > 4 ||
        ia_bits <= pt_level_shift(root_level) ||
        ia_bits - pt_level_shift(root_level) > 9 + root_order)
        return -EINVAL;
    *pt = (struct pgtable){ .root_level = root_level, .root_order = root_order,
                            .ia_bits = ia_bits, .space = space, .fmt = fmt, .hooks = hooks,
                            .alloc = alloc, .owner = owner };
    pt->root = alloc->alloc(alloc->ctx, root_order);
    if (!pt->root)
        return -ENOMEM;
    pt->nr_tables = 1U << root_order;
    return 0;
}

int pt_map(struct pgtable *pt, pt_ia_t ia, pa_t oa, u64 size, unsigned type)
{
    const u64 oa_limit = DESC_OA_MASK + PAGE_SIZE; /* 2^48: what a descriptor can hold */

    if (!range_ok(pt, ia, size) || !IS_ALIGNED(pa_addr(oa), PAGE_SIZE) ||
        pa_addr(oa) >= oa_limit || size > oa_limit - pa_addr(oa))
        return -EINVAL;
    /* Removals whose TLB flush is still deferred must be complete before a new
     * valid entry can take their place (break-before-make). */
    pt_finish(pt);
    return map_level(pt, pt->root, pt->root_level, pt_ia_addr(ia), pt_ia_addr(ia) + size,
                     pa_addr(oa), type);
}

int pt_unmap(struct pgtable *pt, pt_ia_t ia, u64 size)
{
    if (!range_ok(pt, ia, size))
        return -EINVAL;
    return unmap_level(pt, pt->root, pt->root_level, pt_ia_addr(ia), pt_ia_addr(ia) + size);
}

bool pt_lookup(struct pgtable *pt, pt_ia_t in, pa_t *oa, unsigned *type, unsigned *level_out)
{
    u64 *table = pt->root, ia = pt_ia_addr(in);

    /* A destroyed table (root NULL) translates nothing: a dump may ask about
     * a domain whose tables another CPU has just released. */
    if (!table || in.space != pt->space || ia >> pt->ia_bits)
        return false;
    for (unsigned level = pt->root_level; level < PT_LEVELS; level++) {
        u64 d = table[level_index(pt, level, ia)];
        if (!desc_is_valid(d))
            return false;
        if (desc_is_table(d, level)) {
            table = desc_table(d);
            continue;
        }
        if (oa)
            *oa = pa(desc_oa(d) + (ia & (level_size(level) - 1)));
        if (type)
            *type = pt->fmt->leaf_type(d);
        if (level_out)
            *level_out = level;
        return true;
    }
    return false;
}

static void leaves_of(const struct pgtable *pt, const u64 *table, unsigned level, u64 base,
                      pt_leaf_fn fn, void *ctx)
{
    unsigned n = level == pt->root_level ? level_entries(pt, level) : PT_ENTRIES;

    for (unsigned i = 0; i < n; i++) {
        u64 d = table[i], ia = base + ((u64)i << pt_level_shift(level));
        if (desc_is_table(d, level))
            leaves_of(pt, desc_table(d), level + 1, ia, fn, ctx);
        else if (desc_is_valid(d))
            fn(ctx, ia, pa(desc_oa(d)), level_size(level), pt->fmt->leaf_type(d));
    }
}

void pt_for_each_leaf(const struct pgtable *pt, pt_leaf_fn fn, void *ctx)
{
    if (pt->root)
        leaves_of(pt, pt->root, pt->root_level, 0, fn, ctx);
}

void pt_finish(struct pgtable *pt)
{
    if (pt->need_flush) {
        pt->hooks->flush_all(pt);
        pt->need_flush = false;
    }
}

void pt_destroy(struct pgtable *pt)
{
    unsigned n = 1U << pt->root_order;

    if (!pt->root)
        return;
    for (unsigned i = 0; i < n * PT_ENTRIES; i++)
        if (desc_is_table(pt->root[i], pt->root_level))
            free_subtree(pt, desc_table(pt->root[i]), pt->root_level + 1);
    pt->alloc->free(pt->alloc->ctx, pt->root, pt->root_order);
    pt->nr_tables -= n;
    pt->root = NULL;
}
