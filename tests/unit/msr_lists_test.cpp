// SPDX-License-Identifier: MIT
// The MSR answers of the mv_pp_op_msr_* hypercalls (vmm/src/msr_lists.hpp).
#include "msr_lists.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

TEST(msr_lists, runs_count_and_enumerate_in_order)
{
    constexpr vmm::msr_run runs[] = {{0x10, 2}, {0x100, 1}};
    static_assert(vmm::msr_runs_count(runs) == 3);
    EXPECT_EQ(vmm::msr_runs_nth(runs, 0), 0x10U);
    EXPECT_EQ(vmm::msr_runs_nth(runs, 1), 0x11U);
    EXPECT_EQ(vmm::msr_runs_nth(runs, 2), 0x100U);
    EXPECT_EQ(vmm::msr_runs_nth(runs, 3), 0U) << "past the end";
    EXPECT_TRUE(vmm::msr_runs_hold(runs, 0x11));
    EXPECT_FALSE(vmm::msr_runs_hold(runs, 0x12));
    EXPECT_FALSE(vmm::msr_runs_hold(runs, 0xF));
}

TEST(msr_lists, a_guest_vs_holds_the_vmcb_msrs)
{
    EXPECT_EQ(vmm::msr_runs_count(vmm::guest_supported_msrs), 13U);
    for (const uint32_t msr : {0x174U, 0x175U, 0x176U, 0x1D9U, 0x277U, 0xC0000080U, 0xC0000081U, 0xC0000082U,
                               0xC0000083U, 0xC0000084U, 0xC0000100U, 0xC0000101U, 0xC0000102U}) {
        EXPECT_EQ(vmm::guest_msr_supported(msr), 1U) << std::hex << msr;
    }
    for (const uint32_t msr : {0x10U, 0x173U, 0x177U, 0x1BU, 0xC0000085U, 0xC0000103U, 0xC0010114U, 0xFFFFFFFFU}) {
        EXPECT_EQ(vmm::guest_msr_supported(msr), 0U) << std::hex << msr;
    }
    // Ascending, so that the "all" list comes out sorted.
    uint32_t last = 0;
    for (uint64_t i = 0; i < vmm::msr_runs_count(vmm::guest_supported_msrs); ++i) {
        const uint32_t msr = vmm::msr_runs_nth(vmm::guest_supported_msrs, i);
        EXPECT_GT(msr, last);
        last = msr;
    }
}

TEST(msr_lists, the_root_vm_reaches_what_the_permission_map_lets_through)
{
    constexpr uint64_t rw = MV_PERM_READ | MV_PERM_WRITE;
    EXPECT_EQ(vmm::root_msr_permissions(0x10), rw);
    EXPECT_EQ(vmm::root_msr_permissions(0x1FFF), rw);
    EXPECT_EQ(vmm::root_msr_permissions(0xC0000082), rw);
    EXPECT_EQ(vmm::root_msr_permissions(0xC0011FFF), rw);
    EXPECT_EQ(vmm::root_msr_permissions(vmm::msr_efer), rw) << "EFER: emulated both ways";
    EXPECT_EQ(vmm::root_msr_permissions(vmm::msr_vm_cr), MV_PERM_READ) << "looks locked";
    EXPECT_EQ(vmm::root_msr_permissions(vmm::msr_vm_hsave_pa), MV_PERM_READ);
    EXPECT_EQ(vmm::root_msr_permissions(0x200), MV_PERM_READ) << "an MTRR: writes ignored";
    EXPECT_EQ(vmm::root_msr_permissions(0xC0010010), MV_PERM_READ) << "SYSCFG";
    EXPECT_EQ(vmm::root_msr_permissions(0x277), rw) << "PAT: the root VM's own (G_PAT)";
    for (const uint32_t msr : {0x2000U, 0x40000000U, 0xBFFFFFFFU, 0xC0002000U, 0xC000FFFFU, 0xC0012000U, 0xFFFFFFFFU}) {
        EXPECT_EQ(vmm::root_msr_permissions(msr), 0U) << std::hex << msr << ": always exits, refused";
    }
    EXPECT_EQ(vmm::msr_runs_count(vmm::root_permissable_msrs), 3U * 0x2000U);
}

}  // namespace
