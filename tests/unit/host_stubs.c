/*
 * host_stubs.c — the rest of the hypervisor, as the host unit tests need it.
 *
 * The code under test (core/p2m.c, core/options.c, core/boot_dt.c, ...) calls
 * into the console, the locks, the page allocator and the stage-2 TLB code.
 * On the host those become recorders: see host_stubs.h for what a test can
 * inspect.  snprintf/vsnprintf/strcmp/... are the host C library's.
 */
#include <granite/dlog.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <granite/console.h>
#include <granite/domain.h>
#include <granite/drivers.h>
#include <granite/spinlock.h>
#include <granite/mm.h>
#include <granite/arch.h>
#include <granite/p2m.h>
#include <granite/trace.h>
#include <granite/iommu.h>
#include "host_stubs.h"

/* stage2.c is linked into test_stage2 only: the others get a NULL here. */
#pragma weak stage2_geometry_for

/* --- printk ---------------------------------------------------------------- */

static char log_lines[HOST_LOG_LINES][HOST_LOG_LINE_LEN];
static unsigned log_count;             /* complete lines since the last clear */
static char log_partial[HOST_LOG_LINE_LEN];
static size_t log_partial_len;

void host_log_clear(void)
{
    memset(log_lines, 0, sizeof(log_lines));
    log_count = 0;
    log_partial_len = 0;
    log_partial[0] = '\0';
}

unsigned host_log_count(void) { return log_count; }

const char *host_log_last(void)
{
    return log_count ? log_lines[(log_count - 1) % HOST_LOG_LINES] : "";
}

bool host_log_contains(const char *needle)
{
    unsigned n = log_count < HOST_LOG_LINES ? log_count : HOST_LOG_LINES;

    for (unsigned i = 0; i < n; i++)
        if (strstr(log_lines[(log_count - 1 - i) % HOST_LOG_LINES], needle))
            return true;
    return strstr(log_partial, needle) != NULL;
}

static void log_putc(char c)
{
    if (c == '\n') {
        memcpy(log_lines[log_count % HOST_LOG_LINES], log_partial, log_partial_len + 1);
        log_count++;
        log_partial_len = 0;
        log_partial[0] = '\0';
        return;
    }
    if (log_partial_len + 1 < sizeof(log_partial)) {
        log_partial[log_partial_len++] = c;
        log_partial[log_partial_len] = '\0';
    }
}

static bool log_quiet;

void host_log_quiet(bool quiet) { log_quiet = quiet; }

void vprintk(const char *fmt, va_list ap)
{
    char buf[2048];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    if (!log_quiet) {
        fputs("    [printk] ", stdout);
        fwrite(buf, 1, (size_t)n, stdout);
        if (n == 0 || buf[n - 1] != '\n')
            fputc('\n', stdout); /* keep cmocka's own output readable */
    }
    for (int i = 0; i < n; i++)
        log_putc(buf[i]);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

/* Every page these tests hand a p2m comes from the host allocator stub: all RAM.
 * Weak: a test that wants some pages not to be RAM defines its own. */
__attribute__((weak)) bool mm_pa_range_is_ram(pa_t p, u64 len)
{
    (void)p;
    return len != 0;
}

/* Guest-caused lines (core/dlog.c in granite): the tests want to see each one,
 * so here they are printed at once, with no rate limit. */
void dlog(struct domain *d, const char *fmt, ...)
{
    va_list ap;
    (void)d;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void dlog_domid(unsigned domid, const char *fmt, ...)
{
    va_list ap;
    (void)domid;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

noreturn_fn void panic(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    print_error("panic() called: %s\n", buf);
    fail();
    abort(); /* fail() returns only outside a running test */
}

/* --- event log ------------------------------------------------------------ */

struct host_event host_events[HOST_MAX_EVENTS];
unsigned host_nr_events;
bool host_events_overflowed;

void host_events_clear(void)
{
    host_nr_events = 0;
    host_events_overflowed = false;
}

static struct host_event *new_event(enum host_ev_kind kind)
{
    struct host_event *e;

    if (host_nr_events == HOST_MAX_EVENTS) {
        static struct host_event scratch;
        host_events_overflowed = true;
        memset(&scratch, 0, sizeof(scratch));
        return &scratch;
    }
    e = &host_events[host_nr_events++];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    return e;
}

int host_event_find(enum host_ev_kind kind, unsigned from)
{
    for (unsigned i = from; i < host_nr_events; i++)
        if (host_events[i].kind == kind)
            return (int)i;
    return -1;
}

unsigned host_event_count(enum host_ev_kind kind)
{
    unsigned n = 0;
    for (unsigned i = 0; i < host_nr_events; i++)
        n += host_events[i].kind == kind;
    return n;
}

/* --- locks: no-ops that leave a trace -------------------------------------- */

/* The lock order is checked only where core/lock_order.c is linked in. */
__attribute__((weak)) void lock_order_acquire(const spinlock_t *l unused) {}
__attribute__((weak)) void lock_order_release(const spinlock_t *l unused) {}

void spin_lock(spinlock_t *l)
{
    lock_order_acquire(l);
    new_event(HEV_LOCK)->ptr = l;
    l->locked = 1;
}

void spin_unlock(spinlock_t *l)
{
    lock_order_release(l);
    new_event(HEV_UNLOCK)->ptr = l;
    l->locked = 0;
}

u64 spin_lock_irqsave(spinlock_t *l)
{
    spin_lock(l);
    return 0;
}

void spin_unlock_irqrestore(spinlock_t *l, u64 flags unused) { spin_unlock(l); }

/* --- page allocator ------------------------------------------------------- */

#define MAX_LIVE_ALLOCS 8192
static struct { void *p; unsigned order; } live[MAX_LIVE_ALLOCS];
static unsigned nr_live;
static long pages_outstanding;
static int fail_countdown = -1;

long host_pages_outstanding(void) { return pages_outstanding; }
void host_alloc_fail_after(int n) { fail_countdown = n; }

void *alloc_pages(unsigned order)
{
    size_t size = PAGE_SIZE << order;
    void *p;

    if (fail_countdown == 0) {
        fail_countdown = -1;
        return NULL;
    }
    if (fail_countdown > 0)
        fail_countdown--;
    if (nr_live == MAX_LIVE_ALLOCS)
        return NULL;
    p = aligned_alloc(size, size);
    if (!p)
        return NULL;
    memset(p, 0, size);
    live[nr_live].p = p;
    live[nr_live].order = order;
    nr_live++;
    pages_outstanding += 1L << order;
    {
        struct host_event *e = new_event(HEV_ALLOC);
        e->ptr = p;
        e->order = order;
    }
    return p;
}

void free_pages(void *p, unsigned order)
{
    struct host_event *e;

    for (unsigned i = 0; i < nr_live; i++) {
        if (live[i].p != p)
            continue;
        if (live[i].order != order) {
            print_error("free_pages(%p, %u): allocated with order %u\n", p, order, live[i].order);
            fail();
        }
        live[i] = live[--nr_live];
        pages_outstanding -= 1L << order;
        e = new_event(HEV_FREE);
        e->ptr = p;
        e->order = order;
        free(p);
        return;
    }
    print_error("free_pages(%p, %u): not from alloc_pages() or already freed\n", p, order);
    fail();
}

/* --- stage 2: geometry and TLB maintenance --------------------------------- */

static struct stage2_geometry geometry;
static bool geometry_set;

void host_set_stage2_geometry(const struct stage2_geometry *g)
{
    geometry = *g;
    geometry_set = true;
}

void host_reset_stage2_geometry(void) { geometry_set = false; }

const struct stage2_geometry *stage2_geometry(void)
{
    if (!geometry_set) {
        if (!stage2_geometry_for || stage2_geometry_for(5 /* 48-bit */, 2 /* 16-bit VMID */,
                                                        &geometry)) {
            print_error("stage2_geometry(): no default geometry (stage2.c not linked?)\n");
            fail();
        }
        geometry_set = true;
    }
    return &geometry;
}

static void s2_write_desc(struct pgtable *pt unused, u64 *slot, u64 d)
{
    struct host_event *e = new_event(HEV_WRITE);
    e->slot = slot;
    e->old = *slot;
    e->val = d;
    *slot = d;
}

static void s2_sync(struct pgtable *pt unused) { new_event(HEV_SYNC); }

static void s2_flush_ia(struct pgtable *pt unused, pt_ia_t ia, unsigned level)
{
    struct host_event *e = new_event(HEV_FLUSH_IA);
    e->ia = pt_ia_addr(ia);
    e->level = level;
}

static void s2_flush_all(struct pgtable *pt unused) { new_event(HEV_FLUSH_ALL); }

const struct pt_hooks stage2_hooks = {
    .write_desc = s2_write_desc,
    .sync = s2_sync,
    .flush_ia = s2_flush_ia,
    .flush_all = s2_flush_all,
};

void arch_stage2_flush_vmid(u16 vmid, u64 vttbr)
{
    struct host_event *e = new_event(HEV_FLUSH_VMID);
    e->vmid = vmid;
    e->vttbr = vttbr;
}

/* The IOMMU layer's p2m hook: no IOMMU on the build machine (test_iommu links
 * core/iommu.c's). */
__attribute__((weak)) void iommu_p2m_changed(struct domain *d unused, ipa_t at unused,
                                             pa_t p unused, u64 size unused, unsigned type unused) {}

/* dump=maps records (core/map_dump.c): off in the host tests, unless a test
 * turns it on and records the notes itself (test_grant_table). */
__attribute__((weak)) bool map_dump_on;
__attribute__((weak)) void map_dump_note_grant_map(struct domain *m unused, unsigned g unused,
                                                   u32 r unused, ipa_t at unused, pa_t p unused,
                                                   bool ro unused) {}
__attribute__((weak)) void map_dump_note_grant_unmap(struct domain *m unused, unsigned g unused,
                                                     u32 r unused, ipa_t at unused,
                                                     pa_t p unused) {}
__attribute__((weak)) void map_dump_note_fault(struct domain *d unused, iova_t iova unused,
                                               u32 sid unused) {}

#define HOST_UNIT_BLOCKS 32

void host_unit_attach(struct domain *d, const struct domain_unit *u)
{
    static struct {
        const struct domain_unit *u;
        unsigned id;
        void *state;
    } blocks[HOST_UNIT_BLOCKS];
    unsigned i;

    for (i = 0; i < HOST_UNIT_BLOCKS && blocks[i].u && (blocks[i].u != u || blocks[i].id != d->id);
         i++)
        ;
    if (i == HOST_UNIT_BLOCKS)
        abort();
    if (!blocks[i].u)
        blocks[i] = (typeof(blocks[i])){ u, d->id, aligned_alloc(64, ALIGN_UP(u->state_size, 64)) };
    memset(blocks[i].state, 0, u->state_size);
    if (u->init(d, blocks[i].state))
        abort();
}

void host_stubs_reset(void)
{
    /* Pages a failed test left behind: free them so the next test starts at 0. */
    while (nr_live) {
        nr_live--;
        free(live[nr_live].p);
    }
    pages_outstanding = 0;
    host_log_clear();
    host_events_clear();
    fail_countdown = -1;
    geometry_set = false;
}

/* One CPU on the host (per-CPU state of the code under test: index 0). */
__attribute__((weak)) unsigned this_cpu(void) { return 0; }
/* The IOMMU batch brackets (core/iommu.c) around code under test: nothing. */
__attribute__((weak)) void iommu_batch_begin(void) {}
__attribute__((weak)) void iommu_batch_end(void) {}
/* The driver table (drivers/driver_table.c) as the host sees it: two
 * console drivers, the PL011's and the Cadence UART's compatibles. */
__attribute__((weak)) const struct driver *driver_by_compatible(enum driver_class class,
                                                                const char *compatible)
{
    static const struct driver pl011 = { .name = "pl011 (host stub)", .class = DRIVER_CONSOLE,
                                         .compatible = "arm,pl011" };
    static const struct driver cadence = { .name = "cadence-uart (host stub)",
                                           .class = DRIVER_CONSOLE,
                                           .compatible = "cdns,uart-r1p12" };
    if (class != DRIVER_CONSOLE)
        return NULL;
    if (!strcmp(compatible, pl011.compatible))
        return &pl011;
    return !strcmp(compatible, cadence.compatible) ? &cadence : NULL;
}

/* The packet trace (core/trace.c) is off in host tests: the hooks' symbols
 * only.  A test of core/trace.c itself links the real ones. */
__attribute__((weak)) unsigned trace_packets;
__attribute__((weak)) bool trace_grant_claim(unsigned mapper unused, unsigned granter unused,
                                             unsigned ref unused, pa_t page unused)
{
    return false;
}
__attribute__((weak)) void trace_hv(unsigned hop unused, const char *where unused,
                                    const char *fmt unused, ...)
{
}
__attribute__((weak)) void trace_iommu_fault(unsigned domid unused, iova_t iova unused,
                                             const char *type unused)
{
}
__attribute__((weak)) void iommu_trace_grant(struct domain *mapper unused, pa_t page unused,
                                             ipa_t host_addr unused)
{
}
