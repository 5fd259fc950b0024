// SPDX-License-Identifier: MIT
// Which physical pages the root VM may hand to MicroV (shared pages, later MDLs): pages of its
// own RAM, as the loader described it, and never MicroV's own memory: the pool, nor the pages of
// root-VM RAM that the microkernel itself writes (the debug ring). The world switch code the
// microkernel runs is a copy in the pool, so no root page is ever executed in ring 0.
#pragma once

#include <microv/mk_boot.h>

#include <stddef.h>
#include <stdint.h>

namespace mk {

/// Whether the page at phys lies inside one of the ranges.
template <class Range>
constexpr bool page_in(uint64_t phys, const Range *ranges, size_t count, uint64_t (*size_of)(const Range &)) noexcept
{
    for (size_t i = 0; i < count; ++i) {
        const uint64_t size = size_of(ranges[i]);
        if (phys >= ranges[i].base && phys - ranges[i].base < size && size - (phys - ranges[i].base) >= 4096) {
            return true;
        }
    }
    return false;
}

/// Whether the root VM may share the page at phys: page-aligned, in its RAM, not in the pool and
/// not in a kept range (root-VM RAM that the microkernel uses; a kept range's partial pages count).
constexpr bool root_may_share(uint64_t phys, const mv_ram_range *ram, size_t ram_count, const mv_pool_chunk *pool,
                              size_t pool_count, const mv_ram_range *kept, size_t kept_count) noexcept
{
    if (phys % 4096 != 0 ||
        !page_in<mv_ram_range>(phys, ram, ram_count, [](const mv_ram_range &r) { return r.size; })) {
        return false;
    }
    for (size_t i = 0; i < kept_count; ++i) {
        const uint64_t base = kept[i].base;
        if ((phys >= base && phys - base < kept[i].size) || (phys < base && base - phys < 4096)) {
            return false;  // the page overlaps the range
        }
    }
    for (size_t i = 0; i < pool_count; ++i) {
        if (phys >= pool[i].phys && phys - pool[i].phys < pool[i].pages * 4096) {
            return false;
        }
    }
    return true;
}

}  // namespace mk
