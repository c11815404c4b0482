/*
 * console_race.c — selftest test=console-race: both vCPUs of the domain loop
 * CONSOLEIO_write without a newline at the same time (issue 10, finding 1).
 *
 * Before granite locked a domain's console line, the two writers raced on its
 * length, pushed it past the 128-byte buffer, and every later write went past
 * struct domain into the next domain and granite's .bss.  Here each vCPU
 * writes `rounds` chunks of `len` bytes (its own letter, no '\n'); each call
 * must answer 0.  The verdict is printed by vCPU 0 once vCPU 1 is done; what
 * shows corruption is outside this guest (the next domain's output, granite's
 * end-of-run accounting), checked by the scenario.
 *
 * Arguments: rounds=N (default 3000), len=N (default 24, at most 64).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "xen.h"

#define MAX_LEN 64

static volatile bool vcpu1_done;
static volatile unsigned vcpu1_failures;
static unsigned rounds, len;

static unsigned arg_or(const char *key, unsigned dflt)
{
    char buf[16];
    return guest_arg(key, buf, sizeof(buf)) ? (unsigned)strtoul(buf, NULL, 0) : dflt;
}

/* `rounds` console writes of `len` copies of `letter`; how many failed. */
static unsigned write_without_newline(char letter)
{
    char chunk[MAX_LEN];
    unsigned failures = 0;

    memset(chunk, letter, sizeof(chunk));
    for (unsigned i = 0; i < rounds; i++)
        failures += xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, len,
                                  (uint64_t)chunk, 0, 0) != 0;
    return failures;
}

static void vcpu1_main(unsigned n)
{
    (void)n;
    vcpu1_failures = write_without_newline('B');
    __atomic_store_n(&vcpu1_done, true, __ATOMIC_RELEASE);
    for (;;)
        wait_for_interrupt();
}

int test_console_race(void)
{
    unsigned failures;
    long r;

    rounds = arg_or("rounds", 3000);
    len = arg_or("len", 24);
    if (len == 0 || len > MAX_LEN) {
        printf("selftest: console-race: len=%u out of 1..%d: FAIL\n", len, MAX_LEN);
        return 1;
    }
    r = guest_start_vcpu(1, vcpu1_main);
    if (r) {
        printf("selftest: console-race: PSCI CPU_ON of vCPU 1 failed: %ld: FAIL\n", r);
        return 1;
    }
    failures = write_without_newline('A');
    while (!__atomic_load_n(&vcpu1_done, __ATOMIC_ACQUIRE))
        ;
    printf("\nselftest: console-race: %u + %u writes of %u bytes, %u + %u refused\n", rounds,
           rounds, len, failures, vcpu1_failures);
    printf("selftest: console-race: %s\n", failures || vcpu1_failures ? "FAIL" : "PASS");
    return failures || vcpu1_failures;
}
