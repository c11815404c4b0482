/*
 * gic.c — which GIC the host has: the struct gic_ops its driver installed
 * when it probed (drivers/gicv3.c or drivers/gicv2.c), and the gic_*
 * functions the rest of arch/ calls, each a call through that table.
 *
 * Assumption: exactly one interrupt controller driver probes, on the boot CPU,
 * before any of these is called (arch_irq_init); calling one earlier is a
 * broken invariant and panics rather than jumping through NULL.
 */
#include <granite/console.h>
#include <granite/gic.h>

static const struct gic_ops *ops;

void gic_install(const struct gic_ops *o) { ops = o; }

const struct gic_ops *gic_host(void)
{
    if (!ops)
        panic("gic: no interrupt controller driver has probed");
    return ops;
}

int gic_cpu_init(unsigned cpu, u64 mpidr) { return gic_host()->cpu_init(cpu, mpidr); }
pa_t gic_dist_base(void) { return gic_host()->dist_base; }
pa_t gic_rdist_base(void) { return gic_host()->rdist_base; }
u64 gic_rdist_size(void) { return gic_host()->rdist_size; }
void gic_cpuif_boot(void) { gic_host()->boot_report(); }
u32 gic_ack(void) { return ops->ack(); }
void gic_priority_drop(u32 intid) { ops->priority_drop(intid); }
void gic_deactivate(u32 intid) { ops->deactivate(intid); }
void gic_send_sgi(u64 target_mpidr, u32 sgi) { ops->send_sgi(target_mpidr, sgi); }
unsigned gic_nr_lrs(void) { return ops->nr_lrs(); }
void gic_enable(u32 intid, bool on) { gic_host()->enable(intid, on); }
void gic_set_edge(u32 intid, bool edge) { gic_host()->set_edge(intid, edge); }
void gic_route_spi(u32 intid, u64 mpidr) { gic_host()->route_spi(intid, mpidr); }
u64 gic_lr_read(unsigned n) { return ops->lr_read(n); }
void gic_lr_write(unsigned n, u64 raw) { ops->lr_write(n, raw); }
void gic_lr_decode(u64 raw, struct gic_lr *lr) { ops->lr_decode(raw, lr); }
u64 gic_lr_encode(const struct gic_lr *lr) { return ops->lr_encode(lr); }
void gic_underflow_irq(bool on) { ops->underflow_irq(on); }
bool gic_no_hw_lrs(void) { return ops->no_hw_lrs; }
unsigned gic_nr_irqs(void) { return gic_host()->nr_irqs; }
void gic_vif_save(struct gic_vcpu_if *g) { ops->vif_save(g); }
void gic_vif_load(const struct gic_vcpu_if *g) { ops->vif_load(g); }
