/*
 * udp_echo.c — the Linux test domain's UDP echo service (userspace, static).
 *
 * Runs inside Debian's kernel as a granite domU, from the initramfs that
 * tools/linux-assets builds.  It is the Linux counterpart of the toy domU's
 * echo (guests/domU/main.c), so the host-side checks in tools/net_peer.py work
 * against either guest unchanged:
 *   port 7   every datagram is sent back to its sender, byte for byte;
 *   port 9   "discard": a datagram here ends the service (exit status 0), and
 *            the init script then powers the domain off.
 * It blocks in poll(): the kernel sleeps the vCPU in WFI between datagrams.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_PORT 7
#define BYE_PORT 9
#define MAX_DATAGRAM 65536

static int udp_socket(unsigned short port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_ANY) };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        fprintf(stderr, "udp_echo: port %u: %s\n", port, strerror(errno));
        return -1;
    }
    return fd;
}

int main(void)
{
    static char buf[MAX_DATAGRAM];
    unsigned long echoed = 0, failed = 0;
    struct pollfd p[2];

    p[0] = (struct pollfd){ .fd = udp_socket(ECHO_PORT), .events = POLLIN };
    p[1] = (struct pollfd){ .fd = udp_socket(BYE_PORT), .events = POLLIN };
    if (p[0].fd < 0 || p[1].fd < 0)
        return 1;
    printf("udp_echo: echoing on UDP port %d, stop with a datagram to port %d\n", ECHO_PORT,
           BYE_PORT);
    fflush(stdout);
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n;

        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("udp_echo: poll");
            return 1;
        }
        if (p[1].revents & POLLIN)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        n = recvfrom(p[0].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            continue;
        if (sendto(p[0].fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) != n)
            failed++;
        else
            echoed++;
    }
    printf("udp_echo: done: %lu datagrams echoed, %lu send failures\n", echoed, failed);
    return failed ? 1 : 0;
}
