/*
 * test_toolstack.c — the toolstack's xenstore writes (guests/dom0/
 * toolstack_nodes.c) over the real store (guests/dom0/xenstore.c): the
 * nodes and values of a domain's home and of a vif's two directories, their
 * permissions (each side owns its directory, the other side's domain reads
 * it), what a frontend, a backend in a third domain and a bystander may do
 * over the wire, and the removal when a frontend domain ends.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "xenstore.h"
#include "toolstack_nodes.h"

#define FE_ID 2
#define BE_ID 1   /* the driver domain */
#define SPY_ID 3

/* --- a minimal wire client: one request, its reply --------------------------------- */

static char reply[4096];
static size_t reply_len;

static void capture(struct xs_conn *c, const void *bytes, size_t len)
{
    (void)c;
    if (reply_len + len <= sizeof(reply)) {
        memcpy(reply + reply_len, bytes, len);
        reply_len += len;
    }
}

/* Send one request with a string payload (two strings if b); returns 0 or
 * -errno from an XS_ERROR reply.  The reply's payload is NUL-terminated in
 * reply + header. */
static int request(struct xs_conn *c, uint32_t type, const char *a, const char *b)
{
    char msg[1024];
    struct xsd_sockmsg h = { .type = type, .req_id = 7 };
    /* XS_WRITE's value has no NUL; a watch token has one */
    size_t la = strlen(a) + 1, lb = b ? strlen(b) + (type == XS_WATCH) : 0;

    memcpy(msg + sizeof(h), a, la);
    if (b)
        memcpy(msg + sizeof(h) + la, b, lb); /* a value: no NUL (XS_WRITE) */
    h.len = (uint32_t)(la + lb);
    memcpy(msg, &h, sizeof(h));
    reply_len = 0;
    assert_int_equal(xs_conn_input(c, msg, sizeof(h) + h.len), 0);
    assert_true(reply_len >= sizeof(h));
    memcpy(&h, reply, sizeof(h));
    reply[reply_len < sizeof(reply) ? reply_len : sizeof(reply) - 1] = '\0';
    if (h.type == XS_ERROR) {
        const char *e = reply + sizeof(h);
        if (!strcmp(e, "EACCES"))
            return -EACCES;
        if (!strcmp(e, "ENOENT"))
            return -ENOENT;
        return -EINVAL;
    }
    return 0;
}

static const char *payload(void) { return reply + sizeof(struct xsd_sockmsg); }

static int setup(void **state)
{
    (void)state;
    xs_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(xs_check(), 0);
    return 0;
}

static void expect_node(const char *path, const char *want)
{
    char val[300];
    assert_int_equal(xs_read(path, val, sizeof(val)), 0);
    assert_string_equal(val, want);
}

static void expect_perms(const char *path, unsigned owner, unsigned reader)
{
    struct xs_perm p[XS_PERMS_MAX];
    unsigned n;

    assert_int_equal(xs_get_perms(path, p, XS_PERMS_MAX, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].domid, owner);
    assert_int_equal(p[0].perm, XS_PERM_NONE);
    assert_int_equal(p[1].domid, reader);
    assert_int_equal(p[1].perm, XS_PERM_READ);
}

static void test_vif_paths_and_mac(void **state)
{
    struct ts_vif v;
    (void)state;

    ts_vif_init(&v, 0x1a, 5, 0);
    assert_string_equal(v.fe, "/local/domain/26/device/vif/0");
    assert_string_equal(v.be, "/local/domain/5/backend/vif/26/0");
    assert_string_equal(v.be_top, "/local/domain/5/backend/vif/26");
    assert_string_equal(v.mac_str, "00:16:3e:00:00:1a");
    static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x1a };
    assert_memory_equal(v.mac, mac, 6);
}

static void test_domain_nodes(void **state)
{
    struct xs_perm p[XS_PERMS_MAX];
    unsigned n;
    (void)state;

    assert_int_equal(ts_write_domain(FE_ID, 2, 32768, 0), 0);
    expect_node("/local/domain/2/control/platform-feature-xs_reset_watches", "1");
    expect_node("/local/domain/2/cpu/0/availability", "online");
    expect_node("/local/domain/2/cpu/1/availability", "online");
    assert_int_equal(xs_read("/local/domain/2/cpu/2/availability", reply, sizeof(reply)),
                     -ENOENT);
    expect_node("/local/domain/2/memory/static-max", "32768");
    expect_node("/local/domain/2/memory/target", "32768");
    /* below the home: the domain's own */
    assert_int_equal(xs_get_perms("/local/domain/2/memory/target", p, XS_PERMS_MAX, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].domid, FE_ID);
    /* memory not told: no memory nodes */
    assert_int_equal(ts_write_domain(3, 1, 0, 0), 0);
    assert_int_equal(xs_read("/local/domain/3/memory/target", reply, sizeof(reply)), -ENOENT);
    /* a backend domain's reservoir: the target below the ceiling */
    assert_int_equal(ts_write_domain(4, 1, 393216, TS_BACKEND_RESERVOIR_KIB), 0);
    expect_node("/local/domain/4/memory/static-max", "393216");
    expect_node("/local/domain/4/memory/target", "385024");
    /* a reservoir that leaves nothing is refused, and nothing is written */
    assert_int_equal(ts_write_domain(5, 1, 8192, 8192), -EINVAL);
    assert_int_equal(xs_read("/local/domain/5/memory/target", reply, sizeof(reply)), -ENOENT);
}

static void test_vif_nodes_both_ends(void **state)
{
    struct ts_vif v;
    (void)state;

    ts_vif_init(&v, FE_ID, BE_ID, 0);
    assert_int_equal(ts_write_vif_backend(&v), 0);
    assert_int_equal(ts_write_vif_frontend(&v), 0);
    /* reference §7: the backend directory */
    expect_node(v.be, "");
    expect_node("/local/domain/1/backend/vif/2/0/frontend", "/local/domain/2/device/vif/0");
    expect_node("/local/domain/1/backend/vif/2/0/frontend-id", "2");
    expect_node("/local/domain/1/backend/vif/2/0/online", "1");
    expect_node("/local/domain/1/backend/vif/2/0/handle", "0");
    expect_node("/local/domain/1/backend/vif/2/0/mac", "00:16:3e:00:00:02");
    expect_node("/local/domain/1/backend/vif/2/0/script", "/etc/xen/scripts/vif-bridge");
    expect_node("/local/domain/1/backend/vif/2/0/bridge", "xenbr0");
    expect_node("/local/domain/1/backend/vif/2/0/state", "1");
    /* and the frontend directory */
    expect_node("/local/domain/2/device/vif/0/backend", "/local/domain/1/backend/vif/2/0");
    expect_node("/local/domain/2/device/vif/0/backend-id", "1");
    expect_node("/local/domain/2/device/vif/0/handle", "0");
    expect_node("/local/domain/2/device/vif/0/mac", "00:16:3e:00:00:02");
    expect_node("/local/domain/2/device/vif/0/state", "1");
    /* permissions: each side owns its directory, the other reads it; the
     * keys inherit that */
    expect_perms(v.be, BE_ID, FE_ID);
    expect_perms("/local/domain/1/backend/vif/2/0/script", BE_ID, FE_ID);
    expect_perms(v.fe, FE_ID, BE_ID);
    expect_perms("/local/domain/2/device/vif/0/state", FE_ID, BE_ID);
}

static void test_vif_access_over_the_wire(void **state)
{
    struct ts_vif v;
    struct xs_conn *fe, *be, *spy;
    (void)state;

    fe = xs_conn_open(FE_ID, capture, NULL);
    be = xs_conn_open(BE_ID, capture, NULL);
    spy = xs_conn_open(SPY_ID, capture, NULL);
    ts_vif_init(&v, FE_ID, BE_ID, 0);
    assert_int_equal(ts_write_vif_backend(&v), 0);
    assert_int_equal(ts_write_vif_frontend(&v), 0);

    /* the driver domain: writes its backend keys, reads the frontend's */
    assert_int_equal(request(be, XS_WRITE, "/local/domain/1/backend/vif/2/0/feature-sg", "1"), 0);
    assert_int_equal(request(be, XS_WRITE, "backend/vif/2/0/hotplug-status", "connected"), 0);
    assert_int_equal(request(be, XS_WRITE, "/local/domain/1/backend/vif/2/0/state", "2"), 0);
    assert_int_equal(request(be, XS_READ, "/local/domain/2/device/vif/0/mac", NULL), 0);
    assert_string_equal(payload(), "00:16:3e:00:00:02");
    assert_int_equal(request(be, XS_WATCH, "/local/domain/2/device/vif/0/state", "fe"), 0);
    assert_int_equal(request(be, XS_WRITE, "/local/domain/2/device/vif/0/state", "6"), -EACCES);
    /* the frontend: writes its keys, reads the backend's (the driver's too) */
    assert_int_equal(request(fe, XS_WRITE, "device/vif/0/tx-ring-ref", "9"), 0);
    assert_int_equal(request(fe, XS_READ, "/local/domain/1/backend/vif/2/0/hotplug-status",
                             NULL), 0);
    assert_string_equal(payload(), "connected");
    assert_int_equal(request(fe, XS_WRITE, "/local/domain/1/backend/vif/2/0/state", "4"),
                     -EACCES);
    assert_int_equal(request(be, XS_READ, "/local/domain/2/device/vif/0/tx-ring-ref", NULL), 0);
    assert_string_equal(payload(), "9");
    /* a domain in neither ACL: nothing */
    assert_int_equal(request(spy, XS_READ, "/local/domain/2/device/vif/0/tx-ring-ref", NULL),
                     -EACCES);
    assert_int_equal(request(spy, XS_READ, "/local/domain/1/backend/vif/2/0/state", NULL),
                     -EACCES);
    assert_int_equal(request(spy, XS_DIRECTORY, "/local/domain/1/backend/vif", NULL), -EACCES);
}

static void test_vif_removed_when_frontend_ends(void **state)
{
    struct ts_vif v, w;
    unsigned n;
    char list[256];
    (void)state;

    ts_vif_init(&v, FE_ID, BE_ID, 0);
    ts_vif_init(&w, SPY_ID, BE_ID, 0);
    assert_int_equal(ts_write_vif_backend(&v), 0);
    assert_int_equal(ts_write_vif_frontend(&v), 0);
    assert_int_equal(ts_write_vif_backend(&w), 0);
    assert_int_equal(ts_write_vif_frontend(&w), 0);
    assert_int_equal(xs_directory("/local/domain/1/backend/vif", list, sizeof(list), &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ts_remove_vif(&v), 0);
    assert_int_equal(xs_read(v.fe, list, sizeof(list)), -ENOENT);
    assert_int_equal(xs_read(v.be_top, list, sizeof(list)), -ENOENT);
    assert_int_equal(xs_directory("/local/domain/1/backend/vif", list, sizeof(list), &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list, "3");
    /* the last one leaves backend/vif empty (a driver domain's cue) */
    assert_int_equal(ts_remove_vif(&w), 0);
    assert_int_equal(xs_directory("/local/domain/1/backend/vif", list, sizeof(list), &n), 0);
    assert_int_equal(n, 0);
    /* again, or after the domain's home went: nothing to do, no error */
    assert_int_equal(xs_domain_release(FE_ID), 0);
    assert_int_equal(ts_remove_vif(&v), 0);
}

/* Every domain a vif, and its home nodes, fit in dom0's share of the store. */
static void test_seven_domains_fit(void **state)
{
    (void)state;

    for (unsigned id = 1; id <= 7; id++) {
        struct ts_vif v;
        assert_int_equal(ts_write_domain(id, 4, 65536, 0), 0);
        if (id == BE_ID)
            continue;
        ts_vif_init(&v, id, BE_ID, 0);
        assert_int_equal(ts_write_vif_backend(&v), 0);
        assert_int_equal(ts_write_vif_frontend(&v), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vif_paths_and_mac, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domain_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vif_nodes_both_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vif_access_over_the_wire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vif_removed_when_frontend_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seven_domains_fit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
