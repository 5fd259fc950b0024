/* SPDX-License-Identifier: MIT */
/*
 * The interface of the test module hypercall_kprobe (/dev/mv_hypercall_kprobe), shared by the
 * module and the programs that use it (tests/integration/bin/shared_page_probe.c):
 *   read/write/pread/pwrite    the module's page (4096 bytes, zeroed at load)
 *   ioctl MV_KPROBE_HYPERCALL  one mv_* hypercall from kernel mode (CPL 0) on the calling CPU;
 *                              the registers come back in the same struct
 */
#ifndef MICROV_HYPERCALL_KPROBE_H
#define MICROV_HYPERCALL_KPROBE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MV_KPROBE_DEVICE "/dev/mv_hypercall_kprobe"
#define MV_KPROBE_PAGE_BYTES 4096

/* flags: put the physical address of the module's page in REG1 (the call's REG1 is ignored). */
#define MV_KPROBE_FLAG_PAGE_IN_REG1 0x1U

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

#define MV_KPROBE_IOCTL_MAGIC 0xB8
#define MV_KPROBE_HYPERCALL _IOWR(MV_KPROBE_IOCTL_MAGIC, 0x01, struct mv_kprobe_call)

#endif
