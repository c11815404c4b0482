/*
 * main.c — the network dom0: owns the PCIe host bridge and its e1000 and
 * plays the part Linux dom0 plays on Xen, in miniature.
 *
 *   net=backend   (default) the xenstore daemon for every domU, the toolstack
 *                 writes that create one vif per domU, and the PV network
 *                 backend that bridges it to the e1000 (netback.c)
 *                 end=vifs-closed: end once every vif is closed and its domU
 *                 has ended (default: serve forever)
 *   net=baseline  no domU involved: dom0 alone answers ping and UDP echo on
 *                 the e1000 (baseline.c) — the reference for `make bench`
 * Common options: dma=swiotlb-xen|direct|auto (guests/lib/dma.h).
 */
#include <stdio.h>
#include <string.h>
#include "guest.h"
#include "net_dom0.h"

int guest_main(const struct guest_info *gi)
{
    char mode[16] = "backend";

    guest_arg("net", mode, sizeof(mode));
    if (!strcmp(mode, "baseline"))
        return baseline_main(gi);
    if (!strcmp(mode, "backend"))
        return backend_main(gi);
    printf("dom0: unknown net=%s (backend or baseline)\n", mode);
    return 1;
}
