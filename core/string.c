/*
 * string.c — the C string and memory functions granite needs: its own code,
 * compiler-generated calls (struct copies become memcpy), and libfdt.
 * Built -mgeneral-regs-only like the rest of EL2.
 *
 * memcpy and memset are on boot's critical path (a domain's kernel and
 * initrd, tens of MB, are copied with memcpy): at EL2 they are
 * arch/arm64/copy.S's arch_memcpy/arch_memset (64 bytes per iteration,
 * general registers).  mem_copy_fwd/mem_fill below are the same algorithm in
 * C — 8-byte words once the destination is aligned, bytes when source and
 * destination cannot both be aligned — for an architecture without copy.S
 * and for the host unit test (tests/unit/test_string.c), which builds this
 * file with HOST_TEST and so without the libc-named functions.
 * mem_copy_bwd, memmove's overlapping case, is C everywhere.  Every access
 * is naturally aligned: they may run with the MMU off (-mstrict-align).
 * The rest are byte loops: slow is fine, nothing else here is hot.
 *
 * Also the stack protector's two symbols: Debian's libfdt.a was compiled with
 * -fstack-protector, so it reads __stack_chk_guard and calls __stack_chk_fail.
 */
#include <granite/types.h>
#include <granite/console.h>
#include <granite/string_copy.h>

#define WORD 8UL
/* Words of any object: the callers' buffers are bytes, structs, anything. */
typedef u64 __attribute__((may_alias)) word_t;

void *mem_copy_fwd(void *dst, const void *src, size_t n)
{
    u8 *d = dst;
    const u8 *s = src;

    if (((uintptr_t)d ^ (uintptr_t)s) & (WORD - 1)) {
        while (n--)
            *d++ = *s++;
        return dst;
    }
    for (; n && ((uintptr_t)d & (WORD - 1)); n--)
        *d++ = *s++;
    for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
        *(word_t *)d = *(const word_t *)s;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *mem_copy_bwd(void *dst, const void *src, size_t n)
{
    u8 *d = (u8 *)dst + n;
    const u8 *s = (const u8 *)src + n;

    if (((uintptr_t)d ^ (uintptr_t)s) & (WORD - 1)) {
        while (n--)
            *--d = *--s;
        return dst;
    }
    for (; n && ((uintptr_t)d & (WORD - 1)); n--)
        *--d = *--s;
    for (; n >= WORD; n -= WORD) {
        d -= WORD;
        s -= WORD;
        *(word_t *)d = *(const word_t *)s;
    }
    while (n--)
        *--d = *--s;
    return dst;
}

void *mem_fill(void *dst, int c, size_t n)
{
    u8 *d = dst;
    u64 w = (u8)c * 0x0101010101010101UL;

    for (; n && ((uintptr_t)d & (WORD - 1)); n--)
        *d++ = (u8)c;
    for (; n >= WORD; n -= WORD, d += WORD)
        *(word_t *)d = w;
    while (n--)
        *d++ = (u8)c;
    return dst;
}

#ifndef HOST_TEST

#ifdef __aarch64__
#define COPY arch_memcpy
#define FILL arch_memset
#else
#define COPY mem_copy_fwd
#define FILL mem_fill
#endif

void *memcpy(void *dst, const void *src, size_t n) { return COPY(dst, src, n); }

void *memset(void *dst, int c, size_t n) { return FILL(dst, c, n); }

/* Forward copies are safe when the ranges are apart or the destination is
 * below the source (each block is loaded before it is stored, and stores
 * never pass the loads); otherwise backwards.  libfdt moves the rest of the
 * tree this way on every property it adds or removes (core/dom0_dt.c). */
void *memmove(void *dst, const void *src, size_t n)
{
    const u8 *d = dst, *s = src;

    if (d <= s || d >= s + n)
        return COPY(dst, src, n);
    return mem_copy_bwd(dst, src, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

void *memchr(const void *p, int c, size_t n)
{
    const u8 *s = p;
    for (; n; n--, s++)
        if (*s == (u8)c)
            return (void *)s;
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (u8)*a - (u8)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

/* As the C library's, for bases 10 and 16 (and 0): on overflow the result is
 * ULONG_MAX; "0x" with no digit after it is the number 0 ending at the 'x'. */
unsigned long strtoul(const char *s, char **end, int base)
{
    const char *start = s;
    unsigned long v = 0;
    bool overflow = false, any = false;

    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = 10;
    }
    for (;; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            break;
        if (d >= base)
            break;
        if (v > (~0UL - (unsigned long)d) / (unsigned long)base)
            overflow = true;
        v = v * base + d;
        any = true;
    }
    if (!any && base == 16 && s > start)
        s = start + 1; /* "0x": only the 0 was a number */
    if (end)
        *end = (char *)s;
    return overflow ? ~0UL : v;
}

unsigned long __stack_chk_guard = 0x5a17e0f7c0ffee11UL;

noreturn_fn void __stack_chk_fail(void)
{
    panic("stack protector: stack smashed (in libfdt, the only code built with it)");
}

#endif /* !HOST_TEST */
