/*
 * xen.c — the guest side of the Xen PV interfaces granite offers.
 *
 *   shared_info: mapped with XENMEM_add_to_physmap (XENMAPSPACE_shared_info)
 *   at the start of the grant window, the IPA range the /hypervisor node's
 *   `reg` names; grant frame 0 (XENMAPSPACE_grant_table) right after it; the
 *   rest of the window is where this guest maps foreign pages.
 *
 *   event channels, 2-level ABI: the upcall arrives as the PPI the
 *   /hypervisor node names; the handler clears evtchn_upcall_pending, takes
 *   the selector word, and for each pending and unmasked port clears its
 *   pending bit and calls the port's handler.
 */
#include <libfdt.h>
#include <stdio.h>
#include "guest.h"
#include "xen.h"
#include "grant_refs.h"
#include "page.h"
#include <public/hvm_params.h>
#include <public/memory.h>

#define GNTTAB_ENTRIES (PAGE_SIZE / sizeof(struct grant_entry_v1))
#define MAX_PORTS 1024

static struct shared_info *shinfo;
static struct grant_entry_v1 *gnttab;
static struct grant_refs grant_refs;  /* over the one frame mapped below */
#define GNTTAB_FRAMES 1
static uint64_t window, window_size;
static evtchn_handler_t handlers[MAX_PORTS];

static long hyp(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return xen_hypercall(nr, a0, a1, a2, 0, 0);
}

static long add_to_physmap(unsigned space, uint64_t idx, uint64_t gpfn)
{
    struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = space, .idx = idx,
                                    .gpfn = gpfn };
    return hyp(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint64_t)&a, 0);
}

static void upcall(uint32_t intid)
{
    struct vcpu_info *vi = &shinfo->vcpu_info[0];
    (void)intid;

    __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = __builtin_ctzl(sel);
        sel &= sel - 1;
        uint64_t bits = __atomic_load_n(&shinfo->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                        ~__atomic_load_n(&shinfo->evtchn_mask[w], __ATOMIC_SEQ_CST);
        while (bits) {
            unsigned b = __builtin_ctzl(bits);
            evtchn_port_t port = w * 64 + b;
            bits &= bits - 1;
            __atomic_and_fetch(&shinfo->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
            if (port < MAX_PORTS && handlers[port])
                handlers[port](port);
        }
    }
}

int xen_setup(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "xen,xen"), len;
    const fdt64_t *reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;
    const fdt32_t *irq = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;
    long r;

    if (!reg || !irq || len < 12)
        return -1;
    window = fdt64_to_cpu(reg[0]);
    window_size = fdt64_to_cpu(reg[1]);
    r = add_to_physmap(XENMAPSPACE_shared_info, 0, gfn_of_addr(window));
    if (!r)
        r = add_to_physmap(XENMAPSPACE_grant_table, 0, gfn_of_addr(window) + 1);
    if (r) {
        printf("xen: add_to_physmap failed: %ld\n", r);
        return (int)r;
    }
    shinfo = (struct shared_info *)window;
    gnttab = (struct grant_entry_v1 *)(window + PAGE_SIZE);
    grant_refs_init(&grant_refs, GNTTAB_FRAMES);
    gic_enable_irq(0, fdt32_to_cpu(irq[1]) + 16, upcall);
    return 0;
}

struct grant_refs *xen_grant_refs(void) { return &grant_refs; }

uint64_t xen_map_area(void) { return window + 2 * PAGE_SIZE; }
uint64_t xen_map_area_size(void) { return window_size > 2 * PAGE_SIZE ? window_size - 2 * PAGE_SIZE : 0; }

long xen_hvm_get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long r = hyp(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&p, 0);
    if (!r)
        *value = p.value;
    return r;
}
struct shared_info *xen_shared_info(void) { return shinfo; }

long evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = remote };
    long r = hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (uint64_t)&a, 0);
    *port = a.port;
    return r;
}

long evtchn_bind_virq(uint32_t virq, evtchn_port_t *port)
{
    struct evtchn_bind_virq a = { .virq = virq, .vcpu = 0 };
    long r = hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (uint64_t)&a, 0);
    *port = a.port;
    return r;
}

long evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_port_t *local)
{
    struct evtchn_bind_interdomain a = { .remote_dom = remote, .remote_port = remote_port };
    long r = hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, (uint64_t)&a, 0);
    *local = a.local_port;
    return r;
}

long evtchn_bind_interdomain_wait(domid_t remote, evtchn_port_t remote_port, uint64_t timeout_us,
                                  evtchn_port_t *local)
{
    uint64_t deadline = guest_time_us() + timeout_us;
    long r;

    /* The peer allocates its port when it is ready: until then, -EINVAL. */
    while ((r = evtchn_bind_interdomain(remote, remote_port, local)) && guest_time_us() < deadline)
        guest_sleep_us(0, 1000);
    return r;
}

long evtchn_send(evtchn_port_t port)
{
    struct evtchn_send a = { .port = port };
    return hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&a, 0);
}

long evtchn_close(evtchn_port_t port)
{
    struct evtchn_close a = { .port = port };
    return hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_close, (uint64_t)&a, 0);
}

long evtchn_unmask(evtchn_port_t port)
{
    struct evtchn_unmask a = { .port = port };
    return hyp(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, (uint64_t)&a, 0);
}

void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t h)
{
    if (port < MAX_PORTS)
        handlers[port] = h;
}

void gnttab_grant(grant_ref_t ref, domid_t to, uint64_t gfn, enum grant_access access)
{
    struct grant_entry_v1 *e = &gnttab[ref];
    e->domid = to;
    e->frame = (uint32_t)gfn;
    /* flags last: the entry is valid only once everything else is written */
    uint16_t ro = access == GRANT_READ_ONLY ? GTF_readonly : 0;
    __atomic_store_n(&e->flags, (uint16_t)(GTF_permit_access | ro), __ATOMIC_RELEASE);
}

void gnttab_revoke(grant_ref_t ref) { __atomic_store_n(&gnttab[ref].flags, 0, __ATOMIC_RELEASE); }

long gnttab_op(unsigned cmd, void *ops, unsigned count)
{
    return hyp(__HYPERVISOR_grant_table_op, cmd, (uint64_t)ops, count);
}

int16_t gnttab_map(domid_t granter, grant_ref_t ref, uint64_t host_addr, enum grant_access access,
                   grant_handle_t *handle, uint64_t *dev_bus_addr)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = host_addr, .ref = ref, .dom = granter,
        .flags = GNTMAP_host_map | (access == GRANT_READ_ONLY ? GNTMAP_readonly : 0),
    };
    long r = gnttab_op(GNTTABOP_map_grant_ref, &op, 1);
    if (r)
        return GNTST_general_error;
    *handle = op.handle;
    *dev_bus_addr = op.dev_bus_addr;
    return op.status;
}

int16_t gnttab_unmap(uint64_t host_addr, grant_handle_t handle)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = host_addr, .handle = handle };
    long r = gnttab_op(GNTTABOP_unmap_grant_ref, &op, 1);
    return r ? GNTST_general_error : op.status;
}

/* --- multicall: several hypercalls in one entry into the hypervisor ---------------------- */

long xen_multicall(struct multicall_entry *list, unsigned n)
{
    return xen_hypercall(__HYPERVISOR_multicall, (uint64_t)list, n, 0, 0, 0);
}

int xen_mc_add(struct xen_mc *mc, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
    if (mc->n == MULTICALL_MAX_ENTRIES)
        return -1;
    mc->e[mc->n++] = (struct multicall_entry){ .op = op, .result = XEN_MC_NOT_RUN,
                                               .args = { a0, a1, a2 } };
    return 0;
}

int xen_mc_gnttab(struct xen_mc *mc, unsigned cmd, void *ops, unsigned count)
{
    return xen_mc_add(mc, __HYPERVISOR_grant_table_op, cmd, (uint64_t)ops, count);
}

int xen_mc_evtchn_send(struct xen_mc *mc, evtchn_port_t port)
{
    if (mc->n == MULTICALL_MAX_ENTRIES)
        return -1;
    mc->send[mc->n].port = port;
    return xen_mc_add(mc, __HYPERVISOR_event_channel_op, EVTCHNOP_send,
                      (uint64_t)&mc->send[mc->n], 0);
}

/* One entry goes as a plain hypercall: the multicall would only add the
 * list's copying. */
long xen_mc_flush(struct xen_mc *mc)
{
    long r = 0;

    if (mc->n == 1) {
        struct multicall_entry *e = &mc->e[0];
        e->result = (uint64_t)xen_hypercall(e->op, e->args[0], e->args[1], e->args[2],
                                            e->args[3], e->args[4]);
    } else if (mc->n > 1) {
        r = xen_multicall(mc->e, mc->n);
    }
    mc->n = 0;
    return r;
}
