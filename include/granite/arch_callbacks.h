/*
 * arch_callbacks.h — the only functions of core/ that arch/ calls: the other
 * direction of include/granite/arch.h.  Each says when the architecture calls
 * it.  The core headers that own these functions (sched.h, hypercall.h,
 * domain.h, vpl011.h, vcpu_stats.h) include this one instead of declaring them.
 *
 * Besides these, arch/ uses core's services, not callbacks: the log
 * (console.h, dlog.h), snprintf/memset, the p2m it walks and installs
 * (p2m.h: p2m_lookup, p2m_vttbr, p2m_get_ram_page/p2m_put_ram_page), and
 * iommu_p2m_table_freed (iommu.h) when a stage-2 table page goes.
 */
#ifndef GRANITE_ARCH_CALLBACKS_H
#define GRANITE_ARCH_CALLBACKS_H

#include <granite/types.h>

struct vcpu;
struct domain;
struct vpl011;
struct vcpu_stats;

/* --- boot (arch/arm64/boot.S), core/main.c ------------------------------- */
/* The boot CPU, MMU off, image relocated, with the DTB's address from x0. */
noreturn_fn void boot_primary(u64 dtb_pa);
/* A secondary CPU that PSCI CPU_ON started (arch_cpu_start), on its stack. */
noreturn_fn void secondary_main(unsigned cpu);

/* --- traps (arch/arm64/traps.c, vpsci.c), core/hypercall.c and sched.c ---- */
/* HVC #0xEA1 from a guest: Xen's hypercall number and five arguments. */
long do_hypercall(struct vcpu *v, u64 nr, const u64 args[5]);
/* After every trap, before the way back in: switch away if the current vCPU
 * cannot go on, or its slice is over. */
void sched_after_trap(struct vcpu *cur);
/* The current vCPU executed WFI with nothing pending (traps.c). */
void vcpu_block(struct vcpu *v);
/* Change v's state from `from` to `to` atomically; false (and no change) if v
 * was not in `from`.  The only way a vCPU's state changes (PSCI CPU_ON/OFF). */
bool vcpu_transition(struct vcpu *v, unsigned from, unsigned to);
/* v may have work: make it runnable and get its CPU's attention.  From the
 * vGIC when an interrupt became deliverable to v (virq.c), and PSCI CPU_ON. */
void vcpu_wake(struct vcpu *v);
/* End a domain (core/domain.c).  `clean` = it asked to be switched off (PSCI
 * SYSTEM_OFF); otherwise a fault granite will not survive for it.  May be
 * called from any CPU; a CPU running one of its vCPUs stops doing so at its
 * next trap. */
void domain_end(struct domain *d, bool clean, const char *why);

/* --- interrupts (arch/arm64/irq.c), core/sched.c ------------------------- */
/* The hypervisor timer (CNTHP) fired on this CPU. */
void sched_timer_interrupt(void);
/* A kick (SGI 0) arrived: re-examine the run queue at the next opportunity. */
void sched_kicked(void);
/* The vCPU loaded on this CPU, or NULL when idle: whose timer fired. */
struct vcpu *sched_current(void);

/* --- emulation (arch/arm64/mmio.c, sysreg_trap.c) ------------------------- */
/* A guest data abort inside the emulated PL011's page; false if `ipa` is not this UART's. */
bool vpl011_mmio(struct vpl011 *u, u64 ipa, unsigned size, bool is_write, u64 *val);
/* Count a trapped system-register access by its encoding op0:op1:CRn:CRm:op2
 * as in ESR_EL2's ISS, packed 4 bits each (op0 in 19:16). */
void vcpu_stats_sysreg(struct vcpu_stats *s, u32 reg);

#endif
