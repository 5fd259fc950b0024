/* SPDX-License-Identifier: MIT */
/*
 * What MicroV needs from a CPU, decided from the raw values the loader reads on each CPU.
 * Common loader code: freestanding C, used by the Linux module, vmmctl and (later) the UEFI loader.
 */
#ifndef MICROV_CPU_CAPS_H
#define MICROV_CPU_CAPS_H

#include <microv/loader_ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mv_cpu_vendor {
    MV_VENDOR_UNKNOWN = 0,
    MV_VENDOR_AMD = 1, /* AuthenticAMD and HygonGenuine: SVM */
    MV_VENDOR_INTEL = 2,
};

/** Bits of CPUID 0x8000000A EDX and the MSRs, as the AMD APM defines them. */
#define MV_CPUID_1_ECX_VMX (1U << 5)
#define MV_CPUID_1_ECX_HYPERVISOR (1U << 31)
#define MV_CPUID_EXT_1_ECX_SVM (1U << 2)
#define MV_SVM_EDX_NPT (1U << 0)
#define MV_SVM_EDX_NRIP_SAVE (1U << 3)
#define MV_SVM_EDX_VMCB_CLEAN (1U << 5)
#define MV_SVM_EDX_FLUSH_BY_ASID (1U << 6)
#define MV_SVM_EDX_DECODE_ASSISTS (1U << 7)
#define MV_MSR_VM_CR 0xC0010114U
#define MV_MSR_EFER 0xC0000080U
#define MV_VM_CR_LOCK (1ULL << 3)
#define MV_VM_CR_SVMDIS (1ULL << 4)
#define MV_EFER_SVME (1ULL << 12)

/** The CPU facts MicroV cares about, decoded from one mv_cpu_raw. */
struct mv_cpu_caps {
    enum mv_cpu_vendor vendor;
    char vendor_id[13];     /* the 12-character CPUID vendor string, NUL-terminated */
    int hypervisor_present; /* CPUID.1:ECX[31]: we are ourselves in a VM */
    int vmx;
    int svm;
    uint32_t svm_revision;
    uint32_t asids; /* number of ASIDs, ASID 0 (the host's) included */
    int npt;
    int nrip_save;
    int decode_assists;
    int vmcb_clean;
    int flush_by_asid;
    int vm_cr_known;
    int vm_cr_lock;
    int svm_disabled; /* VM_CR.SVMDIS: firmware turned SVM off */
    int efer_known;
    int svme_in_use; /* EFER.SVME already set: another hypervisor owns SVM on this CPU */
};

/** Reasons MicroV cannot run; a bit set in mv_machine_verdict.blockers. */
#define MV_BLOCK_NO_CPUS 0x001U       /* no CPU was described */
#define MV_BLOCK_NOT_AMD 0x002U       /* not an AMD CPU; Intel VMX support is not there yet */
#define MV_BLOCK_NO_SVM 0x004U        /* CPUID says no SVM */
#define MV_BLOCK_SVM_DISABLED 0x008U  /* VM_CR.SVMDIS is set (by firmware) */
#define MV_BLOCK_NO_NPT 0x010U        /* no nested paging */
#define MV_BLOCK_TOO_FEW_ASIDS 0x020U /* fewer than 2 ASIDs: none for guests */
#define MV_BLOCK_SVM_IN_USE 0x040U    /* EFER.SVME already set: another hypervisor runs */
#define MV_BLOCK_ASYMMETRIC 0x080U    /* CPUs disagree on vendor or SVM features */
#define MV_BLOCK_VM_CR_UNKNOWN 0x100U /* VM_CR could not be read */

/** The decision for a whole machine: the capabilities of CPU 0 and why MicroV cannot run, if so. */
struct mv_machine_verdict {
    struct mv_cpu_caps caps; /* of the first CPU described */
    uint32_t cpus;           /* CPUs described */
    uint32_t blockers;       /* MV_BLOCK_* */
    uint32_t first_bad_cpu;  /* OS number of the first CPU that showed a blocker */
};

/** Decodes the raw values read on one CPU. */
void mv_cpu_caps_decode(const struct mv_cpu_raw *raw, struct mv_cpu_caps *caps);

/** Decides whether MicroV can run on a machine whose online CPUs are described by cpus[0..count). */
void mv_machine_verdict_decide(const struct mv_cpu_raw *cpus, uint32_t count, struct mv_machine_verdict *verdict);

/** A one-line text for a single MV_BLOCK_* bit; "unknown blocker" for anything else. */
const char *mv_blocker_text(uint32_t blocker);

/** What is wrong with an MV_LOADER_CPU_INFO request; the driver answers EINVAL for each. */
enum mv_request_error {
    MV_REQ_OK = 0,
    MV_REQ_BAD_VERSION = 1,  /* abi_version is not MV_LOADER_ABI_VERSION */
    MV_REQ_BAD_CAPACITY = 2, /* capacity above MV_LOADER_MAX_CPUS */
    MV_REQ_RESERVED = 3,     /* a reserved or output field is not zero */
    MV_REQ_NULL_BUFFER = 4,  /* capacity > 0 but no buffer */
};

/** Checks an MV_LOADER_CPU_INFO request as the driver receives it. */
enum mv_request_error mv_loader_cpu_info_check(const struct mv_loader_cpu_info *req);

#ifdef __cplusplus
}
#endif

#endif
