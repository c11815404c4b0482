/*
 * memory_map.h — every address granite cares about, in one place.
 *
 * Host physical memory (what the board has):
 *
 *   /memory banks from the DTB ......... host RAM
 *     [load, load + image_size) ........ granite: text, data, bss, stacks,
 *                                        boot page tables.  image_size is in the
 *                                        Image header, so a boot loader keeps the
 *                                        DTB and initrd out of it.
 *     the DTB .......................... kept, read-only, for the whole run
 *     everything else .................. the page allocator (core/page_alloc.c):
 *                                        stage-2 tables and guest RAM come from here
 *
 * granite's own virtual memory (EL2 stage 1, TTBR0_EL2):
 *   VA == PA.  Only what granite touches is mapped: its image (normal,
 *   write-back), the DTB (normal, read-only), RAM given to the page allocator
 *   (normal) and each device it drives (Device-nGnRE), mapped when the driver asks.
 *   The image is position independent: it relocates itself at entry
 *   (arch/arm64/boot.S), so any 2 MiB-aligned load address works.
 *
 * A direct-mapped domain (dom0) sees the host's layout: its RAM banks at their
 * physical addresses, the GIC and the console UART where the board has them
 * (emulated), the PCIe host bridge passed through 1:1.
 *
 * A guest's intermediate physical memory (stage-2 input), for domains that are
 * not direct-mapped.  The numbers are Xen's guest layout
 * (xen/include/public/arch-arm.h) so Xen-aware guests find things where they
 * expect them:
 */
#ifndef GRANITE_MEMORY_MAP_H
#define GRANITE_MEMORY_MAP_H

#include <granite/types.h>

#define GUEST_GICD_BASE 0x08000000UL     /* vGIC distributor (64 KiB), as on QEMU virt */
#define GUEST_GICR_BASE 0x080A0000UL     /* vGIC redistributors, 128 KiB per vCPU */
#define GUEST_GICD_SIZE 0x10000UL
#define GUEST_GICR_STRIDE 0x20000UL      /* RD_base + SGI_base frames of one vCPU */
#define GUEST_GICV2_DIST_SIZE 0x1000UL   /* on a GICv2 host: a 4 KiB distributor at GUEST_GICD_BASE */
#define GUEST_GICC_BASE 0x08010000UL     /* on a GICv2 host: the hardware's GICV, as on QEMU virt */
#define GUEST_GICC_SIZE 0x2000UL         /* two 4 KiB pages (GICC_DIR in the second) */
#define GUEST_PL011_BASE 0x09000000UL    /* vPL011 (4 KiB) */
#define GUEST_PL011_INTID 33             /* its interrupt: SPI 1 */
#define GUEST_EVTCHN_PPI 31              /* event-channel upcall (Xen's GUEST_EVTCHN_PPI) */
#define GUEST_GNTTAB_BASE 0x38000000UL   /* grant-table window, 16 MiB */
#define GUEST_GNTTAB_SIZE 0x01000000UL
#define GUEST_MAGIC_BASE 0x39000000UL    /* toolstack pages (Xen's GUEST_MAGIC_BASE) */
#define GUEST_XENSTORE_IPA (GUEST_MAGIC_BASE + 0x1000UL) /* xenstore ring (XENSTORE_PFN_OFFSET 1) */
#define GUEST_RAM0_BASE 0x40000000UL     /* first RAM bank, up to 3 GiB */
#define GUEST_RAM0_MAX 0xc0000000UL
/* Xen's second guest RAM window (xen/include/public/arch-arm.h): granite puts
 * no RAM there; with the rest of the first window it is free IPA space, the
 * extended regions of a domU's /hypervisor node. */
#define GUEST_RAM1_BASE 0x0200000000UL
#define GUEST_RAM1_SIZE 0xfe00000000UL

#define GRANITE_MAX_CPUS 8
#define GRANITE_STACK_SIZE (16 * 1024)

/* Hypervisor VA <-> PA.  Identity today; every conversion goes through here.
 * A pointer is a VA granite dereferences; va_t is one its own tables map. */
static inline void *pa_to_ptr(pa_t p) { return (void *)(uintptr_t)pa_addr(p); }
static inline pa_t ptr_to_pa(const void *p) { return pa((u64)(uintptr_t)p); }
static inline va_t va_of_pa(pa_t p) { return va(pa_addr(p)); }
static inline va_t va_of_ptr(const void *p) { return va((u64)(uintptr_t)p); }

/* Linker-script symbols bounding granite's image (see linker/granite.ld). */
extern char __image_start[], __image_end[];
extern char __boot_text_start[], __boot_text_end[];

#endif
