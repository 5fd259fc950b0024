// SPDX-License-Identifier: MIT
// A guest's address translation as its CPU would do it, for a VMM that emulates an instruction
// (mv_vs_op_gva_to_gla, mv_vs_op_gla_to_gpa): segmentation from the VS's segment registers, then
// paging from its CR0, CR3, CR4 and EFER through its own page tables, read with a function the
// caller gives (the tables are in the guest's memory). Two steps, because a failure of each is a
// different exception for the guest (#GP/#SS, #PF). Facts: Intel SDM vol. 3A, 3.4 and 4; AMD APM
// vol. 2, 4 and 5. Pure logic.
#pragma once

#include <microv/hypercall.h>

#include <stdint.h>

namespace vmm {

/// A translation's result: ok, and the address (with, for paging, the MV_MAP_FLAG_* rights).
struct translation {
    bool ok;
    uint64_t addr;
};

/// One segment register as the VS holds it: the attributes in the VMCB's 12-bit form (type 3:0,
/// S 4, DPL 6:5, P 7, AVL 8, L 9, D/B 10, G 11), the limit in bytes.
struct segment_state {
    uint64_t base;
    uint32_t limit;
    uint16_t attrib;
};

namespace seg_attr {
inline constexpr uint16_t expand_down = 1U << 2;  // in a data segment's type
inline constexpr uint16_t code = 1U << 3;         // the type's code bit
inline constexpr uint16_t present = 1U << 7;
inline constexpr uint16_t db = 1U << 10;
}  // namespace seg_attr

namespace mode_bit {
inline constexpr uint64_t cr0_pe = 1U << 0;
inline constexpr uint64_t cr0_pg = 1U << 31;
inline constexpr uint64_t cr4_pse = 1U << 4;
inline constexpr uint64_t cr4_pae = 1U << 5;
inline constexpr uint64_t cr4_la57 = 1U << 12;
inline constexpr uint64_t efer_lma = 1U << 10;
inline constexpr uint64_t efer_nxe = 1U << 11;
}  // namespace mode_bit

/// mv_vs_op_gva_to_gla: the linear address of offset gva in segment s (of number ssid, an
/// MV_SSID_*), in the VS's mode: real mode (CR0.PE 0), 64-bit mode (long mode with a 64-bit CS),
/// else protected or compatibility mode. Fails where the CPU would fault: outside the limit, an
/// unusable segment, a non-canonical result.
constexpr translation gva_to_gla(uint32_t ssid, const segment_state &s, bool long64, uint64_t cr0,
                                 uint64_t gva) noexcept
{
    if (long64) {
        // Only FS and GS have a base in 64-bit mode; no limits.
        const uint64_t gla = ssid == MV_SSID_FS || ssid == MV_SSID_GS ? s.base + gva : gva;
        const uint64_t top = gla >> 47;
        return {top == 0 || top == 0x1FFFF, gla};
    }
    if ((cr0 & mode_bit::cr0_pe) != 0 && (s.attrib & seg_attr::present) == 0) {
        return {false, 0};  // a null or unusable segment
    }
    const bool down = (s.attrib & (seg_attr::code | seg_attr::expand_down)) == seg_attr::expand_down;
    if ((cr0 & mode_bit::cr0_pe) != 0 && down) {
        // Expand-down: the offsets above the limit, up to 4 GiB or 64 KiB by D/B.
        const uint64_t upper = (s.attrib & seg_attr::db) != 0 ? 0xFFFFFFFFU : 0xFFFFU;
        return {gva > s.limit && gva <= upper, (s.base + gva) & 0xFFFFFFFFU};
    }
    return {gva <= s.limit, (s.base + gva) & 0xFFFFFFFFU};
}

/// The paging state a walk needs.
struct paging_state {
    uint64_t cr0;
    uint64_t cr3;
    uint64_t cr4;
    uint64_t efer;
};

namespace pte {
inline constexpr uint64_t present = 1U << 0;
inline constexpr uint64_t write = 1U << 1;
inline constexpr uint64_t user = 1U << 2;
inline constexpr uint64_t large = 1U << 7;  // PS: this entry maps a page
inline constexpr uint64_t nx = 1ULL << 63;
inline constexpr uint64_t addr = 0x000FFFFFFFFFF000ULL;
}  // namespace pte

/// mv_vs_op_gla_to_gpa: the GPA of the page holding gla, with MV_MAP_FLAG_READ and the rights
/// every level grants (WRITE, EXECUTE, USER) and the page's size (4K/2M/1G; 4M pages of 32-bit
/// paging say 2M). Without paging the GLA is the GPA, every right given (no page size). A GLA the
/// mode cannot have fails: non-canonical in long mode, above 4 GiB otherwise. read(gpa, bytes, out)
/// reads a table entry from guest memory; false when the guest has no memory there. A walk that
/// meets an entry not present fails (the guest's #PF); reserved bits are not checked. 5-level
/// paging is not walked (fails).
template <class Read>
constexpr translation gla_to_gpa(const paging_state &p, uint64_t gla, Read &&read) noexcept
{
    constexpr uint64_t read_only = MV_MAP_FLAG_READ_ACCESS;
    if ((p.cr0 & mode_bit::cr0_pg) == 0) {
        return {true, (gla & ~uint64_t{0xFFF}) | read_only | MV_MAP_FLAG_WRITE_ACCESS | MV_MAP_FLAG_EXECUTE_ACCESS |
                          MV_MAP_FLAG_USER};
    }
    const bool pae = (p.cr4 & mode_bit::cr4_pae) != 0;
    const bool lma = (p.efer & mode_bit::efer_lma) != 0;
    if (lma && (p.cr4 & mode_bit::cr4_la57) != 0) {
        return {false, 0};
    }
    // A linear address the mode cannot have: non-canonical in long mode (the CPU's #GP), beyond
    // 4 GiB otherwise.
    const uint64_t top = gla >> 47;
    if (lma ? top != 0 && top != 0x1FFFF : gla > 0xFFFFFFFFU) {
        return {false, 0};
    }
    // Levels from the top: shift of the index, whether a large page may end the walk there.
    const unsigned entry_bytes = pae ? 8 : 4;
    const unsigned levels = !pae ? 2 : lma ? 4 : 3;
    uint64_t table = !pae ? p.cr3 & 0xFFFFF000U : lma ? p.cr3 & pte::addr : p.cr3 & 0xFFFFFFE0U;
    bool writable = true;
    bool user = true;
    bool executable = true;
    for (unsigned level = levels; level >= 1; --level) {
        const unsigned shift = !pae ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
        const uint64_t index = (gla >> shift) & (!pae ? 0x3FFU : level == 3 && !lma ? 0x3U : 0x1FFU);
        uint64_t e = 0;
        if (!read(table + index * entry_bytes, entry_bytes, e) || (e & pte::present) == 0) {
            return {false, 0};
        }
        // PAE's four PDPTEs carry no rights.
        if (!(pae && !lma && level == 3)) {
            writable = writable && (e & pte::write) != 0;
            user = user && (e & pte::user) != 0;
            executable = executable && ((p.efer & mode_bit::efer_nxe) == 0 || (e & pte::nx) == 0);
        }
        const bool large_ok = !pae ? level == 2 && (p.cr4 & mode_bit::cr4_pse) != 0 : level == 2 || (level == 3 && lma);
        if (level == 1 || (large_ok && (e & pte::large) != 0)) {
            uint64_t base = e & pte::addr;
            uint64_t size_flag = MV_MAP_FLAG_4K_PAGE;
            if (level > 1) {
                const uint64_t page_bytes = 1ULL << shift;
                // A 4 MiB page's bits 39:32 are PDE bits 20:13 (PSE-36).
                base = !pae ? ((e & 0xFFC00000U) | ((e >> 13) & 0xFFU) << 32) : e & pte::addr & ~(page_bytes - 1);
                size_flag = level == 3 ? MV_MAP_FLAG_1G_PAGE : MV_MAP_FLAG_2M_PAGE;
                base += gla & (page_bytes - 1) & ~uint64_t{0xFFF};
            }
            const uint64_t rights = read_only | (writable ? MV_MAP_FLAG_WRITE_ACCESS : 0) |
                                    (executable ? MV_MAP_FLAG_EXECUTE_ACCESS : 0) | (user ? MV_MAP_FLAG_USER : 0);
            return {true, (base & pte::addr) | rights | size_flag};
        }
        table = !pae ? e & 0xFFFFF000U : e & pte::addr;
    }
    return {false, 0};  // not reached: level 1 always ends the walk
}

}  // namespace vmm
