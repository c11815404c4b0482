/*
 * zynqmp_eemi.h — ids and status codes of the ZynqMP firmware interface
 * (EEMI) shared by the parts of granite that answer it (core/zynqmp_eemi.c and the models it
 * consults when there is no firmware: core/zynqmp_clock_model.c,
 * core/zynqmp_pin_model.c).
 *
 * Values as the interface defines them (UG1200; Linux's
 * include/linux/firmware/xlnx-zynqmp.h and TF-A's pm_defs.h list the same numbers).
 */
#ifndef GRANITE_ZYNQMP_EEMI_H
#define GRANITE_ZYNQMP_EEMI_H

/*
 * Status codes (payload[0] of an answer), under TF-A's names (pm_defs.h,
 * enum pm_ret_status; 15 as Xen's eemi.h names it).  Linux's
 * xlnx-zynqmp.h calls some of them XST_PM_*: SUCCESS, NO_FEATURE (19),
 * NO_ACCESS (2002), INVALID_NODE (2003); UG1200 calls 15 XST_PM_INVALID_PARAM.
 */
#define PM_RET_SUCCESS 0
#define PM_RET_ERROR_ARGS 1
#define PM_RET_ERROR_NOTSUPPORTED 4
#define PM_RET_INVALID_PARAM 15
#define PM_RET_ERROR_NOFEATURE 19
#define PM_RET_ERROR_ACCESS 2002
#define PM_RET_ERROR_INVALID_NODE 2003

/* PM_QUERY_DATA query ids (arg0 of the call): the clock tree's. */
#define PM_QID_CLOCK_GET_NAME 1
#define PM_QID_CLOCK_GET_TOPOLOGY 2
#define PM_QID_CLOCK_GET_FIXEDFACTOR_PARAMS 3
#define PM_QID_CLOCK_GET_PARENTS 4
#define PM_QID_CLOCK_GET_ATTRIBUTES 5
#define PM_QID_CLOCK_GET_NUM_CLOCKS 12
#define PM_QID_CLOCK_GET_MAX_DIVISOR 13

/* Pin-controller API ids (x0 = 0xC2000000 | id). */
#define PM_PINCTRL_REQUEST 28
#define PM_PINCTRL_RELEASE 29
#define PM_PINCTRL_GET_FUNCTION 30
#define PM_PINCTRL_SET_FUNCTION 31
#define PM_PINCTRL_CONFIG_PARAM_GET 32
#define PM_PINCTRL_CONFIG_PARAM_SET 33

/* PM_QUERY_DATA query ids of the pin controller. */
#define PM_QID_PINCTRL_GET_NUM_PINS 6
#define PM_QID_PINCTRL_GET_NUM_FUNCTIONS 7
#define PM_QID_PINCTRL_GET_NUM_FUNCTION_GROUPS 8
#define PM_QID_PINCTRL_GET_FUNCTION_NAME 9
#define PM_QID_PINCTRL_GET_FUNCTION_GROUPS 10
#define PM_QID_PINCTRL_GET_PIN_GROUPS 11

/* PM_FEATURE_CHECK's answer for PM_PINCTRL_CONFIG_PARAM_SET from a firmware
 * that implements the tri-state parameter (Linux asks before using it). */
#define PM_PINCTRL_PARAM_SET_VERSION 2

#endif
