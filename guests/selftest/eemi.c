/*
 * eemi.c — selftest mode test=eemi-forward: the ZynqMP EEMI firmware calls
 * (SMC64, SiP range; encoding in core/zynqmp_eemi.c's head comment) as seen by
 * a domain when granite forwards them to a platform firmware — the scenario
 * zcu102-eemi-forward, where the stand-in firmware (guests/firmware/el3.c)
 * answers API v1.1 and prints "fw: EEMI api N (...)" for every call that
 * reaches it.
 *
 * As the hardware domain (default) it makes, each checked against the answer
 * it must get:
 *   - read-only calls granite passes on: GET_API_VERSION (the firmware's v1.1,
 *     unchanged: granite's own answer would be v1.0), FEATURE_CHECK of
 *     GET_API_VERSION, QUERY_DATA's clock count (0);
 *   - calls granite must refuse without passing them on: a clock change
 *     (CLOCK_ENABLE: XST_PM_NO_ACCESS), the feature check of that clock
 *     change (XST_PM_NO_FEATURE), a power-node request, a reset and a clock
 *     rate query naming ids dom0's tree does not name (uart1's node 22,
 *     reset 1000, clock 57: XST_PM_INVALID_NODE), and the rate of the clock
 *     granite's console shares with gem3 (31, LPD_LSBUS: XST_PM_INVALID_NODE);
 *   - calls naming gem3's ids (gem3 is passed through to dom0), which granite
 *     forwards: REQUEST_NODE of its node 32, RESET_ASSERT of its reset 1032
 *     and CLOCK_GETRATE of its clock 48 (GEM3_TX), whose answer must carry
 *     the stand-in firmware's FW_CLOCK_RATE_HZ.
 * With caller=domu (any other domain): GET_API_VERSION, arg0 = 0xd1 so the
 * firmware's line would show it, must be SMCCC NOT_SUPPORTED.  wait_ms=N
 * first sleeps N ms (two domains' calls in turn keep the firmware's console
 * lines, which take no console lock, apart from granite's and the other's).
 * The scenario checks the other half: which calls printed a "fw:" line.
 * Prints "selftest: eemi-forward: PASS" or names the wrong answers (WRONG).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

#define PM_SIP_SVC 0xC2000000U
#define PM_GET_API_VERSION 1
#define PM_REQUEST_NODE 13
#define PM_RESET_ASSERT 17
#define PM_QUERY_DATA 35
#define PM_CLOCK_ENABLE 36
#define PM_CLOCK_GETRATE 42
#define PM_FEATURE_CHECK 63
#define PM_QID_CLOCK_GET_NUM_CLOCKS 12

#define XST_PM_SUCCESS 0
#define XST_PM_NO_FEATURE 19
#define XST_PM_NO_ACCESS 2002
#define XST_PM_INVALID_NODE 2003
#define SMCCC_NOT_SUPPORTED 0xffffffffffffffffUL

#define PM_API_VERSION_1_1 0x00010001UL /* the stand-in firmware's */
#define FEATURE_VERSION_1 1UL

/* Ids the ZCU102 DT could name but dom0's filtered tree does not (UG1200). */
#define NODE_UART_1 22
#define RESET_FIRST 1000           /* EEMI's reset ids start here (the DT's 0) */
#define CLOCK_UART1_REF 57
/* Ids dom0's tree does name: gem3, passed through to it (its power-domains,
 * resets and clocks), and the clock gem3 shares with granite's console. */
#define NODE_ETH_3 32
#define RESET_GEM3 1032            /* the DT's reset 32 */
#define CLOCK_GEM3_TX 48           /* the DT binding's GEM3_TX (GEM3_REF is 107) */
#define CLOCK_LPD_LSBUS 31         /* uart0's (granite's console) as well as gem3's */
#define FW_CLOCK_RATE_HZ 0x1234567UL /* what the stand-in firmware answers to GETRATE */
#define PM_CAP_ACCESS 1
#define PM_MAX_QOS 100
#define REQ_ACK_BLOCKING 1
#define RESET_ACTION_ASSERT 1

struct eemi_case {
    const char *what;
    uint32_t api, arg[4];
    uint64_t want_x0; /* the whole register: status and payload[1] */
};

/* x0..x1 of the answer (x0 = status | payload[1] << 32). */
static void eemi_smc(uint32_t api, const uint32_t arg[4], uint64_t out[2])
{
    register uint64_t x0 __asm__("x0") = PM_SIP_SVC | api;
    register uint64_t x1 __asm__("x1") = arg[0] | (uint64_t)arg[1] << 32;
    register uint64_t x2 __asm__("x2") = arg[2] | (uint64_t)arg[3] << 32;
    register uint64_t x3 __asm__("x3") = 0;

    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    out[0] = x0;
    out[1] = x1;
}

static const struct eemi_case dom0_cases[] = {
    { "GET_API_VERSION (forwarded: the firmware's v1.1)", PM_GET_API_VERSION, { 0 },
      XST_PM_SUCCESS | PM_API_VERSION_1_1 << 32 },
    { "FEATURE_CHECK(GET_API_VERSION) (forwarded)", PM_FEATURE_CHECK, { PM_GET_API_VERSION },
      XST_PM_SUCCESS | FEATURE_VERSION_1 << 32 },
    { "QUERY_DATA(CLOCK_GET_NUM_CLOCKS) (forwarded)", PM_QUERY_DATA,
      { PM_QID_CLOCK_GET_NUM_CLOCKS }, XST_PM_SUCCESS },
    { "CLOCK_ENABLE(57) (a clock change: refused)", PM_CLOCK_ENABLE, { CLOCK_UART1_REF },
      XST_PM_NO_ACCESS },
    { "FEATURE_CHECK(CLOCK_ENABLE) (granite's answer)", PM_FEATURE_CHECK, { PM_CLOCK_ENABLE },
      XST_PM_NO_FEATURE },
    { "REQUEST_NODE(22) (not in dom0's tree: refused)", PM_REQUEST_NODE,
      { NODE_UART_1, PM_CAP_ACCESS, PM_MAX_QOS, REQ_ACK_BLOCKING }, XST_PM_INVALID_NODE },
    { "RESET_ASSERT(1000) (not in dom0's tree: refused)", PM_RESET_ASSERT,
      { RESET_FIRST, RESET_ACTION_ASSERT }, XST_PM_INVALID_NODE },
    { "CLOCK_GETRATE(57) (not in dom0's tree: refused)", PM_CLOCK_GETRATE, { CLOCK_UART1_REF },
      XST_PM_INVALID_NODE },
    { "CLOCK_GETRATE(31) (granite's console's too: refused)", PM_CLOCK_GETRATE,
      { CLOCK_LPD_LSBUS }, XST_PM_INVALID_NODE },
    { "REQUEST_NODE(32) (gem3's, in dom0's tree: forwarded)", PM_REQUEST_NODE,
      { NODE_ETH_3, PM_CAP_ACCESS, PM_MAX_QOS, REQ_ACK_BLOCKING }, XST_PM_SUCCESS },
    { "RESET_ASSERT(1032) (gem3's: forwarded)", PM_RESET_ASSERT,
      { RESET_GEM3, RESET_ACTION_ASSERT }, XST_PM_SUCCESS },
    { "CLOCK_GETRATE(48) (gem3's: forwarded)", PM_CLOCK_GETRATE,
      { CLOCK_GEM3_TX }, XST_PM_SUCCESS | FW_CLOCK_RATE_HZ << 32 },
};

#define DOMU_MARK 0xd1 /* in arg0: the firmware's line would show it */
static const struct eemi_case domu_cases[] = {
    { "GET_API_VERSION from a domU (refused)", PM_GET_API_VERSION,
      { DOMU_MARK }, SMCCC_NOT_SUPPORTED },
};

int test_eemi_forward(const struct guest_info *gi)
{
    char caller[8];
    bool domu = guest_arg("caller", caller, sizeof(caller)) && !strcmp(caller, "domu");
    const struct eemi_case *c = domu ? domu_cases : dom0_cases;
    size_t n = domu ? sizeof(domu_cases) / sizeof(*c) : sizeof(dom0_cases) / sizeof(*c);
    unsigned wrong = 0;
    char buf[16];

    (void)gi;
    if (guest_arg("wait_ms", buf, sizeof(buf)))
        guest_delay_us((uint64_t)atoi(buf) * 1000);
    for (size_t i = 0; i < n; i++) {
        uint64_t out[2];
        eemi_smc(c[i].api, c[i].arg, out);
        bool ok = out[0] == c[i].want_x0;
        printf("selftest: eemi-forward: %s: x0 0x%lx x1 0x%lx: %s\n", c[i].what,
               (unsigned long)out[0], (unsigned long)out[1], ok ? "as expected" : "WRONG");
        if (!ok) {
            printf("selftest: eemi-forward:   expected x0 0x%lx\n", (unsigned long)c[i].want_x0);
            wrong++;
        }
    }
    printf("selftest: eemi-forward: %s\n", wrong ? "FAIL" : "PASS");
    return wrong ? 1 : 0;
}
