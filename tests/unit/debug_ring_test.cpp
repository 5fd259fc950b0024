// SPDX-License-Identifier: MIT
// The ring's writer (mk::debug_ring, C++) against its reader (mv_debug_ring_read, loader C code).
#include <microv/mk_loader.h>
#include <mk/debug_ring.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

struct ring_fixture : ::testing::Test {
    std::unique_ptr<mv_debug_ring> storage = std::make_unique<mv_debug_ring>();
    mk::debug_ring ring{storage.get()};

    std::string read(uint64_t len, uint64_t *lost_out = nullptr)
    {
        std::string out(len, '\0');
        uint64_t lost = 0;
        out.resize(mv_debug_ring_read(storage.get(), out.data(), len, &lost));
        if (lost_out != nullptr) {
            *lost_out = lost;
        }
        return out;
    }
};

TEST_F(ring_fixture, starts_empty)
{
    uint64_t lost = 1;
    EXPECT_EQ(read(100, &lost), "");
    EXPECT_EQ(lost, 0U);
}

TEST_F(ring_fixture, keeps_what_fits_in_order)
{
    ring.write("hello ");
    ring.write("world");
    EXPECT_EQ(read(100), "hello world");
    EXPECT_EQ(storage->written, 11U);
}

TEST_F(ring_fixture, the_root_vm_scribbling_on_the_ring_neither_stalls_nor_steers_a_writer)
{
    // Finding 4 of the isolation issue: the writers' lock was a word of the ring, in root-VM
    // memory; a root kernel that stored 1 there stopped every later log line on every PP.
    ring.write("ab");
    storage->reserved[0] = 1;
    storage->reserved[1] = 1;
    storage->written = ~0ULL - 1;  // a count that would put the next write anywhere
    ring.write("cd");
    EXPECT_EQ(storage->written, 4U) << "the count is the writer's own";
    EXPECT_EQ(storage->buf[2], 'c');
    EXPECT_EQ(storage->buf[3], 'd');
    EXPECT_EQ(read(100), "abcd");
}

TEST(debug_ring, goes_on_from_what_the_ring_holds)
{
    auto storage = std::make_unique<mv_debug_ring>();
    storage->written = MV_DEBUG_RING_SIZE + 1;  // from an earlier start, wrapped once
    mk::debug_ring ring{storage.get()};
    ring.write("x");
    EXPECT_EQ(storage->written, MV_DEBUG_RING_SIZE + 2U);
    EXPECT_EQ(storage->buf[1], 'x');
}

TEST_F(ring_fixture, a_short_buffer_gets_the_newest)
{
    ring.write("0123456789");
    EXPECT_EQ(read(3), "789");
    EXPECT_EQ(read(0), "");
}

TEST_F(ring_fixture, overwrites_the_oldest_and_counts_the_lost)
{
    std::string big(MV_DEBUG_RING_SIZE, 'a');
    ring.write(big.c_str());
    ring.write("tail");
    uint64_t lost = 0;
    const auto text = read(MV_DEBUG_RING_SIZE, &lost);
    EXPECT_EQ(lost, 4U);
    ASSERT_EQ(text.size(), MV_DEBUG_RING_SIZE);
    EXPECT_EQ(text.substr(text.size() - 5), "atail");
    EXPECT_EQ(text.find_first_not_of('a'), MV_DEBUG_RING_SIZE - 4);
}

TEST(debug_ring, a_detached_ring_swallows_writes)
{
    mk::debug_ring ring;
    EXPECT_FALSE(ring.attached());
    ring.write("nothing");  // must not crash
}

}  // namespace
