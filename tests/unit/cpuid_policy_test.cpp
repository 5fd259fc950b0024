// SPDX-License-Identifier: MIT
#include "cpuid_policy.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

// Recognisable values with every kind of bit pattern, as a real CPU might return.
constexpr vmm::cpuid_regs hw{0x12345678, 0x9ABCDEF0, 0x0F1E2D3C, 0xA5A55A5A};
constexpr vmm::cpuid_regs all_ones{0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};

void expect_regs(const vmm::cpuid_regs &got, const vmm::cpuid_regs &want)
{
    EXPECT_EQ(got.eax, want.eax);
    EXPECT_EQ(got.ebx, want.ebx);
    EXPECT_EQ(got.ecx, want.ecx);
    EXPECT_EQ(got.edx, want.edx);
}

// The signature as a guest reads it: EBX, ECX, EDX, each low byte first.
std::string signature(const vmm::cpuid_regs &r)
{
    char text[12];
    std::memcpy(text, &r.ebx, 4);
    std::memcpy(text + 4, &r.ecx, 4);
    std::memcpy(text + 8, &r.edx, 4);
    return std::string(text, sizeof(text));
}

TEST(cpuid_policy, signature_leaf_names_microv_and_the_highest_leaf)
{
    const auto r = vmm::root_cpuid(0x40000000, 0, hw);
    EXPECT_EQ(signature(r), "MicroVMicroV");
    EXPECT_EQ(r.eax, 0x40000001U);
    EXPECT_EQ(r.ebx, 0x7263694DU) << "\"Micr\", 'M' in the low byte";
}

TEST(cpuid_policy, version_leaf_gives_the_interface_version)
{
    const auto r = vmm::root_cpuid(0x40000001, 0, all_ones);
    expect_regs(r, {vmm::microv_cpuid_version, 0, 0, 0});
    EXPECT_EQ(vmm::microv_cpuid_version, 1U);
}

TEST(cpuid_policy, other_hypervisor_leaves_are_zero)
{
    for (const uint32_t leaf : {0x40000002U, 0x40000003U, 0x40000010U, 0x40000080U, 0x400000FFU}) {
        SCOPED_TRACE(leaf);
        expect_regs(vmm::root_cpuid(leaf, 0, all_ones), {0, 0, 0, 0});
        expect_regs(vmm::root_cpuid(leaf, 7, hw), {0, 0, 0, 0});
    }
}

TEST(cpuid_policy, hypervisor_leaves_ignore_the_hardware_and_the_subleaf)
{
    for (const uint32_t subleaf : {0U, 1U, 0xFFFFFFFFU}) {
        const auto a = vmm::root_cpuid(0x40000000, subleaf, hw);
        const auto b = vmm::root_cpuid(0x40000000, subleaf, all_ones);
        expect_regs(a, b);
        EXPECT_EQ(signature(a), "MicroVMicroV");
    }
}

TEST(cpuid_policy, leaves_around_the_hypervisor_range_pass_through)
{
    expect_regs(vmm::root_cpuid(0x3FFFFFFF, 0, hw), hw);
    expect_regs(vmm::root_cpuid(0x40000100, 0, hw), hw);
    EXPECT_FALSE(vmm::cpuid_hypervisor_leaf(0x3FFFFFFF));
    EXPECT_TRUE(vmm::cpuid_hypervisor_leaf(0x40000000));
    EXPECT_TRUE(vmm::cpuid_hypervisor_leaf(0x400000FF));
    EXPECT_FALSE(vmm::cpuid_hypervisor_leaf(0x40000100));
}

TEST(cpuid_policy, leaf_1_sets_the_hypervisor_bit_and_keeps_the_rest)
{
    const auto r = vmm::root_cpuid(1, 0, hw);
    EXPECT_EQ(r.ecx, hw.ecx | (1U << 31));
    EXPECT_EQ(r.eax, hw.eax);
    EXPECT_EQ(r.ebx, hw.ebx);
    EXPECT_EQ(r.edx, hw.edx);
    expect_regs(vmm::root_cpuid(1, 0, all_ones), all_ones);  // already set stays set
    EXPECT_EQ(vmm::root_cpuid(1, 0, {0, 0, 0, 0}).ecx, 1U << 31);
}

TEST(cpuid_policy, leaf_80000001_clears_svm_and_keeps_the_rest)
{
    const auto r = vmm::root_cpuid(0x80000001, 0, all_ones);
    EXPECT_EQ(r.ecx, 0xFFFFFFFBU);
    EXPECT_EQ(r.eax, 0xFFFFFFFFU);
    EXPECT_EQ(r.ebx, 0xFFFFFFFFU);
    EXPECT_EQ(r.edx, 0xFFFFFFFFU);
    const vmm::cpuid_regs no_svm{1, 2, 0x0F1E2D38, 4};
    expect_regs(vmm::root_cpuid(0x80000001, 0, no_svm), no_svm);  // already clear stays clear
}

TEST(cpuid_policy, svm_feature_leaf_is_zero)
{
    expect_regs(vmm::root_cpuid(0x8000000A, 0, all_ones), {0, 0, 0, 0});
    expect_regs(vmm::root_cpuid(0x8000000A, 0, hw), {0, 0, 0, 0});
}

TEST(cpuid_policy, other_leaves_pass_through_unchanged)
{
    const vmm::cpuid_regs vendor{0x10, vmm::cpuid_chars('A', 'u', 't', 'h'), vmm::cpuid_chars('c', 'A', 'M', 'D'),
                                 vmm::cpuid_chars('e', 'n', 't', 'i')};
    expect_regs(vmm::root_cpuid(0, 0, vendor), vendor);
    expect_regs(vmm::root_cpuid(7, 0, hw), hw);
    expect_regs(vmm::root_cpuid(7, 1, all_ones), all_ones);
    expect_regs(vmm::root_cpuid(0x80000000, 0, hw), hw);
    expect_regs(vmm::root_cpuid(0x80000008, 0, hw), hw);
    expect_regs(vmm::root_cpuid(0x8000001F, 0, hw), hw);
}

TEST(cpuid_policy, is_usable_at_compile_time)
{
    constexpr auto r = vmm::root_cpuid(0x40000000, 0, {});
    static_assert(r.eax == vmm::cpuid_hv_max);
    static_assert(vmm::root_cpuid(1, 0, {}).ecx == vmm::cpuid_1_ecx_hypervisor);
    SUCCEED();
}

}  // namespace
