/*
 * guest_console.h — a domain's CONSOLEIO_write output (core/guest_console.c).
 *
 * Bytes a guest writes through the console_io hypercall are gathered into
 * lines and printed with the domain's prefix, "(dN) ...", as Xen prints them.
 * Any vCPU of the domain may write, from any physical CPU, at the same time;
 * domain_end may flush from another CPU.
 */
#ifndef GRANITE_GUEST_CONSOLE_H
#define GRANITE_GUEST_CONSOLE_H

#include <granite/types.h>

struct domain;

/* Append n bytes (already copied from the guest) to d's console line. */
void guest_console_write(struct domain *d, const char *s, u64 n);
/* Print what is left of d's line (its domain is ending). */
void guest_console_flush(struct domain *d);

#endif
