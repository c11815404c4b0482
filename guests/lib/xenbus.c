/*
 * xenbus.c — a domU's xenstore client (see xenbus.h): requests and replies
 * over the ring page (xs_ring.c), watch events queued as they arrive.
 *
 * The event-channel handler only records that something happened; all ring
 * work runs in the calling thread with IRQs masked.  A wait is:
 *     clear the flag; drain the ring; done? return;
 *     masked WFI (guest_wfi_masked) until the flag (or the timer) is set; repeat.
 * An event arriving while IRQs are masked stays pending and ends the WFI at
 * once, so no wake-up can be lost between the drain and the WFI.  The server is kicked after we produce request bytes and after
 * we consume response bytes (a server with a full ring waits for that).
 *
 * Replies are matched by req_id; one that nobody waits for (the answer to a
 * request that timed out) is dropped and counted.  The server is dom0, but
 * its bytes are still checked: lengths, terminators, types.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "xen.h"
#include "xenbus.h"
#include "xs_ring.h"

#define HDR_LEN sizeof(struct xsd_sockmsg)
#define ERRNAME_MAX 16
#define TX_ID_DIGITS_MAX 10

struct errname {
    int num;
    const char *name;
};
#define XB_ERRNAME(e) { e, #e },
static const struct errname errnames[] = { XSD_ERROR_NAMES(XB_ERRNAME) };

struct queued_event {
    char path[XENBUS_EVENT_PATH_MAX + 1];
    char token[XENBUS_EVENT_TOKEN_MAX + 1];
};

static struct xenstore_domain_interface *ring;
static evtchn_port_t xb_port;
static bool broken;
static volatile bool event_seen, timer_fired;
static uint32_t next_req_id = 1;
static struct xenbus_stats stats;
static char last_error[ERRNAME_MAX];

/* the message being assembled from the response stream */
static uint32_t in_have;
static struct xsd_sockmsg in_hdr;
static char in_buf[HDR_LEN + XENSTORE_PAYLOAD_MAX + 1];

/* the reply being waited for */
static uint32_t awaited_id; /* 0: none */
static bool reply_ready;
static struct xsd_sockmsg reply_hdr;
static char reply_buf[XENSTORE_PAYLOAD_MAX + 1]; /* + a NUL we add */

static struct queued_event queue[XENBUS_WATCH_QUEUE];
static unsigned q_head, q_count;

static void set_error(const char *name)
{
    snprintf(last_error, sizeof(last_error), "%s", name);
}

static int fail(int err, const char *name)
{
    set_error(name);
    stats.errors++;
    return err;
}

const char *xenbus_last_error(void) { return last_error; }
const struct xenbus_stats *xenbus_get_stats(void) { return &stats; }

static void on_event(evtchn_port_t port)
{
    (void)port;
    event_seen = true;
}

static void on_timer(uint32_t intid)
{
    (void)intid;
    timer_fired = true;
    vtimer_stop();
}

/* --- incoming messages ------------------------------------------------------- */

static void queue_event(const char *p, uint32_t len)
{
    size_t pl, tl;

    /* "<path>\0<token>\0" exactly */
    if (len < 2 || p[len - 1] != '\0' || (pl = strlen(p)) + 1 >= len ||
        (tl = strlen(p + pl + 1)) + pl + 2 != len) {
        stats.bad_messages++;
        printf("xenbus: malformed watch event (%u bytes): dropped\n", (unsigned)len);
        return;
    }
    if (pl > XENBUS_EVENT_PATH_MAX || tl > XENBUS_EVENT_TOKEN_MAX) {
        stats.watch_dropped++;
        printf("xenbus: watch event for a %u-byte path: too long, dropped\n", (unsigned)pl);
        return;
    }
    if (q_count == XENBUS_WATCH_QUEUE) {
        stats.watch_dropped++;
        printf("xenbus: watch queue full (%u): event for %s dropped\n", XENBUS_WATCH_QUEUE, p);
        return;
    }
    struct queued_event *q = &queue[(q_head + q_count) % XENBUS_WATCH_QUEUE];
    memcpy(q->path, p, pl + 1);
    memcpy(q->token, p + pl + 1, tl + 1);
    q_count++;
    stats.watch_events++;
}

static void message_done(void)
{
    const char *payload = in_buf + HDR_LEN;

    if (in_hdr.type == XS_WATCH_EVENT) {
        queue_event(payload, in_hdr.len);
    } else if (awaited_id && in_hdr.req_id == awaited_id && !reply_ready) {
        reply_hdr = in_hdr;
        memcpy(reply_buf, payload, in_hdr.len);
        reply_buf[in_hdr.len] = '\0';
        reply_ready = true;
    } else {
        stats.stray_replies++;
        printf("xenbus: reply to request %u (type %u) nobody waits for: dropped\n",
               (unsigned)in_hdr.req_id, (unsigned)in_hdr.type);
    }
}

/* Take everything the server has produced; kick it if we took anything. */
static void pump(void)
{
    bool took = false;

    while (!broken) {
        size_t want = in_have < HDR_LEN ? HDR_LEN - in_have : HDR_LEN + in_hdr.len - in_have;
        size_t n = xs_ring_client_read(ring, in_buf + in_have, want);

        if (!n)
            break;
        took = true;
        in_have += (uint32_t)n;
        if (in_have == HDR_LEN) {
            memcpy(&in_hdr, in_buf, HDR_LEN);
            if (in_hdr.len > XENSTORE_PAYLOAD_MAX) {
                printf("xenbus: server sent a %u-byte message: connection unusable\n",
                       (unsigned)in_hdr.len);
                stats.bad_messages++;
                broken = true;
                break;
            }
        }
        if (in_have >= HDR_LEN && in_have == HDR_LEN + in_hdr.len) {
            message_done();
            in_have = 0;
        }
    }
    if (!broken && xs_ring_corrupt(ring)) {
        printf("xenbus: ring indices corrupt: connection unusable\n");
        broken = true;
    }
    if (took)
        evtchn_send(xb_port);
}

/*
 * Sleep until an event or the deadline.  Called with IRQs masked, after
 * event_seen was cleared and the ring drained.  False once the deadline has
 * passed.
 */
static bool sleep_until(uint64_t deadline)
{
    uint64_t now = guest_time_us();

    timer_fired = false;
    if (deadline != XENBUS_WAIT_FOREVER) {
        if (now >= deadline)
            return false;
        gic_enable_irq(0, INTID_VTIMER, on_timer);
        vtimer_arm_us(deadline - now);
    }
    /* The flags are tested only while masked, and the WFI is masked too:
     * nothing can slip in between a test and the WFI (guest_wfi_masked). */
    while (!event_seen && !timer_fired)
        guest_wfi_masked();
    if (deadline != XENBUS_WAIT_FOREVER)
        vtimer_stop();
    return true;
}

static uint64_t deadline_after(uint64_t us)
{
    uint64_t now = guest_time_us();
    return us == XENBUS_WAIT_FOREVER || now + us < now ? XENBUS_WAIT_FOREVER : now + us;
}

/* --- requests ----------------------------------------------------------------- */

static int send_bytes(const char *p, size_t len, uint64_t deadline)
{
    while (len) {
        event_seen = false;
        size_t n = xs_ring_client_write(ring, p, len);
        if (n) {
            evtchn_send(xb_port);
            p += n;
            len -= n;
            continue;
        }
        /* full: drain replies/events meanwhile so the server can make progress */
        pump();
        if (broken)
            return -EIO;
        if (!sleep_until(deadline))
            return -ETIMEDOUT;
    }
    return 0;
}

static int errno_of(const char *name)
{
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
        if (!strcmp(errnames[i].name, name))
            return -errnames[i].num;
    return -EIO;
}

/*
 * One request, payload = a then b (either may be empty); on success the
 * reply's payload is in reply_buf (NUL-terminated for convenience) and its
 * length in *rlen.
 */
static int request(uint32_t type, xenbus_transaction_t t, const void *a, size_t alen,
                   const void *b, size_t blen, uint32_t *rlen)
{
    struct xsd_sockmsg h;
    uint64_t deadline;
    int r;

    set_error("");
    irq_disable_local();
    if (!ring || broken)
        return fail(-EIO, "EIO");
    if (alen + blen > XENSTORE_PAYLOAD_MAX)
        return fail(-E2BIG, "E2BIG");
    stats.requests++;
    if (next_req_id == 0)
        next_req_id = 1; /* 0 is what watch events carry */
    h = (struct xsd_sockmsg){ .type = type, .req_id = next_req_id++, .tx_id = t,
                              .len = (uint32_t)(alen + blen) };
    awaited_id = h.req_id;
    reply_ready = false;
    deadline = deadline_after(XENBUS_REPLY_TIMEOUT_US);

    r = send_bytes((const char *)&h, HDR_LEN, deadline);
    if (!r)
        r = send_bytes(a, alen, deadline);
    if (!r)
        r = send_bytes(b, blen, deadline);
    if (r) {
        /* half a message is in the ring: the stream cannot be trusted again */
        printf("xenbus: request type %u not sent (%d): connection unusable\n", (unsigned)type, r);
        broken = true;
        awaited_id = 0;
        if (r == -ETIMEDOUT)
            stats.timeouts++;
        return fail(r, r == -ETIMEDOUT ? "ETIMEDOUT" : "EIO");
    }
    for (;;) {
        event_seen = false;
        pump();
        if (reply_ready || broken)
            break;
        if (!sleep_until(deadline))
            break;
    }
    awaited_id = 0;
    if (!reply_ready) {
        if (broken)
            return fail(-EIO, "EIO");
        stats.timeouts++;
        printf("xenbus: no reply to request type %u in %lu us\n", (unsigned)type,
               (unsigned long)XENBUS_REPLY_TIMEOUT_US);
        return fail(-ETIMEDOUT, "ETIMEDOUT");
    }
    if (reply_hdr.type == XS_ERROR) {
        char name[ERRNAME_MAX];
        if (reply_hdr.len == 0 || reply_hdr.len > sizeof(name) ||
            reply_buf[reply_hdr.len - 1] != '\0' || strlen(reply_buf) + 1 != reply_hdr.len) {
            stats.bad_messages++;
            return fail(-EIO, "EIO");
        }
        memcpy(name, reply_buf, reply_hdr.len);
        return fail(errno_of(name), name);
    }
    if (reply_hdr.type != type || reply_hdr.tx_id != t) {
        stats.bad_messages++;
        printf("xenbus: reply of type %u (tx %u) to a type %u (tx %u) request\n",
               (unsigned)reply_hdr.type, (unsigned)reply_hdr.tx_id, (unsigned)type, (unsigned)t);
        return fail(-EIO, "EIO");
    }
    *rlen = reply_hdr.len;
    return 0;
}

/* Requests whose payload is one path (with its NUL). */
static int path_request(uint32_t type, xenbus_transaction_t t, const char *path, uint32_t *rlen)
{
    if (!path)
        return fail(-EINVAL, "EINVAL");
    return request(type, t, path, strlen(path) + 1, NULL, 0, rlen);
}

/* Replies that must be "OK" (the reply is in reply_hdr/reply_buf: passing
 * its length as a second argument would read it before request() ran). */
static int expect_ok(int r)
{
    if (r)
        return r;
    if (reply_hdr.len != sizeof("OK") || memcmp(reply_buf, "OK", sizeof("OK"))) {
        stats.bad_messages++;
        return fail(-EIO, "EIO");
    }
    return 0;
}

int xenbus_init(struct xenstore_domain_interface *intf, evtchn_port_t port)
{
    if (!intf)
        return -EINVAL;
    ring = intf;
    xb_port = port;
    broken = false;
    in_have = 0;
    awaited_id = 0;
    q_head = q_count = 0;
    set_error("");
    if (xs_ring_corrupt(intf)) {
        printf("xenbus: ring at %p has corrupt indices\n", (void *)intf);
        broken = true;
        return -EIO;
    }
    evtchn_set_handler(port, on_event);
    return 0;
}

int xenbus_read(xenbus_transaction_t t, const char *path, char *buf, size_t len)
{
    uint32_t rlen;
    int r = path_request(XS_READ, t, path, &rlen);

    if (r)
        return r;
    if (!buf || (size_t)rlen + 1 > len)
        return fail(-E2BIG, "E2BIG");
    memcpy(buf, reply_buf, rlen);
    buf[rlen] = '\0';
    return 0;
}

int xenbus_write(xenbus_transaction_t t, const char *path, const char *value)
{
    uint32_t rlen;

    if (!path || !value)
        return fail(-EINVAL, "EINVAL");
    /* path with its NUL, then the value without one */
    return expect_ok(request(XS_WRITE, t, path, strlen(path) + 1, value, strlen(value), &rlen));
}

int xenbus_mkdir(xenbus_transaction_t t, const char *path)
{
    uint32_t rlen;
    return expect_ok(path_request(XS_MKDIR, t, path, &rlen));
}

int xenbus_rm(xenbus_transaction_t t, const char *path)
{
    uint32_t rlen;
    return expect_ok(path_request(XS_RM, t, path, &rlen));
}

int xenbus_directory(xenbus_transaction_t t, const char *path, char *buf, size_t len,
                     unsigned *count)
{
    uint32_t rlen;
    unsigned n = 0;
    int r = path_request(XS_DIRECTORY, t, path, &rlen);

    if (r)
        return r;
    if (rlen && reply_buf[rlen - 1] != '\0') {
        stats.bad_messages++;
        return fail(-EIO, "EIO");
    }
    if (!buf || rlen > len)
        return fail(-E2BIG, "E2BIG");
    for (uint32_t i = 0; i < rlen; i++)
        n += reply_buf[i] == '\0';
    memcpy(buf, reply_buf, rlen);
    if (rlen < len)
        buf[rlen] = '\0';
    if (count)
        *count = n;
    return 0;
}

static int watch_request(uint32_t type, const char *path, const char *token)
{
    uint32_t rlen;

    if (!path || !token)
        return fail(-EINVAL, "EINVAL");
    return expect_ok(
        request(type, XBT_NIL, path, strlen(path) + 1, token, strlen(token) + 1, &rlen));
}

int xenbus_watch(const char *path, const char *token) { return watch_request(XS_WATCH, path, token); }

int xenbus_unwatch(const char *path, const char *token)
{
    return watch_request(XS_UNWATCH, path, token);
}

int xenbus_transaction_start(xenbus_transaction_t *t)
{
    uint32_t rlen, id = 0;
    int r;

    if (!t)
        return fail(-EINVAL, "EINVAL");
    r = request(XS_TRANSACTION_START, XBT_NIL, "", 1, NULL, 0, &rlen);
    if (r)
        return r;
    /* a decimal id, NUL-terminated, never 0 */
    if (rlen < 2 || rlen > TX_ID_DIGITS_MAX + 1 || reply_buf[rlen - 1] != '\0' ||
        strlen(reply_buf) + 1 != rlen) {
        stats.bad_messages++;
        return fail(-EIO, "EIO");
    }
    for (uint32_t i = 0; i + 1 < rlen; i++) {
        if (reply_buf[i] < '0' || reply_buf[i] > '9' ||
            id > (UINT32_MAX - (uint32_t)(reply_buf[i] - '0')) / 10) {
            stats.bad_messages++;
            return fail(-EIO, "EIO");
        }
        id = id * 10 + (uint32_t)(reply_buf[i] - '0');
    }
    if (!id) {
        stats.bad_messages++;
        return fail(-EIO, "EIO");
    }
    *t = id;
    return 0;
}

int xenbus_transaction_end(xenbus_transaction_t t, enum xenbus_tx_end how)
{
    uint32_t rlen;
    const char *commit = how == XENBUS_ABORT ? "F" : "T"; /* xenstore.txt: "T" commits */
    return expect_ok(request(XS_TRANSACTION_END, t, commit, 2, NULL, 0, &rlen));
}

int xenbus_get_domain_path(unsigned domid, char *buf, size_t len)
{
    char id[TX_ID_DIGITS_MAX + 1];
    uint32_t rlen;
    int r;

    snprintf(id, sizeof(id), "%u", domid);
    r = request(XS_GET_DOMAIN_PATH, XBT_NIL, id, strlen(id) + 1, NULL, 0, &rlen);
    if (r)
        return r;
    if (rlen == 0 || reply_buf[rlen - 1] != '\0' || strlen(reply_buf) + 1 != rlen) {
        stats.bad_messages++;
        return fail(-EIO, "EIO");
    }
    if (!buf || rlen > len)
        return fail(-E2BIG, "E2BIG");
    memcpy(buf, reply_buf, rlen);
    return 0;
}

int xenbus_wait_watch(char *path, size_t plen, char *token, size_t tlen, uint64_t timeout_us)
{
    uint64_t deadline = deadline_after(timeout_us);

    set_error("");
    irq_disable_local();
    if (!ring)
        return fail(-EIO, "EIO");
    for (;;) {
        event_seen = false;
        pump();
        if (q_count)
            break;
        if (broken)
            return fail(-EIO, "EIO");
        if (timeout_us == 0 || !sleep_until(deadline))
            return fail(-ETIMEDOUT, "ETIMEDOUT");
    }
    struct queued_event *q = &queue[q_head];
    q_head = (q_head + 1) % XENBUS_WATCH_QUEUE;
    q_count--;
    if (!path || !token || strlen(q->path) + 1 > plen || strlen(q->token) + 1 > tlen)
        return fail(-E2BIG, "E2BIG");
    strcpy(path, q->path);
    strcpy(token, q->token);
    return 0;
}
