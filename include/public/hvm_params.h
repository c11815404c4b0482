/*
 * public/hvm_params.h — HVMOP_get_param, the way an Arm guest learns where
 * its xenstore ring is (Xen's xen/include/public/hvm/hvm_op.h and params.h).
 *
 * __HYPERVISOR_hvm_op (34), x0 = HVMOP_get_param, x1 = guest address of a
 * struct xen_hvm_param with domid = DOMID_SELF and index set; value is filled.
 */
#ifndef PUBLIC_HVM_PARAMS_H
#define PUBLIC_HVM_PARAMS_H

#include <stdint.h>

#define HVMOP_set_param 0
#define HVMOP_get_param 1

struct xen_hvm_param {
    uint16_t domid;       /* IN: DOMID_SELF */
    uint16_t pad;
    uint32_t index;       /* IN: HVM_PARAM_* */
    uint64_t value;       /* OUT */
};

#define HVM_PARAM_STORE_PFN 1    /* guest frame number of the xenstore ring */
#define HVM_PARAM_STORE_EVTCHN 2 /* the guest's event channel to xenstored */
#define HVM_PARAM_CONSOLE_PFN 17   /* frame of the PV console ring (0: none) */
#define HVM_PARAM_CONSOLE_EVTCHN 18 /* the PV console's event channel (0: none) */

#endif
