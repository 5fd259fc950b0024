// SPDX-License-Identifier: MIT
// libFuzzer target: arbitrary registers and shared-page contents into MicroV's hypercall
// decisions (vmm/src/hypercalls.hpp) and its shared-page calls (vmm/src/shared_page.hpp). Checks what
// must hold for any input: a status from the spec's set, REG0 written only on success, actions
// only for the hypercalls that have them and only from CPL 0 where the kernel alone may ask, a
// failed page call leaves the page as it was, a successful one changes only output fields, and
// every CPUID answer stays within MicroV's masks.
#include "hypercalls.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

bool known_status(uint64_t s)
{
    switch (s) {
    case MV_STATUS_SUCCESS:
    case MV_STATUS_FAILURE_UNKNOWN:
    case MV_STATUS_FAILURE_UNSUPPORTED:
    case MV_STATUS_FAILURE_INVALID_HANDLE:
    case MV_STATUS_INVALID_PERM_DENIED:
    case MV_STATUS_INVALID_INPUT_REG0:
    case MV_STATUS_INVALID_INPUT_REG1:
        return true;
    default:
        return false;
    }
}

void check(bool ok)
{
    if (!ok) {
        std::abort();
    }
}

/// Registers: RAX, REG0-REG3, PPID, online PPs, CPL, TSC kHz, whether REG0 is an open handle; then
/// the page.
constexpr size_t regs_bytes = 8 * 5 + 2 + 2 + 1 + 8 + 1;

/// The fuzzer's CPU: a CPUID answer made from the leaf, so that any bit may come back.
vmm::cpuid_regs fake_cpuid(uint32_t fun, uint32_t idx)
{
    if ((fun & 0x7FFFFFFFU) == 0) {
        return {fun | 0x20U, 0, 0, 0};  // the highest leaf of the range
    }
    const uint32_t x = fun * 0x9E3779B9U ^ idx * 0x85EBCA6BU;
    return {~x, x, x * 3U | 0x80000000U, ~(x * 5U)};
}

/// What a successful call may have changed: the outputs only.
void check_outputs_only(vmm::page_call call, const uint8_t *before, const uint8_t *after)
{
    const auto same = [&](size_t off, size_t len) { return std::memcmp(before + off, after + off, len) == 0; };
    switch (call) {
    case vmm::page_call::cpuid_supported:
    case vmm::page_call::cpuid_emulated: {
        // fun, idx, flags unchanged, the answer within the masks, and nothing past the entry.
        check(same(0, 12) && same(28, vmm::shared_page_bytes - 28));
        mv_cdl_entry_t e{};
        std::memcpy(&e, after, sizeof(e));
        const vmm::cpuid_regs m = call == vmm::page_call::cpuid_supported
                                      ? vmm::cpuid_feature_mask(vmm::guest_supported_leaves, e.fun, e.idx)
                                      : vmm::cpuid_feature_mask(vmm::guest_emulated_leaves, e.fun, e.idx);
        check((e.eax & ~m.eax) == 0 && (e.ebx & ~m.ebx) == 0 && (e.ecx & ~m.ecx) == 0 && (e.edx & ~m.edx) == 0);
        return;
    }
    case vmm::page_call::cpuid_supported_list:
    case vmm::page_call::cpuid_emulated_list: {
        // The header unchanged; in each entry only eax-edx.
        check(same(0, offsetof(mv_cdl_t, entries)));
        uint64_t n = 0;
        std::memcpy(&n, after + offsetof(mv_cdl_t, num_entries), 8);
        check(n <= MV_CDL_MAX_ENTRIES);
        for (size_t i = 0; i < MV_CDL_MAX_ENTRIES; ++i) {
            const size_t at = offsetof(mv_cdl_t, entries) + i * sizeof(mv_cdl_entry_t);
            check(i < n ? same(at, 12) && same(at + 28, 4) : same(at, sizeof(mv_cdl_entry_t)));
        }
        return;
    }
    case vmm::page_call::msr_supported_list:
    case vmm::page_call::msr_permissable_list: {
        uint64_t flags = 0;
        uint64_t n = 0;
        std::memcpy(&flags, after, 8);
        std::memcpy(&n, after + offsetof(mv_rdl_t, num_entries), 8);
        check(n <= MV_RDL_MAX_ENTRIES && same(0, 8) && same(0x10, offsetof(mv_rdl_t, num_entries) - 0x10));
        if ((flags & MV_RDL_FLAG_ALL) == 0) {
            // The caller's entries: each reg unchanged, each val 0/1 or permission bits.
            check(same(8, 8) && same(offsetof(mv_rdl_t, num_entries), 8));
            for (size_t i = 0; i < MV_RDL_MAX_ENTRIES; ++i) {
                const size_t at = offsetof(mv_rdl_t, entries) + i * sizeof(mv_rdl_entry_t);
                uint64_t val = 0;
                std::memcpy(&val, after + at + 8, 8);
                check(same(at, 8) && (i < n ? val <= 3 : same(at + 8, 8)));
            }
        }
        return;
    }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // The registers from the first bytes, the page from the rest (zero where the input ends).
    uint8_t raw[regs_bytes] = {};
    std::memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
    vmm::hypercall_in in{};
    std::memcpy(&in.rax, raw, 8);
    std::memcpy(in.reg, raw + 8, 32);
    std::memcpy(&in.ppid, raw + 40, 2);
    std::memcpy(&in.online_pps, raw + 42, 2);
    in.cpl = raw[44] & 3U;
    std::memcpy(&in.tsc_khz, raw + 45, 8);
    in.handle_ok = (raw[53] & 1U) != 0;  // what the caller's handle table says of REG0

    const vmm::hypercall_out out = vmm::root_hypercall(in);
    const uint64_t call = in.rax & ~MV_HYPERCALL_FLAGS_MASK;
    const uint64_t index = in.rax & MV_HYPERCALL_INDEX_MASK;
    const bool pp_op = (call & MV_HYPERCALL_OPCODE_MASK) == MV_PP_OP_VAL;
    const uint64_t opcode = call & MV_HYPERCALL_OPCODE_MASK;
    const bool object_op = opcode == MV_VM_OP_VAL || opcode == MV_VP_OP_VAL || opcode == MV_VS_OP_VAL;

    check(known_status(out.status));
    check(!out.write_reg0 || out.status == MV_STATUS_SUCCESS);
    check(out.action == vmm::hypercall_action::none || out.status == MV_STATUS_SUCCESS);
    check(out.action != vmm::hypercall_action::debug_out || call == MV_DEBUG_OP_VAL);
    const bool handle_op = opcode == MV_HANDLE_OP_VAL;
    check(out.action == vmm::hypercall_action::none || out.action == vmm::hypercall_action::debug_out ||
          (out.action == vmm::hypercall_action::open_handle && handle_op) ||
          (out.action == vmm::hypercall_action::close_handle && handle_op && in.handle_ok) ||
          ((pp_op || object_op) && in.cpl == 0 && in.handle_ok));
    // A VM, VP or VS action only for its own group, and the caller's own IDs as they are.
    check(out.action < vmm::hypercall_action::create_vm || object_op);
    check(!(object_op && out.write_reg0) || out.reg0 == in.vmid || out.reg0 == in.vpid || out.reg0 == in.vsid);
    check(out.action != vmm::hypercall_action::set_shared_page || (in.reg[1] & 0xFFFU) == 0);
    check(out.action != vmm::hypercall_action::set_tsc_khz || (in.reg[1] != 0 && in.reg[1] <= vmm::tsc_khz_max));
    check(!(pp_op && index == MV_PP_OP_TSC_GET_KHZ_IDX_VAL && out.status == MV_STATUS_SUCCESS) ||
          out.reg0 == in.tsc_khz);
    // mv_vs_op_tsc_get_khz, in the PP group: the PP's frequency too.
    check(!(pp_op && index == MV_VS_OP_TSC_GET_KHZ_IDX_VAL && out.status == MV_STATUS_SUCCESS) ||
          (out.write_reg0 && out.reg0 == in.tsc_khz));
    // The VS state calls (vs_calls.hpp) only from the VS group; its reserved indexes are none.
    using act = vmm::hypercall_action;
    check(out.action < act::reg_get_list || out.action > act::xsave_set_all || opcode == MV_VS_OP_VAL);
    check(!(opcode == MV_VS_OP_VAL && (index == MV_VS_OP_GVA_TO_GPA_IDX_VAL || index == MV_VS_OP_FPU_GET_IDX_VAL ||
                                       index == MV_VS_OP_FPU_SET_IDX_VAL || index == MV_VS_OP_XSAVE_GET_IDX_VAL ||
                                       index == MV_VS_OP_XSAVE_SET_IDX_VAL)) ||
          out.status == MV_STATUS_FAILURE_UNSUPPORTED || out.status == MV_STATUS_FAILURE_INVALID_HANDLE);

    // Where the CPL is said not to matter, it does not.
    if (!vmm::hypercall_needs_cpl(in.rax)) {
        vmm::hypercall_in other = in;
        other.cpl = static_cast<uint8_t>(3U - in.cpl);
        const vmm::hypercall_out o = vmm::root_hypercall(other);
        check(o.status == out.status && o.action == out.action && o.write_reg0 == out.write_reg0 && o.reg0 == out.reg0);
    }

    // Any page call on whatever the page holds.
    if (out.action == vmm::hypercall_action::shared_page_call) {
        alignas(4096) static uint8_t page[vmm::shared_page_bytes];
        static uint8_t before[vmm::shared_page_bytes];
        std::memset(page, 0, sizeof(page));
        if (size > regs_bytes) {
            const size_t n = size - regs_bytes < sizeof(page) ? size - regs_bytes : sizeof(page);
            std::memcpy(page, data + regs_bytes, n);
        }
        std::memcpy(before, page, sizeof(page));
        const uint64_t s = vmm::serve_shared_page(out.call, vmm::shared_page_view{page}, fake_cpuid);
        check(s == MV_STATUS_SUCCESS || s == MV_STATUS_FAILURE_UNKNOWN);
        if (s != MV_STATUS_SUCCESS) {
            check(std::memcmp(before, page, sizeof(page)) == 0);
        } else {
            check_outputs_only(out.call, before, page);
        }
    }
    return 0;
}
