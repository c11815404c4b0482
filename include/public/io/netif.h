/*
 * public/io/netif.h — the PV network rings (layout of Xen's
 * xen/include/public/io/netif.h; granite's own code).
 *
 * Two one-page rings per interface, both with the header of ring.h:
 *   TX: the frontend (domU) asks the backend (dom0) to send a packet held in a
 *       granted page: {gref, offset, size}; the backend answers {id, status}.
 *   RX: the frontend posts empty granted pages {id, gref}; the backend fills
 *       one with a received packet and answers {id, offset, flags, status =
 *       length, or a negative NETIF_RSP_*} in the same slot.
 * The subset granite uses: one queue; TX packets of one slot or of a
 * NETTXF_more_data chain (the first slot's size is the whole packet's length,
 * each later slot carries its own), optionally followed, right after the
 * first slot, by extra-info slots (struct netif_extra_info, one ring slot
 * each); NETTXF_csum_blank (the backend fills the TCP/UDP checksum in); RX by
 * grant copy, one slot per packet.
 */
#ifndef PUBLIC_IO_NETIF_H
#define PUBLIC_IO_NETIF_H

#include <stdint.h>
#include <public/io/ring.h>

typedef uint32_t netif_grant_ref_t;

#define NETTXF_csum_blank (1u << 0)
#define NETTXF_data_validated (1u << 1)
#define NETTXF_more_data (1u << 2)
#define NETTXF_extra_info (1u << 3)

struct netif_tx_request {
    netif_grant_ref_t gref;  /* the page holding the packet */
    uint16_t offset;         /* where in the page it starts */
    uint16_t flags;          /* NETTXF_* */
    uint16_t id;             /* echoed in the response */
    uint16_t size;           /* packet size in bytes */
};

struct netif_tx_response {
    uint16_t id;
    int16_t status;          /* NETIF_RSP_* */
};

struct netif_rx_request {
    uint16_t id;             /* echoed in the response */
    uint16_t pad;
    netif_grant_ref_t gref;  /* an empty page for one packet */
};

#define NETRXF_data_validated (1u << 0)
#define NETRXF_csum_blank (1u << 1)
#define NETRXF_more_data (1u << 2)
#define NETRXF_extra_info (1u << 3)

struct netif_rx_response {
    uint16_t id;
    uint16_t offset;         /* where in the page the packet starts */
    uint16_t flags;          /* NETRXF_* */
    int16_t status;          /* > 0: packet length; else NETIF_RSP_* */
};

/*
 * An extra-info slot: occupies one TX ring slot after the first request of a
 * packet that has NETTXF_extra_info; NETIF_EXTRA_FLAG_MORE says another
 * follows.  Layout of Xen's struct netif_extra_info (8 bytes).
 */
#define NETIF_EXTRA_TYPE_NONE 0
#define NETIF_EXTRA_TYPE_GSO 1
#define NETIF_EXTRA_TYPE_MCAST_ADD 2
#define NETIF_EXTRA_TYPE_MCAST_DEL 3
#define NETIF_EXTRA_TYPE_HASH 4
#define NETIF_EXTRA_TYPE_XDP 5
#define NETIF_EXTRA_TYPE_MAX 6
#define NETIF_EXTRA_FLAG_MORE (1u << 0)
#define NETIF_GSO_TYPE_NONE 0
#define NETIF_GSO_TYPE_TCPV4 1
#define NETIF_GSO_TYPE_TCPV6 2

struct netif_extra_info {
    uint8_t type;            /* NETIF_EXTRA_TYPE_* */
    uint8_t flags;           /* NETIF_EXTRA_FLAG_* */
    union {
        struct {
            uint16_t size;   /* MSS */
            uint8_t type;    /* NETIF_GSO_TYPE_* */
            uint8_t pad;
            uint16_t features;
        } gso;
        struct {
            uint8_t addr[6];
        } mcast;
        uint16_t pad[3];
    } u;
};
_Static_assert(sizeof(struct netif_extra_info) == 8, "netif extra info is 8 bytes");

#define NETIF_RSP_DROPPED (-2)
#define NETIF_RSP_ERROR (-1)
#define NETIF_RSP_OKAY 0
#define NETIF_RSP_NULL 1

union netif_tx_slot {
    struct netif_tx_request req;
    struct netif_tx_response rsp;
};
union netif_rx_slot {
    struct netif_rx_request req;
    struct netif_rx_response rsp;
};

_Static_assert(sizeof(union netif_tx_slot) == 12, "netif TX slot is 12 bytes");
_Static_assert(sizeof(union netif_rx_slot) == 8, "netif RX slot is 8 bytes");

#define NETIF_TX_RING_SIZE 256   /* ring_nr_slots(12) */
#define NETIF_RX_RING_SIZE 256   /* ring_nr_slots(8) */

struct netif_tx_sring {
    struct ring_header h;
    union netif_tx_slot ring[NETIF_TX_RING_SIZE];
};
struct netif_rx_sring {
    struct ring_header h;
    union netif_rx_slot ring[NETIF_RX_RING_SIZE];
};
_Static_assert(sizeof(struct netif_tx_sring) <= RING_PAGE_SIZE, "TX ring fits a page");
_Static_assert(sizeof(struct netif_rx_sring) <= RING_PAGE_SIZE, "RX ring fits a page");

#define NETIF_MAX_PACKET 1514    /* Ethernet without FCS, no jumbo frames */

#endif
