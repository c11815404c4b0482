/*
 * netback.c — the toy PV network backend: bridges each vif the toolstack
 * creates (toolstack.c) to the e1000, as Linux's netback does in Xen's
 * dom0.  Driven by the event loop (guests/lib/event_loop.h): each vif's
 * event channel, the NIC's interrupt and two timers (stats, ended domains)
 * are sources; nothing here waits.
 *
 * Per vif, the handshake Linux's netback and netfront use:
 *   1. The toolstack has written the backend directory /local/domain/0/
 *      backend/vif/<U>/0 (state 1): netback_vif_created() adds
 *      feature-rx-copy=1, feature-rx-flip=0, feature-sg=1 and state=2
 *      (InitWait) and watches the frontend's state; then the toolstack
 *      writes the frontend directory.
 *   2. Frontend: rings granted, event channel allocated, keys written,
 *      state=4.  Backend: reads and checks tx-ring-ref, rx-ring-ref,
 *      event-channel, request-rx-copy (=1), feature-rx-notify, feature-sg;
 *      maps the rings, binds, state=4.  Frontend Closing/Closed: the vif
 *      stops, waits for the NIC's last completions, unmaps, state=6.

 * Data path:
 *   TX (domU -> wire): a packet is one request or a NETTXF_more_data chain
 *   (up to 18 slots; the first slot's size is the whole length) with
 *   optional extra-info slots after its first request (tx_gather, netif_tx.c).  A
 *   one-slot packet with nothing to fill in is grant-mapped read-only into
 *   dom0's grant window (as Linux netback maps TX frags) and handed to the
 *   e1000 at the bus address dom0's DMA layer chooses: the machine address
 *   (dev_bus_addr, swiotlb-xen) or the IPA (direct).  That choice against
 *   granite's IOMMU policy is the whole of seed 000.  The grant is unmapped
 *   when the NIC reports the descriptor done; then the response goes back.
 *   Chains, NETTXF_csum_blank packets (the TCP/UDP checksum is filled in,
 *   l4csum.c) and everything under netback_tx=copy are grant-copied into a
 *   dom0 buffer and sent from there.
 *   RX (wire -> domU): frames for the domU's MAC (and broadcast/multicast)
 *   are grant-copied into a buffer the domU posted (offset 0, one slot), in
 *   every mode, with NETRXF_data_validated when dom0 verified the frame's
 *   TCP/UDP checksum; the copies of one e1000 poll go in one hypercall and
 *   each vif's ring is pushed (and notified) once per poll (rx_flush).
 *
 * Everything the frontend writes is checked: ring indices (a producer more
 * than a ring ahead disconnects the vif — the ring is garbage), request
 * fields (bad ones get NETIF_RSP_ERROR and a log line), xenstore keys.  dom0
 * never trusts a domU and never stops for one.
 *
 * Assumptions: one vif per domU, one queue, one event channel for both rings;
 * dom0's grant window (xen_map_area) has room for the rings and TX slots; the
 * e1000 is in promiscuous mode, so frames for the domU's MAC reach dom0.
 */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "event_loop.h"
#include "dma.h"
#include "e1000.h"
#include "xenstore.h"
#include "l4csum.h"
#include "net_dom0.h"
#include "persistent_grants.h"
#include "trace.h"
#include "netif_tx.h"
#include "page.h"
#include <public/granite.h>
#include <public/io/netif.h>
#include <public/io/xenbus.h>
#include <public/io/xs_wire.h>

#define MAX_VIFS 4
#define TX_SLOTS 64             /* TX packets in flight per vif (one mapped page each) */
#define TX_BATCH 32             /* requests mapped per hypercall */
#define STATS_PERIOD_US 10000000 /* figures on the console this often */
/* TX completions are unmapped and answered in batches (see "TX completions"
 * below): at the latest this long after the first of a batch completed, or
 * once this many wait. */
#define TX_DEFER_US 4000
#define TX_DEFER_MAX 32

/* --- vifs ----------------------------------------------------------------------------- */

enum tx_mode { TX_MAP, TX_COPY };

struct tx_slot {
    bool busy;
    uint16_t id;              /* the frontend's request id */
    uint64_t host_addr;       /* where the page is mapped in dom0 */
    grant_handle_t handle;
    struct dma_handle dma;
    struct vif *vif;
    struct pgrant *pg;        /* the persistent grant it is sent from, or NULL: mapped at host_addr */
    unsigned trace_pkt;       /* the packet trace's number of what it carries */
};

struct vif {
    unsigned domid;
    char fe[64], be[64];      /* frontend and backend xenstore directories */
    uint8_t mac[6];
    int state;                /* our xenbus state */
    bool connected;           /* rings live: requests are consumed */
    bool notify;              /* the frontend asked for an event (rsp_event): sent by notify_vifs */
    bool rings_mapped;        /* rings and port still held (until no TX is in flight) */
    bool dead;                /* refused or disconnected: no second chance */
    bool dumped;              /* final figures printed once */
    bool fe_seen;             /* the frontend's state node has existed */
    uint64_t tx_va, rx_va;    /* where its rings are mapped: fixed per vif */
    unsigned nr_busy;         /* TX slots handed to the NIC */
    unsigned bad_logged;      /* bad requests logged (the rest are only counted) */
    struct netif_tx_sring *tx;
    struct netif_rx_sring *rx;
    grant_handle_t tx_h, rx_h;
    evtchn_port_t port;
    struct el_source *src;    /* its event channel in the loop */
    RING_IDX tx_req_cons, tx_rsp_prod_pvt;
    RING_IDX rx_req_cons, rx_rsp_prod_pvt;
    struct tx_slot slots[TX_SLOTS];
    struct tx_slot *done[TX_SLOTS]; /* sent by the NIC, not yet unmapped nor answered */
    unsigned ndone;
    uint64_t done_since_us;   /* when done[0] completed */
    bool fe_rx_notify, fe_sg;  /* what the frontend said it does (feature-rx-notify, -sg) */
    bool persistent;          /* both sides said feature-persistent: pages stay mapped (pg) */
    bool tx_answered;         /* TX responses written this round, not pushed yet */
    struct pgrant_cache pg;   /* its persistent grants (persistent_grants.h) */
    unsigned trace_tx, trace_rx; /* packets taken off the TX ring, frames given an RX buffer */
    uint64_t pg_tx_hits, pg_rx_hits; /* packets served from a page already mapped */
    uint64_t tx_packets, tx_errors, rx_packets, rx_dropped_no_buffer;
    uint64_t tx_csum_filled;  /* NETTXF_csum_blank packets whose checksum we computed */
    uint64_t tx_chains, tx_chain_slots; /* NETTXF_more_data packets, and their slots */
    uint64_t rx_validated;    /* RX frames whose TCP/UDP checksum we checked: data_validated */
};

static struct vif vifs[MAX_VIFS];
static unsigned nr_vifs;
static struct e1000 nic;
static struct dma_dev dma;
static enum tx_mode tx_mode = TX_MAP;
static bool persistent_offered = true; /* netback_persistent=off withdraws the offer */
static struct el_source *nic_src;
static bool tx_irq_on = true; /* e1000_init unmasks every cause it uses */
/* One multicall under construction at a time: built and issued within one
 * function (rx_flush, tx_unmaps_flush, notify_vifs). */
static struct xen_mc mc;
/* What netback asked of the hypervisor, for the figures (hypercalls per packet). */
static struct {
    uint64_t tx_map, tx_copy, round, unmap_only, send, unmaps, unmap_batches;
    uint64_t pg_maps;         /* persistent grants mapped (each once per connection) */
} hc;

static void vif_serve(void *ctx);
static void disconnect(struct vif *v, const char *why);
static void tx_unmaps_flush(void);
static uint8_t tx_copy_buf[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static void be_write(struct vif *v, const char *key, const char *val)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", v->be, key);
    if (xs_write(path, val) < 0)
        printf("netback: d%u: cannot write %s: the store is full\n", v->domid, path);
}

static void set_state(struct vif *v, int state)
{
    char s[4];
    snprintf(s, sizeof(s), "%d", state);
    v->state = state;
    be_write(v, "state", s);
    printf("netback: d%u: state %d\n", v->domid, state);
}

static bool read_uint(const char *dir, const char *key, unsigned long max, unsigned long *out)
{
    char path[128], val[32], *end;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    if (xs_read(path, val, sizeof(val)) < 0)
        return false;
    *out = strtoul(val, &end, 10);
    return end != val && !*end && *out <= max;
}

/* The frontend published its rings: check the keys, map, bind, connect.  A
 * frontend that gets this wrong is refused for good (no retry loop). */
static void refuse_vif(struct vif *v, const char *why)
{
    printf("netback: d%u: %s: vif refused\n", v->domid, why);
    v->dead = true;
    set_state(v, XenbusStateClosing);
}

static void connect_vif(struct vif *v)
{
    unsigned long tx_ref, rx_ref, port, rx_copy = 0, flag;
    uint64_t dba;

    if (!read_uint(v->fe, "tx-ring-ref", 0xffffffffUL, &tx_ref) ||
        !read_uint(v->fe, "rx-ring-ref", 0xffffffffUL, &rx_ref) ||
        !read_uint(v->fe, "event-channel", 4095, &port))
        return refuse_vif(v, "tx-ring-ref, rx-ring-ref or event-channel missing or malformed");
    if (!read_uint(v->fe, "request-rx-copy", 1, &rx_copy) || !rx_copy)
        return refuse_vif(v, "request-rx-copy is not 1: only copying RX is offered");
    /* Optional frontend features: absent or malformed reads as 0.  RX never
     * waits for the frontend's notification (each frame looks at the ring),
     * so a frontend without feature-rx-notify is served all the same; and
     * every RX packet takes one slot, so feature-sg changes nothing here. */
    v->fe_rx_notify = read_uint(v->fe, "feature-rx-notify", 1, &flag) && flag;
    v->fe_sg = read_uint(v->fe, "feature-sg", 1, &flag) && flag;
    v->persistent = persistent_offered && read_uint(v->fe, "feature-persistent", 1, &flag) && flag;
    if (!v->tx_va || !v->rx_va)
        return refuse_vif(v, "no room in dom0's grant window for its rings");
    if (gnttab_map((domid_t)v->domid, (grant_ref_t)tx_ref, v->tx_va, GRANT_READ_WRITE, &v->tx_h,
                   &dba) != GNTST_okay)
        return refuse_vif(v, "its TX ring ref cannot be mapped");
    if (gnttab_map((domid_t)v->domid, (grant_ref_t)rx_ref, v->rx_va, GRANT_READ_WRITE, &v->rx_h,
                   &dba) != GNTST_okay) {
        gnttab_unmap(v->tx_va, v->tx_h);
        return refuse_vif(v, "its RX ring ref cannot be mapped");
    }
    if (evtchn_bind_interdomain((domid_t)v->domid, (evtchn_port_t)port, &v->port)) {
        gnttab_unmap(v->tx_va, v->tx_h);
        gnttab_unmap(v->rx_va, v->rx_h);
        return refuse_vif(v, "its event channel cannot be bound");
    }
    v->tx = (struct netif_tx_sring *)v->tx_va;
    v->rx = (struct netif_rx_sring *)v->rx_va;
    v->tx_req_cons = v->tx_rsp_prod_pvt = v->tx->h.rsp_prod;
    v->rx_req_cons = v->rx_rsp_prod_pvt = v->rx->h.rsp_prod;
    v->rings_mapped = v->connected = true;
    if (!v->src)
        v->src = el_source_new("vif", vif_serve, v);
    if (!v->src || el_bind_evtchn(v->src, v->port)) {
        disconnect(v, "no event-loop source for its port");
        return;
    }
    set_state(v, XenbusStateConnected);
    printf("netback: d%u: connected: TX ring ref %lu, RX ring ref %lu, port %lu -> %u, TX by %s\n",
           v->domid, tx_ref, rx_ref, port, v->port, tx_mode == TX_MAP ? "grant map" : "grant copy");
    printf("netback: d%u: frontend features: rx-notify %d, sg %d, persistent %d\n", v->domid,
           v->fe_rx_notify, v->fe_sg, v->persistent);
}

static void print_stats(void);

/* The connection's persistent grants are unmapped with its rings (the
 * frontend revokes its grants once it has seen Closed), in one hypercall. */
static void pgrant_release(struct vif *v)
{
    static struct gnttab_unmap_grant_ref ops[PGRANT_MAX];
    unsigned n = pgrant_unmap_ops(&v->pg, ops, PGRANT_MAX);

    if (n && gnttab_op(GNTTABOP_unmap_grant_ref, ops, n))
        for (unsigned i = 0; i < n; i++)
            ops[i].status = GNTST_general_error;
    for (unsigned i = 0; i < n; i++)
        if (ops[i].status != GNTST_okay)
            printf("netback: d%u: persistent grant page at 0x%lx would not unmap (%d): retired\n",
                   v->domid, (unsigned long)ops[i].host_addr, ops[i].status);
    pgrant_reset(&v->pg, ops, n);
}

/* A page of the grant window for a persistent grant, while the window keeps
 * enough for the vifs and xenstore rings that may still come (each vif takes
 * its rings and TX slots when it is created). */
static uint64_t pgrant_page(void)
{
    unsigned reserve = (MAX_VIFS - nr_vifs) * (2 + TX_SLOTS) + DOM0_MAX_DOMID;

    return grant_window_pages_left() > reserve ? grant_window_page() : 0;
}

/*
 * Tear-down, in two steps, as a real backend must: first stop consuming
 * requests; then, once the NIC has finished every TX it was given (their
 * completions still need the mappings), unmap the rings, close the port and
 * say Closed.
 */
static void finish_close(struct vif *v)
{
    if (v->nr_busy || !v->rings_mapped)
        return;
    if (v->notify)              /* the last responses' event goes before the port */
        evtchn_send(v->port);
    v->notify = false;
    v->rings_mapped = false;
    pgrant_release(v);
    gnttab_unmap(v->tx_va, v->tx_h);
    gnttab_unmap(v->rx_va, v->rx_h);
    el_source_free(v->src);
    v->src = NULL;
    evtchn_close(v->port);
    v->tx = NULL;
    v->rx = NULL;
    if (!v->dumped) {
        v->dumped = true;
        print_stats();
        xen_hypercall(__HYPERVISOR_granite_op, GRANITE_OP_debug_dump, 0, 0, 0, 0);
    }
    set_state(v, XenbusStateClosed);
}

static void close_vif(struct vif *v)
{
    printf("netback: d%u: frontend closing\n", v->domid);
    v->connected = false;
    v->dead = true;
    tx_unmaps_flush(); /* its completions waiting to be batched go now */
    finish_close(v);
    if (v->rings_mapped)
        printf("netback: d%u: %u TX packet(s) still with the NIC: closing when they complete\n",
               v->domid, v->nr_busy);
    else if (v->state != XenbusStateClosed)
        set_state(v, XenbusStateClosed);
}

static void on_frontend_state(const char *path, const char *token, void *ctx)
{
    struct vif *v = ctx;
    char state_path[96], val[8];
    (void)path; /* whatever changed below it, the state is what the node says */
    (void)token;

    snprintf(state_path, sizeof(state_path), "%s/state", v->fe);
    bool present = xs_read(state_path, val, sizeof(val)) == 0;
    /* The watch is set before the toolstack writes the frontend directory:
     * until its state has been there once, a missing one is "not yet". */
    if (!present && !v->fe_seen)
        return;
    v->fe_seen = true;
    int fe = present ? atoi(val) : XenbusStateClosed;
    if ((fe == XenbusStateInitialised || fe == XenbusStateConnected) && !v->connected && !v->dead)
        connect_vif(v);
    if ((fe == XenbusStateClosing || fe == XenbusStateClosed || fe == XenbusStateUnknown) &&
        v->state != XenbusStateClosed && !(v->dead && !v->rings_mapped && v->dumped))
        close_vif(v);
}

/*
 * The toolstack wrote this vif's backend directory; the frontend directory
 * comes next.  Order matters to a frontend already watching its `device`
 * directory: it probes a device as soon as the device's `state` reads 1,
 * and then needs the backend complete and in InitWait.
 */
void netback_vif_created(unsigned domid, const char *fe, const char *be, const uint8_t mac[6])
{
    struct vif *v;
    char path[128];

    if (nr_vifs == MAX_VIFS) {
        printf("netback: d%u: no room for another vif (%u): not served\n", domid, MAX_VIFS);
        return;
    }
    v = &vifs[nr_vifs++];
    v->domid = domid;
    snprintf(v->fe, sizeof(v->fe), "%s", fe);
    snprintf(v->be, sizeof(v->be), "%s", be);
    memcpy(v->mac, mac, sizeof(v->mac));
    /* What this backend does (Linux's netfront reads these at InitWait):
     * RX by grant copy only (mandatory for netfront), NETTXF_more_data
     * chains.  Not advertised, so netfront uses none of them: GSO,
     * multi-queue, split event channels, IPv6 checksum offload, XDP
     * headroom, multicast control, a control ring. */
    be_write(v, "feature-rx-copy", "1");
    be_write(v, "feature-rx-flip", "0");
    be_write(v, "feature-sg", "1");
    be_write(v, "feature-persistent", persistent_offered ? "1" : "0");
    v->tx_va = grant_window_page();
    v->rx_va = grant_window_page();
    for (unsigned i = 0; i < TX_SLOTS; i++)
        v->slots[i].host_addr = grant_window_page();
    set_state(v, XenbusStateInitWait);
    snprintf(path, sizeof(path), "%s/state", v->fe);
    xs_watch(path, "fe-state", on_frontend_state, v);
    printf("netback: d%u: vif 0 created, MAC %02x:%02x:%02x:%02x:%02x:%02x, backend %s\n", domid,
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], v->be);
}

/* --- TX: domU -> wire ------------------------------------------------------------------ */

static void tx_respond(struct vif *v, uint16_t id, int16_t status)
{
    union netif_tx_slot *s = &v->tx->ring[v->tx_rsp_prod_pvt % NETIF_TX_RING_SIZE];

    s->rsp.id = id;
    s->rsp.status = status;
    v->tx_rsp_prod_pvt++;
    if (status < NETIF_RSP_OKAY) /* NETIF_RSP_NULL (an extra-info slot) is no error */
        v->tx_errors++;
}

static void tx_push(struct vif *v)
{
    if (ring_push(&v->tx->h.rsp_prod, &v->tx->h.rsp_event, v->tx_rsp_prod_pvt))
        v->notify = true;
}

static void disconnect(struct vif *v, const char *why)
{
    printf("netback: d%u: %s: vif disconnected (dom0 carries on)\n", v->domid, why);
    v->connected = false;
    v->dead = true;
    set_state(v, XenbusStateClosing);
    tx_unmaps_flush();
    finish_close(v);
}

/* A bad request is answered and counted; only the first few are logged, so a
 * domU cannot flood dom0's console. */
#define BAD_LOGGED 16
static bool log_bad(struct vif *v)
{
    if (v->bad_logged < BAD_LOGGED)
        return ++v->bad_logged, true;
    if (v->bad_logged++ == BAD_LOGGED)
        printf("netback: d%u: further bad requests are answered and counted, not logged\n",
               v->domid);
    return false;
}

static struct tx_slot *free_slot(struct vif *v)
{
    for (unsigned i = 0; i < TX_SLOTS; i++)
        if (!v->slots[i].busy)
            return &v->slots[i];
    return NULL;
}

/*
 * TX completions.  A frame the NIC has sent still has the domU's page mapped
 * here; it is answered only once that mapping is gone (the frontend may reuse
 * or revoke the page as soon as it sees the response).  The unmaps are not
 * made one by one: every completion of every vif waits in its vif's done[]
 * and all of them go in one GNTTABOP_unmap_grant_ref, inside the multicall
 * that also carries the next RX grant copy (rx_flush) — or on their own
 * (tx_unmaps_flush) when the frontend asked for an event at a response they
 * produce (rsp_event: it needs TX buffers back), when the vif is closing,
 * when TX_DEFER_MAX wait, or TX_DEFER_US after the first (the loop's sleep
 * is bounded by then: the last packet of a burst is not left unanswered).
 */
static struct gnttab_unmap_grant_ref unmap_ops[MAX_VIFS * TX_SLOTS];
static struct tx_slot *unmap_slots[MAX_VIFS * TX_SLOTS];
static unsigned nunmap;

/* The NIC is done with slot s, and nothing of it is mapped any more (or its
 * page is a persistent grant): the slot is free, the frontend gets its
 * response (pushed by tx_answers_out). */
static void tx_answer(struct vif *v, struct tx_slot *s)
{
    v->nr_busy--;
    s->busy = false;
    if (v->connected) {
        tx_respond(v, s->id, NETIF_RSP_OKAY);
        v->tx_packets++;
    }
    v->tx_answered = true;
}

/* v got responses: push them (an event if it asked for one), let a closing
 * vif go, and look again at requests that waited for a free slot. */
static void tx_answers_out(struct vif *v)
{
    v->tx_answered = false;
    if (!v->rings_mapped)
        return;
    if (!v->connected) {
        finish_close(v); /* its last completion lets a closing vif go */
        return;
    }
    tx_push(v);
    if (__atomic_load_n(&v->tx->h.req_prod, __ATOMIC_ACQUIRE) != v->tx_req_cons)
        el_raise(v->src);
}

static void tx_answers_out_all(void)
{
    for (unsigned i = 0; i < nr_vifs; i++)
        if (vifs[i].tx_answered)
            tx_answers_out(&vifs[i]);
}

static void tx_done(void *cookie, void *ctx)
{
    struct tx_slot *s = cookie;
    struct vif *v;
    (void)ctx;

    if (!s)
        return;
    v = s->vif;
    if (trace_pkt(s->trace_pkt))
        trace_hop("tx", s->trace_pkt, TRACE_TX_DONE, "netback.c:tx_done", "NIC done (DD) with "
                  "bus 0x%lx: %s", (unsigned long)bus_addr(s->dma.bus),
                  s->pg ? "answered now" : "answered after its unmap");
    dma_unmap(&dma, &s->dma);
    if (s->pg) { /* sent from a persistent grant: nothing to unmap */
        tx_answer(v, s);
        return;
    }
    if (!v->ndone)
        v->done_since_us = guest_time_us();
    v->done[v->ndone++] = s;
}

/* Every vif's completions into `m` as one unmap entry (none if there are none). */
static void tx_unmaps_add(struct xen_mc *m)
{
    nunmap = 0;
    for (unsigned i = 0; i < nr_vifs; i++) {
        struct vif *v = &vifs[i];
        for (unsigned j = 0; j < v->ndone; j++) {
            struct tx_slot *s = v->done[j];
            unmap_ops[nunmap] = (struct gnttab_unmap_grant_ref){ .host_addr = s->host_addr,
                                                                 .handle = s->handle };
            unmap_slots[nunmap++] = s;
        }
        v->ndone = 0;
    }
    if (nunmap) {
        xen_mc_gnttab(m, GNTTABOP_unmap_grant_ref, unmap_ops, nunmap);
        hc.unmaps += nunmap;
        hc.unmap_batches++;
    }
}

/* The unmaps of tx_unmaps_add were made (`result`: the hypercall's own
 * return): free the slots, answer the frontends, push each ring once.  A
 * slot whose page would not unmap stays out of use. */
static void tx_unmaps_finish(long result)
{
    for (unsigned i = 0; i < nunmap; i++) {
        struct tx_slot *s = unmap_slots[i];
        struct vif *v = s->vif;
        int16_t st = result ? GNTST_general_error : unmap_ops[i].status;

        tx_answer(v, s);
        if (st != GNTST_okay) {
            printf("netback: d%u: TX slot at 0x%lx would not unmap (%d): retired\n", v->domid,
                   (unsigned long)s->host_addr, st);
            s->busy = true; /* never reused */
        }
    }
    nunmap = 0;
    tx_answers_out_all();
}

static void tx_unmaps_flush(void)
{
    long r;

    mc.n = 0;
    tx_unmaps_add(&mc);
    if (!nunmap)
        return;
    hc.unmap_only++;
    r = xen_mc_flush(&mc);
    tx_unmaps_finish(xen_mc_result(&mc, 0, r));
}

/* Would answering v's completions now raise the event the frontend asked
 * for (its rsp_event lies among the responses they make)? */
static bool tx_event_wanted(const struct vif *v)
{
    RING_IDX old = v->tx->h.rsp_prod, new = v->tx_rsp_prod_pvt + v->ndone;
    RING_IDX ev = __atomic_load_n(&v->tx->h.rsp_event, __ATOMIC_ACQUIRE);

    return (RING_IDX)(new - ev) < (RING_IDX)(new - old);
}

/* Flush the completions now, or bound the loop's sleep so they are flushed
 * by TX_DEFER_US after the first. */
static void tx_unmaps_maybe(void)
{
    uint64_t now = guest_time_us(), wait = TX_DEFER_US;
    unsigned waiting = 0;
    bool now_due = false;

    for (unsigned i = 0; i < nr_vifs; i++) {
        struct vif *v = &vifs[i];
        if (!v->ndone)
            continue;
        waiting += v->ndone;
        if (!v->connected || tx_event_wanted(v) || now - v->done_since_us >= TX_DEFER_US)
            now_due = true;
        else if (TX_DEFER_US - (now - v->done_since_us) < wait)
            wait = TX_DEFER_US - (now - v->done_since_us);
    }
    if (now_due || waiting >= TX_DEFER_MAX)
        tx_unmaps_flush();
    else if (waiting)
        el_wake_within(wait);
}

/* --- TX packets (read and checked by netif_tx.c): answers, copies, maps ------------- */

/* One response per ring slot the packet used, in ring order (netif_tx.h). */
static void tx_respond_pkt(struct vif *v, const struct tx_pkt *p, int16_t status)
{
    for (unsigned i = 0; i < tx_pkt_slots(p); i++) {
        struct netif_tx_response r = tx_pkt_response(p, i, status);
        tx_respond(v, r.id, r.status);
    }
}

static void log_tx_bad(struct vif *v, const struct netif_tx_request *r, unsigned nslots,
                       const char *why, const char *outcome)
{
    if (!log_bad(v))
        return;
    if (nslots > 1)
        printf("netback: d%u: TX id %u (ref %u, offset %u, size %u, flags 0x%x, %u slots): %s: "
               "%s\n", v->domid, r->id, r->gref, r->offset, r->size, r->flags, nslots, why,
               outcome);
    else
        printf("netback: d%u: TX id %u (ref %u, offset %u, size %u, flags 0x%x): %s: %s\n",
               v->domid, r->id, r->gref, r->offset, r->size, r->flags, why, outcome);
}

/*
 * A packet that cannot go to the NIC straight from the domU's page — a
 * chain, a checksum to fill in, or netback_tx=copy — is grant-copied slot by
 * slot into one dom0 buffer (one hypercall), fixed up and sent from there.
 */
static void tx_copy_pkt(struct vif *v, const struct tx_pkt *p, unsigned first_len)
{
    struct gnttab_copy ops[TX_SLOTS_MAX];
    unsigned n = 0, off = 0, total = p->req[0].size;
    const char *why = NULL;

    for (unsigned i = 0; i < p->nreq; i++) {
        const struct netif_tx_request *r = &p->req[i];
        unsigned len = i ? r->size : first_len;
        if (!len)
            continue;
        ops[n++] = (struct gnttab_copy){
            .source = { .u.ref = r->gref, .domid = (domid_t)v->domid, .offset = r->offset },
            .dest = { .u.gmfn = gfn_of(tx_copy_buf), .domid = DOMID_SELF,
                      .offset = (uint16_t)off },
            .len = (uint16_t)len, .flags = GNTCOPY_source_gref,
        };
        off += len;
    }
    hc.tx_copy++;
    if (gnttab_op(GNTTABOP_copy, ops, n))
        for (unsigned i = 0; i < n; i++)
            ops[i].status = GNTST_general_error;
    for (unsigned i = 0; i < n; i++) {
        if (ops[i].status != GNTST_okay) {
            if (log_bad(v))
                printf("netback: d%u: TX id %u: grant copy of ref %u failed (%d): error\n",
                       v->domid, p->req[0].id, ops[i].source.u.ref, ops[i].status);
            tx_respond_pkt(v, p, NETIF_RSP_ERROR);
            return;
        }
    }
    if (p->req[0].flags & NETTXF_csum_blank) {
        if (l4csum_fill(tx_copy_buf, total, &why)) {
            log_tx_bad(v, &p->req[0], p->nreq, "csum_blank, no checksum to fill",
                       why);
            tx_respond_pkt(v, p, NETIF_RSP_ERROR);
            return;
        }
        v->tx_csum_filled++;
    }
    if (e1000_tx_copy(&nic, tx_copy_buf, (uint16_t)total)) {
        e1000_tx_reclaim(&nic, tx_done, NULL); /* make room, once */
        if (e1000_tx_copy(&nic, tx_copy_buf, (uint16_t)total)) {
            tx_respond_pkt(v, p, NETIF_RSP_DROPPED);
            return;
        }
    }
    if (p->nreq > 1) {
        v->tx_chains++;
        v->tx_chain_slots += p->nreq;
    }
    tx_respond_pkt(v, p, NETIF_RSP_OKAY);
    v->tx_packets++;
}

/* The grant behind TX request r: its persistent page (a hit, or a new entry
 * whose map goes in this batch), else a map into the slot's own page.  Fills
 * ops[*nops] when a map is needed; the slot remembers which op is its own. */
static void tx_plan_map(struct vif *v, const struct netif_tx_request *r, struct tx_slot *s,
                        struct gnttab_map_grant_ref *ops, unsigned *nops, int *op)
{
    bool added = false;

    s->pg = v->persistent ? pgrant_get(&v->pg, r->gref, PGRANT_READ, pgrant_page, &added) : NULL;
    *op = -1;
    if (trace_pkt(s->trace_pkt))
        trace_hop("tx", s->trace_pkt, TRACE_TX_GRANT, "netback.c:tx_plan_map", "gref %u: %s",
                  r->gref, s->pg && !added ? "persistent hit, no hypercall"
                           : s->pg ? "persistent, first use: GNTTABOP_map_grant_ref"
                                   : "per packet: GNTTABOP_map_grant_ref");
    if (s->pg && !added)
        return;
    *op = (int)(*nops)++;
    ops[*op] = s->pg ? pgrant_map_op(s->pg, (domid_t)v->domid)
                     : (struct gnttab_map_grant_ref){ .host_addr = s->host_addr,
                                                      .flags = GNTMAP_host_map | GNTMAP_readonly,
                                                      .ref = r->gref, .dom = (domid_t)v->domid };
}

/* The NIC could not take slot s: it is answered DROPPED at once (a rare path:
 * its unmap, if it has one of its own, is not batched). */
static void tx_not_queued(struct vif *v, const struct netif_tx_request *r, struct tx_slot *s,
                          bool dma_mapped)
{
    if (log_bad(v))
        printf("netback: d%u: TX id %u: no %s: dropped\n", v->domid, r->id,
               dma_mapped ? "NIC descriptor" : "DMA mapping (bounce pool full)");
    if (dma_mapped)
        dma_unmap(&dma, &s->dma);
    v->nr_busy--;
    if (s->pg || gnttab_unmap(s->host_addr, s->handle) == GNTST_okay)
        s->busy = false;
    else
        printf("netback: d%u: TX slot at 0x%lx would not unmap: retired\n", v->domid,
               (unsigned long)s->host_addr);
    tx_respond(v, r->id, NETIF_RSP_DROPPED);
}

/* The packet trace's hops 9 and 10: the bus address dma_map_foreign chose
 * (fork 2 of docs/packet-path.md), and the descriptor that hands it over. */
static void trace_tx_dma(const struct tx_slot *s, const struct netif_tx_request *r, bool mapped,
                         bool queued, unsigned desc)
{
    uint64_t bus = bus_addr(s->dma.bus);

    if (!mapped) {
        trace_hop("tx", s->trace_pkt, TRACE_TX_DMA, "dma.c:dma_map_foreign", "refused: dropped");
        return;
    }
    trace_hop("tx", s->trace_pkt, TRACE_TX_DMA, "dma.c:dma_map_foreign", "bus 0x%lx = %s (dma=%s)",
              (unsigned long)bus, s->dma.bounce ? "bounce buffer" :
              dma.mode == DMA_DIRECT ? "host_addr IPA" : "machine address",
              dma_mode_name(dma.mode));
    if (queued)
        trace_hop("tx", s->trace_pkt, TRACE_TX_DESC, "e1000.c:e1000_tx_bus",
                  "desc %u addr 0x%lx len %u, TDT %u", desc, (unsigned long)bus, r->size,
                  nic.tx_tail);
    else
        trace_hop("tx", s->trace_pkt, TRACE_TX_DESC, "e1000.c:e1000_tx_bus", "no descriptor: "
                  "dropped");
}

/* Map a batch of TX requests in one hypercall (only those not already
 * mapped as persistent grants: with a frontend that promised them, none
 * after the first use of each buffer), then queue each on the NIC. */
static void tx_map_batch(struct vif *v, struct netif_tx_request *reqs, struct tx_slot **slots,
                         unsigned n)
{
    static struct gnttab_map_grant_ref ops[TX_BATCH];
    int op[TX_BATCH];
    unsigned nops = 0;

    for (unsigned i = 0; i < n; i++)
        tx_plan_map(v, &reqs[i], slots[i], ops, &nops, &op[i]);
    if (nops) {
        hc.tx_map++;
        if (gnttab_op(GNTTABOP_map_grant_ref, ops, nops))
            for (unsigned k = 0; k < nops; k++)
                ops[k].status = GNTST_general_error;
    }
    for (unsigned i = 0; i < n; i++) {
        struct tx_slot *s = slots[i];
        const struct netif_tx_request *r = &reqs[i];
        int16_t st = op[i] >= 0 ? ops[op[i]].status : GNTST_okay;
        uint64_t va, dev_bus_addr;

        if (s->pg && op[i] >= 0) {
            pgrant_map_done(s->pg, &ops[op[i]]);
            hc.pg_maps += st == GNTST_okay;
        } else if (s->pg && s->pg->state != PGRANT_MAPPED) {
            st = GNTST_general_error; /* refused before (or its map in this batch was) */
        } else if (s->pg) {
            v->pg_tx_hits++;
        }
        if (st != GNTST_okay) {
            if (log_bad(v))
                printf("netback: d%u: TX id %u: map of ref %u refused (%d): error\n", v->domid,
                       r->id, r->gref, st);
            tx_respond(v, r->id, NETIF_RSP_ERROR);
            s->busy = false;
            continue;
        }
        if (s->pg) {
            va = s->pg->host_addr;
            dev_bus_addr = s->pg->machine;
        } else {
            s->handle = ops[op[i]].handle;
            va = s->host_addr;
            dev_bus_addr = ops[op[i]].dev_bus_addr;
        }
        v->nr_busy++;
        if (trace_pkt(s->trace_pkt))
            trace_hop("tx", s->trace_pkt, TRACE_TX_MAPPED, "netback.c:tx_map_batch",
                      "gref %u host_addr IPA 0x%lx machine 0x%lx", r->gref, (unsigned long)va,
                      (unsigned long)dev_bus_addr);
        bool mapped = !dma_map_foreign(&dma, (void *)(va + r->offset), r->size, DMA_TO_DEVICE,
                                       machine_of_grant_map(dev_bus_addr, r->offset), &s->dma);
        unsigned desc = nic.tx_tail;
        bool queued = mapped && !e1000_tx_bus(&nic, s->dma.bus, r->size, s);
        if (trace_pkt(s->trace_pkt))
            trace_tx_dma(s, r, mapped, queued, desc);
        if (!queued)
            tx_not_queued(v, r, s, mapped);
    }
}

/* Requests taken per call: the loop then serves the NIC, xenstore and the
 * other vifs before coming back (a domU cannot keep dom0 here). */
#define TX_BUDGET NETIF_TX_RING_SIZE

/* Sent from the domU's own page, mapped (the path seed 000 is about): one
 * slot, nothing to fill in. */
static bool zero_copy(const struct tx_pkt *p)
{
    return tx_mode == TX_MAP && p->nreq == 1 && p->nextra == 0 &&
           !(p->req[0].flags & NETTXF_csum_blank);
}

static void tx_process(struct vif *v)
{
    struct netif_tx_request reqs[TX_BATCH];
    struct tx_slot *slots[TX_BATCH];
    struct tx_pkt pkt;
    unsigned n = 0, taken = 0, first_len;

    for (;;) {
        RING_IDX prod = __atomic_load_n(&v->tx->h.req_prod, __ATOMIC_ACQUIRE);
        bool incomplete = false;
        if (ring_overrun(prod, v->tx_rsp_prod_pvt, NETIF_TX_RING_SIZE)) {
            disconnect(v, "TX ring: req_prod is more than a ring ahead of the responses");
            return;
        }
        if (taken >= TX_BUDGET) {
            el_raise(v->src); /* more next round, after the others */
            return;
        }
        while (n < TX_BATCH && taken < TX_BUDGET) {
            const char *why = NULL;
            enum gather g = tx_gather(v->tx, v->tx_req_cons, prod, &pkt, &why);
            struct tx_slot *s = NULL;

            if (g == GATHER_NONE)
                break;
            if (g == GATHER_INCOMPLETE) {
                incomplete = true;
                break;
            }
            if (g == GATHER_FATAL) {
                log_tx_bad(v, &pkt.req[0], pkt.nreq, why, "fatal");
                if (n)
                    tx_map_batch(v, reqs, slots, n);
                tx_push(v);
                disconnect(v, why);
                return;
            }
            if (zero_copy(&pkt) && !(s = free_slot(v)))
                break; /* all slots in flight: the NIC's completions free them */
            unsigned pkt_no = trace_count(&v->trace_tx);
            if (trace_pkt(pkt_no))
                trace_hop("tx", pkt_no, TRACE_TX_TAKEN, "netback.c:tx_process", "port %u: TX req "
                          "slot %u id %u gref %u len %u%s", v->port, v->tx_req_cons,
                          pkt.req[0].id, pkt.req[0].gref, pkt.req[0].size,
                          s ? "" : ": copied (not zero-copy)");
            v->tx_req_cons += tx_pkt_slots(&pkt);
            taken += tx_pkt_slots(&pkt);
            const char *bad = bad_tx_packet(&pkt, &first_len);
            if (bad) {
                log_tx_bad(v, &pkt.req[0], pkt.nreq, bad, "error");
                tx_respond_pkt(v, &pkt, NETIF_RSP_ERROR);
                continue;
            }
            if (!s) {
                tx_copy_pkt(v, &pkt, first_len);
                continue;
            }
            s->busy = true;
            s->id = pkt.req[0].id;
            s->vif = v;
            s->trace_pkt = pkt_no;
            reqs[n] = pkt.req[0];
            slots[n++] = s;
        }
        if (n) {
            tx_map_batch(v, reqs, slots, n);
            n = 0;
        }
        tx_push(v);
        if (incomplete) {
            /* The packet's last slots are not there yet: ask for an event when
             * the frontend publishes more, then look again once. */
            __atomic_store_n(&v->tx->h.req_event, prod + 1, __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (__atomic_load_n(&v->tx->h.req_prod, __ATOMIC_ACQUIRE) != prod)
                continue;
            return;
        }
        if (v->tx_req_cons == prod &&
            !ring_final_check(&v->tx->h.req_prod, &v->tx->h.req_event, v->tx_req_cons))
            return;
        if (tx_mode == TX_MAP && !free_slot(v))
            return;
    }
}


/* --- RX: wire -> domU ------------------------------------------------------------------ */

static bool frame_for(const struct vif *v, const uint8_t *frame)
{
    return (frame[0] & 1) || !memcmp(frame, v->mac, 6); /* group address, or its own */
}

/*
 * RX is batched per e1000 poll: each frame for a vif takes one of the
 * buffers the frontend posted at once (so the order is the wire's), and
 * its grant copy waits in rx_pend; rx_flush, called by e1000_rx_poll before
 * the NIC gets its buffers back (or when the batch is full), copies them all
 * in one grant_table_op, writes the responses in order and pushes each
 * vif's ring once, so the frontend gets one event per batch, not per frame
 * (Linux netback batches its RX copies the same way).  With persistent
 * grants a frame is copied straight into the buffer's page, mapped since its
 * first use (that first use maps it, in the batch's multicall): no hypercall.
 */
#define RX_BATCH 64
enum rx_how {
    RX_UNDELIVERABLE, /* no way in: answered with an error */
    RX_GRANT_COPY,    /* an op in rx_ops (the frame lies within one page) */
    RX_COPIED,        /* already copied into its persistent grant's page */
    RX_AFTER_MAP,     /* into its persistent grant's page once rx_map_ops[map] is made */
};
static struct rx_pend {
    struct vif *v;
    struct netif_rx_request r;
    const void *frame;
    uint16_t len;
    enum rx_how how;
    struct pgrant *pg;        /* RX_AFTER_MAP: the grant, and its map op */
    unsigned map;
    unsigned trace_pkt;       /* the packet trace's number of this frame */
} rx_pend[RX_BATCH];
static struct gnttab_copy rx_ops[RX_BATCH];
static struct gnttab_map_grant_ref rx_map_ops[RX_BATCH];
static struct pgrant *rx_map_pg[RX_BATCH];
static unsigned rx_npend, rx_nops, rx_nmaps;

/* How a frame gets into the buffer the frontend posted: its op status. */
static int16_t rx_land(struct rx_pend *p, unsigned *copy_op)
{
    switch (p->how) {
    case RX_GRANT_COPY:
        return rx_ops[(*copy_op)++].status;
    case RX_COPIED:
        return GNTST_okay;
    case RX_AFTER_MAP:
        if (p->pg->state != PGRANT_MAPPED)
            return rx_map_ops[p->map].status ? rx_map_ops[p->map].status : GNTST_general_error;
        memcpy((void *)p->pg->host_addr, p->frame, p->len);
        return GNTST_okay;
    default:
        return GNTST_general_error;
    }
}

/* The maps of this batch's new persistent grants were made (or not). */
static void rx_maps_done(long result)
{
    for (unsigned i = 0; i < rx_nmaps; i++) {
        if (result)
            rx_map_ops[i].status = GNTST_general_error;
        pgrant_map_done(rx_map_pg[i], &rx_map_ops[i]);
        hc.pg_maps += rx_map_ops[i].status == GNTST_okay;
    }
}

/* The packet trace's RX hops 2 and 3: how the frame got into the domU's
 * buffer, and the response that tells it. */
static void trace_rx_landed(const struct rx_pend *p, int16_t op_status, RING_IDX slot,
                            int16_t status)
{
    static const char *const how[] = {
        [RX_UNDELIVERABLE] = "no way in", [RX_GRANT_COPY] = "GNTTABOP_copy",
        [RX_COPIED] = "memcpy into persistent grant", [RX_AFTER_MAP] = "map, then memcpy",
    };

    trace_hop("rx", p->trace_pkt, TRACE_RX_COPY, "netback.c:rx_flush", "%s, %u bytes to d%u gref "
              "%u: status %d", how[p->how], p->len, p->v->domid, p->r.gref, op_status);
    trace_hop("rx", p->trace_pkt, TRACE_RX_RESPONSE, "netback.c:rx_flush", "RX rsp slot %u id "
              "%u status %d, event if rsp_event asks (port %u)", slot, p->r.id,
              status, p->v->port);
}

/* Both rings of a vif share one event channel.  The RX responses of a poll
 * are announced as soon as they are written (rx_flush), before dom0 gives
 * the NIC its buffers back and reclaims its transmissions: the frontend's
 * wake-up (a kick to its CPU, tens of microseconds under QEMU) then overlaps
 * that work instead of following it.  What the rest of the round answers
 * (TX responses) is announced at its end, before dom0 sleeps, if the
 * frontend asked.  Each event is a hypercall here and an interrupt in the
 * frontend; a vif that went away meanwhile gets none. */
static void notify_vifs(void)
{
    mc.n = 0;
    for (unsigned i = 0; i < nr_vifs; i++) {
        struct vif *v = &vifs[i];
        if (v->notify && v->rings_mapped)
            xen_mc_evtchn_send(&mc, v->port);
        v->notify = false;
    }
    if (mc.n)
        hc.send++;
    xen_mc_flush(&mc);
}

static void rx_flush(void *ctx)
{
    unsigned k = 0;

    (void)ctx;
    if (!rx_npend)
        return;
    /* At most one entry into the hypervisor: the TX completions' unmaps,
     * the maps of new persistent grants, then the copies (the responses are
     * written after all of them, so each frontend sees its data before the
     * index that announces it).  With every buffer a persistent grant
     * already mapped, none at all. */
    mc.n = 0;
    tx_unmaps_add(&mc);
    unsigned map_entry = mc.n;
    if (rx_nmaps)
        xen_mc_gnttab(&mc, GNTTABOP_map_grant_ref, rx_map_ops, rx_nmaps);
    unsigned copy_entry = mc.n;
    if (rx_nops)
        xen_mc_gnttab(&mc, GNTTABOP_copy, rx_ops, rx_nops);
    hc.round += mc.n != 0;
    long r = xen_mc_flush(&mc);
    /* Each entry by its own result: one the multicall never reached did
     * nothing (its slots stay mapped and are retired, never reused). */
    if (rx_nops && xen_mc_result(&mc, copy_entry, r))
        for (unsigned i = 0; i < rx_nops; i++)
            rx_ops[i].status = GNTST_general_error;
    rx_maps_done(rx_nmaps ? xen_mc_result(&mc, map_entry, r) : 0);
    if (nunmap)
        tx_unmaps_finish(xen_mc_result(&mc, 0, r));
    for (unsigned i = 0; i < rx_npend; i++) {
        struct rx_pend *p = &rx_pend[i];
        struct vif *v = p->v;
        int16_t status = (int16_t)p->len, op_status = rx_land(p, &k);
        uint16_t flags = 0;
        if (op_status != GNTST_okay) {
            if (log_bad(v))
                printf("netback: d%u: RX request id %u (ref %u): %s failed (%d)\n", v->domid,
                       p->r.id, p->r.gref, p->pg ? "map of its persistent grant" : "grant copy",
                       op_status);
            status = NETIF_RSP_ERROR;
        } else {
            v->rx_packets++;
            /* We checked the TCP/UDP checksum: the frontend need not (Linux's
             * netback says so for what its NIC verified). */
            if (l4csum_valid(p->frame, p->len)) {
                flags |= NETRXF_data_validated;
                v->rx_validated++;
            }
        }
        union netif_rx_slot *s = &v->rx->ring[v->rx_rsp_prod_pvt % NETIF_RX_RING_SIZE];
        s->rsp = (struct netif_rx_response){ .id = p->r.id, .offset = 0, .flags = flags,
                                             .status = status };
        if (trace_pkt(p->trace_pkt))
            trace_rx_landed(p, op_status, v->rx_rsp_prod_pvt, status);
        v->rx_rsp_prod_pvt++;
    }
    for (unsigned i = 0; i < rx_npend; i++) {
        struct vif *v = rx_pend[i].v;
        bool first = true;
        for (unsigned j = 0; j < i; j++)
            first = first && rx_pend[j].v != v;
        if (first && ring_push(&v->rx->h.rsp_prod, &v->rx->h.rsp_event, v->rx_rsp_prod_pvt))
            v->notify = true;
    }
    rx_npend = rx_nops = rx_nmaps = 0;
    notify_vifs();
}

/* Frame p into its buffer's persistent grant: at once if mapped, after the
 * batch's maps if new.  false: the grant goes the per-packet way. */
static bool rx_persistent(struct vif *v, struct rx_pend *p)
{
    bool added = false;

    p->pg = v->persistent ? pgrant_get(&v->pg, p->r.gref, PGRANT_WRITE, pgrant_page, &added)
                          : NULL;
    if (!p->pg)
        return false;
    if (p->pg->state == PGRANT_MAPPED) {
        memcpy((void *)p->pg->host_addr, p->frame, p->len);
        p->how = RX_COPIED;
        v->pg_rx_hits++;
        return true;
    }
    p->how = p->pg->state == PGRANT_MAPPING ? RX_AFTER_MAP : RX_UNDELIVERABLE;
    if (added) {
        rx_map_pg[rx_nmaps] = p->pg;
        rx_map_ops[rx_nmaps++] = pgrant_map_op(p->pg, (domid_t)v->domid);
    }
    if (p->how == RX_AFTER_MAP) { /* the op it waits for: its own, or an earlier frame's */
        for (p->map = 0; p->map < rx_nmaps && rx_map_pg[p->map] != p->pg; p->map++)
            ;
        if (p->map == rx_nmaps)
            p->how = RX_UNDELIVERABLE;
    }
    return true;
}

static void rx_deliver(struct vif *v, const void *frame, size_t len)
{
    RING_IDX prod = __atomic_load_n(&v->rx->h.req_prod, __ATOMIC_ACQUIRE);

    if (ring_overrun(prod, v->rx_rsp_prod_pvt, NETIF_RX_RING_SIZE)) {
        rx_flush(NULL);       /* what it already got is answered before it goes */
        disconnect(v, "RX ring: req_prod is more than a ring ahead of the responses");
        return;
    }
    if (len > NETIF_MAX_PACKET)
        return; /* longer than the frontend was promised (e.g. VLAN-tagged): not forwarded */
    if (prod == v->rx_req_cons) {
        v->rx_dropped_no_buffer++;
        return; /* the frontend posted no buffer: dropped, as on a real NIC */
    }
    if (rx_npend == RX_BATCH)
        rx_flush(NULL);
    struct rx_pend *p = &rx_pend[rx_npend++];
    *p = (struct rx_pend){ .v = v, .r = v->rx->ring[v->rx_req_cons % NETIF_RX_RING_SIZE].req,
                           .frame = frame, .len = (uint16_t)len, .trace_pkt = trace_count(&v->trace_rx) };
    if (trace_pkt(p->trace_pkt))
        trace_hop("rx", p->trace_pkt, TRACE_RX_BUFFER, "netback.c:rx_deliver", "frame len %u from "
                  "the e1000 -> RX req slot %u id %u gref %u", (unsigned)len, v->rx_req_cons,
                  p->r.id, p->r.gref);
    v->rx_req_cons++;
    if (rx_persistent(v, p))
        return;
    if ((uint64_t)frame % PAGE_SIZE + len <= PAGE_SIZE) {
        p->how = RX_GRANT_COPY;
        rx_ops[rx_nops++] = (struct gnttab_copy){
            .source = { .u.gmfn = gfn_of(frame), .domid = DOMID_SELF,
                        .offset = (uint16_t)((uint64_t)frame % PAGE_SIZE) },
            .dest = { .u.ref = p->r.gref, .domid = (domid_t)v->domid, .offset = 0 },
            .len = (uint16_t)len, .flags = GNTCOPY_dest_gref,
        };
    }
}

static void on_wire_frame(const void *frame, size_t len, void *ctx)
{
    (void)ctx;
    if (len < 14)
        return;
    for (unsigned i = 0; i < nr_vifs; i++)
        if (vifs[i].connected && frame_for(&vifs[i], frame))
            rx_deliver(&vifs[i], frame, len);
}

/* --- the loop's handlers ---------------------------------------------------------------- */

/*
 * The TX-done interrupt is wanted only while frames are in flight after a
 * reclaim: QEMU's e1000 completes a frame on the TDT write, so the reclaim
 * at the end of the round that queued it finds it done, and an interrupt
 * per frame would only be one more entry into the hypervisor.  Unmasked
 * with its cause already latched, it fires at once (e1000_tx_irq).
 */
static void tx_irq_update(void)
{
    bool want = e1000_tx_pending(&nic) != 0;

    if (want != tx_irq_on) {
        e1000_tx_irq(&nic, want);
        tx_irq_on = want;
    }
}

/* After each round of the loop, before it sleeps: take the NIC's TX
 * completions, flush or defer their unmaps, send the round's events. */
static void round_end(void *ctx)
{
    (void)ctx;
    e1000_tx_reclaim(&nic, tx_done, NULL);
    tx_answers_out_all();
    tx_irq_update();
    tx_unmaps_maybe();
    notify_vifs();
}

/* The frontend signalled: new TX requests (or RX buffers, which the next
 * frames will find by themselves). */
static void vif_serve(void *ctx)
{
    struct vif *v = ctx;

    if (v->connected)
        tx_process(v);
}

/* The NIC interrupted: frames arrived, transmissions completed. */
static void nic_serve(void *ctx)
{
    (void)ctx;
    e1000_take_causes(&nic);
    e1000_rx_poll(&nic, on_wire_frame, rx_flush, NULL);
    e1000_tx_reclaim(&nic, tx_done, NULL);
}

static void raise_nic(void *ctx) { el_raise(ctx); }

static void print_stats(void)
{
    const struct e1000_stats *e = e1000_stats(&nic);
    for (unsigned i = 0; i < nr_vifs; i++)
        printf("netback: d%u: TX %lu packets (%lu errors), RX %lu packets (%lu dropped: no "
               "buffer)\n", vifs[i].domid, (unsigned long)vifs[i].tx_packets,
               (unsigned long)vifs[i].tx_errors, (unsigned long)vifs[i].rx_packets,
               (unsigned long)vifs[i].rx_dropped_no_buffer);
    for (unsigned i = 0; i < nr_vifs; i++)
        printf("netback: d%u: offloads: %lu checksums filled, %lu chains (%lu slots), %lu RX "
               "checksums validated\n", vifs[i].domid, (unsigned long)vifs[i].tx_csum_filled,
               (unsigned long)vifs[i].tx_chains, (unsigned long)vifs[i].tx_chain_slots,
               (unsigned long)vifs[i].rx_validated);
    printf("netback: hypercalls: %lu TX map, %lu TX copy, %lu RX rounds (unmaps + copies), "
           "%lu unmap-only, %lu event rounds\n", (unsigned long)hc.tx_map,
           (unsigned long)hc.tx_copy, (unsigned long)hc.round, (unsigned long)hc.unmap_only,
           (unsigned long)hc.send);
    printf("netback: TX unmaps: %lu in %lu batches; persistent grants mapped: %lu\n",
           (unsigned long)hc.unmaps, (unsigned long)hc.unmap_batches,
           (unsigned long)hc.pg_maps);
    for (unsigned i = 0; i < nr_vifs; i++)
        if (vifs[i].persistent)
            printf("netback: d%u: persistent grants: %u held now, %lu TX and %lu RX packets "
                   "served from them\n", vifs[i].domid, pgrant_mapped_count(&vifs[i].pg),
                   (unsigned long)vifs[i].pg_tx_hits, (unsigned long)vifs[i].pg_rx_hits);
    printf("netback: e1000: TX %lu, RX %lu; DMA: %s, %lu maps, %lu bounces\n",
           (unsigned long)e->tx, (unsigned long)e->rx, dma_mode_name(dma.mode),
           (unsigned long)dma.stats.maps, (unsigned long)dma.stats.bounces);
}

static void stats_tick(void *ctx)
{
    (void)ctx;
    print_stats();
}

static bool domain_running(unsigned domid)
{
    struct granite_domain_info info;
    return dom0_domain_info(domid, &info) == 0;
}

/*
 * A domain that ended without closing its vif (Linux powering off does not
 * walk its xenbus devices) still has its rings mapped here, and granite
 * cannot give its memory back while dom0 holds them.  As Xen's toolstack
 * does when a domain dies, the backend tears the vif down itself.  Checked
 * when granite raises VIRQ_DOM_EXC (main.c): a hypercall per vif each time.
 */
void netback_reap(void)
{
    for (unsigned i = 0; i < nr_vifs; i++) {
        struct vif *v = &vifs[i];
        if ((v->rings_mapped || v->state != XenbusStateClosed) && !v->dead &&
            !domain_running(v->domid)) {
            printf("netback: d%u: domain ended with its vif open: closing it\n", v->domid);
            close_vif(v);
        }
    }
}

/*
 * end=vifs-closed: dom0 ends once every vif it created is closed and its
 * domU has ended (a domU still running may yet write its last xenstore
 * keys).
 */
bool netback_every_vif_done(void)
{
    /* No domU to serve (none configured, or destroyed before dom0 looked):
     * nothing will ever connect, so waiting would only hang the run. */
    if (!nr_vifs)
        return true;
    for (unsigned i = 0; i < nr_vifs; i++)
        if (vifs[i].rings_mapped || vifs[i].state != XenbusStateClosed ||
            domain_running(vifs[i].domid))
            return false;
    return true;
}

/* It lets go of what it holds first — the NIC stopped (no DMA into memory
 * about to be returned); the caller unmaps the store rings — so the
 * hypervisor gets back a clean domain, and a scenario can check that every
 * page came back. */
int netback_end(void)
{
    int rc = 0;

    if (e1000_stop(&nic)) {
        printf("netback: end: the e1000 did not stop: FAIL\n");
        rc = 1;
    }
    print_stats();
    printf("netback: every vif closed and its domain ended: dom0 ends\n");
    return rc;
}

static int bad_start(const char *what)
{
    printf("netback: %s: FAIL\n", what);
    return 1;
}

int netback_start(const struct guest_info *gi)
{
    char arg[24], dmaarg[16];
    int node = fdt_node_offset_by_compatible(gi->fdt, -1, "pci-host-ecam-generic");
    unsigned mask_bits = 64;

    if (guest_arg("netback_tx", arg, sizeof(arg)))
        tx_mode = !strcmp(arg, "copy") ? TX_COPY : TX_MAP;
    if (guest_arg("netback_persistent", arg, sizeof(arg)))
        persistent_offered = strcmp(arg, "off") != 0;
    if (guest_arg("dma_mask_bits", arg, sizeof(arg)))
        mask_bits = (unsigned)atoi(arg);
    if (dma_init(&dma, "e1000", gi->fdt, node,
                 guest_arg("dma", dmaarg, sizeof(dmaarg)) ? dmaarg : NULL,
                 mask_bits >= 64 ? ~0UL : (1UL << mask_bits) - 1))
        return bad_start("dma_init");
    if (e1000_init(&nic, gi->fdt, &dma))
        return bad_start("e1000_init");
    e1000_set_promiscuous(&nic, true);
    /* QEMU's e1000 holds received frames for a second after an RCTL write:
     * be ready for the domUs only once the NIC really receives. */
    if (e1000_rx_hold_left_us(&nic))
        guest_sleep_us(0, e1000_rx_hold_left_us(&nic));
    nic_src = el_source_new("e1000", nic_serve, NULL);
    if (!nic_src || el_after_round(round_end, NULL) ||
        el_every(STATS_PERIOD_US, stats_tick, NULL))
        return bad_start("event loop");
    e1000_set_irq_hook(&nic, raise_nic, nic_src);
    el_raise(nic_src); /* whatever arrived before the hook was set */
    return 0;
}

void netback_ready(void)
{
    printf("netback: ready: %u vif(s), TX by %s, DMA %s\n", nr_vifs,
           tx_mode == TX_MAP ? "grant map" : "grant copy", dma_mode_name(dma.mode));
}
