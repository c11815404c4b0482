/*
 * spinlock.c — test-and-set lock with load-acquire/store-release exclusives
 * (Arm ARM B2.9).  Waiters sleep in WFE; the release store clears the
 * exclusive monitor of every waiter, which wakes them (Arm ARM D1.6.1: a global
 * monitor transition is a WFE wake-up event).  Only valid with the MMU on.
 * The lock order is checked before waiting (core/lock_order.c).
 */
#include <granite/spinlock.h>
#include "sysregs.h"

void spin_lock(spinlock_t *l)
{
    u32 tmp, one = 1;

    lock_order_acquire(l);
    __asm__ volatile("   sevl\n"
                     "1: wfe\n"
                     "2: ldaxr  %w0, [%1]\n"
                     "   cbnz   %w0, 1b\n"
                     "   stxr   %w0, %w2, [%1]\n"
                     "   cbnz   %w0, 2b\n"
                     : "=&r"(tmp)
                     : "r"(&l->locked), "r"(one)
                     : "memory");
}

void spin_unlock(spinlock_t *l)
{
    lock_order_release(l);
    __asm__ volatile("stlr wzr, [%0]" : : "r"(&l->locked) : "memory");
}

u64 spin_lock_irqsave(spinlock_t *l)
{
    u64 f = irq_save();
    spin_lock(l);
    return f;
}

void spin_unlock_irqrestore(spinlock_t *l, u64 flags)
{
    spin_unlock(l);
    irq_restore(flags);
}
