/*
 * vpl011.h — an emulated PL011 UART for a guest (core/vpl011.c).
 */
#ifndef GRANITE_VPL011_H
#define GRANITE_VPL011_H

#include <granite/types.h>
#include <granite/arch_callbacks.h>
#include <granite/spinlock.h>

#define VPL011_SIZE 0x1000
#define VPL011_RX_FIFO 32
#define VPL011_LINE_MAX 160

struct vpl011;

struct vpl011_ops {
    /* A complete line of output (without the newline). */
    void (*line)(struct vpl011 *u, const char *buf, unsigned len);
    /* The UART's interrupt line changed level. */
    void (*irq_level)(struct vpl011 *u, bool level);
};

struct vpl011 {
    bool present;
    u64 base;                    /* IPA of its registers */
    u32 intid;                   /* its interrupt in the guest's GIC */
    void *owner;                 /* the domain */
    unsigned domid;              /* for log lines */
    const struct vpl011_ops *ops;
    spinlock_t lock;
    u32 cr, lcr_h, ibrd, fbrd, ifls, imsc, ris, dmacr, ilpr;
    u8 rx[VPL011_RX_FIFO];
    unsigned rx_head, rx_len;
    char line[VPL011_LINE_MAX];
    unsigned line_len;
    bool irq_high;
    u64 bad_accesses;
};

void vpl011_init(struct vpl011 *u, u64 base, u32 intid, void *owner, unsigned domid,
                 const struct vpl011_ops *ops);
/* A character typed on the real console for this guest.  false if the FIFO is full. */
bool vpl011_receive(struct vpl011 *u, char c);
/* Flush a partial output line (domain end). */
void vpl011_flush(struct vpl011 *u);

#endif
