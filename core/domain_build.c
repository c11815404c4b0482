/*
 * domain_build.c — build a domain at boot.
 *
 * The guest is an arm64 Image like granite itself: a 64-byte header with
 * text_offset and image_size, then code.  The builder
 *   1. gives the domain RAM at GUEST_RAM0_BASE, in 2 MiB chunks of host memory
 *      (mapped with 2 MiB stage-2 blocks), so IPA != PA;
 *   2. copies the image to RAM base + text_offset;
 *   3. writes a device tree, made with libfdt, at the top of RAM: /memory,
 *      /chosen with the command line, /cpus, /psci (conduit "hvc", which granite
 *      serves), and a /hypervisor node in Xen's binding (compatible
 *      "xen,xen-4.19", "xen,xen"; reg = the grant-table window);
 *   4. points the vCPU at the image with x0 = the DTB, as the boot protocol says.
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#include <libfdt.h>
#include <granite/domain_build.h>
#include <granite/boot.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/memory_map.h>
#include <granite/page_alloc.h>
#include <granite/errno.h>
#include <granite/mm.h>

#define CHUNK_ORDER 9 /* 2 MiB */
#define CHUNK_SIZE (PAGE_SIZE << CHUNK_ORDER)
#define GUEST_DTB_MAX (64 * 1024)
#define IMAGE_MAGIC 0x644d5241U /* "ARM\x64" */

struct image_header {
    u32 code0, code1;
    u64 text_offset, image_size, flags, res2, res3, res4;
    u32 magic, res5;
};

extern const u8 builtin_selftest_start[], builtin_selftest_end[];

static const struct guest_image builtin[] = {
    { "selftest", builtin_selftest_start, 0 },
};

__boot const struct guest_image *builtin_guest(const char *name)
{
    static struct guest_image found;

    for (unsigned i = 0; i < ARRAY_SIZE(builtin); i++) {
        if (!strcmp(builtin[i].name, name)) {
            found = builtin[i];
            found.size = builtin_selftest_end - builtin_selftest_start;
            return &found;
        }
    }
    return NULL;
}

static __boot int give_ram(struct domain *d, u64 size)
{
    d->ram_base = ipa(GUEST_RAM0_BASE);
    d->ram_size = size;
    for (u64 off = 0; off < size; off += CHUNK_SIZE) {
        void *chunk;
        if (d->nr_chunks == DOMAIN_MAX_CHUNKS) {
            printk("build: d%u: more than %d chunks of RAM\n", d->id, DOMAIN_MAX_CHUNKS);
            return -E2BIG;
        }
        chunk = alloc_pages(CHUNK_ORDER);
        if (!chunk) {
            printk("build: d%u: out of memory after %lu MiB of %lu MiB\n", d->id, off >> 20,
                   size >> 20);
            return -ENOMEM;
        }
        /* Zeroed through granite's cacheable mapping; the guest starts with its
         * caches off, so no dirty line may linger to be evicted over its data. */
        dcache_clean_inval_range(chunk, CHUNK_SIZE);
        d->chunks[d->nr_chunks++] = (struct ram_chunk){ chunk, CHUNK_ORDER };
        if (p2m_map(&d->p2m, ipa_add(d->ram_base, off), ptr_to_pa(chunk), CHUNK_SIZE,
                    p2m_ram_rw))
            return -ENOMEM;
    }
    return 0;
}

#define FDT_TRY(call)                                                                 \
    do {                                                                              \
        int __e = (call);                                                             \
        if (__e < 0) {                                                                \
            printk("build: device tree: %s failed: %s\n", #call, fdt_strerror(__e)); \
            return -EINVAL;                                                           \
        }                                                                             \
    } while (0)

static __boot int fdt_reg64(void *fdt, int node, u64 addr, u64 size)
{
    fdt64_t reg[2] = { cpu_to_fdt64(addr), cpu_to_fdt64(size) };
    return fdt_setprop(fdt, node, "reg", reg, sizeof(reg));
}

static __boot int make_guest_dtb(struct domain *d, void *fdt, const char *args)
{
    static const char hyp_compat[] = "xen,xen-4.19\0xen,xen";
    static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
    char name[40];
    int node, cpus, cpu;

    FDT_TRY(fdt_create_empty_tree(fdt, GUEST_DTB_MAX));
    FDT_TRY(fdt_setprop_u32(fdt, 0, "#address-cells", 2));
    FDT_TRY(fdt_setprop_u32(fdt, 0, "#size-cells", 2));
    FDT_TRY(fdt_setprop_string(fdt, 0, "compatible", "granite,guest"));
    FDT_TRY(fdt_setprop_string(fdt, 0, "model", "granite guest"));

    snprintf(name, sizeof(name), "memory@%lx", ipa_addr(d->ram_base));
    FDT_TRY(node = fdt_add_subnode(fdt, 0, name));
    FDT_TRY(fdt_setprop_string(fdt, node, "device_type", "memory"));
    FDT_TRY(fdt_reg64(fdt, node, ipa_addr(d->ram_base), d->ram_size));

    FDT_TRY(node = fdt_add_subnode(fdt, 0, "chosen"));
    FDT_TRY(fdt_setprop_string(fdt, node, "bootargs", args ? args : ""));

    FDT_TRY(cpus = fdt_add_subnode(fdt, 0, "cpus"));
    FDT_TRY(fdt_setprop_u32(fdt, cpus, "#address-cells", 1));
    FDT_TRY(fdt_setprop_u32(fdt, cpus, "#size-cells", 0));
    FDT_TRY(cpu = fdt_add_subnode(fdt, cpus, "cpu@0"));
    FDT_TRY(fdt_setprop_string(fdt, cpu, "device_type", "cpu"));
    FDT_TRY(fdt_setprop_string(fdt, cpu, "compatible", "arm,armv8"));
    FDT_TRY(fdt_setprop_u32(fdt, cpu, "reg", 0));
    FDT_TRY(fdt_setprop_string(fdt, cpu, "enable-method", "psci"));

    FDT_TRY(node = fdt_add_subnode(fdt, 0, "psci"));
    FDT_TRY(fdt_setprop(fdt, node, "compatible", psci_compat, sizeof(psci_compat)));
    FDT_TRY(fdt_setprop_string(fdt, node, "method", "hvc"));

    snprintf(name, sizeof(name), "hypervisor@%lx", GUEST_GNTTAB_BASE);
    FDT_TRY(node = fdt_add_subnode(fdt, 0, name));
    FDT_TRY(fdt_setprop(fdt, node, "compatible", hyp_compat, sizeof(hyp_compat)));
    FDT_TRY(fdt_reg64(fdt, node, GUEST_GNTTAB_BASE, GUEST_GNTTAB_SIZE));
    FDT_TRY(fdt_pack(fdt));
    return 0;
}

static __boot int load_image(struct domain *d, const struct guest_image *img, u64 *entry)
{
    const struct image_header *h = (const void *)img->start;
    u64 footprint;

    if (img->size < sizeof(*h) || h->magic != IMAGE_MAGIC) {
        printk("build: d%u: image '%s' is not an arm64 Image (bad magic)\n", d->id, img->name);
        return -EINVAL;
    }
    footprint = h->image_size ? h->image_size : img->size;
    if (h->text_offset + MAX(footprint, img->size) + GUEST_DTB_MAX > d->ram_size) {
        printk("build: d%u: image '%s' (%lu KiB) does not fit in %lu MiB of RAM\n", d->id,
               img->name, footprint >> 10, d->ram_size >> 20);
        return -E2BIG;
    }
    *entry = ipa_addr(d->ram_base) + h->text_offset;
    return domain_copy_to(d, ipa(*entry), img->start, img->size);
}

__boot struct domain *domain_build(unsigned id, const struct guest_image *img, u64 ram_size,
                                   const char *args)
{
    static u8 dtb[GUEST_DTB_MAX] __attribute__((aligned(8)));
    struct domain *d;
    u64 entry, dtb_ipa;

    if (ram_size < CHUNK_SIZE || !IS_ALIGNED(ram_size, CHUNK_SIZE) ||
        ram_size > GUEST_RAM0_MAX - GUEST_RAM0_BASE) {
        printk("build: d%u: RAM size 0x%lx must be a multiple of 2 MiB, at most 2 GiB\n", id,
               ram_size);
        return NULL;
    }
    d = domain_create(id, img->name);
    if (!d)
        return NULL;
    if (give_ram(d, ram_size) || load_image(d, img, &entry) || make_guest_dtb(d, dtb, args))
        goto fail;
    dtb_ipa = ipa_addr(d->ram_base) + d->ram_size - GUEST_DTB_MAX;
    if (domain_copy_to(d, ipa(dtb_ipa), dtb, fdt_totalsize(dtb)))
        goto fail;
    icache_inval_all(); /* granite wrote the guest's code */
    arch_vcpu_init(&d->vcpu0, entry, dtb_ipa);
    printk("build: d%u (%s): %lu MiB RAM at IPA 0x%lx (first chunk at PA 0x%lx), entry 0x%lx, "
           "DTB at 0x%lx, args \"%s\"\n",
           id, d->name, ram_size >> 20, ipa_addr(d->ram_base),
           pa_addr(ptr_to_pa(d->chunks[0].pages)), entry, dtb_ipa, args ? args : "");
    return d;
fail:
    domain_discard(d, "build failed");
    return NULL;
}
