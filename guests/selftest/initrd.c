/*
 * initrd.c — selftest mode test=initrd: does /chosen's linux,initrd-start/end
 * point at the bytes of the file given as the domain's "multiboot,ramdisk"
 * module?
 *
 * The scenario passes what it knows of the file, size=N and fnv=0x... (its
 * 32-bit FNV-1a hash); the guest reads the two properties from its device tree
 * (one or two cells each, as Linux accepts), checks that the range lies in its
 * RAM and has that size, hashes the bytes there and compares.  Prints
 * "selftest: initrd: PASS" or a FAIL line saying which check failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libfdt.h>
#include "guest.h"

#define FNV32_OFFSET 0x811c9dc5U
#define FNV32_PRIME 0x01000193U

static int chosen_u64(const void *fdt, int node, const char *name, uint64_t *out)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

    if (!p || (len != 4 && len != 8))
        return -1;
    *out = len == 4 ? fdt32_to_cpu(p[0])
                    : ((uint64_t)fdt32_to_cpu(p[0]) << 32) | fdt32_to_cpu(p[1]);
    return 0;
}

int test_initrd(const struct guest_info *gi)
{
    int chosen = fdt_path_offset(gi->fdt, "/chosen");
    uint64_t start, end, want_size;
    uint32_t want_fnv, h = FNV32_OFFSET;
    char buf[24];

    if (chosen < 0 || chosen_u64(gi->fdt, chosen, "linux,initrd-start", &start) ||
        chosen_u64(gi->fdt, chosen, "linux,initrd-end", &end)) {
        printf("selftest: initrd: no /chosen linux,initrd-start/end: FAIL\n");
        return 1;
    }
    printf("selftest: initrd: /chosen says 0x%lx-0x%lx (%lu bytes)\n", (unsigned long)start,
           (unsigned long)end, (unsigned long)(end - start));
    want_size = guest_arg("size", buf, sizeof(buf)) ? strtoull(buf, NULL, 0) : 0;
    want_fnv = guest_arg("fnv", buf, sizeof(buf)) ? (uint32_t)strtoul(buf, NULL, 0) : 0;
    if (end <= start || start < gi->ram_base || end > gi->ram_base + gi->ram_size) {
        printf("selftest: initrd: the range is empty or outside my RAM 0x%lx-0x%lx: FAIL\n",
               (unsigned long)gi->ram_base, (unsigned long)(gi->ram_base + gi->ram_size));
        return 1;
    }
    if (end - start != want_size) {
        printf("selftest: initrd: %lu bytes, the file has %lu: FAIL\n",
               (unsigned long)(end - start), (unsigned long)want_size);
        return 1;
    }
    for (const volatile uint8_t *p = (const volatile uint8_t *)start;
         p < (const volatile uint8_t *)end; p++)
        h = (h ^ *p) * FNV32_PRIME;
    if (h != want_fnv) {
        printf("selftest: initrd: FNV-1a 0x%08x, the file's is 0x%08x: FAIL\n", (unsigned)h,
               (unsigned)want_fnv);
        return 1;
    }
    printf("selftest: initrd: %lu bytes, FNV-1a 0x%08x as the file's: PASS\n",
           (unsigned long)want_size, (unsigned)h);
    return 0;
}
