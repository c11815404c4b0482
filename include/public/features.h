/*
 * public/features.h — XENFEAT_* bits returned by XENVER_get_features
 * (submap index 0), Xen's numbers (xen/include/public/features.h).
 */
#ifndef PUBLIC_FEATURES_H
#define PUBLIC_FEATURES_H

#define XENFEAT_writable_page_tables 0   /* set for every translated guest */
#define XENFEAT_auto_translated_physmap 2 /* the guest sees GFNs, not MFNs */
#define XENFEAT_hvm_callback_vector 8
#define XENFEAT_dom0 11                   /* this is the hardware domain */
#define XENFEAT_memory_op_vnode_supported 13 /* XENMEM_get_vnumainfo is understood */
#define XENFEAT_ARM_SMCCC_supported 14    /* SMCCC v1.1 calls are served */
#define XENFEAT_not_direct_mapped 16      /* IPA != PA */
#define XENFEAT_direct_mapped 17          /* IPA == PA (dom0 on ARM) */
#define XENFEAT_runstate_phys_area 18     /* VCPUOP_register_runstate_phys_area */
#define XENFEAT_NR_SUBMAPS 1

#endif
