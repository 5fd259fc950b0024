// SPDX-License-Identifier: MIT
// The MSRs a guest VS holds as its own state (msr_lists.hpp's supported set) as a VMM reads and
// writes them with mv_vs_op_msr_get/set: which register of the microkernel each one is, and which
// values the CPU would take (VMRUN or VMLOAD loads them unchecked, or refuses the VS, where WRMSR
// would #GP). EFER is shown as the guest sees it. Pure logic.
#pragma once

#include <mk/syscall_abi.hpp>

#include <stdint.h>

namespace vmm {

/// EFER as a guest may see and set it: SCE, LME, LMA, NXE. SVME is the microkernel's (VMRUN needs
/// it set in every VS) and never shown.
inline constexpr uint64_t guest_efer_bits = (1U << 0) | (1U << 8) | (1U << 10) | (1U << 11);

namespace guest_msr {
inline constexpr uint32_t sysenter_cs = 0x174;
inline constexpr uint32_t sysenter_esp = 0x175;
inline constexpr uint32_t sysenter_eip = 0x176;
inline constexpr uint32_t debugctl = 0x1D9;
inline constexpr uint32_t pat = 0x277;
inline constexpr uint32_t efer = 0xC0000080;
inline constexpr uint32_t star = 0xC0000081;
inline constexpr uint32_t lstar = 0xC0000082;
inline constexpr uint32_t cstar = 0xC0000083;
inline constexpr uint32_t sfmask = 0xC0000084;
inline constexpr uint32_t fs_base = 0xC0000100;
inline constexpr uint32_t gs_base = 0xC0000101;
inline constexpr uint32_t kernel_gs_base = 0xC0000102;
}  // namespace guest_msr

/// The microkernel's register of a guest-held MSR; reg::unsupported for any other MSR.
constexpr mk::abi::reg guest_msr_reg(uint32_t msr) noexcept
{
    using R = mk::abi::reg;
    switch (msr) {
    case guest_msr::sysenter_cs:
        return R::sysenter_cs;
    case guest_msr::sysenter_esp:
        return R::sysenter_esp;
    case guest_msr::sysenter_eip:
        return R::sysenter_eip;
    case guest_msr::debugctl:
        return R::dbgctl;
    case guest_msr::pat:
        return R::pat;
    case guest_msr::efer:
        return R::efer;
    case guest_msr::star:
        return R::star;
    case guest_msr::lstar:
        return R::lstar;
    case guest_msr::cstar:
        return R::cstar;
    case guest_msr::sfmask:
        return R::fmask;
    case guest_msr::fs_base:
        return R::fs_base;
    case guest_msr::gs_base:
        return R::gs_base;
    case guest_msr::kernel_gs_base:
        return R::kernel_gs_base;
    default:
        return R::unsupported;
    }
}

/// Whether an address is canonical for 48-bit linear addresses (bits 63:47 alike).
constexpr bool canonical(uint64_t a) noexcept
{
    const uint64_t top = a >> 47;
    return top == 0 || top == 0x1FFFF;
}

/// Whether each of PAT's eight entries is a memory type (UC, WC, WT, WP, WB, UC-).
constexpr bool pat_ok(uint64_t value) noexcept
{
    for (unsigned i = 0; i < 8; ++i) {
        const uint64_t type = (value >> (i * 8)) & 0xFF;
        if (type == 2 || type == 3 || type > 7) {
            return false;
        }
    }
    return true;
}

/// Whether a VMM may give a guest-held MSR this value: what WRMSR of it would take. The address
/// MSRs are canonical, PAT holds memory types, SYSENTER_CS and DEBUGCTL keep to their defined
/// bits (16; LBR and BTF), SFMASK to RFLAGS' 32, EFER to the guest's bits.
constexpr bool guest_msr_value_ok(uint32_t msr, uint64_t value) noexcept
{
    switch (msr) {
    case guest_msr::sysenter_cs:
        return value <= 0xFFFF;
    case guest_msr::debugctl:
        return (value & ~uint64_t{0x3}) == 0;
    case guest_msr::pat:
        return pat_ok(value);
    case guest_msr::efer:
        return (value & ~guest_efer_bits) == 0;
    case guest_msr::star:
        return true;  // selectors only: any value loads
    case guest_msr::sfmask:
        return value <= 0xFFFFFFFF;  // RFLAGS' bits
    default:
        return guest_msr_reg(msr) != mk::abi::reg::unsupported && canonical(value);
    }
}

/// EFER as the guest sees it, from the VS's (with SVME): the guest's bits only.
constexpr uint64_t guest_efer_view(uint64_t vs_efer) noexcept { return vs_efer & guest_efer_bits; }

/// The VS's EFER after a VMM or guest sets the guest's bits to value: the microkernel's bits
/// (SVME) stay as they are.
constexpr uint64_t guest_efer_merge(uint64_t vs_efer, uint64_t value) noexcept
{
    return (vs_efer & ~guest_efer_bits) | (value & guest_efer_bits);
}

}  // namespace vmm
