/*
 * vif_hotplug.c — the network driver domain's vif hotplug agent: what
 * libxl's `xl devd` or a udev rule running vif-bridge does on Xen, for the
 * Linux driver domain's initramfs (guests/linux/init, granite.mode=backend).
 *
 *   vif_hotplug BRIDGE      serve: for every backend/vif/<fe>/<n> under this
 *                           domain's xenstore home whose netdev vif<fe>.<n>
 *                           exists, add it to BRIDGE, bring it up and write
 *                           backend/vif/<fe>/<n>/hotplug-status = connected
 *                           (Linux's netback holds its Connected state until
 *                           it reads that).  Exit 0 once backend/vif has had
 *                           at least one vif and is empty again (dom0's
 *                           toolstack removes a vif's backend directory when
 *                           its frontend domain ends).
 *   vif_hotplug --selftest  check the xenstore client alone: watch, write,
 *                           read back, list and remove
 *                           data/vif-hotplug-selftest under this domain's
 *                           home, expecting the watch to fire for each.
 *   vif_hotplug --read PATH, --write PATH VALUE, --rm PATH
 *                           one xenstore access (what xenstore-read, -write
 *                           and -rm do), for the init's hotplug-selftest.
 *
 * How it waits (event driven, no polling loop), from two sources:
 *   - a xenstore watch on "backend/vif" (relative: this domain's home),
 *     through Linux's xenbus device /dev/xen/xenbus.  The device takes whole
 *     xenstore messages (struct xsd_sockmsg header + payload, public/io/
 *     xs_wire.h) on write() and hands back replies and XS_WATCH_EVENT
 *     messages on read(), as one byte stream in which events may come
 *     before the reply to a request.  Only one request is outstanding at a
 *     time, so any message that is not an event is that request's reply
 *     (Linux synthesises the XS_WATCH reply itself, with req_id 0, so the
 *     type is what identifies it, not req_id).
 *   - an rtnetlink socket subscribed to link changes: netback writes its
 *     feature-* nodes and state=2 BEFORE it reads script/handle and creates
 *     vif<fe>.<n>, and writes nothing under the vif's directory after that
 *     until hotplug-status is set, so the watch alone can fire before the
 *     netdev exists and never again.  A new vif* link is the second trigger.
 * Every trigger only marks the state dirty; the agent then rescans
 * backend/vif as a whole, so events may coalesce or be reordered freely.
 * Its own hotplug-status writes fire the watch once more; that rescan finds
 * nothing to do, so the loop settles.
 *
 * Nothing read from xenstore is trusted: message lengths are checked
 * against XENSTORE_PAYLOAD_MAX, strings must be NUL-terminated inside their
 * payload, directory entries must be canonical decimal numbers in range
 * (a domain id below DOMID_FIRST_RESERVED, a handle that keeps the
 * interface name within IFNAMSIZ).  Bad entries are skipped and logged,
 * once per entry and a bounded number of times in all; a broken stream ends the agent with an
 * error.  Log lines start with "vif-hotplug:".
 *
 * Assumptions: Linux with xenbus (Debian's kernel: built in) and a devtmpfs
 * on /dev; the bridge exists and is up (the init made it).  Built static
 * with Debian's cross libc by tools/linux-assets.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "public/io/xs_wire.h"

#define XENBUS_DEVICE "/dev/xen/xenbus"
#define VIF_DIR "backend/vif"             /* relative: this domain's home */
#define WATCH_TOKEN "vif-hotplug"
#define HOTPLUG_NODE "hotplug-status"
#define HOTPLUG_CONNECTED "connected"     /* the value netback waits for */
#define SELFTEST_NODE "data/vif-hotplug-selftest"
#define SELFTEST_TOKEN "vif-hotplug-selftest"
#define SELFTEST_MAX_MESSAGES 64          /* a stuck selftest fails, never spins */
#define DOMID_FIRST_RESERVED 0x7FF0U      /* DOMID_SELF and up are not domains */
#define HANDLE_MAX 9999U                  /* "vif32751.9999" fits IFNAMSIZ */
#define MAX_VIFS 64                       /* vifs tracked at once */
#define COMPLAINTS_MAX 16                 /* bad-entry log lines before silence */
#define PATH_MAX_LEN 256                  /* every path this agent builds */
#define HDR_LEN sizeof(struct xsd_sockmsg)
#define NETLINK_BUF 8192
#define SYSFS_NET "/sys/class/net/"

/* ---- logging ------------------------------------------------------------ */

static unsigned complaints;

static void vsay(const char *fmt, va_list ap)
{
    fputs("vif-hotplug: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

/* A complaint about data from xenstore: logged COMPLAINTS_MAX times, then
 * one "suppressed" line, so a hostile store cannot flood the console. */
static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
    if (complaints > COMPLAINTS_MAX)
        return;
    if (complaints++ == COMPLAINTS_MAX) {
        say("further complaints about xenstore data suppressed");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

/* A bad directory entry is rescanned on every event: complain about each
 * one once (remembered by a hash of its path), not once per scan. */
#define COMPLAINED_MAX 32
#define FNV32_OFFSET 2166136261U
#define FNV32_PRIME 16777619U
static uint32_t complained[COMPLAINED_MAX];
static unsigned nr_complained;

static bool first_complaint_about(const char *a, const char *b)
{
    uint32_t h = FNV32_OFFSET;
    for (const char *p = a; *p; p++)
        h = (h ^ (uint8_t)*p) * FNV32_PRIME;
    h = (h ^ '/') * FNV32_PRIME;
    for (const char *p = b; *p; p++)
        h = (h ^ (uint8_t)*p) * FNV32_PRIME;
    for (unsigned i = 0; i < nr_complained; i++)
        if (complained[i] == h)
            return false;
    if (nr_complained < COMPLAINED_MAX)
        complained[nr_complained++] = h;
    return true; /* table full: complain() still bounds the total */
}

/* ---- the xenstore client over /dev/xen/xenbus ---------------------------- */

struct xs_client {
    int fd;
    uint32_t next_req_id;
    /* bytes read from the device and not yet consumed: at most one whole
     * message plus what followed it in the same read() */
    unsigned char in[2 * (HDR_LEN + XENSTORE_PAYLOAD_MAX)];
    size_t have;
    /* the message last taken off the stream, payload NUL-terminated */
    struct xsd_sockmsg msg;
    char payload[XENSTORE_PAYLOAD_MAX + 1];
    /* watch events seen since the owner last cleared it */
    bool dirty;
    unsigned events;
    char last_event_path[PATH_MAX_LEN];
};

struct err_name {
    const char *name;
    int err;
};
#define ERR_ENTRY(e) { #e, e },
static const struct err_name err_names[] = { XSD_ERROR_NAMES(ERR_ENTRY) };

/* The errno an XS_ERROR payload names; EIO for a name we do not know. */
static int error_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++)
        if (!strcmp(err_names[i].name, name))
            return err_names[i].err;
    return EIO;
}

/* Take the next whole message off the stream into c->msg/c->payload,
 * blocking in read() until it is there.  0, or -errno (EPROTO for a header
 * announcing more than XENSTORE_PAYLOAD_MAX: the stream cannot be trusted). */
static int xs_next_message(struct xs_client *c)
{
    for (;;) {
        if (c->have >= HDR_LEN) {
            struct xsd_sockmsg h;
            memcpy(&h, c->in, HDR_LEN);
            if (h.len > XENSTORE_PAYLOAD_MAX) {
                say("error: xenbus sent a message of type %u with %u payload bytes (most %u)",
                    h.type, h.len, XENSTORE_PAYLOAD_MAX);
                return -EPROTO;
            }
            if (c->have >= HDR_LEN + h.len) {
                c->msg = h;
                memcpy(c->payload, c->in + HDR_LEN, h.len);
                c->payload[h.len] = '\0';
                c->have -= HDR_LEN + h.len;
                memmove(c->in, c->in + HDR_LEN + h.len, c->have);
                return 0;
            }
        }
        ssize_t n = read(c->fd, c->in + c->have, sizeof(c->in) - c->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            say("error: read from %s: %s", XENBUS_DEVICE, strerror(e));
            return -e;
        }
        if (n == 0) {
            say("error: %s closed the stream", XENBUS_DEVICE);
            return -EPIPE;
        }
        c->have += (size_t)n;
    }
}

/* An XS_WATCH_EVENT in c->payload: "path\0token\0".  Validated; one for our
 * token sets c->dirty.  Others are logged and ignored. */
static void xs_take_event(struct xs_client *c, const char *token)
{
    const char *path = c->payload;
    size_t plen = strnlen(path, c->msg.len);
    if (plen == 0 || plen >= c->msg.len) {
        complain("watch event with no NUL-terminated path (%u bytes): ignored", c->msg.len);
        return;
    }
    const char *tok = path + plen + 1;
    size_t tlen = strnlen(tok, c->msg.len - plen - 1);
    if (tlen >= c->msg.len - plen - 1) {
        complain("watch event for %.64s with no NUL-terminated token: ignored", path);
        return;
    }
    if (strcmp(tok, token)) {
        complain("watch event for %.64s with unknown token %.32s: ignored", path, tok);
        return;
    }
    c->dirty = true;
    c->events++;
    snprintf(c->last_event_path, sizeof(c->last_event_path), "%s", path);
}

/*
 * One request and its reply: type, then `nparts` payload strings of which
 * each but the last is sent with its NUL (xenstore's argument separator);
 * the last is sent with its NUL only if `last_nul`.  Events met while
 * waiting go to xs_take_event().  On success the reply is in c->payload
 * (c->msg.len bytes, NUL-terminated) and 0 is returned; else -errno (the
 * XS_ERROR name's errno, or EPROTO for a reply of the wrong type).
 */
static int xs_request(struct xs_client *c, const char *token, uint32_t type,
                      const char *const *parts, unsigned nparts, bool last_nul)
{
    unsigned char out[HDR_LEN + XENSTORE_PAYLOAD_MAX];
    size_t len = 0;
    for (unsigned i = 0; i < nparts; i++) {
        size_t l = strlen(parts[i]) + ((i + 1 < nparts || last_nul) ? 1 : 0);
        if (len + l > XENSTORE_PAYLOAD_MAX)
            return -E2BIG;
        memcpy(out + HDR_LEN + len, parts[i], l);
        len += l;
    }
    struct xsd_sockmsg h = { .type = type, .req_id = c->next_req_id++, .tx_id = 0,
                             .len = (uint32_t)len };
    memcpy(out, &h, HDR_LEN);
    /* One write() per message: the device acts on a message once it has all
     * of it, and a short write would leave it half-buffered. */
    ssize_t w;
    do
        w = write(c->fd, out, HDR_LEN + len);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return -errno;
    if ((size_t)w != HDR_LEN + len)
        return -EIO;
    for (;;) {
        int r = xs_next_message(c);
        if (r)
            return r;
        if (c->msg.type == XS_WATCH_EVENT) {
            xs_take_event(c, token);
            continue;
        }
        if (c->msg.type == XS_ERROR)
            return -error_from_name(c->payload);
        if (c->msg.type != type) {
            say("error: reply of type %u to a request of type %u", c->msg.type, type);
            return -EPROTO;
        }
        return 0;
    }
}

static int xs_open(struct xs_client *c)
{
    memset(c, 0, sizeof(*c));
    c->next_req_id = 1;
    c->fd = open(XENBUS_DEVICE, O_RDWR | O_CLOEXEC);
    if (c->fd < 0) {
        int e = errno;
        say("error: cannot open %s: %s (is this a Xen guest with xenstore?)", XENBUS_DEVICE,
            strerror(e));
        return -e;
    }
    return 0;
}

static int xs_watch(struct xs_client *c, const char *path, const char *token)
{
    const char *parts[] = { path, token };
    return xs_request(c, token, XS_WATCH, parts, 2, true);
}

static int xs_write(struct xs_client *c, const char *token, const char *path, const char *value)
{
    const char *parts[] = { path, value };
    return xs_request(c, token, XS_WRITE, parts, 2, false);
}

static int xs_rm(struct xs_client *c, const char *token, const char *path)
{
    const char *parts[] = { path };
    return xs_request(c, token, XS_RM, parts, 1, true);
}

/* Read `path` into c->payload (NUL-terminated, c->msg.len bytes). */
static int xs_read(struct xs_client *c, const char *token, const char *path)
{
    const char *parts[] = { path };
    return xs_request(c, token, XS_READ, parts, 1, true);
}

/* List `path`'s children into out (names separated by NULs, *outlen bytes);
 * a missing node is an empty list.  The listing is copied out of c->payload
 * because later requests reuse it. */
static int xs_directory(struct xs_client *c, const char *token, const char *path,
                        char *out, size_t outsz, size_t *outlen)
{
    const char *parts[] = { path };
    int r = xs_request(c, token, XS_DIRECTORY, parts, 1, true);
    if (r == -ENOENT) {
        *outlen = 0;
        return 0;
    }
    if (r)
        return r;
    if (c->msg.len >= outsz)
        return -E2BIG;
    if (c->msg.len > 0 && c->payload[c->msg.len - 1] != '\0') {
        complain("listing of %.64s does not end in a NUL: ignored", path);
        return -EPROTO;
    }
    memcpy(out, c->payload, c->msg.len);
    *outlen = c->msg.len;
    return 0;
}

/* ---- numbers and names ---------------------------------------------------- */

/* A directory entry as a canonical decimal number <= max ("0", "12"; not
 * "012", "+1", "" or "99999999999"). */
static bool parse_number(const char *s, unsigned max, unsigned *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

/* ---- the bridge ------------------------------------------------------------ */

static int net_socket = -1; /* for the interface ioctls */

static bool sysfs_exists(const char *ifname, const char *leaf)
{
    char p[PATH_MAX_LEN];
    struct stat st;
    snprintf(p, sizeof(p), SYSFS_NET "%s%s%s", ifname, leaf[0] ? "/" : "", leaf);
    return stat(p, &st) == 0;
}

/* Add ifname to bridge (SIOCBRADDIF: busybox's ip may lack `master`) and set
 * it up.  0 or -errno. */
static int bridge_add_and_up(const char *bridge, const char *ifname)
{
    struct ifreq ifr;
    unsigned idx = if_nametoindex(ifname);
    if (idx == 0)
        return -errno;
    if (!sysfs_exists(ifname, "brport")) {
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
        ifr.ifr_ifindex = (int)idx;
        if (ioctl(net_socket, SIOCBRADDIF, &ifr) < 0)
            return -errno;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(net_socket, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(net_socket, SIOCSIFFLAGS, &ifr) < 0)
            return -errno;
    }
    return 0;
}

/* ---- the vif table and the scan ------------------------------------------- */

struct vif {
    bool used;
    bool present;   /* listed by the current scan */
    bool connected; /* bridged and hotplug-status written */
    unsigned fe, handle;
};

static struct vif vifs[MAX_VIFS];
static unsigned vifs_seen, vifs_connected;

static struct vif *vif_find_or_add(unsigned fe, unsigned handle)
{
    struct vif *free_slot = NULL;
    for (unsigned i = 0; i < MAX_VIFS; i++) {
        if (vifs[i].used && vifs[i].fe == fe && vifs[i].handle == handle)
            return &vifs[i];
        if (!vifs[i].used && !free_slot)
            free_slot = &vifs[i];
    }
    if (!free_slot)
        return NULL;
    *free_slot = (struct vif){ .used = true, .fe = fe, .handle = handle };
    vifs_seen++;
    say("vif%u.%u: backend directory %s/%u/%u appeared", fe, handle, VIF_DIR, fe, handle);
    return free_slot;
}

/* Bridge one present vif if its netdev exists and it is not done yet. */
static int vif_try_connect(struct xs_client *c, const char *bridge, struct vif *v)
{
    char ifname[IFNAMSIZ], path[PATH_MAX_LEN];
    if (v->connected)
        return 0;
    snprintf(ifname, sizeof(ifname), "vif%u.%u", v->fe, v->handle);
    if (!sysfs_exists(ifname, ""))
        return 0; /* netback has not created it yet: a link event will come */
    int r = bridge_add_and_up(bridge, ifname);
    if (r) {
        say("error: %s: cannot add it to %s or bring it up: %s", ifname, bridge, strerror(-r));
        return 0; /* not fatal: the next event retries */
    }
    snprintf(path, sizeof(path), "%s/%u/%u/%s", VIF_DIR, v->fe, v->handle, HOTPLUG_NODE);
    r = xs_write(c, WATCH_TOKEN, path, HOTPLUG_CONNECTED);
    if (r == -ENOENT || r == -EACCES) {
        /* the directory went away under us: the next scan sees it gone */
        say("%s: writing %s failed (%s): backend directory going away?", ifname, path,
            strerror(-r));
        return 0;
    }
    if (r) {
        say("error: %s: writing %s: %s", ifname, path, strerror(-r));
        return r;
    }
    v->connected = true;
    vifs_connected++;
    say("%s bridged to %s, hotplug-status connected", ifname, bridge);
    return 0;
}

/*
 * Rescan backend/vif: note new vifs, connect what can be, forget vifs whose
 * directory is gone.  Returns the number of vifs present (>= 0) or -errno
 * for a failure of the xenstore stream itself.
 */
static int last_present; /* what the last complete scan found */

static int scan(struct xs_client *c, const char *bridge)
{
    static char fes[XENSTORE_PAYLOAD_MAX + 1], handles[XENSTORE_PAYLOAD_MAX + 1];
    char path[PATH_MAX_LEN];
    size_t fes_len, handles_len;
    int present = 0;

    for (unsigned i = 0; i < MAX_VIFS; i++)
        vifs[i].present = false;
    int r = xs_directory(c, WATCH_TOKEN, VIF_DIR, fes, sizeof(fes), &fes_len);
    if (r == -EPROTO || r == -E2BIG || r == -EACCES) {
        /* Not an answer about the vifs: keep what we knew (the next event
         * rescans).  Taking it for "empty" would end the service. */
        complain("listing %s: %s: vifs unchanged until the next event", VIF_DIR, strerror(-r));
        for (unsigned i = 0; i < MAX_VIFS; i++)
            vifs[i].present = vifs[i].used;
        return last_present;
    } else if (r) {
        return r;
    }
    for (size_t off = 0; off < fes_len; off += strlen(fes + off) + 1) {
        const char *fe_name = fes + off;
        unsigned fe;
        if (!parse_number(fe_name, DOMID_FIRST_RESERVED - 1, &fe)) {
            if (first_complaint_about(VIF_DIR, fe_name))
                complain("%s/%.32s: not a domain id: ignored", VIF_DIR, fe_name);
            continue;
        }
        snprintf(path, sizeof(path), "%s/%u", VIF_DIR, fe);
        r = xs_directory(c, WATCH_TOKEN, path, handles, sizeof(handles), &handles_len);
        if (r == -EPROTO || r == -E2BIG || r == -EACCES) {
            complain("listing %s: %s: ignored", path, strerror(-r));
            continue;
        }
        if (r)
            return r;
        for (size_t hoff = 0; hoff < handles_len; hoff += strlen(handles + hoff) + 1) {
            const char *h_name = handles + hoff;
            unsigned handle;
            if (!parse_number(h_name, HANDLE_MAX, &handle)) {
                if (first_complaint_about(path, h_name))
                    complain("%s/%.32s: not a vif handle (0..%u): ignored", path, h_name, HANDLE_MAX);
                continue;
            }
            struct vif *v = vif_find_or_add(fe, handle);
            if (!v) {
                complain("vif%u.%u: more than %u vifs at once: ignored", fe, handle, MAX_VIFS);
                continue;
            }
            v->present = true;
            present++;
            r = vif_try_connect(c, bridge, v);
            if (r)
                return r;
        }
    }
    for (unsigned i = 0; i < MAX_VIFS; i++) {
        if (vifs[i].used && !vifs[i].present) {
            say("vif%u.%u: backend directory gone (%s)", vifs[i].fe, vifs[i].handle,
                vifs[i].connected ? "was connected" : "never connected");
            vifs[i].used = false;
        }
    }
    last_present = present;
    return present;
}

/* ---- rtnetlink: new links -------------------------------------------------- */

static int netlink_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Drain the socket; true if a link named vif* was added or changed, or if
 * messages were lost (ENOBUFS: rescan to be safe). */
static bool netlink_drain(int fd)
{
    static unsigned char buf[NETLINK_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
    bool vif_event = false;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno == ENOBUFS)
                vif_event = true;
            return vif_event;
        }
        int len = (int)n;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
             nh = NLMSG_NEXT(nh, len)) {
            if (nh->nlmsg_type != RTM_NEWLINK ||
                nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
                continue;
            struct ifinfomsg *ifi = NLMSG_DATA(nh);
            int alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
            for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type != IFLA_IFNAME)
                    continue;
                size_t l = RTA_PAYLOAD(a);
                if (l >= 3 && !strncmp(RTA_DATA(a), "vif", 3))
                    vif_event = true;
            }
        }
    }
}

/* ---- the two modes ----------------------------------------------------------- */

static int serve(const char *bridge)
{
    struct xs_client *c = calloc(1, sizeof(*c));
    if (!c)
        return 1;
    if (strlen(bridge) >= IFNAMSIZ || if_nametoindex(bridge) == 0) {
        say("error: no bridge %s", bridge);
        return 1;
    }
    net_socket = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (net_socket < 0) {
        say("error: socket for interface ioctls: %s", strerror(errno));
        return 1;
    }
    int nl = netlink_open();
    if (nl < 0) {
        say("error: rtnetlink socket: %s", strerror(-nl));
        return 1;
    }
    if (xs_open(c))
        return 1;
    int r = xs_watch(c, VIF_DIR, WATCH_TOKEN);
    if (r) {
        say("error: watching %s: %s", VIF_DIR, strerror(-r));
        return 1;
    }
    say("watching %s (this domain's home) and new links; bridge %s", VIF_DIR, bridge);
    c->dirty = true; /* the first scan does not wait for the watch's first event */
    for (;;) {
        while (c->dirty) {
            c->dirty = false;
            int present = scan(c, bridge);
            if (present < 0) {
                say("error: xenstore failed while scanning %s: %s", VIF_DIR, strerror(-present));
                return 1;
            }
            if (present == 0 && vifs_seen > 0) {
                say("%s is empty after %u vif(s), %u connected: exiting", VIF_DIR, vifs_seen,
                    vifs_connected);
                if (vifs_connected < vifs_seen) {
                    say("error: %u vif(s) never got their netdev bridged",
                        vifs_seen - vifs_connected);
                    return 2;
                }
                return 0;
            }
        }
        /* Block until xenbus has bytes (an event: no request is outstanding)
         * or a link changes.  Bytes already buffered are handled first. */
        if (c->have == 0) {
            struct pollfd p[2] = { { .fd = c->fd, .events = POLLIN },
                                   { .fd = nl, .events = POLLIN } };
            if (poll(p, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                say("error: poll: %s", strerror(errno));
                return 1;
            }
            if (p[1].revents & POLLIN)
                c->dirty |= netlink_drain(nl);
            if (p[1].revents & (POLLERR | POLLHUP)) {
                say("error: rtnetlink socket failed");
                return 1;
            }
            if (!(p[0].revents & (POLLIN | POLLERR | POLLHUP)))
                continue;
        }
        r = xs_next_message(c);
        if (r)
            return 1;
        if (c->msg.type == XS_WATCH_EVENT)
            xs_take_event(c, WATCH_TOKEN);
        else
            complain("unexpected message of type %u with no request outstanding: ignored",
                     c->msg.type);
    }
}

/* Wait for the watch to fire (events met during earlier requests count). */
static int selftest_wait_event(struct xs_client *c, unsigned want_events, const char *why)
{
    for (unsigned n = 0; c->events < want_events; n++) {
        if (n >= SELFTEST_MAX_MESSAGES || xs_next_message(c))
            break;
        if (c->msg.type == XS_WATCH_EVENT)
            xs_take_event(c, SELFTEST_TOKEN);
    }
    if (c->events < want_events || strcmp(c->last_event_path, SELFTEST_NODE)) {
        say("selftest: FAIL: no watch event for %s (%s): %u event(s), last for '%s'",
            SELFTEST_NODE, why, c->events, c->last_event_path);
        return -1;
    }
    say("selftest: watch event %u for %s (%s)", c->events, c->last_event_path, why);
    return 0;
}

static int selftest(void)
{
    static char list[XENSTORE_PAYLOAD_MAX + 1];
    struct xs_client *c = calloc(1, sizeof(*c));
    char value[64];
    size_t list_len;
    if (!c || xs_open(c))
        return 1;
    snprintf(value, sizeof(value), "granite-%ld", (long)getpid());
    int r = xs_watch(c, SELFTEST_NODE, SELFTEST_TOKEN);
    if (r) {
        say("selftest: FAIL: watching %s: %s", SELFTEST_NODE, strerror(-r));
        return 1;
    }
    say("selftest: watch on %s set", SELFTEST_NODE);
    /* xenstore fires a new watch once (Linux relies on it) */
    if (selftest_wait_event(c, 1, "watch registered"))
        return 1;
    r = xs_write(c, SELFTEST_TOKEN, SELFTEST_NODE, value);
    if (r) {
        say("selftest: FAIL: writing %s: %s", SELFTEST_NODE, strerror(-r));
        return 1;
    }
    r = xs_read(c, SELFTEST_TOKEN, SELFTEST_NODE);
    if (r || strcmp(c->payload, value)) {
        say("selftest: FAIL: reading %s back: %s, got '%.64s', wrote '%s'", SELFTEST_NODE,
            r ? strerror(-r) : "ok", r ? "" : c->payload, value);
        return 1;
    }
    say("selftest: wrote and read back %s = %s", SELFTEST_NODE, value);
    if (selftest_wait_event(c, 2, "written"))
        return 1;
    r = xs_directory(c, SELFTEST_TOKEN, "data", list, sizeof(list), &list_len);
    bool listed = false;
    for (size_t off = 0; !r && off < list_len; off += strlen(list + off) + 1)
        listed |= !strcmp(list + off, strrchr(SELFTEST_NODE, '/') + 1);
    if (r || !listed) {
        say("selftest: FAIL: %s not listed in data (%s)", SELFTEST_NODE,
            r ? strerror(-r) : "absent");
        return 1;
    }
    r = xs_rm(c, SELFTEST_TOKEN, SELFTEST_NODE);
    if (r) {
        say("selftest: FAIL: removing %s: %s", SELFTEST_NODE, strerror(-r));
        return 1;
    }
    if (selftest_wait_event(c, 3, "removed"))
        return 1;
    r = xs_read(c, SELFTEST_TOKEN, SELFTEST_NODE);
    if (r != -ENOENT) {
        say("selftest: FAIL: %s still readable after XS_RM (%s)", SELFTEST_NODE,
            r ? strerror(-r) : "ok");
        return 1;
    }
    say("selftest: PASS: watch, write, read, directory, rm through %s", XENBUS_DEVICE);
    return 0;
}

/* --read PATH: print the value, like xenstore-read. */
static int one_read(const char *path)
{
    struct xs_client *c = calloc(1, sizeof(*c));
    if (!c || xs_open(c))
        return 1;
    int r = xs_read(c, "", path);
    if (r) {
        say("error: reading %s: %s", path, strerror(-r));
        return 1;
    }
    printf("%s\n", c->payload);
    return 0;
}

/* --write PATH VALUE / --rm PATH: one change, like xenstore-write/-rm. */
static int one_change(const char *path, const char *value)
{
    struct xs_client *c = calloc(1, sizeof(*c));
    if (!c || xs_open(c))
        return 1;
    int r = value ? xs_write(c, "", path, value) : xs_rm(c, "", path);
    if (r) {
        say("error: %s %s: %s", value ? "writing" : "removing", path, strerror(-r));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--selftest"))
        return selftest();
    if (argc == 4 && !strcmp(argv[1], "--write"))
        return one_change(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "--read"))
        return one_read(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "--rm"))
        return one_change(argv[2], NULL);
    if (argc == 2 && argv[1][0] != '-')
        return serve(argv[1]);
    fprintf(stderr, "usage: vif_hotplug BRIDGE | --selftest | --read PATH | --write PATH VALUE | --rm PATH\n");
    return 64;
}
