/*
 * e1000.c — dom0's driver for QEMU's e1000 (Intel 82540EM); see e1000.h for
 * the API and its assumptions.
 *
 * Sources: register offsets and bits are from Intel's "PCI/PCI-X Family of
 * Gigabit Ethernet Controllers Software Developer's Manual" (8254x, "SDM"):
 * chapter 13 (register descriptions, each register cited by name), 3.2.3 and
 * 3.3.3 (legacy descriptors), 3.2.6 and 3.4 (descriptor rings: head and tail),
 * 14.4 and 14.5 (receive and transmit initialization).  PCI configuration
 * offsets are from the PCI Local Bus Specification 3.0, 6.2 (type 0 header).
 *
 * Rings: the device owns the descriptors from head (its register) up to tail
 * (ours) - 1; head == tail means it owns none.  So one descriptor of each ring
 * always stays with us: at most RING - 1 frames are in flight.
 *
 * Memory ordering (the bus is coherent, e1000.h): a descriptor is complete in
 * memory before the doorbell (tail register) is written — dma_wmb(); a
 * descriptor's DD bit is read before anything the device wrote with it —
 * dma_rmb() (guest.h).  Descriptors are accessed through volatile pointers.
 *
 * Only the setup polls the device (reset and EEPROM completion, bounded in
 * time); in steady state the caller sleeps until an interrupt (netback in
 * its event loop, baseline.c in e1000_wait's WFI).
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "e1000.h"
#include "pci.h"

/* --- PCI (PCI Local Bus Spec 3.0, 6.2) ------------------------------------ */
#define E1000_VENDOR_DEVICE 0x100e8086U    /* 8086:100e, 82540EM, as one 32-bit read */

/* Where BAR0 goes: 1 MiB into the bridge's 32-bit window (edu.c puts the edu
 * device's 1 MiB BAR at the window's start), naturally aligned. */
#define E1000_BAR0_OFFSET 0x100000UL
#define E1000_BAR0_SIZE 0x20000UL          /* 128 KiB of registers */
/* The guest runtime maps the first GiB of the address space as Device memory
 * (guests/lib/start.c), except the grant window and magic pages at
 * 0x38000000-0x3a000000, which are Normal: the BAR must land in the first
 * GiB, below that range (window base + 1 MiB on QEMU virt). */
#define DEVICE_MAP_LIMIT (1UL << 30)

/* GIC interrupt specifiers (arm,gic-v3 binding): <type number flags>. */
#define INTX_FIRST 35                      /* QEMU virt's four INTx SPIs, as edu.c takes them */
#define INTX_LAST 38
#define INTX_MAX_LINES 4

/* --- registers (SDM chapter 13) ------------------------------------------- */
#define REG_CTRL 0x0000                    /* Device Control */
#define CTRL_FD (1U << 0)                  /* full duplex */
#define CTRL_LRST (1U << 3)                /* link reset */
#define CTRL_ASDE (1U << 5)                /* auto-speed detection enable */
#define CTRL_SLU (1U << 6)                 /* set link up */
#define CTRL_ILOS (1U << 7)                /* invert loss-of-signal */
#define CTRL_RST (1U << 26)                /* device reset, self-clearing */
#define CTRL_VME (1U << 30)                /* VLAN mode */
#define CTRL_PHY_RST (1U << 31)            /* PHY reset */
#define REG_STATUS 0x0008                  /* Device Status */
#define STATUS_FD (1U << 0)
#define STATUS_LU (1U << 1)                /* link up */
#define STATUS_SPEED_SHIFT 6
#define STATUS_SPEED_MASK 3                /* 00: 10, 01: 100, 1x: 1000 Mb/s */
#define REG_EERD 0x0014                    /* EEPROM Read (82540EM layout) */
#define EERD_START (1U << 0)
#define EERD_DONE (1U << 4)
#define EERD_ADDR_SHIFT 8
#define EERD_DATA_SHIFT 16
#define REG_ICR 0x00c0                     /* Interrupt Cause Read: reading clears */
#define REG_ITR 0x00c4                     /* Interrupt Throttling: 0 = off */
#define REG_IMS 0x00d0                     /* Interrupt Mask Set */
#define REG_IMC 0x00d8                     /* Interrupt Mask Clear */
#define IMC_ALL 0xffffffffU
#define REG_RCTL 0x0100                    /* Receive Control */
#define RCTL_EN (1U << 1)
#define RCTL_SBP (1U << 2)                 /* store bad packets: off */
#define RCTL_UPE (1U << 3)                 /* unicast promiscuous (off unless asked) */
#define RCTL_MPE (1U << 4)                 /* multicast promiscuous (off unless asked) */
#define RCTL_LPE (1U << 5)                 /* long packets: off (frames <= 1522) */
#define RCTL_RDMTS_HALF (0U << 8)          /* RXDMT0 when half the ring is free */
#define RCTL_BAM (1U << 15)                /* accept broadcast */
#define RCTL_BSIZE_2048 (0U << 16)         /* with RCTL.BSEX = 0 */
#define RCTL_SECRC (1U << 26)              /* strip the Ethernet CRC */
#define REG_TCTL 0x0400                    /* Transmit Control */
#define TCTL_EN (1U << 1)
#define TCTL_PSP (1U << 3)                 /* pad short packets */
#define TCTL_CT_SHIFT 4
#define TCTL_CT_VALUE 0x0f                 /* collision threshold: SDM recommends 0Fh */
#define TCTL_COLD_SHIFT 12
#define TCTL_COLD_FULL_DUPLEX 0x40         /* collision distance: 64 byte times, full duplex */
#define REG_TIPG 0x0410                    /* Transmit IPG */
#define TIPG_IPGT 10                       /* SDM TIPG: IEEE 802.3 values for the 82540 */
#define TIPG_IPGR1 8
#define TIPG_IPGR2 6
#define TIPG_IPGR1_SHIFT 10
#define TIPG_IPGR2_SHIFT 20
#define REG_RDBAL 0x2800                   /* receive ring: base, length, head, tail */
#define REG_RDBAH 0x2804
#define REG_RDLEN 0x2808
#define REG_RDH 0x2810
#define REG_RDT 0x2818
#define REG_RDTR 0x2820                    /* receive delay timer: 0 = interrupt at once */
#define REG_TDBAL 0x3800                   /* transmit ring */
#define REG_TDBAH 0x3804
#define REG_TDLEN 0x3808
#define REG_TDH 0x3810
#define REG_TDT 0x3818
#define REG_TIDV 0x3820                    /* transmit interrupt delay: 0 = none */
#define REG_MPC 0x4010                     /* Missed Packets Count (clears on read) */
#define REG_MTA 0x5200                     /* Multicast Table Array, 128 registers */
#define MTA_ENTRIES 128
#define REG_RAL0 0x5400                    /* Receive Address 0: low 32 bits of the MAC */
#define REG_RAH0 0x5404                    /* high 16 bits, and Address Valid */
#define RAH_AV (1U << 31)
#define EEPROM_MAC_WORDS 3                 /* EEPROM words 0..2: the Ethernet address */

/* Descriptor bits (SDM 3.2.3, 3.3.3). */
#define RXD_STAT_DD 0x01                   /* descriptor done */
#define RXD_STAT_EOP 0x02                  /* end of packet */
#define RXD_ERR_CE 0x01                    /* CRC or alignment error */
#define RXD_ERR_SE 0x02                    /* symbol error */
#define RXD_ERR_SEQ 0x04                   /* sequence error */
#define RXD_ERR_CXE 0x10                   /* carrier extension error */
#define RXD_ERR_RXE 0x80                   /* RX data error */
#define RXD_ERR_FRAME (RXD_ERR_CE | RXD_ERR_SE | RXD_ERR_SEQ | RXD_ERR_CXE | RXD_ERR_RXE)
#define TXD_CMD_EOP 0x01                   /* end of packet */
#define TXD_CMD_IFCS 0x02                  /* insert FCS */
#define TXD_CMD_RS 0x08                    /* report status: write DD back */
#define TXD_STAT_DD 0x01

#define ETH_HDR_LEN 14
#define RESET_TIMEOUT_US 10000
#define EEPROM_TIMEOUT_US 10000
#define POLL_STEP_US 10

#define IRQ_CAUSES (E1000_ICR_RXT0 | E1000_ICR_RXO | E1000_ICR_TXDW | E1000_ICR_LSC)

static struct e1000 *irq_nic;              /* the one NIC (e1000.h) */

/* --- small helpers -------------------------------------------------------- */

static uint32_t rd(const struct e1000 *nic, uint32_t reg) { return mmio_read32(nic->regs + reg); }
static void wr(struct e1000 *nic, uint32_t reg, uint32_t v) { mmio_write32(nic->regs + reg, v); }

static void on_timer(uint32_t intid)
{
    (void)intid;
    vtimer_stop();                         /* the timeout's job is only to end the WFI */
}

/* INTx: read ICR (which clears it and lowers the line, SDM 13.4 ICR) before
 * the EOI; remember the causes, nothing more. */
static void on_intx(uint32_t intid)
{
    struct e1000 *nic = irq_nic;
    uint32_t icr;

    (void)intid;
    if (!nic)
        return;
    icr = rd(nic, REG_ICR);
    if (icr) {
        nic->causes |= icr;
        nic->stats.irqs++;
        if (nic->irq_hook)
            nic->irq_hook(nic->irq_hook_ctx);
    }
}

/* --- PCI discovery -------------------------------------------------------- */

/* Finds the NIC; *bar_pci / *bar_cpu: where BAR0 goes, as the bus and as the
 * CPU see it (equal on QEMU virt, but the bridge's ranges say). */
static int find_nic(struct e1000 *nic, const void *fdt, int *bridge_out, uint64_t *bar_pci,
                    uint64_t *bar_cpu)
{
    struct pci_function f;
    int ret = pci_find(fdt, E1000_VENDOR_DEVICE, &f);

    if (ret == PCI_NO_BRIDGE) {
        printf("e1000: no usable PCIe host bridge (pci-host-ecam-generic) in my DTB\n");
        return -1;
    }
    if (f.mem32_size < E1000_BAR0_OFFSET + E1000_BAR0_SIZE ||
        f.mem32_cpu + E1000_BAR0_OFFSET + E1000_BAR0_SIZE > DEVICE_MAP_LIMIT) {
        printf("e1000: the bridge's 32-bit window 0x%lx+0x%lx cannot hold BAR0 at +0x%lx\n",
               (unsigned long)f.mem32_cpu, (unsigned long)f.mem32_size, E1000_BAR0_OFFSET);
        return -1;
    }
    if (ret == PCI_NOT_FOUND) {
        printf("e1000: no e1000 (8086:100e) on bus 0\n");
        return -1;
    }
    nic->cfg = f.cfg;
    nic->pci_dev = f.dev;
    *bridge_out = f.bridge;
    *bar_pci = f.mem32_pci + E1000_BAR0_OFFSET;
    *bar_cpu = f.mem32_cpu + E1000_BAR0_OFFSET;
    return 0;
}

/* Size BAR0 with decoding off, place it at bus address `bar_pci` (the CPU
 * reaches it at `bar_cpu`), then enable memory decoding and bus mastering,
 * with INTx enabled (PCI_COMMAND_INTX_DISABLE clear; PCI 3.0, 6.2.2 and
 * 6.2.5.1).  I/O space stays off: BAR1 (I/O ports) is not used. */
static int pci_enable(struct e1000 *nic, uint64_t bar_pci, uint64_t bar_cpu)
{
    uint32_t bar, size;

    mmio_write16(nic->cfg + PCI_COMMAND, 0);
    mmio_write32(nic->cfg + PCI_BAR0, 0xffffffffU);
    bar = mmio_read32(nic->cfg + PCI_BAR0);
    size = ~(bar & PCI_BAR_ADDR_MASK) + 1;
    if ((bar & PCI_BAR_IO) || (bar & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64 || size == 0 ||
        size > E1000_BAR0_SIZE) {
        printf("e1000: unexpected BAR0 0x%x (want 32-bit memory, %lu KiB at most)\n", bar,
               E1000_BAR0_SIZE / 1024);
        return -1;
    }
    if (bar_pci > UINT32_MAX) {
        printf("e1000: BAR0's bus address 0x%lx does not fit 32 bits\n", (unsigned long)bar_pci);
        return -1;
    }
    mmio_write32(nic->cfg + PCI_BAR0, (uint32_t)bar_pci);
    if ((mmio_read32(nic->cfg + PCI_BAR0) & PCI_BAR_ADDR_MASK) != (uint32_t)bar_pci) {
        printf("e1000: BAR0 did not take 0x%lx\n", (unsigned long)bar_pci);
        return -1;
    }
    mmio_write16(nic->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    nic->regs = (volatile uint8_t *)bar_cpu;
    return 0;
}

static void irq_setup(struct e1000 *nic, const void *fdt, int bridge)
{
    unsigned pin = mmio_read8(nic->cfg + PCI_INTERRUPT_PIN);
    uint32_t intid = pin ? pci_intx_intid(fdt, bridge, nic->pci_dev, pin) : 0;

    irq_nic = nic;
    if (intid >= INTX_FIRST && intid <= INTX_LAST) {
        gic_enable_irq(0, intid, on_intx);
        printf("e1000: 00:%02x.0 INT%c -> INTID %u\n", nic->pci_dev, 'A' + pin - 1, intid);
        return;
    }
    /* Could not follow the interrupt-map: take all four lines (the handler
     * reads ICR, so a line that is not ours costs one register read). */
    for (intid = INTX_FIRST; intid <= INTX_LAST; intid++)
        gic_enable_irq(0, intid, on_intx);
    printf("e1000: 00:%02x.0 INTx: interrupt-map not understood, taking INTIDs %u..%u\n",
           nic->pci_dev, INTX_FIRST, INTX_LAST);
}

/* Every RCTL write goes through here: its time starts QEMU's receive hold
 * (e1000_rx_hold_left_us). */
static void write_rctl(struct e1000 *nic, uint32_t v)
{
    wr(nic, REG_RCTL, v);
    nic->rctl_written_us = guest_time_us();
}

/* --- MAC setup ------------------------------------------------------------ */

/* CTRL.RST resets everything but PCI configuration (SDM 13.4 CTRL); the bit
 * clears itself when done.  Interrupts masked before and after. */
static int mac_reset(struct e1000 *nic)
{
    uint64_t deadline;

    wr(nic, REG_IMC, IMC_ALL);
    write_rctl(nic, 0);
    wr(nic, REG_TCTL, 0);
    wr(nic, REG_CTRL, rd(nic, REG_CTRL) | CTRL_RST);
    deadline = guest_time_us() + RESET_TIMEOUT_US;
    while (rd(nic, REG_CTRL) & CTRL_RST) {
        if (guest_time_us() > deadline) {
            printf("e1000: reset did not complete in %u us\n", RESET_TIMEOUT_US);
            return -1;
        }
        guest_delay_us(POLL_STEP_US);
    }
    wr(nic, REG_IMC, IMC_ALL);
    (void)rd(nic, REG_ICR);
    return 0;
}

/* One 16-bit EEPROM word through EERD (SDM 13.4 EERD, 82540EM layout). */
static int eeprom_read(struct e1000 *nic, unsigned addr, uint16_t *word)
{
    uint64_t deadline = guest_time_us() + EEPROM_TIMEOUT_US;
    uint32_t v;

    wr(nic, REG_EERD, EERD_START | addr << EERD_ADDR_SHIFT);
    while (!((v = rd(nic, REG_EERD)) & EERD_DONE)) {
        if (guest_time_us() > deadline)
            return -1;
        guest_delay_us(POLL_STEP_US);
    }
    *word = (uint16_t)(v >> EERD_DATA_SHIFT);
    return 0;
}

static int mac_address(struct e1000 *nic)
{
    uint32_t lo = rd(nic, REG_RAL0), hi = rd(nic, REG_RAH0) & 0xffff;
    static const uint8_t zero[6];

    for (int i = 0; i < 4; i++)
        nic->mac[i] = (uint8_t)(lo >> (8 * i));
    nic->mac[4] = (uint8_t)hi;
    nic->mac[5] = (uint8_t)(hi >> 8);
    if (!memcmp(nic->mac, zero, sizeof(zero))) {
        /* Not loaded: EEPROM words 0..2 hold it, low byte first. */
        for (unsigned w = 0; w < EEPROM_MAC_WORDS; w++) {
            uint16_t word;
            if (eeprom_read(nic, w, &word)) {
                printf("e1000: EEPROM read of word %u timed out\n", w);
                return -1;
            }
            nic->mac[2 * w] = (uint8_t)word;
            nic->mac[2 * w + 1] = (uint8_t)(word >> 8);
        }
        lo = (uint32_t)nic->mac[0] | (uint32_t)nic->mac[1] << 8 | (uint32_t)nic->mac[2] << 16 |
             (uint32_t)nic->mac[3] << 24;
        hi = (uint32_t)nic->mac[4] | (uint32_t)nic->mac[5] << 8;
    }
    if (!memcmp(nic->mac, zero, sizeof(zero)) || (nic->mac[0] & 1)) {
        printf("e1000: no valid station address (RAL0/RAH0 and EEPROM)\n");
        return -1;
    }
    /* The receive filter matches RAL0/RAH0 only with Address Valid. */
    wr(nic, REG_RAL0, lo);
    wr(nic, REG_RAH0, hi | RAH_AV);
    return 0;
}

/* Link: SLU with auto-speed detection, no link or PHY reset, no inverted
 * loss-of-signal, no VLAN mode (SDM chapter 14, general configuration, and
 * 13.4 CTRL). */
static void link_setup(struct e1000 *nic)
{
    uint32_t ctrl = rd(nic, REG_CTRL);

    ctrl &= ~(CTRL_LRST | CTRL_ILOS | CTRL_VME | CTRL_PHY_RST);
    ctrl |= CTRL_SLU | CTRL_ASDE;
    wr(nic, REG_CTRL, ctrl);
}

/* --- rings ---------------------------------------------------------------- */

/* A ring's bus address: mapped once, for good; it must not be bounced (the
 * device has to write back into the very memory the CPU reads). */
static int map_ring(struct e1000 *nic, void *ring, bus_addr_t *bus)
{
    struct dma_handle h;

    if (dma_map(nic->dma, ring, PAGE_SIZE, DMA_TO_DEVICE, &h)) {
        printf("e1000: cannot map a descriptor ring\n");
        return -1;
    }
    if (h.bounce) {
        printf("e1000: descriptor ring at 0x%lx is beyond the device's DMA mask\n",
               (unsigned long)ring);
        dma_unmap(nic->dma, &h);
        return -1;
    }
    *bus = h.bus;
    return 0;
}

/* Give receive descriptor i a freshly mapped buffer, status cleared. */
static int rx_arm(struct e1000 *nic, unsigned i)
{
    volatile struct e1000_rx_desc *d = &nic->rx_ring[i];

    if (dma_map(nic->dma, nic->rx_buf[i], E1000_RX_BUF_SIZE, DMA_FROM_DEVICE, &nic->rx_map[i]))
        return -1;
    d->addr = nic->rx_map[i].bus;
    d->length = 0;
    d->status = 0;
    d->errors = 0;
    return 0;
}

/* SDM 14.4: addresses, multicast table, ring, then RCTL. */
static int rx_setup(struct e1000 *nic)
{
    bus_addr_t bus;

    for (unsigned i = 0; i < MTA_ENTRIES; i++)
        wr(nic, REG_MTA + 4 * i, 0);
    for (unsigned i = 0; i < E1000_RX_RING; i++)
        if (rx_arm(nic, i)) {
            printf("e1000: cannot map receive buffer %u\n", i);
            return -1;
        }
    if (map_ring(nic, nic->rx_ring, &bus))
        return -1;
    nic->rx_next = 0;
    dma_wmb();
    wr(nic, REG_RDBAL, (uint32_t)bus_addr(bus));
    wr(nic, REG_RDBAH, (uint32_t)(bus_addr(bus) >> 32));
    wr(nic, REG_RDLEN, sizeof(nic->rx_ring));
    wr(nic, REG_RDH, 0);
    wr(nic, REG_RDT, E1000_RX_RING - 1);   /* all but one (see the top of this file) */
    wr(nic, REG_RDTR, 0);
    write_rctl(nic, RCTL_EN | RCTL_BAM | RCTL_BSIZE_2048 | RCTL_SECRC | RCTL_RDMTS_HALF);
    return 0;
}

/* SDM 14.5: ring, TCTL, TIPG. */
static int tx_setup(struct e1000 *nic)
{
    bus_addr_t bus;

    memset(nic->tx_ring, 0, sizeof(nic->tx_ring));
    for (unsigned i = 0; i < E1000_TX_RING; i++)
        nic->tx_slot[i].copy_buf = -1;
    for (unsigned i = 0; i < E1000_TX_COPY_BUFS; i++)
        nic->tx_copy_free[i] = (uint16_t)i;
    nic->tx_copy_nfree = E1000_TX_COPY_BUFS;
    nic->tx_tail = nic->tx_clean = 0;
    if (map_ring(nic, nic->tx_ring, &bus))
        return -1;
    dma_wmb();
    wr(nic, REG_TDBAL, (uint32_t)bus_addr(bus));
    wr(nic, REG_TDBAH, (uint32_t)(bus_addr(bus) >> 32));
    wr(nic, REG_TDLEN, sizeof(nic->tx_ring));
    wr(nic, REG_TDH, 0);
    wr(nic, REG_TDT, 0);
    wr(nic, REG_TIDV, 0);
    wr(nic, REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT_VALUE << TCTL_CT_SHIFT |
                          TCTL_COLD_FULL_DUPLEX << TCTL_COLD_SHIFT);
    wr(nic, REG_TIPG, TIPG_IPGT | TIPG_IPGR1 << TIPG_IPGR1_SHIFT | TIPG_IPGR2 << TIPG_IPGR2_SHIFT);
    return 0;
}

/* --- API ------------------------------------------------------------------ */

int e1000_init(struct e1000 *nic, const void *fdt, struct dma_dev *dma)
{
    int bridge;
    uint64_t bar, bar_pci;

    if (irq_nic) {
        printf("e1000: only one NIC is supported\n");
        return -1;
    }
    if (!dma->coherent) {
        printf("e1000: the bus is not DMA-coherent: this driver needs it (see e1000.h)\n");
        return -1;
    }
    memset(nic, 0, sizeof(*nic));
    nic->dma = dma;
    if (find_nic(nic, fdt, &bridge, &bar_pci, &bar) || pci_enable(nic, bar_pci, bar))
        return -1;
    if (mac_reset(nic) || mac_address(nic))
        return -1;
    link_setup(nic);
    wr(nic, REG_ITR, 0);
    if (rx_setup(nic) || tx_setup(nic))
        return -1;
    gic_enable_irq(0, INTID_VTIMER, on_timer);
    irq_setup(nic, fdt, bridge);
    (void)rd(nic, REG_ICR);
    (void)rd(nic, REG_MPC);
    wr(nic, REG_IMS, IRQ_CAUSES);
    e1000_link_up(nic);
    printf("e1000: 00:%02x.0 BAR0 at 0x%lx, MAC %02x:%02x:%02x:%02x:%02x:%02x, "
           "%u RX / %u TX descriptors, link %s\n",
           nic->pci_dev, (unsigned long)bar, nic->mac[0], nic->mac[1], nic->mac[2], nic->mac[3],
           nic->mac[4], nic->mac[5], E1000_RX_RING, E1000_TX_RING, nic->link ? "up" : "down");
    return 0;
}

void e1000_mac(const struct e1000 *nic, uint8_t mac[6]) { memcpy(mac, nic->mac, 6); }

bool e1000_link_up(struct e1000 *nic)
{
    static const unsigned speeds[] = { 10, 100, 1000, 1000 };
    uint32_t st = rd(nic, REG_STATUS);

    nic->link = st & STATUS_LU;
    nic->speed_mbps = speeds[st >> STATUS_SPEED_SHIFT & STATUS_SPEED_MASK];
    return nic->link;
}

void e1000_set_promiscuous(struct e1000 *nic, bool on)
{
    uint32_t rctl = rd(nic, REG_RCTL);
    uint32_t want = on ? rctl | RCTL_UPE | RCTL_MPE : rctl & ~(RCTL_UPE | RCTL_MPE);

    if (want != rctl)                      /* each write costs a hold under QEMU */
        write_rctl(nic, want);
}

/* A device reset: no DMA after it returns, whatever descriptors were posted. */
int e1000_stop(struct e1000 *nic)
{
    return mac_reset(nic);
}

uint64_t e1000_rx_hold_left_us(const struct e1000 *nic)
{
    uint64_t since = guest_time_us() - nic->rctl_written_us;

    return since >= E1000_QEMU_RX_HOLD_US ? 0 : E1000_QEMU_RX_HOLD_US - since;
}

unsigned e1000_speed(const struct e1000 *nic) { return nic->speed_mbps; }

static unsigned tx_in_flight(const struct e1000 *nic)
{
    return (nic->tx_tail + E1000_TX_RING - nic->tx_clean) % E1000_TX_RING;
}

/* Fill the next descriptor and ring the doorbell.  The caller checked room. */
static void tx_queue(struct e1000 *nic, bus_addr_t bus, uint16_t len)
{
    volatile struct e1000_tx_desc *d = &nic->tx_ring[nic->tx_tail];

    d->addr = bus;
    d->length = len;
    d->cso = 0;
    d->css = 0;
    d->special = 0;
    d->status = 0;
    d->cmd = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
    nic->tx_slot[nic->tx_tail].len = len;
    nic->tx_tail = (nic->tx_tail + 1) % E1000_TX_RING;
    dma_wmb();
    wr(nic, REG_TDT, nic->tx_tail);
}

static bool tx_room(struct e1000 *nic, uint16_t len)
{
    if (len == 0 || len > E1000_MAX_FRAME)
        return false;
    if (tx_in_flight(nic) >= E1000_TX_RING - 1) {
        nic->stats.tx_ring_full++;
        return false;
    }
    return true;
}

int e1000_tx_bus(struct e1000 *nic, bus_addr_t bus, uint16_t len, void *cookie)
{
    if (!tx_room(nic, len))
        return -1;
    nic->tx_slot[nic->tx_tail].cookie = cookie;
    nic->tx_slot[nic->tx_tail].copy_buf = -1;
    tx_queue(nic, bus, len);
    return 0;
}

int e1000_tx_copy(struct e1000 *nic, const void *frame, uint16_t len)
{
    struct e1000_tx_slot *s = &nic->tx_slot[nic->tx_tail];
    uint16_t b;

    if (!tx_room(nic, len))
        return -1;
    if (!nic->tx_copy_nfree) {
        nic->stats.tx_ring_full++;
        return -1;
    }
    b = nic->tx_copy_free[nic->tx_copy_nfree - 1];
    memcpy(nic->tx_copy_buf[b], frame, len);
    if (dma_map(nic->dma, nic->tx_copy_buf[b], len, DMA_TO_DEVICE, &s->map))
        return -1;
    nic->tx_copy_nfree--;
    s->cookie = NULL;
    s->copy_buf = (int16_t)b;
    tx_queue(nic, s->map.bus, len);
    return 0;
}

void e1000_tx_reclaim(struct e1000 *nic, void (*done)(void *cookie, void *ctx), void *ctx)
{
    while (nic->tx_clean != nic->tx_tail) {
        volatile struct e1000_tx_desc *d = &nic->tx_ring[nic->tx_clean];
        struct e1000_tx_slot *s = &nic->tx_slot[nic->tx_clean];

        if (!(d->status & TXD_STAT_DD))
            break;                         /* in order: nothing later is done either */
        dma_rmb();
        nic->stats.tx++;
        nic->stats.tx_bytes += s->len;
        if (s->copy_buf >= 0) {
            dma_unmap(nic->dma, &s->map);
            nic->tx_copy_free[nic->tx_copy_nfree++] = (uint16_t)s->copy_buf;
            s->copy_buf = -1;
        } else if (done) {
            done(s->cookie, ctx);
        }
        s->cookie = NULL;
        nic->tx_clean = (nic->tx_clean + 1) % E1000_TX_RING;
    }
}

void e1000_rx_poll(struct e1000 *nic, void (*deliver)(const void *frame, size_t len, void *ctx),
                   void (*flush)(void *ctx), void *ctx)
{
    unsigned done = 0, last = 0;

    while (done < E1000_RX_RING) {
        unsigned i = nic->rx_next;
        volatile struct e1000_rx_desc *d = &nic->rx_ring[i];
        uint8_t status = d->status, errors;
        uint16_t len;

        if (!(status & RXD_STAT_DD))
            break;
        dma_rmb();
        len = d->length;
        errors = d->errors;
        dma_unmap(nic->dma, &nic->rx_map[i]);
        /* Trust nothing the device wrote: a frame must fit its one buffer,
         * end in it, carry no receive error, and hold an Ethernet header. */
        if (!(status & RXD_STAT_EOP)) {
            if (!nic->rx_discarding)       /* spans buffers: cannot happen with LPE off */
                nic->stats.rx_dropped++;
            nic->rx_discarding = true;
        } else if (nic->rx_discarding) {
            nic->rx_discarding = false;    /* the tail of a dropped frame */
        } else if ((errors & RXD_ERR_FRAME) || len < ETH_HDR_LEN || len > E1000_RX_BUF_SIZE) {
            nic->stats.rx_dropped++;
        } else {
            nic->stats.rx++;
            nic->stats.rx_bytes += len;
            deliver(nic->rx_buf[i], len, ctx);
        }
        if (rx_arm(nic, i)) {
            /* Cannot happen for dom0's own memory; give up on this poll and
             * leave the descriptor out of the device's reach. */
            printf("e1000: cannot re-map receive buffer %u\n", i);
            break;
        }
        last = i;
        nic->rx_next = (i + 1) % E1000_RX_RING;
        done++;
    }
    /* The re-armed buffers are still ours until RDT moves: the caller's
     * batch may read every frame of this call. */
    if (flush)
        flush(ctx);
    if (done) {
        /* The descriptor just re-armed becomes the one we keep; the one kept
         * until now goes back to the device. */
        dma_wmb();
        wr(nic, REG_RDT, last);
    }
}

uint32_t e1000_wait(struct e1000 *nic, uint64_t timeout_us)
{
    irq_disable_local();
    if (!nic->causes && !nic->wake && timeout_us) {
        if (timeout_us != UINT64_MAX)
            vtimer_arm_us(timeout_us);     /* on_timer stops it: the WFI ends */
        guest_wfi_masked();                /* one sleep: whatever woke us has been handled */
        vtimer_stop();
    }
    return e1000_take_causes(nic);
}

uint32_t e1000_take_causes(struct e1000 *nic)
{
    uint32_t causes = nic->causes;

    nic->causes = 0;
    nic->wake = false;
    if (causes & E1000_ICR_LSC)
        e1000_link_up(nic);
    if (causes & E1000_ICR_RXO)
        nic->stats.rx_dropped += rd(nic, REG_MPC); /* frames the NIC had no buffer for */
    return causes;
}

void e1000_wake(struct e1000 *nic) { nic->wake = true; }

void e1000_set_irq_hook(struct e1000 *nic, void (*hook)(void *ctx), void *ctx)
{
    nic->irq_hook_ctx = ctx;
    nic->irq_hook = hook;
}

const struct e1000_stats *e1000_stats(const struct e1000 *nic) { return &nic->stats; }

/* TX-done interrupts (ICR.TXDW) on or off.  The cause is still latched in
 * ICR while masked; unmasking with it set raises the interrupt at once
 * (SDM 13.4.20 IMS), so nothing completed meanwhile is missed. */
void e1000_tx_irq(struct e1000 *nic, bool on) { wr(nic, on ? REG_IMS : REG_IMC, E1000_ICR_TXDW); }

unsigned e1000_tx_pending(const struct e1000 *nic) { return tx_in_flight(nic); }
