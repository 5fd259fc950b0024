// SPDX-License-Identifier: MIT
#include <mk/x64/xsave.hpp>

#include <gtest/gtest.h>

#include <cstring>

namespace x64 = mk::x64;

TEST(xsave, a_guests_xcr0_holds_only_what_the_host_enabled_in_the_combinations_the_cpu_takes)
{
    constexpr uint64_t host = 0xE7;  // x87, SSE, AVX, the three AVX-512 components
    EXPECT_TRUE(x64::xcr0_ok(0x1, host)) << "x87 alone, as after RESET";
    EXPECT_TRUE(x64::xcr0_ok(0x3, host));
    EXPECT_TRUE(x64::xcr0_ok(0x7, host));
    EXPECT_TRUE(x64::xcr0_ok(0xE7, host));
    EXPECT_FALSE(x64::xcr0_ok(0x0, host)) << "x87 is always on";
    EXPECT_FALSE(x64::xcr0_ok(0x2, host));
    EXPECT_FALSE(x64::xcr0_ok(0x5, host)) << "AVX without SSE";
    EXPECT_FALSE(x64::xcr0_ok(0x27, host)) << "one AVX-512 component alone";
    EXPECT_FALSE(x64::xcr0_ok(0xE3, host)) << "AVX-512 without AVX";
    EXPECT_FALSE(x64::xcr0_ok(0x7, 0x3)) << "AVX the host did not enable: its save areas lack it";
    EXPECT_FALSE(x64::xcr0_ok(0x203, 0x3)) << "PKRU";
    EXPECT_FALSE(x64::xcr0_ok(1ULL << 63 | 1, ~0ULL >> 1)) << "beyond the host's";
    EXPECT_EQ(x64::xcr0_reset, 0x1U);
}

TEST(xsave, a_new_save_area_is_the_state_after_reset)
{
    alignas(64) uint8_t page[4096] = {};
    x64::fpu_area_init(page);
    uint32_t mxcsr = 0;
    std::memcpy(&mxcsr, page + 24, sizeof(mxcsr));
    EXPECT_EQ(mxcsr, 0x1F80U) << "XRSTOR and FXRSTOR load MXCSR whatever XSTATE_BV says";
    for (size_t i = 0; i < sizeof(page); ++i) {
        if (i < 24 || i >= 28) {
            ASSERT_EQ(page[i], 0) << "byte " << i << ": the header's XSTATE_BV 0, every component initial";
        }
    }
}
