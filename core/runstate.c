/*
 * runstate.c — each vCPU's runstate (public/vcpu.h): which state it is in
 * (running, runnable, blocked, offline), since when, and how long it has
 * spent in each, kept by granite and written into the guest at the virtual
 * address it registered with VCPUOP_register_runstate_memory_area.  Linux
 * registers one per CPU at late_initcall and BUG()s if that fails
 * (linux-xen-guest.md §2 step 10); it reads the area for steal time.
 *
 * Accounting: the scheduler (core/sched.c) tells us when a vCPU goes off its
 * physical CPU (runstate_vcpu_out: to runnable, blocked or offline, from its
 * scheduling state) and when it comes on (runstate_vcpu_in: running).  Each
 * change adds the time spent in the old state to time[old] and starts the new
 * one at state_entry_time.  Times are Xen's system time: nanoseconds of the
 * physical counter.  Only the vCPU's own physical CPU changes its record.
 *
 * Writing into the guest, and why only at switch-in.  The area is named by a
 * guest VIRTUAL address, so writing it means translating through the guest's
 * stage 1 (copy_to_guest: AT S1E1W, then the p2m).  That translation is the
 * one of whichever EL1 context is live on this CPU.  When a vCPU goes off
 * the CPU, its registers are saved and the CPU may load another domain's (or
 * none: VTTBR is cleared at unload), so the translation would be wrong or
 * absent.  When it comes on, after arch_vcpu_load(), its own stage 1 is
 * live: that is where granite writes, as Xen/Arm does (it updates the area of
 * the vCPU it has just switched to).  The guest therefore sees its area
 * updated each time the vCPU is scheduled, with the state it left and the
 * time it spent blocked or waiting already accounted -- all a guest can
 * observe of itself, since it only runs when running.  Translating once at
 * registration and writing by IPA later would go wrong when the guest changes
 * its mapping (and an IPA would have to be pinned); translating at every
 * switch costs one AT per switch.  At registration the caller's own area is
 * written at once (its context is the live one); another vCPU's area is first
 * written when that vCPU next comes on.  A write that fails (the guest
 * unmapped the page) is skipped: the guest broke its own area.
 *
 * The update flag (vm_assist VMASST_TYPE_runstate_update_flag): while it is
 * on, a rewrite first stores state_entry_time with XEN_RUNSTATE_UPDATE set,
 * then (after a barrier) the record, then (after a barrier) state_entry_time
 * without the flag; a reader retries while it sees the flag or a change.
 *
 * VCPUOP_register_runstate_phys_area names the area by guest PHYSICAL
 * address instead (XENFEAT_runstate_phys_area): it must lie in one page of
 * the domain's own RAM (not shared_info or a grant frame placed there) and is
 * written through the p2m, from any context.
 *
 * PSCI CPU_ON gives a vCPU a fresh context whose MMU is off: its old virtual
 * address means nothing any more, so the registration is forgotten (Linux
 * registers again as the CPU comes online).
 */
#include <granite/xen_guest.h>
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/dlog.h>
#include <granite/errno.h>
#include <granite/memory_map.h>
#include <public/vcpu.h>


struct runstate {
    struct vcpu_runstate_info info; /* granite's record */
    u64 addr;                       /* registered area, 0 = none */
    bool phys;                      /* addr is a guest physical address (IPA) */
};


u64 xen_system_time_ns(void)
{
    u64 c = arch_counter(), f = arch_counter_freq();

    if (!f)
        return 0;
    /* c % f < f <= ~2^32 on real counters, so the product fits 64 bits. */
    return c / f * NS_PER_SEC + c % f * NS_PER_SEC / f;
}

static struct runstate *of(struct vcpu *v)
{
    return v->d->runstate && v->id < MAX_VCPUS ? &v->d->runstate[v->id] : NULL;
}

static void change(struct runstate *r, int to, u64 now)
{
    int from = r->info.state;

    if (from >= 0 && from < RUNSTATE_NR && now > r->info.state_entry_time)
        r->info.time[from] += now - r->info.state_entry_time;
    r->info.state = to;
    r->info.state_entry_time = now;
}

/* One write into the area: by virtual address through the live (v's own)
 * stage 1, or by IPA through the p2m (the area lies in one page of RAM). */
static int put(struct vcpu *v, u64 addr, bool phys, u64 off, const void *src, u64 len)
{
    pa_t page;

    if (!phys)
        return copy_to_guest(v, addr + off, src, len);
    if (p2m_get_ram_page(&v->d->p2m, ipa(addr + off), true, &page))
        return -EFAULT;
    for (u64 i = 0; i < len; i++)
        ((u8 *)pa_to_ptr(page))[i] = ((const u8 *)src)[i];
    p2m_put_ram_page(&v->d->p2m);
    return 0;
}

/* Write r's record to the guest's area at addr. */
static int publish(struct vcpu *v, struct runstate *r, u64 addr, bool phys)
{
    struct vcpu_runstate_info copy = r->info;
    u64 entry = copy.state_entry_time;
    const u64 at = offsetof(struct vcpu_runstate_info, state_entry_time);

    if (!xen_runstate_update_flag(v->d))
        return put(v, addr, phys, 0, &copy, sizeof(copy));
    entry |= XEN_RUNSTATE_UPDATE;
    if (put(v, addr, phys, at, &entry, sizeof(entry)))
        return -EFAULT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* flag visible before the record changes */
    copy.state_entry_time = entry;
    if (put(v, addr, phys, 0, &copy, sizeof(copy)))
        return -EFAULT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* record visible before the flag goes */
    entry &= ~XEN_RUNSTATE_UPDATE;
    return put(v, addr, phys, at, &entry, sizeof(entry));
}

void runstate_vcpu_reset(struct vcpu *v)
{
    struct runstate *r = of(v);

    if (!r)
        return;
    __atomic_store_n(&r->addr, 0, __ATOMIC_RELEASE);
    if (v->d->state == DOM_BUILDING || r->info.state_entry_time == 0) {
        for (unsigned i = 0; i < RUNSTATE_NR; i++)
            r->info.time[i] = 0;
        r->info.state = RUNSTATE_offline;
        r->info.state_entry_time = xen_system_time_ns();
    }
}

void runstate_vcpu_out(struct vcpu *v)
{
    struct runstate *r = of(v);
    int to;

    if (!r)
        return;
    switch (vcpu_state(v)) {
    case VCPU_RUNNABLE: to = RUNSTATE_runnable; break;
    case VCPU_BLOCKED: to = RUNSTATE_blocked; break;
    default: to = RUNSTATE_offline; break;
    }
    change(r, to, xen_system_time_ns());
}

void runstate_vcpu_in(struct vcpu *v)
{
    struct runstate *r = of(v);
    u64 addr;

    if (!r)
        return;
    change(r, RUNSTATE_running, xen_system_time_ns());
    addr = __atomic_load_n(&r->addr, __ATOMIC_ACQUIRE);
    if (addr)
        (void)publish(v, r, addr, r->phys); /* a failure is the guest's own broken mapping */
}

/* Whether IPA addr is in d's own RAM range and not under a granite page. */
static bool own_ram(struct domain *d, u64 addr)
{
    pa_t pa;
    p2m_type_t t;

    return addr >= ipa_addr(d->ram_base) && addr - ipa_addr(d->ram_base) < d->ram_size &&
           !p2m_lookup(&d->p2m, ipa(addr & PAGE_MASK), &pa, &t) && t == p2m_ram_rw &&
           !physmap_is_granite_page(d, pa);
}

long runstate_register(struct vcpu *caller, struct vcpu *target, u64 addr, bool phys)
{
    struct domain *d = caller->d;
    struct runstate *r = of(target);
    const char *kind = phys ? "physical" : "virtual";

    if (!r)
        return -EINVAL;
    /* Xen's answers: -ENXIO for a physical area that is misaligned or
     * crosses a page, -EINVAL for one not in the domain's RAM. */
    if (addr & 7) {
        dlog(d, "runstate: d%u: area for vcpu%u at %s 0x%lx: not 8-byte aligned "
             "(state_entry_time is updated as one word): %s\n", d->id, target->id, kind, addr,
             phys ? "-ENXIO" : "-EINVAL");
        return phys ? -ENXIO : -EINVAL;
    }
    if (phys && (addr & ~PAGE_MASK) + sizeof(struct vcpu_runstate_info) > PAGE_SIZE) {
        dlog(d, "runstate: d%u: area for vcpu%u at physical 0x%lx crosses a page: -ENXIO\n",
             d->id, target->id, addr);
        return -ENXIO;
    }
    if (phys && addr && !own_ram(d, addr)) {
        dlog(d, "runstate: d%u: area for vcpu%u at physical 0x%lx: not in its RAM (or a page "
             "granite placed there): -EINVAL\n", d->id, target->id, addr);
        return -EINVAL;
    }
    /* Written at once where that works now: the caller's own area, or any
     * area named by IPA (no stage 1 involved). */
    if (addr && (phys || target == caller) && publish(caller, r, addr, phys)) {
        dlog(d, "runstate: d%u vcpu%u: area at %s 0x%lx cannot be written%s: -EFAULT\n", d->id,
             caller->id, kind, addr, phys ? " (not its RAM)" : " through its page tables");
        return -EFAULT;
    }
    r->phys = phys;
    __atomic_store_n(&r->addr, addr, __ATOMIC_RELEASE);
    return 0;
}

/* Its unit (domain.h): d->runstate is one record per vCPU. */
static int unit_init(struct domain *d, void *state)
{
    d->runstate = state;
    return 0;
}

const struct domain_unit runstate_unit = {
    .name = "runstate", .state_size = MAX_VCPUS * sizeof(struct runstate), .init = unit_init,
};
