/*
 * iommu_policy.c — from boot options and hardware to the effective IOMMU
 * policy, and Xen's derived flags (see include/granite/iommu_policy.h).
 *
 * The defaults reproduce Xen/ARM after the seed-000 fix: the IOMMU on when
 * there is one, page tables shared with the p2m when the IOMMU has stage 2,
 * grant mappings of a direct-mapped domain mirrored 1:1, dom0 strict, IOTLB
 * invalidations batched.  Every other combination is a deliberate experiment
 * and is honoured exactly, or refused with the reason; nothing is quietly
 * changed behind the user's back.
 *
 * Pure C, no hardware, no globals: tests/unit/test_iommu_policy.c runs the
 * whole decision table on the host.
 */
#include <granite/iommu_policy.h>
#include <granite/errno.h>
#include <granite/console.h>

const char *iommu_pt_name(enum iommu_pt_mode m) { return m == IOMMU_PT_SHARED ? "shared" : "separate"; }
const char *gnttab_iommu_name(enum gnttab_iommu_mode m) { return m == GNTTAB_IOMMU_DIRECT ? "direct" : "sync"; }
const char *dom0_iommu_name(enum dom0_iommu_mode m) { return m == DOM0_IOMMU_STRICT ? "strict" : "relaxed"; }

const char *iommu_flush_name(enum iommu_flush_mode m)
{
    return m == IOMMU_FLUSH_BATCHED ? "batched" : m == IOMMU_FLUSH_EAGER ? "eager" : "none";
}

static int pick(int requested, int dflt) { return requested == IOMMU_OPT_UNSET ? dflt : requested; }

/* Options that only mean something with the IOMMU on. */
static bool any_iommu_detail_given(const struct iommu_request *r)
{
    return r->iommu_pt != IOMMU_OPT_UNSET || r->gnttab_iommu != IOMMU_OPT_UNSET ||
           r->dom0_iommu != IOMMU_OPT_UNSET || r->iommu_flush != IOMMU_OPT_UNSET;
}

/* Which tables the IOMMU walks: shared needs stage 2 and strict. */
static int resolve_tables(const struct iommu_request *r, const struct iommu_hw *hw,
                          struct iommu_policy *out, const char **why)
{
    bool relaxed = out->dom0 == DOM0_IOMMU_RELAXED;
    int dflt = hw->stage2 && !relaxed ? IOMMU_PT_SHARED : IOMMU_PT_SEPARATE;

    out->pt = (enum iommu_pt_mode)pick(r->iommu_pt, dflt);
    if (out->pt == IOMMU_PT_SHARED && !hw->stage2) {
        *why = "iommu_pt=shared: the SMMU has no stage 2, so it cannot walk the CPU's stage-2 "
               "tables (use iommu_pt=separate)";
        return -EINVAL;
    }
    if (out->pt == IOMMU_PT_SHARED && relaxed) {
        *why = "dom0_iommu=relaxed maps all RAM but granite's for dom0's devices, which the "
               "shared p2m cannot express (use iommu_pt=separate)";
        return -EINVAL;
    }
    if (!hw->stage2 && !hw->stage1) {
        *why = "the SMMU translates at neither stage";
        return -EINVAL;
    }
    out->stage1 = !hw->stage2;
    return 0;
}

int iommu_policy_resolve(const struct iommu_request *r, const struct iommu_hw *hw,
                         struct iommu_policy *out, const char **why, const char **note)
{
    *out = (struct iommu_policy){ .pt = IOMMU_PT_SHARED };
    *why = NULL;
    *note = NULL;
    out->enabled = pick(r->iommu, hw->present) == 1;
    if (out->enabled && !hw->present) {
        *why = "iommu=on, but no SMMU this driver supports was found in the device tree";
        return -EINVAL;
    }
    if (!out->enabled) {
        if (any_iommu_detail_given(r))
            *note = "iommu is off: iommu_pt, gnttab_iommu, dom0_iommu and iommu_flush have no "
                    "effect";
        if (r->feat_dom0_iommu == 1)
            *note = "iommu is off: feat_dom0_iommu=on advertises nothing (no DMA is translated)";
        return 0;
    }
    out->gnttab = (enum gnttab_iommu_mode)pick(r->gnttab_iommu, GNTTAB_IOMMU_DIRECT);
    out->dom0 = (enum dom0_iommu_mode)pick(r->dom0_iommu, DOM0_IOMMU_STRICT);
    out->flush = (enum iommu_flush_mode)pick(r->iommu_flush, IOMMU_FLUSH_BATCHED);
    out->feat_dom0 = r->feat_dom0_iommu == 1;
    if (out->feat_dom0 && out->dom0 == DOM0_IOMMU_RELAXED) {
        /* Relaxed tables map machine addresses 1:1 and never follow dom0's
         * p2m: an IPA handed to a device would not translate.  Say nothing. */
        out->feat_dom0 = false;
        *note = "dom0_iommu=relaxed: feat_dom0_iommu=on advertises nothing (relaxed tables do "
                "not translate dom0's IPAs)";
    }
    return resolve_tables(r, hw, out, why);
}

bool iommu_use_hap_pt(const struct iommu_policy *p) { return p->enabled && p->pt == IOMMU_PT_SHARED; }

bool iommu_need_sync(const struct iommu_policy *p, bool hardware_domain)
{
    if (!p->enabled)
        return false;
    if (!hardware_domain || p->dom0 == DOM0_IOMMU_STRICT)
        return !iommu_use_hap_pt(p);
    return false; /* a relaxed hardware domain's tables already map all RAM */
}

bool iommu_gnttab_need_mapping(const struct iommu_policy *p, bool direct_mapped,
                               bool hardware_domain)
{
    if (!p->enabled || !direct_mapped)
        return false;
    if (p->gnttab == GNTTAB_IOMMU_DIRECT)
        return true;
    return iommu_need_sync(p, hardware_domain);
}

void iommu_policy_describe(const struct iommu_policy *p, char *buf, size_t len)
{
    if (!p->enabled) {
        snprintf(buf, len, "iommu=off (every passed-through device DMAs to physical "
                           "addresses, untranslated and unisolated)");
        return;
    }
    snprintf(buf, len,
             "iommu=on iommu_pt=%s%s gnttab_iommu=%s dom0_iommu=%s iommu_flush=%s "
             "feat_dom0_iommu=%s need_sync(dom0)=%s gnttab_need_iommu_mapping(dom0)=%s",
             iommu_pt_name(p->pt), p->stage1 ? " (stage 1)" : "", gnttab_iommu_name(p->gnttab),
             dom0_iommu_name(p->dom0), iommu_flush_name(p->flush), p->feat_dom0 ? "on" : "off",
             iommu_need_sync(p, true) ? "yes" : "no",
             iommu_gnttab_need_mapping(p, true, true) ? "yes" : "no");
}
