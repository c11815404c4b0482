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

struct netfront_stats {
    uint64_t tx, tx_errors, rx, rx_errors, bad_responses;
    uint64_t tx_waits;          /* sends that found every TX buffer in flight and waited */
    uint64_t tx_dropped;        /* ... and still found none after the bounded wait */
    uint64_t tx_in_flight_max;  /* most TX requests unanswered at once */
    uint64_t tx_wait_max_us;    /* the longest of those waits, in guest time */
};

struct netfront {
    char frontend[64];          /* "device/vif/0" (relative to the domain's home) */
    char backend[96];           /* the backend's absolute xenstore directory */
    domid_t backend_id;
    uint8_t mac[6];
    evtchn_port_t port;
    bool connected;
    volatile bool kicked;       /* the event channel fired */
    bool tx_free[NETFRONT_TX_BUFS];
    bool rx_posted[NETFRONT_RX_BUFS]; /* RX buffer ids the backend may answer */
    bool backend_broken;        /* its indices made no sense: its rings are ignored */
    RING_IDX tx_req_prod, tx_rsp_cons, rx_req_prod, rx_rsp_cons;
    struct netfront_stats stats;
};

typedef void (*netfront_rx_fn)(void *ctx, const void *frame, size_t len);

/* Connect vif `vif` (the handshake; xenbus must be up).  NULL on failure (said why). */
struct netfront *netfront_connect(unsigned vif);
/* Copy a frame into a TX buffer and post it: 0, -1 (not connected, too big), -2 (every
 * buffer still in flight after a bounded wait for the backend: counted, logged). */
int netfront_xmit(struct netfront *nf, const void *frame, size_t len);
/* Take the backend's responses: received frames to rx(), TX buffers freed. */
void netfront_poll(struct netfront *nf, netfront_rx_fn rx, void *ctx);
/* Only the TX responses (frees TX buffers); never touches the RX ring. */
void netfront_reclaim_tx(struct netfront *nf);
/* Whether the event channel fired since the last call (and clear). */
bool netfront_kicked(struct netfront *nf);
const struct netfront_stats *netfront_stats(const struct netfront *nf);
/* For the hostile tests: post a request exactly as given; or move req_prod anywhere. */
void netfront_post_raw(struct netfront *nf, const struct netif_tx_request *r);
void netfront_set_raw_req_prod(struct netfront *nf, uint32_t prod);

#endif
