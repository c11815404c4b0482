/*
 * test_tsan_iommu.c — concurrent IOMMU batches (core/iommu.c) on two host
 * threads playing physical CPUs, with real spinlocks and the lock order
 * checked (core/lock_order.c).
 *
 * dom0 has a context with separate tables (iommu_pt=separate: the 1:1 grant
 * entries go into tables of iommu.c's own, no p2m needed) and a stream, and
 * iommu_flush=batched.  Each CPU, in rounds, opens a batch (a hypercall),
 * grant-maps or unmaps pages of its own in it, and closes it.  What a batch
 * owes is kept per context, which CPUs share, and a batch ends by flushing the
 * contexts its CPU changed (per-CPU dirty sets): so when iommu_batch_end
 * returns, none of the pages this CPU changed may still be owed — whichever
 * CPU issued the flush that covered them.  Besides: no race reported, every
 * map and unmap accepted, and no 1:1 entry left when the context goes.
 */
#include <pthread.h>
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
#include <granite/p2m.h>
#include <granite/page_alloc.h>
#include "tsan_harness.h"
#include "../unit/iommu_stub_unit.h"

#define NR_CPUS 2
#define ROUNDS 3000
#define PAGES_PER_BATCH 2
/* CPU c's page k of round r: never adjacent to another CPU's (ranges stay apart). */
#define PAGE(c, r, k) pa(0x48000000UL + ((u64)(r) * 64 + (c) * 8 + (k) * 2) * PAGE_SIZE)

/* --- what iommu.c needs besides the stub unit -------------------------------- */

static struct domain dom0;
static struct iommu_ctx ctx;
struct domain *domain_by_id(unsigned id) { return id == 0 ? &dom0 : NULL; }
void *alloc_pages(unsigned order) { return aligned_alloc(PAGE_SIZE << order, PAGE_SIZE << order); }
void free_pages(void *p, unsigned order unused) { free(p); }
const struct stage2_geometry *stage2_geometry(void)
{
    static struct stage2_geometry g;
    return g.ipa_bits || !stage2_geometry_for(5, 2, &g) ? &g : NULL;
}
/* Shared tables only (not these): the p2m is never reached. */
int p2m_lookup(struct p2m *p unused, ipa_t a unused, pa_t *o unused, p2m_type_t *t unused) { abort(); }
int p2m_map(struct p2m *p unused, ipa_t a unused, pa_t o unused, u64 s unused, p2m_type_t t unused) { abort(); }
int p2m_unmap(struct p2m *p unused, ipa_t a unused, u64 s unused) { abort(); }
const char *p2m_type_name(p2m_type_t t unused) { return "?"; }
void p2m_for_each_entry(struct p2m *p unused, pt_leaf_fn fn unused, void *c unused) { abort(); }
bool map_dump_on; /* dump=maps off: map_dump_note_fault is never called */
void map_dump_note_fault(struct domain *d unused, iova_t iova unused, u32 sid unused) {}

/* --- the CPUs ------------------------------------------------------------------ */

struct cpu {
    unsigned id;
    unsigned errors;      /* maps or unmaps refused */
    unsigned still_owed;  /* batches that ended with one of their pages owed */
};

static bool owed(pa_t page)
{
    u64 bus = iova_addr(iova_of_pa_1to1(page));
    bool found = false;

    spin_lock(&ctx.flush_lock);
    for (unsigned i = 0; i < ctx.owed.n; i++)
        found |= bus >= iova_addr(ctx.owed.r[i].start) &&
                 bus < iova_addr(ctx.owed.r[i].start) + (ctx.owed.r[i].pages << PAGE_SHIFT);
    found |= ctx.owed.all && ctx.flush_pending;
    spin_unlock(&ctx.flush_lock);
    return found;
}

static pthread_barrier_t start; /* both CPUs begin together */

static void *cpu_main(void *arg)
{
    struct cpu *me = arg;

    tsan_set_cpu(me->id);
    pthread_barrier_wait(&start);
    for (unsigned r = 0; r < ROUNDS; r++)
        for (unsigned unmap = 0; unmap < 2; unmap++) {
            bool left = false;

            iommu_batch_begin();
            for (unsigned k = 0; k < PAGES_PER_BATCH; k++)
                me->errors += unmap ? !!iommu_grant_unmap(&dom0, PAGE(me->id, r, k), true)
                                    : !!iommu_grant_map(&dom0, PAGE(me->id, r, k), true);
            iommu_batch_end();
            for (unsigned k = 0; k < PAGES_PER_BATCH; k++)
                left |= owed(PAGE(me->id, r, k));
            me->still_owed += left;
        }
    return NULL;
}

static void test_concurrent_batches(void **state unused)
{
    static char fdt[512];
    static const char *const bridges[] = { "/pcie" };
    const char *why = NULL;
    pthread_t t[NR_CPUS];
    struct cpu cpus[NR_CPUS];
    unsigned reports = tsan_reports();

    stub_set_options("iommu_pt=separate gnttab_iommu=direct iommu_flush=batched");
    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    assert_true(fdt_add_subnode(fdt, 0, "pcie") >= 0);
    dom0 = (struct domain){ .id = 0, .state = DOM_RUNNING, .direct_map = true, .name = "dom0" };
    assert_int_equal(iommu_unit.init(&dom0, &ctx), 0);
    assert_int_equal(iommu_init(fdt, &why), 0);
    assert_int_equal(iommu_domain_init(&dom0), 0);
    assert_int_equal(iommu_domain_assign_devices(&dom0, fdt, bridges, 1, &why), 0);
    assert_false(ctx.shared);

    pthread_barrier_init(&start, NULL, NR_CPUS);
    for (unsigned i = 0; i < NR_CPUS; i++) {
        cpus[i] = (struct cpu){ .id = i };
        assert_int_equal(pthread_create(&t[i], NULL, cpu_main, &cpus[i]), 0);
    }
    for (unsigned i = 0; i < NR_CPUS; i++) {
        pthread_join(t[i], NULL);
        print_message("cpu%u: %u refused, %u batch(es) ended still owing\n", i, cpus[i].errors,
                      cpus[i].still_owed);
        assert_int_equal(cpus[i].errors, 0);
        assert_int_equal(cpus[i].still_owed, 0);
    }
    print_message("%u flushes for %u batches\n", flushes(), NR_CPUS * ROUNDS * 2);
    assert_true(flushes() <= NR_CPUS * ROUNDS * 2);
    assert_int_equal(ctx.stats.one_to_one, NR_CPUS * ROUNDS * PAGES_PER_BATCH);
    iommu_domain_destroy(&dom0);
    assert_true(tsan_printk_seen("0 1:1 grant entries left"));
    assert_int_equal(tsan_reports(), reports);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_concurrent_batches) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
