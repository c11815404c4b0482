/*
 * test_linux_boot.c — host unit tests of the Linux boot protocol arithmetic
 * (core/linux_boot.c): Image header checks, where kernel, initrd and DTB go,
 * what does not fit, and the overlap test the module checks use.
 *
 * Header offsets and flag bits are written out here from Linux's
 * Documentation/arch/arm64/booting.rst, not taken from linux_boot.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <granite/linux_boot.h>
#include <granite/errno.h>

#define MiB (1UL << 20)
#define DTB_MAX (64 * 1024UL)
#define RAM (0x40000000UL)

static u8 image[4096];
static const char *why;

static void put64(u8 *p, u64 v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (u8)(v >> (8 * i));
}

static void make_header(u64 text_offset, u64 image_size, u64 flags)
{
    memset(image, 0, sizeof(image));
    put64(image + 8, text_offset);
    put64(image + 16, image_size);
    put64(image + 24, flags);
    memcpy(image + 0x38, "ARM\x64", 4);
}

static void test_header_ok(void **state)
{
    struct linux_image li;
    (void)state;
    make_header(0, 32 * MiB + 12345, 0xa); /* LE, 4K, anywhere: Debian's */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.text_offset, 0);
    assert_int_equal(li.image_size, 32 * MiB + 12345);
    assert_int_equal(li.file_size, sizeof(image));
    assert_int_equal(li.page_kib, 4);
    assert_true(li.anywhere);
    make_header(0x80000, 8 * MiB, 3 << 1); /* 64K pages */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.page_kib, 64);
    assert_int_equal(li.text_offset, 0x80000);
}

static void test_header_bad(void **state)
{
    struct linux_image li;
    (void)state;
    make_header(0, MiB, 0);
    image[0x38] = 0x7f; /* an ELF file, say */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), -EINVAL);
    assert_non_null(strstr(why, "not an arm64 Image: no ARM\\x64 magic at 0x38"));
    make_header(0, MiB, 0);
    assert_int_equal(linux_image_parse(image, 63, &li, &why), -EINVAL);
    make_header(0, MiB, 1); /* big-endian */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), -EINVAL);
    assert_non_null(strstr(why, "big-endian"));
    make_header(2 * MiB, MiB, 0); /* text_offset too large */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), -EINVAL);
    make_header(0x123, MiB, 0);   /* not page-aligned */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), -EINVAL);
    make_header(0, 100, 0);       /* image_size below the file */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), -EINVAL);
}

/* image_size 0: a pre-3.17 kernel, text_offset 0x80000, footprint = file. */
static void test_header_old_kernel(void **state)
{
    struct linux_image li;
    (void)state;
    make_header(0, 0, 1 /* ignored then */);
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.text_offset, 0x80000);
    assert_int_equal(li.image_size, sizeof(image));
}

/* PE/COFF facts written out here: e_lfanew at 0x3c, "PE\0\0", the COFF
 * header's NumberOfSections at +6 and SizeOfOptionalHeader at +20 (24 bytes
 * with the signature), 40-byte section headers with SizeOfRawData at +16 and
 * PointerToRawData at +20. */
static void put32(u8 *p, u32 v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (u8)(v >> (8 * i));
}

#define PE_AT 0x40
#define OPT_SIZE 0x70

/* An EFI-stub Image in `image`: sections [0x400, 0x800) and [0x800, 0xc00). */
static void make_pe(unsigned nr_sections)
{
    u8 *sec = image + PE_AT + 24 + OPT_SIZE;

    make_header(0, 0x2000, 0xa);
    image[0] = 'M';
    image[1] = 'Z';
    put32(image + 0x3c, PE_AT);
    memcpy(image + PE_AT, "PE\0\0", 4);
    image[PE_AT + 6] = (u8)nr_sections;
    image[PE_AT + 20] = OPT_SIZE;
    for (unsigned i = 0; i < 2; i++) {
        put32(sec + 40 * i + 16, 0x400);           /* SizeOfRawData */
        put32(sec + 40 * i + 20, 0x400 * (i + 1)); /* PointerToRawData */
    }
}

static void test_copy_only_the_image(void **state)
{
    struct linux_image li;
    (void)state;

    /* Not a PE file: the whole module. */
    make_header(0, 0x2000, 0xa);
    assert_int_equal(linux_image_parse(image, 3000, &li, &why), 0);
    assert_int_equal(li.file_size, 3000);

    /* A PE file whose sections end at 0xc00 and a signature after them. */
    make_pe(2);
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.file_size, 0xc00);
    assert_int_equal(li.image_size, 0x2000);

    /* Malformed PE headers: the whole module, never a read past it. */
    make_pe(2);
    put32(image + 0x3c, sizeof(image) - 8); /* signature cut short */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.file_size, sizeof(image));
    make_pe(2);
    put32(image + 0x3c, 0xfffffff0u); /* beyond the file */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.file_size, sizeof(image));
    make_pe(2);
    assert_int_equal(linux_image_parse(image, 0xb00, &li, &why), 0); /* a section past the end */
    assert_int_equal(li.file_size, 0xb00);
    make_pe(0);
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.file_size, sizeof(image));
    make_pe(200); /* more sections than the format allows */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.file_size, sizeof(image));
    make_pe(2);
    assert_int_equal(linux_image_parse(image, PE_AT + 24 + OPT_SIZE + 60, &li, &why), 0);
    assert_int_equal(li.file_size, PE_AT + 24 + OPT_SIZE + 60); /* section table cut short */
    make_pe(2);
    put32(image + PE_AT + 24 + OPT_SIZE + 16, 0xffffffffu); /* raw size overflows 32 bits */
    assert_int_equal(linux_image_parse(image, sizeof(image), &li, &why), 0);
    assert_int_equal(li.file_size, sizeof(image));
}

static void test_layout_kernel_initrd_dtb(void **state)
{
    struct linux_image li = { .text_offset = 0, .image_size = 33 * MiB, .file_size = 31 * MiB };
    struct linux_layout l;
    (void)state;
    assert_int_equal(linux_layout_place(RAM, 256 * MiB, &li, 987869, DTB_MAX, &l, &why), 0);
    assert_int_equal(l.kernel, RAM);
    assert_int_equal(l.kernel_end, RAM + 33 * MiB);
    assert_int_equal(l.dtb, RAM + 256 * MiB - DTB_MAX);
    assert_int_equal(l.dtb_end, RAM + 256 * MiB);
    assert_int_equal(l.initrd_end - l.initrd, 987869);
    assert_int_equal(l.initrd % 4096, 0);
    assert_true(l.initrd_end <= l.dtb);
    assert_true(l.initrd >= l.kernel_end);
    assert_false(linux_ranges_overlap(l.kernel, l.kernel_end - l.kernel, l.initrd,
                                      l.initrd_end - l.initrd));
    /* text_offset honoured */
    li.text_offset = 0x80000;
    assert_int_equal(linux_layout_place(RAM, 256 * MiB, &li, 0, DTB_MAX, &l, &why), 0);
    assert_int_equal(l.kernel, RAM + 0x80000);
    assert_int_equal(l.initrd, l.initrd_end);
}

static void test_layout_does_not_fit(void **state)
{
    struct linux_image li = { .text_offset = 0, .image_size = 33 * MiB, .file_size = 31 * MiB };
    struct linux_layout l;
    (void)state;
    /* The kernel's footprint (not just its file) must fit with the DTB. */
    assert_int_equal(linux_layout_place(RAM, 32 * MiB, &li, 0, DTB_MAX, &l, &why), -E2BIG);
    assert_non_null(strstr(why, "kernel"));
    /* Exactly fits: footprint + DTB slot == RAM. */
    li.image_size = 34 * MiB - DTB_MAX;
    assert_int_equal(linux_layout_place(RAM, 34 * MiB, &li, 0, DTB_MAX, &l, &why), 0);
    /* ... then not one byte of initrd more. */
    assert_int_equal(linux_layout_place(RAM, 34 * MiB, &li, 1, DTB_MAX, &l, &why), -E2BIG);
    assert_non_null(strstr(why, "initrd"));
    /* An initrd that would fit only over the kernel's BSS is refused. */
    li.image_size = 30 * MiB;
    assert_int_equal(linux_layout_place(RAM, 34 * MiB, &li, 4 * MiB, DTB_MAX, &l, &why), -E2BIG);
    assert_int_equal(linux_layout_place(RAM, 34 * MiB, &li, 4 * MiB - DTB_MAX, DTB_MAX, &l,
                                        &why), 0);
    assert_int_equal(l.initrd, l.kernel_end);
    /* RAM base not 2 MiB-aligned: a caller's bug. */
    assert_int_equal(linux_layout_place(RAM + 4096, 64 * MiB, &li, 0, DTB_MAX, &l, &why),
                     -EINVAL);
}

static void test_overlap(void **state)
{
    (void)state;
    assert_true(linux_ranges_overlap(0x1000, 0x1000, 0x1fff, 1));
    assert_false(linux_ranges_overlap(0x1000, 0x1000, 0x2000, 1));
    assert_false(linux_ranges_overlap(0x2000, 1, 0x1000, 0x1000));
    assert_true(linux_ranges_overlap(0x2000, 0x10, 0x1000, 0x1001));
    assert_false(linux_ranges_overlap(0x1000, 0, 0x1000, 0x1000)); /* empty */
    assert_true(linux_ranges_overlap(0x1000, 0x1000, 0x0, ~0UL));  /* covers all */
    assert_true(linux_ranges_overlap(~0UL - 0xfff, 0x1000, ~0UL, 1)); /* ends at 2^64 */
    /* The linux-initrd-overlap scenario's numbers. */
    assert_true(linux_ranges_overlap(0x4c000000, 0x11000, 0x4c001000, 0x4e21));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_ok),
        cmocka_unit_test(test_header_bad),
        cmocka_unit_test(test_header_old_kernel),
        cmocka_unit_test(test_copy_only_the_image),
        cmocka_unit_test(test_layout_kernel_initrd_dtb),
        cmocka_unit_test(test_layout_does_not_fit),
        cmocka_unit_test(test_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
