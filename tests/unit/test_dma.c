/*
 * test_dma.c — host unit tests of dom0's DMA layer (guests/lib/dma.c): which
 * bus address a device is given, and bouncing.
 *
 * What is checked:
 *   - dma_init: dma=auto picks direct only when granite says it translates
 *     (the XENVER_get_features bit) AND the device's node or an ancestor
 *     carries the DT mark; dma=direct / dma=swiotlb-xen force the mode; an
 *     unknown dma= is refused; "dma-coherent" is inherited from an ancestor;
 *     a mask below the bounce pool is refused under swiotlb-xen only;
 *   - dom0's own memory (dma_map): the bus address is the IPA in every mode;
 *   - a foreign grant page (dma_map_foreign): the machine address under
 *     swiotlb-xen, the IPA under direct (the seed-000 fork), with the
 *     offset inside the page kept;
 *   - bouncing (swiotlb-xen only): an address, or its last byte, beyond the
 *     device's mask goes through a pool page under the mask; TO_DEVICE data
 *     is copied in at map time; FROM_DEVICE data is copied back at unmap
 *     (and TO_DEVICE data is not); direct never bounces;
 *   - the pool: 64 pages, the 65th map fails (bounce_full counted) and
 *     succeeds again after an unmap;
 *   - cache maintenance only for a non-coherent device: clean before the
 *     device reads, clean+invalidate before and after it writes, on the
 *     page the device really uses (the bounce page when bounced).
 * Stubs: xen_hypercall (the feature bit), dcache_clean/dcache_clean_inval
 * (recorded).  Device trees are built in memory with host libfdt.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <libfdt.h>

#include "dma.h"
#include "dcache.h"
#include "guest.h"
#include <public/xen.h>
#include <public/version.h>
#include <public/granite.h>

#define PAGE 4096u
#define ALL_ONES ~0ull
#define POOL_PAGES 64      /* DMA_POOL_SLOTS in dma.c */
#define MACHINE_HIGH (1ull << 50)
#define MASK_48 ((1ull << 48) - 1)

/* --- stubs ------------------------------------------------------------------ */

static bool granite_says_translated;

long xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    (void)a2, (void)a3, (void)a4;
    if (nr != __HYPERVISOR_xen_version || a0 != XENVER_get_features)
        return -1;
    struct xen_feature_info *fi = (struct xen_feature_info *)a1;
    fi->submap = granite_says_translated ? 1u << XENFEAT_granite_dom0_dma_translated : 0;
    return 0;
}

enum cache_op { CLEAN, CLEAN_INVAL };
static struct {
    enum cache_op op;
    const void *p;
    size_t len;
} cache_log[16];
static unsigned ncache;

static void cache_record(enum cache_op op, const void *p, size_t len)
{
    assert_true(ncache < 16);
    cache_log[ncache].op = op;
    cache_log[ncache].p = p;
    cache_log[ncache++].len = len;
}
void dcache_clean(const void *p, size_t len) { cache_record(CLEAN, p, len); }
void dcache_clean_inval(const void *p, size_t len) { cache_record(CLEAN_INVAL, p, len); }

/* --- device trees -------------------------------------------------------------- */

static uint8_t fdt[4096];
static int bridge, nic; /* the host bridge and a function below it */

/* A bridge with the given properties, and a child node without any. */
static void build_tree(bool marked, bool coherent)
{
    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    bridge = fdt_add_subnode(fdt, 0, "pcie");
    assert_true(bridge >= 0);
    if (marked)
        assert_int_equal(fdt_setprop(fdt, bridge, GRANITE_DT_PROP_DMA_TRANSLATED, NULL, 0), 0);
    if (coherent)
        assert_int_equal(fdt_setprop(fdt, bridge, "dma-coherent", NULL, 0), 0);
    nic = fdt_add_subnode(fdt, bridge, "ethernet");
    assert_true(nic >= 0);
    bridge = fdt_path_offset(fdt, "/pcie"); /* adding the child moved nothing, but be sure */
    nic = fdt_path_offset(fdt, "/pcie/ethernet");
}

static struct dma_dev dev;
static uint8_t *high;      /* two pages of our "own" memory, above the bounce pool */
static uint8_t *pool_base; /* the pool's first page, as found by the first bounce */

static int setup(void **state)
{
    (void)state;
    granite_says_translated = false;
    ncache = 0;
    memset(&dev, 0, sizeof(dev));
    return 0;
}

/* A swiotlb-xen or direct device, coherent or not, mask as given. */
static void dev_init(const char *arg, bool coherent, uint64_t mask)
{
    build_tree(false, coherent);
    assert_int_equal(dma_init(&dev, "nic", fdt, nic, arg, mask), 0);
    ncache = 0;
}

/* --- dma_init ------------------------------------------------------------------ */

static void auto_needs_feature_and_mark(void **state)
{
    static const struct {
        bool feature, marked;
        enum dma_mode want;
    } cases[] = {
        { false, false, DMA_SWIOTLB_XEN },
        { true, false, DMA_SWIOTLB_XEN },
        { false, true, DMA_SWIOTLB_XEN },
        { true, true, DMA_DIRECT },
    };
    (void)state;
    for (unsigned i = 0; i < 4; i++) {
        granite_says_translated = cases[i].feature;
        build_tree(cases[i].marked, true);
        /* the function inherits its bridge's mark */
        assert_int_equal(dma_init(&dev, "nic", fdt, nic, NULL, ALL_ONES), 0);
        assert_int_equal(dev.mode, cases[i].want);
        assert_int_equal(dev.translated, cases[i].want == DMA_DIRECT);
        assert_int_equal(dma_init(&dev, "nic", fdt, nic, "auto", ALL_ONES), 0);
        assert_int_equal(dev.mode, cases[i].want);
    }
}

static void forced_modes_and_bad_arg(void **state)
{
    (void)state;
    granite_says_translated = true;
    build_tree(true, false);
    assert_int_equal(dma_init(&dev, "nic", fdt, nic, "swiotlb-xen", ALL_ONES), 0);
    assert_int_equal(dev.mode, DMA_SWIOTLB_XEN);
    assert_true(dev.translated); /* what granite says is still recorded */
    assert_false(dev.coherent);
    granite_says_translated = false;
    assert_int_equal(dma_init(&dev, "nic", fdt, nic, "direct", ALL_ONES), 0);
    assert_int_equal(dev.mode, DMA_DIRECT);
    assert_int_equal(dma_init(&dev, "nic", fdt, nic, "iommu", ALL_ONES), -1);
    assert_string_equal(dma_mode_name(DMA_DIRECT), "direct");
    assert_string_equal(dma_mode_name(DMA_SWIOTLB_XEN), "swiotlb-xen");
}

static void coherent_inherited(void **state)
{
    (void)state;
    build_tree(false, true);
    assert_int_equal(dma_init(&dev, "nic", fdt, nic, NULL, ALL_ONES), 0);
    assert_true(dev.coherent);
    build_tree(false, false);
    assert_int_equal(dma_init(&dev, "nic", fdt, nic, NULL, ALL_ONES), 0);
    assert_false(dev.coherent);
}

static void pool_must_be_under_the_mask(void **state)
{
    (void)state;
    build_tree(false, true);
    assert_int_equal(dma_init(&dev, "nic", fdt, nic, "swiotlb-xen", 0xfff), -1);
    /* direct never bounces: no pool needed */
    assert_int_equal(dma_init(&dev, "nic", fdt, nic, "direct", 0xfff), 0);
}

/* --- addresses ----------------------------------------------------------------- */

static void own_memory_is_its_ipa(void **state)
{
    static uint8_t buf[PAGE];
    struct dma_handle h;
    (void)state;
    dev_init("swiotlb-xen", true, ALL_ONES);
    assert_int_equal(dma_map(&dev, buf + 10, 100, DMA_TO_DEVICE, &h), 0);
    assert_int_equal(bus_addr(h.bus), (uint64_t)(buf + 10));
    assert_null(h.bounce);
    dma_unmap(&dev, &h);
    dev_init("direct", true, ALL_ONES);
    assert_int_equal(dma_map(&dev, buf + 10, 100, DMA_FROM_DEVICE, &h), 0);
    assert_int_equal(bus_addr(h.bus), (uint64_t)(buf + 10));
    dma_unmap(&dev, &h);
    assert_int_equal(dev.stats.maps, 1);
    assert_int_equal(dev.stats.unmaps, 1);
    assert_int_equal(dev.stats.bounces, 0);
}

static void foreign_page_by_mode(void **state)
{
    static uint8_t grant_page[PAGE];
    machine_addr_t m = machine_of_grant_map(0x80000000ull, 0x123);
    struct dma_handle h;
    (void)state;
    assert_int_equal(m.v, 0x80000123ull);
    dev_init("swiotlb-xen", true, ALL_ONES);
    assert_int_equal(dma_map_foreign(&dev, grant_page + 0x123, 60, DMA_TO_DEVICE, m, &h), 0);
    assert_int_equal(bus_addr(h.bus), 0x80000123ull); /* the machine address */
    dma_unmap(&dev, &h);
    dev_init("direct", true, ALL_ONES);
    assert_int_equal(dma_map_foreign(&dev, grant_page + 0x123, 60, DMA_TO_DEVICE, m, &h), 0);
    assert_int_equal(bus_addr(h.bus), (uint64_t)(grant_page + 0x123)); /* the IPA */
    assert_null(h.bounce);
    dma_unmap(&dev, &h);
}

/* --- bouncing ------------------------------------------------------------------ */

static void bounce_to_device(void **state)
{
    static uint8_t grant_page[PAGE];
    struct dma_handle h;
    (void)state;
    dev_init("swiotlb-xen", true, MASK_48);
    memset(grant_page, 0x5a, sizeof(grant_page));
    assert_int_equal(dma_map_foreign(&dev, grant_page + 8, 1000, DMA_TO_DEVICE,
                                     (machine_addr_t){ MACHINE_HIGH + 8 }, &h), 0);
    assert_non_null(h.bounce);
    assert_int_equal(bus_addr(h.bus), (uint64_t)h.bounce);
    assert_true(bus_addr(h.bus) + 1000 - 1 <= MASK_48);
    assert_memory_equal(h.bounce, grant_page + 8, 1000);
    assert_int_equal(dev.stats.bounces, 1);
    assert_int_equal(dev.stats.bounce_bytes, 1000);
    memset(h.bounce, 0xee, 1000); /* the device may scribble: nothing comes back */
    dma_unmap(&dev, &h);
    assert_null(h.bounce);
    assert_int_equal(grant_page[8], 0x5a);
}

static void bounce_when_only_the_last_byte_is_out(void **state)
{
    static uint8_t grant_page[PAGE];
    struct dma_handle h;
    (void)state;
    dev_init("swiotlb-xen", true, MASK_48);
    assert_int_equal(dma_map_foreign(&dev, grant_page, 100, DMA_TO_DEVICE,
                                     (machine_addr_t){ MASK_48 - 99 }, &h), 0);
    assert_null(h.bounce); /* the last byte at the mask: reachable */
    dma_unmap(&dev, &h);
    assert_int_equal(dma_map_foreign(&dev, grant_page, 100, DMA_TO_DEVICE,
                                     (machine_addr_t){ MASK_48 - 98 }, &h), 0);
    assert_non_null(h.bounce);
    dma_unmap(&dev, &h);
}

static void bounce_from_device_copies_back(void **state)
{
    struct dma_handle h;
    (void)state;
    dev_init("swiotlb-xen", true, MASK_48);
    memset(high, 0, 2 * PAGE);
    assert_int_equal(dma_map_foreign(&dev, high + 100, 500, DMA_FROM_DEVICE,
                                     (machine_addr_t){ MACHINE_HIGH }, &h), 0);
    assert_non_null(h.bounce);
    memset(h.bounce, 0xc3, 500); /* what the device wrote */
    assert_int_equal(high[100], 0);
    dma_unmap(&dev, &h);
    assert_int_equal(high[99], 0);
    assert_int_equal(high[100], 0xc3);
    assert_int_equal(high[599], 0xc3);
    assert_int_equal(high[600], 0);
}

static void own_memory_beyond_the_mask_bounces(void **state)
{
    struct dma_handle h;
    (void)state;
    /* A mask that reaches the pool but not `high`. */
    dev_init("swiotlb-xen", true, (uint64_t)(pool_base + POOL_PAGES * PAGE - 1));
    assert_true((uint64_t)high > dev.mask);
    assert_int_equal(dma_map(&dev, high, 64, DMA_TO_DEVICE, &h), 0);
    assert_non_null(h.bounce);
    assert_true(bus_addr(h.bus) <= dev.mask);
    dma_unmap(&dev, &h);
    /* direct: the device is said to reach it through the IOMMU */
    dev_init("direct", true, (uint64_t)(pool_base + POOL_PAGES * PAGE - 1));
    assert_int_equal(dma_map(&dev, high, 64, DMA_TO_DEVICE, &h), 0);
    assert_null(h.bounce);
    assert_int_equal(bus_addr(h.bus), (uint64_t)high);
    dma_unmap(&dev, &h);
}

static void pool_full_then_free_again(void **state)
{
    static uint8_t page[PAGE];
    static struct dma_handle h[POOL_PAGES + 1];
    (void)state;
    dev_init("swiotlb-xen", true, MASK_48);
    for (unsigned i = 0; i < POOL_PAGES; i++) {
        assert_int_equal(dma_map_foreign(&dev, page, 64, DMA_TO_DEVICE,
                                         (machine_addr_t){ MACHINE_HIGH }, &h[i]), 0);
        for (unsigned j = 0; j < i; j++)
            assert_ptr_not_equal(h[i].bounce, h[j].bounce);
    }
    assert_int_equal(dma_map_foreign(&dev, page, 64, DMA_TO_DEVICE,
                                     (machine_addr_t){ MACHINE_HIGH }, &h[POOL_PAGES]), -1);
    assert_int_equal(dev.stats.bounce_full, 1);
    assert_int_equal(dev.stats.maps, POOL_PAGES);
    /* a map that needs no bounce still works */
    assert_int_equal(dma_map(&dev, page, 64, DMA_TO_DEVICE, &h[POOL_PAGES]), 0);
    dma_unmap(&dev, &h[POOL_PAGES]);
    void *freed = h[7].bounce;
    dma_unmap(&dev, &h[7]);
    assert_int_equal(dma_map_foreign(&dev, page, 64, DMA_TO_DEVICE,
                                     (machine_addr_t){ MACHINE_HIGH }, &h[7]), 0);
    assert_ptr_equal(h[7].bounce, freed);
    for (unsigned i = 0; i < POOL_PAGES; i++)
        dma_unmap(&dev, &h[i]);
}

/* --- cache maintenance ------------------------------------------------------------ */

static void cache_ops_only_when_not_coherent(void **state)
{
    static uint8_t buf[PAGE];
    struct dma_handle h;
    (void)state;
    dev_init("swiotlb-xen", true, ALL_ONES);
    assert_int_equal(dma_map(&dev, buf, 100, DMA_TO_DEVICE, &h), 0);
    dma_unmap(&dev, &h);
    assert_int_equal(dma_map(&dev, buf, 100, DMA_FROM_DEVICE, &h), 0);
    dma_unmap(&dev, &h);
    assert_int_equal(ncache, 0);

    dev_init("swiotlb-xen", false, ALL_ONES);
    assert_int_equal(dma_map(&dev, buf + 4, 100, DMA_TO_DEVICE, &h), 0);
    assert_int_equal(ncache, 1);
    assert_int_equal(cache_log[0].op, CLEAN);
    assert_ptr_equal(cache_log[0].p, buf + 4);
    assert_int_equal(cache_log[0].len, 100);
    dma_unmap(&dev, &h);
    assert_int_equal(ncache, 1); /* the device only read it */
    assert_int_equal(dma_map(&dev, buf, 200, DMA_FROM_DEVICE, &h), 0);
    dma_unmap(&dev, &h);
    assert_int_equal(ncache, 3);
    assert_int_equal(cache_log[1].op, CLEAN_INVAL);
    assert_int_equal(cache_log[2].op, CLEAN_INVAL);
    assert_ptr_equal(cache_log[2].p, buf);
    assert_int_equal(cache_log[2].len, 200);
}

static void cache_ops_on_the_bounce_page(void **state)
{
    static uint8_t page[PAGE];
    struct dma_handle h;
    (void)state;
    dev_init("swiotlb-xen", false, MASK_48);
    assert_int_equal(dma_map_foreign(&dev, page, 300, DMA_FROM_DEVICE,
                                     (machine_addr_t){ MACHINE_HIGH }, &h), 0);
    void *bounce = h.bounce;
    dma_unmap(&dev, &h);
    assert_int_equal(ncache, 2);
    assert_ptr_equal(cache_log[0].p, bounce);
    assert_ptr_equal(cache_log[1].p, bounce); /* invalidated before it is copied back */
    assert_int_equal(cache_log[1].op, CLEAN_INVAL);
}

/* The pool's address: the first bounce with the pool empty takes page 0. */
static int find_pool(void **state)
{
    struct dma_handle h;
    static uint8_t page[PAGE];
    (void)state;
    build_tree(false, true);
    if (dma_init(&dev, "nic", fdt, nic, "swiotlb-xen", MASK_48) ||
        dma_map_foreign(&dev, page, 1, DMA_TO_DEVICE, (machine_addr_t){ MACHINE_HIGH }, &h))
        return -1;
    pool_base = h.bounce;
    dma_unmap(&dev, &h);
    /* Our "own" memory above the pool: an anonymous mapping sits high. */
    high = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (high == MAP_FAILED || (uint64_t)high < (uint64_t)(pool_base + POOL_PAGES * PAGE))
        return -1;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(auto_needs_feature_and_mark, setup),
        cmocka_unit_test_setup(forced_modes_and_bad_arg, setup),
        cmocka_unit_test_setup(coherent_inherited, setup),
        cmocka_unit_test_setup(pool_must_be_under_the_mask, setup),
        cmocka_unit_test_setup(own_memory_is_its_ipa, setup),
        cmocka_unit_test_setup(foreign_page_by_mode, setup),
        cmocka_unit_test_setup(bounce_to_device, setup),
        cmocka_unit_test_setup(bounce_when_only_the_last_byte_is_out, setup),
        cmocka_unit_test_setup(bounce_from_device_copies_back, setup),
        cmocka_unit_test_setup(own_memory_beyond_the_mask_bounces, setup),
        cmocka_unit_test_setup(pool_full_then_free_again, setup),
        cmocka_unit_test_setup(cache_ops_only_when_not_coherent, setup),
        cmocka_unit_test_setup(cache_ops_on_the_bounce_page, setup),
    };
    return cmocka_run_group_tests(tests, find_pool, NULL);
}
