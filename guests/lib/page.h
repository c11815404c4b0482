/*
 * page.h — the guests' page: the 4 KiB granule their stage 1 uses and the
 * unit Xen's interfaces count frames in (Xen on Arm: XEN_PAGE_SIZE is 4 KiB
 * whatever the guest's own granule).  A gfn is an IPA divided by it.
 *
 * Assumes what guests/lib/start.c sets up: VA == IPA for the guest's own
 * memory, so a pointer's value is its IPA.
 */
#ifndef GUEST_LIB_PAGE_H
#define GUEST_LIB_PAGE_H

#include <stdint.h>

/* The same as include/granite/types.h, which guests including a granite
 * header (psci.h) also see. */
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#endif

/* The guest frame number of the page holding p. */
static inline uint64_t gfn_of(const void *p) { return (uint64_t)p >> PAGE_SHIFT; }
static inline uint64_t gfn_of_addr(uint64_t ipa) { return ipa >> PAGE_SHIFT; }
/* The IPA where guest frame gfn starts. */
static inline uint64_t addr_of_gfn(uint64_t gfn) { return gfn << PAGE_SHIFT; }

#endif
