// SPDX-License-Identifier: MIT
// Which CPUID features a VM created by MicroV may have: the answers of mv_pp_op_cpuid_get_supported
// and mv_pp_op_cpuid_get_emulated. Supported = what the real CPU has AND what MicroV lets a guest
// use without emulating it; emulated = what MicroV provides whatever the CPU has. Non-feature
// fields (family, model, sizes, counts, the vendor) are 0, as the spec says. Pure logic.
//
// Left out on purpose: everything that needs a device or an MSR MicroV does not yet virtualize for
// guests (APIC, x2APIC, TSC deadline, MTRR, MCE/MCA, performance counters, debug stores, thermal
// and power control, speculation-control MSRs, TSC_AUX hence RDTSCP and RDPID), SVM and VMX
// (MicroV owns them), MONITOR/MWAIT, TSX, SGX, processor trace, topology, and the bits that mirror
// guest state (OSXSAVE, OSPKE). Bit positions: Intel SDM vol. 2A (CPUID) and AMD APM vol. 3, appx E.
#pragma once

#include "cpuid_policy.hpp"

#include <stdint.h>

namespace vmm {

/// A mask of the given bit positions.
template <class... Bits>
constexpr uint32_t bits(Bits... b) noexcept
{
    return ((1U << b) | ... | 0U);
}

/// One leaf (and subleaf, where the leaf has them) whose registers carry features.
struct cpuid_feature_leaf {
    uint32_t fun;
    uint32_t idx;
    bool indexed;  // whether idx selects a subleaf; otherwise idx plays no part
    cpuid_regs mask;
};

// Leaf 1 EDX, which AMD mirrors in leaf 0x80000001 EDX bits 0-17, 23 and 24: FPU, VME, DE, PSE,
// TSC, MSR, PAE, CX8, (SEP), PGE, CMOV, PAT, PSE36, (CLFSH), MMX, FXSR, (SSE, SSE2).
inline constexpr uint32_t leaf1_edx_common = bits(0, 1, 2, 3, 4, 5, 6, 8, 13, 15, 16, 17, 23, 24);

/// The features MicroV lets a guest use when the CPU has them.
inline constexpr cpuid_feature_leaf guest_supported_leaves[] = {
    // SSE3, PCLMULQDQ, SSSE3, FMA, CX16, PCID, SSE4.1, SSE4.2, MOVBE, POPCNT, AES, XSAVE, AVX,
    // F16C, RDRAND | the common set, SEP, CLFSH, SSE, SSE2.
    {0x1,
     0,
     false,
     {0, 0, bits(0, 1, 9, 12, 13, 17, 19, 20, 22, 23, 25, 26, 28, 29, 30), leaf1_edx_common | bits(11, 19, 25, 26)}},
    // EBX: FSGSBASE, BMI1, AVX2, FDP_EXCPTN_ONLY, SMEP, BMI2, ERMS, INVPCID, FPCSDS, AVX512F/DQ,
    // RDSEED, ADX, SMAP, AVX512_IFMA, CLFLUSHOPT, CLWB, AVX512PF/ER/CD, SHA, AVX512BW/VL.
    // ECX: PREFETCHWT1, AVX512_VBMI, UMIP, PKU, AVX512_VBMI2, GFNI, VAES, VPCLMULQDQ, AVX512_VNNI,
    // AVX512_BITALG, AVX512_VPOPCNTDQ, CLDEMOTE, MOVDIRI, MOVDIR64B.
    // EDX: AVX512_4VNNIW, AVX512_4FMAPS, FSRM, AVX512_VP2INTERSECT, MD_CLEAR, SERIALIZE, AVX512_FP16.
    {0x7,
     0,
     true,
     {0, bits(0, 3, 5, 6, 7, 8, 9, 10, 13, 16, 17, 18, 19, 20, 21, 23, 24, 26, 27, 28, 29, 30, 31),
      bits(0, 1, 2, 3, 6, 8, 9, 10, 11, 12, 14, 25, 27, 28), bits(2, 3, 4, 8, 10, 14, 23)}},
    // EAX: AVX_VNNI, AVX512_BF16.
    {0x7, 1, true, {bits(4, 5), 0, 0, 0}},
    // EAX: the XSAVE state components x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM, PKRU.
    {0xD, 0, true, {bits(0, 1, 2, 5, 6, 7, 9), 0, 0, 0}},
    // EAX: XSAVEOPT, XSAVEC, XGETBV with ECX=1.
    {0xD, 1, true, {bits(0, 1, 2), 0, 0, 0}},
    // ECX: LAHF_LM, AltMovCr8, ABM, SSE4A, MisAlignSse, 3DNowPrefetch, XOP, FMA4, TBM.
    // EDX: the common set, SYSCALL, NX, MmxExt, FFXSR, Page1GB, LM, 3DNowExt, 3DNow.
    {0x80000001,
     0,
     false,
     {0, 0, bits(0, 4, 5, 6, 7, 8, 11, 16, 21), leaf1_edx_common | bits(11, 20, 22, 25, 26, 29, 30, 31)}},
    // EDX: invariant TSC.
    {0x80000007, 0, false, {0, 0, 0, bits(8)}},
    // EBX: CLZERO, RstrFpErrPtrs.
    {0x80000008, 0, false, {0, bits(0, 2), 0, 0}},
};

/// The features MicroV provides itself: the hypervisor bit.
inline constexpr cpuid_feature_leaf guest_emulated_leaves[] = {
    {0x1, 0, false, {0, 0, cpuid_1_ecx_hypervisor, 0}},
};

/// The mask of a leaf in a table; all zero for a leaf the table does not name.
template <unsigned N>
constexpr cpuid_regs cpuid_feature_mask(const cpuid_feature_leaf (&table)[N], uint32_t fun, uint32_t idx) noexcept
{
    for (const cpuid_feature_leaf &l : table) {
        if (l.fun == fun && (!l.indexed || l.idx == idx)) {
            return l.mask;
        }
    }
    return {0, 0, 0, 0};
}

/// mv_pp_op_cpuid_get_supported: the CPU's features of a leaf that MicroV lets a guest use.
/// hw_cpuid(fun, idx) is the real CPU's CPUID; a leaf past the CPU's highest gives nothing (CPUs
/// answer such a leaf with another leaf's values).
template <class HwCpuid>
constexpr cpuid_regs guest_supported_cpuid(uint32_t fun, uint32_t idx, HwCpuid &&hw_cpuid) noexcept
{
    const cpuid_regs mask = cpuid_feature_mask(guest_supported_leaves, fun, idx);
    if ((mask.eax | mask.ebx | mask.ecx | mask.edx) == 0) {
        return {0, 0, 0, 0};
    }
    // The highest leaf of fun's range (basic or extended).
    if (hw_cpuid(fun & 0x80000000U, 0U).eax < fun) {
        return {0, 0, 0, 0};
    }
    const cpuid_regs hw = hw_cpuid(fun, idx);
    return {hw.eax & mask.eax, hw.ebx & mask.ebx, hw.ecx & mask.ecx, hw.edx & mask.edx};
}

/// mv_pp_op_cpuid_get_emulated: the features of a leaf MicroV provides whatever the CPU has.
constexpr cpuid_regs guest_emulated_cpuid(uint32_t fun, uint32_t idx) noexcept
{
    return cpuid_feature_mask(guest_emulated_leaves, fun, idx);
}

/// A guest's CPUID with every feature MicroV allows: the real CPU's highest leaves and vendor, the
/// features MicroV lets guests have and provides, nothing else (no topology, cache or brand
/// leaves: they would tell the guest about the host).
template <class HwCpuid>
constexpr cpuid_regs guest_cpuid_answer(uint32_t fun, uint32_t idx, HwCpuid &&hw) noexcept
{
    if (fun == 0 || fun == 0x80000000U) {
        return hw(fun, 0U);
    }
    const cpuid_regs s = guest_supported_cpuid(fun, idx, hw);
    const cpuid_regs e = guest_emulated_cpuid(fun, idx);
    return {s.eax | e.eax, s.ebx | e.ebx, s.ecx | e.ecx, s.edx | e.edx};
}

/// The bits of CPUID that mirror the guest's CR4 rather than the CPU: leaf 1 ECX OSXSAVE (27) is
/// CR4.OSXSAVE (18) where XSAVE (26) is shown, leaf 7.0 ECX OSPKE (4) is CR4.PKE (22) where PKU (3)
/// is, as a CPU shows them to the OS that set them.
constexpr cpuid_regs guest_cpuid_mirror(uint32_t fun, uint32_t idx, cpuid_regs r, uint64_t cr4) noexcept
{
    if (fun == 1 && (r.ecx & (1U << 26)) != 0 && (cr4 & (1U << 18)) != 0) {
        r.ecx |= 1U << 27;
    }
    if (fun == 7 && idx == 0 && (r.ecx & (1U << 3)) != 0 && (cr4 & (1U << 22)) != 0) {
        r.ecx |= 1U << 4;
    }
    return r;
}

/// The number of leaves whose features a VMM may take from a VS.
inline constexpr unsigned guest_feature_leaves = sizeof(guest_supported_leaves) / sizeof(guest_supported_leaves[0]);

/// One VS's CPUID: guest_cpuid_answer less the features its VMM turned off with
/// mv_vs_op_cpuid_set (which only ever turns features off: the CPU and MicroV decide what is on).
struct vs_cpuid {
    cpuid_regs off[guest_feature_leaves];  // per leaf of guest_supported_leaves, zero-initialized

    /// The leaf's index in guest_supported_leaves; guest_feature_leaves for none.
    static constexpr unsigned leaf_of(uint32_t fun, uint32_t idx) noexcept
    {
        for (unsigned i = 0; i < guest_feature_leaves; ++i) {
            const cpuid_feature_leaf &l = guest_supported_leaves[i];
            if (l.fun == fun && (!l.indexed || l.idx == idx)) {
                return i;
            }
        }
        return guest_feature_leaves;
    }

    template <class HwCpuid>
    constexpr cpuid_regs answer(uint32_t fun, uint32_t idx, HwCpuid &&hw) const noexcept
    {
        const cpuid_regs a = guest_cpuid_answer(fun, idx, hw);
        const unsigned i = leaf_of(fun, idx);
        if (i == guest_feature_leaves) {
            return a;
        }
        return {a.eax & ~off[i].eax, a.ebx & ~off[i].ebx, a.ecx & ~off[i].ecx, a.edx & ~off[i].edx};
    }

    /// mv_vs_op_cpuid_set: each feature bit that is 0 in r is off from now on; 1s, bits that are
    /// no feature, and leaves without features change nothing.
    constexpr void turn_off(uint32_t fun, uint32_t idx, cpuid_regs r) noexcept
    {
        const unsigned i = leaf_of(fun, idx);
        if (i == guest_feature_leaves) {
            return;
        }
        const cpuid_regs s = guest_supported_leaves[i].mask;
        const cpuid_regs e = cpuid_feature_mask(guest_emulated_leaves, fun, idx);
        off[i].eax |= ~r.eax & (s.eax | e.eax);
        off[i].ebx |= ~r.ebx & (s.ebx | e.ebx);
        off[i].ecx |= ~r.ecx & (s.ecx | e.ecx);
        off[i].edx |= ~r.edx & (s.edx | e.edx);
    }
};

}  // namespace vmm
