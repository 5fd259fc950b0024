// SPDX-License-Identifier: MIT
// The microkernel's syscalls (microkernel syscall spec): what the extension may ask, each
// argument checked before use. Results go back in the frame's registers; RAX is the status.
#include "pp.hpp"

#include <mk/syscall_abi.hpp>
#include <mk/vs_regs.hpp>
#include <mk/x64/cpu.hpp>

namespace mk {

/// The registers of a syscall as mk_syscall_entry saved them; outputs are written back here.
struct syscall_frame {
    uint64_t rax, rdi, rsi, rdx, r10, r8, r9;
};

void vs_to_tls(pp_state &pp, const vs_slot &vs) noexcept;
void tls_to_vs(const pp_state &pp, vs_slot &vs) noexcept;

namespace {

constexpr uint64_t ext_handle = 0x4D6963726F560001ULL;  // the one handle there is, while open
constexpr uint64_t ext_heap_base = 0x0000400000000000ULL;
constexpr uint64_t ext_heap_pages = 0x10000;  // 256 MiB of address space for mem_op_alloc_page
constexpr size_t max_string = 256;

uint32_t g_lock;       // syscalls that change shared tables hold it
uint64_t g_heap_next;  // next free page of the extension's heap, in pages

struct guard {
    guard() noexcept
    {
        while (__atomic_exchange_n(&g_lock, 1U, __ATOMIC_ACQUIRE) != 0U) {
            __builtin_ia32_pause();
        }
    }
    ~guard() { __atomic_store_n(&g_lock, 0U, __ATOMIC_RELEASE); }
    guard(const guard &) = delete;
    guard &operator=(const guard &) = delete;
};

using st = uint64_t;

bool vs_ok(uint64_t vsid) noexcept { return vsid < max_vss && g_vss[vsid].used; }
bool vp_ok(uint64_t vpid) noexcept { return vpid < max_vps && g_vps[vpid].used; }
bool vm_ok(uint64_t vmid) noexcept { return vmid < max_vms && g_vms[vmid].used; }

/// The active VS's registers from the TLS block, where the extension may have changed them.
void sync_from_tls(pp_state &pp) noexcept
{
    if (pp.active_vsid < max_vss && g_vss[pp.active_vsid].used) {
        tls_to_vs(pp, g_vss[pp.active_vsid]);
    }
}

st debug_op(pp_state &, syscall_frame &f) noexcept
{
    switch (abi::index_of(f.rax)) {
    case abi::debug_op_out_idx:
        print_hex64("microv: ext: ", f.rdi, "");
        print_hex64(" ", f.rsi, "\n");
        return abi::status_success;
    case abi::debug_op_write_c_idx: {
        const char text[2] = {static_cast<char>(f.rdi & 0xFF), '\0'};
        g_console.write(text);
        return abi::status_success;
    }
    case abi::debug_op_write_str_idx: {
        // Copy through the extension's page tables, one page at a time, at most max_string bytes.
        char text[max_string + 1];
        size_t n = 0;
        for (; n < max_string; ++n) {
            const auto *c = static_cast<const char *>(ext_to_mk(f.rdi + n, false));
            if (c == nullptr) {
                return abi::status_invalid_input_reg0;
            }
            text[n] = *c;
            if (*c == '\0') {
                break;
            }
        }
        text[n] = '\0';
        g_console.write(text);
        return abi::status_success;
    }
    default:
        return abi::status_failure_unsupported;
    }
}

st callback_op(syscall_frame &f) noexcept
{
    // A callback must be executable extension code.
    uint64_t *slot = nullptr;
    switch (abi::index_of(f.rax)) {
    case abi::callback_op_register_bootstrap_idx:
        slot = &g_callbacks.bootstrap;
        break;
    case abi::callback_op_register_vmexit_idx:
        slot = &g_callbacks.vmexit;
        break;
    case abi::callback_op_register_fail_idx:
        slot = &g_callbacks.fail;
        break;
    default:
        return abi::status_failure_unsupported;
    }
    if (ext_to_mk(f.rsi, false) == nullptr || !ext_code(f.rsi)) {
        return abi::status_invalid_input_reg1;
    }
    const guard g;
    *slot = f.rsi;
    return abi::status_success;
}

st vm_op(syscall_frame &f) noexcept
{
    const guard g;
    switch (abi::index_of(f.rax)) {
    case abi::vm_op_create_vm_idx:
        for (uint16_t id = 1; id < max_vms; ++id) {
            if (!g_vms[id].used) {
                g_vms[id].used = true;
                f.rdi = id;
                return abi::status_success;
            }
        }
        return abi::status_failure_unknown;
    case abi::vm_op_destroy_vm_idx:
        if (f.rsi == abi::root_vmid || !vm_ok(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        for (const vp_slot &vp : g_vps) {
            if (vp.used && vp.vmid == f.rsi) {
                return abi::status_failure_unknown;  // its VPs go first
            }
        }
        g_vms[f.rsi].used = false;
        return abi::status_success;
    default:
        return abi::status_failure_unsupported;
    }
}

st vp_op(syscall_frame &f) noexcept
{
    const guard g;
    switch (abi::index_of(f.rax)) {
    case abi::vp_op_create_vp_idx:
        if (!vm_ok(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        for (uint16_t id = 0; id < max_vps; ++id) {
            if (!g_vps[id].used) {
                g_vps[id] = {true, static_cast<uint16_t>(f.rsi)};
                f.rdi = id;
                return abi::status_success;
            }
        }
        return abi::status_failure_unknown;
    case abi::vp_op_destroy_vp_idx:
        if (!vp_ok(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        for (const vs_slot &vs : g_vss) {
            if (vs.used && vs.vpid == f.rsi) {
                return abi::status_failure_unknown;  // its VSs go first
            }
        }
        g_vps[f.rsi].used = false;
        return abi::status_success;
    default:
        return abi::status_failure_unsupported;
    }
}

st create_vs(pp_state &pp, syscall_frame &f) noexcept
{
    if (!vp_ok(f.rsi)) {
        return abi::status_invalid_input_reg1;
    }
    if (f.rdx >= pp.args->online_pps) {
        return abi::status_invalid_input_reg2;
    }
    uint64_t phys = 0;
    auto *vmcb = static_cast<amd::vmcb *>(alloc_page(phys));
    if (vmcb == nullptr) {
        return abi::status_failure_unknown;
    }
    const guard g;
    for (uint16_t id = 0; id < max_vss; ++id) {
        if (!g_vss[id].used) {
            g_vss[id] = {};
            g_vss[id].used = true;
            g_vss[id].vpid = static_cast<uint16_t>(f.rsi);
            g_vss[id].ppid = static_cast<uint16_t>(f.rdx);
            g_vss[id].vmcb = vmcb;
            g_vss[id].vmcb_phys = phys;
            f.rdi = id;
            return abi::status_success;
        }
    }
    locked_pool{}.free(vmcb);
    return abi::status_failure_unknown;
}

/// Checks that a VS runs where it is asked to: its own PP, inside the VP and VM given.
bool runnable(const pp_state &pp, uint64_t vmid, uint64_t vpid, uint64_t vsid) noexcept
{
    return vs_ok(vsid) && vp_ok(vpid) && vm_ok(vmid) && g_vss[vsid].vpid == vpid && g_vps[vpid].vmid == vmid &&
           g_vss[vsid].ppid == pp.id;
}

st vs_op(pp_state &pp, syscall_frame &f) noexcept
{
    switch (abi::index_of(f.rax)) {
    case abi::vs_op_create_vs_idx:
        return create_vs(pp, f);
    case abi::vs_op_destroy_vs_idx: {
        if (!vs_ok(f.rsi) || f.rsi == pp.active_vsid || (g_vss[f.rsi].is_root && pp.root_running)) {
            return abi::status_invalid_input_reg1;
        }
        const guard g;
        locked_pool{}.free(g_vss[f.rsi].vmcb);
        g_vss[f.rsi] = {};
        return abi::status_success;
    }
    case abi::vs_op_init_as_root_idx:
        if (!vs_ok(f.rsi) || g_vss[f.rsi].ppid != pp.id || g_vps[g_vss[f.rsi].vpid].vmid != abi::root_vmid) {
            return abi::status_invalid_input_reg1;
        }
        init_root_vs(pp, g_vss[f.rsi]);
        return abi::status_success;
    case abi::vs_op_read_idx:
        if (!vs_ok(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        return vs_read(*g_vss[f.rsi].vmcb, g_vss[f.rsi].gprs, static_cast<abi::reg>(f.rdx), f.rdi)
                   ? abi::status_success
                   : abi::status_invalid_input_reg2;
    case abi::vs_op_write_idx:
        if (!vs_ok(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        if (!vs_write(*g_vss[f.rsi].vmcb, g_vss[f.rsi].gprs, static_cast<abi::reg>(f.rdx), f.r10)) {
            return abi::status_invalid_input_reg2;
        }
        if (f.rsi == pp.active_vsid) {
            vs_to_tls(pp, g_vss[f.rsi]);  // the TLS block shows the active VS
        }
        return abi::status_success;
    case abi::vs_op_run_idx:
        if (!runnable(pp, f.rsi, f.rdx, f.r10)) {
            return abi::status_invalid_input_reg3;
        }
        run_vs(pp, static_cast<uint16_t>(f.r10));
    case abi::vs_op_run_current_idx:
        if (!vs_ok(pp.active_vsid)) {
            return abi::status_failure_unknown;
        }
        run_vs(pp, pp.active_vsid);
    case abi::vs_op_advance_ip_and_run_current_idx:
        if (!vs_ok(pp.active_vsid) || !advance_ip(pp, g_vss[pp.active_vsid])) {
            return abi::status_failure_unknown;
        }
        run_vs(pp, pp.active_vsid);
    case abi::vs_op_promote_idx:
        if (f.rsi != pp.active_vsid || !vs_ok(f.rsi) || !g_vss[f.rsi].is_root) {
            return abi::status_invalid_input_reg1;
        }
        promote(pp, g_vss[f.rsi]);
    default:
        return abi::status_failure_unsupported;
    }
}

/// The MSRs the extension may read through the microkernel; it may write none yet.
bool msr_readable(uint64_t msr) noexcept
{
    return msr == amd::msr::vm_cr || msr == amd::msr::efer || msr == 0x277 /* PAT */;
}

st intrinsic_op(syscall_frame &f) noexcept
{
    switch (abi::index_of(f.rax)) {
    case abi::intrinsic_op_rdmsr_idx:
        if (!msr_readable(f.rsi)) {
            return abi::status_invalid_perm_denied;
        }
        f.rdi = x64::rdmsr(static_cast<uint32_t>(f.rsi));
        return abi::status_success;
    case abi::intrinsic_op_wrmsr_idx:
        return abi::status_invalid_perm_denied;
    default:
        return abi::status_failure_unsupported;
    }
}

st mem_op(syscall_frame &f) noexcept
{
    switch (abi::index_of(f.rax)) {
    case abi::mem_op_alloc_page_idx: {
        const guard g;
        if (g_heap_next >= ext_heap_pages) {
            return abi::status_failure_unknown;
        }
        uint64_t phys = 0;
        const uint64_t virt = ext_heap_base + g_heap_next * page_size;
        if (!map_into_extension(virt, phys)) {
            return abi::status_failure_unknown;
        }
        ++g_heap_next;
        f.rdi = virt;
        f.rsi = phys;
        return abi::status_success;
    }
    case abi::mem_op_free_page_idx: {
        const guard g;
        if (f.rsi < ext_heap_base || f.rsi >= ext_heap_base + g_heap_next * page_size || f.rsi % page_size != 0 ||
            !unmap_from_extension(f.rsi)) {
            return abi::status_invalid_input_reg1;
        }
        return abi::status_success;
    }
    default:
        return abi::status_failure_unsupported;
    }
}

}  // namespace

pp_state &this_pp() noexcept
{
    pp_state *pp = nullptr;
    asm volatile("mov %%gs:16, %0" : "=r"(pp));
    return *pp;
}

}  // namespace mk

extern "C" void mk_syscall(mk::syscall_frame *frame)
{
    using namespace mk;
    pp_state &pp = this_pp();
    syscall_frame &f = *frame;
    sync_from_tls(pp);

    if (!abi::has_sig(f.rax)) {
        f.rax = abi::status_failure_unsupported;
        return;
    }
    const uint64_t op = abi::opcode_of(f.rax);
    const uint64_t idx = abi::index_of(f.rax);

    // The handle first: only the debug output and opening the handle work without it.
    if (op == abi::opcode_of(abi::handle_op) && idx == abi::handle_op_open_handle_idx) {
        const bool ok =
            (f.rdi & abi::spec_id1_mask) == (abi::spec_id1 & abi::spec_id1_mask) && !g_callbacks.handle_open;
        g_callbacks.handle_open = g_callbacks.handle_open || ok;
        f.rdi = ok ? ext_handle : abi::invalid_handle;
        f.rax = ok ? abi::status_success : abi::status_failure_unknown;
        return;
    }
    if (op == abi::opcode_of(abi::debug_op)) {
        f.rax = debug_op(pp, f);
        return;
    }
    if (!g_callbacks.handle_open || f.rdi != ext_handle) {
        f.rax = abi::status_failure_invalid_handle;
        return;
    }

    switch (op) {
    case abi::opcode_of(abi::control_op):
        if (idx == abi::control_op_wait_idx && !pp.bootstrapped) {
            call_bootstrap(pp);  // _start is done: bootstrap this PP
        }
        extension_failed(pp, idx == abi::control_op_exit_idx ? "it called bf_control_op_exit" : "it waited");
    case abi::opcode_of(abi::handle_op):
        g_callbacks.handle_open = idx != abi::handle_op_close_handle_idx;
        f.rax = idx == abi::handle_op_close_handle_idx ? abi::status_success : abi::status_failure_unsupported;
        return;
    case abi::opcode_of(abi::callback_op):
        f.rax = callback_op(f);
        return;
    case abi::opcode_of(abi::vm_op):
        f.rax = vm_op(f);
        return;
    case abi::opcode_of(abi::vp_op):
        f.rax = vp_op(f);
        return;
    case abi::opcode_of(abi::vs_op):
        f.rax = vs_op(pp, f);
        return;
    case abi::opcode_of(abi::intrinsic_op):
        f.rax = intrinsic_op(f);
        return;
    case abi::opcode_of(abi::mem_op):
        f.rax = mem_op(f);
        return;
    default:
        f.rax = abi::status_failure_unsupported;
        return;
    }
}
