// SPDX-License-Identifier: MIT
// The microkernel's object model: the VMs, VPs and VSs the extension creates through syscalls,
// and what it registered. One set for the whole microkernel (kernel_objects); the syscalls change
// it under its lock. A VM is an address space, a VP one of its CPUs, a VS a VP's hardware state
// on one PP (README, "Words used throughout").
#pragma once

#include <mk/syscall_abi.hpp>

#include <stdint.h>

namespace mk {

constexpr uint16_t max_vms = abi::max_vms;
constexpr uint16_t max_vps = abi::max_vps;
constexpr uint16_t max_vss = abi::max_vss;

/// What mapping a page into a guest VM came to.
enum class map_result { ok, mapped_already, no_memory };

/// A VM: a guest's has its own nested page tables (the vendor's, at tables_phys), and a count of
/// the times they lost a translation, by which every PP knows its TLB may hold a stale one.
struct vm_slot {
    bool used;
    uint64_t tables_phys;
    uint64_t tlb_gen;
};

struct vp_slot {
    bool used;
    uint16_t vmid;
};

/// A virtual processor state: the vendor's control structure (on AMD a VMCB) and the general
/// registers.
struct vs_slot {
    bool used;
    bool is_root;  // initialized from the OS's state by init_as_root
    uint16_t vpid;
    uint16_t ppid;
    void *hw;  // the vendor's page for this VS (its VMCB); only vendor code looks inside
    uint64_t hw_phys;
    uint64_t exit_reason;      // abi::exit_reason of its last exit ...
    uint8_t exit_insn_length;  // ... and the length of its instruction (0: unknown), as they were
                               // at the exit, whatever the extension writes to the VS since
    uint64_t gprs[16];         // by register number; rsp lives in the vendor's state
    void *fpu;                 // its x87/SSE/AVX state while another VS's is on the CPU (a pool page)
    uint64_t xcr0;             // the XCR0 it runs with
    uint64_t dr[4];            // its DR0-DR3 while another VS's are on the CPU
    // A guest's VS: the TLB tag (AMD: ASID) it has on the PP that gave it, in that PP's round of
    // tags, for its VM's tlb_gen; any change of the three gives it a fresh tag.
    uint32_t tlb_tag;
    uint16_t tlb_tag_pp;
    uint64_t tlb_tag_round;
    uint64_t tlb_gen_seen;
};

/// What the extension registered.
struct ext_callbacks {
    uint64_t bootstrap;
    uint64_t vmexit;
    uint64_t fail;
    bool handle_open;
};

/// The objects the syscalls manage; one set for the whole microkernel.
struct kernel_objects {
    vm_slot vms[max_vms];
    vp_slot vps[max_vps];
    vs_slot vss[max_vss];
    ext_callbacks callbacks;
    uint64_t heap_next;  // next free page of the extension's heap, in pages
    uint32_t lock;       // held by syscalls that change the tables
};

}  // namespace mk
