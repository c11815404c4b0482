/*
 * test_xen_guest.c — host tests of the Xen guest interface pieces Linux
 * BUG()s without (issue 11): VCPUOP_register_vcpu_info validation and what
 * it does to event delivery (core/vcpu_op.c), the runstate area with and
 * without the update flag (core/runstate.c), vm_assist, XENMEM_add_to_physmap
 * of shared_info over a RAM page and of grant frames highest index first
 * (core/memory_op.c, core/grant_table.c), GNTTABOP_query_size, set_version
 * and cache_flush, the wallclock version (core/wallclock.c), and the balloon
 * (XENMEM_decrease_reservation / populate_physmap, core/memory_op.c).
 *
 * The world: two domains with 16 RAM pages each (host pages from the stubs'
 * allocator, mapped in real p2ms at IPA 0x40000000) and a grant window at
 * 0x38000000.  d1 has two vCPUs.  A guest virtual address is a host pointer;
 * below 4 GiB nothing is mapped.  copy_to_guest also records, for each write
 * into the runstate buffer, the value of state_entry_time the guest would see
 * right after it, and checks that the vCPU whose area is written is the one
 * whose context the test says is "live" (its stage 1 loaded).  Xen's numbers
 * are written out here, independently of the public headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/xen_guest.h>
#include <granite/grant_table.h>
#include <granite/domain.h>
#include <granite/p2m.h>
#include <granite/arch.h>
#include <granite/mm.h>
#include <granite/memory_map.h>
#include <granite/errno.h>
#include <public/xen.h>
#include <public/vcpu.h>
#include <public/memory.h>
#include <public/grant_table.h>
#include "host_stubs.h"

long do_memory_op(struct vcpu *v, u64 cmd, u64 arg);

/* Xen's numbers (xen/include/public/vcpu.h, memory.h, grant_table.h, xen.h). */
#define X_VCPUOP_register_runstate_memory_area 5
#define X_VCPUOP_register_vcpu_info 10
#define X_VCPUOP_initialise 0
#define X_XENMEM_add_to_physmap 7
#define X_XENMEM_decrease_reservation 1
#define X_XENMEM_populate_physmap 6
#define X_MAPSPACE_shared_info 0
#define X_MAPSPACE_grant_table 1
#define X_GNTTABOP_query_size 6
#define X_GNTTABOP_set_version 8
#define X_GNTTABOP_cache_flush 12
#define X_VMASST_enable 0
#define X_VMASST_runstate_update_flag 5
#define X_RUNSTATE_UPDATE (1ULL << 63)
#define X_VCPU_INFO_SIZE 48

#define NR_DOMS 2
#define RAM_BASE 0x40000000UL
#define RAM_PAGES 16
#define WINDOW_BASE 0x38000000UL
#define WINDOW_SIZE 0x01000000UL

static struct domain doms[NR_DOMS];
static void *ram[NR_DOMS][RAM_PAGES];

struct domain *domain_by_id(unsigned id)
{
    return id < NR_DOMS && doms[id].state != DOM_FREE ? &doms[id] : NULL;
}

/* --- fakes ------------------------------------------------------------------ */

static u64 now_ticks = 1000;
u64 arch_counter(void) { return now_ticks; }
u64 arch_counter_freq(void) { return 1000000000UL; } /* 1 tick = 1 ns */

static unsigned upcalls[NR_DOMS][MAX_VCPUS];
void arch_evtchn_upcall(struct domain *d, unsigned vcpu) { upcalls[d->id][vcpu]++; }

int iommu_grant_map(struct domain *m unused, pa_t p unused, bool w unused) { return 0; }
int iommu_grant_unmap(struct domain *m unused, pa_t p unused, bool w unused) { return 0; }
void iommu_flush_owed(struct domain *d unused) {}
bool mm_pa_range_is_ram(pa_t p unused, u64 len) { return len != 0; }
void domain_release_page(pa_t page) { free_pages(pa_to_ptr(page), 0); }

/* The runstate buffer and what each write into it left visible. */
static struct vcpu_runstate_info area[MAX_VCPUS] __attribute__((aligned(64)));
#define MAX_WRITES 64
static u64 seen_entry[MAX_WRITES];
static unsigned nr_writes;
static struct vcpu *live;          /* whose stage 1 is loaded (NULL: anyone) */
static unsigned wrong_context;     /* writes to an area while another vCPU was live */

int copy_from_guest(struct vcpu *v unused, void *dst, u64 gva, u64 len)
{
    if (gva < (1UL << 32))
        return -EFAULT;
    memcpy(dst, (void *)(uintptr_t)gva, len);
    return 0;
}

int copy_to_guest(struct vcpu *v, u64 gva, const void *src, u64 len)
{
    uintptr_t a = (uintptr_t)area;

    if (gva < (1UL << 32))
        return -EFAULT;
    memcpy((void *)(uintptr_t)gva, src, len);
    if (gva >= a && gva < a + sizeof(area)) {
        unsigned i = (unsigned)((gva - a) / sizeof(area[0]));
        if (live && v != live)
            wrong_context++;
        if (nr_writes < MAX_WRITES)
            seen_entry[nr_writes] = area[i].state_entry_time;
        nr_writes++;
    }
    return 0;
}

/* --- set-up ------------------------------------------------------------------ */

static void make_domain(unsigned id, unsigned nr_vcpus)
{
    struct domain *d = &doms[id];

    d->id = id;
    d->nr_vcpus = nr_vcpus;
    d->state = DOM_BUILDING;
    for (unsigned v = 0; v < MAX_VCPUS; v++) {
        d->vcpu[v].d = d;
        d->vcpu[v].id = v;
        d->vcpu[v].state = v < nr_vcpus ? VCPU_RUNNABLE : VCPU_OFFLINE;
    }
    assert_int_equal(p2m_init(&d->p2m, d, (u16)(id + 1)), 0);
    d->ram_base = ipa(RAM_BASE);
    d->ram_size = RAM_PAGES * PAGE_SIZE;
    for (unsigned i = 0; i < RAM_PAGES; i++) {
        ram[id][i] = alloc_pages(0);
        memset(ram[id][i], 0, PAGE_SIZE);
        assert_int_equal(p2m_map(&d->p2m, ipa(RAM_BASE + i * PAGE_SIZE), ptr_to_pa(ram[id][i]),
                                 PAGE_SIZE, p2m_ram_rw), 0);
        /* one chunk per page, listed in reverse IPA order (as scattered RAM is) */
        d->chunks[RAM_PAGES - 1 - i] = (struct ram_chunk){ ram[id][i], 1,
                                                           ipa(RAM_BASE + i * PAGE_SIZE) };
    }
    d->nr_chunks = RAM_PAGES;
    d->gnttab_base = ipa(WINDOW_BASE);
    d->gnttab_size = WINDOW_SIZE;
    host_unit_attach(d, &gnttab_unit);
    host_unit_attach(d, &xen_guest_unit);
    host_unit_attach(d, &runstate_unit);
    d->shared_info = alloc_pages(0);
    memset(d->shared_info, 0, PAGE_SIZE);
    assert_int_equal(gnttab_domain_init(d), 0);
    xen_guest_domain_init(d);
    d->state = DOM_RUNNING;
}

static int setup(void **state unused)
{
    host_stubs_reset();
    memset(doms, 0, sizeof(doms));
    memset(upcalls, 0, sizeof(upcalls));
    memset(area, 0, sizeof(area));
    nr_writes = wrong_context = 0;
    live = NULL;
    now_ticks = 1000;
    make_domain(0, 1);
    make_domain(1, 2);
    host_log_clear();
    return 0;
}

static int teardown(void **state unused)
{
    for (unsigned id = 0; id < NR_DOMS; id++) {
        struct domain *d = &doms[id];
        d->state = DOM_DESTROYED;
        gnttab_domain_dying(d);
        gnttab_domain_destroy(d);
        p2m_destroy(&d->p2m);
        free_pages(d->shared_info, 0);
        for (unsigned i = 0; i < RAM_PAGES; i++)
            free_pages(ram[id][i], 0);
    }
    assert_int_equal(wrong_context, 0);
    return host_pages_outstanding() == 0 ? 0 : -1;
}

static u64 gva(const void *p) { return (u64)(uintptr_t)p; }
static u64 gfn(unsigned page) { return (RAM_BASE >> PAGE_SHIFT) + page; }

static long reg_vcpu_info(unsigned dom, unsigned vcpu, u64 frame, u32 offset, u32 rsvd)
{
    struct vcpu_register_vcpu_info r = { .mfn = frame, .offset = offset, .rsvd = rsvd };
    return do_vcpu_op(&doms[dom].vcpu[vcpu], X_VCPUOP_register_vcpu_info, vcpu, gva(&r));
}

static long add_to_physmap(unsigned dom, unsigned space, u64 idx, u64 at_gfn)
{
    struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = space, .idx = idx,
                                    .gpfn = at_gfn };
    return do_memory_op(&doms[dom].vcpu[0], X_XENMEM_add_to_physmap, gva(&a));
}

static pa_t at(unsigned dom, u64 ipa_)
{
    pa_t p = pa(0);
    p2m_type_t t;
    assert_int_equal(p2m_lookup(&doms[dom].p2m, ipa(ipa_), &p, &t), 0);
    assert_int_equal(t, p2m_ram_rw);
    return p;
}

/* The host stubs' locks never block, so a lock taken twice by one path (a
 * deadlock on the hardware) shows only in the event log: check it. */
static void assert_no_lock_taken_twice(void)
{
    for (unsigned i = 0; i < host_nr_events; i++) {
        if (host_events[i].kind != HEV_LOCK)
            continue;
        for (unsigned j = i + 1; j < host_nr_events; j++) {
            if (host_events[j].ptr != host_events[i].ptr)
                continue;
            if (host_events[j].kind == HEV_UNLOCK)
                break;
            if (host_events[j].kind == HEV_LOCK)
                fail_msg("lock %p taken again at event %u while held since event %u",
                         host_events[i].ptr, j, i);
        }
    }
}

/* --- layouts ------------------------------------------------------------------ */

static void test_abi(void **state unused)
{
    assert_int_equal(VCPUOP_register_runstate_memory_area, 5);
    assert_int_equal(VCPUOP_register_vcpu_info, 10);
    assert_int_equal(sizeof(struct vcpu_info), X_VCPU_INFO_SIZE);
    assert_int_equal(sizeof(struct vcpu_runstate_info), 48);
    assert_int_equal(offsetof(struct vcpu_runstate_info, time), 16);
    assert_int_equal(sizeof(struct vcpu_register_vcpu_info), 16);
    assert_int_equal(XEN_RUNSTATE_UPDATE, X_RUNSTATE_UPDATE);
    assert_int_equal(VMASST_TYPE_runstate_update_flag, X_VMASST_runstate_update_flag);
    assert_int_equal(__HYPERVISOR_vcpu_op, 24);
    assert_int_equal(__HYPERVISOR_vm_assist, 21);
    assert_int_equal(offsetof(struct shared_info, wc_version), 48 + 1024);
}

/* --- register_vcpu_info ----------------------------------------------------------- */

static void test_vcpu_info_validation(void **state unused)
{
    /* before registration: vCPU 0 uses shared_info's, vCPU 1 has none */
    assert_ptr_equal(xen_vcpu_info(&doms[1], 0),
                     &((struct shared_info *)doms[1].shared_info)->vcpu_info[0]);
    assert_null(xen_vcpu_info(&doms[1], 1));

    /* the offset must leave the whole structure in the page */
    assert_int_equal(reg_vcpu_info(1, 0, gfn(3), PAGE_SIZE - X_VCPU_INFO_SIZE + 8, 0), -ENXIO);
    assert_true(host_log_contains("register_vcpu_info for vcpu0: offset 0xfd8"));
    assert_int_equal(reg_vcpu_info(1, 0, gfn(3), 0xffffffffU, 0), -ENXIO);
    assert_int_equal(reg_vcpu_info(1, 0, gfn(3), 4, 0), -ENXIO); /* misaligned */
    /* the frame must be the caller's RAM */
    assert_int_equal(reg_vcpu_info(1, 0, gfn(RAM_PAGES), 0, 0), -EINVAL);
    assert_true(host_log_contains("is not in its RAM: -EINVAL"));
    assert_int_equal(reg_vcpu_info(1, 0, WINDOW_BASE >> PAGE_SHIFT, 0, 0), -EINVAL);
    assert_int_equal(reg_vcpu_info(1, 0, ~0UL, 0, 0), -EINVAL);
    /* a vCPU the domain does not have */
    assert_int_equal(do_vcpu_op(&doms[0].vcpu[0], X_VCPUOP_register_vcpu_info, 1, 0), -ENOENT);
    /* a bad argument pointer */
    assert_int_equal(do_vcpu_op(&doms[1].vcpu[0], X_VCPUOP_register_vcpu_info, 0, 0x1000),
                     -EFAULT);
    /* other vcpu_op commands: -EINVAL as Xen/Arm */
    assert_int_equal(do_vcpu_op(&doms[1].vcpu[0], X_VCPUOP_initialise, 0, 0), -EINVAL);
    assert_null(xen_vcpu_info(&doms[1], 1));
    assert_int_equal(upcalls[1][0] + upcalls[1][1], 0);

    /* the last offset that fits, with rsvd garbage (Linux leaves it unset) */
    assert_int_equal(reg_vcpu_info(1, 1, gfn(5), PAGE_SIZE - 64, 0xdeadbeef), 0);
    assert_ptr_equal(xen_vcpu_info(&doms[1], 1), (u8 *)ram[1][5] + PAGE_SIZE - 64);
    /* once per vCPU */
    assert_int_equal(reg_vcpu_info(1, 1, gfn(6), 0, 0), -EINVAL);
    assert_true(host_log_contains("already registered"));
    assert_ptr_equal(xen_vcpu_info(&doms[1], 1), (u8 *)ram[1][5] + PAGE_SIZE - 64);
}

static void test_vcpu_info_registration_carries_events(void **state unused)
{
    struct shared_info *s = doms[1].shared_info;
    struct vcpu_info *vi;

    s->vcpu_info[0].evtchn_pending_sel = 0x4;
    s->vcpu_info[0].evtchn_upcall_pending = 1;
    assert_int_equal(reg_vcpu_info(1, 0, gfn(2), 0x40, 0), 0);
    vi = xen_vcpu_info(&doms[1], 0);
    assert_ptr_equal(vi, (u8 *)ram[1][2] + 0x40);
    /* everything marked pending, and the upcall raised on that vCPU */
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    assert_int_equal(vi->evtchn_pending_sel, ~0UL);
    assert_int_equal(upcalls[1][0], 1);
    assert_int_equal(upcalls[1][1], 0);
    /* the second vCPU registers in the same page, after PSCI CPU_ON */
    assert_int_equal(reg_vcpu_info(1, 1, gfn(2), 0x80, 0), 0);
    assert_int_equal(upcalls[1][1], 1);
    assert_ptr_equal(xen_vcpu_info(&doms[1], 1), (u8 *)ram[1][2] + 0x80);
}

/* A page the guest covered with shared_info (or a grant frame) is not its
 * RAM any more: registering there is refused. */
static void test_vcpu_info_not_on_granite_pages(void **state unused)
{
    assert_int_equal(add_to_physmap(1, X_MAPSPACE_shared_info, 0, gfn(7)), 0);
    assert_int_equal(reg_vcpu_info(1, 0, gfn(7), 0, 0), -EINVAL);
    assert_true(host_log_contains("a page granite placed there"));
    assert_int_equal(add_to_physmap(1, X_MAPSPACE_grant_table, 0, gfn(8)), 0);
    assert_int_equal(reg_vcpu_info(1, 0, gfn(8), 0, 0), -EINVAL);
    assert_int_equal(reg_vcpu_info(1, 0, gfn(9), 0, 0), 0);
}

/* --- add_to_physmap ------------------------------------------------------------- */

static void test_shared_info_over_ram(void **state unused)
{
    struct shared_info *s = doms[0].shared_info;

    /* Linux: a freshly zeroed RAM page's GFN.  shared_info appears there. */
    host_events_clear();
    assert_int_equal(add_to_physmap(0, X_MAPSPACE_shared_info, 0, gfn(4)), 0);
    assert_no_lock_taken_twice(); /* it deadlocked on the hardware once */
    assert_int_equal(pa_addr(at(0, RAM_BASE + 4 * PAGE_SIZE)), pa_addr(ptr_to_pa(s)));
    /* its neighbours are untouched */
    assert_int_equal(pa_addr(at(0, RAM_BASE + 3 * PAGE_SIZE)), pa_addr(ptr_to_pa(ram[0][3])));
    assert_int_equal(pa_addr(at(0, RAM_BASE + 5 * PAGE_SIZE)), pa_addr(ptr_to_pa(ram[0][5])));
    /* the wallclock is readable, and its version even */
    assert_int_equal(s->wc_version % 2, 0);
    assert_true(s->wc_version > 0);
    /* again at the same GFN: a no-op */
    assert_int_equal(add_to_physmap(0, X_MAPSPACE_shared_info, 0, gfn(4)), 0);
    assert_int_equal(s->wc_version % 2, 0);
    /* elsewhere too: the earlier mapping stays (Xen would remove it) */
    assert_int_equal(add_to_physmap(0, X_MAPSPACE_shared_info, 0, (WINDOW_BASE >> PAGE_SHIFT)),
                     0);
    assert_int_equal(pa_addr(at(0, WINDOW_BASE)), pa_addr(ptr_to_pa(s)));
    assert_int_equal(pa_addr(at(0, RAM_BASE + 4 * PAGE_SIZE)), pa_addr(ptr_to_pa(s)));
    /* idx must be 0; a GFN that is neither RAM nor window is refused */
    assert_int_equal(add_to_physmap(0, X_MAPSPACE_shared_info, 1, gfn(6)), -EINVAL);
    assert_int_equal(add_to_physmap(0, X_MAPSPACE_shared_info, 0, 0x10), -EINVAL);
    assert_true(host_log_contains("neither in its RAM nor in its grant window"));
    /* another granite page is not replaced */
    assert_int_equal(add_to_physmap(0, X_MAPSPACE_grant_table, 0, gfn(9)), 0);
    host_events_clear();
    assert_int_equal(add_to_physmap(0, X_MAPSPACE_shared_info, 0, gfn(9)), -EBUSY);
    assert_no_lock_taken_twice();
}

/* Linux maps the grant frames at reg[0] + idx pages, the highest index first,
 * so the table grows once; query_size says how far it may grow. */
static void test_grant_frames_and_query_size(void **state unused)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    struct gnttab_set_version sv = { .version = 2 };
    pa_t f;

    assert_int_equal(do_grant_table_op(&doms[0].vcpu[0], X_GNTTABOP_query_size, gva(&q), 1), 0);
    assert_int_equal(q.status, 0);
    assert_int_equal(q.nr_frames, 1);
    assert_int_equal(q.max_nr_frames, GNTTAB_MAX_FRAMES);
    assert_true(q.max_nr_frames * PAGE_SIZE <= WINDOW_SIZE);

    /* set_version: 2 refused with -ENOSYS, version 1 written back; 1 accepted */
    assert_int_equal(do_grant_table_op(&doms[0].vcpu[0], X_GNTTABOP_set_version, gva(&sv), 1),
                     -ENOSYS);
    assert_int_equal(sv.version, 1);
    sv.version = 1;
    assert_int_equal(do_grant_table_op(&doms[0].vcpu[0], X_GNTTABOP_set_version, gva(&sv), 1), 0);
    /* cache_flush: exactly -ENOSYS (Linux probes it with op 0) */
    assert_int_equal(do_grant_table_op(&doms[0].vcpu[0], X_GNTTABOP_cache_flush, gva(&sv), 1),
                     -ENOSYS);

    assert_int_equal(add_to_physmap(0, X_MAPSPACE_grant_table, 0, WINDOW_BASE >> PAGE_SHIFT), 0);
    for (int i = GNTTAB_MAX_FRAMES - 1; i >= 1; i--)
        assert_int_equal(add_to_physmap(0, X_MAPSPACE_grant_table, (u64)i,
                                        (WINDOW_BASE >> PAGE_SHIFT) + (u64)i), 0);
    assert_int_equal(do_grant_table_op(&doms[0].vcpu[0], X_GNTTABOP_query_size, gva(&q), 1), 0);
    assert_int_equal(q.nr_frames, GNTTAB_MAX_FRAMES);
    for (unsigned i = 0; i < GNTTAB_MAX_FRAMES; i++) {
        assert_int_equal(gnttab_get_frame(&doms[0], i, &f), 0);
        assert_int_equal(pa_addr(at(0, WINDOW_BASE + i * PAGE_SIZE)), pa_addr(f));
    }
    /* beyond the maximum */
    assert_int_equal(add_to_physmap(0, X_MAPSPACE_grant_table, GNTTAB_MAX_FRAMES,
                                    (WINDOW_BASE >> PAGE_SHIFT) + 8), -EINVAL);
    /* a grant frame over RAM works too (Xen allows it) */
    assert_int_equal(add_to_physmap(1, X_MAPSPACE_grant_table, 0, gfn(1)), 0);
    assert_int_equal(gnttab_get_frame(&doms[1], 0, &f), 0);
    assert_int_equal(pa_addr(at(1, RAM_BASE + PAGE_SIZE)), pa_addr(f));
}

/* --- runstate -------------------------------------------------------------------- */

static long reg_runstate(unsigned dom, unsigned caller, unsigned target, u64 addr)
{
    struct vcpu_register_runstate_memory_area a = { .addr = addr };
    return do_vcpu_op(&doms[dom].vcpu[caller], X_VCPUOP_register_runstate_memory_area, target,
                      gva(&a));
}

static void test_runstate_accounting(void **state unused)
{
    struct vcpu *v = &doms[1].vcpu[0];

    /* comes on at t=2000 (offline since 1000), registers its area */
    now_ticks = 2000;
    live = v;
    runstate_vcpu_in(v);
    assert_int_equal(reg_runstate(1, 0, 0, gva(&area[0])), 0);
    assert_int_equal(area[0].state, RUNSTATE_running);
    assert_int_equal(area[0].state_entry_time, 2000);
    assert_int_equal(area[0].time[RUNSTATE_offline], 1000);

    /* blocks at 2500 (WFI): nothing is written while its context is gone */
    now_ticks = 2500;
    v->state = VCPU_BLOCKED;
    live = NULL;
    nr_writes = 0;
    runstate_vcpu_out(v);
    assert_int_equal(nr_writes, 0);
    assert_int_equal(area[0].state, RUNSTATE_running);

    /* woken, on again at 4000: the area shows the blocked time */
    now_ticks = 4000;
    v->state = VCPU_RUNNABLE;
    live = v;
    runstate_vcpu_in(v);
    assert_int_equal(area[0].state, RUNSTATE_running);
    assert_int_equal(area[0].state_entry_time, 4000);
    assert_int_equal(area[0].time[RUNSTATE_running], 500);
    assert_int_equal(area[0].time[RUNSTATE_blocked], 1500);
    assert_int_equal(area[0].time[RUNSTATE_offline], 1000);

    /* preempted (runnable) from 4100 to 4300 */
    now_ticks = 4100;
    runstate_vcpu_out(v);
    now_ticks = 4300;
    runstate_vcpu_in(v);
    assert_int_equal(area[0].time[RUNSTATE_runnable], 200);
    assert_int_equal(area[0].time[RUNSTATE_running], 600);
}

static void test_runstate_update_flag(void **state unused)
{
    struct vcpu *v = &doms[1].vcpu[0];

    /* unknown vm_assist types and commands are refused; the flag is accepted */
    assert_int_equal(do_vm_assist(v, X_VMASST_enable, 4), -EINVAL);
    assert_int_equal(do_vm_assist(v, 7, X_VMASST_runstate_update_flag), -ENOSYS);
    assert_false(xen_runstate_update_flag(&doms[1]));

    /* without the flag: one write, no XEN_RUNSTATE_UPDATE ever visible */
    live = v;
    now_ticks = 3000;
    runstate_vcpu_in(v);
    assert_int_equal(reg_runstate(1, 0, 0, gva(&area[0])), 0);
    for (unsigned i = 0; i < nr_writes && i < MAX_WRITES; i++)
        assert_int_equal(seen_entry[i] & X_RUNSTATE_UPDATE, 0);

    assert_int_equal(do_vm_assist(v, X_VMASST_enable, X_VMASST_runstate_update_flag), 0);
    assert_true(xen_runstate_update_flag(&doms[1]));
    now_ticks = 3500;
    runstate_vcpu_out(v);
    now_ticks = 3900;
    nr_writes = 0;
    runstate_vcpu_in(v);
    /* flag set first, kept while the record is written, cleared last */
    assert_true(nr_writes >= 3);
    assert_true(seen_entry[0] & X_RUNSTATE_UPDATE);
    for (unsigned i = 0; i + 1 < nr_writes && i < MAX_WRITES; i++)
        assert_true(seen_entry[i] & X_RUNSTATE_UPDATE);
    assert_int_equal(seen_entry[nr_writes - 1], 3900);
    assert_int_equal(area[0].state_entry_time, 3900);
    assert_int_equal(area[0].state, RUNSTATE_running);
}

static void test_runstate_bad_areas(void **state unused)
{
    struct vcpu *v = &doms[1].vcpu[0];

    live = v;
    runstate_vcpu_in(v);
    assert_int_equal(reg_runstate(1, 0, 0, gva(&area[0]) + 4), -EINVAL); /* misaligned */
    assert_true(host_log_contains("not 8-byte aligned"));
    assert_int_equal(reg_runstate(1, 0, 0, 0x1000), -EFAULT);            /* unmapped */
    assert_true(host_log_contains("cannot be written through its page tables"));
    assert_int_equal(reg_runstate(1, 0, 2, gva(&area[0])), -ENOENT);     /* no vCPU 2 */
    /* nothing registered: a switch writes nothing */
    nr_writes = 0;
    runstate_vcpu_out(v);
    runstate_vcpu_in(v);
    assert_int_equal(nr_writes, 0);

    /* another vCPU's area: kept, first written when that vCPU comes on */
    assert_int_equal(reg_runstate(1, 0, 1, gva(&area[1])), 0);
    assert_int_equal(nr_writes, 0);
    live = &doms[1].vcpu[1];
    runstate_vcpu_in(&doms[1].vcpu[1]);
    assert_int_equal(nr_writes, 1);
    assert_int_equal(area[1].state, RUNSTATE_running);

    /* PSCI CPU_ON forgets the area: its virtual address means nothing now */
    runstate_vcpu_reset(&doms[1].vcpu[1]);
    nr_writes = 0;
    runstate_vcpu_in(&doms[1].vcpu[1]);
    assert_int_equal(nr_writes, 0);
}

/* --- the balloon --------------------------------------------------------------- */

static long reservation(unsigned dom, unsigned cmd, const u64 *list, u64 n, u32 order, u32 flags,
                        u16 domid)
{
    struct xen_memory_reservation r = { .extent_start = gva(list), .nr_extents = n,
                                        .extent_order = order, .mem_flags = flags,
                                        .domid = domid };
    return do_memory_op(&doms[dom].vcpu[0], cmd, gva(&r));
}

static bool mapped(unsigned dom, unsigned page)
{
    return p2m_lookup(&doms[dom].p2m, ipa(RAM_BASE + page * PAGE_SIZE), NULL, NULL) == 0;
}

/* Pages go out with one TLB flush per call, come back as the same machine
 * pages with their content, and the GFNs are written back. */
static void test_balloon_round_trip(void **state unused)
{
    u64 list[3] = { gfn(6), gfn(2), gfn(11) };

    memset(ram[1][2], 0x3c, PAGE_SIZE);
    host_events_clear();
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 3, 0, 0, DOMID_SELF),
                     3);
    assert_int_equal(host_event_count(HEV_FLUSH_ALL), 1);
    assert_int_equal(host_event_count(HEV_FLUSH_IA), 0);
    assert_no_lock_taken_twice();
    assert_false(mapped(1, 6) || mapped(1, 2) || mapped(1, 11));
    assert_true(mapped(1, 5) && mapped(1, 7) && mapped(0, 6)); /* nothing else moved */
    list[0] = list[1] = list[2] = 0;
    list[0] = gfn(2);
    list[1] = gfn(11);
    assert_int_equal(reservation(1, X_XENMEM_populate_physmap, list, 2, 0, 0, 1), 2);
    assert_int_equal(list[0], gfn(2));
    assert_int_equal(list[1], gfn(11));
    assert_int_equal(pa_addr(at(1, RAM_BASE + 2 * PAGE_SIZE)), pa_addr(ptr_to_pa(ram[1][2])));
    assert_int_equal(pa_addr(at(1, RAM_BASE + 11 * PAGE_SIZE)), pa_addr(ptr_to_pa(ram[1][11])));
    assert_int_equal(((u8 *)ram[1][2])[PAGE_SIZE - 1], 0x3c);
    assert_false(mapped(1, 6)); /* still out */
}

/* Every bad extent stops the call with the count so far and a log line;
 * every bad structure is an errno. */
static void test_balloon_refusals(void **state unused)
{
    static u64 big[513];
    u64 list[2] = { gfn(3), gfn(3) };

    /* the same page twice: the second is ballooned out already */
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 2, 0, 0, DOMID_SELF),
                     1);
    assert_true(host_log_contains("ballooned out already"));
    assert_true(host_log_contains("1 of 2 done"));
    /* outside RAM: past the end, the window, ~0 */
    list[0] = gfn(RAM_PAGES);
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 1, 0, 0, DOMID_SELF),
                     0);
    assert_true(host_log_contains("not a page of its RAM"));
    list[0] = WINDOW_BASE >> PAGE_SHIFT;
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 1, 0, 0, DOMID_SELF),
                     0);
    list[0] = ~0UL;
    assert_int_equal(reservation(1, X_XENMEM_populate_physmap, list, 1, 0, 0, DOMID_SELF), 0);
    /* shared_info and a grant frame over RAM pages are not its own pages */
    assert_int_equal(add_to_physmap(1, X_MAPSPACE_shared_info, 0, gfn(4)), 0);
    assert_int_equal(add_to_physmap(1, X_MAPSPACE_grant_table, 0, gfn(5)), 0);
    list[0] = gfn(4);
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 1, 0, 0, DOMID_SELF),
                     0);
    assert_true(host_log_contains("not its own page now"));
    list[0] = gfn(5);
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 1, 0, 0, DOMID_SELF),
                     0);
    assert_int_equal(reservation(1, X_XENMEM_populate_physmap, list, 1, 0, 0, DOMID_SELF), 0);
    assert_true(host_log_contains("something is mapped there"));
    /* populate of a page never ballooned out */
    list[0] = gfn(7);
    assert_int_equal(reservation(1, X_XENMEM_populate_physmap, list, 1, 0, 0, DOMID_SELF), 0);
    assert_true(host_log_contains("never ballooned out"));
    /* limits: more than a call takes, extent_order, mem_flags, another domain */
    for (unsigned i = 0; i < 513; i++)
        big[i] = gfn(8);
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, big, 513, 0, 0, DOMID_SELF),
                     0);
    assert_true(host_log_contains("513 extent(s) of order 0 refused"));
    assert_true(mapped(1, 8));
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, big, 512, 0, 0, DOMID_SELF),
                     1); /* the first goes, the second finds it gone */
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 1, 1, 0, DOMID_SELF),
                     0);
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 1, 0, 1, DOMID_SELF),
                     -EINVAL);
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 1, 0, 0, 0), -EPERM);
    assert_int_equal(reservation(1, X_XENMEM_populate_physmap, list, 1, 0, 0, 0), -EPERM);
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, list, 1, 0, 0, 1), 1);
    /* unreadable array, unreadable structure */
    assert_int_equal(reservation(1, X_XENMEM_decrease_reservation, (u64 *)0x1000, 1, 0, 0,
                                 DOMID_SELF), 0);
    assert_true(host_log_contains("its array entry is unreadable"));
    assert_int_equal(do_memory_op(&doms[1].vcpu[0], X_XENMEM_decrease_reservation, 0x1000),
                     -EFAULT);
    /* increase_reservation stays unknown */
    assert_int_equal(do_memory_op(&doms[1].vcpu[0], 0, gva(list)), -ENOSYS);
    /* the other domain was never touched */
    for (unsigned i = 0; i < RAM_PAGES; i++)
        assert_true(mapped(0, i));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_abi),
        T(test_vcpu_info_validation),
        T(test_vcpu_info_registration_carries_events),
        T(test_vcpu_info_not_on_granite_pages),
        T(test_shared_info_over_ram),
        T(test_grant_frames_and_query_size),
        T(test_runstate_accounting),
        T(test_runstate_update_flag),
        T(test_runstate_bad_areas),
        T(test_balloon_round_trip),
        T(test_balloon_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
