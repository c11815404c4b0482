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

#endif
