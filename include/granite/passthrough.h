/*
 * passthrough.h — platform devices a domain owns outright (core/passthrough.c),
 * the part a unit test can see: how one device-tree node becomes the MMIO
 * windows and SPIs granite hands over, checked, before anything is mapped.
 */
#ifndef GRANITE_PASSTHROUGH_H
#define GRANITE_PASSTHROUGH_H

#include <granite/types.h>
#include <granite/boot.h>

#define PASSTHROUGH_MAX_WINDOWS 8   /* `reg` entries of one platform device */
#define PASSTHROUGH_MAX_SPIS 8      /* distinct SPIs of one platform device */
#define PASSTHROUGH_MAX_FORBIDDEN (MAX_MEM_BANKS + 8)

/* A physical range no device window may touch, and what it is (for the log). */
struct pt_forbidden {
    u64 base, size;
    const char *what;
};

/* What a plan is checked against. */
struct pt_limits {
    unsigned root_ac;               /* the root's #address-cells: windows must fit it */
    u32 max_intid;                  /* the owner's vGIC has INTIDs below this */
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
};

/*
 * The windows (`reg`, translated) and SPIs (`interrupts` through the
 * inherited `interrupt-parent`, or `interrupts-extended`) of platform device
 * `node`, checked: 0, or -EINVAL with *why naming the node and property.
 * Refused: a missing or short `reg`, a window outside the root's cells or
 * touching a forbidden range, an interrupt parent that is not the host's GIC,
 * an interrupt that is not an SPI, an SPI beyond max_intid, a trigger type
 * the GIC does not have.  No side effects.
 */
int passthrough_platform_plan(const void *fdt, int node, const struct pt_limits *lim,
                              struct pt_plan *out, const char **why);

struct domain;
/*
 * Every platform device the hardware domain's tree keeps
 * (dom0_dt_platform_device()) handed to d: each window mapped 1:1 as device
 * memory, each SPI routed to d.  Checked against the host's RAM, granite's
 * console and the GIC.  0, or -errno with *why.
 */
int passthrough_platform_devices(const struct boot_info *bi, struct domain *d,
                                 const char **why);

#endif
