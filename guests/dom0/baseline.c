/*
 * baseline.c — dom0 alone on the wire (net=baseline): the e1000 driven
 * directly, answering ARP, ping and UDP echo (port 7) with guests/lib/ipv4.c.
 * No domU, no event channel, no grant: the reference the PV path is measured
 * against.
 *
 * dom0 options:
 *   ip=A.B.C.D[/N]   our address (default 10.0.2.15/24)
 *   dma=...          the DMA policy for the NIC (guests/lib/dma.h; default auto)
 *   seconds=N        serve for N seconds, print the statistics, return 0
 *                    (default: serve forever)
 *   stats_port=P     a UDP datagram to port P prints the statistics on the
 *                    console and is answered with the same two lines
 *                    (default 9001; 0: no such port)
 *
 * "baseline: e1000 <mac> link up ..., ip <ip>" is printed once frames flow:
 * the link is up and QEMU's hold on received frames after the receiver was
 * enabled is over (e1000_rx_hold_left_us), so a peer that starts on that
 * line gets answers at once.
 *
 * Interrupt driven: the loop sleeps in e1000_wait (WFI) until the NIC
 * interrupts or the next deadline (end of the run, statistics) comes, then
 * drains the receive ring and reclaims finished transmissions.  Statistics are
 * printed every STATS_PERIOD_US at most, and only when something changed.
 * Frames are transmitted with e1000_tx_copy (the IP stack builds each frame in
 * one buffer it reuses at once).
 */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "dma.h"
#include "ipv4.h"
#include "e1000.h"
#include "net_dom0.h"

#define DEFAULT_IP "10.0.2.15"
#define DEFAULT_PREFIX 24
#define ECHO_PORT 7
#define DEFAULT_STATS_PORT 9001
#define STATS_PERIOD_US 10000000ULL
#define LINK_WAIT_US 5000000ULL
#define US_PER_S 1000000ULL
#define DMA_MASK_ALL (~0ULL)
#define ARG_LEN 32
#define STATS_LINE 200                     /* < the console's 256-character line */
#define MAX_PREFIX 32

static struct e1000 nic;                   /* rings and buffers inside: static (e1000.h) */
static struct dma_dev nic_dma;
static struct net_if net;
static uint64_t tx_lost;                   /* frames the stack built that the ring could not take */
static bool stats_requested;

static void net_tx(void *ctx, const void *frame, size_t len)
{
    struct e1000 *n = ctx;

    if (e1000_tx_copy(n, frame, (uint16_t)len) == 0)
        return;
    e1000_tx_reclaim(n, NULL, NULL);       /* make room from what is already done */
    if (e1000_tx_copy(n, frame, (uint16_t)len))
        tx_lost++;
}

static void deliver(const void *frame, size_t len, void *ctx) { net_input(ctx, frame, len); }

/* Two lines' worth (the console carries at most 256 characters a line):
 * the NIC's counters, then the IP stack's. */
static void format_stats(char *nic_line, char *ip_line, size_t size)
{
    const struct e1000_stats *s = e1000_stats(&nic);
    const struct net_stats *ns = net_get_stats(&net);

    snprintf(nic_line, size,
             "baseline: nic: rx %lu (%lu bytes) tx %lu (%lu bytes) rx_dropped %lu irqs %lu "
             "tx_ring_full %lu tx_lost %lu",
             (unsigned long)s->rx, (unsigned long)s->rx_bytes, (unsigned long)s->tx,
             (unsigned long)s->tx_bytes, (unsigned long)s->rx_dropped, (unsigned long)s->irqs,
             (unsigned long)s->tx_ring_full, (unsigned long)tx_lost);
    snprintf(ip_line, size,
             "baseline: ip: arp_answered %lu icmp_echo %lu udp_echoed %lu udp_rx %lu "
             "rx_dropped %lu not_for_us %lu",
             (unsigned long)ns->arp_requests_answered, (unsigned long)ns->icmp_echo_answered,
             (unsigned long)ns->udp_echoed, (unsigned long)ns->udp_rx,
             (unsigned long)ns->rx_dropped, (unsigned long)ns->not_for_us);
}

static void print_stats(void)
{
    char nic_line[STATS_LINE], ip_line[STATS_LINE];

    format_stats(nic_line, ip_line, STATS_LINE);
    printf("%s\n%s\n", nic_line, ip_line);
}

/* A datagram to the statistics port: print them, and answer with them. */
static void on_stats_request(void *ctx, uint32_t src_ip, uint16_t src_port, const void *data,
                             size_t len)
{
    char nic_line[STATS_LINE], ip_line[STATS_LINE], reply[2 * STATS_LINE];
    uint16_t port = *(const uint16_t *)ctx;

    (void)data;
    (void)len;
    stats_requested = true;
    format_stats(nic_line, ip_line, STATS_LINE);
    snprintf(reply, sizeof(reply), "%s\n%s", nic_line, ip_line);
    net_udp_send(&net, src_ip, port, src_port, reply, strlen(reply));
}

/* "A.B.C.D" or "A.B.C.D/N" -> address and netmask.  0 or -1. */
static int parse_ip_arg(const char *arg, uint32_t *ip, uint32_t *mask)
{
    char addr[ARG_LEN];
    const char *slash = strchr(arg, '/');
    unsigned long prefix = DEFAULT_PREFIX;
    size_t n = slash ? (size_t)(slash - arg) : strlen(arg);

    if (n >= sizeof(addr))
        return -1;
    memcpy(addr, arg, n);
    addr[n] = 0;
    if (slash) {
        char *end;
        prefix = strtoul(slash + 1, &end, 10);
        if (end == slash + 1 || *end || prefix == 0 || prefix > MAX_PREFIX)
            return -1;
    }
    if (net_parse_ip(addr, ip))
        return -1;
    *mask = prefix == MAX_PREFIX ? ~0U : ~((1U << (MAX_PREFIX - prefix)) - 1);
    return 0;
}

/* Ready means frames flow: wait (asleep, serving whatever arrives) for the
 * link, LINK_WAIT_US at most, and for the end of QEMU's receive hold after
 * the NIC was enabled (e1000_rx_hold_left_us).  False if the link stayed down. */
static bool wait_ready(void)
{
    uint64_t deadline = guest_time_us() + LINK_WAIT_US;

    for (;;) {
        uint64_t now = guest_time_us(), hold = e1000_rx_hold_left_us(&nic);
        bool link = e1000_link_up(&nic);
        if (link && !hold)
            return true;
        if (now >= deadline)
            return link;
        e1000_wait(&nic, link ? hold : deadline - now);
        e1000_rx_poll(&nic, deliver, NULL, &net);
        e1000_tx_reclaim(&nic, NULL, NULL);
    }
}

int baseline_main(const struct guest_info *gi)
{
    char ip_arg[ARG_LEN] = DEFAULT_IP, dma_arg[ARG_LEN], num[ARG_LEN], ipbuf[16];
    const char *dma_opt = guest_arg("dma", dma_arg, sizeof(dma_arg));
    static uint16_t stats_port = DEFAULT_STATS_PORT;
    uint32_t ip, mask;
    uint64_t seconds = 0, end = 0, next_stats, printed_rx = 0, printed_tx = 0;
    uint8_t mac[6];
    int bridge;

    guest_arg("ip", ip_arg, sizeof(ip_arg));
    if (parse_ip_arg(ip_arg, &ip, &mask)) {
        printf("baseline: bad ip=%s (A.B.C.D or A.B.C.D/N)\n", ip_arg);
        return 1;
    }
    if (guest_arg("seconds", num, sizeof(num)))
        seconds = strtoull(num, NULL, 10);
    if (guest_arg("stats_port", num, sizeof(num)))
        stats_port = (uint16_t)strtoul(num, NULL, 10);

    bridge = fdt_node_offset_by_compatible(gi->fdt, -1, "pci-host-ecam-generic");
    if (bridge < 0) {
        printf("baseline: no PCIe host bridge in my DTB\n");
        return 1;
    }
    if (dma_init(&nic_dma, "e1000", gi->fdt, bridge, dma_opt, DMA_MASK_ALL) ||
        e1000_init(&nic, gi->fdt, &nic_dma))
        return 1;
    e1000_mac(&nic, mac);
    net_init(&net, mac, ip, mask, net_tx, &nic);
    if (net_udp_echo(&net, ECHO_PORT) != NET_OK ||
        (stats_port && net_udp_listen(&net, stats_port, on_stats_request, &stats_port) != NET_OK)) {
        printf("baseline: cannot bind UDP ports %u and %u\n", ECHO_PORT, stats_port);
        return 1;
    }
    net_format_ip(ip, ipbuf);
    if (!wait_ready())
        printf("baseline: e1000 link still down after %llu s, serving anyway\n",
               LINK_WAIT_US / US_PER_S);
    net_arp_request(&net, ip);             /* gratuitous ARP: announce ourselves */
    printf("baseline: e1000 %02x:%02x:%02x:%02x:%02x:%02x link %s (%u Mb/s), ip %s, "
           "UDP echo on port %u, statistics on port %u\n",
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], nic.link ? "up" : "down",
           e1000_speed(&nic), ipbuf, ECHO_PORT, stats_port);

    if (seconds)
        end = guest_time_us() + seconds * US_PER_S;
    next_stats = guest_time_us() + STATS_PERIOD_US;
    for (;;) {
        uint64_t now = guest_time_us(), timeout;
        uint32_t causes;

        if (end && now >= end)
            break;
        timeout = next_stats > now ? next_stats - now : 0;
        if (end && end - now < timeout)
            timeout = end - now;
        causes = e1000_wait(&nic, timeout);
        e1000_rx_poll(&nic, deliver, NULL, &net);
        e1000_tx_reclaim(&nic, NULL, NULL);
        if (causes & E1000_ICR_LSC)
            printf("baseline: link %s\n", nic.link ? "up" : "down");
        if (stats_requested) {
            stats_requested = false;
            print_stats();
        }
        now = guest_time_us();
        if (now >= next_stats) {
            const struct e1000_stats *s = e1000_stats(&nic);
            if (s->rx != printed_rx || s->tx != printed_tx) {
                printed_rx = s->rx;
                printed_tx = s->tx;
                print_stats();
            }
            next_stats = now + STATS_PERIOD_US;
        }
    }
    print_stats();
    printf("baseline: %llu s done\n", (unsigned long long)seconds);
    return 0;
}
