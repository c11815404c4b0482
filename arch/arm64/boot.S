/*
 * boot.S — granite's first instructions, for the boot CPU and the secondaries.
 *
 * granite is an arm64 Linux "Image" (Documentation/arch/arm64/booting.rst in
 * Linux describes the protocol): a 64-byte header, then code.  A boot loader
 * (QEMU -kernel, U-Boot booti) places it at a 2 MiB-aligned address, enters it
 * at EL2 with the MMU off, caches clean to PoC, and the DTB's address in x0.
 *
 * The image is linked at address 0 as a position-independent executable.  The
 * first thing the boot CPU does is apply its own R_AARCH64_RELATIVE relocations
 * (pointers in data need the load address added), so it runs wherever it was
 * put.  Everything after that is C (core/main.c), which builds EL2's page tables
 * and turns the MMU on.
 *
 * Until the MMU is on, every data access is Device-nGnRnE: no unaligned access
 * (granite is built -mstrict-align) and no exclusives.
 */
#include "asm_offsets.h"

    .section .text.head, "ax"
    .global _start
_start:
    b       primary_entry           /* code0 */
    .long   0                       /* code1 */
    .quad   0                       /* text_offset: 0, i.e. 2 MiB aligned */
    .quad   __image_size            /* image_size: the whole footprint, bss included */
    .quad   0xa                     /* flags: little endian, 4K pages, place anywhere */
    .quad   0, 0, 0                 /* res2-res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

    .section .text.boot, "ax"
primary_entry:
    mov     x19, x0                 /* the DTB, as the boot protocol promises */
    mrs     x1, CurrentEL
    cmp     x1, #CURRENTEL_EL2
    b.ne    not_at_el2

    adr     x20, _start             /* where we were loaded (linked at 0) */
    adrp    x1, __stacks_start
    add     x1, x1, :lo12:__stacks_start
    add     sp, x1, #STACK_SIZE     /* CPU 0's stack */

    /* Apply R_AARCH64_RELATIVE relocations: *(base + offset) = base + addend. */
    adrp    x1, __rela_start
    add     x1, x1, :lo12:__rela_start
    adrp    x2, __rela_end
    add     x2, x2, :lo12:__rela_end
1:  cmp     x1, x2
    b.hs    2f
    ldp     x3, x4, [x1], #16       /* r_offset, r_info */
    ldr     x5, [x1], #8            /* r_addend */
    cbz     w4, 1b                  /* R_AARCH64_NONE: nothing to do */
    cmp     w4, #R_AARCH64_RELATIVE
    b.ne    3f
    add     x5, x5, x20
    str     x5, [x20, x3]
    b       1b
3:  adrp    x6, boot_bad_relocs     /* reported once a console exists */
    add     x6, x6, :lo12:boot_bad_relocs
    ldr     x7, [x6]
    add     x7, x7, #1
    str     x7, [x6]
    b       1b

    /* Zero .bss (16-byte aligned by the linker script). */
2:  adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
4:  cmp     x1, x2
    b.hs    5f
    stp     xzr, xzr, [x1], #16
    b       4b

5:  adr     x1, el2_vectors
    msr     vbar_el2, x1
    isb
    mov     x0, x19
    bl      boot_primary            /* core/main.c; does not return */
    b       cpu_stop

not_at_el2:
    /* Entered at EL1 or EL3: nothing granite can do, and no console yet. */
    wfe
    b       not_at_el2

/*
 * Secondary CPUs arrive here from PSCI CPU_ON, at EL2, MMU off, with the CPU
 * number granite chose in x0 (the PSCI context id).  The boot CPU left the EL2
 * translation settings in boot_mmu, cleaned to the point of coherency, so this
 * CPU can read them with its caches off.  Nothing touches the stack until the
 * MMU and caches are on.
 */
    .global secondary_entry
secondary_entry:
    mov     x19, x0
    adr     x1, el2_vectors
    msr     vbar_el2, x1
    adrp    x1, boot_mmu
    add     x1, x1, :lo12:boot_mmu
    ldr     x2, [x1, #BOOT_MMU_MAIR]
    msr     mair_el2, x2
    ldr     x2, [x1, #BOOT_MMU_TCR]
    msr     tcr_el2, x2
    ldr     x2, [x1, #BOOT_MMU_TTBR]
    msr     ttbr0_el2, x2
    isb
    tlbi    alle2
    ic      iallu
    dsb     nsh
    isb
    ldr     x2, [x1, #BOOT_MMU_SCTLR]
    msr     sctlr_el2, x2
    isb
    adrp    x1, __stacks_start
    add     x1, x1, :lo12:__stacks_start
    mov     x2, #STACK_SIZE
    madd    x1, x19, x2, x1
    add     sp, x1, x2
    mov     x0, x19
    bl      secondary_main          /* core/main.c; does not return */

    .global cpu_stop
cpu_stop:
    msr     daifset, #0xf
6:  wfi
    b       6b

    .section .data              /* not .bss: counted before .bss is zeroed */
    .balign 8
    .global boot_bad_relocs
boot_bad_relocs:
    .quad   0
