// SPDX-License-Identifier: MIT
#include <mk/x64/amd/vmcb_invariants.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace amd = mk::amd;

namespace {

constexpr amd::vmcb_invariants inv{0x1000, 0x3000, 0x7000, 1, false};

/// A VMCB as ring 0 sets it up: every invariant in place, CPUID and VMMCALL intercepted too, all clean.
std::unique_ptr<amd::vmcb> as_ring0_leaves_it()
{
    auto v = std::make_unique<amd::vmcb>();
    v->control.intercept_misc1 = amd::required_misc1 | amd::intercept_misc1::cpuid;
    v->control.intercept_misc2 = amd::required_misc2 | amd::intercept_misc2::vmmcall;
    v->control.msrpm_base_pa = inv.msrpm_base_pa;
    v->control.iopm_base_pa = inv.iopm_base_pa;
    v->control.guest_asid = inv.asid;
    v->control.np_enable = amd::np_enable_bit;
    v->control.n_cr3 = inv.n_cr3;
    v->control.vmcb_clean = 0xFFFFFFFF;
    v->state.efer = 0xD01 | amd::efer_svme;
    return v;
}

}  // namespace

TEST(vmcb_invariants, required_intercepts_are_the_svm_instructions_maps_invd_nmi_and_shutdown)
{
    namespace m1 = amd::intercept_misc1;
    namespace m2 = amd::intercept_misc2;
    EXPECT_EQ(amd::required_misc1, m1::nmi | m1::msr_prot | m1::ioio_prot | m1::invlpga | m1::invd | m1::shutdown);
    EXPECT_EQ(amd::required_misc2, m2::vmrun | m2::vmload | m2::vmsave | m2::stgi | m2::clgi | m2::skinit);
}

TEST(vmcb_invariants, a_vmcb_as_ring0_left_it_is_untouched)
{
    auto v = as_ring0_leaves_it();
    const amd::vmcb before = *v;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), 0U);
    EXPECT_EQ(std::memcmp(v.get(), &before, sizeof(before)), 0);
}

TEST(vmcb_invariants, more_intercepts_are_kept)
{
    auto v = as_ring0_leaves_it();
    v->control.intercept_misc1 = ~0U;
    v->control.intercept_misc2 = ~0U;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), 0U);
    EXPECT_EQ(v->control.intercept_misc1, ~0U);
    EXPECT_EQ(v->control.intercept_misc2, ~0U);
}

TEST(vmcb_invariants, dropped_intercepts_come_back_and_only_those)
{
    // Issue 10: bf_vs_op_write let the extension clear any of them.
    auto v = as_ring0_leaves_it();
    v->control.intercept_misc1 = amd::intercept_misc1::cpuid;
    v->control.intercept_misc2 = amd::intercept_misc2::vmmcall;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::intercepts);
    EXPECT_EQ(v->control.intercept_misc1, amd::required_misc1 | amd::intercept_misc1::cpuid);
    EXPECT_EQ(v->control.intercept_misc2, amd::required_misc2 | amd::intercept_misc2::vmmcall);
    EXPECT_EQ(v->control.vmcb_clean, ~amd::clean::intercepts) << "a CPU with clean bits rereads them";
    // One missing bit of either word is enough.
    v->control.intercept_misc2 &= ~amd::intercept_misc2::vmrun;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::intercepts);
    v->control.intercept_misc1 &= ~amd::intercept_misc1::nmi;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::intercepts);
    EXPECT_EQ(v->control.intercept_misc1 & amd::intercept_misc1::nmi, amd::intercept_misc1::nmi);
}

TEST(vmcb_invariants, the_maps_the_asid_nested_paging_and_svme_are_ring0s)
{
    auto v = as_ring0_leaves_it();
    v->control.msrpm_base_pa = 0;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::iopm);
    v->control.iopm_base_pa = 0x5000;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::iopm);
    EXPECT_EQ(v->control.msrpm_base_pa, inv.msrpm_base_pa);
    EXPECT_EQ(v->control.iopm_base_pa, inv.iopm_base_pa);

    v->control.guest_asid = 0;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::asid);
    EXPECT_EQ(v->control.guest_asid, inv.asid);

    v->control.np_enable = 0;  // nested paging off: the VS would see all of host memory
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::np);
    v->control.np_enable = amd::np_enable_bit | 0x2;  // SEV
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::np);
    EXPECT_EQ(v->control.np_enable, amd::np_enable_bit);
    v->control.n_cr3 = 0x9000;  // tables of the extension's making
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::np);
    EXPECT_EQ(v->control.n_cr3, inv.n_cr3);

    v->state.efer = 0xD01;  // without SVME, VMRUN would fail
    EXPECT_EQ(amd::enforce_invariants(*v, inv), amd::clean::crx);
    EXPECT_EQ(v->state.efer, 0xD01 | amd::efer_svme);
}

TEST(vmcb_invariants, everything_at_once)
{
    amd::vmcb v{};
    v.control.vmcb_clean = 0xFFFFFFFF;
    const uint32_t dirty = amd::enforce_invariants(v, inv);
    EXPECT_EQ(dirty, amd::clean::intercepts | amd::clean::iopm | amd::clean::asid | amd::clean::np | amd::clean::crx);
    EXPECT_EQ(v.control.vmcb_clean, ~dirty);
    EXPECT_EQ(amd::enforce_invariants(v, inv), 0U) << "and then nothing more to do";
}

TEST(vmcb_invariants, a_guest_vs_also_exits_on_every_physical_interrupt_and_on_xsetbv)
{
    auto v = as_ring0_leaves_it();
    amd::vmcb_invariants g = inv;
    g.guest = true;
    // A guest's own IF must not hold physical interrupts: INTR exits, V_INTR_MASKING on.
    EXPECT_EQ(amd::enforce_invariants(*v, g), amd::clean::intercepts | amd::clean::tpr);
    EXPECT_EQ(v->control.intercept_misc1 & amd::guest_required_misc1, amd::guest_required_misc1);
    EXPECT_NE(v->control.intercept_misc1 & amd::intercept_misc1::intr, 0U);
    EXPECT_NE(v->control.intercept_misc2 & amd::intercept_misc2::xsetbv, 0U);
    EXPECT_NE(v->control.v_intr & amd::v_intr_masking, 0U);
    EXPECT_EQ(amd::enforce_invariants(*v, g), 0U) << "nothing left to put back";
    v->control.v_intr = 0;
    EXPECT_EQ(amd::enforce_invariants(*v, g), amd::clean::tpr);
    v->control.v_intr = 0;
    EXPECT_EQ(amd::enforce_invariants(*v, inv), 0U) << "a root VS takes interrupts through its own IDT";
}
