// SPDX-License-Identifier: MIT
#include "cpu_report.hpp"
#include "raw_cpu.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

mv_machine_verdict decide(const std::vector<mv_cpu_raw> &cpus)
{
    mv_machine_verdict verdict{};
    mv_machine_verdict_decide(cpus.data(), static_cast<uint32_t>(cpus.size()), &verdict);
    return verdict;
}

bool has(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

TEST(cpu_report, a_machine_that_can_run_microv)
{
    const auto v = decide({test::epyc(0), test::epyc(1)});
    const auto text = vmmctl::cpu_report(v, 2);
    EXPECT_TRUE(has(text, "vendor             AuthenticAMD (AMD SVM)\n")) << text;
    EXPECT_TRUE(has(text, "online cpus        2\n")) << text;
    EXPECT_TRUE(has(text, "svm                yes, revision 1\n")) << text;
    EXPECT_TRUE(has(text, "npt                yes  (required)\n")) << text;
    EXPECT_TRUE(has(text, "asids              16  (ASID 0 is the host's)\n")) << text;
    EXPECT_TRUE(has(text, "nrip save          no  (MicroV decodes instruction lengths itself)\n")) << text;
    EXPECT_TRUE(has(text, "decode assists     no")) << text;
    EXPECT_TRUE(has(text, "vmcb clean bits    no")) << text;
    EXPECT_TRUE(has(text, "flush by asid      no  (MicroV flushes the whole TLB instead)\n")) << text;
    EXPECT_TRUE(has(text, "vm_cr.svmdis       clear\n")) << text;
    EXPECT_TRUE(has(text, "efer.svme          clear")) << text;
    EXPECT_TRUE(has(text, "verdict: MicroV can run on this machine\n")) << text;
    EXPECT_EQ(vmmctl::cpu_report_status(v), 0);
}

TEST(cpu_report, optional_features_present_are_marked_used)
{
    auto raw = test::epyc();
    raw.leaf_ext_svm.edx |= MV_SVM_EDX_NRIP_SAVE | MV_SVM_EDX_FLUSH_BY_ASID;
    const auto text = vmmctl::cpu_report(decide({raw}), 1);
    EXPECT_TRUE(has(text, "nrip save          yes  (used)\n")) << text;
    EXPECT_TRUE(has(text, "flush by asid      yes  (used)\n")) << text;
}

TEST(cpu_report, a_cpu_without_svm_lists_the_reason_and_fails)
{
    auto raw = test::epyc();
    raw.leaf_ext_1.ecx = 0;
    const auto v = decide({raw});
    const auto text = vmmctl::cpu_report(v, 1);
    EXPECT_TRUE(has(text, "svm                no\n")) << text;
    EXPECT_TRUE(has(text, "nrip save          -\n")) << text;
    EXPECT_FALSE(has(text, "npt")) << text;
    EXPECT_TRUE(has(text, "verdict: MicroV cannot run on this machine (first seen on cpu 0):\n")) << text;
    EXPECT_TRUE(has(text, "  - the CPU has no AMD SVM")) << text;
    EXPECT_EQ(vmmctl::cpu_report_status(v), 1);
}

TEST(cpu_report, every_blocker_is_listed)
{
    auto raw = test::epyc(2);
    raw.vm_cr = MV_VM_CR_SVMDIS | MV_VM_CR_LOCK;
    raw.efer |= MV_EFER_SVME;
    const auto text = vmmctl::cpu_report(decide({raw}), 1);
    EXPECT_TRUE(has(text, "(first seen on cpu 2)")) << text;
    EXPECT_TRUE(has(text, "  - " + std::string(mv_blocker_text(MV_BLOCK_SVM_DISABLED)))) << text;
    EXPECT_TRUE(has(text, "  - " + std::string(mv_blocker_text(MV_BLOCK_SVM_IN_USE)))) << text;
    EXPECT_TRUE(has(text, "vm_cr.lock         set\n")) << text;
    EXPECT_TRUE(has(text, "efer.svme          set")) << text;
}

TEST(cpu_report, unreadable_msrs_are_said_so)
{
    auto raw = test::epyc();
    raw.flags = 0;
    const auto text = vmmctl::cpu_report(decide({raw}), 1);
    EXPECT_TRUE(has(text, "vm_cr              unreadable\n")) << text;
    EXPECT_FALSE(has(text, "efer.svme")) << text;
}

TEST(cpu_report, intel_and_unknown_vendors_are_named)
{
    auto intel = test::epyc();
    test::set_vendor(intel, "GenuineIntel");
    EXPECT_TRUE(has(vmmctl::cpu_report(decide({intel}), 1), "GenuineIntel (Intel VMX, not supported yet)"));
    auto other = test::epyc();
    test::set_vendor(other, "VIA VIA VIA ");
    EXPECT_TRUE(has(vmmctl::cpu_report(decide({other}), 1), "VIA VIA VIA  (unknown vendor)"));
}

}  // namespace
