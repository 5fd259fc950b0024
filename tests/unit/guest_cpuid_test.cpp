// SPDX-License-Identifier: MIT
// The CPUID features MicroV lets a guest have (vmm/src/guest_cpuid.hpp).
#include "guest_cpuid.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace {

using vmm::cpuid_regs;

/// A CPU that has every feature, up to the given highest leaves; it records what it was asked.
struct every_feature_cpu {
    uint32_t max_basic = 0x20;
    uint32_t max_ext = 0x80000020;
    std::vector<std::pair<uint32_t, uint32_t>> asked;

    cpuid_regs operator()(uint32_t fun, uint32_t idx)
    {
        asked.emplace_back(fun, idx);
        if (fun == 0) {
            return {max_basic, 0x68747541, 0x444D4163, 0x69746E65};
        }
        if (fun == 0x80000000) {
            return {max_ext, 0, 0, 0};
        }
        return {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
    }
};

TEST(guest_cpuid, bits_builds_masks)
{
    static_assert(vmm::bits() == 0U);
    static_assert(vmm::bits(0, 31) == 0x80000001U);
    EXPECT_EQ(vmm::bits(4, 5), 0x30U);
}

TEST(guest_cpuid, leaf_1_keeps_the_instruction_set_and_leaves_out_devices_and_owner_bits)
{
    every_feature_cpu cpu;
    const cpuid_regs r = vmm::guest_supported_cpuid(1, 0, cpu);
    EXPECT_EQ(r.eax, 0U) << "family, model, stepping are not features";
    EXPECT_EQ(r.ebx, 0U) << "APIC ID, CLFLUSH size, counts are not features";
    EXPECT_NE(r.edx & 1U, 0U) << "FPU";
    EXPECT_NE(r.edx & (1U << 26), 0U) << "SSE2";
    EXPECT_NE(r.ecx & (1U << 28), 0U) << "AVX";
    EXPECT_EQ(r.ecx & (1U << 5), 0U) << "VMX is MicroV's";
    EXPECT_EQ(r.ecx & (1U << 21), 0U) << "no x2APIC yet";
    EXPECT_EQ(r.ecx & (1U << 24), 0U) << "no TSC deadline yet";
    EXPECT_EQ(r.ecx & (1U << 27), 0U) << "OSXSAVE mirrors the guest's CR4";
    EXPECT_EQ(r.ecx & (1U << 31), 0U) << "the hypervisor bit is emulated, not supported";
    EXPECT_EQ(r.edx & (1U << 9), 0U) << "no APIC yet";
    EXPECT_EQ(r.edx & (1U << 12), 0U) << "no MTRRs";
    EXPECT_EQ(r.edx & (1U << 28), 0U) << "no topology";
    EXPECT_EQ(cpu.asked, (std::vector<std::pair<uint32_t, uint32_t>>{{0, 0}, {1, 0}}));
}

TEST(guest_cpuid, only_what_the_cpu_has)
{
    const cpuid_regs r = vmm::guest_supported_cpuid(1, 0, [](uint32_t fun, uint32_t) {
        return fun == 0 ? cpuid_regs{1, 0, 0, 0} : cpuid_regs{0xFFFFFFFF, 0xFFFFFFFF, 0, 1U << 4};
    });
    EXPECT_EQ(r.ecx, 0U);
    EXPECT_EQ(r.edx, 1U << 4) << "the TSC, and nothing the CPU lacks";
}

TEST(guest_cpuid, subleaves_matter_where_the_leaf_has_them)
{
    every_feature_cpu cpu;
    EXPECT_NE(vmm::guest_supported_cpuid(7, 0, cpu).ebx, 0U);
    EXPECT_EQ(vmm::guest_supported_cpuid(7, 0, cpu).eax, 0U) << "the highest subleaf is not a feature";
    EXPECT_EQ(vmm::guest_supported_cpuid(7, 1, cpu).eax, 0x30U) << "AVX_VNNI, AVX512_BF16";
    EXPECT_EQ(vmm::guest_supported_cpuid(7, 2, cpu).edx, 0U) << "no subleaf 2 features";
    EXPECT_EQ(vmm::guest_supported_cpuid(0xD, 1, cpu).eax, 0x7U) << "not XSAVES: no IA32_XSS yet";
    EXPECT_EQ(vmm::guest_supported_cpuid(0xD, 0, cpu).eax, 0x2E7U);
    EXPECT_EQ(vmm::guest_supported_cpuid(0x80000001, 5, cpu).edx, vmm::guest_supported_cpuid(0x80000001, 0, cpu).edx)
        << "leaf 0x80000001 has no subleaves";
}

TEST(guest_cpuid, extended_leaves)
{
    every_feature_cpu cpu;
    const cpuid_regs r = vmm::guest_supported_cpuid(0x80000001, 0, cpu);
    EXPECT_EQ(r.ecx & (1U << 2), 0U) << "SVM is MicroV's";
    EXPECT_NE(r.edx & (1U << 29), 0U) << "long mode";
    EXPECT_EQ(r.edx & (1U << 27), 0U) << "no RDTSCP: TSC_AUX is not a guest's yet";
    EXPECT_EQ(vmm::guest_supported_cpuid(0x80000007, 0, cpu).edx, 1U << 8) << "invariant TSC";
    EXPECT_EQ(vmm::guest_supported_cpuid(0x80000008, 0, cpu).ebx, 0x5U);
}

TEST(guest_cpuid, non_feature_leaves_and_leaves_past_the_cpus_highest_are_zero)
{
    every_feature_cpu cpu;
    for (const uint32_t fun : {0U, 2U, 4U, 0xBU, 0x40000000U, 0x80000000U, 0x80000005U, 0x8000001FU}) {
        const cpuid_regs r = vmm::guest_supported_cpuid(fun, 0, cpu);
        EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0U) << std::hex << fun;
    }
    EXPECT_TRUE(cpu.asked.empty()) << "no CPUID for a leaf without features";

    every_feature_cpu old_cpu;
    old_cpu.max_basic = 6;
    old_cpu.max_ext = 0x80000001;
    const cpuid_regs r = vmm::guest_supported_cpuid(7, 0, old_cpu);
    EXPECT_EQ(r.ebx | r.ecx | r.edx, 0U) << "leaf 7 is past this CPU's highest basic leaf";
    EXPECT_EQ(vmm::guest_supported_cpuid(0x80000008, 0, old_cpu).ebx, 0U);
    EXPECT_NE(vmm::guest_supported_cpuid(0x80000001, 0, old_cpu).edx, 0U) << "0x80000001 is still there";
}

TEST(guest_cpuid, emulated_is_the_hypervisor_bit_whatever_the_cpu)
{
    const cpuid_regs r = vmm::guest_emulated_cpuid(1, 0);
    EXPECT_EQ(r.eax | r.ebx | r.edx, 0U);
    EXPECT_EQ(r.ecx, 1U << 31);
    const cpuid_regs none = vmm::guest_emulated_cpuid(7, 0);
    EXPECT_EQ(none.eax | none.ebx | none.ecx | none.edx, 0U);
}

TEST(guest_cpuid, emulated_and_supported_do_not_overlap)
{
    every_feature_cpu cpu;
    for (const auto &leaf : vmm::guest_emulated_leaves) {
        const cpuid_regs s = vmm::guest_supported_cpuid(leaf.fun, leaf.idx, cpu);
        EXPECT_EQ((s.eax & leaf.mask.eax) | (s.ebx & leaf.mask.ebx) | (s.ecx & leaf.mask.ecx) | (s.edx & leaf.mask.edx),
                  0U);
    }
}

// ---- one VS's CPUID (vs_cpuid) ----

bool same(const cpuid_regs &a, const cpuid_regs &b)
{
    return a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx;
}

/// Nothing turned off anywhere in the table.
bool untouched(const vmm::vs_cpuid &t)
{
    for (const cpuid_regs &o : t.off) {
        if ((o.eax | o.ebx | o.ecx | o.edx) != 0) {
            return false;
        }
    }
    return true;
}

TEST(guest_cpuid, a_new_vs_answers_everything_microv_allows)
{
    every_feature_cpu cpu;
    const vmm::vs_cpuid t{};
    for (const auto &[fun, idx] : std::vector<std::pair<uint32_t, uint32_t>>{{0, 0},
                                                                             {1, 0},
                                                                             {7, 0},
                                                                             {7, 1},
                                                                             {0xD, 0},
                                                                             {0xD, 1},
                                                                             {0x80000000, 0},
                                                                             {0x80000001, 0},
                                                                             {0x80000008, 0},
                                                                             {2, 0},
                                                                             {0x40000000, 0}}) {
        EXPECT_TRUE(same(t.answer(fun, idx, cpu), vmm::guest_cpuid_answer(fun, idx, cpu))) << std::hex << fun;
    }
    const cpuid_regs leaf1 = t.answer(1, 0, cpu);
    EXPECT_EQ(leaf1.ecx & vmm::cpuid_1_ecx_hypervisor, vmm::cpuid_1_ecx_hypervisor);
    EXPECT_EQ(leaf1.ecx & (1U << 28), 1U << 28) << "AVX";
    const cpuid_regs vendor = t.answer(0, 5, cpu);
    EXPECT_EQ(vendor.eax, 0x20U) << "the CPU's highest leaf";
    EXPECT_EQ(vendor.ebx, 0x68747541U);
    EXPECT_EQ(t.answer(0x80000000, 0, cpu).eax, 0x80000020U);
}

TEST(guest_cpuid, turning_off_a_feature_takes_only_that_bit)
{
    every_feature_cpu cpu;
    vmm::vs_cpuid t{};
    const cpuid_regs before = t.answer(1, 0, cpu);
    t.turn_off(1, 0, {~0U, ~0U, ~(1U << 28), ~0U});  // AVX
    const cpuid_regs after = t.answer(1, 0, cpu);
    EXPECT_EQ(after.ecx, before.ecx & ~(1U << 28));
    EXPECT_EQ(after.edx, before.edx);
    EXPECT_EQ(after.eax | after.ebx, 0U);
    t.turn_off(1, 0, {~0U, ~0U, ~vmm::cpuid_1_ecx_hypervisor, ~(1U << 25)});  // the hypervisor bit, SSE
    const cpuid_regs hidden = t.answer(1, 0, cpu);
    EXPECT_EQ(hidden.ecx, before.ecx & ~(1U << 28) & ~vmm::cpuid_1_ecx_hypervisor)
        << "the emulated bit is the VMM's to take too";
    EXPECT_EQ(hidden.edx, before.edx & ~(1U << 25));
    EXPECT_TRUE(same(t.answer(0x80000001, 0, cpu), vmm::guest_cpuid_answer(0x80000001, 0, cpu)))
        << "another leaf keeps its features";
    t.turn_off(1, 7, {~0U, ~0U, ~0U, ~1U});  // leaf 1 has no subleaves: the FPU of leaf 1
    EXPECT_EQ(t.answer(1, 0, cpu).edx & 1U, 0U);
}

TEST(guest_cpuid, bits_that_are_no_feature_and_leaves_without_features_are_ignored)
{
    every_feature_cpu cpu;
    vmm::vs_cpuid t{};
    t.turn_off(1, 0, {0, 0, ~(1U << 5), ~(1U << 9)});  // family/model, APIC ID; VMX; the APIC
    EXPECT_TRUE(untouched(t)) << "nothing that was a feature";
    EXPECT_TRUE(same(t.answer(1, 0, cpu), vmm::guest_cpuid_answer(1, 0, cpu)));
    for (const uint32_t fun : {0U, 2U, 0xBU, 0x40000000U, 0x80000000U, 0x80000005U}) {
        t.turn_off(fun, 0, {0, 0, 0, 0});
    }
    t.turn_off(7, 2, {0, 0, 0, 0});  // a subleaf without features
    t.turn_off(0xD, 2, {0, 0, 0, 0});
    EXPECT_TRUE(untouched(t));
    EXPECT_TRUE(same(t.answer(0, 0, cpu), cpu(0, 0))) << "the highest leaf and vendor stay";
    EXPECT_TRUE(same(t.answer(7, 0, cpu), vmm::guest_cpuid_answer(7, 0, cpu)));
}

TEST(guest_cpuid, subleaves_of_7_and_0xd_are_turned_off_apart)
{
    every_feature_cpu cpu;
    vmm::vs_cpuid t{};
    t.turn_off(7, 0, {~0U, ~(1U << 5), ~0U, ~0U});  // AVX2
    EXPECT_EQ(t.answer(7, 0, cpu).ebx, vmm::guest_cpuid_answer(7, 0, cpu).ebx & ~(1U << 5));
    EXPECT_EQ(t.answer(7, 1, cpu).eax, 0x30U) << "subleaf 1 keeps AVX_VNNI and AVX512_BF16";
    t.turn_off(7, 1, {~(1U << 4), ~0U, ~0U, ~0U});
    EXPECT_EQ(t.answer(7, 1, cpu).eax, 0x20U);
    EXPECT_EQ(t.answer(7, 0, cpu).ebx, vmm::guest_cpuid_answer(7, 0, cpu).ebx & ~(1U << 5));
    t.turn_off(0xD, 1, {~1U, ~0U, ~0U, ~0U});  // XSAVEOPT
    EXPECT_EQ(t.answer(0xD, 1, cpu).eax, 0x6U);
    EXPECT_EQ(t.answer(0xD, 0, cpu).eax, 0x2E7U) << "subleaf 0 keeps its components";
    t.turn_off(0xD, 0, {~(1U << 2), ~0U, ~0U, ~0U});
    EXPECT_EQ(t.answer(0xD, 0, cpu).eax, 0x2E3U);
    EXPECT_EQ(vmm::vs_cpuid::leaf_of(7, 0), 1U);
    EXPECT_EQ(vmm::vs_cpuid::leaf_of(7, 1), 2U);
    EXPECT_EQ(vmm::vs_cpuid::leaf_of(0xD, 1), 4U);
    EXPECT_EQ(vmm::vs_cpuid::leaf_of(1, 9), 0U);
    EXPECT_EQ(vmm::vs_cpuid::leaf_of(7, 2), vmm::guest_feature_leaves);
    EXPECT_EQ(vmm::guest_feature_leaves, 8U);
}

TEST(guest_cpuid, osxsave_and_ospke_mirror_the_guests_cr4_where_the_feature_is_shown)
{
    constexpr uint64_t osxsave = 1U << 18;
    constexpr uint64_t pke = 1U << 22;
    const cpuid_regs xsave{1, 2, 1U << 26, 4};
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(1, 0, xsave, osxsave), cpuid_regs{1, 2, (1U << 26) | (1U << 27), 4}));
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(1, 0, xsave, ~osxsave), xsave)) << "CR4.OSXSAVE clear";
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(1, 0, {0, 0, 0, 0}, osxsave), cpuid_regs{0, 0, 0, 0}))
        << "no XSAVE shown (the VMM took it): no OSXSAVE";
    const cpuid_regs pku{0, 0, 1U << 3, 0};
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(7, 0, pku, pke), cpuid_regs{0, 0, (1U << 3) | (1U << 4), 0}));
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(7, 0, pku, osxsave), pku)) << "CR4.PKE clear";
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(7, 1, pku, pke), pku)) << "subleaf 0 only";
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(7, 0, {0, 0, 0, 0}, pke), cpuid_regs{0, 0, 0, 0}));
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(0x80000001, 0, xsave, ~0ULL), xsave)) << "another leaf";
    EXPECT_TRUE(same(vmm::guest_cpuid_mirror(1, 0, pku, ~0ULL), pku)) << "PKU is no bit of leaf 1";
}

TEST(guest_cpuid, turning_off_is_for_good)
{
    every_feature_cpu cpu;
    vmm::vs_cpuid t{};
    const cpuid_regs all = t.answer(0x80000001, 0, cpu);
    t.turn_off(0x80000001, 0, {~0U, ~0U, ~0U, ~(1U << 29)});  // long mode
    t.turn_off(0x80000001, 0, {~0U, ~0U, ~0U, ~0U});          // a set of all ones turns nothing on
    EXPECT_EQ(t.answer(0x80000001, 0, cpu).edx, all.edx & ~(1U << 29));
    t.turn_off(0x80000001, 0, {~0U, ~0U, ~(1U << 0), ~0U});  // LAHF_LM: adds to what is off
    EXPECT_EQ(t.answer(0x80000001, 0, cpu).edx, all.edx & ~(1U << 29));
    EXPECT_EQ(t.answer(0x80000001, 0, cpu).ecx, all.ecx & ~1U);
    // What the CPU lacks stays off whatever the table says.
    const vmm::vs_cpuid fresh{};
    const cpuid_regs none = fresh.answer(0x80000001, 0, [](uint32_t fun, uint32_t) {
        return fun == 0x80000000 ? cpuid_regs{0x80000008, 0, 0, 0} : cpuid_regs{0, 0, 0, 0};
    });
    EXPECT_EQ(none.ecx | none.edx, 0U);
}

}  // namespace
