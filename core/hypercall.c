/*
 * hypercall.c — Xen hypercalls from guests: validated, answered, logged.
 *
 * Every argument is guest-controlled.  Buffers are guest virtual addresses,
 * read with copy_from_guest() through the guest's own translation, so a guest
 * can only ever name its own memory; a bad pointer gets -EFAULT.  An unknown
 * hypercall or sub-command gets -ENOSYS and a log line, as on Xen.
 */
#include <granite/dlog.h>
#include <granite/hypercall.h>
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/console.h>
#include <granite/guest_console.h>
#include <granite/errno.h>
#include <public/xen.h>
#include <public/version.h>
#include <public/sched.h>
#include <public/features.h>
#include <granite/event_channel.h>
#include <granite/grant_table.h>
#include <granite/iommu.h>
#include <public/granite.h>
#include <public/hvm_params.h>
#include <public/grant_table.h>
#include <granite/memory_map.h>
#include <granite/sched.h>
#include <granite/xen_guest.h>
#include <granite/multicall.h>

static long console_io(struct vcpu *v, u64 cmd, u64 count, u64 buf)
{
    char chunk[128];

    switch (cmd) {
    case CONSOLEIO_write:
        if (count > CONSOLEIO_MAX_WRITE) {
            dlog(v->d, "hypercall: d%u: console_io write of %lu bytes (max %d): -EINVAL\n",
                 v->d->id, count, CONSOLEIO_MAX_WRITE);
            return -EINVAL;
        }
        for (u64 done = 0; done < count;) {
            u64 n = MIN(count - done, sizeof(chunk));
            if (copy_from_guest(v, chunk, buf + done, n)) {
                dlog(v->d, "hypercall: d%u: console_io write: buffer 0x%lx+%lu unreadable: "
                     "-EFAULT\n", v->d->id, buf, count);
                return -EFAULT;
            }
            guest_console_write(v->d, chunk, n);
            done += n;
        }
        return 0;
    case CONSOLEIO_read:
        return 0; /* no console input is routed to guests yet */
    default:
        dlog(v->d, "hypercall: d%u: console_io command %lu unknown: -ENOSYS\n", v->d->id, cmd);
        return -ENOSYS;
    }
}

static long xen_version(struct vcpu *v, u64 cmd, u64 arg)
{
    switch (cmd) {
    case XENVER_version:
        return (GRANITE_XEN_ABI_MAJOR << 16) | GRANITE_XEN_ABI_MINOR;
    case XENVER_extraversion: {
        xen_extraversion_t s = GRANITE_EXTRAVERSION;
        return copy_to_guest(v, arg, s, sizeof(s));
    }
    /* Bits as Xen sets them for an Arm guest (xen/common/kernel.c; all
     * granite guests are translated): vnode_supported (XENMEM_get_vnumainfo
     * answers -EOPNOTSUPP: no vNUMA, as Xen without one) and
     * runstate_phys_area always; writable_page_tables and
     * auto_translated_physmap; dom0 for the hardware domain; SMCCC; then
     * exactly one of direct_mapped / not_direct_mapped. */
    case XENVER_get_features: {
        struct xen_feature_info fi;
        if (copy_from_guest(v, &fi, arg, sizeof(fi)))
            return -EFAULT;
        fi.submap = 0;
        if (fi.submap_idx == 0)
            fi.submap = BIT(XENFEAT_writable_page_tables) | BIT(XENFEAT_auto_translated_physmap) |
                        BIT(XENFEAT_memory_op_vnode_supported) |
                        BIT(XENFEAT_runstate_phys_area) | BIT(XENFEAT_ARM_SMCCC_supported) |
                        (v->d->id == 0 ? BIT(XENFEAT_dom0) : 0) |
                        (v->d->direct_map ? BIT(XENFEAT_direct_mapped)
                                          : BIT(XENFEAT_not_direct_mapped)) |
                        (v->d->dma_translated
                             ? BIT(XENFEAT_granite_dom0_dma_translated) : 0);
        return copy_to_guest(v, arg, &fi, sizeof(fi));
    }
    default:
        dlog(v->d, "hypercall: d%u: xen_version command %lu unknown: -ENOSYS\n", v->d->id, cmd);
        return -ENOSYS;
    }
}

static long sched_op(struct vcpu *v, u64 cmd, u64 arg)
{
    struct sched_shutdown sd;

    switch (cmd) {
    case SCHEDOP_yield:
        /* Let another runnable vCPU of this physical CPU run first; with
         * none, the caller simply carries on. */
        sched_yield_current();
        return 0;
    case SCHEDOP_shutdown:
        if (copy_from_guest(v, &sd, arg, sizeof(sd)))
            return -EFAULT;
        switch (sd.reason) {
        case SHUTDOWN_poweroff:
            domain_end(v->d, true, "shut down (SCHEDOP_shutdown poweroff)");
            return 0;
        case SHUTDOWN_reboot:
            domain_end(v->d, true, "shut down (SCHEDOP_shutdown reboot; not restarted)");
            return 0;
        case SHUTDOWN_crash:
            domain_end(v->d, false, "crashed (SCHEDOP_shutdown crash)");
            return 0;
        case SHUTDOWN_watchdog:
            domain_end(v->d, false, "watchdog (SCHEDOP_shutdown watchdog)");
            return 0;
        default:
            dlog(v->d, "hypercall: d%u: SCHEDOP_shutdown reason %u unknown: -EINVAL\n", v->d->id,
                 sd.reason);
            return -EINVAL;
        }
    default:
        dlog(v->d, "hypercall: d%u: sched_op command %lu unknown: -ENOSYS\n", v->d->id, cmd);
        return -ENOSYS;
    }
}

/* granite_op commands only the hardware domain may use. */
static bool from_hardware_domain(struct vcpu *v, const char *what)
{
    if (v->d->id == 0)
        return true;
    dlog(v->d,
         "hypercall: d%u: granite_op %s is for the hardware domain: -EPERM\n", v->d->id, what);
    return false;
}

static long op_iommu_stats(struct vcpu *v, u64 arg)
{
    struct iommu_stats s;
    struct granite_iommu_stats out;

    if (iommu_get_stats(v->d, &s))
        return -ENODEV;
    out = (struct granite_iommu_stats){ .maps = s.maps, .unmaps = s.unmaps, .tlbi = s.tlbi,
                                        .syncs = s.syncs, .faults = s.faults,
                                        .last_fault_iova = s.last_fault_iova,
                                        .one_to_one = s.one_to_one };
    return copy_to_guest(v, arg, &out, sizeof(out));
}

static long op_domain_info(struct vcpu *v, u64 arg)
{
    struct granite_domain_info info;
    struct domain *d;

    if (!from_hardware_domain(v, "domain_info"))
        return -EPERM;
    if (copy_from_guest(v, &info, arg, sizeof(info)))
        return -EFAULT;
    d = domain_by_id(info.domid);
    if (!d || d->state != DOM_RUNNING)
        return -ESRCH;
    info.has_store = d->store_page != NULL;
    info.store_port = d->store_port;
    info.store_gref = GNTTAB_RESERVED_XENSTORE;
    info.nr_vcpus = d->nr_vcpus;
    info.memory_kib = d->ram_size >> 10;
    for (unsigned i = 0; i < sizeof(info.name); i++)
        info.name[i] = i < sizeof(info.name) - 1 && i < sizeof(d->name) ? d->name[i] : 0;
    return copy_to_guest(v, arg, &info, sizeof(info));
}

static long granite_op(struct vcpu *v, u64 cmd, u64 arg)
{
    switch (cmd) {
    case GRANITE_OP_iommu_stats:
        return op_iommu_stats(v, arg);
    case GRANITE_OP_domain_info:
        return op_domain_info(v, arg);
    case GRANITE_OP_debug_dump:
        if (!from_hardware_domain(v, "debug_dump"))
            return -EPERM;
        iommu_dump();
        vcpu_stats_print(NULL);
        arch_exit_timing_restart();   /* printing it is not the hypercall's work */
        return 0;
    default:
        dlog(v->d, "hypercall: d%u: granite_op command %lu unknown: -ENOSYS\n", v->d->id, cmd);
        return -ENOSYS;
    }
}

/*
 * HVMOP_get_param (linux-xen-guest.md §2 steps 2 and 6, §9).
 *   CONSOLE_EVTCHN, CONSOLE_PFN: 0 with success.  granite has no PV console
 *     ring; Linux reads 0 as "no hvc0" silently (an error would add a
 *     "Cannot get hvm parameter" line), and a non-zero value with no consumer
 *     would hang printk once hvc0 is a console.
 *   STORE_PFN, STORE_EVTCHN: a domU's xenstore ring and its port to dom0.  A
 *     domain without a ring (dom0, which serves the store), or whose ring no
 *     one serves (no dom0), gets 0 with success: Linux's initial domain then takes the XS_LOCAL path (its own
 *     ring page, EVTCHNOP_alloc_unbound to itself), and a domU reading
 *     STORE_PFN 0 simply has no xenstore.
 *   Anything else: -EINVAL, as Xen for a parameter it does not keep.
 */
/* A ring is worth announcing only if some domain serves it: dom0, the
 * xenstore daemon, exists.  Without it (dom0=none) Linux would wait forever
 * for its first xenstore answer; STORE_PFN 0 tells it there is no store. */
static bool store_served(struct domain *d)
{
    return d->store_page && d->id != 0 && domain_by_id(0);
}

static long hvm_op(struct vcpu *v, u64 cmd, u64 arg)
{
    struct xen_hvm_param p;
    struct domain *d = v->d;

    if (cmd != HVMOP_get_param) {
        dlog(d, "hypercall: d%u: hvm_op %lu not supported: -ENOSYS\n", d->id, cmd);
        return -ENOSYS;
    }
    if (copy_from_guest(v, &p, arg, sizeof(p)))
        return -EFAULT;
    if (p.domid != DOMID_SELF && p.domid != d->id) {
        dlog(d, "hypercall: d%u: hvm_op get_param of d%u: -EPERM\n", d->id, p.domid);
        return -EPERM;
    }
    switch (p.index) {
    case HVM_PARAM_CONSOLE_PFN:
    case HVM_PARAM_CONSOLE_EVTCHN:
        p.value = 0;
        break;
    case HVM_PARAM_STORE_PFN:
        p.value = store_served(d) ? ipa_addr(d->store_ipa) >> PAGE_SHIFT : 0;
        break;
    case HVM_PARAM_STORE_EVTCHN:
        p.value = store_served(d) ? d->store_port : 0;
        break;
    default:
        dlog(d, "hypercall: d%u: hvm_op get_param %u: unknown parameter: -EINVAL\n", d->id,
             p.index);
        return -EINVAL;
    }
    return copy_to_guest(v, arg, &p, sizeof(p));
}

long hypercall_dispatch(struct vcpu *v, u64 nr, const u64 args[5])
{
    switch (nr) {
    case __HYPERVISOR_console_io:
        return console_io(v, args[0], args[1], args[2]);
    case __HYPERVISOR_xen_version:
        return xen_version(v, args[0], args[1]);
    case __HYPERVISOR_sched_op:
        return sched_op(v, args[0], args[1]);
    case __HYPERVISOR_memory_op:
        return do_memory_op(v, args[0], args[1]);
    case __HYPERVISOR_event_channel_op:
        return do_event_channel_op(v, args[0], args[1]);
    case __HYPERVISOR_grant_table_op:
        return do_grant_table_op(v, args[0], args[1], args[2]);
    case __HYPERVISOR_granite_op:
        return granite_op(v, args[0], args[1]);
    case __HYPERVISOR_hvm_op:
        return hvm_op(v, args[0], args[1]);
    case __HYPERVISOR_vcpu_op:
        return do_vcpu_op(v, args[0], args[1], args[2]);
    case __HYPERVISOR_vm_assist:
        return do_vm_assist(v, args[0], args[1]);
    case __HYPERVISOR_platform_op:
        return do_platform_op(v, args[0]);
    case __HYPERVISOR_physdev_op:
        /* Xen/Arm answers -ENOSYS too; Linux dom0's PCI notifier then tries
         * the older commands and only prints that passthrough may fail. */
        dlog(v->d, "hypercall: d%u: physdev_op %lu not offered: -ENOSYS\n", v->d->id, args[0]);
        return -ENOSYS;
    case __HYPERVISOR_multicall:
        return do_multicall(v, args[0], args[1]);
    default:
        dlog(v->d, "hypercall: d%u vcpu%u: unknown hypercall %lu: -ENOSYS\n", v->d->id, v->id, nr);
        return -ENOSYS;
    }
}

/* A hypercall is one batch of IOMMU updates: with iommu_flush=batched, what
 * it changed is invalidated once, before the guest runs again. */
long do_hypercall(struct vcpu *v, u64 nr, const u64 args[5])
{
    long ret;

    if (nr < STATS_HYPERCALLS) {
        v->stats.hypercall[nr]++;
        if (args[0] < STATS_SUBOPS) {
            if (nr == __HYPERVISOR_event_channel_op)
                v->stats.evtchn_op[args[0]]++;
            else if (nr == __HYPERVISOR_grant_table_op)
                v->stats.grant_op[args[0]]++;
            else if (nr == __HYPERVISOR_sched_op)
                v->stats.sched_op[args[0]]++;
        }
    } else {
        v->stats.hypercall_other++;
    }
    iommu_batch_begin();
    ret = hypercall_dispatch(v, nr, args);
    iommu_batch_end();
    return ret;
}
