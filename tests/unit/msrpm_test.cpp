// SPDX-License-Identifier: MIT
// The SVM MSR permission map (mk/x64/amd/msrpm.hpp): which bits an intercept sets, and which MSRs
// the map can name at all.
#include <mk/x64/amd/msrpm.hpp>
#include <mk/x64/amd/vmcb.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

namespace amd = mk::amd;

TEST(msrpm, intercepting_sets_the_read_and_write_bits_of_the_msr_only)
{
    std::array<uint8_t, amd::msrpm_bytes> map{};
    // EFER, 0xC0000080: range 2 at 0x800, MSR 0x80 -> bits 0x100 and 0x101, byte 0x800 + 0x20.
    ASSERT_TRUE(amd::msrpm_intercept(map.data(), 0xC0000080U));
    EXPECT_EQ(map[0x820], 0x03U);
    // VM_CR, 0xC0010114: range 3 at 0x1000, MSR 0x114 -> bits 0x228, 0x229: byte 0x1045, bits 0-1.
    ASSERT_TRUE(amd::msrpm_intercept(map.data(), 0xC0010114U));
    EXPECT_EQ(map[0x1045], 0x03U);
    // MSR 3 of range 1: bits 6 and 7 of byte 0.
    ASSERT_TRUE(amd::msrpm_intercept(map.data(), 0x3U));
    EXPECT_EQ(map[0], 0xC0U);
    int set = 0;
    for (const uint8_t b : map) {
        set += __builtin_popcount(b);
    }
    EXPECT_EQ(set, 6);
}

TEST(msrpm, a_write_intercept_sets_the_write_bit_only)
{
    std::array<uint8_t, amd::msrpm_bytes> map{};
    // MTRRphysBase0, 0x200: range 1, bits 0x400 (read) and 0x401 (write): byte 0x80, bit 1.
    ASSERT_TRUE(amd::msrpm_intercept_write(map.data(), 0x200U));
    EXPECT_EQ(map[0x80], 0x02U);
    // SYSCFG, 0xC0010010: range 3, bits 0x20 and 0x21: byte 0x1004, bit 1.
    ASSERT_TRUE(amd::msrpm_intercept_write(map.data(), 0xC0010010U));
    EXPECT_EQ(map[0x1004], 0x02U);
    EXPECT_FALSE(amd::msrpm_intercept_write(map.data(), 0x40000000U));
}

TEST(msrpm, msrs_outside_the_three_ranges_cannot_be_named)
{
    std::array<uint8_t, amd::msrpm_bytes> map{};
    for (const uint32_t msr : {0x2000U, 0x40000000U, 0xC0002000U, 0xC0012000U, 0xFFFFFFFFU}) {
        EXPECT_FALSE(amd::msrpm_names(msr)) << std::hex << msr;
        EXPECT_FALSE(amd::msrpm_intercept(map.data(), msr)) << std::hex << msr;
    }
    for (const uint32_t msr : {0x0U, 0x1FFFU, 0xC0000000U, 0xC0001FFFU, 0xC0010000U, 0xC0011FFFU}) {
        EXPECT_TRUE(amd::msrpm_names(msr)) << std::hex << msr;
    }
    for (const uint8_t b : map) {
        EXPECT_EQ(b, 0U);
    }
}

}  // namespace
