/*
 * hypercall.h — the Xen-ABI hypercall dispatcher (core/hypercall.c).
 */
#ifndef GRANITE_HYPERCALL_H
#define GRANITE_HYPERCALL_H

#include <granite/types.h>
#include <granite/arch_callbacks.h>

struct vcpu;

/* The ABI version granite reports through XENVER_version: the Xen release
 * whose public interface it follows. */
#define GRANITE_XEN_ABI_MAJOR 4
#define GRANITE_XEN_ABI_MINOR 19
#define GRANITE_EXTRAVERSION "-granite"
/* The /hypervisor node's compatible, as Xen writes it: "xen,xen-<version>"
 * first (Linux reads the version from it), then "xen,xen". */
#define GRANITE_XEN_COMPATIBLE "xen,xen-4.19\0xen,xen"
/* Largest console_io write served in one call. */
#define CONSOLEIO_MAX_WRITE 16384

/* The handlers do_hypercall dispatches to that live in their own file. */
long do_memory_op(struct vcpu *v, u64 cmd, u64 arg);   /* core/memory_op.c */


#endif
