/*
 * domain_build.h — building a domain at boot: RAM, kernel image, device tree,
 * emulated devices, passthrough.
 */
#ifndef GRANITE_DOMAIN_BUILD_H
#define GRANITE_DOMAIN_BUILD_H

#include <granite/domain.h>
#include <granite/domain_config.h>
#include <granite/boot.h>

struct guest_image {
    const char *name;
    const u8 *start;
    u64 size;
};

/* The guests packed into granite's image (core/builtin_guests.S, which
 * defines these bounds of the selftest guest's bytes). */
extern const u8 builtin_selftest_start[], builtin_selftest_end[];
const struct guest_image *builtin_guest(const char *name);

/* Build a domain from its configuration.  NULL on failure (logged, *why set). */
struct domain *domain_build(const struct domain_config *c, const struct boot_info *bi,
                            const char **why);

/* Pass the host device at `path` (a PASSTHROUGH_COMPATIBLE PCIe host bridge)
 * through to direct-mapped domain d: its windows at IPA == PA, its INTx SPIs
 * routed to d (core/passthrough.c).  0, or -errno with *why. */
int passthrough_device(const void *fdt, struct domain *d, const char *path, const char **why);

#endif
