/*
 * test_l4csum.c — host unit tests of dom0's TCP/UDP-over-IPv4 checksum code
 * (guests/lib/l4csum.c), which netback runs on frames a domU wrote
 * (NETTXF_csum_blank) and on frames from the wire (NETRXF_data_validated).
 *
 * What is checked:
 *   - l4csum_fill writes the checksum an independent computation gives
 *     (this file's own: a pseudo-header copied in front of the segment, bytes
 *     weighted 256/1 and summed in 64 bits, RFC 1071), whatever the field held
 *     before (0, all ones, garbage, the pseudo-header sum Linux leaves there),
 *     for UDP and TCP, even and odd lengths, IP options, Ethernet padding
 *     (excluded), and changes no other byte;
 *   - a UDP checksum that computes to 0 goes out as 0xFFFF (RFC 768: 0 means
 *     "none"), a TCP one stays 0 (RFC 793 has no such rule);
 *   - l4csum_valid agrees, and refuses a corrupted byte and a UDP 0;
 *   - every malformed frame is refused with its reason and left untouched:
 *     too short, not IPv4, IHL < 5, IHL*4 beyond the frame, total length
 *     beyond the frame or below the header, UDP length not the IP payload's,
 *     segments shorter than their L4 header, other protocols, fragments (MF
 *     or an offset) — a fragment's checksum covers bytes in other fragments,
 *     so no backend can fill it in;
 *   - a fuzz loop over mutated and truncated frames.
 * Frames sit in heap buffers of exactly their length (at odd addresses too),
 * so a read past the end is an ASan report, not a silent pass.
 *
 * Numbers are from the RFCs (791 IPv4, 768 UDP, 793 TCP) and IEEE 802.3,
 * written out here, not taken from l4csum.c.
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

#include "l4csum.h"

#define unused __attribute__((unused))

#define ETH_HDR 14
#define ET_IPV4 0x0800
#define ET_ARP 0x0806
#define ET_VLAN 0x8100
#define ET_IPV6 0x86dd
#define IPH 20
#define IP_DF 0x4000
#define IP_MF 0x2000
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define UDP_HDR 8
#define TCP_HDR 20
#define UDP_CSUM 6
#define TCP_CSUM 16
#define MAX_SEG 1480

/* ---- byte helpers and the reference checksum --------------------------- */

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)(v & 0xff);
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] * 256u + p[1]); }

/* Byte-weighted ones'-complement sum, folded at the end; complemented. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
    uint64_t s = 0;

    for (size_t i = 0; i < len; i++)
        s += (i % 2 == 0) ? (uint64_t)p[i] * 256 : p[i];
    while (s > 0xffff)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)(~s & 0xffff);
}

/* The TCP/UDP checksum of the frame's segment: pseudo-header {src, dst, 0,
 * proto, L4 length} copied in front of the segment, field counted as 0. */
static uint16_t ref_l4(const uint8_t *f, size_t ihl, size_t seg_len, uint8_t proto)
{
    static uint8_t tmp[12 + 65536];
    size_t field = proto == PROTO_UDP ? UDP_CSUM : TCP_CSUM;

    memcpy(tmp, f + ETH_HDR + 12, 8);
    tmp[8] = 0;
    tmp[9] = proto;
    wr16(tmp + 10, (uint16_t)seg_len);
    memcpy(tmp + 12, f + ETH_HDR + ihl, seg_len);
    tmp[12 + field] = tmp[12 + field + 1] = 0;
    return ref_csum(tmp, 12 + seg_len);
}

/* ---- frames ------------------------------------------------------------- */

struct spec {
    uint8_t proto;
    size_t ihl;        /* bytes, 20..60 */
    size_t l4_hdr;     /* TCP: 20..60; UDP: 8 */
    size_t payload;
    size_t pad;        /* Ethernet padding after the IP datagram */
};

/* Frame length for a spec. */
static size_t frame_len(const struct spec *s) { return ETH_HDR + s->ihl + s->l4_hdr + s->payload + s->pad; }

/* Build a well-formed frame into `f` (of frame_len bytes); payload and
 * padding from `seed`. */
static void build(uint8_t *f, const struct spec *s, unsigned seed)
{
    size_t total = s->ihl + s->l4_hdr + s->payload, l4 = ETH_HDR + s->ihl;

    srand(seed);
    for (size_t i = 0; i < frame_len(s); i++)
        f[i] = (uint8_t)rand();
    memset(f, 0xff, 6);
    memcpy(f + 6, (uint8_t[]){ 0x00, 0x16, 0x3e, 0, 0, 1 }, 6);
    wr16(f + 12, ET_IPV4);
    f[ETH_HDR] = (uint8_t)(0x40 | s->ihl / 4);
    f[ETH_HDR + 1] = 0;
    wr16(f + ETH_HDR + 2, (uint16_t)total);
    wr16(f + ETH_HDR + 6, IP_DF);
    f[ETH_HDR + 8] = 64;
    f[ETH_HDR + 9] = s->proto;
    memcpy(f + ETH_HDR + 12, (uint8_t[]){ 10, 0, 2, 15, 10, 0, 2, 1 }, 8);
    if (s->proto == PROTO_UDP) {
        wr16(f + l4 + 4, (uint16_t)(UDP_HDR + s->payload));
    } else if (s->proto == PROTO_TCP) {
        f[l4 + 12] = (uint8_t)((s->l4_hdr / 4) << 4);
    }
}

/* A heap copy of exactly `len` bytes (the tests free it), at an odd address
 * when `odd`: the block is one byte longer and the copy starts at byte 1, so
 * the end is still the block's end. */
static uint8_t *exact(const uint8_t *src, size_t len, bool odd, void **block)
{
    uint8_t *b = malloc(len + (odd ? 1 : 0) + (len || odd ? 0 : 1));

    assert_non_null(b);
    *block = b;
    if (odd)
        b++;
    memcpy(b, src, len);
    return b;
}

static size_t csum_off(const struct spec *s)
{
    return ETH_HDR + s->ihl + (s->proto == PROTO_UDP ? UDP_CSUM : TCP_CSUM);
}

/* Fill with the field preset to `preset`; check against the reference, that
 * nothing else changed, and that l4csum_valid agrees. */
static void check_fill(const struct spec *s, unsigned seed, uint16_t preset)
{
    static uint8_t model[ETH_HDR + 60 + 60 + MAX_SEG + 64];
    size_t len = frame_len(s), field = csum_off(s);
    const char *why = "unset";
    void *block;

    build(model, s, seed);
    wr16(model + field, preset);
    uint8_t *f = exact(model, len, seed & 1, &block);
    uint16_t want = ref_l4(model, s->ihl, s->l4_hdr + s->payload, s->proto);
    if (want == 0 && s->proto == PROTO_UDP)
        want = 0xffff;
    assert_int_equal(l4csum_fill(f, len, &why), 0);
    assert_string_equal(why, "unset"); /* untouched on success */
    assert_int_equal(rd16(f + field), want);
    assert_memory_equal(f, model, field);
    assert_memory_equal(f + field + 2, model + field + 2, len - field - 2);
    assert_true(l4csum_valid(f, len));
    /* filled again, from its own correct value: the same */
    assert_int_equal(l4csum_fill(f, len, NULL), 0);
    assert_int_equal(rd16(f + field), want);
    free(block);
}

/* The pseudo-header sum (not complemented), as Linux leaves it in the field
 * for CHECKSUM_PARTIAL. */
static uint16_t pseudo_sum(const struct spec *s, unsigned seed)
{
    static uint8_t f[ETH_HDR + 60 + 60 + MAX_SEG + 64];
    uint8_t ph[12];

    build(f, s, seed);
    memcpy(ph, f + ETH_HDR + 12, 8);
    ph[8] = 0;
    ph[9] = s->proto;
    wr16(ph + 10, (uint16_t)(s->l4_hdr + s->payload));
    return (uint16_t)~ref_csum(ph, sizeof(ph));
}

static void fill_all_presets(const struct spec *s, unsigned seed)
{
    check_fill(s, seed, 0);
    check_fill(s, seed, 0xffff);
    check_fill(s, seed, (uint16_t)(seed * 2654435761u >> 7));
    check_fill(s, seed, pseudo_sum(s, seed));
}

/* ---- correct checksums ------------------------------------------------- */

static void test_udp_lengths(void **state unused)
{
    for (size_t n = 0; n <= 1472; n += (n < 40 ? 1 : 37)) {
        struct spec s = { PROTO_UDP, IPH, UDP_HDR, n, 0 };
        fill_all_presets(&s, (unsigned)n + 1);
    }
    struct spec s = { PROTO_UDP, IPH, UDP_HDR, 1472, 0 };
    fill_all_presets(&s, 7);
}

static void test_tcp_lengths(void **state unused)
{
    for (size_t n = 0; n <= 1460; n += (n < 40 ? 1 : 41)) {
        struct spec s = { PROTO_TCP, IPH, TCP_HDR, n, 0 };
        fill_all_presets(&s, (unsigned)n + 100);
        struct spec o = { PROTO_TCP, IPH, TCP_HDR + 12, n, 0 }; /* TCP options */
        fill_all_presets(&o, (unsigned)n + 200);
    }
}

/* IP options move the L4 header: the checksum must follow IHL. */
static void test_ip_options(void **state unused)
{
    for (size_t ihl = IPH; ihl <= 60; ihl += 4) {
        struct spec u = { PROTO_UDP, ihl, UDP_HDR, 33, 0 };
        struct spec t = { PROTO_TCP, ihl, TCP_HDR, 34, 0 };
        fill_all_presets(&u, (unsigned)ihl);
        fill_all_presets(&t, (unsigned)ihl + 1);
    }
}

/* Padding after the IP datagram (a short frame padded to 60) is no part of
 * the segment: random padding must not change the checksum. */
static void test_padding_excluded(void **state unused)
{
    for (size_t pad = 1; pad <= 30; pad++) {
        struct spec u = { PROTO_UDP, IPH, UDP_HDR, 3, pad };
        struct spec t = { PROTO_TCP, IPH, TCP_HDR, 1, pad };
        fill_all_presets(&u, (unsigned)pad * 3);
        fill_all_presets(&t, (unsigned)pad * 5);
    }
}

/* Choose two payload bytes so the sum over everything folds to 0xFFFF: the
 * checksum computes to 0. */
static void make_sum_zero(uint8_t *f, const struct spec *s)
{
    size_t at = ETH_HDR + s->ihl + s->l4_hdr; /* first payload word (even offset in the segment) */

    wr16(f + at, 0);
    uint16_t c = ref_l4(f, s->ihl, s->l4_hdr + s->payload, s->proto);
    /* c is ~sum with the word 0: putting c there makes the sum
     * sum + ~sum = 0xFFFF, whose complement is 0 */
    wr16(f + at, c);
    assert_int_equal(ref_l4(f, s->ihl, s->l4_hdr + s->payload, s->proto), 0);
}

static void test_udp_zero_sent_as_ffff(void **state unused)
{
    static uint8_t model[ETH_HDR + IPH + UDP_HDR + 64];
    struct spec s = { PROTO_UDP, IPH, UDP_HDR, 40, 0 };
    size_t len = frame_len(&s), field = csum_off(&s);
    void *block;

    for (unsigned seed = 1; seed <= 50; seed++) {
        build(model, &s, seed);
        make_sum_zero(model, &s);
        wr16(model + field, (uint16_t)(seed * 977));
        uint8_t *f = exact(model, len, false, &block);
        assert_int_equal(l4csum_fill(f, len, NULL), 0);
        assert_int_equal(rd16(f + field), 0xffff);
        assert_true(l4csum_valid(f, len));
        /* 0 in a UDP field means "no checksum": never "verified" */
        wr16(f + field, 0);
        assert_false(l4csum_valid(f, len));
        free(block);
    }
}

static void test_tcp_zero_stays_zero(void **state unused)
{
    static uint8_t model[ETH_HDR + IPH + TCP_HDR + 64];
    struct spec s = { PROTO_TCP, IPH, TCP_HDR, 40, 0 };
    size_t len = frame_len(&s), field = csum_off(&s);
    void *block;

    build(model, &s, 3);
    make_sum_zero(model, &s);
    wr16(model + field, 0x1234);
    uint8_t *f = exact(model, len, false, &block);
    assert_int_equal(l4csum_fill(f, len, NULL), 0);
    assert_int_equal(rd16(f + field), 0);
    assert_true(l4csum_valid(f, len));
    free(block);
}

/* Any single-byte change in what the checksum covers is caught; a change in
 * the padding or the Ethernet header is not its business. */
static void test_valid_detects_corruption(void **state unused)
{
    static uint8_t model[ETH_HDR + IPH + UDP_HDR + 64];
    struct spec s = { PROTO_UDP, IPH, UDP_HDR, 41, 5 };
    size_t len = frame_len(&s), l4 = ETH_HDR + IPH, end = len - s.pad;
    void *block;

    build(model, &s, 9);
    assert_int_equal(l4csum_fill(model, len, NULL), 0);
    uint8_t *f = exact(model, len, false, &block);
    for (size_t i = l4; i < end; i++) {
        f[i] ^= 0x01;
        assert_false(l4csum_valid(f, len));
        f[i] ^= 0x01;
    }
    /* the pseudo-header's addresses are covered too */
    for (size_t i = ETH_HDR + 12; i < ETH_HDR + 20; i++) {
        f[i] ^= 0x10;
        assert_false(l4csum_valid(f, len));
        f[i] ^= 0x10;
    }
    for (size_t i = end; i < len; i++) {
        f[i] ^= 0xff;
        assert_true(l4csum_valid(f, len));
    }
    free(block);
}

/* ---- malformed frames: refused, untouched, nothing read past the end ---- */

/* Expect refusal with `reason` of the first `len` bytes of `model`, placed
 * in an exact-size buffer. */
static void refused(const uint8_t *model, size_t len, const char *reason)
{
    void *block;
    const char *why = NULL;
    uint8_t *f = exact(model, len, len & 1, &block);

    assert_int_equal(l4csum_fill(f, len, &why), -1);
    assert_non_null(why);
    if (reason)
        assert_string_equal(why, reason);
    assert_memory_equal(f, model, len);
    assert_false(l4csum_valid(f, len));
    free(block);
}

static uint8_t mf[ETH_HDR + 60 + 60 + MAX_SEG + 64];

static size_t base_udp(unsigned seed)
{
    struct spec s = { PROTO_UDP, IPH, UDP_HDR, 26, 0 };
    build(mf, &s, seed);
    return frame_len(&s);
}

static void test_too_short_or_not_ipv4(void **state unused)
{
    size_t len = base_udp(1);

    for (size_t n = 0; n < ETH_HDR + IPH; n++)
        refused(mf, n, "not an IPv4 frame");
    for (unsigned i = 0; i < 3; i++) {
        base_udp(1);
        wr16(mf + 12, (uint16_t[]){ ET_ARP, ET_VLAN, ET_IPV6 }[i]);
        refused(mf, len, "not an IPv4 frame");
    }
    base_udp(1);
    mf[ETH_HDR] = 0x65; /* version 6 under the IPv4 EtherType */
    refused(mf, len, "bad IPv4 header");
}

static void test_ihl_below_five(void **state unused)
{
    size_t len = base_udp(2);

    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        mf[ETH_HDR] = (uint8_t)(0x40 | ihl);
        refused(mf, len, "bad IPv4 header");
    }
}

/* IHL*4 past the frame's end: whatever the total length says, refused. */
static void test_ihl_beyond_frame(void **state unused)
{
    for (uint8_t ihl = 6; ihl <= 15; ihl++) {
        size_t len = ETH_HDR + (size_t)ihl * 4 - 1; /* one byte short of the header */
        for (unsigned t = 0; t < 3; t++) {
            base_udp(3);
            mf[ETH_HDR] = (uint8_t)(0x40 | ihl);
            wr16(mf + ETH_HDR + 2, (uint16_t[]){ (uint16_t)(ihl * 4), (uint16_t)(len - ETH_HDR),
                                                 0xffff }[t]);
            refused(mf, len, NULL);
        }
    }
}

static void test_total_length(void **state unused)
{
    size_t len = base_udp(4), ip_len = len - ETH_HDR;

    /* beyond the frame, by one and by a lot */
    wr16(mf + ETH_HDR + 2, (uint16_t)(ip_len + 1));
    refused(mf, len, "IPv4 length beyond the frame");
    wr16(mf + ETH_HDR + 2, 0xffff);
    refused(mf, len, "IPv4 length beyond the frame");
    /* below the header */
    for (uint16_t t = 0; t < IPH; t++) {
        wr16(mf + ETH_HDR + 2, t);
        refused(mf, len, "IPv4 length beyond the frame");
    }
    /* below the header with options */
    struct spec s = { PROTO_UDP, 40, UDP_HDR, 10, 0 };
    build(mf, &s, 4);
    wr16(mf + ETH_HDR + 2, 39);
    refused(mf, frame_len(&s), "IPv4 length beyond the frame");
}

static void test_udp_length_field(void **state unused)
{
    size_t len = base_udp(5), seg = len - ETH_HDR - IPH;

    for (unsigned i = 0; i < 5; i++) {
        base_udp(5);
        /* beyond the IP payload (by one, a lot), shorter, below its header */
        wr16(mf + ETH_HDR + IPH + 4, (uint16_t[]){ (uint16_t)(seg + 1), 0xffff, (uint16_t)(seg - 1),
                                                   7, 0 }[i]);
        refused(mf, len, "UDP length disagrees with IPv4's");
    }
    /* an IP payload shorter than a UDP header */
    for (uint16_t n = 0; n < UDP_HDR; n++) {
        base_udp(5);
        wr16(mf + ETH_HDR + 2, (uint16_t)(IPH + n));
        wr16(mf + ETH_HDR + IPH + 4, n);
        refused(mf, ETH_HDR + IPH + n, "UDP length disagrees with IPv4's");
    }
}

static void test_tcp_shorter_than_header(void **state unused)
{
    struct spec s = { PROTO_TCP, IPH, TCP_HDR, 0, 0 };

    for (uint16_t n = 0; n < TCP_HDR; n++) {
        build(mf, &s, 6);
        wr16(mf + ETH_HDR + 2, (uint16_t)(IPH + n));
        refused(mf, ETH_HDR + IPH + n, "TCP segment shorter than its header");
    }
}

static void test_other_protocols(void **state unused)
{
    size_t len = base_udp(7);

    for (unsigned p = 0; p < 256; p++) {
        if (p == PROTO_UDP || p == PROTO_TCP)
            continue;
        mf[ETH_HDR + 9] = (uint8_t)p;
        refused(mf, len, "neither TCP nor UDP");
    }
}

static void test_fragments(void **state unused)
{
    static const uint16_t frag[] = { IP_MF, 1, 0x1fff, IP_MF | 1, IP_MF | IP_DF, 0x8000 | 0x0100 };
    size_t len = base_udp(8);

    for (unsigned i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
        wr16(mf + ETH_HDR + 6, frag[i]);
        refused(mf, len, "an IPv4 fragment");
    }
    /* DF alone (and the reserved bit alone) is no fragment */
    for (unsigned i = 0; i < 2; i++) {
        base_udp(8);
        wr16(mf + ETH_HDR + 6, i ? 0x8000 : IP_DF);
        void *block;
        uint8_t *f = exact(mf, len, false, &block);
        assert_int_equal(l4csum_fill(f, len, NULL), 0);
        assert_true(l4csum_valid(f, len));
        free(block);
    }
}

/* ---- fuzz --------------------------------------------------------------- */

/* Mutated well-formed frames, truncated at random: never a read past the
 * end (ASan), and either filled (only the field changed, then valid) or
 * refused (untouched). */
static void test_fuzz(void **state unused)
{
    static uint8_t model[ETH_HDR + 60 + 60 + MAX_SEG + 64], before[sizeof(model)];
    unsigned filled = 0, refusals = 0;

    srand(0x13c5);
    for (unsigned iter = 0; iter < 20000; iter++) {
        unsigned r = (unsigned)rand();
        struct spec s = { r & 1 ? PROTO_TCP : PROTO_UDP, IPH + 4 * ((r >> 1) % 3),
                          r & 1 ? TCP_HDR : UDP_HDR, (r >> 3) % 300, (r >> 12) % 20 };
        size_t len = frame_len(&s);
        build(model, &s, r);
        for (unsigned m = (unsigned)rand() % 4; m; m--) {
            size_t at = ETH_HDR + (size_t)rand() % 64;
            if (at < len)
                model[at] = (uint8_t)rand();
        }
        if (rand() % 3 == 0)
            len = (size_t)rand() % (len + 1);
        void *block;
        uint8_t *f = exact(model, len, iter & 1, &block);
        memcpy(before, f, len);
        if (l4csum_fill(f, len, NULL) == 0) {
            filled++;
            assert_true(l4csum_valid(f, len));
            size_t diff = 0;
            for (size_t i = 0; i < len; i++)
                diff += f[i] != before[i];
            assert_true(diff <= 2);
        } else {
            refusals++;
            assert_memory_equal(f, before, len);
            assert_false(l4csum_valid(f, len));
        }
        free(block);
    }
    assert_true(filled > 1000 && refusals > 1000); /* both sides exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_lengths),
        cmocka_unit_test(test_tcp_lengths),
        cmocka_unit_test(test_ip_options),
        cmocka_unit_test(test_padding_excluded),
        cmocka_unit_test(test_udp_zero_sent_as_ffff),
        cmocka_unit_test(test_tcp_zero_stays_zero),
        cmocka_unit_test(test_valid_detects_corruption),
        cmocka_unit_test(test_too_short_or_not_ipv4),
        cmocka_unit_test(test_ihl_below_five),
        cmocka_unit_test(test_ihl_beyond_frame),
        cmocka_unit_test(test_total_length),
        cmocka_unit_test(test_udp_length_field),
        cmocka_unit_test(test_tcp_shorter_than_header),
        cmocka_unit_test(test_other_protocols),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
