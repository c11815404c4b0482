/*
 * test_vgic.c — host unit tests of the emulated GICv3 register model
 * (arch/arm64/vgic.c): the distributor and redistributor registers as a guest
 * reads and writes them, the RAZ/WI and bad-access handling (each must leave a
 * log line), SGI generation, and the interrupt lifecycle the list-register
 * code drives through vgic_claim_next / vgic_lr_sync / vgic_lr_refresh.
 *
 * Register offsets and field positions are written out here from the GICv3
 * specification (Arm IHI 0069), not taken from vgic.c, so a wrong constant
 * there shows up as a failure here.  printk and the locks come from
 * host_stubs.c.
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
#define RDIST 0x080A0000ULL
#define SGI_FRAME 0x10000

/* GICD offsets (IHI 0069, distributor register map) */
#define D_CTLR 0x0000
#define D_TYPER 0x0004
#define D_IIDR 0x0008
#define D_TYPER2 0x000C
#define D_STATUSR 0x0010
#define D_IGROUPR 0x0080
#define D_ISENABLER 0x0100
#define D_ICENABLER 0x0180
#define D_ISPENDR 0x0200
#define D_ICPENDR 0x0280
#define D_ISACTIVER 0x0300
#define D_ICACTIVER 0x0380
#define D_IPRIORITYR 0x0400
#define D_ITARGETSR 0x0800
#define D_ICFGR 0x0C00
#define D_IGRPMODR 0x0D00
#define D_NSACR 0x0E00
#define D_SGIR 0x0F00
#define D_IROUTER 0x6000
#define D_PIDR2 0xFFE8

/* GICR RD_base and SGI_base offsets */
#define R_CTLR 0x0000
#define R_IIDR 0x0004
#define R_TYPER 0x0008
#define R_WAKER 0x0014
#define R_PROPBASER 0x0070
#define R_PIDR2 0xFFE8
#define S_IGROUPR0 0x0080
#define S_ISENABLER0 0x0100
#define S_ICENABLER0 0x0180
#define S_ISPENDR0 0x0200
#define S_ICPENDR0 0x0280
#define S_ISACTIVER0 0x0300
#define S_ICACTIVER0 0x0380
#define S_IPRIORITYR 0x0400
#define S_ICFGR0 0x0C00
#define S_ICFGR1 0x0C04
#define S_IGRPMODR0 0x0D00

/* fields */
#define CTLR_GRP0 (1u << 0)
#define CTLR_GRP1 (1u << 1)
#define CTLR_ARE (1u << 4)
#define CTLR_DS (1u << 6)
#define WAKER_PS (1u << 1)
#define WAKER_CA (1u << 2)
#define TYPER_LAST (1ULL << 4)

/* ICC_SGI1R_EL1 fields */
#define SGI1R(intid, list) (((u64)(intid) << 24) | (u64)(list))
#define SGI1R_AFF1(a) ((u64)(a) << 16)
#define SGI1R_IRM (1ULL << 40)
#define SGI1R_RS(r) ((u64)(r) << 44)

/* --- fixture ------------------------------------------------------------------ */

static struct vgic g;
static unsigned kicks[VGIC_MAX_VCPUS];
static unsigned nr_kicks;
static struct { u32 hw_intid; bool enable; } hw_calls[16];
static unsigned nr_hw_calls;

static void rec_kick(void *ctx, unsigned vcpu)
{
    assert_ptr_equal(ctx, &g);
    assert_true(vcpu < VGIC_MAX_VCPUS);
    kicks[vcpu]++;
    nr_kicks++;
}

static void rec_hw_enable(void *ctx, u32 hw_intid, bool enable)
{
    assert_ptr_equal(ctx, &g);
    assert_true(nr_hw_calls < 16);
    hw_calls[nr_hw_calls].hw_intid = hw_intid;
    hw_calls[nr_hw_calls].enable = enable;
    nr_hw_calls++;
}

static const struct vgic_ops ops = { .kick = rec_kick, .hw_enable = rec_hw_enable, .ctx = &g };

static void clear_records(void)
{
    memset(kicks, 0, sizeof(kicks));
    nr_kicks = 0;
    nr_hw_calls = 0;
    host_log_clear();
}

static void setup_n(unsigned nr_vcpus)
{
    host_stubs_reset();
    assert_int_equal(vgic_init(&g, 3, nr_vcpus, DIST, RDIST, &ops), 0);
    clear_records();
}

static int setup2(void **state unused)
{
    setup_n(2);
    return 0;
}

static int setup4(void **state unused)
{
    setup_n(4);
    return 0;
}

/* Accessors: assert the access was handled normally and return/perform it. */
static u64 dread(u32 off, unsigned size)
{
    u64 v = 0xdeadbeef;
    assert_int_equal(vgic_mmio_read(&g, 0, DIST + off, size, &v), VGIC_MMIO_OK);
    return v;
}

static void dwrite(u32 off, unsigned size, u64 val)
{
    assert_int_equal(vgic_mmio_write(&g, 0, DIST + off, size, val), VGIC_MMIO_OK);
}

static u64 rread(unsigned rd, u32 off, unsigned size)
{
    u64 v = 0xdeadbeef;
    assert_int_equal(vgic_mmio_read(&g, 0, RDIST + rd * VGIC_RDIST_STRIDE + off, size, &v),
                     VGIC_MMIO_OK);
    return v;
}

static void rwrite(unsigned rd, u32 off, unsigned size, u64 val)
{
    assert_int_equal(vgic_mmio_write(&g, 0, RDIST + rd * VGIC_RDIST_STRIDE + off, size, val),
                     VGIC_MMIO_OK);
}

static u64 sread(unsigned rd, u32 off) { return rread(rd, SGI_FRAME + off, 4); }
static void swrite(unsigned rd, u32 off, u64 val) { rwrite(rd, SGI_FRAME + off, 4, val); }

/* Bit of `intid` in its 1-bit-per-INTID register, and that register's offset. */
static u32 bitreg(u32 base, u32 intid) { return base + 4 * (intid / 32); }
static u64 bit(u32 intid) { return 1ULL << (intid % 32); }

static void enable_spi(u32 intid)
{
    dwrite(bitreg(D_ISENABLER, intid), 4, bit(intid));
}

static void set_group1(u32 intid)
{
    u64 v = dread(bitreg(D_IGROUPR, intid), 4);
    dwrite(bitreg(D_IGROUPR, intid), 4, v | bit(intid));
}

static void set_prio(u32 intid, u8 prio)
{
    dwrite(D_IPRIORITYR + intid, 1, prio);
}

/* Group 1 enabled at the distributor, SPI configured as a Linux guest would. */
static void ready_spi(u32 intid, u8 prio, bool edge)
{
    dwrite(D_CTLR, 4, CTLR_ARE | CTLR_GRP1);
    set_group1(intid);
    set_prio(intid, prio);
    if (edge) {
        u32 off = D_ICFGR + 4 * (intid / 16);
        dwrite(off, 4, dread(off, 4) | (2ULL << (2 * (intid % 16))));
    }
    enable_spi(intid);
}

static bool spi_pending(u32 intid) { return dread(bitreg(D_ISPENDR, intid), 4) & bit(intid); }
static bool spi_active(u32 intid) { return dread(bitreg(D_ISACTIVER, intid), 4) & bit(intid); }

/*
 * Xen's event-channel upcall on Arm (GUEST_EVTCHN_PPI): a level-sensitive PPI
 * that granite latches with vgic_inject() for every event it signals.  The
 * number is Xen's convention, not the GIC's; any PPI would do for the model.
 */
#define EVTCHN_PPI 31
#define ICFGR_EDGE 2u   /* Int_config[1] of a 2-bit GICR_ICFGR1 field: edge-triggered */

/* A PPI of `vcpu` set up as a Linux guest would: Group 1, priority, trigger, enabled. */
static void ready_ppi(unsigned vcpu, u32 intid, u8 prio, bool edge)
{
    dwrite(D_CTLR, 4, CTLR_ARE | CTLR_GRP1);
    swrite(vcpu, S_IGROUPR0, sread(vcpu, S_IGROUPR0) | (1u << intid));
    rwrite(vcpu, SGI_FRAME + S_IPRIORITYR + intid, 1, prio);
    if (edge) /* GICR_ICFGR1 holds PPIs 16..31, two bits each */
        swrite(vcpu, S_ICFGR1, sread(vcpu, S_ICFGR1) | (ICFGR_EDGE << (2 * (intid - 16))));
    swrite(vcpu, S_ISENABLER0, 1u << intid);
    clear_records();
}

static bool ppi_pending(unsigned vcpu, u32 intid)
{
    return sread(vcpu, S_ISPENDR0) & (1u << intid);
}

static bool ppi_active(unsigned vcpu, u32 intid)
{
    return sread(vcpu, S_ISACTIVER0) & (1u << intid);
}

static struct vgic_irq *ppi(unsigned vcpu, u32 intid) { return &g.rdist[vcpu].priv[intid]; }

/* The guest takes `intid` from its LR and ends it, one exit apart; nothing is left after. */
static void ack_and_deactivate(unsigned vcpu, u32 intid)
{
    vgic_lr_sync(&g, vcpu, intid, false, true);
    vgic_lr_sync(&g, vcpu, intid, false, false);
}

/* --- identification ---------------------------------------------------------- */

static void test_id_registers(void **state unused)
{
    u64 typer = dread(D_TYPER, 4);

    assert_int_equal(typer & 0x1f, 192 / 32 - 1);         /* ITLinesNumber: a GIC-400's 192 */
    assert_int_equal((typer >> 5) & 0x7, 2 - 1);          /* CPUNumber */
    assert_int_equal((typer >> 19) & 0x1f, 9);            /* IDbits: 10-bit INTIDs */
    assert_int_equal((typer >> 17) & 1, 0);               /* LPIS */
    assert_int_equal((typer >> 16) & 1, 0);               /* MBIS */
    assert_int_equal((typer >> 8) & 1, 0);                /* ESPI */
    assert_int_equal(dread(D_IIDR, 4), 0x47000000);       /* ProductID 'G', Implementer 0 */
    assert_int_equal(dread(D_TYPER2, 4), 0);
    assert_int_equal((dread(D_PIDR2, 4) >> 4) & 0xf, 3);  /* ArchRev: GICv3 */
    for (unsigned rd = 0; rd < 2; rd++) {
        assert_int_equal((rread(rd, R_PIDR2, 4) >> 4) & 0xf, 3);
        assert_int_equal(rread(rd, R_IIDR, 4), 0x47000000);
    }
    assert_int_equal(host_log_count(), 0);                /* implemented: no log */
}

static void test_ctlr_enables_and_are_rao_wi(void **state unused)
{
    assert_int_equal(dread(D_CTLR, 4), CTLR_ARE | CTLR_DS);
    dwrite(D_CTLR, 4, CTLR_ARE | CTLR_GRP1);
    assert_int_equal(dread(D_CTLR, 4), CTLR_ARE | CTLR_DS | CTLR_GRP1);
    assert_int_equal(host_log_count(), 0);

    /* A write clearing ARE: enables taken, ARE stays 1, a log line says why. */
    dwrite(D_CTLR, 4, CTLR_GRP0 | CTLR_GRP1);
    assert_int_equal(dread(D_CTLR, 4), CTLR_ARE | CTLR_DS | CTLR_GRP0 | CTLR_GRP1);
    assert_true(host_log_contains("vgic: d3:"));
    assert_true(host_log_contains("ARE is RAO/WI"));

    dwrite(D_CTLR, 4, CTLR_ARE);
    assert_int_equal(dread(D_CTLR, 4), CTLR_ARE | CTLR_DS);
}

/* --- per-INTID bit registers ------------------------------------------------- */

/* Write-1-to-set and write-1-to-clear pairs, read back through both halves. */
static void check_set_clear_pair(u32 set, u32 clear, unsigned n)
{
    u32 s = set + 4 * n, c = clear + 4 * n;

    assert_int_equal(dread(s, 4), 0);
    dwrite(s, 4, 0x5);
    assert_int_equal(dread(s, 4), 0x5);
    assert_int_equal(dread(c, 4), 0x5);
    dwrite(s, 4, 0x2);                       /* zeros leave the others alone */
    assert_int_equal(dread(s, 4), 0x7);
    dwrite(c, 4, 0x1);
    assert_int_equal(dread(s, 4), 0x6);
    dwrite(c, 4, 0x0);
    assert_int_equal(dread(c, 4), 0x6);
    dwrite(c, 4, 0xffffffff);
    assert_int_equal(dread(s, 4), 0);
}

static void test_enable_set_clear(void **state unused)
{
    check_set_clear_pair(D_ISENABLER, D_ICENABLER, 1);
    check_set_clear_pair(D_ISENABLER, D_ICENABLER, 2);
    assert_int_equal(host_log_count(), 0);
}

static void test_pending_set_clear(void **state unused)
{
    check_set_clear_pair(D_ISPENDR, D_ICPENDR, 1);
    check_set_clear_pair(D_ISPENDR, D_ICPENDR, 2);
}

static void test_active_set_clear(void **state unused)
{
    check_set_clear_pair(D_ISACTIVER, D_ICACTIVER, 1);
}

static void test_igroupr_read_write(void **state unused)
{
    dwrite(D_IGROUPR + 4, 4, 0xffffffff);
    assert_int_equal(dread(D_IGROUPR + 4, 4), 0xffffffff);
    dwrite(D_IGROUPR + 4, 4, 0x0000ff00);
    assert_int_equal(dread(D_IGROUPR + 4, 4), 0x0000ff00);
    swrite(1, S_IGROUPR0, 0xffffffff);
    assert_int_equal(sread(1, S_IGROUPR0), 0xffffffff);
    assert_int_equal(sread(0, S_IGROUPR0), 0);          /* banked per vCPU */
}

/* GICR SGI_base: the same semantics, banked per vCPU; GICD copies of 0-31 RAZ/WI. */
static void test_private_registers_banked(void **state unused)
{
    swrite(0, S_ISENABLER0, 0x00010001);
    swrite(1, S_ISENABLER0, 0x80000000);
    assert_int_equal(sread(0, S_ISENABLER0), 0x00010001);
    assert_int_equal(sread(1, S_ICENABLER0), 0x80000000);
    swrite(0, S_ICENABLER0, 0x1);
    assert_int_equal(sread(0, S_ISENABLER0), 0x00010000);

    swrite(1, S_ISPENDR0, 0x8);
    assert_int_equal(sread(1, S_ICPENDR0), 0x8);
    swrite(1, S_ICPENDR0, 0x8);
    assert_int_equal(sread(1, S_ISPENDR0), 0);

    swrite(0, S_ISACTIVER0, 0x100);
    assert_int_equal(sread(0, S_ICACTIVER0), 0x100);
    swrite(0, S_ICACTIVER0, 0x100);
    assert_int_equal(sread(0, S_ISACTIVER0), 0);
    assert_int_equal(host_log_count(), 0);

    /* GICD_ISENABLER0 (INTIDs 0-31) with ARE = 1: RAZ/WI, logged. */
    dwrite(D_ISENABLER, 4, 0xffffffff);
    assert_int_equal(dread(D_ISENABLER, 4), 0);
    assert_true(host_log_contains("redistributor"));
    assert_int_equal(sread(0, S_ISENABLER0), 0x00010000);
    assert_int_equal(g.stats.raz_wi, 2);
}

/* --- priority ---------------------------------------------------------------- */

static void test_priority_byte_and_word(void **state unused)
{
    dwrite(D_IPRIORITYR + 32, 4, 0x44332211);            /* INTIDs 32..35 */
    assert_int_equal(dread(D_IPRIORITYR + 32, 1), 0x11);
    assert_int_equal(dread(D_IPRIORITYR + 34, 1), 0x33);
    assert_int_equal(dread(D_IPRIORITYR + 35, 1), 0x44);
    dwrite(D_IPRIORITYR + 34, 1, 0xa0);
    assert_int_equal(dread(D_IPRIORITYR + 32, 4), 0x44a02211);
    assert_int_equal(dread(D_IPRIORITYR + 36, 4), 0);

    /* redistributor: IPRIORITYR0-7, per vCPU */
    rwrite(1, SGI_FRAME + S_IPRIORITYR + 28, 4, 0xf0e0d0c0);   /* INTIDs 28..31 */
    assert_int_equal(rread(1, SGI_FRAME + S_IPRIORITYR + 31, 1), 0xf0);
    rwrite(1, SGI_FRAME + S_IPRIORITYR + 3, 1, 0x80);
    assert_int_equal(rread(1, SGI_FRAME + S_IPRIORITYR, 4), 0x80000000);
    assert_int_equal(rread(0, SGI_FRAME + S_IPRIORITYR + 28, 4), 0);
    assert_int_equal(host_log_count(), 0);

    /* GICD_IPRIORITYR of INTIDs 0-31: RAZ/WI (redistributor). */
    dwrite(D_IPRIORITYR + 4, 4, 0xffffffff);
    assert_int_equal(dread(D_IPRIORITYR + 4, 4), 0);
    assert_true(host_log_contains("GICD_IPRIORITYR<1>"));
}

/* --- trigger configuration -------------------------------------------------- */

static void test_icfgr_edge_level(void **state unused)
{
    u32 icfgr2 = D_ICFGR + 8;   /* INTIDs 32..47 */

    assert_int_equal(dread(icfgr2, 4), 0);                   /* SPIs reset level */
    dwrite(icfgr2, 4, 0xffffffff);                            /* bit 0 of each pair is RES0 */
    assert_int_equal(dread(icfgr2, 4), 0xaaaaaaaa);
    dwrite(icfgr2, 4, 0x00000008);                            /* INTID 33 edge */
    assert_int_equal(dread(icfgr2, 4), 0x00000008);

    /* SGIs: always edge, GICR_ICFGR0 read-only (a changing write is logged). */
    assert_int_equal(sread(0, S_ICFGR0), 0xaaaaaaaa);
    swrite(0, S_ICFGR0, 0);
    assert_int_equal(sread(0, S_ICFGR0), 0xaaaaaaaa);
    assert_true(host_log_contains("read-only"));

    /* PPIs: GICR_ICFGR1 writable, per vCPU */
    swrite(1, S_ICFGR1, 0x20000000);                          /* INTID 30 edge */
    assert_int_equal(sread(1, S_ICFGR1), 0x20000000);
    assert_int_equal(sread(0, S_ICFGR1), 0);

    /* GICD_ICFGR0/1 (INTIDs 0-31): RAZ/WI */
    host_log_clear();
    assert_int_equal(dread(D_ICFGR, 4), 0);
    assert_int_equal(host_log_count(), 1);
}

/* --- routing ------------------------------------------------------------------ */

static void test_irouter_64_and_32(void **state unused)
{
    u32 r40 = D_IROUTER + 8 * 40;

    assert_int_equal(dread(r40, 8), 0);
    /* Aff3 = 0xab, IRM, Aff2 = 1, Aff1 = 2, Aff0 = 3; RES0 bits 63:40 and 30:24 dropped */
    dwrite(r40, 8, 0xff0000abc1010203ULL);
    assert_int_equal(dread(r40, 8), 0x000000ab80010203ULL);
    assert_int_equal(dread(r40, 4), 0x80010203);
    assert_int_equal(dread(r40 + 4, 4), 0xab);
    dwrite(r40 + 4, 4, 0);                                    /* upper half alone */
    assert_int_equal(dread(r40, 8), 0x0000000080010203ULL);
    dwrite(r40, 4, 0x00000001);                               /* lower half alone */
    assert_int_equal(dread(r40, 8), 1);
    assert_int_equal(g.spi[40 - 32].target, 1);
    assert_int_equal(host_log_count(), 0);

    /* Naming no vCPU: stored, logged, not delivered. */
    dwrite(r40, 8, 7);
    assert_int_equal(dread(r40, 8), 7);
    assert_true(host_log_contains("names no vCPU"));
    ready_spi(40, 0x80, true);
    assert_int_equal(vgic_inject(&g, 0, 40), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(vgic_claim_next(&g, 1, NULL, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(nr_kicks, 0);

    /* Re-routed to vCPU 1: kicked there, claimed there. */
    dwrite(r40, 8, 1);
    assert_int_equal(kicks[1], 1);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(vgic_claim_next(&g, 1, NULL, NULL, NULL, NULL, NULL), 40);

    /* IROUTER<0-31> reserved; IROUTER of INTIDs past ITLinesNumber: RAZ/WI. */
    host_log_clear();
    dwrite(D_IROUTER + 8 * 5, 8, 1);
    assert_int_equal(dread(D_IROUTER + 8 * 5, 8), 0);
    dwrite(D_IROUTER + 8 * 192, 8, 1);
    assert_int_equal(host_log_count(), 3);
    /* The last SPI's IROUTER is a register like any other. */
    dwrite(D_IROUTER + 8 * 191, 8, 1);
    assert_int_equal(dread(D_IROUTER + 8 * 191, 8), 1);
}

/* --- redistributor frames ------------------------------------------------------ */

static void test_redistributor_typer_and_last(void **state unused)
{
    for (unsigned rd = 0; rd < 4; rd++) {
        u64 typer = rread(rd, R_TYPER, 8);

        assert_int_equal(typer >> 32, rd);                     /* Affinity_Value: 0.0.0.rd */
        assert_int_equal((typer >> 8) & 0xffff, rd);            /* Processor_Number */
        assert_int_equal(!!(typer & TYPER_LAST), rd == 3);
        assert_int_equal(typer & 1, 0);                         /* PLPIS */
        assert_int_equal(rread(rd, R_TYPER + 4, 4), rd);        /* upper half */
        assert_int_equal(rread(rd, R_TYPER, 4), typer & 0xffffffff);
    }
    /* Past the last redistributor: not ours. */
    u64 v;
    assert_int_equal(vgic_mmio_read(&g, 0, RDIST + 4 * VGIC_RDIST_STRIDE, 4, &v),
                     VGIC_MMIO_NOT_OURS);
    assert_int_equal(vgic_mmio_read(&g, 0, DIST - 4, 4, &v), VGIC_MMIO_NOT_OURS);
    assert_int_equal(vgic_mmio_read(&g, 0, DIST + VGIC_DIST_SIZE, 4, &v), VGIC_MMIO_NOT_OURS);
    assert_int_equal(host_log_count(), 0);
}

static void test_redistributor_waker(void **state unused)
{
    assert_int_equal(rread(2, R_WAKER, 4), WAKER_PS | WAKER_CA);   /* asleep at reset */
    rwrite(2, R_WAKER, 4, 0);
    assert_int_equal(rread(2, R_WAKER, 4), 0);
    assert_int_equal(rread(1, R_WAKER, 4), WAKER_PS | WAKER_CA);   /* per redistributor */
    rwrite(2, R_WAKER, 4, WAKER_PS);
    assert_int_equal(rread(2, R_WAKER, 4), WAKER_PS | WAKER_CA);
    rwrite(2, R_WAKER, 4, WAKER_CA);                                /* ChildrenAsleep is RO */
    assert_int_equal(rread(2, R_WAKER, 4), 0);
    assert_int_equal(host_log_count(), 0);
}

static void test_redistributor_raz_wi(void **state unused)
{
    rwrite(0, R_PROPBASER, 8, 0x12345000);
    assert_int_equal(rread(0, R_PROPBASER, 8), 0);
    assert_true(host_log_contains("GICR_PROPBASER"));
    assert_true(host_log_contains("no LPIs"));
    host_log_clear();
    assert_int_equal(rread(1, R_CTLR, 4), 0);
    assert_int_equal(rread(1, SGI_FRAME + S_IGRPMODR0, 4), 0);
    assert_int_equal(rread(1, 0x0200, 4), 0);                       /* nothing there */
    assert_int_equal(host_log_count(), 3);
    assert_true(host_log_contains("vcpu1"));
    assert_int_equal(g.stats.unknown, 1);
}

/* --- what the model refuses ----------------------------------------------------- */

static void check_bad(enum vgic_mmio_result r, const char *why)
{
    assert_int_equal(r, VGIC_MMIO_BAD_ACCESS);
    assert_int_equal(host_log_count(), 1);
    assert_true(host_log_contains("not allowed") || host_log_contains("not 1, 2, 4 or 8"));
    (void)why;
    host_log_clear();
}

static void test_bad_sizes_and_alignment(void **state unused)
{
    u64 v = 0x1234;

    check_bad(vgic_mmio_read(&g, 1, DIST + D_CTLR, 8, &v), "64-bit on a 32-bit register");
    assert_int_equal(v, 0);
    check_bad(vgic_mmio_write(&g, 1, DIST + D_CTLR, 2, 0x3), "halfword");
    assert_int_equal(dread(D_CTLR, 4), CTLR_ARE | CTLR_DS);   /* the write was ignored */
    check_bad(vgic_mmio_write(&g, 1, DIST + D_ISENABLER + 4, 1, 0xff), "byte to ISENABLER");
    assert_int_equal(dread(D_ISENABLER + 4, 4), 0);
    check_bad(vgic_mmio_read(&g, 1, DIST + D_ISENABLER + 6, 4, &v), "misaligned word");
    check_bad(vgic_mmio_read(&g, 1, DIST + D_IPRIORITYR + 32, 2, &v), "halfword priority");
    check_bad(vgic_mmio_read(&g, 1, DIST + D_IROUTER + 8 * 40 + 4, 8, &v), "misaligned dword");
    check_bad(vgic_mmio_read(&g, 1, DIST + D_IROUTER + 8 * 40, 1, &v), "byte IROUTER");
    check_bad(vgic_mmio_read(&g, 1, RDIST + R_WAKER, 8, &v), "64-bit WAKER");
    check_bad(vgic_mmio_read(&g, 1, DIST + D_CTLR, 3, &v), "3 bytes");
    check_bad(vgic_mmio_read(&g, 1, DIST + 0x5000, 16, &v), "16 bytes, unknown offset");
    assert_int_equal(g.stats.bad_access, 10);
}

static void test_unknown_and_raz_wi_logged(void **state unused)
{
    u64 v = 1;

    /* An offset with no register: RAZ/WI, logged, counted. */
    assert_int_equal(vgic_mmio_read(&g, 1, DIST + 0x5000, 4, &v), VGIC_MMIO_OK);
    assert_int_equal(v, 0);
    assert_true(host_log_contains("vgic: d3: vcpu1:"));
    assert_true(host_log_contains("GICD+0x5000"));
    assert_int_equal(g.stats.unknown, 1);
    dwrite(0x0040, 4, 0x20);                               /* GICD_SETSPI_NSR: no MBIS */
    assert_int_equal(g.stats.unknown, 2);

    /* Architected but RAZ/WI in this model. */
    host_log_clear();
    dwrite(D_ITARGETSR + 32, 1, 0x1);
    assert_int_equal(dread(D_ITARGETSR + 32, 4), 0);
    dwrite(D_SGIR, 4, 0x00020001);
    dread(D_STATUSR, 4);
    dwrite(D_IGRPMODR + 4, 4, 0xffffffff);
    assert_int_equal(dread(D_IGRPMODR + 4, 4), 0);
    dread(D_NSACR + 8, 4);
    assert_int_equal(host_log_count(), 7);
    assert_true(host_log_contains("GICD_ITARGETSR<8>"));
    assert_true(host_log_contains("GICD_SGIR"));
    assert_int_equal(g.stats.raz_wi, 7);

    /* Read-only register: write ignored and logged. */
    host_log_clear();
    dwrite(D_TYPER, 4, 0);
    assert_int_equal(dread(D_TYPER, 4) & 0x1f, 5);
    assert_true(host_log_contains("read-only"));

    /* INTIDs past ITLinesNumber (192..): RAZ/WI; the last word below them is not. */
    host_log_clear();
    dwrite(D_ISENABLER + 4 * 6, 4, 0xffffffff);
    assert_int_equal(dread(D_ISENABLER + 4 * 6, 4), 0);
    assert_true(host_log_contains("ITLinesNumber"));
    dwrite(D_ISENABLER + 4 * 5, 4, 1u << 31);                    /* INTID 191 */
    assert_int_equal(dread(D_ISENABLER + 4 * 5, 4), 1u << 31);
}

/* --- delivery: claim_next ---------------------------------------------------- */

static void test_claim_priority_order(void **state unused)
{
    u8 prio = 0;
    bool grp1 = false, hw = true;
    u32 hwid = 1;

    ready_spi(33, 0x80, true);
    ready_spi(41, 0x40, true);
    ready_spi(40, 0x40, true);
    swrite(0, S_IGROUPR0, 1u << 27);
    rwrite(0, SGI_FRAME + S_IPRIORITYR + 27, 1, 0xa0);
    swrite(0, S_ISENABLER0, 1u << 27);
    rwrite(0, SGI_FRAME + S_IPRIORITYR + 26, 1, 0x40);         /* PPI 26: 0x40 but disabled */

    assert_int_equal(vgic_inject(&g, 0, 33), 0);
    assert_int_equal(vgic_inject(&g, 0, 41), 0);
    assert_int_equal(vgic_inject(&g, 0, 40), 0);
    assert_int_equal(vgic_inject(&g, 0, 27), 0);
    assert_int_equal(vgic_inject(&g, 0, 26), 0);

    assert_int_equal(vgic_claim_next(&g, 0, &prio, &grp1, &hw, &hwid, NULL), 40);  /* tie: lower INTID */
    assert_int_equal(prio, 0x40);
    assert_true(grp1);
    assert_false(hw);
    assert_int_equal(vgic_claim_next(&g, 0, &prio, NULL, NULL, NULL, NULL), 41);
    assert_int_equal(vgic_claim_next(&g, 0, &prio, NULL, NULL, NULL, NULL), 33);
    assert_int_equal(prio, 0x80);
    assert_int_equal(vgic_claim_next(&g, 0, &prio, NULL, NULL, NULL, NULL), 27);
    assert_int_equal(prio, 0xa0);
    assert_int_equal(vgic_claim_next(&g, 0, &prio, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(vgic_claim_next(&g, 1, &prio, NULL, NULL, NULL, NULL), -1);
}

static void test_claim_group_and_enable_gating(void **state unused)
{
    bool grp1 = true;

    /* Pending, Group 1, but neither enabled nor group-enabled. */
    set_group1(50);
    assert_int_equal(vgic_inject(&g, 0, 50), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    enable_spi(50);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);   /* EnableGrp1 = 0 */
    dwrite(D_CTLR, 4, CTLR_ARE | CTLR_GRP0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);   /* wrong group on */

    /* A Group 0 interrupt goes with EnableGrp0. */
    enable_spi(51);
    assert_int_equal(vgic_inject(&g, 0, 51), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, &grp1, NULL, NULL, NULL), 51);
    assert_false(grp1);

    dwrite(D_CTLR, 4, CTLR_ARE | CTLR_GRP1);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, &grp1, NULL, NULL, NULL), 50);
    assert_true(grp1);

    /* Disabled again after being pended: no longer claimable. */
    assert_int_equal(vgic_inject(&g, 0, 52), 0);
    set_group1(52);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    enable_spi(52);
    dwrite(D_ICENABLER + 4, 4, bit(52));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* An active interrupt is not forwarded again until deactivated. */
    enable_spi(52);
    dwrite(D_ISACTIVER + 4, 4, bit(52));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    dwrite(D_ICACTIVER + 4, 4, bit(52));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 52);
}

/* --- delivery: lifecycle --------------------------------------------------------- */

static void test_edge_lifecycle(void **state unused)
{
    u8 prio;
    bool pending, active;

    ready_spi(35, 0x50, true);
    assert_int_equal(vgic_inject(&g, 0, 35), 0);
    assert_true(spi_pending(35));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 35);
    assert_true(spi_pending(35));                      /* pending in the LR */

    /* The guest acknowledged: LR active. */
    vgic_lr_sync(&g, 0, 35, false, true);
    assert_false(spi_pending(35));
    assert_true(spi_active(35));
    assert_true(vgic_lr_refresh(&g, 0, 35, &prio, &pending, &active, NULL));
    assert_false(pending);
    assert_true(active);
    assert_int_equal(prio, 0x50);

    /* A second edge while the guest handles the first: pending+active in the LR. */
    clear_records();
    assert_int_equal(vgic_inject(&g, 0, 35), 0);
    assert_int_equal(kicks[0], 1);                     /* the LR holder must refresh */
    assert_true(spi_pending(35));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);   /* already in an LR */
    assert_true(vgic_lr_refresh(&g, 0, 35, &prio, &pending, &active, NULL));
    assert_true(pending);
    assert_true(active);

    /* The guest deactivates the first; the LR is pending again; then acks and deactivates. */
    vgic_lr_sync(&g, 0, 35, true, false);
    assert_true(spi_pending(35));
    assert_false(spi_active(35));
    vgic_lr_sync(&g, 0, 35, false, false);
    assert_false(spi_pending(35));
    assert_false(g.spi[35 - 32].in_lr);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_false(vgic_has_pending(&g, 0));
    assert_int_equal(g.stats.bad_lr_sync, 0);
}

static void test_level_lifecycle(void **state unused)
{
    bool pending, active;

    ready_spi(60, 0x20, false);
    assert_int_equal(vgic_set_level(&g, 0, 60, true), 0);
    assert_true(spi_pending(60));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 60);

    /* Acknowledged; the line is still high: still pending (level follows the line). */
    vgic_lr_sync(&g, 0, 60, false, true);
    assert_true(spi_pending(60));
    assert_true(spi_active(60));
    /* ...but never pending+active in the LR: resampled after deactivation. */
    assert_true(vgic_lr_refresh(&g, 0, 60, NULL, &pending, &active, NULL));
    assert_false(pending);
    assert_true(active);

    /* The guest's handler quietens the device, then deactivates. */
    assert_int_equal(vgic_set_level(&g, 0, 60, false), 0);
    assert_false(spi_pending(60));
    vgic_lr_sync(&g, 0, 60, false, false);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* Line high across the deactivation: delivered again. */
    assert_int_equal(vgic_set_level(&g, 0, 60, true), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 60);
    vgic_lr_sync(&g, 0, 60, false, true);
    vgic_lr_sync(&g, 0, 60, false, false);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 60);

    /* Line dropped while still pending in the LR: the refresh removes it. */
    assert_int_equal(vgic_set_level(&g, 0, 60, false), 0);
    assert_false(vgic_lr_refresh(&g, 0, 60, NULL, &pending, &active, NULL));
    assert_false(g.spi[60 - 32].in_lr);
}

/*
 * A vCPU alone on its CPU sleeps in its own WFI (no trap), so pending state
 * the LR cannot carry must be fetched by an EOI maintenance exit.  Before
 * vgic_lr_needs_eoi_exit, a second upcall latched while the guest handled
 * the first (it sends its reply from the handler: an exit, with the LR
 * active) waited in the model until some unrelated exit: evtchn-pingpong
 * stalled for ever.
 */
static void test_eoi_exit_when_the_lr_cannot_carry_it(void **state unused)
{
    bool pending, active;

    /* Level line high: resampled after the guest's deactivation. */
    bool owed = false;

    ready_spi(60, 0x20, false);
    assert_int_equal(vgic_set_level(&g, 0, 60, true), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, &owed), 60);
    assert_true(owed);                                  /* what the LR code gets on the way in */
    assert_true(vgic_lr_needs_eoi_exit(&g, 0, 60));
    assert_int_equal(vgic_set_level(&g, 0, 60, false), 0);
    assert_false(vgic_lr_needs_eoi_exit(&g, 0, 60));   /* line low, latch empty: nothing owed */

    /* The upcall: taken (active), latched again from another CPU meanwhile. */
    ready_ppi(0, EVTCHN_PPI, 0xa0, false);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    assert_false(vgic_lr_needs_eoi_exit(&g, 0, EVTCHN_PPI));  /* one pending state, in the LR */
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, true);             /* acknowledged: active */
    assert_false(vgic_lr_needs_eoi_exit(&g, 0, EVTCHN_PPI));
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_true(vgic_lr_refresh(&g, 0, EVTCHN_PPI, NULL, &pending, &active, &owed));
    assert_false(pending);                                    /* level: not pending+active */
    assert_true(owed);
    assert_true(vgic_lr_needs_eoi_exit(&g, 0, EVTCHN_PPI));   /* so the deactivation must exit */

    /* Edge-triggered interrupts never need it: pending+active fits in the LR. */
    ready_spi(61, 0x20, true);
    assert_int_equal(vgic_inject(&g, 0, 61), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 61);
    vgic_lr_sync(&g, 0, 61, false, true);
    assert_int_equal(vgic_inject(&g, 0, 61), 0);
    assert_false(vgic_lr_needs_eoi_exit(&g, 0, 61));
}

/* Latched again while the LR copy is still pending, seen on the way in (the
 * guest has not run since the LR was read): the LR's pending state covers
 * both, and no stale "relatched" waits for an exit a WFI sleeper never makes. */
static void test_relatch_covered_by_refresh_on_entry(void **state unused)
{
    bool pending, active;

    ready_ppi(0, EVTCHN_PPI, 0xa0, false);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, true, false);             /* an exit: not taken yet */
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);      /* relatched */
    assert_true(vgic_lr_refresh(&g, 0, EVTCHN_PPI, NULL, &pending, &active, NULL));
    assert_true(pending);
    assert_false(vgic_lr_needs_eoi_exit(&g, 0, EVTCHN_PPI));
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, true);             /* taken */
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);            /* done: nothing left */
    assert_false(vgic_has_pending(&g, 0));
}

/* GICD_ISPENDR on a level interrupt: pending until acknowledged, line or not. */
static void test_level_ispendr_until_ack(void **state unused)
{
    ready_spi(61, 0x20, false);
    dwrite(bitreg(D_ISPENDR, 61), 4, bit(61));
    assert_true(spi_pending(61));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 61);
    vgic_lr_sync(&g, 0, 61, false, true);               /* acknowledged */
    assert_false(spi_pending(61));
    vgic_lr_sync(&g, 0, 61, false, false);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* ICPENDR clears it before delivery. */
    dwrite(bitreg(D_ISPENDR, 61), 4, bit(61));
    dwrite(bitreg(D_ICPENDR, 61), 4, bit(61));
    assert_false(spi_pending(61));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
}

/*
 * --- relatching a level interrupt before its acknowledgement is seen -----------
 *
 * vgic_inject() on a level-sensitive interrupt is a latch, like GICD_ISPENDR:
 * it ends when the guest acknowledges the interrupt.  While the interrupt sits
 * pending in a list register granite cannot see whether the guest has already
 * acknowledged it (that happens in hardware; granite learns it at the next
 * exit), so a second latch arriving in that window may be a new interrupt and
 * must outlive the acknowledgement it did not see.  Before the fix the second
 * latch was absorbed and the acknowledgement sync then cleared it: a lost Xen
 * event-channel upcall (PPI 31) stalled xenstore for 10 s at a time.
 */

/* (a) inject, claim, inject again, acknowledge, deactivate: delivered a second time. */
static void test_level_relatch_before_ack_survives(void **state unused)
{
    bool pending, active;

    ready_ppi(0, EVTCHN_PPI, 0xa0, false);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, true, false);   /* an exit: the guest has not taken it */

    /* Two more events while it sits pending in the LR: a latch, not a counter.
     * Each kicks the LR's vCPU: the guest may take the LR copy without exiting,
     * and a guest that then polls would never exit to receive the second one. */
    clear_records();
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(kicks[0], 2);
    assert_true(ppi_pending(0, EVTCHN_PPI));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);   /* already in an LR */

    /* The next exit finds it acknowledged: the latch set since then is still there. */
    clear_records();
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, true);
    assert_true(ppi_pending(0, EVTCHN_PPI));
    assert_true(ppi_active(0, EVTCHN_PPI));
    assert_int_equal(kicks[0], 1);                        /* its vCPU must come back for it */
    /* Level: never pending+active in the LR, and not forwarded while active. */
    assert_true(vgic_lr_refresh(&g, 0, EVTCHN_PPI, NULL, &pending, &active, NULL));
    assert_false(pending);
    assert_true(active);
    assert_false(vgic_has_pending(&g, 0));

    /* Deactivated: the second event is forwarded and claimed again... */
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);
    assert_false(ppi(0, EVTCHN_PPI)->in_lr);
    assert_true(ppi_pending(0, EVTCHN_PPI));
    assert_false(ppi_active(0, EVTCHN_PPI));
    assert_true(vgic_has_pending(&g, 0));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);

    /* ...once: the three injections made two deliveries, not three. */
    ack_and_deactivate(0, EVTCHN_PPI);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_false(vgic_has_pending(&g, 0));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(g.stats.bad_lr_sync, 0);
}

/*
 * (a) The same when one exit finds the LR already empty (acknowledged and
 * deactivated between two exits, the usual case for a short handler), and
 * with the latch set through the registers (GICD_ISPENDR on a level SPI).
 */
/*
 * A vCPU restarted by PSCI CPU_ON after CPU_OFF: the LRs saved with its old
 * context are dropped (vgic_lr_forget).  What was pending in them stays pending
 * in the model and is delivered to the new context; what was only active is gone.
 */
static void test_lr_forget_keeps_pending_edge(void **state unused)
{
    ready_ppi(0, 27, 0xa0, true);                   /* an edge PPI, as the timer's */
    assert_int_equal(vgic_inject(&g, 0, 27), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 27);
    vgic_lr_sync(&g, 0, 27, true, false);           /* still pending in the LR at CPU_OFF */

    vgic_lr_forget(&g, 0, 27, true);
    assert_false(ppi(0, 27)->in_lr);
    assert_true(vgic_has_pending(&g, 0));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 27);   /* offered again */
    ack_and_deactivate(0, 27);
    assert_false(vgic_has_pending(&g, 0));           /* and the vCPU can sleep again */
}

static void test_lr_forget_keeps_pending_level(void **state unused)
{
    ready_ppi(0, EVTCHN_PPI, 0xa0, false);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);

    vgic_lr_forget(&g, 0, EVTCHN_PPI, true);
    assert_false(ppi(0, EVTCHN_PPI)->in_lr);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, true);   /* the new context takes it */
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);
    assert_false(vgic_has_pending(&g, 0));
}

static void test_lr_forget_drops_active_only(void **state unused)
{
    ready_ppi(0, 27, 0xa0, true);
    assert_int_equal(vgic_inject(&g, 0, 27), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 27);
    vgic_lr_sync(&g, 0, 27, false, true);           /* taken, not ended, at CPU_OFF */

    vgic_lr_forget(&g, 0, 27, false);
    assert_false(ppi(0, 27)->in_lr);
    assert_false(ppi_active(0, 27));
    assert_false(vgic_has_pending(&g, 0));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
}

static void test_level_relatch_survives_ack_and_eoi_in_one_exit(void **state unused)
{
    ready_ppi(0, EVTCHN_PPI, 0xa0, false);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);
    assert_false(ppi(0, EVTCHN_PPI)->in_lr);
    assert_true(ppi_pending(0, EVTCHN_PPI));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* A level SPI pended twice through GICD_ISPENDR, the second time from vCPU 1. */
    ready_spi(63, 0x20, false);
    dwrite(bitreg(D_ISPENDR, 63), 4, bit(63));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 63);
    assert_int_equal(vgic_mmio_write(&g, 1, DIST + bitreg(D_ISPENDR, 63), 4, bit(63)),
                     VGIC_MMIO_OK);
    ack_and_deactivate(0, 63);
    assert_true(spi_pending(63));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 63);
    ack_and_deactivate(0, 63);
    assert_false(spi_pending(63));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(g.stats.bad_lr_sync, 0);
}

/* (b) One injection: nothing is left after acknowledge + deactivate (no spurious second delivery). */
static void test_level_single_inject_delivered_once(void **state unused)
{
    bool pending, active;

    ready_ppi(0, EVTCHN_PPI, 0xa0, false);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    /* Exits and entries while the guest has not taken it yet relatch nothing. */
    vgic_lr_sync(&g, 0, EVTCHN_PPI, true, false);
    assert_true(vgic_lr_refresh(&g, 0, EVTCHN_PPI, NULL, &pending, &active, NULL));
    assert_true(pending);
    assert_false(active);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, true, false);
    assert_false(ppi(0, EVTCHN_PPI)->relatched);

    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, true);         /* acknowledged */
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_true(ppi_active(0, EVTCHN_PPI));
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);        /* deactivated */
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_false(ppi_active(0, EVTCHN_PPI));
    assert_false(vgic_has_pending(&g, 0));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* Acknowledged and deactivated between two exits: the same. */
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* An injection after the acknowledgement was seen is latched the ordinary way:
     * its LR holder is told, and it goes out once the first is deactivated. */
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, true);
    clear_records();
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(kicks[0], 1);
    assert_false(ppi(0, EVTCHN_PPI)->relatched);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    ack_and_deactivate(0, EVTCHN_PPI);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(g.stats.bad_lr_sync, 0);
}

/* (c) GICR_ICPENDR0 / GICD_ICPENDR between the second latch and the ack clears it too. */
static void test_level_relatch_cleared_by_icpendr(void **state unused)
{
    bool pending, active;

    /* PPI: cleared through the redistributor, then the exit sees the acknowledgement. */
    ready_ppi(0, EVTCHN_PPI, 0xa0, false);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    swrite(0, S_ICPENDR0, 1u << EVTCHN_PPI);
    assert_false(ppi(0, EVTCHN_PPI)->relatched);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, true);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_false(vgic_has_pending(&g, 0));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* SPI: cleared through the distributor by another vCPU; the stale LR is
     * refreshed away before the guest takes it. */
    ready_spi(63, 0x20, false);
    assert_int_equal(vgic_inject(&g, 0, 63), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 63);
    assert_int_equal(vgic_inject(&g, 0, 63), 0);
    clear_records();
    assert_int_equal(vgic_mmio_write(&g, 1, DIST + bitreg(D_ICPENDR, 63), 4, bit(63)),
                     VGIC_MMIO_OK);
    assert_int_equal(kicks[0], 1);                        /* its LR is stale */
    assert_false(spi_pending(63));
    assert_false(vgic_lr_refresh(&g, 0, 63, NULL, &pending, &active, NULL));
    assert_false(g.spi[63 - 32].in_lr);
    assert_false(spi_pending(63));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* ...or the guest had taken it by the exit that follows the write. */
    assert_int_equal(vgic_inject(&g, 0, 63), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 63);
    assert_int_equal(vgic_inject(&g, 0, 63), 0);
    dwrite(bitreg(D_ICPENDR, 63), 4, bit(63));
    ack_and_deactivate(0, 63);
    assert_false(spi_pending(63));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(g.stats.bad_lr_sync, 0);
}

/*
 * (d) Edge interrupts keep their behaviour: the edge moves into the LR at the
 * claim, so a second edge before the acknowledgement is an ordinary new latch
 * (delivered once more), a refresh merges it into a still-pending LR (edges
 * arriving while pending coalesce), ICPENDR clears it, and nothing is relatched.
 */
static void test_edge_second_inject_unchanged(void **state unused)
{
    bool pending, active;

    ready_ppi(0, EVTCHN_PPI, 0xa0, true);
    assert_true(ppi(0, EVTCHN_PPI)->edge);

    /* One edge: delivered once. */
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    ack_and_deactivate(0, EVTCHN_PPI);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* A second (and third) edge with the first still in the LR: the holder is
     * kicked, and with no refresh in between it is delivered after the first. */
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    clear_records();
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(kicks[0], 1);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_false(ppi(0, EVTCHN_PPI)->relatched);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, true);
    assert_true(ppi_pending(0, EVTCHN_PPI));
    vgic_lr_sync(&g, 0, EVTCHN_PPI, false, false);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    ack_and_deactivate(0, EVTCHN_PPI);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* A refresh while the LR is still pending merges the new edge into it: one delivery. */
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    vgic_lr_sync(&g, 0, EVTCHN_PPI, true, false);
    assert_true(vgic_lr_refresh(&g, 0, EVTCHN_PPI, NULL, &pending, &active, NULL));
    assert_true(pending);
    assert_false(active);
    ack_and_deactivate(0, EVTCHN_PPI);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* GICR_ICPENDR0 between the second edge and the ack clears it. */
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), EVTCHN_PPI);
    assert_int_equal(vgic_inject(&g, 0, EVTCHN_PPI), 0);
    swrite(0, S_ICPENDR0, 1u << EVTCHN_PPI);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    ack_and_deactivate(0, EVTCHN_PPI);
    assert_false(ppi_pending(0, EVTCHN_PPI));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_false(ppi(0, EVTCHN_PPI)->relatched);
    assert_int_equal(g.stats.bad_lr_sync, 0);
}

static void test_set_level_on_edge_interrupt(void **state unused)
{
    ready_spi(62, 0x20, true);
    assert_int_equal(vgic_set_level(&g, 0, 62, true), 0);     /* rising edge */
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 62);
    vgic_lr_sync(&g, 0, 62, false, true);
    vgic_lr_sync(&g, 0, 62, false, false);
    assert_int_equal(vgic_set_level(&g, 0, 62, true), 0);     /* still high: no new edge */
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(vgic_set_level(&g, 0, 62, false), 0);
    assert_int_equal(vgic_set_level(&g, 0, 62, true), 0);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 62);
}

static void test_icpendr_and_disable_while_in_lr(void **state unused)
{
    bool pending, active;

    ready_spi(36, 0x10, true);
    vgic_inject(&g, 0, 36);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 36);
    clear_records();
    dwrite(bitreg(D_ICPENDR, 36), 4, bit(36));
    assert_int_equal(kicks[0], 1);
    assert_false(spi_pending(36));
    assert_false(vgic_lr_refresh(&g, 0, 36, NULL, &pending, &active, NULL));   /* clear the LR */
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);

    /* Disabled while pending in an LR: the LR drops it, the model keeps it pending. */
    vgic_inject(&g, 0, 36);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 36);
    dwrite(bitreg(D_ICENABLER, 36), 4, bit(36));
    assert_false(vgic_lr_refresh(&g, 0, 36, NULL, &pending, &active, NULL));
    assert_true(spi_pending(36));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), -1);
    enable_spi(36);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 36);
}

static void test_evict(void **state unused)
{
    ready_spi(37, 0x10, true);
    vgic_inject(&g, 0, 37);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 37);
    assert_int_equal(vgic_lr_evict(&g, 0, 37), 0);
    assert_true(spi_pending(37));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 37);
    vgic_lr_sync(&g, 0, 37, false, true);
    assert_int_equal(vgic_lr_evict(&g, 0, 37), -EBUSY);
    assert_int_equal(vgic_lr_evict(&g, 1, 37), -EINVAL);
}

static void test_lr_calls_for_unclaimed_interrupt(void **state unused)
{
    vgic_lr_sync(&g, 0, 38, false, true);
    assert_false(spi_active(38));
    assert_false(vgic_lr_refresh(&g, 1, 38, NULL, NULL, NULL, NULL));
    vgic_lr_sync(&g, 0, 200, false, false);
    assert_int_equal(g.stats.bad_lr_sync, 3);
    assert_true(host_log_contains("not in this vCPU's LRs"));
}

/* An SPI re-routed while in vCPU 0's LR moves to vCPU 1 once vCPU 0 lets go. */
static void test_reroute_while_in_lr(void **state unused)
{
    ready_spi(39, 0x10, true);
    vgic_inject(&g, 0, 39);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 39);
    clear_records();
    dwrite(D_IROUTER + 8 * 39, 8, 1);
    assert_int_equal(kicks[0], 1);                               /* its LR is stale */
    assert_int_equal(vgic_claim_next(&g, 1, NULL, NULL, NULL, NULL, NULL), -1);
    assert_false(vgic_lr_refresh(&g, 0, 39, NULL, NULL, NULL, NULL));
    assert_int_equal(kicks[1], 1);
    assert_int_equal(vgic_claim_next(&g, 1, NULL, NULL, NULL, NULL, NULL), 39);
}

/* --- inputs --------------------------------------------------------------------- */

static void test_inject_errors(void **state unused)
{
    assert_int_equal(vgic_inject(&g, 0, 192), -EINVAL);
    assert_int_equal(vgic_inject(&g, 0, 1023), -EINVAL);
    assert_int_equal(vgic_inject(&g, 2, 27), -EINVAL);           /* vCPU 2 of 2 */
    assert_int_equal(vgic_inject(&g, 7, 40), 0);                  /* vcpu ignored for SPIs */
    assert_int_equal(vgic_set_level(&g, 0, 192, true), -EINVAL);
    assert_int_equal(vgic_set_level(&g, 0, 191, true), 0);       /* the last SPI */
    assert_int_equal(vgic_set_level(&g, 5, 20, true), -EINVAL);
    assert_int_equal(vgic_send_sgi(&g, 2, SGI1R(1, 1)), -EINVAL);
    assert_int_equal(vgic_claim_next(&g, 2, NULL, NULL, NULL, NULL, NULL), -1);
    assert_false(vgic_has_pending(&g, 2));
}

static void test_init_errors(void **state unused)
{
    struct vgic x;

    assert_int_equal(vgic_init(&x, 0, 0, DIST, RDIST, NULL), -EINVAL);
    assert_int_equal(vgic_init(&x, 0, VGIC_MAX_VCPUS + 1, DIST, RDIST, NULL), -EINVAL);
    assert_int_equal(vgic_init(&x, 0, 1, DIST + 0x1000, RDIST, NULL), -EINVAL);
    assert_int_equal(vgic_init(&x, 0, VGIC_MAX_VCPUS, DIST, RDIST, NULL), 0);
    /* no ops: injecting and enabling must not call anything */
    assert_int_equal(vgic_inject(&x, 0, 40), 0);
    assert_int_equal(vgic_mmio_write(&x, 0, DIST + D_ISENABLER + 4, 4, 0x100), VGIC_MMIO_OK);
}

/* --- SGIs ------------------------------------------------------------------------- */

static void enable_sgi_everywhere(unsigned nr, u32 intid)
{
    dwrite(D_CTLR, 4, CTLR_ARE | CTLR_GRP1);
    for (unsigned v = 0; v < nr; v++) {
        swrite(v, S_IGROUPR0, 0xffffffff);
        swrite(v, S_ISENABLER0, 1u << intid);
    }
    clear_records();
}

static void test_sgi_target_list(void **state unused)
{
    enable_sgi_everywhere(4, 3);
    assert_int_equal(vgic_send_sgi(&g, 0, SGI1R(3, 0xa)), 2);     /* vCPUs 1 and 3 */
    assert_int_equal(nr_kicks, 2);
    assert_int_equal(kicks[1], 1);
    assert_int_equal(kicks[3], 1);
    assert_int_equal(sread(0, S_ISPENDR0), 0);
    assert_int_equal(sread(1, S_ISPENDR0), 1u << 3);
    assert_int_equal(sread(2, S_ISPENDR0), 0);
    assert_int_equal(sread(3, S_ISPENDR0), 1u << 3);
    assert_int_equal(vgic_claim_next(&g, 3, NULL, NULL, NULL, NULL, NULL), 3);
    assert_int_equal(host_log_count(), 0);

    /* To self, too. */
    assert_int_equal(vgic_send_sgi(&g, 2, SGI1R(3, 0x4)), 1);
    assert_int_equal(kicks[2], 1);
}

static void test_sgi_irm_all_but_self(void **state unused)
{
    enable_sgi_everywhere(4, 5);
    assert_int_equal(vgic_send_sgi(&g, 2, SGI1R(5, 0) | SGI1R_IRM), 3);
    assert_int_equal(kicks[0], 1);
    assert_int_equal(kicks[1], 1);
    assert_int_equal(kicks[2], 0);
    assert_int_equal(kicks[3], 1);
    assert_int_equal(sread(2, S_ISPENDR0), 0);
    assert_int_equal(sread(3, S_ISPENDR0), 1u << 5);
}

static void test_sgi_to_missing_vcpus(void **state unused)
{
    enable_sgi_everywhere(4, 1);
    /* Aff0 = 4 and 5: no such vCPUs (there are 4); Aff0 = 0 still gets it. */
    assert_int_equal(vgic_send_sgi(&g, 1, SGI1R(1, (1u << 5) | (1u << 4) | 1)), 1);
    assert_int_equal(nr_kicks, 1);
    assert_int_equal(kicks[0], 1);
    assert_true(host_log_contains("vcpu4: no such vCPU"));
    assert_true(host_log_contains("vcpu5: no such vCPU"));
    assert_int_equal(g.rdist[4].priv[1].pending_latch, false);
    /* Aff1 = 1, or RS = 1 (Aff0 16..31): nobody. */
    host_log_clear();
    assert_int_equal(vgic_send_sgi(&g, 1, SGI1R(1, 0x3) | SGI1R_AFF1(1)), 0);
    assert_int_equal(vgic_send_sgi(&g, 1, SGI1R(1, 0x1) | SGI1R_RS(1)), 0);
    assert_int_equal(host_log_count(), 2);
    assert_int_equal(nr_kicks, 1);
}

static void test_sgi_not_deliverable_no_kick(void **state unused)
{
    /* Pending but disabled: no kick; enabling it kicks. */
    assert_int_equal(vgic_send_sgi(&g, 0, SGI1R(2, 0x2)), 1);
    assert_int_equal(nr_kicks, 0);
    assert_int_equal(sread(1, S_ISPENDR0), 1u << 2);
    swrite(1, S_IGROUPR0, 1u << 2);
    swrite(1, S_ISENABLER0, 1u << 2);
    assert_int_equal(nr_kicks, 0);                                 /* EnableGrp1 still 0 */
    dwrite(D_CTLR, 4, CTLR_ARE | CTLR_GRP1);
    assert_int_equal(nr_kicks, 1);
    assert_int_equal(kicks[1], 1);
}

/* --- kicks and HW links ---------------------------------------------------------- */

static void test_kick_on_inject(void **state unused)
{
    dwrite(D_IROUTER + 8 * 44, 8, 1);
    vgic_inject(&g, 0, 44);
    assert_int_equal(nr_kicks, 0);                                  /* not enabled */
    ready_spi(44, 0x10, true);
    assert_int_equal(nr_kicks, 1);                                  /* enabling made it deliverable */
    assert_int_equal(kicks[1], 1);
    vgic_inject(&g, 0, 44);                                         /* already pending */
    assert_int_equal(nr_kicks, 1);

    vgic_set_level(&g, 1, 20, true);                                /* PPI 20 of vCPU 1 */
    assert_int_equal(nr_kicks, 1);
    swrite(1, S_IGROUPR0, 1u << 20);
    swrite(1, S_ISENABLER0, 1u << 20);
    assert_int_equal(kicks[1], 2);
    assert_int_equal(kicks[0], 0);
}

static void test_hw_link_enable_mirror(void **state unused)
{
    bool hw = false, pending, active;
    u32 hwid = 0;

    assert_int_equal(vgic_link_hw(&g, 48, 80), 0);
    assert_int_equal(nr_hw_calls, 1);                               /* state synced at link */
    assert_int_equal(hw_calls[0].hw_intid, 80);
    assert_false(hw_calls[0].enable);

    enable_spi(48);
    assert_int_equal(nr_hw_calls, 2);
    assert_true(hw_calls[1].enable);
    enable_spi(48);                                                 /* no change: no call */
    assert_int_equal(nr_hw_calls, 2);
    dwrite(bitreg(D_ICENABLER, 48), 4, bit(48) | bit(49));
    assert_int_equal(nr_hw_calls, 3);
    assert_int_equal(hw_calls[2].hw_intid, 80);
    assert_false(hw_calls[2].enable);
    enable_spi(49);                                                 /* not linked */
    assert_int_equal(nr_hw_calls, 3);

    assert_int_equal(vgic_link_hw(&g, 48, 81), -EEXIST);
    assert_int_equal(vgic_link_hw(&g, 48, 80), 0);
    assert_int_equal(vgic_link_hw(&g, 20, 80), -EINVAL);            /* a PPI */
    assert_int_equal(vgic_link_hw(&g, 192, 80), -EINVAL);
    assert_int_equal(vgic_link_hw(&g, 50, 1020), -EINVAL);
    assert_int_equal(vgic_link_hw(&g, 50, 15), -EINVAL);

    /* Delivered with the HW bit; never pending+active in its LR. */
    ready_spi(48, 0x30, false);
    vgic_inject(&g, 0, 48);
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, &hw, &hwid, NULL), 48);
    assert_true(hw);
    assert_int_equal(hwid, 80);
    vgic_lr_sync(&g, 0, 48, false, true);
    dwrite(bitreg(D_ISPENDR, 48), 4, bit(48));
    assert_true(vgic_lr_refresh(&g, 0, 48, NULL, &pending, &active, NULL));
    assert_false(pending);
    assert_true(active);
    vgic_lr_sync(&g, 0, 48, false, false);                          /* deactivated */
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 48);
}

static void test_has_pending(void **state unused)
{
    assert_false(vgic_has_pending(&g, 0));
    vgic_inject(&g, 0, 45);
    assert_false(vgic_has_pending(&g, 0));                          /* disabled */
    ready_spi(45, 0x10, true);
    assert_true(vgic_has_pending(&g, 0));
    assert_false(vgic_has_pending(&g, 1));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 45);
    assert_true(vgic_has_pending(&g, 0));                           /* pending in an LR */
    vgic_lr_sync(&g, 0, 45, false, true);
    assert_false(vgic_has_pending(&g, 0));                          /* only active now */
    vgic_lr_sync(&g, 0, 45, false, false);
    assert_false(vgic_has_pending(&g, 0));

    /* A private interrupt of vCPU 1 counts for vCPU 1 only. */
    swrite(1, S_IGROUPR0, 1u << 0);
    swrite(1, S_ISENABLER0, 1u << 0);
    vgic_send_sgi(&g, 0, SGI1R(0, 0x2));
    assert_true(vgic_has_pending(&g, 1));
    assert_false(vgic_has_pending(&g, 0));
}

/* The last SPI (INTID 191, the GIC-400's last line) is delivered like any other. */
static void test_last_spi_delivered(void **state unused)
{
    ready_spi(191, 0x40, false);
    assert_int_equal(vgic_link_hw(&g, 191, 191), 0);
    assert_int_equal(vgic_inject(&g, 0, 191), 0);
    assert_true(vgic_has_pending(&g, 0));
    assert_int_equal(vgic_claim_next(&g, 0, NULL, NULL, NULL, NULL, NULL), 191);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_id_registers, setup2),
        cmocka_unit_test_setup(test_ctlr_enables_and_are_rao_wi, setup2),
        cmocka_unit_test_setup(test_enable_set_clear, setup2),
        cmocka_unit_test_setup(test_pending_set_clear, setup2),
        cmocka_unit_test_setup(test_active_set_clear, setup2),
        cmocka_unit_test_setup(test_igroupr_read_write, setup2),
        cmocka_unit_test_setup(test_private_registers_banked, setup2),
        cmocka_unit_test_setup(test_priority_byte_and_word, setup2),
        cmocka_unit_test_setup(test_icfgr_edge_level, setup2),
        cmocka_unit_test_setup(test_irouter_64_and_32, setup2),
        cmocka_unit_test_setup(test_redistributor_typer_and_last, setup4),
        cmocka_unit_test_setup(test_redistributor_waker, setup4),
        cmocka_unit_test_setup(test_redistributor_raz_wi, setup2),
        cmocka_unit_test_setup(test_bad_sizes_and_alignment, setup2),
        cmocka_unit_test_setup(test_unknown_and_raz_wi_logged, setup2),
        cmocka_unit_test_setup(test_claim_priority_order, setup2),
        cmocka_unit_test_setup(test_claim_group_and_enable_gating, setup2),
        cmocka_unit_test_setup(test_edge_lifecycle, setup2),
        cmocka_unit_test_setup(test_level_lifecycle, setup2),
        cmocka_unit_test_setup(test_level_ispendr_until_ack, setup2),
        cmocka_unit_test_setup(test_eoi_exit_when_the_lr_cannot_carry_it, setup2),
        cmocka_unit_test_setup(test_relatch_covered_by_refresh_on_entry, setup2),
        cmocka_unit_test_setup(test_level_relatch_before_ack_survives, setup2),
        cmocka_unit_test_setup(test_lr_forget_keeps_pending_edge, setup2),
        cmocka_unit_test_setup(test_lr_forget_keeps_pending_level, setup2),
        cmocka_unit_test_setup(test_lr_forget_drops_active_only, setup2),
        cmocka_unit_test_setup(test_level_relatch_survives_ack_and_eoi_in_one_exit, setup2),
        cmocka_unit_test_setup(test_level_single_inject_delivered_once, setup2),
        cmocka_unit_test_setup(test_level_relatch_cleared_by_icpendr, setup2),
        cmocka_unit_test_setup(test_edge_second_inject_unchanged, setup2),
        cmocka_unit_test_setup(test_set_level_on_edge_interrupt, setup2),
        cmocka_unit_test_setup(test_icpendr_and_disable_while_in_lr, setup2),
        cmocka_unit_test_setup(test_evict, setup2),
        cmocka_unit_test_setup(test_lr_calls_for_unclaimed_interrupt, setup2),
        cmocka_unit_test_setup(test_reroute_while_in_lr, setup2),
        cmocka_unit_test_setup(test_inject_errors, setup2),
        cmocka_unit_test_setup(test_last_spi_delivered, setup2),
        cmocka_unit_test_setup(test_init_errors, setup2),
        cmocka_unit_test_setup(test_sgi_target_list, setup4),
        cmocka_unit_test_setup(test_sgi_irm_all_but_self, setup4),
        cmocka_unit_test_setup(test_sgi_to_missing_vcpus, setup4),
        cmocka_unit_test_setup(test_sgi_not_deliverable_no_kick, setup2),
        cmocka_unit_test_setup(test_kick_on_inject, setup2),
        cmocka_unit_test_setup(test_hw_link_enable_mirror, setup2),
        cmocka_unit_test_setup(test_has_pending, setup2),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
