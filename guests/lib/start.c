/*
 * start.c — C entry of a guest: MMU on, read the DTB, console, then main.
 *
 * Stage 1: granite's guests map their address space 1:1 (VA == IPA) with
 * 1 GiB blocks, 39-bit VA (TCR_EL1.T0SZ = 25, walk starts at level 1).  RAM is
 * Normal write-back; the first 1 GiB (GIC, UART, PCIe windows on QEMU virt and
 * in granite's guest layout) and the GiB of QEMU virt's high PCIe ECAM are
 * Device memory.  A block bigger than RAM is deliberate: an access past
 * the end of RAM passes stage 1 and is then stopped by the hypervisor's stage 2.
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include <public/xen.h>
#include <public/sched.h>
#include <granite/psci.h>

#define MAIR_NORMAL_IDX 0
#define MAIR_DEVICE_IDX 1
#define MAIR_VALUE (0xffUL | (0x04UL << 8))
#define PTE_BLOCK 0x1UL
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

extern uint64_t __pgtables[];
static struct guest_info info;

#define HIGH_PCIE_GIB 256 /* QEMU virt's high PCIe ECAM at 0x40_1000_0000 (dom0 passthrough) */

static void mmu_load(void)
{
    uint64_t *l1 = __pgtables;
    __asm__ volatile("msr mair_el1, %0" : : "r"(MAIR_VALUE));
    __asm__ volatile("msr tcr_el1, %0" : : "r"(TCR_T0SZ_39 | TCR_IRGN_WBWA | TCR_ORGN_WBWA |
                                                 TCR_SH_INNER | TCR_EPD1 | TCR_IPS_40));
    __asm__ volatile("msr ttbr0_el1, %0; isb; tlbi vmalle1; dsb nsh; isb" : : "r"(l1));
    __asm__ volatile("msr sctlr_el1, %0; isb" : : "r"(SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_I));
}

static void mmu_on(uint64_t ram_base, uint64_t ram_size)
{
    uint64_t *l1 = __pgtables;

    for (uint64_t g = ram_base / GIB; g < (ram_base + ram_size + GIB - 1) / GIB && g < 512; g++)
        l1[g] = g * GIB | PTE_BLOCK | PTE_AF | PTE_SH_INNER | PTE_ATTR(MAIR_NORMAL_IDX);
    if (ram_base >= GIB)
        l1[0] = PTE_BLOCK | PTE_AF | PTE_ATTR(MAIR_DEVICE_IDX) | PTE_XN; /* GIC, UART, PCIe */
    l1[HIGH_PCIE_GIB] = HIGH_PCIE_GIB * GIB | PTE_BLOCK | PTE_AF | PTE_ATTR(MAIR_DEVICE_IDX) |
                        PTE_XN;
    /* Written with the MMU off, straight to memory: drop stale cache lines. */
    __asm__ volatile("dc ivac, %0; dsb sy" : : "r"(l1) : "memory");
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
