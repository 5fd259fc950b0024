// SPDX-License-Identifier: MIT
#include <mk/x64/cr4.hpp>

#include <gtest/gtest.h>

namespace {

TEST(cr4, bits_match_the_manuals)
{
    EXPECT_EQ(mk::x64::cr4_tsd, 0x4U);
    EXPECT_EQ(mk::x64::cr4_pke, 0x400000U);
    EXPECT_EQ(mk::x64::cr4_cet, 0x800000U);
    EXPECT_EQ(mk::x64::cr4_pks, 0x1000000U);
}

TEST(cr4, the_host_drops_tsd_protection_keys_and_cet_and_keeps_the_rest)
{
    // Linux on a Zen 3: PAE, PGE, OSFXSR, OSXMMEXCPT, UMIP, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE.
    constexpr uint64_t linux_cr4 = 0x00770EE0ULL;
    EXPECT_EQ(mk::x64::host_cr4(linux_cr4), 0x00370EE0ULL);
    EXPECT_EQ(mk::x64::host_cr4(~0ULL), ~0x1C00004ULL);
    EXPECT_EQ(mk::x64::host_cr4(linux_cr4 | mk::x64::cr4_tsd), 0x00370EE0ULL) << "TSD of the task that was running";
    EXPECT_EQ(mk::x64::host_cr4(0x20), 0x20U) << "nothing to drop";
}

}  // namespace
