/*
 * boot.S — a granite guest's first instructions (runs at EL1).
 *
 * Guests are arm64 Images too: header first, entered with the MMU off and the
 * DTB's address in x0, at any 2 MiB-aligned address (a direct-mapped dom0
 * runs where its host RAM is).  So, like granite, a guest is linked at 0 as a
 * position-independent executable and applies its own R_AARCH64_RELATIVE
 * relocations first.  Then: a stack, .bss cleared, a thread pointer for
 * picolibc's thread-local errno, FP/SIMD allowed at EL1 (CPACR_EL1.FPEN:
 * picolibc uses it), the exception vectors, and C.
 */
#define R_AARCH64_RELATIVE 1027

.macro adr_l reg, sym
    adrp    \reg, \sym
    add     \reg, \reg, :lo12:\sym
.endm
#define CPACR_FPEN_EL1_EL0 (3 << 20)

    .section .text.head, "ax"
    .global _start
_start:
    b       entry
    .long   0
    .quad   0                       /* text_offset */
    .quad   __image_size
    .quad   0xa                     /* LE, 4K pages, anywhere */
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0

entry:
    mov     x19, x0
    adr     x20, _start             /* load address (linked at 0) */
    adr_l   x1, __rela_start
    adr_l   x2, __rela_end
5:  cmp     x1, x2
    b.hs    6f
    ldp     x3, x4, [x1], #16       /* r_offset, r_info */
    ldr     x5, [x1], #8            /* r_addend */
    cmp     w4, #R_AARCH64_RELATIVE
    b.ne    5b                      /* nothing else appears in a static PIE */
    add     x5, x5, x20
    str     x5, [x20, x3]
    b       5b
6:  adr_l   x1, __stack_top
    mov     sp, x1
    adr_l   x1, __bss_start
    adr_l   x2, __bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  adr_l   x1, __tls_blocks
    msr     tpidr_el0, x1
    mov     x1, #CPACR_FPEN_EL1_EL0
    msr     cpacr_el1, x1
    adr_l   x1, guest_vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    bl      guest_start
3:  wfi
    b       3b

/* Every exception is unexpected for these guests: report and stop. */
.macro vec kind
    .balign 0x80
    mov     x0, #\kind
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    b       guest_exception
.endm
/* IRQ at EL1 (SPx): save the caller-saved registers, call C, return. */
.macro irq_vec
    .balign 0x80
    sub     sp, sp, #(22 * 8)
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    b       irq_entry
.endm
    .balign 0x800
    .global guest_vectors
guest_vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 4
    irq_vec
    vec 6
    vec 7
    vec 8
    vec 9
    vec 10
    vec 11
    vec 12
    vec 13
    vec 14
    vec 15

irq_entry:
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x30, [sp, #144]
    mrs     x0, elr_el1
    mrs     x1, spsr_el1
    stp     x0, x1, [sp, #160]
    bl      guest_irq
    ldp     x0, x1, [sp, #160]
    msr     elr_el1, x0
    msr     spsr_el1, x1
    ldp     x18, x30, [sp, #144]
    ldp     x16, x17, [sp, #128]
    ldp     x14, x15, [sp, #112]
    ldp     x12, x13, [sp, #96]
    ldp     x10, x11, [sp, #80]
    ldp     x8, x9, [sp, #64]
    ldp     x6, x7, [sp, #48]
    ldp     x4, x5, [sp, #32]
    ldp     x2, x3, [sp, #16]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #(22 * 8)
    eret

/*
 * Secondary vCPUs start here (PSCI CPU_ON), MMU off, x0 = the vCPU number we
 * passed as context id.  Each gets 16 KiB of stack below __stack_top's 64 KiB.
 */
    .global secondary_start
secondary_start:
    mov     x19, x0
    adr_l   x1, __secondary_stacks
    add     x2, x19, #1
    lsl     x2, x2, #14
    add     sp, x1, x2
    adr_l   x1, __tls_blocks
    add     x1, x1, x2, lsr #6      /* 256 bytes of thread-local storage per vCPU */
    msr     tpidr_el0, x1
    mov     x1, #CPACR_FPEN_EL1_EL0
    msr     cpacr_el1, x1
    adr_l   x1, guest_vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    bl      guest_secondary_start
4:  wfi
    b       4b

    .global xen_hypercall
/* long xen_hypercall(nr, a0, a1, a2, a3, a4): the Xen ARM convention. */
xen_hypercall:
    mov     x16, x0
    mov     x0, x1
    mov     x1, x2
    mov     x2, x3
    mov     x3, x4
    mov     x4, x5
    hvc     #0xea1
    ret

    .global smccc_hvc
/* long smccc_hvc(fn, a1, a2, a3) through HVC #0 */
smccc_hvc:
    hvc     #0
    ret

    .global smccc_smc
smccc_smc:
    smc     #0
    ret

    .global hvc_with_imm_1234
/* An HVC no hypervisor defines: granite must answer, not crash. */
hvc_with_imm_1234:
    mov     x16, x0
    hvc     #0x1234
    ret
