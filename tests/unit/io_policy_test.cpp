// SPDX-License-Identifier: MIT
#include "io_policy.hpp"

#include <gtest/gtest.h>

namespace {

using vmm::io_action;

TEST(io_policy, decodes_the_neutral_io_qualification)
{
    namespace abi = mk::abi;
    const auto in8 = vmm::decode_io(abi::io_qualification(0x3FD, 1, true, false, false));
    EXPECT_EQ(in8.port, 0x3FDU);
    EXPECT_EQ(in8.size, 1U);
    EXPECT_TRUE(in8.in);
    EXPECT_FALSE(in8.string);
    EXPECT_FALSE(in8.rep);
    const auto outs = vmm::decode_io(abi::io_qualification(0x3F8, 2, false, true, true));  // REP OUTSW
    EXPECT_EQ(outs.port, 0x3F8U);
    EXPECT_EQ(outs.size, 2U);
    EXPECT_FALSE(outs.in);
    EXPECT_TRUE(outs.string);
    EXPECT_TRUE(outs.rep);
    EXPECT_EQ(vmm::decode_io(abi::io_qualification(0, 4, false, false, false)).size, 4U);
    EXPECT_EQ(vmm::decode_io(0).size, 0U);
}

TEST(io_policy, the_root_finds_no_device_on_microvs_uart)
{
    EXPECT_EQ(vmm::root_io({0x3FB, 1, true, false, false}), io_action::in_all_ones);
    EXPECT_EQ(vmm::root_io({0x3FB, 1, false, false, false}), io_action::out_dropped);
    EXPECT_EQ(vmm::root_io({0x3F8, 1, false, true, true}), io_action::inject_gp) << "string forms";
    EXPECT_EQ(vmm::root_io({0x3F8, 1, true, true, false}), io_action::inject_gp);
    EXPECT_EQ(vmm::root_io({0x3F8, 0, true, false, false}), io_action::inject_gp) << "no size";
    EXPECT_EQ(vmm::root_io({0x3F8, 3, true, false, false}), io_action::inject_gp) << "no known size";
    EXPECT_EQ(vmm::root_io({0x3F8, 4, true, false, false}), io_action::in_all_ones);
    EXPECT_EQ(vmm::root_io({0x3F8, 2, false, false, false}), io_action::out_dropped);
}

TEST(io_policy, an_in_of_all_ones_writes_only_its_bytes)
{
    EXPECT_EQ(vmm::in_all_ones_rax(0x1122334455667700ULL, 1), 0x11223344556677FFULL);
    EXPECT_EQ(vmm::in_all_ones_rax(0x1122334455660000ULL, 2), 0x112233445566FFFFULL);
    EXPECT_EQ(vmm::in_all_ones_rax(0x1122334455667788ULL, 4), 0xFFFFFFFFULL) << "EAX zero-extends";
}

}  // namespace
