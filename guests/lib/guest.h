/*
 * guest.h — the guest runtime: what guests/lib gives a toy guest.
 */
#ifndef GUEST_LIB_GUEST_H
#define GUEST_LIB_GUEST_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

long xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                   uint64_t a4);
long smccc_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
long smccc_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
long hvc_with_imm_1234(uint64_t nr);

#ifdef HOST_TEST
/* Host unit tests (tests/unit/test_e1000.c): the "device" is memory the test
 * owns, so a register is a plain volatile access and a barrier a fence. */
static inline uint32_t mmio_read32(const volatile void *a) { return *(const volatile uint32_t *)a; }
static inline void mmio_write32(volatile void *a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void mmio_write64(volatile void *a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline uint16_t mmio_read16(const volatile void *a) { return *(const volatile uint16_t *)a; }
static inline void mmio_write16(volatile void *a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline uint8_t mmio_read8(const volatile void *a) { return *(const volatile uint8_t *)a; }
static inline void mmio_write8(volatile void *a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void dma_wmb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void dma_rmb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
#else
/*
 * Device register access.  Each is one plain load or store with no address
 * writeback, so that a hypervisor emulating the device gets the full syndrome
 * (ESR_EL2.ISV = 1) — the same reason Linux's readl/writel are inline asm.
 */
static inline uint32_t mmio_read32(const volatile void *a)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_write32(volatile void *a, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}
static inline void mmio_write64(volatile void *a, uint64_t v)
{
    __asm__ volatile("str %x0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}
static inline uint16_t mmio_read16(const volatile void *a)
{
    uint16_t v;
    __asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_write16(volatile void *a, uint16_t v)
{
    __asm__ volatile("strh %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}
static inline uint8_t mmio_read8(const volatile void *a)
{
    uint8_t v;
    __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_write8(volatile void *a, uint8_t v)
{
    __asm__ volatile("strb %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

/* Ordering against a device's DMA on a coherent bus (Linux calls these
 * dma_wmb and dma_rmb): descriptors complete in memory before the doorbell
 * is written; a descriptor's done bit read before anything the device wrote
 * with it. */
static inline void dma_wmb(void) { __asm__ volatile("dmb oshst" ::: "memory"); }
static inline void dma_rmb(void) { __asm__ volatile("dmb oshld" ::: "memory"); }

#endif

struct guest_info {
    const void *fdt;
    uint64_t ram_base, ram_size;
    const char *bootargs;
};

/* Provided by the guest program. */
int guest_main(const struct guest_info *gi);

/* Value of "key=value" in the command line, copied into buf; NULL if absent. */
const char *guest_arg(const char *key, char *buf, size_t len);
/* The generic counter, in microseconds since boot. */
uint64_t guest_time_us(void);
void guest_delay_us(uint64_t us);
/* Switch the domain off: ok = a clean end, else tell the hypervisor we crashed. */
void guest_exit(bool ok) __attribute__((noreturn));

/* gic.c */
#define GUEST_MAX_INTID 96
#define INTID_VTIMER 27
typedef void (*gic_handler_t)(uint32_t intid);
int gic_setup(const void *fdt);
/* The DT's GIC node (*node) and its version, 3 or 2; -1 if there is none. */
int gic_find(const void *fdt, int *node);
void gic_cpu_setup(unsigned vcpu);
void gic_enable_irq(unsigned vcpu, uint32_t intid, gic_handler_t h);
void gic_send_sgi(unsigned target_vcpu, uint32_t sgi);
/* From a handler: end its interrupt now (before a PSCI CPU_OFF, say), not on return. */
void gic_eoi_now(void);
void irq_enable_local(void);
void irq_disable_local(void);
bool irq_masked_local(void); /* PSTATE.I: IRQs masked at this moment */
void wait_for_interrupt(void);
void vtimer_arm_us(uint64_t us);
void vtimer_stop(void);
/*
 * Waiting for what an interrupt handler does, without losing the wake-up
 * (why: gic.c).  All of these mask IRQs on entry and return with them
 * masked; the handlers run only inside.  A timeout (microseconds of counter
 * time; GUEST_WAIT_FOREVER: none) borrows the calling vCPU's virtual timer.
 * wfi_window=N on the command line widens the race window (stress tests).
 */
#define GUEST_WAIT_FOREVER UINT64_MAX
typedef bool (*guest_wait_cond_t)(const void *arg);
extern unsigned long guest_wfi_window;
void guest_wait_setup(void); /* reads wfi_window=N, once, at boot */
/* One masked sleep: the caller has tested its condition with IRQs masked. */
void guest_wfi_masked(void);
/* Until done(arg); false if the timeout came first. */
bool guest_wait_until(guest_wait_cond_t done, const void *arg, uint64_t timeout_us);
/* Until *count >= target. */
bool guest_wait_count(const volatile unsigned *count, unsigned target, uint64_t timeout_us);
/* Until *flag. */
bool guest_wait_flag(const volatile bool *flag, uint64_t timeout_us);
/* Sleep `us` in WFI on vCPU `vcpu` (the caller's). */
void guest_sleep_us(unsigned vcpu, uint64_t us);
/* Masked already, condition tested: WFI until an interrupt or the timeout,
 * run the handlers of what arrived, return masked again. */
void guest_wait_any(uint64_t timeout_us);
extern unsigned long guest_spurious_irqs;

/* smp: start vCPU n at fn(n) (PSCI CPU_ON); 0 or the PSCI error. */
long guest_start_vcpu(unsigned n, void (*fn)(unsigned));
const struct guest_info *guest_info(void);

#endif
