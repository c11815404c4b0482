/*
 * smmuv3_hw.h — the Arm SMMUv3 programming interface as data: register
 * offsets and fields, the in-memory structures (L1STD, STE, CD), command and
 * event record formats, and the pure encoders/decoders that
 * drivers/smmuv3_format.c implements (no MMIO there, so the host unit test
 * tests/unit/test_smmuv3.c can check every bit).
 *
 * Source: Arm IHI 0070, "SMMUv3 architecture specification".  Section numbers
 * are those of revisions G/H: chapter 3 (operation, 3.5 queues), chapter 4
 * (commands), chapter 5 (structures: 5.1 L1STD, 5.2 STE, 5.4 CD, 5.5 fault
 * configuration), 6.3 (register formats; the sub-section numbers move between
 * revisions, so registers are cited by name), 7.3 (event records).  Field names
 * are the spec's.  Positions were checked against the spec text where it is
 * readable as text, and otherwise against two or more independent public
 * implementations (the Linux, FreeBSD and QEMU SMMUv3 code and gem5's model).
 * A field that could be checked against neither is marked "unverified".
 *
 * The spec numbers STE/CD/event bits across the whole structure (STE bit 95
 * is bit 31 of the second 64-bit word).  Here every structure is an array of
 * little-endian 64-bit words, and each field is a mask within its word:
 * SMMU_STE1_STRW is STE[95:94], i.e. bits [31:30] of dw[1].
 *
 * Assumptions: the CPU is little-endian (SMMU structures are little-endian,
 * chapter 5), `unsigned long` is 64 bits (types.h's BIT/GENMASK), only the
 * Non-secure programming interface is used, translation tables are VMSAv8-64
 * with a 4 KiB granule.  Address fields that the newest revisions widened to
 * bit 55 use the wide form: bits above the SMMU's OAS are RES0, so this is
 * harmless for smaller addresses.
 */
#ifndef GRANITE_SMMUV3_HW_H
#define GRANITE_SMMUV3_HW_H

#include <granite/types.h>

/* ------------------------------------------------------------------------ */
/* Register offsets (6.2 memory map, 6.3 register formats)                   */
/* ------------------------------------------------------------------------ */

/* Page 0 (offsets from the SMMU's base). */
#define SMMU_IDR0 0x0
#define SMMU_IDR1 0x4
#define SMMU_IDR2 0x8
#define SMMU_IDR3 0xc
#define SMMU_IDR4 0x10
#define SMMU_IDR5 0x14
#define SMMU_IIDR 0x18
#define SMMU_AIDR 0x1c
#define SMMU_CR0 0x20
#define SMMU_CR0ACK 0x24
#define SMMU_CR1 0x28
#define SMMU_CR2 0x2c
#define SMMU_STATUSR 0x40
#define SMMU_GBPA 0x44
#define SMMU_AGBPA 0x48
#define SMMU_IRQ_CTRL 0x50
#define SMMU_IRQ_CTRLACK 0x54
#define SMMU_GERROR 0x60
#define SMMU_GERRORN 0x64
#define SMMU_GERROR_IRQ_CFG0 0x68 /* 64-bit */
#define SMMU_GERROR_IRQ_CFG1 0x70
#define SMMU_GERROR_IRQ_CFG2 0x74
#define SMMU_STRTAB_BASE 0x80 /* 64-bit */
#define SMMU_STRTAB_BASE_CFG 0x88
#define SMMU_CMDQ_BASE 0x90 /* 64-bit */
#define SMMU_CMDQ_PROD 0x98
#define SMMU_CMDQ_CONS 0x9c
#define SMMU_EVENTQ_BASE 0xa0 /* 64-bit */
#define SMMU_EVENTQ_IRQ_CFG0 0xb0 /* 64-bit */
#define SMMU_EVENTQ_IRQ_CFG1 0xb8
#define SMMU_EVENTQ_IRQ_CFG2 0xbc
#define SMMU_PRIQ_BASE 0xc0 /* 64-bit */
#define SMMU_PRIQ_IRQ_CFG0 0xd0 /* 64-bit */
#define SMMU_PRIQ_IRQ_CFG1 0xd8
#define SMMU_PRIQ_IRQ_CFG2 0xdc

/* Page 1 starts 64 KiB above page 0; the Event and PRI queue indices live there. */
#define SMMU_PAGE1 0x10000
#define SMMU_EVENTQ_PROD 0x100a8
#define SMMU_EVENTQ_CONS 0x100ac
#define SMMU_PRIQ_PROD 0x100c8
#define SMMU_PRIQ_CONS 0x100cc

/* The SMMU's register frame spans both pages. */
#define SMMU_REG_SPAN 0x20000

/* ------------------------------------------------------------------------ */
/* ID registers (6.3, SMMU_IDR0..5)                                          */
/* ------------------------------------------------------------------------ */

/* SMMU_IDR0 */
#define SMMU_IDR0_S2P BIT(0)              /* stage 2 translation implemented */
#define SMMU_IDR0_S1P BIT(1)              /* stage 1 translation implemented */
#define SMMU_IDR0_TTF GENMASK(3, 2)       /* translation table formats */
#define SMMU_IDR0_TTF_AARCH32 1           /* VMSAv8-32 LPAE only */
#define SMMU_IDR0_TTF_AARCH64 2           /* VMSAv8-64 only */
#define SMMU_IDR0_TTF_BOTH 3
#define SMMU_IDR0_COHACC BIT(4)           /* coherent access to tables/queues */
#define SMMU_IDR0_BTM BIT(5)              /* broadcast TLB maintenance */
#define SMMU_IDR0_HTTU GENMASK(7, 6)      /* hardware access/dirty flag update */
#define SMMU_IDR0_HTTU_NONE 0
#define SMMU_IDR0_HTTU_ACCESS 1
#define SMMU_IDR0_HTTU_ACCESS_DIRTY 2
#define SMMU_IDR0_DORMHINT BIT(8)
#define SMMU_IDR0_HYP BIT(9)              /* EL2 (hypervisor) StreamWorld */
#define SMMU_IDR0_ATS BIT(10)
#define SMMU_IDR0_NS1ATS BIT(11)
#define SMMU_IDR0_ASID16 BIT(12)
#define SMMU_IDR0_MSI BIT(13)             /* MSIs for GERROR/queues/CMD_SYNC */
#define SMMU_IDR0_SEV BIT(14)             /* SMMU sends WFE wake-up events */
#define SMMU_IDR0_ATOS BIT(15)
#define SMMU_IDR0_PRI BIT(16)
#define SMMU_IDR0_VMW BIT(17)             /* VMID wildcard matching */
#define SMMU_IDR0_VMID16 BIT(18)
#define SMMU_IDR0_CD2L BIT(19)            /* 2-level CD tables */
#define SMMU_IDR0_VATOS BIT(20)
#define SMMU_IDR0_TTENDIAN GENMASK(22, 21)
#define SMMU_IDR0_TTENDIAN_MIXED 0
#define SMMU_IDR0_TTENDIAN_LE 2
#define SMMU_IDR0_TTENDIAN_BE 3
#define SMMU_IDR0_STALL_MODEL GENMASK(25, 24)
#define SMMU_IDR0_STALL_MODEL_BOTH 0      /* stall and terminate */
#define SMMU_IDR0_STALL_MODEL_TERMINATE 1 /* stall not supported */
#define SMMU_IDR0_STALL_MODEL_FORCED 2    /* stall forced */
#define SMMU_IDR0_TERM_MODEL BIT(26)      /* 1: terminated transactions always abort */
#define SMMU_IDR0_ST_LEVEL GENMASK(28, 27)
#define SMMU_IDR0_ST_LEVEL_LINEAR 0
#define SMMU_IDR0_ST_LEVEL_2LVL 1

/* SMMU_IDR1 */
#define SMMU_IDR1_SIDSIZE GENMASK(5, 0)    /* StreamID bits, 0..32 */
#define SMMU_IDR1_SSIDSIZE GENMASK(10, 6)  /* SubstreamID bits, 0..20 */
#define SMMU_IDR1_PRIQS GENMASK(15, 11)    /* log2 max PRI queue entries */
#define SMMU_IDR1_EVENTQS GENMASK(20, 16)  /* log2 max Event queue entries */
#define SMMU_IDR1_CMDQS GENMASK(25, 21)    /* log2 max Command queue entries */
#define SMMU_IDR1_ATTR_PERMS_OVR BIT(26)   /* STE.{PRIVCFG,INSTCFG,NSCFG} work */
#define SMMU_IDR1_ATTR_TYPES_OVR BIT(27)   /* STE.{MemAttr,MTCFG,ALLOCCFG,SHCFG} work */
#define SMMU_IDR1_REL BIT(28)              /* base addresses relative to the SMMU */
#define SMMU_IDR1_QUEUES_PRESET BIT(29)
#define SMMU_IDR1_TABLES_PRESET BIT(30)
#define SMMU_IDR1_ECMDQ BIT(31)
#define SMMU_MAX_SIDSIZE 32
#define SMMU_MAX_SSIDSIZE 20
#define SMMU_MAX_QUEUE_LOG2 19             /* CMDQS/EVENTQS/PRIQS <= 19 (6.3 SMMU_CMDQ_CONS) */

/* SMMU_IDR3 (positions from QEMU's smmuv3-internal.h and Linux; not read in the spec) */
#define SMMU_IDR3_HAD BIT(2)
#define SMMU_IDR3_PBHA BIT(3)
#define SMMU_IDR3_XNX BIT(4)
#define SMMU_IDR3_PPS BIT(5)
#define SMMU_IDR3_MPAM BIT(7)
#define SMMU_IDR3_FWB BIT(8)
#define SMMU_IDR3_STT BIT(9)
#define SMMU_IDR3_RIL BIT(10)              /* range invalidation */
#define SMMU_IDR3_BBML GENMASK(12, 11)

/* SMMU_IDR5 */
#define SMMU_IDR5_OAS GENMASK(2, 0)
#define SMMU_IDR5_OAS_32 0
#define SMMU_IDR5_OAS_36 1
#define SMMU_IDR5_OAS_40 2
#define SMMU_IDR5_OAS_42 3
#define SMMU_IDR5_OAS_44 4
#define SMMU_IDR5_OAS_48 5
#define SMMU_IDR5_OAS_52 6                 /* SMMUv3.1+ */
#define SMMU_IDR5_OAS_56 7                 /* SMMUv3.4+, needs VMSAv9-128 (D128) */
#define SMMU_IDR5_GRAN4K BIT(4)
#define SMMU_IDR5_GRAN16K BIT(5)
#define SMMU_IDR5_GRAN64K BIT(6)
#define SMMU_IDR5_DS BIT(7)
#define SMMU_IDR5_D128 BIT(8)
#define SMMU_IDR5_VAX GENMASK(11, 10)
#define SMMU_IDR5_STALL_MAX GENMASK(31, 16)

/* ------------------------------------------------------------------------ */
/* Control registers (6.3, SMMU_CR0/CR1/CR2/GBPA/IRQ_CTRL/GERROR)            */
/* ------------------------------------------------------------------------ */

/* SMMU_CR0 and SMMU_CR0ACK (same layout; the ACK register follows CR0). */
#define SMMU_CR0_SMMUEN BIT(0)
#define SMMU_CR0_PRIQEN BIT(1)
#define SMMU_CR0_EVENTQEN BIT(2)
#define SMMU_CR0_CMDQEN BIT(3)
#define SMMU_CR0_ATSCHK BIT(4)
#define SMMU_CR0_VMW GENMASK(8, 6)

/* SMMU_CR1: memory attributes of the SMMU's own queue and table accesses. */
#define SMMU_CR1_QUEUE_IC GENMASK(1, 0)
#define SMMU_CR1_QUEUE_OC GENMASK(3, 2)
#define SMMU_CR1_QUEUE_SH GENMASK(5, 4)
#define SMMU_CR1_TABLE_IC GENMASK(7, 6)
#define SMMU_CR1_TABLE_OC GENMASK(9, 8)
#define SMMU_CR1_TABLE_SH GENMASK(11, 10)
#define SMMU_CR1_CACHE_NC 0                /* IC/OC values */
#define SMMU_CR1_CACHE_WB 1
#define SMMU_CR1_CACHE_WT 2
#define SMMU_SH_NSH 0                      /* Shareability, used by CR1, STE, CD */
#define SMMU_SH_OSH 2
#define SMMU_SH_ISH 3

/* SMMU_CR2 */
#define SMMU_CR2_E2H BIT(0)
#define SMMU_CR2_RECINVSID BIT(1)          /* record C_BAD_STREAMID */
#define SMMU_CR2_PTM BIT(2)                /* private TLB maintenance (ignore broadcast) */

/* SMMU_GBPA: what happens to traffic while SMMUEN == 0 (positions of the
 * attribute fields from Arm's MMU-700 register description as published in
 * Intel's Agilex 5 HPS manual; ABORT/UPDATE also in Linux and QEMU). */
#define SMMU_GBPA_MEMATTR GENMASK(3, 0)
#define SMMU_GBPA_MTCFG BIT(4)
#define SMMU_GBPA_ALLOCCFG GENMASK(11, 8)
#define SMMU_GBPA_SHCFG GENMASK(13, 12)
#define SMMU_GBPA_PRIVCFG GENMASK(17, 16)
#define SMMU_GBPA_INSTCFG GENMASK(19, 18)
#define SMMU_GBPA_ABORT BIT(20)
#define SMMU_GBPA_UPDATE BIT(31)

/* SMMU_IRQ_CTRL and SMMU_IRQ_CTRLACK */
#define SMMU_IRQ_CTRL_GERROR_IRQEN BIT(0)
#define SMMU_IRQ_CTRL_PRIQ_IRQEN BIT(1)
#define SMMU_IRQ_CTRL_EVENTQ_IRQEN BIT(2)

/* SMMU_GERROR and SMMU_GERRORN: an error is active while the two bits differ. */
#define SMMU_GERROR_CMDQ_ERR BIT(0)
#define SMMU_GERROR_EVENTQ_ABT_ERR BIT(2)
#define SMMU_GERROR_PRIQ_ABT_ERR BIT(3)
#define SMMU_GERROR_MSI_CMDQ_ABT_ERR BIT(4)
#define SMMU_GERROR_MSI_EVENTQ_ABT_ERR BIT(5)
#define SMMU_GERROR_MSI_PRIQ_ABT_ERR BIT(6)
#define SMMU_GERROR_MSI_GERROR_ABT_ERR BIT(7)
#define SMMU_GERROR_SFM_ERR BIT(8)         /* service failure mode */
#define SMMU_GERROR_ERR_MASK (SMMU_GERROR_CMDQ_ERR | SMMU_GERROR_EVENTQ_ABT_ERR | \
                              SMMU_GERROR_PRIQ_ABT_ERR | SMMU_GERROR_MSI_CMDQ_ABT_ERR | \
                              SMMU_GERROR_MSI_EVENTQ_ABT_ERR | SMMU_GERROR_MSI_PRIQ_ABT_ERR | \
                              SMMU_GERROR_MSI_GERROR_ABT_ERR | SMMU_GERROR_SFM_ERR)

/* SMMU_*_IRQ_CFG0/1/2: MSI address, data and attributes (only if IDR0.MSI). */
#define SMMU_IRQ_CFG0_ADDR GENMASK(55, 2)
#define SMMU_IRQ_CFG1_DATA GENMASK(31, 0)
#define SMMU_IRQ_CFG2_MEMATTR GENMASK(3, 0)
#define SMMU_IRQ_CFG2_SH GENMASK(5, 4)

/* ------------------------------------------------------------------------ */
/* Stream table and queue base registers (6.3)                               */
/* ------------------------------------------------------------------------ */

/* SMMU_STRTAB_BASE */
#define SMMU_STRTAB_BASE_ADDR GENMASK(55, 6)
#define SMMU_STRTAB_BASE_RA BIT(62)        /* read-allocate hint */

/* SMMU_STRTAB_BASE_CFG */
#define SMMU_STRTAB_BASE_CFG_LOG2SIZE GENMASK(5, 0)
#define SMMU_STRTAB_BASE_CFG_SPLIT GENMASK(10, 6)
#define SMMU_STRTAB_BASE_CFG_FMT GENMASK(17, 16)
#define SMMU_STRTAB_BASE_CFG_FMT_LINEAR 0
#define SMMU_STRTAB_BASE_CFG_FMT_2LVL 1

/* SMMU_CMDQ_BASE, SMMU_EVENTQ_BASE, SMMU_PRIQ_BASE.  The allocation hint is
 * bit 62 in all three: read-allocate for the Command queue (the SMMU reads it),
 * write-allocate for the Event and PRI queues (the SMMU writes them). */
#define SMMU_Q_BASE_LOG2SIZE GENMASK(4, 0)
#define SMMU_Q_BASE_ADDR GENMASK(55, 5)
#define SMMU_CMDQ_BASE_RA BIT(62)
#define SMMU_EVENTQ_BASE_WA BIT(62)
#define SMMU_PRIQ_BASE_WA BIT(62)

/* SMMU_*Q_PROD / SMMU_*Q_CONS (3.5; 6.3 SMMU_CMDQ_CONS, SMMU_PRIQ_PROD).  WR/RD
 * hold the index in bits [LOG2SIZE-1:0] and the wrap flag in bit [LOG2SIZE]. */
#define SMMU_Q_PROD_WR GENMASK(19, 0)
#define SMMU_Q_PROD_OVFLG BIT(31)          /* Event/PRI queue overflowed */
#define SMMU_Q_CONS_RD GENMASK(19, 0)
#define SMMU_Q_CONS_OVACKFLG BIT(31)
#define SMMU_CMDQ_CONS_ERR GENMASK(30, 24) /* why the command at RD failed */
#define SMMU_CERROR_NONE 0
#define SMMU_CERROR_ILL 1                  /* illegal command */
#define SMMU_CERROR_ABT 2                  /* abort while reading the command */
#define SMMU_CERROR_ATC_INV_SYNC 3         /* ATC invalidation timeout at CMD_SYNC */

/* Entry sizes (3.5, 4.1, 7.3). */
#define SMMU_CMD_SIZE 16
#define SMMU_EVT_SIZE 32
#define SMMU_PRI_SIZE 16

/* ------------------------------------------------------------------------ */
/* Level 1 Stream Table Descriptor (5.1)                                     */
/* ------------------------------------------------------------------------ */

#define SMMU_L1STD_SIZE 8
#define SMMU_L1STD_SPAN GENMASK(4, 0)      /* L2 array holds 2^(Span-1) STEs; 0 = invalid */
#define SMMU_L1STD_L2PTR GENMASK(55, 6)

/* ------------------------------------------------------------------------ */
/* Stream Table Entry (5.2), 64 bytes                                         */
/* ------------------------------------------------------------------------ */

#define SMMU_STE_SIZE 64
#define SMMU_STE_DWORDS 8

/* dw[0] = STE[63:0] */
#define SMMU_STE0_V BIT(0)
#define SMMU_STE0_CONFIG GENMASK(3, 1)
#define SMMU_STE0_CONFIG_ABORT 0           /* 0b000: abort, no event recorded */
#define SMMU_STE0_CONFIG_BYPASS 4          /* 0b100: both stages bypass */
#define SMMU_STE0_CONFIG_S1_TRANS 5        /* 0b101: stage 1 only */
#define SMMU_STE0_CONFIG_S2_TRANS 6        /* 0b110: stage 2 only */
#define SMMU_STE0_CONFIG_NESTED 7          /* 0b111: stage 1 then stage 2 */
#define SMMU_STE0_S1FMT GENMASK(5, 4)
#define SMMU_STE0_S1FMT_LINEAR 0
#define SMMU_STE0_S1CONTEXTPTR GENMASK(55, 6)
#define SMMU_STE0_S1CDMAX GENMASK(63, 59)

/* dw[1] = STE[127:64] */
#define SMMU_STE1_S1DSS GENMASK(1, 0)      /* STE[65:64] */
#define SMMU_STE1_S1CIR GENMASK(3, 2)      /* CD fetch inner cacheability */
#define SMMU_STE1_S1COR GENMASK(5, 4)      /* CD fetch outer cacheability */
#define SMMU_STE1_S1CSH GENMASK(7, 6)      /* CD fetch shareability */
#define SMMU_STE_S1C_NC 0                  /* S1CIR/S1COR values */
#define SMMU_STE_S1C_WBRA 1
#define SMMU_STE_S1C_WTRA 2
#define SMMU_STE_S1C_WB 3
#define SMMU_STE1_MEV BIT(19)              /* STE[83]: merge events */
#define SMMU_STE1_S2FWB BIT(25)            /* STE[89] */
#define SMMU_STE1_S1STALLD BIT(27)         /* STE[91] */
#define SMMU_STE1_EATS GENMASK(29, 28)     /* STE[93:92] */
#define SMMU_STE1_STRW GENMASK(31, 30)     /* STE[95:94]: StreamWorld */
#define SMMU_STE1_STRW_NSEL1 0
#define SMMU_STE1_STRW_EL2 2
#define SMMU_STE1_MEMATTR GENMASK(35, 32)  /* STE[99:96] */
#define SMMU_STE1_MTCFG BIT(36)            /* STE[100] */
#define SMMU_STE1_ALLOCCFG GENMASK(40, 37) /* STE[104:101] */
#define SMMU_STE1_SHCFG GENMASK(45, 44)    /* STE[109:108] */
#define SMMU_STE1_SHCFG_NSH 0
#define SMMU_STE1_SHCFG_INCOMING 1
#define SMMU_STE1_SHCFG_OSH 2
#define SMMU_STE1_SHCFG_ISH 3
#define SMMU_STE1_NSCFG GENMASK(47, 46)    /* STE[111:110] */
#define SMMU_STE1_PRIVCFG GENMASK(49, 48)  /* STE[113:112] */
#define SMMU_STE1_PRIVCFG_INCOMING 0
#define SMMU_STE1_PRIVCFG_UNPRIV 2
#define SMMU_STE1_PRIVCFG_PRIV 3
#define SMMU_STE1_INSTCFG GENMASK(51, 50)  /* STE[115:114] */
#define SMMU_STE1_INSTCFG_INCOMING 0
#define SMMU_STE1_INSTCFG_DATA 2
#define SMMU_STE1_INSTCFG_INSTR 3

/* dw[2] = STE[191:128].  S2T0SZ..S2PS have VTCR_EL2's layout, 32 bits up. */
#define SMMU_STE2_S2VMID GENMASK(15, 0)    /* STE[143:128] */
#define SMMU_STE2_S2T0SZ GENMASK(37, 32)   /* STE[165:160] */
#define SMMU_STE2_S2SL0 GENMASK(39, 38)    /* STE[167:166] */
#define SMMU_STE2_S2IR0 GENMASK(41, 40)    /* STE[169:168] */
#define SMMU_STE2_S2OR0 GENMASK(43, 42)    /* STE[171:170] */
#define SMMU_STE2_S2SH0 GENMASK(45, 44)    /* STE[173:172] */
#define SMMU_STE2_S2TG GENMASK(47, 46)     /* STE[175:174]: 0 4K, 1 64K, 2 16K */
#define SMMU_STE2_S2PS GENMASK(50, 48)     /* STE[178:176] */
#define SMMU_STE2_S2AA64 BIT(51)           /* STE[179]: VMSAv8-64 tables */
#define SMMU_STE2_S2ENDI BIT(52)           /* STE[180]: big-endian tables */
#define SMMU_STE2_S2AFFD BIT(53)           /* STE[181]: no Access flag faults */
#define SMMU_STE2_S2PTW BIT(54)            /* STE[182]: protected table walk */
#define SMMU_STE2_S2HD BIT(55)             /* STE[183] */
#define SMMU_STE2_S2HA BIT(56)             /* STE[184] */
#define SMMU_STE2_S2S BIT(57)              /* STE[185]: stall on fault */
#define SMMU_STE2_S2R BIT(58)              /* STE[186]: record faults */

/* dw[3] = STE[255:192] */
#define SMMU_STE3_S2TTB GENMASK(51, 4)     /* STE[243:196]: table base PA[51:4] */

/* ------------------------------------------------------------------------ */
/* Context Descriptor (5.4), 64 bytes                                         */
/* ------------------------------------------------------------------------ */

#define SMMU_CD_SIZE 64
#define SMMU_CD_DWORDS 8

/* dw[0] = CD[63:0]: TCR-like fields for TTB0/TTB1, then IPS and flags. */
#define SMMU_CD0_T0SZ GENMASK(5, 0)
#define SMMU_CD0_TG0 GENMASK(7, 6)         /* 0 4K, 1 64K, 2 16K */
#define SMMU_CD0_TG0_4K 0
#define SMMU_CD0_IR0 GENMASK(9, 8)
#define SMMU_CD0_OR0 GENMASK(11, 10)
#define SMMU_CD_RGN_NC 0                   /* IR0/OR0 values */
#define SMMU_CD_RGN_WBWA 1
#define SMMU_CD_RGN_WT 2
#define SMMU_CD_RGN_WB 3
#define SMMU_CD0_SH0 GENMASK(13, 12)
#define SMMU_CD0_EPD0 BIT(14)
#define SMMU_CD0_ENDI BIT(15)
#define SMMU_CD0_T1SZ GENMASK(21, 16)
#define SMMU_CD0_TG1 GENMASK(23, 22)
#define SMMU_CD0_IR1 GENMASK(25, 24)
#define SMMU_CD0_OR1 GENMASK(27, 26)
#define SMMU_CD0_SH1 GENMASK(29, 28)
#define SMMU_CD0_EPD1 BIT(30)
#define SMMU_CD0_V BIT(31)
#define SMMU_CD0_IPS GENMASK(34, 32)
#define SMMU_CD0_AFFD BIT(35)
#define SMMU_CD0_WXN BIT(36)
#define SMMU_CD0_UWXN BIT(37)
#define SMMU_CD0_TBI0 BIT(38)
#define SMMU_CD0_TBI1 BIT(39)
#define SMMU_CD0_PAN BIT(40)
#define SMMU_CD0_AA64 BIT(41)
#define SMMU_CD0_HD BIT(42)
#define SMMU_CD0_HA BIT(43)
#define SMMU_CD0_S BIT(44)                 /* stall on fault (5.5) */
#define SMMU_CD0_R BIT(45)                 /* record faults */
#define SMMU_CD0_A BIT(46)                 /* abort (not RAZ/WI) on fault */
#define SMMU_CD0_ASET BIT(47)              /* ASID not shared with the PEs */
#define SMMU_CD0_ASID GENMASK(63, 48)

/* dw[1] = CD[127:64] */
#define SMMU_CD1_TTB0 GENMASK(51, 4)       /* CD[115:68]: TTB0 PA[51:4] */
/* dw[2] = CD[191:128] */
#define SMMU_CD2_TTB1 GENMASK(51, 4)
/* dw[3] = CD[255:192] = MAIR1:MAIR0, i.e. a whole MAIR_ELx value */
#define SMMU_CD3_MAIR GENMASK(63, 0)

/* ------------------------------------------------------------------------ */
/* Commands (chapter 4), 16 bytes                                            */
/* ------------------------------------------------------------------------ */

/* Opcodes (4.1.x command lists; the values agree in Linux, FreeBSD and QEMU). */
#define SMMU_CMD_PREFETCH_CONFIG 0x01
#define SMMU_CMD_PREFETCH_ADDR 0x02
#define SMMU_CMD_CFGI_STE 0x03
#define SMMU_CMD_CFGI_STE_RANGE 0x04
#define SMMU_CMD_CFGI_ALL 0x04             /* = CFGI_STE_RANGE with Range 31 (4.3.6) */
#define SMMU_CMD_CFGI_CD 0x05
#define SMMU_CMD_CFGI_CD_ALL 0x06
#define SMMU_CMD_TLBI_NH_ALL 0x10
#define SMMU_CMD_TLBI_NH_ASID 0x11
#define SMMU_CMD_TLBI_NH_VA 0x12
#define SMMU_CMD_TLBI_NH_VAA 0x13
#define SMMU_CMD_TLBI_EL3_ALL 0x18
#define SMMU_CMD_TLBI_EL3_VA 0x1a
#define SMMU_CMD_TLBI_EL2_ALL 0x20
#define SMMU_CMD_TLBI_EL2_ASID 0x21
#define SMMU_CMD_TLBI_EL2_VA 0x22
#define SMMU_CMD_TLBI_EL2_VAA 0x23
#define SMMU_CMD_TLBI_S12_VMALL 0x28
#define SMMU_CMD_TLBI_S2_IPA 0x2a
#define SMMU_CMD_TLBI_NSNH_ALL 0x30
#define SMMU_CMD_ATC_INV 0x40
#define SMMU_CMD_PRI_RESP 0x41
#define SMMU_CMD_RESUME 0x44
#define SMMU_CMD_STALL_TERM 0x45
#define SMMU_CMD_SYNC 0x46

/* Fields.  The spec's command layouts are figures; positions from Linux's
 * arm-smmu-v3.h, FreeBSD's smmureg.h and QEMU's decoder, which agree. */
#define SMMU_CMD0_OPCODE GENMASK(7, 0)
#define SMMU_CMD0_SSEC BIT(10)             /* Secure stream (Secure queue only) */
#define SMMU_CMD0_SSV BIT(11)
#define SMMU_CMD0_SSID GENMASK(31, 12)     /* CFGI_CD */
#define SMMU_CMD0_SID GENMASK(63, 32)      /* PREFETCH, CFGI_* */
#define SMMU_CMD1_LEAF BIT(0)              /* CFGI_STE, CFGI_CD, TLBI_*_VA/IPA */
#define SMMU_CMD1_RANGE GENMASK(4, 0)      /* CFGI_STE_RANGE: 2^(Range+1) SIDs */
#define SMMU_CMD1_RANGE_ALL 31
/* TLBI_* */
#define SMMU_CMD0_TLBI_NUM GENMASK(16, 12)
#define SMMU_CMD0_TLBI_SCALE GENMASK(24, 20)
#define SMMU_CMD0_VMID GENMASK(47, 32)
#define SMMU_CMD0_ASID GENMASK(63, 48)
#define SMMU_CMD1_TLBI_TTL GENMASK(9, 8)
#define SMMU_CMD1_TLBI_TG GENMASK(11, 10)
#define SMMU_TLBI_TG_4K 1                  /* TG: range form, 4 KiB granule (0: no range) */
#define SMMU_TLBI_NUM_MAX 31               /* NUM is 5 bits: up to 32 units */
#define SMMU_TLBI_SCALE_MAX 31             /* SCALE is 5 bits: units of 2^SCALE pages */
#define SMMU_CMD1_VA GENMASK(63, 12)
#define SMMU_CMD1_IPA GENMASK(51, 12)
/* CMD_SYNC (4.7.3) */
#define SMMU_CMD_SYNC0_CS GENMASK(13, 12)
#define SMMU_CMD_SYNC_CS_NONE 0            /* completion visible in CMDQ_CONS only */
#define SMMU_CMD_SYNC_CS_IRQ 1             /* signal with an MSI write */
#define SMMU_CMD_SYNC_CS_SEV 2             /* signal with a WFE wake-up event */
#define SMMU_CMD_SYNC0_MSH GENMASK(23, 22)
#define SMMU_CMD_SYNC0_MSIATTR GENMASK(27, 24)
#define SMMU_CMD_SYNC0_MSIDATA GENMASK(63, 32)
#define SMMU_CMD_SYNC1_MSIADDR GENMASK(51, 2)

/* ------------------------------------------------------------------------ */
/* Event records (7.3), 32 bytes                                             */
/* ------------------------------------------------------------------------ */

/* Event numbers (7.3.2-7.3.21). */
#define SMMU_EVT_F_UUT 0x01
#define SMMU_EVT_C_BAD_STREAMID 0x02
#define SMMU_EVT_F_STE_FETCH 0x03
#define SMMU_EVT_C_BAD_STE 0x04
#define SMMU_EVT_F_BAD_ATS_TREQ 0x05
#define SMMU_EVT_F_STREAM_DISABLED 0x06
#define SMMU_EVT_F_TRANSL_FORBIDDEN 0x07
#define SMMU_EVT_C_BAD_SUBSTREAMID 0x08
#define SMMU_EVT_F_CD_FETCH 0x09
#define SMMU_EVT_C_BAD_CD 0x0a
#define SMMU_EVT_F_WALK_EABT 0x0b
#define SMMU_EVT_F_TRANSLATION 0x10
#define SMMU_EVT_F_ADDR_SIZE 0x11
#define SMMU_EVT_F_ACCESS 0x12
#define SMMU_EVT_F_PERMISSION 0x13
#define SMMU_EVT_F_TLB_CONFLICT 0x20
#define SMMU_EVT_F_CFG_CONFLICT 0x21
#define SMMU_EVT_E_PAGE_REQUEST 0x24
#define SMMU_EVT_F_VMS_FETCH 0x25
#define SMMU_EVT_IMPDEF_FIRST 0xe0         /* 0xe0-0xef: IMPLEMENTATION DEFINED */
#define SMMU_EVT_IMPDEF_LAST 0xef

/* Fields common to all records (7.3: bits [7:0], [11], [31:12], [63:32]). */
#define SMMU_EVT0_TYPE GENMASK(7, 0)
#define SMMU_EVT0_SSV BIT(11)
#define SMMU_EVT0_SSID GENMASK(31, 12)
#define SMMU_EVT0_SID GENMASK(63, 32)
/* Translation-related faults (7.3.12-7.3.16) and F_UUT: dw[1] = EVT[127:64].
 * PnU/InD/RnW are EVT[97]/[98]/[99] (read in the F_UUT and F_TRANSL_FORBIDDEN
 * layouts); STAG, Stall, S2 and CLASS from Linux and QEMU. */
#define SMMU_EVT1_STAG GENMASK(15, 0)
#define SMMU_EVT1_STALL BIT(31)
#define SMMU_EVT1_PNU BIT(33)              /* 1: privileged */
#define SMMU_EVT1_IND BIT(34)              /* 1: instruction */
#define SMMU_EVT1_RNW BIT(35)              /* 1: read */
#define SMMU_EVT1_NSIPA BIT(36)            /* unverified (EVT[100]) */
#define SMMU_EVT1_S2 BIT(39)               /* 1: stage 2 fault */
#define SMMU_EVT1_CLASS GENMASK(41, 40)
#define SMMU_EVT_CLASS_CD 0                /* fetching a CD */
#define SMMU_EVT_CLASS_TT 1                /* walking stage 1 tables */
#define SMMU_EVT_CLASS_IN 2                /* translating the input address */
#define SMMU_EVT1_TTRNW BIT(44)            /* F_PERMISSION with CLASS TT */
/* dw[2] = EVT[191:128]: InputAddr[63:0]. */
#define SMMU_EVT2_INPUTADDR GENMASK(63, 0)
/* dw[3] = EVT[255:192]: the IPA of a stage 2 fault, or a fetch address. */
#define SMMU_EVT3_IPA GENMASK(51, 12)
/* FetchAddr: EVT[247:195] in the F_STE_FETCH and F_VMS_FETCH layouts (7.3.4,
 * 7.3.20); F_WALK_EABT per Linux; F_CD_FETCH's layout is a figure: unverified. */
#define SMMU_EVT3_FETCHADDR GENMASK(51, 3)

/* ------------------------------------------------------------------------ */
/* Pure encoders and decoders (drivers/smmuv3_format.c)                      */
/* ------------------------------------------------------------------------ */

/* What IDR0/IDR1/IDR5 say (6.3 SMMU_IDR0, SMMU_IDR1, SMMU_IDR5). */
struct smmu_features {
    bool s1, s2, coherent, msi, sev, vmid16, asid16, two_level_strtab, hyp, ats, pri, btm;
    bool aarch64_tables;     /* TTF includes AArch64 */
    bool gran4k;
    unsigned ttendian;       /* raw field */
    unsigned sid_bits, ssid_bits, cmdq_log2, eventq_log2, priq_log2;
    unsigned oas_field, oas_bits; /* IDR5.OAS and its size in bits (32,36,40,42,44,48,52) */
    bool attr_types_ovr;     /* IDR1.ATTR_TYPES_OVR: STE.SHCFG is honoured */
    bool attr_perms_ovr;     /* IDR1.ATTR_PERMS_OVR: STE.PRIVCFG/INSTCFG are honoured */
};

/* Fill *f from the three ID registers.  -EINVAL when a field holds a value
 * granite cannot use: OAS 0b111 (56 bits, SMMUv3.4 VMSAv9-128 only),
 * SIDSIZE > 32, SSIDSIZE > 20, or a queue size > 19.  *f is filled either way. */
int smmu_decode_features(u32 idr0, u32 idr1, u32 idr5, struct smmu_features *f);

/* The OAS field's size in bits, or 0 for a value granite does not accept. */
unsigned smmu_oas_bits(unsigned oas_field);

/* A linear table up to 2^8 STEs (16 KiB); beyond that, 2-level if supported. */
#define SMMU_LINEAR_MAX_SID_BITS 8
/* Each L2 table covers 2^8 StreamIDs (16 KiB of STEs, one PCI bus): SPLIT
 * has three encodings, 6, 8 and 10 (6.3 SMMU_STRTAB_BASE_CFG); 8 is the one
 * the spec's 2-level example uses, and Linux's choice too. */
#define SMMU_STRTAB_SPLIT 8

struct smmu_strtab_geometry {
    bool two_level;
    unsigned split;       /* 2-level: SIDs per L2 table = 2^split (SMMU_STRTAB_SPLIT); linear: 0 */
    unsigned log2size;    /* STRTAB_BASE_CFG.LOG2SIZE = sid_bits */
    u64 l1_entries;       /* 2-level: number of L1 descriptors; linear: 0 */
    u64 table_bytes;      /* linear: the STE array; 2-level: the L1 descriptor array */
};
/* Linear when the whole table is small (sid_bits <= SMMU_LINEAR_MAX_SID_BITS)
 * or 2-level is unsupported; 2-level (SPLIT=8) otherwise.  The table must be
 * aligned to table_bytes (6.3 SMMU_STRTAB_BASE: the SMMU ignores low bits). */
void smmu_strtab_geometry(const struct smmu_features *f, struct smmu_strtab_geometry *g);
/* SMMU_STRTAB_BASE_CFG for that geometry: FMT, SPLIT, LOG2SIZE. */
u32 smmu_strtab_base_cfg(const struct smmu_strtab_geometry *g);
/* SMMU_STRTAB_BASE for a table at table_pa, with RA (read-allocate). */
u64 smmu_strtab_base(pa_t table);
/* An L1STD (5.1) pointing at an L2 array of 2^split STEs: Span = split + 1. */
u64 smmu_l1_desc(pa_t l2, unsigned split);
/* SMMU_{CMDQ,EVENTQ,PRIQ}_BASE: ADDR, LOG2SIZE and the bit-62 allocation hint
 * (write_allocate for the Event/PRI queue: WA; false for the Command queue: RA;
 * both are bit 62, the flag documents which one is meant).  The queue must be
 * aligned to its size (at least 32 bytes). */
u64 smmu_queue_base(pa_t queue, unsigned log2size, bool write_allocate /* eventq: WA, cmdq: RA */);

/* Queue indices (3.5): an index is [log2size-1:0] plus a wrap bit at
 * [log2size].  log2size <= 19.  Bits above the wrap bit (OVFLG, ERR) are
 * ignored by these functions. */
/* Full: same slot, different wrap bits. */
bool smmu_queue_full(u32 prod, u32 cons, unsigned log2size);
/* Empty: same slot, same wrap bit. */
bool smmu_queue_empty(u32 prod, u32 cons, unsigned log2size);
/* idx + 1, wrapping the slot and toggling the wrap bit; keeps nothing else. */
u32 smmu_queue_next(u32 idx, unsigned log2size);
/* The slot (entry number) an index points at. */
unsigned smmu_queue_slot(u32 idx, unsigned log2size);

struct smmu_ste { u64 dw[8]; };
/* V=1, Config=abort: traffic is terminated, no event recorded (5.2 Config). */
void smmu_ste_abort(struct smmu_ste *ste);
/* V=1, Config=bypass, SHCFG=use incoming. */
void smmu_ste_bypass(struct smmu_ste *ste);
struct smmu_s2_config {
    u16 vmid;
    u64 vtcr;          /* a VTCR_EL2 value: T0SZ[5:0] SL0[7:6] IRGN0[9:8] ORGN0[11:10] SH0[13:12] TG0[15:14] PS[18:16] */
    unsigned ps_field; /* S2PS to use (the caller takes min(VTCR.PS, SMMU OAS)) */
    pa_t ttb;          /* stage-2 table base */
};
/* V=1, Config=S2 translate; S2VMID, the S2 translation parameters (S2T0SZ,
 * S2SL0, S2IR0, S2OR0, S2SH0, S2TG) taken from vtcr, S2PS=ps_field, S2AA64=1,
 * S2PTW=1, S2R=1 (record faults), S2TTB; SHCFG=use incoming.  S2AFFD=0: the
 * stage-2 leaves must have AF set or every access faults with F_ACCESS. */
void smmu_ste_s2(struct smmu_ste *ste, const struct smmu_s2_config *c);
/* V=1, Config=S1 translate, S1Fmt=linear, S1ContextPtr=cd, S1CDMax=0,
 * STRW=NS-EL1, PRIVCFG=privileged, SHCFG=use incoming; CDs are fetched
 * write-back read-allocate, inner shareable (S1CIR/S1COR/S1CSH). */
void smmu_ste_s1(struct smmu_ste *ste, pa_t cd);
/* Clear the STE override fields this SMMU treats as RES0: SHCFG (and MTCFG,
 * MemAttr, ALLOCCFG) without IDR1.ATTR_TYPES_OVR, PRIVCFG/INSTCFG/NSCFG
 * without IDR1.ATTR_PERMS_OVR.  Call after the smmu_ste_* encoders. */
void smmu_ste_drop_unsupported_overrides(struct smmu_ste *ste, const struct smmu_features *f);

struct smmu_cd { u64 dw[8]; };
struct smmu_s1_config { u16 asid; pa_t ttb0; unsigned t0sz; unsigned ips_field; u64 mair; };
/* V=1, AA64=1, TG0=4K, IR0/OR0=WBWA, SH0=inner, EPD1=1, R=1 (record faults),
 * A=1, ASET=1 (not shared with CPU ASIDs), ENDI=0 (little endian), T0SZ, IPS,
 * ASID, TTB0, MAIR0 (dw[3] = the whole MAIR value).  AFFD=0: leaves need AF. */
void smmu_cd_s1(struct smmu_cd *cd, const struct smmu_s1_config *c);

struct smmu_cmd { u64 dw[2]; };
/* CMD_CFGI_STE (4.3.1): leaf=false also drops a cached L1STD. */
void smmu_cmd_cfgi_ste(struct smmu_cmd *c, u32 sid, bool leaf);
/* CMD_CFGI_ALL (4.3.6): CFGI_STE_RANGE with Range=31. */
void smmu_cmd_cfgi_all(struct smmu_cmd *c);
/* CMD_TLBI_S12_VMALL (4.4): every stage 1 and 2 entry of a VMID. */
void smmu_cmd_tlbi_s12_vmall(struct smmu_cmd *c, u16 vmid);
/* CMD_TLBI_S2_IPA (4.4): the stage-2 entries for one page at `at` (no range,
 * no TTL hint).  Stage 1+2 combined entries need a TLBI_NH_* too.  granite's
 * stage-2 streams have no stage 1, so the stage-2 input is the device's
 * address itself: an iova_t. */
void smmu_cmd_tlbi_s2_ipa(struct smmu_cmd *c, u16 vmid, iova_t at, bool leaf);
/* Range form (needs SMMU_IDR3.RIL): fills the first command covering `pages`
 * pages from `at`, returns how many pages that command covers. */
u64 smmu_cmd_tlbi_s2_ipa_range(struct smmu_cmd *c, u16 vmid, iova_t at, u64 pages);
/* How many range-form commands cover `pages` pages. */
unsigned smmu_tlbi_range_cmds(u64 pages);
/* CMD_TLBI_NH_ASID (4.4): stage 1 entries of one ASID in one VMID. */
void smmu_cmd_tlbi_nh_asid(struct smmu_cmd *c, u16 vmid, u16 asid);
/* CMD_TLBI_NH_ALL (4.4): all stage 1 entries of one VMID. */
void smmu_cmd_tlbi_nh_all(struct smmu_cmd *c, u16 vmid);
/* CMD_TLBI_EL2_ALL (4.4): all EL2 StreamWorld entries. */
void smmu_cmd_tlbi_el2_all(struct smmu_cmd *c);
/* CMD_TLBI_NSNH_ALL (4.4): all Non-secure non-EL2 entries, every VMID. */
void smmu_cmd_tlbi_nsnh_all(struct smmu_cmd *c);
/* CMD_SYNC (4.7.3) with completion signal cs; no MSI (MSIAddress = 0). */
void smmu_cmd_sync(struct smmu_cmd *c, unsigned cs /* SMMU_CMD_SYNC_CS_NONE/_IRQ/_SEV */);
/* The opcode of a command. */
unsigned smmu_cmd_opcode(const struct smmu_cmd *c);
/* "CMD_SYNC", ..., "?".  0x04 is named "CMD_CFGI_ALL" (see SMMU_CMD_CFGI_ALL). */
const char *smmu_cmd_name(unsigned opcode);
/* CMDQ_CONS.ERR: "CERROR_NONE", "CERROR_ILL", "CERROR_ABT", "CERROR_ATC_INV_SYNC", "?" */
const char *smmu_cmd_error_name(unsigned cerror);

struct smmu_event {
    unsigned type;      /* event number */
    u32 sid;
    bool ssv; u32 ssid; /* ssid valid when ssv (always for C_BAD_SUBSTREAMID, 7.3.9); else 0 */
    bool has_addr;      /* a translation-class fault (F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION, F_WALK_EABT): the fields below are valid */
    iova_t iova;        /* InputAddr */
    ipa_t ipa;          /* IPA field (valid for stage-2 faults) */
    bool read;          /* RnW */
    bool stage2;        /* S2 */
    bool instr, priv;   /* InD, PnU */
    unsigned class_;    /* CLASS: 0 CD, 1 TTD, 2 IN */
    pa_t fetch_addr;    /* FetchAddr of F_STE_FETCH, F_CD_FETCH, F_VMS_FETCH, F_WALK_EABT; else 0 */
};
/* Decode a 4-dword event record (7.3).  ipa is set only for F_TRANSLATION,
 * F_ADDR_SIZE, F_ACCESS and F_PERMISSION with S2 == 1; 0 otherwise. */
void smmu_event_decode(const u64 rec[4], struct smmu_event *e);
/* "F_TRANSLATION", ..., "IMPDEF_EVENT" for 0xe0-0xef, "?" otherwise. */
const char *smmu_event_name(unsigned type);
/* Write into buf the names of the GERROR bits set in `active` ("CMDQ_ERR EVENTQ_ABT_ERR"), or "none".
 * active = GERROR ^ GERRORN.  Truncated to len - 1 characters; always terminated if len > 0. */
void smmu_gerror_names(u32 active, char *buf, size_t len);

#endif
