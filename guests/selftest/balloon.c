/*
 * balloon.c — test=balloon-hostile [domid=N]: the memory_op balloon
 * (XENMEM_decrease_reservation, XENMEM_populate_physmap; core/memory_op.c)
 * with every bad input a guest can give it, then the uses Linux makes of it.
 *
 * Refused, each with the number of extents done before the bad one (or an
 * errno for a bad structure), the domain carrying on:
 *   a page ballooned twice in one list (1 of 2 done), a GFN past the end of
 *   our RAM, the vGIC's GFN, the shared_info GFN (in the grant window and
 *   placed over a RAM page), a grant-frame GFN, a huge nr_extents, an array at
 *   an unmapped address, the structure at an unmapped address (-EFAULT),
 *   another domain (-EPERM), extent_order 1, mem_flags; populate of a GFN
 *   never ballooned, of a GFN outside RAM, of the shared_info GFN.
 * Then what Linux does with a ballooned page:
 *   - the round trip: a page holding a pattern goes out and comes back
 *     (populate writes the GFN back into the array) holding the same pattern
 *     -- granite keeps the domain's own machine page;
 *   - a grant map at the ballooned GFN (we grant a page of ours to ourselves:
 *     `domid` is our own id, 1 by default, what a grant entry must name); the
 *     page read there is the granted one; while it is mapped, populate and
 *     decrease of that GFN are refused; after the unmap the GFN is empty
 *     again and populate brings our own page back, pattern intact.
 * We never touch a ballooned-out page (that would be an abort, not a test).
 * The guest runs identity-mapped (guests/lib/start.c): a pointer is its IPA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>
#include "guest.h"
#include "page.h"
#include <public/xen.h>
#include <public/memory.h>
#include <public/grant_table.h>

#define E_PERM 1
#define E_FAULT 14
#define E_INVAL 22
#define VGIC_GFN 0x08000UL       /* GUEST_GICD_BASE >> 12: a device, not RAM */
#define SELF_REF GNTTAB_NR_RESERVED_ENTRIES /* the first grant ref past the reserved ones */
#define HUGE_EXTENTS (1UL << 20) /* more than a call may take */
#define UNMAPPED_VA 0x10UL       /* nothing at our lowest page */

static uint8_t victim[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t granted[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t shinfo_ram[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t frame_ram[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static xen_pfn_t list[4];
static bool failed;

static long hyp(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return xen_hypercall(nr, a0, a1, a2, 0, 0);
}

static void check_rc(long got, long want, const char *what)
{
    printf("selftest: balloon: %s -> %ld (want %ld): %s\n", what, got, want,
           got == want ? "ok" : "WRONG");
    if (got != want)
        failed = true;
}

static void check(bool ok, const char *what)
{
    printf("selftest: balloon: %s: %s\n", what, ok ? "ok" : "WRONG");
    if (!ok)
        failed = true;
}

static long reservation(unsigned cmd, uint64_t array, uint64_t n, uint32_t order,
                        uint32_t flags, uint16_t domid)
{
    struct xen_memory_reservation r = { .extent_start = array, .nr_extents = n,
                                        .extent_order = order, .mem_flags = flags,
                                        .domid = domid };
    return hyp(__HYPERVISOR_memory_op, cmd, (uint64_t)&r, 0);
}

/* One GFN out (XENMEM_decrease_reservation) or back (XENMEM_populate_physmap). */
static long one(unsigned cmd, uint64_t gfn)
{
    list[0] = gfn;
    return reservation(cmd, (uint64_t)list, 1, 0, 0, DOMID_SELF);
}

static long physmap(unsigned space, uint64_t idx, uint64_t gfn)
{
    struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = space, .idx = idx,
                                    .gpfn = gfn };
    return hyp(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint64_t)&a, 0);
}

static bool grant_window(const void *fdt, uint64_t *base)
{
    int node = fdt_path_offset(fdt, "/hypervisor"), len;
    const fdt64_t *reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;

    if (!reg || len < 16)
        return false;
    *base = fdt64_to_cpu(reg[0]);
    return true;
}

static bool filled_with(const uint8_t *p, uint8_t seed)
{
    for (unsigned i = 0; i < PAGE_SIZE; i++)
        if (p[i] != (uint8_t)(seed + i * 7))
            return false;
    return true;
}

static void fill(uint8_t *p, uint8_t seed)
{
    for (unsigned i = 0; i < PAGE_SIZE; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

int test_balloon_hostile(const struct guest_info *gi)
{
    const unsigned DEC = XENMEM_decrease_reservation, POP = XENMEM_populate_physmap;
    uint64_t base, vgfn = gfn_of(victim), ram_end_gfn = gfn_of_addr(gi->ram_base + gi->ram_size);
    char buf[8];
    uint16_t self = (uint16_t)(guest_arg("domid", buf, sizeof(buf)) ? atoi(buf) : 1);

    if (!grant_window(gi->fdt, &base)) {
        printf("selftest: balloon: no usable /hypervisor node: FAIL\n");
        return 1;
    }
    fill(victim, 0x11);
    fill(granted, 0x5c);
    /* shared_info in the window and over a RAM page; grant frames 0 (window) and 1 (RAM) */
    check_rc(physmap(XENMAPSPACE_shared_info, 0, gfn_of_addr(base)), 0, "shared_info in the window");
    check_rc(physmap(XENMAPSPACE_grant_table, 0, gfn_of_addr(base) + 1), 0, "grant frame 0");
    check_rc(physmap(XENMAPSPACE_shared_info, 0, gfn_of(shinfo_ram)), 0,
             "shared_info over a RAM page");
    check_rc(physmap(XENMAPSPACE_grant_table, 1, gfn_of(frame_ram)), 0,
             "grant frame 1 over a RAM page");

    /* --- bad input, decrease_reservation --- */
    list[0] = vgfn;
    list[1] = vgfn;
    check_rc(reservation(DEC, (uint64_t)list, 2, 0, 0, DOMID_SELF), 1,
             "decrease the same page twice in one list");
    check_rc(one(DEC, vgfn), 0, "decrease it again");
    check_rc(one(DEC, ram_end_gfn), 0, "decrease the GFN past our RAM");
    check_rc(one(DEC, ~0UL), 0, "decrease GFN ~0");
    check_rc(one(DEC, VGIC_GFN), 0, "decrease the vGIC's GFN");
    check_rc(one(DEC, gfn_of_addr(base)), 0, "decrease shared_info in the grant window");
    check_rc(one(DEC, gfn_of(shinfo_ram)), 0, "decrease shared_info placed over RAM");
    check_rc(one(DEC, gfn_of_addr(base) + 1), 0, "decrease a grant frame in the window");
    check_rc(one(DEC, gfn_of(frame_ram)), 0, "decrease a grant frame placed over RAM");
    check_rc(one(DEC, gfn_of_addr(base) + 2), 0, "decrease an empty grant-window GFN");
    check_rc(reservation(DEC, (uint64_t)list, HUGE_EXTENTS, 0, 0, DOMID_SELF), 0,
             "decrease with nr_extents 2^20");
    check_rc(reservation(DEC, UNMAPPED_VA, 1, 0, 0, DOMID_SELF), 0,
             "decrease with the array unmapped");
    check_rc(hyp(__HYPERVISOR_memory_op, DEC, UNMAPPED_VA, 0), -E_FAULT,
             "decrease with the structure unmapped");
    list[0] = gfn_of(granted);
    check_rc(reservation(DEC, (uint64_t)list, 1, 0, 0, (uint16_t)(self + 1)), -E_PERM,
             "decrease for another domain");
    check_rc(reservation(DEC, (uint64_t)list, 1, 1, 0, DOMID_SELF), 0,
             "decrease with extent_order 1");
    check_rc(reservation(DEC, (uint64_t)list, 1, 0, 1, DOMID_SELF), -E_INVAL,
             "decrease with mem_flags 1");
    check(filled_with(granted, 0x5c), "none of those took a page");
    /* --- bad input, populate_physmap --- */
    check_rc(one(POP, gfn_of(granted)), 0, "populate a GFN never ballooned");
    check_rc(one(POP, ram_end_gfn), 0, "populate the GFN past our RAM");
    check_rc(one(POP, gfn_of_addr(base) + 2), 0, "populate an empty grant-window GFN");
    check_rc(one(POP, gfn_of(shinfo_ram)), 0, "populate the shared_info GFN");
    check_rc(reservation(POP, (uint64_t)list, HUGE_EXTENTS, 0, 0, DOMID_SELF), 0,
             "populate with nr_extents 2^20");

    /* --- the round trip: the ballooned page comes back as it was --- */
    list[0] = 0;
    check_rc(one(POP, vgfn), 1, "populate the ballooned page");
    check(list[0] == vgfn, "populate wrote the GFN back");
    check(filled_with(victim, 0x11), "it holds its old content (the same machine page)");

    /* --- a grant map at a ballooned GFN, as Linux's netback does --- */
    struct grant_entry_v1 *gt = (struct grant_entry_v1 *)(base + PAGE_SIZE);
    gt[SELF_REF].domid = self;
    gt[SELF_REF].frame = (uint32_t)(gfn_of(granted));
    __atomic_store_n(&gt[SELF_REF].flags, (uint16_t)GTF_permit_access, __ATOMIC_RELEASE);
    check_rc(one(DEC, vgfn), 1, "decrease it again");
    struct gnttab_map_grant_ref m = { .host_addr = (uint64_t)victim, .flags = GNTMAP_host_map,
                                      .ref = SELF_REF, .dom = self };
    check_rc(hyp(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (uint64_t)&m, 1), 0,
             "map our own grant at the ballooned GFN");
    check_rc(m.status, GNTST_okay, "its status");
    if (m.status == GNTST_okay) {
        check(filled_with(victim, 0x5c), "the granted page is what that GFN shows");
        check_rc(one(POP, vgfn), 0, "populate the GFN while a grant is mapped there");
        check_rc(one(DEC, vgfn), 0, "decrease the grant-mapped GFN");
        struct gnttab_unmap_grant_ref u = { .host_addr = (uint64_t)victim, .handle = m.handle };
        check_rc(hyp(__HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, (uint64_t)&u, 1), 0,
                 "unmap the grant");
        check_rc(u.status, GNTST_okay, "its status");
    }
    struct gnttab_map_grant_ref m2 = { .host_addr = (uint64_t)shinfo_ram,
                                       .flags = GNTMAP_host_map, .ref = SELF_REF, .dom = self };
    hyp(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (uint64_t)&m2, 1);
    check_rc(m2.status, GNTST_bad_virt_addr, "a grant map over shared_info in RAM");
    check_rc(one(DEC, vgfn), 0, "decrease after the unmap (still ballooned out)");
    check_rc(one(POP, vgfn), 1, "populate it after the unmap");
    check(filled_with(victim, 0x11), "our own page is back, content intact");
    check(filled_with(granted, 0x5c), "the granted page is untouched");
    printf("selftest: balloon-hostile: %s\n", failed ? "FAIL" : "PASS");
    return failed ? 1 : 0;
}
