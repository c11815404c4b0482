/*
 * zynqmp_pin_model.h — the ZynqMP pin controller granite reports when it is
 * the platform firmware (core/zynqmp_pin_model.c), and the checks the EEMI
 * service makes of pin-controller calls in either mode.
 *
 * Every function takes the caller's 32-bit EEMI arguments as they came
 * (arg[0..3], see core/zynqmp_eemi.c) and fills the answer's payload words,
 * payload[0] being the status.  Nothing here trusts an argument.
 */
#ifndef GRANITE_ZYNQMP_PIN_MODEL_H
#define GRANITE_ZYNQMP_PIN_MODEL_H

#include <granite/types.h>
#include <granite/zynqmp_eemi.h>

struct domain;

#define ZYNQMP_NUM_MIOS 78
#define PINCTRL_PAYLOAD_WORDS 4

/* Pin-controller answers in a response: 16-bit group ids, six per answer. */
#define PINCTRL_GROUPS_PER_RESP 6
#define PINCTRL_END_OF_GROUPS 0xffffU /* no more groups (Linux: NA_GROUP) */
#define PINCTRL_RESERVED_GROUP 0xfffeU /* a mux slot with no group */

/* Boot: every pin back to the model's reset state, no console pins. */
void pin_model_reset(void);
/* Boot: granite's console UART `uart` (a node of the host tree `fdt`): the
 * pins its `pinctrl-0` configuration names are granite's from now on, muxed
 * as that configuration says.  Returns how many pins that is. */
unsigned pin_model_note_console(const void *fdt, int uart);
/* Is `pin` one of granite's console's? */
bool pin_model_console_pin(u32 pin);
/* Boot, after the console's: the hardware domain's own tree `fdt` (as built
 * for it).  The pins the `pinctrl-N` states of its nodes name — its devices'
 * configurations and the pin controller's hogs — less granite's console's,
 * are the ones it may request, release, mux or configure.  Returns how many. */
unsigned pin_model_note_hwdom(const void *fdt);
/* Is `pin` one the hardware domain may change? */
bool pin_model_hwdom_pin(u32 pin);

bool pin_model_is_api(u32 api);
bool pin_model_is_query(u32 qid);
/* Both modes: the checks that do not need the model's tables (pin in range;
 * for a call that changes it, not granite's console's and named by the
 * hardware domain's tree).  PM_RET_SUCCESS or
 * the error, with a rate-limited line for `d`. */
u32 pin_model_check(struct domain *d, u32 api, const u32 arg[4]);
/* Answer mode: serve pin-controller API `api` / PM_QUERY_DATA (arg[0] the
 * query id) from the model. */
void pin_model_call(struct domain *d, u32 api, const u32 arg[4], u32 payload[PINCTRL_PAYLOAD_WORDS]);
void pin_model_query(struct domain *d, const u32 arg[4], u32 payload[PINCTRL_PAYLOAD_WORDS]);

/* Group lookups (the names Linux gives the groups: "<function>_<k>_grp"). */
unsigned pin_model_nr_functions(void);
unsigned pin_model_nr_groups(void);
/* The group id of `name` (a DT `groups` string), or -1. */
int pin_model_group_by_name(const char *name);
/* Does group `group` hold `pin`? */
bool pin_model_group_has_pin(unsigned group, u32 pin);

#endif
