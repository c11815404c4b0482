/*
 * map_dump.h — dump=maps: every domain's address spaces printed as text, for
 * tools/picture (core/map_dump.c says what is printed, when, and why).
 *
 * The note_* hooks are called only when map_dump_enabled(): off, a grant map,
 * unmap or fault costs one load and a predictable branch, not a call.  They
 * take only the record's own lock (LOCK_MAP_RECORD, ranked after everything
 * but the console), except note_grant_map, which also looks the mapper's
 * tables up (p2m or IOMMU tables' lock): it may be called holding the grant
 * table's lock (core/grant_table.c records under it), nothing ranked later.
 */
#ifndef GRANITE_MAP_DUMP_H
#define GRANITE_MAP_DUMP_H

#include <granite/types.h>

struct domain;

/* Read the dump= option.  0, or -EINVAL (already said why). */
int map_dump_init(void);

/* dump=maps given.  Written once, at boot. */
extern bool map_dump_on;

static inline bool map_dump_enabled(void) { return __builtin_expect(map_dump_on, 0); }

/* Boot: a range of host memory no domain gets (granite's image, the DTB,
 * /reserved-memory), shown as a reserved region. */
void map_dump_note_reserved(const char *what, pa_t start, u64 size);
/* `mapper` grant-mapped `granter`'s ref at IPA `at`: machine page `page`. */
void map_dump_note_grant_map(struct domain *mapper, unsigned granter, u32 ref, ipa_t at,
                             pa_t page, bool readonly);
void map_dump_note_grant_unmap(struct domain *mapper, unsigned granter, u32 ref, ipa_t at,
                               pa_t page);
/* An IOMMU fault of one of d's devices (stream `sid`) at `iova`. */
void map_dump_note_fault(struct domain *d, iova_t iova, u32 sid);
/* Print one snapshot: the policy, the reserved regions, each live domain's
 * IPA -> PA and IOVA -> PA runs (and `ending`'s, a domain whose end is under
 * way but whose tables still exist), the grant mappings and faults seen. */
void map_dump(const char *why, struct domain *ending);

#endif
