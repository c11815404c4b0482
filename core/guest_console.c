/*
 * guest_console.c — a domain's console_io output, gathered into lines.
 *
 * Bytes accumulate in the domain's console_buf until '\n' or until the buffer
 * is full, then the line is printed with the domain's prefix, as Xen prints
 * "(d1) ...".  Unprintable bytes are shown as '?' so a guest cannot garble the
 * log or send terminal escapes.
 *
 * Locking: every vCPU of a domain may write at once from its own physical CPU,
 * and domain_end may flush from yet another, so one lock per domain guards its
 * console_buf and console_len (issue 10, finding 1: two vCPUs writing without
 * a newline pushed the unguarded length past the buffer and the writes went
 * past struct domain).  The lock is held while the line is printed, so a
 * domain's lines come out in the order they were completed; the console lock
 * is taken inside it, never the other way round.  The locks live here, one
 * per domain id, rather than in struct domain: this file is the only user.
 *
 * Bounds: the length is read once into a local, checked against the buffer's
 * size with >= (so a length that is somehow past the end flushes instead of
 * writing further), and only stored back at the end.
 */
#include <granite/guest_console.h>
#include <granite/domain.h>
#include <granite/console.h>
#include <granite/spinlock.h>

#define LINE_CAP sizeof(((struct domain *)0)->console_buf)

static spinlock_t console_locks[MAX_DOMAINS] = {
    [0 ... MAX_DOMAINS - 1] = SPINLOCK_INIT(LOCK_GUEST_CONSOLE) };

/* domain_create() hands out ids below MAX_DOMAINS only. */
static spinlock_t *console_lock_of(const struct domain *d)
{
    return &console_locks[d->id % MAX_DOMAINS];
}

static void console_prefix(const struct domain *d, char *prefix, size_t size)
{
    snprintf(prefix, size, "(d%u) ", d->id);
}

/* The line's length as stored, or 0 (and a log line) if it is not a length
 * the buffer can hold: then what is in the buffer is not trusted either. */
static u64 console_len_checked(struct domain *d)
{
    u64 len = d->console_len;

    if (len <= LINE_CAP)
        return len;
    printk("console: d%u: line length %lu past its %zu-byte buffer: line dropped\n", d->id,
           len, LINE_CAP);
    return 0;
}

static char printable(char ch)
{
    /* Unprintable bytes would garble the log: show them as '?'. */
    return (ch >= 0x20 && ch < 0x7f) || ch == '\t' ? ch : '?';
}

void guest_console_write(struct domain *d, const char *s, u64 n)
{
    char prefix[24];
    spinlock_t *lock = console_lock_of(d);
    u64 flags, len;

    console_prefix(d, prefix, sizeof(prefix));
    flags = spin_lock_irqsave(lock);
    len = console_len_checked(d);
    for (u64 i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '\n' || len >= LINE_CAP) {
            console_write_line(prefix, d->console_buf, len);
            len = 0;
            if (ch == '\n')
                continue;
        }
        if (ch == '\r')
            continue;
        d->console_buf[len++] = printable(ch);
    }
    d->console_len = len;
    spin_unlock_irqrestore(lock, flags);
}

void guest_console_flush(struct domain *d)
{
    char prefix[24];
    spinlock_t *lock = console_lock_of(d);
    u64 flags, len;

    console_prefix(d, prefix, sizeof(prefix));
    flags = spin_lock_irqsave(lock);
    len = console_len_checked(d);
    if (len)
        console_write_line(prefix, d->console_buf, len);
    d->console_len = 0;
    spin_unlock_irqrestore(lock, flags);
}
