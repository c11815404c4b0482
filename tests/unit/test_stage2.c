/*
 * test_stage2.c — host tests of the stage-2 format and geometry
 * (arch/arm64/stage2.c) and of the p2m API on top of the walker (core/p2m.c).
 *
 * Field positions are spelled out here from the Arm ARM (VTCR_EL2 in D19.2,
 * stage-2 block and page descriptors in D8.3), not taken from stage2.c, so a
 * wrong macro there shows up as a failure here.  The TLB hooks, locks and page
 * allocator are the recorders of tests/unit/host_stubs.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/p2m.h>
#include <granite/domain.h>
#include <granite/page_alloc.h>
#include <granite/errno.h>
#include "host_stubs.h"

/* Field hi..lo of v. */
static u64 bits(u64 v, unsigned hi, unsigned lo) { return (v >> lo) & ((2UL << (hi - lo)) - 1); }

static int reset(void **state unused)
{
    host_stubs_reset();
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Geometry                                                                  */
/* ------------------------------------------------------------------------ */

/* ID_AA64MMFR0_EL1.PARange 0 and 1 (32 and 36 bits) are too small for granite
 * (-ERANGE); values past 6 are not defined for this granule (-EINVAL). */
static void test_geometry_rejects_small_or_unknown_parange(void **state unused)
{
    struct stage2_geometry g;

    assert_int_equal(stage2_geometry_for(0, 2, &g), -ERANGE);
    assert_int_equal(stage2_geometry_for(1, 2, &g), -ERANGE);
    assert_int_equal(stage2_geometry_for(7, 2, &g), -EINVAL);
    assert_int_equal(stage2_geometry_for(15, 2, &g), -EINVAL);
}

static void *pages_alloc(void *ctx unused, unsigned order) { return alloc_pages(order); }
static void pages_free(void *ctx unused, void *p, unsigned order) { free_pages(p, order); }
static const struct pt_allocator page_allocator = { .alloc = pages_alloc, .free = pages_free };

/* PARange 2..6: the IPA size follows the PA size (capped at 48 bits, the 4 KiB
 * granule's limit without FEAT_LPA2), the walk starts where Xen starts it, and
 * VTCR_EL2 has T0SZ = 64 - IPA bits, SL0 (4 KiB granule: 0 = level 2,
 * 1 = level 1, 2 = level 0) and PS = the capped PARange.  The root it implies
 * is one the walker accepts. */
static void test_geometry_per_parange(void **state unused)
{
    static const struct {
        unsigned parange, pa_bits, ipa_bits, root_level, root_order, t0sz, sl0, ps;
    } want[] = {
        { 2, 40, 40, 1, 1, 24, 1, 2 },
        { 3, 42, 42, 1, 3, 22, 1, 3 },
        { 4, 44, 44, 0, 0, 20, 2, 4 },
        { 5, 48, 48, 0, 0, 16, 2, 5 },
        { 6, 52, 48, 0, 0, 16, 2, 5 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
        struct stage2_geometry g;
        struct pgtable pt;
        unsigned resolved;

        memset(&g, 0xa5, sizeof(g));
        assert_int_equal(stage2_geometry_for(want[i].parange, 2, &g), 0);
        assert_int_equal(g.pa_bits, want[i].pa_bits);
        assert_int_equal(g.ipa_bits, want[i].ipa_bits);
        assert_int_equal(g.root_level, want[i].root_level);
        assert_int_equal(g.root_order, want[i].root_order);
        assert_int_equal(bits(g.vtcr, 5, 0), want[i].t0sz);
        assert_int_equal(bits(g.vtcr, 7, 6), want[i].sl0);
        assert_int_equal(bits(g.vtcr, 18, 16), want[i].ps);
        /* The root level resolves ipa_bits - shift(level) bits; they must fit in
         * 2^root_order concatenated 512-entry pages (D8.2.7: at most 16). */
        resolved = g.ipa_bits - (12 + 9 * (3 - g.root_level));
        assert_true(resolved >= 1 && resolved <= 9 + g.root_order);
        assert_true(g.root_order <= 4);
        if (g.root_order)
            assert_int_equal(resolved, 9 + g.root_order); /* no wasted root page */
        assert_int_equal(pt_init(&pt, PT_SPACE_IPA, g.ipa_bits, g.root_level, g.root_order,
                                 &stage2_format, &stage2_hooks, &page_allocator, NULL),
                         0);
        assert_int_equal(host_pages_outstanding(), 1L << g.root_order);
        pt_destroy(&pt);
        assert_int_equal(host_pages_outstanding(), 0);
    }
}

/* VTCR_EL2 for a 4 KiB granule with inner-shareable write-back table walks:
 * IRGN0[9:8] = 0b01, ORGN0[11:10] = 0b01, SH0[13:12] = 0b11, TG0[15:14] = 0b00,
 * RES1 bit 31, VS[19] set only with 16-bit VMIDs (ID_AA64MMFR1_EL1.VMIDBits =
 * 0b0010); no other bit set (HA/HD, NSW/NSA, ... stay 0). */
static void test_vtcr_fields(void **state unused)
{
    static const u64 known = 0x3f | (3UL << 6) | (3UL << 8) | (3UL << 10) | (3UL << 12) |
                             (3UL << 14) | (7UL << 16) | BIT(19) | BIT(31);

    for (unsigned parange = 2; parange <= 6; parange++) {
        for (unsigned vmidbits = 0; vmidbits <= 2; vmidbits += 2) {
            struct stage2_geometry g;
            assert_int_equal(stage2_geometry_for(parange, vmidbits, &g), 0);
            assert_int_equal(bits(g.vtcr, 9, 8), 1);
            assert_int_equal(bits(g.vtcr, 11, 10), 1);
            assert_int_equal(bits(g.vtcr, 13, 12), 3);
            assert_int_equal(bits(g.vtcr, 15, 14), 0);
            assert_int_equal(bits(g.vtcr, 31, 31), 1);
            assert_int_equal(g.vmid_bits, vmidbits == 2 ? 16 : 8);
            assert_int_equal(bits(g.vtcr, 19, 19), vmidbits == 2);
            assert_int_equal(g.vtcr & ~known, 0);
        }
    }
    /* The reserved VMIDBits value 0b0001 means 8 bits. */
    {
        struct stage2_geometry g;
        assert_int_equal(stage2_geometry_for(5, 1, &g), 0);
        assert_int_equal(g.vmid_bits, 8);
        assert_int_equal(bits(g.vtcr, 19, 19), 0);
    }
}

/* ------------------------------------------------------------------------ */
/* Leaf descriptors                                                          */
/* ------------------------------------------------------------------------ */

struct leaf_want {
    p2m_type_t type;
    unsigned memattr; /* MemAttr[5:2] (D8.5.5): 0b1111 Normal WB, 0b0001 Device-nGnRE,
                         0b0101 Normal NC */
    unsigned s2ap;    /* S2AP[7:6]: 0b01 read-only, 0b11 read/write */
    unsigned sh;      /* SH[9:8]: 0b11 inner shareable, 0b10 outer (Device, NC) */
    unsigned xn;      /* XN[54:53]: 0b10 no execution at EL1/EL0, 0b00 executable */
};

static const struct leaf_want leaf_want[] = {
    { p2m_ram_rw, 0xf, 3, 3, 0 },          { p2m_ram_ro, 0xf, 1, 3, 0 },
    { p2m_mmio_direct_dev, 0x1, 3, 2, 2 }, { p2m_mmio_direct_nc, 0x5, 3, 2, 2 },
    { p2m_grant_map_rw, 0xf, 3, 3, 2 },    { p2m_grant_map_ro, 0xf, 1, 3, 2 },
    { p2m_iommu_map_rw, 0xf, 3, 3, 2 },    { p2m_iommu_map_ro, 0xf, 1, 3, 2 },
};

/* A stage-2 block (levels 1, 2: bits[1:0] = 0b01) or page (level 3: 0b11)
 * carries, per p2m type, MemAttr, S2AP, SH, AF = 1 (no access-flag faults),
 * XN, the OA in bits [47:12] and the type in the software bits [58:55];
 * nothing else. */
static void test_leaf_encoding_per_type(void **state unused)
{
    static const u64 oa = 0x7fc0000000; /* 1 GiB aligned, below 2^48 */
    const u64 allowed = GENMASK(10, 0) | GENMASK(47, 12) | GENMASK(54, 53) | GENMASK(58, 55);

    assert_int_equal(ARRAY_SIZE(leaf_want), p2m_max_type - 1);
    for (unsigned i = 0; i < ARRAY_SIZE(leaf_want); i++) {
        const struct leaf_want *w = &leaf_want[i];
        for (unsigned level = 1; level <= 3; level++) {
            u64 d = stage2_format.encode_leaf(pa(oa), level, w->type);
            if (bits(d, 5, 2) != w->memattr || bits(d, 7, 6) != w->s2ap ||
                bits(d, 9, 8) != w->sh || bits(d, 54, 53) != w->xn)
                fail_msg("%s at level %u: 0x%lx: MemAttr %lu S2AP %lu SH %lu XN %lu", 
                         p2m_type_name(w->type), level, d, bits(d, 5, 2), bits(d, 7, 6),
                         bits(d, 9, 8), bits(d, 54, 53));
            assert_int_equal(bits(d, 0, 0), 1);
            assert_int_equal(bits(d, 1, 1), level == 3);
            assert_int_equal(bits(d, 10, 10), 1);
            assert_int_equal(d & GENMASK(47, 12), oa);
            assert_int_equal(bits(d, 58, 55), w->type);
            assert_int_equal(d & ~allowed, 0);
            assert_int_equal(bits(d, 11, 11), 0);
        }
    }
}

/* The p2m type survives the trip through the descriptor's software bits. */
static void test_leaf_type_round_trip(void **state unused)
{
    for (unsigned t = p2m_ram_rw; t < p2m_max_type; t++)
        for (unsigned level = 1; level <= 3; level++)
            assert_int_equal(stage2_format.leaf_type(stage2_format.encode_leaf(pa(0x80000000),
                                                                               level, t)),
                             t);
    assert_int_equal(stage2_format.leaf_type(0), 0);
    assert_int_equal(stage2_format.leaf_type(~0UL), 0xf);
}

/* p2m_invalid and anything past the last type encode to 0: an invalid
 * descriptor, never a mapping with made-up attributes. */
static void test_invalid_types_encode_to_zero(void **state unused)
{
    static const unsigned bad[] = { p2m_invalid, p2m_max_type, 15, 16, 17, 0xffffffff };

    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
        for (unsigned level = 1; level <= 3; level++)
            assert_int_equal(stage2_format.encode_leaf(pa(0x80000000), level, bad[i]), 0);
}

/* ------------------------------------------------------------------------ */
/* p2m API                                                                   */
/* ------------------------------------------------------------------------ */

static struct domain dom = { .id = 7 };

/* VMID 0 is never given to a domain; with 8-bit VMIDs, nothing above 255. */
static void test_p2m_init_rejects_bad_vmid(void **state unused)
{
    struct p2m p2m;
    struct stage2_geometry g;

    assert_int_equal(p2m_init(&p2m, &dom, 0), -EINVAL);
    assert_int_equal(host_pages_outstanding(), 0);

    assert_int_equal(stage2_geometry_for(5, 0, &g), 0);
    host_set_stage2_geometry(&g);
    assert_int_equal(p2m_init(&p2m, &dom, 0x100), -EINVAL);
    assert_int_equal(host_pages_outstanding(), 0);
    assert_int_equal(p2m_init(&p2m, &dom, 0xff), 0);
    p2m_destroy(&p2m);
    assert_int_equal(host_pages_outstanding(), 0);
}

/* With no memory for the root, p2m_init fails with -ENOMEM and says so. */
static void test_p2m_init_without_memory(void **state unused)
{
    struct p2m p2m;

    host_alloc_fail_after(0);
    assert_int_equal(p2m_init(&p2m, &dom, 1), -ENOMEM);
    assert_true(host_log_contains("d7"));
    assert_int_equal(host_pages_outstanding(), 0);
}

/* The root has the geometry's size and is aligned to it: VTTBR_EL2.BADDR must
 * be aligned to the size of a concatenated root (D8.2.7). */
static void test_p2m_root_size_and_alignment(void **state unused)
{
    for (unsigned parange = 2; parange <= 5; parange++) {
        struct stage2_geometry g;
        struct p2m p2m;
        u64 root_bytes;

        assert_int_equal(stage2_geometry_for(parange, 2, &g), 0);
        host_set_stage2_geometry(&g);
        assert_int_equal(p2m_init(&p2m, &dom, 3), 0);
        root_bytes = PAGE_SIZE << g.root_order;
        assert_int_equal(host_pages_outstanding(), 1L << g.root_order);
        assert_true(IS_ALIGNED((u64)(uintptr_t)p2m.pt.root, root_bytes));
        assert_int_equal(p2m.pt.ia_bits, g.ipa_bits);
        assert_int_equal(p2m.pt.root_level, g.root_level);
        p2m_destroy(&p2m);
        assert_int_equal(host_pages_outstanding(), 0);
    }
}

/* Map, look up, unmap, with types: the lookup returns the PA (with the offset
 * inside the page) and the type given at map time; after unmap, -ENOENT. */
static void test_p2m_map_lookup_unmap_round_trip(void **state unused)
{
    struct p2m p2m;
    pa_t pa_out;
    p2m_type_t t;

    assert_int_equal(p2m_init(&p2m, &dom, 5), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x40000000), pa(0x880000000), 16 * SZ_2M, p2m_ram_rw), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x09000000), pa(0x09000000), PAGE_SIZE,
                             p2m_mmio_direct_dev), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x10000000), pa(0x123456000), PAGE_SIZE,
                             p2m_grant_map_ro), 0);
    assert_int_equal(p2m.nr_mapped_pages, 16 * 512 + 2);

    assert_int_equal(p2m_lookup(&p2m, ipa(0x40123456), &pa_out, &t), 0);
    assert_int_equal(pa_addr(pa_out), 0x880123456);
    assert_int_equal(t, p2m_ram_rw);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x09000ff0), &pa_out, &t), 0);
    assert_int_equal(pa_addr(pa_out), 0x09000ff0);
    assert_int_equal(t, p2m_mmio_direct_dev);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x10000000), &pa_out, &t), 0);
    assert_int_equal(pa_addr(pa_out), 0x123456000);
    assert_int_equal(t, p2m_grant_map_ro);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x10000000), NULL, NULL), 0);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x09001000), &pa_out, &t), -ENOENT);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x3ffff000), &pa_out, &t), -ENOENT);

    /* The descriptor in the table is exactly the stage-2 encoding. */
    {
        u64 *l2 = (u64 *)(uintptr_t)(p2m.pt.root[0] & DESC_OA_MASK);
        l2 = (u64 *)(uintptr_t)(l2[1] & DESC_OA_MASK); /* L1 index 1: 1..2 GiB */
        assert_int_equal(l2[0], stage2_format.encode_leaf(pa(0x880000000), 2, p2m_ram_rw));
    }

    assert_int_equal(p2m_unmap(&p2m, ipa(0x40000000), 16 * SZ_2M), 0);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x40123456), &pa_out, &t), -ENOENT);
    assert_int_equal(p2m_unmap(&p2m, ipa(0x09000000), PAGE_SIZE), 0);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x09000000), &pa_out, &t), -ENOENT);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x10000000), &pa_out, &t), 0);
    p2m_destroy(&p2m);
    assert_int_equal(host_pages_outstanding(), 0);
}

/* p2m_invalid (and past the last type) cannot be mapped: -EINVAL, a log line,
 * and the table is not touched. */
static void test_p2m_map_rejects_invalid_type(void **state unused)
{
    struct p2m p2m;

    assert_int_equal(p2m_init(&p2m, &dom, 5), 0);
    host_events_clear();
    host_log_clear();
    assert_int_equal(p2m_map(&p2m, ipa(0x40000000), pa(0x80000000), PAGE_SIZE, p2m_invalid),
                     -EINVAL);
    assert_true(host_log_contains("bad type"));
    assert_true(host_log_contains("d7"));
    assert_int_equal(p2m_map(&p2m, ipa(0x40000000), pa(0x80000000), PAGE_SIZE, p2m_max_type),
                     -EINVAL);
    assert_int_equal(host_event_count(HEV_WRITE), 0);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x40000000), NULL, NULL), -ENOENT);
    assert_int_equal(p2m.nr_mapped_pages, 0);
    p2m_destroy(&p2m);
}

/* A range the walker refuses (unaligned, beyond the IPA size) fails with
 * -EINVAL and a log line naming the range and the type. */
static void test_p2m_map_bad_range_is_logged(void **state unused)
{
    struct p2m p2m;

    assert_int_equal(p2m_init(&p2m, &dom, 5), 0);
    host_log_clear();
    assert_int_equal(p2m_map(&p2m, ipa(0x40000800), pa(0x80000000), PAGE_SIZE, p2m_ram_rw),
                     -EINVAL);
    assert_true(host_log_contains("0x40000800"));
    assert_true(host_log_contains("ram_rw"));
    assert_int_equal(p2m_map(&p2m, ipa(1UL << 48), pa(0x80000000), PAGE_SIZE, p2m_ram_rw),
                     -EINVAL);
    assert_int_equal(p2m_unmap(&p2m, ipa(0x1000), 0x800), -EINVAL);
    assert_true(host_log_contains("unmap"));
    assert_int_equal(p2m.nr_mapped_pages, 0);
    p2m_destroy(&p2m);
}

/* VTTBR_EL2: VMID in [63:48] (16-bit VMIDs), BADDR (the root's address) below,
 * CnP (bit 0) clear. */
static void test_p2m_vttbr_layout(void **state unused)
{
    struct p2m p2m;
    u64 v;

    assert_int_equal(p2m_init(&p2m, &dom, 0xabcd), 0);
    v = p2m_vttbr(&p2m);
    assert_int_equal(bits(v, 63, 48), 0xabcd);
    assert_int_equal(v & GENMASK(47, 0), (u64)(uintptr_t)p2m.pt.root);
    assert_int_equal(v & 1, 0);
    p2m_destroy(&p2m);
}

/* The TLB invalidation a removal defers is done before p2m_unmap (or a
 * replacing p2m_map) drops the lock: no other CPU may find the lock free
 * while a stale translation is still in a TLB. */
static void test_p2m_flushes_before_dropping_lock(void **state unused)
{
    struct p2m p2m;
    int lock, flush, unlock;

    assert_int_equal(p2m_init(&p2m, &dom, 9), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x40000000), pa(0x80000000), 4 * PAGE_SIZE, p2m_ram_rw),
                     0);

    host_events_clear();
    assert_int_equal(p2m_unmap(&p2m, ipa(0x40001000), PAGE_SIZE), 0);
    lock = host_event_find(HEV_LOCK, 0);
    flush = host_event_find(HEV_FLUSH_ALL, 0);
    unlock = host_event_find(HEV_UNLOCK, 0);
    assert_true(lock >= 0 && flush > lock && unlock > flush);
    assert_false(p2m.pt.need_flush);
    assert_int_equal(host_event_count(HEV_LOCK), host_event_count(HEV_UNLOCK));

    /* Replacing a live page: WRITE(0), FLUSH_IA, WRITE(new), all under the lock. */
    host_events_clear();
    assert_int_equal(p2m_map(&p2m, ipa(0x40002000), pa(0x90000000), PAGE_SIZE, p2m_ram_ro), 0);
    {
        int w0 = host_event_find(HEV_WRITE, 0);
        int f = host_event_find(HEV_FLUSH_IA, 0);
        int w1 = host_event_find(HEV_WRITE, (unsigned)w0 + 1);
        unlock = host_event_find(HEV_UNLOCK, 0);
        assert_true(w0 >= 0 && f > w0 && w1 > f && unlock > w1);
        assert_int_equal(host_events[w0].val, 0);
        assert_int_equal(host_events[f].ia, 0x40002000);
        assert_int_equal(host_events[w1].val,
                         stage2_format.encode_leaf(pa(0x90000000), 3, p2m_ram_ro));
    }
    p2m_destroy(&p2m);
}

/* Changing the type of one page of a RAM block splits the block with
 * break-before-make through the real stage-2 format: the other pages keep
 * their PA and type. */
static void test_p2m_split_block_changes_one_page(void **state unused)
{
    struct p2m p2m;
    pa_t pa_out;
    p2m_type_t t;
    int brk, flush, publish;

    assert_int_equal(p2m_init(&p2m, &dom, 9), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x40000000), pa(0x80000000), SZ_2M, p2m_ram_rw), 0);
    host_events_clear();
    assert_int_equal(p2m_map(&p2m, ipa(0x40100000), pa(0x80100000), PAGE_SIZE, p2m_ram_ro), 0);

    brk = host_event_find(HEV_WRITE, 0);
    flush = host_event_find(HEV_FLUSH_IA, 0);
    publish = host_event_find(HEV_WRITE, (unsigned)brk + 1);
    assert_true(brk >= 0 && flush > brk && publish > flush);
    assert_int_equal(host_events[brk].val, 0);
    assert_int_equal(host_events[flush].ia, 0x40000000);
    assert_int_equal(host_events[flush].level, 2);
    assert_ptr_equal(host_events[publish].slot, host_events[brk].slot);
    assert_int_equal(host_events[publish].val & 3, 3);

    assert_int_equal(p2m_lookup(&p2m, ipa(0x40100000), &pa_out, &t), 0);
    assert_int_equal(t, p2m_ram_ro);
    assert_int_equal(pa_addr(pa_out), 0x80100000);
    assert_int_equal(p2m_lookup(&p2m, ipa(0x401ff000), &pa_out, &t), 0);
    assert_int_equal(t, p2m_ram_rw);
    assert_int_equal(pa_addr(pa_out), 0x801ff000);
    /* The split pages keep the block's attributes: a level-3 ram_rw page. */
    {
        u64 *slot = host_events[publish].slot;
        u64 *l3 = (u64 *)(uintptr_t)(*slot & DESC_OA_MASK);
        assert_int_equal(l3[5], stage2_format.encode_leaf(pa(0x80005000), 3, p2m_ram_rw));
        assert_int_equal(l3[256], stage2_format.encode_leaf(pa(0x80100000), 3, p2m_ram_ro));
    }
    p2m_destroy(&p2m);
    assert_int_equal(host_pages_outstanding(), 0);
}

/* p2m_destroy flushes the VMID's TLB entries (with its VTTBR) before the first
 * table page is freed, frees every page, and is harmless a second time. */
static void test_p2m_destroy_frees_everything_after_vmid_flush(void **state unused)
{
    struct p2m p2m;
    u64 vttbr;
    int flush, first_free;

    assert_int_equal(p2m_init(&p2m, &dom, 0x42), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x40000000), pa(0x80000000), SZ_1G, p2m_ram_rw), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x09000000), pa(0x09000000), 3 * PAGE_SIZE,
                             p2m_mmio_direct_dev), 0);
    assert_int_equal(p2m_map(&p2m, ipa(1UL << 40), pa(0x100000000), SZ_2M + PAGE_SIZE,
                             p2m_iommu_map_rw), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x40201000), pa(0x70000000), PAGE_SIZE,
                             p2m_grant_map_rw), 0);
    assert_true(host_pages_outstanding() > 5);
    vttbr = p2m_vttbr(&p2m);

    host_events_clear();
    p2m_destroy(&p2m);
    assert_int_equal(host_pages_outstanding(), 0);
    assert_null(p2m.pt.root);
    assert_int_equal(host_event_count(HEV_FLUSH_VMID), 1);
    flush = host_event_find(HEV_FLUSH_VMID, 0);
    first_free = host_event_find(HEV_FREE, 0);
    assert_true(flush >= 0 && first_free > flush);
    assert_int_equal(host_events[flush].vmid, 0x42);
    assert_int_equal(host_events[flush].vttbr, vttbr);
    assert_int_equal(host_event_count(HEV_LOCK), host_event_count(HEV_UNLOCK));

    host_events_clear();
    p2m_destroy(&p2m);
    assert_int_equal(host_event_count(HEV_FLUSH_VMID), 0);
    assert_int_equal(host_event_count(HEV_FREE), 0);
}

/* Unmapping everything that was mapped gives every intermediate table back:
 * only the root stays. */
static void test_p2m_unmap_all_frees_tables(void **state unused)
{
    struct p2m p2m;

    assert_int_equal(p2m_init(&p2m, &dom, 2), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x40000000), pa(0x80000000), 64 * PAGE_SIZE,
                             p2m_ram_rw), 0);
    assert_int_equal(p2m_map(&p2m, ipa(0x8000000000), pa(0x80000000), SZ_2M, p2m_ram_rw), 0);
    assert_int_equal(host_pages_outstanding(), 1 + 3 + 2);
    assert_int_equal(p2m_unmap(&p2m, ipa(0), 1UL << 48), 0);
    assert_int_equal(host_pages_outstanding(), 1);
    p2m_destroy(&p2m);
    assert_int_equal(host_pages_outstanding(), 0);
}

/* The names in log lines. */
static void test_p2m_type_names(void **state unused)
{
    assert_string_equal(p2m_type_name(p2m_ram_rw), "ram_rw");
    assert_string_equal(p2m_type_name(p2m_mmio_direct_dev), "mmio_direct_dev");
    assert_string_equal(p2m_type_name(p2m_iommu_map_ro), "iommu_map_ro");
    assert_string_equal(p2m_type_name(p2m_max_type), "?");
    for (unsigned t = 0; t < p2m_max_type; t++)
        assert_non_null(p2m_type_name(t));
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_geometry_rejects_small_or_unknown_parange),
        T(test_geometry_per_parange),
        T(test_vtcr_fields),
        T(test_leaf_encoding_per_type),
        T(test_leaf_type_round_trip),
        T(test_invalid_types_encode_to_zero),
        T(test_p2m_init_rejects_bad_vmid),
        T(test_p2m_init_without_memory),
        T(test_p2m_root_size_and_alignment),
        T(test_p2m_map_lookup_unmap_round_trip),
        T(test_p2m_map_rejects_invalid_type),
        T(test_p2m_map_bad_range_is_logged),
        T(test_p2m_vttbr_layout),
        T(test_p2m_flushes_before_dropping_lock),
        T(test_p2m_split_block_changes_one_page),
        T(test_p2m_destroy_frees_everything_after_vmid_flush),
        T(test_p2m_unmap_all_frees_tables),
        T(test_p2m_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
