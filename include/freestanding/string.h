/*
 * string.h — the C library's string functions for granite's freestanding
 * EL2 build, implemented in core/string.c (memcpy/memset in
 * arch/arm64/copy.S).  The host unit tests get the system's <string.h>
 * instead: include/freestanding is only on the hypervisor's include path.
 */
#ifndef GRANITE_FREESTANDING_STRING_H
#define GRANITE_FREESTANDING_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *p, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

#endif
