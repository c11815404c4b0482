/*
 * psci.h — PSCI and SMCCC function numbers and return codes
 * (Arm DEN 0022 "Power State Coordination Interface", DEN 0028 "SMC Calling
 * Convention").  Used both to call the firmware and to serve guests.
 */
#ifndef GRANITE_PSCI_H
#define GRANITE_PSCI_H

#define PSCI_0_2_FN_PSCI_VERSION 0x84000000U
#define PSCI_0_2_FN_CPU_SUSPEND 0x84000001U
#define PSCI_0_2_FN_CPU_OFF 0x84000002U
#define PSCI_0_2_FN_CPU_ON 0x84000003U
#define PSCI_0_2_FN_AFFINITY_INFO 0x84000004U
#define PSCI_0_2_FN_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_0_2_FN_SYSTEM_OFF 0x84000008U
#define PSCI_0_2_FN_SYSTEM_RESET 0x84000009U
#define PSCI_1_0_FN_PSCI_FEATURES 0x8400000AU
#define PSCI_0_2_FN64_CPU_SUSPEND 0xC4000001U
#define PSCI_0_2_FN64_CPU_ON 0xC4000003U
#define PSCI_0_2_FN64_AFFINITY_INFO 0xC4000004U

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMS (-2)
#define PSCI_RET_DENIED (-3)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_ON_PENDING (-5)
#define PSCI_RET_INTERNAL_FAILURE (-6)

#define PSCI_VERSION_1_1 0x00010001U

#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define SMCCC_VERSION_1_1 0x00010001U
#define SMCCC_RET_NOT_SUPPORTED (-1)
#define SMCCC_RET_NOT_REQUIRED (-2)
/* Arm DEN 0028 (SMCCC), "Arm Architecture Calls": firmware mitigations. */
#define SMCCC_ARCH_WORKAROUND_1 0x80008000U /* branch predictor invalidation (Spectre v2) */
#define SMCCC_ARCH_WORKAROUND_2 0x80007fffU /* speculative store bypass (Spectre v4) */
#define SMCCC_ARCH_WORKAROUND_3 0x80003fffU /* Spectre v2 and branch history (BHB) */
#define SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED 1 /* ARCH_FEATURES: this PE does not need it */

#endif
