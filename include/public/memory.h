/*
 * public/memory.h — the memory_op hypercall, Xen's layouts
 * (xen/include/public/memory.h):
 *   XENMEM_add_to_physmap        put a page granite owns (the shared_info
 *                                page, a grant-table frame) at a GFN of the
 *                                guest's choosing;
 *   XENMEM_decrease_reservation  the balloon: give pages of its RAM back;
 *   XENMEM_populate_physmap      ... and have them again.
 */
#ifndef PUBLIC_MEMORY_H
#define PUBLIC_MEMORY_H

#include <stdint.h>

#define XENMEM_increase_reservation 0 /* x86 PV only in practice: -ENOSYS here */
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap 6
#define XENMEM_add_to_physmap 7
#define XENMEM_get_vnumainfo 26 /* vNUMA layout: -EOPNOTSUPP when the domain has none */

#define XENMAPSPACE_shared_info 0 /* the shared_info page */
#define XENMAPSPACE_grant_table 1 /* grant-table frame idx */
#define XENMAPIDX_grant_table_status 0x80000000U /* v2 status frames: not on ARM */

typedef uint64_t xen_pfn_t;
typedef uint64_t xen_ulong_t;

struct xen_add_to_physmap {
    uint16_t domid;  /* DOMID_SELF or the caller's own id */
    uint16_t size;   /* only for XENMAPSPACE_gmfn_range */
    uint32_t space;  /* XENMAPSPACE_* */
    xen_ulong_t idx; /* index into the space */
    xen_pfn_t gpfn;  /* where the page goes (a guest frame number) */
};
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "Xen layout");

/*
 * decrease_reservation / populate_physmap: nr_extents extents of
 * 2^extent_order pages each, their first frame numbers in the guest's array
 * at extent_start (a guest handle: a virtual address on Arm).  For an
 * auto-translated guest (every Arm guest) these are GFNs, IN for both; Xen
 * documents populate's array as OUT too (the frames given), and granite writes
 * each GFN back.  The return value is the number of extents done (the
 * operation stops at the first that fails), or a negative errno when the
 * structure itself is bad.
 */
struct xen_memory_reservation {
    uint64_t extent_start;  /* guest handle: VA of a xen_pfn_t array */
    xen_ulong_t nr_extents;
    uint32_t extent_order;  /* pages per extent: 2^order (Linux: 0) */
    uint32_t mem_flags;     /* XENMEMF_*: address width, NUMA node (Linux: 0) */
    uint16_t domid;         /* DOMID_SELF or the caller's own id */
};
_Static_assert(sizeof(struct xen_memory_reservation) == 32, "Xen layout (tail padding)");

#endif
