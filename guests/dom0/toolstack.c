/*
 * toolstack.c — what Xen's toolstack (xl/libxl) does for the domains
 * granite built, in dom0: finds them (granite_op domain_info, which also
 * gives each one's name, vCPUs, memory and xenstore ring), connects each
 * ring to the xenstore service, writes each domain's own nodes and one vif
 * per frontend domain (toolstack_nodes.c), and — in net=store — removes a
 * domain's vif when the domain ends, as `xl destroy` does, so the backend
 * sees its device go.
 *
 * Which domains: every domain but dom0 with a xenstore ring gets its home
 * nodes; every one of those but the backend's domain is a frontend, with
 * vif 0 whose backend lives in cfg->backend_domid (dom0 itself in
 * net=backend, a driver domain named on the command line in net=store).
 *
 * Assumptions: granite builds every domain at boot, before dom0 runs
 * (dom0less), so one look at start finds them all; domain ids are small
 * (< DOM0_MAX_DOMID).
 */
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "xenstore.h"
#include "toolstack_nodes.h"
#include "net_dom0.h"
#include <public/io/xenbus.h>

struct ts_domain {
    bool known;        /* running when the toolstack looked */
    bool frontend;     /* has a vif */
    bool ended;
    bool be_closed;    /* the backend said Closed for its vif before it went */
    char name[16];
    struct ts_vif vif;
};

#define VIF_HANDLE 0 /* each frontend has one vif: vif 0 ("vif d<n>.0" below) */

static struct ts_domain doms[DOM0_MAX_DOMID];
static struct toolstack_cfg cfg;
static unsigned nr_vifs;

long dom0_domain_info(unsigned domid, struct granite_domain_info *info)
{
    *info = (struct granite_domain_info){ .domid = (uint16_t)domid };
    return xen_hypercall(__HYPERVISOR_granite_op, GRANITE_OP_domain_info, (uint64_t)info, 0, 0, 0);
}

static void create_vif(unsigned domid)
{
    struct ts_domain *d = &doms[domid];
    int e;

    ts_vif_init(&d->vif, domid, cfg.backend_domid, VIF_HANDLE);
    e = ts_write_vif_backend(&d->vif);
    if (!e && cfg.vif_created)
        cfg.vif_created(domid, d->vif.fe, d->vif.be, d->vif.mac);
    if (!e)
        e = ts_write_vif_frontend(&d->vif);
    if (e) {
        printf("toolstack: vif d%u.0: cannot write its nodes (error %d): the store is full\n",
               domid, e);
        return;
    }
    d->frontend = true;
    nr_vifs++;
    /* (two lines: the console wraps long ones) */
    printf("toolstack: vif d%u.0: backend d%u (%s), mac %s\n", domid, cfg.backend_domid,
           cfg.backend_name, d->vif.mac_str);
    printf("toolstack: vif d%u.0: %s -> %s\n", domid, d->vif.fe, d->vif.be);
}

unsigned toolstack_start(const struct toolstack_cfg *c)
{
    cfg = *c;
    for (unsigned id = 1; id < DOM0_MAX_DOMID; id++) {
        struct granite_domain_info info;
        if (dom0_domain_info(id, &info))
            continue;
        doms[id].known = true;
        memcpy(doms[id].name, info.name, sizeof(doms[id].name));
        doms[id].name[sizeof(doms[id].name) - 1] = '\0';
        if (!info.has_store) {
            printf("toolstack: d%u (%s): no xenstore ring: no nodes, no vif\n", id,
                   doms[id].name);
            continue;
        }
        if (xss_attach(id, &info))
            continue;
        if (ts_write_domain(id, info.nr_vcpus, info.memory_kib,
                            id == cfg.backend_domid ? TS_BACKEND_RESERVOIR_KIB : 0))
            printf("toolstack: d%u (%s): cannot write its home nodes: the store is full\n", id,
                   doms[id].name);
        /* At the vif limit a domain still gets its store and home nodes: a
         * Linux guest without them would wait in xenbus. */
        if (id != cfg.backend_domid && !(cfg.max_vifs && nr_vifs >= cfg.max_vifs))
            create_vif(id);
        else if (id != cfg.backend_domid)
            printf("toolstack: d%u (%s): no vif: the backend serves at most %u\n", id,
                   doms[id].name, cfg.max_vifs);
    }
    return nr_vifs;
}

static bool running(unsigned domid)
{
    struct granite_domain_info info;
    return dom0_domain_info(domid, &info) == 0;
}

/* Did the backend say Closed for this vif? */
static bool backend_closed(const struct ts_vif *v)
{
    char path[TS_PATH_MAX + 8], val[8], closed[8];

    snprintf(path, sizeof(path), "%s/state", v->be);
    snprintf(closed, sizeof(closed), "%d", XenbusStateClosed);
    return xs_read(path, val, sizeof(val)) == 0 && !strcmp(val, closed);
}

/*
 * A domain ended: as `xl destroy`, its vif's directories go (the backend
 * domain's netback sees backend/vif/<U> removed and tears the device down;
 * a backend/vif left empty tells a driver domain it has nothing left to
 * serve), then its ring and its home.
 */
static void domain_ended(unsigned domid)
{
    struct ts_domain *d = &doms[domid];

    d->ended = true;
    if (d->frontend) {
        d->be_closed = backend_closed(&d->vif);
        ts_remove_vif(&d->vif);
        printf("toolstack: d%u (%s) ended: vif d%u.0 removed, backend state was %s\n", domid,
               d->name, domid, d->be_closed ? "Closed" : "not Closed");
    } else {
        printf("toolstack: d%u (%s) ended\n", domid, d->name);
    }
    xss_detach(domid);
    xs_domain_release(domid);
}

bool toolstack_poll_ended(void)
{
    bool fronts_ended = true, be_done = true;

    for (unsigned id = 1; id < DOM0_MAX_DOMID; id++) {
        struct ts_domain *d = &doms[id];
        if (!d->known)
            continue;
        if (!d->ended && !running(id))
            domain_ended(id);
        if (d->frontend && !d->ended)
            fronts_ended = false;
        if (d->frontend && !d->be_closed)
            be_done = false; /* closed by the backend: not (yet) */
    }
    /* A backend in another domain (net=store) needs this xenstore until it
     * has seen its last vif directory go (Linux's vif hotplug agent exits
     * on an empty backend/vif): wait for that domain to end, whatever the
     * vifs' states said. */
    if (cfg.backend_domid)
        be_done = doms[cfg.backend_domid].ended;
    return fronts_ended && be_done;
}
