// SPDX-License-Identifier: MIT
// AMD's hardware configuration register (HWCR, MSR 0xC0010015): which of its bits the root VM may
// change while MicroV runs. Ring 0 holds every write (bf_intrinsic_op_wrmsr) to this rule; the
// MSR itself is AMD's, not SVM's, so the rule sits beside the other x64 facts.
#pragma once

#include <stdint.h>

namespace mk::x64 {

/// HWCR holds configuration the host runs with too: among it SmmLock (bit 0), INVD as WBINVD
/// (bit 4) and machine-check status writes (McStatusWrEn, bit 18). The root VM's writes to it exit
/// and may change only the bits Linux changes while it runs, where the CPU has them (CPUID
/// 0x80000007 EDX, 0x80000008 EBX, 0x80000021 EAX; 0 where a leaf is absent): CpbDis (25,
/// cpufreq's boost switch), IRPerfEn (30, the instructions-retired counter) and CpuidUserDis (35,
/// CPUID faulting in user mode). A bit the CPU lacks would make the WRMSR fault.
constexpr uint64_t hwcr_root_bits(uint32_t ext7_edx, uint32_t ext8_ebx, uint32_t ext21_eax) noexcept
{
    const auto has = [](uint32_t word, unsigned bit) { return ((word >> bit) & 1U) != 0; };
    return (has(ext7_edx, 9) ? 1ULL << 25 : 0) | (has(ext8_ebx, 1) ? 1ULL << 30 : 0) |
           (has(ext21_eax, 17) ? 1ULL << 35 : 0);
}

/// hwcr_root_bits of the CPU that `cpuid(leaf, subleaf)` answers for (eax, ebx, ecx, edx), reading
/// only the extended leaves it has: the one place ring 0 takes them from.
template <class Cpuid>
constexpr uint64_t hwcr_root_bits_of(Cpuid cpuid) noexcept
{
    const uint32_t max_ext = cpuid(0x80000000U, 0).eax;
    const auto word = [&](uint32_t leaf, auto reg) { return max_ext >= leaf ? reg(cpuid(leaf, 0)) : 0U; };
    return hwcr_root_bits(word(0x80000007U, [](auto r) { return r.edx; }),
                          word(0x80000008U, [](auto r) { return r.ebx; }),
                          word(0x80000021U, [](auto r) { return r.eax; }));
}

/// Whether a write of value to HWCR, which holds current, changes only the bits in settable.
constexpr bool hwcr_write_ok(uint64_t current, uint64_t value, uint64_t settable) noexcept
{
    return ((current ^ value) & ~settable) == 0;
}

}  // namespace mk::x64
