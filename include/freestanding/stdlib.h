/*
 * stdlib.h — the one <stdlib.h> function granite's freestanding EL2 build
 * has (core/string.c).  The host unit tests get the system's.
 */
#ifndef GRANITE_FREESTANDING_STDLIB_H
#define GRANITE_FREESTANDING_STDLIB_H

unsigned long strtoul(const char *s, char **end, int base);

#endif
