/*
 * hostile.c — the network domU as a resource hog, for the quota-starvation
 * scenario: it takes as much of every shared resource as the system lets
 * it, says what it got and what refused it, then idles until switched off.
 * The point is that other domains keep working: what it takes must come
 * out of its own quotas, never theirs.
 *
 * Argument hostile=WHAT (WHAT a comma-separated list; hostile=1 is main.c's
 * malformed-TX mode and is not handled here):
 *   xenstore   watches, transactions (left open) and nodes, until refused;
 *   grants     grants its own pages to itself and maps them (self-maps,
 *              GNTTABOP_map_grant_ref with DOMID_SELF), one page each, then
 *              maps one grant again and again, until refused or out of room;
 *   evtchn     allocates unbound event channels for dom0 until refused;
 *   all        all three;
 *   multicall  bad multicalls, each checked (hostile_mc.c; not part of all).
 * Output: "hostile: <what>: <n> ... then <error>" per resource, then
 * "hostile: done, idling".  Never connects its vif: a hog needs no network.
 *
 * Assumptions: xenbus_init() has been done (main.c does it before calling
 * hostile_run()); dom0's toolstack writes device/vif/0/backend
 * ("/local/domain/0/backend/vif/<our id>/0"), which is how we learn our own
 * domain id for the grants' "to" field; the grant table's frame 0 (refs up
 * to GRANT_REFS - 1) is all of our table we use; every loop is bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "xenbus.h"
#include "hostile.h"
#include "page.h"
#include <public/grant_table.h>

#define GRANT_REFS 512          /* v1 entries in grant frame 0 */
/* Raw refs, deliberately: a hog has no netfront and takes the allocator's place. */
#define FIRST_REF (GRANT_REF_FIRST_UNRESERVED + 8)
#define SELF_PAGES (GRANT_REFS - FIRST_REF)
#define MAX_TRIES 4096          /* bound on any grab loop */
#define BACKEND_WAIT_US 5000000 /* for dom0's toolstack to write our vif keys */
#define HOSTILE_XENSTORE 1u
#define HOSTILE_GRANTS 2u
#define HOSTILE_EVTCHN 4u
#define HOSTILE_MULTICALL 8u

/* Distinct pages to pin, one per grant. */
static uint8_t self_pages[SELF_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* hostile=... as a mask of HOSTILE_*; 0 if absent or main.c's "1". */
static unsigned hostile_mask(void)
{
    char buf[48];
    unsigned mask = 0;

    if (!guest_arg("hostile", buf, sizeof(buf)))
        return 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (!strcmp(tok, "xenstore"))
            mask |= HOSTILE_XENSTORE;
        else if (!strcmp(tok, "grants"))
            mask |= HOSTILE_GRANTS;
        else if (!strcmp(tok, "evtchn"))
            mask |= HOSTILE_EVTCHN;
        else if (!strcmp(tok, "multicall"))
            mask |= HOSTILE_MULTICALL;
        else if (!strcmp(tok, "all"))
            mask |= HOSTILE_XENSTORE | HOSTILE_GRANTS | HOSTILE_EVTCHN;
    }
    return mask;
}

bool hostile_wanted(void) { return hostile_mask() != 0; }

static void report(const char *what, unsigned got, int err)
{
    printf("hostile: %s: %u, then %s (%d)\n", what, got,
           err ? xenbus_last_error() : "no refusal (bound reached)", err);
}

static void grab_xenstore(void)
{
    char path[48], tok[16], ev_path[64], ev_tok[16];
    xenbus_transaction_t t;
    unsigned n;
    int r = 0;

    for (n = 0; n < MAX_TRIES && !r; n += !r) {
        snprintf(path, sizeof(path), "hog/w%u", n);
        snprintf(tok, sizeof(tok), "h%u", n);
        r = xenbus_watch(path, tok);
        /* take the registration's immediate event: the client's queue is small */
        if (!r)
            xenbus_wait_watch(ev_path, sizeof(ev_path), ev_tok, sizeof(ev_tok), 0);
    }
    report("xenstore watches", n, r);
    for (n = 0, r = 0; n < MAX_TRIES && !r; n += !r)
        r = xenbus_transaction_start(&t); /* left open: a hog never ends them */
    report("xenstore transactions", n, r);
    for (n = 0, r = 0; n < MAX_TRIES && !r; n += !r) {
        snprintf(path, sizeof(path), "hog/n%u", n);
        r = xenbus_write(XBT_NIL, path, "x");
    }
    report("xenstore nodes", n, r);
}

/* Our domain id, from the backend path dom0 writes for our vif. */
static int own_domid(domid_t *id)
{
    char val[80];
    const char *p, *pre = "/local/domain/0/backend/vif/";
    uint64_t deadline = guest_time_us() + BACKEND_WAIT_US;

    while (xenbus_read(XBT_NIL, "device/vif/0/backend", val, sizeof(val)) < 0) {
        if (guest_time_us() >= deadline)
            return -ETIMEDOUT;
        guest_sleep_us(0, 10000);
    }
    if (strncmp(val, pre, strlen(pre)))
        return -EINVAL;
    p = val + strlen(pre);
    if (*p < '0' || *p > '9')
        return -EINVAL;
    *id = (domid_t)atoi(p);
    return 0;
}

static void grab_grants(void)
{
    uint64_t va = xen_map_area(), end = va + xen_map_area_size(), dba;
    grant_handle_t h;
    unsigned n, again;
    int16_t st = GNTST_okay;
    domid_t self;
    int e = own_domid(&self);

    if (e) {
        printf("hostile: grants: own domain id unknown (%d): skipped\n", e);
        return;
    }
    /* one distinct page per grant: each self-map pins a new machine page */
    for (n = 0; n < SELF_PAGES && va + PAGE_SIZE <= end; n++, va += PAGE_SIZE) {
        grant_ref_t ref = FIRST_REF + n;
        gnttab_grant(ref, self, gfn_of(self_pages[n]), GRANT_READ_WRITE);
        st = gnttab_map(DOMID_SELF, ref, va, GRANT_READ_WRITE, &h, &dba);
        if (st != GNTST_okay)
            break;
    }
    printf("hostile: grant self-maps of distinct pages: %u, then status %d%s\n", n, st,
           st == GNTST_okay ? (va + PAGE_SIZE > end ? " (grant window full)" : " (grant refs used up)")
                            : "");
    /* the same grant again and again: map handles, not pins */
    for (again = 0, st = GNTST_okay; again < MAX_TRIES && va + PAGE_SIZE <= end && n; va += PAGE_SIZE) {
        st = gnttab_map(DOMID_SELF, FIRST_REF, va, GRANT_READ_WRITE, &h, &dba);
        if (st != GNTST_okay)
            break;
        again++;
    }
    printf("hostile: repeated self-maps of one grant: %u, then status %d%s\n", again, st,
           st == GNTST_okay ? " (grant window full)" : "");
}

static void grab_evtchns(void)
{
    evtchn_port_t port;
    unsigned n;
    long r = 0;

    for (n = 0; n < MAX_TRIES && !r; n += !r)
        r = evtchn_alloc_unbound(0, &port);
    printf("hostile: unbound event channels: %u, then %ld%s\n", n, r,
           r ? "" : " (bound reached)");
}

/* Masked WFI, handlers in a short open window (guest_sleep_us's pattern):
 * interrupts that arrive are taken, nothing spins. */
static void __attribute__((noreturn)) idle_forever(void)
{
    irq_disable_local();
    for (;;) {
        wait_for_interrupt();
        irq_enable_local();
        __asm__ volatile("isb" ::: "memory");
        irq_disable_local();
    }
}

int hostile_run(void)
{
    unsigned mask = hostile_mask();

    printf("hostile: taking all I can (%s%s%s)\n", mask & HOSTILE_XENSTORE ? "xenstore " : "",
           mask & HOSTILE_GRANTS ? "grants " : "", mask & HOSTILE_EVTCHN ? "evtchn" : "");
    if (mask & HOSTILE_XENSTORE)
        grab_xenstore();
    if (mask & HOSTILE_GRANTS)
        grab_grants();
    if (mask & HOSTILE_EVTCHN)
        grab_evtchns();
    if (mask & HOSTILE_MULTICALL)
        hostile_multicall();
    printf("hostile: done, idling\n");
    idle_forever();
}
