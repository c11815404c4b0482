/*
 * arch.h — what core/ asks of the architecture.  core/ includes this, never a
 * header under arch/.  Implemented in arch/arm64/.
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

/* Power */
void arch_set_poweroff_semihosting(bool on);
bool arch_poweroff_is_semihosting(void);
noreturn_fn void arch_poweroff(int status);
void psci_set_conduit(enum psci_conduit c);
const char *psci_conduit_name(void);
u32 psci_host_version(void);

/* Stage 2 */
int arch_stage2_init(void);                       /* once, on the boot CPU */
void arch_stage2_cpu_init(void);                  /* on every CPU */
void arch_stage2_flush_vmid(u16 vmid, u64 vttbr);

/* vCPUs */
void arch_vcpu_init(struct vcpu *v, u64 entry_ipa, u64 dtb_ipa);
noreturn_fn void arch_vcpu_run(struct vcpu *v);
/* Copy from a guest virtual address through the guest's own stage 1 and
 * stage 2 (the way Xen/ARM reads hypercall buffers).  0 or -EFAULT. */
int copy_from_guest(struct vcpu *v, void *dst, u64 gva, u64 len);
int copy_to_guest(struct vcpu *v, u64 gva, const void *src, u64 len);

/* Deliberately fault at EL2 (selftest=el2-fault). */
void arch_selftest_el2_fault(void);

#endif
