/* SPDX-License-Identifier: MIT */
/*
 * The MicroV hypercall ABI (the MicroV Hypercall Specification): RAX = signature | flags |
 * opcode | index, arguments and results in R10 (REG0), R11 (REG1), R12 (REG2), R13 (REG3), the
 * status in RAX. Usable from C and C++, in the kernel and in user space, 64-bit only. The
 * instruction is VMMCALL on AMD and VMCALL on Intel, chosen at run time from CPUID.
 */
#ifndef MICROV_HYPERCALL_H
#define MICROV_HYPERCALL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* 2.4: RAX */
#define MV_HYPERCALL_SIG_VAL 0x764D000000000000ULL
#define MV_HYPERCALL_SIG_MASK 0xFFFF000000000000ULL
#define MV_HYPERCALL_FLAGS_MASK 0x0000FFFF00000000ULL
#define MV_HYPERCALL_OPCODE_MASK 0xFFFF0000FFFF0000ULL
#define MV_HYPERCALL_OPCODE_NOSIG_MASK 0x00000000FFFF0000ULL
#define MV_HYPERCALL_INDEX_MASK 0x000000000000FFFFULL

/* 2.3: status codes */
#define MV_STATUS_SUCCESS 0x0000000000000000ULL
#define MV_STATUS_FAILURE_UNKNOWN 0xDEAD000000010001ULL
#define MV_STATUS_FAILURE_UNSUPPORTED 0xDEAD000000020001ULL
#define MV_STATUS_FAILURE_INVALID_HANDLE 0xDEAD000000040001ULL
#define MV_STATUS_INVALID_PERM_DENIED 0xDEAD000000010002ULL
#define MV_STATUS_INVALID_INPUT_REG0 0xDEAD000000010003ULL
#define MV_STATUS_INVALID_INPUT_REG1 0xDEAD000000020003ULL
#define MV_STATUS_INVALID_INPUT_REG2 0xDEAD000000040003ULL
#define MV_STATUS_INVALID_INPUT_REG3 0xDEAD000000080003ULL
#define MV_STATUS_INVALID_OUTPUT_REG0 0xDEAD000000100003ULL
#define MV_STATUS_INVALID_OUTPUT_REG1 0xDEAD000000200003ULL
#define MV_STATUS_INVALID_OUTPUT_REG2 0xDEAD000000400003ULL
#define MV_STATUS_INVALID_OUTPUT_REG3 0xDEAD000000800003ULL
#define MV_STATUS_RETRY_CONTINUATION 0xDEAD000000100004ULL
#define MV_STATUS_RETRY_CONTINUATION_LATER 0xDEAD000000200004ULL
#define MV_STATUS_EXIT_FAILURE 0xDEAD000000010005ULL
#define MV_STATUS_EXIT_UNKNOWN 0xDEAD000000020005ULL

/* 2.6: opcodes (with the signature) */
#define MV_ID_OP_VAL 0x764D000000000000ULL
#define MV_HANDLE_OP_VAL 0x764D000000010000ULL
#define MV_DEBUG_OP_VAL 0x764D000000020000ULL
#define MV_PP_OP_VAL 0x764D000000030000ULL
#define MV_VM_OP_VAL 0x764D000000040000ULL
#define MV_VP_OP_VAL 0x764D000000050000ULL
#define MV_VS_OP_VAL 0x764D000000060000ULL

/* 2.7: specification IDs */
#define MV_SPEC_ID1_VAL 0x3123764DU
#define MV_SPEC_ID1_MASK 0x2U
#define MV_ALL_SPECS_SUPPORTED_VAL 0x2U
#define MV_INVALID_VERSION 0x80000000U
#define MV_INVALID_HANDLE 0xFFFFFFFFFFFFFFFFULL

/* 2.9 - 2.12: the indexes of the first groups */
#define MV_ID_OP_VERSION_IDX_VAL 0x0ULL
#define MV_ID_OP_GET_CAPABILITY_IDX_VAL 0x1ULL
#define MV_ID_OP_CLR_CAPABILITY_IDX_VAL 0x2ULL
#define MV_ID_OP_SET_CAPABILITY_IDX_VAL 0x3ULL
#define MV_ID_OP_HAS_CAPABILITY_IDX_VAL 0x4ULL
#define MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL 0x0ULL
#define MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL 0x1ULL
#define MV_DEBUG_OP_OUT_IDX_VAL 0x0ULL
#define MV_PP_OP_PPID_IDX_VAL 0x0ULL
#define MV_PP_OP_ONLINE_PPS_IDX_VAL 0x1ULL
#define MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL 0x2ULL
#define MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL 0x3ULL
#define MV_PP_OP_CPUID_GET_SUPPORTED_IDX_VAL 0x4ULL
#define MV_PP_OP_CPUID_GET_SUPPORTED_LIST_IDX_VAL 0x5ULL
#define MV_PP_OP_CPUID_GET_PERMISSABLE_IDX_VAL 0x6ULL
#define MV_PP_OP_CPUID_GET_PERMISSABLE_LIST_IDX_VAL 0x7ULL
#define MV_PP_OP_CPUID_GET_EMULATED_IDX_VAL 0x8ULL
#define MV_PP_OP_CPUID_GET_EMULATED_LIST_IDX_VAL 0x9ULL
#define MV_PP_OP_REG_GET_SUPPORTED_IDX_VAL 0xAULL
#define MV_PP_OP_REG_GET_SUPPORTED_LIST_IDX_VAL 0xBULL
#define MV_PP_OP_REG_GET_PERMISSABLE_IDX_VAL 0xCULL
#define MV_PP_OP_REG_GET_PERMISSABLE_LIST_IDX_VAL 0xDULL
#define MV_PP_OP_REG_GET_EMULATED_IDX_VAL 0xEULL
#define MV_PP_OP_REG_GET_EMULATED_LIST_IDX_VAL 0xFULL
#define MV_PP_OP_MSR_GET_SUPPORTED_IDX_VAL 0x10ULL
#define MV_PP_OP_MSR_GET_SUPPORTED_LIST_IDX_VAL 0x11ULL
#define MV_PP_OP_MSR_GET_PERMISSABLE_IDX_VAL 0x12ULL
#define MV_PP_OP_MSR_GET_PERMISSABLE_LIST_IDX_VAL 0x13ULL
#define MV_PP_OP_MSR_GET_EMULATED_IDX_VAL 0x14ULL
#define MV_PP_OP_MSR_GET_EMULATED_LIST_IDX_VAL 0x15ULL
#define MV_PP_OP_TSC_GET_KHZ_IDX_VAL 0x16ULL
#define MV_PP_OP_TSC_SET_KHZ_IDX_VAL 0x17ULL

/* 2.13-2.15: VM, VP and VS indexes (the first of each group) */
#define MV_VM_OP_CREATE_VM_IDX_VAL 0x0ULL
#define MV_VM_OP_DESTROY_VM_IDX_VAL 0x1ULL
#define MV_VM_OP_VMID_IDX_VAL 0x2ULL
#define MV_VM_OP_MMIO_MAP_IDX_VAL 0x3ULL
#define MV_VM_OP_MMIO_UNMAP_IDX_VAL 0x4ULL
#define MV_VP_OP_CREATE_VP_IDX_VAL 0x0ULL
#define MV_VP_OP_DESTROY_VP_IDX_VAL 0x1ULL
#define MV_VP_OP_VMID_IDX_VAL 0x2ULL
#define MV_VP_OP_VPID_IDX_VAL 0x3ULL
#define MV_VS_OP_CREATE_VS_IDX_VAL 0x0ULL
#define MV_VS_OP_DESTROY_VS_IDX_VAL 0x1ULL
#define MV_VS_OP_VMID_IDX_VAL 0x2ULL
#define MV_VS_OP_VPID_IDX_VAL 0x3ULL
#define MV_VS_OP_VSID_IDX_VAL 0x4ULL
#define MV_VS_OP_REG_GET_IDX_VAL 0xDULL
#define MV_VS_OP_REG_SET_IDX_VAL 0xEULL
#define MV_VS_OP_RUN_IDX_VAL 0x8ULL
#define MV_VS_OP_GVA_TO_GLA_IDX_VAL 0x5ULL
#define MV_VS_OP_GLA_TO_GPA_IDX_VAL 0x6ULL
#define MV_VS_OP_GVA_TO_GPA_IDX_VAL 0x7ULL
#define MV_VS_OP_CPUID_GET_IDX_VAL 0x9ULL
#define MV_VS_OP_CPUID_SET_IDX_VAL 0xAULL
#define MV_VS_OP_CPUID_GET_LIST_IDX_VAL 0xBULL
#define MV_VS_OP_CPUID_SET_LIST_IDX_VAL 0xCULL
#define MV_VS_OP_REG_GET_LIST_IDX_VAL 0xFULL
#define MV_VS_OP_REG_SET_LIST_IDX_VAL 0x10ULL
#define MV_VS_OP_MSR_GET_IDX_VAL 0x17ULL
#define MV_VS_OP_MSR_SET_IDX_VAL 0x18ULL
#define MV_VS_OP_MSR_GET_LIST_IDX_VAL 0x19ULL
#define MV_VS_OP_MSR_SET_LIST_IDX_VAL 0x1AULL
#define MV_VS_OP_FPU_GET_IDX_VAL 0x1BULL
#define MV_VS_OP_FPU_SET_IDX_VAL 0x1CULL
#define MV_VS_OP_FPU_GET_ALL_IDX_VAL 0x1DULL
#define MV_VS_OP_FPU_SET_ALL_IDX_VAL 0x1EULL
#define MV_VS_OP_XSAVE_GET_IDX_VAL 0x1FULL
#define MV_VS_OP_XSAVE_SET_IDX_VAL 0x20ULL
#define MV_VS_OP_XSAVE_GET_ALL_IDX_VAL 0x21ULL
#define MV_VS_OP_XSAVE_SET_ALL_IDX_VAL 0x22ULL
#define MV_VS_OP_MP_STATE_GET_IDX_VAL 0x23ULL
#define MV_VS_OP_MP_STATE_SET_IDX_VAL 0x24ULL
#define MV_VS_OP_INJECT_EXCEPTION_IDX_VAL 0x25ULL
#define MV_VS_OP_QUEUE_INTERRUPT_IDX_VAL 0x26ULL
/* The spec heads these two OP=0x3 (the PP group) under the VS group; MicroV takes them there. */
#define MV_VS_OP_TSC_GET_KHZ_IDX_VAL 0x27ULL
#define MV_VS_OP_TSC_SET_KHZ_IDX_VAL 0x28ULL

/* mv_mp_state_t (1.4): a VS's multiprocessor state */
#define MV_MP_STATE_INITIAL 0U
#define MV_MP_STATE_RUNNING 1U
#define MV_MP_STATE_WAIT 2U
#define MV_MP_STATE_INIT 3U
#define MV_MP_STATE_SIPI 4U

/* mv_vs_op_gva_to_gla's segments (REG1[31:16]): x86's segment register numbers, as instructions
 * encode them (MicroV's: the spec names an SSID without defining one) */
#define MV_SSID_ES 0U
#define MV_SSID_CS 1U
#define MV_SSID_SS 2U
#define MV_SSID_DS 3U
#define MV_SSID_FS 4U
#define MV_SSID_GS 5U

/* The root VM's ID (1.5) */
#define MV_ROOT_VMID 0x0U

/* 1.4.3: permission flags */
#define MV_PERM_READ 0x1ULL
#define MV_PERM_WRITE 0x2ULL

/* 1.4.8: RDL flags (in mv_rdl_t.reg0) */
#define MV_RDL_FLAG_ALL 0x1ULL

/* 1.4.5 - 1.4.7: descriptor lists, each at offset 0 of the shared page and one page long */
#define MV_RDL_MAX_ENTRIES 250U
#define MV_MDL_MAX_ENTRIES 125U
#define MV_CDL_MAX_ENTRIES 125U

/** Map flags (MDL entries of mv_vm_op_mmio_map). */
#define MV_MAP_FLAG_READ_ACCESS (1ULL << 0)
#define MV_MAP_FLAG_WRITE_ACCESS (1ULL << 1)
#define MV_MAP_FLAG_EXECUTE_ACCESS (1ULL << 2)
#define MV_MAP_FLAG_USER (1ULL << 3)
#define MV_MAP_FLAG_4K_PAGE (1ULL << 9)
#define MV_MAP_FLAG_2M_PAGE (1ULL << 10)
#define MV_MAP_FLAG_1G_PAGE (1ULL << 11)
#define MV_MAP_FLAG_UNCACHEABLE (1ULL << 57)
#define MV_MAP_FLAG_UNCACHEABLE_MINUS (1ULL << 58)
#define MV_MAP_FLAG_WRITE_COMBINING (1ULL << 59)
#define MV_MAP_FLAG_WRITE_COMBINING_PLUS (1ULL << 60)
#define MV_MAP_FLAG_WRITE_THROUGH (1ULL << 61)
#define MV_MAP_FLAG_WRITE_BACK (1ULL << 62)
#define MV_MAP_FLAG_WRITE_PROTECTED (1ULL << 63)

/** mv_exit_reason_t: what mv_vs_op_run returns in REG0. */
#define MV_EXIT_REASON_FAILURE 0U
#define MV_EXIT_REASON_UNKNOWN 1U
#define MV_EXIT_REASON_HLT 2U
#define MV_EXIT_REASON_IO 3U
#define MV_EXIT_REASON_MMIO 4U
#define MV_EXIT_REASON_MSR 5U
#define MV_EXIT_REASON_INTERRUPT 6U
#define MV_EXIT_REASON_NMI 7U

/** mv_hlt_t: why a guest stopped (mv_exit_hlt_t). */
#define MV_HLT_SHUTDOWN 0U
#define MV_HLT_RESET 1U
#define MV_HLT_VM_CRASH 2U
#define MV_HLT_MICROV_CRASH 3U

/** mv_exit_io_t.type: the direction, and (MicroV's own bits, docs/hypercalls.md) the form. */
#define MV_EXIT_IO_IN 0x0ULL
#define MV_EXIT_IO_OUT 0x1ULL
#define MV_EXIT_IO_STRING 0x2ULL /* INS or OUTS: data is not used; the VMM reads or writes guest memory */
#define MV_EXIT_IO_REP 0x4ULL    /* with a REP prefix: reps is RCX */

/** mv_bit_size_t */
#define MV_BIT_SIZE_8 0U
#define MV_BIT_SIZE_16 1U
#define MV_BIT_SIZE_32 2U
#define MV_BIT_SIZE_64 3U

/** mv_exit_mmio_t.flags */
#define MV_EXIT_MMIO_READ 0x1ULL
#define MV_EXIT_MMIO_WRITE 0x2ULL
#define MV_EXIT_MMIO_EXECUTE 0x4ULL

/** mv_exit_msr_t.flags */
#define MV_EXIT_MSR_READ 0x1ULL
#define MV_EXIT_MSR_WRITE 0x2ULL

/** mv_cpuid_flag_t: only the reserved value is defined. */
#define MV_CPUID_FLAG_RESERVED 0U

/** One register of an RDL: an mv_reg_t or MSR index, and its value. */
struct mv_rdl_entry_t {
    uint64_t reg;
    uint64_t val;
};

/** A register descriptor list. reg0-reg7 are the ABI's own inputs and outputs, not entries. */
struct mv_rdl_t {
    uint64_t reg0;
    uint64_t reg1;
    uint64_t reg2;
    uint64_t reg3;
    uint64_t reg4;
    uint64_t reg5;
    uint64_t reg6;
    uint64_t reg7;
    uint64_t reserved1;
    uint64_t reserved2;
    uint64_t reserved3;
    uint64_t num_entries;
    struct mv_rdl_entry_t entries[MV_RDL_MAX_ENTRIES];
};

/** One region of an MDL. */
struct mv_mdl_entry_t {
    uint64_t dst;
    uint64_t src;
    uint64_t bytes;
    uint64_t flags;
};

/** A memory descriptor list. */
struct mv_mdl_t {
    uint64_t reg0;
    uint64_t reg1;
    uint64_t reg2;
    uint64_t reg3;
    uint64_t reg4;
    uint64_t reg5;
    uint64_t reg6;
    uint64_t reg7;
    uint64_t reserved1;
    uint64_t reserved2;
    uint64_t reserved3;
    uint64_t num_entries;
    struct mv_mdl_entry_t entries[MV_MDL_MAX_ENTRIES];
};

/** One CPUID leaf of a CDL: the inputs (fun, idx), MicroV's flags, and the four outputs. */
struct mv_cdl_entry_t {
    uint32_t fun;
    uint32_t idx;
    uint32_t flags;
    uint32_t eax;
    uint32_t ebx;
    uint32_t ecx;
    uint32_t edx;
    uint32_t reserved;
};

/** A CPUID descriptor list. */
struct mv_cdl_t {
    uint64_t reg0;
    uint64_t reg1;
    uint64_t reg2;
    uint64_t reg3;
    uint64_t reg4;
    uint64_t reg5;
    uint64_t reg6;
    uint64_t reg7;
    uint64_t reserved1;
    uint64_t reserved2;
    uint64_t reserved3;
    uint64_t num_entries;
    struct mv_cdl_entry_t entries[MV_CDL_MAX_ENTRIES];
};

/** mv_vs_op_run's input, read from the shared page before the guest runs: registers (an mv_reg_t,
 *  0 for none) and MSRs (an index, 0 for none) to set first. */
struct mv_run_t {
    struct mv_rdl_entry_t reg[10];
    struct mv_rdl_entry_t msr[10];
};

/** The exits' structures, written to the shared page when mv_vs_op_run returns. */
struct mv_exit_unknown_t {
    uint64_t info0; /* AMD: EXITCODE */
    uint64_t info1; /* AMD: EXITINFO1 */
    uint64_t info2; /* AMD: EXITINFO2 */
    uint64_t info3; /* AMD: EXITINTINFO */
};

struct mv_exit_hlt_t {
    uint64_t reason; /* mv_hlt_t */
};

struct mv_exit_io_t {
    uint64_t addr; /* the port */
    uint64_t data; /* OUT: the value written; IN: 0 (the VMM sets RAX with mv_run_t) */
    uint64_t reps; /* 1, or RCX with MV_EXIT_IO_REP */
    uint64_t type; /* MV_EXIT_IO_* */
    uint8_t size;  /* mv_bit_size_t */
};

struct mv_exit_mmio_t {
    uint64_t gpa;
    uint64_t flags; /* MV_EXIT_MMIO_* */
    uint64_t reserved0;
    uint64_t reserved1;
    uint64_t regs[32]; /* rax, rbx, rcx, rdx, rbp, rsi, rdi, r8-r15, rsp, rip; the rest REVI */
};

struct mv_exit_msr_t {
    struct mv_rdl_entry_t msr; /* index, and the value for a write */
    uint64_t flags;            /* MV_EXIT_MSR_* */
};

#ifdef __cplusplus
static_assert(sizeof(struct mv_rdl_t) == 4096 && sizeof(struct mv_mdl_t) == 4096 && sizeof(struct mv_cdl_t) == 4096,
              "each list fills exactly one shared page");
#else
_Static_assert(sizeof(struct mv_rdl_t) == 4096 && sizeof(struct mv_mdl_t) == 4096 && sizeof(struct mv_cdl_t) == 4096,
               "each list fills exactly one shared page");
#endif

/** The registers of one hypercall: in before it, out after it. */
struct mv_hypercall_regs {
    uint64_t rax;
    uint64_t reg0; /* R10 */
    uint64_t reg1; /* R11 */
    uint64_t reg2; /* R12 */
    uint64_t reg3; /* R13 */
};

/**
 * Whether this CPU is Intel's (VMCALL) rather than AMD's (VMMCALL). Asked of CPUID once per
 * program or module: under MicroV every CPUID is an exit, as costly as the hypercall itself.
 */
static inline int mv_cpu_is_intel(void)
{
    static int vendor; /* 0: not asked yet, 1: AMD, 2: Intel */
    int v = __atomic_load_n(&vendor, __ATOMIC_RELAXED);
    if (v == 0) {
        uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
        __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
        v = ebx == 0x756E6547U && edx == 0x49656E69U && ecx == 0x6C65746EU ? 2 : 1; /* "GenuineIntel" */
        __atomic_store_n(&vendor, v, __ATOMIC_RELAXED);
    }
    return v == 2;
}

/** Makes one hypercall; the registers come back in r. Returns the status (RAX). */
static inline uint64_t mv_hypercall(struct mv_hypercall_regs *r)
{
    register uint64_t r10 __asm__("r10") = r->reg0;
    register uint64_t r11 __asm__("r11") = r->reg1;
    register uint64_t r12 __asm__("r12") = r->reg2;
    register uint64_t r13 __asm__("r13") = r->reg3;
    uint64_t rax = r->rax;
    if (mv_cpu_is_intel()) {
        __asm__ volatile("vmcall" : "+a"(rax), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13) : : "memory");
    } else {
        __asm__ volatile("vmmcall" : "+a"(rax), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13) : : "memory");
    }
    r->rax = rax;
    r->reg0 = r10;
    r->reg1 = r11;
    r->reg2 = r12;
    r->reg3 = r13;
    return rax;
}

/** RAX for an opcode (with signature) and an index. */
static inline uint64_t mv_rax(uint64_t opcode, uint64_t index)
{
    return (opcode & MV_HYPERCALL_OPCODE_MASK) | (index & MV_HYPERCALL_INDEX_MASK);
}

#ifdef __cplusplus
}
#endif

#endif
