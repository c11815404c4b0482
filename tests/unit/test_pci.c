/*
 * test_pci.c — host tests of the requester-ID to stream-ID translation in
 * drivers/pci.c (pci_rid_to_sid).
 *
 * A PCIe function's DMA reaches the IOMMU tagged with its requester ID; the
 * host bridge's `iommu-map` (DT binding pci/pci-iommu.txt) says which IOMMU
 * and which stream ID that becomes: entries of four cells
 *   <rid-base  iommu-phandle  iommu-base  length>
 * covering RIDs [rid-base, rid-base + length) -> SIDs iommu-base + (rid - rid-base),
 * after the RID is ANDed with `iommu-map-mask` when the bridge has one.  A wrong
 * SID means the SMMU applies another device's stream table entry (or none) to
 * this device's DMA, so each case below is checked by value.
 *
 * Each test builds a small tree in memory with the host's libfdt: two IOMMU
 * nodes (only their phandles matter here: pci_rid_to_sid returns the phandle,
 * it does not follow it) and one generic host bridge whose iommu-map the test
 * sets.  pci.c's ECAM scan is not exercised, so ioremap is a stub that maps
 * nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <libfdt.h>
#include <granite/pci.h>
#include <granite/mm.h>
#include <granite/errno.h>
#include "host_stubs.h"

#define FDT_BUF_SIZE (16 * 1024)
static char fdt_buf[FDT_BUF_SIZE] __attribute__((aligned(8)));
static void *const fdt = fdt_buf;

/* Phandles of the two IOMMUs (QEMU numbers its phandles from 0x8000; any
 * distinct non-zero values do). */
#define SMMU_A 0x8005
#define SMMU_B 0x8011
#define BRIDGE "/pcie@10000000"

/* pci.c maps ECAM windows through this; nothing here scans a bus. */
void *ioremap(pa_t pa unused, u64 size unused) { return NULL; }

/* --- tree building --------------------------------------------------------- */

static int node(const char *path)
{
    int off = fdt_path_offset(fdt, path);
    if (off < 0)
        fail_msg("no node %s in the test tree: %s", path, fdt_strerror(off));
    return off;
}

static void add_iommu(const char *name, u32 phandle)
{
    int off = fdt_add_subnode(fdt, 0, name);
    assert_true(off >= 0);
    assert_int_equal(fdt_setprop_string(fdt, off, "compatible", "arm,smmu-v3"), 0);
    assert_int_equal(fdt_setprop_u32(fdt, off, "#iommu-cells", 1), 0);
    assert_int_equal(fdt_setprop_u32(fdt, off, "phandle", phandle), 0);
}

/* The parts of QEMU virt's tree that matter: two IOMMUs and a host bridge
 * without an iommu-map yet. */
static int setup(void **state unused)
{
    int pcie;

    host_stubs_reset();
    memset(fdt_buf, 0, sizeof(fdt_buf));
    assert_int_equal(fdt_create_empty_tree(fdt, FDT_BUF_SIZE), 0);
    assert_int_equal(fdt_setprop_u32(fdt, 0, "#address-cells", 2), 0);
    assert_int_equal(fdt_setprop_u32(fdt, 0, "#size-cells", 2), 0);
    add_iommu("smmuv3@9050000", SMMU_A);
    add_iommu("smmuv3@9060000", SMMU_B);
    pcie = fdt_add_subnode(fdt, 0, "pcie@10000000");
    assert_true(pcie >= 0);
    assert_int_equal(fdt_setprop_string(fdt, pcie, "compatible", "pci-host-ecam-generic"), 0);
    assert_int_equal(fdt_setprop_string(fdt, pcie, "device_type", "pci"), 0);
    assert_int_equal(fdt_setprop_u32(fdt, pcie, "#address-cells", 3), 0);
    assert_int_equal(fdt_setprop_u32(fdt, pcie, "#size-cells", 2), 0);
    return 0;
}

/* A property of n cells on the bridge. */
static void set_cells(const char *prop, unsigned n, const u32 *cells)
{
    fdt32_t v[16];
    assert_true(n <= 16);
    for (unsigned i = 0; i < n; i++)
        v[i] = cpu_to_fdt32(cells[i]);
    assert_int_equal(fdt_setprop(fdt, node(BRIDGE), prop, v, (int)(n * 4)), 0);
}

#define BRIDGE_CELLS(prop, ...)                                                  \
    do {                                                                         \
        const u32 c_[] = { __VA_ARGS__ };                                        \
        set_cells(prop, ARRAY_SIZE(c_), c_);                                     \
    } while (0)

/* --- checks ---------------------------------------------------------------- */

/* rid translates to (iommu, sid) on the bridge. */
static void expect_sid(u32 rid, u32 iommu, u32 sid)
{
    u32 got_iommu = 0xdeadbeef, got_sid = 0xdeadbeef;
    int rc = pci_rid_to_sid(fdt, node(BRIDGE), rid, &got_iommu, &got_sid);

    if (rc)
        fail_msg("RID 0x%x: %d, expected IOMMU 0x%x SID 0x%x", rid, rc, iommu, sid);
    if (got_iommu != iommu || got_sid != sid)
        fail_msg("RID 0x%x: IOMMU 0x%x SID 0x%x, expected IOMMU 0x%x SID 0x%x", rid,
                 got_iommu, got_sid, iommu, sid);
}

/* No entry covers rid. */
static void expect_none(u32 rid)
{
    u32 iommu = 0, sid = 0;
    int rc = pci_rid_to_sid(fdt, node(BRIDGE), rid, &iommu, &sid);

    if (rc != -ENOENT)
        fail_msg("RID 0x%x: %d (IOMMU 0x%x SID 0x%x), expected -ENOENT", rid, rc, iommu,
                 sid);
}

/* --- tests ----------------------------------------------------------------- */

/* QEMU virt's own map, <0 &smmu 0 0x10000>: every 16-bit RID is its own SID on
 * the one SMMU, from 00:00.0 to ff:1f.7; the first RID past the entry is not. */
static void test_qemu_identity_map(void **state unused)
{
    BRIDGE_CELLS("iommu-map", 0, SMMU_A, 0, 0x10000);
    expect_sid(0x0000, SMMU_A, 0x0000);
    expect_sid(0x0008, SMMU_A, 0x0008); /* 00:01.0, the edu device in the scenarios */
    expect_sid(0x0103, SMMU_A, 0x0103); /* 01:00.3 */
    expect_sid(0xffff, SMMU_A, 0xffff);
    expect_none(0x10000);
}

/* rid-base 0x100 -> iommu-base 0x2000 over 0x100 RIDs (bus 1 only): the SID is
 * the offset into the entry added to iommu-base; both neighbours are outside. */
static void test_offset_map(void **state unused)
{
    BRIDGE_CELLS("iommu-map", 0x100, SMMU_A, 0x2000, 0x100);
    expect_sid(0x100, SMMU_A, 0x2000);
    expect_sid(0x108, SMMU_A, 0x2008);
    expect_sid(0x1ff, SMMU_A, 0x20ff);
    expect_none(0x0ff);
    expect_none(0x200);
    expect_none(0x000);
}

/* A RID between entries, past the last, or in an empty (length 0) entry is
 * covered by none. */
static void test_rid_outside_every_entry(void **state unused)
{
    BRIDGE_CELLS("iommu-map",
                 0x000, SMMU_A, 0x00, 0x10,
                 0x100, SMMU_A, 0x40, 0x10,
                 0x200, SMMU_A, 0x80, 0x0);
    expect_sid(0x00f, SMMU_A, 0x0f);
    expect_sid(0x100, SMMU_A, 0x40);
    expect_none(0x010);
    expect_none(0x0ff);
    expect_none(0x110);
    expect_none(0x200);
    expect_none(0xffff);
    expect_none(0xffffffff);
}

/* Two entries on two IOMMUs (bus 0 behind one, bus 1 behind the other, each
 * numbering its streams from 0): the phandle comes from the entry that matched,
 * and the same SID on two IOMMUs is two different streams. */
static void test_two_iommus(void **state unused)
{
    BRIDGE_CELLS("iommu-map",
                 0x000, SMMU_A, 0x0, 0x100,
                 0x100, SMMU_B, 0x0, 0x100);
    expect_sid(0x008, SMMU_A, 0x08);
    expect_sid(0x0ff, SMMU_A, 0xff);
    expect_sid(0x100, SMMU_B, 0x00);
    expect_sid(0x108, SMMU_B, 0x08);
    expect_sid(0x1ff, SMMU_B, 0xff);
    expect_none(0x200);

    /* The same in the other order in the property. */
    BRIDGE_CELLS("iommu-map",
                 0x100, SMMU_B, 0x0, 0x100,
                 0x000, SMMU_A, 0x0, 0x100);
    expect_sid(0x008, SMMU_A, 0x08);
    expect_sid(0x108, SMMU_B, 0x08);
}

/* iommu-map-mask is applied to the RID before the lookup: with 0xfff8 every
 * function of a device shares function 0's stream; with 0xff00 a whole bus is
 * one stream, found by an entry that covers only the masked RID (which the
 * unmasked RIDs of that bus would miss). */
static void test_map_mask_applied_first(void **state unused)
{
    BRIDGE_CELLS("iommu-map", 0, SMMU_A, 0, 0x10000);
    BRIDGE_CELLS("iommu-map-mask", 0xfff8);
    expect_sid(0x000b, SMMU_A, 0x0008); /* 00:01.3 -> 00:01.0 */
    expect_sid(0x0008, SMMU_A, 0x0008);
    expect_sid(0x01ff, SMMU_A, 0x01f8);

    BRIDGE_CELLS("iommu-map", 0x100, SMMU_B, 0x40, 0x1);
    BRIDGE_CELLS("iommu-map-mask", 0xff00);
    expect_sid(0x1ab, SMMU_B, 0x40);
    expect_sid(0x100, SMMU_B, 0x40);
    expect_none(0x2ab); /* masked to 0x200: not in the entry */
    expect_none(0x0ab); /* masked to 0x000 */

    /* A mask of all ones changes nothing. */
    BRIDGE_CELLS("iommu-map", 0x100, SMMU_A, 0x2000, 0x100);
    BRIDGE_CELLS("iommu-map-mask", 0xffffffff);
    expect_sid(0x108, SMMU_A, 0x2008);
    expect_none(0x208);
}

/* An iommu-map that is not a whole number of 4-cell (16-byte) entries is
 * malformed: no RID is translated through it, not even the ones its complete
 * leading entries would cover (the cell count of each entry is in doubt). */
static void test_malformed_map(void **state unused)
{
    static const u8 odd_bytes[17] = { 0 };

    BRIDGE_CELLS("iommu-map", 0, SMMU_A, 0); /* 12 bytes */
    expect_none(0x0);
    BRIDGE_CELLS("iommu-map", 0, SMMU_A, 0, 0x10000, 0x20000); /* 20 bytes */
    expect_none(0x0);
    expect_none(0x8);
    BRIDGE_CELLS("iommu-map", 0, SMMU_A, 0, 0x10000, 0, SMMU_B, 0); /* 28 bytes */
    expect_none(0x8);
    assert_int_equal(fdt_setprop(fdt, node(BRIDGE), "iommu-map", odd_bytes, 17), 0);
    expect_none(0x0);
    /* Empty: a whole number of entries, none of them. */
    assert_int_equal(fdt_setprop(fdt, node(BRIDGE), "iommu-map", NULL, 0), 0);
    expect_none(0x0);
}

/* A bridge without iommu-map names no IOMMU for any RID, with or without a
 * mask; a node that is not the bridge (here the root) neither. */
static void test_no_map(void **state unused)
{
    u32 iommu, sid;

    expect_none(0x0);
    expect_none(0x8);
    BRIDGE_CELLS("iommu-map-mask", 0xfff8);
    expect_none(0x8);
    assert_int_equal(pci_rid_to_sid(fdt, 0, 0x8, &iommu, &sid), -ENOENT);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_qemu_identity_map),
        T(test_offset_map),
        T(test_rid_outside_every_entry),
        T(test_two_iommus),
        T(test_map_mask_applied_first),
        T(test_malformed_map),
        T(test_no_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
