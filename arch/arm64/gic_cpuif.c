/*
 * gic_cpuif.c — the GICv3 CPU interface (Arm IHI 0069, chapter "GIC system
 * register descriptions"): acknowledge, end of interrupt, SGI generation,
 * the EL2 enables, and the virtual CPU interface (ICH_LR<n>_EL2 list
 * registers, ICH_HCR_EL2, ICH_VMCR_EL2, active priorities) -- the CPU-side
 * half of the GICv3 struct gic_ops, which drivers/gicv3.c completes.
 *
 * It lives in arch/, not beside the distributor and redistributors in
 * drivers/gicv3.c, because it is not a device: it is system registers of
 * the CPU itself (ICC_*, ICH_*), reached with MRS/MSR like any other.  The
 * driver keeps the memory-mapped parts and calls gic_v3_cpuif_init() at the
 * point of its per-CPU bring-up where the interface is to be switched on.
 *
 * granite runs with ICC_CTLR_EL1.EOImode = 1: ending an interrupt is two
 * steps, priority drop (ICC_EOIR1_EL1) and deactivation (ICC_DIR_EL1), which
 * is what lets a physical interrupt owned by a guest stay active until the
 * guest deactivates its virtual twin (the HW bit of a list register).
 */
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/memory_map.h>
#include <granite/gic.h>
#include <granite/guest_context.h>
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
/* ICH_HCR_EL2.UIE as this CPU last wrote it: asked on every entry, and only
 * granite writes it, so the register is read (and written) only to change it
 * -- under QEMU each ICH_* access takes its global lock. */
static bool uie_on[GRANITE_MAX_CPUS];


void gic_v3_cpuif_init(void)
{
    write_sysreg(ICC_SRE_EL2, ICC_SRE_SRE | ICC_SRE_ENABLE);
    isb();
    write_sysreg(ICC_PMR_EL1, PRIORITY_MASK_ALL_ON);
    write_sysreg(ICC_BPR1_EL1, 0);
    write_sysreg(ICC_CTLR_EL1, ICC_CTLR_EOIMODE);
    write_sysreg(ICC_IGRPEN1_EL1, 1);
    write_sysreg(ICH_HCR_EL2, ICH_HCR_EN);
    isb();
    uie_on[this_cpu()] = false;
}

/* Once, on the boot CPU: ICH_VTR_EL2.ListRegs + 1, the same on every CPU. */
static void v3_boot_report(void)
{
    nr_lrs = FIELD_GET(ICH_VTR_LISTREGS, read_sysreg(ICH_VTR_EL2)) + 1;
    printk("gic: virtual CPU interface with %u list registers\n", nr_lrs);
}

static unsigned v3_nr_lrs(void) { return nr_lrs; }

static u32 v3_ack(void)
{
    u32 intid = (u32)FIELD_GET(ICC_IAR_INTID, read_sysreg(ICC_IAR1_EL1));
    dsb(sy);
    return intid;
}

static void v3_priority_drop(u32 intid) { write_sysreg(ICC_EOIR1_EL1, intid); isb(); }
static void v3_deactivate(u32 intid) { write_sysreg(ICC_DIR_EL1, intid); isb(); }

static void v3_send_sgi(u64 mpidr, u32 sgi)
{
    u64 v = FIELD_PREP(ICC_SGI1R_TARGETS, BIT(mpidr & 0xf)) |
            FIELD_PREP(ICC_SGI1R_AFF1, (mpidr >> 8) & 0xff) |
            FIELD_PREP(ICC_SGI1R_AFF2, (mpidr >> 16) & 0xff) |
            FIELD_PREP(ICC_SGI1R_AFF3, (mpidr >> 32) & 0xff) | FIELD_PREP(ICC_SGI1R_INTID, sgi);
    dsb(ishst);
    write_sysreg(ICC_SGI1R_EL1, v);
    isb();
}

/* --- The virtual CPU interface ------------------------------------------ */

#define ICH_HCR_UIE BIT(1)
#define ICH_VMCR_EL2 S3_4_C12_C11_7
#define ICH_AP0R0_EL2 S3_4_C12_C8_0
#define ICH_AP1R0_EL2 S3_4_C12_C9_0

/* ICH_LR<n>_EL2 (IHI 0069, "ICH_LR<n>_EL2"): sixteen registers, sixteen
 * encodings; their format is gic_lr_format.c's. */
#define ICH_LR_CASE(n, crm, op2)                                                  \
    case n:                                                                       \
        if (write)                                                                \
            write_sysreg(S3_4_C12_##crm##_##op2, v);                              \
        else                                                                      \
            v = read_sysreg(S3_4_C12_##crm##_##op2);                              \
        break;

static u64 ich_lr_access(unsigned n, bool write, u64 v)
{
    switch (n) {
    ICH_LR_CASE(0, C12, 0) ICH_LR_CASE(1, C12, 1) ICH_LR_CASE(2, C12, 2) ICH_LR_CASE(3, C12, 3)
    ICH_LR_CASE(4, C12, 4) ICH_LR_CASE(5, C12, 5) ICH_LR_CASE(6, C12, 6) ICH_LR_CASE(7, C12, 7)
    ICH_LR_CASE(8, C13, 0) ICH_LR_CASE(9, C13, 1) ICH_LR_CASE(10, C13, 2) ICH_LR_CASE(11, C13, 3)
    ICH_LR_CASE(12, C13, 4) ICH_LR_CASE(13, C13, 5) ICH_LR_CASE(14, C13, 6) ICH_LR_CASE(15, C13, 7)
    }
    return v;
}

static u64 v3_lr_read(unsigned n) { return ich_lr_access(n, false, 0); }
static void v3_lr_write(unsigned n, u64 raw) { ich_lr_access(n, true, raw); }

static void v3_underflow_irq(bool on)
{
    unsigned cpu = this_cpu();
    u64 hcr;

    if (on == uie_on[cpu])
        return;
    hcr = read_sysreg(ICH_HCR_EL2);
    write_sysreg(ICH_HCR_EL2, on ? (hcr | ICH_HCR_UIE) : (hcr & ~ICH_HCR_UIE));
    uie_on[cpu] = on;
}

static void v3_vif_save(struct gic_vcpu_if *g)
{
    for (unsigned i = 0; i < nr_lrs && i < GUEST_MAX_LRS; i++) {
        g->lr[i] = ich_lr_access(i, false, 0);
        ich_lr_access(i, true, 0);
    }
    g->vmcr = read_sysreg(ICH_VMCR_EL2);
    g->ap0r0 = read_sysreg(ICH_AP0R0_EL2);
    g->ap1r0 = read_sysreg(ICH_AP1R0_EL2);
}

static void v3_vif_load(const struct gic_vcpu_if *g)
{
    for (unsigned i = 0; i < nr_lrs && i < GUEST_MAX_LRS; i++)
        ich_lr_access(i, true, g->lr[i]);
    write_sysreg(ICH_VMCR_EL2, g->vmcr);
    write_sysreg(ICH_AP0R0_EL2, g->ap0r0);
    write_sysreg(ICH_AP1R0_EL2, g->ap1r0);
}

const struct gic_ops gic_v3_cpuif_ops = {
    .boot_report = v3_boot_report,
    .ack = v3_ack,
    .priority_drop = v3_priority_drop,
    .deactivate = v3_deactivate,
    .send_sgi = v3_send_sgi,
    .nr_lrs = v3_nr_lrs,
    .lr_read = v3_lr_read,
    .lr_write = v3_lr_write,
    .lr_decode = gic_v3_lr_decode,
    .lr_encode = gic_v3_lr_encode,
    .underflow_irq = v3_underflow_irq,
    .vif_save = v3_vif_save,
    .vif_load = v3_vif_load,
};
