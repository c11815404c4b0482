/*
 * dom0_dt.h — dom0's device tree, made from the board's.
 *
 * dom0 is direct-mapped (IPA == PA), so it can be given the host's device tree
 * with the addresses left alone: granite filters out what dom0 must not see
 * (every IOMMU, driven or not — seed 001 —, the ITS, devices granite keeps for
 * itself or does not emulate), replaces what it describes differently (RAM,
 * CPUs, PSCI, the command line) and adds the Xen-style /hypervisor node.
 * core/dom0_dt.c says exactly what is kept and why.
 *
 * Boot-only (libfdt): see include/granite/boot.h.
 */
#ifndef GRANITE_DOM0_DT_H
#define GRANITE_DOM0_DT_H

#include <granite/types.h>
#include <granite/page_alloc.h>

/* vCPU n gets MPIDR Aff0 = n.  A GICv3 SGI reaches Aff0 values 0..15 of one
 * cluster through ICC_SGI1R_EL1's 16-bit TargetList (without the optional
 * range selector), so one cluster of 16 is what a flat numbering can address. */
#define DOM0_DT_MAX_VCPUS 16
#define DOM0_DT_MAX_BANKS 16
#define DOM0_DT_MAX_IOMMU_PATHS 64

/* Empty property added, with feat_dom0_iommu, to each device node whose DMA
 * granite translates through the IOMMU: dom0 may then hand such a device IPAs
 * (= its own addresses) instead of machine addresses, device by device. */
#define DOM0_DT_PROP_IOMMU_TRANSLATED "granite,dma-iommu-translated"

/* What the xenstore page takes from an extended region: a whole 2 MiB, so the
 * rest of the region stays 2 MiB-aligned (Xen's rule for extended regions). */
#define DOM0_DT_STORE_SLOT (2UL << 20)
struct dom0_dt_params {
    /* The board's DTB, as granite was given it (already checked by dt_check();
     * checked again here).  Read only. */
    const void *host_fdt;

    /* dom0's RAM, PA == IPA: each bank becomes a memory@<base> node, in the
     * root's #address-cells/#size-cells.  Page-aligned, non-empty, not
     * overlapping each other or the grant window.  1..DOM0_DT_MAX_BANKS. */
    const struct mem_range *banks;
    unsigned nr_banks;

    /* 1..DOM0_DT_MAX_VCPUS: /cpus gets cpu@0..cpu@(nr_vcpus - 1), reg = n. */
    unsigned nr_vcpus;

    /* dom0's command line, /chosen/bootargs.  NULL: no bootargs property (the
     * host's are granite's own options and are never passed on). */
    const char *bootargs;

    /* dom0's initrd, [initrd_start, initrd_end) in its RAM: /chosen gets
     * linux,initrd-start/end (64-bit).  Equal values: none.  The host's own
     * linux,initrd-* are never passed on. */
    u64 initrd_start, initrd_end;

    /* The /hypervisor node (Xen's binding): reg = the grant-table window, an
     * IPA range dom0 maps foreign pages into; page-aligned, non-empty, and —
     * dom0 being direct-mapped — clear of every device dom0 keeps.  Xen's
     * guest base (GUEST_GNTTAB_BASE, 0x38000000) does NOT qualify on QEMU
     * virt: it is inside the PCIe host bridge's 32-bit MMIO window. */
    u64 gnttab_base;
    u64 gnttab_size;
    /* The event-channel upcall, as a GIC INTID: a PPI, 16..31 (Xen uses 31). */
    unsigned evtchn_ppi;
    /* trace=packet: the count for /hypervisor's GRANITE_DT_PROP_PACKET_TRACE
     * (0: no property), and the domain id that goes with it. */
    unsigned trace_packets, domid;

    /* With feat_dom0_iommu, each node named in iommu_paths (full paths in the
     * host tree, e.g. "/pcie@10000000") gets DOM0_DT_PROP_IOMMU_TRANSLATED.
     * A path that dom0's tree does not contain is an error. */
    bool feat_dom0_iommu;
    const char *const *iommu_paths;
    unsigned nr_iommu_paths;

    /* Host nodes passed through to another domain (full paths): not in this
     * tree, whatever the keep-list says.  A direct-mapped driver domain's
     * tree is built the same way, withholding the devices it does not own. */
    const char *const *withheld_paths;
    unsigned nr_withheld_paths;
    /* A domain other than the hardware domain (a driver domain): the
     * platform devices (dom0_dt_platform_device()) are the hardware
     * domain's, so they are not in this tree. */
    bool no_platform_devices;
    /* The boot option dom0_iommu_passthrough (include/granite/iommu_known.h):
     * a node path or compatible naming IOMMUs granite does not drive that this
     * tree keeps, with the references that name only them.  NULL: none. */
    const char *handed_iommu;
    /* Out, when non-NULL: a page for the domain's xenstore ring, in a host
     * hole (not RAM, not a device, not the grant window) and outside every
     * extended region written: the top DOM0_DT_STORE_SLOT of the highest
     * region is taken from it. */
    u64 *store_ipa_out;
    /* Out: the extended regions written as /hypervisor reg[1..] (at most
     * XEN_EXT_REGIONS_MAX), so the caller can accept grant maps there.  May
     * be NULL. */
    struct ext_range *ext_out;
    unsigned *nr_ext_out;
};

/*
 * Write dom0's DTB into out[0, out_size): 0 on success (its size is then
 * fdt_totalsize(out), packed), or a negative errno with *why saying what was
 * wrong, naming the node and property when the host DTB is at fault:
 *   -EINVAL  bad parameters; a malformed or unsupported host DTB; dom0's RAM
 *            or grant window overlapping a device dom0 keeps
 *   -ENODEV  the host DTB lacks something dom0 needs (a GIC: "arm,gic-v3", or a
 *            GICv2 "arm,cortex-a15-gic" / "arm,gic-400")
 *   -ENOENT  an iommu_paths entry is not in dom0's tree
 *   -ENOSPC  out_size is too small; nothing beyond out_size is written
 * Only the used part of the host tree must fit, not its free space (QEMU's
 * DTB says 1 MiB).  out must be 8-byte aligned and must not overlap host_fdt.
 * On failure out holds no valid DTB (its magic is cleared).  *why is a static
 * string, valid until the next call; why may be NULL.
 */
int dom0_dt_build(const struct dom0_dt_params *p, void *out, size_t out_size, const char **why);

/*
 * Is host node `node` a platform device dom0's tree keeps for dom0 to drive
 * (a keep-list entry marked platform: a ZynqMP GEM, SD controller, RTC, when
 * enabled and not granite's console)?  Its keep-list reason, or NULL.
 * core/passthrough.c maps and routes exactly these for the hardware domain.
 */
const char *dom0_dt_platform_device(const void *fdt, int node);

#endif
