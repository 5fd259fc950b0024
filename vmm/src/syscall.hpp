// SPDX-License-Identifier: MIT
// The extension's side of the microkernel syscall ABI: the `syscall` instruction with RAX built
// from mk::abi and the arguments in RDI, RSI, RDX, R10 (spec 2.4, 2.5), and the TLS block's
// registers of the active VS at FS:0x800.
#pragma once

#include <mk/syscall_abi.hpp>

#include <stdint.h>

namespace vmm {

namespace abi = mk::abi;

/// What a syscall gives back: its status (RAX) and its first two output registers.
struct syscall_result {
    uint64_t status;
    uint64_t reg0;
    uint64_t reg1;
};

inline syscall_result syscall(uint64_t rax, uint64_t reg0, uint64_t reg1 = 0, uint64_t reg2 = 0,
                              uint64_t reg3 = 0) noexcept
{
    syscall_result r{};
    register uint64_t r10 asm("r10") = reg3;
    asm volatile("syscall"
                 : "=a"(r.status), "=D"(r.reg0), "=S"(r.reg1), "+d"(reg2), "+r"(r10)
                 : "a"(rax), "D"(reg0), "S"(reg1)
                 : "rcx", "r11", "r8", "r9", "memory");
    return r;
}

/// A syscall with every argument register (rdi, rsi, rdx, r10, r8, r9); its status.
inline uint64_t syscall6(uint64_t rax, uint64_t reg0, uint64_t reg1, uint64_t reg2, uint64_t reg3, uint64_t reg4,
                         uint64_t reg5) noexcept
{
    uint64_t status = 0;
    register uint64_t r10 asm("r10") = reg3;
    register uint64_t r8 asm("r8") = reg4;
    register uint64_t r9 asm("r9") = reg5;
    asm volatile("syscall"
                 : "=a"(status), "+D"(reg0), "+S"(reg1), "+d"(reg2), "+r"(r10), "+r"(r8), "+r"(r9)
                 : "a"(rax)
                 : "rcx", "r11", "memory");
    return status;
}

inline uint64_t call(uint64_t opcode, uint64_t index) noexcept { return abi::rax(opcode, index); }

/// The handle every other syscall needs; the microkernel knows this spec version.
inline uint64_t open_handle() noexcept
{
    const auto r = syscall(call(abi::handle_op, abi::handle_op_open_handle_idx), abi::spec_id1);
    return r.status == abi::status_success ? r.reg0 : abi::invalid_handle;
}

/// Writes a NUL-terminated string on the microkernel's console.
inline void write_str(const char *s) noexcept
{
    syscall(call(abi::debug_op, abi::debug_op_write_str_idx), reinterpret_cast<uint64_t>(s));
}

/// Never returns: the callbacks are what happens next.
[[noreturn]] inline void wait(uint64_t handle) noexcept
{
    syscall(call(abi::control_op, abi::control_op_wait_idx), handle);
    __builtin_unreachable();
}

/// Gives up: the microkernel reports it and recovers as it can.
[[noreturn]] inline void exit_failure(uint64_t handle) noexcept
{
    syscall(call(abi::control_op, abi::control_op_exit_idx), handle, abi::exit_status_failure);
    __builtin_unreachable();
}

}  // namespace vmm
