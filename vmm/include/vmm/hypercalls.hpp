// SPDX-License-Identifier: MIT
// The mv_* hypercalls MicroV serves (MicroV hypercall spec), decided from the caller's registers
// alone: a pure function, so that unit tests and the fuzzer reach every branch. The extension's
// VMMCALL exit feeds it the registers from the TLS block and writes the results back.
// Decisions where the spec is silent are listed in docs/hypercalls.md.
#pragma once

#include <microv/hypercall.h>

#include <stdint.h>

namespace vmm {

/// The handle of the root VM: the same for every opener (several root-VM programs share it).
inline constexpr uint64_t root_handle = 0x00004D5600000001ULL;

/// One hypercall's inputs: RAX, REG0-REG3, and where it came from.
struct hypercall_in {
    uint64_t rax;
    uint64_t reg[4];
    uint16_t ppid;
    uint16_t online_pps;
};

/// One hypercall's results: the status for RAX, the output registers to write, and whether
/// mv_debug_op_out asked for its two values to be printed.
struct hypercall_out {
    uint64_t status;
    uint64_t reg0;
    bool write_reg0;
    bool debug_out;
    bool map_shared;  // set/clr_shared_page_gpa, checked: the caller maps (or unmaps) the page
};

namespace detail {

constexpr hypercall_out status(uint64_t s) noexcept { return {s, 0, false, false, false}; }
constexpr hypercall_out value(uint64_t v) noexcept { return {MV_STATUS_SUCCESS, v, true, false, false}; }
constexpr hypercall_out map_shared() noexcept { return {MV_STATUS_SUCCESS, 0, false, false, true}; }

constexpr hypercall_out id_op(uint64_t index) noexcept
{
    // has_capability: no capability is defined yet, so none is supported; get/clr/set_capability
    // are "TBD" in the spec.
    return index == MV_ID_OP_VERSION_IDX_VAL ? value(MV_ALL_SPECS_SUPPORTED_VAL)
                                             : status(MV_STATUS_FAILURE_UNSUPPORTED);
}

constexpr hypercall_out handle_op(uint64_t index, const uint64_t (&reg)[4]) noexcept
{
    switch (index) {
    case MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL:
        // REG0[31:0] names the spec version; REG0[63:32] is REVI.
        return (reg[0] & 0xFFFFFFFFULL) == MV_SPEC_ID1_VAL ? value(root_handle) : status(MV_STATUS_INVALID_INPUT_REG0);
    case MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL:
        return reg[0] == root_handle ? status(MV_STATUS_SUCCESS) : status(MV_STATUS_FAILURE_INVALID_HANDLE);
    default:
        return status(MV_STATUS_FAILURE_UNSUPPORTED);
    }
}

constexpr hypercall_out pp_op(uint64_t index, const hypercall_in &in) noexcept
{
    if (in.reg[0] != root_handle) {
        return status(MV_STATUS_FAILURE_INVALID_HANDLE);
    }
    switch (index) {
    case MV_PP_OP_PPID_IDX_VAL:
        return value(in.ppid);
    case MV_PP_OP_ONLINE_PPS_IDX_VAL:
        return value(in.online_pps);
    case MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL:
        return map_shared();
    case MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL:
        // REG1[11:0] is REVZ: a GPA must be page-aligned. Whose page it is, the microkernel checks.
        return (in.reg[1] & 0xFFFU) != 0 ? status(MV_STATUS_INVALID_INPUT_REG1) : map_shared();
    default:
        return status(MV_STATUS_FAILURE_UNSUPPORTED);  // the rest of the group is not served yet
    }
}

}  // namespace detail

/// Serves one hypercall of the root VM.
constexpr hypercall_out root_hypercall(const hypercall_in &in) noexcept
{
    // The signature, and no flags: none is defined.
    if ((in.rax & MV_HYPERCALL_SIG_MASK) != MV_HYPERCALL_SIG_VAL || (in.rax & MV_HYPERCALL_FLAGS_MASK) != 0) {
        return detail::status(MV_STATUS_FAILURE_UNSUPPORTED);
    }
    const uint64_t index = in.rax & MV_HYPERCALL_INDEX_MASK;
    switch (in.rax & MV_HYPERCALL_OPCODE_MASK) {
    case MV_ID_OP_VAL:
        return detail::id_op(index);
    case MV_HANDLE_OP_VAL:
        return detail::handle_op(index, in.reg);
    case MV_DEBUG_OP_VAL:
        return index == MV_DEBUG_OP_OUT_IDX_VAL ? hypercall_out{MV_STATUS_SUCCESS, 0, false, true, false}
                                                : detail::status(MV_STATUS_FAILURE_UNSUPPORTED);
    case MV_PP_OP_VAL:
        return detail::pp_op(index, in);
    default:
        return detail::status(MV_STATUS_FAILURE_UNSUPPORTED);  // VM, VP and VS groups: not yet
    }
}

}  // namespace vmm
