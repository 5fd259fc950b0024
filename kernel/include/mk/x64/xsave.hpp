// SPDX-License-Identifier: MIT
// The x87/SSE/AVX state of VSs, the same on every vendor: what an XCR0 a guest asks for may hold,
// and the first contents of a VS's save area. Pure logic (the instructions are in x64/cpu.hpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk::x64 {

namespace xcr0_bit {
constexpr uint64_t x87 = 1U << 0;
constexpr uint64_t sse = 1U << 1;
constexpr uint64_t avx = 1U << 2;
constexpr uint64_t avx512 = (1U << 5) | (1U << 6) | (1U << 7);  // opmask, ZMM_Hi256, Hi16_ZMM
}  // namespace xcr0_bit

/// The XCR0 a VS starts with after RESET.
constexpr uint64_t xcr0_reset = xcr0_bit::x87;

/// Whether XSETBV may load value for a guest when the host runs with host_xcr0: only components
/// the host has enabled (the host's save areas hold them), x87 always, AVX only with SSE, the
/// three AVX-512 components together and only with AVX (SDM vol. 1, 13.3, which makes XSETBV #GP
/// otherwise).
constexpr bool xcr0_ok(uint64_t value, uint64_t host_xcr0) noexcept
{
    using namespace xcr0_bit;
    const uint64_t z = value & avx512;
    return (value & ~host_xcr0) == 0 && (value & x87) != 0 && ((value & avx) == 0 || (value & sse) != 0) &&
           (z == 0 || (z == avx512 && (value & avx) != 0));
}

/// The legacy area's MXCSR (bytes 24-27): XRSTOR and FXRSTOR load it whatever XSTATE_BV says.
constexpr size_t fpu_mxcsr_offset = 24;
constexpr uint32_t mxcsr_reset = 0x1F80;

/// A zeroed save area made into a VS's first state: every component in its initial state
/// (XSTATE_BV 0), MXCSR as after RESET.
inline void fpu_area_init(void *page) noexcept
{
    auto *bytes = static_cast<uint8_t *>(page);
    const uint32_t m = mxcsr_reset;
    __builtin_memcpy(bytes + fpu_mxcsr_offset, &m, sizeof(m));
}

}  // namespace mk::x64
