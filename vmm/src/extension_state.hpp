// SPDX-License-Identifier: MIT
// What the extension keeps across exits: per PP, the root VM's shared page, TSC frequency and
// debug-line budget. The image's only writable state.
#pragma once

#include "guest_cpuid.hpp"
#include "guest_objects.hpp"
#include "handles.hpp"
#include "rate_limit.hpp"

#include <stdint.h>

namespace vmm {

/// What MicroV keeps per PP for the root VM.
struct pp_record {
    uint64_t shared_gpa;      // the shared page (mv_pp_op_set_shared_page_gpa) ...
    uint64_t shared_va;       // ... and where the extension reaches it; 0: none
    uint64_t tsc_khz;         // mv_pp_op_tsc_set_khz; 0: never set
    rate_limit debug_lines;   // mv_debug_op_out's lines (debug_out_burst, debug_out_period)
    uint16_t root_vsid;       // the root VM's VS on this PP (bootstrap) ...
    uint16_t root_vpid;       // ... and its VP
    bool guest_running;       // this PP's root VS is in mv_vs_op_run: a guest's exit goes back to it,
    uint8_t run_insn_length;  // past its VMMCALL of this length
};

/// What MicroV keeps per guest VS beside the microkernel's state: the VMM's say on its CPUID and
/// its multiprocessor state (mv_mp_state_t). Reset when the VS is made.
struct guest_vs_record {
    vs_cpuid cpuid;
    uint32_t mp_state;  // MV_MP_STATE_*; the PP that runs the VS writes it, any PP reads it
};

/// mv_debug_op_out prints at most this many lines at once per PP, then one per period of TSC
/// ticks (about 20 a second at 2.5 GHz): each line holds GIF=0 while it goes out on the serial
/// port, and any root-VM process may ask for lines.
inline constexpr uint32_t debug_out_burst = 32;
inline constexpr uint64_t debug_out_period = 1ULL << 27;

/// What the extension keeps across exits, for all PPs: zero-initialized, it is the image's .bss.
struct extension_state {
    /// The PPs MicroV can have (MV_LOADER_MAX_CPUS).
    static constexpr uint64_t max_pps = 1024;
    pp_record pps[max_pps];
    uint32_t shared_lock;                         // over every PP's shared page fields
    guest_objects objects;                        // the VMs, VPs and VSs there are ...
    uint32_t objects_lock;                        // ... under this lock, with the syscalls that change them
    guest_vs_record guest_vss[mk::abi::max_vss];  // by VSID, for guests' VSs
    handle_table handles;                         // the open handles (opened and closed under objects_lock) ...
    uint64_t handles_opened;                      // ... and how many were ever opened
    uint64_t scratch[max_pps];                    // per PP, a page of the extension's heap for copies (0: none yet)

    /// Whether any PP has gpa as its shared page (with shared_lock held).
    bool shared_page_anywhere(uint64_t gpa) const noexcept
    {
        for (const pp_record &r : pps) {
            if (r.shared_va != 0 && r.shared_gpa == gpa) {
                return true;
            }
        }
        return false;
    }
};

}  // namespace vmm
