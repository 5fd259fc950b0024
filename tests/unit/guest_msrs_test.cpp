// SPDX-License-Identifier: MIT
// The MSRs a guest holds itself (vmm/src/guest_msrs.hpp): their registers, the values WRMSR would
// take, and EFER as the guest sees and sets it.
#include "guest_msrs.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

using mk::abi::reg;
namespace m = vmm::guest_msr;

TEST(guest_msrs, each_guest_held_msr_is_one_register_of_the_vs)
{
    const struct {
        uint32_t msr;
        reg r;
    } held[] = {
        {0x174, reg::sysenter_cs},
        {0x175, reg::sysenter_esp},
        {0x176, reg::sysenter_eip},
        {0x1D9, reg::dbgctl},
        {0x277, reg::pat},
        {0xC0000080, reg::efer},
        {0xC0000081, reg::star},
        {0xC0000082, reg::lstar},
        {0xC0000083, reg::cstar},
        {0xC0000084, reg::fmask},
        {0xC0000100, reg::fs_base},
        {0xC0000101, reg::gs_base},
        {0xC0000102, reg::kernel_gs_base},
    };
    static_assert(sizeof(held) / sizeof(held[0]) == 13);
    for (const auto &h : held) {
        EXPECT_EQ(vmm::guest_msr_reg(h.msr), h.r) << std::hex << h.msr;
    }
    for (const uint32_t msr :
         {0U, 0x10U, 0x1BU, 0x173U, 0x177U, 0x1D8U, 0x278U, 0xC0000085U, 0xC0000103U, 0xC0010114U, 0xFFFFFFFFU}) {
        EXPECT_EQ(vmm::guest_msr_reg(msr), reg::unsupported) << std::hex << msr;
    }
}

TEST(guest_msrs, canonical_means_bits_63_to_47_alike)
{
    EXPECT_TRUE(vmm::canonical(0));
    EXPECT_TRUE(vmm::canonical(0x00007FFFFFFFFFFFULL));
    EXPECT_FALSE(vmm::canonical(0x0000800000000000ULL));
    EXPECT_FALSE(vmm::canonical(0xFFFF7FFFFFFFFFFFULL));
    EXPECT_TRUE(vmm::canonical(0xFFFF800000000000ULL));
    EXPECT_TRUE(vmm::canonical(~0ULL));
    EXPECT_FALSE(vmm::canonical(1ULL << 63));
}

TEST(guest_msrs, pat_holds_a_memory_type_in_each_of_its_eight_entries)
{
    EXPECT_TRUE(vmm::pat_ok(0x0007040600070406ULL)) << "the value after RESET";
    EXPECT_TRUE(vmm::pat_ok(0));
    EXPECT_TRUE(vmm::pat_ok(0x0706050401000000ULL)) << "UC, WC, WT, WP, WB, UC-";
    for (unsigned entry = 0; entry < 8; ++entry) {
        SCOPED_TRACE(entry);
        for (const uint64_t type : {uint64_t{2}, uint64_t{3}, uint64_t{8}, uint64_t{0xFF}}) {
            EXPECT_FALSE(vmm::pat_ok((0x0606060606060606ULL & ~(0xFFULL << (8 * entry))) | (type << (8 * entry))))
                << type;
        }
        EXPECT_TRUE(vmm::pat_ok(7ULL << (8 * entry)));
    }
}

TEST(guest_msrs, a_value_is_one_wrmsr_would_take)
{
    constexpr uint64_t lower_top = 0x00007FFFFFFFFFFFULL;
    constexpr uint64_t hole = 0x0000800000000000ULL;
    constexpr uint64_t upper_bottom = 0xFFFF800000000000ULL;
    // The address MSRs: canonical.
    for (const uint32_t msr :
         {m::sysenter_esp, m::sysenter_eip, m::lstar, m::cstar, m::fs_base, m::gs_base, m::kernel_gs_base}) {
        SCOPED_TRACE(msr);
        EXPECT_TRUE(vmm::guest_msr_value_ok(msr, 0));
        EXPECT_TRUE(vmm::guest_msr_value_ok(msr, lower_top));
        EXPECT_FALSE(vmm::guest_msr_value_ok(msr, hole));
        EXPECT_TRUE(vmm::guest_msr_value_ok(msr, upper_bottom));
        EXPECT_FALSE(vmm::guest_msr_value_ok(msr, upper_bottom - 1));
    }
    EXPECT_TRUE(vmm::guest_msr_value_ok(m::sysenter_cs, 0xFFFF));
    EXPECT_FALSE(vmm::guest_msr_value_ok(m::sysenter_cs, 0x10000));
    for (const uint64_t v : {0U, 1U, 2U, 3U}) {
        EXPECT_TRUE(vmm::guest_msr_value_ok(m::debugctl, v)) << "LBR and BTF";
    }
    EXPECT_FALSE(vmm::guest_msr_value_ok(m::debugctl, 4));
    EXPECT_FALSE(vmm::guest_msr_value_ok(m::debugctl, 1ULL << 63));
    EXPECT_TRUE(vmm::guest_msr_value_ok(m::pat, 0x0007040600070406ULL));
    EXPECT_FALSE(vmm::guest_msr_value_ok(m::pat, 0x0007040600070402ULL));
    EXPECT_TRUE(vmm::guest_msr_value_ok(m::efer, 0xD01)) << "SCE, LME, LMA, NXE";
    EXPECT_TRUE(vmm::guest_msr_value_ok(m::efer, 0));
    EXPECT_FALSE(vmm::guest_msr_value_ok(m::efer, 0x1000)) << "SVME is the microkernel's";
    EXPECT_FALSE(vmm::guest_msr_value_ok(m::efer, 1U << 13)) << "LMSLE";
    EXPECT_FALSE(vmm::guest_msr_value_ok(m::efer, 1U << 1));
    EXPECT_TRUE(vmm::guest_msr_value_ok(m::star, ~0ULL)) << "selectors: any value loads";
    EXPECT_TRUE(vmm::guest_msr_value_ok(m::sfmask, 0xFFFFFFFF));
    EXPECT_FALSE(vmm::guest_msr_value_ok(m::sfmask, 0x100000000ULL));
    for (const uint32_t msr : {0x1BU, 0xC0000103U, 0U}) {
        EXPECT_FALSE(vmm::guest_msr_value_ok(msr, 0)) << "not a guest's MSR: " << msr;
    }
}

TEST(guest_msrs, efer_is_shown_without_svme_and_set_keeping_it)
{
    EXPECT_EQ(vmm::guest_efer_bits, 0xD01U);
    EXPECT_EQ(vmm::guest_efer_view(0x1D01), 0xD01U);
    EXPECT_EQ(vmm::guest_efer_view(0x1000), 0U);
    EXPECT_EQ(vmm::guest_efer_view(~0ULL), 0xD01U);
    EXPECT_EQ(vmm::guest_efer_merge(0x1001, 0x900), 0x1900U) << "SCE off, LME and NXE on, SVME kept";
    EXPECT_EQ(vmm::guest_efer_merge(0x1D01, 0), 0x1000U);
    EXPECT_EQ(vmm::guest_efer_merge(0x1000, ~0ULL), 0x1D01U) << "only the guest's bits of the value";
    EXPECT_EQ(vmm::guest_efer_merge(0, 0x1000), 0U) << "nor SVME from it";
}

}  // namespace
