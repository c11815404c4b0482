/*
 * map_dump.h — dump=maps: every domain's address spaces printed as text, for
 * tools/picture (core/map_dump.c says what is printed, when, and why).
 *
 * The note_* hooks are called unconditionally; without dump=maps they return
 * at once.  They take only the record's own lock (LOCK_MAP_RECORD, ranked
 * after everything but the console), except note_grant_map, which looks the
 * mapper's IOMMU context up and so must be called with no lock held.
 */
#ifndef GRANITE_MAP_DUMP_H
#define GRANITE_MAP_DUMP_H

#include <granite/types.h>

struct domain;

/* Read the dump= option.  0, or -EINVAL (already said why). */
int map_dump_init(void);
bool map_dump_enabled(void);
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
