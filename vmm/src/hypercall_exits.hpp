// SPDX-License-Identifier: MIT
// The root VM's VMMCALL exits: the loader's stop (promote), the test build's private hypercalls,
// and the mv_* hypercalls (hypercalls.hpp decides from registers, shared_page.hpp serves the
// lists in a PP's shared page), with MicroV's debug output under its rate limit.
#pragma once

#include "extension_state.hpp"
#include "guest_memory.hpp"
#include "handles.hpp"
#include "hypercalls.hpp"
#include "sys.hpp"
#include "vs_calls.hpp"

#include <microv/mk_boot.h>
#include <mk/exit_abi.hpp>
#include <mk/format.hpp>
#include <mk/spinlock.hpp>

#include <stdint.h>

namespace vmm {

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

template <vmm_sys Sys>
class hypercall_exits {
public:
    constexpr hypercall_exits(Sys &sys, extension_state &state) noexcept : m_sys{sys}, m_state{state} {}

    [[noreturn]] void vmmcall(uint64_t vsid) noexcept(sys_nothrow<Sys>)
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

private:
    /// An mv_* hypercall: registers from the TLS block in, results back (hypercalls.hpp).
    [[noreturn]] void handle_hypercall() noexcept(sys_nothrow<Sys>)
    {
        // The active PPID (0xFF8) and the online PPs (0xFFA) share one 8-byte word of the TLS block.
        const uint64_t pps = m_sys.tls_get(abi::tls_offset_active_ppid);
        const auto ppid = static_cast<uint16_t>(pps & 0xFFFF);
        if (ppid >= extension_state::max_pps) {
            finish_hypercall(detail::status(MV_STATUS_FAILURE_UNKNOWN));
        }
        pp_record &pp = m_state.pps[ppid];
        const uint64_t rax = m_sys.tls_get(abi::tls_offset_rax);
        const uint64_t ids = m_sys.tls_get(abi::tls_offset_active_extid);  // four 16-bit IDs in one word
        const uint64_t reg0 = m_sys.tls_get(abi::tls_offset_r10);
        const hypercall_in in{rax,
                              {reg0, m_sys.tls_get(abi::tls_offset_r11), m_sys.tls_get(abi::tls_offset_r12),
                               m_sys.tls_get(abi::tls_offset_r13)},
                              ppid,
                              static_cast<uint16_t>((pps >> 16) & 0xFFFF),
                              static_cast<uint8_t>(m_sys.tls_get(abi::tls_offset_exit_cpl) & 3U),
                              pp.tsc_khz,
                              static_cast<uint16_t>(ids >> 16),  // active VMID (0xFF2) ...
                              static_cast<uint16_t>(ids >> 32),  // ... VPID (0xFF4) ...
                              static_cast<uint16_t>(ids >> 48),  // ... and VSID (0xFF6)
                              m_state.handles.find(reg0) != handle_table::none};
        hypercall_out out = root_hypercall(in);
        switch (out.action) {
        case hypercall_action::open_handle:
            out = open_handle();
            break;
        case hypercall_action::close_handle:
            out = detail::status(close_handle(reg0));
            break;
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
        case hypercall_action::mmio_map:
        case hypercall_action::mmio_unmap:
            out = detail::status(memory_call(pp, out.action == hypercall_action::mmio_map, reg0, in.reg[1] & 0xFFFFU,
                                             in.reg[2] & 0xFFFFU));
            break;
        case hypercall_action::run:
            out = detail::status(run_guest(pp, reg0, in.reg[1] & 0xFFFFU, in.vsid));
            break;
        default:
            out = object_call(out.action, in.reg, pp, ppid);
            break;
        }
        finish_hypercall(out);
    }

    /// mv_vm_op_mmio_map (vmid the guest VM, src the root VM) and mmio_unmap, with the MDL copied
    /// out of this PP's shared page first: the root VM may change the page meanwhile.
    uint64_t memory_call(pp_record &pp, bool map, uint64_t handle, uint64_t vmid,
                         uint64_t src) noexcept(sys_nothrow<Sys>)
    {
        if (pp.shared_va == 0) {
            return MV_STATUS_FAILURE_UNKNOWN;  // no shared page on this PP
        }
        mv_mdl_t mdl{};
        __builtin_memcpy(&mdl, reinterpret_cast<const void *>(pp.shared_va), sizeof(mdl));
        const mk::spin_guard g{m_state.objects_lock};
        const unsigned owner = m_state.handles.find(handle);
        if (owner == handle_table::none) {
            return MV_STATUS_FAILURE_INVALID_HANDLE;  // closed meanwhile
        }
        if (!m_state.objects.owned_vm(vmid, owner)) {
            return MV_STATUS_INVALID_INPUT_REG1;
        }
        guest_memory<Sys> memory{m_sys};
        if (!map) {
            return memory.unmap(vmid, mdl);
        }
        if (src == vmid || (src != abi::root_vmid && !m_state.objects.owned_vm(src, owner))) {
            return MV_STATUS_INVALID_INPUT_REG2;
        }
        if (src != abi::root_vmid) {
            return MV_STATUS_FAILURE_UNSUPPORTED;  // a foreign map (from one guest into another)
        }
        return memory.map(vmid, mdl);
    }

    /// mv_vs_op_run: the registers of the shared page's mv_run_t into the guest's VS, then the VS
    /// runs until an exit for the root VM (guest_exits.hpp), which ends this hypercall. Returns
    /// only when it cannot run: not a guest's VS, no shared page, a bad mv_run_t, or running on
    /// another PP (FAILURE_UNKNOWN).
    uint64_t run_guest(pp_record &pp, uint64_t handle, uint64_t vsid, uint64_t root_vsid) noexcept(sys_nothrow<Sys>)
    {
        if (pp.shared_va == 0) {
            return MV_STATUS_FAILURE_UNKNOWN;
        }
        mv_run_t in{};
        __builtin_memcpy(&in, reinterpret_cast<const void *>(pp.shared_va), sizeof(in));
        uint64_t vpid = 0;
        uint64_t vmid = 0;
        {
            const mk::spin_guard g{m_state.objects_lock};
            const unsigned owner = m_state.handles.find(handle);
            if (owner == handle_table::none) {
                return MV_STATUS_FAILURE_INVALID_HANDLE;  // closed meanwhile
            }
            if (!m_state.objects.owned_vs(vsid, owner)) {
                return MV_STATUS_INVALID_INPUT_REG1;
            }
            vpid = m_state.objects.vss[vsid].vpid;
            vmid = m_state.objects.vps[vpid].vmid;
        }
        // A VS waiting for INIT or SIPI does not run: its VMM starts it (mv_vs_op_mp_state_set).
        uint32_t &mp = m_state.guest_vss[vsid].mp_state;
        const uint32_t mp_now = __atomic_load_n(&mp, __ATOMIC_RELAXED);
        if (mp_now == MV_MP_STATE_INIT || mp_now == MV_MP_STATE_SIPI) {
            return MV_STATUS_FAILURE_UNKNOWN;
        }
        // mv_run_t's registers, then its MSRs (those the guest holds), each as reg_set and msr_set.
        if (!run_sets(typename vs_calls<Sys>::registers{m_sys, vsid}, in.reg) ||
            !run_sets(typename vs_calls<Sys>::msrs{m_sys, vsid}, in.msr)) {
            return MV_STATUS_INVALID_INPUT_REG0;  // the shared page's mv_run_t
        }
        __atomic_store_n(&mp, MV_MP_STATE_RUNNING, __ATOMIC_RELAXED);
        pp.root_vsid = static_cast<uint16_t>(root_vsid);
        pp.run_insn_length = static_cast<uint8_t>(m_sys.tls_get(abi::tls_offset_exit_insn_length));
        pp.guest_running = true;
        const uint64_t refused = m_sys.run_guest(vmid, vpid, vsid);
        pp.guest_running = false;
        return refused == abi::status_failure_unknown ? MV_STATUS_FAILURE_UNKNOWN : MV_STATUS_INVALID_INPUT_REG1;
    }

    /// mv_run_t's entries of one space (vs_calls.hpp): each with a nonzero name set (MSRs by
    /// their index, reg[63:32] REVI); false at the first that is refused.
    template <class Space, unsigned N>
    static bool run_sets(Space s, const mv_rdl_entry_t (&entries)[N]) noexcept(sys_nothrow<Sys>)
    {
        for (const mv_rdl_entry_t &e : entries) {
            if (e.reg != 0 && (!s.names(e.reg) || s.set(e.reg, e.val) != MV_STATUS_SUCCESS)) {
                return false;
            }
        }
        return true;
    }

    /// The VM, VP and VS hypercalls on the ID in REG1[15:0], with what exists checked first
    /// (guest_objects.hpp): a caller names only guests' objects to change, and the root VM's only
    /// to ask about. The table changes only where the microkernel did.
    hypercall_out object_call(hypercall_action a, const uint64_t (&reg)[4], pp_record &pp,
                              uint16_t ppid) noexcept(sys_nothrow<Sys>)
    {
        using h = hypercall_action;
        const uint64_t id = reg[1] & 0xFFFFU;
        const mk::spin_guard g{m_state.objects_lock};
        guest_objects &o = m_state.objects;
        const hypercall_out bad_id = detail::status(MV_STATUS_INVALID_INPUT_REG1);
        const hypercall_out failed = detail::status(MV_STATUS_FAILURE_UNKNOWN);
        // The handle again, under the lock: whose guests this call may name. Another handle's are
        // as if they did not exist.
        const unsigned owner = m_state.handles.find(reg[0]);
        if (owner == handle_table::none) {
            return detail::status(MV_STATUS_FAILURE_INVALID_HANDLE);  // closed meanwhile
        }
        switch (a) {
        case h::create_vm: {
            const auto vm = m_sys.create_vm();
            if (vm.status != abi::status_success || !guest_objects::id_ok(vm.reg0, abi::max_vms)) {
                return failed;  // no VM left
            }
            o.add_vm(vm.reg0, owner);
            return detail::value(vm.reg0);
        }
        case h::destroy_vm:
            if (!o.owned_vm(id, owner)) {
                return bad_id;
            }
            if (o.has_vps(id) || m_sys.destroy_vm(id) != abi::status_success) {
                return failed;  // its VPs go first
            }
            o.remove_vm(id);
            return detail::status(MV_STATUS_SUCCESS);
        case h::create_vp: {
            if (!o.owned_vm(id, owner)) {
                return bad_id;
            }
            const auto vp = m_sys.create_vp(id);
            if (vp.status != abi::status_success || !guest_objects::id_ok(vp.reg0, abi::max_vps)) {
                return failed;  // no VP left
            }
            o.add_vp(vp.reg0, static_cast<uint16_t>(id));
            return detail::value(vp.reg0);
        }
        case h::destroy_vp:
            if (!o.owned_vp(id, owner)) {
                return bad_id;
            }
            if (o.has_vss(id) || m_sys.destroy_vp(id) != abi::status_success) {
                return failed;  // its VSs go first
            }
            o.remove_vp(id);
            return detail::status(MV_STATUS_SUCCESS);
        case h::vp_vmid:
            return o.visible_vp(id, owner) ? detail::value(o.vps[id].vmid) : bad_id;
        case h::create_vs: {
            if (!o.owned_vp(id, owner)) {
                return bad_id;
            }
            const auto vs = m_sys.create_vs(id, ppid);
            if (vs.status != abi::status_success || !guest_objects::id_ok(vs.reg0, abi::max_vss)) {
                return failed;  // no VS or no memory left
            }
            o.add_vs(vs.reg0, static_cast<uint16_t>(id));
            m_state.guest_vss[vs.reg0] = {};  // every feature, MV_MP_STATE_INITIAL
            return detail::value(vs.reg0);
        }
        case h::destroy_vs:
            if (!o.owned_vs(id, owner)) {
                return bad_id;
            }
            if (m_sys.destroy_vs(id) != abi::status_success) {
                return failed;  // it runs somewhere right now
            }
            o.remove_vs(id);
            return detail::status(MV_STATUS_SUCCESS);
        case h::vs_vmid:
            return o.visible_vs(id, owner) ? detail::value(o.vps[o.vss[id].vpid].vmid) : bad_id;
        case h::vs_vpid:
            return o.visible_vs(id, owner) ? detail::value(o.vss[id].vpid) : bad_id;
        default:
            // The rest of a guest VS's state.
            if (!o.owned_vs(id, owner)) {
                return bad_id;
            }
            return vs_calls<Sys>{m_sys, m_state, pp, ppid}.call(a, id, o.vps[o.vss[id].vpid].vmid, reg);
        }
    }

    /// mv_handle_op_open_handle: a fresh handle; FAILURE_UNKNOWN when handle_table::max are open.
    hypercall_out open_handle() noexcept(sys_nothrow<Sys>)
    {
        const mk::spin_guard g{m_state.objects_lock};
        const uint64_t bits = handle_bits(m_sys.random(), m_sys.tsc(), ++m_state.handles_opened);
        const unsigned slot = m_state.handles.open(bits);
        return slot == handle_table::none ? detail::status(MV_STATUS_FAILURE_UNKNOWN)
                                          : detail::value(m_state.handles.value(slot));
    }

    /// mv_handle_op_close_handle: every guest VM made under the handle goes (its VSs, VPs, then
    /// itself), then the handle. A VS that runs right now cannot go: FAILURE_UNKNOWN, and the
    /// handle stays open with what is left (the caller closes again once its runs ended).
    uint64_t close_handle(uint64_t handle) noexcept(sys_nothrow<Sys>)
    {
        const mk::spin_guard g{m_state.objects_lock};
        const unsigned owner = m_state.handles.find(handle);
        if (owner == handle_table::none) {
            return MV_STATUS_FAILURE_INVALID_HANDLE;  // closed meanwhile
        }
        guest_objects &o = m_state.objects;
        for (uint64_t vs = 0; vs < abi::max_vss; ++vs) {
            if (o.owned_vs(vs, owner)) {
                if (m_sys.destroy_vs(vs) != abi::status_success) {
                    return MV_STATUS_FAILURE_UNKNOWN;
                }
                o.remove_vs(vs);
            }
        }
        for (uint64_t vp = 0; vp < abi::max_vps; ++vp) {
            if (o.owned_vp(vp, owner)) {
                if (m_sys.destroy_vp(vp) != abi::status_success) {
                    return MV_STATUS_FAILURE_UNKNOWN;
                }
                o.remove_vp(vp);
            }
        }
        for (uint64_t vm = 0; vm < abi::max_vms; ++vm) {
            if (o.owned_vm(vm, owner)) {
                if (m_sys.destroy_vm(vm) != abi::status_success) {
                    return MV_STATUS_FAILURE_UNKNOWN;
                }
                o.remove_vm(vm);
            }
        }
        m_state.handles.close(owner);
        return MV_STATUS_SUCCESS;
    }

    /// The results in the caller's registers, past its VMMCALL.
    [[noreturn]] void finish_hypercall(const hypercall_out &out) noexcept(sys_nothrow<Sys>)
    {
        if (out.write_reg0) {
            m_sys.tls_set(abi::tls_offset_r10, out.reg0);
        }
        m_sys.tls_set(abi::tls_offset_rax, out.status);
        m_sys.advance_ip_and_run_current();
    }

    /// mv_debug_op_out: the two values on MicroV's debug output, within this PP's rate limit;
    /// the first line after refused ones says how many there were. The hypercall succeeds either way.
    void debug_out(pp_record &pp, uint64_t a, uint64_t b) noexcept(sys_nothrow<Sys>)
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
    uint64_t shared_page(pp_record &pp, bool set, uint64_t gpa) noexcept(sys_nothrow<Sys>)
    {
        const mk::spin_guard g{m_state.shared_lock};
        // The old page goes first (a failed set leaves none).
        if (pp.shared_va != 0) {
            const uint64_t va = pp.shared_va;
            pp.shared_va = 0;
            if (!m_state.shared_page_anywhere(pp.shared_gpa)) {
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

    Sys &m_sys;
    extension_state &m_state;
};

}  // namespace vmm
