/*
 * main.c — granite's boot sequence, after boot.S has relocated the image.
 *
 * Boot CPU:
 *   1. turn on the EL2 MMU (the DTB cannot be parsed safely with it off);
 *   2. map and check the DTB; find the console (or fall back to the build's
 *      early UART, saying so);
 *   3. read RAM, CPUs, PSCI and options from the DTB; start the page allocator;
 *   4. set up stage 2; build the domains;
 *   5. bring up the secondary CPUs with PSCI CPU_ON, give each a vCPU;
 *   6. trap FP/SIMD at EL2 (the boot phase is over) and run its own vCPU.
 * Any failure before a guest runs prints why and stops; nothing hangs silently.
 */
#include <granite/arch.h>
#include <granite/arch_callbacks.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/domain_build.h>
#include <granite/drivers.h>
#include <granite/memory_map.h>
#include <granite/mm.h>
#include <granite/options.h>
#include <granite/trace.h>
#include <granite/iommu.h>
#include <granite/map_dump.h>
#include <granite/page_alloc.h>
#include <granite/domain_config.h>
#include <granite/sched.h>
#include <granite/smc_service.h>

#ifndef EARLY_UART_PA
#define EARLY_UART_PA 0x09000000UL /* QEMU virt's PL011; `make EARLY_UART=...` for a board */
#endif
#define EARLY_UART_COMPATIBLE "arm,pl011"
#define SECONDARY_TIMEOUT_MS 1000
#define DEFAULT_SLICE_MS 10

static struct boot_info bi;
static unsigned nr_cpus_online = 1;
static volatile bool cpu_online[GRANITE_MAX_CPUS];
static bool options_read;
static const struct console_ops *console; /* its driver's, once it drives one */
static u64 slice_ms = DEFAULT_SLICE_MS;
/* vwfi= (Xen's name): native lets a vCPU alone on its CPU sleep in its own
 * WFI; trap always traps it (Xen's default), so that its runstate counts the
 * sleep as blocked.  A CPU shared by several vCPUs traps either way. */
enum { VWFI_NATIVE, VWFI_TRAP };
static const char *const vwfi_modes[] = { "native", "trap", NULL };
static int vwfi;

static u64 counter_ms(void)
{
    u64 frq = arch_counter_freq();
    return frq ? arch_counter() / (frq / 1000) : 0;
}

noreturn_fn void boot_fail(const char *fmt, ...)
{
    va_list ap;

    printk("granite: boot failed: ");
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk("\ngranite: stopped\n");
    if (options_read && arch_poweroff_is_semihosting())
        arch_poweroff(3);
    arch_cpu_idle_forever();
}

noreturn_fn void panic(const char *fmt, ...)
{
    va_list ap;

    printk("\n*** granite panic on cpu%u: ", this_cpu());
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk(" ***\n");
    if (arch_poweroff_is_semihosting())
        arch_poweroff(2);
    arch_cpu_idle_forever();
}

static __boot void early_console(const char *why)
{
    const struct driver *drv = driver_by_compatible(DRIVER_CONSOLE, EARLY_UART_COMPATIBLE);
    void *uart = ioremap(pa(EARLY_UART_PA), PAGE_SIZE);
    if (uart && drv) {
        console = drv->console;
        console->init(uart);
        bi.console_pa = pa(EARLY_UART_PA);
        bi.console_compat = EARLY_UART_COMPATIBLE;
    }
    printk("console: %s; using the build's early UART (PL011 at 0x%lx)\n", why, EARLY_UART_PA);
}

/* Map the DTB the boot loader handed over and check it. */
static __boot const void *map_dtb(u64 dtb_pa)
{
    const void *fdt = pa_to_ptr(pa(dtb_pa));
    const char *why = NULL;
    u64 size;

    if (!dtb_pa || !IS_ALIGNED(dtb_pa, 8)) {
        early_console("no device tree");
        boot_fail("no device tree: x0 = 0x%lx at entry (the boot protocol passes the DTB's "
                  "address in x0, 8-byte aligned)", dtb_pa);
    }
    if (hyp_map(pa(dtb_pa), DT_HEADER_SIZE, HYP_MAP_RO) || dt_header(fdt, &size, &why) ||
        hyp_map(pa(dtb_pa), size, HYP_MAP_RO) || dt_check(fdt, size, &why)) {
        early_console("no usable device tree");
        boot_fail("the device tree at 0x%lx is invalid: %s", dtb_pa, why ? why : "unmappable");
    }
    return fdt;
}

static __boot void setup_console(const void *fdt)
{
    const struct driver *drv;
    pa_t base;
    const char *compat, *why;
    void *regs;

    if (dt_find_console(fdt, &base, &compat, &why)) {
        early_console(why);
        return;
    }
    drv = driver_by_compatible(DRIVER_CONSOLE, compat);
    if (!drv) {
        early_console("no driver for the console's compatible");
        return;
    }
    regs = ioremap(base, PAGE_SIZE);
    if (!regs) {
        early_console("cannot map the console's registers");
        return;
    }
    console = drv->console;
    console->init(regs);
    bi.console_pa = base;
    bi.console_compat = compat;
    printk("console: %s at 0x%lx (from /chosen/stdout-path)\n", compat, pa_addr(base));
}

static __boot void read_options(void)
{
    static const char *const poweroff_modes[] = { "psci", "semihosting", NULL };
    static const char *const guest_abort_modes[] = { "inject", "destroy", NULL };
    int mode, abort_mode;

    int errors;

    printk("options: \"%s\"\n", bi.bootargs ? bi.bootargs : "");
    errors = options_parse(bi.bootargs);
    /* Settle how to power off first, so that even a refused command line ends
     * the run the way the user asked. */
    mode = opt_choice("poweroff", poweroff_modes, 0);
    arch_set_poweroff_semihosting(mode == 1);
    options_read = true;
    if (mode < 0)
        boot_fail("bad option 'poweroff'");
    abort_mode = opt_choice("guest_abort", guest_abort_modes, 0);
    if (abort_mode < 0)
        boot_fail("bad option 'guest_abort'");
    arch_set_guest_abort_destroy(abort_mode == 1);
    if (map_dump_init())
        boot_fail("bad option 'dump' (none or maps)");
    if (errors)
        boot_fail("bad options (see above)");
    if (trace_configure(opt_str("trace")))
        boot_fail("bad option 'trace'");
    if (trace_on())
        printk("trace: packet trace on: the first %u packets, hop by hop (tools/trace reads it)\n",
               trace_packets);
}

static __boot void start_allocator(u64 dtb_pa, const struct domain_configs *cfg)
{
    struct mem_range reserved[2 + 2 * MAX_DOMAIN_CONFIGS + MAX_RESERVED] = {
        { ptr_to_pa(__image_start), (u64)(__image_end - __image_start) },
        { pa(dtb_pa), bi.fdt_size },
    };
    struct busy_range busy[2 + MAX_RESERVED] = {
        { "granite's image", pa_addr(reserved[0].start), reserved[0].size },
        { "the device tree", dtb_pa, bi.fdt_size },
    };
    unsigned n = 2, nr_busy = 2;
    const char *why;

    map_dump_note_reserved("granite image", reserved[0].start, reserved[0].size);
    map_dump_note_reserved("device tree", reserved[1].start, reserved[1].size);
    for (unsigned i = 0; i < bi.nr_reserved; i++)
        map_dump_note_reserved("reserved-memory", bi.reserved[i].start, bi.reserved[i].size);
    for (unsigned i = 0; i < bi.nr_reserved; i++)
        busy[nr_busy++] = (struct busy_range){ "reserved memory", pa_addr(bi.reserved[i].start),
                                               bi.reserved[i].size };
    /* Before anything is handed out: a module granite would copy from must
     * be whole and nobody else's. */
    if (domain_configs_check_modules(cfg, bi.mem, bi.nr_mem, busy, nr_busy, &why))
        boot_fail("domain configuration: %s", why);
    /* Kernel images and ramdisks placed by the boot loader stay put until copied. */
    for (unsigned i = 0; i < cfg->nr; i++) {
        if (!cfg->dom[i].builtin)
            reserved[n++] = (struct mem_range){ cfg->dom[i].module, cfg->dom[i].module_size };
        if (cfg->dom[i].initrd_size)
            reserved[n++] = (struct mem_range){ cfg->dom[i].initrd, cfg->dom[i].initrd_size };
    }
    /* The board's reserved memory is never RAM granite hands out. */
    for (unsigned i = 0; i < bi.nr_reserved; i++) {
        u64 start = pa_addr(bi.reserved[i].start), end = start + bi.reserved[i].size;
        u64 img = pa_addr(reserved[0].start), img_end = img + reserved[0].size;
        /* dom0 gets /reserved-memory read-write: it must not be granite's own memory. */
        if (bi.reserved_for_dom0[i] && start < img_end && img < end)
            boot_fail("device tree: reserved memory 0x%lx-0x%lx overlaps granite's image "
                      "0x%lx-0x%lx", start, end, img, img_end);
        reserved[n++] = bi.reserved[i];
        printk("mm: reserved 0x%lx-0x%lx (device tree): not for the allocator\n",
               pa_addr(bi.reserved[i].start), pa_addr(bi.reserved[i].start) + bi.reserved[i].size);
    }
    if (page_alloc_init(bi.mem, bi.nr_mem, reserved, n))
        boot_fail("cannot set up the page allocator");
}

/* The boot CPU is granite's cpu0; the others keep their DTB order. */
static __boot void order_cpus(void)
{
    u64 me = arch_boot_cpu_mpidr();

    for (unsigned i = 0; i < bi.nr_cpus; i++) {
        if (bi.cpu_mpidr[i] == me) {
            bi.cpu_mpidr[i] = bi.cpu_mpidr[0];
            bi.cpu_mpidr[0] = me;
            return;
        }
    }
    boot_fail("the boot CPU (MPIDR 0x%lx) is not in /cpus", me);
}

static volatile bool secondaries_go;

static __boot void start_secondaries(void)
{
    mmu_publish_for_secondaries();
    for (unsigned cpu = 1; cpu < bi.nr_cpus && cpu < GRANITE_MAX_CPUS; cpu++) {
        u64 deadline;
        arch_set_cpu_mpidr(cpu, bi.cpu_mpidr[cpu]);
        if (arch_cpu_start(cpu, bi.cpu_mpidr[cpu]))
            break; /* keep CPU numbers dense: stop at the first that fails */
        deadline = counter_ms() + SECONDARY_TIMEOUT_MS;
        while (!cpu_online[cpu] && counter_ms() < deadline)
            ;
        if (!cpu_online[cpu]) {
            printk("smp: cpu%u (mpidr 0x%lx) did not come up within %d ms\n", cpu,
                   bi.cpu_mpidr[cpu], SECONDARY_TIMEOUT_MS);
            break;
        }
        nr_cpus_online++;
    }
}

/* Typed characters reach the focused domain's vPL011 (core/console_input.c). */
static __boot void start_console_input(void)
{
    if (!console || !bi.console_intid)
        return;
    irq_take_for_granite(bi.console_intid, console->rx_interrupt, false);
    console->enable_rx(console_input_char);
    console_input_start();
}

static __boot unsigned build_domains(const struct domain_configs *cfg)
{
    const char *why = "unknown error";

    for (unsigned i = 0; i < cfg->nr; i++)
        if (!domain_build(&cfg->dom[i], &bi, &why))
            boot_fail("%s: %s", cfg->dom[i].node, why);
    return cfg->nr;
}

/* Pin vCPUs to CPUs: one each while there are enough CPUs, round-robin after. */
static __boot void place_vcpus(const struct domain_configs *cfg)
{
    unsigned k = 0;

    for (unsigned i = 0; i < cfg->nr; i++) {
        struct domain *d = domain_by_id(cfg->dom[i].id);
        for (unsigned v = 0; v < d->nr_vcpus; v++, k++) {
            sched_assign(&d->vcpu[v], k % nr_cpus_online);
            printk("sched: d%u vcpu%u on cpu%u\n", d->id, v, k % nr_cpus_online);
        }
        arch_irq_follow_vcpus(d);   /* its device interrupts go to its own CPU */
    }
    if (k > nr_cpus_online)
        printk("sched: %u vCPUs on %u CPU(s): round-robin, %lu ms slices\n", k, nr_cpus_online,
               slice_ms);
    sched_placement_done();
}

__boot noreturn_fn void boot_primary(u64 dtb_pa)
{
    static struct domain_configs cfg;
    const char *why = NULL;
    unsigned nr_domains;
    int err = 0;

    arch_cpu_init(0, true);
    mmu_boot();
    bi.fdt = map_dtb(dtb_pa);
    setup_console(bi.fdt);
    printk("granite: hypervisor at EL2, image at 0x%lx (%lu KiB in memory), DTB at 0x%lx\n",
           pa_addr(ptr_to_pa(__image_start)), (u64)(__image_end - __image_start) >> 10, dtb_pa);
    if (boot_bad_relocs)
        boot_fail("%lu relocation(s) of an unknown type in the image", boot_bad_relocs);
    /* Options first: they say how a failed boot should end (poweroff=). */
    bi.bootargs = dt_bootargs(bi.fdt);
    read_options();
    slice_ms = opt_size("timeslice_ms", DEFAULT_SLICE_MS, &err);
    if (err || !slice_ms || slice_ms > 1000)
        boot_fail("bad option 'timeslice_ms' (1..1000)");
    if (dt_parse(bi.fdt, &bi, &why))
        boot_fail("device tree: %s", why);
    bi.console_intid = dt_console_intid(bi.fdt);
    if (domain_configs_read(bi.fdt, &cfg, &why))
        boot_fail("domain configuration: %s", why);
    order_cpus();
    arch_set_cpu_mpidr(0, bi.cpu_mpidr[0]);
    start_allocator(dtb_pa, &cfg);
    psci_set_conduit(bi.psci);
    printk("smp: %u CPU(s) in the DTB, PSCI conduit %s\n", bi.nr_cpus, psci_conduit_name());
    smc_services_init(bi.fdt);
    if (arch_irq_init(bi.fdt, &why))
        boot_fail("interrupt controller: %s", why);
    if (arch_irq_cpu_init(0, bi.cpu_mpidr[0]))
        boot_fail("interrupt controller: no redistributor for the boot CPU");
    if (iommu_init(bi.fdt, &why))
        boot_fail("iommu: %s", why);
    if (domain_configs_check_passthrough(&cfg, iommu_policy()->enabled, &why))
        boot_fail("domain configuration: %s", why);
    if (arch_stage2_init())
        boot_fail("this CPU's stage 2 cannot host granite's guests");
    vwfi = opt_choice("vwfi", vwfi_modes, VWFI_NATIVE);
    if (vwfi < 0)
        boot_fail("bad option 'vwfi' (native or trap)");
    sched_init(bi.nr_cpus, slice_ms * 1000, vwfi == VWFI_TRAP);
    int timing = opt_choice("timing", opt_off_on, 0);
    if (timing < 0)
        boot_fail("bad option 'timing' (off or on)");
    arch_exit_timing_init(timing == 1);
    start_secondaries();
    domains_baseline();
    nr_domains = build_domains(&cfg);
    place_vcpus(&cfg);

    if (opt_str("selftest") && !strcmp(opt_str("selftest"), "smmu-bad-command"))
        iommu_selftest_bad_command();
    else if (opt_str("selftest"))
        arch_selftest_el2_fault(); /* reported by traps.c; this CPU stops */

    arch_boot_phase_end();
    printk("granite: boot done, starting %u domain(s) on %u CPU(s)\n", nr_domains,
           nr_cpus_online);
    domains_started(nr_domains);
    for (unsigned i = 0; i < cfg.nr; i++)
        domain_by_id(cfg.dom[i].id)->state = DOM_RUNNING;
    start_console_input();
    __atomic_store_n(&secondaries_go, true, __ATOMIC_RELEASE);
    arch_send_event();
    sched_start();
}

noreturn_fn void secondary_main(unsigned cpu)
{
    arch_cpu_init(cpu, false);
    arch_stage2_cpu_init();
    if (arch_irq_cpu_init(cpu, arch_boot_cpu_mpidr()))
        arch_cpu_idle_forever();
    printk("smp: cpu%u up (mpidr 0x%lx)\n", cpu, arch_boot_cpu_mpidr());
    cpu_online[cpu] = true;
    while (!__atomic_load_n(&secondaries_go, __ATOMIC_ACQUIRE))
        arch_wait_event();
    sched_start();
}
