// SPDX-License-Identifier: MIT
#include <mk/x64/amd/guest_npt.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

namespace {

using pool_t = mk::page_pool<1>;
using tables_t = mk::amd::guest_npt<pool_t>;

class guest_npt_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        mem.reset(static_cast<uint8_t *>(std::aligned_alloc(mk::page_size, pages * mk::page_size)));
        const mk::pool_chunk chunk{mem.get(), 0x80000000, pages};
        ASSERT_EQ(pool.init(&chunk, 1), pool_t::status::ok);
        free_at_start = pool.available();
    }

    /// The tables a walk passes for gpa: 4 levels, each entry present, writable, user.
    uint64_t walk(const tables_t &t, uint64_t gpa)
    {
        uint64_t phys = t.root_phys();
        for (int level = 3; level >= 0; --level) {
            const uint64_t e = static_cast<uint64_t *>(pool.phys_to_virt(phys))[(gpa >> (12 + 9 * level)) & 0x1FF];
            if (level == 0 || (e & tables_t::present) == 0) {
                return e;
            }
            EXPECT_EQ(e & 0xFFF, tables_t::table_bits) << "level " << level;
            phys = e & tables_t::addr_mask;
        }
        return 0;
    }

    struct deleter {
        void operator()(uint8_t *p) const { std::free(p); }
    };
    static constexpr uint64_t pages = 16;
    std::unique_ptr<uint8_t, deleter> mem;
    pool_t pool;
    uint64_t free_at_start = 0;
};

}  // namespace

TEST_F(guest_npt_test, a_page_with_the_rights_and_type_asked)
{
    tables_t t{pool, 0};
    ASSERT_TRUE(t.make_root());
    EXPECT_EQ(t.map(0x1000, 0x5000, mk::abi::map_read), mk::amd::guest_map_status::ok);
    EXPECT_EQ(walk(t, 0x1000), 0x5000 | tables_t::present | tables_t::user | tables_t::no_execute)
        << "read only, no execute, write-back";
    EXPECT_EQ(t.map(0x7FFFFFFFF000ULL, 0x6000,
                    mk::abi::map_read | mk::abi::map_write | mk::abi::map_execute | mk::abi::map_uncacheable),
              mk::amd::guest_map_status::ok);
    EXPECT_EQ(t.lookup(0x7FFFFFFFF000ULL),
              0x6000 | tables_t::present | tables_t::user | tables_t::writable | tables_t::pcd | tables_t::pwt)
        << "the last GPA of four levels";
    EXPECT_EQ(t.lookup(0x2000), 0U) << "the neighbour stays unmapped";
    EXPECT_EQ(t.lookup(0x40000000), 0U) << "and a GPA with no tables on its way";
}

TEST_F(guest_npt_test, mapping_twice_is_refused_and_unmapping_takes_it_out)
{
    tables_t t{pool, 0};
    ASSERT_TRUE(t.make_root());
    ASSERT_EQ(t.map(0x1000, 0x5000, mk::abi::map_read), mk::amd::guest_map_status::ok);
    EXPECT_EQ(t.map(0x1000, 0x9000, mk::abi::map_read), mk::amd::guest_map_status::mapped_already);
    EXPECT_EQ(t.lookup(0x1000) & tables_t::addr_mask, 0x5000U) << "the first stays";
    EXPECT_TRUE(t.unmap(0x1000));
    EXPECT_EQ(t.lookup(0x1000), 0U);
    EXPECT_FALSE(t.unmap(0x1000)) << "nothing there";
    EXPECT_FALSE(t.unmap(0x40000000)) << "no tables there";
}

TEST_F(guest_npt_test, the_pool_running_out_maps_nothing_and_free_all_gives_every_table_back)
{
    tables_t t{pool, 0};
    ASSERT_TRUE(t.make_root());
    ASSERT_EQ(t.map(0, 0x5000, mk::abi::map_read), mk::amd::guest_map_status::ok);  // 4 tables
    ASSERT_EQ(pool.available(), free_at_start - 4);
    // Each GiB apart needs a page directory and a table; 512 GiB apart a third.
    uint64_t gpa = 0;
    mk::amd::guest_map_status st = mk::amd::guest_map_status::ok;
    while (st == mk::amd::guest_map_status::ok) {
        gpa += 1ULL << 39;
        st = t.map(gpa, 0x5000, mk::abi::map_read);
    }
    EXPECT_EQ(st, mk::amd::guest_map_status::no_memory);
    EXPECT_EQ(pool.available(), 0U);
    EXPECT_EQ(t.lookup(gpa), 0U) << "the page that found no table is not mapped";
    t.free_all();
    EXPECT_EQ(pool.available(), free_at_start) << "every table, the half-made ones too";
    EXPECT_EQ(t.root_phys(), 0U);
    EXPECT_EQ(t.map(0, 0x5000, mk::abi::map_read), mk::amd::guest_map_status::no_memory) << "no tables at all now";
    EXPECT_EQ(t.lookup(0), 0U);
}

TEST_F(guest_npt_test, no_root_when_the_pool_is_empty)
{
    while (pool.alloc().virt != nullptr) {
    }
    tables_t t{pool, 0};
    EXPECT_FALSE(t.make_root());
    EXPECT_EQ(t.root_phys(), 0U);
    t.free_all();  // nothing to give back
}

TEST(guest_npt, page_of_gives_an_entrys_page_and_rights_as_bf_vm_op_guest_page_says)
{
    namespace abi = mk::abi;
    constexpr uint64_t rw = tables_t::present | tables_t::user | tables_t::writable | tables_t::no_execute;
    EXPECT_EQ(tables_t::page_of(0x12345000 | rw), 0x12345000 | abi::map_read | abi::map_write);
    EXPECT_EQ(tables_t::page_of(0xF'FFFF'FFFF'F000ULL | tables_t::present | tables_t::pcd | tables_t::pwt),
              0xF'FFFF'FFFF'F000ULL | abi::map_read | abi::map_execute)
        << "read only, executable; the memory type is no right";
    EXPECT_EQ(tables_t::page_of(0x5000 | tables_t::present | tables_t::no_execute), 0x5000 | abi::map_read);
    EXPECT_EQ(tables_t::page_of(0x7FF0'0000'0000'6000ULL | tables_t::present | tables_t::writable),
              0x6000 | abi::map_read | abi::map_write | abi::map_execute)
        << "bits 62:52 are no address bits";
    EXPECT_EQ(tables_t::page_of(0x5000 | tables_t::writable | tables_t::user), 0U) << "not present";
    EXPECT_EQ(tables_t::page_of(0), 0U);
    // What map writes, page_of reads back.
    for (const uint64_t flags : {abi::map_read, abi::map_read | abi::map_write, abi::map_read | abi::map_execute,
                                 abi::map_read | abi::map_write | abi::map_execute}) {
        EXPECT_EQ(tables_t::page_of(tables_t::leaf(0x9000, flags | abi::map_uncacheable)), 0x9000 | flags) << flags;
    }
}
