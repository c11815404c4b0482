/*
 * domain.c — domain lifetime: create, end, release, and the end of the run.
 *
 * Ending a domain (domain_end) may happen on any CPU: from a trap of one of its
 * own vCPUs, or from elsewhere.  It marks every vCPU dead and kicks the CPUs
 * they are pinned to.  A CPU drops a dead vCPU at its next scheduling point.
 * The domain's memory is released only when none of its vCPUs is loaded on
 * any CPU any more (domain_vcpu_unloaded): no CPU can then be using its
 * stage-2 tables or pages.  The last domain released switches the machine off,
 * with exit status 0 if every domain switched itself off and 1 if any was
 * destroyed by granite.
 *
 * A domain's subsystems are its units (struct domain_unit, domain.h):
 * units[] below lists them in the order domain_create sets them up; a
 * domain's end (dying) and release (destroy) run them in reverse.  Their
 * state sits in the domain's slot here, so it outlives the domain.
 */
#include <string.h>
#include <granite/domain.h>
#include <granite/iommu.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/page_alloc.h>
#include <granite/mm.h>
#include <granite/memory_map.h>
#include <granite/sched.h>
#include <granite/errno.h>
#include <granite/grant_table.h>
#include <granite/event_channel.h>
#include <granite/xen_guest.h>
#include <public/xen.h>
#include <granite/guest_console.h>
#include <granite/map_dump.h>


/*
 * Each domain's structure sits between two canaries: a write that runs off
 * the end of one (a guest-sized copy into a buffer in it, say) hits a canary
 * before it hits the next domain, and the check at each release -- and after
 * the last one -- says so instead of letting it pass silently.
 */
#define CANARY_WORDS 4
#define CANARY_VALUE 0x6772616e69746521UL /* "granite!" */

/* Room in each slot for its units' state (their state_size, each rounded up
 * to UNIT_STATE_ALIGN); units_check() says at boot if it is too small.
 * The vGIC (11.3 KiB with 192 INTIDs) and the event channels (12.1 KiB) are
 * most of it. */
#define UNIT_STATE_BYTES (28 * 1024)
#define UNIT_STATE_ALIGN 64

struct domain_slot {
    u64 canary_before[CANARY_WORDS];
    struct domain d;
    u64 canary_after[CANARY_WORDS];
    unsigned nr_loaded;       /* its vCPUs loaded on a CPU now (atomic) */
    bool released;            /* try_release has run: under domains_lock */
    u8 unit_state[UNIT_STATE_BYTES] __attribute__((aligned(UNIT_STATE_ALIGN)));
};

static struct domain_slot slots[MAX_DOMAINS];
#define domains(i) (slots[i].d)
static spinlock_t domains_lock = SPINLOCK_INIT(LOCK_DOMAINS);
static unsigned nr_started, nr_released, nr_destroyed;

struct domain *domain_by_id(unsigned id)
{
    return id < MAX_DOMAINS && domains(id).state != DOM_FREE ? &domains(id) : NULL;
}

static int p2m_unit_init(struct domain *d, void *state unused)
{
    return p2m_init(&d->p2m, d, (u16)(d->id + 1)); /* VMID = id + 1: unique, never 0 */
}

static void p2m_unit_destroy(struct domain *d) { p2m_destroy(&d->p2m); }

static const struct domain_unit p2m_unit = {
    .name = "p2m", .init = p2m_unit_init, .destroy = p2m_unit_destroy,
};

/*
 * A domain's units, in the order they are set up; a domain ends (dying) and
 * is released (destroy) in the reverse order.  Each depends only on those
 * before it:
 *   vGIC            first and last: an event or interrupt that arrives while
 *                   the others go away still finds it (it has no destroy);
 *   vcpu_info and runstate records  where events and steal time are written
 *                   (vcpu_op.c, runstate.c): records only, nothing to undo;
 *   event channels  they write only shared_info, freed after every unit, and
 *                   close after the p2m is gone, as granite always has;
 *   p2m             the stage-2 table the next two read;
 *   grant table     its dying unmaps what the domain mapped of others; its
 *                   destroy tells concurrent maps and copies the domain is
 *                   gone before the p2m they read is freed;
 *   IOMMU context   its devices stop translating before the tables they walk
 *                   go, and before the grant table unpins pages whose IOMMU
 *                   entries may have stayed.
 */
static const struct domain_unit *const units[] = {
    &arch_vgic_unit, &xen_guest_unit, &runstate_unit, &evtchn_unit, &p2m_unit, &gnttab_unit,
    &iommu_unit,
};

static u64 unit_bytes(const struct domain_unit *u)
{
    return ALIGN_UP(u->state_size, UNIT_STATE_ALIGN);
}

static void units_destroy(struct domain *d, unsigned nr)
{
    while (nr--)
        if (units[nr]->destroy)
            units[nr]->destroy(d);
}

static void units_dying(struct domain *d)
{
    for (unsigned i = ARRAY_SIZE(units); i--;)
        if (units[i]->dying)
            units[i]->dying(d);
}

static int units_init(struct domain *d, u8 *state)
{
    for (unsigned i = 0; i < ARRAY_SIZE(units); i++) {
        int ret;
        memset(state, 0, units[i]->state_size);
        ret = units[i]->init ? units[i]->init(d, state) : 0;
        if (ret) {
            printk("domain: d%u: cannot set up its %s: %d\n", d->id, units[i]->name, ret);
            units_destroy(d, i);
            return ret;
        }
        state += unit_bytes(units[i]);
    }
    return 0;
}

/* Whether every unit's state fits a slot (a build-time size, checked once). */
static void units_check(void)
{
    u64 bytes = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(units); i++)
        bytes += unit_bytes(units[i]);
    if (bytes > UNIT_STATE_BYTES)
        panic("domain: the units' state needs %lu bytes a domain, UNIT_STATE_BYTES is %d",
              bytes, UNIT_STATE_BYTES);
}

struct domain *domain_create(unsigned id, const char *name, unsigned nr_vcpus)
{
    struct domain *d;

    if (id >= MAX_DOMAINS || domains(id).state != DOM_FREE) {
        printk("domain: cannot create d%u: id in use or out of range (0..%d)\n", id,
               MAX_DOMAINS - 1);
        return NULL;
    }
    if (nr_vcpus == 0 || nr_vcpus > MAX_VCPUS) {
        printk("domain: d%u: %u vCPUs requested, 1..%d supported\n", id, nr_vcpus, MAX_VCPUS);
        return NULL;
    }
    d = &domains(id);
    d->id = id;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->nr_vcpus = nr_vcpus;
    d->psci_lock = (spinlock_t)SPINLOCK_INIT(LOCK_PSCI);
    d->console_lock = (spinlock_t)SPINLOCK_INIT(LOCK_GUEST_CONSOLE);
    d->vcpus_dead = false;
    dlog_init(&d->log);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        d->vcpu[i].d = d;
        d->vcpu[i].id = i;
        d->vcpu[i].state = VCPU_OFFLINE;
    }
    if (units_init(d, slots[id].unit_state))
        return NULL;
    d->state = DOM_BUILDING;
    return d;
}

int domain_copy_to(struct domain *d, ipa_t dst, const void *src, u64 len)
{
    const u8 *s = src;

    while (len) {
        u64 n = MIN(len, PAGE_SIZE - (ipa_addr(dst) & ~PAGE_MASK));
        pa_t p;
        p2m_type_t t;
        if (p2m_lookup(&d->p2m, dst, &p, &t) || (t != p2m_ram_rw && t != p2m_ram_ro)) {
            printk("domain: d%u: IPA 0x%lx is not RAM\n", d->id, ipa_addr(dst));
            return -EFAULT;
        }
        memcpy(pa_to_ptr(p), s, n);
        /* The guest starts with its MMU and caches off: push the data to memory. */
        dcache_clean_range(pa_to_ptr(p), n);
        dst = ipa_add(dst, n);
        s += n;
        len -= n;
    }
    return 0;
}

/* A page another domain still has grant-mapped outlives its owner: it is
 * freed by domain_release_page() when the last mapping goes. */
static u64 free_chunk(const struct ram_chunk *c, u64 *kept)
{
    u64 freed = 0, run = 0;
    u8 *base = c->pages;

    for (u64 i = 0; i <= c->nr_pages; i++) {
        bool busy = i < c->nr_pages && gnttab_page_in_use(ptr_to_pa(base + i * PAGE_SIZE));
        if (i < c->nr_pages && !busy) {
            run++;
            continue;
        }
        if (run) {
            iommu_ram_changed(NULL, ptr_to_pa(base + (i - run) * PAGE_SIZE), run << PAGE_SHIFT,
                              false);
            free_pages_contig(base + (i - run) * PAGE_SIZE, run); /* scrubbed */
        }
        freed += run;
        run = 0;
        if (busy)
            (*kept)++;
    }
    return freed;
}

static u64 release_memory(struct domain *d)
{
    u64 pages = 0, kept = 0;

    units_destroy(d, ARRAY_SIZE(units));
    if (d->shared_info) {
        free_pages(d->shared_info, 0);
        d->shared_info = NULL;
    }
    for (unsigned i = 0; i < d->nr_chunks; i++)
        pages += free_chunk(&d->chunks[i], &kept);
    d->nr_chunks = 0;
    if (kept)
        printk("domain: d%u: %lu page(s) still grant-mapped by other domains: kept until "
               "unmapped\n", d->id, kept);
    return pages;
}

void domain_release_page(pa_t page)
{
    /* A relaxed dom0's devices could reach it: not any more, before it is reused. */
    iommu_ram_changed(NULL, page, PAGE_SIZE, false);
    free_pages_contig(pa_to_ptr(page), 1);
    printk("domain: a dead domain's page 0x%lx, unmapped at last, scrubbed and returned; "
           "%lu pages free\n", pa_addr(page), page_alloc_free_pages());
}

void domain_discard(struct domain *d, const char *why)
{
    printk("domain: d%u (%s) discarded before it ran: %s\n", d->id, d->name, why);
    release_memory(d);
    d->state = DOM_FREE;
}

static void canaries_set(void)
{
    for (unsigned i = 0; i < MAX_DOMAINS; i++)
        for (unsigned w = 0; w < CANARY_WORDS; w++)
            slots[i].canary_before[w] = slots[i].canary_after[w] = CANARY_VALUE;
}

/* The number of canary words overwritten around every domain's structure
 * (each one named in the log). */
static unsigned canaries_check(void)
{
    unsigned bad = 0;

    for (unsigned i = 0; i < MAX_DOMAINS; i++) {
        for (unsigned w = 0; w < CANARY_WORDS; w++) {
            if (slots[i].canary_before[w] != CANARY_VALUE) {
                printk("domain: CANARY before domain slot %u, word %u: 0x%lx\n", i, w,
                       slots[i].canary_before[w]);
                bad++;
            }
            if (slots[i].canary_after[w] != CANARY_VALUE) {
                printk("domain: CANARY after domain slot %u, word %u: 0x%lx\n", i, w,
                       slots[i].canary_after[w]);
                bad++;
            }
        }
    }
    return bad;
}

static u64 free_baseline;
void domains_baseline(void)
{
    free_baseline = page_alloc_free_pages();
    canaries_set();
    units_check();
}

void domains_started(unsigned count)
{
    u64 f = spin_lock_irqsave(&domains_lock);
    nr_started = count;
    spin_unlock_irqrestore(&domains_lock, f);
}

void domain_console_line(struct domain *d, const char *prefix, const char *buf, u64 len)
{
    console_write_line(prefix, buf, len);
    (void)d;
}

static void flush_console(struct domain *d)
{
    guest_console_flush(d);   /* under the console's own lock: a vCPU may still be writing */
    vpl011_flush(&d->uart);
}

/* Release the domain once it has ended and no CPU has any of its vCPUs loaded. */
static void try_release(struct domain *d)
{
    u64 f, pages;
    bool last;

    f = spin_lock_irqsave(&domains_lock);
    /* All three: ended, every vCPU already DEAD (a vCPU still blocked could be
     * woken and loaded again), and none loaded anywhere. */
    if (slots[d->id].released || !__atomic_load_n(&d->vcpus_dead, __ATOMIC_SEQ_CST) ||
        __atomic_load_n(&slots[d->id].nr_loaded, __ATOMIC_SEQ_CST) ||
        (d->state != DOM_ENDED_CLEAN && d->state != DOM_DESTROYED)) {
        spin_unlock_irqrestore(&domains_lock, f);
        return;
    }
    slots[d->id].released = true;
    spin_unlock_irqrestore(&domains_lock, f);
    if (sched_domain_loaded_anywhere(d))
        panic("domain: d%u released while one of its vCPUs is loaded", d->id);
    printk("domain: d%u: no vCPU of it loaded on any CPU; releasing its memory\n", d->id);

    vcpu_stats_retire(d);   /* before its IOMMU context goes with its memory */
    pages = release_memory(d);
    printk("domain: d%u: %lu pages scrubbed and returned; %lu pages free\n", d->id, pages,
           page_alloc_free_pages());
    if (canaries_check())
        panic("domain: the canaries around the domain structures were overwritten");
    dlog_flush(d);
    vcpu_stats_print(d);
    if (dlog_suppressed_total(d))
        printk("log: d%u: %lu of its line(s) suppressed in all\n", d->id, dlog_suppressed_total(d));

    f = spin_lock_irqsave(&domains_lock);
    nr_released++;
    if (d->state == DOM_DESTROYED)
        nr_destroyed++;
    last = nr_started && nr_released == nr_started;
    spin_unlock_irqrestore(&domains_lock, f);
    if (last) {
        printk("granite: all %u domain(s) ended, %u destroyed\n", nr_released, nr_destroyed);
        vcpu_stats_print_totals();  /* whole-run figures (tools/scenario_net.py) */
        if (!canaries_check())
            printk("domain: canaries around all %d domain structures intact\n", MAX_DOMAINS);
        if (page_alloc_free_pages() == free_baseline)
            printk("mm: %lu pages free, as before the first domain was built: nothing leaked\n",
                   free_baseline);
        else
            printk("mm: LEAK: %lu pages free, %lu before the first domain was built\n",
                   page_alloc_free_pages(), free_baseline);
        arch_poweroff(nr_destroyed ? 1 : 0);
    }
}

void domain_vcpu_loaded(struct vcpu *v)
{
    __atomic_add_fetch(&slots[v->d->id].nr_loaded, 1, __ATOMIC_SEQ_CST);
}

void domain_vcpu_unloaded(struct vcpu *v)
{
    __atomic_sub_fetch(&slots[v->d->id].nr_loaded, 1, __ATOMIC_SEQ_CST);
    try_release(v->d);
}

/* VIRQ_DOM_EXC to the hardware domain, as Xen raises it for its toolstack:
 * "a domain changed state", so dom0 looks (granite_op domain_info) only
 * then.  Not bound: nothing to do. */
static void tell_hardware_domain(struct domain *d)
{
    struct domain *hw = domain_by_id(HWDOM_ID);

    if (hw && hw != d)
        evtchn_send_virq(hw, VIRQ_DOM_EXC);
}

void domain_end(struct domain *d, bool clean, const char *why)
{
    u64 f = spin_lock_irqsave(&domains_lock);

    if (d->state != DOM_RUNNING && d->state != DOM_BUILDING) {
        spin_unlock_irqrestore(&domains_lock, f);
        return;
    }
    d->state = clean ? DOM_ENDED_CLEAN : DOM_DESTROYED;
    spin_unlock_irqrestore(&domains_lock, f);

    flush_console(d);
    dlog_flush(d);
    if (map_dump_enabled()) {
        /* Its tables as they were, before its line (a scenario may stop there). */
        char at[32];
        snprintf(at, sizeof(at), "d%u ending", d->id);
        map_dump(at, d);
    }
    printk("domain: d%u (%s) %s: %s\n", d->id, d->name, clean ? "ended" : "destroyed", why);
    /* What it mapped of others goes now: their pages must not stay pinned. */
    units_dying(d);
    tell_hardware_domain(d);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        vcpu_kill(v);                 /* terminal: no block, wake or PSCI call undoes it */
        if (v->pcpu != this_cpu())
            arch_kick_cpu(v->pcpu);
    }
    __atomic_store_n(&d->vcpus_dead, true, __ATOMIC_SEQ_CST);
    try_release(d);
}
