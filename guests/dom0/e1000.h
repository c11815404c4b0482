/*
 * e1000.h — dom0's driver for QEMU's "e1000" NIC (Intel 82540EM, PCI
 * 8086:100e), as a guest that owns the PCIe host bridge sees it.
 *
 * What it does: finds the function on bus 0 of the DTB's
 * "pci-host-ecam-generic" bridge, places BAR0 (128 KiB of registers) in the
 * bridge's 32-bit window, resets the MAC, brings the link up, and runs one
 * receive and one transmit ring of legacy descriptors (Intel 8254x Family
 * Software Developer's Manual, "SDM" below: 3.2.3 receive descriptors, 3.3.3
 * transmit descriptors).  Everything is interrupt driven (INTx through the
 * GIC); the interrupt handler only reads ICR (which acknowledges and lowers the
 * line) and records the causes; the caller's loop does the work.
 *
 * Assumptions:
 *   - one NIC per dom0 (the interrupt handler finds it through one pointer),
 *     handled by vCPU 0, single-threaded: call everything from one loop;
 *   - a struct e1000 is big (rings and buffers live inside it, page-aligned,
 *     about 800 KiB): declare it static, never on the stack;
 *   - the bus is cache coherent (QEMU virt's host bridge has "dma-coherent"):
 *     the descriptor rings share cache lines between descriptors owned by the
 *     CPU and by the device at the same moment, which only coherent DMA makes
 *     safe.  e1000_init refuses a non-coherent bus.  Data buffers go through
 *     the DMA layer (guests/lib/dma.h) like any driver's;
 *   - the caller runs with IRQs masked at EL1 (the guest runtime's default);
 *     e1000_wait opens them only while it sleeps.
 *
 * Waking from other sources: e1000_wait sleeps once and returns on any
 * interrupt, not only the NIC's (with the causes the NIC raised, possibly
 * none), so one loop can serve the NIC and event channels: call e1000_wait,
 * then check every source.  The sleep is race-free (see idle_once in e1000.c):
 * an interrupt that arrives while the caller is busy ends the next sleep at
 * once.  e1000_wake() makes the next wait return at once as well.
 */
#ifndef GUESTS_DOM0_E1000_H
#define GUESTS_DOM0_E1000_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "dma.h"
#include "page.h"

#define E1000_RX_RING 256                  /* descriptors; a multiple of 8 (SDM: RDLEN in 128-byte units) */
#define E1000_TX_RING 256
#define E1000_RX_BUF_SIZE 2048             /* RCTL.BSIZE = 2048 */
#define E1000_TX_COPY_BUFS 128             /* e1000_tx_copy's buffers */
#define E1000_TX_COPY_BUF_SIZE 2048
#define E1000_MAX_FRAME 1514               /* largest frame sent or accepted, without FCS */
#define E1000_QEMU_RX_HOLD_US 1000000ULL   /* see e1000_rx_hold_left_us */

/* Interrupt causes (ICR and IMS bits, SDM 13.4), as e1000_wait returns them. */
#define E1000_ICR_TXDW (1U << 0)           /* transmit descriptor written back */
#define E1000_ICR_TXQE (1U << 1)           /* transmit queue empty */
#define E1000_ICR_LSC (1U << 2)            /* link status change */
#define E1000_ICR_RXDMT0 (1U << 4)         /* receive descriptors below threshold */
#define E1000_ICR_RXO (1U << 6)            /* receiver overrun: frames were lost */
#define E1000_ICR_RXT0 (1U << 7)           /* receiver timer: frames arrived */

/* Legacy receive descriptor, SDM 3.2.3 (16 bytes, written back by the device). */
struct e1000_rx_desc {
    bus_addr_t addr;                       /* buffer bus address */
    uint16_t length;                       /* bytes stored (CRC stripped: RCTL.SECRC) */
    uint16_t checksum;
    uint8_t status;                        /* DD, EOP, ... */
    uint8_t errors;
    uint16_t special;
};

/* Legacy transmit descriptor, SDM 3.3.3 (16 bytes). */
struct e1000_tx_desc {
    bus_addr_t addr;                       /* buffer bus address */
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;                           /* EOP, IFCS, RS, ... */
    uint8_t status;                        /* DD written back when RS was set */
    uint8_t css;
    uint16_t special;
};
/* The layouts are the device's: a typed address field must not change them. */
_Static_assert(sizeof(struct e1000_rx_desc) == 16 && sizeof(struct e1000_tx_desc) == 16,
               "legacy descriptors are 16 bytes");

struct e1000_stats {
    uint64_t tx, tx_bytes, rx, rx_bytes, rx_dropped, irqs, tx_ring_full;
};

/* What the driver remembers about one transmit descriptor in flight. */
struct e1000_tx_slot {
    void *cookie;                          /* e1000_tx_bus's cookie */
    int16_t copy_buf;                      /* e1000_tx_copy's buffer index, -1: none */
    uint16_t len;
    struct dma_handle map;                 /* the copy buffer's mapping (copy_buf >= 0) */
};

struct e1000 {
    /* Rings and buffers first: page-aligned, in dom0's own memory. */
    struct e1000_rx_desc rx_ring[E1000_RX_RING] __attribute__((aligned(PAGE_SIZE)));
    struct e1000_tx_desc tx_ring[E1000_TX_RING] __attribute__((aligned(PAGE_SIZE)));
    uint8_t rx_buf[E1000_RX_RING][E1000_RX_BUF_SIZE] __attribute__((aligned(PAGE_SIZE)));
    uint8_t tx_copy_buf[E1000_TX_COPY_BUFS][E1000_TX_COPY_BUF_SIZE]
        __attribute__((aligned(PAGE_SIZE)));

    volatile uint8_t *regs;                /* BAR0 */
    volatile uint8_t *cfg;                 /* its ECAM configuration space */
    unsigned pci_dev;                      /* device number on bus 0 */
    struct dma_dev *dma;
    uint8_t mac[6];
    bool link;                             /* STATUS.LU, as last read */
    uint64_t rctl_written_us;              /* guest_time_us() of the last RCTL write */
    unsigned speed_mbps;

    struct dma_handle rx_map[E1000_RX_RING];
    unsigned rx_next;                      /* next descriptor the device fills */
    bool rx_discarding;                    /* inside a frame that spans buffers: drop to EOP */

    struct e1000_tx_slot tx_slot[E1000_TX_RING];
    unsigned tx_tail;                      /* next descriptor to fill (TDT) */
    unsigned tx_clean;                     /* oldest descriptor not reclaimed */
    uint16_t tx_copy_free[E1000_TX_COPY_BUFS]; /* stack of free copy buffers */
    unsigned tx_copy_nfree;

    volatile uint32_t causes;              /* ICR bits seen by the handler, not yet returned */
    volatile bool wake;                    /* e1000_wake() was called */
    void (*irq_hook)(void *ctx);           /* e1000_set_irq_hook: told from the ISR */
    void *irq_hook_ctx;
    struct e1000_stats stats;
};

/* Find, map, reset and start the NIC; the link is requested (CTRL.SLU) but may
 * come up later (an LSC cause; e1000_link_up tells).  `dma` was set up by
 * dma_init for the PCIe host bridge's node.  0, or -1 with a message. */
int e1000_init(struct e1000 *nic, const void *fdt, struct dma_dev *dma);
/* The station address (from RAL0/RAH0, or the EEPROM when those are zero). */
void e1000_mac(const struct e1000 *nic, uint8_t mac[6]);
/* Receive every unicast and multicast frame whatever its destination
 * (RCTL.UPE and RCTL.MPE), e.g. to bridge for other stations; off again with
 * false (then: our address and broadcast only).  A change rewrites RCTL,
 * which under QEMU holds received frames back for a while: see
 * e1000_rx_hold_left_us. */
void e1000_set_promiscuous(struct e1000 *nic, bool on);
/* Resets the device (interrupts masked, receive and transmit off): it does
 * no more DMA into the rings or buffers, so their memory may go.  0, or -1
 * with a message when the reset does not complete. */
int e1000_stop(struct e1000 *nic);
/* QEMU's e1000 does not deliver received frames for E1000_QEMU_RX_HOLD_US
 * (of virtual time) after each write of RCTL: its receive-enable path arms a
 * timer and keeps incoming frames queued until it expires (then they all
 * arrive; none is lost, but the first ones wait up to a second).  The
 * microseconds left of that hold since the last RCTL write (0 when over).  A
 * caller that wants "ready" to mean "frames flow" waits that long; on real
 * hardware the wait is merely unnecessary. */
uint64_t e1000_rx_hold_left_us(const struct e1000 *nic);
/* Reads STATUS: true when the link is up (also refreshes the speed). */
bool e1000_link_up(struct e1000 *nic);
/* Link speed in Mb/s as of the last e1000_link_up (10, 100 or 1000). */
unsigned e1000_speed(const struct e1000 *nic);
/* Queue one frame of `len` bytes (1..E1000_MAX_FRAME, without FCS; the NIC
 * pads short ones) whose bytes are at bus address `bus`, already mapped by
 * the caller, who must not unmap it before `cookie` comes back from
 * e1000_tx_reclaim.  0, or -1 if the TX ring is full or len is out of range. */
int e1000_tx_bus(struct e1000 *nic, bus_addr_t bus, uint16_t len, void *cookie);
/* Copy a frame from dom0 memory into one of the driver's own transmit buffers
 * (no bounce: they are in dom0's memory, mapped through the DMA layer) and
 * queue it.  The caller may reuse `frame` at once.  0, or -1 if the ring or
 * the buffers are full or len is out of range. */
int e1000_tx_copy(struct e1000 *nic, const void *frame, uint16_t len);
/* Completed transmissions, oldest first: done(cookie, ctx) for each
 * e1000_tx_bus frame (done may be NULL when only tx_copy is used);
 * e1000_tx_copy frames are reclaimed silently. */
void e1000_tx_reclaim(struct e1000 *nic, void (*done)(void *cookie, void *ctx), void *ctx);
/* TX-done interrupts on or off (on after e1000_init).  A caller that reclaims
 * right after queueing (QEMU's e1000 completes a frame on the TDT write)
 * needs them only while it sleeps with frames in flight (netback.c). */
void e1000_tx_irq(struct e1000 *nic, bool on);
/* Frames queued and not reclaimed yet. */
unsigned e1000_tx_pending(const struct e1000 *nic);
/* Received frames, in order: deliver(frame, len, ctx) for each good one (len
 * without FCS, at most E1000_RX_BUF_SIZE).  The frames' buffers go back to the
 * NIC at the end of the call, after flush(ctx) (when not NULL): a caller may
 * keep pointers to the frames of this call until its flush, and handle them
 * as one batch there.  Bad frames are counted in rx_dropped.  Handles at
 * most E1000_RX_RING frames per call, so a flood cannot starve the caller. */
void e1000_rx_poll(struct e1000 *nic, void (*deliver)(const void *frame, size_t len, void *ctx),
                   void (*flush)(void *ctx), void *ctx);
/* Sleep once (WFI, IRQs open only for the moment after it) and return the
 * ICR causes the NIC raised since the last call (0 if none).  The sleep ends
 * when the NIC interrupts, when `timeout_us` passes (0: do not sleep,
 * UINT64_MAX: no timeout), or when any other interrupt arrives — e.g. an
 * event-channel upcall, whose handler has run when this returns — or on a
 * spurious wake-up.  So a loop that waits for several sources calls this and
 * then checks all of them; a shorter sleep than asked is normal.  It returns
 * at once if causes are already pending or e1000_wake() was called.  Uses the
 * virtual timer (INTID 27) for the timeout. */
uint32_t e1000_wait(struct e1000 *nic, uint64_t timeout_us);
/* Make the next e1000_wait return at once (for code that records work outside
 * an interrupt handler the caller's loop does not look at).  Safe from
 * interrupt handlers. */
void e1000_wake(struct e1000 *nic);
/* For a caller with its own event loop (guests/lib/event_loop.h): hook(ctx)
 * runs from the interrupt handler each time the NIC raised causes (it
 * should only raise the loop's source); the loop's handler then takes the
 * causes (e1000_take_causes, which also does what LSC and RXO ask) and
 * polls RX and TX.  e1000_wait is not used then. */
void e1000_set_irq_hook(struct e1000 *nic, void (*hook)(void *ctx), void *ctx);
uint32_t e1000_take_causes(struct e1000 *nic);
const struct e1000_stats *e1000_stats(const struct e1000 *nic);

#endif
