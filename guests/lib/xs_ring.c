/*
 * xs_ring.c — moving bytes through a xenstore ring page (see xs_ring.h).
 *
 * Memory ordering, for a peer running on another CPU:
 *   producer: read the consumer's index, acquire fence (the consumer's reads
 *             of the bytes it released are complete before we overwrite
 *             them), copy the bytes in, release fence (the bytes are visible
 *             before the index), publish the new producer index;
 *   consumer: read the producer's index, acquire fence (we see the bytes it
 *             published), copy the bytes out, release fence (our reads are
 *             done before the producer may reuse the space), publish the new
 *             consumer index.
 * Indices are read and written with single atomic accesses so the compiler
 * neither tears nor re-reads them; each is read once per call, so a peer
 * changing it under us cannot make the check and the use disagree.
 *
 * Assumption: a 32-bit index compares correctly across wrap-around because
 * prod - cons is computed modulo 2^32 (XENSTORE_RING_IDX is uint32_t).
 */
#include <string.h>
#include "xs_ring.h"

/* One direction of the ring: its buffer and the two indices. */
struct stream {
    char *data;
    XENSTORE_RING_IDX *cons, *prod;
};

static struct stream req_stream(struct xenstore_domain_interface *intf)
{
    return (struct stream){ intf->req, &intf->req_cons, &intf->req_prod };
}

static struct stream rsp_stream(struct xenstore_domain_interface *intf)
{
    return (struct stream){ intf->rsp, &intf->rsp_cons, &intf->rsp_prod };
}

static bool indices_sane(XENSTORE_RING_IDX cons, XENSTORE_RING_IDX prod)
{
    return (XENSTORE_RING_IDX)(prod - cons) <= XENSTORE_RING_SIZE;
}

/* Produce into `s`; returns bytes written (0 if full or corrupt). */
static size_t produce(struct stream s, const void *buf, size_t len, bool *corrupt)
{
    XENSTORE_RING_IDX cons = __atomic_load_n(s.cons, __ATOMIC_RELAXED);
    XENSTORE_RING_IDX prod = __atomic_load_n(s.prod, __ATOMIC_RELAXED);
    const char *src = buf;
    size_t room, n;

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (!indices_sane(cons, prod)) {
        *corrupt = true;
        return 0;
    }
    room = XENSTORE_RING_SIZE - (XENSTORE_RING_IDX)(prod - cons);
    n = len < room ? len : room;
    for (size_t i = 0; i < n; i++)
        s.data[MASK_XENSTORE_IDX(prod + (XENSTORE_RING_IDX)i)] = src[i];
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(s.prod, prod + (XENSTORE_RING_IDX)n, __ATOMIC_RELAXED);
    return n;
}

/* Consume from `s`; returns bytes read (0 if empty or corrupt). */
static size_t consume(struct stream s, void *buf, size_t max, bool *corrupt)
{
    XENSTORE_RING_IDX prod = __atomic_load_n(s.prod, __ATOMIC_RELAXED);
    XENSTORE_RING_IDX cons = __atomic_load_n(s.cons, __ATOMIC_RELAXED);
    char *dst = buf;
    size_t avail, n;

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (!indices_sane(cons, prod)) {
        *corrupt = true;
        return 0;
    }
    avail = (XENSTORE_RING_IDX)(prod - cons);
    n = max < avail ? max : avail;
    for (size_t i = 0; i < n; i++)
        dst[i] = s.data[MASK_XENSTORE_IDX(cons + (XENSTORE_RING_IDX)i)];
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(s.cons, cons + (XENSTORE_RING_IDX)n, __ATOMIC_RELAXED);
    return n;
}

/* The server tells a client that understands the error word why it stopped. */
static void server_flag_corrupt(struct xenstore_domain_interface *intf)
{
    __atomic_store_n(&intf->error, (uint32_t)XENSTORE_ERROR_RINGIDX, __ATOMIC_RELAXED);
}

size_t xs_ring_server_read(struct xenstore_domain_interface *intf, void *buf, size_t max)
{
    bool corrupt = false;
    size_t n = consume(req_stream(intf), buf, max, &corrupt);

    if (corrupt)
        server_flag_corrupt(intf);
    return n;
}

size_t xs_ring_server_write(struct xenstore_domain_interface *intf, const void *buf, size_t len)
{
    bool corrupt = false;
    size_t n = produce(rsp_stream(intf), buf, len, &corrupt);

    if (corrupt)
        server_flag_corrupt(intf);
    return n;
}

size_t xs_ring_client_write(struct xenstore_domain_interface *intf, const void *buf, size_t len)
{
    bool corrupt = false;
    return produce(req_stream(intf), buf, len, &corrupt);
}

size_t xs_ring_client_read(struct xenstore_domain_interface *intf, void *buf, size_t max)
{
    bool corrupt = false;
    return consume(rsp_stream(intf), buf, max, &corrupt);
}

bool xs_ring_corrupt(const struct xenstore_domain_interface *intf)
{
    XENSTORE_RING_IDX rqc = __atomic_load_n(&intf->req_cons, __ATOMIC_RELAXED);
    XENSTORE_RING_IDX rqp = __atomic_load_n(&intf->req_prod, __ATOMIC_RELAXED);
    XENSTORE_RING_IDX rsc = __atomic_load_n(&intf->rsp_cons, __ATOMIC_RELAXED);
    XENSTORE_RING_IDX rsp = __atomic_load_n(&intf->rsp_prod, __ATOMIC_RELAXED);

    return !indices_sane(rqc, rqp) || !indices_sane(rsc, rsp);
}

void xs_ring_server_init(struct xenstore_domain_interface *intf)
{
    memset(intf, 0, sizeof(*intf));
    intf->server_features = XENSTORE_SERVER_FEATURE_ERROR;
    intf->connection = XENSTORE_CONNECTED;
    intf->error = XENSTORE_ERROR_NONE;
    __atomic_thread_fence(__ATOMIC_RELEASE);
}
