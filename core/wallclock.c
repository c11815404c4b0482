/*
 * wallclock.c — the wall-clock fields of shared_info (wc_version, wc_sec,
 * wc_nsec, wc_sec_hi) and dom0's platform_op XENPF_settime64.
 *
 * Meaning (Xen's): wc_sec_hi:wc_sec + wc_nsec is the wall-clock time at
 * system time 0; a guest adds its own time since boot.  Linux reads it once,
 * at late_initcall, and spins while wc_version is odd or changes under it
 * (linux-xen-guest.md §2 step 10), so every update follows the version
 * protocol: version made odd, barrier, fields, barrier, version made even,
 * all under one lock, so the guest only ever sees a stable even version.
 *
 * Source of the time: granite reads no RTC, so until dom0 sets the time the
 * base is 0 (the Unix epoch at system time 0): consistent, not calendar-true.
 * XENPF_settime64 from dom0 (Linux sends it when its clock is set and every
 * 11 minutes; it ignores the answer) sets the base, from which dom0's own
 * shared_info is refreshed at once and every domain that maps shared_info
 * later starts.  Unlike Xen, other running domains' pages are not rewritten:
 * a Linux domU reads the wallclock only once, at boot, and reaching into
 * another domain's shared_info from here would race with its release.
 *
 * The arch parts of shared_info and vcpu_info are empty on Arm, and Xen/Arm
 * leaves vcpu_time_info alone (guests use the architected timer): so does
 * granite.
 */
#include <granite/xen_guest.h>
#include <granite/domain.h>
#include <granite/spinlock.h>
#include <granite/arch.h>
#include <granite/dlog.h>
#include <granite/errno.h>
#include <public/xen.h>
#include <public/platform.h>


static spinlock_t wc_lock = SPINLOCK_INIT(LOCK_WALLCLOCK);
static u64 base_sec;  /* wall-clock time at system time 0 */
static u32 base_nsec;

void wallclock_fill(struct domain *d)
{
    struct shared_info *s = d->shared_info;
    u32 ver;

    if (!s)
        return;
    spin_lock(&wc_lock);
    ver = __atomic_load_n(&s->wc_version, __ATOMIC_RELAXED);
    __atomic_store_n(&s->wc_version, (ver | 1) , __ATOMIC_SEQ_CST);  /* odd: being written */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc_sec = (u32)base_sec;
    s->wc_sec_hi = (u32)(base_sec >> 32);
    s->wc_nsec = base_nsec;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&s->wc_version, (ver | 1) + 1, __ATOMIC_SEQ_CST); /* even: stable */
    spin_unlock(&wc_lock);
}

static long settime64(struct vcpu *v, const struct xenpf_settime64 *t)
{
    u64 sys = t->system_time, wall_ns_sec, sec = t->secs;
    u64 nsec = t->nsecs;

    if (t->mbz || nsec >= NS_PER_SEC) {
        dlog(v->d, "platform: d%u: settime64 with mbz %u, nsecs %u: -EINVAL\n", v->d->id, t->mbz,
             t->nsecs);
        return -EINVAL;
    }
    /* base = (secs.nsecs) - system_time, borrowing as needed. */
    wall_ns_sec = sys / NS_PER_SEC;
    if (nsec < sys % NS_PER_SEC) {
        nsec += NS_PER_SEC;
        wall_ns_sec++;
    }
    nsec -= sys % NS_PER_SEC;
    sec = sec >= wall_ns_sec ? sec - wall_ns_sec : 0;
    spin_lock(&wc_lock);
    base_sec = sec;
    base_nsec = (u32)nsec;
    spin_unlock(&wc_lock);
    wallclock_fill(v->d);
    return 0;
}

long do_platform_op(struct vcpu *v, u64 arg)
{
    struct xen_platform_op op;

    if (v->d->id != 0) {
        dlog(v->d, "platform: d%u: platform_op is for the hardware domain: -EPERM\n", v->d->id);
        return -EPERM;
    }
    if (copy_from_guest(v, &op, arg, sizeof(op))) {
        dlog(v->d, "platform: d%u: platform_op argument at 0x%lx unreadable: -EFAULT\n",
             v->d->id, arg);
        return -EFAULT;
    }
    if (op.interface_version != XENPF_INTERFACE_VERSION) {
        dlog(v->d, "platform: d%u: platform_op interface version 0x%x (granite speaks 0x%x): "
             "-EACCES\n", v->d->id, op.interface_version, XENPF_INTERFACE_VERSION);
        return -EACCES;
    }
    if (op.cmd == XENPF_settime64)
        return settime64(v, &op.u.settime64);
    dlog(v->d, "platform: d%u: platform_op %u not offered: -ENOSYS\n", v->d->id, op.cmd);
    return -ENOSYS;
}
