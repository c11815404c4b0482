/*
 * guest_console.c — a domain's console_io output, gathered into lines.
 *
 * Bytes accumulate in the domain's console_buf until '\n' or until the buffer
 * is full, then the line is printed with the domain's prefix, as Xen prints
 * "(d1) ...".  Unprintable bytes are shown as '?' so a guest cannot garble the
 * log or send terminal escapes.
 */
#include <granite/guest_console.h>
#include <granite/domain.h>
#include <granite/console.h>

static void console_prefix(const struct domain *d, char *prefix, size_t size)
{
    snprintf(prefix, size, "(d%u) ", d->id);
}

void guest_console_write(struct domain *d, const char *s, u64 n)
{
    char prefix[24];

    console_prefix(d, prefix, sizeof(prefix));
    for (u64 i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '\n' || d->console_len == sizeof(d->console_buf)) {
            console_write_line(prefix, d->console_buf, d->console_len);
            d->console_len = 0;
            if (ch == '\n')
                continue;
        }
        if (ch == '\r')
            continue;
        /* Unprintable bytes would garble the log: show them as '?'. */
        d->console_buf[d->console_len++] = (ch >= 0x20 && ch < 0x7f) || ch == '\t' ? ch : '?';
    }
}

void guest_console_flush(struct domain *d)
{
    char prefix[24];

    if (!d->console_len)
        return;
    console_prefix(d, prefix, sizeof(prefix));
    console_write_line(prefix, d->console_buf, d->console_len);
    d->console_len = 0;
}
