// SPDX-License-Identifier: MIT
#include <mk/x64/amd/npt.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

namespace {

using pool_t = mk::page_pool<1>;
using npt_t = mk::amd::identity_npt<pool_t>;

constexpr uint64_t gib = 1ULL << 30;
constexpr uint64_t mib2 = 1ULL << 21;

class npt_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        mem.reset(static_cast<uint8_t *>(std::aligned_alloc(mk::page_size, pages * mk::page_size)));
        const mk::pool_chunk chunk{mem.get(), 0x80000000, pages};
        ASSERT_EQ(pool.init(&chunk, 1), pool_t::status::ok);
    }

    /// The entry a nested walk finds for gpa, and the level it is at (3 = 1 GiB, 2 = 2 MiB).
    uint64_t walk(uint64_t gpa, int &level)
    {
        auto *t = static_cast<uint64_t *>(pool.phys_to_virt(npt.root_phys()));
        const uint64_t e4 = t[(gpa >> 39) & 0x1FF];
        if ((e4 & 1) == 0) {
            level = 4;
            return e4;
        }
        t = static_cast<uint64_t *>(pool.phys_to_virt(e4 & 0x000FFFFFFFFFF000ULL));
        const uint64_t e3 = t[(gpa >> 30) & 0x1FF];
        if ((e3 & 1) == 0 || (e3 & npt_t::large) != 0) {
            level = 3;
            return e3;
        }
        t = static_cast<uint64_t *>(pool.phys_to_virt(e3 & 0x000FFFFFFFFFF000ULL));
        level = 2;
        return t[(gpa >> 21) & 0x1FF];
    }

    struct deleter {
        void operator()(uint8_t *p) const { std::free(p); }
    };
    static constexpr uint64_t pages = 16;
    std::unique_ptr<uint8_t, deleter> mem;
    pool_t pool;
    npt_t npt;
};

TEST_F(npt_test, identity_with_1g_pages_where_there_is_no_hole)
{
    ASSERT_EQ(npt.build(pool, 4 * gib, nullptr, 0), mk::amd::npt_status::ok);
    for (uint64_t g = 0; g < 4; ++g) {
        int level = 0;
        EXPECT_EQ(walk(g * gib + 12345, level), g * gib | 0x87) << g;
        EXPECT_EQ(level, 3);
    }
    int level = 0;
    EXPECT_EQ(walk(4 * gib, level), 0U) << "nothing beyond the limit";
    EXPECT_EQ(pool.used(), 1U + 2U) << "bitmap, PML4, one PDPT";
}

TEST_F(npt_test, holes_are_left_out_at_2m)
{
    const mk::amd::npt_hole holes[] = {{gib + 4 * mib2, 2 * mib2}, {3 * gib, mib2}};
    ASSERT_EQ(npt.build(pool, 4 * gib, holes, 2), mk::amd::npt_status::ok);
    int level = 0;
    EXPECT_EQ(walk(gib + 3 * mib2, level), (gib + 3 * mib2) | 0x87);
    EXPECT_EQ(level, 2);
    EXPECT_EQ(walk(gib + 4 * mib2 + 100, level), 0U) << "in the first hole";
    EXPECT_EQ(walk(gib + 5 * mib2, level), 0U) << "its second 2 MiB";
    EXPECT_EQ(walk(gib + 6 * mib2, level), (gib + 6 * mib2) | 0x87);
    EXPECT_EQ(walk(3 * gib, level), 0U);
    EXPECT_EQ(walk(3 * gib + mib2, level), (3 * gib + mib2) | 0x87);
    EXPECT_EQ(walk(2 * gib, level), 2 * gib | 0x87);
    EXPECT_EQ(level, 3) << "a GiB without a hole stays one page";
}

TEST_F(npt_test, more_than_512g_needs_a_second_pdpt)
{
    ASSERT_EQ(npt.build(pool, 1024 * gib, nullptr, 0), mk::amd::npt_status::ok);
    int level = 0;
    EXPECT_EQ(walk(600 * gib, level), 600 * gib | 0x87);
    EXPECT_EQ(pool.used(), 1U + 3U);
}

TEST_F(npt_test, refusals)
{
    const mk::amd::npt_hole odd[] = {{gib + 4096, mib2}};
    const mk::amd::npt_hole short_one[] = {{gib, 4096}};
    const mk::amd::npt_hole empty[] = {{gib, 0}};
    EXPECT_EQ(npt.build(pool, 0, nullptr, 0), mk::amd::npt_status::bad_limit);
    EXPECT_EQ(npt.build(pool, gib + mib2, nullptr, 0), mk::amd::npt_status::bad_limit);
    EXPECT_EQ(npt.build(pool, (1ULL << 48) + gib, nullptr, 0), mk::amd::npt_status::bad_limit);
    EXPECT_EQ(npt.build(pool, gib, odd, 1), mk::amd::npt_status::bad_hole);
    EXPECT_EQ(npt.build(pool, gib, short_one, 1), mk::amd::npt_status::bad_hole);
    EXPECT_EQ(npt.build(pool, gib, empty, 1), mk::amd::npt_status::bad_hole);
}

TEST_F(npt_test, running_out_of_pool)
{
    // 15 free pages: PML4 + PDPT + 13 PDs; 20 GiBs with a hole each need 20 PDs.
    mk::amd::npt_hole holes[20];
    for (uint64_t g = 0; g < 20; ++g) {
        holes[g] = {g * gib, mib2};
    }
    EXPECT_EQ(npt.build(pool, 20 * gib, holes, 20), mk::amd::npt_status::no_memory);
    npt_t again;
    while (pool.alloc().virt != nullptr) {
    }
    EXPECT_EQ(again.build(pool, gib, nullptr, 0), mk::amd::npt_status::no_memory) << "not even a PML4";
}

TEST_F(npt_test, running_out_at_the_pdpt)
{
    while (pool.available() > 1) {
        pool.alloc();
    }
    EXPECT_EQ(npt.build(pool, gib, nullptr, 0), mk::amd::npt_status::no_memory);
}

}  // namespace
