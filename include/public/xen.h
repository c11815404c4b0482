/*
 * public/xen.h — the Xen hypercall ABI granite implements, written from Xen's
 * documented public interface (xen/include/public/xen.h, arch-arm.h).
 * Shared by the hypervisor and the guests.  Numbers are Xen's, so knowledge
 * (and, one day, guests) transfer both ways.
 *
 * Calling convention on Arm64 (arch-arm.h): HVC #0xEA1, hypercall number in
 * x16, arguments in x0..x4, result in x0.  Buffers are passed as guest virtual
 * addresses; the hypervisor translates them with the guest's own page tables.
 */
#ifndef PUBLIC_XEN_H
#define PUBLIC_XEN_H

#define XEN_HYPERCALL_TAG 0xEA1

#define __HYPERVISOR_platform_op 7
#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_multicall 13
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_grant_table_op 20
#define __HYPERVISOR_vm_assist 21
#define __HYPERVISOR_vcpu_op 24
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_physdev_op 33
#define __HYPERVISOR_hvm_op 34

/* vm_assist(cmd, type): turn an optional hypervisor behaviour on or off. */
#define VMASST_CMD_enable 0
#define VMASST_CMD_disable 1
/* The one type Xen offers on Arm: XEN_RUNSTATE_UPDATE in state_entry_time
 * while a runstate area is being rewritten (public/vcpu.h). */
#define VMASST_TYPE_runstate_update_flag 5

/* console_io commands */
#define CONSOLEIO_write 0
#define CONSOLEIO_read 1

typedef unsigned short domid_t;
#define DOMID_SELF 0x7FF0U

#endif

/*
 * --- shared_info and vcpu_info (Xen's Arm layout) ---------------------------
 *
 * One page per domain that granite owns and the guest maps
 * (XENMEM_add_to_physmap, XENMAPSPACE_shared_info).  It carries the 2-level
 * event-channel bitmaps (a pending bit and a mask bit per port) and, for
 * vCPU 0, the per-vCPU flags that say "look at the bitmaps".  Both sides
 * change these words at the same time, so both use atomic operations on them.
 *
 * On Arm, xen_ulong_t is 64 bits wide for 32- and 64-bit guests alike, the
 * arch_* parts are empty, and only one vcpu_info lives in shared_info
 * (XEN_LEGACY_MAX_VCPUS 1): other vCPUs would register theirs elsewhere with
 * VCPUOP_register_vcpu_info.  Sizes checked below are those of Xen's own
 * header checker for arm32/arm64 (tools/include/xen-foreign/reference.size):
 * vcpu_time_info 32, vcpu_info 48, arch_* 0, shared_info 1088 bytes.
 */
#ifndef PUBLIC_XEN_H_SHARED_INFO
#define PUBLIC_XEN_H_SHARED_INFO

#include <stddef.h>
#include <stdint.h>

typedef uint64_t xen_ulong_t;

#define XEN_LEGACY_MAX_VCPUS 1

/* Virtual interrupts a guest can bind an event channel to (EVTCHNOP_bind_virq).
 * Per-vCPU ones (TIMER, DEBUG, XENOPROF, XENPMU) bind once per vCPU; the
 * others are global and bind on vCPU 0. */
#define VIRQ_TIMER 0    /* per-vCPU: timer tick or requested timeout */
#define VIRQ_DEBUG 1    /* per-vCPU: dump debug state */
#define VIRQ_CONSOLE 2  /* global (dom0): bytes on the hypervisor console */
#define VIRQ_DOM_EXC 3  /* global (dom0): something happened to a domain */
#define VIRQ_TBUF 4     /* global (dom0): trace records available */
#define VIRQ_DEBUGGER 6 /* global (dom0): a domain paused for debugging */
#define VIRQ_XENOPROF 7 /* per-vCPU: profiling sample */
#define VIRQ_CON_RING 8 /* global (dom0): console ring has bytes */
#define VIRQ_PCPU_STATE 9
#define VIRQ_MEM_EVENT 10
#define VIRQ_ENOMEM 12
#define VIRQ_XENPMU 13
#define VIRQ_ARCH_0 16  /* 16..23: architecture-specific */
#define NR_VIRQS 24

struct vcpu_time_info {
    uint32_t version;           /* odd while the hypervisor updates the rest */
    uint32_t pad0;
    uint64_t tsc_timestamp;     /* counter value at the last update */
    uint64_t system_time;       /* ns since boot at tsc_timestamp */
    uint32_t tsc_to_system_mul; /* counter ticks to ns: (ticks << shift) * mul >> 32 */
    int8_t tsc_shift;
    int8_t pad1[3];
};

struct arch_vcpu_info {
};

struct vcpu_info {
    /* Set by the hypervisor when it raises the upcall; the guest clears it
     * before it scans for work. */
    uint8_t evtchn_upcall_pending;
    /* Xen/Arm names this byte pad0 and never reads it (the upcall is a PPI the
     * guest masks at its GIC); kept under its x86 name for guests that use it. */
    uint8_t evtchn_upcall_mask;
    /* Bit w set = word w of evtchn_pending may hold a newly pending port. */
    xen_ulong_t evtchn_pending_sel;
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};

struct arch_shared_info {
};

#define XEN_ULONG_BITS 64
#define EVTCHN_2L_WORDS XEN_ULONG_BITS /* one selector bit per word */

struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_ulong_t evtchn_pending[EVTCHN_2L_WORDS]; /* bit p: port p has an event */
    xen_ulong_t evtchn_mask[EVTCHN_2L_WORDS];    /* bit p: port p raises no upcall */
    uint32_t wc_version; /* wall clock, version counter as vcpu_time_info's */
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t wc_sec_hi;
    struct arch_shared_info arch;
};

_Static_assert(sizeof(struct vcpu_time_info) == 32, "Xen layout: vcpu_time_info");
_Static_assert(sizeof(struct arch_vcpu_info) == 0, "Xen/Arm layout: arch_vcpu_info is empty");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_mask) == 1, "Xen layout: vcpu_info");
_Static_assert(offsetof(struct vcpu_info, evtchn_pending_sel) == 8, "Xen layout: vcpu_info");
_Static_assert(offsetof(struct vcpu_info, time) == 16, "Xen/Arm layout: vcpu_info");
_Static_assert(sizeof(struct vcpu_info) == 48, "Xen/Arm layout: vcpu_info");
_Static_assert(offsetof(struct shared_info, evtchn_pending) == 48, "Xen/Arm layout: shared_info");
_Static_assert(offsetof(struct shared_info, evtchn_mask) == 48 + 512, "Xen/Arm layout");
_Static_assert(offsetof(struct shared_info, wc_version) == 48 + 1024, "Xen/Arm layout");
_Static_assert(offsetof(struct shared_info, wc_sec_hi) == 48 + 1024 + 12, "Xen/Arm layout");
_Static_assert(sizeof(struct shared_info) == 1088, "Xen/Arm layout: shared_info");

#endif
