/*
 * tsan_harness.h — what the ThreadSanitizer tests share (tests/tsan/tsan_harness.c).
 *
 * Host threads play physical CPUs.  Unlike tests/unit/host_stubs.c, whose
 * locks are no-ops, the spinlocks here really exclude (C11 atomics with
 * acquire/release, as arch/arm64/spinlock.c's exclusives do), so
 * ThreadSanitizer sees the same happens-before edges the hardware would give
 * and reports any access the locks do not order.
 *
 * Each test checks that ThreadSanitizer reported nothing while it ran
 * (tsan_reports(), counted through TSan's __tsan_on_report hook), besides
 * whatever the test itself asserts.
 */
#ifndef GRANITE_TESTS_TSAN_HARNESS_H
#define GRANITE_TESTS_TSAN_HARNESS_H

#include <granite/types.h>

/* Race reports ThreadSanitizer has printed since the program started. */
unsigned tsan_reports(void);

/* The physical CPU the calling thread plays (this_cpu()). */
void tsan_set_cpu(unsigned cpu);

/* Guest console lines (console_write_line), kept for the console tests. */
#define TSAN_LINE_MAX 512
struct tsan_console_stats {
    u64 lines;             /* lines printed */
    u64 bytes[256];        /* how many of each byte value the lines carried */
    u64 longest;           /* longest line, bytes */
    u64 short_lines;       /* lines shorter than `expect_len` (when it is set) */
    u64 mixed_lines;       /* lines with more than one distinct byte value */
    u64 bad_prefix;        /* lines whose prefix was not "(dN) " */
};
void tsan_console_reset(u64 expect_len);
struct tsan_console_stats tsan_console_stats(void);
/* Whether printk printed a line containing `needle` since the last reset. */
bool tsan_printk_seen(const char *needle);

#endif
