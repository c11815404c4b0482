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
 */
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/page_alloc.h>
#include <granite/mm.h>
#include <granite/memory_map.h>
#include <granite/sched.h>
#include <granite/errno.h>

void *memcpy(void *dst, const void *src, size_t n);

static struct domain domains[MAX_DOMAINS];
static spinlock_t domains_lock = SPINLOCK_INIT;
static unsigned nr_started, nr_released, nr_destroyed;
static unsigned nr_loaded[MAX_DOMAINS];
static bool released[MAX_DOMAINS];

struct domain *domain_by_id(unsigned id)
{
    return id < MAX_DOMAINS && domains[id].state != DOM_FREE ? &domains[id] : NULL;
}

struct domain *domain_create(unsigned id, const char *name, unsigned nr_vcpus)
{
    struct domain *d;

    if (id >= MAX_DOMAINS || domains[id].state != DOM_FREE) {
        printk("domain: cannot create d%u: id in use or out of range (0..%d)\n", id,
               MAX_DOMAINS - 1);
        return NULL;
    }
    if (nr_vcpus == 0 || nr_vcpus > MAX_VCPUS) {
        printk("domain: d%u: %u vCPUs requested, 1..%d supported\n", id, nr_vcpus, MAX_VCPUS);
        return NULL;
    }
    d = &domains[id];
    d->id = id;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->nr_vcpus = nr_vcpus;
    for (unsigned i = 0; i < nr_vcpus; i++) {
        d->vcpu[i].d = d;
        d->vcpu[i].id = i;
        d->vcpu[i].state = VCPU_OFFLINE;
    }
    /* VMID = domain id + 1: unique, and never 0. */
    if (p2m_init(&d->p2m, d, (u16)(id + 1)))
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

static u64 release_memory(struct domain *d)
{
    u64 pages = 0;

    p2m_destroy(&d->p2m);
    for (unsigned i = 0; i < d->nr_chunks; i++) {
        free_pages_contig(d->chunks[i].pages, d->chunks[i].nr_pages); /* scrubbed */
        pages += d->chunks[i].nr_pages;
    }
    d->nr_chunks = 0;
    return pages;
}

void domain_discard(struct domain *d, const char *why)
{
    printk("domain: d%u (%s) discarded before it ran: %s\n", d->id, d->name, why);
    release_memory(d);
    d->state = DOM_FREE;
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
    if (d->console_len) {
        char prefix[24];
        snprintf(prefix, sizeof(prefix), "(d%u) ", d->id);
        console_write_line(prefix, d->console_buf, d->console_len);
        d->console_len = 0;
    }
    vpl011_flush(&d->uart);
}

/* Release the domain once it has ended and no CPU has any of its vCPUs loaded. */
static void try_release(struct domain *d)
{
    u64 f, pages;
    bool last;

    f = spin_lock_irqsave(&domains_lock);
    if (released[d->id] || nr_loaded[d->id] ||
        (d->state != DOM_ENDED_CLEAN && d->state != DOM_DESTROYED)) {
        spin_unlock_irqrestore(&domains_lock, f);
        return;
    }
    released[d->id] = true;
    spin_unlock_irqrestore(&domains_lock, f);

    pages = release_memory(d);
    printk("domain: d%u: %lu pages scrubbed and returned; %lu pages free\n", d->id, pages,
           page_alloc_free_pages());

    f = spin_lock_irqsave(&domains_lock);
    nr_released++;
    if (d->state == DOM_DESTROYED)
        nr_destroyed++;
    last = nr_started && nr_released == nr_started;
    spin_unlock_irqrestore(&domains_lock, f);
    if (last) {
        printk("granite: all %u domain(s) ended, %u destroyed\n", nr_released, nr_destroyed);
        arch_poweroff(nr_destroyed ? 1 : 0);
    }
}

void domain_vcpu_loaded(struct vcpu *v)
{
    __atomic_add_fetch(&nr_loaded[v->d->id], 1, __ATOMIC_SEQ_CST);
}

void domain_vcpu_unloaded(struct vcpu *v)
{
    __atomic_sub_fetch(&nr_loaded[v->d->id], 1, __ATOMIC_SEQ_CST);
    try_release(v->d);
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
    printk("domain: d%u (%s) %s: %s\n", d->id, d->name, clean ? "ended" : "destroyed", why);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        v->state = VCPU_DEAD;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (v->pcpu != this_cpu())
            arch_kick_cpu(v->pcpu);
    }
    try_release(d);
}
