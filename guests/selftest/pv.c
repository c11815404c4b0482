/*
 * pv.c — the selftest guest's Xen PV tests: grants and event channels between
 * dom0 (the "back" end, test=pvback) and a domU (the "front", test=pvfront).
 *
 * Until xenstore exists (the PV networking issue), the two ends meet by
 * convention: the front fills its grant entries first (refs 8, 9, 10), then
 * allocates an unbound event channel for d0 — the first port it allocates, so
 * port 2, granite having given port 1 to the xenstore ring — and the back
 * retries EVTCHNOP_bind_interdomain(d1, port 2) until the
 * front is ready.
 *
 * mode=grant     back maps ref 8 rw and ref 9 ro, reads the front's pattern,
 *                writes its own, is refused a writable map of ref 9, copies
 *                both ways with odd offsets, measures map+unmap pairs per
 *                second; the front then checks what the back wrote.
 * mode=ping      rounds=N event-channel round trips, counted on both sides.
 * mode=bad       the back tries a table of bad grant operations, each with the
 *                error Xen would give.
 * mode=die       the front dies while the back holds a mapping of its page;
 *                the back keeps working, the page outlives its owner until
 *                unmapped.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "guest.h"
#include "xen.h"
#include "page.h"

#define REF_RW (GRANT_REF_FIRST_UNRESERVED + 0)
#define REF_RO (GRANT_REF_FIRST_UNRESERVED + 1)
#define REF_COPY (GRANT_REF_FIRST_UNRESERVED + 2)
#define FRONT_PORT 2
#define BIND_TIMEOUT_US 2000000 /* the front is up well within 2 s */
#define FRONT 1
#define BACK 0

static uint8_t page_rw[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t page_ro[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t page_copy[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t local[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static const char front_pattern[] = "written by the front end, domU";
static const char back_pattern[] = "written by the back end, dom0";

static volatile unsigned events;
static evtchn_port_t port;

static void on_event(evtchn_port_t p) { (void)p; events++; }

static void wait_events(unsigned n) { guest_wait_count(&events, n, GUEST_WAIT_FOREVER); }


static char mode[16];

/* --- front (domU) ------------------------------------------------------------ */

static void on_ping(evtchn_port_t p)
{
    events++;
    evtchn_send(p); /* pong */
}

int test_pvfront(const struct guest_info *gi)
{
    unsigned rounds = 0;
    char buf[16];

    if (xen_setup(gi->fdt)) {
        printf("pv: front: xen_setup failed: FAIL\n");
        return 1;
    }
    guest_arg("mode", mode, sizeof(mode));
    if (guest_arg("rounds", buf, sizeof(buf)))
        rounds = (unsigned)atoi(buf);
    memcpy(page_rw, front_pattern, sizeof(front_pattern));
    memcpy(page_ro, front_pattern, sizeof(front_pattern));
    gnttab_grant(REF_RW, BACK, gfn_of(page_rw), GRANT_READ_WRITE);
    gnttab_grant(REF_RO, BACK, gfn_of(page_ro), GRANT_READ_ONLY);
    gnttab_grant(REF_COPY, BACK, gfn_of(page_copy), GRANT_READ_WRITE);
    if (evtchn_alloc_unbound(BACK, &port) || port != FRONT_PORT) {
        printf("pv: front: alloc_unbound gave port %u: FAIL\n", port);
        return 1;
    }
    evtchn_set_handler(port, strcmp(mode, "ping") ? on_event : on_ping);
    printf("pv: front: grants %u (rw, gfn 0x%lx) %u (ro) %u (copy) for d0, port %u\n", REF_RW,
           (unsigned long)gfn_of(page_rw), REF_RO, REF_COPY, port);
    if (!strcmp(mode, "ping")) {
        wait_events(rounds);
        printf("pv: front: answered %u events\n", events);
        printf("pv: front: PASS\n");
        return 0;
    }
    wait_events(1);
    if (!strcmp(mode, "die")) {
        printf("pv: front: dying now, with d0 holding a mapping of my page\n");
        guest_exit(false);
    }
    if (!strcmp(mode, "grant")) {
        bool rw_ok = !memcmp(page_rw, back_pattern, sizeof(back_pattern));
        bool copy_ok = !memcmp(page_copy + 3, back_pattern, sizeof(back_pattern));
        printf("pv: front: the back's write %s, its copy at offset 3 %s\n",
               rw_ok ? "arrived" : "MISSING", copy_ok ? "arrived" : "MISSING");
        printf("pv: front: %s\n", rw_ok && copy_ok ? "PASS" : "FAIL");
        return rw_ok && copy_ok ? 0 : 1;
    }
    printf("pv: front: PASS\n");
    return 0;
}

/* --- back (dom0) ------------------------------------------------------------- */

static int bind_to_front(void)
{
    long r = evtchn_bind_interdomain_wait(FRONT, FRONT_PORT, BIND_TIMEOUT_US, &port);

    if (r) {
        printf("pv: back: could not bind to d1's port %u: %ld: FAIL\n", FRONT_PORT, r);
        return 1;
    }
    evtchn_set_handler(port, on_event);
    printf("pv: back: bound local port %u to d1 port %u\n", port, FRONT_PORT);
    return 0;
}

static int16_t copy_op(struct gnttab_copy *op)
{
    long r = gnttab_op(GNTTABOP_copy, op, 1);
    return r ? GNTST_general_error : op->status;
}

static int back_grant(void)
{
    uint64_t va_rw = xen_map_area(), va_ro = va_rw + PAGE_SIZE, dba_rw, dba_ro, t0, t1;
    grant_handle_t h_rw, h_ro, h;
    int16_t st;
    int fails = 0;

    st = gnttab_map(FRONT, REF_RW, va_rw, GRANT_READ_WRITE, &h_rw, &dba_rw);
    printf("pv: back: map d1 ref %u rw at 0x%lx: status %d, dev_bus_addr 0x%lx\n", REF_RW,
           (unsigned long)va_rw, st, (unsigned long)dba_rw);
    fails += st != GNTST_okay;
    if (st == GNTST_okay) {
        bool same = !memcmp((void *)va_rw, front_pattern, sizeof(front_pattern));
        printf("pv: back: read through the mapping: \"%s\" (%s)\n", (char *)va_rw,
               same ? "the front's pattern" : "WRONG");
        fails += !same;
        memcpy((void *)va_rw, back_pattern, sizeof(back_pattern));
    }
    st = gnttab_map(FRONT, REF_RO, va_ro, GRANT_READ_ONLY, &h_ro, &dba_ro);
    printf("pv: back: map d1 ref %u ro: status %d, reads \"%s\"\n", REF_RO, st,
           st == GNTST_okay ? (char *)va_ro : "");
    fails += st != GNTST_okay;
    st = gnttab_map(FRONT, REF_RO, va_ro + PAGE_SIZE, GRANT_READ_WRITE, &h, &dba_ro);
    printf("pv: back: writable map of read-only ref %u: status %d (want %d, permission_denied)\n",
           REF_RO, st, GNTST_permission_denied);
    fails += st != GNTST_permission_denied;

    /* copy: my page -> the front's ref 10 at offset 3; the front's ref 8 at 7 -> my page */
    memcpy(local, back_pattern, sizeof(back_pattern));
    struct gnttab_copy c1 = { .source = { .u.gmfn = gfn_of(local), .domid = DOMID_SELF, .offset = 0 },
                              .dest = { .u.ref = REF_COPY, .domid = FRONT, .offset = 3 },
                              .len = sizeof(back_pattern), .flags = GNTCOPY_dest_gref };
    st = copy_op(&c1);
    printf("pv: back: copy to d1 ref %u offset 3: status %d\n", REF_COPY, st);
    fails += st != GNTST_okay;
    struct gnttab_copy c2 = { .source = { .u.ref = REF_RO, .domid = FRONT, .offset = 7 },
                              .dest = { .u.gmfn = gfn_of(local), .domid = DOMID_SELF, .offset = 1001 },
                              .len = 20, .flags = GNTCOPY_source_gref };
    st = copy_op(&c2);
    bool copied = st == GNTST_okay && !memcmp(local + 1001, front_pattern + 7, 20);
    printf("pv: back: copy from d1 ref %u offset 7 to offset 1001: status %d, %s\n", REF_RO, st,
           copied ? "bytes match" : "WRONG");
    fails += !copied;

    fails += gnttab_unmap(va_ro, h_ro) != GNTST_okay;
    fails += gnttab_unmap(va_rw, h_rw) != GNTST_okay;

    /* speed: map + unmap pairs */
    unsigned pairs = 1000;
    t0 = guest_time_us();
    for (unsigned i = 0; i < pairs; i++) {
        if (gnttab_map(FRONT, REF_RW, va_rw, GRANT_READ_WRITE, &h, &dba_rw) != GNTST_okay ||
            gnttab_unmap(va_rw, h) != GNTST_okay) {
            fails++;
            break;
        }
    }
    t1 = guest_time_us();
    printf("pv: back: %u map+unmap pairs in %lu ms: %lu pairs/s\n", pairs,
           (unsigned long)((t1 - t0) / 1000), (unsigned long)(pairs * 1000000UL / (t1 - t0 + 1)));
    evtchn_send(port);
    printf("pv: back: %s\n", fails ? "FAIL" : "PASS");
    return fails ? 1 : 0;
}

static int back_ping(unsigned rounds)
{
    uint64_t t0, t1;

    /* Binding made our port pending (granite does as Xen: "so the guest looks
     * once"): take that notification before counting, or round 1 counts it as
     * its pong, every round after ends one pong early, and the front, whose
     * pings then merge, waits for ever for its last one. */
    guest_wait_count(&events, 1, BIND_TIMEOUT_US);
    events = 0;
    t0 = guest_time_us();
    for (unsigned i = 0; i < rounds; i++) {
        unsigned want = events + 1;
        evtchn_send(port);
        wait_events(want);
    }
    t1 = guest_time_us();
    printf("pv: back: %u event round trips in %lu ms: %lu round trips/s, none lost\n", rounds,
           (unsigned long)((t1 - t0) / 1000),
           (unsigned long)(rounds * 1000000UL / (t1 - t0 + 1)));
    printf("pv: back: PASS\n");
    return 0;
}

struct bad_case {
    const char *what;
    int16_t got, want;
};

static int back_bad(void)
{
    uint64_t va = xen_map_area(), dba;
    grant_handle_t h, good;
    const enum grant_access rw = GRANT_READ_WRITE; /* every case asks for a writable map */
    struct bad_case c[16];
    unsigned n = 0;
    int fails = 0;

#define CASE(w, g, x) c[n++] = (struct bad_case){ w, (int16_t)(g), (int16_t)(x) }
    CASE("map of ref 5000 (beyond the table)", gnttab_map(FRONT, 5000, va, rw, &h, &dba),
         GNTST_bad_gntref);
    CASE("map of ref 20 (not granted)", gnttab_map(FRONT, 20, va, rw, &h, &dba),
         GNTST_permission_denied);
    CASE("map from domain 7 (none)", gnttab_map(7, REF_RW, va, rw, &h, &dba),
         GNTST_bad_domain);
    CASE("writable map of a read-only grant", gnttab_map(FRONT, REF_RO, va, rw, &h, &dba),
         GNTST_permission_denied);
    CASE("host_addr outside the grant window", gnttab_map(FRONT, REF_RW, 0x1000, rw, &h, &dba),
         GNTST_bad_virt_addr);
    CASE("unaligned host_addr", gnttab_map(FRONT, REF_RW, va + 8, rw, &h, &dba),
         GNTST_bad_virt_addr);
    CASE("map of my own grant", gnttab_map(BACK, REF_RW, va, rw, &h, &dba),
         GNTST_permission_denied);
    CASE("good map (for the unmap cases)", gnttab_map(FRONT, REF_RW, va, rw, &good, &dba),
         GNTST_okay);
    CASE("unmap with a handle never given", gnttab_unmap(va, 777), GNTST_bad_handle);
    CASE("unmap with the wrong host_addr", gnttab_unmap(va + PAGE_SIZE, good), GNTST_bad_virt_addr);
    CASE("first unmap", gnttab_unmap(va, good), GNTST_okay);
    CASE("double unmap", gnttab_unmap(va, good), GNTST_bad_handle);
    struct gnttab_copy past = { .source = { .u.gmfn = gfn_of(local), .domid = DOMID_SELF, .offset = 4000 },
                                .dest = { .u.ref = REF_COPY, .domid = FRONT, .offset = 0 },
                                .len = 200, .flags = GNTCOPY_dest_gref };
    CASE("copy past the end of a page", copy_op(&past), GNTST_bad_copy_arg);
    struct gnttab_map_grant_ref dev = { .host_addr = va, .ref = REF_RW, .dom = FRONT,
                                        .flags = GNTMAP_host_map | GNTMAP_device_map };
    gnttab_op(GNTTABOP_map_grant_ref, &dev, 1);
    CASE("map with GNTMAP_device_map", dev.status, GNTST_general_error);
    for (unsigned i = 0; i < n; i++) {
        bool ok = c[i].got == c[i].want;
        printf("pv: bad: %-40s -> %d (want %d) %s\n", c[i].what, c[i].got, c[i].want,
               ok ? "ok" : "WRONG");
        fails += !ok;
    }
    long r = gnttab_op(GNTTABOP_map_grant_ref, &dev, 100000);
    printf("pv: bad: %-40s -> %ld (want %d) %s\n", "batch of 100000 ops", r, -22,
           r == -22 ? "ok" : "WRONG");
    fails += r != -22;
    r = gnttab_op(GNTTABOP_map_grant_ref, (void *)0x7f000000UL, 1);
    printf("pv: bad: %-40s -> %ld (want %d) %s\n", "op array at an unmapped address", r, -14,
           r == -14 ? "ok" : "WRONG");
    fails += r != -14;
    r = gnttab_op(GNTTABOP_map_grant_ref, (uint8_t *)&dev + 1, 1);
    printf("pv: bad: %-40s -> %ld (want %d) %s\n", "op array misaligned", r, -14,
           r == -14 ? "ok" : "WRONG");
    fails += r != -14;
    r = gnttab_op(99, &dev, 1);
    printf("pv: bad: %-40s -> %ld (want %d) %s\n", "unknown grant op 99", r, -38,
           r == -38 ? "ok" : "WRONG");
    fails += r != -38;
    evtchn_send(port);
    printf("pv: back: bad: %s (%d wrong)\n", fails ? "FAIL" : "PASS", fails);
    return fails ? 1 : 0;
}

static int back_die(void)
{
    uint64_t va = xen_map_area(), dba;
    grant_handle_t h;
    int16_t st = gnttab_map(FRONT, REF_RW, va, GRANT_READ_WRITE, &h, &dba);

    if (st != GNTST_okay) {
        printf("pv: back: die: map failed %d: FAIL\n", st);
        return 1;
    }
    evtchn_send(port); /* the front dies on this */
    guest_sleep_us(0, 300000);
    printf("pv: back: d1 is gone; its page, still mapped, reads \"%s\"\n", (char *)va);
    bool readable = !memcmp((void *)va, front_pattern, sizeof(front_pattern));
    st = gnttab_unmap(va, h);
    printf("pv: back: unmap after the granter died: status %d\n", st);
    long r = evtchn_send(port);
    struct evtchn_status es = { .dom = DOMID_SELF, .port = port };
    long rs = xen_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_status, (uint64_t)&es, 0, 0, 0);
    printf("pv: back: send on the dead peer's channel: %ld (dropped, as on Xen); the port is now "
           "%s\n", r, rs == 0 && es.status == EVTCHNSTAT_unbound ? "unbound" : "STILL BOUND");
    int16_t again = gnttab_map(FRONT, REF_RW, va, GRANT_READ_WRITE, &h, &dba);
    printf("pv: back: map from the dead domain: status %d\n", again);
    bool ok = readable && st == GNTST_okay && rs == 0 && es.status == EVTCHNSTAT_unbound &&
              again != GNTST_okay;
    printf("pv: back: die: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

int test_pvback(const struct guest_info *gi)
{
    char buf[16];
    unsigned rounds = guest_arg("rounds", buf, sizeof(buf)) ? (unsigned)atoi(buf) : 1000;

    if (xen_setup(gi->fdt)) {
        printf("pv: back: xen_setup failed: FAIL\n");
        return 1;
    }
    guest_arg("mode", mode, sizeof(mode));
    if (bind_to_front())
        return 1;
    if (!strcmp(mode, "grant"))
        return back_grant();
    if (!strcmp(mode, "ping"))
        return back_ping(rounds);
    if (!strcmp(mode, "bad"))
        return back_bad();
    if (!strcmp(mode, "die"))
        return back_die();
    printf("pv: back: unknown mode '%s': FAIL\n", mode);
    return 1;
}
