/*
 * gic.h — the host's interrupt controller, as granite drives it, behind one
 * interface with two implementations:
 *   GICv3  drivers/gicv3.c (distributor, redistributors), the CPU interface
 *          and list registers as system registers (arch/arm64/gic_cpuif.c);
 *   GICv2  drivers/gicv2.c (GICD, GICC, and the virtualization extensions'
 *          GICH and GICV frames, all memory-mapped).
 * The driver the device tree selects (a DRIVER_IRQCHIP) installs its
 * struct gic_ops with gic_install() when it probes; the gic_* functions below
 * (arch/arm64/gic.c) call through it, so no caller asks which GIC it is.
 * For arch/ and drivers/ only: core/ goes through arch.h.
 * INTIDs: 0-15 SGIs, 16-31 PPIs, 32-1019 SPIs (the same in both versions).
 */
#ifndef GRANITE_GIC_H
#define GRANITE_GIC_H

#include <granite/types.h>

/* Interrupts granite itself uses (the same INTIDs on GICv2 and GICv3). */
#define IRQ_SGI_KICK 0         /* "look at your run queue": cross-CPU wake-up */
#define IRQ_PPI_MAINTENANCE 25 /* virtual interface maintenance (PPI 9) */
#define IRQ_PPI_HYP_TIMER 26   /* CNTHP: granite's own timer (time slices, timers) */
#define IRQ_PPI_VTIMER 27      /* CNTV: the running guest's virtual timer */
#define IRQ_PPI_PTIMER 30      /* CNTP: driven by granite for the running guest's emulated EL1 physical timer */
#define IRQ_SPURIOUS 1023

struct gic_vcpu_if;

/* One list register, decoded: what either format (ICH_LR<n>_EL2, GICH_LR<n>) holds. */
struct gic_lr {
    u32 vintid;
    u32 pintid;      /* hw: the physical INTID */
    u8 priority;     /* 8-bit priority (GICv2 keeps its top 5 bits) */
    bool group1;
    bool hw;
    bool eoi;        /* !hw: maintenance interrupt when the guest deactivates it */
    bool pending;
    bool active;
};

/* What a guest on this host is shown (the vGIC model and the guest's DT follow it). */
enum gic_version { GIC_V2 = 2, GIC_V3 = 3 };

struct gic_ops {
    const char *name;
    enum gic_version version;
    /* Per CPU: its private part of the GIC (redistributor or banked GICD
     * registers) and its CPU interface, switched on at EL2. */
    int (*cpu_init)(unsigned cpu, u64 mpidr);
    void (*boot_report)(void);     /* once: count the list registers, say so */
    u32 (*ack)(void);              /* acknowledge: the INTID, 1020-1023 for none */
    void (*priority_drop)(u32 intid);
    void (*deactivate)(u32 intid);
    void (*send_sgi)(u64 target_mpidr, u32 sgi);
    unsigned (*nr_lrs)(void);
    /* The distributor: SPIs only. */
    void (*enable)(u32 intid, bool on);
    void (*set_edge)(u32 intid, bool edge);
    void (*route_spi)(u32 intid, u64 mpidr);
    /* The virtual CPU interface of this CPU. */
    u64 (*lr_read)(unsigned n);
    void (*lr_write)(unsigned n, u64 raw);
    void (*lr_decode)(u64 raw, struct gic_lr *lr);
    u64 (*lr_encode)(const struct gic_lr *lr);
    void (*underflow_irq)(bool on);   /* maintenance interrupt when at most one LR is used */
    void (*vif_save)(struct gic_vcpu_if *g);   /* LRs (then cleared), VMCR, active priorities */
    void (*vif_load)(const struct gic_vcpu_if *g);
    /* The guest's deactivation of a HW-linked LR is not seen by the physical
     * GIC's signalling: a level interrupt still asserted afterwards is not
     * signalled again until something else makes the GIC look (QEMU's GICv2
     * model: a GICV_EOIR/GICV_DIR write re-evaluates only the virtual
     * interface).  vgic_lr.c then links such interrupts in software: an LR
     * without HW, with its EOI maintenance bit, and granite deactivates the
     * physical interrupt (GICC_DIR) when the LR drains. */
    bool no_hw_lrs;
    /* INTIDs the host distributor has: 32 * (GICD_TYPER.ITLinesNumber + 1),
     * at most 1020.  No SPI at or beyond it can be routed to a guest. */
    unsigned nr_irqs;
    /* The host's layout, for a direct-mapped domain's view. */
    pa_t dist_base;
    pa_t rdist_base;  /* GICv3 */
    u64 rdist_size;   /* GICv3 */
    pa_t cpuif_base;  /* GICv2: GICC (the guest's GICC is GICV, mapped here for dom0) */
    pa_t vcpuif_base; /* GICv2: GICV, the virtual CPU interface a guest is given */
    u64 vcpuif_page2; /* GICv2: offset of GICV's second 4 KiB page (GICV_DIR): 0x1000,
                       * or 0x10000 on a GIC-400 with its 64 KiB-aliased frames */
};

/* The driver that probed, once: every gic_* below calls through its table. */
void gic_install(const struct gic_ops *ops);
const struct gic_ops *gic_host(void);

/* On each CPU: wake its redistributor, enable the CPU interface at EL2. */
int gic_cpu_init(unsigned cpu, u64 mpidr);
/* The guest-visible layout of the host GIC (for dom0's direct map). */
pa_t gic_dist_base(void);
pa_t gic_rdist_base(void);
u64 gic_rdist_size(void);

void gic_cpuif_boot(void);         /* once: count the list registers, say so */
u32 gic_ack(void);                 /* acknowledge the highest-priority pending interrupt */
void gic_priority_drop(u32 intid); /* EOI, step 1: the CPU may take other interrupts */
void gic_deactivate(u32 intid);    /* EOI, step 2: the interrupt may fire again */
void gic_send_sgi(u64 target_mpidr, u32 sgi);
unsigned gic_nr_lrs(void);
/* The distributor: SPIs only. */
void gic_enable(u32 intid, bool on);
void gic_set_edge(u32 intid, bool edge);
void gic_route_spi(u32 intid, u64 mpidr);
/* The list registers and the rest of the virtual CPU interface. */
u64 gic_lr_read(unsigned n);
void gic_lr_write(unsigned n, u64 raw);
void gic_lr_decode(u64 raw, struct gic_lr *lr);
u64 gic_lr_encode(const struct gic_lr *lr);
void gic_underflow_irq(bool on);
bool gic_no_hw_lrs(void);
unsigned gic_nr_irqs(void);        /* the host distributor's INTIDs (struct gic_ops.nr_irqs) */
void gic_vif_save(struct gic_vcpu_if *g);
void gic_vif_load(const struct gic_vcpu_if *g);

/* The two list-register formats (arch/arm64/gic_lr_format.c, pure). */
u64 gic_v3_lr_encode(const struct gic_lr *lr);   /* ICH_LR<n>_EL2 */
void gic_v3_lr_decode(u64 raw, struct gic_lr *lr);
u64 gic_v2_lr_encode(const struct gic_lr *lr);   /* GICH_LR<n> (32 bits) */
void gic_v2_lr_decode(u64 raw, struct gic_lr *lr);

/* The GICv3 system-register CPU interface (arch/arm64/gic_cpuif.c), for drivers/gicv3.c. */
void gic_v3_cpuif_init(void);   /* on each CPU, from its cpu_init: switch it on at EL2 */
extern const struct gic_ops gic_v3_cpuif_ops;   /* its ack..vif_load; gicv3.c adds the rest */

#endif
