/*
 * boot_dt.c — what granite reads from the board's device tree at boot.
 *
 * The DTB is untrusted input (a board vendor's or a user's file): every
 * property is length-checked, every failure says which node and property was
 * wrong.  Only what granite needs is read:
 *   /chosen/stdout-path   the console (a path or an alias, options after ':')
 *   device_type="memory"  RAM banks (reg, in the root's #address/#size-cells)
 *   /cpus/cpu@*           MPIDR of each CPU (reg)
 *   /psci                 the PSCI conduit (method = "smc" | "hvc")
 *   /chosen/bootargs      granite's options (core/options.c)
 * Device addresses in `reg` are translated through each parent bus's `ranges`
 * (the ZCU102's UARTs sit under /axi, a simple-bus with an empty `ranges`).
 *
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#include <libfdt.h>
#include <granite/boot.h>
#include <granite/errno.h>
#include <granite/console.h>
#include <granite/drivers.h>

#define MAX_FDT_SIZE (2UL << 20) /* the arm64 boot protocol's limit */

/* Messages that name a node are formatted here (boot is single-threaded). */
static char msg[160];

__boot const char *dt_node_msg(const void *fdt, int node, const char *what)
{
    char path[96];
    if (fdt_get_path(fdt, node, path, sizeof(path)) < 0)
        snprintf(path, sizeof(path), "(node at offset %d)", node);
    snprintf(msg, sizeof(msg), "%s: %s", path, what);
    return msg;
}

__boot u64 dt_read_cells(const fdt32_t *p, int cells)
{
    u64 v = 0;
    for (int i = 0; i < cells; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

static __boot int cells_of(const void *fdt, int parent, const char *name, int dflt)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, parent, name, &len);
    if (!p || len != 4)
        return dflt;
    return (int)fdt32_to_cpu(*p);
}

static __boot bool node_enabled(const void *fdt, int node)
{
    int len;
    const char *s = fdt_getprop(fdt, node, "status", &len);
    return !s || (len >= 2 && (!strncmp(s, "okay", len) || !strncmp(s, "ok", len)));
}

__boot int dt_header(const void *fdt, u64 *size, const char **why)
{
    if (fdt_magic(fdt) != FDT_MAGIC) {
        *why = "bad magic: this is not a flattened device tree";
        return -EINVAL;
    }
    *size = fdt_totalsize(fdt);
    if (*size < sizeof(struct fdt_header) || *size > MAX_FDT_SIZE) {
        *why = "totalsize is below the header size or above 2 MiB";
        return -EINVAL;
    }
    return 0;
}

__boot int dt_check(const void *fdt, u64 max_size, const char **why)
{
    int err;

    if (fdt_magic(fdt) != FDT_MAGIC) {
        *why = "bad magic: this is not a flattened device tree";
        return -EINVAL;
    }
    if (fdt_totalsize(fdt) > max_size || fdt_totalsize(fdt) > MAX_FDT_SIZE) {
        *why = "totalsize larger than 2 MiB";
        return -EINVAL;
    }
    err = fdt_check_header(fdt);
    if (err) {
        *why = fdt_strerror(err);
        return -EINVAL;
    }
    return 0;
}

/* reg[0] of `node`, in its parent's cells. */
static __boot int node_reg(const void *fdt, int node, u64 *addr, u64 *size, const char **why)
{
    int parent = fdt_parent_offset(fdt, node);
    int ac = cells_of(fdt, parent, "#address-cells", 2);
    int sc = cells_of(fdt, parent, "#size-cells", 1);
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    if (ac < 1 || ac > 2 || sc < 0 || sc > 2) {
        *why = "unsupported #address-cells/#size-cells";
        return -EINVAL;
    }
    if (!reg || len < (ac + sc) * 4) {
        *why = "missing or short 'reg'";
        return -EINVAL;
    }
    *addr = dt_read_cells(reg, ac);
    *size = sc ? dt_read_cells(reg + ac, sc) : 0;
    return 0;
}

/*
 * One bus level of address translation (DT spec 2.3.8): `addr` (a child
 * address of `bus`) as an address of bus's parent.  An empty `ranges` is the
 * identity; a missing one means the bus's children are not memory-mapped.
 * The whole range [addr, addr + size) must fall inside one entry, and its
 * translation must not run past 2^64.
 */
static __boot int translate_one(const void *fdt, int bus, u64 *addr, u64 size, const char **why)
{
    int parent = fdt_parent_offset(fdt, bus), len;
    int cac = cells_of(fdt, bus, "#address-cells", 2), csc = cells_of(fdt, bus, "#size-cells", 1);
    int pac = cells_of(fdt, parent, "#address-cells", 2);
    const fdt32_t *r = fdt_getprop(fdt, bus, "ranges", &len);
    int entry = cac + pac + csc;

    if (!r) {
        *why = "a parent bus has no 'ranges': its addresses are not the CPU's";
        return -EINVAL;
    }
    if (len == 0)
        return 0;
    if (cac < 1 || cac > 2 || pac < 1 || pac > 2 || csc < 1 || csc > 2 || len % (entry * 4)) {
        *why = "a parent bus's 'ranges' is not whole entries of 1- or 2-cell values";
        return -EINVAL;
    }
    for (int i = 0; i < len / (entry * 4); i++) {
        const fdt32_t *e = r + i * entry;
        u64 child = dt_read_cells(e, cac), paddr = dt_read_cells(e + cac, pac);
        u64 rsize = dt_read_cells(e + cac + pac, csc);
        if (*addr >= child && *addr - child < rsize && size <= rsize - (*addr - child)) {
            u64 off = *addr - child;
            if (off > ~0ULL - paddr || size > ~0ULL - (paddr + off)) {
                *why = "a parent bus's 'ranges' maps its 'reg' past the end of the 64-bit "
                       "address space";
                return -EINVAL;
            }
            *addr = paddr + off;
            return 0;
        }
    }
    *why = "its 'reg' lies outside every 'ranges' entry of a parent bus";
    return -EINVAL;
}

__boot int dt_translate(const void *fdt, int node, u64 *addr, u64 size, const char **why)
{
    int depth = 0;

    if (size > ~0ULL - *addr) {
        *why = "its 'reg' base + size runs past the end of the 64-bit address space";
        return -EINVAL;
    }
    for (int bus = fdt_parent_offset(fdt, node); bus > 0; bus = fdt_parent_offset(fdt, bus)) {
        if (++depth > 8) {
            *why = "buses nested more than 8 deep";
            return -EINVAL;
        }
        if (translate_one(fdt, bus, addr, size, why))
            return -EINVAL;
    }
    return 0;
}

/* The first of the node's compatible strings a console driver registered
 * (drivers.h) drives, or NULL: boot_dt names no UART itself. */
static __boot const char *console_compatible(const void *fdt, int node)
{
    int n = fdt_stringlist_count(fdt, node, "compatible");

    for (int i = 0; i < n; i++) {
        const char *c = fdt_stringlist_get(fdt, node, "compatible", i, NULL);
        const struct driver *drv = c ? driver_by_compatible(DRIVER_CONSOLE, c) : NULL;
        if (drv)
            return drv->compatible;
    }
    return NULL;
}

/* No /chosen/stdout-path at all (told apart from one that names nothing). */
#define NO_STDOUT_PATH (-FDT_ERR_NOTFOUND - 1000)

__boot int dt_console_node(const void *fdt)
{
    int chosen = fdt_path_offset(fdt, "/chosen"), len, plen;
    const char *path = chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", &len) : NULL;

    if (!path || len < 2)
        return NO_STDOUT_PATH;
    for (plen = 0; plen < len && path[plen] && path[plen] != ':'; plen++)
        ;
    if (path[0] == '/')
        return fdt_path_offset_namelen(fdt, path, plen);
    const char *alias = fdt_get_alias_namelen(fdt, path, plen);
    return alias ? fdt_path_offset(fdt, alias) : -FDT_ERR_NOTFOUND;
}

__boot int dt_find_console(const void *fdt, pa_t *base, const char **compat, const char **why)
{
    int node = dt_console_node(fdt);
    u64 addr, size;

    if (node == NO_STDOUT_PATH) {
        *why = "/chosen/stdout-path is missing";
        return -ENOENT;
    }
    if (node < 0) {
        *why = "/chosen/stdout-path names no node";
        return -ENOENT;
    }
    *compat = console_compatible(fdt, node);
    if (!*compat) {
        *why = dt_node_msg(fdt, node, "stdout-path names a device no console driver drives");
        return -ENODEV;
    }
    if (node_reg(fdt, node, &addr, &size, why) || dt_translate(fdt, node, &addr, size, why)) {
        *why = dt_node_msg(fdt, node, *why);
        return -EINVAL;
    }
    *base = pa(addr);
    return 0;
}

/* The console's interrupt as a GIC INTID (SPI n -> 32 + n), 0 if it has none. */
__boot u32 dt_console_intid(const void *fdt)
{
    int len, node = dt_console_node(fdt);
    const fdt32_t *irq;

    /* GICv3 binding: 3 cells (type, number, flags); SPIs are 0..987. */
    irq = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;
    if (!irq || len != 12 || fdt32_to_cpu(irq[0]) != 0 /* SPI */ ||
        fdt32_to_cpu(irq[1]) > 987)
        return 0;
    return fdt32_to_cpu(irq[1]) + 32;
}

/* A string property equal to `want` (not merely a prefix of it). */
static __boot bool prop_is(const void *fdt, int node, const char *name, const char *want)
{
    int len;
    const char *v = fdt_getprop(fdt, node, name, &len);
    return v && len == (int)strlen(want) + 1 && !memcmp(v, want, (size_t)len);
}

static __boot int parse_memory(const void *fdt, struct boot_info *bi, const char **why)
{
    int ac = cells_of(fdt, 0, "#address-cells", 2), sc = cells_of(fdt, 0, "#size-cells", 1);
    int node;

    if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
        *why = "/: #address-cells and #size-cells must be 1 or 2";
        return -EINVAL;
    }
    bi->nr_mem = 0;
    fdt_for_each_subnode(node, fdt, 0) {
        int len;
        const fdt32_t *reg;
        if (!prop_is(fdt, node, "device_type", "memory") || !node_enabled(fdt, node))
            continue;
        reg = fdt_getprop(fdt, node, "reg", &len);
        if (!reg || len == 0 || len % ((ac + sc) * 4)) {
            *why = dt_node_msg(fdt, node, "'reg' is missing or not a whole number of "
                                       "(address, size) pairs in the root's cells");
            return -EINVAL;
        }
        for (int i = 0; i < len / ((ac + sc) * 4); i++) {
            u64 start = dt_read_cells(reg + i * (ac + sc), ac);
            u64 size = dt_read_cells(reg + i * (ac + sc) + ac, sc);
            if (!size)
                continue;
            if (bi->nr_mem == MAX_MEM_BANKS) {
                *why = "more than 8 memory banks";
                return -E2BIG;
            }
            bi->mem[bi->nr_mem++] = (struct mem_range){ pa(start), size };
        }
    }
    if (!bi->nr_mem) {
        *why = "no /memory node (device_type = \"memory\") with a non-empty 'reg'";
        return -ENOENT;
    }
    return 0;
}

static __boot int parse_cpus(const void *fdt, struct boot_info *bi, const char **why)
{
    int cpus = fdt_path_offset(fdt, "/cpus"), node;
    int ac;

    if (cpus < 0) {
        *why = "no /cpus node";
        return -ENOENT;
    }
    ac = cells_of(fdt, cpus, "#address-cells", 2);
    if (ac < 1 || ac > 2) {
        *why = "/cpus: #address-cells must be 1 or 2";
        return -EINVAL;
    }
    bi->nr_cpus = 0;
    fdt_for_each_subnode(node, fdt, cpus) {
        int len;
        const fdt32_t *reg;
        if (!prop_is(fdt, node, "device_type", "cpu") || !node_enabled(fdt, node))
            continue;
        reg = fdt_getprop(fdt, node, "reg", &len);
        if (!reg || len < ac * 4) {
            *why = dt_node_msg(fdt, node, "no 'reg' (the CPU's MPIDR)");
            return -EINVAL;
        }
        if (bi->nr_cpus == MAX_CPUS_DT)
            break; /* extra CPUs stay off: granite says how many it uses */
        bi->cpu_mpidr[bi->nr_cpus++] = dt_read_cells(reg, ac);
    }
    if (!bi->nr_cpus) {
        *why = "/cpus has no cpu node";
        return -ENOENT;
    }
    return 0;
}

static __boot void parse_psci(const void *fdt, struct boot_info *bi)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");

    if (node < 0)
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-1.0");
    if (node < 0)
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci");
    bi->psci = PSCI_CONDUIT_NONE;
    if (node >= 0 && prop_is(fdt, node, "method", "smc"))
        bi->psci = PSCI_CONDUIT_SMC;
    else if (node >= 0 && prop_is(fdt, node, "method", "hvc"))
        bi->psci = PSCI_CONDUIT_HVC;
}

__boot const char *dt_bootargs(const void *fdt)
{
    int chosen = fdt_path_offset(fdt, "/chosen"), len;
    const char *s = chosen >= 0 ? fdt_getprop(fdt, chosen, "bootargs", &len) : NULL;

    if (s && (len < 1 || s[len - 1] != '\0'))
        return NULL; /* not NUL-terminated: ignore rather than overrun */
    return s;
}

/*
 * /reserved-memory children (DT spec 3.5.4) and /memreserve/ entries: host
 * memory firmware or devices own.  granite never hands it out; dom0 gets the
 * regions 1:1.  Dynamic regions (a `size` without `reg`) are refused: granite
 * allocates nothing on a board's behalf.
 */
static __boot int add_reserved(struct boot_info *bi, u64 addr, u64 size, bool dom0,
                               const char **why)
{
    if (bi->nr_reserved == MAX_RESERVED) {
        *why = "more than 8 reserved memory regions";
        return -E2BIG;
    }
    bi->reserved_for_dom0[bi->nr_reserved] = dom0;
    bi->reserved[bi->nr_reserved++] = (struct mem_range){ pa(addr), size };
    return 0;
}

/* Every (address, size) pair of a /reserved-memory child's reg. */
static __boot int add_reserved_node(const void *fdt, int node, struct boot_info *bi,
                                    const char **why)
{
    int parent = fdt_parent_offset(fdt, node), len, ret;
    int ac = cells_of(fdt, parent, "#address-cells", 2), sc = cells_of(fdt, parent, "#size-cells", 1);
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    if (!reg) {
        *why = dt_node_msg(fdt, node, "a dynamically placed region (no 'reg'): granite "
                                   "does not allocate reserved memory");
        return -EINVAL;
    }
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2 || len == 0 || len % ((ac + sc) * 4)) {
        *why = dt_node_msg(fdt, node, "'reg' is not whole (address, size) pairs of 1 or 2 cells");
        return -EINVAL;
    }
    for (int i = 0; i < len / ((ac + sc) * 4); i++) {
        u64 addr = dt_read_cells(reg + i * (ac + sc), ac);
        u64 size = dt_read_cells(reg + i * (ac + sc) + ac, sc);
        if (!size || !IS_ALIGNED(addr, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
            addr + size < addr) {
            *why = dt_node_msg(fdt, node, "'reg' must be non-empty, page-aligned ranges that "
                                       "do not wrap");
            return -EINVAL;
        }
        if ((ret = add_reserved(bi, addr, size, true, why)))
            return ret;
    }
    return 0;
}

/*
 * /reserved-memory children (DT spec 3.5.4): host memory devices or firmware
 * own; granite never hands it out, and dom0 gets it 1:1 (as on Xen).
 * /memreserve/ entries: only kept from the allocator, rounded out to pages
 * (U-Boot reserves the DTB blob this way, at any alignment).  Dynamic regions
 * (a `size` without `reg`) are refused: granite allocates nothing on a
 * board's behalf.
 */
static __boot int parse_reserved(const void *fdt, struct boot_info *bi, const char **why)
{
    int parent = fdt_path_offset(fdt, "/reserved-memory"), node, ret;

    bi->nr_reserved = 0;
    for (int i = 0; i < fdt_num_mem_rsv(fdt); i++) {
        u64 addr, size;
        if (fdt_get_mem_rsv(fdt, i, &addr, &size) || !size)
            continue;
        if (addr + size < addr) {
            *why = "a /memreserve/ entry wraps around the address space";
            return -EINVAL;
        }
        u64 start = ALIGN_DOWN(addr, PAGE_SIZE), end = ALIGN_UP(addr + size, PAGE_SIZE);
        if ((ret = add_reserved(bi, start, end - start, false, why)))
            return ret;
    }
    if (parent < 0)
        return 0;
    fdt_for_each_subnode(node, fdt, parent) {
        if (node_enabled(fdt, node) && (ret = add_reserved_node(fdt, node, bi, why)))
            return ret;
    }
    return 0;
}

__boot int dt_parse(const void *fdt, struct boot_info *bi, const char **why)
{
    int ret;

    bi->fdt = fdt;
    bi->fdt_size = fdt_totalsize(fdt);
    bi->bootargs = dt_bootargs(fdt);
    ret = parse_memory(fdt, bi, why);
    if (!ret)
        ret = parse_cpus(fdt, bi, why);
    if (!ret)
        ret = parse_reserved(fdt, bi, why);
    if (ret)
        return ret;
    parse_psci(fdt, bi);
    return 0;
}
