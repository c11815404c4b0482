/*
 * grant_table.h — Xen-ABI grant tables, version 1 (core/grant_table.c).
 *
 * Each domain has a grant table: pages granite owns, holding the domain's
 * struct grant_entry_v1 array, which the domain maps into its grant window
 * (XENMEM_add_to_physmap, XENMAPSPACE_grant_table -> gnttab_get_frame()) and
 * fills to share its pages.  Another domain then maps a shared page into its
 * own grant window, or has granite copy bytes to or from it
 * (do_grant_table_op()).
 *
 * Life cycle, driven by the domain builder and domain.c (gnttab_unit):
 *   gnttab_domain_init(d)      while building: a table of one frame;
 *   gnttab_domain_dying(d)     from domain_end(): every mapping d made of
 *                              other domains' pages is removed, and d's own
 *                              table takes no new users;
 *   gnttab_page_in_use(page)   while freeing d's RAM, page by page: true means
 *                              another domain still maps (or is copying) the
 *                              page — do not free it; granite's grant code
 *                              now owns it and hands it to
 *                              domain_release_page() when the last user goes;
 *   gnttab_domain_destroy(d)   when d is released: its table frames freed.
 *                              Call it BEFORE p2m_destroy(&d->p2m): map and
 *                              copy read d's p2m under the table's lock, and
 *                              this is what tells them d is gone.
 */
#ifndef GRANITE_GRANT_TABLE_H
#define GRANITE_GRANT_TABLE_H

#include <granite/types.h>

struct domain;
struct vcpu;

#define GNTTAB_INITIAL_FRAMES 1      /* frames a table starts with (Xen/Arm: 1) */
#define GNTTAB_MAX_FRAMES 4          /* frames a table may grow to */
#define GNTTAB_ENTRIES_PER_FRAME (PAGE_SIZE / 8) /* 8 = sizeof(struct grant_entry_v1) */
#define GNTTAB_MAX_ENTRIES (GNTTAB_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME)
#define GNTTAB_MAX_MAPS 1024         /* mappings one domain may hold at once (handles) */
#define GNTTAB_MAX_BATCH 512         /* operations in one grant_table_op call */
#define GNTTAB_COPY_PINS 2          /* pins one vCPU's copy holds at once: source, destination */
/* Pins one domain may hold as a user (mapper or copier): every mapping, and a
 * copy in flight on each vCPU.  The machine-wide pinned-page table is sized
 * for every domain's quota at once (core/grant_table.c), so no set of domains
 * can fill it and starve another. */
#define GNTTAB_MAX_PINS(max_vcpus) (GNTTAB_MAX_MAPS + GNTTAB_COPY_PINS * (max_vcpus))

/* Its unit (domain.h): takes d->gnttab at domain_create; dying and destroy
 * are gnttab_domain_dying and gnttab_domain_destroy. */
extern const struct domain_unit gnttab_unit;
/* A table of GNTTAB_INITIAL_FRAMES frames, no mappings.  0 or -ENOMEM. */
int gnttab_domain_init(struct domain *d);
/* The machine address of frame idx of d's table (XENMAPSPACE_grant_table).
 * As on Xen, asking for a frame past the current size grows the table up to
 * it (idx < GNTTAB_MAX_FRAMES).  0, -EINVAL (beyond the maximum, or no table)
 * or -ENOMEM. */
int gnttab_get_frame(struct domain *d, unsigned idx, pa_t *frame);
/* The grant_table_op hypercall: cmd = GNTTABOP_*, uop_gva = the guest
 * virtual address of an array of `count` operations.  0 once every
 * operation has its own status written back; -EINVAL (count too large, or
 * not 1 for setup_table/query_size), -EFAULT (array unreadable, unwritable or
 * misaligned), -ENOSYS (unknown or unsupported cmd). */
long do_grant_table_op(struct vcpu *v, u64 cmd, u64 uop_gva, u64 count);
/* What Xen's toolstack does for a new guest: fill reserved entry `ref`
 * (below GNTTAB_NR_RESERVED_ENTRIES, e.g. GNTTAB_RESERVED_XENSTORE) of d's
 * table, granting gfn to domain `to`.  0 or -EINVAL. */
int gnttab_seed_entry(struct domain *d, u32 ref, u16 to, u64 gfn, bool readonly);
/* d is ending: remove its mappings of other domains' pages (dropping the
 * granters' pins) and refuse new maps and copies by it or of its grants. */
void gnttab_domain_dying(struct domain *d);
/* Whether a grant mapping or copy still uses this machine page.  When the
 * page's owner is dead (DOM_ENDED_CLEAN or DOM_DESTROYED: the domain code is
 * freeing its RAM), a true answer transfers the page to the grant code,
 * which calls domain_release_page(page) when the last user goes.  About a
 * live domain's page it is only a question. */
bool gnttab_page_in_use(pa_t page);
/* XENMEM_add_to_physmap's mapping step (core/memory_op.c): place a page
 * granite owns at `at` -- an empty GFN of d's grant window, or a GFN of d's
 * own RAM, whose page then leaves the guest's physmap (Xen's behaviour).  A
 * GFN holding
 * another granite page (shared_info, a table frame) is not RAM to replace.
 * Under d's table lock, like grant maps into the window.  0, -EBUSY
 * (something else is there), -EINVAL (neither window nor RAM, or no table)
 * or -ENOMEM. */
int gnttab_physmap_place(struct domain *d, ipa_t at, pa_t page);
/* The balloon (core/memory_op.c) changes d's physmap under the same lock as
 * grant maps and add_to_physmap, so that "is this GFN empty?" and the change
 * are one step.  begin: true with the lock held; false (nothing held) when
 * d's table is gone or closing (d is dying). */
bool gnttab_physmap_begin(struct domain *d);
void gnttab_physmap_end(struct domain *d);
/* Whether pa is d's shared_info or one of its grant-table frames. */
bool gnttab_is_table_frame(struct domain *d, pa_t pa);
/* Free d's table (and, should any remain, drop d's mappings without touching
 * its p2m).  Safe on a domain whose table was never set up; idempotent.
 * A mapping whose IOMMU entry could not be removed keeps its page pinned
 * (never handed back to its owner) unless the retry here succeeds. */
void gnttab_domain_destroy(struct domain *d);

/* Provided by the domain code (core/domain.c): scrub and free one page of a
 * dead domain's RAM that gnttab_page_in_use() kept. */
void domain_release_page(pa_t page);

/* Statistics since gnttab_domain_init. */
struct gnttab_stats {
    u64 maps, unmaps, copies; /* successful operations made by the domain */
    u64 refused;              /* operations of the domain refused with an error */
    unsigned nr_frames;       /* its table's current size */
    unsigned mapped;          /* mappings it holds now */
    unsigned pins;            /* pins charged to it now: its mappings (of its
                                 own grants too) and copies in flight */
};
void gnttab_get_stats(struct domain *d, struct gnttab_stats *s);
/* Mappings of other domains' pages d holds now. */
unsigned gnttab_mapped_count(struct domain *d);

#endif
