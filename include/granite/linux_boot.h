/*
 * linux_boot.h — the arm64 Linux boot protocol for a domain's kernel and
 * initrd (core/linux_boot.c): reading an Image header, placing the kernel,
 * the initrd and the DTB in the domain's RAM, and the overlap arithmetic the
 * module checks share.  Pure computations, no side effects: unit-tested on
 * the host (tests/unit/test_linux_boot.c).
 */
#ifndef GRANITE_LINUX_BOOT_H
#define GRANITE_LINUX_BOOT_H

#include <granite/types.h>

/* Linux Documentation/arch/arm64/booting.rst, "Call the kernel image": the
 * 64-byte header of an arm64 Image. */
#define LINUX_IMAGE_HEADER_SIZE 64
#define LINUX_IMAGE_MAGIC_OFFSET 0x38
#define LINUX_IMAGE_MAGIC 0x644d5241U          /* "ARM\x64", little-endian */
#define LINUX_IMAGE_FLAG_BE BIT(0)             /* kernel endianness: 1 = big */
#define LINUX_IMAGE_FLAG_PAGE_SHIFT 1          /* bits 2:1, page size */
#define LINUX_IMAGE_FLAG_PAGE_MASK 3UL
#define LINUX_IMAGE_FLAG_ANYWHERE BIT(3)       /* physical placement */
/* Before Linux 3.17 image_size is 0 and text_offset is to be taken as 0x80000. */
#define LINUX_IMAGE_OLD_TEXT_OFFSET 0x80000UL
/* The Image goes text_offset bytes above a 2 MiB-aligned base. */
#define LINUX_IMAGE_BASE_ALIGN SZ_2M
/* The initrd must lie with the kernel inside one 1 GiB-aligned window of at
 * most 32 GiB. */
#define LINUX_INITRD_WINDOW_ALIGN SZ_1G
#define LINUX_INITRD_WINDOW_MAX (32UL << 30)

struct linux_image {
    u64 text_offset;
    u64 image_size;      /* the footprint the kernel assumes, BSS included */
    u64 file_size;       /* bytes to copy: an EFI-stub (PE) Image's sections
                          * end there, else the whole module */
    unsigned page_kib;   /* 0 = unspecified, else 4, 16 or 64 */
    bool anywhere;       /* flags bit 3 */
};

/* Check the header of the `size` bytes at `data`.  0, or -EINVAL with *why a
 * static message ("not an arm64 Image: no ARM\x64 magic at 0x38"...). */
int linux_image_parse(const void *data, u64 size, struct linux_image *out, const char **why);

/* Where the pieces go in a domain's RAM [ram_base, ram_base + ram_size). */
struct linux_layout {
    u64 kernel, kernel_end;  /* entry point, end of the image_size footprint */
    u64 initrd, initrd_end;  /* initrd_end == initrd when there is none */
    u64 dtb, dtb_end;        /* a dtb_max-sized slot at the top of RAM */
};

/*
 * Place the kernel at ram_base (2 MiB-aligned) + text_offset, the DTB slot in
 * the last dtb_max bytes of RAM, and the initrd (if initrd_size) right below
 * the DTB slot, page-aligned, so that it can never overlap the kernel's
 * image_size footprint nor the DTB.  0, or -E2BIG / -EINVAL with *why saying
 * what does not fit.
 */
int linux_layout_place(u64 ram_base, u64 ram_size, const struct linux_image *img,
                       u64 initrd_size, u64 dtb_max, struct linux_layout *out,
                       const char **why);

/* [a, a + a_size) and [b, b + b_size) share a byte (empty ranges never do;
 * a range that wraps past 2^64 overlaps everything after its start). */
bool linux_ranges_overlap(u64 a, u64 a_size, u64 b, u64 b_size);

#endif
