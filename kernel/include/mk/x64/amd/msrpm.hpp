// SPDX-License-Identifier: MIT
// The SVM MSR permission map (AMD APM vol. 2, 15.11): 8 KiB, two bits per MSR (read, then write)
// for three ranges of 8192 MSRs. A set bit makes the access exit.
#pragma once

#include <mk/root_msrs.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk::amd {

constexpr size_t msrpm_bytes = 0x2000;

/// One range of MSRs the map names: its first MSR, and where its bits start in the map.
struct msrpm_range {
    uint32_t first;
    uint32_t offset;
};

/// The three ranges; any other MSR always exits.
inline constexpr msrpm_range msrpm_ranges[] = {{0x00000000U, 0x0000U}, {0xC0000000U, 0x0800U}, {0xC0010000U, 0x1000U}};

/// MSRs per range.
inline constexpr uint32_t msrpm_range_msrs = 0x2000U;

// The extension learns which MSRs a map can let through from the ring-0/ring-3 contract.
static_assert(sizeof(msrpm_ranges) / sizeof(msrpm_ranges[0]) ==
              sizeof(abi::msr_map_runs) / sizeof(abi::msr_map_runs[0]));
static_assert(msrpm_ranges[0].first == abi::msr_map_runs[0].first && abi::msr_map_runs[0].count == msrpm_range_msrs);
static_assert(msrpm_ranges[1].first == abi::msr_map_runs[1].first && abi::msr_map_runs[1].count == msrpm_range_msrs);
static_assert(msrpm_ranges[2].first == abi::msr_map_runs[2].first && abi::msr_map_runs[2].count == msrpm_range_msrs);

/// The range that names msr, or nullptr for an MSR the map cannot name.
constexpr const msrpm_range *msrpm_range_of(uint32_t msr) noexcept
{
    for (const msrpm_range &r : msrpm_ranges) {
        if (msr >= r.first && msr - r.first < msrpm_range_msrs) {
            return &r;
        }
    }
    return nullptr;
}

/// Whether the map names msr (and so can let its accesses through).
constexpr bool msrpm_names(uint32_t msr) noexcept { return msrpm_range_of(msr) != nullptr; }

/// Sets msr's intercept bits named by two_bits (bit 0 reads, bit 1 writes); false for an MSR the
/// map cannot name.
inline bool msrpm_set(uint8_t *map, uint32_t msr, uint8_t two_bits) noexcept
{
    const msrpm_range *r = msrpm_range_of(msr);
    if (r == nullptr) {
        return false;
    }
    const uint32_t bit = (msr - r->first) * 2U;  // even: a pair never straddles a byte
    map[r->offset + bit / 8U] |= static_cast<uint8_t>((two_bits & 3U) << (bit % 8U));
    return true;
}

/// Clears both intercept bits of msr: its reads and writes go through; false as above.
inline bool msrpm_pass(uint8_t *map, uint32_t msr) noexcept
{
    const msrpm_range *r = msrpm_range_of(msr);
    if (r == nullptr) {
        return false;
    }
    const uint32_t bit = (msr - r->first) * 2U;
    map[r->offset + bit / 8U] &= static_cast<uint8_t>(~(3U << (bit % 8U)));
    return true;
}

/// Sets the read and write intercept bits of msr; false for an MSR the map cannot name.
inline bool msrpm_intercept(uint8_t *map, uint32_t msr) noexcept { return msrpm_set(map, msr, 3); }

/// Sets the write intercept bit of msr only (its reads go through); false as above.
inline bool msrpm_intercept_write(uint8_t *map, uint32_t msr) noexcept { return msrpm_set(map, msr, 2); }

}  // namespace mk::amd
