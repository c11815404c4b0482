/*
 * hostile_buffers.c — test=hostilebuf (dom0): hypercall arguments that point
 * at memory dom0's stage 2 maps but granite itself does not.
 *
 * dom0 has its /reserved-memory regions mapped 1:1 as RAM and its PCIe
 * windows as MMIO.  A hypercall whose buffer lies there must get -EFAULT: if
 * granite dereferenced the physical address the guest's translation gives, it
 * would take a data abort at EL2 and stop a physical CPU (issue 10, finding 3).
 * Each case is one hypercall with one bad pointer; the verdict is the answer,
 * and that granite (and this guest) is still here to print it.
 *
 * Needs: a /reserved-memory child with a 2-cell reg (the scenario adds one) and
 * QEMU's edu device on the passed-through PCIe bus (its BAR0 is the window).
 */
#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include "guest.h"
#include "edu.h"
#include "page.h"
#include <public/xen.h>
#include <public/version.h>
#include <public/grant_table.h>
#include <public/event_channel.h>

#define EFAULT 14

static uint64_t first_reserved_region(const void *fdt)
{
    int parent = fdt_path_offset(fdt, "/reserved-memory"), node, len;
    const fdt32_t *reg;

    node = parent >= 0 ? fdt_first_subnode(fdt, parent) : -1;
    reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;
    if (!reg || len < 16)
        return 0;
    return ((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1]);
}

struct bad_buffer_case {
    const char *what;
    long got;
};

static int judge(const struct bad_buffer_case *c, unsigned n)
{
    unsigned wrong = 0;

    for (unsigned i = 0; i < n; i++) {
        bool ok = c[i].got == -EFAULT;
        printf("hostilebuf: %-52s -> %ld (want -EFAULT) %s\n", c[i].what, c[i].got,
               ok ? "ok" : "WRONG");
        wrong += !ok;
    }
    return (int)wrong;
}

/*
 * GNTTABOP_copy from a frame of dom0's own (DOMID_SELF, no grant reference) that
 * is the reserved region: granite must refuse the frame (GNTST_general_error in
 * the op's status), not copy from memory it does not map.
 */
static long copy_from_own_frame(uint64_t frame_addr)
{
    static uint8_t dest[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
    struct gnttab_copy op = {
        .source = { .u.gmfn = gfn_of_addr(frame_addr), .domid = DOMID_SELF, .offset = 0 },
        .dest = { .u.gmfn = gfn_of(dest), .domid = DOMID_SELF, .offset = 0 },
        .len = 64,
    };
    long r = xen_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_copy, (uint64_t)&op, 1, 0, 0);

    return r ? r : op.status;
}

int test_hostilebuf(const struct guest_info *gi)
{
    static struct edu e;
    uint64_t reserved = first_reserved_region(gi->fdt), bar;

    if (!reserved || edu_find(gi->fdt, &e)) {
        printf("hostilebuf: need a /reserved-memory region and the edu device: FAIL\n");
        return 1;
    }
    bar = (uint64_t)e.regs;
    printf("hostilebuf: reserved region at 0x%lx, edu BAR0 at 0x%lx\n", (unsigned long)reserved,
           (unsigned long)bar);
    memset((void *)reserved, 'r', 64); /* dom0 may use it itself: it is mapped for it */
    struct bad_buffer_case c[] = {
        { "console_io write from reserved memory",
          xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 16, reserved, 0, 0) },
        { "xen_version extraversion into reserved memory",
          xen_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, reserved, 0, 0, 0) },
        { "xen_version extraversion into the BAR",
          xen_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, bar, 0, 0, 0) },
        { "grant_table_op query_size in the BAR",
          xen_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, bar, 1, 0, 0) },
        { "event_channel_op status in reserved memory",
          xen_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_status, reserved, 0, 0, 0) },
        { "console_io write running on into reserved memory",
          xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 32, reserved - 16, 0, 0) },
    };
    unsigned n = sizeof(c) / sizeof(c[0]);
    int wrong = judge(c, n);
    long copy = copy_from_own_frame(reserved);

    printf("hostilebuf: %-52s -> %ld (want %d) %s\n", "grant copy from my own frame in reserved memory",
           copy, GNTST_general_error, copy == GNTST_general_error ? "ok" : "WRONG");
    wrong += copy != GNTST_general_error;
    n++;

    printf("hostilebuf: %u bad buffers, %d answered wrongly; granite still up\n", n, wrong);
    printf("hostilebuf: %s\n", wrong ? "FAIL" : "PASS");
    return wrong ? 1 : 0;
}
