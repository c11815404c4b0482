/*
 * test_tsan_vcpu_state.c — vCPU state changes under ThreadSanitizer: the real
 * core/sched.c, core/domain.c and arch/arm64/vpsci.c, with host threads
 * playing physical CPUs (issue 10, finding 2).
 *
 * Each CPU thread runs granite's own scheduler: schedule() picks a vCPU and
 * "enters" it (arch_enter_guest longjmps back to the thread's guest loop);
 * the guest then does one thing that traps (WFI, a PSCI call) through the same
 * functions traps.c calls; interrupts (kicks, the hypervisor timer) are taken
 * between traps and in arch_idle_wait(), as on the hardware, where EL2 runs
 * with interrupts masked.  Other threads end the domain or wake its vCPUs.
 *
 * A run ends when the machine is quiet: every CPU idle in arch_idle_wait()
 * with no interrupt pending and every helper thread finished or waiting.
 * That is a state, not a time: the verdicts do not depend on host load.
 *
 * What is checked (the behaviour, not the code's shape):
 *   (a) once its domain has ended, a vCPU is DEAD and stays DEAD, whatever
 *       raced with domain_end(): WFI (vcpu_block), PSCI CPU_OFF, PSCI CPU_ON,
 *       vcpu_wake() from another CPU, the timer interrupt waking it; and no
 *       vCPU is entered after its domain's memory was released;
 *   (b) a wake-up is never lost: "set pending; vcpu_wake()" against
 *       "state = BLOCKED; check pending" (a Dekker pattern) always ends with
 *       the vCPU running and seeing its interrupt;
 * and, for every case, that ThreadSanitizer reported no data race.
 *
 * The sources are included rather than linked so each run can start from
 * zeroed scheduler and domain tables (their statics).  The pending-interrupt
 * flag the stubs keep is published with release and read with acquire, as
 * the vGIC's lock would: the ordering between it and the vCPU state is the
 * scheduler's job.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../core/sched.c"
#include "../../core/domain.c"
#include "../../arch/arm64/vpsci.c"
#include "tsan_harness.h"

#define NR_HCPUS 3            /* CPU0 and CPU1 run vCPUs; CPU2 plays "another CPU" */
#define HOST_NOW 1000         /* the counter; slices never end (one vCPU per CPU) */
#define MAX_GUEST_STEPS 200000 /* per CPU and run: a run that never settles fails */

/* --- the machine ------------------------------------------------------------------ */

struct hcpu {
    pthread_t thread;
    bool started;
    jmp_buf entry;            /* arch_enter_guest() lands here */
    jmp_buf off;              /* the run is over */
    struct vcpu *running;     /* this CPU's own */
    u64 timer;                /* CNTHP deadline, this CPU's own */
    unsigned steps;           /* this CPU's own */
    /* under mx: */
    bool kick, idle;
};

static struct hcpu hc[NR_HCPUS];
static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool stopping;                 /* under mx */
static unsigned helpers_active;       /* under mx */
static bool (*helper_waiting_for)(void); /* under mx: what a waiting helper waits for */
static char violation[256];           /* under mx: the first broken rule */

/* Per vCPU: the vGIC's "something is pending" and the guest's timer. */
static int irq_pending[MAX_DOMAINS][MAX_VCPUS];  /* release/acquire */
static bool vtimer_armed[MAX_DOMAINS][MAX_VCPUS]; /* its own CPU's */
static int memory_released[MAX_DOMAINS];          /* set by p2m_destroy */

/* What the guest of each vCPU does when it runs: one trapping action. */
static void (*guest_step)(struct vcpu *v);

static struct hcpu *me(void) { return &hc[this_cpu()]; }

static void report_violation(const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&mx);
    if (!violation[0]) {
        va_start(ap, fmt);
        vsnprintf(violation, sizeof(violation), fmt, ap);
        va_end(ap);
    }
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mx);
}

/* --- arch stubs: what sched.c, domain.c and vpsci.c ask of the CPU ------------------ */

u64 arch_counter(void) { return HOST_NOW; }
u64 arch_counter_freq(void) { return 62500000; }
void arch_hyp_timer_set(u64 deadline) { me()->timer = deadline; }
void arch_irq_disable(void) {}

void arch_kick_cpu(unsigned cpu)
{
    pthread_mutex_lock(&mx);
    hc[cpu].kick = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mx);
}

void arch_vcpu_save(struct vcpu *v)
{
    v->timer_deadline = vtimer_armed[v->d->id][v->id] ? HOST_NOW : 0;
}

void arch_vcpu_load(struct vcpu *v) { v->timer_deadline = 0; }

/* The runstate hooks (core/runstate.c): bookkeeping this test does not model. */
void runstate_vcpu_out(struct vcpu *v) { (void)v; }
void runstate_vcpu_in(struct vcpu *v) { (void)v; }
void runstate_vcpu_reset(struct vcpu *v) { (void)v; }

static void set_pending(struct vcpu *v);

void arch_vcpu_timers_expired(struct vcpu *v, u64 now)
{
    (void)now;
    vtimer_armed[v->d->id][v->id] = false;
    v->timer_deadline = 0;
    set_pending(v);
}

bool arch_vcpu_has_pending(struct vcpu *v)
{
    return __atomic_load_n(&irq_pending[v->d->id][v->id], __ATOMIC_ACQUIRE);
}

static void set_pending(struct vcpu *v)
{
    __atomic_store_n(&irq_pending[v->d->id][v->id], 1, __ATOMIC_RELEASE);
}


/* vpsci.c's SMCCC workarounds: no firmware here. */
s64 psci_host_workaround(unsigned n) { (void)n; return -1; }
void psci_firmware_workaround(unsigned n) { (void)n; }
/* No board firmware service here (core/smc_service.c): every other call is unknown. */
bool smc_service_call(struct domain *d, unsigned vcpu, struct smccc_regs *r)
{
    (void)d, (void)vcpu, (void)r;
    return false;
}

void arch_vcpu_reset(struct vcpu *v, u64 entry, u64 x0)
{
    v->ctx.pc = entry;
    v->ctx.x[0] = x0;
}

noreturn_fn void arch_enter_guest(struct vcpu *v)
{
    struct hcpu *c = me();

    if (__atomic_load_n(&memory_released[v->d->id], __ATOMIC_ACQUIRE))
        report_violation("d%u vcpu%u entered on cpu%u after its domain's memory was released",
                         v->d->id, v->id, this_cpu());
    c->running = v;
    longjmp(c->entry, 1);
}

/* WFI with interrupts open: take a kick or a due timer, or sleep until one
 * comes.  Sleeping here with nothing pending is what "quiet" means. */
void arch_idle_wait(void)
{
    struct hcpu *c = me();

    pthread_mutex_lock(&mx);
    for (;;) {
        if (stopping || violation[0]) {
            pthread_mutex_unlock(&mx);
            longjmp(c->off, 1);
        }
        if (c->kick) {
            c->kick = false;
            pthread_mutex_unlock(&mx);
            sched_kicked();
            return;
        }
        if (c->timer && c->timer <= HOST_NOW) {
            pthread_mutex_unlock(&mx);
            sched_timer_interrupt();
            return;
        }
        c->idle = true;
        pthread_cond_broadcast(&cv);
        pthread_cond_wait(&cv, &mx);
        c->idle = false;
    }
}

noreturn_fn void arch_poweroff(int status)
{
    panic("arch_poweroff(%d): no run here starts the domain count", status);
}

/* --- what domain.c's release calls: only the fact that it happened matters -------- */

/* The units domain.c runs: their hooks only note, while units_order runs,
 * which hook of which unit ran (unit_calls), to check the declared order. */
static bool noting_units;
static char unit_calls[512];
static void note_unit(const char *what)
{
    if (noting_units)
        snprintf(unit_calls + strlen(unit_calls), sizeof(unit_calls) - strlen(unit_calls), "%s%s",
                 unit_calls[0] ? " " : "", what);
}
#define STUB_UNIT(u, n)                                                             \
    static int u##_init(struct domain *d, void *s)                                  \
    {                                                                               \
        (void)d, (void)s;                                                           \
        note_unit("init:" n);                                                       \
        return 0;                                                                   \
    }                                                                               \
    static void u##_dying(struct domain *d) { (void)d; note_unit("dying:" n); }     \
    static void u##_destroy(struct domain *d) { (void)d; note_unit("destroy:" n); } \
    const struct domain_unit u = { .name = n, .init = u##_init, .dying = u##_dying, \
                                   .destroy = u##_destroy }
STUB_UNIT(arch_vgic_unit, "vgic");
STUB_UNIT(xen_guest_unit, "xen_guest");
STUB_UNIT(runstate_unit, "runstate");
STUB_UNIT(evtchn_unit, "evtchn");
STUB_UNIT(gnttab_unit, "gnttab");
STUB_UNIT(iommu_unit, "iommu");


int p2m_init(struct p2m *p2m, struct domain *d, u16 vmid)
{
    p2m->d = d;
    p2m->vmid = vmid;
    return 0;
}
void p2m_destroy(struct p2m *p2m)
{
    __atomic_store_n(&memory_released[p2m->d->id], 1, __ATOMIC_RELEASE);
    note_unit("destroy:p2m");
}
int p2m_lookup(struct p2m *p2m, ipa_t ipa, pa_t *pa, p2m_type_t *t)
{
    (void)p2m, (void)ipa, (void)pa, (void)t;
    return -1;
}
bool gnttab_page_in_use(pa_t page) { (void)page; return false; }
bool map_dump_on; /* dump=maps off */
void map_dump(const char *why, struct domain *ending) { (void)why, (void)ending; }
int evtchn_send_virq(struct domain *d, unsigned virq) { (void)d; (void)virq; return 0; }
void iommu_ram_changed(struct domain *d, pa_t p, u64 size, bool mapped)
{
    (void)d, (void)p, (void)size, (void)mapped;
}
void free_pages(void *p, unsigned order) { (void)p, (void)order; }
void free_pages_contig(void *p, u64 n) { (void)p, (void)n; }
u64 page_alloc_free_pages(void) { return 0; }
void dcache_clean_range(const void *p, u64 size) { (void)p, (void)size; }
void vpl011_flush(struct vpl011 *u) { (void)u; }
/* Guest-caused log lines (core/dlog.c): printed at once here, no queue. */
void dlog_init(struct dlog *l) { (void)l; }
void dlog(struct domain *d, const char *fmt, ...)
{
    va_list ap;
    (void)d;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}
void dlog_flush(struct domain *d) { (void)d; }
void dlog_flush_all(void) {}
void guest_console_flush(struct domain *d) { (void)d; }
u64 dlog_suppressed_total(const struct domain *d) { (void)d; return 0; }
void vcpu_stats_print(struct domain *d) { (void)d; }
void vcpu_stats_retire(struct domain *d) { (void)d; }
void vcpu_stats_print_totals(void) {}

/* --- the CPU threads ------------------------------------------------------------- */

/* Interrupts that arrived while the guest ran: an IRQ exit, then back in. */
static void take_interrupts(struct hcpu *c, struct vcpu *v)
{
    bool kick, timer;

    pthread_mutex_lock(&mx);
    if (stopping || violation[0]) {
        pthread_mutex_unlock(&mx);
        longjmp(c->off, 1);
    }
    kick = c->kick;
    c->kick = false;
    timer = c->timer && c->timer <= HOST_NOW;
    pthread_mutex_unlock(&mx);
    if (kick)
        sched_kicked();
    if (timer)
        sched_timer_interrupt();
    sched_after_trap(v);
}

static void *cpu_main(void *arg)
{
    struct hcpu *c = arg;

    tsan_set_cpu((unsigned)(c - hc));
    if (setjmp(c->off))
        return NULL;
    if (!setjmp(c->entry))
        sched_start();
    /* In "the guest" of c->running, after every arch_enter_guest(). */
    for (;;) {
        struct vcpu *v = c->running;
        if (++c->steps > MAX_GUEST_STEPS)
            report_violation("cpu%u: still running d%u vcpu%u after %d guest steps",
                             this_cpu(), v->d->id, v->id, MAX_GUEST_STEPS);
        guest_step(v);
        sched_after_trap(v);
        take_interrupts(c, v);
    }
}

/* The traps a guest takes, as traps.c handles them. */
static void trap_wfi(struct vcpu *v)
{
    if (!arch_vcpu_has_pending(v))
        vcpu_block(v);
}

static long trap_psci(struct vcpu *v, u32 fn, u64 a1, u64 a2, u64 a3)
{
    v->ctx.x[0] = fn;
    v->ctx.x[1] = a1;
    v->ctx.x[2] = a2;
    v->ctx.x[3] = a3;
    return vpsci_smccc_call(v, &v->ctx);
}

/* The guest takes its interrupt: what was pending is seen and cleared. */
static bool guest_take_irq(struct vcpu *v)
{
    return __atomic_exchange_n(&irq_pending[v->d->id][v->id], 0, __ATOMIC_ACQ_REL);
}

/* --- helper threads: another CPU ending the domain or waking a vCPU ------------------ */

struct helper {
    pthread_t thread;
    unsigned cpu;
    void (*fn)(struct helper *h);
    struct domain *d;
    pthread_barrier_t *start;
};

static void *helper_main(void *arg)
{
    struct helper *h = arg;

    tsan_set_cpu(h->cpu);
    pthread_barrier_wait(h->start);
    h->fn(h);
    pthread_mutex_lock(&mx);
    helpers_active--;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mx);
    return NULL;
}

/* Wait, as a helper, for `cond` (under mx): while waiting the helper does not
 * keep the machine from being quiet.  false if the run is over instead. */
static bool helper_wait(bool (*cond)(void))
{
    bool ok;

    pthread_mutex_lock(&mx);
    helpers_active--;
    helper_waiting_for = cond;
    pthread_cond_broadcast(&cv);
    while (!cond() && !stopping && !violation[0])
        pthread_cond_wait(&cv, &mx);
    ok = cond();
    helper_waiting_for = NULL;
    helpers_active++;
    pthread_mutex_unlock(&mx);
    return ok;
}

/* --- a run: reset, build a domain, start CPUs and helpers, wait for quiet ---------- */

static void reset_machine(void)
{
    memset(cpus, 0, sizeof(cpus));
    memset(slots, 0, sizeof(slots)); /* each slot's nr_loaded and released too */
    canaries_set();
    nr_started = nr_released = nr_destroyed = 0;
    memset(hc, 0, sizeof(hc));
    memset(irq_pending, 0, sizeof(irq_pending));
    memset(vtimer_armed, 0, sizeof(vtimer_armed));
    memset(memory_released, 0, sizeof(memory_released));
    stopping = false;
    helpers_active = 0;
    helper_waiting_for = NULL;
    violation[0] = 0;
    sched_init(NR_HCPUS, 10000, false);
}

/* d1 with n vCPUs, vCPU i pinned to CPU i, in the given states. */
static struct domain *make_domain(unsigned n, const enum vcpu_state *states)
{
    struct domain *d = domain_create(1, "race", n);

    assert_non_null(d);
    for (unsigned i = 0; i < n; i++) {
        sched_assign(&d->vcpu[i], i);
        d->vcpu[i].state = states[i];
    }
    sched_placement_done();   /* one vCPU per CPU: each alone (the kick-saving path runs) */
    d->state = DOM_RUNNING;
    return d;
}

static bool machine_quiet(void)
{
    for (unsigned i = 0; i < NR_HCPUS; i++)
        if (hc[i].started && (!hc[i].idle || hc[i].kick))
            return false;
    /* A helper whose wait is over but has not run yet is not quiet. */
    if (helper_waiting_for && helper_waiting_for())
        return false;
    return helpers_active == 0;
}

/* Start CPU threads 0..nr_cpus-1 and the helpers together, wait until the
 * machine is quiet (or a rule broke), stop everything.  The violation, if any. */
static const char *run(struct domain *d, unsigned nr_cpus, struct helper *h, unsigned nr_helpers)
{
    pthread_barrier_t start;

    pthread_barrier_init(&start, NULL, nr_helpers + 1);
    helpers_active = nr_helpers;
    for (unsigned i = 0; i < nr_cpus; i++) {
        hc[i].started = true;
        pthread_create(&hc[i].thread, NULL, cpu_main, &hc[i]);
    }
    for (unsigned i = 0; i < nr_helpers; i++) {
        h[i].d = d;
        h[i].start = &start;
        pthread_create(&h[i].thread, NULL, helper_main, &h[i]);
    }
    pthread_barrier_wait(&start);
    pthread_mutex_lock(&mx);
    while (!machine_quiet() && !violation[0])
        pthread_cond_wait(&cv, &mx);
    stopping = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mx);
    for (unsigned i = 0; i < nr_helpers; i++)
        pthread_join(h[i].thread, NULL);
    for (unsigned i = 0; i < nr_cpus; i++)
        pthread_join(hc[i].thread, NULL);
    pthread_barrier_destroy(&start);
    return violation[0] ? violation : NULL;
}

static const char *state_name(enum vcpu_state s)
{
    static const char *const names[] = { "OFFLINE", "RUNNABLE", "BLOCKED", "DEAD" };
    return s <= VCPU_DEAD ? names[s] : "?";
}

/* After a run in which d ended: every vCPU DEAD, and its memory released. */
static void assert_all_dead(struct domain *d, const char *what, unsigned iter)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        if (d->vcpu[i].state != VCPU_DEAD)
            fail_msg("%s, run %u: d%u vcpu%u is %s after domain_end (must stay DEAD)", what,
                     iter, d->id, i, state_name(d->vcpu[i].state));
    if (!memory_released[d->id])
        fail_msg("%s, run %u: d%u ended but its memory was never released", what, iter, d->id);
}

static void assert_no_tsan_report(unsigned before, const char *what)
{
    if (tsan_reports() != before)
        fail_msg("%s: ThreadSanitizer reported %u race(s) (above)", what,
                 tsan_reports() - before);
}

#define RUNS 150

/* Runs of one domain-ending race: `guest` on the vCPUs, `helpers` around. */
static void dead_stays_dead(const char *what, void (*guest)(struct vcpu *), unsigned nr_vcpus,
                            const enum vcpu_state *states, struct helper *tmpl,
                            unsigned nr_helpers)
{
    unsigned before = tsan_reports();

    guest_step = guest;
    for (unsigned iter = 0; iter < RUNS; iter++) {
        struct helper h[4];
        struct domain *d;
        const char *bad;

        reset_machine();
        d = make_domain(nr_vcpus, states);
        memcpy(h, tmpl, nr_helpers * sizeof(*h));
        bad = run(d, nr_vcpus, h, nr_helpers);
        if (bad)
            fail_msg("%s, run %u: %s", what, iter, bad);
        assert_all_dead(d, what, iter);
        if (tsan_reports() != before)
            break; /* the verdict is known; do not print the same race again */
    }
    assert_no_tsan_report(before, what);
}

static void end_domain(struct helper *h) { domain_end(h->d, false, "ended by another CPU"); }

/* (a) WFI: "state = BLOCKED" must not undo DEAD. */
static void guest_wfi_forever(struct vcpu *v)
{
    guest_take_irq(v);
    trap_wfi(v);
}

static void end_vs_block(void **state)
{
    static const enum vcpu_state st[] = { VCPU_RUNNABLE };
    struct helper h[] = { { .cpu = 2, .fn = end_domain } };

    (void)state;
    dead_stays_dead("domain_end vs vcpu_block", guest_wfi_forever, 1, st, h, 1);
}

/* (a) PSCI CPU_OFF on vCPU 0 while vCPU 1 switches the domain off. */
static void guest_cpu_off_or_system_off(struct vcpu *v)
{
    if (v->id == 0)
        trap_psci(v, PSCI_0_2_FN_CPU_OFF, 0, 0, 0);
    else
        trap_psci(v, PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0);
}

static void end_vs_cpu_off(void **state)
{
    static const enum vcpu_state st[] = { VCPU_RUNNABLE, VCPU_RUNNABLE };

    (void)state;
    dead_stays_dead("SYSTEM_OFF vs CPU_OFF", guest_cpu_off_or_system_off, 2, st, NULL, 0);
}

/* (a) PSCI CPU_ON of vCPU 1 by vCPU 0 while another CPU ends the domain. */
static void guest_cpu_on_then_wfi(struct vcpu *v)
{
    if (v->id == 0 && v->ctx.x[20] == 0) {
        v->ctx.x[20] = 1; /* once */
        trap_psci(v, PSCI_0_2_FN64_CPU_ON, 1 /* MPIDR of vCPU 1 */, 0x40000000, 0);
        return;
    }
    guest_wfi_forever(v);
}

static void end_vs_cpu_on(void **state)
{
    static const enum vcpu_state st[] = { VCPU_RUNNABLE, VCPU_OFFLINE };
    struct helper h[] = { { .cpu = 2, .fn = end_domain } };

    (void)state;
    dead_stays_dead("domain_end vs CPU_ON", guest_cpu_on_then_wfi, 2, st, h, 1);
}

/* (a) vcpu_wake() from another CPU (an event channel, an SGI) while the
 * domain ends: "if BLOCKED then RUNNABLE" must not undo DEAD. */
static void wake_vcpu0_repeatedly(struct helper *h)
{
    for (unsigned i = 0; i < 64; i++) {
        set_pending(&h->d->vcpu[0]);
        vcpu_wake(&h->d->vcpu[0]);
    }
}

static void end_vs_wake(void **state)
{
    static const enum vcpu_state st[] = { VCPU_RUNNABLE };
    struct helper h[] = { { .cpu = 2, .fn = wake_vcpu0_repeatedly },
                          { .cpu = 1, .fn = end_domain } };

    (void)state;
    dead_stays_dead("domain_end vs vcpu_wake", guest_wfi_forever, 1, st, h, 2);
}

/* (a) The timer interrupt waking a blocked vCPU whose virtual timer is due,
 * again and again, while another CPU ends the domain. */
static void guest_timer_then_wfi(struct vcpu *v)
{
    guest_take_irq(v);
    vtimer_armed[v->d->id][v->id] = true; /* due at once: HOST_NOW */
    trap_wfi(v);
}

static void end_vs_timer_wake(void **state)
{
    static const enum vcpu_state st[] = { VCPU_RUNNABLE };
    struct helper h[] = { { .cpu = 2, .fn = end_domain } };

    (void)state;
    dead_stays_dead("domain_end vs timer wake", guest_timer_then_wfi, 1, st, h, 1);
}

/* (b) Wake vs block: the guest acknowledges each interrupt it sees, then
 * executes WFI; another CPU sends the next one only after the acknowledgement.
 * A lost wake-up leaves the machine quiet with an interrupt pending and the
 * vCPU blocked. */
#define WAKE_ROUNDS 3000
static unsigned acked;  /* under mx */
static unsigned wanted; /* under mx */

static void guest_ack_then_wfi(struct vcpu *v)
{
    if (guest_take_irq(v)) {
        pthread_mutex_lock(&mx);
        acked++;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mx);
    }
    trap_wfi(v);
}

static bool all_acked(void) { return acked == wanted; }

static void wake_and_wait(struct helper *h)
{
    for (unsigned i = 1; i <= WAKE_ROUNDS; i++) {
        pthread_mutex_lock(&mx);
        wanted = i;
        pthread_mutex_unlock(&mx);
        set_pending(&h->d->vcpu[0]);
        vcpu_wake(&h->d->vcpu[0]);
        if (!helper_wait(all_acked))
            return;
    }
}

static void wake_never_lost(void **state)
{
    static const enum vcpu_state st[] = { VCPU_RUNNABLE };
    struct helper h[] = { { .cpu = 2, .fn = wake_and_wait } };
    unsigned before = tsan_reports();
    struct domain *d;
    const char *bad;

    (void)state;
    guest_step = guest_ack_then_wfi;
    reset_machine();
    acked = wanted = 0;
    d = make_domain(1, st);
    bad = run(d, 1, h, 1);
    if (bad)
        fail_msg("wake vs block: %s", bad);
    if (acked != WAKE_ROUNDS)
        fail_msg("wake vs block: wake-up %u of %d lost: d1 vcpu0 is %s with an interrupt "
                 "pending, its CPU idle", acked + 1, WAKE_ROUNDS, state_name(d->vcpu[0].state));
    assert_no_tsan_report(before, "wake vs block");
}

/* (c) CPU_OFF then CPU_ON, again and again: vCPU 1, alone on CPU 1, switches
 * itself off each time it runs; a helper switches it back on as soon as it
 * is OFFLINE.  The CPU_ON's wake-up may find vCPU 1 still current on CPU 1,
 * which is unloading it (no kick is sent for a vCPU about to enter its
 * guest): schedule() must look at the states again once current is NULL, or
 * CPU 1 sleeps with vCPU 1 RUNNABLE and the machine goes quiet early. */
#define ON_OFF_ROUNDS 2000
static unsigned runs_of_vcpu1;  /* under mx */

static void guest_count_then_cpu_off(struct vcpu *v)
{
    pthread_mutex_lock(&mx);
    runs_of_vcpu1++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mx);
    trap_psci(v, PSCI_0_2_FN_CPU_OFF, 0, 0, 0);
}

static struct vcpu *on_off_target;
static unsigned on_off_round;
static bool ran_this_round(void) { return runs_of_vcpu1 >= on_off_round; }

static void switch_back_on(struct helper *h)
{
    struct vcpu *t = &h->d->vcpu[1];

    on_off_target = t;
    for (on_off_round = 1; on_off_round <= ON_OFF_ROUNDS; on_off_round++) {
        if (!helper_wait(ran_this_round))
            return;
        while (vcpu_state(t) != VCPU_OFFLINE && !__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
            ; /* its CPU_OFF is on its way */
        trap_psci(&h->d->vcpu[0], PSCI_0_2_FN64_CPU_ON, 1 /* MPIDR of vCPU 1 */, 0x40000000, 0);
    }
}

static void guest_vcpu1_on_off(struct vcpu *v)
{
    if (v->id == 1)
        guest_count_then_cpu_off(v);
    else
        guest_wfi_forever(v);
}

static void cpu_on_never_lost(void **state)
{
    static const enum vcpu_state st[] = { VCPU_BLOCKED, VCPU_RUNNABLE };
    struct helper h[] = { { .cpu = 2, .fn = switch_back_on } };
    unsigned before = tsan_reports();
    struct domain *d;
    const char *bad;

    (void)state;
    guest_step = guest_vcpu1_on_off;
    reset_machine();
    runs_of_vcpu1 = 0;
    d = make_domain(2, st);
    bad = run(d, 2, h, 1);
    if (bad)
        fail_msg("CPU_OFF/CPU_ON: %s", bad);
    if (runs_of_vcpu1 < ON_OFF_ROUNDS)
        fail_msg("CPU_OFF/CPU_ON: a CPU_ON lost after %u of %d rounds: d1 vcpu1 is %s, its CPU idle",
                 runs_of_vcpu1, ON_OFF_ROUNDS, state_name(d->vcpu[1].state));
    assert_no_tsan_report(before, "CPU_OFF/CPU_ON");
}

/* domain.c runs the units in their declared order at creation, and in reverse
 * at the domain's end (dying) and release (destroy): the teardown order
 * granite's death scenarios rely on. */
static void units_order(void **state)
{
    static const enum vcpu_state st[1] = { VCPU_BLOCKED };
    struct domain *d;

    (void)state;
    reset_machine();
    unit_calls[0] = 0;
    noting_units = true;
    d = make_domain(1, st);
    domain_end(d, false, "units_order");
    noting_units = false;
    assert_string_equal(unit_calls,
        "init:vgic init:xen_guest init:runstate init:evtchn init:gnttab init:iommu "
        "dying:iommu dying:gnttab dying:evtchn dying:runstate dying:xen_guest dying:vgic "
        "destroy:iommu destroy:gnttab destroy:p2m destroy:evtchn destroy:runstate "
        "destroy:xen_guest destroy:vgic");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(end_vs_block),
        cmocka_unit_test(end_vs_cpu_off),
        cmocka_unit_test(end_vs_cpu_on),
        cmocka_unit_test(end_vs_wake),
        cmocka_unit_test(end_vs_timer_wake),
        cmocka_unit_test(wake_never_lost),
        cmocka_unit_test(cpu_on_never_lost),
        cmocka_unit_test(units_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
