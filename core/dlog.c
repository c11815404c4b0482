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
#include <granite/dlog.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/domain.h>

void *memcpy(void *dst, const void *src, size_t n);

void dlog_init(struct dlog *l)
{
    *l = (struct dlog){ .lock = SPINLOCK_INIT, .tokens = DLOG_BURST };
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
void dlog_flush(struct domain *d)
{
    char line[DLOG_LINE_LEN];
    u64 suppressed;

    if (!d || !d->log.pending)
        return;
    while (take_line(&d->log, line, &suppressed)) {
        if (suppressed)
            printk("log: d%u: %lu line(s) suppressed (more than %d at once, or more than "
                   "one per %d ms)\n", d->id, suppressed, DLOG_BURST, DLOG_REFILL_MS);
        printk("%s", line);
    }
}

void dlog_flush_all(void)
{
    for (unsigned id = 0; id < MAX_DOMAINS; id++)
        dlog_flush(domain_by_id(id));
}

u64 dlog_suppressed_total(const struct domain *d) { return d->log.suppressed_total; }
