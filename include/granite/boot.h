/*
 * boot.h — things that exist only while granite boots.
 *
 * Code marked __boot lands in .text.boot with libfdt.  It may run with FP/SIMD
 * enabled at EL2 (Debian's libfdt.a is auto-vectorised); once the first guest
 * is about to start, boot_phase_end() traps FP/SIMD at EL2 for good, so calling
 * any of it later faults loudly.  tools/check-fpsimd proves at build time that
 * no FP/SIMD instruction exists outside .text.boot.
 */
#ifndef GRANITE_BOOT_H
#define GRANITE_BOOT_H

#include <granite/types.h>
#include <granite/page_alloc.h>
#include <libfdt_env.h>

#define __boot __attribute__((section(".text.boot")))

#define MAX_CPUS_DT 8
#define MAX_MEM_BANKS 8
#define MAX_RESERVED 8

enum psci_conduit { PSCI_CONDUIT_NONE, PSCI_CONDUIT_SMC, PSCI_CONDUIT_HVC };

/* What granite learned from the board's DTB. */
struct boot_info {
    const void *fdt;
    u64 fdt_size;
    struct mem_range mem[MAX_MEM_BANKS];
    unsigned nr_mem;
    struct mem_range reserved[MAX_RESERVED]; /* /reserved-memory and /memreserve/ */
    bool reserved_for_dom0[MAX_RESERVED];    /* a /reserved-memory region: mapped 1:1 in dom0 */
    unsigned nr_reserved;
    u64 cpu_mpidr[MAX_CPUS_DT];
    unsigned nr_cpus;
    enum psci_conduit psci;
    const char *bootargs;
    pa_t console_pa;
    u32 console_intid;
    const char *console_compat;
};

/* core/boot_dt.c */
#define DT_HEADER_SIZE 40
/* Magic and size from the header alone (only its 40 bytes need be mapped). */
int dt_header(const void *fdt, u64 *size, const char **why);
/* The whole blob, once mapped: libfdt's structural checks. */
int dt_check(const void *fdt, u64 max_size, const char **why);
int dt_find_console(const void *fdt, pa_t *base, const char **compat, const char **why);
/* The node /chosen/stdout-path names (a path or an alias, options after ':'),
 * or a negative number when there is none. */
int dt_console_node(const void *fdt);
int dt_parse(const void *fdt, struct boot_info *bi, const char **why);
/* A device address of `node` (its size `size`) as a CPU physical address:
 * translated through every parent bus's `ranges`.  -EINVAL (*why says why)
 * when a bus has no `ranges`, no entry holds the whole range, or the range,
 * given or translated, runs past 2^64. */
int dt_translate(const void *fdt, int node, u64 *addr, u64 size, const char **why);
/* A big-endian value of `cells` 32-bit cells (1 or 2), as in `reg`. */
u64 dt_read_cells(const fdt32_t *p, int cells);
/* "<node path>: <what>", in a static buffer (boot is single-threaded). */
const char *dt_node_msg(const void *fdt, int node, const char *what);
/* The console's interrupt as a GIC INTID, 0 if none. */
u32 dt_console_intid(const void *fdt);
/* /chosen/bootargs, or NULL when absent or not NUL-terminated. */
const char *dt_bootargs(const void *fdt);

/* A boot-time failure: say why on whatever console exists, then stop. */
noreturn_fn void boot_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
