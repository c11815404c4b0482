/*
 * smc_service.c — the table of firmware services guests reach by SMCCC
 * beside PSCI, and the dispatch to them (see include/granite/smc_service.h).
 *
 * Only fast calls are served (DEN 0028: yielding calls are for trusted OSes,
 * which granite offers none of); a service is chosen by the owner field of
 * the function identifier, and only when its probe found what it serves on
 * this board.  Adding a service is a line in services[] and its own file.
 */
#include <granite/smc_service.h>
#include <granite/boot.h>

static const struct smc_service *const services[] = {
    &zynqmp_eemi_service,
};

static bool enabled[ARRAY_SIZE(services)];

__boot void smc_services_init(const void *fdt)
{
    for (unsigned i = 0; i < ARRAY_SIZE(services); i++)
        enabled[i] = services[i]->probe(fdt);
}

__boot void smc_services_hwdom_tree(const void *fdt)
{
    for (unsigned i = 0; i < ARRAY_SIZE(services); i++)
        if (enabled[i] && services[i]->hwdom_tree)
            services[i]->hwdom_tree(fdt);
}

bool smc_service_call(struct domain *d, unsigned vcpu, struct smccc_regs *r)
{
    u32 fid = (u32)r->x[0];

    if (!(fid & SMCCC_FAST_CALL))
        return false;
    for (unsigned i = 0; i < ARRAY_SIZE(services); i++) {
        if (enabled[i] && services[i]->owner == smccc_owner(fid)) {
            services[i]->call(d, vcpu, r);
            return true;
        }
    }
    return false;
}
