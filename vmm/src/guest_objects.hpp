// SPDX-License-Identifier: MIT
// Which VMs, VPs and VSs exist and how they belong together, as the extension sees them: the
// root VM's (one VP and one VS per PP, made at bootstrap) and the guests' the root VM's kernel
// made with mv_vm_op_create_vm, mv_vp_op_create_vp and mv_vs_op_create_vs. The IDs are the
// microkernel's. A guest's objects are the root VM's kernel's to name; the root VM's own are never
// a caller's to destroy or to add to. Pure bookkeeping: the caller makes the syscalls and records
// here only what the microkernel did.
#pragma once

#include <mk/syscall_abi.hpp>

#include <stdint.h>

namespace vmm {

struct guest_objects {
    struct vp_entry {
        bool used;
        uint16_t vmid;
    };
    struct vs_entry {
        bool used;
        uint16_t vpid;
    };
    bool vms[mk::abi::max_vms];        // guest VMs (the root VM, 0, is never one) ...
    uint8_t owners[mk::abi::max_vms];  // ... and the slot of the handle each was made under
    vp_entry vps[mk::abi::max_vps];
    vs_entry vss[mk::abi::max_vss];

    static constexpr bool id_ok(uint64_t id, uint16_t max) noexcept { return id < max; }

    /// A guest VM that exists.
    constexpr bool guest_vm(uint64_t vmid) const noexcept
    {
        return vmid != mk::abi::root_vmid && id_ok(vmid, mk::abi::max_vms) && vms[vmid];
    }
    /// A VP that exists (the root VM's or a guest's), and one of a guest VM.
    constexpr bool vp(uint64_t vpid) const noexcept { return id_ok(vpid, mk::abi::max_vps) && vps[vpid].used; }
    constexpr bool guest_vp(uint64_t vpid) const noexcept { return vp(vpid) && vps[vpid].vmid != mk::abi::root_vmid; }
    /// A VS that exists, and one of a guest's VP.
    constexpr bool vs(uint64_t vsid) const noexcept { return id_ok(vsid, mk::abi::max_vss) && vss[vsid].used; }
    constexpr bool guest_vs(uint64_t vsid) const noexcept { return vs(vsid) && guest_vp(vss[vsid].vpid); }

    /// A guest VM, VP or VS made under the handle of slot owner (handles.hpp): the only ones
    /// that handle reaches.
    constexpr bool owned_vm(uint64_t vmid, unsigned owner) const noexcept
    {
        return guest_vm(vmid) && owners[vmid] == owner;
    }
    constexpr bool owned_vp(uint64_t vpid, unsigned owner) const noexcept
    {
        return guest_vp(vpid) && owned_vm(vps[vpid].vmid, owner);
    }
    constexpr bool owned_vs(uint64_t vsid, unsigned owner) const noexcept
    {
        return guest_vs(vsid) && owned_vp(vss[vsid].vpid, owner);
    }
    /// A VP or VS that a handle may ask about: the root VM's (anyone's), or one it owns.
    constexpr bool visible_vp(uint64_t vpid, unsigned owner) const noexcept
    {
        return vp(vpid) && (vps[vpid].vmid == mk::abi::root_vmid || owned_vp(vpid, owner));
    }
    constexpr bool visible_vs(uint64_t vsid, unsigned owner) const noexcept
    {
        return vs(vsid) && visible_vp(vss[vsid].vpid, owner);
    }

    /// Whether a VM still has VPs, or a VP still has VSs (they go first).
    constexpr bool has_vps(uint64_t vmid) const noexcept
    {
        for (const vp_entry &p : vps) {
            if (p.used && p.vmid == vmid) {
                return true;
            }
        }
        return false;
    }
    constexpr bool has_vss(uint64_t vpid) const noexcept
    {
        for (const vs_entry &s : vss) {
            if (s.used && s.vpid == vpid) {
                return true;
            }
        }
        return false;
    }

    // What the microkernel made or destroyed (IDs it gave: below its maximums).
    constexpr void add_vm(uint64_t vmid, unsigned owner) noexcept
    {
        vms[vmid] = true;
        owners[vmid] = static_cast<uint8_t>(owner);
    }
    constexpr void remove_vm(uint64_t vmid) noexcept { vms[vmid] = false; }
    constexpr void add_vp(uint64_t vpid, uint16_t vmid) noexcept { vps[vpid] = {true, vmid}; }
    constexpr void remove_vp(uint64_t vpid) noexcept { vps[vpid] = {}; }
    constexpr void add_vs(uint64_t vsid, uint16_t vpid) noexcept { vss[vsid] = {true, vpid}; }
    constexpr void remove_vs(uint64_t vsid) noexcept { vss[vsid] = {}; }
};

}  // namespace vmm
