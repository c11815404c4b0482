/*
 * inject.h — synchronous exceptions granite delivers into a guest (inject.c).
 */
#ifndef ARCH_ARM64_INJECT_H
#define ARCH_ARM64_INJECT_H

#include <granite/guest_context.h>

#define FSC_SYNC_EXTERNAL 0x10 /* DFSC/IFSC: synchronous external abort, not on a table walk */

void vcpu_inject_undef(struct guest_context *c);
void vcpu_skip_instruction(struct guest_context *c);
void vcpu_inject_external_abort(struct guest_context *c, bool insn, u64 far, bool write);

#endif
