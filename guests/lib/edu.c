/*
 * edu.c — QEMU's edu device as a DMA engine (see edu.h).
 *
 * Registers (BAR0, QEMU docs/specs/edu.rst): 0x00 identification, 0x24
 * interrupt status, 0x60 raise, 0x64 acknowledge; DMA: 0x80 source, 0x88
 * destination, 0x90 count, 0x98 command (bit 0 start, bit 1 direction:
 * 1 = from the device's buffer to memory, bit 2 interrupt when done, with
 * status bit 0x100).  The device's own buffer sits at 0x40000 in its address
 * space; the other side is a bus address, which goes through the IOMMU.  The
 * device masks bus addresses with its dma_mask property (28 bits by default:
 * scenarios set it to 64).
 */
#include <libfdt.h>
#include <stdio.h>
#include "guest.h"
#include "edu.h"
#include "pci.h"

#define EDU_VENDOR_DEVICE 0x11e81234U
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_MEMORY 0x2
#define EDU_DMA_IRQ 0x4
#define EDU_MAGIC 0x1234
#define INTX_FIRST 35
#define INTX_LAST 38
#define WAIT_US 2000000

static struct edu *the_edu;
static volatile bool irq_seen;

static void on_intx(uint32_t intid)
{
    uint32_t st = mmio_read32(&the_edu->regs[EDU_IRQ_STATUS / 4]);
    mmio_write32(&the_edu->regs[EDU_IRQ_ACK / 4], st); /* lower the line before the EOI */
    the_edu->intid = intid;
    irq_seen = true;
}

int edu_find(const void *fdt, struct edu *e)
{
    struct pci_function f;
    int ret = pci_find(fdt, EDU_VENDOR_DEVICE, &f);

    if (ret) {
        printf(ret == PCI_NO_BRIDGE ? "edu: no PCIe host bridge in my DTB\n"
                                    : "edu: no edu device (1234:11e8) on bus 0\n");
        return -1;
    }
    mmio_write32(f.cfg + PCI_BAR0, (uint32_t)f.mem32_pci);
    mmio_write16(f.cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    *e = (struct edu){ .regs = (volatile uint32_t *)f.mem32_cpu, .cfg = f.cfg, .dev = f.dev };
    the_edu = e;
    for (uint32_t intid = INTX_FIRST; intid <= INTX_LAST; intid++)
        gic_enable_irq(0, intid, on_intx);
    return 0;
}

static int wait_irq(void)
{
    return guest_wait_flag(&irq_seen, WAIT_US) ? 0 : -1;
}

int edu_raise_and_wait(struct edu *e)
{
    irq_seen = false;
    mmio_write32(&e->regs[EDU_IRQ_RAISE / 4], EDU_MAGIC);
    return wait_irq();
}

int edu_dma(struct edu *e, bus_addr_t bus, uint32_t len, enum dma_dir dir)
{
    bool to_device = dir == DMA_TO_DEVICE;

    irq_seen = false;
    mmio_write64(&e->regs[(to_device ? EDU_DMA_SRC : EDU_DMA_DST) / 4], bus_addr(bus));
    mmio_write64(&e->regs[(to_device ? EDU_DMA_DST : EDU_DMA_SRC) / 4], EDU_DMA_BUF);
    mmio_write64(&e->regs[EDU_DMA_CNT / 4], len);
    mmio_write32(&e->regs[EDU_DMA_CMD / 4],
                 EDU_DMA_RUN | EDU_DMA_IRQ | (to_device ? 0 : EDU_DMA_TO_MEMORY));
    return wait_irq();
}
