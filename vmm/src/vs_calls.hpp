// SPDX-License-Identifier: MIT
// The VS hypercalls on a guest's state (spec 2.15): registers and MSRs one at a time and in
// lists (RDLs), its CPUID (CDLs), its multiprocessor state, events (an exception now, an
// interrupt when it can take one), address translation, and its x87/SSE/AVX state. The caller
// (hypercall_exits.hpp) has checked the handle, the CPL and that the ID is a guest's VS, and holds
// the objects lock, so the VS stays. The microkernel refuses a VS another PP runs right now; that
// is FAILURE_UNKNOWN here, as for mv_vs_op_destroy_vs. The shared page is read once per field and
// a failed call writes nothing to it. Decisions: docs/hypercalls.md.
#pragma once

#include "extension_state.hpp"
#include "guest_msrs.hpp"
#include "guest_paging.hpp"
#include "guest_regs.hpp"
#include "hypercalls.hpp"
#include "shared_page.hpp"
#include "sys.hpp"

#include <microv/hypercall.h>
#include <mk/exit_abi.hpp>
#include <mk/spinlock.hpp>

#include <stddef.h>
#include <stdint.h>

namespace vmm {

/// The status of a VS hypercall whose syscall the microkernel refused: a VS another PP runs
/// (INVALID_INPUT_REG1 from it) is busy; otherwise what the VS does not have.
constexpr uint64_t vs_refusal(uint64_t mk_status) noexcept
{
    return mk_status == abi::status_invalid_input_reg1 ? MV_STATUS_FAILURE_UNKNOWN : MV_STATUS_FAILURE_UNSUPPORTED;
}

/// Whether an exception vector pushes an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP,
/// #VC, #SX.
constexpr bool exception_has_error(uint64_t vector) noexcept
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 ||
           vector == 30;
}

/// mv_vs_op_inject_exception's event: vector 0-31 (2, the NMI, as an NMI), the error code
/// (REG3[31:0], MicroV's: the spec names none) where the vector pushes one; 0 for a vector above 31.
constexpr uint64_t exception_event(uint64_t vector, uint64_t error) noexcept
{
    if (vector > 31) {
        return 0;
    }
    if (vector == 2) {
        return abi::event(2, abi::event_kind::nmi, false, 0);
    }
    const bool has_error = exception_has_error(vector);
    return abi::event(static_cast<uint8_t>(vector), abi::event_kind::exception, has_error,
                      has_error ? static_cast<uint32_t>(error) : 0U);
}

/// The vectors mv_vs_op_queue_interrupt takes, as the spec says.
inline constexpr uint64_t queue_vector_min = 31;
inline constexpr uint64_t queue_vector_max = 255;

template <vmm_sys Sys>
class vs_calls {
public:
    constexpr vs_calls(Sys &sys, extension_state &state, pp_record &pp, uint16_t ppid) noexcept
        : m_sys{sys}, m_state{state}, m_pp{pp}, m_ppid{ppid}
    {
    }

    /// One of the VS hypercalls on the guest's VS vsid of VM vmid; reg the caller's REG0-REG3.
    hypercall_out call(hypercall_action a, uint64_t vsid, uint64_t vmid,
                       const uint64_t (&reg)[4]) noexcept(sys_nothrow<Sys>)
    {
        using h = hypercall_action;
        switch (a) {
        case h::reg_get:
        case h::reg_set:
            return single(registers{m_sys, vsid}, a == h::reg_set, reg[2], reg[3], MV_STATUS_INVALID_INPUT_REG2);
        case h::msr_get:
        case h::msr_set:
            return single(msrs{m_sys, vsid}, a == h::msr_set, reg[2] & 0xFFFFFFFFU, reg[3],
                          MV_STATUS_FAILURE_UNSUPPORTED);
        case h::reg_get_list:
        case h::reg_set_list:
            return with_page([&](const shared_page_view &p) {
                registers r{m_sys, vsid};
                return rdl(p, r, a == h::reg_set_list);
            });
        case h::msr_get_list:
        case h::msr_set_list:
            return with_page([&](const shared_page_view &p) {
                msrs m{m_sys, vsid};
                return rdl(p, m, a == h::msr_set_list);
            });
        case h::cpuid_get:
        case h::cpuid_set:
        case h::cpuid_get_list:
        case h::cpuid_set_list:
            return with_page([&](const shared_page_view &p) {
                return cdl(p, vsid, a == h::cpuid_set || a == h::cpuid_set_list,
                           a == h::cpuid_get_list || a == h::cpuid_set_list);
            });
        case h::mp_state_get:
            return detail::value(__atomic_load_n(&m_state.guest_vss[vsid].mp_state, __ATOMIC_RELAXED));
        case h::mp_state_set:
            if (reg[2] > MV_MP_STATE_SIPI) {
                return detail::status(MV_STATUS_INVALID_INPUT_REG2);
            }
            __atomic_store_n(&m_state.guest_vss[vsid].mp_state, static_cast<uint32_t>(reg[2]), __ATOMIC_RELAXED);
            return detail::status(MV_STATUS_SUCCESS);
        case h::inject_exception:
            if (reg[2] > 31) {
                return detail::status(MV_STATUS_INVALID_INPUT_REG2);
            }
            // Refused: an event is pending already (the VMM runs the VS first), or it runs elsewhere.
            return detail::status(m_sys.inject(vsid, exception_event(reg[2], reg[3])) ? MV_STATUS_SUCCESS
                                                                                      : MV_STATUS_FAILURE_UNKNOWN);
        case h::queue_interrupt:
            if (reg[2] < queue_vector_min || reg[2] > queue_vector_max) {
                return detail::status(MV_STATUS_INVALID_INPUT_REG2);
            }
            // Refused: an interrupt queued before still waits for the guest, or it runs elsewhere.
            return detail::status(m_sys.queue_interrupt(vsid, reg[2]) == abi::status_success
                                      ? MV_STATUS_SUCCESS
                                      : MV_STATUS_FAILURE_UNKNOWN);
        case h::gva_to_gla:
            return gva_to_gla(vsid, (reg[1] >> 16) & 0xFFFFU, reg[2]);
        case h::gla_to_gpa:
            return gla_to_gpa(vsid, vmid, reg[2]);
        case h::fpu_get_all:
        case h::fpu_set_all:
        case h::xsave_get_all:
        case h::xsave_set_all:
            return fpu(vsid, a == h::fpu_set_all || a == h::xsave_set_all,
                       a == h::xsave_get_all || a == h::xsave_set_all, reg[2]);
        default:
            return detail::status(MV_STATUS_FAILURE_UNKNOWN);  // not a VS state call (not reached)
        }
    }

    /// The guest's registers as mv_reg_t names them (guest_regs.hpp): the value's bits beyond
    /// the register are REVI.
    struct registers {
        Sys &sys;
        uint64_t vsid;
        bool names(uint64_t r) const noexcept { return guest_reg_of(r).reg != abi::reg::unsupported; }
        uint64_t get(uint64_t r, uint64_t &out) noexcept(sys_nothrow<Sys>)
        {
            const auto got = sys.vs_get(vsid, guest_reg_of(r).reg);
            out = got.reg0;
            return got.status == abi::status_success ? MV_STATUS_SUCCESS : vs_refusal(got.status);
        }
        uint64_t set(uint64_t r, uint64_t value) noexcept(sys_nothrow<Sys>)
        {
            const guest_reg g = guest_reg_of(r);
            const uint64_t st = sys.vs_set(vsid, g.reg, value & g.mask);
            return st == abi::status_success ? MV_STATUS_SUCCESS : vs_refusal(st);
        }
    };

    /// The MSRs the guest holds itself (guest_msrs.hpp), EFER as the guest sees it; a value the
    /// CPU would refuse is INVALID_INPUT_REG3.
    struct msrs {
        Sys &sys;
        uint64_t vsid;
        bool names(uint64_t msr) const noexcept
        {
            return guest_msr_reg(static_cast<uint32_t>(msr)) != abi::reg::unsupported;
        }
        uint64_t get(uint64_t msr, uint64_t &out) noexcept(sys_nothrow<Sys>)
        {
            const auto index = static_cast<uint32_t>(msr);
            const auto got = sys.vs_get(vsid, guest_msr_reg(index));
            out = index == guest_msr::efer ? guest_efer_view(got.reg0) : got.reg0;
            return got.status == abi::status_success ? MV_STATUS_SUCCESS : vs_refusal(got.status);
        }
        uint64_t set(uint64_t msr, uint64_t value) noexcept(sys_nothrow<Sys>)
        {
            const auto index = static_cast<uint32_t>(msr);
            if (!guest_msr_value_ok(index, value)) {
                return MV_STATUS_INVALID_INPUT_REG3;
            }
            if (index == guest_msr::efer) {
                const auto now = sys.vs_get(vsid, abi::reg::efer);
                if (now.status != abi::status_success) {
                    return vs_refusal(now.status);
                }
                value = guest_efer_merge(now.reg0, value);
            }
            const uint64_t st = sys.vs_set(vsid, guest_msr_reg(index), value);
            return st == abi::status_success ? MV_STATUS_SUCCESS : vs_refusal(st);
        }
    };

private:
    /// reg_get/set, msr_get/set: one register of a space; a name the space does not have is
    /// `unnamed`.
    template <class Space>
    static hypercall_out single(Space s, bool set, uint64_t name, uint64_t value,
                                uint64_t unnamed) noexcept(sys_nothrow<Sys>)
    {
        if (!s.names(name)) {
            return detail::status(unnamed);
        }
        if (set) {
            return detail::status(s.set(name, value));
        }
        uint64_t out = 0;
        const uint64_t st = s.get(name, out);
        return st == MV_STATUS_SUCCESS ? detail::value(out) : detail::status(st);
    }

    /// A call that works on this PP's shared page.
    template <class F>
    hypercall_out with_page(F &&f) noexcept(sys_nothrow<Sys>)
    {
        if (m_pp.shared_va == 0) {
            return detail::status(MV_STATUS_FAILURE_UNKNOWN);
        }
        return detail::status(f(shared_page_view{reinterpret_cast<void *>(m_pp.shared_va)}));
    }

    /// An RDL of a space (reg_get/set_list, msr_get/set_list): reg0-reg7 of the list are not
    /// used (REVI); num_entries at most 250; every entry names a register of the space (else the
    /// list is malformed: FAILURE_UNKNOWN). A get writes the values once all were read; a set
    /// takes all or none: the registers set before one that is refused get their old values back.
    template <class Space>
    static uint64_t rdl(const shared_page_view &page, Space &s, bool set) noexcept(sys_nothrow<Sys>)
    {
        const uint64_t count = page.load64(offsetof(mv_rdl_t, num_entries));
        if (count > MV_RDL_MAX_ENTRIES) {
            return MV_STATUS_FAILURE_UNKNOWN;
        }
        uint64_t names[MV_RDL_MAX_ENTRIES];
        uint64_t values[MV_RDL_MAX_ENTRIES];
        uint64_t old[MV_RDL_MAX_ENTRIES];
        for (uint64_t i = 0; i < count; ++i) {
            names[i] = page.load64(detail::rdl_entry(i) + offsetof(mv_rdl_entry_t, reg));
            values[i] = page.load64(detail::rdl_entry(i) + offsetof(mv_rdl_entry_t, val));
            if (!s.names(names[i])) {
                return MV_STATUS_FAILURE_UNKNOWN;
            }
        }
        for (uint64_t i = 0; i < count; ++i) {
            uint64_t st = s.get(names[i], old[i]);
            if (st == MV_STATUS_SUCCESS && set) {
                st = s.set(names[i], values[i]);
            }
            if (st != MV_STATUS_SUCCESS) {
                for (uint64_t j = i; set && j-- > 0;) {
                    (void)s.set(names[j], old[j]);
                }
                // A value refused is the list's, not a register's.
                return st == MV_STATUS_INVALID_INPUT_REG3 ? MV_STATUS_FAILURE_UNKNOWN : st;
            }
        }
        for (uint64_t i = 0; !set && i < count; ++i) {
            page.store64(detail::rdl_entry(i) + offsetof(mv_rdl_entry_t, val), old[i]);
        }
        return MV_STATUS_SUCCESS;
    }

    /// cpuid_get/set and their lists: one mv_cdl_entry_t at offset 0, or an mv_cdl_t (reg0 and
    /// reg1 REVZ, at most 125 entries) whose entries have flags and reserved 0. A get writes the
    /// VS's answers; a set turns off the features that are 0 and writes nothing.
    uint64_t cdl(const shared_page_view &page, uint64_t vsid, bool set, bool list) noexcept(sys_nothrow<Sys>)
    {
        uint64_t count = 1;
        if (list) {
            count = page.load64(offsetof(mv_cdl_t, num_entries));
            if (page.load64(offsetof(mv_cdl_t, reg0)) != 0 || page.load64(offsetof(mv_cdl_t, reg1)) != 0 ||
                count > MV_CDL_MAX_ENTRIES) {
                return MV_STATUS_FAILURE_UNKNOWN;
            }
        }
        detail::cdl_input in[MV_CDL_MAX_ENTRIES];
        cpuid_regs regs[MV_CDL_MAX_ENTRIES];
        for (uint64_t i = 0; i < count; ++i) {
            const size_t at = list ? detail::cdl_entry(i) : 0;
            in[i] = detail::read_cdl_entry(page, at);
            regs[i] = {page.load32(at + offsetof(mv_cdl_entry_t, eax)), page.load32(at + offsetof(mv_cdl_entry_t, ebx)),
                       page.load32(at + offsetof(mv_cdl_entry_t, ecx)),
                       page.load32(at + offsetof(mv_cdl_entry_t, edx))};
            if (!in[i].valid) {
                return MV_STATUS_FAILURE_UNKNOWN;
            }
        }
        vs_cpuid &table = m_state.guest_vss[vsid].cpuid;
        if (set) {
            for (uint64_t i = 0; i < count; ++i) {
                table.turn_off(in[i].fun, in[i].idx, regs[i]);
            }
            return MV_STATUS_SUCCESS;
        }
        // As the guest's CPUID would answer now: with the bits that mirror its CR4.
        const auto cr4 = m_sys.vs_get(vsid, abi::reg::cr4);
        if (cr4.status != abi::status_success) {
            return vs_refusal(cr4.status);
        }
        for (uint64_t i = 0; i < count; ++i) {
            const cpuid_regs a =
                table.answer(in[i].fun, in[i].idx, [this](uint32_t f, uint32_t x) { return m_sys.cpuid(f, x); });
            detail::write_cdl_result(page, list ? detail::cdl_entry(i) : 0,
                                     guest_cpuid_mirror(in[i].fun, in[i].idx, a, cr4.reg0));
        }
        return MV_STATUS_SUCCESS;
    }

    /// mv_vs_op_gva_to_gla: ssid is an MV_SSID_* (else INVALID_INPUT_REG1); a GVA the segment
    /// does not hold is FAILURE_UNKNOWN.
    hypercall_out gva_to_gla(uint64_t vsid, uint64_t ssid, uint64_t gva) noexcept(sys_nothrow<Sys>)
    {
        constexpr abi::reg selectors[] = {abi::reg::es_selector, abi::reg::cs_selector, abi::reg::ss_selector,
                                          abi::reg::ds_selector, abi::reg::fs_selector, abi::reg::gs_selector};
        if (ssid > MV_SSID_GS) {
            return detail::status(MV_STATUS_INVALID_INPUT_REG1);
        }
        // bf_reg_t keeps a segment's selector, attributes, limit and base one after the other.
        const auto first = static_cast<uint64_t>(selectors[ssid]);
        uint64_t v[6] = {};
        const abi::reg wanted[] = {static_cast<abi::reg>(first + 1),
                                   static_cast<abi::reg>(first + 2),
                                   static_cast<abi::reg>(first + 3),
                                   abi::reg::cs_attrib,
                                   abi::reg::cr0,
                                   abi::reg::efer};
        for (unsigned i = 0; i < 6; ++i) {
            const auto got = m_sys.vs_get(vsid, wanted[i]);
            if (got.status != abi::status_success) {
                return detail::status(vs_refusal(got.status));
            }
            v[i] = got.reg0;
        }
        constexpr uint64_t cs_l = 1U << 9;
        const bool long64 = (v[5] & mode_bit::efer_lma) != 0 && (v[3] & cs_l) != 0;
        const segment_state s{v[2], static_cast<uint32_t>(v[1]), static_cast<uint16_t>(v[0])};
        const translation t = vmm::gva_to_gla(static_cast<uint32_t>(ssid), s, long64, v[4], gva);
        return t.ok ? detail::value(t.addr) : detail::status(MV_STATUS_FAILURE_UNKNOWN);
    }

    /// mv_vs_op_gla_to_gpa: REG2[11:0] is REVZ (INVALID_INPUT_REG2 else); a walk that fails (an
    /// entry not present, a table outside the guest's memory) is FAILURE_UNKNOWN.
    hypercall_out gla_to_gpa(uint64_t vsid, uint64_t vmid, uint64_t gla) noexcept(sys_nothrow<Sys>)
    {
        if ((gla & 0xFFFU) != 0) {
            return detail::status(MV_STATUS_INVALID_INPUT_REG2);
        }
        const abi::reg wanted[] = {abi::reg::cr0, abi::reg::cr3, abi::reg::cr4, abi::reg::efer};
        uint64_t v[4] = {};
        for (unsigned i = 0; i < 4; ++i) {
            const auto got = m_sys.vs_get(vsid, wanted[i]);
            if (got.status != abi::status_success) {
                return detail::status(vs_refusal(got.status));
            }
            v[i] = got.reg0;
        }
        const translation t = vmm::gla_to_gpa(
            paging_state{v[0], v[1], v[2], v[3]}, gla,
            [&](uint64_t gpa, unsigned bytes, uint64_t &out) { return read_guest(vmid, gpa, bytes, out); });
        return t.ok ? detail::value(t.addr) : detail::status(MV_STATUS_FAILURE_UNKNOWN);
    }

    /// One page-table entry of a guest: through the nested tables to the root VM's page, which
    /// the extension maps for the read and unmaps after, unless it is some PP's shared page.
    bool read_guest(uint64_t vmid, uint64_t gpa, unsigned bytes, uint64_t &out) noexcept(sys_nothrow<Sys>)
    {
        const auto page = m_sys.guest_page(vmid, gpa);
        if (page.status != abi::status_success || (gpa & 0xFFFU) > 0x1000U - bytes) {
            return false;
        }
        const uint64_t phys = page.reg0 & ~uint64_t{0xFFF};
        const mk::spin_guard g{m_state.shared_lock};
        const auto va = m_sys.map_direct(phys);
        if (va.status != abi::status_success) {
            return false;
        }
        const auto *p = reinterpret_cast<const volatile uint8_t *>(va.reg0 + (gpa & 0xFFFU));
        out = 0;
        for (unsigned i = 0; i < bytes; ++i) {
            out |= uint64_t{p[i]} << (8 * i);
        }
        if (!m_state.shared_page_anywhere(phys)) {
            m_sys.unmap_direct(va.reg0);
        }
        return true;
    }

    /// fpu_get/set_all (the legacy area, 512 bytes, FXSAVE64's layout) and xsave_get/set_all (the
    /// XSAVE area in the standard form for the host's XCR0, one page: page 0 only, else
    /// INVALID_INPUT_REG2), through a page of the extension's (the microkernel copies from and to
    /// its own memory only). An area XRSTOR would refuse is FAILURE_UNKNOWN, nothing changed.
    hypercall_out fpu(uint64_t vsid, bool set, bool whole, uint64_t page_index) noexcept(sys_nothrow<Sys>)
    {
        if (whole && page_index != 0) {
            return detail::status(MV_STATUS_INVALID_INPUT_REG2);
        }
        if (m_pp.shared_va == 0) {
            return detail::status(MV_STATUS_FAILURE_UNKNOWN);
        }
        uint64_t &scratch = m_state.scratch[m_ppid];
        if (scratch == 0) {
            const auto got = m_sys.alloc_page();
            if (got.status != abi::status_success) {
                return detail::status(MV_STATUS_FAILURE_UNKNOWN);
            }
            scratch = got.reg0;
        }
        const size_t bytes = whole ? shared_page_bytes : 512;
        auto *mine = reinterpret_cast<uint8_t *>(scratch);
        auto *shared = reinterpret_cast<uint8_t *>(m_pp.shared_va);
        if (set) {
            __builtin_memcpy(mine, shared, bytes);
        }
        const uint64_t st = m_sys.fpu_copy(vsid, scratch, whole ? abi::fpu_whole : abi::fpu_legacy, set);
        if (st != abi::status_success) {
            return detail::status(MV_STATUS_FAILURE_UNKNOWN);
        }
        if (!set) {
            __builtin_memcpy(shared, mine, bytes);
        }
        return detail::status(MV_STATUS_SUCCESS);
    }

    Sys &m_sys;
    extension_state &m_state;
    pp_record &m_pp;
    uint16_t m_ppid;
};

}  // namespace vmm
