// SPDX-License-Identifier: MIT
// MicroV, the extension: its three callbacks. bootstrap makes the root VM's VS from the OS on a PP;
// vmexit sends each exit, by its neutral reason (mk/exit_abi.hpp), to root_exits.hpp or, for
// hypercalls, to hypercall_exits.hpp; fail gives up. All over the operations of Sys (sys.hpp).
#pragma once

#include "extension_state.hpp"
#include "guest_exits.hpp"
#include "hypercall_exits.hpp"
#include "root_exits.hpp"
#include "sys.hpp"

#include <mk/exit_abi.hpp>
#include <mk/format.hpp>
#include <mk/spinlock.hpp>

#include <stdint.h>

namespace vmm {

template <vmm_sys Sys>
class extension {
public:
    constexpr extension(Sys &sys, extension_state &state) noexcept
        : m_sys{sys}, m_state{state}, m_root{sys}, m_hypercalls{sys, state}, m_guests{sys, state}
    {
    }

    /// On every PP: the OS there becomes the root VM's VS, and runs as it.
    [[noreturn]] void bootstrap(uint64_t ppid) noexcept(sys_nothrow<Sys>)
    {
        // A VP of the root VM, and a VS on this PP from the OS's own state (the microkernel has
        // 64 of each: a 65th PP's start fails here, and says so).
        const auto vp = m_sys.create_vp(abi::root_vmid);
        if (vp.status != abi::status_success) {
            m_sys.write_str("microv: cannot make the root VP (no VP left)\n");
            m_sys.exit_failure();
        }
        const auto vs = m_sys.create_vs(vp.reg0, ppid);
        if (vs.status != abi::status_success || m_sys.init_as_root(vs.reg0) != abi::status_success) {
            m_sys.write_str("microv: cannot make the root VS\n");
            m_sys.exit_failure();
        }
        // Say so, then run it.
        char pp[19];
        char line[64];  // one write: the PPs' lines do not interleave
        m_sys.write_str(mk::join(line, "microv: root OS had been demoted to vm 0x0000 on pp 0x",
                                 mk::format_hex64(ppid & 0xFFFF, pp) + 14, "\n"));  // four hex digits
        record_root(ppid, vp.reg0, vs.reg0);
        m_sys.run(abi::root_vmid, vp.reg0, vs.reg0);
    }

    /// On every exit of a VS this extension runs: the microkernel's neutral reason
    /// (mk/exit_abi.hpp), with the exit record in the TLS block.
    [[noreturn]] void vmexit(uint64_t vsid, uint64_t exit_reason) noexcept(sys_nothrow<Sys>)
    {
        using reason = abi::exit_reason;
        // The active VMID (0xFF2) is the second of four 16-bit IDs in one word of the TLS block.
        if (((m_sys.tls_get(abi::tls_offset_active_extid) >> 16) & 0xFFFF) != abi::root_vmid) {
            m_guests.exit(vsid, static_cast<reason>(exit_reason));
        }
        switch (static_cast<reason>(exit_reason)) {
        case reason::cpuid:
            m_root.cpuid();
        case reason::msr_read:
        case reason::msr_write:
            m_root.msr(vsid, static_cast<reason>(exit_reason) == reason::msr_write);
        case reason::io:
            m_root.io(vsid);
        case reason::invd:
            m_root.invd();
        case reason::hypercall:
            m_hypercalls.vmmcall(vsid);
        case reason::virtualization_insn:
            m_root.virtualization_insn(vsid);
        case reason::nested_page_fault:
            m_root.npf(vsid);
        case reason::triple_fault:
            m_root.triple_fault();
        default:
            m_root.unexpected();
        }
    }

    /// When the microkernel reports a fault it could not handle on its own.
    [[noreturn]] void fail() noexcept(sys_nothrow<Sys>)
    {
        m_sys.write_str("microv: fail callback\n");
        m_sys.exit_failure();
    }

private:
    Sys &m_sys;
    /// The root VM's VP and VS of a PP, in the table of what exists (guest_objects.hpp): callers
    /// may ask about them, never destroy them or add to them.
    /// And the PP's record, so that a guest's exit there finds the root VS to go back to.
    void record_root(uint64_t ppid, uint64_t vpid, uint64_t vsid) noexcept
    {
        const mk::spin_guard g{m_state.objects_lock};
        if (guest_objects::id_ok(vpid, abi::max_vps) && guest_objects::id_ok(vsid, abi::max_vss)) {
            m_state.objects.add_vp(vpid, abi::root_vmid);
            m_state.objects.add_vs(vsid, static_cast<uint16_t>(vpid));
            if (ppid < extension_state::max_pps) {
                m_state.pps[ppid].root_vpid = static_cast<uint16_t>(vpid);
                m_state.pps[ppid].root_vsid = static_cast<uint16_t>(vsid);
            }
        }
    }

    extension_state &m_state;
    root_exits<Sys> m_root;
    hypercall_exits<Sys> m_hypercalls;
    guest_exits<Sys> m_guests;
};

}  // namespace vmm
