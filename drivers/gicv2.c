/*
 * gicv2.c — a host GICv2 with the virtualization extensions (Arm IHI 0048B,
 * "GIC Architecture Specification version 2.0"; GIC-400 and QEMU's virt
 * with gic-version=2), driven by granite at EL2.  Everything is memory-mapped:
 *   - GICD, the distributor (§4.3): every interrupt's enable, priority,
 *     target CPUs (GICD_ITARGETSR) and trigger; SGIs through GICD_SGIR.  The
 *     registers of INTIDs 0-31 are banked per CPU;
 *   - GICC, the physical CPU interface (§4.4): acknowledge (GICC_IAR), priority
 *     drop (GICC_EOIR) and deactivation (GICC_DIR, in the second 4 KiB page);
 *   - GICH, the virtual interface control (§5.3): list registers GICH_LR<n>,
 *     GICH_HCR, GICH_VMCR, GICH_APR -- banked per CPU at the one address;
 *   - GICV, the virtual CPU interface a guest is given as its GICC: granite
 *     never touches it, the stage 2 maps it (arch/arm64/virq.c).
 * The node's reg gives them in that order, its interrupts the maintenance
 * interrupt (PPI 9, INTID 25).
 *
 * Assumptions: granite runs Non-secure (or the GIC has no Security
 * Extensions, as QEMU's virt without secure=on): it leaves GICD_IGROUPR as
 * firmware set it and enables with bit 0 of GICD_CTLR and GICC_CTLR, which is
 * EnableGrp0 without the Security Extensions and the Non-secure EnableGrp1
 * with them -- either way the group granite's interrupts are in.  GICC_CTLR
 * bit 9 is EOImodeS / EOImodeNS likewise: two-step end of interrupt, as with
 * GICv3.  The second 4 KiB page of GICC and GICV is at +0x1000, or at
 * +0x10000 when the node says the frame is 128 KiB (a GIC-400 whose pages are
 * each aliased over 64 KiB, as on the ZynqMP).  At most 8 CPUs (the GICv2
 * limit).
 *
 * HW-linked interrupts: no list register gets the HW bit (gic_ops.no_hw_lrs).
 * QEMU's GICv2 model forwards a guest's GICV_EOIR/GICV_DIR of a HW LR to the
 * distributor (the physical interrupt's active state is cleared) but then
 * re-evaluates only the virtual interface, not the physical one: a level SPI
 * still asserted (the e1000's next frame arrived while the guest handled the
 * last) becomes pending and is not signalled to the CPU until some unrelated
 * GIC event -- a guest sleeping in its own WFI heard its NIC again only when
 * its 10 s timer fired.  So a passthrough SPI is given to the guest as a
 * software LR with the EOI maintenance bit, and granite deactivates the
 * physical interrupt itself (GICC_DIR, which does make the GIC look) when the
 * guest has ended it: one maintenance exit per device interrupt.
 */
#include <granite/gic.h>
#include <granite/gic_dist.h>
#include <granite/arch.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/drivers.h>
#include <granite/guest_context.h>
#include <granite/mm.h>
#include <granite/errno.h>
#include <libfdt.h>

/* Distributor (§4.3) */
#define GICD_CTLR 0x000
#define GICD_CTLR_ENABLE BIT(0)
#define GICD_TYPER 0x004
#define GICD_TYPER_ITLINES GENMASK(4, 0)
#define GICD_ICPENDR 0x280
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_SGIR 0xF00
#define GICD_SGIR_TARGET_LIST GENMASK(23, 16)
#define GICD_SGIR_INTID GENMASK(3, 0)

/* CPU interface (§4.4) */
#define GICC_CTLR 0x000
#define GICC_CTLR_ENABLE BIT(0)
#define GICC_CTLR_EOIMODE BIT(9)
#define GICC_PMR 0x004
#define GICC_BPR 0x008
#define GICC_IAR 0x00C
#define GICC_IAR_INTID GENMASK(9, 0)
#define GICC_IAR_CPUID GENMASK(12, 10)
#define GICC_EOIR 0x010
#define GICC_DIR 0x000 /* in the second page */

/* Virtual interface control (§5.3) */
#define GICH_HCR 0x000
#define GICH_HCR_EN BIT(0)
#define GICH_HCR_UIE BIT(1)
#define GICH_VTR 0x004
#define GICH_VTR_LISTREGS GENMASK(5, 0)
#define GICH_VMCR 0x008
#define GICH_APR 0x0F0
#define GICH_LR0 0x100               /* GICH_LR<n>: format in arch/arm64/gic_lr_format.c */

#define GIC_PAGE 0x1000UL
#define GIC_ALIASED_FRAME 0x20000UL  /* a 128 KiB GICC/GICV: 4 KiB pages aliased over 64 KiB */
#define GIC_ALIASED_PAGE2 0x10000UL
#define MAINTENANCE_PPI 9            /* the DT's PPI 9 = INTID 25 */
#define GIC_DT_PPI 1
#define PRIORITY_DEFAULT 0xa0
#define PRIORITY_MASK_ALL_ON 0xff
#define MAX_CPUS 8                   /* GICv2 has 8 CPU interfaces at most */
#define NR_SGIS 16

static volatile u8 *gicd, *gicc, *gicc_page2, *gich;
static unsigned nr_irqs, nr_lrs;
static struct gic_ops ops;
static u64 cpu_mpidr[MAX_CPUS];
static u8 cpu_mask[MAX_CPUS];         /* GICD_ITARGETSR bit of each CPU's interface */
static u8 sgi_source[MAX_CPUS][NR_SGIS];  /* GICC_IAR.CPUID of the SGI last acknowledged */

static u32 rd32(volatile u8 *base, u32 off) { return *(volatile u32 *)(base + off); }
static void wr32(volatile u8 *base, u32 off, u32 v) { *(volatile u32 *)(base + off) = v; }
static u8 rd8(volatile u8 *base, u32 off) { return *(base + off); }
static void wr8(volatile u8 *base, u32 off, u8 v) { *(base + off) = v; }

/* --- Probe ------------------------------------------------------------------ */

struct gicv2_regions {
    u64 base[4], size[4];   /* GICD, GICC, GICH, GICV */
};

static __boot u64 read_cells(const fdt32_t *p, int cells)
{
    u64 v = 0;

    for (int i = 0; i < cells; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

/* reg: four (address, size) entries in the parent's cells (2/2 on QEMU virt,
 * 2/1 under the ZynqMP's amba_apu), bus addresses: each is translated through
 * the parent buses' `ranges` (dt_translate, which refuses a base + size past
 * 2^64) to the CPU physical address granite maps and emulates at. */
static __boot int find_regions(const void *fdt, int node, struct gicv2_regions *r,
                               const char **why)
{
    int parent = fdt_parent_offset(fdt, node), ac, sc, len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    ac = parent >= 0 ? fdt_address_cells(fdt, parent) : -1;
    sc = parent >= 0 ? fdt_size_cells(fdt, parent) : -1;
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
        *why = "the GICv2 node's parent has unusable #address-cells/#size-cells";
        return -EINVAL;
    }
    if (!reg || len < (int)(4 * (ac + sc) * sizeof(fdt32_t))) {
        *why = "the GICv2 node's 'reg' lacks GICD, GICC, GICH and GICV (no virtualization "
               "extensions: QEMU needs virtualization=on)";
        return -EINVAL;
    }
    for (int i = 0; i < 4; i++) {
        r->base[i] = read_cells(reg + i * (ac + sc), ac);
        r->size[i] = read_cells(reg + i * (ac + sc) + ac, sc);
        if (dt_translate(fdt, node, &r->base[i], r->size[i], why)) {
            *why = dt_node_msg(fdt, node, *why);
            return -EINVAL;
        }
        if (!r->base[i] || !IS_ALIGNED(r->base[i], GIC_PAGE) || r->size[i] < GIC_PAGE) {
            *why = "a GICv2 region in 'reg' is not a page-aligned frame of 4 KiB or more";
            return -EINVAL;
        }
    }
    if (r->size[1] < 2 * GIC_PAGE || r->size[3] < 2 * GIC_PAGE) {
        *why = "the GICv2 GICC or GICV frame is smaller than its two 4 KiB pages";
        return -EINVAL;
    }
    return 0;
}

/* The maintenance interrupt granite handles is INTID 25 (gic.h); a board
 * wiring it elsewhere is refused rather than silently never serviced. */
static __boot int check_maintenance(const void *fdt, int node, const char **why)
{
    const fdt32_t *irq;
    int len;

    irq = fdt_getprop(fdt, node, "interrupts", &len);
    if (!irq || len < 3 * (int)sizeof(fdt32_t) || fdt32_to_cpu(irq[0]) != GIC_DT_PPI ||
        fdt32_to_cpu(irq[1]) != MAINTENANCE_PPI) {
        *why = "the GICv2 node's 'interrupts' does not name the maintenance interrupt as "
               "PPI 9 (INTID 25), the only one granite handles";
        return -EINVAL;
    }
    return 0;
}

/* Page 2 of a GICC/GICV frame (GICC_DIR, GICV_DIR): see the file comment. */
static u64 second_page(u64 frame_size)
{
    return frame_size >= GIC_ALIASED_FRAME ? GIC_ALIASED_PAGE2 : GIC_PAGE;
}

static __boot void dist_init(void)
{
    wr32(gicd, GICD_CTLR, 0);
    for (unsigned i = 32; i < nr_irqs; i += 32) {
        wr32(gicd, GICD_ICENABLER + i / 8, ~0U);
        wr32(gicd, GICD_ICPENDR + i / 8, ~0U);
        wr32(gicd, GICD_ICACTIVER + i / 8, ~0U);
    }
    for (unsigned i = 32; i < nr_irqs; i += 4)
        wr32(gicd, GICD_IPRIORITYR + i, PRIORITY_DEFAULT * 0x01010101U);
    /* To the boot CPU until told otherwise: its interface's bit, as any of
     * GICD_ITARGETSR0-7 reads it for the CPU reading (§4.3.12). */
    for (unsigned i = 32; i < nr_irqs; i++)
        wr8(gicd, GICD_ITARGETSR + i, rd8(gicd, GICD_ITARGETSR));
    wr32(gicd, GICD_CTLR, GICD_CTLR_ENABLE);
}

static int v2_cpu_init(unsigned cpu, u64 mpidr);
static void v2_enable(u32 intid, bool on);
static void v2_set_edge(u32 intid, bool edge);
static void v2_route_spi(u32 intid, u64 mpidr);
static void v2_boot_report(void);
static u32 v2_ack(void);
static void v2_priority_drop(u32 intid);
static void v2_deactivate(u32 intid);
static void v2_send_sgi(u64 mpidr, u32 sgi);
static unsigned v2_nr_lrs(void);
static u64 v2_lr_read(unsigned n);
static void v2_lr_write(unsigned n, u64 raw);
static void v2_underflow_irq(bool on);
static void v2_vif_save(struct gic_vcpu_if *g);
static void v2_vif_load(const struct gic_vcpu_if *g);

static __boot int gicv2_probe(const void *fdt, int node, const char **why)
{
    struct gicv2_regions r;
    int ret = find_regions(fdt, node, &r, why);

    if (!ret)
        ret = check_maintenance(fdt, node, why);
    if (ret)
        return ret;
    gicd = ioremap(pa(r.base[0]), GIC_PAGE);
    gicc = ioremap(pa(r.base[1]), r.size[1]);
    gich = ioremap(pa(r.base[2]), GIC_PAGE);
    if (!gicd || !gicc || !gich) {
        *why = "cannot map the GIC";
        return -ENOMEM;
    }
    gicc_page2 = gicc + second_page(r.size[1]);
    nr_irqs = MIN(32 * (FIELD_GET(GICD_TYPER_ITLINES, rd32(gicd, GICD_TYPER)) + 1), 1020U);
    nr_lrs = MIN((unsigned)FIELD_GET(GICH_VTR_LISTREGS, rd32(gich, GICH_VTR)) + 1,
                 (unsigned)GUEST_MAX_LRS);
    dist_init();
    ops = (struct gic_ops){
        .name = "GICv2", .version = GIC_V2,
        .cpu_init = v2_cpu_init, .boot_report = v2_boot_report,
        .ack = v2_ack, .priority_drop = v2_priority_drop, .deactivate = v2_deactivate,
        .send_sgi = v2_send_sgi, .nr_lrs = v2_nr_lrs,
        .enable = v2_enable, .set_edge = v2_set_edge, .route_spi = v2_route_spi,
        .lr_read = v2_lr_read, .lr_write = v2_lr_write,
        .lr_decode = gic_v2_lr_decode, .lr_encode = gic_v2_lr_encode,
        .underflow_irq = v2_underflow_irq, .vif_save = v2_vif_save, .vif_load = v2_vif_load,
        .no_hw_lrs = true,   /* see the file comment: HW-linked interrupts */
        .nr_irqs = nr_irqs,
        .dist_base = pa(r.base[0]),
        .cpuif_base = pa(r.base[1]),
        .vcpuif_base = pa(r.base[3]),
        .vcpuif_page2 = second_page(r.size[3]),
    };
    gic_install(&ops);
    printk("gic: GICv2 distributor at 0x%lx, CPU interface 0x%lx, virtual interface control "
           "0x%lx, virtual CPU interface 0x%lx (page 2 at +0x%lx), %u INTIDs\n",
           r.base[0], r.base[1], r.base[2], r.base[3], ops.vcpuif_page2, nr_irqs);
    return 0;
}

static const struct driver gicv2_a15_driver = {
    .name = "gicv2", .class = DRIVER_IRQCHIP, .compatible = "arm,cortex-a15-gic",
    .probe = gicv2_probe,
};
static const struct driver gicv2_gic400_driver = {
    .name = "gicv2", .class = DRIVER_IRQCHIP, .compatible = "arm,gic-400",
    .probe = gicv2_probe,
};
DRIVER_REGISTER(gicv2_a15_driver);
DRIVER_REGISTER(gicv2_gic400_driver);

/* --- Per CPU ------------------------------------------------------------------ */

static int v2_cpu_init(unsigned cpu, u64 mpidr)
{
    if (cpu >= MAX_CPUS) {
        printk("gic: cpu%u: a GICv2 has 8 CPU interfaces at most\n", cpu);
        return -ENODEV;
    }
    cpu_mpidr[cpu] = mpidr;
    cpu_mask[cpu] = rd8(gicd, GICD_ITARGETSR);   /* banked: this CPU's own bit */
    wr32(gicd, GICD_ICENABLER, ~0U);             /* INTIDs 0-31 are this CPU's (banked) */
    wr32(gicd, GICD_ICACTIVER, ~0U);
    for (unsigned i = 0; i < 32; i += 4)
        wr32(gicd, GICD_IPRIORITYR + i, PRIORITY_DEFAULT * 0x01010101U);
    wr32(gicc, GICC_PMR, PRIORITY_MASK_ALL_ON);
    wr32(gicc, GICC_BPR, 0);
    wr32(gicc, GICC_CTLR, GICC_CTLR_ENABLE | GICC_CTLR_EOIMODE);
    wr32(gich, GICH_HCR, GICH_HCR_EN);
    wr32(gicd, GICD_ISENABLER, BIT(IRQ_SGI_KICK) | BIT(IRQ_PPI_MAINTENANCE) |
                               BIT(IRQ_PPI_HYP_TIMER) | BIT(IRQ_PPI_VTIMER) |
                               BIT(IRQ_PPI_PTIMER));
    return 0;
}

static void v2_boot_report(void)
{
    printk("gic: virtual CPU interface with %u list registers\n", nr_lrs);
}

static unsigned v2_nr_lrs(void) { return nr_lrs; }

/* The GICD_ITARGETSR bit of the CPU with this MPIDR.  Before that CPU came
 * up: its Aff0, which is its interface number on every GICv2 system seen. */
static u8 mask_of(u64 mpidr)
{
    for (unsigned c = 0; c < MAX_CPUS; c++)
        if (cpu_mask[c] && cpu_mpidr[c] == mpidr)
            return cpu_mask[c];
    return (u8)BIT(mpidr & 7);
}

/* GICC_IAR.CPUID names an SGI's source; the end of that interrupt must name it too. */
static u32 eoi_value(u32 intid)
{
    unsigned cpu = this_cpu();

    if (intid < NR_SGIS && cpu < MAX_CPUS)
        return intid | (u32)FIELD_PREP(GICC_IAR_CPUID, sgi_source[cpu][intid]);
    return intid;
}

static u32 v2_ack(void)
{
    u32 iar = rd32(gicc, GICC_IAR);
    u32 intid = (u32)FIELD_GET(GICC_IAR_INTID, iar);
    unsigned cpu = this_cpu();

    if (intid < NR_SGIS && cpu < MAX_CPUS)
        sgi_source[cpu][intid] = (u8)FIELD_GET(GICC_IAR_CPUID, iar);
    __asm__ volatile("dsb sy" ::: "memory");
    return intid;
}

static void v2_priority_drop(u32 intid) { wr32(gicc, GICC_EOIR, eoi_value(intid)); }
static void v2_deactivate(u32 intid) { wr32(gicc_page2, GICC_DIR, eoi_value(intid)); }

static void v2_send_sgi(u64 mpidr, u32 sgi)
{
    __asm__ volatile("dsb ishst" ::: "memory"); /* earlier stores seen by the target */
    wr32(gicd, GICD_SGIR, (u32)FIELD_PREP(GICD_SGIR_TARGET_LIST, mask_of(mpidr)) |
                          (u32)FIELD_PREP(GICD_SGIR_INTID, sgi));
}

/* --- Distributor: SPIs --------------------------------------------------------- */

static void v2_enable(u32 intid, bool on)
{
    /* private interrupts are enabled per CPU in v2_cpu_init */
    gicd_enable_spi(gicd, nr_irqs, intid, on);
}

static void v2_set_edge(u32 intid, bool edge)
{
    gicd_set_spi_edge(gicd, nr_irqs, intid, edge);
}

static void v2_route_spi(u32 intid, u64 mpidr)
{
    if (intid < 32 || intid >= nr_irqs)
        return;
    wr8(gicd, GICD_ITARGETSR + intid, mask_of(mpidr));
}

/* --- The virtual interface: GICH_LR<n> and the rest (§5.3) ---------------------- */

static u64 v2_lr_read(unsigned n) { return n < nr_lrs ? rd32(gich, GICH_LR0 + 4 * n) : 0; }

static void v2_lr_write(unsigned n, u64 raw)
{
    if (n < nr_lrs)
        wr32(gich, GICH_LR0 + 4 * n, (u32)raw);
}

static void v2_underflow_irq(bool on)
{
    u32 hcr = rd32(gich, GICH_HCR);

    if (on != !!(hcr & GICH_HCR_UIE))
        wr32(gich, GICH_HCR, on ? (hcr | GICH_HCR_UIE) : (hcr & ~GICH_HCR_UIE));
}

/* GICH_VMCR holds the guest's GICV_CTLR, PMR, BPR; GICH_APR its active priorities. */
static void v2_vif_save(struct gic_vcpu_if *g)
{
    for (unsigned i = 0; i < nr_lrs; i++) {
        g->lr[i] = rd32(gich, GICH_LR0 + 4 * i);
        wr32(gich, GICH_LR0 + 4 * i, 0);
    }
    g->vmcr = rd32(gich, GICH_VMCR);
    g->ap0r0 = rd32(gich, GICH_APR);
}

static void v2_vif_load(const struct gic_vcpu_if *g)
{
    for (unsigned i = 0; i < nr_lrs; i++)
        wr32(gich, GICH_LR0 + 4 * i, (u32)g->lr[i]);
    wr32(gich, GICH_VMCR, (u32)g->vmcr);
    wr32(gich, GICH_APR, (u32)g->ap0r0);
}
