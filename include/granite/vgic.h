/*
 * vgic.h — the emulated GIC a domain sees, plus the per-interrupt state
 * machine the list-register code (arch/arm64/vgic_lr.c) feeds the virtual CPU
 * interface from.  Two register models share that state machine:
 *   GICv3 (vgic_init): one distributor (GICD) and one redistributor (GICR,
 *     RD_base + SGI_base frames) per vCPU.  References are to the GICv3/v4
 *     Architecture Specification, Arm IHI 0069, by register name or section
 *     title;
 *   GICv2 (vgic_init_v2, on a GICv2 host): one 4 KiB distributor in the
 *     GICv2 programmers' model (Arm IHI 0048B §4.3): SGI/PPI registers banked
 *     per vCPU inside GICD, SPI targets in GICD_ITARGETSR, SGIs from
 *     GICD_SGIR, GICD_CPENDSGIR/SPENDSGIR, no redistributors.  The CPU
 *     interface is the hardware's GICV frame, not emulated here.
 *
 * What the guest gets (GICv3 model; the GICv2 one differs as said above and
 * in vgic_init_v2):
 *   - 192 INTIDs: SGIs 0-15 and PPIs 16-31 per vCPU, SPIs 32..191 shared;
 *   - affinity routing always on (GICD_CTLR.ARE reads 1, RAO/WI) and a single
 *     Security state (GICD_CTLR.DS reads 1), so Group 0 and Group 1 are the
 *     only groups and every register is the "Non-secure" view;
 *   - no LPIs and no ITS (GICD_TYPER.LPIS = 0, GICR_PROPBASER/PENDBASER RAZ/WI);
 *   - vCPU n has MPIDR Aff0 = n, Aff1..Aff3 = 0 (granite's convention).
 *
 * The model is plain C: no system registers, no assembly.  It builds for the
 * hypervisor and, with -DHOST_TEST, for the host unit tests.
 *
 * Locking: every function takes g->lock (with interrupts masked), so they may
 * be called from any physical CPU, including from an interrupt handler.  The
 * callbacks in struct vgic_ops are called *after* the lock is released, so
 * they may call back into the model.
 *
 * How the list-register (LR) code drives the model, on each vCPU:
 *
 *   on guest exit:   for each LR it filled (also those the guest emptied):
 *                        vgic_lr_sync(g, vcpu, intid, pending, active)
 *   before entry:    for each interrupt still in an LR:
 *                        if (!vgic_lr_refresh(g, vcpu, intid, &prio, &pending, &active, &eoi))
 *                            clear that LR;          (else rewrite it with the new state)
 *                    while a free LR exists and (intid = vgic_claim_next(...)) >= 0:
 *                        write an LR: vINTID intid, state pending, priority, group,
 *                        HW + pINTID when hw;
 *   WFI trapped:     block only if !vgic_has_pending(g, vcpu).
 *   LRs full and a better interrupt waits: vgic_lr_evict() a pending-only LR.
 *
 * The model never touches the LRs itself; while an interrupt is "in an LR"
 * (in_lr) the LR holds its pending/active state and the model only learns of
 * the guest's acknowledge/deactivate through vgic_lr_sync().
 */
#ifndef GRANITE_VGIC_H
#define GRANITE_VGIC_H

#include <granite/types.h>
#include <granite/spinlock.h>

#define VGIC_NR_SGIS 16                    /* INTIDs 0..15 */
#define VGIC_NR_PRIVATE 32                 /* SGIs + PPIs, banked per vCPU */
#define VGIC_NR_SPIS 160                   /* INTIDs 32..191: a GIC-400's 192 lines (ZynqMP) */
#define VGIC_NR_IRQS (VGIC_NR_PRIVATE + VGIC_NR_SPIS)
#define VGIC_SPI_WORDS ((VGIC_NR_SPIS + 63) / 64)
#define VGIC_MAX_VCPUS 8
#define VGIC_DIST_SIZE 0x10000             /* one 64 KiB frame */
#define VGIC_RDIST_FRAME_SIZE 0x10000      /* RD_base, then SGI_base */
#define VGIC_RDIST_STRIDE 0x20000          /* RD_base + SGI_base per vCPU */
#define VGIC_NO_VCPU 0xff                  /* "no target": IROUTER names no vCPU */
#define VGIC_V2_DIST_SIZE 0x1000           /* GICv2 distributor: one 4 KiB page */

enum vgic_model { VGIC_MODEL_V3, VGIC_MODEL_V2 };

/* Per-INTID state.  For SGIs/PPIs there is one per vCPU, for SPIs one per
 * domain.  (The u32s first and the bytes together: 24 bytes, not 28, times
 * the 416 a domain has.) */
struct vgic_irq {
    u32 intid;
    u32 hw_intid;       /* the physical INTID when hw */
    u8 sgi_sources;     /* GICv2 SGIs: source vCPUs not yet handed to an LR (GICD_SPENDSGIR) */
    u8 priority;        /* GICD_IPRIORITYR / GICR_IPRIORITYR byte; lower value = higher priority */
    u8 target;          /* vCPU it is forwarded to (IROUTER Aff0; own vCPU for SGI/PPI) or VGIC_NO_VCPU */
    u8 lr_vcpu;         /* when in_lr: whose list register holds it */
    bool enabled;       /* GICD_ISENABLER / GICR_ISENABLER0 */
    bool group1;        /* GICD_IGROUPR: 1 = Group 1 (what guests use), 0 = Group 0 */
    bool edge;          /* GICD_ICFGR Int_config[1]: 1 = edge-triggered, 0 = level-sensitive */
    bool pending_latch; /* an edge, a vgic_inject() or a GICD_ISPENDR write not yet handed to an LR */
    bool line_level;    /* level-sensitive: the input line as vgic_set_level() last set it */
    bool active;        /* active state (mirrors the LR while in_lr) */
    bool in_lr;         /* the LR code owns it: it sits in lr_vcpu's list registers */
    bool lr_pending;    /* the pending bit of that LR as last written or synced */
    bool relatched;     /* level: latched again while the latch sat, pending, in an LR */
    bool hw;            /* linked to a physical interrupt (LR HW bit) */
};

/* One redistributor: the private interrupts of one vCPU and its power state. */
struct vgic_redist {
    struct vgic_irq priv[VGIC_NR_PRIVATE];
    bool processor_sleep;   /* GICR_WAKER.ProcessorSleep; ChildrenAsleep follows it */
    u32 maybe_pending;      /* bit n: priv[n] may be pending (vgic.c, "The scans") */
};

struct vgic_ops {
    /*
     * This vCPU should look at its interrupts again: one became deliverable to
     * it, or one in its list registers changed state.  Wake it if it is
     * blocked in WFI, make it exit if it runs.  May be called for the vCPU
     * that is itself in the hypervisor (then it is a no-op for the caller).
     */
    void (*kick)(void *ctx, unsigned vcpu);
    /* The guest enabled/disabled a HW-linked SPI: mirror it on the physical GIC. */
    void (*hw_enable)(void *ctx, u32 hw_intid, bool enable);
    void *ctx;
};

/* Counters of what the guest did that the model ignored; each also logged. */
struct vgic_stats {
    u64 raz_wi;       /* accesses to registers that are RAZ/WI (or WI) in this model */
    u64 unknown;      /* accesses to offsets that hold no register */
    u64 bad_access;   /* sizes or alignments the spec does not allow for the register */
    u64 bad_lr_sync;  /* vgic_lr_sync/refresh/evict for an interrupt not in that vCPU's LRs */
};

struct vgic {
    spinlock_t lock;
    enum vgic_model model;
    unsigned domid;              /* for log lines */
    unsigned nr_vcpus;
    u64 dist_base;               /* IPA of GICD */
    u64 dist_size;               /* VGIC_DIST_SIZE (GICv3) or VGIC_V2_DIST_SIZE */
    u64 rdist_base;              /* IPA of vCPU 0's GICR; vCPU n at + n * VGIC_RDIST_STRIDE */
    struct vgic_ops ops;
    bool enable_grp0;            /* GICD_CTLR.EnableGrp0 */
    bool enable_grp1;            /* GICD_CTLR.EnableGrp1 (DS = 1 view; EnableGrp1NS in the brief) */
    struct vgic_irq spi[VGIC_NR_SPIS];
    u64 spi_maybe_pending[VGIC_SPI_WORDS];  /* bit n: spi[n] may be pending (vgic.c) */
    unsigned spis_ever_enabled;  /* SPIs 0..n-1 hold every SPI ever enabled: a disabled
                                  * SPI is never delivered, so vgic_has_pending's scan
                                  * stops here (the LR fill walks spi_maybe_pending) */
    u64 irouter[VGIC_NR_SPIS];   /* GICD_IROUTER<n> as written (RES0 bits cleared) */
    u8 itargets[VGIC_NR_SPIS];   /* GICv2: GICD_ITARGETSR<n> bytes as written (valid vCPUs only) */
    struct vgic_redist rdist[VGIC_MAX_VCPUS];
    struct vgic_stats stats;
};

/*
 * What a vgic_mmio_read/write did.  VGIC_MMIO_NOT_OURS is 0 so that
 * "if (vgic_mmio_read(...))" reads as "the vGIC handled it".
 */
enum vgic_mmio_result {
    VGIC_MMIO_NOT_OURS = 0,      /* the IPA is outside this vGIC's frames */
    VGIC_MMIO_OK = 1,            /* handled (including RAZ/WI registers and unknown offsets, logged) */
    VGIC_MMIO_BAD_ACCESS = 2,    /* handled as RAZ/WI, but the size/alignment is not allowed: logged, counted */
};

/*
 * Reset the vGIC (every register at its reset value, IHI 0069 register
 * descriptions): distributor disabled, all interrupts disabled, inactive, not
 * pending, Group 0, priority 0, SGIs edge, PPIs and SPIs level, every SPI
 * routed to vCPU 0, every redistributor asleep (GICR_WAKER.ProcessorSleep = 1).
 * ops may be NULL (no callbacks).  Returns -EINVAL if nr_vcpus is 0 or above
 * VGIC_MAX_VCPUS, or a base is not 64 KiB aligned.
 */
int vgic_init(struct vgic *g, unsigned domid, unsigned nr_vcpus, u64 dist_base, u64 rdist_base,
              const struct vgic_ops *ops);

/*
 * The GICv2 model of the same (IHI 0048B, for a guest on a GICv2 host): a
 * 4 KiB distributor at dist_base (4 KiB aligned), nothing else.  Differences
 * from the GICv3 model: GICD_CTLR has EnableGrp0/EnableGrp1 and no ARE;
 * GICD_TYPER says CPUNumber and no Security Extensions; INTIDs 0-31 are
 * reached through the GICD registers themselves, banked per accessing vCPU;
 * an SPI goes to the lowest-numbered vCPU its GICD_ITARGETSR byte names (the
 * architecture lets any one of them take it; every SPI starts targeted at
 * vCPU 0); SGIs come from GICD_SGIR (vgic_send_sgi refuses, -ENODEV: there is
 * no system-register interface) and GICD_SPENDSGIR, and leave with
 * GICD_CPENDSGIR; the source of an SGI is not carried into the list register
 * (the guest's GICV_IAR.CPUID reads 0).
 */
int vgic_init_v2(struct vgic *g, unsigned domid, unsigned nr_vcpus, u64 dist_base,
                 const struct vgic_ops *ops);

/* Whether ipa is in this vGIC's distributor, or in one of its redistributors. */
bool vgic_in_dist(const struct vgic *g, u64 ipa);
bool vgic_in_rdist(const struct vgic *g, u64 ipa);

/*
 * A guest data abort on ipa, size 1, 2, 4 or 8 bytes, from vCPU `vcpu`.
 * The distributor is the 64 KiB at dist_base; the redistributors are
 * nr_vcpus * VGIC_RDIST_STRIDE at rdist_base.  Outside those: NOT_OURS and
 * nothing is touched.  Inside: the register is emulated (IHI 0069 chapter
 * "Programmers' model"), reads fill *val (zero-extended), and anything the model
 * does not implement reads as zero, ignores writes and logs a line.
 */
enum vgic_mmio_result vgic_mmio_read(struct vgic *g, unsigned vcpu, u64 ipa, unsigned size,
                                     u64 *val);
enum vgic_mmio_result vgic_mmio_write(struct vgic *g, unsigned vcpu, u64 ipa, unsigned size,
                                      u64 val);

/*
 * An interrupt event from the hypervisor (a device model, a timer, a physical
 * interrupt forwarded to a HW-linked SPI).  vcpu selects the redistributor
 * for INTIDs 0-31 and is ignored for SPIs.
 *
 * vgic_inject: the interrupt becomes pending, as an edge would make it (or a
 * GICD_ISPENDR write: for a level-sensitive interrupt the pending state then
 * lasts until the guest acknowledges it).  Use it for HW-linked interrupts of
 * either trigger: the physical interrupt stays active until the guest
 * deactivates it, so it cannot fire twice.
 * vgic_set_level: drives the input line.  Level-sensitive: pending follows the
 * line.  Edge-triggered: a rising edge makes it pending.
 *
 * Kicks the target vCPU if the interrupt became deliverable.  Returns 0, or
 * -EINVAL for an INTID out of range or (INTIDs 0-31) a vCPU that does not exist.
 */
int vgic_inject(struct vgic *g, unsigned vcpu, u32 intid);
int vgic_set_level(struct vgic *g, unsigned vcpu, u32 intid, bool level);

/*
 * The guest on vCPU `from` wrote ICC_SGI1R_EL1 = sgi1r (trapped; IHI 0069
 * register description "ICC_SGI1R_EL1"): make SGI INTID pending on each target.
 * IRM = 1 targets every vCPU but `from`; otherwise the target list names Aff0 =
 * RS * 16 + bit within Aff3.Aff2.Aff1; targets that are not vCPUs of this
 * domain are ignored (and logged).  With GICD_CTLR.DS = 1 an ICC_SGI1R_EL1 write
 * signals the SGI whichever group it is configured in at the target (section
 * "Forwarding an SGI to a target PE").  Kicks each target it becomes
 * deliverable to.  Returns the number of vCPUs the SGI was made pending on,
 * -EINVAL for a bad `from`, or -ENODEV for the GICv2 model (no ICC_* registers:
 * the caller makes the guest's access UNDEFINED).
 */
int vgic_send_sgi(struct vgic *g, unsigned from, u64 sgi1r);

/*
 * Link SPI `intid` to physical `hw_intid` (an SPI, 32..1019): its LRs get the HW
 * bit, so the guest's deactivation deactivates the physical interrupt too.
 * hw_enable is called at once with the current enable state so both agree.
 * Returns 0, -EINVAL (not an SPI) or -EEXIST (already linked elsewhere).
 */
int vgic_link_hw(struct vgic *g, u32 intid, u32 hw_intid);

/*
 * For the LR code, before guest entry: the highest-priority (lowest value)
 * interrupt that is pending and not active, enabled, in an enabled group
 * (GICD_CTLR.EnableGrp1 for Group 1, EnableGrp0 for Group 0), routed to
 * `vcpu`, and not already in an LR.  Ties go to the lower INTID.  It is marked
 * in_lr (the LR code must put it in an LR with state pending) and its INTID
 * returned with its priority, group and HW link; -1 when there is none
 * (1023, "spurious", is never returned).  Any output pointer may be NULL.
 */
int vgic_claim_next(struct vgic *g, unsigned vcpu, u8 *priority, bool *group1, bool *hw,
                    u32 *hw_intid, bool *eoi_exit);

/*
 * For the LR code, on guest exit: the LR holding `intid` now says pending/active.
 * The guest acknowledging the interrupt (pending -> active) consumes an edge
 * and any ISPENDR-set pending state; a level-sensitive interrupt stays pending
 * while its line is high.  State none (the guest deactivated it, or it never was
 * taken and was removed): the interrupt leaves the LR (in_lr = false) and
 * vgic_claim_next may return it again if it is still pending.
 * (IHI 0069 section "Interrupt lifecycle" and ICH_LR<n>_EL2.State.)
 */
void vgic_lr_sync(struct vgic *g, unsigned vcpu, u32 intid, bool pending, bool active);
/* The context holding intid in an LR is gone (a vCPU restarted): it leaves the
 * LR, keeping its pending state in the model and dropping the active state. */
void vgic_lr_forget(struct vgic *g, unsigned vcpu, u32 intid, bool pending);

/*
 * For the LR code, before guest entry, for each interrupt still in an LR: the
 * state the LR should now hold, after what happened since the exit (a new edge
 * while the guest handles the last one, a GICD_ICPENDR/ICENABLER write, a
 * priority change, a re-route).  Returns false when the LR should be cleared
 * (the interrupt then leaves the LR, its pending state kept in the model);
 * true with *priority, *pending, *active to write otherwise.  Never asks for
 * pending+active on a HW-linked LR (not allowed with HW = 1) nor on a
 * level-sensitive one (the line is re-sampled once the guest deactivates).
 */
bool vgic_lr_refresh(struct vgic *g, unsigned vcpu, u32 intid, u8 *priority, bool *pending,
                     bool *active, bool *eoi_exit);

/*
 * vgic_claim_next and vgic_lr_refresh also answer this in *eoi_exit (under
 * the same lock, on every entry); this query is for the tests.
 * For the LR code, before guest entry, for an interrupt it has just put in
 * or kept in an LR (without the HW link): whether the guest's deactivation
 * must bring the vCPU out (ICH_LR<n>_EL2.EOI, an EOI maintenance interrupt),
 * because the model holds pending state the LR cannot carry -- a level line
 * still high, to be sampled again then, or a latch set again while the LR
 * copy is active.  Nothing else would make that vCPU exit if it sleeps in
 * its own WFI (no WFI trap when it is alone on its CPU).
 */
bool vgic_lr_needs_eoi_exit(struct vgic *g, unsigned vcpu, u32 intid);

/*
 * For the LR code, when a better interrupt waits and every LR is used: give
 * back an interrupt whose LR is pending-only (the caller clears that LR).
 * Returns 0, -EBUSY if it is active (it must stay for the guest to deactivate
 * it), -EINVAL if it is not in this vCPU's LRs.
 */
int vgic_lr_evict(struct vgic *g, unsigned vcpu, u32 intid);

/*
 * Whether `vcpu` has an interrupt pending, not active, enabled, in an enabled
 * group and routed to it, in an LR or not: a trapped WFI should not block.
 * (The guest's priority mask lives in the virtual CPU interface and is not
 * looked at, so this may wake a vCPU that then finds nothing to take.)
 */
bool vgic_has_pending(struct vgic *g, unsigned vcpu);

/* One line of what the model holds for `intid` as `vcpu` sees it (enable,
 * trigger, latch, line, active, which LR): for a counter dump, where a stuck
 * interrupt shows itself. */
void vgic_describe(struct vgic *g, unsigned vcpu, u32 intid, char *buf, size_t len);

#endif
