/*
 * public/multicall.h — __HYPERVISOR_multicall: several hypercalls in one
 * entry into the hypervisor, written from Xen's public interface
 * (xen/include/public/xen.h: struct multicall_entry; arch-arm.h: xen_ulong_t
 * is 64 bits on Arm for 32- and 64-bit guests alike, so an entry is 64
 * bytes on both).
 *
 *   HYPERVISOR_multicall(struct multicall_entry *list, uint32_t nr_calls)
 *
 * Each entry's `op` is a hypercall number, `args` its arguments; the
 * hypervisor runs the entries in order and writes each one's return value
 * into its `result`.  The multicall itself returns 0 once every entry has
 * run, whatever their results; a list it cannot read or write back gets
 * -EFAULT (entries before the bad one have run and have their results).
 *
 * granite's limits (Xen instead preempts a long list with a continuation,
 * which granite does not implement): at most MULTICALL_MAX_ENTRIES entries
 * per call — a longer list gets -E2BIG and no entry runs; a multicall
 * entry inside a multicall gets result -EINVAL (as Xen refuses reentry);
 * an unknown op gets -ENOSYS in its result, as the same hypercall would.
 * Only args[0..4] reach the hypercall: no granite hypercall takes a sixth.
 */
#ifndef PUBLIC_MULTICALL_H
#define PUBLIC_MULTICALL_H

#include <stdint.h>

#define MULTICALL_MAX_ENTRIES 32

struct multicall_entry {
    uint64_t op;      /* xen_ulong_t: __HYPERVISOR_* */
    uint64_t result;  /* written back: the op's return value (a negative errno as two's complement) */
    uint64_t args[6];
};

_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry: 64 bytes on Arm (Xen ABI)");

#endif
