/*
 * zynqmp_eemi.h — ids of the ZynqMP firmware interface (EEMI) shared by the
 * parts of granite that answer it (core/zynqmp_eemi.c and the models it
 * consults, core/zynqmp_clock_model.c, ...).
 *
 * Values as the interface defines them (UG1200; Linux's
 * include/linux/firmware/xlnx-zynqmp.h lists the same numbers).
 */
#ifndef GRANITE_ZYNQMP_EEMI_H
#define GRANITE_ZYNQMP_EEMI_H

/* PM_QUERY_DATA query ids (arg0 of the call): the clock tree's. */
#define PM_QID_CLOCK_GET_NAME 1
#define PM_QID_CLOCK_GET_TOPOLOGY 2
#define PM_QID_CLOCK_GET_FIXEDFACTOR_PARAMS 3
#define PM_QID_CLOCK_GET_PARENTS 4
#define PM_QID_CLOCK_GET_ATTRIBUTES 5
#define PM_QID_CLOCK_GET_NUM_CLOCKS 12
#define PM_QID_CLOCK_GET_MAX_DIVISOR 13

#endif
