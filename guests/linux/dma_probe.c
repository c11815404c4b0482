/*
 * dma_probe.c — can a device this domain owns read the hypervisor's memory?
 * (userspace, static; runs in the Linux driver domain's initramfs)
 *
 * The question the IOMMU exists to answer "no" to.  The probe uses QEMU's
 * `edu` device, a plain PCI DMA engine, from user space through sysfs — no
 * driver, so nothing in the kernel helps or hinders:
 *   1. find the function whose vendor:device is 1234:11e8 under
 *      /sys/bus/pci/devices, enable it (memory decode) and set Bus Master in
 *      its command register (PCI Local Bus spec, Command register bit 2);
 *   2. map BAR0 (resource0) and check the identification register;
 *   3. ask for a DMA of PROBE_LEN bytes from a bus address into the device's
 *      own buffer (registers: 0x80 source, 0x88 destination, 0x90 count,
 *      0x98 command, bit 0 = run and, read back, busy; the buffer is at
 *      0x40000 in the device's address space and in BAR0);
 *   4. first, as a control, carry a known pattern from a locked page of ours
 *      into the buffer and back (proving the device reaches this domain's own
 *      RAM both ways and leaving the pattern in the buffer, so a blocked read
 *      is recognisable), then the probe itself;
 *   5. bring the buffer back the same way, by a DMA from it to a locked page
 *      of this process (its physical address from /proc/self/pagemap: the
 *      domain is direct-mapped, so that is also its bus address, and the
 *      page is this domain's own RAM, which its stage 2 maps in every mode)
 *      — edu does not expose its buffer through BAR0 — and say what came in.
 *
 * The address probed is this domain's grant window, reg[0] of its /hypervisor
 * node: for a direct-mapped domain granite uses its own image's range there,
 * as Xen does for dom0 (memory the domain can never have as RAM), and an
 * arm64 Image carries the magic "ARM\x64" at offset 0x38.  So:
 *   - IOMMU on: the bus address is an IPA of this domain, translated through
 *     its stage-2 tables: the window holds this domain's grant-table frames or
 *     nothing (an SMMU fault), never granite's code;
 *   - IOMMU off: the bus address is a machine address, and the device reads
 *     granite's own image — the isolation that is lost, shown.
 * Output: one line starting "dma-probe:" saying which happened.  Exit 0 when
 * the probe ran (whatever it read), 1 when it could not run.
 *
 * The device's dma_mask property must allow the address (scenarios pass
 * `-device edu,dma_mask=0xffffffffffffffff`; QEMU's default is 28 bits).
 * Completion is polled with a sleep: it is one DMA in a test tool, not a
 * steady state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#define PCI_DEVICES "/sys/bus/pci/devices"
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_ID_REG 0x00
#define EDU_ID_MASK 0xffffU       /* low half: "edu" id 0x00ed, high half: version */
#define EDU_ID_LOW 0x00edU
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_MEMORY 0x2     /* direction: from the buffer to the bus address (clear: into it) */
#define EDU_BUFFER 0x40000
#define EDU_BAR_SIZE (1 << 20)
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define IMAGE_MAGIC_OFFSET 0x38   /* arm64 Image header: magic "ARM\x64" */
#define IMAGE_MAGIC "ARM\x64"
#define PROBE_LEN 4
#define CONTROL_PATTERN "gRnT"     /* what the control round trip carries */
#define SENTINEL_BYTE 0xa5         /* the landing area before the device writes it */
#define RESULT_OFFSET 2048         /* the landing area, in the second half of our page */
#define WAIT_STEPS 2000           /* x 1 ms */
#define HYP_REG "/proc/device-tree/hypervisor/reg"
#define PAGEMAP "/proc/self/pagemap"
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_PFN_MASK ((1ULL << 55) - 1)
#define PAGE_BYTES 4096
#define ROOT_ADDR_CELLS "/proc/device-tree/#address-cells"

static int read_file(const char *path, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, len);
    close(fd);
    return (int)n;
}

static unsigned long read_hex_file(const char *dir, const char *name)
{
    char path[300], buf[32] = "";

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (read_file(path, buf, sizeof(buf) - 1) <= 0)
        return ~0UL;
    return strtoul(buf, NULL, 16);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* reg[0]'s address in the root's #address-cells (1 or 2). */
static int grant_window_base(uint64_t *base)
{
    unsigned char cells[4], reg[8];

    if (read_file(ROOT_ADDR_CELLS, cells, sizeof(cells)) != 4)
        return -1;
    switch (be32(cells)) {
    case 1:
        if (read_file(HYP_REG, reg, sizeof(reg)) < 4)
            return -1;
        *base = be32(reg);
        return 0;
    case 2:
        if (read_file(HYP_REG, reg, sizeof(reg)) < 8)
            return -1;
        *base = (uint64_t)be32(reg) << 32 | be32(reg + 4);
        return 0;
    }
    return -1;
}

static int find_edu(char *dir, size_t len)
{
    DIR *d = opendir(PCI_DEVICES);
    struct dirent *e;

    if (!d)
        return -1;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(dir, len, "%s/%s", PCI_DEVICES, e->d_name);
        if (read_hex_file(dir, "vendor") == EDU_VENDOR &&
            read_hex_file(dir, "device") == EDU_DEVICE) {
            closedir(d);
            return 0;
        }
    }
    closedir(d);
    return -1;
}

/* Memory decode through sysfs "enable", Bus Master in the command register. */
static int enable_dma(const char *dir)
{
    char path[300];
    unsigned char cmd[2];
    int fd;

    snprintf(path, sizeof(path), "%s/enable", dir);
    fd = open(path, O_WRONLY);
    if (fd < 0 || write(fd, "1", 1) != 1) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    snprintf(path, sizeof(path), "%s/config", dir);
    fd = open(path, O_RDWR);
    if (fd < 0 || pread(fd, cmd, 2, PCI_COMMAND) != 2) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    cmd[0] |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER; /* little-endian config space */
    if (pwrite(fd, cmd, 2, PCI_COMMAND) != 2) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

static volatile uint64_t *reg64(volatile unsigned char *bar, unsigned off)
{
    return (volatile uint64_t *)(bar + off);
}

/* One edu DMA of len bytes between bus address `bus` and the device's
 * buffer; false if it does not complete within WAIT_STEPS ms. */
static bool edu_dma(volatile unsigned char *bar, uint64_t bus, unsigned len, bool to_memory)
{
    unsigned waited = 0;

    *reg64(bar, EDU_DMA_SRC) = to_memory ? EDU_BUFFER : bus;
    *reg64(bar, EDU_DMA_DST) = to_memory ? bus : EDU_BUFFER;
    *reg64(bar, EDU_DMA_CNT) = len;
    *reg64(bar, EDU_DMA_CMD) = EDU_DMA_RUN | (to_memory ? EDU_DMA_TO_MEMORY : 0);
    while ((*reg64(bar, EDU_DMA_CMD) & EDU_DMA_RUN) && waited++ < WAIT_STEPS)
        sleep_ms(1);
    return waited < WAIT_STEPS;
}

/* Read PROBE_LEN bytes at bus address `from` into the device, then write
 * them back to the second half of our page (bus address page_pa + half),
 * which holds a sentinel first; false if a DMA stalls or the sentinel is
 * still whole (nothing was written back). */
static bool round_trip(volatile unsigned char *bar, unsigned char *page, uint64_t from,
                       uint64_t page_pa, unsigned char out[PROBE_LEN])
{
    volatile unsigned char *result = page + RESULT_OFFSET;

    memset(page + RESULT_OFFSET, SENTINEL_BYTE, PROBE_LEN);
    if (!edu_dma(bar, from, PROBE_LEN, false) ||
        !edu_dma(bar, page_pa + RESULT_OFFSET, PROBE_LEN, true))
        return false;
    bool untouched = true;
    for (unsigned i = 0; i < PROBE_LEN; i++) { /* the device wrote it: read memory */
        out[i] = result[i];
        untouched &= out[i] == SENTINEL_BYTE;
    }
    return !untouched;
}

/* The physical address of a locked page of ours (root only: pagemap hides
 * frame numbers from others). */
static int page_phys(void *page, uint64_t *phys)
{
    uint64_t entry;
    int fd = open(PAGEMAP, O_RDONLY);
    off_t at = (off_t)((uintptr_t)page / PAGE_BYTES * sizeof(entry));

    if (fd < 0)
        return -1;
    if (pread(fd, &entry, sizeof(entry), at) != sizeof(entry) || !(entry & PAGEMAP_PRESENT) ||
        !(entry & PAGEMAP_PFN_MASK)) {
        close(fd);
        return -1;
    }
    close(fd);
    *phys = (entry & PAGEMAP_PFN_MASK) * PAGE_BYTES;
    return 0;
}

int main(void)
{
    char dir[280], path[300];
    unsigned char got[PROBE_LEN];
    uint64_t window, target;
    volatile unsigned char *bar;
    unsigned char *landing;
    uint64_t landing_pa;
    uint32_t id;
    int fd;

    if (grant_window_base(&window)) {
        printf("dma-probe: FAIL: cannot read %s\n", HYP_REG);
        return 1;
    }
    target = window + IMAGE_MAGIC_OFFSET;
    if (find_edu(dir, sizeof(dir)) || enable_dma(dir)) {
        printf("dma-probe: FAIL: no usable edu device (1234:11e8) under %s\n", PCI_DEVICES);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/resource0", dir);
    fd = open(path, O_RDWR | O_SYNC);
    bar = fd < 0 ? MAP_FAILED
                 : mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (bar == MAP_FAILED) {
        printf("dma-probe: FAIL: cannot map %s: %s\n", path, strerror(errno));
        return 1;
    }
    id = *(volatile uint32_t *)(bar + EDU_ID_REG);
    if ((id & EDU_ID_MASK) != EDU_ID_LOW) {
        printf("dma-probe: FAIL: %s: identification 0x%08x is not edu's\n", dir, id);
        return 1;
    }
    landing = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (landing == MAP_FAILED || mlock(landing, PAGE_BYTES) || page_phys(landing, &landing_pa)) {
        printf("dma-probe: FAIL: no locked page with a known physical address (%s)\n",
               strerror(errno));
        return 1;
    }
    /* A control round trip first: a pattern from our page into the device
     * and back to the other half of the page, over a sentinel.  It proves
     * both directions reach this domain's own RAM, and leaves the pattern in
     * the device's buffer: if the probe's read is blocked, that is what
     * comes back. */
    memcpy(landing, CONTROL_PATTERN, PROBE_LEN);
    if (!round_trip(bar, landing, landing_pa, landing_pa, got) ||
        memcmp(got, CONTROL_PATTERN, PROBE_LEN)) {
        printf("dma-probe: FAIL: the control round trip through this domain's own page did not "
               "come back\n");
        return 1;
    }
    if (!round_trip(bar, landing, target, landing_pa, got)) {
        printf("dma-probe: FAIL: a DMA did not complete, or nothing was written back\n");
        return 1;
    }
    /* Short lines: granite's console splits long ones. */
    printf("dma-probe: %s read 0x%llx (grant window + 0x%x): %02x %02x %02x %02x\n",
           strrchr(dir, '/') + 1, (unsigned long long)target, IMAGE_MAGIC_OFFSET, got[0],
           got[1], got[2], got[3]);
    if (!memcmp(got, IMAGE_MAGIC, PROBE_LEN))
        printf("dma-probe: granite's own Image magic: the device reads hypervisor memory, "
               "no isolation\n");
    else if (!memcmp(got, CONTROL_PATTERN, PROBE_LEN))
        printf("dma-probe: the read was blocked (the buffer kept its control pattern): "
               "isolation holds\n");
    else
        printf("dma-probe: it read this domain's own page there, not granite's image: "
               "isolation holds\n");
    return 0;
}
