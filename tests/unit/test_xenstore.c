/*
 * test_xenstore.c — host unit tests of granite's xenstore: the store and
 * wire protocol (guests/dom0/xenstore.c), the ring transport
 * (guests/lib/xs_ring.c) and the domU client (guests/lib/xenbus.c).
 *
 * Build: `make build/tests/test_xenstore` (xenbus.c is included below, with
 * a simulated guest around it, so the rule does not link it separately).
 *
 * How:
 *   - Wire messages are built byte by byte here, from Xen's numbers written
 *     out below (not the headers under test), and fed to xs_conn_input()
 *     whole, split at every byte boundary, and one byte at a time.  Each
 *     connection's send() appends to a capture buffer the test parses.
 *   - xenbus.c is compiled into this file by #include (before <cmocka.h>,
 *     whose fail() macro would clash with a function of the same name), and
 *     the guest environment it expects is simulated: evtchn_send() marks the
 *     server kicked; wait_for_interrupt() runs the server (ring -> store ->
 *     ring), then delivers the client's event, or else the virtual timer
 *     (advancing a fake clock); a WFI with nothing that could wake it, or
 *     with IRQs masked, fails the test, since on hardware it would hang.
 *   - The ring page the simulated client and server share is malloc'ed at
 *     its exact size, so AddressSanitizer sees any access outside it.
 *   - The fuzz tests end with xs_check(), the store's own consistency check.
 *
 * Assumption: a little-endian host (the ring carries native-endian words;
 * the test writes them little-endian, as an Arm guest would).
 */
#include "xenbus.c" /* first: see above */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "xenstore.h"
#include "xs_ring.h"
#include <public/io/xs_wire.h>
#include <public/io/xenbus.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "these tests write the ring's words little-endian"
#endif

/* Xen's numbers, written out independently (xen/include/public/io/xs_wire.h). */
enum {
    T_CONTROL = 0, T_DIRECTORY = 1, T_READ = 2, T_GET_PERMS = 3, T_WATCH = 4, T_UNWATCH = 5,
    T_TX_START = 6, T_TX_END = 7, T_INTRODUCE = 8, T_RELEASE = 9, T_GET_DOMAIN_PATH = 10,
    T_WRITE = 11, T_MKDIR = 12, T_RM = 13, T_SET_PERMS = 14, T_WATCH_EVENT = 15, T_ERROR = 16,
    T_IS_INTRODUCED = 17, T_RESUME = 18, T_SET_TARGET = 19, T_RESTRICT_GONE = 20,
    T_RESET_WATCHES = 21, T_DIRECTORY_PART = 22,
};
#define WIRE_HDR 16
#define WIRE_PAYLOAD_MAX 4096
#define RING_BYTES 1024
#define RING_PAGE_USED 2076 /* 2 x 1024 data, 4 indices, 3 words */
#define ABS_PATH_MAX 3072
#define REL_PATH_MAX 2048
#define CAPTURE_BYTES (256 * 1024)
#define NR_CLIENTS 6
#define TEST_PORT 5
#define HOME1 "/local/domain/1"
#define FE "/local/domain/1/device/vif/0"
#define BE "/local/domain/0/backend/vif/1/0"

/* --- capture of what the store sends each client ---------------------------------- */

struct client {
    struct xs_conn *c;
    unsigned domid;
    bool discard; /* fuzzing: count, do not keep */
    size_t len, pos, sent_total;
    uint32_t next_req;
    unsigned char buf[CAPTURE_BYTES];
};
static struct client clients[NR_CLIENTS];

struct msg {
    uint32_t type, req_id, tx_id, len;
    char payload[WIRE_PAYLOAD_MAX + 1]; /* + a NUL added here */
};

static void capture(struct xs_conn *c, const void *bytes, size_t n)
{
    struct client *cl = xs_conn_ctx(c);

    assert_non_null(cl);
    assert_true(n >= WIRE_HDR && n <= WIRE_HDR + WIRE_PAYLOAD_MAX);
    cl->sent_total += n;
    if (cl->discard)
        return;
    assert_true(cl->len + n <= sizeof(cl->buf));
    memcpy(cl->buf + cl->len, bytes, n);
    cl->len += n;
}

static struct client *open_client(unsigned domid)
{
    for (int i = 0; i < NR_CLIENTS; i++) {
        struct client *cl = &clients[i];
        if (cl->c)
            continue;
        cl->len = cl->pos = cl->sent_total = 0;
        cl->discard = false;
        cl->domid = domid;
        cl->next_req = 100;
        cl->c = xs_conn_open(domid, capture, cl);
        assert_non_null(cl->c);
        return cl;
    }
    fail_msg("no free test client");
    return NULL;
}

static void close_client(struct client *cl)
{
    xs_conn_close(cl->c);
    cl->c = NULL;
}

static void drain(struct client *cl) { cl->len = cl->pos = 0; }

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t build(unsigned char *out, uint32_t type, uint32_t req, uint32_t tx,
                    const void *payload, size_t len)
{
    put32(out, type);
    put32(out + 4, req);
    put32(out + 8, tx);
    put32(out + 12, (uint32_t)len);
    if (len && payload) /* NULL: just the header, announcing len bytes */
        memcpy(out + WIRE_HDR, payload, len);
    return WIRE_HDR + len;
}

/* The next complete message the client received; false if none. */
static bool next_msg(struct client *cl, struct msg *m)
{
    if (cl->len - cl->pos < WIRE_HDR)
        return false;
    const unsigned char *p = cl->buf + cl->pos;
    m->type = get32(p);
    m->req_id = get32(p + 4);
    m->tx_id = get32(p + 8);
    m->len = get32(p + 12);
    assert_true(m->len <= WIRE_PAYLOAD_MAX);
    assert_true(cl->len - cl->pos >= WIRE_HDR + m->len);
    memcpy(m->payload, p + WIRE_HDR, m->len);
    m->payload[m->len] = '\0';
    cl->pos += WIRE_HDR + m->len;
    return true;
}

static int errno_of_name(const char *name)
{
    static const struct { const char *name; int num; } names[] = {
        { "EINVAL", EINVAL }, { "EACCES", EACCES }, { "EEXIST", EEXIST }, { "EISDIR", EISDIR },
        { "ENOENT", ENOENT }, { "ENOMEM", ENOMEM }, { "ENOSPC", ENOSPC }, { "EIO", EIO },
        { "ENOTEMPTY", ENOTEMPTY }, { "ENOSYS", ENOSYS }, { "EROFS", EROFS }, { "EBUSY", EBUSY },
        { "EAGAIN", EAGAIN }, { "EISCONN", EISCONN }, { "E2BIG", E2BIG }, { "EPERM", EPERM },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i].name, name))
            return names[i].num;
    fail_msg("unknown error name \"%s\"", name);
    return 0;
}

/*
 * Send one request, take the reply (the first message after it; later
 * ones, watch events, stay for next_msg()).  Checks the echoed ids; returns
 * 0, or minus the errno an XS_ERROR reply names.
 */
static int wire(struct client *cl, uint32_t type, uint32_t tx, const void *pl, size_t len,
                struct msg *m)
{
    static unsigned char b[WIRE_HDR + WIRE_PAYLOAD_MAX + 64];
    struct msg local;
    uint32_t id = ++cl->next_req;

    if (!m)
        m = &local;
    drain(cl);
    assert_true(len <= sizeof(b) - WIRE_HDR);
    assert_int_equal(xs_conn_input(cl->c, b, build(b, type, id, tx, pl, len)), 0);
    assert_true(next_msg(cl, m));
    assert_int_equal(m->req_id, id);
    assert_int_equal(m->tx_id, tx);
    if (m->type == T_ERROR) {
        assert_true(m->len >= 2);
        assert_int_equal(m->payload[m->len - 1], '\0');
        assert_int_equal(strlen(m->payload) + 1, m->len);
        return -errno_of_name(m->payload);
    }
    assert_int_equal(m->type, type);
    return 0;
}

static char plb[WIRE_PAYLOAD_MAX + 64];

static size_t pl_str(const char *s)
{
    size_t n = strlen(s) + 1;
    assert_true(n <= sizeof(plb));
    memcpy(plb, s, n);
    return n;
}

static size_t pl_two(const char *a, const char *b)
{
    size_t na = strlen(a) + 1, nb = strlen(b) + 1;
    assert_true(na + nb <= sizeof(plb));
    memcpy(plb, a, na);
    memcpy(plb + na, b, nb);
    return na + nb;
}

static size_t pl_write(const char *path, const void *val, size_t vlen)
{
    size_t np = strlen(path) + 1;
    assert_true(np + vlen <= sizeof(plb));
    memcpy(plb, path, np);
    memcpy(plb + np, val, vlen);
    return np + vlen;
}

static void expect_ok_payload(const struct msg *m)
{
    assert_int_equal(m->len, 3);
    assert_memory_equal(m->payload, "OK\0", 3);
}

static int w_ok(struct client *cl, uint32_t type, uint32_t tx, size_t len)
{
    struct msg m;
    int r = wire(cl, type, tx, plb, len, &m);
    if (!r)
        expect_ok_payload(&m);
    return r;
}

static int w_write(struct client *cl, uint32_t tx, const char *path, const char *val)
{
    return w_ok(cl, T_WRITE, tx, pl_write(path, val, strlen(val)));
}

static int w_mkdir(struct client *cl, uint32_t tx, const char *path)
{
    return w_ok(cl, T_MKDIR, tx, pl_str(path));
}

static int w_rm(struct client *cl, uint32_t tx, const char *path)
{
    return w_ok(cl, T_RM, tx, pl_str(path));
}

static int w_watch(struct client *cl, const char *path, const char *token)
{
    return w_ok(cl, T_WATCH, 0, pl_two(path, token));
}

static int w_unwatch(struct client *cl, const char *path, const char *token)
{
    return w_ok(cl, T_UNWATCH, 0, pl_two(path, token));
}

/* The value, NUL-terminated into val (WIRE_PAYLOAD_MAX + 1 bytes) if given. */
static int w_read(struct client *cl, uint32_t tx, const char *path, char *val)
{
    struct msg m;
    int r = wire(cl, T_READ, tx, plb, pl_str(path), &m);
    if (!r && val)
        memcpy(val, m.payload, m.len + 1);
    return r;
}

/* Children as "a,b,c" (the wire has "a\0b\0c\0"). */
static int w_dir(struct client *cl, uint32_t tx, const char *path, char *joined)
{
    struct msg m;
    int r = wire(cl, T_DIRECTORY, tx, plb, pl_str(path), &m);
    if (r)
        return r;
    if (m.len)
        assert_int_equal(m.payload[m.len - 1], '\0');
    for (uint32_t i = 0; i < m.len; i++)
        joined[i] = m.payload[i] ? m.payload[i] : ',';
    joined[m.len ? m.len - 1 : 0] = '\0';
    return 0;
}

static int w_tx_start(struct client *cl, uint32_t *id)
{
    struct msg m;
    int r = wire(cl, T_TX_START, 0, "", 1, &m);
    if (!r) {
        assert_true(m.len >= 2);
        assert_int_equal(m.payload[m.len - 1], '\0');
        *id = (uint32_t)strtoul(m.payload, NULL, 10);
        assert_true(*id != 0);
    }
    return r;
}

static int w_tx_end(struct client *cl, uint32_t id, bool commit)
{
    struct msg m;
    int r = wire(cl, T_TX_END, id, commit ? "T" : "F", 2, &m);
    if (!r)
        expect_ok_payload(&m);
    return r;
}

/* The next message must be a watch event for (path, token). */
static void expect_event(struct client *cl, const char *path, const char *token)
{
    struct msg m;

    assert_true(next_msg(cl, &m));
    assert_int_equal(m.type, T_WATCH_EVENT);
    assert_int_equal(m.req_id, 0);
    assert_int_equal(m.tx_id, 0);
    assert_int_equal(m.len, strlen(path) + 1 + strlen(token) + 1);
    assert_string_equal(m.payload, path);
    assert_string_equal(m.payload + strlen(path) + 1, token);
}

static void expect_no_message(struct client *cl)
{
    struct msg m;
    if (next_msg(cl, &m))
        fail_msg("unexpected message type %u: \"%s\"", m.type, m.payload);
}

/* --- local watches and the log ---------------------------------------------------- */

#define MAX_LOCAL_EVENTS 64
struct local_event {
    char path[512];
    char token[128];
    void *ctx;
};
static struct local_event levents[MAX_LOCAL_EVENTS];
static unsigned nlevents;

static void on_local(const char *path, const char *token, void *ctx)
{
    if (nlevents < MAX_LOCAL_EVENTS) {
        snprintf(levents[nlevents].path, sizeof(levents[0].path), "%s", path);
        snprintf(levents[nlevents].token, sizeof(levents[0].token), "%s", token);
        levents[nlevents].ctx = ctx;
    }
    nlevents++;
}

#define LOG_KEEP 512
static char logs[LOG_KEEP][400];
static unsigned nlogs;

static void on_log(const char *line)
{
    printf("    [log] %s", line);
    if (nlogs < LOG_KEEP)
        snprintf(logs[nlogs], sizeof(logs[0]), "%s", line);
    nlogs++;
}

static void quiet_log(const char *line)
{
    (void)line;
    nlogs++;
}

static bool log_has(const char *needle)
{
    for (unsigned i = 0; i < nlogs && i < LOG_KEEP; i++)
        if (strstr(logs[i], needle))
            return true;
    return false;
}

/* --- the guest environment xenbus.c runs in, simulated -------------------------- */

static struct xenstore_domain_interface *sim_ring;
static struct xs_conn *sim_conn;
static unsigned char sim_out[CAPTURE_BYTES]; /* server output not yet in the ring */
static size_t sim_out_len;
static bool sim_server_kicked, sim_client_pending, sim_server_deaf, sim_irq_on;
static bool sim_timer_armed;
static uint64_t sim_now, sim_timer_at;
static gic_handler_t sim_timer_fn;
static evtchn_handler_t sim_client_fn;
static evtchn_port_t sim_client_port;
static unsigned sim_wfi, sim_kicks;

static void sim_flush(void)
{
    size_t n = xs_ring_server_write(sim_ring, sim_out, sim_out_len);
    if (n) {
        memmove(sim_out, sim_out + n, sim_out_len - n);
        sim_out_len -= n;
        sim_client_pending = true;
    }
}

static void sim_send(struct xs_conn *c, const void *bytes, size_t n)
{
    (void)c;
    assert_true(sim_out_len + n <= sizeof(sim_out));
    memcpy(sim_out + sim_out_len, bytes, n);
    sim_out_len += n;
    sim_flush();
}

/* What dom0's daemon does on an event: requests in, responses out. */
static void sim_server_run(void)
{
    unsigned char b[300];
    size_t n;
    bool took = false;

    sim_server_kicked = false;
    while ((n = xs_ring_server_read(sim_ring, b, sizeof(b))) > 0) {
        took = true;
        assert_int_equal(xs_conn_input(sim_conn, b, n), 0);
    }
    if (took)
        sim_client_pending = true; /* the server kicks after consuming */
    sim_flush();
}

long evtchn_send(evtchn_port_t port)
{
    assert_int_equal(port, sim_client_port);
    sim_kicks++;
    sim_server_kicked = true;
    return 0;
}

void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t h)
{
    sim_client_port = port;
    sim_client_fn = h;
}

/* An interrupt the simulated CPU has seen but not yet taken (IRQs masked). */
static bool sim_event_irq, sim_timer_irq;

static void sim_take_interrupts(void)
{
    if (sim_event_irq) {
        sim_event_irq = false;
        sim_client_fn(sim_client_port);
    }
    if (sim_timer_irq) {
        sim_timer_irq = false;
        sim_timer_fn(INTID_VTIMER);
    }
}

void irq_enable_local(void)
{
    sim_irq_on = true;
    sim_take_interrupts();
}
void irq_disable_local(void) { sim_irq_on = false; }
uint64_t guest_time_us(void) { return sim_now; }

void gic_enable_irq(unsigned vcpu, uint32_t intid, gic_handler_t h)
{
    assert_int_equal(vcpu, 0);
    if (intid == INTID_VTIMER)
        sim_timer_fn = h;
}

void vtimer_arm_us(uint64_t us)
{
    sim_timer_at = sim_now + us;
    sim_timer_armed = true;
}

void vtimer_stop(void) { sim_timer_armed = false; }

/* WFI wakes for a pending interrupt whether or not IRQs are masked (Arm ARM
 * D1.6.2); the handler runs when they are (or once they are unmasked). */
void wait_for_interrupt(void)
{
    sim_wfi++;
    if (sim_server_kicked && !sim_server_deaf)
        sim_server_run();
    if (sim_client_pending) {
        sim_client_pending = false;
        sim_event_irq = true;
    } else if (sim_timer_armed) {
        if (sim_now < sim_timer_at)
            sim_now = sim_timer_at;
        sim_timer_armed = false;
        sim_timer_irq = true;
    } else if (!sim_event_irq && !sim_timer_irq) {
        fail_msg("WFI with nothing pending and no timer: the guest would hang");
    }
    if (sim_irq_on)
        sim_take_interrupts();
}

/* guests/lib/gic.c's masked sleep, on the simulated CPU. */
void guest_wfi_masked(void)
{
    wait_for_interrupt();
    irq_enable_local();
    irq_disable_local();
}

static void sim_start(unsigned domid)
{
    sim_ring = malloc(sizeof(*sim_ring)); /* exact size: ASan sees any overrun */
    assert_non_null(sim_ring);
    memset(sim_ring, 0xA5, sizeof(*sim_ring)); /* unused bytes have no defined value */
    xs_ring_server_init(sim_ring);
    sim_conn = xs_conn_open(domid, sim_send, NULL);
    assert_non_null(sim_conn);
    sim_out_len = 0;
    sim_server_kicked = sim_client_pending = sim_server_deaf = sim_irq_on = false;
    sim_event_irq = sim_timer_irq = false;
    sim_timer_armed = false;
    sim_wfi = sim_kicks = 0;
    assert_int_equal(xenbus_init(sim_ring, TEST_PORT), 0);
}

/* --- fixtures -------------------------------------------------------------------- */

/* d1's vif backend directory in dom0's home, with the permissions the
 * toolstack gives it: dom0 owns it, d1 may read it. */
static void make_be(void)
{
    static const struct xs_perm perms[] = { { 0, XS_PERM_NONE }, { 1, XS_PERM_READ } };
    assert_int_equal(xs_mkdir(BE), 0);
    assert_int_equal(xs_set_perms(BE, perms, 2), 0);
}

static int setup(void **state)
{
    (void)state;
    xs_init();
    xs_set_log(on_log);
    for (int i = 0; i < NR_CLIENTS; i++)
        clients[i].c = NULL;
    nlevents = 0;
    nlogs = 0;
    sim_ring = NULL;
    sim_now = 1000;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(xs_check(), 0);
    free(sim_ring);
    sim_ring = NULL;
    return 0;
}

/* ================================================================================ */
/* layout and basics                                                                */
/* ================================================================================ */

static void test_wire_layout(void **state)
{
    (void)state;
    /* the header the code uses has Xen's shape and numbers */
    assert_int_equal(sizeof(struct xsd_sockmsg), WIRE_HDR);
    assert_int_equal(offsetof(struct xsd_sockmsg, req_id), 4);
    assert_int_equal(offsetof(struct xsd_sockmsg, tx_id), 8);
    assert_int_equal(offsetof(struct xsd_sockmsg, len), 12);
    assert_int_equal(XS_READ, T_READ);
    assert_int_equal(XS_WRITE, T_WRITE);
    assert_int_equal(XS_WATCH_EVENT, T_WATCH_EVENT);
    assert_int_equal(XS_ERROR, T_ERROR);
    assert_int_equal(XS_SET_TARGET, T_SET_TARGET);
    assert_int_equal(XS_RESET_WATCHES, T_RESET_WATCHES);
    assert_int_equal(XS_DIRECTORY_PART, T_DIRECTORY_PART);
    assert_int_equal(XENSTORE_RING_SIZE, RING_BYTES);
    assert_int_equal(offsetof(struct xenstore_domain_interface, rsp), 1024);
    assert_int_equal(offsetof(struct xenstore_domain_interface, req_cons), 2048);
    assert_int_equal(offsetof(struct xenstore_domain_interface, req_prod), 2052);
    assert_int_equal(offsetof(struct xenstore_domain_interface, rsp_cons), 2056);
    assert_int_equal(offsetof(struct xenstore_domain_interface, rsp_prod), 2060);
    assert_int_equal(offsetof(struct xenstore_domain_interface, server_features), 2064);
    assert_int_equal(offsetof(struct xenstore_domain_interface, connection), 2068);
    assert_int_equal(offsetof(struct xenstore_domain_interface, error), 2072);
    assert_int_equal(sizeof(struct xenstore_domain_interface), RING_PAGE_USED);
    assert_int_equal(XENSTORE_PAYLOAD_MAX, WIRE_PAYLOAD_MAX);
    assert_int_equal(XENSTORE_ABS_PATH_MAX, ABS_PATH_MAX);
    assert_int_equal(XENSTORE_REL_PATH_MAX, REL_PATH_MAX);
    assert_int_equal(MASK_XENSTORE_IDX(1025u), 1);
    assert_int_equal(XenbusStateInitWait, 2);
    assert_int_equal(XenbusStateConnected, 4);
    assert_int_equal(XenbusStateReconfigured, 8);
}

static void test_init_store(void **state)
{
    char buf[64];
    unsigned count;
    (void)state;

    assert_int_equal(xs_read("/local/domain/0", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    assert_int_equal(xs_directory("/", buf, sizeof(buf), &count), 0);
    assert_int_equal(count, 1);
    assert_string_equal(buf, "local");
    assert_int_equal(xs_read("/local/domain/1", buf, sizeof(buf)), -ENOENT);
    /* opening a connection creates the domain's home, as a toolstack would */
    open_client(1);
    assert_int_equal(xs_read("/local/domain/1", buf, sizeof(buf)), 0);
    assert_int_equal(xs_directory("/local/domain", buf, sizeof(buf), &count), 0);
    assert_int_equal(count, 2);
    assert_memory_equal(buf, "0\0" "1\0", 4);
}

/* ================================================================================ */
/* each operation over the wire                                                      */
/* ================================================================================ */

static void test_wire_write_read(void **state)
{
    struct client *cl = open_client(0);
    char val[WIRE_PAYLOAD_MAX + 1];
    struct msg m;
    (void)state;

    assert_int_equal(w_write(cl, 0, "/a/b/c", "hello"), 0);
    assert_int_equal(w_read(cl, 0, "/a/b/c", val), 0);
    assert_string_equal(val, "hello");
    /* parents were created, empty */
    assert_int_equal(w_read(cl, 0, "/a/b", val), 0);
    assert_string_equal(val, "");
    /* a READ reply is the bare value: no NUL on the wire */
    assert_int_equal(wire(cl, T_READ, 0, plb, pl_str("/a/b/c"), &m), 0);
    assert_int_equal(m.len, 5);
    /* overwrite; empty value; bytes with NULs inside come back as they were */
    assert_int_equal(w_write(cl, 0, "/a/b/c", "x"), 0);
    assert_int_equal(w_read(cl, 0, "/a/b/c", val), 0);
    assert_string_equal(val, "x");
    assert_int_equal(w_ok(cl, T_WRITE, 0, pl_write("/a/e", "", 0)), 0);
    assert_int_equal(wire(cl, T_READ, 0, plb, pl_str("/a/e"), &m), 0);
    assert_int_equal(m.len, 0);
    assert_int_equal(w_ok(cl, T_WRITE, 0, pl_write("/a/bin", "a\0b\0", 4)), 0);
    assert_int_equal(wire(cl, T_READ, 0, plb, pl_str("/a/bin"), &m), 0);
    assert_int_equal(m.len, 4);
    assert_memory_equal(m.payload, "a\0b\0", 4);
    /* the in-process API sees the same store */
    assert_int_equal(xs_read("/a/b/c", val, sizeof(val)), 0);
    assert_string_equal(val, "x");
    assert_int_equal(w_read(cl, 0, "/nope", val), -ENOENT);
}

static void test_wire_mkdir(void **state)
{
    struct client *cl = open_client(0);
    char val[WIRE_PAYLOAD_MAX + 1];
    (void)state;

    assert_int_equal(w_mkdir(cl, 0, "/m/n/o"), 0);
    assert_int_equal(w_read(cl, 0, "/m/n/o", val), 0);
    assert_string_equal(val, "");
    assert_int_equal(w_write(cl, 0, "/m/n/o", "keep"), 0);
    /* mkdir of an existing node succeeds and keeps its value */
    assert_int_equal(w_mkdir(cl, 0, "/m/n/o"), 0);
    assert_int_equal(w_read(cl, 0, "/m/n/o", val), 0);
    assert_string_equal(val, "keep");
    assert_int_equal(w_mkdir(cl, 0, "/"), 0);
}

static void test_wire_rm(void **state)
{
    struct client *cl = open_client(0);
    char list[WIRE_PAYLOAD_MAX + 1];
    (void)state;

    assert_int_equal(w_write(cl, 0, "/r/a/x", "1"), 0);
    assert_int_equal(w_write(cl, 0, "/r/a/y/z", "2"), 0);
    assert_int_equal(w_write(cl, 0, "/r/b", "3"), 0);
    assert_int_equal(w_rm(cl, 0, "/r/a"), 0); /* a subtree goes at once */
    assert_int_equal(w_read(cl, 0, "/r/a/y/z", NULL), -ENOENT);
    assert_int_equal(w_read(cl, 0, "/r/a", NULL), -ENOENT);
    assert_int_equal(w_dir(cl, 0, "/r", list), 0);
    assert_string_equal(list, "b");
    /* removing what is not there: fine if the parent is, else ENOENT */
    assert_int_equal(w_rm(cl, 0, "/r/a"), 0);
    assert_int_equal(w_rm(cl, 0, "/r/a/deeper"), -ENOENT);
    assert_int_equal(w_rm(cl, 0, "/"), -EINVAL);
    /* the freed slots are reusable */
    assert_int_equal(w_write(cl, 0, "/r/a/x", "again"), 0);
}

static void test_wire_directory(void **state)
{
    struct client *cl = open_client(0);
    char list[WIRE_PAYLOAD_MAX + 1];
    struct msg m;
    (void)state;

    assert_int_equal(w_write(cl, 0, "/d/zeta", ""), 0);
    assert_int_equal(w_write(cl, 0, "/d/alpha", ""), 0);
    assert_int_equal(w_mkdir(cl, 0, "/d/mid/sub"), 0);
    assert_int_equal(w_dir(cl, 0, "/d", list), 0);
    assert_string_equal(list, "zeta,alpha,mid"); /* creation order */
    assert_int_equal(wire(cl, T_DIRECTORY, 0, plb, pl_str("/d"), &m), 0);
    assert_int_equal(m.len, sizeof("zeta\0alpha\0mid"));
    assert_int_equal(wire(cl, T_DIRECTORY, 0, plb, pl_str("/d/alpha"), &m), 0);
    assert_int_equal(m.len, 0); /* no children: empty payload */
    assert_int_equal(w_dir(cl, 0, "/d/none", list), -ENOENT);
    /* removal and re-creation: the re-created child is now last */
    assert_int_equal(w_rm(cl, 0, "/d/zeta"), 0);
    assert_int_equal(w_write(cl, 0, "/d/zeta", ""), 0);
    assert_int_equal(w_dir(cl, 0, "/d", list), 0);
    assert_string_equal(list, "alpha,mid,zeta");
}

static void test_wire_get_domain_path(void **state)
{
    struct client *cl = open_client(3);
    struct msg m;
    (void)state;

    assert_int_equal(wire(cl, T_GET_DOMAIN_PATH, 0, "7", 2, &m), 0);
    assert_int_equal(m.len, sizeof("/local/domain/7"));
    assert_string_equal(m.payload, "/local/domain/7");
    assert_int_equal(wire(cl, T_GET_DOMAIN_PATH, 0, "0", 2, &m), 0);
    assert_string_equal(m.payload, "/local/domain/0");
    assert_int_equal(wire(cl, T_GET_DOMAIN_PATH, 0, "x", 2, &m), -EINVAL);
    assert_int_equal(wire(cl, T_GET_DOMAIN_PATH, 0, "", 1, &m), -EINVAL);
    assert_int_equal(wire(cl, T_GET_DOMAIN_PATH, 0, "32752", 6, &m), -EINVAL); /* DOMID_SELF */
    assert_int_equal(wire(cl, T_GET_DOMAIN_PATH, 0, "123456", 7, &m), -EINVAL);
    assert_int_equal(wire(cl, T_GET_DOMAIN_PATH, 0, "7", 1, &m), -EINVAL); /* no NUL */
}

static void test_wire_relative_paths(void **state)
{
    struct client *cl = open_client(1);
    char val[WIRE_PAYLOAD_MAX + 1], list[WIRE_PAYLOAD_MAX + 1];
    (void)state;

    assert_int_equal(w_write(cl, 0, "device/vif/0/state", "1"), 0);
    assert_int_equal(xs_read(FE "/state", val, sizeof(val)), 0);
    assert_string_equal(val, "1");
    assert_int_equal(w_read(cl, 0, FE "/state", val), 0);
    assert_string_equal(val, "1");
    assert_int_equal(w_dir(cl, 0, "device", list), 0);
    assert_string_equal(list, "vif");
    assert_int_equal(w_rm(cl, 0, "device"), 0);
    assert_int_equal(xs_read(FE "/state", val, sizeof(val)), -ENOENT);
}

static void test_get_set_perms(void **state)
{
    struct client *d1 = open_client(1), *d0 = open_client(0);
    struct msg m;
    (void)state;

    make_be(); /* the toolstack's: dom0 owns it, d1 may read it */
    assert_int_equal(xs_write(BE "/state", "2"), 0);
    assert_int_equal(xs_write("/local/domain/0/secret", "s"), 0);
    assert_int_equal(w_write(d1, 0, "data/x", "v"), 0);

    assert_int_equal(wire(d1, T_GET_PERMS, 0, plb, pl_str(HOME1 "/data/x"), &m), 0);
    assert_int_equal(m.len, 3);
    assert_memory_equal(m.payload, "n1\0", 3);
    assert_int_equal(wire(d1, T_GET_PERMS, 0, plb, pl_str(BE "/state"), &m), 0);
    assert_int_equal(m.len, 6);
    assert_memory_equal(m.payload, "n0\0r1\0", 6);
    assert_int_equal(wire(d0, T_GET_PERMS, 0, plb, pl_str("/local/domain/0/secret"), &m), 0);
    assert_memory_equal(m.payload, "n0\0", 3);
    assert_int_equal(wire(d1, T_GET_PERMS, 0, plb, pl_str("/local/domain/0/secret"), &m),
                     -EACCES);
    assert_int_equal(wire(d1, T_GET_PERMS, 0, plb, pl_str(HOME1 "/none"), &m), -ENOENT);

    /* the owner replaces the list (Xen's notation); GET_PERMS reports it */
    static const char perms[] = HOME1 "/data/x\0n1\0r0\0b2";
    assert_int_equal(w_ok(d1, T_SET_PERMS, 0, (memcpy(plb, perms, sizeof(perms)), sizeof(perms))),
                     0);
    assert_int_equal(wire(d1, T_GET_PERMS, 0, plb, pl_str(HOME1 "/data/x"), &m), 0);
    assert_int_equal(m.len, 9);
    assert_memory_equal(m.payload, "n1\0r0\0b2\0", 9);
    static const char theirs[] = "/local/domain/0/secret\0b1";
    assert_int_equal(wire(d1, T_SET_PERMS, 0, theirs, sizeof(theirs), &m), -EACCES);
    static const char bad[] = HOME1 "/data/x\0x1";
    assert_int_equal(wire(d1, T_SET_PERMS, 0, bad, sizeof(bad), &m), -EINVAL);
    static const char bad_id[] = HOME1 "/data/x\0r99999";
    assert_int_equal(wire(d1, T_SET_PERMS, 0, bad_id, sizeof(bad_id), &m), -EINVAL);
    static const char none[] = HOME1 "/data/x";
    assert_int_equal(wire(d1, T_SET_PERMS, 0, none, sizeof(none), &m), -EINVAL);
    static const char many[] = HOME1 "/data/x\0n1\0r2\0r3\0r4\0r5\0r6\0r7\0r8\0r9";
    assert_int_equal(wire(d1, T_SET_PERMS, 0, many, sizeof(many), &m), -E2BIG);
    /* giving its node away is dom0's business */
    static const char away[] = HOME1 "/data/x\0n2";
    assert_int_equal(wire(d1, T_SET_PERMS, 0, away, sizeof(away), &m), -EPERM);
    /* its home node is the toolstack's */
    static const char home[] = HOME1 "\0n1\0r2";
    assert_int_equal(wire(d1, T_SET_PERMS, 0, home, sizeof(home), &m), -EACCES);
    static const char missing[] = HOME1 "/data/none\0n1";
    assert_int_equal(wire(d1, T_SET_PERMS, 0, missing, sizeof(missing), &m), -ENOENT);
    assert_int_equal(wire(d1, T_GET_PERMS, 0, plb, pl_str(HOME1 "/data/x"), &m), 0);
    assert_memory_equal(m.payload, "n1\0r0\0b2\0", 9);
}

/* One stream, fed whole, split at every byte boundary, and byte by byte: the
 * replies must be the same bytes each time.  With `single`, nothing may come
 * out before the last byte is in. */
static void split_check(struct client *cl, const unsigned char *s, size_t len, bool single)
{
    static unsigned char want[CAPTURE_BYTES];
    size_t wlen;

    drain(cl);
    assert_int_equal(xs_conn_input(cl->c, s, len), 0);
    wlen = cl->len;
    assert_true(wlen >= WIRE_HDR);
    memcpy(want, cl->buf, wlen);
    for (size_t k = 1; k < len; k++) {
        drain(cl);
        assert_int_equal(xs_conn_input(cl->c, s, k), 0);
        if (single)
            assert_int_equal(cl->len, 0);
        assert_int_equal(xs_conn_input(cl->c, s + k, len - k), 0);
        assert_int_equal(cl->len, wlen);
        assert_memory_equal(cl->buf, want, wlen);
    }
    drain(cl);
    for (size_t k = 0; k < len; k++)
        assert_int_equal(xs_conn_input(cl->c, s + k, 1), 0);
    assert_int_equal(cl->len, wlen);
    assert_memory_equal(cl->buf, want, wlen);
}

static void test_split_every_boundary(void **state)
{
    static unsigned char s[2 * (WIRE_HDR + 256)];
    struct client *cl = open_client(1);
    struct msg m;
    size_t n;
    (void)state;

    make_be(); /* the toolstack's: dom0 owns it, d1 may read it */
    assert_int_equal(xs_write(BE "/state", "2"), 0);
    n = build(s, T_WRITE, 1, 0, plb, pl_write(HOME1 "/k", "value", 5));
    split_check(cl, s, n, true);
    n = build(s, T_READ, 2, 0, plb, pl_str(HOME1 "/k"));
    split_check(cl, s, n, true);
    assert_true(next_msg(cl, &m));
    assert_int_equal(m.type, T_READ);
    assert_int_equal(m.req_id, 2);
    assert_string_equal(m.payload, "value");
    n = build(s, T_MKDIR, 3, 0, plb, pl_str("dir/sub"));
    split_check(cl, s, n, true);
    n = build(s, T_DIRECTORY, 4, 0, plb, pl_str(HOME1));
    split_check(cl, s, n, true);
    n = build(s, T_RM, 5, 0, plb, pl_str(HOME1 "/not-there"));
    split_check(cl, s, n, true);
    n = build(s, T_GET_DOMAIN_PATH, 6, 0, "1", 2);
    split_check(cl, s, n, true);
    n = build(s, T_GET_PERMS, 7, 0, plb, pl_str(BE "/state"));
    split_check(cl, s, n, true);
    n = build(s, T_READ, 8, 0, plb, pl_str("/local/domain/0/x")); /* EACCES */
    split_check(cl, s, n, true);
    assert_true(next_msg(cl, &m));
    assert_int_equal(m.type, T_ERROR);
    assert_string_equal(m.payload, "EACCES");
    n = build(s, 99, 9, 0, NULL, 0); /* unknown type, empty payload */
    split_check(cl, s, n, true);
    /* two messages in one stream: WATCH (reply + event) then UNWATCH */
    n = build(s, T_WATCH, 10, 0, plb, pl_two("device", "tok"));
    n += build(s + n, T_UNWATCH, 11, 0, plb, pl_two("device", "tok"));
    split_check(cl, s, n, false);
    assert_true(next_msg(cl, &m));
    assert_int_equal(m.type, T_WATCH);
    expect_event(cl, "device", "tok");
    assert_true(next_msg(cl, &m));
    assert_int_equal(m.type, T_UNWATCH);
    expect_no_message(cl);
}

static void test_many_messages_one_call(void **state)
{
    static unsigned char s[8 * (WIRE_HDR + 64)];
    struct client *cl = open_client(2);
    struct msg m;
    size_t n = 0;
    (void)state;

    n += build(s + n, T_WRITE, 21, 0, plb, pl_write("a", "1", 1));
    n += build(s + n, T_WRITE, 22, 0, plb, pl_write("b", "2", 1));
    n += build(s + n, T_READ, 23, 0, plb, pl_str("a"));
    n += build(s + n, T_READ, 24, 0, plb, pl_str("/local/domain/1/x")); /* EACCES */
    n += build(s + n, T_DIRECTORY, 25, 0, plb, pl_str("/local/domain/2"));
    drain(cl);
    assert_int_equal(xs_conn_input(cl->c, s, n), 0);
    for (uint32_t id = 21; id <= 25; id++) {
        assert_true(next_msg(cl, &m));
        assert_int_equal(m.req_id, id);
    }
    assert_int_equal(m.type, T_DIRECTORY);
    assert_memory_equal(m.payload, "a\0b\0", 4);
    expect_no_message(cl);
}

/* ================================================================================ */
/* the permission policy                                                            */
/* ================================================================================ */

static void test_perms_domu_allowed(void **state)
{
    struct client *d1 = open_client(1);
    char val[WIRE_PAYLOAD_MAX + 1], list[WIRE_PAYLOAD_MAX + 1];
    (void)state;

    make_be(); /* the toolstack's: dom0 owns it, d1 may read it */
    assert_int_equal(xs_write(BE "/state", "2"), 0);
    assert_int_equal(xs_write(BE "/feature-rx-copy", "1"), 0);
    assert_int_equal(w_write(d1, 0, HOME1 "/data/a", "1"), 0);
    assert_int_equal(w_write(d1, 0, "data/b", "2"), 0);
    assert_int_equal(w_mkdir(d1, 0, HOME1 "/data/c"), 0);
    assert_int_equal(w_read(d1, 0, HOME1, val), 0);
    assert_int_equal(w_dir(d1, 0, HOME1 "/data", list), 0);
    assert_string_equal(list, "a,b,c");
    assert_int_equal(w_read(d1, 0, BE "/state", val), 0);
    assert_string_equal(val, "2");
    assert_int_equal(w_dir(d1, 0, BE, list), 0);
    assert_string_equal(list, "state,feature-rx-copy");
    /* the directory above it is dom0's alone */
    assert_int_equal(w_dir(d1, 0, "/local/domain/0/backend/vif/1", list), -EACCES);
    assert_int_equal(w_rm(d1, 0, HOME1 "/data/c"), 0);
    assert_int_equal(w_rm(d1, 0, "data"), 0);
}

static void test_perms_domu_denied(void **state)
{
    struct client *d1 = open_client(1);
    char val[WIRE_PAYLOAD_MAX + 1], list[WIRE_PAYLOAD_MAX + 1];
    const struct xs_stats *st = xs_get_stats();
    (void)state;

    open_client(2);
    assert_int_equal(xs_write("/local/domain/0/foo", "dom0's"), 0);
    assert_int_equal(xs_write("/local/domain/2/x", "d2's"), 0);
    assert_int_equal(xs_write("/local/domain/10/x", "d10's"), 0);
    assert_int_equal(xs_write("/local/domain/0/backend/vif/2/0/state", "2"), 0);
    assert_int_equal(xs_write("/local/domain/0/backend/vif/10/0/state", "2"), 0);
    make_be(); /* the toolstack's: dom0 owns it, d1 may read it */
    assert_int_equal(xs_write(BE "/state", "2"), 0);

    uint64_t errors = st->errors, bad = st->bad_input;
    nlogs = 0;
    assert_int_equal(w_write(d1, 0, "/local/domain/0/foo", "mine"), -EACCES);
    assert_true(log_has("xenstore: d1: WRITE /local/domain/0/foo: EACCES\n"));
    assert_int_equal(w_read(d1, 0, "/local/domain/0/foo", val), -EACCES);
    assert_int_equal(w_read(d1, 0, "/local/domain/0/nothing", val), -EACCES); /* no leak */
    assert_int_equal(w_read(d1, 0, "/local/domain/2/x", val), -EACCES);
    assert_int_equal(w_read(d1, 0, "/local/domain/10/x", val), -EACCES); /* not "1" + "0" */
    assert_int_equal(w_read(d1, 0, "/local/domain/0/backend/vif/2/0/state", val), -EACCES);
    assert_int_equal(w_read(d1, 0, "/local/domain/0/backend/vif/10/0/state", val), -EACCES);
    assert_int_equal(w_write(d1, 0, BE "/state", "4"), -EACCES); /* read-only for it */
    assert_int_equal(w_rm(d1, 0, BE), -EACCES);
    assert_int_equal(w_dir(d1, 0, "/local/domain/0/backend/vif", list), -EACCES);
    assert_int_equal(w_dir(d1, 0, "/local/domain", list), -EACCES);
    assert_int_equal(w_read(d1, 0, "/", val), -EACCES);
    assert_int_equal(w_write(d1, 0, HOME1, "x"), -EACCES); /* its home itself */
    assert_int_equal(w_rm(d1, 0, HOME1), -EACCES);
    assert_int_equal(w_mkdir(d1, 0, "/tool/x"), -EACCES);
    assert_int_equal(w_write(d1, 0, "/local/domain/2/x", "overwrite"), -EACCES);
    assert_int_equal(st->errors - errors, 16);
    assert_int_equal(st->bad_input, bad); /* refusals are not malformed input */
    /* nothing changed */
    assert_int_equal(xs_read("/local/domain/0/foo", val, sizeof(val)), 0);
    assert_string_equal(val, "dom0's");
    assert_int_equal(xs_read(BE "/state", val, sizeof(val)), 0);
    assert_string_equal(val, "2");
    assert_int_equal(xs_read("/local/domain/2/x", val, sizeof(val)), 0);
    assert_string_equal(val, "d2's");
    assert_int_equal(xs_read("/tool", val, sizeof(val)), -ENOENT);
}

static void test_perms_dom0_everything(void **state)
{
    struct client *d0 = open_client(0);
    char list[WIRE_PAYLOAD_MAX + 1];
    (void)state;

    open_client(1);
    assert_int_equal(w_write(d0, 0, HOME1 "/x", "from dom0"), 0);
    assert_int_equal(w_write(d0, 0, "/tool/y", "1"), 0);
    assert_int_equal(w_dir(d0, 0, "/", list), 0);
    assert_string_equal(list, "local,tool");
    assert_int_equal(w_rm(d0, 0, HOME1), 0);
    assert_int_equal(w_write(d0, 0, "backend/vif/1/0/state", "1"), 0); /* relative to d0 */
    assert_int_equal(xs_read(BE "/state", list, sizeof(list)), 0);
}

/* The toolstack's vif nodes with the backend in a third domain (d3), as
 * net=store sets them up: d3 reads the frontend directory it was given and
 * writes its own backend directory; the frontend reads that; nobody else
 * reads either. */
#define DRV_BE "/local/domain/3/backend/vif/1/0"
static void make_third_domain_vif(void)
{
    static const struct xs_perm fe[] = { { 1, XS_PERM_NONE }, { 3, XS_PERM_READ } };
    static const struct xs_perm be[] = { { 3, XS_PERM_NONE }, { 1, XS_PERM_READ } };
    assert_int_equal(xs_mkdir(FE), 0);
    assert_int_equal(xs_set_perms(FE, fe, 2), 0);
    assert_int_equal(xs_write(FE "/backend", DRV_BE), 0);
    assert_int_equal(xs_mkdir(DRV_BE), 0);
    assert_int_equal(xs_set_perms(DRV_BE, be, 2), 0);
    assert_int_equal(xs_write(DRV_BE "/frontend", FE), 0);
}

static void test_perms_backend_in_third_domain(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2), *d3 = open_client(3);
    char val[WIRE_PAYLOAD_MAX + 1], list[WIRE_PAYLOAD_MAX + 1];
    struct xs_perm got[XS_PERMS_MAX];
    unsigned n;
    (void)state;

    make_third_domain_vif();
    /* keys written below inherit the directory's list */
    assert_int_equal(xs_get_perms(FE "/backend", got, XS_PERMS_MAX, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(got[0].domid, 1);
    assert_int_equal(got[1].domid, 3);
    assert_int_equal(got[1].perm, XS_PERM_READ);
    /* the driver domain reads the frontend's keys, and those the frontend adds */
    assert_int_equal(w_write(d1, 0, FE "/tx-ring-ref", "8"), 0);
    assert_int_equal(w_read(d3, 0, FE "/tx-ring-ref", val), 0);
    assert_string_equal(val, "8");
    assert_int_equal(w_read(d3, 0, FE "/missing", val), -ENOENT);
    assert_int_equal(w_dir(d3, 0, FE, list), 0);
    assert_string_equal(list, "backend,tx-ring-ref");
    /* but writes none of them, and nothing above */
    assert_int_equal(w_write(d3, 0, FE "/state", "6"), -EACCES);
    assert_int_equal(w_dir(d3, 0, HOME1 "/device/vif", list), -EACCES);
    /* it writes its own backend keys; the frontend reads them */
    assert_int_equal(w_write(d3, 0, DRV_BE "/state", "2"), 0);
    assert_int_equal(w_write(d3, 0, DRV_BE "/feature-sg", "1"), 0);
    assert_int_equal(w_read(d1, 0, DRV_BE "/state", val), 0);
    assert_string_equal(val, "2");
    assert_int_equal(w_write(d1, 0, DRV_BE "/state", "4"), -EACCES);
    static const char give[] = DRV_BE "/state\0n1";
    assert_int_equal(wire(d3, T_SET_PERMS, 0, give, sizeof(give), NULL), -EPERM);
    /* a domain in neither ACL reads nothing of either */
    assert_int_equal(w_read(d2, 0, FE "/tx-ring-ref", val), -EACCES);
    assert_int_equal(w_read(d2, 0, FE "/nothing", val), -EACCES);
    assert_int_equal(w_read(d2, 0, DRV_BE "/state", val), -EACCES);
    assert_int_equal(w_dir(d2, 0, DRV_BE, list), -EACCES);
    assert_int_equal(w_write(d2, 0, DRV_BE "/state", "5"), -EACCES);
    assert_int_equal(w_write(d2, 0, FE "/state", "5"), -EACCES);
    /* nor may it change their permissions (not the owner) */
    static const char grab[] = DRV_BE "\0n3\0b2";
    assert_int_equal(wire(d2, T_SET_PERMS, 0, grab, sizeof(grab), NULL), -EACCES);
    static const char grab_fe[] = FE "\0n1\0b2";
    assert_int_equal(wire(d2, T_SET_PERMS, 0, grab_fe, sizeof(grab_fe), NULL), -EACCES);
    /* nor may the reader: read access is not ownership */
    assert_int_equal(wire(d3, T_SET_PERMS, 0, grab_fe, sizeof(grab_fe), NULL), -EACCES);
    assert_int_equal(w_read(d2, 0, FE "/tx-ring-ref", val), -EACCES);
}

static void test_perms_watch_events_follow_acl(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2), *d3 = open_client(3);
    (void)state;

    make_third_domain_vif();
    assert_int_equal(w_watch(d3, FE "/state", "fe"), 0);
    expect_event(d3, FE "/state", "fe");
    assert_int_equal(w_watch(d3, "/local/domain/3/backend/vif", "be"), 0);
    expect_event(d3, "/local/domain/3/backend/vif", "be");
    assert_int_equal(w_watch(d2, FE, "spy"), 0);
    expect_event(d2, FE, "spy"); /* the echo of its own path only */
    assert_int_equal(w_watch(d1, DRV_BE "/state", "be-state"), 0);
    expect_event(d1, DRV_BE "/state", "be-state");
    drain(d1);
    drain(d2);
    drain(d3);
    assert_int_equal(w_write(d1, 0, FE "/state", "4"), 0);
    expect_event(d3, FE "/state", "fe");
    expect_no_message(d2);
    assert_int_equal(w_write(d3, 0, DRV_BE "/state", "4"), 0);
    expect_event(d1, DRV_BE "/state", "be-state");
    expect_event(d3, DRV_BE "/state", "be");
    expect_no_message(d2);
    /* the toolstack removes both directories (a frontend domain ended):
     * the watchers that could read them hear it; the spy does not */
    drain(d1);
    assert_int_equal(xs_rm(FE), 0);
    expect_event(d3, FE "/state", "fe");
    expect_no_message(d2);
    assert_int_equal(xs_rm("/local/domain/3/backend/vif/1"), 0);
    expect_event(d3, "/local/domain/3/backend/vif/1", "be");
    expect_event(d1, DRV_BE "/state", "be-state");
    expect_no_message(d2);
}

/* A removal committed in a transaction, followed by another change in the
 * same transaction: its event must still follow the removed node's own list
 * (here: d2 may read the directory but not the removed node). */
static void test_perms_watch_removal_in_transaction(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2);
    uint32_t tx;
    (void)state;

    assert_int_equal(w_write(d1, 0, "data/pub/secret", "s"), 0);
    static const char pub[] = HOME1 "/data/pub\0n1\0r2";
    assert_int_equal(w_ok(d1, T_SET_PERMS, 0, (memcpy(plb, pub, sizeof(pub)), sizeof(pub))), 0);
    static const char secret[] = HOME1 "/data/pub/secret\0n1";
    assert_int_equal(w_ok(d1, T_SET_PERMS, 0, (memcpy(plb, secret, sizeof(secret)),
                                                sizeof(secret))), 0);
    assert_int_equal(w_watch(d2, HOME1 "/data/pub", "pub"), 0);
    expect_event(d2, HOME1 "/data/pub", "pub");
    drain(d2);
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_rm(d1, tx, "data/pub/secret"), 0);
    assert_int_equal(w_write(d1, tx, "data/pub/open", "o"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), 0);
    /* the write is d2's to hear; the removal of a node it could not read is not */
    expect_event(d2, HOME1 "/data/pub/open", "pub");
    expect_no_message(d2);
}

static void test_perms_transaction_set_perms(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2);
    char val[WIRE_PAYLOAD_MAX + 1];
    uint32_t tx;
    (void)state;

    assert_int_equal(w_write(d1, 0, "data/shared", "v"), 0);
    assert_int_equal(w_read(d2, 0, HOME1 "/data/shared", val), -EACCES);
    assert_int_equal(w_tx_start(d1, &tx), 0);
    static const char share[] = HOME1 "/data/shared\0n1\0r2";
    assert_int_equal(w_ok(d1, T_SET_PERMS, tx, (memcpy(plb, share, sizeof(share)), sizeof(share))),
                     0);
    assert_int_equal(w_read(d2, 0, HOME1 "/data/shared", val), -EACCES); /* not yet */
    assert_int_equal(w_tx_end(d1, tx, true), 0);
    assert_int_equal(w_read(d2, 0, HOME1 "/data/shared", val), 0);
    assert_string_equal(val, "v");
    /* a node d2 creates below d1's shared one is still d1's tree: refused */
    assert_int_equal(w_write(d2, 0, HOME1 "/data/shared/x", "1"), -EACCES);
}

/* ================================================================================ */
/* watches                                                                          */
/* ================================================================================ */

static void test_watch_wire_immediate(void **state)
{
    struct client *d1 = open_client(1);
    struct msg m;
    (void)state;

    drain(d1);
    assert_int_equal(wire(d1, T_WATCH, 0, plb, pl_two(BE "/state", "fe-token"), &m), 0);
    expect_ok_payload(&m);
    /* fires once at once, even though the node does not exist */
    expect_event(d1, BE "/state", "fe-token");
    expect_no_message(d1);
    /* a special name fires once too, and never again */
    assert_int_equal(w_watch(d1, "@releaseDomain", "rel"), 0);
    expect_event(d1, "@releaseDomain", "rel");
    assert_int_equal(xs_write("/local/domain/0/anything", "1"), 0);
    expect_no_message(d1);
}

static void test_watch_wire_fires_on_changes(void **state)
{
    struct client *d0 = open_client(0), *d1 = open_client(1);
    (void)state;

    assert_int_equal(w_watch(d1, HOME1 "/w", "t"), 0);
    expect_event(d1, HOME1 "/w", "t");
    drain(d1);
    /* the node itself, and anything below it, from the wire or in-process */
    assert_int_equal(w_write(d0, 0, HOME1 "/w", "1"), 0);
    expect_event(d1, HOME1 "/w", "t");
    assert_int_equal(xs_write(HOME1 "/w/deep/er", "2"), 0);
    expect_event(d1, HOME1 "/w/deep/er", "t");
    assert_int_equal(xs_mkdir(HOME1 "/w/dir"), 0);
    expect_event(d1, HOME1 "/w/dir", "t");
    assert_int_equal(xs_mkdir(HOME1 "/w/dir"), 0); /* exists: no change, no event */
    expect_no_message(d1);
    /* a sibling whose name merely starts the same is not below */
    assert_int_equal(xs_write(HOME1 "/wx", "3"), 0);
    assert_int_equal(xs_write(HOME1, "4"), 0);
    expect_no_message(d1);
    /* removal of the node, of something below it, of something above it */
    assert_int_equal(xs_rm(HOME1 "/w/deep"), 0);
    expect_event(d1, HOME1 "/w/deep", "t");
    assert_int_equal(xs_rm(HOME1 "/w/nothing"), 0); /* nothing removed: no event */
    expect_no_message(d1);
    assert_int_equal(w_rm(d1, 0, HOME1 "/w"), 0);
    expect_event(d1, HOME1 "/w", "t");
    assert_int_equal(xs_write(HOME1 "/w/a", "5"), 0);
    drain(d1);
    assert_int_equal(xs_rm(HOME1), 0); /* above the watch: it hears its own path */
    expect_event(d1, HOME1 "/w", "t");
    expect_no_message(d1);
}

static void test_watch_wire_relative_and_tokens(void **state)
{
    struct client *d1 = open_client(1);
    (void)state;

    assert_int_equal(w_watch(d1, "device", "rel"), 0);
    expect_event(d1, "device", "rel");
    assert_int_equal(w_watch(d1, HOME1 "/device", "abs"), 0);
    expect_event(d1, HOME1 "/device", "abs");
    drain(d1);
    assert_int_equal(xs_write(FE "/state", "1"), 0);
    /* one event per watch, each naming the path the way it was set */
    expect_event(d1, "device/vif/0/state", "rel");
    expect_event(d1, FE "/state", "abs");
    expect_no_message(d1);
    /* same path, same token twice: EEXIST; another token is another watch */
    assert_int_equal(w_watch(d1, "device", "rel"), -EEXIST);
    assert_int_equal(w_watch(d1, "device", "rel2"), 0);
    expect_event(d1, "device", "rel2");
}

static void test_watch_wire_permission_filter(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2);
    (void)state;

    assert_int_equal(w_watch(d1, "/", "root"), 0);
    expect_event(d1, "/", "root");
    assert_int_equal(w_watch(d2, "/local/domain", "all"), 0);
    expect_event(d2, "/local/domain", "all");
    drain(d1);
    drain(d2);
    assert_int_equal(xs_write("/local/domain/0/secret", "s"), 0);
    expect_no_message(d1);
    expect_no_message(d2);
    assert_int_equal(xs_write("/local/domain/2/mine", "m"), 0);
    expect_no_message(d1);
    expect_event(d2, "/local/domain/2/mine", "all");
    make_be(); /* the toolstack's: dom0 owns it, d1 may read it */
    expect_event(d1, BE, "root"); /* SET_PERMS fires, once d1 may read it */
    expect_no_message(d2);
    assert_int_equal(xs_write(BE "/state", "2"), 0); /* d1 may read its backend */
    expect_event(d1, BE "/state", "root");
    expect_no_message(d2);
}

static void test_watch_wire_unwatch_reset_close(void **state)
{
    struct client *d1 = open_client(1);
    (void)state;

    assert_int_equal(w_watch(d1, "a", "t1"), 0);
    assert_int_equal(w_watch(d1, "b", "t2"), 0);
    assert_int_equal(w_unwatch(d1, "a", "t1"), 0);
    drain(d1);
    assert_int_equal(xs_write(HOME1 "/a", "1"), 0);
    expect_no_message(d1);
    assert_int_equal(xs_write(HOME1 "/b", "1"), 0);
    expect_event(d1, "b", "t2");
    assert_int_equal(w_unwatch(d1, "a", "t1"), -ENOENT);
    assert_int_equal(w_unwatch(d1, "b", "wrong-token"), -ENOENT);
    assert_int_equal(w_ok(d1, T_UNWATCH, 0, pl_str("b")), -EINVAL); /* one string */
    /* RESET_WATCHES drops them all */
    assert_int_equal(w_ok(d1, T_RESET_WATCHES, 0, 0), 0);
    drain(d1);
    assert_int_equal(xs_write(HOME1 "/b", "2"), 0);
    expect_no_message(d1);
    /* a closed connection's watches are gone: nothing is sent to it */
    assert_int_equal(w_watch(d1, "c", "t3"), 0);
    size_t sent = d1->sent_total;
    close_client(d1);
    assert_int_equal(xs_write(HOME1 "/c", "1"), 0);
    assert_int_equal(d1->sent_total, sent);
    assert_int_equal(xs_check(), 0);
}

static void test_watch_local(void **state)
{
    int ctx_marker;
    (void)state;

    assert_int_equal(xs_watch("/local/domain/1/device", "tok", on_local, &ctx_marker), 0);
    assert_int_equal(nlevents, 1); /* fired from inside xs_watch() */
    assert_string_equal(levents[0].path, "/local/domain/1/device");
    assert_string_equal(levents[0].token, "tok");
    assert_ptr_equal(levents[0].ctx, &ctx_marker);
    assert_int_equal(xs_write(FE "/state", "1"), 0);
    assert_int_equal(nlevents, 2); /* synchronously */
    assert_string_equal(levents[1].path, FE "/state");
    /* a domU's write over the wire fires it too */
    struct client *d1 = open_client(1);
    unsigned before = nlevents;
    assert_int_equal(w_write(d1, 0, "device/vif/0/state", "3"), 0);
    assert_int_equal(nlevents, before + 1);
    assert_string_equal(levents[nlevents - 1].path, FE "/state");
    assert_int_equal(xs_rm("/local/domain/1"), 0);
    assert_string_equal(levents[nlevents - 1].path, "/local/domain/1/device");
    assert_int_equal(xs_watch("/local/domain/1/device", "tok", on_local, NULL), -EEXIST);
    assert_int_equal(xs_unwatch("/local/domain/1/device", "tok"), 0);
    assert_int_equal(xs_unwatch("/local/domain/1/device", "tok"), -ENOENT);
    before = nlevents;
    assert_int_equal(xs_write(FE "/state", "1"), 0);
    assert_int_equal(nlevents, before);
    /* relative to dom0's home, events are relative too */
    assert_int_equal(xs_watch("backend", "be", on_local, NULL), 0);
    assert_string_equal(levents[nlevents - 1].path, "backend");
    make_be(); /* the toolstack's: dom0 owns it, d1 may read it */
    assert_int_equal(xs_write(BE "/state", "2"), 0);
    assert_string_equal(levents[nlevents - 1].path, "backend/vif/1/0/state");
    assert_int_equal(xs_watch(NULL, "x", on_local, NULL), -EINVAL);
    assert_int_equal(xs_watch("/x", "x", NULL, NULL), -EINVAL);
    assert_int_equal(xs_watch("/bad path", "x", on_local, NULL), -EINVAL);
}

/* A watch callback that writes: the backend's way of answering. */
static void chain_cb(const char *path, const char *token, void *ctx)
{
    (void)path;
    (void)token;
    (void)ctx;
    char v[16];
    if (!xs_read("/chain/in", v, sizeof(v)) && strcmp(v, "go") == 0)
        xs_write("/chain/out", "done");
}

static unsigned loop_calls;
static void loop_cb(const char *path, const char *token, void *ctx)
{
    (void)path;
    (void)token;
    (void)ctx;
    loop_calls++;
    xs_write("/loop", "again"); /* feeds itself: must be cut off, not overflow the stack */
}

static void test_watch_local_reentrant(void **state)
{
    char v[16];
    (void)state;

    assert_int_equal(xs_watch("/chain/in", "c", chain_cb, NULL), 0);
    assert_int_equal(xs_watch("/chain/out", "o", on_local, NULL), 0);
    nlevents = 0;
    assert_int_equal(xs_write("/chain/in", "go"), 0);
    assert_int_equal(xs_read("/chain/out", v, sizeof(v)), 0);
    assert_string_equal(v, "done");
    assert_int_equal(nlevents, 1);
    assert_string_equal(levents[0].path, "/chain/out");

    nlogs = 0;
    assert_int_equal(xs_watch("/loop", "l", loop_cb, NULL), 0);
    assert_true(loop_calls >= 1 && loop_calls < 16);
    assert_true(log_has("nested"));
    /* the store is still fine and watches still work */
    loop_calls = 0;
    assert_int_equal(xs_unwatch("/loop", "l"), 0);
    assert_int_equal(xs_write("/loop", "x"), 0);
    assert_int_equal(loop_calls, 0);
}

/* A local watch callback that unwatches itself and registers another in
 * its place while the store is walking the watch list. */
static void self_replace_cb(const char *path, const char *token, void *ctx)
{
    (void)ctx;
    if (!strcmp(token, "first") && !strcmp(path, "/sr/x")) {
        xs_unwatch("/sr", "first");
        xs_watch("/sr", "second", on_local, NULL);
    }
}

static void test_watch_local_modify_during_fire(void **state)
{
    (void)state;

    assert_int_equal(xs_watch("/sr", "first", self_replace_cb, NULL), 0);
    nlevents = 0;
    assert_int_equal(xs_write("/sr/x", "1"), 0);
    /* "second" fired once, when registered, not for the change in progress */
    assert_int_equal(nlevents, 1);
    assert_string_equal(levents[0].token, "second");
    assert_string_equal(levents[0].path, "/sr");
    assert_int_equal(xs_write("/sr/y", "1"), 0);
    assert_int_equal(nlevents, 2);
    assert_string_equal(levents[1].path, "/sr/y");
}

/* A backend that gives up on its frontend from inside the frontend's own
 * write: the close must wait until that connection's input is handled. */
static struct client *closing_client;
static void close_cb(const char *path, const char *token, void *ctx)
{
    (void)token;
    (void)ctx;
    if (closing_client && strstr(path, "/bye"))
        xs_conn_close(closing_client->c);
}

static void test_conn_close_from_watch(void **state)
{
    static unsigned char s[2 * (WIRE_HDR + 64)];
    struct client *d1 = open_client(1);
    struct msg m;
    size_t n;
    (void)state;

    assert_int_equal(xs_conn_domid(d1->c), 1);
    assert_int_equal(w_watch(d1, "watched", "t"), 0);
    assert_int_equal(w_tx_start(d1, &m.tx_id), 0);
    closing_client = d1;
    assert_int_equal(xs_watch(HOME1, "closer", close_cb, NULL), 0);
    /* two messages in one call: the first closes the connection */
    n = build(s, T_WRITE, 1, 0, plb, pl_write("bye", "1", 1));
    n += build(s + n, T_WRITE, 2, 0, plb, pl_write("after", "1", 1));
    drain(d1);
    assert_int_equal(xs_conn_input(d1->c, s, n), 0);
    assert_true(next_msg(d1, &m)); /* the reply to the first went out */
    assert_int_equal(m.req_id, 1);
    expect_no_message(d1);          /* the second was never handled */
    assert_int_equal(xs_read(HOME1 "/after", NULL, 0), -ENOENT);
    assert_int_equal(xs_conn_input(d1->c, s, n), -1); /* closed */
    assert_null(xs_conn_ctx(d1->c));
    assert_int_equal(xs_check(), 0); /* its watch and transaction went with it */
    d1->c = NULL;
    closing_client = NULL;
    size_t sent = d1->sent_total;
    assert_int_equal(xs_write(HOME1 "/watched", "x"), 0);
    assert_int_equal(d1->sent_total, sent);
}

/* ================================================================================ */
/* transactions                                                                     */
/* ================================================================================ */

static void test_tx_commit(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2);
    char val[WIRE_PAYLOAD_MAX + 1];
    uint32_t tx;
    (void)state;

    assert_int_equal(xs_watch(HOME1 "/t", "w", on_local, NULL), 0);
    nlevents = 0;
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_write(d1, tx, "t/a", "1"), 0);
    assert_int_equal(w_write(d1, tx, "t/b", "2"), 0);
    assert_int_equal(w_mkdir(d1, tx, "t/c"), 0);
    /* not visible outside, no watch fired yet */
    assert_int_equal(xs_read(HOME1 "/t/a", val, sizeof(val)), -ENOENT);
    assert_int_equal(w_read(d1, 0, "t/a", val), -ENOENT);
    assert_int_equal(nlevents, 0);
    (void)d2;
    assert_int_equal(w_tx_end(d1, tx, true), 0);
    assert_int_equal(xs_read(HOME1 "/t/a", val, sizeof(val)), 0);
    assert_string_equal(val, "1");
    assert_int_equal(xs_read(HOME1 "/t/b", val, sizeof(val)), 0);
    assert_string_equal(val, "2");
    assert_int_equal(xs_read(HOME1 "/t/c", val, sizeof(val)), 0);
    assert_int_equal(nlevents, 3); /* one per change, at commit */
    assert_string_equal(levents[0].path, HOME1 "/t/a");
    assert_string_equal(levents[2].path, HOME1 "/t/c");
    /* the id is gone */
    assert_int_equal(w_tx_end(d1, tx, true), -ENOENT);
    assert_int_equal(w_read(d1, tx, "t/a", val), -ENOENT);
}

static void test_tx_abort(void **state)
{
    struct client *d1 = open_client(1);
    char val[WIRE_PAYLOAD_MAX + 1];
    uint32_t tx;
    (void)state;

    assert_int_equal(xs_write(HOME1 "/keep", "old"), 0);
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_write(d1, tx, "keep", "new"), 0);
    assert_int_equal(w_write(d1, tx, "fresh", "x"), 0);
    assert_int_equal(w_rm(d1, tx, "keep"), 0);
    assert_int_equal(w_tx_end(d1, tx, false), 0);
    assert_int_equal(xs_read(HOME1 "/keep", val, sizeof(val)), 0);
    assert_string_equal(val, "old");
    assert_int_equal(xs_read(HOME1 "/fresh", val, sizeof(val)), -ENOENT);
}

static void test_tx_sees_own_changes(void **state)
{
    struct client *d1 = open_client(1);
    char val[WIRE_PAYLOAD_MAX + 1], list[WIRE_PAYLOAD_MAX + 1];
    uint32_t tx;
    (void)state;

    assert_int_equal(xs_write(HOME1 "/x/old", "o"), 0);
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_write(d1, tx, "x/new", "n"), 0);
    assert_int_equal(w_read(d1, tx, "x/new", val), 0);
    assert_string_equal(val, "n");
    assert_int_equal(w_mkdir(d1, tx, "x/dir"), 0);
    assert_int_equal(w_dir(d1, tx, "x", list), 0);
    assert_string_equal(list, "old,new,dir");
    assert_int_equal(w_rm(d1, tx, "x/old"), 0);
    assert_int_equal(w_read(d1, tx, "x/old", val), -ENOENT);
    assert_int_equal(w_read(d1, 0, "x/old", val), 0); /* outside: still there */
    assert_int_equal(w_dir(d1, tx, "x", list), 0);
    assert_string_equal(list, "new,dir");
    assert_int_equal(w_write(d1, tx, "/local/domain/0/no", "x"), -EACCES); /* same policy */
    assert_int_equal(w_tx_end(d1, tx, true), 0);
    assert_int_equal(xs_read(HOME1 "/x/old", val, sizeof(val)), -ENOENT);
    assert_int_equal(xs_read(HOME1 "/x/new", val, sizeof(val)), 0);
}

static void test_tx_conflict(void **state)
{
    struct client *d1 = open_client(1);
    char val[WIRE_PAYLOAD_MAX + 1];
    uint32_t tx;
    (void)state;

    assert_int_equal(xs_write(HOME1 "/c/read", "1"), 0);
    assert_int_equal(xs_write(HOME1 "/c/gone", "1"), 0);

    /* someone else writes a node the transaction read: EAGAIN, nothing applied */
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_read(d1, tx, "c/read", val), 0);
    assert_int_equal(w_write(d1, tx, "c/out", "x"), 0);
    assert_int_equal(xs_write(HOME1 "/c/read", "2"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), -EAGAIN);
    assert_int_equal(xs_read(HOME1 "/c/out", val, sizeof(val)), -ENOENT);

    /* a change elsewhere does not conflict */
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_read(d1, tx, "c/read", val), 0);
    assert_int_equal(w_write(d1, tx, "c/out", "x"), 0);
    assert_int_equal(xs_write(HOME1 "/c/elsewhere", "2"), 0);
    assert_int_equal(xs_write("/local/domain/0/busy", "2"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), 0);
    assert_int_equal(xs_read(HOME1 "/c/out", val, sizeof(val)), 0);

    /* someone else writes a node the transaction wrote */
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_write(d1, tx, "c/out", "mine"), 0);
    assert_int_equal(xs_write(HOME1 "/c/out", "theirs"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), -EAGAIN);
    assert_int_equal(xs_read(HOME1 "/c/out", val, sizeof(val)), 0);
    assert_string_equal(val, "theirs");

    /* someone else removes a node the transaction read */
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_read(d1, tx, "c/gone", val), 0);
    assert_int_equal(xs_rm(HOME1 "/c/gone"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), -EAGAIN);

    /* someone else creates a node the transaction found missing */
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_read(d1, tx, "c/later", val), -ENOENT);
    assert_int_equal(xs_write(HOME1 "/c/later", "1"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), -EAGAIN);

    /* someone else adds a child to a directory the transaction listed */
    assert_int_equal(w_tx_start(d1, &tx), 0);
    assert_int_equal(w_dir(d1, tx, "c", val), 0);
    assert_int_equal(xs_write(HOME1 "/c/child", "1"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), -EAGAIN);

    /* two transactions on the same node: the first commit wins */
    uint32_t t1, t2;
    assert_int_equal(w_tx_start(d1, &t1), 0);
    assert_int_equal(w_tx_start(d1, &t2), 0);
    assert_true(t1 != t2);
    assert_int_equal(w_write(d1, t1, "c/race", "1"), 0);
    assert_int_equal(w_write(d1, t2, "c/race", "2"), 0);
    assert_int_equal(w_tx_end(d1, t1, true), 0);
    assert_int_equal(w_tx_end(d1, t2, true), -EAGAIN);
    assert_int_equal(xs_read(HOME1 "/c/race", val, sizeof(val)), 0);
    assert_string_equal(val, "1");
}

static void test_tx_many_paths_conservative(void **state)
{
    struct client *d1 = open_client(1);
    char path[32];
    uint32_t tx;
    (void)state;

    /* more paths than the transaction tracks: any change at all conflicts */
    assert_int_equal(w_tx_start(d1, &tx), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof(path), "many/%d", i);
        assert_int_equal(w_read(d1, tx, path, NULL), -ENOENT);
    }
    assert_int_equal(w_write(d1, tx, "many/w", "1"), 0);
    assert_int_equal(xs_write("/unrelated", "1"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), -EAGAIN);
    /* ... and nothing changing lets it commit */
    assert_int_equal(w_tx_start(d1, &tx), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof(path), "many/%d", i);
        assert_int_equal(w_read(d1, tx, path, NULL), -ENOENT);
    }
    assert_int_equal(w_write(d1, tx, "many/w", "1"), 0);
    assert_int_equal(w_tx_end(d1, tx, true), 0);
}

static void test_tx_errors_and_limits(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2), *d3 = open_client(3);
    struct msg m;
    uint32_t t[4], tx;
    char val[XS_VALUE_MAX + 1];
    (void)state;

    assert_int_equal(w_read(d1, 12345, "x", NULL), -ENOENT); /* unknown id */
    assert_int_equal(wire(d1, T_TX_END, 0, "T", 2, &m), -ENOENT);
    assert_int_equal(w_tx_start(d1, &t[0]), 0);
    assert_int_equal(wire(d1, T_TX_END, t[0], "X", 2, &m), -EINVAL);
    assert_int_equal(wire(d1, T_TX_END, t[0], "T", 1, &m), -EINVAL); /* no NUL */
    assert_int_equal(wire(d1, T_TX_START, t[0], "", 1, &m), -EBUSY); /* nested */
    assert_int_equal(wire(d1, T_TX_START, 0, "x", 1, &m), -EINVAL);
    /* another domain cannot use this one's transaction */
    assert_int_equal(w_read(d2, t[0], "x", NULL), -ENOENT);
    assert_int_equal(w_tx_end(d2, t[0], true), -ENOENT);
    /* XS_TX_QUOTA per domain; two domains at theirs leave a third its own */
    for (int k = 1; k < XS_TX_QUOTA; k++)
        assert_int_equal(w_tx_start(d1, &t[1]), 0);
    assert_int_equal(w_tx_start(d1, &tx), -ENOSPC);
    for (int k = 0; k < XS_TX_QUOTA; k++)
        assert_int_equal(w_tx_start(d2, &t[k & 1 ? 3 : 2]), 0);
    assert_int_equal(w_tx_start(d2, &tx), -ENOSPC);
    assert_int_equal(w_tx_start(d3, &tx), 0);
    /* closing d2 frees all of its: it gets them again on a new connection */
    close_client(d2);
    d2 = open_client(2);
    for (int k = 0; k < XS_TX_QUOTA; k++)
        assert_int_equal(w_tx_start(d2, &t[k & 1 ? 3 : 2]), 0);
    assert_int_equal(w_tx_start(d2, &tx), -ENOSPC);
    assert_int_equal(w_tx_end(d2, t[2], false), 0);
    /* the change log is bounded: ENOMEM, the transaction lives on */
    memset(val, 'v', XS_VALUE_MAX);
    val[XS_VALUE_MAX] = '\0';
    int r = 0, i;
    for (i = 0; i < 20 && !r; i++) {
        char p[16];
        snprintf(p, sizeof(p), "big%d", i);
        r = w_write(d3, tx, p, val);
    }
    assert_int_equal(r, -ENOMEM);
    assert_true(i > 3);
    assert_int_equal(w_read(d3, tx, "big0", NULL), 0);
    assert_int_equal(w_tx_end(d3, tx, true), 0);
    assert_int_equal(xs_read("/local/domain/3/big0", val, sizeof(val)), 0);
}

/* ================================================================================ */
/* limits                                                                           */
/* ================================================================================ */

/* A path of exactly `len` characters: `start`, then "/ppp..." components of
 * at most XS_NAME_MAX, never ending in a lone '/'. */
static void long_path(char *out, const char *start, size_t len)
{
    size_t n = strlen(start);

    memcpy(out, start, n);
    assert_true(len >= n + 2);
    while (n < len) {
        size_t room = len - n - 1; /* after the '/' */
        size_t comp = room < XS_NAME_MAX ? room : XS_NAME_MAX;
        if (room - comp == 1)
            comp--; /* leave room for "/p", not a bare "/" */
        out[n++] = '/';
        memset(out + n, 'p', comp);
        n += comp;
    }
    out[n] = '\0';
}

static void test_limits_paths(void **state)
{
    static char path[ABS_PATH_MAX + 64];
    struct client *d0 = open_client(0), *d1 = open_client(1);
    (void)state;

    long_path(path, "/l", ABS_PATH_MAX);
    assert_int_equal(strlen(path), ABS_PATH_MAX);
    assert_int_equal(w_read(d0, 0, path, NULL), -ENOENT); /* valid, absent */
    assert_int_equal(w_write(d0, 0, path, "deep"), 0);    /* 48 nodes */
    assert_int_equal(w_read(d0, 0, path, NULL), 0);
    assert_int_equal(w_rm(d0, 0, "/l"), 0);
    long_path(path, "/l", ABS_PATH_MAX + 1);
    assert_int_equal(w_read(d0, 0, path, NULL), -EINVAL);
    assert_int_equal(xs_write(path, "x"), -EINVAL);
    /* relative: at most 2048, and the result at most 3072 */
    long_path(path, "r", REL_PATH_MAX);
    assert_int_equal(w_read(d1, 0, path, NULL), -ENOENT);
    long_path(path, "r", REL_PATH_MAX + 1);
    assert_int_equal(w_read(d1, 0, path, NULL), -EINVAL);
    /* one component longer than a node name can be */
    memset(path, 'n', XS_NAME_MAX + 1);
    path[XS_NAME_MAX + 1] = '\0';
    assert_int_equal(w_write(d1, 0, path, "x"), -E2BIG);
    assert_int_equal(w_read(d1, 0, path, NULL), -ENOENT);
    path[XS_NAME_MAX] = '\0';
    assert_int_equal(w_write(d1, 0, path, "x"), 0);
}

static void test_limits_values(void **state)
{
    static char val[XS_VALUE_MAX + 2], back[WIRE_PAYLOAD_MAX + 1];
    struct client *d1 = open_client(1);
    struct msg m;
    (void)state;

    memset(val, 'v', XS_VALUE_MAX);
    val[XS_VALUE_MAX] = '\0';
    assert_int_equal(w_write(d1, 0, "v", val), 0);
    assert_int_equal(w_read(d1, 0, "v", back), 0);
    assert_string_equal(back, val);
    val[XS_VALUE_MAX] = 'v';
    val[XS_VALUE_MAX + 1] = '\0';
    assert_int_equal(w_write(d1, 0, "v", val), -E2BIG);
    assert_int_equal(xs_write(HOME1 "/v", val), -E2BIG);
    assert_int_equal(w_read(d1, 0, "v", back), 0);
    assert_int_equal(strlen(back), XS_VALUE_MAX); /* unchanged */
    /* a whole 4096-byte payload is still a message (too big a value, though) */
    static char big[WIRE_PAYLOAD_MAX];
    size_t n = pl_write("v", "", 0);
    memcpy(big, plb, n);
    memset(big + n, 'b', WIRE_PAYLOAD_MAX - n);
    assert_int_equal(wire(d1, T_WRITE, 0, big, WIRE_PAYLOAD_MAX, &m), -E2BIG);
    /* xs_read() with a small buffer */
    assert_int_equal(xs_read(HOME1 "/v", back, XS_VALUE_MAX), -E2BIG);
    assert_int_equal(xs_read(HOME1 "/v", back, XS_VALUE_MAX + 1), 0);
}

static void test_limits_payload_drops_connection(void **state)
{
    unsigned char hdr[WIRE_HDR];
    struct client *d1 = open_client(1);
    const struct xs_stats *st = xs_get_stats();
    uint64_t bad = st->bad_input;
    (void)state;

    nlogs = 0;
    build(hdr, T_WRITE, 1, 0, NULL, 0);
    put32(hdr + 12, WIRE_PAYLOAD_MAX + 1);
    drain(d1);
    assert_int_equal(xs_conn_input(d1->c, hdr, 10), 0); /* not yet a whole header */
    assert_int_equal(xs_conn_input(d1->c, hdr + 10, WIRE_HDR - 10), -1);
    assert_int_equal(st->bad_input, bad + 1);
    assert_true(log_has("xenstore: d1: message of 4097 bytes"));
    expect_no_message(d1);
    /* the stream stays dead; closing frees the slot */
    assert_int_equal(xs_conn_input(d1->c, hdr, 1), -1);
    close_client(d1);
    struct client *again = open_client(1);
    assert_int_equal(w_write(again, 0, "ok", "1"), 0);
    /* a huge length is no different */
    put32(hdr + 12, 0xFFFFFFFFu);
    assert_int_equal(xs_conn_input(again->c, hdr, WIRE_HDR), -1);
}

static void test_limits_store_full(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2);
    char path[64];
    int i, r = 0;
    (void)state;

    /* a domU stops at its quota, and dom0 is not starved by it */
    for (i = 0; i < XS_MAX_NODES && !r; i++) {
        snprintf(path, sizeof(path), "q%d", i);
        r = w_write(d1, 0, path, "x");
    }
    assert_int_equal(r, -ENOSPC);
    assert_int_equal(i - 1, XS_DOMU_NODE_QUOTA);
    assert_int_equal(xs_write("/dom0/still", "fine"), 0);
    /* a write needing several new nodes fails whole, not half-way */
    assert_int_equal(w_rm(d1, 0, "q0"), 0);
    assert_int_equal(w_write(d1, 0, "n1/n2", "x"), -ENOSPC);
    assert_int_equal(w_read(d1, 0, "n1", NULL), -ENOENT);
    assert_int_equal(w_write(d1, 0, "n1", "x"), 0);

    /* dom0 fills its share, and no more: the domUs' shares stay theirs */
    r = 0;
    for (i = 0; i < XS_MAX_NODES && !r; i++) {
        snprintf(path, sizeof(path), "/fill/%d", i);
        r = xs_write(path, "x");
    }
    assert_int_equal(r, -ENOSPC);
    assert_int_equal(xs_mkdir("/more"), -ENOSPC);
    assert_int_equal(w_write(d2, 0, "x", "1"), 0);
    assert_int_equal(xs_check(), 0);
    /* room for dom0 again after a removal */
    assert_int_equal(xs_rm("/fill"), 0);
    assert_int_equal(xs_mkdir("/more"), 0);
}

static void test_limits_watches_conns_dir(void **state)
{
    struct client *d1 = open_client(1), *d2 = open_client(2);
    char tok[16], buf[64];
    int i, r = 0;
    unsigned count;
    (void)state;

    for (i = 0; i < XS_MAX_WATCHES && !r; i++) {
        snprintf(tok, sizeof(tok), "t%d", i);
        r = w_watch(d1, "w", tok);
    }
    assert_int_equal(r, -E2BIG); /* xenstored's answer to the watch quota */
    assert_int_equal(i - 1, XS_WATCH_QUOTA);
    for (i = 0, r = 0; i < XS_MAX_WATCHES && !r; i++) {
        snprintf(tok, sizeof(tok), "u%d", i);
        r = xs_watch("/x", tok, on_local, NULL);
    }
    assert_int_equal(r, -E2BIG);
    assert_int_equal(i - 1, XS_LOCAL_WATCHES);
    /* neither d1 nor dom0 at its quota takes d2's */
    assert_int_equal(w_watch(d2, "w", "t"), 0);
    /* watch paths and tokens have limits of their own */
    static char longtok[XS_TOKEN_MAX + 2];
    memset(longtok, 't', XS_TOKEN_MAX + 1);
    assert_int_equal(w_ok(d1, T_UNWATCH, 0, pl_two("w", "t0")), 0);
    assert_int_equal(w_watch(d1, "w", longtok), -E2BIG);

    /* connections */
    struct xs_conn *extra[XS_MAX_CONNS];
    int opened = 0;
    while (opened < XS_MAX_CONNS && (extra[opened] = xs_conn_open(9, capture, d1)))
        opened++;
    assert_int_equal(opened, XS_MAX_CONNS - 2);
    assert_null(xs_conn_open(9, capture, d1));
    assert_null(xs_conn_open(0x7FF0, capture, d1));
    for (i = 0; i < opened; i++)
        xs_conn_close(extra[i]);

    /* a directory listing longer than a reply can carry */
    char name[XS_NAME_MAX + 32];
    for (i = 0; i < 70; i++) {
        snprintf(name, sizeof(name), "/wide/%02d%s", i,
                 "-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert_int_equal(xs_mkdir(name), 0);
    }
    assert_int_equal(w_dir(d2, 0, "/local/domain/2", buf), 0);
    struct client *d0 = open_client(0);
    static char list[WIRE_PAYLOAD_MAX + 1];
    assert_int_equal(w_dir(d0, 0, "/wide", list), -E2BIG);
    assert_int_equal(xs_directory("/wide", buf, sizeof(buf), &count), -E2BIG);
}

/* ================================================================================ */
/* per-domain quotas: a hostile domain exhausts only itself                        */
/* ================================================================================ */

struct grabbed {
    int watches, txs, nodes;       /* accepted */
    int watch_err, tx_err, node_err; /* the first refusal */
};

/* What a hostile client does: take watches, transactions and nodes until
 * refused (each loop bounded by the whole pool, so it ends on any code). */
static struct grabbed grab_all(struct client *cl, const char *tag)
{
    struct grabbed g = { 0 };
    char path[64], tok[32];
    uint32_t tx;
    int r = 0;

    while (!r && g.watches <= XS_MAX_WATCHES) {
        snprintf(path, sizeof(path), "w/%s%d", tag, g.watches);
        snprintf(tok, sizeof(tok), "t%d", g.watches);
        r = w_watch(cl, path, tok);
        g.watches += !r;
    }
    g.watch_err = r;
    r = 0;
    while (!r && g.txs <= XS_MAX_TX) {
        r = w_tx_start(cl, &tx);
        g.txs += !r;
    }
    g.tx_err = r;
    r = 0;
    while (!r && g.nodes <= XS_MAX_NODES) {
        snprintf(path, sizeof(path), "n%s%d", tag, g.nodes);
        r = w_write(cl, 0, path, "x");
        g.nodes += !r;
    }
    g.node_err = r;
    return g;
}

/* Exactly N of each, and the N+1st refused with xenstored's code. */
static void expect_full_quota(struct grabbed g)
{
    assert_int_equal(g.watches, XS_WATCH_QUOTA);
    assert_int_equal(g.watch_err, -E2BIG);
    assert_int_equal(g.txs, XS_TX_QUOTA);
    assert_int_equal(g.tx_err, -ENOSPC);
    assert_int_equal(g.nodes, XS_DOMU_NODE_QUOTA);
    assert_int_equal(g.node_err, -ENOSPC);
}

static void expect_nothing_left(struct grabbed g)
{
    assert_int_equal(g.watches + g.txs + g.nodes, 0);
    assert_int_equal(g.watch_err, -E2BIG);
    assert_int_equal(g.tx_err, -ENOSPC);
    assert_int_equal(g.node_err, -ENOSPC);
}

/* The finding: with machine-wide pools, two hostile domUs took every watch
 * and transaction and a third domU's xenbus failed.  Now each stops at its
 * own quota and the third (and dom0) get all of theirs. */
static void test_quota_two_hostile_cannot_starve_third(void **state)
{
    struct client *h1 = open_client(1), *h2 = open_client(2), *n3 = open_client(3);
    const struct xs_stats *st = xs_get_stats();
    char tok[16];
    (void)state;

    struct grabbed g1 = grab_all(h1, "a"), g2 = grab_all(h2, "a");
    /* a second connection of a hostile domain shares its domain's quota */
    struct client *h1b = open_client(1);
    struct grabbed g1b = grab_all(h1b, "b");
    /* the third domU still gets every watch, transaction and node it is owed
     * (checked first: this is what the machine-wide pools got wrong) */
    struct grabbed g3 = grab_all(n3, "a");
    assert_int_equal(g3.watches, XS_WATCH_QUOTA);
    assert_int_equal(g3.txs, XS_TX_QUOTA);
    assert_int_equal(g3.nodes, XS_DOMU_NODE_QUOTA);
    expect_full_quota(g3);
    expect_full_quota(g1);
    expect_full_quota(g2);
    expect_nothing_left(g1b);
    /* and dom0 its own share */
    for (int i = 0; i < XS_LOCAL_WATCHES; i++) {
        snprintf(tok, sizeof(tok), "l%d", i);
        assert_int_equal(xs_watch("/local/domain/0/x", tok, on_local, NULL), 0);
    }
    assert_int_equal(xs_write("/local/domain/0/still", "fine"), 0);
    assert_int_equal(st->quota_refusals[XS_QUOTA_WATCHES], 4);
    assert_int_equal(st->quota_refusals[XS_QUOTA_TRANSACTIONS], 4);
    assert_int_equal(st->quota_refusals[XS_QUOTA_NODES], 4);
    /* each refusal is logged with the domain and the quota */
    char line[96];
    snprintf(line, sizeof(line), "xenstore: d2: watch quota (%d) reached: E2BIG (refusal 1)",
             XS_WATCH_QUOTA);
    assert_true(log_has(line));
    snprintf(line, sizeof(line),
             "xenstore: d1: transaction quota (%d) reached: ENOSPC (refusal 1)", XS_TX_QUOTA);
    assert_true(log_has(line));
    snprintf(line, sizeof(line), "xenstore: d3: node quota (%d) reached: ENOSPC (refusal 1)",
             XS_DOMU_NODE_QUOTA);
    assert_true(log_has(line));
}

/* Closing a connection frees its watches and transactions at once (there
 * is no expiry to wait for); releasing the domain frees its nodes. */
static void test_quota_freed_on_close_and_release(void **state)
{
    struct client *h1 = open_client(1);
    struct grabbed g;
    (void)state;

    expect_full_quota(grab_all(h1, "a"));
    close_client(h1);
    h1 = open_client(1);
    g = grab_all(h1, "b");
    assert_int_equal(g.watches, XS_WATCH_QUOTA);
    assert_int_equal(g.txs, XS_TX_QUOTA);
    assert_int_equal(g.nodes, 0); /* nodes outlive a connection: they are data */
    assert_int_equal(g.node_err, -ENOSPC);
    assert_int_equal(xs_check(), 0);
    /* the domain gone: connections closed, home and its nodes removed */
    assert_int_equal(xs_domain_release(1), 0);
    assert_null(xs_conn_ctx(h1->c));
    h1->c = NULL;
    assert_int_equal(xs_read("/local/domain/1", NULL, 0), -ENOENT);
    assert_int_equal(xs_domain_release(0), -EINVAL);
    h1 = open_client(1);
    expect_full_quota(grab_all(h1, "c"));
}

/* At most XS_MAX_DOMUS domUs own nodes at once, so their quotas fit the
 * pool; the next one is refused until one of them is released. */
static void test_quota_node_owning_domains(void **state)
{
    char path[48];
    (void)state;

    for (unsigned d = 1; d <= XS_MAX_DOMUS + 1; d++) {
        struct client *cl = open_client(d);
        int r = 0, n = 0;
        while (!r && n <= XS_MAX_NODES) {
            snprintf(path, sizeof(path), "n%d", n);
            r = w_write(cl, 0, path, "x");
            n += !r;
        }
        assert_int_equal(r, -ENOSPC);
        assert_int_equal(n, d <= XS_MAX_DOMUS ? XS_DOMU_NODE_QUOTA : 0);
        close_client(cl);
    }
    assert_int_equal(xs_get_stats()->quota_refusals[XS_QUOTA_DOMAINS], 1);
    /* dom0's share is intact with every domU at its quota */
    assert_int_equal(xs_write("/local/domain/0/backend/x", "1"), 0);
    assert_int_equal(xs_domain_release(3), 0);
    struct client *late = open_client(XS_MAX_DOMUS + 1);
    assert_int_equal(w_write(late, 0, "n", "x"), 0);
}

/* A client hammering a quota gets a logarithmic number of log lines, and
 * every refusal is still counted. */
static void test_quota_log_rate_limited(void **state)
{
    struct client *h1 = open_client(1);
    uint32_t tx;
    (void)state;

    for (int i = 0; i < XS_TX_QUOTA; i++)
        assert_int_equal(w_tx_start(h1, &tx), 0);
    nlogs = 0;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(w_tx_start(h1, &tx), -ENOSPC);
    assert_int_equal(nlogs, 10); /* refusals 1, 2, 4, ... 512 */
    assert_true(log_has("(refusal 512)"));
    assert_int_equal(xs_get_stats()->quota_refusals[XS_QUOTA_TRANSACTIONS], 1000);
    assert_int_equal(xs_get_stats()->errors, 1000);
}

/* ================================================================================ */
/* malformed input                                                                  */
/* ================================================================================ */

static void test_malformed_strings(void **state)
{
    struct client *d1 = open_client(1);
    const struct xs_stats *st = xs_get_stats();
    struct msg m;
    (void)state;

    uint64_t bad = st->bad_input;
    assert_int_equal(wire(d1, T_READ, 0, "data", 4, &m), -EINVAL);        /* no NUL */
    assert_int_equal(wire(d1, T_READ, 0, "", 0, &m), -EINVAL);            /* empty */
    assert_int_equal(wire(d1, T_READ, 0, "", 1, &m), -EINVAL);            /* empty path */
    assert_int_equal(wire(d1, T_READ, 0, "a\0b", 4, &m), -EINVAL);        /* two strings */
    assert_int_equal(wire(d1, T_WRITE, 0, "novalue", 7, &m), -EINVAL);    /* no separator */
    assert_int_equal(wire(d1, T_WATCH, 0, "path", 5, &m), -EINVAL);       /* no token */
    assert_int_equal(wire(d1, T_WATCH, 0, "p\0t", 3, &m), -EINVAL);       /* token no NUL */
    assert_int_equal(wire(d1, T_WATCH, 0, "p\0t\0x", 6, &m), -EINVAL);    /* third string */
    assert_int_equal(wire(d1, T_MKDIR, 0, "a\0", 3, &m), -EINVAL);        /* NUL, NUL */
    assert_int_equal(st->bad_input - bad, 9);
    /* nothing was created along the way */
    assert_int_equal(xs_read(HOME1 "/data", NULL, 0), -ENOENT);
    assert_int_equal(xs_read(HOME1 "/novalue", NULL, 0), -ENOENT);
}

static void test_malformed_paths(void **state)
{
    static const char *const bad_paths[] = {
        "/local/domain/1/a b", "/local/domain/1/a$", "/local/domain/1/\x01",
        "/local/domain/1/caf\xc3\xa9", "/local/domain/1//a", "/local/domain/1/a/",
        "a//b", "a/", "/local/domain/1/a*", "@releaseDomain", "/local/domain/1/tab\t",
    };
    struct client *d1 = open_client(1);
    char v[8];
    (void)state;

    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        assert_int_equal(w_write(d1, 0, bad_paths[i], "x"), -EINVAL);
        assert_int_equal(w_read(d1, 0, bad_paths[i], NULL), -EINVAL);
        assert_int_equal(w_mkdir(d1, 0, bad_paths[i]), -EINVAL);
        if (bad_paths[i][0] != '@')
            assert_int_equal(w_watch(d1, bad_paths[i], "t"), -EINVAL);
        assert_int_equal(xs_write(bad_paths[i], "x"), -EINVAL);
    }
    assert_int_equal(w_watch(d1, "@bad/name", "t"), -EINVAL);
    /* the allowed alphabet, all of it */
    assert_int_equal(w_write(d1, 0, "AZaz09_@.-", "ok"), 0);
    assert_int_equal(xs_read(HOME1 "/AZaz09_@.-", v, sizeof(v)), 0);
    /* a guest's bytes are not echoed raw into dom0's log */
    nlogs = 0;
    assert_int_equal(w_write(d1, 0, "/local/domain/1/\x1b[31mred", "x"), -EINVAL);
    assert_true(nlogs >= 1);
    assert_null(strchr(logs[0], '\x1b'));
    assert_true(log_has("WRITE /local/domain/1/??31mred: EINVAL")); /* ESC and [ */
}

static void test_malformed_types(void **state)
{
    struct client *d1 = open_client(1);
    const struct xs_stats *st = xs_get_stats();
    static const uint32_t unsupported[] = {
        T_CONTROL, T_INTRODUCE, T_RELEASE, T_IS_INTRODUCED, T_RESUME, T_SET_TARGET,
        T_RESTRICT_GONE, T_DIRECTORY_PART, 23, 99, 0xFFFF, 0xFFFFFFFFu,
    };
    struct msg m;
    (void)state;

    uint64_t bad = st->bad_input, errors = st->errors;
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        assert_int_equal(wire(d1, unsupported[i], 7, "1", 2, &m), -ENOSYS);
        assert_int_equal(m.tx_id, 7);
    }
    /* server-to-client types sent by a client */
    assert_int_equal(wire(d1, T_WATCH_EVENT, 0, "a\0b", 4, &m), -EINVAL);
    assert_int_equal(wire(d1, T_ERROR, 0, "EIO", 4, &m), -EINVAL);
    size_t n = sizeof(unsupported) / sizeof(unsupported[0]) + 2;
    assert_int_equal(st->bad_input - bad, n);
    assert_int_equal(st->errors - errors, n);
}

static void test_malformed_garbage_headers(void **state)
{
    static unsigned char s[64 * (WIRE_HDR + 64)];
    struct client *d1 = open_client(1);
    const struct xs_stats *st = xs_get_stats();
    uint64_t requests = st->requests;
    size_t n = 0;
    unsigned seed = 7;
    struct msg m;
    (void)state;

    /* 64 messages of random type, ids and short random payloads */
    for (int i = 0; i < 64; i++) {
        unsigned char pl[64];
        size_t len = (seed = seed * 1103515245u + 12345u) % sizeof(pl);
        for (size_t k = 0; k < len; k++)
            pl[k] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
        n += build(s + n, seed, seed * 3, (uint32_t)i, pl, len);
    }
    drain(d1);
    assert_int_equal(xs_conn_input(d1->c, s, n), 0);
    assert_int_equal(st->requests - requests, 64);
    for (int i = 0; i < 64; i++) {
        assert_true(next_msg(d1, &m));
        if (m.type == T_WATCH_EVENT) { /* a random WATCH may have succeeded */
            i--;
            continue;
        }
        assert_int_equal(m.tx_id, (uint32_t)i);
    }
    /* the connection still works */
    assert_int_equal(w_write(d1, 0, "after", "1"), 0);
}

static void test_log_limit_per_conn(void **state)
{
    struct client *d1 = open_client(1);
    struct msg m;
    (void)state;

    nlogs = 0;
    xs_set_log(quiet_log);
    for (int i = 0; i < 500; i++)
        assert_int_equal(wire(d1, T_READ, 0, "x", 1, &m), -EINVAL);
    assert_true(nlogs <= 70);
    assert_int_equal(xs_get_stats()->bad_input >= 500, 1);
}

static void test_stats(void **state)
{
    struct client *d1 = open_client(1);
    const struct xs_stats *st = xs_get_stats();
    struct xs_stats before = *st;
    (void)state;

    assert_int_equal(w_watch(d1, "s", "t"), 0);                     /* 1 event */
    assert_int_equal(xs_watch(HOME1 "/s", "l", on_local, NULL), 0); /* 1 event */
    assert_int_equal(w_write(d1, 0, "s/x", "1"), 0);                /* 2 events */
    assert_int_equal(w_read(d1, 0, "/local/domain/0", NULL), -EACCES);
    assert_int_equal(w_read(d1, 0, "bad path", NULL), -EINVAL);
    assert_int_equal(st->requests - before.requests, 4);
    assert_int_equal(st->errors - before.errors, 2);
    assert_int_equal(st->bad_input - before.bad_input, 1);
    assert_int_equal(st->watch_events - before.watch_events, 4);
}

/* ================================================================================ */
/* fuzzing                                                                          */
/* ================================================================================ */

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void fuzz_feed(struct client *cl, const void *b, size_t n)
{
    if (xs_conn_input(cl->c, b, n) < 0) {
        unsigned d = cl->domid;
        close_client(cl);
        struct client *again = open_client(d);
        again->discard = true;
    }
}

static struct client *fuzz_pick(struct client **cls, int n)
{
    /* the reopen in fuzz_feed may move a domain to another client slot */
    (void)cls;
    for (;;) {
        struct client *cl = &clients[rnd() % NR_CLIENTS];
        if (cl->c)
            return cl;
        (void)n;
    }
}

static unsigned fuzz_local_events;
static void fuzz_cb(const char *path, const char *token, void *ctx)
{
    (void)path;
    (void)token;
    (void)ctx;
    fuzz_local_events++;
}

static void test_fuzz_random_bytes(void **state)
{
    static unsigned char b[512];
    struct client *cls[3] = { open_client(1), open_client(2), open_client(0) };
    (void)state;

    xs_set_log(quiet_log);
    rng_state = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 3; i++)
        cls[i]->discard = true;
    assert_int_equal(xs_watch("/", "all", fuzz_cb, NULL), 0);
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 1 + rnd() % sizeof(b);
        for (size_t k = 0; k < n; k++)
            b[k] = (unsigned char)rnd();
        /* sometimes a plausible header, so messages get through */
        if (n >= WIRE_HDR && rnd() % 2) {
            put32(b, rnd() % 24);
            put32(b + 8, rnd() % 4 ? 0 : rnd() % 8);
            put32(b + 12, rnd() % (uint32_t)(n - WIRE_HDR + 1));
        }
        fuzz_feed(fuzz_pick(cls, 3), b, n);
    }
    assert_int_equal(xs_check(), 0);
    assert_true(xs_get_stats()->requests > 1000);
    assert_int_equal(xs_write("/after/fuzz", "ok"), 0);
}

static void test_fuzz_structured(void **state)
{
    static const char *const words[] = {
        "/local/domain/1/a", "/local/domain/1/a/b", "a", "a/b/c", "/", "@releaseDomain",
        "/local/domain/0/backend/vif/1/0/state", "/local/domain/2/x", "T", "F", "1", "",
        "device/vif/0", "//", "a/", "/local/domain/1/a b", "n1", "r0", "x1", "99999",
        "/local/domain/1/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
    };
    static const uint32_t types[] = {
        T_READ, T_WRITE, T_MKDIR, T_RM, T_DIRECTORY, T_WATCH, T_UNWATCH, T_TX_START, T_TX_END,
        T_GET_DOMAIN_PATH, T_GET_PERMS, T_SET_PERMS, T_RESET_WATCHES, T_INTRODUCE, 77,
    };
    static unsigned char msgb[WIRE_HDR + 700], pl[700];
    struct client *cls[3] = { open_client(1), open_client(2), open_client(0) };
    (void)state;

    xs_set_log(quiet_log);
    rng_state = 0xD1B54A32D192ED03ULL;
    for (int i = 0; i < 3; i++)
        cls[i]->discard = true;
    assert_int_equal(xs_watch("/local", "loc", fuzz_cb, NULL), 0);
    for (int iter = 0; iter < 30000; iter++) {
        size_t len = 0;
        int parts = 1 + (int)(rnd() % 3);
        for (int p = 0; p < parts; p++) {
            const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
            size_t wl = strlen(w);
            if (rnd() % 8 == 0) { /* random bytes instead */
                wl = rnd() % 40;
                for (size_t k = 0; k < wl && len + k < sizeof(pl); k++)
                    pl[len + k] = (unsigned char)rnd();
            } else if (len + wl <= sizeof(pl)) {
                memcpy(pl + len, w, wl);
            }
            len += wl;
            if (len > sizeof(pl) - 2)
                len = sizeof(pl) - 2;
            if (p < parts - 1 || rnd() % 5)
                pl[len++] = '\0';
        }
        uint32_t type = rnd() % 10 ? types[rnd() % (sizeof(types) / sizeof(types[0]))] : rnd();
        uint32_t tx = rnd() % 3 ? 0 : rnd() % 12;
        size_t n = build(msgb, type, rnd(), tx, pl, len);
        struct client *cl = fuzz_pick(cls, 3);
        if (rnd() % 4 == 0) { /* in pieces */
            size_t cut = rnd() % n;
            fuzz_feed(cl, msgb, cut);
            if (cl->c)
                fuzz_feed(cl, msgb + cut, n - cut);
        } else {
            fuzz_feed(cl, msgb, n);
        }
        if (iter % 5000 == 0)
            assert_int_equal(xs_check(), 0);
    }
    assert_int_equal(xs_check(), 0);
    assert_true(xs_get_stats()->requests >= 30000);
    assert_true(fuzz_local_events > 0);
}

/* ================================================================================ */
/* the ring transport                                                               */
/* ================================================================================ */

static struct xenstore_domain_interface *new_ring(void)
{
    struct xenstore_domain_interface *r = malloc(sizeof(*r)); /* exact: ASan-checked */
    assert_non_null(r);
    memset(r, 0x5A, sizeof(*r));
    xs_ring_server_init(r);
    return r;
}

static void test_ring_basic_and_full(void **state)
{
    struct xenstore_domain_interface *r = new_ring();
    static unsigned char in[1500], out[1500];
    (void)state;

    assert_int_equal(r->server_features, XENSTORE_SERVER_FEATURE_ERROR);
    assert_int_equal(r->req_prod, 0);
    assert_int_equal(xs_ring_client_write(r, "hello", 5), 5);
    assert_int_equal(r->req_prod, 5);
    assert_int_equal(xs_ring_server_read(r, out, sizeof(out)), 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(r->req_cons, 5);
    assert_int_equal(xs_ring_server_read(r, out, sizeof(out)), 0); /* empty */
    /* full: only what fits goes in */
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 7);
    assert_int_equal(xs_ring_server_write(r, in, sizeof(in)), RING_BYTES);
    assert_int_equal(xs_ring_server_write(r, in, 1), 0);
    assert_int_equal(xs_ring_client_read(r, out, 100), 100);
    assert_int_equal(xs_ring_server_write(r, in + RING_BYTES, sizeof(in) - RING_BYTES), 100);
    assert_int_equal(xs_ring_client_read(r, out + 100, sizeof(out)), RING_BYTES);
    assert_memory_equal(out, in, RING_BYTES + 100);
    assert_false(xs_ring_corrupt(r));
    free(r);
}

static void test_ring_wraparound_2_32(void **state)
{
    struct xenstore_domain_interface *r = new_ring();
    static unsigned char in[20000], out[20000];
    size_t w = 0, rd = 0;
    uint32_t seed = 1;
    (void)state;

    /* indices near 2^32: the stream crosses the wrap many bytes in */
    r->req_cons = r->req_prod = 0xFFFFFC00u + 17;
    r->rsp_cons = r->rsp_prod = 0xFFFFFFFFu - 5;
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i ^ (i >> 8));
    while (rd < sizeof(in)) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = 1 + (seed >> 16) % 700;
        if (w < sizeof(in))
            w += xs_ring_client_write(r, in + w, chunk < sizeof(in) - w ? chunk : sizeof(in) - w);
        assert_false(xs_ring_corrupt(r));
        rd += xs_ring_server_read(r, out + rd, (seed >> 8) % 900 + 1);
    }
    assert_memory_equal(in, out, sizeof(in));
    assert_true(r->req_prod < 0x10000u); /* it did wrap */
    assert_int_equal(r->req_prod, r->req_cons);
    /* and the other direction */
    w = rd = 0;
    while (rd < sizeof(in)) {
        seed = seed * 1103515245u + 12345u;
        if (w < sizeof(in))
            w += xs_ring_server_write(r, in + w, (seed >> 16) % 1200 < sizeof(in) - w
                                                     ? (seed >> 16) % 1200 : sizeof(in) - w);
        rd += xs_ring_client_read(r, out + rd, (seed >> 4) % 333 + 1);
    }
    assert_memory_equal(in, out, sizeof(in));
    assert_true(r->rsp_prod < 0x10000u);
    /* a full ring exactly at the wrap */
    r->req_cons = 0xFFFFFE00u;
    r->req_prod = 0xFFFFFE00u;
    assert_int_equal(xs_ring_client_write(r, in, RING_BYTES), RING_BYTES);
    assert_int_equal(r->req_prod, 0x200u);
    assert_false(xs_ring_corrupt(r));
    assert_int_equal(xs_ring_client_write(r, in, 1), 0);
    assert_int_equal(xs_ring_server_read(r, out, RING_BYTES), RING_BYTES);
    assert_memory_equal(in, out, RING_BYTES);
    free(r);
}

static void test_ring_corruption(void **state)
{
    struct xenstore_domain_interface *r = new_ring();
    unsigned char out[64];
    (void)state;

    /* a producer more than a ring ahead */
    r->req_cons = 100;
    r->req_prod = 100 + RING_BYTES + 1;
    assert_true(xs_ring_corrupt(r));
    assert_int_equal(xs_ring_server_read(r, out, sizeof(out)), 0);
    assert_int_equal(r->error, XENSTORE_ERROR_RINGIDX);
    assert_int_equal(r->req_cons, 100); /* untouched */
    assert_int_equal(xs_ring_client_write(r, "x", 1), 0);
    /* a producer behind its consumer is the same thing modulo 2^32 */
    xs_ring_server_init(r);
    r->rsp_cons = 50;
    r->rsp_prod = 49;
    assert_true(xs_ring_corrupt(r));
    assert_int_equal(xs_ring_client_read(r, out, sizeof(out)), 0);
    assert_int_equal(xs_ring_server_write(r, "x", 1), 0);
    assert_int_equal(r->error, XENSTORE_ERROR_RINGIDX);
    /* exactly a ring apart is full, not corrupt */
    xs_ring_server_init(r);
    r->rsp_cons = 0xFFFFFFF0u;
    r->rsp_prod = 0xFFFFFFF0u + RING_BYTES;
    assert_false(xs_ring_corrupt(r));
    assert_int_equal(xs_ring_server_write(r, "x", 1), 0);
    assert_int_equal(r->error, XENSTORE_ERROR_NONE);
    /* random indices never make it touch memory outside the page (ASan) */
    uint32_t seed = 99;
    static unsigned char big[4096];
    for (int i = 0; i < 10000; i++) {
        seed = seed * 1103515245u + 12345u;
        r->req_cons = seed;
        r->req_prod = seed * 7 + (uint32_t)i;
        r->rsp_cons = seed ^ 0xABCDu;
        r->rsp_prod = (seed ^ 0xABCDu) + (seed >> 20);
        xs_ring_server_read(r, big, sizeof(big));
        xs_ring_server_write(r, big, sizeof(big));
        xs_ring_client_read(r, big, sizeof(big));
        xs_ring_client_write(r, big, sizeof(big));
        (void)xs_ring_corrupt(r);
    }
    free(r);
}

/* The store and the ring together, without xenbus: a client speaking the
 * protocol through the page, with traffic well past one ring's worth. */
static struct xenstore_domain_interface *e2e_ring;
static unsigned char e2e_pending[CAPTURE_BYTES];
static size_t e2e_pending_len;

static void e2e_send(struct xs_conn *c, const void *b, size_t n)
{
    (void)c;
    assert_true(e2e_pending_len + n <= sizeof(e2e_pending));
    memcpy(e2e_pending + e2e_pending_len, b, n);
    e2e_pending_len += n;
}

static void e2e_server(struct xs_conn *c)
{
    unsigned char b[100];
    size_t n;
    while ((n = xs_ring_server_read(e2e_ring, b, sizeof(b))) > 0)
        assert_int_equal(xs_conn_input(c, b, n), 0);
    n = xs_ring_server_write(e2e_ring, e2e_pending, e2e_pending_len);
    memmove(e2e_pending, e2e_pending + n, e2e_pending_len - n);
    e2e_pending_len -= n;
}

static void test_ring_with_store(void **state)
{
    static unsigned char req[WIRE_HDR + 600], rsp[WIRE_HDR + WIRE_PAYLOAD_MAX];
    char path[32], val[300];
    (void)state;

    e2e_ring = new_ring();
    e2e_ring->req_cons = e2e_ring->req_prod = 0xFFFFF000u; /* wrap on the way */
    e2e_ring->rsp_cons = e2e_ring->rsp_prod = 0xFFFFF800u;
    e2e_pending_len = 0;
    struct xs_conn *c = xs_conn_open(4, e2e_send, NULL);
    assert_non_null(c);
    for (uint32_t i = 0; i < 200; i++) {
        snprintf(path, sizeof(path), "data/%u", (i / 2) % 50); /* write, then read it */
        memset(val, 'a' + (int)(i % 26), 250);
        size_t pl = strlen(path) + 1;
        memcpy(plb, path, pl);
        memcpy(plb + pl, val, 250);
        size_t n = build(req, i % 2 ? T_READ : T_WRITE, i + 1, 0, plb, i % 2 ? pl : pl + 250);
        size_t sent = 0, got = 0, want = WIRE_HDR;
        while (got < want) {
            if (sent < n)
                sent += xs_ring_client_write(e2e_ring, req + sent, n - sent);
            e2e_server(c);
            got += xs_ring_client_read(e2e_ring, rsp + got, want - got);
            if (got >= WIRE_HDR)
                want = WIRE_HDR + get32(rsp + 12);
        }
        assert_int_equal(get32(rsp + 4), i + 1);
        assert_int_equal(get32(rsp), i % 2 ? T_READ : T_WRITE);
        if (i % 2) {
            assert_int_equal(get32(rsp + 12), 250);
            assert_int_equal(rsp[WIRE_HDR], 'a' + (int)((i - 1) % 26));
        }
    }
    assert_false(xs_ring_corrupt(e2e_ring));
    xs_conn_close(c);
    free(e2e_ring);
}

/* ================================================================================ */
/* the xenbus client, over a ring, against the store                               */
/* ================================================================================ */

static void test_xenbus_basic(void **state)
{
    char buf[600], list[600];
    unsigned count;
    (void)state;

    sim_start(1);
    assert_int_equal(xenbus_write(XBT_NIL, "device/x", "42"), 0);
    assert_string_equal(xenbus_last_error(), "");
    assert_int_equal(xenbus_read(XBT_NIL, "device/x", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "42");
    assert_int_equal(xenbus_mkdir(XBT_NIL, "device/y"), 0);
    assert_int_equal(xenbus_directory(XBT_NIL, "device", list, sizeof(list), &count), 0);
    assert_int_equal(count, 2);
    assert_memory_equal(list, "x\0y\0", 4);
    assert_int_equal(xenbus_rm(XBT_NIL, "device/y"), 0);
    assert_int_equal(xenbus_read(XBT_NIL, "device/y", buf, sizeof(buf)), -ENOENT);
    assert_string_equal(xenbus_last_error(), "ENOENT");
    assert_int_equal(xenbus_get_domain_path(1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/local/domain/1");
    /* the server's refusals come back by name and number */
    assert_int_equal(xenbus_write(XBT_NIL, "/local/domain/0/x", "1"), -EACCES);
    assert_string_equal(xenbus_last_error(), "EACCES");
    assert_int_equal(xenbus_read(XBT_NIL, "bad path", buf, sizeof(buf)), -EINVAL);
    assert_string_equal(xenbus_last_error(), "EINVAL");
    /* a buffer too small for the value */
    assert_int_equal(xenbus_read(XBT_NIL, "device/x", buf, 2), -E2BIG);
    assert_int_equal(xenbus_read(XBT_NIL, "device/x", buf, 3), 0);
    /* waiting slept in WFI, with IRQs masked again afterwards */
    assert_true(sim_wfi > 0);
    assert_false(sim_irq_on);
    assert_false(xs_ring_corrupt(sim_ring));
}

static void test_xenbus_big_messages(void **state)
{
    static char path[1200], list[WIRE_PAYLOAD_MAX + 1], val[XS_VALUE_MAX + 1], back[300];
    unsigned count;
    (void)state;

    sim_start(1);
    /* a request larger than the ring: written in parts as the server consumes */
    long_path(path, "big", 900);
    memset(val, 'z', XS_VALUE_MAX);
    assert_int_equal(xenbus_write(XBT_NIL, path, val), 0);
    assert_int_equal(xenbus_read(XBT_NIL, path, back, sizeof(back)), 0);
    assert_string_equal(back, val);
    /* a reply larger than the ring: read in parts, the server kicked each time */
    for (int i = 0; i < 40; i++) {
        char p[80];
        snprintf(p, sizeof(p), "wide/child-number-%02d-with-a-rather-long-name", i);
        assert_int_equal(xenbus_mkdir(XBT_NIL, p), 0);
    }
    unsigned kicks = sim_kicks;
    assert_int_equal(xenbus_directory(XBT_NIL, "wide", list, sizeof(list), &count), 0);
    assert_int_equal(count, 40);
    assert_true(sim_kicks - kicks >= 3);
    assert_string_equal(list, "child-number-00-with-a-rather-long-name");
    assert_false(xs_ring_corrupt(sim_ring));
}

static void test_xenbus_watch_queue(void **state)
{
    char path[XENBUS_EVENT_PATH_MAX + 1], token[XENBUS_EVENT_TOKEN_MAX + 1];
    const struct xenbus_stats *st = xenbus_get_stats();
    (void)state;

    sim_start(1);
    assert_int_equal(xenbus_watch(BE "/state", "be"), 0);
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 0), 0);
    assert_string_equal(path, BE "/state");
    assert_string_equal(token, "be");
    /* nothing queued: 0 does not wait, a timeout waits on the timer */
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 0), -ETIMEDOUT);
    uint64_t t0 = sim_now;
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 5000),
                     -ETIMEDOUT);
    assert_true(sim_now - t0 >= 5000);
    assert_string_equal(xenbus_last_error(), "ETIMEDOUT");
    /* an event arriving while waiting wakes it */
    make_be(); /* the toolstack's: dom0 owns it, d1 may read it */
    assert_int_equal(xs_write(BE "/state", "2"), 0);
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token),
                                       XENBUS_WAIT_FOREVER), 0);
    assert_string_equal(path, BE "/state");
    /* events arriving while a reply is awaited are kept, in order */
    assert_int_equal(xenbus_watch("device", "dev"), 0); /* + its immediate event */
    assert_int_equal(xs_write(BE "/state", "3"), 0);
    char v[8];
    assert_int_equal(xenbus_read(XBT_NIL, BE "/state", v, sizeof(v)), 0);
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 0), 0);
    assert_string_equal(token, "dev");
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 0), 0);
    assert_string_equal(token, "be");
    /* overflow: the queue keeps XENBUS_WATCH_QUEUE, the rest are counted */
    uint64_t dropped = st->watch_dropped;
    for (int i = 0; i < XENBUS_WATCH_QUEUE + 5; i++) {
        char p[48];
        snprintf(p, sizeof(p), "/local/domain/1/device/%d", i);
        assert_int_equal(xs_write(p, "x"), 0);
    }
    assert_int_equal(xenbus_read(XBT_NIL, "device/0", v, sizeof(v)), 0);
    assert_int_equal(st->watch_dropped - dropped, 5);
    for (int i = 0; i < XENBUS_WATCH_QUEUE; i++) {
        assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 0), 0);
        char want[32];
        snprintf(want, sizeof(want), "device/%d", i);
        assert_string_equal(path, want);
    }
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 0), -ETIMEDOUT);
    /* too small a buffer: -E2BIG, the event is consumed */
    assert_int_equal(xs_write("/local/domain/1/device/z", "x"), 0);
    assert_int_equal(xenbus_wait_watch(path, 4, token, sizeof(token), XENBUS_WAIT_FOREVER),
                     -E2BIG);
    assert_int_equal(xenbus_unwatch("device", "dev"), 0);
    assert_int_equal(xenbus_unwatch("device", "dev"), -ENOENT);
}

static void test_xenbus_timeout_and_stray(void **state)
{
    char v[16];
    const struct xenbus_stats *st = xenbus_get_stats();
    (void)state;

    sim_start(1);
    assert_int_equal(xenbus_write(XBT_NIL, "t", "1"), 0);
    uint64_t stray = st->stray_replies, timeouts = st->timeouts;
    sim_server_deaf = true;
    uint64_t t0 = sim_now;
    assert_int_equal(xenbus_read(XBT_NIL, "t", v, sizeof(v)), -ETIMEDOUT);
    assert_string_equal(xenbus_last_error(), "ETIMEDOUT");
    assert_true(sim_now - t0 >= XENBUS_REPLY_TIMEOUT_US);
    assert_int_equal(st->timeouts - timeouts, 1);
    /* the server wakes up: its late answer is dropped, the next call works */
    sim_server_deaf = false;
    assert_int_equal(xenbus_read(XBT_NIL, "t", v, sizeof(v)), 0);
    assert_string_equal(v, "1");
    assert_int_equal(st->stray_replies - stray, 1);
}

static void test_xenbus_transactions(void **state)
{
    xenbus_transaction_t t;
    char v[16];
    (void)state;

    sim_start(1);
    assert_int_equal(xenbus_transaction_start(&t), 0);
    assert_true(t != XBT_NIL);
    assert_int_equal(xenbus_write(t, "tx/a", "1"), 0);
    assert_int_equal(xenbus_read(t, "tx/a", v, sizeof(v)), 0);
    assert_int_equal(xenbus_read(XBT_NIL, "tx/a", v, sizeof(v)), -ENOENT);
    assert_int_equal(xenbus_transaction_end(t, XENBUS_ABORT), 0); /* abort */
    assert_int_equal(xenbus_read(XBT_NIL, "tx/a", v, sizeof(v)), -ENOENT);

    assert_int_equal(xenbus_transaction_start(&t), 0);
    assert_int_equal(xenbus_read(t, "tx", v, sizeof(v)), -ENOENT);
    assert_int_equal(xenbus_write(t, "tx/a", "2"), 0);
    assert_int_equal(xs_write("/local/domain/1/tx", "someone"), 0);
    assert_int_equal(xenbus_transaction_end(t, XENBUS_COMMIT), -EAGAIN);
    assert_string_equal(xenbus_last_error(), "EAGAIN");

    assert_int_equal(xenbus_transaction_start(&t), 0);
    assert_int_equal(xenbus_write(t, "tx/a", "3"), 0);
    assert_int_equal(xenbus_transaction_end(t, XENBUS_COMMIT), 0);
    assert_int_equal(xenbus_read(XBT_NIL, "tx/a", v, sizeof(v)), 0);
    assert_string_equal(v, "3");
}

static void test_xenbus_bad_server(void **state)
{
    unsigned char h[WIRE_HDR];
    char path[64], token[64];
    const struct xenbus_stats *st = xenbus_get_stats();
    (void)state;

    sim_start(1);
    /* a malformed watch event is dropped and counted */
    uint64_t bad = st->bad_messages;
    build(h, T_WATCH_EVENT, 0, 0, NULL, 3);
    assert_int_equal(xs_ring_server_write(sim_ring, h, WIRE_HDR), WIRE_HDR);
    assert_int_equal(xs_ring_server_write(sim_ring, "abc", 3), 3);
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 0), -ETIMEDOUT);
    assert_int_equal(st->bad_messages - bad, 1);
    /* a length past the protocol's limit: the connection is unusable */
    build(h, T_READ, 5, 0, NULL, 0);
    put32(h + 12, 100000);
    assert_int_equal(xs_ring_server_write(sim_ring, h, WIRE_HDR), WIRE_HDR);
    assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token), 0), -EIO);
    assert_int_equal(xenbus_write(XBT_NIL, "x", "1"), -EIO);
    /* corrupt indices are refused at init */
    sim_ring->rsp_prod = sim_ring->rsp_cons + 5000;
    assert_int_equal(xenbus_init(sim_ring, TEST_PORT), -EIO);
}

static void test_xenbus_send_timeout(void **state)
{
    static char path[1200], val[XS_VALUE_MAX + 1];
    (void)state;

    sim_start(1);
    /* the server never reads: a request larger than the ring cannot be sent */
    sim_server_deaf = true;
    long_path(path, "big", 900);
    memset(val, 'z', XS_VALUE_MAX);
    assert_int_equal(xenbus_write(XBT_NIL, path, val), -ETIMEDOUT);
    /* half a message is in the ring: the connection is given up */
    sim_server_deaf = false;
    assert_int_equal(xenbus_write(XBT_NIL, "x", "1"), -EIO);
    assert_string_equal(xenbus_last_error(), "EIO");
    /* arguments checked before anything is sent */
    assert_int_equal(xenbus_write(XBT_NIL, NULL, "1"), -EINVAL);
    assert_int_equal(xenbus_watch("x", NULL), -EINVAL);
    assert_int_equal(xenbus_transaction_start(NULL), -EINVAL);
}

/* Put a reply in the ring for the next request, as a confused server might. */
static void forge_reply(uint32_t type, const void *payload, size_t len)
{
    unsigned char m[WIRE_HDR + 64];
    size_t n = build(m, type, next_req_id, 0, payload, len);
    assert_int_equal(xs_ring_server_write(sim_ring, m, n), n);
}

static void test_xenbus_forged_replies(void **state)
{
    const struct xenbus_stats *st = xenbus_get_stats();
    xenbus_transaction_t t;
    char v[16];
    (void)state;

    sim_start(1);
    uint64_t bad = st->bad_messages;
    /* the server does not answer on its own; the forged reply is all there is */
    sim_server_deaf = true;
    forge_reply(T_DIRECTORY, "x", 2);
    assert_int_equal(xenbus_read(XBT_NIL, "x", v, sizeof(v)), -EIO); /* wrong type */
    forge_reply(T_ERROR, "EWHAT", 6);
    assert_int_equal(xenbus_read(XBT_NIL, "x", v, sizeof(v)), -EIO); /* unknown name */
    assert_string_equal(xenbus_last_error(), "EWHAT");
    forge_reply(T_ERROR, "EACCES", 6);
    assert_int_equal(xenbus_read(XBT_NIL, "x", v, sizeof(v)), -EIO); /* no NUL */
    forge_reply(T_WRITE, "NO", 3);
    assert_int_equal(xenbus_write(XBT_NIL, "x", "1"), -EIO); /* not "OK" */
    forge_reply(T_TX_START, "0", 2);
    assert_int_equal(xenbus_transaction_start(&t), -EIO); /* id 0 */
    forge_reply(T_TX_START, "12a", 4);
    assert_int_equal(xenbus_transaction_start(&t), -EIO);
    forge_reply(T_TX_START, "99999999999", 12);
    assert_int_equal(xenbus_transaction_start(&t), -EIO); /* over 32 bits */
    forge_reply(T_DIRECTORY, "a\0b", 3);
    assert_int_equal(xenbus_directory(XBT_NIL, "x", v, sizeof(v), NULL), -EIO);
    forge_reply(T_GET_DOMAIN_PATH, "/x", 2);
    assert_int_equal(xenbus_get_domain_path(1, v, sizeof(v)), -EIO);
    assert_int_equal(st->bad_messages - bad, 8); /* an unknown name is well-formed */
    /* well-formed forged replies are taken at their word */
    forge_reply(T_TX_START, "4294967295", 11);
    assert_int_equal(xenbus_transaction_start(&t), 0);
    assert_int_equal(t, 4294967295u);
    forge_reply(T_ERROR, "EBUSY", 6);
    assert_int_equal(xenbus_mkdir(XBT_NIL, "x"), -EBUSY);
}

/* ================================================================================ */
/* the netfront/netback handshake                                                   */
/* ================================================================================ */

struct backend {
    bool connected;
    char tx_ref[16], rx_ref[16], evtchn[16], rx_copy[8];
    unsigned calls;
};

/* dom0's "toolstack": both halves of vif 0 of domain 1, in Xen's layout. */
static void toolstack_create_vif(void)
{
    assert_int_equal(xs_mkdir(FE), 0);
    assert_int_equal(xs_write(FE "/backend", BE), 0);
    assert_int_equal(xs_write(FE "/backend-id", "0"), 0);
    assert_int_equal(xs_write(FE "/handle", "0"), 0);
    assert_int_equal(xs_write(FE "/mac", "00:16:3e:00:00:01"), 0);
    assert_int_equal(xs_write(FE "/state", "1"), 0);
    make_be();
    assert_int_equal(xs_write(BE "/frontend", FE), 0);
    assert_int_equal(xs_write(BE "/frontend-id", "1"), 0);
    assert_int_equal(xs_write(BE "/handle", "0"), 0);
    assert_int_equal(xs_write(BE "/state", "1"), 0);
}

/* netback's reaction to the frontend's state, from its local watch */
static void backend_frontend_changed(const char *path, const char *token, void *ctx)
{
    struct backend *be = ctx;
    char st[8];

    (void)path;
    (void)token;
    be->calls++;
    if (xs_read(FE "/state", st, sizeof(st)) || strcmp(st, "4") || be->connected)
        return;
    assert_int_equal(xs_read(FE "/tx-ring-ref", be->tx_ref, sizeof(be->tx_ref)), 0);
    assert_int_equal(xs_read(FE "/rx-ring-ref", be->rx_ref, sizeof(be->rx_ref)), 0);
    assert_int_equal(xs_read(FE "/event-channel", be->evtchn, sizeof(be->evtchn)), 0);
    assert_int_equal(xs_read(FE "/request-rx-copy", be->rx_copy, sizeof(be->rx_copy)), 0);
    be->connected = true;
    assert_int_equal(xs_write(BE "/state", "4"), 0);
}

static void backend_probe(struct backend *be)
{
    assert_int_equal(xs_write(BE "/feature-sg", "1"), 0);
    assert_int_equal(xs_write(BE "/feature-rx-copy", "1"), 0);
    assert_int_equal(xs_write(BE "/feature-rx-flip", "0"), 0);
    assert_int_equal(xs_write(BE "/state", "2"), 0); /* InitWait */
    assert_int_equal(xs_watch(FE "/state", "netback", backend_frontend_changed, be), 0);
}

static void test_netfront_handshake_wire(void **state)
{
    struct backend be = { 0 };
    char val[WIRE_PAYLOAD_MAX + 1], backend[WIRE_PAYLOAD_MAX + 1], bstate[WIRE_PAYLOAD_MAX + 16];
    uint32_t tx;
    int r;
    (void)state;

    toolstack_create_vif();
    struct client *fe = open_client(1);
    backend_probe(&be);
    assert_int_equal(be.calls, 1); /* the watch's first event */
    assert_false(be.connected);

    /* frontend: find the backend, watch its state */
    assert_int_equal(w_read(fe, 0, "device/vif/0/backend", backend), 0);
    assert_string_equal(backend, BE);
    snprintf(bstate, sizeof(bstate), "%s/state", backend);
    assert_int_equal(w_watch(fe, bstate, "fe-otherend"), 0);
    expect_event(fe, bstate, "fe-otherend");
    assert_int_equal(w_read(fe, 0, bstate, val), 0);
    assert_string_equal(val, "2");
    assert_int_equal(w_read(fe, 0, BE "/feature-rx-copy", val), 0);
    assert_string_equal(val, "1");
    /* its ring details in one transaction, retried on EAGAIN as Linux does */
    do {
        assert_int_equal(w_tx_start(fe, &tx), 0);
        assert_int_equal(w_write(fe, tx, "device/vif/0/tx-ring-ref", "8"), 0);
        assert_int_equal(w_write(fe, tx, "device/vif/0/rx-ring-ref", "9"), 0);
        assert_int_equal(w_write(fe, tx, "device/vif/0/event-channel", "3"), 0);
        assert_int_equal(w_write(fe, tx, "device/vif/0/request-rx-copy", "1"), 0);
        assert_int_equal(w_write(fe, tx, "device/vif/0/feature-rx-notify", "1"), 0);
        r = w_tx_end(fe, tx, true);
    } while (r == -EAGAIN);
    assert_int_equal(r, 0);
    assert_false(be.connected); /* the state is still 1 */
    /* Connected: the backend's watch answers from inside this very write */
    assert_int_equal(w_write(fe, 0, "device/vif/0/state", "4"), 0);
    assert_true(be.connected);
    assert_string_equal(be.tx_ref, "8");
    assert_string_equal(be.rx_ref, "9");
    assert_string_equal(be.evtchn, "3");
    assert_string_equal(be.rx_copy, "1");
    /* ... and the frontend hears of the backend's new state */
    expect_event(fe, bstate, "fe-otherend");
    expect_no_message(fe);
    assert_int_equal(w_read(fe, 0, bstate, val), 0);
    assert_string_equal(val, "4");
}

static void test_netfront_handshake_xenbus(void **state)
{
    struct backend be = { 0 };
    char backend[128], bstate[160], path[XENBUS_EVENT_PATH_MAX + 1];
    char token[XENBUS_EVENT_TOKEN_MAX + 1], val[16];
    xenbus_transaction_t t;
    int r;
    (void)state;

    toolstack_create_vif();
    sim_start(1);
    backend_probe(&be);

    assert_int_equal(xenbus_read(XBT_NIL, "device/vif/0/backend", backend, sizeof(backend)), 0);
    snprintf(bstate, sizeof(bstate), "%s/state", backend);
    assert_int_equal(xenbus_watch(bstate, "otherend"), 0);
    /* wait until the backend is in InitWait or beyond */
    for (;;) {
        assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token),
                                           XENBUS_WAIT_FOREVER), 0);
        assert_string_equal(token, "otherend");
        assert_int_equal(xenbus_read(XBT_NIL, bstate, val, sizeof(val)), 0);
        if (atoi(val) >= XenbusStateInitWait)
            break;
    }
    do {
        assert_int_equal(xenbus_transaction_start(&t), 0);
        assert_int_equal(xenbus_write(t, "device/vif/0/tx-ring-ref", "768"), 0);
        assert_int_equal(xenbus_write(t, "device/vif/0/rx-ring-ref", "769"), 0);
        assert_int_equal(xenbus_write(t, "device/vif/0/event-channel", "2"), 0);
        assert_int_equal(xenbus_write(t, "device/vif/0/request-rx-copy", "1"), 0);
        r = xenbus_transaction_end(t, XENBUS_COMMIT);
    } while (r == -EAGAIN);
    assert_int_equal(r, 0);
    assert_int_equal(xenbus_write(XBT_NIL, "device/vif/0/state", "4"), 0);
    for (;;) {
        assert_int_equal(xenbus_wait_watch(path, sizeof(path), token, sizeof(token),
                                           1000000), 0);
        assert_int_equal(xenbus_read(XBT_NIL, bstate, val, sizeof(val)), 0);
        if (atoi(val) == XenbusStateConnected)
            break;
    }
    assert_true(be.connected);
    assert_string_equal(be.tx_ref, "768");
    assert_string_equal(be.evtchn, "2");
    assert_false(xs_ring_corrupt(sim_ring));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_wire_layout),
        T(test_init_store),
        T(test_wire_write_read),
        T(test_wire_mkdir),
        T(test_wire_rm),
        T(test_wire_directory),
        T(test_wire_get_domain_path),
        T(test_wire_relative_paths),
        T(test_get_set_perms),
        T(test_split_every_boundary),
        T(test_many_messages_one_call),
        T(test_perms_domu_allowed),
        T(test_perms_domu_denied),
        T(test_perms_dom0_everything),
        T(test_perms_backend_in_third_domain),
        T(test_perms_watch_events_follow_acl),
        T(test_perms_transaction_set_perms),
        T(test_perms_watch_removal_in_transaction),
        T(test_watch_wire_immediate),
        T(test_watch_wire_fires_on_changes),
        T(test_watch_wire_relative_and_tokens),
        T(test_watch_wire_permission_filter),
        T(test_watch_wire_unwatch_reset_close),
        T(test_watch_local),
        T(test_watch_local_reentrant),
        T(test_watch_local_modify_during_fire),
        T(test_conn_close_from_watch),
        T(test_tx_commit),
        T(test_tx_abort),
        T(test_tx_sees_own_changes),
        T(test_tx_conflict),
        T(test_tx_many_paths_conservative),
        T(test_tx_errors_and_limits),
        T(test_limits_paths),
        T(test_limits_values),
        T(test_limits_payload_drops_connection),
        T(test_limits_store_full),
        T(test_limits_watches_conns_dir),
        T(test_quota_two_hostile_cannot_starve_third),
        T(test_quota_freed_on_close_and_release),
        T(test_quota_node_owning_domains),
        T(test_quota_log_rate_limited),
        T(test_malformed_strings),
        T(test_malformed_paths),
        T(test_malformed_types),
        T(test_malformed_garbage_headers),
        T(test_log_limit_per_conn),
        T(test_stats),
        T(test_fuzz_random_bytes),
        T(test_fuzz_structured),
        T(test_ring_basic_and_full),
        T(test_ring_wraparound_2_32),
        T(test_ring_corruption),
        T(test_ring_with_store),
        T(test_xenbus_basic),
        T(test_xenbus_big_messages),
        T(test_xenbus_watch_queue),
        T(test_xenbus_timeout_and_stray),
        T(test_xenbus_transactions),
        T(test_xenbus_bad_server),
        T(test_xenbus_send_timeout),
        T(test_xenbus_forged_replies),
        T(test_netfront_handshake_wire),
        T(test_netfront_handshake_xenbus),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
