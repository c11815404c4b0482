/*
 * smc_service.h — firmware services beside PSCI that guests reach with SMC
 * (or HVC) #0 under the SMC Calling Convention (Arm DEN 0028).
 *
 * A board's firmware may offer more than PSCI: the ZynqMP's platform
 * management (EEMI) in the SiP range is the case here.  Each service is one
 * `struct smc_service` in the table in core/smc_service.c; at boot each
 * service looks at the host DT (and, where it can, asks the firmware) and
 * says whether it serves, and how.  arch/arm64/vpsci.c hands every call PSCI
 * does not know to smc_service_call(): no caller names a board.
 */
#ifndef GRANITE_SMC_SERVICE_H
#define GRANITE_SMC_SERVICE_H

#include <granite/types.h>

struct domain;

/* SMCCC function identifier fields (DEN 0028, "Function Identifier"). */
#define SMCCC_FAST_CALL (1U << 31)
#define SMCCC_64 (1U << 30)
#define SMCCC_OWNER_SHIFT 24
#define SMCCC_OWNER_MASK 0x3fU
#define SMCCC_OWNER_SIP 2
#define SMCCC_FUNC_MASK 0xffffU
#define SMCCC_RET_UNKNOWN (-1L) /* NOT_SUPPORTED: "Unknown Function Identifier" */

static inline u32 smccc_owner(u32 fid) { return (fid >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK; }

/* A call's registers: x0..x7 in, x0..x3 out (SMCCC results). */
struct smccc_regs {
    u64 x[8];
};

struct smc_service {
    const char *name;
    u32 owner;   /* the SMCCC owner number it serves (SMCCC_OWNER_SIP, ...) */
    /* Boot: decide from the host DT (and the firmware) whether to serve;
     * prints one line saying how.  true = serve. */
    bool (*probe)(const void *fdt);
    /* Serve one call of domain `d` (fast call, owner matched).  Fills r->x[0..3]. */
    void (*call)(struct domain *d, unsigned vcpu, struct smccc_regs *r);
    /* Boot, optional: the hardware domain's device tree as granite built it
     * (only the devices it owns): what its calls may name. */
    void (*hwdom_tree)(const void *fdt);
};

/* Boot: probe every service in the table against the host DT. */
void smc_services_init(const void *fdt);

/* Boot: the hardware domain's tree is built; each serving service learns
 * from it what the hardware domain owns (until then it owns nothing). */
void smc_services_hwdom_tree(const void *fdt);

/* A call PSCI did not take: true when a service answered it (results in
 * r->x[0..3]), false when none serves its owner (the caller answers
 * NOT_SUPPORTED). */
bool smc_service_call(struct domain *d, unsigned vcpu, struct smccc_regs *r);

/* The services (core/zynqmp_eemi.c, ...). */
extern const struct smc_service zynqmp_eemi_service;

#endif
