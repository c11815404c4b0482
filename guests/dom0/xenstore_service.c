/*
 * xenstore_service.c — dom0 serves xenstore to other domains: for each
 * domain granite says has a xenstore ring (granite_op domain_info), dom0
 * maps the ring page (the domain's grant ref GNTTAB_RESERVED_XENSTORE),
 * binds its event channel and feeds what the domain writes to the store
 * (xenstore.c); replies and watch events go back on the ring.  Each ring's
 * event channel is an event-loop source: a domain is served when it
 * signals, never polled.
 *
 * A domain that breaks the protocol (corrupt ring indices, a stream that
 * lost its framing, more pending replies than XS_OUT_MAX) loses its
 * connection — ring unmapped, port closed — and keeps running without a
 * store; dom0 and every other domain carry on.
 *
 * Assumptions: one connection per domain; the loop runs on one vCPU, so
 * nothing here races.
 */
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "event_loop.h"
#include "xs_ring.h"
#include "xenstore.h"
#include "net_dom0.h"
#include <public/io/xs_wire.h>

#define XS_OUT_MAX 8192      /* replies waiting for room in a client's ring */
#define STORE_BUDGET 4096    /* bytes read per turn: a chatty client cannot keep the loop */

struct store_client {
    unsigned domid;
    struct xenstore_domain_interface *intf;
    evtchn_port_t port;
    grant_handle_t ring_h;
    uint64_t ring_va;         /* its page of the grant window, kept for good */
    struct xs_conn *conn;
    struct el_source *src;
    char out[XS_OUT_MAX];    /* bytes the ring had no room for yet */
    size_t out_len;
    bool dead;
};

static struct store_client clients[DOM0_MAX_DOMID];

static void store_flush(struct store_client *c)
{
    size_t n;

    if (!c->out_len)
        return;
    n = xs_ring_server_write(c->intf, c->out, c->out_len);
    if (n) {
        memmove(c->out, c->out + n, c->out_len - n);
        c->out_len -= n;
        evtchn_send(c->port);
    }
}

static void store_send(struct xs_conn *conn, const void *bytes, size_t len)
{
    struct store_client *c = xs_conn_ctx(conn);

    if (c->dead)
        return;
    if (c->out_len + len > sizeof(c->out)) {
        printf("xenstore: d%u: reply backlog over %u bytes: connection dropped\n", c->domid,
               (unsigned)sizeof(c->out));
        c->dead = true;
        el_raise(c->src); /* dropped from its own handler, not from inside the store */
        return;
    }
    memcpy(c->out + c->out_len, bytes, len);
    c->out_len += len;
    store_flush(c);
}

/* Let go of the ring and the port: the connection is over. */
static void release(struct store_client *c)
{
    xs_conn_close(c->conn);
    el_source_free(c->src);
    evtchn_close(c->port);
    gnttab_unmap((uint64_t)c->intf, c->ring_h);
    c->intf = NULL;
    c->src = NULL;
    c->conn = NULL;
}

/* A client that broke the protocol: its watches and transactions go, and so
 * do the ring mapping and the port; its domain keeps running without a store. */
static void store_drop(struct store_client *c, const char *why)
{
    printf("xenstore: d%u: %s: connection dropped\n", c->domid, why);
    c->dead = true;
    release(c);
}

/* The domain signalled (or its last turn ran out of budget). */
static void store_serve(void *ctx)
{
    struct store_client *c = ctx;
    char buf[512];
    size_t n, taken = 0;

    if (!c->intf)
        return;
    if (c->dead) /* found broken while replying: finish the job here */
        return store_drop(c, "reply backlog overflowed");
    if (xs_ring_corrupt(c->intf))
        return store_drop(c, "ring indices corrupt");
    while (taken < STORE_BUDGET && (n = xs_ring_server_read(c->intf, buf, sizeof(buf))) > 0) {
        taken += n;
        evtchn_send(c->port); /* room freed for the client's next requests */
        if (xs_conn_input(c->conn, buf, n) < 0)
            return store_drop(c, "unrecoverable request stream");
        if (!c->intf)
            return; /* a watch callback detached it */
    }
    if (taken >= STORE_BUDGET)
        el_raise(c->src); /* more next round, after the others */
    store_flush(c);
}

int xss_attach(unsigned domid, const struct granite_domain_info *info)
{
    struct store_client *c;
    uint64_t dba;
    int16_t st;

    if (domid == 0 || domid >= DOM0_MAX_DOMID || !info->has_store)
        return -1;
    c = &clients[domid];
    if (c->intf)
        return 0;
    if (!c->ring_va)
        c->ring_va = grant_window_page();
    if (!c->ring_va) {
        printf("xenstore: d%u: no room in dom0's grant window for its ring\n", domid);
        return -1;
    }
    st = gnttab_map((domid_t)domid, info->store_gref, c->ring_va, GRANT_READ_WRITE, &c->ring_h,
                    &dba);
    if (st != GNTST_okay) {
        printf("xenstore: d%u: cannot map its ring (grant ref %u): status %d\n", domid,
               info->store_gref, st);
        return -1;
    }
    if (evtchn_bind_interdomain((domid_t)domid, info->store_port, &c->port)) {
        printf("xenstore: d%u: cannot bind its port %u\n", domid, info->store_port);
        gnttab_unmap(c->ring_va, c->ring_h);
        return -1;
    }
    c->domid = domid;
    c->dead = false;
    c->out_len = 0;
    c->intf = (struct xenstore_domain_interface *)c->ring_va;
    /* Linux (6.x) waits for XENSTORE_CONNECTED before its first request; the
     * hypervisor hands over a zeroed page, which already says so. */
    if (c->intf->connection != XENSTORE_CONNECTED)
        c->intf->connection = XENSTORE_CONNECTED;
    c->conn = xs_conn_open(domid, store_send, c);
    c->src = el_source_new("xenstore", store_serve, c);
    if (!c->conn || !c->src || el_bind_evtchn(c->src, c->port)) {
        printf("xenstore: d%u: no connection or loop source left\n", domid);
        release(c);
        return -1;
    }
    printf("xenstore: d%u (%s) connected: ring grant ref %u, port %u\n", domid, info->name,
           info->store_gref, c->port);
    /* requests written before dom0 looked raised no event we saw */
    el_raise(c->src);
    return 0;
}

bool xss_attached(unsigned domid)
{
    return domid < DOM0_MAX_DOMID && clients[domid].intf;
}

void xss_detach(unsigned domid)
{
    if (xss_attached(domid))
        release(&clients[domid]);
}

void xss_detach_all(void)
{
    for (unsigned i = 1; i < DOM0_MAX_DOMID; i++)
        xss_detach(i);
}
