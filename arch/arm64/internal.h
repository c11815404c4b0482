/*
 * internal.h — how the files of arch/arm64/ call each other.  Private to
 * arch/arm64/: core/ reaches the architecture only through
 * include/granite/arch.h.  The mechanisms with their own header keep it
 * (inject.h, vtimer.h, id_regs.h, sysregs.h); what is here are the entry
 * points one arm64 file offers another, grouped by the file that defines them.
 */
#ifndef ARCH_ARM64_INTERNAL_H
#define ARCH_ARM64_INTERNAL_H

#include <granite/types.h>

struct vcpu;
struct guest_context;
struct fpsimd_state;

/* boot.S, vectors.S and the linker script */
extern char secondary_entry[];   /* where PSCI CPU_ON starts a secondary CPU */
extern char __stacks_start[];    /* the per-CPU EL2 stacks (linker/granite.ld) */
extern char __rodata_start[], __data_start[];
noreturn_fn void guest_resume(void);  /* enter the vCPU the pcpu names */

/* fpsimd.S: a vCPU's FP/SIMD registers off and onto the CPU. */
void fpsimd_save(struct fpsimd_state *s);
void fpsimd_restore(const struct fpsimd_state *s);

/* irq.c: the physical interrupts taken while a guest ran (from traps.c); an
 * IRQ taken at EL2 itself comes in through el2_irq (from vectors.S). */
void irq_taken_in_guest(struct vcpu *cur);
void el2_irq(void);

/* exit_timing.c: EL2 residency per exit (traps.c, cpu.c) and kick latency (irq.c). */
void exit_timing_enter(void);          /* a vCPU exit begins (guest_trap) */
void exit_timing_leave(void);          /* back into a guest */
void exit_timing_kick_sent(unsigned cpu);
void exit_timing_kick_taken(void);

/* vgic_lr.c: the vCPU's list registers against its vGIC (include/granite/vgic.h). */
void vgic_lr_sync_from_hw(struct vcpu *v);   /* on exit: what the guest did to them */
void vgic_lr_fill(struct vcpu *v);           /* before entry: the best pending interrupts */
void vgic_lr_forget_saved(struct vcpu *v);   /* a vCPU reset: its saved LRs mean nothing */

/* Trap handlers, each true/handled or the value for the guest (traps.c calls them). */
long vpsci_smccc_call(struct vcpu *v, struct guest_context *c);   /* vpsci.c */
bool mmio_emulate(struct vcpu *v, u64 esr, u64 ipa);              /* mmio.c */
bool sysreg_trap(struct vcpu *v, u64 esr);                        /* sysreg_trap.c */

/* Power off (cpu.c arch_poweroff picks one). */
void semihosting_exit(int status);   /* semihosting.c */
void psci_system_off(void);          /* psci.c */

#endif
