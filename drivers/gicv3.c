/*
 * gicv3.c — the host GICv3 (Arm IHI 0069, "GICv3 and GICv4 Architecture
 * Specification"), driven by granite at EL2.
 *
 * Three parts, the first two here:
 *   - the distributor (GICD, memory-mapped, one per system) holds the SPIs:
 *     enable, priority, group, trigger, and which CPU each is routed to
 *     (GICD_IROUTER, affinity routing);
 *   - one redistributor per CPU (GICR, two 64 KiB frames: RD_base and
 *     SGI_base) holds that CPU's SGIs and PPIs;
 *   - the CPU interface is system registers (ICC_*, ICH_*), part of the CPU
 *     rather than a device: arch/arm64/gic_cpuif.c, declared in gic.h.  This
 *     file reaches it only through gic_v3_cpuif_init() and by completing its
 *     gic_v3_cpuif_ops into the struct gic_ops it installs at probe, so it
 *     needs no system-register accessors of its own.
 *
 * Assumptions: affinity routing on, all interrupts Group 1, one
 * redistributor region (QEMU virt and most boards), no LPIs.  The system is
 * seen with security disabled (GICD_CTLR.DS = 1) or from Non-secure state;
 * the bits granite sets have the same positions in both views.
 */
#include <granite/gic.h>
#include <granite/gic_dist.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/drivers.h>
#include <granite/mm.h>
#include <granite/errno.h>
#include <libfdt.h>

/* Distributor registers (§12.9) */
#define GICD_CTLR 0x0000
#define GICD_CTLR_RWP BIT(31)
#define GICD_CTLR_ARE_NS BIT(4)      /* affinity routing (ARE with DS = 1) */
#define GICD_CTLR_ENABLE_G1NS BIT(1) /* Group 1 (EnableGrp1 with DS = 1) */
#define GICD_CTLR_ENABLE_G0 BIT(0)
#define GICD_TYPER 0x0004
#define GICD_TYPER_ITLINES GENMASK(4, 0)
#define GICD_IGROUPR 0x0080
#define GICD_ICPENDR 0x0280
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER 0x6000

/* Redistributor registers (§12.10, §12.11) */
#define GICR_FRAME_SIZE 0x20000
#define GICR_WAKER 0x0014
#define GICR_WAKER_PROCESSOR_SLEEP BIT(1)
#define GICR_WAKER_CHILDREN_ASLEEP BIT(2)
#define GICR_TYPER 0x0008
#define GICR_TYPER_LAST BIT(4)
#define GICR_SGI_BASE 0x10000
#define GICR_IGROUPR0 (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI_BASE + 0x0180)
#define GICR_ICACTIVER0 (GICR_SGI_BASE + 0x0380)
#define GICR_IPRIORITYR0 (GICR_SGI_BASE + 0x0400)

#define GICD_IROUTER_AFF (GENMASK(39, 32) | GENMASK(23, 0)) /* Aff3, Aff2.Aff1.Aff0 */

#define PRIORITY_DEFAULT 0xa0
#define MAX_RDISTS 8
#define POLL_LIMIT 1000000

static volatile u8 *gicd, *gicr;
static pa_t gicd_pa, gicr_pa;
static u64 gicr_size;
static unsigned nr_irqs;
static volatile u8 *rdist_of_cpu[MAX_RDISTS];
static struct gic_ops ops;   /* gic_v3_cpuif_ops completed by gic_probe */

static int v3_cpu_init(unsigned cpu, u64 mpidr);
static void v3_enable(u32 intid, bool on);
static void v3_set_edge(u32 intid, bool edge);
static void v3_route_spi(u32 intid, u64 mpidr);

static u32 rd32(volatile u8 *base, u32 off) { return *(volatile u32 *)(base + off); }
static void wr32(volatile u8 *base, u32 off, u32 v) { *(volatile u32 *)(base + off) = v; }
static u64 rd64(volatile u8 *base, u32 off) { return *(volatile u64 *)(base + off); }
static void wr64(volatile u8 *base, u32 off, u64 v) { *(volatile u64 *)(base + off) = v; }

static void dist_wait_rwp(void)
{
    for (unsigned i = 0; i < POLL_LIMIT && (rd32(gicd, GICD_CTLR) & GICD_CTLR_RWP); i++)
        ;
}

static __boot int gic_find(const void *fdt, int node, const char **why)
{
    const fdt64_t *reg;
    int len;

    reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || len < 32) {
        *why = "the GICv3 node's 'reg' lacks the distributor and redistributor regions";
        return -EINVAL;
    }
    gicd_pa = pa(fdt64_to_cpu(reg[0]));
    gicr_pa = pa(fdt64_to_cpu(reg[2]));
    gicr_size = fdt64_to_cpu(reg[3]);
    return 0;
}

static __boot int gic_probe(const void *fdt, int node, const char **why)
{
    int ret = gic_find(fdt, node, why);

    if (ret)
        return ret;
    gicd = ioremap(gicd_pa, 0x10000);
    gicr = ioremap(gicr_pa, gicr_size);
    if (!gicd || !gicr) {
        *why = "cannot map the GIC";
        return -ENOMEM;
    }
    nr_irqs = MIN(32 * (FIELD_GET(GICD_TYPER_ITLINES, rd32(gicd, GICD_TYPER)) + 1), 1020U);

    wr32(gicd, GICD_CTLR, 0);
    dist_wait_rwp();
    for (unsigned i = 32; i < nr_irqs; i += 32) {
        wr32(gicd, GICD_ICENABLER + i / 8, ~0U);
        wr32(gicd, GICD_ICPENDR + i / 8, ~0U);
        wr32(gicd, GICD_ICACTIVER + i / 8, ~0U);
        wr32(gicd, GICD_IGROUPR + i / 8, ~0U); /* everything Group 1 */
    }
    for (unsigned i = 32; i < nr_irqs; i += 4)
        wr32(gicd, GICD_IPRIORITYR + i, PRIORITY_DEFAULT * 0x01010101U);
    for (unsigned i = 32; i < nr_irqs; i++)
        wr64(gicd, GICD_IROUTER + 8 * i, 0); /* CPU 0 until told otherwise */
    wr32(gicd, GICD_CTLR, GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1NS);
    dist_wait_rwp();
    printk("gic: GICv3 distributor at 0x%lx, redistributors at 0x%lx (%lu KiB), %u INTIDs\n",
           pa_addr(gicd_pa), pa_addr(gicr_pa), gicr_size >> 10, nr_irqs);
    ops = gic_v3_cpuif_ops;
    ops.name = "GICv3";
    ops.version = GIC_V3;
    ops.cpu_init = v3_cpu_init;
    ops.enable = v3_enable;
    ops.set_edge = v3_set_edge;
    ops.route_spi = v3_route_spi;
    ops.nr_irqs = nr_irqs;
    ops.dist_base = gicd_pa;
    ops.rdist_base = gicr_pa;
    ops.rdist_size = gicr_size;
    gic_install(&ops);
    return 0;
}

static const struct driver gicv3_driver = {
    .name = "gicv3", .class = DRIVER_IRQCHIP, .compatible = "arm,gic-v3", .probe = gic_probe,
};
DRIVER_REGISTER(gicv3_driver);

/* Redistributors are found by affinity (GICR_TYPER[63:32] = Aff3.Aff2.Aff1.Aff0). */
static volatile u8 *find_rdist(u64 mpidr)
{
    u32 aff = (u32)((mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000));

    for (u64 off = 0; off + GICR_FRAME_SIZE <= gicr_size; off += GICR_FRAME_SIZE) {
        u64 typer = rd64(gicr, off + GICR_TYPER);
        if ((u32)(typer >> 32) == aff)
            return gicr + off;
        if (typer & GICR_TYPER_LAST)
            break;
    }
    return NULL;
}

static int v3_cpu_init(unsigned cpu, u64 mpidr)
{
    volatile u8 *rd = find_rdist(mpidr);

    if (!rd || cpu >= MAX_RDISTS) {
        printk("gic: cpu%u: no redistributor for MPIDR 0x%lx\n", cpu, mpidr);
        return -ENODEV;
    }
    rdist_of_cpu[cpu] = rd;
    wr32(rd, GICR_WAKER, rd32(rd, GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
    for (unsigned i = 0; i < POLL_LIMIT && (rd32(rd, GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP); i++)
        ;
    wr32(rd, GICR_ICENABLER0, ~0U);
    wr32(rd, GICR_ICACTIVER0, ~0U);
    wr32(rd, GICR_IGROUPR0, ~0U);
    for (unsigned i = 0; i < 32; i += 4)
        wr32(rd, GICR_IPRIORITYR0 + i, PRIORITY_DEFAULT * 0x01010101U);

    gic_v3_cpuif_init();
    wr32(rd, GICR_ISENABLER0, BIT(IRQ_SGI_KICK) | BIT(IRQ_PPI_MAINTENANCE) |
                              BIT(IRQ_PPI_HYP_TIMER) | BIT(IRQ_PPI_VTIMER) |
                              BIT(IRQ_PPI_PTIMER));
    return 0;
}

static void v3_enable(u32 intid, bool on)
{
    /* private interrupts are enabled per CPU in v3_cpu_init */
    gicd_enable_spi(gicd, nr_irqs, intid, on);
}

static void v3_set_edge(u32 intid, bool edge)
{
    gicd_set_spi_edge(gicd, nr_irqs, intid, edge);
}

static void v3_route_spi(u32 intid, u64 mpidr)
{
    if (intid < 32 || intid >= nr_irqs)
        return;
    wr64(gicd, GICD_IROUTER + 8 * intid, mpidr & GICD_IROUTER_AFF);
}
