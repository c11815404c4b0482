/*
 * sched.c — round-robin scheduling of pinned vCPUs, with blocking and idle.
 *
 * Per physical CPU: the list of vCPUs pinned to it, the one currently loaded
 * (its EL1 state is in the hardware), a round-robin cursor and the end of the
 * current time slice.  One hardware timer per CPU (the EL2 timer, CNTHP) is
 * programmed for the earliest of: the end of the slice (only when another vCPU
 * is waiting for this CPU) and the timer deadline (virtual or EL1 physical
 * timer, whichever comes first) of each vCPU that is not loaded (a blocked or waiting vCPU must still get its timer interrupt).
 *
 * Cross-CPU: waking a vCPU pinned elsewhere sends that CPU a kick (an SGI),
 * which takes it out of WFI or out of its guest so it re-examines its list.
 *
 * Locking: a CPU's list changes only at boot; each CPU's scheduling decisions
 * are taken only by that CPU, with interrupts masked.  A vCPU's state is one
 * word changed only by compare-and-swap (vcpu_transition), so a change made
 * by another CPU in between -- above all its domain's end -- is never
 * overwritten (domain.h has the state diagram).
 *
 * No lost wake-up.  Blocking and waking race: the blocking CPU does "state =
 * BLOCKED; is anything pending?", the waker "make it pending; is it BLOCKED?".
 * With a full barrier between the two steps on each side (Dekker), at least
 * one of them sees the other's first step: either the blocker finds the
 * interrupt and stays runnable, or the waker finds BLOCKED and makes it
 * runnable.  The waker's pending step is the vGIC's (under its lock, before
 * vcpu_wake is called).
 *
 * No dead vCPU loaded.  Loading and a domain's release race the same way: the
 * loader does "count it loaded; is it still RUNNABLE?", domain_end "mark it
 * DEAD; is any of its vCPUs loaded?" (domain.c).  Sequentially consistent
 * operations on both sides mean the release waits for the unload, or the
 * loader backs off.
 */
#include <granite/sched.h>
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/console.h>
#include <granite/memory_map.h>
#include <granite/dlog.h>
#include <granite/xen_guest.h>

#define MAX_PER_CPU (MAX_DOMAINS * MAX_VCPUS)

struct sched_cpu {
    struct vcpu *list[MAX_PER_CPU];
    unsigned nr;
    struct vcpu *current;
    unsigned rr;
    u64 slice_end;
    volatile bool need_resched;
    u64 idle_ticks, idle_waits;   /* statistics: time asleep in idle_wait, and how often */
    u64 kicks_sent, kicks_saved;  /* wake-ups of vCPUs elsewhere: with an SGI, and without */
};

static struct sched_cpu cpus[GRANITE_MAX_CPUS];
static u64 slice_ticks;
static bool wfi_always_traps;   /* vwfi=trap */

void sched_init(unsigned nr_cpus unused, u64 slice_us, bool trap_every_wfi)
{
    slice_ticks = arch_counter_freq() / 1000000 * slice_us;
    wfi_always_traps = trap_every_wfi;
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
        n += vcpu_state(s->list[i]) == VCPU_RUNNABLE;
    return n;
}

/* The next runnable vCPU after the cursor (the current one last), or NULL. */
static struct vcpu *pick_next(struct sched_cpu *s)
{
    for (unsigned k = 1; k <= s->nr; k++) {
        unsigned i = (s->rr + k) % s->nr;
        if (vcpu_state(s->list[i]) == VCPU_RUNNABLE) {
            s->rr = i;
            return s->list[i];
        }
    }
    return NULL;
}

bool vcpu_transition(struct vcpu *v, unsigned from, unsigned to)
{
    enum vcpu_state expected = (enum vcpu_state)from;

    if (from == VCPU_DEAD)
        panic("sched: d%u vcpu%u: a transition out of DEAD", v->d->id, v->id);
    return __atomic_compare_exchange_n(&v->state, &expected, (enum vcpu_state)to, false,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void vcpu_kill(struct vcpu *v)
{
    __atomic_store_n(&v->state, VCPU_DEAD, __ATOMIC_SEQ_CST);
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
        if (v != s->current && v->timer_deadline && vcpu_state(v) != VCPU_DEAD &&
            vcpu_state(v) != VCPU_OFFLINE && (!deadline || v->timer_deadline < deadline))
            deadline = v->timer_deadline;
    }
    arch_hyp_timer_set(deadline);
}

static void unload_current(struct sched_cpu *s)
{
    struct vcpu *cur = s->current;

    if (!cur)
        return;
    cur->stats.saves++;
    arch_vcpu_save(cur);
    runstate_vcpu_out(cur);
    __atomic_store_n(&s->current, NULL, __ATOMIC_SEQ_CST); /* read by other CPUs: vcpu_wake */
    domain_vcpu_unloaded(cur);
}

/*
 * Count `next` as loaded, then look at its state again: a domain_end on another
 * CPU between pick_next() and here either sees the count (and leaves the
 * release to our unload) or has already made the vCPU DEAD, which we see.
 */
static bool claim_for_loading(struct vcpu *next)
{
    domain_vcpu_loaded(next);
    if (vcpu_state(next) == VCPU_RUNNABLE)
        return true;
    domain_vcpu_unloaded(next);
    return false;
}

/* PSCI CPU_ON asked for a fresh start: apply it here, on the vCPU's own CPU,
 * where nobody else can be saving or loading its context. */
static void apply_pending_reset(struct vcpu *v)
{
    if (!__atomic_load_n(&v->reset_pending, __ATOMIC_ACQUIRE))
        return;
    arch_vcpu_reset(v, v->reset_entry, v->reset_x0);
    runstate_vcpu_reset(v);
    __atomic_store_n(&v->reset_pending, false, __ATOMIC_RELEASE);
}

/* Sleep until an interrupt, counting the time asleep (vcpu_stats.c prints it). */
static void idle_wait(struct sched_cpu *s)
{
    u64 t0 = arch_counter();

    arch_idle_wait();
    s->idle_ticks += arch_counter() - t0;
    s->idle_waits++;
}

void sched_idle_stats(unsigned cpu, u64 *ticks, u64 *waits)
{
    *ticks = cpu < GRANITE_MAX_CPUS ? cpus[cpu].idle_ticks : 0;
    *waits = cpu < GRANITE_MAX_CPUS ? cpus[cpu].idle_waits : 0;
}

/*
 * Whether the loaded vCPU, which has just blocked, may stay loaded while this
 * CPU sleeps: nothing else wants the CPU (the caller found nobody runnable),
 * and it is BLOCKED -- not DEAD, OFFLINE or due for a CPU_ON reset, all of
 * which need the unload.  Its EL1 state, timers and GIC interface stay in the
 * hardware: its own timers fire as physical interrupts here (irq.c hands
 * them to the loaded vCPU), and when it is woken it goes back in without a
 * save and a load (the full switch costs hundreds of system-register
 * accesses, twice, per WFI).  KVM and Xen block a vCPU the same way.  Its
 * runstate still says blocked for the time it sleeps.
 */
static bool keep_loaded_while_blocked(const struct sched_cpu *s)
{
    const struct vcpu *cur = s->current;

    return cur && vcpu_state(cur) == VCPU_BLOCKED &&
           !__atomic_load_n(&cur->reset_pending, __ATOMIC_ACQUIRE);
}

noreturn_fn void schedule(void)
{
    struct sched_cpu *s = &cpus[this_cpu()];
    struct vcpu *next;
    bool kept = false;

    arch_irq_disable();
    for (;;) {
        s->need_resched = false;
        next = pick_next(s);
        if (next && next == s->current &&
            !__atomic_load_n(&next->reset_pending, __ATOMIC_ACQUIRE)) {
            if (kept) {                 /* woken while it stayed loaded */
                next->stats.kept_loaded++;
                runstate_vcpu_in(next);
            }
            break;                      /* carry on with the loaded vCPU */
        }
        if (!next && keep_loaded_while_blocked(s)) {
            if (!kept)
                runstate_vcpu_out(s->current);  /* blocked, from now */
            kept = true;
            dlog_flush_all();
            program_timer(s);
            idle_wait(s);
            continue;
        }
        kept = false;   /* unloaded after all: another vCPU is runnable, or it died */
        if (s->current) {
            unload_current(s);
            /* A waker that still saw the old vCPU as current sent no kick
             * (will_see_on_entry); current is NULL now (seq_cst), so look at
             * the states once more before sleeping: Dekker with its "make it
             * RUNNABLE; read current" (a PSCI CPU_ON after CPU_OFF, say). */
            if (!next)
                next = pick_next(s);
        }
        if (!next) {
            dlog_flush_all();           /* nothing to run: a good moment to print */
            program_timer(s);
            idle_wait(s);     /* an interrupt (timer, kick) may make someone runnable */
            continue;
        }
        if (!claim_for_loading(next))
            continue;                   /* it died in between: look again */
        apply_pending_reset(next);
        next->stats.loads++;
        arch_vcpu_load(next);
        __atomic_store_n(&s->current, next, __ATOMIC_SEQ_CST);
        runstate_vcpu_in(next);         /* its own stage 1 is live now */
        break;
    }
    next->nr_runs++;
    s->slice_end = arch_counter() + slice_ticks;
    program_timer(s);
    arch_enter_guest(next);
}

/* Boot, before any CPU schedules: the CPU lists are complete (they change
 * only at boot), so a vCPU alone on its CPU is known to be alone, and may
 * sleep in its own WFI (domain.h, cpu_exclusive). */
void sched_placement_done(void)
{
    for (unsigned c = 0; c < GRANITE_MAX_CPUS; c++)
        for (unsigned i = 0; i < cpus[c].nr; i++)
            cpus[c].list[i]->cpu_exclusive = cpus[c].nr == 1 && !wfi_always_traps;
}

noreturn_fn void sched_start(void)
{
    schedule();
}

/*
 * A kick asks this CPU to look at its list again.  When the vCPU that trapped
 * is runnable and no other one on this CPU is, the look finds it again: it
 * goes straight back in (its interrupts reach its list registers on the way,
 * traps.c) instead of through schedule(), which would reprogram the EL2 timer
 * to the same deadline and restart a slice nobody competes for.  This is the
 * common case of the PV path: every event-channel kick lands here.
 */
static bool only_current_wants_cpu(const struct sched_cpu *s, const struct vcpu *cur)
{
    return s->current == cur && nr_runnable(s) == 1;
}

void sched_after_trap(struct vcpu *cur)
{
    struct sched_cpu *s = &cpus[this_cpu()];

    if (vcpu_state(cur) != VCPU_RUNNABLE ||
        __atomic_load_n(&cur->reset_pending, __ATOMIC_ACQUIRE))
        schedule();
    if (!s->need_resched)
        return;
    if (only_current_wants_cpu(s, cur)) {
        s->need_resched = false;
        return;
    }
    schedule();
}

void sched_kicked(void) { cpus[this_cpu()].need_resched = true; }

/* SCHEDOP_yield: at the end of this trap, pick again; pick_next() looks at
 * the others first, so a runnable one gets the CPU. */
void sched_yield_current(void) { cpus[this_cpu()].need_resched = true; }

/*
 * Whether v's CPU will look at v's interrupts without being kicked: v is
 * loaded there and in EL2, not in its guest, so the way back in
 * (arch_enter_guest) fills its list registers from the vGIC after saying
 * "in guest".  Dekker again, with the caller's "make it pending": the
 * entering CPU does "in_guest = true; read pending", we "pending; read
 * in_guest" -- at least one side sees the other.  A vCPU that blocked was
 * made RUNNABLE by our transition and needs the kick (its CPU may sleep).
 * If its CPU unloads it instead (it went OFFLINE or DEAD meanwhile),
 * schedule() looks at the states again after saying current = NULL.
 */
static bool will_see_on_entry(const struct vcpu *v, bool was_blocked)
{
    /* Alone on its CPU: there is no other vCPU its CPU could switch to
     * first (which would delay this one by a time slice). */
    return !was_blocked && v->cpu_exclusive &&
           __atomic_load_n(&cpus[v->pcpu].current, __ATOMIC_SEQ_CST) == v &&
           !__atomic_load_n(&v->in_guest, __ATOMIC_SEQ_CST);
}

/* Called after whatever made v's interrupt pending (the vGIC, under its lock). */
void vcpu_wake(struct vcpu *v)
{
    struct sched_cpu *me = &cpus[this_cpu()];
    bool was_blocked;

    __atomic_thread_fence(__ATOMIC_SEQ_CST);  /* pending is visible before we read the state */
    was_blocked = vcpu_transition(v, VCPU_BLOCKED, VCPU_RUNNABLE);
    if (v->pcpu == this_cpu()) {
        if (cpus[v->pcpu].current != v)
            cpus[v->pcpu].need_resched = true;
        return;
    }
    if (will_see_on_entry(v, was_blocked)) {
        me->kicks_saved++;
        return;
    }
    me->kicks_sent++;
    arch_kick_cpu(v->pcpu);
}

void sched_kick_stats(unsigned cpu, u64 *sent, u64 *saved)
{
    *sent = cpu < GRANITE_MAX_CPUS ? cpus[cpu].kicks_sent : 0;
    *saved = cpu < GRANITE_MAX_CPUS ? cpus[cpu].kicks_saved : 0;
}

void vcpu_block(struct vcpu *v)
{
    if (!vcpu_transition(v, VCPU_RUNNABLE, VCPU_BLOCKED))
        return;                         /* dead or switched off meanwhile: sched_after_trap */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  /* BLOCKED is visible before we look */
    /* An interrupt may have arrived between the caller's check and now: look again. */
    if (arch_vcpu_has_pending(v))
        vcpu_transition(v, VCPU_BLOCKED, VCPU_RUNNABLE);
    else
        schedule();
}

static bool timer_due(const struct sched_cpu *s, const struct vcpu *v, u64 now)
{
    return v != s->current && v->timer_deadline && v->timer_deadline <= now &&
           vcpu_state(v) != VCPU_DEAD && vcpu_state(v) != VCPU_OFFLINE;
}

void sched_timer_interrupt(void)
{
    struct sched_cpu *s = &cpus[this_cpu()];
    u64 now = arch_counter();

    for (unsigned i = 0; i < s->nr; i++) {
        struct vcpu *v = s->list[i];
        if (!timer_due(s, v, now))
            continue;
        arch_vcpu_timers_expired(v, now);   /* raises the due timers' lines */
        vcpu_transition(v, VCPU_BLOCKED, VCPU_RUNNABLE);
        s->need_resched = true;
    }
    if (s->current && now >= s->slice_end && nr_runnable(s) > 1)
        s->need_resched = true;
    program_timer(s);
}

bool sched_domain_loaded_anywhere(const struct domain *d)
{
    for (unsigned c = 0; c < GRANITE_MAX_CPUS; c++) {
        const struct vcpu *v = __atomic_load_n(&cpus[c].current, __ATOMIC_SEQ_CST);
        if (v && v->d == d)
            return true;
    }
    return false;
}
