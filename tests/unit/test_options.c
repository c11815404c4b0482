/*
 * test_options.c — host tests of the boot option parser (core/options.c).
 *
 * Options come from /chosen/bootargs, i.e. from whoever wrote the DTB or the
 * boot loader's command line: untrusted text.  Space-separated key=value,
 * a value with spaces double-quoted, unknown keys reported, the last
 * occurrence of a key wins, and a line too long for the parser's buffer is
 * reported, never overrun (ASan watches the buffer).
 *
 * The keys used are ones core/options.c knows today (poweroff, dom0, domU1-3,
 * domU_mem); if they are renamed there, rename them here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <granite/options.h>
#include <granite/errno.h>
#include "host_stubs.h"

static int reset(void **state unused)
{
    host_stubs_reset();
    return 0;
}

static const char *const poweroff_choices[] = { "psci", "semihosting", NULL };

/* A typical line: plain values, and a quoted value that keeps its spaces (the
 * quotes themselves are not part of the value). */
static void test_parse_typical_line(void **state unused)
{
    int err = 0;

    assert_int_equal(options_parse("poweroff=semihosting domU1=\"test=hello linger=5\" "
                                   "domU_mem=32M"),
                     0);
    assert_string_equal(opt_str("poweroff"), "semihosting");
    assert_string_equal(opt_str("domU1"), "test=hello linger=5");
    assert_string_equal(opt_str("domU_mem"), "32M");
    assert_int_equal(opt_size("domU_mem", 16UL << 20, &err), 32UL << 20);
    assert_int_equal(err, 0);
    assert_int_equal(opt_choice("poweroff", poweroff_choices, 0), 1);
    assert_null(opt_str("domU2"));
    assert_int_equal(host_log_count(), 0);
}

/* Leading, trailing and repeated spaces separate nothing; a key without '='
 * has the empty value. */
static void test_parse_spacing_and_bare_key(void **state unused)
{
    assert_int_equal(options_parse("   domU2=a    domU3   dom0=\"\"  "), 0);
    assert_string_equal(opt_str("domU2"), "a");
    assert_string_equal(opt_str("domU3"), "");
    assert_string_equal(opt_str("dom0"), "");
}

/* An unknown key is counted as an error and logged by name, not silently
 * dropped; the known ones around it still count. */
static void test_unknown_key_is_reported(void **state unused)
{
    assert_int_equal(options_parse("poweroff=psci frobnicate=1 domU_mem=8M bogus"), 2);
    assert_true(host_log_contains("frobnicate"));
    assert_true(host_log_contains("bogus"));
    assert_int_equal(host_log_count(), 2);
    assert_null(opt_str("frobnicate"));
    assert_string_equal(opt_str("poweroff"), "psci");
    assert_string_equal(opt_str("domU_mem"), "8M");
}

/* Sizes: decimal with K/M/G suffixes (either case, powers of 1024) and 0x hex. */
static void test_opt_size_suffixes_and_hex(void **state unused)
{
    static const struct { const char *text; u64 value; } cases[] = {
        { "4096", 4096 },         { "4K", 4UL << 10 },       { "4k", 4UL << 10 },
        { "16M", 16UL << 20 },    { "16m", 16UL << 20 },     { "2G", 2UL << 30 },
        { "2g", 2UL << 30 },      { "0x1000000", 0x1000000 }, { "0x10M", 16UL << 20 },
        { "0", 0 },
    };
    char line[64];

    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        int err = 0;
        snprintf(line, sizeof(line), "domU_mem=%s", cases[i].text);
        assert_int_equal(options_parse(line), 0);
        assert_int_equal(opt_size("domU_mem", 123, &err), cases[i].value);
        assert_int_equal(err, 0);
    }
}

/* A value that is not a size sets *err to -EINVAL, logs it, and the default
 * is returned; an absent key gives the default without an error. */
static void test_opt_size_bad_value_gives_default(void **state unused)
{
    static const char *const bad[] = { "lots", "16Q", "16MB", "", "0xZ", "M", "k" };
    char line[64];
    int err = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        snprintf(line, sizeof(line), "domU_mem=%s", bad[i]);
        assert_int_equal(options_parse(line), 0);
        err = 0;
        host_log_clear();
        if (opt_size("domU_mem", 123, &err) != 123 || err != -EINVAL)
            fail_msg("domU_mem=\"%s\" accepted as a size (err %d)", bad[i], err);
        assert_true(host_log_contains("domU_mem"));
    }
    assert_int_equal(options_parse("poweroff=psci"), 0);
    err = 0;
    assert_int_equal(opt_size("domU_mem", 123, &err), 123);
    assert_int_equal(err, 0);
}

/* A size that does not fit in 64 bits (or a negative one) is not a size:
 * it must not wrap around to a small number. */
static void test_opt_size_rejects_overflow_and_negative(void **state unused)
{
    static const char *const bad[] = { "17179869184G", "99999999999999999999", "-1M", "-4096" };
    char line[64];

    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        int err = 0;
        u64 v;
        snprintf(line, sizeof(line), "domU_mem=%s", bad[i]);
        assert_int_equal(options_parse(line), 0);
        v = opt_size("domU_mem", 123, &err);
        if (v != 123 || err != -EINVAL)
            fail_msg("domU_mem=%s gave 0x%lx (err %d)", bad[i], v, err);
    }
}

/* opt_choice: the index of the value among the choices, the default when the
 * key is absent, -1 (and a log line listing the choices) when it is none. */
static void test_opt_choice(void **state unused)
{
    assert_int_equal(options_parse("poweroff=psci"), 0);
    assert_int_equal(opt_choice("poweroff", poweroff_choices, 1), 0);
    assert_int_equal(options_parse("poweroff=semihosting"), 0);
    assert_int_equal(opt_choice("poweroff", poweroff_choices, 0), 1);
    assert_int_equal(options_parse(""), 0);
    assert_int_equal(opt_choice("poweroff", poweroff_choices, 1), 1);
    assert_int_equal(options_parse("poweroff=halt"), 0);
    host_log_clear();
    assert_int_equal(opt_choice("poweroff", poweroff_choices, 0), -1);
    assert_true(host_log_contains("poweroff=halt"));
    assert_true(host_log_contains("psci"));
    assert_true(host_log_contains("semihosting"));
    /* A prefix of a choice is not that choice. */
    assert_int_equal(options_parse("poweroff=ps"), 0);
    assert_int_equal(opt_choice("poweroff", poweroff_choices, 0), -1);
}

/* Given twice, the last one wins. */
static void test_last_occurrence_wins(void **state unused)
{
    int err = 0;

    assert_int_equal(options_parse("domU_mem=8M poweroff=psci domU_mem=64M "
                                   "poweroff=semihosting"),
                     0);
    assert_int_equal(opt_size("domU_mem", 0, &err), 64UL << 20);
    assert_string_equal(opt_str("poweroff"), "semihosting");
}

/* Each parse starts afresh: nothing from an earlier line survives. */
static void test_reparse_forgets_previous_line(void **state unused)
{
    assert_int_equal(options_parse("domU1=a domU2=b"), 0);
    assert_int_equal(options_parse("domU3=c"), 0);
    assert_null(opt_str("domU1"));
    assert_null(opt_str("domU2"));
    assert_string_equal(opt_str("domU3"), "c");
}

/* A line longer than the parser's 1024-byte buffer is reported (and counted
 * as an error); what was parsed before the overflow stays valid, nothing is
 * truncated silently, and nothing is written past the buffer. */
static void test_overlong_line_is_reported(void **state unused)
{
    static char line[2048];
    size_t n;

    n = (size_t)snprintf(line, sizeof(line), "poweroff=psci domU1=");
    memset(line + n, 'a', 1100);
    line[n + 1100] = '\0';
    assert_int_equal(options_parse(line), 1);
    assert_true(host_log_contains("longer than 1024"));
    assert_string_equal(opt_str("poweroff"), "psci");
    assert_null(opt_str("domU1"));
}

/* Around the buffer's limit, every value is either taken whole or reported:
 * never cut short. */
static void test_values_near_buffer_limit_are_whole_or_reported(void **state unused)
{
    static char line[2048];

    for (size_t len = 990; len <= 1040; len++) {
        const char *v;
        int ret;
        size_t n = (size_t)snprintf(line, sizeof(line), "domU2=\"");
        memset(line + n, 'x', len);
        strcpy(line + n + len, "\"");
        host_log_clear();
        ret = options_parse(line);
        v = opt_str("domU2");
        if (ret == 0) {
            assert_non_null(v);
            assert_int_equal(strlen(v), len);
        } else {
            assert_int_equal(ret, 1);
            assert_null(v);
            assert_true(host_log_contains("longer than"));
        }
    }
}

/* More options than the table holds (24): the extra ones are reported. */
static void test_too_many_options_reported(void **state unused)
{
    static const char *const keys[] = { "domU1", "domU2", "domU3", "dom0" };
    static char line[1024];
    size_t n = 0;

    for (int i = 0; i < 26; i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s=%d ", keys[i % 4], i);
    assert_int_equal(options_parse(line), 2);
    assert_true(host_log_contains("more than 24 options"));
    /* The 24 kept are the first ones: dom0's last kept value is from i = 23. */
    assert_string_equal(opt_str("dom0"), "23");
}

/* NULL, empty and blank command lines parse to no options and no error. */
static void test_empty_and_null_command_lines(void **state unused)
{
    int err = 0;

    assert_int_equal(options_parse(NULL), 0);
    assert_null(opt_str("poweroff"));
    assert_int_equal(options_parse(""), 0);
    assert_null(opt_str("poweroff"));
    assert_int_equal(options_parse("     "), 0);
    assert_null(opt_str("domU1"));
    assert_int_equal(opt_size("domU_mem", 42, &err), 42);
    assert_int_equal(err, 0);
    assert_int_equal(host_log_count(), 0);
}

/* An unterminated quote runs to the end of the line (spaces included). */
static void test_unterminated_quote_runs_to_end(void **state unused)
{
    assert_int_equal(options_parse("domU1=\"a b c"), 0);
    assert_string_equal(opt_str("domU1"), "a b c");
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_parse_typical_line),
        T(test_parse_spacing_and_bare_key),
        T(test_unknown_key_is_reported),
        T(test_opt_size_suffixes_and_hex),
        T(test_opt_size_bad_value_gives_default),
        T(test_opt_size_rejects_overflow_and_negative),
        T(test_opt_choice),
        T(test_last_occurrence_wins),
        T(test_reparse_forgets_previous_line),
        T(test_overlong_line_is_reported),
        T(test_values_near_buffer_limit_are_whole_or_reported),
        T(test_too_many_options_reported),
        T(test_empty_and_null_command_lines),
        T(test_unterminated_quote_runs_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
