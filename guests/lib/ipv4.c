/*
 * ipv4.c — a tiny IPv4 stack for one Ethernet interface (see ipv4.h).
 *
 * Received frames are untrusted: every length is checked against the bytes
 * actually present before a field is read, and every field that matters is
 * validated before it is used.  Frames may sit at any alignment, so all
 * multi-byte fields are read and written a byte at a time, big-endian (the
 * network byte order of RFC 791 appendix B).  Frames are built in
 * net_if.txbuf, never on the stack, so the guest's stack use stays small.
 *
 * Replies (ARP, ICMP echo, UDP echo) go to the Ethernet source of the frame
 * they answer, so they need no ARP lookup and work through a router.
 *
 * Only <stdint.h>, <stddef.h>, <string.h> and <stdbool.h> are used, so the
 * same file builds for the guest (picolibc, -mstrict-align) and the host.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include "ipv4.h"

/* Ethernet II header (IEEE 802.3 clause 3, DIX framing). */
#define ETH_OFF_DST 0
#define ETH_OFF_SRC 6
#define ETH_OFF_TYPE 12
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define MAC_GROUP_BIT 0x01                 /* I/G bit of the first octet: multicast */

/* ARP packet for Ethernet/IPv4 (RFC 826, "Packet format"). */
#define ARP_OFF_HRD 0
#define ARP_OFF_PRO 2
#define ARP_OFF_HLN 4
#define ARP_OFF_PLN 5
#define ARP_OFF_OP 6
#define ARP_OFF_SHA 8
#define ARP_OFF_SPA 14
#define ARP_OFF_THA 18
#define ARP_OFF_TPA 24
#define ARP_LEN 28
#define ARP_HRD_ETHERNET 1
#define ARP_PLN_IPV4 4
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* IPv4 header (RFC 791 section 3.1). */
#define IP_OFF_VIHL 0
#define IP_OFF_TOS 1
#define IP_OFF_TOTLEN 2
#define IP_OFF_ID 4
#define IP_OFF_FRAG 6
#define IP_OFF_TTL 8
#define IP_OFF_PROTO 9
#define IP_OFF_CSUM 10
#define IP_OFF_SRC 12
#define IP_OFF_DST 16
#define IP_HDR_MIN 20
#define IP_VERSION 4
#define IP_VERSION_SHIFT 4                 /* version: high nibble of the first octet */
#define IP_IHL_MASK 0x0f                   /* IHL: low nibble */
#define IP_IHL_MIN 5
#define IP_IHL_UNIT 4                      /* IHL counts 32-bit words */
#define IP_FLAG_RESERVED 0x8000
#define IP_FLAG_DF 0x4000
#define IP_FLAG_MF 0x2000
#define IP_FRAG_OFFSET_MASK 0x1fff
#define IP_TTL_DEFAULT 64                  /* RFC 1700 / RFC 1122 3.2.1.7 */
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17
#define IP_OPT_EOL 0                       /* RFC 791 3.1, "Options" */
#define IP_OPT_NOP 1
#define IP_OPT_MIN_LEN 2                   /* type and length octets */
#define NET_MTU 1500

/* Special addresses (RFC 1122 3.2.1.3, RFC 5735). */
#define IP_BROADCAST 0xffffffffU
#define IP_NET_ZERO_TOP 0x00U              /* 0.0.0.0/8: "this network" */
#define IP_NET_LOOPBACK_TOP 0x7fU          /* 127.0.0.0/8 */
#define IP_MULTICAST_MIN 0xe0000000U       /* 224.0.0.0/4, then 240.0.0.0/4 reserved */
#define IP_TOP_OCTET_SHIFT 24
#define IP_MIN_BCAST_HOST_MASK 3           /* a subnet broadcast needs >= 2 host bits */

/* ICMP echo (RFC 792, "Echo or Echo Reply Message"). */
#define ICMP_OFF_TYPE 0
#define ICMP_OFF_CODE 1
#define ICMP_OFF_CSUM 2
#define ICMP_HDR_LEN 8
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

/* UDP header (RFC 768). */
#define UDP_OFF_SPORT 0
#define UDP_OFF_DPORT 2
#define UDP_OFF_LEN 4
#define UDP_OFF_CSUM 6
#define UDP_HDR_LEN 8
#define UDP_CSUM_NONE 0                    /* "all zero ... no checksum" */
#define UDP_CSUM_ZERO_SENT 0xffff          /* a computed 0 is sent as all ones */

#define FRAME_L3 NET_ETH_HDR_LEN
#define FRAME_L4 (NET_ETH_HDR_LEN + IP_HDR_MIN) /* we never send IP options */
#define U16_MASK 0xffffU
#define U16_SHIFT 16
#define BYTE_SHIFT 8
#define BYTE_MASK 0xffU
#define DECIMAL 10
#define IP_OCTET_MAX 255
#define IP_OCTET_DIGITS_MAX 3
#define IP_OCTETS 4
#define STAMP_HALF_RANGE 0x80000000U

static const uint8_t mac_broadcast[NET_MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[NET_MAC_LEN];

/* ---- byte order ------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << BYTE_SHIFT | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << U16_SHIFT | get16(p + 2);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> BYTE_SHIFT);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> U16_SHIFT));
    put16(p + 2, (uint16_t)v);
}

/* ---- Internet checksum (RFC 1071) ------------------------------------- */

/* Add len bytes as big-endian 16-bit words to a ones' complement sum; an odd
 * last byte is the high half of a word padded with zero.  Folding as we go
 * keeps the sum below 0x20000, whatever the length. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += get16(p + i);
        sum = (sum & U16_MASK) + (sum >> U16_SHIFT);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << BYTE_SHIFT;
        sum = (sum & U16_MASK) + (sum >> U16_SHIFT);
    }
    return sum;
}

static uint16_t csum_finish(uint32_t sum)
{
    while (sum >> U16_SHIFT)
        sum = (sum & U16_MASK) + (sum >> U16_SHIFT);
    return (uint16_t)~sum;
}

/* The UDP pseudo-header (RFC 768): source, destination, zero, protocol,
 * UDP length. */
static uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint16_t udp_len)
{
    uint32_t sum = 0;

    sum += src >> U16_SHIFT;
    sum += src & U16_MASK;
    sum += dst >> U16_SHIFT;
    sum += dst & U16_MASK;
    sum += IP_PROTO_UDP;
    sum += udp_len;
    return sum;
}

/* ---- small predicates -------------------------------------------------- */

static void note(const struct net_if *n, const char *msg)
{
    if (n->log)
        n->log(n->log_ctx, msg);
}

static void drop(struct net_if *n, const char *why)
{
    n->stats.rx_dropped++;
    note(n, why);
}

static void drop_checksum(struct net_if *n, const char *why)
{
    n->stats.bad_checksum++;
    drop(n, why);
}

static void ignore(struct net_if *n, const char *why)
{
    n->stats.not_for_us++;
    note(n, why);
}

static bool mac_is_group(const uint8_t *mac)
{
    return (mac[0] & MAC_GROUP_BIT) != 0;
}

static bool subnet_broadcast(const struct net_if *n, uint32_t ip)
{
    uint32_t host = ~n->netmask;

    /* /31 and /32 have no broadcast address (RFC 3021). */
    if (host < IP_MIN_BCAST_HOST_MASK)
        return false;
    return (ip & n->netmask) == (n->ip & n->netmask) && (ip & host) == host;
}

static bool ip_is_broadcast(const struct net_if *n, uint32_t ip)
{
    return ip == IP_BROADCAST || subnet_broadcast(n, ip);
}

/* Addresses that can never name one other host (RFC 1122 3.2.1.3): 0/8,
 * 127/8, multicast and reserved, any broadcast, and our own. */
static bool ip_is_bad_unicast(const struct net_if *n, uint32_t ip)
{
    uint32_t top = ip >> IP_TOP_OCTET_SHIFT;

    return top == IP_NET_ZERO_TOP || top == IP_NET_LOOPBACK_TOP || ip >= IP_MULTICAST_MIN ||
           subnet_broadcast(n, ip) || (n->ip != 0 && ip == n->ip);
}

/* Wrap-safe "a was stamped before b" for the 32-bit clock: b is less than
 * half the clock's range ahead of a (unsigned subtraction wraps, by design;
 * no signed conversion, which would be implementation-defined). */
static bool stamp_before(uint32_t a, uint32_t b)
{
    return a != b && b - a < STAMP_HALF_RANGE;
}

/* ---- transmit ---------------------------------------------------------- */

static void tx_frame(struct net_if *n, size_t len)
{
    /* Ethernet's 64-byte minimum includes the FCS the NIC adds: pad to 60
     * with zeros so nothing stale leaves in the padding. */
    if (len < NET_ETH_MIN_FRAME) {
        memset(n->txbuf + len, 0, NET_ETH_MIN_FRAME - len);
        len = NET_ETH_MIN_FRAME;
    }
    n->stats.tx_frames++;
    if (n->tx)
        n->tx(n->tx_ctx, n->txbuf, len);
}

static void eth_header(struct net_if *n, const uint8_t *dst_mac, uint16_t type)
{
    memcpy(n->txbuf + ETH_OFF_DST, dst_mac, NET_MAC_LEN);
    memcpy(n->txbuf + ETH_OFF_SRC, n->mac, NET_MAC_LEN);
    put16(n->txbuf + ETH_OFF_TYPE, type);
}

/* The payload (payload_len bytes) is already at txbuf + FRAME_L4: add the
 * IPv4 header (no options, DF, TTL 64, next ID) and the Ethernet header, and
 * send. */
static void tx_ipv4(struct net_if *n, const uint8_t *dst_mac, uint32_t dst_ip, uint8_t proto,
                    size_t payload_len)
{
    uint8_t *ip = n->txbuf + FRAME_L3;

    eth_header(n, dst_mac, ETHERTYPE_IPV4);
    ip[IP_OFF_VIHL] = (uint8_t)(IP_VERSION << IP_VERSION_SHIFT | IP_IHL_MIN);
    ip[IP_OFF_TOS] = 0;
    put16(ip + IP_OFF_TOTLEN, (uint16_t)(IP_HDR_MIN + payload_len));
    put16(ip + IP_OFF_ID, n->ip_id++);
    put16(ip + IP_OFF_FRAG, IP_FLAG_DF);
    ip[IP_OFF_TTL] = IP_TTL_DEFAULT;
    ip[IP_OFF_PROTO] = proto;
    put16(ip + IP_OFF_CSUM, 0);
    put32(ip + IP_OFF_SRC, n->ip);
    put32(ip + IP_OFF_DST, dst_ip);
    put16(ip + IP_OFF_CSUM, csum_finish(csum_add(0, ip, IP_HDR_MIN)));
    tx_frame(n, FRAME_L4 + payload_len);
}

/* Build and send one UDP datagram; len <= NET_UDP_MAX_PAYLOAD is checked by
 * the callers.  data may point anywhere, even into txbuf (memmove). */
static void tx_udp(struct net_if *n, const uint8_t *dst_mac, uint32_t dst_ip, uint16_t sport,
                   uint16_t dport, const void *data, size_t len)
{
    uint8_t *u = n->txbuf + FRAME_L4;
    uint16_t ulen = (uint16_t)(UDP_HDR_LEN + len);
    uint16_t csum;

    if (len)
        memmove(u + UDP_HDR_LEN, data, len);
    put16(u + UDP_OFF_SPORT, sport);
    put16(u + UDP_OFF_DPORT, dport);
    put16(u + UDP_OFF_LEN, ulen);
    put16(u + UDP_OFF_CSUM, 0);
    csum = csum_finish(csum_add(csum_pseudo(n->ip, dst_ip, ulen), u, ulen));
    /* RFC 768: always computed on send; a computed zero goes out as ones. */
    put16(u + UDP_OFF_CSUM, csum == UDP_CSUM_NONE ? UDP_CSUM_ZERO_SENT : csum);
    n->stats.udp_tx++;
    tx_ipv4(n, dst_mac, dst_ip, IP_PROTO_UDP, ulen);
}

static void tx_arp(struct net_if *n, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha,
                   uint32_t tpa)
{
    uint8_t *a = n->txbuf + FRAME_L3;

    eth_header(n, eth_dst, ETHERTYPE_ARP);
    put16(a + ARP_OFF_HRD, ARP_HRD_ETHERNET);
    put16(a + ARP_OFF_PRO, ETHERTYPE_IPV4);
    a[ARP_OFF_HLN] = NET_MAC_LEN;
    a[ARP_OFF_PLN] = ARP_PLN_IPV4;
    put16(a + ARP_OFF_OP, op);
    memcpy(a + ARP_OFF_SHA, n->mac, NET_MAC_LEN);
    put32(a + ARP_OFF_SPA, n->ip);
    memcpy(a + ARP_OFF_THA, tha, NET_MAC_LEN);
    put32(a + ARP_OFF_TPA, tpa);
    tx_frame(n, FRAME_L3 + ARP_LEN);
}

/* ---- ARP cache and the pending queue ----------------------------------- */

static struct net_arp_entry *arp_find(struct net_if *n, uint32_t ip)
{
    for (unsigned i = 0; i < NET_ARP_CACHE_SIZE; i++)
        if (n->arp[i].valid && n->arp[i].ip == ip)
            return &n->arp[i];
    return NULL;
}

/* RFC 826: "If the pair <protocol type, sender protocol address> is already
 * in my translation table, update the sender hardware address field". */
static bool arp_update(struct net_if *n, uint32_t ip, const uint8_t *mac)
{
    struct net_arp_entry *e = arp_find(n, ip);

    if (!e)
        return false;
    memcpy(e->mac, mac, NET_MAC_LEN);
    e->last_used = ++n->clock;
    return true;
}

/* Add a new entry in a free slot, or over the least recently used one. */
static void arp_add(struct net_if *n, uint32_t ip, const uint8_t *mac)
{
    struct net_arp_entry *victim = &n->arp[0];

    for (unsigned i = 0; i < NET_ARP_CACHE_SIZE; i++) {
        struct net_arp_entry *e = &n->arp[i];
        if (!e->valid) {
            victim = e;
            break;
        }
        if (stamp_before(e->last_used, victim->last_used))
            victim = e;
    }
    victim->valid = true;
    victim->ip = ip;
    memcpy(victim->mac, mac, NET_MAC_LEN);
    victim->last_used = ++n->clock;
}

/* Send, oldest first, every datagram that was waiting for next_hop's MAC. */
static void flush_pending(struct net_if *n, uint32_t next_hop, const uint8_t *mac)
{
    for (;;) {
        struct net_pending *first = NULL;

        for (unsigned i = 0; i < NET_PENDING_MAX; i++) {
            struct net_pending *p = &n->pending[i];
            if (p->used && p->next_hop == next_hop &&
                (!first || stamp_before(p->seq, first->seq)))
                first = p;
        }
        if (!first)
            return;
        first->used = false;
        tx_udp(n, mac, first->dst_ip, first->src_port, first->dst_port, first->data,
               first->len);
    }
}

/* ---- receive: ARP ------------------------------------------------------ */

static void arp_input(struct net_if *n, const uint8_t *a, size_t len)
{
    const uint8_t *sha = a + ARP_OFF_SHA;
    uint32_t spa, tpa;
    uint16_t op;
    bool for_us, learned;

    if (len < ARP_LEN) {
        drop(n, "arp: truncated");
        return;
    }
    if (get16(a + ARP_OFF_HRD) != ARP_HRD_ETHERNET || get16(a + ARP_OFF_PRO) != ETHERTYPE_IPV4 ||
        a[ARP_OFF_HLN] != NET_MAC_LEN || a[ARP_OFF_PLN] != ARP_PLN_IPV4) {
        drop(n, "arp: not Ethernet/IPv4");
        return;
    }
    op = get16(a + ARP_OFF_OP);
    if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY) {
        drop(n, "arp: unknown opcode");
        return;
    }
    if (mac_is_group(sha) || memcmp(sha, n->mac, NET_MAC_LEN) == 0 ||
        memcmp(sha, mac_zero, NET_MAC_LEN) == 0) {
        drop(n, "arp: bad sender MAC");
        return;
    }
    spa = get32(a + ARP_OFF_SPA);
    tpa = get32(a + ARP_OFF_TPA);
    if (n->ip != 0 && spa == n->ip) {
        drop(n, "arp: another host claims our IP");
        return;
    }
    /* A sender IP of 0 is an address probe (RFC 5227 2.1.1): answered, not
     * learned.  Any other address that cannot be a host is refused. */
    if (spa != 0 && ip_is_bad_unicast(n, spa)) {
        drop(n, "arp: bad sender IP");
        return;
    }
    for_us = n->ip != 0 && tpa == n->ip;

    /* RFC 826 "Packet Reception": merge into an existing entry whatever the
     * target; add a new entry only when we are the target. */
    learned = false;
    if (spa != 0) {
        learned = arp_update(n, spa, sha);
        if (!learned && for_us) {
            arp_add(n, spa, sha);
            learned = true;
        }
    }

    if (op == ARP_OP_REQUEST) {
        if (!for_us) {
            ignore(n, "arp: request for another host");
        } else {
            n->stats.arp_requests_answered++;
            /* "Swap hardware and protocol fields ... send the packet to the
             * (new) target hardware address". */
            tx_arp(n, ARP_OP_REPLY, sha, sha, spa);
        }
    } else if (learned) {
        n->stats.arp_replies_learned++;
    } else {
        ignore(n, "arp: reply for another host");
    }
    if (learned)
        flush_pending(n, spa, sha);
}

/* ---- receive: IPv4 ------------------------------------------------------ */

/* RFC 791 3.1 "Options": single-octet EOL and NOP, every other option has a
 * length octet counting itself and the type, >= 2, inside the header. */
static bool ip_options_ok(const uint8_t *o, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t type = o[i];
        size_t olen;

        if (type == IP_OPT_EOL)
            return true;
        if (type == IP_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < IP_OPT_MIN_LEN)
            return false;
        olen = o[i + 1];
        if (olen < IP_OPT_MIN_LEN || olen > len - i)
            return false;
        i += olen;
    }
    return true;
}

static void icmp_input(struct net_if *n, const uint8_t *eth_src, uint32_t src, bool bcast,
                       const uint8_t *q, size_t len)
{
    if (len < ICMP_HDR_LEN) {
        drop(n, "icmp: truncated");
        return;
    }
    if (csum_finish(csum_add(0, q, len)) != 0) {
        drop_checksum(n, "icmp: bad checksum");
        return;
    }
    if (q[ICMP_OFF_TYPE] != ICMP_ECHO_REQUEST) {
        drop(n, "icmp: not an echo request");
        return;
    }
    if (q[ICMP_OFF_CODE] != 0) {
        drop(n, "icmp: echo request with a nonzero code");
        return;
    }
    /* RFC 1122 3.2.2.6: an echo request to a broadcast MAY be discarded. */
    if (bcast) {
        drop(n, "icmp: echo request to a broadcast address");
        return;
    }
    /* ip_input bounded the packet by NET_MTU, so the reply (no options)
     * fits txbuf.  RFC 792: same identifier, sequence number and data. */
    uint8_t *r = n->txbuf + FRAME_L4;
    memmove(r, q, len);
    r[ICMP_OFF_TYPE] = ICMP_ECHO_REPLY;
    r[ICMP_OFF_CODE] = 0;
    put16(r + ICMP_OFF_CSUM, 0);
    put16(r + ICMP_OFF_CSUM, csum_finish(csum_add(0, r, len)));
    n->stats.icmp_echo_answered++;
    tx_ipv4(n, eth_src, src, IP_PROTO_ICMP, len);
}

static const struct net_udp_binding *udp_binding(const struct net_if *n, uint16_t port)
{
    if (port == 0)
        return NULL;
    for (unsigned i = 0; i < NET_UDP_PORTS; i++)
        if (n->udp[i].port == port)
            return &n->udp[i];
    return NULL;
}

static void udp_input(struct net_if *n, const uint8_t *eth_src, uint32_t src, uint32_t dst,
                      bool bcast, const uint8_t *u, size_t len)
{
    const struct net_udp_binding *b;
    uint16_t ulen, sport, csum;

    if (len < UDP_HDR_LEN) {
        drop(n, "udp: truncated header");
        return;
    }
    ulen = get16(u + UDP_OFF_LEN);
    if (ulen < UDP_HDR_LEN) {
        drop(n, "udp: length shorter than the header");
        return;
    }
    if (ulen > len) {
        drop(n, "udp: length beyond the IP payload");
        return;
    }
    /* RFC 768: the length is the whole datagram, i.e. the IP payload. */
    if (ulen != len) {
        drop(n, "udp: length shorter than the IP payload");
        return;
    }
    csum = get16(u + UDP_OFF_CSUM);
    if (csum != UDP_CSUM_NONE &&
        csum_finish(csum_add(csum_pseudo(src, dst, ulen), u, ulen)) != 0) {
        drop_checksum(n, "udp: bad checksum");
        return;
    }
    b = udp_binding(n, get16(u + UDP_OFF_DPORT));
    if (!b) {
        drop(n, "udp: no listener on the port");
        return;
    }
    sport = get16(u + UDP_OFF_SPORT);
    if (b->echo) {
        if (bcast) {
            drop(n, "udp: echo does not answer broadcasts");
            return;
        }
        if (sport == 0) {
            drop(n, "udp: echo request without a source port");
            return;
        }
        n->stats.udp_rx++;
        n->stats.udp_echoed++;
        tx_udp(n, eth_src, src, get16(u + UDP_OFF_DPORT), sport, u + UDP_HDR_LEN,
               ulen - UDP_HDR_LEN);
        return;
    }
    n->stats.udp_rx++;
    /* Last thing: the handler may send (it uses txbuf, not the frame). */
    b->fn(b->ctx, src, sport, u + UDP_HDR_LEN, ulen - UDP_HDR_LEN);
}

static void ip_input(struct net_if *n, const uint8_t *eth_src, bool link_bcast,
                     const uint8_t *p, size_t len)
{
    size_t ihl, total;
    uint16_t frag;
    uint32_t src, dst;
    bool bcast;

    if (len < IP_HDR_MIN) {
        drop(n, "ip: truncated header");
        return;
    }
    if (p[IP_OFF_VIHL] >> IP_VERSION_SHIFT != IP_VERSION) {
        drop(n, "ip: not version 4");
        return;
    }
    ihl = (size_t)(p[IP_OFF_VIHL] & IP_IHL_MASK) * IP_IHL_UNIT;
    if (ihl < IP_HDR_MIN) {
        drop(n, "ip: IHL below 5");
        return;
    }
    if (ihl > len) {
        drop(n, "ip: header longer than the frame");
        return;
    }
    total = get16(p + IP_OFF_TOTLEN);
    if (total < ihl) {
        drop(n, "ip: total length shorter than the header");
        return;
    }
    if (total > len) {
        drop(n, "ip: total length beyond the frame");
        return;
    }
    if (total > NET_MTU) {
        drop(n, "ip: longer than the MTU");
        return;
    }
    if (csum_finish(csum_add(0, p, ihl)) != 0) {
        drop_checksum(n, "ip: bad header checksum");
        return;
    }
    frag = get16(p + IP_OFF_FRAG);
    if (frag & IP_FLAG_RESERVED) {
        drop(n, "ip: reserved flag set");
        return;
    }
    /* No reassembly: any fragment (more to come, or not the first) goes. */
    if (frag & (IP_FLAG_MF | IP_FRAG_OFFSET_MASK)) {
        drop(n, "ip: fragment");
        return;
    }
    if (!ip_options_ok(p + IP_HDR_MIN, ihl - IP_HDR_MIN)) {
        drop(n, "ip: malformed options");
        return;
    }
    src = get32(p + IP_OFF_SRC);
    dst = get32(p + IP_OFF_DST);
    if (n->ip != 0 && dst == n->ip) {
        bcast = false;
    } else if (ip_is_broadcast(n, dst)) {
        bcast = true;
    } else {
        ignore(n, "ip: for another IP");
        return;
    }
    /* RFC 1122 3.3.6: a unicast datagram that came as a link broadcast
     * SHOULD be silently discarded. */
    if (link_bcast && !bcast) {
        ignore(n, "ip: unicast datagram in a link broadcast");
        return;
    }
    /* RFC 1122 3.2.1.3: discard a datagram with an invalid source. */
    if (ip_is_bad_unicast(n, src)) {
        drop(n, "ip: invalid source address");
        return;
    }
    switch (p[IP_OFF_PROTO]) {
    case IP_PROTO_ICMP:
        icmp_input(n, eth_src, src, bcast, p + ihl, total - ihl);
        break;
    case IP_PROTO_UDP:
        udp_input(n, eth_src, src, dst, bcast, p + ihl, total - ihl);
        break;
    default:
        drop(n, "ip: unsupported protocol");
        break;
    }
}

/* ---- API --------------------------------------------------------------- */

void net_init(struct net_if *n, const uint8_t mac[6], uint32_t ip, uint32_t netmask,
              net_tx_fn tx, void *ctx)
{
    memset(n, 0, sizeof(*n));
    memcpy(n->mac, mac, NET_MAC_LEN);
    n->ip = ip;
    n->netmask = netmask;
    n->tx = tx;
    n->tx_ctx = ctx;
    n->ip_id = 1;
}

void net_set_log(struct net_if *n, net_log_fn log, void *ctx)
{
    n->log = log;
    n->log_ctx = ctx;
}

void net_set_gateway(struct net_if *n, uint32_t gateway)
{
    n->gateway = gateway;
}

void net_input(struct net_if *n, const void *frame, size_t len)
{
    const uint8_t *f = frame;
    const uint8_t *src;
    bool link_bcast;

    if (!n)
        return;
    n->stats.rx_frames++;
    if (!f || len < NET_ETH_HDR_LEN) {
        drop(n, "eth: shorter than its header");
        return;
    }
    link_bcast = memcmp(f + ETH_OFF_DST, mac_broadcast, NET_MAC_LEN) == 0;
    if (!link_bcast && memcmp(f + ETH_OFF_DST, n->mac, NET_MAC_LEN) != 0) {
        ignore(n, "eth: for another MAC");
        return;
    }
    src = f + ETH_OFF_SRC;
    /* Replies go to this address: it must be one other station. */
    if (mac_is_group(src) || memcmp(src, n->mac, NET_MAC_LEN) == 0 ||
        memcmp(src, mac_zero, NET_MAC_LEN) == 0) {
        drop(n, "eth: source MAC is a group, zero or ours");
        return;
    }
    switch (get16(f + ETH_OFF_TYPE)) {
    case ETHERTYPE_ARP:
        arp_input(n, f + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN);
        break;
    case ETHERTYPE_IPV4:
        ip_input(n, src, link_bcast, f + NET_ETH_HDR_LEN, len - NET_ETH_HDR_LEN);
        break;
    default:
        drop(n, "eth: unsupported ethertype");
        break;
    }
}

int net_udp_send(struct net_if *n, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
                 const void *data, size_t len)
{
    struct net_arp_entry *e;
    struct net_pending *slot = NULL;
    uint32_t next_hop;

    if (len > NET_UDP_MAX_PAYLOAD)
        return NET_ERR_TOO_BIG;
    if ((len && !data) || dst_port == 0)
        return NET_ERR_INVALID;
    if (ip_is_broadcast(n, dst_ip)) {
        tx_udp(n, mac_broadcast, dst_ip, src_port, dst_port, data, len);
        return NET_OK;
    }
    if (ip_is_bad_unicast(n, dst_ip))
        return NET_ERR_INVALID;

    next_hop = dst_ip;
    if (n->gateway != 0 && (dst_ip & n->netmask) != (n->ip & n->netmask))
        next_hop = n->gateway;
    e = arp_find(n, next_hop);
    if (e) {
        e->last_used = ++n->clock;
        tx_udp(n, e->mac, dst_ip, src_port, dst_port, data, len);
        return NET_OK;
    }
    for (unsigned i = 0; i < NET_PENDING_MAX; i++) {
        if (!n->pending[i].used) {
            slot = &n->pending[i];
            break;
        }
    }
    if (!slot)
        return NET_ERR_QUEUE_FULL;
    slot->used = true;
    slot->seq = ++n->clock;
    slot->next_hop = next_hop;
    slot->dst_ip = dst_ip;
    slot->src_port = src_port;
    slot->dst_port = dst_port;
    slot->len = (uint16_t)len;
    if (len)
        memcpy(slot->data, data, len);
    /* No timer to retry with: every datagram queued asks again, so a lost
     * request or reply does not strand the queue. */
    net_arp_request(n, next_hop);
    return NET_OK;
}

static int udp_bind(struct net_if *n, uint16_t port, bool echo, net_udp_fn fn, void *ctx)
{
    struct net_udp_binding *b = NULL;

    if (port == 0)
        return NET_ERR_INVALID;
    for (unsigned i = 0; i < NET_UDP_PORTS; i++) {
        if (n->udp[i].port == port) {
            b = &n->udp[i];
            break;
        }
        if (!b && n->udp[i].port == 0)
            b = &n->udp[i];
    }
    if (!echo && !fn) {
        if (b && b->port == port)
            memset(b, 0, sizeof(*b));
        return NET_OK;
    }
    if (!b)
        return NET_ERR_TABLE_FULL;
    b->port = port;
    b->echo = echo;
    b->fn = fn;
    b->ctx = ctx;
    return NET_OK;
}

int net_udp_listen(struct net_if *n, uint16_t port, net_udp_fn fn, void *ctx)
{
    return udp_bind(n, port, false, fn, ctx);
}

int net_udp_echo(struct net_if *n, uint16_t port)
{
    return udp_bind(n, port, true, NULL, NULL);
}

void net_arp_request(struct net_if *n, uint32_t ip)
{
    n->stats.arp_requests_sent++;
    /* RFC 5227 2.3: the target hardware address of a request is zero. */
    tx_arp(n, ARP_OP_REQUEST, mac_broadcast, mac_zero, ip);
}

bool net_arp_lookup(const struct net_if *n, uint32_t ip, uint8_t mac[6])
{
    for (unsigned i = 0; i < NET_ARP_CACHE_SIZE; i++) {
        if (n->arp[i].valid && n->arp[i].ip == ip) {
            memcpy(mac, n->arp[i].mac, NET_MAC_LEN);
            return true;
        }
    }
    return false;
}

void net_drop_pending(struct net_if *n)
{
    for (unsigned i = 0; i < NET_PENDING_MAX; i++) {
        if (n->pending[i].used) {
            n->pending[i].used = false;
            n->stats.tx_dropped++;
        }
    }
}

const struct net_stats *net_get_stats(const struct net_if *n)
{
    return &n->stats;
}

uint32_t net_ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    return ((uint32_t)a << BYTE_SHIFT | b) << U16_SHIFT | ((uint32_t)c << BYTE_SHIFT | d);
}

/* Strict dotted quad: four decimal octets 0..255, no sign, no spaces, no
 * leading zeros (which inet_aton would read as octal). */
int net_parse_ip(const char *s, uint32_t *ip)
{
    uint32_t v = 0;

    if (!s || !ip)
        return -1;
    for (int part = 0; part < IP_OCTETS; part++) {
        unsigned octet = 0, digits = 0;

        if (part > 0 && *s++ != '.')
            return -1;
        if (*s == '0' && s[1] >= '0' && s[1] <= '9')
            return -1;
        while (*s >= '0' && *s <= '9') {
            if (++digits > IP_OCTET_DIGITS_MAX)
                return -1;
            octet = octet * DECIMAL + (unsigned)(*s++ - '0');
        }
        if (digits == 0 || octet > IP_OCTET_MAX)
            return -1;
        v = v << BYTE_SHIFT | octet;
    }
    if (*s != '\0')
        return -1;
    *ip = v;
    return 0;
}

void net_format_ip(uint32_t ip, char buf[16])
{
    char *p = buf;

    for (int part = IP_OCTETS - 1; part >= 0; part--) {
        unsigned octet = (ip >> (part * BYTE_SHIFT)) & BYTE_MASK;
        char digits[IP_OCTET_DIGITS_MAX];
        int nd = 0;

        do {
            digits[nd++] = (char)('0' + octet % DECIMAL);
            octet /= DECIMAL;
        } while (octet);
        while (nd)
            *p++ = digits[--nd];
        if (part)
            *p++ = '.';
    }
    *p = '\0';
}
