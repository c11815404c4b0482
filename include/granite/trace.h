/*
 * trace.h — the packet trace (trace=packet[,count=N], core/trace.c).
 *
 * One console line per hop of the first N packets, in a format shared with
 * the toy guests (guests/lib/trace.h) and read by tools/trace:
 *
 *   trace: <dir> <pkt> hop <n> <domain> <file>:<function>: <facts>
 *
 * dir is tx (domU -> wire) or rx (wire -> domU); hop numbers are fixed per
 * kind of hop and are the rows of docs/packet-path.md's trace table.
 * granite cannot see which packet a grant map or an SMMU fault belongs to
 * (that is netback's and netfront's business), so its lines say pkt `?` and
 * name the key that ties them to one: the grant reference (gref) and the
 * machine address, which dom0's own trace lines of the packet also print.
 *
 * Off, each hook costs one load and a predictable branch (trace_on()).
 */
#ifndef GRANITE_TRACE_H
#define GRANITE_TRACE_H

#include <granite/types.h>

#define TRACE_COUNT_DEFAULT 4
#define TRACE_COUNT_MAX 64

/* Hop numbers granite prints (the guests print the others). */
#define TRACE_HOP_GRANT_MAP 5   /* grant_table.c:add_mapping */
#define TRACE_HOP_IOMMU_ENTRY 6 /* iommu.c:iommu_grant_map: the 1:1 entry, or why none */
#define TRACE_HOP_IOMMU_WALK 7  /* iommu.c:iommu_translate: what the SMMU would find */
#define TRACE_HOP_SMMU_FAULT 11 /* smmuv3.c:report_event */

/* Packets to trace; 0: the trace is off.  Written once, at boot. */
extern unsigned trace_packets;

static inline bool trace_on(void) { return __builtin_expect(trace_packets != 0, 0); }

/* The value of trace= (NULL: not given): 0, or -EINVAL after saying why (the
 * trace is then off).  Starts the trace afresh. */
int trace_configure(const char *val);
/* A read-only map of domain `granter`'s ref into domain `mapper`: the kind a
 * TX buffer is.  True if it is among the first trace_packets such maps: it is
 * then traced, and remembered so that a fault of mapper's devices at its page
 * names it. */
bool trace_grant_claim(unsigned mapper, unsigned granter, unsigned ref, pa_t page);
/* One hop line of granite's ("trace: tx ? hop <hop> hv <where>: <facts>"). */
void trace_hv(unsigned hop, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The IOMMU faulted at iova for one of d's devices: trace it (bounded),
 * naming the traced grant whose machine page it is, if any. */
void trace_iommu_fault(unsigned domid, iova_t iova, const char *type);

#endif
