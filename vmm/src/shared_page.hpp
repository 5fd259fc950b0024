// SPDX-License-Identifier: MIT
// The hypercalls that read and write a PP's shared page: the CPUID forms (one mv_cdl_entry_t at
// offset 0, or an mv_cdl_t) and the MSR lists (an mv_rdl_t). The page is the root VM's memory and
// its other CPUs may change it while MicroV works on it, so every field is read once, checked
// after it was read, and a call that fails writes nothing. Pure logic over the page's bytes.
#pragma once

#include "guest_cpuid.hpp"
#include "msr_lists.hpp"
#include <microv/hypercall.h>

#include <stddef.h>
#include <stdint.h>

namespace vmm {

inline constexpr size_t shared_page_bytes = 4096;

/// The shared page as MicroV sees it: volatile loads and stores, each done once where it is asked.
class shared_page_view {
public:
    explicit shared_page_view(void *page) noexcept : m_page{static_cast<volatile uint8_t *>(page)} {}

    uint64_t load64(size_t offset) const noexcept { return *reinterpret_cast<volatile uint64_t *>(m_page + offset); }
    uint32_t load32(size_t offset) const noexcept { return *reinterpret_cast<volatile uint32_t *>(m_page + offset); }
    void store64(size_t offset, uint64_t v) const noexcept
    {
        *reinterpret_cast<volatile uint64_t *>(m_page + offset) = v;
    }
    void store32(size_t offset, uint32_t v) const noexcept
    {
        *reinterpret_cast<volatile uint32_t *>(m_page + offset) = v;
    }

private:
    volatile uint8_t *m_page;
};

/// The hypercalls served from the shared page.
enum class page_call : uint8_t {
    cpuid_supported,
    cpuid_supported_list,
    cpuid_emulated,
    cpuid_emulated_list,
    msr_supported_list,
    msr_permissable_list,
};

namespace detail {

/// The offset of entry i of a list whose entries have the given size.
constexpr size_t entry_at(size_t entries, size_t size, uint64_t i) noexcept
{
    return entries + static_cast<size_t>(i) * size;
}

constexpr size_t cdl_entry(uint64_t i) noexcept
{
    return entry_at(offsetof(mv_cdl_t, entries), sizeof(mv_cdl_entry_t), i);
}

constexpr size_t rdl_entry(uint64_t i) noexcept
{
    return entry_at(offsetof(mv_rdl_t, entries), sizeof(mv_rdl_entry_t), i);
}

/// One CDL entry's inputs, read once.
struct cdl_input {
    uint32_t fun;
    uint32_t idx;
    bool valid;  // flags and reserved are 0 (the only mv_cpuid_flag_t is the reserved 0)
};

inline cdl_input read_cdl_entry(const shared_page_view &page, size_t at) noexcept
{
    const uint32_t fun = page.load32(at + offsetof(mv_cdl_entry_t, fun));
    const uint32_t idx = page.load32(at + offsetof(mv_cdl_entry_t, idx));
    const uint32_t flags = page.load32(at + offsetof(mv_cdl_entry_t, flags));
    const uint32_t reserved = page.load32(at + offsetof(mv_cdl_entry_t, reserved));
    return {fun, idx, flags == MV_CPUID_FLAG_RESERVED && reserved == 0};
}

inline void write_cdl_result(const shared_page_view &page, size_t at, cpuid_regs r) noexcept
{
    page.store32(at + offsetof(mv_cdl_entry_t, eax), r.eax);
    page.store32(at + offsetof(mv_cdl_entry_t, ebx), r.ebx);
    page.store32(at + offsetof(mv_cdl_entry_t, ecx), r.ecx);
    page.store32(at + offsetof(mv_cdl_entry_t, edx), r.edx);
}

/// The CPUID answer of a call for one leaf.
template <class HwCpuid>
cpuid_regs cpuid_answer(bool emulated, const cdl_input &in, HwCpuid &hw_cpuid) noexcept
{
    return emulated ? guest_emulated_cpuid(in.fun, in.idx) : guest_supported_cpuid(in.fun, in.idx, hw_cpuid);
}

/// mv_pp_op_cpuid_get_supported/emulated: the page is one mv_cdl_entry_t.
template <class HwCpuid>
uint64_t cpuid_single(const shared_page_view &page, bool emulated, HwCpuid &hw_cpuid) noexcept
{
    const cdl_input in = read_cdl_entry(page, 0);
    if (!in.valid) {
        return MV_STATUS_FAILURE_UNKNOWN;
    }
    write_cdl_result(page, 0, cpuid_answer(emulated, in, hw_cpuid));
    return MV_STATUS_SUCCESS;
}

/// mv_pp_op_cpuid_get_supported_list/emulated_list: the page is an mv_cdl_t.
template <class HwCpuid>
uint64_t cpuid_list(const shared_page_view &page, bool emulated, HwCpuid &hw_cpuid) noexcept
{
    // reg0 and reg1 are REVZ (no flags, no resume index for these lists); the count fits the page.
    const uint64_t count = page.load64(offsetof(mv_cdl_t, num_entries));
    if (page.load64(offsetof(mv_cdl_t, reg0)) != 0 || page.load64(offsetof(mv_cdl_t, reg1)) != 0 ||
        count > MV_CDL_MAX_ENTRIES) {
        return MV_STATUS_FAILURE_UNKNOWN;
    }
    // Every entry read once and checked before anything is written.
    cdl_input in[MV_CDL_MAX_ENTRIES];
    for (uint64_t i = 0; i < count; ++i) {
        in[i] = read_cdl_entry(page, cdl_entry(i));
        if (!in[i].valid) {
            return MV_STATUS_FAILURE_UNKNOWN;
        }
    }
    // The answers.
    for (uint64_t i = 0; i < count; ++i) {
        write_cdl_result(page, cdl_entry(i), cpuid_answer(emulated, in[i], hw_cpuid));
    }
    return MV_STATUS_SUCCESS;
}

/// mv_pp_op_msr_get_supported_list/permissable_list: the page is an mv_rdl_t; each entry's val
/// becomes answer(MSR) for its reg[31:0] (reg[63:32] is REVI). With MV_RDL_FLAG_ALL in reg0 the
/// list is MicroV's: entries from index reg1 of the runs on, reg1 out = how many are left.
template <unsigned N, class Answer>
uint64_t msr_list(const shared_page_view &page, const msr_run (&runs)[N], Answer answer) noexcept
{
    const uint64_t flags = page.load64(offsetof(mv_rdl_t, reg0));
    const uint64_t reg1 = page.load64(offsetof(mv_rdl_t, reg1));
    if ((flags & ~MV_RDL_FLAG_ALL) != 0) {
        return MV_STATUS_FAILURE_UNKNOWN;  // undefined flags are REVZ
    }
    if ((flags & MV_RDL_FLAG_ALL) != 0) {
        // The whole set from index reg1 on, as much as the page holds.
        const uint64_t total = msr_runs_count(runs);
        if (reg1 > total) {
            return MV_STATUS_FAILURE_UNKNOWN;
        }
        const uint64_t n = total - reg1 < MV_RDL_MAX_ENTRIES ? total - reg1 : MV_RDL_MAX_ENTRIES;
        for (uint64_t i = 0; i < n; ++i) {
            const uint32_t msr = msr_runs_nth(runs, reg1 + i);
            page.store64(rdl_entry(i) + offsetof(mv_rdl_entry_t, reg), msr);
            page.store64(rdl_entry(i) + offsetof(mv_rdl_entry_t, val), answer(msr));
        }
        page.store64(offsetof(mv_rdl_t, num_entries), n);
        page.store64(offsetof(mv_rdl_t, reg1), total - reg1 - n);
        return MV_STATUS_SUCCESS;
    }
    // The caller's entries: reg1 is REVZ without the flag; the count fits the page.
    const uint64_t count = page.load64(offsetof(mv_rdl_t, num_entries));
    if (reg1 != 0 || count > MV_RDL_MAX_ENTRIES) {
        return MV_STATUS_FAILURE_UNKNOWN;
    }
    for (uint64_t i = 0; i < count; ++i) {
        const auto msr = static_cast<uint32_t>(page.load64(rdl_entry(i) + offsetof(mv_rdl_entry_t, reg)));
        page.store64(rdl_entry(i) + offsetof(mv_rdl_entry_t, val), answer(msr));
    }
    return MV_STATUS_SUCCESS;
}

}  // namespace detail

/// Serves one shared-page hypercall; returns its status. hw_cpuid(fun, idx) is the real CPU's CPUID.
template <class HwCpuid>
uint64_t serve_shared_page(page_call call, const shared_page_view &page, HwCpuid &&hw_cpuid) noexcept
{
    switch (call) {
    case page_call::cpuid_supported:
        return detail::cpuid_single(page, false, hw_cpuid);
    case page_call::cpuid_supported_list:
        return detail::cpuid_list(page, false, hw_cpuid);
    case page_call::cpuid_emulated:
        return detail::cpuid_single(page, true, hw_cpuid);
    case page_call::cpuid_emulated_list:
        return detail::cpuid_list(page, true, hw_cpuid);
    case page_call::msr_supported_list:
        return detail::msr_list(page, guest_supported_msrs, guest_msr_supported);
    case page_call::msr_permissable_list:
        return detail::msr_list(page, root_permissable_msrs, root_msr_permissions);
    }
    return MV_STATUS_FAILURE_UNKNOWN;  // not a page_call
}

}  // namespace vmm
