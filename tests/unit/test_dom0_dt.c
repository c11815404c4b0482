/*
 * test_dom0_dt.c — dom0's device tree, filtered from QEMU's real one.
 *
 * The input is QEMU 10's own DTB for virt,virtualization=on,gic-version=3,
 * iommu=smmuv3 (tests/unit/fixtures/qemu-virt-smmuv3.dts, compiled by the
 * Makefile into FIXTURE_DIR; a path given as argv[1] wins).  Each test first
 * checks that the input really has what the filter must remove or keep, so a
 * passing test is never a vacuous one.  Variants of the input (dom0less nodes
 * in /chosen, no GIC, a broken reg...) are made from a copy with libfdt.
 * Buffers are malloc'd at their exact size so that ASan catches any overrun.
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
#include <granite/dom0_dt.h>
#include <granite/iommu_known.h>
#include <granite/xen_ext_regions.h>
#include <granite/errno.h>
#include <granite/boot.h>
#include <granite/domain.h>
#include <granite/drivers.h>
#include <granite/p2m.h>
#include <public/granite.h>
#include "host_stubs.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "build/tests/fixtures"
#endif
#define FIXTURE FIXTURE_DIR "/qemu-virt-smmuv3.dtb"

#define OUT_SIZE (64 * 1024)
#define EDIT_ROOM 4096            /* room for a test's edits of a host copy */
#define PADDED_SIZE (1024 * 1024) /* QEMU's DTB totalsize */

/* Facts of the fixture (see the .dts). */
#define GIC_PATH "/intc@8000000"
#define GIC_PHANDLE 0x8003
#define PCIE_PATH "/pcie@10000000"
#define UART_PATH "/pl011@9000000"
#define HOST_DIST_BASE 0x8000000UL
#define HOST_DIST_SIZE 0x10000UL
#define HOST_REDIST_BASE 0x80a0000UL

/* Not Xen's guest 0x38000000: on QEMU virt that is inside the PCIe window. */
#define GNTTAB_BASE 0x70000000UL
#define GNTTAB_SIZE 0x01000000UL
#define EVTCHN_PPI 31
#define BOOTARGS "console=hvc0 earlycon=pl011,0x9000000"

static const char *fixture_path = FIXTURE;
static void *host;                /* the fixture, exactly as dtc wrote it */
static size_t host_size;

static const struct mem_range banks[] = {
    { { 0x48000000UL }, 0x08000000UL },
    { { 0x58000000UL }, 0x02000000UL },
};

/* --- helpers ------------------------------------------------------------- */

static struct dom0_dt_params default_params(const void *fdt)
{
    return (struct dom0_dt_params){
        .host_fdt = fdt,
        .banks = banks,
        .nr_banks = 2,
        .nr_vcpus = 2,
        .bootargs = BOOTARGS,
        .gnttab_base = GNTTAB_BASE,
        .gnttab_size = GNTTAB_SIZE,
        .evtchn_ppi = EVTCHN_PPI,
    };
}

/* Build into a fresh OUT_SIZE buffer; the test frees it. */
static void *build_ok(const struct dom0_dt_params *p)
{
    void *out = malloc(OUT_SIZE);
    const char *why = NULL;
    int rc;

    assert_non_null(out);
    rc = dom0_dt_build(p, out, OUT_SIZE, &why);
    if (rc)
        fail_msg("dom0_dt_build: %d: %s", rc, why ? why : "(no reason)");
    assert_null(why);
    return out;
}

static void *build_default(void)
{
    struct dom0_dt_params p = default_params(host);
    return build_ok(&p);
}

/* Expect failure rc with a reason containing each of the given words. */
static void expect_error(const struct dom0_dt_params *p, int rc_expected, const char *word1,
                         const char *word2)
{
    void *out = malloc(OUT_SIZE);
    const char *why = NULL;
    int rc = dom0_dt_build(p, out, OUT_SIZE, &why);

    assert_int_equal(rc, rc_expected);
    assert_non_null(why);
    if (word1 && !strstr(why, word1))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, word1);
    if (word2 && !strstr(why, word2))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, word2);
    free(out);
}

/* A writable copy of the fixture with room for edits. */
static void *host_copy(void)
{
    size_t size = host_size + EDIT_ROOM;
    void *copy = malloc(size);

    assert_non_null(copy);
    assert_int_equal(fdt_open_into(host, copy, (int)size), 0);
    return copy;
}

static int node(const void *fdt, const char *path)
{
    return fdt_path_offset(fdt, path);
}

static u32 prop_u32(const void *fdt, int n, const char *name)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, n, name, &len);
    assert_non_null(v);
    assert_int_equal(len, 4);
    return fdt32_to_cpu(*v);
}

static void assert_prop_bytes(const void *fdt, int n, const char *name, const void *want,
                              int want_len)
{
    int len;
    const void *v = fdt_getprop(fdt, n, name, &len);
    if (!v)
        fail_msg("property %s is missing", name);
    assert_int_equal(len, want_len);
    assert_memory_equal(v, want, (size_t)want_len);
}

static void assert_cells(const void *fdt, int n, const char *name, const u32 *cells, int nr)
{
    fdt32_t be[16];
    assert_true(nr <= 16);
    for (int i = 0; i < nr; i++)
        be[i] = cpu_to_fdt32(cells[i]);
    assert_prop_bytes(fdt, n, name, be, nr * 4);
}

static void assert_string(const void *fdt, int n, const char *name, const char *want)
{
    assert_prop_bytes(fdt, n, name, want, (int)strlen(want) + 1);
}

static int count_compatible(const void *fdt, const char *compat)
{
    int count = 0;
    for (int n = fdt_node_offset_by_compatible(fdt, -1, compat); n >= 0;
         n = fdt_node_offset_by_compatible(fdt, n, compat))
        count++;
    return count;
}

/* Number of (node, property) pairs with this property name, over the tree. */
static int count_prop(const void *fdt, const char *name)
{
    int depth = 0, count = 0;
    for (int n = 0; n >= 0 && depth >= 0; n = fdt_next_node(fdt, n, &depth))
        if (fdt_getprop(fdt, n, name, NULL))
            count++;
    return count;
}

/* Any property whose name starts with prefix, anywhere. */
static int count_prop_prefix(const void *fdt, int only_node, const char *prefix)
{
    int depth = 0, count = 0, off;
    for (int n = 0; n >= 0 && depth >= 0; n = fdt_next_node(fdt, n, &depth)) {
        if (only_node >= 0 && n != only_node)
            continue;
        fdt_for_each_property_offset(off, fdt, n) {
            const char *name;
            fdt_getprop_by_offset(fdt, off, &name, NULL);
            if (!strncmp(name, prefix, strlen(prefix)))
                count++;
        }
    }
    return count;
}

/* --- the rest of the hypervisor, for core/iommu_known.c -------------------- */

/* granite's driver table: the SMMUv3 is the one IOMMU it drives; its console
 * drivers are the PL011 and the Cadence UART. */
const struct driver *driver_by_compatible(enum driver_class class, const char *compatible)
{
    static const struct driver smmuv3 = { .name = "smmuv3 (stub)", .class = DRIVER_IOMMU,
                                          .compatible = "arm,smmu-v3" };
    static const struct driver pl011 = { .name = "pl011 (stub)", .class = DRIVER_CONSOLE,
                                         .compatible = "arm,pl011" };
    static const struct driver cadence = { .name = "cadence-uart (stub)",
                                           .class = DRIVER_CONSOLE,
                                           .compatible = "cdns,uart-r1p12" };
    if (class == DRIVER_CONSOLE)
        return !strcmp(compatible, pl011.compatible)     ? &pl011
               : !strcmp(compatible, cadence.compatible) ? &cadence
                                                         : NULL;
    return class == DRIVER_IOMMU && !strcmp(compatible, smmuv3.compatible) ? &smmuv3 : NULL;
}

static u64 mapped_start, mapped_size;
static p2m_type_t mapped_type;

int p2m_map(struct p2m *p2m, ipa_t at, pa_t p, u64 size, p2m_type_t type)
{
    (void)p2m;
    assert_int_equal(ipa_addr(at), pa_addr(p));
    mapped_start = pa_addr(p);
    mapped_size = size;
    mapped_type = type;
    return 0;
}

u64 dt_read_cells(const fdt32_t *p, int cells)
{
    u64 v = 0;
    for (int i = 0; i < cells; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

const char *dt_node_msg(const void *fdt, int node, const char *what)
{
    static char msg[300];
    char path[256];
    if (fdt_get_path(fdt, node, path, sizeof(path)) < 0)
        strcpy(path, "?");
    snprintf(msg, sizeof(msg), "%s: %s", path, what);
    return msg;
}

/* --- the result as a whole ------------------------------------------------ */

static void test_result_is_a_valid_dtb(void **state)
{
    (void)state;
    void *before = malloc(host_size), *out;

    memcpy(before, host, host_size);
    out = build_default();
    assert_int_equal(fdt_check_header(out), 0);
    assert_int_equal(fdt_check_full(out, OUT_SIZE), 0);
    assert_true(fdt_totalsize(out) <= OUT_SIZE);
    assert_memory_equal(before, host, host_size); /* the host tree is read only */
    free(before);
    free(out);
}

/* The result depends on the inputs only, not on what the buffer held. */
static void test_output_is_deterministic(void **state)
{
    (void)state;
    struct dom0_dt_params p = default_params(host);
    void *a = malloc(OUT_SIZE), *b = malloc(OUT_SIZE);
    const char *why;

    memset(a, 0x00, OUT_SIZE);
    memset(b, 0xa5, OUT_SIZE);
    assert_int_equal(dom0_dt_build(&p, a, OUT_SIZE, &why), 0);
    assert_int_equal(dom0_dt_build(&p, b, OUT_SIZE, &why), 0);
    assert_int_equal(fdt_totalsize(a), fdt_totalsize(b));
    assert_memory_equal(a, b, fdt_totalsize(a));
    free(a);
    free(b);
}

/* --- seed 001: no IOMMU, no ITS ------------------------------------------- */

static void test_no_smmu_node(void **state)
{
    (void)state;
    void *out;

    assert_int_equal(count_compatible(host, "arm,smmu-v3"), 1);
    out = build_default();
    assert_int_equal(count_compatible(out, "arm,smmu-v3"), 0);
    assert_int_equal(count_compatible(out, "arm,mmu-500"), 0);
    assert_int_equal(count_compatible(out, "arm,smmu-v2"), 0);
    assert_int_equal(count_prop(out, "#iommu-cells"), 0);
    free(out);
}

static void test_no_iommu_references(void **state)
{
    (void)state;
    void *out;

    assert_int_equal(count_prop(host, "iommu-map"), 1);
    out = build_default();
    assert_int_equal(count_prop(out, "iommus"), 0);
    assert_int_equal(count_prop(out, "iommu-map"), 0);
    assert_int_equal(count_prop(out, "iommu-map-mask"), 0);
    free(out);
}

/* iommus / iommu-map-mask do not occur in QEMU's tree: add them, to kept nodes. */
static void test_iommus_and_map_mask_removed(void **state)
{
    (void)state;
    void *copy = host_copy(), *out;
    struct dom0_dt_params p = default_params(copy);
    u32 sid[2] = { 0x8005, 0x10 };

    assert_int_equal(fdt_setprop_u32(copy, node(copy, PCIE_PATH), "iommu-map-mask", 0xff), 0);
    assert_int_equal(fdt_setprop(copy, node(copy, UART_PATH), "iommus", sid, sizeof(sid)), 0);
    assert_int_equal(count_prop(copy, "iommus"), 1);
    out = build_ok(&p);
    assert_true(node(out, UART_PATH) >= 0);
    assert_int_equal(count_prop(out, "iommus"), 0);
    assert_int_equal(count_prop(out, "iommu-map-mask"), 0);
    free(out);
    free(copy);
}

/* Seed 001 exactly: an IOMMU granite has no driver for, inside a node dom0
 * keeps.  The keep-list alone would pass it on; #iommu-cells gives it away. */
static void test_unknown_iommu_under_kept_node_removed(void **state)
{
    (void)state;
    void *copy = host_copy(), *out;
    struct dom0_dt_params p = default_params(copy);
    int pcie = node(copy, PCIE_PATH), mmu;

    mmu = fdt_add_subnode(copy, pcie, "sysmmu@0");
    assert_true(mmu >= 0);
    assert_int_equal(fdt_setprop_string(copy, mmu, "compatible", "samsung,exynos-sysmmu"), 0);
    assert_int_equal(fdt_setprop_u32(copy, mmu, "#iommu-cells", 0), 0);
    out = build_ok(&p);
    assert_true(node(out, PCIE_PATH) >= 0);
    assert_int_equal(node(out, PCIE_PATH "/sysmmu@0"), -FDT_ERR_NOTFOUND);
    assert_int_equal(count_compatible(out, "samsung,exynos-sysmmu"), 0);
    free(out);
    free(copy);
}

/*
 * Seed 001 on an Arm board: an MMU-500 (which granite does not drive) at
 * /iommu@9100000, phandle MMU500_PHANDLE, with the PCIe bridge's iommu-map
 * (and its mask) and a virtio-mmio device's iommus pointing at it.
 */
#define MMU500_PATH "/iommu@9100000"
#define MMU500_PHANDLE 0x9100
#define VIRTIO_PATH "/virtio_mmio@a000000"
#define SMMUV3_PHANDLE 0x8005

static void *host_with_mmu500(void)
{
    void *copy = host_copy();
    u32 reg[4] = { 0, 0x9100000, 0, 0x10000 };
    u32 map[4] = { 0, MMU500_PHANDLE, 0, 0x10000 }, sid[2] = { MMU500_PHANDLE, 0x20 };
    int mmu = fdt_add_subnode(copy, 0, MMU500_PATH + 1);
    fdt32_t be[4];

    assert_true(mmu >= 0);
    assert_int_equal(fdt_setprop_string(copy, mmu, "compatible", "arm,mmu-500"), 0);
    assert_int_equal(fdt_setprop_u32(copy, mmu, "#iommu-cells", 1), 0);
    assert_int_equal(fdt_setprop_u32(copy, mmu, "phandle", MMU500_PHANDLE), 0);
    for (int i = 0; i < 4; i++)
        be[i] = cpu_to_fdt32(reg[i]);
    assert_int_equal(fdt_setprop(copy, node(copy, MMU500_PATH), "reg", be, sizeof(be)), 0);
    for (int i = 0; i < 4; i++)
        be[i] = cpu_to_fdt32(map[i]);
    assert_int_equal(fdt_setprop(copy, node(copy, PCIE_PATH), "iommu-map", be, sizeof(be)), 0);
    assert_int_equal(fdt_setprop_u32(copy, node(copy, PCIE_PATH), "iommu-map-mask", 0xff), 0);
    be[0] = cpu_to_fdt32(sid[0]);
    be[1] = cpu_to_fdt32(sid[1]);
    assert_int_equal(fdt_setprop(copy, node(copy, VIRTIO_PATH), "iommus", be, 8), 0);
    return copy;
}

/* By default it is hidden like the SMMU granite drives, and nothing points at it. */
static void test_undriven_mmu500_hidden(void **state)
{
    (void)state;
    void *copy = host_with_mmu500(), *out;
    struct dom0_dt_params p = default_params(copy);

    assert_int_equal(count_compatible(copy, "arm,mmu-500"), 1);
    out = build_ok(&p);
    assert_int_equal(count_compatible(out, "arm,mmu-500"), 0);
    assert_int_equal(count_compatible(out, "arm,smmu-v3"), 0);
    assert_true(node(out, PCIE_PATH) >= 0);
    assert_int_equal(count_prop(out, "iommu-map"), 0);
    assert_int_equal(count_prop(out, "iommu-map-mask"), 0);
    assert_int_equal(count_prop(out, "iommus"), 0);
    free(out);
    free(copy);
}

/* The legacy Arm SMMU binding has no #iommu-cells: the list recognises it. */
static void test_legacy_smmu_binding_hidden(void **state)
{
    (void)state;
    void *copy = host_copy(), *out;
    struct dom0_dt_params p = default_params(copy);
    int pcie = node(copy, PCIE_PATH), mmu = fdt_add_subnode(copy, pcie, "smmu@0");

    assert_true(mmu >= 0);
    assert_int_equal(fdt_setprop_string(copy, mmu, "compatible", "arm,smmu-v2"), 0);
    assert_true(iommu_known_is_iommu(copy, mmu));
    assert_false(iommu_known_is_iommu(copy, pcie));
    out = build_ok(&p);
    assert_true(node(out, PCIE_PATH) >= 0);
    assert_int_equal(node(out, PCIE_PATH "/smmu@0"), -FDT_ERR_NOTFOUND);
    free(out);
    free(copy);
}

/* dom0_iommu_passthrough, by compatible or by path: the MMU-500 and the
 * references to it stay; the SMMUv3 granite drives still goes. */
static void check_handed(const char *spec)
{
    void *copy = host_with_mmu500(), *out;
    struct dom0_dt_params p = default_params(copy);
    u32 map[4] = { 0, MMU500_PHANDLE, 0, 0x10000 };

    p.handed_iommu = spec;
    out = build_ok(&p);
    assert_true(node(out, MMU500_PATH) >= 0);
    assert_int_equal(fdt_get_phandle(out, node(out, MMU500_PATH)), MMU500_PHANDLE);
    assert_int_equal(count_compatible(out, "arm,smmu-v3"), 0);
    assert_cells(out, node(out, PCIE_PATH), "iommu-map", map, 4);
    assert_int_equal(prop_u32(out, node(out, PCIE_PATH), "iommu-map-mask"), 0xff);
    free(out);
    free(copy);
}

static void test_handed_by_compatible(void **state)
{
    (void)state;
    check_handed("arm,mmu-500");
}

static void test_handed_by_path(void **state)
{
    (void)state;
    check_handed(MMU500_PATH);
}

/* The option cannot hand over what granite drives: the SMMUv3 stays hidden. */
static void test_driven_iommu_never_handed(void **state)
{
    (void)state;
    void *out;
    struct dom0_dt_params p = default_params(host);

    p.handed_iommu = "arm,smmu-v3";
    out = build_ok(&p);
    assert_int_equal(count_compatible(out, "arm,smmu-v3"), 0);
    assert_int_equal(count_prop(out, "iommu-map"), 0);
    free(out);
}

/* A reference naming a handed IOMMU and a hidden one would dangle: it goes. */
static void test_mixed_reference_removed(void **state)
{
    (void)state;
    void *copy = host_with_mmu500(), *out;
    struct dom0_dt_params p = default_params(copy);
    fdt32_t map[8];
    u32 cells[8] = { 0, MMU500_PHANDLE, 0, 0x100, 0x100, SMMUV3_PHANDLE, 0x100, 0x100 };

    for (int i = 0; i < 8; i++)
        map[i] = cpu_to_fdt32(cells[i]);
    assert_int_equal(fdt_setprop(copy, node(copy, PCIE_PATH), "iommu-map", map, sizeof(map)), 0);
    p.handed_iommu = "arm,mmu-500";
    out = build_ok(&p);
    assert_true(node(out, MMU500_PATH) >= 0);
    assert_int_equal(count_prop(out, "iommu-map"), 0);
    assert_int_equal(count_prop(out, "iommu-map-mask"), 0);
    free(out);
    free(copy);
}

static void test_count_refs_parses_entries(void **state)
{
    (void)state;
    void *copy = host_with_mmu500();
    int mmu = node(copy, MMU500_PATH), len;
    const void *v = fdt_getprop(copy, node(copy, PCIE_PATH), "iommu-map", &len);

    assert_int_equal(iommu_known_count_refs(copy, v, len, true, mmu, NULL), 1);
    /* iommu-map read as iommus: 0 is no phandle */
    assert_int_equal(iommu_known_count_refs(copy, v, len, false, mmu, NULL), -1);
    assert_int_equal(iommu_known_count_refs(copy, v, len - 4, true, mmu, NULL), -1);
    assert_int_equal(iommu_known_count_refs(copy, v, len, true, -1, "arm,mmu-500"), 0);
    assert_int_equal(iommu_known_count_refs(copy, v, len, true, -1, NULL), 1);
    /* empty or ragged: malformed (never "names only handed IOMMUs") */
    assert_int_equal(iommu_known_count_refs(copy, v, 0, true, -1, "arm,mmu-500"), -1);
    assert_int_equal(iommu_known_count_refs(copy, v, 0, false, -1, "arm,mmu-500"), -1);
    assert_int_equal(iommu_known_count_refs(copy, v, 3, false, -1, "arm,mmu-500"), -1);
    /* a #iommu-cells that is not one cell: malformed */
    fdt_setprop(copy, mmu, "#iommu-cells", "", 0);
    v = fdt_getprop(copy, node(copy, PCIE_PATH), "iommu-map", &len);
    assert_int_equal(iommu_known_count_refs(copy, v, len, true, mmu, NULL), -1);
    free(copy);
}

/* At boot: the warning names the IOMMU and the devices behind it. */
static void test_settle_warns_and_names_devices(void **state)
{
    (void)state;
    void *copy = host_with_mmu500();
    static struct domain d;
    const char *why = NULL;

    host_log_clear();
    mapped_size = 0;
    assert_int_equal(iommu_known_settle(&d, copy, NULL, &why), 0);
    assert_true(host_log_contains("iommu: " MMU500_PATH " (arm,mmu-500): no driver in granite: "
                                  "hidden from dom0; DMA from " VIRTIO_PATH ", " PCIE_PATH
                                  " is not isolated"));
    assert_true(host_log_contains("iommu: policy: DMA from " VIRTIO_PATH ", " PCIE_PATH
                                  " is not isolated"));
    assert_false(host_log_contains("smmuv3"));
    assert_false(host_log_contains("PV drivers"));
    assert_int_equal(mapped_size, 0);
    free(copy);
}

static void test_settle_handed_maps_and_warns(void **state)
{
    (void)state;
    void *copy = host_with_mmu500();
    static struct domain d;
    const char *why = NULL;

    host_log_clear();
    assert_int_equal(iommu_known_settle(&d, copy, MMU500_PATH, &why), 0);
    assert_true(host_log_contains("handed to dom0 (" IOMMU_PASSTHROUGH_OPTION ")"));
    assert_true(host_log_contains("PV drivers are going to break"));
    assert_int_equal(mapped_start, 0x9100000);
    assert_int_equal(mapped_size, 0x10000);
    assert_int_equal(mapped_type, p2m_mmio_direct_dev);
    /* Naming what granite drives, or nothing, is refused. */
    assert_int_equal(iommu_known_settle(&d, copy, "arm,smmu-v3", &why), -EINVAL);
    assert_non_null(strstr(why, IOMMU_PASSTHROUGH_OPTION));
    assert_int_equal(iommu_known_settle(&d, copy, "/nowhere", &why), -EINVAL);
    free(copy);
}

static void test_no_its_nor_msi_references(void **state)
{
    (void)state;
    void *out;

    assert_int_equal(count_compatible(host, "arm,gic-v3-its"), 1);
    assert_int_equal(count_prop(host, "msi-map"), 1);
    out = build_default();
    assert_int_equal(count_compatible(out, "arm,gic-v3-its"), 0);
    assert_int_equal(count_prop(out, "msi-controller"), 0);
    assert_int_equal(count_prop(out, "msi-parent"), 0);
    assert_int_equal(count_prop(out, "msi-map"), 0);
    assert_int_equal(count_prop(out, "msi-map-mask"), 0);
    free(out);
}

/* --- what granite describes ------------------------------------------------ */

static void test_memory_is_exactly_the_banks(void **state)
{
    (void)state;
    void *out = build_default();
    int depth = 0, found = 0;

    for (int n = 0; n >= 0 && depth >= 0; n = fdt_next_node(out, n, &depth)) {
        const char *type = fdt_getprop(out, n, "device_type", NULL);
        char name[32];
        if (!type || strcmp(type, "memory"))
            continue;
        assert_true(found < 2);
        assert_int_equal(depth, 1);
        snprintf(name, sizeof(name), "memory@%lx", (unsigned long)banks[found].start.v);
        assert_string_equal(fdt_get_name(out, n, NULL), name);
        assert_cells(out, n, "reg",
                     (u32[]){ (u32)(banks[found].start.v >> 32), (u32)banks[found].start.v,
                              (u32)(banks[found].size >> 32), (u32)banks[found].size }, 4);
        found++;
    }
    assert_int_equal(found, 2);
    assert_int_equal(node(out, "/memory@40000000"), -FDT_ERR_NOTFOUND);
    free(out);
}

static void check_cpus(unsigned nr_vcpus)
{
    struct dom0_dt_params p = default_params(host);
    void *out;
    int cpus, n;
    unsigned i = 0;

    p.nr_vcpus = nr_vcpus;
    out = build_ok(&p);
    cpus = node(out, "/cpus");
    assert_true(cpus >= 0);
    assert_int_equal(prop_u32(out, cpus, "#address-cells"), 1);
    assert_int_equal(prop_u32(out, cpus, "#size-cells"), 0);
    fdt_for_each_subnode(n, out, cpus) {
        char name[16];
        snprintf(name, sizeof(name), "cpu@%x", i);
        assert_string_equal(fdt_get_name(out, n, NULL), name);
        assert_string(out, n, "device_type", "cpu");
        assert_string(out, n, "enable-method", "psci");
        assert_int_equal(prop_u32(out, n, "reg"), i);
        i++;
    }
    assert_int_equal(i, nr_vcpus); /* and nothing else: no cpu-map */
    assert_int_equal(node(out, "/cpus/cpu-map"), -FDT_ERR_NOTFOUND);
    free(out);
}

static void test_cpus_are_the_vcpus(void **state)
{
    (void)state;
    assert_true(node(host, "/cpus/cpu-map") >= 0);
    check_cpus(2);
    check_cpus(1); /* fewer than the host has */
    check_cpus(4); /* more than the host has */
    check_cpus(DOM0_DT_MAX_VCPUS);
}

static void test_psci_is_hvc(void **state)
{
    (void)state;
    static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";
    void *out;
    int psci;

    assert_string(host, node(host, "/psci"), "method", "smc");
    out = build_default();
    psci = node(out, "/psci");
    assert_true(psci >= 0);
    assert_string(out, psci, "method", "hvc");
    assert_prop_bytes(out, psci, "compatible", compat, sizeof(compat));
    assert_int_equal(count_compatible(out, "arm,psci-0.2"), 1);
    assert_null(fdt_getprop(out, psci, "cpu_on", NULL)); /* PSCI 0.1 IDs gone */
    free(out);
}

static void test_hypervisor_node(void **state)
{
    (void)state;
    static const char compat[] = "xen,xen-4.19\0xen,xen";
    void *out = build_default();
    int hyp = node(out, "/hypervisor"), gic = node(out, GIC_PATH);

    assert_true(hyp >= 0);
    assert_true(gic >= 0);
    assert_prop_bytes(out, hyp, "compatible", compat, sizeof(compat));
    {
        /* reg[0] the grant window; reg[1..] extended regions: 2 MiB-aligned,
         * >= 64 MiB, sorted, disjoint, clear of dom0's RAM, the window and
         * every device of the host tree (Xen's find_memory_holes). */
        int len, nr, hn;
        const fdt32_t *r = fdt_getprop(out, hyp, "reg", &len);
        u64 prev_end = 0;
        assert_non_null(r);
        assert_int_equal(len % 16, 0);
        nr = len / 16;
        assert_true(nr >= 2);
        assert_int_equal(fdt32_to_cpu(r[1]), GNTTAB_BASE);
        assert_int_equal(fdt32_to_cpu(r[3]), GNTTAB_SIZE);
        for (int i = 1; i < nr; i++) {
            u64 a = ((u64)fdt32_to_cpu(r[4 * i]) << 32) | fdt32_to_cpu(r[4 * i + 1]);
            u64 sz = ((u64)fdt32_to_cpu(r[4 * i + 2]) << 32) | fdt32_to_cpu(r[4 * i + 3]);
            int len2, d = 0;
            assert_int_equal(a % (2UL << 20), 0);
            assert_int_equal(sz % (2UL << 20), 0);
            assert_true(sz >= (64UL << 20));
            assert_true(a >= prev_end);
            prev_end = a + sz;
            assert_false(a < GNTTAB_BASE + GNTTAB_SIZE && GNTTAB_BASE < a + sz);
            /* Not over any depth-1 node's reg in the host tree (2+2 cells). */
            for (hn = fdt_next_node(host, -1, &d); hn >= 0; hn = fdt_next_node(host, hn, &d)) {
                const fdt32_t *hr = d == 1 ? fdt_getprop(host, hn, "reg", &len2) : NULL;
                for (int k = 0; hr && k + 4 <= len2 / 4; k += 4) {
                    u64 ha = ((u64)fdt32_to_cpu(hr[k]) << 32) | fdt32_to_cpu(hr[k + 1]);
                    u64 hs = ((u64)fdt32_to_cpu(hr[k + 2]) << 32) | fdt32_to_cpu(hr[k + 3]);
                    if (hs && ha < a + sz && a < ha + hs)
                        fail_msg("extended region 0x%lx+0x%lx overlaps %s", (unsigned long)a,
                                 (unsigned long)sz, fdt_get_name(host, hn, NULL));
                }
            }
        }
    }
    assert_cells(out, hyp, "interrupts", (u32[]){ 1, 15, 0xf08 }, 3);
    assert_int_equal(prop_u32(out, hyp, "interrupt-parent"), fdt_get_phandle(out, gic));
    assert_int_equal(fdt_get_phandle(out, gic), GIC_PHANDLE);
    free(out);
}

/* A bridge passed through to another domain is withheld from this tree (the
 * hardware domain when a driver domain claims it, or a driver domain's tree
 * with someone else's bridge), and only that node: the rest is as before. */
static void test_withheld_bridge(void **state)
{
    (void)state;
    static const char *const withheld[] = { PCIE_PATH };
    struct dom0_dt_params p = default_params(host);
    void *out;

    p.withheld_paths = withheld;
    p.nr_withheld_paths = 1;
    out = build_ok(&p);
    assert_true(node(out, PCIE_PATH) < 0);
    assert_int_equal(count_compatible(out, "pci-host-ecam-generic"), 0);
    assert_true(node(out, UART_PATH) >= 0);
    assert_true(node(out, GIC_PATH) >= 0);
    assert_true(node(out, "/hypervisor") >= 0);
    free(out);
    /* marking a withheld bridge as translated is an error: it is not there */
    p.feat_dom0_iommu = true;
    p.iommu_paths = withheld;
    p.nr_iommu_paths = 1;
    expect_error(&p, -ENOENT, PCIE_PATH, "not in dom0's device tree");
    /* and by default (nothing withheld) the bridge is kept */
    out = build_default();
    assert_true(node(out, PCIE_PATH) >= 0);
    free(out);
}

static u64 reg_at(const fdt32_t *r, int i, int k)
{
    return ((u64)fdt32_to_cpu(r[4 * i + 2 * k]) << 32) | fdt32_to_cpu(r[4 * i + 2 * k + 1]);
}

/* A direct-mapped driver domain's xenstore page: a host hole that no
 * extended region offers, cut from the top of the highest one (a 2 MiB slot,
 * so what remains stays 2 MiB-aligned); ext_out reports what was written. */
static void test_store_page_outside_ext_regions(void **state)
{
    (void)state;
    struct dom0_dt_params p = default_params(host), q = default_params(host);
    struct ext_range ext[XEN_EXT_REGIONS_MAX], ext0[XEN_EXT_REGIONS_MAX];
    unsigned nr = 0, nr0 = 0;
    u64 store = 0;
    void *out, *out0;
    int len, len0, hyp;
    const fdt32_t *r, *r0;

    q.ext_out = ext0;
    q.nr_ext_out = &nr0;
    out0 = build_ok(&q);
    p.ext_out = ext;
    p.nr_ext_out = &nr;
    p.store_ipa_out = &store;
    out = build_ok(&p);
    assert_true(nr0 >= 1);
    assert_int_equal(nr, nr0);
    /* the page: the first of the top 2 MiB of the highest region before */
    assert_int_equal(store, ext0[nr0 - 1].start + ext0[nr0 - 1].size - DOM0_DT_STORE_SLOT);
    assert_int_equal(ext[nr - 1].start, ext0[nr0 - 1].start);
    assert_int_equal(ext[nr - 1].size, ext0[nr0 - 1].size - DOM0_DT_STORE_SLOT);
    for (unsigned i = 0; i < nr; i++)
        assert_false(store >= ext[i].start && store < ext[i].start + ext[i].size);
    /* not RAM, not the grant window */
    for (unsigned i = 0; i < 2; i++)
        assert_false(store >= pa_addr(banks[i].start) &&
                     store < pa_addr(banks[i].start) + banks[i].size);
    assert_false(store >= GNTTAB_BASE && store < GNTTAB_BASE + GNTTAB_SIZE);
    /* and /hypervisor says exactly that */
    hyp = node(out, "/hypervisor");
    r = fdt_getprop(out, hyp, "reg", &len);
    r0 = fdt_getprop(out0, node(out0, "/hypervisor"), "reg", &len0);
    assert_int_equal(len, len0);
    assert_int_equal(reg_at(r, (int)nr, 1), ext[nr - 1].size);
    assert_int_equal(reg_at(r0, (int)nr0, 1), ext0[nr0 - 1].size);
    assert_true(reg_at(r, (int)nr, 0) + reg_at(r, (int)nr, 1) <= store);
    free(out);
    free(out0);
}

static void test_hypervisor_ppi_is_param(void **state)
{
    (void)state;
    struct dom0_dt_params p = default_params(host);
    void *out;

    p.evtchn_ppi = 20;
    out = build_ok(&p);
    assert_cells(out, node(out, "/hypervisor"), "interrupts",
                 (u32[]){ 1, 4, 0xf08 }, 3);
    free(out);
}

/* trace=packet: /hypervisor says <count domid>; without it, nothing (the
 * toy guests' trace stays off, and Linux sees the tree it always saw). */
static void test_packet_trace_property(void **state)
{
    (void)state;
    struct dom0_dt_params p = default_params(host);
    void *out;

    out = build_ok(&p);
    assert_null(fdt_getprop(out, node(out, "/hypervisor"), GRANITE_DT_PROP_PACKET_TRACE, NULL));
    free(out);
    p.trace_packets = 3;
    p.domid = 0;
    out = build_ok(&p);
    assert_cells(out, node(out, "/hypervisor"), GRANITE_DT_PROP_PACKET_TRACE, (u32[]){ 3, 0 }, 2);
    free(out);
}

static void test_gic_redistributors_resized(void **state)
{
    (void)state;
    struct dom0_dt_params p = default_params(host);
    void *out;
    int gic;

    p.nr_vcpus = 3;
    out = build_ok(&p);
    gic = node(out, GIC_PATH);
    assert_true(gic >= 0);
    assert_cells(out, gic, "reg",
                 (u32[]){ 0, HOST_DIST_BASE, 0, HOST_DIST_SIZE, 0, HOST_REDIST_BASE, 0,
                          3 * 0x20000 }, 8);
    assert_int_equal(prop_u32(out, gic, "#redistributor-regions"), 1);
    assert_int_equal(prop_u32(out, gic, "#interrupt-cells"), 3);
    assert_int_equal(prop_u32(out, gic, "#address-cells"), 2); /* interrupt-map uses it */
    assert_non_null(fdt_getprop(out, gic, "interrupt-controller", NULL));
    assert_null(fdt_getprop(out, gic, "interrupts", NULL)); /* maintenance IRQ: granite's */
    free(out);
}

/* --- a GICv2 host ------------------------------------------------------------ */

/* The fixture's GIC turned into QEMU virt's gic-version=2 one (or a GIC-400
 * with 64 KiB-aliased frames: cpuif_size 0x20000): GICD, GICC, GICH, GICV,
 * the maintenance interrupt, a GICv2m MSI frame inside. */
static void *host_with_gicv2(const char *compatible, u32 cpuif_size)
{
    void *copy = host_copy();
    int gic = node(copy, GIC_PATH), its, v2m;
    const u32 reg[16] = { 0, 0x8000000, 0, 0x10000, 0, 0x8010000, 0, cpuif_size,
                          0, 0x8030000, 0, 0x10000, 0, 0x8040000, 0, cpuif_size };
    fdt32_t be[16];

    for (int i = 0; i < 16; i++)
        be[i] = cpu_to_fdt32(reg[i]);
    assert_true(gic >= 0);
    assert_int_equal(fdt_setprop_string(copy, gic, "compatible", compatible), 0);
    assert_int_equal(fdt_setprop(copy, gic, "reg", be, sizeof(be)), 0);
    assert_int_equal(fdt_delprop(copy, gic, "#redistributor-regions"), 0);
    its = fdt_subnode_offset(copy, gic, "its@8080000");
    assert_true(its >= 0);
    assert_int_equal(fdt_del_node(copy, its), 0);
    gic = node(copy, GIC_PATH);
    v2m = fdt_add_subnode(copy, gic, "v2m@8020000");
    assert_true(v2m >= 0);
    assert_int_equal(fdt_setprop_string(copy, v2m, "compatible", "arm,gic-v2m-frame"), 0);
    assert_int_equal(fdt_setprop(copy, v2m, "msi-controller", NULL, 0), 0);
    return copy;
}

static void check_gicv2_view(void *copy)
{
    struct dom0_dt_params p = default_params(copy);
    void *out = build_ok(&p);
    int gic = node(out, GIC_PATH);

    assert_true(gic >= 0);
    /* GICD as the host has it, GICC as two 4 KiB pages; no GICH, no GICV. */
    assert_cells(out, gic, "reg",
                 (u32[]){ 0, HOST_DIST_BASE, 0, HOST_DIST_SIZE, 0, 0x8010000, 0, 0x2000 }, 8);
    assert_null(fdt_getprop(out, gic, "interrupts", NULL));    /* maintenance: granite's */
    assert_null(fdt_getprop(out, gic, "#redistributor-regions", NULL));
    assert_int_equal(prop_u32(out, gic, "#interrupt-cells"), 3);
    assert_int_equal(count_compatible(out, "arm,gic-v2m-frame"), 0);   /* MSIs: not emulated */
    /* The hypervisor node's upcall names this GIC. */
    assert_int_equal(prop_u32(out, node(out, "/hypervisor"), "interrupt-parent"), GIC_PHANDLE);
    free(out);
    free(copy);
}

static void test_gicv2_host_qemu_virt(void **state)
{
    (void)state;
    check_gicv2_view(host_with_gicv2("arm,cortex-a15-gic", 0x10000));
}

static void test_gicv2_host_gic400_aliased(void **state)
{
    (void)state;
    check_gicv2_view(host_with_gicv2("arm,gic-400", 0x20000));
}

static void test_gicv2_cpuif_too_small(void **state)
{
    (void)state;
    void *copy = host_with_gicv2("arm,cortex-a15-gic", 0x1000);
    struct dom0_dt_params p = default_params(copy);

    expect_error(&p, -EINVAL, "CPU interface", "4 KiB");
    free(copy);
}

/* --- what dom0 keeps ------------------------------------------------------- */

static void test_pcie_passed_through(void **state)
{
    (void)state;
    void *out = build_default();
    int hp = node(host, PCIE_PATH), op = node(out, PCIE_PATH);
    static const char *const same[] = {
        "compatible", "reg", "ranges", "interrupt-map", "interrupt-map-mask",
        "#interrupt-cells", "bus-range", "device_type", "dma-coherent",
    };

    assert_true(op >= 0);
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        int len;
        const void *v = fdt_getprop(host, hp, same[i], &len);
        assert_non_null(v);
        assert_prop_bytes(out, op, same[i], v, len);
    }
    free(out);
}

static void test_uart_kept_with_its_clock(void **state)
{
    (void)state;
    void *out = build_default();
    int uart = node(out, UART_PATH), len, clk;
    const fdt32_t *clocks;

    assert_true(uart >= 0);
    clocks = fdt_getprop(out, uart, "clocks", &len);
    assert_non_null(clocks);
    assert_int_equal(len, 8);
    for (int i = 0; i < 2; i++) {
        clk = fdt_node_offset_by_phandle(out, fdt32_to_cpu(clocks[i]));
        assert_true(clk >= 0);
        assert_int_equal(fdt_node_check_compatible(out, clk, "fixed-clock"), 0);
        assert_int_equal(prop_u32(out, clk, "clock-frequency"), 24000000);
    }
    assert_string(out, node(out, "/aliases"), "serial0", UART_PATH);
    free(out);
}

/* Only the console UART and the clocks it uses: another pl011 is not emulated,
 * an unreferenced fixed clock serves nothing dom0 has. */
static void test_only_console_uart_and_its_clock(void **state)
{
    (void)state;
    void *copy = host_copy(), *out;
    struct dom0_dt_params p = default_params(copy);
    int n;

    n = fdt_add_subnode(copy, 0, "pl011@9040000");
    assert_int_equal(fdt_setprop_string(copy, n, "compatible", "arm,pl011"), 0);
    assert_int_equal(fdt_setprop_u32(copy, n, "clocks", 0x8007), 0);
    n = fdt_add_subnode(copy, 0, "other-clk");
    assert_int_equal(fdt_setprop_string(copy, n, "compatible", "fixed-clock"), 0);
    assert_int_equal(fdt_setprop_u32(copy, n, "#clock-cells", 0), 0);
    assert_int_equal(fdt_setprop_u32(copy, n, "phandle", 0x8007), 0);
    out = build_ok(&p);
    assert_true(node(out, UART_PATH) >= 0);
    assert_true(node(out, "/apb-pclk") >= 0);
    assert_int_equal(node(out, "/pl011@9040000"), -FDT_ERR_NOTFOUND);
    assert_int_equal(node(out, "/other-clk"), -FDT_ERR_NOTFOUND);
    free(out);
    free(copy);
}

static void test_other_devices_gone(void **state)
{
    (void)state;
    static const char *const gone[] = {
        "cfi-flash", "qemu,fw-cfg-mmio", "virtio,mmio", "arm,pl031", "arm,pl061",
        "gpio-keys", "qemu,platform", "arm,armv8-pmuv3",
    };
    void *out = build_default();

    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        assert_true(count_compatible(host, gone[i]) > 0);
        if (count_compatible(out, gone[i]))
            fail_msg("a \"%s\" node is still in dom0's tree", gone[i]);
    }
    free(out);
}

/* The strongest form: the root's children are exactly these. */
static void test_root_children_exactly(void **state)
{
    (void)state;
    static const char *const want[] = {
        "memory@48000000", "memory@58000000", "psci", "hypervisor", "cpus",
        "chosen", "aliases", "intc@8000000", "timer", "pl011@9000000", "apb-pclk",
        "pcie@10000000",
    };
    bool seen[sizeof(want) / sizeof(want[0])] = { 0 };
    void *out = build_default();
    int n;

    fdt_for_each_subnode(n, out, 0) {
        const char *name = fdt_get_name(out, n, NULL);
        size_t i;
        for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
            if (!strcmp(name, want[i]))
                break;
        if (i == sizeof(want) / sizeof(want[0]))
            fail_msg("unexpected node /%s in dom0's tree", name);
        assert_false(seen[i]);
        seen[i] = true;
    }
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!seen[i])
            fail_msg("/%s is missing from dom0's tree", want[i]);
    assert_int_equal(prop_u32(out, 0, "interrupt-parent"), GIC_PHANDLE);
    free(out);
}

/* A bus survives when it carries a kept device, minus the rest of it. */
static void test_bus_keeps_only_kept_devices(void **state)
{
    (void)state;
    void *copy = host_copy(), *out;
    struct dom0_dt_params p = default_params(copy);
    int soc = fdt_add_subnode(copy, 0, "soc"), n;

    assert_true(soc >= 0);
    assert_int_equal(fdt_setprop_string(copy, soc, "compatible", "simple-bus"), 0);
    n = fdt_add_subnode(copy, soc, "rtc@1000");
    assert_int_equal(fdt_setprop_string(copy, n, "compatible", "arm,pl031"), 0);
    n = fdt_add_subnode(copy, soc, "pcie@2000");
    assert_int_equal(fdt_setprop_string(copy, n, "compatible", "pci-host-ecam-generic"), 0);
    n = fdt_add_subnode(copy, 0, "empty-bus");
    assert_int_equal(fdt_setprop_string(copy, n, "compatible", "simple-bus"), 0);
    n = fdt_add_subnode(copy, n, "rtc@1000");
    assert_int_equal(fdt_setprop_string(copy, n, "compatible", "arm,pl031"), 0);

    out = build_ok(&p);
    assert_true(node(out, "/soc/pcie@2000") >= 0);
    assert_int_equal(node(out, "/soc/rtc@1000"), -FDT_ERR_NOTFOUND);
    assert_int_equal(node(out, "/empty-bus"), -FDT_ERR_NOTFOUND);
    free(out);
    free(copy);
}

/* The ZynqMP platform devices: kept (and reported by dom0_dt_platform_device)
 * only when enabled, and only in the hardware domain's tree. */
static void test_platform_devices_enabled_and_hwdom_only(void **state)
{
    (void)state;
    void *copy = host_copy(), *out;
    struct dom0_dt_params p = default_params(copy);
    int axi = fdt_add_subnode(copy, 0, "axi"), gem3, gem0, mmc, sata, gdma, adma;

    assert_true(axi >= 0);
    assert_int_equal(fdt_setprop_string(copy, axi, "compatible", "simple-bus"), 0);
    /* Added first-to-last in reverse: a new subnode goes first.  The ZCU102's
     * own: SATA and a GDMA channel enabled, the ADMA channels disabled. */
    adma = fdt_add_subnode(copy, axi, "dma-controller@ffa80000");
    assert_int_equal(fdt_setprop_string(copy, adma, "compatible", "xlnx,zynqmp-dma-1.0"), 0);
    assert_int_equal(fdt_setprop_string(copy, adma, "status", "disabled"), 0);
    gdma = fdt_add_subnode(copy, axi, "dma-controller@fd500000");
    assert_int_equal(fdt_setprop_string(copy, gdma, "compatible", "xlnx,zynqmp-dma-1.0"), 0);
    assert_int_equal(fdt_setprop_string(copy, gdma, "status", "okay"), 0);
    sata = fdt_add_subnode(copy, axi, "ahci@fd0c0000");
    assert_int_equal(fdt_setprop_string(copy, sata, "compatible", "ceva,ahci-1v84"), 0);
    assert_int_equal(fdt_setprop_string(copy, sata, "status", "okay"), 0);
    mmc = fdt_add_subnode(copy, axi, "mmc@ff170000");
    assert_int_equal(fdt_setprop_string(copy, mmc, "compatible", "xlnx,zynqmp-8.9a"), 0);
    assert_int_equal(fdt_setprop_string(copy, mmc, "status", "ok"), 0);
    gem3 = fdt_add_subnode(copy, axi, "ethernet@ff0e0000");
    assert_int_equal(fdt_setprop_string(copy, gem3, "compatible", "cdns,zynqmp-gem"), 0);
    assert_int_equal(fdt_setprop_string(copy, gem3, "status", "okay"), 0);
    gem0 = fdt_add_subnode(copy, axi, "ethernet@ff0b0000");
    assert_int_equal(fdt_setprop_string(copy, gem0, "compatible", "cdns,zynqmp-gem"), 0);
    assert_int_equal(fdt_setprop_string(copy, gem0, "status", "disabled"), 0);

    assert_non_null(dom0_dt_platform_device(copy, node(copy, "/axi/ethernet@ff0e0000")));
    assert_non_null(dom0_dt_platform_device(copy, node(copy, "/axi/mmc@ff170000")));
    assert_null(dom0_dt_platform_device(copy, node(copy, "/axi/ethernet@ff0b0000")));
    assert_null(dom0_dt_platform_device(copy, node(copy, "/axi")));
    assert_non_null(dom0_dt_platform_device(copy, node(copy, "/axi/ahci@fd0c0000")));
    assert_non_null(dom0_dt_platform_device(copy, node(copy, "/axi/dma-controller@fd500000")));
    assert_null(dom0_dt_platform_device(copy, node(copy, "/axi/dma-controller@ffa80000")));

    out = build_ok(&p);
    assert_true(node(out, "/axi/ethernet@ff0e0000") >= 0);
    assert_true(node(out, "/axi/mmc@ff170000") >= 0);
    assert_int_equal(node(out, "/axi/ethernet@ff0b0000"), -FDT_ERR_NOTFOUND);
    assert_true(node(out, "/axi/ahci@fd0c0000") >= 0);
    assert_true(node(out, "/axi/dma-controller@fd500000") >= 0);
    assert_int_equal(node(out, "/axi/dma-controller@ffa80000"), -FDT_ERR_NOTFOUND);
    free(out);

    p.no_platform_devices = true; /* a driver domain's tree */
    out = build_ok(&p);
    assert_int_equal(node(out, "/axi"), -FDT_ERR_NOTFOUND);
    free(out);
    free(copy);
}

/* A platform device that is granite's console (stdout-path) is not dom0's. */
static void test_platform_device_console_not_kept(void **state)
{
    (void)state;
    void *copy = host_copy();
    int axi = fdt_add_subnode(copy, 0, "axi"), gem, chosen;

    assert_true(axi >= 0);
    gem = fdt_add_subnode(copy, axi, "ethernet@ff0e0000");
    assert_int_equal(fdt_setprop_string(copy, gem, "compatible", "cdns,zynqmp-gem"), 0);
    assert_non_null(dom0_dt_platform_device(copy, node(copy, "/axi/ethernet@ff0e0000")));
    chosen = node(copy, "/chosen"); /* looked up after the additions moved it */
    assert_true(chosen >= 0);
    assert_int_equal(fdt_setprop_string(copy, chosen, "stdout-path", "/axi/ethernet@ff0e0000"), 0);
    assert_null(dom0_dt_platform_device(copy, node(copy, "/axi/ethernet@ff0e0000")));
    free(copy);
}

/* More victims than one deletion pass collects (and some nested). */
static void test_many_nodes_removed(void **state)
{
    (void)state;
    size_t size = host_size + 64 * 1024;
    void *copy = malloc(size), *out;
    struct dom0_dt_params p = default_params(copy);
    char name[32];

    assert_int_equal(fdt_open_into(host, copy, (int)size), 0);
    for (int i = 0; i < 300; i++) {
        int n;
        snprintf(name, sizeof(name), "extra@%x", 0x20000000 + i * 0x1000);
        n = fdt_add_subnode(copy, 0, name);
        assert_true(n >= 0);
        assert_int_equal(fdt_setprop_string(copy, n, "compatible", "virtio,mmio"), 0);
        if (i % 3 == 0)
            assert_true(fdt_add_subnode(copy, n, "child") >= 0);
    }
    out = build_ok(&p);
    assert_int_equal(count_compatible(out, "virtio,mmio"), 0);
    assert_true(node(out, UART_PATH) >= 0);
    assert_true(node(out, GIC_PATH) >= 0);
    free(out);
    free(copy);
}

static void test_dangling_alias_pruned(void **state)
{
    (void)state;
    void *copy = host_copy(), *out;
    struct dom0_dt_params p = default_params(copy);
    int aliases = node(copy, "/aliases");

    assert_int_equal(fdt_setprop_string(copy, aliases, "virtio0", "/virtio_mmio@a000000"), 0);
    assert_int_equal(fdt_setprop_string(copy, aliases, "pci0", PCIE_PATH), 0);
    out = build_ok(&p);
    aliases = node(out, "/aliases");
    assert_null(fdt_getprop(out, aliases, "virtio0", NULL));
    assert_string(out, aliases, "pci0", PCIE_PATH);
    assert_string(out, aliases, "serial0", UART_PATH);
    free(out);
    free(copy);
}

/* --- host /reserved-memory ------------------------------------------------- */

/* A region that the PCIe bridge's devices use, outside dom0's banks and grant
 * window (granite keeps it from its allocator and maps it 1:1 into dom0). */
#define RSV_PATH "/reserved-memory"
#define RSV_CHILD "dma@5e000000"
#define RSV_BASE 0x5e000000UL
#define RSV_SIZE 0x00400000UL
#define RSV_PHANDLE 0x8010 /* not used by the fixture (0x8000..0x8006) */

/* A copy of the fixture with /reserved-memory { dma@5e000000 { reg; phandle;
 * no-map; } } and memory-region = <&dma> on the PCIe bridge. */
static void *host_with_reserved_memory(void)
{
    void *copy = host_copy();
    int rsv, child;

    assert_int_equal(node(copy, RSV_PATH), -FDT_ERR_NOTFOUND);
    assert_int_equal(fdt_node_offset_by_phandle(copy, RSV_PHANDLE), -FDT_ERR_NOTFOUND);
    rsv = fdt_add_subnode(copy, 0, "reserved-memory");
    assert_true(rsv >= 0);
    assert_int_equal(fdt_setprop_u32(copy, rsv, "#address-cells", 2), 0);
    assert_int_equal(fdt_setprop_u32(copy, rsv, "#size-cells", 2), 0);
    assert_int_equal(fdt_setprop_empty(copy, rsv, "ranges"), 0);
    child = fdt_add_subnode(copy, rsv, RSV_CHILD);
    assert_true(child >= 0);
    assert_int_equal(fdt_setprop_u64(copy, child, "reg", RSV_BASE), 0);
    assert_int_equal(fdt_appendprop_u64(copy, child, "reg", RSV_SIZE), 0);
    assert_int_equal(fdt_setprop_empty(copy, child, "no-map"), 0);
    assert_int_equal(fdt_setprop_u32(copy, child, "phandle", RSV_PHANDLE), 0);
    assert_int_equal(fdt_setprop_u32(copy, node(copy, PCIE_PATH), "memory-region",
                                     RSV_PHANDLE), 0);
    return copy;
}

/* dom0 drives the devices that name the region, so it must find the region:
 * the node and its child are kept as the host has them, the bridge keeps its
 * memory-region, and that phandle still resolves to the child in dom0's tree. */
static void test_reserved_memory_kept(void **state)
{
    (void)state;
    void *copy = host_with_reserved_memory(), *out;
    struct dom0_dt_params p = default_params(copy);
    int rsv, child, pcie, target;
    char path[64];

    out = build_ok(&p);
    rsv = node(out, RSV_PATH);
    assert_true(rsv >= 0);
    assert_int_equal(fdt_parent_offset(out, rsv), 0);
    assert_int_equal(prop_u32(out, rsv, "#address-cells"), 2);
    assert_int_equal(prop_u32(out, rsv, "#size-cells"), 2);
    assert_prop_bytes(out, rsv, "ranges", "", 0);
    child = node(out, RSV_PATH "/" RSV_CHILD);
    assert_true(child >= 0);
    assert_cells(out, child, "reg",
                 (u32[]){ (u32)(RSV_BASE >> 32), (u32)RSV_BASE, (u32)(RSV_SIZE >> 32),
                          (u32)RSV_SIZE }, 4);
    assert_prop_bytes(out, child, "no-map", "", 0);
    assert_int_equal(fdt_get_phandle(out, child), RSV_PHANDLE);

    pcie = node(out, PCIE_PATH);
    assert_true(pcie >= 0);
    assert_int_equal(prop_u32(out, pcie, "memory-region"), RSV_PHANDLE);
    target = fdt_node_offset_by_phandle(out, prop_u32(out, pcie, "memory-region"));
    assert_int_equal(target, child);
    assert_int_equal(fdt_get_path(out, target, path, sizeof(path)), 0);
    assert_string_equal(path, RSV_PATH "/" RSV_CHILD);
    /* Keeping the region keeps nothing else: the bridge still loses its IOMMU. */
    assert_int_equal(count_prop(out, "iommu-map"), 0);
    free(out);
    free(copy);
}

/* QEMU's tree has no /reserved-memory, and dom0's gets none made up. */
static void test_no_reserved_memory_when_host_has_none(void **state)
{
    (void)state;
    void *out;

    assert_int_equal(node(host, RSV_PATH), -FDT_ERR_NOTFOUND);
    assert_int_equal(count_prop(host, "memory-region"), 0);
    out = build_default();
    assert_int_equal(node(out, RSV_PATH), -FDT_ERR_NOTFOUND);
    assert_int_equal(count_prop(out, "memory-region"), 0);
    free(out);
}

/* --- /chosen ------------------------------------------------------------- */

/* A /chosen as a dom0less boot would have it. */
static void *host_with_dom0less_chosen(void)
{
    static const char kernel_compat[] = "multiboot,kernel\0multiboot,module";
    void *copy = host_copy();
    int chosen = node(copy, "/chosen"), dom, mod, fb;

    assert_int_equal(fdt_setprop_string(copy, chosen, "bootargs", "granite options"), 0);
    assert_int_equal(fdt_setprop_string(copy, chosen, "xen,xen-bootargs", "dom0_mem=1G"), 0);
    assert_int_equal(fdt_setprop_string(copy, chosen, "xen,dom0-bootargs", "root=/dev/x"), 0);
    assert_int_equal(fdt_setprop_u64(copy, chosen, "linux,initrd-start", 0x42000000), 0);
    assert_int_equal(fdt_setprop_u64(copy, chosen, "linux,initrd-end", 0x43000000), 0);
    dom = fdt_add_subnode(copy, chosen, "domU1");
    assert_true(dom >= 0);
    assert_int_equal(fdt_setprop_string(copy, dom, "compatible", "xen,domain"), 0);
    assert_int_equal(fdt_setprop_u32(copy, dom, "cpus", 1), 0);
    mod = fdt_add_subnode(copy, dom, "module@4a000000");
    assert_int_equal(fdt_setprop(copy, mod, "compatible", kernel_compat,
                                 sizeof(kernel_compat)), 0);
    mod = fdt_add_subnode(copy, chosen, "module@44000000");
    assert_int_equal(fdt_setprop_string(copy, mod, "compatible", "multiboot,module"), 0);
    fb = fdt_add_subnode(copy, chosen, "framebuffer@50000000");
    assert_int_equal(fdt_setprop_string(copy, fb, "compatible", "simple-framebuffer"), 0);
    return copy;
}

static void test_chosen_filtered(void **state)
{
    (void)state;
    void *copy = host_with_dom0less_chosen(), *out;
    struct dom0_dt_params p = default_params(copy);
    int chosen, n, children = 0;

    assert_int_equal(count_compatible(copy, "xen,domain"), 1);
    out = build_ok(&p);
    chosen = node(out, "/chosen");
    assert_true(chosen >= 0);
    assert_string(out, chosen, "bootargs", BOOTARGS);
    assert_string(out, chosen, "stdout-path", UART_PATH);
    assert_non_null(fdt_getprop(out, chosen, "rng-seed", NULL));
    assert_int_equal(count_prop_prefix(out, chosen, "xen,"), 0);
    assert_int_equal(count_prop_prefix(out, chosen, "linux,initrd-"), 0);
    assert_int_equal(count_compatible(out, "xen,domain"), 0);
    assert_int_equal(count_compatible(out, "multiboot,module"), 0);
    assert_int_equal(count_compatible(out, "multiboot,kernel"), 0);
    fdt_for_each_subnode(n, out, chosen) {
        assert_string_equal(fdt_get_name(out, n, NULL), "framebuffer@50000000");
        children++;
    }
    assert_int_equal(children, 1);
    free(out);
    free(copy);
}

static void test_chosen_without_bootargs(void **state)
{
    (void)state;
    void *copy = host_with_dom0less_chosen(), *out;
    struct dom0_dt_params p = default_params(copy);

    p.bootargs = NULL; /* the host's (granite's options) must not leak through */
    out = build_ok(&p);
    assert_null(fdt_getprop(out, node(out, "/chosen"), "bootargs", NULL));
    free(out);
    free(copy);
}

static void test_stdout_path_through_alias(void **state)
{
    (void)state;
    void *copy = host_copy(), *out;
    struct dom0_dt_params p = default_params(copy);

    assert_int_equal(fdt_setprop_string(copy, node(copy, "/chosen"), "stdout-path",
                                        "serial0:115200n8"), 0);
    out = build_ok(&p);
    assert_true(node(out, UART_PATH) >= 0);
    assert_string(out, node(out, "/chosen"), "stdout-path", "serial0:115200n8");
    free(out);
    free(copy);
}

/* --- feat_dom0_iommu --------------------------------------------------------- */

static void test_iommu_mark_only_when_asked(void **state)
{
    (void)state;
    static const char *const paths[] = { PCIE_PATH };
    struct dom0_dt_params p = default_params(host);
    void *out;

    p.iommu_paths = paths;
    p.nr_iommu_paths = 1;
    out = build_ok(&p); /* paths given, feature off */
    assert_int_equal(count_prop(out, DOM0_DT_PROP_IOMMU_TRANSLATED), 0);
    free(out);

    p.feat_dom0_iommu = true;
    out = build_ok(&p);
    assert_int_equal(count_prop(out, DOM0_DT_PROP_IOMMU_TRANSLATED), 1);
    assert_prop_bytes(out, node(out, PCIE_PATH), DOM0_DT_PROP_IOMMU_TRANSLATED, "", 0);
    free(out);
}

static void test_iommu_mark_on_filtered_node_fails(void **state)
{
    (void)state;
    static const char *const paths[] = { PCIE_PATH, "/virtio_mmio@a000000" };
    struct dom0_dt_params p = default_params(host);

    p.feat_dom0_iommu = true;
    p.iommu_paths = paths;
    p.nr_iommu_paths = 2;
    expect_error(&p, -ENOENT, "/virtio_mmio@a000000", "not in dom0's device tree");
}

/* --- limits and bad input ------------------------------------------------- */

static int build_sized(const struct dom0_dt_params *p, size_t size)
{
    void *out = malloc(size ? size : 1); /* exact size: ASan sees any overrun */
    const char *why = NULL;
    int rc = dom0_dt_build(p, out, size, &why);

    if (rc) {
        assert_non_null(why);
        if (size >= sizeof(struct fdt_header))
            assert_int_not_equal(fdt_magic(out), FDT_MAGIC); /* never passes for a DTB */
    } else {
        assert_int_equal(fdt_check_header(out), 0);
        assert_true(fdt_totalsize(out) <= size);
    }
    free(out);
    return rc;
}

static void check_small_buffers(const void *fdt)
{
    struct dom0_dt_params p = default_params(fdt);
    size_t lo = 0, hi = OUT_SIZE;

    assert_int_equal(build_sized(&p, hi), 0);
    /* The smallest size that works, then every size below it must say ENOSPC. */
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        int rc = build_sized(&p, mid);
        assert_true(rc == 0 || rc == -ENOSPC);
        if (rc == 0)
            hi = mid;
        else
            lo = mid;
    }
    for (size_t size = 0; size < hi; size += size < 64 ? 1 : 97)
        assert_int_equal(build_sized(&p, size), -ENOSPC);
    assert_int_equal(build_sized(&p, hi - 1), -ENOSPC);
    assert_int_equal(build_sized(&p, hi), 0);
}

/* QEMU hands over its DTB with totalsize 1 MiB, most of it free space. */
static void *padded_host(void)
{
    void *big = malloc(PADDED_SIZE);

    assert_non_null(big);
    assert_int_equal(fdt_open_into(host, big, PADDED_SIZE), 0);
    assert_int_equal(fdt_totalsize(big), PADDED_SIZE);
    return big;
}

static void test_small_buffer_enospc_no_overrun(void **state)
{
    (void)state;
    void *big = padded_host();

    check_small_buffers(host);
    check_small_buffers(big); /* only the used part of the host tree must fit */
    free(big);
}

static void test_free_space_in_host_is_not_copied(void **state)
{
    (void)state;
    void *big = padded_host(), *a, *b;
    struct dom0_dt_params p = default_params(big);

    a = build_ok(&p);
    b = build_default();
    assert_int_equal(fdt_totalsize(a), fdt_totalsize(b));
    assert_memory_equal(a, b, fdt_totalsize(a));
    free(a);
    free(b);
    free(big);
}

/* Room for the host tree but not for what is added later (a long bootargs). */
static void test_enospc_while_adding(void **state)
{
    (void)state;
    struct dom0_dt_params p = default_params(host);
    size_t long_len = 16 * 1024;
    char *long_args = malloc(long_len + 1);
    const char *why = NULL;
    void *out;
    size_t fits = 0;

    memset(long_args, 'x', long_len);
    long_args[long_len] = '\0';
    p.bootargs = long_args;
    out = malloc(host_size + 1024);
    assert_int_equal(dom0_dt_build(&p, out, host_size + 1024, &why), -ENOSPC);
    assert_non_null(strstr(why, "bootargs"));
    assert_int_not_equal(fdt_magic(out), FDT_MAGIC); /* the half-built tree is marked */
    free(out);
    /* Sweep the bootargs length across the point where the result stops
     * fitting: each build either fits in the exact-size buffer or says ENOSPC. */
    for (size_t len = 0; len < long_len; len += 256) {
        int rc;
        long_args[len] = '\0';
        rc = build_sized(&p, host_size + 512);
        assert_true(rc == 0 || rc == -ENOSPC);
        fits += rc == 0;
        long_args[len] = 'x';
    }
    assert_true(fits > 0 && fits < long_len / 256); /* the sweep crossed the limit */
    free(long_args);
}

static void test_no_gic_is_refused(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);

    assert_int_equal(fdt_del_node(copy, node(copy, GIC_PATH)), 0);
    expect_error(&p, -ENODEV, "arm,gic-v3", "GIC");
    free(copy);
}

static void test_bad_gic_reg_is_refused(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);
    u32 short_reg[3] = { 0, 0x8000000, 0 };

    assert_int_equal(fdt_setprop(copy, node(copy, GIC_PATH), "reg", short_reg,
                                 sizeof(short_reg)), 0);
    expect_error(&p, -EINVAL, GIC_PATH, "reg");
    free(copy);
}

static void test_small_redistributor_region_is_refused(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);
    fdt32_t reg[8];

    for (int i = 0; i < 8; i++)
        reg[i] = cpu_to_fdt32((u32[]){ 0, HOST_DIST_BASE, 0, HOST_DIST_SIZE, 0,
                                       HOST_REDIST_BASE, 0, 0x20000 }[i]);
    assert_int_equal(fdt_setprop(copy, node(copy, GIC_PATH), "reg", reg, sizeof(reg)), 0);
    expect_error(&p, -EINVAL, GIC_PATH ": reg", "redistributor");
    p.nr_vcpus = 1; /* one vCPU fits one redistributor */
    free(build_ok(&p));
    free(copy);
}

static void test_gic_without_phandle_is_refused(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);

    assert_int_equal(fdt_delprop(copy, node(copy, GIC_PATH), "phandle"), 0);
    expect_error(&p, -EINVAL, GIC_PATH, "phandle");
    free(copy);
}

static void test_console_clock_must_be_fixed(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);

    assert_int_equal(fdt_setprop_string(copy, node(copy, "/apb-pclk"), "compatible",
                                        "vendor,clock-controller"), 0);
    expect_error(&p, -EINVAL, UART_PATH ": clocks", "fixed-clock");
    free(copy);
}

static void test_console_clocks_truncated(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);
    fdt32_t odd = cpu_to_fdt32(0x8000);

    /* 0x8000 with #clock-cells = 1 would need a second cell. */
    assert_int_equal(fdt_setprop_u32(copy, node(copy, "/apb-pclk"), "#clock-cells", 1), 0);
    assert_int_equal(fdt_setprop(copy, node(copy, UART_PATH), "clocks", &odd, 4), 0);
    expect_error(&p, -EINVAL, "#clock-cells", NULL);
    free(copy);
}

static void test_stdout_path_not_pl011_is_refused(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);

    assert_int_equal(fdt_setprop_string(copy, node(copy, "/chosen"), "stdout-path",
                                        "/pl031@9010000"), 0);
    expect_error(&p, -EINVAL, "/pl031@9010000", "arm,pl011");
    assert_int_equal(fdt_setprop_string(copy, node(copy, "/chosen"), "stdout-path",
                                        "/nowhere"), 0);
    expect_error(&p, -EINVAL, "/chosen: stdout-path", "names no node");
    free(copy);
}

/* A console UART granite drives that is not a PL011 (the ZCU102's Cadence):
 * granite's own; dom0 gets no UART node and no stdout-path, and says so. */
static void test_stdout_path_cadence_gives_dom0_no_uart(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);
    static const char compat[] = "xlnx,zynqmp-uart\0cdns,uart-r1p12";
    int chosen;

    assert_int_equal(fdt_setprop(copy, node(copy, UART_PATH), "compatible", compat,
                                 sizeof(compat)), 0);
    host_log_clear();
    void *out = build_ok(&p);
    assert_true(host_log_contains("is granite's console, not a PL011: dom0 gets no UART"));
    assert_int_equal(node(out, UART_PATH), -FDT_ERR_NOTFOUND);
    chosen = node(out, "/chosen");
    assert_true(chosen >= 0);
    assert_null(fdt_getprop(out, chosen, "stdout-path", NULL));
    free(out);
    free(copy);
}

/* Direct-mapped: dom0's grant window and RAM must not sit on a kept device. */
static void test_ranges_colliding_with_devices_are_refused(void **state)
{
    (void)state;
    static const struct mem_range on_uart[] = { { { 0x09000000UL }, 0x1000UL } };
    static const struct mem_range on_flash[] = { { { 0x00000000UL }, 0x1000UL } };
    struct dom0_dt_params p = default_params(host);
    void *out;

    p.gnttab_base = 0x38000000UL; /* Xen's guest grant base: QEMU's PCIe MMIO window */
    expect_error(&p, -EINVAL, PCIE_PATH ": ranges", "grant window");
    p = default_params(host);
    p.gnttab_base = HOST_REDIST_BASE + 0x20000 * 4; /* past dom0's 2 redistributors */
    p.gnttab_size = 0x20000;
    out = build_ok(&p);
    free(out);
    p.gnttab_base = HOST_REDIST_BASE; /* on them */
    expect_error(&p, -EINVAL, GIC_PATH ": reg", "grant window");
    p = default_params(host);
    p.banks = on_uart, p.nr_banks = 1;
    expect_error(&p, -EINVAL, UART_PATH ": reg", "RAM bank");
    p.banks = on_flash; /* the flash is not dom0's: no collision */
    free(build_ok(&p));
}

static void test_garbage_host_is_refused(void **state)
{
    (void)state;
    void *junk = calloc(1, 4096), *cut;
    struct dom0_dt_params p = default_params(junk);

    expect_error(&p, -EINVAL, "magic", NULL);
    /* A real header whose structure block is cut short. */
    cut = malloc(host_size);
    memcpy(cut, host, host_size);
    fdt_set_size_dt_struct(cut, fdt_size_dt_struct(cut) / 2);
    p.host_fdt = cut;
    expect_error(&p, -EINVAL, "host DTB", NULL);
    free(cut);
    free(junk);
}

/* A defect in a node that dom0 does not even get must still be refused: the
 * whole host tree is checked before it is used. */
static void test_bad_property_name_is_refused(void **state)
{
    (void)state;
    void *copy = host_copy();
    struct dom0_dt_params p = default_params(copy);
    int off = fdt_first_property_offset(copy, node(copy, "/pl061@9030000"));
    struct fdt_property *prop = (struct fdt_property *)fdt_offset_ptr_w(copy, off, 12);

    assert_non_null(prop);
    prop->nameoff = cpu_to_fdt32(0x7ffffff0); /* past the strings block */
    expect_error(&p, -EINVAL, "host DTB", NULL);
    free(copy);
}

static void test_bad_params_are_refused(void **state)
{
    (void)state;
    static const struct mem_range overlapping[] = {
        { { 0x48000000UL }, 0x08000000UL }, { { 0x4f000000UL }, 0x02000000UL },
    };
    static const struct mem_range unaligned[] = { { { 0x48000800UL }, 0x1000UL } };
    static const struct mem_range on_grant[] = { { { 0x70800000UL }, 0x1000UL } };
    static const char *const bad_path[] = { "pcie@10000000" };
    struct dom0_dt_params p;
    const char *why = NULL;
    char *out = malloc(OUT_SIZE + 1);

    p = default_params(host), p.nr_vcpus = 0;
    expect_error(&p, -EINVAL, "nr_vcpus", NULL);
    p = default_params(host), p.nr_vcpus = DOM0_DT_MAX_VCPUS + 1;
    expect_error(&p, -EINVAL, "nr_vcpus", NULL);
    p = default_params(host), p.evtchn_ppi = 15;
    expect_error(&p, -EINVAL, "evtchn_ppi", NULL);
    p = default_params(host), p.evtchn_ppi = 32;
    expect_error(&p, -EINVAL, "evtchn_ppi", NULL);
    p = default_params(host), p.nr_banks = 0;
    expect_error(&p, -EINVAL, "nr_banks", NULL);
    p = default_params(host), p.banks = overlapping;
    expect_error(&p, -EINVAL, "overlap", NULL);
    p = default_params(host), p.banks = unaligned, p.nr_banks = 1;
    expect_error(&p, -EINVAL, "RAM bank", NULL);
    p = default_params(host), p.banks = on_grant, p.nr_banks = 1;
    expect_error(&p, -EINVAL, "grant window", NULL);
    p = default_params(host), p.gnttab_size = 0;
    expect_error(&p, -EINVAL, "grant window", NULL);
    p = default_params(host), p.feat_dom0_iommu = true, p.iommu_paths = bad_path,
    p.nr_iommu_paths = 1;
    expect_error(&p, -EINVAL, "iommu_paths[0]", NULL);
    p = default_params(NULL);
    expect_error(&p, -EINVAL, "NULL", NULL);
    p = default_params(host);
    assert_int_equal(dom0_dt_build(&p, out + 1, OUT_SIZE, &why), -EINVAL); /* misaligned */
    assert_non_null(strstr(why, "aligned"));
    assert_int_equal(dom0_dt_build(&p, host, host_size, &why), -EINVAL); /* in place */
    assert_non_null(strstr(why, "overlaps"));
    assert_int_equal(dom0_dt_build(&p, out, OUT_SIZE, NULL), 0); /* why is optional */
    free(out);
}

/* --- main ----------------------------------------------------------------- */

static void *load_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    void *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || n <= 0 || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_is_a_valid_dtb),
        cmocka_unit_test(test_output_is_deterministic),
        cmocka_unit_test(test_no_smmu_node),
        cmocka_unit_test(test_no_iommu_references),
        cmocka_unit_test(test_iommus_and_map_mask_removed),
        cmocka_unit_test(test_unknown_iommu_under_kept_node_removed),
        cmocka_unit_test(test_undriven_mmu500_hidden),
        cmocka_unit_test(test_legacy_smmu_binding_hidden),
        cmocka_unit_test(test_handed_by_compatible),
        cmocka_unit_test(test_handed_by_path),
        cmocka_unit_test(test_driven_iommu_never_handed),
        cmocka_unit_test(test_mixed_reference_removed),
        cmocka_unit_test(test_count_refs_parses_entries),
        cmocka_unit_test(test_settle_warns_and_names_devices),
        cmocka_unit_test(test_settle_handed_maps_and_warns),
        cmocka_unit_test(test_no_its_nor_msi_references),
        cmocka_unit_test(test_memory_is_exactly_the_banks),
        cmocka_unit_test(test_cpus_are_the_vcpus),
        cmocka_unit_test(test_psci_is_hvc),
        cmocka_unit_test(test_hypervisor_node),
        cmocka_unit_test(test_hypervisor_ppi_is_param),
        cmocka_unit_test(test_packet_trace_property),
        cmocka_unit_test(test_gic_redistributors_resized),
        cmocka_unit_test(test_gicv2_host_qemu_virt),
        cmocka_unit_test(test_gicv2_host_gic400_aliased),
        cmocka_unit_test(test_gicv2_cpuif_too_small),
        cmocka_unit_test(test_pcie_passed_through),
        cmocka_unit_test(test_uart_kept_with_its_clock),
        cmocka_unit_test(test_only_console_uart_and_its_clock),
        cmocka_unit_test(test_other_devices_gone),
        cmocka_unit_test(test_root_children_exactly),
        cmocka_unit_test(test_bus_keeps_only_kept_devices),
        cmocka_unit_test(test_platform_devices_enabled_and_hwdom_only),
        cmocka_unit_test(test_platform_device_console_not_kept),
        cmocka_unit_test(test_many_nodes_removed),
        cmocka_unit_test(test_dangling_alias_pruned),
        cmocka_unit_test(test_reserved_memory_kept),
        cmocka_unit_test(test_no_reserved_memory_when_host_has_none),
        cmocka_unit_test(test_chosen_filtered),
        cmocka_unit_test(test_chosen_without_bootargs),
        cmocka_unit_test(test_stdout_path_through_alias),
        cmocka_unit_test(test_iommu_mark_only_when_asked),
        cmocka_unit_test(test_iommu_mark_on_filtered_node_fails),
        cmocka_unit_test(test_small_buffer_enospc_no_overrun),
        cmocka_unit_test(test_free_space_in_host_is_not_copied),
        cmocka_unit_test(test_enospc_while_adding),
        cmocka_unit_test(test_no_gic_is_refused),
        cmocka_unit_test(test_bad_gic_reg_is_refused),
        cmocka_unit_test(test_small_redistributor_region_is_refused),
        cmocka_unit_test(test_gic_without_phandle_is_refused),
        cmocka_unit_test(test_console_clock_must_be_fixed),
        cmocka_unit_test(test_console_clocks_truncated),
        cmocka_unit_test(test_stdout_path_not_pl011_is_refused),
        cmocka_unit_test(test_stdout_path_cadence_gives_dom0_no_uart),
        cmocka_unit_test(test_ranges_colliding_with_devices_are_refused),
        cmocka_unit_test(test_withheld_bridge),
        cmocka_unit_test(test_store_page_outside_ext_regions),
        cmocka_unit_test(test_garbage_host_is_refused),
        cmocka_unit_test(test_bad_property_name_is_refused),
        cmocka_unit_test(test_bad_params_are_refused),
    };
    int rc;

    if (argc > 1)
        fixture_path = argv[1];
    host = load_file(fixture_path, &host_size);
    if (!host || fdt_check_header(host) || fdt_totalsize(host) > host_size) {
        fprintf(stderr, "test_dom0_dt: cannot load a DTB from %s\n", fixture_path);
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(host);
    return rc;
}
