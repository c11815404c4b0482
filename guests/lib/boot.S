/*
 * boot.S — a granite guest's first instructions (runs at EL1).
 *
 * Guests are arm64 Images too: header first, entered with the MMU off and the
 * DTB's address in x0.  Set up a stack, clear .bss, allow FP/SIMD at EL1
 * (CPACR_EL1.FPEN: picolibc uses it), install the exception vectors, then C.
 */
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
    ldr     x1, =__stack_top
    mov     sp, x1
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  mov     x1, #CPACR_FPEN_EL1_EL0
    msr     cpacr_el1, x1
    ldr     x1, =guest_vectors
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
    .balign 0x800
    .global guest_vectors
guest_vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 4
    vec 5
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
