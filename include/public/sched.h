/*
 * public/sched.h — the sched_op hypercall's SCHEDOP_shutdown, Xen's layout
 * (xen/include/public/sched.h): how a guest tells the hypervisor it is done,
 * and whether it ended well.
 */
#ifndef PUBLIC_SCHED_H
#define PUBLIC_SCHED_H

#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
struct sched_shutdown {
    unsigned int reason; /* SHUTDOWN_* */
};
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_suspend 2
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4

#endif
