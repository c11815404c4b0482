/*
 * test_passthrough.c — core/passthrough.c's platform-device part on the host:
 * how a node's `reg` and interrupts become the windows and SPIs granite hands
 * to the hardware domain, and every refusal of bad device-tree input (each
 * must name the node and the property), and the ranges kept away from
 * devices.  The tree is tests/unit/fixtures/passthrough-platform.dts (one
 * property the test adds: dtc will not write a malformed interrupt-parent);
 * mapping and routing are recorded by stubs here.  SPI 45 (INTID 77) is
 * "already owned" (irq_spi_owned stub); the arm,smmu-v3 node is the IOMMU
 * granite "drives".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include <granite/passthrough.h>
#include <granite/domain.h>
#include <granite/drivers.h>
#include <granite/errno.h>
#include "host_stubs.h"

#define unused __attribute__((unused))
#define MAX_INTID 96                 /* the plan tests' owner: INTIDs 0..95 */
#define HOST_NR_IRQS 1020            /* arch_host_nr_irqs() unless a test says less */
#define OWNED_INTID 77               /* SPI 45: granite's or another domain's */
#define CONSOLE_INTID 82             /* SPI 50 */
#define FDT_ROOM 1024                /* for the property the test adds */

static void *fdt;

/* --- stubs ---------------------------------------------------------------- */

static struct { u64 base, size; } maps[16];
static unsigned nr_maps;
static struct { u32 intid; bool edge; } routes[16];
static unsigned nr_routes;

int p2m_map(struct p2m *p2m unused, ipa_t at, pa_t p, u64 size, p2m_type_t type)
{
    assert_int_equal(ipa_addr(at), pa_addr(p));
    assert_int_equal(type, p2m_mmio_direct_dev);
    assert_true(nr_maps < 16);
    maps[nr_maps].base = pa_addr(p);
    maps[nr_maps++].size = size;
    return 0;
}

int irq_route_to_domain(u32 intid, struct domain *d unused, u32 virq, bool edge)
{
    assert_int_equal(intid, virq);
    assert_true(nr_routes < 16);
    routes[nr_routes].intid = intid;
    routes[nr_routes++].edge = edge;
    return 0;
}

bool irq_spi_owned(u32 intid, const struct domain *d unused) { return intid == OWNED_INTID; }

static unsigned host_nr_irqs = HOST_NR_IRQS;
unsigned arch_host_nr_irqs(void) { return host_nr_irqs; }

/* The good devices are the ones dom0's tree keeps. */
const char *dom0_dt_platform_device(const void *t, int node)
{
    return fdt_node_check_compatible(t, node, "test,dev") == 0 ? "a test device" : NULL;
}

bool iommu_known_driven(const void *t, int node)
{
    return fdt_node_check_compatible(t, node, "arm,smmu-v3") == 0;
}

bool iommu_known_is_iommu(const void *t, int node)
{
    return fdt_getprop(t, node, "#iommu-cells", NULL) != NULL;
}

const struct driver *driver_by_compatible(enum driver_class class unused,
                                          const char *compatible unused)
{
    return NULL;
}

/* --- helpers -------------------------------------------------------------- */

static const struct pt_forbidden forbidden[] = {
    { 0x40000000, 0x40000000, "RAM" },
    { 0xf9010000, 0x1000, "the GIC" },
    { 0xf9020000, 0x2000, "the GIC" },
};

static const struct pt_limits limits = {
    .root_ac = 2, .max_intid = MAX_INTID, .console_intid = CONSOLE_INTID, .forbidden = forbidden,
    .nr_forbidden = sizeof(forbidden) / sizeof(forbidden[0]),
};

static void load_fixture(void)
{
    FILE *f = fopen(FIXTURE_DIR "/passthrough-platform.dtb", "rb");
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    fdt = malloc((size_t)n + FDT_ROOM);
    assert_non_null(fdt);
    assert_int_equal(fread(fdt, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    assert_int_equal(fdt_open_into(fdt, fdt, (int)n + FDT_ROOM), 0);
    /* Two cells where one phandle belongs. */
    assert_int_equal(fdt_appendprop_u32(fdt, fdt_path_offset(fdt, "/soc/bad-parent-len@f000"),
                                        "interrupt-parent", 1), 0);
    assert_int_equal(fdt_appendprop_u32(fdt, fdt_path_offset(fdt, "/soc/bad-parent-len@f000"),
                                        "interrupt-parent", 2), 0);
    assert_int_equal(fdt_check_full(fdt, (size_t)fdt_totalsize(fdt)), 0);
}

static int node(const char *path)
{
    int n = fdt_path_offset(fdt, path);
    assert_true(n >= 0);
    return n;
}

static int plan(const char *path, const struct pt_limits *lim, struct pt_plan *out,
                const char **why)
{
    *why = NULL;
    return passthrough_platform_plan(fdt, node(path), lim, out, why);
}

/* A refusal: -EINVAL, and the message names the node and the property. */
static void assert_refused(const char *path, const struct pt_limits *lim, const char *prop,
                           const char *says)
{
    struct pt_plan p;
    const char *why;

    assert_int_equal(plan(path, lim, &p, &why), -EINVAL);
    assert_non_null(why);
    if (!strstr(why, path) || !strstr(why, prop) || !strstr(why, says))
        fail_msg("%s: refusal \"%s\" lacks the path, \"%s\" or \"%s\"", path, why, prop, says);
}

/* --- tests ---------------------------------------------------------------- */

static void test_reg_translated_and_repeated_spi_once(void **state unused)
{
    struct pt_plan p;
    const char *why;

    assert_int_equal(plan("/soc/ethernet@e0000", &limits, &p, &why), 0);
    assert_int_equal(p.nr_win, 1);
    assert_int_equal(p.win[0].base, 0xf00e0000); /* through soc's ranges */
    assert_int_equal(p.win[0].size, 0x1000);
    assert_int_equal(p.nr_spi, 1);               /* <0 63 4> listed twice */
    assert_int_equal(p.spi[0].intid, 95);
    assert_false(p.spi[0].edge);
}

static void test_interrupts_extended_and_two_windows(void **state unused)
{
    struct pt_plan p;
    const char *why;

    assert_int_equal(plan("/soc/two-windows@10000", &limits, &p, &why), 0);
    assert_int_equal(p.nr_win, 2);
    assert_int_equal(p.win[0].base, 0xf0010000);
    assert_int_equal(p.win[1].base, 0xf0020000);
    assert_int_equal(p.win[1].size, 0x2000);
    assert_int_equal(p.nr_spi, 2);
    assert_int_equal(p.spi[0].intid, 42);
    assert_true(p.spi[0].edge);
    assert_int_equal(p.spi[1].intid, 43);
    assert_false(p.spi[1].edge);
}

static void test_no_interrupts_is_fine(void **state unused)
{
    struct pt_plan p;
    const char *why;

    assert_int_equal(plan("/soc/no-interrupts@9000", &limits, &p, &why), 0);
    assert_int_equal(p.nr_win, 1);
    assert_int_equal(p.nr_spi, 0);
}

static void test_bad_reg_refused(void **state unused)
{
    struct pt_limits root1 = limits;

    assert_refused("/soc/short-reg@1000", &limits, "reg", "whole");
    assert_refused("/soc/outside-ranges@2000000", &limits, "reg", "ranges");
    assert_refused("/in-ram@40001000", &limits, "reg", "overlaps RAM");
    assert_refused("/page-shared@3ffff800", &limits, "reg", "overlaps RAM");
    assert_refused("/on-gic@f9020000", &limits, "reg", "overlaps the GIC");
    root1.root_ac = 1;
    assert_refused("/high@100000000", &root1, "reg", "#address-cells");
}

static void test_bad_interrupts_refused(void **state unused)
{
    assert_refused("/soc/spi-too-big@3000", &limits, "interrupts", "beyond");
    assert_refused("/soc/ppi@4000", &limits, "interrupts", "PPI");
    assert_refused("/soc/other-parent@5000", &limits, "interrupts-extended", "not the host's GIC");
    assert_refused("/soc/inherited-other@6000", &limits, "interrupts", "not the host's GIC");
    assert_refused("/soc/level-low@7000", &limits, "interrupts", "trigger type 8");
    assert_refused("/soc/short-interrupts@8000", &limits, "interrupts", "whole");
    assert_refused("/soc/many-spis@c000", &limits, "interrupts", "more than 8 SPIs");
    assert_refused("/soc/wrapping-spi@d000", &limits, "interrupts", "beyond");
}

/* Past the GIC's last SPI, even when the owner's vGIC would be bigger. */
static void test_spi_beyond_gic_refused(void **state unused)
{
    struct pt_limits big = limits;

    big.max_intid = 2000;
    assert_refused("/soc/spi-988@15000", &big, "interrupts", "SPI 988 (INTID 1020) is beyond");
}

static void test_many_windows_refused(void **state unused)
{
    assert_refused("/soc/many-windows@b000", &limits, "reg", "more than 8 windows");
}

/* An SPI granite or another domain has, or the console's, is not taken from it. */
static void test_taken_spi_refused(void **state unused)
{
    assert_refused("/soc/owned-spi@12000", &limits, "interrupts", "already granite's or another");
    assert_refused("/soc/console-spi@13000", &limits, "interrupts", "console");
}

/* The DT specification's interrupt parent: the first controller or nexus up
 * the interrupt tree, never a guess. */
static void test_interrupt_parent_rules(void **state unused)
{
    assert_refused("/soc/bad-parent-len@f000", &limits, "interrupt-parent", "not one phandle");
    assert_refused("/soc/nexus/under-nexus@11000", &limits, "interrupts", "not the host's GIC");
    assert_refused("/loop-a@f2000000", &limits, "interrupts", "no interrupt controller within");
}

static void test_iommus(void **state unused)
{
    struct pt_plan p;
    const char *why;

    assert_refused("/soc/behind-smmuv3@14000", &limits, "iommus",
                   "behind iommu@fd800000, which granite drives");
    assert_refused("/soc/bad-iommus@16000", &limits, "iommus", "phandle 0xdead names no IOMMU");
    assert_int_equal(plan("/soc/dma@a000", &limits, &p, &why), 0);
    assert_int_equal(p.iommu, node("/iommu@fd000000"));
    assert_int_equal(plan("/soc/ethernet@e0000", &limits, &p, &why), 0);
    assert_int_equal(p.iommu, -1);
}

static bool has_range(const struct pt_forbidden *f, int n, u64 base, u64 size, const char *what)
{
    for (int i = 0; i < n; i++)
        if (f[i].base == base && f[i].size == size && strstr(f[i].what, what))
            return true;
    return false;
}

/* What granite owns or gave away: RAM, console, GIC and its frames, the
 * IOMMU it drives (not the other), PCIe ECAM and windows. */
static void test_forbidden_ranges(void **state unused)
{
    struct pt_forbidden f[PASSTHROUGH_MAX_FORBIDDEN];
    struct boot_info bi = { .fdt = NULL };
    int n;

    bi.fdt = fdt;
    bi.nr_mem = 1;
    bi.mem[0].start = pa(0x40000000);
    bi.mem[0].size = 0x40000000;
    bi.console_pa = pa(0xff000000);
    n = passthrough_forbidden_ranges(&bi, f, PASSTHROUGH_MAX_FORBIDDEN);
    assert_int_equal(n, 8);
    assert_true(has_range(f, n, 0x40000000, 0x40000000, "RAM"));
    assert_true(has_range(f, n, 0xff000000, 0x1000, "console"));
    assert_true(has_range(f, n, 0xf9010000, 0x1000, "the GIC"));
    assert_true(has_range(f, n, 0xf9020000, 0x2000, "the GIC"));
    assert_true(has_range(f, n, 0xf9030000, 0x1000, "GIC frame"));
    assert_true(has_range(f, n, 0xfd800000, 0x20000, "IOMMU granite drives"));
    assert_false(has_range(f, n, 0xfd000000, 0x10000, "IOMMU"));
    assert_true(has_range(f, n, 0x10000000, 0x1000000, "PCIe host bridge's ECAM"));
    assert_true(has_range(f, n, 0x20000000, 0x1000000, "PCIe host bridge's window"));
    /* The list full is an error, not a silently shorter list. */
    assert_int_equal(passthrough_forbidden_ranges(&bi, f, 4), -ENOSPC);
}

/* The whole hand-over: only the kept devices, each window mapped, each SPI once. */
static void test_devices_handed_to_hardware_domain(void **state unused)
{
    static struct domain d;
    struct boot_info bi = { .fdt = NULL };
    const char *why = NULL;

    bi.fdt = fdt;
    bi.nr_mem = 1;
    bi.mem[0].start = pa(0x40000000);
    bi.mem[0].size = 0x40000000;
    d.direct_map = true;
    nr_maps = nr_routes = 0;
    host_log_clear();
    assert_int_equal(passthrough_platform_devices(&bi, &d, &why), 0);
    assert_int_equal(nr_maps, 5);
    assert_int_equal(maps[0].base, 0xf00e0000);
    assert_int_equal(maps[3].base, 0xf000a000);
    assert_int_equal(maps[4].base, 0xf3000000);
    assert_int_equal(nr_routes, 3);
    assert_int_equal(routes[0].intid, 95);
    assert_int_equal(routes[1].intid, 42);
    assert_true(host_log_contains("/soc/ethernet@e0000: SPI 63 (INTID 95, level) routed"));
    assert_true(host_log_contains("/soc/ethernet@e0000: no `iommus`"));
    assert_true(host_log_contains("/soc/dma@a000: its DMA is not isolated: behind "
                                  "iommu@fd000000, which granite does not drive"));
}

/* A refusal of a later device (two-windows' SPI 11 is the console's here)
 * comes before the first device is handed over: nothing mapped or routed. */
static void test_refusal_leaves_nothing_handed_over(void **state unused)
{
    static struct domain d;
    struct boot_info bi = { .fdt = NULL };
    const char *why = NULL;

    bi.fdt = fdt;
    bi.nr_mem = 1;
    bi.mem[0].start = pa(0x40000000);
    bi.mem[0].size = 0x40000000;
    bi.console_intid = 43;
    d.direct_map = true;
    nr_maps = nr_routes = 0;
    assert_int_equal(passthrough_platform_devices(&bi, &d, &why), -EINVAL);
    assert_non_null(strstr(why, "/soc/two-windows@10000: interrupts-extended: SPI 11"));
    assert_int_equal(nr_maps, 0);
    assert_int_equal(nr_routes, 0);
}

/* The host's GIC bounds the SPIs too: with 64 INTIDs (ITLinesNumber 1), the
 * ethernet's INTID 95 is no line of the machine, however many dom0's vGIC has. */
static void test_spi_beyond_host_gic_refused(void **state unused)
{
    static struct domain d;
    struct boot_info bi = { .fdt = NULL };
    const char *why = NULL;

    bi.fdt = fdt;
    bi.nr_mem = 1;
    bi.mem[0].start = pa(0x40000000);
    bi.mem[0].size = 0x40000000;
    d.direct_map = true;
    nr_maps = nr_routes = 0;
    host_nr_irqs = 64;
    assert_int_equal(passthrough_platform_devices(&bi, &d, &why), -EINVAL);
    host_nr_irqs = HOST_NR_IRQS;
    assert_non_null(strstr(why, "SPI 63 (INTID 95) is beyond the owner's vGIC or the host GIC "
                                "(INTIDs below 64)"));
    assert_int_equal(nr_maps, 0);
    assert_int_equal(nr_routes, 0);
}

static void test_not_direct_mapped_refused(void **state unused)
{
    static struct domain d;
    struct boot_info bi = { .fdt = NULL };
    const char *why = NULL;

    bi.fdt = fdt;
    d.direct_map = false;
    nr_maps = 0;
    assert_int_equal(passthrough_platform_devices(&bi, &d, &why), -EINVAL);
    assert_int_equal(nr_maps, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reg_translated_and_repeated_spi_once),
        cmocka_unit_test(test_interrupts_extended_and_two_windows),
        cmocka_unit_test(test_no_interrupts_is_fine),
        cmocka_unit_test(test_bad_reg_refused),
        cmocka_unit_test(test_bad_interrupts_refused),
        cmocka_unit_test(test_spi_beyond_gic_refused),
        cmocka_unit_test(test_many_windows_refused),
        cmocka_unit_test(test_taken_spi_refused),
        cmocka_unit_test(test_interrupt_parent_rules),
        cmocka_unit_test(test_iommus),
        cmocka_unit_test(test_forbidden_ranges),
        cmocka_unit_test(test_devices_handed_to_hardware_domain),
        cmocka_unit_test(test_refusal_leaves_nothing_handed_over),
        cmocka_unit_test(test_spi_beyond_host_gic_refused),
        cmocka_unit_test(test_not_direct_mapped_refused),
    };

    load_fixture();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
