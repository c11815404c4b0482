/*
 * cadence_uart.c — the Cadence UART (Zynq-7000, Zynq UltraScale+ "UART0/1") as
 * granite's console: transmit polled, receive interrupt-driven.
 *
 * Registers (Zynq UltraScale+ MPSoC TRM UG1085, "UART" register summary;
 * every register is 32 bits wide and accessed as such):
 *   0x00 Control_reg (CR): TXEN/TXDIS, RXEN/RXDIS, TXRST/RXRST (self-clearing)
 *   0x04 mode_reg (MR): character format — left as the firmware set it
 *   0x08/0x0C Intrpt_en/Intrpt_dis (IER/IDR), 0x14 Chnl_int_sts (ISR, write 1
 *        to clear)
 *   0x1C Rcvr_timeout (RXTOUT), 0x20 Rcvr_FIFO_trigger_level (RXWM)
 *   0x2C Channel_sts (SR): TXFULL (bit 4), TXEMPTY (bit 3), RXEMPTY (bit 1)
 *   0x30 TX_RX_FIFO
 * Assumptions: the boot firmware (FSBL, U-Boot, or QEMU's model) has set the
 * baud rate and the character format; granite only makes sure the
 * transmitter and receiver are enabled (a UART whose CR still holds its reset
 * value, TXDIS|RXDIS, would swallow every character), and never resets the
 * FIFOs, so whatever the firmware queued still goes out.
 * The transmitter may stop for good (its reference clock gated or re-parented
 * by firmware): a character waits for FIFO room at most TX_POLLS_MAX polls,
 * then is dropped and counted; while the FIFO stays full after a drop, further
 * characters are dropped at once rather than each waiting again, so a console
 * that can no longer print costs its callers (who hold the console lock)
 * little.  Transmission resumes by itself when the FIFO drains.
 */
#include <granite/drivers.h>
#include <granite/console.h>

#define CDNS_CR 0x00
#define CDNS_CR_RXEN (1U << 2)
#define CDNS_CR_RXDIS (1U << 3)
#define CDNS_CR_TXEN (1U << 4)
#define CDNS_CR_TXDIS (1U << 5)
#define CDNS_IER 0x08
#define CDNS_IDR 0x0c
#define CDNS_ISR 0x14
#define CDNS_RXTOUT 0x1c
#define CDNS_RXWM 0x20
#define CDNS_SR 0x2c
#define CDNS_SR_RXEMPTY (1U << 1)
#define CDNS_SR_TXFULL (1U << 4)
#define CDNS_FIFO 0x30
/* Interrupt bits, the same in IER, IDR, IMR and ISR. */
#define CDNS_INT_RTRIG (1U << 0)   /* receive FIFO at its trigger level */
#define CDNS_INT_TIMEOUT (1U << 8) /* receiver idle for RXTOUT bit times, FIFO not empty */
#define CDNS_INT_ALL 0x3fffU

/* One character is enough to interrupt (typing is slow); the timeout picks up
 * anything left below a higher level.  RXTOUT counts in units of 4 bit times. */
#define RX_TRIGGER_LEVEL 1
#define RX_TIMEOUT 10
/* Polls of SR for FIFO room before a character is dropped.  At 115200 baud a
 * character leaves the 64-byte FIFO every ~87 us; an MMIO read takes well under
 * 1 us, so this is many character times, not a timing assumption. */
#define TX_POLLS_MAX (1U << 20)

struct cadence_uart {
    volatile u8 *base;
    struct console_driver drv;
    bool tx_stuck;     /* the last character was dropped: the FIFO did not drain */
    u64 tx_dropped;    /* characters dropped, for a debugger */
};

static struct cadence_uart uart;
static void (*rx_sink)(char c);

static u32 rd(u32 off) { return *(volatile u32 *)(uart.base + off); }
static void wr(u32 off, u32 v) { *(volatile u32 *)(uart.base + off) = v; }

/* Room in the transmit FIFO within `polls` reads of SR. */
static bool tx_room(u32 polls)
{
    for (u32 i = 0; i < polls; i++)
        if (!(rd(CDNS_SR) & CDNS_SR_TXFULL))
            return true;
    return false;
}

static void cadence_putc(void *ctx unused, char c)
{
    if (!tx_room(uart.tx_stuck ? 1 : TX_POLLS_MAX)) {
        uart.tx_stuck = true;
        uart.tx_dropped++;
        return;
    }
    uart.tx_stuck = false;
    wr(CDNS_FIFO, (u8)c);
}

static void cadence_console_init(void *base)
{
    u32 cr;

    uart.base = base;
    /* Enable both directions; keep the other CR bits (break control) as they are.
     * The DIS bits win over the EN bits, so they must be cleared. */
    cr = rd(CDNS_CR) & ~(CDNS_CR_TXDIS | CDNS_CR_RXDIS);
    wr(CDNS_CR, cr | CDNS_CR_TXEN | CDNS_CR_RXEN);
    wr(CDNS_IDR, CDNS_INT_ALL); /* nothing interrupts until enable_rx */
    uart.drv = (struct console_driver){ .name = "cadence-uart", .putc = cadence_putc,
                                        .ctx = &uart };
    console_register(&uart.drv);
}

/* Receive interrupt: acknowledge, then drain the FIFO into the console input
 * router.  Acknowledging first means a character arriving after the last FIFO
 * check raises the interrupt again rather than being left behind. */
static void cadence_rx_interrupt(u32 intid unused)
{
    wr(CDNS_ISR, rd(CDNS_ISR));
    while (!(rd(CDNS_SR) & CDNS_SR_RXEMPTY)) {
        char c = (char)(rd(CDNS_FIFO) & 0xff);
        if (rx_sink)
            rx_sink(c);
    }
}

static void cadence_enable_rx(void (*sink)(char c))
{
    rx_sink = sink;
    wr(CDNS_RXWM, RX_TRIGGER_LEVEL);
    wr(CDNS_RXTOUT, RX_TIMEOUT);
    wr(CDNS_ISR, CDNS_INT_ALL);
    wr(CDNS_IER, CDNS_INT_RTRIG | CDNS_INT_TIMEOUT);
}

static const struct console_ops cadence_ops = {
    .init = cadence_console_init,
    .enable_rx = cadence_enable_rx,
    .rx_interrupt = cadence_rx_interrupt,
};

/* Linux's binding lists both names; the ZynqMP tree says "cdns,uart-r1p12",
 * the Zynq-7000 one "xlnx,xuartps".  One registration each. */
static const struct driver cadence_uart_driver = {
    .name = "cadence-uart", .class = DRIVER_CONSOLE, .compatible = "cdns,uart-r1p12",
    .console = &cadence_ops,
};
static const struct driver xuartps_driver = {
    .name = "cadence-uart", .class = DRIVER_CONSOLE, .compatible = "xlnx,xuartps",
    .console = &cadence_ops,
};
DRIVER_REGISTER(cadence_uart_driver);
DRIVER_REGISTER(xuartps_driver);
