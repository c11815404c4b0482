/*
 * domain_build.h — building a domain at boot: RAM, kernel image, device tree.
 */
#ifndef GRANITE_DOMAIN_BUILD_H
#define GRANITE_DOMAIN_BUILD_H

#include <granite/domain.h>

struct guest_image {
    const char *name;
    const u8 *start;
    u64 size;
};

/* The guests packed into granite's image (core/builtin_guests.S). */
const struct guest_image *builtin_guest(const char *name);

/* Build domain `id` running `img` with `ram_size` bytes of RAM at
 * GUEST_RAM0_BASE and `args` as its command line.  NULL on failure (logged). */
struct domain *domain_build(unsigned id, const struct guest_image *img, u64 ram_size,
                            const char *args);

#endif
