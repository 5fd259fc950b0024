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
#include <microv/mk_boot.h> /* enum mv_test_fault */

#ifdef __cplusplus
extern "C" {
#endif

/** The loader's device node, created by the loader module. */
#define MV_LOADER_DEVICE_NAME "microv"
#define MV_LOADER_DEVICE_PATH "/dev/microv"

/** Version of this ABI; a caller puts it in every request's abi_version field. */
#define MV_LOADER_ABI_VERSION 2U

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

/** Pool sizes MV_LOADER_START accepts, in MiB; the pool is made of 2 MiB chunks. */
#define MV_LOADER_POOL_MIN_MIB 4U
#define MV_LOADER_POOL_MAX_MIB 128U
#define MV_LOADER_POOL_DEFAULT_MIB 32U
/** The most bytes an image handed to MV_LOADER_START may have. */
#define MV_LOADER_IMAGE_MAX (16ULL * 1024U * 1024U)

/** Why MV_LOADER_START failed (mv_loader_start.result); detail says more where noted. */
enum mv_start_result {
    MV_START_OK = 0,
    MV_START_BAD_REQUEST = 1,    /* a field of the request is invalid (EINVAL) */
    MV_START_BAD_KERNEL = 2,     /* detail: enum mv_image_error */
    MV_START_BAD_EXT = 3,        /* the extension image is not a 64-bit ELF file */
    MV_START_NO_MEMORY = 4,      /* the pool or the images could not be allocated (ENOMEM) */
    MV_START_POOL_TOO_SMALL = 5, /* the pool cannot hold what the microkernel needs */
    MV_START_CPU_UNSUITABLE = 6, /* detail: the CPU; see vmmctl info (ENODEV) */
    MV_START_MK_FAILED = 7,      /* detail: the microkernel's MV_MK_STATUS_* on the CPU in cpu */
    MV_START_RUNNING = 8,        /* MicroV runs already (EBUSY) */
};

/**
 * MV_LOADER_START: starts MicroV on every online CPU.
 * In: abi_version, pool_mib, kernel/kernel_size (the flat microkernel image), ext/ext_size (the
 * extension's ELF file), serial_port (0: none), test_fault (enum mv_test_fault in mk_boot.h; 0
 * but in tests), reserved = 0.
 * Out: result, detail, cpu, and cpus_entered: how many CPUs ran the microkernel before it ended.
 * On any failure, everything is unwound: no CPU is left changed and no memory is kept.
 */
struct mv_loader_start {
    uint32_t abi_version;
    uint32_t pool_mib;
    uint64_t kernel;
    uint64_t kernel_size;
    uint64_t ext;
    uint64_t ext_size;
    uint16_t serial_port;
    uint16_t test_fault;
    uint32_t reserved1;
    uint32_t result;
    uint32_t detail;
    uint32_t cpu;
    uint32_t cpus_entered;
};

/**
 * MV_LOADER_DUMP: copies the newest bytes of the hypervisor's debug ring.
 * In: abi_version, capacity (bytes at buf), buf. Out: copied, lost (overwritten before read).
 */
struct mv_loader_dump {
    uint32_t abi_version;
    uint32_t capacity;
    uint64_t buf;
    uint64_t copied;
    uint64_t lost;
};

/** MV_LOADER_STATUS: what the loader holds. */
struct mv_loader_status {
    uint32_t abi_version;
    uint32_t running; /* 1 when MicroV runs */
    uint32_t cpus;    /* CPUs MicroV runs on */
    uint32_t reserved;
    uint64_t pool_bytes;      /* pool memory held now */
    uint64_t other_bytes;     /* other memory the loader holds now (the debug ring) */
    uint64_t pool_phys;       /* physical address of the pool's first chunk (0 when none) */
    uint64_t debug_ring_phys; /* physical address of the debug ring (root-VM RAM MicroV writes) */
};

#define MV_LOADER_IOCTL_MAGIC 0xB7
#define MV_LOADER_CPU_INFO _IOWR(MV_LOADER_IOCTL_MAGIC, 0x01, struct mv_loader_cpu_info)
#define MV_LOADER_START _IOWR(MV_LOADER_IOCTL_MAGIC, 0x02, struct mv_loader_start)
#define MV_LOADER_DUMP _IOWR(MV_LOADER_IOCTL_MAGIC, 0x03, struct mv_loader_dump)
#define MV_LOADER_STATUS _IOWR(MV_LOADER_IOCTL_MAGIC, 0x04, struct mv_loader_status)
/** MV_LOADER_STOP: gives every CPU back and frees everything; ENODEV when MicroV does not run. */
#define MV_LOADER_STOP _IO(MV_LOADER_IOCTL_MAGIC, 0x05)

#ifdef __cplusplus
}
#endif

#endif
