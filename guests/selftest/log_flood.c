/*
 * log_flood.c — test=logflood count=N: a guest that makes granite want to log,
 * N times in a row (issue 10, finding 5).
 *
 * Each unknown SMCCC function id and each access to a register the vGIC does
 * not have is worth a log line.  granite must rate-limit them per domain and
 * print them later, outside its locks: the guest measures what one such call
 * costs (guest time, from the generic counter), and granite reports how many
 * lines it suppressed when the domain ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <libfdt.h>
#include "guest.h"

#define GICD_NO_SUCH_REGISTER 0x0040  /* inside the distributor (v2 or v3), nothing there */
#define SMCCC_UNKNOWN_FN 0x82000042U  /* an SMCCC fast call id nobody implements */

static unsigned arg_count(void)
{
    char buf[16];
    return guest_arg("count", buf, sizeof(buf)) ? (unsigned)atoi(buf) : 65536;
}

int test_logflood(const struct guest_info *gi)
{
    int node = -1, len;
    const fdt64_t *reg = gic_find(gi->fdt, &node) > 0 ? fdt_getprop(gi->fdt, node, "reg", &len)
                                                      : NULL;
    unsigned n = arg_count(), wrong = 0;
    uint64_t t0, t1, t2;

    if (!reg) {
        printf("logflood: no GIC in my DTB: FAIL\n");
        return 1;
    }
    volatile uint8_t *gicd = (volatile uint8_t *)fdt64_to_cpu(reg[0]);
    t0 = guest_time_us();
    for (unsigned i = 0; i < n; i++)
        wrong += smccc_hvc(SMCCC_UNKNOWN_FN, i, 0, 0) != -1;
    t1 = guest_time_us();
    for (unsigned i = 0; i < n; i++)
        wrong += mmio_read32(gicd + GICD_NO_SUCH_REGISTER) != 0;
    t2 = guest_time_us();
    printf("logflood: %u unknown SMCCC calls in %lu ms (%lu ns each)\n", n,
           (unsigned long)((t1 - t0) / 1000), (unsigned long)((t1 - t0) * 1000 / (n ? n : 1)));
    printf("logflood: %u reads of a missing vGIC register in %lu ms; %u answers wrong\n", n,
           (unsigned long)((t2 - t1) / 1000), wrong);
    printf("logflood: %s\n", wrong ? "FAIL" : "PASS");
    return wrong ? 1 : 0;
}
