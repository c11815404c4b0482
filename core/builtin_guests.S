/*
 * builtin_guests.S — guest images packed into granite, so that `qemu -kernel
 * granite.bin` alone runs something.  The Makefile builds them first.
 */
    .section .builtin_guests, "a"
    .balign 4096
    .global builtin_selftest_start, builtin_selftest_end
builtin_selftest_start:
    .incbin GUEST_SELFTEST_BIN
builtin_selftest_end:
