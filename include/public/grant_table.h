/*
 * public/grant_table.h — the grant-table ABI, version 1, with Xen's numbers
 * and layouts (xen/include/public/grant_table.h), written out for granite.
 * Shared by the hypervisor and the guests.
 *
 * A domain shares one of its pages with another by filling an entry of its
 * grant table (an array of struct grant_entry_v1 in pages the hypervisor
 * owns and the guest maps with XENMEM_add_to_physmap, XENMAPSPACE_grant_table):
 * which domain may use the page, the page's frame number, and the flags that
 * say what is allowed.  The other domain then names the page by (granting
 * domain, grant reference = index in that table) in the grant_table_op
 * hypercall: map it into its own address space, or have the hypervisor copy
 * bytes to or from it.
 *
 * Arm supports version 1 of the entry format only.  Layouts below are for
 * AArch64 guests: a guest handle (a pointer the hypervisor follows) is always
 * 64 bits wide and 64-bit aligned on Arm, and xen_pfn_t is 64 bits.
 */
#ifndef PUBLIC_GRANT_TABLE_H
#define PUBLIC_GRANT_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <public/xen.h>

typedef uint32_t grant_ref_t;    /* index into the granting domain's table */
typedef uint32_t grant_handle_t; /* names one mapping made by map_grant_ref */
typedef uint64_t xen_pfn_t;      /* a frame number (same definition as public/memory.h) */

/* ---- the shared table ------------------------------------------------------
 *
 * Written by the granting guest, except GTF_reading/GTF_writing, which the
 * hypervisor sets while the page is mapped or being copied and clears when it
 * is not any more.  The guest publishes an entry by writing domid and frame
 * first, then (after a write barrier) flags.  It takes an entry back only
 * with an atomic compare-and-swap of flags to 0 that succeeds only if neither
 * GTF_reading nor GTF_writing is set: that is how it knows no one is using
 * the page any more.
 */
struct grant_entry_v1 {
    uint16_t flags;  /* GTF_*: type and permissions */
    domid_t domid;   /* the domain allowed to use the page */
    uint32_t frame;  /* the page: a frame number of the granting guest (a GFN on Arm) */
};

/* Entry type, in flags & GTF_type_mask. */
#define GTF_invalid 0U
#define GTF_permit_access 1U   /* domid may map or copy frame */
#define GTF_accept_transfer 2U /* page transfer (not on Arm) */
#define GTF_transitive 3U      /* v2 only */
#define GTF_type_mask 3U
/* Sub-flags of GTF_permit_access. */
#define GTF_readonly (1U << 2) /* [guest] read-only access only */
#define GTF_reading (1U << 3)  /* [hypervisor] in use for reading */
#define GTF_writing (1U << 4)  /* [hypervisor] in use for writing */
#define GTF_PWT (1U << 5)      /* x86 cache attributes */
#define GTF_PCD (1U << 6)
#define GTF_PAT (1U << 7)
#define GTF_sub_page (1U << 8) /* only part of the page (copy only, never mapped) */
/* Sub-flags of GTF_accept_transfer. */
#define GTF_transfer_committed (1U << 2)
#define GTF_transfer_completed (1U << 3)

/* The first entries are reserved for the toolstack: 0 = console ring page,
 * 1 = xenstore ring page.  Guests hand out references from 8 on. */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE 0
#define GNTTAB_RESERVED_XENSTORE 1

/* ---- grant_table_op(cmd, ops, count) ------------------------------------ */

#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_setup_table 2
#define GNTTABOP_dump_table 3
#define GNTTABOP_transfer 4
#define GNTTABOP_copy 5
#define GNTTABOP_query_size 6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version 8
#define GNTTABOP_get_status_frames 9
#define GNTTABOP_get_version 10
#define GNTTABOP_swap_grant_ref 11
#define GNTTABOP_cache_flush 12

/* map_grant_ref flags. */
#define GNTMAP_device_map (1U << 0)      /* for device DMA (refused on Arm) */
#define GNTMAP_host_map (1U << 1)        /* for the CPU, at host_addr */
#define GNTMAP_readonly (1U << 2)        /* read-only mapping */
#define GNTMAP_application_map (1U << 3) /* PV user mappings (refused on Arm) */
#define GNTMAP_contains_pte (1U << 4)    /* host_addr is a PTE address (refused on Arm) */
#define GNTMAP_can_fail (1U << 5)

/* Per-operation status codes. */
#define GNTST_okay 0
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)        /* no such domain */
#define GNTST_bad_gntref (-3)        /* reference out of range, or unusable */
#define GNTST_bad_handle (-4)        /* no such mapping */
#define GNTST_bad_virt_addr (-5)     /* host_addr unusable */
#define GNTST_bad_dev_addr (-6)
#define GNTST_no_device_space (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)          /* the frame is not a page that can be used */
#define GNTST_bad_copy_arg (-10)     /* a copy would cross a page end */
#define GNTST_address_too_big (-11)
#define GNTST_eagain (-12)
#define GNTST_no_space (-13)         /* out of handles or tracking space */

/* Map (dom, ref) at host_addr, an IPA of the caller on Arm.  On success the
 * caller gets a handle for the unmap, and dev_bus_addr = the machine address
 * of the page (Xen/Arm returns it for every successful map). */
struct gnttab_map_grant_ref {
    uint64_t host_addr;     /* in */
    uint32_t flags;         /* in: GNTMAP_* */
    grant_ref_t ref;        /* in */
    domid_t dom;            /* in: the granting domain */
    int16_t status;         /* out: GNTST_* */
    grant_handle_t handle;  /* out */
    uint64_t dev_bus_addr;  /* out */
};

/* Remove the mapping `handle`, which must be at host_addr. */
struct gnttab_unmap_grant_ref {
    uint64_t host_addr;     /* in */
    uint64_t dev_bus_addr;  /* in: ignored on Arm (no device mappings) */
    grant_handle_t handle;  /* in */
    int16_t status;         /* out */
};

/* Make the caller's table at least nr_frames frames and write the frame
 * numbers to frame_list[0..nr_frames). */
struct gnttab_setup_table {
    domid_t dom;            /* in: DOMID_SELF or the caller's id */
    uint32_t nr_frames;     /* in */
    int16_t status;         /* out */
    uint64_t frame_list;    /* in: guest handle = guest VA of xen_pfn_t[nr_frames] */
};

/* Copy len bytes from source to dest; each is a grant reference of another
 * domain (flag GNTCOPY_*_gref set) or a frame of the caller's own memory
 * (domid DOMID_SELF).  Neither side may cross the end of its page. */
#define GNTCOPY_source_gref (1U << 0)
#define GNTCOPY_dest_gref (1U << 1)
#define GNTCOPY_can_fail (1U << 2)

struct gnttab_copy_ptr {
    union {
        grant_ref_t ref;
        xen_pfn_t gmfn;
    } u;
    domid_t domid;
    uint16_t offset;
};

struct gnttab_copy {
    struct gnttab_copy_ptr source, dest; /* in */
    uint16_t len;                        /* in */
    uint16_t flags;                      /* in: GNTCOPY_* */
    int16_t status;                      /* out */
};

/* The current and the largest size of a domain's table, in frames. */
struct gnttab_query_size {
    domid_t dom;            /* in: DOMID_SELF or the caller's id */
    uint32_t nr_frames;     /* out */
    uint32_t max_nr_frames; /* out */
    int16_t status;         /* out */
};

/* set_version: the entry format the guest wants (IN); the one in force (OUT).
 * Arm offers version 1 only: asking for 2 fails and the guest stays on 1. */
struct gnttab_set_version {
    uint32_t version;
};

/* get_version: the entry format of domain `dom`'s table. */
struct gnttab_get_version {
    domid_t dom;      /* in: DOMID_SELF or the caller's id */
    uint16_t pad;
    uint32_t version; /* out */
};

/* The layouts are the ABI: checked against Xen's headers (AArch64). */
_Static_assert(sizeof(struct grant_entry_v1) == 8, "Xen layout");
_Static_assert(sizeof(struct gnttab_set_version) == 4, "Xen layout");
_Static_assert(sizeof(struct gnttab_get_version) == 8, "Xen layout");
_Static_assert(offsetof(struct grant_entry_v1, domid) == 2, "Xen layout");
_Static_assert(offsetof(struct grant_entry_v1, frame) == 4, "Xen layout");
_Static_assert(sizeof(struct gnttab_map_grant_ref) == 32, "Xen layout");
_Static_assert(offsetof(struct gnttab_map_grant_ref, flags) == 8, "Xen layout");
_Static_assert(offsetof(struct gnttab_map_grant_ref, ref) == 12, "Xen layout");
_Static_assert(offsetof(struct gnttab_map_grant_ref, dom) == 16, "Xen layout");
_Static_assert(offsetof(struct gnttab_map_grant_ref, status) == 18, "Xen layout");
_Static_assert(offsetof(struct gnttab_map_grant_ref, handle) == 20, "Xen layout");
_Static_assert(offsetof(struct gnttab_map_grant_ref, dev_bus_addr) == 24, "Xen layout");
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24, "Xen layout");
_Static_assert(offsetof(struct gnttab_unmap_grant_ref, handle) == 16, "Xen layout");
_Static_assert(offsetof(struct gnttab_unmap_grant_ref, status) == 20, "Xen layout");
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "Xen layout");
_Static_assert(offsetof(struct gnttab_setup_table, nr_frames) == 4, "Xen layout");
_Static_assert(offsetof(struct gnttab_setup_table, status) == 8, "Xen layout");
_Static_assert(offsetof(struct gnttab_setup_table, frame_list) == 16, "Xen layout");
_Static_assert(sizeof(struct gnttab_copy_ptr) == 16, "Xen layout");
_Static_assert(offsetof(struct gnttab_copy_ptr, domid) == 8, "Xen layout");
_Static_assert(offsetof(struct gnttab_copy_ptr, offset) == 10, "Xen layout");
_Static_assert(sizeof(struct gnttab_copy) == 40, "Xen layout");
_Static_assert(offsetof(struct gnttab_copy, dest) == 16, "Xen layout");
_Static_assert(offsetof(struct gnttab_copy, len) == 32, "Xen layout");
_Static_assert(offsetof(struct gnttab_copy, flags) == 34, "Xen layout");
_Static_assert(offsetof(struct gnttab_copy, status) == 36, "Xen layout");
_Static_assert(sizeof(struct gnttab_query_size) == 16, "Xen layout");
_Static_assert(offsetof(struct gnttab_query_size, nr_frames) == 4, "Xen layout");
_Static_assert(offsetof(struct gnttab_query_size, max_nr_frames) == 8, "Xen layout");
_Static_assert(offsetof(struct gnttab_query_size, status) == 12, "Xen layout");

#endif
