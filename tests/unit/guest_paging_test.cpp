// SPDX-License-Identifier: MIT
// A guest's address translation (vmm/src/guest_paging.hpp): segmentation in each mode, then the
// page walks of 32-bit, PAE and 4-level paging over page tables held in a map of guest memory.
#include "guest_paging.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace {

using vmm::gla_to_gpa;
using vmm::gva_to_gla;
using vmm::paging_state;
using vmm::segment_state;
using vmm::translation;
namespace mb = vmm::mode_bit;

constexpr uint64_t pe = mb::cr0_pe;
constexpr uint16_t present_data = 0x93;      // P, S, read/write data, accessed
constexpr uint16_t present_code = 0x9B;      // P, S, execute/read code, accessed
constexpr uint16_t expand_down_data = 0x97;  // P, S, read/write expand-down data, accessed
constexpr uint16_t conforming_code = 0x9F;   // P, S, conforming execute/read code (bit 2 is C here)
constexpr uint16_t db = vmm::seg_attr::db;

// ---- gva_to_gla ----

TEST(guest_paging, real_mode_adds_the_base_within_the_limit_whatever_the_attributes)
{
    const segment_state cs{0xF0000, 0xFFFF, 0};  // CS 0xF000; attributes as a real-mode VMCB may hold them
    translation t = gva_to_gla(MV_SSID_CS, cs, false, 0, 0xFFF0);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0xFFFF0U);
    t = gva_to_gla(MV_SSID_CS, cs, false, 0, 0xFFFF);
    EXPECT_TRUE(t.ok) << "the limit itself";
    EXPECT_EQ(t.addr, 0xFFFFFU);
    EXPECT_FALSE(gva_to_gla(MV_SSID_CS, cs, false, 0, 0x10000).ok) << "past the limit";
    // An expand-down type counts only in protected mode.
    const segment_state ds{0x1000, 0xFFFF, expand_down_data};
    t = gva_to_gla(MV_SSID_DS, ds, false, 0x60000010, 0x10);  // CR0.PG/CD/NW/ET but not PE
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x1010U);
    // Unreal mode: a 4 GiB limit left from protected mode; the sum wraps at 32 bits.
    const segment_state big{0xFFFFF000, 0xFFFFFFFF, 0};
    t = gva_to_gla(MV_SSID_ES, big, false, 0, 0x2000);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x1000U);
}

TEST(guest_paging, protected_mode_checks_the_limit_and_wraps_at_4_gib)
{
    const segment_state flat{0, 0xFFFFFFFF, present_data};
    translation t = gva_to_gla(MV_SSID_DS, flat, false, pe, 0xFFFFFFFF);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0xFFFFFFFFU);
    EXPECT_FALSE(gva_to_gla(MV_SSID_DS, flat, false, pe, 0x100000000ULL).ok) << "past a 4 GiB limit";

    const segment_state small{0x12340000, 0xFFF, present_data | db};
    t = gva_to_gla(MV_SSID_SS, small, false, pe, 0xFFF);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x12340FFFU);
    EXPECT_FALSE(gva_to_gla(MV_SSID_SS, small, false, pe, 0x1000).ok);

    const segment_state high{0xFFFFF000, 0xFFFFFFFF, present_code};
    t = gva_to_gla(MV_SSID_CS, high, false, pe, 0x1234);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x234U) << "linear addresses are 32 bits outside 64-bit mode";

    // A conforming code segment's type has bit 2 set too: no expand-down for code.
    const segment_state code{0x1000, 0xFFF, conforming_code};
    t = gva_to_gla(MV_SSID_CS, code, false, pe, 0x800);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x1800U);
    EXPECT_FALSE(gva_to_gla(MV_SSID_CS, code, false, pe, 0x1000).ok);
}

TEST(guest_paging, an_expand_down_segment_holds_the_offsets_above_its_limit)
{
    // D/B 0: up to 64 KiB.
    const segment_state s16{0x10000, 0xFFF, expand_down_data};
    EXPECT_FALSE(gva_to_gla(MV_SSID_SS, s16, false, pe, 0xFFF).ok) << "the limit itself is outside";
    EXPECT_FALSE(gva_to_gla(MV_SSID_SS, s16, false, pe, 0).ok);
    translation t = gva_to_gla(MV_SSID_SS, s16, false, pe, 0x1000);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x11000U);
    t = gva_to_gla(MV_SSID_SS, s16, false, pe, 0xFFFF);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x1FFFFU);
    EXPECT_FALSE(gva_to_gla(MV_SSID_SS, s16, false, pe, 0x10000).ok) << "above 64 KiB with D/B 0";

    // D/B 1: up to 4 GiB.
    const segment_state s32{0x10000, 0xFFF, expand_down_data | db};
    EXPECT_FALSE(gva_to_gla(MV_SSID_SS, s32, false, pe, 0xFFF).ok);
    t = gva_to_gla(MV_SSID_SS, s32, false, pe, 0x10000);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x20000U);
    t = gva_to_gla(MV_SSID_SS, s32, false, pe, 0xFFFFFFFF);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0xFFFFU) << "wraps at 32 bits";
    EXPECT_FALSE(gva_to_gla(MV_SSID_SS, s32, false, pe, 0x100000000ULL).ok);
}

TEST(guest_paging, an_unusable_segment_holds_nothing_in_protected_mode)
{
    const segment_state null{0, 0xFFFFFFFF, 0};
    EXPECT_FALSE(gva_to_gla(MV_SSID_ES, null, false, pe, 0).ok);
    const segment_state not_present{0, 0xFFFFFFFF, present_data & ~vmm::seg_attr::present};
    EXPECT_FALSE(gva_to_gla(MV_SSID_DS, not_present, false, pe, 0x10).ok);
    EXPECT_TRUE(gva_to_gla(MV_SSID_DS, not_present, false, 0, 0x10).ok) << "real mode has no such check";
}

TEST(guest_paging, sixty_four_bit_mode_adds_only_fs_and_gs_bases_and_needs_a_canonical_result)
{
    // Bases, limits and attributes of the others do not count; nor does CR0 (long mode has PE).
    const segment_state odd{0x12340000, 0, 0};
    for (const uint32_t ssid : {MV_SSID_ES, MV_SSID_CS, MV_SSID_SS, MV_SSID_DS}) {
        SCOPED_TRACE(ssid);
        const translation t = gva_to_gla(ssid, odd, true, pe, 0x5000);
        EXPECT_TRUE(t.ok);
        EXPECT_EQ(t.addr, 0x5000U);
    }
    const segment_state fs{0x00007FFF00000000ULL, 0, 0};
    translation t = gva_to_gla(MV_SSID_FS, fs, true, pe, 0x1000);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x00007FFF00001000ULL);
    const segment_state gs{0xFFFF800000000000ULL, 0, 0};
    t = gva_to_gla(MV_SSID_GS, gs, true, pe, 0x20);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0xFFFF800000000020ULL);

    // The canonical edges.
    EXPECT_TRUE(gva_to_gla(MV_SSID_DS, odd, true, pe, 0x00007FFFFFFFFFFFULL).ok);
    EXPECT_FALSE(gva_to_gla(MV_SSID_DS, odd, true, pe, 0x0000800000000000ULL).ok);
    EXPECT_TRUE(gva_to_gla(MV_SSID_DS, odd, true, pe, 0xFFFF800000000000ULL).ok);
    EXPECT_FALSE(gva_to_gla(MV_SSID_DS, odd, true, pe, 0xFFFF7FFFFFFFFFFFULL).ok);
    const segment_state fs_top{0x00007FFFFFFFF000ULL, 0, 0};
    EXPECT_TRUE(gva_to_gla(MV_SSID_FS, fs_top, true, pe, 0xFFF).ok);
    EXPECT_FALSE(gva_to_gla(MV_SSID_FS, fs_top, true, pe, 0x1000).ok) << "the sum leaves the lower half";
    EXPECT_FALSE(gva_to_gla(MV_SSID_GS, fs_top, true, pe, 0x1000).ok);
}

TEST(guest_paging, compatibility_mode_is_protected_mode)
{
    const segment_state fs{0x00007FFF00000000ULL, 0xFFF, present_data};
    const translation t = gva_to_gla(MV_SSID_FS, fs, false, pe, 0x10);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x10U) << "a 32-bit linear address: the base's upper half is not used";
    EXPECT_FALSE(gva_to_gla(MV_SSID_FS, fs, false, pe, 0x1000).ok) << "limits count";
}

// ---- gla_to_gpa ----

constexpr uint64_t P = vmm::pte::present;
constexpr uint64_t W = vmm::pte::write;
constexpr uint64_t U = vmm::pte::user;
constexpr uint64_t PS = vmm::pte::large;
constexpr uint64_t NX = vmm::pte::nx;
constexpr uint64_t R_ = MV_MAP_FLAG_READ_ACCESS;
constexpr uint64_t W_ = MV_MAP_FLAG_WRITE_ACCESS;
constexpr uint64_t X_ = MV_MAP_FLAG_EXECUTE_ACCESS;
constexpr uint64_t U_ = MV_MAP_FLAG_USER;
constexpr uint64_t all = R_ | W_ | X_ | U_;
constexpr uint64_t pg = mb::cr0_pg | mb::cr0_pe;

/// The guest's memory: entries by their GPA (absent: 0), readable below `limit`; each read recorded.
struct guest_memory {
    std::map<uint64_t, uint64_t> mem;
    uint64_t limit = 1ULL << 40;
    std::vector<std::pair<uint64_t, unsigned>> reads;

    translation walk(const paging_state &p, uint64_t gla)
    {
        return gla_to_gpa(p, gla, [this](uint64_t gpa, unsigned bytes, uint64_t &out) {
            reads.emplace_back(gpa, bytes);
            if (gpa >= limit) {
                return false;
            }
            const auto it = mem.find(gpa);
            const uint64_t v = it == mem.end() ? 0 : it->second;
            out = bytes == 8 ? v : v & ((1ULL << (8 * bytes)) - 1);
            return true;
        });
    }
};

/// Where a level's entry for gla is in the table at `table`: index bits from `shift`, `mask` wide.
constexpr uint64_t slot(uint64_t table, uint64_t gla, unsigned shift, uint64_t mask, unsigned bytes)
{
    return table + ((gla >> shift) & mask) * bytes;
}

TEST(guest_paging, without_paging_the_gla_is_the_gpa)
{
    guest_memory g;
    for (const uint64_t cr0 : {uint64_t{0}, pe}) {
        const translation t = g.walk({cr0, 0x1000, mb::cr4_pae, mb::efer_nxe}, 0x12345000);
        EXPECT_TRUE(t.ok);
        EXPECT_EQ(t.addr, 0x12345000U | R_ | W_ | X_ | MV_MAP_FLAG_USER) << "every right, no page size";
    }
    EXPECT_TRUE(g.reads.empty()) << "no tables to read";
}

TEST(guest_paging, a_gla_the_mode_cannot_have_is_no_walk)
{
    guest_memory g;
    // Long mode: PML4 entry 256 would be read for 0x0000800000000000 (non-canonical: #GP).
    g.mem[0x10000 + 256 * 8] = 0x11000 | P | W | U;
    g.mem[0x11000] = 0x12000 | P | W | U;
    g.mem[0x12000] = 0x13000 | P | W | U;
    g.mem[0x13000] = 0x5000 | P | W | U;
    const paging_state lm{pg | pe, 0x10000, mb::cr4_pae, mb::efer_lma};
    EXPECT_FALSE(g.walk(lm, 0x0000800000000000ULL).ok);
    EXPECT_TRUE(g.walk(lm, 0xFFFF800000000000ULL).ok) << "its canonical twin";
    EXPECT_FALSE(g.walk({pg, 0x1000, 0, 0}, 0x100000000ULL).ok) << "32-bit paging: above 4 GiB";
    EXPECT_FALSE(g.walk({pg, 0x1000, mb::cr4_pae, 0}, 0x100000000ULL).ok) << "PAE: above 4 GiB";
}

TEST(guest_paging, thirty_two_bit_paging_4k)
{
    guest_memory g;
    constexpr uint64_t gla = 0x00403000;  // PDE 1, PTE 3
    g.mem[0x1000 + 1 * 4] = 0x2000 | P | W | U;
    g.mem[0x2000 + 3 * 4] = 0xABC000 | P | W | U | 0x60;  // accessed and dirty: not rights
    const paging_state p{pg, 0x1018, 0, 0};               // CR3's PWT/PCD are no address bits
    translation t = g.walk(p, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0xABC000 | all | MV_MAP_FLAG_4K_PAGE);
    EXPECT_EQ(g.reads, (std::vector<std::pair<uint64_t, unsigned>>{{0x1004, 4}, {0x200C, 4}})) << "4-byte entries";

    g.mem[0x1004] = 0x2000 | P | U;  // read-only directory
    t = g.walk(p, gla);
    EXPECT_EQ(t.addr, 0xABC000 | R_ | X_ | U_ | MV_MAP_FLAG_4K_PAGE);
    g.mem[0x1004] = 0x2000 | P | W | U;
    g.mem[0x200C] = 0xABC000 | P | W;  // supervisor page
    t = g.walk(p, gla);
    EXPECT_EQ(t.addr, 0xABC000 | R_ | W_ | X_ | MV_MAP_FLAG_4K_PAGE);

    // The efer's NXE does not reach 32-bit paging (no NX bit in 4-byte entries).
    t = g.walk({pg, 0x1000, 0, mb::efer_nxe}, gla);
    EXPECT_EQ(t.addr & X_, X_);
}

TEST(guest_paging, thirty_two_bit_paging_4m_pages_with_pse_and_pse_36)
{
    guest_memory g;
    constexpr uint64_t gla = 0x00C45000;                         // PDE 3, offset 0x45000 in its 4 MiB
    g.mem[0x100C] = 0x00C00000 | (0xA5 << 13) | P | W | U | PS;  // bits 39:32 of the page: 0xA5
    translation t = g.walk({pg, 0x1000, mb::cr4_pse, 0}, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0xA5'00C45000ULL | all | MV_MAP_FLAG_2M_PAGE) << "4M pages say 2M";
    EXPECT_EQ(g.reads.size(), 1U);

    // Without CR4.PSE, PS is ignored: the entry names a page table (bits 31:12, PSE-36's too).
    g.reads.clear();
    g.mem[0x00D4A000 + 0x45 * 4] = 0x777000 | P | W | U;
    t = g.walk({pg, 0x1000, 0, 0}, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x777000 | all | MV_MAP_FLAG_4K_PAGE);
    EXPECT_EQ(g.reads, (std::vector<std::pair<uint64_t, unsigned>>{{0x100C, 4}, {0x00D4A114, 4}}));

    // A PTE's PS bit (PAT there) is no larger page.
    g.mem[0x00D4A114] = 0x777000 | P | W | U | PS;
    g.mem[0x100C] = 0x00D4A000 | P | W | U;
    EXPECT_EQ(g.walk({pg, 0x1000, mb::cr4_pse, 0}, gla).addr, 0x777000 | all | MV_MAP_FLAG_4K_PAGE);
}

TEST(guest_paging, pae_4k_and_its_four_pdptes_carry_no_rights)
{
    guest_memory g;
    constexpr uint64_t gla = 0xC0201000;             // PDPTE 3, PDE 1, PTE 1
    constexpr uint64_t cr3 = 0x3020;                 // 32-byte aligned
    g.mem[cr3 + uint64_t{3} * 8] = 0x4000 | P | NX;  // no W, no U, NX: none of them counts
    g.mem[0x4000 + 1 * 8] = 0x5000 | P | W | U;
    g.mem[0x5000 + 1 * 8] = 0x1'23456000ULL | P | W | U;
    const paging_state p{pg, cr3 | 0x18, mb::cr4_pae, mb::efer_nxe};
    translation t = g.walk(p, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x1'23456000ULL | all | MV_MAP_FLAG_4K_PAGE);
    EXPECT_EQ(g.reads, (std::vector<std::pair<uint64_t, unsigned>>{{0x3038, 8}, {0x4008, 8}, {0x5008, 8}}));

    g.mem[0x5008] |= NX;
    t = g.walk(p, gla);
    EXPECT_EQ(t.addr, 0x1'23456000ULL | R_ | W_ | U_ | MV_MAP_FLAG_4K_PAGE) << "NX with EFER.NXE";
    t = g.walk({pg, cr3, mb::cr4_pae, 0}, gla);
    EXPECT_EQ(t.addr, 0x1'23456000ULL | all | MV_MAP_FLAG_4K_PAGE) << "bit 63 is no address bit, and no NX without NXE";
    EXPECT_FALSE(g.walk(p, gla + (1ULL << 32)).ok) << "outside long mode no GLA is above 4 GiB";

    // A PDPTE's PS bit is no 1 GiB page outside long mode.
    g.mem[cr3 + uint64_t{3} * 8] = 0x4000 | P | PS;
    EXPECT_EQ(g.walk({pg, cr3, mb::cr4_pae, 0}, gla).addr, 0x1'23456000ULL | all | MV_MAP_FLAG_4K_PAGE);
}

TEST(guest_paging, pae_2m_pages)
{
    guest_memory g;
    constexpr uint64_t gla = 0xC0345000;  // PDPTE 3, PDE 1, 0x145000 into its 2 MiB
    g.mem[0x3000 + 3 * 8] = 0x4000 | P;
    g.mem[0x4000 + 1 * 8] = 0x600000 | (1U << 12) | P | U | PS;  // bit 12 is the large page's PAT bit
    const translation t = g.walk({pg, 0x3000, mb::cr4_pae, 0}, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x745000 | R_ | X_ | U_ | MV_MAP_FLAG_2M_PAGE) << "the 4 KiB page of the GLA within it";
    EXPECT_EQ(g.reads.size(), 2U);
}

/// A 4-level walk for gla through tables at 0x10000 (PML4), 0x11000, 0x12000, 0x13000 to page.
void four_levels(guest_memory &g, uint64_t gla, uint64_t page, uint64_t bits = P | W | U)
{
    g.mem[slot(0x10000, gla, 39, 0x1FF, 8)] = 0x11000 | bits;
    g.mem[slot(0x11000, gla, 30, 0x1FF, 8)] = 0x12000 | bits;
    g.mem[slot(0x12000, gla, 21, 0x1FF, 8)] = 0x13000 | bits;
    g.mem[slot(0x13000, gla, 12, 0x1FF, 8)] = page | bits;
}

constexpr uint64_t long_mode = mb::efer_lma | (1U << 8);  // LMA, LME
constexpr paging_state four{pg, 0xFFF0'0000'0001'0018ULL, mb::cr4_pae, long_mode | mb::efer_nxe};

TEST(guest_paging, four_level_4k)
{
    guest_memory g;
    constexpr uint64_t gla = 0xFFFF8000'00203000ULL;  // PML4E 0x100, PDPTE 0, PDE 1, PTE 3
    four_levels(g, gla, 0xF'EDCBA000ULL);
    const translation t = g.walk(four, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0xF'EDCBA000ULL | all | MV_MAP_FLAG_4K_PAGE);
    EXPECT_EQ(g.reads,
              (std::vector<std::pair<uint64_t, unsigned>>{{0x10800, 8}, {0x11000, 8}, {0x12008, 8}, {0x13018, 8}}))
        << "CR3's bits 63:52 and 11:0 are no address bits";

    // A PML4E's PS bit is no page: it still names a table.
    g.mem[0x10800] |= PS;
    EXPECT_EQ(g.walk(four, gla).addr, 0xF'EDCBA000ULL | all | MV_MAP_FLAG_4K_PAGE);
}

TEST(guest_paging, four_level_2m_and_1g_pages)
{
    guest_memory g;
    constexpr uint64_t gla = 0x00007F80'4AB45000ULL;
    four_levels(g, gla, 0x13000);
    g.mem[slot(0x12000, gla, 21, 0x1FF, 8)] = 0x2'00000000ULL | (1U << 12) | P | W | U | PS;
    translation t = g.walk(four, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, (0x2'00000000ULL + (gla & 0x1FF000)) | all | MV_MAP_FLAG_2M_PAGE);
    EXPECT_EQ(g.reads.size(), 3U);

    g.reads.clear();
    g.mem[slot(0x11000, gla, 30, 0x1FF, 8)] = 0x40'00000000ULL | (1U << 12) | P | W | U | PS;
    t = g.walk(four, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, (0x40'00000000ULL + (gla & 0x3FFFF000)) | all | MV_MAP_FLAG_1G_PAGE);
    EXPECT_EQ(g.reads.size(), 2U);
}

TEST(guest_paging, rights_are_those_every_level_grants)
{
    constexpr uint64_t gla = 0x00000000'40201000ULL;
    constexpr uint64_t page = 0x88000;
    struct {
        unsigned level;  // 4 the PML4E ... 1 the PTE
        uint64_t bits;
        paging_state p;
        uint64_t rights;
    } const cases[] = {
        {4, P | U, four, R_ | X_ | U_},
        {3, P | W, four, R_ | W_ | X_},
        {2, P | W | U | NX, four, R_ | W_ | U_},
        {1, P | W | U | NX, four, R_ | W_ | U_},
        {2, P | W | U | NX, {pg, 0x10000, mb::cr4_pae, long_mode}, all},  // NX is not enabled
        {1, P, four, R_ | X_},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.level);
        guest_memory g;
        four_levels(g, gla, page);
        const uint64_t table[] = {0, 0x13000, 0x12000, 0x11000, 0x10000};
        const uint64_t next[] = {0, page, 0x13000, 0x12000, 0x11000};
        g.mem[slot(table[c.level], gla, 12 + 9 * (c.level - 1), 0x1FF, 8)] = next[c.level] | c.bits;
        const translation t = g.walk(c.p, gla);
        EXPECT_TRUE(t.ok);
        EXPECT_EQ(t.addr, page | c.rights | MV_MAP_FLAG_4K_PAGE);
    }
}

TEST(guest_paging, an_entry_not_present_at_any_level_fails_the_walk)
{
    constexpr uint64_t gla = 0x00000012'34567000ULL;
    const uint64_t table[] = {0, 0x13000, 0x12000, 0x11000, 0x10000};
    for (unsigned level = 1; level <= 4; ++level) {
        SCOPED_TRACE(level);
        guest_memory g;
        four_levels(g, gla, 0x99000);
        uint64_t &e = g.mem[slot(table[level], gla, 12 + 9 * (level - 1), 0x1FF, 8)];
        e &= ~P;
        EXPECT_FALSE(g.walk(four, gla).ok);
        EXPECT_EQ(g.reads.size(), 5U - level) << "the walk stops there";
        e |= P;
        EXPECT_TRUE(g.walk(four, gla).ok);
    }
    // 32-bit and PAE levels.
    guest_memory g;
    EXPECT_FALSE(g.walk({pg, 0x1000, 0, 0}, 0x00403000).ok) << "a PDE of 0";
    g.mem[0x1004] = 0x2000 | P;
    EXPECT_FALSE(g.walk({pg, 0x1000, 0, 0}, 0x00403000).ok) << "a PTE of 0";
    EXPECT_FALSE(g.walk({pg, 0x3000, mb::cr4_pae, 0}, 0xC0201000).ok) << "a PDPTE of 0";
}

TEST(guest_paging, a_table_outside_the_guests_memory_fails_the_walk)
{
    guest_memory g;
    constexpr uint64_t gla = 0x00000000'00201000ULL;
    four_levels(g, gla, 0x99000);
    g.limit = 0x10000;  // not even the PML4
    EXPECT_FALSE(g.walk(four, gla).ok);
    EXPECT_EQ(g.reads.size(), 1U);
    g.reads.clear();
    g.limit = 0x12000;  // the PD is outside
    EXPECT_FALSE(g.walk(four, gla).ok);
    EXPECT_EQ(g.reads.size(), 3U);
}

TEST(guest_paging, five_level_paging_is_not_walked)
{
    guest_memory g;
    constexpr uint64_t gla = 0x00000000'00201000ULL;
    four_levels(g, gla, 0x99000);
    paging_state p = four;
    p.cr4 |= mb::cr4_la57;
    EXPECT_FALSE(g.walk(p, gla).ok);
    EXPECT_TRUE(g.reads.empty());
    // LA57 means nothing outside long mode: a PAE walk.
    g.mem[0x3000] = 0x4000 | P;
    g.mem[0x4000 + 1 * 8] = 0x5000 | P | W | U;
    g.mem[0x5000 + 1 * 8] = 0x6000 | P | W | U;
    const translation t = g.walk({pg, 0x3000, mb::cr4_pae | mb::cr4_la57, 0}, gla);
    EXPECT_TRUE(t.ok);
    EXPECT_EQ(t.addr, 0x6000 | all | MV_MAP_FLAG_4K_PAGE);
}

}  // namespace
