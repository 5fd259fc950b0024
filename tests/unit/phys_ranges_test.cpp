// SPDX-License-Identifier: MIT
#include <mk/phys_ranges.hpp>

#include <gtest/gtest.h>

namespace {

const mv_ram_range ram[] = {{0x1000, 0x9F000}, {0x100000, 0x3FF00000}};
const mv_pool_chunk pool[] = {{0x3200000, 512}, {0x3600000, 512}};

// The debug ring: 64 KiB of root RAM at 0x200000 (and a range that starts inside a page).
const mv_ram_range kept[] = {{0x200000, 0x10000}, {0x300800, 0x10}};

bool may(uint64_t phys) { return mk::root_may_share(phys, ram, 2, pool, 2, kept, 2); }

TEST(phys_ranges, pages_of_ram_outside_the_pool)
{
    EXPECT_TRUE(may(0x1000));
    EXPECT_TRUE(may(0x9F000)) << "the last page of the first range";
    EXPECT_TRUE(may(0x100000));
    EXPECT_TRUE(may(0x31FF000)) << "just below the pool";
    EXPECT_TRUE(may(0x3400000)) << "between two chunks";
    EXPECT_TRUE(may(0x3FFFF000)) << "the last page of RAM";
    EXPECT_TRUE(may(0x1FF000)) << "just below the ring";
    EXPECT_TRUE(may(0x210000)) << "just past the ring";
    EXPECT_TRUE(may(0x2FF000)) << "below the page holding the second kept range";
    EXPECT_TRUE(may(0x301000)) << "past it";
}

TEST(phys_ranges, pages_the_microkernel_keeps_are_refused)
{
    // Finding 3 of the isolation issue: the root VM could hand MicroV the debug ring's pages.
    EXPECT_FALSE(may(0x200000)) << "the ring's first page";
    EXPECT_FALSE(may(0x20F000)) << "its last page";
    EXPECT_FALSE(may(0x300000)) << "a page holding part of a kept range";
}

TEST(phys_ranges, refused)
{
    EXPECT_FALSE(may(0x0)) << "not RAM (the first page)";
    EXPECT_FALSE(may(0xA0000)) << "the VGA hole";
    EXPECT_FALSE(may(0x40000000)) << "past the end of RAM";
    EXPECT_FALSE(may(0xFEE00000)) << "the local APIC";
    EXPECT_FALSE(may(0x3200000)) << "the pool's first page";
    EXPECT_FALSE(may(0x33FF000)) << "the pool's first chunk's last page";
    EXPECT_FALSE(may(0x3600000)) << "the second chunk";
    EXPECT_FALSE(may(0x100800)) << "not page-aligned";
    EXPECT_FALSE(may(0xFFFFFFFFFFFFF000ULL));
    EXPECT_FALSE(mk::root_may_share(0x1000, ram, 0, pool, 0, kept, 0)) << "no RAM described";
}

TEST(phys_ranges, a_range_shorter_than_a_page_holds_none)
{
    const mv_ram_range tiny[] = {{0x5000, 0x800}};
    EXPECT_FALSE(mk::root_may_share(0x5000, tiny, 1, pool, 0, kept, 0));
}

}  // namespace
