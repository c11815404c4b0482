/*
 * xenstore.h — dom0's xenstore: the tree of nodes, the wire protocol a domU
 * speaks over its ring (public/io/xs_wire.h), and the in-process API dom0's
 * own code (toolstack, backends) uses.  Pure C with no hardware access, so
 * the same code runs in dom0 and in host unit tests.
 *
 * Assumptions: single-threaded — dom0 calls everything from its event loop's
 * handlers, never from an interrupt handler.  A local watch callback may call the in-process
 * API (xs_write() from a watch is how a backend answers); nested changes
 * fire their own watches, up to a fixed depth (deeper ones are logged and
 * not fired, so two watches writing each other's nodes cannot recurse
 * forever).  A send() callback must only queue the bytes: it must not call
 * back into xenstore (the bytes it is given live in a buffer a nested event
 * would reuse).
 *
 * Fixed memory budget (static arrays, nothing allocated), split into
 * per-domain quotas that add up to the pools, so no domain — nor two, nor
 * all of them together — can take what another domain is owed:
 *   XS_MAX_NODES (672) nodes = XS_MAX_DOMUS domUs x XS_DOMU_NODE_QUOTA
 *   + XS_DOM0_NODE_SHARE for dom0 (its share counts "/" and the
 *   /local/domain/<U> homes and backend directories its toolstack writes);
 *   at most XS_MAX_DOMUS domUs own nodes at once (granite runs at most
 *   MAX_DOMAINS - 1 = 7).  Over a quota, ENOSPC (xenstored's answer);
 *   node names (one path component) up to XS_NAME_MAX bytes, values up to
 *   XS_VALUE_MAX bytes — longer is E2BIG;
 *   XS_MAX_WATCHES watches = XS_MAX_CONNS x XS_WATCH_QUOTA (a domain's
 *   wire watches, over all its connections) + XS_LOCAL_WATCHES (dom0's
 *   in-process ones).  Over the quota, E2BIG (xenstored's answer); watch
 *   paths up to XS_WATCH_PATH_MAX and tokens up to XS_TOKEN_MAX bytes, E2BIG;
 *   XS_MAX_CONNS connections (xs_conn_open() returns NULL beyond; only dom0
 *   opens them, one per domain in xenstore_service.c, so a domain cannot
 *   take more);
 *   XS_MAX_TX open transactions = XS_MAX_CONNS x XS_TX_QUOTA per domain
 *   (ENOSPC), each buffering up to XS_TX_LOG_BYTES of changes (ENOMEM).
 *   A transaction has no expiry: one left open costs only its domain's quota.
 *   Replies and watch events are not queued here: send() hands them to the
 *   caller's per-connection buffer (xenstore_service.c: a fixed one per domain).
 * A connection closed frees its watches and transactions;
 * xs_domain_release() (a domain gone) also removes the domain's home and
 * with it every node the domain owns.  Each quota refusal answers the
 * client, is counted (xs_stats.quota_refusals) and logged as
 * "xenstore: dN: <what> quota (<n>) reached: <ERR> (refusal <k>)" for the
 * 1st, 2nd, 4th, 8th... refusal of that kind on that connection.
 *
 * Permissions, per node, as Xen's xenstored keeps them: a list whose first
 * entry names the node's owner and what every domain not listed may do,
 * then ACL entries (domain, what it may do: none, read, write, both); at
 * most XS_PERMS_MAX entries (E2BIG).  The rules:
 *   dom0 may do everything; the owner may read and write its node;
 *   a listed domain has its entry; anyone else the first entry's default;
 *   a path that does not exist is governed by its nearest existing
 *   ancestor (reading a missing node tells only a reader it is missing;
 *   creating a node needs write access to that ancestor);
 *   a new node takes its parent's list, and a domain other than dom0
 *   owns what it creates;  "/" and everything dom0 creates above the
 *   homes are dom0's with nothing for others;
 *   a domain's home /local/domain/<U> is created owned by U with nothing
 *   for others, so U reads and writes everything below it — but the home
 *   node itself is the toolstack's: only dom0 writes, removes or
 *   re-permissions it;
 *   XS_SET_PERMS: dom0, or the node's owner (EACCES otherwise), replaces
 *   the list; only dom0 may name another owner (EPERM).  XS_GET_PERMS
 *   (needs read access) reports the list ("n0", "r5", ...).
 * A watch may be set on any path, but its events only reach a domain that
 * may read the changed path (for a removed node: its list before removal).
 * The toolstack gives each side of a device what it needs (xs_set_perms):
 * the frontend's device directory owned by the frontend, readable by the
 * backend's domain; the backend directory the reverse.

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

#define XS_MAX_DOMUS 7         /* granite's MAX_DOMAINS (8) less dom0 */
#define XS_DOMU_NODE_QUOTA 64   /* netfront writes ~10; the rest is room for a guest's own keys */
#define XS_DOM0_NODE_SHARE 224  /* "/", 5 directories, ~30 per domU (vif, control, memory) for 7 */
#define XS_MAX_NODES (XS_MAX_DOMUS * XS_DOMU_NODE_QUOTA + XS_DOM0_NODE_SHARE)
#define XS_NAME_MAX 63
#define XS_VALUE_MAX 256
#define XS_MAX_CONNS 8
#define XS_WATCH_QUOTA 16       /* wire watches per domain */
#define XS_LOCAL_WATCHES 32     /* dom0's in-process watches (netback: one per vif) */
#define XS_MAX_WATCHES (XS_MAX_CONNS * XS_WATCH_QUOTA + XS_LOCAL_WATCHES)
#define XS_WATCH_PATH_MAX 255
#define XS_TOKEN_MAX 127
#define XS_TX_QUOTA 4           /* open transactions per domain (Linux may overlap a few) */
#define XS_MAX_TX (XS_MAX_CONNS * XS_TX_QUOTA)
#define XS_TX_LOG_BYTES 2048

struct xs_conn; /* one client: a domain's ring connection */

/* One permission entry (Xen's XS_PERM_* bits). */
#define XS_PERM_NONE 0
#define XS_PERM_READ 1
#define XS_PERM_WRITE 2
#define XS_PERM_BOTH (XS_PERM_READ | XS_PERM_WRITE)
#define XS_PERMS_MAX 8          /* entries per node: the owner's and 7 more */
struct xs_perm {
    uint16_t domid;
    uint8_t perm;
};

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
/* Domain `domid` is gone: closes its connections (as xs_conn_close()) and
 * removes /local/domain/<domid> and everything below it, as a toolstack
 * does when a domain dies; its nodes, watches and transactions are free
 * for others.  Not for dom0.  0, or a negative errno value. */
int xs_domain_release(unsigned domid);
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
/* Replace a node's permission list (perms[0] is the owner entry), or read
 * it into perms[max] (*count entries; -E2BIG if max is too small). */
int xs_set_perms(const char *path, const struct xs_perm *perms, unsigned count);
int xs_get_perms(const char *path, struct xs_perm *perms, unsigned max, unsigned *count);
/* Children's names, each NUL-terminated, in creation order; *count of them. */
int xs_directory(const char *path, char *buf, size_t len, unsigned *count);

/* A local watch: fn runs once from inside xs_watch(), then synchronously
 * after each change to `path` or below it (from inside the xs_write() or
 * xs_conn_input() that made the change).  -EEXIST if (path, token) is
 * already watched locally. */
typedef void (*xs_watch_fn)(const char *path, const char *token, void *ctx);
int xs_watch(const char *path, const char *token, xs_watch_fn fn, void *ctx);
int xs_unwatch(const char *path, const char *token);

/* What a quota limits (xs_stats.quota_refusals is indexed by it). */
enum xs_quota {
    XS_QUOTA_NODES,        /* nodes a domain owns */
    XS_QUOTA_DOMAINS,      /* domUs owning nodes at once */
    XS_QUOTA_WATCHES,      /* a domain's wire watches, or dom0's local ones */
    XS_QUOTA_TRANSACTIONS, /* a domain's open transactions */
    XS_QUOTA_KINDS
};

struct xs_stats {
    uint64_t requests;     /* complete messages received */
    uint64_t errors;       /* XS_ERROR replies sent */
    uint64_t watch_events; /* events sent on a wire or delivered locally */
    uint64_t bad_input;    /* malformed messages and unrecoverable streams */
    uint64_t quota_refusals[XS_QUOTA_KINDS]; /* requests refused by a quota, by kind */
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
