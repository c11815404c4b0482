/*
 * xen_abi.c — the Xen guest interface in the order a Linux 6.1 domU uses it
 * (../shared/reference/linux-xen-guest.md §2), and a hostile variant.
 *
 *   test=xen-abi         XENVER_get_features -> HVM params (console 0, store)
 *                        -> XENMEM_add_to_physmap(shared_info) over a zeroed
 *                        RAM page of ours -> GNTTABOP_query_size (twice) ->
 *                        set_version(1) -> grant frames mapped at the window,
 *                        highest index first -> FIFO init_control refused ->
 *                        VCPUOP_register_vcpu_info at an offset of a RAM page
 *                        on vCPU 0, and on vCPU 1 after PSCI CPU_ON when the
 *                        domain has two -> events arrive through the
 *                        registered vcpu_info on the vCPU a port is bound to
 *                        -> vm_assist(runstate_update_flag) -> the runstate
 *                        area by virtual address, which advances across a
 *                        blocking wait -> wallclock version even -> yield,
 *                        and the dom0-only calls refused as Linux tolerates.
 *   test=xen-abi-hostile every registration and mapping with bad offsets,
 *                        frames, addresses and vCPUs, each answered with its
 *                        error code, then 2,000 more bad registrations (the
 *                        log lines they cause are rate-limited), then a
 *                        good registration that still works.
 *
 * The guest runs with its MMU on, identity-mapped (guests/lib/start.c): a
 * pointer's value is its IPA, so a page of our .bss names its own GFN.
 */
#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include "guest.h"
#include "page.h"
#include <public/xen.h>
#include <public/version.h>
#include <public/features.h>
#include <public/hvm_params.h>
#include <public/memory.h>
#include <public/grant_table.h>
#include <public/event_channel.h>
#include <public/vcpu.h>
#include <public/sched.h>
#include <public/platform.h>

#define E_PERM 1
#define E_NOENT 2
#define E_NXIO 6
#define E_FAULT 14
#define E_INVAL 22
#define E_NOSYS 38
#define E_OPNOTSUPP 95
#define WAIT_US 5000000UL
#define SGI_DONE 5 /* vCPU 1 -> vCPU 0: "look at the flags" (registered, event seen) */

static uint8_t shared_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t vcpu_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t spare_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t frame_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct vcpu_runstate_info runstate[2] __attribute__((aligned(64)));

static struct shared_info *shinfo;
static struct vcpu_info *volatile my_vi[2];      /* registered, per vCPU */
static volatile unsigned upcalls_seen[2];        /* upcalls with our vcpu_info's flag set */
static volatile unsigned port_seen[2];           /* events on `watched` per vCPU */
static volatile evtchn_port_t watched;
static volatile bool vcpu1_registered, vcpu1_runstate_ok;
static uint32_t upcall_intid;
static bool failed;

static long hyp(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return xen_hypercall(nr, a0, a1, a2, 0, 0);
}

static void check(bool ok, const char *what)
{
    printf("selftest: xen-abi: %s: %s\n", what, ok ? "ok" : "WRONG");
    if (!ok)
        failed = true;
}

static void check_rc(long got, long want, const char *what)
{
    char line[160];
    snprintf(line, sizeof(line), "%s -> %ld (want %ld)", what, got, want);
    check(got == want, line);
}

static unsigned my_vcpu(void)
{
    uint64_t mpidr;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    return (unsigned)(mpidr & 0xff);
}

/* The upcall, as Linux handles it: through the vCPU's own vcpu_info. */
static void upcall(uint32_t intid)
{
    unsigned cpu = my_vcpu();
    struct vcpu_info *vi = cpu < 2 ? my_vi[cpu] : NULL;
    (void)intid;

    if (!vi)
        return;
    if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST))
        upcalls_seen[cpu]++;
    uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = (unsigned)__builtin_ctzl(sel);
        sel &= sel - 1;
        uint64_t bits = __atomic_load_n(&shinfo->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                        ~__atomic_load_n(&shinfo->evtchn_mask[w], __ATOMIC_SEQ_CST);
        while (bits) {
            unsigned b = (unsigned)__builtin_ctzl(bits);
            bits &= bits - 1;
            __atomic_and_fetch(&shinfo->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
            if (w * 64 + b == watched) {
                port_seen[cpu]++;
                if (cpu != 0)
                    gic_send_sgi(0, SGI_DONE); /* vCPU 0 waits in WFI for the count */
            }
        }
    }
}

static long register_vcpu_info(unsigned vcpu, uint64_t gfn, uint32_t offset)
{
    struct vcpu_register_vcpu_info r = { .mfn = gfn, .offset = offset, .rsvd = 0x5a5a5a5a };
    return hyp(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, vcpu, (uint64_t)&r);
}

static long register_runstate(unsigned cmd, unsigned vcpu, uint64_t addr)
{
    struct vcpu_register_runstate_memory_area a = { .addr = addr };
    return hyp(__HYPERVISOR_vcpu_op, cmd, vcpu, (uint64_t)&a);
}

static long add_to_physmap(unsigned space, uint64_t idx, uint64_t gfn)
{
    struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = space, .idx = idx,
                                    .gpfn = gfn };
    return hyp(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint64_t)&a, 0);
}

static long get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long r = hyp(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&p, 0);
    *value = p.value;
    return r;
}

/* Linux's reader: retry while the update flag is set or the entry time moved. */
static struct vcpu_runstate_info read_runstate(unsigned vcpu)
{
    struct vcpu_runstate_info r;
    uint64_t t;
    do {
        t = __atomic_load_n(&runstate[vcpu].state_entry_time, __ATOMIC_ACQUIRE);
        r = runstate[vcpu];
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((t & XEN_RUNSTATE_UPDATE) ||
             t != __atomic_load_n(&runstate[vcpu].state_entry_time, __ATOMIC_ACQUIRE));
    return r;
}

static bool grant_window(const void *fdt, uint64_t *base, uint64_t *size)
{
    int node = fdt_path_offset(fdt, "/hypervisor"), len;
    const fdt64_t *reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;
    const fdt32_t *irq = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;

    if (!reg || !irq || len < 12)
        return false;
    *base = fdt64_to_cpu(reg[0]);
    *size = fdt64_to_cpu(reg[1]);
    upcall_intid = fdt32_to_cpu(irq[1]) + 16;
    return true;
}

static unsigned nr_cpus(const void *fdt)
{
    int cpus = fdt_path_offset(fdt, "/cpus"), node;
    unsigned n = 0;
    fdt_for_each_subnode(node, fdt, cpus) {
        const char *t = fdt_getprop(fdt, node, "device_type", NULL);
        n += t && !strcmp(t, "cpu");
    }
    return n;
}

/* vCPU 1, after PSCI CPU_ON: what Linux's xen_starting_cpu and the runstate
 * late_initcall do there. */
static void vcpu1_main(unsigned n)
{
    long r = register_vcpu_info(n, gfn_of(vcpu_page), 0x80);
    if (!r) {
        my_vi[1] = (struct vcpu_info *)(vcpu_page + 0x80);
        gic_enable_irq(n, upcall_intid, upcall);
    }
    r = r ? r : register_runstate(VCPUOP_register_runstate_memory_area, n,
                                  (uint64_t)&runstate[1]);
    vcpu1_runstate_ok = !r && runstate[1].state == RUNSTATE_running;
    __atomic_store_n(&vcpu1_registered, r == 0, __ATOMIC_RELEASE);
    gic_send_sgi(0, SGI_DONE); /* vCPU 0 waits in WFI for this */
    irq_enable_local();
    for (;;)
        wait_for_interrupt();
}

static void sgi_done(uint32_t intid) { (void)intid; }

static bool port_seen_on(const void *arg)
{
    const unsigned *want = arg;
    return port_seen[want[0]] >= want[1];
}

static int run_xen_abi(const struct guest_info *gi)
{
    struct xen_feature_info fi = { .submap_idx = 0 };
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    struct gnttab_set_version sv = { .version = 1 };
    struct evtchn_init_control ic = { 0 };
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF };
    uint64_t base, size, v;
    unsigned cpus = nr_cpus(gi->fdt);
    uint32_t want_bits;

    if (!grant_window(gi->fdt, &base, &size)) {
        printf("selftest: xen-abi: no usable /hypervisor node: FAIL\n");
        return 1;
    }
    /* 1. features */
    check_rc(hyp(__HYPERVISOR_xen_version, XENVER_get_features, (uint64_t)&fi, 0), 0,
             "XENVER_get_features");
    want_bits = (1U << XENFEAT_writable_page_tables) | (1U << XENFEAT_auto_translated_physmap) |
                (1U << XENFEAT_memory_op_vnode_supported) | (1U << XENFEAT_ARM_SMCCC_supported) |
                (1U << XENFEAT_not_direct_mapped) | (1U << XENFEAT_runstate_phys_area);
    printf("selftest: xen-abi: features 0x%x\n", fi.submap);
    check(fi.submap == want_bits, "features are Xen's for a translated domU");
    /* 2. the console params: 0, no error (Linux: no hvc0); the store */
    check_rc(get_param(HVM_PARAM_CONSOLE_EVTCHN, &v), 0, "get_param CONSOLE_EVTCHN");
    check(v == 0, "CONSOLE_EVTCHN is 0");
    check_rc(get_param(HVM_PARAM_CONSOLE_PFN, &v), 0, "get_param CONSOLE_PFN");
    check(v == 0, "CONSOLE_PFN is 0");
    check_rc(get_param(HVM_PARAM_STORE_EVTCHN, &v), 0, "get_param STORE_EVTCHN");
    check_rc(get_param(HVM_PARAM_STORE_PFN, &v), 0, "get_param STORE_PFN");
    check_rc(get_param(99, &v), -E_INVAL, "get_param 99");
    /* 3a. shared_info over a zeroed RAM page */
    memset(shared_page, 0xa5, PAGE_SIZE);
    check_rc(add_to_physmap(XENMAPSPACE_shared_info, 0, gfn_of(shared_page)), 0,
             "add_to_physmap shared_info at a RAM gfn");
    shinfo = (struct shared_info *)shared_page;
    check(shared_page[PAGE_SIZE - 1] != 0xa5 && shinfo->evtchn_mask[0] != 0xa5a5a5a5a5a5a5a5UL,
          "the page at that gfn is shared_info now");
    check(shinfo->wc_version != 0 && shinfo->wc_version % 2 == 0, "wallclock version even");
    /* 3c. query_size, two times as Linux */
    for (int i = 0; i < 2; i++)
        check_rc(hyp(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (uint64_t)&q, 1), 0,
                 "GNTTABOP_query_size");
    printf("selftest: xen-abi: grant table %u of %u frame(s), window 0x%lx+0x%lx\n",
           q.nr_frames, q.max_nr_frames, (unsigned long)base, (unsigned long)size);
    check(q.status == 0 && q.nr_frames == 1 && q.max_nr_frames >= 1 &&
          q.max_nr_frames * PAGE_SIZE <= size, "the window holds max_nr_frames");
    /* 3d. version 1, grant frames */
    check_rc(hyp(__HYPERVISOR_grant_table_op, GNTTABOP_set_version, (uint64_t)&sv, 1), 0,
             "set_version 1");
    check_rc(add_to_physmap(XENMAPSPACE_grant_table, 0, gfn_of_addr(base)), 0, "grant frame 0");
    for (unsigned i = q.max_nr_frames - 1; i >= 1; i--) {
        char what[48];
        snprintf(what, sizeof(what), "grant frame %u (growing)", i);
        check_rc(add_to_physmap(XENMAPSPACE_grant_table, i, gfn_of_addr(base) + i), 0, what);
    }
    check_rc(hyp(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (uint64_t)&q, 1), 0,
             "query_size after growth");
    check(q.nr_frames == q.max_nr_frames, "the table grew to its maximum");
    check_rc(hyp(__HYPERVISOR_grant_table_op, GNTTABOP_cache_flush, (uint64_t)&sv, 1), -E_NOSYS,
             "cache_flush probe");
    /* 3e. FIFO refused: 2-level */
    check_rc(hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_init_control, (uint64_t)&ic, 0),
             -E_NOSYS, "EVTCHNOP_init_control (FIFO)");
    /* 3g. vcpu_info on vCPU 0, at an offset in a RAM page */
    my_vi[0] = (struct vcpu_info *)(vcpu_page + 0x40);
    check_rc(register_vcpu_info(0, gfn_of(vcpu_page), 0x40), 0,
             "register_vcpu_info vCPU 0 at offset 0x40");
    gic_enable_irq(0, upcall_intid, upcall);
    irq_enable_local();
    /* a loopback channel; its events go to vCPU 0 through my_vi[0] */
    check_rc(hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (uint64_t)&au, 0), 0,
             "alloc_unbound to self");
    bi.remote_port = au.port;
    check_rc(hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (uint64_t)&bi, 0), 0,
             "bind_interdomain to self");
    watched = au.port;
    {
        struct evtchn_send s = { .port = bi.local_port };
        unsigned want[2] = { 0, 1 };
        check_rc(hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&s, 0), 0, "send");
        check(guest_wait_until(port_seen_on, want, WAIT_US), "event on vCPU 0");
        check(upcalls_seen[0] >= 1, "upcall flagged in the registered vcpu_info");
        check(shinfo->vcpu_info[0].evtchn_upcall_pending == 0 &&
              shinfo->vcpu_info[0].evtchn_pending_sel == 0,
              "shared_info's vcpu_info[0] no longer used");
    }
    /* 5. the secondary vCPU */
    if (cpus >= 2) {
        struct evtchn_bind_vcpu bv = { .port = au.port, .vcpu = 1 };
        struct evtchn_send s = { .port = bi.local_port };
        unsigned want[2] = { 1, 1 };
        gic_enable_irq(0, SGI_DONE, sgi_done);
        check_rc(guest_start_vcpu(1, vcpu1_main), 0, "PSCI CPU_ON vCPU 1");
        check(guest_wait_flag(&vcpu1_registered, WAIT_US), "vCPU 1 registered its vcpu_info");
        check(vcpu1_runstate_ok, "vCPU 1's runstate area says running");
        check_rc(hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_vcpu, (uint64_t)&bv, 0), 0,
                 "bind_vcpu to vCPU 1");
        check_rc(hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&s, 0), 0,
                 "send to the port on vCPU 1");
        check(guest_wait_until(port_seen_on, want, WAIT_US), "event on vCPU 1");
        check(port_seen[0] == 1, "not on vCPU 0");
        check(upcalls_seen[1] >= 1, "upcall flagged in vCPU 1's vcpu_info");
    }
    /* 10. vm_assist, runstate, wallclock */
    check_rc(hyp(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag, 0),
             0, "vm_assist(enable, runstate_update_flag)");
    check_rc(register_runstate(VCPUOP_register_runstate_memory_area, 0, (uint64_t)&runstate[0]),
             0, "register_runstate_memory_area by VA");
    {
        /* vwfi=native (granite's default for a vCPU alone on its CPU, as the
         * scenario tells us with the same argument): the WFI does not trap,
         * so the sleep is time running, as on Xen with vwfi=native.  With
         * vwfi=trap granite blocks the vCPU and the runstate says so. */
        char wfi[8] = "trap";
        bool native = guest_arg("vwfi", wfi, sizeof(wfi)) && !strcmp(wfi, "native");
        struct vcpu_runstate_info a = read_runstate(0), b;
        check(a.state == RUNSTATE_running, "runstate says running");
        guest_sleep_us(0, 20000); /* WFI: trapped, granite switches us out and back */
        b = read_runstate(0);
        printf("selftest: xen-abi: runstate: entry %lu -> %lu ns, blocked %lu -> %lu ns\n",
               (unsigned long)a.state_entry_time, (unsigned long)b.state_entry_time,
               (unsigned long)a.time[RUNSTATE_blocked], (unsigned long)b.time[RUNSTATE_blocked]);
        if (native)
            check(b.state == RUNSTATE_running && b.time[RUNSTATE_blocked] == a.time[RUNSTATE_blocked],
                  "runstate says running across a WFI sleep (vwfi=native)");
        else
            check(b.state == RUNSTATE_running && b.state_entry_time > a.state_entry_time &&
                  b.time[RUNSTATE_blocked] > a.time[RUNSTATE_blocked],
                  "runstate advanced across a blocking wait");
        check(!(b.state_entry_time & XEN_RUNSTATE_UPDATE), "no update flag left set");
    }
    check(shinfo->wc_version % 2 == 0, "wallclock version still even");
    check_rc(hyp(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0), 0, "SCHEDOP_yield");
    /* dom0-only and unoffered calls, as Linux tolerates them */
    {
        struct xen_platform_op op = { .cmd = XENPF_settime64,
                                      .interface_version = XENPF_INTERFACE_VERSION };
        check_rc(hyp(__HYPERVISOR_platform_op, (uint64_t)&op, 0, 0), -E_PERM,
                 "platform_op from a domU");
        check_rc(hyp(__HYPERVISOR_physdev_op, 25, 0, 0), -E_NOSYS, "physdev_op");
        /* multicall is offered (core/multicall.c): no entries is nothing to
         * do, an unreadable list is -EFAULT (hostile cases: multicall-hostile) */
        check_rc(hyp(__HYPERVISOR_multicall, 0, 0, 0), 0, "multicall of 0 entries");
        check_rc(hyp(__HYPERVISOR_multicall, 0, 1, 0), -E_FAULT, "multicall at address 0");
    }
    printf("selftest: xen-abi: %s\n", failed ? "FAIL" : "PASS");
    return failed ? 1 : 0;
}

/* --- hostile --------------------------------------------------------------------- */

static int run_hostile(const struct guest_info *gi)
{
    uint64_t base, size, ram_end = gi->ram_base + gi->ram_size;
    uint64_t vpage = gfn_of(vcpu_page);

    if (!grant_window(gi->fdt, &base, &size)) {
        printf("selftest: xen-abi-hostile: no usable /hypervisor node: FAIL\n");
        return 1;
    }
    check_rc(add_to_physmap(XENMAPSPACE_shared_info, 0, gfn_of_addr(base)), 0, "shared_info");
    shinfo = (struct shared_info *)base;
    check_rc(add_to_physmap(XENMAPSPACE_grant_table, 0, gfn_of_addr(base) + 1), 0, "grant frame 0");
    /* register_vcpu_info */
    check_rc(register_vcpu_info(0, vpage, PAGE_SIZE - 8), -E_NXIO, "vcpu_info crossing the page");
    check_rc(register_vcpu_info(0, vpage, 0xfffffff0U), -E_NXIO, "vcpu_info offset 4 GiB");
    check_rc(register_vcpu_info(0, vpage, 4), -E_NXIO, "vcpu_info misaligned");
    check_rc(register_vcpu_info(0, gfn_of_addr(ram_end), 0), -E_INVAL, "vcpu_info past RAM");
    check_rc(register_vcpu_info(0, gfn_of_addr(base), 0), -E_INVAL, "vcpu_info on shared_info");
    check_rc(register_vcpu_info(0, gfn_of_addr(base) + 1, 0), -E_INVAL, "vcpu_info on a grant frame");
    check_rc(register_vcpu_info(0, 0x08000, 0), -E_INVAL, "vcpu_info on the vGIC");
    check_rc(add_to_physmap(XENMAPSPACE_grant_table, 1, gfn_of(frame_page)), 0,
             "grant frame 1 over a RAM page");
    check_rc(register_vcpu_info(0, gfn_of(frame_page), 0), -E_INVAL,
             "vcpu_info on a grant frame placed over RAM");
    check_rc(register_runstate(VCPUOP_register_runstate_phys_area, 0, (uint64_t)frame_page),
             -E_INVAL, "runstate phys area on that grant frame");
    check_rc(register_vcpu_info(0, ~0UL, 0), -E_INVAL, "vcpu_info gfn ~0");
    check_rc(register_vcpu_info(7, vpage, 0), -E_NOENT, "vcpu_info of vCPU 7");
    check_rc(hyp(__HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, 0x10), -E_FAULT,
             "vcpu_info argument unmapped");
    check_rc(hyp(__HYPERVISOR_vcpu_op, 99, 0, 0), -E_INVAL, "vcpu_op 99");
    /* runstate */
    check_rc(register_runstate(VCPUOP_register_runstate_memory_area, 0,
                               (uint64_t)&runstate[0] + 4), -E_INVAL, "runstate misaligned");
    check_rc(register_runstate(VCPUOP_register_runstate_memory_area, 0, 0x10), -E_FAULT,
             "runstate at an unmapped VA");
    check_rc(register_runstate(VCPUOP_register_runstate_memory_area, 0, 0xffff000000000000UL),
             -E_FAULT, "runstate at a kernel-half VA");
    check_rc(register_runstate(VCPUOP_register_runstate_phys_area, 0,
                               (uint64_t)spare_page + PAGE_SIZE - 16), -E_NXIO,
             "runstate phys area crossing a page");
    check_rc(register_runstate(VCPUOP_register_runstate_phys_area, 0, base), -E_INVAL,
             "runstate phys area outside RAM");
    check_rc(register_runstate(VCPUOP_register_runstate_memory_area, 9, (uint64_t)&runstate[0]),
             -E_NOENT, "runstate of vCPU 9");
    /* vm_assist, add_to_physmap */
    check_rc(hyp(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 99, 0), -E_INVAL, "vm_assist type 99");
    check_rc(hyp(__HYPERVISOR_vm_assist, 9, VMASST_TYPE_runstate_update_flag, 0), -E_NOSYS,
             "vm_assist command 9");
    check_rc(add_to_physmap(XENMAPSPACE_shared_info, 0, 0x08000), -E_INVAL,
             "shared_info over the vGIC");
    check_rc(add_to_physmap(XENMAPSPACE_grant_table, 64, gfn_of_addr(base) + 2), -E_INVAL,
             "grant frame 64");
    check_rc(add_to_physmap(7, 0, gfn_of_addr(base) + 2), -E_OPNOTSUPP, "map space 7");
    /* a flood of bad registrations: each answered, the log lines rate-limited */
    unsigned wrong = 0;
    for (unsigned i = 0; i < 2000; i++)
        wrong += register_vcpu_info(0, vpage, PAGE_SIZE - 8 + (i & 7)) != -E_NXIO;
    check(wrong == 0, "2000 bad registrations all refused");
    /* and after all that, the real thing works */
    check_rc(register_vcpu_info(0, vpage, 0), 0, "a good registration");
    check_rc(register_vcpu_info(0, vpage, 0x40), -E_INVAL, "a second registration");
    check_rc(register_runstate(VCPUOP_register_runstate_phys_area, 0, (uint64_t)spare_page), 0,
             "a good runstate phys area");
    check(((struct vcpu_runstate_info *)spare_page)->state == RUNSTATE_running,
          "written through the p2m");
    printf("selftest: xen-abi-hostile: %s\n", failed ? "FAIL" : "PASS");
    return failed ? 1 : 0;
}

int test_xen_abi(const struct guest_info *gi) { return run_xen_abi(gi); }
int test_xen_abi_hostile(const struct guest_info *gi) { return run_hostile(gi); }
