/*
 * cpu.c — per-CPU EL2 state, entering a vCPU, switching the machine off.
 *
 * Each physical CPU has a struct pcpu, reached through TPIDR_EL2 (the one EL2
 * register meant for software).  The exception entry code (vectors.S) uses it
 * to find the running vCPU's registers and the CPU's stack top.
 */
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/console.h>
#include <granite/memory_map.h>
#include <granite/errno.h>
#include "asm_offsets.h"
#include "sysregs.h"
#include "id_regs.h"
#include "internal.h"
#include "vtimer.h"

struct pcpu {
    struct guest_context *guest; /* PCPU_GUEST_REGS */
    u64 stack_top;               /* PCPU_STACK_TOP */
    unsigned id;
};

_Static_assert(__builtin_offsetof(struct pcpu, guest) == PCPU_GUEST_REGS, "asm offset");
_Static_assert(__builtin_offsetof(struct pcpu, stack_top) == PCPU_STACK_TOP, "asm offset");
_Static_assert(__builtin_offsetof(struct guest_context, x[30]) == REGS_X30, "asm offset");
_Static_assert(__builtin_offsetof(struct guest_context, pc) == REGS_ELR, "asm offset");
_Static_assert(__builtin_offsetof(struct guest_context, pstate) == REGS_SPSR, "asm offset");
_Static_assert(__builtin_offsetof(struct vcpu, ctx) == 0, "guest context first in vcpu");
_Static_assert(STACK_SIZE == GRANITE_STACK_SIZE, "one stack size");

static struct pcpu pcpus[GRANITE_MAX_CPUS];

unsigned this_cpu(void) { return ((struct pcpu *)read_sysreg(tpidr_el2))->id; }

u64 arch_boot_cpu_mpidr(void) { return read_sysreg(mpidr_el1) & MPIDR_AFF_MASK; }

/* CPTR_EL2, the same for granite and its guests: SVE, SME, trace and (when
 * the CPU has them) activity monitors trapped; FP/SIMD trapped while granite
 * runs once the boot phase is over (vectors.S lifts TFP on the way into a
 * guest and sets it again on the way out). */
static u64 cptr_value(bool trap_fp)
{
    u64 v = CPTR_EL2_GUEST & ~CPTR_EL2_TAM;

    if (FIELD_GET(GENMASK(47, 44), read_sysreg(id_aa64pfr0_el1))) /* PFR0.AMU */
        v |= CPTR_EL2_TAM;
    return v | (trap_fp ? CPTR_EL2_TFP : 0);
}

/*
 * MDCR_EL2: the guest's debug and profiling view (id_regs.c hides the PMU,
 * SPE, TRBE and trace; these traps make their registers UNDEFINED as on a CPU
 * without them).  The breakpoint and watchpoint registers and MDSCR_EL1 are
 * not trapped: they are switched (vcpu_switch.c).  The OS lock, OS double
 * lock, DBGPRCR_EL1 and MDRAR_EL1 are trapped and emulated (sysreg_trap.c).
 */
static u64 mdcr_value(void)
{
    u64 dfr0 = read_sysreg(id_aa64dfr0_el1), v = MDCR_TDOSA | MDCR_TDRA;
    u64 pmuver = FIELD_GET(DFR0_PMUVER, dfr0);

    if (pmuver && pmuver != 0xf) {
        /* All of the PMU's counters stay in the first range (HPMN = N), none is
         * reserved for EL2; every access from EL1/EL0 traps all the same. */
        v |= MDCR_TPM | MDCR_TPMCR | FIELD_PREP(MDCR_HPMN, FIELD_GET(PMCR_N, read_sysreg(pmcr_el0)));
    }
    if (FIELD_GET(DFR0_PMSVER, dfr0))
        v |= MDCR_TPMS;          /* and E2PB = 0: the profiling buffer is EL2's */
    if (FIELD_GET(DFR0_TRACEFILT, dfr0))
        v |= MDCR_TTRF;          /* E2TB = 0: the trace buffer is EL2's */
    return v;
}

/*
 * Registers of later EL2 extensions that firmware may have left in any state
 * (granite may be entered by a boot loader that used them).  With FEAT_FGT,
 * the fine-grained trap registers at 0: no fine-grained trap for what the
 * guest is offered, while their "n" bits (nTPIDR2_EL0, nSMPRI_EL1, the BRBE
 * and GCS ones...) at 0 trap the registers of features id_regs.c hides, so
 * none of them is left as a channel between domains.  With FEAT_HCX, HCRX_EL2
 * at 0: none of the features it enables (MOPS, LS64, TCR2, FPM...) is on, and
 * none is advertised.  Arm ARM D19.2 (HFGRTR_EL2, HFGWTR_EL2, HFGITR_EL2,
 * HDFGRTR_EL2, HDFGWTR_EL2, HCRX_EL2).
 */
static void reset_later_el2_controls(void)
{
    if (FIELD_GET(MMFR0_FGT, read_sysreg(id_aa64mmfr0_el1))) {
        write_sysreg_s(SYSREG_HFGRTR_EL2, 0);
        write_sysreg_s(SYSREG_HFGWTR_EL2, 0);
        write_sysreg_s(SYSREG_HFGITR_EL2, 0);
        write_sysreg_s(SYSREG_HDFGRTR_EL2, 0);
        write_sysreg_s(SYSREG_HDFGWTR_EL2, 0);
    }
    if (FIELD_GET(MMFR1_HCX, read_sysreg(id_aa64mmfr1_el1)))
        write_sysreg_s(SYSREG_HCRX_EL2, 0);
}

void arch_cpu_init(unsigned cpu, bool boot_cpu)
{
    struct pcpu *p = &pcpus[cpu];

    p->id = cpu;
    p->stack_top = (u64)(uintptr_t)__stacks_start + (cpu + 1) * STACK_SIZE;
    write_sysreg(tpidr_el2, p);
    /* EL1 may read the physical counter; the EL1 physical timer (EL1PCEN = 0)
     * traps and is emulated per vCPU (ptimer.c), granite driving the real one. */
    write_sysreg(cnthctl_el2, CNTHCTL_EL1PCTEN);
    write_sysreg(cntvoff_el2, 0);
    write_sysreg(cntp_ctl_el0, 0);
    /* Secondaries never need FP/SIMD at EL2; the boot CPU keeps it for libfdt
     * until arch_boot_phase_end(). */
    write_sysreg(cptr_el2, cptr_value(!boot_cpu));
    write_sysreg(mdcr_el2, mdcr_value());
    reset_later_el2_controls();
    write_sysreg(hcr_el2, HCR_HOST); /* no stage 2 until a vCPU runs here */
    isb();
}

void arch_boot_phase_end(void)
{
    write_sysreg(cptr_el2, cptr_value(true));
    isb();
}

/* SEV after DSB: the flag the waiters look at is visible before they wake. */
void arch_send_event(void) { __asm__ volatile("dsb ish; sev" ::: "memory"); }
void arch_wait_event(void) { __asm__ volatile("wfe" ::: "memory"); }

noreturn_fn void arch_cpu_idle_forever(void)
{
    irq_save();
    /* No guest runs here any more: stage 2 off, its VTTBR forgotten. */
    write_sysreg(hcr_el2, HCR_HOST);
    write_sysreg(vttbr_el2, 0);
    isb();
    for (;;)
        wfi();
}

static bool poweroff_semihosting;
void arch_set_poweroff_semihosting(bool on) { poweroff_semihosting = on; }
bool arch_poweroff_is_semihosting(void) { return poweroff_semihosting; }

noreturn_fn void arch_poweroff(int status)
{
    printk("granite: powering off, exit status %d\n", status);
    if (poweroff_semihosting)
        semihosting_exit(status);
    psci_system_off();
    printk("granite: no way to power off; this CPU stops here\n");
    arch_cpu_idle_forever();
}

/* Guests run with stage 2 on, interrupts and SErrors routed to EL2, WFI/WFE,
 * SMC and implementation-defined registers trapped, set/way cache operations
 * (which cannot be virtualised safely) trapped, the ID registers trapped and
 * sanitised (id_regs.c), LORegion and RAS error-record registers trapped
 * (hidden).  HCR_EL2.ATA stays 0: MTE's tag accesses trap (MTE is hidden). */
#define HCR_GUEST (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_BSU_IS | HCR_FB | \
                   HCR_TWI | HCR_TWE | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_RW | \
                   HCR_TID3 | HCR_TLOR)

static u64 hcr_guest(void)
{
    u64 hcr = HCR_GUEST;

    if (id_host_has_pauth(id_reg_host_value(ID_AA64ISAR1), id_reg_host_value(ID_AA64ISAR2)))
        hcr |= HCR_API | HCR_APK;   /* keys switched in vcpu_switch.c */
    if (FIELD_GET(PFR0_RAS, id_reg_host_value(ID_AA64PFR0)))
        hcr |= HCR_TERR;
    if (FIELD_GET(PFR1_MTE, id_reg_host_value(ID_AA64PFR1)) >= 2)
        hcr |= HCR_TID5;            /* GMID_EL1 exists only with MTE2 */
    return hcr;
}

/* A vCPU as a CPU comes out of reset (or PSCI CPU_ON): EL1h, interrupts masked,
 * MMU and caches off, at `entry` with x0 = `x0`. */
void arch_vcpu_reset(struct vcpu *v, u64 entry, u64 x0)
{
    struct guest_context *c = &v->ctx;

    vgic_lr_forget_saved(v);
    for (unsigned i = 0; i < 31; i++)
        c->x[i] = 0;
    c->x[0] = x0;
    c->pc = entry;
    c->pstate = SPSR_MODE_EL1h | SPSR_D | SPSR_A | SPSR_I | SPSR_F;
    c->el1 = (struct el1_sysregs){ .sctlr = SCTLR_EL1_RESET };
    vtimer_reset(v);        /* both timers off, their interrupt lines low */
    ptimer_reset(v);
    c->gicif = (struct gic_vcpu_if){ 0 };
    c->fp = (struct fpsimd_state){ 0 };
    c->vmpidr = BIT(31) | v->id; /* RES1 bit 31, Aff0 = vCPU number */
    c->debug = (struct debug_state){ .os_lock = true }; /* OSLK is 1 after a cold reset */
    c->pauth = (struct pauth_keys){ 0 };
    for (unsigned i = 0; i < GUEST_ABORTS_REMEMBERED; i++)
        c->aborts_logged[i] = 0;
    c->aborts_next = 0;
    c->hcr = hcr_guest();
    c->vttbr = p2m_vttbr(&v->d->p2m);
    v->timer_deadline = 0;
}

noreturn_fn void arch_enter_guest(struct vcpu *v)
{
    struct pcpu *p = (struct pcpu *)read_sysreg(tpidr_el2);

    p->guest = &v->ctx;
    /* Said before the list registers are filled: a waker on another CPU
     * that finds in_guest false skips its kick and relies on this fill
     * (sched.c, will_see_on_entry). */
    __atomic_store_n(&v->in_guest, true, __ATOMIC_SEQ_CST);
    vgic_lr_fill(v);
    exit_timing_leave();
    guest_resume();
}

/*
 * Hypercall arguments are guest virtual addresses.  granite translates one
 * with the guest's own stage 1 only (AT S1E1R/W: the vCPU's EL1 registers are
 * live on this CPU while it handles its trap), which gives the IPA, and then
 * asks the p2m for the page behind it.  It does not use the combined AT
 * S12E1 walk's PA directly: that PA can be anything the domain's stage 2 maps
 * -- for dom0, /reserved-memory and PCIe windows -- and granite does not map
 * all of those itself.  The p2m keeps the page from being unmapped while the
 * copy runs.
 */
/*
 * The guest's PAR_EL1 is live in the register while its vCPU is loaded, and
 * AT overwrites it: a guest that did its own AT and has not yet read PAR
 * (Linux's spurious-fault check does exactly that) must find its result, so
 * the register is put back, as Xen does around its own translations.
 */
static int gva_to_ipa(u64 gva, bool write, ipa_t *out)
{
    u64 par, f = irq_save();
    u64 guest_par = read_sysreg(par_el1);

    if (write)
        __asm__ volatile("at s1e1w, %0" : : "r"(gva));
    else
        __asm__ volatile("at s1e1r, %0" : : "r"(gva));
    isb();
    par = read_sysreg(par_el1);
    write_sysreg(par_el1, guest_par);
    irq_restore(f);
    if (par & PAR_F)
        return -EFAULT;
    *out = ipa((par & PAR_PA) | (gva & ~PAGE_MASK));
    return 0;
}

/* Copy within one page of the guest's RAM. */
static int copy_guest_page(struct vcpu *v, u64 gva, u8 *buf, u64 n, bool to_guest)
{
    ipa_t where;
    pa_t page;
    u8 *p;

    if (gva_to_ipa(gva, to_guest, &where) ||
        p2m_get_ram_page(&v->d->p2m, where, to_guest, &page))
        return -EFAULT;
    p = pa_to_ptr(page);
    for (u64 i = 0; i < n; i++) {
        if (to_guest)
            p[i] = buf[i];
        else
            buf[i] = p[i];
    }
    p2m_put_ram_page(&v->d->p2m);
    return 0;
}

static int copy_guest(struct vcpu *v, u64 gva, u8 *buf, u64 len, bool to_guest)
{
    while (len) {
        u64 n = MIN(len, PAGE_SIZE - (gva & ~PAGE_MASK));
        if (copy_guest_page(v, gva, buf, n, to_guest))
            return -1;
        gva += n;
        buf += n;
        len -= n;
    }
    return 0;
}

int copy_from_guest(struct vcpu *v, void *dst, u64 gva, u64 len)
{
    return copy_guest(v, gva, dst, len, false) ? -EFAULT : 0;
}

int copy_to_guest(struct vcpu *v, u64 gva, const void *src, u64 len)
{
    return copy_guest(v, gva, (u8 *)src, len, true) ? -EFAULT : 0;
}

void arch_selftest_el2_fault(void)
{
    /* An address granite never maps: a translation fault at EL2. */
    volatile u64 *bad = (volatile u64 *)0xdead0000UL;
    (void)*bad;
}
