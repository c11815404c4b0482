/*
 * test_netback_tx.c — host unit tests of netback's TX ring parsing
 * (guests/dom0/netif_tx.c: tx_gather, bad_tx_packet, the per-slot
 * responses, ring_overrun).
 *
 * What is checked, on a TX ring laid out slot by slot as a frontend would:
 *   - an empty ring: GATHER_NONE; one request: GATHER_OK, nothing consumed
 *     (the ring is only read);
 *   - NETTXF_more_data chains gathered to their last slot, also across the
 *     ring's wrap of the 32-bit index; a chain whose last slot is not
 *     published yet, and extra info not published yet: GATHER_INCOMPLETE;
 *   - a chain announcing a 21st slot: GATHER_FATAL (netback's
 *     fatal_skb_slots: 20 after the first), even before it is published;
 *     19 and 20 gathered and refused by bad_tx_packet, 18 passes;
 *   - extra-info slots: GSO with a good type and size, multicast and hash
 *     accepted, type NONE, an unknown type, a GSO of size 0 or a bad GSO
 *     type, and more extras than there are types: GATHER_FATAL with a reason;
 *   - bad_tx_packet: shorter than an Ethernet header, longer than a frame
 *     (and the GSO wording), a first slot crossing its page end, a later one
 *     crossing its own, later slots outrunning the first's length, and the
 *     first slot's share (*first_len) of a good chain;
 *   - the responses: one per ring slot in ring order, NETIF_RSP_NULL with
 *     id 0 for each extra-info slot, the status for every request;
 *   - ring_overrun: a producer exactly a ring ahead of the responses is
 *     fine, one more is not, across the 32-bit wrap as well.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "netif_tx.h"

#define PAGE 4096u

static struct netif_tx_sring ring;
static RING_IDX prod; /* where the test's "frontend" writes next */
static struct tx_pkt pkt;
static const char *why;

static int setup(void **state)
{
    (void)state;
    memset(&ring, 0, sizeof(ring));
    memset(&pkt, 0xa5, sizeof(pkt)); /* tx_gather must not rely on a clean packet */
    prod = 0;
    why = NULL;
    return 0;
}

static void put_req(uint16_t id, uint16_t offset, uint16_t size, uint16_t flags)
{
    ring.ring[prod++ % NETIF_TX_RING_SIZE].req =
        (struct netif_tx_request){ .gref = 100u + id, .offset = offset, .flags = flags,
                                   .id = id, .size = size };
}

static void put_extra(uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type)
{
    struct netif_extra_info x = { .type = type, .flags = flags };
    x.u.gso.size = gso_size;
    x.u.gso.type = gso_type;
    memcpy(&ring.ring[prod++ % NETIF_TX_RING_SIZE], &x, sizeof(x));
}

/* A chain of n requests at offset 0: the first carries the whole length. */
static void put_chain(RING_IDX start, unsigned n, uint16_t piece)
{
    prod = start;
    for (unsigned i = 0; i < n; i++)
        put_req((uint16_t)i, 0, i ? piece : (uint16_t)(piece * n),
                i + 1 < n ? NETTXF_more_data : 0);
}

static enum gather gather_from(RING_IDX cons)
{
    return tx_gather(&ring, cons, prod, &pkt, &why);
}

static void empty_ring_is_none(void **state)
{
    (void)state;
    assert_int_equal(gather_from(0), GATHER_NONE);
    assert_int_equal(pkt.nreq, 0);
    assert_int_equal(pkt.nextra, 0);
}

static void one_request(void **state)
{
    unsigned first_len = 0;
    (void)state;
    put_req(7, 64, 60, 0);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_int_equal(pkt.nreq, 1);
    assert_int_equal(pkt.nextra, 0);
    assert_false(pkt.gso);
    assert_int_equal(pkt.req[0].id, 7);
    assert_int_equal(pkt.req[0].gref, 107);
    assert_int_equal(tx_pkt_slots(&pkt), 1);
    assert_null(bad_tx_packet(&pkt, &first_len));
    assert_int_equal(first_len, 60);
    /* Gathering again from the same place reads the same packet: nothing
     * was consumed. */
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_int_equal(pkt.req[0].id, 7);
}

static void chain_gathered_and_first_share(void **state)
{
    unsigned first_len = 0;
    (void)state;
    put_req(1, 100, 1000, NETTXF_more_data);
    put_req(2, 0, 300, NETTXF_more_data);
    put_req(3, 4000, 96, 0);
    put_req(9, 0, 60, 0); /* the next packet: not part of this one */
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_int_equal(pkt.nreq, 3);
    assert_int_equal(pkt.req[2].id, 3);
    assert_int_equal(tx_pkt_slots(&pkt), 3);
    assert_null(bad_tx_packet(&pkt, &first_len));
    assert_int_equal(first_len, 1000 - 300 - 96);
    assert_int_equal(gather_from(3), GATHER_OK);
    assert_int_equal(pkt.req[0].id, 9);
}

static void chain_across_index_wrap(void **state)
{
    RING_IDX start = UINT32_MAX - 1; /* slots 254, 255, then 0, 1 of the ring */
    unsigned first_len;
    (void)state;
    put_chain(start, 4, 100);
    assert_int_equal(gather_from(start), GATHER_OK);
    assert_int_equal(pkt.nreq, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(pkt.req[i].id, i);
    assert_null(bad_tx_packet(&pkt, &first_len));
    assert_int_equal(first_len, 100);
}

static void chain_not_all_published(void **state)
{
    (void)state;
    put_req(1, 0, 200, NETTXF_more_data);
    put_req(2, 0, 100, NETTXF_more_data);
    assert_int_equal(gather_from(0), GATHER_INCOMPLETE);
    put_req(3, 0, 50, 0);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_int_equal(pkt.nreq, 3);
}

static void chain_length_limits(void **state)
{
    unsigned first_len;
    (void)state;
    put_chain(0, TX_SLOTS_MAX, 60);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_null(bad_tx_packet(&pkt, &first_len));

    put_chain(0, TX_SLOTS_MAX + 1, 60);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_string_equal(bad_tx_packet(&pkt, &first_len), "a chain of more than 18 slots");

    /* 20 slots are gathered (and refused as an error, the vif lives);
     * more_data on the 20th is fatal, as in Linux's netback, where 20
     * slots after the first reach fatal_skb_slots. */
    put_chain(0, TX_SLOTS_FATAL, 60);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_int_equal(pkt.nreq, TX_SLOTS_FATAL);
    assert_non_null(bad_tx_packet(&pkt, &first_len));
    put_chain(0, TX_SLOTS_FATAL + 1, 60);
    assert_int_equal(gather_from(0), GATHER_FATAL);
    assert_string_equal(why, "a NETTXF_more_data chain of 20 slots or more");

    /* Fatal as soon as the 21st slot is announced, even before it is
     * published (a frontend cannot make netback wait for it). */
    prod = TX_SLOTS_FATAL;
    assert_int_equal(gather_from(0), GATHER_FATAL);
}

static void extras_accepted(void **state)
{
    unsigned first_len;
    (void)state;
    put_req(5, 0, 1000, NETTXF_extra_info | NETTXF_more_data);
    put_extra(NETIF_EXTRA_TYPE_GSO, NETIF_EXTRA_FLAG_MORE, 1448, NETIF_GSO_TYPE_TCPV4);
    put_extra(NETIF_EXTRA_TYPE_MCAST_ADD, NETIF_EXTRA_FLAG_MORE, 0, 0);
    put_extra(NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
    put_req(6, 0, 400, 0);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_int_equal(pkt.nreq, 2);
    assert_int_equal(pkt.nextra, 3);
    assert_true(pkt.gso);
    assert_int_equal(pkt.extra[0].u.gso.size, 1448);
    assert_int_equal(pkt.extra[2].type, NETIF_EXTRA_TYPE_HASH);
    assert_int_equal(pkt.req[1].id, 6); /* the chain continues after the extras */
    assert_int_equal(tx_pkt_slots(&pkt), 5);
    assert_null(bad_tx_packet(&pkt, &first_len));
    assert_int_equal(first_len, 600);
}

static void extras_not_all_published(void **state)
{
    (void)state;
    put_req(5, 0, 100, NETTXF_extra_info);
    assert_int_equal(gather_from(0), GATHER_INCOMPLETE);
    put_extra(NETIF_EXTRA_TYPE_MCAST_DEL, NETIF_EXTRA_FLAG_MORE, 0, 0);
    assert_int_equal(gather_from(0), GATHER_INCOMPLETE);
    put_extra(NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_int_equal(pkt.nextra, 2);
    assert_false(pkt.gso);
}

static void bad_extras_are_fatal(void **state)
{
    static const struct {
        uint8_t type;
        uint16_t gso_size;
        uint8_t gso_type;
        const char *why;
    } cases[] = {
        { NETIF_EXTRA_TYPE_NONE, 0, 0, "unknown extra-info type" },
        { NETIF_EXTRA_TYPE_MAX, 0, 0, "unknown extra-info type" },
        { 0xff, 0, 0, "unknown extra-info type" },
        { NETIF_EXTRA_TYPE_GSO, 0, NETIF_GSO_TYPE_TCPV4,
          "GSO extra-info with a bad type or size 0" },
        { NETIF_EXTRA_TYPE_GSO, 1448, NETIF_GSO_TYPE_NONE,
          "GSO extra-info with a bad type or size 0" },
        { NETIF_EXTRA_TYPE_GSO, 1448, 3, "GSO extra-info with a bad type or size 0" },
    };
    (void)state;
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        prod = 0;
        why = NULL;
        put_req(1, 0, 100, NETTXF_extra_info);
        put_extra(cases[i].type, 0, cases[i].gso_size, cases[i].gso_type);
        assert_int_equal(gather_from(0), GATHER_FATAL);
        assert_string_equal(why, cases[i].why);
    }
    /* GSO over IPv6 is a good type. */
    prod = 0;
    put_req(1, 0, 100, NETTXF_extra_info);
    put_extra(NETIF_EXTRA_TYPE_GSO, 0, 1200, NETIF_GSO_TYPE_TCPV6);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_true(pkt.gso);
}

static void more_extras_than_types(void **state)
{
    (void)state;
    put_req(1, 0, 100, NETTXF_extra_info);
    for (unsigned i = 0; i <= TX_EXTRAS_MAX; i++)
        put_extra(NETIF_EXTRA_TYPE_MCAST_ADD, NETIF_EXTRA_FLAG_MORE, 0, 0);
    assert_int_equal(gather_from(0), GATHER_FATAL);
    assert_string_equal(why, "more extra-info slots than there are types");
}

static void bad_sizes_and_page_crossings(void **state)
{
    static const struct {
        uint16_t off0, size0, off1, size1; /* size1 == 0: one slot */
        const char *why;
    } cases[] = {
        { 0, 13, 0, 0, "shorter than an Ethernet header" },
        { 0, 14, 0, 0, NULL },
        { 0, NETIF_MAX_PACKET, 0, 0, NULL },
        { 0, NETIF_MAX_PACKET + 1, 0, 0, "longer than an Ethernet frame" },
        { PAGE - 60, 60, 0, 0, NULL },
        { PAGE - 59, 60, 0, 0, "crosses its page end" },
        { PAGE - 100, 300, 0, 200, NULL },                 /* the first keeps 100 */
        { PAGE - 99, 300, 0, 200, "crosses its page end" }, /* ... 100 is one too many */
        { 0, 300, PAGE - 200, 200, NULL },
        { 0, 300, PAGE - 199, 200, "a later slot crosses its page end" },
        { 0, 300, 0, 301, "later slots outrun its length" },
        { 0, 300, 0, 300, NULL },                          /* the first holds nothing */
    };
    (void)state;
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned first_len = 0;
        prod = 0;
        put_req(1, cases[i].off0, cases[i].size0, cases[i].size1 ? NETTXF_more_data : 0);
        if (cases[i].size1)
            put_req(2, cases[i].off1, cases[i].size1, 0);
        assert_int_equal(gather_from(0), GATHER_OK);
        const char *bad = bad_tx_packet(&pkt, &first_len);
        if (!cases[i].why) {
            assert_null(bad);
            assert_int_equal(first_len, cases[i].size0 - cases[i].size1);
        } else {
            assert_non_null(bad);
            assert_string_equal(bad, cases[i].why);
        }
    }
}

static void gso_too_long_is_named(void **state)
{
    unsigned first_len;
    (void)state;
    put_req(1, 0, NETIF_MAX_PACKET + 1, NETTXF_extra_info);
    put_extra(NETIF_EXTRA_TYPE_GSO, 0, 1448, NETIF_GSO_TYPE_TCPV4);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_string_equal(bad_tx_packet(&pkt, &first_len),
                        "a GSO packet longer than a frame (no segmentation offered)");
}

static void one_response_per_slot(void **state)
{
    (void)state;
    put_req(11, 0, 500, NETTXF_extra_info | NETTXF_more_data);
    put_extra(NETIF_EXTRA_TYPE_MCAST_ADD, NETIF_EXTRA_FLAG_MORE, 0, 0);
    put_extra(NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
    put_req(12, 0, 100, NETTXF_more_data);
    put_req(13, 0, 100, 0);
    assert_int_equal(gather_from(0), GATHER_OK);
    assert_int_equal(tx_pkt_slots(&pkt), 5);

    static const struct netif_tx_response want[] = {
        { 11, NETIF_RSP_ERROR }, { 0, NETIF_RSP_NULL }, { 0, NETIF_RSP_NULL },
        { 12, NETIF_RSP_ERROR }, { 13, NETIF_RSP_ERROR },
    };
    for (unsigned i = 0; i < 5; i++) {
        struct netif_tx_response r = tx_pkt_response(&pkt, i, NETIF_RSP_ERROR);
        assert_int_equal(r.id, want[i].id);
        assert_int_equal(r.status, want[i].status);
    }
    /* The status is the caller's for every request, OKAY included. */
    assert_int_equal(tx_pkt_response(&pkt, 4, NETIF_RSP_OKAY).status, NETIF_RSP_OKAY);
    assert_int_equal(tx_pkt_response(&pkt, 1, NETIF_RSP_OKAY).status, NETIF_RSP_NULL);
}

static void producer_more_than_a_ring_ahead(void **state)
{
    (void)state;
    assert_false(ring_overrun(0, 0, NETIF_TX_RING_SIZE));
    assert_false(ring_overrun(NETIF_TX_RING_SIZE, 0, NETIF_TX_RING_SIZE));
    assert_true(ring_overrun(NETIF_TX_RING_SIZE + 1, 0, NETIF_TX_RING_SIZE));
    /* across the 32-bit wrap */
    assert_false(ring_overrun(10, UINT32_MAX - (NETIF_RX_RING_SIZE - 11), NETIF_RX_RING_SIZE));
    assert_true(ring_overrun(11, UINT32_MAX - (NETIF_RX_RING_SIZE - 11), NETIF_RX_RING_SIZE));
    /* a producer behind the responses (it went backwards) is garbage too */
    assert_true(ring_overrun(5, 6, NETIF_TX_RING_SIZE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(empty_ring_is_none, setup),
        cmocka_unit_test_setup(one_request, setup),
        cmocka_unit_test_setup(chain_gathered_and_first_share, setup),
        cmocka_unit_test_setup(chain_across_index_wrap, setup),
        cmocka_unit_test_setup(chain_not_all_published, setup),
        cmocka_unit_test_setup(chain_length_limits, setup),
        cmocka_unit_test_setup(extras_accepted, setup),
        cmocka_unit_test_setup(extras_not_all_published, setup),
        cmocka_unit_test_setup(bad_extras_are_fatal, setup),
        cmocka_unit_test_setup(more_extras_than_types, setup),
        cmocka_unit_test_setup(bad_sizes_and_page_crossings, setup),
        cmocka_unit_test_setup(gso_too_long_is_named, setup),
        cmocka_unit_test_setup(one_response_per_slot, setup),
        cmocka_unit_test_setup(producer_more_than_a_ring_ahead, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
