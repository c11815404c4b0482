/*
 * copy.S — granite's bulk memory copy and fill: arch_memcpy and arch_memset,
 * behind core/string.c's memcpy and memset.
 *
 * Why assembly: building a domain copies a whole kernel (a Debian arm64
 * Image is ~33 MB, plus its initrd) into the domain's RAM, and a byte loop
 * made that the largest part of boot.  Here the body moves 64 bytes per
 * iteration with four LDP/STP pairs of general registers.
 *
 * Assumptions and rules:
 *   - EL2 never touches FP/SIMD (project rule; tools/check-fpsimd): x
 *     registers only, so 16 bytes per LDP/STP, 64 per iteration.
 *   - Alignment: memcpy/memset may run before the MMU is on, when every data
 *     access is Device memory and an unaligned one faults (Arm ARM B2.5.2);
 *     granite builds with -mstrict-align for that reason.  So every access
 *     here is naturally aligned: bytes up to an 8-byte boundary of the
 *     destination, then 8-byte words (an LDP/STP of X registers is checked
 *     per 8-byte element).  When source and destination differ in their
 *     address bits [2:0] no alignment serves both and the copy goes byte by
 *     byte (nothing granite copies in bulk is like that: modules and guest
 *     RAM are page-aligned).
 *   - No DC ZVA in memset: it faults on Device memory (MMU off) and on
 *     DCZID_EL0.DZP; zero_pages() (arch/arm64/mmu.c) uses it for whole pages
 *     once the MMU is on.
 *   - Forward copy only: memmove (core/string.c) sends overlapping moves
 *     elsewhere.
 *   - AAPCS64 leaf functions: x0-x17 are the caller's to lose; no stack.
 */
    .text

/* void *arch_memcpy(void *dst, const void *src, size_t n): returns dst. */
    .global arch_memcpy
    .type   arch_memcpy, %function
    .balign 16
arch_memcpy:
    mov     x8, x0                  /* the return value */
    cbz     x2, .Lcpy_done
    eor     x3, x0, x1
    tst     x3, #7
    b.ne    .Lcpy_bytes             /* no alignment serves both */
.Lcpy_head:                         /* bytes until dst (and so src) is 8-aligned */
    tst     x0, #7
    b.eq    .Lcpy_aligned
    ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    subs    x2, x2, #1
    b.ne    .Lcpy_head
    b       .Lcpy_done
.Lcpy_aligned:
    subs    x2, x2, #64
    b.lo    .Lcpy_words
.Lcpy_64:
    ldp     x3, x4, [x1]
    ldp     x5, x6, [x1, #16]
    ldp     x7, x9, [x1, #32]
    ldp     x10, x11, [x1, #48]
    add     x1, x1, #64
    stp     x3, x4, [x0]
    stp     x5, x6, [x0, #16]
    stp     x7, x9, [x0, #32]
    stp     x10, x11, [x0, #48]
    add     x0, x0, #64
    subs    x2, x2, #64
    b.hs    .Lcpy_64
.Lcpy_words:
    add     x2, x2, #64             /* 0..63 bytes left */
.Lcpy_word:
    cmp     x2, #8
    b.lo    .Lcpy_bytes
    ldr     x3, [x1], #8
    str     x3, [x0], #8
    sub     x2, x2, #8
    b       .Lcpy_word
.Lcpy_bytes:
    cbz     x2, .Lcpy_done
.Lcpy_byte:
    ldrb    w3, [x1], #1
    strb    w3, [x0], #1
    subs    x2, x2, #1
    b.ne    .Lcpy_byte
.Lcpy_done:
    mov     x0, x8
    ret
    .size   arch_memcpy, . - arch_memcpy

/* void *arch_memset(void *dst, int c, size_t n): returns dst. */
    .global arch_memset
    .type   arch_memset, %function
    .balign 16
arch_memset:
    mov     x8, x0
    and     x1, x1, #0xff           /* the byte, replicated into all 8 */
    orr     x1, x1, x1, lsl #8
    orr     x1, x1, x1, lsl #16
    orr     x1, x1, x1, lsl #32
    cbz     x2, .Lset_done
.Lset_head:
    tst     x0, #7
    b.eq    .Lset_aligned
    strb    w1, [x0], #1
    subs    x2, x2, #1
    b.ne    .Lset_head
    b       .Lset_done
.Lset_aligned:
    subs    x2, x2, #64
    b.lo    .Lset_words
.Lset_64:
    stp     x1, x1, [x0]
    stp     x1, x1, [x0, #16]
    stp     x1, x1, [x0, #32]
    stp     x1, x1, [x0, #48]
    add     x0, x0, #64
    subs    x2, x2, #64
    b.hs    .Lset_64
.Lset_words:
    add     x2, x2, #64
.Lset_word:
    cmp     x2, #8
    b.lo    .Lset_bytes
    str     x1, [x0], #8
    sub     x2, x2, #8
    b       .Lset_word
.Lset_bytes:
    cbz     x2, .Lset_done
.Lset_byte:
    strb    w1, [x0], #1
    subs    x2, x2, #1
    b.ne    .Lset_byte
.Lset_done:
    mov     x0, x8
    ret
    .size   arch_memset, . - arch_memset
