/*
 * string_copy.h — the portable bulk copy and fill behind memcpy/memset
 * (core/string.c).  At EL2 on arm64, memcpy/memset are arch/arm64/copy.S;
 * these C versions follow the same algorithm (aligned 8-byte words, bytes at
 * the edges, bytes throughout when source and destination cannot both be
 * aligned) and are what the host unit test checks.
 */
#ifndef GRANITE_STRING_COPY_H
#define GRANITE_STRING_COPY_H

#include <granite/types.h>

/* A forward copy of n bytes: safe for overlap only when dst <= src. */
void *mem_copy_fwd(void *dst, const void *src, size_t n);
/* A backward copy of n bytes (from the end): safe for overlap when dst >= src. */
void *mem_copy_bwd(void *dst, const void *src, size_t n);
/* n bytes of (u8)c. */
void *mem_fill(void *dst, int c, size_t n);

/* The same two at EL2 on arm64: arch/arm64/copy.S (general registers only). */
void *arch_memcpy(void *dst, const void *src, size_t n);
void *arch_memset(void *dst, int c, size_t n);

#endif
