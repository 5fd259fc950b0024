// SPDX-License-Identifier: MIT
// The MSR answers of the mv_pp_op_msr_* hypercalls. Pure logic.
//   supported:   the MSRs a guest VS of MicroV holds as its own state (the VMCB's MSR fields), so
//                that a VMM can read and write them for the guest;
//   permissable: what the calling VM (the root VM) may do with an MSR: read and write where the
//                MSR permission map lets the access through, what vmm/src/msr_policy.hpp allows for the
//                MSRs MicroV intercepts, nothing for MSRs the map cannot name (they always exit,
//                and MicroV answers them with #GP).
// Both sets are also given as runs of consecutive MSRs, for the MV_RDL_FLAG_ALL form.
#pragma once

#include "msr_policy.hpp"
#include <microv/hypercall.h>
#include <mk/root_msrs.hpp>

#include <stdint.h>

namespace vmm {

/// Consecutive MSRs: the first, and how many.
struct msr_run {
    uint32_t first;
    uint32_t count;
};

/// The MSRs a guest VS holds, ascending: SYSENTER_CS/ESP/EIP, DEBUGCTL, PAT, EFER, STAR, LSTAR,
/// CSTAR, SFMASK, FS_BASE, GS_BASE, KERNEL_GS_BASE (AMD APM vol. 2, appendix B, the VMCB's
/// state save area).
inline constexpr msr_run guest_supported_msrs[] = {
    {0x00000174U, 3}, {0x000001D9U, 1}, {0x00000277U, 1}, {0xC0000080U, 5}, {0xC0000100U, 3},
};

/// The MSRs the root VM may reach at all: the permission map's ranges.
inline constexpr msr_run root_permissable_msrs[] = {
    {mk::abi::msr_map_runs[0].first, mk::abi::msr_map_runs[0].count},
    {mk::abi::msr_map_runs[1].first, mk::abi::msr_map_runs[1].count},
    {mk::abi::msr_map_runs[2].first, mk::abi::msr_map_runs[2].count},
};

/// How many MSRs the runs hold.
template <unsigned N>
constexpr uint64_t msr_runs_count(const msr_run (&runs)[N]) noexcept
{
    uint64_t n = 0;
    for (const msr_run &r : runs) {
        n += r.count;
    }
    return n;
}

/// The n-th MSR of the runs (n below msr_runs_count), in their order.
template <unsigned N>
constexpr uint32_t msr_runs_nth(const msr_run (&runs)[N], uint64_t n) noexcept
{
    for (const msr_run &r : runs) {
        if (n < r.count) {
            return r.first + static_cast<uint32_t>(n);
        }
        n -= r.count;
    }
    return 0;  // past the end: not reached by callers, which stay below the count
}

/// Whether the runs hold msr.
template <unsigned N>
constexpr bool msr_runs_hold(const msr_run (&runs)[N], uint32_t msr) noexcept
{
    for (const msr_run &r : runs) {
        if (msr >= r.first && msr - r.first < r.count) {
            return true;
        }
    }
    return false;
}

/// mv_pp_op_msr_get_supported: 1 when a guest VS holds msr, else 0.
constexpr uint64_t guest_msr_supported(uint32_t msr) noexcept
{
    return msr_runs_hold(guest_supported_msrs, msr) ? 1 : 0;
}

/// mv_pp_op_msr_get_permissable for the root VM: MV_PERM_READ and/or MV_PERM_WRITE.
constexpr uint64_t root_msr_permissions(uint32_t msr) noexcept
{
    // An MSR the map cannot name always exits, and MicroV refuses it.
    if (!mk::abi::msr_map_names(msr)) {
        return 0;
    }
    // An MSR the map lets through is the root VM's; one whose writes MicroV ignores, readable.
    if (!msr_write_intercepted(msr)) {
        return MV_PERM_READ | MV_PERM_WRITE;
    }
    if (msr_write_checked(msr)) {
        return MV_PERM_READ | MV_PERM_WRITE;  // some values (root_wrmsr)
    }
    if (!msr_intercepted(msr)) {
        return MV_PERM_READ;
    }
    // MicroV's own: what its policy allows (a write of 0 asks for nothing MicroV keeps).
    const bool read = root_rdmsr(msr, 0).action == msr_action::emulate;
    const bool write = root_wrmsr(msr, 0, {}).action == msr_action::emulate;
    return (read ? MV_PERM_READ : 0) | (write ? MV_PERM_WRITE : 0);
}

}  // namespace vmm
