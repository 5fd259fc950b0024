// SPDX-License-Identifier: MIT
// The microkernel's syscalls (microkernel syscall spec): what the extension may ask, each
// argument checked before use. Results go back in the frame's registers; RAX is the status.
//
// The logic is a template over the platform: the ring-0 build binds it to the real PP, pool,
// page tables and VMRUN (kernel/src/syscalls.cpp); the host tests bind it to a fake. The
// platform's run/promote/bootstrap/failed calls never return in ring 0.
#pragma once

#include <mk/concepts.hpp>
#include <mk/format.hpp>
#include <mk/kernel_objects.hpp>
#include <mk/root_msrs.hpp>
#include <mk/spinlock.hpp>
#include <mk/syscall_abi.hpp>
#include <mk/x64/hwcr.hpp>
#include <mk/x64/lapic.hpp>
#include <mk/x64/xsave.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk {

/// The registers of a syscall as the entry code saved them; outputs are written back here.
struct syscall_frame {
    uint64_t rax, rdi, rsi, rdx, r10, r8, r9;
};

constexpr uint64_t ext_handle = 0x4D6963726F560001ULL;  // the one handle there is, while open
constexpr uint64_t ext_heap_base = 0x0000400000000000ULL;
constexpr uint64_t ext_heap_pages = 0x10000;  // 256 MiB of address space for mem_op_alloc_page
constexpr size_t max_debug_string = 256;
constexpr uint64_t page_bytes = 4096;

/// The seam under syscall_dispatch: this PP and the microkernel's mechanisms (kernel/src/syscalls.cpp),
/// or a host test's fake.
template <class P>
concept dispatch_platform = requires(P &p, const P &cp, vs_slot &vs, vm_slot &vm, uint64_t u, uint64_t &out, char &c,
                                     uint32_t msr, const char *text)
{
    {
        cp.ppid()
        } -> same_as<uint16_t>;
    {
        cp.online_pps()
        } -> same_as<uint16_t>;
    {
        cp.active_vsid()
        } -> same_as<uint16_t>;  // the VS that exited last on this PP
    {
        cp.root_running()
        } -> same_as<bool>;  // the root VM has run on this PP
    {
        cp.vs_active_anywhere(uint16_t{})
        } -> same_as<bool>;  // the VS that exited last on some PP
    {
        cp.bootstrapped()
        } -> same_as<bool>;  // the bootstrap callback was called on this PP
    p.write(text);           // the console (serial port and debug ring)
    {
        p.alloc_page(out)
        } -> same_as<void *>;  // a zeroed pool page, its physical address in out
    p.free_page(static_cast<void *>(nullptr));
    {
        p.ext_read_byte(u, c)
        } -> same_as<bool>;  // a byte of the extension's memory
    {
        p.ext_code(u)
        } -> same_as<bool>;  // mapped, user and executable there
    {
        p.map_into_extension(u, out)
        } -> same_as<bool>;  // a fresh pool page at an extension address
    {
        p.unmap_from_extension(u)
        } -> same_as<bool>;
    {
        p.rdmsr(msr)
        } -> same_as<uint64_t>;
    p.wrmsr(msr, u);
    {
        p.hwcr_root_bits()
        } -> same_as<uint64_t>;  // x64::hwcr_root_bits for this CPU
    {
        cp.root_may_share(u)
        } -> same_as<bool>;  // a page of the root VM's RAM, not MicroV's
    {
        p.map_direct(u, out)
        } -> same_as<bool>;  // a root-VM page into the extension's direct map
    {
        p.unmap_direct(u)
        } -> same_as<bool>;
    {
        p.vm_init(vm)
        } -> same_as<bool>;  // a guest VM's empty nested page tables (false: no pool page)
    {
        p.vm_map(vm, u, u, u)
        } -> same_as<map_result>;  // one 4 KiB page (gpa, hpa, abi::map_* flags)
    {
        p.vm_unmap(vm, u)
        } -> same_as<bool>;  // false: nothing was mapped there
    {
        p.vm_mapped(vm, u)
        } -> same_as<bool>;
    p.vm_free(vm);                  // all of a guest VM's tables back to the pool
    p.guest_tlb_flush(uint16_t{});  // returns once no PP can use what the VM's tables lost
    p.claim(uint16_t{});            // this PP's active VS, before it runs (under the objects lock)
    p.init_root_vs(vs);             // the VS's vendor state from the OS's state on this PP
    p.init_guest_vs(vs);            // a guest's new VS: the CPU's state after RESET
    {
        p.advance_ip(vs)
        } -> same_as<bool>;
    {
        p.inject(vs, u)
        } -> same_as<bool>;  // an event word for the VS's next entry
    {
        cp.vs_read(vs, abi::reg{}, out)
        } -> same_as<bool>;  // a register by bf_reg_t (the vendor's)
    {
        p.vs_write(vs, abi::reg{}, u)
        } -> same_as<bool>;
    p.active_to_tls(vs);  // the TLS block shows this VS's registers
    p.promote(vs);        // returns only when refused
    // Never returning: run_vs(vsid), call_bootstrap(), extension_failed(why).
    p.run_vs(uint16_t{});
    p.call_bootstrap();
    p.extension_failed(text);
};

/// Not noexcept: the ring-0 build has no exceptions at all, and the host tests' fake platform
/// throws where ring 0 never returns.
template <dispatch_platform Platform>
class syscall_dispatch {
public:
    syscall_dispatch(Platform &platform, kernel_objects &objects) : m_platform{platform}, m_objects{objects} {}

    /// Serves one syscall.
    void dispatch(syscall_frame &f)
    {
        if (!abi::has_sig(f.rax)) {
            f.rax = abi::status_failure_unsupported;
            return;
        }
        const uint64_t op = abi::opcode_of(f.rax);
        const uint64_t idx = abi::index_of(f.rax);

        // Opening the handle and the debug output need no handle; everything else does.
        if (op == abi::opcode_of(abi::handle_op) && idx == abi::handle_op_open_handle_idx) {
            open_handle(f);
            return;
        }
        if (op == abi::opcode_of(abi::debug_op)) {
            f.rax = debug_op(f);
            return;
        }
        if (!m_objects.callbacks.handle_open || f.rdi != ext_handle) {
            f.rax = abi::status_failure_invalid_handle;
            return;
        }
        f.rax = with_handle(op, idx, f);
    }

private:
    /// The tables' lock, held for one syscall's changes.
    using guard = spin_guard;

    bool vs_ok(uint64_t vsid) const { return vsid < max_vss && m_objects.vss[vsid].used; }
    /// A VS of this PP: the only ones this PP may destroy, read or write. A VS runs only on its
    /// own PP, so another PP's may be in VMRUN right now (its VMCB is the CPU's then), and
    /// destroying it would hand that PP's next #VMEXIT a page back in the pool.
    bool vs_here(uint64_t vsid) const { return vs_ok(vsid) && m_objects.vss[vsid].ppid == m_platform.ppid(); }
    /// Whether this PP may reach a VS's state: a root VM's VS of its own; a guest's VS that this PP
    /// has active (its exit) or no PP has, wherever it was made (the root OS moves the threads that own guests, so a
    /// guest's VS runs on PPs other than the one it was made on). For a guest's VS, only with the objects lock held: a
    /// destroy on another PP holds it too.
    bool vs_reachable(uint64_t vsid) const
    {
        if (!guest_vs(vsid)) {
            return vs_here(vsid);
        }
        return m_platform.active_vsid() == vsid || !m_platform.vs_active_anywhere(static_cast<uint16_t>(vsid));
    }
    /// A VS of a guest VM (not the root VM's).
    bool guest_vs(uint64_t vsid) const
    {
        return vs_ok(vsid) && m_objects.vps[m_objects.vss[vsid].vpid].vmid != abi::root_vmid;
    }
    /// Whether a VS is the root VM's on this PP: reached without the lock (never destroyed while
    /// the root VM runs), on the exits' path.
    bool root_vs_here(uint64_t vsid) const { return vs_here(vsid) && m_objects.vss[vsid].is_root; }
    bool vp_ok(uint64_t vpid) const { return vpid < max_vps && m_objects.vps[vpid].used; }
    bool vm_ok(uint64_t vmid) const { return vmid < max_vms && m_objects.vms[vmid].used; }

    uint64_t with_handle(uint64_t op, uint64_t idx, syscall_frame &f)
    {
        switch (op) {
        case abi::opcode_of(abi::control_op):
            return control_op(idx);
        case abi::opcode_of(abi::handle_op):
            if (idx != abi::handle_op_close_handle_idx) {
                return abi::status_failure_unsupported;
            }
            m_objects.callbacks.handle_open = false;
            return abi::status_success;
        case abi::opcode_of(abi::callback_op):
            return callback_op(idx, f);
        case abi::opcode_of(abi::vm_op):
            return vm_op(idx, f);
        case abi::opcode_of(abi::vp_op):
            return vp_op(idx, f);
        case abi::opcode_of(abi::vs_op):
            return vs_op(idx, f);
        case abi::opcode_of(abi::intrinsic_op):
            return intrinsic_op(idx, f);
        case abi::opcode_of(abi::mem_op):
            return mem_op(idx, f);
        default:
            return abi::status_failure_unsupported;
        }
    }

    void open_handle(syscall_frame &f)
    {
        // One handle, for the one spec version there is.
        const bool ok =
            (f.rdi & abi::spec_id1_mask) == (abi::spec_id1 & abi::spec_id1_mask) && !m_objects.callbacks.handle_open;
        m_objects.callbacks.handle_open = m_objects.callbacks.handle_open || ok;
        f.rdi = ok ? ext_handle : abi::invalid_handle;
        f.rax = ok ? abi::status_success : abi::status_failure_unknown;
    }

    uint64_t control_op(uint64_t idx)
    {
        // _start waits once, then this PP's bootstrap runs; any other wait or exit is giving up.
        if (idx == abi::control_op_wait_idx && !m_platform.bootstrapped()) {
            m_platform.call_bootstrap();
            return abi::status_success;
        }
        if (idx == abi::control_op_wait_idx || idx == abi::control_op_exit_idx) {
            m_platform.extension_failed(idx == abi::control_op_exit_idx ? "it called bf_control_op_exit" : "it waited");
            return abi::status_failure_unknown;
        }
        return abi::status_failure_unsupported;
    }

    uint64_t debug_op(syscall_frame &f)
    {
        switch (abi::index_of(f.rax)) {
        case abi::debug_op_out_idx: {
            char a[19];
            char b[19];
            m_platform.write("microv: ext: ");
            m_platform.write(format_hex64(f.rdi, a));
            m_platform.write(" ");
            m_platform.write(format_hex64(f.rsi, b));
            m_platform.write("\n");
            return abi::status_success;
        }
        case abi::debug_op_write_c_idx: {
            const char text[2] = {static_cast<char>(f.rdi & 0xFF), '\0'};
            m_platform.write(text);
            return abi::status_success;
        }
        case abi::debug_op_write_str_idx:
            return write_str(f.rdi);
        default:
            return abi::status_failure_unsupported;
        }
    }

    /// Copies a string from the extension byte by byte through its page tables, at most
    /// max_debug_string bytes; a byte that is not mapped fails the whole string.
    uint64_t write_str(uint64_t addr)
    {
        char text[max_debug_string + 1];
        size_t n = 0;
        for (; n < max_debug_string; ++n) {
            if (!m_platform.ext_read_byte(addr + n, text[n])) {
                return abi::status_invalid_input_reg0;
            }
            if (text[n] == '\0') {
                break;
            }
        }
        text[n] = '\0';
        m_platform.write(text);
        return abi::status_success;
    }

    uint64_t callback_op(uint64_t idx, const syscall_frame &f)
    {
        uint64_t *slot = nullptr;
        switch (idx) {
        case abi::callback_op_register_bootstrap_idx:
            slot = &m_objects.callbacks.bootstrap;
            break;
        case abi::callback_op_register_vmexit_idx:
            slot = &m_objects.callbacks.vmexit;
            break;
        case abi::callback_op_register_fail_idx:
            slot = &m_objects.callbacks.fail;
            break;
        default:
            return abi::status_failure_unsupported;
        }
        // A callback must be the extension's own executable code.
        if (!m_platform.ext_code(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        const guard g{m_objects.lock};
        *slot = f.rsi;
        return abi::status_success;
    }

    uint64_t vm_op(uint64_t idx, syscall_frame &f)
    {
        // Outside the lock: a shootdown waits for other PPs, which may need the lock meanwhile.
        if (idx == abi::vm_op_map_guest_idx || idx == abi::vm_op_unmap_guest_idx) {
            bool flush = false;
            const uint64_t status = idx == abi::vm_op_map_guest_idx ? map_guest(f, flush) : unmap_guest(f, flush);
            if (flush) {
                m_platform.guest_tlb_flush(static_cast<uint16_t>(f.rsi));
            }
            return status;
        }
        const guard g{m_objects.lock};
        switch (idx) {
        case abi::vm_op_create_vm_idx:
            for (uint16_t id = 1; id < max_vms; ++id) {
                if (!m_objects.vms[id].used) {
                    if (!m_platform.vm_init(m_objects.vms[id])) {
                        return abi::status_failure_unknown;  // no pool page for its tables
                    }
                    m_objects.vms[id].used = true;
                    f.rdi = id;
                    return abi::status_success;
                }
            }
            return abi::status_failure_unknown;
        case abi::vm_op_destroy_vm_idx:
            if (f.rsi == abi::root_vmid || !vm_ok(f.rsi)) {
                return abi::status_invalid_input_reg1;
            }
            for (const vp_slot &vp : m_objects.vps) {
                if (vp.used && vp.vmid == f.rsi) {
                    return abi::status_failure_unknown;  // its VPs go first
                }
            }
            m_platform.vm_free(m_objects.vms[f.rsi]);
            m_objects.vms[f.rsi].used = false;
            return abi::status_success;
        case abi::vm_op_map_direct_idx: {
            // Only the root VM's memory so far, and only pages it may share (its RAM, not MicroV's).
            uint64_t virt = 0;
            if (f.rsi != abi::root_vmid) {
                return abi::status_invalid_input_reg1;
            }
            if (!m_platform.root_may_share(f.rdx)) {
                return abi::status_invalid_input_reg2;
            }
            if (!m_platform.map_direct(f.rdx, virt)) {
                return abi::status_failure_unknown;
            }
            f.rdi = virt;
            return abi::status_success;
        }
        case abi::vm_op_guest_page_idx: {
            if (f.rsi == abi::root_vmid || !vm_ok(f.rsi)) {
                return abi::status_invalid_input_reg1;
            }
            const uint64_t page = f.rdx < abi::guest_gpa_limit ? m_platform.vm_page(m_objects.vms[f.rsi], f.rdx) : 0;
            if (page == 0) {
                return abi::status_invalid_input_reg2;
            }
            f.rdi = page;
            return abi::status_success;
        }
        case abi::vm_op_unmap_direct_idx:
            if (f.rsi != abi::root_vmid) {
                return abi::status_invalid_input_reg1;
            }
            return m_platform.unmap_direct(f.rdx) ? abi::status_success : abi::status_invalid_input_reg2;
        default:
            return abi::status_failure_unsupported;
        }
    }

    /// Whether a guest VM's run of pages (rdx first GPA, r8 count) is one it may have.
    uint64_t check_guest_run(const syscall_frame &f) const
    {
        if (f.rsi == abi::root_vmid || !vm_ok(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        if (f.rdx % page_bytes != 0 || f.rdx >= abi::guest_gpa_limit) {
            return abi::status_invalid_input_reg2;
        }
        const uint64_t pages = f.r8;
        if (pages == 0 || pages > abi::max_map_pages || pages > (abi::guest_gpa_limit - f.rdx) / page_bytes) {
            return abi::status_invalid_input_reg4;
        }
        return abi::status_success;
    }
    /// bf_vm_op_map_guest: all the pages or none. Only the root VM's RAM, not MicroV's, and each
    /// page once; a page mapped and then taken back again needs a shootdown (flush).
    uint64_t map_guest(const syscall_frame &f, bool &flush)
    {
        const guard g{m_objects.lock};
        if (const uint64_t st = check_guest_run(f); st != abi::status_success) {
            return st;
        }
        if (f.r10 % page_bytes != 0) {
            return abi::status_invalid_input_reg3;
        }
        for (uint64_t i = 0; i < f.r8; ++i) {
            if (!m_platform.root_may_share(f.r10 + i * page_bytes)) {
                return abi::status_invalid_input_reg3;
            }
        }
        if ((f.r9 & ~abi::map_flags) != 0 || (f.r9 & abi::map_read) == 0) {
            return abi::status_invalid_input_reg5;
        }
        vm_slot &vm = m_objects.vms[f.rsi];
        for (uint64_t i = 0; i < f.r8; ++i) {
            const map_result r = m_platform.vm_map(vm, f.rdx + i * page_bytes, f.r10 + i * page_bytes, f.r9);
            if (r != map_result::ok) {
                for (uint64_t j = 0; j < i; ++j) {
                    m_platform.vm_unmap(vm, f.rdx + j * page_bytes);
                }
                flush = i != 0;
                return r == map_result::mapped_already ? abi::status_invalid_input_reg2 : abi::status_failure_unknown;
            }
        }
        return abi::status_success;
    }

    /// bf_vm_op_unmap_guest: all the pages, each mapped, or none; the caller's shootdown follows.
    uint64_t unmap_guest(const syscall_frame &f, bool &flush)
    {
        const guard g{m_objects.lock};
        if (const uint64_t st = check_guest_run(f); st != abi::status_success) {
            return st;
        }
        vm_slot &vm = m_objects.vms[f.rsi];
        for (uint64_t i = 0; i < f.r8; ++i) {
            if (!m_platform.vm_mapped(vm, f.rdx + i * page_bytes)) {
                return abi::status_invalid_input_reg2;
            }
        }
        for (uint64_t i = 0; i < f.r8; ++i) {
            m_platform.vm_unmap(vm, f.rdx + i * page_bytes);
        }
        flush = true;
        return abi::status_success;
    }

    uint64_t vp_op(uint64_t idx, syscall_frame &f)
    {
        const guard g{m_objects.lock};
        switch (idx) {
        case abi::vp_op_create_vp_idx:
            if (!vm_ok(f.rsi)) {
                return abi::status_invalid_input_reg1;
            }
            for (uint16_t id = 0; id < max_vps; ++id) {
                if (!m_objects.vps[id].used) {
                    m_objects.vps[id] = {true, static_cast<uint16_t>(f.rsi)};
                    f.rdi = id;
                    return abi::status_success;
                }
            }
            return abi::status_failure_unknown;
        case abi::vp_op_destroy_vp_idx:
            if (!vp_ok(f.rsi)) {
                return abi::status_invalid_input_reg1;
            }
            for (const vs_slot &vs : m_objects.vss) {
                if (vs.used && vs.vpid == f.rsi) {
                    return abi::status_failure_unknown;  // its VSs go first
                }
            }
            m_objects.vps[f.rsi].used = false;
            return abi::status_success;
        default:
            return abi::status_failure_unsupported;
        }
    }

    uint64_t create_vs(syscall_frame &f)
    {
        if (!vp_ok(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        if (f.rdx >= m_platform.online_pps()) {
            return abi::status_invalid_input_reg2;
        }
        const bool guest = m_objects.vps[f.rsi].vmid != abi::root_vmid;
        if (guest && !m_platform.guests_ok()) {
            return abi::status_failure_unsupported;  // the CPU's x87/SSE/AVX state does not fit a page
        }
        uint64_t phys = 0;
        uint64_t fpu_phys = 0;
        void *hw = m_platform.alloc_page(phys);                                 // the vendor's page for the VS
        void *fpu = hw == nullptr ? nullptr : m_platform.alloc_page(fpu_phys);  // its x87/SSE/AVX state
        if (fpu == nullptr) {
            if (hw != nullptr) {
                m_platform.free_page(hw);
            }
            return abi::status_failure_unknown;
        }
        x64::fpu_area_init(fpu);
        const guard g{m_objects.lock};
        for (uint16_t id = 0; id < max_vss; ++id) {
            if (!m_objects.vss[id].used) {
                m_objects.vss[id] = {};
                m_objects.vss[id].used = true;
                m_objects.vss[id].vpid = static_cast<uint16_t>(f.rsi);
                m_objects.vss[id].ppid = static_cast<uint16_t>(f.rdx);
                m_objects.vss[id].hw = hw;
                m_objects.vss[id].hw_phys = phys;
                m_objects.vss[id].fpu = fpu;
                if (guest) {
                    m_objects.vss[id].xcr0 = x64::xcr0_reset;
                    m_platform.init_guest_vs(m_objects.vss[id]);
                }
                f.rdi = id;
                return abi::status_success;
            }
        }
        m_platform.free_page(hw);
        m_platform.free_page(fpu);
        return abi::status_failure_unknown;
    }

    uint64_t destroy_vs(const syscall_frame &f)
    {
        const guard g{m_objects.lock};
        // The root VM's VSs: only on their own PP, a root VS never once the root VM runs. A
        // guest's VS: from any PP (the root OS moves the threads that run guests), but not while
        // it is the active VS of a PP (it may be in VMRUN there, finding 9 of the isolation
        // issue). A run claims its VS under this lock, so that no run starts on a VS being
        // destroyed.
        if (!vs_ok(f.rsi) || m_platform.vs_active_anywhere(static_cast<uint16_t>(f.rsi)) ||
            (!guest_vs(f.rsi) && !vs_here(f.rsi)) || (m_objects.vss[f.rsi].is_root && m_platform.root_running())) {
            return abi::status_invalid_input_reg1;
        }
        m_platform.free_page(m_objects.vss[f.rsi].hw);
        m_platform.free_page(m_objects.vss[f.rsi].fpu);
        m_objects.vss[f.rsi] = {};
        return abi::status_success;
    }

    /// Whether the IDs name a VS of that VP of that VM.
    bool linked(uint64_t vmid, uint64_t vpid, uint64_t vsid) const
    {
        return vs_ok(vsid) && vp_ok(vpid) && vm_ok(vmid) && m_objects.vss[vsid].vpid == vpid &&
               m_objects.vps[vpid].vmid == vmid;
    }

    /// bf_vs_op_run. A root VS runs on its own PP only, once the OS's state is in it. A guest's VS
    /// runs on any PP (the root OS moves its threads), but on one at a time: this PP claims it
    /// under the objects lock, which destroy, read and write take too; another PP's active VS is
    /// FAILURE_UNKNOWN.
    uint64_t run(const syscall_frame &f)
    {
        if (!linked(f.rsi, f.rdx, f.r10)) {
            return abi::status_invalid_input_reg3;
        }
        const auto vsid = static_cast<uint16_t>(f.r10);
        if (m_objects.vss[vsid].is_root) {
            if (!vs_here(vsid)) {
                return abi::status_invalid_input_reg3;
            }
        } else if (f.rsi == abi::root_vmid) {
            return abi::status_invalid_input_reg3;  // a root VP's VS that is not the OS's
        } else {
            const guard g{m_objects.lock};
            if (m_platform.active_vsid() != vsid && m_platform.vs_active_anywhere(vsid)) {
                return abi::status_failure_unknown;
            }
            m_platform.claim(vsid);
        }
        m_platform.run_vs(vsid);
        return abi::status_success;
    }

    uint64_t vs_op(uint64_t idx, syscall_frame &f)
    {
        switch (idx) {
        case abi::vs_op_create_vs_idx:
            return create_vs(f);
        case abi::vs_op_destroy_vs_idx:
            return destroy_vs(f);
        case abi::vs_op_init_as_root_idx:
            // Only on the PP whose OS it takes, and only for a VS of the root VM.
            if (!vs_ok(f.rsi) || m_objects.vss[f.rsi].ppid != m_platform.ppid() ||
                m_objects.vps[m_objects.vss[f.rsi].vpid].vmid != abi::root_vmid) {
                return abi::status_invalid_input_reg1;
            }
            m_platform.init_root_vs(m_objects.vss[f.rsi]);
            return abi::status_success;
        case abi::vs_op_read_idx:
            if (root_vs_here(f.rsi)) {
                return read_vs(f);
            } else {
                const guard g{m_objects.lock};
                return vs_reachable(f.rsi) ? read_vs(f) : abi::status_invalid_input_reg1;
            }
        case abi::vs_op_write_idx:
            if (root_vs_here(f.rsi)) {
                return write_vs(f);
            } else {
                const guard g{m_objects.lock};
                return vs_reachable(f.rsi) ? write_vs(f) : abi::status_invalid_input_reg1;
            }
        case abi::vs_op_run_idx:
            return run(f);
        case abi::vs_op_run_current_idx:
            if (!vs_ok(m_platform.active_vsid())) {
                return abi::status_failure_unknown;
            }
            m_platform.run_vs(m_platform.active_vsid());
            return abi::status_success;
        case abi::vs_op_advance_ip_and_run_current_idx:
            if (!vs_ok(m_platform.active_vsid()) || !m_platform.advance_ip(m_objects.vss[m_platform.active_vsid()])) {
                return abi::status_failure_unknown;
            }
            m_platform.run_vs(m_platform.active_vsid());
            return abi::status_success;
        case abi::vs_op_promote_idx:
            // Only the root VS that exited here can give the CPU back.
            if (f.rsi != m_platform.active_vsid() || !vs_ok(f.rsi) || !m_objects.vss[f.rsi].is_root) {
                return abi::status_invalid_input_reg1;
            }
            // Returns only when refused: the other PPs that run the root VM did not ask in time.
            m_platform.promote(m_objects.vss[f.rsi]);
            return abi::status_failure_unknown;
        case abi::vs_op_inject_idx:
            if (root_vs_here(f.rsi)) {
                return inject(f);
            } else {
                const guard g{m_objects.lock};
                return vs_reachable(f.rsi) ? inject(f) : abi::status_invalid_input_reg1;
            }
        case abi::vs_op_queue_interrupt_idx:
        case abi::vs_op_fpu_read_idx:
        case abi::vs_op_fpu_write_idx: {
            const guard g{m_objects.lock};
            if (!guest_vs(f.rsi) || !vs_reachable(f.rsi)) {
                return abi::status_invalid_input_reg1;
            }
            return idx == abi::vs_op_queue_interrupt_idx ? queue_interrupt(f)
                                                         : fpu_copy(f, idx == abi::vs_op_fpu_write_idx);
        }
        default:
            return abi::status_failure_unsupported;
        }
    }

    /// bf_vs_op_queue_interrupt into a guest's VS this PP may reach: an external interrupt's vector.
    uint64_t queue_interrupt(const syscall_frame &f)
    {
        if (f.rdx < 16 || f.rdx > 255) {
            return abi::status_invalid_input_reg2;
        }
        return m_platform.queue_interrupt(m_objects.vss[f.rsi], static_cast<uint8_t>(f.rdx))
                   ? abi::status_success
                   : abi::status_failure_unknown;  // one still waits
    }

    /// bf_vs_op_fpu_read/write between a guest's VS this PP may reach and a page of the extension.
    uint64_t fpu_copy(const syscall_frame &f, bool write)
    {
        if (f.rdx % page_bytes != 0) {
            return abi::status_invalid_input_reg2;
        }
        if (f.r10 != abi::fpu_legacy && f.r10 != abi::fpu_whole) {
            return abi::status_invalid_input_reg3;
        }
        // A page of the extension's own, writable for a read into it.
        auto *page = static_cast<uint8_t *>(m_platform.ext_page(f.rdx, !write));
        if (page == nullptr) {
            return abi::status_invalid_input_reg2;
        }
        vs_slot &vs = m_objects.vss[f.rsi];
        const bool whole = f.r10 == abi::fpu_whole;
        const bool ok = write ? m_platform.fpu_write(vs, page, whole) : m_platform.fpu_read(vs, page, whole);
        return ok ? abi::status_success : abi::status_failure_unknown;
    }

    /// bf_vs_op_inject into a VS this PP may reach: a second event before the first was
    /// delivered is refused.
    uint64_t inject(const syscall_frame &f)
    {
        return m_platform.inject(m_objects.vss[f.rsi], f.rdx) ? abi::status_success : abi::status_invalid_input_reg2;
    }

    /// bf_vs_op_read of a VS this PP may reach.
    uint64_t read_vs(syscall_frame &f)
    {
        return m_platform.vs_read(m_objects.vss[f.rsi], static_cast<abi::reg>(f.rdx), f.rdi)
                   ? abi::status_success
                   : abi::status_invalid_input_reg2;
    }

    /// bf_vs_op_write to a VS this PP may reach.
    uint64_t write_vs(const syscall_frame &f)
    {
        if (!m_platform.vs_write(m_objects.vss[f.rsi], static_cast<abi::reg>(f.rdx), f.r10)) {
            return abi::status_invalid_input_reg2;
        }
        if (f.rsi == m_platform.active_vsid()) {
            m_platform.active_to_tls(m_objects.vss[f.rsi]);  // the TLS block shows the active VS
        }
        return abi::status_success;
    }

    /// The MSRs the extension may read through the microkernel: VM_CR, EFER, PAT, HWCR, APIC base.
    static bool msr_readable(uint64_t msr)
    {
        return msr == abi::msr::vm_cr || msr == abi::msr::efer || msr == abi::msr::pat || msr == abi::msr::hwcr ||
               msr == abi::msr::apic_base;
    }

    /// Whether the extension may write value to msr (the root VM's writes, which exit): only HWCR
    /// and IA32_APIC_BASE, and only what leaves the host's configuration and the APIC page as they are.
    bool msr_writable(uint64_t msr, uint64_t value)
    {
        if (msr == abi::msr::hwcr) {
            return x64::hwcr_write_ok(m_platform.rdmsr(abi::msr::hwcr), value, m_platform.hwcr_root_bits());
        }
        if (msr == abi::msr::apic_base) {
            return x64::lapic::base_write_ok(m_platform.rdmsr(abi::msr::apic_base), value);
        }
        return false;
    }

    uint64_t intrinsic_op(uint64_t idx, syscall_frame &f)
    {
        switch (idx) {
        case abi::intrinsic_op_rdmsr_idx:
            if (!msr_readable(f.rsi)) {
                return abi::status_invalid_perm_denied;
            }
            f.rdi = m_platform.rdmsr(static_cast<uint32_t>(f.rsi));
            return abi::status_success;
        case abi::intrinsic_op_wrmsr_idx:
            if (!msr_writable(f.rsi, f.rdx)) {
                return abi::status_invalid_perm_denied;
            }
            m_platform.wrmsr(static_cast<uint32_t>(f.rsi), f.rdx);
            return abi::status_success;
        default:
            return abi::status_failure_unsupported;
        }
    }

    uint64_t mem_op(uint64_t idx, syscall_frame &f)
    {
        const guard g{m_objects.lock};
        switch (idx) {
        case abi::mem_op_alloc_page_idx: {
            uint64_t phys = 0;
            const uint64_t virt = ext_heap_base + m_objects.heap_next * 4096;
            if (m_objects.heap_next >= ext_heap_pages || !m_platform.map_into_extension(virt, phys)) {
                return abi::status_failure_unknown;
            }
            ++m_objects.heap_next;
            f.rdi = virt;
            f.rsi = phys;
            return abi::status_success;
        }
        case abi::mem_op_free_page_idx:
            // Only a page of the heap handed out before, page-aligned.
            if (f.rsi < ext_heap_base || f.rsi >= ext_heap_base + m_objects.heap_next * 4096 || f.rsi % 4096 != 0 ||
                !m_platform.unmap_from_extension(f.rsi)) {
                return abi::status_invalid_input_reg1;
            }
            return abi::status_success;
        default:
            return abi::status_failure_unsupported;
        }
    }

    Platform &m_platform;
    kernel_objects &m_objects;
};

}  // namespace mk
