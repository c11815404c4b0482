/*
 * vpl011.c — an emulated Arm PrimeCell UART (PL011), after the PL011 TRM
 * r1p5 (DDI 0183G), for a guest's earlycon and for Linux's amba-pl011 driver.
 *
 * Accesses (TRM 3.2, 3.3): the PL011 sits on a 32-bit APB bus; behind a bus
 * bridge, byte, halfword and word accesses all reach it.  Linux's driver uses
 * halfword accesses for arm,pl011 (readw/writew), earlycons bytes on UARTDR.
 * So any naturally aligned 1-, 2- or 4-byte access is accepted: a read
 * returns the addressed bytes of the 32-bit register, a write replaces only
 * the addressed bytes (as byte strobes would).  Wider or misaligned accesses
 * are logged (rate-limited) and read as zero.
 *
 * Transmit: every byte written to UARTDR leaves at once, so the transmit FIFO
 * always reads empty (UARTFR.TXFE = 1, TXFF = 0, BUSY = 0).  Writing a byte is
 * the FIFO passing back down through the IFLS transmit level, which is when
 * the TRM raises UARTTXINTR (RIS.TXRIS); writing ICR.TXIC clears it, as on the
 * hardware, and nothing raises it again until the next byte.  (Linux fills the
 * FIFO until TXFF and only then unmasks TXIM, so it never waits for a TX
 * interrupt here.)  Bytes are printed whatever UARTCR says: a real PL011 with
 * UARTEN = 0 keeps them queued; granite's toy guests never set UARTEN.
 * Output is gathered into lines printed with the domain's name in front.
 *
 * Receive: characters typed on the real console while this guest has the
 * input focus go into a 32-entry FIFO (the PL011's depth).  RXRIS is set while
 * the FIFO holds at least the IFLS receive level (one entry with
 * LCR_H.FEN = 0); RTRIS (receive timeout) is set when a character arrives —
 * input comes one keystroke at a time, so the line is idle at once — and
 * clears when the FIFO is read empty or by ICR.RTIC (TRM 2.8.x).
 * The interrupt line is (RIS & IMSC) != 0, reported through ops->irq_level.
 *
 * Registers granite does not model (IrDA, DMA handshakes, modem lines, error
 * status) read as zero and ignore writes; reserved offsets and bad sizes are
 * counted and logged (rate-limited), never fatal.
 */
#include <granite/dlog.h>
#include <granite/vpl011.h>
#include <granite/console.h>

/* Register offsets, TRM table 3-1. */
#define UARTDR 0x000
#define UARTRSR 0x004        /* read: UARTRSR, write: UARTECR */
#define UARTFR 0x018
#define UARTILPR 0x020
#define UARTIBRD 0x024
#define UARTFBRD 0x028
#define UARTLCR_H 0x02C
#define UARTCR 0x030
#define UARTIFLS 0x034
#define UARTIMSC 0x038
#define UARTRIS 0x03C
#define UARTMIS 0x040
#define UARTICR 0x044
#define UARTDMACR 0x048
#define UARTPERIPHID0 0xFE0
#define UARTPCELLID0 0xFF0
#define UART_ID_END 0x1000

/* UARTFR, TRM 3.3.3 */
#define FR_TXFE BIT(7)
#define FR_RXFF BIT(6)
#define FR_TXFF BIT(5)
#define FR_RXFE BIT(4)
/* UARTLCR_H, TRM 3.3.7 */
#define LCR_H_FEN BIT(4)
/* UARTIFLS, TRM 3.3.9: RXIFLSEL [5:3], TXIFLSEL [2:0] */
#define IFLS_RXIFLSEL_SHIFT 3
#define IFLS_SEL_MASK 7U
#define IFLS_RESET 0x12      /* both at half full */
/* UARTCR reset value, TRM 3.3.8: TXE | RXE */
#define CR_RESET 0x300
/* Interrupt bits (IMSC/RIS/MIS/ICR), TRM 3.3.10-3.3.13 */
#define INT_RX BIT(4)
#define INT_TX BIT(5)
#define INT_RT BIT(6)
#define INT_ALL GENMASK(10, 0)
/* Register widths, TRM table 3-1 */
#define IBRD_MASK 0xffffU
#define FBRD_MASK 0x3fU
#define LCR_H_MASK 0xffU
#define CR_MASK 0xffffU
#define IFLS_MASK 0x3fU
#define DMACR_MASK 0x7U
#define ILPR_MASK 0xffU
#define DR_DATA_MASK 0xffU

/* PrimeCell identification, TRM 3.3.14-3.3.15: part number 0x011, designer
 * 0x41 (Arm), revision 3 (r1p5), configuration 0; cell id 0xB105F00D. */
static const u8 periph_id[4] = { 0x11, 0x10, 0x34, 0x00 };
static const u8 cell_id[4] = { 0x0d, 0xf0, 0x05, 0xb1 };

#define BAD_ACCESS_LOG_LIMIT 8

/* FIFO entries at which RXRIS asserts: IFLS.RXIFLSEL 0..4 = 1/8, 1/4, 1/2,
 * 3/4, 7/8 full (TRM 3.3.9); one entry when the FIFOs are off. */
static unsigned rx_trigger(const struct vpl011 *u)
{
    unsigned sel = (u->ifls >> IFLS_RXIFLSEL_SHIFT) & IFLS_SEL_MASK;
    static const unsigned eighths[5] = { 1, 2, 4, 6, 7 };

    if (!(u->lcr_h & LCR_H_FEN))
        return 1;
    return VPL011_RX_FIFO * eighths[sel < 5 ? sel : 2] / 8;
}

static void update_irq(struct vpl011 *u)
{
    bool level = (u->ris & u->imsc) != 0;

    if (level != u->irq_high) {
        u->irq_high = level;
        if (u->ops && u->ops->irq_level)
            u->ops->irq_level(u, level);
    }
}

void vpl011_init(struct vpl011 *u, u64 base, u32 intid, void *owner, unsigned domid,
                 const struct vpl011_ops *ops)
{
    *u = (struct vpl011){ .present = true, .base = base, .intid = intid, .owner = owner,
                          .domid = domid, .ops = ops, .lock = SPINLOCK_INIT(LOCK_VPL011) };
    u->cr = CR_RESET;
    u->ifls = IFLS_RESET;
}

static void emit(struct vpl011 *u, char c)
{
    if (c == '\r')
        return;
    if (c == '\n' || u->line_len == VPL011_LINE_MAX) {
        u->ops->line(u, u->line, u->line_len);
        u->line_len = 0;
        if (c == '\n')
            return;
    }
    u->line[u->line_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
}

void vpl011_flush(struct vpl011 *u)
{
    if (u->present && u->line_len) {
        u->ops->line(u, u->line, u->line_len);
        u->line_len = 0;
    }
}

static u32 pop_rx(struct vpl011 *u)
{
    u32 c;

    if (!u->rx_len)
        return 0;
    c = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % VPL011_RX_FIFO;
    u->rx_len--;
    if (u->rx_len < rx_trigger(u))
        u->ris &= ~INT_RX;
    if (!u->rx_len)
        u->ris &= ~INT_RT;
    return c;
}

/* The 32-bit register at word offset `off`; `pop` when the access covers
 * UARTDR's data byte (a read of only its error bits must not consume it). */
static u32 read_reg(struct vpl011 *u, u32 off, bool pop, bool *known)
{
    *known = true;
    switch (off) {
    case UARTDR: return pop ? pop_rx(u) : 0; /* error bits [11:8]: never any */
    case UARTRSR: return 0;
    case UARTFR:
        return FR_TXFE | (u->rx_len ? 0 : FR_RXFE) | (u->rx_len == VPL011_RX_FIFO ? FR_RXFF : 0);
    case UARTILPR: return u->ilpr;
    case UARTIBRD: return u->ibrd;
    case UARTFBRD: return u->fbrd;
    case UARTLCR_H: return u->lcr_h;
    case UARTCR: return u->cr;
    case UARTIFLS: return u->ifls;
    case UARTIMSC: return u->imsc;
    case UARTRIS: return u->ris;
    case UARTMIS: return u->ris & u->imsc;
    case UARTDMACR: return u->dmacr;
    }
    if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 16)
        return periph_id[(off - UARTPERIPHID0) / 4];
    if (off >= UARTPCELLID0 && off < UART_ID_END)
        return cell_id[(off - UARTPCELLID0) / 4];
    *known = false; /* reserved, or ICR (write-only) */
    return 0;
}

/* Merge the written bytes (`lanes` selects them) into a register's value. */
static u32 merge(u32 old, u32 v, u32 lanes, u32 width_mask)
{
    return ((old & ~lanes) | (v & lanes)) & width_mask;
}

static void write_reg(struct vpl011 *u, u32 off, u32 v, u32 lanes, bool *known)
{
    *known = true;
    switch (off) {
    case UARTDR:
        if (lanes & DR_DATA_MASK) {
            emit(u, (char)(v & DR_DATA_MASK));
            u->ris |= INT_TX; /* the FIFO drained through the TX level at once */
        }
        break;
    case UARTRSR: break; /* UARTECR: clears errors, there are none */
    case UARTILPR: u->ilpr = merge(u->ilpr, v, lanes, ILPR_MASK); break;
    case UARTIBRD: u->ibrd = merge(u->ibrd, v, lanes, IBRD_MASK); break;
    case UARTFBRD: u->fbrd = merge(u->fbrd, v, lanes, FBRD_MASK); break;
    case UARTLCR_H: u->lcr_h = merge(u->lcr_h, v, lanes, LCR_H_MASK); break;
    case UARTCR: u->cr = merge(u->cr, v, lanes, CR_MASK); break;
    case UARTIFLS: u->ifls = merge(u->ifls, v, lanes, IFLS_MASK); break;
    case UARTIMSC: u->imsc = merge(u->imsc, v, lanes, INT_ALL); break;
    case UARTICR: u->ris &= ~(v & lanes & INT_ALL); break;
    case UARTDMACR: u->dmacr = merge(u->dmacr, v, lanes, DMACR_MASK); break;
    default: *known = false; break; /* reserved, or read-only (FR, RIS, MIS, IDs) */
    }
    /* RX level may have moved with FEN or RXIFLSEL. */
    if (off == UARTLCR_H || off == UARTIFLS) {
        if (u->rx_len >= rx_trigger(u))
            u->ris |= INT_RX;
        else
            u->ris &= ~INT_RX;
    }
}

static void bad_access(struct vpl011 *u, u32 off, unsigned size, bool is_write, const char *why)
{
    if (u->bad_accesses++ < BAD_ACCESS_LOG_LIMIT)
        dlog_domid(u->domid, "vpl011: d%u: %s of %u bytes at +0x%x: %s (read as zero / ignored)\n",
                   u->domid, is_write ? "write" : "read", size, off, why);
}

bool vpl011_mmio(struct vpl011 *u, u64 ipa, unsigned size, bool is_write, u64 *val)
{
    u32 off, word, shift, lanes;
    bool known;

    if (!u->present || ipa < u->base || ipa >= u->base + VPL011_SIZE)
        return false;
    off = (u32)(ipa - u->base);
    spin_lock(&u->lock);
    if ((size != 1 && size != 2 && size != 4) || (off & (size - 1))) {
        bad_access(u, off, size, is_write, "unsupported access size or alignment");
        if (!is_write)
            *val = 0;
        spin_unlock(&u->lock);
        return true;
    }
    word = off & ~3U;
    shift = (off & 3U) * 8;
    lanes = (size == 4 ? 0xffffffffU : ((1U << (size * 8)) - 1)) << shift;
    if (is_write) {
        write_reg(u, word, (u32)*val << shift, lanes, &known);
        if (!known)
            bad_access(u, off, size, is_write, "no such writable register");
    } else {
        u32 v = read_reg(u, word, shift == 0, &known);
        *val = (v & lanes) >> shift;
        if (!known)
            bad_access(u, off, size, is_write, "no such readable register");
    }
    update_irq(u);
    spin_unlock(&u->lock);
    return true;
}

bool vpl011_receive(struct vpl011 *u, char c)
{
    bool ok;

    spin_lock(&u->lock);
    ok = u->rx_len < VPL011_RX_FIFO;
    if (ok) {
        u->rx[(u->rx_head + u->rx_len) % VPL011_RX_FIFO] = (u8)c;
        u->rx_len++;
        u->ris |= INT_RT;
        if (u->rx_len >= rx_trigger(u))
            u->ris |= INT_RX;
        update_irq(u);
    }
    spin_unlock(&u->lock);
    return ok;
}
