/*
 * fpsimd.S — saving and restoring a vCPU's FP/SIMD registers (v0-v31, FPCR,
 * FPSR) when a physical CPU switches vCPUs.
 *
 * This is the only EL2 code, after boot, that names an FP/SIMD register: it
 * lives in .text.fpsimd, which tools/check-fpsimd allows, and it runs with
 * CPTR_EL2.TFP cleared for exactly its own duration.  It moves guest state
 * only; granite's own computation never uses these registers.
 */
    .arch armv8-a+fp+simd
    .section .text.fpsimd, "ax"

#define CPTR_EL2_TFP_BIT 10

.macro fp_access_on
    mrs     x2, cptr_el2
    bic     x2, x2, #(1 << CPTR_EL2_TFP_BIT)
    msr     cptr_el2, x2
    isb
.endm
.macro fp_access_off
    mrs     x2, cptr_el2
    orr     x2, x2, #(1 << CPTR_EL2_TFP_BIT)
    msr     cptr_el2, x2
    isb
.endm

/* void fpsimd_save(struct fpsimd_state *s) */
    .global fpsimd_save
fpsimd_save:
    fp_access_on
    stp     q0, q1, [x0, #0x000]
    stp     q2, q3, [x0, #0x020]
    stp     q4, q5, [x0, #0x040]
    stp     q6, q7, [x0, #0x060]
    stp     q8, q9, [x0, #0x080]
    stp     q10, q11, [x0, #0x0a0]
    stp     q12, q13, [x0, #0x0c0]
    stp     q14, q15, [x0, #0x0e0]
    stp     q16, q17, [x0, #0x100]
    stp     q18, q19, [x0, #0x120]
    stp     q20, q21, [x0, #0x140]
    stp     q22, q23, [x0, #0x160]
    stp     q24, q25, [x0, #0x180]
    stp     q26, q27, [x0, #0x1a0]
    stp     q28, q29, [x0, #0x1c0]
    stp     q30, q31, [x0, #0x1e0]
    mrs     x1, fpcr
    str     x1, [x0, #0x200]
    mrs     x1, fpsr
    str     x1, [x0, #0x208]
    fp_access_off
    ret

/* void fpsimd_restore(const struct fpsimd_state *s) */
    .global fpsimd_restore
fpsimd_restore:
    fp_access_on
    ldp     q0, q1, [x0, #0x000]
    ldp     q2, q3, [x0, #0x020]
    ldp     q4, q5, [x0, #0x040]
    ldp     q6, q7, [x0, #0x060]
    ldp     q8, q9, [x0, #0x080]
    ldp     q10, q11, [x0, #0x0a0]
    ldp     q12, q13, [x0, #0x0c0]
    ldp     q14, q15, [x0, #0x0e0]
    ldp     q16, q17, [x0, #0x100]
    ldp     q18, q19, [x0, #0x120]
    ldp     q20, q21, [x0, #0x140]
    ldp     q22, q23, [x0, #0x160]
    ldp     q24, q25, [x0, #0x180]
    ldp     q26, q27, [x0, #0x1a0]
    ldp     q28, q29, [x0, #0x1c0]
    ldp     q30, q31, [x0, #0x1e0]
    ldr     x1, [x0, #0x200]
    msr     fpcr, x1
    ldr     x1, [x0, #0x208]
    msr     fpsr, x1
    fp_access_off
    ret
