/*
 * test_ipv4.c — host unit tests of the guests' tiny IPv4 stack
 * (guests/lib/ipv4.c): ARP, ICMP echo, UDP echo/listen/send, and that every
 * malformed, inconsistent or foreign frame is dropped and counted.
 *
 * Input frames are built here byte by byte, with field offsets and numbers
 * written out from RFC 826 (ARP), RFC 791 (IPv4), RFC 792 (ICMP) and RFC 768
 * (UDP); the checksum used to build and check frames is this file's own
 * (byte-weighted sum, RFC 1071), not the stack's.  Every frame the stack
 * transmits goes through check_tx_frame(), which checks its length, source
 * MAC, padding and every checksum, in every test including the fuzz loops.
 *
 * Frames are handed to the stack in heap buffers of exactly their length, at
 * an odd address when the test says so, so that ASan catches a read past the
 * end and UBSan/-mstrict-align-style bugs show up on misaligned fields.
 *
 * Assumptions: the stack under test is set up as 10.0.0.2/24 with MAC
 * 02:00:00:00:00:01; the peer is 10.0.0.1 at 02:00:00:00:00:99.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ipv4.h"

#define unused __attribute__((unused))

/* Wire numbers, from the RFCs (not from ipv4.c). */
#define ETH_HDR 14
#define ETH_MIN 60
#define ETH_MAX 1514
#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_IPV6 0x86dd
#define ARP_BODY 28
#define ARP_FRAME (ETH_HDR + ARP_BODY)
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define IPH 20
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_EVIL 0x8000
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define ICMP_ECHO 8
#define ICMP_ECHOREPLY 0
#define ICMP_HDR 8
#define UDP_HDR 8
#define MAX_DATA 1472

#define OUR_IP_A 10, 0, 0, 2
#define PEER_IP_A 10, 0, 0, 1

static const uint8_t OUR_MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t PEER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t OTHER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x42 };
static const uint8_t BCAST_MAC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST_MAC[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t ZERO_MAC[6];

static uint32_t OUR_IP, PEER_IP, MASK;

/* ---- capture of transmitted frames ------------------------------------- */

#define CAPTURE_MAX 16
struct captured {
    uint8_t data[ETH_MAX];
    size_t len;
};
static struct captured sent[CAPTURE_MAX];
static unsigned nsent;          /* frames seen since the last reset (may exceed CAPTURE_MAX) */
static struct net_if nif;
static const char *last_log;
static unsigned nlog;

/* The UDP listener's record. */
struct udp_call {
    unsigned calls;
    uint32_t src_ip;
    uint16_t src_port;
    size_t len;
    uint8_t data[MAX_DATA + 1];
    void *ctx;
};
static struct udp_call ucall;

/* ---- this file's own byte helpers and checksum ------------------------- */

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)(v & 0xff);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] * 256u + p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) + ((uint32_t)p[1] << 16) + ((uint32_t)p[2] << 8) + p[3];
}

/* RFC 1071 written the other way round from the stack: even-offset bytes
 * weigh 256, odd ones 1, summed in 64 bits and folded at the end.  Over data
 * that includes a correct checksum field it gives 0. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
    uint64_t s = 0;

    for (size_t i = 0; i < len; i++)
        s += (i % 2 == 0) ? (uint64_t)p[i] * 256 : p[i];
    while (s > 0xffff)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)(~s & 0xffff);
}

/* UDP checksum via an explicit pseudo-header copied in front (RFC 768). */
static uint16_t ref_udp_csum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
    static uint8_t tmp[12 + 65536];

    wr32(tmp, src);
    wr32(tmp + 4, dst);
    tmp[8] = 0;
    tmp[9] = PROTO_UDP;
    wr16(tmp + 10, (uint16_t)len);
    memcpy(tmp + 12, udp, len);
    return ref_csum(tmp, 12 + len);
}

/* ---- every transmitted frame is checked here ---------------------------- */

static void check_tx_frame(const uint8_t *f, size_t len)
{
    size_t used = 0;

    assert_true(len >= ETH_MIN);
    assert_true(len <= ETH_MAX);
    assert_memory_equal(f + 6, OUR_MAC, 6);
    switch (rd16(f + 12)) {
    case ET_ARP: {
        const uint8_t *a = f + ETH_HDR;
        assert_int_equal(rd16(a), 1);
        assert_int_equal(rd16(a + 2), ET_IPV4);
        assert_int_equal(a[4], 6);
        assert_int_equal(a[5], 4);
        assert_memory_equal(a + 8, OUR_MAC, 6);
        assert_int_equal(rd32(a + 14), OUR_IP);
        used = ARP_FRAME;
        break;
    }
    case ET_IPV4: {
        const uint8_t *ip = f + ETH_HDR;
        size_t tot = rd16(ip + 2);
        assert_int_equal(ip[0], 0x45);                /* v4, no options sent */
        assert_true(tot >= IPH && tot <= len - ETH_HDR);
        assert_int_equal(ref_csum(ip, IPH), 0);
        assert_int_equal(rd16(ip + 6), IP_DF);       /* DF, no fragments */
        assert_int_equal(ip[8], 64);
        assert_int_equal(rd32(ip + 12), OUR_IP);
        if (ip[9] == PROTO_ICMP) {
            assert_true(tot >= IPH + ICMP_HDR);
            assert_int_equal(ref_csum(ip + IPH, tot - IPH), 0);
        } else {
            assert_int_equal(ip[9], PROTO_UDP);
            const uint8_t *u = ip + IPH;
            assert_int_equal(rd16(u + 4), tot - IPH);
            assert_int_not_equal(rd16(u + 6), 0);     /* always computed on send */
            assert_int_equal(ref_udp_csum(OUR_IP, rd32(ip + 16), u, tot - IPH), 0);
        }
        used = ETH_HDR + tot;
        break;
    }
    default:
        fail_msg("stack sent ethertype 0x%04x", rd16(f + 12));
    }
    /* Short frames are padded to 60 with zeros, longer ones are not padded. */
    if (used < ETH_MIN)
        assert_int_equal(len, ETH_MIN);
    else
        assert_int_equal(len, used);
    for (size_t i = used; i < len; i++)
        assert_int_equal(f[i], 0);
}

static void capture_tx(void *ctx, const void *frame, size_t len)
{
    assert_ptr_equal(ctx, &sent);
    check_tx_frame(frame, len);
    if (nsent < CAPTURE_MAX) {
        memcpy(sent[nsent].data, frame, len);
        sent[nsent].len = len;
    }
    nsent++;
}

static void capture_log(void *ctx, const char *msg)
{
    assert_ptr_equal(ctx, &last_log);
    assert_non_null(msg);
    last_log = msg;
    nlog++;
}

static void record_udp(void *ctx, uint32_t src_ip, uint16_t src_port, const void *data,
                       size_t len)
{
    assert_true(len <= MAX_DATA);
    ucall.calls++;
    ucall.src_ip = src_ip;
    ucall.src_port = src_port;
    ucall.len = len;
    ucall.ctx = ctx;
    if (len)
        memcpy(ucall.data, data, len);
}

static int setup(void **state unused)
{
    OUR_IP = net_ip(OUR_IP_A);
    PEER_IP = net_ip(PEER_IP_A);
    MASK = net_ip(255, 255, 255, 0);
    memset(sent, 0, sizeof(sent));
    nsent = 0;
    nlog = 0;
    last_log = NULL;
    memset(&ucall, 0, sizeof(ucall));
    net_init(&nif, OUR_MAC, OUR_IP, MASK, capture_tx, &sent);
    net_set_log(&nif, capture_log, &last_log);
    return 0;
}

/* rx_frames is split exactly among the outcome counters (see ipv4.h). */
static void check_accounting(void)
{
    const struct net_stats *s = net_get_stats(&nif);

    assert_int_equal(s->rx_frames, s->rx_dropped + s->not_for_us + s->arp_requests_answered +
                                       s->arp_replies_learned + s->icmp_echo_answered +
                                       s->udp_rx);
    assert_true(s->bad_checksum <= s->rx_dropped);
    assert_true(s->udp_echoed <= s->udp_rx);
}

/* ---- input frame builders (byte by byte) ------------------------------- */

/* Hand a frame to the stack in a heap buffer of exactly len bytes, starting at
 * an odd address when odd is set. */
static void feed_at(const uint8_t *frame, size_t len, bool odd)
{
    size_t off = odd ? 1 : 0;
    uint8_t *buf = malloc(len + off);

    assert_non_null(buf);
    if (len)
        memcpy(buf + off, frame, len);
    net_input(&nif, buf + off, len);
    free(buf);
    check_accounting();
}

static void feed(const uint8_t *frame, size_t len)
{
    feed_at(frame, len, false);
}

static size_t mk_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    wr16(f + 12, type);
    return ETH_HDR;
}

static size_t mk_arp(uint8_t *f, uint16_t op, const uint8_t *eth_dst, const uint8_t *sha,
                     uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
    uint8_t *a = f + mk_eth(f, eth_dst, sha, ET_ARP);

    wr16(a + 0, 1);             /* hrd: Ethernet */
    wr16(a + 2, ET_IPV4);       /* pro */
    a[4] = 6;                   /* hln */
    a[5] = 4;                   /* pln */
    wr16(a + 6, op);
    memcpy(a + 8, sha, 6);
    wr32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    wr32(a + 24, tpa);
    return ARP_FRAME;
}

/* IPv4 header with optional options (olen a multiple of 4) and its payload;
 * frag is the flags/offset word.  Returns the frame length. */
static size_t mk_ip_opts(uint8_t *f, const uint8_t *eth_dst, uint32_t src, uint32_t dst,
                         uint8_t proto, uint16_t frag, const uint8_t *opts, size_t olen,
                         const uint8_t *payload, size_t plen)
{
    uint8_t *ip = f + mk_eth(f, eth_dst, PEER_MAC, ET_IPV4);
    size_t hl = IPH + olen;

    ip[0] = (uint8_t)(0x40 | (hl / 4));
    ip[1] = 0;
    wr16(ip + 2, (uint16_t)(hl + plen));
    wr16(ip + 4, 0x1234);
    wr16(ip + 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    wr16(ip + 10, 0);
    wr32(ip + 12, src);
    wr32(ip + 16, dst);
    if (olen)
        memcpy(ip + IPH, opts, olen);
    wr16(ip + 10, ref_csum(ip, hl));
    if (plen)
        memcpy(ip + hl, payload, plen);
    return ETH_HDR + hl + plen;
}

static size_t mk_ip(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *payload,
                    size_t plen)
{
    return mk_ip_opts(f, OUR_MAC, src, dst, proto, IP_DF, NULL, 0, payload, plen);
}

/* Recompute the IP header checksum after a test has edited the header. */
static void fix_ip_csum(uint8_t *f)
{
    uint8_t *ip = f + ETH_HDR;
    size_t hl = (size_t)(ip[0] & 0xf) * 4;

    wr16(ip + 10, 0);
    wr16(ip + 10, ref_csum(ip, hl));
}

static void fill_pattern(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8));
}

static size_t mk_icmp_echo(uint8_t *m, uint16_t id, uint16_t seq, size_t dlen)
{
    m[0] = ICMP_ECHO;
    m[1] = 0;
    wr16(m + 2, 0);
    wr16(m + 4, id);
    wr16(m + 6, seq);
    fill_pattern(m + ICMP_HDR, dlen, seq);
    wr16(m + 2, ref_csum(m, ICMP_HDR + dlen));
    return ICMP_HDR + dlen;
}

static size_t mk_udp(uint8_t *u, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                     const uint8_t *data, size_t dlen)
{
    wr16(u, sport);
    wr16(u + 2, dport);
    wr16(u + 4, (uint16_t)(UDP_HDR + dlen));
    wr16(u + 6, 0);
    if (dlen)
        memcpy(u + UDP_HDR, data, dlen);
    uint16_t c = ref_udp_csum(src, dst, u, UDP_HDR + dlen);
    wr16(u + 6, c == 0 ? 0xffff : c);
    return UDP_HDR + dlen;
}

/* A whole echo-request frame from the peer. */
static size_t mk_ping(uint8_t *f, uint16_t id, uint16_t seq, size_t dlen)
{
    static uint8_t m[65536];
    size_t mlen = mk_icmp_echo(m, id, seq, dlen);

    return mk_ip(f, PEER_IP, OUR_IP, PROTO_ICMP, m, mlen);
}

/* A whole UDP frame from the peer's port 5000 to dport. */
static size_t mk_udp_frame(uint8_t *f, uint16_t dport, const uint8_t *data, size_t dlen)
{
    static uint8_t u[65536];
    size_t ulen = mk_udp(u, PEER_IP, OUR_IP, 5000, dport, data, dlen);

    return mk_ip(f, PEER_IP, OUR_IP, PROTO_UDP, u, ulen);
}

static const struct net_stats *stats(void)
{
    return net_get_stats(&nif);
}

/* The frame was dropped (rx_dropped + 1) and nothing was sent. */
static void expect_dropped(const uint8_t *f, size_t len)
{
    uint64_t before = stats()->rx_dropped;
    unsigned tx_before = nsent;

    feed(f, len);
    assert_int_equal(stats()->rx_dropped, before + 1);
    assert_int_equal(nsent, tx_before);
}

static void expect_ignored(const uint8_t *f, size_t len)
{
    uint64_t before = stats()->not_for_us, dropped = stats()->rx_dropped;
    unsigned tx_before = nsent;

    feed(f, len);
    assert_int_equal(stats()->not_for_us, before + 1);
    assert_int_equal(stats()->rx_dropped, dropped);
    assert_int_equal(nsent, tx_before);
}

static void learn_peer(void)
{
    uint8_t f[ETH_MAX];
    size_t len = mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);

    feed(f, len);
}

/* ---- helpers: addresses ------------------------------------------------ */

static void test_net_ip_is_host_order(void **state unused)
{
    assert_int_equal(net_ip(10, 0, 0, 2), 0x0a000002u);
    assert_int_equal(net_ip(255, 254, 1, 0), 0xfffe0100u);
}

static void test_parse_and_format_ip(void **state unused)
{
    static const char *const bad[] = { "",          "1.2.3",    "1.2.3.4.5", "256.1.1.1",
                                       "1.2.3.-4",  "01.2.3.4", "1..3.4",    " 1.2.3.4",
                                       "1.2.3.4 ",  "1.2.3.4x", "1234.1.1.1", "a.b.c.d",
                                       "1.2.3.",    ".1.2.3",   "+1.2.3.4" };
    uint32_t ip = 0x5a5a5a5a;
    char buf[16];

    assert_int_equal(net_parse_ip("10.0.0.2", &ip), 0);
    assert_int_equal(ip, 0x0a000002u);
    assert_int_equal(net_parse_ip("255.255.255.255", &ip), 0);
    assert_int_equal(ip, 0xffffffffu);
    assert_int_equal(net_parse_ip("0.0.0.0", &ip), 0);
    assert_int_equal(ip, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ip = 0x5a5a5a5a;
        assert_int_equal(net_parse_ip(bad[i], &ip), -1);
        assert_int_equal(ip, 0x5a5a5a5a);           /* untouched on error */
    }
    assert_int_equal(net_parse_ip(NULL, &ip), -1);
    assert_int_equal(net_parse_ip("1.2.3.4", NULL), -1);

    net_format_ip(0x0a000002u, buf);
    assert_string_equal(buf, "10.0.0.2");
    memset(buf, 'x', sizeof(buf));
    net_format_ip(0xffffffffu, buf);
    assert_string_equal(buf, "255.255.255.255");
    net_format_ip(0, buf);
    assert_string_equal(buf, "0.0.0.0");
    net_format_ip(net_ip(192, 168, 100, 9), buf);
    assert_string_equal(buf, "192.168.100.9");
    assert_int_equal(net_parse_ip(buf, &ip), 0);
    assert_int_equal(ip, net_ip(192, 168, 100, 9));
}

/* ---- ARP --------------------------------------------------------------- */

/* A broadcast who-has for our IP gets a unicast reply to the asker, every
 * field per RFC 826, padded to 60 bytes. */
static void test_arp_request_answered(void **state unused)
{
    uint8_t f[ETH_MAX];
    size_t len = mk_arp(f, ARP_REQUEST, BCAST_MAC, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP);

    feed(f, len);
    assert_int_equal(nsent, 1);
    const uint8_t *r = sent[0].data;
    assert_int_equal(sent[0].len, 60);
    assert_memory_equal(r, PEER_MAC, 6);            /* unicast to the asker */
    assert_memory_equal(r + 6, OUR_MAC, 6);
    assert_int_equal(rd16(r + 12), ET_ARP);
    const uint8_t *a = r + ETH_HDR;
    assert_int_equal(rd16(a), 1);
    assert_int_equal(rd16(a + 2), ET_IPV4);
    assert_int_equal(a[4], 6);
    assert_int_equal(a[5], 4);
    assert_int_equal(rd16(a + 6), ARP_REPLY);
    assert_memory_equal(a + 8, OUR_MAC, 6);
    assert_int_equal(rd32(a + 14), OUR_IP);
    assert_memory_equal(a + 18, PEER_MAC, 6);
    assert_int_equal(rd32(a + 24), PEER_IP);
    assert_int_equal(stats()->arp_requests_answered, 1);
    assert_int_equal(stats()->tx_frames, 1);
}

/* RFC 826: the asker's address is learned from a request aimed at us. */
static void test_arp_request_for_us_teaches_sender(void **state unused)
{
    uint8_t f[ETH_MAX], mac[6];
    size_t len = mk_arp(f, ARP_REQUEST, BCAST_MAC, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP);

    assert_false(net_arp_lookup(&nif, PEER_IP, mac));
    feed_at(f, len, true);
    assert_true(net_arp_lookup(&nif, PEER_IP, mac));
    assert_memory_equal(mac, PEER_MAC, 6);
}

/* A request for someone else is neither answered nor learned from. */
static void test_arp_request_for_other_ip_ignored(void **state unused)
{
    uint8_t f[ETH_MAX], mac[6];
    size_t len = mk_arp(f, ARP_REQUEST, BCAST_MAC, PEER_MAC, PEER_IP, ZERO_MAC,
                        net_ip(10, 0, 0, 77));

    expect_ignored(f, len);
    assert_false(net_arp_lookup(&nif, PEER_IP, mac));
    assert_int_equal(stats()->arp_requests_answered, 0);
}

/* A reply to us is learned, at any alignment. */
static void test_arp_reply_learned(void **state unused)
{
    uint8_t f[ETH_MAX], mac[6];
    size_t len = mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);

    feed_at(f, len, true);
    assert_int_equal(stats()->arp_replies_learned, 1);
    assert_true(net_arp_lookup(&nif, PEER_IP, mac));
    assert_memory_equal(mac, PEER_MAC, 6);
    assert_int_equal(nsent, 0);
}

/* A reply for another host is not learned, but RFC 826's merge step updates
 * an entry we already have (e.g. a gratuitous ARP after a NIC change). */
static void test_arp_reply_for_other_host_only_updates(void **state unused)
{
    uint8_t f[ETH_MAX], mac[6];
    uint32_t third = net_ip(10, 0, 0, 3);
    size_t len = mk_arp(f, ARP_REPLY, BCAST_MAC, OTHER_MAC, third, ZERO_MAC, third);

    expect_ignored(f, len);
    assert_false(net_arp_lookup(&nif, third, mac));

    learn_peer();
    len = mk_arp(f, ARP_REPLY, BCAST_MAC, OTHER_MAC, PEER_IP, ZERO_MAC, PEER_IP);
    feed(f, len);
    assert_true(net_arp_lookup(&nif, PEER_IP, mac));
    assert_memory_equal(mac, OTHER_MAC, 6);
    assert_int_equal(stats()->arp_replies_learned, 2);
}

/* Broken or hostile ARP packets are dropped, counted, and teach nothing. */
static void test_arp_malformed_dropped(void **state unused)
{
    uint8_t f[ETH_MAX], mac[6];
    size_t len;

    len = mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);
    expect_dropped(f, len - 1);                     /* truncated ARP body */
    f[ETH_HDR + 1] = 6;                             /* hrd: IEEE 802 */
    expect_dropped(f, len);
    mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);
    wr16(f + ETH_HDR + 2, ET_IPV6);                 /* pro */
    expect_dropped(f, len);
    mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);
    f[ETH_HDR + 4] = 8;                             /* hln */
    expect_dropped(f, len);
    mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);
    f[ETH_HDR + 5] = 16;                            /* pln */
    expect_dropped(f, len);
    mk_arp(f, 3, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP); /* RARP opcode */
    expect_dropped(f, len);
    mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);
    memcpy(f + ETH_HDR + 8, BCAST_MAC, 6);          /* sha broadcast */
    expect_dropped(f, len);
    mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);
    memcpy(f + ETH_HDR + 8, ZERO_MAC, 6);           /* sha zero */
    expect_dropped(f, len);
    len = mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, OUR_IP, OUR_MAC, OUR_IP); /* claims our IP */
    expect_dropped(f, len);
    len = mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, net_ip(224, 0, 0, 1), OUR_MAC, OUR_IP);
    expect_dropped(f, len);
    len = mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, net_ip(10, 0, 0, 255), OUR_MAC, OUR_IP);
    expect_dropped(f, len);                         /* subnet broadcast as sender */
    assert_false(net_arp_lookup(&nif, PEER_IP, mac));
    assert_false(net_arp_lookup(&nif, OUR_IP, mac));
    assert_int_equal(stats()->arp_replies_learned, 0);
}

/* An address probe (sender IP 0, RFC 5227) for our IP is answered (that is
 * how the prober learns the address is taken) but 0.0.0.0 is not learned. */
static void test_arp_probe_answered_not_learned(void **state unused)
{
    uint8_t f[ETH_MAX], mac[6];
    size_t len = mk_arp(f, ARP_REQUEST, BCAST_MAC, PEER_MAC, 0, ZERO_MAC, OUR_IP);

    feed(f, len);
    assert_int_equal(nsent, 1);
    assert_memory_equal(sent[0].data, PEER_MAC, 6);
    assert_int_equal(rd32(sent[0].data + ETH_HDR + 24), 0);
    assert_false(net_arp_lookup(&nif, 0, mac));
}

/* net_arp_request: broadcast, opcode 1, target MAC zero, target IP given;
 * with our own IP it is a gratuitous announcement. */
static void test_arp_request_sent(void **state unused)
{
    net_arp_request(&nif, PEER_IP);
    net_arp_request(&nif, OUR_IP);
    assert_int_equal(nsent, 2);
    for (unsigned i = 0; i < 2; i++) {
        const uint8_t *r = sent[i].data, *a = r + ETH_HDR;
        assert_int_equal(sent[i].len, 60);
        assert_memory_equal(r, BCAST_MAC, 6);
        assert_int_equal(rd16(r + 12), ET_ARP);
        assert_int_equal(rd16(a + 6), ARP_REQUEST);
        assert_memory_equal(a + 18, ZERO_MAC, 6);
        assert_int_equal(rd32(a + 24), i == 0 ? PEER_IP : OUR_IP);
    }
    assert_int_equal(stats()->arp_requests_sent, 2);
}

/* Eight entries; a ninth host replaces the least recently used one. */
static void test_arp_cache_replaces_least_recently_used(void **state unused)
{
    uint8_t f[ETH_MAX], mac[6], hmac[6] = { 0x02, 0, 0, 0, 0x10, 0 };

    for (uint8_t h = 1; h <= 8; h++) {
        hmac[5] = h;
        feed(f, mk_arp(f, ARP_REPLY, OUR_MAC, hmac, net_ip(10, 0, 0, (uint8_t)(10 + h)), OUR_MAC,
                       OUR_IP));
    }
    /* Use host 1, so host 2 becomes the oldest. */
    assert_int_equal(net_udp_send(&nif, net_ip(10, 0, 0, 11), 1, 2, "x", 1), 0);
    assert_int_equal(nsent, 1);
    hmac[5] = 9;
    feed(f, mk_arp(f, ARP_REPLY, OUR_MAC, hmac, net_ip(10, 0, 0, 19), OUR_MAC, OUR_IP));
    assert_true(net_arp_lookup(&nif, net_ip(10, 0, 0, 19), mac));
    assert_true(net_arp_lookup(&nif, net_ip(10, 0, 0, 11), mac));
    assert_false(net_arp_lookup(&nif, net_ip(10, 0, 0, 12), mac));
    for (uint8_t h = 3; h <= 8; h++)
        assert_true(net_arp_lookup(&nif, net_ip(10, 0, 0, (uint8_t)(10 + h)), mac));
}

/* ---- ICMP echo --------------------------------------------------------- */

/* One echo request with dlen data bytes; the reply is checked field by
 * field, its checksums with this file's own code. */
static void ping_and_check(size_t dlen, bool odd)
{
    static uint8_t f[ETH_MAX + 64];
    size_t len = mk_ping(f, 0xbeef, (uint16_t)(dlen + 1), dlen);
    const uint8_t *req_icmp = f + ETH_HDR + IPH;

    feed_at(f, len, odd);
    assert_int_equal(nsent, 1);
    assert_int_equal(stats()->icmp_echo_answered, 1);
    const uint8_t *r = sent[0].data, *ip = r + ETH_HDR, *m = ip + IPH;
    size_t mlen = ICMP_HDR + dlen;
    assert_int_equal(sent[0].len, ETH_HDR + IPH + mlen < 60 ? 60 : ETH_HDR + IPH + mlen);
    assert_memory_equal(r, PEER_MAC, 6);
    assert_memory_equal(r + 6, OUR_MAC, 6);
    assert_int_equal(rd16(r + 12), ET_IPV4);
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(rd16(ip + 2), IPH + mlen);
    assert_int_equal(rd16(ip + 6), IP_DF);
    assert_int_equal(ip[8], 64);
    assert_int_equal(ip[9], PROTO_ICMP);
    assert_int_equal(rd32(ip + 12), OUR_IP);
    assert_int_equal(rd32(ip + 16), PEER_IP);
    assert_int_equal(ref_csum(ip, IPH), 0);
    assert_int_equal(m[0], ICMP_ECHOREPLY);
    assert_int_equal(m[1], 0);
    assert_int_equal(ref_csum(m, mlen), 0);
    assert_int_equal(rd16(m + 4), 0xbeef);
    assert_int_equal(rd16(m + 6), dlen + 1);
    assert_memory_equal(m + ICMP_HDR, req_icmp + ICMP_HDR, dlen);
}

static void test_icmp_echo_0_bytes(void **state unused)
{
    ping_and_check(0, false);
}

static void test_icmp_echo_56_bytes(void **state unused)
{
    ping_and_check(56, true);
}

static void test_icmp_echo_1472_bytes(void **state unused)
{
    ping_and_check(MAX_DATA, true);
}

/* 1473 data bytes make a 1501-byte IP packet: more than the MTU. */
static void test_icmp_echo_1473_bytes_dropped(void **state unused)
{
    static uint8_t f[ETH_MAX + 64];

    expect_dropped(f, mk_ping(f, 1, 1, MAX_DATA + 1));
}

static void test_icmp_bad_checksum_dropped(void **state unused)
{
    uint8_t f[ETH_MAX];
    size_t len = mk_ping(f, 1, 2, 56);

    f[ETH_HDR + IPH + ICMP_HDR + 10] ^= 0x01;      /* one data bit */
    expect_dropped(f, len);
    assert_int_equal(stats()->bad_checksum, 1);
    assert_int_equal(stats()->icmp_echo_answered, 0);
}

/* Other ICMP messages (here an echo reply, and an echo request with a code)
 * are not answered. */
static void test_icmp_other_types_dropped(void **state unused)
{
    uint8_t f[ETH_MAX], m[64];
    size_t mlen = mk_icmp_echo(m, 1, 1, 8);

    m[0] = ICMP_ECHOREPLY;
    wr16(m + 2, 0);
    wr16(m + 2, ref_csum(m, mlen));
    expect_dropped(f, mk_ip(f, PEER_IP, OUR_IP, PROTO_ICMP, m, mlen));
    mlen = mk_icmp_echo(m, 1, 1, 8);
    m[1] = 1;
    wr16(m + 2, 0);
    wr16(m + 2, ref_csum(m, mlen));
    expect_dropped(f, mk_ip(f, PEER_IP, OUR_IP, PROTO_ICMP, m, mlen));
}

/* IHL > 5 with well-formed options is accepted; the reply carries none. */
static void test_icmp_with_ip_options_answered(void **state unused)
{
    static const uint8_t opts[8] = { 1, 1, 0x44, 4, 5, 0, 0 /* EOL */, 0 };
    uint8_t f[ETH_MAX], m[64];
    size_t mlen = mk_icmp_echo(m, 7, 9, 16);
    size_t len = mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, 0, opts, sizeof(opts), m,
                            mlen);

    feed_at(f, len, true);
    assert_int_equal(nsent, 1);
    const uint8_t *ip = sent[0].data + ETH_HDR;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(rd16(ip + 2), IPH + mlen);
    assert_memory_equal(ip + IPH + 4, m + 4, mlen - 4);
}

/* Options that lie about their length are refused. */
static void test_ip_malformed_options_dropped(void **state unused)
{
    static const uint8_t zero_len[4] = { 0x44, 0, 0, 0 };
    static const uint8_t too_long[4] = { 1, 0x44, 4, 0 };   /* 4 bytes from offset 1 */
    static const uint8_t no_len[4] = { 1, 1, 1, 0x83 };     /* type, no length octet */
    uint8_t f[ETH_MAX], m[64];
    size_t mlen = mk_icmp_echo(m, 1, 1, 0);

    expect_dropped(f, mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, 0, zero_len, 4, m,
                                 mlen));
    expect_dropped(f, mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, 0, too_long, 4, m,
                                 mlen));
    expect_dropped(f, mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, 0, no_len, 4, m,
                                 mlen));
    assert_int_equal(stats()->icmp_echo_answered, 0);
}

/* Ethernet padding after a short IP packet is ignored (a 42-byte ping in a
 * 60-byte frame with junk in the pad). */
static void test_padded_short_frame_answered(void **state unused)
{
    uint8_t f[ETH_MAX];
    size_t len = mk_ping(f, 3, 4, 0);

    assert_int_equal(len, 42);
    memset(f + len, 0xa5, 60 - len);
    feed(f, 60);
    assert_int_equal(stats()->icmp_echo_answered, 1);
    assert_int_equal(nsent, 1);
}

/* RFC 1122 3.2.2.6: an echo request to a broadcast address may be ignored;
 * this stack ignores it (no smurf amplifier). */
static void test_icmp_broadcast_not_answered(void **state unused)
{
    uint8_t f[ETH_MAX], m[64];
    size_t mlen = mk_icmp_echo(m, 1, 1, 4);

    expect_dropped(f, mk_ip_opts(f, BCAST_MAC, PEER_IP, net_ip(10, 0, 0, 255), PROTO_ICMP, 0,
                                 NULL, 0, m, mlen));
    expect_dropped(f, mk_ip_opts(f, BCAST_MAC, PEER_IP, 0xffffffffu, PROTO_ICMP, 0, NULL, 0, m,
                                 mlen));
}

/* ---- UDP receive ------------------------------------------------------- */

static void udp_echo_and_check(size_t dlen, bool odd)
{
    static uint8_t f[ETH_MAX + 64], data[MAX_DATA + 1];
    size_t len;

    fill_pattern(data, dlen, (unsigned)dlen);
    len = mk_udp_frame(f, 7, data, dlen);
    assert_int_equal(net_udp_echo(&nif, 7), 0);
    feed_at(f, len, odd);
    assert_int_equal(nsent, 1);
    const uint8_t *r = sent[0].data, *ip = r + ETH_HDR, *u = ip + IPH;
    assert_memory_equal(r, PEER_MAC, 6);
    assert_int_equal(ip[9], PROTO_UDP);
    assert_int_equal(rd32(ip + 16), PEER_IP);
    assert_int_equal(rd16(ip + 2), IPH + UDP_HDR + dlen);
    assert_int_equal(rd16(u), 7);                   /* from the echo port ... */
    assert_int_equal(rd16(u + 2), 5000);            /* ... back to the sender's */
    assert_int_equal(rd16(u + 4), UDP_HDR + dlen);
    assert_int_equal(ref_udp_csum(OUR_IP, PEER_IP, u, UDP_HDR + dlen), 0);
    assert_memory_equal(u + UDP_HDR, data, dlen);
    assert_int_equal(stats()->udp_rx, 1);
    assert_int_equal(stats()->udp_echoed, 1);
    assert_int_equal(stats()->udp_tx, 1);
}

static void test_udp_echo_1_byte(void **state unused)
{
    udp_echo_and_check(1, false);
}

static void test_udp_echo_100_bytes(void **state unused)
{
    udp_echo_and_check(100, true);
}

static void test_udp_echo_1472_bytes(void **state unused)
{
    udp_echo_and_check(MAX_DATA, true);
}

/* A listener gets sender, port and exact payload; checksum 0 ("none") is
 * accepted on receive (RFC 768). */
static void test_udp_listener_gets_payload(void **state unused)
{
    uint8_t f[ETH_MAX], data[300];
    size_t len;
    int token;

    fill_pattern(data, sizeof(data), 5);
    assert_int_equal(net_udp_listen(&nif, 9000, record_udp, &token), 0);
    len = mk_udp_frame(f, 9000, data, sizeof(data));
    feed_at(f, len, true);
    assert_int_equal(ucall.calls, 1);
    assert_int_equal(ucall.src_ip, PEER_IP);
    assert_int_equal(ucall.src_port, 5000);
    assert_int_equal(ucall.len, sizeof(data));
    assert_ptr_equal(ucall.ctx, &token);
    assert_memory_equal(ucall.data, data, sizeof(data));

    wr16(f + ETH_HDR + IPH + 6, 0);                 /* no checksum */
    feed(f, len);
    assert_int_equal(ucall.calls, 2);
    assert_int_equal(stats()->udp_rx, 2);
    assert_int_equal(nsent, 0);
}

static void test_udp_bad_checksum_dropped(void **state unused)
{
    uint8_t f[ETH_MAX], data[32];
    size_t len;

    fill_pattern(data, sizeof(data), 1);
    assert_int_equal(net_udp_echo(&nif, 7), 0);
    len = mk_udp_frame(f, 7, data, sizeof(data));
    f[len - 1] ^= 0x80;
    expect_dropped(f, len);
    assert_int_equal(stats()->bad_checksum, 1);
    /* The pseudo-header counts too: same datagram, claimed from 10.0.0.3. */
    len = mk_udp_frame(f, 7, data, sizeof(data));
    wr32(f + ETH_HDR + 12, net_ip(10, 0, 0, 3));
    fix_ip_csum(f);
    expect_dropped(f, len);
    assert_int_equal(stats()->bad_checksum, 2);
    assert_int_equal(stats()->udp_rx, 0);
}

/* No listener, port 0, echo requests from source port 0, and broadcasts to
 * the echo port: dropped. */
static void test_udp_unbound_port_and_broadcast_echo_dropped(void **state unused)
{
    uint8_t f[ETH_MAX], u[64];
    size_t ulen;

    expect_dropped(f, mk_udp_frame(f, 4242, (const uint8_t *)"hi", 2));
    expect_dropped(f, mk_udp_frame(f, 0, (const uint8_t *)"hi", 2));
    assert_int_equal(net_udp_echo(&nif, 7), 0);
    ulen = mk_udp(u, PEER_IP, OUR_IP, 0, 7, (const uint8_t *)"hi", 2); /* no port to answer */
    expect_dropped(f, mk_ip(f, PEER_IP, OUR_IP, PROTO_UDP, u, ulen));
    ulen = mk_udp(u, PEER_IP, 0xffffffffu, 5000, 7, (const uint8_t *)"hi", 2);
    expect_dropped(f, mk_ip_opts(f, BCAST_MAC, PEER_IP, 0xffffffffu, PROTO_UDP, 0, NULL, 0, u,
                                 ulen));
}

/* A listener does get broadcasts, limited and subnet-directed. */
static void test_udp_broadcast_reaches_listener(void **state unused)
{
    uint8_t f[ETH_MAX], u[64];
    uint32_t dsts[2] = { 0xffffffffu, net_ip(10, 0, 0, 255) };

    assert_int_equal(net_udp_listen(&nif, 67, record_udp, NULL), 0);
    for (unsigned i = 0; i < 2; i++) {
        size_t ulen = mk_udp(u, PEER_IP, dsts[i], 5000, 67, (const uint8_t *)"abc", 3);
        feed(f, mk_ip_opts(f, BCAST_MAC, PEER_IP, dsts[i], PROTO_UDP, 0, NULL, 0, u, ulen));
        assert_int_equal(ucall.calls, i + 1);
        assert_int_equal(ucall.len, 3);
    }
}

/* A handler may answer from inside the callback. */
static struct net_if *reply_nif;
static void reply_from_handler(void *ctx, uint32_t src_ip, uint16_t src_port,
                               const void *data, size_t len)
{
    (void)ctx;
    assert_int_equal(net_udp_send(reply_nif, src_ip, 9001, src_port, data, len), 0);
}

static void test_udp_handler_can_send(void **state unused)
{
    uint8_t f[ETH_MAX];

    reply_nif = &nif;
    learn_peer();
    assert_int_equal(net_udp_listen(&nif, 9001, reply_from_handler, NULL), 0);
    feed(f, mk_udp_frame(f, 9001, (const uint8_t *)"ping", 4));
    assert_int_equal(nsent, 1);
    assert_memory_equal(sent[0].data + ETH_HDR + IPH + UDP_HDR, "ping", 4);
    assert_int_equal(rd16(sent[0].data + ETH_HDR + IPH + 2), 5000);
}

/* Four slots; rebinding replaces, NULL unbinds, port 0 is refused. */
static void test_udp_listen_table(void **state unused)
{
    uint8_t f[ETH_MAX];

    for (uint16_t p = 1; p <= 4; p++)
        assert_int_equal(net_udp_listen(&nif, p, record_udp, NULL), 0);
    assert_int_equal(net_udp_listen(&nif, 5, record_udp, NULL), -2);
    assert_int_equal(net_udp_echo(&nif, 5), -2);
    assert_int_equal(net_udp_listen(&nif, 0, record_udp, NULL), -3);
    assert_int_equal(net_udp_echo(&nif, 3), 0);     /* rebinding a bound port */
    assert_int_equal(net_udp_listen(&nif, 2, NULL, NULL), 0);
    assert_int_equal(net_udp_listen(&nif, 5, record_udp, NULL), 0);

    feed(f, mk_udp_frame(f, 3, (const uint8_t *)"e", 1));
    assert_int_equal(stats()->udp_echoed, 1);
    expect_dropped(f, mk_udp_frame(f, 2, (const uint8_t *)"x", 1));
    feed(f, mk_udp_frame(f, 5, (const uint8_t *)"y", 1));
    assert_int_equal(ucall.calls, 1);
}

/* ---- UDP send ---------------------------------------------------------- */

/* Known MAC: sent at once, every field right, a small datagram padded to 60
 * with zeros even after a large frame left junk in the build buffer. */
static void test_udp_send_known_mac_and_padding(void **state unused)
{
    static uint8_t big[MAX_DATA];

    learn_peer();
    memset(big, 0xee, sizeof(big));
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1234, 4321, big, sizeof(big)), 0);
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1234, 4321, NULL, 0), 0);
    assert_int_equal(nsent, 2);
    assert_int_equal(sent[0].len, ETH_MAX);
    assert_int_equal(sent[1].len, 60);
    const uint8_t *r = sent[1].data, *ip = r + ETH_HDR, *u = ip + IPH;
    assert_memory_equal(r, PEER_MAC, 6);
    assert_int_equal(rd16(ip + 2), IPH + UDP_HDR);
    assert_int_equal(rd32(ip + 16), PEER_IP);
    assert_int_equal(rd16(u), 1234);
    assert_int_equal(rd16(u + 2), 4321);
    assert_int_equal(rd16(u + 4), UDP_HDR);
    for (size_t i = ETH_HDR + IPH + UDP_HDR; i < 60; i++)
        assert_int_equal(r[i], 0);
    assert_int_equal(stats()->udp_tx, 2);
}

/* Unknown MAC: an ARP request goes out first and the datagrams wait; the
 * reply releases them, in order. */
static void test_udp_send_unknown_mac_arps_first(void **state unused)
{
    uint8_t f[ETH_MAX];

    assert_int_equal(net_udp_send(&nif, PEER_IP, 1000, 2000, "first", 5), 0);
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1000, 2000, "second", 6), 0);
    assert_int_equal(nsent, 2);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(rd16(sent[i].data + 12), ET_ARP);
        assert_int_equal(rd16(sent[i].data + ETH_HDR + 6), ARP_REQUEST);
        assert_int_equal(rd32(sent[i].data + ETH_HDR + 24), PEER_IP);
    }
    assert_int_equal(stats()->udp_tx, 0);

    feed(f, mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP));
    assert_int_equal(nsent, 4);
    assert_memory_equal(sent[2].data, PEER_MAC, 6);
    assert_memory_equal(sent[2].data + ETH_HDR + IPH + UDP_HDR, "first", 5);
    assert_memory_equal(sent[3].data + ETH_HDR + IPH + UDP_HDR, "second", 6);
    assert_int_equal(stats()->udp_tx, 2);

    /* Nothing left waiting: another reply sends nothing more. */
    feed(f, mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP));
    assert_int_equal(nsent, 4);
}

/* Off-subnet destinations go through the gateway's MAC, addressed to the
 * far host. */
static void test_udp_send_via_gateway(void **state unused)
{
    uint8_t f[ETH_MAX];
    uint32_t far = net_ip(192, 168, 1, 5);

    net_set_gateway(&nif, PEER_IP);
    assert_int_equal(net_udp_send(&nif, far, 1, 2, "g", 1), 0);
    assert_int_equal(rd32(sent[0].data + ETH_HDR + 24), PEER_IP);
    feed(f, mk_arp(f, ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP));
    assert_int_equal(nsent, 2);
    assert_memory_equal(sent[1].data, PEER_MAC, 6);
    assert_int_equal(rd32(sent[1].data + ETH_HDR + 16), far);
}

static void test_udp_send_errors(void **state unused)
{
    static uint8_t big[MAX_DATA + 1];

    /* The API's numbers: -1 too big, -2 queue full, -3 invalid. */
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1, 2, big, sizeof(big)), -1);
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1, 0, "x", 1), -3);
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1, 2, NULL, 1), -3);
    assert_int_equal(net_udp_send(&nif, 0, 1, 2, "x", 1), -3);
    assert_int_equal(net_udp_send(&nif, OUR_IP, 1, 2, "x", 1), -3);
    assert_int_equal(net_udp_send(&nif, net_ip(127, 0, 0, 1), 1, 2, "x", 1), -3);
    assert_int_equal(net_udp_send(&nif, net_ip(239, 1, 1, 1), 1, 2, "x", 1), -3);
    assert_int_equal(nsent, 0);

    for (uint8_t h = 1; h <= NET_PENDING_MAX; h++)
        assert_int_equal(net_udp_send(&nif, net_ip(10, 0, 0, (uint8_t)(20 + h)), 1, 2, "q", 1),
                         0);
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1, 2, "x", 1), -2);
    assert_int_equal(nsent, NET_PENDING_MAX);       /* one ARP request each */
    net_drop_pending(&nif);
    assert_int_equal(stats()->tx_dropped, NET_PENDING_MAX);
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1, 2, "x", 1), 0);
}

/* RFC 768: a computed checksum of 0 is sent as 0xffff (0 means "none").
 * The two payload bytes are chosen to make the sum come out at zero. */
static void test_udp_send_zero_checksum_sent_as_ones(void **state unused)
{
    uint8_t u[UDP_HDR + 2] = { 0, 1, 0, 2, 0, UDP_HDR + 2, 0, 0, 0, 0 };
    uint16_t fill = ref_udp_csum(OUR_IP, PEER_IP, u, sizeof(u));
    uint8_t payload[2] = { (uint8_t)(fill >> 8), (uint8_t)fill };

    learn_peer();
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1, 2, payload, 2), 0);
    assert_int_equal(nsent, 1);
    assert_int_equal(rd16(sent[0].data + ETH_HDR + IPH + 6), 0xffff);
}

/* Broadcasts need no ARP: straight to ff:ff:ff:ff:ff:ff. */
static void test_udp_send_broadcast(void **state unused)
{
    assert_int_equal(net_udp_send(&nif, 0xffffffffu, 68, 67, "d", 1), 0);
    assert_int_equal(net_udp_send(&nif, net_ip(10, 0, 0, 255), 68, 67, "d", 1), 0);
    assert_int_equal(nsent, 2);
    assert_memory_equal(sent[0].data, BCAST_MAC, 6);
    assert_memory_equal(sent[1].data, BCAST_MAC, 6);
    assert_int_equal(rd32(sent[1].data + ETH_HDR + 16), net_ip(10, 0, 0, 255));
    assert_int_equal(stats()->arp_requests_sent, 0);

    /* A /31 has no broadcast address (RFC 3021): 10.0.0.3 is the peer. */
    net_init(&nif, OUR_MAC, OUR_IP, net_ip(255, 255, 255, 254), capture_tx, &sent);
    assert_int_equal(net_udp_send(&nif, net_ip(10, 0, 0, 3), 68, 67, "d", 1), 0);
    assert_int_equal(nsent, 3);
    assert_int_equal(rd16(sent[2].data + 12), ET_ARP);
}

/* The IP identification goes up by one per packet sent, replies included. */
static void test_ip_id_increments(void **state unused)
{
    uint8_t f[ETH_MAX];

    learn_peer();
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1, 2, "a", 1), 0);
    feed(f, mk_ping(f, 1, 1, 8));
    assert_int_equal(net_udp_send(&nif, PEER_IP, 1, 2, "b", 1), 0);
    assert_int_equal(nsent, 3);
    uint16_t id0 = rd16(sent[0].data + ETH_HDR + 4);
    assert_int_equal(rd16(sent[1].data + ETH_HDR + 4), (uint16_t)(id0 + 1));
    assert_int_equal(rd16(sent[2].data + ETH_HDR + 4), (uint16_t)(id0 + 2));
}

/* ---- IPv4 validation -------------------------------------------------- */

static void test_bad_ip_header_checksum_dropped(void **state unused)
{
    uint8_t f[ETH_MAX];
    size_t len = mk_ping(f, 1, 1, 8);

    f[ETH_HDR + 10] ^= 0x10;
    expect_dropped(f, len);
    /* A header field changed without fixing the checksum. */
    len = mk_ping(f, 1, 1, 8);
    f[ETH_HDR + 8] = 63;
    expect_dropped(f, len);
    assert_int_equal(stats()->bad_checksum, 2);
    assert_int_equal(stats()->icmp_echo_answered, 0);
}

/* Every kind of length lie is dropped and counted, never answered. */
static void test_length_inconsistencies_dropped(void **state unused)
{
    uint8_t f[ETH_MAX], u[64];
    size_t len;

    assert_int_equal(net_udp_echo(&nif, 7), 0);
    len = mk_ping(f, 1, 1, 8);
    expect_dropped(f, 0);                           /* empty */
    expect_dropped(f, 13);                          /* shorter than Ethernet */
    expect_dropped(f, ETH_HDR + 19);                /* shorter than IPv4 */
    expect_dropped(f, len - 1);                     /* total length > frame */

    len = mk_ping(f, 1, 1, 8);
    f[ETH_HDR] = 0x44;                              /* IHL 4 */
    fix_ip_csum(f);
    expect_dropped(f, len);

    len = mk_ping(f, 1, 1, 8);
    f[ETH_HDR] = 0x4f;                              /* IHL 15: 60 bytes, frame has 50 */
    expect_dropped(f, ETH_HDR + 36);

    len = mk_ping(f, 1, 1, 8);
    wr16(f + ETH_HDR + 2, 19);                      /* total length < header */
    fix_ip_csum(f);
    expect_dropped(f, len);

    len = mk_ping(f, 1, 1, 8);
    wr16(f + ETH_HDR + 2, (uint16_t)(len - ETH_HDR + 1)); /* total length > frame */
    fix_ip_csum(f);
    expect_dropped(f, len);

    len = mk_ping(f, 1, 1, 8);
    wr16(f + ETH_HDR + 2, IPH + 4);                 /* ICMP shorter than its header */
    fix_ip_csum(f);
    expect_dropped(f, len);

    len = mk_ping(f, 1, 1, 8);
    f[ETH_HDR] = 0x65;                              /* version 6 */
    fix_ip_csum(f);
    expect_dropped(f, len);

    /* UDP: length > IP payload, < header, < IP payload, truncated header. */
    size_t ulen = mk_udp(u, PEER_IP, OUR_IP, 5000, 7, (const uint8_t *)"abcd", 4);
    wr16(u + 4, (uint16_t)(ulen + 1));
    expect_dropped(f, mk_ip(f, PEER_IP, OUR_IP, PROTO_UDP, u, ulen));
    wr16(u + 4, 7);
    expect_dropped(f, mk_ip(f, PEER_IP, OUR_IP, PROTO_UDP, u, ulen));
    mk_udp(u, PEER_IP, OUR_IP, 5000, 7, (const uint8_t *)"abcd", 4);
    wr16(u + 4, (uint16_t)(ulen - 1));
    wr16(u + 6, 0);
    expect_dropped(f, mk_ip(f, PEER_IP, OUR_IP, PROTO_UDP, u, ulen));
    expect_dropped(f, mk_ip(f, PEER_IP, OUR_IP, PROTO_UDP, u, 7));

    assert_int_equal(stats()->icmp_echo_answered, 0);
    assert_int_equal(stats()->udp_rx, 0);
    assert_int_equal(stats()->bad_checksum, 0);
}

/* No reassembly: first fragment (MF), later fragments (offset), and the
 * reserved flag are refused. */
static void test_fragments_dropped(void **state unused)
{
    uint8_t f[ETH_MAX], m[64];
    size_t mlen = mk_icmp_echo(m, 1, 1, 8);

    expect_dropped(f, mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, IP_MF, NULL, 0, m,
                                 mlen));
    expect_dropped(f, mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, 185, NULL, 0, m,
                                 mlen));
    expect_dropped(f, mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, IP_DF | 1, NULL, 0, m,
                                 mlen));
    expect_dropped(f, mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, IP_EVIL, NULL, 0, m,
                                 mlen));
    /* Without DF and not a fragment: fine. */
    feed(f, mk_ip_opts(f, OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, 0, NULL, 0, m, mlen));
    assert_int_equal(stats()->icmp_echo_answered, 1);
}

/* Frames for another MAC (unicast or multicast) and packets for another IP
 * are ignored and counted in not_for_us; so is a unicast IP packet that came
 * as a link broadcast (RFC 1122 3.3.6). */
static void test_other_macs_and_ips_ignored(void **state unused)
{
    uint8_t f[ETH_MAX];
    size_t len;

    learn_peer();
    len = mk_ping(f, 1, 1, 8);
    memcpy(f, OTHER_MAC, 6);
    expect_ignored(f, len);
    memcpy(f, MCAST_MAC, 6);
    expect_ignored(f, len);
    memcpy(f, BCAST_MAC, 6);
    expect_ignored(f, len);
    len = mk_ping(f, 1, 1, 8);
    wr32(f + ETH_HDR + 16, net_ip(10, 0, 0, 3));
    fix_ip_csum(f);
    expect_ignored(f, len);
    assert_int_equal(stats()->not_for_us, 4);
    assert_int_equal(stats()->icmp_echo_answered, 0);
}

/* RFC 1122 3.2.1.3 sources, and unusable Ethernet sources, are dropped. */
static void test_bad_source_addresses_dropped(void **state unused)
{
    static const uint8_t srcs[][4] = { { 0, 0, 0, 0 },     { 127, 0, 0, 1 },  { 224, 0, 0, 5 },
                                       { 255, 255, 255, 255 }, { 10, 0, 0, 255 }, { 10, 0, 0, 2 },
                                       { 240, 1, 2, 3 },   { 0, 1, 2, 3 } };
    uint8_t f[ETH_MAX], m[64];
    size_t len, mlen = mk_icmp_echo(m, 1, 1, 8);

    for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
        uint32_t src = net_ip(srcs[i][0], srcs[i][1], srcs[i][2], srcs[i][3]);
        expect_dropped(f, mk_ip(f, src, OUR_IP, PROTO_ICMP, m, mlen));
    }
    len = mk_ping(f, 1, 1, 8);
    memcpy(f + 6, MCAST_MAC, 6);
    expect_dropped(f, len);
    memcpy(f + 6, OUR_MAC, 6);
    expect_dropped(f, len);
    memcpy(f + 6, ZERO_MAC, 6);
    expect_dropped(f, len);
    assert_int_equal(nsent, 0);
}

static void test_unsupported_ethertype_and_protocol(void **state unused)
{
    uint8_t f[ETH_MAX], m[64];
    size_t len = mk_ping(f, 1, 1, 8);

    wr16(f + 12, ET_IPV6);
    expect_dropped(f, len);
    wr16(f + 12, 0x8100);                           /* VLAN tag: not handled */
    expect_dropped(f, len);
    wr16(f + 12, 0x0040);                           /* an 802.3 length, not a type */
    expect_dropped(f, len);
    memset(m, 0, 20);
    expect_dropped(f, mk_ip(f, PEER_IP, OUR_IP, PROTO_TCP, m, 20));
}

/* The log callback says why a frame went. */
static void test_drop_reason_logged(void **state unused)
{
    uint8_t f[ETH_MAX];
    size_t len = mk_ping(f, 1, 1, 8);

    f[ETH_HDR + 10] ^= 1;
    feed(f, len);
    assert_non_null(last_log);
    assert_non_null(strstr(last_log, "checksum"));
    assert_int_equal(nlog, 1);
}

/* ---- fuzzing ----------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64*: fixed seed, so a failure reproduces. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static void fuzz_setup_services(void)
{
    assert_int_equal(net_udp_echo(&nif, 7), 0);
    assert_int_equal(net_udp_listen(&nif, 9000, record_udp, NULL), 0);
    assert_int_equal(net_udp_echo(&nif, 17), 0);
}

/* Random frames, biased towards getting past the outer checks: our MAC or
 * broadcast, IPv4 or ARP, a plausible IPv4 header with a right checksum. */
static void test_fuzz_random_frames(void **state unused)
{
    static uint8_t f[1600];
    static const uint8_t protos[] = { PROTO_ICMP, PROTO_UDP, PROTO_TCP, 0, 255 };

    rng_state = 0x9e3779b97f4a7c15ULL;
    fuzz_setup_services();
    for (unsigned iter = 0; iter < 6000; iter++) {
        size_t len = rnd() % sizeof(f);

        for (size_t i = 0; i < len; i++)
            f[i] = (uint8_t)rnd();
        if (len >= ETH_HDR) {
            unsigned r = rnd() % 4;
            if (r < 2)
                memcpy(f, OUR_MAC, 6);
            else if (r == 2)
                memcpy(f, BCAST_MAC, 6);
            if (rnd() % 4)
                memcpy(f + 6, PEER_MAC, 6);
            r = rnd() % 4;
            wr16(f + 12, r < 2 ? ET_IPV4 : r == 2 ? ET_ARP : (uint16_t)rnd());
        }
        if (len >= ETH_HDR + IPH && rd16(f + 12) == ET_IPV4 && rnd() % 2) {
            uint8_t *ip = f + ETH_HDR;
            size_t avail = len - ETH_HDR;
            ip[0] = (uint8_t)(0x40 | (5 + rnd() % 3));
            wr16(ip + 2, (uint16_t)(rnd() % 3 ? avail - rnd() % 8 : rnd()));
            wr16(ip + 6, rnd() % 4 ? 0 : (uint16_t)rnd());
            ip[9] = protos[rnd() % sizeof(protos)];
            wr32(ip + 12, rnd() % 2 ? PEER_IP : rnd());
            wr32(ip + 16, rnd() % 4 ? OUR_IP : rnd());
            if ((size_t)(ip[0] & 0xf) * 4 <= avail)
                fix_ip_csum(f);
        }
        if (len >= ETH_HDR + ARP_BODY && rd16(f + 12) == ET_ARP && rnd() % 2) {
            uint8_t *a = f + ETH_HDR;
            wr16(a, 1);
            wr16(a + 2, ET_IPV4);
            a[4] = 6;
            a[5] = 4;
            wr16(a + 6, (uint16_t)(1 + rnd() % 2));
            if (rnd() % 2)
                wr32(a + 24, OUR_IP);
        }
        nsent = 0;
        feed_at(f, len, rnd() % 2);
        assert_true(nsent <= 2);
    }
    assert_true(stats()->rx_frames == 6000);
    /* The biasing reached the inner layers. */
    assert_true(stats()->bad_checksum > 0);
    assert_true(stats()->arp_requests_answered + stats()->arp_replies_learned > 0);
}

/* Valid frames of every kind, then 1..4 random byte changes, a random cut or
 * extension, sometimes with the IP checksum (and the UDP/ICMP one) fixed up
 * afterwards so the mutation reaches the inner layers. */
static void test_fuzz_mutated_valid_frames(void **state unused)
{
    static uint8_t base[6][ETH_MAX + 8], f[ETH_MAX + 64], data[MAX_DATA];
    static const uint8_t opts[4] = { 1, 0x44, 2, 0 };
    size_t blen[6];
    uint8_t m[64];

    rng_state = 0x0123456789abcdefULL;
    fuzz_setup_services();
    fill_pattern(data, sizeof(data), 3);
    blen[0] = mk_arp(base[0], ARP_REQUEST, BCAST_MAC, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP);
    blen[1] = mk_arp(base[1], ARP_REPLY, OUR_MAC, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP);
    blen[2] = mk_ping(base[2], 1, 2, 56);
    blen[3] = mk_udp_frame(base[3], 7, data, 100);
    blen[4] = mk_udp_frame(base[4], 9000, data, MAX_DATA);
    blen[5] = mk_ip_opts(base[5], OUR_MAC, PEER_IP, OUR_IP, PROTO_ICMP, 0, opts, 4, m,
                         mk_icmp_echo(m, 3, 4, 20));

    for (unsigned iter = 0; iter < 6000; iter++) {
        unsigned k = rnd() % 6;
        size_t len = blen[k];

        memcpy(f, base[k], len);
        for (unsigned c = 1 + rnd() % 4; c; c--) {
            /* Mostly in the headers, where the decisions are. */
            size_t at = rnd() % 3 ? rnd() % (len < 64 ? len : 64) : rnd() % len;
            f[at] = rnd() % 2 ? (uint8_t)rnd() : (uint8_t)(f[at] ^ (1u << (rnd() % 8)));
        }
        switch (rnd() % 6) {
        case 0:
            len = rnd() % (len + 1);
            break;
        case 1: {
            size_t more = rnd() % 64;
            for (size_t i = 0; i < more && len < sizeof(f); i++)
                f[len++] = (uint8_t)rnd();
            break;
        }
        default:
            break;
        }
        if (len >= ETH_HDR + IPH && rd16(f + 12) == ET_IPV4 && rnd() % 2 &&
            (size_t)(f[ETH_HDR] & 0xf) * 4 <= len - ETH_HDR) {
            fix_ip_csum(f);
            size_t hl = (size_t)(f[ETH_HDR] & 0xf) * 4, tot = rd16(f + ETH_HDR + 2);
            uint8_t *l4 = f + ETH_HDR + hl;
            if (rnd() % 2 && tot > hl + 8 && ETH_HDR + tot <= len) {
                if (f[ETH_HDR + 9] == PROTO_ICMP) {
                    wr16(l4 + 2, 0);
                    wr16(l4 + 2, ref_csum(l4, tot - hl));
                } else if (f[ETH_HDR + 9] == PROTO_UDP && rd16(l4 + 4) == tot - hl) {
                    wr16(l4 + 6, 0);
                    wr16(l4 + 6, ref_udp_csum(rd32(f + ETH_HDR + 12), rd32(f + ETH_HDR + 16),
                                              l4, tot - hl));
                }
            }
        }
        nsent = 0;
        feed_at(f, len, rnd() % 2);
        assert_true(nsent <= 2);
    }
    assert_int_equal(stats()->rx_frames, 6000);
    assert_true(stats()->icmp_echo_answered > 0);
    assert_true(stats()->udp_echoed > 0);
    assert_true(stats()->bad_checksum > 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_net_ip_is_host_order),
        T(test_parse_and_format_ip),
        T(test_arp_request_answered),
        T(test_arp_request_for_us_teaches_sender),
        T(test_arp_request_for_other_ip_ignored),
        T(test_arp_reply_learned),
        T(test_arp_reply_for_other_host_only_updates),
        T(test_arp_malformed_dropped),
        T(test_arp_probe_answered_not_learned),
        T(test_arp_request_sent),
        T(test_arp_cache_replaces_least_recently_used),
        T(test_icmp_echo_0_bytes),
        T(test_icmp_echo_56_bytes),
        T(test_icmp_echo_1472_bytes),
        T(test_icmp_echo_1473_bytes_dropped),
        T(test_icmp_bad_checksum_dropped),
        T(test_icmp_other_types_dropped),
        T(test_icmp_with_ip_options_answered),
        T(test_ip_malformed_options_dropped),
        T(test_padded_short_frame_answered),
        T(test_icmp_broadcast_not_answered),
        T(test_udp_echo_1_byte),
        T(test_udp_echo_100_bytes),
        T(test_udp_echo_1472_bytes),
        T(test_udp_listener_gets_payload),
        T(test_udp_bad_checksum_dropped),
        T(test_udp_unbound_port_and_broadcast_echo_dropped),
        T(test_udp_broadcast_reaches_listener),
        T(test_udp_handler_can_send),
        T(test_udp_listen_table),
        T(test_udp_send_known_mac_and_padding),
        T(test_udp_send_unknown_mac_arps_first),
        T(test_udp_send_via_gateway),
        T(test_udp_send_errors),
        T(test_udp_send_zero_checksum_sent_as_ones),
        T(test_udp_send_broadcast),
        T(test_ip_id_increments),
        T(test_bad_ip_header_checksum_dropped),
        T(test_length_inconsistencies_dropped),
        T(test_fragments_dropped),
        T(test_other_macs_and_ips_ignored),
        T(test_bad_source_addresses_dropped),
        T(test_unsupported_ethertype_and_protocol),
        T(test_drop_reason_logged),
        T(test_fuzz_random_frames),
        T(test_fuzz_mutated_valid_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
