/*
 * map_dump.c — dump=maps: the address spaces, printed for tools/picture.
 *
 * A snapshot prints, one grep-able "map: " line each:
 *   - the IOMMU policy and the host memory no domain gets (granite's image,
 *     the DTB, /reserved-memory: "reserved");
 *   - for each live domain, its stage-2 map (IPA -> PA) and what its IOMMU
 *     context translates (IOVA -> PA: with iommu_pt=shared that is the p2m
 *     itself, said so; with separate tables, those), as runs: contiguous
 *     entries of one kind merged, each grant page on its own line with its
 *     granter and ref; and the IPA ranges granite emulates (vGIC, vPL011);
 *   - the grant mappings and the IOMMU faults seen since boot (each fault
 *     with what its address translates to at the snapshot: "none" in seed 000).
 * Lines are bounded: at most MAX_RUNS_SHOWN runs per table (the rest counted),
 * MAX_GRANTS_SEEN grant mappings (when full, the oldest one no longer mapped
 * gives way: the live ones and the latest stay), MAX_FAULTS_SEEN faults.
 *
 * When: a snapshot is printed on Ctrl-A e (core/console_input.c; the closing
 * counter dump every network scenario types) and when a domain ends, before
 * its tables go (core/domain.c).  The run's last moment is not enough for
 * grant mappings: a toy netback maps a TX page, hands its address to the NIC
 * and unmaps it after the packet, so by any later dump the mapping is gone,
 * and the SMMU reports a fault asynchronously, when the mapping may be gone
 * too (dumping from the SMMU's interrupt would also mean taking p2m locks
 * under its event-queue lock, against the lock order).  So every grant map
 * and unmap is recorded here as it happens — mapper, granter, ref, IPA,
 * machine page, whether the mapper's devices reach the page at bus address ==
 * machine address (the 1:1 entry of seed 000's fix), and how often — and so
 * is every fault (domain, stream, address).  The picture draws the record
 * beside the live runs.
 *
 * Assumptions: the walkers take the table's own lock (p2m, IOMMU tables)
 * and print nothing under it (the runs are kept, then printed); the record
 * has its own lock, ranked after those and after the grant table's, so a walk
 * may consult it and core/grant_table.c records each map and unmap in the
 * critical section that creates or removes the handle (an unmap can then
 * never come before its map's record).  The hooks are called only when
 * map_dump_enabled() (an inline check: off, no call is made).
 * A snapshot runs where no lock is held (an interrupt taken in a guest or
 * idle, a domain's end); two at once would interleave, so the second is
 * skipped, saying so.
 */
#include <granite/map_dump.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/domain.h>
#include <granite/errno.h>
#include <granite/iommu.h>
#include <granite/options.h>
#include <granite/p2m.h>

#define MAX_RUNS_SHOWN 64
#define MAX_GRANTS_SEEN 32
#define MAX_FAULTS_SEEN 16
#define MAX_RESERVED_SHOWN 12
#define MAX_EMULATED 4

struct grant_seen {
    u16 mapper, granter;
    u32 ref;
    u64 ipa, page;
    bool readonly, one_to_one;
    u32 maps, unmaps;
};

struct fault_seen {
    u16 domid;
    u32 sid;
    u64 iova;        /* the first fault's address; the key is its page */
    u32 count;
};

struct reserved_region {
    const char *what;
    u64 start, size;
};

bool map_dump_on;
static struct reserved_region reserved[MAX_RESERVED_SHOWN];
static unsigned nr_reserved;

static spinlock_t record_lock = SPINLOCK_INIT(LOCK_MAP_RECORD);
static struct grant_seen grants[MAX_GRANTS_SEEN];
static unsigned nr_grants, grants_unrecorded;
static struct fault_seen faults[MAX_FAULTS_SEEN];
static unsigned nr_faults, faults_unrecorded;

static unsigned snapshots;
static bool dumping;

int map_dump_init(void)
{
    static const char *const modes[] = { "none", "maps", NULL };
    int mode = opt_choice("dump", modes, 0);

    if (mode < 0)
        return -EINVAL;
    map_dump_on = mode == 1;
    return 0;
}

void map_dump_note_reserved(const char *what, pa_t start, u64 size)
{
    if (nr_reserved < MAX_RESERVED_SHOWN)
        reserved[nr_reserved++] = (struct reserved_region){ what, pa_addr(start), size };
}

/* ------------------------------------------------------------------------ */
/* The record                                                                */
/* ------------------------------------------------------------------------ */

/* Full: drop the oldest mapping no longer mapped, so that the record keeps
 * the live ones and the latest (those near a fault).  Record lock held. */
static bool forget_oldest_unmapped(void)
{
    for (unsigned i = 0; i < nr_grants; i++) {
        if (grants[i].maps != grants[i].unmaps)
            continue;
        for (unsigned j = i + 1; j < nr_grants; j++)
            grants[j - 1] = grants[j];
        nr_grants--;
        grants_unrecorded++;
        return true;
    }
    return false;
}

/* The entry for this mapping (record lock held); NULL if absent and not created. */
static struct grant_seen *grant_slot(unsigned mapper, unsigned granter, u32 ref, u64 at,
                                     u64 page, bool create)
{
    for (unsigned i = 0; i < nr_grants; i++) {
        struct grant_seen *g = &grants[i];
        if (g->mapper == mapper && g->granter == granter && g->ref == ref && g->ipa == at &&
            g->page == page)
            return g;
    }
    if (!create)
        return NULL;
    if (nr_grants == MAX_GRANTS_SEEN && !forget_oldest_unmapped()) {
        grants_unrecorded++;   /* every one recorded is still mapped */
        return NULL;
    }
    grants[nr_grants] = (struct grant_seen){ .mapper = (u16)mapper, .granter = (u16)granter,
                                             .ref = ref, .ipa = at, .page = page };
    return &grants[nr_grants++];
}

void map_dump_note_grant_map(struct domain *mapper, unsigned granter, u32 ref, ipa_t at,
                             pa_t page, bool readonly)
{
    struct grant_seen *g;
    pa_t reached;
    bool one_to_one;

    /* Asked now, while the mapping exists: do the mapper's devices reach the
     * page at its machine address (the dev_bus_addr it was handed)? */
    one_to_one = iommu_translates(mapper, iova_of_pa_1to1(page), &reached) &&
                 pa_addr(reached) == pa_addr(page);
    spin_lock(&record_lock);
    g = grant_slot(mapper->id, granter, ref, ipa_addr(at), pa_addr(page), true);
    if (g) {
        g->maps++;
        g->readonly = readonly;
        g->one_to_one = one_to_one;
    }
    spin_unlock(&record_lock);
}

void map_dump_note_grant_unmap(struct domain *mapper, unsigned granter, u32 ref, ipa_t at,
                               pa_t page)
{
    struct grant_seen *g;

    spin_lock(&record_lock);
    g = grant_slot(mapper->id, granter, ref, ipa_addr(at), pa_addr(page), false);
    if (g)
        g->unmaps++;
    spin_unlock(&record_lock);
}

void map_dump_note_fault(struct domain *d, iova_t iova, u32 sid)
{
    u64 page = iova_addr(iova) & PAGE_MASK;
    unsigned i;

    spin_lock(&record_lock);
    for (i = 0; i < nr_faults; i++)
        if (faults[i].domid == d->id && faults[i].sid == sid &&
            (faults[i].iova & PAGE_MASK) == page)
            break;
    if (i < nr_faults)
        faults[i].count++;
    else if (nr_faults < MAX_FAULTS_SEEN)
        faults[nr_faults++] = (struct fault_seen){ (u16)d->id, sid, iova_addr(iova), 1 };
    else
        faults_unrecorded++;
    spin_unlock(&record_lock);
}

/* The granter and ref of the live grant mapping at `at` in mapper's p2m. */
static bool live_grant_at(unsigned mapper, u64 at, unsigned *granter, u32 *ref)
{
    bool found = false;

    spin_lock(&record_lock);
    for (unsigned i = nr_grants; i-- && !found;) {
        const struct grant_seen *g = &grants[i];
        /* != as forget_oldest_unmapped: the u32 counters may wrap. */
        if (g->mapper == mapper && g->ipa == at && g->maps != g->unmaps) {
            *granter = g->granter;
            *ref = g->ref;
            found = true;
        }
    }
    spin_unlock(&record_lock);
    return found;
}

/* ------------------------------------------------------------------------ */
/* Runs                                                                      */
/* ------------------------------------------------------------------------ */

static const char *kind_name(unsigned type)
{
    switch ((p2m_type_t)type) {
    case p2m_ram_rw: return "ram";
    case p2m_ram_ro: return "ram-ro";
    case p2m_mmio_direct_dev: return "mmio";
    case p2m_mmio_direct_nc: return "mmio-nc";
    case p2m_grant_map_rw: return "grant";
    case p2m_grant_map_ro: return "grant-ro";
    case p2m_iommu_map_rw: return "iommu";
    case p2m_iommu_map_ro: return "iommu-ro";
    default: return "unknown";
    }
}

static bool is_grant(unsigned type) { return type == p2m_grant_map_rw || type == p2m_grant_map_ro; }

struct run {
    u64 ia, oa, size;
    unsigned type;
    bool grant_recorded;  /* a grant page the record names: granter, ref */
    unsigned granter;
    u32 ref;
};

/*
 * One table's walk.  The walk runs under the table's lock with interrupts
 * masked, so it prints nothing: it keeps the first MAX_RUNS_SHOWN runs
 * (and counts the rest), printed after the lock is dropped.  The kept runs
 * live in a static array, not on the 16 KiB EL2 stack: one snapshot at a
 * time (`dumping`), and its walks one after another, so one array serves.
 */
struct walk {
    unsigned domid;
    const char *space;   /* "ipa" or "iova" */
    struct run cur;      /* size 0: none yet */
    unsigned runs, kept;
};

static struct run kept_runs[MAX_RUNS_SHOWN];

static void keep_run(struct walk *w)
{
    struct run *r = &w->cur;

    w->runs++;
    if (w->kept == MAX_RUNS_SHOWN)
        return;
    /* Asked now, while the walk holds the table as it is (the record's lock
     * ranks after the tables'). */
    if (is_grant(r->type))
        r->grant_recorded = live_grant_at(w->domid, r->ia, &r->granter, &r->ref);
    kept_runs[w->kept++] = *r;
}

/* pt_leaf_fn: merge a leaf into the current run, or keep that run and
 * start another.  A grant page is a run of its own (its granter and ref). */
static void add_leaf(void *arg, u64 ia, pa_t oa, u64 size, unsigned type)
{
    struct walk *w = arg;
    struct run *r = &w->cur;

    if (r->size && type == r->type && !is_grant(type) && ia == r->ia + r->size &&
        pa_addr(oa) == r->oa + r->size) {
        r->size += size;
        return;
    }
    if (r->size)
        keep_run(w);
    *r = (struct run){ .ia = ia, .oa = pa_addr(oa), .size = size, .type = type };
}

/* After the walk, its lock dropped: the last run kept, then all printed. */
static void end_walk(struct walk *w)
{
    if (w->cur.size)
        keep_run(w);
    for (unsigned i = 0; i < w->kept; i++) {
        const struct run *r = &kept_runs[i];
        char grant[40] = "";
        if (r->grant_recorded)
            snprintf(grant, sizeof(grant), " d%u gref %u", r->granter, r->ref);
        else if (is_grant(r->type))
            snprintf(grant, sizeof(grant), " unrecorded");
        printk("map: d%u %s 0x%lx-0x%lx -> pa 0x%lx-0x%lx %s%s%s\n", w->domid, w->space,
               r->ia, r->ia + r->size, r->oa, r->oa + r->size, kind_name(r->type), grant,
               r->ia == r->oa ? " 1:1" : "");
    }
    if (w->runs > w->kept)
        printk("map: d%u %s %u more run(s) not shown\n", w->domid, w->space,
               w->runs - w->kept);
}

/* ------------------------------------------------------------------------ */
/* A snapshot                                                                */
/* ------------------------------------------------------------------------ */

static void dump_domain(struct domain *d)
{
    struct walk ipa_walk = { .domid = d->id, .space = "ipa" };
    struct walk iova_walk = { .domid = d->id, .space = "iova" };
    struct emulated_region emul[MAX_EMULATED];
    unsigned n = arch_emulated_regions(d, emul, MAX_EMULATED);
    bool shared = false;
    int ret;

    printk("map: domain d%u %s direct_map %s state %s\n", d->id, d->name,
           d->direct_map ? "yes" : "no", d->state == DOM_RUNNING ? "running" : "ending");
    for (unsigned i = 0; i < n; i++)
        printk("map: d%u emul ipa 0x%lx-0x%lx %s\n", d->id, emul[i].base,
               emul[i].base + emul[i].size, emul[i].name);
    if (d->uart.present)
        printk("map: d%u emul ipa 0x%lx-0x%lx vpl011\n", d->id, d->uart.base,
               d->uart.base + VPL011_SIZE);
    p2m_for_each_entry(&d->p2m, add_leaf, &ipa_walk);
    end_walk(&ipa_walk);
    /* The IOVA space is walked even when it is the p2m: the lines then say
     * so, and a reader needs no knowledge of the policy to draw them. */
    ret = iommu_for_each_entry(d, add_leaf, &iova_walk, &shared);
    if (ret) {
        printk("map: d%u iova none (no IOMMU context)\n", d->id);
        return;
    }
    end_walk(&iova_walk);
    printk("map: d%u iova tables %s\n", d->id, shared ? "shared (the p2m)" : "separate");
}

/* Whether d's tables may be read: running, or the ending domain the
 * snapshot is for (its tables go after the snapshot).  Any other domain from
 * domain_by_id may be ended and being released by another CPU right now: its
 * tables are not walked (pt_lookup also refuses a released, NULL root). */
static bool tables_readable(const struct domain *d, const struct domain *ending)
{
    return d && (d == ending || __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == DOM_RUNNING);
}

static void dump_record(struct domain *ending)
{
    /* Copies (one snapshot at a time: `dumping`), printed after: the
     * record's lock is not held while printing. */
    static struct grant_seen g[MAX_GRANTS_SEEN];
    static struct fault_seen f[MAX_FAULTS_SEEN];
    unsigned ng, nf, gu, fu;

    spin_lock(&record_lock);
    ng = nr_grants;
    nf = nr_faults;
    gu = grants_unrecorded;
    fu = faults_unrecorded;
    for (unsigned i = 0; i < ng; i++)
        g[i] = grants[i];
    for (unsigned i = 0; i < nf; i++)
        f[i] = faults[i];
    spin_unlock(&record_lock);

    for (unsigned i = 0; i < ng; i++)
        printk("map: grant d%u from d%u gref %u ipa 0x%lx pa 0x%lx %s one_to_one %s maps %u "
               "unmaps %u\n", g[i].mapper, g[i].granter, g[i].ref, g[i].ipa, g[i].page,
               g[i].readonly ? "ro" : "rw", g[i].one_to_one ? "yes" : "no", g[i].maps,
               g[i].unmaps);
    if (gu)
        printk("map: grant %u more mapping(s) not recorded (or forgotten, being old)\n", gu);
    for (unsigned i = 0; i < nf; i++) {
        /* And what the device would reach there now (nothing, in seed 000). */
        struct domain *d = domain_by_id(f[i].domid);
        pa_t now;
        if (tables_readable(d, ending) && iommu_translates(d, iova(f[i].iova), &now))
            printk("map: fault d%u sid 0x%x iova 0x%lx count %u translates pa 0x%lx\n",
                   f[i].domid, f[i].sid, f[i].iova, f[i].count, pa_addr(now));
        else
            printk("map: fault d%u sid 0x%x iova 0x%lx count %u translates none\n", f[i].domid,
                   f[i].sid, f[i].iova, f[i].count);
    }
    if (fu)
        printk("map: fault %u more fault page(s) not recorded\n", fu);
}

void map_dump(const char *why, struct domain *ending)
{
    char policy[300];
    unsigned n;

    if (!map_dump_enabled())
        return;
    if (__atomic_exchange_n(&dumping, true, __ATOMIC_ACQUIRE)) {
        printk("map: snapshot (%s) skipped: another is being printed\n", why);
        return;
    }
    n = ++snapshots;
    printk("map: begin %u %s\n", n, why);
    iommu_policy_describe(iommu_policy(), policy, sizeof(policy));
    printk("map: policy %s\n", policy);
    for (unsigned i = 0; i < nr_reserved; i++)
        printk("map: reserved pa 0x%lx-0x%lx %s\n", reserved[i].start,
               reserved[i].start + reserved[i].size, reserved[i].what);
    for (unsigned id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_by_id(id);
        if (tables_readable(d, ending))
            dump_domain(d);
    }
    dump_record(ending);
    printk("map: end %u\n", n);
    __atomic_store_n(&dumping, false, __ATOMIC_RELEASE);
}
