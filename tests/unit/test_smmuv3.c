/*
 * test_smmuv3.c — host tests of the pure SMMUv3 formats (drivers/smmuv3_format.c):
 * ID register decoding, Stream table geometry, base registers, queue index
 * arithmetic, STE/CD/command encoders, event record decoding and the names
 * used in log lines.
 *
 * Field positions are written out here as literal bit numbers taken from Arm
 * IHI 0070 (SMMUv3): STE 5.2, CD 5.4, L1STD 5.1, commands chapter 4, event
 * records 7.3, registers 6.3.  The test does not use smmuv3_hw.h's field
 * macros, so a wrong macro there shows up as a failure here.  The ID register
 * values are the ones QEMU's hw/arm/smmuv3.c programs (smmuv3_init_regs /
 * smmuv3_init_id_regs) for the `stage` property.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/smmuv3_hw.h>
#include <granite/errno.h>

/* Field hi..lo of v. */
static u64 bits(u64 v, unsigned hi, unsigned lo)
{
    return (v >> lo) & (hi - lo == 63 ? ~0ULL : (2ULL << (hi - lo)) - 1);
}

/* ------------------------------------------------------------------------ */
/* Register offsets (6.3)                                                    */
/* ------------------------------------------------------------------------ */

static void test_register_offsets(void **state unused)
{
    assert_int_equal(SMMU_IDR0, 0x0);
    assert_int_equal(SMMU_IDR1, 0x4);
    assert_int_equal(SMMU_IDR3, 0xc);
    assert_int_equal(SMMU_IDR5, 0x14);
    assert_int_equal(SMMU_CR0, 0x20);
    assert_int_equal(SMMU_CR0ACK, 0x24);
    assert_int_equal(SMMU_CR1, 0x28);
    assert_int_equal(SMMU_CR2, 0x2c);
    assert_int_equal(SMMU_GBPA, 0x44);
    assert_int_equal(SMMU_IRQ_CTRL, 0x50);
    assert_int_equal(SMMU_IRQ_CTRLACK, 0x54);
    assert_int_equal(SMMU_GERROR, 0x60);
    assert_int_equal(SMMU_GERRORN, 0x64);
    assert_int_equal(SMMU_GERROR_IRQ_CFG0, 0x68);
    assert_int_equal(SMMU_GERROR_IRQ_CFG1, 0x70);
    assert_int_equal(SMMU_GERROR_IRQ_CFG2, 0x74);
    assert_int_equal(SMMU_STRTAB_BASE, 0x80);
    assert_int_equal(SMMU_STRTAB_BASE_CFG, 0x88);
    assert_int_equal(SMMU_CMDQ_BASE, 0x90);
    assert_int_equal(SMMU_CMDQ_PROD, 0x98);
    assert_int_equal(SMMU_CMDQ_CONS, 0x9c);
    assert_int_equal(SMMU_EVENTQ_BASE, 0xa0);
    assert_int_equal(SMMU_EVENTQ_PROD, 0x100a8);
    assert_int_equal(SMMU_EVENTQ_CONS, 0x100ac);
    assert_int_equal(SMMU_EVENTQ_IRQ_CFG0, 0xb0);
    assert_int_equal(SMMU_EVENTQ_IRQ_CFG1, 0xb8);
    assert_int_equal(SMMU_EVENTQ_IRQ_CFG2, 0xbc);
    assert_int_equal(SMMU_PRIQ_BASE, 0xc0);
    assert_int_equal(SMMU_PRIQ_PROD, 0x100c8);
    assert_int_equal(SMMU_PRIQ_CONS, 0x100cc);
    assert_int_equal(sizeof(struct smmu_ste), 64);
    assert_int_equal(sizeof(struct smmu_cd), 64);
    assert_int_equal(sizeof(struct smmu_cmd), 16);
}

/* Control register bits the driver writes, by their spec bit numbers. */
static void test_control_register_bits(void **state unused)
{
    assert_int_equal(SMMU_CR0_SMMUEN, 1UL << 0);
    assert_int_equal(SMMU_CR0_PRIQEN, 1UL << 1);
    assert_int_equal(SMMU_CR0_EVENTQEN, 1UL << 2);
    assert_int_equal(SMMU_CR0_CMDQEN, 1UL << 3);
    assert_int_equal(SMMU_CR0_ATSCHK, 1UL << 4);
    assert_int_equal(SMMU_CR1_QUEUE_IC, 0x3UL << 0);
    assert_int_equal(SMMU_CR1_QUEUE_OC, 0x3UL << 2);
    assert_int_equal(SMMU_CR1_QUEUE_SH, 0x3UL << 4);
    assert_int_equal(SMMU_CR1_TABLE_IC, 0x3UL << 6);
    assert_int_equal(SMMU_CR1_TABLE_OC, 0x3UL << 8);
    assert_int_equal(SMMU_CR1_TABLE_SH, 0x3UL << 10);
    assert_int_equal(SMMU_CR2_E2H, 1UL << 0);
    assert_int_equal(SMMU_CR2_RECINVSID, 1UL << 1);
    assert_int_equal(SMMU_CR2_PTM, 1UL << 2);
    assert_int_equal(SMMU_GBPA_ABORT, 1UL << 20);
    assert_int_equal(SMMU_GBPA_UPDATE, 1UL << 31);
    assert_int_equal(SMMU_GBPA_SHCFG, 0x3UL << 12);
    assert_int_equal(SMMU_IRQ_CTRL_GERROR_IRQEN, 1UL << 0);
    assert_int_equal(SMMU_IRQ_CTRL_PRIQ_IRQEN, 1UL << 1);
    assert_int_equal(SMMU_IRQ_CTRL_EVENTQ_IRQEN, 1UL << 2);
    assert_int_equal(SMMU_CMDQ_CONS_ERR, 0x7fUL << 24);
    assert_int_equal(SMMU_Q_PROD_OVFLG, 1UL << 31);
    assert_int_equal(SMMU_Q_CONS_OVACKFLG, 1UL << 31);
}

/* ------------------------------------------------------------------------ */
/* Feature decoding (6.3 SMMU_IDR0/1/5)                                      */
/* ------------------------------------------------------------------------ */

/* QEMU (hw/arm/smmuv3.c) programs, for every `stage` setting:
 * IDR0: TTF=2 [3:2], COHACC [4], ASID16 [12], VMID16 [18], TTENDIAN=2 [22:21],
 *       STALL_MODEL=1 [25:24], TERM_MODEL [26], ST_LEVEL=1 [28:27]; plus
 *       S1P [1] (stage=1, the default), S2P [0] (stage=2) or both (nested).
 * IDR1: SIDSIZE=16 [5:0], EVENTQS=19 [20:16], CMDQS=19 [25:21].
 * IDR5: OAS=4 (44 bits) [2:0], GRAN4K [4], GRAN16K [5], GRAN64K [6]. */
#define QEMU_IDR0_COMMON ((2U << 2) | (1U << 4) | (1U << 12) | (1U << 18) | (2U << 21) | \
                          (1U << 24) | (1U << 26) | (1U << 27))
#define QEMU_IDR1 ((16U << 0) | (19U << 16) | (19U << 21))
#define QEMU_IDR5 ((4U << 0) | (1U << 4) | (1U << 5) | (1U << 6))

static void test_qemu_id_values_as_hex(void **state unused)
{
    assert_int_equal(QEMU_IDR0_COMMON | (1U << 0) | (1U << 1), 0x0d44101b); /* nested */
    assert_int_equal(QEMU_IDR0_COMMON | (1U << 0), 0x0d441019);             /* stage=2 */
    assert_int_equal(QEMU_IDR0_COMMON | (1U << 1), 0x0d44101a);             /* stage=1 */
    assert_int_equal(QEMU_IDR1, 0x02730010);
    assert_int_equal(QEMU_IDR5, 0x74);
}

static void check_qemu_common(const struct smmu_features *f)
{
    assert_true(f->coherent);
    assert_false(f->msi);
    assert_false(f->sev);
    assert_true(f->vmid16);
    assert_true(f->asid16);
    assert_true(f->two_level_strtab);
    assert_false(f->hyp);
    assert_false(f->ats);
    assert_false(f->pri);
    assert_false(f->btm);
    assert_true(f->aarch64_tables);
    assert_true(f->gran4k);
    assert_int_equal(f->ttendian, 2);
    assert_int_equal(f->sid_bits, 16);
    assert_int_equal(f->ssid_bits, 0);
    assert_int_equal(f->cmdq_log2, 19);
    assert_int_equal(f->eventq_log2, 19);
    assert_int_equal(f->priq_log2, 0);
    assert_int_equal(f->oas_field, 4);
    assert_int_equal(f->oas_bits, 44);
    assert_false(f->attr_types_ovr);
    assert_false(f->attr_perms_ovr);
}

static void test_decode_qemu_nested(void **state unused)
{
    struct smmu_features f;

    memset(&f, 0xa5, sizeof(f));
    assert_int_equal(smmu_decode_features(0x0d44101b, 0x02730010, 0x74, &f), 0);
    assert_true(f.s1);
    assert_true(f.s2);
    check_qemu_common(&f);
}

static void test_decode_qemu_stage2(void **state unused)
{
    struct smmu_features f;

    memset(&f, 0xa5, sizeof(f));
    assert_int_equal(smmu_decode_features(0x0d441019, 0x02730010, 0x74, &f), 0);
    assert_false(f.s1);
    assert_true(f.s2);
    check_qemu_common(&f);
}

static void test_decode_qemu_stage1(void **state unused)
{
    struct smmu_features f;

    memset(&f, 0xa5, sizeof(f));
    assert_int_equal(smmu_decode_features(0x0d44101a, 0x02730010, 0x74, &f), 0);
    assert_true(f.s1);
    assert_false(f.s2);
    check_qemu_common(&f);
}

/* Each IDR0 flag alone, at its spec bit, sets exactly its feature. */
static void test_decode_idr0_single_bits(void **state unused)
{
    static const struct { unsigned bit; size_t offset; } flags[] = {
        { 0, offsetof(struct smmu_features, s2) },
        { 1, offsetof(struct smmu_features, s1) },
        { 4, offsetof(struct smmu_features, coherent) },
        { 5, offsetof(struct smmu_features, btm) },
        { 9, offsetof(struct smmu_features, hyp) },
        { 10, offsetof(struct smmu_features, ats) },
        { 12, offsetof(struct smmu_features, asid16) },
        { 13, offsetof(struct smmu_features, msi) },
        { 14, offsetof(struct smmu_features, sev) },
        { 16, offsetof(struct smmu_features, pri) },
        { 18, offsetof(struct smmu_features, vmid16) },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(flags); i++) {
        struct smmu_features f;

        assert_int_equal(smmu_decode_features(1U << flags[i].bit, 0, 5, &f), 0);
        for (unsigned j = 0; j < ARRAY_SIZE(flags); j++) {
            bool set = *(const bool *)((const char *)&f + flags[j].offset);
            assert_int_equal(set, i == j);
        }
        assert_false(f.two_level_strtab);
        assert_false(f.aarch64_tables);
    }
}

/* TTF [3:2]: AArch64 when 0b10 or 0b11; ST_LEVEL [28:27] 0b01 is 2-level;
 * TTENDIAN [22:21] is kept raw. */
static void test_decode_ttf_st_level_ttendian(void **state unused)
{
    struct smmu_features f;

    smmu_decode_features(1U << 2, 0, 5, &f);
    assert_false(f.aarch64_tables);
    smmu_decode_features(2U << 2, 0, 5, &f);
    assert_true(f.aarch64_tables);
    smmu_decode_features(3U << 2, 0, 5, &f);
    assert_true(f.aarch64_tables);
    smmu_decode_features(1U << 27, 0, 5, &f);
    assert_true(f.two_level_strtab);
    smmu_decode_features(2U << 27, 0, 5, &f); /* reserved encoding */
    assert_false(f.two_level_strtab);
    smmu_decode_features(3U << 21, 0, 5, &f);
    assert_int_equal(f.ttendian, 3);
}

/* IDR1: SIDSIZE [5:0], SSIDSIZE [10:6], PRIQS [15:11], EVENTQS [20:16],
 * CMDQS [25:21], ATTR_PERMS_OVR [26], ATTR_TYPES_OVR [27]. */
static void test_decode_idr1_fields(void **state unused)
{
    struct smmu_features f;
    u32 idr1 = (32U << 0) | (20U << 6) | (7U << 11) | (9U << 16) | (11U << 21) |
               (1U << 26) | (1U << 27);

    assert_int_equal(smmu_decode_features(0, idr1, 5, &f), 0);
    assert_int_equal(f.sid_bits, 32);
    assert_int_equal(f.ssid_bits, 20);
    assert_int_equal(f.priq_log2, 7);
    assert_int_equal(f.eventq_log2, 9);
    assert_int_equal(f.cmdq_log2, 11);
    assert_true(f.attr_perms_ovr);
    assert_true(f.attr_types_ovr);
}

/* IDR5.OAS [2:0]: 32, 36, 40, 42, 44, 48, 52 bits; 0b111 (56 bits, SMMUv3.4
 * with VMSAv9-128 only) is refused.  GRAN4K is bit 4. */
static void test_decode_oas(void **state unused)
{
    static const unsigned want[] = { 32, 36, 40, 42, 44, 48, 52 };
    struct smmu_features f;

    for (unsigned oas = 0; oas < ARRAY_SIZE(want); oas++) {
        assert_int_equal(smmu_decode_features(0, 0, oas, &f), 0);
        assert_int_equal(f.oas_field, oas);
        assert_int_equal(f.oas_bits, want[oas]);
        assert_false(f.gran4k);
    }
    assert_int_equal(smmu_decode_features(0x0d44101b, 0x02730010, 0x77, &f), -EINVAL);
    assert_int_equal(f.oas_field, 7);
    assert_int_equal(f.oas_bits, 0);
    assert_int_equal(smmu_oas_bits(7), 0);
    smmu_decode_features(0, 0, 1U << 4, &f);
    assert_true(f.gran4k);
}

/* Sizes the spec bounds: SIDSIZE <= 32, SSIDSIZE <= 20, queues <= 2^19. */
static void test_decode_rejects_out_of_range_sizes(void **state unused)
{
    struct smmu_features f;

    assert_int_equal(smmu_decode_features(0, 33U << 0, 5, &f), -EINVAL);
    assert_int_equal(smmu_decode_features(0, 21U << 6, 5, &f), -EINVAL);
    assert_int_equal(smmu_decode_features(0, 20U << 11, 5, &f), -EINVAL);
    assert_int_equal(smmu_decode_features(0, 20U << 16, 5, &f), -EINVAL);
    assert_int_equal(smmu_decode_features(0, 20U << 21, 5, &f), -EINVAL);
    assert_int_equal(smmu_decode_features(0, (32U << 0) | (19U << 21), 5, &f), 0);
}

/* ------------------------------------------------------------------------ */
/* Stream table geometry and base registers (6.3, 5.1)                       */
/* ------------------------------------------------------------------------ */

static struct smmu_features features(unsigned sid_bits, bool two_level)
{
    struct smmu_features f;

    memset(&f, 0, sizeof(f));
    f.sid_bits = sid_bits;
    f.two_level_strtab = two_level;
    return f;
}

/* 5 StreamID bits: 32 STEs of 64 bytes in a linear table.  STRTAB_BASE_CFG:
 * LOG2SIZE [5:0] = 5, SPLIT [10:6] = 0, FMT [17:16] = 0 (linear). */
static void test_geometry_small_is_linear(void **state unused)
{
    struct smmu_features f = features(5, true);
    struct smmu_strtab_geometry g;

    memset(&g, 0xa5, sizeof(g));
    smmu_strtab_geometry(&f, &g);
    assert_false(g.two_level);
    assert_int_equal(g.log2size, 5);
    assert_int_equal(g.l1_entries, 0);
    assert_int_equal(g.table_bytes, 32 * 64);
    assert_int_equal(smmu_strtab_base_cfg(&g), 5);
}

/* 16 bits (QEMU): 2-level, SPLIT 8, 256 L1 descriptors of 8 bytes.
 * STRTAB_BASE_CFG = FMT 1 << 16 | SPLIT 8 << 6 | LOG2SIZE 16. */
static void test_geometry_16_bits_is_two_level(void **state unused)
{
    struct smmu_features f = features(16, true);
    struct smmu_strtab_geometry g;

    smmu_strtab_geometry(&f, &g);
    assert_true(g.two_level);
    assert_int_equal(g.split, 8);
    assert_int_equal(g.log2size, 16);
    assert_int_equal(g.l1_entries, 256);
    assert_int_equal(g.table_bytes, 256 * 8);
    assert_int_equal(smmu_strtab_base_cfg(&g), (1U << 16) | (8U << 6) | 16U);
    assert_int_equal(smmu_strtab_base_cfg(&g), 0x10210);
}

/* The boundary: 8 bits (16 KiB of STEs) stays linear, 9 bits goes 2-level
 * with 2 L1 descriptors; without 2-level support everything is linear. */
static void test_geometry_boundaries(void **state unused)
{
    struct smmu_strtab_geometry g;
    struct smmu_features f;

    f = features(8, true);
    smmu_strtab_geometry(&f, &g);
    assert_false(g.two_level);
    assert_int_equal(g.table_bytes, 16384);

    f = features(9, true);
    smmu_strtab_geometry(&f, &g);
    assert_true(g.two_level);
    assert_int_equal(g.l1_entries, 2);
    assert_int_equal(g.table_bytes, 16);

    f = features(16, false);
    smmu_strtab_geometry(&f, &g);
    assert_false(g.two_level);
    assert_int_equal(g.table_bytes, 64ULL << 16);
    assert_int_equal(smmu_strtab_base_cfg(&g), 16);

    f = features(32, true);
    smmu_strtab_geometry(&f, &g);
    assert_true(g.two_level);
    assert_int_equal(g.l1_entries, 1ULL << 24);
    assert_int_equal(g.table_bytes, 8ULL << 24);
    assert_int_equal(smmu_strtab_base_cfg(&g), (1U << 16) | (8U << 6) | 32U);

    f = features(0, true);
    smmu_strtab_geometry(&f, &g);
    assert_false(g.two_level);
    assert_int_equal(g.table_bytes, 64);
}

/* SMMU_STRTAB_BASE: RA is bit 62, ADDR is [55:6]. */
static void test_strtab_base(void **state unused)
{
    u64 v = smmu_strtab_base(pa(0x0000123456789000ULL));

    assert_int_equal(v, (1ULL << 62) | 0x0000123456789000ULL);
    assert_int_equal(bits(v, 5, 0), 0);
    v = smmu_strtab_base(pa(0x40000000ULL | 0x3f));
    assert_int_equal(v, (1ULL << 62) | 0x40000000ULL);
}

/* L1STD (5.1): Span [4:0] = split + 1 (the L2 array holds 2^(Span-1) STEs),
 * L2Ptr [55:6]. */
static void test_l1_descriptor(void **state unused)
{
    u64 d = smmu_l1_desc(pa(0x8000c000ULL), 8);

    assert_int_equal(bits(d, 4, 0), 9);
    assert_int_equal(bits(d, 5, 5), 0);
    assert_int_equal(d & ~0x3fULL, 0x8000c000ULL);
    assert_int_equal(bits(smmu_l1_desc(pa(0x4000), 6), 4, 0), 7);
    /* Bits [5:0] of the pointer are not address bits: Span [4:0], RES0 [5]. */
    assert_int_equal(smmu_l1_desc(pa(0x8000c03fULL), 8), 0x8000c000ULL | 9);
}

/* SMMU_CMDQ_BASE / SMMU_EVENTQ_BASE: RA resp. WA is bit 62, ADDR [55:5],
 * LOG2SIZE [4:0]. */
static void test_queue_base(void **state unused)
{
    u64 cmdq = smmu_queue_base(pa(0x81230000ULL | 0x1f), 8, false);
    u64 evtq = smmu_queue_base(pa(0x81240000ULL | 0x1f), 19, true);

    assert_int_equal(cmdq, (1ULL << 62) | 0x81230000ULL | 8);
    assert_int_equal(bits(cmdq, 4, 0), 8);
    assert_int_equal(evtq, (1ULL << 62) | 0x81240000ULL | 19);
    assert_int_equal(bits(evtq, 63, 63), 0);
    assert_int_equal(bits(evtq, 61, 56), 0);
}

/* ------------------------------------------------------------------------ */
/* Queue indices (3.5)                                                       */
/* ------------------------------------------------------------------------ */

/* A 4-entry queue (log2size 2): slot in [1:0], wrap flag in bit 2. */
static void test_queue_empty_and_full(void **state unused)
{
    assert_true(smmu_queue_empty(0, 0, 2));
    assert_false(smmu_queue_full(0, 0, 2));
    assert_true(smmu_queue_full(4, 0, 2));   /* prod wrapped, same slot */
    assert_false(smmu_queue_empty(4, 0, 2));
    assert_true(smmu_queue_full(2, 6, 2));   /* cons wrapped, prod not */
    assert_true(smmu_queue_empty(6, 6, 2));
    assert_false(smmu_queue_full(3, 0, 2));  /* 3 used, 1 free */
    assert_false(smmu_queue_empty(3, 0, 2));
    /* Bits above the wrap flag (OVFLG, CMDQ_CONS.ERR) do not count. */
    assert_true(smmu_queue_empty(0x80000001, 0x01000001, 2));
    assert_true(smmu_queue_full(0x80000005, 0x7f000001, 2));
    /* A one-entry queue (log2size 0): the wrap flag is bit 0. */
    assert_true(smmu_queue_empty(1, 1, 0));
    assert_true(smmu_queue_full(1, 0, 0));
}

static void test_queue_next_and_slot(void **state unused)
{
    assert_int_equal(smmu_queue_next(0, 2), 1);
    assert_int_equal(smmu_queue_next(3, 2), 4);   /* slot 0, wrap set */
    assert_int_equal(smmu_queue_next(7, 2), 0);   /* slot 0, wrap clear */
    assert_int_equal(smmu_queue_next(0x80000003, 2), 4); /* OVFLG dropped */
    assert_int_equal(smmu_queue_next(0x7f000002, 2), 3); /* ERR dropped */
    assert_int_equal(smmu_queue_next((1U << 19) - 1, 19), 1U << 19);
    assert_int_equal(smmu_queue_next((2U << 19) - 1, 19), 0);
    assert_int_equal(smmu_queue_next(0, 0), 1);
    assert_int_equal(smmu_queue_next(1, 0), 0);
    assert_int_equal(smmu_queue_slot(6, 2), 2);
    assert_int_equal(smmu_queue_slot(0x80000007, 2), 3);
    assert_int_equal(smmu_queue_slot(1, 0), 0);
}

/* Producer and consumer driven against a count of used entries. */
static void test_queue_model(void **state unused)
{
    for (unsigned log2 = 0; log2 <= 5; log2++) {
        unsigned size = 1U << log2, used = 0, step = 0;
        u32 prod = 0, cons = 0;

        for (unsigned i = 0; i < 1000; i++) {
            step = step * 1103515245U + 12345U;
            bool produce = (step >> 16) & 1;

            assert_int_equal(smmu_queue_empty(prod, cons, log2), used == 0);
            assert_int_equal(smmu_queue_full(prod, cons, log2), used == size);
            if (produce && used < size) {
                assert_int_equal(smmu_queue_slot(prod, log2), (cons + used) % size);
                prod = smmu_queue_next(prod, log2);
                used++;
            } else if (!produce && used > 0) {
                cons = smmu_queue_next(cons, log2);
                used--;
            }
            assert_true(prod < (2U << log2) && cons < (2U << log2));
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Stream Table Entries (5.2)                                                */
/* ------------------------------------------------------------------------ */

static void fill(struct smmu_ste *ste) { memset(ste, 0xa5, sizeof(*ste)); }

/* V is bit 0, Config [3:1]; abort is Config 0b000. */
static void test_ste_abort(void **state unused)
{
    struct smmu_ste ste;

    fill(&ste);
    smmu_ste_abort(&ste);
    assert_int_equal(ste.dw[0], 0x1);
    for (unsigned i = 1; i < 8; i++)
        assert_int_equal(ste.dw[i], 0);
}

/* Bypass: Config 0b100; SHCFG is STE[109:108] = dw1[45:44], 0b01 = incoming. */
static void test_ste_bypass(void **state unused)
{
    struct smmu_ste ste;

    fill(&ste);
    smmu_ste_bypass(&ste);
    assert_int_equal(bits(ste.dw[0], 0, 0), 1);
    assert_int_equal(bits(ste.dw[0], 3, 1), 0x4);
    assert_int_equal(ste.dw[0], 0x9);
    assert_int_equal(ste.dw[1], 1ULL << 44);
    for (unsigned i = 2; i < 8; i++)
        assert_int_equal(ste.dw[i], 0);
}

/* A VTCR_EL2 like granite's for a 40-bit IPA: T0SZ 24, SL0 1, IRGN0/ORGN0
 * WBWA, SH0 inner, TG0 4K, PS 2 (40 bits). */
#define VTCR_40 (24ULL | (1ULL << 6) | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | \
                 (0ULL << 14) | (2ULL << 16))

/* Stage 2 only: Config [3:1] = 0b110.  dw2 = STE[191:128]: S2VMID [15:0],
 * S2T0SZ [37:32], S2SL0 [39:38], S2IR0 [41:40], S2OR0 [43:42], S2SH0 [45:44],
 * S2TG [47:46], S2PS [50:48], S2AA64 51, S2ENDI 52, S2AFFD 53, S2PTW 54,
 * S2HD 55, S2HA 56, S2S 57, S2R 58.  dw3: S2TTB [51:4]. */
static void test_ste_s2_fields(void **state unused)
{
    struct smmu_s2_config c = { .vmid = 0x42, .vtcr = VTCR_40, .ps_field = 2,
                                .ttb = pa(0x0000008123456000ULL) };
    struct smmu_ste ste;

    fill(&ste);
    smmu_ste_s2(&ste, &c);
    assert_int_equal(bits(ste.dw[0], 0, 0), 1);
    assert_int_equal(bits(ste.dw[0], 3, 1), 0x6);
    assert_int_equal(ste.dw[0], 0xd);
    assert_int_equal(bits(ste.dw[1], 45, 44), 1);         /* SHCFG incoming */
    assert_int_equal(ste.dw[1], 1ULL << 44);
    assert_int_equal(bits(ste.dw[2], 15, 0), 0x42);
    assert_int_equal(bits(ste.dw[2], 31, 16), 0);
    assert_int_equal(bits(ste.dw[2], 37, 32), 24);
    assert_int_equal(bits(ste.dw[2], 39, 38), 1);
    assert_int_equal(bits(ste.dw[2], 41, 40), 1);
    assert_int_equal(bits(ste.dw[2], 43, 42), 1);
    assert_int_equal(bits(ste.dw[2], 45, 44), 3);
    assert_int_equal(bits(ste.dw[2], 47, 46), 0);
    assert_int_equal(bits(ste.dw[2], 50, 48), 2);
    assert_int_equal(bits(ste.dw[2], 51, 51), 1);         /* S2AA64 */
    assert_int_equal(bits(ste.dw[2], 52, 52), 0);         /* S2ENDI: little endian */
    assert_int_equal(bits(ste.dw[2], 53, 53), 0);         /* S2AFFD: AF faults on */
    assert_int_equal(bits(ste.dw[2], 54, 54), 1);         /* S2PTW */
    assert_int_equal(bits(ste.dw[2], 56, 55), 0);         /* no HTTU */
    assert_int_equal(bits(ste.dw[2], 57, 57), 0);         /* S2S: no stall */
    assert_int_equal(bits(ste.dw[2], 58, 58), 1);         /* S2R: record */
    assert_int_equal(bits(ste.dw[2], 63, 59), 0);
    assert_int_equal(ste.dw[2], 0x044a355800000042ULL);
    assert_int_equal(bits(ste.dw[3], 51, 4), 0x0000008123456000ULL >> 4);
    assert_int_equal(ste.dw[3], 0x0000008123456000ULL);
    for (unsigned i = 4; i < 8; i++)
        assert_int_equal(ste.dw[i], 0);
}

/* S2TG follows VTCR.TG0 (same encoding), S2PS comes from ps_field and not
 * from VTCR.PS, VMID uses all 16 bits, and TTB bits outside [51:4] drop. */
static void test_ste_s2_inputs(void **state unused)
{
    struct smmu_s2_config c = {
        .vmid = 0xfedc,
        .vtcr = 16ULL | (2ULL << 6) | (2ULL << 14) | (5ULL << 16) | (1ULL << 19) /* VS */,
        .ps_field = 4,
        .ttb = pa(0xfff0000040001fffULL),
    };
    struct smmu_ste ste;

    smmu_ste_s2(&ste, &c);
    assert_int_equal(bits(ste.dw[2], 15, 0), 0xfedc);
    assert_int_equal(bits(ste.dw[2], 37, 32), 16);
    assert_int_equal(bits(ste.dw[2], 39, 38), 2);
    assert_int_equal(bits(ste.dw[2], 47, 46), 2);         /* 16K */
    assert_int_equal(bits(ste.dw[2], 50, 48), 4);         /* not VTCR.PS 5 */
    assert_int_equal(bits(ste.dw[2], 41, 40), 0);
    assert_int_equal(bits(ste.dw[2], 45, 42), 0);
    assert_int_equal(ste.dw[3], 0x0000000040001ff0ULL);
}

/* Stage 1 only: Config 0b101, S1Fmt [5:4] = 0 (linear), S1ContextPtr [55:6],
 * S1CDMax [63:59] = 0.  dw1: S1CIR [3:2] / S1COR [5:4] = WBRA (1), S1CSH [7:6]
 * = inner (3), STRW [31:30] = NS-EL1 (0), SHCFG [45:44] = incoming (1),
 * PRIVCFG [49:48] = privileged (0b11). */
static void test_ste_s1(void **state unused)
{
    struct smmu_ste ste;

    fill(&ste);
    smmu_ste_s1(&ste, pa(0x0000004080012340ULL));
    assert_int_equal(bits(ste.dw[0], 0, 0), 1);
    assert_int_equal(bits(ste.dw[0], 3, 1), 0x5);
    assert_int_equal(bits(ste.dw[0], 5, 4), 0);
    assert_int_equal(bits(ste.dw[0], 55, 6), 0x0000004080012340ULL >> 6);
    assert_int_equal(bits(ste.dw[0], 63, 59), 0);
    assert_int_equal(ste.dw[0], 0x0000004080012340ULL | 0xb);
    assert_int_equal(bits(ste.dw[1], 3, 2), 1);
    assert_int_equal(bits(ste.dw[1], 5, 4), 1);
    assert_int_equal(bits(ste.dw[1], 7, 6), 3);
    assert_int_equal(bits(ste.dw[1], 31, 30), 0);
    assert_int_equal(bits(ste.dw[1], 45, 44), 1);
    assert_int_equal(bits(ste.dw[1], 49, 48), 3);
    assert_int_equal(bits(ste.dw[1], 51, 50), 0);         /* INSTCFG incoming */
    assert_int_equal(ste.dw[1], 0xd4 | (1ULL << 44) | (3ULL << 48));
    for (unsigned i = 2; i < 8; i++)
        assert_int_equal(ste.dw[i], 0);
    /* CDs are 64-byte aligned: pointer bits [5:0] are not address bits. */
    smmu_ste_s1(&ste, pa(0x000000408001237fULL));
    assert_int_equal(ste.dw[0], 0x0000004080012340ULL | 0xb);
}

/* Without IDR1.ATTR_TYPES_OVR [27], SHCFG is RES0; without ATTR_PERMS_OVR
 * [26], PRIVCFG/INSTCFG/NSCFG are RES0 (5.2).  With them, kept. */
static void test_ste_drop_unsupported_overrides(void **state unused)
{
    struct smmu_features none, all;
    struct smmu_ste ste;

    smmu_decode_features(0, 0, 5, &none);
    smmu_decode_features(0, (1U << 26) | (1U << 27), 5, &all);

    smmu_ste_s1(&ste, pa(0x1000));
    smmu_ste_drop_unsupported_overrides(&ste, &none);
    assert_int_equal(bits(ste.dw[1], 45, 44), 0);
    assert_int_equal(bits(ste.dw[1], 49, 48), 0);
    assert_int_equal(ste.dw[1], 0xd4);                    /* CD fetch attrs kept */

    smmu_ste_s1(&ste, pa(0x1000));
    smmu_ste_drop_unsupported_overrides(&ste, &all);
    assert_int_equal(bits(ste.dw[1], 45, 44), 1);
    assert_int_equal(bits(ste.dw[1], 49, 48), 3);

    smmu_ste_bypass(&ste);
    smmu_ste_drop_unsupported_overrides(&ste, &none);
    assert_int_equal(ste.dw[1], 0);
    assert_int_equal(ste.dw[0], 0x9);
}

/* ------------------------------------------------------------------------ */
/* Context Descriptor (5.4)                                                  */
/* ------------------------------------------------------------------------ */

/* dw0: T0SZ [5:0], TG0 [7:6], IR0 [9:8], OR0 [11:10], SH0 [13:12], EPD0 14,
 * ENDI 15, EPD1 30, V 31, IPS [34:32], AFFD 35, AA64 41, HD 42, HA 43, S 44,
 * R 45, A 46, ASET 47, ASID [63:48].  dw1: TTB0 [51:4].  dw3: MAIR. */
static void test_cd_s1(void **state unused)
{
    struct smmu_s1_config c = { .asid = 0x77, .ttb0 = pa(0x0000000880041000ULL), .t0sz = 25,
                                .ips_field = 2, .mair = 0x000000000044ff04ULL };
    struct smmu_cd cd;

    memset(&cd, 0xa5, sizeof(cd));
    smmu_cd_s1(&cd, &c);
    assert_int_equal(bits(cd.dw[0], 5, 0), 25);
    assert_int_equal(bits(cd.dw[0], 7, 6), 0);            /* 4K */
    assert_int_equal(bits(cd.dw[0], 9, 8), 1);            /* WBWA */
    assert_int_equal(bits(cd.dw[0], 11, 10), 1);
    assert_int_equal(bits(cd.dw[0], 13, 12), 3);          /* inner shareable */
    assert_int_equal(bits(cd.dw[0], 14, 14), 0);          /* EPD0: walk TTB0 */
    assert_int_equal(bits(cd.dw[0], 15, 15), 0);          /* little endian */
    assert_int_equal(bits(cd.dw[0], 29, 16), 0);          /* no TTB1 setup */
    assert_int_equal(bits(cd.dw[0], 30, 30), 1);          /* EPD1 */
    assert_int_equal(bits(cd.dw[0], 31, 31), 1);          /* V */
    assert_int_equal(bits(cd.dw[0], 34, 32), 2);
    assert_int_equal(bits(cd.dw[0], 40, 35), 0);          /* AFFD, WXN, UWXN, TBI, PAN */
    assert_int_equal(bits(cd.dw[0], 41, 41), 1);          /* AA64 */
    assert_int_equal(bits(cd.dw[0], 43, 42), 0);          /* no HTTU */
    assert_int_equal(bits(cd.dw[0], 44, 44), 0);          /* S: no stall */
    assert_int_equal(bits(cd.dw[0], 45, 45), 1);          /* R */
    assert_int_equal(bits(cd.dw[0], 46, 46), 1);          /* A */
    assert_int_equal(bits(cd.dw[0], 47, 47), 1);          /* ASET */
    assert_int_equal(bits(cd.dw[0], 63, 48), 0x77);
    assert_int_equal(cd.dw[0], 0x0077e202c0003519ULL);
    assert_int_equal(cd.dw[1], 0x0000000880041000ULL);
    assert_int_equal(cd.dw[2], 0);
    assert_int_equal(cd.dw[3], 0x000000000044ff04ULL);
    for (unsigned i = 4; i < 8; i++)
        assert_int_equal(cd.dw[i], 0);
    /* TTB0 keeps PA[51:4] only. */
    c.ttb0 = pa(0xfffff00880041fffULL);
    smmu_cd_s1(&cd, &c);
    assert_int_equal(cd.dw[1], 0x000ff00880041ff0ULL);
}

/* ------------------------------------------------------------------------ */
/* Commands (chapter 4)                                                      */
/* ------------------------------------------------------------------------ */

static void poison(struct smmu_cmd *c) { c->dw[0] = c->dw[1] = 0xa5a5a5a5a5a5a5a5ULL; }

/* CMD_CFGI_STE (4.3.1): opcode 0x03 in [7:0], StreamID [63:32], Leaf dw1[0]. */
static void test_cmd_cfgi_ste(void **state unused)
{
    struct smmu_cmd c;

    poison(&c);
    smmu_cmd_cfgi_ste(&c, 0x1234, true);
    assert_int_equal(c.dw[0], 0x0000123400000003ULL);
    assert_int_equal(c.dw[1], 1);
    poison(&c);
    smmu_cmd_cfgi_ste(&c, 0xffffffff, false);
    assert_int_equal(c.dw[0], 0xffffffff00000003ULL);
    assert_int_equal(c.dw[1], 0);
}

/* CMD_CFGI_ALL (4.3.6): CMD_CFGI_STE_RANGE (0x04) with Range [4:0] = 31. */
static void test_cmd_cfgi_all(void **state unused)
{
    struct smmu_cmd c;

    poison(&c);
    smmu_cmd_cfgi_all(&c);
    assert_int_equal(c.dw[0], 0x04);
    assert_int_equal(c.dw[1], 31);
}

/* TLBI commands (4.4): VMID [47:32], ASID [63:48]; dw1: Leaf [0], TTL [9:8],
 * TG [11:10], Address [63:12] (IPA [51:12] for S2_IPA). */
static void test_cmd_tlbi_vmid_asid(void **state unused)
{
    struct smmu_cmd c;

    poison(&c);
    smmu_cmd_tlbi_s12_vmall(&c, 7);
    assert_int_equal(c.dw[0], 0x0000000700000028ULL);
    assert_int_equal(c.dw[1], 0);

    poison(&c);
    smmu_cmd_tlbi_nh_asid(&c, 0x1234, 0xabcd);
    assert_int_equal(c.dw[0], 0xabcd123400000011ULL);
    assert_int_equal(c.dw[1], 0);

    poison(&c);
    smmu_cmd_tlbi_nh_all(&c, 0xffff);
    assert_int_equal(c.dw[0], 0x0000ffff00000010ULL);
    assert_int_equal(c.dw[1], 0);

    poison(&c);
    smmu_cmd_tlbi_el2_all(&c);
    assert_int_equal(c.dw[0], 0x20);
    assert_int_equal(c.dw[1], 0);

    poison(&c);
    smmu_cmd_tlbi_nsnh_all(&c);
    assert_int_equal(c.dw[0], 0x30);
    assert_int_equal(c.dw[1], 0);
}

static void test_cmd_tlbi_s2_ipa(void **state unused)
{
    struct smmu_cmd c;

    poison(&c);
    smmu_cmd_tlbi_s2_ipa(&c, 3, iova(0x0000008123456789ULL), true);
    assert_int_equal(c.dw[0], 0x000000030000002aULL);
    assert_int_equal(c.dw[1], 0x0000008123456000ULL | 1);
    assert_int_equal(bits(c.dw[1], 11, 8), 0);            /* no TG/TTL hint */

    smmu_cmd_tlbi_s2_ipa(&c, 3, iova(0xfff0000000001fffULL), false);
    assert_int_equal(c.dw[1], 0x1000);                    /* bits above 51, below 12 dropped */
    smmu_cmd_tlbi_s2_ipa(&c, 3, iova(0x000f000000000000ULL), false);
    assert_int_equal(c.dw[1], 0x000f000000000000ULL);     /* IPA[51:48] kept */
}

/* The range form (SMMU_IDR3.RIL, 4.4.1.1): NUM [16:12], SCALE [24:20] of
 * dw0, TG [11:10] of dw1 = 1 for 4 KiB; (NUM + 1) << SCALE pages. */
static void test_cmd_tlbi_s2_ipa_range(void **state unused)
{
    struct smmu_cmd c;

    poison(&c);
    assert_int_equal(smmu_cmd_tlbi_s2_ipa_range(&c, 3, iova(0x40000000ULL), 64), 64);
    assert_int_equal(bits(c.dw[0], 7, 0), 0x2a);
    assert_int_equal(bits(c.dw[0], 47, 32), 3);           /* VMID */
    assert_int_equal(bits(c.dw[0], 16, 12), 0);           /* NUM: 1 unit ... */
    assert_int_equal(bits(c.dw[0], 24, 20), 6);           /* ... of 2^6 pages */
    assert_int_equal(bits(c.dw[1], 11, 10), 1);           /* TG 4 KiB */
    assert_int_equal(bits(c.dw[1], 9, 8), 0);             /* TTL: no level hint */
    assert_int_equal(c.dw[1] & 1, 0);                     /* not leaf-only */
    assert_int_equal(c.dw[1] & ~0xfffULL, 0x40000000ULL);

    /* 5 pages: NUM 4, SCALE 0, one command */
    assert_int_equal(smmu_cmd_tlbi_s2_ipa_range(&c, 3, iova(0x1000), 5), 5);
    assert_int_equal(bits(c.dw[0], 16, 12), 4);
    assert_int_equal(bits(c.dw[0], 24, 20), 0);
    /* 33 pages: at most 32 units of 2^0: 32, then 1 more */
    assert_int_equal(smmu_cmd_tlbi_s2_ipa_range(&c, 3, iova(0x1000), 33), 32);
    assert_int_equal(bits(c.dw[0], 16, 12), 31);
    /* 0 pages: still one page, never nothing */
    assert_int_equal(smmu_cmd_tlbi_s2_ipa_range(&c, 3, iova(0x1000), 0), 1);

    assert_int_equal(smmu_tlbi_range_cmds(1), 1);
    assert_int_equal(smmu_tlbi_range_cmds(31), 1);
    assert_int_equal(smmu_tlbi_range_cmds(32), 1);
    assert_int_equal(smmu_tlbi_range_cmds(33), 2);
    assert_int_equal(smmu_tlbi_range_cmds(64), 1);
    assert_int_equal(smmu_tlbi_range_cmds(128), 1);
    assert_int_equal(smmu_tlbi_range_cmds(3 << 5), 1);        /* 3 units of 32 pages */
    assert_int_equal(smmu_tlbi_range_cmds(0x21), 2);          /* 1 + 32 pages */
    /* SCALE tops out at 31 and NUM at 32 units: 2^40 pages are 16 x 2^36 */
    assert_int_equal(smmu_tlbi_range_cmds(1UL << 40), 16);
}

/* CMD_SYNC (4.7.3): opcode 0x46, CS [13:12]: 0 none, 1 IRQ, 2 SEV. */
static void test_cmd_sync(void **state unused)
{
    struct smmu_cmd c;

    poison(&c);
    smmu_cmd_sync(&c, SMMU_CMD_SYNC_CS_NONE);
    assert_int_equal(c.dw[0], 0x46);
    assert_int_equal(c.dw[1], 0);
    smmu_cmd_sync(&c, SMMU_CMD_SYNC_CS_IRQ);
    assert_int_equal(c.dw[0], 0x1046);
    smmu_cmd_sync(&c, SMMU_CMD_SYNC_CS_SEV);
    assert_int_equal(c.dw[0], 0x2046);
    assert_int_equal(SMMU_CMD_SYNC_CS_NONE, 0);
    assert_int_equal(SMMU_CMD_SYNC_CS_IRQ, 1);
    assert_int_equal(SMMU_CMD_SYNC_CS_SEV, 2);
}

/* Opcodes read back, and the names of every opcode in chapter 4's lists. */
static void test_cmd_opcodes_and_names(void **state unused)
{
    static const struct { unsigned op; const char *name; } want[] = {
        { 0x01, "CMD_PREFETCH_CONFIG" }, { 0x02, "CMD_PREFETCH_ADDR" },
        { 0x03, "CMD_CFGI_STE" }, { 0x04, "CMD_CFGI_ALL" }, { 0x05, "CMD_CFGI_CD" },
        { 0x06, "CMD_CFGI_CD_ALL" }, { 0x10, "CMD_TLBI_NH_ALL" },
        { 0x11, "CMD_TLBI_NH_ASID" }, { 0x12, "CMD_TLBI_NH_VA" },
        { 0x13, "CMD_TLBI_NH_VAA" }, { 0x18, "CMD_TLBI_EL3_ALL" },
        { 0x1a, "CMD_TLBI_EL3_VA" }, { 0x20, "CMD_TLBI_EL2_ALL" },
        { 0x21, "CMD_TLBI_EL2_ASID" }, { 0x22, "CMD_TLBI_EL2_VA" },
        { 0x23, "CMD_TLBI_EL2_VAA" }, { 0x28, "CMD_TLBI_S12_VMALL" },
        { 0x2a, "CMD_TLBI_S2_IPA" }, { 0x30, "CMD_TLBI_NSNH_ALL" },
        { 0x40, "CMD_ATC_INV" }, { 0x41, "CMD_PRI_RESP" }, { 0x44, "CMD_RESUME" },
        { 0x45, "CMD_STALL_TERM" }, { 0x46, "CMD_SYNC" },
    };
    struct smmu_cmd c;

    for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
        assert_string_equal(smmu_cmd_name(want[i].op), want[i].name);
    assert_string_equal(smmu_cmd_name(0x00), "?");
    assert_string_equal(smmu_cmd_name(0x07), "?");
    assert_string_equal(smmu_cmd_name(0x47), "?");
    assert_string_equal(smmu_cmd_name(0x1ff), "?");

    smmu_cmd_cfgi_ste(&c, 0xffffffff, true);
    assert_int_equal(smmu_cmd_opcode(&c), 0x03);
    smmu_cmd_tlbi_nh_asid(&c, 0xffff, 0xffff);
    assert_int_equal(smmu_cmd_opcode(&c), 0x11);
    smmu_cmd_sync(&c, SMMU_CMD_SYNC_CS_SEV);
    assert_int_equal(smmu_cmd_opcode(&c), 0x46);
}

/* SMMU_CMDQ_CONS.ERR [30:24] values (7.1). */
static void test_cmd_error_names(void **state unused)
{
    assert_string_equal(smmu_cmd_error_name(0), "CERROR_NONE");
    assert_string_equal(smmu_cmd_error_name(1), "CERROR_ILL");
    assert_string_equal(smmu_cmd_error_name(2), "CERROR_ABT");
    assert_string_equal(smmu_cmd_error_name(3), "CERROR_ATC_INV_SYNC");
    assert_string_equal(smmu_cmd_error_name(4), "?");
    assert_string_equal(smmu_cmd_error_name(0x7f), "?");
}

/* ------------------------------------------------------------------------ */
/* Event records (7.3)                                                       */
/* ------------------------------------------------------------------------ */

/* Event record: type [7:0], SSV [11], SubstreamID [31:12], StreamID [63:32];
 * STAG [79:64], Stall [95], PnU [97], InD [98], RnW [99], S2 [103],
 * CLASS [105:104]; InputAddr [191:128]; IPA [243:204] (dw3[51:12]). */
static void test_event_stage2_translation_fault(void **state unused)
{
    u64 rec[4] = {
        0x10 | (1ULL << 11) | (0x55ULL << 12) | (0x1234ULL << 32),
        (1ULL << 35) | (1ULL << 39) | (2ULL << 40),
        0x0000004000123456ULL,
        0x0000008040123000ULL | 0xabc, /* low bits RES0: ignored */
    };
    struct smmu_event e;

    memset(&e, 0xa5, sizeof(e));
    smmu_event_decode(rec, &e);
    assert_int_equal(e.type, 0x10);
    assert_int_equal(e.sid, 0x1234);
    assert_true(e.ssv);
    assert_int_equal(e.ssid, 0x55);
    assert_true(e.has_addr);
    assert_int_equal(iova_addr(e.iova), 0x0000004000123456ULL);
    assert_int_equal(ipa_addr(e.ipa), 0x0000008040123000ULL);
    assert_true(e.read);
    assert_true(e.stage2);
    assert_false(e.instr);
    assert_false(e.priv);
    assert_int_equal(e.class_, 2);
    assert_int_equal(pa_addr(e.fetch_addr), 0);
    assert_string_equal(smmu_event_name(e.type), "F_TRANSLATION");
}

/* A stage 1 permission fault on a privileged instruction fetch: no IPA. */
static void test_event_stage1_permission_fault(void **state unused)
{
    u64 rec[4] = {
        0x13 | (0xffffffffULL << 32),
        (1ULL << 33) | (1ULL << 34) | (0ULL << 35) | (1ULL << 40),
        0xffff800000001000ULL,
        0x0000000012345000ULL,
    };
    struct smmu_event e;

    smmu_event_decode(rec, &e);
    assert_int_equal(e.type, 0x13);
    assert_int_equal(e.sid, 0xffffffff);
    assert_false(e.ssv);
    assert_int_equal(e.ssid, 0);
    assert_true(e.has_addr);
    assert_int_equal(iova_addr(e.iova), 0xffff800000001000ULL);
    assert_int_equal(ipa_addr(e.ipa), 0);                           /* stage 1: UNKNOWN */
    assert_false(e.read);
    assert_false(e.stage2);
    assert_true(e.instr);
    assert_true(e.priv);
    assert_int_equal(e.class_, 1);
}

/* Each translation-class number gets the address fields; others do not. */
static void test_event_address_classes(void **state unused)
{
    static const struct { unsigned type; bool has_addr, has_ipa; } want[] = {
        { 0x01, false, false }, { 0x02, false, false }, { 0x03, false, false },
        { 0x04, false, false }, { 0x06, false, false }, { 0x0a, false, false },
        { 0x0b, true, false },  { 0x10, true, true },   { 0x11, true, true },
        { 0x12, true, true },   { 0x13, true, true },   { 0x20, false, false },
        { 0x25, false, false },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
        u64 rec[4] = { want[i].type | (7ULL << 32), (1ULL << 35) | (1ULL << 39),
                       0x5000, 0x9000 };
        struct smmu_event e;

        smmu_event_decode(rec, &e);
        assert_int_equal(e.type, want[i].type);
        assert_int_equal(e.sid, 7);
        assert_int_equal(e.has_addr, want[i].has_addr);
        assert_int_equal(iova_addr(e.iova), want[i].has_addr ? 0x5000 : 0);
        assert_int_equal(e.read, want[i].has_addr);
        assert_int_equal(ipa_addr(e.ipa), want[i].has_ipa ? 0x9000 : 0);
    }
}

/* Fetch faults carry FetchAddr in dw3 (F_STE_FETCH: EVT[247:195] =
 * FetchAddr[55:3]); C_BAD_SUBSTREAMID's SubstreamID is valid without SSV. */
static void test_event_fetch_and_substream(void **state unused)
{
    u64 ste_fetch[4] = { 0x03 | (9ULL << 32), 0, 0, 0x0000000080001040ULL | 0x7 };
    u64 walk[4] = { 0x0b | (9ULL << 32), (1ULL << 39) | (1ULL << 40), 0x2000,
                    0x0000000080002008ULL };
    u64 bad_ssid[4] = { 0x08 | (0x3ULL << 12) | (9ULL << 32), 0, 0, 0 };
    u64 bad_ste[4] = { 0x04 | (1ULL << 11) | (0x4ULL << 12) | (9ULL << 32), 0, 0, 0 };
    struct smmu_event e;

    smmu_event_decode(ste_fetch, &e);
    assert_int_equal(pa_addr(e.fetch_addr), 0x0000000080001040ULL);
    assert_false(e.has_addr);
    smmu_event_decode(walk, &e);
    assert_int_equal(pa_addr(e.fetch_addr), 0x0000000080002008ULL);
    assert_true(e.has_addr);
    assert_true(e.stage2);
    assert_int_equal(e.class_, 1);
    assert_int_equal(ipa_addr(e.ipa), 0);
    smmu_event_decode(bad_ssid, &e);
    assert_true(e.ssv);
    assert_int_equal(e.ssid, 3);
    smmu_event_decode(bad_ste, &e);
    assert_true(e.ssv);
    assert_int_equal(e.ssid, 4);
    assert_int_equal(e.sid, 9);
    assert_int_equal(pa_addr(e.fetch_addr), 0);
}

/* Event numbers (7.3.2-7.3.21). */
static void test_event_names(void **state unused)
{
    static const struct { unsigned type; const char *name; } want[] = {
        { 0x01, "F_UUT" }, { 0x02, "C_BAD_STREAMID" }, { 0x03, "F_STE_FETCH" },
        { 0x04, "C_BAD_STE" }, { 0x05, "F_BAD_ATS_TREQ" }, { 0x06, "F_STREAM_DISABLED" },
        { 0x07, "F_TRANSL_FORBIDDEN" }, { 0x08, "C_BAD_SUBSTREAMID" },
        { 0x09, "F_CD_FETCH" }, { 0x0a, "C_BAD_CD" }, { 0x0b, "F_WALK_EABT" },
        { 0x10, "F_TRANSLATION" }, { 0x11, "F_ADDR_SIZE" }, { 0x12, "F_ACCESS" },
        { 0x13, "F_PERMISSION" }, { 0x20, "F_TLB_CONFLICT" }, { 0x21, "F_CFG_CONFLICT" },
        { 0x24, "E_PAGE_REQUEST" }, { 0x25, "F_VMS_FETCH" },
        { 0xe0, "IMPDEF_EVENT" }, { 0xef, "IMPDEF_EVENT" },
        { 0x00, "?" }, { 0x0c, "?" }, { 0x14, "?" }, { 0x22, "?" }, { 0x26, "?" },
        { 0xdf, "?" }, { 0xf0, "?" }, { 0x100, "?" },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(want); i++)
        assert_string_equal(smmu_event_name(want[i].type), want[i].name);
}

/* ------------------------------------------------------------------------ */
/* GERROR (6.3 SMMU_GERROR)                                                  */
/* ------------------------------------------------------------------------ */

/* CMDQ_ERR 0, EVENTQ_ABT_ERR 2, PRIQ_ABT_ERR 3, MSI_CMDQ_ABT_ERR 4,
 * MSI_EVENTQ_ABT_ERR 5, MSI_PRIQ_ABT_ERR 6, MSI_GERROR_ABT_ERR 7, SFM_ERR 8. */
static void test_gerror_names(void **state unused)
{
    char buf[160];

    smmu_gerror_names(0, buf, sizeof(buf));
    assert_string_equal(buf, "none");
    smmu_gerror_names(1U << 0, buf, sizeof(buf));
    assert_string_equal(buf, "CMDQ_ERR");
    smmu_gerror_names((1U << 0) | (1U << 2), buf, sizeof(buf));
    assert_string_equal(buf, "CMDQ_ERR EVENTQ_ABT_ERR");
    smmu_gerror_names(0x1fd, buf, sizeof(buf));
    assert_string_equal(buf, "CMDQ_ERR EVENTQ_ABT_ERR PRIQ_ABT_ERR MSI_CMDQ_ABT_ERR "
                             "MSI_EVENTQ_ABT_ERR MSI_PRIQ_ABT_ERR MSI_GERROR_ABT_ERR SFM_ERR");
    smmu_gerror_names(1U << 1, buf, sizeof(buf));         /* reserved bit only */
    assert_string_equal(buf, "none");
    smmu_gerror_names(1U << 8, buf, sizeof(buf));
    assert_string_equal(buf, "SFM_ERR");
}

/* Short buffers are truncated and stay terminated; nothing past len is written. */
static void test_gerror_names_truncation(void **state unused)
{
    char buf[16];

    memset(buf, 'x', sizeof(buf));
    smmu_gerror_names((1U << 0) | (1U << 2), buf, 12);
    assert_string_equal(buf, "CMDQ_ERR EV");
    assert_int_equal(buf[12], 'x');
    memset(buf, 'x', sizeof(buf));
    smmu_gerror_names(0, buf, 3);
    assert_string_equal(buf, "no");
    memset(buf, 'x', sizeof(buf));
    smmu_gerror_names(1, buf, 1);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'x');
    smmu_gerror_names(1, buf, 0);                          /* writes nothing */
    assert_int_equal(buf[0], '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_offsets),
        cmocka_unit_test(test_control_register_bits),
        cmocka_unit_test(test_qemu_id_values_as_hex),
        cmocka_unit_test(test_decode_qemu_nested),
        cmocka_unit_test(test_decode_qemu_stage2),
        cmocka_unit_test(test_decode_qemu_stage1),
        cmocka_unit_test(test_decode_idr0_single_bits),
        cmocka_unit_test(test_decode_ttf_st_level_ttendian),
        cmocka_unit_test(test_decode_idr1_fields),
        cmocka_unit_test(test_decode_oas),
        cmocka_unit_test(test_decode_rejects_out_of_range_sizes),
        cmocka_unit_test(test_geometry_small_is_linear),
        cmocka_unit_test(test_geometry_16_bits_is_two_level),
        cmocka_unit_test(test_geometry_boundaries),
        cmocka_unit_test(test_strtab_base),
        cmocka_unit_test(test_l1_descriptor),
        cmocka_unit_test(test_queue_base),
        cmocka_unit_test(test_queue_empty_and_full),
        cmocka_unit_test(test_queue_next_and_slot),
        cmocka_unit_test(test_queue_model),
        cmocka_unit_test(test_ste_abort),
        cmocka_unit_test(test_ste_bypass),
        cmocka_unit_test(test_ste_s2_fields),
        cmocka_unit_test(test_ste_s2_inputs),
        cmocka_unit_test(test_ste_s1),
        cmocka_unit_test(test_ste_drop_unsupported_overrides),
        cmocka_unit_test(test_cd_s1),
        cmocka_unit_test(test_cmd_cfgi_ste),
        cmocka_unit_test(test_cmd_cfgi_all),
        cmocka_unit_test(test_cmd_tlbi_vmid_asid),
        cmocka_unit_test(test_cmd_tlbi_s2_ipa),
        cmocka_unit_test(test_cmd_tlbi_s2_ipa_range),
        cmocka_unit_test(test_cmd_sync),
        cmocka_unit_test(test_cmd_opcodes_and_names),
        cmocka_unit_test(test_cmd_error_names),
        cmocka_unit_test(test_event_stage2_translation_fault),
        cmocka_unit_test(test_event_stage1_permission_fault),
        cmocka_unit_test(test_event_address_classes),
        cmocka_unit_test(test_event_fetch_and_substream),
        cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_gerror_names),
        cmocka_unit_test(test_gerror_names_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
