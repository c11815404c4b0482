/*
 * gic_cpuif.c — the GICv3 CPU interface (Arm IHI 0069, chapter "GIC system
 * register descriptions"): acknowledge, end of interrupt, SGI generation and
 * the EL2 enables.
 *
 * It lives in arch/, not beside the distributor and redistributors in
 * drivers/gicv3.c, because it is not a device: it is system registers of
 * the CPU itself (ICC_*, ICH_*), reached with MRS/MSR like any other.  The
 * driver keeps the memory-mapped parts and calls gic_cpuif_init() at the
 * point of its per-CPU bring-up where the interface is to be switched on.
 *
 * granite runs with ICC_CTLR_EL1.EOImode = 1: ending an interrupt is two
 * steps, priority drop (ICC_EOIR1_EL1) and deactivation (ICC_DIR_EL1), which
 * is what lets a physical interrupt owned by a guest stay active until the
 * guest deactivates its virtual twin (the HW bit of a list register).
 */
#include <granite/console.h>
#include <granite/gic.h>
#include "sysregs.h"

#define ICC_SRE_EL2 S3_4_C12_C9_5
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_CTLR_EL1 S3_0_C12_C12_4
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_DIR_EL1 S3_0_C12_C11_1
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICH_HCR_EL2 S3_4_C12_C11_0
#define ICH_VTR_EL2 S3_4_C12_C11_1

#define ICC_SRE_SRE BIT(0)
#define ICC_SRE_ENABLE BIT(3) /* ICC_SRE_EL2.Enable: EL1 may use the system registers */
#define ICC_CTLR_EOIMODE BIT(1)
#define ICC_IAR_INTID GENMASK(23, 0)
#define ICC_SGI1R_TARGETS GENMASK(15, 0)
#define ICC_SGI1R_AFF1 GENMASK(23, 16)
#define ICC_SGI1R_INTID GENMASK(27, 24)
#define ICC_SGI1R_AFF2 GENMASK(39, 32)
#define ICC_SGI1R_AFF3 GENMASK(55, 48)
#define ICH_VTR_LISTREGS GENMASK(4, 0)
#define ICH_HCR_EN BIT(0)
#define PRIORITY_MASK_ALL_ON 0xff

static unsigned nr_lrs;

void gic_cpuif_init(void)
{
    write_sysreg(ICC_SRE_EL2, ICC_SRE_SRE | ICC_SRE_ENABLE);
    isb();
    write_sysreg(ICC_PMR_EL1, PRIORITY_MASK_ALL_ON);
    write_sysreg(ICC_BPR1_EL1, 0);
    write_sysreg(ICC_CTLR_EL1, ICC_CTLR_EOIMODE);
    write_sysreg(ICC_IGRPEN1_EL1, 1);
    write_sysreg(ICH_HCR_EL2, ICH_HCR_EN);
    isb();
}

/* Once, on the boot CPU: ICH_VTR_EL2.ListRegs + 1, the same on every CPU. */
void gic_cpuif_boot(void)
{
    nr_lrs = FIELD_GET(ICH_VTR_LISTREGS, read_sysreg(ICH_VTR_EL2)) + 1;
    printk("gic: virtual CPU interface with %u list registers\n", nr_lrs);
}

unsigned gic_nr_lrs(void) { return nr_lrs; }

u32 gic_ack(void)
{
    u32 intid = (u32)FIELD_GET(ICC_IAR_INTID, read_sysreg(ICC_IAR1_EL1));
    dsb(sy);
    return intid;
}

void gic_priority_drop(u32 intid) { write_sysreg(ICC_EOIR1_EL1, intid); isb(); }
void gic_deactivate(u32 intid) { write_sysreg(ICC_DIR_EL1, intid); isb(); }

void gic_send_sgi(u64 mpidr, u32 sgi)
{
    u64 v = FIELD_PREP(ICC_SGI1R_TARGETS, BIT(mpidr & 0xf)) |
            FIELD_PREP(ICC_SGI1R_AFF1, (mpidr >> 8) & 0xff) |
            FIELD_PREP(ICC_SGI1R_AFF2, (mpidr >> 16) & 0xff) |
            FIELD_PREP(ICC_SGI1R_AFF3, (mpidr >> 32) & 0xff) | FIELD_PREP(ICC_SGI1R_INTID, sgi);
    dsb(ishst);
    write_sysreg(ICC_SGI1R_EL1, v);
    isb();
}
