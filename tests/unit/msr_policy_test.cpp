// SPDX-License-Identifier: MIT
#include "msr_policy.hpp"

#include <gtest/gtest.h>

namespace {

using vmm::msr_action;

constexpr uint64_t svme = 1ULL << 12;
// A plausible EFER with SVM on: SCE, LME, LMA, NXE, SVME.
constexpr uint64_t efer_hw = 0x1D01;
constexpr uint32_t msr_star = 0xC0000081;
constexpr uint32_t msr_pat = 0x277;
// What an EPYC-like CPU lets software set in EFER (SCE, LME, LMA, NXE, LMSLE, FFXSR), and the
// state of a root VM in long mode with paging on.
constexpr uint64_t settable = 0x6D01;
constexpr vmm::msr_state long_mode{efer_hw, settable, true};

TEST(msr_policy, addresses_and_bits_match_the_apm)
{
    EXPECT_EQ(vmm::msr_efer, 0xC0000080U);
    EXPECT_EQ(vmm::msr_vm_cr, 0xC0010114U);
    EXPECT_EQ(vmm::msr_vm_hsave_pa, 0xC0010117U);
    EXPECT_EQ(vmm::efer_svme, svme);
    EXPECT_EQ(vmm::vm_cr_dpd, 0x1U);
    EXPECT_EQ(vmm::vm_cr_r_init, 0x2U);
    EXPECT_EQ(vmm::vm_cr_dis_a20m, 0x4U);
    EXPECT_EQ(vmm::vm_cr_lock, 0x8U);
    EXPECT_EQ(vmm::vm_cr_svmdis, 0x10U);
}

TEST(msr_policy, efer_read_hides_svme)
{
    const auto r = vmm::root_rdmsr(vmm::msr_efer, efer_hw);
    EXPECT_EQ(r.action, msr_action::emulate);
    EXPECT_EQ(r.value, efer_hw & ~svme);
    EXPECT_EQ(vmm::root_rdmsr(vmm::msr_efer, ~0ULL).value, ~svme) << "every other bit kept";
}

TEST(msr_policy, vm_cr_read_shows_svm_disabled_and_locked)
{
    const auto r = vmm::root_rdmsr(vmm::msr_vm_cr, 0);
    EXPECT_EQ(r.action, msr_action::emulate);
    EXPECT_EQ(r.value, vmm::vm_cr_svmdis | vmm::vm_cr_lock);
    const uint64_t others = vmm::vm_cr_dpd | vmm::vm_cr_r_init | vmm::vm_cr_dis_a20m | (1ULL << 40);
    EXPECT_EQ(vmm::root_rdmsr(vmm::msr_vm_cr, others).value, others | 0x18U) << "other bits from the hardware";
}

TEST(msr_policy, hsave_read_is_zero)
{
    const auto r = vmm::root_rdmsr(vmm::msr_vm_hsave_pa, 0x12345000);
    EXPECT_EQ(r.action, msr_action::emulate);
    EXPECT_EQ(r.value, 0U);
}

TEST(msr_policy, other_reads_pass)
{
    EXPECT_EQ(vmm::root_rdmsr(msr_star, 0xABCD).action, msr_action::pass);
    EXPECT_EQ(vmm::root_rdmsr(msr_pat, 0x0007040600070406).action, msr_action::pass);
    EXPECT_EQ(vmm::root_rdmsr(0xC0010115, 0).action, msr_action::pass) << "IGNNE, next to VM_CR";
}

TEST(msr_policy, efer_write_without_svme_keeps_microvs_svme)
{
    const uint64_t guest = efer_hw & ~svme;
    const auto r = vmm::root_wrmsr(vmm::msr_efer, guest, long_mode);
    EXPECT_EQ(r.action, msr_action::emulate);
    EXPECT_EQ(r.value, guest | svme);
    const auto zero = vmm::root_wrmsr(vmm::msr_efer, 0, {efer_hw & ~0x400ULL, settable, false});
    EXPECT_EQ(zero.action, msr_action::emulate);
    EXPECT_EQ(zero.value, svme) << "SVME forced on even when the guest clears everything";
}

TEST(msr_policy, efer_write_of_a_bit_the_cpu_lacks_is_refused)
{
    // Finding 6 of the isolation issue: a reserved bit let through made the next VMRUN fail.
    for (unsigned bit : {1U, 7U, 9U, 15U, 16U, 17U, 18U, 19U, 20U, 21U, 22U, 32U, 63U}) {
        const uint64_t value = (efer_hw & ~svme) | (1ULL << bit);
        EXPECT_EQ(vmm::root_wrmsr(vmm::msr_efer, value, long_mode).action, msr_action::inject_gp) << bit;
    }
    const vmm::msr_state with_tce{efer_hw, settable | vmm::efer_tce, true};
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_efer, (efer_hw & ~svme) | vmm::efer_tce, with_tce).action, msr_action::emulate)
        << "a bit the CPU has";
}

TEST(msr_policy, efer_lme_changes_only_with_paging_off)
{
    const uint64_t guest = efer_hw & ~svme;
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_efer, guest & ~vmm::efer_lme, long_mode).action, msr_action::inject_gp);
    const vmm::msr_state legacy_paging{svme, settable, true};
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_efer, vmm::efer_lme, legacy_paging).action, msr_action::inject_gp);
    const vmm::msr_state no_paging{svme, settable, false};
    const auto r = vmm::root_wrmsr(vmm::msr_efer, vmm::efer_lme, no_paging);
    EXPECT_EQ(r.action, msr_action::emulate);
    EXPECT_EQ(r.value, vmm::efer_lme | svme);
}

TEST(msr_policy, efer_write_leaves_lma_to_the_cpu)
{
    const uint64_t guest = efer_hw & ~svme;
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_efer, guest & ~vmm::efer_lma, long_mode).value, efer_hw) << "cleared: kept";
    const vmm::msr_state no_paging{svme | vmm::efer_lme, settable, false};
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_efer, vmm::efer_lme | vmm::efer_lma, no_paging).value, vmm::efer_lme | svme)
        << "set: not taken";
}

TEST(msr_policy, efer_settable_follows_cpuid)
{
    EXPECT_EQ(vmm::efer_settable({0, 0, 1U << 20, 0}), 0U) << "nothing reported, LMSLE unsupported";
    EXPECT_EQ(vmm::efer_settable({0, 0, 0, 0}), vmm::efer_lmsle);
    // SYSCALL, NX, FFXSR, LM in EDX; TCE in ECX; MCOMMIT, INTWB in 0x80000008 EBX; AutoIBRS.
    const vmm::efer_cpuid all{1U << 17, (1U << 11) | (1U << 20) | (1U << 25) | (1U << 29), (1U << 8) | (1U << 9),
                              1U << 8};
    EXPECT_EQ(vmm::efer_settable(all), 0x26ED01U);
    EXPECT_EQ(vmm::efer_settable({0, 1U << 29, 1U << 20, 0}), vmm::efer_lme | vmm::efer_lma);
}

TEST(msr_policy, efer_write_with_svme_is_refused)
{
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_efer, efer_hw, long_mode).action, msr_action::inject_gp);
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_efer, svme, {0, settable, false}).action, msr_action::inject_gp);
}

TEST(msr_policy, vm_cr_write_is_refused)
{
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_vm_cr, 0, {}).action, msr_action::inject_gp);
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_vm_cr, vmm::vm_cr_svmdis | vmm::vm_cr_lock, {}).action, msr_action::inject_gp);
}

TEST(msr_policy, hsave_write_is_refused)
{
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_vm_hsave_pa, 0x12345000, {}).action, msr_action::inject_gp);
    EXPECT_EQ(vmm::root_wrmsr(vmm::msr_vm_hsave_pa, 0, {}).action, msr_action::inject_gp);
}

TEST(msr_policy, other_writes_pass)
{
    const auto r = vmm::root_wrmsr(msr_star, 0x0023001000000000, {});
    EXPECT_EQ(r.action, msr_action::pass);
    EXPECT_EQ(r.value, 0x0023001000000000U);
    EXPECT_EQ(vmm::root_wrmsr(msr_pat, svme, {}).action, msr_action::pass) << "bit 12 means nothing elsewhere";
}

TEST(msr_policy, writes_to_the_memory_type_msrs_are_ignored_and_their_reads_pass)
{
    // Finding 10 of the isolation issue: an MTRR write could make MicroV's pool uncached or WC.
    for (const uint32_t msr : {0x200U, 0x20FU, 0x2FFU, 0xC0010010U, 0xC001001DU}) {
        EXPECT_EQ(vmm::root_wrmsr(msr, 0x6, {}).action, msr_action::ignore) << std::hex << msr;
        EXPECT_EQ(vmm::root_rdmsr(msr, 0x6).action, msr_action::pass) << std::hex << msr;
        EXPECT_TRUE(vmm::msr_write_intercepted(msr)) << std::hex << msr;
        EXPECT_FALSE(vmm::msr_intercepted(msr)) << "reads do not exit: " << std::hex << msr;
    }
    EXPECT_TRUE(vmm::msr_write_intercepted(vmm::msr_efer));
    EXPECT_FALSE(vmm::msr_write_intercepted(msr_pat));
}

TEST(msr_policy, intercepts_exactly_the_three_msrs)
{
    EXPECT_TRUE(vmm::msr_intercepted(vmm::msr_efer));
    EXPECT_TRUE(vmm::msr_intercepted(vmm::msr_vm_cr));
    EXPECT_TRUE(vmm::msr_intercepted(vmm::msr_vm_hsave_pa));
    for (const uint32_t msr : {0x0U, 0x10U, 0x1BU, 0x277U, 0xC0000081U, 0xC0000100U, 0xC0010115U, 0xC0010116U}) {
        EXPECT_FALSE(vmm::msr_intercepted(msr)) << std::hex << msr;
    }
}

TEST(msr_policy, is_usable_at_compile_time)
{
    static_assert(vmm::msr_intercepted(vmm::msr_vm_cr));
    static_assert(vmm::root_rdmsr(vmm::msr_efer, vmm::efer_svme).value == 0);
    static_assert(vmm::root_wrmsr(vmm::msr_efer, 0, {}).value == vmm::efer_svme);
    SUCCEED();
}

}  // namespace
