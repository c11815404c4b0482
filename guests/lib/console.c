/*
 * console.c — stdout for picolibc, through the Xen console_io hypercall
 * (CONSOLEIO_write).  Output is buffered per line, so each hypercall carries a
 * whole line and granite prints it with the domain's prefix.
 */
#include <stdio.h>
#include "guest.h"
#include <public/xen.h>

static char line[256];
static size_t len;

static void flush_line(void)
{
    if (len)
        xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, len, (uint64_t)line, 0, 0);
    len = 0;
}

static int console_putc(char c, FILE *f)
{
    (void)f;
    line[len++] = c;
    if (c == '\n' || len == sizeof(line))
        flush_line();
    return (unsigned char)c;
}

static int console_flush(FILE *f)
{
    (void)f;
    flush_line();
    return 0;
}

static FILE console = FDEV_SETUP_STREAM(console_putc, NULL, console_flush, _FDEV_SETUP_WRITE);
FILE *const stdout = &console;
FILE *const stderr = &console;
FILE *const stdin = NULL;
