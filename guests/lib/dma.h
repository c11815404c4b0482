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

/*
 * Addresses.  Three kinds meet here and each has its own type, so that one
 * becomes another only through a named conversion (as in the hypervisor's
 * include/granite/types.h):
 *   a pointer     dom0's VA, equal to its IPA (guests/lib/page.h);
 *   machine_addr_t  a host-physical address, as a grant map returns it in
 *                 dev_bus_addr;
 *   bus_addr_t    what a device is handed: its descriptors and registers
 *                 hold these, and its DMA presents them to the IOMMU.
 * Seed 000 is a machine address handed to a device whose DMA the IOMMU
 * translates through dom0's p2m: bus_from_machine_1to1() is where it shows.
 */
typedef struct { uint64_t v; } bus_addr_t;
typedef struct { uint64_t v; } machine_addr_t;

static inline uint64_t bus_addr(bus_addr_t b) { return b.v; }
/* The device reaches dom0's memory at its IPA: true when the IOMMU
 * translates its DMA through dom0's p2m, and for dom0's own memory always
 * (dom0 is direct-mapped: its IPA is the machine address). */
static inline bus_addr_t bus_from_ipa(const void *p) { return (bus_addr_t){ (uint64_t)p }; }
/* The device reaches a foreign page at its machine address: true when
 * nothing translates the device's DMA, or the IOMMU maps the frame 1:1. */
static inline bus_addr_t bus_from_machine_1to1(machine_addr_t m) { return (bus_addr_t){ m.v }; }
/* The machine address of byte `offset` of a page a grant map returned
 * `dev_bus_addr` for (GNTTABOP_map_grant_ref; Xen on Arm always fills it). */
static inline machine_addr_t machine_of_grant_map(uint64_t dev_bus_addr, uint64_t offset)
{
    return (machine_addr_t){ dev_bus_addr + offset };
}

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
    bus_addr_t bus;
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
/* The bus address for [cpu, cpu+len) (within one page) of dom0's own
 * memory.  Returns 0 and fills h, or -1 (bounce pool exhausted: try again
 * after some unmaps). */
int dma_map(struct dma_dev *d, void *cpu, size_t len, enum dma_dir dir, struct dma_handle *h);
/* The same for a foreign page dom0 grant-mapped at cpu, whose machine
 * address is `machine` (machine_of_grant_map): the mode picks between it and
 * the IPA. */
int dma_map_foreign(struct dma_dev *d, void *cpu, size_t len, enum dma_dir dir,
                    machine_addr_t machine, struct dma_handle *h);
void dma_unmap(struct dma_dev *d, struct dma_handle *h);
const char *dma_mode_name(enum dma_mode m);

#endif
