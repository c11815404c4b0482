/*
 * driver_table.c — finding a driver for a device-tree node.
 *
 * The table is the .drivers section: one pointer per DRIVER_REGISTER() in
 * drivers/, placed between __drivers_start and __drivers_end by
 * linker/granite.ld.  Lookups run at boot only (libfdt).
 */
#include <libfdt.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/drivers.h>
#include <granite/errno.h>

extern const struct driver *const __drivers_start[], *const __drivers_end[];

#define for_each_driver(drv, cls)                                                   \
    for (const struct driver *const *p_ = __drivers_start; p_ < __drivers_end; p_++) \
        if (((drv) = *p_)->class == (cls))

__boot const struct driver *driver_by_compatible(enum driver_class class, const char *compatible)
{
    const struct driver *drv;

    for_each_driver(drv, class)
        if (!strcmp(drv->compatible, compatible))
            return drv;
    return NULL;
}

__boot int drivers_probe_all(enum driver_class class, const void *fdt, unsigned *found,
                             const char **why)
{
    const struct driver *drv;
    unsigned n = 0;

    for_each_driver(drv, class) {
        int node = -1;
        while ((node = fdt_node_offset_by_compatible(fdt, node, drv->compatible)) >= 0) {
            int ret = drv->probe(fdt, node, why);
            n++;
            if (ret)
                return ret; /* a broken device must not be mistaken for an absent one */
        }
    }
    if (found)
        *found = n;
    return 0;
}

__boot int driver_probe_first(enum driver_class class, const void *fdt, const char **why)
{
    static char looked_for[64];
    const struct driver *drv;

    for_each_driver(drv, class) {
        int node = fdt_node_offset_by_compatible(fdt, -1, drv->compatible);
        if (node >= 0)
            return drv->probe(fdt, node, why);
        snprintf(looked_for, sizeof(looked_for), "no node compatible with \"%s\"",
                 drv->compatible);
    }
    *why = looked_for[0] ? looked_for : "no driver of this kind in the image";
    return -ENODEV;
}
