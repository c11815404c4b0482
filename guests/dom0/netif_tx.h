/*
 * netif_tx.h — reading one packet off a vif's TX ring, and checking it:
 * the pure part of netback's TX path (netback.c does the mapping, copying
 * and answering).  Nothing here writes the ring or keeps state, so it can
 * be tested on the host (tests/unit/test_netback_tx.c).
 *
 * A packet as the frontend lays it out (netif.h, Linux's netfront): the
 * first request, whose size is the whole packet's length; with
 * NETTXF_extra_info, extra-info slots right after it (each may say another
 * follows); then, while a request has NETTXF_more_data, the next request,
 * each carrying its own length.  Limits as Linux's netback: more than
 * TX_SLOTS_MAX data slots is dropped; more than TX_SLOTS_FATAL (its
 * fatal_skb_slots counts the slots after the first: 20 of them is fatal),
 * an unknown extra-info type or a malformed GSO extra disables the vif.
 */
#ifndef GUESTS_DOM0_NETIF_TX_H
#define GUESTS_DOM0_NETIF_TX_H

#include <stdbool.h>
#include <stdint.h>
#include <public/io/netif.h>

#define TX_SLOTS_MAX 18                         /* XEN_NETBK_LEGACY_SLOTS_MAX */
#define TX_SLOTS_FATAL 20                       /* netback's fatal_skb_slots default */
#define TX_EXTRAS_MAX (NETIF_EXTRA_TYPE_MAX - 1) /* one of each type at most */

struct tx_pkt {
    struct netif_tx_request req[TX_SLOTS_FATAL]; /* local copies: the ring is the domU's */
    unsigned nreq;
    struct netif_extra_info extra[TX_EXTRAS_MAX];
    unsigned nextra;
    bool gso;
};

enum gather { GATHER_NONE, GATHER_OK, GATHER_INCOMPLETE, GATHER_FATAL };

/* The packet starting at `cons`, read up to `prod` without consuming
 * anything.  GATHER_INCOMPLETE: its last slots are not published yet;
 * GATHER_FATAL: *why says what disables the vif. */
enum gather tx_gather(const struct netif_tx_sring *ring, RING_IDX cons, RING_IDX prod,
                      struct tx_pkt *p, const char **why);
/* Checks a gathered packet; NULL if acceptable (and *first_len is the first
 * slot's own share of the bytes), else why not (answered NETIF_RSP_ERROR). */
const char *bad_tx_packet(const struct tx_pkt *p, unsigned *first_len);
/* Ring slots the packet takes: its requests and its extra-info slots. */
unsigned tx_pkt_slots(const struct tx_pkt *p);
/* The response for the packet's slot-th ring slot (0 .. tx_pkt_slots - 1),
 * in ring order: the first request's, NETIF_RSP_NULL for each extra-info
 * slot, then one per later request (what Linux's netfront expects). */
struct netif_tx_response tx_pkt_response(const struct tx_pkt *p, unsigned slot, int16_t status);
/* More requests unanswered than the ring has slots: the frontend overwrote
 * slots a response is still owed in (RING_REQUEST_PROD_OVERFLOW). */
bool ring_overrun(RING_IDX req_prod, RING_IDX rsp_prod_pvt, unsigned ring_size);

#endif
