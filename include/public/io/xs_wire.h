/*
 * public/io/xs_wire.h — the xenstore wire protocol and the shared ring page a
 * guest uses to reach the xenstore daemon, written out from Xen's documented
 * interface (docs/misc/xenstore.txt, docs/misc/xenstore-ring.txt).  The
 * numbers and layouts are Xen's so that a Linux-style xenbus client, or any
 * other Xen guest, talks to granite's dom0 daemon unchanged.
 *
 * Assumptions: both ends of the ring share one endianness (the ring carries
 * native-endian 32-bit words; Arm guests are little-endian); only
 * <stdint.h> is needed, so the hypervisor, guests and host tests can all
 * include this header.
 *
 * A message is a struct xsd_sockmsg header followed by `len` payload bytes,
 * usually NUL-terminated strings.  A reply carries the request's req_id and
 * tx_id, and the request's type, or XS_ERROR with an error name (below) as
 * its payload.  XS_WATCH_EVENT messages arrive unrequested.
 */
#ifndef PUBLIC_IO_XS_WIRE_H
#define PUBLIC_IO_XS_WIRE_H

#include <stdint.h>

enum xsd_sockmsg_type {
    XS_CONTROL = 0, /* once called XS_DEBUG */
    XS_DIRECTORY = 1,
    XS_READ = 2,
    XS_GET_PERMS = 3,
    XS_WATCH = 4,
    XS_UNWATCH = 5,
    XS_TRANSACTION_START = 6,
    XS_TRANSACTION_END = 7,
    XS_INTRODUCE = 8,
    XS_RELEASE = 9,
    XS_GET_DOMAIN_PATH = 10,
    XS_WRITE = 11,
    XS_MKDIR = 12,
    XS_RM = 13,
    XS_SET_PERMS = 14,
    XS_WATCH_EVENT = 15,
    XS_ERROR = 16,
    XS_IS_DOMAIN_INTRODUCED = 17,
    XS_RESUME = 18,
    XS_SET_TARGET = 19,
    /* 20 was XS_RESTRICT, withdrawn: never reuse it */
    XS_RESET_WATCHES = 21,
    XS_DIRECTORY_PART = 22,
    XS_TYPE_COUNT, /* one past the last type defined here */
    XS_INVALID = 0xffff /* never a valid type: ring poison */
};

#define XS_DEBUG XS_CONTROL

/* Options of XS_WRITE's old flag argument, still named in the protocol. */
#define XS_WRITE_NONE "NONE"
#define XS_WRITE_CREATE "CREATE"
#define XS_WRITE_CREATE_EXCL "CREATE|EXCL"

/*
 * Errors travel as the names of POSIX errno values, because the two ends
 * need not agree on the numbers.  XSD_ERROR_NAMES(X) expands X(name) once per
 * name the protocol uses, so each side can build its own name <-> number
 * table from its own <errno.h>.
 */
#define XSD_ERROR_NAMES(X)                                                                  \
    X(EINVAL) X(EACCES) X(EEXIST) X(EISDIR) X(ENOENT) X(ENOMEM) X(ENOSPC) X(EIO)            \
    X(ENOTEMPTY) X(ENOSYS) X(EROFS) X(EBUSY) X(EAGAIN) X(EISCONN) X(E2BIG) X(EPERM)

struct xsd_sockmsg {
    uint32_t type;   /* enum xsd_sockmsg_type */
    uint32_t req_id; /* chosen by the client, echoed in the reply */
    uint32_t tx_id;  /* transaction, 0 for none */
    uint32_t len;    /* payload bytes that follow */
};

/* Where the two strings of an XS_WATCH_EVENT payload sit. */
enum xs_watch_type {
    XS_WATCH_PATH = 0,
    XS_WATCH_TOKEN
};

/* --- the ring page -------------------------------------------------------- */

#define XENSTORE_RING_SIZE 1024 /* bytes per direction; a power of two */
typedef uint32_t XENSTORE_RING_IDX;
/* Indices run freely modulo 2^32; this is where index `idx` lives in a ring. */
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

/*
 * "req" carries client -> server bytes, "rsp" server -> client.  The client
 * advances req_prod and rsp_cons, the server req_cons and rsp_prod.  Either
 * side signals the event channel after moving an index.
 */
struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE];
    char rsp[XENSTORE_RING_SIZE];
    XENSTORE_RING_IDX req_cons, req_prod;
    XENSTORE_RING_IDX rsp_cons, rsp_prod;
    uint32_t server_features; /* XENSTORE_SERVER_FEATURE_*, set by the server */
    uint32_t connection;      /* XENSTORE_CONNECTED / XENSTORE_RECONNECT */
    uint32_t error;           /* XENSTORE_ERROR_*, valid with FEATURE_ERROR */
};

_Static_assert(sizeof(struct xsd_sockmsg) == 16, "xsd_sockmsg is four 32-bit words");
_Static_assert(__builtin_offsetof(struct xenstore_domain_interface, req_cons) == 2048,
               "ring indices follow the two 1 KiB buffers");
_Static_assert(__builtin_offsetof(struct xenstore_domain_interface, server_features) == 2064,
               "server feature word at offset 2064");
_Static_assert(__builtin_offsetof(struct xenstore_domain_interface, error) == 2072,
               "error word at offset 2072");

#define XENSTORE_SERVER_FEATURE_RECONNECTION 1 /* `connection` may be used */
#define XENSTORE_SERVER_FEATURE_ERROR 2        /* `error` may be used */

#define XENSTORE_CONNECTED 0 /* the normal state */
#define XENSTORE_RECONNECT 1 /* the guest asks the server to reset the ring */

#define XENSTORE_ERROR_NONE 0
#define XENSTORE_ERROR_COMM 1    /* a message the server could not parse */
#define XENSTORE_ERROR_RINGIDX 2 /* indices out of range */
#define XENSTORE_ERROR_PROTO 3   /* a protocol violation */

/* Limits of the protocol. */
#define XENSTORE_PAYLOAD_MAX 4096  /* most payload bytes in one message */
#define XENSTORE_ABS_PATH_MAX 3072 /* longest absolute path, not counting the NUL */
#define XENSTORE_REL_PATH_MAX 2048 /* longest relative path, not counting the NUL */

#endif
