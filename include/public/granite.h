/*
 * public/granite.h — granite's own additions to the guest ABI.  Xen has no
 * counterpart for these; they use numbers Xen leaves to the architecture or
 * does not assign, so a Xen-aware guest never meets them by accident.
 *
 * __HYPERVISOR_granite_op (55, Xen's __HYPERVISOR_arch_7 slot), x0 = command,
 * x1 = argument:
 *   GRANITE_OP_iommu_stats   x1 = guest address of a struct granite_iommu_stats,
 *                            filled with the caller's IOMMU counters.
 *                            -ENODEV when the caller has no IOMMU context.
 *   GRANITE_OP_debug_dump    print the IOMMU state and counters on granite's
 *                            console (x1 ignored).  Hardware domain only.
 *   GRANITE_OP_domain_info   x1 = guest address of a struct granite_domain_info
 *                            with domid set: what dom0's xenstore daemon needs
 *                            to serve that domain (Xen's toolstack would tell it
 *                            with XS_INTRODUCE).  Hardware domain only; -ESRCH
 *                            when no such domain is running.
 */
#ifndef PUBLIC_GRANITE_H
#define PUBLIC_GRANITE_H

#include <stdint.h>

#define __HYPERVISOR_granite_op 55

#define GRANITE_OP_iommu_stats 1
#define GRANITE_OP_debug_dump 2
#define GRANITE_OP_domain_info 3

struct granite_iommu_stats {
    uint64_t maps;            /* IOMMU entries added (pages) */
    uint64_t unmaps;          /* IOMMU entries removed (pages) */
    uint64_t tlbi;            /* IOTLB invalidation commands issued */
    uint64_t syncs;           /* completion waits (SMMU CMD_SYNC) */
    uint64_t faults;          /* faults recorded against the domain's devices */
    uint64_t last_fault_iova; /* input address of the most recent fault */
    uint64_t one_to_one;      /* 1:1 IOMMU entries added for grant mappings */
};

struct granite_domain_info {
    uint16_t domid;           /* IN */
    uint16_t has_store;       /* OUT: 1 if the domain has a xenstore ring */
    uint32_t store_port;      /* OUT: its unbound event channel, waiting for dom0 */
    uint32_t store_gref;      /* OUT: the grant ref of its ring page (GNTTAB_RESERVED_XENSTORE) */
    uint32_t nr_vcpus;        /* OUT */
    char name[16];            /* OUT: NUL-terminated */
    uint64_t memory_kib;      /* OUT: the domain's RAM in KiB (xenstore memory/target);
                               * 0: not told (the caller must zero it) */
};

/*
 * XENVER_get_features, submap 0, bit 31: granite translates the DMA of some
 * of this domain's devices through an IOMMU (feat_dom0_iommu=on).  Which
 * devices: every device-tree node carrying the empty property
 * "granite,dma-iommu-translated" (and, for a PCI host bridge, every function
 * below it).  Such a device may be given IPAs as DMA addresses; any other
 * device of a direct-mapped domain needs machine addresses (swiotlb-xen
 * style).  Xen's numbers stop at 19; 31 keeps clear of them.
 */
#define XENFEAT_granite_dom0_dma_translated 31
#define GRANITE_DT_PROP_DMA_TRANSLATED "granite,dma-iommu-translated"
/*
 * In /hypervisor, only with trace=packet on granite's command line: <count
 * domid>, "print each hop of your first `count` packets, naming yourself
 * d<domid>" (the packet trace: core/trace.c, guests/lib/trace.c).  A
 * property, not words added to the guest's bootargs: the bootargs are the
 * user's (granite echoes them as given, and a Linux guest hands unknown
 * words to init), while Linux ignores a property it does not know, so Linux
 * guests are unaffected and every toy guest reads it in the same place as
 * the rest of what the hypervisor tells it.
 */
#define GRANITE_DT_PROP_PACKET_TRACE "granite,packet-trace"

#endif
