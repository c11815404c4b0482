/*
 * hostile_tx.c — the network domU as a malformed-TX frontend, beyond the
 * plain bad requests of main.c's hostile=1: what dom0's netback must parse
 * from the ring and from the frames themselves.
 *
 *   hostile_tx_csum()       NETTXF_csum_blank on frames whose IPv4/UDP/TCP
 *                           headers are malformed (IHL < 5, IHL*4 beyond the
 *                           frame, total length beyond the frame or below the
 *                           header, UDP length beyond the IP payload, ICMP,
 *                           fragments, a TCP segment shorter than its header,
 *                           not IPv4): netback has no checksum to fill in, so
 *                           each gets an error response (its design).
 *   hostile_tx_chain()      a NETTXF_more_data chain whose first slot is
 *                           published alone: netback must leave it on the
 *                           ring (no response) and ask for an event at the
 *                           next slot (req_event); once completed, it is sent
 *                           and both slots answered NETIF_RSP_OKAY.
 *   hostile_tx_fatal(what)  one packet netback must treat as Linux's netback
 *                           does (xenvif_fatal_tx_err): no response, the vif
 *                           disabled (Closing/Closed), dom0 carrying on.
 *                           what: extra-type-max (an extra-info type of
 *                           NETIF_EXTRA_TYPE_MAX), extra-type-none (type 0),
 *                           too-many-extras (6 extra-info slots, one more
 *                           than there are types), gso-size0, gso-type-none,
 *                           gso-type-3 (a GSO extra of size 0, or of GSO type
 *                           0 or 3: neither TCPv4 nor TCPv6).  The request's
 *                           TX id is 55 + the case's place in that list.
 *   hostile_tx_pgrant_flood()  with persistent grants agreed, TX requests on
 *                           PGRANT_FLOOD grants of pages of its own, more than
 *                           netback's cache of persistent grants holds (192):
 *                           the cache fills, the rest go netback's per-packet
 *                           way (mapped and unmapped), every request is
 *                           answered OKAY and dom0 maps no more pages than
 *                           its bound (dom0's final figures say how many).
 * Each prints one "domU: hostile: ..." verdict line, ending in FAIL when
 * netback did not do what it must.
 *
 * Assumptions: the vif is connected; TX buffers 40..60 are free (the stack
 * uses the lowest free ones and never has 40 in flight at once); every wait
 * is bounded in guest time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "xenbus.h"
#include "grant_refs.h"
#include "netfront.h"
#include "hostile_tx.h"
#include "page.h"
#include <public/io/netif.h>

#define CSUM_BUF0 40            /* TX buffers of the csum_blank cases */
#define CHAIN_BUF0 50           /* the two slots of the late chain */
#define FATAL_BUF0 55            /* + the case's index: its TX id names it in dom0's log */
#define WAIT_US 5000000         /* bound on any wait for the backend */
#define POLL_US 5000            /* between looks at a shared index */
#define FRAME 60                /* every test frame: a minimum Ethernet frame */
#define PGRANT_FLOOD 250        /* grants of its own pages: beyond netback's 192 */
#define FLOOD_BUF0 40           /* TX ids (buffers 40..55) the flood posts under */
#define FLOOD_WAVE 16           /* requests in flight at once */
#define CHAIN_FRAME 120
/* frame layout (IEEE 802.3, RFC 791, 768, 793) */
#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_LOCAL_EXP 0x88b5 /* IEEE 802 local experimental */
#define IP_TOTLEN 2
#define IP_FRAG 6
#define IP_PROTO 9
#define IP_MF 0x2000
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define UDP_LEN 4
#define BACKEND_CLOSING 5

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* A broadcast frame from us with `ethertype`, the rest zero. */
static void eth_frame(struct netfront *nf, uint8_t *f, size_t len, uint16_t ethertype)
{
    memset(f, 0, len);
    memset(f, 0xff, 6);
    memcpy(f + 6, nf->mac, 6);
    put16(f + 12, ethertype);
}

/* A well-formed 60-byte IPv4/UDP frame: 10.0.2.15 -> 10.0.2.1, port 40001 ->
 * 40002, 18 bytes of payload; the cases below break one field each. */
static void udp_frame(struct netfront *nf, uint8_t *f)
{
    uint8_t *ip = f + ETH_HLEN, *udp = ip + 20;

    eth_frame(nf, f, FRAME, ETHERTYPE_IPV4);
    ip[0] = 0x45;
    put16(ip + IP_TOTLEN, FRAME - ETH_HLEN);
    ip[8] = 64;
    ip[IP_PROTO] = PROTO_UDP;
    memcpy(ip + 12, (uint8_t[]){ 10, 0, 2, 15, 10, 0, 2, 1 }, 8);
    put16(udp, 40001);
    put16(udp + 2, 40002);
    put16(udp + UDP_LEN, FRAME - ETH_HLEN - 20);
    memcpy(udp + 8, "granite hostile tx", 18);
}

/* Wait until every TX request we posted is answered; false on the bound. */
static bool tx_quiet(struct netfront *nf)
{
    uint64_t deadline = guest_time_us() + WAIT_US;

    for (;;) {
        netfront_reclaim_tx(nf);
        if (nf->tx_rsp_cons == nf->tx_req_prod)
            return true;
        if (guest_time_us() >= deadline)
            return false;
        guest_wait_any(POLL_US);
    }
}

struct csum_case {
    const char *what;
    void (*breakit)(uint8_t *f);
};

static void ihl4(uint8_t *f) { f[ETH_HLEN] = 0x44; }
static void ihl15(uint8_t *f) { f[ETH_HLEN] = 0x4f; }
static void total_long(uint8_t *f) { put16(f + ETH_HLEN + IP_TOTLEN, 1000); }
static void total_short(uint8_t *f) { put16(f + ETH_HLEN + IP_TOTLEN, 12); }
static void udp_long(uint8_t *f) { put16(f + ETH_HLEN + 20 + UDP_LEN, 400); }
static void icmp(uint8_t *f) { f[ETH_HLEN + IP_PROTO] = PROTO_ICMP; }
static void frag_mf(uint8_t *f) { put16(f + ETH_HLEN + IP_FRAG, IP_MF); }
static void frag_off(uint8_t *f) { put16(f + ETH_HLEN + IP_FRAG, 0x0010); }
static void tcp_short(uint8_t *f)
{
    f[ETH_HLEN + IP_PROTO] = PROTO_TCP;
    put16(f + ETH_HLEN + IP_TOTLEN, 20 + 10);
}
static void not_ipv4(uint8_t *f) { put16(f + 12, ETHERTYPE_ARP); }

static const struct csum_case csum_cases[] = {
    { "IHL 4", ihl4 },
    { "IHL 15, beyond the frame", ihl15 },
    { "total length beyond the frame", total_long },
    { "total length below the header", total_short },
    { "UDP length beyond the IP payload", udp_long },
    { "ICMP", icmp },
    { "MF set", frag_mf },
    { "a fragment offset", frag_off },
    { "TCP shorter than its header", tcp_short },
    { "not IPv4", not_ipv4 },
};
#define NR_CSUM_CASES (sizeof(csum_cases) / sizeof(csum_cases[0]))

bool hostile_tx_csum(struct netfront *nf)
{
    uint64_t errors0 = netfront_stats(nf)->tx_errors;
    unsigned answered = 0;
    bool quiet;

    for (unsigned i = 0; i < NR_CSUM_CASES; i++) {
        uint8_t *f = netfront_claim_raw_buf(nf, CSUM_BUF0 + i);
        if (!f) {
            printf("domU: hostile: csum_blank: TX buffer %u in use: FAIL\n", CSUM_BUF0 + i);
            return false;
        }
        udp_frame(nf, f);
        csum_cases[i].breakit(f);
        struct netif_tx_request r = {
            .gref = netfront_tx_buf_ref(nf, CSUM_BUF0 + i), .offset = 0,
            .flags = NETTXF_csum_blank | NETTXF_data_validated,
            .id = (uint16_t)(CSUM_BUF0 + i), .size = FRAME,
        };
        netfront_post_raw(nf, &r);
    }
    quiet = tx_quiet(nf);
    for (unsigned i = 0; i < NR_CSUM_CASES; i++)
        answered += nf->tx_free[CSUM_BUF0 + i];
    uint64_t errors = netfront_stats(nf)->tx_errors - errors0;
    bool ok = quiet && answered == NR_CSUM_CASES && errors == NR_CSUM_CASES;
    printf("domU: hostile: csum_blank on %u malformed frames: %u answered, %lu errors%s\n",
           (unsigned)NR_CSUM_CASES, answered, (unsigned long)errors, ok ? "" : ": FAIL");
    return ok;
}

bool hostile_tx_chain(struct netfront *nf)
{
    uint8_t *a, *b;
    RING_IDX p, rsp0, rsp_waiting;
    uint64_t errors0, deadline;
    bool asked = false, notified, done, ok;

    /* Nothing else in flight, and nothing else posted until the chain is
     * whole (no RX processing here, so nothing to reply to): the slot after
     * the first must be the chain's own. */
    if (!tx_quiet(nf)) {
        printf("domU: hostile: incomplete chain: earlier requests unanswered: FAIL\n");
        return false;
    }
    a = netfront_claim_raw_buf(nf, CHAIN_BUF0);
    b = netfront_claim_raw_buf(nf, CHAIN_BUF0 + 1);
    if (!a || !b) {
        printf("domU: hostile: incomplete chain: TX buffers in use: FAIL\n");
        return false;
    }
    eth_frame(nf, a, CHAIN_FRAME / 2, ETHERTYPE_LOCAL_EXP);
    memcpy(a + ETH_HLEN, "granite hostile: a chain completed late", 39);
    memset(b, 'x', CHAIN_FRAME / 2);
    errors0 = netfront_stats(nf)->tx_errors;
    p = nf->tx_req_prod;
    rsp0 = netfront_raw_tx_rsp_prod(nf);
    struct netif_tx_request first = {
        .gref = netfront_tx_buf_ref(nf, CHAIN_BUF0), .offset = 0, .flags = NETTXF_more_data,
        .id = CHAIN_BUF0, .size = CHAIN_FRAME,
    }, second = {
        .gref = netfront_tx_buf_ref(nf, CHAIN_BUF0 + 1), .offset = 0, .flags = 0,
        .id = CHAIN_BUF0 + 1, .size = CHAIN_FRAME / 2,
    };
    netfront_post_raw(nf, &first);
    /* netback has looked once it asks for an event at the slot after the
     * one it has: p + 2 (what it pushed before that is visible by then) */
    deadline = guest_time_us() + WAIT_US;
    while (!(asked = netfront_raw_tx_req_event(nf) == p + 2) && guest_time_us() < deadline)
        guest_sleep_us(0, POLL_US);
    rsp_waiting = netfront_raw_tx_rsp_prod(nf) - rsp0;
    notified = netfront_post_raw(nf, &second);
    deadline = guest_time_us() + WAIT_US;
    while (!(done = nf->tx_free[CHAIN_BUF0] && nf->tx_free[CHAIN_BUF0 + 1]) &&
           guest_time_us() < deadline) {
        guest_wait_any(POLL_US);
        netfront_reclaim_tx(nf);
    }
    uint64_t errors = netfront_stats(nf)->tx_errors - errors0;
    ok = asked && rsp_waiting == 0 && notified && done && errors == 0;
    /* two lines: granite's console keeps about 128 characters of one */
    printf("domU: hostile: incomplete chain: %u responses while incomplete, event asked for at "
           "its next slot: %s\n", (unsigned)rsp_waiting, asked ? "yes" : "no");
    printf("domU: hostile: chain completed: backend notified: %s, %s, %lu errors%s\n",
           notified ? "yes" : "no", done ? "both slots answered" : "not answered",
           (unsigned long)errors, ok ? "" : ": FAIL");
    return ok;
}

/* The extra-info slots of each fatal case (at most 6). */
struct fatal_case {
    const char *what;
    unsigned n;
    struct netif_extra_info x[6];
};

#define MCAST(more) { .type = NETIF_EXTRA_TYPE_MCAST_ADD, .flags = (more),                    \
                      .u.mcast.addr = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } }

static const struct fatal_case fatal_cases[] = {
    { "extra-type-max", 1, { { .type = NETIF_EXTRA_TYPE_MAX } } },
    { "extra-type-none", 1, { { .type = NETIF_EXTRA_TYPE_NONE } } },
    { "too-many-extras", 6,
      { MCAST(NETIF_EXTRA_FLAG_MORE), MCAST(NETIF_EXTRA_FLAG_MORE), MCAST(NETIF_EXTRA_FLAG_MORE),
        MCAST(NETIF_EXTRA_FLAG_MORE), MCAST(NETIF_EXTRA_FLAG_MORE), MCAST(0) } },
    { "gso-size0", 1,
      { { .type = NETIF_EXTRA_TYPE_GSO, .u.gso = { .size = 0, .type = NETIF_GSO_TYPE_TCPV4 } } } },
    { "gso-type-none", 1,
      { { .type = NETIF_EXTRA_TYPE_GSO, .u.gso = { .size = 1400, .type = NETIF_GSO_TYPE_NONE } } } },
    { "gso-type-3", 1,
      { { .type = NETIF_EXTRA_TYPE_GSO, .u.gso = { .size = 1400, .type = 3 } } } },
};

static int backend_state(struct netfront *nf)
{
    char path[128], val[8];

    snprintf(path, sizeof(path), "%s/state", nf->backend);
    return xenbus_read(XBT_NIL, path, val, sizeof(val)) < 0 ? -1 : atoi(val);
}

bool hostile_tx_fatal(struct netfront *nf, const char *what)
{
    const struct fatal_case *c = NULL;
    unsigned buf = 0;
    RING_IDX rsp0;
    uint64_t deadline;
    int state;
    uint8_t *f;

    for (unsigned i = 0; i < sizeof(fatal_cases) / sizeof(fatal_cases[0]); i++)
        if (!strcmp(what, fatal_cases[i].what)) {
            c = &fatal_cases[i];
            buf = FATAL_BUF0 + i;
        }
    if (!c) {
        printf("domU: hostile: fatal case %s unknown: FAIL\n", what);
        return false;
    }
    if (!tx_quiet(nf) || !(f = netfront_claim_raw_buf(nf, buf))) {
        printf("domU: hostile: %s: earlier requests unanswered: FAIL\n", what);
        return false;
    }
    udp_frame(nf, f);
    rsp0 = netfront_raw_tx_rsp_prod(nf);
    struct netif_tx_request r = {
        .gref = netfront_tx_buf_ref(nf, buf), .offset = 0, .flags = NETTXF_extra_info,
        .id = (uint16_t)buf, .size = FRAME,
    };
    netfront_post_raw(nf, &r);
    for (unsigned i = 0; i < c->n; i++)
        netfront_post_raw_extra(nf, &c->x[i]);
    deadline = guest_time_us() + WAIT_US;
    while ((state = backend_state(nf)) < BACKEND_CLOSING && guest_time_us() < deadline)
        guest_sleep_us(0, 20000);
    unsigned answered = netfront_raw_tx_rsp_prod(nf) - rsp0;
    bool ok = state >= BACKEND_CLOSING && answered == 0;
    printf("domU: hostile: %s: backend state %d, %u responses: %s\n", what, state, answered,
           ok ? "vif disabled, packet not answered" : "FAIL");
    return ok;
}

static uint8_t flood_pages[PGRANT_FLOOD][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* Each flood page granted read-only to the backend, with a frame in it. */
static bool flood_grant(struct netfront *nf, grant_ref_t *refs)
{
    for (unsigned i = 0; i < PGRANT_FLOOD; i++) {
        if (grant_ref_alloc(xen_grant_refs(), &refs[i])) {
            printf("domU: hostile: persistent grants: no grant reference for page %u: FAIL\n", i);
            return false;
        }
        eth_frame(nf, flood_pages[i], FRAME, ETHERTYPE_LOCAL_EXP);
        gnttab_grant(refs[i], nf->backend_id, gfn_of(flood_pages[i]),
                     GRANT_READ_ONLY);
    }
    return true;
}

bool hostile_tx_pgrant_flood(struct netfront *nf)
{
    static grant_ref_t refs[PGRANT_FLOOD];
    uint64_t errors0 = netfront_stats(nf)->tx_errors;
    unsigned answered = 0;
    bool quiet = true;

    if (!nf->persistent || !nf->backend_persistent) {
        printf("domU: hostile: persistent grants not agreed (ours %d, backend's %d): FAIL\n",
               nf->persistent, nf->backend_persistent);
        return false;
    }
    if (!tx_quiet(nf) || !flood_grant(nf, refs))
        return false;
    for (unsigned i = 0; i < PGRANT_FLOOD && quiet; i += FLOOD_WAVE) {
        for (unsigned j = 0; j < FLOOD_WAVE && i + j < PGRANT_FLOOD; j++) {
            if (!netfront_claim_raw_buf(nf, FLOOD_BUF0 + j)) {
                printf("domU: hostile: persistent grants: TX buffer %u in use: FAIL\n",
                       FLOOD_BUF0 + j);
                return false;
            }
            struct netif_tx_request r = { .gref = refs[i + j], .offset = 0, .flags = 0,
                                          .id = (uint16_t)(FLOOD_BUF0 + j), .size = FRAME };
            netfront_post_raw(nf, &r);
        }
        quiet = tx_quiet(nf);
        for (unsigned j = 0; j < FLOOD_WAVE && i + j < PGRANT_FLOOD; j++)
            answered += nf->tx_free[FLOOD_BUF0 + j];
    }
    uint64_t errors = netfront_stats(nf)->tx_errors - errors0;
    bool ok = quiet && answered == PGRANT_FLOOD && errors == 0;
    printf("domU: hostile: persistent grants: %u TX requests on %u grants of its own: %u "
           "answered, %lu errors%s\n", PGRANT_FLOOD, PGRANT_FLOOD, answered,
           (unsigned long)errors, ok ? "" : ": FAIL");
    return ok;
}
