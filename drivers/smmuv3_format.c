/*
 * smmuv3_format.c — the hardware-free half of the SMMUv3 driver: it turns ID
 * registers into a feature list and builds or decodes the in-memory formats,
 * but never touches MMIO.  drivers/smmuv3.c does the register accesses; the
 * host test tests/unit/test_smmuv3.c checks every bit written here against the
 * spec (Arm IHI 0070, "SMMUv3 architecture specification").
 *
 * How an SMMUv3 finds its way, for readers new to it:
 *
 *  - Every device transaction arrives with a StreamID (for PCI, derived from
 *    the requester ID).  The *Stream table* (3.3, 5.1, 5.2) is an array in
 *    memory indexed by StreamID; SMMU_STRTAB_BASE points at it.  A linear table
 *    is one array of 64-byte *Stream Table Entries*; a 2-level table is an
 *    array of 8-byte L1 descriptors, each pointing at a small array of STEs for
 *    2^SPLIT StreamIDs, so that sparse StreamID spaces cost little memory.
 *
 *  - The *STE* (5.2) says what happens to a stream: abort, bypass, or
 *    translate by stage 1, stage 2 or both.  Stage 2 (the hypervisor's IPA->PA
 *    map) is described in the STE itself: VMID, the VTCR_EL2-like parameters
 *    and the table base.  That is how a device can share a guest's p2m.
 *
 *  - Stage 1 (VA->IPA, the device driver's own I/O page tables) is described
 *    by a *Context Descriptor* (5.4), which the STE points at: ASID, TCR-like
 *    fields, TTB0, MAIR.  With stage 2 on, that pointer is itself an IPA.
 *
 *  - Software talks to the SMMU through the *Command queue* (chapter 4, 3.5):
 *    a ring of 16-byte commands in memory.  Software writes entries and moves
 *    SMMU_CMDQ_PROD; the SMMU consumes them and moves SMMU_CMDQ_CONS.  The
 *    SMMU caches STEs, CDs and translations, so every change to them is
 *    followed by an invalidation command (CFGI_*, TLBI_*) and a CMD_SYNC, whose
 *    completion means everything before it has taken effect.
 *
 *  - The SMMU talks back through the *Event queue* (chapter 7, 3.5): a ring of
 *    32-byte records it writes (it is the producer) and software consumes.
 *    A record names the event (F_TRANSLATION, C_BAD_STE, ...), the StreamID
 *    and, for translation faults, the address, the access and the stage.
 *    Errors with the queues themselves are flagged in SMMU_GERROR.
 *
 * Both rings use the same index scheme (3.5.1): an index is the slot number
 * plus one more bit, the wrap flag, that toggles each time the index passes
 * the end.  Equal slots with equal wrap flags mean empty; equal slots with
 * different wrap flags mean full.
 *
 * Assumptions: structures are built in CPU memory as little-endian 64-bit
 * words on a little-endian CPU; the caller makes them visible to the SMMU
 * (cache maintenance or COHACC) and issues the invalidations.  Pure C: no
 * MMIO, no printk, no allocation, no C library, so it builds both for EL2 and
 * for the host test (-DHOST_TEST).
 */
#include <granite/smmuv3_hw.h>
#include <granite/errno.h>

/* ------------------------------------------------------------------------ */
/* Features                                                                  */
/* ------------------------------------------------------------------------ */

unsigned smmu_oas_bits(unsigned oas_field)
{
    /* 6.3 SMMU_IDR5.OAS; 0b111 (56 bits) needs VMSAv9-128, which granite's
     * VMSAv8-64 tables cannot express, so it is treated as unusable. */
    static const u8 bits[] = { 32, 36, 40, 42, 44, 48, 52 };

    return oas_field < ARRAY_SIZE(bits) ? bits[oas_field] : 0;
}

int smmu_decode_features(u32 idr0, u32 idr1, u32 idr5, struct smmu_features *f)
{
    unsigned ttf = FIELD_GET(SMMU_IDR0_TTF, idr0);
    int ret = 0;

    f->s1 = idr0 & SMMU_IDR0_S1P;
    f->s2 = idr0 & SMMU_IDR0_S2P;
    f->coherent = idr0 & SMMU_IDR0_COHACC;
    f->msi = idr0 & SMMU_IDR0_MSI;
    f->sev = idr0 & SMMU_IDR0_SEV;
    f->vmid16 = idr0 & SMMU_IDR0_VMID16;
    f->asid16 = idr0 & SMMU_IDR0_ASID16;
    f->two_level_strtab = FIELD_GET(SMMU_IDR0_ST_LEVEL, idr0) == SMMU_IDR0_ST_LEVEL_2LVL;
    f->hyp = idr0 & SMMU_IDR0_HYP;
    f->ats = idr0 & SMMU_IDR0_ATS;
    f->pri = idr0 & SMMU_IDR0_PRI;
    f->btm = idr0 & SMMU_IDR0_BTM;
    f->aarch64_tables = ttf & SMMU_IDR0_TTF_AARCH64; /* 0b10 or 0b11 */
    f->ttendian = FIELD_GET(SMMU_IDR0_TTENDIAN, idr0);

    f->sid_bits = FIELD_GET(SMMU_IDR1_SIDSIZE, idr1);
    f->ssid_bits = FIELD_GET(SMMU_IDR1_SSIDSIZE, idr1);
    f->cmdq_log2 = FIELD_GET(SMMU_IDR1_CMDQS, idr1);
    f->eventq_log2 = FIELD_GET(SMMU_IDR1_EVENTQS, idr1);
    f->priq_log2 = FIELD_GET(SMMU_IDR1_PRIQS, idr1);
    f->attr_types_ovr = idr1 & SMMU_IDR1_ATTR_TYPES_OVR;
    f->attr_perms_ovr = idr1 & SMMU_IDR1_ATTR_PERMS_OVR;

    f->gran4k = idr5 & SMMU_IDR5_GRAN4K;
    f->oas_field = FIELD_GET(SMMU_IDR5_OAS, idr5);
    f->oas_bits = smmu_oas_bits(f->oas_field);

    if (f->oas_bits == 0)
        ret = -EINVAL;
    if (f->sid_bits > SMMU_MAX_SIDSIZE || f->ssid_bits > SMMU_MAX_SSIDSIZE)
        ret = -EINVAL;
    if (f->cmdq_log2 > SMMU_MAX_QUEUE_LOG2 || f->eventq_log2 > SMMU_MAX_QUEUE_LOG2 ||
        f->priq_log2 > SMMU_MAX_QUEUE_LOG2)
        ret = -EINVAL;
    return ret;
}

/* ------------------------------------------------------------------------ */
/* Stream table and queue base registers                                     */
/* ------------------------------------------------------------------------ */

void smmu_strtab_geometry(const struct smmu_features *f, struct smmu_strtab_geometry *g)
{
    g->log2size = f->sid_bits;
    if (f->sid_bits <= SMMU_LINEAR_MAX_SID_BITS || !f->two_level_strtab) {
        g->two_level = false;
        g->split = 0;
        g->l1_entries = 0;
        g->table_bytes = (u64)SMMU_STE_SIZE << f->sid_bits;
        return;
    }
    /* 6.3 SMMU_STRTAB_BASE_CFG: MAX(1, 2^(LOG2SIZE - SPLIT)) L1 descriptors. */
    g->two_level = true;
    g->split = SMMU_STRTAB_SPLIT;
    g->l1_entries = 1ULL << (f->sid_bits - SMMU_STRTAB_SPLIT);
    g->table_bytes = g->l1_entries * SMMU_L1STD_SIZE;
}

u32 smmu_strtab_base_cfg(const struct smmu_strtab_geometry *g)
{
    u64 cfg = FIELD_PREP(SMMU_STRTAB_BASE_CFG_LOG2SIZE, g->log2size);

    if (g->two_level)
        cfg |= FIELD_PREP(SMMU_STRTAB_BASE_CFG_FMT, SMMU_STRTAB_BASE_CFG_FMT_2LVL) |
               FIELD_PREP(SMMU_STRTAB_BASE_CFG_SPLIT, g->split);
    return (u32)cfg;
}

u64 smmu_strtab_base(pa_t table)
{
    return SMMU_STRTAB_BASE_RA | (pa_addr(table) & SMMU_STRTAB_BASE_ADDR);
}

u64 smmu_l1_desc(pa_t l2, unsigned split)
{
    /* 5.1: an L2 array of 2^(Span-1) STEs, so Span = split + 1. */
    return FIELD_PREP(SMMU_L1STD_SPAN, split + 1) | (pa_addr(l2) & SMMU_L1STD_L2PTR);
}

u64 smmu_queue_base(pa_t queue, unsigned log2size, bool write_allocate)
{
    /* The two hints are the same bit; naming them keeps the intent visible. */
    u64 hint = write_allocate ? SMMU_EVENTQ_BASE_WA : SMMU_CMDQ_BASE_RA;

    return hint | (pa_addr(queue) & SMMU_Q_BASE_ADDR) | FIELD_PREP(SMMU_Q_BASE_LOG2SIZE, log2size);
}

/* ------------------------------------------------------------------------ */
/* Queue indices (3.5)                                                       */
/* ------------------------------------------------------------------------ */

/* The slot bits and the wrap bit together. */
static u32 queue_index_mask(unsigned log2size) { return (2U << log2size) - 1; }

bool smmu_queue_full(u32 prod, u32 cons, unsigned log2size)
{
    return ((prod ^ cons) & queue_index_mask(log2size)) == 1U << log2size;
}

bool smmu_queue_empty(u32 prod, u32 cons, unsigned log2size)
{
    return ((prod ^ cons) & queue_index_mask(log2size)) == 0;
}

u32 smmu_queue_next(u32 idx, unsigned log2size)
{
    /* Slot + 1 carries into the wrap bit at the end: exactly the toggle. */
    return (idx + 1) & queue_index_mask(log2size);
}

unsigned smmu_queue_slot(u32 idx, unsigned log2size)
{
    return idx & ((1U << log2size) - 1);
}

/* ------------------------------------------------------------------------ */
/* Stream Table Entries (5.2) and Context Descriptors (5.4)                  */
/* ------------------------------------------------------------------------ */

static void ste_clear(struct smmu_ste *ste)
{
    for (unsigned i = 0; i < ARRAY_SIZE(ste->dw); i++)
        ste->dw[i] = 0;
}

void smmu_ste_abort(struct smmu_ste *ste)
{
    ste_clear(ste);
    ste->dw[0] = SMMU_STE0_V | FIELD_PREP(SMMU_STE0_CONFIG, SMMU_STE0_CONFIG_ABORT);
}

void smmu_ste_bypass(struct smmu_ste *ste)
{
    ste_clear(ste);
    ste->dw[0] = SMMU_STE0_V | FIELD_PREP(SMMU_STE0_CONFIG, SMMU_STE0_CONFIG_BYPASS);
    ste->dw[1] = FIELD_PREP(SMMU_STE1_SHCFG, SMMU_STE1_SHCFG_INCOMING);
}

/* VTCR_EL2 fields that STE dw[2] copies (Arm ARM, VTCR_EL2). */
#define VTCR_T0SZ GENMASK(5, 0)
#define VTCR_SL0 GENMASK(7, 6)
#define VTCR_IRGN0 GENMASK(9, 8)
#define VTCR_ORGN0 GENMASK(11, 10)
#define VTCR_SH0 GENMASK(13, 12)
#define VTCR_TG0 GENMASK(15, 14)

void smmu_ste_s2(struct smmu_ste *ste, const struct smmu_s2_config *c)
{
    ste_clear(ste);
    ste->dw[0] = SMMU_STE0_V | FIELD_PREP(SMMU_STE0_CONFIG, SMMU_STE0_CONFIG_S2_TRANS);
    ste->dw[1] = FIELD_PREP(SMMU_STE1_SHCFG, SMMU_STE1_SHCFG_INCOMING);
    /* VTCR_EL2.TG0 and STE.S2TG share an encoding (0 4K, 1 64K, 2 16K), as do
     * IRGN0/S2IR0, ORGN0/S2OR0 and SH0/S2SH0. */
    ste->dw[2] = FIELD_PREP(SMMU_STE2_S2VMID, c->vmid) |
                 FIELD_PREP(SMMU_STE2_S2T0SZ, FIELD_GET(VTCR_T0SZ, c->vtcr)) |
                 FIELD_PREP(SMMU_STE2_S2SL0, FIELD_GET(VTCR_SL0, c->vtcr)) |
                 FIELD_PREP(SMMU_STE2_S2IR0, FIELD_GET(VTCR_IRGN0, c->vtcr)) |
                 FIELD_PREP(SMMU_STE2_S2OR0, FIELD_GET(VTCR_ORGN0, c->vtcr)) |
                 FIELD_PREP(SMMU_STE2_S2SH0, FIELD_GET(VTCR_SH0, c->vtcr)) |
                 FIELD_PREP(SMMU_STE2_S2TG, FIELD_GET(VTCR_TG0, c->vtcr)) |
                 FIELD_PREP(SMMU_STE2_S2PS, c->ps_field) |
                 SMMU_STE2_S2AA64 | SMMU_STE2_S2PTW | SMMU_STE2_S2R;
    ste->dw[3] = pa_addr(c->ttb) & SMMU_STE3_S2TTB;
}

void smmu_ste_s1(struct smmu_ste *ste, pa_t cd)
{
    ste_clear(ste);
    ste->dw[0] = SMMU_STE0_V | FIELD_PREP(SMMU_STE0_CONFIG, SMMU_STE0_CONFIG_S1_TRANS) |
                 FIELD_PREP(SMMU_STE0_S1FMT, SMMU_STE0_S1FMT_LINEAR) |
                 (pa_addr(cd) & SMMU_STE0_S1CONTEXTPTR) | FIELD_PREP(SMMU_STE0_S1CDMAX, 0);
    ste->dw[1] = FIELD_PREP(SMMU_STE1_S1CIR, SMMU_STE_S1C_WBRA) |
                 FIELD_PREP(SMMU_STE1_S1COR, SMMU_STE_S1C_WBRA) |
                 FIELD_PREP(SMMU_STE1_S1CSH, SMMU_SH_ISH) |
                 FIELD_PREP(SMMU_STE1_STRW, SMMU_STE1_STRW_NSEL1) |
                 FIELD_PREP(SMMU_STE1_SHCFG, SMMU_STE1_SHCFG_INCOMING) |
                 FIELD_PREP(SMMU_STE1_PRIVCFG, SMMU_STE1_PRIVCFG_PRIV);
}

void smmu_ste_drop_unsupported_overrides(struct smmu_ste *ste, const struct smmu_features *f)
{
    /* 5.2: these fields are RES0 unless SMMU_IDR1 advertises the override. */
    if (!f->attr_types_ovr)
        ste->dw[1] &= ~(SMMU_STE1_MEMATTR | SMMU_STE1_MTCFG | SMMU_STE1_ALLOCCFG |
                        SMMU_STE1_SHCFG);
    if (!f->attr_perms_ovr)
        ste->dw[1] &= ~(SMMU_STE1_NSCFG | SMMU_STE1_PRIVCFG | SMMU_STE1_INSTCFG);
}

void smmu_cd_s1(struct smmu_cd *cd, const struct smmu_s1_config *c)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cd->dw); i++)
        cd->dw[i] = 0;
    cd->dw[0] = FIELD_PREP(SMMU_CD0_T0SZ, c->t0sz) |
                FIELD_PREP(SMMU_CD0_TG0, SMMU_CD0_TG0_4K) |
                FIELD_PREP(SMMU_CD0_IR0, SMMU_CD_RGN_WBWA) |
                FIELD_PREP(SMMU_CD0_OR0, SMMU_CD_RGN_WBWA) |
                FIELD_PREP(SMMU_CD0_SH0, SMMU_SH_ISH) |
                SMMU_CD0_EPD1 | SMMU_CD0_V |
                FIELD_PREP(SMMU_CD0_IPS, c->ips_field) |
                SMMU_CD0_AA64 | SMMU_CD0_R | SMMU_CD0_A | SMMU_CD0_ASET |
                FIELD_PREP(SMMU_CD0_ASID, c->asid);
    cd->dw[1] = pa_addr(c->ttb0) & SMMU_CD1_TTB0;
    cd->dw[3] = c->mair;
}

/* ------------------------------------------------------------------------ */
/* Commands (chapter 4)                                                      */
/* ------------------------------------------------------------------------ */

static void cmd_start(struct smmu_cmd *c, unsigned opcode)
{
    c->dw[0] = FIELD_PREP(SMMU_CMD0_OPCODE, opcode);
    c->dw[1] = 0;
}

void smmu_cmd_cfgi_ste(struct smmu_cmd *c, u32 sid, bool leaf)
{
    cmd_start(c, SMMU_CMD_CFGI_STE);
    c->dw[0] |= FIELD_PREP(SMMU_CMD0_SID, sid);
    if (leaf)
        c->dw[1] |= SMMU_CMD1_LEAF;
}

void smmu_cmd_cfgi_all(struct smmu_cmd *c)
{
    cmd_start(c, SMMU_CMD_CFGI_ALL);
    c->dw[1] = FIELD_PREP(SMMU_CMD1_RANGE, SMMU_CMD1_RANGE_ALL);
}

void smmu_cmd_tlbi_s12_vmall(struct smmu_cmd *c, u16 vmid)
{
    cmd_start(c, SMMU_CMD_TLBI_S12_VMALL);
    c->dw[0] |= FIELD_PREP(SMMU_CMD0_VMID, vmid);
}

void smmu_cmd_tlbi_s2_ipa(struct smmu_cmd *c, u16 vmid, iova_t at, bool leaf)
{
    cmd_start(c, SMMU_CMD_TLBI_S2_IPA);
    c->dw[0] |= FIELD_PREP(SMMU_CMD0_VMID, vmid);
    c->dw[1] = (iova_addr(at) & SMMU_CMD1_IPA) | (leaf ? SMMU_CMD1_LEAF : 0);
}

/*
 * CMD_TLBI_S2_IPA in its range form (SMMU_IDR3.RIL = 1, spec 4.4.1.1): TG
 * names the granule (4 KiB) and the command covers (NUM + 1) << SCALE pages
 * from the address.  The first command of those that cover `pages` pages
 * from `at`; returns how many pages it covers (the caller goes on from there).
 */
u64 smmu_cmd_tlbi_s2_ipa_range(struct smmu_cmd *c, u16 vmid, iova_t at, u64 pages)
{
    unsigned scale = pages ? (unsigned)__builtin_ctzl(pages) : 0;
    u64 mult;

    if (scale > SMMU_TLBI_SCALE_MAX)
        scale = SMMU_TLBI_SCALE_MAX;
    mult = pages >> scale;
    if (mult > SMMU_TLBI_NUM_MAX + 1)
        mult = SMMU_TLBI_NUM_MAX + 1;
    if (!mult)
        mult = 1; /* pages == 0: one page, never nothing */
    smmu_cmd_tlbi_s2_ipa(c, vmid, at, false);
    c->dw[0] |= FIELD_PREP(SMMU_CMD0_TLBI_NUM, mult - 1) | FIELD_PREP(SMMU_CMD0_TLBI_SCALE, scale);
    c->dw[1] |= FIELD_PREP(SMMU_CMD1_TLBI_TG, SMMU_TLBI_TG_4K);
    return mult << scale;
}

unsigned smmu_tlbi_range_cmds(u64 pages)
{
    struct smmu_cmd c;
    unsigned n = 0;

    do {
        u64 done = smmu_cmd_tlbi_s2_ipa_range(&c, 0, iova(0), pages);
        pages = done >= pages ? 0 : pages - done;
        n++;
    } while (pages);
    return n;
}

void smmu_cmd_tlbi_nh_asid(struct smmu_cmd *c, u16 vmid, u16 asid)
{
    cmd_start(c, SMMU_CMD_TLBI_NH_ASID);
    c->dw[0] |= FIELD_PREP(SMMU_CMD0_VMID, vmid) | FIELD_PREP(SMMU_CMD0_ASID, asid);
}

void smmu_cmd_tlbi_nh_all(struct smmu_cmd *c, u16 vmid)
{
    cmd_start(c, SMMU_CMD_TLBI_NH_ALL);
    c->dw[0] |= FIELD_PREP(SMMU_CMD0_VMID, vmid);
}

void smmu_cmd_tlbi_el2_all(struct smmu_cmd *c)
{
    cmd_start(c, SMMU_CMD_TLBI_EL2_ALL);
}

void smmu_cmd_tlbi_nsnh_all(struct smmu_cmd *c)
{
    cmd_start(c, SMMU_CMD_TLBI_NSNH_ALL);
}

void smmu_cmd_sync(struct smmu_cmd *c, unsigned cs)
{
    /* MSIAddress stays 0: no MSI write, so MSH/MSIAttr/MSIData do not matter. */
    cmd_start(c, SMMU_CMD_SYNC);
    c->dw[0] |= FIELD_PREP(SMMU_CMD_SYNC0_CS, cs);
}

unsigned smmu_cmd_opcode(const struct smmu_cmd *c)
{
    return FIELD_GET(SMMU_CMD0_OPCODE, c->dw[0]);
}

struct name { unsigned value; const char *name; };

static const char *lookup(const struct name *t, size_t n, unsigned value)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].value == value)
            return t[i].name;
    return "?";
}

const char *smmu_cmd_name(unsigned opcode)
{
    static const struct name names[] = {
        { SMMU_CMD_PREFETCH_CONFIG, "CMD_PREFETCH_CONFIG" },
        { SMMU_CMD_PREFETCH_ADDR, "CMD_PREFETCH_ADDR" },
        { SMMU_CMD_CFGI_STE, "CMD_CFGI_STE" },
        { SMMU_CMD_CFGI_ALL, "CMD_CFGI_ALL" }, /* also CMD_CFGI_STE_RANGE */
        { SMMU_CMD_CFGI_CD, "CMD_CFGI_CD" },
        { SMMU_CMD_CFGI_CD_ALL, "CMD_CFGI_CD_ALL" },
        { SMMU_CMD_TLBI_NH_ALL, "CMD_TLBI_NH_ALL" },
        { SMMU_CMD_TLBI_NH_ASID, "CMD_TLBI_NH_ASID" },
        { SMMU_CMD_TLBI_NH_VA, "CMD_TLBI_NH_VA" },
        { SMMU_CMD_TLBI_NH_VAA, "CMD_TLBI_NH_VAA" },
        { SMMU_CMD_TLBI_EL3_ALL, "CMD_TLBI_EL3_ALL" },
        { SMMU_CMD_TLBI_EL3_VA, "CMD_TLBI_EL3_VA" },
        { SMMU_CMD_TLBI_EL2_ALL, "CMD_TLBI_EL2_ALL" },
        { SMMU_CMD_TLBI_EL2_ASID, "CMD_TLBI_EL2_ASID" },
        { SMMU_CMD_TLBI_EL2_VA, "CMD_TLBI_EL2_VA" },
        { SMMU_CMD_TLBI_EL2_VAA, "CMD_TLBI_EL2_VAA" },
        { SMMU_CMD_TLBI_S12_VMALL, "CMD_TLBI_S12_VMALL" },
        { SMMU_CMD_TLBI_S2_IPA, "CMD_TLBI_S2_IPA" },
        { SMMU_CMD_TLBI_NSNH_ALL, "CMD_TLBI_NSNH_ALL" },
        { SMMU_CMD_ATC_INV, "CMD_ATC_INV" },
        { SMMU_CMD_PRI_RESP, "CMD_PRI_RESP" },
        { SMMU_CMD_RESUME, "CMD_RESUME" },
        { SMMU_CMD_STALL_TERM, "CMD_STALL_TERM" },
        { SMMU_CMD_SYNC, "CMD_SYNC" },
    };
    return lookup(names, ARRAY_SIZE(names), opcode);
}

const char *smmu_cmd_error_name(unsigned cerror)
{
    static const struct name names[] = {
        { SMMU_CERROR_NONE, "CERROR_NONE" },
        { SMMU_CERROR_ILL, "CERROR_ILL" },
        { SMMU_CERROR_ABT, "CERROR_ABT" },
        { SMMU_CERROR_ATC_INV_SYNC, "CERROR_ATC_INV_SYNC" },
    };
    return lookup(names, ARRAY_SIZE(names), cerror);
}

/* ------------------------------------------------------------------------ */
/* Event records (7.3) and global errors                                     */
/* ------------------------------------------------------------------------ */

void smmu_event_decode(const u64 rec[4], struct smmu_event *e)
{
    bool translation_fault;

    e->type = FIELD_GET(SMMU_EVT0_TYPE, rec[0]);
    e->sid = FIELD_GET(SMMU_EVT0_SID, rec[0]);
    e->ssv = rec[0] & SMMU_EVT0_SSV;
    /* C_BAD_SUBSTREAMID always carries a valid SubstreamID and has no SSV
     * bit (7.3.9); everywhere else SSV says whether SubstreamID is valid. */
    if (e->type == SMMU_EVT_C_BAD_SUBSTREAMID)
        e->ssv = true;
    e->ssid = e->ssv ? FIELD_GET(SMMU_EVT0_SSID, rec[0]) : 0;

    /* F_TRANSLATION..F_PERMISSION carry an IPA for stage-2 faults (7.3.13). */
    translation_fault = e->type >= SMMU_EVT_F_TRANSLATION && e->type <= SMMU_EVT_F_PERMISSION;
    e->has_addr = translation_fault || e->type == SMMU_EVT_F_WALK_EABT;
    if (e->has_addr) {
        e->iova = iova(rec[2]);
        e->read = rec[1] & SMMU_EVT1_RNW;
        e->stage2 = rec[1] & SMMU_EVT1_S2;
        e->instr = rec[1] & SMMU_EVT1_IND;
        e->priv = rec[1] & SMMU_EVT1_PNU;
        e->class_ = FIELD_GET(SMMU_EVT1_CLASS, rec[1]);
    } else {
        e->iova = iova(0);
        e->read = e->stage2 = e->instr = e->priv = false;
        e->class_ = 0;
    }
    e->ipa = ipa(translation_fault && e->stage2 ? rec[3] & SMMU_EVT3_IPA : 0);

    switch (e->type) {
    case SMMU_EVT_F_STE_FETCH:
    case SMMU_EVT_F_CD_FETCH:
    case SMMU_EVT_F_VMS_FETCH:
    case SMMU_EVT_F_WALK_EABT:
        e->fetch_addr = pa(rec[3] & SMMU_EVT3_FETCHADDR);
        break;
    default:
        e->fetch_addr = pa(0);
        break;
    }
}

const char *smmu_event_name(unsigned type)
{
    static const struct name names[] = {
        { SMMU_EVT_F_UUT, "F_UUT" },
        { SMMU_EVT_C_BAD_STREAMID, "C_BAD_STREAMID" },
        { SMMU_EVT_F_STE_FETCH, "F_STE_FETCH" },
        { SMMU_EVT_C_BAD_STE, "C_BAD_STE" },
        { SMMU_EVT_F_BAD_ATS_TREQ, "F_BAD_ATS_TREQ" },
        { SMMU_EVT_F_STREAM_DISABLED, "F_STREAM_DISABLED" },
        { SMMU_EVT_F_TRANSL_FORBIDDEN, "F_TRANSL_FORBIDDEN" },
        { SMMU_EVT_C_BAD_SUBSTREAMID, "C_BAD_SUBSTREAMID" },
        { SMMU_EVT_F_CD_FETCH, "F_CD_FETCH" },
        { SMMU_EVT_C_BAD_CD, "C_BAD_CD" },
        { SMMU_EVT_F_WALK_EABT, "F_WALK_EABT" },
        { SMMU_EVT_F_TRANSLATION, "F_TRANSLATION" },
        { SMMU_EVT_F_ADDR_SIZE, "F_ADDR_SIZE" },
        { SMMU_EVT_F_ACCESS, "F_ACCESS" },
        { SMMU_EVT_F_PERMISSION, "F_PERMISSION" },
        { SMMU_EVT_F_TLB_CONFLICT, "F_TLB_CONFLICT" },
        { SMMU_EVT_F_CFG_CONFLICT, "F_CFG_CONFLICT" },
        { SMMU_EVT_E_PAGE_REQUEST, "E_PAGE_REQUEST" },
        { SMMU_EVT_F_VMS_FETCH, "F_VMS_FETCH" },
    };
    if (type >= SMMU_EVT_IMPDEF_FIRST && type <= SMMU_EVT_IMPDEF_LAST)
        return "IMPDEF_EVENT";
    return lookup(names, ARRAY_SIZE(names), type);
}

/* Append s at *pos in buf (capacity len, len > 0), keeping it terminated. */
static void append(char *buf, size_t len, size_t *pos, const char *s)
{
    while (*s && *pos + 1 < len)
        buf[(*pos)++] = *s++;
    buf[*pos] = '\0';
}

void smmu_gerror_names(u32 active, char *buf, size_t len)
{
    static const struct name bits[] = {
        { SMMU_GERROR_CMDQ_ERR, "CMDQ_ERR" },
        { SMMU_GERROR_EVENTQ_ABT_ERR, "EVENTQ_ABT_ERR" },
        { SMMU_GERROR_PRIQ_ABT_ERR, "PRIQ_ABT_ERR" },
        { SMMU_GERROR_MSI_CMDQ_ABT_ERR, "MSI_CMDQ_ABT_ERR" },
        { SMMU_GERROR_MSI_EVENTQ_ABT_ERR, "MSI_EVENTQ_ABT_ERR" },
        { SMMU_GERROR_MSI_PRIQ_ABT_ERR, "MSI_PRIQ_ABT_ERR" },
        { SMMU_GERROR_MSI_GERROR_ABT_ERR, "MSI_GERROR_ABT_ERR" },
        { SMMU_GERROR_SFM_ERR, "SFM_ERR" },
    };
    size_t pos = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
        if (!(active & bits[i].value))
            continue;
        if (pos)
            append(buf, len, &pos, " ");
        append(buf, len, &pos, bits[i].name);
    }
    if (pos == 0)
        append(buf, len, &pos, "none");
}
