// SPDX-License-Identifier: MIT
#include <mk/x64/lapic.hpp>

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace lapic = mk::x64::lapic;

namespace {

// A CPU with an APIC: its IA32_APIC_BASE, the MSRs written, and an xAPIC page at 0xFEE00000.
struct fake_apic {
    static inline uint64_t apic_base = 0xFEE00000ULL | lapic::base_enable;
    static inline std::vector<std::pair<uint32_t, uint64_t>> msr_writes;
    static inline uint32_t page[1024];
    static inline uint64_t mapped = 0xFEE00000ULL;
    static inline int busy_reads = 0;  // the ICR shows a send pending this many more reads
    static inline std::vector<uint32_t> icr_high_at_low_write;

    static void reset()
    {
        apic_base = 0xFEE00000ULL | lapic::base_enable;
        msr_writes.clear();
        for (auto &w : page) {
            w = 0;
        }
        mapped = 0xFEE00000ULL;
        busy_reads = 0;
        icr_high_at_low_write.clear();
    }

    static uint64_t rdmsr(uint32_t msr) { return msr == lapic::msr_apic_base ? apic_base : 0; }
    static void wrmsr(uint32_t msr, uint64_t value) { msr_writes.emplace_back(msr, value); }
    static void pause()
    {
        if (busy_reads > 0) {
            --busy_reads;
        }
        page[lapic::xapic_icr_low / 4] = (page[lapic::xapic_icr_low / 4] & ~lapic::icr_send_pending) |
                                         (busy_reads > 0 ? lapic::icr_send_pending : 0);
    }
    static volatile uint32_t *xapic_page(uint64_t phys) { return phys == mapped ? page : nullptr; }
};

struct lapic_test : ::testing::Test {
    void SetUp() override { fake_apic::reset(); }
};

struct leaves {
    uint32_t max_basic;
    uint32_t leaf_b_ebx, leaf_b_edx;
    uint32_t leaf_1_ebx;
    struct regs {
        uint32_t eax, ebx, ecx, edx;
    };
    regs operator()(uint32_t leaf, uint32_t) const
    {
        switch (leaf) {
        case 0:
            return {max_basic, 0, 0, 0};
        case 0xB:
            return {0, leaf_b_ebx, 0, leaf_b_edx};
        case 1:
            return {0, leaf_1_ebx, 0, 0};
        default:
            return {};
        }
    }
};

}  // namespace

TEST(lapic, own_id_is_the_x2apic_id_of_leaf_0xb)
{
    EXPECT_EQ(lapic::own_id(leaves{0x10, 2, 0x1234, 0x07000000}), 0x1234U);
}

TEST(lapic, own_id_falls_back_on_leaf_1)
{
    EXPECT_EQ(lapic::own_id(leaves{0xA, 2, 0x1234, 0x07000000}), 7U) << "no leaf 0xB";
    EXPECT_EQ(lapic::own_id(leaves{0x10, 0, 0x1234, 0x07000000}), 7U) << "leaf 0xB reports nothing";
}

TEST_F(lapic_test, x2apic_mode_sends_one_icr_write)
{
    fake_apic::apic_base |= lapic::base_x2apic;
    EXPECT_TRUE(lapic::send_nmi<fake_apic>(0x104));
    ASSERT_EQ(fake_apic::msr_writes.size(), 1U);
    EXPECT_EQ(fake_apic::msr_writes[0].first, 0x830U);
    EXPECT_EQ(fake_apic::msr_writes[0].second, 0x0000010400004400ULL) << "NMI, physical, assert, to 0x104";
}

TEST_F(lapic_test, xapic_mode_writes_high_then_low_and_puts_the_os_high_half_back)
{
    fake_apic::page[lapic::xapic_icr_high / 4] = 0x05000000;  // the OS was between its two writes
    EXPECT_TRUE(lapic::send_nmi<fake_apic>(3));
    EXPECT_EQ(fake_apic::page[lapic::xapic_icr_low / 4], 0x4400U);
    EXPECT_EQ(fake_apic::page[lapic::xapic_icr_high / 4], 0x05000000U);
    EXPECT_TRUE(fake_apic::msr_writes.empty());
}

TEST_F(lapic_test, xapic_mode_waits_for_a_pending_send)
{
    fake_apic::page[lapic::xapic_icr_low / 4] = lapic::icr_send_pending;
    fake_apic::busy_reads = 5;
    EXPECT_TRUE(lapic::send_nmi<fake_apic>(1));
    EXPECT_EQ(fake_apic::busy_reads, 0);
}

TEST_F(lapic_test, a_stuck_xapic_fails_the_send)
{
    fake_apic::page[lapic::xapic_icr_low / 4] = lapic::icr_send_pending;
    fake_apic::busy_reads = 1 << 30;
    EXPECT_FALSE(lapic::send_nmi<fake_apic>(1));
    EXPECT_EQ(fake_apic::page[lapic::xapic_icr_low / 4] & 0x700U, 0U) << "nothing sent";
}

TEST_F(lapic_test, refusals)
{
    EXPECT_FALSE(lapic::send_nmi<fake_apic>(0x100)) << "xAPIC mode names 8-bit IDs only";
    fake_apic::mapped = 0xFEC00000ULL;
    EXPECT_FALSE(lapic::send_nmi<fake_apic>(1)) << "the APIC moved away from the mapped page";
    fake_apic::apic_base = 0xFEE00000ULL | lapic::base_x2apic;
    EXPECT_FALSE(lapic::send_nmi<fake_apic>(1)) << "APIC off";
    EXPECT_TRUE(fake_apic::msr_writes.empty());
    EXPECT_EQ(fake_apic::page[lapic::xapic_icr_low / 4], 0U);
}

TEST(lapic, the_root_vm_may_not_move_the_apic_page)
{
    constexpr uint64_t base = 0xFEE00900ULL;  // enabled, BSP
    EXPECT_TRUE(lapic::base_write_ok(base, base));
    EXPECT_TRUE(lapic::base_write_ok(base, base | lapic::base_x2apic));
    EXPECT_TRUE(lapic::base_write_ok(base, base & ~lapic::base_enable));
    EXPECT_FALSE(lapic::base_write_ok(base, 0xFEC00900ULL));
    EXPECT_FALSE(lapic::base_write_ok(base, base | 1ULL << 51));
    EXPECT_TRUE(lapic::base_write_ok(base, base | 1ULL << 52)) << "beyond the address field: the CPU's to refuse";
}
