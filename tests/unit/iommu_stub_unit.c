/*
 * iommu_stub_unit.c — the stub IOMMU unit, PCI and architecture calls under
 * core/iommu.c in the host tests (iommu_stub_unit.h says what); boot options
 * go through core/options.c itself.
 */
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

#include <granite/drivers.h>
#include <granite/options.h>
#include <granite/page_alloc.h>
#include <granite/pci.h>
#include <granite/arch.h>
#include <granite/mm.h>
#include <granite/p2m.h>
#include "iommu_stub_unit.h"

/* The boot options, parsed by granite's own parser (core/options.c). */
void stub_set_options(const char *opts) { options_parse(opts); }

/* --- the unit: counts what core/iommu.c asks of it ------------------------- */

struct stub_unit_calls calls;

#define COUNT(field) __atomic_fetch_add(&calls.field, 1, __ATOMIC_SEQ_CST)

unsigned flushes(void)
{
    return __atomic_load_n(&calls.flush_range, __ATOMIC_SEQ_CST) +
           __atomic_load_n(&calls.flush_ranges, __ATOMIC_SEQ_CST) +
           __atomic_load_n(&calls.flush_all, __ATOMIC_SEQ_CST);
}

static void u_enable(void *u unused, bool t unused) { COUNT(enable); }
static int u_ctx_init(void *u unused, struct iommu_ctx *c unused) { COUNT(ctx_init); return 0; }
static int u_attach(void *u unused, struct iommu_ctx *c unused, u32 sid unused, const char *d unused)
{
    COUNT(attach);
    return 0;
}
static void u_flush_range(void *u unused, struct iommu_ctx *c unused, iova_t a unused, u64 s unused)
{
    COUNT(flush_range);
}
static void u_flush_ranges(void *u unused, struct iommu_ctx *c unused,
                           const struct iommu_range *r unused, unsigned n)
{
    __atomic_store_n(&calls.ranges_in_last, n, __ATOMIC_SEQ_CST);
    COUNT(flush_ranges);
}
static void u_flush_all(void *u unused, struct iommu_ctx *c unused) { COUNT(flush_all); }
static void u_destroy(void *u unused, struct iommu_ctx *c unused) { COUNT(destroy); }
static void u_dump(void *u unused) {}
static unsigned one_cmd_per_range(u64 pages unused) { return 1; }

static const struct iommu_unit_ops stub_ops = {
    .enable = u_enable, .ctx_init = u_ctx_init, .attach = u_attach,
    .flush_range = u_flush_range, .flush_ranges = u_flush_ranges, .flush_all = u_flush_all,
    .ctx_destroy = u_destroy, .dump = u_dump,
};

/* The driver table: the stub unit registers on its first probe (core/iommu.c
 * keeps its units for the whole run, as granite does). */
int drivers_probe_all(enum driver_class class, const void *fdt unused, unsigned *found unused,
                      const char **why unused)
{
    static bool registered;
    const struct iommu_unit u = {
        .name = "stub-iommu", .phandle = STUB_UNIT_PHANDLE, .stage2 = true, .stage1 = true,
        .coherent = true, .ias_bits = 48, .oas_bits = 48, .range_cmds = one_cmd_per_range,
        .ops = &stub_ops,
    };

    if (class == DRIVER_IOMMU && !registered) {
        registered = true;
        return iommu_register_unit(&u);
    }
    return 0;
}

/* PCI: one device behind the stub unit on every bridge; no reserved memory. */
int pci_for_each_device_on(const void *fdt unused, int bridge unused,
                           int (*fn)(const struct pci_dev *dev, void *arg), void *arg)
{
    const struct pci_dev dev = { .dev = 2, .rid = 0x10, .sid = 0x10,
                                 .iommu_phandle = STUB_UNIT_PHANDLE, .name = "0000:00:02.0" };
    return fn(&dev, arg);
}
unsigned pci_bridge_reserved_regions(const void *fdt unused, int bridge unused,
                                     struct pci_region *out unused, unsigned max unused)
{
    return 0;
}
unsigned pci_translated_bridges(const void *fdt unused, u32 ph unused, const char **paths unused,
                                unsigned max unused)
{
    return 0;
}

/* The architecture and the allocator, as far as iommu.c needs them. */
void arch_stage2_limit_ipa_bits(unsigned bits unused) {}
const struct pt_format *arch_iommu_format(bool stage1 unused) { return &stage2_format; }
void arch_dsb_ishst(void) {}
void dcache_clean_range(const void *p unused, u64 size unused) {}

static unsigned order_of(u64 n)
{
    unsigned o = 0;
    while ((1UL << o) < n)
        o++;
    return o;
}
void *alloc_pages_contig(u64 n, unsigned align unused) { return alloc_pages(order_of(n)); }
void free_pages_contig(void *p, u64 n)
{
    if (p)
        free_pages(p, order_of(n));
}
