// SPDX-License-Identifier: MIT
// The extension's side of the microkernel syscall ABI: the `syscall` instruction with RAX built
// from mk::abi and the arguments in the spec's registers.
#pragma once

#include <mk/syscall_abi.hpp>

#include <stdint.h>

namespace vmm {

/// The result of a syscall: its status (RAX) and its first output register (RDI).
struct syscall_result {
    uint64_t status;
    uint64_t reg0;
};

inline syscall_result syscall2(uint64_t rax, uint64_t reg0, uint64_t reg1) noexcept
{
    syscall_result r{};
    asm volatile("syscall"
                 : "=a"(r.status), "=D"(r.reg0), "+S"(reg1)
                 : "a"(rax), "D"(reg0)
                 : "rcx", "r11", "rdx", "r8", "r9", "r10", "memory");
    return r;
}

/// bf_handle_op_open_handle: the handle for every other syscall, or mk::abi::invalid_handle.
inline uint64_t open_handle() noexcept
{
    const auto r = syscall2(mk::abi::rax(mk::abi::handle_op, mk::abi::handle_op_open_handle_idx), mk::abi::spec_id1, 0);
    return r.status == 0 ? r.reg0 : mk::abi::invalid_handle;
}

/// bf_debug_op_out: prints two values on the microkernel's console.
inline void debug_out(uint64_t a, uint64_t b) noexcept
{
    syscall2(mk::abi::rax(mk::abi::debug_op, mk::abi::debug_op_out_idx), a, b);
}

/// bf_control_op_wait: waits for callbacks; never returns.
[[noreturn]] inline void wait(uint64_t handle) noexcept
{
    syscall2(mk::abi::rax(mk::abi::control_op, mk::abi::control_op_wait_idx), handle, 0);
    __builtin_unreachable();
}

}  // namespace vmm
