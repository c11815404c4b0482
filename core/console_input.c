/*
 * console_input.c — where characters typed on the real console go.
 *
 * Input goes to one domain at a time, through its emulated PL011: dom0 at
 * first.  Pressing Ctrl-A three times in a row (as on Xen) moves the input to
 * the next domain that has a vPL011, and granite says which one has it now.
 * Ctrl-A once then 'e' prints the IOMMU counters and every vCPU's exit
 * counters (vcpu_stats.h), ending with "stats: dump done", instead of passing
 * the 'e' on; with dump=maps, the address-space maps first (map_dump.h).
 * Characters arrive from the UART's receive interrupt (drivers/pl011.c).
 */
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/domain.h>
#include <granite/iommu.h>
#include <granite/event_channel.h>
#include <granite/map_dump.h>

#define CTRL_A 0x01
#define SWITCH_PRESSES 3
#define STATS_KEY 'e'    /* Ctrl-A then e: print the IOMMU and exit counters */

static unsigned focus;       /* domain id with the input */
static unsigned ctrl_a_run;  /* consecutive Ctrl-A presses */
static u64 dropped;

static bool can_focus(unsigned id)
{
    struct domain *d = domain_by_id(id);
    return d && d->uart.present && d->state == DOM_RUNNING;
}

static void switch_focus(void)
{
    for (unsigned i = 1; i <= MAX_DOMAINS; i++) {
        unsigned id = (focus + i) % MAX_DOMAINS;
        if (can_focus(id)) {
            focus = id;
            break;
        }
    }
    printk("console: input now goes to d%u (%s); Ctrl-A three times to switch\n", focus,
           domain_by_id(focus) ? domain_by_id(focus)->name : "?");
}

void console_input_char(char c)
{
    struct domain *d;

    if (c == CTRL_A) {
        if (++ctrl_a_run == SWITCH_PRESSES) {
            ctrl_a_run = 0;
            switch_focus();
        }
        return;
    }
    if (ctrl_a_run == 1 && c == STATS_KEY) {
        ctrl_a_run = 0;
        map_dump("console Ctrl-A e", NULL);   /* dump=maps only */
        iommu_dump();
        evtchn_dump();
        vcpu_stats_print(NULL);
        arch_exit_timing_restart();   /* printing it is not the exit's work */
        return;
    }
    ctrl_a_run = 0;
    if (!can_focus(focus))
        switch_focus();
    d = domain_by_id(focus);
    if (!d || !vpl011_receive(&d->uart, c))
        dropped++;
}

void console_input_start(void)
{
    focus = 0;
    if (!can_focus(focus))
        switch_focus();
    else
        printk("console: input goes to d0 (%s); Ctrl-A three times to switch\n",
               domain_by_id(0)->name);
}
