/*
 * persistent_grants.h — a backend's cache of grants it keeps mapped for the
 * whole of a connection (persistent_grants.c).
 *
 * A frontend that writes feature-persistent=1 promises to take every buffer
 * it hands the backend from a fixed set of grants it never revokes while
 * connected (blkif.h defines the key for block devices; netif.h has none, so
 * for a vif it is an agreement between granite's toy netfront and netback —
 * Linux's netfront never writes it and keeps the per-packet path).  The
 * backend may then map each such page once, on first use, and leave it
 * mapped: a packet after the first costs no map, no unmap and no IOTLB work.
 *
 * Bounded: PGRANT_MAX entries per cache, each with its own page of dom0's
 * grant window.  A grant the cache cannot take (full, or no page left) goes
 * the per-packet way, so a frontend naming many different grants costs dom0
 * nothing it would not pay anyway.  Entries are never removed one by one:
 * the whole cache is emptied when the connection ends (pgrant_unmap_ops,
 * pgrant_reset), and its pages are kept for the next connection.
 */
#ifndef GUESTS_DOM0_PERSISTENT_GRANTS_H
#define GUESTS_DOM0_PERSISTENT_GRANTS_H

#include <stdbool.h>
#include <stdint.h>
#include <public/grant_table.h>

#define PGRANT_MAX 192 /* the toy netfront's 64 TX and 128 RX buffers */
#define PGRANT_HASH 256 /* hash slots: a power of two above PGRANT_MAX */

/* How the backend uses the page: TX is read from, RX written to. */
enum pgrant_access { PGRANT_READ, PGRANT_WRITE };

enum pgrant_state {
    PGRANT_MAPPING, /* added; its map op is in a batch not yet made */
    PGRANT_MAPPED,  /* mapped at host_addr: use it */
    PGRANT_REFUSED, /* the map failed: from now on pgrant_get sends it the per-packet way */
};

struct pgrant {
    grant_ref_t ref;
    enum pgrant_access access;
    enum pgrant_state state;
    uint64_t host_addr;    /* its page in dom0's grant window */
    uint64_t machine;      /* the page's machine address (the map's dev_bus_addr) */
    grant_handle_t handle; /* while PGRANT_MAPPED */
};

struct pgrant_cache {
    struct pgrant e[PGRANT_MAX];
    unsigned n;                   /* entries in use: e[0..n) */
    uint8_t slot[PGRANT_HASH];    /* 1 + index into e[], 0 = empty (linear probing) */
    uint64_t page[PGRANT_MAX];    /* e[i]'s grant-window page (0: none yet) */
};

/* Supplies a grant-window page, or 0 when the cache must not take another. */
typedef uint64_t (*pgrant_page_fn)(void);

/* The entry for `ref`, or NULL.  The caller checks its access. */
struct pgrant *pgrant_find(struct pgrant_cache *c, grant_ref_t ref);
/* The entry `ref` should use for `access`: a hit, or a new PGRANT_MAPPING
 * entry (*added set) whose map op the caller makes; NULL if the grant is to go
 * the per-packet way (known with the other access, its map refused before,
 * cache full, no page). */
struct pgrant *pgrant_get(struct pgrant_cache *c, grant_ref_t ref, enum pgrant_access access,
                          pgrant_page_fn new_page, bool *added);
/* The map op for a PGRANT_MAPPING entry, and what its result makes of it. */
struct gnttab_map_grant_ref pgrant_map_op(const struct pgrant *p, domid_t granter);
void pgrant_map_done(struct pgrant *p, const struct gnttab_map_grant_ref *op);
/* Unmap ops for every mapped entry into ops[0..max): how many.  After the
 * hypercall, pgrant_reset(c, ops, count) empties the cache (a page whose
 * unmap failed is dropped, never reused). */
unsigned pgrant_unmap_ops(const struct pgrant_cache *c, struct gnttab_unmap_grant_ref *ops,
                          unsigned max);
void pgrant_reset(struct pgrant_cache *c, const struct gnttab_unmap_grant_ref *ops,
                  unsigned count);
/* Entries in state PGRANT_MAPPED. */
unsigned pgrant_mapped_count(const struct pgrant_cache *c);

#endif
