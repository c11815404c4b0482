/*
 * test_vgic_lr.c — host unit tests of arch/arm64/vgic_lr.c, the list-register
 * feeder, over a fake GICv2 virtual interface (four GICH_LR<n> in memory, the
 * real GICv2 LR format of gic_lr_format.c) and the real vGIC model (vgic.c).
 *
 * What is checked: a HW-linked passthrough SPI on a host that says
 * gic_no_hw_lrs (drivers/gicv2.c: QEMU's GICv2 does not signal a physical
 * level interrupt again after the guest's deactivation of a HW LR) goes to
 * the guest as a software LR with the EOI maintenance bit, keeps that bit
 * through a refresh, and granite deactivates the physical interrupt once the
 * guest has ended the virtual one -- not before.  On a host with usable HW
 * LRs the LR carries the HW bit and granite never deactivates it itself.
 * An LR the guest drained is written again only when that matters: cleared
 * when its EOI bit would keep the maintenance interrupt asserted, left alone
 * (it is invalid already) otherwise, and reused by the next interrupt.
 *
 * GICH_LR fields (Arm IHI 0048B §5.3.11) are written out here, not taken
 * from the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/domain.h>
#include <granite/gic.h>
#include <granite/vgic.h>
#include "host_stubs.h"
#include "../../arch/arm64/internal.h"

#define DIST 0x08000000ULL
#define D_CTLR 0x000
#define D_ISENABLER 0x100
#define CTLR_GRP0 1u

/* GICH_LR<n> */
#define LR_VIRTUALID(v) ((v) & 0x3ff)
#define LR_PHYSICALID(v) (((v) >> 10) & 0x3ff)
#define LR_EOI (1u << 19)
#define LR_STATE_SHIFT 28
#define LR_STATE_MASK (3u << LR_STATE_SHIFT)
#define LR_PENDING (1u << LR_STATE_SHIFT)
#define LR_ACTIVE (2u << LR_STATE_SHIFT)
#define LR_HW (1u << 31)

#define NR_LRS 4
#define NIC_SPI 36

/* --- the fake host GIC: gic.h's functions vgic_lr.c calls ----------------- */
static u64 lrs[NR_LRS];
static bool host_no_hw_lrs;
static u32 deactivated[8];
static unsigned nr_deactivated;
static unsigned nr_lr_writes;

unsigned gic_nr_lrs(void) { return NR_LRS; }
u64 gic_lr_read(unsigned n) { return n < NR_LRS ? lrs[n] : 0; }
void gic_lr_write(unsigned n, u64 raw)
{
    nr_lr_writes++;
    if (n < NR_LRS)
        lrs[n] = (u32)raw;
}
void gic_lr_decode(u64 raw, struct gic_lr *lr) { gic_v2_lr_decode(raw, lr); }
u64 gic_lr_encode(const struct gic_lr *lr) { return gic_v2_lr_encode(lr); }
void gic_underflow_irq(bool on unused) {}
bool gic_no_hw_lrs(void) { return host_no_hw_lrs; }
void gic_deactivate(u32 intid)
{
    assert_true(nr_deactivated < 8);
    deactivated[nr_deactivated++] = intid;
}

/* --- one domain with one vCPU ---------------------------------------------- */
static struct vgic g;
static struct domain dom;
static struct vcpu vc;

static void no_kick(void *ctx unused, unsigned vcpu unused) {}
static void no_hw_enable(void *ctx unused, u32 hw unused, bool on unused) {}
static const struct vgic_ops ops = { .kick = no_kick, .hw_enable = no_hw_enable, .ctx = &g };

static void dwrite(u32 off, u64 val)
{
    assert_int_equal(vgic_mmio_write(&g, 0, DIST + off, 4, val), VGIC_MMIO_OK);
}

/* The guest has enabled Group 0 and the NIC's SPI; granite linked it to the
 * physical SPI of the same number and the NIC raised it. */
static void setup_nic_irq(bool no_hw)
{
    host_stubs_reset();
    memset(lrs, 0, sizeof(lrs));
    memset(&vc, 0, sizeof(vc));
    nr_deactivated = 0;
    nr_lr_writes = 0;
    host_no_hw_lrs = no_hw;
    assert_int_equal(vgic_init_v2(&g, 1, 1, DIST, &ops), 0);
    dom.vgic = &g;
    vc.d = &dom;
    vc.id = 0;
    dwrite(D_CTLR, CTLR_GRP0);
    dwrite(D_ISENABLER + 4 * (NIC_SPI / 32), 1u << (NIC_SPI % 32));
    assert_int_equal(vgic_link_hw(&g, NIC_SPI, NIC_SPI), 0);
    assert_int_equal(vgic_inject(&g, 0, NIC_SPI), 0);
}

static void guest_sets_state(unsigned n, u32 state)
{
    lrs[n] = (lrs[n] & ~(u64)LR_STATE_MASK) | state;
}

static void test_soft_link_on_no_hw_host(void **state unused)
{
    setup_nic_irq(true);
    vgic_lr_fill(&vc);
    assert_int_equal(LR_VIRTUALID(lrs[0]), NIC_SPI);
    assert_int_equal(lrs[0] & LR_STATE_MASK, LR_PENDING);
    assert_false(lrs[0] & LR_HW);
    assert_true(lrs[0] & LR_EOI);             /* the guest's EOI makes it exit */

    vgic_lr_fill(&vc);                        /* an unrelated exit: refreshed, bit kept */
    assert_true(lrs[0] & LR_EOI);
    assert_false(lrs[0] & LR_HW);

    guest_sets_state(0, LR_ACTIVE);           /* acknowledged: still the guest's */
    vgic_lr_sync_from_hw(&vc);
    vgic_lr_fill(&vc);
    assert_int_equal(nr_deactivated, 0);
    assert_true(lrs[0] & LR_EOI);

    guest_sets_state(0, 0);                   /* ended: the maintenance exit */
    vgic_lr_sync_from_hw(&vc);
    assert_int_equal(nr_deactivated, 1);
    assert_int_equal(deactivated[0], NIC_SPI);
    assert_int_equal(lrs[0], 0);

    vgic_lr_fill(&vc);                        /* nothing pending: nothing more */
    assert_int_equal(lrs[0], 0);
    assert_int_equal(nr_deactivated, 1);
}

static void test_next_interrupt_after_soft_link(void **state unused)
{
    setup_nic_irq(true);
    vgic_lr_fill(&vc);
    guest_sets_state(0, 0);
    vgic_lr_sync_from_hw(&vc);
    assert_int_equal(nr_deactivated, 1);
    /* The physical SPI fires again: the same path, a fresh LR. */
    assert_int_equal(vgic_inject(&g, 0, NIC_SPI), 0);
    vgic_lr_fill(&vc);
    assert_int_equal(LR_VIRTUALID(lrs[0]), NIC_SPI);
    assert_int_equal(lrs[0] & LR_STATE_MASK, LR_PENDING);
    assert_true(lrs[0] & LR_EOI);
    guest_sets_state(0, 0);
    vgic_lr_sync_from_hw(&vc);
    assert_int_equal(nr_deactivated, 2);
    assert_int_equal(deactivated[1], NIC_SPI);
}

static void test_hw_link_on_capable_host(void **state unused)
{
    setup_nic_irq(false);
    vgic_lr_fill(&vc);
    assert_int_equal(LR_VIRTUALID(lrs[0]), NIC_SPI);
    assert_true(lrs[0] & LR_HW);
    assert_int_equal(LR_PHYSICALID(lrs[0]), NIC_SPI);
    guest_sets_state(0, 0);                   /* the GIC deactivated the physical one */
    unsigned writes = nr_lr_writes;
    vgic_lr_sync_from_hw(&vc);
    assert_int_equal(nr_deactivated, 0);
    assert_int_equal(lrs[0] & LR_STATE_MASK, 0);   /* invalid: the GIC ignores it */
    assert_int_equal(nr_lr_writes, writes);        /* so it is not written */
    vgic_lr_fill(&vc);                             /* nothing pending: still nothing */
    assert_int_equal(nr_lr_writes, writes);
    /* The next interrupt takes the freed LR, written once. */
    assert_int_equal(vgic_inject(&g, 0, NIC_SPI), 0);
    vgic_lr_fill(&vc);
    assert_int_equal(nr_lr_writes, writes + 1);
    assert_int_equal(LR_VIRTUALID(lrs[0]), NIC_SPI);
    assert_int_equal(lrs[0] & LR_STATE_MASK, LR_PENDING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soft_link_on_no_hw_host),
        cmocka_unit_test(test_next_interrupt_after_soft_link),
        cmocka_unit_test(test_hw_link_on_capable_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
