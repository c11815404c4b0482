/*
 * dcache.c — data cache maintenance by VA to the point of coherency
 * (dcache.h; Arm ARM D7.5.9 and D17.2.34 CTR_EL0): one DC per cache line
 * over the range, then DSB SY so the maintenance is complete before the
 * caller tells the device anything.
 */
#include <stdint.h>
#include <stdbool.h>
#include "dcache.h"

#define CTR_DMINLINE_SHIFT 16               /* CTR_EL0.DminLine: log2 of words */
#define CTR_DMINLINE_MASK 0xf
#define BYTES_PER_WORD 4

static void dcache_maintain(const void *p, size_t len, bool invalidate)
{
    uint64_t ctr, line, a, end = (uint64_t)p + len;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    line = (uint64_t)BYTES_PER_WORD << ((ctr >> CTR_DMINLINE_SHIFT) & CTR_DMINLINE_MASK);
    for (a = (uint64_t)p & ~(line - 1); a < end; a += line) {
        if (invalidate)
            __asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
        else
            __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    }
    __asm__ volatile("dsb sy" ::: "memory");
}

void dcache_clean(const void *p, size_t len) { dcache_maintain(p, len, false); }
void dcache_clean_inval(const void *p, size_t len) { dcache_maintain(p, len, true); }
