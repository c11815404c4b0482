/*
 * xen_guest.h — the per-domain and per-vCPU parts of the Xen guest interface
 * that are not event channels or grant tables: where each vCPU's vcpu_info
 * lives (core/vcpu_op.c), its runstate area (core/runstate.c), the wallclock
 * in shared_info (core/wallclock.c) and where add_to_physmap placed granite's
 * pages (core/memory_op.c).
 *
 * Life cycle: xen_guest_domain_init(d) once d->shared_info exists, before the
 * domain runs (called from evtchn_domain_init): nothing registered, every
 * vCPU offline in its runstate, no vm_assist enabled.
 */
#ifndef GRANITE_XEN_GUEST_H
#define GRANITE_XEN_GUEST_H

#include <granite/types.h>

/* Xen's guest time (runstate, wallclock) is in nanoseconds. */
#define NS_PER_SEC 1000000000UL

struct domain;
struct vcpu;
struct vcpu_info;

/* Their units (domain.h): the vcpu_info records (d->xen_guest) and the
 * runstate records (d->runstate), taken at domain_create. */
extern const struct domain_unit xen_guest_unit, runstate_unit;
void xen_guest_domain_init(struct domain *d);

/* --- vcpu_op (core/vcpu_op.c) ------------------------------------------- */

/* The vcpu_op hypercall: cmd = VCPUOP_*, vcpuid = the vCPU it is about,
 * arg = guest virtual address of the command's structure. */
long do_vcpu_op(struct vcpu *v, u64 cmd, u64 vcpuid, u64 arg);
/* The vm_assist hypercall. */
long do_vm_assist(struct vcpu *v, u64 cmd, u64 type);
/* Where vCPU `vcpu` of d gets its events now: the vcpu_info it registered,
 * else (vCPU 0 only, XEN_LEGACY_MAX_VCPUS = 1 on Arm) the one inside
 * shared_info; NULL for a vCPU that has none yet.  Valid until d's memory is
 * released, which happens only after its event channels are closed. */
struct vcpu_info *xen_vcpu_info(struct domain *d, unsigned vcpu);
/* Whether VMASST_TYPE_runstate_update_flag is on for d. */
bool xen_runstate_update_flag(const struct domain *d);

/* --- runstate (core/runstate.c) ----------------------------------------- */

/* Scheduler hooks (core/sched.c).  `out`: v leaves its physical CPU (its
 * state says where to: runnable, blocked, offline).  `in`: v's EL1 state has
 * just been loaded (its stage 1 is live on this CPU): it is running, and its
 * registered runstate area is rewritten through its own translation.
 * `reset`: PSCI CPU_ON gave v a fresh context; its old area is forgotten. */
void runstate_vcpu_out(struct vcpu *v);
void runstate_vcpu_in(struct vcpu *v);
void runstate_vcpu_reset(struct vcpu *v);
/* VCPUOP_register_runstate_memory_area (phys false: addr is a guest virtual
 * address) or _phys_area (phys true: an IPA) for vCPU `target` of the
 * caller's domain: 0, -EINVAL (misaligned; a physical area crossing a page),
 * -EFAULT (cannot be written now: not registered).  addr 0 unregisters. */
long runstate_register(struct vcpu *caller, struct vcpu *target, u64 addr, bool phys);
/* Nanoseconds since granite started counting (Xen's system time). */
u64 xen_system_time_ns(void);

/* --- wallclock (core/wallclock.c) --------------------------------------- */

/* Write the wall-clock time into d's shared_info (version protocol). */
void wallclock_fill(struct domain *d);
/* platform_op: dom0 sets the time; every domain's shared_info follows. */
long do_platform_op(struct vcpu *v, u64 arg);

/* --- physmap (core/memory_op.c) ----------------------------------------- */

/* Whether machine page pa is a page granite placed in d (shared_info, a
 * grant-table frame), not d's own RAM. */
bool physmap_is_granite_page(struct domain *d, pa_t pa);

#endif
