/*
 * types.h — basic types and the four address spaces granite juggles.
 *
 * A physical address (PA, what the memory system sees), an intermediate
 * physical address (IPA, what a guest believes is physical), a hypervisor
 * virtual address (VA, what granite's own tables translate) and an I/O virtual
 * address (IOVA, what a device presents to the IOMMU: the bus address a guest
 * programs into it) are all 64-bit numbers.  Mixing them up is the classic
 * hypervisor bug (seed 000 is a machine address used as a bus address), so
 * each gets its own wrapper struct: the compiler refuses to pass an IPA where
 * a PA is expected.  (Idea from Hafnium's inc/hf/addr.h.)  A conversion from
 * one space to another is a named function that says what makes it true:
 * pa_to_ptr()/va_of_pa() (memory_map.h: granite maps VA == PA),
 * ipa_of_pa_1to1() (p2m.h: a direct-mapped domain sees the host's layout),
 * iova_of_ipa()/iova_of_pa_1to1() (iommu.h: what the IOMMU's tables hold).
 * Pointers are granite's VAs when it dereferences them; va_t is the VA as a
 * number, where granite's own tables are built (arch/arm64/mmu.c).
 */
#ifndef GRANITE_TYPES_H
#define GRANITE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;
typedef int64_t s64;
typedef int32_t s32;

typedef struct { u64 v; } pa_t;   /* host physical address */
typedef struct { u64 v; } ipa_t;  /* guest physical address (stage-2 input) */
typedef struct { u64 v; } va_t;   /* granite virtual address */
typedef struct { u64 v; } iova_t; /* device (bus) address: the IOMMU's input */

static inline pa_t pa(u64 v) { return (pa_t){ v }; }
static inline ipa_t ipa(u64 v) { return (ipa_t){ v }; }
static inline va_t va(u64 v) { return (va_t){ v }; }
static inline iova_t iova(u64 v) { return (iova_t){ v }; }
static inline u64 pa_addr(pa_t p) { return p.v; }
static inline u64 ipa_addr(ipa_t p) { return p.v; }
static inline u64 va_addr(va_t p) { return p.v; }
static inline u64 iova_addr(iova_t p) { return p.v; }
static inline pa_t pa_add(pa_t p, u64 off) { return pa(p.v + off); }
static inline ipa_t ipa_add(ipa_t p, u64 off) { return ipa(p.v + off); }
static inline iova_t iova_add(iova_t p, u64 off) { return iova(p.v + off); }

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define SZ_2M (1UL << 21)
#define SZ_1G (1UL << 30)

#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((u64)(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define BIT(n) (1UL << (n))
/* A mask of bits hi..lo inclusive, as register field definitions in the specs are written. */
#define GENMASK(hi, lo) (((~0UL) >> (63 - (hi))) & ~((1UL << (lo)) - 1))
#define FIELD_GET(mask, v) (((v) & (mask)) >> __builtin_ctzl(mask))
#define FIELD_PREP(mask, v) ((((u64)(v)) << __builtin_ctzl(mask)) & (mask))

#define unused __attribute__((unused))
#define noreturn_fn __attribute__((noreturn))

#endif
