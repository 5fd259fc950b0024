// SPDX-License-Identifier: MIT
#include <mk/x64/amd/exit_record.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

namespace {

namespace abi = mk::abi;
namespace amd = mk::amd;
using reason = abi::exit_reason;

struct exit_test : ::testing::Test {
    std::unique_ptr<amd::vmcb> v = std::make_unique<amd::vmcb>();

    abi::exit_record record(uint64_t code, uint64_t info1 = 0, uint64_t info2 = 0, bool nrip_save = false)
    {
        v->control.exitcode = code;
        v->control.exitinfo1 = info1;
        v->control.exitinfo2 = info2;
        return amd::exit_record_of(*v, nrip_save);
    }
};

TEST_F(exit_test, reasons)
{
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::cpuid, 0), reason::cpuid);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::msr, 0), reason::msr_read);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::msr, 1), reason::msr_write);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::ioio, 0), reason::io);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::vmmcall, 0), reason::hypercall);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::invd, 0), reason::invd);
    for (const uint64_t c : {amd::vmexit::vmrun, amd::vmexit::vmload, amd::vmexit::vmsave, amd::vmexit::stgi,
                             amd::vmexit::clgi, amd::vmexit::skinit, amd::vmexit::invlpga}) {
        EXPECT_EQ(amd::exit_reason_of(c, 0), reason::virtualization_insn) << c;
    }
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::npf, 0), reason::nested_page_fault);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::shutdown, 0), reason::triple_fault);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::invalid, 0), reason::entry_failed);
    EXPECT_EQ(amd::exit_reason_of(0xFFFFFFFFULL, 0), reason::entry_failed);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::hlt, 0), reason::hlt);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::intr, 0), reason::interrupt);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::nmi, 0), reason::nmi);
    EXPECT_EQ(amd::exit_reason_of(amd::vmexit::pause, 0), reason::unknown);
}

TEST_F(exit_test, instruction_length_without_nrip_save)
{
    v->state.rip = 0x1000;
    EXPECT_EQ(record(amd::vmexit::cpuid).insn_length, 2U);
    EXPECT_EQ(record(amd::vmexit::msr).insn_length, 2U);
    EXPECT_EQ(record(amd::vmexit::invd).insn_length, 2U);
    EXPECT_EQ(record(amd::vmexit::vmmcall).insn_length, 3U);
    EXPECT_EQ(record(amd::vmexit::invlpga).insn_length, 3U);
    EXPECT_EQ(record(amd::vmexit::hlt).insn_length, 1U);
    EXPECT_EQ(record(amd::vmexit::npf).insn_length, 0U) << "not an instruction's exit";
    // IOIO: EXITINFO2 is the next RIP, with or without NRIP save.
    EXPECT_EQ(record(amd::vmexit::ioio, 0, 0x1002).insn_length, 2U);
    EXPECT_EQ(record(amd::vmexit::ioio, 0, 0x1000).insn_length, 0U) << "no progress: unknown";
    EXPECT_EQ(record(amd::vmexit::ioio, 0, 0x1010).insn_length, 0U) << "longer than any instruction";
    EXPECT_EQ(record(amd::vmexit::ioio, 0, 0xFFF).insn_length, 0U) << "behind RIP";
}

TEST_F(exit_test, every_exit_whose_opcode_is_fixed_has_its_length)
{
    namespace x = amd::vmexit;
    // 0F A2, 0F 32/30, 0F 31, F3 90, 0F 08, 0F 09; 0F 01 D9/DA/DB/DC/DD/DE/DF/F9/C8/C9/D1; F4.
    for (const uint64_t c : {x::cpuid, x::msr, x::rdtsc, x::pause, x::invd, x::wbinvd}) {
        EXPECT_EQ(amd::fixed_insn_length(c), 2U) << c;
    }
    for (const uint64_t c : {x::vmmcall, x::vmrun, x::vmload, x::vmsave, x::stgi, x::clgi, x::skinit, x::invlpga,
                             x::rdtscp, x::monitor, x::mwait, x::xsetbv}) {
        EXPECT_EQ(amd::fixed_insn_length(c), 3U) << c;
    }
    EXPECT_EQ(amd::fixed_insn_length(x::hlt), 1U);
    EXPECT_EQ(amd::fixed_insn_length(x::ioio), 0U) << "IN/OUT vary: EXITINFO2 says";
    EXPECT_EQ(amd::fixed_insn_length(x::npf), 0U);
}

TEST_F(exit_test, instruction_length_with_nrip_save)
{
    v->state.rip = 0x2000;
    v->control.nrip = 0x2005;
    EXPECT_EQ(record(amd::vmexit::cpuid, 0, 0, true).insn_length, 5U) << "NRIP wins (prefixes)";
    EXPECT_EQ(record(amd::vmexit::cpuid, 0, 0, false).insn_length, 2U) << "NRIP not reported: not used";
    v->control.nrip = 0;
    EXPECT_EQ(record(amd::vmexit::cpuid, 0, 0, true).insn_length, 2U) << "no NRIP on this exit";
    v->control.nrip = 0x2020;
    EXPECT_EQ(record(amd::vmexit::cpuid, 0, 0, true).insn_length, 0U);
}

TEST_F(exit_test, io_qualification)
{
    // IN AL, 0x3F8 with REP: type IN (bit 0), REP (3), SZ8 (4), port in 31:16.
    const uint64_t in8 = (0x3F8ULL << 16) | (1U << 4) | (1U << 3) | 1U;
    EXPECT_EQ(record(amd::vmexit::ioio, in8).qualification, abi::io_qualification(0x3F8, 1, true, false, true));
    // OUTSD: STR (2), SZ32 (6).
    const uint64_t outs32 = (0x80ULL << 16) | (1U << 6) | (1U << 2);
    EXPECT_EQ(amd::io_qualification_of(outs32), abi::io_qualification(0x80, 4, false, true, false));
    EXPECT_EQ(amd::io_qualification_of((0x60ULL << 16) | (1U << 5)),
              abi::io_qualification(0x60, 2, false, false, false));
    EXPECT_EQ(abi::io_size(amd::io_qualification_of(0)), 0U) << "no size bit: no known size";
    // The address size of a string form: A16 (7), A32 (8), A64 (9).
    EXPECT_EQ(abi::io_addr_size(amd::io_qualification_of(outs32 | (1U << 7))), 2U);
    EXPECT_EQ(abi::io_addr_size(amd::io_qualification_of(outs32 | (1U << 8))), 4U);
    EXPECT_EQ(abi::io_addr_size(amd::io_qualification_of(outs32 | (1U << 9))), 8U);
    EXPECT_EQ(abi::io_addr_size(amd::io_qualification_of(outs32)), 0U);
    EXPECT_EQ(abi::io_port(amd::io_qualification_of(outs32 | (1U << 9))), 0x80U);
}

TEST_F(exit_test, nested_page_fault)
{
    const abi::exit_record r = record(amd::vmexit::npf, (1ULL << 32) | 0x7, 0x1234000);
    EXPECT_EQ(r.gpa, 0x1234000U);
    EXPECT_EQ(r.qualification, abi::npf_write | abi::npf_present | abi::npf_user);
    EXPECT_EQ(amd::npf_qualification_of(0), abi::npf_read);
    EXPECT_EQ(amd::npf_qualification_of(1U << 4), abi::npf_fetch);
    EXPECT_EQ(amd::npf_qualification_of(1ULL << 33), abi::npf_read | abi::npf_page_walk);
    EXPECT_EQ(record(amd::vmexit::cpuid, 0, 0x1234000).gpa, 0U) << "only a nested page fault has one";
}

TEST_F(exit_test, cpl_pending_event_and_the_cpus_own_words)
{
    v->state.cpl = 3;
    v->control.exitintinfo = 0xFFFFFFFF00000000ULL | amd::eventinj_valid | amd::eventinj_ev | (3U << 8) | 14U |
                             (1ULL << 20);  // a reserved bit set
    const abi::exit_record r = record(amd::vmexit::npf, 0x5, 0x9000);
    EXPECT_EQ(r.cpl, 3U);
    EXPECT_EQ(r.pending_event, abi::event(14, abi::event_kind::exception, true, 0xFFFFFFFFU));
    EXPECT_EQ(r.reason, static_cast<uint64_t>(reason::nested_page_fault));
    EXPECT_EQ(r.vendor_reason, amd::vmexit::npf);
    EXPECT_EQ(r.vendor_info0, 0x5U);
    EXPECT_EQ(r.vendor_info1, 0x9000U);
    EXPECT_EQ(r.gla, 0U) << "SVM gives no linear address";
    v->control.exitintinfo = 0x0000001000000B0EULL;  // not valid
    EXPECT_EQ(record(amd::vmexit::npf).pending_event, 0U);
}

}  // namespace
