/*
 * toolstack_nodes.h — what the toolstack writes into xenstore for a domain
 * and for each vif, as Xen's libxl does (reference §7), over the in-process
 * store API (xenstore.h).  Pure: no hypercalls, no console; unit-tested on
 * the host (tests/unit/test_toolstack.c).
 */
#ifndef GUESTS_DOM0_TOOLSTACK_NODES_H
#define GUESTS_DOM0_TOOLSTACK_NODES_H

#include <stdint.h>

#define TS_PATH_MAX 96
#define TS_MAC_PREFIX "00:16:3e:00:00:" /* Xen's OUI; the last byte is the frontend's id */
#define TS_VIF_SCRIPT "/etc/xen/scripts/vif-bridge"
#define TS_VIF_BRIDGE "xenbr0"

struct ts_vif {
    unsigned fe_domid, be_domid, handle;
    uint8_t mac[6];
    char mac_str[18];
    char fe[TS_PATH_MAX];     /* /local/domain/<fe>/device/vif/<handle> */
    char be[TS_PATH_MAX];     /* /local/domain/<be>/backend/vif/<fe>/<handle> */
    char be_top[TS_PATH_MAX]; /* /local/domain/<be>/backend/vif/<fe>: removed with the vif */
};

/* Fill in a vif's paths and MAC. */
void ts_vif_init(struct ts_vif *v, unsigned fe_domid, unsigned be_domid, unsigned handle);

/* A domain's own nodes (below its home, so they are the domain's):
 * control/platform-feature-xs_reset_watches=1, cpu/<n>/availability=online
 * for each vCPU, memory/static-max = memory_kib and memory/target =
 * memory_kib - reservoir_kib (KiB; neither is written when memory_kib is 0,
 * and a reservoir as large as the memory is -EINVAL).  0 or the first
 * negative errno.
 *
 * The reservoir is for a Linux backend domain.  Debian's kernel has no
 * unpopulated-alloc (CONFIG_ZONE_DEVICE is off), so netback takes the pages
 * it grant-maps into from the balloon driver's list of ballooned-out pages.
 * With target == static-max that list is empty: each connect balloons pages
 * out (XENMEM_decrease_reservation), which leaves the balloon's credit
 * (target - current) positive, and the balloon thread, woken by the first
 * page netback frees at disconnect, finds its list empty and tries to
 * hot-plug new memory instead, at guest-physical 0 (a WARNING in
 * vmemmap_populate).  A target below static-max makes Linux balloon the
 * reservoir out at boot (it waits for that before init): netback then takes
 * and returns pages from a full list and the credit stays 0 — the steady
 * state a toolstack gives a driver domain. */
#define TS_BACKEND_RESERVOIR_KIB (8 * 1024) /* 7 vifs x (256 + 2) pages, rounded up */
int ts_write_domain(unsigned domid, unsigned nr_vcpus, uint64_t memory_kib,
                    uint64_t reservoir_kib);

/* The backend directory, owned by the backend's domain and readable by the
 * frontend's: frontend, frontend-id, online=1, handle, mac, script, bridge,
 * state=1 (written last).  0 or the first negative errno. */
int ts_write_vif_backend(const struct ts_vif *v);
/* The frontend directory, owned by the frontend's domain and readable by
 * the backend's: backend, backend-id, handle, mac, state=1 (last). */
int ts_write_vif_frontend(const struct ts_vif *v);
/* Both directories go (xl destroy): the frontend's and the backend's
 * backend/vif/<fe> level, so backend/vif empties with the last vif. */
int ts_remove_vif(const struct ts_vif *v);

#endif
