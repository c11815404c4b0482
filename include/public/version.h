/*
 * public/version.h — XENVER_* sub-commands of the xen_version hypercall, with
 * Xen's numbers and layouts (xen/include/public/version.h).
 */
#ifndef PUBLIC_VERSION_H
#define PUBLIC_VERSION_H

#include <stdint.h>

#define XENVER_version 0       /* returns (major << 16) | minor */
#define XENVER_extraversion 1  /* fills a xen_extraversion_t */
typedef char xen_extraversion_t[16];
#define XENVER_get_features 6  /* fills a xen_feature_info */
struct xen_feature_info {
    uint32_t submap_idx;       /* IN: which 32-bit block of feature bits */
    uint32_t submap;           /* OUT */
};

#endif
