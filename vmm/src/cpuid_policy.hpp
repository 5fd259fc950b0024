// SPDX-License-Identifier: MIT
// What the root VM (the hoisted host OS) sees when it executes CPUID: the real CPU's answer, with
// MicroV's presence shown and SVM hidden, since MicroV owns SVM. Pure logic, no hardware access.
//
// MicroV's detection leaves. The hypercall spec does not define them; this is MicroV's choice,
// laid out as KVM, Xen and Hyper-V lay out theirs:
//   0x40000000: EAX = 0x40000001, the highest hypervisor leaf;
//               EBX, ECX, EDX = the 12-byte signature "MicroVMicroV", in that register order
//               (EBX = "Micr", ECX = "oVMi", EDX = "croV", first byte in the low byte).
//   0x40000001: EAX = microv_cpuid_version, MicroV's interface version; EBX, ECX, EDX = 0 (reserved).
//   0x40000002..0x400000FF: all zero (reserved).
#pragma once

#include <stdint.h>

namespace vmm {

/// The four registers CPUID returns.
struct cpuid_regs {
    uint32_t eax;
    uint32_t ebx;
    uint32_t ecx;
    uint32_t edx;
};

/// MicroV's interface version, reported in CPUID 0x40000001 EAX.
inline constexpr uint32_t microv_cpuid_version = 1;

// The hypervisor leaf range reserved by Intel and AMD for software use, and MicroV's part of it.
inline constexpr uint32_t cpuid_hv_first = 0x40000000;
inline constexpr uint32_t cpuid_hv_last = 0x400000FF;
inline constexpr uint32_t cpuid_hv_version = 0x40000001;
inline constexpr uint32_t cpuid_hv_max = cpuid_hv_version;

// Leaves the policy changes, and their bits (AMD APM vol. 3, appendix E).
inline constexpr uint32_t cpuid_features = 0x00000001;
inline constexpr uint32_t cpuid_ext_features = 0x80000001;
inline constexpr uint32_t cpuid_svm_features = 0x8000000A;
inline constexpr uint32_t cpuid_1_ecx_hypervisor = 1U << 31;
inline constexpr uint32_t cpuid_ext_1_ecx_svm = 1U << 2;

/// Four ASCII characters as CPUID returns them in one register: the first in the low byte.
constexpr uint32_t cpuid_chars(char a, char b, char c, char d) noexcept
{
    return static_cast<uint32_t>(static_cast<uint8_t>(a)) | static_cast<uint32_t>(static_cast<uint8_t>(b)) << 8 |
           static_cast<uint32_t>(static_cast<uint8_t>(c)) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(d)) << 24;
}

// The signature "MicroVMicroV", split over EBX, ECX and EDX.
inline constexpr uint32_t microv_signature_ebx = cpuid_chars('M', 'i', 'c', 'r');
inline constexpr uint32_t microv_signature_ecx = cpuid_chars('o', 'V', 'M', 'i');
inline constexpr uint32_t microv_signature_edx = cpuid_chars('c', 'r', 'o', 'V');

/// Whether a leaf lies in the hypervisor range, which MicroV answers alone.
constexpr bool cpuid_hypervisor_leaf(uint32_t leaf) noexcept { return leaf >= cpuid_hv_first && leaf <= cpuid_hv_last; }

/// MicroV's answer for a leaf of the hypervisor range; the real CPU's values play no part.
constexpr cpuid_regs microv_cpuid(uint32_t leaf) noexcept
{
    // The signature leaf also gives the highest hypervisor leaf.
    if (leaf == cpuid_hv_first) {
        return {cpuid_hv_max, microv_signature_ebx, microv_signature_ecx, microv_signature_edx};
    }
    // The version leaf; its other registers are reserved.
    if (leaf == cpuid_hv_version) {
        return {microv_cpuid_version, 0, 0, 0};
    }
    // Every other leaf of the range is reserved.
    return {0, 0, 0, 0};
}

/// What the root VM sees for CPUID leaf/subleaf, given what the real CPU returned (hw).
/// The subleaf is not used yet; it is there for leaves that will need it.
constexpr cpuid_regs root_cpuid(uint32_t leaf, [[maybe_unused]] uint32_t subleaf, cpuid_regs hw) noexcept
{
    // Tell the root OS it runs under a hypervisor.
    if (leaf == cpuid_features) {
        hw.ecx |= cpuid_1_ecx_hypervisor;
        return hw;
    }
    // Hide SVM: MicroV owns it, the root OS must not try to use it.
    if (leaf == cpuid_ext_features) {
        hw.ecx &= ~cpuid_ext_1_ecx_svm;
        return hw;
    }
    // No SVM, so no SVM features either.
    if (leaf == cpuid_svm_features) {
        return {0, 0, 0, 0};
    }
    // The hypervisor range is MicroV's.
    if (cpuid_hypervisor_leaf(leaf)) {
        return microv_cpuid(leaf);
    }
    // Everything else is the real CPU's answer.
    return hw;
}

}  // namespace vmm
