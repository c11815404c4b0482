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
 * A guest's intermediate physical memory (stage-2 input), for domains that are
 * not direct-mapped.  The numbers are Xen's guest layout
 * (xen/include/public/arch-arm.h) so Xen-aware guests find things where they
 * expect them:
 */
#ifndef GRANITE_MEMORY_MAP_H
#define GRANITE_MEMORY_MAP_H

#include <granite/types.h>

#define GUEST_GNTTAB_BASE 0x38000000UL   /* grant-table window, 16 MiB */
#define GUEST_GNTTAB_SIZE 0x01000000UL
#define GUEST_RAM0_BASE 0x40000000UL     /* first RAM bank, up to 3 GiB */
#define GUEST_RAM0_MAX 0xc0000000UL

#define GRANITE_MAX_CPUS 8
#define GRANITE_STACK_SIZE (16 * 1024)

/* Hypervisor VA <-> PA.  Identity today; every conversion goes through here. */
static inline void *pa_to_ptr(pa_t p) { return (void *)(uintptr_t)pa_addr(p); }
static inline pa_t ptr_to_pa(const void *p) { return pa((u64)(uintptr_t)p); }

/* Linker-script symbols bounding granite's image (see linker/granite.ld). */
extern char __image_start[], __image_end[];
extern char __boot_text_start[], __boot_text_end[];

#endif
