// SPDX-License-Identifier: MIT
// The handles of mv_handle_op_open_handle: each open gives a fresh value, a capability. The guest
// VMs made under a handle are reachable through it only, and a closed handle is refused from then
// on. A value is 58 random bits and the slot in the low 6: another process cannot guess one. Pure
// bookkeeping: the caller draws the random bits and holds the objects lock to open and close;
// find may run without it (each value is loaded once, atomically).
#pragma once

#include <stdint.h>

namespace vmm {

struct handle_table {
    /// How many handles may be open at once (the root VM's processes and its kernel's drivers).
    static constexpr unsigned max = 64;
    static constexpr unsigned none = max;
    static constexpr uint64_t slot_mask = max - 1;

    uint64_t values[max];  // 0: a free slot

    /// A new handle from 64 random bits, in the first free slot: its slot, or none when full.
    unsigned open(uint64_t random) noexcept
    {
        for (unsigned i = 0; i < max; ++i) {
            if (__atomic_load_n(&values[i], __ATOMIC_RELAXED) == 0) {
                // Never 0 (a free slot), whatever the random bits are.
                const uint64_t high = (random & ~slot_mask) != 0 ? random & ~slot_mask : ~slot_mask;
                __atomic_store_n(&values[i], high | i, __ATOMIC_RELEASE);
                return i;
            }
        }
        return none;
    }

    /// The slot of an open handle; none for any other value.
    unsigned find(uint64_t handle) const noexcept
    {
        const auto i = static_cast<unsigned>(handle & slot_mask);
        return handle != 0 && __atomic_load_n(&values[i], __ATOMIC_ACQUIRE) == handle ? i : none;
    }

    uint64_t value(unsigned slot) const noexcept { return __atomic_load_n(&values[slot], __ATOMIC_ACQUIRE); }

    void close(unsigned slot) noexcept { __atomic_store_n(&values[slot], 0, __ATOMIC_RELEASE); }
};

/// 64 bits for a handle: the CPU's random numbers where it has them (rdrand, 0 when it has not or
/// failed), mixed with the TSC and a count (splitmix64's finalizer), so that no two are alike.
constexpr uint64_t handle_bits(uint64_t rdrand, uint64_t tsc, uint64_t count) noexcept
{
    uint64_t z = tsc + count * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return rdrand ^ z ^ (z >> 31);
}

}  // namespace vmm
