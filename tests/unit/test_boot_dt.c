/*
 * test_boot_dt.c — host tests of the boot DTB reader (core/boot_dt.c).
 *
 * Each test builds a device tree in memory with the host's libfdt, starting
 * from a QEMU-virt-like tree, changes what it is about, and parses it.  The
 * DTB is untrusted input: malformed trees must give an error that names what
 * is wrong, never a crash (a few such trees are parsed in a child process so
 * that a sanitizer abort fails one test, not the whole run).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <libfdt.h>
#include <granite/boot.h>
#include <granite/errno.h>
#include "host_stubs.h"

#define FDT_BUF_SIZE (64 * 1024)
static char fdt_buf[FDT_BUF_SIZE] __attribute__((aligned(8)));
static void *const fdt = fdt_buf;

/* ------------------------------------------------------------------------ */
/* Tree building                                                             */
/* ------------------------------------------------------------------------ */

static int node(const char *path)
{
    int off = fdt_path_offset(fdt, path);
    if (off < 0)
        fail_msg("no node %s in the test tree: %s", path, fdt_strerror(off));
    return off;
}

/* Note: libfdt adds a node as the FIRST child of its parent, so nodes whose
 * order matters (CPUs, memory banks) are added last-to-first. */
static int add_node(const char *parent, const char *name)
{
    int off = fdt_add_subnode(fdt, node(parent), name);
    if (off < 0)
        fail_msg("cannot add %s under %s: %s", name, parent, fdt_strerror(off));
    return off;
}

static void del_node(const char *path) { assert_int_equal(fdt_del_node(fdt, node(path)), 0); }

static void set_raw(const char *path, const char *prop, const void *val, int len)
{
    assert_int_equal(fdt_setprop(fdt, node(path), prop, val, len), 0);
}

static void set_str(const char *path, const char *prop, const char *s)
{
    set_raw(path, prop, s, (int)strlen(s) + 1);
}

/* A property of n 32-bit cells. */
static void set_cells(const char *path, const char *prop, unsigned n, const u32 *cells)
{
    fdt32_t v[16];
    assert_true(n <= 16);
    for (unsigned i = 0; i < n; i++)
        v[i] = cpu_to_fdt32(cells[i]);
    set_raw(path, prop, v, (int)(n * 4));
}

#define CELLS(path, prop, ...)                                                   \
    do {                                                                         \
        const u32 c_[] = { __VA_ARGS__ };                                        \
        set_cells(path, prop, ARRAY_SIZE(c_), c_);                               \
    } while (0)

static void del_prop(const char *path, const char *prop)
{
    assert_int_equal(fdt_delprop(fdt, node(path), prop), 0);
}

/* What QEMU's virt machine gives (trimmed to what granite reads):
 *   / { #address-cells = <2>; #size-cells = <2>;
 *     memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x20000000>; };
 *     cpus { #address-cells = <1>; #size-cells = <0>;
 *       cpu@0 { device_type = "cpu"; reg = <0>; }; cpu@1 { ...; reg = <1>; }; };
 *     psci { compatible = "arm,psci-1.0", "arm,psci-0.2", "arm,psci"; method = "smc"; };
 *     pl011@9000000 { compatible = "arm,pl011", "arm,primecell";
 *                     reg = <0 0x9000000 0 0x1000>; };
 *     aliases { serial0 = "/pl011@9000000"; };
 *     chosen { stdout-path = "/pl011@9000000"; bootargs = "poweroff=psci"; }; }; */
static void build_virt_tree(void)
{
    static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
    static const char pl011_compat[] = "arm,pl011\0arm,primecell";

    memset(fdt_buf, 0, sizeof(fdt_buf));
    assert_int_equal(fdt_create_empty_tree(fdt, FDT_BUF_SIZE), 0);
    CELLS("/", "#address-cells", 2);
    CELLS("/", "#size-cells", 2);
    set_str("/", "compatible", "linux,dummy-virt");
    add_node("/", "memory@40000000");
    set_str("/memory@40000000", "device_type", "memory");
    CELLS("/memory@40000000", "reg", 0, 0x40000000, 0, 0x20000000);
    add_node("/", "cpus");
    CELLS("/cpus", "#address-cells", 1);
    CELLS("/cpus", "#size-cells", 0);
    add_node("/cpus", "cpu@1");
    set_str("/cpus/cpu@1", "device_type", "cpu");
    set_str("/cpus/cpu@1", "compatible", "arm,cortex-a57");
    CELLS("/cpus/cpu@1", "reg", 1);
    add_node("/cpus", "cpu@0");
    set_str("/cpus/cpu@0", "device_type", "cpu");
    set_str("/cpus/cpu@0", "compatible", "arm,cortex-a57");
    CELLS("/cpus/cpu@0", "reg", 0);
    add_node("/", "psci");
    set_raw("/psci", "compatible", psci_compat, sizeof(psci_compat));
    set_str("/psci", "method", "smc");
    add_node("/", "pl011@9000000");
    set_raw("/pl011@9000000", "compatible", pl011_compat, sizeof(pl011_compat));
    CELLS("/pl011@9000000", "reg", 0, 0x9000000, 0, 0x1000);
    CELLS("/pl011@9000000", "interrupts", 0, 1, 4);
    add_node("/", "aliases");
    set_str("/aliases", "serial0", "/pl011@9000000");
    add_node("/", "chosen");
    set_str("/chosen", "stdout-path", "/pl011@9000000");
    set_str("/chosen", "bootargs", "poweroff=psci");
}

static int setup(void **state unused)
{
    host_stubs_reset();
    build_virt_tree();
    return 0;
}

/* Run fn in a child: a sanitizer abort or signal there fails this test only. */
static void run_isolated(int (*fn)(void), const char *what)
{
    pid_t pid;
    int status;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("%s: killed by signal %d", what, WTERMSIG(status));
    if (WEXITSTATUS(status) == 3)
        fail_msg("%s: parsed without an error", what);
    if (WEXITSTATUS(status) != 0)
        fail_msg("%s: the parser crashed (exit %d, sanitizer report above)", what,
                 WEXITSTATUS(status));
}

/* ------------------------------------------------------------------------ */
/* dt_parse                                                                  */
/* ------------------------------------------------------------------------ */

/* The QEMU virt tree: one RAM bank at 1 GiB of 512 MiB, two CPUs with MPIDR 0
 * and 1, PSCI through SMC, and the bootargs. */
static void test_parse_qemu_virt_tree(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    memset(&bi, 0xa5, sizeof(bi));
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_ptr_equal(bi.fdt, fdt);
    assert_int_equal(bi.fdt_size, fdt_totalsize(fdt));
    assert_int_equal(bi.nr_mem, 1);
    assert_int_equal(pa_addr(bi.mem[0].start), 0x40000000);
    assert_int_equal(bi.mem[0].size, 512UL << 20);
    assert_int_equal(bi.nr_cpus, 2);
    assert_int_equal(bi.cpu_mpidr[0], 0);
    assert_int_equal(bi.cpu_mpidr[1], 1);
    assert_int_equal(bi.psci, PSCI_CONDUIT_SMC);
    assert_non_null(bi.bootargs);
    assert_string_equal(bi.bootargs, "poweroff=psci");
}

/* Several banks: several (address, size) pairs in one reg and several memory
 * nodes; empty banks and disabled nodes are skipped. */
static void test_parse_memory_banks(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    CELLS("/memory@40000000", "reg", 0, 0x40000000, 0, 0x10000000, 0, 0x60000000, 0, 0,
          0x8, 0x0, 0x1, 0x0);
    add_node("/", "memory@200000000");
    set_str("/memory@200000000", "device_type", "memory");
    set_str("/memory@200000000", "status", "disabled");
    CELLS("/memory@200000000", "reg", 0x2, 0, 0, 0x1000000);
    add_node("/", "memory@100000000");
    set_str("/memory@100000000", "device_type", "memory");
    CELLS("/memory@100000000", "reg", 0x1, 0, 0, 0x1000000);
    /* DT order now: memory@100000000, memory@200000000, ..., memory@40000000 */
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_mem, 3);
    assert_int_equal(pa_addr(bi.mem[0].start), 0x100000000);
    assert_int_equal(bi.mem[0].size, 0x1000000);
    assert_int_equal(pa_addr(bi.mem[1].start), 0x40000000);
    assert_int_equal(bi.mem[1].size, 0x10000000);
    assert_int_equal(pa_addr(bi.mem[2].start), 0x800000000);
    assert_int_equal(bi.mem[2].size, 0x100000000);
}

/* More RAM banks than granite keeps (8) is an error, not a silent cut. */
static void test_parse_too_many_memory_banks(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;
    u32 reg[9 * 4];

    for (unsigned i = 0; i < 9; i++) {
        reg[4 * i] = 0;
        reg[4 * i + 1] = 0x40000000 + i * 0x1000000;
        reg[4 * i + 2] = 0;
        reg[4 * i + 3] = 0x1000000;
    }
    {
        fdt32_t v[ARRAY_SIZE(reg)];
        for (unsigned i = 0; i < ARRAY_SIZE(reg); i++)
            v[i] = cpu_to_fdt32(reg[i]);
        set_raw("/memory@40000000", "reg", v, sizeof(v));
    }
    assert_int_equal(dt_parse(fdt, &bi, &why), -E2BIG);
    assert_non_null(why);
    assert_non_null(strstr(why, "memory"));
}

/* No memory node: an error whose message says memory is what is missing. */
static void test_missing_memory_is_an_error(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    del_node("/memory@40000000");
    assert_true(dt_parse(fdt, &bi, &why) < 0);
    assert_non_null(why);
    assert_non_null(strstr(why, "memory"));
}

/* A memory reg that is not a whole number of (address, size) pairs in the
 * root's cells (here 3 cells with 2 + 2 expected), or is empty, is an error
 * naming the node. */
static void test_memory_reg_with_bad_length_is_an_error(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    CELLS("/memory@40000000", "reg", 0, 0x40000000, 0x20000000);
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(strstr(why, "/memory@40000000"));
    assert_non_null(strstr(why, "reg"));

    set_raw("/memory@40000000", "reg", NULL, 0);
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(strstr(why, "/memory@40000000"));
}

/* No /cpus node: an error naming /cpus. */
static void test_missing_cpus_is_an_error(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    del_node("/cpus");
    assert_int_equal(dt_parse(fdt, &bi, &why), -ENOENT);
    assert_non_null(strstr(why, "/cpus"));
}

/* /cpus without a cpu node, or a cpu without reg (its MPIDR): errors. */
static void test_cpus_without_cpu_or_reg_is_an_error(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    del_prop("/cpus/cpu@1", "reg");
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(strstr(why, "/cpus/cpu@1"));

    del_node("/cpus/cpu@0");
    del_node("/cpus/cpu@1");
    add_node("/cpus", "cpu-map");
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -ENOENT);
    assert_non_null(strstr(why, "cpu"));
}

/* MPIDRs with #address-cells = 2 (Aff3 in the upper word); disabled CPUs and
 * nodes that are not CPUs are skipped; beyond 8 CPUs the rest stay off. */
static void test_cpu_mpidr_cells_and_limits(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;
    char name[32];

    CELLS("/cpus", "#address-cells", 2);
    CELLS("/cpus/cpu@0", "reg", 0x1, 0x00000100);
    CELLS("/cpus/cpu@1", "reg", 0x0, 0x00010203);
    set_str("/cpus/cpu@1", "status", "disabled");
    add_node("/cpus", "cpu-map");
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_cpus, 1);
    assert_int_equal(bi.cpu_mpidr[0], 0x100000100);

    CELLS("/cpus", "#address-cells", 1);
    del_node("/cpus/cpu@0");
    del_node("/cpus/cpu@1");
    for (unsigned i = 10; i-- > 0;) {
        snprintf(name, sizeof(name), "cpu@%u", i);
        add_node("/cpus", name);
        snprintf(name, sizeof(name), "/cpus/cpu@%u", i);
        set_str(name, "device_type", "cpu");
        CELLS(name, "reg", i);
    }
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_cpus, MAX_CPUS_DT);
    for (unsigned i = 0; i < MAX_CPUS_DT; i++)
        assert_int_equal(bi.cpu_mpidr[i], i);
}

/* /cpus #address-cells other than 1 or 2 is refused. */
static void test_cpus_bad_address_cells(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    CELLS("/cpus", "#address-cells", 3);
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(strstr(why, "#address-cells"));
}

/* A device_type that is not exactly "cpu" (here an empty property) does not
 * make a node a CPU: granite would try to start a CPU with that reg. */
static void test_empty_device_type_is_not_a_cpu(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    add_node("/cpus", "idle-states");
    set_raw("/cpus/idle-states", "device_type", NULL, 0);
    CELLS("/cpus/idle-states", "reg", 0x77);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_cpus, 2);
}

/* PSCI conduit from /psci method: "hvc" -> HVC (also with only the
 * "arm,psci-0.2" compatible); no PSCI node -> NONE; an unknown method -> NONE. */
static void test_psci_conduit(void **state unused)
{
    static const char compat02[] = "arm,psci-0.2";
    struct boot_info bi;
    const char *why = NULL;

    set_str("/psci", "method", "hvc");
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.psci, PSCI_CONDUIT_HVC);

    set_raw("/psci", "compatible", compat02, sizeof(compat02));
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.psci, PSCI_CONDUIT_HVC);

    set_str("/psci", "method", "svc");
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.psci, PSCI_CONDUIT_NONE);

    set_str("/psci", "method", "smcx");
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.psci, PSCI_CONDUIT_NONE);

    del_node("/psci");
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.psci, PSCI_CONDUIT_NONE);
}

/* An empty method property names no conduit. */
static void test_psci_empty_method_is_none(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    set_raw("/psci", "method", NULL, 0);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.psci, PSCI_CONDUIT_NONE);
}

/* bootargs not NUL-terminated inside its property is ignored (NULL), not read
 * past its end; absent -> NULL; empty string -> "". */
static void test_bootargs(void **state unused)
{
    set_raw("/chosen", "bootargs", "poweroff=psci", 13);
    assert_null(dt_bootargs(fdt));
    set_raw("/chosen", "bootargs", NULL, 0);
    assert_null(dt_bootargs(fdt));
    set_str("/chosen", "bootargs", "");
    assert_string_equal(dt_bootargs(fdt), "");
    del_prop("/chosen", "bootargs");
    assert_null(dt_bootargs(fdt));
    del_node("/chosen");
    assert_null(dt_bootargs(fdt));
}

/* ------------------------------------------------------------------------ */
/* dt_header / dt_check                                                      */
/* ------------------------------------------------------------------------ */

/* dt_header reads only the 40-byte header: the magic 0xd00dfeed and a
 * totalsize between the header size and 2 MiB (the arm64 boot protocol's
 * limit). */
static void test_dt_header(void **state unused)
{
    const char *why = NULL;
    u64 size = 0;

    assert_int_equal(fdt_pack(fdt), 0);
    assert_int_equal(dt_header(fdt, &size, &why), 0);
    assert_int_equal(size, fdt_totalsize(fdt));

    fdt_set_totalsize(fdt, 2UL << 20);
    assert_int_equal(dt_header(fdt, &size, &why), 0);
    fdt_set_totalsize(fdt, (2UL << 20) + 1);
    assert_int_equal(dt_header(fdt, &size, &why), -EINVAL);
    assert_non_null(strstr(why, "totalsize"));
    fdt_set_totalsize(fdt, DT_HEADER_SIZE - 1);
    why = NULL;
    assert_int_equal(dt_header(fdt, &size, &why), -EINVAL);
    assert_non_null(strstr(why, "totalsize"));

    fdt_set_magic(fdt, 0xd00dfeee);
    why = NULL;
    assert_int_equal(dt_header(fdt, &size, &why), -EINVAL);
    assert_non_null(strstr(why, "magic"));
}

/* dt_check on the mapped blob: a blob whose totalsize is larger than what was
 * mapped (truncated) is refused, so is bad magic and a header whose blocks
 * point outside the blob (libfdt's check). */
static void test_dt_check(void **state unused)
{
    const char *why = NULL;
    u32 total;

    assert_int_equal(fdt_pack(fdt), 0);
    total = fdt_totalsize(fdt);
    assert_int_equal(dt_check(fdt, total, &why), 0);
    assert_int_equal(dt_check(fdt, 2UL << 20, &why), 0);

    assert_int_equal(dt_check(fdt, total - 1, &why), -EINVAL);
    assert_non_null(why);
    assert_int_equal(dt_check(fdt, DT_HEADER_SIZE, &why), -EINVAL);

    fdt_set_off_dt_struct(fdt, total + 0x100);
    why = NULL;
    assert_int_equal(dt_check(fdt, total, &why), -EINVAL);
    assert_non_null(why);
    build_virt_tree();
    assert_int_equal(fdt_pack(fdt), 0);

    fdt_set_version(fdt, 1);
    why = NULL;
    assert_int_equal(dt_check(fdt, 2UL << 20, &why), -EINVAL);
    assert_non_null(why);

    fdt_set_magic(fdt, 0);
    why = NULL;
    assert_int_equal(dt_check(fdt, 2UL << 20, &why), -EINVAL);
    assert_non_null(strstr(why, "magic"));
}

/* ------------------------------------------------------------------------ */
/* dt_find_console                                                           */
/* ------------------------------------------------------------------------ */

/* stdout-path as a path with UART options after ':': the PL011 at its reg. */
static void test_console_by_path_with_options(void **state unused)
{
    pa_t base = pa(0);
    const char *compat = NULL, *why = NULL;

    set_str("/chosen", "stdout-path", "/pl011@9000000:115200n8");
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), 0);
    assert_int_equal(pa_addr(base), 0x9000000);
    assert_string_equal(compat, "arm,pl011");

    set_str("/chosen", "stdout-path", "/pl011@9000000");
    base = pa(0);
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), 0);
    assert_int_equal(pa_addr(base), 0x9000000);
}

/* stdout-path may name an alias from /aliases, with or without options. */
static void test_console_by_alias(void **state unused)
{
    pa_t base = pa(0);
    const char *compat = NULL, *why = NULL;

    set_str("/chosen", "stdout-path", "serial0:115200n8");
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), 0);
    assert_int_equal(pa_addr(base), 0x9000000);

    set_str("/chosen", "stdout-path", "serial0");
    base = pa(0);
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), 0);
    assert_int_equal(pa_addr(base), 0x9000000);

    set_str("/chosen", "stdout-path", "serial1");
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -ENOENT);
    assert_non_null(strstr(why, "stdout-path"));
}

/* stdout-path bounded by its property length: without a terminating NUL the
 * path still resolves (nothing is read past the property). */
static void test_console_path_without_nul(void **state unused)
{
    pa_t base = pa(0);
    const char *compat = NULL, *why = NULL;

    set_raw("/chosen", "stdout-path", "/pl011@9000000", 14);
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), 0);
    assert_int_equal(pa_addr(base), 0x9000000);
}

/* No stdout-path (or no /chosen): -ENOENT and a message saying so; a path to
 * no node: -ENOENT. */
static void test_console_missing_stdout_path(void **state unused)
{
    pa_t base;
    const char *compat, *why = NULL;

    del_prop("/chosen", "stdout-path");
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -ENOENT);
    assert_non_null(strstr(why, "stdout-path"));

    del_node("/chosen");
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -ENOENT);
    assert_non_null(strstr(why, "stdout-path"));

    add_node("/", "chosen");
    set_str("/chosen", "stdout-path", "/uart@1234");
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -ENOENT);
    assert_non_null(why);
}

/* A console no console driver drives (here: only the PL011's) is refused,
 * naming the node. */
static void test_console_not_pl011(void **state unused)
{
    pa_t base;
    const char *compat, *why = NULL;

    set_str("/pl011@9000000", "compatible", "ns16550a");
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -ENODEV);
    assert_non_null(strstr(why, "/pl011@9000000"));
    assert_non_null(strstr(why, "no console driver"));
}

/* A console below a bus node: its reg is translated through each parent's
 * `ranges` (DT spec 2.3.8).  The ZCU102's UARTs sit under /axi, a simple-bus
 * with an empty `ranges` (the identity). */
static void add_console_under_soc(void)
{
    static const char pl011_compat[] = "arm,pl011\0arm,primecell";

    add_node("/", "soc");
    CELLS("/soc", "#address-cells", 1);
    CELLS("/soc", "#size-cells", 1);
    add_node("/soc", "serial@9000");
    set_raw("/soc/serial@9000", "compatible", pl011_compat, sizeof(pl011_compat));
    CELLS("/soc/serial@9000", "reg", 0x9000, 0x1000);
    set_str("/chosen", "stdout-path", "/soc/serial@9000");
}

static void test_console_below_bus_with_identity_ranges(void **state unused)
{
    pa_t base;
    const char *compat, *why = NULL;

    add_console_under_soc();
    set_raw("/soc", "ranges", NULL, 0);
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), 0);
    assert_int_equal(pa_addr(base), 0x9000);
}

/* ranges = <child parent(2 cells) size>: 0x0-0x10000 on the bus is
 * 0x1_0900_0000 for the CPU. */
static void test_console_below_bus_translated(void **state unused)
{
    pa_t base;
    const char *compat, *why = NULL;

    add_console_under_soc();
    CELLS("/soc", "ranges", 0x100000, 0, 0x100000, 0x10000, 0x0, 0x1, 0x09000000, 0x10000);
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), 0);
    assert_int_equal(pa_addr(base), 0x109009000UL);
}

/* No `ranges` (the bus's addresses are not the CPU's), a reg outside every
 * entry, or one straddling an entry's end: refused, naming the node. */
static void test_console_below_bus_untranslatable(void **state unused)
{
    pa_t base;
    const char *compat, *why = NULL;

    add_console_under_soc();
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -EINVAL);
    assert_non_null(strstr(why, "/soc/serial@9000"));
    assert_non_null(strstr(why, "no 'ranges'"));

    CELLS("/soc", "ranges", 0x100000, 0x0, 0x40000000, 0x10000);
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -EINVAL);
    assert_non_null(strstr(why, "outside every 'ranges' entry"));

    CELLS("/soc", "ranges", 0x0, 0x0, 0x40000000, 0x9800);
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -EINVAL);

    CELLS("/soc", "ranges", 0x0, 0x0, 0x40000000); /* not a whole entry */
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -EINVAL);
    assert_non_null(strstr(why, "not whole entries"));
}

/* A reg whose base + size wraps past 2^64, given or after a bus's ranges:
 * refused (no wrapped range reaches a mapping or an overlap check). */
static void test_translate_overflow_refused(void **state unused)
{
    pa_t base;
    const char *compat, *why = NULL;
    u64 addr;

    CELLS("/pl011@9000000", "reg", 0xffffffff, 0xfffff000, 0, 0x2000);
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -EINVAL);
    assert_non_null(strstr(why, "/pl011@9000000"));
    assert_non_null(strstr(why, "past the end of the 64-bit address space"));
    /* the last page exactly, ending at 2^64: still refused (its end is not a u64) */
    addr = 0xfffffffffffff000UL;
    why = NULL;
    assert_int_equal(dt_translate(fdt, fdt_path_offset(fdt, "/pl011@9000000"), &addr, 0x1000,
                                  &why), -EINVAL);

    /* a ranges entry whose parent side wraps: bus 0x0-0x10000 at 2^64 - 4 KiB */
    add_console_under_soc();
    CELLS("/soc", "ranges", 0x0, 0xffffffff, 0xfffff000, 0x10000);
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -EINVAL);
    assert_non_null(strstr(why, "/soc/serial@9000"));
    assert_non_null(strstr(why, "past the end of the 64-bit address space"));
    /* the same window low enough: translated */
    CELLS("/soc", "ranges", 0x0, 0xffffffff, 0x00000000, 0x10000);
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), 0);
    assert_int_equal(pa_addr(base), 0xffffffff00009000UL);
}

/* A console without a usable reg is refused, naming the node. */
static void test_console_without_reg(void **state unused)
{
    pa_t base;
    const char *compat, *why = NULL;

    del_prop("/pl011@9000000", "reg");
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -EINVAL);
    assert_non_null(strstr(why, "/pl011@9000000"));
    assert_non_null(strstr(why, "reg"));

    CELLS("/pl011@9000000", "reg", 0, 0x9000000); /* address only, size missing */
    why = NULL;
    assert_int_equal(dt_find_console(fdt, &base, &compat, &why), -EINVAL);
}

/* The console's interrupt: SPI 1 is GIC INTID 33; none -> 0. */
static void test_console_intid(void **state unused)
{
    assert_int_equal(dt_console_intid(fdt), 33);
    set_str("/chosen", "stdout-path", "serial0:115200n8");
    assert_int_equal(dt_console_intid(fdt), 33);
    CELLS("/pl011@9000000", "interrupts", 1, 14, 4); /* a PPI: not the console's SPI */
    assert_int_equal(dt_console_intid(fdt), 0);
    del_prop("/pl011@9000000", "interrupts");
    assert_int_equal(dt_console_intid(fdt), 0);
}

/* SPIs are INTIDs 32..1019 (GICv3, Arm IHI 0069): an SPI number past 987 is
 * not an interrupt the GIC has, so the console has no usable interrupt (0),
 * rather than a wrapped or out-of-range INTID. */
static void test_console_intid_out_of_range_spi_is_none(void **state unused)
{
    CELLS("/pl011@9000000", "interrupts", 0, 987, 4);
    assert_int_equal(dt_console_intid(fdt), 1019);
    CELLS("/pl011@9000000", "interrupts", 0, 988, 4);
    assert_int_equal(dt_console_intid(fdt), 0);
    CELLS("/pl011@9000000", "interrupts", 0, 0xffffffe0, 4);
    assert_int_equal(dt_console_intid(fdt), 0);
}

/* ------------------------------------------------------------------------ */
/* /reserved-memory and /memreserve/                                         */
/* ------------------------------------------------------------------------ */

/* /reserved-memory as the DT spec (3.5) lays it out, with the root's cells
 * (2 + 2, as on QEMU virt) and an identity `ranges`. */
static void add_reserved_memory(void)
{
    add_node("/", "reserved-memory");
    CELLS("/reserved-memory", "#address-cells", 2);
    CELLS("/reserved-memory", "#size-cells", 2);
    set_raw("/reserved-memory", "ranges", NULL, 0);
}

/* A /reserved-memory child at base (2-cell address) of size (2 cells), marked
 * no-map as firmware carve-outs usually are. */
static void add_reserved_child(const char *name, u64 base, u64 size)
{
    char path[64];

    add_node("/reserved-memory", name);
    snprintf(path, sizeof(path), "/reserved-memory/%s", name);
    CELLS(path, "reg", (u32)(base >> 32), (u32)base, (u32)(size >> 32), (u32)size);
    set_raw(path, "no-map", NULL, 0);
}

/* Whether bi holds exactly the region [start, +size), wherever in the list:
 * the order of /memreserve/ against /reserved-memory is not the contract. */
static bool has_reserved(const struct boot_info *bi, u64 start, u64 size)
{
    for (unsigned i = 0; i < bi->nr_reserved; i++)
        if (pa_addr(bi->reserved[i].start) == start && bi->reserved[i].size == size)
            return true;
    return false;
}

/* QEMU's virt tree has neither /reserved-memory nor /memreserve/: no region,
 * and whatever the struct held before is not taken for one. */
static void test_reserved_none(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    memset(&bi, 0xa5, sizeof(bi));
    assert_int_equal(fdt_num_mem_rsv(fdt), 0);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 0);

    /* An empty /reserved-memory is no region either. */
    add_reserved_memory();
    memset(&bi, 0xa5, sizeof(bi));
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 0);
}

/* One child: its reg read in /reserved-memory's cells, both halves of the
 * 2-cell address and of the 2-cell size (values with a non-zero upper word
 * catch a reader that drops or swaps it). */
static void test_reserved_one_region(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    add_reserved_memory();
    add_reserved_child("fw@123400000", 0x123400000UL, 0x200000);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 1);
    assert_int_equal(pa_addr(bi.reserved[0].start), 0x123400000UL);
    assert_int_equal(bi.reserved[0].size, 0x200000);

    CELLS("/reserved-memory/fw@123400000", "reg", 0x0, 0x60000000, 0x1, 0x1000);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 1);
    assert_int_equal(pa_addr(bi.reserved[0].start), 0x60000000);
    assert_int_equal(bi.reserved[0].size, 0x100001000UL);

    /* The cells are /reserved-memory's own, not the root's: 1 + 1 here. */
    CELLS("/reserved-memory", "#address-cells", 1);
    CELLS("/reserved-memory", "#size-cells", 1);
    CELLS("/reserved-memory/fw@123400000", "reg", 0x5e000000, 0x100000);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 1);
    assert_int_equal(pa_addr(bi.reserved[0].start), 0x5e000000);
    assert_int_equal(bi.reserved[0].size, 0x100000);
}

/* Several children, in document order, whatever else they say (compatible,
 * no-map or reusable, a phandle): granite hands none of them out. */
static void test_reserved_several_regions(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    add_reserved_memory();
    /* libfdt puts a new node first: add the last one first. */
    add_reserved_child("tee@5f000000", 0x5f000000, 0x1000000);
    add_reserved_child("dma-pool@5e000000", 0x5e000000, 0x400000);
    set_str("/reserved-memory/dma-pool@5e000000", "compatible", "shared-dma-pool");
    del_prop("/reserved-memory/dma-pool@5e000000", "no-map");
    set_raw("/reserved-memory/dma-pool@5e000000", "reusable", NULL, 0);
    CELLS("/reserved-memory/dma-pool@5e000000", "phandle", 0x100);
    add_reserved_child("ramoops@4ff00000", 0x4ff00000, 0x100000);
    set_str("/reserved-memory/ramoops@4ff00000", "compatible", "ramoops");
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 3);
    assert_int_equal(pa_addr(bi.reserved[0].start), 0x4ff00000);
    assert_int_equal(bi.reserved[0].size, 0x100000);
    assert_int_equal(pa_addr(bi.reserved[1].start), 0x5e000000);
    assert_int_equal(bi.reserved[1].size, 0x400000);
    assert_int_equal(pa_addr(bi.reserved[2].start), 0x5f000000);
    assert_int_equal(bi.reserved[2].size, 0x1000000);
}

/* /memreserve/ entries (the header's reservation block) count as reserved
 * regions too, alone or with /reserved-memory children. */
static void test_reserved_memreserve_counted(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    assert_int_equal(fdt_add_mem_rsv(fdt, 0x48000000, 0x10000), 0);
    assert_int_equal(fdt_add_mem_rsv(fdt, 0x140000000UL, 0x200000), 0);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 2);
    assert_true(has_reserved(&bi, 0x48000000, 0x10000));
    assert_true(has_reserved(&bi, 0x140000000UL, 0x200000));

    add_reserved_memory();
    add_reserved_child("fw@5f000000", 0x5f000000, 0x1000000);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 3);
    assert_true(has_reserved(&bi, 0x48000000, 0x10000));
    assert_true(has_reserved(&bi, 0x140000000UL, 0x200000));
    assert_true(has_reserved(&bi, 0x5f000000, 0x1000000));
}

/* A disabled child describes no reservation (DT spec 2.3.4): skipped, even a
 * dynamic one that would otherwise be refused. */
static void test_reserved_disabled_child_skipped(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    add_reserved_memory();
    add_reserved_child("off@5f000000", 0x5f000000, 0x1000000);
    set_str("/reserved-memory/off@5f000000", "status", "disabled");
    add_reserved_child("on@5e000000", 0x5e000000, 0x100000);
    set_str("/reserved-memory/on@5e000000", "status", "okay");
    add_node("/reserved-memory", "linux,cma");
    CELLS("/reserved-memory/linux,cma", "size", 0, 0x4000000);
    set_str("/reserved-memory/linux,cma", "status", "disabled");
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, 1);
    assert_int_equal(pa_addr(bi.reserved[0].start), 0x5e000000);
    assert_int_equal(bi.reserved[0].size, 0x100000);
}

/* A dynamic region (`size`, optionally `alignment`/`alloc-ranges`, no `reg`)
 * asks the OS to place it; granite allocates nothing for the board, so it is
 * refused, naming the node. */
static void test_reserved_dynamic_region_refused(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;

    add_reserved_memory();
    add_reserved_child("fw@5f000000", 0x5f000000, 0x1000000);
    add_node("/reserved-memory", "linux,cma");
    set_str("/reserved-memory/linux,cma", "compatible", "shared-dma-pool");
    set_raw("/reserved-memory/linux,cma", "reusable", NULL, 0);
    CELLS("/reserved-memory/linux,cma", "size", 0, 0x4000000);
    CELLS("/reserved-memory/linux,cma", "alignment", 0, 0x400000);
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(why);
    assert_non_null(strstr(why, "/reserved-memory/linux,cma"));
    assert_non_null(strstr(why, "reg"));
}

/* A region must be whole pages (granite maps it 1:1 into dom0 and keeps it from
 * its page allocator): an unaligned base or size, an empty size, or a reg too
 * short for the cells is refused, naming the node. */
static void test_reserved_bad_reg_refused(void **state unused)
{
    static const char child[] = "/reserved-memory/fw@5f000000";
    struct boot_info bi;
    const char *why = NULL;

    add_reserved_memory();
    add_reserved_child("fw@5f000000", 0x5f000000, 0x1000000);
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);

    CELLS(child, "reg", 0, 0x5f000800, 0, 0x1000);
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(why);
    assert_non_null(strstr(why, child));
    assert_non_null(strstr(why, "aligned"));

    CELLS(child, "reg", 0, 0x5f000000, 0, 0x1800);
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(strstr(why, child));

    CELLS(child, "reg", 0, 0x5f000000, 0, 0);
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(strstr(why, child));

    CELLS(child, "reg", 0, 0x5f000000, 0); /* 3 cells where 2 + 2 are due */
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -EINVAL);
    assert_non_null(strstr(why, child));
    assert_non_null(strstr(why, "reg"));
}

/* Up to MAX_RESERVED (8) regions are kept; a 9th is an error (not a silent
 * cut, which would let granite hand out memory the board reserved), whether
 * the regions come from /reserved-memory, /memreserve/ or both. */
static void test_reserved_too_many_refused(void **state unused)
{
    struct boot_info bi;
    const char *why = NULL;
    char name[32];

    assert_int_equal(MAX_RESERVED, 8);
    add_reserved_memory();
    for (unsigned i = MAX_RESERVED; i-- > 0;) {
        snprintf(name, sizeof(name), "r@%x", 0x50000000 + i * 0x100000);
        add_reserved_child(name, 0x50000000 + i * 0x100000, 0x100000);
    }
    assert_int_equal(dt_parse(fdt, &bi, &why), 0);
    assert_int_equal(bi.nr_reserved, MAX_RESERVED);
    for (unsigned i = 0; i < MAX_RESERVED; i++) {
        assert_int_equal(pa_addr(bi.reserved[i].start), 0x50000000 + i * 0x100000);
        assert_int_equal(bi.reserved[i].size, 0x100000);
    }

    add_reserved_child("r@58000000", 0x58000000, 0x100000);
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -E2BIG);
    assert_non_null(why);
    assert_non_null(strstr(why, "reserved"));

    /* 8 children and one /memreserve/ entry: still 9. */
    del_node("/reserved-memory/r@58000000");
    assert_int_equal(fdt_add_mem_rsv(fdt, 0x48000000, 0x1000), 0);
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -E2BIG);
    assert_non_null(strstr(why, "reserved"));

    /* 9 /memreserve/ entries alone. */
    del_node("/reserved-memory");
    for (unsigned i = 1; i < MAX_RESERVED + 1; i++)
        assert_int_equal(fdt_add_mem_rsv(fdt, 0x48000000 + i * 0x10000, 0x1000), 0);
    assert_int_equal(fdt_num_mem_rsv(fdt), MAX_RESERVED + 1);
    why = NULL;
    assert_int_equal(dt_parse(fdt, &bi, &why), -E2BIG);
    assert_non_null(strstr(why, "reserved"));
}

/* ------------------------------------------------------------------------ */
/* Hostile cell counts                                                       */
/* ------------------------------------------------------------------------ */

static int parse_expect_error(void)
{
    struct boot_info bi;
    const char *why = NULL;
    return dt_parse(fdt, &bi, &why) < 0 && why ? 0 : 3;
}

/* Root #address-cells = 0 and #size-cells = 0: a memory reg cannot be split
 * into pairs; the parser must say so, not divide by zero. */
static void test_memory_with_zero_root_cells_is_an_error(void **state unused)
{
    CELLS("/", "#address-cells", 0);
    CELLS("/", "#size-cells", 0);
    run_isolated(parse_expect_error, "#address-cells = #size-cells = 0");
}

/* A huge root #address-cells (0x40000000): refused without integer overflow. */
static void test_memory_with_huge_root_cells_is_an_error(void **state unused)
{
    CELLS("/", "#address-cells", 0x40000000);
    run_isolated(parse_expect_error, "#address-cells = 0x40000000");
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_parse_qemu_virt_tree),
        T(test_parse_memory_banks),
        T(test_parse_too_many_memory_banks),
        T(test_missing_memory_is_an_error),
        T(test_memory_reg_with_bad_length_is_an_error),
        T(test_missing_cpus_is_an_error),
        T(test_cpus_without_cpu_or_reg_is_an_error),
        T(test_cpu_mpidr_cells_and_limits),
        T(test_cpus_bad_address_cells),
        T(test_empty_device_type_is_not_a_cpu),
        T(test_psci_conduit),
        T(test_psci_empty_method_is_none),
        T(test_bootargs),
        T(test_dt_header),
        T(test_dt_check),
        T(test_console_by_path_with_options),
        T(test_console_by_alias),
        T(test_console_path_without_nul),
        T(test_console_missing_stdout_path),
        T(test_console_not_pl011),
        T(test_console_below_bus_with_identity_ranges),
        T(test_console_below_bus_translated),
        T(test_translate_overflow_refused),
        T(test_console_below_bus_untranslatable),
        T(test_console_without_reg),
        T(test_console_intid),
        T(test_console_intid_out_of_range_spi_is_none),
        T(test_reserved_none),
        T(test_reserved_one_region),
        T(test_reserved_several_regions),
        T(test_reserved_memreserve_counted),
        T(test_reserved_disabled_child_skipped),
        T(test_reserved_dynamic_region_refused),
        T(test_reserved_bad_reg_refused),
        T(test_reserved_too_many_refused),
        T(test_memory_with_zero_root_cells_is_an_error),
        T(test_memory_with_huge_root_cells_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
