/*
 * semihosting.c — Arm semihosting (Arm "Semihosting for AArch32 and AArch64",
 * v2): a HLT #0xF000 with the operation in w0 and a parameter block in x1 is
 * served by the debugger or, here, by QEMU (-semihosting-config enable=on).
 * granite uses one operation, SYS_EXIT, to end a QEMU run with an exit code
 * that tells the test harness how the run went.  Only used when the
 * `poweroff=semihosting` option asks for it: on a board without a debugger the
 * HLT would be an undefined instruction.
 */
#include <granite/types.h>
#include "internal.h"

#define SYS_EXIT 0x18
#define ADP_Stopped_ApplicationExit 0x20026

void semihosting_exit(int status)
{
    /* AArch64 SYS_EXIT takes a block: {reason, subcode}; QEMU exits with subcode. */
    static u64 block[2];
    register u64 x0 __asm__("x0") = SYS_EXIT;
    register u64 x1 __asm__("x1") = (u64)(uintptr_t)block;

    block[0] = ADP_Stopped_ApplicationExit;
    block[1] = (u64)status;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
}
