/*
 * grant_window.c — dom0's grant window (the IPA range granite's /hypervisor
 * node names for mapping foreign pages), handed out page by page: the
 * xenstore rings, each vif's rings, TX slots and persistent grants.  A page handed out stays
 * with its user (who maps and unmaps grants there as it needs), so nothing
 * is ever returned and two users never share a page.
 */
#include "xen.h"
#include "net_dom0.h"
#include "page.h"


static uint64_t window_next, window_end;

void grant_window_init(void)
{
    window_next = xen_map_area();
    window_end = window_next + xen_map_area_size();
}

uint64_t grant_window_page(void)
{
    if (window_next + PAGE_SIZE > window_end)
        return 0;
    window_next += PAGE_SIZE;
    return window_next - PAGE_SIZE;
}

unsigned grant_window_pages_left(void)
{
    return (unsigned)((window_end - window_next) / PAGE_SIZE);
}
