/*
 * edu.h — QEMU's "edu" teaching PCI device (QEMU docs/specs/edu.rst), driven
 * by a guest that owns the PCIe host bridge (dom0): found through ECAM, BAR0
 * placed in the bridge's 32-bit window, and used as a DMA engine.
 */
#ifndef GUEST_LIB_EDU_H
#define GUEST_LIB_EDU_H

#include <stdint.h>
#include <stdbool.h>
#include "dma.h"

struct edu {
    volatile uint32_t *regs;   /* BAR0 */
    volatile uint8_t *cfg;     /* its ECAM configuration space */
    unsigned dev;              /* device number on bus 0 */
    uint32_t intid;            /* the INTx interrupt that arrived last (0: none yet) */
};

/* Find the edu on bus 0 of the DTB's host bridge, map BAR0, enable memory
 * decoding and bus mastering, take its INTx on INTIDs 35..38.  0 or -1. */
int edu_find(const void *fdt, struct edu *e);
/* Make the device raise its interrupt, wait for it (2 s at most).  0 or -1. */
int edu_raise_and_wait(struct edu *e);

#define EDU_DMA_BUF 0x40000U       /* the device's 4 KiB DMA buffer, in its own space */
#define EDU_DMA_BUF_SIZE 4096U
/* One DMA between bus address `bus` and the device's buffer, waiting for its
 * completion interrupt (the device takes ~100 ms of virtual time).
 * DMA_TO_DEVICE: read memory at `bus` into the buffer; DMA_FROM_DEVICE: write
 * the buffer there.  0, or -1 if no completion came within 2 s. */
int edu_dma(struct edu *e, bus_addr_t bus, uint32_t len, enum dma_dir dir);

#endif
