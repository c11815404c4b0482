/*
 * host_stubs.h — what the host unit tests can see of tests/unit/host_stubs.c,
 * the stand-ins for the rest of the hypervisor (console, locks, page
 * allocator, stage-2 geometry and TLB maintenance) on the build machine.
 *
 * Everything the stubs do is recorded so a test can check it afterwards:
 *   - printk lines (the last HOST_LOG_LINES complete lines);
 *   - page allocations (pages currently outstanding, optional failure);
 *   - an event log of descriptor writes, syncs, TLB flushes, locks and frees,
 *     in the order they happened.
 */
#ifndef GRANITE_TESTS_HOST_STUBS_H
#define GRANITE_TESTS_HOST_STUBS_H

#include <granite/types.h>
#include <granite/p2m.h>

/* --- printk capture ------------------------------------------------------- */
#define HOST_LOG_LINES 32
#define HOST_LOG_LINE_LEN 512

void host_log_clear(void);
/* Number of complete lines captured since the last clear (may exceed HOST_LOG_LINES). */
unsigned host_log_count(void);
/* The most recent complete line (without its '\n'), or "" if none. */
const char *host_log_last(void);
/* Whether any line still held (complete, or the current partial one) contains `needle`. */
bool host_log_contains(const char *needle);
/* Captured but not echoed to stdout (a test that logs on purpose, thousands of times). */
void host_log_quiet(bool quiet);

/* --- page allocator --------------------------------------------------------- */
/* Pages (4 KiB units) handed out by alloc_pages() and not yet freed. */
long host_pages_outstanding(void);
/* Make the n-th next alloc_pages() call fail (0 = the very next one); -1 = never. */
void host_alloc_fail_after(int n);

/* --- stage-2 geometry ------------------------------------------------------- */
/* What stage2_geometry() returns; defaults to stage2_geometry_for(5, 2) (48-bit
 * IPA, 16-bit VMID) when stage2.c is linked in. */
void host_set_stage2_geometry(const struct stage2_geometry *g);
void host_reset_stage2_geometry(void);

/* --- event log ---------------------------------------------------------------- */
enum host_ev_kind {
    HEV_WRITE,       /* stage2_hooks.write_desc: slot, old, val */
    HEV_SYNC,        /* stage2_hooks.sync */
    HEV_FLUSH_IA,    /* stage2_hooks.flush_ia: ia, level */
    HEV_FLUSH_ALL,   /* stage2_hooks.flush_all */
    HEV_FLUSH_VMID,  /* arch_stage2_flush_vmid: vmid, vttbr */
    HEV_LOCK,        /* spin_lock / spin_lock_irqsave: lock */
    HEV_UNLOCK,      /* spin_unlock / spin_unlock_irqrestore: lock */
    HEV_ALLOC,       /* alloc_pages: ptr, order */
    HEV_FREE,        /* free_pages: ptr, order */
};

struct host_event {
    enum host_ev_kind kind;
    u64 *slot;
    u64 old, val;
    u64 ia;
    unsigned level;
    u16 vmid;
    u64 vttbr;
    const void *ptr; /* lock or pages */
    unsigned order;
};

#define HOST_MAX_EVENTS 65536
extern struct host_event host_events[HOST_MAX_EVENTS];
extern unsigned host_nr_events;
/* Set when more events happened than the log holds. */
extern bool host_events_overflowed;
void host_events_clear(void);
/* Index of the first event of `kind` at or after `from`, or -1. */
int host_event_find(enum host_ev_kind kind, unsigned from);
/* Number of events of `kind`. */
unsigned host_event_count(enum host_ev_kind kind);

/* Give a test's domain its state of unit u (struct domain_unit), zeroed, as
 * core/domain.c's domain_create does: one block per (domain id, unit), kept
 * for the whole run so that state outlives the domain as it does in granite. */
struct domain_unit;
void host_unit_attach(struct domain *d, const struct domain_unit *u);

/* Reset everything above (log, events, failure injection, geometry), and free
 * whatever pages are still outstanding (left behind by a failed test). */
void host_stubs_reset(void);

#endif
