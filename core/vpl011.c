/*
 * vpl011.c — an emulated Arm PL011 UART (PL011 TRM, DDI 0183), enough for a
 * guest's earlycon and a simple interrupt-driven driver.
 *
 * Transmit is immediate: every byte written to UARTDR is taken at once, so
 * the transmit FIFO always reads empty (UARTFR.TXFE = 1, TXFF = 0) and the
 * transmit interrupt is always raised (RIS.TXRIS).  Bytes are gathered into
 * lines and printed on the real console with the domain's name in front.
 * Receive: characters typed on the real console while this guest has the
 * input focus go into a 32-byte FIFO; RXRIS is set while it is not empty.
 * The interrupt line is (RIS & IMSC) != 0, reported through ops->irq_level.
 *
 * Registers granite does not model (IrDA, DMA, error status) read as zero
 * and ignore writes; each such access, and every access of a bad size, is
 * counted and logged (rate-limited), never fatal.
 */
#include <granite/dlog.h>
#include <granite/vpl011.h>
#include <granite/console.h>

#define UARTDR 0x000
#define UARTRSR 0x004
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

#define FR_TXFE BIT(7)
#define FR_RXFF BIT(6)
#define FR_TXFF BIT(5)
#define FR_RXFE BIT(4)
#define INT_RX BIT(4)
#define INT_TX BIT(5)
#define INT_RT BIT(6)
#define INT_ALL GENMASK(10, 0)

/* PrimeCell identification: part 0x011, designer Arm, revision r1p5. */
static const u8 periph_id[4] = { 0x11, 0x10, 0x34, 0x00 };
static const u8 cell_id[4] = { 0x0d, 0xf0, 0x05, 0xb1 };

#define BAD_ACCESS_LOG_LIMIT 8

static void update_irq(struct vpl011 *u)
{
    bool level;

    u->ris |= INT_TX; /* the transmit FIFO is always empty */
    if (u->rx_len)
        u->ris |= INT_RX | INT_RT;
    else
        u->ris &= ~(INT_RX | INT_RT);
    level = (u->ris & u->imsc) != 0;
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
                          .domid = domid, .ops = ops, .lock = SPINLOCK_INIT };
    u->cr = 0x300; /* TXE | RXE, the reset value */
    u->ifls = 0x12;
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

static u32 read_reg(struct vpl011 *u, u32 off, bool *known)
{
    *known = true;
    switch (off) {
    case UARTDR: {
        u32 c;
        if (!u->rx_len)
            return 0;
        c = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % VPL011_RX_FIFO;
        u->rx_len--;
        return c;
    }
    case UARTFR:
        return FR_TXFE | (u->rx_len ? 0 : FR_RXFE) | (u->rx_len == VPL011_RX_FIFO ? FR_RXFF : 0);
    case UARTIBRD: return u->ibrd;
    case UARTFBRD: return u->fbrd;
    case UARTLCR_H: return u->lcr_h;
    case UARTCR: return u->cr;
    case UARTIFLS: return u->ifls;
    case UARTIMSC: return u->imsc;
    case UARTRIS: return u->ris;
    case UARTMIS: return u->ris & u->imsc;
    case UARTDMACR: return u->dmacr;
    case UARTRSR: return 0; /* no receive errors, ever */
    }
    if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 16)
        return periph_id[(off - UARTPERIPHID0) / 4];
    if (off >= UARTPCELLID0 && off < UARTPCELLID0 + 16)
        return cell_id[(off - UARTPCELLID0) / 4];
    *known = false;
    return 0;
}

static void write_reg(struct vpl011 *u, u32 off, u32 v, bool *known)
{
    *known = true;
    switch (off) {
    case UARTDR: emit(u, (char)(v & 0xff)); break;
    case UARTRSR: break; /* write clears errors: there are none */
    case UARTIBRD: u->ibrd = v & 0xffff; break;
    case UARTFBRD: u->fbrd = v & 0x3f; break;
    case UARTLCR_H: u->lcr_h = v & 0xff; break;
    case UARTCR: u->cr = v & 0xffff; break;
    case UARTIFLS: u->ifls = v & 0x3f; break;
    case UARTIMSC: u->imsc = v & INT_ALL; break;
    case UARTICR: u->ris &= ~(v & INT_ALL); break;
    case UARTDMACR: u->dmacr = v & 7; break;
    default: *known = false; break;
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
    u32 off;
    bool known;

    if (!u->present || ipa < u->base || ipa >= u->base + VPL011_SIZE)
        return false;
    off = (u32)(ipa - u->base);
    spin_lock(&u->lock);
    if ((size != 4 && !(size == 1 && off == UARTDR)) || (off & 3)) {
        /* The TRM defines word accesses; byte access to the data register is
         * what many earlycons do, and is harmless. */
        bad_access(u, off, size, is_write, "unsupported access size or alignment");
        if (!is_write)
            *val = 0;
    } else if (is_write) {
        write_reg(u, off, (u32)*val, &known);
        if (!known)
            bad_access(u, off, size, is_write, "no such register");
    } else {
        *val = read_reg(u, off, &known);
        if (!known)
            bad_access(u, off, size, is_write, "no such register");
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
        update_irq(u);
    }
    spin_unlock(&u->lock);
    return ok;
}
