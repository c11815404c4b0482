/*
 * trace.c — the packet trace: trace=packet[,count=N] on granite's command
 * line makes granite and the toy guests print one line per hop of the first
 * N packets (format: include/granite/trace.h; the hops: docs/packet-path.md;
 * the reader: tools/trace).
 *
 * granite's part is the middle of the TX path, which no guest can see: the
 * grant map of a TX buffer (grant_table.c), the IOMMU entry the policy adds
 * for it or not (iommu.c), what the SMMU would find at the addresses dom0 may
 * hand its NIC (iommu.c), and the SMMU's fault (drivers/smmuv3.c).
 *
 * Assumptions.  A TX buffer is the only thing a domain grant-maps read-only
 * from another (rings, xenstore pages and RX buffers are mapped writable), so
 * "the first N read-only foreign maps" are the first N TX buffers mapped.
 * With persistent grants a buffer is mapped once and reused: later packets
 * have no map (netback's hop 4 says "persistent hit"), and tools/trace ties a
 * map to the packet whose dom0 line names the same gref.
 * Output is bounded by N: at most N maps (with their IOMMU hops), one fault
 * line per traced map, and N faults elsewhere.
 */
#include <stdarg.h>
#include <string.h>
#include <granite/trace.h>
#include <granite/console.h>
#include <granite/errno.h>

unsigned trace_packets;

/* The grants traced so far, for naming the one a fault hits.  A slot is
 * claimed (nr_claimed) before it is written, and its page is stored last
 * (release): a reader seeing page 0 skips the slot, being written.  No grant
 * page is at machine address 0 (no board granite runs on has RAM there). */
static struct traced_grant {
    unsigned mapper, granter, ref;
    u64 page;                 /* 0: not written yet */
    bool faulted;             /* its fault has been traced (the rest are folded) */
} traced[TRACE_COUNT_MAX];
static unsigned nr_claimed, nr_unmatched;

#define TRACE_PREFIX "packet"
#define TRACE_COUNT_KEY ",count="

static int bad(const char *val, const char *why)
{
    printk("options: trace=%s: %s (trace=packet or trace=packet,count=N, N 1..%u)\n", val, why,
           TRACE_COUNT_MAX);
    return -EINVAL;
}

int trace_configure(const char *val)
{
    const char *p;
    unsigned n = 0;

    /* A fresh start (the host tests configure it more than once). */
    trace_packets = 0;
    nr_claimed = nr_unmatched = 0;
    memset(traced, 0, sizeof(traced));
    if (!val)
        return 0;
    if (strncmp(val, TRACE_PREFIX, sizeof(TRACE_PREFIX) - 1))
        return bad(val, "only the packet trace exists");
    p = val + sizeof(TRACE_PREFIX) - 1;
    if (!*p) {
        trace_packets = TRACE_COUNT_DEFAULT;
        return 0;
    }
    if (strncmp(p, TRACE_COUNT_KEY, sizeof(TRACE_COUNT_KEY) - 1))
        return bad(val, "unknown setting");
    p += sizeof(TRACE_COUNT_KEY) - 1;
    if (!*p)
        return bad(val, "count is empty");
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return bad(val, "count is not a decimal number");
        n = n * 10 + (unsigned)(*p - '0');
        if (n > TRACE_COUNT_MAX)
            return bad(val, "count is too large");
    }
    if (!n)
        return bad(val, "count is 0");
    trace_packets = n;
    return 0;
}

bool trace_grant_claim(unsigned mapper, unsigned granter, unsigned ref, pa_t page)
{
    unsigned i;

    /* Checked before counting, so the counter stops near N and never wraps
     * back into range however many maps follow. */
    if (__atomic_load_n(&nr_claimed, __ATOMIC_RELAXED) >= trace_packets)
        return false;
    i = __atomic_fetch_add(&nr_claimed, 1, __ATOMIC_RELAXED);
    if (i >= trace_packets)
        return false;
    traced[i].mapper = mapper;
    traced[i].granter = granter;
    traced[i].ref = ref;
    __atomic_store_n(&traced[i].page, pa_addr(page) & ~(u64)(PAGE_SIZE - 1), __ATOMIC_RELEASE);
    return true;
}

void trace_hv(unsigned hop, const char *where, const char *fmt, ...)
{
    char facts[112];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(facts, sizeof(facts), fmt, ap);
    va_end(ap);
    /* One printk: the line is never split by another CPU's output. */
    printk("trace: tx ? hop %u hv %s: %s\n", hop, where, facts);
}

/*
 * Each traced map gets at most one fault line: a device reads a buffer in
 * several transactions, and the SMMU reports each.  Two maps of the same page
 * (a buffer sent twice, mapped per packet) are told apart by order: a fault
 * goes to the earliest map of its page that has none yet.  Faults at no
 * traced page are traced too (at most trace_packets of them): that a fault
 * hit something else is worth seeing.  Each SMMU reports under its own
 * event-queue lock, so two SMMUs may report at once on two CPUs: `faulted` is
 * taken by atomic exchange and the unmatched count by fetch-add, so a map
 * still gets one line and the unmatched lines stay bounded.  A fault names a
 * grant only if the faulting domain is the one that mapped it (another
 * domain's device at the same address is not that buffer's DMA).
 */
void trace_iommu_fault(unsigned domid, iova_t iova, const char *type)
{
    u64 page = iova_addr(iova) & ~(u64)(PAGE_SIZE - 1);
    unsigned n = __atomic_load_n(&nr_claimed, __ATOMIC_RELAXED);
    bool seen = false;

    for (unsigned i = 0; i < n && i < trace_packets; i++) {
        u64 at = __atomic_load_n(&traced[i].page, __ATOMIC_ACQUIRE);
        if (!at || at != page || traced[i].mapper != domid)
            continue; /* claimed but not yet written, or another page or mapper */
        seen = true;
        if (__atomic_exchange_n(&traced[i].faulted, true, __ATOMIC_RELAXED))
            continue;
        trace_hv(TRACE_HOP_SMMU_FAULT, "smmuv3.c:report_event",
                 "d%u DMA fault %s iova 0x%lx = machine of d%u gref %u", domid, type,
                 iova_addr(iova), traced[i].granter, traced[i].ref);
        return;
    }
    /* Checked before counting, as in trace_grant_claim: the count stops near
     * N and never wraps back into range. */
    if (seen || __atomic_load_n(&nr_unmatched, __ATOMIC_RELAXED) >= trace_packets ||
        __atomic_fetch_add(&nr_unmatched, 1, __ATOMIC_RELAXED) >= trace_packets)
        return;
    trace_hv(TRACE_HOP_SMMU_FAULT, "smmuv3.c:report_event",
             "d%u DMA fault %s iova 0x%lx (no traced grant there)", domid, type, iova_addr(iova));
}
