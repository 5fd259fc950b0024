// SPDX-License-Identifier: MIT
#include <mk/x64/hwcr.hpp>

#include <gtest/gtest.h>

#include <cstdint>

namespace {

namespace x64 = mk::x64;

TEST(hwcr, bits_the_root_vm_may_change_are_those_the_cpu_has)
{
    EXPECT_EQ(x64::hwcr_root_bits(0, 0, 0), 0U);
    EXPECT_EQ(x64::hwcr_root_bits(1U << 9, 0, 0), 1ULL << 25) << "CPB: CpbDis";
    EXPECT_EQ(x64::hwcr_root_bits(0, 1U << 1, 0), 1ULL << 30) << "IRPerf: IRPerfEn";
    EXPECT_EQ(x64::hwcr_root_bits(0, 0, 1U << 17), 1ULL << 35) << "CpuidUserDis";
    EXPECT_EQ(x64::hwcr_root_bits(~0U, ~0U, ~0U), (1ULL << 25) | (1ULL << 30) | (1ULL << 35));
}

TEST(hwcr, a_write_may_change_only_the_settable_bits)
{
    EXPECT_TRUE(x64::hwcr_write_ok(0x10, 0x10 | 1ULL << 25, 1ULL << 25));
    EXPECT_TRUE(x64::hwcr_write_ok(0x10, 0x10, 0)) << "an unchanged value";
    EXPECT_FALSE(x64::hwcr_write_ok(0x10, 0, ~0ULL & ~0x10ULL)) << "clearing a bit not settable";
}

struct regs {
    uint32_t eax, ebx, ecx, edx;
};

TEST(hwcr, root_bits_of_reads_only_the_leaves_the_cpu_has)
{
    // Every leaf up to 0x80000021 answers all ones: all three bits.
    const auto all = [](uint32_t leaf, uint32_t) {
        return leaf == 0x80000000U ? regs{0x80000021U, 0, 0, 0} : regs{~0U, ~0U, ~0U, ~0U};
    };
    EXPECT_EQ(x64::hwcr_root_bits_of(all), (1ULL << 25) | (1ULL << 30) | (1ULL << 35));
    // Only up to 0x80000008: leaf 0x80000021 is not read (its garbage would give CpuidUserDis).
    const auto to8 = [](uint32_t leaf, uint32_t) {
        return leaf == 0x80000000U ? regs{0x80000008U, 0, 0, 0} : regs{~0U, ~0U, ~0U, ~0U};
    };
    EXPECT_EQ(x64::hwcr_root_bits_of(to8), (1ULL << 25) | (1ULL << 30));
    // No extended leaves at all.
    const auto none = [](uint32_t leaf, uint32_t) {
        return leaf == 0x80000000U ? regs{0x80000000U, 0, 0, 0} : regs{~0U, ~0U, ~0U, ~0U};
    };
    EXPECT_EQ(x64::hwcr_root_bits_of(none), 0U);
}

}  // namespace
