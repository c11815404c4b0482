/*
 * xenstore.h — dom0's xenstore: the tree of nodes, the wire protocol a domU
 * speaks over its ring (public/io/xs_wire.h), and the in-process API dom0's
 * own code (toolstack, backends) uses.  Pure C with no hardware access, so
 * the same code runs in dom0 and in host unit tests.
 *
 * Assumptions: single-threaded — dom0 calls everything from one loop, never
 * from an interrupt handler.  A local watch callback may call the in-process
 * API (xs_write() from a watch is how a backend answers); nested changes
 * fire their own watches, up to a fixed depth (deeper ones are logged and
 * not fired, so two watches writing each other's nodes cannot recurse
 * forever).  A send() callback must only queue the bytes: it must not call
 * back into xenstore (the bytes it is given live in a buffer a nested event
 * would reuse).
 *
 * Fixed memory budget (static arrays, nothing allocated):
 *   XS_MAX_NODES nodes, including "/", "/local", "/local/domain", "/local/domain/0";
 *   node names (one path component) up to XS_NAME_MAX bytes, values up to
 *   XS_VALUE_MAX bytes — longer is E2BIG;
 *   a domU owns at most XS_DOMU_NODE_QUOTA nodes, so one guest cannot fill
 *   the store for everyone — over it, or when the store is full, ENOSPC;
 *   XS_MAX_WATCHES watches in all (wire and local), XS_MAX_WATCHES_PER_CONN
 *   per connection, watch paths up to XS_WATCH_PATH_MAX and tokens up to
 *   XS_TOKEN_MAX bytes — ENOSPC / E2BIG;
 *   XS_MAX_CONNS connections (xs_conn_open() returns NULL beyond);
 *   XS_MAX_TX open transactions in all, XS_MAX_TX_PER_CONN per connection
 *   (ENOSPC), each buffering up to XS_TX_LOG_BYTES of changes (ENOMEM).
 *
 * Permission policy (fixed; XS_SET_PERMS is validated and accepted but
 * changes nothing, GET_PERMS reports what this policy implies):
 *   dom0 may do everything;
 *   domain U may read /local/domain/<U> and everything below it, may write
 *   (WRITE, MKDIR, RM, SET_PERMS) strictly below it, and may read — not
 *   write — /local/domain/0/backend/<any type>/<U> and below;
 *   everything else is EACCES.  A watch may be set on any path, but its
 *   events only reach a domain that may read the changed path.
 *
 * Paths: absolute ("/local/domain/1/device") or relative to the caller's
 * home ("device" = "/local/domain/<U>/device").  Characters [A-Za-z0-9/_@.-],
 * no empty component, no trailing '/' (except "/"), at most
 * XENSTORE_ABS_PATH_MAX / XENSTORE_REL_PATH_MAX bytes; else EINVAL.  Watch
 * paths may also be special names starting with '@' ("@releaseDomain"):
 * those fire once when set and never again.
 *
 * Errors are negative <errno.h> values in the in-process API and their names
 * ("EACCES") in XS_ERROR replies.
 */
#ifndef GUESTS_DOM0_XENSTORE_H
#define GUESTS_DOM0_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/io/xs_wire.h>

#define XS_MAX_NODES 512
#define XS_NAME_MAX 63
#define XS_VALUE_MAX 256
#define XS_DOMU_NODE_QUOTA 64 /* four domUs (netback serves four) at quota leave half to dom0 */
#define XS_MAX_WATCHES 32
#define XS_MAX_WATCHES_PER_CONN 16
#define XS_WATCH_PATH_MAX 255
#define XS_TOKEN_MAX 127
#define XS_MAX_CONNS 8
#define XS_MAX_TX 4
#define XS_MAX_TX_PER_CONN 2
#define XS_TX_LOG_BYTES 2048

struct xs_conn; /* one client: a domain's ring connection */

/* Queue `len` bytes (whole replies and watch events) for the client.  The
 * bytes are only valid during the call. */
typedef void (*xs_send_fn)(struct xs_conn *c, const void *bytes, size_t len);

/* An empty store holding "/local/domain/0"; drops every connection and watch. */
void xs_init(void);

/* A connection for domain `domid` (< 0x7FF0); creates /local/domain/<domid>
 * if missing, as a toolstack would.  NULL if all XS_MAX_CONNS are in use. */
struct xs_conn *xs_conn_open(unsigned domid, xs_send_fn send, void *ctx);
/* Drops the connection's watches and open transactions.  Called from inside
 * that connection's processing (a watch callback), the close happens when
 * xs_conn_input() returns. */
void xs_conn_close(struct xs_conn *c);
void *xs_conn_ctx(struct xs_conn *c);
unsigned xs_conn_domid(const struct xs_conn *c);

/*
 * Feed bytes received from the client, split anywhere (partial headers and
 * payloads across calls are fine).  Complete messages are handled in order;
 * replies and watch events go out through send().  Returns 0, or -1 if the
 * stream cannot continue (a header announcing more than XENSTORE_PAYLOAD_MAX
 * bytes: there is no way to find the next message): the caller should log
 * it and close the connection; every later call returns -1 too.
 */
int xs_conn_input(struct xs_conn *c, const void *bytes, size_t len);

/* dom0's in-process API (domain 0's permissions, no transactions):
 * 0 or a negative errno value.  Reads NUL-terminate; a buffer too small for
 * the value (or the directory listing) and its NUL is -E2BIG. */
int xs_write(const char *path, const char *value);
int xs_read(const char *path, char *buf, size_t len);
int xs_mkdir(const char *path);
int xs_rm(const char *path);
/* Children's names, each NUL-terminated, in creation order; *count of them. */
int xs_directory(const char *path, char *buf, size_t len, unsigned *count);

/* A local watch: fn runs once from inside xs_watch(), then synchronously
 * after each change to `path` or below it (from inside the xs_write() or
 * xs_conn_input() that made the change).  -EEXIST if (path, token) is
 * already watched locally. */
typedef void (*xs_watch_fn)(const char *path, const char *token, void *ctx);
int xs_watch(const char *path, const char *token, xs_watch_fn fn, void *ctx);
int xs_unwatch(const char *path, const char *token);

struct xs_stats {
    uint64_t requests;     /* complete messages received */
    uint64_t errors;       /* XS_ERROR replies sent */
    uint64_t watch_events; /* events sent on a wire or delivered locally */
    uint64_t bad_input;    /* malformed messages and unrecoverable streams */
};
const struct xs_stats *xs_get_stats(void);

/* Log lines ("xenstore: d1: WRITE /local/domain/0/foo: EACCES\n") go to
 * this function; NULL (the default) drops them.  A guest passes a function
 * that prints the line.  Each connection logs at most a fixed number of
 * lines, so a misbehaving guest cannot flood dom0's console. */
typedef void (*xs_log_fn)(const char *line);
void xs_set_log(xs_log_fn fn);

/* Check the store's internal invariants (every node's parent in use, no
 * duplicate names, counts agree): 0, or -1 after logging what is wrong. */
int xs_check(void);

#endif
