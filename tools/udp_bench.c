/*
 * udp_bench.c — the host side of `make bench`: UDP echo throughput with W
 * datagrams outstanding for S seconds, every echo's payload checked.  Also
 * the echo server that tools/bench's capacity self-check runs against it
 * (no guest: two network namespaces joined by a veth pair), to show that
 * this side can offer far more than a guest path echoes.
 *
 *   udp_bench --target IP [--port 7] [--seconds 5] [--size 64] [--window 1]
 *             [--seed N] [--stall-ms 200] [--count N]
 *   udp_bench --serve [--port 7]          (echo every datagram to its sender)
 *
 * Built for the host by the Makefile (build/tools/udp_bench) and run inside
 * the scenario's private network namespace (tools/scenario_net.py); it talks
 * only to --target, on one connected socket.
 *
 * Why C: tools/net_peer.py spent ~120 us of Python per payload check and
 * capped near 4,100 packets/s, so `make bench` measured the script.  Here a
 * payload is its 8-byte sequence number followed by bytes regenerated from
 * (seed, sequence) with splitmix64, compared with memcmp: well under a
 * microsecond for 1,400 bytes.
 *
 * Rules (a benchmark, not a soak: a lost datagram is counted, not fatal):
 *   - at most --window datagrams outstanding; a datagram unanswered after
 *     --stall-ms is declared lost and its slot reused (so one loss does not
 *     stop the run);
 *   - an echo whose sequence number is outstanding and whose bytes and length
 *     match is "echoed"; a second copy of its slot's last echo is a
 *     "duplicate"; another intact echo no longer awaited (declared lost, or
 *     an older duplicate) is "late"; anything else is "corrupted";
 *   - the rate is echoed datagrams (round trips) per second of the run (of
 *     --seconds, or of the time --count took when it ended the run sooner);
 *   - --count N sends N datagrams in all (still within --seconds): a run
 *     that is judged, not timed (tests/tools/test_udp_bench.py), does the
 *     same work however slow the host is.
 *
 * Syscalls are batched (recvmmsg, sendmmsg; the echo server too): with W
 * datagrams outstanding, one send and one recv per datagram made the client
 * and the server, sharing the host's 2 cores in tools/udp_bench_capacity,
 * the bottleneck once a guest path echoed a fifth of what they offered.
 *
 * Output, one line (tools/bench parses it):
 *   "udp-bench: W<w> <size> B: <pps> packets/s, <mbit> Mbit/s, <n> echoed,
 *    <l> lost, <c> corrupted, <d> duplicates, <late> late, rtt avg <us> us,
 *    <s> s, cpu <cpu> us per round trip"
 * cpu: this process's user + system time (getrusage) over the echoed
 * datagrams: what one round trip costs this side, whatever else shares the
 * host's cores (tools/bench shows it with the capacity figures).
 * Exit status 0 when nothing was corrupted, 1 otherwise, 2 for a bad command
 * line or a socket error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDP_MAX_PAYLOAD 1472    /* 1500-byte MTU - 20 (IPv4) - 8 (UDP) */
#define SEQ_BYTES 8             /* the sequence number in front of each payload */
#define MAX_WINDOW 1024
#define RCVBUF_BYTES (4 << 20)
#define BATCH 64                /* datagrams per recvmmsg / sendmmsg */
#define SERVE_BUF 65536         /* the echo server takes any datagram whole */
#define TICK_US 10000           /* longest wait for an echo before stall checks */
#define NS_PER_S 1000000000ull
#define NS_PER_MS 1000000ull

struct options {
    const char *target;
    unsigned port;
    unsigned seconds;
    unsigned size;
    unsigned window;
    uint64_t seed;
    unsigned stall_ms;
    unsigned count;             /* datagrams to send in all; 0: as many as --seconds allows */
    bool serve;
};

struct slot {                   /* one outstanding datagram */
    uint64_t seq;
    uint64_t sent_ns;
    uint64_t echoed_seq;        /* + 1: the last datagram echoed from this slot (0: none) */
    bool busy;
};

struct counts {
    uint64_t sent, echoed, lost, corrupted, duplicates, late;
    uint64_t rtt_ns_sum;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The payload of datagram `seq`: seq (little-endian) then seeded bytes. */
static void make_payload(uint8_t *buf, unsigned size, uint64_t seed, uint64_t seq)
{
    uint64_t state = seed ^ (seq * 0xd6e8feb86659fd93ull);

    memcpy(buf, &seq, SEQ_BYTES);
    for (unsigned i = SEQ_BYTES; i < size; i += 8) {
        uint64_t r = splitmix64(&state);
        unsigned n = size - i < 8 ? size - i : 8;
        memcpy(buf + i, &r, n);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: udp_bench --target IP [--port 7] [--seconds 5] [--size 64] "
                    "[--window 1] [--seed N] [--stall-ms 200] [--count N]\n"
                    "       udp_bench --serve [--port 7]\n");
    return 2;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > max)
        return false;
    *out = v;
    return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        { "target", required_argument, 0, 't' }, { "port", required_argument, 0, 'p' },
        { "seconds", required_argument, 0, 's' }, { "size", required_argument, 0, 'n' },
        { "window", required_argument, 0, 'w' }, { "seed", required_argument, 0, 'r' },
        { "stall-ms", required_argument, 0, 'l' }, { "serve", no_argument, 0, 'S' },
        { "count", required_argument, 0, 'c' },
        { 0, 0, 0, 0 },
    };
    unsigned long long v;
    int c;

    *o = (struct options){ .port = 7, .seconds = 5, .size = 64, .window = 1, .seed = 1,
                           .stall_ms = 200 };
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 't': o->target = optarg; continue;
        case 'S': o->serve = true; continue;
        case 'r':
            if (!parse_uint(optarg, UINT64_MAX, &v))
                return usage();
            o->seed = v;
            continue;
        default: break;
        }
        if (!optarg || !parse_uint(optarg, 1u << 30, &v))
            return usage();
        switch (c) {
        case 'p': o->port = (unsigned)v; break;
        case 's': o->seconds = (unsigned)v; break;
        case 'n': o->size = (unsigned)v; break;
        case 'w': o->window = (unsigned)v; break;
        case 'l': o->stall_ms = (unsigned)v; break;
        case 'c': o->count = (unsigned)v; break;
        default: return usage();
        }
    }
    if (optind != argc || o->port == 0 || o->port > 65535)
        return usage();
    if (!o->serve && (!o->target || o->seconds == 0 || o->size < SEQ_BYTES ||
                      o->size > UDP_MAX_PAYLOAD || o->window == 0 || o->window > MAX_WINDOW ||
                      o->stall_ms == 0)) {
        fprintf(stderr, "udp_bench: need --target, --seconds >= 1, %u <= --size <= %u, "
                        "1 <= --window <= %u, --stall-ms >= 1\n", SEQ_BYTES, UDP_MAX_PAYLOAD,
                MAX_WINDOW);
        return 2;
    }
    return 0;
}

/* Echo every datagram to its sender, a batch at a time: recvmmsg waits for
 * the first datagram and takes whatever else has arrived (MSG_WAITFORONE),
 * and sendmmsg returns them all, so a window of W costs two syscalls per
 * batch instead of two per datagram. */
static int serve(const struct options *o)
{
    static uint8_t buf[BATCH][SERVE_BUF];
    static struct sockaddr_in from[BATCH];
    static struct iovec iov[BATCH];
    static struct mmsghdr msg[BATCH];
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(o->port),
                                .sin_addr.s_addr = htonl(INADDR_ANY) };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int rcvbuf = RCVBUF_BYTES;

    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("udp_bench: serve");
        return 2;
    }
    printf("udp-bench: echo server on port %u\n", o->port);
    fflush(stdout);
    for (unsigned i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = SERVE_BUF };
        msg[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
                                          .msg_iov = &iov[i], .msg_iovlen = 1 };
    }
    for (;;) {
        int got = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);

        if (got < 0) {
            if (errno == EINTR)
                continue;
            perror("udp_bench: recvmmsg");
            return 2;
        }
        for (int i = 0; i < got; i++)
            iov[i].iov_len = msg[i].msg_len;
        /* A datagram refused on the way back (full socket buffer) is loss
         * the client counts: skip it and send the rest, as sendto did. */
        for (int i = 0; i < got;) {
            int sent = sendmmsg(fd, msg + i, (unsigned)(got - i), 0);
            i += sent > 0 ? sent : 1;
        }
        /* The echo shortened the iovecs and the kernel rewrote the address
         * lengths: restore the entries this batch used. */
        for (int i = 0; i < got; i++) {
            iov[i].iov_len = SERVE_BUF;
            msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
        }
    }
}

static int connect_target(const struct options *o)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(o->port) };
    struct timeval tick = { .tv_usec = TICK_US };
    int fd, rcvbuf = RCVBUF_BYTES;

    if (inet_pton(AF_INET, o->target, &addr.sin_addr) != 1) {
        fprintf(stderr, "udp_bench: --target %s is not an IPv4 address\n", o->target);
        return -1;
    }
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    /* The receive timeout bounds recvmmsg's wait (see receive_batch), so the
     * stall checks run at least every TICK_US with nothing arriving. */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) < 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("udp_bench: socket");
        return -1;
    }
    return fd;
}

/* Datagrams queued for one sendmmsg: every datagram a received batch (or
 * the stall checks) frees goes out in a single syscall. */
struct send_batch {
    unsigned n;
    struct slot *slot[BATCH];
    struct iovec iov[BATCH];
    struct mmsghdr msg[BATCH];
    uint8_t buf[BATCH][UDP_MAX_PAYLOAD];
};

/* Send the queued datagrams.  Their clocks start here, as the batch goes to
 * the kernel.  A datagram the kernel refuses for lack of room (or with an
 * earlier ICMP error) is one that will be declared lost: skip it, send the
 * rest, as one send per datagram did. */
static int flush_sends(int fd, struct send_batch *b)
{
    uint64_t t;

    if (b->n == 0)
        return 0;
    t = now_ns();
    for (unsigned i = 0; i < b->n; i++)
        b->slot[i]->sent_ns = t;
    for (unsigned i = 0; i < b->n;) {
        int sent = sendmmsg(fd, b->msg + i, b->n - i, 0);
        if (sent > 0) {
            i += (unsigned)sent;
            continue;
        }
        if (sent < 0 && errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED) {
            perror("udp_bench: sendmmsg");
            return -1;
        }
        i++;
    }
    b->n = 0;
    return 0;
}

/* Queue datagram `seq` from its slot (slot = seq % window, always); a full
 * batch goes out first. */
static int queue_send(int fd, const struct options *o, struct slot *slots, uint64_t seq,
                      struct send_batch *b, struct counts *c)
{
    struct slot *s = &slots[seq % o->window];
    unsigned i;

    if (b->n == BATCH && flush_sends(fd, b) < 0)
        return -1;
    i = b->n++;
    make_payload(b->buf[i], o->size, o->seed, seq);
    b->iov[i] = (struct iovec){ .iov_base = b->buf[i], .iov_len = o->size };
    b->msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &b->iov[i], .msg_iovlen = 1 } };
    b->slot[i] = s;
    s->seq = seq;
    s->busy = true;
    c->sent++;
    return 0;
}

/* Echoes taken by one recvmmsg.  One byte more than the largest payload: a
 * longer echo shows as one (its length, from MSG_TRUNC, is the real one). */
struct recv_batch {
    struct iovec iov[BATCH];
    struct mmsghdr msg[BATCH];
    uint8_t buf[BATCH][UDP_MAX_PAYLOAD + 1];
};

/* Point each message at its buffer, once: recvmmsg writes back only lengths
 * and flags. */
static void recv_batch_init(struct recv_batch *r)
{
    for (unsigned i = 0; i < BATCH; i++) {
        r->iov[i] = (struct iovec){ .iov_base = r->buf[i], .iov_len = sizeof(r->buf[i]) };
        r->msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &r->iov[i], .msg_iovlen = 1 } };
    }
}

/* Wait up to TICK_US (the socket's receive timeout) for an echo, then take
 * every other one already arrived (MSG_WAITFORONE): one syscall per batch,
 * where poll then recv per datagram (and a last recv to see none left) took
 * several.  Returns the echoes taken, 0 when none came (or on an ICMP error,
 * whose datagrams the stall checks declare lost). */
static int receive_batch(int fd, struct recv_batch *r)
{
    int got = recvmmsg(fd, r->msg, BATCH, MSG_WAITFORONE | MSG_TRUNC, NULL);
    if (got < 0 && errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED) {
        perror("udp_bench: recvmmsg");
        return -1;
    }
    return got < 0 ? 0 : got;
}

/* Judge one echo; returns the slot it freed, or NULL. */
static struct slot *judge_echo(const struct options *o, struct slot *slots, const uint8_t *got,
                               size_t n, uint64_t sent_below, uint64_t arrived_ns, uint8_t *want,
                               struct counts *c)
{
    uint64_t seq;
    struct slot *s;

    if (n < SEQ_BYTES) {
        c->corrupted++;
        return NULL;
    }
    memcpy(&seq, got, SEQ_BYTES);
    if (seq >= sent_below) {            /* never sent: not ours, or mangled */
        c->corrupted++;
        return NULL;
    }
    make_payload(want, o->size, o->seed, seq);
    if (n != o->size || memcmp(got, want, o->size) != 0) {
        c->corrupted++;
        return NULL;
    }
    s = &slots[seq % o->window];
    if (s->busy && s->seq == seq) {
        c->echoed++;
        c->rtt_ns_sum += arrived_ns - s->sent_ns;
        s->busy = false;
        s->echoed_seq = seq + 1;
        return s;
    }
    if (s->echoed_seq == seq + 1)
        c->duplicates++;                /* the slot's last echo, again */
    else
        c->late++;                      /* declared lost earlier, or an older duplicate */
    return NULL;
}

static bool any_busy(const struct options *o, const struct slot *slots)
{
    for (unsigned i = 0; i < o->window; i++)
        if (slots[i].busy)
            return true;
    return false;
}

/* This process's CPU time so far (user + system), in microseconds. */
static uint64_t cpu_us(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* elapsed_s: the run's length — --seconds, or less when --count ended it;
 * cpu: the CPU time the run used, in microseconds. */
static void report(const struct options *o, const struct counts *c, double elapsed_s, uint64_t cpu)
{
    double pps = elapsed_s > 0 ? c->echoed / elapsed_s : 0;

    printf("udp-bench: W%u %u B: %.0f packets/s, %.2f Mbit/s, %lu echoed, %lu lost, "
           "%lu corrupted, %lu duplicates, %lu late, rtt avg %.0f us, %u s, "
           "cpu %.2f us per round trip\n", o->window,
           o->size, pps, pps * o->size * 8 / 1e6, (unsigned long)c->echoed,
           (unsigned long)c->lost, (unsigned long)c->corrupted, (unsigned long)c->duplicates,
           (unsigned long)c->late, c->echoed ? c->rtt_ns_sum / 1e3 / c->echoed : 0.0,
           (unsigned)(elapsed_s + 0.5), c->echoed ? (double)cpu / c->echoed : 0.0);
}

/* Whether datagram `seq` may still go out: before the end, and within --count. */
static bool may_send(const struct options *o, uint64_t seq, uint64_t end)
{
    return now_ns() < end && (!o->count || seq < o->count);
}

static int run_client(const struct options *o)
{
    static struct slot slots[MAX_WINDOW];
    static struct send_batch out;
    static struct recv_batch in;
    static uint8_t want[UDP_MAX_PAYLOAD];
    struct counts c = { 0 };
    uint64_t sent_below, start, end, cpu_start, stall_ns = o->stall_ms * NS_PER_MS;
    int fd = connect_target(o);

    if (fd < 0)
        return 2;
    recv_batch_init(&in);
    cpu_start = cpu_us();
    start = now_ns();
    end = start + o->seconds * NS_PER_S;
    for (sent_below = 0; sent_below < o->window && may_send(o, sent_below, end); sent_below++)
        if (queue_send(fd, o, slots, sent_below, &out, &c) < 0)
            return 2;
    if (flush_sends(fd, &out) < 0)
        return 2;
    for (;;) {
        uint64_t now = now_ns();
        int got;

        /* After the end (or the last of --count), the last echoes get one
         * stall period; each still-busy slot has its own clock below. */
        if (!any_busy(o, slots) && !may_send(o, sent_below, end))
            break;
        if (now >= end + stall_ns)
            break;
        got = receive_batch(fd, &in);
        if (got < 0)
            return 2;
        now = now_ns();         /* every echo of the batch had arrived by now */
        for (int i = 0; i < got; i++) {
            struct slot *freed = judge_echo(o, slots, in.buf[i], in.msg[i].msg_len, sent_below,
                                            now, want, &c);
            if (freed && may_send(o, freed->seq + o->window, end)) {
                /* queue_send gives the slot its next sequence number: seq now
                 * names the datagram just queued, so seq + 1 is "sent below". */
                if (queue_send(fd, o, slots, freed->seq + o->window, &out, &c) < 0)
                    return 2;
                sent_below = freed->seq + 1 > sent_below ? freed->seq + 1 : sent_below;
            }
        }
        /* Every datagram the batch freed goes out in one syscall, before the
         * stall checks: a queued slot's clock starts only when it is sent. */
        if (flush_sends(fd, &out) < 0)
            return 2;
        /* A datagram unanswered for a stall period is lost; its slot moves on. */
        now = now_ns();
        for (unsigned i = 0; i < o->window; i++) {
            struct slot *s = &slots[i];
            if (!s->busy || now - s->sent_ns < stall_ns)
                continue;
            c.lost++;
            s->busy = false;
            if (may_send(o, s->seq + o->window, end)) {
                if (queue_send(fd, o, slots, s->seq + o->window, &out, &c) < 0)
                    return 2;
                sent_below = s->seq + 1 > sent_below ? s->seq + 1 : sent_below;
            }
        }
        if (flush_sends(fd, &out) < 0)
            return 2;
    }
    for (unsigned i = 0; i < o->window; i++)
        c.lost += slots[i].busy;
    report(o, &c, o->count ? (double)(now_ns() - start) / NS_PER_S : (double)o->seconds,
           cpu_us() - cpu_start);
    close(fd);
    return c.corrupted ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(argc, argv, &o);

    if (rc)
        return rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    return o.serve ? serve(&o) : run_client(&o);
}
