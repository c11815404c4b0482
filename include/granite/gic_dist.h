/*
 * gic_dist.h — the distributor registers a GICv2 and a GICv3 lay out the same
 * way, and the two SPI operations both host drivers make on them (enable,
 * trigger mode).  GICv2: Arm IHI 0048B §4.3; GICv3: Arm IHI 0069 §12.9.
 * Per-INTID bit arrays: INTID n is bit n % 32 of the word at offset
 * base + 4 * (n / 32); GICD_ICFGR has two bits per INTID, the upper one
 * (Int_config[1]) set for edge-triggered.
 *
 * Assumptions: `gicd` is the distributor mapped Device-nGnRE; SGIs and PPIs
 * (INTIDs 0-31) are per CPU (banked on GICv2, in the redistributor on GICv3)
 * and are left to each driver's per-CPU set-up, so these refuse them, as
 * they refuse an INTID the distributor does not implement.
 */
#ifndef GRANITE_GIC_DIST_H
#define GRANITE_GIC_DIST_H

#include <granite/types.h>

#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ICFGR 0x0C00
#define GICD_FIRST_SPI 32

static inline u32 gicd_read32(volatile u8 *gicd, u32 off) { return *(volatile u32 *)(gicd + off); }
static inline void gicd_write32(volatile u8 *gicd, u32 off, u32 v)
{
    *(volatile u32 *)(gicd + off) = v;
}

static inline bool gicd_is_spi(u32 intid, unsigned nr_irqs)
{
    return intid >= GICD_FIRST_SPI && intid < nr_irqs;
}

/* GICD_ISENABLER<n> / GICD_ICENABLER<n>: write-1-to-set / write-1-to-clear. */
static inline void gicd_enable_spi(volatile u8 *gicd, unsigned nr_irqs, u32 intid, bool on)
{
    if (!gicd_is_spi(intid, nr_irqs))
        return;
    gicd_write32(gicd, (on ? GICD_ISENABLER : GICD_ICENABLER) + (intid / 32) * 4,
                 BIT(intid % 32));
}

/* GICD_ICFGR<n>.Int_config[1] of `intid`: 1 = edge-triggered, 0 = level. */
static inline void gicd_set_spi_edge(volatile u8 *gicd, unsigned nr_irqs, u32 intid, bool edge)
{
    u32 off = GICD_ICFGR + (intid / 16) * 4, bit = BIT((intid % 16) * 2 + 1);
    u32 v;

    if (!gicd_is_spi(intid, nr_irqs))
        return;
    v = gicd_read32(gicd, off);
    gicd_write32(gicd, off, edge ? (v | bit) : (v & ~bit));
}

#endif
