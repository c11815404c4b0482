/*
 * xs_ring.h — the byte streams of a xenstore ring page (struct
 * xenstore_domain_interface): the server's and the client's halves.
 *
 * Each function moves as many bytes as the ring allows right now and returns
 * that count; none of them blocks or signals the event channel — the caller
 * kicks the peer after a non-zero transfer.  The peer's indices live in
 * shared memory and may be garbage: each call reads them once, checks
 * prod - cons <= XENSTORE_RING_SIZE, and moves nothing if not (the ring is
 * then corrupt, xs_ring_corrupt() says so).  Every buffer access is masked,
 * so a hostile peer can never make these read or write out of bounds.
 *
 * Pure C, no hardware access: builds for guests and for host tests.  One
 * reader and one writer per direction, as the protocol has it.
 */
#ifndef GUEST_LIB_XS_RING_H
#define GUEST_LIB_XS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <public/io/xs_wire.h>

/* Server: take up to `max` request bytes the client has produced. */
size_t xs_ring_server_read(struct xenstore_domain_interface *intf, void *buf, size_t max);
/* Server: queue up to `len` response bytes, as many as fit. */
size_t xs_ring_server_write(struct xenstore_domain_interface *intf, const void *buf, size_t len);
/* Client: queue up to `len` request bytes, as many as fit. */
size_t xs_ring_client_write(struct xenstore_domain_interface *intf, const void *buf, size_t len);
/* Client: take up to `max` response bytes the server has produced. */
size_t xs_ring_client_read(struct xenstore_domain_interface *intf, void *buf, size_t max);

/* True if either direction's indices are impossible (more than a ring apart). */
bool xs_ring_corrupt(const struct xenstore_domain_interface *intf);

/* Server: a fresh page — indices zero, advertise the error indicator, connected. */
void xs_ring_server_init(struct xenstore_domain_interface *intf);

#endif
