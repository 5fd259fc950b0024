/* SPDX-License-Identifier: MIT */
/*
 * The boot protocol between MicroV's loaders and the microkernel: the header at the start of the
 * microkernel's flat image, the per-CPU arguments the loader hands to its entry point, and the
 * shared debug ring. Used by the loaders (C) and the microkernel (C++).
 */
#ifndef MICROV_MK_BOOT_H
#define MICROV_MK_BOOT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define MV_PAGE_SIZE 4096ULL

/** "MicroVmk" read as a little-endian 64-bit number. */
#define MV_MK_IMAGE_MAGIC 0x6B6D566F7263694DULL
#define MV_MK_IMAGE_VERSION 1U

/**
 * At offset 0 of the microkernel's flat image (made by objcopy from its ELF). Offsets are from
 * the start of the image, which must be mapped at link_base: [0, text_end) read+execute,
 * [text_end, rodata_end) read-only, [rodata_end, data_end) read+write from the file,
 * [data_end, bss_end) read+write zeroed. The file is exactly data_end bytes long.
 */
struct mv_mk_image_header {
    uint64_t magic;
    uint32_t version;
    uint32_t header_size;
    uint64_t link_base;
    uint64_t text_end;
    uint64_t rodata_end;
    uint64_t data_end;
    uint64_t bss_end;
    uint64_t entry; /* offset of mk_entry, inside the text */
};

/** Where the microkernel sees the pool: pool physical address + this base. */
#define MV_MK_DIRECT_MAP_BASE 0xFFFF900000000000ULL
/** The direct map covers physical addresses below this (4-level paging: 64 TiB is plenty). */
#define MV_MK_DIRECT_MAP_SIZE 0x0000400000000000ULL

/** The debug ring both the microkernel (writer) and the loader (reader, `vmmctl dump`) see. It is
 *  root-VM memory: the microkernel only ever stores into it (its lock and count are its own). */
#define MV_DEBUG_RING_SIZE (64U * 1024U - 16U) /* the whole struct is 64 KiB */
struct mv_debug_ring {
    uint64_t written; /* characters ever written; buf[i % size] holds character i */
    uint32_t reserved[2];
    char buf[MV_DEBUG_RING_SIZE];
};

/**
 * Whether port may be MicroV's serial port: 0 (none) or the base of one of the four legacy COM
 * ports. A UART takes 8 ports from its base; any other base could name a device of the machine
 * that MicroV would then program behind the root OS's back (0xCF9 resets the machine, 0xCF8
 * reaches PCI configuration space, 0x64 the keyboard controller's reset line).
 */
static inline int mv_serial_port_ok(uint16_t port)
{
    return port == 0 || port == 0x3F8 || port == 0x2F8 || port == 0x3E8 || port == 0x2E8;
}

/** Status the microkernel's entry returns to the loader. */
#define MV_MK_STATUS_DEMOTED 0U   /* the OS now runs in the root VM (not reached yet) */
#define MV_MK_STATUS_BAD_ARGS 1U  /* the arguments failed the microkernel's checks */
#define MV_MK_STATUS_NOT_READY 2U /* entered and checked, but cannot demote yet */

#define MV_MK_STATUS_VMRUN_FAILED 3U    /* the first VMRUN of the root VM failed */
#define MV_MK_STATUS_NO_MEMORY 4U       /* the pool ran out while preparing the CPU */
#define MV_MK_STATUS_BAD_EXT 5U         /* the extension's ELF image was refused */
#define MV_MK_STATUS_MK_FAULT 8U        /* the microkernel faulted before the root VM ran */
#define MV_MK_STATUS_UNSUPPORTED_CPU 7U /* the CPU lacks something the microkernel needs (1 GiB pages) */
#define MV_MK_STATUS_EXT_FAILED 6U      /* the extension faulted or gave up before running the root VM */

/**
 * The loader's stop request, made with VMMCALL from the root VM's kernel (CPL 0) on every CPU at once.
 * It uses MicroV's hypercall signature ("Mv") with opcode 0xFFFF, which the hypercall spec does
 * not use: the loader's private operation, not part of the public mv_* ABI. RAX comes back 0 (done).
 */
#define MV_LOADER_HYPERCALL_STOP 0x764D0000FFFF0000ULL
/** RAX after a refused stop: every CPU that runs MicroV must ask at once (within about a second),
 *  and the others did not; this CPU stays under MicroV. A CPU leaving alone could write all of
 *  MicroV's memory while the others still use it. */
#define MV_LOADER_STOP_REFUSED 1ULL

/**
 * Faults that the microkernel's test build (microv_kernel_faulty.bin) makes on purpose during a
 * start, on the last CPU entered (the others run the root VM already and must be given back), so
 * that tests can check that every way a start fails leaves the machine as it was. A microkernel
 * that is not the test build refuses any of them (MV_MK_STATUS_BAD_ARGS).
 */
enum mv_test_fault {
    MV_TEST_FAULT_NONE = 0,
    MV_TEST_FAULT_MK_BEFORE_ROOT = 1,  /* a ring-0 fault before the root VM runs */
    MV_TEST_FAULT_EXT_BEFORE_ROOT = 2, /* a ring-3 fault in the extension before the root VM runs */
    MV_TEST_FAULT_VMRUN_REFUSED = 3,   /* the first VMRUN of the root VM fails (VMEXIT_INVALID) */
    MV_TEST_FAULT_NO_MEMORY = 4,       /* the pool runs out while the microkernel prepares the CPU */
    MV_TEST_FAULT_LAST = 4,
};

#define MV_MK_ARGS_VERSION 4U

/** Each PP's syscall stack (mv_mk_args.syscall_stack_top) has this many pages, with a guard page
 *  below it that the microkernel's tables leave out (so do the entry stack and the IST stacks). */
#define MV_MK_SYSCALL_STACK_PAGES 4U
/** The stacks of the exceptions that take one of their own (NMI, #DF, #MC): a page each. */
#define MV_MK_IST_STACKS 3U
/* The pages of the root VM's MSR and I/O intercept maps: as many as the larger vendor's needs (SVM's
 * MSR permission map 2, its I/O permission map 3; VMX's bitmaps 1 and 2). */
#define MV_MK_MSR_MAP_PAGES 2U
#define MV_MK_IO_MAP_PAGES 3U
#define MV_MK_MAX_CHUNKS 64U

/** The most bytes of the OS's GDT the loader copies for the microkernel. */
#define MV_GDT_COPY_MAX 512U

/** The OS as it was on this CPU when the loader entered the microkernel: what the microkernel
 *  needs to run it on as the root VM. The rest (FS, GS, TR, LDTR with their hidden parts, and
 *  the SYSCALL/SYSENTER MSRs) the microkernel saves itself with VMSAVE before it changes them. */
struct mv_root_state {
    uint64_t cr0;
    uint64_t cr3;
    uint64_t cr4;
    uint64_t efer;
    uint64_t dr7;
    uint64_t pat;
    uint64_t vm_hsave_pa; /* put back on every way out: a CPU leaves MicroV as MicroV found it */
    uint64_t resume_rip;  /* where the OS goes on as the root VM (its RSP is passed to mk_entry) */
    uint64_t gdtr_base;
    uint64_t idtr_base;
    uint16_t gdtr_limit;
    uint16_t idtr_limit;
    uint16_t cs;
    uint16_t ss;
    uint16_t ds;
    uint16_t es;
    uint16_t reserved[2];
    uint8_t gdt[MV_GDT_COPY_MAX]; /* the first gdtr_limit + 1 bytes of the OS's GDT */
};

/** The most ranges of the OS's RAM the loader describes. */
#define MV_MK_MAX_RAM_RANGES 32U

/** A range of the OS's RAM ("System RAM"), page-aligned. */
struct mv_ram_range {
    uint64_t base;
    uint64_t size;
};

/** A physically contiguous part of the pool. */
struct mv_pool_chunk {
    uint64_t phys;
    uint64_t pages;
};

/** What the loader hands the microkernel on each CPU; lives in pool memory. Pointers are the
 *  microkernel's (direct map) addresses. */
struct mv_mk_args {
    uint32_t version;
    uint16_t ppid;
    uint16_t online_pps;
    uint16_t serial_port; /* 0: no serial output */
    uint16_t test_fault;  /* enum mv_test_fault: only the microkernel's test build accepts one */
    uint32_t chunk_count;
    struct mv_pool_chunk chunks[MV_MK_MAX_CHUNKS];
    uint64_t first_free_page; /* phys: the loader used the pool below this in chunk 0 */
    uint64_t debug_ring;      /* struct mv_debug_ring * */
    uint64_t ext_image;       /* the extension's ELF file */
    uint64_t ext_image_size;
    uint64_t msr_map_phys;       /* MV_MK_MSR_MAP_PAGES contiguous zeroed pages for the MSR intercept map, shared */
    uint64_t io_map_phys;        /* MV_MK_IO_MAP_PAGES contiguous zeroed pages for the I/O intercept map, shared */
    uint64_t guest_msr_map_phys; /* the same two for every guest VM's VSs (as strict as can be) */
    uint64_t guest_io_map_phys;
    uint64_t syscall_stack_top; /* this PP's stack for entries from ring 3 (microkernel address) */
    uint64_t promote;           /* mv_promote, mapped at the same address in both worlds */
    uint64_t os_direct_base;    /* the OS's address of physical address 0 (its direct map) */
    uint64_t lapic_phys;        /* the xAPIC page, mapped uncached at its direct-map address; 0 in x2APIC mode */
    uint64_t ist_stack_top[MV_MK_IST_STACKS]; /* NMI, #DF, #MC stacks (microkernel addresses) */
    uint32_t ram_count;
    uint32_t reserved1;
    struct mv_ram_range ram[MV_MK_MAX_RAM_RANGES]; /* the root VM's RAM: what it may share with MicroV */
    struct mv_root_state root;
};

/** What the microkernel hands mv_promote (in pool memory, read through the OS's direct map):
 *  the root VM's state to put back on the CPU, so the OS goes on without a hypervisor. */
struct mv_promote_state {
    uint64_t cr3;
    uint64_t os_state_phys; /* the vendor's copy of FS, GS, TR, LDTR, SYSCALL MSRs (AMD: a VMCB, for VMLOAD) */
    uint64_t rip;
    uint64_t rsp;
    uint64_t rflags;
    uint64_t gprs[16]; /* rax, rcx, rdx, rbx, (rsp unused), rbp, rsi, rdi, r8 - r15 */
    uint16_t cs;
    uint16_t ss;
    uint16_t ds;
    uint16_t es;
    uint16_t gdtr_limit;
    uint16_t idtr_limit;
    uint32_t reserved;
    uint64_t gdtr_base;
    uint64_t idtr_base;
};

#ifdef __cplusplus
}
#endif

#endif
