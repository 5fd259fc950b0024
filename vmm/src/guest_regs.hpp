// SPDX-License-Identifier: MIT
// The registers of mv_reg_t (MicroV hypercall spec 1.x, mv_vs_op_reg_get/set) as the microkernel
// names them (bf_reg_t), with how many bits of each a VMM may set: the rest of a value is REVI
// (ignored), as the spec says. Pure logic.
#pragma once

#include <mk/syscall_abi.hpp>

#include <stdint.h>

namespace vmm {

/// One mv_reg_t: the microkernel's register and the bits of it that count.
struct guest_reg {
    mk::abi::reg reg;  // reg::unsupported: not an mv_reg_t
    uint64_t mask;
};

/// mv_reg_t (1 to 70) to bf_reg_t. A segment's selector and attributes are 16 bits, its limit 32.
constexpr guest_reg guest_reg_of(uint64_t mv_reg) noexcept
{
    using R = mk::abi::reg;
    constexpr uint64_t all = ~uint64_t{0};
    constexpr uint64_t w16 = 0xFFFF;
    constexpr uint64_t w32 = 0xFFFFFFFF;
    // rax..r15 (1..15), then rsp, rip, rflags (16..18).
    constexpr R gprs[] = {R::rax, R::rbx, R::rcx, R::rdx, R::rbp, R::rsi, R::rdi, R::r8,  R::r9,
                          R::r10, R::r11, R::r12, R::r13, R::r14, R::r15, R::rsp, R::rip, R::rflags};
    // Eight segment-like registers of four fields each (19..58): ES CS SS DS FS GS LDTR TR GDTR IDTR,
    // as selector, attrib, limit, base.
    constexpr R segs[] = {R::es_selector, R::cs_selector,   R::ss_selector, R::ds_selector,   R::fs_selector,
                          R::gs_selector, R::ldtr_selector, R::tr_selector, R::gdtr_selector, R::idtr_selector};
    // dr0..dr3, dr6, dr7, cr0, cr2, cr3, cr4, cr8, xcr0 (59..70).
    constexpr R rest[] = {R::dr0, R::dr1, R::dr2, R::dr3, R::dr6, R::dr7,
                          R::cr0, R::cr2, R::cr3, R::cr4, R::cr8, R::xcr0};
    if (mv_reg >= 1 && mv_reg <= 18) {
        return {gprs[mv_reg - 1], all};
    }
    if (mv_reg >= 19 && mv_reg <= 58) {
        const uint64_t n = mv_reg - 19;
        // bf_reg_t keeps each segment's four fields in the same order, one after the other.
        const auto first = static_cast<uint64_t>(segs[n / 4]);
        const uint64_t field = n % 4;
        constexpr uint64_t masks[] = {w16, w16, w32, all};
        return {static_cast<R>(first + field), masks[field]};
    }
    if (mv_reg >= 59 && mv_reg <= 70) {
        return {rest[mv_reg - 59], all};
    }
    return {R::unsupported, 0};
}

}  // namespace vmm
