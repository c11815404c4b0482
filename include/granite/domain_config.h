/*
 * domain_config.h — which domains to build, from the DTB or the built-in default.
 */
#ifndef GRANITE_DOMAIN_CONFIG_H
#define GRANITE_DOMAIN_CONFIG_H

#include <granite/types.h>
#include <granite/page_alloc.h>

#define MAX_DOMAIN_CONFIGS 4
#define DOMAIN_CONFIG_ARGS 256
#define DOMAIN_MAX_PASSTHROUGH 4  /* host devices one domain may own */
#define DOMAIN_DT_PATH 64         /* a host device-tree path, NUL included */
/* The one kind of device granite passes through: a PCIe host bridge (its
 * ECAM, windows and INTx; its functions' SMMU streams). */
#define PASSTHROUGH_COMPATIBLE "pci-host-ecam-generic"

struct domain_config {
    char name[16];
    char node[64];            /* the DTB node it came from, for messages ("built-in" if none) */
    unsigned id;              /* 0 = the hardware domain (dom0) */
    unsigned nr_vcpus;
    u64 mem_size;
    bool direct_map;
    bool vpl011;
    bool ram_above_4g;        /* granite,ram-above-4g: RAM from host memory above 4 GiB */
    bool no_xenstore;         /* xen,enhanced = "no-xenstore": no xenstore ring */
    const char *builtin;      /* a built-in image by name, or NULL */
    pa_t module;              /* or an Image in RAM, placed by the boot loader */
    u64 module_size;
    pa_t initrd;              /* a "multiboot,ramdisk" module, or initrd_size 0 */
    u64 initrd_size;
    char args[DOMAIN_CONFIG_ARGS];
    /* Host devices it owns (full host device-tree paths): what its
     * granite,passthrough names, plus, for the hardware domain, every
     * passthrough-capable device no other domain claims (implicit). */
    char passthrough[DOMAIN_MAX_PASSTHROUGH][DOMAIN_DT_PATH];
    unsigned nr_passthrough;
    unsigned nr_claimed;      /* of which named by its own granite,passthrough */
};

struct domain_configs {
    struct domain_config dom[MAX_DOMAIN_CONFIGS];
    unsigned nr;
    bool from_dtb;
};

/* Read /chosen's "xen,domain" nodes, or, when there are none, the built-in
 * default shaped by boot options.  0, or -errno with *why naming the node and
 * property at fault. */
int domain_configs_read(const void *fdt, struct domain_configs *out, const char **why);

/* Whether `path` is one of c's devices. */
bool domain_config_owns(const struct domain_config *c, const char *path);

/* Passthrough that only a direct-mapped domain can take: 0, or -EINVAL with
 * *why naming the domain, the device and why (with the IOMMU off, the device
 * would DMA to machine addresses; with it on, granite still maps the device's
 * windows and its tree at IPA == PA).  Once the IOMMU policy is known. */
int domain_configs_check_passthrough(const struct domain_configs *cfg, bool iommu_on,
                                     const char **why);

/* A range a module must stay clear of (granite, the DTB, reserved memory). */
struct busy_range {
    const char *what;
    u64 start, size;
};

/* The boot loader's modules (kernels, ramdisks) of every domain: each inside
 * one RAM bank, none overlapping another or any `busy` range.  0, or -EINVAL
 * with *why naming the domain, the modules and the ranges. */
int domain_configs_check_modules(const struct domain_configs *cfg, const struct mem_range *ram,
                                 unsigned nr_ram, const struct busy_range *busy,
                                 unsigned nr_busy, const char **why);

#endif
