// SPDX-License-Identifier: MIT
// libFuzzer target: arbitrary registers into MicroV's hypercall decisions (vmm/hypercalls.hpp).
// Checks what must hold for any input: a status from the spec's set, REG0 written only on
// success, debug output only for mv_debug_op_out.
#include <vmm/hypercalls.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

bool known_status(uint64_t s)
{
    switch (s) {
    case MV_STATUS_SUCCESS:
    case MV_STATUS_FAILURE_UNSUPPORTED:
    case MV_STATUS_FAILURE_INVALID_HANDLE:
    case MV_STATUS_INVALID_INPUT_REG0:
    case MV_STATUS_INVALID_INPUT_REG1:
        return true;
    default:
        return false;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vmm::hypercall_in in{};
    uint8_t raw[sizeof(uint64_t) * 5 + 4] = {};
    std::memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
    std::memcpy(&in.rax, raw, 8);
    std::memcpy(in.reg, raw + 8, 32);
    std::memcpy(&in.ppid, raw + 40, 2);
    std::memcpy(&in.online_pps, raw + 42, 2);

    const vmm::hypercall_out out = vmm::root_hypercall(in);
    const uint64_t call = in.rax & ~MV_HYPERCALL_FLAGS_MASK;
    const bool shared = call == (MV_PP_OP_VAL | MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL) ||
                        call == (MV_PP_OP_VAL | MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL);
    if (!known_status(out.status) || (out.write_reg0 && out.status != MV_STATUS_SUCCESS) ||
        (out.debug_out && call != MV_DEBUG_OP_VAL) ||
        (out.map_shared && (!shared || out.status != MV_STATUS_SUCCESS)) ||
        (out.map_shared && call == (MV_PP_OP_VAL | MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL) && (in.reg[1] & 0xFFF) != 0)) {
        std::abort();
    }
    return 0;
}
