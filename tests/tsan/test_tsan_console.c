/*
 * test_tsan_console.c — core/guest_console.c under ThreadSanitizer, with two
 * threads playing two physical CPUs that run two vCPUs of one domain.
 *
 * Finding 1 (issue 10): two vCPUs looping CONSOLEIO_write without a newline
 * raced on the domain's console length; the length passed the buffer's size,
 * the "buffer full" check (==) never fired again, and every later write went
 * past the end of struct domain.  Here the domain sits in a box followed by a
 * canary as large as the biggest console_io write, so an overrun is seen
 * (and stays inside memory the test owns) as well as reported by TSan.
 *
 * Checked for every case: no TSan report, the canary intact, no line longer
 * than the buffer, and every byte written printed exactly once.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <granite/domain.h>
#include <granite/guest_console.h>
#include <granite/hypercall.h>
#include "tsan_harness.h"

#define CANARY_BYTE 0x5a
#define LINE_CAP sizeof(((struct domain *)0)->console_buf)

/* The domain and, right after it, what an overrun would hit first. */
static struct {
    struct domain d;
    u8 canary[CONSOLEIO_MAX_WRITE + 4096];
} box;

static bool canary_intact(void)
{
    for (size_t i = 0; i < sizeof(box.canary); i++)
        if (box.canary[i] != CANARY_BYTE)
            return false;
    return true;
}

static int setup(void **state)
{
    (void)state;
    memset(&box, 0, sizeof(box));
    memset(box.canary, CANARY_BYTE, sizeof(box.canary));
    box.d.id = 1;
    tsan_console_reset(0);
    return 0;
}

/* One vCPU's writer: `rounds` console_io writes of `len` bytes of `letter`,
 * ending each with '\n' when `newline`. */
struct writer {
    unsigned cpu;
    char letter;
    unsigned rounds, len;
    bool newline;
    bool flusher;          /* instead: flush the console `rounds` times (domain_end) */
    unsigned reports_before;
    pthread_barrier_t *start;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    char chunk[CONSOLEIO_MAX_WRITE];

    tsan_set_cpu(w->cpu);
    memset(chunk, w->letter, w->len);
    if (w->newline)
        chunk[w->len - 1] = '\n';
    pthread_barrier_wait(w->start);
    for (unsigned i = 0; i < w->rounds; i++) {
        if (w->flusher)
            guest_console_flush(&box.d);
        else
            guest_console_write(&box.d, chunk, w->len);
        /* Stop at the first overrun (later writes would go further still) or
         * the first race report (the verdict is known). */
        if (box.canary[0] != CANARY_BYTE || tsan_reports() != w->reports_before)
            break;
    }
    return NULL;
}

static void run_writers(struct writer *w, unsigned n)
{
    pthread_t t[4];
    pthread_barrier_t start;

    pthread_barrier_init(&start, NULL, n);
    for (unsigned i = 0; i < n; i++) {
        w[i].start = &start;
        w[i].reports_before = tsan_reports();
        pthread_create(&t[i], NULL, writer_main, &w[i]);
    }
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
}

static void assert_no_race_no_overrun(unsigned reports_before)
{
    struct tsan_console_stats s = tsan_console_stats();

    if (tsan_reports() != reports_before)
        fail_msg("ThreadSanitizer reported %u race(s) (above)", tsan_reports() - reports_before);
    if (!canary_intact())
        fail_msg("the console wrote past struct domain (canary overwritten)");
    if (s.longest > LINE_CAP)
        fail_msg("a console line of %lu bytes from a %zu-byte buffer", s.longest, LINE_CAP);
    assert_int_equal(s.bad_prefix, 0);
}

/* The finding: two vCPUs, no newline, many writes.  Every line but the last is
 * a full buffer, and every byte comes out exactly once. */
static void two_vcpus_write_without_newline(void **state)
{
    unsigned before = tsan_reports();
    struct writer w[2] = {
        { .cpu = 0, .letter = 'A', .rounds = 3000, .len = 61 },
        { .cpu = 1, .letter = 'B', .rounds = 3000, .len = 67 },
    };
    struct tsan_console_stats s;

    (void)state;
    run_writers(w, 2);
    guest_console_flush(&box.d);
    assert_no_race_no_overrun(before);
    s = tsan_console_stats();
    assert_int_equal(s.bytes['A'], 3000 * 61);
    assert_int_equal(s.bytes['B'], 3000 * 67);
    assert_int_equal(s.lines, (3000 * 61 + 3000 * 67 + LINE_CAP - 1) / LINE_CAP);
}

/* Writes of one whole line each: one vCPU's line is never cut by the other's. */
static void whole_lines_stay_whole(void **state)
{
    unsigned before = tsan_reports();
    struct writer w[2] = {
        { .cpu = 0, .letter = 'x', .rounds = 2000, .len = 101, .newline = true },
        { .cpu = 1, .letter = 'y', .rounds = 2000, .len = 101, .newline = true },
    };
    struct tsan_console_stats s;

    (void)state;
    tsan_console_reset(100);
    run_writers(w, 2);
    assert_no_race_no_overrun(before);
    s = tsan_console_stats();
    assert_int_equal(s.lines, 4000);
    assert_int_equal(s.mixed_lines, 0);
    assert_int_equal(s.short_lines, 0);
    assert_int_equal(s.bytes['x'], 2000 * 100);
    assert_int_equal(s.bytes['y'], 2000 * 100);
}

/* The domain ends (its console flushed from another CPU) while a vCPU writes. */
static void flush_while_writing(void **state)
{
    unsigned before = tsan_reports();
    struct writer w[2] = {
        { .cpu = 0, .letter = 'Q', .rounds = 3000, .len = 37 },
        { .cpu = 1, .flusher = true, .rounds = 3000 },
    };

    (void)state;
    run_writers(w, 2);
    guest_console_flush(&box.d);
    assert_no_race_no_overrun(before);
    assert_int_equal(tsan_console_stats().bytes['Q'], 3000 * 37);
}

/* The biggest write the hypercall accepts, from both vCPUs at once. */
static void two_vcpus_largest_writes(void **state)
{
    unsigned before = tsan_reports();
    struct writer w[2] = {
        { .cpu = 0, .letter = 'M', .rounds = 40, .len = CONSOLEIO_MAX_WRITE },
        { .cpu = 1, .letter = 'N', .rounds = 40, .len = CONSOLEIO_MAX_WRITE },
    };

    (void)state;
    run_writers(w, 2);
    guest_console_flush(&box.d);
    assert_no_race_no_overrun(before);
    assert_int_equal(tsan_console_stats().bytes['M'], 40 * CONSOLEIO_MAX_WRITE);
    assert_int_equal(tsan_console_stats().bytes['N'], 40 * CONSOLEIO_MAX_WRITE);
}

/* One thread: line boundaries, '\r' dropped, unprintable bytes as '?'. */
static void one_vcpu_line_rules(void **state)
{
    char full[LINE_CAP + 1];
    struct tsan_console_stats s;

    (void)state;
    memset(full, 'z', LINE_CAP);
    full[LINE_CAP] = '\n';
    guest_console_write(&box.d, full, sizeof(full)); /* exactly full, then '\n': one line */
    s = tsan_console_stats();
    assert_int_equal(s.lines, 1);
    assert_int_equal(s.longest, LINE_CAP);
    guest_console_write(&box.d, "a\r\x1b\t\n", 5);
    s = tsan_console_stats();
    assert_int_equal(s.lines, 2);
    assert_int_equal(s.bytes['a'], 1);
    assert_int_equal(s.bytes['?'], 1);
    assert_int_equal(s.bytes['\t'], 1);
    assert_int_equal(s.bytes['\r'], 0);
    assert_true(canary_intact());
}

/* A length already past the buffer (however it got there) is not followed:
 * the line is dropped with a log line and nothing is written past the buffer. */
static void length_past_buffer_not_followed(void **state)
{
    (void)state;
    box.d.console_len = LINE_CAP + 72;
    guest_console_write(&box.d, "0123456789", 10);
    assert_true(canary_intact());
    assert_true(tsan_printk_seen("console: d1: line length 200 past its 128-byte buffer"));
    guest_console_flush(&box.d);
    assert_int_equal(tsan_console_stats().bytes['0'], 1);
    assert_int_equal(tsan_console_stats().longest, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(one_vcpu_line_rules, setup),
        cmocka_unit_test_setup(length_past_buffer_not_followed, setup),
        cmocka_unit_test_setup(two_vcpus_write_without_newline, setup),
        cmocka_unit_test_setup(whole_lines_stay_whole, setup),
        cmocka_unit_test_setup(flush_while_writing, setup),
        cmocka_unit_test_setup(two_vcpus_largest_writes, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
