/*
 * drivers.h — entry points of the device drivers in drivers/.
 */
#ifndef GRANITE_DRIVERS_H
#define GRANITE_DRIVERS_H

#include <granite/types.h>

/* PL011 UART as the hypervisor console; `base` is already mapped as device memory. */
void pl011_console_init(void *base);

#endif
