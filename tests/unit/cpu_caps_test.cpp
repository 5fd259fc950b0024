// SPDX-License-Identifier: MIT
#include "raw_cpu.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

mv_cpu_caps decode(const mv_cpu_raw &raw)
{
    mv_cpu_caps caps{};
    mv_cpu_caps_decode(&raw, &caps);
    return caps;
}

mv_machine_verdict decide(const std::vector<mv_cpu_raw> &cpus)
{
    mv_machine_verdict verdict{};
    mv_machine_verdict_decide(cpus.data(), static_cast<uint32_t>(cpus.size()), &verdict);
    return verdict;
}

TEST(cpu_caps, decodes_the_test_beds_epyc)
{
    const auto caps = decode(test::epyc());
    EXPECT_EQ(caps.vendor, MV_VENDOR_AMD);
    EXPECT_STREQ(caps.vendor_id, "AuthenticAMD");
    EXPECT_TRUE(caps.svm);
    EXPECT_TRUE(caps.npt);
    EXPECT_EQ(caps.asids, 16U);
    EXPECT_EQ(caps.svm_revision, 1U);
    EXPECT_FALSE(caps.nrip_save);
    EXPECT_FALSE(caps.decode_assists);
    EXPECT_FALSE(caps.vmcb_clean);
    EXPECT_FALSE(caps.flush_by_asid);
    EXPECT_TRUE(caps.hypervisor_present);
    EXPECT_TRUE(caps.vm_cr_known);
    EXPECT_FALSE(caps.svm_disabled);
    EXPECT_FALSE(caps.vm_cr_lock);
    EXPECT_TRUE(caps.efer_known);
    EXPECT_FALSE(caps.svme_in_use);
}

TEST(cpu_caps, decodes_each_optional_svm_feature_from_its_own_bit)
{
    struct {
        uint32_t bit;
        int mv_cpu_caps::*field;
    } const cases[] = {
        {MV_SVM_EDX_NRIP_SAVE, &mv_cpu_caps::nrip_save},
        {MV_SVM_EDX_DECODE_ASSISTS, &mv_cpu_caps::decode_assists},
        {MV_SVM_EDX_VMCB_CLEAN, &mv_cpu_caps::vmcb_clean},
        {MV_SVM_EDX_FLUSH_BY_ASID, &mv_cpu_caps::flush_by_asid},
    };
    for (const auto &c : cases) {
        auto raw = test::epyc();
        raw.leaf_ext_svm.edx |= c.bit;
        const auto caps = decode(raw);
        EXPECT_TRUE(caps.*c.field) << "bit " << c.bit;
        int set = caps.nrip_save + caps.decode_assists + caps.vmcb_clean + caps.flush_by_asid;
        EXPECT_EQ(set, 1) << "bit " << c.bit << " set more than its own feature";
    }
}

TEST(cpu_caps, hygon_counts_as_amd)
{
    auto raw = test::epyc();
    test::set_vendor(raw, "HygonGenuine");
    EXPECT_EQ(decode(raw).vendor, MV_VENDOR_AMD);
}

TEST(cpu_caps, intel_reports_vmx_and_no_svm)
{
    auto raw = test::epyc();
    test::set_vendor(raw, "GenuineIntel");
    raw.leaf_1.ecx |= MV_CPUID_1_ECX_VMX;
    const auto caps = decode(raw);
    EXPECT_EQ(caps.vendor, MV_VENDOR_INTEL);
    EXPECT_TRUE(caps.vmx);
    EXPECT_FALSE(caps.svm);
    EXPECT_FALSE(caps.npt) << "leaf 0x8000000A means nothing without SVM";
}

TEST(cpu_caps, unprintable_vendor_bytes_are_masked)
{
    auto raw = test::epyc();
    raw.leaf_0.ebx = 0x7F020304;
    const auto caps = decode(raw);
    EXPECT_EQ(caps.vendor, MV_VENDOR_UNKNOWN);
    EXPECT_STREQ(caps.vendor_id, "????enticAMD");
}

TEST(cpu_caps, svm_leaf_is_ignored_when_the_max_extended_leaf_is_below_it)
{
    auto raw = test::epyc();
    raw.leaf_ext_0.eax = 0x80000008;
    const auto caps = decode(raw);
    EXPECT_TRUE(caps.svm);
    EXPECT_FALSE(caps.npt);
    EXPECT_EQ(caps.asids, 0U);
}

TEST(cpu_caps, no_extended_leaves_means_no_svm)
{
    auto raw = test::epyc();
    raw.leaf_ext_0.eax = 0;
    EXPECT_FALSE(decode(raw).svm);
}

TEST(cpu_caps, garbage_max_extended_leaf_is_not_trusted)
{
    auto raw = test::epyc();
    raw.leaf_ext_0.eax = 0xFFFFFFFF;  // what some CPUs without extended leaves return
    const auto caps = decode(raw);
    EXPECT_FALSE(caps.svm);
    EXPECT_FALSE(caps.npt);
}

TEST(cpu_caps, vm_cr_and_efer_bits)
{
    auto raw = test::epyc();
    raw.vm_cr = MV_VM_CR_LOCK | MV_VM_CR_SVMDIS;
    raw.efer |= MV_EFER_SVME;
    const auto caps = decode(raw);
    EXPECT_TRUE(caps.vm_cr_lock);
    EXPECT_TRUE(caps.svm_disabled);
    EXPECT_TRUE(caps.svme_in_use);

    raw.flags = 0;  // neither MSR could be read: their values mean nothing
    const auto unknown = decode(raw);
    EXPECT_FALSE(unknown.vm_cr_known);
    EXPECT_FALSE(unknown.svm_disabled);
    EXPECT_FALSE(unknown.efer_known);
    EXPECT_FALSE(unknown.svme_in_use);
}

TEST(machine_verdict, the_test_bed_can_run_microv)
{
    const auto v = decide({test::epyc(0), test::epyc(1), test::epyc(2), test::epyc(3)});
    EXPECT_EQ(v.blockers, 0U);
    EXPECT_EQ(v.cpus, 4U);
    EXPECT_EQ(v.caps.asids, 16U);
}

TEST(machine_verdict, no_cpus) { EXPECT_EQ(decide({}).blockers, MV_BLOCK_NO_CPUS); }

TEST(machine_verdict, each_blocker_alone)
{
    struct {
        const char *what;
        void (*change)(mv_cpu_raw &);
        uint32_t blocker;
    } const cases[] = {
        {"intel", [](mv_cpu_raw &r) { test::set_vendor(r, "GenuineIntel"); }, MV_BLOCK_NOT_AMD},
        {"no svm", [](mv_cpu_raw &r) { r.leaf_ext_1.ecx = 0; }, MV_BLOCK_NO_SVM},
        {"svmdis", [](mv_cpu_raw &r) { r.vm_cr = MV_VM_CR_SVMDIS; }, MV_BLOCK_SVM_DISABLED},
        {"no npt", [](mv_cpu_raw &r) { r.leaf_ext_svm.edx = 0; }, MV_BLOCK_NO_NPT},
        {"one asid", [](mv_cpu_raw &r) { r.leaf_ext_svm.ebx = 1; }, MV_BLOCK_TOO_FEW_ASIDS},
        {"svme set", [](mv_cpu_raw &r) { r.efer |= MV_EFER_SVME; }, MV_BLOCK_SVM_IN_USE},
        {"vm_cr unreadable", [](mv_cpu_raw &r) { r.flags &= ~MV_CPU_RAW_VM_CR_VALID; }, MV_BLOCK_VM_CR_UNKNOWN},
    };
    for (const auto &c : cases) {
        auto raw = test::epyc(0);
        c.change(raw);
        const auto v = decide({raw});
        EXPECT_EQ(v.blockers, c.blocker) << c.what;
        EXPECT_EQ(v.first_bad_cpu, 0U) << c.what;
    }
}

TEST(machine_verdict, efer_unreadable_is_not_a_blocker)
{
    auto raw = test::epyc();
    raw.flags &= ~MV_CPU_RAW_EFER_VALID;
    raw.efer |= MV_EFER_SVME;
    EXPECT_EQ(decide({raw}).blockers, 0U);
}

TEST(machine_verdict, blockers_add_up)
{
    auto raw = test::epyc();
    raw.vm_cr = MV_VM_CR_SVMDIS;
    raw.leaf_ext_svm.edx = 0;
    raw.leaf_ext_svm.ebx = 0;
    EXPECT_EQ(decide({raw}).blockers, MV_BLOCK_SVM_DISABLED | MV_BLOCK_NO_NPT | MV_BLOCK_TOO_FEW_ASIDS);
}

TEST(machine_verdict, a_later_cpu_that_differs_is_named)
{
    auto odd = test::epyc(3);
    odd.leaf_ext_svm.ebx = 8;
    const auto v = decide({test::epyc(0), test::epyc(1), test::epyc(2), odd});
    EXPECT_EQ(v.blockers, MV_BLOCK_ASYMMETRIC);
    EXPECT_EQ(v.first_bad_cpu, 3U);
}

TEST(machine_verdict, each_feature_that_must_match_is_compared)
{
    const uint32_t bits[] = {MV_SVM_EDX_NPT, MV_SVM_EDX_NRIP_SAVE, MV_SVM_EDX_DECODE_ASSISTS, MV_SVM_EDX_VMCB_CLEAN,
                             MV_SVM_EDX_FLUSH_BY_ASID};
    for (const auto bit : bits) {
        auto odd = test::epyc(1);
        odd.leaf_ext_svm.edx ^= bit;
        EXPECT_NE(decide({test::epyc(0), odd}).blockers & MV_BLOCK_ASYMMETRIC, 0U) << "bit " << bit;
    }
    auto intel = test::epyc(1);
    test::set_vendor(intel, "GenuineIntel");
    EXPECT_EQ(decide({test::epyc(0), intel}).blockers, MV_BLOCK_NOT_AMD | MV_BLOCK_ASYMMETRIC);
    auto nosvm = test::epyc(1);
    nosvm.leaf_ext_1.ecx = 0;
    EXPECT_EQ(decide({test::epyc(0), nosvm}).blockers, MV_BLOCK_NO_SVM | MV_BLOCK_ASYMMETRIC);
}

TEST(machine_verdict, first_bad_cpu_is_the_first_one_with_a_blocker)
{
    auto bad1 = test::epyc(5);
    bad1.vm_cr = MV_VM_CR_SVMDIS;
    auto bad2 = test::epyc(7);
    bad2.efer |= MV_EFER_SVME;
    const auto v = decide({test::epyc(0), bad1, bad2});
    EXPECT_EQ(v.first_bad_cpu, 5U);
    EXPECT_EQ(v.blockers, MV_BLOCK_SVM_DISABLED | MV_BLOCK_SVM_IN_USE);
}

TEST(machine_verdict, every_blocker_has_its_own_text)
{
    const uint32_t all[] = {MV_BLOCK_NO_CPUS,      MV_BLOCK_NOT_AMD,    MV_BLOCK_NO_SVM,
                            MV_BLOCK_SVM_DISABLED, MV_BLOCK_NO_NPT,     MV_BLOCK_TOO_FEW_ASIDS,
                            MV_BLOCK_SVM_IN_USE,   MV_BLOCK_ASYMMETRIC, MV_BLOCK_VM_CR_UNKNOWN};
    const std::string unknown = mv_blocker_text(0x80000000U);
    EXPECT_EQ(unknown, "unknown blocker");
    for (const auto a : all) {
        EXPECT_NE(mv_blocker_text(a), unknown) << a;
        for (const auto b : all) {
            if (a != b) {
                EXPECT_STRNE(mv_blocker_text(a), mv_blocker_text(b));
            }
        }
    }
}

}  // namespace
