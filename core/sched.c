/*
 * sched.c — round-robin scheduling of pinned vCPUs, with blocking and idle.
 *
 * Per physical CPU: the list of vCPUs pinned to it, the one currently loaded
 * (its EL1 state is in the hardware), a round-robin cursor and the end of the
 * current time slice.  One hardware timer per CPU (the EL2 timer, CNTHP) is
 * programmed for the earliest of: the end of the slice (only when another vCPU
 * is waiting for this CPU) and the virtual-timer deadline of each vCPU that is
 * not loaded (a blocked or waiting vCPU must still get its timer interrupt).
 *
 * Cross-CPU: waking a vCPU pinned elsewhere sends that CPU a kick (an SGI),
 * which takes it out of WFI or out of its guest so it re-examines its list.
 *
 * Locking: a CPU's list changes only at boot; vCPU state is a single word
 * written with release semantics; each CPU's scheduling decisions are taken
 * only by that CPU, with interrupts masked.
 */
#include <granite/sched.h>
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/console.h>
#include <granite/memory_map.h>

#define MAX_PER_CPU (MAX_DOMAINS * MAX_VCPUS)

struct sched_cpu {
    struct vcpu *list[MAX_PER_CPU];
    unsigned nr;
    struct vcpu *current;
    unsigned rr;
    u64 slice_end;
    volatile bool need_resched;
};

static struct sched_cpu cpus[GRANITE_MAX_CPUS];
static u64 slice_ticks;

void sched_init(unsigned nr_cpus unused, u64 slice_us)
{
    slice_ticks = arch_counter_freq() / 1000000 * slice_us;
}

void sched_assign(struct vcpu *v, unsigned cpu)
{
    struct sched_cpu *s = &cpus[cpu];

    if (s->nr == MAX_PER_CPU)
        panic("sched: more than %d vCPUs on cpu%u", MAX_PER_CPU, cpu);
    v->pcpu = cpu;
    s->list[s->nr++] = v;
}

struct vcpu *sched_current(void) { return cpus[this_cpu()].current; }

static unsigned nr_runnable(const struct sched_cpu *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->nr; i++)
        n += s->list[i]->state == VCPU_RUNNABLE;
    return n;
}

/* The next runnable vCPU after the cursor (the current one last), or NULL. */
static struct vcpu *pick_next(struct sched_cpu *s)
{
    for (unsigned k = 1; k <= s->nr; k++) {
        unsigned i = (s->rr + k) % s->nr;
        if (s->list[i]->state == VCPU_RUNNABLE) {
            s->rr = i;
            return s->list[i];
        }
    }
    return NULL;
}

static void program_timer(struct sched_cpu *s)
{
    u64 deadline = 0;

    /* The slice only matters while someone waits for this CPU, and not once a
     * switch is already due (its end is then in the past and would fire at once). */
    if (s->current && nr_runnable(s) > 1 && !s->need_resched)
        deadline = s->slice_end;
    for (unsigned i = 0; i < s->nr; i++) {
        struct vcpu *v = s->list[i];
        if (v != s->current && v->timer_deadline && v->state != VCPU_DEAD &&
            v->state != VCPU_OFFLINE && (!deadline || v->timer_deadline < deadline))
            deadline = v->timer_deadline;
    }
    arch_hyp_timer_set(deadline);
}

static void unload_current(struct sched_cpu *s)
{
    struct vcpu *cur = s->current;

    if (!cur)
        return;
    arch_vcpu_save(cur);
    s->current = NULL;
    domain_vcpu_unloaded(cur);
}

noreturn_fn void schedule(void)
{
    struct sched_cpu *s = &cpus[this_cpu()];
    struct vcpu *next;

    arch_irq_disable();
    s->need_resched = false;
    next = pick_next(s);
    if (!next || next != s->current) {
        unload_current(s);
        while (!next) {
            program_timer(s);
            arch_idle_wait(); /* an interrupt (timer, kick) may make someone runnable */
            s->need_resched = false;
            next = pick_next(s);
        }
        domain_vcpu_loaded(next);
        arch_vcpu_load(next);
        s->current = next;
    }
    next->nr_runs++;
    s->slice_end = arch_counter() + slice_ticks;
    program_timer(s);
    arch_enter_guest(next);
}

noreturn_fn void sched_start(void)
{
    schedule();
}

void sched_after_trap(struct vcpu *cur)
{
    struct sched_cpu *s = &cpus[this_cpu()];

    if (cur->state != VCPU_RUNNABLE || s->need_resched)
        schedule();
}

void sched_kicked(void) { cpus[this_cpu()].need_resched = true; }

void vcpu_wake(struct vcpu *v)
{
    if (v->state == VCPU_BLOCKED)
        v->state = VCPU_RUNNABLE;
    if (v->pcpu == this_cpu()) {
        cpus[v->pcpu].need_resched = cpus[v->pcpu].current != v;
        return;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    arch_kick_cpu(v->pcpu);
}

void vcpu_block(struct vcpu *v)
{
    v->state = VCPU_BLOCKED;
    /* An interrupt may have arrived between the check and now: look again. */
    if (arch_vcpu_has_pending(v))
        v->state = VCPU_RUNNABLE;
    else
        schedule();
}

void sched_timer_interrupt(void)
{
    struct sched_cpu *s = &cpus[this_cpu()];
    u64 now = arch_counter();

    for (unsigned i = 0; i < s->nr; i++) {
        struct vcpu *v = s->list[i];
        if (v != s->current && v->timer_deadline && v->timer_deadline <= now &&
            v->state != VCPU_DEAD && v->state != VCPU_OFFLINE) {
            arch_vtimer_expired_saved(v);
            arch_vcpu_inject_vtimer(v);
            if (v->state == VCPU_BLOCKED)
                v->state = VCPU_RUNNABLE;
            s->need_resched = true;
        }
    }
    if (s->current && now >= s->slice_end && nr_runnable(s) > 1)
        s->need_resched = true;
    program_timer(s);
}
