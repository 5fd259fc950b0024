// SPDX-License-Identifier: MIT
#include <mk/page_pool.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

namespace {

using pool_t = mk::page_pool<4>;
using st = pool_t::status;

/// Page-aligned host memory standing in for a chunk of the loader's pool.
struct host_chunk {
    explicit host_chunk(uint64_t pages, uint64_t phys)
        : mem{static_cast<uint8_t *>(std::aligned_alloc(mk::page_size, pages * mk::page_size))}, chunk{mem.get(), phys,
                                                                                                       pages}
    {
        std::memset(mem.get(), 0xA5, pages * mk::page_size);  // dirty, as memory from the OS is
    }
    struct deleter {
        void operator()(uint8_t *p) const { std::free(p); }
    };
    std::unique_ptr<uint8_t, deleter> mem;
    mk::pool_chunk chunk;
};

TEST(page_pool, an_uninitialized_pool_hands_out_nothing)
{
    pool_t pool;
    EXPECT_EQ(pool.alloc().virt, nullptr);
    int x = 0;
    EXPECT_EQ(pool.free(&x), st::not_ours);
    EXPECT_FALSE(pool.owns_phys(0));
}

TEST(page_pool, one_chunk_accounts_for_its_bitmap)
{
    host_chunk c{8, 0x100000};
    pool_t pool;
    ASSERT_EQ(pool.init(&c.chunk, 1), st::ok);
    EXPECT_EQ(pool.total(), 8U);
    EXPECT_EQ(pool.reserved(), 1U);
    EXPECT_EQ(pool.used(), 1U);
    EXPECT_EQ(pool.available(), 7U);
}

TEST(page_pool, hands_out_every_page_once_zeroed_then_runs_dry)
{
    host_chunk c{8, 0x100000};
    pool_t pool;
    ASSERT_EQ(pool.init(&c.chunk, 1), st::ok);
    std::set<uint64_t> phys;
    for (int i = 0; i < 7; ++i) {
        const auto page = pool.alloc();
        ASSERT_NE(page.virt, nullptr);
        EXPECT_TRUE(phys.insert(page.phys).second) << "page handed out twice";
        EXPECT_NE(page.phys, 0x100000U) << "the bitmap page was handed out";
        EXPECT_EQ(page.phys - 0x100000U, static_cast<uint8_t *>(page.virt) - c.mem.get());
        const auto *bytes = static_cast<const uint8_t *>(page.virt);
        for (uint64_t b = 0; b < mk::page_size; ++b) {
            ASSERT_EQ(bytes[b], 0) << "page not zeroed";
        }
    }
    EXPECT_EQ(pool.available(), 0U);
    const auto none = pool.alloc();
    EXPECT_EQ(none.virt, nullptr);
    EXPECT_EQ(none.phys, 0U);
}

TEST(page_pool, freed_pages_come_back)
{
    host_chunk c{4, 0x200000};
    pool_t pool;
    ASSERT_EQ(pool.init(&c.chunk, 1), st::ok);
    std::vector<mk::pool_page> pages;
    pages.reserve(3);
    for (int i = 0; i < 3; ++i) {
        pages.push_back(pool.alloc());
    }
    ASSERT_EQ(pool.alloc().virt, nullptr);
    ASSERT_EQ(pool.free(pages[1].virt), st::ok);
    EXPECT_EQ(pool.available(), 1U);
    const auto again = pool.alloc();
    EXPECT_EQ(again.virt, pages[1].virt);
    EXPECT_EQ(again.phys, pages[1].phys);
}

TEST(page_pool, free_refuses_what_it_did_not_hand_out)
{
    host_chunk c{4, 0x200000};
    pool_t pool;
    ASSERT_EQ(pool.init(&c.chunk, 1), st::ok);
    const auto page = pool.alloc();
    int outside = 0;
    EXPECT_EQ(pool.free(&outside), st::not_ours);
    EXPECT_EQ(pool.free(static_cast<uint8_t *>(page.virt) + 8), st::not_ours) << "not page-aligned";
    EXPECT_EQ(pool.free(c.mem.get()), st::not_in_use) << "the bitmap page";
    EXPECT_EQ(pool.free(c.mem.get() + 3 * mk::page_size), st::not_in_use) << "never handed out";
    EXPECT_EQ(pool.free(nullptr), st::not_ours);
    EXPECT_EQ(pool.free(c.mem.get() + 4 * mk::page_size), st::not_ours) << "one past the end";
    ASSERT_EQ(pool.free(page.virt), st::ok);
    EXPECT_EQ(pool.free(page.virt), st::not_in_use) << "double free";
    EXPECT_EQ(pool.used(), 1U);
}

TEST(page_pool, several_chunks)
{
    host_chunk a{2, 0x1000000}, b{3, 0x5000000}, c{1, 0x3000};
    const mk::pool_chunk chunks[] = {a.chunk, b.chunk, c.chunk};
    pool_t pool;
    ASSERT_EQ(pool.init(chunks, 3), st::ok);
    EXPECT_EQ(pool.total(), 6U);
    std::set<uint64_t> phys;
    for (int i = 0; i < 5; ++i) {
        const auto page = pool.alloc();
        ASSERT_NE(page.virt, nullptr);
        phys.insert(page.phys);
        EXPECT_EQ(pool.phys_to_virt(page.phys), page.virt);
        EXPECT_TRUE(pool.owns_phys(page.phys + 100));
    }
    EXPECT_EQ(phys, (std::set<uint64_t>{0x1001000, 0x5000000, 0x5001000, 0x5002000, 0x3000}));
    EXPECT_FALSE(pool.owns_phys(0x1002000));
    EXPECT_FALSE(pool.owns_phys(0x2FFF));
    EXPECT_EQ(pool.phys_to_virt(0x4000), nullptr);
    EXPECT_TRUE(pool.owns_phys(0x1000000)) << "the bitmap is the hypervisor's memory too";
}

TEST(page_pool, refuses_bad_chunks)
{
    host_chunk a{4, 0x100000};
    pool_t pool;
    auto bad = a.chunk;
    bad.phys += 8;
    EXPECT_EQ(pool.init(&bad, 1), st::bad_chunk) << "unaligned phys";
    bad = a.chunk;
    bad.virt += 8;
    EXPECT_EQ(pool.init(&bad, 1), st::bad_chunk) << "unaligned virt";
    bad = a.chunk;
    bad.pages = 0;
    EXPECT_EQ(pool.init(&bad, 1), st::bad_chunk) << "empty";
    bad = a.chunk;
    bad.virt = nullptr;
    EXPECT_EQ(pool.init(&bad, 1), st::bad_chunk) << "no mapping";
    bad = a.chunk;
    bad.phys = 0xFFFFFFFFFFFFF000ULL;
    EXPECT_EQ(pool.init(&bad, 1), st::bad_chunk) << "phys wraps around";
    bad = a.chunk;
    bad.virt = reinterpret_cast<uint8_t *>(UINTPTR_MAX - mk::page_size + 1);
    EXPECT_EQ(pool.init(&bad, 1), st::bad_chunk) << "virt wraps around";
    EXPECT_EQ(pool.init(&a.chunk, 0), st::too_small);
    const mk::pool_chunk five[] = {a.chunk, a.chunk, a.chunk, a.chunk, a.chunk};
    EXPECT_EQ(pool.init(five, 5), st::too_many_chunks);
}

TEST(page_pool, refuses_overlapping_chunks)
{
    host_chunk a{4, 0x100000}, b{4, 0x200000};
    pool_t pool;
    auto phys_overlap = b.chunk;
    phys_overlap.phys = 0x103000;
    const mk::pool_chunk p[] = {a.chunk, phys_overlap};
    EXPECT_EQ(pool.init(p, 2), st::overlap);
    auto virt_overlap = b.chunk;
    virt_overlap.virt = a.chunk.virt + 3 * mk::page_size;
    const mk::pool_chunk v[] = {a.chunk, virt_overlap};
    EXPECT_EQ(pool.init(v, 2), st::overlap);
    // Disjoint in both spaces, the second chunk below the first: accepted. (init only writes to
    // the first chunk, so the second needs no memory behind it here.)
    auto below = b.chunk;
    below.virt = a.chunk.virt - 8 * mk::page_size;
    below.phys = 0x10000;
    const mk::pool_chunk d[] = {a.chunk, below};
    EXPECT_EQ(pool.init(d, 2), st::ok);
}

TEST(page_pool, refuses_a_first_chunk_too_small_for_the_bitmap)
{
    host_chunk a{1, 0x100000}, b{4, 0x200000};
    pool_t pool;
    EXPECT_EQ(pool.init(&a.chunk, 1), st::too_small) << "one page is only a bitmap";
    const mk::pool_chunk chunks[] = {a.chunk, b.chunk};
    EXPECT_EQ(pool.init(chunks, 2), st::too_small);
}

TEST(page_pool, a_big_pool_needs_a_bigger_bitmap)
{
    const uint64_t pages = 32768 + 10;  // one bitmap page covers 32768 pages
    host_chunk a{pages, 0x40000000};
    pool_t pool;
    ASSERT_EQ(pool.init(&a.chunk, 1), st::ok);
    EXPECT_EQ(pool.reserved(), 2U);
    uint64_t handed = 0;
    while (pool.alloc().virt != nullptr) {
        ++handed;
    }
    EXPECT_EQ(handed, pages - 2);
}

}  // namespace
