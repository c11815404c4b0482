/*
 * zynqmp_eemi.h — ids of the ZynqMP platform-management interface (EEMI)
 * shared by granite's EEMI service (core/zynqmp_eemi.c) and the firmware
 * models it answers with when there is no firmware (core/zynqmp_pin_model.c).
 *
 * Values as listed in Linux's include/linux/firmware/xlnx-zynqmp.h and
 * TF-A's plat/xilinx/zynqmp/pm_service/pm_defs.h (UG1200, EEMI).
 */
#ifndef GRANITE_ZYNQMP_EEMI_H
#define GRANITE_ZYNQMP_EEMI_H

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
