// SPDX-License-Identifier: MIT
// MicroV, the extension (ring 3 of the host): makes the root VM from the demoted OS on every PP
// and handles its exits. The decisions are in vmm/cpuid_policy.hpp and vmm/msr_policy.hpp; this
// file turns exits into those decisions and the decisions into syscalls.
#include <mk/x64/amd/vmcb.hpp>
#include <vmm/cpuid_policy.hpp>
#include <vmm/msr_policy.hpp>
#include <vmm/syscall.hpp>

namespace vmm {
namespace {

uint64_t g_handle = abi::invalid_handle;

constexpr uint64_t loader_stop = 0x764D0000FFFF0000ULL;  // MV_LOADER_HYPERCALL_STOP (mk_boot.h)

uint64_t vs_read(uint64_t vsid, abi::reg r) noexcept
{
    return syscall(call(abi::vs_op, abi::vs_op_read_idx), g_handle, vsid, static_cast<uint64_t>(r)).reg0;
}

void vs_write(uint64_t vsid, abi::reg r, uint64_t value) noexcept
{
    syscall(call(abi::vs_op, abi::vs_op_write_idx), g_handle, vsid, static_cast<uint64_t>(r), value);
}

[[noreturn]] void run_current() noexcept
{
    syscall(call(abi::vs_op, abi::vs_op_run_current_idx), g_handle);
    exit_failure(g_handle);
}

[[noreturn]] void advance_ip_and_run_current() noexcept
{
    syscall(call(abi::vs_op, abi::vs_op_advance_ip_and_run_current_idx), g_handle);
    exit_failure(g_handle);
}

/// "0x" and four hex digits.
void hex16(uint16_t value, char (&out)[7]) noexcept
{
    constexpr char digits[] = "0123456789abcdef";
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 4; ++i) {
        out[5 - i] = digits[(value >> (4 * i)) & 0xF];
    }
    out[6] = '\0';
}

void inject_gp(uint64_t vsid) noexcept
{
    vs_write(vsid, abi::reg::eventinj, mk::amd::eventinj(13, mk::amd::event_type::exception, true, 0));
}

[[noreturn]] void handle_cpuid() noexcept
{
    const auto leaf = static_cast<uint32_t>(tls_reg<abi::tls_offset_rax>());
    const auto subleaf = static_cast<uint32_t>(tls_reg<abi::tls_offset_rcx>());
    cpuid_regs hw{};
    asm volatile("cpuid" : "=a"(hw.eax), "=b"(hw.ebx), "=c"(hw.ecx), "=d"(hw.edx) : "a"(leaf), "c"(subleaf));
    const cpuid_regs r = root_cpuid(leaf, subleaf, hw);
    set_tls_reg<abi::tls_offset_rax>(r.eax);
    set_tls_reg<abi::tls_offset_rbx>(r.ebx);
    set_tls_reg<abi::tls_offset_rcx>(r.ecx);
    set_tls_reg<abi::tls_offset_rdx>(r.edx);
    advance_ip_and_run_current();
}

/// The real value of one of the MSRs MicroV intercepts, as the policy needs it.
uint64_t hw_msr(uint64_t vsid, uint32_t msr) noexcept
{
    if (msr == msr_efer) {
        return vs_read(vsid, abi::reg::efer);  // the root VM's own EFER lives in its VMCB
    }
    return syscall(call(abi::intrinsic_op, abi::intrinsic_op_rdmsr_idx), g_handle, msr).reg0;
}

[[noreturn]] void handle_msr(uint64_t vsid) noexcept
{
    const auto msr = static_cast<uint32_t>(tls_reg<abi::tls_offset_rcx>());
    const uint64_t hw = msr_intercepted(msr) ? hw_msr(vsid, msr) : 0;
    const bool write = vs_read(vsid, abi::reg::exitinfo1) != 0;
    const uint64_t value = (tls_reg<abi::tls_offset_rax>() & 0xFFFFFFFFU) | (tls_reg<abi::tls_offset_rdx>() << 32);
    const msr_result r = write ? root_wrmsr(msr, value, hw) : root_rdmsr(msr, hw);

    if (r.action == msr_action::inject_gp || r.action == msr_action::pass) {
        // Only MicroV's own MSRs exit; anything else here would be a wrong map: refuse it.
        inject_gp(vsid);
        run_current();
    }
    if (write) {
        vs_write(vsid, abi::reg::efer, r.value);  // the only MSR write MicroV emulates
    } else {
        set_tls_reg<abi::tls_offset_rax>(r.value & 0xFFFFFFFFU);
        set_tls_reg<abi::tls_offset_rdx>(r.value >> 32);
    }
    advance_ip_and_run_current();
}

[[noreturn]] void handle_vmmcall(uint64_t vsid) noexcept
{
    // The loader's stop, from the root VM's kernel only: give this PP back.
    if (tls_reg<abi::tls_offset_rax>() == loader_stop && vs_read(vsid, abi::reg::cpl) == 0) {
        constexpr uint64_t vmmcall_length = 3;
        set_tls_reg<abi::tls_offset_rax>(0);
        const uint64_t nrip = vs_read(vsid, abi::reg::nrip);
        vs_write(vsid, abi::reg::rip, nrip != 0 ? nrip : vs_read(vsid, abi::reg::rip) + vmmcall_length);
        syscall(call(abi::vs_op, abi::vs_op_promote_idx), g_handle, vsid);
        exit_failure(g_handle);
    }
#ifdef MICROV_TEST_FAULTS
    // Test build only: a hypercall that makes the extension fault, to test the microkernel's
    // handling of a faulting extension.
    constexpr uint64_t test_fault = 0x764D0000FFFE0000ULL;
    if (tls_reg<abi::tls_offset_rax>() == test_fault) {
        *reinterpret_cast<volatile uint64_t *>(0x10) = 1;
    }
#endif
    // The mv_* hypercalls come with the hypercall dispatcher; until then every one fails.
    set_tls_reg<abi::tls_offset_rax>(abi::status_failure_unknown);
    advance_ip_and_run_current();
}

}  // namespace

/// Runs on every PP once _start has waited: the OS there becomes the root VM's VS.
extern "C" [[noreturn]] void bootstrap(uint64_t ppid)
{
    const uint64_t vpid = syscall(call(abi::vp_op, abi::vp_op_create_vp_idx), g_handle, abi::root_vmid).reg0;
    const auto vs = syscall(call(abi::vs_op, abi::vs_op_create_vs_idx), g_handle, vpid, ppid);
    if (vs.status != abi::status_success ||
        syscall(call(abi::vs_op, abi::vs_op_init_as_root_idx), g_handle, vs.reg0).status != abi::status_success) {
        write_str("microv: cannot make the root VS\n");
        exit_failure(g_handle);
    }
    char pp[7];
    hex16(static_cast<uint16_t>(ppid), pp);
    write_str("microv: root OS had been demoted to vm 0x0000 on pp ");
    write_str(pp);
    write_str("\n");
    syscall(call(abi::vs_op, abi::vs_op_run_idx), g_handle, abi::root_vmid, vpid, vs.reg0);
    exit_failure(g_handle);
}

/// Runs on every exit of a VS this extension runs.
extern "C" [[noreturn]] void vmexit(uint64_t vsid, uint64_t exit_reason)
{
    switch (exit_reason) {
    case mk::amd::vmexit::cpuid:
        handle_cpuid();
    case mk::amd::vmexit::msr:
        handle_msr(vsid);
    case mk::amd::vmexit::vmmcall:
        handle_vmmcall(vsid);
    case mk::amd::vmexit::vmrun:
        inject_gp(vsid);  // the root VM sees no SVM
        run_current();
    case mk::amd::vmexit::shutdown:
        write_str("microv: the root VM shut down (triple fault)\n");
        exit_failure(g_handle);
    default:
        write_str("microv: unexpected exit of the root VM\n");
        exit_failure(g_handle);
    }
}

/// Runs when the microkernel reports a fault it could not handle on its own.
extern "C" [[noreturn]] void fail(uint64_t, uint64_t)
{
    write_str("microv: fail callback\n");
    exit_failure(g_handle);
}

}  // namespace vmm

/// The extension's entry, once, on the first PP: open the handle, register the callbacks, wait.
extern "C" [[noreturn]] void _start(uint64_t /*version*/)
{
    using namespace vmm;
    g_handle = open_handle();
    syscall(call(abi::callback_op, abi::callback_op_register_bootstrap_idx), g_handle,
            reinterpret_cast<uint64_t>(&bootstrap));
    syscall(call(abi::callback_op, abi::callback_op_register_vmexit_idx), g_handle,
            reinterpret_cast<uint64_t>(&vmexit));
    syscall(call(abi::callback_op, abi::callback_op_register_fail_idx), g_handle, reinterpret_cast<uint64_t>(&fail));
    wait(g_handle);
}
