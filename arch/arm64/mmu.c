/*
 * mmu.c — granite's own translation tables (EL2 stage 1, TTBR0_EL2).
 *
 * granite maps VA == PA, and only what it uses: its image with per-section
 * permissions (code read-only and executable, data never executable), the DTB
 * read-only, page-allocator RAM read-write, and each device's registers as
 * Device-nGnRE when its driver asks.  A stray pointer therefore faults instead
 * of scribbling over a guest.
 *
 * 48-bit VA (TCR_EL2.T0SZ = 16), so the walk starts at level 0.  Table pages come
 * from a fixed pool in .bss: they are needed before the page allocator exists.
 *
 * The MMU is turned on by the boot CPU before it reads the DTB: with the MMU
 * off every access is Device memory, where unaligned loads fault, and libfdt
 * makes unaligned loads.
 */
#include <granite/mm.h>
#include <granite/memory_map.h>
#include <granite/pgtable.h>
#include <granite/console.h>
#include <granite/errno.h>
#include <granite/spinlock.h>
#include "sysregs.h"
#include "internal.h"

/* Stage-1 leaf fields (Arm ARM D8.3.2). */
#define S1_ATTRINDX(i) FIELD_PREP(GENMASK(4, 2), i)
#define S1_AP_RO BIT(7)     /* AP[2]: read-only */
#define S1_AP1_RES1 BIT(6)  /* AP[1] is RES1 in the EL2 regime */
#define S1_SH_INNER FIELD_PREP(GENMASK(9, 8), 3)
#define S1_SH_OUTER FIELD_PREP(GENMASK(9, 8), 2)
#define S1_XN BIT(54)

#define HYP_VA_BITS 48
#define POOL_PAGES 96

static u64 table_pool[POOL_PAGES][PT_ENTRIES] __attribute__((aligned(4096)));
static unsigned pool_used;
static struct pgtable hyp_pt;
static spinlock_t hyp_pt_lock = SPINLOCK_INIT(LOCK_HYP_PT);

/* Read by secondary CPUs with their MMU off: see boot.S. */
struct boot_mmu {
    u64 mair, tcr, ttbr, sctlr;
} boot_mmu __attribute__((aligned(64)));

static void *pool_alloc(void *ctx unused, unsigned order)
{
    if (order != 0 || pool_used >= POOL_PAGES)
        return NULL;
    return table_pool[pool_used++];
}

static void pool_free(void *ctx unused, void *p, unsigned order unused)
{
    /* Pages go back zeroed; the pool only grows (granite's mappings are few). */
    u64 *t = p;
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        t[i] = 0;
}

static const struct pt_allocator pool_allocator = { .alloc = pool_alloc, .free = pool_free };

static u64 el2_encode_leaf(pa_t oa, unsigned level, unsigned kind)
{
    u64 d = pa_addr(oa) | DESC_VALID | DESC_AF | S1_AP1_RES1 | FIELD_PREP(DESC_SW_MASK, kind);

    if (level == 3)
        d |= DESC_PAGE;
    switch ((enum hyp_map_kind)kind) {
    case HYP_MAP_CODE:
        return d | S1_ATTRINDX(MAIR_IDX_NORMAL) | S1_SH_INNER | S1_AP_RO;
    case HYP_MAP_RO:
        return d | S1_ATTRINDX(MAIR_IDX_NORMAL) | S1_SH_INNER | S1_AP_RO | S1_XN;
    case HYP_MAP_RW:
        return d | S1_ATTRINDX(MAIR_IDX_NORMAL) | S1_SH_INNER | S1_XN;
    case HYP_MAP_DEVICE:
        return d | S1_ATTRINDX(MAIR_IDX_DEVICE) | S1_SH_OUTER | S1_XN;
    }
    return 0;
}

static unsigned el2_leaf_type(u64 d) { return FIELD_GET(DESC_SW_MASK, d); }

static const struct pt_format el2_format = {
    .name = "el2-stage1",
    .encode_leaf = el2_encode_leaf,
    .leaf_type = el2_leaf_type,
};

static void el2_write_desc(struct pgtable *pt unused, u64 *slot, u64 d)
{
    *(volatile u64 *)slot = d;
}

static void el2_sync(struct pgtable *pt unused) { dsb(ishst); }

static void el2_flush_ia(struct pgtable *pt unused, pt_ia_t va, unsigned level unused)
{
    dsb(ishst);
    __asm__ volatile("tlbi vae2is, %0" : : "r"(pt_ia_addr(va) >> PAGE_SHIFT) : "memory");
    dsb(ish);
    isb();
}

static void el2_flush_all(struct pgtable *pt unused)
{
    dsb(ishst);
    __asm__ volatile("tlbi alle2is" ::: "memory");
    dsb(ish);
    isb();
}

static const struct pt_hooks el2_hooks = {
    .write_desc = el2_write_desc,
    .sync = el2_sync,
    .flush_ia = el2_flush_ia,
    .flush_all = el2_flush_all,
};

int hyp_map(pa_t p, u64 size, enum hyp_map_kind kind)
{
    u64 start = ALIGN_DOWN(pa_addr(p), PAGE_SIZE);
    u64 end = ALIGN_UP(pa_addr(p) + size, PAGE_SIZE);
    u64 f = spin_lock_irqsave(&hyp_pt_lock);
    int ret = pt_map(&hyp_pt, pt_va(va_of_pa(pa(start))), pa(start), end - start, kind);

    pt_finish(&hyp_pt);
    spin_unlock_irqrestore(&hyp_pt_lock, f);
    if (ret)
        printk("mm: cannot map 0x%lx-0x%lx: error %d\n", start, end, ret);
    return ret;
}

void *ioremap(pa_t p, u64 size)
{
    return hyp_map(p, size, HYP_MAP_DEVICE) ? NULL : pa_to_ptr(p);
}

static unsigned dcache_line(void)
{
    return 4U << FIELD_GET(GENMASK(19, 16), read_sysreg(ctr_el0)); /* CTR_EL0.DminLine */
}

#define DCACHE_OP(name, insn)                                                   \
    void name(const void *p, u64 size)                                          \
    {                                                                           \
        u64 line = dcache_line();                                               \
        u64 a = ALIGN_DOWN((u64)(uintptr_t)p, line), end = (u64)(uintptr_t)p + size; \
        for (; a < end; a += line)                                              \
            __asm__ volatile(insn ", %0" : : "r"(a) : "memory");               \
        dsb(sy);                                                                \
    }
DCACHE_OP(dcache_clean_range, "dc cvac")
DCACHE_OP(dcache_clean_inval_range, "dc civac")
DCACHE_OP(dcache_inval_range, "dc ivac")

/* Zero whole pages with DC ZVA (Arm ARM D7.5.x: zeroes one block of
 * 4 << DCZID_EL0.BS bytes per instruction), much faster than stores — it
 * matters when a domain's RAM is scrubbed.  Falls back to stores when the
 * instruction is prohibited (DCZID_EL0.DZP). */
#define DCZID_DZP BIT(4)
#define DCZID_BS GENMASK(3, 0)
void zero_pages(void *p, u64 size)
{
    u64 dczid = read_sysreg(dczid_el0);
    u64 a = (u64)(uintptr_t)p, end = a + size;

    if (dczid & DCZID_DZP) {
        for (; a < end; a += 8)
            *(volatile u64 *)a = 0;
        return;
    }
    for (u64 block = 4UL << FIELD_GET(DCZID_BS, dczid); a < end; a += block)
        __asm__ volatile("dc zva, %0" : : "r"(a) : "memory");
    dsb(ish);
}

/* Every CPU's instruction cache, to the point of unification (inner shareable). */
void icache_inval_all(void)
{
    __asm__ volatile("ic ialluis" ::: "memory");
    dsb(ish);
    isb();
}

static unsigned hyp_pa_range_field(void)
{
    unsigned parange = FIELD_GET(MMFR0_PARANGE, read_sysreg(id_aa64mmfr0_el1));
    return parange > 5 ? 5 : parange; /* 48 bits at most with 4 KiB pages */
}

/* The image section [start, end) at its own address (VA == PA). */
static int map_image_part(const char *start, const char *end, enum hyp_map_kind kind)
{
    return pt_map(&hyp_pt, pt_va(va_of_ptr(start)), ptr_to_pa(start), (u64)(end - start), kind);
}

__attribute__((section(".text.boot"))) void mmu_boot(void)
{
    if (pt_init(&hyp_pt, PT_SPACE_VA, HYP_VA_BITS, 0, 0, &el2_format, &el2_hooks,
                &pool_allocator, NULL) ||
        map_image_part(__image_start, __rodata_start, HYP_MAP_CODE) ||
        map_image_part(__rodata_start, __data_start, HYP_MAP_RO) ||
        map_image_part(__data_start, __image_end, HYP_MAP_RW)) {
        /* Only a broken build gets here: the pool is sized for the image. */
        __asm__ volatile("b cpu_stop");
    }
    boot_mmu.mair = MAIR_EL2_VALUE;
    boot_mmu.tcr = TCR_EL2_RES1 | TCR_EL2_T0SZ(64 - HYP_VA_BITS) | TCR_EL2_IRGN0_WBWA |
                   TCR_EL2_ORGN0_WBWA | TCR_EL2_SH0_INNER | TCR_EL2_TG0_4K |
                   TCR_EL2_PS(hyp_pa_range_field());
    boot_mmu.ttbr = pa_addr(ptr_to_pa(hyp_pt.root));
    boot_mmu.sctlr = SCTLR_EL2_RES1 | SCTLR_EL2_M | SCTLR_EL2_C | SCTLR_EL2_I | SCTLR_EL2_SA;

    /* Everything so far was written with caches off, straight to memory: drop any
     * stale lines for the image before the caches start being used. */
    dcache_inval_range(__image_start, (u64)(__image_end - __image_start));
    write_sysreg(mair_el2, boot_mmu.mair);
    write_sysreg(tcr_el2, boot_mmu.tcr);
    write_sysreg(ttbr0_el2, boot_mmu.ttbr);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(nsh);
    __asm__ volatile("ic iallu" ::: "memory");
    dsb(nsh);
    isb();
    write_sysreg(sctlr_el2, boot_mmu.sctlr);
    isb();
}

void mmu_publish_for_secondaries(void)
{
    dcache_clean_range(&boot_mmu, sizeof(boot_mmu));
    /* The tables themselves are walked by the secondaries with caches on, but a
     * walk from a CPU whose caches are off is not coherent: clean them too. */
    dcache_clean_range(table_pool, sizeof(table_pool));
}
