/*
 * dcache.h — data cache maintenance by VA to the point of coherency, for
 * buffers a device reads or writes without snooping the CPU's caches (Arm
 * ARM D7.5.9).  Used by the DMA layer (dma.c) for devices without
 * "dma-coherent"; the host unit tests stub these two functions.
 */
#ifndef GUEST_LIB_DCACHE_H
#define GUEST_LIB_DCACHE_H

#include <stddef.h>

/* DC CVAC over [p, p+len): what the CPU wrote reaches memory before the
 * device reads it. */
void dcache_clean(const void *p, size_t len);
/* DC CIVAC over [p, p+len): no stale or dirty line hides what the device
 * writes there, before or after it writes. */
void dcache_clean_inval(const void *p, size_t len);

#endif
