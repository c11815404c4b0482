/*
 * console.h — granite's log.  One line per event, prefixed by the subsystem
 * ("p2m:", "smmu:", ...) so a person can grep it.  Lines from different CPUs
 * never interleave: each printk holds the console lock for its whole line.
 */
#ifndef GRANITE_CONSOLE_H
#define GRANITE_CONSOLE_H

#include <stdarg.h>
#include <granite/types.h>

struct console_driver {
    const char *name;
    void (*putc)(void *ctx, char c);
    void *ctx;
};

void console_register(const struct console_driver *drv);
bool console_present(void);
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
/* Write raw bytes (a guest's console output), already prefixed by the caller. */
void console_write_line(const char *prefix, const char *buf, size_t len);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Typed input (core/console_input.c): a character the console UART received,
 * and the start of routing them to the focused domain. */
void console_input_char(char c);
void console_input_start(void);

/* A broken hypervisor invariant: report and stop this CPU. */
noreturn_fn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
