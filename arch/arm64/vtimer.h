/*
 * vtimer.h — the guests' timers: virtual (vtimer.c) and EL1 physical
 * (ptimer.c).  CNTx_CTL_EL0 fields: Arm ARM D19.12 (CNTV_CTL_EL0, CNTP_CTL_EL0).
 */
#ifndef ARCH_ARM64_VTIMER_H
#define ARCH_ARM64_VTIMER_H

#include <granite/types.h>

#define CNT_CTL_ENABLE BIT(0)
#define CNT_CTL_IMASK BIT(1)
#define CNT_CTL_ISTATUS BIT(2)

struct vcpu;

void vtimer_fired(struct vcpu *cur);      /* physical PPI 27 taken (cur may be NULL) */
void vtimer_sample(struct vcpu *v);       /* on every exit of the running vCPU */
void vtimer_save(struct vcpu *v);
void vtimer_load(struct vcpu *v);
u64 vtimer_deadline(const struct vcpu *v);
void vtimer_expired_saved(struct vcpu *v, u64 now);
void vtimer_reset(struct vcpu *v);

void ptimer_fired(struct vcpu *cur);      /* physical PPI 30 taken */
void ptimer_save(struct vcpu *v);
void ptimer_load(struct vcpu *v);
u64 ptimer_deadline(const struct vcpu *v);
void ptimer_expired_saved(struct vcpu *v, u64 now);
void ptimer_reset(struct vcpu *v);
/* A trapped CNTP_CTL/CVAL/TVAL_EL0 access; false if `reg` is none of them. */
bool ptimer_access(struct vcpu *v, u32 reg, bool read, u64 *val);

/* System-register encodings (op0, op1, CRn, CRm, op2 packed as in sysreg_trap.c). */
#define SR_CNTP_TVAL_EL0 ((3 << 16) | (3 << 12) | (14 << 8) | (2 << 4) | 0)
#define SR_CNTP_CTL_EL0 ((3 << 16) | (3 << 12) | (14 << 8) | (2 << 4) | 1)
#define SR_CNTP_CVAL_EL0 ((3 << 16) | (3 << 12) | (14 << 8) | (2 << 4) | 2)

#endif
