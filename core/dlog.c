/*
 * dlog.c — per-domain, rate-limited, deferred log lines (see dlog.h for the
 * rules).
 *
 * Assumptions:
 *   - struct domain embeds its struct dlog (d->log), initialised by
 *     domain_create() before any vCPU runs;
 *   - arch_counter() is the generic counter, monotonic and the same on every
 *     CPU; the bucket refills in its time, not in host wall-clock time;
 *   - dlog() may run with any other lock held, and from any CPU: the queue lock
 *     is a leaf, held only to copy a line in or out, never while printing.
 */
#include <string.h>
#include <granite/dlog.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/domain.h>


void dlog_init(struct dlog *l)
{
    *l = (struct dlog){ .lock = SPINLOCK_INIT(LOCK_DLOG), .tokens = DLOG_BURST };
}

static void refill(struct dlog *l, u64 now)
{
    u64 per_token = arch_counter_freq() / 1000 * DLOG_REFILL_MS;
    u64 earned = per_token ? (now - l->refilled_at) / per_token : DLOG_BURST;

    if (!earned)
        return;
    l->tokens = (u32)MIN((u64)DLOG_BURST, l->tokens + earned);
    l->refilled_at += earned * per_token;
    if (l->tokens == DLOG_BURST)
        l->refilled_at = now;
}

static void vdlog(struct domain *d, const char *fmt, va_list ap)
{
    struct dlog *l;
    u64 f;

    if (!d) {
        vprintk(fmt, ap);
        return;
    }
    l = &d->log;
    f = spin_lock_irqsave(&l->lock);
    refill(l, arch_counter());
    if (l->tokens && l->count < DLOG_QUEUE) {
        char *line = l->line[(l->head + l->count) % DLOG_QUEUE];
        int n = vsnprintf(line, DLOG_LINE_LEN, fmt, ap);
        if (n >= DLOG_LINE_LEN)    /* cut: say so, and keep the line a line */
            memcpy(line + DLOG_LINE_LEN - 5, "...\n", 5);
        l->count++;
        l->tokens--;
    } else {
        l->suppressed++;
        l->suppressed_total++;
    }
    l->pending = true;
    spin_unlock_irqrestore(&l->lock, f);
}

void dlog(struct domain *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdlog(d, fmt, ap);
    va_end(ap);
}

void dlog_domid(unsigned domid, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdlog(domain_by_id(domid), fmt, ap);
    va_end(ap);
}

/* Take one queued line, with the count of lines suppressed before it. */
static bool take_line(struct dlog *l, char *out, u64 *suppressed)
{
    u64 f = spin_lock_irqsave(&l->lock);
    bool got = l->count != 0;

    *suppressed = 0;
    if (got) {
        *suppressed = l->suppressed;
        l->suppressed = 0;
        memcpy(out, l->line[l->head], DLOG_LINE_LEN);
        l->head = (l->head + 1) % DLOG_QUEUE;
        l->count--;
    }
    l->pending = l->count != 0;
    spin_unlock_irqrestore(&l->lock, f);
    return got;
}

/* The suppressed count goes out with the next line that gets through (so it is
 * itself rate-limited) and, for what is left, when the domain is released. */
/*
 * One printer per domain at a time, so that its lines come out in the order
 * they were logged (two CPUs each taking a line and printing it would race).
 * A flusher that may wait (a trap exit, the domain's end: what it prints next
 * must come after) waits for the other one to finish; the idle loop does not
 * wait, and whoever prints looks at the queue again after letting go, so a
 * line queued meanwhile is not left behind.
 */
static bool printer_claim(struct dlog *l, bool wait)
{
    while (__atomic_exchange_n(&l->printing, true, __ATOMIC_ACQUIRE))
        if (!wait)
            return false;
    return true;
}

static void print_queue(struct domain *d)
{
    char line[DLOG_LINE_LEN];
    u64 suppressed;

    while (take_line(&d->log, line, &suppressed)) {
        if (suppressed)
            printk("log: d%u: %lu line(s) suppressed (more than %d at once, or more than "
                   "one per %d ms)\n", d->id, suppressed, DLOG_BURST, DLOG_REFILL_MS);
        printk("%s", line);
    }
}

static void flush(struct domain *d, bool wait)
{
    while (d && __atomic_load_n(&d->log.pending, __ATOMIC_SEQ_CST)) {
        if (!printer_claim(&d->log, wait))
            return;
        print_queue(d);
        __atomic_store_n(&d->log.printing, false, __ATOMIC_SEQ_CST);
    }
}

void dlog_flush(struct domain *d) { flush(d, true); }

void dlog_flush_all(void)
{
    for (unsigned id = 0; id < MAX_DOMAINS; id++)
        flush(domain_by_id(id), false);
}

u64 dlog_suppressed_total(const struct domain *d) { return d->log.suppressed_total; }
