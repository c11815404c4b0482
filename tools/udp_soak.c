/*
 * udp_soak.c — the host side of `make soak`: COUNT UDP datagrams of random
 * sizes to a guest's echo service, every echo checked byte for byte, none
 * sent twice.
 *
 * Built for the host by the Makefile (build/tools/udp_soak) and run inside
 * the scenario's private network namespace (tools/scenario_net.py starts
 * host steps there); it talks only to the --target address it is given, on
 * one connected socket, so only that address's datagrams are received.
 *
 * Why C: tools/net_peer.py spends about 120 us of Python per payload; a
 * million datagrams would measure Python.  Here a payload is regenerated
 * from (seed, sequence number) — size and bytes from a splitmix64 stream —
 * so nothing is stored beyond the datagrams in flight.
 *
 * Rules (the point of a soak is that nothing is forgiven):
 *   - at most --window datagrams outstanding; never retransmitted (a lost
 *     datagram is a failure, not something to paper over);
 *   - an echo is matched against every datagram still awaited (content and
 *     length: a payload carries no header, sizes go down to 1 byte); one that
 *     matches none is checked against the last RECENT_DONE datagrams already
 *     echoed (a duplicate) and otherwise counted corrupted;
 *   - an echo that overtakes an older datagram still in the window counts as
 *     reordered (reported, not a failure: UDP may reorder; this path should
 *     not);
 *   - a datagram outstanding longer than --stall-ms leaves the window (so the
 *     run goes on) but is still awaited: if it arrives later it is intact
 *     and counted "late".  Loss is declared only at the end, after --grace-s
 *     seconds with no echo at all.  These clocks decide how long to wait,
 *     never whether something is corrupt.
 *
 * Output: a progress line every --progress intact echoes, then
 *   "udp-soak: N sent, N received intact, L lost, C corrupted, D duplicates,
 *    R reordered, P datagrams/s, E s elapsed (...)"
 * Exit status 0 only when every datagram came back intact exactly once and
 * nothing else arrived; 1 otherwise; 2 for a bad command line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDP_MAX_PAYLOAD 1472    /* 1500-byte MTU - 20 (IPv4) - 8 (UDP) */
#define MAX_WINDOW 256
#define MAX_STALLED 256         /* awaited beyond the window: more means the path is broken */
#define MAX_PENDING (MAX_WINDOW + MAX_STALLED)
#define RECENT_DONE 4096        /* echoed datagrams remembered, to recognise duplicates */
#define RCVBUF_BYTES (4 << 20)

struct options {
    const char *target;
    unsigned port;
    uint64_t count;
    uint64_t seed;
    unsigned min, max;
    unsigned window;
    unsigned stall_ms;
    unsigned grace_s;
    uint64_t progress;
};

struct pending {
    uint64_t seq;
    uint64_t sent_ns;
    unsigned len;
    bool stalled;               /* out of the window, still awaited */
    uint8_t bytes[UDP_MAX_PAYLOAD];
};

struct done {                   /* an echoed datagram, for duplicate detection */
    uint64_t seq;
    uint64_t hash;
    unsigned len;
    bool valid;
};

struct counts {
    uint64_t sent, intact, corrupted, duplicates, reordered, late, send_retries;
};

static struct pending pending[MAX_PENDING];
static unsigned nr_pending, nr_in_window;
static struct done recent[RECENT_DONE];
static struct counts n;

/* --- payloads: a pure function of (seed, seq) ---------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned make_payload(const struct options *o, uint64_t seq, uint8_t *out)
{
    uint64_t state = o->seed * 0x2545f4914f6cdd1dULL ^ seq;
    unsigned len = o->min + (unsigned)(splitmix64(&state) % (o->max - o->min + 1));

    for (unsigned i = 0; i < len; i += 8) {
        uint64_t w = splitmix64(&state);
        unsigned k = len - i < 8 ? len - i : 8;
        memcpy(out + i, &w, k);
    }
    return len;
}

static uint64_t fnv1a(const uint8_t *p, unsigned len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- sending -------------------------------------------------------------------------- */

/* Sends datagram `next` once.  A full socket buffer is waited out (the datagram
 * has not left: that is not a retransmission); any other error ends the run. */
static int send_one(int fd, const struct options *o, uint64_t seq)
{
    struct pending *p = &pending[nr_pending];

    p->seq = seq;
    p->len = make_payload(o, seq, p->bytes);
    p->stalled = false;
    for (;;) {
        if (send(fd, p->bytes, p->len, 0) == (ssize_t)p->len)
            break;
        if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            n.send_retries++;
            poll(&pfd, 1, 10);
            continue;
        }
        fprintf(stdout, "udp-soak: send of datagram %llu (%u bytes): %s\n",
                (unsigned long long)seq, p->len, strerror(errno));
        return -1;
    }
    p->sent_ns = now_ns();
    nr_pending++;
    nr_in_window++;
    n.sent++;
    return 0;
}

/* --- receiving ------------------------------------------------------------------------ */

static void remember_done(const struct pending *p)
{
    struct done *d = &recent[p->seq % RECENT_DONE];
    d->seq = p->seq;
    d->len = p->len;
    d->hash = fnv1a(p->bytes, p->len);
    d->valid = true;
}

static bool is_duplicate(const uint8_t *buf, unsigned len)
{
    uint64_t h = fnv1a(buf, len);
    for (unsigned i = 0; i < RECENT_DONE; i++)
        if (recent[i].valid && recent[i].len == len && recent[i].hash == h)
            return true;
    return false;
}

static void take_pending(unsigned i)
{
    if (!pending[i].stalled)
        nr_in_window--;
    pending[i] = pending[--nr_pending];
}

static void on_echo(const uint8_t *buf, unsigned len)
{
    int match = -1;

    /* The oldest awaited datagram with this content: identical payloads (a
     * 1-byte one repeats often) are interchangeable, so oldest-first keeps
     * the reorder count honest. */
    for (unsigned i = 0; i < nr_pending; i++)
        if (pending[i].len == len && !memcmp(pending[i].bytes, buf, len) &&
            (match < 0 || pending[i].seq < pending[match].seq))
            match = (int)i;
    if (match < 0) {
        if (is_duplicate(buf, len)) {
            n.duplicates++;
            if (n.duplicates <= 10)
                printf("udp-soak: duplicate echo (%u bytes)\n", len);
        } else {
            n.corrupted++;
            if (n.corrupted <= 10)
                printf("udp-soak: echo of %u bytes matches no datagram sent: corrupted\n", len);
        }
        return;
    }
    /* Overtaking a datagram already out of the window (lost, or very late)
     * is not counted: one loss would make every later echo "reordered". */
    for (unsigned i = 0; i < nr_pending; i++)
        if (!pending[i].stalled && pending[i].seq < pending[match].seq) {
            n.reordered++;
            break;
        }
    if (pending[match].stalled)
        n.late++;
    n.intact++;
    remember_done(&pending[match]);
    take_pending((unsigned)match);
}

/* Reads every echo queued on the socket.  Returns how many arrived. */
static unsigned drain(int fd)
{
    static uint8_t buf[65536];
    unsigned got = 0;

    for (;;) {
        ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                printf("udp-soak: recv: %s\n", strerror(errno));
            return got;
        }
        got++;
        on_echo(buf, (unsigned)r);
    }
}

/* Datagrams outstanding longer than stall_ms leave the window (still awaited). */
static void stall_old(const struct options *o, uint64_t now)
{
    for (unsigned i = 0; i < nr_pending; i++)
        if (!pending[i].stalled && now - pending[i].sent_ns > (uint64_t)o->stall_ms * 1000000ULL) {
            pending[i].stalled = true;
            nr_in_window--;
        }
}

static unsigned nr_stalled(void) { return nr_pending - nr_in_window; }

/* --- the run -------------------------------------------------------------------------- */

static int open_socket(const struct options *o)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
    int fd, rcvbuf = RCVBUF_BYTES;

    if (inet_pton(AF_INET, o->target, &sa.sin_addr) != 1) {
        printf("udp-soak: --target %s is not an IPv4 address\n", o->target);
        return -1;
    }
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        printf("udp-soak: socket: %s\n", strerror(errno));
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
        printf("udp-soak: SO_RCVBUF: %s (continuing with the default)\n", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) { /* only the target's datagrams */
        printf("udp-soak: connect %s:%u: %s\n", o->target, o->port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int run(const struct options *o)
{
    uint64_t next = 0, start, last_arrival, last_progress = 0;
    bool broken = false;
    int fd = open_socket(o);

    if (fd < 0)
        return 1;
    start = last_arrival = now_ns();
    for (;;) {
        uint64_t now = now_ns();
        bool sending = next < o->count && !broken;
        int wait_ms;

        while (sending && nr_in_window < o->window && nr_pending < MAX_PENDING) {
            if (send_one(fd, o, next)) {
                broken = true;
                break;
            }
            next++;
            sending = next < o->count;
        }
        if (!sending && !nr_pending)
            break;
        if (!sending && now - last_arrival > (uint64_t)o->grace_s * 1000000000ULL)
            break;                              /* the rest are lost */
        wait_ms = sending ? (int)o->stall_ms : 100;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, wait_ms);
        if (r < 0 && errno != EINTR) {
            printf("udp-soak: poll: %s\n", strerror(errno));
            break;
        }
        now = now_ns();
        if (r > 0 && drain(fd))
            last_arrival = now;
        stall_old(o, now);
        if (nr_stalled() >= MAX_STALLED && !broken) {
            printf("udp-soak: %u datagrams awaited past %u ms: the path is broken, sending stops\n",
                   nr_stalled(), o->stall_ms);
            broken = true;
        }
        if (o->progress && n.intact - last_progress >= o->progress) {
            last_progress = n.intact - n.intact % o->progress;
            printf("udp-soak: progress: %llu sent, %llu intact, %.0f datagrams/s\n",
                   (unsigned long long)n.sent, (unsigned long long)n.intact,
                   (double)n.intact * 1e9 / (double)(now - start));
            fflush(stdout);
        }
    }
    close(fd);

    double elapsed = (double)(now_ns() - start) / 1e9;
    uint64_t lost = n.sent - n.intact;
    printf("udp-soak: %llu sent, %llu received intact, %llu lost, %llu corrupted, "
           "%llu duplicates, %llu reordered, %.0f datagrams/s, %.1f s elapsed "
           "(of %llu; window %u, sizes %u..%u, seed %llu; %llu late, %llu send retries)\n",
           (unsigned long long)n.sent, (unsigned long long)n.intact, (unsigned long long)lost,
           (unsigned long long)n.corrupted, (unsigned long long)n.duplicates,
           (unsigned long long)n.reordered, elapsed > 0 ? (double)n.intact / elapsed : 0.0,
           elapsed, (unsigned long long)o->count, o->window, o->min, o->max,
           (unsigned long long)o->seed, (unsigned long long)n.late,
           (unsigned long long)n.send_retries);
    for (unsigned i = 0; i < nr_pending && i < 10; i++)
        printf("udp-soak: lost: datagram %llu (%u bytes)\n", (unsigned long long)pending[i].seq,
               pending[i].len);
    fflush(stdout);
    return n.sent == o->count && n.intact == o->count && !n.corrupted && !n.duplicates ? 0 : 1;
}

/* --- command line --------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: udp_soak --target IP [--port 7] [--count 1000000] [--seed 7] [--min 1]\n"
            "                [--max 1472] [--window 32] [--stall-ms 1000] [--grace-s 30]\n"
            "                [--progress 100000]\n");
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    struct options o = { .port = 7, .count = 1000000, .seed = 7, .min = 1,
                         .max = UDP_MAX_PAYLOAD, .window = 32, .stall_ms = 1000,
                         .grace_s = 30, .progress = 100000 };
    static const struct option longopts[] = {
        { "target", required_argument, 0, 't' }, { "port", required_argument, 0, 'p' },
        { "count", required_argument, 0, 'c' },  { "seed", required_argument, 0, 's' },
        { "min", required_argument, 0, 'm' },    { "max", required_argument, 0, 'M' },
        { "window", required_argument, 0, 'w' }, { "stall-ms", required_argument, 0, 'S' },
        { "grace-s", required_argument, 0, 'g' }, { "progress", required_argument, 0, 'P' },
        { 0, 0, 0, 0 },
    };
    int c;
    uint64_t v;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 't': o.target = optarg; break;
        case 'p': ok = parse_u64(optarg, 1, 65535, &v); o.port = (unsigned)v; break;
        case 'c': ok = parse_u64(optarg, 1, UINT64_MAX / 2, &o.count); break;
        case 's': ok = parse_u64(optarg, 0, UINT64_MAX, &o.seed); break;
        case 'm': ok = parse_u64(optarg, 1, UDP_MAX_PAYLOAD, &v); o.min = (unsigned)v; break;
        case 'M': ok = parse_u64(optarg, 1, UDP_MAX_PAYLOAD, &v); o.max = (unsigned)v; break;
        case 'w': ok = parse_u64(optarg, 1, MAX_WINDOW, &v); o.window = (unsigned)v; break;
        case 'S': ok = parse_u64(optarg, 1, 600000, &v); o.stall_ms = (unsigned)v; break;
        case 'g': ok = parse_u64(optarg, 1, 3600, &v); o.grace_s = (unsigned)v; break;
        case 'P': ok = parse_u64(optarg, 0, UINT64_MAX, &o.progress); break;
        default: usage(); return 2;
        }
        if (!ok) {
            for (const struct option *lo = longopts; lo->name; lo++)
                if (lo->val == c)
                    fprintf(stderr, "udp_soak: bad value for --%s: %s\n", lo->name, optarg);
            usage();
            return 2;
        }
    }
    if (!o.target || optind != argc || o.min > o.max) {
        usage();
        return 2;
    }
    return run(&o);
}
