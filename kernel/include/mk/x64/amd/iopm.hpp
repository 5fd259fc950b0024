// SPDX-License-Identifier: MIT
// The I/O permission map (AMD APM vol. 2, 15.10.1): one bit per port, 12 KiB; a set bit makes
// IN/OUT/INS/OUTS on that port exit (IOIO). An access of several bytes exits if any byte's bit is
// set, which is why the map is one page longer than 65,536 bits.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk::amd {

constexpr size_t iopm_bytes = 0x3000;

/// Sets the intercept bits of `count` ports from `first` (all within 0..0xFFFF).
inline void iopm_intercept(uint8_t *map, uint16_t first, uint16_t count) noexcept
{
    for (uint32_t port = first; port < static_cast<uint32_t>(first) + count && port <= 0xFFFFU; ++port) {
        map[port / 8U] |= static_cast<uint8_t>(1U << (port % 8U));
    }
}

/// Whether an access to `port` exits under map.
inline bool iopm_intercepted(const uint8_t *map, uint16_t port) noexcept
{
    return ((map[port / 8U] >> (port % 8U)) & 1U) != 0;
}

}  // namespace mk::amd
