/*
 * zynqmp_clock_model.h — the ZynqMP clock tree granite describes when it
 * answers the firmware interface itself (core/zynqmp_clock_model.c).
 */
#ifndef GRANITE_ZYNQMP_CLOCK_MODEL_H
#define GRANITE_ZYNQMP_CLOCK_MODEL_H

#include <granite/types.h>

/* Boot: find the board's reference clock (the firmware clock controller's
 * "pss_ref_clk" input) in the host tree.  Without it the model has no
 * clocks.  Returns the number of output clocks modelled. */
unsigned zynqmp_clock_model_probe(const void *fdt);

/* The reference clock's rate in Hz (0 when the board names none). */
u32 zynqmp_clock_model_ref_hz(void);

/* `id` is an output clock of the model (a clock a device can be given). */
bool zynqmp_clock_modelled(u32 id);

/* A modelled output clock's nominal rate in Hz (0 for any other id). */
u64 zynqmp_clock_rate(u32 id);

/* `qid` is one of the PM_QUERY_DATA clock queries the model answers. */
bool zynqmp_clock_is_query(u32 qid);

/*
 * Answer one clock query: arg[0] = query id, arg[1] = clock id, arg[2] =
 * index (topology, parents).  Fills the payload words p[0..3] (p[0] is the
 * status, except for PM_QID_CLOCK_GET_NAME whose 16 bytes are all name) and
 * returns the status, PM_RET_SUCCESS (0) or an error for a bad argument.
 */
u32 zynqmp_clock_query(const u32 arg[4], u32 p[4]);

#endif
