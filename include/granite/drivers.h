/*
 * drivers.h — how the device drivers in drivers/ make themselves known.
 *
 * Each driver describes itself in one `struct driver` and registers it with
 * DRIVER_REGISTER(); the linker gathers the registrations into the .drivers
 * table (linker/granite.ld) and drivers/driver_table.c looks them up by
 * class and device-tree compatible.  Whoever needs an interrupt controller,
 * a console or the IOMMUs asks the table for its class and never names a
 * driver: adding one is a new file in drivers/ and the Makefile, nothing else.
 * (Jailhouse's "units" are the model: a name, what it matches, what it offers.)
 */
#ifndef GRANITE_DRIVERS_H
#define GRANITE_DRIVERS_H

#include <granite/types.h>

enum driver_class {
    DRIVER_IRQCHIP,  /* the host interrupt controller (arch/arm64/irq.c probes it) */
    DRIVER_CONSOLE,  /* granite's console UART (core/main.c) */
    DRIVER_IOMMU,    /* every IOMMU in the DT (core/iommu.c) */
};

/* What a console driver offers. */
struct console_ops {
    /* Drive the UART at `regs` (already mapped as device memory) as the console. */
    void (*init)(void *regs);
    /* Deliver received characters to `sink` from the UART's interrupt ... */
    void (*enable_rx)(void (*sink)(char c));
    /* ... which is this handler's (irq_take_for_granite). */
    void (*rx_interrupt)(u32 intid);
};

struct driver {
    const char *name;
    enum driver_class class;
    const char *compatible;     /* the device-tree compatible string it drives */
    /* IRQCHIP, IOMMU: set up the device at DT node `node`; 0 or -errno with *why. */
    int (*probe)(const void *fdt, int node, const char **why);
    const struct console_ops *console;   /* CONSOLE */
};

#define DRIVER_REGISTER(drv)                                                            \
    static const struct driver *const drv##_registration                               \
        __attribute__((used, section(".drivers"), aligned(sizeof(void *)))) = &(drv)

/* The driver of `class` compatible with `compatible`, or NULL. */
const struct driver *driver_by_compatible(enum driver_class class, const char *compatible);

/* Probe every DT node a driver of `class` is compatible with, in table order;
 * stops at the first failure (its -errno, with *why).  *found (may be NULL)
 * counts the nodes probed. */
int drivers_probe_all(enum driver_class class, const void *fdt, unsigned *found,
                      const char **why);

/* The first DT node a driver of `class` is compatible with, probed; -ENODEV
 * with *why naming what was looked for if there is none. */
int driver_probe_first(enum driver_class class, const void *fdt, const char **why);

#endif
