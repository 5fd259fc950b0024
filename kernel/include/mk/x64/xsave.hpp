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
constexpr uint16_t fcw_reset = 0x037F;  // FINIT's control word

/// A zeroed save area made into a VS's first state: every component in its initial state
/// (XSTATE_BV 0), MXCSR as after RESET, and FCW as after FINIT, which FXRSTOR (a host without
/// XSAVE) loads from the legacy area as it is; XRSTOR ignores it while XSTATE_BV's x87 bit is 0.
inline void fpu_area_init(void *page) noexcept
{
    auto *bytes = static_cast<uint8_t *>(page);
    const uint32_t m = mxcsr_reset;
    __builtin_memcpy(bytes + fpu_mxcsr_offset, &m, sizeof(m));
    const uint16_t fcw = fcw_reset;
    __builtin_memcpy(bytes, &fcw, sizeof(fcw));
}

/// The save area's layout (SDM vol. 1, 10.5.1 and 13.4): the legacy area of FXSAVE, then the
/// XSAVE header with XSTATE_BV (the components not in their initial state) and XCOMP_BV (0 in the
/// standard form, which MicroV alone uses).
constexpr size_t fpu_legacy_bytes = 512;
constexpr size_t xsave_header_offset = 512;
constexpr size_t xsave_header_bytes = 64;
constexpr size_t fpu_st_offset = 32;    // ST0-ST7 / MM0-MM7, 16 bytes each
constexpr size_t fpu_xmm_offset = 160;  // XMM0-XMM15, 16 bytes each

/// A load of n little-endian bytes at offset of a save area.
inline uint64_t area_load(const uint8_t *area, size_t offset, size_t n) noexcept
{
    uint64_t v = 0;
    __builtin_memcpy(&v, area + offset, n);
    return v;
}

/// The parts of a save area that XRSTOR or FXRSTOR check (and #GP on): MXCSR, and for XRSTOR the
/// header. Read once from memory another CPU may change, checked, and written back over the copy.
struct fpu_checked {
    uint32_t mxcsr;
    uint8_t header[xsave_header_bytes];
};

/// Whether XRSTOR (xsave) or FXRSTOR would take these: no MXCSR bit outside the CPU's
/// MXCSR_MASK; XSTATE_BV only components of the host's XCR0 (the RFBM of every restore);
/// XCOMP_BV and the rest of the header 0 (the standard form).
constexpr bool fpu_area_ok(const fpu_checked &c, bool xsave, uint64_t host_xcr0, uint32_t mxcsr_mask) noexcept
{
    if ((c.mxcsr & ~mxcsr_mask) != 0) {
        return false;
    }
    if (!xsave) {
        return true;
    }
    uint64_t xstate_bv = 0;
    for (size_t i = 0; i < 8; ++i) {
        xstate_bv |= uint64_t{c.header[i]} << (8 * i);
    }
    for (size_t i = 8; i < xsave_header_bytes; ++i) {
        if (c.header[i] != 0) {
            return false;
        }
    }
    return (xstate_bv & ~host_xcr0) == 0;
}

/// The legacy area as FXSAVE would show it: XSAVE leaves a component in its initial state
/// (XSTATE_BV clear) unwritten, so its registers are put in that state here.
inline void fpu_legacy_view(uint8_t *legacy, uint64_t xstate_bv) noexcept
{
    if ((xstate_bv & xcr0_bit::x87) == 0) {
        const uint16_t fcw = fcw_reset;
        __builtin_memset(legacy, 0, 24);  // FCW, FSW, FTW, FOP, FIP, FDP
        __builtin_memcpy(legacy, &fcw, sizeof(fcw));
        __builtin_memset(legacy + fpu_st_offset, 0, size_t{8} * 16);
    }
    if ((xstate_bv & xcr0_bit::sse) == 0) {
        __builtin_memset(legacy + fpu_xmm_offset, 0, size_t{16} * 16);
    }
}

}  // namespace mk::x64
