// SPDX-License-Identifier: MIT
// How the microkernel reports a VS's exit to the extension, the same on every CPU vendor: a
// reason (the vmexit callback's second argument) and an exit record in the TLS block, and one
// event word for what the exit interrupted and what the extension injects (bf_vs_op_inject).
// The microkernel syscall spec passes the vendor's own exit code instead and has no record and
// no inject syscall: docs/architecture.md ("The exit ABI") lists these deviations.
#pragma once

#include <stdint.h>

namespace mk::abi {

/// Why a VS exited. The microkernel handles NMIs itself; every other exit reaches the extension.
enum class exit_reason : uint64_t {
    unknown = 0,              // an exit with no neutral name: vendor_reason and vendor_info say it
    cpuid = 1,                // CPUID: the leaf and subleaf in RAX and RCX
    msr_read = 2,             // RDMSR: the MSR in RCX
    msr_write = 3,            // WRMSR: the MSR in RCX, the value in EDX:EAX
    io = 4,                   // IN, OUT, INS, OUTS: qualification per io_* below
    hypercall = 5,            // VMMCALL (AMD) or VMCALL (Intel)
    invd = 6,                 // INVD
    virtualization_insn = 7,  // an instruction of the CPU's virtualization extension (SVM's or VMX's)
    nested_page_fault = 8,    // an access its nested page tables do not allow: gpa, qualification per npf_*
    triple_fault = 9,         // shutdown
    entry_failed = 10,        // the VS's state could not be entered (VMRUN or VM entry refused it)
    nmi = 11,                 // a guest's VS: an NMI for the root VM came (the root VS gets it)
    interrupt = 12,           // a guest's VS: a physical interrupt for the root VM is pending
    hlt = 13,                 // HLT
    xsetbv = 14,              // a guest's VS: XSETBV (ECX the register, EDX:EAX the value)
};

/// The exit record: the microkernel writes it into the TLS block before the vmexit callback,
/// after the general registers (0x800-0x878). Fields that an exit does not define are 0.
constexpr uint64_t tls_offset_exit_reason = 0x880U;         // exit_reason, as the callback's argument
constexpr uint64_t tls_offset_exit_qualification = 0x888U;  // per reason (io_*, npf_*)
constexpr uint64_t tls_offset_exit_gpa = 0x890U;            // the guest-physical address (nested page fault)
constexpr uint64_t tls_offset_exit_gla = 0x898U;            // the guest-linear address, where npf_gla_valid
constexpr uint64_t tls_offset_exit_insn_length = 0x8A0U;    // of the instruction that exited; 0 unknown
constexpr uint64_t tls_offset_exit_cpl = 0x8A8U;            // the VS's privilege level at the exit
constexpr uint64_t tls_offset_exit_pending_event = 0x8B0U;  // an event word: what the exit cut short
constexpr uint64_t tls_offset_exit_vendor_reason = 0x8B8U;  // the CPU's own exit code, for reports
constexpr uint64_t tls_offset_exit_vendor_info0 = 0x8C0U;   // the CPU's exit information, for reports
constexpr uint64_t tls_offset_exit_vendor_info1 = 0x8C8U;

/// The exit record as one structure, in the order of its TLS offsets.
struct exit_record {
    uint64_t reason;
    uint64_t qualification;
    uint64_t gpa;
    uint64_t gla;
    uint64_t insn_length;
    uint64_t cpl;
    uint64_t pending_event;
    uint64_t vendor_reason;
    uint64_t vendor_info0;
    uint64_t vendor_info1;
};
static_assert(sizeof(exit_record) == tls_offset_exit_vendor_info1 + 8 - tls_offset_exit_reason);

/// The qualification of an io exit: the port, the size of the access, its direction and form.
constexpr uint64_t io_port_mask = 0xFFFFU;  // bits 15:0
constexpr unsigned io_size_shift = 16;      // bits 18:16: 1, 2 or 4 bytes
constexpr uint64_t io_in = 1ULL << 24;      // IN or INS (else OUT or OUTS)
constexpr uint64_t io_string = 1ULL << 25;  // INS or OUTS
constexpr uint64_t io_rep = 1ULL << 26;     // with a REP prefix
constexpr unsigned io_addr_shift = 27;      // bits 28:27: the address size, 2, 4 or 8 bytes (0: unknown)

constexpr uint64_t io_qualification(uint16_t port, uint8_t size, bool in, bool string, bool rep,
                                    uint8_t addr_size = 0) noexcept
{
    const uint64_t addr = addr_size == 2 ? 1 : addr_size == 4 ? 2 : addr_size == 8 ? 3 : 0;
    return port | (uint64_t{size & 7U} << io_size_shift) | (in ? io_in : 0) | (string ? io_string : 0) |
           (rep ? io_rep : 0) | (addr << io_addr_shift);
}
/// The address size of a string form (2, 4 or 8 bytes; 0 unknown): how much of RCX, RSI, RDI counts.
constexpr uint8_t io_addr_size(uint64_t q) noexcept
{
    const uint64_t a = (q >> io_addr_shift) & 3U;
    return a == 1 ? 2 : a == 2 ? 4 : a == 3 ? 8 : 0;
}
constexpr uint16_t io_port(uint64_t q) noexcept { return static_cast<uint16_t>(q & io_port_mask); }
constexpr uint8_t io_size(uint64_t q) noexcept { return static_cast<uint8_t>((q >> io_size_shift) & 7U); }

/// The qualification of a nested page fault: the access, and what the tables held.
constexpr uint64_t npf_read = 1ULL << 0;
constexpr uint64_t npf_write = 1ULL << 1;
constexpr uint64_t npf_fetch = 1ULL << 2;
constexpr uint64_t npf_present = 1ULL << 3;    // a translation exists; its rights refused the access
constexpr uint64_t npf_user = 1ULL << 4;       // a user-mode access
constexpr uint64_t npf_page_walk = 1ULL << 5;  // during the VS's own page walk (else at the final address)
constexpr uint64_t npf_gla_valid = 1ULL << 6;  // the record's gla holds the linear address

/// An event word (exit records' pending_event, bf_vs_op_inject): vector in bits 7:0, kind in
/// 10:8, an error code in 63:32 where bit 11 says there is one, bit 31 set for a valid event.
/// (Both vendors' hardware encodes its low 32 bits the same way.)
enum class event_kind : uint8_t {
    external_interrupt = 0,
    nmi = 2,
    exception = 3,
    software_interrupt = 4,
};
constexpr uint64_t event_valid = 1ULL << 31;
constexpr uint64_t event_has_error = 1ULL << 11;

constexpr uint64_t event(uint8_t vector, event_kind kind, bool has_error, uint32_t error) noexcept
{
    return vector | (uint64_t{static_cast<uint8_t>(kind)} << 8) | (has_error ? event_has_error : 0) | event_valid |
           (uint64_t{error} << 32);
}
constexpr uint8_t event_vector(uint64_t e) noexcept { return static_cast<uint8_t>(e & 0xFFU); }
constexpr uint8_t event_kind_of(uint64_t e) noexcept { return static_cast<uint8_t>((e >> 8) & 7U); }

/// Whether bf_vs_op_inject takes an event word: valid, a kind above, an NMI on vector 2, an
/// exception on one of vectors 0-31 other than 2 (an error code only there), an external
/// interrupt on 16-255, and no bit outside the fields.
constexpr bool event_injectable(uint64_t e) noexcept
{
    constexpr uint64_t fields = 0xFFFFFFFF00000000ULL | event_valid | event_has_error | 0x7FFU;
    if ((e & event_valid) == 0 || (e & ~fields) != 0) {
        return false;
    }
    const uint8_t v = event_vector(e);
    const bool error = (e & event_has_error) != 0;
    if (!error && (e >> 32) != 0) {
        return false;
    }
    switch (event_kind_of(e)) {
    case static_cast<uint8_t>(event_kind::external_interrupt):
        return v >= 16 && !error;
    case static_cast<uint8_t>(event_kind::nmi):
        return v == 2 && !error;
    case static_cast<uint8_t>(event_kind::exception):
        return v < 32 && v != 2;
    case static_cast<uint8_t>(event_kind::software_interrupt):
        return !error;
    default:
        return false;
    }
}

}  // namespace mk::abi
