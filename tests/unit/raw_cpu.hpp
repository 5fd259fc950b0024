// SPDX-License-Identifier: MIT
// Builders of mv_cpu_raw values for the tests: a CPU as the test bed's EPYC shows it, then changed.
#pragma once

#include <microv/cpu_caps.h>

#include <cstring>

namespace test {

/// The CPUID vendor string as leaf 0 returns it in EBX, EDX, ECX.
inline void set_vendor(mv_cpu_raw &raw, const char (&id)[13])
{
    std::memcpy(&raw.leaf_0.ebx, id + 0, 4);
    std::memcpy(&raw.leaf_0.edx, id + 4, 4);
    std::memcpy(&raw.leaf_0.ecx, id + 8, 4);
}

/// An AMD CPU with SVM, NPT and 16 ASIDs, nothing optional, SVM enabled and unused.
inline mv_cpu_raw epyc(uint32_t cpu = 0)
{
    mv_cpu_raw raw{};
    raw.cpu = cpu;
    raw.flags = MV_CPU_RAW_VM_CR_VALID | MV_CPU_RAW_EFER_VALID;
    raw.leaf_0.eax = 0xD;
    set_vendor(raw, "AuthenticAMD");
    raw.leaf_1.ecx = MV_CPUID_1_ECX_HYPERVISOR;
    raw.leaf_ext_0.eax = 0x8000001F;
    raw.leaf_ext_1.ecx = MV_CPUID_EXT_1_ECX_SVM;
    raw.leaf_ext_svm.eax = 1;
    raw.leaf_ext_svm.ebx = 16;
    raw.leaf_ext_svm.edx = MV_SVM_EDX_NPT;
    raw.vm_cr = 0;
    raw.efer = 0xD01;  // SCE, LME, LMA, NXE
    return raw;
}

}  // namespace test
