/*
 * domain_config.c — what domains to build.
 *
 * From the DTB, following Xen's dom0less binding (docs/misc/arm/device-tree/
 * booting.txt in Xen) where it fits: each child of /chosen with
 * compatible = "xen,domain" is a domain:
 *
 *   domU1 {
 *       compatible = "xen,domain";
 *       #address-cells = <1>; #size-cells = <1>;
 *       cpus = <2>;                      vCPUs (1..4)
 *       memory = <0x0 0x8000>;           RAM in KiB, a 64-bit number
 *       direct-map;                      IPA == PA (the hardware domain always is)
 *       vpl011;                          an emulated PL011
 *       granite,ram-above-4g;            its RAM from host memory above 4 GiB
 *                                        (machine addresses a 32-bit DMA
 *                                        mask cannot reach; not with direct-map)
 *       granite,hardware-domain;         this is dom0 (granite's addition)
 *       xen,enhanced = "no-xenstore";    Xen's: the Xen interfaces without a
 *                                        xenstore ring ("enabled", the default:
 *                                        with one; "disabled" is refused: granite
 *                                        always offers the interfaces)
 *       granite,passthrough = "/pcie@10000000";   host devices this domain owns
 *                                        (granite's addition, in the spirit of
 *                                        Xen's xen,passthrough; a string list
 *                                        of full host device-tree paths)
 *       module@4a000000 {
 *           compatible = "multiboot,kernel", "multiboot,module";
 *           reg = <0x4a000000 0x40000>;  an arm64 Image placed by QEMU's loader or U-Boot
 *           bootargs = "test=hello";
 *       };
 *       module@4c000000 {                optional: the initrd, copied into the
 *           compatible = "multiboot,ramdisk", "multiboot,module";   domain's RAM
 *           reg = <0x4c000000 0xf1234>;
 *       };
 *   };
 *
 * A module may name a built-in image instead of `reg`: granite,builtin = "selftest".
 * Domain ids: the hardware domain is 0, the others 1, 2, ... in node order.
 *
 * Passthrough: the only device granite passes through is a PCIe host bridge
 * (PASSTHROUGH_COMPATIBLE): its ECAM and windows mapped at IPA == PA, its
 * INTx SPIs routed, its functions' SMMU streams attached to the owner's
 * context.  A device claimed by no domain goes to the hardware domain, as it
 * always has; one that a domain claims is NOT the hardware domain's.  Stops
 * the boot, naming domain and device: a path not in the host tree, a node
 * that is not a supported device, a device claimed twice, and (once the IOMMU
 * policy is known, domain_configs_check_passthrough) passthrough to a domain
 * that is not direct-mapped.
 * Any error names the node and the property and stops the boot; so does a
 * second kernel or ramdisk module in one domain, and (checked once the
 * allocator's reserved ranges are known, domain_configs_check_modules) a
 * module outside RAM or overlapping another module, granite, the DTB or
 * reserved memory.
 *
 * Without such nodes: the built-in default, a dom0 and a domU, shaped by boot
 * options (core/options.c): dom0="args" / domU1..domU3="args" ("none" omits
 * one), dom0_mem, domU_mem, dom0_vcpus, domU_vcpus.
 *
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#include <libfdt.h>
#include <granite/domain_config.h>
#include <granite/boot.h>
#include <granite/options.h>
#include <granite/console.h>
#include <granite/errno.h>
#include <granite/linux_boot.h>

#define DEFAULT_DOM0_MEM (64UL << 20)
#define DEFAULT_DOMU_MEM (32UL << 20)
#define KIB 1024UL
#define MAX_DOMU_OPTIONS 3

/* One module's `reg`: (address, size) in the domain node's cells. */
static __boot int read_module_reg(const void *fdt, int dnode, int node, pa_t *at, u64 *size,
                                  const char **why)
{
    int ac = fdt_address_cells(fdt, dnode), sc = fdt_size_cells(fdt, dnode), len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    if (ac < 1 || ac > 2 || sc < 1 || sc > 2 || !reg || len != (ac + sc) * 4) {
        *why = dt_node_msg(fdt, node, "'reg' must be one (address, size) pair in the "
                                     "domain node's #address-cells/#size-cells");
        return -EINVAL;
    }
    *at = pa(dt_read_cells(reg, ac));
    *size = dt_read_cells(reg + ac, sc);
    if (!*size || !IS_ALIGNED(pa_addr(*at), 8) || pa_addr(*at) + *size < pa_addr(*at)) {
        *why = dt_node_msg(fdt, node, "'reg' is empty, wraps, or is not 8-byte aligned");
        return -EINVAL;
    }
    return 0;
}

static __boot int read_kernel(const void *fdt, int dnode, int node, struct domain_config *c,
                              const char **why)
{
    const char *builtin, *args;
    int len;

    args = fdt_getprop(fdt, node, "bootargs", &len);
    if (args && (len < 1 || args[len - 1] || len > DOMAIN_CONFIG_ARGS)) {
        *why = dt_node_msg(fdt, node, "'bootargs' is not a string of at most 255 bytes");
        return -EINVAL;
    }
    snprintf(c->args, sizeof(c->args), "%s", args ? args : "");
    builtin = fdt_getprop(fdt, node, "granite,builtin", &len);
    if (builtin) {
        if (len < 2 || builtin[len - 1]) {
            *why = dt_node_msg(fdt, node, "'granite,builtin' is not a string");
            return -EINVAL;
        }
        c->builtin = builtin;
        return 0;
    }
    return read_module_reg(fdt, dnode, node, &c->module, &c->module_size, why);
}

/* The kernel ("multiboot,kernel": reg or granite,builtin, and bootargs) and at
 * most one initrd ("multiboot,ramdisk": reg), as in Xen's dom0less binding. */
static __boot int read_modules(const void *fdt, int dnode, struct domain_config *c,
                               const char **why)
{
    bool have_kernel = false, have_initrd = false;
    int node, ret;

    fdt_for_each_subnode(node, fdt, dnode) {
        if (!fdt_node_check_compatible(fdt, node, "multiboot,kernel")) {
            if (have_kernel) {
                *why = dt_node_msg(fdt, node, "a second \"multiboot,kernel\" module in one "
                                             "domain");
                return -EINVAL;
            }
            have_kernel = true;
            ret = read_kernel(fdt, dnode, node, c, why);
        } else if (!fdt_node_check_compatible(fdt, node, "multiboot,ramdisk")) {
            if (have_initrd) {
                *why = dt_node_msg(fdt, node, "a second \"multiboot,ramdisk\" module in one "
                                             "domain");
                return -EINVAL;
            }
            have_initrd = true;
            ret = read_module_reg(fdt, dnode, node, &c->initrd, &c->initrd_size, why);
        } else {
            continue;
        }
        if (ret)
            return ret;
    }
    if (!have_kernel) {
        *why = dt_node_msg(fdt, dnode, "no child node compatible with \"multiboot,kernel\"");
        return -ENOENT;
    }
    return 0;
}

/* Formatted messages (boot is single-threaded). */
static char config_msg[256];

/* granite,passthrough: a list of host paths, each a device granite passes through. */
static __boot int read_passthrough(const void *fdt, int node, struct domain_config *c,
                                   const char **why)
{
    int len, dev;
    const char *p = fdt_getprop(fdt, node, "granite,passthrough", &len), *end;

    if (!p)
        return 0;
    if (len < 2 || p[len - 1]) {
        *why = dt_node_msg(fdt, node, "'granite,passthrough' is not a list of strings");
        return -EINVAL;
    }
    for (end = p + len; p < end; p += strlen(p) + 1) {
        if (c->nr_passthrough == DOMAIN_MAX_PASSTHROUGH || strlen(p) >= DOMAIN_DT_PATH ||
            p[0] != '/') {
            snprintf(config_msg, sizeof(config_msg), "%s: 'granite,passthrough': \"%s\": at "
                     "most %d full paths of fewer than %d characters", c->node, p,
                     DOMAIN_MAX_PASSTHROUGH, DOMAIN_DT_PATH);
            *why = config_msg;
            return -EINVAL;
        }
        dev = fdt_path_offset(fdt, p);
        if (dev < 0) {
            snprintf(config_msg, sizeof(config_msg), "%s: 'granite,passthrough': %s: no such "
                     "node in the host device tree", c->node, p);
            *why = config_msg;
            return -ENOENT;
        }
        if (fdt_node_check_compatible(fdt, dev, PASSTHROUGH_COMPATIBLE)) {
            snprintf(config_msg, sizeof(config_msg), "%s: 'granite,passthrough': %s: not a "
                     "device granite passes through (only a \"%s\" PCIe host bridge)",
                     c->node, p, PASSTHROUGH_COMPATIBLE);
            *why = config_msg;
            return -EINVAL;
        }
        /* Stored as the node's own full path, not as written: libfdt also
         * finds "/pcie" or "/pcie@10000000/" for "/pcie@10000000", and every
         * later comparison (claimed twice, withheld from dom0) is by path. */
        if (fdt_get_path(fdt, dev, c->passthrough[c->nr_passthrough], DOMAIN_DT_PATH)) {
            snprintf(config_msg, sizeof(config_msg), "%s: 'granite,passthrough': %s: its full "
                     "path is %d characters or more", c->node, p, DOMAIN_DT_PATH);
            *why = config_msg;
            return -EINVAL;
        }
        c->nr_passthrough++;
    }
    c->nr_claimed = c->nr_passthrough;
    return 0;
}

__boot bool domain_config_owns(const struct domain_config *c, const char *path)
{
    for (unsigned i = 0; i < c->nr_passthrough; i++)
        if (!strcmp(c->passthrough[i], path))
            return true;
    return false;
}

/* A device named twice (by two domains, or twice by one) stops the boot. */
static __boot int check_claimed_once(const struct domain_configs *cfg, const char **why)
{
    for (unsigned i = 0; i < cfg->nr; i++)
        for (unsigned k = 0; k < cfg->dom[i].nr_passthrough; k++)
            for (unsigned j = i; j < cfg->nr; j++)
                for (unsigned l = (j == i ? k + 1 : 0); l < cfg->dom[j].nr_passthrough; l++) {
                    if (strcmp(cfg->dom[i].passthrough[k], cfg->dom[j].passthrough[l]))
                        continue;
                    snprintf(config_msg, sizeof(config_msg), "%s: 'granite,passthrough': %s "
                             "is also claimed by %s: a device has one owner",
                             cfg->dom[j].node, cfg->dom[j].passthrough[l], cfg->dom[i].node);
                    *why = config_msg;
                    return -EINVAL;
                }
    return 0;
}

/* Every passthrough-capable host device nobody claims: the hardware domain's
 * (what it has always had).  No hardware domain: it stays with nobody. */
static __boot void give_rest_to_hwdom(const void *fdt, struct domain_configs *cfg)
{
    struct domain_config *hw = NULL;
    int node = -1;

    for (unsigned i = 0; i < cfg->nr; i++)
        if (cfg->dom[i].id == 0)
            hw = &cfg->dom[i];
    if (!hw || !fdt)
        return;
    while ((node = fdt_node_offset_by_compatible(fdt, node, PASSTHROUGH_COMPATIBLE)) >= 0) {
        char path[DOMAIN_DT_PATH];
        bool claimed = false;
        if (fdt_get_path(fdt, node, path, sizeof(path)) < 0)
            continue;
        for (unsigned i = 0; i < cfg->nr; i++)
            claimed |= domain_config_owns(&cfg->dom[i], path);
        if (!claimed && hw->nr_passthrough < DOMAIN_MAX_PASSTHROUGH)
            snprintf(hw->passthrough[hw->nr_passthrough++], DOMAIN_DT_PATH, "%s", path);
    }
}

__boot int domain_configs_check_passthrough(const struct domain_configs *cfg, bool iommu_on,
                                            const char **why)
{
    for (unsigned i = 0; i < cfg->nr; i++) {
        const struct domain_config *c = &cfg->dom[i];
        if (c->direct_map || !c->nr_passthrough)
            continue;
        snprintf(config_msg, sizeof(config_msg), "%s: 'granite,passthrough': %s needs a "
                 "direct-mapped domain (add 'direct-map'): %s", c->node, c->passthrough[0],
                 iommu_on ? "the IOMMU is on, but granite maps a device's windows and "
                            "describes it at IPA == PA, its host address"
                          : "the IOMMU is off, so the device's DMA addresses are machine "
                            "addresses, which only a direct-mapped domain's own are");
        *why = config_msg;
        return -EINVAL;
    }
    return 0;
}

static __boot int read_domain_node(const void *fdt, int node, struct domain_config *c,
                                   const char **why)
{
    const fdt32_t *p;
    int len;

    snprintf(c->name, sizeof(c->name), "%s", fdt_get_name(fdt, node, NULL));
    fdt_get_path(fdt, node, c->node, sizeof(c->node));
    p = fdt_getprop(fdt, node, "cpus", &len);
    if (!p || len != 4 || fdt32_to_cpu(*p) < 1 || fdt32_to_cpu(*p) > 4) {
        *why = dt_node_msg(fdt, node, "'cpus' must be one cell, 1..4");
        return -EINVAL;
    }
    c->nr_vcpus = fdt32_to_cpu(*p);
    p = fdt_getprop(fdt, node, "memory", &len);
    if (!p || (len != 4 && len != 8)) {
        *why = dt_node_msg(fdt, node, "'memory' (KiB) must be one or two cells");
        return -EINVAL;
    }
    c->mem_size = dt_read_cells(p, len / 4) * KIB;
    if (!c->mem_size || !IS_ALIGNED(c->mem_size, 2UL << 20)) {
        *why = dt_node_msg(fdt, node, "'memory' must be a non-zero multiple of 2048 KiB");
        return -EINVAL;
    }
    c->direct_map = fdt_getprop(fdt, node, "direct-map", NULL) != NULL;
    c->vpl011 = fdt_getprop(fdt, node, "vpl011", NULL) != NULL;
    c->ram_above_4g = fdt_getprop(fdt, node, "granite,ram-above-4g", NULL) != NULL;
    if (fdt_getprop(fdt, node, "granite,hardware-domain", NULL)) {
        c->id = 0;
        c->direct_map = true; /* the hardware domain owns devices: it must be 1:1 */
    }
    {
        const char *enh = fdt_getprop(fdt, node, "xen,enhanced", &len);
        if (enh && (len < 1 || enh[len - 1] ||
                    (strcmp(enh, "enabled") && strcmp(enh, "no-xenstore")))) {
            *why = dt_node_msg(fdt, node, "'xen,enhanced' must be \"enabled\" or "
                                          "\"no-xenstore\" (granite always offers the Xen "
                                          "interfaces)");
            return -EINVAL;
        }
        c->no_xenstore = enh && !strcmp(enh, "no-xenstore");
    }
    if (read_passthrough(fdt, node, c, why))
        return -EINVAL;
    return read_modules(fdt, node, c, why);
}

static __boot int configs_from_dtb(const void *fdt, struct domain_configs *out, const char **why)
{
    int chosen = fdt_path_offset(fdt, "/chosen"), node;
    unsigned next_id = 1;
    bool have_dom0 = false;

    out->nr = 0;
    if (chosen < 0)
        return 0;
    fdt_for_each_subnode(node, fdt, chosen) {
        struct domain_config *c;
        int ret;
        if (fdt_node_check_compatible(fdt, node, "xen,domain"))
            continue;
        if (out->nr == MAX_DOMAIN_CONFIGS) {
            *why = dt_node_msg(fdt, node, "more than 4 domains");
            return -E2BIG;
        }
        c = &out->dom[out->nr];
        *c = (struct domain_config){ .id = ~0U };
        ret = read_domain_node(fdt, node, c, why);
        if (ret)
            return ret;
        if (c->id == 0) {
            if (have_dom0) {
                *why = dt_node_msg(fdt, node, "a second 'granite,hardware-domain'");
                return -EINVAL;
            }
            have_dom0 = true;
        } else {
            c->id = next_id++;
        }
        out->nr++;
    }
    out->from_dtb = out->nr > 0;
    return check_claimed_once(out, why);
}

static __boot int builtin_config(struct domain_configs *out, const char **why)
{
    static const char *const domu_keys[MAX_DOMU_OPTIONS] = { "domU1", "domU2", "domU3" };
    int err = 0;
    u64 dom0_mem = opt_size("dom0_mem", DEFAULT_DOM0_MEM, &err);
    u64 domu_mem = opt_size("domU_mem", DEFAULT_DOMU_MEM, &err);
    u64 dom0_vcpus = opt_size("dom0_vcpus", 1, &err);
    u64 domu_vcpus = opt_size("domU_vcpus", 1, &err);
    const char *dom0 = opt_str("dom0");

    if (err || !dom0_vcpus || dom0_vcpus > 4 || !domu_vcpus || domu_vcpus > 4) {
        *why = "bad dom0_mem/domU_mem/dom0_vcpus/domU_vcpus option (vCPUs: 1..4)";
        return -EINVAL;
    }
    out->nr = 0;
    if (!dom0 || strcmp(dom0, "none")) {
        struct domain_config *c = &out->dom[out->nr++];
        *c = (struct domain_config){ .name = "dom0", .node = "built-in", .id = 0,
                                     .nr_vcpus = (unsigned)dom0_vcpus, .mem_size = dom0_mem,
                                     .direct_map = true, .vpl011 = true,
                                     .builtin = "selftest" };
        snprintf(c->args, sizeof(c->args), "%s", dom0 ? dom0 : "test=hello");
    }
    for (unsigned i = 0; i < MAX_DOMU_OPTIONS; i++) {
        const char *args = opt_str(domu_keys[i]);
        struct domain_config *c;
        if (i == 0 && !args)
            args = "test=hello";
        if (!args || !strcmp(args, "none"))
            continue;
        c = &out->dom[out->nr++];
        *c = (struct domain_config){ .node = "built-in", .id = i + 1,
                                     .nr_vcpus = (unsigned)domu_vcpus, .mem_size = domu_mem,
                                     .vpl011 = true, .builtin = "selftest" };
        snprintf(c->name, sizeof(c->name), "%s", domu_keys[i]);
        snprintf(c->args, sizeof(c->args), "%s", args);
    }
    if (!out->nr) {
        *why = "no domain to run (dom0=none and no domU)";
        return -ENOENT;
    }
    return 0;
}

__boot int domain_configs_read(const void *fdt, struct domain_configs *out, const char **why)
{
    int ret = configs_from_dtb(fdt, out, why);

    if (!ret && !out->nr)
        ret = builtin_config(out, why);
    if (!ret)
        give_rest_to_hwdom(fdt, out);
    return ret;
}

static __boot const char *module_kind(unsigned k) { return k ? "initrd" : "kernel"; }

__boot int domain_configs_check_modules(const struct domain_configs *cfg,
                                        const struct mem_range *ram, unsigned nr_ram,
                                        const struct busy_range *busy, unsigned nr_busy,
                                        const char **why)
{
    static char msg[200];

    for (unsigned i = 0; i < cfg->nr; i++) {
        const struct domain_config *c = &cfg->dom[i];
        for (unsigned k = 0; k < 2; k++) {
            u64 at = pa_addr(k ? c->initrd : c->module), size = k ? c->initrd_size
                                                                  : (c->builtin ? 0 : c->module_size);
            bool in_ram = false;
            if (!size)
                continue;
            for (unsigned r = 0; r < nr_ram; r++)
                in_ram |= at >= pa_addr(ram[r].start) && size <= ram[r].size &&
                          at - pa_addr(ram[r].start) <= ram[r].size - size;
            if (!in_ram) {
                snprintf(msg, sizeof(msg), "%s: %s module 0x%lx-0x%lx is not inside one RAM "
                         "bank", c->node, module_kind(k), at, at + size);
                *why = msg;
                return -EINVAL;
            }
            for (unsigned b = 0; b < nr_busy; b++) {
                if (linux_ranges_overlap(at, size, busy[b].start, busy[b].size)) {
                    snprintf(msg, sizeof(msg), "%s: %s module 0x%lx-0x%lx overlaps %s "
                             "0x%lx-0x%lx", c->node, module_kind(k), at, at + size,
                             busy[b].what, busy[b].start, busy[b].start + busy[b].size);
                    *why = msg;
                    return -EINVAL;
                }
            }
            /* Every later module (this domain's initrd, the next domains'). */
            for (unsigned j = i; j < cfg->nr; j++) {
                const struct domain_config *o = &cfg->dom[j];
                for (unsigned l = (j == i ? k + 1 : 0); l < 2; l++) {
                    u64 oat = pa_addr(l ? o->initrd : o->module);
                    u64 osize = l ? o->initrd_size : (o->builtin ? 0 : o->module_size);
                    if (!linux_ranges_overlap(at, size, oat, osize))
                        continue;
                    snprintf(msg, sizeof(msg), "%s: %s module 0x%lx-0x%lx overlaps %s's %s "
                             "module 0x%lx-0x%lx", c->node, module_kind(k), at, at + size,
                             o->node, module_kind(l), oat, oat + osize);
                    *why = msg;
                    return -EINVAL;
                }
            }
        }
    }
    return 0;
}
