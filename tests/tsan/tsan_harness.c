/*
 * tsan_harness.c — the part of the hypervisor every ThreadSanitizer test
 * needs on the host: real spinlocks, a thread-safe printk, panic, this_cpu(),
 * a recorder for guest console lines, and a count of TSan's reports.
 *
 * Assumption: built with -fsanitize=thread, which provides __tsan_on_report
 * as a weak hook that the definition below replaces.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <granite/console.h>
#include <granite/spinlock.h>
#include "tsan_harness.h"

/* --- ThreadSanitizer reports -------------------------------------------------- */

static unsigned nr_reports;

/* Called by the TSan runtime once per report it prints. */
void __tsan_on_report(const void *report);
void __tsan_on_report(const void *report)
{
    (void)report;
    __atomic_add_fetch(&nr_reports, 1, __ATOMIC_SEQ_CST);
}

unsigned tsan_reports(void) { return __atomic_load_n(&nr_reports, __ATOMIC_SEQ_CST); }

/* A race at an address reported before (by an earlier test) is reported again
 * when its stacks differ, so each test sees its own races. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "report_signal_unsafe=0 history_size=4 suppress_equal_addresses=0"; }

/* --- CPUs ----------------------------------------------------------------------- */

static __thread unsigned cpu_of_thread;
void tsan_set_cpu(unsigned cpu) { cpu_of_thread = cpu; }
unsigned this_cpu(void) { return cpu_of_thread; }

/* --- spinlocks: they really exclude -------------------------------------------- */

/* The lock order is checked where core/lock_order.c is linked in. */
__attribute__((weak)) void lock_order_acquire(const spinlock_t *l) { (void)l; }
__attribute__((weak)) void lock_order_release(const spinlock_t *l) { (void)l; }

void spin_lock(spinlock_t *l)
{
    lock_order_acquire(l);
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            sched_yield(); /* two host cores shared with others: do not burn them */
}

void spin_unlock(spinlock_t *l)
{
    lock_order_release(l);
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Interrupts are not modelled: a host thread is never interrupted by granite code. */
u64 spin_lock_irqsave(spinlock_t *l)
{
    spin_lock(l);
    return 0;
}

void spin_unlock_irqrestore(spinlock_t *l, u64 flags) { (void)flags; spin_unlock(l); }

/* --- printk and panic ----------------------------------------------------------- */

static pthread_mutex_t log_mx = PTHREAD_MUTEX_INITIALIZER;
#define SEEN_LINES 64
static char seen[SEEN_LINES][256];
static unsigned nr_seen;

void vprintk(const char *fmt, va_list ap)
{
    char buf[1024];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    pthread_mutex_lock(&log_mx);
    printf("    [cpu%u] %s%s", this_cpu(), buf, strchr(buf, '\n') ? "" : "\n");
    strncpy(seen[nr_seen % SEEN_LINES], buf, sizeof(seen[0]) - 1);
    nr_seen++;
    pthread_mutex_unlock(&log_mx);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

bool tsan_printk_seen(const char *needle)
{
    bool found = false;

    pthread_mutex_lock(&log_mx);
    for (unsigned i = 0; i < SEEN_LINES && i < nr_seen; i++)
        found |= strstr(seen[i], needle) != NULL;
    pthread_mutex_unlock(&log_mx);
    return found;
}

/* A broken invariant stops the whole program: the runner counts the abort as
 * a failure of this binary. */
noreturn_fn void panic(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "panic on cpu%u: ", this_cpu());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* --- guest console lines -------------------------------------------------------- */

static struct tsan_console_stats cstats;
static u64 cexpect_len;

void tsan_console_reset(u64 expect_len)
{
    pthread_mutex_lock(&log_mx);
    memset(&cstats, 0, sizeof(cstats));
    cexpect_len = expect_len;
    nr_seen = 0;
    memset(seen, 0, sizeof(seen));
    pthread_mutex_unlock(&log_mx);
}

struct tsan_console_stats tsan_console_stats(void)
{
    struct tsan_console_stats s;

    pthread_mutex_lock(&log_mx);
    s = cstats;
    pthread_mutex_unlock(&log_mx);
    return s;
}

void console_write_line(const char *prefix, const char *buf, size_t len)
{
    unsigned dom;
    char tail;

    pthread_mutex_lock(&log_mx);
    cstats.lines++;
    if (sscanf(prefix, "(d%u)%c", &dom, &tail) != 2 || tail != ' ')
        cstats.bad_prefix++;
    if (len > cstats.longest)
        cstats.longest = len;
    if (cexpect_len && len < cexpect_len)
        cstats.short_lines++;
    /* An overrun length would make us read past the domain: look at the start only. */
    if (len > TSAN_LINE_MAX)
        len = TSAN_LINE_MAX;
    for (size_t i = 0; i < len; i++)
        cstats.bytes[(u8)buf[i]]++;
    for (size_t i = 1; i < len; i++)
        if (buf[i] != buf[0]) {
            cstats.mixed_lines++;
            break;
        }
    pthread_mutex_unlock(&log_mx);
}
