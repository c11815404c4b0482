/*
 * dlog.h — log lines a guest can cause, rate-limited per domain and printed
 * later, outside every lock (core/dlog.c).
 *
 * A line about something a guest did (a refused hypercall, a bad MMIO access,
 * a bad grant) goes through dlog(d, ...), charged to the domain that caused
 * it, never straight to printk: a guest must not be able to flood the console,
 * nor make another domain wait while granite writes a line to a slow UART
 * with a lock held (a line costs ~9 ms at 115200 baud).
 *
 *   - Each domain has a token bucket: DLOG_BURST lines at once, then one line
 *     per DLOG_REFILL_MS of counter time.  A line with no token is dropped
 *     and counted; the count is printed with the next line that gets through
 *     and when the domain ends ("log: d1: 4093 line(s) suppressed").
 *   - dlog() only formats into the domain's small queue under its own lock,
 *     which nothing else takes; dlog_flush() prints the queue, and is called
 *     only where granite holds no lock: on the way back into a guest, in the
 *     idle loop and when a domain ends.
 */
#ifndef GRANITE_DLOG_H
#define GRANITE_DLOG_H

#include <granite/types.h>
#include <granite/spinlock.h>

#define DLOG_BURST 32
#define DLOG_REFILL_MS 100
#define DLOG_QUEUE 8
#define DLOG_LINE_LEN 224

struct dlog {
    spinlock_t lock;
    u32 tokens;                          /* lines that may still be queued now */
    u64 refilled_at;                     /* counter value of the last refill */
    u64 suppressed;                      /* dropped since the last report */
    u64 suppressed_total;
    unsigned head, count;                /* the queue: count lines from head */
    char line[DLOG_QUEUE][DLOG_LINE_LEN];
    volatile bool pending;               /* something to flush (read without the lock) */
    bool printing;                       /* a CPU is printing this queue (atomic) */
};

struct domain;

void dlog_init(struct dlog *l);
/* A guest-caused line for domain d (NULL: not charged to a domain: printed at once). */
void dlog(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, for code that knows the domain by id only (emulated devices). */
void dlog_domid(unsigned domid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print d's queued lines and its suppressed count.  Call with no lock held. */
void dlog_flush(struct domain *d);
/* The same for every domain (the idle loop). */
void dlog_flush_all(void);
/* Lines of d's suppressed so far (tests, statistics). */
u64 dlog_suppressed_total(const struct domain *d);

#endif
