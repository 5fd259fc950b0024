// SPDX-License-Identifier: MIT
// The mv_* hypercalls MicroV serves, decided from registers (vmm/src/hypercalls.hpp).
#include "hypercalls.hpp"

#include <gtest/gtest.h>

namespace {

using vmm::hypercall_action;
using vmm::page_call;
/// The handle the tests' callers hold: handle_ok for it (decide), for no other value.
constexpr uint64_t root_handle = 0x00004D5600000001ULL;

/// root_hypercall with handle_ok as a caller's table would say it for root_handle.
constexpr vmm::hypercall_out decide(vmm::hypercall_in in)
{
    in.handle_ok = in.reg[0] == root_handle;
    return vmm::root_hypercall(in);
}

vmm::hypercall_out call(uint64_t opcode, uint64_t index, uint64_t reg0 = 0, uint64_t reg1 = 0, uint8_t cpl = 0,
                        uint64_t tsc_khz = 0)
{
    return decide({mv_rax(opcode, index), {reg0, reg1, 0, 0}, 3, 4, cpl, tsc_khz});
}

vmm::hypercall_out pp(uint64_t index, uint64_t reg1 = 0, uint8_t cpl = 0, uint64_t tsc_khz = 0)
{
    return call(MV_PP_OP_VAL, index, root_handle, reg1, cpl, tsc_khz);
}

TEST(hypercalls, rax_layout_matches_the_spec)
{
    EXPECT_EQ(mv_rax(MV_PP_OP_VAL, MV_PP_OP_ONLINE_PPS_IDX_VAL), 0x764D000000030001ULL);
    EXPECT_EQ(mv_rax(MV_HANDLE_OP_VAL | 0x0000123400000000ULL, 0x10001), 0x764D000000010001ULL);
}

TEST(hypercalls, version)
{
    const auto out = call(MV_ID_OP_VAL, MV_ID_OP_VERSION_IDX_VAL);
    EXPECT_EQ(out.status, MV_STATUS_SUCCESS);
    EXPECT_TRUE(out.write_reg0);
    EXPECT_EQ(out.reg0, MV_ALL_SPECS_SUPPORTED_VAL);
    EXPECT_NE(out.reg0 & MV_SPEC_ID1_MASK, 0U) << "version 1 of the spec is supported";
}

TEST(hypercalls, capabilities_are_none_yet)
{
    for (const uint64_t idx : {MV_ID_OP_GET_CAPABILITY_IDX_VAL, MV_ID_OP_CLR_CAPABILITY_IDX_VAL,
                               MV_ID_OP_SET_CAPABILITY_IDX_VAL, MV_ID_OP_HAS_CAPABILITY_IDX_VAL, 5ULL}) {
        const auto out = call(MV_ID_OP_VAL, idx, 1);
        EXPECT_EQ(out.status, MV_STATUS_FAILURE_UNSUPPORTED) << idx;
        EXPECT_FALSE(out.write_reg0);
    }
}

TEST(hypercalls, open_and_close_the_handle)
{
    // Opening is the caller's (a fresh value from its table), once the version is checked.
    auto out = call(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL, MV_SPEC_ID1_VAL);
    EXPECT_EQ(out.status, MV_STATUS_SUCCESS);
    EXPECT_EQ(out.action, hypercall_action::open_handle);
    out = call(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL, 0xFFFFFFFF00000000ULL | MV_SPEC_ID1_VAL);
    EXPECT_EQ(out.action, hypercall_action::open_handle) << "REG0[63:32] is REVI";
    out = call(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL, 0x3123764E);
    EXPECT_EQ(out.status, MV_STATUS_INVALID_INPUT_REG0);
    EXPECT_EQ(out.action, hypercall_action::none);
    EXPECT_FALSE(out.write_reg0);

    // Closing: an open handle only.
    EXPECT_EQ(call(MV_HANDLE_OP_VAL, MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL, root_handle).action,
              hypercall_action::close_handle);
    EXPECT_EQ(call(MV_HANDLE_OP_VAL, MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL, root_handle + 1).status,
              MV_STATUS_FAILURE_INVALID_HANDLE);
    EXPECT_EQ(call(MV_HANDLE_OP_VAL, 2, root_handle).status, MV_STATUS_FAILURE_UNSUPPORTED);
}

TEST(hypercalls, debug_out_needs_no_handle)
{
    const auto out = call(MV_DEBUG_OP_VAL, MV_DEBUG_OP_OUT_IDX_VAL, 0x11, 0x22);
    EXPECT_EQ(out.status, MV_STATUS_SUCCESS);
    EXPECT_EQ(out.action, hypercall_action::debug_out);
    EXPECT_FALSE(out.write_reg0);
    EXPECT_EQ(call(MV_DEBUG_OP_VAL, MV_DEBUG_OP_OUT_IDX_VAL, 0, 0, 3).action, hypercall_action::debug_out)
        << "from user space too";
    EXPECT_EQ(call(MV_DEBUG_OP_VAL, 1).status, MV_STATUS_FAILURE_UNSUPPORTED);
    EXPECT_EQ(call(MV_DEBUG_OP_VAL, 1).action, hypercall_action::none);
}

TEST(hypercalls, ppid_and_online_pps)
{
    auto out = call(MV_PP_OP_VAL, MV_PP_OP_PPID_IDX_VAL, root_handle);
    EXPECT_EQ(out.status, MV_STATUS_SUCCESS);
    EXPECT_EQ(out.reg0, 3U);
    out = call(MV_PP_OP_VAL, MV_PP_OP_ONLINE_PPS_IDX_VAL, root_handle);
    EXPECT_EQ(out.reg0, 4U);
    EXPECT_EQ(call(MV_PP_OP_VAL, MV_PP_OP_PPID_IDX_VAL, 0).status, MV_STATUS_FAILURE_INVALID_HANDLE);
    EXPECT_EQ(call(MV_PP_OP_VAL, MV_PP_OP_ONLINE_PPS_IDX_VAL, MV_INVALID_HANDLE).status,
              MV_STATUS_FAILURE_INVALID_HANDLE);
    EXPECT_EQ(pp(MV_PP_OP_PPID_IDX_VAL, 0, 3).reg0, 3U) << "from user space too";
    EXPECT_EQ(pp(MV_PP_OP_ONLINE_PPS_IDX_VAL, 0, 3).reg0, 4U);
}

TEST(hypercalls, shared_page_gpa_is_checked_then_left_to_the_caller)
{
    auto out = pp(MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL, 0x123000);
    EXPECT_EQ(out.status, MV_STATUS_SUCCESS);
    EXPECT_EQ(out.action, hypercall_action::set_shared_page);
    out = pp(MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL, 0x123001);
    EXPECT_EQ(out.status, MV_STATUS_INVALID_INPUT_REG1) << "REG1[11:0] is REVZ";
    EXPECT_EQ(out.action, hypercall_action::none);
    EXPECT_EQ(pp(MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL).action, hypercall_action::clr_shared_page);
    EXPECT_EQ(call(MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL, 7, 0x123000).status,
              MV_STATUS_FAILURE_INVALID_HANDLE);
}

TEST(hypercalls, what_names_memory_or_changes_state_is_the_kernels_alone)
{
    for (const uint64_t idx : {MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL,
                               MV_PP_OP_CPUID_GET_SUPPORTED_IDX_VAL, MV_PP_OP_CPUID_GET_SUPPORTED_LIST_IDX_VAL,
                               MV_PP_OP_CPUID_GET_EMULATED_IDX_VAL, MV_PP_OP_CPUID_GET_EMULATED_LIST_IDX_VAL,
                               MV_PP_OP_MSR_GET_SUPPORTED_LIST_IDX_VAL, MV_PP_OP_MSR_GET_PERMISSABLE_LIST_IDX_VAL,
                               MV_PP_OP_TSC_SET_KHZ_IDX_VAL}) {
        for (const uint8_t cpl : {uint8_t{1}, uint8_t{2}, uint8_t{3}}) {
            const auto out = pp(idx, 0x123000, cpl);
            EXPECT_EQ(out.status, MV_STATUS_INVALID_PERM_DENIED) << idx << " at CPL " << int{cpl};
            EXPECT_EQ(out.action, hypercall_action::none);
        }
        EXPECT_EQ(call(MV_PP_OP_VAL, idx, 5, 0, 3).status, MV_STATUS_FAILURE_INVALID_HANDLE) << "the handle first";
    }
}

TEST(hypercalls, shared_page_calls_are_left_to_the_caller)
{
    const struct {
        uint64_t idx;
        page_call call;
    } calls[] = {
        {MV_PP_OP_CPUID_GET_SUPPORTED_IDX_VAL, page_call::cpuid_supported},
        {MV_PP_OP_CPUID_GET_SUPPORTED_LIST_IDX_VAL, page_call::cpuid_supported_list},
        {MV_PP_OP_CPUID_GET_EMULATED_IDX_VAL, page_call::cpuid_emulated},
        {MV_PP_OP_CPUID_GET_EMULATED_LIST_IDX_VAL, page_call::cpuid_emulated_list},
        {MV_PP_OP_MSR_GET_SUPPORTED_LIST_IDX_VAL, page_call::msr_supported_list},
        {MV_PP_OP_MSR_GET_PERMISSABLE_LIST_IDX_VAL, page_call::msr_permissable_list},
    };
    for (const auto &c : calls) {
        const auto out = pp(c.idx);
        EXPECT_EQ(out.status, MV_STATUS_SUCCESS) << c.idx;
        EXPECT_EQ(out.action, hypercall_action::shared_page_call) << c.idx;
        EXPECT_EQ(out.call, c.call) << c.idx;
        EXPECT_FALSE(out.write_reg0);
    }
}

TEST(hypercalls, msr_register_forms)
{
    auto out = pp(MV_PP_OP_MSR_GET_SUPPORTED_IDX_VAL, 0xC0000082, 3);
    EXPECT_EQ(out.status, MV_STATUS_SUCCESS);
    EXPECT_TRUE(out.write_reg0);
    EXPECT_EQ(out.reg0, 1U) << "LSTAR, from user space";
    EXPECT_EQ(pp(MV_PP_OP_MSR_GET_SUPPORTED_IDX_VAL, 0xFFFFFFFF00000277ULL).reg0, 1U) << "REG1[63:32] is REVI";
    EXPECT_EQ(pp(MV_PP_OP_MSR_GET_SUPPORTED_IDX_VAL, 0x10).reg0, 0U) << "the TSC is not VS state";
    EXPECT_EQ(pp(MV_PP_OP_MSR_GET_PERMISSABLE_IDX_VAL, 0x10, 3).reg0, MV_PERM_READ | MV_PERM_WRITE);
    EXPECT_EQ(pp(MV_PP_OP_MSR_GET_PERMISSABLE_IDX_VAL, 0xC0010114).reg0, MV_PERM_READ) << "VM_CR";
    EXPECT_EQ(pp(MV_PP_OP_MSR_GET_PERMISSABLE_IDX_VAL, 0x40000000).reg0, 0U);
    EXPECT_EQ(call(MV_PP_OP_VAL, MV_PP_OP_MSR_GET_SUPPORTED_IDX_VAL, 0, 0xC0000082).status,
              MV_STATUS_FAILURE_INVALID_HANDLE);
}

TEST(hypercalls, tsc_khz)
{
    auto out = pp(MV_PP_OP_TSC_GET_KHZ_IDX_VAL, 0, 3, 0);
    EXPECT_EQ(out.status, MV_STATUS_SUCCESS);
    EXPECT_EQ(out.reg0, 0U) << "never set";
    EXPECT_EQ(pp(MV_PP_OP_TSC_GET_KHZ_IDX_VAL, 0, 0, 2500000).reg0, 2500000U);

    out = pp(MV_PP_OP_TSC_SET_KHZ_IDX_VAL, 2500000);
    EXPECT_EQ(out.status, MV_STATUS_SUCCESS);
    EXPECT_EQ(out.action, hypercall_action::set_tsc_khz);
    EXPECT_EQ(pp(MV_PP_OP_TSC_SET_KHZ_IDX_VAL, vmm::tsc_khz_max).action, hypercall_action::set_tsc_khz);
    for (const uint64_t bad : {uint64_t{0}, vmm::tsc_khz_max + 1, ~uint64_t{0}}) {
        out = pp(MV_PP_OP_TSC_SET_KHZ_IDX_VAL, bad);
        EXPECT_EQ(out.status, MV_STATUS_INVALID_INPUT_REG1) << bad;
        EXPECT_EQ(out.action, hypercall_action::none);
    }
}

TEST(hypercalls, reserved_pp_calls_are_unsupported_from_any_caller)
{
    for (const uint64_t idx :
         {MV_PP_OP_CPUID_GET_PERMISSABLE_IDX_VAL, MV_PP_OP_CPUID_GET_PERMISSABLE_LIST_IDX_VAL,
          MV_PP_OP_REG_GET_SUPPORTED_IDX_VAL, MV_PP_OP_REG_GET_SUPPORTED_LIST_IDX_VAL,
          MV_PP_OP_REG_GET_PERMISSABLE_IDX_VAL, MV_PP_OP_REG_GET_PERMISSABLE_LIST_IDX_VAL,
          MV_PP_OP_REG_GET_EMULATED_IDX_VAL, MV_PP_OP_REG_GET_EMULATED_LIST_IDX_VAL, MV_PP_OP_MSR_GET_EMULATED_IDX_VAL,
          MV_PP_OP_MSR_GET_EMULATED_LIST_IDX_VAL, 0x18ULL, 0xFFFFULL}) {
        for (const uint8_t cpl : {uint8_t{0}, uint8_t{3}}) {
            const auto out = pp(idx, 0, cpl);
            EXPECT_EQ(out.status, MV_STATUS_FAILURE_UNSUPPORTED) << idx;
            EXPECT_EQ(out.action, hypercall_action::none);
        }
    }
}

TEST(hypercalls, bad_signature_flags_and_groups)
{
    EXPECT_EQ(decide({0x764E000000000000ULL, {}, 0, 1, 0, 0}).status, MV_STATUS_FAILURE_UNSUPPORTED);
    EXPECT_EQ(decide({0x6642000000000000ULL, {}, 0, 1, 0, 0}).status, MV_STATUS_FAILURE_UNSUPPORTED)
        << "a microkernel syscall's signature";
    EXPECT_EQ(decide({0x764D000100000000ULL, {}, 0, 1, 0, 0}).status, MV_STATUS_FAILURE_UNSUPPORTED) << "a flag set";
    EXPECT_EQ(decide({0x764D0000FFFF0000ULL, {root_handle}, 0, 1, 0, 0}).status, MV_STATUS_FAILURE_UNSUPPORTED)
        << "an opcode the spec does not have";
}

TEST(hypercalls, vm_vp_and_vs_calls_from_the_kernel_with_the_handle)
{
    using a = vmm::hypercall_action;
    const struct {
        uint64_t op, index;
        a action;
    } asks[] = {
        {MV_VM_OP_VAL, MV_VM_OP_CREATE_VM_IDX_VAL, a::create_vm},
        {MV_VM_OP_VAL, MV_VM_OP_DESTROY_VM_IDX_VAL, a::destroy_vm},
        {MV_VP_OP_VAL, MV_VP_OP_CREATE_VP_IDX_VAL, a::create_vp},
        {MV_VP_OP_VAL, MV_VP_OP_DESTROY_VP_IDX_VAL, a::destroy_vp},
        {MV_VP_OP_VAL, MV_VP_OP_VMID_IDX_VAL, a::vp_vmid},
        {MV_VS_OP_VAL, MV_VS_OP_CREATE_VS_IDX_VAL, a::create_vs},
        {MV_VS_OP_VAL, MV_VS_OP_DESTROY_VS_IDX_VAL, a::destroy_vs},
        {MV_VS_OP_VAL, MV_VS_OP_VMID_IDX_VAL, a::vs_vmid},
        {MV_VS_OP_VAL, MV_VS_OP_VPID_IDX_VAL, a::vs_vpid},
        {MV_VS_OP_VAL, MV_VS_OP_REG_GET_IDX_VAL, a::reg_get},
        {MV_VS_OP_VAL, MV_VS_OP_REG_SET_IDX_VAL, a::reg_set},
        {MV_VM_OP_VAL, MV_VM_OP_MMIO_MAP_IDX_VAL, a::mmio_map},
        {MV_VM_OP_VAL, MV_VM_OP_MMIO_UNMAP_IDX_VAL, a::mmio_unmap},
        {MV_VS_OP_VAL, MV_VS_OP_RUN_IDX_VAL, a::run},
    };
    for (const auto &c : asks) {
        SCOPED_TRACE(c.op | c.index);
        const auto kernel = decide({c.op | c.index, {root_handle, 5}, 0, 1, 0, 0});
        EXPECT_EQ(kernel.status, MV_STATUS_SUCCESS);
        EXPECT_EQ(kernel.action, c.action);
        EXPECT_FALSE(kernel.write_reg0) << "the extension answers it";
        EXPECT_EQ(decide({c.op | c.index, {root_handle, 5}, 0, 1, 3, 0}).status, MV_STATUS_INVALID_PERM_DENIED);
        EXPECT_EQ(decide({c.op | c.index, {root_handle + 1, 5}, 0, 1, 0, 0}).status, MV_STATUS_FAILURE_INVALID_HANDLE);
    }
    // The caller's own IDs, from any CPL.
    const auto vm = decide({MV_VM_OP_VAL | MV_VM_OP_VMID_IDX_VAL, {root_handle}, 0, 1, 3, 0, 0, 4, 5});
    EXPECT_EQ(vm.reg0, 0U);
    EXPECT_TRUE(vm.write_reg0);
    EXPECT_EQ(decide({MV_VP_OP_VAL | MV_VP_OP_VPID_IDX_VAL, {root_handle}, 0, 1, 3, 0, 0, 4, 5}).reg0, 4U);
    EXPECT_EQ(decide({MV_VS_OP_VAL | MV_VS_OP_VSID_IDX_VAL, {root_handle}, 0, 1, 3, 0, 0, 4, 5}).reg0, 5U);
    EXPECT_EQ(decide({MV_VS_OP_VAL | MV_VS_OP_VSID_IDX_VAL, {root_handle + 1}, 0, 1, 0, 0}).status,
              MV_STATUS_FAILURE_INVALID_HANDLE);
    // Reserved in the spec (gva_to_gpa, fpu_get/set, xsave_get/set), and indexes it does not name.
    for (const uint64_t rax : {MV_VM_OP_VAL | 0x5ULL, MV_VP_OP_VAL | 0x4ULL, MV_VS_OP_VAL | 0x7ULL,
                               MV_VS_OP_VAL | 0x11ULL, MV_VS_OP_VAL | 0x1BULL, MV_VS_OP_VAL | 0x1CULL,
                               MV_VS_OP_VAL | 0x1FULL, MV_VS_OP_VAL | 0x20ULL, MV_VS_OP_VAL | 0x27ULL}) {
        EXPECT_EQ(decide({rax, {root_handle}, 0, 1, 0, 0}).status, MV_STATUS_FAILURE_UNSUPPORTED) << rax;
    }
}

TEST(hypercalls, the_cpl_matters_only_where_it_is_said_to)
{
    // Every opcode of the spec and some beyond, every index up to past the PP group, some flags.
    for (uint64_t op = 0; op <= 8; ++op) {
        for (uint64_t idx = 0; idx <= 0x30; ++idx) {
            for (const uint64_t flags : {uint64_t{0}, uint64_t{0x0000000100000000}}) {
                const uint64_t rax = MV_HYPERCALL_SIG_VAL | flags | op << 16 | idx;
                const auto kernel = decide({rax, {root_handle, 0x1000, 0, 0}, 0, 1, 0, 0});
                const auto user = decide({rax, {root_handle, 0x1000, 0, 0}, 0, 1, 3, 0});
                const bool same = kernel.status == user.status && kernel.action == user.action &&
                                  kernel.write_reg0 == user.write_reg0 && kernel.reg0 == user.reg0;
                EXPECT_EQ(same, !vmm::hypercall_needs_cpl(rax)) << std::hex << rax;
            }
        }
    }
}

TEST(hypercalls, is_usable_at_compile_time)
{
    static_assert(decide({MV_ID_OP_VAL | MV_ID_OP_VERSION_IDX_VAL, {}, 0, 1, 0, 0}).reg0 == MV_ALL_SPECS_SUPPORTED_VAL);
    SUCCEED();
}

}  // namespace
