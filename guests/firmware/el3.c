/*
 * el3.c — a stand-in platform firmware for QEMU's xlnx-zcu102 with
 * secure=on: just enough of what TF-A and the PMU firmware are on a real
 * ZCU102 to boot granite at EL2 and to answer the ZynqMP EEMI calls granite
 * forwards, so that granite's forward mode (core/zynqmp_eemi.c) can be tested.
 * It is a test fixture, not a firmware: no power management happens.
 *
 * Boot: QEMU starts CPU 0 at EL3 here (tools/scenarios.py, boot =
 * "el3-firmware", places this image and sets the PC with -device loader,
 * and fills the two boot slots below the image: the DTB's address and
 * granite's entry).
 * Each CPU puts the GIC interrupts in Group 1 (Non-secure: granite's GICv2
 * driver leaves the groups as the firmware set them) and opens its GICC_PMR
 * (gic_setup), sets SCR_EL3, and drops to EL2; CPU 0 at granite's entry with
 * x0 = the DTB (the arm64 boot protocol).
 *
 * Secondaries start powered off (QEMU's start-powered-off; its own PSCI is
 * disabled when the boot starts at EL3).  PSCI CPU_ON really starts one the
 * way the SoC does: the CPU's reset vector in APU_CTRL's RVBARADDR<n>, then
 * its ACPU<n>_RESET bit cleared in CRF_APB's RST_FPD_APU (Zynq UltraScale+
 * register reference, UG1087; QEMU models both).  The CPU comes out of reset
 * at EL3 here, finds itself by MPIDR_EL1.Aff0, and drops to EL2 at the entry
 * point CPU_ON gave, x0 = its context id.
 *
 * SMCs from EL2 (granite; guests' SMCs trap to granite and never get here):
 *   - PSCI 1.0 (Arm DEN 0022): VERSION, FEATURES, CPU_ON, SYSTEM_OFF and
 *     SYSTEM_RESET (both end QEMU through semihosting); SMCCC 1.1's VERSION
 *     and ARCH_FEATURES (no workaround: NOT_SUPPORTED);
 *   - EEMI (SiP range, 0xC2000000 | API id, SMC64; the register encoding in
 *     core/zynqmp_eemi.c's head comment): one console line per call,
 *     "fw: EEMI api N (arg0, arg1, arg2, arg3)", then an answer: API version
 *     1.1 (granite's own answer mode says 1.0), TF-A version 1.0,
 *     FEATURE_CHECK (version 1) of the APIs below, no clocks (QUERY_DATA's
 *     clock count 0), success to the node, reset, clock and INIT_FINALIZE
 *     calls, and a recognisable rate (FW_CLOCK_RATE_HZ) to PM_CLOCK_GETRATE
 *     (zcu102-eemi-forward: granite forwards dom0's REQUEST_NODE of gem3's
 *     node 32, RESET_ASSERT of its reset 1032 and CLOCK_GETRATE of its clock
 *     48, GEM3_TX; the selftest checks this rate comes back).  Another
 *     SiP call gets its line and NOT_SUPPORTED.
 *   Anything else: SMCCC NOT_SUPPORTED (-1) and a "fw: unknown SMC" line.
 *
 * Assumes: QEMU's ZynqMP model (Cadence UART 0 at 0xff000000 is the console,
 * GIC-400 distributor at 0xf9010000 and CPU interface at 0xf9020000, four
 * Cortex-A53 with EL2 and EL3), this image linked and loaded at 0xfffea000
 * (el3.ld) in the on-chip memory (OCM), where TF-A's BL31 sits on the
 * ZynqMP, outside the DDR granite and its guests are given.
 */
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

/* --- the SoC (UG1087 register reference; QEMU's model) ---------------------- */
#define UART0_BASE 0xff000000UL
#define CDNS_CR 0x00
#define CDNS_CR_RXEN (1U << 2)
#define CDNS_CR_TXEN (1U << 4)
#define CDNS_SR 0x2c
#define CDNS_SR_TXFULL (1U << 4)
#define CDNS_FIFO 0x30

#define GICD_BASE 0xf9010000UL
#define GICD_TYPER 0x004
#define GICD_IGROUPR 0x080
#define GICD_TYPER_ITLINES 0x1fU
#define GICC_BASE 0xf9020000UL
#define GICC_PMR 0x004
#define GICC_PMR_ALL 0xffU /* lowest priority: mask nothing */

#define APU_CTRL_BASE 0xfd5c0000UL
#define APU_RVBARADDR_L(n) (0x40 + 8 * (n))
#define APU_RVBARADDR_H(n) (0x44 + 8 * (n))
#define CRF_APB_BASE 0xfd1a0000UL
#define CRF_RST_FPD_APU 0x104
#define RST_FPD_APU_ACPU_RESET(n) (1U << (n))

#define NR_CPUS 4
#define STACK_SIZE 4096

/* --- SMC function ids ------------------------------------------------------ */
#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_ON_32 0x84000003U
#define PSCI_CPU_ON_64 0xc4000003U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000aU

#define PSCI_VERSION_1_0 0x00010000
#define SMCCC_VERSION_1_1 0x00010001
#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON (-4)

#define SMCCC_FAST_CALL (1U << 31)
#define SMCCC_64 (1U << 30)
#define SMCCC_OWNER_SHIFT 24
#define SMCCC_OWNER_MASK 0x3fU
#define SMCCC_OWNER_SIP 2
#define SMCCC_FUNC_MASK 0xffffU

/* EEMI API ids, query ids and status codes (UG1200; Linux's xlnx-zynqmp.h). */
#define PM_GET_API_VERSION 1
#define PM_REQUEST_NODE 13
#define PM_RELEASE_NODE 14
#define PM_SET_REQUIREMENT 15
#define PM_RESET_ASSERT 17
#define PM_RESET_GET_STATUS 18
#define PM_INIT_FINALIZE 21
#define PM_QUERY_DATA 35
#define PM_CLOCK_ENABLE 36
#define PM_CLOCK_GETRATE 42
#define PM_CLOCK_GETPARENT 44
#define PM_FEATURE_CHECK 63
#define PM_GET_TRUSTZONE_VERSION 0xa03
#define PM_QID_CLOCK_GET_NUM_CLOCKS 12
#define XST_PM_SUCCESS 0
#define XST_PM_NO_FEATURE 19
#define PM_API_VERSION_1_1 0x00010001U /* major << 16 | minor */
#define TZ_VERSION_1_0 0x00010000U
#define FEATURE_VERSION_1 1
#define FW_CLOCK_RATE_HZ 0x1234567U /* what PM_CLOCK_GETRATE answers, any clock */

/* --- semihosting (Arm DUI 0471 / the semihosting spec), for power-off ---- */
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

/* --- EL3 state ------------------------------------------------------------- */
#define SCR_NS (1U << 0)
#define SCR_RES1 (3U << 4)
#define SCR_HCE (1U << 8)
#define SCR_RW (1U << 10)
#define SCR_EL3_VALUE (SCR_NS | SCR_RES1 | SCR_HCE | SCR_RW) /* SMD = 0: SMC enabled */
#define SPSR_EL2H_MASKED 0x3c9U    /* EL2h, D A I F masked */
#define SCTLR_EL2_RES1 0x30c50830U /* MMU and caches off */
#define ESR_EC_SHIFT 26
#define ESR_EC_SMC64 0x17U

/* The boot slots tools/scenarios.py fills with -device loader, just below
 * the image (a loader blob may not overlap another). */
#define FW_BOOT_DTB 0xfffe9ff0UL   /* the DTB's address */
#define FW_BOOT_ENTRY 0xfffe9ff8UL /* granite's entry */

__asm__(".section .text.entry, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "    b     fw_entry\n");

/*
 * Entry, every CPU: a stack by MPIDR_EL1.Aff0, then C.  The vectors: only an
 * SMC64 from a lower EL (AArch64, offset 0x400) is expected; the registers x0-
 * x30 are saved in a frame C reads and writes (x0-x3 are the answer).  Any
 * other exception is a firmware bug: fw_unexpected prints and stops the CPU.
 */
__asm__(".text\n"
        "fw_entry:\n"
        "    mrs   x1, mpidr_el1\n"
        "    and   x1, x1, #0xff\n"
        "    adr   x2, fw_stacks\n"
        "    add   x3, x1, #1\n"
        "    lsl   x3, x3, #12\n" /* STACK_SIZE */
        "    add   sp, x2, x3\n"
        "    mov   x0, x1\n"
        "    bl    fw_cpu_start\n" /* x0 = cpu; returns x0 = EL2 x0 */
        "    eret\n"
        "\n"
        "    .balign 2048\n"
        "fw_vectors:\n"
        "    .rept 8\n" /* current EL (SP_EL0, SP_ELx) */
        "    .balign 128\n"
        "    b     fw_unexpected\n"
        "    .endr\n"
        "    .balign 128\n" /* lower EL, AArch64: synchronous */
        "    b     fw_sync_lower\n"
        "    .rept 7\n"
        "    .balign 128\n"
        "    b     fw_unexpected\n"
        "    .endr\n"
        "\n"
        "fw_sync_lower:\n"
        "    sub   sp, sp, #256\n"
        "    stp   x0, x1, [sp, #0]\n"
        "    stp   x2, x3, [sp, #16]\n"
        "    stp   x4, x5, [sp, #32]\n"
        "    stp   x6, x7, [sp, #48]\n"
        "    stp   x8, x9, [sp, #64]\n"
        "    stp   x10, x11, [sp, #80]\n"
        "    stp   x12, x13, [sp, #96]\n"
        "    stp   x14, x15, [sp, #112]\n"
        "    stp   x16, x17, [sp, #128]\n"
        "    stp   x18, x19, [sp, #144]\n"
        "    stp   x20, x21, [sp, #160]\n"
        "    stp   x22, x23, [sp, #176]\n"
        "    stp   x24, x25, [sp, #192]\n"
        "    stp   x26, x27, [sp, #208]\n"
        "    stp   x28, x29, [sp, #224]\n"
        "    str   x30, [sp, #240]\n"
        "    mov   x0, sp\n"
        "    bl    fw_smc\n"
        "    ldp   x0, x1, [sp, #0]\n"
        "    ldp   x2, x3, [sp, #16]\n"
        "    ldp   x4, x5, [sp, #32]\n"
        "    ldp   x6, x7, [sp, #48]\n"
        "    ldp   x8, x9, [sp, #64]\n"
        "    ldp   x10, x11, [sp, #80]\n"
        "    ldp   x12, x13, [sp, #96]\n"
        "    ldp   x14, x15, [sp, #112]\n"
        "    ldp   x16, x17, [sp, #128]\n"
        "    ldp   x18, x19, [sp, #144]\n"
        "    ldp   x20, x21, [sp, #160]\n"
        "    ldp   x22, x23, [sp, #176]\n"
        "    ldp   x24, x25, [sp, #192]\n"
        "    ldp   x26, x27, [sp, #208]\n"
        "    ldp   x28, x29, [sp, #224]\n"
        "    ldr   x30, [sp, #240]\n"
        "    add   sp, sp, #256\n"
        "    eret\n");

extern const char fw_vectors[], _start[];

/* Per CPU: the stack, and what CPU_ON asked for (read by the CPU it starts). */
__attribute__((aligned(16))) char fw_stacks[NR_CPUS][STACK_SIZE];
static volatile u64 cpu_entry[NR_CPUS], cpu_context[NR_CPUS];
static volatile u32 cpu_started; /* bit n: CPU n was given to EL2 */

static inline void wr32(u64 addr, u32 v) { *(volatile u32 *)addr = v; }
static inline u32 rd32(u64 addr) { return *(volatile u32 *)addr; }

/* --- console ----------------------------------------------------------------- */

static void putc_raw(char c)
{
    while (rd32(UART0_BASE + CDNS_SR) & CDNS_SR_TXFULL)
        ;
    wr32(UART0_BASE + CDNS_FIFO, (u32)c);
}

static void puts_raw(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            putc_raw('\r');
        putc_raw(*s);
    }
}

static void put_hex(u64 v)
{
    char buf[19], *p = buf + sizeof(buf) - 1;

    *p = 0;
    do {
        *--p = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v);
    *--p = 'x';
    *--p = '0';
    puts_raw(p);
}

static void put_dec(u64 v)
{
    char buf[21], *p = buf + sizeof(buf) - 1;

    *p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_raw(p);
}

__attribute__((noreturn)) void fw_unexpected(void)
{
    u64 esr, elr;

    __asm__ volatile("mrs %0, esr_el3; mrs %1, elr_el3" : "=r"(esr), "=r"(elr));
    puts_raw("fw: unexpected exception at EL3, ESR ");
    put_hex(esr);
    puts_raw(" ELR ");
    put_hex(elr);
    puts_raw(": stopped\n");
    for (;;)
        __asm__ volatile("wfi");
}

/* --- power ------------------------------------------------------------------ */

__attribute__((noreturn)) static void semihosting_exit(u64 code)
{
    u64 block[2] = { ADP_STOPPED_APPLICATION_EXIT, code };
    register u64 x0 __asm__("x0") = SYS_EXIT;
    register u64 x1 __asm__("x1") = (u64)block;

    __asm__ volatile("hlt #0xf000" : : "r"(x0), "r"(x1) : "memory");
    for (;;)
        __asm__ volatile("wfi");
}

/* PSCI CPU_ON: Aff0 names the CPU (the ZynqMP's four A53s are one cluster).
 * No lock: granite starts its secondaries one at a time, from CPU 0. */
static long cpu_on(u64 mpidr, u64 entry, u64 context)
{
    u64 cpu = mpidr & 0xff;

    if ((mpidr & ~0xffUL) || cpu >= NR_CPUS)
        return PSCI_INVALID_PARAMETERS;
    if (cpu_started & (1U << cpu))
        return PSCI_ALREADY_ON;
    cpu_entry[cpu] = entry;
    cpu_context[cpu] = context;
    cpu_started |= 1U << cpu;
    __asm__ volatile("dsb sy" ::: "memory");
    /* The CPU leaves reset at its RVBAR, at EL3: here. */
    wr32(APU_CTRL_BASE + APU_RVBARADDR_L(cpu), (u32)(u64)_start);
    wr32(APU_CTRL_BASE + APU_RVBARADDR_H(cpu), (u32)((u64)_start >> 32));
    wr32(CRF_APB_BASE + CRF_RST_FPD_APU,
         rd32(CRF_APB_BASE + CRF_RST_FPD_APU) & ~RST_FPD_APU_ACPU_RESET(cpu));
    return PSCI_SUCCESS;
}

static bool psci_implemented(u32 fn)
{
    return fn == PSCI_VERSION || fn == PSCI_FEATURES || fn == PSCI_CPU_ON_32 ||
           fn == PSCI_CPU_ON_64 || fn == PSCI_SYSTEM_OFF || fn == PSCI_SYSTEM_RESET ||
           fn == SMCCC_VERSION;
}

/* --- EEMI ------------------------------------------------------------------- */

static bool eemi_implemented(u32 api)
{
    switch (api) {
    case PM_GET_API_VERSION:
    case PM_REQUEST_NODE:
    case PM_RELEASE_NODE:
    case PM_SET_REQUIREMENT:
    case PM_RESET_ASSERT:
    case PM_RESET_GET_STATUS:
    case PM_INIT_FINALIZE:
    case PM_QUERY_DATA:
    case PM_FEATURE_CHECK:
    case PM_GET_TRUSTZONE_VERSION:
        return true;
    }
    return api >= PM_CLOCK_ENABLE && api <= PM_CLOCK_GETPARENT;
}

/* One line per call: what reached the firmware. */
static void eemi_log(u32 api, const u32 arg[4])
{
    puts_raw("fw: EEMI api ");
    put_dec(api);
    puts_raw(" (");
    for (unsigned i = 0; i < 4; i++) {
        put_hex(arg[i]);
        puts_raw(i < 3 ? ", " : ")\n");
    }
}

/* x0 = status | payload[1] << 32, x1 = payload[2] | payload[3] << 32. */
static void eemi_call(u64 *x)
{
    u32 api = (u32)x[0] & SMCCC_FUNC_MASK;
    u32 arg[4] = { (u32)x[1], (u32)(x[1] >> 32), (u32)x[2], (u32)(x[2] >> 32) };
    u32 p[4] = { XST_PM_SUCCESS, 0, 0, 0 };

    eemi_log(api, arg);
    if (!eemi_implemented(api)) {
        x[0] = (u64)(long)PSCI_NOT_SUPPORTED;
        return;
    }
    switch (api) {
    case PM_GET_API_VERSION:
        p[1] = PM_API_VERSION_1_1;
        break;
    case PM_GET_TRUSTZONE_VERSION:
        p[1] = TZ_VERSION_1_0;
        break;
    case PM_FEATURE_CHECK:
        if (eemi_implemented(arg[0]))
            p[1] = FEATURE_VERSION_1;
        else
            p[0] = XST_PM_NO_FEATURE;
        break;
    case PM_QUERY_DATA:
        if (arg[0] != PM_QID_CLOCK_GET_NUM_CLOCKS)
            p[0] = XST_PM_NO_FEATURE;
        break; /* no clocks: the count is 0 */
    case PM_CLOCK_GETRATE:
        p[1] = FW_CLOCK_RATE_HZ;
        break;
    }
    x[0] = p[0] | (u64)p[1] << 32;
    x[1] = p[2] | (u64)p[3] << 32;
    x[2] = 0;
    x[3] = 0;
}

/* --- the SMC dispatcher ------------------------------------------------------ */

void fw_smc(u64 *x)
{
    u64 esr;
    u32 fn = (u32)x[0];

    __asm__ volatile("mrs %0, esr_el3" : "=r"(esr));
    if ((esr >> ESR_EC_SHIFT) != ESR_EC_SMC64)
        fw_unexpected();
    if ((fn & SMCCC_FAST_CALL) && (fn & SMCCC_64) &&
        ((fn >> SMCCC_OWNER_SHIFT) & SMCCC_OWNER_MASK) == SMCCC_OWNER_SIP) {
        eemi_call(x);
        return;
    }
    switch (fn) {
    case PSCI_VERSION:
        x[0] = PSCI_VERSION_1_0;
        return;
    case PSCI_FEATURES:
        x[0] = psci_implemented((u32)x[1]) ? PSCI_SUCCESS : (u64)(long)PSCI_NOT_SUPPORTED;
        return;
    case SMCCC_VERSION:
        x[0] = SMCCC_VERSION_1_1;
        return;
    case SMCCC_ARCH_FEATURES: /* no CPU workaround is needed or offered */
        x[0] = (u64)(long)PSCI_NOT_SUPPORTED;
        return;
    case PSCI_CPU_ON_32:
    case PSCI_CPU_ON_64:
        x[0] = (u64)cpu_on(fn == PSCI_CPU_ON_32 ? (u32)x[1] : x[1], x[2], x[3]);
        return;
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
        puts_raw("fw: PSCI system off/reset: ending the machine\n");
        semihosting_exit(0);
    }
    puts_raw("fw: unknown SMC ");
    put_hex(fn);
    puts_raw(": NOT_SUPPORTED\n");
    x[0] = (u64)(long)PSCI_NOT_SUPPORTED;
}

/* --- per-CPU start ------------------------------------------------------------ */

/*
 * Every interrupt Non-secure (Group 1).  GICD_IGROUPR0 (SGIs, PPIs) is banked:
 * each CPU sets its own; CPU 0 does the SPIs.  And the CPU interface's
 * priority mask opened from the Secure side: with the Security Extensions a
 * Non-secure write to GICC_PMR is ignored while the mask is in the Secure half
 * (IHI 0048B §4.4.2; it resets to 0), so granite's own write would not take
 * and the CPU would never be interrupted.
 */
static void gic_setup(u64 cpu)
{
    u32 lines = (rd32(GICD_BASE + GICD_TYPER) & GICD_TYPER_ITLINES) + 1;

    for (u32 n = 0; n < (cpu == 0 ? lines : 1); n++)
        wr32(GICD_BASE + GICD_IGROUPR + 4 * n, ~0U);
    wr32(GICC_BASE + GICC_PMR, GICC_PMR_ALL);
}

/* Set up EL3 and EL2's entry; the value returned is EL2's x0. */
u64 fw_cpu_start(u64 cpu)
{
    u64 entry = cpu ? cpu_entry[cpu] : *(volatile u64 *)FW_BOOT_ENTRY;
    u64 x0 = cpu ? cpu_context[cpu] : *(volatile u64 *)FW_BOOT_DTB;

    __asm__ volatile("msr vbar_el3, %0" : : "r"(fw_vectors));
    __asm__ volatile("msr scr_el3, %0" : : "r"((u64)SCR_EL3_VALUE));
    __asm__ volatile("msr cptr_el3, xzr; msr mdcr_el3, xzr");
    __asm__ volatile("msr sctlr_el2, %0" : : "r"((u64)SCTLR_EL2_RES1));
    __asm__ volatile("msr cntvoff_el2, xzr");
    __asm__ volatile("msr spsr_el3, %0" : : "r"((u64)SPSR_EL2H_MASKED));
    __asm__ volatile("msr elr_el3, %0; isb" : : "r"(entry));
    gic_setup(cpu);
    if (cpu == 0) {
        wr32(UART0_BASE + CDNS_CR, CDNS_CR_TXEN | CDNS_CR_RXEN);
        cpu_started = 1;
        puts_raw("fw: stand-in EL3 firmware: PSCI 1.0, EEMI API v1.1; EL2 entry ");
        put_hex(entry);
        puts_raw(", DTB ");
        put_hex(x0);
        puts_raw("\n");
    }
    return x0;
}
