/*
 * domain_build.c — build a domain at boot.
 *
 * The guest is an arm64 Image like granite itself: a 64-byte header with
 * text_offset and image_size, then code.  For each configured domain the
 * builder
 *   1. gives it RAM:
 *        direct-mapped (dom0, a driver domain): one contiguous, 2 MiB-aligned host range mapped
 *        at IPA == PA;
 *        otherwise: 2 MiB chunks of host memory mapped from GUEST_RAM0_BASE in
 *        the reverse order of their addresses, so that the IPA space is
 *        contiguous and the PA space visibly is not;
 *        each chunk records the IPA of its first page (struct ram_chunk), so
 *        the memory_op balloon can find a ballooned GFN's own page again;
 *   2. follows the Linux boot protocol (core/linux_boot.c): checks the Image
 *      header, copies the kernel to RAM base + text_offset and an initrd
 *      (a "multiboot,ramdisk" module) below the DTB, clear of the kernel's
 *      image_size footprint, named in /chosen linux,initrd-start/end;
 *   3. sets up its emulated GIC (GICv3, or GICv2 on a GICv2 host) and PL011 (at the host's addresses for a
 *      direct-mapped domain, at Xen/QEMU-virt's guest addresses otherwise);
 *   4. writes its device tree at the top of RAM — a direct-mapped domain's
 *      is the host's, filtered (core/dom0_dt.c), each keeping only the
 *      devices it owns; a domU's is generated: /memory, /chosen,
 *      /cpus, /psci (conduit "hvc"), /intc, /timer, the UART, and a
 *      /hypervisor node in Xen's binding;
 *   5. gives a domain other than dom0 a xenstore ring (for a direct-mapped
 *      one, in a host hole the device-tree builder picks);
 *   6. passes the devices it owns through (core/passthrough.c: the PCIe host
 *      bridge, the hardware domain's unless another domain claims it) and
 *      attaches their streams to its IOMMU context (core/iommu.c);
 *   7. points vCPU 0 at the image with x0 = the DTB, the others OFF until PSCI CPU_ON.
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#include <libfdt.h>
#include <granite/domain_build.h>
#include <granite/passthrough.h>
#include <granite/hypercall.h>
#include <granite/dom0_dt.h>
#include <granite/event_channel.h>
#include <granite/grant_table.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/memory_map.h>
#include <granite/page_alloc.h>
#include <granite/mm.h>
#include <granite/sched.h>
#include <granite/errno.h>
#include <granite/iommu.h>
#include <granite/iommu_known.h>
#include <granite/options.h>
#include <granite/pci.h>
#include <granite/linux_boot.h>
#include <granite/xen_ext_regions.h>
#include <granite/trace.h>
#include <granite/smc_service.h>
#include <public/grant_table.h>
#include <public/granite.h>

#define CHUNK_ORDER 9 /* 2 MiB */
#define CHUNK_SIZE (PAGE_SIZE << CHUNK_ORDER)
#define GUEST_DTB_MAX (64 * 1024)
#define GIC_PHANDLE 1
#define CLOCK_PHANDLE 2
#define GIC_PPI 1
#define GIC_SPI 0
#define IRQ_LEVEL_HIGH 4
#define PPI_LEVEL_LOW_ALL_CPUS 0xf08 /* Xen's flags for its PPIs */
#define UART_CLOCK_HZ 24000000

__boot const struct guest_image *builtin_guest(const char *name)
{
    static struct guest_image found;

    if (!strcmp(name, "selftest")) {
        found = (struct guest_image){ "selftest", builtin_selftest_start,
                                      (u64)(builtin_selftest_end - builtin_selftest_start) };
        return &found;
    }
    return NULL;
}

/* --- RAM ------------------------------------------------------------------- */

static __boot int add_chunk(struct domain *d, void *pages, u64 nr_pages, ipa_t at)
{
    if (d->nr_chunks == DOMAIN_MAX_CHUNKS)
        return -E2BIG;
    /* Zeroed through granite's cacheable mapping; the guest starts with its
     * caches off, so no dirty line may linger to be evicted over its data. */
    dcache_clean_inval_range(pages, nr_pages << PAGE_SHIFT);
    d->chunks[d->nr_chunks++] = (struct ram_chunk){ pages, nr_pages, at };
    iommu_ram_changed(d, ptr_to_pa(pages), nr_pages << PAGE_SHIFT, true); /* dom0_iommu=relaxed */
    return 0;
}

static __boot int give_ram_direct(struct domain *d, u64 size, const char **why)
{
    void *p = alloc_pages_contig(size >> PAGE_SHIFT, CHUNK_ORDER);

    if (!p) {
        *why = "no contiguous host RAM for the direct-mapped domain";
        return -ENOMEM;
    }
    d->ram_base = ipa_of_pa_1to1(ptr_to_pa(p));
    d->ram_size = size;
    if (add_chunk(d, p, size >> PAGE_SHIFT, d->ram_base) ||
        p2m_map(&d->p2m, d->ram_base, ptr_to_pa(p), size, p2m_ram_rw)) {
        *why = "cannot map the direct-mapped domain's RAM";
        return -ENOMEM;
    }
    printk("build: d%u: RAM 0x%lx-0x%lx, direct-mapped: IPA == PA\n", d->id,
           ipa_addr(d->ram_base), ipa_addr(d->ram_base) + size);
    return 0;
}

#define SZ_4G (4UL << 30)

static __boot int give_ram_scattered(struct domain *d, u64 size, bool above_4g, const char **why)
{
    unsigned n = (unsigned)(size / CHUNK_SIZE);

    d->ram_base = ipa(GUEST_RAM0_BASE);
    d->ram_size = size;
    if (n > DOMAIN_MAX_CHUNKS) {
        *why = "RAM too large for granite's chunk list";
        return -E2BIG;
    }
    for (unsigned i = 0; i < n; i++) {
        void *chunk = above_4g ? alloc_pages_above(1UL << CHUNK_ORDER, CHUNK_ORDER, pa(SZ_4G))
                               : alloc_pages(CHUNK_ORDER);
        /* Mapped below in reverse order: chunk i at the (n-1-i)th slot. */
        ipa_t at = ipa_add(d->ram_base, (u64)(n - 1 - i) * CHUNK_SIZE);
        if (!chunk || add_chunk(d, chunk, CHUNK_SIZE >> PAGE_SHIFT, at)) {
            *why = above_4g ? "out of host memory above 4 GiB for the domain's RAM"
                            : "out of host memory for the domain's RAM";
            return -ENOMEM;
        }
    }
    /* Highest-addressed chunk at the lowest IPA: contiguous IPAs, scattered PAs. */
    for (unsigned i = 0; i < n; i++) {
        if (p2m_map(&d->p2m, d->chunks[i].ipa, ptr_to_pa(d->chunks[i].pages), CHUNK_SIZE,
                    p2m_ram_rw)) {
            *why = "cannot map the domain's RAM";
            return -ENOMEM;
        }
    }
    printk("build: d%u: RAM IPA 0x%lx-0x%lx in %u chunks of 2 MiB, not contiguous in PA: "
           "IPA 0x%lx -> PA 0x%lx, IPA 0x%lx -> PA 0x%lx\n", d->id, ipa_addr(d->ram_base),
           ipa_addr(d->ram_base) + size, n, ipa_addr(d->ram_base),
           pa_addr(ptr_to_pa(d->chunks[n - 1].pages)),
           ipa_addr(d->ram_base) + CHUNK_SIZE * (n > 1 ? 1 : 0),
           pa_addr(ptr_to_pa(d->chunks[n > 1 ? n - 2 : 0].pages)));
    return 0;
}

/* --- image ----------------------------------------------------------------- */

/* Messages that name the module (boot is single-threaded). */
static char module_msg[200];

static __boot const char *module_why(const char *kind, u64 at, u64 size, const char *what)
{
    snprintf(module_msg, sizeof(module_msg), "%s module at 0x%lx (%lu bytes): %s", kind, at,
             size, what);
    return module_msg;
}

static __boot int find_image(const struct domain_config *c, struct guest_image *img,
                             const char **why)
{
    if (c->builtin) {
        const struct guest_image *b = builtin_guest(c->builtin);
        if (!b) {
            *why = "unknown built-in image (known: selftest)";
            return -ENOENT;
        }
        *img = *b;
        return 0;
    }
    if (hyp_map(c->module, c->module_size, HYP_MAP_RO)) {
        *why = module_why("kernel", pa_addr(c->module), c->module_size, "cannot map it");
        return -EINVAL;
    }
    *img = (struct guest_image){ c->name, pa_to_ptr(c->module), c->module_size };
    return 0;
}

/*
 * The Linux boot protocol (core/linux_boot.c): check the Image header, place
 * kernel, initrd and DTB slot in the domain's RAM, copy kernel and initrd.
 */
static __boot int load_image(struct domain *d, const struct domain_config *c,
                             const struct guest_image *img, struct linux_layout *lay,
                             const char **why)
{
    u64 at = c->builtin ? 0 : pa_addr(c->module);
    const char *what;
    struct linux_image li;
    int ret;

    if ((ret = linux_image_parse(img->start, img->size, &li, &what))) {
        *why = c->builtin ? what : module_why("kernel", at, img->size, what);
        return ret;
    }
    if ((ret = linux_layout_place(ipa_addr(d->ram_base), d->ram_size, &li, c->initrd_size,
                                  GUEST_DTB_MAX, lay, &what))) {
        static char msg[240];
        snprintf(msg, sizeof(msg), "%s (RAM %lu MiB, image_size %lu KiB, initrd %lu KiB)", what,
                 d->ram_size >> 20, li.image_size >> 10, c->initrd_size >> 10);
        *why = msg;
        return ret;
    }
    /* Only the image's own bytes: the rest of its footprint (BSS) and of the
     * RAM is already zero (page_alloc.c zeroes what it hands out). */
    if ((ret = domain_copy_to(d, ipa(lay->kernel), img->start, li.file_size))) {
        *why = "cannot copy the kernel into the domain's RAM";
        return ret;
    }
    printk("build: d%u: kernel 0x%lx-0x%lx: %lu bytes copied (module %lu bytes), footprint to "
           "0x%lx\n", d->id, lay->kernel, lay->kernel + li.file_size, li.file_size, img->size,
           lay->kernel_end);
    if (c->initrd_size) {
        if (hyp_map(c->initrd, c->initrd_size, HYP_MAP_RO)) {
            *why = module_why("initrd", pa_addr(c->initrd), c->initrd_size, "cannot map it");
            return -EINVAL;
        }
        if ((ret = domain_copy_to(d, ipa(lay->initrd), pa_to_ptr(c->initrd), c->initrd_size))) {
            *why = "cannot copy the initrd into the domain's RAM";
            return ret;
        }
        printk("build: d%u: initrd 0x%lx-0x%lx (from the module at 0x%lx), kernel footprint "
               "0x%lx-0x%lx\n", d->id, lay->initrd, lay->initrd_end, pa_addr(c->initrd),
               lay->kernel, lay->kernel_end);
    }
    return 0;
}

/* --- device tree ----------------------------------------------------------- */

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

static __boot int fdt_irq(void *fdt, int node, const u32 *spec, unsigned nr_cells)
{
    fdt32_t v[12];
    for (unsigned i = 0; i < nr_cells; i++)
        v[i] = cpu_to_fdt32(spec[i]);
    return fdt_setprop(fdt, node, "interrupts", v, nr_cells * 4);
}

static __boot int add_cpus(void *fdt, unsigned nr)
{
    int cpus, cpu;
    char name[16];

    FDT_TRY(cpus = fdt_add_subnode(fdt, 0, "cpus"));
    FDT_TRY(fdt_setprop_u32(fdt, cpus, "#address-cells", 1));
    FDT_TRY(fdt_setprop_u32(fdt, cpus, "#size-cells", 0));
    for (int i = (int)nr - 1; i >= 0; i--) { /* fdt_add_subnode prepends */
        snprintf(name, sizeof(name), "cpu@%d", i);
        FDT_TRY(cpu = fdt_add_subnode(fdt, cpus, name));
        FDT_TRY(fdt_setprop_string(fdt, cpu, "device_type", "cpu"));
        FDT_TRY(fdt_setprop_string(fdt, cpu, "compatible", "arm,armv8"));
        FDT_TRY(fdt_setprop_u32(fdt, cpu, "reg", (u32)i));
        FDT_TRY(fdt_setprop_string(fdt, cpu, "enable-method", "psci"));
    }
    return 0;
}

static __boot int add_gic_timer_uart(void *fdt, struct domain *d)
{
    static const u32 timer_ppis[12] = { GIC_PPI, 13, PPI_LEVEL_LOW_ALL_CPUS,
                                        GIC_PPI, 14, PPI_LEVEL_LOW_ALL_CPUS,
                                        GIC_PPI, 11, PPI_LEVEL_LOW_ALL_CPUS,
                                        GIC_PPI, 10, PPI_LEVEL_LOW_ALL_CPUS };
    struct arch_gic_dt gic;
    fdt64_t gic_reg[4];
    u32 uart_irq[3] = { GIC_SPI, GUEST_PL011_INTID - 32, IRQ_LEVEL_HIGH };
    fdt32_t clocks[2] = { cpu_to_fdt32(CLOCK_PHANDLE), cpu_to_fdt32(CLOCK_PHANDLE) };
    static const char clock_names[] = "uartclk\0apb_pclk";
    static const char uart_compat[] = "arm,pl011\0arm,primecell";
    char name[40];
    int node;

    /* The GIC the architecture gives this domain (a GICv3, or a GICv2 on a GICv2 host). */
    arch_domain_gic_dt(d, &gic);
    for (unsigned i = 0; i < 2 * gic.nr_reg && i < ARRAY_SIZE(gic_reg); i++)
        gic_reg[i] = cpu_to_fdt64(gic.reg[i]);
    snprintf(name, sizeof(name), "intc@%lx", gic.reg[0]);
    FDT_TRY(node = fdt_add_subnode(fdt, 0, name));
    FDT_TRY(fdt_setprop_string(fdt, node, "compatible", gic.compatible));
    FDT_TRY(fdt_setprop(fdt, node, "reg", gic_reg, 2 * gic.nr_reg * sizeof(fdt64_t)));
    FDT_TRY(fdt_setprop_u32(fdt, node, "#interrupt-cells", 3));
    FDT_TRY(fdt_setprop(fdt, node, "interrupt-controller", NULL, 0));
    if (gic.redist_regions)
        FDT_TRY(fdt_setprop_u32(fdt, node, "#redistributor-regions", 1));
    FDT_TRY(fdt_setprop_u32(fdt, node, "phandle", GIC_PHANDLE));

    FDT_TRY(node = fdt_add_subnode(fdt, 0, "timer"));
    FDT_TRY(fdt_setprop_string(fdt, node, "compatible", "arm,armv8-timer"));
    FDT_TRY(fdt_irq(fdt, node, timer_ppis, 12));

    if (!d->uart.present)
        return 0;
    /* "arm,pl011" + "arm,primecell" with its clocks rather than "arm,sbsa-uart":
     * it is what QEMU's virt and Xen give guests, so a kernel sees the same
     * UART as on bare QEMU; Linux's full amba-pl011 driver then programs
     * IBRD/FBRD/LCR_H/CR/IFLS/IMSC and reads the PrimeCell ids, which
     * core/vpl011.c models (the SBSA subset would leave that untested).  The
     * AMBA bus wants the "apb_pclk" clock; the driver computes its baud
     * divisors from "uartclk". */
    FDT_TRY(node = fdt_add_subnode(fdt, 0, "apb-pclk"));
    FDT_TRY(fdt_setprop_string(fdt, node, "compatible", "fixed-clock"));
    FDT_TRY(fdt_setprop_u32(fdt, node, "#clock-cells", 0));
    FDT_TRY(fdt_setprop_u32(fdt, node, "clock-frequency", UART_CLOCK_HZ));
    FDT_TRY(fdt_setprop_u32(fdt, node, "phandle", CLOCK_PHANDLE));
    snprintf(name, sizeof(name), "pl011@%lx", GUEST_PL011_BASE);
    FDT_TRY(node = fdt_add_subnode(fdt, 0, name));
    FDT_TRY(fdt_setprop(fdt, node, "compatible", uart_compat, sizeof(uart_compat)));
    FDT_TRY(fdt_reg64(fdt, node, GUEST_PL011_BASE, VPL011_SIZE));
    FDT_TRY(fdt_irq(fdt, node, uart_irq, 3));
    FDT_TRY(fdt_setprop(fdt, node, "clocks", clocks, sizeof(clocks)));
    FDT_TRY(fdt_setprop(fdt, node, "clock-names", clock_names, sizeof(clock_names)));
    return 0;
}

static __boot int make_domu_dtb(struct domain *d, void *fdt, const char *args,
                                const struct linux_layout *lay)
{
    static const char hyp_compat[] = GRANITE_XEN_COMPATIBLE;
    static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
    u32 evtchn_irq[3] = { GIC_PPI, GUEST_EVTCHN_PPI - 16, PPI_LEVEL_LOW_ALL_CPUS };
    struct ext_range ram = { ipa_addr(d->ram_base), d->ram_size }, ext[XEN_EXT_REGIONS_MAX];
    fdt64_t hyp_reg[2 * (1 + XEN_EXT_REGIONS_MAX)];
    unsigned nr_ext = 0;
    char name[40];
    int node;

    /* Extended regions as Xen's find_domU_holes: what is above the domain's
     * RAM in the GUEST_RAM0 window, and the GUEST_RAM1 window (nothing of a
     * domU lives there), 2 MiB-aligned and >= 64 MiB each. */
    xen_ext_regions_find(&ram, 1, GUEST_RAM0_BASE, GUEST_RAM0_BASE + GUEST_RAM0_MAX,
                         ext, &nr_ext, XEN_EXT_REGIONS_MAX);
    xen_ext_regions_find(&ram, 1, GUEST_RAM1_BASE, GUEST_RAM1_BASE + GUEST_RAM1_SIZE,
                         ext, &nr_ext, XEN_EXT_REGIONS_MAX);
    for (unsigned i = 0; i < nr_ext; i++)
        d->ext_regions[i] = ext[i];
    d->nr_ext_regions = nr_ext;
    hyp_reg[0] = cpu_to_fdt64(ipa_addr(d->gnttab_base));
    hyp_reg[1] = cpu_to_fdt64(d->gnttab_size);
    for (unsigned i = 0; i < nr_ext; i++) {
        hyp_reg[2 + 2 * i] = cpu_to_fdt64(ext[i].start);
        hyp_reg[3 + 2 * i] = cpu_to_fdt64(ext[i].size);
    }

    FDT_TRY(fdt_create_empty_tree(fdt, GUEST_DTB_MAX));
    FDT_TRY(fdt_setprop_u32(fdt, 0, "#address-cells", 2));
    FDT_TRY(fdt_setprop_u32(fdt, 0, "#size-cells", 2));
    FDT_TRY(fdt_setprop_string(fdt, 0, "compatible", "granite,guest"));
    FDT_TRY(fdt_setprop_string(fdt, 0, "model", "granite guest"));
    FDT_TRY(fdt_setprop_u32(fdt, 0, "interrupt-parent", GIC_PHANDLE));

    if (add_gic_timer_uart(fdt, d) || add_cpus(fdt, d->nr_vcpus))
        return -EINVAL;

    snprintf(name, sizeof(name), "memory@%lx", ipa_addr(d->ram_base));
    FDT_TRY(node = fdt_add_subnode(fdt, 0, name));
    FDT_TRY(fdt_setprop_string(fdt, node, "device_type", "memory"));
    FDT_TRY(fdt_reg64(fdt, node, ipa_addr(d->ram_base), d->ram_size));

    FDT_TRY(node = fdt_add_subnode(fdt, 0, "chosen"));
    FDT_TRY(fdt_setprop_string(fdt, node, "bootargs", args ? args : ""));
    if (lay->initrd_end > lay->initrd) { /* booting.rst: 64-bit values are fine */
        FDT_TRY(fdt_setprop_u64(fdt, node, "linux,initrd-start", lay->initrd));
        FDT_TRY(fdt_setprop_u64(fdt, node, "linux,initrd-end", lay->initrd_end));
    }
    if (d->uart.present) {
        snprintf(name, sizeof(name), "/pl011@%lx", GUEST_PL011_BASE);
        FDT_TRY(fdt_setprop_string(fdt, node, "stdout-path", name));
    }

    FDT_TRY(node = fdt_add_subnode(fdt, 0, "psci"));
    FDT_TRY(fdt_setprop(fdt, node, "compatible", psci_compat, sizeof(psci_compat)));
    FDT_TRY(fdt_setprop_string(fdt, node, "method", "hvc"));

    /* Xen's binding: a depth-1 node named exactly "hypervisor" (Linux looks
     * it up by that name), reg[0] the grant-table window, reg[1..N] the
     * extended regions, the upcall PPI. */
    FDT_TRY(node = fdt_add_subnode(fdt, 0, "hypervisor"));
    FDT_TRY(fdt_setprop(fdt, node, "compatible", hyp_compat, sizeof(hyp_compat)));
    FDT_TRY(fdt_setprop(fdt, node, "reg", hyp_reg, (1 + nr_ext) * 2 * sizeof(fdt64_t)));
    FDT_TRY(fdt_setprop_u32(fdt, node, "interrupt-parent", GIC_PHANDLE));
    FDT_TRY(fdt_irq(fdt, node, evtchn_irq, 3));
    if (trace_on()) { /* why a property: include/public/granite.h */
        fdt32_t trace[2] = { cpu_to_fdt32(trace_packets), cpu_to_fdt32(d->id) };
        FDT_TRY(fdt_setprop(fdt, node, GRANITE_DT_PROP_PACKET_TRACE, trace, sizeof(trace)));
    }
    FDT_TRY(fdt_pack(fdt));
    return 0;
}

/* Host bridges (PASSTHROUGH_COMPATIBLE) that c does not own: withheld from
 * its tree.  Returns how many were written to out. */
static __boot unsigned others_devices(const void *fdt, const struct domain_config *c,
                                      const char **out, unsigned max)
{
    static char paths[PCI_MAX_BRIDGES][DOMAIN_DT_PATH];
    unsigned n = 0;
    int node = -1;

    while ((node = fdt_node_offset_by_compatible(fdt, node, PASSTHROUGH_COMPATIBLE)) >= 0 &&
           n < max && n < PCI_MAX_BRIDGES) {
        if (fdt_get_path(fdt, node, paths[n], sizeof(paths[n])) < 0 ||
            domain_config_owns(c, paths[n]))
            continue;
        out[n] = paths[n];
        n++;
    }
    return n;
}

/*
 * The host's tree, filtered (core/dom0_dt.c), for a direct-mapped domain: the
 * hardware domain, or a driver domain.  Each keeps the PCIe bridges it owns
 * and loses the others'.  A direct-mapped domain other than the hardware
 * domain also gets a xenstore page in a host hole (*store_ipa).
 */
static __boot int make_host_dtb(struct domain *d, void *out, const struct boot_info *bi,
                                const struct domain_config *c, const struct linux_layout *lay,
                                u64 *store_ipa, const char **why)
{
    /* libfdt edits in place, so the work space must hold the host tree as it is
     * (QEMU pads its DTB to 1 MiB); the packed result is much smaller. */
    u64 work_pages = (ALIGN_UP(bi->fdt_size, PAGE_SIZE) >> PAGE_SHIFT) + 16;
    void *work = alloc_pages_contig(work_pages, 0);
    int ret;
    struct mem_range bank = { pa_of_ipa_1to1(d->ram_base), d->ram_size };
    struct dom0_dt_params p = {
        .host_fdt = bi->fdt,
        .banks = &bank,
        .nr_banks = 1,
        .nr_vcpus = d->nr_vcpus,
        .bootargs = c->args,
        .initrd_start = lay->initrd,
        .initrd_end = lay->initrd_end,
        /* As Xen does for dom0: the grant window is the hypervisor's own image
         * range, which a direct-mapped domain can never have as RAM. */
        .gnttab_base = pa_addr(ptr_to_pa(__image_start)),
        .gnttab_size = (u64)(__image_end - __image_start),
        .evtchn_ppi = GUEST_EVTCHN_PPI,
        .trace_packets = trace_packets,
        .domid = d->id,
        /* Per device, the answer to the objection that sank a global flag
         * (seed 000): only bridges whose DMA granite translates say so. */
        .feat_dom0_iommu = iommu_advertise_dom0(),
        .handed_iommu = d->id == HWDOM_ID ? opt_str(IOMMU_PASSTHROUGH_OPTION) : NULL,
        .no_platform_devices = d->id != HWDOM_ID, /* passthrough_platform_devices */
        .store_ipa_out = store_ipa,
        .ext_out = d->ext_regions,
        .nr_ext_out = &d->nr_ext_regions,
    };
    const char *translated[PCI_MAX_BRIDGES], *withheld[PCI_MAX_BRIDGES];
    unsigned n;

    /* Only the bridges it owns can be marked in its tree. */
    n = iommu_translated_nodes(bi->fdt, translated, PCI_MAX_BRIDGES);
    for (unsigned i = 0; i < n; i++)
        if (domain_config_owns(c, translated[i]))
            translated[p.nr_iommu_paths++] = translated[i];
    p.iommu_paths = translated;
    d->dma_translated = p.feat_dom0_iommu && p.nr_iommu_paths;
    p.nr_withheld_paths = others_devices(bi->fdt, c, withheld, PCI_MAX_BRIDGES);
    p.withheld_paths = withheld;
    if (!work) {
        *why = "no memory to filter the host device tree in";
        return -ENOMEM;
    }
    d->nr_ext_regions = 0;
    ret = dom0_dt_build(&p, work, work_pages << PAGE_SHIFT, why);
    if (!ret && fdt_totalsize(work) > GUEST_DTB_MAX) {
        *why = "the domain's device tree is larger than 64 KiB";
        ret = -E2BIG;
    }
    if (!ret)
        memcpy(out, work, fdt_totalsize(work));
    if (!ret && d->id == HWDOM_ID)
        smc_services_hwdom_tree(work); /* firmware calls may name what it owns */
    free_pages_contig(work, work_pages);
    return ret;
}

/*
 * Linux's unpopulated-alloc (reference §8.4) wants a 128 MiB-aligned block of
 * at least 128 MiB among the extended regions for its ZONE_DEVICE pages; a
 * driver domain without one cannot grant-map (netback).  Logged either way.
 */
#define LINUX_EXT_BLOCK (128UL << 20)

static __boot void log_ext_regions(struct domain *d)
{
    u64 block = 0;

    for (unsigned i = 0; i < d->nr_ext_regions; i++) {
        const struct ext_range *r = &d->ext_regions[i];
        u64 s = ALIGN_UP(r->start, LINUX_EXT_BLOCK);
        printk("build: d%u: extended region %u: 0x%lx-0x%lx\n", d->id, i, r->start,
               r->start + r->size);
        if (!block && s >= r->start && s + LINUX_EXT_BLOCK <= r->start + r->size)
            block = s;
    }
    if (block)
        printk("build: d%u: extended regions hold a 128 MiB-aligned 128 MiB block at 0x%lx "
               "(Linux's unpopulated-alloc)\n", d->id, block);
    else
        printk("build: d%u: WARNING: no extended region holds a 128 MiB-aligned 128 MiB "
               "block: Linux cannot grant-map through unpopulated-alloc\n", d->id);
}

/* The board's reserved memory, 1:1 into dom0 (it is host memory dom0's
 * devices use; /reserved-memory stays in dom0's device tree). */
static __boot int map_reserved_memory(struct domain *d, const struct boot_info *bi,
                                      const char **why)
{
    for (unsigned i = 0; i < bi->nr_reserved; i++) {
        const struct mem_range *r = &bi->reserved[i];
        if (!bi->reserved_for_dom0[i])
            continue; /* /memreserve/: firmware's, nobody's to use */
        if (p2m_map(&d->p2m, ipa_of_pa_1to1(r->start), r->start, r->size, p2m_ram_rw)) {
            *why = "cannot map a reserved-memory region into dom0";
            return -ENOMEM;
        }
        printk("build: d%u: reserved memory 0x%lx-0x%lx mapped 1:1\n", d->id,
               pa_addr(r->start), pa_addr(r->start) + r->size);
    }
    return 0;
}

/* --- emulated devices -------------------------------------------------------- */

static void uart_line(struct vpl011 *u, const char *buf, unsigned len)
{
    struct domain *d = u->owner;
    char prefix[DOMAIN_NAME_LEN + 4];

    snprintf(prefix, sizeof(prefix), "[%s] ", d->name);
    domain_console_line(d, prefix, buf, len);
}

static void uart_irq(struct vpl011 *u, bool level)
{
    struct domain *d = u->owner;
    arch_domain_irq_level(d, u->intid, level);
}

static const struct vpl011_ops domain_uart_ops = { .line = uart_line, .irq_level = uart_irq };

/* The Xen PV interfaces: shared_info, event channels, grant table, and the
 * grant window (dom0: granite's own image range, as Xen does; a domU: Xen's
 * GUEST_GNTTAB_BASE region). */
static __boot int add_pv_interfaces(struct domain *d, const char **why)
{
    d->shared_info = alloc_pages(0);
    if (!d->shared_info) {
        *why = "no memory for shared_info";
        return -ENOMEM;
    }
    if (d->direct_map) {
        d->gnttab_base = ipa_of_pa_1to1(ptr_to_pa(__image_start));
        d->gnttab_size = (u64)(__image_end - __image_start);
    } else {
        d->gnttab_base = ipa(GUEST_GNTTAB_BASE);
        d->gnttab_size = GUEST_GNTTAB_SIZE;
    }
    /* Linux maps GNTTABOP_query_size's max_nr_frames pages from reg[0]'s
     * base, whatever reg[0]'s size says: the window must hold them all. */
    if (d->gnttab_size < (u64)GNTTAB_MAX_FRAMES * PAGE_SIZE) {
        *why = "the grant-table window is smaller than max_nr_frames pages";
        return -E2BIG;
    }
    evtchn_domain_init(d);
    if (gnttab_domain_init(d)) {
        *why = "no memory for the grant table";
        return -ENOMEM;
    }
    return 0;
}

/*
 * What Xen's toolstack sets up for a domU's xenstore connection: a ring page
 * in the guest (at Xen's magic-page address; for a direct-mapped domain,
 * whose addresses are the host's, in a host hole outside its RAM, devices,
 * grant window and extended regions), reserved grant ref 1 granting it
 * to dom0 (where the xenstore daemon runs), and an unbound event channel for
 * dom0.  The guest finds them with HVMOP_get_param (STORE_PFN, STORE_EVTCHN);
 * dom0 with granite_op(GRANITE_OP_domain_info).
 */
static __boot int add_xenstore(struct domain *d, u64 at, const char **why)
{
    d->store_page = alloc_pages(0);
    d->store_ipa = ipa(at);
    if (!d->store_page || add_chunk(d, d->store_page, 1, d->store_ipa) ||
        p2m_map(&d->p2m, d->store_ipa, ptr_to_pa(d->store_page), PAGE_SIZE, p2m_ram_rw) ||
        gnttab_seed_entry(d, GNTTAB_RESERVED_XENSTORE, 0, (u32)(at >> PAGE_SHIFT), false) ||
        evtchn_alloc_unbound_for(d, 0, &d->store_port)) {
        *why = "cannot set up the xenstore page and event channel";
        return -ENOMEM;
    }
    printk("build: d%u: xenstore ring at IPA 0x%lx%s (grant ref %u for d0), event channel %u\n",
           d->id, at, d->direct_map ? ", a host hole" : "", GNTTAB_RESERVED_XENSTORE,
           d->store_port);
    return 0;
}

static __boot int add_devices(struct domain *d, const struct domain_config *c,
                              const struct boot_info *bi, const char **why)
{
    if (arch_domain_init(d)) {
        *why = "cannot set up the vGIC";
        return -EINVAL;
    }
    /* A direct-mapped domain's vPL011 stands in for the host console at its
     * address: only where that console is a PL011.  Another kind (the
     * ZCU102's Cadence UART) is granite's alone, and the domain's tree shows
     * no UART (core/dom0_dt.c): it prints through console_io. */
    if (c->vpl011 && d->direct_map && bi->console_compat &&
        strcmp(bi->console_compat, "arm,pl011")) {
        printk("build: d%u: no vPL011: the host console is %s, not a PL011 (console_io only)\n",
               d->id, bi->console_compat);
    } else if (c->vpl011) {
        u64 base = d->direct_map ? pa_addr(bi->console_pa) : GUEST_PL011_BASE;
        u32 intid = d->direct_map && bi->console_intid ? bi->console_intid : GUEST_PL011_INTID;
        vpl011_init(&d->uart, base, intid, d, d->id, &domain_uart_ops);
    }
    return 0;
}

/* Counter time since QEMU's reset (CNTPCT starts at 0 at power-on), in ms:
 * how long boot took in the guests' own clock, not the host's. */
static __boot u64 boot_ms(void)
{
    u64 frq = arch_counter_freq();
    return frq >= 1000 ? arch_counter() / (frq / 1000) : 0;
}

__boot struct domain *domain_build(const struct domain_config *c, const struct boot_info *bi,
                                   const char **why)
{
    static u8 dtb[GUEST_DTB_MAX] __attribute__((aligned(8)));
    struct guest_image img;
    struct linux_layout lay = { 0 };
    struct domain *d;
    u64 entry, dtb_ipa, store_ipa = 0, t0, t1;
    bool hwdom;
    int ret;

    t0 = boot_ms();
    d = domain_create(c->id, c->name, c->nr_vcpus);
    if (!d) {
        *why = "cannot create the domain";
        return NULL;
    }
    d->direct_map = c->direct_map;
    hwdom = c->id == 0;
    /* The IOMMU context first, so that it sees (or mirrors) every mapping:
     * the hardware domain's, and any device owner's. */
    if ((hwdom || c->nr_passthrough) && iommu_domain_init(d)) {
        *why = "cannot give the domain an IOMMU context";
        domain_discard(d, *why);
        return NULL;
    }
    ret = c->direct_map ? give_ram_direct(d, c->mem_size, why)
                        : give_ram_scattered(d, c->mem_size, c->ram_above_4g, why);
    if (!ret)
        ret = find_image(c, &img, why);
    if (!ret)
        ret = load_image(d, c, &img, &lay, why);
    if (!ret)
        ret = add_devices(d, c, bi, why);
    if (!ret)
        ret = add_pv_interfaces(d, why);
    if (!ret && !c->direct_map && !c->no_xenstore)
        ret = add_xenstore(d, GUEST_XENSTORE_IPA, why);
    if (!ret && c->direct_map) {
        /* The host's tree, whose holes also place a driver domain's ring. */
        bool store = !hwdom && !c->no_xenstore;
        if (hwdom) /* IOMMUs granite does not drive: named, hidden or handed */
            ret = iommu_known_settle(d, bi->fdt, opt_str(IOMMU_PASSTHROUGH_OPTION), why);
        if (!ret)
            ret = make_host_dtb(d, dtb, bi, c, &lay, store ? &store_ipa : NULL, why);
        if (!ret && store)
            ret = add_xenstore(d, store_ipa, why);
        if (!ret && !hwdom)
            log_ext_regions(d);
    } else if (!ret && make_domu_dtb(d, dtb, c->args, &lay)) {
        *why = "cannot write the domain's device tree";
        ret = -EINVAL;
    }
    entry = lay.kernel;
    dtb_ipa = lay.dtb;
    if (!ret)
        ret = domain_copy_to(d, ipa(dtb_ipa), dtb, fdt_totalsize(dtb));
    if (!ret && hwdom)
        ret = map_reserved_memory(d, bi, why);
    for (unsigned i = 0; !ret && i < c->nr_passthrough; i++)
        ret = passthrough_device(bi->fdt, d, c->passthrough[i], why);
    if (!ret && hwdom) /* the platform devices its tree keeps (core/dom0_dt.c) */
        ret = passthrough_platform_devices(bi, d, why);
    if (!ret && (hwdom || c->nr_passthrough)) {
        const char *paths[DOMAIN_MAX_PASSTHROUGH];
        for (unsigned i = 0; i < c->nr_passthrough; i++)
            paths[i] = c->passthrough[i];
        ret = iommu_domain_assign_devices(d, bi->fdt, paths, c->nr_passthrough, why);
    }
    if (ret) {
        domain_discard(d, *why);
        return NULL;
    }
    icache_inval_all(); /* granite wrote the guest's code */
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        arch_vcpu_reset(&d->vcpu[i], entry, dtb_ipa);
    d->vcpu[0].state = VCPU_RUNNABLE;
    t1 = boot_ms();
    printk("build: d%u (%s, from %s): %u vCPU(s), %lu MiB, entry 0x%lx, DTB at 0x%lx, "
           "args \"%s\", built at %lu.%03lu s (in %lu ms)\n", d->id, d->name, c->node,
           d->nr_vcpus, d->ram_size >> 20, entry, dtb_ipa, c->args, t1 / 1000, t1 % 1000,
           t1 - t0);
    return d;
}
