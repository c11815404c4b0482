/*
 * spinlock.h — a ticket-free test-and-set lock; the architecture implements it
 * with acquire/release exclusives.  Only for short sections; never held across
 * a guest entry.
 */
#ifndef GRANITE_SPINLOCK_H
#define GRANITE_SPINLOCK_H

#include <granite/types.h>

typedef struct { volatile u32 locked; } spinlock_t;
#define SPINLOCK_INIT { 0 }

void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
/* Lock with interrupts masked; returns the previous mask to restore. */
u64 spin_lock_irqsave(spinlock_t *l);
void spin_unlock_irqrestore(spinlock_t *l, u64 flags);

#endif
