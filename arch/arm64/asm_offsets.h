/*
 * asm_offsets.h — structure offsets shared by assembly and C.  The C side
 * checks each one with _Static_assert (arch/arm64/vcpu_context.c), so the two
 * cannot drift apart.
 */
#ifndef ARCH_ARM64_ASM_OFFSETS_H
#define ARCH_ARM64_ASM_OFFSETS_H

/* struct cpu_regs */
#define REGS_X0 0
#define REGS_X30 (30 * 8)
#define REGS_ELR (31 * 8)
#define REGS_SPSR (32 * 8)
#define REGS_SIZE (33 * 8)

/* struct pcpu (per physical CPU, pointed to by TPIDR_EL2) */
#define PCPU_GUEST_REGS 0
#define PCPU_STACK_TOP 8

/* struct trap_frame: an exception taken at EL2 itself */
#define FRAME_X0 0
#define FRAME_SP (31 * 8)
#define FRAME_ELR (32 * 8)
#define FRAME_SPSR (33 * 8)
#define FRAME_ESR (34 * 8)
#define FRAME_FAR (35 * 8)
#define FRAME_SIZE (36 * 8)

/* struct boot_mmu: what a secondary CPU loads to turn its MMU on */
#define BOOT_MMU_MAIR 0
#define BOOT_MMU_TCR 8
#define BOOT_MMU_TTBR 16
#define BOOT_MMU_SCTLR 24

#define STACK_SIZE (16 * 1024)
#define R_AARCH64_RELATIVE 1027
#define CURRENTEL_EL2 (2 << 2)
#define CPTR_EL2_TFP_BIT 10

#endif
