/*
 * zynqmp_eemi.c — the ZynqMP platform-management firmware interface (EEMI)
 * as the hardware domain sees it through granite.
 *
 * On a ZynqMP, Linux's zynqmp-firmware driver (the DT node compatible
 * "xlnx,zynqmp-firmware", method "smc") asks the platform firmware — TF-A,
 * which relays to the PMU firmware — for versions, power nodes, resets and
 * clocks.  The calls are SMC64 fast calls in the SiP range:
 *   x0 = 0xC2000000 | API id
 *   x1 = arg0 | arg1 << 32,  x2 = arg2 | arg3 << 32
 * and the answer is a status and a payload of 32-bit words:
 *   x0 = status | payload[1] << 32,  x1 = payload[2] | payload[3] << 32
 * (API ids, query ids and status codes as listed in the Zynq UltraScale+
 * EEMI documentation, UG1200, and Linux's include/linux/firmware/xlnx-zynqmp.h).
 *
 * Two ways to serve, chosen once at boot:
 *   - forward: the platform has the firmware (PM_GET_API_VERSION answered
 *     with success): the hardware domain's calls of the APIs below go to it
 *     after the same argument checks;
 *   - answer: there is none (QEMU's model answers NOT_SUPPORTED to any SiP
 *     call): granite answers as the interface defines for a firmware that
 *     implements the discovery calls and nothing it cannot honour — API
 *     version 1.0 and TF-A version 1.0 (the least Linux accepts),
 *     PM_FEATURE_CHECK naming exactly the APIs below, power-node requests,
 *     resets and PM_INIT_FINALIZE acknowledged (the model's devices are always
 *     powered and out of reset), and the clock tree of
 *     core/zynqmp_clock_model.c: the clocks the board's DT names, each a
 *     fixed factor of the board's pss_ref_clk at a NOMINAL rate (QEMU's
 *     devices follow no clock, so no rate could be measured), none with a
 *     gate, mux or divider.  Its PM_QUERY_DATA clock queries describe the
 *     whole tree; the PM_CLOCK_* calls on one of the hardware domain's own
 *     modelled clocks answer "running" (GETSTATE), its nominal rate
 *     (GETRATE), parent 0 (GETPARENT), no divider (GETDIVIDER:
 *     PM_RET_INVALID_PARAM); ENABLE is acknowledged, every other change
 *     refused PM_RET_ERROR_ACCESS (a fixed rate, ungated).  A board tree
 *     without pss_ref_clk's rate gets no clocks.  And the ZynqMP's pin
 *     controller: its pin queries and PM_PINCTRL_* calls
 *     are answered from core/zynqmp_pin_model.c (PM_PINCTRL_CONFIG_PARAM_SET
 *     feature version 2: the model has the tri-state parameter).
 * Every argument is checked: a node, reset or clock must be one the hardware
 * domain's own tree names (a `power-domains`, `resets` or `clocks` reference
 * to the firmware's providers, in the tree granite built for it: devices
 * withheld from it — passed through to another domain, granite's console —
 * are not in it) and not granite's console UART's (else
 * PM_RET_ERROR_INVALID_NODE); a requirement's capabilities, QoS and
 * acknowledgement (1..3) and a reset's action must be in range (else
 * PM_RET_INVALID_PARAM); a feature check or PM_QUERY_DATA query of
 * something granite does not serve is answered PM_RET_ERROR_NOFEATURE.
 * Each refusal but a feature check's has a rate-limited log line.
 * Only the hardware domain may call: other domains own no board devices.
 * Pins, in both modes: a pin must exist, and a call that changes one
 * (request, release, set function, set parameter) must name a pin that a
 * `pinctrl-N` state of the hardware domain's own tree names (its devices'
 * configurations and the pin controller's hogs, as for nodes, resets and
 * clocks: a withheld device's pins are not there) and that is not one of
 * granite's console UART's `pinctrl-0` configuration: PM_RET_ERROR_ACCESS
 * (2002) otherwise.  Reads and queries are not restricted.  Forwarded, the
 * firmware judges the rest (core/zynqmp_pin_model.c).
 *
 * Clocks, forwarded: a clock call that changes state (enable, disable, set
 * divider, rate or parent) is never passed on, PM_RET_ERROR_ACCESS: one clock
 * feeds many devices (granite's console UART's reference clock among them —
 * gated, the UART stops transmitting), and which device owns which share of
 * the clock tree is not something the DT says.  Read-only queries (state,
 * divider, rate, parent) of a clock the hardware domain's tree names are
 * passed on.  Linux's clock framework copes with refused calls (it logs them);
 * its "disable unused clocks" pass is exactly what must not reach the firmware.
 *
 * Not handled: in forward mode PM_INIT_FINALIZE tells the firmware that
 * nodes nobody requested may be powered off.  granite requests none for its
 * own console UART, so a firmware that honours that could power it off.
 * Forward mode has run only against a stand-in EL3 firmware on QEMU's model
 * (guests/firmware/el3.c; scenarios zcu102-eemi-forward and
 * zcu102-linux-dom0-forward, where Linux's PM_INIT_FINALIZE does reach it; the
 * stand-in powers nothing off), not with a real TF-A / PMU firmware.  README,
 * ZCU102 limits.
 *
 * Assumes: the board DT's firmware node is "xlnx,zynqmp-firmware" with
 * #power-domain-cells = 1, and its reset controller "xlnx,zynqmp-reset" has
 * #reset-cells = 1 (resets numbered from 1000 in EEMI, from 0 in the DT).
 */
#include <libfdt.h>
#include <granite/smc_service.h>
#include <granite/arch.h>
#include <granite/boot.h>
#include <granite/console.h>
#include <granite/dlog.h>
#include <granite/domain.h>
#include <granite/zynqmp_eemi.h>
#include <granite/zynqmp_clock_model.h>
#include <granite/zynqmp_pin_model.h>

#define PM_SIP_SVC 0xC2000000U

/* EEMI API ids. */
#define PM_GET_API_VERSION 1
#define PM_REQUEST_NODE 13
#define PM_RELEASE_NODE 14
#define PM_SET_REQUIREMENT 15
#define PM_RESET_ASSERT 17
#define PM_RESET_GET_STATUS 18
#define PM_INIT_FINALIZE 21
#define PM_QUERY_DATA 35
#define PM_CLOCK_ENABLE 36
#define PM_CLOCK_DISABLE 37
#define PM_CLOCK_GETSTATE 38
#define PM_CLOCK_SETDIVIDER 39
#define PM_CLOCK_GETDIVIDER 40
#define PM_CLOCK_SETRATE 41
#define PM_CLOCK_GETRATE 42
#define PM_CLOCK_SETPARENT 43
#define PM_CLOCK_GETPARENT 44
#define PM_FEATURE_CHECK 63
#define PM_GET_TRUSTZONE_VERSION 0xa03 /* TF-A's own, in the same range */

#define PM_API_VERSION_1_0 0x00010000U /* major << 16 | minor */
#define TZ_VERSION_1_0 0x00010000U
#define FEATURE_VERSION_1 1            /* PM_FEATURE_CHECK: version of the API checked */
#define CLOCK_STATE_RUNNING 1          /* PM_CLOCK_GETSTATE: enabled */

#define PM_CAPABILITIES_MASK 0xfU /* ACCESS, CONTEXT, WAKEUP, UNUSABLE */
#define PM_MAX_QOS 100
/* A request's acknowledgement: there is no 0. */
#define PM_REQUEST_ACK_NO 1
#define PM_REQUEST_ACK_NON_BLOCKING 3 /* NO, BLOCKING, NON_BLOCKING */
#define RESET_ACTION_MAX 2        /* RELEASE, ASSERT, PULSE */

#define MAX_IDS 256 /* node, reset and clock ids the DT can name (EEMI's are below 256) */
#define MAX_SPEC_CELLS 8 /* sanity bound on a provider's #...-cells */

struct id_set {
    u64 bits[MAX_IDS / 64];
};

/* What one provider's references are read as. */
struct provider {
    const char *compatible, *prop, *cells_prop;
    u32 base; /* EEMI id of the DT's index 0 */
};

enum { PROV_POWER, PROV_RESET, PROV_CLOCK, NR_PROV };

static const struct provider providers[NR_PROV] = {
    [PROV_POWER] = { "xlnx,zynqmp-firmware", "power-domains", "#power-domain-cells", 0 },
    [PROV_RESET] = { "xlnx,zynqmp-reset", "resets", "#reset-cells", 1000 },
    [PROV_CLOCK] = { "xlnx,zynqmp-clk", "clocks", "#clock-cells", 0 },
};

static bool forward;
/* The hardware domain's (filled from its tree, see eemi_hwdom_tree); granite's
 * console UART's (from the host tree at probe), never the hardware domain's. */
static struct id_set owned[NR_PROV], console_ids[NR_PROV];

static bool id_valid(const struct id_set *set, u32 id)
{
    return id < MAX_IDS && (set->bits[id / 64] >> (id % 64)) & 1;
}
static void id_add(struct id_set *set, u32 id)
{
    if (id < MAX_IDS)
        set->bits[id / 64] |= 1UL << (id % 64);
}

/* The hardware domain may name `id` of provider `k` (an EEMI id). */
static bool owns(unsigned k, u32 id)
{
    return id >= providers[k].base && id_valid(&owned[k], id - providers[k].base);
}

static bool clock_changes_state(u32 api)
{
    return api == PM_CLOCK_ENABLE || api == PM_CLOCK_DISABLE || api == PM_CLOCK_SETDIVIDER ||
           api == PM_CLOCK_SETRATE || api == PM_CLOCK_SETPARENT;
}

static bool is_clock_call(u32 api) { return api >= PM_CLOCK_ENABLE && api <= PM_CLOCK_GETPARENT; }

static bool api_served(u32 api)
{
    switch (api) {
    case PM_GET_API_VERSION:
    case PM_REQUEST_NODE:
    case PM_RELEASE_NODE:
    case PM_SET_REQUIREMENT:
    case PM_RESET_ASSERT:
    case PM_RESET_GET_STATUS:
    case PM_INIT_FINALIZE:
    case PM_QUERY_DATA:
    case PM_FEATURE_CHECK:
    case PM_GET_TRUSTZONE_VERSION:
        return true;
    }
    return is_clock_call(api) || pin_model_is_api(api);
}

/* What a forwarding granite passes on (a feature check of anything else
 * answers NO_FEATURE): the served APIs but clock changes. */
static bool api_forwarded(u32 api) { return api_served(api) && !clock_changes_state(api); }

/* --- boot: what the board names ------------------------------------------- */

/*
 * Every specifier in `node`'s `prop` naming provider `phandle` with one cell
 * (the id) goes into `set`.  Each entry's length comes from its own
 * provider's cells property; an entry naming no node, or a provider without
 * that property, ends the walk (the rest cannot be parsed).
 */
static __boot unsigned node_ids(const void *fdt, int node, const struct provider *pv, u32 phandle,
                                struct id_set *set)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, pv->prop, &len);
    unsigned n = 0, words = p && len > 0 ? (unsigned)len / 4 : 0;

    for (unsigned i = 0; i < words;) {
        u32 ph = fdt32_to_cpu(p[i]);
        int prov = fdt_node_offset_by_phandle(fdt, ph), clen;
        const fdt32_t *cells = prov >= 0 ? fdt_getprop(fdt, prov, pv->cells_prop, &clen) : NULL;
        u32 nc = cells && clen == 4 ? fdt32_to_cpu(*cells) : MAX_SPEC_CELLS + 1;

        if (nc > MAX_SPEC_CELLS || i + 1 + nc > words)
            break;
        if (ph == phandle && nc == 1) {
            id_add(set, fdt32_to_cpu(p[i + 1]));
            n++;
        }
        i += 1 + nc;
    }
    return n;
}

/* The provider's phandle in `fdt`, 0 when the tree has none. */
static __boot u32 provider_phandle(const void *fdt, const struct provider *pv)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, pv->compatible);
    return node >= 0 ? fdt_get_phandle(fdt, node) : 0;
}

/* Every reference in the tree to provider `k`, into `set`. */
static __boot unsigned tree_ids(const void *fdt, unsigned k, struct id_set *set)
{
    u32 ph = provider_phandle(fdt, &providers[k]);
    unsigned n = 0;

    if (!ph)
        return 0;
    for (int node = fdt_next_node(fdt, -1, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL))
        n += node_ids(fdt, node, &providers[k], ph, set);
    return n;
}

/* granite's console UART is granite's: dom0 may neither power it down, reset
 * it nor touch its clocks, whoever else shares them. */
static __boot void note_console(const void *fdt)
{
    int uart = dt_console_node(fdt);

    memset(console_ids, 0, sizeof(console_ids));
    pin_model_reset();
    if (uart >= 0)
        printk("smc: ZynqMP EEMI: granite's console keeps its %u MIO pin(s) (pinctrl-0): "
               "dom0 may not re-mux or reconfigure them\n", pin_model_note_console(fdt, uart));
    for (unsigned k = 0; uart >= 0 && k < NR_PROV; k++) {
        u32 ph = provider_phandle(fdt, &providers[k]);
        if (ph)
            node_ids(fdt, uart, &providers[k], ph, &console_ids[k]);
    }
}

/*
 * The hardware domain's tree as built (core/dom0_dt.c keeps the devices it
 * owns and drops the ones withheld from it): the ids its nodes name are the
 * ones it may switch, and the MIO pins its pinctrl states name the ones it
 * may change, minus granite's console's.  Until this runs it owns none.
 */
static __boot void eemi_hwdom_tree(const void *fdt)
{
    unsigned n[NR_PROV];

    memset(owned, 0, sizeof(owned));
    for (unsigned k = 0; k < NR_PROV; k++) {
        n[k] = tree_ids(fdt, k, &owned[k]);
        for (unsigned w = 0; w < MAX_IDS / 64; w++)
            owned[k].bits[w] &= ~console_ids[k].bits[w];
    }
    printk("smc: ZynqMP EEMI: d%u's tree names %u power-node, %u reset and %u clock "
           "references (granite's console's excluded): the ones it may use\n",
           HWDOM_ID, n[PROV_POWER], n[PROV_RESET], n[PROV_CLOCK]);
    printk("smc: ZynqMP EEMI: d%u's pinctrl states name %u MIO pin(s) (granite's console's "
           "excluded): the ones it may request, re-mux or reconfigure\n", HWDOM_ID,
           pin_model_note_hwdom(fdt));
}

static __boot bool eemi_probe(const void *fdt)
{
    int fw = fdt_node_offset_by_compatible(fdt, -1, "xlnx,zynqmp-firmware");
    u64 res[4];
    int len;
    const char *method;

    memset(owned, 0, sizeof(owned));
    if (fw < 0)
        return false;
    method = fdt_getprop(fdt, fw, "method", &len);
    if (!method || len != 4 || memcmp(method, "smc", 4)) {
        printk("smc: ZynqMP EEMI: %s: not served\n",
               dt_node_msg(fdt, fw, "method is not \"smc\""));
        return false;
    }
    note_console(fdt);
    /* Is there a firmware behind the SMC? Its answer to the first EEMI call says. */
    arch_firmware_smc((u64[8]){ PM_SIP_SVC | PM_GET_API_VERSION }, res);
    forward = (u32)res[0] == PM_RET_SUCCESS;
    if (forward)
        printk("smc: ZynqMP EEMI (SiP): firmware API v%u.%u: dom0's calls forwarded "
               "(clock changes refused)\n", (u32)(res[0] >> 48), (u32)(res[0] >> 32) & 0xffff);
    else {
        unsigned nclk = zynqmp_clock_model_probe(fdt);
        printk("smc: ZynqMP EEMI (SiP): no firmware answers (GET_API_VERSION: 0x%x): granite "
               "answers dom0 (API v1.0, %u clocks modelled: fixed factors of a %u Hz "
               "pss_ref_clk, nominal rates)\n", (u32)res[0], nclk, zynqmp_clock_model_ref_hz());
    }
    return true;
}

/* --- serving a call ------------------------------------------------------- */

struct eemi_call {
    u32 api, arg[4];
    u32 payload[4]; /* [0] is the status */
};

/* REQUEST_NODE / SET_REQUIREMENT (node, capabilities, QoS, ack). */
static bool requirement_valid(const struct eemi_call *c)
{
    return !(c->arg[1] & ~PM_CAPABILITIES_MASK) && c->arg[2] <= PM_MAX_QOS &&
           c->arg[3] >= PM_REQUEST_ACK_NO && c->arg[3] <= PM_REQUEST_ACK_NON_BLOCKING;
}

/* An argument out of range is PM_RET_INVALID_PARAM; a node, reset or clock
 * that is not the caller's PM_RET_ERROR_INVALID_NODE, which wins. */
static u32 check_args(struct domain *d, const struct eemi_call *c)
{
    u32 bad = PM_RET_SUCCESS;

    switch (c->api) {
    case PM_REQUEST_NODE:
    case PM_SET_REQUIREMENT:
        if (!requirement_valid(c))
            bad = PM_RET_INVALID_PARAM;
        __attribute__((fallthrough)); /* the node too */
    case PM_RELEASE_NODE:
        if (!owns(PROV_POWER, c->arg[0]))
            bad = PM_RET_ERROR_INVALID_NODE;
        break;
    case PM_RESET_ASSERT:
        if (c->arg[1] > RESET_ACTION_MAX)
            bad = PM_RET_INVALID_PARAM;
        __attribute__((fallthrough));
    case PM_RESET_GET_STATUS:
        if (!owns(PROV_RESET, c->arg[0]))
            bad = PM_RET_ERROR_INVALID_NODE;
        break;
    default:
        /* A clock call: the hardware domain's own clocks only, and answered,
         * only the ones the model has (core/zynqmp_clock_model.c). */
        if (is_clock_call(c->api) &&
            (!owns(PROV_CLOCK, c->arg[0]) || (!forward && !zynqmp_clock_modelled(c->arg[0]))))
            bad = PM_RET_ERROR_INVALID_NODE;
        break;
    }
    if (pin_model_is_api(c->api))
        return pin_model_check(d, c->api, c->arg); /* logs its own refusals */
    if (forward && clock_changes_state(c->api)) {
        dlog(d, "smc: d%u: EEMI clock API %u (clock 0x%x, 0x%x): a clock change, never "
             "forwarded: refused\n", d->id, c->api, c->arg[0], c->arg[1]);
        return PM_RET_ERROR_ACCESS;
    }
    if (bad)
        dlog(d, "smc: d%u: EEMI API %u (0x%x, 0x%x, 0x%x, 0x%x): %s: refused\n", d->id, c->api,
             c->arg[0], c->arg[1], c->arg[2], c->arg[3],
             bad == PM_RET_INVALID_PARAM
                 ? "a requirement (capabilities, QoS, ack) or reset action out of range"
                 : "a node, reset or clock not dom0's (its tree does not name it, or "
                   "granite's console's)");
    if (!bad && !forward && clock_changes_state(c->api) && c->api != PM_CLOCK_ENABLE) {
        dlog(d, "smc: d%u: EEMI clock API %u (clock %u, 0x%x): the model's clocks run at "
             "fixed rates, ungated: refused\n", d->id, c->api, c->arg[0], c->arg[1]);
        return PM_RET_ERROR_ACCESS;
    }
    return bad;
}

/* What a firmware implementing only the discovery calls and nothing it cannot
 * honour on this model answers. */
static void answer(struct domain *d, struct eemi_call *c)
{
    u32 *p = c->payload;
    u64 rate;

    p[0] = PM_RET_SUCCESS;
    switch (c->api) {
    case PM_GET_API_VERSION:
        p[1] = PM_API_VERSION_1_0;
        break;
    case PM_GET_TRUSTZONE_VERSION:
        p[1] = TZ_VERSION_1_0;
        break;
    case PM_FEATURE_CHECK:
        if (!(forward ? api_forwarded(c->arg[0]) : api_served(c->arg[0])))
            p[0] = PM_RET_ERROR_NOFEATURE;
        else if (c->arg[0] == PM_PINCTRL_CONFIG_PARAM_SET)
            p[1] = PM_PINCTRL_PARAM_SET_VERSION; /* the model has the tri-state parameter */
        else
            p[1] = FEATURE_VERSION_1;
        break;
    case PM_QUERY_DATA:
        if (pin_model_is_query(c->arg[0])) {
            pin_model_query(d, c->arg, p);
            break;
        }
        /* The clock tree's queries are the model's; no other is served. */
        if (!zynqmp_clock_is_query(c->arg[0])) {
            p[0] = PM_RET_ERROR_NOFEATURE;
            dlog(d, "smc: d%u: EEMI PM_QUERY_DATA query %u (0x%x, 0x%x): not one granite "
                 "answers: no feature\n", d->id, c->arg[0], c->arg[1], c->arg[2]);
        } else if (zynqmp_clock_query(c->arg, p) != PM_RET_SUCCESS)
            dlog(d, "smc: d%u: EEMI clock query %u (clock %u, index %u): not in the "
                 "model's clock tree: refused\n", d->id, c->arg[0], c->arg[1], c->arg[2]);
        break;
    /* Clock calls (a modelled clock of dom0's, check_args): a fixed factor
     * of pss_ref_clk, always running. */
    case PM_CLOCK_GETSTATE:
        p[1] = CLOCK_STATE_RUNNING;
        break;
    case PM_CLOCK_GETRATE:
        rate = zynqmp_clock_rate(c->arg[0]);
        p[1] = (u32)rate;
        p[2] = (u32)(rate >> 32);
        break;
    case PM_CLOCK_GETPARENT:
        p[1] = 0; /* its only parent */
        break;
    case PM_CLOCK_GETDIVIDER:
        p[0] = PM_RET_INVALID_PARAM; /* a fixed factor has no divider */
        break;
    case PM_RESET_GET_STATUS:
        p[1] = 0; /* released: the model's devices are never held in reset */
        break;
    default:
        if (pin_model_is_api(c->api)) {
            pin_model_call(d, c->api, c->arg, p);
            break;
        }
        /* REQUEST/RELEASE_NODE, SET_REQUIREMENT, RESET_ASSERT, INIT_FINALIZE,
         * CLOCK_ENABLE (of a running clock): acknowledged, nothing to change
         * on the model */
        break;
    }
}

static void eemi_call(struct domain *d, unsigned vcpu, struct smccc_regs *r)
{
    u32 fid = (u32)r->x[0];
    struct eemi_call c = { .api = fid & SMCCC_FUNC_MASK };

    c.arg[0] = (u32)r->x[1];
    c.arg[1] = (u32)(r->x[1] >> 32);
    c.arg[2] = (u32)r->x[2];
    c.arg[3] = (u32)(r->x[2] >> 32);
    if (d->id != HWDOM_ID || !(fid & SMCCC_64) || (fid & ~SMCCC_FUNC_MASK) != PM_SIP_SVC ||
        !api_served(c.api)) {
        dlog(d, "smc: d%u vcpu%u: SiP call 0x%08x: not an EEMI call granite serves to this "
             "domain: NOT_SUPPORTED\n", d->id, vcpu, fid);
        r->x[0] = (u64)SMCCC_RET_UNKNOWN;
        return;
    }
    c.payload[0] = check_args(d, &c);
    if (c.payload[0] == PM_RET_SUCCESS) {
        /* Forwarded, except a feature check of an API granite does not pass on. */
        if (forward && !(c.api == PM_FEATURE_CHECK && !api_forwarded(c.arg[0]))) {
            u64 res[4];
            arch_firmware_smc((u64[8]){ fid, r->x[1], r->x[2] }, res);
            r->x[0] = res[0];
            r->x[1] = res[1];
            r->x[2] = res[2];
            r->x[3] = res[3];
            return;
        }
        answer(d, &c);
    }
    r->x[0] = c.payload[0] | (u64)c.payload[1] << 32;
    r->x[1] = c.payload[2] | (u64)c.payload[3] << 32;
    r->x[2] = 0;
    r->x[3] = 0;
}

const struct smc_service zynqmp_eemi_service = {
    .name = "ZynqMP EEMI",
    .owner = SMCCC_OWNER_SIP,
    .probe = eemi_probe,
    .hwdom_tree = eemi_hwdom_tree,
    .call = eemi_call,
};
