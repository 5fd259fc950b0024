// SPDX-License-Identifier: MIT
// The shared-page hypercalls (vmm/src/shared_page.hpp) over a page in host memory.
#include "shared_page.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace {

using vmm::page_call;

/// The MSRs the root VM may reach: three ranges of 0x2000.
constexpr uint64_t root_msrs = 0x6000;

/// A CPU with every feature and leaves up to 0x20 / 0x80000020.
vmm::cpuid_regs every_feature(uint32_t fun, uint32_t)
{
    if ((fun & 0x7FFFFFFFU) == 0) {
        return {fun | 0x20U, 0, 0, 0};
    }
    return {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
}

class shared_page : public ::testing::Test {
protected:
    union alignas(4096) page_t {
        uint8_t bytes[4096];
        mv_cdl_entry_t entry;
        mv_cdl_t cdl;
        mv_rdl_t rdl;
    };
    page_t page{};
    page_t before{};

    uint64_t serve(page_call call)
    {
        std::memcpy(before.bytes, page.bytes, sizeof(page.bytes));
        return vmm::serve_shared_page(call, vmm::shared_page_view{page.bytes}, every_feature);
    }
    bool unchanged() const { return std::memcmp(before.bytes, page.bytes, sizeof(page.bytes)) == 0; }
};

TEST_F(shared_page, view_reads_and_writes_in_place)
{
    const vmm::shared_page_view v{page.bytes};
    v.store64(8, 0x1122334455667788ULL);
    v.store32(4092, 0xAABBCCDD);
    EXPECT_EQ(v.load64(8), 0x1122334455667788ULL);
    EXPECT_EQ(v.load32(12), 0x11223344U);
    EXPECT_EQ(v.load32(4092), 0xAABBCCDDU);
}

TEST_F(shared_page, cpuid_single_entry)
{
    page.entry.fun = 1;
    page.entry.eax = 0x1234;  // outputs are overwritten
    ASSERT_EQ(serve(page_call::cpuid_supported), MV_STATUS_SUCCESS);
    EXPECT_EQ(page.entry.fun, 1U);
    EXPECT_EQ(page.entry.eax, 0U);
    EXPECT_EQ(page.entry.ecx, vmm::guest_supported_leaves[0].mask.ecx);
    EXPECT_EQ(page.entry.edx, vmm::guest_supported_leaves[0].mask.edx);

    ASSERT_EQ(serve(page_call::cpuid_emulated), MV_STATUS_SUCCESS);
    EXPECT_EQ(page.entry.ecx, 1U << 31);
    EXPECT_EQ(page.entry.edx, 0U);
    EXPECT_EQ(std::memcmp(page.bytes + sizeof(mv_cdl_entry_t), before.bytes + sizeof(mv_cdl_entry_t),
                          sizeof(page) - sizeof(mv_cdl_entry_t)),
              0)
        << "nothing past the entry";
}

TEST_F(shared_page, cpuid_single_entry_refuses_flags_and_reserved)
{
    page.entry.fun = 1;
    page.entry.flags = 1;
    EXPECT_EQ(serve(page_call::cpuid_supported), MV_STATUS_FAILURE_UNKNOWN);
    EXPECT_TRUE(unchanged());
    page.entry.flags = 0;
    page.entry.reserved = 0x80000000;
    EXPECT_EQ(serve(page_call::cpuid_emulated), MV_STATUS_FAILURE_UNKNOWN);
    EXPECT_TRUE(unchanged());
}

TEST_F(shared_page, cpuid_list)
{
    page.cdl.num_entries = 3;
    page.cdl.entries[0].fun = 1;
    page.cdl.entries[1].fun = 7;
    page.cdl.entries[1].idx = 1;
    page.cdl.entries[2].fun = 0;
    page.cdl.entries[2].eax = 0xFFFF;
    page.cdl.entries[3].fun = 1;  // past num_entries: left alone
    page.cdl.reg2 = 0x77;         // REVI
    ASSERT_EQ(serve(page_call::cpuid_supported_list), MV_STATUS_SUCCESS);
    EXPECT_EQ(page.cdl.entries[0].edx, vmm::guest_supported_leaves[0].mask.edx);
    EXPECT_EQ(page.cdl.entries[1].eax, 0x30U);
    EXPECT_EQ(page.cdl.entries[2].eax, 0U) << "leaf 0 has no features";
    EXPECT_EQ(page.cdl.entries[3].edx, 0U);
    EXPECT_EQ(page.cdl.num_entries, 3U);
    EXPECT_EQ(page.cdl.reg2, 0x77U);

    ASSERT_EQ(serve(page_call::cpuid_emulated_list), MV_STATUS_SUCCESS);
    EXPECT_EQ(page.cdl.entries[0].ecx, 1U << 31);
    EXPECT_EQ(page.cdl.entries[0].edx, 0U);
    EXPECT_EQ(page.cdl.entries[1].eax, 0U);

    page.cdl.num_entries = 0;
    EXPECT_EQ(serve(page_call::cpuid_supported_list), MV_STATUS_SUCCESS);
    EXPECT_TRUE(unchanged()) << "an empty list";
}

TEST_F(shared_page, cpuid_list_the_full_page)
{
    page.cdl.num_entries = MV_CDL_MAX_ENTRIES;
    for (auto &e : page.cdl.entries) {
        e.fun = 0x80000001;
    }
    ASSERT_EQ(serve(page_call::cpuid_supported_list), MV_STATUS_SUCCESS);
    EXPECT_NE(page.cdl.entries[MV_CDL_MAX_ENTRIES - 1].edx, 0U);
}

TEST_F(shared_page, a_bad_cpuid_list_changes_nothing)
{
    page.cdl.num_entries = 2;
    page.cdl.entries[0].fun = 1;
    page.cdl.entries[1].fun = 1;
    page.cdl.entries[1].flags = 2;  // the second entry is bad: the first must not be answered either
    EXPECT_EQ(serve(page_call::cpuid_supported_list), MV_STATUS_FAILURE_UNKNOWN);
    EXPECT_TRUE(unchanged());
    page.cdl.entries[1].flags = 0;
    page.cdl.entries[1].reserved = 1;
    EXPECT_EQ(serve(page_call::cpuid_emulated_list), MV_STATUS_FAILURE_UNKNOWN);
    EXPECT_TRUE(unchanged());
    page.cdl.entries[1].reserved = 0;

    page.cdl.num_entries = MV_CDL_MAX_ENTRIES + 1;
    EXPECT_EQ(serve(page_call::cpuid_supported_list), MV_STATUS_FAILURE_UNKNOWN) << "oversized";
    EXPECT_TRUE(unchanged());
    page.cdl.num_entries = ~0ULL;
    EXPECT_EQ(serve(page_call::cpuid_supported_list), MV_STATUS_FAILURE_UNKNOWN);
    page.cdl.num_entries = 2;
    page.cdl.reg0 = 1;
    EXPECT_EQ(serve(page_call::cpuid_supported_list), MV_STATUS_FAILURE_UNKNOWN) << "reg0 is REVZ";
    page.cdl.reg0 = 0;
    page.cdl.reg1 = 1;
    EXPECT_EQ(serve(page_call::cpuid_supported_list), MV_STATUS_FAILURE_UNKNOWN) << "reg1 is REVZ";
    EXPECT_TRUE(unchanged());
}

TEST_F(shared_page, msr_lists_of_the_callers_entries)
{
    page.rdl.num_entries = 4;
    page.rdl.entries[0].reg = 0xC0000080;
    page.rdl.entries[1].reg = 0x10;
    page.rdl.entries[2].reg = 0xFFFFFFFF00000174ULL;  // reg[63:32] is REVI
    page.rdl.entries[3].reg = 0xC0010114;
    page.rdl.entries[3].val = 0x55;
    page.rdl.entries[4].val = 0x66;  // past num_entries
    ASSERT_EQ(serve(page_call::msr_supported_list), MV_STATUS_SUCCESS);
    EXPECT_EQ(page.rdl.entries[0].val, 1U);
    EXPECT_EQ(page.rdl.entries[1].val, 0U);
    EXPECT_EQ(page.rdl.entries[2].val, 1U);
    EXPECT_EQ(page.rdl.entries[2].reg, 0xFFFFFFFF00000174ULL) << "inputs stay";
    EXPECT_EQ(page.rdl.entries[3].val, 0U);
    EXPECT_EQ(page.rdl.entries[4].val, 0x66U);

    ASSERT_EQ(serve(page_call::msr_permissable_list), MV_STATUS_SUCCESS);
    EXPECT_EQ(page.rdl.entries[0].val, MV_PERM_READ | MV_PERM_WRITE);
    EXPECT_EQ(page.rdl.entries[3].val, MV_PERM_READ);
    EXPECT_EQ(page.rdl.num_entries, 4U);
}

TEST_F(shared_page, a_bad_msr_list_changes_nothing)
{
    page.rdl.num_entries = MV_RDL_MAX_ENTRIES + 1;
    EXPECT_EQ(serve(page_call::msr_supported_list), MV_STATUS_FAILURE_UNKNOWN) << "oversized";
    EXPECT_TRUE(unchanged());
    page.rdl.num_entries = MV_RDL_MAX_ENTRIES;
    ASSERT_EQ(serve(page_call::msr_supported_list), MV_STATUS_SUCCESS) << "the full page";
    page.rdl.reg0 = 2;
    EXPECT_EQ(serve(page_call::msr_permissable_list), MV_STATUS_FAILURE_UNKNOWN) << "an undefined flag";
    EXPECT_TRUE(unchanged());
    page.rdl.reg0 = 0;
    page.rdl.reg1 = 1;
    EXPECT_EQ(serve(page_call::msr_supported_list), MV_STATUS_FAILURE_UNKNOWN) << "reg1 is REVZ without the flag";
    EXPECT_TRUE(unchanged());
}

TEST_F(shared_page, msr_list_all_in_one_page)
{
    page.rdl.reg0 = MV_RDL_FLAG_ALL;
    page.rdl.num_entries = 99;  // no entries are given as input
    ASSERT_EQ(serve(page_call::msr_supported_list), MV_STATUS_SUCCESS);
    EXPECT_EQ(page.rdl.num_entries, 13U);
    EXPECT_EQ(page.rdl.reg1, 0U) << "none left";
    EXPECT_EQ(page.rdl.reg0, MV_RDL_FLAG_ALL);
    EXPECT_EQ(page.rdl.entries[0].reg, 0x174U);
    EXPECT_EQ(page.rdl.entries[12].reg, 0xC0000102U);
    for (uint64_t i = 0; i < 13; ++i) {
        EXPECT_EQ(page.rdl.entries[i].val, 1U);
    }
}

TEST_F(shared_page, msr_list_all_continues_where_the_caller_says)
{
    // The root VM's 24576 MSRs, 250 at a time: the caller advances reg1 by MV_RDL_MAX_ENTRIES.
    uint64_t seen = 0;
    uint64_t calls = 0;
    uint32_t last = 0;
    for (uint64_t start = 0;; start += MV_RDL_MAX_ENTRIES) {
        page.rdl.reg0 = MV_RDL_FLAG_ALL;
        page.rdl.reg1 = start;
        ASSERT_EQ(serve(page_call::msr_permissable_list), MV_STATUS_SUCCESS) << start;
        ++calls;
        for (uint64_t i = 0; i < page.rdl.num_entries; ++i) {
            EXPECT_TRUE(seen == 0 || page.rdl.entries[i].reg > last);
            last = static_cast<uint32_t>(page.rdl.entries[i].reg);
            EXPECT_EQ(page.rdl.entries[i].val, vmm::root_msr_permissions(last));
        }
        seen += page.rdl.num_entries;
        EXPECT_EQ(page.rdl.reg1, root_msrs - seen) << "how many are left";
        if (page.rdl.reg1 == 0) {
            break;
        }
    }
    EXPECT_EQ(seen, root_msrs);
    EXPECT_EQ(calls, 99U);
    EXPECT_EQ(last, 0xC0011FFFU);

    page.rdl.reg0 = MV_RDL_FLAG_ALL;
    page.rdl.reg1 = root_msrs;
    EXPECT_EQ(serve(page_call::msr_permissable_list), MV_STATUS_SUCCESS) << "at the end: nothing";
    EXPECT_EQ(page.rdl.num_entries, 0U);
    page.rdl.reg1 = root_msrs + 1;
    EXPECT_EQ(serve(page_call::msr_permissable_list), MV_STATUS_FAILURE_UNKNOWN) << "past the end";
    EXPECT_TRUE(unchanged());
}

TEST_F(shared_page, an_unknown_call_fails)
{
    EXPECT_EQ(serve(static_cast<page_call>(99)), MV_STATUS_FAILURE_UNKNOWN);
    EXPECT_TRUE(unchanged());
}

}  // namespace
