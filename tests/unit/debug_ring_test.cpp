// SPDX-License-Identifier: MIT
#include <mk/debug_ring.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

template <size_t N>
std::string contents(const mk::debug_ring<N> &ring, size_t len = N)
{
    std::string out(len, '\0');
    out.resize(ring.copy(out.data(), len));
    return out;
}

TEST(debug_ring, starts_empty)
{
    mk::debug_ring<8> ring;
    EXPECT_EQ(ring.written(), 0U);
    EXPECT_EQ(ring.held(), 0U);
    EXPECT_EQ(contents(ring), "");
}

TEST(debug_ring, keeps_what_fits_in_order)
{
    mk::debug_ring<8> ring;
    ring.write("hello");
    EXPECT_EQ(ring.held(), 5U);
    EXPECT_EQ(contents(ring), "hello");
}

TEST(debug_ring, exactly_full)
{
    mk::debug_ring<8> ring;
    ring.write("12345678");
    EXPECT_EQ(ring.held(), 8U);
    EXPECT_EQ(contents(ring), "12345678");
}

TEST(debug_ring, overwrites_the_oldest_and_counts_the_lost)
{
    mk::debug_ring<8> ring;
    ring.write("0123456789abc");
    EXPECT_EQ(ring.written(), 13U);
    EXPECT_EQ(ring.held(), 8U);
    EXPECT_EQ(contents(ring), "56789abc");
}

TEST(debug_ring, a_short_buffer_gets_the_newest)
{
    mk::debug_ring<8> ring;
    ring.write("0123456789");
    EXPECT_EQ(contents(ring, 3), "789");
    EXPECT_EQ(contents(ring, 0), "");
}

TEST(debug_ring, wraps_many_times)
{
    mk::debug_ring<4> ring;
    for (int i = 0; i < 1000; ++i) {
        ring.put(static_cast<char>('a' + i % 26));
    }
    EXPECT_EQ(ring.written(), 1000U);
    // the last four of 1000: i = 996..999 -> 996 % 26 = 8 -> 'i'..'l'
    EXPECT_EQ(contents(ring), "ijkl");
}

}  // namespace
