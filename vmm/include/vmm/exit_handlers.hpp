// SPDX-License-Identifier: MIT
// The MicroV extension's logic: make the root VM's VS on a PP (bootstrap) and handle the root VM's
// exits. The decisions are in vmm/cpuid_policy.hpp and vmm/msr_policy.hpp; this file turns exits
// into those decisions and the decisions into operations of Sys, the seam over the syscall
// instruction and the TLS block. vmm/src/main.cpp binds Sys to the real syscalls; host tests bind
// it to a fake. Freestanding: no standard library.
//
// What Sys must provide is the concept root_sys below; each operation is the syscall named
// beside it. A never-returning operation whose syscall fails ends in exit_failure. The handlers
// are noexcept exactly when every operation of Sys is, so that a test's fake may end a path with
// an exception.
#pragma once

#include <microv/mk_boot.h>
#include <mk/concepts.hpp>
#include <mk/exit_abi.hpp>
#include <mk/format.hpp>
#include <mk/spinlock.hpp>
#include <mk/syscall_abi.hpp>
#include <vmm/cpuid_policy.hpp>
#include <vmm/hypercalls.hpp>
#include <vmm/io_policy.hpp>
#include <vmm/msr_policy.hpp>
#include <vmm/rate_limit.hpp>

#include <stdint.h>

namespace vmm {

namespace abi = mk::abi;

/// The loader gives a PP back to the root OS (the boot protocol, microv/mk_boot.h).
inline constexpr uint64_t loader_stop = MV_LOADER_HYPERCALL_STOP;
/// RAX for a stop the microkernel refused: not every CPU asked.
inline constexpr uint64_t loader_stop_refused = MV_LOADER_STOP_REFUSED;

#ifdef MICROV_TEST_FAULTS
/// Test build only: the private hypercall that makes the extension fault.
inline constexpr uint64_t test_fault = 0x764D0000FFFE0000ULL;
/// Test build only: the private hypercall that asks the microkernel's test build to fault.
inline constexpr uint64_t test_mk_fault = 0x764D0000FFFD0000ULL;
/// Test build only: the private syscall the microkernel's test build faults on.
inline constexpr uint64_t test_mk_fault_syscall = 0x66420000FFFF0000ULL;
/// Test build only: the private hypercall, and syscall, that write below the syscall stack.
inline constexpr uint64_t test_stack_overflow = 0x764D0000FFFB0000ULL;
inline constexpr uint64_t test_stack_overflow_syscall = 0x66420000FFFE0000ULL;
/// Test build only: the private hypercall by which the extension tries to take away, on this PP's
/// root VS, what ring 0 keeps on every entry: it ANDs R12 into each of the caller's registers from
/// R10 to R11 (bf_reg_t numbers: the test names the vendor's fields, the extension does not).
inline constexpr uint64_t test_write_regs = 0x764D0000FFF90000ULL;
/// Test build only: the same below the NMI's IST stack.
inline constexpr uint64_t test_ist_overflow = 0x764D0000FFFA0000ULL;
inline constexpr uint64_t test_ist_overflow_syscall = 0x66420000FFFD0000ULL;
#endif

namespace detail {
/// A Sys in unevaluated operands only (std::declval without the standard library).
template <class T>
T &unevaluated() noexcept;
}  // namespace detail

namespace detail {
using mk::same_as;
/// What a syscall with an output register gives back: its status and that register.
template <class R>
concept status_and_reg0 = requires(R r)
{
    {
        r.status
        } -> same_as<uint64_t &>;
    {
        r.reg0
        } -> same_as<uint64_t &>;
};
}  // namespace detail

/// The seam under root_handlers: the microkernel's syscalls and the TLS block (vmm/src/main.cpp),
/// or a host test's fake. The IDs are the microkernel's (vsid, vpid, ppid, vmid).
template <class S>
concept root_sys = requires(S &s, uint64_t id, abi::reg r, uint32_t msr, const char *text)
{
    {
        s.vs_read(id, r)
        } -> detail::same_as<uint64_t>;  // bf_vs_op_read, the value only
    s.vs_write(id, r, id);               // bf_vs_op_write
    {
        s.tls_get(id)
        } -> detail::same_as<uint64_t>;  // the TLS block at FS:offset
    s.tls_set(id, id);
    {
        s.cpuid(msr, msr)
        } -> detail::same_as<cpuid_regs>;  // the real CPU's CPUID (leaf, subleaf)
    {
        s.rdmsr(msr)
        } -> detail::same_as<uint64_t>;  // bf_intrinsic_op_rdmsr, the value only
    {
        s.wrmsr(msr, id)
        } -> detail::same_as<bool>;  // bf_intrinsic_op_wrmsr, whether it succeeded
    {
        s.inject(id, id)
        } -> detail::same_as<bool>;  // bf_vs_op_inject (vsid, event word), whether it was taken
    s.write_str(text);               // bf_debug_op_write_str
    {
        s.tsc()
        } -> detail::same_as<uint64_t>;  // RDTSC
    {
        s.create_vp(id)
        } -> detail::status_and_reg0;  // bf_vp_op_create_vp
    {
        s.create_vs(id, id)
        } -> detail::status_and_reg0;  // bf_vs_op_create_vs (vpid, ppid)
    {
        s.init_as_root(id)
        } -> detail::same_as<uint64_t>;  // bf_vs_op_init_as_root, its status
    {
        s.map_direct(id)
        } -> detail::status_and_reg0;  // bf_vm_op_map_direct of the root VM
    {
        s.unmap_direct(id)
        } -> detail::same_as<uint64_t>;  // bf_vm_op_unmap_direct, its status
    s.promote(id);                       // bf_vs_op_promote: returns only if refused
    // Never returning ([[noreturn]]): they end the callback.
    s.run(id, id, id);               // bf_vs_op_run (vmid, vpid, vsid)
    s.run_current();                 // bf_vs_op_run_current
    s.advance_ip_and_run_current();  // bf_vs_op_advance_ip_and_run_current
    s.exit_failure();                // bf_control_op_exit, failure
};

/// What MicroV keeps per PP for the root VM.
struct pp_record {
    uint64_t shared_gpa;     // the shared page (mv_pp_op_set_shared_page_gpa) ...
    uint64_t shared_va;      // ... and where the extension reaches it; 0: none
    uint64_t tsc_khz;        // mv_pp_op_tsc_set_khz; 0: never set
    rate_limit debug_lines;  // mv_debug_op_out's lines (debug_out_burst, debug_out_period)
};

/// mv_debug_op_out prints at most this many lines at once per PP, then one per period of TSC
/// ticks (about 20 a second at 2.5 GHz): each line holds GIF=0 while it goes out on the serial
/// port, and any root-VM process may ask for lines.
inline constexpr uint32_t debug_out_burst = 32;
inline constexpr uint64_t debug_out_period = 1ULL << 27;

/// What the handlers keep across exits, for all PPs: zero-initialized, it is the image's .bss.
struct root_state {
    /// The PPs MicroV can have (MV_LOADER_MAX_CPUS).
    static constexpr uint64_t max_pps = 1024;
    pp_record pps[max_pps];
    uint32_t shared_lock;  // over every PP's shared page fields
};

/// The bootstrap, vmexit and fail callbacks of the root VM, over the operations of Sys.
template <root_sys Sys>
class root_handlers {
public:
    /// Whether every operation of Sys is noexcept: the real image's are, a test's fake's are not.
    static constexpr bool nothrow = noexcept(detail::unevaluated<Sys>().vs_read(0, abi::reg::rax)) &&noexcept(
        detail::unevaluated<Sys>().vs_write(0, abi::reg::rax, 0)) &&noexcept(detail::unevaluated<Sys>().tls_get(0))
        &&noexcept(detail::unevaluated<Sys>().tls_set(0, 0)) &&noexcept(detail::unevaluated<Sys>().cpuid(
            0, 0)) &&noexcept(detail::unevaluated<Sys>().rdmsr(0)) &&noexcept(detail::unevaluated<Sys>().wrmsr(0, 0))
            &&noexcept(detail::unevaluated<Sys>().write_str("")) &&noexcept(
                detail::unevaluated<Sys>().create_vp(0)) &&noexcept(detail::unevaluated<Sys>().create_vs(0, 0))
                &&noexcept(detail::unevaluated<Sys>().init_as_root(0)) &&noexcept(
                    detail::unevaluated<Sys>().run(0, 0, 0)) &&noexcept(detail::unevaluated<Sys>().run_current())
                    &&noexcept(detail::unevaluated<Sys>().advance_ip_and_run_current()) &&noexcept(
                        detail::unevaluated<Sys>().promote(0)) &&noexcept(detail::unevaluated<Sys>().exit_failure())
                        &&noexcept(detail::unevaluated<Sys>().map_direct(0)) &&noexcept(
                            detail::unevaluated<Sys>().unmap_direct(
                                0)) &&noexcept(detail::unevaluated<Sys>().inject(0, 0));

    constexpr root_handlers(Sys &sys, root_state &state) noexcept : m_sys{sys}, m_state{state} {}

    /// On every PP: the OS there becomes the root VM's VS, and runs as it.
    [[noreturn]] void bootstrap(uint64_t ppid) noexcept(nothrow)
    {
        // A VP of the root VM, and a VS on this PP from the OS's own state (the microkernel has
        // 64 of each: a 65th PP's start fails here, and says so).
        const auto vp = m_sys.create_vp(abi::root_vmid);
        if (vp.status != abi::status_success) {
            m_sys.write_str("microv: cannot make the root VP (no VP left)\n");
            m_sys.exit_failure();
        }
        const auto vs = m_sys.create_vs(vp.reg0, ppid);
        if (vs.status != abi::status_success || m_sys.init_as_root(vs.reg0) != abi::status_success) {
            m_sys.write_str("microv: cannot make the root VS\n");
            m_sys.exit_failure();
        }
        // Say so, then run it.
        char pp[19];
        char line[64];  // one write: the PPs' lines do not interleave
        m_sys.write_str(mk::join(line, "microv: root OS had been demoted to vm 0x0000 on pp 0x",
                                 mk::format_hex64(ppid & 0xFFFF, pp) + 14, "\n"));  // four hex digits
        m_sys.run(abi::root_vmid, vp.reg0, vs.reg0);
    }

    /// On every exit of a VS this extension runs: the microkernel's neutral reason
    /// (mk/exit_abi.hpp), with the exit record in the TLS block.
    [[noreturn]] void vmexit(uint64_t vsid, uint64_t exit_reason) noexcept(nothrow)
    {
        using reason = abi::exit_reason;
        switch (static_cast<reason>(exit_reason)) {
        case reason::cpuid:
            handle_cpuid();
        case reason::msr_read:
        case reason::msr_write:
            handle_msr(vsid, static_cast<reason>(exit_reason) == reason::msr_write);
        case reason::io:
            handle_io(vsid);
        case reason::invd:
            // Run as a no-op: the caches keep every line, MicroV's among them (WBINVD would write
            // them back first; nothing an OS does needs lines dropped unwritten).
            m_sys.advance_ip_and_run_current();
        case reason::hypercall:
            handle_vmmcall(vsid);
        case reason::virtualization_insn:
            // The root VM sees no SVM (CPUID, EFER.SVME clear): an SVM instruction is #UD there.
            inject_fault(vsid, invalid_opcode);
            m_sys.run_current();
        case reason::nested_page_fault:
            handle_npf(vsid);
        case reason::triple_fault:
            m_sys.write_str("microv: the root VM shut down (triple fault)\n");
            m_sys.exit_failure();
        default:
            report_unexpected();
        }
    }

    /// When the microkernel reports a fault it could not handle on its own.
    [[noreturn]] void fail() noexcept(nothrow)
    {
        m_sys.write_str("microv: fail callback\n");
        m_sys.exit_failure();
    }

private:
    /// The root VM reached memory its nested page tables leave out: MicroV's own. Reported, and
    /// the root OS gets #GP: it cannot read or write there, and MicroV goes on. Where the access
    /// was the delivery of an event (EXITINTINFO valid: e.g. a push on a stack that lies in
    /// MicroV's memory), the root OS cannot go on as it was: the #GP MicroV injected escalates to
    /// #DF, as the CPU would escalate it, so that the root OS reports its own state; a #DF that
    /// cannot be delivered either is the end of the root VM on this PP (as a triple fault is).
    [[noreturn]] void handle_npf(uint64_t vsid) noexcept(nothrow)
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
    [[noreturn]] void report_unexpected() noexcept(nothrow)
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
    void inject_fault(uint64_t vsid, uint8_t vector) noexcept(nothrow)
    {
        if (!m_sys.inject(vsid, abi::event(vector, abi::event_kind::exception, vector != invalid_opcode, 0))) {
            m_sys.write_str("microv: the microkernel refused an exception for the root VM\n");
            m_sys.exit_failure();
        }
    }

    /// #GP(0) on the VS's next run.
    void inject_gp(uint64_t vsid) noexcept(nothrow) { inject_fault(vsid, general_protection); }

    [[noreturn]] void handle_cpuid() noexcept(nothrow)
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
    uint64_t hw_msr(uint64_t vsid, uint32_t msr) noexcept(nothrow)
    {
        if (msr == msr_efer) {
            return m_sys.vs_read(vsid, abi::reg::efer);  // the root VM's own EFER lives in its VMCB
        }
        return m_sys.rdmsr(msr);
    }

    /// What the policy needs to decide a write of EFER (rare): the bits this CPU has and whether
    /// the root VM has paging on.
    msr_state msr_write_state(uint64_t vsid, uint32_t msr, uint64_t hw) noexcept(nothrow)
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

    [[noreturn]] void handle_msr(uint64_t vsid, bool write) noexcept(nothrow)
    {
        // The access: which MSR, and the value written (EDX:EAX).
        const auto msr = static_cast<uint32_t>(m_sys.tls_get(abi::tls_offset_rcx));
        const uint64_t hw = msr_intercepted(msr) ? hw_msr(vsid, msr) : 0;  // only MicroV's own need it
        const uint64_t value =
            (m_sys.tls_get(abi::tls_offset_rax) & 0xFFFFFFFFU) | (m_sys.tls_get(abi::tls_offset_rdx) << 32);
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
    [[noreturn]] void handle_io(uint64_t vsid) noexcept(nothrow)
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

    [[noreturn]] void handle_vmmcall(uint64_t vsid) noexcept(nothrow)
    {
        // The loader's stop, from the root VM's kernel only: give this PP back.
        if (m_sys.tls_get(abi::tls_offset_rax) == loader_stop && m_sys.tls_get(abi::tls_offset_exit_cpl) == 0) {
            m_sys.tls_set(abi::tls_offset_rax, 0);
            // The OS goes on past its VMMCALL (whose length the microkernel always knows).
            m_sys.vs_write(vsid, abi::reg::rip,
                           m_sys.vs_read(vsid, abi::reg::rip) + m_sys.tls_get(abi::tls_offset_exit_insn_length));
            m_sys.promote(vsid);
            // Refused: every PP that runs the root VM must ask, and the others did not in time.
            m_sys.tls_set(abi::tls_offset_rax, loader_stop_refused);
            m_sys.run_current();
        }
#ifdef MICROV_TEST_FAULTS
        // Test build only: a hypercall that makes the extension fault, to test the microkernel's
        // handling of a faulting extension.
        if (m_sys.tls_get(abi::tls_offset_rax) == test_fault) {
            *reinterpret_cast<volatile uint64_t *>(0x10) = 1;
        }
        if (m_sys.tls_get(abi::tls_offset_rax) == test_mk_fault) {
            m_sys.raw_syscall(test_mk_fault_syscall);
        }
        if (m_sys.tls_get(abi::tls_offset_rax) == test_stack_overflow) {
            m_sys.raw_syscall(test_stack_overflow_syscall);
        }
        if (m_sys.tls_get(abi::tls_offset_rax) == test_ist_overflow) {
            m_sys.raw_syscall(test_ist_overflow_syscall);
        }
        if (m_sys.tls_get(abi::tls_offset_rax) == test_write_regs) {
            const uint64_t mask = m_sys.tls_get(abi::tls_offset_r12);
            for (uint64_t r = m_sys.tls_get(abi::tls_offset_r10); r <= m_sys.tls_get(abi::tls_offset_r11); ++r) {
                const auto reg = static_cast<abi::reg>(r);
                m_sys.vs_write(vsid, reg, m_sys.vs_read(vsid, reg) & mask);
            }
            m_sys.tls_set(abi::tls_offset_rax, 0);
            m_sys.advance_ip_and_run_current();
        }
#endif
        // The stop from anywhere but the root VM's kernel is refused.
        if (m_sys.tls_get(abi::tls_offset_rax) == loader_stop) {
            m_sys.tls_set(abi::tls_offset_rax, MV_STATUS_INVALID_PERM_DENIED);
            m_sys.advance_ip_and_run_current();
        }
        handle_hypercall();
    }

    /// An mv_* hypercall: registers from the TLS block in, results back (hypercalls.hpp).
    [[noreturn]] void handle_hypercall() noexcept(nothrow)
    {
        // The active PPID (0xFF8) and the online PPs (0xFFA) share one 8-byte word of the TLS block.
        const uint64_t pps = m_sys.tls_get(abi::tls_offset_active_ppid);
        const auto ppid = static_cast<uint16_t>(pps & 0xFFFF);
        if (ppid >= root_state::max_pps) {
            finish_hypercall(detail::status(MV_STATUS_FAILURE_UNKNOWN));
        }
        pp_record &pp = m_state.pps[ppid];
        const uint64_t rax = m_sys.tls_get(abi::tls_offset_rax);
        const hypercall_in in{rax,
                              {m_sys.tls_get(abi::tls_offset_r10), m_sys.tls_get(abi::tls_offset_r11),
                               m_sys.tls_get(abi::tls_offset_r12), m_sys.tls_get(abi::tls_offset_r13)},
                              ppid,
                              static_cast<uint16_t>((pps >> 16) & 0xFFFF),
                              caller_cpl(rax),
                              pp.tsc_khz};
        hypercall_out out = root_hypercall(in);
        switch (out.action) {
        case hypercall_action::debug_out:
            debug_out(pp, in.reg[0], in.reg[1]);
            break;
        case hypercall_action::set_shared_page:
        case hypercall_action::clr_shared_page:
            out.status = shared_page(pp, out.action == hypercall_action::set_shared_page, in.reg[1]);
            break;
        case hypercall_action::shared_page_call:
            out.status = pp.shared_va == 0
                             ? MV_STATUS_FAILURE_UNKNOWN  // no shared page on this PP
                             : serve_shared_page(out.call, shared_page_view{reinterpret_cast<void *>(pp.shared_va)},
                                                 [this](uint32_t fun, uint32_t idx) { return m_sys.cpuid(fun, idx); });
            break;
        case hypercall_action::set_tsc_khz:
            pp.tsc_khz = in.reg[1];
            break;
        case hypercall_action::none:
            break;
        }
        finish_hypercall(out);
    }

    /// The caller's CPL where the answer depends on it; else 3, the least privileged.
    uint8_t caller_cpl(uint64_t rax) noexcept(nothrow)
    {
        return hypercall_needs_cpl(rax) ? static_cast<uint8_t>(m_sys.tls_get(abi::tls_offset_exit_cpl) & 3U) : 3;
    }

    /// The results in the caller's registers, past its VMMCALL.
    [[noreturn]] void finish_hypercall(const hypercall_out &out) noexcept(nothrow)
    {
        if (out.write_reg0) {
            m_sys.tls_set(abi::tls_offset_r10, out.reg0);
        }
        m_sys.tls_set(abi::tls_offset_rax, out.status);
        m_sys.advance_ip_and_run_current();
    }

    /// mv_debug_op_out: the two values on MicroV's debug output, within this PP's rate limit;
    /// the first line after refused ones says how many there were. The hypercall succeeds either way.
    void debug_out(pp_record &pp, uint64_t a, uint64_t b) noexcept(nothrow)
    {
        if (!pp.debug_lines.allow(m_sys.tsc(), debug_out_burst, debug_out_period)) {
            return;
        }
        char ha[19];
        char hb[19];
        char line[96];  // each line in one write: the PPs' lines do not interleave
        if (const uint32_t dropped = pp.debug_lines.take_dropped(); dropped != 0) {
            m_sys.write_str(mk::join(line, "mv_debug_op_out: ", mk::format_hex64(dropped, ha),
                                     " lines not shown on this PP (rate limit)\n"));
        }
        m_sys.write_str(
            mk::join(line, "mv_debug_op_out: ", mk::format_hex64(a, ha), " ", mk::format_hex64(b, hb), "\n"));
    }

    /// mv_pp_op_set/clr_shared_page_gpa: a new shared page for this PP, or none. The microkernel
    /// maps a page only if it is the root VM's RAM and not MicroV's. Several PPs may name the same
    /// page: it stays mapped while any of them does, so no PP loses a page another one unmapped.
    uint64_t shared_page(pp_record &pp, bool set, uint64_t gpa) noexcept(nothrow)
    {
        const mk::spin_guard g{m_state.shared_lock};
        // The old page goes first (a failed set leaves none).
        if (pp.shared_va != 0) {
            const uint64_t va = pp.shared_va;
            pp.shared_va = 0;
            if (!shared_elsewhere(pp.shared_gpa)) {
                m_sys.unmap_direct(va);
            }
        }
        if (!set) {
            return MV_STATUS_SUCCESS;
        }
        const auto mapped = m_sys.map_direct(gpa);
        if (mapped.status != abi::status_success) {
            return MV_STATUS_INVALID_INPUT_REG1;
        }
        pp.shared_gpa = gpa;
        pp.shared_va = mapped.reg0;
        return MV_STATUS_SUCCESS;
    }

    /// Whether any PP has gpa as its shared page (with the shared lock held).
    bool shared_elsewhere(uint64_t gpa) const noexcept
    {
        for (const pp_record &r : m_state.pps) {
            if (r.shared_va != 0 && r.shared_gpa == gpa) {
                return true;
            }
        }
        return false;
    }

    Sys &m_sys;
    root_state &m_state;
};

}  // namespace vmm
