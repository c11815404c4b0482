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
void gic_cpu_setup(unsigned vcpu);
void gic_enable_irq(unsigned vcpu, uint32_t intid, gic_handler_t h);
void gic_send_sgi(unsigned target_vcpu, uint32_t sgi);
void irq_enable_local(void);
void irq_disable_local(void);
void wait_for_interrupt(void);
void vtimer_arm_us(uint64_t us);
void vtimer_stop(void);
void guest_sleep_us(unsigned vcpu, uint64_t us);
/* With interrupts masked: WFI until an interrupt or the timeout, run the
 * handlers of what arrived, return masked again (vCPU 0). */
void guest_wait_any(uint64_t timeout_us);
extern unsigned long guest_spurious_irqs;

/* smp: start vCPU n at fn(n) (PSCI CPU_ON); 0 or the PSCI error. */
long guest_start_vcpu(unsigned n, void (*fn)(unsigned));
const struct guest_info *guest_info(void);

#endif
