/*
 * hostile.h — the domU's resource-hog mode (guests/domU/hostile.c), chosen
 * by the boot argument hostile=xenstore|grants|evtchn|all.
 */
#ifndef GUESTS_DOMU_HOSTILE_H
#define GUESTS_DOMU_HOSTILE_H

#include <stdbool.h>

/* hostile= names a resource to hog (not main.c's own hostile=1). */
bool hostile_wanted(void);
/* Take what it can, print it, idle in WFI until switched off: never returns. */
int hostile_run(void);
/* hostile=multicall: bad multicalls, each answer checked (hostile_mc.c). */
void hostile_multicall(void);

#endif
