// SPDX-License-Identifier: MIT
// The handle table (vmm/src/handles.hpp): fresh values, slots, closing.
#include "handles.hpp"

#include <gtest/gtest.h>

namespace {

TEST(handles, open_takes_the_first_free_slot_and_find_knows_only_its_value)
{
    vmm::handle_table t{};
    const unsigned a = t.open(0x1234567890ABCDC0ULL);
    const unsigned b = t.open(0x0FEDCBA987654300ULL);
    EXPECT_EQ(a, 0U);
    EXPECT_EQ(b, 1U);
    EXPECT_EQ(t.value(a), 0x1234567890ABCDC0ULL);
    EXPECT_EQ(t.value(b), 0x0FEDCBA987654301ULL) << "the slot in the low 6 bits";
    EXPECT_EQ(t.find(t.value(a)), a);
    EXPECT_EQ(t.find(t.value(b)), b);
    EXPECT_EQ(t.find(t.value(b) ^ 0x100), vmm::handle_table::none) << "same slot, other bits";
    EXPECT_EQ(t.find(2), vmm::handle_table::none) << "a free slot";
    EXPECT_EQ(t.find(0), vmm::handle_table::none);
}

TEST(handles, a_closed_handle_is_not_found_and_its_slot_is_reused_with_other_bits)
{
    vmm::handle_table t{};
    const unsigned a = t.open(0xAAAA000000000000ULL);
    const uint64_t old = t.value(a);
    t.close(a);
    EXPECT_EQ(t.find(old), vmm::handle_table::none);
    EXPECT_EQ(t.open(0xBBBB000000000000ULL), a);
    EXPECT_EQ(t.find(old), vmm::handle_table::none);
}

TEST(handles, never_zero_and_none_when_full)
{
    vmm::handle_table t{};
    EXPECT_EQ(t.open(0x3F), 0U) << "random bits only in the slot's place";
    EXPECT_NE(t.value(0), 0U);
    EXPECT_EQ(t.find(t.value(0)), 0U);
    for (unsigned i = 1; i < vmm::handle_table::max; ++i) {
        EXPECT_EQ(t.open(uint64_t{i} << 32), i);
    }
    EXPECT_EQ(t.open(0x4000), vmm::handle_table::none);
}

TEST(handles, bits_differ_with_the_count_and_take_the_cpus_randomness)
{
    EXPECT_NE(vmm::handle_bits(0, 1000, 1), vmm::handle_bits(0, 1000, 2));
    EXPECT_NE(vmm::handle_bits(0, 1000, 1), vmm::handle_bits(0, 1001, 1));
    EXPECT_EQ(vmm::handle_bits(0xFF, 1000, 1) ^ vmm::handle_bits(0, 1000, 1), 0xFFU);
}

}  // namespace
