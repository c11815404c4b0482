/*
 * lock_order.c — the lock order of include/granite/spinlock.h, checked.
 *
 * Each CPU keeps a mask of the lock classes it holds.  Taking a lock whose
 * class does not rank above all of them is a deadlock waiting for the right
 * interleaving (another CPU taking the same two the other way round), so it
 * panics at once, on the first run that takes that path, naming both classes.
 *
 * Assumptions: this_cpu() works from the first lock taken (arch_cpu_init runs
 * before anything locks); an interrupt handler's locks are released before
 * it returns, so its update of the mask cannot lose the interrupted code's.
 */
#include <granite/spinlock.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/memory_map.h>

static const char *const class_names[LOCK_NR_CLASSES] = {
    [LOCK_PSCI] = "psci",
    [LOCK_EVTCHN] = "event channels", [LOCK_GNTTAB] = "grant table",
    [LOCK_GNTTAB_PINNED] = "pinned grant pages", [LOCK_IOMMU_GRANT] = "iommu grant counts",
    [LOCK_P2M] = "p2m", [LOCK_IOMMU_TABLES] = "iommu tables", [LOCK_IOMMU_FLUSH] = "iommu flush",
    [LOCK_SMMU_EVTQ] = "smmu event queue", [LOCK_SMMU_CMDQ] = "smmu command queue",
    [LOCK_WALLCLOCK] = "wallclock", [LOCK_VPL011] = "vpl011", [LOCK_VGIC] = "vgic",
    [LOCK_DOMAINS] = "domain table", [LOCK_HYP_PT] = "hypervisor page tables",
    [LOCK_PAGE_ALLOC] = "page allocator", [LOCK_GUEST_CONSOLE] = "guest console",
    [LOCK_DLOG] = "domain log", [LOCK_MAP_RECORD] = "map record", [LOCK_CONSOLE] = "console",
};

_Static_assert(LOCK_NR_CLASSES <= 32, "one bit per class in held[]");

static u32 held[GRANITE_MAX_CPUS]; /* bit c: this CPU holds a lock of class c */

/* holding: the highest class held, or LOCK_NONE for a lock without a class. */
static noreturn_fn void order_broken(u32 *mine, const spinlock_t *l, unsigned holding)
{
    *mine = 0; /* panic prints, under the console lock */
    if (holding == LOCK_NONE)
        panic("lock order: the lock at %p has no class (SPINLOCK_INIT)", (const void *)l);
    panic("lock order: taking %s (%p) while holding %s; include/granite/spinlock.h "
          "says which comes first", class_names[l->class], (const void *)l,
          class_names[holding]);
}

void lock_order_acquire(const spinlock_t *l)
{
    u32 *mine = &held[this_cpu()];
    u32 above;

    if (l->class == LOCK_NONE || l->class >= LOCK_NR_CLASSES)
        order_broken(mine, l, LOCK_NONE);
    above = *mine >> l->class; /* bit 0: the class itself */
    if (LOCK_SELF_NESTING & (1U << l->class))
        above &= ~1U;
    if (above)
        order_broken(mine, l, 31 - __builtin_clz(*mine));
    *mine |= 1U << l->class;
}

/* (The first of two self-nesting locks released clears the bit for both: the
 * check is only weaker until the second goes.) */
void lock_order_release(const spinlock_t *l) { held[this_cpu()] &= ~(1U << l->class); }
