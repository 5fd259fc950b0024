// SPDX-License-Identifier: MIT
#include <mk/page_tables.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

namespace {

using pool_t = mk::page_pool<2>;
using tables_t = mk::page_tables<pool_t>;
using ms = mk::map_status;

constexpr mk::page_rights r_x{false, true, false};
constexpr mk::page_rights rw{true, false, false};
constexpr mk::page_rights user_r{false, false, true};

class page_tables_test : public ::testing::Test {
protected:
    static constexpr uint64_t pages = 64;

    void SetUp() override
    {
        m_mem = static_cast<uint8_t *>(std::aligned_alloc(mk::page_size, pages * mk::page_size));
        const mk::pool_chunk chunk{m_mem, 0x40000000, pages};
        ASSERT_EQ(m_pool.init(&chunk, 1), pool_t::status::ok);
        ASSERT_TRUE(m_tables.init(m_pool));
    }
    void TearDown() override
    {
        m_tables.release();
        std::free(m_mem);
    }

    uint8_t *m_mem{};
    pool_t m_pool;
    tables_t m_tables;
};

TEST_F(page_tables_test, maps_and_translates_with_rights)
{
    ASSERT_EQ(m_tables.map(0xFFFFFFFF80000000, 0x123000, r_x), ms::ok);
    ASSERT_EQ(m_tables.map(0x40000000, 0x456000, {false, false, true}), ms::ok);
    ASSERT_EQ(m_tables.map(0x40001000, 0x789000, {true, false, true}), ms::ok);

    uint64_t phys = 0;
    mk::page_rights rights{};
    ASSERT_EQ(m_tables.translate(0xFFFFFFFF80000abc, phys, rights), ms::ok);
    EXPECT_EQ(phys, 0x123abcU);
    EXPECT_TRUE(rights.exec);
    EXPECT_FALSE(rights.write);
    EXPECT_FALSE(rights.user);
    ASSERT_EQ(m_tables.translate(0x40001008, phys, rights), ms::ok);
    EXPECT_EQ(phys, 0x789008U);
    EXPECT_TRUE(rights.write);
    EXPECT_FALSE(rights.exec);
    EXPECT_TRUE(rights.user);
}

TEST_F(page_tables_test, entries_have_the_hardware_layout)
{
    ASSERT_EQ(m_tables.map(0x0000000000201000, 0xABCDE000, rw), ms::ok);
    // Walk by hand from the root: PML4[0] -> PDPT[0] -> PD[1] -> PT[1].
    auto *table = static_cast<uint64_t *>(m_pool.phys_to_virt(m_tables.root_phys()));
    const size_t idx[] = {0, 0, 1};
    for (const size_t i : idx) {
        const uint64_t entry = table[i];
        ASSERT_EQ(entry & 0x7, 0x7U) << "tables are present, writable and user";
        EXPECT_EQ(entry & tables_t::no_exec, 0U);
        table = static_cast<uint64_t *>(m_pool.phys_to_virt(entry & tables_t::addr_mask));
        ASSERT_NE(table, nullptr);
    }
    EXPECT_EQ(table[1], 0xABCDE000ULL | tables_t::present | tables_t::writable | tables_t::no_exec);
}

TEST_F(page_tables_test, refuses_writable_and_executable)
{
    EXPECT_EQ(m_tables.map(0x1000, 0x2000, {true, true, false}), ms::wx_refused);
    uint64_t phys = 0;
    mk::page_rights rights{};
    EXPECT_EQ(m_tables.translate(0x1000, phys, rights), ms::not_mapped);
}

TEST_F(page_tables_test, refuses_bad_addresses)
{
    EXPECT_EQ(m_tables.map(0x0000800000000000, 0x1000, rw), ms::not_canonical);
    EXPECT_EQ(m_tables.map(0xFFFF7FFFFFFFF000, 0x1000, rw), ms::not_canonical);
    EXPECT_EQ(m_tables.map(0x1001, 0x1000, rw), ms::unaligned);
    EXPECT_EQ(m_tables.map(0x1000, 0x1001, rw), ms::unaligned);
    EXPECT_EQ(m_tables.map(0x1000, 1ULL << 52, rw), ms::bad_phys);
    EXPECT_EQ(m_tables.map(0x1000, 0xFFFFFFFFFFFFF000, rw), ms::bad_phys);
    EXPECT_EQ(m_tables.map(0x00007FFFFFFFF000, 0x000FFFFFFFFFF000, user_r), ms::ok) << "the highest of both";
}

TEST_F(page_tables_test, never_replaces_a_mapping)
{
    ASSERT_EQ(m_tables.map(0x5000, 0x1000, rw), ms::ok);
    EXPECT_EQ(m_tables.map(0x5000, 0x2000, rw), ms::already_mapped);
    uint64_t phys = 0;
    mk::page_rights rights{};
    ASSERT_EQ(m_tables.translate(0x5000, phys, rights), ms::ok);
    EXPECT_EQ(phys, 0x1000U);
}

TEST_F(page_tables_test, unmap_gives_back_the_physical_address)
{
    ASSERT_EQ(m_tables.map(0x7000, 0x9000, rw), ms::ok);
    uint64_t phys = 0;
    ASSERT_EQ(m_tables.unmap(0x7000, phys), ms::ok);
    EXPECT_EQ(phys, 0x9000U);
    EXPECT_EQ(m_tables.unmap(0x7000, phys), ms::not_mapped);
    EXPECT_EQ(m_tables.unmap(0x7001, phys), ms::unaligned);
    EXPECT_EQ(m_tables.unmap(0x0000800000000000, phys), ms::not_canonical);
    EXPECT_EQ(m_tables.unmap(0x40000000000, phys), ms::not_mapped) << "no tables there at all";
    mk::page_rights rights{};
    EXPECT_EQ(m_tables.translate(0x7000, phys, rights), ms::not_mapped);
    EXPECT_EQ(m_tables.translate(0xFFFF000000000000, phys, rights), ms::not_canonical);
    EXPECT_EQ(m_tables.map(0x7000, 0xA000, rw), ms::ok) << "the slot is free again";
}

TEST_F(page_tables_test, tables_are_shared_within_their_reach)
{
    const auto before = m_pool.used();
    ASSERT_EQ(m_tables.map(0x200000, 0x1000, rw), ms::ok);
    EXPECT_EQ(m_pool.used(), before + 3) << "PDPT, PD and PT";
    ASSERT_EQ(m_tables.map(0x201000, 0x2000, rw), ms::ok);
    EXPECT_EQ(m_pool.used(), before + 3) << "same PT";
    ASSERT_EQ(m_tables.map(0x400000, 0x3000, rw), ms::ok);
    EXPECT_EQ(m_pool.used(), before + 4) << "a new PT";
}

TEST_F(page_tables_test, release_returns_every_table_to_the_pool)
{
    const auto empty = m_pool.used() - 1;  // the top-level table is counted in used()
    for (uint64_t i = 0; i < 8; ++i) {
        ASSERT_EQ(m_tables.map(i << 39, 0x1000 * (i + 1), rw), ms::ok);  // eight PML4 slots
    }
    m_tables.release();
    EXPECT_EQ(m_pool.used(), empty);
    EXPECT_EQ(m_tables.root_phys(), 0U);
    m_tables.release();  // twice is harmless
    EXPECT_EQ(m_pool.used(), empty);
}

TEST_F(page_tables_test, running_out_of_pool_is_an_error_not_a_crash)
{
    // Each new 512 GiB slot needs three tables; the pool has 64 pages.
    ms last = ms::ok;
    uint64_t slot = 0;
    for (; slot < 64 && last == ms::ok; ++slot) {
        last = m_tables.map(slot << 39, 0x1000, rw);
    }
    EXPECT_EQ(last, ms::no_memory);
    EXPECT_EQ(m_pool.available(), 0U);
    m_tables.release();
    EXPECT_EQ(m_pool.used(), m_pool.reserved()) << "partial walks leak nothing";
}

TEST(page_tables, init_fails_on_an_empty_pool)
{
    auto *mem = static_cast<uint8_t *>(std::aligned_alloc(mk::page_size, 2 * mk::page_size));
    const mk::pool_chunk chunk{mem, 0x1000, 2};
    pool_t pool;
    ASSERT_EQ(pool.init(&chunk, 1), pool_t::status::ok);
    ASSERT_NE(pool.alloc().virt, nullptr);  // the only free page
    tables_t tables;
    EXPECT_FALSE(tables.init(pool));
    tables.release();  // harmless without a root
    std::free(mem);
}

TEST(page_tables, canonical)
{
    EXPECT_TRUE(tables_t::canonical(0));
    EXPECT_TRUE(tables_t::canonical(0x00007FFFFFFFFFFF));
    EXPECT_FALSE(tables_t::canonical(0x0000800000000000));
    EXPECT_FALSE(tables_t::canonical(0xFFFF7FFFFFFFFFFF));
    EXPECT_TRUE(tables_t::canonical(0xFFFF800000000000));
    EXPECT_TRUE(tables_t::canonical(0xFFFFFFFFFFFFFFFF));
}

}  // namespace
