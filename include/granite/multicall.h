/*
 * multicall.h — __HYPERVISOR_multicall (core/multicall.c) and the
 * dispatcher it shares with direct hypercalls (core/hypercall.c).
 */
#ifndef GRANITE_MULTICALL_H
#define GRANITE_MULTICALL_H

#include <granite/types.h>

struct vcpu;

/* One hypercall, validated and answered as if the guest had made it. */
long hypercall_dispatch(struct vcpu *v, u64 nr, const u64 args[5]);
/* Run `nr_calls` entries of struct multicall_entry at guest address `list`. */
long do_multicall(struct vcpu *v, u64 list, u64 nr_calls);

#endif
