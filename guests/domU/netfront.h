/*
 * netfront.h — the PV network frontend of a domU (netfront.c).
 */
#ifndef GUESTS_DOMU_NETFRONT_H
#define GUESTS_DOMU_NETFRONT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "xen.h"
#include <public/io/netif.h>

#define NETFRONT_TX_BUFS 64
#define NETFRONT_RX_BUFS 128

/* How netfront_xmit lays a frame out on the TX ring (the backend paths a
 * test wants exercised without Linux):
 *   NETFRONT_TX_PLAIN       one slot, checksums as the stack computed them;
 *   NETFRONT_TX_CSUM_BLANK  one slot; an IPv4 UDP/TCP frame goes with its
 *                           checksum field zeroed and NETTXF_csum_blank |
 *                           NETTXF_data_validated (the backend fills it in);
 *   NETFRONT_TX_SG          a NETTXF_more_data chain: the frame cut into
 *                           pieces of sg_chunk bytes (the first slot's size
 *                           is the whole length), each in its own buffer at
 *                           an odd offset. */
enum netfront_tx_mode { NETFRONT_TX_PLAIN, NETFRONT_TX_CSUM_BLANK, NETFRONT_TX_SG };
#define NETFRONT_SG_MAX_SLOTS 18   /* Linux's netback drops longer chains */
/* The longest NETRXF_more_data chain put together (a backend that honours
 * our feature-sg=0 sends at most 1514 bytes, in one slot). */
#define NETFRONT_RX_FRAME_MAX 9216

struct netfront_stats {
    uint64_t tx, tx_errors, rx, rx_errors, bad_responses;
    uint64_t tx_waits;          /* sends that found every TX buffer in flight and waited */
    uint64_t tx_dropped;        /* ... and still found none after the bounded wait */
    uint64_t tx_in_flight_max;  /* most TX requests unanswered at once */
    uint64_t tx_wait_max_us;    /* the longest of those waits, in guest time */
    uint64_t tx_csum_blank;     /* frames sent with NETTXF_csum_blank */
    uint64_t tx_chains, tx_chain_slots; /* NETTXF_more_data chains sent, and their slots */
    uint64_t rx_chains;         /* frames that came as NETRXF_more_data chains */
    uint64_t rx_dropped;        /* chains dropped: a bad or error slot, or too long */
    uint64_t rx_too_long;       /* ... of which longer than NETFRONT_RX_FRAME_MAX */
    uint64_t rx_extras;         /* extra-info slots skipped (we asked for none) */
    uint64_t rx_csum_filled;    /* NETRXF_csum_blank frames completed */
    uint64_t rx_csum_unfillable;/* ... that were no IPv4 TCP/UDP (passed on as they were) */
};

struct netfront {
    char frontend[64];          /* "device/vif/0" (relative to the domain's home) */
    char backend[96];           /* the backend's absolute xenstore directory */
    domid_t backend_id;
    uint8_t mac[6];
    evtchn_port_t port;
    bool connected;
    volatile bool kicked;       /* the event channel fired */
    long backend_state;         /* as last read (netfront_check_backend) */
    bool backend_sg;            /* it offers feature-sg: TX chains allowed */
    bool persistent;            /* we promise feature-persistent (netfront.c) */
    bool backend_persistent;    /* it offers feature-persistent */
    grant_ref_t tx_ring_ref, rx_ring_ref; /* from the domain's allocator */
    grant_ref_t tx_ref[NETFRONT_TX_BUFS], rx_ref[NETFRONT_RX_BUFS];
    bool tx_free[NETFRONT_TX_BUFS];
    unsigned tx_nbufs;                /* TX buffers in use: tx_bufs=N (1..NETFRONT_TX_BUFS), else all */
    bool rx_posted[NETFRONT_RX_BUFS]; /* RX buffer ids the backend may answer */
    uint16_t rx_slot_buf[NETIF_RX_RING_SIZE]; /* buffer posted at each RX ring slot */
    bool rx_in_chain, rx_chain_bad; /* inside a NETRXF_more_data chain; drop it */
    bool rx_extras_left;        /* extra-info slots still to skip */
    uint16_t rx_first_flags;    /* the chain's first slot's NETRXF_* flags */
    size_t rx_len;              /* bytes of the chain so far */
    bool backend_broken;        /* its indices made no sense: its rings are ignored */
    enum netfront_tx_mode tx_mode;
    unsigned sg_chunk;          /* NETFRONT_TX_SG: bytes per slot */
    RING_IDX tx_req_prod, tx_rsp_cons, rx_req_prod, rx_rsp_cons;
    bool tx_hold;               /* inside netfront_poll: requests are published once, at its end */
    bool tx_held;               /* requests written while holding, not yet published */
    struct netfront_stats stats;
    /* The packet trace (guests/lib/trace.h): packets put on the TX ring and
     * published, RX responses read, and the TX packet each buffer carries. */
    unsigned trace_tx, trace_tx_published, trace_rx;
    unsigned tx_trace_pkt[NETFRONT_TX_BUFS];
};


typedef void (*netfront_rx_fn)(void *ctx, const void *frame, size_t len);

/* Connect vif `vif` (the handshake; xenbus must be up).  NULL on failure (said why). */
struct netfront *netfront_connect(unsigned vif);
/* Choose the TX layout (default NETFRONT_TX_PLAIN); sg_chunk for NETFRONT_TX_SG. */
void netfront_set_tx_mode(struct netfront *nf, enum netfront_tx_mode mode, unsigned sg_chunk);
/* Copy a frame into a TX buffer and post it: 0, -1 (not connected, too big), -2 (every
 * buffer still in flight after a bounded wait for the backend: counted, logged). */
int netfront_xmit(struct netfront *nf, const void *frame, size_t len);
/* Take the backend's responses: received frames to rx(), TX buffers freed. */
void netfront_poll(struct netfront *nf, netfront_rx_fn rx, void *ctx);
/* Only the TX responses (frees TX buffers); never touches the RX ring. */
void netfront_reclaim_tx(struct netfront *nf);
/* Take queued xenstore watch events: the backend's state (Connected logged;
 * Closing or Closed: nf->connected goes false, sends fail). */
void netfront_check_backend(struct netfront *nf);
/* Whether the event channel fired since the last call (and clear). */
bool netfront_kicked(struct netfront *nf);
const struct netfront_stats *netfront_stats(const struct netfront *nf);
/* For the hostile tests: post a request or an extra-info slot exactly as
 * given (published at once; post_raw says whether the backend was notified);
 * move req_prod anywhere; the grant reference of TX buffer `buf` (granted
 * read-only to the backend; 0 for no such buffer); claim TX buffer `buf` to fill for a
 * raw request with id `buf` (NULL if in use; its response frees it); read
 * the TX ring's req_event and rsp_prod as the backend left them. */
bool netfront_post_raw(struct netfront *nf, const struct netif_tx_request *r);
void netfront_post_raw_extra(struct netfront *nf, const struct netif_extra_info *x);
void netfront_set_raw_req_prod(struct netfront *nf, uint32_t prod);
grant_ref_t netfront_tx_buf_ref(const struct netfront *nf, unsigned buf);
uint8_t *netfront_claim_raw_buf(struct netfront *nf, unsigned buf);
uint32_t netfront_raw_tx_req_event(const struct netfront *nf);
uint32_t netfront_raw_tx_rsp_prod(const struct netfront *nf);

#endif
