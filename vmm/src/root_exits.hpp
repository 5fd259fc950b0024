// SPDX-License-Identifier: MIT
// The root VM's exits that are not hypercalls: CPUID (cpuid_policy.hpp), the MSRs ring 0 makes
// exit (msr_policy.hpp), port I/O on MicroV's UART (io_policy.hpp), INVD, the instructions of the
// virtualization extension, nested page faults on MicroV's memory, the triple fault, and anything
// unexpected. Each turns the neutral exit (mk/exit_abi.hpp) into the policy's answer, then runs
// the VS on.
#pragma once

#include "cpuid_policy.hpp"
#include "io_policy.hpp"
#include "msr_policy.hpp"
#include "sys.hpp"

#include <mk/exit_abi.hpp>
#include <mk/format.hpp>

#include <stdint.h>

namespace vmm {

template <vmm_sys Sys>
class root_exits {
public:
    constexpr explicit root_exits(Sys &sys) noexcept : m_sys{sys} {}

    [[noreturn]] void invd() noexcept(sys_nothrow<Sys>)
    {
        // Run as a no-op: the caches keep every line, MicroV's among them (WBINVD would write
        // them back first; nothing an OS does needs lines dropped unwritten).
        m_sys.advance_ip_and_run_current();
    }

    [[noreturn]] void virtualization_insn(uint64_t vsid) noexcept(sys_nothrow<Sys>)
    {
        // The root VM sees no SVM (CPUID, EFER.SVME clear): an SVM instruction is #UD there.
        inject_fault(vsid, invalid_opcode);
        m_sys.run_current();
    }

    [[noreturn]] void triple_fault() noexcept(sys_nothrow<Sys>)
    {
        m_sys.write_str("microv: the root VM shut down (triple fault)\n");
        m_sys.exit_failure();
    }

    /// The root VM reached memory its nested page tables leave out: MicroV's own. Reported, and
    /// the root OS gets #GP: it cannot read or write there, and MicroV goes on. Where the access
    /// was the delivery of an event (EXITINTINFO valid: e.g. a push on a stack that lies in
    /// MicroV's memory), the root OS cannot go on as it was: the #GP MicroV injected escalates to
    /// #DF, as the CPU would escalate it, so that the root OS reports its own state; a #DF that
    /// cannot be delivered either is the end of the root VM on this PP (as a triple fault is).
    [[noreturn]] void npf(uint64_t vsid) noexcept(sys_nothrow<Sys>)
    {
        char gpa[19];
        char rip[19];
        char access[19];
        char info[19];
        const uint64_t during = m_sys.tls_get(abi::tls_offset_exit_pending_event);
        const uint64_t vector = (during & abi::event_valid) != 0 ? abi::event_vector(during) : no_event;
        char line[192];
        m_sys.write_str(
            mk::join(line, "microv: the root VM reached MicroV's memory at ",
                     mk::format_hex64(m_sys.tls_get(abi::tls_offset_exit_gpa), gpa),
                     vector == no_event ? "; it gets #GP (rip " : "; it gets #DF (rip ",
                     mk::format_hex64(m_sys.vs_read(vsid, abi::reg::rip), rip), ", access ",
                     mk::format_hex64(m_sys.tls_get(abi::tls_offset_exit_qualification), access),  // abi::npf_*
                     ", delivering ", mk::format_hex64(during, info), ")\n"));
        if (vector == double_fault) {
            m_sys.write_str("microv: the root VM cannot deliver #DF either: it stops on this PP\n");
            m_sys.exit_failure();
        }
        inject_fault(vsid, vector == no_event ? general_protection : double_fault);
        m_sys.run_current();
    }

    /// An exit this extension has no answer for: the CPU's own code and information, then the end
    /// of the root VM on this PP (it cannot go on past an instruction MicroV does not know).
    [[noreturn]] void unexpected() noexcept(sys_nothrow<Sys>)
    {
        char code[19];
        char info0[19];
        char info1[19];
        char line[160];
        m_sys.write_str(mk::join(line, "microv: unexpected exit of the root VM (exit code ",
                                 mk::format_hex64(m_sys.tls_get(abi::tls_offset_exit_vendor_reason), code), ", info ",
                                 mk::format_hex64(m_sys.tls_get(abi::tls_offset_exit_vendor_info0), info0), " ",
                                 mk::format_hex64(m_sys.tls_get(abi::tls_offset_exit_vendor_info1), info1), ")\n"));
        m_sys.exit_failure();
    }

    static constexpr uint64_t no_event = ~uint64_t{0};
    static constexpr uint8_t invalid_opcode = 6;
    static constexpr uint8_t double_fault = 8;
    static constexpr uint8_t general_protection = 13;

    /// An exception on the VS's next run: #GP and #DF with error code 0, #UD without one.
    void inject_fault(uint64_t vsid, uint8_t vector) noexcept(sys_nothrow<Sys>)
    {
        if (!m_sys.inject(vsid, abi::event(vector, abi::event_kind::exception, vector != invalid_opcode, 0))) {
            m_sys.write_str("microv: the microkernel refused an exception for the root VM\n");
            m_sys.exit_failure();
        }
    }

    /// #GP(0) on the VS's next run.
    void inject_gp(uint64_t vsid) noexcept(sys_nothrow<Sys>) { inject_fault(vsid, general_protection); }

    [[noreturn]] void cpuid() noexcept(sys_nothrow<Sys>)
    {
        // The leaf the guest asked for, and the real CPU's answer to it.
        const auto leaf = static_cast<uint32_t>(m_sys.tls_get(abi::tls_offset_rax));
        const auto subleaf = static_cast<uint32_t>(m_sys.tls_get(abi::tls_offset_rcx));
        const cpuid_regs r = root_cpuid(leaf, subleaf, m_sys.cpuid(leaf, subleaf));
        // The policy's answer in the guest's registers, past the instruction.
        m_sys.tls_set(abi::tls_offset_rax, r.eax);
        m_sys.tls_set(abi::tls_offset_rbx, r.ebx);
        m_sys.tls_set(abi::tls_offset_rcx, r.ecx);
        m_sys.tls_set(abi::tls_offset_rdx, r.edx);
        m_sys.advance_ip_and_run_current();
    }

    /// The real value of one of the MSRs MicroV intercepts, as the policy needs it.
    uint64_t hw_msr(uint64_t vsid, uint32_t msr) noexcept(sys_nothrow<Sys>)
    {
        if (msr == msr_efer) {
            return m_sys.vs_read(vsid, abi::reg::efer);  // the root VM's own EFER is its VS's
        }
        return m_sys.rdmsr(msr);
    }

    /// What the policy needs to decide a write of EFER (rare): the bits this CPU has and whether
    /// the root VM has paging on.
    msr_state msr_write_state(uint64_t vsid, uint32_t msr, uint64_t hw) noexcept(sys_nothrow<Sys>)
    {
        if (msr != msr_efer) {
            return {hw, 0, false};
        }
        const auto cpuid = [this](uint32_t leaf, uint32_t subleaf) { return m_sys.cpuid(leaf, subleaf); };
        const uint32_t max_ext = cpuid(0x80000000U, 0).eax;
        const auto leaf = [&](uint32_t fn) { return max_ext >= fn ? cpuid(fn, 0) : cpuid_regs{}; };
        const cpuid_regs ext1 = leaf(0x80000001U);
        const efer_cpuid c{ext1.ecx, ext1.edx, leaf(0x80000008U).ebx, leaf(0x80000021U).eax};
        const bool paging = (m_sys.vs_read(vsid, abi::reg::cr0) & cr0_pg) != 0;
        return {hw, efer_settable(c), paging};
    }

    [[noreturn]] void msr(uint64_t vsid, bool write) noexcept(sys_nothrow<Sys>)
    {
        // The access: which MSR, and the value written (EDX:EAX).
        const auto msr = static_cast<uint32_t>(m_sys.tls_get(abi::tls_offset_rcx));
        const uint64_t hw = msr_intercepted(msr) ? hw_msr(vsid, msr) : 0;  // only MicroV's own need it
        const uint64_t value = edx_eax(m_sys);
        const msr_result r = write ? root_wrmsr(msr, value, msr_write_state(vsid, msr, hw)) : root_rdmsr(msr, hw);

        if (r.action == msr_action::inject_gp || r.action == msr_action::pass) {
            // Only MicroV's own MSRs exit; anything else here would be a wrong map: refuse it.
            inject_gp(vsid);
            m_sys.run_current();
        }
        if (r.action == msr_action::ignore) {
            m_sys.advance_ip_and_run_current();
        }
        if (write && msr_write_checked(msr)) {
            // Through the microkernel, which decides what of the host's MSR may change.
            if (!m_sys.wrmsr(msr, r.value)) {
                inject_gp(vsid);
                m_sys.run_current();
            }
        } else if (write) {
            m_sys.vs_write(vsid, abi::reg::efer, r.value);  // the VS's own EFER
        } else {
            m_sys.tls_set(abi::tls_offset_rax, r.value & 0xFFFFFFFFU);
            m_sys.tls_set(abi::tls_offset_rdx, r.value >> 32);
        }
        m_sys.advance_ip_and_run_current();
    }

    /// Port I/O on MicroV's own UART (the only ports that exit): no device for the root VM.
    [[noreturn]] void io(uint64_t vsid) noexcept(sys_nothrow<Sys>)
    {
        const io_access a = decode_io(m_sys.tls_get(abi::tls_offset_exit_qualification));
        const io_action action = root_io(a);
        if (action == io_action::inject_gp) {
            inject_gp(vsid);
            m_sys.run_current();
        }
        if (action == io_action::in_all_ones) {
            m_sys.tls_set(abi::tls_offset_rax, in_all_ones_rax(m_sys.tls_get(abi::tls_offset_rax), a.size));
        }
        m_sys.advance_ip_and_run_current();
    }

private:
    Sys &m_sys;
};

}  // namespace vmm
