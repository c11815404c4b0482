/*
 * psci.c — calling the firmware's PSCI (Arm DEN 0022) from EL2: bring up
 * secondary CPUs, switch the machine off.  The conduit is the one the DTB's
 * /psci node names.  granite runs at EL2, so an HVC would trap to granite
 * itself: only SMC (to EL3, or to QEMU's built-in PSCI) can reach firmware.
 * A DTB that says "hvc" was written for a kernel running under a hypervisor;
 * granite says so and does without secondary CPUs rather than call itself.
 */
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/psci.h>
#include "internal.h"

static enum psci_conduit conduit = PSCI_CONDUIT_NONE;

static s64 smc_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
    register u64 x0 __asm__("x0") = fn;
    register u64 x1 __asm__("x1") = a1;
    register u64 x2 __asm__("x2") = a2;
    register u64 x3 __asm__("x3") = a3;

    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (s64)x0;
}

/* An SMCCC call to the firmware with x0..x7 from a[], results x0..x3 in res[]:
 * for services beside PSCI (core/smc_service.c) that forward a guest's call.
 * Without an SMC conduit there is no firmware to ask: NOT_SUPPORTED. */
void arch_firmware_smc(const u64 a[8], u64 res[4])
{
    register u64 x0 __asm__("x0") = a[0];
    register u64 x1 __asm__("x1") = a[1];
    register u64 x2 __asm__("x2") = a[2];
    register u64 x3 __asm__("x3") = a[3];
    register u64 x4 __asm__("x4") = a[4];
    register u64 x5 __asm__("x5") = a[5];
    register u64 x6 __asm__("x6") = a[6];
    register u64 x7 __asm__("x7") = a[7];

    if (conduit != PSCI_CONDUIT_SMC) {
        res[0] = (u64)PSCI_RET_NOT_SUPPORTED;
        res[1] = res[2] = res[3] = 0;
        return;
    }
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6),
                       "+r"(x7)
                     :
                     : "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17",
                       "memory");
    res[0] = x0;
    res[1] = x1;
    res[2] = x2;
    res[3] = x3;
}

static s64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3)
{
    if (conduit != PSCI_CONDUIT_SMC)
        return PSCI_RET_NOT_SUPPORTED;
    return smc_call(fn, a1, a2, a3);
}

static void discover_smccc(void);

void psci_set_conduit(enum psci_conduit c)
{
    conduit = c;
    if (c == PSCI_CONDUIT_SMC)
        discover_smccc();
    if (c == PSCI_CONDUIT_HVC)
        printk("psci: the DTB names the 'hvc' conduit, which from EL2 would call granite "
               "itself; PSCI is unavailable (one CPU, no firmware power-off)\n");
    else if (c == PSCI_CONDUIT_NONE)
        printk("psci: no /psci node in the DTB: one CPU, no firmware power-off\n");
}

const char *psci_conduit_name(void)
{
    return conduit == PSCI_CONDUIT_SMC ? "smc" : conduit == PSCI_CONDUIT_HVC ? "hvc" : "none";
}

u32 psci_host_version(void) { return (u32)psci_call(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0); }

/*
 * SMCCC on the host, discovered the way DEN 0028 says a caller must: PSCI 1.0
 * or later, PSCI_FEATURES(SMCCC_VERSION) = SUCCESS, SMCCC_VERSION >= 1.1;
 * only then may SMCCC_ARCH_FEATURES be called (an unknown SMC can be
 * UNDEFINED on firmware without SMCCC 1.1, e.g. QEMU's built-in PSCI).
 * What the firmware answers for each workaround is asked once, on the boot
 * CPU when the conduit is set (vpsci.c passes it on to guests).
 */
#define PSCI_VERSION_1_0 0x00010000U
static s64 host_wa[3] = { SMCCC_RET_NOT_SUPPORTED, SMCCC_RET_NOT_SUPPORTED,
                          SMCCC_RET_NOT_SUPPORTED };
static const u32 wa_fn[3] = { SMCCC_ARCH_WORKAROUND_1, SMCCC_ARCH_WORKAROUND_2,
                              SMCCC_ARCH_WORKAROUND_3 };

static void discover_smccc(void)
{
    if (conduit != PSCI_CONDUIT_SMC || psci_host_version() < PSCI_VERSION_1_0 ||
        psci_call(PSCI_1_0_FN_PSCI_FEATURES, SMCCC_VERSION, 0, 0) != PSCI_RET_SUCCESS ||
        psci_call(SMCCC_VERSION, 0, 0, 0) < (s64)SMCCC_VERSION_1_1) {
        printk("psci: the firmware has no SMCCC 1.1: no firmware workaround offered to guests\n");
        return;
    }
    for (unsigned i = 0; i < 3; i++)
        host_wa[i] = psci_call(SMCCC_ARCH_FEATURES, wa_fn[i], 0, 0);
    printk("psci: firmware SMCCC_ARCH_FEATURES: WORKAROUND_1 %ld, _2 %ld, _3 %ld\n", host_wa[0],
           host_wa[1], host_wa[2]);
}

s64 psci_host_workaround(unsigned n)
{
    return n >= 1 && n <= 3 ? host_wa[n - 1] : SMCCC_RET_NOT_SUPPORTED;
}

/* Run workaround n (1 or 3) in the firmware, for a guest: only after the
 * firmware said it implements it. */
void psci_firmware_workaround(unsigned n)
{
    if ((n == 1 || n == 3) && host_wa[n - 1] == PSCI_RET_SUCCESS)
        psci_call(wa_fn[n - 1], 0, 0, 0);
}

static const char *psci_err(s64 r)
{
    switch (r) {
    case PSCI_RET_NOT_SUPPORTED: return "NOT_SUPPORTED";
    case PSCI_RET_INVALID_PARAMS: return "INVALID_PARAMETERS";
    case PSCI_RET_DENIED: return "DENIED";
    case PSCI_RET_ALREADY_ON: return "ALREADY_ON";
    case PSCI_RET_ON_PENDING: return "ON_PENDING";
    case PSCI_RET_INTERNAL_FAILURE: return "INTERNAL_FAILURE";
    default: return "unknown error";
    }
}

int arch_cpu_start(unsigned cpu, u64 mpidr)
{
    s64 r = psci_call(PSCI_0_2_FN64_CPU_ON, mpidr, (u64)(uintptr_t)secondary_entry, cpu);
    if (r != PSCI_RET_SUCCESS) {
        printk("psci: CPU_ON cpu%u (mpidr 0x%lx) failed: %ld (%s)\n", cpu, mpidr, r, psci_err(r));
        return (int)r;
    }
    return 0;
}

void psci_system_off(void)
{
    psci_call(PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0);
}
