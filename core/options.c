/*
 * options.c — boot options.  granite reads them from /chosen/bootargs (QEMU's
 * -append, U-Boot's bootargs).  Syntax: space-separated key=value pairs; a value
 * with spaces is double-quoted.  Every key granite knows is listed below with
 * what it does; anything else is reported, not silently ignored.
 */
#include <stdlib.h>
#include <string.h>
#include <granite/options.h>
#include <granite/console.h>
#include <granite/errno.h>


struct known_option {
    const char *key;
    const char *help;
};

static const struct known_option known[] = {
    { "poweroff", "psci | semihosting: how the machine is switched off at the end of the run" },
    { "dom0", "built-in dom0's command line, or none (used when the DTB has no xen,domain node)" },
    { "domU1", "built-in domU1's command line, or none" },
    { "domU2", "built-in domU2's command line (default: no domU2)" },
    { "domU3", "built-in domU3's command line (default: no domU3)" },
    { "dom0_mem", "RAM of the built-in dom0, e.g. 64M (default 64M)" },
    { "domU_mem", "RAM of each built-in domU, e.g. 32M (default 32M)" },
    { "dom0_vcpus", "vCPUs of the built-in dom0 (1..4, default 1)" },
    { "domU_vcpus", "vCPUs of each built-in domU (1..4, default 1)" },
    { "timeslice_ms", "scheduler time slice when vCPUs share a CPU (default 10)" },
    { "vwfi", "native|trap: a vCPU alone on its CPU sleeps in its own WFI (default), or every WFI traps" },
    { "iommu", "on|off: translate dom0's DMA through the SMMU (default: on when one is found)" },
    { "iommu_pt", "shared|separate: the SMMU walks the p2m, or tables of its own kept in sync" },
    { "gnttab_iommu", "direct|sync: 1:1 IOMMU entry for dom0's grant maps always (Xen's fix) "
                      "or only with need_sync (the seed-000 regression)" },
    { "dom0_iommu", "strict|relaxed: dom0's devices reach dom0's memory and grants, or all RAM" },
    { "iommu_flush", "batched|eager|none: IOTLB invalidation per hypercall, per update, never" },
    { "iommu_measure", "on|off: at boot, time the SMMU's invalidation forms and print them" },
    { "smmu_stage", "2|1: the SMMU stage granite uses (default 2 when present; 1 exercises the "
                    "stage-1 fallback on an SMMU that has both)" },
    { "feat_dom0_iommu", "on|off: tell dom0 which devices' DMA granite translates" },
    { "dom0_iommu_passthrough", "<node path or compatible>: hand dom0 an IOMMU granite has no "
                                "driver for (hidden otherwise); PV drivers then break" },
    { "guest_abort", "inject|destroy: a guest access to an IPA with nothing behind it gets a "
                     "synchronous external abort (default), or ends the domain" },
    { "trace", "packet[,count=N]: print each hop of the first N packets (default 4) in granite "
               "and the toy guests (core/trace.c, tools/trace)" },
    { "timing", "off|on: time each vCPU exit's stay in EL2 and each kick's delivery (stats: "
                "timing: in the counter dump); each timestamp reads the counter, which under "
                "QEMU takes its global lock and slows what it measures (default off)" },
    { "dump", "none|maps: print each domain's IPA -> PA and IOVA -> PA maps, the grant mappings "
              "and IOMMU faults seen, on Ctrl-A e and when a domain ends (tools/picture)" },
    { "selftest", "el2-fault: make granite itself fault after boot (shows the exception report); "
                  "smmu-bad-command: send the SMMU an illegal command (shows GERROR handling)" },
};

const char *const opt_off_on[] = { "off", "on", NULL };

#define MAX_OPTS 24
#define OPT_BUF 1024

static struct { const char *key, *val; } opts[MAX_OPTS];
static unsigned nr_opts;
static char buf[OPT_BUF];

static const struct known_option *find_known(const char *key)
{
    for (unsigned i = 0; i < ARRAY_SIZE(known); i++)
        if (!strcmp(known[i].key, key))
            return &known[i];
    return NULL;
}

/* Copy one token into buf at *pos; returns its start or NULL if buf is full. */
static char *take(const char **s, size_t *pos, bool stop_at_eq)
{
    char *start = &buf[*pos];
    bool quoted = false;

    while (**s && (quoted || (**s != ' ' && !(stop_at_eq && **s == '=')))) {
        if (**s == '"') {
            quoted = !quoted;
            (*s)++;
            continue;
        }
        if (*pos + 1 >= OPT_BUF)
            return NULL;
        buf[(*pos)++] = *(*s)++;
    }
    if (*pos + 1 >= OPT_BUF)
        return NULL;
    buf[(*pos)++] = '\0';
    return start;
}

int options_parse(const char *s)
{
    size_t pos = 0;
    int errors = 0;

    nr_opts = 0;
    while (s && *s) {
        char *key, *val = "";
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        key = take(&s, &pos, true);
        if (key && *s == '=') {
            s++;
            val = take(&s, &pos, false);
        }
        if (!key || !val) {
            printk("options: command line longer than %d bytes; the rest is ignored\n", OPT_BUF);
            return errors + 1;
        }
        if (!find_known(key)) {
            printk("options: unknown option '%s' (ignored)\n", key);
            errors++;
            continue;
        }
        if (nr_opts == MAX_OPTS) {
            printk("options: more than %d options; '%s' ignored\n", MAX_OPTS, key);
            errors++;
            continue;
        }
        opts[nr_opts].key = key;
        opts[nr_opts].val = val;
        nr_opts++;
    }
    return errors;
}

const char *opt_str(const char *key)
{
    const char *v = NULL;
    for (unsigned i = 0; i < nr_opts; i++) /* the last one given wins */
        if (!strcmp(opts[i].key, key))
            v = opts[i].val;
    return v;
}

u64 opt_size(const char *key, u64 dflt, int *err)
{
    const char *v = opt_str(key);
    unsigned shift = 0;
    char *end;
    u64 n;

    if (!v)
        return dflt;
    if (*v < '0' || *v > '9')
        goto bad; /* no sign, no empty number, no bare suffix */
    n = strtoul(v, &end, 0);
    if (end == v)
        goto bad;
    switch (*end) {
    case 'G': case 'g': shift = 30; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'K': case 'k': shift = 10; end++; break;
    default: break;
    }
    if (*end || n == ~0UL /* strtoul overflow */ || n > (~0UL >> shift))
        goto bad;
    return n << shift;
bad:
    printk("options: %s=%s is not a size (examples: 16M, 0x1000000)\n", key, v);
    *err = -EINVAL;
    return dflt;
}

int opt_choice(const char *key, const char *const *choices, int dflt)
{
    const char *v = opt_str(key);

    if (!v)
        return dflt;
    for (int i = 0; choices[i]; i++)
        if (!strcmp(choices[i], v))
            return i;
    printk("options: %s=%s is not one of:", key, v);
    for (int i = 0; choices[i]; i++)
        printk(" %s", choices[i]);
    printk("\n");
    return -1;
}
