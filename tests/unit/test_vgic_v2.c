/*
 * test_vgic_v2.c — host unit tests of the GICv2 distributor model of
 * arch/arm64/vgic.c (vgic_init_v2): what a guest on a GICv2 host reads and
 * writes.  GICD_TYPER/CTLR/ICPIDR2, SGI/PPI registers banked per accessing
 * vCPU, GICD_ITARGETSR routing, GICD_SGIR and its three filters,
 * GICD_SPENDSGIR/CPENDSGIR, no redistributors, no system-register SGIs, and
 * hostile accesses (every offset of the frame, every size) that must be
 * logged and survived.  The interrupt lifecycle shared with the GICv3 model
 * is test_vgic.c's.
 *
 * Offsets and fields are written out here from the GICv2 specification
 * (Arm IHI 0048B §4.3), not taken from vgic.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/vgic.h>
#include <granite/errno.h>
#include "host_stubs.h"

#define DIST 0x08000000ULL

/* GICD offsets (IHI 0048B, Table 4-1) */
#define D_CTLR 0x000
#define D_TYPER 0x004
#define D_ISENABLER 0x100
#define D_ICENABLER 0x180
#define D_ISPENDR 0x200
#define D_ICPENDR 0x280
#define D_IPRIORITYR 0x400
#define D_ITARGETSR 0x800
#define D_ICFGR 0xC00
#define D_SGIR 0xF00
#define D_CPENDSGIR 0xF10
#define D_SPENDSGIR 0xF20
#define D_ICPIDR2 0xFE8

/* fields */
#define CTLR_GRP0 (1u << 0)
#define CTLR_GRP1 (1u << 1)
#define TYPER_ITLINES(v) ((v) & 0x1f)
#define TYPER_CPUNUMBER(v) (((v) >> 5) & 0x7)
#define TYPER_SECURITYEXTN (1u << 10)
#define SGIR(filter, list, intid) (((u32)(filter) << 24) | ((u32)(list) << 16) | (u32)(intid))

static struct vgic g;
static unsigned kicks[VGIC_MAX_VCPUS];

static void rec_kick(void *ctx, unsigned vcpu)
{
    assert_ptr_equal(ctx, &g);
    assert_true(vcpu < VGIC_MAX_VCPUS);
    kicks[vcpu]++;
}

static const struct vgic_ops ops = { .kick = rec_kick, .ctx = &g };

static int setup4(void **state unused)
{
    host_stubs_reset();
    assert_int_equal(vgic_init_v2(&g, 5, 4, DIST, &ops), 0);
    memset(kicks, 0, sizeof(kicks));
    host_log_clear();
    return 0;
}

static u64 dread_as(unsigned vcpu, u32 off, unsigned size)
{
    u64 v = 0xdeadbeef;
    assert_int_equal(vgic_mmio_read(&g, vcpu, DIST + off, size, &v), VGIC_MMIO_OK);
    return v;
}

static void dwrite_as(unsigned vcpu, u32 off, unsigned size, u64 val)
{
    assert_int_equal(vgic_mmio_write(&g, vcpu, DIST + off, size, val), VGIC_MMIO_OK);
}

static u64 dread(u32 off) { return dread_as(0, off, 4); }
static void dwrite(u32 off, u64 val) { dwrite_as(0, off, 4, val); }

/* The next interrupt the LR code would get for vcpu (claimed), or -1. */
static int claim(unsigned vcpu)
{
    return vgic_claim_next(&g, vcpu, NULL, NULL, NULL, NULL, NULL);
}

/* As Linux's GICv2 driver leaves the distributor: Group 0 enabled, everything Group 0. */
static void ready_sgis_on_all(void)
{
    dwrite(D_CTLR, CTLR_GRP0);
    for (unsigned v = 0; v < 4; v++)
        dwrite_as(v, D_ISENABLER, 4, 0xffff);
}

static void test_identification(void **state unused)
{
    u64 typer = dread(D_TYPER);

    assert_int_equal(TYPER_ITLINES(typer), 192 / 32 - 1);   /* a GIC-400's 192 INTIDs */
    assert_int_equal(TYPER_CPUNUMBER(typer), 3);
    assert_false(typer & TYPER_SECURITYEXTN);
    assert_int_equal((dread(D_ICPIDR2) >> 4) & 0xf, 2);   /* ArchRev: GICv2 */
}

static void test_ctlr_two_group_enables_no_are(void **state unused)
{
    assert_int_equal(dread(D_CTLR), 0);
    dwrite(D_CTLR, CTLR_GRP0);
    assert_int_equal(dread(D_CTLR), CTLR_GRP0);
    dwrite(D_CTLR, 0xffffffff);
    assert_int_equal(dread(D_CTLR), CTLR_GRP0 | CTLR_GRP1);   /* no ARE, no DS */
    assert_int_equal(host_log_count(), 0);
}

static void test_private_registers_banked(void **state unused)
{
    dwrite_as(0, D_ISENABLER, 4, 1u << 27);
    dwrite_as(1, D_ISENABLER, 4, 1u << 3);
    assert_int_equal(dread_as(0, D_ISENABLER, 4), 1u << 27);
    assert_int_equal(dread_as(1, D_ISENABLER, 4), 1u << 3);
    assert_int_equal(dread_as(2, D_ISENABLER, 4), 0);
    dwrite_as(1, D_IPRIORITYR + 27, 1, 0x40);
    assert_int_equal(dread_as(1, D_IPRIORITYR + 27, 1), 0x40);
    assert_int_equal(dread_as(0, D_IPRIORITYR + 27, 1), 0);
    /* A PPI made pending on vCPU 1 is vCPU 1's alone. */
    dwrite(D_CTLR, CTLR_GRP0);
    dwrite_as(1, D_ISENABLER, 4, 1u << 27);
    assert_int_equal(vgic_inject(&g, 1, 27), 0);
    assert_int_equal(claim(0), -1);
    assert_int_equal(claim(1), 27);
}

static void test_itargetsr_private_read_only(void **state unused)
{
    assert_int_equal(dread_as(0, D_ITARGETSR, 4), 0x01010101);
    assert_int_equal(dread_as(2, D_ITARGETSR + 28, 4), 0x04040404);
    dwrite_as(2, D_ITARGETSR + 28, 4, 0x01010101);
    assert_int_equal(dread_as(2, D_ITARGETSR + 28, 4), 0x04040404);
    assert_true(host_log_contains("read-only"));
}

static void test_itargetsr_routes_spis(void **state unused)
{
    u32 spi = 40;

    assert_int_equal(dread_as(0, D_ITARGETSR + spi, 1), 0x01);   /* vCPU 0 at reset */
    dwrite(D_CTLR, CTLR_GRP0);
    dwrite(D_ISENABLER + 4, 1u << (spi - 32));
    dwrite_as(0, D_ITARGETSR + spi, 1, 0x04);                    /* to vCPU 2 */
    assert_int_equal(dread_as(0, D_ITARGETSR + spi, 1), 0x04);
    assert_int_equal(vgic_inject(&g, 0, spi), 0);
    assert_true(kicks[2] > 0);
    assert_int_equal(claim(0), -1);
    assert_int_equal(claim(2), (int)spi);
    /* Two targets: the lowest takes it. */
    dwrite_as(0, D_ITARGETSR + spi + 1, 1, 0x0a);
    assert_int_equal(dread_as(0, D_ITARGETSR + spi + 1, 1), 0x0a);
    assert_int_equal(vgic_inject(&g, 0, spi + 1), 0);
    dwrite(D_ISENABLER + 4, 1u << (spi + 1 - 32));
    assert_int_equal(claim(1), (int)spi + 1);
    /* The last SPI (INTID 191) has its byte; INTID 192's is past ITLinesNumber. */
    dwrite_as(0, D_ITARGETSR + 191, 1, 0x02);
    assert_int_equal(dread_as(0, D_ITARGETSR + 191, 1), 0x02);
    dwrite_as(0, D_ITARGETSR + 192, 1, 0x02);
    assert_int_equal(dread_as(0, D_ITARGETSR + 192, 1), 0);
}

static void test_itargetsr_names_no_vcpu(void **state unused)
{
    u32 spi = 50;

    dwrite(D_CTLR, CTLR_GRP0);
    dwrite(D_ISENABLER + 4, 1u << (spi - 32));
    dwrite_as(0, D_ITARGETSR + spi, 1, 0x80);   /* CPU interface 7: no such vCPU */
    assert_true(host_log_contains("no vCPU"));
    assert_int_equal(dread_as(0, D_ITARGETSR + spi, 1), 0);
    assert_int_equal(vgic_inject(&g, 0, spi), 0);
    for (unsigned v = 0; v < 4; v++)
        assert_int_equal(claim(v), -1);
}

static void test_sgir_target_list(void **state unused)
{
    ready_sgis_on_all();
    dwrite_as(1, D_SGIR, 4, SGIR(0, 0x05, 3));   /* to vCPUs 0 and 2 */
    assert_int_equal(claim(0), 3);
    assert_int_equal(claim(2), 3);
    assert_int_equal(claim(1), -1);
    assert_int_equal(claim(3), -1);
}

static void test_sgir_others_and_self(void **state unused)
{
    ready_sgis_on_all();
    dwrite_as(2, D_SGIR, 4, SGIR(1, 0, 7));      /* everyone but vCPU 2 */
    assert_int_equal(claim(0), 7);
    assert_int_equal(claim(1), 7);
    assert_int_equal(claim(3), 7);
    assert_int_equal(claim(2), -1);
    dwrite_as(2, D_SGIR, 4, SGIR(2, 0xff, 8));   /* only me, whatever the list says */
    assert_int_equal(claim(2), 8);
    assert_int_equal(claim(0), -1);
}

static void test_sgir_reserved_filter_and_missing_targets(void **state unused)
{
    ready_sgis_on_all();
    dwrite_as(0, D_SGIR, 4, SGIR(3, 0xff, 1));
    assert_true(host_log_contains("reserved"));
    for (unsigned v = 0; v < 4; v++)
        assert_int_equal(claim(v), -1);
    host_log_clear();
    dwrite_as(0, D_SGIR, 4, SGIR(0, 0x30, 1));   /* CPU interfaces 4, 5: none exists */
    assert_true(host_log_contains("no vCPU"));
    for (unsigned v = 0; v < 4; v++)
        assert_int_equal(claim(v), -1);
}

static void test_spendsgir_sources(void **state unused)
{
    ready_sgis_on_all();
    dwrite_as(1, D_SGIR, 4, SGIR(0, 0x01, 5));   /* SGI 5 from vCPU 1 to vCPU 0 */
    dwrite_as(3, D_SGIR, 4, SGIR(0, 0x01, 5));   /* and from vCPU 3 */
    assert_int_equal(dread_as(0, D_SPENDSGIR + 5, 1), 0x0a);
    assert_int_equal(dread_as(0, D_CPENDSGIR + 4, 4), 0x0a00);
    assert_int_equal(dread_as(1, D_SPENDSGIR + 4, 4), 0);  /* vCPU 1's own SGIs: none */
    /* Clearing one source leaves it pending from the other... */
    dwrite_as(0, D_CPENDSGIR + 5, 1, 0x02);
    assert_int_equal(dread_as(0, D_SPENDSGIR + 5, 1), 0x08);
    /* ...clearing the last one ends it. */
    dwrite_as(0, D_CPENDSGIR + 5, 1, 0x08);
    assert_int_equal(dread_as(0, D_SPENDSGIR + 5, 1), 0);
    assert_int_equal(claim(0), -1);
    /* SPENDSGIR sets it again, as from the sources written. */
    dwrite_as(0, D_SPENDSGIR + 4, 4, 0x00040000);   /* SGI 6 from CPU interface 2 */
    assert_int_equal(dread_as(0, D_SPENDSGIR + 6, 1), 0x04);
    assert_int_equal(claim(0), 6);
    /* Handed to an LR: no longer listed by source... */
    assert_int_equal(dread_as(0, D_SPENDSGIR + 6, 1), 0);
    /* ...and gone with it once the guest has taken and ended it: a new SGI
     * lists only its own source. */
    vgic_lr_sync(&g, 0, 6, false, false);
    dwrite_as(1, D_SGIR, 4, SGIR(0, 0x01, 6));
    assert_int_equal(dread_as(0, D_SPENDSGIR + 6, 1), 0x02);
}

/* GICD_CPENDSGIR/SPENDSGIR are write-1-to-clear/set and byte-accessible: a
 * byte write touches its own SGI only, never the three others of the word
 * (which a read-modify-write with their current sources would clear again). */
static void test_sgi_pending_byte_writes_touch_their_byte_only(void **state unused)
{
    ready_sgis_on_all();
    for (unsigned sgi = 4; sgi < 8; sgi++)
        dwrite_as(1, D_SGIR, 4, SGIR(0, 0x01, sgi)); /* from vCPU 1 to vCPU 0 */
    assert_int_equal(dread_as(0, D_SPENDSGIR + 4, 4), 0x02020202);
    dwrite_as(0, D_CPENDSGIR + 5, 1, 0x02);
    assert_int_equal(dread_as(0, D_SPENDSGIR + 4, 4), 0x02020002);
    dwrite_as(0, D_CPENDSGIR + 7, 1, 0x02);
    assert_int_equal(dread_as(0, D_SPENDSGIR + 4, 4), 0x00020002);
    /* set: only the byte written gains a source */
    dwrite_as(0, D_SPENDSGIR + 5, 1, 0x08);
    assert_int_equal(dread_as(0, D_SPENDSGIR + 4, 4), 0x00020802);
    /* clear of a whole word still clears all four */
    dwrite_as(0, D_CPENDSGIR + 4, 4, 0x0a0a0a0a);
    assert_int_equal(dread_as(0, D_SPENDSGIR + 4, 4), 0);
    assert_int_equal(claim(0), -1);
}

/* GICD_SPENDSGIR names source CPU interfaces: those of no vCPU are dropped. */
static void test_spendsgir_missing_sources_dropped(void **state unused)
{
    ready_sgis_on_all();
    dwrite_as(0, D_SPENDSGIR + 4, 4, 0xf0f0f0f0);  /* sources 4-7: a 4-vCPU domain has none */
    assert_int_equal(dread_as(0, D_SPENDSGIR + 4, 4), 0);
    assert_int_equal(claim(0), -1);
    assert_true(host_log_contains("source CPU interfaces that are no vCPU"));
    dwrite_as(0, D_SPENDSGIR + 8, 1, 0x81);        /* source 0 kept, source 7 dropped */
    assert_int_equal(dread_as(0, D_SPENDSGIR + 8, 1), 0x01);
    assert_int_equal(claim(0), 8);
}

/* GICv2: the SGI bits of GICD_ISPENDR0/ICPENDR0 are write-ignored (IHI 0048B
 * §4.3.7, §4.3.8); the PPI bits work. */
static void test_pendr0_sgi_bits_ignored(void **state unused)
{
    ready_sgis_on_all();
    dwrite_as(0, D_ISPENDR, 4, 0xffff);
    assert_int_equal(dread_as(0, D_SPENDSGIR, 4) | dread_as(0, D_SPENDSGIR + 4, 4) |
                     dread_as(0, D_SPENDSGIR + 8, 4) | dread_as(0, D_SPENDSGIR + 12, 4), 0);
    assert_int_equal(dread_as(0, D_ISPENDR, 4) & 0xffff, 0);
    assert_int_equal(claim(0), -1);
    assert_true(host_log_contains("SGI bits are write-ignored on GICv2"));
    /* an SGI pending from vCPU 1 stays pending whatever ICPENDR0 says */
    dwrite_as(1, D_SGIR, 4, SGIR(0, 0x01, 5));
    dwrite_as(0, D_ICPENDR, 4, 0xffff);
    assert_int_equal(dread_as(0, D_SPENDSGIR + 5, 1), 0x02);
    /* a PPI's bit is not an SGI's */
    dwrite_as(0, D_ISPENDR, 4, 1u << 27);
    assert_int_equal(dread_as(0, D_ISPENDR, 4) & (1u << 27), 1u << 27);
    dwrite_as(0, D_ICPENDR, 4, 1u << 27);
    assert_int_equal(dread_as(0, D_ISPENDR, 4) & (1u << 27), 0);
}

/* The banked registers of a vCPU the domain does not have: the caller's
 * mistake, refused (nothing to index, whatever the number). */
static void test_access_from_missing_vcpu(void **state unused)
{
    u64 v = 1;

    assert_int_equal(vgic_mmio_read(&g, 4, DIST + D_ISENABLER, 4, &v), VGIC_MMIO_BAD_ACCESS);
    assert_int_equal(v, 0);
    assert_int_equal(vgic_mmio_write(&g, 200, DIST + D_ISENABLER, 4, 1), VGIC_MMIO_BAD_ACCESS);
    assert_int_equal(dread_as(0, D_ISENABLER, 4), 0);
}

static void test_icfgr_sgis_read_only(void **state unused)
{
    u64 v = dread(D_ICFGR);

    assert_int_equal(v, 0xaaaaaaaa);   /* SGIs: edge */
    dwrite(D_ICFGR, 0);
    assert_int_equal(dread(D_ICFGR), 0xaaaaaaaa);
}

static void test_no_redistributors_no_sysreg_sgis(void **state unused)
{
    u64 v = 0;

    assert_false(vgic_in_rdist(&g, 0x080A0000ULL));
    assert_true(vgic_in_dist(&g, DIST + 0xffc));
    assert_false(vgic_in_dist(&g, DIST + 0x1000));   /* the frame is 4 KiB */
    assert_int_equal(vgic_mmio_read(&g, 0, DIST + 0x1000, 4, &v), VGIC_MMIO_NOT_OURS);
    assert_int_equal(vgic_mmio_read(&g, 0, 0x080A0000ULL, 4, &v), VGIC_MMIO_NOT_OURS);
    assert_int_equal(vgic_send_sgi(&g, 0, 1ULL | (1ULL << 24)), -ENODEV);
    assert_int_equal(claim(0), -1);
}

static void test_init_errors(void **state unused)
{
    struct vgic other;

    assert_int_equal(vgic_init_v2(&other, 1, 1, DIST + 0x800, NULL), -EINVAL);
    assert_int_equal(vgic_init_v2(&other, 1, 0, DIST, NULL), -EINVAL);
    assert_int_equal(vgic_init_v2(&other, 1, VGIC_MAX_VCPUS + 1, DIST, NULL), -EINVAL);
    assert_int_equal(vgic_init_v2(&other, 1, 1, DIST + 0x1000, NULL), 0);   /* 4 KiB aligned is enough */
}

/* A hostile guest: every offset, every size, all ones then a pattern, from
 * every vCPU and one that does not exist.  Handled or refused, logged, never
 * a crash (the host build runs with sanitizers), and the model still works. */
static void test_hostile_every_offset(void **state unused)
{
    static const unsigned sizes[] = { 1, 2, 3, 4, 8, 16 };
    u64 v;

    host_log_quiet(true);
    for (unsigned vcpu = 0; vcpu <= 4; vcpu++)
        for (u32 off = 0; off < 0x1000; off++)
            for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
                enum vgic_mmio_result r;
                r = vgic_mmio_write(&g, vcpu, DIST + off, sizes[s], ~0ULL);
                assert_true(r == VGIC_MMIO_OK || r == VGIC_MMIO_BAD_ACCESS);
                r = vgic_mmio_read(&g, vcpu, DIST + off, sizes[s], &v);
                assert_true(r == VGIC_MMIO_OK || r == VGIC_MMIO_BAD_ACCESS);
                vgic_mmio_write(&g, vcpu, DIST + off, sizes[s], 0x5a5a5a5a5a5a5a5aULL);
            }
    host_log_quiet(false);
    assert_true(g.stats.bad_access > 0);
    assert_true(g.stats.unknown > 0);
    /* Still a working distributor. */
    setup4(NULL);
    ready_sgis_on_all();
    dwrite_as(0, D_SGIR, 4, SGIR(0, 0x02, 9));
    assert_int_equal(claim(1), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_identification, setup4),
        cmocka_unit_test_setup(test_ctlr_two_group_enables_no_are, setup4),
        cmocka_unit_test_setup(test_private_registers_banked, setup4),
        cmocka_unit_test_setup(test_itargetsr_private_read_only, setup4),
        cmocka_unit_test_setup(test_itargetsr_routes_spis, setup4),
        cmocka_unit_test_setup(test_itargetsr_names_no_vcpu, setup4),
        cmocka_unit_test_setup(test_sgir_target_list, setup4),
        cmocka_unit_test_setup(test_sgir_others_and_self, setup4),
        cmocka_unit_test_setup(test_sgir_reserved_filter_and_missing_targets, setup4),
        cmocka_unit_test_setup(test_spendsgir_sources, setup4),
        cmocka_unit_test_setup(test_sgi_pending_byte_writes_touch_their_byte_only, setup4),
        cmocka_unit_test_setup(test_spendsgir_missing_sources_dropped, setup4),
        cmocka_unit_test_setup(test_pendr0_sgi_bits_ignored, setup4),
        cmocka_unit_test_setup(test_icfgr_sgis_read_only, setup4),
        cmocka_unit_test_setup(test_access_from_missing_vcpu, setup4),
        cmocka_unit_test_setup(test_no_redistributors_no_sysreg_sgis, setup4),
        cmocka_unit_test_setup(test_init_errors, setup4),
        cmocka_unit_test_setup(test_hostile_every_offset, setup4),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
