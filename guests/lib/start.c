/*
 * start.c — C entry of a guest: MMU on, read the DTB, console, then main.
 *
 * Stage 1: granite's guests map their address space 1:1 (VA == IPA), 39-bit VA
 * (TCR_EL1.T0SZ = 25, walk starts at level 1).  RAM is Normal write-back in
 * 1 GiB blocks; the GiB of QEMU virt's high PCIe ECAM is one Device block.  The
 * first 1 GiB (GIC, UART, PCIe windows on QEMU virt and in granite's guest
 * layout) is Device memory in 2 MiB blocks through a level-2 table (when RAM
 * is not there: a dom0 on a board whose RAM starts at 0, as the ZCU102's), except
 * [0x38000000, 0x3a000000): a domU's grant window (shared_info, grant frames,
 * foreign mappings) and Xen's magic pages (the xenstore ring) are RAM shared
 * with the hypervisor and other domains, so they are Normal write-back
 * inner-shareable like RAM (Xen requires it, and atomics on Device memory are
 * not architecturally guaranteed), execute-never.  The other GiBs below 4 GiB
 * that hold no RAM are Device blocks (a board's devices).  A block bigger than RAM is
 * deliberate: an access past the end of RAM passes stage 1 and is then stopped
 * by the hypervisor's stage 2.
 */
#include <libfdt.h>
#include "trace.h"
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include <public/xen.h>
#include <public/sched.h>
#include <granite/psci.h>
#include <granite/memory_map.h>

#define MAIR_NORMAL_IDX 0
#define MAIR_DEVICE_IDX 1
#define MAIR_VALUE (0xffUL | (0x04UL << 8))
#define PTE_BLOCK 0x1UL
#define PTE_TABLE 0x3UL                    /* level-1 entry pointing at a level-2 table */
#define PTRS_PER_TABLE 512                 /* 8-byte descriptors in a 4 KiB table */
#define TABLE_BYTES (PTRS_PER_TABLE * sizeof(uint64_t))
#define PTE_AF (1UL << 10)
#define PTE_SH_INNER (3UL << 8)
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_XN (3UL << 53)
#define TCR_T0SZ_39 25UL
#define TCR_IRGN_WBWA (1UL << 8)
#define TCR_ORGN_WBWA (1UL << 10)
#define TCR_SH_INNER (3UL << 12)
#define TCR_EPD1 (1UL << 23)
#define TCR_IPS_40 (2UL << 32)
#define SCTLR_M (1UL << 0)
#define SCTLR_C (1UL << 2)
#define SCTLR_I (1UL << 12)
#define SCTLR_RES1 ((1UL << 11) | (1UL << 20) | (1UL << 22) | (1UL << 23) | (1UL << 28) | (1UL << 29))
#define GIB (1UL << 30)
#define L2_BLOCK (1UL << 21)               /* what one level-2 block maps: 2 MiB */
#define CTR_DMINLINE(ctr) (((ctr) >> 16) & 0xf) /* log2 of the smallest D-cache line, in words */

extern uint64_t __pgtables[];
static struct guest_info info;

#define HIGH_PCIE_GIB 256 /* QEMU virt's high PCIe ECAM at 0x40_1000_0000 (dom0 passthrough) */

/*
 * RAM the hypervisor lends into the first GiB of a domU (Xen's guest layout,
 * include/granite/memory_map.h): the grant window, then the magic pages.  Xen's
 * GUEST_MAGIC_SIZE is not in memory_map.h, hence spelled out here.  A
 * direct-mapped dom0 sees the host's layout instead, where on QEMU virt this
 * range is inside the PCIe 32-bit window; dom0 puts no BAR there (edu.c and
 * e1000.c use the window's first 2 MiB), so Normal attributes touch no device.
 */
#define GUEST_MAGIC_SIZE 0x01000000UL
#define SHARED_RAM_BASE GUEST_GNTTAB_BASE
#define SHARED_RAM_END (GUEST_MAGIC_BASE + GUEST_MAGIC_SIZE)
_Static_assert(GUEST_GNTTAB_BASE + GUEST_GNTTAB_SIZE == GUEST_MAGIC_BASE,
               "the grant window and the magic pages are one range");
_Static_assert(SHARED_RAM_BASE % L2_BLOCK == 0 && SHARED_RAM_END % L2_BLOCK == 0,
               "the shared range is whole 2 MiB blocks");
_Static_assert(SHARED_RAM_END <= GIB, "the shared range lies in the first GiB");

/* The linker script reserves page-table pages at __pgtables: the level-1
 * table, then the level-2 table of the first GiB. */
#define L1_TABLE (__pgtables)
#define L2_LOW_TABLE (__pgtables + PTRS_PER_TABLE)

static void mmu_load(void)
{
    uint64_t *l1 = L1_TABLE;
    __asm__ volatile("msr mair_el1, %0" : : "r"(MAIR_VALUE));
    __asm__ volatile("msr tcr_el1, %0" : : "r"(TCR_T0SZ_39 | TCR_IRGN_WBWA | TCR_ORGN_WBWA |
                                                 TCR_SH_INNER | TCR_EPD1 | TCR_IPS_40));
    __asm__ volatile("msr ttbr0_el1, %0; isb; tlbi vmalle1; dsb nsh; isb" : : "r"(l1));
    __asm__ volatile("msr sctlr_el1, %0; isb" : : "r"(SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_I));
}

/* Tables are written with the MMU off, straight to memory, and walked through
 * the caches once it is on (TCR_EL1.IRGN0/ORGN0): drop any stale line of one. */
static void dcache_inval_table(const uint64_t *table)
{
    uint64_t ctr, line;

    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    line = sizeof(uint32_t) << CTR_DMINLINE(ctr);
    for (uintptr_t a = (uintptr_t)table; a < (uintptr_t)table + TABLE_BYTES; a += line)
        __asm__ volatile("dc ivac, %0" : : "r"(a) : "memory");
    __asm__ volatile("dsb sy" ::: "memory");
}

/* The first GiB, 2 MiB at a time: devices, but the hypervisor's shared RAM as RAM. */
static void map_low_gib(uint64_t *l1, uint64_t *l2)
{
    for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
        uint64_t addr = i * L2_BLOCK;
        uint64_t attrs = addr >= SHARED_RAM_BASE && addr < SHARED_RAM_END
                             ? PTE_SH_INNER | PTE_ATTR(MAIR_NORMAL_IDX)
                             : PTE_ATTR(MAIR_DEVICE_IDX); /* GIC, UART, PCIe */

        l2[i] = addr | PTE_BLOCK | PTE_AF | attrs | PTE_XN;
    }
    dcache_inval_table(l2);
    l1[0] = (uint64_t)l2 | PTE_TABLE;
}

static void mmu_on(uint64_t ram_base, uint64_t ram_size)
{
    uint64_t *l1 = L1_TABLE;

    for (uint64_t g = ram_base / GIB; g < (ram_base + ram_size + GIB - 1) / GIB && g < 512; g++)
        l1[g] = g * GIB | PTE_BLOCK | PTE_AF | PTE_SH_INNER | PTE_ATTR(MAIR_NORMAL_IDX);
    if (ram_base >= GIB)
        map_low_gib(l1, L2_LOW_TABLE);
    /* The rest of the 32-bit space, where it is not RAM, is Device memory: a
     * direct-mapped dom0 on a board sees the board's devices there (the
     * ZynqMP's GIC and UARTs sit at 0xf9000000-0xffffffff). */
    for (uint64_t g = 1; g < 4; g++)
        if (!l1[g])
            l1[g] = g * GIB | PTE_BLOCK | PTE_AF | PTE_ATTR(MAIR_DEVICE_IDX) | PTE_XN;
    l1[HIGH_PCIE_GIB] = HIGH_PCIE_GIB * GIB | PTE_BLOCK | PTE_AF | PTE_ATTR(MAIR_DEVICE_IDX) |
                        PTE_XN;
    dcache_inval_table(l1);
    mmu_load();
}

/* --- secondary vCPUs ------------------------------------------------------ */

extern char secondary_start[];
static void (*volatile vcpu_fn[4])(unsigned);

void guest_secondary_start(unsigned n)
{
    mmu_load();
    gic_cpu_setup(n);
    if (n < 4 && vcpu_fn[n])
        vcpu_fn[n](n);
    for (;;)
        wait_for_interrupt();
}

long guest_start_vcpu(unsigned n, void (*fn)(unsigned))
{
    if (n >= 4)
        return PSCI_RET_INVALID_PARAMS;
    vcpu_fn[n] = fn;
    __asm__ volatile("dsb sy" ::: "memory");
    return smccc_hvc(PSCI_0_2_FN64_CPU_ON, n, (uint64_t)secondary_start, n);
}

const struct guest_info *guest_info(void) { return &info; }

/* libfdt needs the MMU on (unaligned loads), and the MMU needs to know where
 * RAM is: the DTB sits inside RAM (the boot protocol), so the 1 GiB block that
 * holds the DTB is RAM's, and mapping it first lets libfdt read /memory. */
void guest_start(const void *fdt)
{
    uint64_t g = (uint64_t)fdt & ~(GIB - 1);
    int node, len;
    const fdt64_t *reg;

    mmu_on(g, GIB);
    info.fdt = fdt;
    node = fdt_path_offset(fdt, "/memory@40000000");
    if (node < 0)
        node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
    reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;
    if (reg && len >= 16) {
        info.ram_base = fdt64_to_cpu(reg[0]);
        info.ram_size = fdt64_to_cpu(reg[1]);
    }
    node = fdt_path_offset(fdt, "/chosen");
    info.bootargs = node >= 0 ? fdt_getprop(fdt, node, "bootargs", &len) : NULL;
    if (!info.bootargs)
        info.bootargs = "";
    if (gic_setup(fdt) == 0)
        gic_cpu_setup(0);
    guest_wait_setup();
    trace_setup(fdt);
    guest_exit(guest_main(&info) == 0);
}

const char *guest_arg(const char *key, char *buf, size_t len)
{
    size_t klen = strlen(key);
    const char *s = info.bootargs;

    while (s && *s) {
        while (*s == ' ')
            s++;
        if (!strncmp(s, key, klen) && s[klen] == '=') {
            size_t n = 0;
            s += klen + 1;
            while (s[n] && s[n] != ' ' && n + 1 < len) {
                buf[n] = s[n];
                n++;
            }
            buf[n] = 0;
            return buf;
        }
        while (*s && *s != ' ')
            s++;
    }
    return NULL;
}

uint64_t guest_time_us(void)
{
    uint64_t cnt, frq;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    return cnt / (frq / 1000000);
}

void guest_delay_us(uint64_t us)
{
    uint64_t end = guest_time_us() + us;
    while (guest_time_us() < end)
        ;
}

void guest_exit(bool ok)
{
    struct sched_shutdown sd = { ok ? SHUTDOWN_poweroff : SHUTDOWN_crash };

    fflush(stdout);
    if (ok)
        smccc_hvc(PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0);
    xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)&sd, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void guest_exception(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t far)
{
    printf("guest: unexpected exception %lu: ESR 0x%lx ELR 0x%lx FAR 0x%lx\n",
           (unsigned long)kind, (unsigned long)esr, (unsigned long)elr, (unsigned long)far);
    guest_exit(false);
}
