/*
 * smmuv3.c — the Arm SMMUv3 (IHI 0070): dom0's DMA through granite's tables.
 *
 * How the hardware works, in brief.  Every DMA transaction reaches the SMMU
 * tagged with a StreamID (for PCI, derived from the requester ID through the
 * host bridge's iommu-map).  The SMMU looks the StreamID up in the Stream
 * Table, an array of 64-byte Stream Table Entries (STEs) in memory: each says
 * abort, bypass, or translate — with stage 1 (a Context Descriptor with
 * TTB0/MAIR/ASID, like a process's tables) and/or stage 2 (VTCR-like fields
 * and a table base, like a VM's p2m).  The table may be linear, or two-level
 * (an array of L1 descriptors, each pointing at a block of STEs).
 *
 * Software talks to the SMMU through two rings in memory (spec 3.5): the
 * command queue, where it writes commands (invalidate a cached STE, an IOTLB
 * entry, ...) and advances PROD, the SMMU consuming them and advancing CONS;
 * and the event queue, where the SMMU writes a 32-byte record for each fault
 * and raises an interrupt.  A CMD_SYNC in the command queue completes only
 * when every command before it has taken effect: "invalidate, then sync" is
 * how software knows a stale translation is gone.  Global errors (a bad
 * command, a queue the SMMU could not access) are reported in GERROR.
 *
 * This driver: probes the SMMU from the DTB, resets it with unknown streams
 * aborting (GBPA.ABORT before anything else, abort STEs after), builds the
 * stream table, and serves core/iommu.c through struct iommu_unit_ops:
 * attaching dom0's streams to its context (stage 2 sharing or not sharing the
 * p2m; stage 1 with separate tables when the SMMU has no stage 2), and
 * invalidating.  Events are decoded by name and charged to the domain and
 * device that own the stream.
 *
 * Assumptions: little-endian table walks, 4 KiB granule, AArch64 tables (all
 * checked at probe); wired interrupts (no MSI); no ATS, PRI or stalls; at most
 * 2^16 StreamIDs used (the table covers 16 bits even if the SMMU has more).
 * Encodings live in drivers/smmuv3_format.c, which the host tests check.
 */
#include <libfdt.h>
#include <granite/smmuv3_hw.h>
#include <granite/iommu.h>
#include <granite/boot.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/domain.h>
#include <granite/drivers.h>
#include <granite/errno.h>
#include <granite/mm.h>
#include <granite/memory_map.h>
#include <granite/page_alloc.h>
#include <granite/options.h>
#include <granite/spinlock.h>
#include <granite/trace.h>

#define SMMU_MAX 2
#define SMMU_MAX_STREAMS 32
#define SMMU_MAX_SID_BITS 16        /* the table granite builds covers 2^16 streams */
#define SMMU_CMDQ_LOG2 8            /* 256 commands: 4 KiB */
#define SMMU_EVTQ_LOG2 7            /* 128 events: 4 KiB */
#define SMMU_POLL_TIMEOUT_US 1000000 /* CMD_SYNC, CR0ACK, GBPA: 1 s, as Xen */
#define SMMU_FAULTS_LOGGED 64       /* distinct faults logged per SMMU; the rest are counted */
#define GIC_SPI 0
#define GIC_SPI_BASE 32
#define IRQ_TYPE_EDGE_RISING 1

struct smmu_stream {
    u32 sid;
    struct iommu_ctx *ctx;
    char dev[40];
};

struct smmu {
    volatile u8 *regs;
    pa_t regs_pa;
    char name[48];
    struct smmu_features f;
    struct smmu_strtab_geometry g;
    struct smmu_ste *linear;          /* linear table, or NULL */
    u64 *l1;                          /* 2-level: L1 descriptors */
    struct smmu_ste **l2;             /* 2-level: L2 blocks, allocated on attach, freed
                                         when their last stream goes */
    struct smmu_cmd *cmdq;
    u32 cmdq_prod;
    spinlock_t cmdq_lock;
    u64 (*evtq)[4];
    u32 evtq_cons;
    spinlock_t evtq_lock;
    u32 irq_eventq, irq_gerror;
    struct smmu_stream streams[SMMU_MAX_STREAMS];
    unsigned nr_streams;
    u64 nr_cmds, nr_syncs, nr_events, nr_gerrors, nr_lost;
    /* A device's access split into many bus transactions faults many times
     * on one page: the first fault is logged, the repeats counted (drain). */
    struct smmu_event last;
    u64 nr_logged;
    unsigned repeats;
    u32 gerror_handled;               /* GERROR bits acknowledged so far */
    bool ril;                         /* SMMU_IDR3.RIL: range invalidation */
};

static struct smmu smmus[SMMU_MAX];
static unsigned nr_smmus;

/* --- registers and memory ------------------------------------------------------ */

static u32 rd32(struct smmu *s, u32 off) { return *(volatile u32 *)(s->regs + off); }
static void wr32(struct smmu *s, u32 off, u32 v) { *(volatile u32 *)(s->regs + off) = v; }
static void wr64(struct smmu *s, u32 off, u64 v) { *(volatile u64 *)(s->regs + off) = v; }

/* Make CPU writes to SMMU-read memory visible to it, and the other way round:
 * a non-coherent SMMU (IDR0.COHACC = 0) reads and writes memory, not caches. */
static void to_smmu(struct smmu *s, const void *p, u64 size)
{
    if (!s->f.coherent)
        dcache_clean_range(p, size);
    __asm__ volatile("dsb ishst" ::: "memory");
}

static void from_smmu(struct smmu *s, const void *p, u64 size)
{
    if (!s->f.coherent)
        dcache_inval_range(p, size);
    __asm__ volatile("dsb ld" ::: "memory");
}

static u64 now_us(void) { return arch_counter() * 1000000 / arch_counter_freq(); }

/* Poll until (reg & mask) == want, for at most the timeout.  0 or -ETIMEDOUT. */
static int poll32(struct smmu *s, u32 off, u32 mask, u32 want)
{
    u64 deadline = now_us() + SMMU_POLL_TIMEOUT_US;

    while ((rd32(s, off) & mask) != want)
        if (now_us() > deadline)
            return -ETIMEDOUT;
    return 0;
}

static int write_cr0(struct smmu *s, u32 v)
{
    wr32(s, SMMU_CR0, v);
    if (poll32(s, SMMU_CR0ACK, ~0U, v)) {
        printk("smmu: %s: CR0 0x%x not acknowledged within 1 s (CR0ACK 0x%x): the SMMU is "
               "stuck\n", s->name, v, rd32(s, SMMU_CR0ACK));
        return -ETIMEDOUT;
    }
    return 0;
}

/* SMMU_GBPA: what happens to every transaction while SMMUEN = 0 (spec 6.3.14). */
static int write_gbpa(struct smmu *s, bool abort)
{
    u32 v;

    /* Only ABORT changes; the other attribute fields keep what they say. */
    if (poll32(s, SMMU_GBPA, SMMU_GBPA_UPDATE, 0)) {
        printk("smmu: %s: GBPA busy with an earlier update for 1 s\n", s->name);
        return -ETIMEDOUT;
    }
    v = rd32(s, SMMU_GBPA) & ~(SMMU_GBPA_UPDATE | SMMU_GBPA_ABORT);
    wr32(s, SMMU_GBPA, v | SMMU_GBPA_UPDATE | (abort ? SMMU_GBPA_ABORT : 0));
    if (poll32(s, SMMU_GBPA, SMMU_GBPA_UPDATE, 0)) {
        printk("smmu: %s: GBPA update not completed within 1 s\n", s->name);
        return -ETIMEDOUT;
    }
    return 0;
}

/* --- command queue ---------------------------------------------------------------- */

/* A command the SMMU refused (GERROR.CMDQ_ERR): name it, replace it with a
 * harmless CMD_SYNC so the queue moves on, acknowledge (spec 7.1). */
static void recover_cmdq_error(struct smmu *s)
{
    u32 cons = rd32(s, SMMU_CMDQ_CONS), gerror = rd32(s, SMMU_GERROR);
    unsigned slot = smmu_queue_slot(FIELD_GET(SMMU_Q_CONS_RD, cons), SMMU_CMDQ_LOG2);
    struct smmu_cmd *bad = &s->cmdq[slot];

    printk("smmu: %s: command queue error %s at %s (slot %u, 0x%016lx 0x%016lx): skipped\n",
           s->name, smmu_cmd_error_name(FIELD_GET(SMMU_CMDQ_CONS_ERR, cons)),
           smmu_cmd_name(smmu_cmd_opcode(bad)), slot, bad->dw[0], bad->dw[1]);
    smmu_cmd_sync(bad, SMMU_CMD_SYNC_CS_NONE);
    to_smmu(s, bad, sizeof(*bad));
    s->nr_gerrors++;
    wr32(s, SMMU_GERRORN, (rd32(s, SMMU_GERRORN) & ~SMMU_GERROR_CMDQ_ERR) |
                              (gerror & SMMU_GERROR_CMDQ_ERR));
}

static bool cmdq_error_pending(struct smmu *s)
{
    return (rd32(s, SMMU_GERROR) ^ rd32(s, SMMU_GERRORN)) & SMMU_GERROR_CMDQ_ERR;
}

/* Wait until the SMMU has consumed up to `idx` (lock held). */
static int cmdq_wait_consumed(struct smmu *s, u32 idx, const char *what)
{
    u64 deadline = now_us() + SMMU_POLL_TIMEOUT_US;

    for (;;) {
        u32 cons = FIELD_GET(SMMU_Q_CONS_RD, rd32(s, SMMU_CMDQ_CONS));
        /* Everything before idx consumed: CONS has reached idx, or is less
         * than one lap past it (indices carry a wrap bit above the slot). */
        if (((cons - idx) & ((2U << SMMU_CMDQ_LOG2) - 1)) < (1U << SMMU_CMDQ_LOG2))
            return 0;
        if (cmdq_error_pending(s))
            recover_cmdq_error(s);
        if (now_us() > deadline) {
            printk("smmu: %s: %s timeout: CONS 0x%x PROD 0x%x after 1 s: the SMMU is stuck "
                   "(GERROR 0x%x)\n", s->name, what, rd32(s, SMMU_CMDQ_CONS), s->cmdq_prod,
                   rd32(s, SMMU_GERROR));
            return -ETIMEDOUT;
        }
    }
}

/* Append commands, then a CMD_SYNC, and wait for the sync (spec 4.6.5, 4.7).
 * PROD is written once for the lot (and before any wait for space): each
 * write is a register access the SMMU acts on, the commands are not.
 * With ctx, the commands are invalidations for it, and are counted there. */
static int cmdq_run(struct smmu *s, struct smmu_cmd *cmds, unsigned n, struct iommu_ctx *ctx)
{
    struct smmu_cmd sync;
    u64 f;
    int ret = 0;

    smmu_cmd_sync(&sync, SMMU_CMD_SYNC_CS_NONE);
    f = spin_lock_irqsave(&s->cmdq_lock);
    for (unsigned i = 0; i <= n && !ret; i++) {
        const struct smmu_cmd *c = i < n ? &cmds[i] : &sync;
        /* Full: publish what is queued, then wait until the SMMU has consumed
         * the oldest entry, the one in the slot about to be reused. */
        u32 cons = FIELD_GET(SMMU_Q_CONS_RD, rd32(s, SMMU_CMDQ_CONS));
        if (smmu_queue_full(s->cmdq_prod, cons, SMMU_CMDQ_LOG2)) {
            wr32(s, SMMU_CMDQ_PROD, s->cmdq_prod);
            if ((ret = cmdq_wait_consumed(s, smmu_queue_next(cons, SMMU_CMDQ_LOG2),
                                          "queue space")))
                break;
        }
        struct smmu_cmd *slot = &s->cmdq[smmu_queue_slot(s->cmdq_prod, SMMU_CMDQ_LOG2)];
        *slot = *c;
        to_smmu(s, slot, sizeof(*slot));
        s->cmdq_prod = smmu_queue_next(s->cmdq_prod, SMMU_CMDQ_LOG2);
    }
    /* The commands are in memory (to_smmu) before PROD says so: the
     * register write is ordered after them (Device memory, DSB in to_smmu). */
    wr32(s, SMMU_CMDQ_PROD, s->cmdq_prod);
    if (!ret)
        ret = cmdq_wait_consumed(s, s->cmdq_prod, "CMD_SYNC");
    s->nr_cmds += n;
    s->nr_syncs++;
    spin_unlock_irqrestore(&s->cmdq_lock, f);
    if (ctx) { /* commands charged to a context are its invalidations */
        __atomic_fetch_add(&ctx->stats.tlbi, n, __ATOMIC_RELAXED);
        __atomic_fetch_add(&ctx->stats.syncs, 1, __ATOMIC_RELAXED);
    }
    return ret;
}

static int cmd1(struct smmu *s, struct smmu_cmd c, struct iommu_ctx *ctx) { return cmdq_run(s, &c, 1, ctx); }

/* --- stream table ------------------------------------------------------------------ */

/* The STE of `sid`, creating its L2 block if needed.  NULL if out of range or
 * out of memory. */
static struct smmu_ste *ste_of(struct smmu *s, u32 sid)
{
    if (sid >> s->g.log2size)
        return NULL;
    if (s->linear)
        return &s->linear[sid];
    u32 i = sid >> s->g.split;
    if (!s->l2[i]) {
        u64 bytes = (u64)SMMU_STE_SIZE << s->g.split;
        /* Naturally aligned, as the SMMU reads the L2 pointer's low bits as zero. */
        struct smmu_ste *blk = alloc_pages_contig(bytes >> PAGE_SHIFT,
                                                  (unsigned)__builtin_ctzl(bytes >> PAGE_SHIFT));
        if (!blk)
            return NULL;
        for (u32 j = 0; j < (1U << s->g.split); j++)
            smmu_ste_abort(&blk[j]);
        to_smmu(s, blk, bytes);
        s->l2[i] = blk;
        s->l1[i] = smmu_l1_desc(ptr_to_pa(blk), s->g.split);
        to_smmu(s, &s->l1[i], sizeof(u64));
    }
    return &s->l2[i][sid & ((1U << s->g.split) - 1)];
}

/*
 * Replace a live STE (spec 3.21.3) so that the SMMU never uses a mix of old
 * and new words.  Into translation (from abort): the other words first,
 * invalidate, then dword 0 (V, Config) in one store, invalidate.  Out of
 * translation (to abort): dword 0 first, so the stale S2 fields are never
 * paired with a half-cleared entry (VMID 0, S2TTB 0), invalidate, then the rest.
 */
static int write_ste(struct smmu *s, u32 sid, struct smmu_ste *ste, const struct smmu_ste *val)
{
    bool leaving = FIELD_GET(SMMU_STE0_CONFIG, val->dw[0]) == SMMU_STE0_CONFIG_ABORT;
    struct smmu_cmd c;
    int ret;

    smmu_cmd_cfgi_ste(&c, sid, true);
    if (leaving) {
        *(volatile u64 *)&ste->dw[0] = val->dw[0];
        to_smmu(s, ste, sizeof(*ste));
        if ((ret = cmd1(s, c, NULL)))
            return ret;
    }
    for (unsigned i = 1; i < SMMU_STE_DWORDS; i++)
        ste->dw[i] = val->dw[i];
    to_smmu(s, ste, sizeof(*ste));
    if ((ret = cmd1(s, c, NULL)) || leaving)
        return ret;
    *(volatile u64 *)&ste->dw[0] = val->dw[0];
    to_smmu(s, ste, sizeof(*ste));
    return cmd1(s, c, NULL);
}

static __boot int init_strtab(struct smmu *s)
{
    struct smmu_features capped = s->f;

    capped.sid_bits = MIN(s->f.sid_bits, SMMU_MAX_SID_BITS);
    smmu_strtab_geometry(&capped, &s->g);
    u64 pages = ALIGN_UP(s->g.table_bytes, PAGE_SIZE) >> PAGE_SHIFT;
    /* STRTAB_BASE ignores address bits below the table's size: align to it. */
    unsigned align = 0;
    while ((1UL << align) < pages)
        align++;
    void *table = alloc_pages_contig(pages, align);
    if (!table)
        return -ENOMEM;
    if (s->g.two_level) {
        s->l1 = table; /* zeroed: every L1 descriptor invalid (Span 0) */
        s->l2 = alloc_pages_contig(ALIGN_UP(s->g.l1_entries * sizeof(void *), PAGE_SIZE) >>
                                   PAGE_SHIFT, 0);
        if (!s->l2)
            return -ENOMEM;
    } else {
        s->linear = table;
        for (u64 i = 0; i < (1ULL << s->g.log2size); i++)
            smmu_ste_abort(&s->linear[i]);
    }
    to_smmu(s, table, s->g.table_bytes);
    wr64(s, SMMU_STRTAB_BASE, smmu_strtab_base(ptr_to_pa(table)));
    wr32(s, SMMU_STRTAB_BASE_CFG, smmu_strtab_base_cfg(&s->g));
    if (s->g.two_level)
        printk("smmu: %s: stream table: 2-level, %lu L1 descriptors, %u STEs per L2 block "
               "(allocated on attach, freed with their last stream), %u-bit StreamIDs\n", s->name, s->g.l1_entries,
               1U << s->g.split, s->g.log2size);
    else
        printk("smmu: %s: stream table: linear, %u STEs, all aborting\n", s->name,
               1U << s->g.log2size);
    return 0;
}

static __boot int init_queues(struct smmu *s)
{
    unsigned cmdq_log2 = SMMU_CMDQ_LOG2, evtq_log2 = SMMU_EVTQ_LOG2;

    if (s->f.cmdq_log2 < cmdq_log2 || s->f.eventq_log2 < evtq_log2) {
        printk("smmu: %s: queues smaller than granite's (2^%u commands, 2^%u events)\n",
               s->name, cmdq_log2, evtq_log2);
        return -EINVAL;
    }
    s->cmdq = alloc_pages(0);
    s->evtq = alloc_pages(0);
    if (!s->cmdq || !s->evtq)
        return -ENOMEM;
    to_smmu(s, s->cmdq, PAGE_SIZE);
    to_smmu(s, s->evtq, PAGE_SIZE);
    wr64(s, SMMU_CMDQ_BASE, smmu_queue_base(ptr_to_pa(s->cmdq), cmdq_log2, false));
    wr32(s, SMMU_CMDQ_PROD, 0);
    wr32(s, SMMU_CMDQ_CONS, 0);
    wr64(s, SMMU_EVENTQ_BASE, smmu_queue_base(ptr_to_pa(s->evtq), evtq_log2, true));
    wr32(s, SMMU_EVENTQ_PROD, 0);
    wr32(s, SMMU_EVENTQ_CONS, 0);
    s->cmdq_prod = 0;
    s->evtq_cons = 0;
    return 0;
}

/* --- events and global errors ------------------------------------------------------ */

static struct smmu_stream *stream_of(struct smmu *s, u32 sid)
{
    for (unsigned i = 0; i < s->nr_streams; i++)
        if (s->streams[i].sid == sid)
            return &s->streams[i];
    return NULL;
}

static bool same_page_repeat(const struct smmu_event *a, const struct smmu_event *b)
{
    return a->has_addr && b->has_addr && a->type == b->type && a->sid == b->sid &&
           a->read == b->read &&
           (iova_addr(a->iova) & PAGE_MASK) == (iova_addr(b->iova) & PAGE_MASK);
}

static void flush_repeats(struct smmu *s)
{
    if (s->repeats)
        printk("smmu: %s: ... and %u more %s faults from sid 0x%x in the same page 0x%lx\n",
               s->name, s->repeats, smmu_event_name(s->last.type), s->last.sid,
               iova_addr(s->last.iova) & PAGE_MASK);
    s->repeats = 0;
}

static void report_event(struct smmu *s, const u64 rec[4])
{
    struct smmu_event e;
    struct smmu_stream *st;
    char owner[64];

    s->nr_events++;
    smmu_event_decode(rec, &e);
    st = stream_of(s, e.sid);
    if (st)
        snprintf(owner, sizeof(owner), "d%u device %s", st->ctx->d->id, st->dev);
    else
        snprintf(owner, sizeof(owner), "no domain (stream not attached)");
    if (st && e.has_addr)
        iommu_count_fault(st->ctx, e.iova, e.sid);
    /* Before the folding below: each packet's fault is tied to its grant. */
    if (st && e.has_addr && trace_on())
        trace_iommu_fault(st->ctx->d->id, e.iova, smmu_event_name(e.type));
    if (s->nr_logged && same_page_repeat(&e, &s->last)) {
        s->repeats++;
        return;
    }
    flush_repeats(s);
    s->last = e;
    if (++s->nr_logged > SMMU_FAULTS_LOGGED) {
        if (s->nr_logged == SMMU_FAULTS_LOGGED + 1)
            printk("smmu: %s: further events are counted, not logged\n", s->name);
        return;
    }
    if (e.has_addr)
        printk("smmu: unhandled context fault: type=%s sid=0x%x iova=0x%lx ipa=0x%lx rw=%s "
               "stage=%u %s\n", smmu_event_name(e.type), e.sid, iova_addr(e.iova), ipa_addr(e.ipa),
               e.read ? "read" : "write", e.stage2 ? 2 : 1, owner);
    else
        printk("smmu: event: type=%s (0x%02x) sid=0x%x %s: 0x%016lx 0x%016lx 0x%016lx "
               "0x%016lx\n", smmu_event_name(e.type), e.type, e.sid, owner, rec[0], rec[1],
               rec[2], rec[3]);
}

/* Drain the event queue (spec 3.5.2, 7.3): records between CONS and PROD. */
static void drain_events(struct smmu *s)
{
    u64 f = spin_lock_irqsave(&s->evtq_lock);
    u32 prod = rd32(s, SMMU_EVENTQ_PROD);

    while (!smmu_queue_empty(FIELD_GET(SMMU_Q_PROD_WR, prod), s->evtq_cons, SMMU_EVTQ_LOG2)) {
        const u64 *rec = s->evtq[smmu_queue_slot(s->evtq_cons, SMMU_EVTQ_LOG2)];
        u64 copy[4];
        from_smmu(s, rec, SMMU_EVT_SIZE);
        for (unsigned i = 0; i < 4; i++)
            copy[i] = rec[i];
        s->evtq_cons = smmu_queue_next(s->evtq_cons, SMMU_EVTQ_LOG2);
        wr32(s, SMMU_EVENTQ_CONS, s->evtq_cons | (rd32(s, SMMU_EVENTQ_CONS) & SMMU_Q_CONS_OVACKFLG));
        report_event(s, copy);
        prod = rd32(s, SMMU_EVENTQ_PROD);
    }
    flush_repeats(s);
    /* Overflow: the SMMU toggled OVFLG; acknowledging means copying it to CONS. */
    if ((prod ^ rd32(s, SMMU_EVENTQ_CONS)) & SMMU_Q_PROD_OVFLG) {
        s->nr_lost++;
        printk("smmu: %s: event queue overflowed: events were lost\n", s->name);
        wr32(s, SMMU_EVENTQ_CONS, s->evtq_cons | (prod & SMMU_Q_PROD_OVFLG));
    }
    spin_unlock_irqrestore(&s->evtq_lock, f);
}

static void handle_gerror(struct smmu *s)
{
    u32 gerror = rd32(s, SMMU_GERROR), active = gerror ^ rd32(s, SMMU_GERRORN);
    char names[160];

    if (!active)
        return;
    s->nr_gerrors++;
    smmu_gerror_names(active, names, sizeof(names));
    printk("smmu: %s: global error: %s (GERROR 0x%x)\n", s->name, names, gerror);
    if (active & SMMU_GERROR_CMDQ_ERR) {
        u64 f = spin_lock_irqsave(&s->cmdq_lock);
        if (cmdq_error_pending(s))
            recover_cmdq_error(s);
        spin_unlock_irqrestore(&s->cmdq_lock, f);
        active &= ~SMMU_GERROR_CMDQ_ERR;
    }
    /* Acknowledge the rest: GERRORN bits equal to GERROR bits mean "seen". */
    wr32(s, SMMU_GERRORN, (rd32(s, SMMU_GERRORN) & ~active) | (gerror & active));
}

static void smmu_irq(u32 intid)
{
    for (unsigned i = 0; i < nr_smmus; i++) {
        struct smmu *s = &smmus[i];
        if (intid == s->irq_eventq)
            drain_events(s);
        if (intid == s->irq_gerror)
            handle_gerror(s);
    }
}

/* --- unit operations ----------------------------------------------------------------- */

static void smmu_enable(void *unit, bool translate)
{
    struct smmu *s = unit;

    if (!translate) {
        /* iommu=off: SMMUEN stays 0 and GBPA lets everything through. */
        if (!write_gbpa(s, false))
            printk("smmu: %s: disabled, incoming transactions bypass it (iommu=off): "
                   "dom0's devices DMA to physical addresses, unisolated\n", s->name);
        return;
    }
    if (!write_cr0(s, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN))
        printk("smmu: %s: enabled: streams granite attaches translate, every other stream "
               "aborts\n", s->name);
}

static int smmu_ctx_init(void *unit, struct iommu_ctx *ctx)
{
    struct smmu *s = unit;
    struct smmu_cd *cd;

    if (s->f.s2)
        return 0; /* the STE alone describes stage 2 */
    if (ctx->pt.root_order) {
        printk("smmu: %s: stage-1 tables need a single root page; the %u-bit geometry has a "
               "concatenated one\n", s->name, ctx->pt.ia_bits);
        return -EINVAL;
    }
    cd = alloc_pages(0);
    if (!cd)
        return -ENOMEM;
    smmu_cd_s1(cd, &(struct smmu_s1_config){ .asid = ctx->asid, .ttb0 = ctx->ttb,
                                               .t0sz = 64 - ctx->pt.ia_bits,
                                               .ips_field = s->f.oas_field,
                                               .mair = arch_iommu_s1_mair() });
    to_smmu(s, cd, sizeof(*cd));
    ctx->unit_priv = cd;
    return 0;
}

static void ste_for(struct smmu *s, struct iommu_ctx *ctx, struct smmu_ste *ste)
{
    if (s->f.s2) {
        const struct stage2_geometry *g = stage2_geometry();
        unsigned ps = FIELD_GET(GENMASK(18, 16), g->vtcr); /* VTCR_EL2.PS */
        smmu_ste_s2(ste, &(struct smmu_s2_config){ .vmid = ctx->vmid, .vtcr = g->vtcr,
                                                    .ps_field = MIN(ps, s->f.oas_field),
                                                    .ttb = ctx->ttb });
    } else {
        smmu_ste_s1(ste, ptr_to_pa(ctx->unit_priv));
    }
    /* SHCFG/PRIVCFG are reserved unless IDR1 says the overrides exist (QEMU: not). */
    smmu_ste_drop_unsupported_overrides(ste, &s->f);
}

static int smmu_attach(void *unit, struct iommu_ctx *ctx, u32 sid, const char *dev)
{
    struct smmu *s = unit;
    struct smmu_ste *ste = ste_of(s, sid), val;
    int ret;

    if (!ste) {
        printk("smmu: %s: %s: StreamID 0x%x is beyond the %u-bit stream table\n", s->name, dev,
               sid, s->g.log2size);
        return -ERANGE;
    }
    if (s->nr_streams == SMMU_MAX_STREAMS) {
        printk("smmu: %s: %s: more than %d streams\n", s->name, dev, SMMU_MAX_STREAMS);
        return -ENOSPC;
    }
    ste_for(s, ctx, &val);
    if ((ret = write_ste(s, sid, ste, &val)))
        return ret;
    s->streams[s->nr_streams].sid = sid;
    s->streams[s->nr_streams].ctx = ctx;
    snprintf(s->streams[s->nr_streams].dev, sizeof(s->streams[0].dev), "%s", dev);
    s->nr_streams++;
    if (s->f.s2)
        printk("smmu: %s: sid 0x%x (%s) -> d%u: stage 2, VMID %u, S2TTB 0x%lx, "
               "STE 0x%016lx 0x%016lx 0x%016lx 0x%016lx\n", s->name, sid, dev, ctx->d->id,
               ctx->vmid, pa_addr(ctx->ttb), val.dw[0], val.dw[1], val.dw[2], val.dw[3]);
    else
        printk("smmu: %s: sid 0x%x (%s) -> d%u: stage 1, ASID %u, TTB0 0x%lx\n", s->name, sid,
               dev, ctx->d->id, ctx->asid, pa_addr(ctx->ttb));
    return 0;
}

/* Stage 1: granite invalidates by ASID only, never by address: a range is
 * "too many commands", so core/iommu.c asks for the whole context (and
 * counts it as such). */
static unsigned by_asid_only(u64 pages unused) { return ~0U; }

static void tlbi_all_cmd(struct smmu *s, struct iommu_ctx *ctx, struct smmu_cmd *c)
{
    if (s->f.s2)
        smmu_cmd_tlbi_s12_vmall(c, ctx->vmid);
    else
        smmu_cmd_tlbi_nh_asid(c, 0, ctx->asid);
}

static void smmu_flush_all(void *unit, struct iommu_ctx *ctx)
{
    struct smmu *s = unit;
    struct smmu_cmd c;

    tlbi_all_cmd(s, ctx, &c);
    cmd1(s, c, ctx);
}

#define FLUSH_BATCH 16

static void smmu_flush_range(void *unit, struct iommu_ctx *ctx, iova_t at, u64 size)
{
    struct smmu *s = unit;
    struct smmu_cmd cmds[FLUSH_BATCH];
    unsigned n = 0;

    if (!s->f.s2) {
        smmu_flush_all(unit, ctx); /* stage 1: by ASID */
        return;
    }
    /* Not leaf-only: a removed table may be cached by the walk too. */
    for (u64 a = ALIGN_DOWN(iova_addr(at), PAGE_SIZE); a < iova_addr(at) + size && n < FLUSH_BATCH;
         a += PAGE_SIZE)
        smmu_cmd_tlbi_s2_ipa(&cmds[n++], ctx->vmid, iova(a), false);
    cmdq_run(s, cmds, n, ctx);
}

/* The range form only with SMMU_IDR3.RIL: without it TG/NUM/SCALE are RES0. */
static unsigned ranges_to_cmds(struct smmu *s, struct iommu_ctx *ctx, const struct iommu_range *r,
                               unsigned nr, struct smmu_cmd *cmds, unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < nr; i++) {
        iova_t a = r[i].start;
        for (u64 left = r[i].pages; left && n < max; n++) {
            u64 done = 1;
            if (s->ril)
                done = smmu_cmd_tlbi_s2_ipa_range(&cmds[n], ctx->vmid, a, left);
            else
                smmu_cmd_tlbi_s2_ipa(&cmds[n], ctx->vmid, a, false);
            if (done > left)
                done = left;
            left -= done;
            a = iova_add(a, done << PAGE_SHIFT);
        }
    }
    return n;
}

/* Invalidate each range (not leaf-only: a removed table may be cached by the
 * walk too), one CMD_SYNC for all.  core/iommu.c asks only when the ranges
 * fit in IOMMU_INVAL_MAX_CMDS commands; anything beyond FLUSH_BATCH is
 * covered by invalidating everything instead. */
static void smmu_flush_ranges(void *unit, struct iommu_ctx *ctx, const struct iommu_range *r,
                              unsigned nr)
{
    struct smmu *s = unit;
    struct smmu_cmd cmds[FLUSH_BATCH];
    u64 pages = 0;
    unsigned n;

    for (unsigned i = 0; i < nr; i++)
        pages += r[i].pages;
    if (!s->f.s2 || (!s->ril && pages > FLUSH_BATCH) ||
        (n = ranges_to_cmds(s, ctx, r, nr, cmds, FLUSH_BATCH)) == FLUSH_BATCH) {
        smmu_flush_all(unit, ctx); /* stage 1 (by ASID), or too many commands */
        return;
    }
    cmdq_run(s, cmds, n, ctx);
}

/* Median of a few values (sorted in place; n small). */
static u64 median(u64 *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j && v[j - 1] > v[j]; j--) {
            u64 t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

#define MEASURE_RUNS 33
#define MEASURE_MAX_K 32

/* Counter ticks for `n` commands + CMD_SYNC, median of MEASURE_RUNS (charged
 * to no context: these are not the domain's invalidations). */
static u64 time_cmds(struct smmu *s, struct smmu_cmd *cmds, unsigned n)
{
    u64 t[MEASURE_RUNS];

    for (unsigned i = 0; i < MEASURE_RUNS; i++) {
        u64 t0 = arch_counter();
        cmdq_run(s, cmds, n, NULL);
        t[i] = arch_counter() - t0;
    }
    return median(t, MEASURE_RUNS);
}

/*
 * iommu_measure=on: what each invalidation form costs on this unit, in EL2
 * counter ticks, medians: one CMD_TLBI_S12_VMALL + sync against k
 * CMD_TLBI_S2_IPA (k pages) + sync, and against one range-form command of k
 * pages when the unit has RIL.  IOMMU_INVAL_MAX_CMDS was chosen from these.
 */
static void smmu_measure(void *unit, struct iommu_ctx *ctx)
{
    static struct smmu_cmd cmds[MEASURE_MAX_K];
    struct smmu *s = unit;
    u64 vmall, empty;

    if (!s->f.s2) {
        printk("smmu: %s: measure: stage 1 only: invalidation is by ASID, nothing to weigh\n",
               s->name);
        return;
    }
    empty = time_cmds(s, cmds, 0);
    tlbi_all_cmd(s, ctx, &cmds[0]);
    vmall = time_cmds(s, cmds, 1);
    printk("smmu: %s: measure: counter %lu Hz; CMD_SYNC alone %lu ticks; CMD_TLBI_S12_VMALL + "
           "sync %lu ticks; RIL %s\n", s->name, arch_counter_freq(), empty, vmall,
           s->ril ? "yes" : "no");
    for (unsigned k = 1; k <= MEASURE_MAX_K; k *= 2) {
        u64 ipa_ticks, range_ticks = 0;
        iova_t ram = iova_of_ipa(ctx->d->ram_base); /* where the domain's devices see its RAM */
        for (unsigned i = 0; i < k; i++)
            smmu_cmd_tlbi_s2_ipa(&cmds[i], ctx->vmid, iova_add(ram, i * PAGE_SIZE), false);
        ipa_ticks = time_cmds(s, cmds, k);
        if (s->ril) {
            smmu_cmd_tlbi_s2_ipa_range(&cmds[0], ctx->vmid, ram, k);
            range_ticks = time_cmds(s, cmds, 1);
        }
        printk("smmu: %s: measure: k=%u: %u x CMD_TLBI_S2_IPA + sync %lu ticks (%ld vs "
               "VMALL); one range command of %u pages + sync %lu ticks\n", s->name, k, k,
               ipa_ticks, (long)(ipa_ticks - vmall), k, range_ticks);
    }
}

/*
 * The L2 block holding `sid`, once no attached stream lives in it, goes back
 * to the page allocator (it was allocated on the first attach in it: without
 * this a domain's end would leave it behind).  Order (spec 3.21.3 and 4.3,
 * as for an STE): the L1 descriptor made invalid (Span 0: streams in the
 * block then abort, as before their first attach), the SMMU's cached copies
 * of it and of the block's STEs invalidated (CFGI_ALL, which also covers L1
 * descriptors, then CMD_SYNC: cmd1), and only then the pages freed.  If the
 * sync fails the SMMU may still walk the block: it is kept (a leak, said).
 */
static void release_unused_l2(struct smmu *s, u32 sid)
{
    u32 i = sid >> s->g.split;
    u64 bytes = (u64)SMMU_STE_SIZE << s->g.split;
    struct smmu_cmd c;

    if (s->linear || !s->l2[i])
        return;
    for (unsigned k = 0; k < s->nr_streams; k++)
        if (s->streams[k].sid >> s->g.split == i)
            return;
    *(volatile u64 *)&s->l1[i] = 0;
    to_smmu(s, &s->l1[i], sizeof(u64));
    smmu_cmd_cfgi_all(&c);
    if (cmd1(s, c, NULL)) {
        printk("smmu: %s: L2 block %u (sids 0x%x-0x%x): invalidation not confirmed: block "
               "kept\n", s->name, i, i << s->g.split, ((i + 1) << s->g.split) - 1);
        /* Kept, so point the L1 descriptor at it again: ste_of() only writes
         * one when it allocates the block, and a later attach must be seen. */
        s->l1[i] = smmu_l1_desc(ptr_to_pa(s->l2[i]), s->g.split);
        to_smmu(s, &s->l1[i], sizeof(u64));
        return;
    }
    free_pages_contig(s->l2[i], bytes >> PAGE_SHIFT);
    s->l2[i] = NULL;
}

static void smmu_ctx_destroy(void *unit, struct iommu_ctx *ctx)
{
    struct smmu *s = unit;
    struct smmu_ste abort_ste;
    struct smmu_cmd c;

    smmu_ste_abort(&abort_ste);
    for (unsigned i = 0; i < s->nr_streams;) {
        struct smmu_stream *st = &s->streams[i];
        if (st->ctx != ctx) {
            i++;
            continue;
        }
        u32 sid = st->sid;
        write_ste(s, sid, ste_of(s, sid), &abort_ste);
        printk("smmu: %s: sid 0x%x (%s): aborting (d%u is gone)\n", s->name, sid, st->dev,
               ctx->d->id);
        *st = s->streams[--s->nr_streams];
        release_unused_l2(s, sid);
    }
    tlbi_all_cmd(s, ctx, &c);
    cmd1(s, c, ctx);
    if (ctx->unit_priv) {
        free_pages(ctx->unit_priv, 0);
        ctx->unit_priv = NULL;
    }
}

static void smmu_dump(void *unit)
{
    struct smmu *s = unit;

    drain_events(s);
    printk("smmu: dump: %s: CR0 0x%x GERROR 0x%x GERRORN 0x%x CMDQ prod 0x%x cons 0x%x, "
           "EVENTQ cons 0x%x; %lu commands, %lu CMD_SYNC, %lu events, %lu global errors\n",
           s->name, rd32(s, SMMU_CR0), rd32(s, SMMU_GERROR), rd32(s, SMMU_GERRORN),
           rd32(s, SMMU_CMDQ_PROD), rd32(s, SMMU_CMDQ_CONS), s->evtq_cons, s->nr_cmds,
           s->nr_syncs, s->nr_events, s->nr_gerrors);
    for (unsigned i = 0; i < s->nr_streams; i++)
        printk("smmu: dump: %s: sid 0x%x -> d%u (%s)\n", s->name, s->streams[i].sid,
               s->streams[i].ctx->d->id, s->streams[i].dev);
}

/* An opcode the architecture does not define (spec 4.1: CERROR_ILL), then a
 * sync: the queue stalls, GERROR.CMDQ_ERR rises, and the recovery path names
 * the command, skips it and lets the sync complete. */
#define SMMU_CMD_ILLEGAL_OPCODE 0xff

static void smmu_selftest_bad_command(void *unit)
{
    struct smmu *s = unit;
    struct smmu_cmd bad = { .dw = { SMMU_CMD_ILLEGAL_OPCODE, 0 } };
    int ret = cmdq_run(s, &bad, 1, NULL);

    printk("smmu: %s: selftest: the queue %s after the illegal command\n", s->name,
           ret ? "did NOT recover" : "recovered");
    handle_gerror(s);
}

static const struct iommu_unit_ops smmu_ops = {
    .selftest_bad_command = smmu_selftest_bad_command,
    .enable = smmu_enable,
    .ctx_init = smmu_ctx_init,
    .attach = smmu_attach,
    .flush_range = smmu_flush_range,
    .flush_all = smmu_flush_all,
    .flush_ranges = smmu_flush_ranges,
    .measure = smmu_measure,
    .ctx_destroy = smmu_ctx_destroy,
    .dump = smmu_dump,
};

/* --- probe ------------------------------------------------------------------------------ */

/* The GIC INTID of the interrupt named `name`, or 0. */
static __boot u32 named_irq(const void *fdt, int node, const char *name, bool *edge)
{
    int idx = fdt_stringlist_search(fdt, node, "interrupt-names", name), len;
    const fdt32_t *irqs = fdt_getprop(fdt, node, "interrupts", &len);

    if (idx < 0 || !irqs || len < (idx + 1) * 12)
        return 0;
    irqs += idx * 3;
    if (fdt32_to_cpu(irqs[0]) != GIC_SPI)
        return 0;
    *edge = (fdt32_to_cpu(irqs[2]) & 0xf) == IRQ_TYPE_EDGE_RISING;
    return fdt32_to_cpu(irqs[1]) + GIC_SPI_BASE;
}

static __boot void wire_irq(u32 intid, bool edge)
{
    irq_take_for_granite(intid, smmu_irq, edge);
}

static __boot int check_features(struct smmu *s, const char **why)
{
    if (!s->f.aarch64_tables)
        *why = "the SMMU cannot walk AArch64 tables";
    else if (!s->f.gran4k)
        *why = "the SMMU does not support the 4 KiB granule";
    else if (s->f.ttendian == SMMU_IDR0_TTENDIAN_BE)
        *why = "the SMMU walks big-endian tables only";
    else if (!s->f.s1 && !s->f.s2)
        *why = "the SMMU translates at neither stage";
    else
        return 0;
    return -ENODEV;
}

static __boot void log_features(struct smmu *s)
{
    const struct smmu_features *f = &s->f;

    printk("smmu: %s: stage 1 %s, stage 2 %s, AArch64 tables, %s stream table, %u-bit "
           "StreamIDs, %u-bit SubstreamIDs, queues: cmd 2^%u evt 2^%u pri 2^%u, OAS %u bits, "
           "%s, MSI %s, VMID %u bits%s%s\n", s->name, f->s1 ? "yes" : "no", f->s2 ? "yes" : "no",
           f->two_level_strtab ? "2-level or linear" : "linear only", f->sid_bits, f->ssid_bits,
           f->cmdq_log2, f->eventq_log2, f->priq_log2, f->oas_bits,
           f->coherent ? "coherent" : "non-coherent (tables and queues cleaned to memory)",
           f->msi ? "yes (unused: wired interrupts)" : "no", f->vmid16 ? 16 : 8,
           f->hyp ? ", EL2 streams" : "", f->ats ? ", ATS (unused)" : "");
}

static __boot int reset(struct smmu *s, const char **why)
{
    /* Abort anything that arrives while granite rebuilds the tables. */
    if (write_gbpa(s, true) || write_cr0(s, 0)) {
        *why = "the SMMU does not respond to GBPA/CR0";
        return -ETIMEDOUT;
    }
    wr32(s, SMMU_CR1, FIELD_PREP(SMMU_CR1_TABLE_SH, SMMU_SH_ISH) |
                          FIELD_PREP(SMMU_CR1_TABLE_OC, SMMU_CR1_CACHE_WB) |
                          FIELD_PREP(SMMU_CR1_TABLE_IC, SMMU_CR1_CACHE_WB) |
                          FIELD_PREP(SMMU_CR1_QUEUE_SH, SMMU_SH_ISH) |
                          FIELD_PREP(SMMU_CR1_QUEUE_OC, SMMU_CR1_CACHE_WB) |
                          FIELD_PREP(SMMU_CR1_QUEUE_IC, SMMU_CR1_CACHE_WB));
    /* PTM: granite invalidates with commands, never relies on broadcast TLBI;
     * RECINVSID: a StreamID beyond the table is reported, not silently dropped. */
    wr32(s, SMMU_CR2, SMMU_CR2_PTM | SMMU_CR2_RECINVSID);
    if (init_strtab(s) || init_queues(s)) {
        *why = "no memory for the SMMU's stream table and queues";
        return -ENOMEM;
    }
    if (write_cr0(s, SMMU_CR0_CMDQEN)) {
        *why = "the command queue does not start";
        return -ETIMEDOUT;
    }
    /* Forget whatever configuration and translations the SMMU cached before us. */
    struct smmu_cmd cmds[3];
    unsigned n = 0;
    smmu_cmd_cfgi_all(&cmds[n++]);
    smmu_cmd_tlbi_nsnh_all(&cmds[n++]);
    if (s->f.hyp)
        smmu_cmd_tlbi_el2_all(&cmds[n++]);
    if (cmdq_run(s, cmds, n, NULL)) {
        *why = "the SMMU does not complete CMD_SYNC";
        return -ETIMEDOUT;
    }
    if (write_cr0(s, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN)) {
        *why = "the event queue does not start";
        return -ETIMEDOUT;
    }
    if (s->f.msi) { /* no MSI: a zero address means "use the wired interrupt" */
        wr64(s, SMMU_EVENTQ_IRQ_CFG0, 0);
        wr64(s, SMMU_GERROR_IRQ_CFG0, 0);
    }
    wr32(s, SMMU_IRQ_CTRL, SMMU_IRQ_CTRL_EVENTQ_IRQEN | SMMU_IRQ_CTRL_GERROR_IRQEN);
    if (poll32(s, SMMU_IRQ_CTRLACK, ~0U, SMMU_IRQ_CTRL_EVENTQ_IRQEN | SMMU_IRQ_CTRL_GERROR_IRQEN)) {
        *why = "IRQ_CTRL not acknowledged";
        return -ETIMEDOUT;
    }
    return 0;
}

static __boot int smmuv3_probe(const void *fdt, int node, const char **why)
{
    struct smmu *s;
    int ac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node));
    int sc = fdt_size_cells(fdt, fdt_parent_offset(fdt, node)), len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    bool edge = true;
    u64 base, size;
    int ret;

    if (nr_smmus == SMMU_MAX) {
        /* Not driven, but never left bypassing: everything behind it aborts. */
        if (reg && ac >= 1 && sc >= 1 && len >= (ac + sc) * 4) {
            struct smmu spare = { .regs = ioremap(pa(dt_read_cells(reg, ac)),
                                                  dt_read_cells(reg + ac, sc)) };
            snprintf(spare.name, sizeof(spare.name), "%s", fdt_get_name(fdt, node, NULL));
            if (spare.regs && !write_gbpa(&spare, true) && !write_cr0(&spare, 0)) {
                printk("smmu: %s: granite drives at most %d SMMUs: this one is disabled with "
                       "every transaction aborting\n", spare.name, SMMU_MAX);
                return 0;
            }
        }
        *why = dt_node_msg(fdt, node, "an SMMU granite neither drives nor could disable");
        return -ENODEV;
    }
    if (!reg || ac < 1 || sc < 1 || len < (ac + sc) * 4) {
        *why = dt_node_msg(fdt, node, "missing or short 'reg'");
        return -EINVAL;
    }
    base = dt_read_cells(reg, ac);
    size = dt_read_cells(reg + ac, sc);
    if (size < SMMU_EVENTQ_CONS + 4) {
        *why = dt_node_msg(fdt, node, "'reg' is smaller than the SMMU's two 64 KiB pages");
        return -EINVAL;
    }
    s = &smmus[nr_smmus];
    *s = (struct smmu){ .regs_pa = pa(base), .cmdq_lock = SPINLOCK_INIT(LOCK_SMMU_CMDQ),
                        .evtq_lock = SPINLOCK_INIT(LOCK_SMMU_EVTQ) };
    snprintf(s->name, sizeof(s->name), "%s", fdt_get_name(fdt, node, NULL));
    s->regs = ioremap(s->regs_pa, size);
    if (!s->regs) {
        *why = "cannot map the SMMU's registers";
        return -ENOMEM;
    }
    if (smmu_decode_features(rd32(s, SMMU_IDR0), rd32(s, SMMU_IDR1), rd32(s, SMMU_IDR5), &s->f)) {
        *why = dt_node_msg(fdt, node, "IDR0/IDR1/IDR5 hold reserved values");
        return -ENODEV;
    }
    s->ril = rd32(s, SMMU_IDR3) & SMMU_IDR3_RIL;
    printk("smmu: %s: SMMUv3 at 0x%lx (IDR0 0x%x IDR1 0x%x IDR3 0x%x IDR5 0x%x)%s\n", s->name,
           base, rd32(s, SMMU_IDR0), rd32(s, SMMU_IDR1), rd32(s, SMMU_IDR3), rd32(s, SMMU_IDR5),
           s->ril ? ", range invalidation (RIL)" : "");
    log_features(s);
    if (opt_str("smmu_stage")) {
        /* opt_choice gives the index in the list: index 0 is "1". */
        enum { STAGE_1, STAGE_2 };
        static const char *const stages[] = { [STAGE_1] = "1", [STAGE_2] = "2", NULL };
        int stage = opt_choice("smmu_stage", stages, -1);
        if (stage < 0 || (stage == STAGE_1 && !s->f.s1) || (stage == STAGE_2 && !s->f.s2)) {
            *why = "smmu_stage: 1 or 2, and a stage this SMMU implements";
            return -EINVAL;
        }
        if (stage == STAGE_1 && s->f.s2) {
            /* The stage-1 fallback, on hardware that could do better: how it
             * is tested where no stage-1-only SMMU is at hand. */
            s->f.s2 = false;
            printk("smmu: %s: smmu_stage=1: stage 2 left unused, as if absent\n", s->name);
        }
    }
    if ((ret = check_features(s, why)) || (ret = reset(s, why)))
        return ret;
    s->irq_eventq = named_irq(fdt, node, "eventq", &edge);
    if (s->irq_eventq)
        wire_irq(s->irq_eventq, edge);
    else
        printk("smmu: %s: no wired 'eventq' interrupt: events are read at each dump only\n",
               s->name);
    s->irq_gerror = named_irq(fdt, node, "gerror", &edge);
    if (s->irq_gerror)
        wire_irq(s->irq_gerror, edge);
    nr_smmus++;
    return iommu_register_unit(&(struct iommu_unit){
        .name = s->name, .phandle = fdt_get_phandle(fdt, node), .stage2 = s->f.s2,
        .stage1 = s->f.s1, .coherent = s->f.coherent, .ias_bits = s->f.oas_bits,
        .oas_bits = s->f.oas_bits, .ops = &smmu_ops, .priv = s,
        /* What smmu_flush_ranges will issue: range commands, or one per page. */
        .range_cmds = !s->f.s2 ? by_asid_only : s->ril ? smmu_tlbi_range_cmds : NULL });
}

/* Reset it aborting and register it with core/iommu.c (iommu_register_unit). */
static const struct driver smmuv3_driver = {
    .name = "smmuv3", .class = DRIVER_IOMMU, .compatible = "arm,smmu-v3", .probe = smmuv3_probe,
};
DRIVER_REGISTER(smmuv3_driver);
