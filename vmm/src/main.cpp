// SPDX-License-Identifier: MIT
// MicroV, the extension (ring 3 of the host): makes the root VM from the demoted OS on every PP
// and handles its exits. The logic is in extension.hpp and the files it includes (one per
// concept, templates over the seam of sys.hpp so that host tests can run them); this file binds it
// to the real syscalls and TLS block, and holds the entry points.
#include "extension.hpp"
#include "syscall.hpp"

namespace vmm {
namespace {

uint64_t g_handle = abi::invalid_handle;

/// The operations the extension's logic needs (vmm_sys), as syscalls with this extension's handle.
struct real_sys {
#ifdef MICROV_TEST_FAULTS
    void raw_syscall(uint64_t rax) noexcept { syscall(rax, g_handle); }
#endif
    uint64_t vs_read(uint64_t vsid, abi::reg r) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_read_idx), g_handle, vsid, static_cast<uint64_t>(r)).reg0;
    }

    void vs_write(uint64_t vsid, abi::reg r, uint64_t value) noexcept
    {
        syscall(call(abi::vs_op, abi::vs_op_write_idx), g_handle, vsid, static_cast<uint64_t>(r), value);
    }

    /// A register of the active VS, through the TLS block at FS:offset.
    uint64_t tls_get(uint64_t offset) noexcept
    {
        uint64_t value = 0;
        asm volatile("mov %%fs:(%1), %0" : "=r"(value) : "r"(offset));
        return value;
    }

    void tls_set(uint64_t offset, uint64_t value) noexcept
    {
        asm volatile("mov %0, %%fs:(%1)" : : "r"(value), "r"(offset) : "memory");
    }

    uint64_t random() noexcept
    {
        // CPUID 1 ECX bit 30: RDRAND. It may fail when the CPU's entropy runs dry: a few tries.
        if ((cpuid(1, 0).ecx & (1U << 30)) == 0) {
            return 0;
        }
        for (int i = 0; i < 10; ++i) {
            uint64_t v = 0;
            unsigned char ok = 0;
            asm volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
            if (ok != 0) {
                return v;
            }
        }
        return 0;
    }

    uint64_t tsc() noexcept
    {
        uint32_t lo = 0;
        uint32_t hi = 0;
        asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return (static_cast<uint64_t>(hi) << 32) | lo;
    }
    cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf) noexcept
    {
        cpuid_regs hw{};
        asm volatile("cpuid" : "=a"(hw.eax), "=b"(hw.ebx), "=c"(hw.ecx), "=d"(hw.edx) : "a"(leaf), "c"(subleaf));
        return hw;
    }

    uint64_t rdmsr(uint32_t msr) noexcept
    {
        return syscall(call(abi::intrinsic_op, abi::intrinsic_op_rdmsr_idx), g_handle, msr).reg0;
    }

    bool wrmsr(uint32_t msr, uint64_t value) noexcept
    {
        return syscall(call(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx), g_handle, msr, value).status ==
               abi::status_success;
    }

    void write_str(const char *s) noexcept { vmm::write_str(s); }

    syscall_result create_vp(uint64_t vmid) noexcept
    {
        return syscall(call(abi::vp_op, abi::vp_op_create_vp_idx), g_handle, vmid);
    }

    syscall_result create_vs(uint64_t vpid, uint64_t ppid) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_create_vs_idx), g_handle, vpid, ppid);
    }

    syscall_result create_vm() noexcept { return syscall(call(abi::vm_op, abi::vm_op_create_vm_idx), g_handle); }

    uint64_t destroy_vm(uint64_t vmid) noexcept
    {
        return syscall(call(abi::vm_op, abi::vm_op_destroy_vm_idx), g_handle, vmid).status;
    }

    uint64_t destroy_vp(uint64_t vpid) noexcept
    {
        return syscall(call(abi::vp_op, abi::vp_op_destroy_vp_idx), g_handle, vpid).status;
    }

    syscall_result vs_get(uint64_t vsid, abi::reg r) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_read_idx), g_handle, vsid, static_cast<uint64_t>(r));
    }

    uint64_t vs_set(uint64_t vsid, abi::reg r, uint64_t value) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_write_idx), g_handle, vsid, static_cast<uint64_t>(r), value).status;
    }

    uint64_t destroy_vs(uint64_t vsid) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_destroy_vs_idx), g_handle, vsid).status;
    }

    syscall_result map_direct(uint64_t phys) noexcept
    {
        return syscall(call(abi::vm_op, abi::vm_op_map_direct_idx), g_handle, abi::root_vmid, phys);
    }
    uint64_t unmap_direct(uint64_t virt) noexcept
    {
        return syscall(call(abi::vm_op, abi::vm_op_unmap_direct_idx), g_handle, abi::root_vmid, virt).status;
    }
    uint64_t init_as_root(uint64_t vsid) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_init_as_root_idx), g_handle, vsid).status;
    }

    uint64_t map_guest(uint64_t vmid, uint64_t gpa, uint64_t phys, uint64_t pages, uint64_t flags) noexcept
    {
        return syscall6(call(abi::vm_op, abi::vm_op_map_guest_idx), g_handle, vmid, gpa, phys, pages, flags);
    }
    uint64_t unmap_guest(uint64_t vmid, uint64_t gpa, uint64_t pages) noexcept
    {
        return syscall6(call(abi::vm_op, abi::vm_op_unmap_guest_idx), g_handle, vmid, gpa, 0, pages, 0);
    }
    uint64_t run_guest(uint64_t vmid, uint64_t vpid, uint64_t vsid) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_run_idx), g_handle, vmid, vpid, vsid).status;
    }

    uint64_t queue_interrupt(uint64_t vsid, uint64_t vector) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_queue_interrupt_idx), g_handle, vsid, vector).status;
    }
    uint64_t fpu_copy(uint64_t vsid, uint64_t page, uint64_t what, bool write) noexcept
    {
        return syscall(call(abi::vs_op, write ? abi::vs_op_fpu_write_idx : abi::vs_op_fpu_read_idx), g_handle, vsid,
                       page, what)
            .status;
    }
    syscall_result guest_page(uint64_t vmid, uint64_t gpa) noexcept
    {
        return syscall(call(abi::vm_op, abi::vm_op_guest_page_idx), g_handle, vmid, gpa);
    }
    syscall_result alloc_page() noexcept { return syscall(call(abi::mem_op, abi::mem_op_alloc_page_idx), g_handle); }

    [[noreturn]] void run(uint64_t vmid, uint64_t vpid, uint64_t vsid) noexcept
    {
        syscall(call(abi::vs_op, abi::vs_op_run_idx), g_handle, vmid, vpid, vsid);
        exit_failure();
    }

    [[noreturn]] void run_current() noexcept
    {
        syscall(call(abi::vs_op, abi::vs_op_run_current_idx), g_handle);
        exit_failure();
    }

    [[noreturn]] void advance_ip_and_run_current() noexcept
    {
        syscall(call(abi::vs_op, abi::vs_op_advance_ip_and_run_current_idx), g_handle);
        exit_failure();
    }

    void promote(uint64_t vsid) noexcept { syscall(call(abi::vs_op, abi::vs_op_promote_idx), g_handle, vsid); }
    bool inject(uint64_t vsid, uint64_t event) noexcept
    {
        return syscall(call(abi::vs_op, abi::vs_op_inject_idx), g_handle, vsid, event).status == abi::status_success;
    }

    [[noreturn]] void exit_failure() noexcept { vmm::exit_failure(g_handle); }
};

real_sys g_sys;

static_assert(vmm_sys<real_sys> && sys_nothrow<real_sys>, "the image's operations must be noexcept");

/// What the extension keeps across exits (each PP's shared page and TSC frequency), and its logic.
extension_state g_state;
constinit extension<real_sys> g_extension{g_sys, g_state};

}  // namespace

/// Runs on every PP once _start has waited: the OS there becomes the root VM's VS.
extern "C" [[noreturn]] void bootstrap(uint64_t ppid) noexcept { g_extension.bootstrap(ppid); }

/// Runs on every exit of a VS this extension runs.
extern "C" [[noreturn]] void vmexit(uint64_t vsid, uint64_t exit_reason) noexcept
{
    g_extension.vmexit(vsid, exit_reason);
}

/// Runs when the microkernel reports a fault it could not handle on its own.
extern "C" [[noreturn]] void fail(uint64_t, uint64_t) noexcept { g_extension.fail(); }

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
