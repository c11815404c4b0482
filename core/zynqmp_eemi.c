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
 *     powered and out of reset), and a clock tree with no clocks (QEMU models
 *     no clock controller whose rates could be reported truthfully).
 * Every argument is checked: a node or reset must be one the board's DT names
 * (a `power-domains` or `resets` reference to the firmware) and not granite's
 * console UART's, a requirement's capabilities and QoS must be in range.  Anything else is answered
 * XST_PM_NO_FEATURE / XST_PM_INVALID_NODE with a rate-limited log line.
 * Only the hardware domain may call: other domains own no board devices.
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
#define PM_CLOCK_GETPARENT 44
#define PM_FEATURE_CHECK 63
#define PM_GET_TRUSTZONE_VERSION 0xa03 /* TF-A's own, in the same range */

/* PM_QUERY_DATA query ids. */
#define PM_QID_CLOCK_GET_NAME 1
#define PM_QID_CLOCK_GET_NUM_CLOCKS 12

/* Status codes (payload[0]). */
#define XST_PM_SUCCESS 0
#define XST_PM_NO_FEATURE 19
#define XST_PM_INVALID_NODE 2003

#define PM_API_VERSION_1_0 0x00010000U /* major << 16 | minor */
#define TZ_VERSION_1_0 0x00010000U
#define FEATURE_VERSION_1 1            /* PM_FEATURE_CHECK: version of the API checked */

#define PM_CAPABILITIES_MASK 0xfU /* ACCESS, CONTEXT, WAKEUP, UNUSABLE */
#define PM_MAX_QOS 100
#define PM_REQUEST_ACK_MAX 3      /* NO, BLOCKING, NON_BLOCKING */
#define RESET_ID_BASE 1000
#define RESET_ACTION_MAX 2        /* RELEASE, ASSERT, PULSE */

#define MAX_IDS 256 /* node and reset ids the DT can name (EEMI's are below 256) */

static bool forward;
static u64 valid_nodes[MAX_IDS / 64], valid_resets[MAX_IDS / 64];

static bool id_valid(const u64 *set, u32 id) { return id < MAX_IDS && (set[id / 64] >> (id % 64)) & 1; }
static void id_add(u64 *set, u32 id)
{
    if (id < MAX_IDS)
        set[id / 64] |= 1UL << (id % 64);
}
static void id_remove(u64 *set, u32 id)
{
    if (id < MAX_IDS)
        set[id / 64] &= ~(1UL << (id % 64));
}

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
    return api >= PM_CLOCK_ENABLE && api <= PM_CLOCK_GETPARENT;
}

/* --- boot: what the board names ------------------------------------------- */

/* Every one-cell specifier of `prop` (phandle, id pairs) naming `phandle`. */
static __boot unsigned collect_ids(const void *fdt, const char *prop, u32 phandle, u32 base,
                                   u64 *set)
{
    unsigned n = 0;
    int node;

    for (node = fdt_next_node(fdt, -1, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        int len;
        const fdt32_t *p = fdt_getprop(fdt, node, prop, &len);
        if (!p || len % 8) /* pairs only: a longer specifier is not this provider's */
            continue;
        for (int i = 0; i + 1 < len / 4; i += 2) {
            if (fdt32_to_cpu(p[i]) == phandle) {
                id_add(set, fdt32_to_cpu(p[i + 1]) - base);
                n++;
            }
        }
    }
    return n;
}

/* granite's console UART is granite's: dom0 may neither power it down nor
 * reset it, whoever else shares its power node. */
static __boot void withhold_console(const void *fdt, u32 fw_phandle, u32 rst_phandle)
{
    int uart = dt_console_node(fdt), len;
    const fdt32_t *p;

    if (uart < 0)
        return;
    p = fdt_getprop(fdt, uart, "power-domains", &len);
    for (int i = 0; p && i + 1 < len / 4; i += 2)
        if (fdt32_to_cpu(p[i]) == fw_phandle)
            id_remove(valid_nodes, fdt32_to_cpu(p[i + 1]));
    p = fdt_getprop(fdt, uart, "resets", &len);
    for (int i = 0; p && rst_phandle && i + 1 < len / 4; i += 2)
        if (fdt32_to_cpu(p[i]) == rst_phandle)
            id_remove(valid_resets, fdt32_to_cpu(p[i + 1]));
}

static __boot bool eemi_probe(const void *fdt)
{
    int fw = fdt_node_offset_by_compatible(fdt, -1, "xlnx,zynqmp-firmware");
    int rst = fdt_node_offset_by_compatible(fdt, -1, "xlnx,zynqmp-reset");
    u64 res[4];
    unsigned nodes, resets = 0;
    int len;
    const char *method;

    memset(valid_nodes, 0, sizeof(valid_nodes));
    memset(valid_resets, 0, sizeof(valid_resets));
    if (fw < 0)
        return false;
    method = fdt_getprop(fdt, fw, "method", &len);
    if (!method || len != 4 || memcmp(method, "smc", 4)) {
        printk("smc: ZynqMP EEMI: %s: not served\n",
               dt_node_msg(fdt, fw, "method is not \"smc\""));
        return false;
    }
    nodes = collect_ids(fdt, "power-domains", fdt_get_phandle(fdt, fw), 0, valid_nodes);
    if (rst >= 0)
        resets = collect_ids(fdt, "resets", fdt_get_phandle(fdt, rst), 0, valid_resets);
    withhold_console(fdt, fdt_get_phandle(fdt, fw), rst >= 0 ? fdt_get_phandle(fdt, rst) : 0);
    /* Is there a firmware behind the SMC? Its answer to the first EEMI call says. */
    arch_firmware_smc((u64[8]){ PM_SIP_SVC | PM_GET_API_VERSION }, res);
    forward = (u32)res[0] == XST_PM_SUCCESS;
    if (forward)
        printk("smc: ZynqMP EEMI (SiP): firmware API v%u.%u: dom0's calls forwarded "
               "(%u power-node and %u reset references in the DT)\n",
               (u32)(res[0] >> 48), (u32)(res[0] >> 32) & 0xffff, nodes, resets);
    else
        printk("smc: ZynqMP EEMI (SiP): no firmware answers (GET_API_VERSION: 0x%x): granite "
               "answers dom0 (API v1.0, no clocks; %u power-node and %u reset references in "
               "the DT)\n", (u32)res[0], nodes, resets);
    return true;
}

/* --- serving a call ------------------------------------------------------- */

struct eemi_call {
    u32 api, arg[4];
    u32 payload[4]; /* [0] is the status */
};

static u32 check_args(struct domain *d, const struct eemi_call *c)
{
    u32 bad = XST_PM_SUCCESS;

    switch (c->api) {
    case PM_REQUEST_NODE:
    case PM_SET_REQUIREMENT:
        if ((c->arg[1] & ~PM_CAPABILITIES_MASK) || c->arg[2] > PM_MAX_QOS ||
            c->arg[3] > PM_REQUEST_ACK_MAX)
            bad = XST_PM_INVALID_NODE;
        __attribute__((fallthrough)); /* the node too */
    case PM_RELEASE_NODE:
        if (!id_valid(valid_nodes, c->arg[0]))
            bad = XST_PM_INVALID_NODE;
        break;
    case PM_RESET_ASSERT:
        if (c->arg[1] > RESET_ACTION_MAX)
            bad = XST_PM_INVALID_NODE;
        __attribute__((fallthrough));
    case PM_RESET_GET_STATUS:
        if (c->arg[0] < RESET_ID_BASE || !id_valid(valid_resets, c->arg[0] - RESET_ID_BASE))
            bad = XST_PM_INVALID_NODE;
        break;
    }
    if (bad)
        dlog(d, "smc: d%u: EEMI API %u (0x%x, 0x%x, 0x%x, 0x%x): a node, reset or "
             "requirement the board does not name: refused\n",
             d->id, c->api, c->arg[0], c->arg[1], c->arg[2], c->arg[3]);
    return bad;
}

/* What a firmware implementing only the discovery calls and nothing it cannot
 * honour on this model answers. */
static void answer(struct eemi_call *c)
{
    u32 *p = c->payload;

    p[0] = XST_PM_SUCCESS;
    switch (c->api) {
    case PM_GET_API_VERSION:
        p[1] = PM_API_VERSION_1_0;
        break;
    case PM_GET_TRUSTZONE_VERSION:
        p[1] = TZ_VERSION_1_0;
        break;
    case PM_FEATURE_CHECK:
        if (api_served(c->arg[0]))
            p[1] = FEATURE_VERSION_1;
        else
            p[0] = XST_PM_NO_FEATURE;
        break;
    case PM_QUERY_DATA:
        /* No clocks: the count is 0, a name is all zeros (as for an invalid
         * clock), any other query has nothing to answer about. */
        if (c->arg[0] == PM_QID_CLOCK_GET_NUM_CLOCKS)
            p[1] = 0;
        else if (c->arg[0] != PM_QID_CLOCK_GET_NAME)
            p[0] = XST_PM_NO_FEATURE;
        break;
    case PM_RESET_GET_STATUS:
        p[1] = 0; /* released: the model's devices are never held in reset */
        break;
    default:
        if (c->api >= PM_CLOCK_ENABLE && c->api <= PM_CLOCK_GETPARENT)
            p[0] = XST_PM_INVALID_NODE; /* no clock exists */
        /* REQUEST/RELEASE_NODE, SET_REQUIREMENT, RESET_ASSERT, INIT_FINALIZE:
         * acknowledged, nothing to change on the model */
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
    if (c.payload[0] == XST_PM_SUCCESS) {
        /* Forwarded, except a feature check of an API granite does not pass on. */
        if (forward && !(c.api == PM_FEATURE_CHECK && !api_served(c.arg[0]))) {
            u64 res[4];
            arch_firmware_smc((u64[8]){ fid, r->x[1], r->x[2] }, res);
            r->x[0] = res[0];
            r->x[1] = res[1];
            r->x[2] = res[2];
            r->x[3] = res[3];
            return;
        }
        answer(&c);
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
    .call = eemi_call,
};
