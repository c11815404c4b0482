/*
 * test_lock_order.c — host tests of the lock order check (core/lock_order.c).
 *
 * Locks here are only their class: the check runs before a lock is waited
 * for, so the tests call lock_order_acquire/release directly, on two CPUs
 * played by setting what this_cpu() returns.  panic() longjmps back to the
 * test with its message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <granite/spinlock.h>
#include <granite/console.h>
#include <granite/arch.h>

static unsigned cpu_now;
static jmp_buf on_panic;
static char panic_msg[256];

unsigned this_cpu(void) { return cpu_now; }

noreturn_fn void panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
    va_end(ap);
    longjmp(on_panic, 1);
}

/* Whether taking `l` now panics (the message in panic_msg). */
static bool take_panics(spinlock_t *l)
{
    panic_msg[0] = '\0';
    if (setjmp(on_panic))
        return true;
    lock_order_acquire(l);
    return false;
}

static spinlock_t grant = SPINLOCK_INIT(LOCK_IOMMU_GRANT), p2m = SPINLOCK_INIT(LOCK_P2M),
                  p2m_b = SPINLOCK_INIT(LOCK_P2M), flush = SPINLOCK_INIT(LOCK_IOMMU_FLUSH),
                  console = SPINLOCK_INIT(LOCK_CONSOLE), ev_a = SPINLOCK_INIT(LOCK_EVTCHN),
                  ev_b = SPINLOCK_INIT(LOCK_EVTCHN), none = { 0 };

static int fresh(void **state unused)
{
    for (cpu_now = 0; cpu_now < 2; cpu_now++)
        for (unsigned c = 0; c < LOCK_NR_CLASSES; c++)
            lock_order_release(&(spinlock_t)SPINLOCK_INIT(c));
    cpu_now = 0;
    return 0;
}

static void test_in_order(void **state unused)
{
    assert_false(take_panics(&grant));
    assert_false(take_panics(&p2m));
    assert_false(take_panics(&flush));
    assert_false(take_panics(&console));
    lock_order_release(&console);
    lock_order_release(&flush);
    lock_order_release(&p2m);
    lock_order_release(&grant);
    assert_false(take_panics(&flush)); /* everything released: anything goes */
}

/* The wrong order panics, naming both locks' classes. */
static void test_wrong_order_panics(void **state unused)
{
    assert_false(take_panics(&flush));
    assert_true(take_panics(&p2m));
    assert_non_null(strstr(panic_msg, "taking p2m"));
    assert_non_null(strstr(panic_msg, "while holding iommu flush"));
}

/* Two of one class, or the same lock twice, panic too ... */
static void test_same_class_panics(void **state unused)
{
    assert_false(take_panics(&p2m));
    assert_true(take_panics(&p2m_b));
    assert_non_null(strstr(panic_msg, "taking p2m"));
    assert_non_null(strstr(panic_msg, "while holding p2m"));
}

/* ... except a class that orders its own locks (event channels, by domain id). */
static void test_self_nesting_class(void **state unused)
{
    assert_false(take_panics(&ev_a));
    assert_false(take_panics(&ev_b));
    assert_false(take_panics(&p2m));
    lock_order_release(&p2m);
    lock_order_release(&ev_b);
    lock_order_release(&ev_a);
}

static void test_lock_without_class_panics(void **state unused)
{
    assert_true(take_panics(&none));
    assert_non_null(strstr(panic_msg, "has no class"));
}

/* What one CPU holds does not constrain another. */
static void test_per_cpu(void **state unused)
{
    cpu_now = 1;
    assert_false(take_panics(&flush));
    cpu_now = 0;
    assert_false(take_panics(&p2m));
    cpu_now = 1;
    assert_true(take_panics(&p2m_b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_in_order, fresh),
        cmocka_unit_test_setup(test_wrong_order_panics, fresh),
        cmocka_unit_test_setup(test_same_class_panics, fresh),
        cmocka_unit_test_setup(test_self_nesting_class, fresh),
        cmocka_unit_test_setup(test_lock_without_class_panics, fresh),
        cmocka_unit_test_setup(test_per_cpu, fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
