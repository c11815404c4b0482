/*
 * test_e1000.c — host unit tests of dom0's e1000 descriptor logic
 * (guests/dom0/e1000.c, included here so its ring setup can be called
 * without PCI discovery).
 *
 * The NIC is simulated: its registers are an array the test owns (guest.h's
 * HOST_TEST accessors), and "the device" is the test writing DD, EOP,
 * length and errors into the descriptors, as the 8254x does (SDM 3.2.3,
 * 3.3.3).  The DMA layer is the real one (guests/lib/dma.c, coherent,
 * swiotlb-xen, nothing beyond the mask: no bounce).
 *
 * What is checked:
 *   - ring setup: base, length, head and tail registers; every RX
 *     descriptor given its buffer's bus address; RDT = RING - 1 (one kept);
 *   - TX queueing: the descriptor's address, length and command bits
 *     (EOP, IFCS, RS), TDT moved past it; lengths 0 and above a frame
 *     refused; RING - 1 frames in flight at most (ring full counted);
 *   - TX reclaim: callbacks in ring order with their cookies, stopping at
 *     the first descriptor without DD (in order), a NULL callback allowed;
 *     indices wrapping around the ring many times; e1000_tx_copy frames
 *     copied, reclaimed silently, their buffers reused, and refused when
 *     all copy buffers are in flight;
 *   - RX: nothing done, nothing delivered and RDT untouched; good frames
 *     delivered in order from their own buffers, flush called before RDT
 *     moves, RDT left on the last descriptor handled; a frame with a
 *     receive error, shorter than an Ethernet header or longer than the
 *     buffer dropped and counted; a frame spanning buffers (no EOP) dropped
 *     once with its tail; descriptors re-armed (status cleared, buffer
 *     address back); at most RING frames per call; the ring wrapping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../guests/dom0/e1000.c"

/* --- stubs: what e1000.c calls besides the registers ----------------------------- */

int pci_find(const void *fdt, uint32_t id, struct pci_function *f)
{
    (void)fdt, (void)id, (void)f;
    return PCI_NO_BRIDGE;
}
uint32_t pci_intx_intid(const void *fdt, int bridge, unsigned dev, unsigned pin)
{
    (void)fdt, (void)bridge, (void)dev, (void)pin;
    return 0;
}
void gic_enable_irq(unsigned vcpu, uint32_t intid, gic_handler_t h)
{
    (void)vcpu, (void)intid, (void)h;
}
void irq_disable_local(void) {}
void vtimer_arm_us(uint64_t us) { (void)us; }
void vtimer_stop(void) {}
void guest_wfi_masked(void) {}
static uint64_t now_us;
uint64_t guest_time_us(void) { return now_us; }
void guest_delay_us(uint64_t us) { now_us += us; }
long xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    (void)nr, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
    return -1; /* no feature bits: dma=auto means swiotlb-xen */
}
void dcache_clean(const void *p, size_t len) { (void)p, (void)len; }
void dcache_clean_inval(const void *p, size_t len) { (void)p, (void)len; }

/* --- the simulated NIC ------------------------------------------------------------ */

#define NO_WRITE 0xdeadbeefu /* a register value e1000.c never writes */

static struct e1000 nic __attribute__((aligned(PAGE_SIZE)));
static uint32_t regs[E1000_BAR0_SIZE / 4];
static struct dma_dev dev;

static uint32_t reg(uint32_t off) { return regs[off / 4]; }

static int setup(void **state)
{
    uint8_t fdt[256];
    (void)state;
    memset(&nic, 0, sizeof(nic));
    memset(regs, 0, sizeof(regs));
    assert_int_equal(fdt_create_empty_tree(fdt, sizeof(fdt)), 0);
    assert_int_equal(fdt_setprop(fdt, 0, "dma-coherent", NULL, 0), 0);
    assert_int_equal(dma_init(&dev, "e1000", fdt, 0, "swiotlb-xen", ~0ull), 0);
    nic.regs = (volatile uint8_t *)regs;
    nic.dma = &dev;
    assert_int_equal(rx_setup(&nic), 0);
    assert_int_equal(tx_setup(&nic), 0);
    return 0;
}

/* The device finished TX descriptor i (it had RS: DD written back). */
static void tx_done_by_nic(unsigned i) { nic.tx_ring[i % E1000_TX_RING].status |= TXD_STAT_DD; }

/* The device stored a frame in RX descriptor i. */
static void rx_by_nic(unsigned i, uint16_t len, uint8_t status, uint8_t errors)
{
    volatile struct e1000_rx_desc *d = &nic.rx_ring[i % E1000_RX_RING];
    memset(nic.rx_buf[i % E1000_RX_RING], (int)(i & 0xff), len < E1000_RX_BUF_SIZE ? len : 0);
    d->length = len;
    d->errors = errors;
    d->status = status;
}

/* What the callbacks saw. */
static void *done_cookies[2 * E1000_TX_RING];
static unsigned ndone;
static void on_done(void *cookie, void *ctx)
{
    assert_ptr_equal(ctx, &ndone);
    assert_true(ndone < 2 * E1000_TX_RING);
    done_cookies[ndone++] = cookie;
}

static const void *rx_frames[2 * E1000_RX_RING];
static size_t rx_lens[2 * E1000_RX_RING];
static unsigned nrx, nflush;
static uint32_t rdt_at_flush;
static void on_frame(const void *frame, size_t len, void *ctx)
{
    assert_ptr_equal(ctx, &nrx);
    assert_int_equal(nflush, 0); /* frames come before the flush */
    rx_frames[nrx] = frame;
    rx_lens[nrx++] = len;
}
static void on_flush(void *ctx)
{
    assert_ptr_equal(ctx, &nrx);
    nflush++;
    rdt_at_flush = reg(REG_RDT);
}

static void poll(void)
{
    nrx = nflush = 0;
    e1000_rx_poll(&nic, on_frame, on_flush, &nrx);
}

/* --- setup -------------------------------------------------------------------------- */

static void rings_set_up(void **state)
{
    (void)state;
    assert_int_equal(reg(REG_TDBAL), (uint32_t)(uint64_t)nic.tx_ring);
    assert_int_equal(reg(REG_TDBAH), (uint32_t)((uint64_t)nic.tx_ring >> 32));
    assert_int_equal(reg(REG_TDLEN), sizeof(nic.tx_ring));
    assert_int_equal(reg(REG_TDT), 0);
    assert_int_equal(reg(REG_RDBAL), (uint32_t)(uint64_t)nic.rx_ring);
    assert_int_equal(reg(REG_RDLEN), E1000_RX_RING * 16);
    assert_int_equal(reg(REG_RDT), E1000_RX_RING - 1);
    assert_true(reg(REG_RCTL) & RCTL_EN);
    for (unsigned i = 0; i < E1000_RX_RING; i++) {
        assert_int_equal(bus_addr(nic.rx_ring[i].addr), (uint64_t)nic.rx_buf[i]);
        assert_int_equal(nic.rx_ring[i].status, 0);
    }
    assert_int_equal(e1000_tx_pending(&nic), 0);
}

/* --- TX ------------------------------------------------------------------------------- */

static void tx_descriptor_and_doorbell(void **state)
{
    (void)state;
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 0x80001234 }, 60, (void *)1), 0);
    assert_int_equal(bus_addr(nic.tx_ring[0].addr), 0x80001234);
    assert_int_equal(nic.tx_ring[0].length, 60);
    assert_int_equal(nic.tx_ring[0].cmd, TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS);
    assert_int_equal(nic.tx_ring[0].status, 0);
    assert_int_equal(reg(REG_TDT), 1);
    assert_int_equal(e1000_tx_pending(&nic), 1);
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 1 }, 0, NULL), -1);
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 1 }, E1000_MAX_FRAME + 1, NULL), -1);
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 1 }, E1000_MAX_FRAME, NULL), 0);
    assert_int_equal(reg(REG_TDT), 2);
}

static void tx_ring_full(void **state)
{
    (void)state;
    for (unsigned i = 0; i < E1000_TX_RING - 1; i++)
        assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 0x1000 * i }, 64, &done_cookies[i]), 0);
    assert_int_equal(e1000_tx_pending(&nic), E1000_TX_RING - 1);
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 0 }, 64, NULL), -1);
    assert_int_equal(e1000_stats(&nic)->tx_ring_full, 1);
    assert_int_equal(reg(REG_TDT), E1000_TX_RING - 1); /* one descriptor stays ours */
    /* one completion makes room for one more */
    tx_done_by_nic(0);
    ndone = 0;
    e1000_tx_reclaim(&nic, on_done, &ndone);
    assert_int_equal(ndone, 1);
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 0 }, 64, NULL), 0);
    assert_int_equal(reg(REG_TDT), 0); /* wrapped */
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 0 }, 64, NULL), -1);
}

static void tx_reclaim_in_order(void **state)
{
    static int cookie[5];
    (void)state;
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 0x1000 }, 100, &cookie[i]), 0);
    ndone = 0;
    e1000_tx_reclaim(&nic, on_done, &ndone);
    assert_int_equal(ndone, 0); /* nothing done yet */
    tx_done_by_nic(0);
    tx_done_by_nic(1);
    tx_done_by_nic(3); /* 2 not yet: 3 waits for it */
    e1000_tx_reclaim(&nic, on_done, &ndone);
    assert_int_equal(ndone, 2);
    assert_ptr_equal(done_cookies[0], &cookie[0]);
    assert_ptr_equal(done_cookies[1], &cookie[1]);
    assert_int_equal(e1000_tx_pending(&nic), 3);
    tx_done_by_nic(2);
    tx_done_by_nic(4);
    e1000_tx_reclaim(&nic, on_done, &ndone);
    assert_int_equal(ndone, 5);
    assert_ptr_equal(done_cookies[2], &cookie[2]);
    assert_ptr_equal(done_cookies[3], &cookie[3]);
    assert_ptr_equal(done_cookies[4], &cookie[4]);
    assert_int_equal(e1000_tx_pending(&nic), 0);
    assert_int_equal(e1000_stats(&nic)->tx, 5);
    assert_int_equal(e1000_stats(&nic)->tx_bytes, 500);
}

static void tx_wraps_many_times(void **state)
{
    unsigned sent = 0, next_done = 0;
    (void)state;
    ndone = 0;
    /* bursts of 100 against a ring of 256: every index position and the wrap */
    for (unsigned round = 0; round < 10; round++) {
        for (unsigned k = 0; k < 100; k++, sent++)
            assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ sent }, 60,
                                          (void *)(uintptr_t)(sent + 1)), 0);
        assert_int_equal(reg(REG_TDT), sent % E1000_TX_RING);
        while (next_done < sent)
            tx_done_by_nic(next_done++);
        e1000_tx_reclaim(&nic, on_done, &ndone);
        assert_int_equal(e1000_tx_pending(&nic), 0);
        for (unsigned k = 0; k < ndone; k++)
            assert_int_equal((uintptr_t)done_cookies[k], sent - ndone + k + 1);
        ndone = 0;
    }
    /* the descriptors the device wrote back are made anew when reused */
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 7 }, 60, NULL), 0);
    assert_int_equal(nic.tx_ring[sent % E1000_TX_RING].status, 0);
    /* a NULL callback is allowed */
    tx_done_by_nic(sent);
    e1000_tx_reclaim(&nic, NULL, NULL);
    assert_int_equal(e1000_tx_pending(&nic), 0);
}

static void tx_copy_buffers(void **state)
{
    uint8_t frame[100];
    (void)state;
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)i;
    assert_int_equal(e1000_tx_copy(&nic, frame, sizeof(frame)), 0);
    const void *buf = (const void *)bus_addr(nic.tx_ring[0].addr); /* coherent, no bounce */
    assert_memory_equal(buf, frame, sizeof(frame));
    frame[0] = 0xff; /* the caller may reuse its frame at once */
    assert_int_equal(((const uint8_t *)buf)[0], 0);
    /* a mix of copy and bus frames: only the bus frame's callback runs */
    assert_int_equal(e1000_tx_bus(&nic, (bus_addr_t){ 0x2000 }, 60, &ndone), 0);
    tx_done_by_nic(0);
    tx_done_by_nic(1);
    ndone = 0;
    e1000_tx_reclaim(&nic, on_done, &ndone);
    assert_int_equal(ndone, 1);
    assert_ptr_equal(done_cookies[0], &ndone);
    assert_int_equal(nic.tx_copy_nfree, E1000_TX_COPY_BUFS);
    assert_int_equal(dev.stats.maps - dev.stats.unmaps, E1000_RX_RING + 2); /* buffers + rings */

    /* every copy buffer in flight: refused, counted; one back: accepted */
    for (unsigned i = 0; i < E1000_TX_COPY_BUFS; i++)
        assert_int_equal(e1000_tx_copy(&nic, frame, 60), 0);
    uint64_t full = e1000_stats(&nic)->tx_ring_full;
    assert_int_equal(e1000_tx_copy(&nic, frame, 60), -1);
    assert_int_equal(e1000_stats(&nic)->tx_ring_full, full + 1);
    tx_done_by_nic(2);
    e1000_tx_reclaim(&nic, on_done, &ndone);
    assert_int_equal(ndone, 1); /* silently */
    assert_int_equal(e1000_tx_copy(&nic, frame, 60), 0);
}

/* --- RX ------------------------------------------------------------------------------- */

static void rx_nothing_done(void **state)
{
    (void)state;
    regs[REG_RDT / 4] = NO_WRITE;
    poll();
    assert_int_equal(nrx, 0);
    assert_int_equal(nflush, 1);
    assert_int_equal(reg(REG_RDT), NO_WRITE); /* no descriptor handed back */
}

static void rx_good_frames_in_order(void **state)
{
    (void)state;
    rx_by_nic(0, 60, RXD_STAT_DD | RXD_STAT_EOP, 0);
    rx_by_nic(1, 1514, RXD_STAT_DD | RXD_STAT_EOP, 0);
    rx_by_nic(2, 100, RXD_STAT_EOP, 0); /* not done: the poll stops before it */
    poll();
    assert_int_equal(nrx, 2);
    assert_ptr_equal(rx_frames[0], nic.rx_buf[0]);
    assert_int_equal(rx_lens[0], 60);
    assert_ptr_equal(rx_frames[1], nic.rx_buf[1]);
    assert_int_equal(rx_lens[1], 1514);
    assert_int_equal(rdt_at_flush, E1000_RX_RING - 1); /* the buffers are still ours */
    assert_int_equal(reg(REG_RDT), 1);                 /* now the last one handled is kept */
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(nic.rx_ring[i].status, 0);
        assert_int_equal(bus_addr(nic.rx_ring[i].addr), (uint64_t)nic.rx_buf[i]);
    }
    assert_int_equal(e1000_stats(&nic)->rx, 2);
    assert_int_equal(e1000_stats(&nic)->rx_bytes, 60 + 1514);
    nic.rx_ring[2].status |= RXD_STAT_DD;
    poll();
    assert_int_equal(nrx, 1);
    assert_ptr_equal(rx_frames[0], nic.rx_buf[2]);
    assert_int_equal(reg(REG_RDT), 2);
}

static void rx_bad_frames_dropped(void **state)
{
    (void)state;
    rx_by_nic(0, 60, RXD_STAT_DD | RXD_STAT_EOP, RXD_ERR_CE);
    rx_by_nic(1, 13, RXD_STAT_DD | RXD_STAT_EOP, 0);
    rx_by_nic(2, 14, RXD_STAT_DD | RXD_STAT_EOP, 0); /* a bare header is fine */
    rx_by_nic(3, E1000_RX_BUF_SIZE + 1, RXD_STAT_DD | RXD_STAT_EOP, 0);
    rx_by_nic(4, E1000_RX_BUF_SIZE, RXD_STAT_DD | RXD_STAT_EOP, 0);
    rx_by_nic(5, 60, RXD_STAT_DD | RXD_STAT_EOP, RXD_ERR_RXE);
    poll();
    assert_int_equal(nrx, 2);
    assert_int_equal(rx_lens[0], 14);
    assert_int_equal(rx_lens[1], E1000_RX_BUF_SIZE);
    assert_int_equal(e1000_stats(&nic)->rx_dropped, 4);
    assert_int_equal(reg(REG_RDT), 5);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(nic.rx_ring[i].status, 0);
}

static void rx_frame_spanning_buffers(void **state)
{
    (void)state;
    rx_by_nic(0, 2048, RXD_STAT_DD, 0);
    rx_by_nic(1, 2048, RXD_STAT_DD, 0);
    rx_by_nic(2, 100, RXD_STAT_DD | RXD_STAT_EOP, 0); /* its tail */
    rx_by_nic(3, 70, RXD_STAT_DD | RXD_STAT_EOP, 0);  /* the next frame */
    poll();
    assert_int_equal(nrx, 1);
    assert_ptr_equal(rx_frames[0], nic.rx_buf[3]);
    assert_int_equal(rx_lens[0], 70);
    assert_int_equal(e1000_stats(&nic)->rx_dropped, 1); /* once, not per buffer */
    assert_false(nic.rx_discarding);
}

static void rx_bounded_per_call_and_wraps(void **state)
{
    (void)state;
    for (unsigned i = 0; i < E1000_RX_RING; i++)
        rx_by_nic(i, 64, RXD_STAT_DD | RXD_STAT_EOP, 0);
    poll();
    assert_int_equal(nrx, E1000_RX_RING);
    assert_int_equal(reg(REG_RDT), E1000_RX_RING - 1);
    assert_int_equal(nic.rx_next, 0);
    /* around the ring again, from 0, past the end */
    for (unsigned i = 0; i < E1000_RX_RING + 10; i++) {
        rx_by_nic(i, 64, RXD_STAT_DD | RXD_STAT_EOP, 0);
        if (i % 50 == 49 || i == E1000_RX_RING + 9) {
            poll();
            assert_true(nrx > 0);
            assert_ptr_equal(rx_frames[nrx - 1], nic.rx_buf[i % E1000_RX_RING]);
            assert_int_equal(reg(REG_RDT), i % E1000_RX_RING);
        }
    }
    assert_int_equal(nic.rx_next, 10);
    assert_int_equal(e1000_stats(&nic)->rx, 2 * E1000_RX_RING + 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(rings_set_up, setup),
        cmocka_unit_test_setup(tx_descriptor_and_doorbell, setup),
        cmocka_unit_test_setup(tx_ring_full, setup),
        cmocka_unit_test_setup(tx_reclaim_in_order, setup),
        cmocka_unit_test_setup(tx_wraps_many_times, setup),
        cmocka_unit_test_setup(tx_copy_buffers, setup),
        cmocka_unit_test_setup(rx_nothing_done, setup),
        cmocka_unit_test_setup(rx_good_frames_in_order, setup),
        cmocka_unit_test_setup(rx_bad_frames_dropped, setup),
        cmocka_unit_test_setup(rx_frame_spanning_buffers, setup),
        cmocka_unit_test_setup(rx_bounded_per_call_and_wraps, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
