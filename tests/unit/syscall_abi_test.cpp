// SPDX-License-Identifier: MIT
#include <mk/syscall_abi.hpp>

#include <gtest/gtest.h>

namespace {

namespace abi = mk::abi;

TEST(syscall_abi, rax_matches_the_spec_tables)
{
    EXPECT_EQ(abi::rax(abi::control_op, abi::control_op_exit_idx), 0x6642000000000000ULL);
    EXPECT_EQ(abi::rax(abi::control_op, abi::control_op_wait_idx), 0x6642000000000001ULL);
    EXPECT_EQ(abi::rax(abi::handle_op, abi::handle_op_open_handle_idx), 0x6642000000010000ULL);
    EXPECT_EQ(abi::rax(abi::debug_op, abi::debug_op_out_idx), 0x6642000000020000ULL);
}

TEST(syscall_abi, rax_drops_flags_and_out_of_range_indexes)
{
    EXPECT_EQ(abi::rax(abi::debug_op | 0x0000123400000000ULL, 0x10005), 0x6642000000020005ULL);
}

TEST(syscall_abi, decoding)
{
    const uint64_t rax = 0x6642ABCD00060005ULL;
    EXPECT_TRUE(abi::has_sig(rax));
    EXPECT_FALSE(abi::has_sig(0x6643000000060005ULL));
    EXPECT_FALSE(abi::has_sig(0x0000000000060005ULL));
    EXPECT_EQ(abi::opcode_of(rax), 6U);
    EXPECT_EQ(abi::index_of(rax), 5U);
}

TEST(syscall_abi, new_opcodes_and_indexes_match_the_spec)
{
    EXPECT_EQ(abi::callback_op, 0x6642000000030000ULL);
    EXPECT_EQ(abi::vm_op, 0x6642000000040000ULL);
    EXPECT_EQ(abi::vp_op, 0x6642000000050000ULL);
    EXPECT_EQ(abi::vs_op, 0x6642000000060000ULL);
    EXPECT_EQ(abi::intrinsic_op, 0x6642000000070000ULL);
    EXPECT_EQ(abi::mem_op, 0x6642000000080000ULL);
    EXPECT_EQ(abi::rax(abi::vs_op, abi::vs_op_run_current_idx), 0x6642000000060006ULL);
    EXPECT_EQ(abi::rax(abi::vs_op, abi::vs_op_tlb_flush_idx), 0x664200000006000EULL);
    EXPECT_EQ(abi::rax(abi::mem_op, abi::mem_op_free_huge_idx), 0x6642000000080003ULL);
    EXPECT_EQ(abi::callback_op_register_vmexit_idx, 0x1U);
    EXPECT_EQ(abi::intrinsic_op_wrmsr_idx, 0x1U);
    EXPECT_EQ(abi::vm_op_unmap_direct_broadcast_idx, 0x4U);
    EXPECT_EQ(abi::debug_op_dump_vmexit_log_idx, 0x4U);
    EXPECT_EQ(abi::debug_op_dump_huge_pool_idx, 0x9U);
    EXPECT_EQ(abi::opcode_of(abi::rax(abi::mem_op, abi::mem_op_alloc_page_idx)), 8U);
}

TEST(syscall_abi, statuses_ids_and_tls_offsets_match_the_spec)
{
    EXPECT_EQ(abi::status_success, 0U);
    EXPECT_EQ(abi::status_failure_unknown, 0xDEAD000000010001ULL);
    EXPECT_EQ(abi::status_invalid_perm_denied, 0xDEAD000000010002ULL);
    EXPECT_EQ(abi::status_invalid_output_reg5, 0xDEAD000008000003ULL);
    EXPECT_EQ(abi::status_failure_invalid_handle & abi::status_value_mask, 1U);
    EXPECT_EQ(abi::invalid_id, 0xFFFFU);
    EXPECT_EQ(abi::bs_ppid, 0U);
    EXPECT_EQ(abi::root_vmid, 0U);
    EXPECT_EQ(abi::tls_offset_rax, 0x800U);
    EXPECT_EQ(abi::tls_offset_r15, 0x870U);
    EXPECT_EQ(abi::tls_offset_active_vsid, 0xFF6U);
    EXPECT_EQ(abi::tls_offset_online_pps, 0xFFAU);
}

TEST(syscall_abi, register_values_match_the_spec)
{
    EXPECT_EQ(static_cast<uint64_t>(abi::reg::unsupported), 0U);
    EXPECT_EQ(static_cast<uint64_t>(abi::reg::rbx), 1U);
    EXPECT_EQ(static_cast<uint64_t>(abi::reg::nrip), 43U);
    EXPECT_EQ(static_cast<uint64_t>(abi::reg::es_selector), 49U);
    EXPECT_EQ(static_cast<uint64_t>(abi::reg::rax), 99U);
    EXPECT_EQ(static_cast<uint64_t>(abi::reg::xcr0), 120U);
    EXPECT_EQ(static_cast<uint64_t>(abi::reg::invalid), 121U);
}

}  // namespace
