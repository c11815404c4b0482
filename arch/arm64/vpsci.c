/*
 * vpsci.c — PSCI 1.1 and SMCCC 1.1 as a guest sees them (Arm DEN 0022,
 * DEN 0028), served on both conduits (HVC #0 and SMC #0): a guest given a DTB
 * derived from QEMU's may use either.
 *
 * vCPU n of a domain has MPIDR Aff0 = n, other affinity fields 0.
 *   PSCI_VERSION            1.1
 *   PSCI_FEATURES           SUCCESS for the functions below, else NOT_SUPPORTED
 *   CPU_ON                  start an OFF vCPU at an entry point with a context id
 *   CPU_OFF                 the calling vCPU stops (the domain ends when none is left)
 *   AFFINITY_INFO           ON / OFF / ON_PENDING of a vCPU
 *   SYSTEM_OFF, SYSTEM_RESET  the domain ends (granite does not reboot domains)
 *   SMCCC_VERSION           1.1
 *   SMCCC_ARCH_FEATURES     SUCCESS for SMCCC_VERSION, ARCH_FEATURES and the
 *                           PSCI functions above; for ARCH_WORKAROUND_1/3 the
 *                           firmware's own answer (psci.c asked it at boot:
 *                           0 = needed and implemented, then granite runs the
 *                           guest's call in the firmware; 1 = this PE is not
 *                           affected; -1 = not available); for
 *                           ARCH_WORKAROUND_2 the firmware's "not affected"
 *                           (1) or "not required" (-2), else NOT_SUPPORTED:
 *                           granite keeps no per-vCPU mitigation state.  As
 *                           in Linux's use (arch/arm64 proton-pack), a guest
 *                           that gets NOT_SUPPORTED relies on the CPU's own
 *                           ID_AA64PFR0.CSV2/CSV3 to know it is safe.
 *   ARCH_WORKAROUND_1/3     run in the firmware when it implements them
 * Other fast calls go to the board's firmware services (core/smc_service.c:
 * the ZynqMP's EEMI in the SiP range), when one serves their owner.
 * Anything else: NOT_SUPPORTED (-1) at once, and a log line through the
 * domain's rate-limited dlog (32 lines, then one per 100 ms; the count of
 * those suppressed is printed later), never one line per call.
 */
#include <granite/dlog.h>
#include <granite/domain.h>
#include <granite/arch.h>
#include <granite/psci.h>
#include <granite/sched.h>
#include <granite/smc_service.h>
#include <granite/console.h>
#include "sysregs.h"
#include "internal.h"

#define AFFINITY_ON 0
#define AFFINITY_OFF 1
#define AFFINITY_ON_PENDING 2
#define MPIDR_AFF0 GENMASK(7, 0)

static bool psci_fn_known(u32 fn)
{
    switch (fn) {
    case PSCI_0_2_FN_PSCI_VERSION:
    case PSCI_0_2_FN_CPU_OFF:
    case PSCI_0_2_FN_CPU_ON:
    case PSCI_0_2_FN64_CPU_ON:
    case PSCI_0_2_FN_AFFINITY_INFO:
    case PSCI_0_2_FN64_AFFINITY_INFO:
    case PSCI_0_2_FN_SYSTEM_OFF:
    case PSCI_0_2_FN_SYSTEM_RESET:
    case PSCI_1_0_FN_PSCI_FEATURES:
    case SMCCC_VERSION:
    case SMCCC_ARCH_FEATURES:
        return true;
    }
    return false;
}

/* SMCCC_ARCH_FEATURES(fn) for fn one of the workarounds, else 0 (not one). */
static long workaround_feature(u32 fn, bool *is_wa)
{
    long host;

    *is_wa = true;
    switch (fn) {
    case SMCCC_ARCH_WORKAROUND_1:
        return psci_host_workaround(1);
    case SMCCC_ARCH_WORKAROUND_3:
        return psci_host_workaround(3);
    case SMCCC_ARCH_WORKAROUND_2:
        host = psci_host_workaround(2);
        return host == SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED || host == SMCCC_RET_NOT_REQUIRED
                   ? host : SMCCC_RET_NOT_SUPPORTED;
    }
    *is_wa = false;
    return 0;
}

static long arch_features(u32 fn)
{
    bool is_wa;
    long wa = workaround_feature(fn, &is_wa);

    if (is_wa)
        return wa;
    return psci_fn_known(fn) ? PSCI_RET_SUCCESS : SMCCC_RET_NOT_SUPPORTED;
}

/* The vCPU an MPIDR names, or NULL. */
static struct vcpu *vcpu_of_mpidr(struct domain *d, u64 mpidr)
{
    u64 aff0 = mpidr & MPIDR_AFF0;

    if ((mpidr & MPIDR_AFF_MASK) != aff0 || aff0 >= d->nr_vcpus)
        return NULL;
    return &d->vcpu[aff0];
}

/*
 * CPU_ON and CPU_OFF of one domain are serialised by its psci_lock: two vCPUs
 * starting the same vCPU must not both write its entry point, and two vCPUs
 * switching themselves off at once must agree on which one was the last.
 * The state itself moves by compare-and-swap (vcpu_transition), so the
 * domain's end on another CPU is never undone here.  The new context is not
 * written here: the target may still be loaded on its physical CPU (it is
 * between its own CPU_OFF and its unload), so its CPU applies the reset when
 * it next schedules it (sched.c).
 */
static long cpu_on(struct vcpu *caller, u64 target, u64 entry, u64 context)
{
    struct vcpu *t = vcpu_of_mpidr(caller->d, target);
    long ret = PSCI_RET_SUCCESS;
    u64 f;

    if (!t)
        return PSCI_RET_INVALID_PARAMS;
    if (entry & 3)
        return PSCI_RET_INVALID_PARAMS; /* entry must be a valid instruction address */
    f = spin_lock_irqsave(&caller->d->psci_lock);
    if (vcpu_state(t) != VCPU_OFFLINE) {
        ret = PSCI_RET_ALREADY_ON;
    } else {
        t->reset_entry = entry;
        t->reset_x0 = context;
        __atomic_store_n(&t->reset_pending, true, __ATOMIC_RELEASE);
        if (!vcpu_transition(t, VCPU_OFFLINE, VCPU_RUNNABLE)) {
            __atomic_store_n(&t->reset_pending, false, __ATOMIC_RELEASE);
            ret = PSCI_RET_ALREADY_ON; /* its domain is ending */
        }
    }
    spin_unlock_irqrestore(&caller->d->psci_lock, f);
    if (ret == PSCI_RET_SUCCESS)
        vcpu_wake(t);
    return ret;
}

static long affinity_info(struct vcpu *caller, u64 target, u64 lowest_level)
{
    struct vcpu *t = vcpu_of_mpidr(caller->d, target);

    if (!t || lowest_level != 0)
        return PSCI_RET_INVALID_PARAMS;
    if (vcpu_state(t) == VCPU_OFFLINE)
        return AFFINITY_OFF;
    return __atomic_load_n(&t->reset_pending, __ATOMIC_ACQUIRE) ? AFFINITY_ON_PENDING : AFFINITY_ON;
}

static void cpu_off(struct vcpu *v)
{
    struct domain *d = v->d;
    unsigned online = 0;
    bool switched_off;
    u64 f;

    f = spin_lock_irqsave(&d->psci_lock);
    switched_off = vcpu_transition(v, VCPU_RUNNABLE, VCPU_OFFLINE);
    for (unsigned i = 0; i < d->nr_vcpus; i++)
        online += vcpu_state(&d->vcpu[i]) != VCPU_OFFLINE;
    spin_unlock_irqrestore(&d->psci_lock, f);
    if (switched_off && !online) {
        printk("psci: d%u: CPU_OFF of its last vCPU\n", d->id);
        domain_end(d, true, "switched its last vCPU off");
    }
}

/* A board firmware service (smc_service.h) may take the call: x0..x3 are its results. */
static bool serve_elsewhere(struct vcpu *v, struct guest_context *c)
{
    struct smccc_regs r;

    for (unsigned i = 0; i < ARRAY_SIZE(r.x); i++)
        r.x[i] = c->x[i];
    if (!smc_service_call(v->d, v->id, &r))
        return false;
    for (unsigned i = 0; i < 4; i++)
        c->x[i] = r.x[i];
    return true;
}

long vpsci_smccc_call(struct vcpu *v, struct guest_context *c)
{
    u32 fn = (u32)c->x[0];

    switch (fn) {
    case PSCI_0_2_FN_PSCI_VERSION:
        return PSCI_VERSION_1_1;
    case PSCI_1_0_FN_PSCI_FEATURES:
        return psci_fn_known((u32)c->x[1]) ? PSCI_RET_SUCCESS : PSCI_RET_NOT_SUPPORTED;
    case SMCCC_VERSION:
        return SMCCC_VERSION_1_1;
    case SMCCC_ARCH_FEATURES:
        return arch_features((u32)c->x[1]);
    case SMCCC_ARCH_WORKAROUND_1:
    case SMCCC_ARCH_WORKAROUND_3:
        if (arch_features(fn) != PSCI_RET_SUCCESS)
            goto unknown;
        psci_firmware_workaround(fn == SMCCC_ARCH_WORKAROUND_1 ? 1 : 3);
        return PSCI_RET_SUCCESS;
    case PSCI_0_2_FN_CPU_ON:
    case PSCI_0_2_FN64_CPU_ON:
        return cpu_on(v, c->x[1], c->x[2], c->x[3]);
    case PSCI_0_2_FN_AFFINITY_INFO:
    case PSCI_0_2_FN64_AFFINITY_INFO:
        return affinity_info(v, c->x[1], c->x[2]);
    case PSCI_0_2_FN_CPU_OFF:
        cpu_off(v);
        return PSCI_RET_SUCCESS; /* not seen: the vCPU does not run again until CPU_ON */
    case PSCI_0_2_FN_SYSTEM_OFF:
        printk("psci: d%u asked for SYSTEM_OFF\n", v->d->id);
        domain_end(v->d, true, "switched itself off");
        return PSCI_RET_SUCCESS;
    case PSCI_0_2_FN_SYSTEM_RESET:
        printk("psci: d%u asked for SYSTEM_RESET; granite ends the domain instead\n", v->d->id);
        domain_end(v->d, true, "reset (ended)");
        return PSCI_RET_SUCCESS;
    default:
        if (serve_elsewhere(v, c))
            return (long)c->x[0];
    unknown:
        dlog(v->d, "smccc: d%u vcpu%u: function 0x%08x: NOT_SUPPORTED\n", v->d->id, v->id, fn);
        return SMCCC_RET_NOT_SUPPORTED;
    }
}
