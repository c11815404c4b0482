/*
 * console.c — the hypervisor console: formats a line, then writes it under the
 * console lock to whatever driver registered itself (a PL011 found through
 * /chosen/stdout-path, or the build-time early UART when the DTB names none).
 * Before any driver exists, output is kept in a small buffer and replayed when
 * one registers, so messages from the first instructions of C are not lost.
 */
#include <string.h>
#include <granite/console.h>
#include <granite/spinlock.h>

#define LINE_MAX 256
#define EARLY_BUF 2048

static const struct console_driver *console;
static spinlock_t console_lock = SPINLOCK_INIT(LOCK_CONSOLE);
static char early_buf[EARLY_BUF];
static size_t early_len;

static void emit(char c)
{
    if (!console) {
        if (early_len < EARLY_BUF)
            early_buf[early_len++] = c;
        return;
    }
    if (c == '\n')
        console->putc(console->ctx, '\r');
    console->putc(console->ctx, c);
}

void console_register(const struct console_driver *drv)
{
    u64 f = spin_lock_irqsave(&console_lock);
    console = drv;
    for (size_t i = 0; i < early_len; i++)
        emit(early_buf[i]);
    early_len = 0;
    spin_unlock_irqrestore(&console_lock, f);
}

bool console_present(void) { return console != NULL; }

void vprintk(const char *fmt, va_list ap)
{
    char line[LINE_MAX];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    u64 f;

    if (n >= LINE_MAX) {
        /* Cut: say so, and keep the line a line (the next one must not be
         * glued to it). */
        size_t fl = strlen(fmt);
        n = LINE_MAX - 1;
        if (fl && fmt[fl - 1] == '\n')
            memcpy(line + n - 4, "...\n", 4);
    }
    f = spin_lock_irqsave(&console_lock);
    for (int i = 0; i < n; i++)
        emit(line[i]);
    spin_unlock_irqrestore(&console_lock, f);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void console_write_line(const char *prefix, const char *buf, size_t len)
{
    u64 f = spin_lock_irqsave(&console_lock);
    for (const char *p = prefix; *p; p++)
        emit(*p);
    for (size_t i = 0; i < len; i++)
        emit(buf[i]);
    emit('\n');
    spin_unlock_irqrestore(&console_lock, f);
}
