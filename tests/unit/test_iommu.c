/*
 * test_iommu.c — host tests of the IOMMU policy layer (core/iommu.c) on a
 * real p2m (core/p2m.c, arch/arm64/stage2.c and pgtable.c), the real policy
 * (core/iommu_policy.c), invalidation sets (core/iommu_inval.c) and lock order
 * (core/lock_order.c: every lock these paths take is checked).
 *
 * The world: dom0 (id 0, direct-mapped, the hardware domain) with a
 * translation context; below core/iommu.c the stub IOMMU unit of
 * iommu_stub_unit.c, whose ops only count their calls.  Its one PCI device
 * (on the /pcie of a one-node DTB) gives the context a stream, so
 * invalidations are owed.  Boot options come from a string per test.  "Machine pages" granted to dom0 are plain addresses: nothing here
 * reads them.  Two CPUs are played by setting what this_cpu() returns.
 *
 * What is checked: the 1:1 grant entries' counts (read and write apart, the
 * entry stays until the last unmap, an unmap never counted is refused and
 * logged), the policy modes that decide whether a grant gets a 1:1 entry, and
 * invalidation: eager, none, batched (N changes in a batch cost one flush,
 * nested batches, a flush owed before a release issued at once, one CPU's
 * batch end flushing what it changed and not another CPU's).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include <granite/iommu.h>
#include <granite/domain.h>
#include <granite/errno.h>
#include <granite/memory_map.h>
#include <granite/arch.h>
#include "host_stubs.h"
#include "iommu_stub_unit.h"

#define GRANTED(i) pa(0x48000000UL + (u64)(i) * PAGE_SIZE) /* a machine page granted to dom0 */

/* --- the world ------------------------------------------------------------ */

static struct domain dom0;
static unsigned cpu_now;
static char fdt_buf[512];
static const char *const bridges[] = { "/pcie" };

unsigned this_cpu(void) { return cpu_now; }
struct domain *domain_by_id(unsigned id) { return id == 0 && dom0.state != DOM_FREE ? &dom0 : NULL; }

/* --- setup ---------------------------------------------------------------- */

/* Boot with `opts`, give dom0 its context and its device's stream. */
static struct iommu_ctx *boot(const char *opts)
{
    const char *why = NULL;

    host_stubs_reset();
    memset(&calls, 0, sizeof(calls));
    cpu_now = 0;
    stub_set_options(opts);
    assert_int_equal(fdt_create_empty_tree(fdt_buf, sizeof(fdt_buf)), 0);
    assert_true(fdt_add_subnode(fdt_buf, 0, "pcie") >= 0);

    memset(&dom0, 0, sizeof(dom0));
    dom0 = (struct domain){ .id = 0, .state = DOM_RUNNING, .direct_map = true, .name = "dom0" };
    host_unit_attach(&dom0, &iommu_unit);
    assert_int_equal(p2m_init(&dom0.p2m, &dom0, 1), 0);
    assert_int_equal(iommu_init(fdt_buf, &why), 0);
    assert_int_equal(iommu_domain_init(&dom0), 0);
    assert_int_equal(iommu_domain_assign_devices(&dom0, fdt_buf, bridges, 1, &why), 0);
    assert_true(dom0.iommu->live);
    assert_int_equal(dom0.iommu->nr_streams, 1);
    memset(&calls, 0, sizeof(calls));
    return dom0.iommu;
}

static int teardown(void **state unused)
{
    iommu_domain_destroy(&dom0);
    p2m_destroy(&dom0.p2m);
    dom0.state = DOM_FREE;
    assert_int_equal(host_pages_outstanding(), 0);
    return 0;
}

/* What the context's tables hold at bus address == machine address `page`. */
static bool one_to_one(struct iommu_ctx *c, pa_t page, p2m_type_t *type)
{
    pa_t out;
    unsigned t;
    bool found;

    if (c->shared)
        found = !p2m_lookup(&dom0.p2m, ipa_of_iova(iova_of_pa_1to1(page)), &out, type);
    else if ((found = pt_lookup(&c->pt, pt_iova(iova_of_pa_1to1(page)), &out, &t, NULL)))
        *type = (p2m_type_t)t;
    return found && pa_addr(out) == pa_addr(page);
}

/* --- 1:1 grant entries -------------------------------------------------------- */

/* The same page mapped by two grants: one entry, kept until the last unmap. */
static void refcount_keeps_entry_until_last_unmap(struct iommu_ctx *c)
{
    p2m_type_t t;

    assert_int_equal(iommu_grant_map(&dom0, GRANTED(1), true), 0);
    assert_int_equal(iommu_grant_map(&dom0, GRANTED(1), true), 0);
    assert_true(one_to_one(c, GRANTED(1), &t));
    assert_int_equal(t, p2m_iommu_map_rw);
    assert_int_equal(c->stats.one_to_one, 1); /* entered once */

    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(1), true), 0);
    assert_true(one_to_one(c, GRANTED(1), &t)); /* the other grant still maps it */
    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(1), true), 0);
    assert_false(one_to_one(c, GRANTED(1), &t));
}

static void test_refcount_shared(void **state unused)
{
    refcount_keeps_entry_until_last_unmap(boot("iommu_pt=shared gnttab_iommu=direct"));
}

static void test_refcount_separate(void **state unused)
{
    struct iommu_ctx *c = boot("iommu_pt=separate gnttab_iommu=direct");

    assert_false(c->shared);
    refcount_keeps_entry_until_last_unmap(c);
}

/* Read and write maps are counted apart: a write map upgrades the entry, its
 * unmap downgrades it while a read-only map remains. */
static void test_refcount_read_and_write(void **state unused)
{
    struct iommu_ctx *c = boot("iommu_pt=shared gnttab_iommu=direct");
    p2m_type_t t;

    assert_int_equal(iommu_grant_map(&dom0, GRANTED(2), false), 0);
    assert_true(one_to_one(c, GRANTED(2), &t));
    assert_int_equal(t, p2m_iommu_map_ro);
    assert_int_equal(iommu_grant_map(&dom0, GRANTED(2), true), 0);
    assert_true(one_to_one(c, GRANTED(2), &t));
    assert_int_equal(t, p2m_iommu_map_rw);
    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(2), true), 0);
    assert_true(one_to_one(c, GRANTED(2), &t));
    assert_int_equal(t, p2m_iommu_map_ro);
    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(2), false), 0);
    assert_false(one_to_one(c, GRANTED(2), &t));
    assert_int_equal(c->stats.one_to_one, 1);
}

/* An unmap nothing counted is refused and logged; what is mapped stays. */
static void test_unmap_never_mapped(void **state unused)
{
    struct iommu_ctx *c = boot("iommu_pt=shared gnttab_iommu=direct");
    p2m_type_t t;

    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(3), true), -ENOENT);
    assert_true(host_log_contains("unmap of a writable mapping of 0x48003000 that was never counted"));
    assert_int_equal(iommu_grant_map(&dom0, GRANTED(3), false), 0);
    /* A read-only map does not make a writable unmap legal. */
    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(3), true), -ENOENT);
    assert_true(one_to_one(c, GRANTED(3), &t));
    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(3), false), 0);
    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(3), false), -ENOENT);
}

/* A context destroyed with an entry still counted says LEAK. */
static void test_destroy_reports_leak(void **state unused)
{
    boot("iommu_pt=shared gnttab_iommu=direct");
    assert_int_equal(iommu_grant_map(&dom0, GRANTED(4), true), 0);
    iommu_domain_destroy(&dom0);
    assert_true(host_log_contains("1 1:1 grant entry left: LEAK"));
    assert_int_equal(calls.destroy, 1);
}

/* --- the policy modes: does a grant get a 1:1 entry? ------------------------- */

static void test_policy_decides_entry(void **state unused)
{
    static const struct {
        const char *opts;
        bool direct_map, entry;
    } cases[] = {
        { "iommu_pt=shared gnttab_iommu=direct", true, true },    /* seed 000's fix */
        { "iommu_pt=shared gnttab_iommu=sync", true, false },     /* seed 000: no entry */
        { "iommu_pt=separate gnttab_iommu=sync", true, true },    /* need_sync: the entry */
        { "iommu_pt=separate gnttab_iommu=direct", true, true },
        { "iommu_pt=separate gnttab_iommu=direct dom0_iommu=relaxed", true, false }, /* 1:1 already */
        { "iommu_pt=shared gnttab_iommu=direct", false, false },  /* not direct-mapped */
    };

    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        struct iommu_ctx *c = boot(cases[i].opts);
        p2m_type_t t;

        print_message("case %u: %s, direct_map=%d\n", i, cases[i].opts, cases[i].direct_map);
        dom0.direct_map = cases[i].direct_map;
        assert_int_equal(iommu_grant_map(&dom0, GRANTED(5), true), 0);
        assert_int_equal(c->stats.one_to_one, cases[i].entry);
        if (!c->relaxed)
            assert_int_equal(one_to_one(c, GRANTED(5), &t), cases[i].entry);
        assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(5), true), 0);
        assert_false(!c->relaxed && one_to_one(c, GRANTED(5), &t));
        teardown(NULL);
    }
}

/* --- invalidation ------------------------------------------------------------- */

/* N changes in a batch cost one flush, issued at its end: one range by
 * address, several (more commands than IOMMU_INVAL_MAX_CMDS) whole. */
static void test_batch_one_flush(void **state unused)
{
    struct iommu_ctx *c = boot("iommu_pt=shared gnttab_iommu=direct iommu_flush=batched");

    iommu_batch_begin();
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(iommu_grant_map(&dom0, GRANTED(10 + 2 * i), true), 0);
    assert_int_equal(flushes(), 0);
    assert_true(c->flush_pending);
    iommu_batch_end();
    assert_int_equal(flushes(), 1);
    assert_int_equal(calls.flush_all, 1);
    assert_int_equal(c->stats.whole, 1);
    assert_false(c->flush_pending);

    memset(&calls, 0, sizeof(calls));
    iommu_batch_begin();
    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(10), true), 0);
    iommu_batch_end();
    assert_int_equal(calls.flush_ranges, 1);
    assert_int_equal(calls.ranges_in_last, 1);
    assert_int_equal(flushes(), 1);
    assert_int_equal(c->stats.by_address, 1);

    /* A batch that changed nothing costs nothing. */
    iommu_batch_begin();
    iommu_batch_end();
    assert_int_equal(flushes(), 1);
    iommu_grant_unmap(&dom0, GRANTED(12), true);
    iommu_grant_unmap(&dom0, GRANTED(14), true);
}

/* Nested batches (a multicall of hypercalls): only the outermost end flushes. */
static void test_batch_nested(void **state unused)
{
    boot("iommu_pt=shared gnttab_iommu=direct iommu_flush=batched");

    iommu_batch_begin();
    iommu_batch_begin();
    assert_int_equal(iommu_grant_map(&dom0, GRANTED(20), true), 0);
    iommu_batch_end();
    assert_int_equal(flushes(), 0);
    iommu_batch_end();
    assert_int_equal(flushes(), 1);
    iommu_grant_unmap(&dom0, GRANTED(20), true);
}

/* Before a page is released the flush it is owed is issued at once, and the
 * batch's end then has nothing left to do. */
static void test_flush_owed_before_release(void **state unused)
{
    struct iommu_ctx *c = boot("iommu_pt=shared gnttab_iommu=direct iommu_flush=batched");

    assert_int_equal(iommu_grant_map(&dom0, GRANTED(21), true), 0); /* outside a batch: at once */
    assert_int_equal(flushes(), 1);
    iommu_batch_begin();
    assert_int_equal(iommu_grant_unmap(&dom0, GRANTED(21), true), 0);
    assert_int_equal(flushes(), 1);
    iommu_flush_owed(&dom0);
    assert_int_equal(flushes(), 2);
    assert_false(c->flush_pending);
    iommu_flush_owed(&dom0); /* nothing owed: nothing issued */
    iommu_batch_end();
    assert_int_equal(flushes(), 2);
}

/* Per-CPU owed sets: a CPU's batch end flushes what its batch changed, which
 * covers what another CPU's open batch changed in the same context (that one
 * then has nothing left); a batch that changed nothing flushes nothing. */
static void test_batches_on_two_cpus(void **state unused)
{
    boot("iommu_pt=shared gnttab_iommu=direct iommu_flush=batched");

    cpu_now = 0;
    iommu_batch_begin();
    assert_int_equal(iommu_grant_map(&dom0, GRANTED(30), true), 0);
    cpu_now = 1;
    iommu_batch_begin();
    iommu_batch_end(); /* changed nothing: cpu0's change is cpu0's to flush */
    assert_int_equal(flushes(), 0);
    iommu_batch_begin();
    assert_int_equal(iommu_grant_map(&dom0, GRANTED(32), true), 0);
    iommu_batch_end();
    assert_int_equal(flushes(), 1); /* both changes, once */
    cpu_now = 0;
    iommu_batch_end();
    assert_int_equal(flushes(), 1);
    iommu_grant_unmap(&dom0, GRANTED(30), true);
    iommu_grant_unmap(&dom0, GRANTED(32), true);
}

/* eager: each change is invalidated as it happens; none: never. */
static void test_eager_and_none(void **state unused)
{
    boot("iommu_pt=shared gnttab_iommu=direct iommu_flush=eager");
    iommu_batch_begin();
    iommu_grant_map(&dom0, GRANTED(40), true);
    iommu_grant_map(&dom0, GRANTED(42), true);
    assert_int_equal(calls.flush_range, 2);
    iommu_batch_end();
    assert_int_equal(flushes(), 2);
    iommu_grant_unmap(&dom0, GRANTED(40), true);
    iommu_grant_unmap(&dom0, GRANTED(42), true);
    teardown(NULL);

    boot("iommu_pt=shared gnttab_iommu=direct iommu_flush=none");
    iommu_batch_begin();
    iommu_grant_map(&dom0, GRANTED(40), true);
    iommu_batch_end();
    iommu_grant_unmap(&dom0, GRANTED(40), true);
    iommu_flush_owed(&dom0);
    assert_int_equal(flushes(), 0);
}

/* Separate tables mirror dom0's p2m (need_sync); shared ones are the p2m. */
static void test_p2m_changes_followed(void **state unused)
{
    struct iommu_ctx *c = boot("iommu_pt=separate iommu_flush=eager");
    p2m_type_t t;

    assert_true(c->need_sync);
    assert_int_equal(p2m_map(&dom0.p2m, ipa(0x40000000), pa(0x40000000), PAGE_SIZE, p2m_ram_rw), 0);
    assert_true(one_to_one(c, pa(0x40000000), &t));
    assert_int_equal(calls.flush_range, 1);
    assert_int_equal(p2m_unmap(&dom0.p2m, ipa(0x40000000), PAGE_SIZE), 0);
    assert_int_equal(c->stats.maps, 1);
    assert_int_equal(c->stats.unmaps, 1);
    assert_int_equal(calls.flush_range, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_refcount_shared, teardown),
        cmocka_unit_test_teardown(test_refcount_separate, teardown),
        cmocka_unit_test_teardown(test_refcount_read_and_write, teardown),
        cmocka_unit_test_teardown(test_unmap_never_mapped, teardown),
        cmocka_unit_test_teardown(test_destroy_reports_leak, teardown),
        cmocka_unit_test(test_policy_decides_entry),
        cmocka_unit_test_teardown(test_batch_one_flush, teardown),
        cmocka_unit_test_teardown(test_batch_nested, teardown),
        cmocka_unit_test_teardown(test_flush_owed_before_release, teardown),
        cmocka_unit_test_teardown(test_batches_on_two_cpus, teardown),
        cmocka_unit_test_teardown(test_eager_and_none, teardown),
        cmocka_unit_test_teardown(test_p2m_changes_followed, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
