/*
 * public/io/ring.h — Xen's shared I/O ring, as a layout and a few helpers
 * (the layout of xen/include/public/io/ring.h; granite's own code).
 *
 * A ring is one shared page: a 64-byte header, then a power-of-two array of
 * slots, each holding either a request (written by the frontend) or, later, the
 * response to it (written by the backend, in the same slot — netif's RX ring
 * relies on that).  Four free-running 32-bit indices in the header:
 *   req_prod   frontend: requests published so far
 *   req_event  backend: "notify me when req_prod passes this"
 *   rsp_prod   backend: responses published so far
 *   rsp_event  frontend: "notify me when rsp_prod passes this"
 * Each side also keeps private indices (how far it has consumed, how far it
 * has produced but not yet published).  Publishing is: write the slots,
 * barrier, write the producer index, full barrier, then notify the peer only
 * if its event index lies in the newly published range — this is what keeps
 * event-channel kicks rare under load.
 *
 * Indices come from the other domain: a consumer must check that
 * prod - cons never exceeds the ring size before reading a slot (a hostile
 * peer could otherwise make it read the same slots again and again, or spin).
 */
#ifndef PUBLIC_IO_RING_H
#define PUBLIC_IO_RING_H

#include <stdint.h>
#include <stdbool.h>

typedef uint32_t RING_IDX;

struct ring_header {
    RING_IDX req_prod, req_event;
    RING_IDX rsp_prod, rsp_event;
    uint8_t pvt[4];
    uint8_t pad[44];
};
_Static_assert(sizeof(struct ring_header) == 64, "Xen's ring header is 64 bytes");

#define RING_PAGE_SIZE 4096u

/* Slots in a one-page ring with `slot_size`-byte slots: rounded down to a power of two. */
static inline unsigned ring_nr_slots(unsigned slot_size)
{
    unsigned n = (RING_PAGE_SIZE - sizeof(struct ring_header)) / slot_size, p = 1;
    while (p * 2 <= n)
        p *= 2;
    return p;
}

/* SHARED_RING_INIT: nothing produced, both sides want the first event. */
static inline void ring_init(struct ring_header *h)
{
    h->req_prod = h->rsp_prod = 0;
    h->req_event = h->rsp_event = 1;
}

static inline void ring_wmb(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void ring_rmb(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void ring_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* Publish *prod = new_prod; true if the peer asked to be notified (its event
 * index lies in (old, new]).  The slots must already be written. */
static inline bool ring_push(volatile RING_IDX *prod, volatile RING_IDX *event, RING_IDX new_prod)
{
    RING_IDX old = *prod;
    ring_wmb();
    *prod = new_prod;
    ring_mb();
    return (RING_IDX)(new_prod - *event) < (RING_IDX)(new_prod - old);
}

/* RING_FINAL_CHECK: before sleeping, ask for an event at the next item and
 * look once more, so an item published meanwhile is not missed. */
static inline bool ring_final_check(volatile RING_IDX *prod, volatile RING_IDX *event,
                                    RING_IDX cons)
{
    if (*prod != cons)
        return true;
    *event = cons + 1;
    ring_mb();
    return *prod != cons;
}

#endif
