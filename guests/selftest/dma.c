/*
 * dma.c — the selftest guest's DMA tests: dom0 (test=dmaback) points QEMU's
 * edu device at memory and reports what the device actually read or wrote;
 * a domU (test=dmafront) owns the pages being granted, or not granted.
 *
 * Each test prints one outcome a scenario can judge, per the brief's table:
 *   DELIVERED   the device read exactly what the page holds
 *   BLOCKED     the device read nothing (zeros) and granite counted an SMMU
 *               fault against dom0 (the SMMU's own log line names the iova)
 *   CORRUPTED   the device read something else: the wrong memory
 *   BREACH      the device read the domU's page that was never granted
 * `want=<outcome>` makes the guest itself pass or fail on it.
 *
 * mode=own        (back only) DMA from one dom0 buffer into the device and
 *                 back into another: dom0's own memory, by its own address.
 * mode=granted    addr=machine|ipa: the front grants a page (ref 8); the back
 *                 maps it read-only, as netback maps a TX buffer, and has the
 *                 device read it at the machine address (dev_bus_addr, what
 *                 swiotlb-xen would use) or at the IPA it mapped it at
 *                 (host_addr, what an IOMMU-aware dom0 would use).
 * mode=ungranted  the back maps ref 8 to learn its machine address, then has
 *                 the device read the next machine page: the front's secret
 *                 page, never granted.
 * mode=unmap      read the granted page at its machine address, unmap the
 *                 grant, read again: the second read must be blocked, unless
 *                 the IOTLB was never invalidated (iommu_flush=none).
 * mode=reserved   (back only) DMA into the first /reserved-memory region of
 *                 dom0's device tree, then read it with the CPU.
 * mode=features   (back only) what granite tells dom0 about its DMA: the
 *                 XENVER_get_features bits and which device-tree nodes carry
 *                 "granite,dma-iommu-translated".
 * mode=batch      the front grants 64 pages (refs 16..79); the back maps them
 *                 all in one hypercall, then unmaps them in one, and prints how
 *                 many IOTLB invalidations and syncs granite issued for each;
 *                 max_tlbi=N fails either batch that cost more than N
 *                 invalidation commands; probe=ipa|machine has the device read
 *                 the last page before the unmaps and again after them (want=
 *                 judges the second read).
 *
 * Rendezvous as in pv.c: the front grants first, then allocates port 2 for
 * d0; the back binds to it (retrying) and, when done, sends one event.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <libfdt.h>
#include "guest.h"
#include "xen.h"
#include "edu.h"
#include "page.h"
#include <public/granite.h>
#include <public/version.h>
#include <public/features.h>

#define REF_PAGE (GRANT_REF_FIRST_UNRESERVED + 0)
#define REF_BATCH_FIRST (GRANT_REF_FIRST_UNRESERVED + 8)
#define BATCH 64
#define FRONT_PORT 2
#define BIND_TIMEOUT_US 2000000 /* the front is up well within 2 s */
#define FRONT 1
#define BACK 0
#define PROBE_LEN 256            /* bytes the device reads in each test */
#define FILL 0xee                /* what a destination holds before a DMA */
#define FAULT_WAIT_US 200000     /* time for granite to drain the SMMU's event queue */

static const char granted_text[] = "domU page, granted to dom0 for DMA";
static const char secret_text[] = "domU SECRET page, never granted to anyone";

static char mode[16];
static volatile unsigned events;
static evtchn_port_t port;

static void on_event(evtchn_port_t p) { (void)p; events++; }


/* --- front (domU) ------------------------------------------------------------ */

/* Two neighbouring pages in one 2 MiB chunk, so neighbours in machine memory too. */
static uint8_t pair[2][PAGE_SIZE] __attribute__((aligned(2 * PAGE_SIZE)));
static uint8_t many[BATCH][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

int test_dmafront(const struct guest_info *gi)
{
    if (xen_setup(gi->fdt)) {
        printf("dma: front: xen_setup failed: FAIL\n");
        return 1;
    }
    guest_arg("mode", mode, sizeof(mode));
    memcpy(pair[0], granted_text, sizeof(granted_text));
    memcpy(pair[1], secret_text, sizeof(secret_text));
    gnttab_grant(REF_PAGE, BACK, gfn_of(pair[0]), GRANT_READ_ONLY);
    if (!strcmp(mode, "batch"))
        for (unsigned i = 0; i < BATCH; i++) {
            snprintf((char *)many[i], PAGE_SIZE, "batch page %u", i);
            gnttab_grant(REF_BATCH_FIRST + i, BACK, gfn_of(many[i]), GRANT_READ_ONLY);
        }
    if (evtchn_alloc_unbound(BACK, &port) || port != FRONT_PORT) {
        printf("dma: front: alloc_unbound gave port %u: FAIL\n", port);
        return 1;
    }
    evtchn_set_handler(port, on_event);
    printf("dma: front: ref %u (gfn 0x%lx) granted read-only to d0; the next page holds a "
           "secret and is granted to no one\n", REF_PAGE, (unsigned long)gfn_of(pair[0]));
    guest_wait_count(&events, 1, GUEST_WAIT_FOREVER);
    printf("dma: front: the back is done: PASS\n");
    return 0;
}

/* --- back (dom0) ------------------------------------------------------------- */

static struct edu edu;
static uint8_t landing[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t source[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static long granite_stats(struct granite_iommu_stats *s)
{
    memset(s, 0, sizeof(*s));
    return xen_hypercall(__HYPERVISOR_granite_op, GRANITE_OP_iommu_stats, (uint64_t)s, 0, 0, 0);
}

static uint64_t fault_count(void)
{
    struct granite_iommu_stats s;
    return granite_stats(&s) ? 0 : s.faults;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/*
 * Have the device read PROBE_LEN bytes at bus address `bus`, then write them
 * into `landing` (dom0's own page, always reachable), and say what it read.
 */
static const char *device_reads(bus_addr_t bus, const char *expected, const char *secret)
{
    uint64_t faults = fault_count(), t0;

    memset(landing, FILL, sizeof(landing));
    if (edu_dma(&edu, bus, PROBE_LEN, DMA_TO_DEVICE) ||
        edu_dma(&edu, bus_from_ipa(landing), PROBE_LEN, DMA_FROM_DEVICE))
        return "NO-COMPLETION";
    if (!memcmp(landing, expected, strlen(expected) + 1))
        return "DELIVERED";
    if (secret && !memcmp(landing, secret, strlen(secret) + 1))
        return "BREACH";
    if (all_zero(landing, PROBE_LEN)) {
        /* The fault interrupt may reach granite just after the DMA's own. */
        for (t0 = guest_time_us(); guest_time_us() - t0 < FAULT_WAIT_US;)
            if (fault_count() > faults)
                return "BLOCKED";
            else
                guest_sleep_us(0, 10000);
    }
    return "CORRUPTED";
}

static int verdict(const char *what, const char *outcome)
{
    char want[16];

    printf("dma: back: %s: %s\n", what, outcome);
    if (!guest_arg("want", want, sizeof(want)))
        return 0;
    for (char *c = want; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
    bool ok = !strcmp(want, outcome);
    printf("dma: back: wanted %s: %s\n", want, ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

static int bind_to_front(void)
{
    long r = evtchn_bind_interdomain_wait(FRONT, FRONT_PORT, BIND_TIMEOUT_US, &port);

    if (r) {
        printf("dma: back: could not bind to d1's port %u: %ld: FAIL\n", FRONT_PORT, r);
        return -1;
    }
    evtchn_set_handler(port, on_event);
    return 0;
}

static int map_page(uint64_t *host_addr, uint64_t *machine, grant_handle_t *h)
{
    int16_t st;

    *host_addr = xen_map_area();
    st = gnttab_map(FRONT, REF_PAGE, *host_addr, GRANT_READ_ONLY, h, machine);
    printf("dma: back: mapped d1 ref %u read-only at IPA 0x%lx: status %d, dev_bus_addr "
           "(machine address) 0x%lx\n", REF_PAGE, (unsigned long)*host_addr, st,
           (unsigned long)*machine);
    return st == GNTST_okay ? 0 : -1;
}

static int back_own(void)
{
    for (unsigned i = 0; i < PROBE_LEN; i++)
        source[i] = (uint8_t)(i * 7 + 1);
    source[PROBE_LEN - 1] = 0;
    printf("dma: back: own memory: device reads 0x%lx, writes 0x%lx\n",
           (unsigned long)source, (unsigned long)landing);
    return verdict("own memory", device_reads(bus_from_ipa(source), (const char *)source, NULL));
}

static int back_granted(void)
{
    char style[16] = "machine";
    uint64_t host_addr, machine;
    grant_handle_t h;
    char what[96];

    guest_arg("addr", style, sizeof(style));
    if (map_page(&host_addr, &machine, &h))
        return 1;
    bool ipa = !strcmp(style, "ipa");
    bus_addr_t bus = ipa ? bus_from_ipa((void *)host_addr)
                         : bus_from_machine_1to1(machine_of_grant_map(machine, 0));
    snprintf(what, sizeof(what), "granted page read at its %s 0x%lx",
             ipa ? "IPA (host_addr)" : "machine address (dev_bus_addr)",
             (unsigned long)bus_addr(bus));
    int ret = verdict(what, device_reads(bus, granted_text, secret_text));
    return gnttab_unmap(host_addr, h) == GNTST_okay ? ret : 1;
}

static int back_ungranted(void)
{
    uint64_t host_addr, machine;
    grant_handle_t h;
    char what[96];

    if (map_page(&host_addr, &machine, &h))
        return 1;
    printf("dma: back: the device reads the next machine page, 0x%lx, which d1 never granted\n",
           (unsigned long)(machine + PAGE_SIZE));
    snprintf(what, sizeof(what), "ungranted neighbour page read at machine address 0x%lx",
             (unsigned long)(machine + PAGE_SIZE));
    /* deliberately past the grant: the probe of an ungranted page */
    bus_addr_t next = bus_from_machine_1to1(machine_of_grant_map(machine, PAGE_SIZE));
    int ret = verdict(what, device_reads(next, granted_text, secret_text));
    return gnttab_unmap(host_addr, h) == GNTST_okay ? ret : 1;
}

static int back_unmap(void)
{
    uint64_t host_addr, machine;
    grant_handle_t h;
    char what[96];

    if (map_page(&host_addr, &machine, &h))
        return 1;
    bus_addr_t bus = bus_from_machine_1to1(machine_of_grant_map(machine, 0));
    const char *before = device_reads(bus, granted_text, NULL);
    printf("dma: back: while mapped, read at 0x%lx: %s\n", (unsigned long)machine, before);
    if (gnttab_unmap(host_addr, h) != GNTST_okay) {
        printf("dma: back: unmap failed: FAIL\n");
        return 1;
    }
    snprintf(what, sizeof(what), "after unmap, read at 0x%lx", (unsigned long)machine);
    return verdict(what, device_reads(bus, granted_text, NULL)) || strcmp(before, "DELIVERED");
}

static int back_reserved(const struct guest_info *gi)
{
    int parent = fdt_path_offset(gi->fdt, "/reserved-memory"), node, len;
    const fdt32_t *reg;

    node = parent >= 0 ? fdt_first_subnode(gi->fdt, parent) : -1;
    reg = node >= 0 ? fdt_getprop(gi->fdt, node, "reg", &len) : NULL;
    if (!reg || len < 16) {
        printf("dma: back: no /reserved-memory region with a 2-cell reg in my DTB: FAIL\n");
        return 1;
    }
    uint8_t *region = (uint8_t *)(((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1]));
    printf("dma: back: reserved region %s at 0x%lx\n", fdt_get_name(gi->fdt, node, NULL),
           (unsigned long)region);
    snprintf((char *)source, PAGE_SIZE, "written by the device into reserved memory");
    memset(region, FILL, PROBE_LEN);
    uint64_t faults = fault_count();
    /* dom0 is direct-mapped: the reserved region's IPA is its address. */
    if (edu_dma(&edu, bus_from_ipa(source), PROBE_LEN, DMA_TO_DEVICE) ||
        edu_dma(&edu, bus_from_ipa(region), PROBE_LEN, DMA_FROM_DEVICE))
        return verdict("device write into the reserved region", "NO-COMPLETION");
    guest_sleep_us(0, 20000);
    const char *outcome = !memcmp(region, source, PROBE_LEN) ? "DELIVERED"
                          : fault_count() > faults          ? "BLOCKED"
                                                            : "CORRUPTED";
    return verdict("device write into the reserved region", outcome);
}

/* The batch's IOTLB bill against max_tlbi=N (absent: no limit). */
static int within_budget(const char *what, uint64_t tlbi)
{
    char arg[12];

    if (!guest_arg("max_tlbi", arg, sizeof(arg)))
        return 0;
    unsigned long max = strtoul(arg, NULL, 10);
    if (tlbi <= max)
        return 0;
    printf("dma: back: %s: %lu IOTLB invalidations, over the budget of %lu: FAIL\n", what,
           (unsigned long)tlbi, max);
    return 1;
}

static int back_batch(void)
{
    static struct gnttab_map_grant_ref maps[BATCH];
    static struct gnttab_unmap_grant_ref unmaps[BATCH];
    struct granite_iommu_stats s0, s1, s2;
    uint64_t base = xen_map_area();
    bus_addr_t probe_at = { 0 };
    char probe[12] = "", expected[16], what[96];
    const char *before = NULL;
    int fails = 0;

    for (unsigned i = 0; i < BATCH; i++)
        maps[i] = (struct gnttab_map_grant_ref){ .host_addr = base + i * PAGE_SIZE,
                                                 .flags = GNTMAP_host_map | GNTMAP_readonly,
                                                 .ref = REF_BATCH_FIRST + i, .dom = FRONT };
    if (granite_stats(&s0)) {
        printf("dma: back: no IOMMU counters (is the IOMMU on?): FAIL\n");
        return 1;
    }
    if (gnttab_op(GNTTABOP_map_grant_ref, maps, BATCH))
        return 1;
    granite_stats(&s1);
    for (unsigned i = 0; i < BATCH; i++) {
        fails += maps[i].status != GNTST_okay;
        unmaps[i] = (struct gnttab_unmap_grant_ref){ .host_addr = maps[i].host_addr,
                                                     .handle = maps[i].handle };
    }
    printf("dma: back: %u grant maps in one hypercall (%d failed): %lu TLBI, %lu CMD_SYNC, "
           "%lu IOMMU pages mapped\n", BATCH, fails, (unsigned long)(s1.tlbi - s0.tlbi),
           (unsigned long)(s1.syncs - s0.syncs), (unsigned long)(s1.maps - s0.maps));
    fails += within_budget("maps", s1.tlbi - s0.tlbi);
    /* probe=ipa|machine: the device reads the last page of the batch (warming
     * the IOTLB) before the unmaps, and must be refused after them. */
    if (guest_arg("probe", probe, sizeof(probe))) {
        const struct gnttab_map_grant_ref *last = &maps[BATCH - 1];
        probe_at = !strcmp(probe, "machine")
                       ? bus_from_machine_1to1(machine_of_grant_map(last->dev_bus_addr, 0))
                       : bus_from_ipa((void *)last->host_addr);
        snprintf(expected, sizeof(expected), "batch page %u", BATCH - 1);
        before = device_reads(probe_at, expected, NULL);
        printf("dma: back: while mapped, read at 0x%lx: %s\n", (unsigned long)bus_addr(probe_at),
               before);
        granite_stats(&s1); /* the probe's own fault lookups are not the batch's */
    }
    if (gnttab_op(GNTTABOP_unmap_grant_ref, unmaps, BATCH))
        return 1;
    granite_stats(&s2);
    for (unsigned i = 0; i < BATCH; i++)
        fails += unmaps[i].status != GNTST_okay;
    printf("dma: back: %u grant unmaps in one hypercall: %lu TLBI, %lu CMD_SYNC, %lu IOMMU "
           "pages unmapped\n", BATCH, (unsigned long)(s2.tlbi - s1.tlbi),
           (unsigned long)(s2.syncs - s1.syncs), (unsigned long)(s2.unmaps - s1.unmaps));
    fails += within_budget("unmaps", s2.tlbi - s1.tlbi);
    if (before) {
        snprintf(what, sizeof(what), "after the batch unmap, read at 0x%lx",
                 (unsigned long)bus_addr(probe_at));
        fails += verdict(what, device_reads(probe_at, expected, NULL)) ||
                 strcmp(before, "DELIVERED");
    }
    return fails ? 1 : 0;
}

static int back_features(const struct guest_info *gi)
{
    struct xen_feature_info fi = { .submap_idx = 0 };
    char want[8] = "";
    int node = -1, marked = 0;

    xen_hypercall(__HYPERVISOR_xen_version, XENVER_get_features, (uint64_t)&fi, 0, 0, 0);
    bool direct = fi.submap & (1U << XENFEAT_direct_mapped);
    bool translated = fi.submap & (1U << XENFEAT_granite_dom0_dma_translated);
    printf("dma: back: features: direct_mapped=%d granite_dom0_dma_translated=%d\n", direct,
           translated);
    while ((node = fdt_node_offset_by_prop_value(gi->fdt, node, GRANITE_DT_PROP_DMA_TRANSLATED,
                                                 NULL, 0)) >= 0) {
        char path[128];
        if (!fdt_get_path(gi->fdt, node, path, sizeof(path)))
            printf("dma: back: DMA translated by the IOMMU, per my DTB: %s\n", path);
        marked++;
    }
    printf("dma: back: %d device node(s) marked %s\n", marked, GRANITE_DT_PROP_DMA_TRANSLATED);
    guest_arg("want", want, sizeof(want));
    /* The bit and the per-device marks must agree; direct_mapped is always set for dom0. */
    bool on = !strcmp(want, "on");
    return direct && translated == on && (marked > 0) == on ? 0 : 1;
}

static bool needs_front(void)
{
    return strcmp(mode, "own") && strcmp(mode, "reserved") && strcmp(mode, "features");
}

int test_dmaback(const struct guest_info *gi)
{
    int ret;

    if (xen_setup(gi->fdt) || edu_find(gi->fdt, &edu)) {
        printf("dma: back: setup failed: FAIL\n");
        return 1;
    }
    guest_arg("mode", mode, sizeof(mode));
    if (needs_front() && bind_to_front())
        return 1;
    if (!strcmp(mode, "own"))
        ret = back_own();
    else if (!strcmp(mode, "granted"))
        ret = back_granted();
    else if (!strcmp(mode, "ungranted"))
        ret = back_ungranted();
    else if (!strcmp(mode, "unmap"))
        ret = back_unmap();
    else if (!strcmp(mode, "reserved"))
        ret = back_reserved(gi);
    else if (!strcmp(mode, "batch"))
        ret = back_batch();
    else if (!strcmp(mode, "features"))
        ret = back_features(gi);
    else {
        printf("dma: back: unknown mode '%s': FAIL\n", mode);
        return 1;
    }
    xen_hypercall(__HYPERVISOR_granite_op, GRANITE_OP_debug_dump, 0, 0, 0, 0);
    if (needs_front())
        evtchn_send(port);
    printf("dma: back: %s\n", ret ? "FAIL" : "PASS");
    return ret;
}
