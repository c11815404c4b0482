/*
 * death.c — test=death: a multi-vCPU domU dies at a seeded random moment,
 * with a deliberate stage-2 abort from vCPU 0 (granite destroys a domain on
 * it), while its other vCPUs are in the middle of something and dom0 holds a
 * grant mapping of one of its pages and copies from another.
 *
 *   domU:  test=death seed=S case=C
 *   dom0:  test=death role=back
 *
 * Cases (what vCPUs 1..n-1 do while vCPU 0 counts down):
 *   batch    grant batches of 512 self-maps, then their unmaps, and copies
 *   wfi      WFI: vCPU 1 with nothing armed (asleep for good), the others
 *            with the virtual timer armed for a seeded 10..2000 us
 *   cpuoff   PSCI CPU_OFF of themselves and CPU_ON of each other, endlessly
 *   tx       event-channel sends to dom0, which copies from our grant on
 *            each (a netfront's TX, without the network)
 *   mixed    each vCPU one of the above, chosen by the seed
 *
 * The moment: vCPU 0 waits until dom0 has mapped our page (dom0 signals on
 * the channel), then makes a seeded number (0..countdown) of cheap
 * hypercalls, then writes past the end of its RAM.  The seed decides the
 * count and each vCPU's choices (its own PRNG stream), so a failing seed
 * replays the same plan; where in its loop each vCPU is at that moment
 * depends on the interleaving.
 *
 * The back (dom0): binds to our port 2, maps our ref 8 and keeps it, tells
 * us, then copies from ref 9 and answers sends until the channel says the
 * peer is gone (EVTCHNOP_status: unbound) and a copy is refused; it then
 * checks that the page it still maps reads what we wrote, unmaps it, and
 * that a new map of the dead domain's grant is refused.  No clock decides
 * anything: the loop ends on what granite reports.
 *
 * Assumptions: the domU is d1 (domU1), dom0 is d0; refs 8, 9 and port 2 are
 * the convention pv.c uses too (the first port a domU allocates is 2).
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "guest.h"
#include "xen.h"
#include "storm.h"
#include "page.h"
#include <public/xen.h>
#include <public/version.h>
#include <granite/psci.h>

#define REF_MAPPED (GRANT_REF_FIRST_UNRESERVED + 0) /* dom0 maps this one and keeps it */
#define REF_COPIED (GRANT_REF_FIRST_UNRESERVED + 1) /* dom0 copies from this one */
#define REF_SELF (GRANT_REF_FIRST_UNRESERVED + 8)   /* our own, for self-map batches */
#define FRONT_PORT 2
#define FRONT 1
#define BACK 0
#define BATCH 512
#define BIND_TIMEOUT_US 5000000

static const char front_pattern[] = "death: the domU's page";

static uint8_t page_mapped[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t page_copied[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t page_self[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

enum activity { A_BATCH, A_WFI, A_CPUOFF, A_TX, NR_ACTIVITIES };
static const char *const activity_names[] = { "batch", "wfi", "cpuoff", "tx" };

static struct storm_devices dev;
static struct prng rngs[STORM_MAX_VCPUS];
static enum activity what[STORM_MAX_VCPUS];
static volatile unsigned long rounds[STORM_MAX_VCPUS];
static evtchn_port_t port;
static int own_domid;
static uint64_t window;
static struct gnttab_map_grant_ref maps[STORM_MAX_VCPUS][BATCH];
static struct gnttab_unmap_grant_ref unmaps[STORM_MAX_VCPUS][BATCH];

extern char secondary_start[];


/* --- what the other vCPUs are doing when the domain dies ----------------------- */

static void batch_round(unsigned n)
{
    uint64_t base = xen_map_area() + (uint64_t)(64 + n * (BATCH + 8)) * PAGE_SIZE;
    unsigned k = 0;

    for (unsigned i = 0; i < BATCH; i++)
        maps[n][i] = (struct gnttab_map_grant_ref){ .host_addr = base + i * PAGE_SIZE,
                                                     .flags = GNTMAP_host_map,
                                                     .ref = REF_SELF, .dom = DOMID_SELF };
    if (gnttab_op(GNTTABOP_map_grant_ref, maps[n], BATCH))
        return;
    for (unsigned i = 0; i < BATCH; i++)
        if (maps[n][i].status == GNTST_okay)
            unmaps[n][k++] = (struct gnttab_unmap_grant_ref){ .host_addr = maps[n][i].host_addr,
                                                              .handle = maps[n][i].handle };
    if (k)
        gnttab_op(GNTTABOP_unmap_grant_ref, unmaps[n], k);
    struct gnttab_copy c = {
        .source = { .u.ref = REF_SELF, .domid = DOMID_SELF, .offset = 0 },
        .dest = { .u.gmfn = gfn_of(page_copied), .domid = DOMID_SELF, .offset = 64 },
        .len = 64, .flags = GNTCOPY_source_gref,
    };
    gnttab_op(GNTTABOP_copy, &c, 1);
}

static void wfi_round(unsigned n)
{
    if (n == 1) { /* nothing armed: only the domain's end takes this vCPU out */
        vtimer_stop();
        for (;;) {
            wait_for_interrupt();
            storm_drain_irqs();
        }
    }
    storm_timed_wfi(&dev, n, 10 + prng_below(&rngs[n], 1990));
}

static void cpuoff_round(unsigned n)
{
    unsigned peer = 1 + prng_below(&rngs[n], dev.nr_vcpus - 1);

    smccc_hvc(PSCI_0_2_FN64_CPU_ON, peer, (uint64_t)secondary_start, peer);
    if (prng_below(&rngs[n], 2))
        smccc_hvc(PSCI_0_2_FN_CPU_OFF, 0, 0, 0); /* back at death_vcpu_main when switched on */
}

static void tx_round(unsigned n)
{
    evtchn_send(port);
    if (prng_below(&rngs[n], 4) == 0)
        storm_timed_wfi(&dev, n, 20);
}

static void death_vcpu_main(unsigned n)
{
    irq_disable_local();
    for (;;) {
        rounds[n]++;
        switch (what[n]) {
        case A_BATCH: batch_round(n); break;
        case A_WFI: wfi_round(n); break;
        case A_CPUOFF: cpuoff_round(n); break;
        default: tx_round(n); break;
        }
    }
}

/* --- the front: the domU that dies ------------------------------------------------ */

static bool event_pending(evtchn_port_t p)
{
    struct shared_info *si = xen_shared_info();
    return (__atomic_load_n(&si->evtchn_pending[p / 64], __ATOMIC_SEQ_CST) >> (p % 64)) & 1;
}

static int front(const struct guest_info *gi)
{
    uint64_t seed = storm_arg_seed(1);
    unsigned countdown = storm_arg_uint("countdown", 20000), count;
    char c[16] = "mixed";

    printf("death: seed 0x%lx\n", (unsigned long)seed);
    guest_arg("case", c, sizeof(c));
    if (storm_find_devices(gi, &dev) || xen_setup(gi->fdt) || dev.nr_vcpus < 2) {
        printf("death: need Xen interfaces and at least 2 vCPUs: FAIL\n");
        return 1;
    }
    window = xen_map_area() - 2 * PAGE_SIZE;
    own_domid = storm_own_domid(gfn_of(page_self), xen_map_area());
    memcpy(page_mapped, front_pattern, sizeof(front_pattern));
    memcpy(page_self, front_pattern, sizeof(front_pattern));
    gnttab_grant(REF_MAPPED, BACK, gfn_of(page_mapped), GRANT_READ_WRITE);
    gnttab_grant(REF_COPIED, BACK, gfn_of(page_copied), GRANT_READ_ONLY);
    gnttab_grant(REF_SELF, (domid_t)own_domid, gfn_of(page_self), GRANT_READ_WRITE);
    if (evtchn_alloc_unbound(BACK, &port) || port != FRONT_PORT) {
        printf("death: alloc_unbound gave port %u: FAIL\n", port);
        return 1;
    }
    for (unsigned k = 0; k < dev.nr_vcpus; k++)
        prng_seed(&rngs[k], seed, k);
    count = prng_below(&rngs[0], countdown + 1);
    for (unsigned k = 1; k < dev.nr_vcpus; k++) {
        enum activity a = NR_ACTIVITIES;
        for (unsigned i = 0; i < NR_ACTIVITIES; i++)
            if (!strcmp(c, activity_names[i]))
                a = (enum activity)i;
        what[k] = a != NR_ACTIVITIES ? a : (enum activity)prng_below(&rngs[k], NR_ACTIVITIES);
        printf("death: vCPU %u: %s\n", k, activity_names[what[k]]);
    }
    printf("death: d%d, %u vCPUs, case %s, dying %u hypercalls after d0 maps my page\n",
           own_domid, dev.nr_vcpus, c, count);
    irq_disable_local();
    while (!event_pending(port)) /* d0 has mapped ref 8 when it sends */
        storm_timed_wfi(&dev, 0, 1000);
    for (unsigned k = 1; k < dev.nr_vcpus; k++)
        guest_start_vcpu(k, death_vcpu_main);
    for (unsigned i = 0; i < count; i++)
        xen_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    printf("death: now; rounds of vCPUs 1-3 so far: %lu %lu %lu\n", rounds[1], rounds[2], rounds[3]);
    fflush(stdout);
    *(volatile uint32_t *)(gi->ram_base + gi->ram_size + PAGE_SIZE) = 0xdead;
    printf("death: the write past my RAM went through: FAIL\n");
    return 1;
}

/* --- the back: dom0, holding a mapping of the dying domain's page ----------------- */

static uint32_t port_status(evtchn_port_t p)
{
    struct evtchn_status es = { .dom = DOMID_SELF, .port = p };
    long r = xen_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_status, (uint64_t)&es, 0, 0, 0);
    return r ? 0xffffffffU : es.status;
}

static int back(void)
{
    static uint8_t local[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    uint64_t va = xen_map_area(), dba;
    unsigned long copies = 0, refused = 0;
    grant_handle_t h;
    int16_t st, last = GNTST_okay;

    if (evtchn_bind_interdomain_wait(FRONT, FRONT_PORT, BIND_TIMEOUT_US, &port)) {
        printf("death: back: cannot bind to d1's port %u: FAIL\n", FRONT_PORT);
        return 1;
    }
    st = gnttab_map(FRONT, REF_MAPPED, va, GRANT_READ_WRITE, &h, &dba);
    if (st != GNTST_okay) {
        printf("death: back: map of d1 ref %u: %d: FAIL\n", REF_MAPPED, st);
        return 1;
    }
    evtchn_send(port);
    printf("death: back: holding d1's ref %u at 0x%lx, copying from ref %u until d1 is gone\n",
           REF_MAPPED, (unsigned long)va, REF_COPIED);
    for (;;) {
        struct gnttab_copy c = {
            .source = { .u.ref = REF_COPIED, .domid = FRONT, .offset = 0 },
            .dest = { .u.gmfn = gfn_of(local), .domid = DOMID_SELF, .offset = 0 },
            .len = 128, .flags = GNTCOPY_source_gref,
        };
        long r = gnttab_op(GNTTABOP_copy, &c, 1);
        last = r ? GNTST_general_error : c.status;
        if (last == GNTST_okay)
            copies++;
        else
            refused++;
        if (port_status(port) == EVTCHNSTAT_unbound && last != GNTST_okay)
            break;
        evtchn_send(port);
    }
    printf("death: back: d1 is gone: %lu copies done, then %lu refused (last status %d)\n", copies,
           refused, last);
    bool readable = !memcmp((void *)va, front_pattern, sizeof(front_pattern));
    printf("death: back: the page I still map reads %s\n", readable ? "the domU's pattern" : "WRONG");
    int16_t un = gnttab_unmap(va, h);
    int16_t again = gnttab_map(FRONT, REF_MAPPED, va, GRANT_READ_WRITE, &h, &dba);
    printf("death: back: unmap: %d, a new map of the dead domain's grant: %d\n", un, again);
    bool ok = readable && un == GNTST_okay && again != GNTST_okay;
    printf("death: back: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

int test_death(const struct guest_info *gi)
{
    char role[8] = "front";

    guest_arg("role", role, sizeof(role));
    if (!strcmp(role, "back")) {
        if (xen_setup(gi->fdt)) {
            printf("death: back: xen_setup failed: FAIL\n");
            return 1;
        }
        return back();
    }
    return front(gi);
}
