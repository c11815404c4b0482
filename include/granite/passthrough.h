/*
 * passthrough.h — platform devices a domain owns outright (core/passthrough.c),
 * the part a unit test can see: how one device-tree node becomes the MMIO
 * windows and SPIs granite hands over, checked, before anything is mapped,
 * and the ranges no device window may touch.
 */
#ifndef GRANITE_PASSTHROUGH_H
#define GRANITE_PASSTHROUGH_H

#include <granite/types.h>
#include <granite/boot.h>

#define PASSTHROUGH_MAX_WINDOWS 8   /* `reg` entries of one platform device */
#define PASSTHROUGH_MAX_SPIS 8      /* distinct SPIs of one platform device */
#define PASSTHROUGH_MAX_FORBIDDEN (MAX_MEM_BANKS + 32)

/* A physical range no device window may touch, and what it is (for the log). */
struct pt_forbidden {
    u64 base, size;
    const char *what;
};

/* What a plan is checked against. */
struct pt_limits {
    unsigned root_ac;               /* the root's #address-cells: windows must fit it */
    u32 max_intid;                  /* the owner's vGIC and the host GIC have INTIDs below this */
    u32 console_intid;              /* granite's console's receive SPI (0: none) */
    const struct domain *owner;     /* SPIs granite or another domain owns are refused
                                     * (irq_spi_owned) */
    const struct pt_forbidden *forbidden;
    unsigned nr_forbidden;
};

struct pt_window {
    u64 base, size;                 /* CPU physical, translated through `ranges` */
};

struct pt_spi {
    u32 intid;                      /* 32 + the SPI number */
    bool edge;                      /* rising edge; else level-high */
};

struct pt_plan {
    struct pt_window win[PASSTHROUGH_MAX_WINDOWS];
    unsigned nr_win;
    struct pt_spi spi[PASSTHROUGH_MAX_SPIS];
    unsigned nr_spi;                /* each SPI once, however often it is listed */
    int iommu;                      /* the first IOMMU `iommus` names (one granite does
                                     * not drive), or -1 */
};

/*
 * The windows (`reg`, translated) and SPIs (`interrupts` through the
 * interrupt parent, or `interrupts-extended`) of platform device `node`,
 * checked: 0, or -EINVAL with *why naming the node and property.
 * Refused: a missing or short `reg`, a window outside the root's cells or
 * touching a forbidden range, more than PASSTHROUGH_MAX_WINDOWS windows or
 * PASSTHROUGH_MAX_SPIS SPIs, an interrupt parent that is not the host's GIC
 * (or is malformed, or not found), an interrupt that is not an SPI, an SPI
 * beyond max_intid, the console's or one already owned (irq_spi_owned), a
 * trigger type the GIC does not have, an `iommus` naming no IOMMU or one
 * granite drives.  No side effects.
 */
int passthrough_platform_plan(const void *fdt, int node, const struct pt_limits *lim,
                              struct pt_plan *out, const char **why);

/*
 * What granite owns or gave away, into f (at most max): the host's RAM,
 * granite's console page, the GIC's `reg` and its child frames (ITS, v2m),
 * the `reg` of every IOMMU granite drives, and every PCIe host bridge's ECAM
 * and `ranges` windows.  The number of ranges, or -ENOSPC.
 */
int passthrough_forbidden_ranges(const struct boot_info *bi, struct pt_forbidden *f,
                                 unsigned max);

struct domain;
/*
 * Every platform device the hardware domain's tree keeps
 * (dom0_dt_platform_device()) handed to d: each window mapped 1:1 as device
 * memory, each SPI routed to d.  Checked against
 * passthrough_forbidden_ranges(); every device is checked before any is
 * handed over.  0, or -errno with *why.
 */
int passthrough_platform_devices(const struct boot_info *bi, struct domain *d,
                                 const char **why);

#endif
