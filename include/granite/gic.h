/*
 * gic.h — the host's interrupt controller, as granite drives it: the
 * distributor and redistributors (drivers/gicv3.c, a DRIVER_IRQCHIP the
 * driver table finds) and the CPU interface (arch/arm64/gic_cpuif.c).
 * For arch/ and drivers/ only: core/ goes through arch.h.
 * INTIDs: 0-15 SGIs, 16-31 PPIs, 32-1019 SPIs.
 */
#ifndef GRANITE_GIC_H
#define GRANITE_GIC_H

#include <granite/types.h>

/* Interrupts granite itself uses. */
#define IRQ_SGI_KICK 0         /* "look at your run queue": cross-CPU wake-up */
#define IRQ_PPI_MAINTENANCE 25 /* GICv3 virtual interface maintenance */
#define IRQ_PPI_HYP_TIMER 26   /* CNTHP: granite's own timer (time slices, timers) */
#define IRQ_PPI_VTIMER 27      /* CNTV: the running guest's virtual timer */
#define IRQ_PPI_PTIMER 30      /* CNTP: driven by granite for the running guest's emulated EL1 physical timer */
#define IRQ_SPURIOUS 1023

/* On each CPU: wake its redistributor, enable the CPU interface at EL2. */
int gic_cpu_init(unsigned cpu, u64 mpidr);
/* The guest-visible layout of the host GIC (for dom0's direct map). */
pa_t gic_dist_base(void);
pa_t gic_rdist_base(void);
u64 gic_rdist_size(void);

/* The CPU interface (arch/arm64/gic_cpuif.c). */
void gic_cpuif_boot(void);         /* once: count the list registers, say so */
void gic_cpuif_init(void);         /* on each CPU, from gic_cpu_init: switch it on at EL2 */
u32 gic_ack(void);                 /* acknowledge the highest-priority pending interrupt */
void gic_priority_drop(u32 intid); /* EOI, step 1: the CPU may take other interrupts */
void gic_deactivate(u32 intid);    /* EOI, step 2: the interrupt may fire again */
void gic_send_sgi(u64 target_mpidr, u32 sgi);
unsigned gic_nr_lrs(void);
/* The distributor (drivers/gicv3.c): SPIs only. */
void gic_enable(u32 intid, bool on);
void gic_set_edge(u32 intid, bool edge);
void gic_route_spi(u32 intid, u64 mpidr);

#endif
