/*
 * event_channel.c — Xen-ABI event channels with the 2-level ABI: the
 * event_channel_op hypercall, delivery into shared_info, and what happens to
 * a channel when one of its domains ends.
 *
 * Assumptions:
 *   - A domain's state is its unit's (d->evtchn, evtchn_unit below): it
 *     lives as long as the domain's slot, so an event for a domain that has
 *     just ended finds it, closed.  A connected port's peer exists: every
 *     port of a domain closes before its slot is freed.
 *   - d->shared_info is a whole page granite owns (struct shared_info); the
 *     builder allocates it before evtchn_domain_init(), and domain.c frees it
 *     only after evtchn_domain_destroy().  A domain whose event channels are
 *     live therefore always has one.
 *   - The guest writes the same shared_info words at any moment (it clears
 *     pending bits and the selector, sets mask bits), so every access to them
 *     here is an atomic read-modify-write or an atomic load.
 *   - granite runs with IRQs masked at EL2 except in its idle wait, so plain
 *     spin_lock is enough even though evtchn_send_virq() may be called from an
 *     interrupt handler: no lock holder is ever interrupted.
 *
 * Ports.  Each domain has EVTCHN_MAX_PORTS ports; port 0 is reserved (never
 * handed out, as on Xen, so 0 can mean "none").  A port is
 *   free          not in use;
 *   unbound       allocated by EVTCHNOP_alloc_unbound, waiting for one named
 *                 domain to connect with EVTCHNOP_bind_interdomain;
 *   interdomain   connected to (remote domain, remote port), which points back;
 *                 a domain may connect to itself (loopback);
 *   virq          raised by granite itself (VIRQ_TIMER; VIRQ_DOM_EXC to dom0).
 * Each port notifies one vCPU: vCPU 0 when it is created (Linux assumes so
 * for new interdomain and unbound ports, linux-xen-guest.md §3), another
 * after EVTCHNOP_bind_vcpu (-ENOENT for a vCPU the domain does not have, as
 * Xen).  A vCPU's flags are in the vcpu_info it registered with
 * VCPUOP_register_vcpu_info, or for vCPU 0 before that the one inside
 * shared_info (XEN_LEGACY_MAX_VCPUS 1 on Arm): xen_vcpu_info(),
 * core/vcpu_op.c.  An event for a vCPU with no vcpu_info yet stays in the
 * bitmaps; registration marks everything pending, so it is found then.
 *
 * Delivery (the 2-level ABI, as Xen's evtchn_2l_set_pending).  To make port p
 * pending in domain D:
 *   1. set bit p of D's evtchn_pending; if it was already set, stop: the guest
 *      has not consumed the previous event yet and will see this one with it;
 *   2. if bit p of evtchn_mask is set, stop: a masked port raises no upcall
 *      (the guest finds it when it unmasks, or EVTCHNOP_unmask redoes step 3);
 *   3. set bit p/64 of the notified vCPU's evtchn_pending_sel; if it was
 *      already set, stop: the guest will scan that word anyway;
 *   4. set its evtchn_upcall_pending; if it was already set, stop: an upcall
 *      is already on its way (as Xen/Arm's vcpu_mark_events_pending);
 *   5. arch_evtchn_upcall(D, vcpu): the upcall PPI on that vCPU.
 * The guest undoes these in the opposite order (clear upcall_pending, take the
 * selector, clear each pending bit it handles), so every event either finds a
 * bit still set that the guest has yet to look at, or raises a new upcall.
 *
 * Locking.  One spinlock per domain guards its port table.  An operation
 * that changes both ends of a channel (bind_interdomain, close, a domain's
 * end) holds both domains' locks, taken in domain-id order.  EVTCHNOP_send
 * holds only the sender's lock, as Xen does: the sender's port cannot change
 * while it is held, and the receiving end of a connected channel can only be
 * changed by an operation that also takes the sender's lock, so the peer
 * port read under it is stable; what send changes on the peer's side is
 * shared_info bits, which are atomic anyway.
 *
 * Errors follow Xen (xen/common/event_channel.c) and each gets one log line
 * "evtchn: d<id>: <what>: -E...".  Where granite differs from Xen:
 *   - alloc_unbound and status name only the caller (DOMID_SELF or its own
 *     id): -EPERM otherwise; granite has no privileged domain for these;
 *   - alloc_unbound wants remote_dom to exist (-ESRCH), where Xen accepts any
 *     id; every granite domain is built before any runs;
 *   - bind_virq takes VIRQ_TIMER (per-vCPU, vCPU 0 only: the one granite
 *     raises) and, for the hardware domain, the global VIRQs a Linux dom0
 *     binds: VIRQ_DOM_EXC, raised when another domain ends (core/domain.c;
 *     the toy dom0's toolstack waits on it), and VIRQ_CONSOLE for its hvc,
 *     accepted and never raised (Linux dom0 BUG()s if it cannot be bound);
 *     anything else -EINVAL;
 *   - init_control and expand_array (the FIFO ABI) are -ENOSYS: Linux then
 *     uses the 2-level ABI;
 *   - unmask refuses port 0 and free ports (-EINVAL); Xen accepts any port
 *     inside its allocated range.
 * Two Xen behaviours kept on purpose, though they can surprise:
 *   - send on an unbound port returns 0 and drops the event (Xen:
 *     "silently drop the notification").  A peer that closed, or died, leaves
 *     this end unbound, so after a peer's death sends succeed and go nowhere;
 *     EVTCHNOP_status (EVTCHNSTAT_unbound) is how a guest notices.  granite
 *     logs the first such drop per binding;
 *   - status of port 0 or a free port reports EVTCHNSTAT_closed: asking about
 *     a closed port is not an error.
 */
#include <granite/dlog.h>
#include <granite/event_channel.h>
#include <granite/arch.h>
#include <granite/console.h>
#include <granite/domain.h>
#include <granite/errno.h>
#include <granite/spinlock.h>
#include <public/xen.h>
#include <public/event_channel.h>
#include <granite/xen_guest.h>

_Static_assert(EVTCHN_MAX_PORTS <= EVTCHN_2L_NR_CHANNELS, "ports must fit the 2-level bitmaps");
_Static_assert(MAX_DOMAINS < DOMID_SELF, "domain ids and DOMID_SELF must not overlap");

/* A new port notifies this vCPU (see above). */
#define NOTIFY_VCPU 0
#define LOG_MSG_LEN 160

enum port_state {
    PORT_FREE,        /* not in use */
    PORT_RESERVED,    /* port 0 */
    PORT_UNBOUND,     /* waiting for remote_dom to bind */
    PORT_INTERDOMAIN, /* connected to remote_dom's remote_port */
    PORT_VIRQ,        /* raised by granite for `virq` */
};

struct port {
    u8 state;          /* enum port_state */
    bool drop_logged;  /* a send on this unbound port has been logged */
    u8 notify_vcpu;    /* the vCPU its events go to (EVTCHNOP_bind_vcpu) */
    domid_t remote_dom;
    union {
        evtchn_port_t remote_port; /* PORT_INTERDOMAIN */
        u32 virq;                  /* PORT_VIRQ */
    };
};

enum edom_state {
    EDOM_NONE,  /* never set up, or ended: no ports */
    EDOM_LIVE,  /* evtchn_domain_init() done, has shared_info */
    EDOM_DYING, /* evtchn_domain_destroy() is closing its ports */
};

struct evtchn_domain {
    spinlock_t lock;
    u8 state;                           /* enum edom_state: written under lock */
    struct domain *d;
    struct port port[EVTCHN_MAX_PORTS];
    evtchn_port_t virq_port[NR_VIRQS];  /* 0 = VIRQ not bound */
    u64 sends;                          /* atomic counters */
    u64 upcalls;
};

/* --- small helpers ---------------------------------------------------------- */

static unsigned edom_id(const struct evtchn_domain *e) { return e->d->id; }

static struct evtchn_domain *edom_of(const struct domain *d) { return d ? d->evtchn : NULL; }

static struct evtchn_domain *edom_by_id(unsigned id) { return edom_of(domain_by_id(id)); }

/* The state of the domain an interdomain port names.  A domain's ports all
 * close before its slot is freed, so a port never names a free slot: NULL
 * here is a broken invariant of granite's, not anything a guest did. */
static struct evtchn_domain *peer_by_id(unsigned id)
{
    struct evtchn_domain *e = edom_by_id(id);

    if (!e)
        panic("evtchn: an interdomain port names d%u, whose slot is free", id);
    return e;
}

static struct shared_info *shared(const struct evtchn_domain *e)
{
    return (struct shared_info *)e->d->shared_info;
}

static void set_state(struct evtchn_domain *e, enum edom_state s)
{
    __atomic_store_n(&e->state, (u8)s, __ATOMIC_RELEASE);
}

/* Whether domain `id` exists and has live event channels (a hint when read
 * without its lock; operations that depend on it re-check under the lock). */
static bool domain_has_evtchn(unsigned id)
{
    struct evtchn_domain *e = edom_by_id(id);

    return e && __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) == EDOM_LIVE;
}

static void count(u64 *counter) { __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED); }

static const char *state_name(u8 s)
{
    static const char *const names[] = {
        [PORT_FREE] = "free", [PORT_RESERVED] = "reserved", [PORT_UNBOUND] = "unbound",
        [PORT_INTERDOMAIN] = "interdomain", [PORT_VIRQ] = "bound to a VIRQ",
    };
    return s < ARRAY_SIZE(names) ? names[s] : "?";
}

static const char *err_name(long err)
{
    switch (-err) {
    case EPERM: return "-EPERM";
    case ENOENT: return "-ENOENT";
    case ESRCH: return "-ESRCH";
    case EFAULT: return "-EFAULT";
    case EEXIST: return "-EEXIST";
    case EINVAL: return "-EINVAL";
    case ENOSPC: return "-ENOSPC";
    case ENOSYS: return "-ENOSYS";
    default: return "error";
    }
}

/* Log "evtchn: d<id>: <message>: -E..." and return err. */
static long __attribute__((format(printf, 3, 4))) fail(unsigned id, long err, const char *fmt, ...)
{
    char msg[LOG_MSG_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dlog_domid(id, "evtchn: d%u: %s: %s\n", id, msg, err_name(err));
    return err;
}

/* Lock one domain, or two in domain-id order. */
static void lock_pair(struct evtchn_domain *a, struct evtchn_domain *b)
{
    if (a == b) {
        spin_lock(&a->lock);
    } else if (edom_id(a) < edom_id(b)) {
        spin_lock(&a->lock);
        spin_lock(&b->lock);
    } else {
        spin_lock(&b->lock);
        spin_lock(&a->lock);
    }
}

static void unlock_pair(struct evtchn_domain *a, struct evtchn_domain *b)
{
    spin_unlock(&a->lock);
    if (b != a)
        spin_unlock(&b->lock);
}

/* --- the 2-level bitmaps ------------------------------------------------------ */

static unsigned port_word(evtchn_port_t p) { return p / XEN_ULONG_BITS; }
static xen_ulong_t port_bit(evtchn_port_t p) { return (xen_ulong_t)1 << (p % XEN_ULONG_BITS); }

static bool test_and_set(xen_ulong_t *w, xen_ulong_t bit)
{
    return __atomic_fetch_or(w, bit, __ATOMIC_SEQ_CST) & bit;
}

static bool test_and_clear(xen_ulong_t *w, xen_ulong_t bit)
{
    return __atomic_fetch_and(w, ~bit, __ATOMIC_SEQ_CST) & bit;
}

static bool test(xen_ulong_t *w, xen_ulong_t bit)
{
    return __atomic_load_n(w, __ATOMIC_SEQ_CST) & bit;
}

/* Steps 3-5 of delivery: word `word` of e's pending bitmap has a new unmasked
 * event for vCPU `vcpu`. */
static void notify_word(struct evtchn_domain *e, unsigned vcpu, unsigned word)
{
    struct vcpu_info *vi = xen_vcpu_info(e->d, vcpu);

    if (!vi)
        return; /* no vcpu_info yet: registering one marks everything pending */
    if (test_and_set(&vi->evtchn_pending_sel, (xen_ulong_t)1 << word))
        return;
    if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
        return;
    count(&e->upcalls);
    arch_evtchn_upcall(e->d, vcpu);
}

/* Steps 1-2: make e's port pending.  Caller holds a lock that keeps the port
 * bound (e's own, or the sender's for an interdomain peer). */
static void set_pending(struct evtchn_domain *e, evtchn_port_t port)
{
    struct shared_info *s = shared(e);
    unsigned w = port_word(port);

    if (test_and_set(&s->evtchn_pending[w], port_bit(port)))
        return;
    if (test(&s->evtchn_mask[w], port_bit(port)))
        return;
    notify_word(e, e->port[port].notify_vcpu, w);
}

/* EVTCHNOP_unmask's work (Xen's evtchn_2l_unmask): an event that arrived
 * while masked raised nothing; now that the mask goes, raise it. */
static void unmask(struct evtchn_domain *e, evtchn_port_t port)
{
    struct shared_info *s = shared(e);
    unsigned w = port_word(port);

    if (test_and_clear(&s->evtchn_mask[w], port_bit(port)) &&
        test(&s->evtchn_pending[w], port_bit(port)))
        notify_word(e, e->port[port].notify_vcpu, w);
}

/* --- the port table (caller holds e's lock) ----------------------------------- */

/* The lowest free port, or 0 when all are in use. */
static evtchn_port_t alloc_port(struct evtchn_domain *e)
{
    for (evtchn_port_t p = 1; p < EVTCHN_MAX_PORTS; p++)
        if (e->port[p].state == PORT_FREE) {
            e->port[p].notify_vcpu = NOTIFY_VCPU;
            return p;
        }
    return 0;
}

static void set_unbound(struct port *p, domid_t waiting_for)
{
    p->state = PORT_UNBOUND;
    p->remote_dom = waiting_for;
    p->remote_port = 0;
    p->drop_logged = false;
}

/* Return a port to the free pool.  Its pending bit goes too, so the next
 * owner of the number does not inherit a stale event; the mask bit is the
 * guest's and stays. */
static void free_port(struct evtchn_domain *e, evtchn_port_t port)
{
    struct port *p = &e->port[port];

    p->state = PORT_FREE;
    p->remote_dom = 0;
    p->remote_port = 0;
    p->drop_logged = false;
    test_and_clear(&shared(e)->evtchn_pending[port_word(port)], port_bit(port));
}

static long check_ready(struct evtchn_domain *e, const char *op)
{
    if (e->state == EDOM_LIVE)
        return 0;
    return fail(edom_id(e), -EINVAL, "%s: event channels are not set up (no shared_info, or "
                "the domain has ended)", op);
}

/* A port number the caller may use in `op`: not 0, in range, allocated. */
static long check_port(struct evtchn_domain *e, evtchn_port_t port, const char *op)
{
    if (port == 0)
        return fail(edom_id(e), -EINVAL, "%s: port 0 is reserved", op);
    if (port >= EVTCHN_MAX_PORTS)
        return fail(edom_id(e), -EINVAL, "%s: port %u out of range (1..%u)", op, port,
                    EVTCHN_MAX_PORTS - 1);
    if (e->port[port].state == PORT_FREE)
        return fail(edom_id(e), -EINVAL, "%s: port %u is not allocated", op, port);
    return 0;
}

/* --- closing ------------------------------------------------------------------ */

enum close_why { CLOSE_BY_GUEST, CLOSE_AT_END };

/* With e and peer locked: free e's port; an interdomain peer's end goes back
 * to unbound, waiting for e's domain, as Xen's close does. */
static void close_locked(struct evtchn_domain *e, evtchn_port_t port, struct evtchn_domain *peer,
                         enum close_why why)
{
    struct port *p = &e->port[port];

    if (p->state == PORT_VIRQ)
        e->virq_port[p->virq] = 0;
    if (p->state == PORT_INTERDOMAIN) {
        struct port *q = &peer->port[p->remote_port];
        if (q->state != PORT_INTERDOMAIN || q->remote_dom != edom_id(e) ||
            q->remote_port != port)
            printk("evtchn: d%u: BUG: port %u's peer d%u port %u does not point back; "
                   "left as it is\n", edom_id(e), port, edom_id(peer), p->remote_port);
        else
            set_unbound(q, (domid_t)edom_id(e));
        if (why == CLOSE_AT_END)
            printk("evtchn: d%u: port %u closed as the domain ends: d%u port %u is unbound "
                   "now\n", edom_id(e), port, edom_id(peer), p->remote_port);
    }
    free_port(e, port);
}

/* Close e's port.  When it is interdomain the peer's lock is needed too, and
 * the two must be taken in id order: find the peer under e's lock, retake
 * both in order, and start again if the port changed meanwhile.  At a
 * domain's end, a port that is already free is skipped quietly. */
static long close_port(struct evtchn_domain *e, evtchn_port_t port, enum close_why why)
{
    struct evtchn_domain *locked = e; /* the second domain locked (e = none) */

    for (;;) {
        struct evtchn_domain *peer;
        long err = 0;

        lock_pair(e, locked);
        if (why == CLOSE_BY_GUEST) {
            err = check_ready(e, "close");
            if (!err)
                err = check_port(e, port, "close");
        } else if (e->port[port].state == PORT_FREE) {
            err = -EINVAL;
        }
        if (err) {
            unlock_pair(e, locked);
            return err;
        }
        peer = e->port[port].state == PORT_INTERDOMAIN ? peer_by_id(e->port[port].remote_dom)
                                                       : e;
        if (peer == locked) {
            close_locked(e, port, peer, why);
            unlock_pair(e, locked);
            return 0;
        }
        unlock_pair(e, locked);
        locked = peer;
    }
}

/* --- guest arguments ------------------------------------------------------------ */

static long read_arg(struct vcpu *v, const char *op, void *a, u64 gva, u64 len)
{
    if (!copy_from_guest(v, a, gva, len))
        return 0;
    return fail(v->d->id, -EFAULT, "%s: argument at 0x%lx (%lu bytes) is unreadable", op, gva,
                len);
}

/* OUT fields go back only after success; if that fails the operation has
 * happened all the same (as on Xen) and the guest learns only -EFAULT. */
static long write_arg(struct vcpu *v, const char *op, u64 gva, const void *a, u64 len)
{
    if (!copy_to_guest(v, gva, a, len))
        return 0;
    return fail(v->d->id, -EFAULT, "%s: argument at 0x%lx (%lu bytes) is not writable; the "
                "operation was done", op, gva, len);
}

static struct evtchn_domain *caller(struct vcpu *v) { return v->d->evtchn; }

/* --- the operations ----------------------------------------------------------------- */

static long op_alloc_unbound(struct vcpu *v, u64 arg)
{
    struct evtchn_domain *self = caller(v);
    unsigned id = edom_id(self);
    struct evtchn_alloc_unbound a;
    domid_t remote;
    evtchn_port_t port = 0;
    long err = read_arg(v, "alloc_unbound", &a, arg, sizeof(a));

    if (err)
        return err;
    if (a.dom != DOMID_SELF && a.dom != id)
        return fail(id, -EPERM, "alloc_unbound in d%u: a domain may allocate only its own ports",
                    a.dom);
    remote = a.remote_dom == DOMID_SELF ? (domid_t)id : a.remote_dom;
    if (!domain_has_evtchn(remote))
        return fail(id, -ESRCH, "alloc_unbound for d%u: no such domain with event channels",
                    remote);

    spin_lock(&self->lock);
    err = check_ready(self, "alloc_unbound");
    if (!err) {
        port = alloc_port(self);
        if (port)
            set_unbound(&self->port[port], remote);
        else
            err = fail(id, -ENOSPC, "alloc_unbound: all %u ports in use", EVTCHN_MAX_PORTS - 1);
    }
    spin_unlock(&self->lock);
    if (err)
        return err;
    a.port = port;
    return write_arg(v, "alloc_unbound", arg, &a, sizeof(a));
}

int evtchn_alloc_unbound_for(struct domain *d, unsigned remote, u32 *port_out)
{
    struct evtchn_domain *self = d->evtchn;
    evtchn_port_t port = 0;
    long err;

    spin_lock(&self->lock);
    err = check_ready(self, "alloc_unbound (granite)");
    if (!err) {
        port = alloc_port(self);
        if (port)
            set_unbound(&self->port[port], (domid_t)remote);
        else
            err = -ENOSPC;
    }
    spin_unlock(&self->lock);
    if (!err)
        *port_out = port;
    return (int)err;
}

/* The remote end of a bind: an unbound port of r waiting for domain `id`. */
static long check_bind_target(struct evtchn_domain *r, evtchn_port_t rport, unsigned id)
{
    const struct port *q;

    if (rport == 0 || rport >= EVTCHN_MAX_PORTS)
        return fail(id, -EINVAL, "bind_interdomain: d%u port %u is %s", edom_id(r), rport,
                    rport ? "out of range" : "reserved");
    q = &r->port[rport];
    if (q->state != PORT_UNBOUND)
        return fail(id, -EINVAL, "bind_interdomain: d%u port %u is %s, not unbound", edom_id(r),
                    rport, state_name(q->state));
    if (q->remote_dom != id)
        return fail(id, -EINVAL, "bind_interdomain: d%u port %u waits for d%u, not d%u",
                    edom_id(r), rport, q->remote_dom, id);
    return 0;
}

static long op_bind_interdomain(struct vcpu *v, u64 arg)
{
    struct evtchn_domain *self = caller(v), *r;
    unsigned id = edom_id(self);
    struct evtchn_bind_interdomain a;
    evtchn_port_t lport = 0;
    domid_t rdom;
    long err = read_arg(v, "bind_interdomain", &a, arg, sizeof(a));

    if (err)
        return err;
    rdom = a.remote_dom == DOMID_SELF ? (domid_t)id : a.remote_dom;
    r = edom_by_id(rdom);
    if (!r)
        return fail(id, -ESRCH, "bind_interdomain to d%u: no such domain", rdom);

    lock_pair(self, r);
    err = check_ready(self, "bind_interdomain");
    if (!err && r->state != EDOM_LIVE)
        err = fail(id, -ESRCH, "bind_interdomain to d%u: it has no event channels (not built, "
                   "or ended)", rdom);
    if (!err)
        err = check_bind_target(r, a.remote_port, id);
    if (!err) {
        lport = alloc_port(self);
        if (!lport)
            err = fail(id, -ENOSPC, "bind_interdomain: all %u ports in use",
                       EVTCHN_MAX_PORTS - 1);
    }
    if (!err) {
        struct port *l = &self->port[lport], *q = &r->port[a.remote_port];
        l->state = PORT_INTERDOMAIN;
        l->remote_dom = rdom;
        l->remote_port = a.remote_port;
        q->state = PORT_INTERDOMAIN;
        q->remote_dom = (domid_t)id;
        q->remote_port = lport;
        /* Events sent to the remote end while it was unbound were dropped;
         * like Xen, make the new end pending so the guest looks once. */
        set_pending(self, lport);
    }
    unlock_pair(self, r);
    if (err)
        return err;
    a.local_port = lport;
    return write_arg(v, "bind_interdomain", arg, &a, sizeof(a));
}

/* Global VIRQs a dom0 binds: VIRQ_DOM_EXC (raised when a domain ends) and
 * VIRQ_CONSOLE (accepted, never raised). */
static bool global_virq_for_dom0(u32 virq)
{
    return virq == VIRQ_CONSOLE || virq == VIRQ_DOM_EXC;
}

static long op_bind_virq(struct vcpu *v, u64 arg)
{
    struct evtchn_domain *self = caller(v);
    unsigned id = edom_id(self);
    struct evtchn_bind_virq a;
    evtchn_port_t port = 0;
    long err = read_arg(v, "bind_virq", &a, arg, sizeof(a));

    if (err)
        return err;
    if (a.virq >= NR_VIRQS)
        return fail(id, -EINVAL, "bind_virq: VIRQ %u out of range (0..%u)", a.virq, NR_VIRQS - 1);
    if (a.virq != VIRQ_TIMER && !(id == 0 && global_virq_for_dom0(a.virq)))
        return fail(id, -EINVAL, "bind_virq: VIRQ %u is never raised for this domain (only "
                    "VIRQ_TIMER, %u; and VIRQ_CONSOLE, VIRQ_DOM_EXC for the hardware domain)",
                    a.virq, VIRQ_TIMER);
    if (a.vcpu >= v->d->nr_vcpus)
        return fail(id, -ENOENT, "bind_virq: no vCPU %u (the domain has %u)", a.vcpu,
                    v->d->nr_vcpus);
    if (a.vcpu != NOTIFY_VCPU)
        return fail(id, -EINVAL, "bind_virq: VIRQ %u on vCPU %u: %s", a.virq, a.vcpu,
                    a.virq == VIRQ_TIMER ? "only vCPU 0 gets VIRQ_TIMER from granite"
                                         : "a global VIRQ binds on only vCPU 0 (as Xen)");

    spin_lock(&self->lock);
    err = check_ready(self, "bind_virq");
    if (!err && self->virq_port[a.virq])
        err = fail(id, -EEXIST, "bind_virq: VIRQ %u is already bound to port %u", a.virq,
                   self->virq_port[a.virq]);
    if (!err) {
        port = alloc_port(self);
        if (!port)
            err = fail(id, -ENOSPC, "bind_virq: all %u ports in use", EVTCHN_MAX_PORTS - 1);
    }
    if (!err) {
        self->port[port].state = PORT_VIRQ;
        self->port[port].virq = a.virq;
        self->virq_port[a.virq] = port;
    }
    spin_unlock(&self->lock);
    if (err)
        return err;
    a.port = port;
    return write_arg(v, "bind_virq", arg, &a, sizeof(a));
}

static long op_close(struct vcpu *v, u64 arg)
{
    struct evtchn_close a;
    long err = read_arg(v, "close", &a, arg, sizeof(a));

    return err ? err : close_port(caller(v), a.port, CLOSE_BY_GUEST);
}

/* Log a dropped send once per binding of the port. */
static void note_drop(struct evtchn_domain *e, evtchn_port_t port)
{
    struct port *p = &e->port[port];

    if (p->drop_logged)
        return;
    p->drop_logged = true;
    dlog_domid(edom_id(e),
               "evtchn: d%u: send on port %u: unbound (waiting for d%u), event dropped as on Xen\n",
           edom_id(e), port, p->remote_dom);
}

static long op_send(struct vcpu *v, u64 arg)
{
    struct evtchn_domain *self = caller(v);
    unsigned id = edom_id(self);
    struct evtchn_send a;
    const struct port *p;
    long err = read_arg(v, "send", &a, arg, sizeof(a));

    if (err)
        return err;
    spin_lock(&self->lock);
    err = check_ready(self, "send");
    if (!err)
        err = check_port(self, a.port, "send");
    if (err) {
        spin_unlock(&self->lock);
        return err;
    }
    p = &self->port[a.port];
    switch (p->state) {
    case PORT_INTERDOMAIN:
        set_pending(peer_by_id(p->remote_dom), p->remote_port);
        count(&self->sends);
        break;
    case PORT_UNBOUND:
        note_drop(self, a.port);
        break;
    default:
        err = fail(id, -EINVAL, "send on port %u: it is %s; only interdomain ports can be sent "
                   "to", a.port, state_name(p->state));
        break;
    }
    spin_unlock(&self->lock);
    return err;
}

static void fill_status(const struct port *p, struct evtchn_status *a)
{
    a->vcpu = p->notify_vcpu;
    a->u.interdomain.dom = 0;
    a->u.interdomain.port = 0;
    switch (p->state) {
    case PORT_UNBOUND:
        a->status = EVTCHNSTAT_unbound;
        a->u.unbound.dom = p->remote_dom;
        break;
    case PORT_INTERDOMAIN:
        a->status = EVTCHNSTAT_interdomain;
        a->u.interdomain.dom = p->remote_dom;
        a->u.interdomain.port = p->remote_port;
        break;
    case PORT_VIRQ:
        a->status = EVTCHNSTAT_virq;
        a->u.virq = p->virq;
        break;
    default: /* free, and the reserved port 0 */
        a->status = EVTCHNSTAT_closed;
        break;
    }
}

static long op_status(struct vcpu *v, u64 arg)
{
    struct evtchn_domain *self = caller(v);
    unsigned id = edom_id(self);
    struct evtchn_status a;
    long err = read_arg(v, "status", &a, arg, sizeof(a));

    if (err)
        return err;
    if (a.dom != DOMID_SELF && a.dom != id)
        return fail(id, -EPERM, "status of d%u port %u: a domain may ask only about its own "
                    "ports", a.dom, a.port);
    spin_lock(&self->lock);
    err = check_ready(self, "status");
    if (!err && a.port >= EVTCHN_MAX_PORTS)
        err = fail(id, -EINVAL, "status: port %u out of range (0..%u)", a.port,
                   EVTCHN_MAX_PORTS - 1);
    if (!err)
        fill_status(&self->port[a.port], &a);
    spin_unlock(&self->lock);
    return err ? err : write_arg(v, "status", arg, &a, sizeof(a));
}

static long op_bind_vcpu(struct vcpu *v, u64 arg)
{
    struct evtchn_domain *self = caller(v);
    unsigned id = edom_id(self);
    struct evtchn_bind_vcpu a;
    const struct port *p;
    long err = read_arg(v, "bind_vcpu", &a, arg, sizeof(a));
    _Static_assert(MAX_VCPUS <= 256, "notify_vcpu is a u8");

    if (err)
        return err;
    if (a.vcpu >= v->d->nr_vcpus)
        return fail(id, -ENOENT, "bind_vcpu: no vCPU %u (the domain has %u)", a.vcpu,
                    v->d->nr_vcpus);
    spin_lock(&self->lock);
    err = check_ready(self, "bind_vcpu");
    if (!err)
        err = check_port(self, a.port, "bind_vcpu");
    if (!err) {
        p = &self->port[a.port];
        if (p->state == PORT_VIRQ && p->virq == VIRQ_TIMER)
            err = fail(id, -EINVAL, "bind_vcpu: port %u is bound to per-vCPU VIRQ %u, whose vCPU "
                       "cannot change", a.port, p->virq);
        else
            self->port[a.port].notify_vcpu = (u8)a.vcpu; /* later events go there */
    }
    spin_unlock(&self->lock);
    return err;
}

static long op_unmask(struct vcpu *v, u64 arg)
{
    struct evtchn_domain *self = caller(v);
    struct evtchn_unmask a;
    long err = read_arg(v, "unmask", &a, arg, sizeof(a));

    if (err)
        return err;
    spin_lock(&self->lock);
    err = check_ready(self, "unmask");
    if (!err)
        err = check_port(self, a.port, "unmask");
    if (!err)
        unmask(self, a.port);
    spin_unlock(&self->lock);
    return err;
}

long do_event_channel_op(struct vcpu *v, u64 cmd, u64 arg)
{
    if (!v->d->evtchn)
        return fail(v->d->id, -EINVAL, "no event-channel state (evtchn_unit)");
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        return op_alloc_unbound(v, arg);
    case EVTCHNOP_bind_interdomain:
        return op_bind_interdomain(v, arg);
    case EVTCHNOP_bind_virq:
        return op_bind_virq(v, arg);
    case EVTCHNOP_close:
        return op_close(v, arg);
    case EVTCHNOP_send:
        return op_send(v, arg);
    case EVTCHNOP_status:
        return op_status(v, arg);
    case EVTCHNOP_bind_vcpu:
        return op_bind_vcpu(v, arg);
    case EVTCHNOP_unmask:
        return op_unmask(v, arg);
    case EVTCHNOP_bind_pirq:
    case EVTCHNOP_bind_ipi:
    case EVTCHNOP_reset:
    case EVTCHNOP_init_control:
    case EVTCHNOP_expand_array:
    case EVTCHNOP_set_priority:
        return fail(v->d->id, -ENOSYS, "command %lu is not offered (2-level ABI, no PIRQs or "
                    "IPIs)", cmd);
    default:
        return fail(v->d->id, -ENOSYS, "command %lu unknown", cmd);
    }
}

/* --- the hypervisor's side ------------------------------------------------------------ */

int evtchn_send_virq(struct domain *d, unsigned virq)
{
    struct evtchn_domain *e = edom_of(d);
    int err = -ENOENT;

    if (!e)
        return -EINVAL;
    if (virq >= NR_VIRQS)
        return (int)fail(edom_id(e), -EINVAL, "granite raised VIRQ %u, out of range (0..%u)",
                         virq, NR_VIRQS - 1);
    spin_lock(&e->lock);
    if (e->state == EDOM_LIVE && e->virq_port[virq]) {
        set_pending(e, e->virq_port[virq]);
        err = 0;
    }
    spin_unlock(&e->lock);
    return err;
}

void evtchn_stats(struct domain *d, u64 *sends, u64 *upcalls)
{
    struct evtchn_domain *e = edom_of(d);

    *sends = e ? __atomic_load_n(&e->sends, __ATOMIC_RELAXED) : 0;
    *upcalls = e ? __atomic_load_n(&e->upcalls, __ATOMIC_RELAXED) : 0;
}

/* --- the counter dump ---------------------------------------------------------- */

/* Up to DUMP_PORTS ports with an event pending, "(m)" after a masked one. */
#define DUMP_PORTS 12

static void describe_pending(struct evtchn_domain *e, char *buf, size_t len)
{
    struct shared_info *s = shared(e);
    size_t at = 0;
    unsigned shown = 0, more = 0;

    buf[0] = 0;
    for (evtchn_port_t p = 1; p < EVTCHN_MAX_PORTS; p++) {
        unsigned w = port_word(p);

        if (!test(&s->evtchn_pending[w], port_bit(p)))
            continue;
        if (shown++ == DUMP_PORTS || at >= len) {
            more++;
            continue;
        }
        at += (size_t)snprintf(buf + at, len - at, " %u%s", p,
                               test(&s->evtchn_mask[w], port_bit(p)) ? "(m)" : "");
    }
    if (!shown)
        snprintf(buf, len, " none");
    else if (more && at < len)
        snprintf(buf + at, len - at, " and %u more", more);
}

/* What a lost event would leave behind, per domain: its bound ports, the
 * ports with an event pending (and masked), each vCPU's upcall flag and
 * selector, and where the upcall interrupt stands in the vGIC. */
static void dump_domain(struct evtchn_domain *e)
{
    char pending[128], irq[192];
    unsigned bound = 0;

    spin_lock(&e->lock);
    if (e->state != EDOM_LIVE) {
        spin_unlock(&e->lock);
        return;
    }
    for (evtchn_port_t p = 1; p < EVTCHN_MAX_PORTS; p++)
        bound += e->port[p].state == PORT_INTERDOMAIN || e->port[p].state == PORT_VIRQ;
    describe_pending(e, pending, sizeof(pending));
    printk("evtchn: dump: d%u: %u port(s) bound; pending:%s; sends %lu, upcalls %lu\n",
           edom_id(e), bound, pending, __atomic_load_n(&e->sends, __ATOMIC_RELAXED),
           __atomic_load_n(&e->upcalls, __ATOMIC_RELAXED));
    for (unsigned v = 0; v < e->d->nr_vcpus; v++) {
        struct vcpu_info *vi = xen_vcpu_info(e->d, v);

        arch_evtchn_upcall_describe(e->d, v, irq, sizeof(irq));
        if (vi)
            printk("evtchn: dump: d%u vcpu%u: upcall_pending %u, pending_sel 0x%lx; upcall %s\n",
                   edom_id(e), v, __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_RELAXED),
                   __atomic_load_n(&vi->evtchn_pending_sel, __ATOMIC_RELAXED), irq);
        else
            printk("evtchn: dump: d%u vcpu%u: no vcpu_info yet; upcall %s\n", edom_id(e), v, irq);
    }
    spin_unlock(&e->lock);
}

void evtchn_dump(void)
{
    for (unsigned id = 0; id < MAX_DOMAINS; id++) {
        struct evtchn_domain *e = edom_by_id(id);

        if (e)
            dump_domain(e);
    }
}

/* A fresh domain sees no events, no masks, no upcall. */
static void clear_shared_events(struct shared_info *s)
{
    for (unsigned w = 0; w < EVTCHN_2L_WORDS; w++) {
        __atomic_store_n(&s->evtchn_pending[w], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->evtchn_mask[w], 0, __ATOMIC_RELAXED);
    }
    for (unsigned v = 0; v < XEN_LEGACY_MAX_VCPUS; v++) {
        __atomic_store_n(&s->vcpu_info[v].evtchn_pending_sel, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->vcpu_info[v].evtchn_upcall_pending, 0, __ATOMIC_RELAXED);
    }
}

void evtchn_domain_init(struct domain *d)
{
    struct evtchn_domain *e = edom_of(d);

    if (!e) {
        printk("evtchn: d%u: no event-channel state (evtchn_unit): no event channels\n",
               d ? d->id : 0);
        return;
    }
    if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != EDOM_NONE)
        evtchn_domain_destroy(d); /* set up again: close what the last one left */

    xen_guest_domain_init(d); /* vcpu_info, runstate, physmap: nothing registered */
    spin_lock(&e->lock);
    e->d = d;
    for (evtchn_port_t p = 0; p < EVTCHN_MAX_PORTS; p++)
        e->port[p] = (struct port){ .state = p ? PORT_FREE : PORT_RESERVED };
    for (unsigned i = 0; i < NR_VIRQS; i++)
        e->virq_port[i] = 0;
    __atomic_store_n(&e->sends, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&e->upcalls, 0, __ATOMIC_RELAXED);
    if (d->shared_info) {
        clear_shared_events(shared(e));
        set_state(e, EDOM_LIVE);
    }
    spin_unlock(&e->lock);
    if (d->shared_info)
        printk("evtchn: d%u: 2-level event channels, ports 1..%u, new ports notify vCPU %u\n",
               d->id, EVTCHN_MAX_PORTS - 1, NOTIFY_VCPU);
    else
        printk("evtchn: d%u: no shared_info page: event channels unavailable\n", d->id);
}

void evtchn_domain_destroy(struct domain *d)
{
    struct evtchn_domain *e = edom_of(d);
    unsigned closed = 0;

    if (!e)
        return;
    spin_lock(&e->lock);
    if (e->state != EDOM_LIVE) {
        spin_unlock(&e->lock);
        return;
    }
    /* From here on no peer can bind to it and it cannot allocate. */
    set_state(e, EDOM_DYING);
    spin_unlock(&e->lock);

    for (evtchn_port_t p = 1; p < EVTCHN_MAX_PORTS; p++)
        if (close_port(e, p, CLOSE_AT_END) == 0)
            closed++;

    spin_lock(&e->lock);
    set_state(e, EDOM_NONE);
    spin_unlock(&e->lock);
    printk("evtchn: d%u: event channels closed (%u port(s)); it sent %lu event(s) and got %lu "
           "upcall(s)\n", d->id, closed, __atomic_load_n(&e->sends, __ATOMIC_RELAXED),
           __atomic_load_n(&e->upcalls, __ATOMIC_RELAXED));
}

/* Its unit (domain.h): the state is taken at domain_create and set up by the
 * builder (evtchn_domain_init, once shared_info exists). */
static int unit_init(struct domain *d, void *state)
{
    struct evtchn_domain *e = state;

    e->lock = (spinlock_t)SPINLOCK_INIT(LOCK_EVTCHN);
    e->d = d;
    d->evtchn = e;
    return 0;
}

const struct domain_unit evtchn_unit = {
    .name = "event channels", .state_size = sizeof(struct evtchn_domain),
    .init = unit_init, .destroy = evtchn_domain_destroy,
};
