/*
 * public/vcpu.h — the vcpu_op hypercall (__HYPERVISOR_vcpu_op, 24), the two
 * commands an Arm guest uses, with Xen's numbers and layouts
 * (xen/include/public/vcpu.h).
 *
 *   x0 = VCPUOP_*, x1 = the vCPU the command is about, x2 = guest virtual
 *   address of the command's structure.
 *
 * VCPUOP_register_vcpu_info moves a vCPU's struct vcpu_info (public/xen.h)
 * out of shared_info into a page of the guest's own RAM: the guest names the
 * page by its frame number (a GFN on Arm, although the field is called mfn)
 * and the byte offset of the structure in it.
 *
 * VCPUOP_register_runstate_memory_area gives the guest VIRTUAL address where
 * the hypervisor keeps a struct vcpu_runstate_info of that vCPU up to date:
 * which state it is in, since when, and how long it has spent in each state.
 */
#ifndef PUBLIC_VCPU_H
#define PUBLIC_VCPU_H

#include <stddef.h>
#include <stdint.h>

#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_register_vcpu_info 10
/* The same area named by guest physical address (XENFEAT_runstate_phys_area). */
#define VCPUOP_register_runstate_phys_area 14

/* A vCPU's scheduling state (vcpu_runstate_info.state, index of time[]). */
#define RUNSTATE_running 0  /* on a physical CPU */
#define RUNSTATE_runnable 1 /* wants a physical CPU, waiting for one */
#define RUNSTATE_blocked 2  /* waiting for an event (WFI) */
#define RUNSTATE_offline 3  /* not started, or switched off */
#define RUNSTATE_NR 4

struct vcpu_runstate_info {
    int32_t state;             /* RUNSTATE_* */
    uint32_t pad;              /* (implicit in Xen's header: time fields are 8-aligned) */
    uint64_t state_entry_time; /* system time (ns) when `state` was entered */
    uint64_t time[RUNSTATE_NR];/* ns spent in each state before state_entry_time */
};

/* With VMASST_TYPE_runstate_update_flag enabled, this bit of
 * state_entry_time is set while the hypervisor rewrites the structure: a
 * reader that sees it (or a different state_entry_time afterwards) reads
 * again. */
#define XEN_RUNSTATE_UPDATE (1ULL << 63)

struct vcpu_register_runstate_memory_area {
    uint64_t addr; /* guest virtual address (Xen's union addr.v / addr.h), or for
                      register_runstate_phys_area a guest physical one (addr.p) */
};

struct vcpu_register_vcpu_info {
    uint64_t mfn;    /* frame of the page holding the new vcpu_info (a GFN) */
    uint32_t offset; /* byte offset of the vcpu_info in that page */
    uint32_t rsvd;   /* unused, 0 */
};

_Static_assert(offsetof(struct vcpu_runstate_info, state_entry_time) == 8, "Xen layout");
_Static_assert(offsetof(struct vcpu_runstate_info, time) == 16, "Xen layout");
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "Xen layout");
_Static_assert(sizeof(struct vcpu_register_runstate_memory_area) == 8, "Xen layout");
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "Xen layout");

#endif
