/*
 * traps.c — what happens when an exception reaches EL2.
 *
 * From a guest (lower EL): ESR_EL2.EC says why (Arm ARM D19.2.40):
 *   HVC #0xEA1       a Xen hypercall: number in x16, arguments x0-x4, result x0
 *                    (the Xen ARM convention, xen/include/public/arch-arm.h)
 *   HVC #0, SMC #0   SMCCC calls: PSCI and the SMCCC discovery calls
 *   other HVC/SMC    answered with an error, never a crash
 *   data/instruction abort from a lower EL
 *                    a stage-2 fault: the guest touched an IPA that is
 *                    neither its memory nor an emulated device.  As on a
 *                    machine with nothing at that address, the guest gets a
 *                    synchronous external abort (inject.c) and decides what
 *                    to do; the report (IPA, ISS decoded field by field) is
 *                    logged once per address and vCPU.  With the option
 *                    guest_abort=destroy the domain is destroyed instead.
 *   SVE, SME access  (CPTR_EL2.TZ/TSM) the features are hidden from the
 *                    guest (id_regs.c): UNDEFINED, as on a CPU without them
 * On every exit the virtual timer's line, while high, is sampled (vtimer.c).
 * Anything else a guest causes is logged and ends that domain only.
 *
 * At EL2 itself (current EL): always a granite bug.  The report names the
 * exception class, prints ESR/FAR/ELR/SPSR, all registers and the CPU, and
 * stops that CPU.
 */
#include <granite/dlog.h>
#include <granite/arch.h>
#include <granite/domain.h>
#include <granite/vgic.h>
#include <granite/console.h>
#include <granite/hypercall.h>
#include <granite/sched.h>
#include <granite/errno.h>
#include "asm_offsets.h"
#include "sysregs.h"
#include "inject.h"
#include "internal.h"
#include "vtimer.h"

#define XEN_HYPERCALL_TAG 0xEA1
#define SMCCC_IMM 0


#define WFX_ISS_WFE BIT(0)

struct trap_frame {
    u64 x[31];
    u64 sp, elr, spsr, esr, far;
};
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "asm frame layout");

static const char *const ec_names[64] = {
    [EC_UNKNOWN] = "unknown reason (undefined instruction)",
    [EC_WFX] = "WFI/WFE",
    [EC_FP_ASIMD] = "FP/SIMD access (trapped by CPTR_EL2.TFP)",
    [EC_PAC] = "pointer authentication (not offered to guests on this host)",
    [EC_ILLEGAL] = "illegal execution state",
    [EC_SVC64] = "SVC (AArch64)",
    [EC_HVC64] = "HVC (AArch64)",
    [EC_SMC64] = "SMC (AArch64)",
    [EC_SYSREG] = "system register access",
    [EC_SVE] = "SVE access",
    [EC_SME] = "SME access",
    [EC_IABT_LOW] = "instruction abort from a lower EL",
    [EC_IABT_CUR] = "instruction abort, same EL",
    [EC_PC_ALIGN] = "PC alignment fault",
    [EC_DABT_LOW] = "data abort from a lower EL",
    [EC_DABT_CUR] = "data abort, same EL",
    [EC_SP_ALIGN] = "SP alignment fault",
    [EC_SERROR] = "SError",
    [EC_BRK64] = "BRK (AArch64)",
};

static const char *ec_name(u64 ec) { return ec_names[ec & 63] ? ec_names[ec & 63] : "other"; }

static const char *const vector_names[16] = {
    "EL2t sync", "EL2t IRQ", "EL2t FIQ", "EL2t SError",
    "EL2h sync", "EL2h IRQ", "EL2h FIQ", "EL2h SError",
    "lower-EL AArch64 sync", "lower-EL AArch64 IRQ", "lower-EL AArch64 FIQ",
    "lower-EL AArch64 SError", "lower-EL AArch32 sync", "lower-EL AArch32 IRQ",
    "lower-EL AArch32 FIQ", "lower-EL AArch32 SError",
};

/* Fault status code of an abort, DFSC/IFSC (Arm ARM D19.2.40). */
static const char *fsc_name(u64 fsc, unsigned *level)
{
    *level = fsc & 3;
    switch (fsc & 0x3c) {
    case 0x00: return "address size fault";
    case 0x04: return "translation fault";
    case 0x08: return "access flag fault";
    case 0x0c: return "permission fault";
    }
    *level = 4;
    switch (fsc) {
    case 0x10: return "synchronous external abort";
    case 0x21: return "alignment fault";
    case 0x30: return "TLB conflict abort";
    default: return "other fault";
    }
}

/* Called from vectors.S; does not return (vectors.S stops the CPU after). */
void el2_exception(u64 kind, struct trap_frame *f)
{
    u64 ec = ESR_EC(f->esr);

    printk("\n*** granite: unexpected exception at EL2 on cpu%u: %s ***\n",
           console_present() ? this_cpu() : 0, vector_names[kind & 15]);
    printk("EC=0x%02lx (%s) ESR=0x%016lx ISS=0x%07lx\n", ec, ec_name(ec), f->esr,
           ESR_ISS(f->esr));
    printk("FAR=0x%016lx ELR=0x%016lx SPSR=0x%016lx SP=0x%016lx\n", f->far, f->elr, f->spsr,
           f->sp);
    if (ec == EC_DABT_CUR || ec == EC_IABT_CUR) {
        unsigned level;
        const char *what = fsc_name(f->esr & DABT_DFSC, &level);
        printk("abort: %s%s%s, %s\n", what, level < 4 ? " at level " : "",
               level < 4 ? (level == 0 ? "0" : level == 1 ? "1" : level == 2 ? "2" : "3") : "",
               (f->esr & DABT_WNR) ? "write" : "read");
    }
    for (unsigned i = 0; i < 31; i += 2) {
        if (i == 30)
            printk("x30=0x%016lx\n", f->x[30]);
        else
            printk("x%-2u=0x%016lx x%-2u=0x%016lx\n", i, f->x[i], i + 1, f->x[i + 1]);
    }
    printk("*** cpu%u stopped ***\n", console_present() ? this_cpu() : 0);
}

static struct vcpu *current_vcpu(struct guest_context *c)
{
    return (struct vcpu *)c; /* the context is the vCPU's first member */
}

/* The faulting IPA of a stage-2 abort: HPFAR_EL2 has bits [47:12], FAR the page offset. */
static u64 fault_ipa(void)
{
    return (FIELD_GET(HPFAR_FIPA, read_sysreg(hpfar_el2)) << PAGE_SHIFT) |
           (read_sysreg(far_el2) & ~PAGE_MASK);
}

static void log_stage2_abort(struct vcpu *v, struct guest_context *c, u64 esr, bool insn)
{
    u64 far = read_sysreg(far_el2), ipa_ = fault_ipa();
    unsigned level;
    const char *what = fsc_name(esr & DABT_DFSC, &level);
    static const char *const sas[] = { "byte", "halfword", "word", "doubleword" };

    dlog(v->d, "p2m: d%u vcpu%u: stage-2 %s abort at IPA 0x%lx (VA 0x%lx, PC 0x%lx)\n",
         v->d->id, v->id, insn ? "instruction" : "data", ipa_, far, c->pc);
    if (level < 4)
        dlog(v->d, "p2m: d%u: %s at level %u, %s%s\n", v->d->id, what, level,
             insn ? "execute" : (esr & DABT_WNR) ? "write" : "read",
             (esr & DABT_S1PTW) ? " during the guest's own stage-1 table walk" : "");
    else
        dlog(v->d, "p2m: d%u: %s, %s\n", v->d->id, what,
             insn ? "execute" : (esr & DABT_WNR) ? "write" : "read");
    if (insn) {
        dlog(v->d, "p2m: d%u: ISS: EA=%lu S1PTW=%lu IFSC=0x%02lx\n", v->d->id,
             FIELD_GET(DABT_EA, esr), FIELD_GET(DABT_S1PTW, esr), esr & DABT_DFSC);
        return;
    }
    dlog(v->d, "p2m: d%u: ISS: ISV=%lu SAS=%lu(%s) SSE=%lu SRT=x%lu SF=%lu AR=%lu FnV=%lu EA=%lu "
         "CM=%lu S1PTW=%lu WnR=%lu DFSC=0x%02lx\n",
         v->d->id, FIELD_GET(DABT_ISV, esr), FIELD_GET(DABT_SAS, esr),
         sas[FIELD_GET(DABT_SAS, esr)], FIELD_GET(DABT_SSE, esr), FIELD_GET(DABT_SRT, esr),
         FIELD_GET(DABT_SF, esr), FIELD_GET(DABT_AR, esr), FIELD_GET(DABT_FNV, esr),
         FIELD_GET(DABT_EA, esr), FIELD_GET(DABT_CM, esr), FIELD_GET(DABT_S1PTW, esr),
         FIELD_GET(DABT_WNR, esr), esr & DABT_DFSC);
}

static bool guest_abort_destroy;
void arch_set_guest_abort_destroy(bool destroy) { guest_abort_destroy = destroy; }

/* Whether this vCPU already logged an injected abort at this IPA's page for
 * this kind of access (0 read, 1 write, 2 execute); if not, remember it (the
 * last GUEST_ABORTS_REMEMBERED of them). */
static bool abort_seen(struct guest_context *c, u64 ipa_, unsigned kind)
{
    u64 key = (ipa_ & PAGE_MASK) | (kind << 1) | 1; /* | 1: never 0, the empty slot */

    for (unsigned i = 0; i < GUEST_ABORTS_REMEMBERED; i++)
        if (c->aborts_logged[i] == key)
            return true;
    c->aborts_logged[c->aborts_next] = key;
    c->aborts_next = (c->aborts_next + 1) % GUEST_ABORTS_REMEMBERED;
    return false;
}

/*
 * A translation fault on an address the p2m maps by now: another CPU was in
 * the middle of a break-before-make on that range (a 2 MiB block split when
 * shared_info or a grant frame goes over a RAM page).  The access is simply
 * retried, as on Xen and KVM.  Only translation faults: a permission fault on
 * a mapped page would fault again for ever.
 */
static bool now_mapped(struct vcpu *v, u64 esr)
{
    return (esr & FSC_TRANSLATION_MASK) == FSC_TRANSLATION &&
           p2m_lookup(&v->d->p2m, ipa(fault_ipa()), NULL, NULL) == 0;
}

static void stage2_abort(struct vcpu *v, struct guest_context *c, u64 esr, bool insn)
{
    bool write = !insn && (esr & DABT_WNR);

    if (guest_abort_destroy) {
        log_stage2_abort(v, c, esr, insn);
        domain_end(v->d, false, "stage-2 abort outside its memory");
        return;
    }
    if (now_mapped(v, esr))
        return;
    if (!abort_seen(c, fault_ipa(), insn ? 2 : write ? 1 : 0)) {
        log_stage2_abort(v, c, esr, insn);
        dlog(v->d, "p2m: d%u vcpu%u: nothing at that IPA: synchronous external abort injected "
             "(further ones of this kind at this address are not logged)\n", v->d->id, v->id);
    }
    vcpu_inject_external_abort(c, insn, read_sysreg(far_el2), write);
}

static void handle_hvc(struct vcpu *v, struct guest_context *c, u64 esr)
{
    u64 imm = ESR_ISS(esr) & 0xffff;

    if (imm == XEN_HYPERCALL_TAG) {
        u64 args[5] = { c->x[0], c->x[1], c->x[2], c->x[3], c->x[4] };
        c->x[0] = (u64)do_hypercall(v, c->x[16], args);
    } else if (imm == SMCCC_IMM) {
        c->x[0] = (u64)vpsci_smccc_call(v, c);
    } else {
        dlog(v->d, "hypercall: d%u vcpu%u: HVC #0x%lx is neither a Xen hypercall (#0xea1) nor "
             "SMCCC (#0): -ENOSYS\n", v->d->id, v->id, imm);
        c->x[0] = (u64)-ENOSYS;
    }
}

static void handle_smc(struct vcpu *v, struct guest_context *c, u64 esr)
{
    u64 imm = ESR_ISS(esr) & 0xffff;

    vcpu_skip_instruction(c);
    if (imm == SMCCC_IMM) {
        c->x[0] = (u64)vpsci_smccc_call(v, c);
    } else {
        dlog(v->d, "smccc: d%u vcpu%u: SMC #0x%lx: NOT_SUPPORTED\n", v->d->id, v->id, imm);
        c->x[0] = (u64)-1;
    }
}

static void handle_sync(struct vcpu *v, struct guest_context *c)
{
    u64 esr = read_sysreg(esr_el2), ec = ESR_EC(esr);

    switch (ec) {
    case EC_HVC64:
        if ((ESR_ISS(esr) & 0xffff) == SMCCC_IMM)
            v->stats.smccc++;
        handle_hvc(v, c, esr);
        return;
    case EC_SMC64:
        v->stats.smccc++;
        handle_smc(v, c, esr);
        return;
    case EC_DABT_LOW:
        if (mmio_emulate(v, esr, fault_ipa()))
            return;
        /* fall through */
    case EC_IABT_LOW:
        stage2_abort(v, c, esr, ec == EC_IABT_LOW);
        return;
    case EC_WFX:
        vcpu_skip_instruction(c);
        if (ESR_ISS(esr) & WFX_ISS_WFE) {
            v->stats.wfe++;
            sched_kicked(); /* WFE: a hint to let others run */
        } else {
            v->stats.wfi++;
            if (!vgic_has_pending(v->d->vgic, v->id)) {
                v->stats.wfi_blocked++;
                vcpu_block(v);
            }
        }
        return;
    case EC_SYSREG:
        sysreg_trap(v, esr);
        return;
    case EC_SVE:
    case EC_SME:
    case EC_PAC: /* only on a host with one kind of key: the ID registers hide both */
    case EC_UNKNOWN:
        dlog(v->d, "traps: d%u vcpu%u: %s (ESR 0x%lx) at PC 0x%lx: injecting UNDEF\n", v->d->id,
             v->id, ec_name(ec), esr, c->pc);
        vcpu_inject_undef(c);
        return;
    default:
        dlog(v->d, "traps: d%u vcpu%u: unhandled %s (EC 0x%02lx, ESR 0x%lx) at PC 0x%lx\n",
             v->d->id, v->id, ec_name(ec), ec, esr, c->pc);
        domain_end(v->d, false, "unhandled trap");
        return;
    }
}

/* Called from vectors.S with the guest's registers saved in c.  Returning
 * resumes the vCPU the per-CPU data names (vectors.S: guest_resume). */
void guest_trap(struct guest_context *c, u64 kind)
{
    struct vcpu *v = current_vcpu(c);

    exit_timing_enter();
    v->nr_traps++;
    __atomic_store_n(&v->in_guest, false, __ATOMIC_SEQ_CST);
    vgic_lr_sync_from_hw(v);
    vtimer_sample(v);   /* a high virtual timer line follows its condition */
    switch (kind) {
    case 8:
        v->stats.exits_sync++;
        handle_sync(v, c);
        break;
    case 9:
    case 10:
        v->stats.exits_irq++;
        irq_taken_in_guest(v);
        break;
    default:
        v->stats.exits_other++;
        dlog(v->d, "traps: d%u vcpu%u: %s (ESR 0x%lx) at PC 0x%lx\n", v->d->id, v->id,
             vector_names[kind & 15], read_sysreg(esr_el2), c->pc);
        domain_end(v->d, false, vector_names[kind & 15]);
        break;
    }
    dlog_flush(v->d);   /* no lock held here: the guest-caused lines of this trap */
    sched_after_trap(v);
    /* Back to the same vCPU: as in arch_enter_guest, "in guest" is said
     * before the list registers are filled. */
    __atomic_store_n(&v->in_guest, true, __ATOMIC_SEQ_CST);
    vgic_lr_fill(v);
    exit_timing_leave();
}
