/*
 * grant_refs.h — which of a domain's own grant references are free
 * (grant_refs.c): a free list over the entries of its grant frames, so a
 * driver asks for a reference instead of hard-coding one.
 *
 * Assumptions: one vCPU uses it, never from an interrupt handler (guests/lib
 * is single-threaded); grant table v1; references below
 * GNTTAB_NR_RESERVED_ENTRIES (the xenstore and console rings' places, Xen's
 * public/grant_table.h) are never handed out.  This allocator only keeps
 * the book: writing and revoking the entry itself is gnttab_grant() and
 * gnttab_revoke() (xen.h).  Pure C: host unit-tested
 * (tests/unit/test_grant_refs.c).
 *
 * Every call returns 0 or a negative <errno.h> value:
 *   grant_ref_alloc   -ENOSPC when every reference is in use (nothing is ever
 *                     handed out twice);
 *   grant_ref_free    -EINVAL for a reserved or out-of-range reference,
 *                     -EALREADY for one that is not allocated (a double free).
 * Freed references go to the tail of the list: the one a backend may still
 * be holding by mistake is the last to be handed out again.
 */
#ifndef GUEST_LIB_GRANT_REFS_H
#define GUEST_LIB_GRANT_REFS_H

#include <stdint.h>
#include <public/grant_table.h>

#define GRANT_REFS_PAGE 4096u
#define GRANT_REFS_PER_FRAME (GRANT_REFS_PAGE / sizeof(struct grant_entry_v1))
#define GRANT_REFS_MAX_FRAMES 4u
#define GRANT_REFS_MAX (GRANT_REFS_PER_FRAME * GRANT_REFS_MAX_FRAMES)

struct grant_refs {
    uint32_t nr;                     /* references in the table: 0 .. nr-1 */
    uint32_t head, tail;             /* the free list, oldest free first */
    uint32_t nfree;
    uint32_t link[GRANT_REFS_MAX];   /* next free, or a GRANT_REFS_* mark */
};

/* A table of `frames` grant frames, every non-reserved reference free.
 * -EINVAL for 0 frames or more than GRANT_REFS_MAX_FRAMES. */
int grant_refs_init(struct grant_refs *t, unsigned frames);
int grant_ref_alloc(struct grant_refs *t, grant_ref_t *ref);
int grant_ref_free(struct grant_refs *t, grant_ref_t ref);
unsigned grant_refs_free_count(const struct grant_refs *t);

#endif
