/*
 * main.c — the selftest guest: one small program, several behaviours chosen
 * by its command line (test=...), each exercising one thing granite must do.
 *
 *   test=hello      print who and where we are, the hypervisor's version, the
 *                   round-trip time of a hypercall; end with PSCI SYSTEM_OFF
 *   test=s2abort    touch an IPA just past the end of our RAM: granite must log
 *                   a stage-2 abort and destroy us (we never print PASS)
 *   test=badhvc     send granite hypercalls and SMCs it must refuse, and check
 *                   each answer
 *   linger=MS       (with hello) stay alive MS milliseconds, printing a
 *                   heartbeat, before switching off: a witness that another
 *                   domain's crash did not disturb this one
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "guest.h"
#include <public/xen.h>
#include <public/version.h>
#include <granite/psci.h>

#define ENOSYS 38
#define EFAULT 14
#define EINVAL 22

static int test_hello(const struct guest_info *gi)
{
    uint64_t el, t0, t1;
    long ver;
    char extra[16] = "";
    char buf[16];
    int linger_ms = guest_arg("linger", buf, sizeof(buf)) ? atoi(buf) : 0;

    __asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
    printf("selftest: hello from a granite guest at EL%lu\n", (unsigned long)(el >> 2));
    printf("selftest: RAM 0x%lx-0x%lx (IPA), command line \"%s\"\n",
           (unsigned long)gi->ram_base, (unsigned long)(gi->ram_base + gi->ram_size),
           gi->bootargs);
    t0 = guest_time_us();
    ver = xen_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    t1 = guest_time_us();
    xen_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, (uint64_t)extra, 0, 0, 0);
    extra[sizeof(extra) - 1] = 0;
    printf("selftest: hypervisor ABI %ld.%ld%s, xen_version round trip %lu us\n", ver >> 16,
           ver & 0xffff, extra, (unsigned long)(t1 - t0));
    if (linger_ms > 0) {
        uint64_t end = guest_time_us() + (uint64_t)linger_ms * 1000;
        int beats = 0;
        while (guest_time_us() < end) {
            guest_delay_us(100000);
            beats++;
        }
        printf("selftest: still alive after %d ms (%d heartbeats)\n", linger_ms, beats);
    }
    printf("selftest: hello: PASS\n");
    return 0;
}

static int test_s2abort(const struct guest_info *gi)
{
    volatile uint32_t *past_end = (volatile uint32_t *)(gi->ram_base + gi->ram_size + 0x1000);

    printf("selftest: writing IPA 0x%lx, past the end of my RAM\n", (unsigned long)past_end);
    *past_end = 0xbad;
    printf("selftest: s2abort: FAIL: the write went through\n");
    return 1;
}

struct check {
    const char *what;
    long got, want;
};

static int report(const struct check *c, int n)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        bool ok = c[i].got == c[i].want;
        printf("selftest: %-48s -> %ld (want %ld) %s\n", c[i].what, c[i].got, c[i].want,
               ok ? "ok" : "WRONG");
        failed += !ok;
    }
    return failed;
}

static int test_badhvc(const struct guest_info *gi)
{
    static const char msg[] = "selftest: this line came through console_io\n";
    uint64_t unmapped = gi->ram_base + gi->ram_size + 0x100000;
    struct check c[] = {
        { "unknown hypercall 9999", xen_hypercall(9999, 0, 0, 0, 0, 0), -ENOSYS },
        { "hypercall number 2^63", xen_hypercall(1UL << 63, 0, 0, 0, 0, 0), -ENOSYS },
        { "console_io unknown command 77",
          xen_hypercall(__HYPERVISOR_console_io, 77, 1, (uint64_t)msg, 0, 0), -ENOSYS },
        { "console_io write from an unmapped buffer",
          xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 16, unmapped, 0, 0), -EFAULT },
        { "console_io write from a NULL buffer",
          xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 16, 0, 0, 0), -EFAULT },
        { "console_io write of 1 GiB",
          xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 1UL << 30, (uint64_t)msg, 0, 0),
          -EINVAL },
        { "console_io valid write",
          xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(msg) - 1, (uint64_t)msg,
                        0, 0), 0 },
        { "xen_version unknown command 12345",
          xen_hypercall(__HYPERVISOR_xen_version, 12345, 0, 0, 0, 0), -ENOSYS },
        { "xen_version extraversion to an unmapped buffer",
          xen_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, unmapped, 0, 0, 0),
          -EFAULT },
        { "HVC #0x1234 (not Xen, not SMCCC)", hvc_with_imm_1234(17), -ENOSYS },
        { "SMCCC via HVC: unknown function 0x82000042", smccc_hvc(0x82000042, 0, 0, 0), -1 },
        { "SMCCC via SMC: unknown function 0xc2000042", smccc_smc(0xc2000042, 0, 0, 0), -1 },
        { "PSCI_VERSION via SMC", smccc_smc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0),
          PSCI_VERSION_1_1 },
        { "PSCI_FEATURES(0x12345678)",
          smccc_hvc(PSCI_1_0_FN_PSCI_FEATURES, 0x12345678, 0, 0), PSCI_RET_NOT_SUPPORTED },
        { "PSCI CPU_ON of a vCPU that does not exist",
          smccc_hvc(PSCI_0_2_FN64_CPU_ON, 7, 0x40000000, 0), PSCI_RET_INVALID_PARAMS },
    };
    int failed = report(c, sizeof(c) / sizeof(c[0]));

    printf("selftest: badhvc: %s (%d of %d answers wrong)\n", failed ? "FAIL" : "PASS", failed,
           (int)(sizeof(c) / sizeof(c[0])));
    return failed ? 1 : 0;
}

int guest_main(const struct guest_info *gi)
{
    char test[32];

    if (!guest_arg("test", test, sizeof(test)))
        strcpy(test, "hello");
    if (!strcmp(test, "hello"))
        return test_hello(gi);
    if (!strcmp(test, "s2abort"))
        return test_s2abort(gi);
    if (!strcmp(test, "badhvc"))
        return test_badhvc(gi);
    printf("selftest: unknown test '%s'\n", test);
    return 1;
}
