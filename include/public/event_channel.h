/*
 * public/event_channel.h — the event_channel_op hypercall (number 32), Xen's
 * numbers and argument layouts (xen/include/public/event_channel.h), written
 * out from the documented interface.  Shared by the hypervisor and guests.
 *
 * Call: HVC #0xEA1 with x16 = __HYPERVISOR_event_channel_op, x0 = EVTCHNOP_*,
 * x1 = guest virtual address of the command's argument structure.  The result
 * (0 or a negative errno) comes back in x0; OUT fields are written back into
 * the structure only when the call succeeds.
 *
 * An event channel is a pair of ports, one in each domain (or both in one, a
 * loopback).  A port is a number 1..N-1 local to its domain; port 0 is never
 * handed out.  Sending on one end makes the other end pending in its
 * domain's shared_info bitmaps (2-level ABI, public/xen.h).
 */
#ifndef PUBLIC_EVENT_CHANNEL_H
#define PUBLIC_EVENT_CHANNEL_H

#include <stdint.h>
#include <public/xen.h>

typedef uint32_t evtchn_port_t;

/* Ports the 2-level ABI can name: one pending bit per port in 64 words of 64
 * bits.  A hypervisor may offer fewer. */
#define EVTCHN_2L_NR_CHANNELS (EVTCHN_2L_WORDS * XEN_ULONG_BITS)

#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_bind_pirq 2      /* not offered by granite: -ENOSYS */
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_alloc_unbound 6
#define EVTCHNOP_bind_ipi 7       /* not offered by granite: -ENOSYS */
#define EVTCHNOP_bind_vcpu 8
#define EVTCHNOP_unmask 9
#define EVTCHNOP_reset 10         /* not offered by granite: -ENOSYS */
#define EVTCHNOP_init_control 11  /* FIFO ABI, not offered: -ENOSYS keeps guests on 2-level */
#define EVTCHNOP_expand_array 12  /* FIFO ABI, not offered: -ENOSYS */
#define EVTCHNOP_set_priority 13  /* FIFO ABI, not offered: -ENOSYS */

/* Allocate a port in <dom> (DOMID_SELF) that <remote_dom> may later bind to. */
struct evtchn_alloc_unbound {
    domid_t dom;        /* IN: DOMID_SELF or the caller's own id */
    domid_t remote_dom; /* IN: the domain allowed to connect (DOMID_SELF: loopback) */
    evtchn_port_t port; /* OUT: the new port */
};

/* Connect a new local port to <remote_dom>'s unbound port <remote_port>, which
 * must be waiting for the caller.  The new local port starts out pending. */
struct evtchn_bind_interdomain {
    domid_t remote_dom;        /* IN */
    evtchn_port_t remote_port; /* IN */
    evtchn_port_t local_port;  /* OUT */
};

/* Bind a new local port to virtual interrupt <virq> (VIRQ_*) of vCPU <vcpu>. */
struct evtchn_bind_virq {
    uint32_t virq;      /* IN */
    uint32_t vcpu;      /* IN */
    evtchn_port_t port; /* OUT */
};

/* Close a local port; the far end of an interdomain channel becomes unbound,
 * waiting for the closer's domain again. */
struct evtchn_close {
    evtchn_port_t port; /* IN */
};

/* Raise an event on the far end of the channel whose local end is <port>. */
struct evtchn_send {
    evtchn_port_t port; /* IN */
};

/* What a port is bound to. */
#define EVTCHNSTAT_closed 0      /* not in use */
#define EVTCHNSTAT_unbound 1     /* waiting for u.unbound.dom to bind */
#define EVTCHNSTAT_interdomain 2 /* connected to u.interdomain.{dom,port} */
#define EVTCHNSTAT_pirq 3        /* a physical IRQ */
#define EVTCHNSTAT_virq 4        /* virtual IRQ u.virq */
#define EVTCHNSTAT_ipi 5         /* an IPI between the domain's vCPUs */

struct evtchn_status {
    domid_t dom;        /* IN: DOMID_SELF (or the caller's id) */
    evtchn_port_t port; /* IN */
    uint32_t status;    /* OUT: EVTCHNSTAT_* */
    uint32_t vcpu;      /* OUT: the vCPU the port notifies */
    union {
        struct {
            domid_t dom;
        } unbound;
        struct {
            domid_t dom;
            evtchn_port_t port;
        } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u;                /* OUT */
};

/* FIFO ABI set-up (not offered: -ENOSYS): the control block's frame and
 * offset for one vCPU. */
struct evtchn_init_control {
    uint64_t control_gfn; /* IN */
    uint32_t offset;      /* IN */
    uint32_t vcpu;        /* IN */
    uint8_t link_bits;    /* OUT */
    uint8_t _pad[7];
};

/* Make <port> notify vCPU <vcpu> from now on. */
struct evtchn_bind_vcpu {
    evtchn_port_t port; /* IN */
    uint32_t vcpu;      /* IN */
};

/* Clear <port>'s mask bit; if it is pending, raise the upcall it missed. */
struct evtchn_unmask {
    evtchn_port_t port; /* IN */
};

_Static_assert(EVTCHN_2L_NR_CHANNELS == 4096, "2-level ABI with a 64-bit xen_ulong_t");
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "Xen layout");
_Static_assert(offsetof(struct evtchn_alloc_unbound, port) == 4, "Xen layout");
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "Xen layout");
_Static_assert(offsetof(struct evtchn_bind_interdomain, remote_port) == 4, "Xen layout");
_Static_assert(offsetof(struct evtchn_bind_interdomain, local_port) == 8, "Xen layout");
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "Xen layout");
_Static_assert(sizeof(struct evtchn_close) == 4, "Xen layout");
_Static_assert(sizeof(struct evtchn_send) == 4, "Xen layout");
_Static_assert(offsetof(struct evtchn_status, port) == 4, "Xen layout");
_Static_assert(offsetof(struct evtchn_status, status) == 8, "Xen layout");
_Static_assert(offsetof(struct evtchn_status, vcpu) == 12, "Xen layout");
_Static_assert(offsetof(struct evtchn_status, u) == 16, "Xen layout");
_Static_assert(offsetof(struct evtchn_status, u.interdomain.port) == 20, "Xen layout");
_Static_assert(sizeof(struct evtchn_status) == 24, "Xen layout");
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "Xen layout");
_Static_assert(sizeof(struct evtchn_unmask) == 4, "Xen layout");
_Static_assert(sizeof(struct evtchn_init_control) == 24, "Xen layout");

#endif
