/*
 * sysregs.h — system register access and the register fields granite uses,
 * named as in the Arm ARM (DDI 0487), chapter D19 "AArch64 System Register
 * Descriptions".  ARM-only: included by arch/ and drivers that are ARM-specific.
 */
#ifndef ARCH_ARM64_SYSREGS_H
#define ARCH_ARM64_SYSREGS_H

#include <granite/types.h>

#define read_sysreg(r) ({ u64 __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((u64)(v)))
/* For a register named by a macro (SYSREG_*): the name is expanded first. */
#define write_sysreg_s(r, v) write_sysreg(r, v)
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define wfi() __asm__ volatile("wfi")
#define wfe() __asm__ volatile("wfe")
#define sev() __asm__ volatile("sev")

/* HCR_EL2: hypervisor configuration (D19.2.48). */
#define HCR_VM BIT(0)     /* stage 2 on */
#define HCR_SWIO BIT(1)   /* set/way invalidate becomes clean+invalidate */
#define HCR_FMO BIT(3)    /* FIQ to EL2 */
#define HCR_IMO BIT(4)    /* IRQ to EL2 */
#define HCR_AMO BIT(5)    /* SError to EL2 */
#define HCR_BSU_IS FIELD_PREP(GENMASK(11, 10), 1) /* barriers upgraded to inner shareable */
#define HCR_FB BIT(9)     /* TLB/cache maintenance broadcast */
#define HCR_TWI BIT(13)
#define HCR_TWE BIT(14)
#define HCR_TSC BIT(19)   /* trap SMC */
#define HCR_TIDCP BIT(20) /* trap implementation-defined registers */
#define HCR_TACR BIT(21)
#define HCR_TSW BIT(22)   /* trap data cache set/way ops */
#define HCR_TID3 BIT(18)  /* trap the ID registers (ID space, CRm 1..7) */
#define HCR_RW BIT(31)    /* EL1 is AArch64 */
#define HCR_TLOR BIT(35)  /* trap the LORegion registers */
#define HCR_TERR BIT(36)  /* trap the RAS error-record registers */
#define HCR_APK BIT(40)   /* pointer-authentication key registers not trapped */
#define HCR_API BIT(41)   /* pointer-authentication instructions not trapped */
#define HCR_TID5 BIT(58)  /* trap GMID_EL1 */
/* While no guest is loaded: no stage 2, but physical interrupts still routed
 * to EL2 — with IMO/FMO clear they would target EL1 and, from EL2, never be
 * taken (Arm ARM D1.3.4, "Asynchronous exception routing"). */
#define HCR_HOST (HCR_RW | HCR_IMO | HCR_FMO | HCR_AMO)

/* SCTLR_EL2 (non-VHE, D19.2.118). */
#define SCTLR_EL2_M BIT(0)
#define SCTLR_EL2_A BIT(1)
#define SCTLR_EL2_C BIT(2)
#define SCTLR_EL2_SA BIT(3)
#define SCTLR_EL2_I BIT(12)
#define SCTLR_EL2_RES1 (BIT(4) | BIT(5) | BIT(11) | BIT(16) | BIT(18) | BIT(22) | BIT(23) | \
                        BIT(28) | BIT(29))
/* SCTLR_EL1 value for a guest at reset: MMU and caches off, RES1 bits set. */
#define SCTLR_EL1_RESET (BIT(11) | BIT(20) | BIT(22) | BIT(23) | BIT(28) | BIT(29))

/* TCR_EL2 (non-VHE, D19.2.139). */
#define TCR_EL2_T0SZ(x) FIELD_PREP(GENMASK(5, 0), x)
#define TCR_EL2_IRGN0_WBWA FIELD_PREP(GENMASK(9, 8), 1)
#define TCR_EL2_ORGN0_WBWA FIELD_PREP(GENMASK(11, 10), 1)
#define TCR_EL2_SH0_INNER FIELD_PREP(GENMASK(13, 12), 3)
#define TCR_EL2_TG0_4K FIELD_PREP(GENMASK(15, 14), 0)
#define TCR_EL2_PS(x) FIELD_PREP(GENMASK(18, 16), x)
#define TCR_EL2_RES1 (BIT(23) | BIT(31))

/* MAIR attribute indexes granite uses at EL2. */
#define MAIR_IDX_NORMAL 0
#define MAIR_IDX_DEVICE 1
#define MAIR_ATTR_NORMAL_WB 0xffUL   /* inner/outer write-back, read/write-allocate */
#define MAIR_ATTR_DEVICE_nGnRE 0x04UL
#define MAIR_EL2_VALUE (MAIR_ATTR_NORMAL_WB << (8 * MAIR_IDX_NORMAL) | \
                        MAIR_ATTR_DEVICE_nGnRE << (8 * MAIR_IDX_DEVICE))

/* CPTR_EL2 (non-VHE, D19.2.30). */
#define CPTR_EL2_TZ BIT(8)   /* trap SVE (inside the RES1 mask below: always set) */
#define CPTR_EL2_TFP BIT(10) /* trap FP/SIMD at EL0-EL2 */
#define CPTR_EL2_TSM BIT(12) /* trap SME (inside the RES1 mask below: always set) */
#define CPTR_EL2_TTA BIT(20) /* trap trace registers */
#define CPTR_EL2_TAM BIT(30) /* trap activity-monitor registers */
#define CPTR_EL2_RES1 (GENMASK(9, 0) | BIT(12) | BIT(13))
/* What granite always traps: SVE, SME (hidden from guests: id_regs.c), trace
 * and activity monitors (hidden too). */
#define CPTR_EL2_GUEST (CPTR_EL2_RES1 | CPTR_EL2_TZ | CPTR_EL2_TSM | CPTR_EL2_TTA | CPTR_EL2_TAM)

/* MDCR_EL2 (D19.2.77). */
#define MDCR_HPMN GENMASK(4, 0)
#define MDCR_TPMCR BIT(5)    /* trap PMCR_EL0 */
#define MDCR_TPM BIT(6)      /* trap every PMU register */
#define MDCR_TDA BIT(9)      /* trap debug registers (not set: they are switched) */
#define MDCR_TDOSA BIT(10)   /* trap OS lock / power-down registers */
#define MDCR_TDRA BIT(11)    /* trap MDRAR_EL1 (debug ROM) */
#define MDCR_E2PB GENMASK(13, 12) /* 0: profiling buffer owned by EL2, EL1 access trapped */
#define MDCR_TPMS BIT(14)    /* trap SPE registers */
#define MDCR_TTRF BIT(19)    /* trap TRFCR_EL1 */
#define MDCR_E2TB GENMASK(25, 24) /* 0: trace buffer owned by EL2, EL1 access trapped */
#define PMCR_N GENMASK(15, 11)

/* CNTHCTL_EL2 (non-VHE). */
#define CNTHCTL_EL1PCTEN BIT(0) /* EL1 may read the physical counter */
#define CNTHCTL_EL1PCEN BIT(1)  /* EL1 may use the physical timer */

/* ESR_ELx (D19.2.40). */
#define ESR_EC(esr) FIELD_GET(GENMASK(31, 26), esr)
#define ESR_IL BIT(25)
#define ESR_ISS(esr) ((esr) & GENMASK(24, 0))
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_FP_ASIMD 0x07
#define EC_PAC 0x09 /* pointer authentication, trapped by HCR_EL2.API = 0 */
#define EC_ILLEGAL 0x0e
#define EC_SVC64 0x15
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_SVE 0x19
#define EC_SME 0x1d
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_SERROR 0x2f
#define EC_BRK64 0x3c

/* ISS of a data abort (D19.2.40, "ISS encoding for an exception from a Data Abort"). */
#define DABT_ISV BIT(24)
#define DABT_SAS GENMASK(23, 22)
#define DABT_SSE BIT(21)
#define DABT_SRT GENMASK(20, 16)
#define DABT_SF BIT(15)
#define DABT_AR BIT(14)
#define DABT_VNCR BIT(13)
#define DABT_SET GENMASK(12, 11)
#define DABT_FNV BIT(10)
#define DABT_EA BIT(9)
#define DABT_CM BIT(8)
#define DABT_S1PTW BIT(7)
#define DABT_WNR BIT(6)
#define DABT_DFSC GENMASK(5, 0)
#define FSC_TRANSLATION_MASK 0x3c /* DFSC/IFSC 0b0001LL: translation fault, level LL */
#define FSC_TRANSLATION 0x04

/* HPFAR_EL2: FIPA[47:12] of a stage-2 fault lives in bits [43:4]. */
#define HPFAR_FIPA GENMASK(43, 4)

/* Every A64 instruction is 4 bytes (ELR_EL2 of a trap points at the trapping one). */
#define AARCH64_INSN_LEN 4

/* PSTATE / SPSR_EL2 */
#define SPSR_MODE_EL1h 0x5
#define SPSR_D BIT(9)
#define SPSR_A BIT(8)
#define SPSR_I BIT(7)
#define SPSR_F BIT(6)
#define SPSR_M_MASK 0xfUL
#define SPSR_M_SP BIT(0)   /* SPSR.M[0]: 1 = SP_ELx, 0 = SP_EL0 */
#define SPSR_MODE_EL0t 0x0
#define SPSR_MODE_EL1t 0x4
#define SPSR_M_RW BIT(4)   /* 1 = the interrupted state was AArch32 */
#define SPSR_BTYPE GENMASK(11, 10)
#define SPSR_SSBS BIT(12)
#define SPSR_IL BIT(20)
#define SPSR_SS BIT(21)
#define SPSR_PAN BIT(22)
#define SPSR_UAO BIT(23)
#define SPSR_DIT BIT(24)
#define SPSR_TCO BIT(25)
/* SCTLR_EL1 bits that steer exception entry (D1.10.2). */
#define SCTLR_EL1_SPAN BIT(23) /* 0: PSTATE.PAN set on taking an exception to EL1 */
#define SCTLR_EL1_DSSBS BIT(44) /* PSTATE.SSBS on taking an exception to EL1 */
#define DAIF_I BIT(7)

/* ID_AA64MMFR0_EL1 / MMFR1 fields. */
#define MMFR0_PARANGE GENMASK(3, 0)
#define MMFR1_VMIDBITS GENMASK(7, 4)
#define MMFR0_FGT GENMASK(59, 56)  /* FEAT_FGT: the fine-grained trap registers */
#define MMFR1_HCX GENMASK(43, 40)  /* FEAT_HCX: HCRX_EL2 */
#define MMFR1_PAN GENMASK(23, 20)  /* FEAT_PAN */

/* EL2 registers the assembler for -march=armv8-a does not name (op0_op1_CRn_CRm_op2). */
#define SYSREG_HFGRTR_EL2 s3_4_c1_c1_4
#define SYSREG_HFGWTR_EL2 s3_4_c1_c1_5
#define SYSREG_HFGITR_EL2 s3_4_c1_c1_6
#define SYSREG_HDFGRTR_EL2 s3_4_c3_c1_4
#define SYSREG_HDFGWTR_EL2 s3_4_c3_c1_5
#define SYSREG_HCRX_EL2 s3_4_c1_c2_2

/* MPIDR_EL1 affinity. */
#define MPIDR_AFF_MASK 0xff00ffffffUL

/* PAR_EL1 after an AT instruction. */
#define PAR_F BIT(0)
#define PAR_PA GENMASK(47, 12)

static inline u64 irq_save(void)
{
    u64 f = read_sysreg(daif);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    return f;
}
static inline void irq_restore(u64 f) { write_sysreg(daif, f); }

#endif
