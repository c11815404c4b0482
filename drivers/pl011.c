/*
 * pl011.c — Arm PrimeCell UART (PL011) transmit, polled.
 *
 * PL011 TRM (DDI 0183): UARTDR at 0x000 is the data register; UARTFR at 0x018
 * holds the flags, TXFF (bit 5) set while the transmit FIFO is full, RXFE
 * (bit 4) while the receive FIFO is empty.  Transmit is polled.  Receive is
 * interrupt-driven (UARTIMSC.RXIM | RTIM): each character typed goes to the
 * console input router (core/console_input.c).  The firmware (or QEMU) has
 * already set the baud rate; granite leaves the line settings alone.
 */
#include <granite/drivers.h>
#include <granite/console.h>

#define UARTDR 0x000
#define UARTFR 0x018
#define UARTFR_TXFF (1U << 5)
#define UARTFR_RXFE (1U << 4)
#define UARTFR_BUSY (1U << 3)
#define UARTIMSC 0x038
#define UARTICR 0x044
#define UART_INT_RX (1U << 4)
#define UART_INT_RT (1U << 6)

struct pl011 {
    volatile u8 *base;
    struct console_driver drv;
};

static struct pl011 uart;

static u32 rd(u32 off) { return *(volatile u32 *)(uart.base + off); }
static void wr(u32 off, u32 v) { *(volatile u32 *)(uart.base + off) = v; }

static void pl011_putc(void *ctx unused, char c)
{
    while (rd(UARTFR) & UARTFR_TXFF)
        ;
    wr(UARTDR, (u8)c);
}

static void pl011_console_init(void *base)
{
    uart.base = base;
    uart.drv = (struct console_driver){ .name = "pl011", .putc = pl011_putc, .ctx = &uart };
    console_register(&uart.drv);
}

/* Receive interrupt: drain the FIFO into the console input router. */
static void (*rx_sink)(char c);

static void pl011_rx_interrupt(u32 intid unused)
{
    /* Clear first, then drain: a character arriving after the last FIFO check
     * raises the interrupt again.  Clearing after the drain could wipe that
     * new interrupt and leave the character stuck (no FIFO: one holding
     * register, and the sender waits for it to empty). */
    wr(UARTICR, UART_INT_RX | UART_INT_RT);
    while (!(rd(UARTFR) & UARTFR_RXFE)) {
        char c = (char)(rd(UARTDR) & 0xff);
        if (rx_sink)
            rx_sink(c);
    }
}

static void pl011_enable_rx(void (*sink)(char c))
{
    rx_sink = sink;
    wr(UARTIMSC, UART_INT_RX | UART_INT_RT);
}

static const struct console_ops pl011_ops = {
    .init = pl011_console_init, .enable_rx = pl011_enable_rx, .rx_interrupt = pl011_rx_interrupt,
};
static const struct driver pl011_driver = {
    .name = "pl011", .class = DRIVER_CONSOLE, .compatible = "arm,pl011", .console = &pl011_ops,
};
DRIVER_REGISTER(pl011_driver);
