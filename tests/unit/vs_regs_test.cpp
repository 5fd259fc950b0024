// SPDX-License-Identifier: MIT
#include <mk/x64/amd/vs_regs.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>

namespace {

namespace abi = mk::abi;
namespace amd = mk::amd;
using abi::reg;

/// Where the test expects a register: a VMCB byte offset (APM vol. 2, appendix B) and width, or a
/// slot of the general purpose register array.
struct expected {
    reg r;
    bool in_gprs;
    size_t at;  // VMCB byte offset, or GPR number
    size_t width;
};

constexpr expected gp(reg r, size_t number) { return {r, true, number, 8}; }
constexpr expected vm(reg r, size_t offset, size_t width) { return {r, false, offset, width}; }

/// The four parts of the segment register whose 16 bytes start at VMCB offset base.
#define SEGMENT(name, base)                                                                                            \
    vm(reg::name##_selector, base, 2), vm(reg::name##_attrib, (base) + 2, 2), vm(reg::name##_limit, (base) + 4, 4),    \
        vm(reg::name##_base, (base) + 8, 8)

/// Every register vs_read/vs_write should hold, written out from the APM rather than the struct.
constexpr expected supported[] = {
    gp(reg::rax, 0),
    gp(reg::rbx, 3),
    gp(reg::rcx, 1),
    gp(reg::rdx, 2),
    gp(reg::rbp, 5),
    gp(reg::rsi, 6),
    gp(reg::rdi, 7),
    gp(reg::r8, 8),
    gp(reg::r9, 9),
    gp(reg::r10, 10),
    gp(reg::r11, 11),
    gp(reg::r12, 12),
    gp(reg::r13, 13),
    gp(reg::r14, 14),
    gp(reg::r15, 15),
    vm(reg::intercept_cr_read, 0x000, 2),
    vm(reg::intercept_cr_write, 0x002, 2),
    vm(reg::intercept_dr_read, 0x004, 2),
    vm(reg::intercept_dr_write, 0x006, 2),
    vm(reg::intercept_exception, 0x008, 4),
    vm(reg::intercept_instruction1, 0x00C, 4),
    vm(reg::intercept_instruction2, 0x010, 4),
    vm(reg::intercept_instruction3, 0x014, 4),
    vm(reg::pause_filter_threshold, 0x03C, 2),
    vm(reg::pause_filter_count, 0x03E, 2),
    vm(reg::iopm_base_pa, 0x040, 8),
    vm(reg::msrpm_base_pa, 0x048, 8),
    vm(reg::tsc_offset, 0x050, 8),
    vm(reg::guest_asid, 0x058, 4),
    vm(reg::tlb_control, 0x05C, 1),
    vm(reg::virtual_interrupt_a, 0x060, 8),
    vm(reg::virtual_interrupt_b, 0x068, 8),
    vm(reg::exitcode, 0x070, 8),
    vm(reg::exitinfo1, 0x078, 8),
    vm(reg::exitinfo2, 0x080, 8),
    vm(reg::exitininfo, 0x088, 8),
    vm(reg::ctls1, 0x090, 8),
    vm(reg::guest_pa_of_ghcb, 0x0A0, 8),
    vm(reg::eventinj, 0x0A8, 8),
    vm(reg::n_cr3, 0x0B0, 8),
    vm(reg::ctls2, 0x0B8, 8),
    vm(reg::vmcb_clean_bits, 0x0C0, 4),
    vm(reg::nrip, 0x0C8, 8),
    vm(reg::number_of_bytes_fetched, 0x0D0, 1),
    SEGMENT(es, 0x400),
    SEGMENT(cs, 0x410),
    SEGMENT(ss, 0x420),
    SEGMENT(ds, 0x430),
    SEGMENT(fs, 0x440),
    SEGMENT(gs, 0x450),
    SEGMENT(gdtr, 0x460),
    SEGMENT(ldtr, 0x470),
    SEGMENT(idtr, 0x480),
    SEGMENT(tr, 0x490),
    vm(reg::cpl, 0x4CB, 1),
    vm(reg::efer, 0x4D0, 8),
    vm(reg::cr4, 0x548, 8),
    vm(reg::cr3, 0x550, 8),
    vm(reg::cr0, 0x558, 8),
    vm(reg::dr7, 0x560, 8),
    vm(reg::dr6, 0x568, 8),
    vm(reg::rflags, 0x570, 8),
    vm(reg::rip, 0x578, 8),
    vm(reg::rsp, 0x5D8, 8),
    vm(reg::star, 0x600, 8),
    vm(reg::lstar, 0x608, 8),
    vm(reg::cstar, 0x610, 8),
    vm(reg::fmask, 0x618, 8),
    vm(reg::kernel_gs_base, 0x620, 8),
    vm(reg::sysenter_cs, 0x628, 8),
    vm(reg::sysenter_esp, 0x630, 8),
    vm(reg::sysenter_eip, 0x638, 8),
    vm(reg::cr2, 0x640, 8),
    vm(reg::pat, 0x668, 8),
    vm(reg::dbgctl, 0x670, 8),
    vm(reg::br_from, 0x678, 8),
    vm(reg::br_to, 0x680, 8),
    vm(reg::lastexcpfrom, 0x688, 8),
    vm(reg::lastexcpto, 0x690, 8),
};

#undef SEGMENT

/// The registers of the spec's list that have no storage here, and the two non-registers.
constexpr reg refused[] = {reg::unsupported,
                           reg::avic_apic_bar,
                           reg::avic_apic_backing_page_ptr,
                           reg::avic_logical_table_ptr,
                           reg::avic_physical_table_ptr,
                           reg::vmsa_ptr,
                           reg::cr8,
                           reg::dr0,
                           reg::dr1,
                           reg::dr2,
                           reg::dr3,
                           reg::xcr0,
                           reg::invalid};

constexpr uint64_t last_value = 121;  // bf_reg_t_invalid

/// A zeroed VS: its VMCB and its general purpose registers.
struct vs {
    std::unique_ptr<amd::vmcb> v = std::make_unique<amd::vmcb>();
    uint64_t gprs[amd::gpr::count] = {};

    const uint8_t *bytes() const { return reinterpret_cast<const uint8_t *>(v.get()); }

    /// Whether every VMCB byte outside [from, from + n) and every GPR but skip_gpr is zero.
    bool zero_except(size_t from, size_t n, size_t skip_gpr) const
    {
        for (size_t i = 0; i < sizeof(amd::vmcb); ++i) {
            if ((i < from || i >= from + n) && bytes()[i] != 0) {
                return false;
            }
        }
        for (size_t i = 0; i < amd::gpr::count; ++i) {
            if (i != skip_gpr && gprs[i] != 0) {
                return false;
            }
        }
        return true;
    }

    bool untouched() const { return zero_except(0, 0, amd::gpr::count); }
};

/// Little-endian bytes of the VMCB at offset.
uint64_t raw(const vs &s, size_t offset, size_t width)
{
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) {
        value |= uint64_t{s.bytes()[offset + i]} << (8 * i);
    }
    return value;
}

/// The largest value of a field of width bytes.
uint64_t all_ones(size_t width) { return width == 8 ? ~0ULL : (1ULL << (8 * width)) - 1; }

bool is_supported(uint64_t value)
{
    for (const auto &e : supported) {
        if (static_cast<uint64_t>(e.r) == value) {
            return true;
        }
    }
    return false;
}

TEST(vs_regs, every_supported_register_round_trips_to_its_place_and_nowhere_else)
{
    for (const auto &e : supported) {
        SCOPED_TRACE(static_cast<uint64_t>(e.r));
        vs s;
        const uint64_t value = 0x8877665544332211ULL & all_ones(e.width);
        ASSERT_TRUE(amd::vs_write(*s.v, s.gprs, e.r, value));
        if (e.in_gprs) {
            EXPECT_EQ(s.gprs[e.at], value);
            EXPECT_TRUE(s.zero_except(0, 0, e.at));
        } else {
            EXPECT_EQ(raw(s, e.at, e.width), value);
            EXPECT_TRUE(s.zero_except(e.at, e.width, amd::gpr::count));
        }
        uint64_t out = 0;
        ASSERT_TRUE(amd::vs_read(*s.v, s.gprs, e.r, out));
        EXPECT_EQ(out, value);
    }
}

TEST(vs_regs, reads_see_what_the_vmcb_holds)
{
    vs s;
    s.v->control.nrip = 0x1234;
    s.v->state.cs.attrib = 0xA9B;
    s.v->state.cpl = 3;
    uint64_t out = 0;
    EXPECT_TRUE(amd::vs_read(*s.v, s.gprs, reg::nrip, out));
    EXPECT_EQ(out, 0x1234U);
    EXPECT_TRUE(amd::vs_read(*s.v, s.gprs, reg::cs_attrib, out));
    EXPECT_EQ(out, 0xA9BU);
    EXPECT_TRUE(amd::vs_read(*s.v, s.gprs, reg::cpl, out));
    EXPECT_EQ(out, 3U);
}

TEST(vs_regs, lands_at_raw_vmcb_offsets)
{
    vs s;
    EXPECT_TRUE(amd::vs_write(*s.v, s.gprs, reg::nrip, 0x1122334455667788ULL));
    EXPECT_TRUE(amd::vs_write(*s.v, s.gprs, reg::rax, 0xAAULL));
    EXPECT_TRUE(amd::vs_write(*s.v, s.gprs, reg::rsp, 0xBBULL));
    EXPECT_TRUE(amd::vs_write(*s.v, s.gprs, reg::intercept_cr_write, 0x0010));
    EXPECT_TRUE(amd::vs_write(*s.v, s.gprs, reg::tr_limit, 0x67));
    EXPECT_TRUE(amd::vs_write(*s.v, s.gprs, reg::pat, 0x0007040600070406ULL));
    EXPECT_EQ(raw(s, 0x0C8, 8), 0x1122334455667788ULL);
    EXPECT_EQ(raw(s, 0x5F8, 8), 0U) << "rax lives in the array (vs_run moves it for VMRUN)";
    EXPECT_EQ(s.gprs[amd::gpr::rax], 0xAAU);
    EXPECT_EQ(raw(s, 0x5D8, 8), 0xBBU);
    EXPECT_EQ(s.v->control.intercept_cr, amd::intercept_cr_write(4));
    EXPECT_EQ(raw(s, 0x494, 4), 0x67U);
    EXPECT_EQ(raw(s, 0x668, 8), 0x0007040600070406ULL);
    EXPECT_EQ(s.gprs[amd::gpr::rsp], 0U);  // rsp lives in the VMCB, not the array
}

TEST(vs_regs, narrow_fields_refuse_values_that_do_not_fit)
{
    for (const auto &e : supported) {
        if (e.width == 8) {
            continue;
        }
        SCOPED_TRACE(static_cast<uint64_t>(e.r));
        vs s;
        EXPECT_FALSE(amd::vs_write(*s.v, s.gprs, e.r, all_ones(e.width) + 1));
        EXPECT_FALSE(amd::vs_write(*s.v, s.gprs, e.r, 1ULL << 63));
        EXPECT_TRUE(s.untouched());
        EXPECT_TRUE(amd::vs_write(*s.v, s.gprs, e.r, all_ones(e.width)));
        uint64_t out = 0;
        EXPECT_TRUE(amd::vs_read(*s.v, s.gprs, e.r, out));
        EXPECT_EQ(out, all_ones(e.width));  // zero-extended
    }
}

TEST(vs_regs, refuses_registers_without_storage)
{
    for (const reg r : refused) {
        SCOPED_TRACE(static_cast<uint64_t>(r));
        vs s;
        EXPECT_FALSE(amd::vs_write(*s.v, s.gprs, r, 1));
        EXPECT_TRUE(s.untouched());
        uint64_t out = 0x5A5A;
        EXPECT_FALSE(amd::vs_read(*s.v, s.gprs, r, out));
        EXPECT_EQ(out, 0x5A5AU);
    }
}

TEST(vs_regs, refuses_values_beyond_the_enum)
{
    for (const uint64_t value : {last_value + 1, uint64_t{1000}, uint64_t{0xFFFF}, ~uint64_t{0}}) {
        SCOPED_TRACE(value);
        vs s;
        EXPECT_FALSE(amd::vs_write(*s.v, s.gprs, static_cast<reg>(value), 1));
        EXPECT_TRUE(s.untouched());
        uint64_t out = 0x5A5A;
        EXPECT_FALSE(amd::vs_read(*s.v, s.gprs, static_cast<reg>(value), out));
        EXPECT_EQ(out, 0x5A5AU);
    }
}

TEST(vs_regs, supported_and_refused_cover_the_whole_enum)
{
    EXPECT_EQ(std::size(supported) + std::size(refused), last_value + 1);
    for (uint64_t value = 0; value <= last_value + 8; ++value) {
        SCOPED_TRACE(value);
        vs s;
        EXPECT_EQ(amd::vs_write(*s.v, s.gprs, static_cast<reg>(value), 0), is_supported(value));
    }
}

TEST(vs_regs, gprs_follow_x86_register_numbers)
{
    vs s;
    const reg by_number[] = {reg::rax, reg::rcx, reg::rdx, reg::rbx, reg::unsupported, reg::rbp, reg::rsi, reg::rdi,
                             reg::r8,  reg::r9,  reg::r10, reg::r11, reg::r12,         reg::r13, reg::r14, reg::r15};
    for (size_t n = 0; n < amd::gpr::count; ++n) {
        s.gprs[n] = 0x100 + n;
    }
    for (size_t n = 0; n < amd::gpr::count; ++n) {
        if (by_number[n] == reg::unsupported) {
            continue;
        }
        SCOPED_TRACE(n);
        uint64_t out = 0;
        EXPECT_TRUE(amd::vs_read(*s.v, s.gprs, by_number[n], out));
        EXPECT_EQ(out, 0x100 + n);
        EXPECT_TRUE(amd::vs_write(*s.v, s.gprs, by_number[n], 0x200 + n));
        EXPECT_EQ(s.gprs[n], 0x200 + n);
    }
    EXPECT_EQ(s.gprs[amd::gpr::rsp], 0x104U);
}

}  // namespace
