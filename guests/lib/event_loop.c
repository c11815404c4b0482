/*
 * event_loop.c — the guest's one event loop (see event_loop.h).
 *
 * Why masked WFI: a source raised between the loop's last look and its
 * WFI must not be slept through.  IRQs stay masked while the loop looks;
 * guest_wait_any() then sleeps with them masked (an interrupt pending at
 * that moment ends the WFI at once) and runs the ISRs of what arrived, so
 * every raise either happened before the look or ends the sleep.
 */
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "event_loop.h"

#define EL_MAX_PORTS 1024   /* xen.c's MAX_PORTS: ports a handler can be set for */
#define EL_NAME_MAX 24

struct el_source {
    bool used;
    volatile bool raised;
    el_fn fn;
    void *ctx;
    char name[EL_NAME_MAX];
};

struct el_timer {
    bool used;
    uint64_t period_us, due_us;
    el_fn fn;
    void *ctx;
};

struct el_hook {
    el_fn fn;
    void *ctx;
};

static struct el_source sources[EL_MAX_SOURCES];
static struct el_source *by_port[EL_MAX_PORTS];
static struct el_source *by_irq[GUEST_MAX_INTID];
static el_isr_fn isrs[GUEST_MAX_INTID];
static struct el_timer timers[EL_MAX_TIMERS];
static struct el_hook hooks[EL_MAX_HOOKS];
static unsigned nr_hooks;
static volatile bool any_raised;
static uint64_t wake_cap_us;   /* this round's limit on the coming sleep (el_wake_within) */
static bool stopped;
static int stop_rc;
static struct el_stats stats;

struct el_source *el_source_new(const char *name, el_fn fn, void *ctx)
{
    for (unsigned i = 0; i < EL_MAX_SOURCES; i++) {
        struct el_source *s = &sources[i];
        if (s->used)
            continue;
        memset(s, 0, sizeof(*s));
        s->used = true;
        s->fn = fn;
        s->ctx = ctx;
        snprintf(s->name, sizeof(s->name), "%s", name);
        return s;
    }
    printf("event-loop: no room for source %s (%u in use)\n", name, EL_MAX_SOURCES);
    return NULL;
}

void el_source_free(struct el_source *s)
{
    if (!s)
        return;
    for (unsigned p = 0; p < EL_MAX_PORTS; p++)
        if (by_port[p] == s) {
            evtchn_set_handler(p, NULL);
            by_port[p] = NULL;
        }
    for (unsigned i = 0; i < GUEST_MAX_INTID; i++)
        if (by_irq[i] == s)
            by_irq[i] = NULL;
    s->used = false;
    s->raised = false;
}

void el_raise(struct el_source *s)
{
    if (!s || !s->used)
        return;
    s->raised = true;
    any_raised = true;
}

static void on_port(evtchn_port_t port)
{
    if (port < EL_MAX_PORTS)
        el_raise(by_port[port]);
}

int el_bind_evtchn(struct el_source *s, evtchn_port_t port)
{
    if (!s || port >= EL_MAX_PORTS)
        return -1;
    by_port[port] = s;
    evtchn_set_handler(port, on_port);
    return 0;
}

static void on_irq(uint32_t intid)
{
    if (intid >= GUEST_MAX_INTID)
        return;
    if (isrs[intid])
        isrs[intid](intid);
    el_raise(by_irq[intid]);
}

int el_bind_irq(struct el_source *s, uint32_t intid, el_isr_fn isr)
{
    if (!s || intid >= GUEST_MAX_INTID)
        return -1;
    by_irq[intid] = s;
    isrs[intid] = isr;
    gic_enable_irq(0, intid, on_irq);
    return 0;
}

int el_every(uint64_t period_us, el_fn fn, void *ctx)
{
    for (unsigned i = 0; i < EL_MAX_TIMERS; i++) {
        struct el_timer *t = &timers[i];
        if (t->used)
            continue;
        *t = (struct el_timer){ .used = true, .period_us = period_us ? period_us : 1,
                                .due_us = guest_time_us() + period_us, .fn = fn, .ctx = ctx };
        return 0;
    }
    printf("event-loop: no room for another timer (%u in use)\n", EL_MAX_TIMERS);
    return -1;
}

int el_after_round(el_fn fn, void *ctx)
{
    if (nr_hooks == EL_MAX_HOOKS) {
        printf("event-loop: no room for another round hook (%u in use)\n", EL_MAX_HOOKS);
        return -1;
    }
    hooks[nr_hooks++] = (struct el_hook){ fn, ctx };
    return 0;
}

void el_wake_within(uint64_t us)
{
    if (us < wake_cap_us)
        wake_cap_us = us;
}

void el_stop(int rc)
{
    stopped = true;
    stop_rc = rc;
}

const struct el_stats *el_get_stats(void) { return &stats; }

/* Run every raised source's handler once; its flag drops first, so a raise
 * during the handler (its own budget, or a new event) brings it back. */
static void run_raised(void)
{
    any_raised = false;
    for (unsigned i = 0; i < EL_MAX_SOURCES && !stopped; i++) {
        struct el_source *s = &sources[i];
        if (!s->used || !s->raised)
            continue;
        s->raised = false;
        stats.handler_runs++;
        s->fn(s->ctx);
    }
}

/* Run the timers that are due; returns microseconds until the next one. */
static uint64_t run_timers(void)
{
    uint64_t now = guest_time_us(), next = EL_MAX_SLEEP_US;

    for (unsigned i = 0; i < EL_MAX_TIMERS && !stopped; i++) {
        struct el_timer *t = &timers[i];
        if (!t->used)
            continue;
        if (now >= t->due_us) {
            t->due_us = now + t->period_us;
            t->fn(t->ctx);
            now = guest_time_us();
        }
        if (t->due_us > now && t->due_us - now < next)
            next = t->due_us - now;
    }
    return next;
}

int el_run(void)
{
    irq_disable_local();
    stopped = false;
    while (!stopped) {
        stats.rounds++;
        wake_cap_us = EL_MAX_SLEEP_US;
        run_raised();
        uint64_t sleep_us = run_timers();
        for (unsigned i = 0; i < nr_hooks && !stopped; i++)
            hooks[i].fn(hooks[i].ctx);
        if (wake_cap_us < sleep_us)
            sleep_us = wake_cap_us;
        if (stopped || any_raised)
            continue;
        /* IRQs masked since the look above: see the file comment. */
        stats.wakeups++;
        guest_wait_any(sleep_us ? sleep_us : 1);
    }
    return stop_rc;
}
