/*
 * public/platform.h — the platform_op hypercall (__HYPERVISOR_platform_op, 7)
 * as far as an Arm dom0 uses it, Xen's numbers and layout
 * (xen/include/public/platform.h).  x0 = guest virtual address of a struct
 * xen_platform_op whose interface_version must be XENPF_INTERFACE_VERSION.
 *
 * XENPF_settime64: dom0 tells the hypervisor the wall-clock time: at system
 * time `system_time` (ns since boot) it was secs.nsecs since the Unix epoch.
 */
#ifndef PUBLIC_PLATFORM_H
#define PUBLIC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#define XENPF_INTERFACE_VERSION 0x03000001U
#define XENPF_settime64 62

struct xenpf_settime64 {
    uint64_t secs;
    uint32_t nsecs;
    uint32_t mbz;        /* must be zero */
    uint64_t system_time;
};

struct xen_platform_op {
    uint32_t cmd;
    uint32_t interface_version;
    union {
        struct xenpf_settime64 settime64;
        uint8_t pad[128]; /* Xen's union is 128 bytes */
    } u;
};

_Static_assert(sizeof(struct xenpf_settime64) == 24, "Xen layout");
_Static_assert(offsetof(struct xen_platform_op, u) == 8, "Xen layout");
_Static_assert(sizeof(struct xen_platform_op) == 136, "Xen layout");

#endif
