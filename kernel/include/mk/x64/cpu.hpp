// SPDX-License-Identifier: MIT
// Ring-0 CPU instructions the microkernel uses, one inline function each. Only ring-0 code
// includes this file; the logic around these calls takes its values as parameters, so that it
// can be unit-tested on the host.
#pragma once

#include <stdint.h>

namespace mk::x64 {

struct cpuid_result {
    uint32_t eax, ebx, ecx, edx;
};

inline cpuid_result cpuid(uint32_t leaf, uint32_t subleaf) noexcept
{
    cpuid_result r{};
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline uint64_t rdmsr(uint32_t msr) noexcept
{
    uint32_t lo = 0;
    uint32_t hi = 0;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}

inline void wrmsr(uint32_t msr, uint64_t value) noexcept
{
    asm volatile("wrmsr" : : "c"(msr), "a"(static_cast<uint32_t>(value)), "d"(static_cast<uint32_t>(value >> 32)));
}

inline uint64_t read_cr2() noexcept
{
    uint64_t v = 0;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

inline uint64_t read_cr3() noexcept
{
    uint64_t v = 0;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

/// The 10-byte operand of LGDT and LIDT.
struct [[gnu::packed]] table_pointer {
    uint16_t limit;
    uint64_t base;
};

inline uint64_t rdtsc() noexcept
{
    uint32_t lo = 0;
    uint32_t hi = 0;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (static_cast<uint64_t>(hi) << 32) | lo;
}
inline void pause() noexcept { asm volatile("pause"); }

inline uint64_t read_cr4() noexcept
{
    uint64_t v = 0;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
inline void write_cr4(uint64_t v) noexcept { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

inline uint64_t xgetbv0() noexcept
{
    uint32_t lo = 0;
    uint32_t hi = 0;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t{hi} << 32) | lo;
}
inline void xsetbv0(uint64_t v) noexcept
{
    asm volatile("xsetbv" : : "a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32)), "c"(0));
}
/// XSAVE/XRSTOR of every component XCR0 enables (the area 64-byte aligned), and the FXSAVE forms
/// for CPUs or OSes without XSAVE.
inline void xsave_all(void *area) noexcept
{
    asm volatile("xsave64 (%0)" : : "r"(area), "a"(~0U), "d"(~0U) : "memory");
}
inline void xrstor_all(const void *area) noexcept
{
    asm volatile("xrstor64 (%0)" : : "r"(area), "a"(~0U), "d"(~0U) : "memory");
}
inline void fxsave(void *area) noexcept { asm volatile("fxsave64 (%0)" : : "r"(area) : "memory"); }
inline void fxrstor(const void *area) noexcept { asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory"); }

inline void lidt(const table_pointer &p) noexcept { asm volatile("lidt %0" : : "m"(p)); }
inline void lgdt(const table_pointer &p) noexcept { asm volatile("lgdt %0" : : "m"(p)); }
inline void ltr(uint16_t selector) noexcept { asm volatile("ltr %0" : : "r"(selector)); }

[[noreturn]] inline void halt_forever() noexcept
{
    for (;;) {
        asm volatile("cli; hlt");
    }
}

}  // namespace mk::x64
