/*
 * trace.h — the packet trace in the toy guests (granite's trace=packet).
 *
 * granite says "trace the first N packets" in /hypervisor's
 * granite,packet-trace property (include/public/granite.h; the why is there),
 * read once at boot by trace_setup.  Each hop of a traced packet is one
 * console line, in the format granite uses too (include/granite/trace.h):
 *
 *   trace: <tx|rx> <pkt> hop <n> d<domid> <file>:<function>: <facts>
 *
 * The packet number is counted by each end in ring order, so both ends
 * agree without carrying it: TX, the k-th packet netfront puts on the TX ring
 * is the k-th netback takes off it; RX, the k-th frame netback puts in an RX
 * buffer is the k-th response netfront reads.  Both ends also print the ring
 * slot (the free-running request index), which they see alike, to check it.
 *
 * Off (no property), trace_pkt() and trace_count() are one load and a
 * predictable branch each.
 * Host unit tests (HOST_TEST) compile the hooks away.
 */
#ifndef GUEST_LIB_TRACE_H
#define GUEST_LIB_TRACE_H

#include <stdbool.h>

#ifdef HOST_TEST
static inline bool trace_pkt(unsigned n) { (void)n; return false; }
static inline unsigned trace_count(unsigned *counter) { (void)counter; return 0; }
static inline void trace_hop(const char *dir, unsigned pkt, unsigned hop, const char *where,
                             const char *fmt, ...)
{
    (void)dir; (void)pkt; (void)hop; (void)where; (void)fmt;
}
#else
extern unsigned guest_trace_packets;

/* Is packet n (1, 2, ...) one of those to trace? */
static inline bool trace_pkt(unsigned n)
{
    return __builtin_expect(guest_trace_packets != 0, 0) && n >= 1 && n <= guest_trace_packets;
}
/* The next packet number from `counter` (1, 2, ...), or 0 with the trace off
 * (then nothing is counted: the cost is the branch). */
static inline unsigned trace_count(unsigned *counter)
{
    if (__builtin_expect(guest_trace_packets == 0, 1))
        return 0;
    return ++*counter;
}
/* Read /hypervisor's property (nothing there: the trace stays off). */
void trace_setup(const void *fdt);
/* One hop line; `where` is "file.c:function". */
void trace_hop(const char *dir, unsigned pkt, unsigned hop, const char *where, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));
#endif

/* The hop numbers (docs/packet-path.md, "The packet trace"); 5-7 and 11 are
 * granite's. */
enum {
    TRACE_TX_RING = 1, TRACE_TX_NOTIFY, TRACE_TX_TAKEN, TRACE_TX_GRANT, TRACE_TX_MAPPED = 8,
    TRACE_TX_DMA, TRACE_TX_DESC, TRACE_TX_DONE = 12, TRACE_TX_ANSWERED,
};
enum { TRACE_RX_BUFFER = 1, TRACE_RX_COPY, TRACE_RX_RESPONSE, TRACE_RX_DELIVERED };

#endif
