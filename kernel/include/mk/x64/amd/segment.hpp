// SPDX-License-Identifier: MIT
// Legacy segment descriptors, read from a GDT into the form the VMCB keeps segment registers in.
// Hoisting a running OS means capturing its segment registers, and only their selectors can be
// read directly: the rest (attributes, limit, base) comes from the descriptors the selectors
// name. Descriptor layout: AMD APM vol. 2, 4.7-4.8; VMCB segment format: APM vol. 2, appendix B.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk::amd {

/// A segment register in the VMCB's format (attrib: descriptor bits 47:40 in bits 7:0, descriptor
/// bits 55:52 in bits 11:8).
struct segment_state {
    uint16_t selector;
    uint16_t attrib;
    uint32_t limit;
    uint64_t base;
};

// Selector fields.
constexpr uint16_t selector_rpl_mask = 0x0003;
constexpr uint16_t selector_ti = 0x0004;          // the selector names an LDT entry
constexpr uint16_t selector_index_mask = 0xFFF8;  // the index, already scaled to a byte offset

// Attribute bits in the VMCB format.
constexpr uint16_t attrib_type_mask = 0x000F;
constexpr uint16_t attrib_s = 1U << 4;  // code or data (clear: system descriptor)
constexpr uint16_t attrib_dpl_shift = 5;
constexpr uint16_t attrib_p = 1U << 7;  // present
constexpr uint16_t attrib_avl = 1U << 8;
constexpr uint16_t attrib_l = 1U << 9;    // 64-bit code
constexpr uint16_t attrib_db = 1U << 10;  // default operand size 32 bits
constexpr uint16_t attrib_g = 1U << 11;   // limit counted in 4 KiB units

namespace detail {

/// Byte i of a descriptor, widened for shifting.
constexpr uint64_t desc_byte(const uint8_t *desc, size_t i) noexcept { return desc[i]; }

/// The attributes: byte 5 whole, and the high nibble of byte 6.
constexpr uint16_t desc_attrib(const uint8_t *desc) noexcept
{
    return static_cast<uint16_t>(desc_byte(desc, 5) | ((desc_byte(desc, 6) & 0xF0) << 4));
}

/// The limit in bytes: 20 bits, scaled to 4 KiB units (filling the low 12 bits) when G is set.
constexpr uint32_t desc_limit(const uint8_t *desc, uint16_t attrib) noexcept
{
    const auto raw =
        static_cast<uint32_t>(desc_byte(desc, 0) | (desc_byte(desc, 1) << 8) | ((desc_byte(desc, 6) & 0x0F) << 16));
    return (attrib & attrib_g) != 0 ? (raw << 12) | 0xFFF : raw;
}

/// The base: 32 bits from bytes 2, 3, 4 and 7; a 16-byte system descriptor adds bits 63:32.
constexpr uint64_t desc_base(const uint8_t *desc, bool system) noexcept
{
    const uint64_t low =
        desc_byte(desc, 2) | (desc_byte(desc, 3) << 8) | (desc_byte(desc, 4) << 16) | (desc_byte(desc, 7) << 24);
    if (!system) {
        return low;
    }
    return low | (desc_byte(desc, 8) << 32) | (desc_byte(desc, 9) << 40) | (desc_byte(desc, 10) << 48) |
           (desc_byte(desc, 11) << 56);
}

}  // namespace detail

/// Reads the descriptor that selector names in the GDT at gdt (gdt_limit: GDTR.limit, the offset
/// of the table's last byte) into out. system asks for a 16-byte long-mode system descriptor (TSS,
/// LDT); the caller knows it from the register being captured. Returns false, leaving out alone,
/// for LDT selectors (not supported) and for descriptors that do not lie wholly within the table.
/// The null selector gives an empty state. A non-present descriptor is decoded as it stands
/// (attrib without P): whether to accept it is the caller's business.
constexpr bool decode_segment(const uint8_t *gdt, uint32_t gdt_limit, uint16_t selector, bool system,
                              segment_state &out) noexcept
{
    // Only the GDT is read: an LDT selector would need the LDT's own base.
    if ((selector & selector_ti) != 0) {
        return false;
    }
    // The null selector (of any RPL) loads nothing.
    const uint32_t offset = selector & selector_index_mask;
    if (offset == 0) {
        out = {selector, 0, 0, 0};
        return true;
    }
    // Every byte of the descriptor must lie within the limit; no sum here can wrap around.
    const uint32_t last = system ? 15 : 7;
    if (gdt == nullptr || offset > gdt_limit || gdt_limit - offset < last) {
        return false;
    }
    // Decode; the selector is kept whole, RPL included.
    const uint8_t *desc = gdt + offset;
    const uint16_t attrib = detail::desc_attrib(desc);
    out = {selector, attrib, detail::desc_limit(desc, attrib), detail::desc_base(desc, system)};
    return true;
}

/// An 8-byte descriptor, the inverse of decode_segment: limit is in bytes as decode_segment gives
/// it (with G in attrib, its low 12 bits are dropped; without G, only 20 bits fit).
constexpr uint64_t make_descriptor(uint32_t base, uint32_t limit, uint16_t attrib) noexcept
{
    // The 20-bit limit the descriptor holds.
    const uint64_t raw = (attrib & attrib_g) != 0 ? limit >> 12 : limit & 0xFFFFF;
    // Limit 15:0, base 23:0, type/S/DPL/P, limit 19:16, AVL/L/D/G, base 31:24.
    return (raw & 0xFFFF) | ((uint64_t{base} & 0xFFFFFF) << 16) | (uint64_t{attrib & 0xFFU} << 40) |
           ((raw >> 16) << 48) | (uint64_t{(attrib >> 8) & 0xFU} << 52) | (uint64_t{base >> 24} << 56);
}

}  // namespace mk::amd
