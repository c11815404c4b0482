/*
 * grant_table.c — Xen-ABI grant tables, version 1: a domain shares its pages,
 * another maps them or has granite copy to and from them.
 *
 * The pieces, for a granting domain G (the granter) and a domain L using its
 * grants (the mapper, or the caller of a copy):
 *
 *   G's shared table   pages granite allocates and G maps into its grant
 *                      window; G writes struct grant_entry_v1 there:
 *                      "domain L may use my frame F (read-only or not)".
 *   G's active entries granite's private record of each reference in use:
 *                      how many read-only and writable mappings, how many
 *                      copies in flight, which machine page, which user.
 *                      The shared entry is guest memory and may change at
 *                      any moment; decisions are taken from this record.
 *   L's maptrack       one entry per mapping L made (the handle is its
 *                      index): which grant, at which IPA, which page.
 *   pinned pages       one machine-wide table: each machine page some grant
 *                      operation holds, and how many hold it.  It answers
 *                      gnttab_page_in_use() when a dead domain's RAM is
 *                      freed, and keeps such a page alive until its last
 *                      user lets go.
 *
 * Quotas.  Every pin is charged to the domain that caused it, the user L (the
 * mapper, the caller of a copy): a self-map is charged to the domain mapping
 * its own grant, a copy's transient pins to the caller for the length of the
 * copy.  A domain holds at most GNTTAB_MAX_PINS(MAX_VCPUS) pins (its
 * GNTTAB_MAX_MAPS handles, and GNTTAB_COPY_PINS per vCPU copying), and the
 * pinned-page table has room for MAX_DOMAINS such quotas, so it can never
 * fill: whatever other domains do, each domain (dom0's netback included) can
 * still map and copy up to its own quota.  Handles (maptrack) and event-channel
 * ports are per-domain tables already.  Refusals for lack of space are logged
 * for the first few per domain, then counted (gnttab_get_stats: refused).
 *
 * Machine addresses.  granite dereferences a grant's page only if it is RAM it
 * maps at EL2 (mm_pa_range_is_ram): dom0's p2m also maps /reserved-memory and
 * PCIe windows as RAM, and a hypervisor access there would be a data abort
 * that stops the CPU.  Such a frame is refused (GNTST_general_error) for maps
 * and copies alike.
 *
 * Releasing a page after an unmap.  Once unpinned, the granter may reuse the
 * page, so neither a CPU nor a device of the mapper may still translate to
 * it: the TLB flush and the IOMMU invalidation that cover the removed entries
 * must complete first.  Both are met once per batch, not once per page: an
 * unmap removes its stage-2 entry without the flush (p2m_unmap_lazy_flush),
 * it (and a map undone after a failure) queues its pin on this CPU's release
 * queue, and the queue is drained — p2m_flush() and iommu_flush_owed() for
 * the mapper, then every queued unpin — at
 * the end of the grant_table_op call, when the queue is full, before a pin of
 * another mapper is queued, and at the end of drop_mappings().  Until then the
 * page stays pinned (and charged), so the granter cannot take it back.
 *
 * A mapping whose IOMMU entry cannot be removed (iommu_grant_unmap fails)
 * keeps its pin: the page must not go back to its owner while a device may
 * still reach it.  Its handle stays taken; unmapping it again, the mapper's
 * death and the table's destruction retry the IOMMU removal, and only then
 * unpin.  domain.c destroys the IOMMU context (streams abort) before the
 * grant table, so the last retry is the one that can always succeed.
 *
 * Pins and the revocation protocol.  A grant is "pinned" while a mapping or
 * a copy uses it.  G must be able to take a grant back, and must know when
 * it may reuse the page: it does so with an atomic compare-and-swap of the
 * entry's flags to 0, which it only attempts when neither GTF_reading nor
 * GTF_writing is set.  granite's side of that protocol: on the first pin it
 * sets GTF_reading (and GTF_writing for write access) with a compare-and-swap
 * on the 32-bit word holding flags and domid, checking in the same step that
 * the entry still grants access to L.  If G changed the word in between (for
 * instance revoked the grant), the swap fails, granite reads the new value
 * and checks again: a revoked grant is refused, never used.  Once the flags
 * are set G cannot revoke (its own compare-and-swap fails), so the frame
 * number read after the swap stays valid for as long as the pin lasts.
 * GTF_writing is cleared when the last writer goes, GTF_reading when the last
 * user goes.  The counters that decide this are granite's (active entries),
 * so a guest that scribbles on the flags can only confuse itself.
 *
 * Arm semantics, as Xen/Arm: only GNTMAP_host_map (optionally with
 * GNTMAP_readonly); the mapping is a stage-2 entry of type p2m_grant_map_rw
 * or _ro at host_addr, an IPA of L; dev_bus_addr = the page's machine address
 * is returned on every successful map (dom0's swiotlb-xen DMA uses it).
 * iommu_grant_map()/iommu_grant_unmap() are called for every mapping of
 * another domain's page, and the IOMMU policy decides whether a 1:1 entry is
 * needed.  Where granite is stricter than Xen it says so below:
 *   - host_addr must be page aligned, inside L's grant window, one of its
 *     extended regions or its RAM range (a page it ballooned out; Xen
 *     accepts any GFN), and not mapped already (Xen/Arm replaces whatever is
 *     at that GFN);
 *   - a grant's frame must be RAM of G (in its RAM range, p2m_ram_rw): the
 *     pages granite itself owns (shared_info, grant frames mapped into G's
 *     window) cannot be granted, so they can be freed with G;
 *   - a grant that is not (or no longer) valid for L, or a write to a
 *     read-only grant, gets GNTST_permission_denied; Xen returns
 *     GNTST_general_error for those, which says less;
 *   - unmap needs the exact host_addr of the mapping (Xen skips the host
 *     part when host_addr is 0); dev_bus_addr is ignored, as on Xen/Arm,
 *     where no device mapping exists to check it against;
 *   - an operation array must be aligned for its structure, and one call
 *     takes at most GNTTAB_MAX_BATCH operations (granite has no hypercall
 *     continuations).
 * Like Xen, a domain may map or copy its own grants (Xen's map_grant_ref
 * handles that case on purpose); no IOMMU hook is called for those.  Like
 * Xen, asking for a table frame beyond the current size (add_to_physmap or
 * setup_table) grows the table, up to GNTTAB_MAX_FRAMES; setup_table answers
 * with the GFNs at which the guest mapped its frames, INVALID_GFN for frames
 * it has not mapped, as Xen/Arm does (machine frame numbers mean nothing to
 * an auto-translated guest).
 *
 * Locks: one per domain's table, and one for the pinned-page table.  A
 * domain-table lock is never held while taking another domain's table lock:
 * a map pins at G (G's lock), then adds the mapping (L's lock), and on
 * failure unpins at G again.  Under a table lock granite may take p2m, page
 * allocator, IOMMU and pinned-page locks, never the reverse.  granite runs
 * with interrupts masked at EL2, so plain spin_lock() is enough.
 *
 * Assumptions: a domain's table is its unit's state (d->gnttab, gnttab_unit
 * below), which lives as long as the domain's slot: a late unpin finds it;
 * a domain's grant window does not overlap its RAM; d->state is DOM_RUNNING
 * while a domain may be a granter.
 */
#include <string.h>
#include <granite/dlog.h>
#include <granite/grant_table.h>
#include <granite/domain.h>
#include <granite/p2m.h>
#include <granite/iommu.h>
#include <granite/page_alloc.h>
#include <granite/memory_map.h>
#include <granite/arch.h>
#include <granite/mm.h>
#include <granite/console.h>
#include <granite/spinlock.h>
#include <granite/errno.h>
#include <granite/trace.h>
#include <public/xen.h>
#include <public/grant_table.h>
#include <granite/map_dump.h>


#define ACTIVE_ORDER 1        /* pages of active entries per table frame */
#define MAPTRACK_ORDER 3      /* pages of maptrack per domain */
#define SET_FLAGS_TRIES 5     /* compare-and-swap attempts before calling an entry unstable */
#define MAPS_LOGGED 8         /* successful maps logged per domain; the rest are counted */
#define SPACE_LOGGED 4        /* refusals for lack of space logged per domain (rate limit) */
#define PINNED_BUCKETS 512    /* hash buckets of the pinned-page table */
#define PINS_PER_DOMAIN GNTTAB_MAX_PINS(MAX_VCPUS)
/* Room for every domain's quota at once: see "Quotas" above. */
#define MAX_PINNED_PAGES (MAX_DOMAINS * PINS_PER_DOMAIN)
#define INVALID_GFN (~0UL)    /* setup_table: frame not mapped by the guest */
#define WHY_LEN 160

_Static_assert(sizeof(struct grant_entry_v1) * GNTTAB_ENTRIES_PER_FRAME == PAGE_SIZE,
               "a table frame is a page of entries");
_Static_assert(MAX_PINNED_PAGES < 0xffff, "pinned-page links are 16-bit");
_Static_assert(MAX_PINNED_PAGES >= MAX_DOMAINS * PINS_PER_DOMAIN, "every quota fits the pool");
/* flags is the low half of the {flags, domid} word granite swaps atomically. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian layout");

/* The granter's view of one grant reference while it is in use.  Only one
 * domain (`user`, the one the entry names) can hold pins on it. */
struct active_entry {
    pa_t page;                /* the machine page pinned */
    u16 maps[2];              /* host mappings, [0] read-only, [1] writable
                                 (at most GNTTAB_MAX_MAPS in all) */
    u8 copies[2];             /* copies in flight, [0] reading, [1] writing
                                 (at most one of each per vCPU of user) */
    domid_t user;
};
_Static_assert(sizeof(struct active_entry) * GNTTAB_ENTRIES_PER_FRAME <= PAGE_SIZE << ACTIVE_ORDER,
               "active entries of one frame");

/* One mapping a domain holds; the handle is its index. */
struct maptrack_entry {
    ipa_t host_addr;
    pa_t page;
    grant_ref_t ref;
    u32 gen;                  /* the granter's table incarnation when mapped */
    domid_t granter;
    bool in_use, readonly;
    bool iommu_stuck;         /* stage-2 entry gone, IOMMU entry not: pin kept */
};
_Static_assert(sizeof(struct maptrack_entry) * GNTTAB_MAX_MAPS <= PAGE_SIZE << MAPTRACK_ORDER,
               "maptrack");

struct gnttab {
    spinlock_t lock;
    bool live;                /* set up and not destroyed */
    bool closed;              /* dying: no new pins of its grants, no new mappings by it */
    u32 gen;                  /* incarnation: tells a stale maptrack entry from a live one */
    unsigned nr_frames;
    struct grant_entry_v1 *shared[GNTTAB_MAX_FRAMES]; /* the guest-visible table */
    struct active_entry *active[GNTTAB_MAX_FRAMES];
    struct maptrack_entry *maptrack;
    unsigned nr_maps;         /* maptrack entries in use */
    unsigned next_handle;     /* where the search for a free handle starts */
    unsigned maps_logged;
    unsigned space_logged;    /* refusals for lack of space logged so far */
    unsigned pins;            /* pins charged to this domain as a user (atomic) */
    u64 maps, unmaps, copies, refused;
};

static u32 last_gen;

/* What a pin holds, so that it can be given back. */
enum pin_kind { PIN_MAP_RO, PIN_MAP_RW, PIN_COPY_RD, PIN_COPY_WR };

struct pin {
    domid_t granter;
    domid_t user;             /* charged for it */
    u32 gen;
    grant_ref_t ref;
    enum pin_kind kind;
    pa_t page;
    u32 gfn;                  /* the entry's frame, for the log */
};

/* Why an operation was refused: a sentence for the log. */
struct why {
    char text[WHY_LEN];
    bool quiet;               /* over the domain's log rate limit: count only */
};

#ifdef HOST_TEST
/* Unit tests play the granter changing the entry between granite's read and
 * its compare-and-swap. */
void (*gnttab_test_before_swap)(struct grant_entry_v1 *e);
#define BEFORE_SWAP(e)                          \
    do {                                        \
        if (gnttab_test_before_swap)            \
            gnttab_test_before_swap(e);         \
    } while (0)
#else
#define BEFORE_SWAP(e) do { } while (0)
#endif

static const char *const status_names[] = {
    "GNTST_okay",          "GNTST_general_error", "GNTST_bad_domain",
    "GNTST_bad_gntref",    "GNTST_bad_handle",    "GNTST_bad_virt_addr",
    "GNTST_bad_dev_addr",  "GNTST_no_device_space", "GNTST_permission_denied",
    "GNTST_bad_page",      "GNTST_bad_copy_arg",  "GNTST_address_too_big",
    "GNTST_eagain",        "GNTST_no_space",
};

static const char *status_name(int st)
{
    return st <= 0 && -st < (int)ARRAY_SIZE(status_names) ? status_names[-st] : "GNTST_?";
}

__attribute__((format(printf, 3, 4)))
static int refuse(struct why *w, int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->text, sizeof(w->text), fmt, ap);
    va_end(ap);
    w->quiet = false;
    return status;
}

static struct gnttab *table_of(const struct domain *d) { return d->gnttab; }

/* The table of domain `id`, ended or not; NULL if the slot is free. */
static struct gnttab *table_by_id(domid_t id)
{
    struct domain *d = domain_by_id(id);
    return d ? d->gnttab : NULL;
}

/* A refusal for lack of space (quota, handles): a hostile domain can ask for
 * one as often as it likes, so only the first SPACE_LOGGED of each domain are
 * logged (on top of dlog's own per-domain rate limit). */
static int refuse_space(struct why *w, struct gnttab *gt, int status, const char *text)
{
    unsigned n = __atomic_fetch_add(&gt->space_logged, 1, __ATOMIC_RELAXED);

    refuse(w, status, "%s", text);
    w->quiet = n > SPACE_LOGGED;
    if (n == SPACE_LOGGED)
        snprintf(w->text, sizeof(w->text), "%s; further refusals for lack of space are counted, "
                 "not logged", text);
    return status;
}
static void stat_inc(u64 *counter) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

/* ------------------------------------------------------------------------ */
/* Pinned pages: machine page -> number of pins, machine-wide               */
/* ------------------------------------------------------------------------ */

/* Nodes are linked by index + 1, so that the zeroed table is empty. */
struct pinned_page {
    pa_t page;
    u32 users;                /* 0 = free node */
    u16 next;
    domid_t owner;            /* the granter: the page is its RAM */
    bool orphaned;            /* its owner died and left it to us */
};

static struct pinned_page pinned[MAX_PINNED_PAGES];
static u16 pinned_bucket[PINNED_BUCKETS];
static unsigned nr_pinned, pinned_hint;
static spinlock_t pinned_lock = SPINLOCK_INIT(LOCK_GNTTAB_PINNED);

/* The link that points at page's node (or the empty link at a chain's end). */
static u16 *pinned_link(pa_t page)
{
    u16 *link = &pinned_bucket[(pa_addr(page) >> PAGE_SHIFT) % PINNED_BUCKETS];

    while (*link && pa_addr(pinned[*link - 1].page) != pa_addr(page))
        link = &pinned[*link - 1].next;
    return link;
}

/* One more user of `owner`'s page.  False if the table is full (a new page). */
static bool page_get(pa_t page, domid_t owner)
{
    bool ok = true;
    u16 *link;

    spin_lock(&pinned_lock);
    link = pinned_link(page);
    if (*link) {
        pinned[*link - 1].users++;
    } else if (nr_pinned == MAX_PINNED_PAGES) {
        ok = false; /* cannot happen while every user keeps to its quota */
    } else {
        while (pinned[pinned_hint].users)
            pinned_hint = (pinned_hint + 1) % MAX_PINNED_PAGES;
        pinned[pinned_hint] = (struct pinned_page){ .page = page, .users = 1, .owner = owner };
        *link = (u16)(pinned_hint + 1);
        nr_pinned++;
    }
    spin_unlock(&pinned_lock);
    return ok;
}

/* One user less.  True if that was the last one and the page's owner has
 * died meanwhile: the caller must hand the page back (domain_release_page). */
static bool page_put(pa_t page)
{
    bool release = false;
    u16 *link;

    spin_lock(&pinned_lock);
    link = pinned_link(page);
    if (!*link)
        panic("gnttab: page 0x%lx released more often than pinned", pa_addr(page));
    struct pinned_page *n = &pinned[*link - 1];
    if (--n->users == 0) {
        release = n->orphaned;
        *link = n->next;
        *n = (struct pinned_page){ 0 };
        nr_pinned--;
    }
    spin_unlock(&pinned_lock);
    return release;
}

static bool is_dead(domid_t id)
{
    struct domain *d = domain_by_id(id);
    return !d || d->state == DOM_ENDED_CLEAN || d->state == DOM_DESTROYED;
}

/* Asked when the owner's RAM is freed: from then on the page is ours, and
 * page_put() says when to give it back.  Asked about a live owner's page, it
 * is only a question. */
bool gnttab_page_in_use(pa_t page)
{
    bool in_use = false;
    u16 *link;

    spin_lock(&pinned_lock);
    if (nr_pinned) {
        link = pinned_link(page);
        if (*link) {
            struct pinned_page *n = &pinned[*link - 1];
            if (is_dead(n->owner))
                n->orphaned = true;
            in_use = true;
        }
    }
    spin_unlock(&pinned_lock);
    return in_use;
}

/* ------------------------------------------------------------------------ */
/* The shared entry: granite's half of the revocation protocol              */
/* ------------------------------------------------------------------------ */

/* The {flags, domid} pair as one 32-bit word, for compare-and-swap. */
typedef u32 __attribute__((may_alias)) entry_word_t;
#define WORD_FLAGS(w) ((u16)(w))
#define WORD_DOMID(w) ((domid_t)((w) >> 16))

static struct grant_entry_v1 *shared_entry(struct gnttab *gt, grant_ref_t ref)
{
    return &gt->shared[ref / GNTTAB_ENTRIES_PER_FRAME][ref % GNTTAB_ENTRIES_PER_FRAME];
}

static struct active_entry *active_entry(struct gnttab *gt, grant_ref_t ref)
{
    return &gt->active[ref / GNTTAB_ENTRIES_PER_FRAME][ref % GNTTAB_ENTRIES_PER_FRAME];
}

static unsigned writers(const struct active_entry *a) { return a->maps[1] + a->copies[1]; }
static unsigned users(const struct active_entry *a)
{
    return a->maps[0] + a->maps[1] + a->copies[0] + a->copies[1];
}

/* Set GTF_reading (and GTF_writing) in a shared entry.  `check_grant`: the
 * entry must also grant access to `user` (first pin); a map must not use a
 * sub-page grant.  Every check is made on the value the swap replaces. */
static int mark_in_use(struct grant_entry_v1 *e, domid_t user, bool check_grant, bool writing,
                       bool map, struct why *why)
{
    entry_word_t *word = (entry_word_t *)e;
    u32 old = __atomic_load_n(word, __ATOMIC_ACQUIRE);

    for (unsigned tries = 0; tries < SET_FLAGS_TRIES; tries++) {
        u16 flags = WORD_FLAGS(old);
        u32 new;

        if (check_grant && (flags & GTF_type_mask) != GTF_permit_access)
            return refuse(why, GNTST_permission_denied, "not granted (flags 0x%x)", flags);
        if (check_grant && WORD_DOMID(old) != user)
            return refuse(why, GNTST_permission_denied, "granted to d%u, not to d%u",
                          WORD_DOMID(old), user);
        if (check_grant && map && (flags & GTF_sub_page))
            return refuse(why, GNTST_permission_denied, "a sub-page grant cannot be mapped");
        if (writing && (flags & GTF_readonly))
            return refuse(why, GNTST_permission_denied, "write access to a read-only grant");
        new = old | GTF_reading | (writing ? GTF_writing : 0);
        BEFORE_SWAP(e);
        if (__atomic_compare_exchange_n(word, &old, new, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return GNTST_okay;
        /* The granter changed the entry meanwhile: `old` is its new value. */
    }
    return refuse(why, GNTST_general_error, "the entry kept changing (%d tries)", SET_FLAGS_TRIES);
}

/* Clear the in-use flags the counters no longer justify. */
static void sync_in_use_flags(struct grant_entry_v1 *e, const struct active_entry *a)
{
    u16 clear = (writers(a) ? 0 : GTF_writing) | (users(a) ? 0 : GTF_reading);

    if (clear)
        __atomic_fetch_and(&e->flags, (u16)~clear, __ATOMIC_RELEASE);
}

static bool is_write(enum pin_kind k) { return k == PIN_MAP_RW || k == PIN_COPY_WR; }
static bool is_map(enum pin_kind k) { return k == PIN_MAP_RO || k == PIN_MAP_RW; }

/* One pin of `kind` more (+1) or less (-1). */
static void pin_add(struct active_entry *a, enum pin_kind kind, int delta)
{
    unsigned w = is_write(kind);
    unsigned now = is_map(kind) ? a->maps[w] : a->copies[w];

    if (delta < 0 && now == 0)
        panic("gnttab: pin count would go below zero");
    if (is_map(kind))
        a->maps[w] = (u16)(now + delta);
    else
        a->copies[w] = (u8)(now + delta);
}

/* ------------------------------------------------------------------------ */
/* Pinning a grant (granter side)                                           */
/* ------------------------------------------------------------------------ */

/* The machine page behind the granter's frame: RAM of the granter only (its
 * RAM range, or the xenstore ring page granite gave it); never a page
 * granite lent it, such as shared_info or grant frames in its grant window. */
static int grant_page(struct domain *rd, u32 gfn, pa_t *page, struct why *why)
{
    u64 at = (u64)gfn << PAGE_SHIFT;
    bool store = rd->store_page && at == ipa_addr(rd->store_ipa);
    p2m_type_t t;

    if (!store && (at < ipa_addr(rd->ram_base) || at - ipa_addr(rd->ram_base) >= rd->ram_size))
        return refuse(why, GNTST_bad_page, "frame 0x%x is not in d%u's RAM", gfn, rd->id);
    if (p2m_lookup(&rd->p2m, ipa(at), page, &t) || t != p2m_ram_rw)
        return refuse(why, GNTST_bad_page, "frame 0x%x is not writable RAM in d%u's p2m", gfn,
                      rd->id);
    if (!mm_pa_range_is_ram(*page, PAGE_SIZE))
        return refuse(why, GNTST_general_error,
                      "frame 0x%x of d%u is machine address 0x%lx, not RAM granite maps "
                      "(reserved memory or a device window)", gfn, rd->id, pa_addr(*page));
    return GNTST_okay;
}

static int pin_locked(struct gnttab *rgt, struct domain *rd, domid_t user, grant_ref_t ref,
                      enum pin_kind kind, struct pin *p, struct why *why)
{
    struct grant_entry_v1 *e;
    struct active_entry *a;
    bool first;
    u32 gfn;
    int st;

    if (!rgt->live || rgt->closed)
        return refuse(why, GNTST_bad_domain, "d%u's grant table is gone", rd->id);
    if (ref >= rgt->nr_frames * GNTTAB_ENTRIES_PER_FRAME)
        return refuse(why, GNTST_bad_gntref, "beyond the table (%lu entries)",
                      rgt->nr_frames * GNTTAB_ENTRIES_PER_FRAME);
    e = shared_entry(rgt, ref);
    a = active_entry(rgt, ref);
    first = users(a) == 0;
    if (!first && a->user != user)
        return refuse(why, GNTST_permission_denied, "in use by d%u", a->user);
    if (first || (is_write(kind) && !writers(a))) {
        st = mark_in_use(e, user, first, is_write(kind), is_map(kind), why);
        if (st)
            return st;
    }
    gfn = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
    if (first) {
        st = grant_page(rd, gfn, &a->page, why);
        if (!st && !page_get(a->page, (domid_t)rd->id))
            st = refuse(why, GNTST_no_space, "%d pages in use by grants already",
                        MAX_PINNED_PAGES);
        if (st) {
            sync_in_use_flags(e, a);
            return st;
        }
        a->user = user;
    } else if (!page_get(a->page, (domid_t)rd->id)) {
        panic("gnttab: pinned page 0x%lx missing from the pinned table", pa_addr(a->page));
    }
    pin_add(a, kind, +1);
    *p = (struct pin){ .granter = (domid_t)rd->id, .user = user, .gen = rgt->gen, .ref = ref,
                       .kind = kind, .page = a->page, .gfn = gfn };
    return GNTST_okay;
}

/* The domain a grant operation of `user` names: DOMID_SELF is itself. */
static struct domain *named_domain(struct domain *user, domid_t dom)
{
    return dom == DOMID_SELF ? user : domain_by_id(dom);
}

/* Charge one pin to `user`'s quota.  Atomic: the user's table lock is not
 * held while pinning (the granter's is). */
static int charge_pin(struct gnttab *user, struct why *why)
{
    unsigned before = __atomic_fetch_add(&user->pins, 1, __ATOMIC_RELAXED);

    if (before < PINS_PER_DOMAIN)
        return GNTST_okay;
    __atomic_fetch_sub(&user->pins, 1, __ATOMIC_RELAXED);
    return refuse_space(why, user, GNTST_no_space, "the domain holds its quota of pins");
}

/* Give a charge back; never below zero (a table re-created under a late
 * unpin starts from zero). */
static void uncharge_pin(struct gnttab *user)
{
    unsigned now = user ? __atomic_load_n(&user->pins, __ATOMIC_RELAXED) : 0;

    while (now && !__atomic_compare_exchange_n(&user->pins, &now, now - 1, false,
                                               __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

/* Pin grant (dom, ref) for `user`, charged to user: the page cannot go away
 * until unpin(). */
static int pin_grant(struct domain *user, domid_t dom, grant_ref_t ref, enum pin_kind kind,
                     struct pin *p, struct why *why)
{
    struct domain *rd = named_domain(user, dom);
    struct gnttab *rgt;
    int st;

    if (!rd)
        return refuse(why, GNTST_bad_domain, "no domain %u", dom);
    if (rd->state != DOM_RUNNING)
        return refuse(why, GNTST_bad_domain, "d%u is not running", rd->id);
    st = charge_pin(table_of(user), why);
    if (st)
        return st;
    rgt = table_of(rd);
    spin_lock(&rgt->lock);
    st = pin_locked(rgt, rd, (domid_t)user->id, ref, kind, p, why);
    spin_unlock(&rgt->lock);
    if (st)
        uncharge_pin(table_of(user));
    return st;
}

static void unpin(const struct pin *p)
{
    struct gnttab *rgt = table_by_id(p->granter); /* a granter ran: its slot stays */

    if (!rgt) /* a pin is dropped before the granter's slot can be freed */
        panic("gnttab: a pin names granter d%u, whose slot is free", p->granter);
    spin_lock(&rgt->lock);
    /* A destroyed (or re-created) table has no record of the pin any more. */
    if (rgt->live && rgt->gen == p->gen) {
        struct active_entry *a = active_entry(rgt, p->ref);
        pin_add(a, p->kind, -1);
        sync_in_use_flags(shared_entry(rgt, p->ref), a);
    }
    spin_unlock(&rgt->lock);
    if (page_put(p->page))
        domain_release_page(p->page);
    /* Only now: until its slot in the pinned-page table is free, the charge
     * must stay, or the quotas would no longer bound that table. */
    uncharge_pin(table_by_id(p->user));
}

/* ------------------------------------------------------------------------ */
/* Releases waiting for the IOMMU invalidation (see the header comment)     */
/* ------------------------------------------------------------------------ */

/* Unmaps released per invalidation at most: one 64-operation batch (netback's
 * and the tests' size) costs one; GNTTAB_MAX_BATCH operations cost 8. */
#define GNTTAB_RELEASE_QUEUE 64

struct release_queue {
    struct domain *mapper;    /* whose IOMMU context the queued pins wait on */
    unsigned n;
    struct pin pins[GNTTAB_RELEASE_QUEUE];
};

/* Per CPU: a grant operation runs on one CPU from start to end (EL2 is not
 * preempted), and every path that queues drains before it returns. */
static struct release_queue release_queues[GRANITE_MAX_CPUS];

static struct release_queue *my_queue(void) { return &release_queues[this_cpu()]; }

/* Flush the mapper's stage-2 TLB entries and invalidate what its IOMMU
 * context owes (once for the batch), then release every queued pin: neither
 * a CPU nor a device can reach any of those pages any more. */
static void release_queued(struct release_queue *q)
{
    unsigned n = q->n;

    if (!n)
        return;
    p2m_flush(&q->mapper->p2m);     /* the CPUs' TLBs: the removed stage-2 entries */
    iommu_flush_owed(q->mapper);    /* the devices' IOTLBs */
    q->n = 0; /* before the unpins: they take no path that queues */
    for (unsigned i = 0; i < n; i++)
        unpin(&q->pins[i]);
    q->mapper = NULL;
}

/* Release p once mapper's IOMMU invalidation is done (mapper's entries for p's
 * page are removed already, or were never made). */
static void release_after_flush(struct domain *mapper, const struct pin *p)
{
    struct release_queue *q = my_queue();

    if (q->n && (q->mapper != mapper || q->n == GNTTAB_RELEASE_QUEUE))
        release_queued(q); /* full, or another context: flush what is queued first */
    q->mapper = mapper;
    q->pins[q->n++] = *p;
}

/* ------------------------------------------------------------------------ */
/* Tables: set up, grow, destroy                                             */
/* ------------------------------------------------------------------------ */

static void free_frames(struct gnttab *gt)
{
    for (unsigned i = 0; i < GNTTAB_MAX_FRAMES; i++) {
        if (gt->shared[i])
            free_pages(gt->shared[i], 0);
        if (gt->active[i])
            free_pages(gt->active[i], ACTIVE_ORDER);
        gt->shared[i] = NULL;
        gt->active[i] = NULL;
    }
    gt->nr_frames = 0;
}

/* Grow gt to `want` frames (lock held).  0 or -ENOMEM (grown part stays). */
static int grow(struct gnttab *gt, unsigned want)
{
    while (gt->nr_frames < want) {
        void *shared = alloc_pages(0), *active = alloc_pages(ACTIVE_ORDER);
        if (!shared || !active) {
            if (shared)
                free_pages(shared, 0);
            if (active)
                free_pages(active, ACTIVE_ORDER);
            return -ENOMEM;
        }
        gt->shared[gt->nr_frames] = shared;
        gt->active[gt->nr_frames] = active;
        gt->nr_frames++;
    }
    return 0;
}

int gnttab_domain_init(struct domain *d)
{
    struct gnttab *gt = table_of(d);
    struct maptrack_entry *mt;
    int ret;

    if (gt->live)
        return -EBUSY;
    mt = alloc_pages(MAPTRACK_ORDER);
    if (!mt)
        return -ENOMEM;
    spin_lock(&gt->lock);
    gt->gen = __atomic_add_fetch(&last_gen, 1, __ATOMIC_RELAXED);
    gt->closed = false;
    gt->nr_maps = gt->next_handle = gt->maps_logged = gt->space_logged = 0;
    __atomic_store_n(&gt->pins, 0, __ATOMIC_RELAXED);
    gt->maps = gt->unmaps = gt->copies = gt->refused = 0;
    ret = grow(gt, GNTTAB_INITIAL_FRAMES);
    if (ret) {
        free_frames(gt);
        free_pages(mt, MAPTRACK_ORDER);
    } else {
        gt->maptrack = mt;
        gt->live = true;
    }
    spin_unlock(&gt->lock);
    return ret;
}

int gnttab_get_frame(struct domain *d, unsigned idx, pa_t *frame)
{
    struct gnttab *gt = table_of(d);
    unsigned before;
    int ret = 0;

    if (idx >= GNTTAB_MAX_FRAMES)
        return -EINVAL;
    spin_lock(&gt->lock);
    before = gt->nr_frames;
    if (!gt->live || gt->closed)
        ret = -EINVAL;
    else if (idx >= gt->nr_frames)
        ret = grow(gt, idx + 1);
    if (!ret)
        *frame = ptr_to_pa(gt->shared[idx]);
    spin_unlock(&gt->lock);
    if (!ret && idx >= before)
        dlog(d, "gnttab: d%u: table grown from %u to %u frame(s)\n", d->id, before, idx + 1);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* Mappings (mapper side)                                                    */
/* ------------------------------------------------------------------------ */

static bool in_range(u64 addr, u64 base, u64 size) { return addr >= base && addr - base < size; }

/* Where a domain may map a foreign page: its grant window (reg[0]), one of
 * the extended regions its /hypervisor node offers (reg[1..]) -- Linux with
 * unpopulated-alloc puts the pages of every backend (netback, xenbus rings)
 * there -- or a GFN of its own RAM range that it ballooned out
 * (XENMEM_decrease_reservation, core/memory_op.c): a Linux without
 * ZONE_DEVICE (Debian's arm64 kernel) takes its grant-map pages from its
 * balloon.  Only the range is checked here; add_mapping's "not mapped
 * already", under the table lock, is what keeps a RAM page that is still
 * there (or shared_info, a grant frame) from being mapped over.  Unmapping
 * the grant leaves the GFN empty again: still ballooned out. */
static bool in_map_area(const struct domain *d, ipa_t at)
{
    u64 addr = ipa_addr(at);

    if (in_range(addr, ipa_addr(d->gnttab_base), d->gnttab_size) ||
        in_range(addr, ipa_addr(d->ram_base), d->ram_size))
        return true;
    for (unsigned i = 0; i < d->nr_ext_regions; i++)
        if (in_range(addr, d->ext_regions[i].start, d->ext_regions[i].size))
            return true;
    return false;
}

/* Xen calls the IOMMU only for another domain's pages (ld != rd): a domain's
 * own pages are already reachable by its devices. */
static bool foreign(const struct domain *ld, domid_t granter) { return ld->id != granter; }

static int check_map_args(const struct domain *ld, const struct gnttab_map_grant_ref *op,
                          struct why *why)
{
    if (!(op->flags & (GNTMAP_host_map | GNTMAP_device_map)))
        return refuse(why, GNTST_bad_gntref, "flags 0x%x: neither host_map nor device_map",
                      op->flags);
    if (op->flags & ~(GNTMAP_host_map | GNTMAP_readonly))
        return refuse(why, GNTST_general_error,
                      "flags 0x%x: only GNTMAP_host_map [| GNTMAP_readonly] on Arm (no device, "
                      "application or PTE mappings)", op->flags);
    if (!IS_ALIGNED(op->host_addr, PAGE_SIZE))
        return refuse(why, GNTST_bad_virt_addr, "host_addr 0x%lx is not page aligned",
                      op->host_addr);
    if (!in_map_area(ld, ipa(op->host_addr)))
        return refuse(why, GNTST_bad_virt_addr,
                      "host_addr 0x%lx is outside its RAM, the grant window 0x%lx+0x%lx and "
                      "the %u extended region(s)", op->host_addr, ipa_addr(ld->gnttab_base),
                      ld->gnttab_size, ld->nr_ext_regions);
    return GNTST_okay;
}

/* A free handle, or GNTTAB_MAX_MAPS (lock held). */
static unsigned free_handle(struct gnttab *gt)
{
    if (gt->nr_maps == GNTTAB_MAX_MAPS)
        return GNTTAB_MAX_MAPS;
    while (gt->maptrack[gt->next_handle].in_use)
        gt->next_handle = (gt->next_handle + 1) % GNTTAB_MAX_MAPS;
    return gt->next_handle;
}

/* Enter the pinned page into the mapper's p2m and the IOMMU. */
static int add_mapping(struct domain *ld, struct gnttab_map_grant_ref *op, const struct pin *p,
                       struct why *why)
{
    struct gnttab *lgt = table_of(ld);
    bool ro = p->kind == PIN_MAP_RO;
    ipa_t at = ipa(op->host_addr);
    unsigned h = GNTTAB_MAX_MAPS;
    int st = GNTST_okay;

    spin_lock(&lgt->lock);
    if (!lgt->live || lgt->closed)
        st = refuse(why, GNTST_general_error, "d%u is dying", ld->id);
    else if (!p2m_lookup(&ld->p2m, at, NULL, NULL))
        st = refuse(why, GNTST_bad_virt_addr, "host_addr 0x%lx is mapped already", op->host_addr);
    else if ((h = free_handle(lgt)) == GNTTAB_MAX_MAPS)
        st = refuse_space(why, lgt, GNTST_no_space, "all handles in use");
    else if (p2m_map(&ld->p2m, at, p->page, PAGE_SIZE, ro ? p2m_grant_map_ro : p2m_grant_map_rw))
        st = refuse(why, GNTST_general_error, "no stage-2 entry at 0x%lx", op->host_addr);
    else if (foreign(ld, p->granter) && iommu_grant_map(ld, p->page, !ro)) {
        p2m_unmap(&ld->p2m, at, PAGE_SIZE);
        st = refuse(why, GNTST_general_error, "the IOMMU refused the page");
    }
    if (st == GNTST_okay) {
        lgt->maptrack[h] = (struct maptrack_entry){
            .host_addr = at, .page = p->page, .ref = p->ref, .gen = p->gen,
            .granter = p->granter, .in_use = true, .readonly = ro,
        };
        lgt->nr_maps++;
        lgt->maps++;
        op->handle = h;
        /* What the mapper's devices are to use (dom0's swiotlb-xen): the
         * machine address as a bus address.  It reaches the page through the
         * 1:1 entry iommu_grant_map() added, or untranslated with the IOMMU
         * off; where the policy added none (gnttab_iommu=sync, shared tables:
         * seed 000) nothing answers there and the device's DMA faults. */
        op->dev_bus_addr = iova_addr(iova_of_pa_1to1(p->page));
        /* Recorded in the same critical section as the handle: no unmap (of
         * this vCPU or another) can find the handle before the record has
         * the map, so every recorded map meets its unmap (map_dump.h). */
        if (map_dump_enabled())
            map_dump_note_grant_map(ld, p->granter, p->ref, at, p->page, ro);
    }
    spin_unlock(&lgt->lock);
    return st;
}

/* Remove mapping h from the mapper (lock held).  True: gone, the caller
 * unpins.  False: the IOMMU entry could not be removed, so a device may still
 * reach the page: the entry stays (iommu_stuck) and so does its pin, until a
 * retry succeeds. */
static bool remove_mapping(struct domain *ld, struct gnttab *lgt, unsigned h, bool touch_p2m)
{
    struct maptrack_entry *m = &lgt->maptrack[h];

    /* The TLB flush waits for release_queued(): the page stays pinned until
     * then, so a stale translation can only reach a page still granted. */
    if (touch_p2m && !m->iommu_stuck && p2m_unmap_lazy_flush(&ld->p2m, m->host_addr, PAGE_SIZE))
        dlog(ld, "gnttab: d%u: handle %u: stage-2 entry at 0x%lx not removed\n", ld->id, h,
             ipa_addr(m->host_addr));
    if (foreign(ld, m->granter) && iommu_grant_unmap(ld, m->page, !m->readonly)) {
        dlog(ld, "gnttab: d%u: handle %u: IOMMU entry of 0x%lx not removed: the page stays "
             "pinned\n", ld->id, h, pa_addr(m->page));
        m->iommu_stuck = true;
        return false;
    }
    m->in_use = false;
    m->iommu_stuck = false;
    lgt->nr_maps--;
    lgt->unmaps++;
    /* Under the lock the map was recorded under (add_mapping). */
    if (map_dump_enabled())
        map_dump_note_grant_unmap(ld, m->granter, m->ref, m->host_addr, m->page);
    return true;
}

static struct pin pin_of(const struct domain *ld, const struct maptrack_entry *m)
{
    return (struct pin){ .granter = m->granter, .user = (domid_t)ld->id, .gen = m->gen,
                         .ref = m->ref, .kind = m->readonly ? PIN_MAP_RO : PIN_MAP_RW,
                         .page = m->page };
}

static void log_map(struct domain *ld, const struct gnttab_map_grant_ref *op, const struct pin *p)
{
    struct gnttab *lgt = table_of(ld);
    unsigned n = __atomic_fetch_add(&lgt->maps_logged, 1, __ATOMIC_RELAXED);

    if (n < MAPS_LOGGED)
        dlog(ld, "gnttab: d%u maps d%u ref %u (gfn 0x%x) at IPA 0x%lx%s: machine address 0x%lx\n",
             ld->id, p->granter, p->ref, p->gfn, op->host_addr,
             p->kind == PIN_MAP_RO ? " read-only" : "", pa_addr(p->page));
    else if (n == MAPS_LOGGED)
        dlog(ld, "gnttab: d%u: further successful maps are counted, not logged\n", ld->id);
}

/* The packet trace (core/trace.c): a read-only map of another domain's page
 * is a TX buffer's; the first few are traced, with their IOMMU hops. */
static void trace_map(struct domain *ld, const struct gnttab_map_grant_ref *op,
                      const struct pin *p)
{
    if (p->kind != PIN_MAP_RO || !foreign(ld, p->granter) ||
        !trace_grant_claim(ld->id, p->granter, p->ref, p->page))
        return;
    trace_hv(TRACE_HOP_GRANT_MAP, "grant_table.c:add_mapping", "d%u maps d%u gref %u at IPA "
             "0x%lx: machine 0x%lx", ld->id, p->granter, p->ref, op->host_addr, pa_addr(p->page));
    iommu_trace_grant(ld, p->page, ipa(op->host_addr));
}

static void map_one(struct vcpu *v, void *arg)
{
    struct gnttab_map_grant_ref *op = arg;
    struct domain *ld = v->d;
    struct why why;
    struct pin p;
    int st;

    st = check_map_args(ld, op, &why);
    if (st == GNTST_okay)
        st = pin_grant(ld, op->dom, op->ref,
                       (op->flags & GNTMAP_readonly) ? PIN_MAP_RO : PIN_MAP_RW, &p, &why);
    if (st == GNTST_okay) {
        st = add_mapping(ld, op, &p, &why);
        if (st != GNTST_okay)
            release_after_flush(ld, &p); /* the page may have been reachable for a moment */
    }
    op->status = (int16_t)st;
    if (st == GNTST_okay) {
        log_map(ld, op, &p);
        if (trace_on())
            trace_map(ld, op, &p);
        return;
    }
    stat_inc(&table_of(ld)->refused);
    if (!why.quiet)
        dlog(ld, "gnttab: d%u: map ref %u from d%u: %s (%s)\n", ld->id, op->ref, op->dom,
             why.text, status_name(st));
}

static void unmap_one(struct vcpu *v, void *arg)
{
    struct gnttab_unmap_grant_ref *op = arg;
    struct domain *ld = v->d;
    struct gnttab *lgt = table_of(ld);
    struct maptrack_entry m = { 0 };
    struct why why;
    int st = GNTST_okay;

    spin_lock(&lgt->lock);
    if (!lgt->live || op->handle >= GNTTAB_MAX_MAPS || !lgt->maptrack[op->handle].in_use)
        st = refuse(&why, GNTST_bad_handle, "no mapping has this handle");
    else if (ipa_addr(lgt->maptrack[op->handle].host_addr) != op->host_addr)
        st = refuse(&why, GNTST_bad_virt_addr, "the handle's mapping is at 0x%lx",
                    ipa_addr(lgt->maptrack[op->handle].host_addr));
    else {
        m = lgt->maptrack[op->handle];
        if (!remove_mapping(ld, lgt, op->handle, true))
            st = refuse(&why, GNTST_general_error,
                        "the IOMMU entry was not removed: the page stays pinned, the handle "
                        "taken (unmap it again to retry)");
    }
    spin_unlock(&lgt->lock);
    op->status = (int16_t)st;
    if (st == GNTST_okay) {
        struct pin p = pin_of(ld, &m);
        /* The granter may reuse the page once it is unpinned: no device of ours
         * may still reach it through a cached translation.  Released after the
         * batch's one invalidation, not after a flush of its own. */
        release_after_flush(ld, &p);
        return;
    }
    stat_inc(&lgt->refused);
    dlog(ld, "gnttab: d%u: unmap handle %u at 0x%lx: %s (%s)\n", ld->id, op->handle,
         op->host_addr, why.text, status_name(st));
}

/* Remove every mapping d holds, each handle once.  Returns how many went;
 * *stuck counts those whose IOMMU entry stayed (their pins too). */
static unsigned drop_mappings(struct domain *d, bool touch_p2m, unsigned *stuck)
{
    struct gnttab *gt = table_of(d);
    unsigned n = 0;

    *stuck = 0;
    for (unsigned h = 0;; h++) {
        struct maptrack_entry m;
        bool gone = false;

        spin_lock(&gt->lock);
        if (gt->live && gt->nr_maps)
            for (; h < GNTTAB_MAX_MAPS && !gt->maptrack[h].in_use; h++)
                ;
        else
            h = GNTTAB_MAX_MAPS;
        if (h < GNTTAB_MAX_MAPS) {
            m = gt->maptrack[h];
            gone = remove_mapping(d, gt, h, touch_p2m);
        }
        spin_unlock(&gt->lock);
        if (h >= GNTTAB_MAX_MAPS)
            return n;
        if (!gone) {
            (*stuck)++;
            continue;
        }
        struct pin p = pin_of(d, &m);
        release_after_flush(d, &p);
        n++;
    }
}

/* drop_mappings as one IOMMU batch: one invalidation (per queue-full) before
 * the pages go back, whoever calls it (a hypercall or the domain's end). */
static unsigned drop_mappings_batched(struct domain *d, bool touch_p2m, unsigned *stuck)
{
    unsigned n;

    iommu_batch_begin();
    n = drop_mappings(d, touch_p2m, stuck);
    release_queued(my_queue());
    iommu_batch_end();
    return n;
}

void gnttab_domain_dying(struct domain *d)
{
    struct gnttab *gt = table_of(d);
    unsigned n;

    unsigned stuck;

    spin_lock(&gt->lock);
    gt->closed = true;
    spin_unlock(&gt->lock);
    n = drop_mappings_batched(d, true, &stuck);
    if (n)
        printk("gnttab: d%u: dying: %u mapping(s) of other domains' pages removed\n", d->id, n);
    if (stuck)
        printk("gnttab: d%u: dying: %u mapping(s) keep their pages pinned (IOMMU entries not "
               "removed)\n", d->id, stuck);
}

void gnttab_domain_destroy(struct domain *d)
{
    struct gnttab *gt = table_of(d);
    unsigned n, stuck;

    spin_lock(&gt->lock);
    gt->closed = true;
    spin_unlock(&gt->lock);
    /* Normally none are left (gnttab_domain_dying ran).  Its p2m is going
     * away, or gone: only the pins and IOMMU entries need undoing. */
    n = drop_mappings_batched(d, false, &stuck);
    if (n)
        printk("gnttab: d%u: %u mapping(s) still held at destroy: dropped\n", d->id, n);
    /* Still stuck with the domain's IOMMU context gone would be a broken
     * IOMMU: the pages stay pinned for good (kept from their owners), which
     * is safe; the maptrack goes with the table. */
    if (stuck)
        printk("gnttab: d%u: destroy: %u page(s) stay pinned for good: their IOMMU entries "
               "could not be removed\n", d->id, stuck);
    spin_lock(&gt->lock);
    free_frames(gt);
    if (gt->maptrack)
        free_pages(gt->maptrack, MAPTRACK_ORDER);
    gt->maptrack = NULL;
    gt->live = false;
    spin_unlock(&gt->lock);
}

/* Whether pa is shared_info or one of gt's frames.  Caller holds gt's lock. */
static bool granite_page_locked(struct domain *d, struct gnttab *gt, pa_t pa)
{
    if (d->shared_info && pa_addr(ptr_to_pa(d->shared_info)) == pa_addr(pa))
        return true;
    for (unsigned i = 0; i < gt->nr_frames && i < GNTTAB_MAX_FRAMES; i++)
        if (gt->shared[i] && pa_addr(ptr_to_pa(gt->shared[i])) == pa_addr(pa))
            return true;
    return false;
}

/* Put `page` where RAM page `ram` is mapped at `at`.  Splitting a block may
 * need memory; if the new entry cannot be written, the RAM page goes back,
 * so a failure leaves the guest's memory as it was (-ENOMEM). */
static int replace_ram_page(struct domain *d, ipa_t at, pa_t ram, pa_t page)
{
    if (p2m_unmap(&d->p2m, at, PAGE_SIZE))
        return -ENOMEM;
    if (!p2m_map(&d->p2m, at, page, PAGE_SIZE, p2m_ram_rw))
        return 0;
    if (p2m_map(&d->p2m, at, ram, PAGE_SIZE, p2m_ram_rw))
        dlog(d, "gnttab: d%u: IPA 0x%lx: its RAM page could not be mapped back after a failed "
               "add_to_physmap: left empty\n", d->id, ipa_addr(at));
    return -ENOMEM;
}

/*
 * XENMEM_add_to_physmap's mapping step, under the table lock (see
 * grant_table.h).  What is at `at` decides:
 *   - `page` itself: nothing to do (a guest re-mapping after resume);
 *   - nothing, and `at` is in the grant window: map it there;
 *   - a page of d's own RAM (p2m_ram_rw inside [ram_base, +ram_size) and not
 *     another granite page placed earlier): the RAM page leaves the guest's
 *     physmap and `page` takes its place, as Xen does.  The RAM page stays
 *     d's (freed with its RAM when d ends): granite keeps no per-page owner
 *     count, and nothing else can ever reach it;
 *   - anything else: -EBUSY.
 * An earlier mapping of the same page elsewhere stays (core/memory_op.c).
 */
int gnttab_physmap_place(struct domain *d, ipa_t at, pa_t page)
{
    struct gnttab *gt = table_of(d);
    pa_t cur;
    p2m_type_t t;
    u64 a = ipa_addr(at);
    bool in_ram = a >= ipa_addr(d->ram_base) && a - ipa_addr(d->ram_base) < d->ram_size;
    bool in_window = a >= ipa_addr(d->gnttab_base) &&
                     a - ipa_addr(d->gnttab_base) < d->gnttab_size;
    int ret = 0;

    spin_lock(&gt->lock);
    if (!gt->live || gt->closed) {
        ret = -EINVAL;
    } else if (!p2m_lookup(&d->p2m, at, &cur, &t)) {
        if (pa_addr(cur) == pa_addr(page) && t == p2m_ram_rw)
            ret = 0;
        else if (in_ram && t == p2m_ram_rw && !granite_page_locked(d, gt, cur))
            ret = replace_ram_page(d, at, cur, page);
        else
            ret = -EBUSY;
    } else if (in_window) {
        ret = p2m_map(&d->p2m, at, page, PAGE_SIZE, p2m_ram_rw) ? -ENOMEM : 0;
    } else {
        ret = -EINVAL;
    }
    spin_unlock(&gt->lock);
    return ret;
}

bool gnttab_physmap_begin(struct domain *d)
{
    struct gnttab *gt = table_of(d);

    spin_lock(&gt->lock);
    if (gt->live && !gt->closed)
        return true;
    spin_unlock(&gt->lock);
    return false;
}

void gnttab_physmap_end(struct domain *d) { spin_unlock(&table_of(d)->lock); }

bool gnttab_is_table_frame(struct domain *d, pa_t pa)
{
    struct gnttab *gt = table_of(d);
    bool found;

    spin_lock(&gt->lock);
    found = granite_page_locked(d, gt, pa);
    spin_unlock(&gt->lock);
    return found;
}

/* ------------------------------------------------------------------------ */
/* Copy                                                                      */
/* ------------------------------------------------------------------------ */

struct copy_side {
    bool pinned;              /* a grant: pin holds it */
    struct pin pin;
    pa_t page;
};

/* A frame of the caller's own memory: RAM (writable for a destination). */
static int own_frame(struct domain *ld, xen_pfn_t gmfn, bool dest, pa_t *page, struct why *why)
{
    p2m_type_t t;

    if (gmfn >> (64 - PAGE_SHIFT) || p2m_lookup(&ld->p2m, ipa(gmfn << PAGE_SHIFT), page, &t) ||
        !(t == p2m_ram_rw || (!dest && t == p2m_ram_ro)))
        return refuse(why, GNTST_bad_page, "gmfn 0x%lx is not %sRAM of d%u", gmfn,
                      dest ? "writable " : "", ld->id);
    if (!mm_pa_range_is_ram(*page, PAGE_SIZE))
        return refuse(why, GNTST_general_error,
                      "gmfn 0x%lx is machine address 0x%lx, not RAM granite maps (reserved "
                      "memory or a device window)", gmfn, pa_addr(*page));
    return GNTST_okay;
}

static int copy_acquire(struct domain *ld, const struct gnttab_copy_ptr *ptr, bool is_gref,
                        bool dest, struct copy_side *s, struct why *why)
{
    int st;

    s->pinned = false;
    if (!is_gref) {
        if (ptr->domid != DOMID_SELF && ptr->domid != ld->id)
            return refuse(why, GNTST_permission_denied,
                          "a frame number must be the caller's own (DOMID_SELF), not d%u's",
                          ptr->domid);
        return own_frame(ld, ptr->u.gmfn, dest, &s->page, why);
    }
    st = pin_grant(ld, ptr->domid, ptr->u.ref, dest ? PIN_COPY_WR : PIN_COPY_RD, &s->pin, why);
    if (st == GNTST_okay) {
        s->pinned = true;
        s->page = s->pin.page;
    }
    return st;
}

static void copy_release(struct copy_side *s)
{
    if (s->pinned)
        unpin(&s->pin);
    s->pinned = false;
}

/* "d1 ref 10+3" or "own gmfn 0x4321+3", for the log. */
static void describe(char *buf, size_t n, const struct gnttab_copy_ptr *p, bool is_gref)
{
    if (is_gref)
        snprintf(buf, n, "d%u ref %u+%u", p->domid, p->u.ref, p->offset);
    else
        snprintf(buf, n, "gmfn 0x%lx+%u", p->u.gmfn, p->offset);
}

static void copy_one(struct vcpu *v, void *arg)
{
    struct gnttab_copy *op = arg;
    struct domain *ld = v->d;
    bool src_gref = op->flags & GNTCOPY_source_gref, dst_gref = op->flags & GNTCOPY_dest_gref;
    struct copy_side src = { 0 }, dst = { 0 };
    char from[48], to[48];
    struct why why;
    int st = GNTST_okay;

    if (op->source.offset + op->len > PAGE_SIZE || op->dest.offset + op->len > PAGE_SIZE)
        st = refuse(&why, GNTST_bad_copy_arg, "crosses the end of a page");
    if (st == GNTST_okay)
        st = copy_acquire(ld, &op->source, src_gref, false, &src, &why);
    if (st == GNTST_okay)
        st = copy_acquire(ld, &op->dest, dst_gref, true, &dst, &why);
    if (st == GNTST_okay) {
        memmove((u8 *)pa_to_ptr(dst.page) + op->dest.offset,
                (const u8 *)pa_to_ptr(src.page) + op->source.offset, op->len);
        stat_inc(&table_of(ld)->copies);
    }
    copy_release(&dst);
    copy_release(&src);
    op->status = (int16_t)st;
    if (st == GNTST_okay)
        return;
    stat_inc(&table_of(ld)->refused);
    if (why.quiet)
        return;
    describe(from, sizeof(from), &op->source, src_gref);
    describe(to, sizeof(to), &op->dest, dst_gref);
    dlog(ld, "gnttab: d%u: copy of %u bytes from %s to %s: %s (%s)\n", ld->id, op->len, from, to,
         why.text, status_name(st));
}

/* ------------------------------------------------------------------------ */
/* setup_table and query_size: the caller's own table                       */
/* ------------------------------------------------------------------------ */

static int own_table(struct domain *ld, domid_t dom, struct why *why)
{
    if (dom == DOMID_SELF || dom == ld->id)
        return GNTST_okay;
    if (domain_by_id(dom))
        return refuse(why, GNTST_permission_denied, "only its own table, not d%u's", dom);
    return refuse(why, GNTST_bad_domain, "no domain %u", dom);
}

/* The GFN at which d mapped frame (searched in its grant window, where
 * XENMAPSPACE_grant_table puts frames), or INVALID_GFN.  Xen/Arm answers
 * setup_table with these GFNs: an auto-translated guest has no use for
 * machine frame numbers. */
static u64 frame_gfn(struct domain *d, pa_t frame)
{
    for (u64 off = 0; off < d->gnttab_size; off += PAGE_SIZE) {
        ipa_t at = ipa_add(d->gnttab_base, off);
        p2m_type_t t;
        pa_t p;
        if (!p2m_lookup(&d->p2m, at, &p, &t) && t == p2m_ram_rw && pa_addr(p) == pa_addr(frame))
            return ipa_addr(at) >> PAGE_SHIFT;
    }
    return INVALID_GFN;
}

static int setup_table_one(struct vcpu *v, struct gnttab_setup_table *op, struct why *why)
{
    struct domain *d = v->d;
    struct gnttab *gt = table_of(d);
    pa_t frames[GNTTAB_MAX_FRAMES];
    int st = own_table(d, op->dom, why);

    if (st != GNTST_okay)
        return st;
    if (op->nr_frames > GNTTAB_MAX_FRAMES)
        return refuse(why, GNTST_general_error, "%u frames asked, at most %d", op->nr_frames,
                      GNTTAB_MAX_FRAMES);
    spin_lock(&gt->lock);
    if (!gt->live || gt->closed)
        st = refuse(why, GNTST_general_error, "no table");
    else if (grow(gt, op->nr_frames))
        st = refuse(why, GNTST_general_error, "no memory to grow the table to %u frames",
                    op->nr_frames);
    for (unsigned i = 0; st == GNTST_okay && i < op->nr_frames; i++)
        frames[i] = ptr_to_pa(gt->shared[i]);
    spin_unlock(&gt->lock);
    for (unsigned i = 0; st == GNTST_okay && i < op->nr_frames; i++) {
        u64 gfn = frame_gfn(d, frames[i]);
        if (copy_to_guest(v, op->frame_list + i * sizeof(xen_pfn_t), &gfn, sizeof(gfn)))
            st = refuse(why, GNTST_bad_virt_addr, "frame_list 0x%lx is not writable",
                        op->frame_list);
    }
    return st;
}

static void setup_table_op(struct vcpu *v, void *arg)
{
    struct gnttab_setup_table *op = arg;
    struct why why;
    int st = setup_table_one(v, op, &why);

    op->status = (int16_t)st;
    if (st != GNTST_okay) {
        stat_inc(&table_of(v->d)->refused);
        dlog(v->d, "gnttab: d%u: setup_table of d%u, %u frame(s): %s (%s)\n", v->d->id, op->dom,
             op->nr_frames, why.text, status_name(st));
    }
}

static void query_size_op(struct vcpu *v, void *arg)
{
    struct gnttab_query_size *op = arg;
    struct gnttab *gt = table_of(v->d);
    struct why why;
    int st = own_table(v->d, op->dom, &why);

    op->status = (int16_t)st;
    if (st != GNTST_okay) {
        stat_inc(&gt->refused);
        dlog(v->d, "gnttab: d%u: query_size of d%u: %s (%s)\n", v->d->id, op->dom, why.text,
             status_name(st));
        return;
    }
    spin_lock(&gt->lock);
    op->nr_frames = gt->nr_frames;
    spin_unlock(&gt->lock);
    op->max_nr_frames = GNTTAB_MAX_FRAMES;
}

/* ------------------------------------------------------------------------ */
/* The hypercall: a batch of operations read, done and written back one by one */
/* ------------------------------------------------------------------------ */

union any_op {
    struct gnttab_map_grant_ref map;
    struct gnttab_unmap_grant_ref unmap;
    struct gnttab_copy copy;
    struct gnttab_setup_table setup;
    struct gnttab_query_size query;
};

struct op_type {
    const char *name;
    size_t size, align;
    u64 max_count;
    void (*run)(struct vcpu *v, void *op);
};

#define OP(cmd_, type_, max_, run_)                                                         \
    [cmd_] = { .name = #cmd_, .size = sizeof(struct type_), .align = _Alignof(struct type_), \
               .max_count = (max_), .run = (run_) }

static const struct op_type op_types[] = {
    OP(GNTTABOP_map_grant_ref, gnttab_map_grant_ref, GNTTAB_MAX_BATCH, map_one),
    OP(GNTTABOP_unmap_grant_ref, gnttab_unmap_grant_ref, GNTTAB_MAX_BATCH, unmap_one),
    OP(GNTTABOP_copy, gnttab_copy, GNTTAB_MAX_BATCH, copy_one),
    /* As on Xen, these two take exactly one operation. */
    OP(GNTTABOP_setup_table, gnttab_setup_table, 1, setup_table_op),
    OP(GNTTABOP_query_size, gnttab_query_size, 1, query_size_op),
};

/*
 * set_version and get_version: Arm tables are version 1 only (Xen/Arm's
 * GNTTAB_MAX_VERSION).  Asking for 1 succeeds; asking for 2 fails with
 * -ENOSYS, as Xen answers when v2 is not offered, and in both cases the
 * version in force (1) is written back: Linux uses v2 only after a
 * successful call that says 2.  Any other number is -EINVAL.
 */
static long set_version(struct vcpu *v, u64 uop_gva, u64 count)
{
    struct gnttab_set_version op;
    u32 asked;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(v, &op, uop_gva, sizeof(op)))
        return -EFAULT;
    asked = op.version;
    op.version = 1;
    if (copy_to_guest(v, uop_gva, &op, sizeof(op)))
        return -EFAULT;
    if (asked == 1)
        return 0;
    dlog(v->d, "gnttab: d%u: set_version %u: only version 1 is offered on Arm: %s\n", v->d->id,
         asked, asked == 2 ? "-ENOSYS" : "-EINVAL");
    return asked == 2 ? -ENOSYS : -EINVAL;
}

static long get_version(struct vcpu *v, u64 uop_gva, u64 count)
{
    struct gnttab_get_version op;
    struct why why;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(v, &op, uop_gva, sizeof(op)))
        return -EFAULT;
    if (own_table(v->d, op.dom, &why) != GNTST_okay) {
        dlog(v->d, "gnttab: d%u: get_version of d%u: %s: -EPERM\n", v->d->id, op.dom, why.text);
        return -EPERM;
    }
    op.version = 1;
    return copy_to_guest(v, uop_gva, &op, sizeof(op)) ? -EFAULT : 0;
}

static long run_ops(struct vcpu *v, const struct op_type *t, u64 uop_gva, u64 count);

long do_grant_table_op(struct vcpu *v, u64 cmd, u64 uop_gva, u64 count)
{
    const struct op_type *t = cmd < ARRAY_SIZE(op_types) ? &op_types[cmd] : NULL;
    unsigned id = v->d->id;

    if (cmd == GNTTABOP_set_version)
        return set_version(v, uop_gva, count);
    if (cmd == GNTTABOP_get_version)
        return get_version(v, uop_gva, count);
    /* cache_flush is not offered, and its answer must be exactly -ENOSYS:
     * Linux probes it with op=0 and, on any other answer, later relies on it
     * to clean and invalidate foreign pages for non-coherent devices.  No
     * log line: the probe is expected. */
    if (cmd == GNTTABOP_cache_flush)
        return -ENOSYS;
    if (!t || !t->run) {
        dlog_domid(id,
                   "gnttab: d%u: grant_table_op %lu unknown or not supported: -ENOSYS\n", id, cmd);
        return -ENOSYS;
    }
    if (count > t->max_count || (t->max_count == 1 && count != 1)) {
        dlog_domid(id,
                   "gnttab: d%u: %s with %lu operation(s) (%s %lu): -EINVAL\n", id, t->name, count,
                   t->max_count == 1 ? "exactly" : "at most", t->max_count);
        return -EINVAL;
    }
    if (!IS_ALIGNED(uop_gva, t->align)) {
        dlog_domid(id, "gnttab: d%u: %s: operations at 0x%lx, not %lu-byte aligned: -EFAULT\n", id,
                   t->name, uop_gva, t->align);
        return -EFAULT;
    }
    long ret = run_ops(v, t, uop_gva, count);
    /* The unmaps' pages go back only now, after one invalidation for all. */
    release_queued(my_queue());
    return ret;
}

/* The operations one by one: read, done, written back. */
static long run_ops(struct vcpu *v, const struct op_type *t, u64 uop_gva, u64 count)
{
    unsigned id = v->d->id;
    union any_op op;

    for (u64 i = 0; i < count; i++) {
        u64 at = uop_gva + i * t->size;
        if (copy_from_guest(v, &op, at, t->size)) {
            dlog_domid(id,
                       "gnttab: d%u: %s: operation %lu at 0x%lx unreadable: -EFAULT\n", id, t->name,
                       i, at);
            return -EFAULT;
        }
        t->run(v, &op);
        if (copy_to_guest(v, at, &op, t->size)) {
            dlog_domid(id,
                       "gnttab: d%u: %s: operation %lu at 0x%lx unwritable: -EFAULT\n", id, t->name,
                       i, at);
            return -EFAULT;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The toolstack's part: reserved entries filled at build time               */
/* ------------------------------------------------------------------------ */

int gnttab_seed_entry(struct domain *d, u32 ref, u16 to, u64 gfn, bool readonly)
{
    struct gnttab *gt = table_of(d);
    struct grant_entry_v1 *e;

    if (ref >= GNTTAB_NR_RESERVED_ENTRIES || gfn >> 32) {
        printk("gnttab: d%u: seeding ref %u (gfn 0x%lx): only reserved refs below a 32-bit "
               "frame\n", d->id, ref, gfn);
        return -EINVAL;
    }
    spin_lock(&gt->lock);
    e = shared_entry(gt, ref);
    e->frame = (u32)gfn;
    e->domid = to;
    __atomic_store_n(&e->flags, (u16)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    spin_unlock(&gt->lock);
    printk("gnttab: d%u: reserved ref %u grants gfn 0x%lx to d%u%s (set up by granite)\n", d->id,
           ref, gfn, to, readonly ? " read-only" : "");
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Statistics                                                                */
/* ------------------------------------------------------------------------ */

void gnttab_get_stats(struct domain *d, struct gnttab_stats *s)
{
    struct gnttab *gt = table_of(d);

    spin_lock(&gt->lock);
    *s = (struct gnttab_stats){ .maps = gt->maps, .unmaps = gt->unmaps,
                                .copies = __atomic_load_n(&gt->copies, __ATOMIC_RELAXED),
                                .refused = __atomic_load_n(&gt->refused, __ATOMIC_RELAXED),
                                .nr_frames = gt->nr_frames, .mapped = gt->nr_maps,
                                .pins = __atomic_load_n(&gt->pins, __ATOMIC_RELAXED) };
    spin_unlock(&gt->lock);
}

unsigned gnttab_mapped_count(struct domain *d)
{
    struct gnttab_stats s;

    gnttab_get_stats(d, &s);
    return s.mapped;
}

/* Its unit (domain.h): the table is taken at domain_create and set up by the
 * builder (gnttab_domain_init). */
static int unit_init(struct domain *d, void *state)
{
    struct gnttab *gt = state;

    gt->lock = (spinlock_t)SPINLOCK_INIT(LOCK_GNTTAB);
    d->gnttab = gt;
    return 0;
}

const struct domain_unit gnttab_unit = {
    .name = "grant table", .state_size = sizeof(struct gnttab), .init = unit_init,
    .dying = gnttab_domain_dying, .destroy = gnttab_domain_destroy,
};
