/*
 * syscalls.c — the few operating-system hooks picolibc calls.  A guest has
 * no OS under it: abort() and a stack-protector failure end the domain as
 * crashed, which granite logs and counts.
 */
#include <stdio.h>
#include <sys/types.h>
#include "guest.h"

void _exit(int status)
{
    printf("guest: _exit(%d)\n", status);
    guest_exit(status == 0);
}

pid_t getpid(void) { return 1; }

int kill(pid_t pid, int sig)
{
    printf("guest: kill(%d, %d): ending the domain\n", (int)pid, sig);
    guest_exit(false);
}
