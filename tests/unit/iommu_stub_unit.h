/*
 * iommu_stub_unit.h — what core/iommu.c stands on, for the host tests that
 * link it (tests/unit/test_iommu.c, tests/tsan/test_tsan_iommu.c):
 * tests/unit/iommu_stub_unit.c.
 *
 * An IOMMU unit whose ops only count their calls, registered the way a driver
 * does (drivers_probe_all -> iommu_register_unit); one PCI device behind it
 * on every bridge, no reserved memory; boot options from a string (parsed by
 * core/options.c); the few architecture and allocator calls iommu.c makes.  The counters are atomic:
 * the TSan test's CPUs are threads.
 */
#ifndef GRANITE_TESTS_IOMMU_STUB_UNIT_H
#define GRANITE_TESTS_IOMMU_STUB_UNIT_H

#include <granite/iommu.h>

#define STUB_UNIT_PHANDLE 0x8001

struct stub_unit_calls {
    unsigned enable, ctx_init, attach, flush_range, flush_ranges, flush_all, destroy;
    unsigned ranges_in_last; /* ranges handed to the last flush_ranges */
};
extern struct stub_unit_calls calls;
/* Invalidations issued so far, of any form. */
unsigned flushes(void);

/* The boot options, "key=value key=value" (opt_str, opt_choice). */
void stub_set_options(const char *opts);

#endif
