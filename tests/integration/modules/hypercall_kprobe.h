/* SPDX-License-Identifier: MIT */
/*
 * The interface of the test module hypercall_kprobe (/dev/mv_hypercall_kprobe), shared by the
 * module and the programs that use it (tests/integration/bin/shared_page_probe.c, guest_probe.c):
 *   read/write/pread/pwrite      file offsets 0-4095: the module's page; offsets 4096 to
 *                                4096 + 64 * 4096: the guest RAM block, 64 pages in order; the
 *                                next 4096 bytes (MV_KPROBE_PAGE2_OFFSET): the module's second page
 *                                (all zeroed at load and at each open)
 *   ioctl MV_KPROBE_HYPERCALL    one mv_* hypercall from kernel mode (CPL 0) on the calling CPU;
 *                                the registers come back in the same struct. Two threads of the
 *                                opener may have hypercalls in flight at once (a run on one CPU,
 *                                an unmap from another): each CPU then needs its own shared page,
 *                                which is what the second page is for
 *   ioctl MV_KPROBE_GUEST_PAGES  the physical addresses of the guest RAM block's pages
 */
#ifndef MICROV_HYPERCALL_KPROBE_H
#define MICROV_HYPERCALL_KPROBE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MV_KPROBE_DEVICE "/dev/mv_hypercall_kprobe"
#define MV_KPROBE_PAGE_BYTES 4096

/* The guest RAM block: pages that need not be contiguous, at these file offsets. */
#define MV_KPROBE_GUEST_PAGES_COUNT 64
#define MV_KPROBE_GUEST_OFFSET MV_KPROBE_PAGE_BYTES
#define MV_KPROBE_GUEST_BYTES (MV_KPROBE_GUEST_PAGES_COUNT * MV_KPROBE_PAGE_BYTES)

/* The module's second page, right after the guest RAM block. */
#define MV_KPROBE_PAGE2_OFFSET (MV_KPROBE_GUEST_OFFSET + MV_KPROBE_GUEST_BYTES)

/* flags: put the physical address of the module's page, or of its second page, in REG1 (the
 * call's REG1 is ignored); at most one of them. */
#define MV_KPROBE_FLAG_PAGE_IN_REG1 0x1U
#define MV_KPROBE_FLAG_PAGE2_IN_REG1 0x2U

/** One hypercall: RAX and REG0-REG3 in before it, out after it. */
struct mv_kprobe_call {
    __u64 rax;
    __u64 reg0;
    __u64 reg1;
    __u64 reg2;
    __u64 reg3;
    __u32 flags;
    __u32 pad; /* 0 */
};

/** The guest RAM block: phys[i] is the physical address of page i (file offset 4096 + i * 4096). */
struct mv_kprobe_guest_pages {
    __u64 phys[MV_KPROBE_GUEST_PAGES_COUNT];
};

#define MV_KPROBE_IOCTL_MAGIC 0xB8
#define MV_KPROBE_HYPERCALL _IOWR(MV_KPROBE_IOCTL_MAGIC, 0x01, struct mv_kprobe_call)
#define MV_KPROBE_GUEST_PAGES _IOR(MV_KPROBE_IOCTL_MAGIC, 0x02, struct mv_kprobe_guest_pages)

#endif
