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
    uint16_t fcw = 0;
    std::memcpy(&fcw, page, sizeof(fcw));
    EXPECT_EQ(fcw, 0x037FU) << "FINIT's control word, for FXRSTOR";
    for (size_t i = 0; i < sizeof(page); ++i) {
        if ((i >= 2 && i < 24) || i >= 28) {
            ASSERT_EQ(page[i], 0) << "byte " << i << ": the header's XSTATE_BV 0, every component initial";
        }
    }
}

namespace {

/// An area's checked parts: MXCSR and the XSAVE header (XSTATE_BV in its first 8 bytes).
x64::fpu_checked checked(uint32_t mxcsr, uint64_t xstate_bv)
{
    x64::fpu_checked c{};
    c.mxcsr = mxcsr;
    std::memcpy(c.header, &xstate_bv, sizeof(xstate_bv));
    return c;
}

}  // namespace

TEST(xsave, an_area_is_one_xrstor_or_fxrstor_would_take)
{
    constexpr uint64_t host = 0x7;     // x87, SSE, AVX
    constexpr uint32_t mask = 0xFFBF;  // MXCSR_MASK of a CPU without DAZ (bit 6)
    EXPECT_TRUE(x64::fpu_area_ok(checked(0x1F80, 0x7), true, host, mask));
    EXPECT_TRUE(x64::fpu_area_ok(checked(0xFFBF, 0), true, host, mask)) << "every MXCSR bit the mask has";
    EXPECT_FALSE(x64::fpu_area_ok(checked(0x1FC0, 0), true, host, mask)) << "DAZ the CPU lacks";
    EXPECT_FALSE(x64::fpu_area_ok(checked(0x10000, 0), false, host, 0xFFFF)) << "above MXCSR's 16 bits";
    EXPECT_FALSE(x64::fpu_area_ok(checked(0x1F80, 0xF), true, host, mask)) << "XSTATE_BV: MPX, not the host's";
    EXPECT_FALSE(x64::fpu_area_ok(checked(0x1F80, 1ULL << 63), true, host, mask));
    EXPECT_TRUE(x64::fpu_area_ok(checked(0x1F80, 0x3), true, host, mask));
    for (size_t i = 8; i < x64::xsave_header_bytes; ++i) {
        SCOPED_TRACE(i);
        x64::fpu_checked c = checked(0x1F80, 0x7);
        c.header[i] = i == 15 ? 0x80 : 1;  // XCOMP_BV (bit 63 the compacted form), then the reserved bytes
        EXPECT_FALSE(x64::fpu_area_ok(c, true, host, mask));
        EXPECT_TRUE(x64::fpu_area_ok(c, false, host, mask)) << "FXRSTOR reads no header";
    }
    EXPECT_TRUE(x64::fpu_area_ok(checked(0x1F80, 0xFF), false, host, mask)) << "nor XSTATE_BV";
    EXPECT_FALSE(x64::fpu_area_ok(checked(0x1FC0, 0), false, host, mask)) << "but MXCSR";
    EXPECT_EQ(x64::fpu_legacy_bytes, 512U);
    EXPECT_EQ(x64::xsave_header_offset, 512U);
}

TEST(xsave, the_legacy_view_shows_components_in_their_initial_state_as_such)
{
    uint8_t live[512];
    for (size_t i = 0; i < sizeof(live); ++i) {
        live[i] = static_cast<uint8_t>(i * 7 + 1);
    }
    uint8_t area[512];
    std::memcpy(area, live, sizeof(area));
    x64::fpu_legacy_view(area, x64::xcr0_bit::x87 | x64::xcr0_bit::sse | x64::xcr0_bit::avx);
    EXPECT_EQ(std::memcmp(area, live, sizeof(area)), 0) << "both live: XSAVE wrote them all";

    std::memcpy(area, live, sizeof(area));
    x64::fpu_legacy_view(area, x64::xcr0_bit::sse);  // x87 initial
    uint16_t fcw = 0;
    std::memcpy(&fcw, area, sizeof(fcw));
    EXPECT_EQ(fcw, 0x37FU);
    for (size_t i = 2; i < 24; ++i) {
        EXPECT_EQ(area[i], 0) << "FSW, FTW, FOP, FIP, FDP: byte " << i;
    }
    EXPECT_EQ(std::memcmp(area + 24, live + 24, 8), 0) << "MXCSR and its mask are not x87's";
    for (size_t i = 32; i < 160; ++i) {
        EXPECT_EQ(area[i], 0) << "ST0-ST7: byte " << i;
    }
    EXPECT_EQ(std::memcmp(area + 160, live + 160, 512 - 160), 0) << "XMM and the rest stay";

    std::memcpy(area, live, sizeof(area));
    x64::fpu_legacy_view(area, x64::xcr0_bit::x87 | x64::xcr0_bit::avx);  // SSE initial
    EXPECT_EQ(std::memcmp(area, live, 160), 0) << "x87 and MXCSR stay";
    for (size_t i = 160; i < 416; ++i) {
        EXPECT_EQ(area[i], 0) << "XMM0-XMM15: byte " << i;
    }
    EXPECT_EQ(std::memcmp(area + 416, live + 416, 96), 0) << "the bytes after XMM15 stay";

    std::memcpy(area, live, sizeof(area));
    x64::fpu_legacy_view(area, 0);
    std::memcpy(&fcw, area, sizeof(fcw));
    EXPECT_EQ(fcw, 0x37FU);
    EXPECT_EQ(area[160], 0);
    EXPECT_EQ(area[415], 0);
    EXPECT_EQ(std::memcmp(area + 24, live + 24, 8), 0);
}

TEST(xsave, area_load_reads_n_little_endian_bytes)
{
    const uint8_t area[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xA, 0xB, 0xC, 0xD, 0xE, 0xF};
    EXPECT_EQ(x64::area_load(area, 0, 8), 0x0706050403020100ULL);
    EXPECT_EQ(x64::area_load(area, 8, 4), 0x0B0A0908ULL) << "the bytes above stay 0";
    EXPECT_EQ(x64::area_load(area, 15, 1), 0xFULL);
    EXPECT_EQ(x64::area_load(area, 3, 2), 0x0403ULL);
}
