/*
 * hostile_tx.h — malformed TX traffic for dom0's netback (hostile_tx.c).
 */
#ifndef GUESTS_DOMU_HOSTILE_TX_H
#define GUESTS_DOMU_HOSTILE_TX_H

#include <stdbool.h>
#include "netfront.h"

/* Each prints its verdict line and says whether netback did what it must. */
bool hostile_tx_csum(struct netfront *nf);
bool hostile_tx_chain(struct netfront *nf);
/* Leaves the vif disabled by the backend (on success). */
bool hostile_tx_fatal(struct netfront *nf, const char *what);
bool hostile_tx_pgrant_flood(struct netfront *nf);

#endif
