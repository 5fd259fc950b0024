// SPDX-License-Identifier: MIT
// What AMD's implementation of the vendor seam (vendor.hpp) shares between its files: each PP's
// SVM state and the root VM's nested page tables.
#pragma once

#include "../../pp.hpp"

#include <mk/x64/amd/vmcb.hpp>

#include <stdint.h>

namespace mk::amd {

/// One PP's SVM state (pp_state::vendor points at it; a pool page).
struct svm_pp {
    uint64_t host_vmcb_phys;  // VMSAVE of the microkernel's FS, GS, TR, SYSCALL MSRs: back after every exit
    uint64_t os_vmcb_phys;    // VMSAVE of the OS's, at entry: the root VS starts with them
    uint64_t hsave_phys;      // the host save area VMRUN uses (VM_HSAVE_PA)
    bool nrip_save;           // the CPU saves the next RIP on intercepted instructions
    uint32_t max_asid;        // the CPU's last ASID (CPUID 0x8000000A EBX - 1)
    uint32_t next_asid;       // the next guest ASID of this round (past max_asid: a new round)
    uint64_t asid_round;      // rounds of guest ASIDs so far; each began with a full flush
};

inline svm_pp &svm_of(const pp_state &pp) noexcept { return *static_cast<svm_pp *>(pp.vendor); }
inline vmcb &vmcb_of(const vs_slot &vs) noexcept { return *static_cast<vmcb *>(vs.hw); }

/// nCR3 of the root VM: its nested page tables, shared by every root VS.
extern uint64_t g_root_ncr3;

/// The ASID of every root VS; guests' VSs take the ones above it.
constexpr uint32_t asid_root = 1;
constexpr uint32_t asid_first_guest = 2;

/// The MSR and I/O maps of every guest's VS (mv_mk_args::guest_*_map_phys), once.
void init_guest_maps(const mv_mk_args &args) noexcept;

/// The ASID a guest's VS runs with on this PP for its VM's tlb_gen: the one it has while that
/// stays true, else a fresh one (which may start a new round, with a full flush set in v).
uint32_t guest_asid(pp_state &pp, vs_slot &vs, uint64_t tlb_gen, vmcb &v) noexcept;

}  // namespace mk::amd

extern "C" void mk_vmrun(uint64_t guest_vmcb_phys, uint64_t *gprs, uint64_t host_vmcb_phys);
extern "C" const char mk_vmrun_resume[];  // the instruction after VMRUN in mk_vmrun (x64/amd/vmrun.S)
