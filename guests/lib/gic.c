/*
 * gic.c — a guest's GIC driver, for the GIC its device tree names:
 *   GICv3 ("arm,gic-v3", GICv3 spec, Arm IHI 0069): distributor, its
 *     redistributor, and the CPU interface through the ICC_* system registers;
 *   GICv2 ("arm,cortex-a15-gic" / "arm,gic-400", Arm IHI 0048B, what granite
 *     gives guests on a GICv2 host): distributor, whose SGI/PPI registers are
 *     banked per CPU, and the memory-mapped CPU interface GICC
 *     (GICC_CTLR/PMR/IAR/EOIR); SGIs through GICD_SGIR.
 * Under granite the distributor and redistributors are emulated (stage-2
 * traps), the CPU interface is the hardware's virtual one (ICC_* on GICv3,
 * the GICV frame mapped as GICC on GICv2), but the code is what it would be
 * on real hardware.  One struct of the few operations that differ; no `if`.
 *
 * Layout from the DTB's GIC node: reg[0] the distributor, reg[1] the
 * redistributors (GICv3) or the CPU interface (GICv2).  vCPU n finds its
 * redistributor at index n (granite's MPIDR Aff0 = n convention; GICR_TYPER
 * says so too); on GICv2 its CPU interface number is n (GICD_ITARGETSR0).
 * GICv2: the banked registers reach the vCPU that runs the code, so the
 * `vcpu` of gic_cpu_setup and of a private gic_enable_irq must be the caller.
 * Everything is Group 1 on GICv3; on GICv2 everything stays Group 0 (the
 * reset value), which the CPU interface signals as IRQ with FIQEn = 0.
 */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include "guest.h"

#define GICD_CTLR 0x0000
#define GICD_CTLR_ARE BIT32(4)
#define GICD_CTLR_G1 BIT32(1)
#define GICD_CTLR_V2_ENABLE_GRP0 BIT32(0)
#define GICD_ISENABLER 0x0100
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800
#define GICD_SGIR 0x0F00
#define GICD_SGIR_TARGET_SHIFT 16
#define GICD_IROUTER 0x6000
#define GICR_STRIDE 0x20000
#define GICR_WAKER 0x0014
#define GICR_WAKER_PS BIT32(1)
#define GICR_WAKER_CA BIT32(2)
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_IPRIORITYR0 (GICR_SGI + 0x0400)
#define GICD_IGROUPR 0x0080
#define GICC_CTLR 0x0000
#define GICC_CTLR_ENABLE_GRP0 BIT32(0)
#define GICC_PMR 0x0004
#define GICC_IAR 0x000C
#define GICC_IAR_INTID 0x3ffU
#define GICC_EOIR 0x0010
#define BIT32(n) (1U << (n))
#define PRIO 0x80

static volatile uint8_t *gicd, *gicr, *gicc;
static gic_handler_t handlers[GUEST_MAX_INTID];

/* vCPUs whose virtual-timer PPI the waits below have enabled.  The enable
 * (GICR_ISENABLER0 or the banked GICD_ISENABLER0, an emulated register: one
 * trap into the hypervisor) is done once per vCPU; after that a wait arms and
 * disarms the timer through CNTV_CVAL_EL0/CNTV_CTL_EL0 only, which are not
 * trapped.  gic_cpu_setup forgets a vCPU (it may have come back from CPU_OFF
 * with a reset redistributor). */
#define WAIT_MAX_VCPUS 64
static bool wait_ppi_enabled[WAIT_MAX_VCPUS];

static uint32_t rd32(volatile uint8_t *b, uint32_t o) { return mmio_read32(b + o); }
static void wr32(volatile uint8_t *b, uint32_t o, uint32_t v) { mmio_write32(b + o, v); }
static void wr64(volatile uint8_t *b, uint32_t o, uint64_t v) { mmio_write64(b + o, v); }

/* What differs between the two GIC versions. */
struct gic_kind {
    const char *compatible;
    void (*dist_setup)(void);
    void (*cpu_setup)(unsigned vcpu);
    void (*enable_private)(unsigned vcpu, uint32_t intid);
    void (*route_spi)(unsigned vcpu, uint32_t intid);
    void (*send_sgi)(unsigned target_vcpu, uint32_t sgi);
    uint32_t (*ack)(uint64_t *token);          /* INTID; *token goes back to eoi */
    void (*eoi)(uint64_t token);
};

/* --- GICv3 ------------------------------------------------------------------- */

static void v3_dist_setup(void) { wr32(gicd, GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_G1); }

static void v3_cpu_setup(unsigned vcpu)
{
    volatile uint8_t *rd = gicr + (uint64_t)vcpu * GICR_STRIDE;

    wr32(rd, GICR_WAKER, rd32(rd, GICR_WAKER) & ~GICR_WAKER_PS);
    while (rd32(rd, GICR_WAKER) & GICR_WAKER_CA)
        ;
    wr32(rd, GICR_IGROUPR0, ~0U);
    for (unsigned i = 0; i < 32; i += 4)
        wr32(rd, GICR_IPRIORITYR0 + i, PRIO * 0x01010101U);
    __asm__ volatile("msr S3_0_C12_C12_5, %0" : : "r"(1UL)); /* ICC_SRE_EL1.SRE */
    __asm__ volatile("isb");
    __asm__ volatile("msr S3_0_C4_C6_0, %0" : : "r"(0xffUL)); /* ICC_PMR_EL1 */
    __asm__ volatile("msr S3_0_C12_C12_7, %0" : : "r"(1UL)); /* ICC_IGRPEN1_EL1 */
    __asm__ volatile("isb");
}

static void v3_enable_private(unsigned vcpu, uint32_t intid)
{
    wr32(gicr + (uint64_t)vcpu * GICR_STRIDE, GICR_ISENABLER0, BIT32(intid));
}

static void v3_route_spi(unsigned vcpu, uint32_t intid)
{
    wr32(gicd, GICD_IGROUPR + (intid / 32) * 4,
         rd32(gicd, GICD_IGROUPR + (intid / 32) * 4) | BIT32(intid % 32));
    wr64(gicd, GICD_IROUTER + 8 * intid, vcpu);
}

static void v3_send_sgi(unsigned target_vcpu, uint32_t sgi)
{
    uint64_t v = (1UL << target_vcpu) | ((uint64_t)sgi << 24);
    __asm__ volatile("dsb ishst; msr S3_0_C12_C11_5, %0; isb" : : "r"(v)); /* ICC_SGI1R_EL1 */
}

static uint32_t v3_ack(uint64_t *token)
{
    uint64_t iar;
    __asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(iar)); /* ICC_IAR1_EL1 */
    *token = iar & 0xffffff;
    return (uint32_t)*token;
}

static void v3_eoi(uint64_t token)
{
    __asm__ volatile("msr S3_0_C12_C12_1, %0; isb" : : "r"(token)); /* ICC_EOIR1_EL1 */
}

/* --- GICv2 ------------------------------------------------------------------- */

static void v2_dist_setup(void) { wr32(gicd, GICD_CTLR, GICD_CTLR_V2_ENABLE_GRP0); }

static void v2_cpu_setup(unsigned vcpu)
{
    (void)vcpu; /* the banked registers are the caller's own */
    for (unsigned i = 0; i < 32; i += 4)
        wr32(gicd, GICD_IPRIORITYR + i, PRIO * 0x01010101U);
    wr32(gicc, GICC_PMR, 0xff);
    wr32(gicc, GICC_CTLR, GICC_CTLR_ENABLE_GRP0);
}

static void v2_enable_private(unsigned vcpu, uint32_t intid)
{
    (void)vcpu;
    wr32(gicd, GICD_ISENABLER, BIT32(intid));
}

static void v2_route_spi(unsigned vcpu, uint32_t intid)
{
    mmio_write8(gicd + GICD_ITARGETSR + intid, (uint8_t)BIT32(vcpu));
}

static void v2_send_sgi(unsigned target_vcpu, uint32_t sgi)
{
    __asm__ volatile("dsb ishst" ::: "memory");
    wr32(gicd, GICD_SGIR, BIT32(target_vcpu) << GICD_SGIR_TARGET_SHIFT | sgi);
}

static uint32_t v2_ack(uint64_t *token)
{
    *token = rd32(gicc, GICC_IAR);   /* with GICC_IAR.CPUID, which GICC_EOIR wants back */
    return (uint32_t)*token & GICC_IAR_INTID;
}

static void v2_eoi(uint64_t token) { wr32(gicc, GICC_EOIR, (uint32_t)token); }

static const struct gic_kind gic_kinds[] = {
    { "arm,gic-v3", v3_dist_setup, v3_cpu_setup, v3_enable_private, v3_route_spi, v3_send_sgi,
      v3_ack, v3_eoi },
    { "arm,cortex-a15-gic", v2_dist_setup, v2_cpu_setup, v2_enable_private, v2_route_spi,
      v2_send_sgi, v2_ack, v2_eoi },
    { "arm,gic-400", v2_dist_setup, v2_cpu_setup, v2_enable_private, v2_route_spi,
      v2_send_sgi, v2_ack, v2_eoi },
};
static const struct gic_kind *gic = &gic_kinds[0];

int gic_find(const void *fdt, int *node_out)
{
    for (unsigned i = 0; i < sizeof(gic_kinds) / sizeof(gic_kinds[0]); i++) {
        int node = fdt_node_offset_by_compatible(fdt, -1, gic_kinds[i].compatible);
        if (node >= 0) {
            if (node_out)
                *node_out = node;
            return (int)i == 0 ? 3 : 2;
        }
    }
    return -1;
}

int gic_setup(const void *fdt)
{
    int node, len, version = gic_find(fdt, &node);
    const fdt64_t *reg = version > 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;

    if (!reg || len < 32)
        return -1;
    for (unsigned i = 0; i < sizeof(gic_kinds) / sizeof(gic_kinds[0]); i++)
        if (!fdt_node_check_compatible(fdt, node, gic_kinds[i].compatible)) {
            gic = &gic_kinds[i];
            break;
        }
    gicd = (volatile uint8_t *)fdt64_to_cpu(reg[0]);
    if (version == 3)
        gicr = (volatile uint8_t *)fdt64_to_cpu(reg[2]);
    else
        gicc = (volatile uint8_t *)fdt64_to_cpu(reg[2]);
    gic->dist_setup();
    return 0;
}

void gic_cpu_setup(unsigned vcpu)
{
    if (vcpu < WAIT_MAX_VCPUS)
        wait_ppi_enabled[vcpu] = false;
    gic->cpu_setup(vcpu);
}

void gic_enable_irq(unsigned vcpu, uint32_t intid, gic_handler_t h)
{
    handlers[intid] = h;
    if (intid < 32) {
        gic->enable_private(vcpu, intid);
    } else {
        mmio_write8(gicd + GICD_IPRIORITYR + intid, PRIO);
        gic->route_spi(vcpu, intid);
        wr32(gicd, GICD_ISENABLER + (intid / 32) * 4, BIT32(intid % 32));
    }
}

void gic_send_sgi(unsigned target_vcpu, uint32_t sgi) { gic->send_sgi(target_vcpu, sgi); }

unsigned long guest_spurious_irqs;

/* Per vCPU: the interrupt whose handler runs now (IRQs are not nested), and
 * whether that handler ended it itself with gic_eoi_now. */
static struct {
    uint64_t token;
    bool ended;
} current_irq[WAIT_MAX_VCPUS];

static unsigned current_vcpu(void);

static unsigned irq_slot(void)
{
    unsigned v = current_vcpu();
    return v < WAIT_MAX_VCPUS ? v : 0;
}

static void end_irq(unsigned slot)
{
    if (!current_irq[slot].ended)
        gic->eoi(current_irq[slot].token);
    current_irq[slot].ended = true;
}

void gic_eoi_now(void) { end_irq(irq_slot()); }

void guest_irq(void)
{
    unsigned slot = irq_slot();

    for (;;) {
        uint32_t intid = gic->ack(&current_irq[slot].token);
        if (intid >= 1020) {
            if (intid == 1023)
                guest_spurious_irqs++;
            return;
        }
        current_irq[slot].ended = false;
        if (intid < GUEST_MAX_INTID && handlers[intid])
            handlers[intid](intid);
        end_irq(slot);
    }
}

void irq_enable_local(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
void irq_disable_local(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
#define DAIF_I (1UL << 7) /* PSTATE.I as MRS DAIF shows it: IRQs masked */
bool irq_masked_local(void)
{
    uint64_t daif;
    __asm__ volatile("mrs %0, daif" : "=r"(daif));
    return daif & DAIF_I;
}
void wait_for_interrupt(void) { __asm__ volatile("wfi" ::: "memory"); }

/* Virtual timer (CNTV): fire in `us` microseconds.  Through the 64-bit
 * compare value: CNTV_TVAL is a signed 32-bit count, about 2 s at 1 GHz. */
#define CNTV_ENABLE 1UL
void vtimer_arm_us(uint64_t us)
{
    uint64_t frq, now;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(now));
    __asm__ volatile("msr cntv_cval_el0, %0" : : "r"(now + frq / 1000000 * us));
    __asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(CNTV_ENABLE));
}

void vtimer_stop(void) { __asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(0UL)); }

/* --- waiting for an interrupt handler's work: no lost wake-up --------------
 *
 * The classic wait
 *     irq_enable_local(); while (!cond) wait_for_interrupt();
 * loses wake-ups: when the interrupt that makes cond true is taken between
 * the test and the WFI, its handler runs there, and the WFI then sleeps with
 * nothing pending any more — for ever if nothing else comes (granite traps
 * WFI and sees no pending interrupt).  Instead the condition is tested with
 * IRQs masked (PSTATE.I = 1) and the WFI runs masked too: WFI wakes for a
 * pending interrupt whatever PSTATE.I says (Arm ARM, "Wait for Interrupt":
 * the wake-up event is an interrupt that would be taken if unmasked), so one
 * that arrives after the test stays pending and ends the WFI at once.  The
 * handlers then run in a short unmasked window (the ISB is a context
 * synchronization event: a pending unmasked interrupt is taken at it), and
 * the condition is tested again, masked.
 *
 * wfi_window=N on the command line (read once at boot, guest_wait_setup)
 * spins N iterations between the last test and the WFI: with the unmasked
 * pattern above that makes the lost wake-up near certain, with this one it
 * changes nothing.  The stress scenarios (*-stress) use it.
 */
unsigned long guest_wfi_window;

void guest_wait_setup(void)
{
    char buf[24];

    if (guest_arg("wfi_window", buf, sizeof(buf)))
        guest_wfi_window = strtoul(buf, NULL, 0);
}

void guest_wfi_masked(void)
{
    for (volatile unsigned long i = 0; i < guest_wfi_window; i++)
        ; /* the race window, widened on purpose (wfi_window=N) */
    __asm__ volatile("dsb sy; wfi" ::: "memory");
    irq_enable_local();
    __asm__ volatile("isb" ::: "memory"); /* a pending interrupt is taken here */
    irq_disable_local();
}

static unsigned current_vcpu(void)
{
    uint64_t mpidr;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    return (unsigned)(mpidr & 0xff); /* granite: Aff0 = vCPU number */
}

static volatile bool wait_timer_fired;
static void wait_timer_tick(uint32_t intid)
{
    (void)intid;
    wait_timer_fired = true;
    vtimer_stop();
}

/* The wait's timer handler on vCPU `vcpu`: the handler slot is rewritten
 * every time (a test may have put its own there), the PPI enabled only the
 * first time.  With the timer disarmed (CNTV_CTL.ENABLE = 0) an enabled PPI
 * never fires, so leaving it enabled between waits costs nothing. */
static void wait_timer_claim(unsigned vcpu)
{
    if (vcpu < WAIT_MAX_VCPUS && wait_ppi_enabled[vcpu]) {
        handlers[INTID_VTIMER] = wait_timer_tick;
        return;
    }
    gic_enable_irq(vcpu, INTID_VTIMER, wait_timer_tick);
    if (vcpu < WAIT_MAX_VCPUS)
        wait_ppi_enabled[vcpu] = true;
}

/* A timed wait owns vCPU `vcpu`'s virtual timer while it runs. */
static bool wait_until_on(unsigned vcpu, guest_wait_cond_t done, const void *arg,
                          uint64_t timeout_us)
{
    bool timed = timeout_us != GUEST_WAIT_FOREVER;

    irq_disable_local();
    if (done(arg))
        return true;
    if (timed) {
        wait_timer_fired = false;
        wait_timer_claim(vcpu);
        vtimer_arm_us(timeout_us);
    }
    while (!done(arg) && !(timed && wait_timer_fired))
        guest_wfi_masked();
    if (timed)
        vtimer_stop();
    return done(arg);
}

bool guest_wait_until(guest_wait_cond_t done, const void *arg, uint64_t timeout_us)
{
    return wait_until_on(current_vcpu(), done, arg, timeout_us);
}

struct count_target {
    const volatile unsigned *count;
    unsigned target;
};

static bool count_reached(const void *arg)
{
    const struct count_target *t = arg;
    return *t->count >= t->target;
}

bool guest_wait_count(const volatile unsigned *count, unsigned target, uint64_t timeout_us)
{
    struct count_target t = { count, target };
    return guest_wait_until(count_reached, &t, timeout_us);
}

static bool flag_set(const void *arg) { return *(const volatile bool *)arg; }

bool guest_wait_flag(const volatile bool *flag, uint64_t timeout_us)
{
    return guest_wait_until(flag_set, (const void *)flag, timeout_us);
}

/* Sleep `us` in WFI: a timed wait for a condition that never comes true. */
static bool never(const void *arg)
{
    (void)arg;
    return false;
}

void guest_sleep_us(unsigned vcpu, uint64_t us)
{
    if (us)
        wait_until_on(vcpu, never, NULL, us);
}

/*
 * Sleep until an interrupt arrives or `timeout_us` passes, whichever is
 * first; the handlers of whatever arrived have run when this returns.  Call
 * with interrupts masked, after testing what the caller waits for: see
 * guest_wfi_masked.
 */
void guest_wait_any(uint64_t timeout_us)
{
    wait_timer_fired = false;
    wait_timer_claim(current_vcpu());
    vtimer_arm_us(timeout_us);
    guest_wfi_masked();
    vtimer_stop();
}
