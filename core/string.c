/*
 * string.c — the C string and memory functions granite needs: its own code,
 * compiler-generated calls (struct copies become memcpy), and libfdt.
 * Byte loops, built -mgeneral-regs-only like the rest of EL2: slow is fine,
 * nothing here is on a hot path.
 *
 * Also the stack protector's two symbols: Debian's libfdt.a was compiled with
 * -fstack-protector, so it reads __stack_chk_guard and calls __stack_chk_fail.
 */
#include <granite/types.h>
#include <granite/console.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    u8 *d = dst;
    const u8 *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    u8 *d = dst;
    const u8 *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    u8 *d = dst;
    while (n--)
        *d++ = (u8)c;
    return dst;
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
