// SPDX-License-Identifier: MIT
#include "rate_limit.hpp"

#include <gtest/gtest.h>

namespace {

TEST(rate_limit, a_burst_then_one_per_period)
{
    vmm::rate_limit r{};
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(r.allow(1000, 4, 100)) << i;
    }
    EXPECT_FALSE(r.allow(1000, 4, 100));
    EXPECT_FALSE(r.allow(1099, 4, 100));
    EXPECT_EQ(r.take_dropped(), 2U);
    EXPECT_EQ(r.take_dropped(), 0U) << "forgotten once taken";
    EXPECT_TRUE(r.allow(1100, 4, 100)) << "one period later, one more";
    EXPECT_FALSE(r.allow(1150, 4, 100));
}

TEST(rate_limit, idle_time_refills_up_to_the_burst_only)
{
    vmm::rate_limit r{};
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(r.allow(0, 4, 100));
    }
    ASSERT_FALSE(r.allow(0, 4, 100));
    const uint64_t much_later = 1'000'000;
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(r.allow(much_later, 4, 100)) << i;
    }
    EXPECT_FALSE(r.allow(much_later, 4, 100)) << "not 10,000 tokens";
}

TEST(rate_limit, a_clock_that_goes_back_starts_over)
{
    vmm::rate_limit r{};
    ASSERT_TRUE(r.allow(5000, 1, 100));
    ASSERT_FALSE(r.allow(5000, 1, 100));
    EXPECT_TRUE(r.allow(10, 1, 100)) << "no wrap-around into a huge refill, a fresh bucket";
    EXPECT_FALSE(r.allow(10, 1, 100));
}

TEST(rate_limit, the_drop_count_saturates)
{
    vmm::rate_limit r{};
    r.started = true;
    r.last = 0;
    r.tokens = 0;
    r.dropped = UINT32_MAX - 1;
    EXPECT_FALSE(r.allow(0, 1, 100));
    EXPECT_FALSE(r.allow(0, 1, 100));
    EXPECT_EQ(r.take_dropped(), UINT32_MAX);
}

}  // namespace
