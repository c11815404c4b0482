/*
 * iommu_policy.h — the IOMMU policy as a pure decision: options and hardware
 * in, effective policy out (core/iommu_policy.c).
 *
 * The switches are the brief's table.  They exist to reproduce seed 000 on
 * purpose and to show its fix, so each one names the Xen behaviour it models:
 *
 *   iommu=on|off                 use the SMMU for dom0's devices (default: on
 *                                when an SMMU was found)
 *   iommu_pt=shared|separate     the SMMU walks the CPU's p2m itself (Xen:
 *                                iommu_use_hap_pt), or has its own tables kept
 *                                in sync with every p2m change (Xen: need_sync)
 *   gnttab_iommu=direct|sync     when a grant mapping also adds a 1:1 IOMMU
 *                                entry of the machine frame: for any
 *                                direct-mapped domain (Xen's fix, 04085ec1ac),
 *                                or only when need_sync (the 2018 regression)
 *   dom0_iommu=strict|relaxed    dom0's devices reach only dom0's memory and
 *                                its grants, or all RAM but granite's
 *                                (relaxed needs separate tables)
 *   iommu_flush=batched|eager|none  one invalidation per hypercall batch, one
 *                                per update, or never (a deliberate hazard)
 *   feat_dom0_iommu=on|off       tell dom0 which devices' DMA is translated
 *
 * Pure C: the host unit tests run the whole decision table.
 */
#ifndef GRANITE_IOMMU_POLICY_H
#define GRANITE_IOMMU_POLICY_H

#include <granite/types.h>

enum iommu_pt_mode { IOMMU_PT_SHARED, IOMMU_PT_SEPARATE };
enum gnttab_iommu_mode { GNTTAB_IOMMU_DIRECT, GNTTAB_IOMMU_SYNC };
enum dom0_iommu_mode { DOM0_IOMMU_STRICT, DOM0_IOMMU_RELAXED };
enum iommu_flush_mode { IOMMU_FLUSH_BATCHED, IOMMU_FLUSH_EAGER, IOMMU_FLUSH_NONE };

#define IOMMU_OPT_UNSET (-1)

/* What the boot options asked for: an enum value, or IOMMU_OPT_UNSET. */
struct iommu_request {
    int iommu;           /* 0 off, 1 on */
    int iommu_pt;        /* enum iommu_pt_mode */
    int gnttab_iommu;    /* enum gnttab_iommu_mode */
    int dom0_iommu;      /* enum dom0_iommu_mode */
    int iommu_flush;     /* enum iommu_flush_mode */
    int feat_dom0_iommu; /* 0 off, 1 on */
};

/* What the hardware offers. */
struct iommu_hw {
    bool present;        /* an IOMMU was found and its driver initialised it */
    bool stage2;         /* it can translate with stage-2 (IPA -> PA) tables */
    bool stage1;         /* it can translate with stage-1 tables */
};

struct iommu_policy {
    bool enabled;                  /* dom0's devices translate through the IOMMU */
    enum iommu_pt_mode pt;
    enum gnttab_iommu_mode gnttab;
    enum dom0_iommu_mode dom0;
    enum iommu_flush_mode flush;
    bool feat_dom0;                /* advertise translated DMA to dom0 */
    bool stage1;                   /* no stage 2: separate stage-1 tables stand in */
};

/*
 * Resolve a request against the hardware.  0 with *out filled, or -EINVAL
 * with *why saying which options conflict (a request granite cannot honour
 * is refused, never silently changed).  Options that do not apply (anything
 * but feat_dom0_iommu with iommu=off) are accepted and reported in *note
 * (NULL when there is nothing to say).
 */
int iommu_policy_resolve(const struct iommu_request *req, const struct iommu_hw *hw,
                         struct iommu_policy *out, const char **why, const char **note);

/*
 * Xen's derived flags, for a domain that has an IOMMU context:
 *   iommu_use_hap_pt(d)   the IOMMU walks the p2m (iommu_pt=shared)
 *   need_iommu_pt_sync(d) every p2m change must be mirrored into the IOMMU's
 *                         own tables: if (!hardware_domain || strict)
 *                         need_sync = !use_hap_pt, else false
 *                         (xen/drivers/passthrough/iommu.c, iommu_domain_init)
 */
bool iommu_use_hap_pt(const struct iommu_policy *p);
bool iommu_need_sync(const struct iommu_policy *p, bool hardware_domain);
/*
 * Does a grant mapping by this domain need a 1:1 IOMMU entry of the granted
 * machine frame?  gnttab_iommu=direct: is_domain_direct_mapped(d) (with the
 * IOMMU on); sync: is_domain_direct_mapped(d) && need_iommu_pt_sync(d) — the
 * regression of seed 000, false whenever the tables are shared.
 */
bool iommu_gnttab_need_mapping(const struct iommu_policy *p, bool direct_mapped,
                               bool hardware_domain);

/* The effective policy in one line ("iommu=on iommu_pt=shared ..."). */
void iommu_policy_describe(const struct iommu_policy *p, char *buf, size_t len);

const char *iommu_pt_name(enum iommu_pt_mode m);
const char *gnttab_iommu_name(enum gnttab_iommu_mode m);
const char *dom0_iommu_name(enum dom0_iommu_mode m);
const char *iommu_flush_name(enum iommu_flush_mode m);

#endif
