/*
 * domain.c — domain lifetime: create, end, and the end of the run.
 *
 * Each domain's vCPU runs pinned on one physical CPU, so a domain is always
 * ended by the CPU that runs it (from a trap handler): that CPU tears the
 * domain down and goes idle.  The last CPU to end a domain switches the machine
 * off, with exit status 0 if every domain switched itself off and 1 if any was
 * destroyed by granite.
 */
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/page_alloc.h>
#include <granite/mm.h>
#include <granite/memory_map.h>
#include <granite/errno.h>

void *memcpy(void *dst, const void *src, size_t n);

static struct domain domains[MAX_DOMAINS];
static spinlock_t domains_lock = SPINLOCK_INIT;
static unsigned nr_started, nr_ended, nr_destroyed;

struct domain *domain_by_id(unsigned id)
{
    return id < MAX_DOMAINS && domains[id].state != DOM_FREE ? &domains[id] : NULL;
}

struct domain *domain_create(unsigned id, const char *name)
{
    struct domain *d;

    if (id == 0 || id >= MAX_DOMAINS || domains[id].state != DOM_FREE) {
        printk("domain: cannot create d%u: id in use or out of range (1..%d)\n", id,
               MAX_DOMAINS - 1);
        return NULL;
    }
    d = &domains[id];
    d->id = id;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->vcpu0.d = d;
    d->vcpu0.id = 0;
    /* VMID = domain id: unique, and never 0. */
    if (p2m_init(&d->p2m, d, (u16)id))
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
        free_pages(d->chunks[i].pages, d->chunks[i].order); /* scrubbed */
        pages += 1UL << d->chunks[i].order;
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

void domain_end(struct domain *d, bool clean, const char *why)
{
    u64 f, pages;
    bool last;

    f = spin_lock_irqsave(&domains_lock);
    if (d->state != DOM_RUNNING && d->state != DOM_BUILDING) {
        spin_unlock_irqrestore(&domains_lock, f);
        return;
    }
    d->state = clean ? DOM_ENDED_CLEAN : DOM_DESTROYED;
    spin_unlock_irqrestore(&domains_lock, f);

    if (d->console_len) {
        char prefix[24];
        snprintf(prefix, sizeof(prefix), "(d%u) ", d->id);
        console_write_line(prefix, d->console_buf, d->console_len);
        d->console_len = 0;
    }
    printk("domain: d%u (%s) %s: %s\n", d->id, d->name, clean ? "ended" : "destroyed", why);
    pages = release_memory(d);
    printk("domain: d%u: %lu pages scrubbed and returned; %lu pages free\n", d->id, pages,
           page_alloc_free_pages());

    f = spin_lock_irqsave(&domains_lock);
    nr_ended++;
    if (!clean)
        nr_destroyed++;
    last = nr_started && nr_ended == nr_started;
    spin_unlock_irqrestore(&domains_lock, f);

    if (last) {
        printk("granite: all %u domain(s) ended, %u destroyed\n", nr_ended, nr_destroyed);
        arch_poweroff(nr_destroyed ? 1 : 0);
    }
    arch_cpu_idle_forever();
}
