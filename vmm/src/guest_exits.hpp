// SPDX-License-Identifier: MIT
// The exits of guests' VSs, vendor-neutral (the microkernel's reason and exit record): what MicroV
// answers itself stays inside (CPUID from the guest's table, EFER, the instructions a guest may
// not have); everything else ends the root VS's mv_vs_op_run on this PP with the spec's exit
// structure in its shared page (mv_exit_*_t), RAX SUCCESS and REG0 the mv_exit_reason_t.
#pragma once

#include "extension_state.hpp"
#include "guest_cpuid.hpp"
#include "guest_msrs.hpp"
#include "msr_policy.hpp"
#include "sys.hpp"

#include <microv/hypercall.h>
#include <mk/exit_abi.hpp>

#include <stdint.h>

namespace vmm {

/// The exception event words a guest may get from MicroV itself.
inline constexpr uint64_t event_gp = abi::event(13, abi::event_kind::exception, true, 0);
inline constexpr uint64_t event_ud = abi::event(6, abi::event_kind::exception, false, 0);

template <vmm_sys Sys>
class guest_exits {
public:
    constexpr guest_exits(Sys &sys, extension_state &state) noexcept : m_sys{sys}, m_state{state} {}

    [[noreturn]] void exit(uint64_t vsid, abi::exit_reason reason) noexcept(sys_nothrow<Sys>)
    {
        using r = abi::exit_reason;
        // Before anything is written: a guest runs only inside its root VS's mv_vs_op_run.
        if (!pp().guest_running || pp().shared_va == 0) {
            m_sys.write_str("microv: a guest exited on a PP whose root VS does not run it\n");
            m_sys.exit_failure();
        }
        switch (reason) {
        case r::cpuid:
            cpuid(vsid);
        case r::msr_read:
        case r::msr_write:
            msr(vsid, reason == r::msr_write);
        case r::io:
            io(vsid);
        case r::nested_page_fault:
            mmio(vsid);
        case r::hlt:
            hlt(vsid, MV_HLT_SHUTDOWN, true);
        case r::triple_fault:
            hlt(vsid, MV_HLT_VM_CRASH, false);
        case r::xsetbv:
            xsetbv(vsid);
        case r::interrupt:
            to_root(MV_EXIT_REASON_INTERRUPT);
        case r::nmi:
            to_root(MV_EXIT_REASON_NMI);
        case r::invd:
            m_sys.advance_ip_and_run_current();  // the guest's own lines only: as WBINVD, which is a no-op
        case r::hypercall:
        case r::virtualization_insn:
            fault(vsid, event_ud);  // guests have neither MicroV's hypercalls nor SVM
        case r::entry_failed:
            to_root(MV_EXIT_REASON_FAILURE, MV_STATUS_EXIT_FAILURE);
        default:
            unknown();
        }
    }

private:
    /// The shared page of this PP, where the exit's structure goes (mv_vs_op_run checked it).
    pp_record &pp() noexcept
    {
        const auto ppid = static_cast<uint16_t>(m_sys.tls_get(abi::tls_offset_active_ppid) & 0xFFFF);
        return m_state.pps[ppid < extension_state::max_pps ? ppid : 0];
    }
    template <class T>
    T &page() noexcept
    {
        return *reinterpret_cast<T *>(pp().shared_va);
    }

    /// Ends the root VS's mv_vs_op_run: RAX the status, REG0 the exit reason, RIP past its
    /// VMMCALL. (Not before: should the PPs leave while the guest runs, the microkernel fails the
    /// root VS's hypercall in flight and steps over it itself.)
    [[noreturn]] void to_root(uint64_t exit_reason, uint64_t status = MV_STATUS_SUCCESS) noexcept(sys_nothrow<Sys>)
    {
        pp_record &p = pp();
        p.guest_running = false;
        m_sys.vs_write(p.root_vsid, abi::reg::rax, status);
        m_sys.vs_write(p.root_vsid, abi::reg::r10, exit_reason);
        m_sys.vs_write(p.root_vsid, abi::reg::rip, m_sys.vs_read(p.root_vsid, abi::reg::rip) + p.run_insn_length);
        m_sys.run(abi::root_vmid, p.root_vpid, p.root_vsid);
    }

    /// What the microkernel keeps of the exited guest's VS beside its registers.
    guest_vs_record &record(uint64_t vsid) noexcept { return m_state.guest_vss[vsid < abi::max_vss ? vsid : 0]; }

    /// CPUID from the VS's table: what MicroV allows, less what its VMM turned off.
    [[noreturn]] void cpuid(uint64_t vsid) noexcept(sys_nothrow<Sys>)
    {
        const auto fun = static_cast<uint32_t>(m_sys.tls_get(abi::tls_offset_rax));
        const auto idx = static_cast<uint32_t>(m_sys.tls_get(abi::tls_offset_rcx));
        cpuid_regs a =
            record(vsid).cpuid.answer(fun, idx, [this](uint32_t f, uint32_t i) { return m_sys.cpuid(f, i); });
        if (fun == 1 || fun == 7) {
            a = guest_cpuid_mirror(fun, idx, a, m_sys.vs_read(vsid, abi::reg::cr4));
        }
        m_sys.tls_set(abi::tls_offset_rax, a.eax);
        m_sys.tls_set(abi::tls_offset_rbx, a.ebx);
        m_sys.tls_set(abi::tls_offset_rcx, a.ecx);
        m_sys.tls_set(abi::tls_offset_rdx, a.edx);
        m_sys.advance_ip_and_run_current();
    }

    /// EFER here; every other MSR the guest does not hold itself goes to the VMM, RIP on the
    /// instruction (the VMM sets RAX/RDX and RIP with mv_run_t).
    [[noreturn]] void msr(uint64_t vsid, bool write) noexcept(sys_nothrow<Sys>)
    {
        const auto index = static_cast<uint32_t>(m_sys.tls_get(abi::tls_offset_rcx));
        const uint64_t value = edx_eax(m_sys);
        if (index == msr_efer) {
            efer(vsid, write, value);
        }
        auto &e = page<mv_exit_msr_t>();
        e.msr.reg = index;
        e.msr.val = write ? value : 0;
        e.flags = write ? MV_EXIT_MSR_WRITE : MV_EXIT_MSR_READ;
        to_root(MV_EXIT_REASON_MSR);
    }

    [[noreturn]] void efer(uint64_t vsid, bool write, uint64_t value) noexcept(sys_nothrow<Sys>)
    {
        const uint64_t now = m_sys.vs_read(vsid, abi::reg::efer);
        if (!write) {
            m_sys.tls_set(abi::tls_offset_rax, (now & guest_efer_bits) & 0xFFFFFFFFU);
            m_sys.tls_set(abi::tls_offset_rdx, (now & guest_efer_bits) >> 32);
            m_sys.advance_ip_and_run_current();
        }
        if ((value & ~guest_efer_bits) != 0) {
            fault(vsid, event_gp);
        }
        // LMA is the CPU's to set (on paging with LME); the microkernel puts SVME back itself.
        m_sys.vs_write(vsid, abi::reg::efer, (value & ~(1ULL << 10)) | (now & ~guest_efer_bits) | (now & (1ULL << 10)));
        m_sys.advance_ip_and_run_current();
    }

    /// XSETBV of XCR0: the microkernel keeps it and refuses what the host's XCR0 cannot hold;
    /// that, or another XCR, is #GP, as on a CPU.
    [[noreturn]] void xsetbv(uint64_t vsid) noexcept(sys_nothrow<Sys>)
    {
        const uint64_t value = edx_eax(m_sys);
        if ((m_sys.tls_get(abi::tls_offset_rcx) & 0xFFFFFFFFU) != 0 ||
            m_sys.vs_set(vsid, abi::reg::xcr0, value) != abi::status_success) {
            fault(vsid, event_gp);
        }
        m_sys.advance_ip_and_run_current();
    }

    /// IN, OUT, INS, OUTS: the VMM does the access; RIP goes past the instruction first.
    [[noreturn]] void io(uint64_t vsid) noexcept(sys_nothrow<Sys>)
    {
        const uint64_t q = m_sys.tls_get(abi::tls_offset_exit_qualification);
        const uint8_t size = abi::io_size(q);
        const uint64_t rax = m_sys.tls_get(abi::tls_offset_rax);
        const bool in = (q & abi::io_in) != 0;
        const bool rep = (q & abi::io_rep) != 0;
        auto &e = page<mv_exit_io_t>();
        e.addr = abi::io_port(q);
        e.data = in ? rax : rax & (size >= 4 ? 0xFFFFFFFFULL : (1ULL << (8U * size)) - 1);
        // REP counts with as much of RCX as the address size says (CX in 16-bit code).
        const uint8_t a = abi::io_addr_size(q);
        const uint64_t count_mask = a == 2 ? 0xFFFFU : a == 4 ? 0xFFFFFFFFU : ~uint64_t{0};
        e.reps = rep ? m_sys.tls_get(abi::tls_offset_rcx) & count_mask : 1;
        e.type = (in ? MV_EXIT_IO_IN : MV_EXIT_IO_OUT) | ((q & abi::io_string) != 0 ? MV_EXIT_IO_STRING : 0) |
                 (rep ? MV_EXIT_IO_REP : 0);
        e.size = size == 1 ? MV_BIT_SIZE_8 : size == 2 ? MV_BIT_SIZE_16 : MV_BIT_SIZE_32;
        step(vsid);
        to_root(MV_EXIT_REASON_IO);
    }

    /// A GPA with no mapping: the VMM decodes and emulates (MicroV does not), RIP on the access.
    [[noreturn]] void mmio(uint64_t vsid) noexcept(sys_nothrow<Sys>)
    {
        const uint64_t q = m_sys.tls_get(abi::tls_offset_exit_qualification);
        auto &e = page<mv_exit_mmio_t>();
        e.gpa = m_sys.tls_get(abi::tls_offset_exit_gpa);
        e.flags = MV_EXIT_MMIO_READ | ((q & abi::npf_write) != 0 ? MV_EXIT_MMIO_WRITE : 0) |
                  ((q & abi::npf_fetch) != 0 ? MV_EXIT_MMIO_EXECUTE : 0);
        e.reserved0 = 0;
        e.reserved1 = 0;
        constexpr uint64_t order[] = {
            abi::tls_offset_rax, abi::tls_offset_rbx, abi::tls_offset_rcx, abi::tls_offset_rdx, abi::tls_offset_rbp,
            abi::tls_offset_rsi, abi::tls_offset_rdi, abi::tls_offset_r8,  abi::tls_offset_r9,  abi::tls_offset_r10,
            abi::tls_offset_r11, abi::tls_offset_r12, abi::tls_offset_r13, abi::tls_offset_r14, abi::tls_offset_r15};
        for (uint64_t i = 0; i < 32; ++i) {
            e.regs[i] = 0;
        }
        for (uint64_t i = 0; i < 15; ++i) {
            e.regs[i] = m_sys.tls_get(order[i]);
        }
        e.regs[15] = m_sys.vs_read(vsid, abi::reg::rsp);
        e.regs[16] = m_sys.vs_read(vsid, abi::reg::rip);
        to_root(MV_EXIT_REASON_MMIO);
    }

    [[noreturn]] void hlt(uint64_t vsid, uint64_t why, bool past) noexcept(sys_nothrow<Sys>)
    {
        if (past) {
            step(vsid);
            __atomic_store_n(&record(vsid).mp_state, MV_MP_STATE_WAIT, __ATOMIC_RELAXED);  // until it runs again
        }
        page<mv_exit_hlt_t>().reason = why;
        to_root(MV_EXIT_REASON_HLT);
    }

    [[noreturn]] void unknown() noexcept(sys_nothrow<Sys>)
    {
        auto &e = page<mv_exit_unknown_t>();
        e.info0 = m_sys.tls_get(abi::tls_offset_exit_vendor_reason);
        e.info1 = m_sys.tls_get(abi::tls_offset_exit_vendor_info0);
        e.info2 = m_sys.tls_get(abi::tls_offset_exit_vendor_info1);
        e.info3 = m_sys.tls_get(abi::tls_offset_exit_pending_event);
        to_root(MV_EXIT_REASON_UNKNOWN, MV_STATUS_EXIT_UNKNOWN);
    }

    /// An exception for the guest, at the instruction that exited; it runs on.
    [[noreturn]] void fault(uint64_t vsid, uint64_t event) noexcept(sys_nothrow<Sys>)
    {
        if (!m_sys.inject(vsid, event)) {
            unknown();  // an event already pending: the VMM decides
        }
        m_sys.run_current();
    }

    /// RIP past the instruction that exited (the microkernel knows its length for these exits).
    void step(uint64_t vsid) noexcept(sys_nothrow<Sys>)
    {
        m_sys.vs_write(vsid, abi::reg::rip,
                       m_sys.vs_read(vsid, abi::reg::rip) + m_sys.tls_get(abi::tls_offset_exit_insn_length));
    }

    Sys &m_sys;
    extension_state &m_state;
};

}  // namespace vmm
