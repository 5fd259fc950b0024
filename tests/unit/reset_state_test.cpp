// SPDX-License-Identifier: MIT
#include <mk/x64/amd/reset_state.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

namespace {

namespace amd = mk::amd;

TEST(reset_state, real_mode_at_f000_fff0_as_after_reset)
{
    const auto v = std::make_unique<amd::vmcb>();
    uint64_t gprs[amd::gpr::count];
    for (uint64_t &r : gprs) {
        r = 0xA5A5A5A5A5A5A5A5ULL;  // nothing of an earlier VS survives
    }
    amd::reset_state(*v, gprs, 0x00A50F00);
    const amd::vmcb_state &s = v->state;
    EXPECT_EQ(s.cs.selector, 0xF000U);
    EXPECT_EQ(s.cs.base, 0xFFFF0000U);
    EXPECT_EQ(s.cs.limit, 0xFFFFU);
    EXPECT_EQ(s.cs.attrib, 0x9BU);
    EXPECT_EQ(s.rip, 0xFFF0U) << "the first fetch at 0xFFFFFFF0";
    for (const amd::vmcb_segment *seg : {&s.ds, &s.es, &s.fs, &s.gs, &s.ss}) {
        EXPECT_EQ(seg->selector, 0U);
        EXPECT_EQ(seg->base, 0U);
        EXPECT_EQ(seg->limit, 0xFFFFU);
        EXPECT_EQ(seg->attrib, 0x93U);
    }
    EXPECT_EQ(s.gdtr.limit, 0xFFFFU);
    EXPECT_EQ(s.idtr.limit, 0xFFFFU);
    EXPECT_EQ(s.ldtr.attrib, 0x82U);
    EXPECT_EQ(s.tr.attrib, 0x83U);
    EXPECT_EQ(s.cr0, 0x60000010U);
    EXPECT_EQ(s.cr3, 0U);
    EXPECT_EQ(s.cr4, 0U);
    EXPECT_EQ(s.efer, 0U) << "ring 0 adds SVME at every entry";
    EXPECT_EQ(s.rflags, 2U);
    EXPECT_EQ(s.dr6, 0xFFFF0FF0U);
    EXPECT_EQ(s.dr7, 0x400U);
    EXPECT_EQ(s.g_pat, 0x0007040600070406ULL);
    for (size_t i = 0; i < amd::gpr::count; ++i) {
        EXPECT_EQ(gprs[i], i == amd::gpr::rdx ? 0x00A50F00U : 0U) << i;
    }
}

}  // namespace
