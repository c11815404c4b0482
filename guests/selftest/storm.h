/*
 * storm.h — what the hostile selftests (storm.c, death.c) share: a seeded
 * PRNG with one stream per vCPU, where the emulated devices are, the
 * domain's own id, and raw GIC helpers usable with interrupts masked.
 *
 * Assumptions: at most 4 vCPUs (guests/lib starts no more), MPIDR Aff0 = the
 * vCPU number (granite's convention), the guest maps VA == IPA.
 */
#ifndef SELFTEST_STORM_H
#define SELFTEST_STORM_H

#include <stdint.h>
#include <stdbool.h>
#include "guest.h"

#define STORM_MAX_VCPUS 4

/* xorshift64* seeded through splitmix64: small, good enough, reproducible. */
struct prng {
    uint64_t s;
};
void prng_seed(struct prng *p, uint64_t seed, unsigned stream);
uint64_t prng_next(struct prng *p);
/* Uniform-ish in [0, n) (n > 0). */
uint32_t prng_below(struct prng *p, uint32_t n);

/* Where the vGIC distributor, redistributors and the vPL011 are (DTB). */
struct storm_devices {
    volatile uint8_t *gicd, *gicr, *uart;
    uint64_t gicr_size; /* bytes of redistributor frames this domain has */
    unsigned nr_vcpus;
};
int storm_find_devices(const struct guest_info *gi, struct storm_devices *dev);

/* Our own domain id, found by granting a page to candidate ids and mapping it. */
int storm_own_domid(uint64_t gfn, uint64_t host_addr);

/* Seed from the command line (seed=0x... or decimal); dflt when absent. */
uint64_t storm_arg_seed(uint64_t dflt);
unsigned storm_arg_uint(const char *key, unsigned dflt);

/* With PSTATE.I masked: the virtual timer PPI of this vCPU enabled, then WFI
 * until it (or anything else) is pending, then every pending interrupt
 * acknowledged and ended. */
void storm_timed_wfi(const struct storm_devices *dev, unsigned vcpu, uint64_t us);
/* Acknowledge and end every interrupt pending for this vCPU (IRQs masked). */
unsigned storm_drain_irqs(void);
/* Re-enable this vCPU's timer PPI at its redistributor (after hostile writes). */
void storm_timer_ppi_on(const struct storm_devices *dev, unsigned vcpu);

#endif
