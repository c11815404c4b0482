/*
 * ipv4.h — a tiny IPv4 stack for guests: Ethernet II, ARP (RFC 826), IPv4
 * (RFC 791), ICMP echo (RFC 792) and UDP (RFC 768), for one interface.
 *
 * Used by a domU's PV network frontend and by a dom0 baseline that drives a
 * NIC directly; also built on the host for tests/unit/test_ipv4.c.  It is pure
 * C with no hardware access: the caller hands received frames to net_input()
 * and gives a callback that transmits frames.
 *
 * Assumptions and limits:
 *   - single-threaded: one caller at a time per struct net_if, no locking;
 *   - no clock: ARP entries never expire (least recently used is replaced
 *     when the cache is full) and an unanswered ARP request is not retried by
 *     itself (each net_udp_send() to a still-unresolved host asks again);
 *   - no fragmentation or reassembly, no IP options sent, no TCP, no ICMP
 *     errors sent (a datagram to an unbound port is counted and dropped);
 *   - callbacks: the tx callback must be done with the frame when it returns
 *     and must not call back into the same net_if; a UDP handler may call
 *     net_udp_send() (its data pointer points into the received frame, which
 *     is only valid during the call).
 *
 * Addresses and ports are in host byte order in this API; the stack converts.
 */
#ifndef GUEST_LIB_IPV4_H
#define GUEST_LIB_IPV4_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define NET_MAC_LEN 6
#define NET_ARP_CACHE_SIZE 8
#define NET_UDP_PORTS 4
#define NET_PENDING_MAX 4                  /* datagrams waiting for ARP, all destinations */
#define NET_ETH_HDR_LEN 14
#define NET_ETH_MIN_FRAME 60               /* Ethernet minimum without the 4-byte FCS */
#define NET_ETH_MAX_FRAME 1514             /* 1500-byte MTU + Ethernet header, no FCS */
#define NET_UDP_MAX_PAYLOAD 1472           /* 1500 - 20 (IPv4) - 8 (UDP) */
#define NET_ICMP_MAX_DATA 1472             /* 1500 - 20 (IPv4) - 8 (ICMP echo header) */

/* net_udp_send() / net_udp_listen() results. */
#define NET_OK 0
#define NET_ERR_TOO_BIG (-1)               /* payload > NET_UDP_MAX_PAYLOAD */
#define NET_ERR_QUEUE_FULL (-2)            /* MAC unknown and no pending slot free */
#define NET_ERR_TABLE_FULL (-2)            /* net_udp_listen: all port slots in use */
#define NET_ERR_INVALID (-3)               /* bad destination, port or pointer */

/*
 * Every frame given to net_input() counts in rx_frames and then in exactly one
 * of: rx_dropped (malformed, unsupported, bad checksum, no listener),
 * not_for_us (well formed but addressed to another MAC or IP, or an ARP
 * request for another host), arp_requests_answered, arp_replies_learned,
 * icmp_echo_answered or udp_rx (delivered to a handler or the echo service).
 * bad_checksum is the part of rx_dropped that failed a checksum; udp_echoed
 * is the part of udp_rx answered by the echo service.  tx_dropped counts
 * datagrams thrown away from the pending queue by net_drop_pending().
 */
struct net_stats {
    uint64_t rx_frames, tx_frames, rx_dropped, arp_requests_answered, arp_replies_learned,
        arp_requests_sent, icmp_echo_answered, udp_rx, udp_echoed, udp_tx, bad_checksum,
        not_for_us;
    uint64_t tx_dropped;
};

typedef void (*net_tx_fn)(void *ctx, const void *frame, size_t len); /* one frame, no FCS */
typedef void (*net_udp_fn)(void *ctx, uint32_t src_ip, uint16_t src_port, const void *data,
                           size_t len);
/* Why a frame was dropped, or other events: a constant string, no newline. */
typedef void (*net_log_fn)(void *ctx, const char *msg);

struct net_arp_entry {
    bool valid;
    uint32_t ip;
    uint8_t mac[NET_MAC_LEN];
    uint32_t last_used;                    /* net_if.clock when added or used */
};

struct net_pending {
    bool used;
    uint32_t seq;                          /* queue order: lower goes first */
    uint32_t next_hop;                     /* the IP whose MAC we are waiting for */
    uint32_t dst_ip;
    uint16_t src_port, dst_port;
    uint16_t len;
    uint8_t data[NET_UDP_MAX_PAYLOAD];
};

struct net_udp_binding {
    uint16_t port;                         /* 0: slot free */
    bool echo;                             /* built-in echo service instead of fn */
    net_udp_fn fn;
    void *ctx;
};

struct net_if {
    uint8_t mac[NET_MAC_LEN];
    uint32_t ip, netmask, gateway;         /* gateway 0: none, ARP every destination */
    net_tx_fn tx;
    void *tx_ctx;
    net_log_fn log;
    void *log_ctx;
    uint16_t ip_id;                        /* identification of the next packet sent */
    uint32_t clock;                        /* counter for LRU and queue order */
    struct net_arp_entry arp[NET_ARP_CACHE_SIZE];
    struct net_pending pending[NET_PENDING_MAX];
    struct net_udp_binding udp[NET_UDP_PORTS];
    struct net_stats stats;
    uint8_t txbuf[NET_ETH_MAX_FRAME];      /* frames are built here, not on the stack */
};

void net_init(struct net_if *n, const uint8_t mac[6], uint32_t ip, uint32_t netmask,
              net_tx_fn tx, void *ctx);
/* Optional: a log callback for drop reasons (NULL: silent). */
void net_set_log(struct net_if *n, net_log_fn log, void *ctx);
/* Optional: the router for destinations outside ip/netmask (0: none). */
void net_set_gateway(struct net_if *n, uint32_t gateway);

/* Process one received Ethernet II frame (without FCS; any trailing bytes
 * after the IP packet are taken as padding).  Every field is validated;
 * anything wrong is counted and dropped, never trusted. */
void net_input(struct net_if *n, const void *frame, size_t len);

/* Send a UDP datagram (payload 0..NET_UDP_MAX_PAYLOAD bytes) to a unicast
 * address, or to 255.255.255.255 / the subnet broadcast (sent to the Ethernet
 * broadcast address).  If the next hop's MAC is unknown, send an ARP request
 * and keep a copy of the datagram until the reply arrives (then send it).
 * NET_OK, NET_ERR_TOO_BIG, NET_ERR_QUEUE_FULL or NET_ERR_INVALID (data NULL
 * with len > 0, dst_port 0, or a destination that is 0.0.0.0, ours, loopback,
 * multicast or reserved). */
int net_udp_send(struct net_if *n, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
                 const void *data, size_t len);

/* Deliver datagrams for `port` to fn (fn NULL: unbind the port).  Binding a
 * bound port replaces its handler.  NET_OK, NET_ERR_INVALID (port 0) or
 * NET_ERR_TABLE_FULL (all NET_UDP_PORTS slots in use). */
int net_udp_listen(struct net_if *n, uint16_t port, net_udp_fn fn, void *ctx);
/* Built-in echo service: answer every unicast datagram to `port` with the
 * same payload to its sender (broadcasts are not answered).  Same results. */
int net_udp_echo(struct net_if *n, uint16_t port);

/* Broadcast an ARP request for ip; with our own IP it is a gratuitous ARP
 * (announce). */
void net_arp_request(struct net_if *n, uint32_t ip);
/* The cached MAC for ip: true and mac filled, or false. */
bool net_arp_lookup(const struct net_if *n, uint32_t ip, uint8_t mac[6]);
/* Throw away every datagram waiting for ARP (counted in tx_dropped). */
void net_drop_pending(struct net_if *n);

const struct net_stats *net_get_stats(const struct net_if *n);

/* helpers */
uint32_t net_ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d); /* host-order value */
int net_parse_ip(const char *s, uint32_t *ip); /* "10.0.0.2" -> host order; 0 or -1 */
void net_format_ip(uint32_t ip, char buf[16]);

#endif
