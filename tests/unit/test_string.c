/*
 * test_string.c — host unit tests of the portable bulk copy and fill
 * (core/string.c, built with HOST_TEST: mem_copy_fwd, mem_copy_bwd, mem_fill),
 * the algorithm arch/arm64/copy.S implements at EL2: every length from 0 to
 * past two 64-byte blocks, every source and destination offset within a word
 * (so both the aligned path and the byte path), bytes around the destination
 * untouched, checked against the host C library.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/string_copy.h>

#define MAX_LEN 200
#define GUARD 16
#define BUF (MAX_LEN + 2 * GUARD + 8)

static u8 src[BUF], dst[BUF], want[BUF];

static void pattern(u8 *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (u8)(i * 131 + seed * 7 + 1);
}

static void test_copy_forward(void **state)
{
    (void)state;
    pattern(src, BUF, 1);
    for (unsigned so = 0; so < 8; so++)
        for (unsigned dof = 0; dof < 8; dof++)
            for (size_t n = 0; n <= MAX_LEN; n++) {
                pattern(dst, BUF, 2);
                memcpy(want, dst, BUF);
                memcpy(want + GUARD + dof, src + GUARD + so, n);
                assert_ptr_equal(mem_copy_fwd(dst + GUARD + dof, src + GUARD + so, n),
                                 dst + GUARD + dof);
                assert_memory_equal(dst, want, BUF);
            }
}

/* Overlapping moves, as memmove picks them: forward when the destination is
 * below the source, backward when above. */
static void test_overlap(void **state)
{
    (void)state;
    for (unsigned a = 0; a < 16; a++)
        for (unsigned b = 0; b < 16; b++)
            for (size_t n = 0; n <= MAX_LEN; n += 7) {
                u8 *d = dst + GUARD + a, *s = dst + GUARD + b;
                pattern(dst, BUF, 3);
                memcpy(want, dst, BUF);
                memmove(want + GUARD + a, want + GUARD + b, n);
                if (d <= s)
                    mem_copy_fwd(d, s, n);
                else
                    mem_copy_bwd(d, s, n);
                assert_memory_equal(dst, want, BUF);
            }
}

static void test_fill(void **state)
{
    (void)state;
    for (unsigned dof = 0; dof < 8; dof++)
        for (size_t n = 0; n <= MAX_LEN; n++)
            for (int c = 0; c < 0x300; c += 0xa5) { /* also a c above 0xff: its low byte */
                pattern(dst, BUF, 4);
                memcpy(want, dst, BUF);
                memset(want + GUARD + dof, c, n);
                assert_ptr_equal(mem_fill(dst + GUARD + dof, c, n), dst + GUARD + dof);
                assert_memory_equal(dst, want, BUF);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_forward),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
