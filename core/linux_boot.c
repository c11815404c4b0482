/*
 * linux_boot.c — the arm64 Linux boot protocol, the arithmetic part: what an
 * Image header says and where kernel, initrd and DTB go in a domain's RAM.
 *
 * Facts from Linux's Documentation/arch/arm64/booting.rst:
 *   - the Image starts with a 64-byte header: code0/code1, text_offset (at 8),
 *     image_size (at 16), flags (at 24), three reserved words, the magic
 *     "ARM\x64" at 0x38;
 *   - it is loaded text_offset bytes above a 2 MiB-aligned base, and the
 *     kernel uses image_size bytes from there (its BSS too): nothing else may
 *     sit in that footprint;
 *   - flags bit 0 is the kernel's endianness, bits 2:1 its page size
 *     (0 unspecified, 1 = 4K, 2 = 16K, 3 = 64K), bit 3 whether it may sit
 *     anywhere in RAM;
 *   - an image_size of 0 is a pre-3.17 kernel: text_offset is then 0x80000
 *     and the footprint unknown (we take the file's size, the best there is);
 *   - the DTB is 8-byte aligned, at most 2 MiB; the initrd sits with the
 *     kernel in one 1 GiB-aligned window of at most 32 GiB.
 * And from the PE/COFF format (an EFI-stub Image starts "MZ" and is also a PE
 * file; Linux's efi-header.S): the 32-bit offset of the "PE\0\0" header at
 * 0x3c; after it the COFF header (NumberOfSections at +6,
 * SizeOfOptionalHeader at +20, 24 bytes in all), the optional header, then
 * 40-byte section headers (SizeOfRawData at +16, PointerToRawData at +20).
 * The sections' raw data are the bytes a loader places; what may follow them
 * in the file (an Authenticode signature) is no part of the running kernel.
 * Those bytes are what granite copies (linux_image.file_size): the module
 * region may be larger than the image, and the rest of the footprint is the
 * domain's RAM, already zero (page_alloc.c), as a PE loader would leave it.
 *
 * granite's guests run little-endian (SCTLR_EL1.EE as reset), so a big-endian
 * kernel is refused here rather than left to crash at its first instruction.
 * Assumption: the caller passes a ram_base aligned to 2 MiB (domain RAM is
 * built from 2 MiB chunks).
 */
#include <granite/linux_boot.h>
#include <granite/errno.h>

#define INITRD_ALIGN 4096UL /* page-aligned: Linux frees it by pages once unpacked */
#define DTB_ALIGN 8UL

static u64 le64_at(const u8 *p)
{
    u64 v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static u32 le32_at(const u8 *p)
{
    return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

#define PE_LFANEW_OFFSET 0x3c
#define PE_SIGNATURE 0x00004550U               /* "PE\0\0" */
#define PE_COFF_NR_SECTIONS 6                  /* from the signature */
#define PE_COFF_OPT_SIZE 20
#define PE_COFF_HEADER_SIZE 24                 /* signature + COFF header */
#define PE_SECTION_SIZE 40
#define PE_SECTION_RAW_SIZE 16
#define PE_SECTION_RAW_PTR 20
#define PE_MAX_SECTIONS 96                     /* the format's own limit */

static u16 le16_at(const u8 *p) { return (u16)(p[0] | p[1] << 8); }

/* The end of the last section's raw data when the Image is a well-formed PE
 * file inside its `size` bytes; otherwise `size` (an Image without the EFI
 * stub, or a header granite cannot read: copy the file as it is). */
static u64 pe_loaded_bytes(const u8 *h, u64 size)
{
    u64 pe, sections, end = 0;
    unsigned nr;

    if (h[0] != 'M' || h[1] != 'Z')
        return size;
    pe = le32_at(h + PE_LFANEW_OFFSET);
    if (pe > size || size - pe < PE_COFF_HEADER_SIZE || le32_at(h + pe) != PE_SIGNATURE)
        return size;
    nr = le16_at(h + pe + PE_COFF_NR_SECTIONS);
    sections = pe + PE_COFF_HEADER_SIZE + le16_at(h + pe + PE_COFF_OPT_SIZE);
    if (!nr || nr > PE_MAX_SECTIONS || sections > size ||
        size - sections < (u64)nr * PE_SECTION_SIZE)
        return size;
    for (unsigned i = 0; i < nr; i++) {
        const u8 *sh = h + sections + (u64)i * PE_SECTION_SIZE;
        u64 e = (u64)le32_at(sh + PE_SECTION_RAW_PTR) + le32_at(sh + PE_SECTION_RAW_SIZE);
        if (e > size)
            return size; /* a section past the file: not a PE we understand */
        end = MAX(end, e);
    }
    return end >= LINUX_IMAGE_HEADER_SIZE ? end : size;
}

int linux_image_parse(const void *data, u64 size, struct linux_image *out, const char **why)
{
    static const unsigned page_kib[4] = { 0, 4, 16, 64 };
    const u8 *h = data;
    u64 flags;

    if (size < LINUX_IMAGE_HEADER_SIZE) {
        *why = "not an arm64 Image: shorter than its 64-byte header";
        return -EINVAL;
    }
    if (le32_at(h + LINUX_IMAGE_MAGIC_OFFSET) != LINUX_IMAGE_MAGIC) {
        *why = "not an arm64 Image: no ARM\\x64 magic at 0x38";
        return -EINVAL;
    }
    out->text_offset = le64_at(h + 8);
    out->image_size = le64_at(h + 16);
    flags = le64_at(h + 24);
    out->file_size = pe_loaded_bytes(h, size);
    if (!out->image_size) { /* pre-3.17 */
        out->text_offset = LINUX_IMAGE_OLD_TEXT_OFFSET;
        out->image_size = size;
        flags = 0;
    }
    if (flags & LINUX_IMAGE_FLAG_BE) {
        *why = "a big-endian arm64 Image (header flags bit 0): granite's guests run "
               "little-endian";
        return -EINVAL;
    }
    if (out->text_offset >= LINUX_IMAGE_BASE_ALIGN || !IS_ALIGNED(out->text_offset, 4096)) {
        *why = "arm64 Image header: text_offset is not a page multiple below 2 MiB";
        return -EINVAL;
    }
    if (out->image_size < size) {
        *why = "arm64 Image header: image_size is smaller than the file";
        return -EINVAL;
    }
    if (out->image_size > (1UL << 40)) {
        *why = "arm64 Image header: image_size is absurd (over 1 TiB)";
        return -EINVAL;
    }
    out->page_kib = page_kib[(flags >> LINUX_IMAGE_FLAG_PAGE_SHIFT) & LINUX_IMAGE_FLAG_PAGE_MASK];
    out->anywhere = (flags & LINUX_IMAGE_FLAG_ANYWHERE) != 0;
    return 0;
}

bool linux_ranges_overlap(u64 a, u64 a_size, u64 b, u64 b_size)
{
    if (!a_size || !b_size)
        return false;
    /* Compare as "b starts before a ends and a starts before b ends", written
     * with subtractions so that an end at 2^64 does not wrap. */
    return (b >= a ? b - a < a_size : a - b < b_size);
}

int linux_layout_place(u64 ram_base, u64 ram_size, const struct linux_image *img,
                       u64 initrd_size, u64 dtb_max, struct linux_layout *out,
                       const char **why)
{
    u64 ram_end = ram_base + ram_size, lo, hi;

    if (!IS_ALIGNED(ram_base, LINUX_IMAGE_BASE_ALIGN) || ram_end < ram_base ||
        !dtb_max || !IS_ALIGNED(dtb_max, DTB_ALIGN)) {
        *why = "internal: RAM not 2 MiB-aligned, or no room asked for the DTB";
        return -EINVAL;
    }
    out->kernel = ram_base + img->text_offset;
    out->kernel_end = out->kernel + img->image_size;
    if (ram_size < dtb_max || out->kernel_end < out->kernel ||
        out->kernel_end > ram_end - dtb_max) {
        *why = "the kernel's footprint (text_offset + image_size) and the DTB do not fit in "
               "the domain's RAM";
        return -E2BIG;
    }
    out->dtb = ram_end - dtb_max;
    out->dtb_end = ram_end;
    out->initrd = out->initrd_end = out->dtb;
    if (!initrd_size)
        return 0;
    if (initrd_size > out->dtb - out->kernel_end) {
        *why = "the initrd does not fit in the domain's RAM between the kernel's footprint "
               "(text_offset + image_size) and the DTB";
        return -E2BIG;
    }
    out->initrd = ALIGN_DOWN(out->dtb - initrd_size, INITRD_ALIGN);
    out->initrd_end = out->initrd + initrd_size;
    if (out->initrd < out->kernel_end) {
        *why = "the initrd does not fit in the domain's RAM between the kernel's footprint "
               "(text_offset + image_size) and the DTB";
        return -E2BIG;
    }
    lo = ALIGN_DOWN(MIN(out->kernel, out->initrd), LINUX_INITRD_WINDOW_ALIGN);
    hi = MAX(out->kernel_end, out->initrd_end);
    if (hi - lo > LINUX_INITRD_WINDOW_MAX) {
        *why = "the kernel and the initrd do not fit in one 1 GiB-aligned 32 GiB window";
        return -E2BIG;
    }
    return 0;
}
