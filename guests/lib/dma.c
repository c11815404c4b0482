/*
 * dma.c — dom0's DMA layer (see dma.h for the three policies).
 *
 * Bounce pool: DMA_POOL_SLOTS page-sized slots in dom0's own memory (which,
 * dom0 being direct-mapped, is where the CPU sees it), handed out with a
 * bitmap.  The pool must itself be under the device's mask: checked at init.
 * Cache maintenance (dcache.c) for a device without "dma-coherent": clean
 * before the device reads, clean+invalidate before the CPU reads what the
 * device wrote.
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "dma.h"
#include "dcache.h"
#include "page.h"
#include <public/xen.h>
#include <public/version.h>
#include <public/features.h>
#include <public/granite.h>

#define DMA_POOL_SLOTS 64

static uint8_t pool[DMA_POOL_SLOTS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint64_t pool_used; /* bit i: slot i handed out */

const char *dma_mode_name(enum dma_mode m) { return m == DMA_DIRECT ? "direct" : "swiotlb-xen"; }

static bool granite_translates_dom0_dma(void)
{
    struct xen_feature_info fi = { .submap_idx = 0 };

    if (xen_hypercall(__HYPERVISOR_xen_version, XENVER_get_features, (uint64_t)&fi, 0, 0, 0))
        return false;
    return fi.submap & (1U << XENFEAT_granite_dom0_dma_translated);
}

/* The node or one of its ancestors carries the mark (PCI functions inherit
 * their host bridge's). */
static bool node_marked(const void *fdt, int node)
{
    for (; node >= 0; node = fdt_parent_offset(fdt, node))
        if (fdt_getprop(fdt, node, GRANITE_DT_PROP_DMA_TRANSLATED, NULL))
            return true;
    return false;
}

static bool node_coherent(const void *fdt, int node)
{
    for (; node >= 0; node = fdt_parent_offset(fdt, node))
        if (fdt_getprop(fdt, node, "dma-coherent", NULL))
            return true;
    return false;
}

int dma_init(struct dma_dev *d, const char *name, const void *fdt, int node, const char *arg,
             uint64_t mask)
{
    *d = (struct dma_dev){ .name = name, .mask = mask };
    d->coherent = node_coherent(fdt, node);
    d->translated = granite_translates_dom0_dma() && node_marked(fdt, node);
    if (!arg || !strcmp(arg, "auto"))
        d->mode = d->translated ? DMA_DIRECT : DMA_SWIOTLB_XEN;
    else if (!strcmp(arg, "direct"))
        d->mode = DMA_DIRECT;
    else if (!strcmp(arg, "swiotlb-xen"))
        d->mode = DMA_SWIOTLB_XEN;
    else {
        printf("dma: %s: unknown dma=%s (swiotlb-xen, direct or auto)\n", name, arg);
        return -1;
    }
    if (d->mode == DMA_SWIOTLB_XEN && (uint64_t)pool + sizeof(pool) - 1 > mask) {
        printf("dma: %s: the bounce pool at 0x%lx is beyond the device's mask 0x%lx: refused\n",
               name, (unsigned long)pool, (unsigned long)mask);
        return -1;
    }
    printf("dma: %s: %s (dma=%s; granite %s its DMA), mask 0x%lx, %scoherent\n", name,
           dma_mode_name(d->mode), arg ? arg : "auto",
           d->translated ? "says it translates" : "does not say it translates",
           (unsigned long)mask, d->coherent ? "" : "non-");
    return 0;
}

static void *bounce_alloc(void)
{
    for (unsigned i = 0; i < DMA_POOL_SLOTS; i++)
        if (!(pool_used & (1UL << i))) {
            pool_used |= 1UL << i;
            return pool[i];
        }
    return NULL;
}

static void bounce_free(void *p)
{
    unsigned i = (unsigned)(((uint8_t *)p - pool[0]) / PAGE_SIZE);
    pool_used &= ~(1UL << i);
}

/* Map at `bus`, or through a bounce page when swiotlb-xen finds it out of
 * the device's reach. */
static int map_at(struct dma_dev *d, void *cpu, size_t len, enum dma_dir dir, bus_addr_t bus,
                  struct dma_handle *h)
{
    *h = (struct dma_handle){ .cpu = cpu, .len = len, .dir = dir };
    if (d->mode == DMA_SWIOTLB_XEN && bus_addr(bus) + len - 1 > d->mask) {
        /* Out of the device's reach: use a pool page it can reach. */
        h->bounce = bounce_alloc();
        if (!h->bounce) {
            d->stats.bounce_full++;
            return -1;
        }
        if (dir == DMA_TO_DEVICE)
            memcpy(h->bounce, cpu, len);
        bus = bus_from_ipa(h->bounce); /* the pool is dom0's own memory */
        d->stats.bounces++;
        d->stats.bounce_bytes += len;
    }
    if (!d->coherent && dir == DMA_TO_DEVICE)
        dcache_clean(h->bounce ? h->bounce : cpu, len);
    if (!d->coherent && dir == DMA_FROM_DEVICE)
        dcache_clean_inval(h->bounce ? h->bounce : cpu, len); /* no dirty line may land later */
    h->bus = bus;
    d->stats.maps++;
    return 0;
}

int dma_map(struct dma_dev *d, void *cpu, size_t len, enum dma_dir dir, struct dma_handle *h)
{
    return map_at(d, cpu, len, dir, bus_from_ipa(cpu), h);
}

int dma_map_foreign(struct dma_dev *d, void *cpu, size_t len, enum dma_dir dir,
                    machine_addr_t machine, struct dma_handle *h)
{
    bus_addr_t bus = d->mode == DMA_DIRECT ? bus_from_ipa(cpu) : bus_from_machine_1to1(machine);

    return map_at(d, cpu, len, dir, bus, h);
}

void dma_unmap(struct dma_dev *d, struct dma_handle *h)
{
    void *seen = h->bounce ? h->bounce : h->cpu;

    if (!d->coherent && h->dir == DMA_FROM_DEVICE)
        dcache_clean_inval(seen, h->len);
    if (h->bounce) {
        if (h->dir == DMA_FROM_DEVICE)
            memcpy(h->cpu, h->bounce, h->len);
        bounce_free(h->bounce);
        h->bounce = NULL;
    }
    d->stats.unmaps++;
}
