/*
 * test_domain_config.c — which domain owns which device (core/domain_config.c):
 * granite,passthrough in a dom0less domain node, the hardware domain's
 * implicit claim on every bridge nobody names, and the configurations that
 * must stop the boot with the domain and the device named.
 *
 * Runs on QEMU virt's DTB with an SMMUv3 (tests/unit/fixtures, compiled by the
 * Makefile into FIXTURE_DIR), to which each test adds its /chosen domain nodes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>
#include <granite/domain_config.h>
#include <granite/errno.h>
#include "host_stubs.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "build/tests/fixtures"
#endif
#define FIXTURE FIXTURE_DIR "/qemu-virt-smmuv3.dtb"
#define PCIE_PATH "/pcie@10000000"
#define ROOM 8192

static void *host;
static size_t host_size;
static struct domain_configs cfg;

/* A copy of the fixture with an empty /chosen to add domains to. */
static void *tree(void)
{
    void *t = malloc(host_size + ROOM);

    assert_non_null(t);
    assert_int_equal(fdt_open_into(host, t, (int)(host_size + ROOM)), 0);
    if (fdt_path_offset(t, "/chosen") < 0)
        assert_true(fdt_add_subnode(t, 0, "chosen") >= 0);
    return t;
}

/* /chosen/<name>: a domain running the built-in selftest; `pt` is a
 * NUL-separated string list of `pt_len` bytes, or NULL. */
static void add_domain(void *t, const char *name, bool hwdom, bool direct, const char *pt,
                       int pt_len)
{
    int chosen = fdt_path_offset(t, "/chosen"), d, m;

    d = fdt_add_subnode(t, chosen, name);
    assert_true(d >= 0);
    assert_int_equal(fdt_setprop_string(t, d, "compatible", "xen,domain"), 0);
    assert_int_equal(fdt_setprop_u32(t, d, "cpus", 1), 0);
    assert_int_equal(fdt_setprop_u32(t, d, "memory", 0x8000), 0);
    if (hwdom)
        assert_int_equal(fdt_setprop_empty(t, d, "granite,hardware-domain"), 0);
    if (direct)
        assert_int_equal(fdt_setprop_empty(t, d, "direct-map"), 0);
    if (pt)
        assert_int_equal(fdt_setprop(t, d, "granite,passthrough", pt, pt_len), 0);
    m = fdt_add_subnode(t, d, "module@0");
    assert_true(m >= 0);
    assert_int_equal(fdt_setprop(t, m, "compatible", "multiboot,kernel\0multiboot,module", 34), 0);
    assert_int_equal(fdt_setprop_string(t, m, "granite,builtin", "selftest"), 0);
}

static const struct domain_config *by_name(const char *name)
{
    for (unsigned i = 0; i < cfg.nr; i++)
        if (!strcmp(cfg.dom[i].name, name))
            return &cfg.dom[i];
    fail_msg("no domain %s", name);
    return NULL;
}

static void expect_read_error(void *t, const char *w1, const char *w2)
{
    const char *why = NULL;

    assert_int_not_equal(domain_configs_read(t, &cfg, &why), 0);
    assert_non_null(why);
    if (!strstr(why, w1) || (w2 && !strstr(why, w2)))
        fail_msg("reason \"%s\" lacks \"%s\" / \"%s\"", why, w1, w2 ? w2 : "");
}

#define PT(s) s, (int)sizeof(s)

/* Nobody names the bridge: the hardware domain has it, as always. */
static void test_unclaimed_bridge_is_the_hardware_domains(void **state)
{
    (void)state;
    void *t = tree();
    const char *why = NULL;

    add_domain(t, "dom0", true, false, NULL, 0);
    add_domain(t, "guest", false, false, NULL, 0);
    assert_int_equal(domain_configs_read(t, &cfg, &why), 0);
    assert_int_equal(by_name("dom0")->nr_passthrough, 1);
    assert_int_equal(by_name("dom0")->nr_claimed, 0);
    assert_string_equal(by_name("dom0")->passthrough[0], PCIE_PATH);
    assert_true(domain_config_owns(by_name("dom0"), PCIE_PATH));
    assert_false(domain_config_owns(by_name("guest"), PCIE_PATH));
    assert_int_equal(domain_configs_check_passthrough(&cfg, true, &why), 0);
    free(t);
}

/* A driver domain names it: it is the driver domain's, not dom0's. */
static void test_driver_domain_claims_the_bridge(void **state)
{
    (void)state;
    void *t = tree();
    const char *why = NULL;

    add_domain(t, "dom0", true, false, NULL, 0);
    add_domain(t, "drv", false, true, PT(PCIE_PATH));
    assert_int_equal(domain_configs_read(t, &cfg, &why), 0);
    assert_int_equal(by_name("dom0")->nr_passthrough, 0);
    assert_false(domain_config_owns(by_name("dom0"), PCIE_PATH));
    assert_int_equal(by_name("drv")->nr_passthrough, 1);
    assert_int_equal(by_name("drv")->nr_claimed, 1);
    assert_true(by_name("drv")->direct_map);
    assert_true(domain_config_owns(by_name("drv"), PCIE_PATH));
    assert_int_equal(domain_configs_check_passthrough(&cfg, true, &why), 0);
    assert_int_equal(domain_configs_check_passthrough(&cfg, false, &why), 0);
    free(t);
}

static void test_not_direct_mapped_says_why(void **state)
{
    (void)state;
    void *t = tree();
    const char *why = NULL;

    add_domain(t, "dom0", true, false, NULL, 0);
    add_domain(t, "drv", false, false, PT(PCIE_PATH));
    assert_int_equal(domain_configs_read(t, &cfg, &why), 0);
    assert_int_equal(domain_configs_check_passthrough(&cfg, true, &why), -EINVAL);
    assert_non_null(strstr(why, "/chosen/drv"));
    assert_non_null(strstr(why, PCIE_PATH));
    assert_non_null(strstr(why, "direct-mapped"));
    assert_non_null(strstr(why, "the IOMMU is on"));
    assert_int_equal(domain_configs_check_passthrough(&cfg, false, &why), -EINVAL);
    assert_non_null(strstr(why, "the IOMMU is off"));
    assert_non_null(strstr(why, "machine addresses"));
    free(t);
}

static void test_claimed_twice(void **state)
{
    (void)state;
    void *t = tree();

    add_domain(t, "dom0", true, false, PT(PCIE_PATH));
    add_domain(t, "drv", false, true, PT(PCIE_PATH));
    expect_read_error(t, PCIE_PATH, "is also claimed by /chosen/");
    free(t);
    t = tree(); /* twice by one domain */
    add_domain(t, "drv", false, true, PT(PCIE_PATH "\0" PCIE_PATH));
    expect_read_error(t, "/chosen/drv", "also claimed by /chosen/drv");
    free(t);
    t = tree(); /* the same node spelled without its unit address, or with a trailing '/' */
    add_domain(t, "dom0", true, false, PT(PCIE_PATH));
    add_domain(t, "drv", false, true, PT("/pcie"));
    expect_read_error(t, PCIE_PATH, "is also claimed by /chosen/");
    free(t);
    t = tree();
    add_domain(t, "drv", false, true, PT("/pcie\0" PCIE_PATH "/"));
    expect_read_error(t, PCIE_PATH, "also claimed by /chosen/drv");
    free(t);
}

static void test_bad_paths(void **state)
{
    (void)state;
    void *t = tree();

    add_domain(t, "drv", false, true, PT("/pcie@20000000"));
    expect_read_error(t, "/chosen/drv: 'granite,passthrough': /pcie@20000000",
                      "no such node in the host device tree");
    free(t);
    t = tree();
    add_domain(t, "drv", false, true, PT("/pl011@9000000"));
    expect_read_error(t, "/pl011@9000000", "not a device granite passes through");
    free(t);
    t = tree();
    add_domain(t, "drv", false, true, PT("pcie@10000000"));
    expect_read_error(t, "/chosen/drv", "full paths");
    free(t);
    t = tree();
    add_domain(t, "drv", false, true, "/pcie@10000000", 14); /* no NUL */
    expect_read_error(t, "granite,passthrough", "not a list of strings");
    free(t);
    t = tree();
    add_domain(t, "drv", false, true, PT(PCIE_PATH "\0" PCIE_PATH "\0" PCIE_PATH "\0" PCIE_PATH "\0" PCIE_PATH));
    expect_read_error(t, "/chosen/drv", "at most 4");
    free(t);
}

/* Xen's xen,enhanced: "no-xenstore" means no ring; "disabled" and garbage are refused. */
static void test_xen_enhanced(void **state)
{
    (void)state;
    static const char *const bad[] = { "disabled", "yes" };
    void *t = tree();
    const char *why = NULL;

    add_domain(t, "drv", false, true, NULL, 0);
    assert_int_equal(domain_configs_read(t, &cfg, &why), 0);
    assert_false(by_name("drv")->no_xenstore);
    assert_int_equal(fdt_setprop_string(t, fdt_path_offset(t, "/chosen/drv"), "xen,enhanced",
                                        "no-xenstore"), 0);
    assert_int_equal(domain_configs_read(t, &cfg, &why), 0);
    assert_true(by_name("drv")->no_xenstore);
    assert_int_equal(fdt_setprop_string(t, fdt_path_offset(t, "/chosen/drv"), "xen,enhanced",
                                        "enabled"), 0);
    assert_int_equal(domain_configs_read(t, &cfg, &why), 0);
    assert_false(by_name("drv")->no_xenstore);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(fdt_setprop_string(t, fdt_path_offset(t, "/chosen/drv"),
                                            "xen,enhanced", bad[i]), 0);
        expect_read_error(t, "/chosen/drv", "'xen,enhanced' must be");
    }
    free(t);
}

/* The built-in default (no domain nodes): dom0 owns the bridge. */
static void test_builtin_default(void **state)
{
    (void)state;
    void *t = tree();
    const char *why = NULL;

    assert_int_equal(domain_configs_read(t, &cfg, &why), 0);
    assert_false(cfg.from_dtb);
    assert_true(domain_config_owns(by_name("dom0"), PCIE_PATH));
    free(t);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unclaimed_bridge_is_the_hardware_domains),
        cmocka_unit_test(test_driver_domain_claims_the_bridge),
        cmocka_unit_test(test_not_direct_mapped_says_why),
        cmocka_unit_test(test_claimed_twice),
        cmocka_unit_test(test_bad_paths),
        cmocka_unit_test(test_xen_enhanced),
        cmocka_unit_test(test_builtin_default),
    };
    FILE *f = fopen(argc > 1 ? argv[1] : FIXTURE, "rb");

    if (!f) {
        fprintf(stderr, "cannot open the fixture %s\n", argc > 1 ? argv[1] : FIXTURE);
        return 1;
    }
    host = malloc(2 << 20);
    host_size = fread(host, 1, 2 << 20, f);
    fclose(f);
    if (fdt_check_header(host)) {
        fprintf(stderr, "the fixture is not a DTB\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
