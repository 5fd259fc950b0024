// SPDX-License-Identifier: MIT
#include <mk/root_msrs.hpp>

#include <gtest/gtest.h>

namespace {

namespace abi = mk::abi;

TEST(root_msrs, the_virtualization_msrs)
{
    EXPECT_TRUE(abi::virtualization_msr(0xC0000080U));
    EXPECT_TRUE(abi::virtualization_msr(0xC0010114U));
    EXPECT_TRUE(abi::virtualization_msr(0xC0010117U));
    EXPECT_FALSE(abi::virtualization_msr(0xC0010015U));
    EXPECT_FALSE(abi::virtualization_msr(0));
}

TEST(root_msrs, the_host_checked_msrs)
{
    EXPECT_TRUE(abi::host_checked_msr(0xC0010015U)) << "HWCR";
    EXPECT_TRUE(abi::host_checked_msr(0x1BU)) << "APIC base";
    EXPECT_FALSE(abi::host_checked_msr(0xC0000080U));
}

TEST(root_msrs, the_memory_type_msrs)
{
    for (uint32_t m = 0x200; m <= 0x20F; ++m) {
        EXPECT_TRUE(abi::memory_type_msr(m)) << m;
    }
    for (const uint32_t m : {0x250U, 0x258U, 0x259U, 0x268U, 0x26FU, 0x2FFU, 0xC0010010U, 0xC001001AU, 0xC001001DU}) {
        EXPECT_TRUE(abi::memory_type_msr(m)) << m;
    }
    for (const uint32_t m : {0x1FFU, 0x210U, 0x251U, 0x257U, 0x25AU, 0x267U, 0x270U, 0x277U, 0x2FEU, 0x300U,
                             0xC0010011U, 0xC001001BU, 0xC001001CU, 0xC0000080U, 0U}) {
        EXPECT_FALSE(abi::memory_type_msr(m)) << m;
    }
}

TEST(root_msrs, what_a_map_names)
{
    EXPECT_TRUE(abi::msr_map_names(0));
    EXPECT_TRUE(abi::msr_map_names(0x1FFF));
    EXPECT_FALSE(abi::msr_map_names(0x2000));
    EXPECT_TRUE(abi::msr_map_names(0xC0000000U));
    EXPECT_TRUE(abi::msr_map_names(0xC0011FFFU));
    EXPECT_FALSE(abi::msr_map_names(0xC0012000U));
    EXPECT_FALSE(abi::msr_map_names(0xBFFFFFFFU));
}

}  // namespace
