/*
 * toolstack_nodes.c — the toolstack's xenstore writes (see
 * toolstack_nodes.h).  Permissions as libxl sets them: each side of a
 * device owns its directory and the other side's domain may read it; the
 * keys written inside inherit the directory's list (xenstore.h), so the
 * directory's permissions are set before its first key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "xenstore.h"
#include "toolstack_nodes.h"

static int first_err;
static const uint8_t ts_mac_oui[3] = { 0x00, 0x16, 0x3e }; /* TS_MAC_PREFIX's first bytes */
#define TS_MAX_VCPUS 64 /* cpu/<n>/availability keys written at most */

static void put(const char *dir, const char *key, const char *val)
{
    char path[TS_PATH_MAX + 48];
    int e;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    e = xs_write(path, val);
    if (e && !first_err)
        first_err = e;
}

/* The directory, owned by `owner`, readable by `reader`. */
static void make_dir(const char *dir, unsigned owner, unsigned reader)
{
    const struct xs_perm perms[] = { { (uint16_t)owner, XS_PERM_NONE },
                                     { (uint16_t)reader, XS_PERM_READ } };
    int e = xs_mkdir(dir);

    if (!e)
        e = xs_set_perms(dir, perms, 2);
    if (e && !first_err)
        first_err = e;
}

void ts_vif_init(struct ts_vif *v, unsigned fe_domid, unsigned be_domid, unsigned handle)
{
    memset(v, 0, sizeof(*v));
    v->fe_domid = fe_domid;
    v->be_domid = be_domid;
    v->handle = handle;
    memcpy(v->mac, ts_mac_oui, sizeof(ts_mac_oui));
    v->mac[5] = (uint8_t)fe_domid;
    snprintf(v->mac_str, sizeof(v->mac_str), TS_MAC_PREFIX "%02x", fe_domid & 0xffu);
    snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vif/%u", fe_domid, handle);
    snprintf(v->be_top, sizeof(v->be_top), "/local/domain/%u/backend/vif/%u", be_domid, fe_domid);
    snprintf(v->be, sizeof(v->be), "/local/domain/%u/backend/vif/%u/%u", be_domid, fe_domid,
             handle);
}

int ts_write_domain(unsigned domid, unsigned nr_vcpus, uint64_t memory_kib,
                    uint64_t reservoir_kib)
{
    char home[32], key[32], num[24];

    first_err = 0;
    snprintf(home, sizeof(home), "/local/domain/%u", domid);
    /* Keys of the domain, not of a device, that Linux reads at boot: the
     * server takes XS_RESET_WATCHES; each vCPU's availability (Linux's
     * cpu_hotplug watcher says "Unable to read cpu state" without it); the
     * balloon driver's ceiling and target, equal unless the domain gets a
     * reservoir (toolstack_nodes.h).  `control/shutdown` is not written:
     * Linux watches it, and nothing asks a domain to shut down here. */
    if (memory_kib && reservoir_kib >= memory_kib)
        return -EINVAL;
    put(home, "control/platform-feature-xs_reset_watches", "1");
    for (unsigned cpu = 0; cpu < nr_vcpus && cpu < TS_MAX_VCPUS; cpu++) {
        snprintf(key, sizeof(key), "cpu/%u/availability", cpu);
        put(home, key, "online");
    }
    if (memory_kib) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long)memory_kib);
        put(home, "memory/static-max", num);
        snprintf(num, sizeof(num), "%llu", (unsigned long long)(memory_kib - reservoir_kib));
        put(home, "memory/target", num);
    }
    return first_err;
}

int ts_write_vif_backend(const struct ts_vif *v)
{
    char id[12], handle[12];

    first_err = 0;
    snprintf(id, sizeof(id), "%u", v->fe_domid);
    snprintf(handle, sizeof(handle), "%u", v->handle);
    make_dir(v->be, v->be_domid, v->fe_domid);
    put(v->be, "frontend", v->fe);
    put(v->be, "frontend-id", id);
    put(v->be, "online", "1");
    put(v->be, "handle", handle);
    put(v->be, "mac", v->mac_str);
    /* Linux's netback probe reads `script` (and fails without it) and hands
     * it to the hotplug agent, which bridges the vif into `bridge`. */
    put(v->be, "script", TS_VIF_SCRIPT);
    put(v->be, "bridge", TS_VIF_BRIDGE);
    put(v->be, "state", "1");
    return first_err;
}

int ts_write_vif_frontend(const struct ts_vif *v)
{
    char id[12], handle[12];

    first_err = 0;
    snprintf(id, sizeof(id), "%u", v->be_domid);
    snprintf(handle, sizeof(handle), "%u", v->handle);
    make_dir(v->fe, v->fe_domid, v->be_domid);
    put(v->fe, "backend", v->be);
    put(v->fe, "backend-id", id);
    put(v->fe, "handle", handle);
    put(v->fe, "mac", v->mac_str);
    put(v->fe, "state", "1"); /* last: a frontend probes the device when it reads 1 */
    return first_err;
}

int ts_remove_vif(const struct ts_vif *v)
{
    int e = xs_rm(v->fe), e2 = xs_rm(v->be_top);

    /* already gone (the domain's home went first) is not an error */
    if (e == -ENOENT)
        e = 0;
    if (e2 == -ENOENT)
        e2 = 0;
    return e ? e : e2;
}
