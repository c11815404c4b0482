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
 *   linger=MS       (with hello) stay alive MS milliseconds, asleep in WFI,
 *                   before switching off: a witness that another domain's crash
 *                   did not disturb this one
 *   test=ticks      count=N hz=F: N virtual-timer interrupts at F Hz: none before
 *                   its compare value, exactly N, rate within 10%
 *   test=ipi        rounds=N: SGI ping-pong between vCPU 0 and vCPU 1
 *   test=uart       write through the emulated PL011 (as an earlycon would)
 *   test=idle       seconds=S: sleep in WFI for S seconds
 *   test=pci        (dom0) find QEMU's edu device on the passed-through PCIe
 *                   bus, make it raise INTx, take the interrupt
 *   test=pvback / pvfront   grants and event channels (pv.c)
 *   test=dmaback / dmafront  DMA through the SMMU with the edu device (dma.c)
 *   test=hostilebuf (dom0) hypercall buffers in reserved memory and in a BAR
 *                   (hostile_buffers.c)
 *   test=logflood   count=N: N unknown SMCCC calls and N bad vGIC reads, each
 *                   worth a log line granite must rate-limit (log_flood.c)
 *   test=spin       loop forever without a single trap
 *   wfi_window=N    (any test) widen every wait's race window (gic.c)
 *   test=storm      seed=S ops=N: a hostile seeded storm from every vCPU (storm.c)
 *   test=death      seed=S case=C: the domain dies at a random moment (death.c)
 *   test=xen-abi / xen-abi-hostile  the Xen guest interface in Linux's boot
 *                   order, and with bad arguments (xen_abi.c)
 *   test=idregs|pauth|ptimer|vtimer|sea|smccc   CPU fidelity (cpu_fidelity.c)
 *   test=balloon-hostile  the memory_op balloon, bad input and the round trip
 *                   through a grant map (balloon.c)
 *   test=eemi-forward  [caller=domu] ZynqMP EEMI calls forwarded to a platform
 *                   firmware, passed on or refused (eemi.c)
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <libfdt.h>
#include "guest.h"
#include "edu.h"
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
    /* The counter time (CNTVOFF is 0: since QEMU's reset) says how long the
     * boot took in guest time; under -icount that is an instruction budget. */
    printf("selftest: hello from a granite guest at EL%lu, counter time %lu ms\n",
           (unsigned long)(el >> 2), (unsigned long)(guest_time_us() / 1000));
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
    struct xen_feature_info fi = { .submap_idx = 0 };
    xen_hypercall(__HYPERVISOR_xen_version, XENVER_get_features, (uint64_t)&fi, 0, 0, 0);
    printf("selftest: XENVER_get_features(0) = 0x%x:%s%s%s%s%s\n", fi.submap,
           fi.submap & (1U << 2) ? " auto_translated_physmap" : "",
           fi.submap & (1U << 11) ? " dom0" : "", fi.submap & (1U << 14) ? " ARM_SMCCC_supported" : "",
           fi.submap & (1U << 16) ? " not_direct_mapped" : "",
           fi.submap & (1U << 17) ? " direct_mapped" : "");
    if (linger_ms > 0) {
        uint64_t start = guest_time_us();
        guest_sleep_us(0, (uint64_t)linger_ms * 1000);
        printf("selftest: still alive after %d ms (slept %lu ms in WFI)\n", linger_ms,
               (unsigned long)((guest_time_us() - start) / 1000));
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

static unsigned arg_uint(const char *key, unsigned dflt)
{
    char buf[16];
    return guest_arg(key, buf, sizeof(buf)) ? (unsigned)atoi(buf) : dflt;
}

/* --- timer ticks ----------------------------------------------------------
 *
 * What the architecture guarantees, checked in counter time: the virtual
 * timer's interrupt condition is CNTVCT_EL0 >= CNTV_CVAL_EL0, so no tick may
 * be taken before the compare value it was programmed for; exactly `count`
 * interrupts come (none after the timer is stopped); and the whole run cannot
 * take less than count periods.  The rate within 10% is also printed and
 * judged: that one depends on how fast the vCPU is run, so the scenarios that
 * look at it run QEMU with -icount (virtual time from instructions executed).
 */

static volatile unsigned ticks, tick_target, ticks_early, tick_worst_index;
static uint64_t tick_period, tick_next, tick_worst_late;

static uint64_t counter_now(void)
{
    uint64_t cnt;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
    return cnt;
}

static void cval_set(uint64_t v) { __asm__ volatile("msr cntv_cval_el0, %0; isb" : : "r"(v)); }

static void on_tick(uint32_t intid)
{
    uint64_t now = counter_now();

    (void)intid;
    if (now < tick_next)
        ticks_early++;
    else if (now - tick_next > tick_worst_late) {
        tick_worst_late = now - tick_next;
        tick_worst_index = ticks + 1;
    }
    ticks++;
    if (ticks < tick_target) {
        tick_next += tick_period; /* absolute deadlines: no drift from handler latency */
        cval_set(tick_next);
        __asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(1UL));
    } else {
        vtimer_stop();
    }
}

static int test_ticks(void)
{
    unsigned n = arg_uint("count", 100), hz = arg_uint("hz", 100);
    uint64_t frq, cnt0, cnt1, us, mhz;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    tick_period = frq / hz;
    tick_target = n;
    irq_disable_local();
    gic_enable_irq(0, INTID_VTIMER, on_tick);
    cnt0 = counter_now();
    tick_next = cnt0 + tick_period;
    cval_set(tick_next);
    __asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(1UL));
    guest_wait_count(&ticks, n, GUEST_WAIT_FOREVER);
    cnt1 = counter_now();
    /* Three more periods, interrupts open: a tick after the stop would count. */
    irq_enable_local();
    for (uint64_t end = cnt1 + 3 * tick_period; counter_now() < end;)
        ;
    irq_disable_local();
    us = (cnt1 - cnt0) * 1000000 / frq;
    mhz = (uint64_t)n * 1000000000ULL / (us ? us : 1); /* millihertz */
    bool rate_ok = mhz * 10 >= (uint64_t)hz * 9000 && mhz * 10 <= (uint64_t)hz * 11000;
    bool never_early = ticks_early == 0, exact = ticks == n;
    bool not_short = cnt1 - cnt0 >= (uint64_t)n * tick_period;
    printf("selftest: ticks: %u timer interrupts in %lu ms: %lu.%03lu Hz (target %u Hz, "
           "within 10%%: %s)\n", n, (unsigned long)(us / 1000), (unsigned long)(mhz / 1000),
           (unsigned long)(mhz % 1000), hz, rate_ok ? "yes" : "NO");
    printf("selftest: ticks: taken before their CVAL: %u (must be 0), worst lateness %lu us "
           "(tick %u)\n", ticks_early, (unsigned long)(tick_worst_late * 1000000 / frq),
           tick_worst_index);
    printf("selftest: ticks: %u interrupts for %u programmed (%s), run >= %u periods: %s\n",
           ticks, n, exact ? "exact" : "WRONG", n, not_short ? "yes" : "NO");
    bool ok = rate_ok && never_early && exact && not_short;
    printf("selftest: ticks: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

/* --- SGI ping-pong ---------------------------------------------------------- */

#define SGI_PING 1
#define SGI_PONG 2
#define SGI_OFF 3
static volatile unsigned pongs, pings_seen;
static volatile bool vcpu1_ready;

static void on_ping(uint32_t intid)
{
    (void)intid;
    pings_seen++;
    gic_send_sgi(0, SGI_PONG);
}

static void on_pong(uint32_t intid)
{
    (void)intid;
    pongs++;
}

static void on_off(uint32_t intid)
{
    (void)intid;
    gic_eoi_now(); /* EOI before leaving */
    smccc_hvc(PSCI_0_2_FN_CPU_OFF, 0, 0, 0);
}

static void vcpu1_main(unsigned n)
{
    gic_enable_irq(n, SGI_OFF, on_off);
    gic_enable_irq(n, SGI_PING, on_ping);
    vcpu1_ready = true;
    irq_enable_local();
    for (;;)
        wait_for_interrupt();
}

static int test_ipi(void)
{
    unsigned rounds = arg_uint("rounds", 1000);
    uint64_t t0, t1;
    long r;

    gic_enable_irq(0, SGI_PONG, on_pong);
    r = guest_start_vcpu(1, vcpu1_main);
    if (r) {
        printf("selftest: ipi: PSCI CPU_ON of vCPU 1 failed: %ld\n", r);
        return 1;
    }
    while (!vcpu1_ready)
        ;
    printf("selftest: ipi: vCPU 1 is up (PSCI CPU_ON), AFFINITY_INFO says %ld\n",
           smccc_hvc(PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0));
    t0 = guest_time_us();
    for (unsigned i = 0; i < rounds; i++) {
        unsigned want = pongs + 1;
        gic_send_sgi(1, SGI_PING);
        guest_wait_count(&pongs, want, GUEST_WAIT_FOREVER);
    }
    t1 = guest_time_us();
    printf("selftest: ipi: %u SGI round trips in %lu ms (%lu us each), vCPU 1 saw %u pings\n",
           rounds, (unsigned long)((t1 - t0) / 1000), (unsigned long)((t1 - t0) / rounds),
           pings_seen);
    /* vCPU 1 switches itself off (PSCI CPU_OFF) when pinged with SGI 3. */
    gic_send_sgi(1, SGI_OFF);
    long aff = 0;
    for (uint64_t end = guest_time_us() + 1000000; guest_time_us() < end;) {
        aff = smccc_hvc(PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0);
        if (aff == 1)
            break;
    }
    printf("selftest: ipi: after CPU_OFF, AFFINITY_INFO(vCPU 1) says %ld (1 = OFF)\n", aff);
    bool ok = pongs == rounds && pings_seen == rounds && aff == 1;
    printf("selftest: ipi: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

/* --- the emulated UART ----------------------------------------------------- */

static int test_uart(const struct guest_info *gi)
{
    static const char line[] = "uart: hello through the emulated PL011\n";
    int node = fdt_node_offset_by_compatible(gi->fdt, -1, "arm,pl011"), len;
    const fdt64_t *reg = node >= 0 ? fdt_getprop(gi->fdt, node, "reg", &len) : NULL;
    volatile uint32_t *uart;

    if (!reg) {
        printf("selftest: uart: no arm,pl011 in my DTB: FAIL\n");
        return 1;
    }
    uart = (volatile uint32_t *)fdt64_to_cpu(reg[0]);
    printf("selftest: uart: PL011 at 0x%lx, PeriphID0 0x%x, CellID0 0x%x\n",
           (unsigned long)uart, mmio_read32(&uart[0xfe0 / 4]), mmio_read32(&uart[0xff0 / 4]));
    for (const char *p = line; *p; p++) {
        while (mmio_read32(&uart[0x18 / 4]) & (1U << 5)) /* UARTFR.TXFF */
            ;
        mmio_write32(&uart[0], (uint32_t)*p);
    }
    printf("selftest: uart: PASS\n");
    return 0;
}

static int test_idle(void)
{
    unsigned s = arg_uint("seconds", 10);
    uint64_t t0 = guest_time_us();

    guest_sleep_us(0, (uint64_t)s * 1000000);
    printf("selftest: idle: slept %lu ms in WFI\n", (unsigned long)((guest_time_us() - t0) / 1000));
    return 0;
}

/* --- PCI INTx (dom0, with QEMU's edu device) -------------------------------- */

static int test_pci(const struct guest_info *gi)
{
    static struct edu e;

    if (edu_find(gi->fdt, &e)) {
        printf("selftest: pci: FAIL\n");
        return 1;
    }
    printf("selftest: pci: edu at 00:%02x.0, INTx pin %u, id 0x%x\n", e.dev,
           mmio_read8(e.cfg + 0x3d /* Interrupt Pin */), mmio_read32(&e.regs[0]));
    if (edu_raise_and_wait(&e)) {
        printf("selftest: pci: no interrupt within 2 s: FAIL\n");
        return 1;
    }
    printf("selftest: pci: INTx arrived as INTID %u (SPI %u)\n", e.intid, e.intid - 32);
    printf("selftest: pci: PASS\n");
    return 0;
}

/* --- console input through the emulated PL011 ------------------------------ */

#define UART_DR 0x000
#define UART_FR 0x018
#define UART_FR_RXFE (1U << 4)
#define UART_IMSC 0x038
#define UART_ICR 0x044
#define UART_INT_RX (1U << 4)
#define UART_INT_RT (1U << 6)

static volatile uint8_t *echo_uart;
static char echo_line[64];
static volatile unsigned echo_len, echo_lines;

static void on_uart_rx(uint32_t intid)
{
    (void)intid;
    mmio_write32(echo_uart + UART_ICR, UART_INT_RX | UART_INT_RT); /* clear, then drain */
    while (!(mmio_read32(echo_uart + UART_FR) & UART_FR_RXFE)) {
        char c = (char)mmio_read32(echo_uart + UART_DR);
        if (c == '\r' || c == '\n') {
            echo_line[echo_len] = 0;
            printf("selftest: echo: got '%s'\n", echo_line);
            echo_len = 0;
            echo_lines++;
        } else if (echo_len + 1 < sizeof(echo_line)) {
            echo_line[echo_len++] = c;
        }
    }
}

static int test_echo(const struct guest_info *gi)
{
    int node = fdt_node_offset_by_compatible(gi->fdt, -1, "arm,pl011"), len;
    const fdt64_t *reg = node >= 0 ? fdt_getprop(gi->fdt, node, "reg", &len) : NULL;
    const fdt32_t *irq = node >= 0 ? fdt_getprop(gi->fdt, node, "interrupts", &len) : NULL;
    unsigned want = arg_uint("count", 1);

    if (!reg || !irq || len < 12) {
        printf("selftest: echo: no PL011 with an interrupt in my DTB: FAIL\n");
        return 1;
    }
    echo_uart = (volatile uint8_t *)fdt64_to_cpu(reg[0]);
    gic_enable_irq(0, fdt32_to_cpu(irq[1]) + 32, on_uart_rx);
    mmio_write32(echo_uart + UART_IMSC, UART_INT_RX | UART_INT_RT);
    printf("selftest: echo: ready, reading lines from the PL011 (interrupt %u)\n",
           fdt32_to_cpu(irq[1]) + 32);
    guest_wait_count(&echo_lines, want, GUEST_WAIT_FOREVER);
    printf("selftest: echo: PASS\n");
    return 0;
}

/* --- many interrupts at once: more than the list registers hold --------------- */

static volatile unsigned sgis_seen[16];

static void on_flood_sgi(uint32_t intid) { sgis_seen[intid]++; }

static unsigned sgis_taken_once(void)
{
    unsigned got = 0;
    for (unsigned i = 0; i < 16; i++)
        got += sgis_seen[i] == 1;
    return got;
}

static bool all_sgis_taken(const void *arg)
{
    (void)arg;
    return sgis_taken_once() == 16;
}

static int test_lrflood(void)
{
    for (uint32_t i = 0; i < 16; i++)
        gic_enable_irq(0, i, on_flood_sgi);
    irq_disable_local();
    for (uint32_t i = 0; i < 16; i++)
        gic_send_sgi(0, i); /* to myself: all 16 pending while I keep interrupts masked */
    guest_wait_until(all_sgis_taken, NULL, 2000000);
    unsigned got = sgis_taken_once();
    printf("selftest: lrflood: 16 SGIs pending at once, %u taken exactly once\n", got);
    printf("selftest: lrflood: %s\n", got == 16 ? "PASS" : "FAIL");
    return got == 16 ? 0 : 1;
}

/* --- junk written to emulated devices ------------------------------------------ */

static int test_garbage(const struct guest_info *gi)
{
    int node = -1, len;
    const fdt64_t *reg = gic_find(gi->fdt, &node) > 0 ? fdt_getprop(gi->fdt, node, "reg", &len)
                                                      : NULL;
    volatile uint8_t *gicd = reg ? (volatile uint8_t *)fdt64_to_cpu(reg[0]) : NULL;
    int unode = fdt_node_offset_by_compatible(gi->fdt, -1, "arm,pl011");
    const fdt64_t *ureg = unode >= 0 ? fdt_getprop(gi->fdt, unode, "reg", &len) : NULL;
    volatile uint8_t *uart = ureg ? (volatile uint8_t *)fdt64_to_cpu(ureg[0]) : NULL;

    if (!gicd || !uart) {
        printf("selftest: garbage: no GIC or UART in my DTB: FAIL\n");
        return 1;
    }
    /* Offsets inside the distributor of either GIC version (GICv2's is 4 KiB). */
    mmio_write32(gicd + 0x0040, 0xdeadbeef);  /* no register there */
    mmio_write8(gicd + 0x0000, 0xff);         /* GICD_CTLR by byte: not allowed */
    (void)mmio_read32(gicd + 0x0ff0);         /* unknown, read */
    mmio_write32(uart + 0x0f00, 0x12345678);  /* no PL011 register there */
    mmio_write64(uart + 0x0030, ~0UL);       /* UARTCR by doubleword: the PL011 has no 64-bit port */
    printf("selftest: garbage: still running after junk to the vGIC and the vPL011\n");
    printf("selftest: garbage: PASS\n");
    return 0;
}

/* --- what my device tree shows (dom0: seed 001) ------------------------------
 *
 * iommus=N (default 0): the IOMMU nodes (#iommu-cells) dom0 must see, N > 0
 * when granite hands it one it does not drive (dom0_iommu_passthrough); the
 * iommus/iommu-map references must then name a node of this tree. */

/* Does the IOMMU phandle of an iommus (cell 0) / iommu-map (cell 1) name no node? */
static bool dangles(const void *fdt, int node, const char *prop, int cell)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, prop, &len);
    return v && (len < (cell + 1) * 4 ||
                 fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(v[cell])) < 0);
}

static int test_dtcheck(const struct guest_info *gi)
{
    static const char *const iommu_props[] = { "iommus", "iommu-map", "iommu-map-mask" };
    int smmus = 0, props = 0, iommus = 0, dangling = 0, node;
    unsigned want_iommus = arg_uint("iommus", 0);
    bool want_pcie = arg_uint("pcie", 1) != 0; /* pcie=0: the board has no ECAM bridge (ZCU102) */
    bool pcie = fdt_node_offset_by_compatible(gi->fdt, -1, "pci-host-ecam-generic") >= 0;

    for (node = fdt_node_offset_by_compatible(gi->fdt, -1, "arm,smmu-v3"); node >= 0;
         node = fdt_node_offset_by_compatible(gi->fdt, node, "arm,smmu-v3"))
        smmus++;
    for (node = fdt_next_node(gi->fdt, -1, NULL); node >= 0;
         node = fdt_next_node(gi->fdt, node, NULL)) {
        for (unsigned i = 0; i < 3; i++)
            props += fdt_getprop(gi->fdt, node, iommu_props[i], NULL) != NULL;
        iommus += fdt_getprop(gi->fdt, node, "#iommu-cells", NULL) != NULL;
        dangling += dangles(gi->fdt, node, "iommus", 0) + dangles(gi->fdt, node, "iommu-map", 1);
    }
    printf("selftest: dtcheck: nodes compatible with arm,smmu-v3: %d\n", smmus);
    printf("selftest: dtcheck: properties iommus/iommu-map/iommu-map-mask: %d\n", props);
    printf("selftest: dtcheck: PCIe host bridge present: %s\n", pcie ? "yes" : "no");
    printf("selftest: dtcheck: IOMMU nodes (#iommu-cells): %d, references naming no node: %d\n",
           iommus, dangling);
    bool ok = !smmus && (want_iommus ? props > 0 : !props) && pcie == want_pcie &&
              (unsigned)iommus == want_iommus && !dangling;
    printf("selftest: dtcheck: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

int test_pvfront(const struct guest_info *gi);
int test_pvback(const struct guest_info *gi);
int test_dmaback(const struct guest_info *gi);  /* dma.c */
int test_dmafront(const struct guest_info *gi);
int test_hostilebuf(const struct guest_info *gi); /* hostile_buffers.c */
int test_logflood(const struct guest_info *gi);   /* log_flood.c */
int test_console_race(void);
int test_storm(const struct guest_info *gi);   /* storm.c */
int test_death(const struct guest_info *gi);   /* death.c */
int test_xen_abi(const struct guest_info *gi);         /* xen_abi.c */
int test_xen_abi_hostile(const struct guest_info *gi); /* xen_abi.c */
int test_cpu_fidelity(const char *test, const struct guest_info *gi); /* cpu_fidelity.c */
int test_balloon_hostile(const struct guest_info *gi);                /* balloon.c */
int test_eemi_forward(const struct guest_info *gi);                   /* eemi.c */

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
    if (!strcmp(test, "ticks"))
        return test_ticks();
    if (!strcmp(test, "ipi"))
        return test_ipi();
    if (!strcmp(test, "uart"))
        return test_uart(gi);
    if (!strcmp(test, "idle"))
        return test_idle();
    if (!strcmp(test, "pci"))
        return test_pci(gi);
    if (!strcmp(test, "dtcheck"))
        return test_dtcheck(gi);
    if (!strcmp(test, "pvfront"))
        return test_pvfront(gi);
    if (!strcmp(test, "pvback"))
        return test_pvback(gi);
    if (!strcmp(test, "dmaback"))
        return test_dmaback(gi);
    if (!strcmp(test, "dmafront"))
        return test_dmafront(gi);
    if (!strcmp(test, "logflood"))
        return test_logflood(gi);
    if (!strcmp(test, "hostilebuf"))
        return test_hostilebuf(gi);
    if (!strcmp(test, "echo"))
        return test_echo(gi);
    if (!strcmp(test, "lrflood"))
        return test_lrflood();
    if (!strcmp(test, "garbage"))
        return test_garbage(gi);
    if (!strcmp(test, "console-race"))
        return test_console_race(); /* console_race.c */
    if (!strcmp(test, "storm"))
        return test_storm(gi);
    if (!strcmp(test, "death"))
        return test_death(gi);
    if (!strcmp(test, "initrd")) { int test_initrd(const struct guest_info *); return test_initrd(gi); }
    if (!strcmp(test, "xen-abi"))
        return test_xen_abi(gi);
    if (!strcmp(test, "xen-abi-hostile"))
        return test_xen_abi_hostile(gi);
    if (!strcmp(test, "balloon-hostile"))
        return test_balloon_hostile(gi);
    if (!strcmp(test, "eemi-forward"))
        return test_eemi_forward(gi);
    int r = test_cpu_fidelity(test, gi);
    if (r >= 0)
        return r;
    if (!strcmp(test, "spin"))
        for (volatile unsigned long i = 0;; i++)
            ;
    printf("selftest: unknown test '%s'\n", test);
    return 1;
}
