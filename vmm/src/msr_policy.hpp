// SPDX-License-Identifier: MIT
// What happens when the root VM (the hoisted host OS) reads or writes an MSR whose accesses the
// microkernel makes exit (abi/include/mk/root_msrs.hpp): the MSRs that hold the virtualization
// extension, which MicroV owns (on AMD: EFER.SVME, VM_CR and VM_HSAVE_PA; the root OS is shown a
// CPU on which firmware disabled and locked SVM), and the writes of MSRs the host shares. Pure
// logic, no hardware access.
#pragma once

#include <mk/root_msrs.hpp>

#include <stdint.h>

namespace vmm {

// The MSRs and their bits (AMD APM vol. 2, 15.30 and 3.1.7).
inline constexpr uint32_t msr_efer = mk::abi::msr::efer;
inline constexpr uint32_t msr_hwcr = mk::abi::msr::hwcr;
inline constexpr uint32_t msr_apic_base = mk::abi::msr::apic_base;
inline constexpr uint32_t msr_vm_cr = mk::abi::msr::vm_cr;
inline constexpr uint32_t msr_vm_hsave_pa = mk::abi::msr::vm_hsave_pa;
inline constexpr uint64_t efer_sce = 1ULL << 0;
inline constexpr uint64_t efer_lme = 1ULL << 8;
inline constexpr uint64_t efer_lma = 1ULL << 10;
inline constexpr uint64_t efer_nxe = 1ULL << 11;
inline constexpr uint64_t efer_svme = 1ULL << 12;
inline constexpr uint64_t efer_lmsle = 1ULL << 13;
inline constexpr uint64_t efer_ffxsr = 1ULL << 14;
inline constexpr uint64_t efer_tce = 1ULL << 15;
inline constexpr uint64_t efer_mcommit = 1ULL << 17;
inline constexpr uint64_t efer_intwb = 1ULL << 18;
inline constexpr uint64_t efer_auto_ibrs = 1ULL << 21;
inline constexpr uint64_t cr0_pg = 1ULL << 31;
inline constexpr uint64_t vm_cr_dpd = 1ULL << 0;
inline constexpr uint64_t vm_cr_r_init = 1ULL << 1;
inline constexpr uint64_t vm_cr_dis_a20m = 1ULL << 2;
inline constexpr uint64_t vm_cr_lock = 1ULL << 3;
inline constexpr uint64_t vm_cr_svmdis = 1ULL << 4;

/// What to do with an intercepted RDMSR or WRMSR.
enum class msr_action {
    pass,       // execute the access on the real MSR, unchanged
    emulate,    // RDMSR: return value to the guest; WRMSR: write value (EFER: the VS's; a host-checked
                // MSR: the real one, through the microkernel, which may still refuse it)
    inject_gp,  // refuse the access with #GP(0)
    ignore      // WRMSR: completes, and the MSR keeps its value
};

/// The decision for one access, and the value it carries when the action is emulate.
struct msr_result {
    msr_action action;
    uint64_t value;
};

/// What a write's decision depends on besides the value: the MSR's real value, and for EFER the
/// bits this CPU has (settable: efer_settable, without SVME) and whether the root VM has paging
/// on.
struct msr_state {
    uint64_t hw_value;
    uint64_t settable;
    bool paging;
};

/// The CPUID words that say which EFER bits exist (APM vol. 2, 3.1.7, and vol. 3, appendix E):
/// leaf 0x80000001 ECX and EDX, 0x80000008 EBX and 0x80000021 EAX (0 where the leaf is absent).
struct efer_cpuid {
    uint32_t ext1_ecx;
    uint32_t ext1_edx;
    uint32_t ext8_ebx;
    uint32_t ext21_eax;
};

/// The EFER bits software may set on this CPU, SVME aside. Every other bit is reserved: the CPU
/// refuses a WRMSR that sets one with #GP, and VMRUN refuses an EFER that has one, so letting
/// the root VM's write through would fail its next entry instead of its WRMSR.
constexpr uint64_t efer_settable(const efer_cpuid &c) noexcept
{
    uint64_t bits = 0;
    const auto has = [](uint32_t word, unsigned bit) { return ((word >> bit) & 1U) != 0; };
    bits |= has(c.ext1_edx, 11) ? efer_sce : 0;             // SYSCALL/SYSRET
    bits |= has(c.ext1_edx, 29) ? efer_lme | efer_lma : 0;  // long mode
    bits |= has(c.ext1_edx, 20) ? efer_nxe : 0;             // no-execute
    bits |= has(c.ext1_edx, 25) ? efer_ffxsr : 0;           // fast FXSAVE/FXRSTOR
    bits |= has(c.ext1_ecx, 17) ? efer_tce : 0;             // translation cache extension
    bits |= has(c.ext8_ebx, 20) ? 0 : efer_lmsle;           // EferLmsleUnsupported clear
    bits |= has(c.ext8_ebx, 8) ? efer_mcommit : 0;          // MCOMMIT
    bits |= has(c.ext8_ebx, 9) ? efer_intwb : 0;            // WBNOINVD interruptible
    bits |= has(c.ext21_eax, 8) ? efer_auto_ibrs : 0;       // automatic IBRS
    return bits;
}

/// Whether the root VM's reads and writes of an MSR exit to MicroV: the microkernel intercepts the
/// MSRs that hold the virtualization extension.
constexpr bool msr_intercepted(uint32_t msr) noexcept { return mk::abi::virtualization_msr(msr); }

/// The MSRs whose writes (only) exit and, when the policy takes them, go to the real MSR through
/// the microkernel: HWCR and the APIC base, whose values the host runs with too.
constexpr bool msr_write_checked(uint32_t msr) noexcept { return mk::abi::host_checked_msr(msr); }

/// Whether the root VM's writes (only) of an MSR exit: the memory-type MSRs and the checked ones,
/// which the host shares.
constexpr bool msr_write_intercepted(uint32_t msr) noexcept
{
    return msr_intercepted(msr) || mk::abi::memory_type_msr(msr) || msr_write_checked(msr);
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

/// What becomes of the root VM writing value to EFER, which holds hw_value now: #GP wherever the
/// CPU would give one, or the value for the VS, which the next entry then accepts.
constexpr msr_result root_wrmsr_efer(uint64_t value, const msr_state &s) noexcept
{
    // Setting SVME fails as on a CPU without SVM, and so does setting a bit the CPU lacks.
    if ((value & efer_svme) != 0 || (value & ~s.settable) != 0) {
        return {msr_action::inject_gp, 0};
    }
    // LME cannot change while paging is on (APM vol. 2, 14.6.1).
    if (s.paging && ((value ^ s.hw_value) & efer_lme) != 0) {
        return {msr_action::inject_gp, 0};
    }
    // LMA is the CPU's to set: a write leaves it as it is. MicroV's SVME stays on.
    return {msr_action::emulate, (value & ~efer_lma) | (s.hw_value & efer_lma) | efer_svme};
}

/// What becomes of the root VM writing value to an MSR, in the state s.
constexpr msr_result root_wrmsr(uint32_t msr, uint64_t value, const msr_state &s) noexcept
{
    if (msr == msr_efer) {
        return root_wrmsr_efer(value, s);
    }
    // VM_CR looks locked, and VM_HSAVE_PA is MicroV's: both refuse writes.
    if (msr == msr_vm_cr || msr == msr_vm_hsave_pa) {
        return {msr_action::inject_gp, 0};
    }
    // The memory types stay as the root VM set them before MicroV started (finding 10 of the
    // isolation issue): a write completes, as after boot Linux only ever writes them for legacy
    // write-combining ranges, and changes nothing.
    if (mk::abi::memory_type_msr(msr)) {
        return {msr_action::ignore, 0};
    }
    // HWCR and the APIC base: to the real MSR through the microkernel, which takes only what
    // leaves the host's configuration and the APIC page as they are (finding 10) and otherwise
    // refuses, which becomes the root VM's #GP.
    if (msr_write_checked(msr)) {
        return {msr_action::emulate, value};
    }
    // Not MicroV's: the real MSR.
    return {msr_action::pass, value};
}

}  // namespace vmm
