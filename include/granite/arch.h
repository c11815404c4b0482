/*
 * arch.h — what core/ asks of the architecture.  core/ includes this, never a
 * header under arch/, the GIC's (gic.h) or the vGIC's (vgic.h), and has no
 * assembly of its own.  Implemented in arch/arm64/.  The other direction, the
 * functions of core/ that arch/ calls, is include/granite/arch_callbacks.h.
 */
#ifndef GRANITE_ARCH_H
#define GRANITE_ARCH_H

#include <granite/types.h>
#include <granite/boot.h>

struct vcpu;
struct domain;

/* CPUs */
unsigned this_cpu(void);
void arch_cpu_init(unsigned cpu, bool boot_cpu);  /* per-CPU EL2 state, TPIDR_EL2 */
int arch_cpu_start(unsigned cpu, u64 mpidr);      /* PSCI CPU_ON into secondary_entry */
u64 arch_boot_cpu_mpidr(void);
void arch_boot_phase_end(void);                   /* FP/SIMD trapped at EL2 from now on */
noreturn_fn void arch_cpu_idle_forever(void);
/* The boot CPU lets the secondaries go (after a release store of the flag they
 * wait on); a secondary waits for that, looking at its flag between waits. */
void arch_send_event(void);
void arch_wait_event(void);
/* Relocations boot.S found of a type it cannot apply (reported once a console exists). */
extern u64 boot_bad_relocs;

/* A guest access to an IPA with nothing behind it: a synchronous external
 * abort injected into the guest (default), or the domain destroyed. */
void arch_set_guest_abort_destroy(bool destroy);

/* Power */
void arch_set_poweroff_semihosting(bool on);
bool arch_poweroff_is_semihosting(void);
noreturn_fn void arch_poweroff(int status);
void psci_set_conduit(enum psci_conduit c);
const char *psci_conduit_name(void);
u32 psci_host_version(void);
s64 psci_host_workaround(unsigned n);             /* firmware's ARCH_FEATURES(WORKAROUND_n) */
void psci_firmware_workaround(unsigned n);        /* run WORKAROUND_n (1, 3) in the firmware */
/* An SMCCC call to the platform firmware: x0..x7 = a[], res[] = x0..x3 after. */
void arch_firmware_smc(const u64 a[8], u64 res[4]);

/* Stage 2 */
int arch_stage2_init(void);                       /* once, on the boot CPU */
void arch_stage2_cpu_init(void);                  /* on every CPU */
void arch_stage2_flush_vmid(u16 vmid, u64 vttbr);
/* Before arch_stage2_init(): keep the IPA (and PA) size within `bits`, for an
 * IOMMU that walks the p2m itself. */
void arch_stage2_limit_ipa_bits(unsigned bits);
/* Descriptor format of an IOMMU's own tables: the stage-2 format, or (for an
 * IOMMU without stage 2) a stage-1 format with the attributes of
 * arch_iommu_s1_mair() (arch/arm64/stage1_dma.c). */
struct pt_format;
const struct pt_format *arch_iommu_format(bool stage1);
u64 arch_iommu_s1_mair(void);
void arch_dsb_ishst(void);                        /* earlier stores visible to table walkers */

/* vCPUs */
void arch_vcpu_reset(struct vcpu *v, u64 entry, u64 x0);
void arch_vcpu_save(struct vcpu *v);              /* EL1 state off the CPU */
void arch_vcpu_load(struct vcpu *v);              /* and onto it */
noreturn_fn void arch_enter_guest(struct vcpu *v);
bool arch_vcpu_has_pending(struct vcpu *v);       /* an interrupt is deliverable */
/* A vCPU off its CPU reached its timer deadline (v->timer_deadline <= now):
 * the due timers' interrupt lines go high; v->timer_deadline becomes the
 * other timer's deadline, or 0. */
void arch_vcpu_timers_expired(struct vcpu *v, u64 now);

/* A domain's emulated interrupt controller (arch/arm64/virq.c). */
#define ARCH_NR_VIRQS 192  /* INTIDs it has: 0..191 (SGIs, PPIs, SPIs 32..191) */
extern const struct domain_unit arch_vgic_unit;   /* its state, in core/domain.c's units[] */
int arch_domain_init(struct domain *d);           /* at build, once its vCPUs are counted */
/* The IPA ranges the architecture emulates for d (its vGIC's frames), at most
 * `max` of them: for a dump of its address space (core/map_dump.c). */
struct emulated_region { const char *name; u64 base, size; };
unsigned arch_emulated_regions(const struct domain *d, struct emulated_region *out,
                               unsigned max);

/* How that controller is described in a generated (domU) device tree. */
struct arch_gic_dt {
    const char *compatible;
    u64 reg[4];              /* (base, size) pairs */
    unsigned nr_reg;         /* pairs used */
    bool redist_regions;     /* add #redistributor-regions = <1> (GICv3) */
};
void arch_domain_gic_dt(const struct domain *d, struct arch_gic_dt *out);
/* An emulated device's level-sensitive SPI `intid` (the vPL011's). */
void arch_domain_irq_level(struct domain *d, u32 intid, bool level);
/* Raise domain d's event-channel upcall (the PPI its /hypervisor node names)
 * on `vcpu`.  Called with an event-channel lock held (d's own, or the sending
 * domain's), from any CPU; it must not call back into event channels.  Raised
 * once per 0->1 change of d's evtchn_upcall_pending, so it may be edge-like. */
void arch_evtchn_upcall(struct domain *d, unsigned vcpu);
/* One line on the state of that upcall interrupt at d's interrupt controller
 * (a counter dump's: a lost upcall shows there). */
void arch_evtchn_upcall_describe(struct domain *d, unsigned vcpu, char *buf, size_t len);

/* Interrupts and time */
/* Boot: find the host's interrupt controller (the DT's, by its driver) and set it up. */
int arch_irq_init(const void *fdt, const char **why);
/* On each CPU: its part of the interrupt controller (redistributor, CPU interface). */
int arch_irq_cpu_init(unsigned cpu, u64 mpidr);
void arch_set_cpu_mpidr(unsigned cpu, u64 mpidr);
u64 arch_cpu_mpidr(unsigned cpu);
void arch_kick_cpu(unsigned cpu);
/* Aim the physical interrupts a domain owns at its vCPU 0's CPU (after sched_assign). */
void arch_irq_follow_vcpus(struct domain *d);
/* Interrupts of kind `kind` (enum stats_irq) taken by `cpu` while idle. */
u64 arch_idle_irqs(unsigned cpu, unsigned kind);
/* EL2 time per vCPU exit and kick latency so far (include/granite/vcpu_stats.h);
 * measured only when arch_exit_timing_init(true) was called at boot (timing=on). */
void arch_exit_timing_init(bool on);
struct exit_timing_totals;
void arch_exit_timing(struct exit_timing_totals *out);
/* The time this CPU's current exit has spent so far was a report's: not counted. */
void arch_exit_timing_restart(void);
void arch_irq_disable(void);
void arch_idle_wait(void);                        /* WFI with interrupts open */
u64 arch_counter(void);
u64 arch_counter_freq(void);
void arch_hyp_timer_set(u64 deadline);            /* 0 = off */
int irq_route_to_domain(u32 intid, struct domain *d, u32 virq, bool edge);
/* The INTIDs the host's interrupt controller has (its GICD_TYPER): an SPI at
 * or beyond it is no line of this machine and cannot be routed. */
unsigned arch_host_nr_irqs(void);
/* Whether SPI `intid` is granite's (irq_take_for_granite) or routed to a
 * domain other than d: then it must not be routed to d (it would be taken away). */
bool irq_spi_owned(u32 intid, const struct domain *d);
/* An SPI granite handles itself (a UART's receive, an IOMMU's events):
 * `handler` runs on the boot CPU, where it is routed, then it is ended. */
void irq_take_for_granite(u32 intid, void (*handler)(u32), bool edge);
/* Copy from a guest virtual address through the guest's own stage 1 and
 * stage 2 (the way Xen/ARM reads hypercall buffers).  0 or -EFAULT. */
int copy_from_guest(struct vcpu *v, void *dst, u64 gva, u64 len);
int copy_to_guest(struct vcpu *v, u64 gva, const void *src, u64 len);

/* Deliberately fault at EL2 (selftest=el2-fault). */
void arch_selftest_el2_fault(void);

#endif
