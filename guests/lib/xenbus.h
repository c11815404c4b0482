/*
 * xenbus.h — a domU's xenstore client: blocking requests over the xenstore
 * ring page and its event channel, and a queue of watch events.
 *
 * Assumptions: one vCPU uses it (vCPU 0, where guests/lib takes event-channel
 * upcalls), never from an interrupt handler, one request at a time.  Calls
 * are made with IRQs masked, as in the rest of guests/lib; each call unmasks
 * them only while it sleeps in WFI and returns with them masked.  Waiting is
 * interrupt-driven: the event channel (server progress) and the virtual
 * timer (timeouts) wake the vCPU.  The virtual timer's handler is taken over
 * while a call waits with a timeout.
 *
 * Every call returns 0 or a negative <errno.h> value; after an XS_ERROR reply
 * xenbus_last_error() names the server's error ("EACCES"), after a local
 * failure the local one ("ETIMEDOUT", "E2BIG", "EIO").  It is "" after a
 * success.  Paths and values are C strings; paths may be relative to the
 * domain's home (/local/domain/<id>).
 *
 * Limits: a request times out after XENBUS_REPLY_TIMEOUT_US; up to
 * XENBUS_WATCH_QUEUE watch events wait for xenbus_wait_watch() (more are
 * dropped, counted and logged), each with a path up to XENBUS_EVENT_PATH_MAX
 * and a token up to XENBUS_EVENT_TOKEN_MAX bytes (longer ones are dropped
 * the same way).  A reply that breaks the framing (length over
 * XENSTORE_PAYLOAD_MAX) or a corrupt ring ends the connection: every later
 * call returns -EIO.
 */
#ifndef GUEST_LIB_XENBUS_H
#define GUEST_LIB_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/event_channel.h>
#include <public/io/xs_wire.h>

typedef uint32_t xenbus_transaction_t;
#define XBT_NIL ((xenbus_transaction_t)0)

#define XENBUS_REPLY_TIMEOUT_US 10000000ULL /* generous: dom0 may be busy under TCG */
#define XENBUS_WAIT_FOREVER UINT64_MAX
#define XENBUS_WATCH_QUEUE 8
#define XENBUS_EVENT_PATH_MAX 255
#define XENBUS_EVENT_TOKEN_MAX 63

/* Use `intf` (the mapped ring page) and `port` (bound to the server).
 * -EIO if the ring's indices are already corrupt. */
int xenbus_init(struct xenstore_domain_interface *intf, evtchn_port_t port);

/* The value, NUL-terminated; -E2BIG if it and its NUL do not fit `len`. */
int xenbus_read(xenbus_transaction_t t, const char *path, char *buf, size_t len);
int xenbus_write(xenbus_transaction_t t, const char *path, const char *value);
int xenbus_mkdir(xenbus_transaction_t t, const char *path);
int xenbus_rm(xenbus_transaction_t t, const char *path);
/* Children's names, each NUL-terminated, one after another; *count of them. */
int xenbus_directory(xenbus_transaction_t t, const char *path, char *buf, size_t len,
                     unsigned *count);

/* The server sends one event at once, then one per change at or below path. */
int xenbus_watch(const char *path, const char *token);
int xenbus_unwatch(const char *path, const char *token);

int xenbus_transaction_start(xenbus_transaction_t *t);
/* XENBUS_COMMIT: -EAGAIN means something it touched changed: retry. */
enum xenbus_tx_end { XENBUS_COMMIT, XENBUS_ABORT };
int xenbus_transaction_end(xenbus_transaction_t t, enum xenbus_tx_end how);

/* "/local/domain/<domid>" as the server says it. */
int xenbus_get_domain_path(unsigned domid, char *buf, size_t len);

const char *xenbus_last_error(void);

/*
 * The oldest queued watch event, waiting up to timeout_us for one (0: do
 * not wait; XENBUS_WAIT_FOREVER: no limit).  -ETIMEDOUT if none came,
 * -E2BIG if the event did not fit the buffers (it is consumed anyway).
 */
int xenbus_wait_watch(char *path, size_t plen, char *token, size_t tlen, uint64_t timeout_us);

struct xenbus_stats {
    uint64_t requests, errors, timeouts;
    uint64_t watch_events;    /* queued */
    uint64_t watch_dropped;   /* queue full or too long */
    uint64_t stray_replies;   /* replies nobody waits for (after a timeout) */
    uint64_t bad_messages;    /* malformed messages from the server */
};
const struct xenbus_stats *xenbus_get_stats(void);

#endif
