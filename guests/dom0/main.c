/*
 * main.c — the network dom0: plays the part Linux dom0 plays on Xen, in
 * miniature.  Modes (net=...):
 *
 *   net=backend   (default) owns the PCIe host bridge and its e1000: the
 *                 xenstore service for every other domain
 *                 (xenstore_service.c), the toolstack writes that create
 *                 one vif per domU (toolstack.c), and the PV network
 *                 backend that bridges each vif to the e1000 (netback.c).
 *                 end=vifs-closed: end once every vif is closed and its domU
 *                 has ended (default: serve forever).
 *   net=store backend=<domain name>
 *                 no NIC, no PCI: only the xenstore service and the
 *                 toolstack; every vif's backend lives in the named domain
 *                 (a driver domain that owns the NIC).  When a frontend
 *                 domain ends, its vif's directories are removed.
 *                 end=vifs-closed: end once every frontend domain has ended
 *                 and the backend domain has ended too (it needs xenstore
 *                 until it has seen its last vif go).
 *   net=baseline  no domU involved: dom0 alone answers ping and UDP echo on
 *                 the e1000 (baseline.c) — the reference for `make bench`.
 * Common options: dma=swiotlb-xen|direct|auto (guests/lib/dma.h).
 *
 * The parts are handlers of one event loop (guests/lib/event_loop.h); the
 * loop is the only place dom0 sleeps.
 */
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "event_loop.h"
#include "xenstore.h"
#include "net_dom0.h"

/*
 * Ended domains are noticed through VIRQ_DOM_EXC, which granite raises for
 * the hardware domain whenever another domain ends (as Xen does for its
 * toolstack): dom0 asks about each domain only then, never on a timer.
 */
static int on_domain_exit(el_fn fn, const char *who)
{
    evtchn_port_t port;
    struct el_source *s;
    long r = evtchn_bind_virq(VIRQ_DOM_EXC, &port);

    if (r) {
        printf("%s: cannot bind VIRQ_DOM_EXC: error %ld: FAIL\n", who, r);
        return -1;
    }
    s = el_source_new("VIRQ_DOM_EXC", fn, NULL);
    if (!s || el_bind_evtchn(s, port)) {
        printf("%s: cannot wait for VIRQ_DOM_EXC (port %u): FAIL\n", who, port);
        return -1;
    }
    /* A domain may have ended before the bind: look once now. */
    el_raise(s);
    return 0;
}

static bool end_when_closed;

static void store_log(const char *line) { printf("%s", line); }

/* end=vifs-closed, or nothing: false if the option is malformed. */
static bool parse_end(const char *who)
{
    char arg[24];

    if (!guest_arg("end", arg, sizeof(arg)))
        return true;
    if (strcmp(arg, "vifs-closed")) {
        printf("%s: end=%s: only end=vifs-closed is known\n", who, arg);
        return false;
    }
    end_when_closed = true;
    return true;
}

/* --- net=backend ------------------------------------------------------------------ */

static void backend_tick(void *ctx)
{
    (void)ctx;
    netback_reap();
    if (end_when_closed && netback_every_vif_done()) {
        int rc = netback_end();
        xss_detach_all();
        el_stop(rc);
    }
}

int backend_main(const struct guest_info *gi)
{
    if (!parse_end("netback")) {
        printf("netback: options: FAIL\n");
        return 1;
    }
    if (xen_setup(gi->fdt)) {
        printf("netback: xen_setup: FAIL\n");
        return 1;
    }
    grant_window_init();
    printf("netback: boot time: starting at %lu ms of counter time\n",
           (unsigned long)(guest_time_us() / 1000));
    if (netback_start(gi))
        return 1;
    xs_init();
    xs_set_log(store_log);
    toolstack_start(&(struct toolstack_cfg){ .backend_domid = 0, .backend_name = "dom0",
                                             .max_vifs = 4, .vif_created = netback_vif_created });
    netback_ready();
    printf("netback: boot time: ready at %lu ms of counter time\n",
           (unsigned long)(guest_time_us() / 1000));
    if (on_domain_exit(backend_tick, "netback"))
        return 1;
    return el_run();
}

/* --- net=store ---------------------------------------------------------------------- */

static unsigned backend_domid;
static char backend_name[16];

static void store_tick(void *ctx)
{
    (void)ctx;
    if (toolstack_poll_ended() && end_when_closed) {
        printf("toolstack: every frontend domain ended and the backend d%u (%s) is done: dom0 "
               "ends\n", backend_domid, backend_name);
        xss_detach_all();
        el_stop(0);
    }
}

/* The domain called `name` (granite_op domain_info names each one). */
static bool find_domain(const char *name, unsigned *domid)
{
    for (unsigned id = 1; id < DOM0_MAX_DOMID; id++) {
        struct granite_domain_info info;
        if (dom0_domain_info(id, &info) == 0 && !strncmp(info.name, name, sizeof(info.name))) {
            *domid = id;
            return true;
        }
    }
    return false;
}

int store_main(const struct guest_info *gi)
{
    unsigned vifs;

    if (!parse_end("toolstack"))
        return 1;
    if (!guest_arg("backend", backend_name, sizeof(backend_name))) {
        printf("toolstack: net=store needs backend=<domain name>: FAIL\n");
        return 1;
    }
    if (xen_setup(gi->fdt)) {
        printf("toolstack: xen_setup: FAIL\n");
        return 1;
    }
    if (!find_domain(backend_name, &backend_domid)) {
        printf("toolstack: backend domain '%s' not found: FAIL\n", backend_name);
        return 1;
    }
    grant_window_init();
    xs_init();
    xs_set_log(store_log);
    vifs = toolstack_start(&(struct toolstack_cfg){ .backend_domid = backend_domid,
                                                    .backend_name = backend_name });
    printf("toolstack: ready: %u vif(s), every backend in d%u (%s); no NIC here\n", vifs,
           backend_domid, backend_name);
    if (on_domain_exit(store_tick, "toolstack"))
        return 1;
    return el_run();
}

int guest_main(const struct guest_info *gi)
{
    char mode[16] = "backend";

    guest_arg("net", mode, sizeof(mode));
    if (!strcmp(mode, "baseline"))
        return baseline_main(gi);
    if (!strcmp(mode, "backend"))
        return backend_main(gi);
    if (!strcmp(mode, "store"))
        return store_main(gi);
    printf("dom0: unknown net=%s (backend, store or baseline)\n", mode);
    return 1;
}
