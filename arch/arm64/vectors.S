/*
 * vectors.S — EL2's exception vector table, guest entry and guest exit.
 *
 * VBAR_EL2 points at a 2 KiB table of sixteen 128-byte slots (Arm ARM D1.3.1):
 * {current EL with SP_EL0, current EL with SP_ELx, lower EL AArch64, lower EL
 * AArch32} x {synchronous, IRQ, FIQ, SError}.
 *
 * A guest runs with SP_EL2 holding this CPU's hypervisor stack top, so a trap
 * from the guest lands on a clean stack.  TPIDR_EL2 points at this CPU's
 * struct pcpu, whose first field is the running vCPU's register block.
 *
 * FP/SIMD belongs to guests.  granite's EL2 code is built -mgeneral-regs-only,
 * and while EL2 runs after boot CPTR_EL2.TFP is set, so a stray FP instruction
 * at EL2 traps loudly instead of silently corrupting a guest's registers.  It is
 * cleared only on the way into a guest.
 */
#include "asm_offsets.h"

/* Exception taken at EL2 itself: always a bug in granite. */
.macro el2_unexpected kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       el2_save_and_report
.endm

/* IRQ taken at EL2: only the idle loop unmasks them.  Save what a C call may
 * clobber, handle, return. */
.macro el2_irq_slot
    .balign 0x80
    sub     sp, sp, #(24 * 8)
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    b       el2_irq_entry
.endm

/* Exception taken from a guest (lower EL). */
.macro guest_exit kind
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    mov     x1, #\kind
    b       guest_save_and_handle
.endm

    .section .text
    .balign 0x800
    .global el2_vectors
el2_vectors:
    el2_unexpected 0    /* EL2t sync */
    el2_unexpected 1    /* EL2t irq */
    el2_unexpected 2    /* EL2t fiq */
    el2_unexpected 3    /* EL2t serror */
    el2_unexpected 4    /* EL2h sync */
    el2_irq_slot        /* EL2h irq: the idle loop waits with IRQs unmasked */
    el2_unexpected 6    /* EL2h fiq */
    el2_unexpected 7    /* EL2h serror */
    guest_exit 8        /* lower AArch64 sync */
    guest_exit 9        /* lower AArch64 irq */
    guest_exit 10       /* lower AArch64 fiq */
    guest_exit 11       /* lower AArch64 serror */
    guest_exit 12       /* lower AArch32 sync */
    guest_exit 13       /* lower AArch32 irq */
    guest_exit 14       /* lower AArch32 fiq */
    guest_exit 15       /* lower AArch32 serror */

el2_irq_entry:
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    mrs     x0, elr_el2
    mrs     x1, spsr_el2
    stp     x30, x0, [sp, #160]
    str     x1, [sp, #176]
    bl      el2_irq                     /* arch/arm64/irq.c */
    ldr     x1, [sp, #176]
    ldp     x30, x0, [sp, #160]
    msr     elr_el2, x0
    msr     spsr_el2, x1
    ldp     x18, x29, [sp, #144]
    ldp     x16, x17, [sp, #128]
    ldp     x14, x15, [sp, #112]
    ldp     x12, x13, [sp, #96]
    ldp     x10, x11, [sp, #80]
    ldp     x8, x9, [sp, #64]
    ldp     x6, x7, [sp, #48]
    ldp     x4, x5, [sp, #32]
    ldp     x2, x3, [sp, #16]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #(24 * 8)
    eret

el2_save_and_report:
    /* x0 = kind; the original x0/x1 are already at [sp]. */
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    add     x1, sp, #FRAME_SIZE
    stp     x30, x1, [sp, #240]         /* x30, SP before the exception */
    mrs     x1, elr_el2
    mrs     x2, spsr_el2
    stp     x1, x2, [sp, #FRAME_ELR]
    mrs     x1, esr_el2
    mrs     x2, far_el2
    stp     x1, x2, [sp, #FRAME_ESR]
    mov     x1, sp
    bl      el2_exception               /* arch/arm64/traps.c: reports, stops the CPU */
    b       cpu_stop

guest_save_and_handle:
    /* x1 = kind; guest x0/x1 are at [sp]. */
    mrs     x0, tpidr_el2
    ldr     x0, [x0, #PCPU_GUEST_REGS]
    stp     x2, x3, [x0, #16]
    stp     x4, x5, [x0, #32]
    stp     x6, x7, [x0, #48]
    stp     x8, x9, [x0, #64]
    stp     x10, x11, [x0, #80]
    stp     x12, x13, [x0, #96]
    stp     x14, x15, [x0, #112]
    stp     x16, x17, [x0, #128]
    stp     x18, x19, [x0, #144]
    stp     x20, x21, [x0, #160]
    stp     x22, x23, [x0, #176]
    stp     x24, x25, [x0, #192]
    stp     x26, x27, [x0, #208]
    stp     x28, x29, [x0, #224]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x30, x2, [x0, #REGS_X30]
    str     x3, [x0, #REGS_SPSR]
    mrs     x2, cptr_el2
    orr     x2, x2, #(1 << CPTR_EL2_TFP_BIT)
    msr     cptr_el2, x2
    isb
    bl      guest_trap                  /* arch/arm64/traps.c */
    /* fall through: resume whichever vCPU TPIDR_EL2 now names */

/*
 * guest_resume: enter (or re-enter) the vCPU whose registers the pcpu names.
 * Resets SP_EL2 to the top of this CPU's stack: nothing on it survives.
 */
    .global guest_resume
guest_resume:
    mrs     x0, tpidr_el2
    ldr     x1, [x0, #PCPU_STACK_TOP]
    mov     sp, x1
    ldr     x0, [x0, #PCPU_GUEST_REGS]
    ldp     x2, x3, [x0, #REGS_ELR]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    mrs     x2, cptr_el2
    bic     x2, x2, #(1 << CPTR_EL2_TFP_BIT)
    msr     cptr_el2, x2
    ldp     x2, x3, [x0, #16]
    ldp     x4, x5, [x0, #32]
    ldp     x6, x7, [x0, #48]
    ldp     x8, x9, [x0, #64]
    ldp     x10, x11, [x0, #80]
    ldp     x12, x13, [x0, #96]
    ldp     x14, x15, [x0, #112]
    ldp     x16, x17, [x0, #128]
    ldp     x18, x19, [x0, #144]
    ldp     x20, x21, [x0, #160]
    ldp     x22, x23, [x0, #176]
    ldp     x24, x25, [x0, #192]
    ldp     x26, x27, [x0, #208]
    ldp     x28, x29, [x0, #224]
    ldr     x30, [x0, #REGS_X30]
    ldp     x0, x1, [x0, #0]
    isb
    eret
    dsb     nsh                         /* no speculation past eret */
    isb
