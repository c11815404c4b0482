/*
 * sched.h — vCPU scheduling (core/sched.c).
 *
 * Each vCPU is pinned to one physical CPU.  A physical CPU runs its runnable
 * vCPUs round-robin, a time slice each (default 10 ms, option timeslice_us=);
 * with one vCPU per CPU there is nothing to rotate and no tick.  A vCPU in WFI
 * with nothing pending blocks; a CPU with nothing runnable idles in WFI.
 */
#ifndef GRANITE_SCHED_H
#define GRANITE_SCHED_H

#include <granite/types.h>
#include <granite/arch_callbacks.h>

struct vcpu;
struct domain;

/* trap_every_wfi (vwfi=trap): no vCPU sleeps in its own WFI, even alone on its CPU. */
void sched_init(unsigned nr_cpus, u64 slice_us, bool trap_every_wfi);
void sched_assign(struct vcpu *v, unsigned cpu);
/* This CPU starts running its vCPUs; never returns. */
/* Every vCPU is assigned (boot, one CPU): settle what depends on the whole placement. */
void sched_placement_done(void);
noreturn_fn void sched_start(void);
/* Pick and enter the next vCPU (or idle until one is runnable); never returns. */
noreturn_fn void schedule(void);
/* End v for good (its domain ended): from whatever state it is in to DEAD. */
void vcpu_kill(struct vcpu *v);
/* Statistics: counter ticks a CPU spent asleep in the idle loop, and how many sleeps. */
void sched_idle_stats(unsigned cpu, u64 *ticks, u64 *waits);
/* Cross-CPU wake-ups this CPU made: with a kick (SGI), and without one
 * because the target was about to enter its guest anyway. */
void sched_kick_stats(unsigned cpu, u64 *sent, u64 *saved);
/* Whether any physical CPU has one of d's vCPUs loaded (a check for the
 * domain's release: it must say no). */
bool sched_domain_loaded_anywhere(const struct domain *d);
/* The current vCPU yields (SCHEDOP_yield): another runnable vCPU of this
 * CPU runs first, if there is one. */
void sched_yield_current(void);

#endif
