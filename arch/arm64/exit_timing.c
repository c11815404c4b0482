/*
 * exit_timing.c — how long each CPU stays in EL2 per vCPU exit, and how long
 * a kick takes to arrive: the two costs of the PV path that no counter of
 * events shows (issue 13; tools/bench prints them per step).
 *
 * EL2 residency.  Timed from the top of guest_trap (traps.c: the guest's
 * registers are saved) to the moment granite goes back into a guest (the end
 * of guest_trap, or arch_enter_guest after a schedule).  The time the CPU
 * slept in between (a vCPU that blocked, sched.c idle_wait) is not EL2 work
 * and is taken out.  Not covered: the few instructions of vectors.S on either
 * side, and the interrupts a CPU takes while it idles.
 *
 * Kick latency.  From just before the sender writes the SGI (arch_kick_cpu)
 * to the target's exit for it (the timestamp its exit began with; the
 * handler's own time when the target idled in EL2): the SGI's delivery and
 * the target's way out of WFI (on QEMU: waking a host thread).  One
 * timestamp per target CPU: when two CPUs kick the same one before it looks,
 * the earlier send is the one measured (that is what the target's lateness
 * is relative to).
 *
 * Time is the generic timer's counter (CNTPCT_EL0), the one time base every
 * CPU shares (Arm ARM D11.1.2), so a send on one CPU and an arrival on another
 * can be subtracted.  Only the CPU that owns a record writes its sums (no
 * locks), and the reader (the dump) may see a sum one exit stale.
 *
 * Off unless the boot option timing=on asks for it.  The cost is two counter
 * reads per exit and one per kick sent, and under QEMU each read takes the
 * emulator's global lock, as the GIC's registers do: on the 2-core machine
 * that lock is contended on every round trip of the PV path, and timing it
 * made its window-1 UDP echo about 15% slower (4 interleaved runs each of the
 * same build with and without: 4,228 against 4,972 round trips/s at 64 B).
 * So the benchmark's rates are taken with timing off, and its "where the time
 * goes" from separate runs with it on (tools/bench).
 */
#include <granite/arch.h>
#include <granite/memory_map.h>
#include <granite/sched.h>
#include <granite/vcpu_stats.h>
#include "internal.h"

struct exit_timing {
    u64 entered_at;       /* counter at the exit's entry; 0: not in an exit */
    u64 idle_at_entry;    /* sched's idle ticks then (sleeps are taken out) */
    u64 el2_ticks, exits;
    u64 kick_sent_at;     /* written by the sender (first one wins), taken by this CPU */
    u64 kick_ticks, kicks;
};

static struct exit_timing timing[GRANITE_MAX_CPUS];
static bool timing_on;   /* boot option timing=on; set before any CPU enters a guest */

void arch_exit_timing_init(bool on) { timing_on = on; }

static u64 idle_ticks_of(unsigned cpu)
{
    u64 ticks, waits;

    sched_idle_stats(cpu, &ticks, &waits);
    return ticks;
}

void exit_timing_enter(void)
{
    struct exit_timing *t = &timing[this_cpu()];

    if (!timing_on)
        return;
    t->entered_at = arch_counter();
    t->idle_at_entry = idle_ticks_of(this_cpu());
}

void exit_timing_leave(void)
{
    unsigned cpu = this_cpu();
    struct exit_timing *t = &timing[cpu];
    u64 now, slept;

    if (!t->entered_at)
        return;           /* timing off, a first entry, or a vCPU started by PSCI: no exit to end */
    now = arch_counter();
    slept = idle_ticks_of(cpu) - t->idle_at_entry;
    t->el2_ticks += now - t->entered_at - MIN(slept, now - t->entered_at);
    t->exits++;
    t->entered_at = 0;
}

/* A report printed on request (a counter dump) is not work of the exit it
 * happens in: its milliseconds of console output would count as EL2 time of
 * the step the next dump closes.  The clock of this exit starts again now. */
void arch_exit_timing_restart(void)
{
    struct exit_timing *t = &timing[this_cpu()];

    if (t->entered_at)
        exit_timing_enter();
}

void exit_timing_kick_sent(unsigned cpu)
{
    u64 zero = 0;

    if (timing_on && cpu < GRANITE_MAX_CPUS)
        __atomic_compare_exchange_n(&timing[cpu].kick_sent_at, &zero, arch_counter(), false,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void exit_timing_kick_taken(void)
{
    struct exit_timing *t = &timing[this_cpu()];
    u64 sent = __atomic_exchange_n(&t->kick_sent_at, 0, __ATOMIC_RELAXED);
    u64 now;

    if (!sent)
        return;           /* its stamp went with an earlier kick: nothing to time */
    now = t->entered_at ? t->entered_at : arch_counter();
    if (now >= sent) {
        t->kick_ticks += now - sent;
        t->kicks++;
    }
}

void arch_exit_timing(struct exit_timing_totals *out)
{
    u64 ns_per_tick_x1000 = 1000000000000ULL / arch_counter_freq();

    *out = (struct exit_timing_totals){ .on = timing_on };
    for (unsigned c = 0; c < GRANITE_MAX_CPUS; c++) {
        out->el2_ns += timing[c].el2_ticks * ns_per_tick_x1000 / 1000;
        out->exits += timing[c].exits;
        out->kick_ns += timing[c].kick_ticks * ns_per_tick_x1000 / 1000;
        out->kicks += timing[c].kicks;
    }
}
