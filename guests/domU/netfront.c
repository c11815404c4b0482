/*
 * netfront.c — the PV network frontend: a vif over two grant-shared rings.
 *
 * Connection (the handshake Linux's netfront does): find the vif's backend
 * in xenstore, wait for it to reach InitWait (2), take grant references from
 * the domain's allocator (grant_refs.h) and grant the TX and RX ring pages
 * and the buffers, allocate an event channel for the backend's domain,
 * write the ring keys in one transaction (retried on EAGAIN), switch its
 * state to Connected (4) in another (read, then write: Linux's
 * xenbus_switch_state), kick the backend once, and start using the rings at
 * once.  Its own keys are relative paths ("device/vif/0/..."), as Linux's are.
 *
 * What Linux 6.1's xen-netback (drivers/net/xen-netback/{xenbus,netback,rx,
 * interface}.c) requires of a frontend, and where this one meets it:
 *   1. The backend goes to InitWait at probe and reaches Connected only when
 *      its hotplug agent has written hotplug-status=connected (the state
 *      write is deferred until then), so a frontend that waits for
 *      Connected may wait for ever.  We connect on InitWait and never wait
 *      for Connected (netfront_connect); the backend's later states arrive
 *      through a watch (netfront_check_backend): Connected is logged,
 *      Closing/Closed stop the vif (no more requests; the caller closes).
 *   2. request-rx-copy must read non-zero, or connect fails (-EOPNOTSUPP,
 *      the vif never comes up): we write request-rx-copy=1.
 *   3. feature-rx-notify: not refused when absent in 6.1 (kernels 3.x
 *      refused to connect; 6.1's read_xenbus_vif_flags instead drops the
 *      drain timeout to 30 ms and turns RX stall detection off, i.e. polls
 *      a frontend that will not notify).  We write feature-rx-notify=1 and
 *      honour it: RX requests are published with req_event checked
 *      (ring_push = RING_PUSH_REQUESTS_AND_CHECK_NOTIFY), so a backend that
 *      waits for RX slots is notified when they come.
 *   4. tx-ring-ref, rx-ring-ref and event-channel (one channel: we offer no
 *      event-channel-tx/-rx) are read from the frontend directory itself,
 *      not queue-N/, because multi-queue-num-queues is absent (default 1;
 *      more than the backend's maximum is fatal).  They go in one
 *      transaction with the feature keys (publish_rings), so the backend
 *      never sees half of them.
 *   5. feature-sg, feature-gso-tcpv4/-tcpv6: we write feature-sg=0 and no
 *      GSO key, so the backend's vif has no SG, no GSO and an MTU of 1500:
 *      every RX packet (at most 1514 bytes) comes in one slot from offset 0,
 *      with no extra-info slot (those follow a first slot only when GSO or
 *      XDP headroom was asked for).  All the same, RX copes with what a
 *      backend may send: NETRXF_more_data chains are put together (up to
 *      NETFRONT_RX_FRAME_MAX bytes, longer ones dropped and counted),
 *      NETRXF_extra_info slots are consumed and their buffers reposted
 *      (counted: we never asked for them), NETRXF_csum_blank frames (from a
 *      local guest that offloaded its checksum) get their TCP/UDP checksum
 *      filled in (l4csum_fill) before our stack checks it, and
 *      NETRXF_data_validated needs nothing (the checksum is already right).
 *   6. RX responses match requests by ring index (netback answers the
 *      request at req_cons in the same slot with the same id): the buffer
 *      behind a response is the one posted at that index (rx_slot_buf);
 *      an id that disagrees, an unposted buffer or offset+status beyond the
 *      page is counted and the frame dropped.
 *   7. TX slot rules (netback.c): the first slot's size is the whole
 *      packet; no slot crosses a 4 KiB page (offset + size <= 4096, else
 *      the vif is disabled: xenvif_fatal_tx_err); at most 18 slots per
 *      packet (XEN_NETBK_LEGACY_SLOTS_MAX: more are dropped, at
 *      fatal_skb_slots the vif is disabled); chains only if the backend
 *      advertises feature-sg (else tx=sg falls back to single slots); no
 *      extra-info slots (we do no GSO).  xmit_chain keeps every piece inside
 *      its page.
 *   8. Notifications both ways follow the event indices: requests with
 *      ring_push (notify only if the backend's req_event lies in the new
 *      range), and before sleeping ring_final_check sets rsp_event on the
 *      RX ring — and on the TX ring only when fewer than a quarter of the
 *      TX buffers are free, or a send waits for one (TX responses are
 *      otherwise collected at the next poll: an event per sent frame would
 *      be a hypercall in the backend and an interrupt here for nothing) —
 *      and looks once more, so a response published meanwhile is not
 *      slept through.  Netback binds our port after we publish it and
 *      its bind makes its own end pending (as Xen does), and we kick once
 *      after switching to Connected, so nothing posted before the bind is
 *      lost.
 *   9. Closing: we write Closing (5) and wait (bounded) for the backend's
 *      Closed (6), then write Closed (main.c close_vif); netback unmaps
 *      our rings on our Closing, so our grants are revoked only after.
 *
 * Persistent grants (feature-persistent=1, blkif.h's key; netif.h defines
 * none, so this is an agreement between granite's toy pair, and Linux's
 * netback never reads it): every TX and RX request names one of the
 * buffers granted once below, and no grant is revoked before the backend
 * is Closed.  That is how this frontend works anyway; writing the key lets
 * a backend that offers it too keep each page mapped for the whole
 * connection instead of mapping and unmapping (or grant-copying) per packet.
 * persistent=off on the command line withholds the promise.
 *
 * TX: a frame is copied into one of TX_BUFS pages granted read-only to the
 * backend once, at start, and a request {gref, offset 0, size, id = buffer}
 * is posted; the response frees the buffer.  netfront_set_tx_mode() makes
 * frames go with NETTXF_csum_blank or as NETTXF_more_data chains instead
 * (netfront.h), so the backend's paths for them are tested without Linux.  With every buffer in flight a
 * send waits (bounded) for a response instead of dropping the frame.  RX: RX_BUFS pages granted
 * writable are kept posted; each frame goes to the receive callback, and its
 * buffers are posted again.
 *
 * The backend is another domain: response ids and statuses are checked
 * (unknown id, length beyond the buffer: counted and logged, never trusted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "xenbus.h"
#include "grant_refs.h"
#include "netfront.h"
#include "l4csum.h"
#include "trace.h"
#include "page.h"
#include <public/io/netif.h>
#include <public/io/xenbus.h>

#define TX_BUFS NETFRONT_TX_BUFS
#define RX_BUFS NETFRONT_RX_BUFS
#define BE_STATE_TOKEN "be-state"
/* How long to wait for the backend to reach InitWait, unless the command line
 * says backend_wait_s=N: a Linux driver domain loads xen-netback only at the
 * end of its boot, which under QEMU's TCG on a loaded host takes tens of
 * seconds of guest (wall-clock) time. */
#define CONNECT_TIMEOUT_US 10000000UL
#define US_PER_S 1000000UL
/* How long a send waits for the backend to answer one of its TX requests
 * when every buffer is in flight: a guard against a backend that stopped,
 * far beyond what a live one takes (it answers as its NIC completes). */
#define TX_WAIT_US 1000000
#define SG_CHUNK_DEFAULT 100        /* NETFRONT_TX_SG: a 1514-byte frame takes 16 slots */
#define SG_OFFSET_BASE 1            /* odd offsets: nothing assumes alignment */
#define SG_OFFSET_STEP 37
/* frame layout, for blanking a checksum (IEEE 802.3, RFC 791/768/793) */
#define ETH_HLEN 14
#define ETH_TYPE_OFF 12
#define ETH_TYPE_IPV4_HI 0x08
#define ETH_TYPE_IPV4_LO 0x00
#define IPV4_VERSION 4
#define IPV4_MIN_HLEN 20
#define IPV4_FRAG_OFF 6
#define IPV4_FRAG_HI_MASK 0x3f      /* MF and the fragment offset's high bits */
#define IPV4_PROTO_OFF 9
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6

static struct netif_tx_sring tx_ring __attribute__((aligned(PAGE_SIZE)));
static struct netif_rx_sring rx_ring __attribute__((aligned(PAGE_SIZE)));
static uint8_t tx_bufs[TX_BUFS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t rx_bufs[RX_BUFS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* A NETRXF_more_data chain, put together (never used by a backend that saw
 * our feature-sg=0, but a backend is not trusted to have read it). */
static uint8_t rx_frame[NETFRONT_RX_FRAME_MAX];

static struct netfront nf_state;


static void on_event(evtchn_port_t p) { (void)p; nf_state.kicked = true; }

static int read_int(const char *path, long *v)
{
    char buf[32];
    if (xenbus_read(XBT_NIL, path, buf, sizeof(buf)) < 0)
        return -1;
    *v = strtol(buf, NULL, 10);
    return 0;
}

static int write_key(xenbus_transaction_t t, const char *dir, const char *key,
                     unsigned long v)
{
    char path[128], val[32];
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    snprintf(val, sizeof(val), "%lu", v);
    int r = xenbus_write(t, path, val);
    if (r < 0)
        printf("netfront: write %s failed: %s\n", path, xenbus_last_error());
    return r;
}

/* A transaction that changed nothing we read may be told EAGAIN all the
 * same (the server is allowed to be conservative): retry a few times. */
#define TX_RETRIES 8

/* The ring keys, all in one transaction, as Linux's talk_to_netback. */
static int publish_rings(struct netfront *nf)
{
    for (unsigned attempt = 0; attempt < TX_RETRIES; attempt++) {
        xenbus_transaction_t t;
        int r = xenbus_transaction_start(&t);
        if (r < 0) {
            printf("netfront: transaction start failed: %s\n", xenbus_last_error());
            return r;
        }
        if (write_key(t, nf->frontend, "tx-ring-ref", nf->tx_ring_ref) ||
            write_key(t, nf->frontend, "rx-ring-ref", nf->rx_ring_ref) ||
            write_key(t, nf->frontend, "event-channel", nf->port) ||
            write_key(t, nf->frontend, "request-rx-copy", 1) ||
            write_key(t, nf->frontend, "feature-rx-notify", 1) ||
            write_key(t, nf->frontend, "feature-sg", 0) ||
            write_key(t, nf->frontend, "feature-persistent", nf->persistent)) {
            xenbus_transaction_end(t, XENBUS_ABORT);
            return -1;
        }
        r = xenbus_transaction_end(t, XENBUS_COMMIT);
        if (r != -EAGAIN)
            return r;
    }
    printf("netfront: ring keys: the transaction kept conflicting\n");
    return -1;
}

/* Our state, the way xenbus_switch_state does it: read it and write it in
 * one transaction (a state that already reads `state` is left alone). */
static int switch_state(struct netfront *nf, long state)
{
    char path[96], cur[16];

    snprintf(path, sizeof(path), "%s/state", nf->frontend);
    for (unsigned attempt = 0; attempt < TX_RETRIES; attempt++) {
        xenbus_transaction_t t;
        int r = xenbus_transaction_start(&t);
        if (r < 0)
            return r;
        if (xenbus_read(t, path, cur, sizeof(cur)) == 0 && strtol(cur, NULL, 10) == state) {
            xenbus_transaction_end(t, XENBUS_ABORT);
            return 0;
        }
        if (write_key(t, nf->frontend, "state", (unsigned long)state)) {
            xenbus_transaction_end(t, XENBUS_ABORT);
            return -1;
        }
        r = xenbus_transaction_end(t, XENBUS_COMMIT);
        if (r != -EAGAIN)
            return r;
    }
    printf("netfront: state %ld: the transaction kept conflicting\n", state);
    return -1;
}

/* Block until the backend is ready for our ring keys: InitWait (2), or
 * already Initialised/Connected (a backend that skipped a step).  The watch
 * stays: netfront_check_backend() follows the backend's later states. */
static int wait_backend_ready(struct netfront *nf)
{
    char path[160], wpath[160], token[16];
    long state = -1;
    uint64_t deadline = guest_time_us() + CONNECT_TIMEOUT_US;

    if (guest_arg("backend_wait_s", token, sizeof(token)) && atoi(token) > 0)
        deadline = guest_time_us() + (uint64_t)atoi(token) * US_PER_S;
    snprintf(path, sizeof(path), "%s/state", nf->backend);
    if (xenbus_watch(path, BE_STATE_TOKEN) < 0)
        return -1;
    for (;;) {
        if (read_int(path, &state) == 0 && state >= XenbusStateInitWait &&
            state <= XenbusStateConnected)
            break;
        if (state == XenbusStateClosing || state == XenbusStateClosed) {
            printf("netfront: backend went to state %ld while connecting\n", state);
            return -1;
        }
        if (guest_time_us() > deadline ||
            xenbus_wait_watch(wpath, sizeof(wpath), token, sizeof(token),
                              deadline - guest_time_us()) < 0) {
            printf("netfront: backend never reached InitWait (last state %ld)\n", state);
            return -1;
        }
    }
    nf->backend_state = state;
    return 0;
}

/* The backend's state changed (our watch fired): log Connected, stop the vif
 * on Closing/Closed.  Cheap when nothing is queued (no request is sent). */
void netfront_check_backend(struct netfront *nf)
{
    char wpath[160], token[16], path[160];
    long state;
    bool changed = false;

    while (xenbus_wait_watch(wpath, sizeof(wpath), token, sizeof(token), 0) == 0)
        changed |= !strcmp(token, BE_STATE_TOKEN);
    if (!changed)
        return;
    snprintf(path, sizeof(path), "%s/state", nf->backend);
    if (read_int(path, &state) || state == nf->backend_state)
        return;
    printf("netfront: backend state %ld -> %ld\n", nf->backend_state, state);
    nf->backend_state = state;
    if (state == XenbusStateConnected && nf->connected)
        printf("netfront: connected: the backend is Connected too\n");
    if ((state == XenbusStateClosing || state == XenbusStateClosed) && nf->connected) {
        nf->connected = false;
        printf("netfront: the backend is closing the vif: no more requests\n");
    }
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    for (unsigned i = 0; i < 6; i++) {
        char *end;
        unsigned long b = strtoul(s, &end, 16);
        if (end == s || b > 0xff || (i < 5 && *end != ':') || (i == 5 && *end))
            return false;
        mac[i] = (uint8_t)b;
        s = end + 1;
    }
    return true;
}

static void post_rx(struct netfront *nf, unsigned buf)
{
    unsigned slot = nf->rx_req_prod % NETIF_RX_RING_SIZE;
    union netif_rx_slot *s = &rx_ring.ring[slot];

    nf->rx_posted[buf] = true;
    nf->rx_slot_buf[slot] = (uint16_t)buf;
    s->req.id = (uint16_t)buf;
    s->req.gref = nf->rx_ref[buf];
    nf->rx_req_prod++;
}

/* Our grant references, from the domain's allocator: -1 if it ran out (then
 * every one taken is given back). */
static int take_refs(struct netfront *nf)
{
    struct grant_refs *g = xen_grant_refs();
    grant_ref_t *all[2 + TX_BUFS + RX_BUFS];
    unsigned n = 0;

    all[n++] = &nf->tx_ring_ref;
    all[n++] = &nf->rx_ring_ref;
    for (unsigned i = 0; i < TX_BUFS; i++)
        all[n++] = &nf->tx_ref[i];
    for (unsigned i = 0; i < RX_BUFS; i++)
        all[n++] = &nf->rx_ref[i];
    for (unsigned i = 0; i < n; i++) {
        int r = grant_ref_alloc(g, all[i]);
        if (r) {
            printf("netfront: grant reference %u of %u: %d (%u free): cannot connect\n", i + 1,
                   n, r, grant_refs_free_count(g));
            while (i--)
                grant_ref_free(g, *all[i]);
            return -1;
        }
    }
    return 0;
}

static void push_rx(struct netfront *nf)
{
    if (ring_push(&rx_ring.h.req_prod, &rx_ring.h.req_event, nf->rx_req_prod))
        evtchn_send(nf->port);
}

struct netfront *netfront_connect(unsigned vif)
{
    struct netfront *nf = &nf_state;
    char path[128], mac[32], token[16];
    long backend_id, flag;

    memset(nf, 0, sizeof(*nf));
    snprintf(nf->frontend, sizeof(nf->frontend), "device/vif/%u", vif);
    snprintf(path, sizeof(path), "%s/backend", nf->frontend);
    if (xenbus_read(XBT_NIL, path, nf->backend, sizeof(nf->backend)) < 0) {
        printf("netfront: no %s in xenstore: %s\n", path, xenbus_last_error());
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/backend-id", nf->frontend);
    snprintf(mac, sizeof(mac), "%s/mac", nf->frontend);
    if (read_int(path, &backend_id) || backend_id < 0 || backend_id > 0x7fef ||
        xenbus_read(XBT_NIL, mac, path, sizeof(path)) < 0 || !parse_mac(path, nf->mac)) {
        printf("netfront: backend-id or mac missing or malformed\n");
        return NULL;
    }
    nf->backend_id = (domid_t)backend_id;
    printf("netfront: vif %u: backend %s (d%ld), MAC %s\n", vif, nf->backend, backend_id, path);
    if (wait_backend_ready(nf))
        return NULL;
    snprintf(path, sizeof(path), "%s/feature-sg", nf->backend);
    nf->backend_sg = read_int(path, &flag) == 0 && flag == 1;
    /* Our buffers are granted once and kept until the backend has closed
     * (see "Persistent grants" above): we can promise it, unless told
     * persistent=off (a test of the per-packet path). */
    nf->persistent = !(guest_arg("persistent", token, sizeof(token)) && !strcmp(token, "off"));
    snprintf(path, sizeof(path), "%s/feature-persistent", nf->backend);
    nf->backend_persistent = read_int(path, &flag) == 0 && flag == 1;
    if (take_refs(nf))
        return NULL;

    ring_init(&tx_ring.h);
    ring_init(&rx_ring.h);
    gnttab_grant(nf->tx_ring_ref, nf->backend_id, gfn_of(&tx_ring), GRANT_READ_WRITE);
    gnttab_grant(nf->rx_ring_ref, nf->backend_id, gfn_of(&rx_ring), GRANT_READ_WRITE);
    /* tx_bufs=N: use only N of them (a test making sends wait for a buffer) */
    nf->tx_nbufs = TX_BUFS;
    if (guest_arg("tx_bufs", token, sizeof(token)) && atoi(token) > 0 && atoi(token) < TX_BUFS)
        nf->tx_nbufs = (unsigned)atoi(token);
    for (unsigned i = 0; i < TX_BUFS; i++) {
        gnttab_grant(nf->tx_ref[i], nf->backend_id, gfn_of(tx_bufs[i]), GRANT_READ_ONLY);
        nf->tx_free[i] = i < nf->tx_nbufs;
    }
    for (unsigned i = 0; i < RX_BUFS; i++) {
        gnttab_grant(nf->rx_ref[i], nf->backend_id, gfn_of(rx_bufs[i]), GRANT_READ_WRITE);
        post_rx(nf, i);
    }
    rx_ring.h.req_prod = nf->rx_req_prod;
    if (evtchn_alloc_unbound(nf->backend_id, &nf->port)) {
        printf("netfront: cannot allocate an event channel\n");
        return NULL;
    }
    evtchn_set_handler(nf->port, on_event);
    /* Said before the rings are published: the backend reports the same
     * negotiation only after it reads them, so the two lines keep this order. */
    printf("netfront: persistent grants: %s (we offer them: %d, the backend: %d)\n",
           nf->persistent && nf->backend_persistent ? "on" : "off", nf->persistent,
           nf->backend_persistent);
    if (publish_rings(nf) || switch_state(nf, XenbusStateConnected))
        return NULL;
    /* No wait for the backend's Connected: Linux's netback writes it only
     * once its hotplug agent said hotplug-status=connected, and its rings
     * work before that.  One kick, for anything it should look at now. */
    evtchn_send(nf->port);
    nf->connected = true;
    printf("netfront: rings published: TX ring ref %u, RX ring ref %u, port %u, %u RX buffers "
           "posted (backend state %ld, feature-sg %d)\n", nf->tx_ring_ref, nf->rx_ring_ref,
           nf->port, RX_BUFS, nf->backend_state, nf->backend_sg);
    if (nf->backend_state == XenbusStateConnected)
        printf("netfront: connected: the backend is Connected too\n");
    return nf;
}

/* Raw request, for the hostile tests: posted as given.  Says whether the
 * backend was notified (its req_event asked for this index). */
bool netfront_post_raw(struct netfront *nf, const struct netif_tx_request *r)
{
    tx_ring.ring[nf->tx_req_prod % NETIF_TX_RING_SIZE].req = *r;
    nf->tx_req_prod++;
    if (!ring_push(&tx_ring.h.req_prod, &tx_ring.h.req_event, nf->tx_req_prod))
        return false;
    evtchn_send(nf->port);
    return true;
}

/* An extra-info slot, raw (it shares the request's ring slot). */
void netfront_post_raw_extra(struct netfront *nf, const struct netif_extra_info *x)
{
    union netif_tx_slot *s = &tx_ring.ring[nf->tx_req_prod % NETIF_TX_RING_SIZE];

    memset(s, 0, sizeof(*s));
    memcpy(s, x, sizeof(*x));
    nf->tx_req_prod++;
    if (ring_push(&tx_ring.h.req_prod, &tx_ring.h.req_event, nf->tx_req_prod))
        evtchn_send(nf->port);
}

void netfront_set_raw_req_prod(struct netfront *nf, uint32_t prod)
{
    nf->tx_req_prod = prod;
    __atomic_store_n(&tx_ring.h.req_prod, prod, __ATOMIC_RELEASE);
    evtchn_send(nf->port);
}

grant_ref_t netfront_tx_buf_ref(const struct netfront *nf, unsigned buf)
{
    return buf < TX_BUFS ? nf->tx_ref[buf] : 0;
}

uint8_t *netfront_claim_raw_buf(struct netfront *nf, unsigned buf)
{
    if (buf >= TX_BUFS || !nf->tx_free[buf])
        return NULL;
    nf->tx_free[buf] = false;
    return tx_bufs[buf];
}

uint32_t netfront_raw_tx_req_event(const struct netfront *nf)
{
    (void)nf;
    return __atomic_load_n(&tx_ring.h.req_event, __ATOMIC_ACQUIRE);
}

uint32_t netfront_raw_tx_rsp_prod(const struct netfront *nf)
{
    (void)nf;
    return __atomic_load_n(&tx_ring.h.rsp_prod, __ATOMIC_ACQUIRE);
}

static void publish_tx(struct netfront *nf);

/* Fewer than this many TX buffers free: the frontend asks the backend for
 * an event at its next TX response (rsp_event), so buffers come back before
 * a send has to wait for one. */
#define TX_LOW_WATER_DIV 4

static bool tx_buffers_low(const struct netfront *nf)
{
    unsigned n = 0, low = (nf->tx_nbufs + TX_LOW_WATER_DIV - 1) / TX_LOW_WATER_DIV;

    for (unsigned buf = 0; buf < nf->tx_nbufs && n < low; buf++)
        n += nf->tx_free[buf];
    return n < low;
}

static int first_free_tx_buf(const struct netfront *nf)
{
    for (unsigned buf = 0; buf < TX_BUFS; buf++)
        if (nf->tx_free[buf])
            return (int)buf;
    return -1;
}

/*
 * Every TX buffer is in flight: wait for the backend to answer one, as a
 * blocking send waits for room.  This is not rare: the backend answers a TX
 * request only once its NIC has sent the frame, and the peer may already
 * have seen that frame and sent the next ones, so the buffers in flight are
 * the peer's window plus the frames sent but not yet answered (plus our own
 * ARP replies).  Dropping here loses a frame the stack counts as sent.
 * The wait runs with interrupts masked (guest_wait_any), only TX responses
 * are taken (we may be inside RX processing), and it is bounded in guest
 * time so a backend that stopped answering cannot stop this domain: then
 * the frame is dropped, counted and logged.
 */
static int wait_tx_buf(struct netfront *nf)
{
    uint64_t start = guest_time_us(), deadline = start + TX_WAIT_US, waited, now;
    bool was_masked;
    int buf;

    nf->stats.tx_waits++;
    if (nf->tx_held)
        publish_tx(nf); /* held requests must reach the backend before we wait on it */
    was_masked = irq_masked_local();
    irq_disable_local();
    for (;;) {
        netfront_reclaim_tx(nf);
        if ((buf = first_free_tx_buf(nf)) >= 0 || nf->backend_broken)
            break;
        /* Ask for an event at the backend's next TX response, then look once
         * more: one published meanwhile is not slept through. */
        if (ring_final_check(&tx_ring.h.rsp_prod, &tx_ring.h.rsp_event, nf->tx_rsp_cons))
            continue;
        now = guest_time_us();
        if (now >= deadline)
            break;
        guest_wait_any(deadline - now);
    }
    waited = guest_time_us() - start;
    if (waited > nf->stats.tx_wait_max_us)
        nf->stats.tx_wait_max_us = waited;
    if (!was_masked)
        irq_enable_local();
    return buf;
}

void netfront_set_tx_mode(struct netfront *nf, enum netfront_tx_mode mode, unsigned sg_chunk)
{
    if (mode == NETFRONT_TX_SG && !nf->backend_sg) {
        printf("netfront: the backend does not offer feature-sg: frames go in one slot\n");
        mode = NETFRONT_TX_PLAIN;
    }
    nf->tx_mode = mode;
    nf->sg_chunk = sg_chunk ? sg_chunk : SG_CHUNK_DEFAULT;
}

/* A free TX buffer, waiting (bounded) for one if need be; -1 if none came. */
static int take_tx_buf(struct netfront *nf)
{
    int buf = first_free_tx_buf(nf);

    if (buf < 0)
        buf = wait_tx_buf(nf);
    if (buf >= 0)
        nf->tx_free[buf] = false;
    return buf;
}

static int tx_dropped(struct netfront *nf, size_t len)
{
    nf->stats.tx_dropped++;
    if (nf->stats.tx_dropped <= 16)
        printf("netfront: TX: all %u buffers still unanswered by the backend after %u ms%s: "
               "frame of %lu bytes dropped\n", TX_BUFS, TX_WAIT_US / 1000,
               nf->backend_broken ? " (its rings are ignored)" : "", (unsigned long)len);
    return -2;
}

/* Requests go on the ring one by one and are published together, so the
 * backend never sees half a chain. */
static void put_slot(struct netfront *nf, const struct netif_tx_request *r)
{
    tx_ring.ring[nf->tx_req_prod % NETIF_TX_RING_SIZE].req = *r;
    nf->tx_req_prod++;
}

/* Publish the TX requests written so far (and notify if the backend's
 * req_event asks).  Frames sent from inside netfront_poll (the replies to
 * what it delivers) are held and published together when it ends: one
 * notification for the batch, not one per frame. */
static void publish_tx(struct netfront *nf)
{
    bool notify;

    nf->tx_held = false;
    notify = ring_push(&tx_ring.h.req_prod, &tx_ring.h.req_event, nf->tx_req_prod);
    if (notify)
        evtchn_send(nf->port);
    for (; nf->trace_tx_published < nf->trace_tx; nf->trace_tx_published++)
        if (trace_pkt(nf->trace_tx_published + 1))
            trace_hop("tx", nf->trace_tx_published + 1, TRACE_TX_NOTIFY, "netfront.c:publish_tx",
                      notify ? "req_prod %u: evtchn_send port %u" :
                               "req_prod %u: no event, backend not asleep (port %u)",
                      nf->tx_req_prod, nf->port);
}

/* The packet trace's first hop: what the backend will find on the ring. */
static void trace_tx_slot(struct netfront *nf, const struct netif_tx_request *r, unsigned nslots)
{
    unsigned pkt = trace_count(&nf->trace_tx);

    if (!pkt)
        return;
    if (r->id < NETFRONT_TX_BUFS)
        nf->tx_trace_pkt[r->id] = pkt;
    if (trace_pkt(pkt))
        trace_hop("tx", pkt, TRACE_TX_RING, "netfront.c:netfront_xmit",
                  "TX req slot %u id %u gref %u len %u (%u slot%s)", nf->tx_req_prod - nslots,
                  r->id, r->gref, r->size, nslots, nslots == 1 ? "" : "s");
}

static void push_tx(struct netfront *nf)
{
    unsigned in_flight;

    if (nf->tx_hold)
        nf->tx_held = true;
    else
        publish_tx(nf);
    in_flight = (unsigned)(nf->tx_req_prod - nf->tx_rsp_cons);
    if (in_flight > nf->stats.tx_in_flight_max)
        nf->stats.tx_in_flight_max = in_flight;
}

/* Zero the TCP/UDP checksum of an unfragmented IPv4 frame, as a stack
 * offloading it would leave it; false (frame untouched) for anything else. */
static bool blank_l4_csum(uint8_t *f, size_t len)
{
    size_t ihl, field;

    if (len < ETH_HLEN + IPV4_MIN_HLEN || f[ETH_TYPE_OFF] != ETH_TYPE_IPV4_HI ||
        f[ETH_TYPE_OFF + 1] != ETH_TYPE_IPV4_LO || f[ETH_HLEN] >> 4 != IPV4_VERSION)
        return false;
    ihl = (size_t)(f[ETH_HLEN] & 0x0f) * 4;
    if (ihl < IPV4_MIN_HLEN || (f[ETH_HLEN + IPV4_FRAG_OFF] & IPV4_FRAG_HI_MASK) ||
        f[ETH_HLEN + IPV4_FRAG_OFF + 1])
        return false;
    if (f[ETH_HLEN + IPV4_PROTO_OFF] == IP_PROTO_UDP)
        field = ETH_HLEN + ihl + UDP_CSUM_OFF;
    else if (f[ETH_HLEN + IPV4_PROTO_OFF] == IP_PROTO_TCP)
        field = ETH_HLEN + ihl + TCP_CSUM_OFF;
    else
        return false;
    if (field + 2 > len)
        return false;
    f[field] = f[field + 1] = 0;
    return true;
}

/* NETFRONT_TX_SG: one buffer per piece, at an odd offset that moves with
 * the piece (so the backend must honour each slot's own offset and size). */
static int xmit_chain(struct netfront *nf, const uint8_t *frame, size_t len)
{
    int bufs[NETFRONT_SG_MAX_SLOTS];
    struct netif_tx_request first = { 0 };
    size_t chunk = nf->sg_chunk < PAGE_SIZE ? nf->sg_chunk : PAGE_SIZE, nslots = (len + chunk - 1) / chunk;

    if (nslots > NETFRONT_SG_MAX_SLOTS) {
        chunk = (len + NETFRONT_SG_MAX_SLOTS - 1) / NETFRONT_SG_MAX_SLOTS;
        nslots = (len + chunk - 1) / chunk;
    }
    for (size_t i = 0; i < nslots; i++) {
        bufs[i] = take_tx_buf(nf);
        if (bufs[i] < 0) {
            while (i--)
                nf->tx_free[bufs[i]] = true;
            return tx_dropped(nf, len);
        }
    }
    for (size_t i = 0; i < nslots; i++) {
        size_t at = i * chunk, piece = len - at < chunk ? len - at : chunk;
        size_t off = SG_OFFSET_BASE + SG_OFFSET_STEP * i;
        /* no slot may cross its page (Linux's netback disables the vif) */
        if (off + piece > PAGE_SIZE)
            off = PAGE_SIZE - piece;
        memcpy(tx_bufs[bufs[i]] + off, frame + at, piece);
        struct netif_tx_request r = {
            .gref = nf->tx_ref[bufs[i]], .offset = (uint16_t)off,
            .flags = (uint16_t)(i + 1 < nslots ? NETTXF_more_data : 0),
            .id = (uint16_t)bufs[i], .size = (uint16_t)(i == 0 ? len : piece),
        };
        put_slot(nf, &r);
        if (i == 0)
            first = r;
    }
    trace_tx_slot(nf, &first, (unsigned)nslots);
    push_tx(nf);
    nf->stats.tx++;
    if (nslots > 1) {
        nf->stats.tx_chains++;
        nf->stats.tx_chain_slots += nslots;
    }
    return 0;
}

int netfront_xmit(struct netfront *nf, const void *frame, size_t len)
{
    int buf;
    uint16_t flags = 0;

    if (!nf->connected || len == 0 || len > NETIF_MAX_PACKET)
        return -1;
    if (nf->tx_mode == NETFRONT_TX_SG)
        return xmit_chain(nf, frame, len);
    if ((buf = take_tx_buf(nf)) < 0)
        return tx_dropped(nf, len);
    memcpy(tx_bufs[buf], frame, len);
    if (nf->tx_mode == NETFRONT_TX_CSUM_BLANK && blank_l4_csum(tx_bufs[buf], len)) {
        flags = NETTXF_csum_blank | NETTXF_data_validated;
        nf->stats.tx_csum_blank++;
    }
    struct netif_tx_request r = { .gref = nf->tx_ref[buf], .offset = 0,
                                  .flags = flags, .id = (uint16_t)buf, .size = (uint16_t)len };
    put_slot(nf, &r);
    trace_tx_slot(nf, &r, 1);
    push_tx(nf);
    nf->stats.tx++;
    return 0;
}

/* The backend's producer index is believed only if it stays within what we
 * asked for; otherwise it is broken and we stop reading its rings. */
static bool sane(struct netfront *s, RING_IDX prod, RING_IDX cons, RING_IDX req_prod)
{
    if ((RING_IDX)(prod - cons) <= (RING_IDX)(req_prod - cons))
        return true;
    if (!s->backend_broken)
        printf("netfront: the backend's response index 0x%x is beyond our requests (0x%x): "
               "ignoring its rings from now on\n", prod, req_prod);
    s->backend_broken = true;
    return false;
}

/* TX responses only: what frees TX buffers.  Safe to call while RX responses
 * are being handled (it never touches the RX ring). */
void netfront_reclaim_tx(struct netfront *s)
{
    RING_IDX prod = __atomic_load_n(&tx_ring.h.rsp_prod, __ATOMIC_ACQUIRE);

    if (s->backend_broken || !sane(s, prod, s->tx_rsp_cons, s->tx_req_prod))
        return;
    while (s->tx_rsp_cons != prod) {
        struct netif_tx_response r = tx_ring.ring[s->tx_rsp_cons % NETIF_TX_RING_SIZE].rsp;
        s->tx_rsp_cons++;
        if (r.status == NETIF_RSP_NULL)
            continue; /* the slot of an extra-info request: no buffer behind it */
        if (r.status != NETIF_RSP_OKAY) {
            s->stats.tx_errors++;
            if (s->stats.tx_errors <= 16)
                printf("netfront: TX id %u: the backend answered %d (%s)\n", r.id, r.status,
                       r.status == NETIF_RSP_ERROR ? "error" : r.status == NETIF_RSP_DROPPED
                                                                   ? "dropped" : "?");
        }
        if (r.id < s->tx_nbufs && !s->tx_free[r.id]) {
            s->tx_free[r.id] = true;
            if (trace_pkt(s->tx_trace_pkt[r.id]))
                trace_hop("tx", s->tx_trace_pkt[r.id], TRACE_TX_ANSWERED,
                          "netfront.c:netfront_reclaim_tx", "TX rsp slot %u id %u status %d: "
                          "buffer free", s->tx_rsp_cons - 1, r.id, r.status);
        }
        else if (r.id < TX_BUFS || r.status == NETIF_RSP_OKAY)
            s->stats.bad_responses++; /* not a buffer we had in flight */
    }
}

/* The frame of a chain (or of one slot) is complete: hand it over. */
static void rx_deliver(struct netfront *s, uint8_t *frame, size_t len, netfront_rx_fn rx,
                       void *ctx)
{
    const char *why;

    if (s->rx_first_flags & NETRXF_csum_blank) {
        /* a local sender left its TCP/UDP checksum to be filled in */
        if (l4csum_fill(frame, len, &why) == 0) {
            s->stats.rx_csum_filled++;
        } else {
            s->stats.rx_csum_unfillable++;
            if (s->stats.rx_csum_unfillable <= 16)
                printf("netfront: RX: NETRXF_csum_blank on a frame we cannot complete (%s): "
                       "passed on as it is\n", why);
        }
    }
    s->stats.rx++;
    rx(ctx, frame, len);
}

/*
 * One RX response slot (index idx, whose buffer is rx_slot_buf[idx]).  A
 * packet is a first data slot, then the extra-info slots its
 * NETRXF_extra_info announced (each with XEN_NETIF_EXTRA_FLAG_MORE if
 * another follows), then the data slots its NETRXF_more_data announced.
 */
static void rx_slot(struct netfront *s, RING_IDX idx, netfront_rx_fn rx, void *ctx)
{
    union netif_rx_slot *slot = &rx_ring.ring[idx % NETIF_RX_RING_SIZE];
    unsigned buf = s->rx_slot_buf[idx % NETIF_RX_RING_SIZE];
    struct netif_rx_response r;

    if (!s->rx_posted[buf]) { /* cannot happen: we posted every index we see */
        s->stats.bad_responses++;
        return;
    }
    s->rx_posted[buf] = false;
    if (s->rx_extras_left) {
        struct netif_extra_info x;
        memcpy(&x, slot, sizeof(x));
        s->rx_extras_left = (x.flags & NETIF_EXTRA_FLAG_MORE) != 0;
        s->stats.rx_extras++;
        goto repost;
    }
    r = slot->rsp;
    if (r.id != buf || (r.status > 0 && (unsigned)r.offset + (unsigned)r.status > PAGE_SIZE)) {
        s->stats.bad_responses++;
        s->rx_chain_bad = true;
    } else if (r.status <= 0) {
        s->stats.rx_errors++;
        s->rx_chain_bad = true;
    }
    if (!s->rx_in_chain) {
        if (trace_pkt(trace_count(&s->trace_rx)))
            trace_hop("rx", s->trace_rx, TRACE_RX_DELIVERED, "netfront.c:rx_slot",
                      "RX rsp slot %u id %u len %d flags 0x%x: to the stack", idx, r.id,
                      r.status, r.flags);
        s->rx_in_chain = true;
        s->rx_first_flags = r.flags;
        s->rx_len = 0;
        /* extras: we asked for none (no GSO, no XDP headroom); skip them */
        s->rx_extras_left = (r.flags & NETRXF_extra_info) != 0;
        if (!(r.flags & NETRXF_more_data) && !s->rx_chain_bad) {
            /* the usual case: one slot, no copy */
            rx_deliver(s, rx_bufs[buf] + r.offset, (size_t)r.status, rx, ctx);
            s->rx_in_chain = false;
            goto repost;
        }
    }
    if (!s->rx_chain_bad) {
        if (s->rx_len + (size_t)r.status > sizeof(rx_frame)) {
            s->stats.rx_too_long++;
            s->rx_chain_bad = true;
        } else {
            memcpy(rx_frame + s->rx_len, rx_bufs[buf] + r.offset, (size_t)r.status);
            s->rx_len += (size_t)r.status;
        }
    }
    if (!(r.flags & NETRXF_more_data)) {
        if (!s->rx_chain_bad) {
            s->stats.rx_chains++;
            rx_deliver(s, rx_frame, s->rx_len, rx, ctx);
        } else {
            s->stats.rx_dropped++;
        }
        s->rx_in_chain = false;
        s->rx_chain_bad = false;
    }
repost:
    post_rx(s, buf);
}

static void poll_rings(struct netfront *s, netfront_rx_fn rx, void *ctx)
{
    bool more;

    do {
        netfront_reclaim_tx(s);
        RING_IDX prod;
        prod = __atomic_load_n(&rx_ring.h.rsp_prod, __ATOMIC_ACQUIRE);
        bool posted = false;
        if (!rx || s->backend_broken || !sane(s, prod, s->rx_rsp_cons, s->rx_req_prod))
            return;
        while (s->rx_rsp_cons != prod) {
            rx_slot(s, s->rx_rsp_cons, rx, ctx);
            s->rx_rsp_cons++;
            posted = true;
        }
        if (posted)
            push_rx(s);
        /* RX: always ask for an event at the next response.  TX: only when
         * buffers run low (tx_buffers_low); otherwise TX responses are taken
         * as they come, at the next RX event or send, and cost the backend no
         * event.  Evaluated separately: no short circuit may leave RX
         * notifications off. */
        bool tx_more = tx_buffers_low(s) &&
                       ring_final_check(&tx_ring.h.rsp_prod, &tx_ring.h.rsp_event, s->tx_rsp_cons);
        bool rx_more = ring_final_check(&rx_ring.h.rsp_prod, &rx_ring.h.rsp_event, s->rx_rsp_cons);
        more = tx_more || rx_more;
    } while (more);
}

void netfront_poll(struct netfront *s, netfront_rx_fn rx, void *ctx)
{
    s->tx_hold = true;
    poll_rings(s, rx, ctx);
    s->tx_hold = false;
    if (s->tx_held)
        publish_tx(s);
}

bool netfront_kicked(struct netfront *nf)
{
    return __atomic_exchange_n(&nf->kicked, false, __ATOMIC_ACQ_REL);
}

const struct netfront_stats *netfront_stats(const struct netfront *nf) { return &nf->stats; }
