/*
 * net_dom0.h — the network dom0's parts, one per file.
 */
#ifndef GUESTS_DOM0_NET_DOM0_H
#define GUESTS_DOM0_NET_DOM0_H

#include "guest.h"

int baseline_main(const struct guest_info *gi);  /* baseline.c */
int backend_main(const struct guest_info *gi);   /* netback.c */

#endif
