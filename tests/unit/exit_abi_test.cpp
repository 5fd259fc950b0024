// SPDX-License-Identifier: MIT
#include <mk/exit_abi.hpp>

#include <gtest/gtest.h>

#include <cstdint>

namespace {

namespace abi = mk::abi;
using abi::event_kind;

TEST(exit_abi, the_record_follows_the_general_registers_in_the_tls_block)
{
    EXPECT_EQ(abi::tls_offset_exit_reason, 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, qualification), abi::tls_offset_exit_qualification - 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, gpa), abi::tls_offset_exit_gpa - 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, gla), abi::tls_offset_exit_gla - 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, insn_length), abi::tls_offset_exit_insn_length - 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, cpl), abi::tls_offset_exit_cpl - 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, pending_event), abi::tls_offset_exit_pending_event - 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, vendor_reason), abi::tls_offset_exit_vendor_reason - 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, vendor_info0), abi::tls_offset_exit_vendor_info0 - 0x880U);
    EXPECT_EQ(offsetof(abi::exit_record, vendor_info1), abi::tls_offset_exit_vendor_info1 - 0x880U);
    EXPECT_LT(abi::tls_offset_exit_vendor_info1 + 8, 0xFF0U) << "below the IDs of what is active";
}

TEST(exit_abi, io_qualification_round_trips)
{
    const uint64_t q = abi::io_qualification(0x3F8, 2, true, false, true);
    EXPECT_EQ(q, 0x3F8U | (2ULL << 16) | abi::io_in | abi::io_rep);
    EXPECT_EQ(abi::io_port(q), 0x3F8U);
    EXPECT_EQ(abi::io_size(q), 2U);
    EXPECT_EQ(abi::io_qualification(0xFFFF, 4, false, true, false), 0xFFFFU | (4ULL << 16) | abi::io_string);
}

TEST(exit_abi, event_words)
{
    EXPECT_EQ(abi::event(13, event_kind::exception, true, 0x10), 0x0000001080000B0DU);
    EXPECT_EQ(abi::event(2, event_kind::nmi, false, 0), 0x80000202U);
    EXPECT_EQ(abi::event(0x30, event_kind::external_interrupt, false, 0), 0x80000030U);
    EXPECT_EQ(abi::event_vector(0x80000B0DU), 13U);
    EXPECT_EQ(abi::event_kind_of(0x80000B0DU), 3U);
}

TEST(exit_abi, injectable_events)
{
    EXPECT_TRUE(abi::event_injectable(abi::event(13, event_kind::exception, true, 0)));
    EXPECT_TRUE(abi::event_injectable(abi::event(6, event_kind::exception, false, 0)));
    EXPECT_TRUE(abi::event_injectable(abi::event(31, event_kind::exception, false, 0)));
    EXPECT_TRUE(abi::event_injectable(abi::event(2, event_kind::nmi, false, 0)));
    EXPECT_TRUE(abi::event_injectable(abi::event(16, event_kind::external_interrupt, false, 0)));
    EXPECT_TRUE(abi::event_injectable(abi::event(255, event_kind::external_interrupt, false, 0)));
    EXPECT_TRUE(abi::event_injectable(abi::event(0x80, event_kind::software_interrupt, false, 0)));

    EXPECT_FALSE(abi::event_injectable(0)) << "not valid";
    EXPECT_FALSE(abi::event_injectable(abi::event(13, event_kind::exception, true, 0) & ~abi::event_valid));
    EXPECT_FALSE(abi::event_injectable(abi::event(32, event_kind::exception, false, 0))) << "not an exception vector";
    EXPECT_FALSE(abi::event_injectable(abi::event(2, event_kind::exception, false, 0))) << "NMI as an exception";
    EXPECT_FALSE(abi::event_injectable(abi::event(3, event_kind::nmi, false, 0))) << "an NMI on vector 3";
    EXPECT_FALSE(abi::event_injectable(abi::event(2, event_kind::nmi, true, 0))) << "an NMI with an error code";
    EXPECT_FALSE(abi::event_injectable(abi::event(15, event_kind::external_interrupt, false, 0)));
    EXPECT_FALSE(abi::event_injectable(abi::event(0x30, event_kind::external_interrupt, true, 0)));
    EXPECT_FALSE(abi::event_injectable(abi::event(0x80, event_kind::software_interrupt, true, 0)));
    EXPECT_FALSE(abi::event_injectable(abi::event(6, event_kind::exception, false, 0) | (1ULL << 32)))
        << "an error code without its bit";
    EXPECT_FALSE(abi::event_injectable(abi::event(6, event_kind::exception, false, 0) | (1ULL << 12)))
        << "a reserved bit";
    EXPECT_FALSE(abi::event_injectable(0x80000100U)) << "kind 1 is reserved";
    EXPECT_FALSE(abi::event_injectable(0x80000506U)) << "kind 5";
    EXPECT_FALSE(abi::event_injectable(0x80000706U)) << "kind 7";
}

}  // namespace
