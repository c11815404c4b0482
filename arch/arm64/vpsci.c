/*
 * vpsci.c — PSCI and SMCCC as a guest sees them (Arm DEN 0022, DEN 0028).
 * Served on both conduits (HVC #0 and SMC #0): a guest given a DTB derived from
 * QEMU's may use either.
 *
 * Today each domain has one vCPU, so CPU_ON/CPU_OFF/AFFINITY_INFO answer as for
 * a one-CPU machine.  SYSTEM_OFF ends the domain cleanly; SYSTEM_RESET ends it
 * too (granite does not reboot domains).  Anything else: NOT_SUPPORTED.
 */
#include <granite/domain.h>
#include <granite/psci.h>
#include <granite/console.h>
#include "sysregs.h"

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
        return true;
    }
    return false;
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
        return SMCCC_RET_NOT_SUPPORTED; /* no firmware workarounds are offered */
    case PSCI_0_2_FN_CPU_ON:
    case PSCI_0_2_FN64_CPU_ON:
        /* The only vCPU is already on. */
        return (c->x[1] & MPIDR_AFF_MASK) == v->id ? PSCI_RET_ALREADY_ON
                                                    : PSCI_RET_INVALID_PARAMS;
    case PSCI_0_2_FN_AFFINITY_INFO:
    case PSCI_0_2_FN64_AFFINITY_INFO:
        return (c->x[1] & MPIDR_AFF_MASK) == v->id ? 0 /* ON */ : PSCI_RET_INVALID_PARAMS;
    case PSCI_0_2_FN_CPU_OFF:
    case PSCI_0_2_FN_SYSTEM_OFF:
        printk("psci: d%u asked for %s\n", v->d->id,
               fn == PSCI_0_2_FN_CPU_OFF ? "CPU_OFF of its last vCPU" : "SYSTEM_OFF");
        domain_end(v->d, true, "switched itself off");
        return PSCI_RET_INTERNAL_FAILURE; /* not reached */
    case PSCI_0_2_FN_SYSTEM_RESET:
        printk("psci: d%u asked for SYSTEM_RESET; granite ends the domain instead\n", v->d->id);
        domain_end(v->d, true, "reset (ended)");
        return PSCI_RET_INTERNAL_FAILURE;
    default:
        printk("smccc: d%u vcpu%u: function 0x%08x: NOT_SUPPORTED\n", v->d->id, v->id, fn);
        return SMCCC_RET_NOT_SUPPORTED;
    }
}
