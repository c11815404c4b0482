/*
 * test_netfront.c — host unit tests of the domU's netfront ring handling
 * (guests/domU/netfront.c, included here: its rings and buffers are its own
 * statics).  The test plays the backend: it reads the requests netfront puts
 * on the rings and writes responses as netback (or a broken backend) would.
 * The xenstore handshake is not run: the rings are set up as
 * netfront_connect leaves them (every RX buffer posted, every TX buffer free).
 *
 * What is checked:
 *   - RX: a one-slot frame delivered from its own buffer at its offset, the
 *     buffer posted again at the next ring index; a response whose id is not
 *     the buffer posted at its index, or whose offset + status passes the
 *     page end, counted as bad and dropped (offset + status at the page end
 *     is fine); an error status counted and dropped; NETRXF_more_data chains
 *     put together and delivered once, a bad slot dropping the whole chain
 *     (and only it), a chain longer than NETFRONT_RX_FRAME_MAX dropped and
 *     counted; NETRXF_extra_info slots skipped while FLAG_MORE says another
 *     follows, their buffers posted again; a response producer beyond our
 *     requests makes the backend "broken": its rings are ignored from then;
 *   - TX: a plain frame is one request {its buffer's ref, offset 0, the
 *     frame's size, id = buffer}; bad lengths and a vif not connected
 *     refused; NETFRONT_TX_SG chains: the first slot's size is the whole
 *     frame, every slot within its page at its own offset, more_data on all
 *     but the last, distinct buffers, never more than 18 slots;
 *     NETFRONT_TX_CSUM_BLANK: csum_blank|data_validated and the UDP checksum
 *     zeroed for UDP/IPv4, nothing for other frames; responses free their
 *     buffers, NETIF_RSP_NULL (an extra-info slot) frees nothing, an error
 *     is counted and still frees, an id not in flight is counted as bad;
 *     with every buffer in flight a send waits (bounded) and is dropped
 *     (-2) when no response comes, or goes once one does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../guests/domU/netfront.c"

/* --- stubs ------------------------------------------------------------------------- */

static unsigned events_sent;
long evtchn_send(evtchn_port_t port) { (void)port; events_sent++; return 0; }
long evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
    (void)remote, (void)port;
    return -1;
}
void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t h) { (void)port, (void)h; }
void gnttab_grant(grant_ref_t ref, domid_t to, uint64_t gfn, enum grant_access access)
{
    (void)ref, (void)to, (void)gfn, (void)access;
}
struct grant_refs *xen_grant_refs(void) { return NULL; }
int grant_ref_alloc(struct grant_refs *t, grant_ref_t *ref) { (void)t, (void)ref; return -1; }
int grant_ref_free(struct grant_refs *t, grant_ref_t ref) { (void)t, (void)ref; return -1; }
unsigned grant_refs_free_count(const struct grant_refs *t) { (void)t; return 0; }
const char *guest_arg(const char *key, char *buf, size_t len)
{
    (void)key, (void)buf, (void)len;
    return NULL;
}
static uint64_t now_us;
uint64_t guest_time_us(void) { return now_us; }
void irq_disable_local(void) {}
void irq_enable_local(void) {}
bool irq_masked_local(void) { return true; }
int xenbus_read(xenbus_transaction_t t, const char *path, char *buf, size_t len)
{
    (void)t, (void)path, (void)buf, (void)len;
    return -1;
}
int xenbus_write(xenbus_transaction_t t, const char *path, const char *value)
{
    (void)t, (void)path, (void)value;
    return -1;
}
int xenbus_watch(const char *path, const char *token) { (void)path, (void)token; return -1; }
int xenbus_transaction_start(xenbus_transaction_t *t) { (void)t; return -1; }
int xenbus_transaction_end(xenbus_transaction_t t, enum xenbus_tx_end how)
{
    (void)t, (void)how;
    return -1;
}
const char *xenbus_last_error(void) { return "stub"; }
int xenbus_wait_watch(char *path, size_t plen, char *token, size_t tlen, uint64_t timeout_us)
{
    (void)path, (void)plen, (void)token, (void)tlen, (void)timeout_us;
    return -1;
}

/* The backend while netfront waits for a TX buffer: answers `answer_id`
 * (if >= 0) on the first wait; time passes by what was asked. */
static int answer_id = -1;
static unsigned waits;
void guest_wait_any(uint64_t timeout_us)
{
    waits++;
    if (answer_id >= 0) {
        tx_ring.ring[tx_ring.h.rsp_prod % NETIF_TX_RING_SIZE].rsp =
            (struct netif_tx_response){ .id = (uint16_t)answer_id, .status = NETIF_RSP_OKAY };
        tx_ring.h.rsp_prod++;
        answer_id = -1;
        return;
    }
    now_us += timeout_us;
}

/* --- the rings as netfront_connect leaves them -------------------------------------- */

static struct netfront *nf = &nf_state;

static int setup(void **state)
{
    (void)state;
    memset(nf, 0, sizeof(*nf));
    memset(&tx_ring, 0, sizeof(tx_ring));
    memset(&rx_ring, 0, sizeof(rx_ring));
    ring_init(&tx_ring.h);
    ring_init(&rx_ring.h);
    nf->tx_nbufs = TX_BUFS;
    for (unsigned i = 0; i < TX_BUFS; i++) {
        nf->tx_ref[i] = 1000 + i;
        nf->tx_free[i] = true;
    }
    for (unsigned i = 0; i < RX_BUFS; i++) {
        nf->rx_ref[i] = 2000 + i;
        post_rx(nf, i);
    }
    rx_ring.h.req_prod = nf->rx_req_prod;
    nf->connected = true;
    nf->backend_sg = true;
    events_sent = waits = 0;
    answer_id = -1;
    return 0;
}

/* --- the backend's side ---------------------------------------------------------------- */

/* Answer the next RX request: data at `offset`, `status` bytes (or an error). */
static void be_rx(uint16_t offset, int16_t status, uint16_t flags)
{
    RING_IDX i = rx_ring.h.rsp_prod;
    struct netif_rx_request req = rx_ring.ring[i % NETIF_RX_RING_SIZE].req;
    if (status > 0 && offset + status <= (int)PAGE_SIZE)
        memset(rx_bufs[req.id] + offset, (int)(i & 0xff), (size_t)status);
    rx_ring.ring[i % NETIF_RX_RING_SIZE].rsp =
        (struct netif_rx_response){ .id = req.id, .offset = offset, .flags = flags,
                                    .status = status };
    rx_ring.h.rsp_prod = i + 1;
}

static void be_rx_extra(uint8_t flags)
{
    struct netif_extra_info x = { .type = NETIF_EXTRA_TYPE_GSO, .flags = flags };
    RING_IDX i = rx_ring.h.rsp_prod;
    memcpy(&rx_ring.ring[i % NETIF_RX_RING_SIZE], &x, sizeof(x));
    rx_ring.h.rsp_prod = i + 1;
}

static void be_tx_answer(uint16_t id, int16_t status)
{
    tx_ring.ring[tx_ring.h.rsp_prod % NETIF_TX_RING_SIZE].rsp =
        (struct netif_tx_response){ .id = id, .status = status };
    tx_ring.h.rsp_prod++;
}

static struct netif_tx_request tx_req(RING_IDX i)
{
    return tx_ring.ring[i % NETIF_TX_RING_SIZE].req;
}

/* What the receive callback got. */
static const uint8_t *got[8];
static size_t got_len[8];
static unsigned ngot;
static void on_rx(void *ctx, const void *frame, size_t len)
{
    assert_ptr_equal(ctx, &ngot);
    assert_true(ngot < 8);
    got[ngot] = frame;
    got_len[ngot++] = len;
}

static void poll(void)
{
    ngot = 0;
    netfront_poll(nf, on_rx, &ngot);
}

/* --- RX ---------------------------------------------------------------------------------- */

static void rx_one_slot_and_repost(void **state)
{
    (void)state;
    RING_IDX req_prod = rx_ring.h.req_prod;
    be_rx(10, 60, 0);
    poll();
    assert_int_equal(ngot, 1);
    assert_ptr_equal(got[0], rx_bufs[0] + 10);
    assert_int_equal(got_len[0], 60);
    assert_int_equal(netfront_stats(nf)->rx, 1);
    assert_int_equal(rx_ring.h.req_prod, req_prod + 1); /* its buffer posted again */
    assert_int_equal(rx_ring.ring[req_prod % NETIF_RX_RING_SIZE].req.id, 0);
    assert_int_equal(rx_ring.ring[req_prod % NETIF_RX_RING_SIZE].req.gref, 2000);
    assert_int_equal(rx_ring.h.rsp_event, rx_ring.h.rsp_prod + 1); /* an event for the next */
    /* offset + status exactly at the page end */
    be_rx(PAGE_SIZE - 100, 100, 0);
    poll();
    assert_int_equal(ngot, 1);
    assert_int_equal(netfront_stats(nf)->bad_responses, 0);
}

static void rx_bad_responses_dropped(void **state)
{
    (void)state;
    be_rx(0, 60, 0);
    rx_ring.ring[0].rsp.id = 5; /* not the buffer posted at index 0 */
    be_rx(PAGE_SIZE - 99, 100, 0);        /* one byte past the page */
    be_rx(0, NETIF_RSP_ERROR, 0);
    be_rx(0, 70, 0);                      /* a good one after them */
    poll();
    assert_int_equal(ngot, 1);
    assert_int_equal(got_len[0], 70);
    assert_int_equal(netfront_stats(nf)->bad_responses, 2);
    assert_int_equal(netfront_stats(nf)->rx_errors, 1);
    assert_int_equal(netfront_stats(nf)->rx_dropped, 3);
    assert_int_equal(rx_ring.h.req_prod, RX_BUFS + 4); /* every buffer posted again */
}

static void rx_chain_put_together(void **state)
{
    (void)state;
    be_rx(0, 1000, NETRXF_more_data);
    be_rx(100, 500, NETRXF_more_data);
    be_rx(0, 14, 0);
    poll();
    assert_int_equal(ngot, 1);
    assert_ptr_equal(got[0], rx_frame);
    assert_int_equal(got_len[0], 1514);
    assert_int_equal(got[0][0], 0);      /* slot 0's bytes, then 1's, then 2's */
    assert_int_equal(got[0][1000], 1);
    assert_int_equal(got[0][1500], 2);
    assert_int_equal(netfront_stats(nf)->rx_chains, 1);
}

static void rx_bad_slot_drops_its_chain_only(void **state)
{
    (void)state;
    be_rx(0, 1000, NETRXF_more_data);
    be_rx(0, NETIF_RSP_ERROR, NETRXF_more_data);
    be_rx(0, 100, 0);
    be_rx(0, 80, 0);
    poll();
    assert_int_equal(ngot, 1);
    assert_int_equal(got_len[0], 80);
    assert_int_equal(netfront_stats(nf)->rx_dropped, 1);
    assert_int_equal(netfront_stats(nf)->rx_chains, 0);
}

static void rx_chain_too_long(void **state)
{
    (void)state;
    /* 3 x 4000 > NETFRONT_RX_FRAME_MAX (9216) */
    be_rx(0, 4000, NETRXF_more_data);
    be_rx(0, 4000, NETRXF_more_data);
    be_rx(0, 4000, 0);
    be_rx(0, 60, 0);
    poll();
    assert_int_equal(ngot, 1);
    assert_int_equal(got_len[0], 60);
    assert_int_equal(netfront_stats(nf)->rx_too_long, 1);
    assert_int_equal(netfront_stats(nf)->rx_dropped, 1);
}

static void rx_extra_info_skipped(void **state)
{
    (void)state;
    be_rx(0, 60, NETRXF_extra_info);
    be_rx_extra(NETIF_EXTRA_FLAG_MORE);
    be_rx_extra(0);
    be_rx(0, 61, 0); /* data again, not an extra */
    poll();
    assert_int_equal(ngot, 2);
    assert_int_equal(got_len[0], 60);
    assert_int_equal(got_len[1], 61);
    assert_int_equal(netfront_stats(nf)->rx_extras, 2);
    assert_int_equal(netfront_stats(nf)->bad_responses, 0);
    assert_int_equal(rx_ring.h.req_prod, RX_BUFS + 4);
}

static void rx_producer_beyond_requests(void **state)
{
    (void)state;
    be_rx(0, 60, 0);
    rx_ring.h.rsp_prod = rx_ring.h.req_prod + 1; /* more responses than requests */
    poll();
    assert_int_equal(ngot, 0);
    assert_true(nf->backend_broken);
    rx_ring.h.rsp_prod = 1; /* even a sane index later is not believed */
    poll();
    assert_int_equal(ngot, 0);
}

/* --- TX ---------------------------------------------------------------------------------- */

static uint8_t frame[1514];

static void tx_plain_frame(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)i;
    assert_int_equal(netfront_xmit(nf, frame, 100), 0);
    assert_int_equal(tx_ring.h.req_prod, 1);
    struct netif_tx_request r = tx_req(0);
    assert_int_equal(r.gref, 1000 + r.id);
    assert_int_equal(r.offset, 0);
    assert_int_equal(r.size, 100);
    assert_int_equal(r.flags, 0);
    assert_false(nf->tx_free[r.id]);
    assert_memory_equal(tx_bufs[r.id], frame, 100);
    assert_int_equal(events_sent, 1); /* req_event was 1 */
    assert_int_equal(netfront_xmit(nf, frame, 0), -1);
    assert_int_equal(netfront_xmit(nf, frame, NETIF_MAX_PACKET + 1), -1);
    nf->connected = false;
    assert_int_equal(netfront_xmit(nf, frame, 100), -1);
    assert_int_equal(tx_ring.h.req_prod, 1);
}

static void check_chain(size_t len, unsigned want_slots)
{
    RING_IDX start = tx_ring.h.req_prod;
    bool used[TX_BUFS] = { false };
    size_t total = 0;

    assert_int_equal(netfront_xmit(nf, frame, len), 0);
    assert_int_equal(tx_ring.h.req_prod - start, want_slots);
    assert_true(want_slots <= NETFRONT_SG_MAX_SLOTS);
    for (unsigned i = 0; i < want_slots; i++) {
        struct netif_tx_request r = tx_req(start + i);
        assert_false(used[r.id]);
        used[r.id] = true;
        assert_int_equal(r.gref, 1000 + r.id);
        assert_int_equal(!!(r.flags & NETTXF_more_data), i + 1 < want_slots);
        if (i == 0)
            assert_int_equal(r.size, len); /* the first slot: the whole frame */
        else
            total += r.size;
        assert_true((unsigned)r.offset + (i ? r.size : 0) <= PAGE_SIZE);
    }
    /* the first slot's own bytes: what the others leave; within its page too */
    struct netif_tx_request r0 = tx_req(start);
    assert_true(total < len);
    assert_true(r0.offset + (len - total) <= PAGE_SIZE);
    assert_memory_equal(tx_bufs[r0.id] + r0.offset, frame, len - total);
    for (unsigned i = 0; i < want_slots; i++)
        be_tx_answer(tx_req(start + i).id, NETIF_RSP_OKAY);
    netfront_reclaim_tx(nf);
}

static void tx_sg_chains(void **state)
{
    (void)state;
    netfront_set_tx_mode(nf, NETFRONT_TX_SG, 100);
    check_chain(1514, 16);
    check_chain(100, 1);
    check_chain(101, 2);
    netfront_set_tx_mode(nf, NETFRONT_TX_SG, 50); /* 31 slots: fewer, larger pieces */
    check_chain(1514, 18);
    netfront_set_tx_mode(nf, NETFRONT_TX_SG, 4000);
    check_chain(1514, 1);
    assert_int_equal(netfront_stats(nf)->tx_chains, 3);
    assert_int_equal(netfront_stats(nf)->tx_chain_slots, 16 + 2 + 18);
    for (unsigned i = 0; i < TX_BUFS; i++)
        assert_true(nf->tx_free[i]);
}

/* A UDP/IPv4 frame with a checksum field of 0x1234. */
static size_t udp_frame(uint8_t *f)
{
    memset(f, 0, 60);
    f[12] = 0x08;
    f[14] = 0x45;      /* IPv4, IHL 5 */
    f[17] = 46;        /* total length */
    f[23] = 17;        /* UDP */
    f[14 + 20 + 5] = 26; /* UDP length */
    f[14 + 20 + 6] = 0x12;
    f[14 + 20 + 7] = 0x34;
    return 60;
}

static void tx_csum_blank(void **state)
{
    (void)state;
    netfront_set_tx_mode(nf, NETFRONT_TX_CSUM_BLANK, 0);
    size_t len = udp_frame(frame);
    assert_int_equal(netfront_xmit(nf, frame, len), 0);
    struct netif_tx_request r = tx_req(0);
    assert_int_equal(r.flags, NETTXF_csum_blank | NETTXF_data_validated);
    assert_int_equal(tx_bufs[r.id][40], 0);
    assert_int_equal(tx_bufs[r.id][41], 0);
    assert_int_equal(frame[40], 0x12); /* the caller's frame is untouched */
    frame[12] = 0x86;                  /* not IPv4: sent as it is */
    assert_int_equal(netfront_xmit(nf, frame, len), 0);
    assert_int_equal(tx_req(1).flags, 0);
    assert_int_equal(tx_bufs[tx_req(1).id][40], 0x12);
    assert_int_equal(netfront_stats(nf)->tx_csum_blank, 1);
}

static void tx_responses(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(netfront_xmit(nf, frame, 60), 0);
    netfront_post_raw_extra(nf, &(struct netif_extra_info){ .type = NETIF_EXTRA_TYPE_MCAST_ADD });
    uint16_t a = tx_req(0).id, b = tx_req(1).id, c = tx_req(2).id;
    be_tx_answer(a, NETIF_RSP_OKAY);
    be_tx_answer(0, NETIF_RSP_NULL);    /* an extra-info slot's: no buffer behind it */
    be_tx_answer(b, NETIF_RSP_ERROR);
    be_tx_answer(a, NETIF_RSP_OKAY);    /* a again: not in flight any more */
    netfront_reclaim_tx(nf);
    assert_true(nf->tx_free[a]);
    assert_true(nf->tx_free[b]);        /* an error frees it all the same */
    assert_false(nf->tx_free[c]);
    assert_int_equal(netfront_stats(nf)->tx_errors, 1);
    assert_int_equal(netfront_stats(nf)->bad_responses, 1);
    assert_int_equal(nf->tx_rsp_cons, 4);
    /* a producer beyond our requests: the backend is broken, nothing taken */
    tx_ring.h.rsp_prod = tx_ring.h.req_prod + 2;
    netfront_reclaim_tx(nf);
    assert_true(nf->backend_broken);
    assert_false(nf->tx_free[c]);
}

static void tx_waits_for_a_buffer(void **state)
{
    (void)state;
    for (unsigned i = 0; i < TX_BUFS; i++)
        assert_int_equal(netfront_xmit(nf, frame, 60), 0);
    /* none comes back: dropped after the bounded wait */
    assert_int_equal(netfront_xmit(nf, frame, 60), -2);
    assert_int_equal(netfront_stats(nf)->tx_dropped, 1);
    assert_true(waits > 0);
    assert_true(now_us >= TX_WAIT_US);
    assert_int_equal(tx_ring.h.req_prod, TX_BUFS);
    /* one comes back while it waits: sent in that buffer */
    answer_id = tx_req(5).id;
    assert_int_equal(netfront_xmit(nf, frame, 60), 0);
    assert_int_equal(tx_req(TX_BUFS).id, tx_req(5).id);
    assert_int_equal(netfront_stats(nf)->tx_waits, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(rx_one_slot_and_repost, setup),
        cmocka_unit_test_setup(rx_bad_responses_dropped, setup),
        cmocka_unit_test_setup(rx_chain_put_together, setup),
        cmocka_unit_test_setup(rx_bad_slot_drops_its_chain_only, setup),
        cmocka_unit_test_setup(rx_chain_too_long, setup),
        cmocka_unit_test_setup(rx_extra_info_skipped, setup),
        cmocka_unit_test_setup(rx_producer_beyond_requests, setup),
        cmocka_unit_test_setup(tx_plain_frame, setup),
        cmocka_unit_test_setup(tx_sg_chains, setup),
        cmocka_unit_test_setup(tx_csum_blank, setup),
        cmocka_unit_test_setup(tx_responses, setup),
        cmocka_unit_test_setup(tx_waits_for_a_buffer, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
