/*
 * mm.h — granite's own address space (EL2 stage 1) and cache maintenance.
 * VA == PA for everything granite maps (see memory_map.h).
 */
#ifndef GRANITE_MM_H
#define GRANITE_MM_H

#include <granite/types.h>

enum hyp_map_kind {
    HYP_MAP_CODE = 1,   /* normal memory, read-only, executable */
    HYP_MAP_RO,         /* normal memory, read-only, never executable */
    HYP_MAP_RW,         /* normal memory, read-write, never executable */
    HYP_MAP_DEVICE,     /* Device-nGnRE, never executable */
};

/* Build the tables for granite's image and turn the MMU and caches on. */
void mmu_boot(void);
/* Identity-map [pa, pa+size) (rounded out to pages).  0 or -errno. */
int hyp_map(pa_t pa, u64 size, enum hyp_map_kind kind);
/* Map a device's registers and return a pointer to them (NULL on failure). */
void *ioremap(pa_t pa, u64 size);
/* Whether every byte of [pa, pa + len) is RAM granite maps read-write at EL2:
 * inside a bank given to the page allocator and outside its reserved ranges
 * (granite's image, the DTB, /reserved-memory, boot modules).  Anything else a
 * guest's p2m may map (dom0's /reserved-memory, PCIe windows, device
 * registers) is not mapped at EL2: a hypervisor access there is a data abort
 * that stops the CPU.  Code that dereferences a guest-supplied machine address
 * (grant copy and map, copy_guest) asks this first.  len 0 is false. */
bool mm_pa_range_is_ram(pa_t pa, u64 len);
/* Make the EL2 translation settings available to secondary CPUs. */
void mmu_publish_for_secondaries(void);

void dcache_clean_range(const void *p, u64 size);       /* to the point of coherency */
void dcache_clean_inval_range(const void *p, u64 size);
void dcache_inval_range(const void *p, u64 size);
void icache_inval_all(void);
/* Zero page-aligned memory, fast. */
void zero_pages(void *p, u64 size);

#endif
