/*
 * xen.h — the guest side of granite's Xen PV interfaces (guests/lib/xen.c):
 * shared_info, 2-level event channels with an upcall handler, grant tables.
 */
#ifndef GUEST_LIB_XEN_H
#define GUEST_LIB_XEN_H

#include <stdint.h>
#include <stdbool.h>
#include <public/xen.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/multicall.h>

typedef void (*evtchn_handler_t)(evtchn_port_t port);

/* Map shared_info and grant frame 0 in the grant window named by the DTB's
 * /hypervisor node, enable the upcall PPI.  0 or a negative error. */
int xen_setup(const void *fdt);
/* The first grant-window address free for mapping foreign pages. */
uint64_t xen_map_area(void);
/* Bytes of the grant window from xen_map_area() on. */
uint64_t xen_map_area_size(void);
/* HVMOP_get_param (HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN): 0 or -errno. */
long xen_hvm_get_param(uint32_t index, uint64_t *value);
struct shared_info *xen_shared_info(void);

long evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);
/* A port for a virtual interrupt of vCPU 0 (VIRQ_DOM_EXC: a domain ended). */
long evtchn_bind_virq(uint32_t virq, evtchn_port_t *port);
long evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_port_t *local);
/* Bind, retrying every millisecond until the peer's port exists or timeout_us passes. */
long evtchn_bind_interdomain_wait(domid_t remote, evtchn_port_t remote_port, uint64_t timeout_us,
                                  evtchn_port_t *local);
long evtchn_send(evtchn_port_t port);
long evtchn_close(evtchn_port_t port);
long evtchn_unmask(evtchn_port_t port);
void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t h);

/* Our own grant table (v1 entries in frame 0). */
/* Which of its references are free (grant_refs.h): the one allocator every
 * driver of this domain takes its references from. */
struct grant_refs *xen_grant_refs(void);
/* The first reference past the reserved ones (the console's and xenstore's).
 * The selftest pairs have no xenstore to pass a reference through, so front
 * and back agree on fixed references counted from here. */
#define GRANT_REF_FIRST_UNRESERVED GNTTAB_NR_RESERVED_ENTRIES
/* What a grant lets the other domain do with the page, and what a map of
 * one asks for (GTF_readonly / GNTMAP_readonly). */
enum grant_access { GRANT_READ_WRITE, GRANT_READ_ONLY };
void gnttab_grant(grant_ref_t ref, domid_t to, uint64_t gfn, enum grant_access access);
void gnttab_revoke(grant_ref_t ref);
/* GNTTABOP_map_grant_ref of one grant; returns the op's status. */
int16_t gnttab_map(domid_t granter, grant_ref_t ref, uint64_t host_addr, enum grant_access access,
                   grant_handle_t *handle, uint64_t *dev_bus_addr);
int16_t gnttab_unmap(uint64_t host_addr, grant_handle_t handle);
long gnttab_op(unsigned cmd, void *ops, unsigned count);

/* __HYPERVISOR_multicall (public/multicall.h): 0 or -errno; each entry's
 * own return value is in its `result`. */
long xen_multicall(struct multicall_entry *list, unsigned n);

/* A multicall being put together: entries are added, then issued in one
 * hypercall by xen_mc_flush.  Buffers the entries point to (grant ops)
 * must live until the flush; an event channel send carries its own. */
struct xen_mc {
    unsigned n;
    struct multicall_entry e[MULTICALL_MAX_ENTRIES];
    struct evtchn_send send[MULTICALL_MAX_ENTRIES];
};
/* Append one call; 0, or -1 if the batch is full (nothing added). */
int xen_mc_add(struct xen_mc *mc, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2);
int xen_mc_gnttab(struct xen_mc *mc, unsigned cmd, void *ops, unsigned count);
int xen_mc_evtchn_send(struct xen_mc *mc, evtchn_port_t port);
/* Issue what was added (nothing if empty; a single entry as a plain
 * hypercall) and empty the batch; the entries' results stay readable in
 * mc->e[] until the next add.  0 or the multicall's own -errno.  An entry
 * the hypervisor never reached (the multicall failed before it) keeps
 * XEN_MC_NOT_RUN as its result: xen_mc_result() tells the two apart. */
long xen_mc_flush(struct xen_mc *mc);
#define XEN_MC_NOT_RUN 0x4e4f5452554eUL     /* "NOTRUN": no hypercall answers this */
/* Entry i's own result if it ran; else the multicall's error `r`. */
static inline long xen_mc_result(const struct xen_mc *mc, unsigned i, long r)
{
    return mc->e[i].result == XEN_MC_NOT_RUN ? (r ? r : -1) : (long)mc->e[i].result;
}

#endif
