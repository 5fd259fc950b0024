// SPDX-License-Identifier: MIT
#include "fake_port_io.hpp"

#include <mk/uart.hpp>

#include <gtest/gtest.h>

namespace {

using test::fake_port_io;
using uart = mk::uart<fake_port_io>;

class uart_test : public ::testing::Test {
protected:
    void SetUp() override { fake_port_io::reset(); }
};

TEST_F(uart_test, init_programs_8n1_at_the_asked_rate)
{
    ASSERT_TRUE(uart{0x3F8}.init(9600));
    const std::vector<test::port_write> expected = {
        {0x3F9, 0x00}, {0x3FB, 0x80}, {0x3F8, 12}, {0x3F9, 0}, {0x3FB, 0x03}, {0x3FA, 0xC7}, {0x3FC, 0x03},
    };
    EXPECT_EQ(fake_port_io::writes, expected);
}

TEST_F(uart_test, init_115200_uses_divisor_1)
{
    ASSERT_TRUE(uart{0x2F8}.init(115200));
    EXPECT_EQ(fake_port_io::writes[2], (test::port_write{0x2F8, 1}));
    EXPECT_EQ(fake_port_io::writes[3], (test::port_write{0x2F9, 0}));
}

TEST_F(uart_test, init_50_baud_needs_the_divisor_high_byte)
{
    ASSERT_TRUE(uart{0x3F8}.init(50));  // divisor 2304 = 0x0900
    EXPECT_EQ(fake_port_io::writes[2], (test::port_write{0x3F8, 0x00}));
    EXPECT_EQ(fake_port_io::writes[3], (test::port_write{0x3F9, 0x09}));
}

TEST_F(uart_test, init_refuses_rates_the_divisor_cannot_express)
{
    for (const uint32_t baud : {0U, 115201U, 1000000U, 7U}) {
        EXPECT_FALSE(uart{0x3F8}.init(baud)) << baud;
    }
    EXPECT_TRUE(fake_port_io::writes.empty());
}

TEST_F(uart_test, put_waits_for_the_transmitter)
{
    int busy = 3;
    fake_port_io::on_read = [&](uint16_t port) -> uint8_t {
        EXPECT_EQ(port, 0x3FD);
        return busy-- > 0 ? 0x00 : 0x20;
    };
    EXPECT_TRUE(uart{0x3F8}.put('x'));
    EXPECT_EQ(fake_port_io::reads, 4U);
    ASSERT_EQ(fake_port_io::writes.size(), 1U);
    EXPECT_EQ(fake_port_io::writes[0], (test::port_write{0x3F8, 'x'}));
}

TEST_F(uart_test, a_stuck_transmitter_drops_the_character_instead_of_hanging)
{
    fake_port_io::on_read = [](uint16_t) -> uint8_t { return 0x00; };
    EXPECT_FALSE(uart{0x3F8}.put('x'));
    EXPECT_EQ(fake_port_io::reads, uart::max_polls);
    EXPECT_TRUE(fake_port_io::writes.empty());
}

TEST_F(uart_test, write_turns_newline_into_crlf)
{
    EXPECT_TRUE(uart{0x3F8}.write("a\nb"));
    const std::vector<test::port_write> expected = {{0x3F8, 'a'}, {0x3F8, '\r'}, {0x3F8, '\n'}, {0x3F8, 'b'}};
    EXPECT_EQ(fake_port_io::writes, expected);
}

TEST_F(uart_test, write_stops_at_the_first_dropped_character)
{
    fake_port_io::on_read = [](uint16_t) -> uint8_t { return 0x00; };
    EXPECT_FALSE(uart{0x3F8}.write("abc"));
    EXPECT_EQ(fake_port_io::reads, uart::max_polls);
    fake_port_io::reset();
    fake_port_io::on_read = [](uint16_t) -> uint8_t { return 0x00; };
    EXPECT_FALSE(uart{0x3F8}.write("\n"));
    EXPECT_EQ(fake_port_io::reads, uart::max_polls) << "a dropped '\\r' must not send the '\\n'";
}

}  // namespace
