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

#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_grant_table_op 20
#define __HYPERVISOR_vcpu_op 24
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_hvm_op 34

/* console_io commands */
#define CONSOLEIO_write 0
#define CONSOLEIO_read 1

typedef unsigned short domid_t;
#define DOMID_SELF 0x7FF0U

#endif
