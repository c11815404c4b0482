/*
 * l4csum.c — TCP/UDP-over-IPv4 checksums (see l4csum.h).
 *
 * The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit
 * big-endian words, folded, complemented.  TCP (RFC 793 §3.1) and UDP
 * (RFC 768) cover a pseudo-header {source, destination, zero, protocol, L4
 * length} and the whole L4 segment; UDP sends a computed 0 as 0xFFFF, since 0
 * means "no checksum".  Every length is taken from the frame and checked
 * against the buffer before use: the frame comes from a domU or the wire.
 */
#include "l4csum.h"

#define ETH_HLEN 14
#define ETHERTYPE_OFF 12
#define ETHERTYPE_IPV4 0x0800
#define IPV4_VERSION 4
#define IPV4_MIN_HLEN 20
#define IPV4_TOTLEN_OFF 2
#define IPV4_FRAG_OFF 6
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_MASK 0x1fff
#define IPV4_PROTO_OFF 9
#define IPV4_SRC_OFF 12
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define TCP_MIN_HLEN 20
#define TCP_CSUM_OFF 16
#define UDP_HLEN 8
#define UDP_CSUM_OFF 6

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
    while (n > 1) {
        sum += get16(p);
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Where the L4 segment is and where its checksum field lies. */
struct l4 {
    const uint8_t *ip;
    size_t off;      /* of the L4 header in the frame */
    size_t len;      /* of the L4 segment */
    size_t csum_off; /* of the checksum field in the frame */
    uint8_t proto;
};

static const char *locate(const uint8_t *frame, size_t len, struct l4 *l)
{
    size_t ihl, total;

    if (len < ETH_HLEN + IPV4_MIN_HLEN || get16(frame + ETHERTYPE_OFF) != ETHERTYPE_IPV4)
        return "not an IPv4 frame";
    l->ip = frame + ETH_HLEN;
    ihl = (size_t)(l->ip[0] & 0x0f) * 4;
    if (l->ip[0] >> 4 != IPV4_VERSION || ihl < IPV4_MIN_HLEN)
        return "bad IPv4 header";
    total = get16(l->ip + IPV4_TOTLEN_OFF);
    if (total < ihl || total > len - ETH_HLEN)
        return "IPv4 length beyond the frame";
    if (get16(l->ip + IPV4_FRAG_OFF) & (IPV4_FLAG_MF | IPV4_FRAG_MASK))
        return "an IPv4 fragment";
    l->proto = l->ip[IPV4_PROTO_OFF];
    l->off = ETH_HLEN + ihl;
    l->len = total - ihl;
    if (l->proto == IP_PROTO_TCP) {
        if (l->len < TCP_MIN_HLEN)
            return "TCP segment shorter than its header";
        l->csum_off = l->off + TCP_CSUM_OFF;
    } else if (l->proto == IP_PROTO_UDP) {
        if (l->len < UDP_HLEN || get16(frame + l->off + 4) != l->len)
            return "UDP length disagrees with IPv4's";
        l->csum_off = l->off + UDP_CSUM_OFF;
    } else {
        return "neither TCP nor UDP";
    }
    return NULL;
}

/* Sum of the pseudo-header and the segment, the checksum field counted as 0. */
static uint16_t l4_sum(const uint8_t *frame, const struct l4 *l)
{
    uint32_t sum = sum_bytes(0, l->ip + IPV4_SRC_OFF, 8); /* source and destination */
    uint16_t field = get16(frame + l->csum_off);

    sum += l->proto;
    sum += (uint32_t)l->len;
    sum = sum_bytes(sum, frame + l->off, l->len);
    sum += (uint16_t)~field; /* removes the field's own contribution */
    return fold(sum);
}

int l4csum_fill(uint8_t *frame, size_t len, const char **why)
{
    struct l4 l;
    const char *bad = locate(frame, len, &l);
    uint16_t c;

    if (bad) {
        if (why)
            *why = bad;
        return -1;
    }
    c = (uint16_t)~l4_sum(frame, &l);
    if (c == 0 && l.proto == IP_PROTO_UDP)
        c = 0xffff;
    frame[l.csum_off] = (uint8_t)(c >> 8);
    frame[l.csum_off + 1] = (uint8_t)c;
    return 0;
}

bool l4csum_valid(const uint8_t *frame, size_t len)
{
    struct l4 l;
    uint16_t field;

    if (locate(frame, len, &l))
        return false;
    field = get16(frame + l.csum_off);
    if (l.proto == IP_PROTO_UDP && field == 0)
        return false;
    /* the sum over everything, the field included, folds to 0xFFFF */
    return fold((uint32_t)l4_sum(frame, &l) + field) == 0xffff;
}
