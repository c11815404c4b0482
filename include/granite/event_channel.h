/*
 * event_channel.h — Xen-ABI event channels, 2-level ABI (core/event_channel.c).
 *
 * Each domain has EVTCHN_MAX_PORTS ports (port 0 reserved).  A port is free,
 * unbound (waiting for one named domain to connect), interdomain (connected
 * to a port of another domain, or of its own: loopback) or bound to a
 * virtual IRQ.  Events land in the receiving domain's shared_info page
 * (d->shared_info): a pending bit per port, a mask bit the guest owns, and
 * the notified vCPU's selector word and upcall flag -- in the vcpu_info it
 * registered (VCPUOP_register_vcpu_info), or for vCPU 0 before that the one
 * inside shared_info (xen_vcpu_info(), include/granite/xen_guest.h); a new
 * unmasked event raises the upcall on that vCPU through
 * arch_evtchn_upcall().  A port notifies vCPU 0 until EVTCHNOP_bind_vcpu
 * moves it.  evtchn_domain_init() also resets the domain's vcpu_info,
 * runstate and physmap records (xen_guest_domain_init()).
 *
 * Life cycle, driven by the domain builder and domain.c (evtchn_unit):
 *   evtchn_domain_init(d)     once d->shared_info is allocated, before the
 *                             domain runs: all ports free, bitmaps cleared;
 *   evtchn_domain_destroy(d)  when the domain ends, before shared_info is
 *                             freed: every port closed, so its peers' ends
 *                             become unbound and their later sends are
 *                             dropped (as on Xen) instead of touching freed
 *                             memory.
 */
#ifndef GRANITE_EVENT_CHANNEL_H
#define GRANITE_EVENT_CHANNEL_H

#include <granite/types.h>

struct domain;
struct vcpu;

/* Ports per domain: 1..1023 usable.  Fits the 2-level ABI's 4096. */
#define EVTCHN_MAX_PORTS 1024

/* Its unit (domain.h): takes d->evtchn at domain_create; destroy is
 * evtchn_domain_destroy. */
extern const struct domain_unit evtchn_unit;
void evtchn_domain_init(struct domain *d);
void evtchn_domain_destroy(struct domain *d);

/* The event_channel_op hypercall: cmd = EVTCHNOP_*, arg = guest virtual
 * address of the command's structure.  0 or a negative errno, as Xen. */
long do_event_channel_op(struct vcpu *v, u64 cmd, u64 arg);
/* The toolstack's alloc_unbound: a port of d waiting for domain `remote`. */
int evtchn_alloc_unbound_for(struct domain *d, unsigned remote, u32 *port);

/* Raise virtual IRQ `virq` (VIRQ_TIMER) in `d`: 0, or -ENOENT if the domain
 * has no port bound to it (-EINVAL for a VIRQ number out of range).  May be
 * called from an interrupt handler (granite runs with IRQs masked outside its
 * idle loop, so no event lock holder is ever interrupted). */
int evtchn_send_virq(struct domain *d, unsigned virq);

/* Counters since evtchn_domain_init: successful EVTCHNOP_send calls made by
 * `d`, and upcalls raised to `d` (calls of arch_evtchn_upcall). */
void evtchn_stats(struct domain *d, u64 *sends, u64 *upcalls);

/* Print every live domain's event state ("evtchn: dump: ..."): pending and
 * masked ports, each vCPU's upcall flag and selector, the upcall interrupt's
 * state at the vGIC.  For the Ctrl-A e counter dump. */
void evtchn_dump(void);

#endif
