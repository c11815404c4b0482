/*
 * grant_refs.c — the free list of a domain's own grant references
 * (grant_refs.h says what it promises).
 *
 * link[r] is the next free reference after r while r is free, and one of
 * two marks otherwise: GRANT_REFS_USED (handed out: freeing it is legal) or
 * GRANT_REFS_RESERVED (0 .. GNTTAB_NR_RESERVED_ENTRIES-1: never handed out,
 * never freed).  The list is a FIFO (head = oldest free), so a reference
 * comes back into use as late as possible after it was freed.
 */
#include <errno.h>
#include <stddef.h>
#include "grant_refs.h"

#define GRANT_REFS_END 0xffffffffu       /* end of the free list */
#define GRANT_REFS_USED 0xfffffffeu
#define GRANT_REFS_RESERVED 0xfffffffdu

int grant_refs_init(struct grant_refs *t, unsigned frames)
{
    if (!t || frames == 0 || frames > GRANT_REFS_MAX_FRAMES)
        return -EINVAL;
    t->nr = frames * (uint32_t)GRANT_REFS_PER_FRAME;
    t->head = t->tail = GRANT_REFS_END;
    t->nfree = 0;
    for (uint32_t r = 0; r < t->nr; r++) {
        if (r < GNTTAB_NR_RESERVED_ENTRIES) {
            t->link[r] = GRANT_REFS_RESERVED;
            continue;
        }
        t->link[r] = GRANT_REFS_END;
        if (t->tail == GRANT_REFS_END)
            t->head = r;
        else
            t->link[t->tail] = r;
        t->tail = r;
        t->nfree++;
    }
    return 0;
}

int grant_ref_alloc(struct grant_refs *t, grant_ref_t *ref)
{
    uint32_t r;

    if (!t || !ref)
        return -EINVAL;
    if (t->head == GRANT_REFS_END)
        return -ENOSPC;
    r = t->head;
    t->head = t->link[r];
    if (t->head == GRANT_REFS_END)
        t->tail = GRANT_REFS_END;
    t->link[r] = GRANT_REFS_USED;
    t->nfree--;
    *ref = r;
    return 0;
}

int grant_ref_free(struct grant_refs *t, grant_ref_t ref)
{
    if (!t || ref >= t->nr || t->link[ref] == GRANT_REFS_RESERVED)
        return -EINVAL;
    if (t->link[ref] != GRANT_REFS_USED)
        return -EALREADY;
    t->link[ref] = GRANT_REFS_END;
    if (t->tail == GRANT_REFS_END)
        t->head = ref;
    else
        t->link[t->tail] = ref;
    t->tail = ref;
    t->nfree++;
    return 0;
}

unsigned grant_refs_free_count(const struct grant_refs *t) { return t ? t->nfree : 0; }
