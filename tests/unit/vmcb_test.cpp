// SPDX-License-Identifier: MIT
#include <mk/x64/amd/vmcb.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <iterator>
#include <memory>

namespace {

namespace amd = mk::amd;

/// The VMCB offset of a state save area field, as the APM's appendix B numbers it.
constexpr size_t state_at(size_t offset_in_state) { return offsetof(amd::vmcb, state) + offset_in_state; }

/// The bit index of a one-bit mask.
unsigned bit_of(uint32_t mask)
{
    unsigned n = 0;
    while (n < 32 && mask != (1U << n)) {
        ++n;
    }
    return n;
}

/// Reads 8 little-endian bytes at a VMCB offset, past any struct definition.
uint64_t raw64(const amd::vmcb &v, size_t offset)
{
    const auto *bytes = reinterpret_cast<const uint8_t *>(&v);
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i) {
        value |= uint64_t{bytes[offset + i]} << (8 * i);
    }
    return value;
}

TEST(vmcb, vmrun_refused_in_both_widths)
{
    EXPECT_TRUE(mk::amd::vmexit::vmrun_refused(0xFFFFFFFFFFFFFFFFULL));  // the APM's -1
    EXPECT_TRUE(mk::amd::vmexit::vmrun_refused(0x00000000FFFFFFFFULL));  // QEMU 7.2's 32-bit -1
    EXPECT_FALSE(mk::amd::vmexit::vmrun_refused(mk::amd::vmexit::npf));
    EXPECT_FALSE(mk::amd::vmexit::vmrun_refused(0xFFFFFFFFFFFFFFFEULL));  // VMEXIT_BUSY is not a refusal
    EXPECT_FALSE(mk::amd::vmexit::vmrun_refused(0));
}

TEST(vmcb, is_one_aligned_page)
{
    EXPECT_EQ(sizeof(amd::vmcb), 4096U);
    EXPECT_EQ(alignof(amd::vmcb), 4096U);
    EXPECT_EQ(sizeof(amd::vmcb_control), 0x400U);
    EXPECT_EQ(sizeof(amd::vmcb_state), 0xC00U);
    EXPECT_EQ(sizeof(amd::vmcb_segment), 16U);
    EXPECT_EQ(offsetof(amd::vmcb, control), 0U);
    EXPECT_EQ(offsetof(amd::vmcb, state), 0x400U);
    const auto v = std::make_unique<amd::vmcb>();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.get()) % 4096, 0U);
}

TEST(vmcb, segment_layout)
{
    EXPECT_EQ(offsetof(amd::vmcb_segment, selector), 0U);
    EXPECT_EQ(offsetof(amd::vmcb_segment, attrib), 2U);
    EXPECT_EQ(offsetof(amd::vmcb_segment, limit), 4U);
    EXPECT_EQ(offsetof(amd::vmcb_segment, base), 8U);
}

TEST(vmcb, control_area_offsets)
{
    using c = amd::vmcb_control;
    EXPECT_EQ(offsetof(c, intercept_cr), 0x000U);
    EXPECT_EQ(offsetof(c, intercept_dr), 0x004U);
    EXPECT_EQ(offsetof(c, intercept_exceptions), 0x008U);
    EXPECT_EQ(offsetof(c, intercept_misc1), 0x00CU);
    EXPECT_EQ(offsetof(c, intercept_misc2), 0x010U);
    EXPECT_EQ(offsetof(c, intercept_misc3), 0x014U);
    EXPECT_EQ(offsetof(c, pause_filter_threshold), 0x03CU);
    EXPECT_EQ(offsetof(c, pause_filter_count), 0x03EU);
    EXPECT_EQ(offsetof(c, iopm_base_pa), 0x040U);
    EXPECT_EQ(offsetof(c, msrpm_base_pa), 0x048U);
    EXPECT_EQ(offsetof(c, tsc_offset), 0x050U);
    EXPECT_EQ(offsetof(c, guest_asid), 0x058U);
    EXPECT_EQ(offsetof(c, tlb_control), 0x05CU);
    EXPECT_EQ(offsetof(c, v_intr), 0x060U);
    EXPECT_EQ(offsetof(c, interrupt_shadow), 0x068U);
    EXPECT_EQ(offsetof(c, exitcode), 0x070U);
    EXPECT_EQ(offsetof(c, exitinfo1), 0x078U);
    EXPECT_EQ(offsetof(c, exitinfo2), 0x080U);
    EXPECT_EQ(offsetof(c, exitintinfo), 0x088U);
    EXPECT_EQ(offsetof(c, np_enable), 0x090U);
    EXPECT_EQ(offsetof(c, ghcb_pa), 0x0A0U);
    EXPECT_EQ(offsetof(c, eventinj), 0x0A8U);
    EXPECT_EQ(offsetof(c, n_cr3), 0x0B0U);
    EXPECT_EQ(offsetof(c, lbr_virt), 0x0B8U);
    EXPECT_EQ(offsetof(c, vmcb_clean), 0x0C0U);
    EXPECT_EQ(offsetof(c, nrip), 0x0C8U);
    EXPECT_EQ(offsetof(c, guest_insn_count), 0x0D0U);
    EXPECT_EQ(offsetof(c, guest_insn_bytes), 0x0D1U);
    EXPECT_EQ(sizeof(c::guest_insn_bytes), 15U);
    EXPECT_EQ(offsetof(c, reserved_for_host), 0x3E0U);
}

TEST(vmcb, state_save_area_offsets)
{
    using s = amd::vmcb_state;
    const size_t segments[] = {offsetof(s, es),   offsetof(s, cs), offsetof(s, ss),   offsetof(s, ds),
                               offsetof(s, fs),   offsetof(s, gs), offsetof(s, gdtr), offsetof(s, ldtr),
                               offsetof(s, idtr), offsetof(s, tr)};
    for (size_t i = 0; i < std::size(segments); ++i) {
        EXPECT_EQ(state_at(segments[i]), 0x400 + 0x10 * i) << "segment " << i;
    }
    EXPECT_EQ(state_at(offsetof(s, cpl)), 0x4CBU);
    EXPECT_EQ(state_at(offsetof(s, efer)), 0x4D0U);
    EXPECT_EQ(state_at(offsetof(s, cr4)), 0x548U);
    EXPECT_EQ(state_at(offsetof(s, cr3)), 0x550U);
    EXPECT_EQ(state_at(offsetof(s, cr0)), 0x558U);
    EXPECT_EQ(state_at(offsetof(s, dr7)), 0x560U);
    EXPECT_EQ(state_at(offsetof(s, dr6)), 0x568U);
    EXPECT_EQ(state_at(offsetof(s, rflags)), 0x570U);
    EXPECT_EQ(state_at(offsetof(s, rip)), 0x578U);
    EXPECT_EQ(state_at(offsetof(s, rsp)), 0x5D8U);
    EXPECT_EQ(state_at(offsetof(s, rax)), 0x5F8U);
    EXPECT_EQ(state_at(offsetof(s, star)), 0x600U);
    EXPECT_EQ(state_at(offsetof(s, lstar)), 0x608U);
    EXPECT_EQ(state_at(offsetof(s, cstar)), 0x610U);
    EXPECT_EQ(state_at(offsetof(s, sfmask)), 0x618U);
    EXPECT_EQ(state_at(offsetof(s, kernel_gs_base)), 0x620U);
    EXPECT_EQ(state_at(offsetof(s, sysenter_cs)), 0x628U);
    EXPECT_EQ(state_at(offsetof(s, sysenter_esp)), 0x630U);
    EXPECT_EQ(state_at(offsetof(s, sysenter_eip)), 0x638U);
    EXPECT_EQ(state_at(offsetof(s, cr2)), 0x640U);
    EXPECT_EQ(state_at(offsetof(s, g_pat)), 0x668U);
    EXPECT_EQ(state_at(offsetof(s, dbgctl)), 0x670U);
    EXPECT_EQ(state_at(offsetof(s, br_from)), 0x678U);
    EXPECT_EQ(state_at(offsetof(s, br_to)), 0x680U);
    EXPECT_EQ(state_at(offsetof(s, lastexcpfrom)), 0x688U);
    EXPECT_EQ(state_at(offsetof(s, lastexcpto)), 0x690U);
}

TEST(vmcb, fields_land_on_their_bytes)
{
    // Write through the struct, read back through raw bytes at the APM's offsets.
    const auto v = std::make_unique<amd::vmcb>();
    std::memset(v.get(), 0, sizeof(amd::vmcb));
    v->control.exitcode = 0x1111111111111111;
    v->control.n_cr3 = 0x2222222222222000;
    v->control.eventinj = 0x3333333333333333;
    v->state.rip = 0x4444444444444444;
    v->state.rax = 0x5555555555555555;
    v->state.g_pat = 0x0007040600070406;
    v->state.tr.base = 0xFFFFFE0000003000;
    v->control.tlb_control = amd::tlb_ctl::flush_guest;
    v->control.guest_asid = 0xABCD;
    v->state.cpl = 3;
    EXPECT_EQ(raw64(*v, 0x070), 0x1111111111111111U);
    EXPECT_EQ(raw64(*v, 0x0B0), 0x2222222222222000U);
    EXPECT_EQ(raw64(*v, 0x0A8), 0x3333333333333333U);
    EXPECT_EQ(raw64(*v, 0x578), 0x4444444444444444U);
    EXPECT_EQ(raw64(*v, 0x5F8), 0x5555555555555555U);
    EXPECT_EQ(raw64(*v, 0x668), 0x0007040600070406U);
    EXPECT_EQ(raw64(*v, 0x498), 0xFFFFFE0000003000U);
    EXPECT_EQ(raw64(*v, 0x058), 0x000000030000ABCDU) << "ASID in bits 31:0, TLB_CONTROL in bits 39:32";
    EXPECT_EQ(raw64(*v, 0x4C8), 0x0000000003000000U) << "CPL at 0x4CB";
}

TEST(vmcb, cr_and_dr_intercept_bits)
{
    EXPECT_EQ(amd::intercept_cr_read(0), 0x00000001U);
    EXPECT_EQ(amd::intercept_cr_read(3), 0x00000008U);
    EXPECT_EQ(amd::intercept_cr_write(0), 0x00010000U);
    EXPECT_EQ(amd::intercept_cr_write(8), 0x01000000U);
    EXPECT_EQ(amd::intercept_cr_write(15), 0x80000000U);
    EXPECT_EQ(amd::intercept_dr_read(7), 0x00000080U);
    EXPECT_EQ(amd::intercept_dr_write(7), 0x00800000U);
}

TEST(vmcb, misc1_intercepts_match_their_exit_codes)
{
    // The APM numbers exit codes 0x60 + n after the bits of the first misc intercept word.
    namespace i = amd::intercept_misc1;
    namespace e = amd::vmexit;
    const struct {
        uint32_t bit;
        unsigned index;
        uint64_t code;
    } table[] = {
        {i::intr, 0, e::intr},
        {i::nmi, 1, e::nmi},
        {i::smi, 2, e::smi},
        {i::init, 3, e::init},
        {i::vintr, 4, e::vintr},
        {i::cr0_sel_write, 5, e::cr0_sel_write},
        {i::idtr_read, 6, e::idtr_read},
        {i::gdtr_read, 7, e::gdtr_read},
        {i::ldtr_read, 8, e::ldtr_read},
        {i::tr_read, 9, e::tr_read},
        {i::idtr_write, 10, e::idtr_write},
        {i::gdtr_write, 11, e::gdtr_write},
        {i::ldtr_write, 12, e::ldtr_write},
        {i::tr_write, 13, e::tr_write},
        {i::rdtsc, 14, e::rdtsc},
        {i::rdpmc, 15, e::rdpmc},
        {i::pushf, 16, e::pushf},
        {i::popf, 17, e::popf},
        {i::cpuid, 18, e::cpuid},
        {i::rsm, 19, e::rsm},
        {i::iret, 20, e::iret},
        {i::intn, 21, e::swint},
        {i::invd, 22, e::invd},
        {i::pause, 23, e::pause},
        {i::hlt, 24, e::hlt},
        {i::invlpg, 25, e::invlpg},
        {i::invlpga, 26, e::invlpga},
        {i::ioio_prot, 27, e::ioio},
        {i::msr_prot, 28, e::msr},
        {i::task_switch, 29, e::task_switch},
        {i::ferr_freeze, 30, e::ferr_freeze},
        {i::shutdown, 31, e::shutdown},
    };
    for (const auto &row : table) {
        EXPECT_EQ(bit_of(row.bit), row.index);
        EXPECT_EQ(row.code, 0x60U + row.index) << "bit " << row.index;
    }
}

TEST(vmcb, misc2_intercepts_match_their_exit_codes)
{
    namespace i = amd::intercept_misc2;
    namespace e = amd::vmexit;
    const struct {
        uint32_t bit;
        unsigned index;
        uint64_t code;
    } table[] = {
        {i::vmrun, 0, e::vmrun},
        {i::vmmcall, 1, e::vmmcall},
        {i::vmload, 2, e::vmload},
        {i::vmsave, 3, e::vmsave},
        {i::stgi, 4, e::stgi},
        {i::clgi, 5, e::clgi},
        {i::skinit, 6, e::skinit},
        {i::rdtscp, 7, e::rdtscp},
        {i::icebp, 8, e::icebp},
        {i::wbinvd, 9, e::wbinvd},
        {i::monitor, 10, e::monitor},
        {i::mwait, 11, e::mwait},
        {i::mwait_conditional, 12, e::mwait_conditional},
        {i::xsetbv, 13, e::xsetbv},
        {i::rdpru, 14, e::rdpru},
        {i::efer_write_trap, 15, e::efer_write_trap},
    };
    for (const auto &row : table) {
        EXPECT_EQ(bit_of(row.bit), row.index);
        EXPECT_EQ(row.code, 0x80U + row.index) << "bit " << row.index;
    }
}

TEST(vmcb, exit_codes)
{
    namespace e = amd::vmexit;
    EXPECT_EQ(e::cr_read(0), 0x000U);
    EXPECT_EQ(e::cr_read(4), 0x004U);
    EXPECT_EQ(e::cr_write(3), 0x013U);
    EXPECT_EQ(e::cr_write(15), 0x01FU);
    EXPECT_EQ(e::dr_read(7), 0x027U);
    EXPECT_EQ(e::dr_write(6), 0x036U);
    EXPECT_EQ(e::exception(0), 0x040U);
    EXPECT_EQ(e::exception(14), 0x04EU) << "#PF";
    EXPECT_EQ(e::exception(31), 0x05FU);
    EXPECT_EQ(e::intr, 0x060U);
    EXPECT_EQ(e::cpuid, 0x072U);
    EXPECT_EQ(e::hlt, 0x078U);
    EXPECT_EQ(e::ioio, 0x07BU);
    EXPECT_EQ(e::msr, 0x07CU);
    EXPECT_EQ(e::shutdown, 0x07FU);
    EXPECT_EQ(e::vmmcall, 0x081U);
    EXPECT_EQ(e::xsetbv, 0x08DU);
    EXPECT_EQ(e::npf, 0x400U);
    EXPECT_EQ(e::invalid, static_cast<uint64_t>(-1));
}

TEST(vmcb, eventinj_encodings)
{
    namespace t = amd::event_type;
    // #GP(0): exception with an error code of zero.
    EXPECT_EQ(amd::eventinj(13, t::exception, true, 0), 0x0000000080000B0DU);
    // #PF with error code 0x2 (write to a non-present page).
    EXPECT_EQ(amd::eventinj(14, t::exception, true, 0x2), 0x0000000280000B0EU);
    // #UD carries no error code.
    EXPECT_EQ(amd::eventinj(6, t::exception, false, 0), 0x0000000080000306U);
    // NMI is vector 2, type 2.
    EXPECT_EQ(amd::eventinj(2, t::nmi, false, 0), 0x0000000080000202U);
    // An external interrupt, vector 0x20.
    EXPECT_EQ(amd::eventinj(0x20, t::intr, false, 0), 0x0000000080000020U);
    // INT 0x80 as a software interrupt.
    EXPECT_EQ(amd::eventinj(0x80, t::soft_int, false, 0), 0x0000000080000480U);
    // Without has_error the error code is dropped; the type is cut to its 3 bits.
    EXPECT_EQ(amd::eventinj(6, t::exception, false, 0xDEAD), amd::eventinj(6, t::exception, false, 0));
    EXPECT_EQ(amd::eventinj(0xFF, 0xFB, true, 0xFFFFFFFF), 0xFFFFFFFF80000BFFU);
    static_assert(amd::eventinj(8, amd::event_type::exception, true, 0) == 0x80000B08ULL, "usable at compile time");
}

TEST(vmcb, after_an_nmi_exit_the_nmi_is_injected)
{
    bool owed = true;
    EXPECT_EQ(amd::eventinj_after_nmi_exit(0, owed), 0x0000000080000202U);
    EXPECT_FALSE(owed);
    // An invalid EXITINTINFO is ignored whatever else it holds.
    EXPECT_EQ(amd::eventinj_after_nmi_exit(0x0000000000000B0EU, owed), 0x0000000080000202U);
    EXPECT_FALSE(owed);
}

TEST(vmcb, after_an_nmi_exit_a_cut_short_event_goes_first_and_the_nmi_is_owed)
{
    namespace t = amd::event_type;
    bool owed = false;
    // A #PF with error code 2 whose delivery the exit cut short: re-delivered as it was, reserved bits dropped.
    EXPECT_EQ(amd::eventinj_after_nmi_exit(amd::eventinj(14, t::exception, true, 2) | 0x7FFFF000U, owed),
              amd::eventinj(14, t::exception, true, 2));
    EXPECT_TRUE(owed);
    EXPECT_EQ(amd::eventinj_after_nmi_exit(amd::eventinj(0x30, t::intr, false, 0), owed), 0x0000000080000030U);
    EXPECT_TRUE(owed);
    EXPECT_EQ(amd::eventinj_after_nmi_exit(amd::eventinj(1, t::exception, false, 0), owed), 0x0000000080000301U);
    EXPECT_TRUE(owed) << "#DB is an exception like any other";
}

TEST(vmcb, after_an_nmi_exit_software_events_run_again_instead)
{
    namespace t = amd::event_type;
    bool owed = true;
    EXPECT_EQ(amd::eventinj_after_nmi_exit(amd::eventinj(0x80, t::soft_int, false, 0), owed), 0x0000000080000202U);
    EXPECT_FALSE(owed) << "INT 0x80 runs again after the NMI";
    owed = true;
    EXPECT_EQ(amd::eventinj_after_nmi_exit(amd::eventinj(3, t::exception, false, 0), owed), 0x0000000080000202U);
    EXPECT_FALSE(owed) << "INT3";
    owed = true;
    EXPECT_EQ(amd::eventinj_after_nmi_exit(amd::eventinj(4, t::exception, false, 0), owed), 0x0000000080000202U);
    EXPECT_FALSE(owed) << "INTO";
}

TEST(vmcb, tlb_control_and_msrs)
{
    EXPECT_EQ(amd::tlb_ctl::nothing, 0U);
    EXPECT_EQ(amd::tlb_ctl::flush_all, 1U);
    EXPECT_EQ(amd::tlb_ctl::flush_guest, 3U);
    EXPECT_EQ(amd::tlb_ctl::flush_guest_non_global, 7U);
    EXPECT_EQ(amd::msr::efer, 0xC0000080U);
    EXPECT_EQ(amd::msr::vm_cr, 0xC0010114U);
    EXPECT_EQ(amd::msr::vm_hsave_pa, 0xC0010117U);
    EXPECT_EQ(amd::efer_svme, 0x1000U);
    EXPECT_EQ(amd::vm_cr_svmdis, 0x10U);
    EXPECT_EQ(amd::vm_cr_lock, 0x8U);
}

TEST(vmcb, other_control_bits)
{
    EXPECT_EQ(amd::v_irq, 0x100U);
    EXPECT_EQ(amd::v_intr_masking, 0x1000000U);
    EXPECT_EQ(uint64_t{0x30} << amd::v_intr_vector_shift, 0x3000000000U);
    EXPECT_EQ(amd::np_enable_bit, 1U);
    EXPECT_EQ(amd::interrupt_shadow_bit, 1U);
    EXPECT_EQ(amd::clean::intercepts, 1U);
    EXPECT_EQ(amd::clean::np, 0x10U);
    EXPECT_EQ(amd::clean::seg, 0x100U);
    EXPECT_EQ(amd::clean::avic, 0x800U);
    EXPECT_EQ(amd::iopm_size, 3 * 4096U);
    EXPECT_EQ(amd::msrpm_size, 2 * 4096U);
}

TEST(vmcb, a_queued_virtual_interrupt_sets_v_irq_its_priority_and_vector)
{
    // V_TPR 0x5 (bits 3:0) and V_INTR_MASKING stay; V_IRQ, priority 0x3, V_IGN_TPR, vector 0x31.
    const uint64_t v = amd::v_intr_queue(amd::v_intr_masking | 0x5, 0x31);
    EXPECT_EQ(v, amd::v_intr_masking | 0x5 | amd::v_irq | (0x3ULL << 16) | amd::v_ign_tpr | (0x31ULL << 32));
    EXPECT_EQ(v, 0x3101130105ULL);
    EXPECT_EQ(amd::v_ign_tpr, 1ULL << 20);
    EXPECT_EQ(amd::v_intr_prio_shift, 16U);
    // An older vector and priority are replaced; the guest's bits elsewhere stay.
    const uint64_t again = amd::v_intr_queue(v | (1ULL << 40), 0xFF);
    EXPECT_EQ(again, amd::v_intr_masking | 0x5 | (1ULL << 40) | amd::v_irq | (0xFULL << 16) | amd::v_ign_tpr |
                         (0xFFULL << 32));
    EXPECT_EQ(amd::v_intr_queue(0x3101130105ULL, 0x20), 0x2001120105ULL) << "priority 2 over 3, vector 0x20";
    EXPECT_EQ(amd::v_intr_queue(0, 0x0F), amd::v_irq | amd::v_ign_tpr | (0xFULL << 32)) << "priority 0";
}

}  // namespace
