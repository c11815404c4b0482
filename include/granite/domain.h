/*
 * domain.h — domains (guests) and their virtual CPUs.
 *
 * A domain owns a p2m (its stage-2 table), its RAM (a list of host page chunks)
 * and its vCPUs.  It ends in one of two ways: cleanly, when it asks for PSCI
 * SYSTEM_OFF, or destroyed by granite (a fault it cannot recover from).  Either
 * way its pages are scrubbed and returned, its TLB entries flushed, and the
 * other domains carry on.  When every domain has ended, granite switches the
 * machine off; the exit status says whether all of them ended cleanly.
 */
#ifndef GRANITE_DOMAIN_H
#define GRANITE_DOMAIN_H

#include <granite/p2m.h>
#include <granite/guest_context.h>

#define MAX_DOMAINS 8
#define DOMAIN_MAX_CHUNKS 256
#define DOMAIN_NAME_LEN 16

enum domain_state { DOM_FREE, DOM_BUILDING, DOM_RUNNING, DOM_ENDED_CLEAN, DOM_DESTROYED };

struct vcpu {
    struct guest_context ctx; /* must stay first: the exception entry code finds it here */
    struct domain *d;
    unsigned id;
    unsigned pcpu;
};

struct ram_chunk {
    void *pages;
    unsigned order;
};

struct domain {
    unsigned id;
    char name[DOMAIN_NAME_LEN];
    enum domain_state state;
    struct p2m p2m;
    struct vcpu vcpu0;
    ipa_t ram_base;
    u64 ram_size;
    struct ram_chunk chunks[DOMAIN_MAX_CHUNKS];
    unsigned nr_chunks;
    u64 console_len;
    char console_buf[128]; /* a guest's console line, flushed at '\n' */
};

struct domain *domain_create(unsigned id, const char *name);
struct domain *domain_by_id(unsigned id);
/* End a domain on the CPU running it.  `clean` = it asked to be switched off. */
void domain_end(struct domain *d, bool clean, const char *why);
/* Free a domain that never ran (a build failure). */
void domain_discard(struct domain *d, const char *why);
/* Write bytes to / read bytes from a domain's memory at an IPA (granite's side). */
int domain_copy_to(struct domain *d, ipa_t dst, const void *src, u64 len);
/* Called once every domain has been started; powers off when all have ended. */
void domains_started(unsigned count);

#endif
