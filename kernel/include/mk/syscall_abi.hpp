// SPDX-License-Identifier: MIT
// The syscall ABI between the microkernel and its extensions (microkernel syscall spec, 2.4-2.11):
// RAX = signature | flags | opcode | index; arguments in RDI, RSI, RDX, R10, R8, R9.
#pragma once

#include <stdint.h>

namespace mk::abi {

constexpr uint64_t sig_val = 0x6642000000000000ULL;  // "Bf" in RAX[63:48]
constexpr uint64_t sig_mask = 0xFFFF000000000000ULL;
constexpr uint64_t flags_mask = 0x0000FFFF00000000ULL;
constexpr uint64_t opcode_mask = 0xFFFF0000FFFF0000ULL;
constexpr uint64_t opcode_nosig_mask = 0x00000000FFFF0000ULL;
constexpr uint64_t index_mask = 0x000000000000FFFFULL;

constexpr uint64_t spec_id1 = 0x31236642ULL;  // the spec version an extension asks for
constexpr uint64_t invalid_handle = 0xFFFFFFFFFFFFFFFFULL;

// Opcodes (RAX[31:16]) with the signature, as in the spec's tables.
constexpr uint64_t control_op = 0x6642000000000000ULL;
constexpr uint64_t handle_op = 0x6642000000010000ULL;
constexpr uint64_t debug_op = 0x6642000000020000ULL;

// Indexes (RAX[15:0]).
constexpr uint64_t control_op_exit_idx = 0x0;
constexpr uint64_t control_op_wait_idx = 0x1;
constexpr uint64_t handle_op_open_handle_idx = 0x0;
constexpr uint64_t debug_op_out_idx = 0x0;

/// RAX for a syscall made of an opcode (with signature) and an index.
constexpr uint64_t rax(uint64_t opcode, uint64_t index) noexcept
{
    return (opcode & opcode_mask) | (index & index_mask);
}

/// Whether RAX carries the syscall signature.
constexpr bool has_sig(uint64_t rax_value) noexcept { return (rax_value & sig_mask) == sig_val; }

/// The opcode of RAX without the signature, as the dispatcher switches on it.
constexpr uint64_t opcode_of(uint64_t rax_value) noexcept { return (rax_value & opcode_nosig_mask) >> 16; }

/// The index of RAX.
constexpr uint64_t index_of(uint64_t rax_value) noexcept { return rax_value & index_mask; }

}  // namespace mk::abi
