/*
 * event_loop.h — one loop for every driver of a guest program: each driver
 * registers what it waits for (an event channel, an interrupt, a timer) and
 * a handler; the loop sleeps in a masked WFI until something arrives and
 * runs the handlers of what did.  No driver waits inside another's wait,
 * and nothing polls: a handler runs only when its source was raised.
 *
 * Model: a source is a handler plus a "raised" flag.  Interrupt context
 * only raises (an event channel's upcall, an interrupt's ISR, el_raise);
 * handlers run from el_run(), one after the other, with IRQs masked, so a
 * handler never races another.  A handler that stops early (a work budget,
 * so one busy peer cannot keep the loop) raises its own source again and
 * runs in the next round.  After each round the round hooks run (e.g. a
 * backend sending the events its round produced, once each).
 *
 * Assumptions: one vCPU runs the loop (vCPU 0); IRQs stay masked outside
 * the loop's waits (the guest runtime's default); the loop owns the vCPU's
 * virtual timer while it waits; fixed tables (EL_MAX_*), nothing allocated.
 */
#ifndef GUEST_LIB_EVENT_LOOP_H
#define GUEST_LIB_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include "xen.h"

#define EL_MAX_SOURCES 48
#define EL_MAX_TIMERS 8
#define EL_MAX_HOOKS 4
#define EL_MAX_SLEEP_US 1000000 /* the loop wakes at least this often */

typedef void (*el_fn)(void *ctx);
struct el_source;

/* A source whose handler is fn(ctx); `name` appears in log lines.  NULL if
 * the table is full (logged). */
struct el_source *el_source_new(const char *name, el_fn fn, void *ctx);
/* Forget a source (its event channel binding too); it will not run again. */
void el_source_free(struct el_source *s);
/* Raise: the handler runs in the loop's next round.  Safe from interrupt
 * context and from handlers. */
void el_raise(struct el_source *s);
/* An event on `port` raises s (the port's upcall handler becomes the
 * loop's).  0, or -1 if the port is out of range. */
int el_bind_evtchn(struct el_source *s, evtchn_port_t port);
/* Interrupt `intid` on vCPU 0: isr(intid) runs in interrupt context (may be
 * NULL; e.g. to read and clear a level-triggered cause), then s is raised. */
typedef void (*el_isr_fn)(uint32_t intid);
int el_bind_irq(struct el_source *s, uint32_t intid, el_isr_fn isr);

/* fn(ctx) every period_us of guest time, from the loop.  0 or -1 (full). */
int el_every(uint64_t period_us, el_fn fn, void *ctx);
/* fn(ctx) after each round of handlers, before the loop sleeps. */
int el_after_round(el_fn fn, void *ctx);

/* From a handler or round hook: the loop's coming sleep lasts at most `us`
 * (a one-shot bound, e.g. for work deferred to be batched; forgotten after
 * the next round).  Nothing runs when it ends but the round hooks and
 * whatever was raised: the caller's hook looks again then. */
void el_wake_within(uint64_t us);

/* Run until el_stop(); returns the code given to it. */
int el_run(void);
void el_stop(int rc);

struct el_stats {
    uint64_t rounds, wakeups, handler_runs;
};
const struct el_stats *el_get_stats(void);

#endif
