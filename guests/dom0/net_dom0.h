/*
 * net_dom0.h — the network dom0's parts, one per file, and what they tell
 * each other.
 */
#ifndef GUESTS_DOM0_NET_DOM0_H
#define GUESTS_DOM0_NET_DOM0_H

#include <stdbool.h>
#include <stdint.h>
#include "guest.h"
#include <public/granite.h>

#define DOM0_MAX_DOMID 8 /* granite's MAX_DOMAINS: domain ids 0..7 */

int baseline_main(const struct guest_info *gi);  /* baseline.c: net=baseline */
int backend_main(const struct guest_info *gi);   /* main.c: net=backend */
int store_main(const struct guest_info *gi);     /* main.c: net=store */

/* grant_window.c: dom0's grant window (where foreign pages are mapped),
 * handed out page by page, never returned (each user keeps its pages). */
void grant_window_init(void);
uint64_t grant_window_page(void); /* 0 when the window is used up */
unsigned grant_window_pages_left(void);

/* granite_op domain_info for `domid`: 0, or negative (no such domain). */
long dom0_domain_info(unsigned domid, struct granite_domain_info *info);

/* xenstore_service.c: serves xenstore (xenstore.c) over each domain's ring,
 * from the event loop. */
int xss_attach(unsigned domid, const struct granite_domain_info *info);
bool xss_attached(unsigned domid);
/* Unmap the domain's ring and close its port (its watches and transactions
 * go; its nodes stay unless the toolstack removes them). */
void xss_detach(unsigned domid);
void xss_detach_all(void);

/* netback.c: the toy PV network backend and its e1000 (net=backend). */
int netback_start(const struct guest_info *gi); /* the NIC, its loop handlers */
/* The toolstack wrote the backend directory `be` of frontend `fe` (domain
 * domid, vif 0): the backend's first steps (features, InitWait, a watch on
 * the frontend's state) before the frontend directory is written. */
void netback_vif_created(unsigned domid, const char *fe, const char *be, const uint8_t mac[6]);
void netback_ready(void);          /* "netback: ready" once every vif exists */
bool netback_every_vif_done(void); /* end=vifs-closed: may dom0 end? */
void netback_reap(void);           /* close the vifs of domains that ended */
int netback_end(void);             /* stop the NIC, final figures; 0 or 1 */

/* toolstack.c: discovers the domains and writes their nodes. */
struct toolstack_cfg {
    unsigned backend_domid;   /* where every vif's backend lives */
    const char *backend_name; /* its name, for the log */
    unsigned max_vifs;        /* vifs made at most (0: one per frontend domain) */
    /* called between the backend and the frontend directory (in-process
     * backend), or NULL (the backend is another domain) */
    void (*vif_created)(unsigned domid, const char *fe, const char *be, const uint8_t mac[6]);
};
/* Attach every domain with a xenstore ring to the service, write its home
 * nodes and, for each frontend domain, its vif.  Returns the number of vifs. */
unsigned toolstack_start(const struct toolstack_cfg *cfg);
/* net=store: look for ended domains, remove their vifs; true once every
 * frontend domain has ended and the backend domain ended or closed every vif. */
bool toolstack_poll_ended(void);

#endif
