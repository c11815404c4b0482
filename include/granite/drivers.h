/*
 * drivers.h — entry points of the device drivers in drivers/.
 */
#ifndef GRANITE_DRIVERS_H
#define GRANITE_DRIVERS_H

#include <granite/types.h>

/* PL011 UART as the hypervisor console; `base` is already mapped as device memory. */
void pl011_console_init(void *base);
/* Deliver received characters to `sink` from the UART's interrupt. */
void pl011_enable_rx(void (*sink)(char c));
void pl011_rx_interrupt(u32 intid);

/* Arm SMMUv3 at DT node `node`: reset it aborting, register it with core/iommu.c. */
int smmuv3_probe(const void *fdt, int node, const char **why);

#endif
