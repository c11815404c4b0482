/*
 * gicv3.c — the host GICv3 (Arm IHI 0069, "GICv3 and GICv4 Architecture
 * Specification"), driven by granite at EL2.
 *
 * Three parts:
 *   - the distributor (GICD, memory-mapped, one per system) holds the SPIs:
 *     enable, priority, group, trigger, and which CPU each is routed to
 *     (GICD_IROUTER, affinity routing);
 *   - one redistributor per CPU (GICR, two 64 KiB frames: RD_base and
 *     SGI_base) holds that CPU's SGIs and PPIs;
 *   - the CPU interface, reached through ICC_* system registers: acknowledge
 *     (ICC_IAR1_EL1), end of interrupt, priority mask, SGI generation.
 *
 * granite runs with ICC_CTLR_EL1.EOImode = 1: ending an interrupt is two steps,
 * priority drop (ICC_EOIR1_EL1) and deactivation (ICC_DIR_EL1).  That split is
 * what lets a physical interrupt owned by a guest stay active until the guest
 * deactivates its virtual twin (the HW bit of a list register, §4.12).
 *
 * Assumptions: affinity routing on, all interrupts Group 1, one
 * redistributor region (QEMU virt and most boards), no LPIs.  The system is
 * seen with security disabled (GICD_CTLR.DS = 1) or from Non-secure state;
 * the bits granite sets have the same positions in both views.
 */
#include <granite/gic.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/mm.h>
#include <granite/errno.h>
#include <libfdt.h>
#include "../arch/arm64/sysregs.h"

/* Distributor registers (§12.9) */
#define GICD_CTLR 0x0000
#define GICD_CTLR_RWP BIT(31)
#define GICD_CTLR_ARE_NS BIT(4)      /* affinity routing (ARE with DS = 1) */
#define GICD_CTLR_ENABLE_G1NS BIT(1) /* Group 1 (EnableGrp1 with DS = 1) */
#define GICD_CTLR_ENABLE_G0 BIT(0)
#define GICD_TYPER 0x0004
#define GICD_TYPER_ITLINES GENMASK(4, 0)
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ICPENDR 0x0280
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0C00
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

/* CPU interface (§12.2, §12.11 for ICH) */
#define ICC_SRE_SRE BIT(0)
#define ICC_SRE_ENABLE BIT(3) /* ICC_SRE_EL2.Enable: EL1 may use the system registers */
#define ICC_CTLR_EOIMODE BIT(1)
#define ICC_SGI1R_TARGETS GENMASK(15, 0)
#define ICC_SGI1R_AFF1 GENMASK(23, 16)
#define ICC_SGI1R_INTID GENMASK(27, 24)
#define ICC_SGI1R_AFF2 GENMASK(39, 32)
#define ICC_SGI1R_AFF3 GENMASK(55, 48)
#define ICH_VTR_LISTREGS GENMASK(4, 0)
#define ICH_HCR_EN BIT(0)

#define PRIORITY_DEFAULT 0xa0
#define PRIORITY_MASK_ALL_ON 0xff
#define MAX_RDISTS 8
#define POLL_LIMIT 1000000

static volatile u8 *gicd, *gicr;
static pa_t gicd_pa, gicr_pa;
static u64 gicr_size;
static unsigned nr_irqs;
static unsigned nr_lrs; /* ICH_VTR_EL2.ListRegs + 1, the same on every CPU */
static volatile u8 *rdist_of_cpu[MAX_RDISTS];

static u32 rd32(volatile u8 *base, u32 off) { return *(volatile u32 *)(base + off); }
static void wr32(volatile u8 *base, u32 off, u32 v) { *(volatile u32 *)(base + off) = v; }
static u64 rd64(volatile u8 *base, u32 off) { return *(volatile u64 *)(base + off); }
static void wr64(volatile u8 *base, u32 off, u64 v) { *(volatile u64 *)(base + off) = v; }

static void dist_wait_rwp(void)
{
    for (unsigned i = 0; i < POLL_LIMIT && (rd32(gicd, GICD_CTLR) & GICD_CTLR_RWP); i++)
        ;
}

static __boot int gic_find(const void *fdt, const char **why)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3"), len;
    const fdt64_t *reg;

    if (node < 0) {
        *why = "no node compatible with \"arm,gic-v3\"";
        return -ENODEV;
    }
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

__boot int gic_init(const void *fdt, const char **why)
{
    int ret = gic_find(fdt, why);

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
    nr_lrs = FIELD_GET(ICH_VTR_LISTREGS, read_sysreg(S3_4_C12_C11_1 /* ICH_VTR_EL2 */)) + 1;
    printk("gic: virtual CPU interface with %u list registers\n", nr_lrs);
    return 0;
}

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

int gic_cpu_init(unsigned cpu, u64 mpidr)
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

    write_sysreg(S3_4_C12_C9_5 /* ICC_SRE_EL2 */, ICC_SRE_SRE | ICC_SRE_ENABLE);
    isb();
    write_sysreg(S3_0_C4_C6_0 /* ICC_PMR_EL1 */, PRIORITY_MASK_ALL_ON);
    write_sysreg(S3_0_C12_C12_3 /* ICC_BPR1_EL1 */, 0);
    write_sysreg(S3_0_C12_C12_4 /* ICC_CTLR_EL1 */, ICC_CTLR_EOIMODE);
    write_sysreg(S3_0_C12_C12_7 /* ICC_IGRPEN1_EL1 */, 1);
    write_sysreg(S3_4_C12_C11_0 /* ICH_HCR_EL2 */, ICH_HCR_EN);
    isb();
    wr32(rd, GICR_ISENABLER0, BIT(IRQ_SGI_KICK) | BIT(IRQ_PPI_MAINTENANCE) |
                              BIT(IRQ_PPI_HYP_TIMER) | BIT(IRQ_PPI_VTIMER) |
                              BIT(IRQ_PPI_PTIMER));
    return 0;
}

pa_t gic_dist_base(void) { return gicd_pa; }
pa_t gic_rdist_base(void) { return gicr_pa; }
u64 gic_rdist_size(void) { return gicr_size; }

u32 gic_ack(void)
{
    u32 intid = (u32)read_sysreg(S3_0_C12_C12_0 /* ICC_IAR1_EL1 */) & 0xffffff;
    dsb(sy);
    return intid;
}

void gic_priority_drop(u32 intid) { write_sysreg(S3_0_C12_C12_1 /* ICC_EOIR1_EL1 */, intid); isb(); }
void gic_deactivate(u32 intid) { write_sysreg(S3_0_C12_C11_1 /* ICC_DIR_EL1 */, intid); isb(); }

void gic_send_sgi(u64 mpidr, u32 sgi)
{
    u64 v = FIELD_PREP(ICC_SGI1R_TARGETS, BIT(mpidr & 0xf)) |
            FIELD_PREP(ICC_SGI1R_AFF1, (mpidr >> 8) & 0xff) |
            FIELD_PREP(ICC_SGI1R_AFF2, (mpidr >> 16) & 0xff) |
            FIELD_PREP(ICC_SGI1R_AFF3, (mpidr >> 32) & 0xff) | FIELD_PREP(ICC_SGI1R_INTID, sgi);
    dsb(ishst);
    write_sysreg(S3_0_C12_C11_5 /* ICC_SGI1R_EL1 */, v);
    isb();
}

void gic_enable(u32 intid, bool on)
{
    if (intid < 32 || intid >= nr_irqs)
        return; /* private interrupts are enabled per CPU in gic_cpu_init */
    wr32(gicd, (on ? GICD_ISENABLER : GICD_ICENABLER) + (intid / 32) * 4, BIT(intid % 32));
}

void gic_set_edge(u32 intid, bool edge)
{
    u32 off = GICD_ICFGR + (intid / 16) * 4, shift = (intid % 16) * 2 + 1;
    u32 v;

    if (intid < 32 || intid >= nr_irqs)
        return;
    v = rd32(gicd, off);
    wr32(gicd, off, edge ? (v | BIT(shift)) : (v & ~BIT(shift)));
}

void gic_route_spi(u32 intid, u64 mpidr)
{
    if (intid < 32 || intid >= nr_irqs)
        return;
    wr64(gicd, GICD_IROUTER + 8 * intid, mpidr & MPIDR_AFF_MASK);
}

unsigned gic_nr_lrs(void) { return nr_lrs; }
