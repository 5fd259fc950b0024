// SPDX-License-Identifier: MIT
// The seam under the extension's logic (extension.hpp and the files it calls): what it may ask
// of the microkernel, each operation one syscall (named beside it) or the TLS block. main.cpp binds
// it to the real syscalls; host tests bind it to a fake. A never-returning operation whose syscall
// fails ends in exit_failure. The logic is noexcept exactly when every operation of Sys is
// (sys_nothrow), so that a test's fake may end a path with an exception. Freestanding.
#pragma once

#include "cpuid_policy.hpp"

#include <mk/concepts.hpp>
#include <mk/syscall_abi.hpp>

#include <stdint.h>

namespace vmm {

namespace abi = mk::abi;

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

/// The seam: the microkernel's syscalls and the TLS block (main.cpp), or a host test's fake. The
/// IDs are the microkernel's (vsid, vpid, ppid, vmid).
template <class S>
concept vmm_sys = requires(S &s, uint64_t id, abi::reg r, uint32_t msr, const char *text)
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
        s.random()
        } -> detail::same_as<uint64_t>;  // RDRAND where the CPU has it; 0 otherwise
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
    {
        s.create_vm()
        } -> detail::status_and_reg0;  // bf_vm_op_create_vm
    {
        s.destroy_vm(id)
        } -> detail::same_as<uint64_t>;  // bf_vm_op_destroy_vm, its status
    {
        s.destroy_vp(id)
        } -> detail::same_as<uint64_t>;  // bf_vp_op_destroy_vp, its status
    {
        s.destroy_vs(id)
        } -> detail::same_as<uint64_t>;  // bf_vs_op_destroy_vs, its status
    {
        s.vs_get(id, r)
        } -> detail::status_and_reg0;  // bf_vs_op_read, with its status
    {
        s.vs_set(id, r, id)
        } -> detail::same_as<uint64_t>;  // bf_vs_op_write, its status
    {
        s.map_guest(id, id, id, id, id)
        } -> detail::same_as<uint64_t>;  // bf_vm_op_map_guest (vmid, gpa, root phys, pages, flags)
    {
        s.unmap_guest(id, id, id)
        } -> detail::same_as<uint64_t>;  // bf_vm_op_unmap_guest (vmid, gpa, pages)
    {
        s.run_guest(id, id, id)
        } -> detail::same_as<uint64_t>;  // bf_vs_op_run of a guest's VS: returns (its status) only if refused
    {
        s.queue_interrupt(id, id)
        } -> detail::same_as<uint64_t>;  // bf_vs_op_queue_interrupt (vsid, vector), its status
    {
        s.fpu_copy(id, id, id, true)
        } -> detail::same_as<uint64_t>;  // bf_vs_op_fpu_read/write (vsid, page, what, write), its status
    {
        s.guest_page(id, id)
        } -> detail::status_and_reg0;  // bf_vm_op_guest_page (vmid, gpa)
    {
        s.alloc_page()
        } -> detail::status_and_reg0;  // bf_mem_op_alloc_page: a page of the extension's heap
    s.promote(id);                     // bf_vs_op_promote: returns only if refused
    // Never returning ([[noreturn]]): they end the callback.
    s.run(id, id, id);               // bf_vs_op_run (vmid, vpid, vsid)
    s.run_current();                 // bf_vs_op_run_current
    s.advance_ip_and_run_current();  // bf_vs_op_advance_ip_and_run_current
    s.exit_failure();                // bf_control_op_exit, failure
};

namespace detail {
/// Whether every operation of the Sys that s points to is noexcept (s is never dereferenced: each
/// use is an unevaluated operand).
template <class Sys>
constexpr bool operations_nothrow(Sys *s)
{
    const abi::reg r = abi::reg::rax;
    bool all = noexcept(s->vs_read(0, r)) &&noexcept(s->vs_write(0, r, 0));
    all = all &&noexcept(s->vs_get(0, r)) &&noexcept(s->vs_set(0, r, 0));
    all = all &&noexcept(s->tls_get(0)) &&noexcept(s->tls_set(0, 0));
    all = all &&noexcept(s->cpuid(0, 0)) &&noexcept(s->rdmsr(0)) &&noexcept(s->wrmsr(0, 0));
    all = all &&noexcept(s->inject(0, 0)) &&noexcept(s->write_str("")) &&noexcept(s->tsc()) &&noexcept(s->random());
    all = all &&noexcept(s->create_vm()) &&noexcept(s->destroy_vm(0));
    all = all &&noexcept(s->create_vp(0)) &&noexcept(s->destroy_vp(0));
    all = all &&noexcept(s->create_vs(0, 0)) &&noexcept(s->destroy_vs(0)) &&noexcept(s->init_as_root(0));
    all = all &&noexcept(s->map_direct(0)) &&noexcept(s->unmap_direct(0)) &&noexcept(s->promote(0));
    all = all &&noexcept(s->map_guest(0, 0, 0, 0, 0)) &&noexcept(s->unmap_guest(0, 0, 0));
    all = all &&noexcept(s->run_guest(0, 0, 0)) &&noexcept(s->queue_interrupt(0, 0));
    all = all &&noexcept(s->fpu_copy(0, 0, 0, true)) &&noexcept(s->guest_page(0, 0)) &&noexcept(s->alloc_page());
    all = all &&noexcept(s->run(0, 0, 0)) &&noexcept(s->run_current());
    return all &&noexcept(s->advance_ip_and_run_current()) &&noexcept(s->exit_failure());
}
}  // namespace detail

/// EDX:EAX of the active VS, as the TLS block holds them: WRMSR's and XSETBV's value.
template <vmm_sys Sys>
uint64_t edx_eax(Sys &sys) noexcept(noexcept(sys.tls_get(0)))
{
    return (sys.tls_get(abi::tls_offset_rdx) << 32) | (sys.tls_get(abi::tls_offset_rax) & 0xFFFFFFFFU);
}

/// Whether every operation of Sys is noexcept: the real image's are, a test's fake's are not.
template <class Sys>
inline constexpr bool sys_nothrow = detail::operations_nothrow<Sys>(nullptr);

}  // namespace vmm
