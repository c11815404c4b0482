/*
 * vgic.c — the register model of the emulated GIC of one domain: the GICv3
 * distributor (GICD), one redistributor per vCPU (GICR RD_base and SGI_base
 * frames), SGI generation from trapped ICC_SGI1R_EL1 writes, and the
 * per-interrupt state machine the list-register code feeds the guest from.
 * References: GICv3/v4 Architecture Specification, Arm IHI 0069 (register
 * descriptions by name, other text by section title).
 *
 * On a GICv2 host the same state machine sits behind a GICv2 distributor
 * (GIC Architecture Specification v2.0, Arm IHI 0048B §4.3; vgic_init_v2):
 * its own register table (dist_regs_v2), INTIDs 0-31 banked per accessing
 * vCPU in GICD, GICD_ITARGETSR, GICD_SGIR, GICD_C/SPENDSGIR.  The two models
 * differ in tables and in the few handlers named _v2, not in `if`s through
 * the shared code.
 *
 * Assumptions (see include/granite/vgic.h for the interface):
 *   - affinity routing always enabled, single Security state (GICD_CTLR.ARE
 *     and DS read as one): registers of the legacy (ARE = 0) and two-Security-
 *     state programmers' models are RAZ/WI;
 *   - no LPIs, no ITS, no extended SPI/PPI ranges, 192 INTIDs (VGIC_NR_IRQS:
 *     the GIC-400 of a ZynqMP has as many);
 *   - vCPU n has affinity 0.0.0.n;
 *   - pure C: no system register, no barrier; the same file builds for EL2
 *     and for the host unit tests.
 *
 * Everything the guest does that the model does not implement (RAZ/WI
 * registers, unknown offsets, forbidden access sizes) is logged with a
 * "vgic: d<domain>:" line and counted in g->stats; nothing a guest writes can
 * make the model fail.
 */
#include <granite/dlog.h>
#include <granite/vgic.h>
#include <granite/console.h>
#include <granite/errno.h>

_Static_assert(VGIC_MAX_VCPUS <= 32, "kick masks are 32-bit");
_Static_assert(VGIC_MAX_VCPUS < VGIC_NO_VCPU, "VGIC_NO_VCPU must not be a vCPU index");

/* --- Register map ----------------------------------------------------------
 *
 * Distributor registers, offsets from GICD_base (IHI 0069, "The GIC Distributor
 * register map").  Per-INTID registers are arrays: GICD_ISENABLER<n> is at
 * GICD_ISENABLER + 4 * n and holds INTIDs 32n..32n+31, and so on.
 */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_TYPER2 0x000C
#define GICD_STATUSR 0x0010
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800
#define GICD_ICFGR 0x0C00
#define GICD_IGRPMODR 0x0D00
#define GICD_NSACR 0x0E00
#define GICD_SGIR 0x0F00
#define GICD_CPENDSGIR 0x0F10
#define GICD_SPENDSGIR 0x0F20
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xFFE8

/* Array lengths in bytes, for the 1020 INTIDs the architecture leaves room for. */
#define GIC_MAX_INTIDS 1020
#define BITS_PER_IRQ_ARRAY_LEN (1024 / 8)                /* 1 bit per INTID */
#define GICD_IPRIORITYR_LEN GIC_MAX_INTIDS               /* 1 byte per INTID */
#define GICD_ITARGETSR_LEN GIC_MAX_INTIDS
#define GICD_ICFGR_LEN (1024 * 2 / 8)                    /* 2 bits per INTID */
#define GICD_NSACR_LEN (1024 * 2 / 8)
#define GICD_SPENDSGIR_LEN 16
#define GICD_IROUTER_LEN (GIC_MAX_INTIDS * 8)            /* 64 bits per INTID */

/* GICD_CTLR with GICD_CTLR.DS == 1 (single Security state view). */
#define GICD_CTLR_ENABLE_GRP0 BIT(0)
#define GICD_CTLR_ENABLE_GRP1 BIT(1)
#define GICD_CTLR_ARE BIT(4)
#define GICD_CTLR_DS BIT(6)

/* GICD_TYPER */
#define GICD_TYPER_ITLINESNUMBER GENMASK(4, 0)
#define GICD_TYPER_CPUNUMBER GENMASK(7, 5)
#define GICD_TYPER_IDBITS GENMASK(23, 19)
#define GICD_TYPER_A3V BIT(24)

/* GICD_IIDR / GICR_IIDR */
#define GIC_IIDR_PRODUCTID GENMASK(31, 24)
#define GIC_IIDR_IMPLEMENTER GENMASK(11, 0)

/* GICD_PIDR2 / GICR_PIDR2 */
#define GIC_PIDR2_ARCHREV GENMASK(7, 4)
#define GIC_PIDR2_ARCHREV_GICV3 3
#define GIC_PIDR2_ARCHREV_GICV2 2

/* GICv2 distributor fields (IHI 0048B §4.3) */
#define GICD_ICPIDR2_V2 0x0FE8
#define GICD_SGIR_TARGET_LIST GENMASK(23, 16)
#define GICD_SGIR_TARGET_FILTER GENMASK(25, 24)
#define GICD_SGIR_INTID GENMASK(3, 0)
#define SGIR_FILTER_LIST 0
#define SGIR_FILTER_OTHERS 1
#define SGIR_FILTER_SELF 2
#define GICD_SGI_BYTES_LEN 16        /* C/SPENDSGIR: one byte per SGI, one bit per source */

/* GICD_IROUTER<n> */
#define GICD_IROUTER_AFF0 GENMASK(7, 0)
#define GICD_IROUTER_AFF1 GENMASK(15, 8)
#define GICD_IROUTER_AFF2 GENMASK(23, 16)
#define GICD_IROUTER_IRM BIT(31)
#define GICD_IROUTER_AFF3 GENMASK(39, 32)
#define GICD_IROUTER_WRITABLE \
    (GICD_IROUTER_AFF0 | GICD_IROUTER_AFF1 | GICD_IROUTER_AFF2 | GICD_IROUTER_IRM | GICD_IROUTER_AFF3)

/* GICD_ICFGR: two bits per INTID; Int_config[1] set = edge-triggered, [0] RES0. */
#define GIC_ICFGR_BITS_PER_IRQ 2
#define GIC_ICFGR_EDGE 0x2

/*
 * Redistributor RD_base frame (IHI 0069, "The GIC Redistributor register
 * map"); SGI_base is the next 64 KiB frame.
 */
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_STATUSR 0x0010
#define GICR_WAKER 0x0014
#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078
#define GICR_PIDR2 0xFFE8

/* GICR_TYPER */
#define GICR_TYPER_LAST BIT(4)
#define GICR_TYPER_PROCESSOR_NUMBER GENMASK(23, 8)
#define GICR_TYPER_AFF0 GENMASK(39, 32)   /* Affinity_Value[63:32] = Aff3.Aff2.Aff1.Aff0 */

/* GICR_WAKER */
#define GICR_WAKER_PROCESSOR_SLEEP BIT(1)
#define GICR_WAKER_CHILDREN_ASLEEP BIT(2)

/* SGI_base frame: the banked per-INTID registers of INTIDs 0-31. */
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ISPENDR0 0x0200
#define GICR_ICPENDR0 0x0280
#define GICR_ISACTIVER0 0x0300
#define GICR_ICACTIVER0 0x0380
#define GICR_IPRIORITYR 0x0400
#define GICR_IPRIORITYR_LEN VGIC_NR_PRIVATE
#define GICR_ICFGR0 0x0C00
#define GICR_ICFGR_LEN 8                  /* ICFGR0 (SGIs) and ICFGR1 (PPIs) */
#define GICR_IGRPMODR0 0x0D00
#define GICR_NSACR 0x0E00

/* ICC_SGI1R_EL1 (IHI 0069, register description "ICC_SGI1R_EL1"). */
#define ICC_SGI1R_TARGETLIST GENMASK(15, 0)
#define ICC_SGI1R_AFF1 GENMASK(23, 16)
#define ICC_SGI1R_INTID GENMASK(27, 24)
#define ICC_SGI1R_AFF2 GENMASK(39, 32)
#define ICC_SGI1R_IRM BIT(40)
#define ICC_SGI1R_RS GENMASK(47, 44)
#define ICC_SGI1R_AFF3 GENMASK(55, 48)
#define ICC_SGI1R_TARGETS_PER_RANGE 16    /* one Aff0 range (RS) = 16 target-list bits */

/*
 * What the model reports about itself.  granite has no JEP106 code, so
 * Implementer is 0; ProductID is 'G'.  INTIDs are 10 bits (IDbits = bits - 1).
 * All 8 priority bits are implemented.
 */
#define VGIC_PRODUCT_ID 0x47
#define VGIC_IMPLEMENTER 0
#define VGIC_INTID_BITS 10
#define VGIC_PRIORITY_MASK GENMASK(7, 0)
#define VGIC_FIRST_HW_SPI 32
#define VGIC_LAST_HW_SPI 1019

/* Access sizes, as a mask whose bits are the sizes in bytes. */
#define ACC_8 1
#define ACC_16 2
#define ACC_32 4
#define ACC_64 8

/* --- Deferred callbacks ----------------------------------------------------
 *
 * The ops callbacks run after g->lock is dropped: a kick may well take the
 * scheduler's lock or call back into the model.  Work collects here.
 */
#define VGIC_MAX_DEFERRED_HW 32   /* one 32-bit ISENABLER/ICENABLER write at most */

struct vgic_deferred {
    u32 kick_mask;
    unsigned nr_hw;
    struct {
        u32 hw_intid;
        bool enable;
    } hw[VGIC_MAX_DEFERRED_HW];
};

static void defer_kick(struct vgic *g, struct vgic_deferred *d, unsigned vcpu)
{
    if (vcpu < g->nr_vcpus)
        d->kick_mask |= (u32)BIT(vcpu);
}

static void defer_hw_enable(struct vgic_deferred *d, u32 hw_intid, bool enable)
{
    if (d->nr_hw < VGIC_MAX_DEFERRED_HW) {
        d->hw[d->nr_hw].hw_intid = hw_intid;
        d->hw[d->nr_hw].enable = enable;
        d->nr_hw++;
    }
}

static void run_deferred(struct vgic *g, const struct vgic_deferred *d)
{
    for (unsigned i = 0; i < d->nr_hw; i++)
        if (g->ops.hw_enable)
            g->ops.hw_enable(g->ops.ctx, d->hw[i].hw_intid, d->hw[i].enable);
    for (unsigned v = 0; v < g->nr_vcpus; v++)
        if ((d->kick_mask & BIT(v)) && g->ops.kick)
            g->ops.kick(g->ops.ctx, v);
}

static u64 vgic_lock(struct vgic *g)
{
    return spin_lock_irqsave(&g->lock);
}

static void vgic_unlock(struct vgic *g, u64 flags, const struct vgic_deferred *d)
{
    spin_unlock_irqrestore(&g->lock, flags);
    if (d)
        run_deferred(g, d);
}

/* --- Interrupt state --------------------------------------------------------
 *
 * An interrupt is pending, active, both or neither (IHI 0069, "Interrupt
 * lifecycle").  Pending has two sources: a latch (set by an edge, by
 * vgic_inject or by a GICD_ISPENDR write, cleared when the guest acknowledges
 * or by GICD_ICPENDR) and, for level-sensitive interrupts, the input line.
 * For an edge-triggered interrupt handed to a list register, the latch moves
 * into the LR (lr_pending) so that a new edge arriving while the guest handles
 * the previous one is not lost: it sets the latch again.
 *
 * The distributor forwards an interrupt to its target when it is pending and
 * not active, enabled, and its group is enabled in GICD_CTLR ("Interrupt
 * prioritization" / "Enabling the distribution of interrupts").
 */
static bool irq_pending(const struct vgic_irq *irq)
{
    if (irq->pending_latch)
        return true;
    if (irq->edge)
        return irq->in_lr && irq->lr_pending;
    return irq->line_level;
}

static bool group_enabled(const struct vgic *g, const struct vgic_irq *irq)
{
    return irq->group1 ? g->enable_grp1 : g->enable_grp0;
}

/*
 * The scans.  Looking for the best interrupt to put in a list register runs on
 * every entry into a guest, and walking all 192 interrupt records there cost
 * more than the rest of the entry (issue 13: several microseconds per entry
 * under QEMU).  So each vGIC keeps a bitmap of the interrupts that *may* be
 * pending -- their latch or their line was set -- per vCPU for the private
 * ones and once for the SPIs, and the scan walks only those.  The bitmap is a
 * superset: every store that can make an interrupt pending goes through
 * set_latch()/set_line() below, which set its bit (under the lock, like the
 * state itself), and a bit is cleared only by a scan that finds neither latch
 * nor line set.  Whatever else forwarding needs (enabled, group, priority,
 * target, not active, not in an LR) is still checked on each candidate.
 */
static void note_maybe_pending(struct vgic *g, const struct vgic_irq *irq)
{
    u32 n = irq->intid;

    if (n >= VGIC_NR_PRIVATE) {
        n -= VGIC_NR_PRIVATE;
        g->spi_maybe_pending[n / 64] |= 1ULL << (n % 64);
    } else if (irq->target < g->nr_vcpus) {   /* a private interrupt's target is its vCPU */
        g->rdist[irq->target].maybe_pending |= BIT(n);
    }
}

static void set_latch(struct vgic *g, struct vgic_irq *irq, bool latched)
{
    irq->pending_latch = latched;
    if (latched)
        note_maybe_pending(g, irq);
}

static void set_line(struct vgic *g, struct vgic_irq *irq, bool level)
{
    irq->line_level = level;
    if (level)
        note_maybe_pending(g, irq);
}

static bool may_be_pending(const struct vgic_irq *irq)
{
    return irq->pending_latch || irq->line_level;
}

static bool irq_forwardable(const struct vgic *g, const struct vgic_irq *irq)
{
    return irq_pending(irq) && !irq->active && irq->enabled && group_enabled(g, irq);
}

static bool is_private(u32 intid)
{
    return intid < VGIC_NR_PRIVATE;
}

static bool is_spi(u32 intid)
{
    return intid >= VGIC_NR_PRIVATE && intid < VGIC_NR_IRQS;
}

/* The state of INTID for `vcpu` (ignored for SPIs), or NULL if either is out of range. */
static struct vgic_irq *lookup_irq(struct vgic *g, unsigned vcpu, u32 intid)
{
    if (is_spi(intid))
        return &g->spi[intid - VGIC_NR_PRIVATE];
    if (is_private(intid) && vcpu < g->nr_vcpus)
        return &g->rdist[vcpu].priv[intid];
    return NULL;
}

/*
 * Something about irq changed: wake whoever must look at it — its target if
 * the distributor would now forward it, and the vCPU whose LR holds it (that
 * LR is stale).
 */
static void irq_changed(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d)
{
    if (irq->in_lr)
        defer_kick(g, d, irq->lr_vcpu);
    else if (irq_forwardable(g, irq))
        defer_kick(g, d, irq->target);
}

/* The interrupt leaves vcpu's LRs; if it is still deliverable elsewhere, say so. */
static void leave_lr(struct vgic *g, struct vgic_irq *irq, unsigned vcpu, struct vgic_deferred *d)
{
    irq->in_lr = false;
    irq->lr_pending = false;
    irq->relatched = false;   /* outside an LR the latch alone says it (it was never acked) */
    if (irq->target != vcpu && irq_forwardable(g, irq))
        defer_kick(g, d, irq->target);
}

static void set_pending_latch(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d)
{
    if (irq->pending_latch) {
        /* A level interrupt's latch ends when the guest acknowledges the LR
         * copy; one set again before granite has seen that acknowledgement
         * is a new one and must outlive it (the event-channel upcall does
         * this: a second event while the guest takes the first). */
        if (!irq->edge && irq->in_lr && irq->lr_pending) {
            irq->relatched = true;
            /* The guest may have taken the LR copy already and will not exit
             * on its own: make its CPU look, or the new one waits for an
             * unrelated exit (and for ever, for a guest that polls). */
            defer_kick(g, d, irq->lr_vcpu);
        }
        return;
    }
    set_latch(g, irq, true);
    irq_changed(g, irq, d);
}

/* --- Routing ------------------------------------------------------------------
 *
 * With affinity routing an SPI goes where GICD_IROUTER<n> says: to the PE with
 * affinity Aff3.Aff2.Aff1.Aff0 (IRM = 0), or to any one participating PE
 * (IRM = 1, "1 of N").  vCPU n is 0.0.0.n.  For 1 of N the model picks vCPU 0,
 * which the architecture allows (the choice is IMPLEMENTATION DEFINED).  An
 * affinity naming no vCPU leaves the SPI with no target: it is never delivered.
 */
static unsigned irouter_target(const struct vgic *g, u64 irouter)
{
    u64 aff0 = FIELD_GET(GICD_IROUTER_AFF0, irouter);

    if (irouter & GICD_IROUTER_IRM)
        return 0;
    if (irouter & (GICD_IROUTER_AFF1 | GICD_IROUTER_AFF2 | GICD_IROUTER_AFF3))
        return VGIC_NO_VCPU;
    return aff0 < g->nr_vcpus ? (unsigned)aff0 : VGIC_NO_VCPU;
}

/* --- MMIO access plumbing ------------------------------------------------- */

enum vgic_frame { FRAME_GICD, FRAME_GICR_RD, FRAME_GICR_SGI };

struct vgic_access;
typedef u64 (*reg_read_fn)(struct vgic *g, const struct vgic_access *a);
typedef void (*reg_write_fn)(struct vgic *g, const struct vgic_access *a, u64 val);

/*
 * One register, or one array of registers (length > width).  A register with
 * neither read nor write is RAZ/WI, for the reason in raz_wi_why; one with
 * read only is read-only (writes ignored and logged).  bits_per_irq != 0
 * marks a per-INTID array (INTID = index * width * 8 / bits_per_irq).
 */
struct vgic_reg {
    const char *name;
    u32 offset;
    u32 length;
    u8 width;           /* bytes in one register: 4 or 8 */
    u8 sizes;           /* allowed access sizes: ACC_* */
    u8 bits_per_irq;
    reg_read_fn read;
    reg_write_fn write;
    const char *raz_wi_why;
    /* Write-1-to-set/clear bits: a write narrower than the register passes
     * its own bytes and zeros elsewhere, never the other bytes' current
     * values (they would be set or cleared again). */
    bool w1x;
};

struct vgic_access {
    enum vgic_frame frame;
    unsigned vcpu;          /* who accesses (for logs) */
    unsigned rd;            /* whose redistributor (GICR frames), VGIC_NO_VCPU for GICD */
    u32 offset;             /* of the access inside its 64 KiB frame */
    unsigned size;
    bool is_write;
    u64 wval;               /* the value written (for logs) */
    const struct vgic_reg *reg;
    u32 index;              /* which register of the array */
    u32 first_intid;        /* for per-INTID registers: INTID of the register's bit/byte 0 */
    struct vgic_deferred *defer;
};

static const char *frame_name(enum vgic_frame f)
{
    switch (f) {
    case FRAME_GICD:
        return "GICD";
    case FRAME_GICR_RD:
        return "GICR";
    case FRAME_GICR_SGI:
        return "GICR SGI_base";
    }
    return "?";
}

/* One log line per ignored access: who, what, where, why. */
static void log_access(struct vgic *g, const struct vgic_access *a, const char *verdict)
{
    char where[32], what[40];

    if (a->frame == FRAME_GICD)
        snprintf(where, sizeof(where), "GICD+0x%04x", a->offset);
    else
        snprintf(where, sizeof(where), "%s of vcpu%u +0x%04x", frame_name(a->frame), a->rd,
                 a->offset);
    if (!a->reg)
        snprintf(what, sizeof(what), "unknown register");
    else if (a->reg->length > a->reg->width)
        snprintf(what, sizeof(what), "%s<%u>", a->reg->name, a->index);
    else
        snprintf(what, sizeof(what), "%s", a->reg->name);

    if (a->is_write)
        dlog_domid(g->domid,
                   "vgic: d%u: vcpu%u: %u-byte write of 0x%llx to %s (%s): %s\n", g->domid, a->vcpu,
                   a->size, (unsigned long long)a->wval, what, where, verdict);
    else
        dlog_domid(g->domid,
                   "vgic: d%u: vcpu%u: %u-byte read of %s (%s): %s\n", g->domid, a->vcpu, a->size,
                   what, where, verdict);
}

static const struct vgic_reg *find_reg(const struct vgic_reg *table, size_t n, u32 offset)
{
    for (size_t i = 0; i < n; i++)
        if (offset >= table[i].offset && offset - table[i].offset < table[i].length)
            return &table[i];
    return NULL;
}

/* The interrupt bit/byte `i` of a per-INTID register refers to. */
static struct vgic_irq *access_irq(struct vgic *g, const struct vgic_access *a, u32 intid)
{
    if (a->frame == FRAME_GICD && intid >= VGIC_NR_PRIVATE)
        return &g->spi[intid - VGIC_NR_PRIVATE];
    /* A redistributor's, or (GICv2) GICD's banked copy for the accessing vCPU:
     * a->rd says whose (dist_intid_range_problem kept GICv3 GICD out). */
    return &g->rdist[a->rd].priv[intid];
}

static unsigned irqs_per_register(const struct vgic_reg *reg)
{
    return reg->width * 8u / reg->bits_per_irq;
}

/* --- Per-INTID bit registers ------------------------------------------------
 *
 * GICD_IGROUPR, GICD_IS/ICENABLER, GICD_IS/ICPENDR, GICD_IS/ICACTIVER and
 * their GICR_*0 twins hold one bit per INTID.  The "set" registers are
 * write-1-to-set, the "clear" ones write-1-to-clear, zeros have no effect;
 * both read the current state (IHI 0069, each register's description).
 */
typedef bool (*irq_get_fn)(const struct vgic_irq *irq);
typedef void (*irq_op_fn)(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d);

static u64 collect_bits(struct vgic *g, const struct vgic_access *a, irq_get_fn get)
{
    u64 val = 0;

    for (unsigned i = 0; i < irqs_per_register(a->reg); i++)
        if (get(access_irq(g, a, a->first_intid + i)))
            val |= BIT(i);
    return val;
}

static void apply_to_set_bits(struct vgic *g, const struct vgic_access *a, u64 val, irq_op_fn op)
{
    for (unsigned i = 0; i < irqs_per_register(a->reg); i++)
        if (val & BIT(i))
            op(g, access_irq(g, a, a->first_intid + i), a->defer);
}

static bool get_group1(const struct vgic_irq *irq) { return irq->group1; }
static bool get_enabled(const struct vgic_irq *irq) { return irq->enabled; }
static bool get_pending(const struct vgic_irq *irq) { return irq_pending(irq); }
static bool get_active(const struct vgic_irq *irq) { return irq->active; }

static void op_enable(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d)
{
    if (irq->enabled)
        return;
    irq->enabled = true;
    if (is_spi(irq->intid) && irq->intid - VGIC_NR_PRIVATE >= g->spis_ever_enabled)
        g->spis_ever_enabled = irq->intid - VGIC_NR_PRIVATE + 1;
    if (irq->hw)
        defer_hw_enable(d, irq->hw_intid, true);
    irq_changed(g, irq, d);
}

static void op_disable(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d)
{
    if (!irq->enabled)
        return;
    irq->enabled = false;
    if (irq->hw)
        defer_hw_enable(d, irq->hw_intid, false);
    irq_changed(g, irq, d);
}

/* GICD_ISPENDR: for either trigger, pending until acknowledged or ICPENDR. */
static void op_set_pending(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d)
{
    set_pending_latch(g, irq, d);
}

/*
 * GICD_ICPENDR: clears the latched pending state, also the copy in an LR; a
 * level-sensitive interrupt whose line is still high stays pending.
 */
static void op_clear_pending(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d)
{
    if (!irq->pending_latch && !irq->lr_pending)
        return;
    set_latch(g, irq, false);
    irq->relatched = false;
    if (irq->edge)
        irq->lr_pending = false;
    irq_changed(g, irq, d);
}

static void op_set_active(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d)
{
    if (irq->active)
        return;
    irq->active = true;
    irq_changed(g, irq, d);
}

static void op_clear_active(struct vgic *g, struct vgic_irq *irq, struct vgic_deferred *d)
{
    if (!irq->active)
        return;
    irq->active = false;
    if (irq->hw && !irq->in_lr)
        dlog_domid(g->domid,
                   "vgic: d%u: INTID %u deactivated through ICACTIVER: physical INTID %u stays "
                   "active\n", g->domid, irq->intid, irq->hw_intid);
    irq_changed(g, irq, d);
}

static u64 read_igroupr(struct vgic *g, const struct vgic_access *a)
{
    return collect_bits(g, a, get_group1);
}

static void write_igroupr(struct vgic *g, const struct vgic_access *a, u64 val)
{
    for (unsigned i = 0; i < irqs_per_register(a->reg); i++) {
        struct vgic_irq *irq = access_irq(g, a, a->first_intid + i);
        bool group1 = val & BIT(i);

        if (irq->group1 != group1) {
            irq->group1 = group1;
            irq_changed(g, irq, a->defer);
        }
    }
}

static u64 read_enabler(struct vgic *g, const struct vgic_access *a)
{
    return collect_bits(g, a, get_enabled);
}

static void write_isenabler(struct vgic *g, const struct vgic_access *a, u64 val)
{
    apply_to_set_bits(g, a, val, op_enable);
}

static void write_icenabler(struct vgic *g, const struct vgic_access *a, u64 val)
{
    apply_to_set_bits(g, a, val, op_disable);
}

static u64 read_pendr(struct vgic *g, const struct vgic_access *a)
{
    return collect_bits(g, a, get_pending);
}

/*
 * GICv2: the SGI bits (0-15) of GICD_ISPENDR0/ICPENDR0 are write-ignored
 * (IHI 0048B §4.3.7, §4.3.8): an SGI's pending state is per source, set and
 * cleared through GICD_SGIR/SPENDSGIR/CPENDSGIR.  GICv3's GICR_ISPENDR0 sets
 * SGIs like any other INTID.
 */
#define V2_SGI_BITS 0xffffULL

static u64 without_v2_sgis(struct vgic *g, const struct vgic_access *a, u64 val)
{
    if (g->model != VGIC_MODEL_V2 || a->first_intid >= VGIC_NR_SGIS || !(val & V2_SGI_BITS))
        return val;
    log_access(g, a, "SGI bits are write-ignored on GICv2 (use GICD_SPENDSGIR/CPENDSGIR)");
    return val & ~V2_SGI_BITS;
}

static void write_ispendr(struct vgic *g, const struct vgic_access *a, u64 val)
{
    apply_to_set_bits(g, a, without_v2_sgis(g, a, val), op_set_pending);
}

static void write_icpendr(struct vgic *g, const struct vgic_access *a, u64 val)
{
    apply_to_set_bits(g, a, without_v2_sgis(g, a, val), op_clear_pending);
}

static u64 read_activer(struct vgic *g, const struct vgic_access *a)
{
    return collect_bits(g, a, get_active);
}

static void write_isactiver(struct vgic *g, const struct vgic_access *a, u64 val)
{
    apply_to_set_bits(g, a, val, op_set_active);
}

static void write_icactiver(struct vgic *g, const struct vgic_access *a, u64 val)
{
    apply_to_set_bits(g, a, val, op_clear_active);
}

/* --- Priority ----------------------------------------------------------------
 *
 * GICD_IPRIORITYR<n> / GICR_IPRIORITYR<n>: one byte per INTID, four per
 * register, byte- or word-accessible.  Byte writes reach here as a whole word
 * (read-modify-write by the dispatcher), so only changed bytes count.
 */
static u64 read_ipriorityr(struct vgic *g, const struct vgic_access *a)
{
    u64 val = 0;

    for (unsigned i = 0; i < irqs_per_register(a->reg); i++)
        val |= (u64)access_irq(g, a, a->first_intid + i)->priority << (8 * i);
    return val;
}

static void write_ipriorityr(struct vgic *g, const struct vgic_access *a, u64 val)
{
    for (unsigned i = 0; i < irqs_per_register(a->reg); i++) {
        struct vgic_irq *irq = access_irq(g, a, a->first_intid + i);
        u8 prio = (u8)((val >> (8 * i)) & VGIC_PRIORITY_MASK);

        if (irq->priority != prio) {
            irq->priority = prio;
            irq_changed(g, irq, a->defer);
        }
    }
}

/* --- Trigger configuration -----------------------------------------------
 *
 * GICD_ICFGR<n> / GICR_ICFGR0-1: two bits per INTID, Int_config[1] = edge.
 * SGIs are always edge-triggered: their field reads 0b10 and ignores writes
 * (GICR_ICFGR0 is read-only).  PPI configuration is writable in this model.
 */
static u64 read_icfgr(struct vgic *g, const struct vgic_access *a)
{
    u64 val = 0;

    for (unsigned i = 0; i < irqs_per_register(a->reg); i++)
        if (access_irq(g, a, a->first_intid + i)->edge)
            val |= (u64)GIC_ICFGR_EDGE << (GIC_ICFGR_BITS_PER_IRQ * i);
    return val;
}

static void write_icfgr(struct vgic *g, const struct vgic_access *a, u64 val)
{
    if (a->first_intid < VGIC_NR_SGIS) {
        if (val != read_icfgr(g, a)) {
            g->stats.raz_wi++;
            log_access(g, a, "ICFGR0 is read-only (SGIs are always edge-triggered), ignored");
        }
        return;
    }
    for (unsigned i = 0; i < irqs_per_register(a->reg); i++) {
        struct vgic_irq *irq = access_irq(g, a, a->first_intid + i);
        bool edge = (val >> (GIC_ICFGR_BITS_PER_IRQ * i)) & GIC_ICFGR_EDGE;

        if (irq->edge != edge) {
            irq->edge = edge;
            irq_changed(g, irq, a->defer);
        }
    }
}

/* --- Distributor: identification and control ------------------------------ */

static u64 read_gicd_ctlr(struct vgic *g, const struct vgic_access *a unused)
{
    u64 val = GICD_CTLR_ARE | GICD_CTLR_DS;   /* both RAO/WI, see the file comment */

    if (g->enable_grp0)
        val |= GICD_CTLR_ENABLE_GRP0;
    if (g->enable_grp1)
        val |= GICD_CTLR_ENABLE_GRP1;
    return val;   /* RWP = 0: every write takes effect at once */
}

/* A group enable changed: every interrupt of that group may now (not) be forwarded. */
static void kick_all_forwardable(struct vgic *g, struct vgic_deferred *d)
{
    for (unsigned v = 0; v < g->nr_vcpus; v++)
        for (unsigned i = 0; i < VGIC_NR_PRIVATE; i++)
            irq_changed(g, &g->rdist[v].priv[i], d);
    for (unsigned i = 0; i < VGIC_NR_SPIS; i++)
        irq_changed(g, &g->spi[i], d);
}

static void write_gicd_ctlr(struct vgic *g, const struct vgic_access *a, u64 val)
{
    bool grp0 = val & GICD_CTLR_ENABLE_GRP0;
    bool grp1 = val & GICD_CTLR_ENABLE_GRP1;

    /* DS is RAO/WI too, but guests written for two Security states never set it: no log. */
    if (!(val & GICD_CTLR_ARE)) {
        g->stats.raz_wi++;
        log_access(g, a, "ARE is RAO/WI: affinity routing stays enabled");
    }
    if (grp0 == g->enable_grp0 && grp1 == g->enable_grp1)
        return;
    g->enable_grp0 = grp0;
    g->enable_grp1 = grp1;
    kick_all_forwardable(g, a->defer);
}

static u64 read_gicd_typer(struct vgic *g, const struct vgic_access *a unused)
{
    return FIELD_PREP(GICD_TYPER_ITLINESNUMBER, VGIC_NR_IRQS / 32 - 1) |
           FIELD_PREP(GICD_TYPER_CPUNUMBER, g->nr_vcpus - 1) |
           FIELD_PREP(GICD_TYPER_IDBITS, VGIC_INTID_BITS - 1) |
           GICD_TYPER_A3V;   /* Aff3 is stored in IROUTER; LPIS, MBIS, ESPI, No1N are 0 */
}

static u64 read_iidr(struct vgic *g unused, const struct vgic_access *a unused)
{
    return FIELD_PREP(GIC_IIDR_PRODUCTID, VGIC_PRODUCT_ID) |
           FIELD_PREP(GIC_IIDR_IMPLEMENTER, VGIC_IMPLEMENTER);
}

static u64 read_zero(struct vgic *g unused, const struct vgic_access *a unused)
{
    return 0;
}

static u64 read_pidr2(struct vgic *g unused, const struct vgic_access *a unused)
{
    return FIELD_PREP(GIC_PIDR2_ARCHREV, GIC_PIDR2_ARCHREV_GICV3);
}

/* --- Distributor: routing ------------------------------------------------- */

static u64 read_irouter(struct vgic *g, const struct vgic_access *a)
{
    return g->irouter[a->first_intid - VGIC_NR_PRIVATE];
}

static void write_irouter(struct vgic *g, const struct vgic_access *a, u64 val)
{
    struct vgic_irq *irq = &g->spi[a->first_intid - VGIC_NR_PRIVATE];
    unsigned target;

    val &= GICD_IROUTER_WRITABLE;
    g->irouter[a->first_intid - VGIC_NR_PRIVATE] = val;
    target = irouter_target(g, val);
    if (target == irq->target)
        return;
    if (target == VGIC_NO_VCPU)
        log_access(g, a, "affinity names no vCPU of this domain: the SPI will not be delivered");
    irq->target = (u8)target;
    irq_changed(g, irq, a->defer);
}

/* --- The GICv2 distributor (IHI 0048B §4.3) -------------------------------- */

/* GICD_CTLR (no Security Extensions): bit 0 EnableGrp0, bit 1 EnableGrp1. */
static u64 read_gicd_ctlr_v2(struct vgic *g, const struct vgic_access *a unused)
{
    return (g->enable_grp0 ? GICD_CTLR_ENABLE_GRP0 : 0) |
           (g->enable_grp1 ? GICD_CTLR_ENABLE_GRP1 : 0);
}

static void write_gicd_ctlr_v2(struct vgic *g, const struct vgic_access *a, u64 val)
{
    bool grp0 = val & GICD_CTLR_ENABLE_GRP0;
    bool grp1 = val & GICD_CTLR_ENABLE_GRP1;

    if (grp0 == g->enable_grp0 && grp1 == g->enable_grp1)
        return;
    g->enable_grp0 = grp0;
    g->enable_grp1 = grp1;
    kick_all_forwardable(g, a->defer);
}

/* ITLinesNumber, CPUNumber; SecurityExtn = 0, LSPI = 0. */
static u64 read_gicd_typer_v2(struct vgic *g, const struct vgic_access *a unused)
{
    return FIELD_PREP(GICD_TYPER_ITLINESNUMBER, VGIC_NR_IRQS / 32 - 1) |
           FIELD_PREP(GICD_TYPER_CPUNUMBER, g->nr_vcpus - 1);
}

static u64 read_pidr2_v2(struct vgic *g unused, const struct vgic_access *a unused)
{
    return FIELD_PREP(GIC_PIDR2_ARCHREV, GIC_PIDR2_ARCHREV_GICV2);
}

/* The vCPUs a target byte names (bits of vCPUs that do not exist dropped). */
static u8 valid_targets(const struct vgic *g, u64 byte)
{
    return (u8)(byte & (BIT(g->nr_vcpus) - 1));
}

/* The one vCPU the model forwards to: the lowest the byte names. */
static unsigned itargets_target(u8 targets)
{
    for (unsigned v = 0; v < 8; v++)
        if (targets & BIT(v))
            return v;
    return VGIC_NO_VCPU;
}

/*
 * GICD_ITARGETSR<n>: a byte per INTID.  INTIDs 0-31 read the accessing
 * vCPU's own bit and ignore writes (§4.3.12); an SPI's byte is writable.
 */
static u64 read_itargetsr_v2(struct vgic *g, const struct vgic_access *a)
{
    u64 val = 0;

    for (unsigned i = 0; i < 4; i++) {
        u32 intid = a->first_intid + i;
        u64 byte = intid < VGIC_NR_PRIVATE ? BIT(a->rd) : g->itargets[intid - VGIC_NR_PRIVATE];
        val |= byte << (8 * i);
    }
    return val;
}

static void write_itargetsr_v2(struct vgic *g, const struct vgic_access *a, u64 val)
{
    if (a->first_intid < VGIC_NR_PRIVATE) {
        if (val != read_itargetsr_v2(g, a)) {
            g->stats.raz_wi++;
            log_access(g, a, "GICD_ITARGETSR0-7 are read-only (SGIs and PPIs are banked), "
                             "ignored");
        }
        return;
    }
    for (unsigned i = 0; i < 4; i++) {
        u32 spi = a->first_intid + i - VGIC_NR_PRIVATE;
        struct vgic_irq *irq = &g->spi[spi];
        u8 byte = (u8)(val >> (8 * i)), targets = valid_targets(g, byte);
        unsigned target = itargets_target(targets);

        if (targets != byte)
            log_access(g, a, "names CPU interfaces that are no vCPU of this domain: dropped");
        g->itargets[spi] = targets;
        if (target != irq->target) {
            irq->target = (u8)target;
            irq_changed(g, irq, a->defer);
        }
    }
}

/* One SGI made pending on vCPU `to` by vCPU (CPU interface) `from`. */
static void sgi_pend(struct vgic *g, unsigned to, u32 intid, unsigned from,
                     struct vgic_deferred *d)
{
    struct vgic_irq *irq = &g->rdist[to].priv[intid];

    irq->sgi_sources |= (u8)BIT(from);
    set_pending_latch(g, irq, d);
}

/* GICD_SGIR (§4.3.15): TargetListFilter 0 = the list, 1 = all but me, 2 = me. */
static void write_sgir_v2(struct vgic *g, const struct vgic_access *a, u64 val)
{
    u32 intid = (u32)FIELD_GET(GICD_SGIR_INTID, val);
    u64 filter = FIELD_GET(GICD_SGIR_TARGET_FILTER, val);
    u8 list = (u8)FIELD_GET(GICD_SGIR_TARGET_LIST, val), targets;

    switch (filter) {
    case SGIR_FILTER_LIST:
        targets = valid_targets(g, list);
        if (targets != list)
            log_access(g, a, "CPUTargetList names CPU interfaces that are no vCPU: ignored "
                             "for those");
        break;
    case SGIR_FILTER_OTHERS:
        targets = valid_targets(g, 0xff) & (u8)~BIT(a->vcpu);
        break;
    case SGIR_FILTER_SELF:
        targets = (u8)BIT(a->vcpu);
        break;
    default:
        g->stats.raz_wi++;
        log_access(g, a, "TargetListFilter 0b11 is reserved: no SGI sent");
        return;
    }
    for (unsigned v = 0; v < g->nr_vcpus; v++)
        if (targets & BIT(v))
            sgi_pend(g, v, intid, a->vcpu, a->defer);
}

/*
 * GICD_CPENDSGIR<n> / GICD_SPENDSGIR<n> (§4.3.16, §4.3.17): a byte per SGI
 * of the accessing vCPU, a bit per source CPU interface.  Sources already
 * handed to a list register are no longer listed (the LR holds one pending
 * state for them all).
 */
static u64 read_sgi_sources_v2(struct vgic *g, const struct vgic_access *a)
{
    u64 val = 0;

    for (unsigned i = 0; i < 4; i++) {
        struct vgic_irq *irq = access_irq(g, a, a->first_intid + i);
        if (irq->pending_latch)
            val |= (u64)irq->sgi_sources << (8 * i);
    }
    return val;
}

static void write_spendsgir_v2(struct vgic *g, const struct vgic_access *a, u64 val)
{
    for (unsigned i = 0; i < 4; i++) {
        u8 written = (u8)(val >> (8 * i)), sources = valid_targets(g, written);

        if (sources != written)
            log_access(g, a, "names source CPU interfaces that are no vCPU of this domain: "
                             "ignored for those");

        for (unsigned from = 0; from < 8; from++)
            if (sources & BIT(from))
                sgi_pend(g, a->rd, a->first_intid + i, from, a->defer);
    }
}

static void write_cpendsgir_v2(struct vgic *g, const struct vgic_access *a, u64 val)
{
    for (unsigned i = 0; i < 4; i++) {
        struct vgic_irq *irq = access_irq(g, a, a->first_intid + i);
        u8 clear = (u8)(val >> (8 * i));

        if (!clear || !(irq->sgi_sources & clear))
            continue;
        irq->sgi_sources &= (u8)~clear;
        if (!irq->sgi_sources)
            op_clear_pending(g, irq, a->defer);
    }
}

/*
 * The GICv2 distributor map: one 4 KiB page.  The per-INTID arrays cover
 * INTIDs 0-31 too (banked for the accessing vCPU).
 */
static const struct vgic_reg dist_regs_v2[] = {
    { "GICD_CTLR", GICD_CTLR, 4, 4, ACC_32, 0, read_gicd_ctlr_v2, write_gicd_ctlr_v2, NULL, false },
    { "GICD_TYPER", GICD_TYPER, 4, 4, ACC_32, 0, read_gicd_typer_v2, NULL, NULL, false },
    { "GICD_IIDR", GICD_IIDR, 4, 4, ACC_32, 0, read_iidr, NULL, NULL, false },
    { "GICD_IGROUPR", GICD_IGROUPR, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_igroupr,
      write_igroupr, NULL, false },
    { "GICD_ISENABLER", GICD_ISENABLER, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_enabler,
      write_isenabler, NULL, false },
    { "GICD_ICENABLER", GICD_ICENABLER, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_enabler,
      write_icenabler, NULL, false },
    { "GICD_ISPENDR", GICD_ISPENDR, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_pendr,
      write_ispendr, NULL, false },
    { "GICD_ICPENDR", GICD_ICPENDR, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_pendr,
      write_icpendr, NULL, false },
    { "GICD_ISACTIVER", GICD_ISACTIVER, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_activer,
      write_isactiver, NULL, false },
    { "GICD_ICACTIVER", GICD_ICACTIVER, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_activer,
      write_icactiver, NULL, false },
    { "GICD_IPRIORITYR", GICD_IPRIORITYR, GICD_IPRIORITYR_LEN, 4, ACC_8 | ACC_32, 8,
      read_ipriorityr, write_ipriorityr, NULL, false },
    { "GICD_ITARGETSR", GICD_ITARGETSR, GICD_ITARGETSR_LEN, 4, ACC_8 | ACC_32, 8,
      read_itargetsr_v2, write_itargetsr_v2, NULL, false },
    { "GICD_ICFGR", GICD_ICFGR, GICD_ICFGR_LEN, 4, ACC_32, 2, read_icfgr, write_icfgr, NULL, false },
    { "GICD_NSACR", GICD_NSACR, GICD_NSACR_LEN, 4, ACC_32, 2, NULL, NULL,
      "RAZ/WI: no Security Extensions", false },
    { "GICD_SGIR", GICD_SGIR, 4, 4, ACC_32, 0, read_zero, write_sgir_v2, NULL, false },
    { "GICD_CPENDSGIR", GICD_CPENDSGIR, GICD_SGI_BYTES_LEN, 4, ACC_8 | ACC_32, 8,
      read_sgi_sources_v2, write_cpendsgir_v2, NULL, true },
    { "GICD_SPENDSGIR", GICD_SPENDSGIR, GICD_SGI_BYTES_LEN, 4, ACC_8 | ACC_32, 8,
      read_sgi_sources_v2, write_spendsgir_v2, NULL, true },
    { "GICD_ICPIDR2", GICD_ICPIDR2_V2, 4, 4, ACC_32, 0, read_pidr2_v2, NULL, NULL, false },
};

/*
 * The distributor map.  With affinity routing, the GICD registers of INTIDs
 * 0-31 are RAZ/WI (the redistributor has them); that check is made by the
 * dispatcher for every per-INTID array here.
 */
static const struct vgic_reg dist_regs[] = {
    { "GICD_CTLR", GICD_CTLR, 4, 4, ACC_32, 0, read_gicd_ctlr, write_gicd_ctlr, NULL, false },
    { "GICD_TYPER", GICD_TYPER, 4, 4, ACC_32, 0, read_gicd_typer, NULL, NULL, false },
    { "GICD_IIDR", GICD_IIDR, 4, 4, ACC_32, 0, read_iidr, NULL, NULL, false },
    { "GICD_TYPER2", GICD_TYPER2, 4, 4, ACC_32, 0, read_zero, NULL, NULL, false },
    { "GICD_STATUSR", GICD_STATUSR, 4, 4, ACC_32, 0, NULL, NULL,
      "RAZ/WI: the model reports no access errors", false },
    { "GICD_IGROUPR", GICD_IGROUPR, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_igroupr,
      write_igroupr, NULL, false },
    { "GICD_ISENABLER", GICD_ISENABLER, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_enabler,
      write_isenabler, NULL, false },
    { "GICD_ICENABLER", GICD_ICENABLER, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_enabler,
      write_icenabler, NULL, false },
    { "GICD_ISPENDR", GICD_ISPENDR, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_pendr,
      write_ispendr, NULL, false },
    { "GICD_ICPENDR", GICD_ICPENDR, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_pendr,
      write_icpendr, NULL, false },
    { "GICD_ISACTIVER", GICD_ISACTIVER, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_activer,
      write_isactiver, NULL, false },
    { "GICD_ICACTIVER", GICD_ICACTIVER, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, read_activer,
      write_icactiver, NULL, false },
    { "GICD_IPRIORITYR", GICD_IPRIORITYR, GICD_IPRIORITYR_LEN, 4, ACC_8 | ACC_32, 8,
      read_ipriorityr, write_ipriorityr, NULL, false },
    { "GICD_ITARGETSR", GICD_ITARGETSR, GICD_ITARGETSR_LEN, 4, ACC_8 | ACC_32, 8, NULL, NULL,
      "RAZ/WI: affinity routing is on, targets come from GICD_IROUTER", false },
    { "GICD_ICFGR", GICD_ICFGR, GICD_ICFGR_LEN, 4, ACC_32, 2, read_icfgr, write_icfgr, NULL, false },
    { "GICD_IGRPMODR", GICD_IGRPMODR, BITS_PER_IRQ_ARRAY_LEN, 4, ACC_32, 1, NULL, NULL,
      "RAZ/WI: GICD_CTLR.DS = 1, there is no Secure Group 1", false },
    { "GICD_NSACR", GICD_NSACR, GICD_NSACR_LEN, 4, ACC_32, 2, NULL, NULL,
      "RAZ/WI: GICD_CTLR.DS = 1", false },
    { "GICD_SGIR", GICD_SGIR, 4, 4, ACC_32, 0, NULL, NULL,
      "WI: affinity routing is on, SGIs come from ICC_SGI1R_EL1", false },
    { "GICD_CPENDSGIR", GICD_CPENDSGIR, GICD_SPENDSGIR_LEN, 4, ACC_8 | ACC_32, 0, NULL, NULL,
      "RAZ/WI: affinity routing is on", false },
    { "GICD_SPENDSGIR", GICD_SPENDSGIR, GICD_SPENDSGIR_LEN, 4, ACC_8 | ACC_32, 0, NULL, NULL,
      "RAZ/WI: affinity routing is on", false },
    { "GICD_IROUTER", GICD_IROUTER, GICD_IROUTER_LEN, 8, ACC_32 | ACC_64, 64, read_irouter,
      write_irouter, NULL, false },
    { "GICD_PIDR2", GICD_PIDR2, 4, 4, ACC_32, 0, read_pidr2, NULL, NULL, false },
};

/* --- Redistributor RD_base frame -------------------------------------------
 *
 * GICR_TYPER identifies the PE behind the redistributor: its affinity, a
 * processor number, and Last on the final redistributor of the contiguous
 * region, which is how a guest walking the region knows where to stop.
 * GICR_WAKER is the power handshake: software clears ProcessorSleep and waits
 * for ChildrenAsleep to read 0.  An emulated interface has nothing to quiesce,
 * so ChildrenAsleep simply follows ProcessorSleep.
 */
static u64 read_gicr_typer(struct vgic *g, const struct vgic_access *a)
{
    u64 val = FIELD_PREP(GICR_TYPER_AFF0, a->rd) |
              FIELD_PREP(GICR_TYPER_PROCESSOR_NUMBER, a->rd);

    if (a->rd == g->nr_vcpus - 1)
        val |= GICR_TYPER_LAST;
    return val;   /* PLPIS = VLPIS = DirectLPI = 0: no LPIs */
}

static u64 read_gicr_waker(struct vgic *g, const struct vgic_access *a)
{
    return g->rdist[a->rd].processor_sleep
               ? GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP
               : 0;
}

static void write_gicr_waker(struct vgic *g, const struct vgic_access *a, u64 val)
{
    g->rdist[a->rd].processor_sleep = val & GICR_WAKER_PROCESSOR_SLEEP;
}

static const struct vgic_reg rd_regs[] = {
    { "GICR_CTLR", GICR_CTLR, 4, 4, ACC_32, 0, NULL, NULL,
      "RAZ/WI: no LPIs (EnableLPIs RES0), writes complete at once (RWP = 0)", false },
    { "GICR_IIDR", GICR_IIDR, 4, 4, ACC_32, 0, read_iidr, NULL, NULL, false },
    { "GICR_TYPER", GICR_TYPER, 8, 8, ACC_32 | ACC_64, 0, read_gicr_typer, NULL, NULL, false },
    { "GICR_STATUSR", GICR_STATUSR, 4, 4, ACC_32, 0, NULL, NULL,
      "RAZ/WI: the model reports no access errors", false },
    { "GICR_WAKER", GICR_WAKER, 4, 4, ACC_32, 0, read_gicr_waker, write_gicr_waker, NULL, false },
    { "GICR_PROPBASER", GICR_PROPBASER, 8, 8, ACC_32 | ACC_64, 0, NULL, NULL,
      "RAZ/WI: no LPIs", false },
    { "GICR_PENDBASER", GICR_PENDBASER, 8, 8, ACC_32 | ACC_64, 0, NULL, NULL,
      "RAZ/WI: no LPIs", false },
    { "GICR_PIDR2", GICR_PIDR2, 4, 4, ACC_32, 0, read_pidr2, NULL, NULL, false },
};

/* --- Redistributor SGI_base frame: INTIDs 0-31 of one vCPU ---------------- */
static const struct vgic_reg sgi_regs[] = {
    { "GICR_IGROUPR0", GICR_IGROUPR0, 4, 4, ACC_32, 1, read_igroupr, write_igroupr, NULL, false },
    { "GICR_ISENABLER0", GICR_ISENABLER0, 4, 4, ACC_32, 1, read_enabler, write_isenabler, NULL, false },
    { "GICR_ICENABLER0", GICR_ICENABLER0, 4, 4, ACC_32, 1, read_enabler, write_icenabler, NULL, false },
    { "GICR_ISPENDR0", GICR_ISPENDR0, 4, 4, ACC_32, 1, read_pendr, write_ispendr, NULL, false },
    { "GICR_ICPENDR0", GICR_ICPENDR0, 4, 4, ACC_32, 1, read_pendr, write_icpendr, NULL, false },
    { "GICR_ISACTIVER0", GICR_ISACTIVER0, 4, 4, ACC_32, 1, read_activer, write_isactiver, NULL, false },
    { "GICR_ICACTIVER0", GICR_ICACTIVER0, 4, 4, ACC_32, 1, read_activer, write_icactiver, NULL, false },
    { "GICR_IPRIORITYR", GICR_IPRIORITYR, GICR_IPRIORITYR_LEN, 4, ACC_8 | ACC_32, 8,
      read_ipriorityr, write_ipriorityr, NULL, false },
    { "GICR_ICFGR", GICR_ICFGR0, GICR_ICFGR_LEN, 4, ACC_32, 2, read_icfgr, write_icfgr, NULL, false },
    { "GICR_IGRPMODR0", GICR_IGRPMODR0, 4, 4, ACC_32, 1, NULL, NULL,
      "RAZ/WI: GICD_CTLR.DS = 1, there is no Secure Group 1", false },
    { "GICR_NSACR", GICR_NSACR, 4, 4, ACC_32, 2, NULL, NULL, "RAZ/WI: GICD_CTLR.DS = 1", false },
};

/* --- The dispatcher ------------------------------------------------------------
 *
 * Every access is checked against the register it falls in (IHI 0069, "GIC
 * memory-mapped register access"): 32-bit registers take word accesses, the
 * priority (and legacy target/SGI-pending) registers also byte accesses, 64-bit
 * registers doubleword or either 32-bit half; always naturally aligned.  Then
 * the whole register is read or written; narrower writes are merged into the
 * current value first, except for write-1-to-set/clear registers (w1x), where
 * the other bytes are written as zeros (no effect).  The set/clear arrays
 * (ISENABLER...ICACTIVER) take word accesses only, so only the GICv2
 * GICD_SPENDSGIR/CPENDSGIR are both byte-accessible and w1x.
 */
static bool valid_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static u64 size_mask(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* For per-INTID arrays of the distributor: is this register one the model has? */
static const char *dist_intid_range_problem(const struct vgic *g, const struct vgic_access *a)
{
    if (a->frame != FRAME_GICD || a->reg->bits_per_irq == 0)
        return NULL;
    if (a->first_intid < VGIC_NR_PRIVATE && g->model == VGIC_MODEL_V3)
        return a->reg->bits_per_irq == 64
                   ? "RAZ/WI: GICD_IROUTER<0-31> are reserved"
                   : "RAZ/WI: INTIDs 0-31 live in the redistributor (affinity routing)";
    if (a->first_intid >= VGIC_NR_IRQS)
        return "RAZ/WI: INTIDs beyond GICD_TYPER.ITLinesNumber";
    return NULL;
}

static enum vgic_mmio_result dispatch(struct vgic *g, struct vgic_access *a,
                                      const struct vgic_reg *table, size_t n, u64 *val)
{
    const struct vgic_reg *reg = find_reg(table, n, a->offset);
    u32 reg_start, shift;
    const char *problem;
    u64 full;

    *val = 0;
    a->reg = reg;
    if (!valid_size(a->size)) {
        g->stats.bad_access++;
        log_access(g, a, "access size not 1, 2, 4 or 8 bytes, RAZ/WI");
        return VGIC_MMIO_BAD_ACCESS;
    }
    if (!reg) {
        g->stats.unknown++;
        log_access(g, a, "no such register, RAZ/WI");
        return VGIC_MMIO_OK;
    }
    a->index = (a->offset - reg->offset) / reg->width;
    if (reg->bits_per_irq)
        a->first_intid = a->index * irqs_per_register(reg);
    if (!(reg->sizes & a->size) || !IS_ALIGNED(a->offset, a->size)) {
        g->stats.bad_access++;
        log_access(g, a, "access size/alignment not allowed for this register, RAZ/WI");
        return VGIC_MMIO_BAD_ACCESS;
    }
    problem = dist_intid_range_problem(g, a);
    if (!reg->read && !reg->write)
        problem = reg->raz_wi_why;
    if (problem) {
        g->stats.raz_wi++;
        log_access(g, a, problem);
        return VGIC_MMIO_OK;
    }

    reg_start = reg->offset + a->index * reg->width;
    shift = 8 * (a->offset - reg_start);
    full = reg->read(g, a);
    if (!a->is_write) {
        *val = (full >> shift) & size_mask(a->size);
        return VGIC_MMIO_OK;
    }
    if (!reg->write) {
        g->stats.raz_wi++;
        log_access(g, a, "read-only register, write ignored");
        return VGIC_MMIO_OK;
    }
    if (a->size < reg->width)
        a->wval = (reg->w1x ? 0 : full & ~(size_mask(a->size) << shift)) |
                  ((a->wval & size_mask(a->size)) << shift);
    reg->write(g, a, a->wval);
    return VGIC_MMIO_OK;
}

bool vgic_in_dist(const struct vgic *g, u64 ipa)
{
    return ipa >= g->dist_base && ipa - g->dist_base < g->dist_size;
}

bool vgic_in_rdist(const struct vgic *g, u64 ipa)
{
    return g->model == VGIC_MODEL_V3 && ipa >= g->rdist_base &&
           ipa - g->rdist_base < (u64)g->nr_vcpus * VGIC_RDIST_STRIDE;
}

/* Which frame, if any, holds ipa; fills frame, rd and offset.  In the GICv2
 * distributor rd is the accessing vCPU: its banked INTIDs 0-31. */
static bool locate(const struct vgic *g, unsigned vcpu, u64 ipa, struct vgic_access *a)
{
    u64 rd_off;

    if (vgic_in_dist(g, ipa)) {
        a->frame = FRAME_GICD;
        a->rd = g->model == VGIC_MODEL_V2 ? vcpu : VGIC_NO_VCPU;
        a->offset = (u32)(ipa - g->dist_base);
        return true;
    }
    if (!vgic_in_rdist(g, ipa))
        return false;
    rd_off = ipa - g->rdist_base;
    a->rd = (unsigned)(rd_off / VGIC_RDIST_STRIDE);
    rd_off %= VGIC_RDIST_STRIDE;
    a->frame = rd_off < VGIC_RDIST_FRAME_SIZE ? FRAME_GICR_RD : FRAME_GICR_SGI;
    a->offset = (u32)(rd_off % VGIC_RDIST_FRAME_SIZE);
    return true;
}

static enum vgic_mmio_result vgic_mmio_access(struct vgic *g, unsigned vcpu, u64 ipa,
                                              unsigned size, bool is_write, u64 wval, u64 *rval)
{
    struct vgic_deferred d = { 0 };
    struct vgic_access a = { 0 };
    enum vgic_mmio_result res;
    u64 flags, dummy;

    if (!locate(g, vcpu, ipa, &a))
        return VGIC_MMIO_NOT_OURS;
    if (g->model == VGIC_MODEL_V2 && vcpu >= g->nr_vcpus) {
        /* The caller's bug, not the guest's: no banked registers to reach. */
        g->stats.bad_access++;
        if (rval)
            *rval = 0;
        return VGIC_MMIO_BAD_ACCESS;
    }
    a.vcpu = vcpu;
    a.size = size;
    a.is_write = is_write;
    a.wval = wval;
    a.defer = &d;

    flags = vgic_lock(g);
    switch (a.frame) {
    case FRAME_GICD:
        if (g->model == VGIC_MODEL_V2)
            res = dispatch(g, &a, dist_regs_v2, ARRAY_SIZE(dist_regs_v2), rval ? rval : &dummy);
        else
            res = dispatch(g, &a, dist_regs, ARRAY_SIZE(dist_regs), rval ? rval : &dummy);
        break;
    case FRAME_GICR_RD:
        res = dispatch(g, &a, rd_regs, ARRAY_SIZE(rd_regs), rval ? rval : &dummy);
        break;
    default:
        res = dispatch(g, &a, sgi_regs, ARRAY_SIZE(sgi_regs), rval ? rval : &dummy);
        break;
    }
    vgic_unlock(g, flags, &d);
    return res;
}

enum vgic_mmio_result vgic_mmio_read(struct vgic *g, unsigned vcpu, u64 ipa, unsigned size,
                                     u64 *val)
{
    return vgic_mmio_access(g, vcpu, ipa, size, false, 0, val);
}

enum vgic_mmio_result vgic_mmio_write(struct vgic *g, unsigned vcpu, u64 ipa, unsigned size,
                                      u64 val)
{
    if (!valid_size(size))
        val = 0;   /* only logged; keep garbage out of the log's value field */
    else
        val &= size_mask(size);
    return vgic_mmio_access(g, vcpu, ipa, size, true, val, NULL);
}

/* --- Reset ------------------------------------------------------------------ */

static void reset_irq(struct vgic_irq *irq, u32 intid, unsigned target)
{
    *irq = (struct vgic_irq){
        .intid = intid,
        .target = (u8)target,
        .edge = intid < VGIC_NR_SGIS,   /* SGIs are edge-triggered, the rest reset level */
    };
}

int vgic_init(struct vgic *g, unsigned domid, unsigned nr_vcpus, u64 dist_base, u64 rdist_base,
              const struct vgic_ops *ops)
{
    if (nr_vcpus == 0 || nr_vcpus > VGIC_MAX_VCPUS || !IS_ALIGNED(dist_base, VGIC_DIST_SIZE) ||
        !IS_ALIGNED(rdist_base, VGIC_RDIST_FRAME_SIZE))
        return -EINVAL;

    g->lock = (spinlock_t)SPINLOCK_INIT(LOCK_VGIC);
    g->model = VGIC_MODEL_V3;
    g->dist_size = VGIC_DIST_SIZE;
    g->domid = domid;
    g->nr_vcpus = nr_vcpus;
    g->dist_base = dist_base;
    g->rdist_base = rdist_base;
    g->ops = ops ? *ops : (struct vgic_ops){ 0 };
    g->enable_grp0 = false;
    g->enable_grp1 = false;
    g->stats = (struct vgic_stats){ 0 };
    g->spis_ever_enabled = 0;
    for (unsigned w = 0; w < VGIC_SPI_WORDS; w++)
        g->spi_maybe_pending[w] = 0;   /* nothing is pending after a reset */
    for (unsigned i = 0; i < VGIC_NR_SPIS; i++) {
        g->irouter[i] = 0;   /* UNKNOWN at reset; 0 routes to vCPU 0 */
        g->itargets[i] = 1;  /* GICv2: to vCPU 0 likewise */
        reset_irq(&g->spi[i], VGIC_NR_PRIVATE + i, 0);
    }
    for (unsigned v = 0; v < VGIC_MAX_VCPUS; v++) {
        g->rdist[v].processor_sleep = true;
        g->rdist[v].maybe_pending = 0;
        for (unsigned i = 0; i < VGIC_NR_PRIVATE; i++)
            reset_irq(&g->rdist[v].priv[i], i, v < nr_vcpus ? v : VGIC_NO_VCPU);
    }
    return 0;
}

int vgic_init_v2(struct vgic *g, unsigned domid, unsigned nr_vcpus, u64 dist_base,
                 const struct vgic_ops *ops)
{
    int ret;

    if (!IS_ALIGNED(dist_base, VGIC_V2_DIST_SIZE))
        return -EINVAL;
    /* The GICv3 reset, then what the GICv2 model has instead. */
    ret = vgic_init(g, domid, nr_vcpus, ALIGN_DOWN(dist_base, VGIC_DIST_SIZE), 0, ops);
    if (ret)
        return ret;
    g->model = VGIC_MODEL_V2;
    g->dist_base = dist_base;
    g->dist_size = VGIC_V2_DIST_SIZE;
    g->rdist_base = 0;
    for (unsigned v = 0; v < nr_vcpus; v++)
        g->rdist[v].processor_sleep = false;   /* no GICR_WAKER to wake it with */
    return 0;
}

/* --- Interrupt sources ----------------------------------------------------- */

int vgic_inject(struct vgic *g, unsigned vcpu, u32 intid)
{
    struct vgic_deferred d = { 0 };
    struct vgic_irq *irq;
    u64 flags;

    flags = vgic_lock(g);
    irq = lookup_irq(g, vcpu, intid);
    if (irq)
        set_pending_latch(g, irq, &d);
    vgic_unlock(g, flags, &d);
    return irq ? 0 : -EINVAL;
}

int vgic_set_level(struct vgic *g, unsigned vcpu, u32 intid, bool level)
{
    struct vgic_deferred d = { 0 };
    struct vgic_irq *irq;
    u64 flags;

    flags = vgic_lock(g);
    irq = lookup_irq(g, vcpu, intid);
    if (irq && irq->line_level != level) {
        set_line(g, irq, level);
        if (irq->edge && level)
            set_latch(g, irq, true);     /* a rising edge */
        irq_changed(g, irq, &d);
    }
    vgic_unlock(g, flags, &d);
    return irq ? 0 : -EINVAL;
}

/*
 * SGI generation (IHI 0069, "ICC_SGI1R_EL1"): with IRM = 0 the SGI goes to
 * the PEs Aff3.Aff2.Aff1.<Aff0 = RS * 16 + i> for each set bit i of TargetList.
 */
static unsigned sgi_list_targets(struct vgic *g, unsigned from, u64 sgi1r, u32 intid,
                                 struct vgic_deferred *d)
{
    u64 list = FIELD_GET(ICC_SGI1R_TARGETLIST, sgi1r);
    u64 upper = sgi1r & (ICC_SGI1R_AFF1 | ICC_SGI1R_AFF2 | ICC_SGI1R_AFF3);
    unsigned base = (unsigned)FIELD_GET(ICC_SGI1R_RS, sgi1r) * ICC_SGI1R_TARGETS_PER_RANGE;
    unsigned count = 0;

    if (list && upper) {
        dlog_domid(g->domid,
                   "vgic: d%u: vcpu%u: SGI %u to Aff3.Aff2.Aff1 = %llu.%llu.%llu: no such vCPU, "
                   "ignored\n", g->domid, from, intid,
                   (unsigned long long)FIELD_GET(ICC_SGI1R_AFF3, sgi1r),
                   (unsigned long long)FIELD_GET(ICC_SGI1R_AFF2, sgi1r),
                   (unsigned long long)FIELD_GET(ICC_SGI1R_AFF1, sgi1r));
        return 0;
    }
    for (unsigned i = 0; i < ICC_SGI1R_TARGETS_PER_RANGE; i++) {
        unsigned aff0 = base + i;

        if (!(list & BIT(i)))
            continue;
        if (aff0 >= g->nr_vcpus) {
            dlog_domid(g->domid,
                       "vgic: d%u: vcpu%u: SGI %u to vcpu%u: no such vCPU, ignored\n", g->domid,
                       from, intid, aff0);
            continue;
        }
        set_pending_latch(g, &g->rdist[aff0].priv[intid], d);
        count++;
    }
    return count;
}

int vgic_send_sgi(struct vgic *g, unsigned from, u64 sgi1r)
{
    u32 intid = (u32)FIELD_GET(ICC_SGI1R_INTID, sgi1r);
    struct vgic_deferred d = { 0 };
    unsigned count = 0;
    u64 flags;

    if (from >= g->nr_vcpus)
        return -EINVAL;
    if (g->model != VGIC_MODEL_V3)
        return -ENODEV;
    flags = vgic_lock(g);
    if (sgi1r & ICC_SGI1R_IRM) {
        for (unsigned v = 0; v < g->nr_vcpus; v++) {
            if (v == from)
                continue;
            set_pending_latch(g, &g->rdist[v].priv[intid], &d);
            count++;
        }
    } else {
        count = sgi_list_targets(g, from, sgi1r, intid, &d);
    }
    vgic_unlock(g, flags, &d);
    return (int)count;
}

int vgic_link_hw(struct vgic *g, u32 intid, u32 hw_intid)
{
    struct vgic_deferred d = { 0 };
    struct vgic_irq *irq;
    int ret = 0;
    u64 flags;

    if (!is_spi(intid) || hw_intid < VGIC_FIRST_HW_SPI || hw_intid > VGIC_LAST_HW_SPI)
        return -EINVAL;
    flags = vgic_lock(g);
    irq = &g->spi[intid - VGIC_NR_PRIVATE];
    if (irq->hw && irq->hw_intid != hw_intid) {
        ret = -EEXIST;
    } else {
        irq->hw = true;
        irq->hw_intid = hw_intid;
        defer_hw_enable(&d, hw_intid, irq->enabled);
    }
    vgic_unlock(g, flags, &d);
    return ret;
}

/* --- The list-register side -------------------------------------------------
 *
 * The LR code is the virtual CPU interface's feeder (IHI 0069, "Virtual
 * interrupt handling and prioritization"): it asks for the best interrupt to
 * put in a free LR, and reports what the guest did with each LR.
 */

/* Whether a is a better candidate than b (lower priority value, then lower INTID). */
static bool better_candidate(const struct vgic_irq *a, const struct vgic_irq *b)
{
    if (!b)
        return true;
    if (a->priority != b->priority)
        return a->priority < b->priority;
    return a->intid < b->intid;
}

static bool claimable_by(const struct vgic *g, const struct vgic_irq *irq, unsigned vcpu)
{
    return irq->target == vcpu && !irq->in_lr && irq_forwardable(g, irq);
}

/* One word of a may-be-pending bitmap (the scans, above): the best claimable
 * interrupt among its set bits and `best`; bits found stale are cleared. */
static struct vgic_irq *best_in_word(struct vgic *g, unsigned vcpu, u64 *word,
                                     struct vgic_irq *first, struct vgic_irq *best)
{
    for (u64 bits = *word; bits; bits &= bits - 1) {
        unsigned n = (unsigned)__builtin_ctzll(bits);
        struct vgic_irq *irq = &first[n];

        if (!may_be_pending(irq))
            *word &= ~(1ULL << n);
        else if (claimable_by(g, irq, vcpu) && better_candidate(irq, best))
            best = irq;
    }
    return best;
}

static struct vgic_irq *best_candidate(struct vgic *g, unsigned vcpu)
{
    struct vgic_irq *best = NULL;
    u64 priv = g->rdist[vcpu].maybe_pending;

    best = best_in_word(g, vcpu, &priv, g->rdist[vcpu].priv, best);
    g->rdist[vcpu].maybe_pending = (u32)priv;
    for (unsigned w = 0; w < VGIC_SPI_WORDS; w++)
        best = best_in_word(g, vcpu, &g->spi_maybe_pending[w], &g->spi[w * 64], best);
    return best;
}

/* Pending state the LR cannot carry (vgic.h, vgic_lr_needs_eoi_exit); lock held. */
static bool needs_eoi_exit(const struct vgic_irq *irq)
{
    return !irq->hw && !irq->edge &&
           (irq->line_level || (irq->active && (irq->pending_latch || irq->relatched)));
}

int vgic_claim_next(struct vgic *g, unsigned vcpu, u8 *priority, bool *group1, bool *hw,
                    u32 *hw_intid, bool *eoi_exit)
{
    struct vgic_irq *irq = NULL;
    u64 flags;
    int intid = -1;

    if (vcpu >= g->nr_vcpus)
        return -1;
    flags = vgic_lock(g);
    irq = best_candidate(g, vcpu);
    if (irq) {
        irq->in_lr = true;
        irq->lr_vcpu = (u8)vcpu;
        irq->lr_pending = true;
        if (irq->edge) {
            set_latch(g, irq, false);     /* the edge now lives in the LR */
            irq->sgi_sources = 0;         /* and every GICv2 SGI source with it */
        }
        intid = (int)irq->intid;
        if (priority)
            *priority = irq->priority;
        if (group1)
            *group1 = irq->group1;
        if (hw)
            *hw = irq->hw;
        if (hw_intid)
            *hw_intid = irq->hw_intid;
        if (eoi_exit)
            *eoi_exit = needs_eoi_exit(irq);
    }
    vgic_unlock(g, flags, NULL);
    return intid;
}

/* The interrupt vcpu's LR holds for intid, or NULL (logged, counted) if it holds none. */
static struct vgic_irq *lr_irq(struct vgic *g, unsigned vcpu, u32 intid, const char *caller)
{
    struct vgic_irq *irq = lookup_irq(g, vcpu, intid);

    if (irq && irq->in_lr && irq->lr_vcpu == vcpu)
        return irq;
    g->stats.bad_lr_sync++;
    dlog_domid(g->domid,
               "vgic: d%u: vcpu%u: %s for INTID %u, which is not in this vCPU's LRs\n", g->domid,
               vcpu, caller, intid);
    return NULL;
}

void vgic_lr_sync(struct vgic *g, unsigned vcpu, u32 intid, bool pending, bool active)
{
    struct vgic_deferred d = { 0 };
    struct vgic_irq *irq;
    u64 flags;

    flags = vgic_lock(g);
    irq = lr_irq(g, vcpu, intid, "vgic_lr_sync");
    if (irq) {
        /* Pending -> not pending in the LR: the guest acknowledged it (read ICC_IAR1_EL1). */
        if (pending)
            irq->relatched = false;   /* not acknowledged yet: one pending state covers both */
        if (irq->lr_pending && !pending && !irq->edge) {
            /* ISPENDR-set state of a level interrupt ends here, unless set again since */
            set_latch(g, irq, irq->relatched);
            irq->relatched = false;
            if (irq->pending_latch)
                defer_kick(g, &d, irq->target);
        }
        irq->lr_pending = pending;
        irq->active = active;
        if (!pending && !active)
            leave_lr(g, irq, vcpu, &d);
    }
    vgic_unlock(g, flags, &d);
}

/*
 * The vCPU context that held irq in an LR is gone (PSCI CPU_ON after CPU_OFF):
 * the interrupt leaves the LR.  A real redistributor keeps an interrupt pending
 * while its PE is off, so pending state the LR had goes back to the model (an
 * edge's latch; a level interrupt keeps its own latch or line); the active
 * state goes with the old context.  For a HW-linked interrupt the physical one
 * then stays active, as after a deactivation through ICACTIVER.
 */
void vgic_lr_forget(struct vgic *g, unsigned vcpu, u32 intid, bool pending)
{
    struct vgic_deferred d = { 0 };
    struct vgic_irq *irq;
    u64 flags;

    flags = vgic_lock(g);
    irq = lr_irq(g, vcpu, intid, "vgic_lr_forget");
    if (irq) {
        irq->active = false;
        leave_lr(g, irq, vcpu, &d);
        if (pending && irq->edge)
            set_latch(g, irq, true);
        irq_changed(g, irq, &d);
    }
    vgic_unlock(g, flags, &d);
}

/* The pending state the LR of irq should carry now. */
static bool lr_should_be_pending(const struct vgic *g, const struct vgic_irq *irq, unsigned vcpu)
{
    bool pending = irq->pending_latch || (irq->edge ? irq->lr_pending : irq->line_level);

    if (!irq->enabled || !group_enabled(g, irq) || irq->target != vcpu)
        return false;   /* the distributor would not forward it (any more) */
    if (irq->active && (irq->hw || !irq->edge))
        return false;   /* HW: pending+active not allowed; level: resample after deactivation */
    return pending;
}

bool vgic_lr_refresh(struct vgic *g, unsigned vcpu, u32 intid, u8 *priority, bool *pending,
                     bool *active, bool *eoi_exit)
{
    struct vgic_deferred d = { 0 };
    struct vgic_irq *irq;
    bool keep = false;
    u64 flags;

    flags = vgic_lock(g);
    irq = lr_irq(g, vcpu, intid, "vgic_lr_refresh");
    if (irq) {
        bool want = lr_should_be_pending(g, irq, vcpu);

        if (irq->edge) {
            /* An edge goes to the LR, or comes back to the model when the LR drops it. */
            if (want)
                set_latch(g, irq, false);
            else
                set_latch(g, irq, irq->pending_latch || irq->lr_pending);
        }
        /* Refreshed on the way in, so the guest has not run since the LR
         * was read back: a level interrupt latched again meanwhile is
         * covered by the pending state the LR still has (as in
         * vgic_lr_sync).  Left set, it would wait for an exit that a vCPU
         * sleeping in its own WFI (cpu.c, cpu_exclusive) never makes. */
        if (want && irq->lr_pending && !irq->edge)
            irq->relatched = false;
        irq->lr_pending = want;
        keep = want || irq->active;
        if (keep) {
            if (priority)
                *priority = irq->priority;
            if (pending)
                *pending = want;
            if (active)
                *active = irq->active;
            if (eoi_exit)
                *eoi_exit = needs_eoi_exit(irq);
        } else {
            leave_lr(g, irq, vcpu, &d);
        }
    }
    vgic_unlock(g, flags, &d);
    return keep;
}

bool vgic_lr_needs_eoi_exit(struct vgic *g, unsigned vcpu, u32 intid)
{
    struct vgic_irq *irq;
    bool need = false;
    u64 flags;

    flags = vgic_lock(g);
    irq = lr_irq(g, vcpu, intid, "vgic_lr_needs_eoi_exit");
    if (irq)
        need = needs_eoi_exit(irq);
    vgic_unlock(g, flags, NULL);
    return need;
}

int vgic_lr_evict(struct vgic *g, unsigned vcpu, u32 intid)
{
    struct vgic_deferred d = { 0 };
    struct vgic_irq *irq;
    int ret = 0;
    u64 flags;

    flags = vgic_lock(g);
    irq = lr_irq(g, vcpu, intid, "vgic_lr_evict");
    if (!irq) {
        ret = -EINVAL;
    } else if (irq->active) {
        ret = -EBUSY;
    } else {
        if (irq->edge && irq->lr_pending)
            set_latch(g, irq, true);     /* the edge goes back to the model */
        leave_lr(g, irq, vcpu, &d);
    }
    vgic_unlock(g, flags, &d);
    return ret;
}

bool vgic_has_pending(struct vgic *g, unsigned vcpu)
{
    bool found = false;
    u64 flags;

    if (vcpu >= g->nr_vcpus)
        return false;
    flags = vgic_lock(g);
    for (unsigned i = 0; i < VGIC_NR_PRIVATE && !found; i++)
        found = irq_forwardable(g, &g->rdist[vcpu].priv[i]);
    for (unsigned i = 0; i < g->spis_ever_enabled && !found; i++)
        found = g->spi[i].target == vcpu && irq_forwardable(g, &g->spi[i]);
    vgic_unlock(g, flags, NULL);
    return found;
}

void vgic_describe(struct vgic *g, unsigned vcpu, u32 intid, char *buf, size_t len)
{
    const struct vgic_irq *irq;
    u64 flags;

    flags = vgic_lock(g);
    irq = lookup_irq(g, vcpu, intid);
    if (!irq)
        snprintf(buf, len, "INTID %u: none for vcpu%u", intid, vcpu);
    else
        snprintf(buf, len, "INTID %u: %s, %s, %s, latch %u, line %u, active %u, %s%u, "
                 "lr_pending %u, relatched %u, forwardable %u", intid,
                 irq->enabled ? "enabled" : "disabled", irq->edge ? "edge" : "level",
                 group_enabled(g, irq) ? "group on" : "group off", irq->pending_latch,
                 irq->line_level, irq->active, irq->in_lr ? "in an LR of vcpu" : "in no LR, vcpu",
                 irq->in_lr ? irq->lr_vcpu : irq->target, irq->lr_pending, irq->relatched,
                 irq_forwardable(g, irq));
    vgic_unlock(g, flags, NULL);
}
