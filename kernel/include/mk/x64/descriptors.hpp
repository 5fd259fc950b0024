// SPDX-License-Identifier: MIT
// The microkernel's own descriptor tables: the GDT layout every PP uses, and the encodings of TSS
// descriptors and interrupt gates (AMD APM vol. 2, 4.8 and 8.9; Intel SDM vol. 3, 3.4 and 6.14).
#pragma once

#include <stdint.h>

namespace mk::x64 {

/// Selectors of the microkernel's GDT. The user entries follow SYSRET's order: data, then code.
namespace selector {
constexpr uint16_t kernel_code = 0x08;
constexpr uint16_t kernel_data = 0x10;
constexpr uint16_t user_data = 0x18 | 3;
constexpr uint16_t user_code = 0x20 | 3;
constexpr uint16_t tss = 0x28;
}  // namespace selector

/// The GDT's code and data entries (flat, 64-bit code).
constexpr uint64_t gdt_kernel_code = 0x00AF9B000000FFFFULL;
constexpr uint64_t gdt_kernel_data = 0x00CF93000000FFFFULL;
constexpr uint64_t gdt_user_data = 0x00CFF3000000FFFFULL;
constexpr uint64_t gdt_user_code = 0x00AFFB000000FFFFULL;
constexpr unsigned gdt_entries = 7;  // null, 4 segments, and the 16-byte TSS descriptor

/// The 64-bit TSS (104 bytes, no I/O permission bitmap).
struct [[gnu::packed]] tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];  // ist[0] is IST1
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iopb_offset;
};
static_assert(sizeof(tss) == 104);

/// The two 8-byte halves of an available 64-bit TSS descriptor.
struct tss_descriptor {
    uint64_t low;
    uint64_t high;
};

constexpr tss_descriptor make_tss_descriptor(uint64_t base, uint32_t limit) noexcept
{
    const uint64_t low = (limit & 0xFFFFULL) | ((base & 0xFFFFFFULL) << 16) | (0x89ULL << 40) |
                         (static_cast<uint64_t>((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFFULL) << 56);
    return {low, base >> 32};
}

/// A 64-bit interrupt gate (IF cleared on entry), DPL 0.
struct idt_gate {
    uint64_t low;
    uint64_t high;
};

constexpr idt_gate make_interrupt_gate(uint64_t handler, uint16_t code_selector, uint8_t ist) noexcept
{
    const uint64_t low = (handler & 0xFFFFULL) | (static_cast<uint64_t>(code_selector) << 16) |
                         (static_cast<uint64_t>(ist & 7U) << 32) | (0x8EULL << 40) |
                         (((handler >> 16) & 0xFFFFULL) << 48);
    return {low, handler >> 32};
}

}  // namespace mk::x64
