// SPDX-License-Identifier: MIT
#include "guest_regs.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

namespace {

using mk::abi::reg;

TEST(guest_regs, every_mv_reg_t_names_its_own_register)
{
    std::set<reg> seen;
    for (uint64_t mv = 1; mv <= 70; ++mv) {
        const vmm::guest_reg g = vmm::guest_reg_of(mv);
        EXPECT_NE(g.reg, reg::unsupported) << mv;
        EXPECT_NE(g.mask, 0U) << mv;
        seen.insert(g.reg);
    }
    EXPECT_EQ(seen.size(), 70U) << "no two alike";
    for (const uint64_t mv : {uint64_t{0}, uint64_t{71}, uint64_t{0x100000001}, ~uint64_t{0}}) {
        EXPECT_EQ(vmm::guest_reg_of(mv).reg, reg::unsupported) << mv;
    }
}

TEST(guest_regs, the_spec_s_numbers)
{
    EXPECT_EQ(vmm::guest_reg_of(1).reg, reg::rax);
    EXPECT_EQ(vmm::guest_reg_of(2).reg, reg::rbx);
    EXPECT_EQ(vmm::guest_reg_of(16).reg, reg::rsp);
    EXPECT_EQ(vmm::guest_reg_of(17).reg, reg::rip);
    EXPECT_EQ(vmm::guest_reg_of(18).reg, reg::rflags);
    EXPECT_EQ(vmm::guest_reg_of(19).reg, reg::es_selector);
    EXPECT_EQ(vmm::guest_reg_of(20).reg, reg::es_attrib);
    EXPECT_EQ(vmm::guest_reg_of(21).reg, reg::es_limit);
    EXPECT_EQ(vmm::guest_reg_of(22).reg, reg::es_base);
    EXPECT_EQ(vmm::guest_reg_of(23).reg, reg::cs_selector);
    EXPECT_EQ(vmm::guest_reg_of(43).reg, reg::ldtr_selector);
    EXPECT_EQ(vmm::guest_reg_of(47).reg, reg::tr_selector);
    EXPECT_EQ(vmm::guest_reg_of(53).reg, reg::gdtr_limit);
    EXPECT_EQ(vmm::guest_reg_of(58).reg, reg::idtr_base);
    EXPECT_EQ(vmm::guest_reg_of(59).reg, reg::dr0);
    EXPECT_EQ(vmm::guest_reg_of(63).reg, reg::dr6);
    EXPECT_EQ(vmm::guest_reg_of(65).reg, reg::cr0);
    EXPECT_EQ(vmm::guest_reg_of(69).reg, reg::cr8);
    EXPECT_EQ(vmm::guest_reg_of(70).reg, reg::xcr0);
    EXPECT_EQ(vmm::guest_reg_of(19).mask, 0xFFFFU) << "a selector";
    EXPECT_EQ(vmm::guest_reg_of(20).mask, 0xFFFFU) << "attributes";
    EXPECT_EQ(vmm::guest_reg_of(21).mask, 0xFFFFFFFFU) << "a limit";
    EXPECT_EQ(vmm::guest_reg_of(22).mask, ~0ULL) << "a base";
}

}  // namespace
