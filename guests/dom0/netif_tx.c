/*
 * netif_tx.c — one packet off a vif's TX ring, and its checks (netif_tx.h):
 * moved out of netback.c (the ring and its consumer index now passed in),
 * so that it can be tested on the host.
 *
 * Everything is read from the ring once, into the caller's struct tx_pkt:
 * the ring is the domU's and may change under us, so the checks run on the
 * copies (a frontend cannot pass a check and then change what was checked).
 */
#include <string.h>
#include "netif_tx.h"
#include "page.h"

#define ETH_HLEN 14

enum gather tx_gather(const struct netif_tx_sring *ring, RING_IDX cons, RING_IDX prod,
                      struct tx_pkt *p, const char **why)
{
    RING_IDX i = cons;
    uint16_t flags;

    p->nreq = p->nextra = 0;
    p->gso = false;
    if (i == prod)
        return GATHER_NONE;
    p->req[p->nreq++] = ring->ring[i++ % NETIF_TX_RING_SIZE].req;
    if (p->req[0].flags & NETTXF_extra_info) {
        const struct netif_extra_info *x;
        do {
            if (i == prod)
                return GATHER_INCOMPLETE;
            if (p->nextra == TX_EXTRAS_MAX) {
                *why = "more extra-info slots than there are types";
                return GATHER_FATAL;
            }
            memcpy(&p->extra[p->nextra], &ring->ring[i++ % NETIF_TX_RING_SIZE],
                   sizeof(p->extra[0]));
            x = &p->extra[p->nextra++];
            if (x->type == NETIF_EXTRA_TYPE_NONE || x->type >= NETIF_EXTRA_TYPE_MAX) {
                *why = "unknown extra-info type";
                return GATHER_FATAL;
            }
            if (x->type == NETIF_EXTRA_TYPE_GSO) {
                if (x->u.gso.size == 0 || (x->u.gso.type != NETIF_GSO_TYPE_TCPV4 &&
                                           x->u.gso.type != NETIF_GSO_TYPE_TCPV6)) {
                    *why = "GSO extra-info with a bad type or size 0";
                    return GATHER_FATAL;
                }
                p->gso = true;
            }
            /* multicast and hash extras are accepted and ignored: no
             * multicast control or hashing is advertised */
        } while (x->flags & NETIF_EXTRA_FLAG_MORE);
    }
    flags = p->req[0].flags;
    while (flags & NETTXF_more_data) {
        if (p->nreq == TX_SLOTS_FATAL) {
            *why = "a NETTXF_more_data chain of 20 slots or more";
            return GATHER_FATAL;
        }
        if (i == prod)
            return GATHER_INCOMPLETE;
        p->req[p->nreq] = ring->ring[i++ % NETIF_TX_RING_SIZE].req;
        flags = p->req[p->nreq++].flags;
    }
    return GATHER_OK;
}

const char *bad_tx_packet(const struct tx_pkt *p, unsigned *first_len)
{
    const struct netif_tx_request *r = &p->req[0];
    unsigned rest = 0;

    if (p->nreq > TX_SLOTS_MAX)
        return "a chain of more than 18 slots";
    if (r->size < ETH_HLEN)
        return "shorter than an Ethernet header";
    if (r->size > NETIF_MAX_PACKET)
        return p->gso ? "a GSO packet longer than a frame (no segmentation offered)"
                      : "longer than an Ethernet frame";
    for (unsigned i = 1; i < p->nreq; i++) {
        if ((unsigned)p->req[i].offset + p->req[i].size > PAGE_SIZE)
            return "a later slot crosses its page end";
        rest += p->req[i].size;
    }
    if (rest > r->size)
        return "later slots outrun its length";
    *first_len = r->size - rest;
    if ((unsigned)r->offset + *first_len > PAGE_SIZE)
        return "crosses its page end";
    return NULL;
}

unsigned tx_pkt_slots(const struct tx_pkt *p) { return p->nreq + p->nextra; }

struct netif_tx_response tx_pkt_response(const struct tx_pkt *p, unsigned slot, int16_t status)
{
    if (slot == 0)
        return (struct netif_tx_response){ .id = p->req[0].id, .status = status };
    if (slot <= p->nextra)
        return (struct netif_tx_response){ .id = 0, .status = NETIF_RSP_NULL };
    return (struct netif_tx_response){ .id = p->req[slot - p->nextra].id, .status = status };
}

bool ring_overrun(RING_IDX req_prod, RING_IDX rsp_prod_pvt, unsigned ring_size)
{
    return (RING_IDX)(req_prod - rsp_prod_pvt) > ring_size;
}
