/*
 * trace.c — the packet trace in the toy guests: reads what granite asked for
 * (trace.h says where and why) and prints the hop lines.
 *
 * Assumptions: the property is granite's and was checked by nobody else, so
 * it is believed only if it has exactly two cells and a count granite could
 * have given (1..TRACE_COUNT_MAX); anything else leaves the trace off.
 */
#include <stdarg.h>
#include <stdio.h>
#include <libfdt.h>
#include <public/granite.h>
#include "trace.h"

#define TRACE_COUNT_MAX 64  /* include/granite/trace.h */

unsigned guest_trace_packets;
static unsigned domid;

void trace_setup(const void *fdt)
{
    int node = fdt_path_offset(fdt, "/hypervisor"), len = 0;
    const fdt32_t *p = node >= 0 ? fdt_getprop(fdt, node, GRANITE_DT_PROP_PACKET_TRACE, &len)
                                 : NULL;
    unsigned n;

    if (!p)
        return;
    /* The length first: a shorter property has no cells to read. */
    n = len == 2 * (int)sizeof(fdt32_t) ? fdt32_to_cpu(p[0]) : 0;
    if (n == 0 || n > TRACE_COUNT_MAX) {
        printf("trace: /hypervisor/%s is malformed: no packet trace\n",
               GRANITE_DT_PROP_PACKET_TRACE);
        return;
    }
    domid = fdt32_to_cpu(p[1]);
    guest_trace_packets = n;
}

void trace_hop(const char *dir, unsigned pkt, unsigned hop, const char *where, const char *fmt,
               ...)
{
    char facts[96];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(facts, sizeof(facts), fmt, ap);
    va_end(ap);
    /* One printf per line: the console never gets half of it. */
    printf("trace: %s %u hop %u d%u %s: %s\n", dir, pkt, hop, domid, where, facts);
}
