/*
 * cpu_fidelity.c — does the vCPU behave as the architecture says? (issue 11)
 *
 *   test=idregs      every ID register of the ID space reads without UNDEF;
 *                    what granite does not switch is hidden (SVE, SME, MTE,
 *                    AMU, PMU, SPE, TRBE, trace, RAS, EL2/EL3); hidden
 *                    features' registers are UNDEFINED, the OS lock and the
 *                    EL1 physical timer registers work
 *   test=pauth key=K program all five pointer-authentication key pairs from K,
 *                    then sign and authenticate (PACGA, PACIA/AUTIA) again and
 *                    again for ms=T milliseconds: with another domain using
 *                    other keys on the same CPU, every signature must stay
 *                    the one this domain's keys give
 *   test=ptimer      the EL1 physical timer (CNTP, PPI 30): CTL/CVAL/TVAL
 *                    semantics, the interrupt as a level that drops when the
 *                    timer is masked, disabled or moved ahead, never early,
 *                    and it wakes a vCPU asleep in WFI
 *   test=vtimer      the virtual timer (CNTV, PPI 27): CNTV_CTL reads back
 *                    what was written (no IMASK set behind our back), and the
 *                    interrupt drops when the timer is disabled, masked or
 *                    moved ahead
 *   test=sea         read, write and execute an IPA with nothing behind it:
 *                    each is a synchronous external abort taken at our own
 *                    vector, with the syndrome the Arm ARM defines
 *   test=smccc count=N  SMCCC_VERSION, SMCCC_ARCH_FEATURES answers, then N
 *                    unknown SMCCC calls, each answered NOT_SUPPORTED; prints
 *                    the cost of one in counter ticks
 *
 * Exceptions a test provokes on purpose are caught by a vector table of our
 * own (probe_vectors), installed only around the probed instruction with
 * interrupts masked: it records ESR/FAR/ELR/SPSR and which vector was used,
 * and resumes after the instruction (or, for an instruction abort, at the
 * caller's return address).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include <public/xen.h>
#include <granite/psci.h>

/* --- the probe: catch one synchronous exception -------------------------------- */

struct probe_record {
    uint64_t esr, far, elr, spsr, count, vector, daif;
};
struct probe_record probe_rec;

__asm__(
    "    .pushsection .text.probe_vectors, \"ax\"\n"
    "    .balign 2048\n"
    "probe_vectors:\n"
    "    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "    .balign 128\n"
    "    stp x0, x1, [sp, #-16]!\n"
    "    mov x1, #\\n\n"
    "    b probe_entry\n"
    "    .endr\n"
    "probe_entry:\n"
    "    adrp x0, probe_rec\n"
    "    add x0, x0, :lo12:probe_rec\n"
    "    str x1, [x0, #40]\n"
    "    mrs x1, esr_el1\n"
    "    str x1, [x0]\n"
    "    mrs x1, far_el1\n"
    "    str x1, [x0, #8]\n"
    "    mrs x1, elr_el1\n"
    "    str x1, [x0, #16]\n"
    "    mrs x1, spsr_el1\n"
    "    str x1, [x0, #24]\n"
    "    mrs x1, daif\n"
    "    str x1, [x0, #48]\n"
    "    ldr x1, [x0, #32]\n"
    "    add x1, x1, #1\n"
    "    str x1, [x0, #32]\n"
    "    mrs x1, esr_el1\n"
    "    lsr x1, x1, #26\n"
    "    cmp x1, #0x21\n" /* instruction abort, same EL: go back to the caller */
    "    b.eq 1f\n"
    "    mrs x1, elr_el1\n"
    "    add x1, x1, #4\n"
    "    msr elr_el1, x1\n"
    "    b 2f\n"
    "1:  msr elr_el1, x30\n"
    "2:  ldp x0, x1, [sp], #16\n"
    "    eret\n"
    "    .popsection\n");
extern char probe_vectors[];

#define NO_EXCEPTION (~0UL)
#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_UNKNOWN 0x00
#define EC_IABT_CUR 0x21
#define EC_DABT_CUR 0x25
#define ESR_IL (1UL << 25)
#define ESR_WNR (1UL << 6)
#define ESR_ISV (1UL << 24)
#define FSC_SEA 0x10
#define VEC_CURRENT_SPX_SYNC 4

/* Run fn with our vectors; the ESR of the exception it caused, or NO_EXCEPTION. */
static uint64_t probe(void (*fn)(void))
{
    uint64_t old;

    irq_disable_local();
    probe_rec.count = 0;
    __asm__ volatile("mrs %0, vbar_el1" : "=r"(old));
    __asm__ volatile("msr vbar_el1, %0; isb" : : "r"(probe_vectors));
    fn();
    __asm__ volatile("msr vbar_el1, %0; isb" : : "r"(old));
    return probe_rec.count ? probe_rec.esr : NO_EXCEPTION;
}

static unsigned failures;

static void check(const char *what, bool ok)
{
    printf("cpu: %-62s %s\n", what, ok ? "ok" : "WRONG");
    failures += !ok;
}

static int verdict(const char *test)
{
    printf("cpu: %s: %s\n", test, failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}

static unsigned arg_num(const char *key, unsigned dflt)
{
    char buf[24];
    return guest_arg(key, buf, sizeof(buf)) ? (unsigned)strtoul(buf, NULL, 0) : dflt;
}

static uint64_t counter(void)
{
    uint64_t c;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(c));
    return c;
}

static uint64_t counter_freq(void)
{
    uint64_t f;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
    return f;
}

static void spin_ticks(uint64_t ticks)
{
    for (uint64_t end = counter() + ticks; counter() < end;)
        ;
}

/* --- test=idregs ----------------------------------------------------------------- */

static uint64_t id_value;
static unsigned id_crm, id_op2;

#define ID_CASE(crm, op2)                                                          \
    case (crm) * 8 + (op2):                                                        \
        __asm__ volatile("mrs %0, S3_0_C0_C" #crm "_" #op2 : "=r"(id_value));      \
        break;
#define ID_ROW(crm) ID_CASE(crm, 0) ID_CASE(crm, 1) ID_CASE(crm, 2) ID_CASE(crm, 3) \
                    ID_CASE(crm, 4) ID_CASE(crm, 5) ID_CASE(crm, 6) ID_CASE(crm, 7)

static void read_id(void)
{
    id_value = 0xbadbadbadUL;
    switch (id_crm * 8 + id_op2) {
    ID_CASE(0, 0) ID_CASE(0, 5) ID_CASE(0, 6)
    ID_ROW(1) ID_ROW(2) ID_ROW(3) ID_ROW(4) ID_ROW(5) ID_ROW(6) ID_ROW(7)
    }
}

static uint64_t id_regs[8][8];

static uint64_t fld(uint64_t v, unsigned shift) { return (v >> shift) & 0xf; }

/* ZCR_EL1 with CPACR_EL1.ZEN = 0b11, as Linux probes it: with ZEN = 0 the
 * access would trap to EL1 (EC 0x19) before EL2 could say anything. */
#define CPACR_ZEN (3UL << 16)
static void write_zcr(void)
{
    uint64_t cpacr;
    __asm__ volatile("mrs %0, cpacr_el1" : "=r"(cpacr));
    __asm__ volatile("msr cpacr_el1, %0; isb" : : "r"(cpacr | CPACR_ZEN));
    __asm__ volatile("msr S3_0_C1_C2_0, %0" : : "r"(0UL));
    __asm__ volatile("msr cpacr_el1, %0; isb" : : "r"(cpacr));
}
static uint64_t scratch;
static void read_pmcr(void) { __asm__ volatile("mrs %0, S3_3_C9_C12_0" : "=r"(scratch)); }
static void read_amcr(void) { __asm__ volatile("mrs %0, S3_3_C13_C2_0" : "=r"(scratch)); }
static void read_pmscr(void) { __asm__ volatile("mrs %0, S3_0_C9_C9_0" : "=r"(scratch)); }
static void read_trblimitr(void) { __asm__ volatile("mrs %0, S3_0_C9_C11_0" : "=r"(scratch)); }
static void read_erridr(void) { __asm__ volatile("mrs %0, S3_0_C5_C3_0" : "=r"(scratch)); }
static void read_cntp_ctl(void) { __asm__ volatile("mrs %0, cntp_ctl_el0" : "=r"(scratch)); }
static void read_oslsr(void) { __asm__ volatile("mrs %0, oslsr_el1" : "=r"(scratch)); }
static void clear_oslock(void) { __asm__ volatile("msr oslar_el1, %0; isb" : : "r"(0UL)); }

static int test_idregs(void)
{
    unsigned undef = 0, read = 0;

    for (id_crm = 0; id_crm < 8; id_crm++)
        for (id_op2 = 0; id_op2 < 8; id_op2++) {
            if (id_crm == 0 && id_op2 != 0 && id_op2 != 5 && id_op2 != 6)
                continue; /* unallocated outside the TID3 range */
            read++;
            if (probe(read_id) != NO_EXCEPTION) {
                printf("cpu: ID register op0=3 op1=0 CRn=0 CRm=%u op2=%u: exception, ESR 0x%lx\n",
                       id_crm, id_op2, (unsigned long)probe_rec.esr);
                undef++;
            }
            id_regs[id_crm][id_op2] = id_value;
        }
    printf("cpu: %u ID registers read, %u raised an exception\n", read, undef);
    check("every ID register reads without an exception", undef == 0);

    uint64_t pfr0 = id_regs[4][0], pfr1 = id_regs[4][1], dfr0 = id_regs[5][0];
    uint64_t isar1 = id_regs[6][1], isar2 = id_regs[6][2], mmfr0 = id_regs[7][0];
    printf("cpu: ID_AA64PFR0 0x%016lx PFR1 0x%016lx DFR0 0x%016lx\n", (unsigned long)pfr0,
           (unsigned long)pfr1, (unsigned long)dfr0);
    printf("cpu: ID_AA64ISAR1 0x%016lx ISAR2 0x%016lx MMFR0 0x%016lx\n", (unsigned long)isar1,
           (unsigned long)isar2, (unsigned long)mmfr0);
    check("ID_AA64PFR0.SVE = 0, ID_AA64ZFR0 = 0", fld(pfr0, 32) == 0 && id_regs[4][4] == 0);
    check("ID_AA64PFR1.SME = 0, ID_AA64SMFR0 = 0", fld(pfr1, 24) == 0 && id_regs[4][5] == 0);
    check("ID_AA64PFR1.MTE = 0", fld(pfr1, 8) == 0);
    check("ID_AA64PFR0.AMU = 0, RAS = 0, MPAM = 0", fld(pfr0, 44) == 0 && fld(pfr0, 28) == 0 &&
                                                   fld(pfr0, 40) == 0);
    check("ID_AA64PFR0.EL2 = 0, EL3 = 0, EL1 = EL0 = AArch64 only",
          fld(pfr0, 8) == 0 && fld(pfr0, 12) == 0 && fld(pfr0, 4) == 1 && fld(pfr0, 0) == 1);
    check("ID_AA64DFR0.PMUVer = 0, PMSVer = 0, TraceVer = 0",
          fld(dfr0, 8) == 0 && fld(dfr0, 32) == 0 && fld(dfr0, 4) == 0);
    check("ID_AA64DFR0.TraceBuffer = 0, TraceFilt = 0, DoubleLock = 0xf",
          fld(dfr0, 44) == 0 && fld(dfr0, 40) == 0 && fld(dfr0, 36) == 0xf);
    check("ID_AA64DFR0.DebugVer = Armv8.0 debug (6)", fld(dfr0, 0) == 6);
    bool pauth = (fld(isar1, 4) || fld(isar1, 8) || fld(isar2, 12)) &&
                 (fld(isar1, 24) || fld(isar1, 28) || fld(isar2, 8));
    printf("cpu: pointer authentication advertised: %s\n", pauth ? "yes" : "no");
    check("ID_AA64MMFR0.PARange within a 48-bit IPA", fld(mmfr0, 0) <= 5);
    check("the AArch32 ID registers (CRm 1..3) read 0",
          !id_regs[1][0] && !id_regs[1][1] && !id_regs[2][0] && !id_regs[3][0]);
    check("reserved ID_AA64 encodings read 0", !id_regs[4][3] && !id_regs[5][2] &&
                                               !id_regs[6][7] && !id_regs[7][7]);

    uint64_t esr = probe(write_zcr);
    printf("cpu: msr ZCR_EL1 with CPACR_EL1.ZEN = 0b11: ESR 0x%lx\n", (unsigned long)esr);
    check("msr ZCR_EL1 (SVE hidden): UNDEFINED", esr != NO_EXCEPTION && ESR_EC(esr) == EC_UNKNOWN);
    esr = probe(read_pmcr);
    check("mrs PMCR_EL0 (PMU hidden): UNDEFINED", esr != NO_EXCEPTION && ESR_EC(esr) == EC_UNKNOWN);
    esr = probe(read_amcr);
    check("mrs AMCR_EL0 (AMU hidden): UNDEFINED", esr != NO_EXCEPTION && ESR_EC(esr) == EC_UNKNOWN);
    esr = probe(read_pmscr);
    check("mrs PMSCR_EL1 (SPE hidden): UNDEFINED", esr != NO_EXCEPTION && ESR_EC(esr) == EC_UNKNOWN);
    esr = probe(read_trblimitr);
    check("mrs TRBLIMITR_EL1 (TRBE hidden): UNDEFINED",
          esr != NO_EXCEPTION && ESR_EC(esr) == EC_UNKNOWN);
    esr = probe(read_erridr);
    check("mrs ERRIDR_EL1 (RAS hidden): UNDEFINED", esr != NO_EXCEPTION && ESR_EC(esr) == EC_UNKNOWN);
    check("mrs CNTP_CTL_EL0: no exception", probe(read_cntp_ctl) == NO_EXCEPTION);
    bool os_ok = probe(read_oslsr) == NO_EXCEPTION && (scratch & 0x9) == 0x8;
    uint64_t before = scratch;
    os_ok = os_ok && probe(clear_oslock) == NO_EXCEPTION && probe(read_oslsr) == NO_EXCEPTION &&
            !(scratch & 2);
    printf("cpu: OSLSR_EL1 0x%lx at start, 0x%lx after OSLAR_EL1 = 0\n", (unsigned long)before,
           (unsigned long)scratch);
    check("OS lock: OSLM = 0b10, OSLAR_EL1 = 0 unlocks", os_ok);
    return verdict("idregs");
}

/* --- test=pauth ------------------------------------------------------------------ */

/* PACGA Xd, Xn, Xm / PACIA Xd, Xn / AUTIA Xd, Xn (Armv8.3), spelt as
 * encodings: the guest is built for Armv8.0. */
static uint64_t pacga(uint64_t x, uint64_t mod)
{
    register uint64_t d __asm__("x0"), n __asm__("x1") = x, m __asm__("x2") = mod;
    __asm__ volatile(".inst 0x9ac23020" : "=r"(d) : "r"(n), "r"(m)); /* pacga x0, x1, x2 */
    return d;
}

static uint64_t pacia(uint64_t ptr, uint64_t mod)
{
    register uint64_t d __asm__("x0") = ptr, n __asm__("x1") = mod;
    __asm__ volatile(".inst 0xdac10020" : "+r"(d) : "r"(n)); /* pacia x0, x1 */
    return d;
}

static uint64_t autia(uint64_t ptr, uint64_t mod)
{
    register uint64_t d __asm__("x0") = ptr, n __asm__("x1") = mod;
    __asm__ volatile(".inst 0xdac11020" : "+r"(d) : "r"(n)); /* autia x0, x1 */
    return d;
}

#define SCTLR_ENIA (1UL << 31)

static void set_keys(uint64_t k)
{
    uint64_t lo = k * 0x9e3779b97f4a7c15UL, hi = ~k * 0xc2b2ae3d27d4eb4fUL;
    __asm__ volatile("msr S3_0_C2_C1_0, %0; msr S3_0_C2_C1_1, %1" : : "r"(lo), "r"(hi));
    __asm__ volatile("msr S3_0_C2_C1_2, %0; msr S3_0_C2_C1_3, %1" : : "r"(lo + 1), "r"(hi + 1));
    __asm__ volatile("msr S3_0_C2_C2_0, %0; msr S3_0_C2_C2_1, %1" : : "r"(lo + 2), "r"(hi + 2));
    __asm__ volatile("msr S3_0_C2_C2_2, %0; msr S3_0_C2_C2_3, %1" : : "r"(lo + 3), "r"(hi + 3));
    __asm__ volatile("msr S3_0_C2_C3_0, %0; msr S3_0_C2_C3_1, %1; isb" : : "r"(lo + 4), "r"(hi + 4));
}

static bool keys_read_back(uint64_t k)
{
    uint64_t lo = k * 0x9e3779b97f4a7c15UL, hi = ~k * 0xc2b2ae3d27d4eb4fUL, a, b, g, h;
    __asm__ volatile("mrs %0, S3_0_C2_C1_0; mrs %1, S3_0_C2_C1_1" : "=r"(a), "=r"(b));
    __asm__ volatile("mrs %0, S3_0_C2_C3_0; mrs %1, S3_0_C2_C3_1" : "=r"(g), "=r"(h));
    return a == lo && b == hi && g == lo + 4 && h == hi + 4;
}

static int test_pauth(void)
{
    uint64_t isar1;
    unsigned key = arg_num("key", 1), ms = arg_num("ms", 300);
    const uint64_t data = 0x0123456789abcdefUL, mod = 0xfeedface;
    const uint64_t ptr = (uint64_t)(uintptr_t)&failures;
    uint64_t sctlr;

    __asm__ volatile("mrs %0, id_aa64isar1_el1" : "=r"(isar1));
    if (!fld(isar1, 24) && !fld(isar1, 28)) {
        printf("cpu: pauth: generic authentication not advertised (ID_AA64ISAR1 0x%lx)\n",
               (unsigned long)isar1);
        failures++;
        return verdict("pauth");
    }
    set_keys(0);
    uint64_t sig0 = pacga(data, mod);
    set_keys(key);
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
    __asm__ volatile("msr sctlr_el1, %0; isb" : : "r"(sctlr | SCTLR_ENIA));
    uint64_t sig = pacga(data, mod), signed_ptr = pacia(ptr, mod);
    printf("cpu: pauth: key %u: PACGA signature 0x%08lx (key 0: 0x%08lx), signed pointer 0x%016lx\n",
           key, (unsigned long)(sig >> 32), (unsigned long)(sig0 >> 32), (unsigned long)signed_ptr);
    check("the key changes the PACGA signature", sig != sig0);
    check("PACIA adds a signature, AUTIA takes it off", signed_ptr != ptr &&
                                                       autia(signed_ptr, mod) == ptr);
    unsigned rounds = 0, bad = 0;
    uint64_t end = counter() + counter_freq() / 1000 * ms;
    while (counter() < end) {
        rounds++;
        if (pacga(data, mod) != sig || pacia(ptr, mod) != signed_ptr ||
            autia(signed_ptr, mod) != ptr || !keys_read_back(key))
            bad++;
    }
    __asm__ volatile("msr sctlr_el1, %0; isb" : : "r"(sctlr));
    printf("cpu: pauth: %u rounds in %u ms of guest time, %u with a wrong signature or key\n",
           rounds, ms, bad);
    check("every signature and key stayed this domain's", bad == 0 && rounds > 0);
    return verdict("pauth");
}

/* --- timers ---------------------------------------------------------------------- */

#define CTL_ENABLE 1UL
#define CTL_IMASK 2UL
#define CTL_ISTATUS 4UL
#define INTID_PTIMER 30

static volatile unsigned timer_irqs;
static volatile uint64_t irq_ctl, irq_at;

static uint64_t cntp_ctl(void) { uint64_t v; __asm__ volatile("mrs %0, cntp_ctl_el0" : "=r"(v)); return v; }
static void cntp_ctl_set(uint64_t v) { __asm__ volatile("msr cntp_ctl_el0, %0; isb" : : "r"(v)); }
static uint64_t cntp_cval(void) { uint64_t v; __asm__ volatile("mrs %0, cntp_cval_el0" : "=r"(v)); return v; }
static void cntp_cval_set(uint64_t v) { __asm__ volatile("msr cntp_cval_el0, %0; isb" : : "r"(v)); }
static int32_t cntp_tval(void) { uint64_t v; __asm__ volatile("mrs %0, cntp_tval_el0" : "=r"(v)); return (int32_t)v; }
static void cntp_tval_set(uint64_t v) { __asm__ volatile("msr cntp_tval_el0, %0; isb" : : "r"(v)); }
static uint64_t cntpct(void) { uint64_t v; __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(v)); return v; }

static void on_ptimer(uint32_t intid)
{
    (void)intid;
    irq_at = cntpct();
    irq_ctl = cntp_ctl();
    cntp_ctl_set(0);             /* the condition goes: the line must drop */
    timer_irqs++;
}

/* Interrupts open for `ticks`: how many timer interrupts came in. */
static unsigned irqs_during(uint64_t ticks)
{
    unsigned before = timer_irqs;
    irq_enable_local();
    spin_ticks(ticks);
    irq_disable_local();
    return timer_irqs - before;
}

static int test_ptimer(void)
{
    uint64_t f = counter_freq(), ms = f / 1000;

    irq_disable_local();
    gic_enable_irq(0, INTID_PTIMER, on_ptimer);
    uint64_t p0 = cntpct(), p1 = cntpct();
    check("CNTPCT_EL0 readable and counting", p1 >= p0 && p0 != 0);
    check("CNTP_CTL_EL0 is 0 out of reset", cntp_ctl() == 0);

    cntp_cval_set(cntpct() - 1);
    cntp_ctl_set(CTL_ENABLE | CTL_IMASK);
    uint64_t ctl = cntp_ctl();
    printf("cpu: ptimer: enabled, masked, CVAL passed: CTL reads 0x%lx\n", (unsigned long)ctl);
    check("ENABLE|IMASK with CVAL passed: CTL = ENABLE|IMASK|ISTATUS", ctl == 7);
    check("masked: no interrupt in 2 ms", irqs_during(2 * ms) == 0);

    cntp_ctl_set(CTL_ENABLE);               /* unmasked: the line rises (we keep PSTATE.I) */
    cntp_cval_set(cntpct() + 10 * f);       /* ... and drops: CVAL 10 s ahead */
    int32_t tval = cntp_tval();
    printf("cpu: ptimer: CVAL moved 10 s ahead: TVAL %ld, CTL 0x%lx\n", (long)tval,
           (unsigned long)cntp_ctl());
    check("TVAL counts down to CVAL (about 10 s of ticks)", tval > (int32_t)(9 * f) &&
                                                           tval <= (int32_t)(10 * f));
    check("CVAL moved ahead: no interrupt in 2 ms", irqs_during(2 * ms) == 0);

    cntp_ctl_set(CTL_ENABLE | CTL_IMASK);
    cntp_tval_set(100);
    spin_ticks(ms);
    tval = cntp_tval();
    printf("cpu: ptimer: TVAL 100 ticks, 1 ms later reads %ld\n", (long)tval);
    check("TVAL is a signed 32-bit count: negative once CVAL passed", tval < 0);
    cntp_tval_set((uint64_t)-5 & 0xffffffffUL);
    check("TVAL = -5 puts CVAL in the past", cntp_cval() <= cntpct() && (cntp_ctl() & CTL_ISTATUS));
    cntp_ctl_set(0);
    check("disabled, masked or not: no interrupt in 2 ms", irqs_during(2 * ms) == 0);

    /* The interrupt, taken while we run: never before CVAL, and once only
     * (the handler disables the timer, so the level must drop). */
    uint64_t cval = cntpct() + 2 * ms;
    cntp_cval_set(cval);
    cntp_ctl_set(CTL_ENABLE);
    unsigned got = irqs_during(6 * ms);
    printf("cpu: ptimer: %u interrupt(s), CTL in the handler 0x%lx, %ld ticks after CVAL\n", got,
           (unsigned long)irq_ctl, (long)(irq_at - cval));
    check("one interrupt, with ISTATUS set, not before CVAL",
          got == 1 && irq_ctl == (CTL_ENABLE | CTL_ISTATUS) && irq_at >= cval);

    /* Asleep in WFI: the timer must wake us (granite watches it while we are
     * off the CPU). */
    unsigned before = timer_irqs;
    cntp_cval_set(cntpct() + 5 * ms);
    cntp_ctl_set(CTL_ENABLE);
    bool woke = guest_wait_count(&timer_irqs, before + 1, 1000000);
    check("the physical timer wakes a vCPU waiting in WFI", woke);
    cntp_ctl_set(0);
    return verdict("ptimer");
}

static uint64_t cntv_ctl(void) { uint64_t v; __asm__ volatile("mrs %0, cntv_ctl_el0" : "=r"(v)); return v; }
static void cntv_ctl_set(uint64_t v) { __asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(v)); }
static void cntv_cval_set(uint64_t v) { __asm__ volatile("msr cntv_cval_el0, %0; isb" : : "r"(v)); }

static void on_vtimer(uint32_t intid)
{
    (void)intid;
    irq_at = counter();
    irq_ctl = cntv_ctl();
    cntv_ctl_set(0);
    timer_irqs++;
}

/* Any exit to the hypervisor: it looks at the timer on each one. */
static void some_exit(void) { xen_hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0); }

static int test_vtimer(void)
{
    uint64_t ms = counter_freq() / 1000;

    irq_disable_local();
    gic_enable_irq(0, INTID_VTIMER, on_vtimer);

    /* The timer fires (we keep interrupts masked): CTL must read what we wrote. */
    cntv_cval_set(counter() - 1);
    cntv_ctl_set(CTL_ENABLE);
    spin_ticks(2 * ms);
    some_exit();
    uint64_t ctl = cntv_ctl();
    printf("cpu: vtimer: fired while masked in PSTATE: CTL reads 0x%lx\n", (unsigned long)ctl);
    check("CNTV_CTL reads ENABLE|ISTATUS: nobody set IMASK", ctl == (CTL_ENABLE | CTL_ISTATUS));

    cntv_ctl_set(0);
    some_exit();
    check("disabled before we took it: no interrupt in 2 ms", irqs_during(2 * ms) == 0);

    cntv_ctl_set(CTL_ENABLE);
    spin_ticks(ms);
    some_exit();
    cntv_ctl_set(CTL_ENABLE | CTL_IMASK);
    some_exit();
    ctl = cntv_ctl();
    check("masked (CTL = ENABLE|IMASK|ISTATUS): no interrupt in 2 ms",
          ctl == 7 && irqs_during(2 * ms) == 0);

    cntv_ctl_set(CTL_ENABLE);
    spin_ticks(ms);
    some_exit();
    cntv_cval_set(counter() + 1000 * ms);
    some_exit();
    check("CVAL moved ahead: no interrupt in 2 ms", irqs_during(2 * ms) == 0);

    uint64_t cval = counter() + 2 * ms;
    cntv_cval_set(cval);
    cntv_ctl_set(CTL_ENABLE);
    unsigned got = irqs_during(6 * ms);
    printf("cpu: vtimer: %u interrupt(s), CTL in the handler 0x%lx, %ld ticks after CVAL\n", got,
           (unsigned long)irq_ctl, (long)(irq_at - cval));
    check("one interrupt, ISTATUS set, not before CVAL",
          got == 1 && irq_ctl == (CTL_ENABLE | CTL_ISTATUS) && irq_at >= cval);

    /* Ten in a row, each waited for in WFI (no timeout: the wait's timeout
     * would use this same timer): each one delivered. */
    unsigned before = timer_irqs;
    for (unsigned i = 0; i < 10; i++) {
        cntv_cval_set(counter() + ms);
        cntv_ctl_set(CTL_ENABLE);
        guest_wait_count(&timer_irqs, before + i + 1, GUEST_WAIT_FOREVER);
    }
    check("ten interrupts for ten deadlines", timer_irqs - before == 10);
    return verdict("vtimer");
}

/* --- test=sea -------------------------------------------------------------------- */

static volatile uint32_t *sea_addr;
static uint32_t sea_sink;
static void sea_read(void) { sea_sink = *sea_addr; }
static void sea_write(void) { *sea_addr = 0x5ea; }
static void sea_exec(void) { ((void (*)(void))(uintptr_t)sea_addr)(); }

static void check_abort(const char *what, uint64_t esr, unsigned ec, bool write)
{
    char line[96];
    printf("cpu: sea: %s: ESR_EL1 0x%lx FAR_EL1 0x%lx ELR_EL1 0x%lx SPSR_EL1 0x%lx vector %lu "
           "DAIF 0x%lx\n", what, (unsigned long)esr, (unsigned long)probe_rec.far,
           (unsigned long)probe_rec.elr, (unsigned long)probe_rec.spsr,
           (unsigned long)probe_rec.vector, (unsigned long)probe_rec.daif);
    snprintf(line, sizeof(line), "%s: EC 0x%02x, FSC 0x10 (SEA), IL, %s", what, ec,
             write ? "WnR" : "not WnR");
    check(line, esr != NO_EXCEPTION && ESR_EC(esr) == ec && (esr & 0x3f) == FSC_SEA &&
                (esr & ESR_IL) && !!(esr & ESR_WNR) == write && !(esr & ESR_ISV));
    check("  FAR = the address, taken at current EL/SP_ELx sync, all masked",
          probe_rec.far == (uint64_t)(uintptr_t)sea_addr &&
          probe_rec.vector == VEC_CURRENT_SPX_SYNC && (probe_rec.daif & 0x3c0) == 0x3c0 &&
          (probe_rec.spsr & 0xf) == 5 /* EL1h */);
}

static int test_sea(const struct guest_info *gi)
{
    sea_addr = (volatile uint32_t *)(uintptr_t)(gi->ram_base + gi->ram_size + 0x10000);
    printf("cpu: sea: touching IPA 0x%lx, where nothing is\n", (unsigned long)(uintptr_t)sea_addr);
    check_abort("read", probe(sea_read), EC_DABT_CUR, false);
    check_abort("read again", probe(sea_read), EC_DABT_CUR, false);
    check_abort("write", probe(sea_write), EC_DABT_CUR, true);
    check_abort("execute", probe(sea_exec), EC_IABT_CUR, false);
    check("the instruction abort's ELR is the address fetched",
          probe_rec.elr == (uint64_t)(uintptr_t)sea_addr);
    return verdict("sea");
}

/* --- test=smccc ------------------------------------------------------------------ */

#define SMCCC_UNKNOWN_FN 0x82000042U
#define SMCCC_UNKNOWN_ARCH_FN 0x8000abcdU

static int test_smccc(void)
{
    unsigned n = arg_num("count", 65536), wrong = 0;
    long wa1 = smccc_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1, 0, 0);
    long wa2 = smccc_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_2, 0, 0);
    long wa3 = smccc_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_3, 0, 0);

    check("SMCCC_VERSION = 1.1", smccc_hvc(SMCCC_VERSION, 0, 0, 0) == 0x10001);
    check("PSCI_FEATURES(SMCCC_VERSION) = SUCCESS",
          smccc_hvc(PSCI_1_0_FN_PSCI_FEATURES, SMCCC_VERSION, 0, 0) == 0);
    check("SMCCC_ARCH_FEATURES(SMCCC_ARCH_FEATURES) = SUCCESS",
          smccc_hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_FEATURES, 0, 0) == 0);
    check("SMCCC_ARCH_FEATURES(an unknown arch call) = NOT_SUPPORTED",
          smccc_hvc(SMCCC_ARCH_FEATURES, SMCCC_UNKNOWN_ARCH_FN, 0, 0) == -1);
    printf("cpu: smccc: ARCH_FEATURES(WORKAROUND_1) %ld, (WORKAROUND_2) %ld, (WORKAROUND_3) %ld\n",
           wa1, wa2, wa3);
    check("WORKAROUND_1/3 answers are 0, 1 or -1; WORKAROUND_2's 1, -2 or -1",
          wa1 >= -1 && wa1 <= 1 && wa3 >= -1 && wa3 <= 1 && (wa2 == 1 || wa2 == -2 || wa2 == -1));
    if (wa1 == 0)
        check("ARCH_WORKAROUND_1 call returns", smccc_hvc(SMCCC_ARCH_WORKAROUND_1, 0, 0, 0) == 0);
    uint64_t t0 = counter();
    for (unsigned i = 0; i < n; i++)
        wrong += smccc_hvc(SMCCC_UNKNOWN_FN, i, 0, 0) != -1;
    uint64_t t1 = counter();
    printf("cpu: smccc: %u unknown calls answered, %u wrong; %lu counter ticks each (%lu Hz)\n", n,
           wrong, (unsigned long)((t1 - t0) / (n ? n : 1)), (unsigned long)counter_freq());
    check("every unknown function id got NOT_SUPPORTED", wrong == 0);
    return verdict("smccc");
}

int test_cpu_fidelity(const char *test, const struct guest_info *gi)
{
    if (!strcmp(test, "idregs"))
        return test_idregs();
    if (!strcmp(test, "pauth"))
        return test_pauth();
    if (!strcmp(test, "ptimer"))
        return test_ptimer();
    if (!strcmp(test, "vtimer"))
        return test_vtimer();
    if (!strcmp(test, "sea"))
        return test_sea(gi);
    if (!strcmp(test, "smccc"))
        return test_smccc();
    return -1;
}
