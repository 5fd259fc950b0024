// SPDX-License-Identifier: MIT
#include <mk/page_quarantine.hpp>

#include <gtest/gtest.h>

namespace {

TEST(page_quarantine, a_freed_page_comes_back_only_through_take)
{
    mk::page_quarantine<4> q;
    uint64_t phys = 0;
    EXPECT_FALSE(q.take(phys)) << "empty";
    EXPECT_TRUE(q.keep(0x5000));
    EXPECT_TRUE(q.keep(0x6000));
    EXPECT_EQ(q.size(), 2U);
    EXPECT_TRUE(q.take(phys));
    EXPECT_EQ(phys, 0x6000U);
    EXPECT_TRUE(q.take(phys));
    EXPECT_EQ(phys, 0x5000U);
    EXPECT_FALSE(q.take(phys));
}

TEST(page_quarantine, a_full_quarantine_leaks_rather_than_returns_a_page)
{
    mk::page_quarantine<2> q;
    EXPECT_TRUE(q.keep(0x1000));
    EXPECT_TRUE(q.keep(0x2000));
    EXPECT_FALSE(q.keep(0x3000));
    EXPECT_EQ(q.leaked(), 1U);
    EXPECT_EQ(q.size(), 2U);
}

}  // namespace
