// SPDX-License-Identifier: MIT
// A VS's registers by bf_reg_t (microkernel syscall spec 1.4.2.1), as bf_vs_op_read and
// bf_vs_op_write name them on AMD: most live in the VS's VMCB, the general purpose registers live in
// an array indexed by x86 register number (RAX too: vs_run moves it into the VMCB for VMRUN and
// back). Fields narrower than 64 bits read
// zero-extended and refuse writes that do not fit.
#pragma once

#include <mk/syscall_abi.hpp>
#include <mk/x64/amd/vmcb.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk::amd {

/// Indexes of the general purpose register array, by x86 register number. RSP has a slot for the
/// numbering only: the VMCB holds it.
namespace gpr {
constexpr size_t rax = 0;
constexpr size_t rcx = 1;
constexpr size_t rdx = 2;
constexpr size_t rbx = 3;
constexpr size_t rsp = 4;
constexpr size_t rbp = 5;
constexpr size_t rsi = 6;
constexpr size_t rdi = 7;
constexpr size_t r8 = 8;
constexpr size_t r9 = 9;
constexpr size_t r10 = 10;
constexpr size_t r11 = 11;
constexpr size_t r12 = 12;
constexpr size_t r13 = 13;
constexpr size_t r14 = 14;
constexpr size_t r15 = 15;
constexpr size_t count = 16;
}  // namespace gpr

namespace vs_regs_detail {

/// Where a register lives: its first byte and its width. Byte is uint8_t or const uint8_t.
template <class Byte>
struct field {
    Byte *bytes;
    size_t width;
};

/// The field of one struct member, as wide as the member.
template <class Byte, class Member>
field<Byte> whole(Member &m) noexcept
{
    return {reinterpret_cast<Byte *>(&m), sizeof(Member)};
}

/// One 16-bit half (0 low, 1 high) of a 32-bit member, for the read/write halves of the intercept words.
template <class Byte, class Member>
field<Byte> half(Member &m, size_t which) noexcept
{
    static_assert(sizeof(Member) == 4);
    return {reinterpret_cast<Byte *>(&m) + which * 2, 2};
}

/// The one map from bf_reg_t to storage; bytes is null for a register we do not hold.
template <class Byte, class Vmcb, class Gprs>
field<Byte> locate(Vmcb &v, Gprs &gprs, abi::reg r) noexcept
{
    auto &c = v.control;
    auto &s = v.state;
    using R = abi::reg;
    switch (r) {
    case R::rbx:
        return whole<Byte>(gprs[gpr::rbx]);
    case R::rcx:
        return whole<Byte>(gprs[gpr::rcx]);
    case R::rdx:
        return whole<Byte>(gprs[gpr::rdx]);
    case R::rbp:
        return whole<Byte>(gprs[gpr::rbp]);
    case R::rsi:
        return whole<Byte>(gprs[gpr::rsi]);
    case R::rdi:
        return whole<Byte>(gprs[gpr::rdi]);
    case R::r8:
        return whole<Byte>(gprs[gpr::r8]);
    case R::r9:
        return whole<Byte>(gprs[gpr::r9]);
    case R::r10:
        return whole<Byte>(gprs[gpr::r10]);
    case R::r11:
        return whole<Byte>(gprs[gpr::r11]);
    case R::r12:
        return whole<Byte>(gprs[gpr::r12]);
    case R::r13:
        return whole<Byte>(gprs[gpr::r13]);
    case R::r14:
        return whole<Byte>(gprs[gpr::r14]);
    case R::r15:
        return whole<Byte>(gprs[gpr::r15]);
    case R::intercept_cr_read:
        return half<Byte>(c.intercept_cr, 0);
    case R::intercept_cr_write:
        return half<Byte>(c.intercept_cr, 1);
    case R::intercept_dr_read:
        return half<Byte>(c.intercept_dr, 0);
    case R::intercept_dr_write:
        return half<Byte>(c.intercept_dr, 1);
    case R::intercept_exception:
        return whole<Byte>(c.intercept_exceptions);
    case R::intercept_instruction1:
        return whole<Byte>(c.intercept_misc1);
    case R::intercept_instruction2:
        return whole<Byte>(c.intercept_misc2);
    case R::intercept_instruction3:
        return whole<Byte>(c.intercept_misc3);
    case R::pause_filter_threshold:
        return whole<Byte>(c.pause_filter_threshold);
    case R::pause_filter_count:
        return whole<Byte>(c.pause_filter_count);
    case R::iopm_base_pa:
        return whole<Byte>(c.iopm_base_pa);
    case R::msrpm_base_pa:
        return whole<Byte>(c.msrpm_base_pa);
    case R::tsc_offset:
        return whole<Byte>(c.tsc_offset);
    case R::guest_asid:
        return whole<Byte>(c.guest_asid);
    case R::tlb_control:
        return whole<Byte>(c.tlb_control);
    case R::virtual_interrupt_a:
        return whole<Byte>(c.v_intr);
    case R::virtual_interrupt_b:
        return whole<Byte>(c.interrupt_shadow);
    case R::exitcode:
        return whole<Byte>(c.exitcode);
    case R::exitinfo1:
        return whole<Byte>(c.exitinfo1);
    case R::exitinfo2:
        return whole<Byte>(c.exitinfo2);
    case R::exitininfo:
        return whole<Byte>(c.exitintinfo);
    case R::ctls1:
        return whole<Byte>(c.np_enable);
    case R::guest_pa_of_ghcb:
        return whole<Byte>(c.ghcb_pa);
    case R::eventinj:
        return whole<Byte>(c.eventinj);
    case R::n_cr3:
        return whole<Byte>(c.n_cr3);
    case R::ctls2:
        return whole<Byte>(c.lbr_virt);
    case R::vmcb_clean_bits:
        return whole<Byte>(c.vmcb_clean);
    case R::nrip:
        return whole<Byte>(c.nrip);
    case R::number_of_bytes_fetched:
        return whole<Byte>(c.guest_insn_count);
    case R::es_selector:
        return whole<Byte>(s.es.selector);
    case R::es_attrib:
        return whole<Byte>(s.es.attrib);
    case R::es_limit:
        return whole<Byte>(s.es.limit);
    case R::es_base:
        return whole<Byte>(s.es.base);
    case R::cs_selector:
        return whole<Byte>(s.cs.selector);
    case R::cs_attrib:
        return whole<Byte>(s.cs.attrib);
    case R::cs_limit:
        return whole<Byte>(s.cs.limit);
    case R::cs_base:
        return whole<Byte>(s.cs.base);
    case R::ss_selector:
        return whole<Byte>(s.ss.selector);
    case R::ss_attrib:
        return whole<Byte>(s.ss.attrib);
    case R::ss_limit:
        return whole<Byte>(s.ss.limit);
    case R::ss_base:
        return whole<Byte>(s.ss.base);
    case R::ds_selector:
        return whole<Byte>(s.ds.selector);
    case R::ds_attrib:
        return whole<Byte>(s.ds.attrib);
    case R::ds_limit:
        return whole<Byte>(s.ds.limit);
    case R::ds_base:
        return whole<Byte>(s.ds.base);
    case R::fs_selector:
        return whole<Byte>(s.fs.selector);
    case R::fs_attrib:
        return whole<Byte>(s.fs.attrib);
    case R::fs_limit:
        return whole<Byte>(s.fs.limit);
    case R::fs_base:
        return whole<Byte>(s.fs.base);
    case R::gs_selector:
        return whole<Byte>(s.gs.selector);
    case R::gs_attrib:
        return whole<Byte>(s.gs.attrib);
    case R::gs_limit:
        return whole<Byte>(s.gs.limit);
    case R::gs_base:
        return whole<Byte>(s.gs.base);
    case R::gdtr_selector:
        return whole<Byte>(s.gdtr.selector);  // reserved by the APM, but stored
    case R::gdtr_attrib:
        return whole<Byte>(s.gdtr.attrib);  // reserved by the APM, but stored
    case R::gdtr_limit:
        return whole<Byte>(s.gdtr.limit);
    case R::gdtr_base:
        return whole<Byte>(s.gdtr.base);
    case R::ldtr_selector:
        return whole<Byte>(s.ldtr.selector);
    case R::ldtr_attrib:
        return whole<Byte>(s.ldtr.attrib);
    case R::ldtr_limit:
        return whole<Byte>(s.ldtr.limit);
    case R::ldtr_base:
        return whole<Byte>(s.ldtr.base);
    case R::idtr_selector:
        return whole<Byte>(s.idtr.selector);  // reserved by the APM, but stored
    case R::idtr_attrib:
        return whole<Byte>(s.idtr.attrib);  // reserved by the APM, but stored
    case R::idtr_limit:
        return whole<Byte>(s.idtr.limit);
    case R::idtr_base:
        return whole<Byte>(s.idtr.base);
    case R::tr_selector:
        return whole<Byte>(s.tr.selector);
    case R::tr_attrib:
        return whole<Byte>(s.tr.attrib);
    case R::tr_limit:
        return whole<Byte>(s.tr.limit);
    case R::tr_base:
        return whole<Byte>(s.tr.base);
    case R::cpl:
        return whole<Byte>(s.cpl);
    case R::efer:
        return whole<Byte>(s.efer);
    case R::cr4:
        return whole<Byte>(s.cr4);
    case R::cr3:
        return whole<Byte>(s.cr3);
    case R::cr0:
        return whole<Byte>(s.cr0);
    case R::dr7:
        return whole<Byte>(s.dr7);
    case R::dr6:
        return whole<Byte>(s.dr6);
    case R::rflags:
        return whole<Byte>(s.rflags);
    case R::rip:
        return whole<Byte>(s.rip);
    case R::rsp:
        return whole<Byte>(s.rsp);
    case R::rax:
        return whole<Byte>(gprs[gpr::rax]);
    case R::star:
        return whole<Byte>(s.star);
    case R::lstar:
        return whole<Byte>(s.lstar);
    case R::cstar:
        return whole<Byte>(s.cstar);
    case R::fmask:
        return whole<Byte>(s.sfmask);
    case R::kernel_gs_base:
        return whole<Byte>(s.kernel_gs_base);
    case R::sysenter_cs:
        return whole<Byte>(s.sysenter_cs);
    case R::sysenter_esp:
        return whole<Byte>(s.sysenter_esp);
    case R::sysenter_eip:
        return whole<Byte>(s.sysenter_eip);
    case R::cr2:
        return whole<Byte>(s.cr2);
    case R::pat:
        return whole<Byte>(s.g_pat);
    case R::dbgctl:
        return whole<Byte>(s.dbgctl);
    case R::br_from:
        return whole<Byte>(s.br_from);
    case R::br_to:
        return whole<Byte>(s.br_to);
    case R::lastexcpfrom:
        return whole<Byte>(s.lastexcpfrom);
    case R::lastexcpto:
        return whole<Byte>(s.lastexcpto);
    // The AVIC pointers and the VMSA pointer fall in the VMCB's reserved bytes (AVIC and SEV-ES are
    // not supported), and CR8 (V_TPR), DR0-DR3 and XCR0 are not in the VMCB at all: refused.
    case R::avic_apic_bar:
    case R::avic_apic_backing_page_ptr:
    case R::avic_logical_table_ptr:
    case R::avic_physical_table_ptr:
    case R::vmsa_ptr:
    case R::cr8:
    case R::dr0:
    case R::dr1:
    case R::dr2:
    case R::dr3:
    case R::xcr0:
    // Not registers, or beyond the enum.
    case R::unsupported:
    case R::invalid:
    default:
        return {nullptr, 0};
    }
}

}  // namespace vs_regs_detail

/// Reads register r of a VS into out, zero-extended; false (out untouched) when we do not hold r.
inline bool vs_read(const vmcb &v, const uint64_t (&gprs)[gpr::count], abi::reg r, uint64_t &out) noexcept
{
    // Find the register's bytes.
    const auto f = vs_regs_detail::locate<const uint8_t>(v, gprs, r);
    if (f.bytes == nullptr) {
        return false;
    }
    // Assemble them little-endian.
    uint64_t value = 0;
    for (size_t i = 0; i < f.width; ++i) {
        value |= uint64_t{f.bytes[i]} << (8 * i);
    }
    out = value;
    return true;
}

/// Writes value to register r of a VS; false (nothing written) when we do not hold r or value does
/// not fit its width.
inline bool vs_write(vmcb &v, uint64_t (&gprs)[gpr::count], abi::reg r, uint64_t value) noexcept
{
    // Find the register's bytes.
    const auto f = vs_regs_detail::locate<uint8_t>(v, gprs, r);
    if (f.bytes == nullptr) {
        return false;
    }
    // Refuse a value wider than the field rather than truncate it.
    if (f.width < sizeof(uint64_t) && (value >> (8 * f.width)) != 0) {
        return false;
    }
    // Store it little-endian.
    for (size_t i = 0; i < f.width; ++i) {
        f.bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    }
    return true;
}

}  // namespace mk::amd
