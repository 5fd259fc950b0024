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

}  // namespace
