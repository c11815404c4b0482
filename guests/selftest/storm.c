/*
 * storm.c — test=storm: a hostile domU with all its vCPUs (2-4) throwing a
 * seeded random storm of operations at every guest entry point granite has,
 * at once, in the spirit of Xen's XTF.  Command line:
 *
 *   test=storm seed=S ops=N [end=off|abort]
 *
 * S seeds one PRNG stream per vCPU (splitmix64 of S and the vCPU number), N
 * operations are shared out between the vCPUs.  An operation's arguments are
 * drawn from its vCPU's stream only, never from results or timing, so a seed
 * replays the same sequence on each vCPU (the interleaving between vCPUs and
 * the answers may differ).  The classes:
 *
 *   console   console_io writes (short, from bad pointers, across the end of
 *             RAM, too long), unknown commands, reads
 *   grant     self-maps of our own grants (held, released, batches of 512 at
 *             the limit and 513 over it), bad refs / domains / host_addr /
 *             flags, unmaps with bad handles, copies (page end, exact end,
 *             len 0, through grefs, to read-only grants), grant entries
 *             revoked and scribbled while other vCPUs map them,
 *             setup_table / query_size, bad op arrays
 *   evtchn    alloc_unbound, loopback bind_interdomain, send, close, status,
 *             unmask, bind_vcpu, bind_virq on random ports and vCPUs
 *   memory    add_to_physmap of shared_info and grant frames at random GFNs,
 *             bad spaces, domains, GFNs, unknown memory_op commands
 *   vcpu_op   __HYPERVISOR_vcpu_op with random commands, vCPUs and arguments
 *   sched     yield, unknown commands, shutdown with a bad pointer or an
 *             unknown reason (never a real one: that would end the storm)
 *   vgic      8/16/32/64-bit reads and writes at aligned offsets all over the
 *             distributor and every redistributor frame
 *   vpl011    the same over the emulated PL011's 4 KiB
 *   sgi       ICC_SGI1R / ASGI1R / SGI0R with random target lists
 *   psci      CPU_ON (of each vCPU, of vCPUs that do not exist), CPU_OFF of
 *             oneself (not vCPU 0), AFFINITY_INFO, FEATURES, unknown calls
 *   wfi       WFI with the virtual timer armed, WFE
 *   garbage   hypercalls (any number but sched_op) whose arguments are bad
 *             pointers, random numbers, or a scratch page of random bytes
 *
 * What keeps the storm itself alive (it is hostile to granite, not to
 * itself): accesses are aligned and go only to emulated device ranges (an
 * access elsewhere is a stage-2 abort, which destroys the domain: end=abort
 * does that on purpose, after the tally); writes never switch off what WFI
 * needs to wake up — the virtual timer PPI 27 of each vCPU and the
 * distributor's group enable (protect_write() below); PSTATE.I stays masked
 * and pending interrupts are acknowledged by hand; hypercalls that write
 * through a pointer only get pointers to scratch memory or to nothing; CPU_ON
 * of a real vCPU always names the real entry point and context.
 *
 * At the end vCPU 0 waits for the others (switching back on any that went
 * off), prints a per-class tally, checks that the basic services still give
 * the right answers (a self-map reads the page, a copy lands, a loopback
 * event is delivered, xen_version answers) and prints PASS or FAIL.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <libfdt.h>
#include "guest.h"
#include "xen.h"
#include "storm.h"
#include "page.h"
#include <public/xen.h>
#include <public/version.h>
#include <public/sched.h>
#include <public/memory.h>
#include <public/hvm_params.h>
#include <public/granite.h>
#include <granite/psci.h>

#define INTID_VTIMER_PPI 27
#define GICD_SIZE 0x10000UL
#define GICR_STRIDE 0x20000UL
#define GICR_SGI_FRAME 0x10000UL
#define GICR_ISENABLER0 (GICR_SGI_FRAME + 0x100)
#define GICR_IPRIORITYR0 (GICR_SGI_FRAME + 0x400)
#define UART_SIZE 0x1000UL
#define TIMER_PRIO 0x80

/* --- PRNG ------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15UL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
    return z ^ (z >> 31);
}

void prng_seed(struct prng *p, uint64_t seed, unsigned stream)
{
    uint64_t x = seed ^ ((uint64_t)(stream + 1) * 0xd1342543de82ef95UL);
    p->s = splitmix64(&x);
    if (!p->s)
        p->s = 1; /* xorshift's one fixed point */
}

uint64_t prng_next(struct prng *p)
{
    p->s ^= p->s >> 12;
    p->s ^= p->s << 25;
    p->s ^= p->s >> 27;
    return p->s * 0x2545f4914f6cdd1dUL;
}

uint32_t prng_below(struct prng *p, uint32_t n) { return (uint32_t)((prng_next(p) >> 32) % n); }

/* --- command line, devices, identity ----------------------------------------- */

uint64_t storm_arg_seed(uint64_t dflt)
{
    char buf[24];
    return guest_arg("seed", buf, sizeof(buf)) ? strtoull(buf, NULL, 0) : dflt;
}

unsigned storm_arg_uint(const char *key, unsigned dflt)
{
    char buf[16];
    return guest_arg(key, buf, sizeof(buf)) ? (unsigned)strtoul(buf, NULL, 0) : dflt;
}

static unsigned count_cpus(const void *fdt)
{
    unsigned n = 0;
    for (int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "cpu", 4); node >= 0;
         node = fdt_node_offset_by_prop_value(fdt, node, "device_type", "cpu", 4))
        n++;
    return n;
}

int storm_find_devices(const struct guest_info *gi, struct storm_devices *dev)
{
    int len, node = fdt_node_offset_by_compatible(gi->fdt, -1, "arm,gic-v3");
    const fdt64_t *reg = node >= 0 ? fdt_getprop(gi->fdt, node, "reg", &len) : NULL;
    int unode = fdt_node_offset_by_compatible(gi->fdt, -1, "arm,pl011"), ulen;
    const fdt64_t *ureg = unode >= 0 ? fdt_getprop(gi->fdt, unode, "reg", &ulen) : NULL;

    if (!reg || len < 32)
        return -1;
    dev->gicd = (volatile uint8_t *)fdt64_to_cpu(reg[0]);
    dev->gicr = (volatile uint8_t *)fdt64_to_cpu(reg[2]);
    dev->nr_vcpus = count_cpus(gi->fdt);
    if (dev->nr_vcpus > STORM_MAX_VCPUS)
        dev->nr_vcpus = STORM_MAX_VCPUS;
    /* Only the frames of vCPUs that exist are emulated: the DTB's region may
     * be bigger, and an access beyond them is a stage-2 abort. */
    dev->gicr_size = (uint64_t)dev->nr_vcpus * GICR_STRIDE;
    dev->uart = ureg ? (volatile uint8_t *)fdt64_to_cpu(ureg[0]) : NULL;
    return 0;
}

int storm_own_domid(uint64_t gfn, uint64_t host_addr)
{
    const grant_ref_t probe = 15;

    for (int id = 0; id < 8; id++) {
        grant_handle_t h;
        uint64_t dba;
        gnttab_grant(probe, (domid_t)id, gfn, GRANT_READ_ONLY);
        if (gnttab_map(DOMID_SELF, probe, host_addr, GRANT_READ_ONLY, &h, &dba) == GNTST_okay) {
            gnttab_unmap(host_addr, h);
            gnttab_revoke(probe);
            return id;
        }
    }
    gnttab_revoke(probe);
    return -1;
}

/* --- interrupts with PSTATE.I masked ---------------------------------------- */

unsigned storm_drain_irqs(void)
{
    unsigned n = 0;

    for (; n < 64; n++) {
        uint64_t iar;
        __asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(iar)); /* ICC_IAR1_EL1 */
        if ((iar & 0xffffff) >= 1020)
            break;
        __asm__ volatile("msr S3_0_C12_C12_1, %0; isb" : : "r"(iar)); /* ICC_EOIR1_EL1 */
    }
    return n;
}

void storm_timer_ppi_on(const struct storm_devices *dev, unsigned vcpu)
{
    volatile uint8_t *rd = dev->gicr + (uint64_t)vcpu * GICR_STRIDE;
    mmio_write8(rd + GICR_IPRIORITYR0 + INTID_VTIMER_PPI, TIMER_PRIO);
    mmio_write32(rd + GICR_ISENABLER0, 1U << INTID_VTIMER_PPI);
}

void storm_timed_wfi(const struct storm_devices *dev, unsigned vcpu, uint64_t us)
{
    storm_timer_ppi_on(dev, vcpu);
    vtimer_arm_us(us);
    wait_for_interrupt(); /* masked: wakes for a pending interrupt, takes none */
    vtimer_stop();
    storm_drain_irqs();
}

/* --- the storm's state ---------------------------------------------------------- */

enum op_class {
    C_CONSOLE, C_GRANT, C_EVTCHN, C_MEMORY, C_VCPU_OP, C_SCHED, C_VGIC, C_VPL011, C_SGI,
    C_PSCI, C_WFI, C_GARBAGE, NR_CLASSES
};

static const char *const class_names[NR_CLASSES] = {
    "console_io", "grant", "evtchn", "memory_op", "vcpu_op", "sched_op", "vgic", "vpl011",
    "sgi", "psci", "wfi", "garbage",
};

/*
 * Relative weights (each table sums to 100).  An operation is "loud" (drawn
 * with probability loud/1000, the command line's loud=, default 30) when it
 * is one granite refuses with a log line: under TCG a console line costs
 * about 2 ms, so a storm of 10^5 operations fits in seconds only if most of
 * them are quiet — valid but hostile: racing, at the limits, at every valid
 * register.  With a rate-limited log in granite, loud=1000 makes every
 * operation a refused one.
 */
static const unsigned quiet_weight[NR_CLASSES] = {
    [C_CONSOLE] = 2, [C_GRANT] = 22, [C_EVTCHN] = 18, [C_SCHED] = 3, [C_VGIC] = 22,
    [C_VPL011] = 10, [C_SGI] = 6, [C_PSCI] = 7, [C_WFI] = 10,
};
static const unsigned loud_weight[NR_CLASSES] = {
    [C_CONSOLE] = 8, [C_GRANT] = 14, [C_EVTCHN] = 12, [C_MEMORY] = 8, [C_VCPU_OP] = 4,
    [C_SCHED] = 6, [C_VGIC] = 14, [C_VPL011] = 6, [C_SGI] = 6, [C_PSCI] = 8, [C_WFI] = 2,
    [C_GARBAGE] = 12,
};

#define HELD_MAPS 32      /* self-mappings a vCPU may keep across operations */
#define BATCH 512         /* GNTTAB_MAX_BATCH */
#define ZONE_PAGES 768    /* grant-window pages of one vCPU: held maps, then a batch */
#define ZONE_FIRST 128    /* window page where vCPU 0's zone starts */
#define PHYSMAP_FIRST 2   /* window pages add_to_physmap may use: [2, 66) */
#define PHYSMAP_PAGES 64
#define GPAGES 16         /* our pages granted to ourselves */
#define REF_RW (GRANT_REF_FIRST_UNRESERVED + 8) /* 16..31: gpages rw; 32..47: the same read-only */
#define REF_RO (REF_RW + GPAGES)
#define REF_SCRIBBLE 48   /* refs 48..63: entries the storm scribbles on */
#define REF_RANGE 80
#define MY_PORTS 16

struct held_map {
    uint64_t host_addr;
    grant_handle_t handle;
    bool used;
};

union batch_buf {
    struct gnttab_map_grant_ref map[BATCH + 1];
    struct gnttab_unmap_grant_ref unmap[BATCH + 1];
    struct gnttab_copy copy[BATCH + 1];
};

struct vstate {
    struct prng rng;
    unsigned id, next_op, ops;
    unsigned tally[NR_CLASSES];
    unsigned hv_errors; /* negative hypercall results: refused, as intended */
    unsigned loud;      /* operations drawn to be refused with a log line */
    volatile unsigned cur_class, cur_sub, stage; /* what it is doing now: for the stall report */
    volatile bool done;
    struct held_map held[HELD_MAPS];
    evtchn_port_t ports[MY_PORTS];
    uint32_t bound; /* slots whose port is one end of a loopback channel */
    union batch_buf batch;
    uint8_t scratch[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
} __attribute__((aligned(64)));

static struct vstate vs[STORM_MAX_VCPUS];
static uint8_t gpages[GPAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct storm_devices dev;
static int own_domid;
static uint64_t window, ram_base, ram_end, storm_seed;
/* RAM pages add_to_physmap may cover with shared_info or a grant frame. */
#define SACRIFICIAL_PAGES 16
static uint8_t sacrificial[SACRIFICIAL_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static uint64_t zone_page(unsigned vcpu, unsigned i)
{
    return window + (uint64_t)(ZONE_FIRST + vcpu * ZONE_PAGES + i) * PAGE_SIZE;
}

static long note(struct vstate *s, long r)
{
    if (r < 0)
        s->hv_errors++;
    return r;
}

/* A pointer a hypercall must refuse (or, the last two, may use: our scratch). */
static uint64_t bad_ptr(struct vstate *s)
{
    switch (prng_below(&s->rng, 11)) {
    case 0: return 0;
    case 1: return ram_end + (uint64_t)prng_below(&s->rng, 1024) * PAGE_SIZE; /* no stage 2 */
    case 2: return 0xffff000000000000UL | (prng_next(&s->rng) & 0xfffffffff8UL); /* TTBR1: off */
    case 3: return 0x7f000000UL;                                         /* nothing there */
    case 4: return ram_end - 8;                                          /* across RAM's end */
    case 5: return prng_next(&s->rng);
    case 6: return window + 0x800000UL;                     /* grant window, nothing mapped */
    case 7: return (uint64_t)dev.gicd + 0x100;              /* an emulated device */
    case 8: return 1UL << 48;                               /* beyond the IPA space */
    case 9: return (uint64_t)s->scratch + 1 + prng_below(&s->rng, 7); /* misaligned */
    default: return (uint64_t)s->scratch + PAGE_SIZE - 4;        /* valid, then our next page */
    }
}

/* --- console_io ------------------------------------------------------------------ */

static void op_console(struct vstate *s, bool loud)
{
    static const char noise[] = "storm noise ";
    uint64_t n = 1 + prng_below(&s->rng, sizeof(noise) - 1);

    if (!loud) { /* nothing to print: an empty write, or a read */
        note(s, xen_hypercall(__HYPERVISOR_console_io, prng_below(&s->rng, 2) ? CONSOLEIO_write
                                                                              : CONSOLEIO_read,
                              0, (uint64_t)noise, 0, 0));
        return;
    }
    switch (prng_below(&s->rng, 6)) {
    case 0: /* no newline: bytes pile up in the domain's line buffer from all vCPUs */
    case 1:
        note(s, xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, n, (uint64_t)noise, 0, 0));
        break;
    case 2:
        note(s, xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 1 + prng_below(&s->rng, 64),
                              bad_ptr(s), 0, 0));
        break;
    case 3:
        note(s, xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write,
                              prng_next(&s->rng) | (1UL << 20), (uint64_t)noise, 0, 0));
        break;
    case 4:
        note(s, xen_hypercall(__HYPERVISOR_console_io, 2 + prng_below(&s->rng, 100), n,
                              (uint64_t)noise, 0, 0));
        break;
    default:
        note(s, xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_read, n, (uint64_t)s->scratch,
                              0, 0));
        break;
    }
}

/* --- grants ---------------------------------------------------------------------- */

static grant_ref_t random_ref(struct vstate *s)
{
    switch (prng_below(&s->rng, 8)) {
    case 0: return 5000;
    case 1: return (grant_ref_t)prng_next(&s->rng);
    case 2: return prng_below(&s->rng, 4 * 512 + 8); /* around the biggest table */
    default: return prng_below(&s->rng, REF_RANGE);
    }
}

static domid_t random_dom(struct vstate *s)
{
    static const domid_t doms[] = { 0, 1, 2, 3, 7, DOMID_SELF, 0x7ff1, 0xffff };
    return prng_below(&s->rng, 2) ? DOMID_SELF : doms[prng_below(&s->rng, 8)];
}

static void grant_map_held(struct vstate *s, bool loud)
{
    unsigned i = prng_below(&s->rng, HELD_MAPS);
    struct held_map *m = &s->held[i];
    grant_ref_t ref = !loud || prng_below(&s->rng, 2) ? REF_RW + prng_below(&s->rng, 2 * GPAGES)
                                                      : random_ref(s);
    /* read-only maps of rw grants, and always of the read-only ones */
    bool ro = ref >= REF_RO || prng_below(&s->rng, 3) == 0;
    uint64_t dba;

    if (m->used) { /* release it instead */
        note(s, gnttab_unmap(m->host_addr, m->handle));
        m->used = false;
        return;
    }
    m->host_addr = zone_page(s->id, i);
    m->used = gnttab_map(DOMID_SELF, ref, m->host_addr, ro, &m->handle, &dba) == GNTST_okay;
    if (m->used && prng_below(&s->rng, 2))
        (void)*(volatile uint8_t *)m->host_addr; /* use it */
}

/*
 * Handles a batch may take (granite gives a domain GNTTAB_MAX_MAPS = 1024, the
 * held maps take up to 4 x 32): one vCPU at a time gets a whole batch of 512,
 * the others make do with 64, so that a quiet batch is never refused.
 */
static unsigned batch_budget = 1024 - STORM_MAX_VCPUS * HELD_MAPS - (STORM_MAX_VCPUS - 1) * 64;

static unsigned batch_take(unsigned want)
{
    unsigned have = __atomic_load_n(&batch_budget, __ATOMIC_RELAXED);
    while (have >= want)
        if (__atomic_compare_exchange_n(&batch_budget, &have, have - want, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return want;
    return 64;
}

static void batch_give(unsigned n)
{
    if (n > 64)
        __atomic_add_fetch(&batch_budget, n, __ATOMIC_ACQ_REL);
}

static void grant_batch_map(struct vstate *s, bool loud)
{
    /* at the limit, or (loud) just over it */
    unsigned n = loud && !prng_below(&s->rng, 4) ? BATCH + 1 : BATCH;
    grant_ref_t ref = REF_RW + prng_below(&s->rng, GPAGES);
    unsigned got = loud ? n : batch_take(n);
    struct gnttab_map_grant_ref *m = s->batch.map;
    struct gnttab_unmap_grant_ref *u = s->batch.unmap;
    unsigned k = 0;

    for (unsigned i = 0; i < n; i++)
        m[i] = (struct gnttab_map_grant_ref){
            .host_addr = zone_page(s->id, HELD_MAPS + i % (ZONE_PAGES - HELD_MAPS)),
            .flags = GNTMAP_host_map | (prng_below(&s->rng, 4) ? 0 : GNTMAP_readonly),
            .ref = !loud || prng_below(&s->rng, 64) ? ref : random_ref(s), /* a few bad ones */
            .dom = DOMID_SELF,
        };
    if (!loud)
        n = got;
    s->stage = 1;
    long r = gnttab_op(GNTTABOP_map_grant_ref, m, n);
    s->stage = 2;
    if (note(s, r)) {
        batch_give(loud ? 0 : got);
        return;
    }
    /* unmap what was mapped, in one batch (the unmap array is written over the map array
     * from the front, which is safe: entry k <= i is written after entry i was read) */
    for (unsigned i = 0; i < n; i++)
        if (m[i].status == GNTST_okay) {
            uint64_t host = m[i].host_addr;
            grant_handle_t h = m[i].handle;
            u[k++] = (struct gnttab_unmap_grant_ref){ .host_addr = host, .handle = h };
        }
    s->stage = 3;
    r = k ? gnttab_op(GNTTABOP_unmap_grant_ref, u, k) : 0;
    s->stage = 4;
    if (k && !note(s, r))
        for (unsigned i = 0; i < k; i++)
            if (u[i].status != GNTST_okay)
                printf("storm: vcpu%u: batch unmap %u of %u: status %d (the map succeeded)\n",
                       s->id, i, k, u[i].status);
    batch_give(loud ? 0 : got);
}

static void grant_bad_map(struct vstate *s)
{
    struct gnttab_map_grant_ref m = {
        .host_addr = zone_page(s->id, prng_below(&s->rng, ZONE_PAGES)),
        .flags = GNTMAP_host_map, .ref = random_ref(s), .dom = random_dom(s),
    };

    switch (prng_below(&s->rng, 6)) {
    case 0: m.host_addr += 8 + prng_below(&s->rng, PAGE_SIZE - 8) / 8 * 8; break; /* unaligned */
    case 1: m.host_addr = prng_below(&s->rng, 2) ? window : ram_base;        /* mapped */
            break;
    case 2: m.flags = (uint32_t)prng_next(&s->rng); break;
    case 3: m.flags = GNTMAP_host_map | GNTMAP_device_map; break;
    case 4: m.host_addr = bad_ptr(s) & ~(PAGE_SIZE - 1); break;
    default: break;
    }
    note(s, gnttab_op(GNTTABOP_map_grant_ref, &m, 1));
    if (m.status == GNTST_okay) { /* a random combination that was valid after all */
        struct gnttab_unmap_grant_ref u = { .host_addr = m.host_addr, .handle = m.handle };
        note(s, gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1));
    }
}

/*
 * An unmap with a random handle at a random page of this vCPU's zone: granite
 * must match both the handle and the address.  The zone's first HELD_MAPS
 * pages hold this vCPU's own maps (grant_map_held), so the draw can name one of
 * them with its very handle (about once in a hundred storms: handles go up to
 * 1,024).  That unmap is right to succeed, and the map is then released; any
 * other success is granite accepting a handle that does not map that address.
 */
static void grant_bad_unmap(struct vstate *s)
{
    unsigned page = prng_below(&s->rng, ZONE_PAGES);
    struct gnttab_unmap_grant_ref u = {
        .host_addr = zone_page(s->id, page),
        .handle = prng_below(&s->rng, 2) ? prng_below(&s->rng, 1100) : (grant_handle_t)prng_next(&s->rng),
        .dev_bus_addr = prng_next(&s->rng),
    };
    struct held_map *own = page < HELD_MAPS && s->held[page].used &&
                           s->held[page].handle == u.handle ? &s->held[page] : NULL;

    note(s, gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1));
    if (u.status != GNTST_okay)
        return;
    if (own)
        own->used = false;
    else
        printf("storm: vcpu%u: unmap of random handle %u at 0x%lx succeeded\n", s->id, u.handle,
               (unsigned long)u.host_addr);
}

static void random_copy_ptr(struct vstate *s, struct gnttab_copy_ptr *p, bool *gref)
{
    *gref = prng_below(&s->rng, 2);
    if (*gref) {
        p->u.ref = prng_below(&s->rng, 4) ? REF_RW + prng_below(&s->rng, 32) : random_ref(s);
        p->domid = prng_below(&s->rng, 4) ? DOMID_SELF : random_dom(s);
    } else {
        p->u.gmfn = prng_below(&s->rng, 8) ? gfn_of(gpages[prng_below(&s->rng, GPAGES)])
                                           : (bad_ptr(s) >> 12);
        p->domid = prng_below(&s->rng, 8) ? DOMID_SELF : random_dom(s);
    }
    p->offset = prng_below(&s->rng, 4) ? prng_below(&s->rng, PAGE_SIZE) : (uint16_t)prng_next(&s->rng);
}

/* A copy granite must do: our pages or our read-write grants, within a page. */
static void fill_good_copy(struct vstate *s, struct gnttab_copy *c)
{
    bool sg = prng_below(&s->rng, 2), dg = prng_below(&s->rng, 2);
    uint16_t so = (uint16_t)prng_below(&s->rng, PAGE_SIZE), dof = (uint16_t)prng_below(&s->rng, PAGE_SIZE);
    uint16_t room = (uint16_t)(PAGE_SIZE - (so > dof ? so : dof));

    c->source.domid = c->dest.domid = DOMID_SELF;
    c->source.offset = so;
    c->dest.offset = dof;
    if (sg)
        c->source.u.ref = REF_RW + prng_below(&s->rng, 2 * GPAGES); /* ro grants may be read */
    else
        c->source.u.gmfn = gfn_of(gpages[prng_below(&s->rng, GPAGES)]);
    if (dg)
        c->dest.u.ref = REF_RW + prng_below(&s->rng, GPAGES);
    else
        c->dest.u.gmfn = gfn_of(gpages[prng_below(&s->rng, GPAGES)]);
    c->len = prng_below(&s->rng, 2) ? room : (uint16_t)prng_below(&s->rng, room + 1u);
    c->flags = (sg ? GNTCOPY_source_gref : 0) | (dg ? GNTCOPY_dest_gref : 0);
}

static void fill_copy(struct vstate *s, struct gnttab_copy *c)
{
    bool sg, dg;

    random_copy_ptr(s, &c->source, &sg);
    random_copy_ptr(s, &c->dest, &dg);
    switch (prng_below(&s->rng, 4)) {
    case 0: c->len = (uint16_t)(PAGE_SIZE - c->dest.offset); break; /* exactly to the end (or 0) */
    case 1: c->len = (uint16_t)(PAGE_SIZE - c->source.offset + 1); break; /* one byte too far */
    case 2: c->len = 0; break;
    default: c->len = (uint16_t)prng_below(&s->rng, 600); break;
    }
    c->flags = (sg ? GNTCOPY_source_gref : 0) | (dg ? GNTCOPY_dest_gref : 0);
    if (!prng_below(&s->rng, 16))
        c->flags = (uint16_t)prng_next(&s->rng);
}

static void grant_copy(struct vstate *s, bool loud)
{
    unsigned n = prng_below(&s->rng, 32) ? 1 : 1 + prng_below(&s->rng, BATCH);

    /* loud: a single bad copy, or a whole batch with a few bad ones among good
     * ones (each refusal is a log line) */
    for (unsigned i = 0; i < n; i++) {
        if (loud && (n == 1 || !prng_below(&s->rng, 64)))
            fill_copy(s, &s->batch.copy[i]);
        else
            fill_good_copy(s, &s->batch.copy[i]);
    }
    note(s, gnttab_op(GNTTABOP_copy, s->batch.copy, n));
}

/* Our own grant entries, rewritten under the feet of the other vCPUs' maps. */
static void grant_scribble(struct vstate *s, bool loud)
{
    unsigned i = prng_below(&s->rng, GPAGES);

    /* quiet: only the entries no quiet map uses; loud: also those the others map */
    switch (loud ? prng_below(&s->rng, 4) : 2) {
    case 0:
        gnttab_revoke(REF_RW + i);
        gnttab_grant(REF_RW + i, (domid_t)own_domid, gfn_of(gpages[i]), GRANT_READ_WRITE);
        break;
    case 1:
        gnttab_revoke(REF_RO + i);
        gnttab_grant(REF_RO + i, (domid_t)own_domid, gfn_of(gpages[i]), GRANT_READ_ONLY);
        break;
    default: {
        /* any flags, any domain, but a frame of ours that may be written */
        struct grant_entry_v1 *e = (struct grant_entry_v1 *)(window + PAGE_SIZE) + REF_SCRIBBLE + i;
        e->frame = (uint32_t)gfn_of(gpages[prng_below(&s->rng, GPAGES)]);
        e->domid = prng_below(&s->rng, 2) ? (domid_t)own_domid : (domid_t)prng_next(&s->rng);
        __atomic_store_n(&e->flags, (uint16_t)prng_next(&s->rng), __ATOMIC_RELEASE);
        break;
    }
    }
}

static void grant_misc(struct vstate *s)
{
    switch (prng_below(&s->rng, 6)) {
    case 0: {
        struct gnttab_setup_table t = { .dom = random_dom(s), .nr_frames = prng_below(&s->rng, 7),
                                        .frame_list = (uint64_t)s->scratch };
        note(s, gnttab_op(GNTTABOP_setup_table, &t, 1));
        break;
    }
    case 1: {
        struct gnttab_query_size q = { .dom = random_dom(s) };
        note(s, gnttab_op(GNTTABOP_query_size, &q, prng_below(&s->rng, 3)));
        break;
    }
    case 2:
        note(s, gnttab_op(prng_below(&s->rng, 40), s->scratch, 1));
        break;
    case 3:
        note(s, gnttab_op(prng_below(&s->rng, 3), (void *)bad_ptr(s), 1 + prng_below(&s->rng, 4)));
        break;
    case 4:
        note(s, gnttab_op(GNTTABOP_copy, s->batch.copy, 0));
        break;
    default:
        note(s, gnttab_op(prng_below(&s->rng, 3), s->batch.copy, 0x80000000U | prng_below(&s->rng, 9)));
        break;
    }
}

static void op_grant(struct vstate *s, bool loud)
{
    if (!loud) {
        /* a batch is 1024 map and unmap operations: one grant op in 40 */
        s->cur_sub = prng_below(&s->rng, 40);
        switch (s->cur_sub) {
        case 0: grant_batch_map(s, false); break;
        case 1 ... 16: grant_map_held(s, false); break;
        case 17 ... 28: grant_copy(s, false); break;
        case 29 ... 32: grant_scribble(s, false); break;
        default: {
            struct gnttab_query_size q = { .dom = DOMID_SELF };
            note(s, gnttab_op(GNTTABOP_query_size, &q, 1));
            break;
        }
        }
        return;
    }
    s->cur_sub = 100 + prng_below(&s->rng, 16);
    switch (s->cur_sub - 100) {
    case 0: case 1: case 2: case 3: grant_map_held(s, true); break;
    case 4: grant_batch_map(s, true); break;
    case 5: case 6: grant_bad_map(s); break;
    case 7: grant_bad_unmap(s); break;
    case 8: case 9: case 10: grant_copy(s, true); break;
    case 11: case 12: grant_scribble(s, true); break;
    default: grant_misc(s); break;
    }
}

/* --- event channels ------------------------------------------------------------- */

static long evtchn(unsigned cmd, void *arg)
{
    return xen_hypercall(__HYPERVISOR_event_channel_op, cmd, (uint64_t)arg, 0, 0, 0);
}

static evtchn_port_t random_port(struct vstate *s)
{
    switch (prng_below(&s->rng, 6)) {
    case 0: return (evtchn_port_t)prng_next(&s->rng);
    case 1: return 1000 + prng_below(&s->rng, 4200); /* around the end of the ports */
    case 2: return s->ports[prng_below(&s->rng, MY_PORTS)];
    default: return prng_below(&s->rng, 64);
    }
}

/* Operations on this vCPU's own ports only (another vCPU's loud close may
 * still pull one away: then granite refuses, and logs). */
static void evtchn_quiet(struct vstate *s, unsigned slot)
{
    evtchn_port_t p = s->ports[slot];

    switch (prng_below(&s->rng, 7)) {
    case 0: { /* a fresh unbound port in the slot, the old one closed */
        struct evtchn_alloc_unbound a = { .dom = DOMID_SELF,
                                          .remote_dom = prng_below(&s->rng, 2) ? DOMID_SELF
                                                                               : (domid_t)own_domid };
        if (p) {
            struct evtchn_close c = { .port = p };
            note(s, evtchn(EVTCHNOP_close, &c));
        }
        s->bound &= ~(1U << slot);
        s->ports[slot] = note(s, evtchn(EVTCHNOP_alloc_unbound, &a)) ? 0 : a.port;
        break;
    }
    case 1: { /* loopback: the next slot's port bound to this one, if it waits for us */
        struct evtchn_status st = { .dom = DOMID_SELF, .port = p };
        unsigned next = (slot + 1) % MY_PORTS;
        if (!p || note(s, evtchn(EVTCHNOP_status, &st)) || st.status != EVTCHNSTAT_unbound ||
            (st.u.unbound.dom != own_domid && st.u.unbound.dom != DOMID_SELF))
            break;
        if (s->ports[next]) {
            struct evtchn_close c = { .port = s->ports[next] };
            note(s, evtchn(EVTCHNOP_close, &c));
            s->ports[next] = 0;
            s->bound &= ~(1U << next);
            if (s->bound & (1U << ((next + 1) % MY_PORTS))) /* its peer is unbound again */
                s->bound &= ~(1U << ((next + 1) % MY_PORTS));
        }
        struct evtchn_bind_interdomain b = { .remote_dom = DOMID_SELF, .remote_port = p };
        if (!note(s, evtchn(EVTCHNOP_bind_interdomain, &b))) {
            s->ports[next] = b.local_port;
            s->bound |= (1U << slot) | (1U << next);
        }
        break;
    }
    case 2: case 3: /* only on a connected port: an unbound one drops the event, logged */
        if (p && (s->bound & (1U << slot))) {
            struct evtchn_send a = { .port = p };
            note(s, evtchn(EVTCHNOP_send, &a));
        }
        break;
    case 4: {
        struct evtchn_status a = { .dom = DOMID_SELF, .port = p ? p : 1 };
        note(s, evtchn(EVTCHNOP_status, &a));
        break;
    }
    case 5:
        if (p) {
            struct evtchn_unmask a = { .port = p };
            note(s, evtchn(EVTCHNOP_unmask, &a));
        }
        break;
    default:
        if (p) {
            /* vCPU 0: granite gives no other vCPU a vcpu_info (refused, logged) */
            struct evtchn_bind_vcpu a = { .port = p, .vcpu = 0 };
            note(s, evtchn(EVTCHNOP_bind_vcpu, &a));
        }
        break;
    }
}

static void op_evtchn(struct vstate *s, bool loud)
{
    unsigned slot = prng_below(&s->rng, MY_PORTS);

    if (!loud) {
        evtchn_quiet(s, slot);
        return;
    }
    switch (prng_below(&s->rng, 10)) {
    case 0: {
        struct evtchn_alloc_unbound a = { .dom = prng_below(&s->rng, 4) ? DOMID_SELF : random_dom(s),
                                          .remote_dom = random_dom(s) };
        if (!note(s, evtchn(EVTCHNOP_alloc_unbound, &a)))
            s->ports[slot] = a.port;
        break;
    }
    case 1: { /* loopback: bind to an unbound port of ours */
        struct evtchn_bind_interdomain b = {
            .remote_dom = prng_below(&s->rng, 2) ? DOMID_SELF : (domid_t)own_domid,
            .remote_port = prng_below(&s->rng, 2) ? s->ports[slot] : random_port(s),
        };
        if (!note(s, evtchn(EVTCHNOP_bind_interdomain, &b)))
            s->ports[(slot + 1) % MY_PORTS] = b.local_port;
        break;
    }
    case 2: case 3: {
        struct evtchn_send a = { .port = random_port(s) };
        note(s, evtchn(EVTCHNOP_send, &a));
        break;
    }
    case 4: {
        struct evtchn_close a = { .port = random_port(s) };
        if (a.port == 1) /* xenstore's: leave it */
            a.port = 0;
        note(s, evtchn(EVTCHNOP_close, &a));
        break;
    }
    case 5: {
        struct evtchn_status a = { .dom = random_dom(s), .port = random_port(s) };
        note(s, evtchn(EVTCHNOP_status, &a));
        break;
    }
    case 6: {
        struct evtchn_unmask a = { .port = random_port(s) };
        note(s, evtchn(EVTCHNOP_unmask, &a));
        break;
    }
    case 7: {
        struct evtchn_bind_vcpu a = { .port = random_port(s), .vcpu = prng_below(&s->rng, 9) };
        note(s, evtchn(EVTCHNOP_bind_vcpu, &a));
        break;
    }
    case 8: {
        struct evtchn_bind_virq a = { .virq = prng_below(&s->rng, 40),
                                      .vcpu = prng_below(&s->rng, 2) ? s->id : prng_below(&s->rng, 9) };
        if (!note(s, evtchn(EVTCHNOP_bind_virq, &a)))
            s->ports[slot] = a.port;
        break;
    }
    default:
        note(s, xen_hypercall(__HYPERVISOR_event_channel_op, prng_below(&s->rng, 20),
                              prng_below(&s->rng, 2) ? bad_ptr(s) : (uint64_t)s->scratch, 0, 0, 0));
        break;
    }
}

/* --- memory_op, vcpu_op, sched_op --------------------------------------------- */

static void op_memory(struct vstate *s, bool loud)
{
    struct xen_add_to_physmap a = {
        .domid = prng_below(&s->rng, 4) ? DOMID_SELF : random_dom(s),
        .space = prng_below(&s->rng, 8) ? prng_below(&s->rng, 2) : prng_below(&s->rng, 10),
        .idx = prng_below(&s->rng, 4) ? prng_below(&s->rng, 6) : prng_next(&s->rng),
        .gpfn = gfn_of_addr(window) + PHYSMAP_FIRST + prng_below(&s->rng, PHYSMAP_PAGES),
    };

    (void)loud; /* always refused but the first time at each GFN */
    switch (prng_below(&s->rng, 6)) {
    case 0: a.gpfn = prng_next(&s->rng); break;
    case 1: /* over our RAM: granite places the page there as Xen does, so only
             * over pages we gave up for it */
        a.gpfn = gfn_of(sacrificial) + prng_below(&s->rng, SACRIFICIAL_PAGES);
        break;
    case 2:
        note(s, xen_hypercall(__HYPERVISOR_memory_op, prng_below(&s->rng, 2) ? prng_below(&s->rng, 40)
                                                                              : prng_next(&s->rng),
                              (uint64_t)&a, 0, 0, 0));
        return;
    case 3:
        note(s, xen_hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, bad_ptr(s), 0, 0, 0));
        return;
    default: break;
    }
    note(s, xen_hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint64_t)&a, 0, 0, 0));
}

static void op_vcpu_op(struct vstate *s, bool loud)
{
    (void)loud; /* random frames and addresses: refused, or nothing we use */
    note(s, xen_hypercall(__HYPERVISOR_vcpu_op, prng_below(&s->rng, 16), prng_below(&s->rng, 8),
                          prng_below(&s->rng, 2) ? bad_ptr(s) : (uint64_t)s->scratch, 0, 0));
}

static void op_sched(struct vstate *s, bool loud)
{
    struct sched_shutdown sd;

    switch (loud ? 1 + prng_below(&s->rng, 3) : 0) {
    case 0:
        note(s, xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0));
        break;
    case 1: /* any command but shutdown */
        note(s, xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown + 1 + prng_below(&s->rng, 12),
                              bad_ptr(s), 0, 0, 0));
        break;
    case 2: /* shutdown through a pointer it cannot read */
        note(s, xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown,
                              bad_ptr(s) | (1UL << 63), 0, 0, 0));
        break;
    default: /* a reason that is none of poweroff (0), reboot (1), crash (3), watchdog (4) */
        sd.reason = prng_below(&s->rng, 2) ? SHUTDOWN_suspend : 5 + prng_below(&s->rng, 1000);
        note(s, xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)&sd, 0, 0, 0));
        break;
    }
}

/* --- emulated devices ------------------------------------------------------------ */

/*
 * The bytes of the vGIC a write may not change as it likes, or a WFI somewhere
 * would never end: the timer PPI's enable, group, priority, config, activity,
 * pending state in each redistributor's SGI frame, the redistributor's
 * ProcessorSleep, and the distributor's group enable and ARE.
 */
struct protected_byte {
    uint32_t offset; /* in a redistributor's two frames, or in the distributor */
    uint8_t and_mask, or_mask;
};

static const struct protected_byte rd_protected[] = {
    { 0x0014, (uint8_t)~0x02, 0 },                     /* GICR_WAKER.ProcessorSleep */
    { GICR_SGI_FRAME + 0x083, 0xff, 0x08 },            /* IGROUPR0 bit 27: group 1 */
    { GICR_SGI_FRAME + 0x183, (uint8_t)~0x08, 0 },     /* ICENABLER0 bit 27 */
    { GICR_SGI_FRAME + 0x283, (uint8_t)~0x08, 0 },     /* ICPENDR0 bit 27 */
    { GICR_SGI_FRAME + 0x303, (uint8_t)~0x08, 0 },     /* ISACTIVER0 bit 27 */
    { GICR_SGI_FRAME + 0x41b, 0x00, TIMER_PRIO },      /* IPRIORITYR byte 27 */
    { GICR_SGI_FRAME + 0xc06, (uint8_t)~0xc0, 0 },     /* ICFGR1 field 27: level */
    { GICR_SGI_FRAME + 0xd03, (uint8_t)~0x08, 0 },     /* IGRPMODR0 bit 27 */
};

static const struct protected_byte dist_protected[] = {
    { 0x0000, 0xff, 0x12 }, /* GICD_CTLR: ARE and EnableGrp1 stay set */
};

static uint64_t protect_write(const struct protected_byte *t, unsigned n, uint32_t off,
                              unsigned size, uint64_t val)
{
    for (unsigned i = 0; i < n; i++)
        if (t[i].offset >= off && t[i].offset < off + size) {
            unsigned sh = (t[i].offset - off) * 8;
            uint64_t b = (val >> sh) & 0xff;
            b = (b & t[i].and_mask) | t[i].or_mask;
            val = (val & ~(0xffUL << sh)) | (b << sh);
        }
    return val;
}

static void mmio_access(volatile uint8_t *a, unsigned size, bool write, uint64_t val)
{
    switch (size) {
    case 1: if (write) mmio_write8(a, (uint8_t)val); else (void)mmio_read8(a); break;
    case 2: if (write) mmio_write16(a, (uint16_t)val); else (void)mmio_read16(a); break;
    case 4: if (write) mmio_write32(a, (uint32_t)val); else (void)mmio_read32(a); break;
    default:
        if (write) {
            mmio_write64(a, val);
        } else {
            uint64_t v;
            __asm__ volatile("ldr %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
            (void)v;
        }
        break;
    }
}

/* An offset in [0, span), aligned to size, mostly among the low registers. */
static uint32_t random_offset(struct vstate *s, uint64_t span, uint32_t dense, unsigned size)
{
    uint32_t off = prng_below(&s->rng, 4) ? prng_below(&s->rng, dense)
                                          : prng_below(&s->rng, (uint32_t)span);
    return off & ~(size - 1);
}

/*
 * The registers granite's vGIC models, at the sizes the GICv3 spec allows:
 * quiet accesses (no log line), every one still a trap and a model update.
 * Per-INTID tables cover the SPIs this domain has (GICD_TYPER).
 */
struct vgic_reg_range {
    uint32_t base, count, stride; /* count registers of stride bytes from base */
    uint8_t sizes;                /* allowed access sizes, as a mask of 1, 2, 4, 8 */
    bool writable;
};

static unsigned nr_spi_words; /* 32-INTID words of SPIs: GICD_TYPER.ITLinesNumber */

static void vgic_quiet_access(struct vstate *s, bool dist, uint32_t *off, unsigned *size,
                              bool *write, uint64_t *val)
{
    const uint32_t w = nr_spi_words, n = 32 * w; /* SPIs */
    const struct vgic_reg_range gicd[] = {
        { 0x0000, 1, 4, 4, true },        /* CTLR */
        { 0x0004, 2, 4, 4, false },       /* TYPER, IIDR */
        { 0x0084, w, 4, 4, true },        /* IGROUPR<n>, n >= 1 */
        { 0x0104, w, 4, 4, true },        /* ISENABLER */
        { 0x0184, w, 4, 4, true },        /* ICENABLER */
        { 0x0204, w, 4, 4, true },        /* ISPENDR */
        { 0x0284, w, 4, 4, true },        /* ICPENDR */
        { 0x0304, w, 4, 4, true },        /* ISACTIVER */
        { 0x0384, w, 4, 4, true },        /* ICACTIVER */
        { 0x0420, n, 1, 1, true },        /* IPRIORITYR, by byte */
        { 0x0420, n / 4, 4, 4, true },    /* IPRIORITYR, by word */
        { 0x0c08, 2 * w, 4, 4, true },    /* ICFGR */
        { 0x6100, n, 8, 8, true },        /* IROUTER */
        { 0xffe8, 1, 4, 4, false },       /* PIDR2 */
    };
    const struct vgic_reg_range gicr[] = {
        { 0x0004, 1, 4, 4, false },                 /* IIDR */
        { 0x0008, 1, 8, 8, false },                 /* TYPER */
        { 0x0014, 1, 4, 4, true },                  /* WAKER */
        { 0xffe8, 1, 4, 4, false },                 /* PIDR2 */
        { GICR_SGI_FRAME + 0x080, 1, 4, 4, true },  /* IGROUPR0 */
        { GICR_SGI_FRAME + 0x100, 1, 4, 4, true },  /* ISENABLER0 */
        { GICR_SGI_FRAME + 0x180, 1, 4, 4, true },  /* ICENABLER0 */
        { GICR_SGI_FRAME + 0x200, 1, 4, 4, true },  /* ISPENDR0 */
        { GICR_SGI_FRAME + 0x280, 1, 4, 4, true },  /* ICPENDR0 */
        { GICR_SGI_FRAME + 0x300, 1, 4, 4, true },  /* ISACTIVER0 */
        { GICR_SGI_FRAME + 0x380, 1, 4, 4, true },  /* ICACTIVER0 */
        { GICR_SGI_FRAME + 0x400, 32, 1, 1, true }, /* IPRIORITYR, by byte */
        { GICR_SGI_FRAME + 0x400, 8, 4, 4, true },  /* IPRIORITYR, by word */
        { GICR_SGI_FRAME + 0xc00, 1, 4, 4, false }, /* ICFGR0 */
        { GICR_SGI_FRAME + 0xc04, 1, 4, 4, true },  /* ICFGR1 */
    };
    const struct vgic_reg_range *t = dist ? gicd : gicr;
    unsigned nt = dist ? sizeof(gicd) / sizeof(gicd[0]) : sizeof(gicr) / sizeof(gicr[0]);
    const struct vgic_reg_range *r = &t[prng_below(&s->rng, nt)];

    if (!r->count) /* no SPIs at all */
        r = &t[1];
    *off = r->base + prng_below(&s->rng, r->count) * r->stride;
    *size = r->sizes;
    *write = r->writable && prng_below(&s->rng, 2);
    if (dist && r->base == 0x6100) /* IROUTER: a vCPU of ours, or "any" (IRM) */
        *val = prng_below(&s->rng, 4) ? prng_below(&s->rng, dev.nr_vcpus) : 1UL << 31;
}

static void op_vgic(struct vstate *s, bool loud)
{
    unsigned size = 1U << prng_below(&s->rng, 4);
    bool write = prng_below(&s->rng, 2);
    uint64_t val = prng_next(&s->rng);

    if (!loud) {
        bool dist = prng_below(&s->rng, 2);
        unsigned frame = prng_below(&s->rng, dev.nr_vcpus);
        uint32_t off;
        vgic_quiet_access(s, dist, &off, &size, &write, &val);
        if (write)
            val = dist ? protect_write(dist_protected, 1, off, size, val)
                       : protect_write(rd_protected, sizeof(rd_protected) / sizeof(rd_protected[0]),
                                       off, size, val);
        mmio_access(dist ? dev.gicd + off : dev.gicr + (uint64_t)frame * GICR_STRIDE + off, size,
                    write, val);
        return;
    }

    if (prng_below(&s->rng, 2)) {
        uint32_t off = prng_below(&s->rng, 4) ? random_offset(s, GICD_SIZE, 0x1000, size)
                                              : (0x6000 + prng_below(&s->rng, 0x2000)) & ~(size - 1);
        if (write)
            val = protect_write(dist_protected, 1, off, size, val);
        mmio_access(dev.gicd + off, size, write, val);
    } else {
        unsigned frame = prng_below(&s->rng, dev.nr_vcpus);
        uint32_t off = random_offset(s, GICR_STRIDE, 0x1000, size);
        if (prng_below(&s->rng, 2) && off < GICR_SGI_FRAME)
            off += GICR_SGI_FRAME;
        if (write)
            val = protect_write(rd_protected, sizeof(rd_protected) / sizeof(rd_protected[0]), off,
                                size, val);
        mmio_access(dev.gicr + (uint64_t)frame * GICR_STRIDE + off, size, write, val);
    }
}

static void op_vpl011(struct vstate *s, bool loud)
{
    /* quiet: the registers a PL011 has, by word; never the data register's write */
    static const uint8_t regs[] = { 0x00, 0x04, 0x18, 0x20, 0x24, 0x28, 0x2c, 0x30, 0x34,
                                    0x38, 0x3c, 0x40, 0x44, 0x48 };
    static const uint8_t read_only[] = { 0x18, 0x3c, 0x40 };

    if (!loud) {
        uint32_t off = prng_below(&s->rng, 8) ? regs[prng_below(&s->rng, sizeof(regs))]
                                              : 0xfe0 + 4 * prng_below(&s->rng, 8);
        bool write = off != 0 && off < 0xfe0 && prng_below(&s->rng, 2);
        for (unsigned i = 0; i < sizeof(read_only); i++)
            write = write && off != read_only[i];
        if (off == 0x44 || off == 0x20)
            write = true; /* ICR is write-only; ILPR may read as unknown */
        if (dev.uart)
            mmio_access(dev.uart + off, 4, write, prng_next(&s->rng) & 0xffff);
        return;
    }
    unsigned size = 1U << prng_below(&s->rng, 4);
    bool write = prng_below(&s->rng, 2);
    uint32_t off = prng_below(&s->rng, 4) ? random_offset(s, UART_SIZE, 0x50, size)
                                          : random_offset(s, UART_SIZE, UART_SIZE, size);
    uint64_t val = prng_next(&s->rng);

    if (prng_below(&s->rng, 8) == 0)
        off = (0xfe0 + prng_below(&s->rng, 0x20)) & ~(size - 1); /* the ID registers */
    if (off == 0) /* the data register: something printable */
        val = 'a' + (val % 26);
    if (!dev.uart)
        return;
    mmio_access(dev.uart + off, size, write, val);
}

static void op_sgi(struct vstate *s, bool loud)
{
    uint64_t v = prng_next(&s->rng);

    if (!loud) /* Aff3..1 = 0, RS = 0, targets among our vCPUs or all but us (IRM) */
        v &= 0x000001000f000000UL | ((1UL << dev.nr_vcpus) - 1);
    else if (prng_below(&s->rng, 2))
        v &= 0x000001000f00ffffUL;
    switch (prng_below(&s->rng, 3)) {
    case 0: __asm__ volatile("msr S3_0_C12_C11_5, %0; isb" : : "r"(v)); break; /* ICC_SGI1R */
    case 1: __asm__ volatile("msr S3_0_C12_C11_6, %0; isb" : : "r"(v)); break; /* ICC_ASGI1R */
    default: __asm__ volatile("msr S3_0_C12_C11_7, %0; isb" : : "r"(v)); break; /* ICC_SGI0R */
    }
    if (prng_below(&s->rng, 4) == 0)
        storm_drain_irqs();
}

/* --- PSCI and WFI ---------------------------------------------------------------- */

extern char secondary_start[];
static void storm_vcpu_main(unsigned n);
static bool all_started;

static void op_psci(struct vstate *s, bool loud)
{
    static const uint8_t quiet_cases[] = { 0, 1, 3, 4, 5, 6 };
    static const uint32_t known_fns[] = {
        PSCI_0_2_FN_PSCI_VERSION, PSCI_0_2_FN_CPU_OFF, PSCI_0_2_FN_CPU_ON, PSCI_0_2_FN64_CPU_ON,
        PSCI_0_2_FN_AFFINITY_INFO, PSCI_0_2_FN64_AFFINITY_INFO, PSCI_1_0_FN_PSCI_FEATURES,
    };
    unsigned target = prng_below(&s->rng, dev.nr_vcpus);
    unsigned which = loud ? prng_below(&s->rng, 9)
                          : quiet_cases[prng_below(&s->rng, sizeof(quiet_cases))];

    switch (which) {
    case 0: case 1: /* a real vCPU (maybe ourselves): the real entry point */
        /* not before vCPU 0 has told guests/lib what each vCPU runs (else one
         * started by us would find no function and sleep for good) */
        if (!__atomic_load_n(&all_started, __ATOMIC_ACQUIRE))
            break;
        note(s, smccc_hvc(prng_below(&s->rng, 2) ? PSCI_0_2_FN64_CPU_ON : PSCI_0_2_FN_CPU_ON,
                          target, (uint64_t)secondary_start, target));
        break;
    case 2: /* one that does not exist: any entry point */
        note(s, smccc_hvc(PSCI_0_2_FN64_CPU_ON,
                          prng_below(&s->rng, 2) ? dev.nr_vcpus + prng_below(&s->rng, 8)
                                                 : prng_next(&s->rng),
                          prng_next(&s->rng), prng_next(&s->rng)));
        break;
    case 3: /* ourselves off; vCPU 0 stays (it is the one that switches the others back on) */
        if (s->id != 0) {
            __asm__ volatile("dsb sy" ::: "memory");
            note(s, smccc_hvc(PSCI_0_2_FN_CPU_OFF, 0, 0, 0)); /* returns only on failure */
        }
        break;
    case 4:
        note(s, smccc_hvc(prng_below(&s->rng, 2) ? PSCI_0_2_FN64_AFFINITY_INFO
                                                 : PSCI_0_2_FN_AFFINITY_INFO,
                          !loud || prng_below(&s->rng, 2) ? target : prng_next(&s->rng),
                          loud ? prng_below(&s->rng, 4) : 0, 0));
        break;
    case 5:
        note(s, smccc_hvc(PSCI_1_0_FN_PSCI_FEATURES,
                          !loud ? known_fns[prng_below(&s->rng, sizeof(known_fns) / 4)]
                          : prng_below(&s->rng, 2) ? 0x84000000U + prng_below(&s->rng, 0x20)
                                                   : prng_next(&s->rng), 0, 0));
        break;
    case 6:
        note(s, smccc_smc(!loud || prng_below(&s->rng, 2) ? PSCI_0_2_FN_PSCI_VERSION
                                                          : PSCI_0_2_FN_MIGRATE_INFO_TYPE, 0, 0, 0));
        break;
    case 7:
        note(s, smccc_hvc(prng_below(&s->rng, 2) ? PSCI_0_2_FN64_CPU_SUSPEND : 0x84000050U,
                          prng_next(&s->rng), (uint64_t)secondary_start, 0));
        break;
    default: { /* an SMCCC call nobody offers (never SYSTEM_OFF / SYSTEM_RESET) */
        uint32_t fn = 0xc2000000U | prng_below(&s->rng, 0x01000000U);
        note(s, prng_below(&s->rng, 2) ? smccc_hvc(fn, 0, 0, 0) : smccc_smc(fn, 0, 0, 0));
        break;
    }
    }
}

static void op_wfi(struct vstate *s, bool loud)
{
    (void)loud;
    if (prng_below(&s->rng, 4) == 0) {
        __asm__ volatile("wfe");
        return;
    }
    storm_timed_wfi(&dev, s->id, 5 + prng_below(&s->rng, 300));
}

/* --- garbage hypercalls ------------------------------------------------------- */

static uint64_t garbage_arg(struct vstate *s)
{
    switch (prng_below(&s->rng, 5)) {
    case 0: return bad_ptr(s);
    case 1: return (uint64_t)s->scratch + prng_below(&s->rng, 512) * 8;
    case 2: return prng_below(&s->rng, 32);
    case 3: return prng_next(&s->rng);
    default: return (uint64_t)s->scratch;
    }
}

static void op_garbage(struct vstate *s, bool loud)
{
    static const uint64_t nrs[] = {
        __HYPERVISOR_console_io, __HYPERVISOR_xen_version, __HYPERVISOR_memory_op,
        __HYPERVISOR_grant_table_op, __HYPERVISOR_vcpu_op, __HYPERVISOR_event_channel_op,
        __HYPERVISOR_hvm_op, __HYPERVISOR_granite_op,
    };
    uint64_t nr, a[5];

    /* fresh random bytes where a pointer may point */
    for (unsigned i = 0; i < 64; i++)
        ((uint64_t *)s->scratch)[i] = prng_next(&s->rng);
    switch (prng_below(&s->rng, 4)) {
    case 0: nr = prng_below(&s->rng, 64); break;
    case 1: nr = prng_next(&s->rng); break;
    default: nr = nrs[prng_below(&s->rng, sizeof(nrs) / sizeof(nrs[0]))]; break;
    }
    if (nr == __HYPERVISOR_sched_op) /* it could shut us down: the one left out */
        nr = __HYPERVISOR_vcpu_op;
    for (unsigned i = 0; i < 5; i++)
        a[i] = garbage_arg(s);
    if (nr == __HYPERVISOR_console_io && prng_below(&s->rng, 2))
        a[0] = CONSOLEIO_write;
    /* a grant op whose array is our scratch: no copy may write into our RAM */
    if (nr == __HYPERVISOR_grant_table_op && (a[0] == GNTTABOP_copy || a[0] == GNTTABOP_setup_table))
        a[0] = GNTTABOP_query_size;
    (void)loud; /* always refused, or nearly */
    note(s, xen_hypercall(nr, a[0], a[1], a[2], a[3], a[4]));
}

/* --- the loop ------------------------------------------------------------------ */

static void (*const class_ops[NR_CLASSES])(struct vstate *, bool) = {
    [C_CONSOLE] = op_console, [C_GRANT] = op_grant, [C_EVTCHN] = op_evtchn,
    [C_MEMORY] = op_memory, [C_VCPU_OP] = op_vcpu_op, [C_SCHED] = op_sched,
    [C_VGIC] = op_vgic, [C_VPL011] = op_vpl011, [C_SGI] = op_sgi, [C_PSCI] = op_psci,
    [C_WFI] = op_wfi, [C_GARBAGE] = op_garbage,
};

static unsigned loud_permille = 30;
static unsigned class_mask = ~0U; /* mask=: the classes that run (bisecting a failure) */

static enum op_class pick_class(struct vstate *s, bool loud)
{
    const unsigned *w = loud ? loud_weight : quiet_weight;
    unsigned r = prng_below(&s->rng, 100);

    for (unsigned c = 0; c < NR_CLASSES; c++) {
        if (r < w[c])
            return (enum op_class)c;
        r -= w[c];
    }
    return C_WFI;
}

/* Runs the vCPU's remaining operations; resumes where it stopped after a
 * CPU_OFF (its state is in vs[], its stack is new). */
static void storm_run(struct vstate *s)
{
    irq_disable_local();
    storm_timer_ppi_on(&dev, s->id);
    while (s->next_op < s->ops) {
        bool loud = prng_below(&s->rng, 1000) < loud_permille;
        enum op_class c = pick_class(s, loud);
        s->tally[c]++;
        s->cur_class = c;
        s->loud += loud;
        s->next_op++; /* before the op: a CPU_OFF does not come back here */
        s->stage = 10;
        s->cur_sub = 99;
        if (class_mask & (1U << c))
            class_ops[c](s, loud);
        s->stage = 11;
    }
    __atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
}

static void storm_vcpu_main(unsigned n)
{
    storm_run(&vs[n]);
    for (;;) /* done: idle, answering whatever the others send */
        storm_timed_wfi(&dev, n, 100000);
}

/* --- after the storm: do the basic services still answer right? ---------------- */

static int check_after(void)
{
    static const char pattern[] = "after the storm";
    uint64_t host = zone_page(0, ZONE_PAGES - 1), dba;
    grant_handle_t h;
    int fails = 0;

    memcpy(gpages[0], pattern, sizeof(pattern));
    gnttab_grant(REF_RW, (domid_t)own_domid, gfn_of(gpages[0]), GRANT_READ_WRITE);
    int16_t st = gnttab_map(DOMID_SELF, REF_RW, host, GRANT_READ_ONLY, &h, &dba);
    bool seen = st == GNTST_okay && !memcmp((void *)host, pattern, sizeof(pattern));
    printf("storm: after: self-map of ref %u: status %d, %s\n", REF_RW, st,
           seen ? "reads the page" : "WRONG");
    fails += !seen;
    if (st == GNTST_okay)
        fails += gnttab_unmap(host, h) != GNTST_okay;

    struct gnttab_copy c = {
        .source = { .u.gmfn = gfn_of(gpages[0]), .domid = DOMID_SELF, .offset = 0 },
        .dest = { .u.gmfn = gfn_of(gpages[1]), .domid = DOMID_SELF, .offset = PAGE_SIZE - sizeof(pattern) },
        .len = sizeof(pattern),
    };
    memset(gpages[1], 0, PAGE_SIZE);
    long r = gnttab_op(GNTTABOP_copy, &c, 1);
    bool copied = !r && c.status == GNTST_okay &&
                  !memcmp(gpages[1] + PAGE_SIZE - sizeof(pattern), pattern, sizeof(pattern));
    printf("storm: after: copy to the last bytes of a page: %ld/%d, %s\n", r, c.status,
           copied ? "landed" : "WRONG");
    fails += !copied;

    evtchn_port_t a, b;
    struct shared_info *si = xen_shared_info();
    long ra = evtchn_alloc_unbound(DOMID_SELF, &a);
    long rb = ra ? ra : evtchn_bind_interdomain((domid_t)own_domid, a, &b);
    if (!rb) {
        __atomic_and_fetch(&si->evtchn_pending[a / 64], ~(1UL << (a % 64)), __ATOMIC_SEQ_CST);
        rb = evtchn_send(b);
    }
    bool pending = !rb && (__atomic_load_n(&si->evtchn_pending[a / 64], __ATOMIC_SEQ_CST) >> (a % 64)) & 1;
    printf("storm: after: loopback channel %u<->%u: %ld, event %s\n", a, b, rb,
           pending ? "pending" : "MISSING");
    fails += !pending;

    long ver = xen_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    printf("storm: after: xen_version says %ld.%ld\n", ver >> 16, ver & 0xffff);
    fails += ver <= 0;
    return fails;
}

/* --- the test ------------------------------------------------------------------ */

static void report_stall(void)
{
    for (unsigned k = 0; k < dev.nr_vcpus; k++)
        printf("storm: progress: vCPU %u: op %u of %u (%s.%u.%u), %s, AFFINITY_INFO %ld\n", k,
               vs[k].next_op, vs[k].ops, class_names[vs[k].cur_class], vs[k].cur_sub, vs[k].stage,
               vs[k].done ? "done" : "not done",
               smccc_hvc(PSCI_0_2_FN64_AFFINITY_INFO, k, 0, 0));
}

/* vCPU 0's sleep between looks at the others (wait_us=).  Not shorter: a vCPU
 * sleeping in short WFIs starves a runnable vCPU on its physical CPU (each
 * timer expiry preempts it at once; see the report of the storm issue):
 * wait_us=50 hangs the storm for good. */
static unsigned wait_us = 20000;

static void wait_for_the_others(void)
{
    uint64_t next_report = guest_time_us() + 5000000;

    for (;;) {
        /* a hint, not a verdict: the scenario's timeout is what fails a stuck storm */
        if (guest_time_us() > next_report) {
            report_stall();
            next_report += 5000000;
        }
        bool all = true;
        for (unsigned k = 1; k < dev.nr_vcpus; k++) {
            if (__atomic_load_n(&vs[k].done, __ATOMIC_ACQUIRE))
                continue;
            all = false;
            /* went off (its own CPU_OFF) and nobody switched it back on: do it */
            if (smccc_hvc(PSCI_0_2_FN64_AFFINITY_INFO, k, 0, 0) == 1)
                smccc_hvc(PSCI_0_2_FN64_CPU_ON, k, (uint64_t)secondary_start, k);
        }
        if (all)
            return;
        storm_timed_wfi(&dev, 0, wait_us);
    }
}

static void print_tally(uint64_t us)
{
    unsigned total[NR_CLASSES] = { 0 }, ops = 0, errors = 0, loud = 0;
    char line[2][128];
    int n[2] = { 0, 0 };

    for (unsigned k = 0; k < dev.nr_vcpus; k++) {
        for (unsigned c = 0; c < NR_CLASSES; c++)
            total[c] += vs[k].tally[c];
        ops += vs[k].next_op;
        errors += vs[k].hv_errors;
        loud += vs[k].loud;
    }
    /* two lines: granite cuts a guest's console line at 128 bytes */
    for (unsigned c = 0; c < NR_CLASSES; c++) {
        unsigned h = c >= NR_CLASSES / 2;
        n[h] += snprintf(line[h] + n[h], sizeof(line[h]) - (size_t)n[h], " %s=%u",
                         class_names[c], total[c]);
    }
    printf("storm: %u ops on %u vCPUs in %lu ms, %u meant to be refused, %u refused\n", ops,
           dev.nr_vcpus, (unsigned long)(us / 1000), loud, errors);
    printf("storm: tally:%s\n", line[0]);
    printf("storm: tally:%s\n", line[1]);
}

int test_storm(const struct guest_info *gi)
{
    unsigned ops = storm_arg_uint("ops", 100000);
    char end[8] = "off";
    uint64_t t0;

    storm_seed = storm_arg_seed(1);
    loud_permille = storm_arg_uint("loud", loud_permille);
    class_mask = storm_arg_uint("mask", class_mask);
    wait_us = storm_arg_uint("wait_us", wait_us);
    guest_arg("end", end, sizeof(end));
    /* the seed first: whatever happens next, the log says how to replay it */
    printf("storm: seed 0x%lx\n", (unsigned long)storm_seed);
    if (storm_find_devices(gi, &dev) || xen_setup(gi->fdt)) {
        printf("storm: no vGIC or no Xen interfaces in my DTB: FAIL\n");
        return 1;
    }
    window = xen_map_area() - 2 * PAGE_SIZE;
    nr_spi_words = mmio_read32(dev.gicd + 0x4) & 0x1f; /* GICD_TYPER.ITLinesNumber */
    ram_base = gi->ram_base;
    ram_end = gi->ram_base + gi->ram_size;
    own_domid = storm_own_domid(gfn_of(gpages[0]), zone_page(0, 0));
    if (own_domid < 0) {
        printf("storm: cannot find my own domain id (no self-map works): FAIL\n");
        return 1;
    }
    for (unsigned i = 0; i < GPAGES; i++) {
        gnttab_grant(REF_RW + i, (domid_t)own_domid, gfn_of(gpages[i]), GRANT_READ_WRITE);
        gnttab_grant(REF_RO + i, (domid_t)own_domid, gfn_of(gpages[i]), GRANT_READ_ONLY);
    }
    for (unsigned k = 0; k < dev.nr_vcpus; k++) {
        prng_seed(&vs[k].rng, storm_seed, k);
        vs[k].id = k;
        vs[k].ops = ops / dev.nr_vcpus + (k < ops % dev.nr_vcpus);
    }
    printf("storm: d%d, %u vCPUs, %u ops, loud=%u/1000, end=%s\n", own_domid, dev.nr_vcpus, ops,
           loud_permille, end);
    t0 = guest_time_us();
    for (unsigned k = 1; k < dev.nr_vcpus; k++) {
        long r = guest_start_vcpu(k, storm_vcpu_main);
        if (r)
            printf("storm: CPU_ON of vCPU %u: %ld (it will be retried)\n", k, r);
    }
    __atomic_store_n(&all_started, true, __ATOMIC_RELEASE);
    storm_run(&vs[0]);
    wait_for_the_others();
    /* end the line the console noise left open, so that the tally starts one */
    xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 1, (uint64_t)"\n", 0, 0);
    print_tally(guest_time_us() - t0);
    int fails = check_after();
    if (!strcmp(end, "abort")) {
        printf("storm: %s; now a write past the end of my RAM\n", fails ? "FAIL" : "PASS");
        fflush(stdout);
        *(volatile uint32_t *)(ram_end + PAGE_SIZE) = 0xbad;
        printf("storm: the write past my RAM went through: FAIL\n");
        return 1;
    }
    printf("storm: %s\n", fails ? "FAIL" : "PASS");
    return fails ? 1 : 0;
}
