/* SPDX-License-Identifier: MIT */
/*
 * The ABI between vmmctl (user space of the root OS) and MicroV's loader driver. The structures
 * have fixed sizes and no implicit padding, so that 64-bit user space and kernel agree.
 * Usable from C and C++, in the kernel and in user space.
 */
#ifndef MICROV_LOADER_IOCTL_H
#define MICROV_LOADER_IOCTL_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#include <linux/types.h>
#else
#include <stdint.h>
#include <sys/ioctl.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** The loader's device node, created by the loader module. */
#define MV_LOADER_DEVICE_NAME "microv"
#define MV_LOADER_DEVICE_PATH "/dev/microv"

/** Version of this ABI; a caller puts it in every request's abi_version field. */
#define MV_LOADER_ABI_VERSION 1U

/** The most CPUs one MV_LOADER_CPU_INFO request can describe. */
#define MV_LOADER_MAX_CPUS 1024U

/** The raw values of one CPUID leaf. */
struct mv_cpuid_regs {
    uint32_t eax;
    uint32_t ebx;
    uint32_t ecx;
    uint32_t edx;
};

/** Flags of mv_cpu_raw.flags. */
#define MV_CPU_RAW_VM_CR_VALID 0x1U /* vm_cr was read (the MSR exists on this CPU) */
#define MV_CPU_RAW_EFER_VALID 0x2U  /* efer was read */

/** What the loader read on one online CPU: the CPUID leaves and MSRs MicroV's checks need. */
struct mv_cpu_raw {
    uint32_t cpu;                      /* the OS's number for this CPU */
    uint32_t flags;                    /* MV_CPU_RAW_* */
    struct mv_cpuid_regs leaf_0;       /* CPUID 0x0: max basic leaf, vendor */
    struct mv_cpuid_regs leaf_1;       /* CPUID 0x1: feature bits, hypervisor bit */
    struct mv_cpuid_regs leaf_ext_0;   /* CPUID 0x80000000: max extended leaf */
    struct mv_cpuid_regs leaf_ext_1;   /* CPUID 0x80000001: SVM bit */
    struct mv_cpuid_regs leaf_ext_svm; /* CPUID 0x8000000A: SVM revision, ASIDs, SVM features */
    uint64_t vm_cr;                    /* MSR 0xC0010114 (VM_CR) */
    uint64_t efer;                     /* MSR 0xC0000080 (EFER) */
};

/**
 * MV_LOADER_CPU_INFO: reads struct mv_cpu_raw on every online CPU.
 * In: abi_version, capacity (entries at cpus), cpus (user pointer to capacity entries), reserved = 0.
 * Out: online (number of online CPUs), count (entries written). Fails with ENOSPC, and sets online,
 * when capacity is smaller than the number of online CPUs; with EINVAL for a bad version, a
 * capacity above MV_LOADER_MAX_CPUS or a non-zero reserved field; with EFAULT for a bad pointer.
 */
struct mv_loader_cpu_info {
    uint32_t abi_version;
    uint32_t capacity;
    uint64_t cpus;
    uint32_t online;
    uint32_t count;
    uint64_t reserved;
};

#define MV_LOADER_IOCTL_MAGIC 0xB7
#define MV_LOADER_CPU_INFO _IOWR(MV_LOADER_IOCTL_MAGIC, 0x01, struct mv_loader_cpu_info)

#ifdef __cplusplus
}
#endif

#endif
