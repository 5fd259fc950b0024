// SPDX-License-Identifier: MIT
// A #VMEXIT in the extension's vendor-neutral terms (mk/exit_abi.hpp): the reason, the
// qualification, addresses, the instruction's length and the event the exit cut short, from the
// VMCB's EXITCODE, EXITINFO1/2, EXITINTINFO and NRIP. Pure logic over a VMCB.
#pragma once

#include <mk/exit_abi.hpp>
#include <mk/x64/amd/vmcb.hpp>

#include <stdint.h>

namespace mk::amd {

/// Whether an exit code is one of the SVM instructions' (each three bytes: 0F 01 D8-DF).
constexpr bool svm_instruction(uint64_t exitcode) noexcept
{
    switch (exitcode) {
    case vmexit::vmrun:
    case vmexit::vmload:
    case vmexit::vmsave:
    case vmexit::stgi:
    case vmexit::clgi:
    case vmexit::skinit:
    case vmexit::invlpga:
        return true;
    default:
        return false;
    }
}

/// The neutral reason of an SVM exit code (an MSR exit: EXITINFO1 says read or write).
constexpr abi::exit_reason exit_reason_of(uint64_t exitcode, uint64_t exitinfo1) noexcept
{
    using r = abi::exit_reason;
    if (svm_instruction(exitcode)) {
        return r::virtualization_insn;
    }
    switch (exitcode) {
    case vmexit::cpuid:
        return r::cpuid;
    case vmexit::msr:
        return exitinfo1 != 0 ? r::msr_write : r::msr_read;
    case vmexit::ioio:
        return r::io;
    case vmexit::vmmcall:
        return r::hypercall;
    case vmexit::invd:
        return r::invd;
    case vmexit::npf:
        return r::nested_page_fault;
    case vmexit::shutdown:
        return r::triple_fault;
    case vmexit::nmi:
        return r::nmi;
    case vmexit::intr:
        return r::interrupt;
    case vmexit::hlt:
        return r::hlt;
    case vmexit::xsetbv:
        return r::xsetbv;
    default:
        return vmexit::vmrun_refused(exitcode) ? r::entry_failed : r::unknown;
    }
}

/// The length of the instruction behind an exit whose opcode the exit code fixes, for CPUs
/// without NRIP save; 0 when the exit code does not fix one.
constexpr uint8_t fixed_insn_length(uint64_t exitcode) noexcept
{
    if (svm_instruction(exitcode)) {
        return 3;
    }
    switch (exitcode) {
    case vmexit::cpuid:
    case vmexit::msr:
    case vmexit::rdtsc:
    case vmexit::pause:
    case vmexit::invd:
    case vmexit::wbinvd:
        return 2;
    case vmexit::vmmcall:
    case vmexit::rdtscp:
    case vmexit::monitor:
    case vmexit::mwait:
    case vmexit::xsetbv:
        return 3;
    case vmexit::hlt:
        return 1;
    default:
        return 0;
    }
}

/// The longest x86 instruction.
constexpr uint64_t max_insn_length = 15;

/// The length of the instruction that exited, 0 when unknown: NRIP where the CPU saves it, the
/// next RIP that an IOIO exit always gives (EXITINFO2), else what the exit code fixes.
constexpr uint8_t insn_length(const vmcb &v, bool nrip_save) noexcept
{
    const auto between = [&](uint64_t next) -> uint8_t {
        const uint64_t n = next - v.state.rip;
        return next > v.state.rip && n <= max_insn_length ? static_cast<uint8_t>(n) : 0;
    };
    if (nrip_save && v.control.nrip != 0) {
        return between(v.control.nrip);
    }
    if (v.control.exitcode == vmexit::ioio) {
        return between(v.control.exitinfo2);
    }
    return fixed_insn_length(v.control.exitcode);
}

/// EXITINFO1 of an IOIO exit (APM vol. 2, 15.10.2) as an io qualification.
constexpr uint64_t io_qualification_of(uint64_t exitinfo1) noexcept
{
    const uint8_t size = (exitinfo1 & (1U << 4)) != 0   ? 1
                         : (exitinfo1 & (1U << 5)) != 0 ? 2
                         : (exitinfo1 & (1U << 6)) != 0 ? 4
                                                        : 0;
    // Bits 7-9: 16-, 32- or 64-bit addresses.
    const uint8_t addr = (exitinfo1 & (1U << 7)) != 0   ? 2
                         : (exitinfo1 & (1U << 8)) != 0 ? 4
                         : (exitinfo1 & (1U << 9)) != 0 ? 8
                                                        : 0;
    return abi::io_qualification(static_cast<uint16_t>(exitinfo1 >> 16), size, (exitinfo1 & 1U) != 0,
                                 (exitinfo1 & (1U << 2)) != 0, (exitinfo1 & (1U << 3)) != 0, addr);
}

/// EXITINFO1 of a nested page fault (APM vol. 2, 15.25.6: the #PF error code bits, bit 32 at the
/// final address, bit 33 during the guest's page walk) as an npf qualification. SVM gives no
/// linear address.
constexpr uint64_t npf_qualification_of(uint64_t exitinfo1) noexcept
{
    const bool write = (exitinfo1 & (1U << 1)) != 0;
    const bool fetch = (exitinfo1 & (1U << 4)) != 0;
    return (!write && !fetch ? abi::npf_read : 0) | (write ? abi::npf_write : 0) | (fetch ? abi::npf_fetch : 0) |
           ((exitinfo1 & 1U) != 0 ? abi::npf_present : 0) | ((exitinfo1 & (1U << 2)) != 0 ? abi::npf_user : 0) |
           ((exitinfo1 & (1ULL << 33)) != 0 ? abi::npf_page_walk : 0);
}

/// The exit record of the exit v holds (each field written once: this is on every exit's path).
constexpr abi::exit_record exit_record_of(const vmcb &v, bool nrip_save) noexcept
{
    const vmcb_control &c = v.control;
    const abi::exit_reason reason = exit_reason_of(c.exitcode, c.exitinfo1);
    const bool io = reason == abi::exit_reason::io;
    const bool npf = reason == abi::exit_reason::nested_page_fault;
    return {
        static_cast<uint64_t>(reason),
        io    ? io_qualification_of(c.exitinfo1)
        : npf ? npf_qualification_of(c.exitinfo1)
              : 0,
        npf ? c.exitinfo2 : 0,
        0,  // SVM gives no linear address
        insn_length(v, nrip_save),
        v.state.cpl,
        // EXITINTINFO has the event word's layout (both are EVENTINJ's).
        (c.exitintinfo & eventinj_valid) != 0 ? c.exitintinfo & event_fields : 0,
        c.exitcode,
        c.exitinfo1,
        c.exitinfo2,
    };
}

// An event word is an EVENTINJ value as it stands (bf_vs_op_inject writes it unchanged).
static_assert(abi::event_valid == eventinj_valid && abi::event_has_error == eventinj_ev);
static_assert(static_cast<uint8_t>(abi::event_kind::exception) == event_type::exception);
static_assert(static_cast<uint8_t>(abi::event_kind::nmi) == event_type::nmi);
static_assert(static_cast<uint8_t>(abi::event_kind::external_interrupt) == event_type::intr);
static_assert(static_cast<uint8_t>(abi::event_kind::software_interrupt) == event_type::soft_int);

}  // namespace mk::amd
