/*
 * public/memory.h — the memory_op hypercall's XENMEM_add_to_physmap, Xen's
 * layout (xen/include/public/memory.h): put a page granite owns (the
 * shared_info page, a grant-table frame) at a GFN of the guest's choosing.
 */
#ifndef PUBLIC_MEMORY_H
#define PUBLIC_MEMORY_H

#include <stdint.h>

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

#endif
