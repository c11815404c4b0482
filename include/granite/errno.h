/*
 * errno.h — error numbers returned by granite's functions and hypercalls.
 * Values are Xen's (xen/include/public/errno.h), which are Linux's, so a
 * guest sees the same numbers it would on Xen.
 */
#ifndef GRANITE_ERRNO_H
#define GRANITE_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENOSYS 38
#define EOPNOTSUPP 95
#define ETIMEDOUT 110

#endif
