/*
 * main.c — the network domU: a PV network frontend and a tiny IPv4 host.
 *
 * Arguments (its command line, from its device tree):
 *   ip=A.B.C.D       its static address (/24); default 10.0.2.15
 *   peer=A.B.C.D     the host on the wire; default 10.0.2.1
 *   backend_wait_s=N how long netfront waits for the backend's InitWait
 *                    (default 10 s; a booting Linux driver domain needs more)
 *   send=PORT        send count=N UDP datagrams (default 20) to peer:PORT,
 *                    payload "granite domU datagram <n>" padded to size=BYTES
 *                    (default 200), one every interval_ms (default 50),
 *                    starting when the peer says it listens: any datagram to
 *                    our own port PORT (net_peer.py udp-listen --poke)
 *   hostile=WHAT     xenstore, grants, evtchn or all: hog them (hostile.c)
 *   hostile=1        after connecting, post malformed TX requests and count
 *                    the errors the backend answers, then NETTXF_csum_blank
 *                    on malformed IPv4 headers and a chain published in two
 *                    halves (hostile_tx.c); ring=1 also pushes the TX
 *                    producer index a whole ring ahead
 *   hostile_fatal=CASE  after connecting, post one packet the backend must
 *                    answer by disabling the vif (hostile_tx.c lists the
 *                    cases), check it did, close and switch off
 *   hostile_pgrant=1 after connecting, send from 250 grants of its own, more
 *                    than netback keeps as persistent grants (hostile_tx.c)
 *   persistent=off   do not offer feature-persistent (netfront.c)
 *   seconds=S        run S seconds then switch off (default: forever)
 *   tx=MODE          how frames go on the TX ring (netfront.h): plain
 *                    (default), csum_blank (IPv4 UDP/TCP with the checksum
 *                    zeroed and NETTXF_csum_blank: the backend fills it in),
 *                    sg (NETTXF_more_data chains of sg_chunk=BYTES pieces,
 *                    default 100)
 * Always: ICMP echo replies, ARP, UDP echo on port 7, and a datagram to
 * port 9 (discard) closes the vif (Closing, then the backend's Closed) and
 * switches the domain off: how a scenario's host side ends the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "xenbus.h"
#include "ipv4.h"
#include "netfront.h"
#include "hostile.h"
#include "hostile_tx.h"
#include "page.h"
#include <public/hvm_params.h>
#include <public/io/xs_wire.h>
#include <public/io/xenbus.h>

#define ECHO_PORT 7
#define BYE_PORT 9
#define SRC_PORT 40000
#define STATS_EVERY_US 10000000
#define LONG_CHAIN (NETFRONT_SG_MAX_SLOTS + 1)
#define NOT_GRANTED 4000        /* beyond our one grant frame's 512 entries */

static struct net_if ni;
static struct netfront *nf;

static void to_wire(void *ctx, const void *frame, size_t len)
{
    (void)ctx;
    /* With every TX buffer in flight this waits for the backend; a frame it
     * still cannot send is counted and logged there (tx_dropped). */
    netfront_xmit(nf, frame, len);
}

/* Two lines: granite's console takes about 128 characters of a line.  TX
 * dropped: frames the stack handed over that never reached the backend (so
 * "UDP echoed" minus those is what went out). */
static void print_stats(const struct netfront_stats *s, const struct net_stats *n)
{
    printf("domU: stats: TX %lu (%lu errors), RX %lu; ICMP echo %lu, UDP echoed %lu\n",
           (unsigned long)s->tx, (unsigned long)s->tx_errors, (unsigned long)s->rx,
           (unsigned long)n->icmp_echo_answered, (unsigned long)n->udp_echoed);
    printf("domU: TX buffers: %lu dropped, %lu waits for one (longest %lu us), at most %lu in "
           "flight\n", (unsigned long)s->tx_dropped, (unsigned long)s->tx_waits,
           (unsigned long)s->tx_wait_max_us, (unsigned long)s->tx_in_flight_max);
    if (s->tx_csum_blank || s->tx_chains)
        printf("domU: TX offloads: %lu with csum_blank, %lu chains (%lu slots)\n",
               (unsigned long)s->tx_csum_blank, (unsigned long)s->tx_chains,
               (unsigned long)s->tx_chain_slots);
}

static void from_wire(void *ctx, const void *frame, size_t len)
{
    (void)ctx;
    net_input(&ni, frame, len);
}

static volatile bool bye, go;

static void on_go(void *ctx, uint32_t src_ip, uint16_t src_port, const void *data, size_t len)
{
    (void)ctx;
    (void)src_ip;
    (void)src_port;
    (void)data;
    (void)len;
    go = true;
}

static void on_bye(void *ctx, uint32_t src_ip, uint16_t src_port, const void *data, size_t len)
{
    (void)ctx;
    (void)src_ip;
    (void)src_port;
    (void)data;
    (void)len;
    bye = true;
}

/* Xen's closing handshake: Closing, wait for the backend's Closed. */
static void close_vif(void)
{
    char path[160], val[8];
    uint64_t deadline = guest_time_us() + 2000000;

    snprintf(path, sizeof(path), "%s/state", nf->frontend);
    xenbus_write(XBT_NIL, path, "5");
    snprintf(path, sizeof(path), "%s/state", nf->backend);
    while (guest_time_us() < deadline) {
        if (xenbus_read(XBT_NIL, path, val, sizeof(val)) >= 0 && atoi(val) == 6)
            break;
        guest_sleep_us(0, 20000);
    }
    snprintf(path, sizeof(path), "%s/state", nf->frontend);
    xenbus_write(XBT_NIL, path, "6");
    printf("domU: vif closed\n");
}

/*
 * Serve the rings until the backend says Connected, at most SETTLE_US.  The
 * rings work from the moment they are published (netfront.c: Linux's
 * netback writes Connected only once its hotplug agent has bridged the vif),
 * so this is no precondition for using them: it only makes "domU: net up"
 * mean "the backend has said it is ready" for whoever watches the console.
 */
#define SETTLE_US 5000000
static void settle(void)
{
    uint64_t deadline = guest_time_us() + SETTLE_US;

    irq_disable_local();
    while (nf->backend_state != XenbusStateConnected && nf->connected &&
           guest_time_us() < deadline) {
        netfront_poll(nf, from_wire, NULL);
        netfront_check_backend(nf);
        if (nf->backend_state == XenbusStateConnected)
            break;
        if (!netfront_kicked(nf))
            guest_wait_any(deadline - guest_time_us() < 100000 ? deadline - guest_time_us()
                                                               : 100000);
    }
    if (nf->backend_state != XenbusStateConnected)
        printf("domU: the backend is still in state %ld after %u ms: going on (its rings work "
               "already)\n", nf->backend_state, SETTLE_US / 1000);
}

static unsigned arg_uint(const char *key, unsigned dflt)
{
    char buf[16];
    return guest_arg(key, buf, sizeof(buf)) ? (unsigned)atoi(buf) : dflt;
}

static uint32_t arg_ip(const char *key, const char *dflt)
{
    char buf[20];
    uint32_t ip = 0;
    if (!guest_arg(key, buf, sizeof(buf)))
        strcpy(buf, dflt);
    if (net_parse_ip(buf, &ip))
        net_parse_ip(dflt, &ip);
    return ip;
}

/* Malformed requests: each must come back as an error, dom0 must carry on. */
static void hostile(bool ring_too)
{
    /* b0, b1: TX buffers 0 and 1, granted to the backend (the requests are
     * bad, not the pages); NOT_GRANTED: a reference past our grant frame,
     * deliberately */
    const grant_ref_t b0 = netfront_tx_buf_ref(nf, 0), b1 = netfront_tx_buf_ref(nf, 1);
    const struct netif_tx_request bad[] = {
        { .gref = b0, .offset = 0, .flags = 0, .id = 0, .size = 0 },          /* empty */
        { .gref = b0, .offset = 0, .flags = 0, .id = 1, .size = 9000 },       /* jumbo */
        { .gref = b0, .offset = 4000, .flags = 0, .id = 2, .size = 200 },     /* crosses page */
        { .gref = NOT_GRANTED, .offset = 0, .flags = 0, .id = 3, .size = 60 }, /* not granted */
        /* a chain whose second slot is longer than the whole packet */
        { .gref = b0, .offset = 0, .flags = NETTXF_more_data, .id = 4, .size = 60 },
        { .gref = b1, .offset = 0, .flags = 0, .id = 5, .size = 100 },
    };
    unsigned n = sizeof(bad) / sizeof(bad[0]) + LONG_CHAIN;
    uint64_t errors0 = netfront_stats(nf)->tx_errors, deadline = guest_time_us() + 2000000;

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        netfront_post_raw(nf, &bad[i]);
    /* a chain one slot longer than any backend takes: every slot answered */
    for (unsigned i = 0; i < LONG_CHAIN; i++) {
        struct netif_tx_request r = {
            .gref = b0, .offset = 0, .id = (uint16_t)(6 + i),
            .flags = (uint16_t)(i + 1 < LONG_CHAIN ? NETTXF_more_data : 0),
            .size = (uint16_t)(i ? 60 : 60 * LONG_CHAIN),
        };
        netfront_post_raw(nf, &r);
    }
    while (netfront_stats(nf)->tx_errors - errors0 < n && guest_time_us() < deadline) {
        guest_wait_any(100000);
        netfront_poll(nf, from_wire, NULL);
    }
    printf("domU: hostile: %u malformed TX request slots, %lu error responses\n", n,
           (unsigned long)(netfront_stats(nf)->tx_errors - errors0));
    hostile_tx_csum(nf);
    hostile_tx_chain(nf);
    printf("domU: hostile: malformed TX done\n");
    if (ring_too) {
        netfront_set_raw_req_prod(nf, nf->tx_req_prod + 1000);
        printf("domU: hostile: TX req_prod pushed 1000 past the last request\n");
    }
}

int guest_main(const struct guest_info *gi)
{
    uint64_t pfn, port, next_send = 0, last_stats = guest_time_us(), end = 0;
    uint32_t ip = arg_ip("ip", "10.0.2.15"), peer = arg_ip("peer", "10.0.2.1");
    unsigned send_port = arg_uint("send", 0), count = arg_uint("count", 20), sent = 0;
    unsigned size = arg_uint("size", 200), interval = arg_uint("interval_ms", 50);
    unsigned seconds = arg_uint("seconds", 0);
    char ipbuf[16];

    if (xen_setup(gi->fdt) || xen_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn) ||
        xen_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &port)) {
        printf("domU: no xenstore ring from the hypervisor: FAIL\n");
        return 1;
    }
    if (xenbus_init((struct xenstore_domain_interface *)addr_of_gfn(pfn), (evtchn_port_t)port)) {
        printf("domU: xenbus_init failed: FAIL\n");
        return 1;
    }
    if (hostile_wanted())
        return hostile_run(); /* hostile=xenstore|grants|evtchn|all: hostile.c */
    nf = netfront_connect(0);
    if (!nf) {
        printf("domU: netfront: FAIL\n");
        return 1;
    }
    net_init(&ni, nf->mac, ip, 0xffffff00u, to_wire, NULL);
    net_udp_echo(&ni, ECHO_PORT);
    net_udp_listen(&ni, BYE_PORT, on_bye, NULL);
    if (send_port)
        net_udp_listen(&ni, (uint16_t)send_port, on_go, NULL);
    settle();
    net_arp_request(&ni, peer); /* learn the peer's MAC, and announce ourselves */
    net_format_ip(ip, ipbuf);
    printf("domU: net up: ip %s, mac %02x:%02x:%02x:%02x:%02x:%02x, UDP echo on port %u\n", ipbuf,
           nf->mac[0], nf->mac[1], nf->mac[2], nf->mac[3], nf->mac[4], nf->mac[5], ECHO_PORT);
    printf("domU: boot time: network up at %lu ms of counter time\n", (unsigned long)(guest_time_us() / 1000));
    {
        char mode[16] = "plain";
        guest_arg("tx", mode, sizeof(mode));
        if (!strcmp(mode, "csum_blank"))
            netfront_set_tx_mode(nf, NETFRONT_TX_CSUM_BLANK, 0);
        else if (!strcmp(mode, "sg"))
            netfront_set_tx_mode(nf, NETFRONT_TX_SG, arg_uint("sg_chunk", 0));
        else if (strcmp(mode, "plain"))
            printf("domU: tx=%s unknown (plain, csum_blank, sg): plain\n", mode);
    }
    {
        char fatal[24];
        if (guest_arg("hostile_fatal", fatal, sizeof(fatal))) {
            bool ok = hostile_tx_fatal(nf, fatal);
            close_vif();
            printf("domU: hostile: %s: done: %s\n", fatal, ok ? "PASS" : "FAIL");
            return ok ? 0 : 1;
        }
    }
    if (arg_uint("hostile", 0))
        hostile(arg_uint("ring", 0));
    if (arg_uint("hostile_pgrant", 0)) {
        bool ok = hostile_tx_pgrant_flood(nf);
        printf("domU: hostile: persistent grants done%s\n", ok ? "" : ": FAIL");
    }
    if (seconds)
        end = guest_time_us() + (uint64_t)seconds * 1000000;
    irq_disable_local();
    for (;;) {
        netfront_poll(nf, from_wire, NULL);
        netfront_check_backend(nf);
        uint64_t now = guest_time_us();
        if (send_port && go && sent < count && now >= next_send) {
            char payload[1472];
            if (size < 32)
                size = 32;
            if (size > sizeof(payload))
                size = sizeof(payload);
            memset(payload, '.', size);
            int n = snprintf(payload, size, "granite domU datagram %u", sent);
            payload[n] = ' ';
            net_udp_send(&ni, peer, SRC_PORT, (uint16_t)send_port, payload, size);
            if (++sent == count)
                printf("domU: sent %u UDP datagrams to port %u\n", sent, send_port);
            next_send = now + (uint64_t)interval * 1000;
        }
        if (now - last_stats >= STATS_EVERY_US) {
            const struct netfront_stats *s = netfront_stats(nf);
            const struct net_stats *n = net_get_stats(&ni);
            print_stats(s, n);
            last_stats = now;
        }
        if ((end && now >= end) || bye)
            break;
        if (!netfront_kicked(nf)) {
            uint64_t wait = 1000000;
            if (send_port && go && sent < count)
                wait = next_send > now ? next_send - now : 0;
            if (wait)
                guest_wait_any(wait);
        }
    }
    {
        const struct netfront_stats *st = netfront_stats(nf);
        const struct net_stats *n = net_get_stats(&ni);
        print_stats(st, n);
    }
    close_vif();
    printf("domU: done: PASS\n");
    return 0;
}
