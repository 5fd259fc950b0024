// SPDX-License-Identifier: MIT
// mv_vm_op_mmio_map and mv_vm_op_mmio_unmap: a guest VM's memory, named by an MDL in the caller's
// shared page. The extension checks the list and the flags; the microkernel maps each entry (one
// syscall: its pages all or none), checks that every source page is the root VM's RAM and not
// MicroV's, and takes care of the TLBs. A map is all or nothing over the whole MDL: an entry that
// fails takes back the entries before it. Pure logic over Sys.
#pragma once

#include "sys.hpp"

#include <microv/hypercall.h>

#include <stdint.h>

namespace vmm {

/// What an MDL entry's flags may hold for a map: rights (read at least: nested tables cannot
/// refuse a present page's reads), 4 KiB pages, and write-back (the default) or uncacheable.
inline constexpr uint64_t map_rights = MV_MAP_FLAG_READ_ACCESS | MV_MAP_FLAG_WRITE_ACCESS | MV_MAP_FLAG_EXECUTE_ACCESS;
inline constexpr uint64_t map_supported =
    map_rights | MV_MAP_FLAG_4K_PAGE | MV_MAP_FLAG_WRITE_BACK | MV_MAP_FLAG_UNCACHEABLE;

/// The microkernel's flags for an MDL entry's, or 0 when MicroV cannot map it so: the status for
/// that in unsupported (FAILURE_UNSUPPORTED) or invalid (INVALID_INPUT_REG0: the flags field).
constexpr uint64_t mk_map_flags(uint64_t flags, uint64_t &status) noexcept
{
    const uint64_t cache = flags & (MV_MAP_FLAG_WRITE_BACK | MV_MAP_FLAG_UNCACHEABLE);
    if ((flags & ~map_supported) != 0 || cache == (MV_MAP_FLAG_WRITE_BACK | MV_MAP_FLAG_UNCACHEABLE)) {
        status = MV_STATUS_FAILURE_UNSUPPORTED;  // large pages, other memory types, user, two types
        return 0;
    }
    if ((flags & MV_MAP_FLAG_READ_ACCESS) == 0) {
        status = MV_STATUS_FAILURE_UNSUPPORTED;  // write- or execute-only
        return 0;
    }
    status = MV_STATUS_SUCCESS;
    return abi::map_read | ((flags & MV_MAP_FLAG_WRITE_ACCESS) != 0 ? abi::map_write : 0) |
           ((flags & MV_MAP_FLAG_EXECUTE_ACCESS) != 0 ? abi::map_execute : 0) |
           (cache == MV_MAP_FLAG_UNCACHEABLE ? abi::map_uncacheable : 0);
}

/// Whether an MDL entry names whole pages: page-aligned addresses, a nonzero whole number of
/// pages, not more than one syscall may map.
constexpr bool mdl_entry_ok(const mv_mdl_entry_t &e, bool with_src) noexcept
{
    constexpr uint64_t page = 4096;
    return e.dst % page == 0 && (!with_src || e.src % page == 0) && e.bytes != 0 && e.bytes % page == 0 &&
           e.bytes / page <= abi::max_map_pages && e.dst < abi::guest_gpa_limit &&
           e.bytes <= abi::guest_gpa_limit - e.dst;
}

/// The number of entries of an MDL, or 0 when it is out of range.
constexpr uint64_t mdl_entries(const mv_mdl_t &mdl) noexcept
{
    return mdl.num_entries >= 1 && mdl.num_entries <= MV_MDL_MAX_ENTRIES ? mdl.num_entries : 0;
}

template <vmm_sys Sys>
class guest_memory {
public:
    constexpr explicit guest_memory(Sys &sys) noexcept : m_sys{sys} {}

    /// mv_vm_op_mmio_map of the MDL (a copy of the shared page's) into vmid (a guest's, checked).
    uint64_t map(uint64_t vmid, const mv_mdl_t &mdl) noexcept(sys_nothrow<Sys>)
    {
        const uint64_t n = mdl_entries(mdl);
        if (n == 0) {
            return MV_STATUS_INVALID_INPUT_REG0;
        }
        uint64_t flags[MV_MDL_MAX_ENTRIES];
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t status = 0;
            flags[i] = mk_map_flags(mdl.entries[i].flags, status);
            if (status != MV_STATUS_SUCCESS) {
                return status;
            }
            if (!mdl_entry_ok(mdl.entries[i], true)) {
                return MV_STATUS_INVALID_INPUT_REG0;
            }
        }
        for (uint64_t i = 0; i < n; ++i) {
            const mv_mdl_entry_t &e = mdl.entries[i];
            const uint64_t st = m_sys.map_guest(vmid, e.dst, e.src, e.bytes / 4096, flags[i]);
            if (st != abi::status_success) {
                take_back(vmid, mdl, i);
                return status_of(st);
            }
        }
        return MV_STATUS_SUCCESS;
    }

    /// mv_vm_op_mmio_unmap of the MDL's GPAs out of vmid. Entry by entry: one that is not mapped
    /// stops it there (those before it stay unmapped; the spec leaves a double unmap undefined).
    uint64_t unmap(uint64_t vmid, const mv_mdl_t &mdl) noexcept(sys_nothrow<Sys>)
    {
        const uint64_t n = mdl_entries(mdl);
        if (n == 0) {
            return MV_STATUS_INVALID_INPUT_REG0;
        }
        for (uint64_t i = 0; i < n; ++i) {
            if (!mdl_entry_ok(mdl.entries[i], false)) {
                return MV_STATUS_INVALID_INPUT_REG0;
            }
        }
        for (uint64_t i = 0; i < n; ++i) {
            const mv_mdl_entry_t &e = mdl.entries[i];
            const uint64_t st = m_sys.unmap_guest(vmid, e.dst, e.bytes / 4096);
            if (st != abi::status_success) {
                return status_of(st);
            }
        }
        return MV_STATUS_SUCCESS;
    }

private:
    /// The entries before `count` of a map that failed at entry `count`.
    void take_back(uint64_t vmid, const mv_mdl_t &mdl, uint64_t count) noexcept(sys_nothrow<Sys>)
    {
        for (uint64_t i = 0; i < count; ++i) {
            m_sys.unmap_guest(vmid, mdl.entries[i].dst, mdl.entries[i].bytes / 4096);
        }
    }

    /// The hypercall's status for the microkernel's: a GPA mapped already or not mapped, or a
    /// source page that is not the root VM's RAM, are the MDL's fault (REG0, its page); the pool
    /// running out is FAILURE_UNKNOWN.
    static constexpr uint64_t status_of(uint64_t mk_status) noexcept
    {
        return mk_status == abi::status_failure_unknown ? MV_STATUS_FAILURE_UNKNOWN : MV_STATUS_INVALID_INPUT_REG0;
    }

    Sys &m_sys;
};

}  // namespace vmm
