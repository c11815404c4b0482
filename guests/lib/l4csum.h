/*
 * l4csum.h — TCP and UDP checksums of Ethernet/IPv4 frames, for the PV
 * network backend: filling one in for a TX packet a frontend sent with
 * NETTXF_csum_blank, and checking one on RX so the frontend can be told
 * NETRXF_data_validated.  Pure C over a byte buffer (host unit-testable).
 *
 * Assumptions: Ethernet II framing without a VLAN tag, IPv4 only (granite's
 * netback advertises no IPv6 checksum offload); an IP fragment has no
 * checksummable L4 header, so it is refused.
 */
#ifndef GUESTS_DOM0_L4CSUM_H
#define GUESTS_DOM0_L4CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Compute the TCP or UDP checksum of `frame` over the pseudo-header and the
 * L4 segment (whatever the checksum field held before: Linux leaves the
 * pseudo-header sum there, others 0) and store it.  0, or -1 with *why set
 * when the frame is not an unfragmented IPv4 TCP/UDP datagram that fits
 * `len` (then nothing is written).
 */
int l4csum_fill(uint8_t *frame, size_t len, const char **why);

/* true when `frame` is an IPv4 TCP/UDP datagram whose checksum verifies
 * (a UDP datagram sent without a checksum is not "verified"). */
bool l4csum_valid(const uint8_t *frame, size_t len);

#endif
