/*
 * test_vpl011.c — host unit tests of the emulated PL011 (core/vpl011.c):
 * access sizes (byte, halfword, word where the PL011 answers them, bad sizes
 * logged and harmless), the PrimeCell identification registers, the
 * registers Linux's amba-pl011 driver programs, and the interrupt semantics
 * it relies on (TX raised by a byte leaving, cleared by ICR; RX at the IFLS
 * level, receive timeout, MIS = RIS & IMSC, the line level).
 *
 * Offsets and values are written out here from the PL011 TRM r1p5 (DDI 0183),
 * not taken from vpl011.c, so a wrong constant there fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/vpl011.h>
#include "host_stubs.h"

#define BASE 0x09000000ULL
/* TRM table 3-1 */
#define DR 0x000
#define FR 0x018
#define IBRD 0x024
#define FBRD 0x028
#define LCR_H 0x02C
#define CR 0x030
#define IFLS 0x034
#define IMSC 0x038
#define RIS 0x03C
#define MIS 0x040
#define ICR 0x044
#define DMACR 0x048
#define PERIPHID0 0xFE0
#define PCELLID0 0xFF0
#define FR_TXFE 0x80
#define FR_TXFF 0x20
#define FR_RXFE 0x10
#define FR_RXFF 0x40
#define LCR_H_FEN 0x10
#define RXIM 0x10
#define TXIM 0x20
#define RTIM 0x40

static char out[1024];
static unsigned out_len, lines;
static int irq_level = -1, irq_changes;

static void on_line(struct vpl011 *u, const char *buf, unsigned len)
{
    (void)u;
    memcpy(out + out_len, buf, len);
    out_len += len;
    out[out_len++] = '|';
    out[out_len] = 0;
    lines++;
}

static void on_irq(struct vpl011 *u, bool level)
{
    (void)u;
    irq_level = level;
    irq_changes++;
}

static const struct vpl011_ops ops = { .line = on_line, .irq_level = on_irq };
static struct vpl011 uart;

static int setup(void **state)
{
    (void)state;
    out_len = 0;
    out[0] = 0;
    lines = 0;
    irq_level = -1;
    irq_changes = 0;
    host_log_clear();
    vpl011_init(&uart, BASE, 33, NULL, 1, &ops);
    return 0;
}

static u64 rd(u32 off, unsigned size)
{
    u64 v = 0xdeadbeefdeadbeefULL;
    assert_true(vpl011_mmio(&uart, BASE + off, size, false, &v));
    return v;
}

static void wr(u32 off, unsigned size, u64 v)
{
    assert_true(vpl011_mmio(&uart, BASE + off, size, true, &v));
}

static void test_not_mine(void **state)
{
    u64 v = 0;
    (void)state;
    assert_false(vpl011_mmio(&uart, BASE - 4, 4, false, &v));
    assert_false(vpl011_mmio(&uart, BASE + 0x1000, 4, false, &v));
}

/* TRM 3.3.14/3.3.15: UARTPeriphID0-3 = 0x11, 0x10, 0x34 (r1p5), 0x00;
 * UARTPCellID0-3 = 0x0D, 0xF0, 0x05, 0xB1.  Linux's AMBA bus reads them. */
static void test_primecell_ids(void **state)
{
    static const u8 pid[4] = { 0x11, 0x10, 0x34, 0x00 }, cid[4] = { 0x0d, 0xf0, 0x05, 0xb1 };
    (void)state;
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(rd(PERIPHID0 + 4 * i, 4), pid[i]);
        assert_int_equal(rd(PCELLID0 + 4 * i, 4), cid[i]);
        assert_int_equal(rd(PERIPHID0 + 4 * i, 2), pid[i]);
        assert_int_equal(rd(PCELLID0 + 4 * i, 1), cid[i]);
    }
    assert_int_equal(host_log_count(), 0);
}

/* Linux writes UARTDR, IMSC, CR... with writew and reads FR with readw: the
 * 16-bit accesses the old model refused (console silent after
 * "console [ttyAMA0] enabled"). */
static void test_halfword_accesses(void **state)
{
    (void)state;
    wr(IBRD, 2, 0x1a);
    wr(FBRD, 2, 0x3);
    wr(LCR_H, 2, 0x70);
    wr(CR, 2, 0x301);
    wr(IFLS, 2, 0x12);
    wr(IMSC, 2, RXIM | RTIM);
    assert_int_equal(rd(IBRD, 2), 0x1a);
    assert_int_equal(rd(FBRD, 4), 0x3);
    assert_int_equal(rd(LCR_H, 2), 0x70);
    assert_int_equal(rd(CR, 2), 0x301);
    assert_int_equal(rd(IFLS, 2), 0x12);
    assert_int_equal(rd(IMSC, 2), RXIM | RTIM);
    wr(DR, 2, 'o');
    wr(DR, 2, 'k');
    wr(DR, 2, '\n');
    assert_string_equal(out, "ok|");
    assert_int_equal(rd(FR, 2) & (FR_TXFE | FR_TXFF | FR_RXFE), FR_TXFE | FR_RXFE);
    assert_int_equal(host_log_count(), 0);
}

static void test_byte_accesses(void **state)
{
    (void)state;
    wr(DR, 1, 'a');
    wr(DR, 1, '\n');
    assert_string_equal(out, "a|");
    /* The upper byte of CR alone: the lower byte stays. */
    wr(CR, 4, 0x0301);
    wr(CR + 1, 1, 0x02);
    assert_int_equal(rd(CR, 4), 0x0201);
    assert_int_equal(rd(CR + 1, 1), 0x02);
    assert_int_equal(rd(CR, 1), 0x01);
    wr(IBRD + 2, 2, 0xffff); /* above the 16-bit register: nothing */
    assert_int_equal(rd(IBRD, 4), 0);
    assert_int_equal(host_log_count(), 0);
}

static void test_bad_sizes_logged(void **state)
{
    (void)state;
    assert_int_equal(rd(FR, 8), 0);
    assert_int_equal(rd(FR + 1, 2), 0);    /* misaligned halfword */
    assert_int_equal(rd(CR + 2, 4), 0);    /* misaligned word */
    wr(DR + 1, 2, 'x');
    assert_int_equal(lines, 0);
    assert_int_equal(out_len, 0);
    assert_true(host_log_count() >= 4);
    assert_true(host_log_contains("vpl011: d1:"));
}

static void test_register_widths(void **state)
{
    (void)state;
    wr(IBRD, 4, 0xffffffff);
    wr(FBRD, 4, 0xffffffff);
    wr(LCR_H, 4, 0xffffffff);
    wr(IFLS, 4, 0xffffffff);
    wr(DMACR, 4, 0xffffffff);
    wr(IMSC, 4, 0xffffffff);
    assert_int_equal(rd(IBRD, 4), 0xffff);
    assert_int_equal(rd(FBRD, 4), 0x3f);
    assert_int_equal(rd(LCR_H, 4), 0xff);
    assert_int_equal(rd(IFLS, 4), 0x3f);
    assert_int_equal(rd(DMACR, 4), 0x7);
    assert_int_equal(rd(IMSC, 4), 0x7ff);
}

static void test_reset_values(void **state)
{
    (void)state;
    assert_int_equal(rd(CR, 4), 0x300);   /* TXE | RXE */
    assert_int_equal(rd(IFLS, 4), 0x12);  /* half full both ways */
    assert_int_equal(rd(IMSC, 4), 0);
    assert_int_equal(rd(RIS, 4), 0);
    assert_int_equal(rd(FR, 4), FR_TXFE | FR_RXFE);
}

/* TX: raised when a byte leaves (the FIFO passes back through the level),
 * cleared by ICR.TXIC and not raised again until the next byte. */
static void test_tx_interrupt(void **state)
{
    (void)state;
    wr(IMSC, 2, TXIM);
    assert_int_equal(rd(MIS, 4), 0);
    assert_true(irq_level != 1);
    wr(DR, 2, 'x');
    assert_int_equal(rd(RIS, 4) & TXIM, TXIM);
    assert_int_equal(rd(MIS, 4), TXIM);
    assert_int_equal(irq_level, 1);
    wr(ICR, 2, TXIM);
    assert_int_equal(rd(RIS, 4) & TXIM, 0);
    assert_int_equal(irq_level, 0);
    wr(DR, 2, 'y');
    assert_int_equal(irq_level, 1);
    wr(IMSC, 2, 0); /* masked: the line drops, RIS keeps it */
    assert_int_equal(irq_level, 0);
    assert_int_equal(rd(RIS, 4) & TXIM, TXIM);
    assert_int_equal(rd(MIS, 4), 0);
}

/* RX with FIFOs on (LCR_H.FEN) and RXIFLSEL = 1/2: RXRIS at 16 entries;
 * RTRIS as soon as anything waits, cleared when read empty or by ICR. */
static void test_rx_fifo_level(void **state)
{
    (void)state;
    wr(LCR_H, 2, LCR_H_FEN | 0x60);
    wr(IMSC, 2, RXIM | RTIM);
    assert_true(vpl011_receive(&uart, 'a'));
    assert_int_equal(rd(RIS, 4) & (RXIM | RTIM), RTIM);
    assert_int_equal(irq_level, 1);
    for (int i = 1; i < 16; i++)
        assert_true(vpl011_receive(&uart, (char)('a' + i)));
    assert_int_equal(rd(RIS, 4) & (RXIM | RTIM), RXIM | RTIM);
    assert_int_equal(rd(FR, 2) & FR_RXFE, 0);
    assert_int_equal(rd(DR, 2), 'a');
    assert_int_equal(rd(RIS, 4) & RXIM, 0);         /* 15 < 16 */
    wr(ICR, 2, RTIM);
    assert_int_equal(rd(RIS, 4) & RTIM, 0);
    assert_int_equal(irq_level, 0);
    for (int i = 1; i < 16; i++)
        assert_int_equal(rd(DR, 4), 'a' + i);
    assert_int_equal(rd(FR, 2) & FR_RXFE, FR_RXFE);
    /* Full FIFO: 32 entries, the 33rd refused. */
    for (int i = 0; i < 32; i++)
        assert_true(vpl011_receive(&uart, 'z'));
    assert_false(vpl011_receive(&uart, 'z'));
    assert_int_equal(rd(FR, 2) & FR_RXFF, FR_RXFF);
    /* A byte read of UARTDR's upper half (error bits) must not consume data. */
    assert_int_equal(rd(DR + 1, 1), 0);
    assert_int_equal(rd(FR, 2) & FR_RXFF, FR_RXFF);
}

/* Without FEN the PL011 is a one-character holding register: RXRIS at once. */
static void test_rx_no_fifo(void **state)
{
    (void)state;
    wr(IMSC, 4, RXIM);
    assert_true(vpl011_receive(&uart, 'q'));
    assert_int_equal(rd(MIS, 4), RXIM);
    assert_int_equal(irq_level, 1);
    assert_int_equal(rd(DR, 1), 'q');
    assert_int_equal(rd(RIS, 4) & (RXIM | RTIM), 0);
    assert_int_equal(irq_level, 0);
}

static void test_read_only_and_reserved(void **state)
{
    (void)state;
    wr(FR, 4, 0);
    wr(RIS, 4, 0x7ff);
    wr(PERIPHID0, 4, 0);
    assert_int_equal(rd(RIS, 4), 0);
    assert_int_equal(rd(PERIPHID0, 4), 0x11);
    assert_int_equal(rd(0x100, 4), 0);
    assert_int_equal(rd(ICR, 4), 0);
    assert_true(host_log_count() >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_not_mine, setup),
        cmocka_unit_test_setup(test_primecell_ids, setup),
        cmocka_unit_test_setup(test_halfword_accesses, setup),
        cmocka_unit_test_setup(test_byte_accesses, setup),
        cmocka_unit_test_setup(test_bad_sizes_logged, setup),
        cmocka_unit_test_setup(test_register_widths, setup),
        cmocka_unit_test_setup(test_reset_values, setup),
        cmocka_unit_test_setup(test_tx_interrupt, setup),
        cmocka_unit_test_setup(test_rx_fifo_level, setup),
        cmocka_unit_test_setup(test_rx_no_fifo, setup),
        cmocka_unit_test_setup(test_read_only_and_reserved, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
