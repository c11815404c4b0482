/*
 * dma.h — dom0's DMA layer: which bus address a device is given for a buffer.
 *
 * dom0 is direct-mapped, so for its own memory IPA == PA and every choice
 * agrees.  They differ for a foreign page dom0 grant-mapped at host_addr in
 * its grant window, whose machine address the hypervisor returned as
 * dev_bus_addr (Xen/Arm always does):
 *   swiotlb-xen  bus address = machine address (Linux's swiotlb-xen): right
 *                when nothing translates the device's DMA, or when the IOMMU
 *                has a 1:1 entry for the frame (Xen's
 *                gnttab_need_iommu_mapping — seed 000).  A buffer beyond the
 *                device's DMA mask is bounced through a pool in dom0's own
 *                memory (copied there for the device, back after).
 *   direct       bus address = the IPA dom0 sees (host_addr): right only
 *                when the IOMMU translates the device's DMA through dom0's p2m.
 *   auto         direct when granite says so for this device (the
 *                XENVER_get_features bit and the device node's
 *                "granite,dma-iommu-translated"), swiotlb-xen otherwise.
 * Devices without "dma-coherent" get cache maintenance around each transfer.
 */
#ifndef GUEST_LIB_DMA_H
#define GUEST_LIB_DMA_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

enum dma_mode { DMA_SWIOTLB_XEN, DMA_DIRECT };
enum dma_dir { DMA_TO_DEVICE, DMA_FROM_DEVICE };

struct dma_stats {
    uint64_t maps, unmaps, bounces, bounce_bytes, bounce_full;
};

struct dma_dev {
    const char *name;
    uint64_t mask;        /* highest bus address the device can reach */
    bool coherent;        /* DT "dma-coherent": no cache maintenance */
    bool translated;      /* granite translates its DMA (feature bit + DT mark) */
    enum dma_mode mode;
    struct dma_stats stats;
};

/* A mapping, to be given back to dma_unmap. */
struct dma_handle {
    uint64_t bus;
    void *cpu;            /* the caller's buffer */
    void *bounce;         /* NULL when not bounced */
    size_t len;
    enum dma_dir dir;
};

/* Set up DMA for the device below DT node `node` (or the node itself): arg is
 * dom0's dma= option ("swiotlb-xen", "direct", "auto"; NULL = auto).  Prints
 * the choice.  0, or -1 on a bad arg. */
int dma_init(struct dma_dev *d, const char *name, const void *fdt, int node, const char *arg,
             uint64_t mask);
/* The bus address for [cpu, cpu+len) (within one page).  `machine` is the
 * buffer's machine address when it is a foreign grant mapping (its
 * dev_bus_addr plus offset), 0 for dom0's own memory.  Returns 0 and fills h,
 * or -1 (bounce pool exhausted: try again after some unmaps). */
int dma_map(struct dma_dev *d, void *cpu, size_t len, enum dma_dir dir, uint64_t machine,
            struct dma_handle *h);
void dma_unmap(struct dma_dev *d, struct dma_handle *h);
const char *dma_mode_name(enum dma_mode m);

#endif
