// SPDX-License-Identifier: MIT
// The MSRs of the root VM whose accesses the microkernel makes exit on every root VS, whatever
// the extension asks (ring 0 builds its MSR permission map from these lists), and so the MSRs
// the extension's root-VM policy answers for (vmm/src/msr_policy.hpp). One list for both sides.
// Today's lists are those of AMD CPUs; Intel's virtualization MSRs join them with VMX.
#pragma once

#include <stdint.h>

namespace mk::abi {

namespace msr {
constexpr uint32_t apic_base = 0x1B;          // IA32_APIC_BASE
constexpr uint32_t pat = 0x277;               // IA32_PAT
constexpr uint32_t efer = 0xC0000080;         // EFER
constexpr uint32_t hwcr = 0xC0010015;         // AMD: hardware configuration
constexpr uint32_t vm_cr = 0xC0010114;        // AMD: SVM's control (SVMDIS, LOCK, R_INIT)
constexpr uint32_t vm_hsave_pa = 0xC0010117;  // AMD: the host state save page VMRUN uses
}  // namespace msr

/// The MSRs that hold the CPU's virtualization extension: reads and writes exit, and the
/// extension decides what the root VM sees (SVM is the microkernel's, never the root VM's).
inline constexpr uint32_t virtualization_msrs[] = {msr::efer, msr::vm_cr, msr::vm_hsave_pa};

/// The MSRs whose writes (only) exit and reach the real MSR through bf_intrinsic_op_wrmsr, which
/// takes only what keeps the host's configuration and its APIC page as they are: HWCR and the APIC
/// base, which the host runs with too.
inline constexpr uint32_t host_checked_msrs[] = {msr::hwcr, msr::apic_base};

/// A run of consecutive MSRs.
struct msr_span {
    uint32_t first;
    uint32_t count;
};

/// The MSRs that set the memory type of physical memory for every mode of the CPU, host included
/// (the CPU does not give a guest its own): the MTRRs (variable 0x200-0x20F, fixed 0x250, 0x258,
/// 0x259, 0x268-0x26F, default type 0x2FF), SYSCFG (0xC0010010, the MTRRs' DRAM bits) and
/// TOP_MEM/TOP_MEM2 (0xC001001A, 0xC001001D). A write-combining or uncached range over MicroV's
/// pool would break the ordering its locks and table updates rely on, so the root VM's writes to
/// them exit (its reads do not) and the extension keeps them from taking effect.
inline constexpr msr_span memory_type_msrs[] = {{0x200, 16}, {0x250, 1},      {0x258, 2},      {0x268, 8},
                                                {0x2FF, 1},  {0xC0010010, 1}, {0xC001001A, 1}, {0xC001001D, 1}};

/// The MSRs an MSR permission map can let through: outside these runs every access exits (and
/// the extension refuses it). SVM's map names three runs of 8192 (VMX's names the first two).
inline constexpr msr_span msr_map_runs[] = {{0x00000000U, 0x2000U}, {0xC0000000U, 0x2000U}, {0xC0010000U, 0x2000U}};

constexpr bool in_spans(const msr_span *spans, unsigned n, uint32_t m) noexcept
{
    for (unsigned i = 0; i < n; ++i) {
        if (m - spans[i].first < spans[i].count) {  // m below first wraps past count
            return true;
        }
    }
    return false;
}

constexpr bool virtualization_msr(uint32_t m) noexcept
{
    for (const uint32_t v : virtualization_msrs) {
        if (v == m) {
            return true;
        }
    }
    return false;
}

constexpr bool host_checked_msr(uint32_t m) noexcept
{
    for (const uint32_t v : host_checked_msrs) {
        if (v == m) {
            return true;
        }
    }
    return false;
}

constexpr bool memory_type_msr(uint32_t m) noexcept
{
    return in_spans(memory_type_msrs, sizeof(memory_type_msrs) / sizeof(memory_type_msrs[0]), m);
}

constexpr bool msr_map_names(uint32_t m) noexcept
{
    return in_spans(msr_map_runs, sizeof(msr_map_runs) / sizeof(msr_map_runs[0]), m);
}

}  // namespace mk::abi
