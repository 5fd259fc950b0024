// SPDX-License-Identifier: MIT
#include <mk/x64/amd/segment.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

namespace x64 = mk::amd;  // the VMCB's segment format

/// A GDT exactly limit + 1 bytes long on the heap, so that AddressSanitizer catches any read past
/// the limit.
class gdt_buffer {
public:
    explicit gdt_buffer(uint32_t limit) : m_bytes(size_t{limit} + 1, 0xCC) {}
    /// The first limit + 1 bytes of another table.
    gdt_buffer(const gdt_buffer &from, uint32_t limit) : m_bytes(from.data(), from.data() + size_t{limit} + 1) {}

    /// Stores an 8-byte descriptor (little-endian) at the byte offset of a selector.
    void put(uint16_t selector, uint64_t desc)
    {
        for (size_t i = 0; i < 8; ++i) {
            m_bytes.at(static_cast<size_t>(selector & x64::selector_index_mask) + i) =
                static_cast<uint8_t>(desc >> (8 * i));
        }
    }
    /// Stores a 16-byte system descriptor: base 31:0 and the rest in the low half, base 63:32 above.
    void put_system(uint16_t selector, uint64_t base, uint32_t limit, uint16_t attrib)
    {
        put(selector, x64::make_descriptor(static_cast<uint32_t>(base), limit, attrib));
        put(static_cast<uint16_t>(selector + 8), base >> 32);
    }

    const uint8_t *data() const { return m_bytes.data(); }
    uint32_t limit() const { return static_cast<uint32_t>(m_bytes.size() - 1); }

private:
    std::vector<uint8_t> m_bytes;
};

// Linux x86-64's GDT (arch/x86/include/asm/segment.h): 16 entries, the TSS in entries 8-9.
constexpr uint64_t linux_kernel32_cs = 0x00cf9b000000ffff;
constexpr uint64_t linux_kernel_cs = 0x00af9b000000ffff;
constexpr uint64_t linux_kernel_ds = 0x00cf93000000ffff;
constexpr uint64_t linux_user32_cs = 0x00cffb000000ffff;
constexpr uint64_t linux_user_ds = 0x00cff3000000ffff;
constexpr uint64_t linux_user_cs = 0x00affb000000ffff;
constexpr uint64_t linux_tss_base = 0xfffffe0000003000;
constexpr uint32_t linux_tss_limit = 0x206F;
constexpr uint16_t busy_tss = 0x08B;  // P, DPL 0, system type 0xB

class linux_gdt : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_gdt.put(0x08, linux_kernel32_cs);
        m_gdt.put(0x10, linux_kernel_cs);
        m_gdt.put(0x18, linux_kernel_ds);
        m_gdt.put(0x20, linux_user32_cs);
        m_gdt.put(0x28, linux_user_ds);
        m_gdt.put(0x30, linux_user_cs);
        m_gdt.put_system(0x40, linux_tss_base, linux_tss_limit, busy_tss);
        m_gdt.put(0x78, linux_kernel_ds);
    }

    /// Decodes selector with a state that is not blank to start with.
    bool decode(uint16_t selector, bool system = false)
    {
        m_out = {0xDEAD, 0xBEEF, 0x12345678, 0x1122334455667788};
        return x64::decode_segment(m_gdt.data(), m_gdt.limit(), selector, system, m_out);
    }

    gdt_buffer m_gdt{16 * 8 - 1};
    x64::segment_state m_out{};
};

void expect_state(const x64::segment_state &s, uint16_t selector, uint16_t attrib, uint32_t limit, uint64_t base)
{
    EXPECT_EQ(s.selector, selector);
    EXPECT_EQ(s.attrib, attrib);
    EXPECT_EQ(s.limit, limit);
    EXPECT_EQ(s.base, base);
}

void expect_untouched(const x64::segment_state &s) { expect_state(s, 0xDEAD, 0xBEEF, 0x12345678, 0x1122334455667788); }

TEST_F(linux_gdt, kernel_code_segment)
{
    ASSERT_TRUE(decode(0x10));
    expect_state(m_out, 0x10, 0xA9B, 0xFFFFFFFF, 0);
    EXPECT_NE(m_out.attrib & x64::attrib_p, 0);
    EXPECT_NE(m_out.attrib & x64::attrib_s, 0);
    EXPECT_NE(m_out.attrib & x64::attrib_l, 0);
    EXPECT_NE(m_out.attrib & x64::attrib_g, 0);
    EXPECT_EQ(m_out.attrib & x64::attrib_db, 0) << "L and D/B are never both set";
    EXPECT_EQ((m_out.attrib >> x64::attrib_dpl_shift) & 3, 0);
    EXPECT_EQ(m_out.attrib & x64::attrib_type_mask, 0xB) << "execute/read, accessed";
}

TEST_F(linux_gdt, kernel_data_and_compat_segments)
{
    ASSERT_TRUE(decode(0x18));
    expect_state(m_out, 0x18, 0xC93, 0xFFFFFFFF, 0);
    ASSERT_TRUE(decode(0x08));
    expect_state(m_out, 0x08, 0xC9B, 0xFFFFFFFF, 0);
}

TEST_F(linux_gdt, user_segments_keep_their_rpl)
{
    ASSERT_TRUE(decode(0x33));
    expect_state(m_out, 0x33, 0xAFB, 0xFFFFFFFF, 0);
    EXPECT_EQ((m_out.attrib >> x64::attrib_dpl_shift) & 3, 3);
    ASSERT_TRUE(decode(0x2B));
    expect_state(m_out, 0x2B, 0xCF3, 0xFFFFFFFF, 0);
    ASSERT_TRUE(decode(0x23));
    expect_state(m_out, 0x23, 0xCFB, 0xFFFFFFFF, 0);
}

TEST_F(linux_gdt, rpl_does_not_change_the_entry)
{
    for (uint16_t rpl = 0; rpl < 4; ++rpl) {
        const auto selector = static_cast<uint16_t>(0x30 | rpl);
        ASSERT_TRUE(decode(selector));
        expect_state(m_out, selector, 0xAFB, 0xFFFFFFFF, 0);
    }
}

TEST_F(linux_gdt, tss_with_a_high_base)
{
    ASSERT_TRUE(decode(0x40, true));
    expect_state(m_out, 0x40, busy_tss, linux_tss_limit, linux_tss_base);
    EXPECT_EQ(m_out.attrib & x64::attrib_s, 0) << "a system descriptor";
    // Read as an 8-byte descriptor, only the low half of the base is there.
    ASSERT_TRUE(decode(0x40, false));
    expect_state(m_out, 0x40, busy_tss, linux_tss_limit, 0x3000);
}

TEST_F(linux_gdt, null_selector_is_empty)
{
    ASSERT_TRUE(decode(0x0000));
    expect_state(m_out, 0, 0, 0, 0);
    ASSERT_TRUE(decode(0x0003, true));
    expect_state(m_out, 0x0003, 0, 0, 0);  // RPL kept, nothing loaded
}

TEST_F(linux_gdt, ldt_selectors_are_refused)
{
    const uint16_t selectors[] = {0x0004, 0x0007, 0x000C, 0x0037};
    for (const uint16_t selector : selectors) {
        EXPECT_FALSE(decode(selector)) << selector;
        expect_untouched(m_out);
    }
}

TEST_F(linux_gdt, selectors_beyond_the_limit_are_refused)
{
    EXPECT_FALSE(decode(0x80)) << "first entry past the table";
    expect_untouched(m_out);
    EXPECT_FALSE(decode(0xFFF8)) << "the highest index";
    EXPECT_FALSE(decode(0xFFFB, true));
    expect_untouched(m_out);
}

TEST_F(linux_gdt, the_last_entry_fits_only_as_an_8_byte_descriptor)
{
    ASSERT_TRUE(decode(0x78)) << "its last byte is the table's last";
    expect_state(m_out, 0x78, 0xC93, 0xFFFFFFFF, 0);
    EXPECT_FALSE(decode(0x78, true)) << "a 16-byte descriptor would cross the limit";
    expect_untouched(m_out);
}

TEST(segment, limits_are_checked_byte_by_byte)
{
    // A TSS in entries 2-3: the table must reach byte 0x1F.
    gdt_buffer full(0x1F);
    full.put_system(0x10, 0xFFFF800012345000, 0x67, busy_tss);
    for (uint32_t limit = 0x10; limit < 0x1F; ++limit) {
        const gdt_buffer gdt(full, limit);
        x64::segment_state out{};
        EXPECT_FALSE(x64::decode_segment(gdt.data(), gdt.limit(), 0x10, true, out)) << limit;
        EXPECT_EQ(out.limit, 0U);
        EXPECT_EQ(x64::decode_segment(gdt.data(), gdt.limit(), 0x10, false, out), limit >= 0x17) << limit;
    }
    x64::segment_state out{};
    ASSERT_TRUE(x64::decode_segment(full.data(), full.limit(), 0x10, true, out));
    expect_state(out, 0x10, busy_tss, 0x67, 0xFFFF800012345000);
}

TEST(segment, a_limit_below_the_offset_is_refused)
{
    gdt_buffer gdt(0x0F);
    x64::segment_state out{};
    EXPECT_FALSE(x64::decode_segment(gdt.data(), gdt.limit(), 0x10, false, out));
    EXPECT_FALSE(x64::decode_segment(gdt.data(), 0, 0x08, false, out)) << "an empty table";
}

TEST(segment, no_table_only_the_null_selector)
{
    x64::segment_state out{1, 2, 3, 4};
    EXPECT_FALSE(x64::decode_segment(nullptr, 0xFFFF, 0x10, false, out));
    expect_state(out, 1, 2, 3, 4);
    EXPECT_TRUE(x64::decode_segment(nullptr, 0, 0x0002, false, out));
    expect_state(out, 0x0002, 0, 0, 0);
}

TEST(segment, byte_granular_limits)
{
    gdt_buffer gdt(0x2F);
    gdt.put(0x08, 0x000093000000FFFF);  // 64 KiB real-mode style data segment
    gdt.put(0x10, 0x000A93000000BCDE);  // 20-bit limit 0xABCDE, G clear
    gdt.put(0x18, 0x0080930000000001);  // G set, raw limit 1
    gdt.put(0x20, 0x0080930000000000);  // G set, raw limit 0
    gdt.put(0x28, 0x0000930000000000);  // G clear, limit 0: one byte
    x64::segment_state out{};
    ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), 0x08, false, out));
    expect_state(out, 0x08, 0x093, 0xFFFF, 0);
    ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), 0x10, false, out));
    expect_state(out, 0x10, 0x093, 0xABCDE, 0);
    ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), 0x18, false, out));
    expect_state(out, 0x18, 0x893, 0x1FFF, 0);
    ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), 0x20, false, out));
    expect_state(out, 0x20, 0x893, 0xFFF, 0);
    ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), 0x28, false, out));
    expect_state(out, 0x28, 0x093, 0, 0);
}

TEST(segment, base_bytes_and_attribute_bits)
{
    gdt_buffer gdt(0x1F);
    gdt.put(0x08, 0x12DF9A345678ABCD);  // base 0x12345678, limit 0xFABCD, G D AVL, code
    gdt.put(0x10, 0x0040130000000000);  // not present, D/B set
    gdt.put(0x18, 0xFF1FFF000000FFFF);  // every attribute bit but L, D/B and G
    x64::segment_state out{};
    ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), 0x08, false, out));
    expect_state(out, 0x08, 0xD9A, 0xFABCDFFF, 0x12345678);
    EXPECT_NE(out.attrib & x64::attrib_avl, 0);
    ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), 0x10, false, out)) << "non-present is decoded";
    expect_state(out, 0x10, 0x413, 0, 0);
    EXPECT_EQ(out.attrib & x64::attrib_p, 0);
    ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), 0x18, false, out));
    expect_state(out, 0x18, 0x1FF, 0xFFFFF, 0xFF000000);
}

TEST(segment, make_descriptor_builds_linux_entries)
{
    EXPECT_EQ(x64::make_descriptor(0, 0xFFFFFFFF, 0xC9B), linux_kernel32_cs);
    EXPECT_EQ(x64::make_descriptor(0, 0xFFFFFFFF, 0xA9B), linux_kernel_cs);
    EXPECT_EQ(x64::make_descriptor(0, 0xFFFFFFFF, 0xC93), linux_kernel_ds);
    EXPECT_EQ(x64::make_descriptor(0, 0xFFFFFFFF, 0xCFB), linux_user32_cs);
    EXPECT_EQ(x64::make_descriptor(0, 0xFFFFFFFF, 0xCF3), linux_user_ds);
    EXPECT_EQ(x64::make_descriptor(0, 0xFFFFFFFF, 0xAFB), linux_user_cs);
    EXPECT_EQ(x64::make_descriptor(0x00003000, linux_tss_limit, busy_tss), 0x00008B003000206FU);
}

TEST(segment, make_descriptor_round_trips)
{
    const x64::segment_state cases[] = {
        {0x08, 0xA9B, 0xFFFFFFFF, 0},          {0x10, 0xC93, 0x0000FFFF, 0x12345678},
        {0x18, 0x0F3, 0x000FFFFF, 0xFEDCBA98}, {0x20, 0x189, 0x00000067, 0x80000000},
        {0x28, 0x813, 0x00000FFF, 0x00001000},
    };
    gdt_buffer gdt(0x2F);
    for (const auto &c : cases) {
        gdt.put(c.selector, x64::make_descriptor(static_cast<uint32_t>(c.base), c.limit, c.attrib));
        x64::segment_state out{};
        ASSERT_TRUE(x64::decode_segment(gdt.data(), gdt.limit(), c.selector, false, out));
        expect_state(out, c.selector, c.attrib, c.limit, c.base);
    }
    // What does not fit is dropped: attribute bits above 11, limit bits above 19 without G.
    EXPECT_EQ(x64::make_descriptor(0, 0x1FFFFF, 0xF093), x64::make_descriptor(0, 0xFFFFF, 0x093));
    // With G, the low 12 bits of the limit are implied.
    EXPECT_EQ(x64::make_descriptor(0, 0x1234FFF, 0x893), x64::make_descriptor(0, 0x1234000, 0x893));
}

constexpr bool decodes_at_compile_time()
{
    uint8_t gdt[16]{};
    const uint64_t desc = x64::make_descriptor(0, 0xFFFFFFFF, 0xA9B);
    for (unsigned i = 0; i < 8; ++i) {
        gdt[8 + i] = static_cast<uint8_t>(desc >> (8 * i));
    }
    x64::segment_state out{};
    return x64::decode_segment(gdt, sizeof(gdt) - 1, 0x08, false, out) && out.attrib == 0xA9B &&
           out.limit == 0xFFFFFFFF && out.base == 0;
}
static_assert(decodes_at_compile_time());

}  // namespace
