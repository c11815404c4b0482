/*
 * persistent_grants.c — the backend's cache of grants kept mapped for a
 * connection (what and why: persistent_grants.h).
 *
 * A small open-addressing hash from grant reference to entry: the lookup is
 * on every packet, so it must not walk 192 entries.  Entries only ever get
 * added during a connection, so linear probing needs no tombstones.  Entry i
 * always uses page[i]: a page, once taken from the grant window, stays with
 * the cache across connections.
 *
 * Nothing here talks to the hypervisor: the caller puts the map and unmap
 * ops this file fills in into its own batches (netback's multicalls), and
 * hands back the results.  That keeps the cache testable on the host.
 */
#include <string.h>
#include "persistent_grants.h"

/* Fibonacci hashing: grant references are small consecutive numbers, which
 * this spreads over the slots. */
static unsigned slot_of(grant_ref_t ref)
{
    return (unsigned)((ref * 2654435761u) >> 24) & (PGRANT_HASH - 1);
}

struct pgrant *pgrant_find(struct pgrant_cache *c, grant_ref_t ref)
{
    for (unsigned s = slot_of(ref), probes = 0; probes < PGRANT_HASH;
         s = (s + 1) & (PGRANT_HASH - 1), probes++) {
        if (!c->slot[s])
            return NULL;
        struct pgrant *p = &c->e[c->slot[s] - 1];
        if (p->ref == ref)
            return p;
    }
    return NULL;
}

static struct pgrant *add(struct pgrant_cache *c, grant_ref_t ref, enum pgrant_access access,
                          pgrant_page_fn new_page)
{
    unsigned s = slot_of(ref);

    if (c->n == PGRANT_MAX)
        return NULL;
    if (!c->page[c->n] && !(c->page[c->n] = new_page()))
        return NULL;
    while (c->slot[s]) /* a free slot exists: n < PGRANT_MAX < PGRANT_HASH */
        s = (s + 1) & (PGRANT_HASH - 1);
    c->slot[s] = (uint8_t)(c->n + 1);
    c->e[c->n] = (struct pgrant){ .ref = ref, .access = access, .state = PGRANT_MAPPING,
                                  .host_addr = c->page[c->n] };
    return &c->e[c->n++];
}

struct pgrant *pgrant_get(struct pgrant_cache *c, grant_ref_t ref, enum pgrant_access access,
                          pgrant_page_fn new_page, bool *added)
{
    struct pgrant *p = pgrant_find(c, ref);

    *added = false;
    /* Known with the other access, or its map failed (a bad reference, or
     * dom0 out of map handles for now): the per-packet way, every time. */
    if (p)
        return p->access == access && p->state != PGRANT_REFUSED ? p : NULL;
    p = add(c, ref, access, new_page);
    *added = p != NULL;
    return p;
}

struct gnttab_map_grant_ref pgrant_map_op(const struct pgrant *p, domid_t granter)
{
    return (struct gnttab_map_grant_ref){
        .host_addr = p->host_addr,
        .flags = GNTMAP_host_map | (p->access == PGRANT_READ ? GNTMAP_readonly : 0),
        .ref = p->ref, .dom = granter,
    };
}

void pgrant_map_done(struct pgrant *p, const struct gnttab_map_grant_ref *op)
{
    if (op->status != GNTST_okay) {
        p->state = PGRANT_REFUSED;
        return;
    }
    p->state = PGRANT_MAPPED;
    p->handle = op->handle;
    p->machine = op->dev_bus_addr;
}

unsigned pgrant_unmap_ops(const struct pgrant_cache *c, struct gnttab_unmap_grant_ref *ops,
                          unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < c->n && n < max; i++)
        if (c->e[i].state == PGRANT_MAPPED)
            ops[n++] = (struct gnttab_unmap_grant_ref){ .host_addr = c->e[i].host_addr,
                                                         .handle = c->e[i].handle };
    return n;
}

void pgrant_reset(struct pgrant_cache *c, const struct gnttab_unmap_grant_ref *ops,
                  unsigned count)
{
    for (unsigned k = 0; k < count; k++) {
        if (ops[k].status == GNTST_okay)
            continue;
        for (unsigned i = 0; i < c->n; i++)
            if (c->page[i] == ops[k].host_addr)
                c->page[i] = 0; /* still mapped: never handed out again */
    }
    memset(c->slot, 0, sizeof(c->slot));
    c->n = 0;
}

unsigned pgrant_mapped_count(const struct pgrant_cache *c)
{
    unsigned n = 0;

    for (unsigned i = 0; i < c->n; i++)
        n += c->e[i].state == PGRANT_MAPPED;
    return n;
}
