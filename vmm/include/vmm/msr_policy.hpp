// SPDX-License-Identifier: MIT
// What happens when the root VM (the hoisted host OS) reads or writes an MSR that MicroV must keep
// for itself because it owns SVM: EFER.SVME, VM_CR and VM_HSAVE_PA. The root OS is shown a CPU on
// which firmware disabled and locked SVM. Pure logic, no hardware access.
#pragma once

#include <mk/x64/amd/vmcb.hpp>

#include <stdint.h>

namespace vmm {

// The MSRs and their bits (AMD APM vol. 2, 15.30 and 3.1.7).
inline constexpr uint32_t msr_efer = mk::amd::msr::efer;
inline constexpr uint32_t msr_vm_cr = mk::amd::msr::vm_cr;
inline constexpr uint32_t msr_vm_hsave_pa = mk::amd::msr::vm_hsave_pa;
inline constexpr uint64_t efer_svme = 1ULL << 12;
inline constexpr uint64_t vm_cr_dpd = 1ULL << 0;
inline constexpr uint64_t vm_cr_r_init = 1ULL << 1;
inline constexpr uint64_t vm_cr_dis_a20m = 1ULL << 2;
inline constexpr uint64_t vm_cr_lock = 1ULL << 3;
inline constexpr uint64_t vm_cr_svmdis = 1ULL << 4;

/// What to do with an intercepted RDMSR or WRMSR.
enum class msr_action {
    pass,      // execute the access on the real MSR, unchanged
    emulate,   // RDMSR: return value to the guest; WRMSR: write value to the real MSR
    inject_gp  // refuse the access with #GP(0)
};

/// The decision for one access, and the value it carries when the action is emulate.
struct msr_result {
    msr_action action;
    uint64_t value;
};

/// Whether the root VM's reads and writes of an MSR exit to MicroV: the microkernel's MSR
/// permission map intercepts the MSRs that hold SVM.
constexpr bool msr_intercepted(uint32_t msr) noexcept
{
    for (const uint32_t m : mk::amd::svm_msrs) {
        if (m == msr) {
            return true;
        }
    }
    return false;
}

/// What the root VM reads from an MSR whose real value is hw_value.
constexpr msr_result root_rdmsr(uint32_t msr, uint64_t hw_value) noexcept
{
    // EFER: hide that SVM is on.
    if (msr == msr_efer) {
        return {msr_action::emulate, hw_value & ~efer_svme};
    }
    // VM_CR: SVM looks disabled by firmware and locked; the other bits are the real ones.
    if (msr == msr_vm_cr) {
        return {msr_action::emulate, hw_value | vm_cr_svmdis | vm_cr_lock};
    }
    // VM_HSAVE_PA: no host save area, as nothing uses SVM.
    if (msr == msr_vm_hsave_pa) {
        return {msr_action::emulate, 0};
    }
    // Not MicroV's: the real MSR.
    return {msr_action::pass, hw_value};
}

/// What becomes of the root VM writing value to an MSR whose real value is hw_value. hw_value is
/// not needed by today's rules; it is there for rules that will merge the two.
constexpr msr_result root_wrmsr(uint32_t msr, uint64_t value, [[maybe_unused]] uint64_t hw_value) noexcept
{
    // EFER: setting SVME fails as on a CPU without SVM; other writes keep MicroV's SVME on.
    if (msr == msr_efer) {
        if ((value & efer_svme) != 0) {
            return {msr_action::inject_gp, 0};
        }
        return {msr_action::emulate, value | efer_svme};
    }
    // VM_CR looks locked, and VM_HSAVE_PA is MicroV's: both refuse writes.
    if (msr == msr_vm_cr || msr == msr_vm_hsave_pa) {
        return {msr_action::inject_gp, 0};
    }
    // Not MicroV's: the real MSR.
    return {msr_action::pass, value};
}

}  // namespace vmm
