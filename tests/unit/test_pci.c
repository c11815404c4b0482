/*
 * test_pci.c — host tests of the requester-ID to stream-ID translation in
 * drivers/pci.c (pci_rid_to_sid), and of the ECAM parser granite shares with
 * the guests (drivers/pci_ecam.c: the bridge's window, the walk over a bus)
 * with granite's glue around it (pci_for_each_device_on).
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
 * sets.  ECAM is an array here: ioremap hands it out for the bridge's window,
 * and the functions present are written into it by the test.
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
#include <granite/pci_ecam.h>
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

/* One bus of configuration space; the tests' bridge has it at ECAM_PA. */
#define ECAM_PA 0x4010000000UL
static u8 ecam[ECAM_BUS_SIZE] __attribute__((aligned(4096)));

/* pci.c maps ECAM windows through this. */
void *ioremap(pa_t pa, u64 size)
{
    return pa.v == ECAM_PA && size == ECAM_BUS_SIZE ? ecam : NULL;
}

/* Function (dev, fn) present with the ID and header type given. */
static void put_function(unsigned dev, unsigned fn, u16 vendor, u16 device, u8 header_type)
{
    u8 *cfg = ecam + pci_ecam_offset(dev, fn);
    u32 id = (u32)device << 16 | vendor, hdr = (u32)header_type << 16;

    memcpy(cfg + PCI_ID, &id, 4);
    memcpy(cfg + PCI_HEADER_WORD, &hdr, 4);
}

static u32 array_read32(const volatile u8 *cfg, unsigned off)
{
    u32 v;
    memcpy(&v, (const u8 *)cfg + off, 4);
    return v;
}

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
    memset(ecam, 0xff, sizeof(ecam)); /* every function absent */
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

/* --- the shared ECAM parser -------------------------------------------------- */

/* What a walk saw, in order. */
struct seen {
    unsigned n, stop_at;
    struct pci_ecam_fn f[16];
};

static int record(const struct pci_ecam_fn *f, void *arg)
{
    struct seen *s = arg;
    assert_true(s->n < ARRAY_SIZE(s->f));
    s->f[s->n++] = *f;
    return s->n == s->stop_at ? 7 : 0;
}

#define EXPECT_FN(s, i, d, fn_)                                                  \
    do {                                                                         \
        assert_int_equal((s).f[i].dev, d);                                       \
        assert_int_equal((s).f[i].fn, fn_);                                      \
        assert_ptr_equal((s).f[i].cfg, ecam + pci_ecam_offset(d, fn_));          \
    } while (0)

/* Function 0 decides: a device without it is skipped even if a higher
 * function answers; functions 1..7 are looked at only when function 0's
 * header says multi-function, and an absent one among them is skipped. */
static void test_scan_functions(void **state unused)
{
    struct seen s = { 0 };
    unsigned found = 0;

    put_function(0, 0, 0x1b36, 0x0008, 0x00);                           /* host bridge */
    put_function(0, 1, 0x1234, 0x5678, 0x00);   /* not multi-function: never seen */
    put_function(1, 0, 0x1234, 0x11e8, 0x00);                           /* edu */
    put_function(2, 0, 0x8086, 0x100e, PCI_HEADER_MULTIFUNCTION);
    put_function(2, 1, 0x8086, 0x100f, 0x00);
    put_function(2, 3, 0x8086, 0x1010, PCI_HEADER_LAYOUT_BRIDGE);
    put_function(3, 1, 0x1234, 0x0001, 0x00);   /* no function 0: no device */
    put_function(31, 0, 0x1af4, 0x1000, 0x00);                          /* the last slot */
    assert_int_equal(pci_ecam_scan_bus(ecam, array_read32, record, &s, &found), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(found, 6);
    EXPECT_FN(s, 0, 0, 0);
    EXPECT_FN(s, 1, 1, 0);
    assert_int_equal(s.f[1].vendor, 0x1234);
    assert_int_equal(s.f[1].device, 0x11e8);
    EXPECT_FN(s, 2, 2, 0);
    EXPECT_FN(s, 3, 2, 1);
    EXPECT_FN(s, 4, 2, 3);
    EXPECT_FN(s, 5, 31, 0);
    assert_false(s.f[3].bridge);
    assert_true(s.f[4].bridge);
}

/* The visitor's first non-zero return ends the walk and is passed on. */
static void test_scan_stops(void **state unused)
{
    struct seen s = { .stop_at = 2 };
    unsigned found = 0;

    put_function(0, 0, 0x1b36, 0x0008, 0);
    put_function(1, 0, 0x1234, 0x11e8, 0);
    put_function(2, 0, 0x8086, 0x100e, 0);
    assert_int_equal(pci_ecam_scan_bus(ecam, array_read32, record, &s, &found), 7);
    assert_int_equal(s.n, 2);
    assert_int_equal(found, 2);
    memset(ecam, 0xff, sizeof(ecam));
    s = (struct seen){ 0 };
    assert_int_equal(pci_ecam_scan_bus(ecam, array_read32, record, &s, NULL), 0);
    assert_int_equal(s.n, 0);
}

/* The window: `reg` in the parent's cells, the first bus from bus-range; a
 * reg shorter than its cells or than one bus is unusable. */
static void test_ecam_window(void **state unused)
{
    struct pci_ecam_window w;

    assert_int_equal(pci_ecam_window(fdt, node(BRIDGE), &w), -1); /* no reg yet */
    BRIDGE_CELLS("reg", 0x40, 0x10000000, 0x0, 0x10000000);
    assert_int_equal(pci_ecam_window(fdt, node(BRIDGE), &w), 0);
    assert_int_equal(w.base, ECAM_PA);
    assert_int_equal(w.size, 0x10000000);
    assert_int_equal(w.first_bus, 0);
    BRIDGE_CELLS("bus-range", 0x10, 0x1f);
    assert_int_equal(pci_ecam_window(fdt, node(BRIDGE), &w), 0);
    assert_int_equal(w.first_bus, 0x10);
    BRIDGE_CELLS("reg", 0x40, 0x10000000, 0x0, 0xfffff); /* less than one bus */
    assert_int_equal(pci_ecam_window(fdt, node(BRIDGE), &w), -1);
    BRIDGE_CELLS("reg", 0x40, 0x10000000, 0x0); /* 3 of 4 cells */
    assert_int_equal(pci_ecam_window(fdt, node(BRIDGE), &w), -1);
    assert_int_equal(pci_requester_id(0x10, 1, 3), 0x100b);
}

/* granite's glue: each function named, its RID translated through
 * iommu-map; the bus number comes from bus-range. */
struct found_dev {
    unsigned n;
    struct pci_dev d[4];
};

static int keep_dev(const struct pci_dev *d, void *arg)
{
    struct found_dev *fd = arg;
    assert_true(fd->n < ARRAY_SIZE(fd->d));
    fd->d[fd->n++] = *d;
    return 0;
}

static void test_for_each_device_on(void **state unused)
{
    struct found_dev fd = { 0 };

    BRIDGE_CELLS("reg", 0x40, 0x10000000, 0x0, 0x10000000);
    BRIDGE_CELLS("bus-range", 0x2, 0x2);
    BRIDGE_CELLS("iommu-map", 0x200, SMMU_B, 0x40, 0x100);
    put_function(1, 0, 0x1234, 0x11e8, 0);
    put_function(4, 0, 0x8086, 0x100e, PCI_HEADER_MULTIFUNCTION);
    put_function(4, 2, 0x8086, 0x100f, 0);
    assert_int_equal(pci_for_each_device_on(fdt, node(BRIDGE), keep_dev, &fd), 0);
    assert_int_equal(fd.n, 3);
    assert_string_equal(fd.d[0].name, "0000:02:01.0 (1234:11e8)");
    assert_int_equal(fd.d[0].rid, 0x208);
    assert_int_equal(fd.d[0].iommu_phandle, SMMU_B);
    assert_int_equal(fd.d[0].sid, 0x48);
    assert_string_equal(fd.d[2].name, "0000:02:04.2 (8086:100f)");
    assert_int_equal(fd.d[2].rid, 0x222);
    assert_true(host_log_contains("3 function(s) on bus 2"));

    BRIDGE_CELLS("reg", 0x50, 0x0, 0x0, 0x10000000); /* ioremap refuses it */
    assert_int_equal(pci_for_each_device_on(fdt, node(BRIDGE), keep_dev, &fd), -EINVAL);
    assert_true(host_log_contains("unusable 'reg' (ECAM)"));
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
        T(test_scan_functions),
        T(test_scan_stops),
        T(test_ecam_window),
        T(test_for_each_device_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
