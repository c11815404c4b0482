/*
 * xenstore.c — dom0's xenstore daemon core: the node tree, permissions,
 * watches, transactions and the wire protocol (see xenstore.h for the API,
 * the memory budget and the permission policy).
 *
 * How it is built, and why:
 *   - The tree is a fixed array of nodes, each naming its parent's slot;
 *     slot 0 is "/".  Lookups scan the array (XS_MAX_NODES is small), which
 *     keeps the structure trivially consistent after removals.
 *   - Every change bumps the store's generation counter and stamps the
 *     nodes it touched (a node whose children change is stamped too, so a
 *     directory listing can conflict).  Removed nodes leave (generation,
 *     path hash) records in a small ring.
 *   - A transaction is a log of its changes plus the hashes of the paths it
 *     touched.  Each operation inside it runs on a scratch copy of the store
 *     with the log replayed, so reads see the transaction's own writes and
 *     the live store is untouched.  Commit checks that none of the touched
 *     paths changed since the start (EAGAIN if one did, or if too many
 *     paths were touched to tell), replays the log onto a fresh copy and
 *     replaces the live store with it in one step: all or nothing.
 *   - Replies go out before the watch events their change causes (Xen
 *     clients accept either order; this one is easier to reason about).
 *   - Quotas, not first come first served: every node, watch and
 *     transaction has an owner (a domain, or dom0's in-process code), each
 *     owner has a quota, and the pools are sized as the sum of every
 *     possible owner's quota (checked at build time below).  So an owner
 *     at its limit is refused while everyone else still gets theirs, and no
 *     expiry is needed: closing a connection frees exactly what it owned.
 *   - Nothing a domU sends is trusted: lengths, NUL terminators, path
 *     characters and permissions are checked before use; a bad message gets
 *     an XS_ERROR reply, a log line and a count, never a crash.
 *
 * Assumptions: single-threaded (see xenstore.h); one store per program.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "xenstore.h"

#define HDR_LEN sizeof(struct xsd_sockmsg)
#define PATH_BUF (XENSTORE_ABS_PATH_MAX + 1)
#define DOMID_FIRST_RESERVED 0x7FF0U /* DOMID_SELF and up are not domains */
#define DOM0 0U
#define ROOT 0
#define NO_NODE (-1)
#define DEL_LOG 64             /* removal records kept for conflict checks */
#define TX_MAX_PATHS 32        /* paths a transaction can track exactly */
#define LOG_LINE_MAX 320
#define LOG_LINES_PER_CONN 64  /* then one "suppressed" line and silence */
#define LOG_WHAT_MAX 160       /* characters of a guest's path in a log line */
#define MAX_FIRE_DEPTH 4       /* watch callbacks that write, nested */
#define DOMID_DIGITS_MAX 5     /* "32751" */
#define UINT_DIGITS 10         /* buffers sized for any unsigned, so no truncation */
#define TX_REC_HDR 5           /* log record: type u8, path len u16, value len u16 */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

_Static_assert(XS_MAX_NODES >= XS_MAX_DOMUS * XS_DOMU_NODE_QUOTA + XS_DOM0_NODE_SHARE,
               "node pool smaller than the quotas it must honour");
_Static_assert(XS_MAX_WATCHES >= XS_MAX_CONNS * XS_WATCH_QUOTA + XS_LOCAL_WATCHES,
               "watch pool smaller than the quotas it must honour");
_Static_assert(XS_MAX_TX >= XS_MAX_CONNS * XS_TX_QUOTA,
               "transaction pool smaller than the quotas it must honour");

static const char home_root[] = "/local/domain/";
static const char reply_ok[] = "OK";

/* --- state ----------------------------------------------------------------- */

struct node {
    uint64_t gen;   /* store generation of the last change to value or children */
    uint32_t seq;   /* creation order, for DIRECTORY */
    int16_t parent; /* slot of the parent; NO_NODE for "/" */
    uint16_t owner; /* domain that created it: charged to its quota */
    uint16_t value_len;
    uint8_t name_len;
    uint8_t nperms; /* entries in perms[], at least 1 */
    bool used;
    /* Xen's permission list: perms[0] names the node's owner and what every
     * domain not listed may do; perms[1..] are ACL entries (xenstore.h). */
    struct xs_perm perms[XS_PERMS_MAX];
    char name[XS_NAME_MAX + 1];
    char value[XS_VALUE_MAX];
};

struct deletion {
    uint64_t gen, hash;
    uint8_t nperms;                     /* the removed node's permissions, */
    struct xs_perm perms[XS_PERMS_MAX]; /* for the removal's watch events */
};

struct store {
    struct node nodes[XS_MAX_NODES];
    uint64_t gen;
    uint32_t seq;
    struct deletion dels[DEL_LOG];
    unsigned del_next;
    uint64_t del_lost_gen; /* newest generation whose removal record was overwritten */
};

struct xs_conn {
    bool used;
    bool busy;          /* inside xs_conn_input() */
    bool dead;          /* the stream lost its framing */
    bool close_pending; /* xs_conn_close() called while busy */
    unsigned domid;
    xs_send_fn send;
    void *ctx;
    uint32_t have; /* bytes of the current message received */
    struct xsd_sockmsg hdr;
    unsigned log_lines;
    uint64_t refusals[XS_QUOTA_KINDS]; /* for the log's back-off */
    /* header and payload as received, plus a NUL so a payload is always a
     * bounded C string even when the sender left its terminator out */
    char msg[HDR_LEN + XENSTORE_PAYLOAD_MAX + 1];
};

struct watch {
    bool used;
    bool relative; /* set with a relative path: events name paths the same way */
    struct xs_conn *conn; /* NULL: a local watch */
    xs_watch_fn fn;
    void *ctx;
    uint64_t serial; /* registration order: a watch never sees older changes */
    char path[XS_WATCH_PATH_MAX + 1]; /* absolute, or a special "@name" */
    char token[XS_TOKEN_MAX + 1];
};

struct tx {
    bool used;
    struct xs_conn *conn;
    uint32_t id;
    uint64_t start_gen;
    uint64_t commit_gen_lo; /* the first generation its commit stamped */
    unsigned nhashes;
    bool paths_overflow; /* touched more than TX_MAX_PATHS paths */
    uint64_t hashes[TX_MAX_PATHS];
    size_t log_len;
    unsigned char log[XS_TX_LOG_BYTES];
};

static struct store live;
static struct store scratch; /* a transaction's view, rebuilt for each use */
static struct xs_conn conns[XS_MAX_CONNS];
static struct watch watches[XS_MAX_WATCHES];
static struct tx txs[XS_MAX_TX];
static struct xs_stats stats;
static xs_log_fn log_fn;
static uint64_t watch_serial;
static uint32_t next_tx_id = 1;
static unsigned fire_depth;
static char out[HDR_LEN + XENSTORE_PAYLOAD_MAX];     /* the reply being built */
static char evbuf[HDR_LEN + XENSTORE_PAYLOAD_MAX];   /* a watch event being sent */
static char pathbuf[PATH_BUF];                       /* node_path() results */
static struct xs_conn *cur_conn; /* the connection whose request is being handled */
static bool quota_noted;         /* that request was refused by a quota, already logged */
static uint64_t local_refusals[XS_QUOTA_KINDS]; /* dom0's in-process calls */
static size_t rlen;                                  /* reply payload length */

/* --- logging and errors ----------------------------------------------------- */

static bool path_char_ok(char ch);

struct errname {
    int num;
    const char *name;
};
#define XS_ERRNAME(e) { e, #e },
static const struct errname errnames[] = { XSD_ERROR_NAMES(XS_ERRNAME) };

static const char *err_name(int err)
{
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
        if (errnames[i].num == -err)
            return errnames[i].name;
    return "EIO";
}

static const char *const type_names[XS_TYPE_COUNT] = {
    [XS_CONTROL] = "CONTROL", [XS_DIRECTORY] = "DIRECTORY", [XS_READ] = "READ",
    [XS_GET_PERMS] = "GET_PERMS", [XS_WATCH] = "WATCH", [XS_UNWATCH] = "UNWATCH",
    [XS_TRANSACTION_START] = "TRANSACTION_START", [XS_TRANSACTION_END] = "TRANSACTION_END",
    [XS_INTRODUCE] = "INTRODUCE", [XS_RELEASE] = "RELEASE",
    [XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH", [XS_WRITE] = "WRITE", [XS_MKDIR] = "MKDIR",
    [XS_RM] = "RM", [XS_SET_PERMS] = "SET_PERMS", [XS_WATCH_EVENT] = "WATCH_EVENT",
    [XS_ERROR] = "ERROR", [XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
    [XS_RESUME] = "RESUME", [XS_SET_TARGET] = "SET_TARGET",
    [XS_RESET_WATCHES] = "RESET_WATCHES", [XS_DIRECTORY_PART] = "DIRECTORY_PART",
};

void xs_set_log(xs_log_fn fn) { log_fn = fn; }

/* A guest's string, made safe for dom0's console: at most LOG_WHAT_MAX
 * characters, anything outside the path alphabet shown as '?'. */
static const char *printable(const char *s, char *buf)
{
    size_t i;

    for (i = 0; s[i] && i < LOG_WHAT_MAX; i++)
        buf[i] = path_char_ok(s[i]) ? s[i] : '?';
    strcpy(buf + i, s[i] ? "..." : "");
    return buf;
}



/* One line, "xenstore: dN: ..." when about a connection.  A connection gets
 * LOG_LINES_PER_CONN lines, so a guest sending garbage in a loop costs dom0's
 * console a bounded amount. */
__attribute__((format(printf, 2, 3))) static void xlog(struct xs_conn *c, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    int n = 0;
    va_list ap;

    if (!log_fn)
        return;
    if (c) {
        if (c->log_lines > LOG_LINES_PER_CONN)
            return;
        if (c->log_lines++ == LOG_LINES_PER_CONN) {
            snprintf(line, sizeof(line), "xenstore: d%u: too many messages, no more logged\n",
                     c->domid);
            log_fn(line);
            return;
        }
        n = snprintf(line, sizeof(line), "xenstore: d%u: ", c->domid);
    } else {
        n = snprintf(line, sizeof(line), "xenstore: ");
    }
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(line, "\n");
    log_fn(line);
}

static const char *const quota_names[XS_QUOTA_KINDS] = {
    [XS_QUOTA_NODES] = "node", [XS_QUOTA_DOMAINS] = "node-owning domain",
    [XS_QUOTA_WATCHES] = "watch", [XS_QUOTA_TRANSACTIONS] = "transaction",
};

/*
 * A quota said no: count it, and log it for the 1st, 2nd, 4th, 8th...
 * refusal of this kind by this client, so a guest retrying in a loop costs
 * dom0's console a logarithmic number of lines and the line still shows how
 * hard it pushed.  The line bypasses the per-connection cap on purpose: a
 * guest that first sends garbage must not hide its quota refusals.
 */
static int quota_refused(unsigned domid, enum xs_quota kind, unsigned limit, int err)
{
    uint64_t *n = cur_conn && cur_conn->domid == domid ? &cur_conn->refusals[kind]
                                                       : &local_refusals[kind];

    stats.quota_refusals[kind]++;
    quota_noted = true;
    ++*n;
    if ((*n & (*n - 1)) == 0) /* a power of two */
        xlog(NULL, "d%u: %s quota (%u) reached: %s (refusal %llu)", domid, quota_names[kind],
             limit, err_name(err), (unsigned long long)*n);
    return err;
}

/* --- paths and permissions ------------------------------------------------ */

static bool path_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '/' || ch == '_' || ch == '@' || ch == '.' || ch == '-';
}

/*
 * A client's path as a canonical absolute one in out[PATH_BUF]: relative
 * paths are below the caller's home; '@' names only for watches.  No
 * meaning is given to "." or ".." components: xenstore has none.
 */
static int resolve(unsigned domid, const char *in, char *out_path, bool for_watch, bool *relative)
{
    size_t n = strnlen(in, XENSTORE_ABS_PATH_MAX + 1);

    *relative = false;
    if (n == 0 || n > XENSTORE_ABS_PATH_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!path_char_ok(in[i]))
            return -EINVAL;
    if (in[0] == '@') {
        if (!for_watch || strchr(in, '/'))
            return -EINVAL;
        memcpy(out_path, in, n + 1);
        return 0;
    }
    if (strstr(in, "//") || (n > 1 && in[n - 1] == '/'))
        return -EINVAL;
    if (in[0] == '/') {
        memcpy(out_path, in, n + 1);
        return 0;
    }
    if (n > XENSTORE_REL_PATH_MAX)
        return -EINVAL;
    int k = snprintf(out_path, PATH_BUF, "%s%u/%s", home_root, domid, in);
    if (k < 0 || k > XENSTORE_ABS_PATH_MAX)
        return -EINVAL;
    *relative = true;
    return 0;
}

/* path is top, or below it.  "/" is above everything. */
static bool at_or_below(const char *path, const char *top)
{
    size_t n = strlen(top);

    if (n == 1 && top[0] == '/')
        return path[0] == '/';
    return !strncmp(path, top, n) && (path[n] == '\0' || path[n] == '/');
}

static bool strictly_below(const char *path, const char *top)
{
    return at_or_below(path, top) && strcmp(path, top) != 0;
}

static void home_of(unsigned domid, char *buf, size_t len)
{
    snprintf(buf, len, "%s%u", home_root, domid);
}

/* Parse a domain id at p (decimal, then '/' or the end): true and *id if so. */
static bool parse_domid_component(const char *p, unsigned *id)
{
    unsigned v = 0;
    int digits = 0;

    while (*p >= '0' && *p <= '9' && digits <= DOMID_DIGITS_MAX) {
        v = v * 10 + (unsigned)(*p++ - '0');
        digits++;
    }
    if (!digits || digits > DOMID_DIGITS_MAX || (*p != '\0' && *p != '/') ||
        v >= DOMID_FIRST_RESERVED)
        return false;
    *id = v;
    return true;
}

/* Is path exactly a domain's home "/local/domain/<N>"?  *domid = N if so. */
static bool is_home(const char *path, unsigned *domid)
{
    const size_t n = sizeof(home_root) - 1;

    return !strncmp(path, home_root, n) && parse_domid_component(path + n, domid) &&
           !strchr(path + n, '/');
}

static int lookup(const struct store *s, const char *path);
static size_t comp_len(const char *p);

/* The node whose permissions govern `path`: the node itself, or — for a
 * path that does not exist — its nearest existing ancestor (so asking
 * about a missing node tells nothing the caller may not read, and creating
 * one needs write access where it would hang). */
static const struct node *governing(const struct store *s, const char *path)
{
    int cur = ROOT;
    const char *p = path + 1;

    while (*p) {
        size_t len = comp_len(p);
        int next = NO_NODE;
        for (int i = 1; i < XS_MAX_NODES && len <= XS_NAME_MAX; i++) {
            const struct node *n = &s->nodes[i];
            if (n->used && n->parent == cur && n->name_len == len && !memcmp(n->name, p, len)) {
                next = i;
                break;
            }
        }
        if (next == NO_NODE)
            break;
        cur = next;
        p += len;
        if (*p == '/')
            p++;
    }
    return &s->nodes[cur];
}

/* What domain `domid` may do to a node with this permission list: dom0 and
 * the owner everything, a listed domain its entry, anyone else the
 * owner entry's default (Xen's rules). */
static unsigned perm_for(const struct xs_perm *perms, unsigned nperms, unsigned domid)
{
    if (domid == DOM0 || perms[0].domid == domid)
        return XS_PERM_BOTH;
    for (unsigned i = 1; i < nperms; i++)
        if (perms[i].domid == domid)
            return perms[i].perm;
    return perms[0].perm;
}

/* While the watch events of a live removal fire, the nodes it took away
 * are gone; their permission lists wait in the removal records (struct
 * deletion) of generations rm_gen_lo..rm_gen_hi, so the events reach exactly the
 * domains that could read those nodes. */
static bool rm_firing;
static uint64_t rm_gen_lo, rm_gen_hi; /* the generations whose records apply */
/* While a committed transaction's events fire: the first generation its
 * replay stamped, so each of its removals finds its own records (0: none). */
static uint64_t tx_fire_lo;
static uint64_t path_hash(const char *p);

/* The removed node at path or its nearest removed ancestor, from the
 * removal records of the removal being fired (the newest, when a
 * transaction removed the same path more than once); NULL if none. */
static const struct deletion *removed_perms(const struct store *s, const char *path)
{
    char p[PATH_BUF];
    char *slash;

    strcpy(p, path);
    for (;;) {
        uint64_t h = path_hash(p);
        const struct deletion *best = NULL;
        for (int i = 0; i < DEL_LOG; i++) {
            const struct deletion *d = &s->dels[i];
            if (d->gen >= rm_gen_lo && d->gen <= rm_gen_hi && d->hash == h && d->nperms &&
                (!best || d->gen > best->gen))
                best = d;
        }
        if (best)
            return best;
        slash = strrchr(p, '/');
        if (!slash || slash == p)
            return NULL;
        *slash = '\0';
    }
}

static bool may_read(const struct store *s, unsigned domid, const char *path)
{
    const struct node *n;

    if (domid == DOM0)
        return true;
    if (path[0] == '@')
        return true; /* special watch names carry no data */
    if (rm_firing && lookup(s, path) == NO_NODE) {
        const struct deletion *d = removed_perms(s, path);
        if (d)
            return perm_for(d->perms, d->nperms, domid) & XS_PERM_READ;
    }
    n = governing(s, path);
    return perm_for(n->perms, n->nperms, domid) & XS_PERM_READ;
}

/* A domain's home node itself (and everything above it, owned by dom0) is
 * the toolstack's: only dom0 may change or remove it, though the domain
 * owns it and so may read it and create below it. */
static bool may_write(const struct store *s, unsigned domid, const char *path)
{
    const struct node *n;
    unsigned home;

    if (domid == DOM0)
        return true;
    if (is_home(path, &home) || !strcmp(path, "/"))
        return false;
    n = governing(s, path);
    return perm_for(n->perms, n->nperms, domid) & XS_PERM_WRITE;
}

static uint64_t path_hash(const char *p)
{
    uint64_t h = FNV_OFFSET;

    while (*p) {
        h ^= (unsigned char)*p++;
        h *= FNV_PRIME;
    }
    return h;
}

/* --- the tree ------------------------------------------------------------ */

static void store_reset(struct store *s)
{
    memset(s, 0, sizeof(*s));
    s->nodes[ROOT].used = true;
    s->nodes[ROOT].parent = NO_NODE;
    s->nodes[ROOT].nperms = 1; /* dom0's, nothing for anyone else */
}

static int find_child(const struct store *s, int parent, const char *name, size_t len)
{
    if (len > XS_NAME_MAX)
        return NO_NODE;
    for (int i = 0; i < XS_MAX_NODES; i++) {
        const struct node *n = &s->nodes[i];
        if (n->used && n->parent == parent && n->name_len == len && !memcmp(n->name, name, len))
            return i;
    }
    return NO_NODE;
}

/* Length of the component at p (up to '/' or the end). */
static size_t comp_len(const char *p)
{
    const char *e = strchr(p, '/');
    return e ? (size_t)(e - p) : strlen(p);
}

/* Slot of an absolute path; NO_NODE if it does not exist. */
static int lookup(const struct store *s, const char *path)
{
    int cur = ROOT;
    const char *p = path + 1;

    while (*p && cur != NO_NODE) {
        size_t len = comp_len(p);
        cur = find_child(s, cur, p, len);
        p += len;
        if (*p == '/')
            p++;
    }
    return cur;
}

/* The absolute path of a slot, into pathbuf. */
static const char *node_path(const struct store *s, int idx)
{
    int chain[XS_MAX_NODES];
    int depth = 0;
    size_t pos = 0;

    while (idx != ROOT && idx != NO_NODE && depth < XS_MAX_NODES) {
        chain[depth++] = idx;
        idx = s->nodes[idx].parent;
    }
    pathbuf[0] = '/';
    pathbuf[1] = '\0';
    while (depth--) {
        const struct node *n = &s->nodes[chain[depth]];
        if (pos + 1 + n->name_len >= PATH_BUF)
            break; /* cannot happen: creation limits the length */
        pathbuf[pos++] = '/';
        memcpy(pathbuf + pos, n->name, n->name_len);
        pos += n->name_len;
        pathbuf[pos] = '\0';
    }
    return pathbuf;
}

static unsigned owned_by(const struct store *s, unsigned domid)
{
    unsigned count = 0;

    for (int i = 0; i < XS_MAX_NODES; i++)
        count += s->nodes[i].used && s->nodes[i].owner == domid;
    return count;
}

/* How many domUs own at least one node. */
static unsigned domu_owners(const struct store *s)
{
    unsigned count = 0;

    for (int i = 1; i < XS_MAX_NODES; i++) {
        const struct node *n = &s->nodes[i];
        bool first = n->used && n->owner != DOM0;
        for (int j = 1; j < i && first; j++)
            first = !(s->nodes[j].used && s->nodes[j].owner == n->owner);
        count += first;
    }
    return count;
}

/* May `owner` own `missing` more nodes?  0 or the quota's refusal. */
static int node_quota_check(const struct store *s, unsigned owner, unsigned missing)
{
    unsigned have = owned_by(s, owner);
    unsigned limit = owner == DOM0 ? XS_DOM0_NODE_SHARE : XS_DOMU_NODE_QUOTA;

    if (have + missing > limit)
        return quota_refused(owner, XS_QUOTA_NODES, limit, -ENOSPC);
    if (owner != DOM0 && have == 0 && domu_owners(s) >= XS_MAX_DOMUS)
        return quota_refused(owner, XS_QUOTA_DOMAINS, XS_MAX_DOMUS, -ENOSPC);
    return 0;
}

static int free_slot(const struct store *s)
{
    for (int i = 1; i < XS_MAX_NODES; i++)
        if (!s->nodes[i].used)
            return i;
    return NO_NODE;
}

/*
 * Make sure `path` exists, creating missing parents as xenstored does.  All
 * limits are checked before anything is created, so a failure changes
 * nothing.  *created says whether any node was made.
 */
static int create_path(struct store *s, unsigned owner, const char *path, int *slot, bool *created)
{
    int cur = ROOT, missing = 0;
    const char *p = path + 1, *first_missing = NULL;

    *created = false;
    while (*p) {
        size_t len = comp_len(p);
        if (len > XS_NAME_MAX)
            return -E2BIG;
        if (!first_missing) {
            int next = find_child(s, cur, p, len);
            if (next == NO_NODE)
                first_missing = p;
            else
                cur = next;
        }
        if (first_missing)
            missing++;
        p += len;
        if (*p == '/')
            p++;
    }
    if (!missing) {
        *slot = cur;
        return 0;
    }
    int e = node_quota_check(s, owner, (unsigned)missing);
    if (e)
        return e;
    unsigned free_count = 0;
    for (int i = 1; i < XS_MAX_NODES; i++)
        free_count += !s->nodes[i].used;
    if (free_count < (unsigned)missing) {
        /* cannot happen while the quotas add up to the pool */
        xlog(NULL, "d%u: node pool full below every quota", owner);
        return -ENOSPC;
    }

    uint64_t gen = ++s->gen;
    p = first_missing;
    while (*p) {
        size_t len = comp_len(p);
        int idx = free_slot(s);
        struct node *n = &s->nodes[idx];
        unsigned home;

        memset(n, 0, sizeof(*n));
        n->used = true;
        n->parent = (int16_t)cur;
        n->owner = (uint16_t)owner;
        n->name_len = (uint8_t)len;
        memcpy(n->name, p, len);
        /* Xen's inheritance: a new node takes its parent's permissions, and
         * a domain other than dom0 owns what it creates.  A domain's home
         * is created owned by that domain, readable by no one else. */
        n->nperms = s->nodes[cur].nperms;
        memcpy(n->perms, s->nodes[cur].perms, sizeof(n->perms));
        if (owner != DOM0)
            n->perms[0].domid = (uint16_t)owner;
        if (is_home(node_path(s, idx), &home)) {
            n->nperms = 1;
            n->perms[0] = (struct xs_perm){ .domid = (uint16_t)home, .perm = XS_PERM_NONE };
        }
        n->gen = gen;
        n->seq = ++s->seq;
        s->nodes[cur].gen = gen; /* its list of children changed */
        cur = idx;
        p += len;
        if (*p == '/')
            p++;
    }
    *slot = cur;
    *created = true;
    return 0;
}

static int op_write(struct store *s, unsigned owner, const char *path, const char *val, size_t vlen)
{
    int slot, r;
    bool created;

    if (vlen > XS_VALUE_MAX)
        return -E2BIG;
    r = create_path(s, owner, path, &slot, &created);
    if (r)
        return r;
    struct node *n = &s->nodes[slot];
    memcpy(n->value, val, vlen);
    n->value_len = (uint16_t)vlen;
    n->gen = created ? s->gen : ++s->gen;
    return 0;
}

static int op_mkdir(struct store *s, unsigned owner, const char *path, bool *changed)
{
    int slot;
    return create_path(s, owner, path, &slot, changed);
}

static int op_set_perms(struct store *s, const char *path, const struct xs_perm *perms,
                        unsigned count)
{
    int idx = lookup(s, path);

    if (idx == NO_NODE)
        return -ENOENT;
    struct node *n = &s->nodes[idx];
    memset(n->perms, 0, sizeof(n->perms));
    memcpy(n->perms, perms, count * sizeof(*perms));
    n->nperms = (uint8_t)count;
    n->gen = ++s->gen;
    return 0;
}

static bool in_subtree(const struct store *s, int idx, int top)
{
    for (int steps = 0; idx != NO_NODE && steps < XS_MAX_NODES; steps++) {
        if (idx == top)
            return true;
        idx = s->nodes[idx].parent;
    }
    return false;
}

static void record_deletion(struct store *s, uint64_t gen, int idx)
{
    struct deletion *d = &s->dels[s->del_next];

    if (d->gen > s->del_lost_gen)
        s->del_lost_gen = d->gen;
    d->gen = gen;
    d->hash = path_hash(node_path(s, idx));
    d->nperms = s->nodes[idx].nperms;
    memcpy(d->perms, s->nodes[idx].perms, sizeof(d->perms));
    s->del_next = (s->del_next + 1) % DEL_LOG;
}

/*
 * Remove a node and everything below it.  Removing a node that is not
 * there succeeds if its parent is (xenstored's rule: the caller's goal is
 * met); *changed says whether anything went.
 */
static int op_rm(struct store *s, const char *path, bool *changed)
{
    int top = lookup(s, path);

    *changed = false;
    if (!strcmp(path, "/"))
        return -EINVAL;
    if (top == NO_NODE) {
        char parent[PATH_BUF];
        char *slash;
        strcpy(parent, path);
        slash = strrchr(parent, '/');
        if (slash == parent)
            slash[1] = '\0';
        else
            *slash = '\0';
        return lookup(s, parent) == NO_NODE ? -ENOENT : 0;
    }
    uint64_t gen = ++s->gen;
    int parent = s->nodes[top].parent;
    for (int i = 1; i < XS_MAX_NODES; i++) {
        if (s->nodes[i].used && i != top && in_subtree(s, i, top))
            record_deletion(s, gen, i);
    }
    record_deletion(s, gen, top);
    /* clear after recording: node_path() needs the parents */
    for (int i = 1; i < XS_MAX_NODES; i++)
        if (s->nodes[i].used && i != top && in_subtree(s, i, top))
            s->nodes[i].used = false;
    s->nodes[top].used = false;
    s->nodes[parent].gen = gen;
    *changed = true;
    return 0;
}

/* Children's names of a slot, NUL-terminated each, in creation order. */
static int list_children(const struct store *s, int idx, char *buf, size_t cap, size_t *len,
                         unsigned *count)
{
    uint32_t last = 0;

    *len = 0;
    *count = 0;
    for (;;) {
        int best = NO_NODE;
        for (int i = 1; i < XS_MAX_NODES; i++) {
            const struct node *n = &s->nodes[i];
            if (n->used && n->parent == idx && n->seq > last &&
                (best == NO_NODE || n->seq < s->nodes[best].seq))
                best = i;
        }
        if (best == NO_NODE)
            return 0;
        const struct node *n = &s->nodes[best];
        if (*len + n->name_len + 1 > cap)
            return -E2BIG;
        memcpy(buf + *len, n->name, n->name_len);
        buf[*len + n->name_len] = '\0';
        *len += n->name_len + 1u;
        (*count)++;
        last = n->seq;
    }
}

/* --- watches -------------------------------------------------------------- */

static void send_event(struct xs_conn *c, const char *path, const char *token)
{
    size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
    struct xsd_sockmsg h = { .type = XS_WATCH_EVENT, .req_id = 0, .tx_id = 0,
                             .len = (uint32_t)(pl + tl) };

    if (pl + tl > XENSTORE_PAYLOAD_MAX)
        return; /* cannot happen: paths and tokens are limited on registration */
    memcpy(evbuf, &h, HDR_LEN);
    memcpy(evbuf + HDR_LEN, path, pl);
    memcpy(evbuf + HDR_LEN + pl, token, tl);
    c->send(c, evbuf, HDR_LEN + pl + tl);
}

/*
 * Tell one watcher that `abs` changed.  With READERS_ONLY, a domain only
 * hears about paths it may read (the immediate event on registration only
 * echoes the client's own path, so it is not checked).
 */
enum deliver_to { ANY_WATCHER, READERS_ONLY };
static void deliver(struct watch *w, const char *abs, enum deliver_to to)
{
    const char *shown = abs;
    const size_t root_len = sizeof(home_root) - 1;

    if (w->relative && !strncmp(abs, home_root, root_len)) {
        /* the watch path is "<home>/<rel>", so abs starts with "<home>/" */
        const char *after = abs + root_len;
        while (*after >= '0' && *after <= '9')
            after++;
        if (*after == '/')
            shown = after + 1;
    }
    if (w->conn) {
        struct xs_conn *c = w->conn;
        if (!c->used || c->dead || c->close_pending)
            return;
        if (to == READERS_ONLY && !may_read(&live, c->domid, abs))
            return;
        stats.watch_events++;
        send_event(c, shown, w->token);
    } else {
        /* The callback may unwatch and reuse this slot: copy what lives in
         * it.  `abs` otherwise belongs to the caller and stays put. */
        char wpath[XS_WATCH_PATH_MAX + 1], token[XS_TOKEN_MAX + 1];
        xs_watch_fn fn = w->fn;
        void *ctx = w->ctx;
        if ((uintptr_t)shown - (uintptr_t)w->path < sizeof(w->path)) {
            strcpy(wpath, shown);
            shown = wpath;
        }
        strcpy(token, w->token);
        stats.watch_events++;
        fn(shown, token, ctx);
    }
}

/*
 * `path` changed: tell every watch on it or above it.  After a removal
 * (WATCH_REMOVED), watches set below the removed node hear about their own
 * path, as they would from xenstored.
 */
enum watch_cause { WATCH_CHANGED, WATCH_REMOVED };
static void fire_watches(const char *path, enum watch_cause cause)
{
    bool removed = cause == WATCH_REMOVED;
    uint64_t newest = watch_serial;

    if (fire_depth >= MAX_FIRE_DEPTH) {
        xlog(NULL, "watch callbacks nested %u deep: no events for %s", fire_depth, path);
        return;
    }
    fire_depth++;
    /* A removal's events are checked against the removed node's list, only
     * while they are being fired (a callback's own changes fire nested,
     * with the flag as they need it) */
    bool was_firing = rm_firing;
    uint64_t was_lo = rm_gen_lo, was_hi = rm_gen_hi, was_tx_lo = tx_fire_lo;
    rm_firing = removed;
    /* A live removal's records carry live.gen (nothing has changed since);
     * a committed transaction's, a generation of its replay. */
    rm_gen_lo = tx_fire_lo ? tx_fire_lo : live.gen;
    rm_gen_hi = live.gen;
    tx_fire_lo = 0; /* a callback's own changes fire as live ones */
    for (int i = 0; i < XS_MAX_WATCHES; i++) {
        struct watch *w = &watches[i];
        if (!w->used || w->serial > newest || w->path[0] == '@')
            continue;
        if (at_or_below(path, w->path)) {
            deliver(w, path, READERS_ONLY);
        } else if (removed && strictly_below(w->path, path)) {
            char own[XS_WATCH_PATH_MAX + 1];
            strcpy(own, w->path);
            deliver(w, own, READERS_ONLY);
        }
    }
    rm_firing = was_firing;
    rm_gen_lo = was_lo;
    rm_gen_hi = was_hi;
    tx_fire_lo = was_tx_lo;
    fire_depth--;
}

static struct watch *find_watch(struct xs_conn *c, const char *path, const char *token)
{
    for (int i = 0; i < XS_MAX_WATCHES; i++) {
        struct watch *w = &watches[i];
        if (w->used && w->conn == c && !strcmp(w->path, path) && !strcmp(w->token, token))
            return w;
    }
    return NULL;
}

/* Register a watch; the caller fires it once afterwards. */
static int add_watch(struct xs_conn *c, unsigned domid, const char *path, const char *token,
                     xs_watch_fn fn, void *ctx, struct watch **out_w)
{
    char abs[PATH_BUF];
    bool relative;
    unsigned mine = 0;
    int r = resolve(domid, path, abs, true, &relative);
    struct watch *w = NULL;

    if (r)
        return r;
    if (strlen(abs) > XS_WATCH_PATH_MAX || strlen(token) > XS_TOKEN_MAX)
        return -E2BIG;
    if (find_watch(c, abs, token))
        return -EEXIST;
    /* a domain's wire watches share one quota over all its connections;
     * dom0's local ones have theirs */
    for (int i = 0; i < XS_MAX_WATCHES; i++) {
        const struct watch *o = &watches[i];
        if (!o->used && !w)
            w = &watches[i];
        mine += o->used && (c ? o->conn && o->conn->domid == c->domid : !o->conn);
    }
    unsigned limit = c ? XS_WATCH_QUOTA : XS_LOCAL_WATCHES;
    if (mine >= limit)
        return quota_refused(domid, XS_QUOTA_WATCHES, limit, -E2BIG);
    if (!w) {
        xlog(NULL, "d%u: watch pool full below every quota", domid);
        return -ENOSPC; /* cannot happen while the quotas add up to the pool */
    }
    memset(w, 0, sizeof(*w));
    w->used = true;
    w->relative = relative;
    w->conn = c;
    w->fn = fn;
    w->ctx = ctx;
    w->serial = ++watch_serial;
    strcpy(w->path, abs);
    strcpy(w->token, token);
    *out_w = w;
    return 0;
}

static int remove_watch(struct xs_conn *c, unsigned domid, const char *path, const char *token)
{
    char abs[PATH_BUF];
    bool relative;
    int r = resolve(domid, path, abs, true, &relative);
    struct watch *w;

    if (r)
        return r;
    w = find_watch(c, abs, token);
    if (!w)
        return -ENOENT;
    w->used = false;
    return 0;
}

static void drop_watches(struct xs_conn *c)
{
    for (int i = 0; i < XS_MAX_WATCHES; i++)
        if (watches[i].used && watches[i].conn == c)
            watches[i].used = false;
}

/* --- transactions --------------------------------------------------------- */

static struct tx *tx_find(struct xs_conn *c, uint32_t id)
{
    for (int i = 0; i < XS_MAX_TX; i++)
        if (txs[i].used && txs[i].conn == c && txs[i].id == id)
            return &txs[i];
    return NULL;
}

static bool tx_id_in_use(uint32_t id)
{
    for (int i = 0; i < XS_MAX_TX; i++)
        if (txs[i].used && txs[i].id == id)
            return true;
    return false;
}

static int tx_start(struct xs_conn *c, uint32_t *id)
{
    struct tx *t = NULL;
    unsigned mine = 0;

    for (int i = 0; i < XS_MAX_TX; i++) {
        if (!txs[i].used && !t)
            t = &txs[i];
        mine += txs[i].used && txs[i].conn->domid == c->domid;
    }
    if (mine >= XS_TX_QUOTA)
        return quota_refused(c->domid, XS_QUOTA_TRANSACTIONS, XS_TX_QUOTA, -ENOSPC);
    if (!t) {
        xlog(c, "transaction pool full below every quota");
        return -ENOSPC; /* cannot happen while the quotas add up to the pool */
    }
    /* ids are never 0 (no transaction) and never two alike at once */
    while (next_tx_id == 0 || tx_id_in_use(next_tx_id))
        next_tx_id++;
    memset(t, 0, sizeof(*t));
    t->used = true;
    t->conn = c;
    t->id = next_tx_id++;
    t->start_gen = live.gen;
    *id = t->id;
    return 0;
}

static void tx_note(struct tx *t, const char *path)
{
    uint64_t h = path_hash(path);

    for (unsigned i = 0; i < t->nhashes; i++)
        if (t->hashes[i] == h)
            return;
    if (t->nhashes < TX_MAX_PATHS)
        t->hashes[t->nhashes++] = h;
    else
        t->paths_overflow = true;
}

static bool tx_touched(const struct tx *t, uint64_t h)
{
    for (unsigned i = 0; i < t->nhashes; i++)
        if (t->hashes[i] == h)
            return true;
    return false;
}

static int tx_log(struct tx *t, uint8_t type, const char *path, const char *val, size_t vlen)
{
    uint16_t plen = (uint16_t)(strlen(path) + 1), vl = (uint16_t)vlen;
    unsigned char *p = t->log + t->log_len;

    if (t->log_len + TX_REC_HDR + plen + vlen > sizeof(t->log))
        return -ENOMEM;
    p[0] = type;
    memcpy(p + 1, &plen, sizeof(plen));
    memcpy(p + 3, &vl, sizeof(vl));
    memcpy(p + TX_REC_HDR, path, plen);
    if (vlen)
        memcpy(p + TX_REC_HDR + plen, val, vlen);
    t->log_len += TX_REC_HDR + plen + vlen;
    return 0;
}

struct tx_rec {
    uint8_t type;
    const char *path, *val;
    size_t vlen;
};

/* The record at *pos, advancing *pos; false at the end. */
static bool tx_next(const struct tx *t, size_t *pos, struct tx_rec *rec)
{
    uint16_t plen, vlen;
    const unsigned char *p = t->log + *pos;

    if (*pos + TX_REC_HDR > t->log_len)
        return false;
    rec->type = p[0];
    memcpy(&plen, p + 1, sizeof(plen));
    memcpy(&vlen, p + 3, sizeof(vlen));
    rec->path = (const char *)p + TX_REC_HDR;
    rec->val = rec->path + plen;
    rec->vlen = vlen;
    *pos += TX_REC_HDR + plen + vlen;
    return true;
}

/* scratch = the live store with the transaction's changes applied. */
static int tx_replay(const struct tx *t)
{
    struct tx_rec rec;
    size_t pos = 0;
    bool changed;
    int r = 0;

    memcpy(&scratch, &live, sizeof(scratch));
    while (!r && tx_next(t, &pos, &rec)) {
        if (rec.type == XS_WRITE)
            r = op_write(&scratch, t->conn->domid, rec.path, rec.val, rec.vlen);
        else if (rec.type == XS_MKDIR)
            r = op_mkdir(&scratch, t->conn->domid, rec.path, &changed);
        else if (rec.type == XS_SET_PERMS) {
            struct xs_perm perms[XS_PERMS_MAX];
            size_t n = rec.vlen / sizeof(perms[0]);
            memcpy(perms, rec.val, n * sizeof(perms[0]));
            r = op_set_perms(&scratch, rec.path, perms, (unsigned)n);
        }
        else
            r = op_rm(&scratch, rec.path, &changed);
    }
    return r;
}

/* Did anything the transaction touched change since it began? */
static bool tx_conflicts(const struct tx *t)
{
    if (t->paths_overflow)
        return live.gen != t->start_gen;
    if (live.del_lost_gen > t->start_gen)
        return true; /* removals we can no longer check */
    for (int i = 0; i < DEL_LOG; i++)
        if (live.dels[i].gen > t->start_gen && tx_touched(t, live.dels[i].hash))
            return true;
    for (int i = 0; i < XS_MAX_NODES; i++)
        if (live.nodes[i].used && live.nodes[i].gen > t->start_gen &&
            tx_touched(t, path_hash(node_path(&live, i))))
            return true;
    return false;
}

static void drop_txs(struct xs_conn *c)
{
    for (int i = 0; i < XS_MAX_TX; i++)
        if (txs[i].used && txs[i].conn == c)
            txs[i].used = false;
}

/* --- requests --------------------------------------------------------------- */

struct request {
    struct xs_conn *c;
    struct xsd_sockmsg h;
    const char *p; /* payload; p[len] is a NUL we added */
    uint32_t len;
    const char *what;    /* the path or argument, for the log line */
    struct store *s;     /* live, or scratch inside a transaction */
    struct tx *tx;       /* the transaction named by h.tx_id */
    char abs[PATH_BUF];  /* the resolved path */
    bool fire, fire_removed;
    struct tx *commit;   /* committed: fire its log after the reply */
};

static char *reply_payload(void) { return out + HDR_LEN; }

static int reply_str(const char *s)
{
    size_t n = strlen(s) + 1;
    if (rlen + n > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;
    memcpy(reply_payload() + rlen, s, n);
    rlen += n;
    return 0;
}

static void send_reply(struct xs_conn *c, uint32_t type, const struct xsd_sockmsg *req)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req->req_id, .tx_id = req->tx_id,
                             .len = (uint32_t)rlen };
    memcpy(out, &h, HDR_LEN);
    c->send(c, out, HDR_LEN + rlen);
}

/* The payload is exactly one NUL-terminated string. */
static int one_string(const struct request *r)
{
    if (r->len == 0 || r->p[r->len - 1] != '\0' || strlen(r->p) != r->len - 1)
        return -EINVAL;
    return 0;
}

/* The payload is exactly two NUL-terminated strings. */
static int two_strings(const struct request *r, const char **a, const char **b)
{
    size_t first;

    if (r->len < 2 || r->p[r->len - 1] != '\0')
        return -EINVAL;
    first = strlen(r->p) + 1;
    if (first >= r->len || strlen(r->p + first) != r->len - first - 1)
        return -EINVAL;
    *a = r->p;
    *b = r->p + first;
    return 0;
}

/* Resolve the request's path; inside a transaction, remember it. */
static int req_path(struct request *r, const char *path)
{
    bool relative;
    int e;

    r->what = path;
    e = resolve(r->c->domid, path, r->abs, false, &relative);
    if (!e && r->tx)
        tx_note(r->tx, r->abs);
    return e;
}

/* A change: inside a transaction it goes into the log, else it fires. */
static int req_changed(struct request *r, uint8_t type, const char *val, size_t vlen)
{
    if (r->tx)
        return tx_log(r->tx, type, r->abs, val, vlen);
    r->fire = true;
    r->fire_removed = type == XS_RM;
    return 0;
}

static int do_read(struct request *r)
{
    int e = one_string(r), idx;

    if (e || (e = req_path(r, r->p)))
        return e;
    if (!may_read(r->s, r->c->domid, r->abs))
        return -EACCES;
    idx = lookup(r->s, r->abs);
    if (idx == NO_NODE)
        return -ENOENT;
    memcpy(reply_payload(), r->s->nodes[idx].value, r->s->nodes[idx].value_len);
    rlen = r->s->nodes[idx].value_len;
    return 0;
}

static int do_directory(struct request *r)
{
    int e = one_string(r), idx;
    unsigned count;

    if (e || (e = req_path(r, r->p)))
        return e;
    if (!may_read(r->s, r->c->domid, r->abs))
        return -EACCES;
    idx = lookup(r->s, r->abs);
    if (idx == NO_NODE)
        return -ENOENT;
    return list_children(r->s, idx, reply_payload(), XENSTORE_PAYLOAD_MAX, &rlen, &count);
}

static int do_write(struct request *r)
{
    const char *nul = memchr(r->p, '\0', r->len);
    int e;

    if (!nul)
        return -EINVAL;
    if ((e = req_path(r, r->p)))
        return e;
    if (!may_write(r->s, r->c->domid, r->abs))
        return -EACCES;
    const char *val = nul + 1;
    size_t vlen = r->len - (size_t)(val - r->p);
    e = op_write(r->s, r->c->domid, r->abs, val, vlen);
    if (!e)
        e = req_changed(r, XS_WRITE, val, vlen);
    return e ? e : reply_str(reply_ok);
}

static int do_mkdir(struct request *r)
{
    int e = one_string(r);
    bool changed;

    if (e || (e = req_path(r, r->p)))
        return e;
    if (!may_write(r->s, r->c->domid, r->abs))
        return -EACCES;
    e = op_mkdir(r->s, r->c->domid, r->abs, &changed);
    if (!e && changed)
        e = req_changed(r, XS_MKDIR, NULL, 0);
    return e ? e : reply_str(reply_ok);
}

static int do_rm(struct request *r)
{
    int e = one_string(r);
    bool changed;

    if (e || (e = req_path(r, r->p)))
        return e;
    if (!may_write(r->s, r->c->domid, r->abs))
        return -EACCES;
    e = op_rm(r->s, r->abs, &changed);
    if (!e && changed)
        e = req_changed(r, XS_RM, NULL, 0);
    return e ? e : reply_str(reply_ok);
}

static const char perm_letters[] = "nrwb"; /* indexed by XS_PERM_* */

/* A node's permission list in Xen's notation, each entry a letter (n none,
 * r read, w write, b both) and a domain id, NUL-terminated. */
static int do_get_perms(struct request *r)
{
    char perm[UINT_DIGITS + 2];
    int e = one_string(r), idx;

    if (e || (e = req_path(r, r->p)))
        return e;
    if (!may_read(r->s, r->c->domid, r->abs))
        return -EACCES;
    idx = lookup(r->s, r->abs);
    if (idx == NO_NODE)
        return -ENOENT;
    const struct node *n = &r->s->nodes[idx];
    for (unsigned i = 0; i < n->nperms && !e; i++) {
        snprintf(perm, sizeof(perm), "%c%u", perm_letters[n->perms[i].perm & XS_PERM_BOTH],
                 (unsigned)n->perms[i].domid);
        e = reply_str(perm);
    }
    return e;
}

/* Parse SET_PERMS entries ("r5", "n0"...) from p to end: 0 or -EINVAL /
 * -E2BIG (more entries than a node keeps). */
static int parse_perms(const char *p, const char *end, struct xs_perm *out, unsigned *count)
{
    *count = 0;
    for (; p < end; p += strlen(p) + 1) {
        const char *letter = strchr(perm_letters, p[0]);
        unsigned id;
        if (!p[0] || !letter || !parse_domid_component(p + 1, &id) || strchr(p + 1, '/'))
            return -EINVAL;
        if (*count == XS_PERMS_MAX)
            return -E2BIG;
        out[(*count)++] = (struct xs_perm){ .domid = (uint16_t)id,
                                            .perm = (uint8_t)(letter - perm_letters) };
    }
    return *count ? 0 : -EINVAL;
}

/* Who may set a node's permissions: dom0, or the node's owner (not for a
 * home node, the toolstack's), and only dom0 may give a node away. */
static int perms_change_allowed(const struct store *s, unsigned domid, const char *path,
                                const struct xs_perm *perms)
{
    int idx = lookup(s, path);

    if (domid == DOM0)
        return idx == NO_NODE ? -ENOENT : 0;
    if (!may_read(s, domid, path))
        return -EACCES;
    if (idx == NO_NODE)
        return -ENOENT;
    if (!may_write(s, domid, path) || s->nodes[idx].perms[0].domid != domid)
        return -EACCES;
    if (perms[0].domid != domid)
        return -EPERM;
    return 0;
}

/* Xen's rules: the owner (or dom0) replaces the whole list. */
static int do_set_perms(struct request *r)
{
    struct xs_perm perms[XS_PERMS_MAX];
    unsigned count;
    int e;

    if (r->len == 0 || r->p[r->len - 1] != '\0')
        return -EINVAL;
    if ((e = req_path(r, r->p)))
        return e;
    if ((e = parse_perms(r->p + strlen(r->p) + 1, r->p + r->len, perms, &count)))
        return e;
    if ((e = perms_change_allowed(r->s, r->c->domid, r->abs, perms)))
        return e;
    e = op_set_perms(r->s, r->abs, perms, count);
    if (!e)
        e = req_changed(r, XS_SET_PERMS, (const char *)perms, count * sizeof(*perms));
    return e ? e : reply_str(reply_ok);
}

static int do_watch(struct request *r, struct watch **registered)
{
    const char *path, *token;
    int e = two_strings(r, &path, &token);

    if (e)
        return e;
    r->what = path;
    e = add_watch(r->c, r->c->domid, path, token, NULL, NULL, registered);
    return e ? e : reply_str(reply_ok);
}

static int do_unwatch(struct request *r)
{
    const char *path, *token;
    int e = two_strings(r, &path, &token);

    if (e)
        return e;
    r->what = path;
    e = remove_watch(r->c, r->c->domid, path, token);
    return e ? e : reply_str(reply_ok);
}

static int do_reset_watches(struct request *r)
{
    drop_watches(r->c);
    drop_txs(r->c);
    return reply_str(reply_ok);
}

static int do_transaction_start(struct request *r)
{
    char id[12];
    uint32_t tx = 0;
    int e;

    /* Linux sends "" (one NUL); an empty payload is as clear */
    if (r->len && r->p[r->len - 1] != '\0')
        return -EINVAL;
    if (r->h.tx_id)
        return -EBUSY; /* no nested transactions */
    e = tx_start(r->c, &tx);
    if (e)
        return e;
    snprintf(id, sizeof(id), "%u", (unsigned)tx);
    return reply_str(id);
}

static int do_transaction_end(struct request *r)
{
    struct tx *t;
    bool commit;
    int e = one_string(r);

    if (e)
        return e;
    r->what = r->p;
    if (!strcmp(r->p, "T"))
        commit = true;
    else if (!strcmp(r->p, "F"))
        commit = false;
    else
        return -EINVAL;
    t = tx_find(r->c, r->h.tx_id);
    if (!t)
        return -ENOENT;
    if (!commit) {
        t->used = false;
        return reply_str(reply_ok);
    }
    if (tx_conflicts(t)) {
        t->used = false;
        return -EAGAIN;
    }
    t->commit_gen_lo = live.gen + 1; /* the replay stamps generations from here */
    e = tx_replay(t);
    if (e) {
        t->used = false;
        return e;
    }
    memcpy(&live, &scratch, sizeof(live));
    r->commit = t; /* fired, then freed, after the reply */
    return reply_str(reply_ok);
}

static int do_get_domain_path(struct request *r)
{
    char path[sizeof(home_root) + UINT_DIGITS + 1];
    unsigned v = 0;
    size_t n;
    int e = one_string(r);

    if (e)
        return e;
    r->what = r->p;
    n = strlen(r->p);
    if (n == 0 || n > DOMID_DIGITS_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (r->p[i] < '0' || r->p[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned)(r->p[i] - '0');
    }
    if (v >= DOMID_FIRST_RESERVED)
        return -EINVAL;
    home_of(v, path, sizeof(path));
    return reply_str(path);
}

static bool uses_tx(uint32_t type)
{
    return type == XS_READ || type == XS_WRITE || type == XS_MKDIR || type == XS_RM ||
           type == XS_DIRECTORY || type == XS_GET_PERMS || type == XS_SET_PERMS;
}

static void fire_tx_log(struct tx *t)
{
    struct tx_rec rec;
    size_t pos = 0;

    tx_fire_lo = t->commit_gen_lo;
    while (tx_next(t, &pos, &rec))
        fire_watches(rec.path, rec.type == XS_RM ? WATCH_REMOVED : WATCH_CHANGED);
    tx_fire_lo = 0;
    t->used = false;
}

/* One complete message in c->msg. */
static void handle(struct xs_conn *c)
{
    struct request r;
    struct watch *registered = NULL;
    int e = 0;

    memset(&r, 0, sizeof(r));
    r.c = c;
    memcpy(&r.h, c->msg, HDR_LEN);
    r.p = c->msg + HDR_LEN;
    r.len = r.h.len;
    c->msg[HDR_LEN + r.len] = '\0';
    r.s = &live;
    r.what = "-";
    rlen = 0;
    stats.requests++;
    cur_conn = c;
    quota_noted = false;

    if (r.h.tx_id && uses_tx(r.h.type)) {
        r.tx = tx_find(c, r.h.tx_id);
        if (!r.tx)
            e = -ENOENT;
        else if ((e = tx_replay(r.tx)) == 0)
            r.s = &scratch;
    }
    if (!e) {
        switch (r.h.type) {
        case XS_READ: e = do_read(&r); break;
        case XS_DIRECTORY: e = do_directory(&r); break;
        case XS_WRITE: e = do_write(&r); break;
        case XS_MKDIR: e = do_mkdir(&r); break;
        case XS_RM: e = do_rm(&r); break;
        case XS_GET_PERMS: e = do_get_perms(&r); break;
        case XS_SET_PERMS: e = do_set_perms(&r); break;
        case XS_WATCH: e = do_watch(&r, &registered); break;
        case XS_UNWATCH: e = do_unwatch(&r); break;
        case XS_RESET_WATCHES: e = do_reset_watches(&r); break;
        case XS_TRANSACTION_START: e = do_transaction_start(&r); break;
        case XS_TRANSACTION_END: e = do_transaction_end(&r); break;
        case XS_GET_DOMAIN_PATH: e = do_get_domain_path(&r); break;
        case XS_WATCH_EVENT:
        case XS_ERROR:
            e = -EINVAL; /* server-to-client messages */
            break;
        default:
            e = -ENOSYS; /* management calls dom0's toolstack makes in-process */
            break;
        }
    }

    if (e) {
        char tbuf[sizeof("type 4294967295")], shown[LOG_WHAT_MAX + sizeof("...")];
        const char *tname = tbuf;
        if (r.h.type < XS_TYPE_COUNT && type_names[r.h.type])
            tname = type_names[r.h.type];
        else
            snprintf(tbuf, sizeof(tbuf), "type %u", (unsigned)r.h.type);
        rlen = 0;
        reply_str(err_name(e));
        stats.errors++;
        if (e == -EINVAL || e == -ENOSYS)
            stats.bad_input++;
        /* the path is a guest's bytes: printable() makes them safe to show;
         * a quota refusal has had its own (rate-limited) line */
        if (!quota_noted)
            xlog(c, "%s %s: %s", tname, printable(r.abs[0] ? r.abs : r.what, shown),
                 err_name(e));
        cur_conn = NULL;
        send_reply(c, XS_ERROR, &r.h);
        return;
    }
    cur_conn = NULL;
    send_reply(c, r.h.type, &r.h);
    if (registered)
        deliver(registered, registered->path, ANY_WATCHER);
    if (r.fire)
        fire_watches(r.abs, r.fire_removed ? WATCH_REMOVED : WATCH_CHANGED);
    if (r.commit)
        fire_tx_log(r.commit);
}

/* --- connections ------------------------------------------------------------ */

static void conn_free(struct xs_conn *c)
{
    drop_watches(c);
    drop_txs(c);
    c->used = false;
}

static bool valid_conn(const struct xs_conn *c)
{
    for (int i = 0; i < XS_MAX_CONNS; i++)
        if (c == &conns[i])
            return c->used;
    return false;
}

struct xs_conn *xs_conn_open(unsigned domid, xs_send_fn send, void *ctx)
{
    char home[sizeof(home_root) + UINT_DIGITS + 1];
    bool created;

    if (domid >= DOMID_FIRST_RESERVED || !send) {
        xlog(NULL, "refusing a connection for domain %u", domid);
        return NULL;
    }
    for (int i = 0; i < XS_MAX_CONNS; i++) {
        struct xs_conn *c = &conns[i];
        if (c->used)
            continue;
        memset(c, 0, sizeof(*c));
        c->used = true;
        c->domid = domid;
        c->send = send;
        c->ctx = ctx;
        home_of(domid, home, sizeof(home));
        if (!op_mkdir(&live, DOM0, home, &created) && created)
            fire_watches(home, WATCH_CHANGED);
        return c;
    }
    xlog(NULL, "d%u: no free connection (%d in use)", domid, XS_MAX_CONNS);
    return NULL;
}

void xs_conn_close(struct xs_conn *c)
{
    if (!valid_conn(c))
        return;
    if (c->busy) {
        c->close_pending = true;
        return;
    }
    conn_free(c);
}

int xs_domain_release(unsigned domid)
{
    char home[sizeof(home_root) + UINT_DIGITS + 1];
    bool changed;
    int e;

    if (domid == DOM0 || domid >= DOMID_FIRST_RESERVED)
        return -EINVAL;
    for (int i = 0; i < XS_MAX_CONNS; i++)
        if (conns[i].used && conns[i].domid == domid)
            xs_conn_close(&conns[i]);
    home_of(domid, home, sizeof(home));
    e = op_rm(&live, home, &changed);
    if (!e && changed)
        fire_watches(home, WATCH_REMOVED);
    xlog(NULL, "d%u: released: %s", domid, e ? err_name(e) : "connections closed, home removed");
    return e;
}

void *xs_conn_ctx(struct xs_conn *c) { return valid_conn(c) ? c->ctx : NULL; }
unsigned xs_conn_domid(const struct xs_conn *c) { return c->domid; }

int xs_conn_input(struct xs_conn *c, const void *bytes, size_t len)
{
    const char *in = bytes;

    if (!valid_conn(c) || c->dead)
        return -1;
    if (c->busy) {
        xlog(c, "input while its previous input is being handled: ignored");
        return -1;
    }
    c->busy = true;
    while (len && !c->close_pending) {
        size_t want = c->have < HDR_LEN ? HDR_LEN - c->have : HDR_LEN + c->hdr.len - c->have;
        size_t n = len < want ? len : want;

        memcpy(c->msg + c->have, in, n);
        c->have += (uint32_t)n;
        in += n;
        len -= n;
        if (c->have == HDR_LEN) {
            memcpy(&c->hdr, c->msg, HDR_LEN);
            if (c->hdr.len > XENSTORE_PAYLOAD_MAX) {
                xlog(c, "message of %u bytes (type %u) is over %u: stream dropped",
                     (unsigned)c->hdr.len, (unsigned)c->hdr.type, XENSTORE_PAYLOAD_MAX);
                stats.bad_input++;
                c->dead = true;
                break;
            }
        }
        if (c->have >= HDR_LEN && c->have == HDR_LEN + c->hdr.len) {
            handle(c);
            c->have = 0;
        }
    }
    c->busy = false;
    if (c->close_pending) {
        conn_free(c);
        return 0;
    }
    return c->dead ? -1 : 0;
}

/* --- dom0's in-process API ------------------------------------------------- */

static int local_path(const char *path, char *abs)
{
    bool relative;
    return path ? resolve(DOM0, path, abs, false, &relative) : -EINVAL;
}

int xs_write(const char *path, const char *value)
{
    char abs[PATH_BUF];
    int e = local_path(path, abs);

    if (e)
        return e;
    if (!value)
        return -EINVAL;
    e = op_write(&live, DOM0, abs, value, strnlen(value, XS_VALUE_MAX + 1));
    if (!e)
        fire_watches(abs, WATCH_CHANGED);
    return e;
}

/* The live node at a path of the in-process API (dom0's view). */
static int local_node(const char *path, const struct node **out)
{
    char abs[PATH_BUF];
    int e = local_path(path, abs), idx;

    if (e)
        return e;
    idx = lookup(&live, abs);
    if (idx == NO_NODE)
        return -ENOENT;
    *out = &live.nodes[idx];
    return 0;
}

int xs_read(const char *path, char *buf, size_t len)
{
    const struct node *n;
    int e = local_node(path, &n);

    if (e)
        return e;
    if (!buf || (size_t)n->value_len + 1 > len)
        return -E2BIG;
    memcpy(buf, n->value, n->value_len);
    buf[n->value_len] = '\0';
    return 0;
}

int xs_mkdir(const char *path)
{
    char abs[PATH_BUF];
    bool changed;
    int e = local_path(path, abs);

    if (e)
        return e;
    e = op_mkdir(&live, DOM0, abs, &changed);
    if (!e && changed)
        fire_watches(abs, WATCH_CHANGED);
    return e;
}

int xs_rm(const char *path)
{
    char abs[PATH_BUF];
    bool changed;
    int e = local_path(path, abs);

    if (e)
        return e;
    e = op_rm(&live, abs, &changed);
    if (!e && changed)
        fire_watches(abs, WATCH_REMOVED);
    return e;
}

int xs_set_perms(const char *path, const struct xs_perm *perms, unsigned count)
{
    char abs[PATH_BUF];
    int e = local_path(path, abs);

    if (e)
        return e;
    if (!perms || !count || count > XS_PERMS_MAX)
        return -EINVAL;
    for (unsigned i = 0; i < count; i++)
        if (perms[i].domid >= DOMID_FIRST_RESERVED || perms[i].perm > XS_PERM_BOTH)
            return -EINVAL;
    e = op_set_perms(&live, abs, perms, count);
    if (!e)
        fire_watches(abs, WATCH_CHANGED);
    return e;
}

int xs_get_perms(const char *path, struct xs_perm *perms, unsigned max, unsigned *count)
{
    const struct node *n;
    int e = local_node(path, &n);

    if (e)
        return e;
    if (!perms || max < n->nperms)
        return -E2BIG;
    memcpy(perms, n->perms, n->nperms * sizeof(*perms));
    *count = n->nperms;
    return 0;
}

int xs_directory(const char *path, char *buf, size_t len, unsigned *count)
{
    char abs[PATH_BUF];
    size_t used;
    unsigned n;
    int e = local_path(path, abs), idx;

    if (e)
        return e;
    idx = lookup(&live, abs);
    if (idx == NO_NODE)
        return -ENOENT;
    if (!buf)
        return -E2BIG;
    e = list_children(&live, idx, buf, len, &used, &n);
    if (count)
        *count = e ? 0 : n;
    return e;
}

int xs_watch(const char *path, const char *token, xs_watch_fn fn, void *ctx)
{
    struct watch *w;
    int e;

    if (!path || !token || !fn)
        return -EINVAL;
    e = add_watch(NULL, DOM0, path, token, fn, ctx, &w);
    if (!e)
        deliver(w, w->path, ANY_WATCHER);
    return e;
}

int xs_unwatch(const char *path, const char *token)
{
    if (!path || !token)
        return -EINVAL;
    return remove_watch(NULL, DOM0, path, token);
}

const struct xs_stats *xs_get_stats(void) { return &stats; }

void xs_init(void)
{
    bool created;

    store_reset(&live);
    memset(conns, 0, sizeof(conns));
    memset(watches, 0, sizeof(watches));
    memset(txs, 0, sizeof(txs));
    memset(&stats, 0, sizeof(stats));
    memset(local_refusals, 0, sizeof(local_refusals));
    cur_conn = NULL;
    fire_depth = 0;
    rm_firing = false;
    op_mkdir(&live, DOM0, "/local/domain/0", &created);
}

int xs_check(void)
{
    const struct node *nodes = live.nodes;

    if (!nodes[ROOT].used || nodes[ROOT].parent != NO_NODE) {
        xlog(NULL, "check: root node broken");
        return -1;
    }
    for (int i = 1; i < XS_MAX_NODES; i++) {
        const struct node *n = &nodes[i];
        if (!n->used)
            continue;
        if (n->parent < 0 || n->parent >= XS_MAX_NODES || n->parent == i ||
            !nodes[n->parent].used) {
            xlog(NULL, "check: node %d has a bad parent %d", i, n->parent);
            return -1;
        }
        if (n->name_len == 0 || n->name_len > XS_NAME_MAX ||
            strnlen(n->name, XS_NAME_MAX + 1) != n->name_len || n->value_len > XS_VALUE_MAX) {
            xlog(NULL, "check: node %d has a bad name or value length", i);
            return -1;
        }
        if (!in_subtree(&live, i, ROOT)) {
            xlog(NULL, "check: node %d is not below the root", i);
            return -1;
        }
        for (int j = i + 1; j < XS_MAX_NODES; j++) {
            const struct node *m = &nodes[j];
            if (m->used && m->parent == n->parent && m->name_len == n->name_len &&
                !memcmp(m->name, n->name, n->name_len)) {
                xlog(NULL, "check: nodes %d and %d share a name", i, j);
                return -1;
            }
        }
    }
    for (int i = 0; i < XS_MAX_WATCHES; i++)
        if (watches[i].used && watches[i].conn && !valid_conn(watches[i].conn)) {
            xlog(NULL, "check: watch %d belongs to a closed connection", i);
            return -1;
        }
    for (int i = 0; i < XS_MAX_TX; i++)
        if (txs[i].used && !valid_conn(txs[i].conn)) {
            xlog(NULL, "check: transaction %d belongs to a closed connection", i);
            return -1;
        }
    return 0;
}
