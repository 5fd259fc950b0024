// SPDX-License-Identifier: MIT
#include <mk/x64/amd/iopm.hpp>
#include <mk/x64/amd/vmcb.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

TEST(iopm, is_the_size_the_apm_gives)
{
    EXPECT_EQ(mk::amd::iopm_bytes, 12288U);
    EXPECT_EQ(mk::amd::iopm_bytes, mk::amd::iopm_size);
}

TEST(iopm, a_uart_is_eight_ports_and_nothing_else)
{
    std::vector<uint8_t> map(mk::amd::iopm_bytes, 0);
    mk::amd::iopm_intercept(map.data(), 0x3F8, 8);
    for (uint32_t port = 0; port <= 0xFFFF; ++port) {
        EXPECT_EQ(mk::amd::iopm_intercepted(map.data(), static_cast<uint16_t>(port)), port >= 0x3F8 && port < 0x400)
            << std::hex << port;
    }
    EXPECT_EQ(map[0x3F8 / 8], 0xFFU) << "bit n of byte n/8 (0x3F8 is byte 0x7F)";
}

TEST(iopm, stops_at_the_last_port)
{
    std::vector<uint8_t> map(mk::amd::iopm_bytes, 0);
    mk::amd::iopm_intercept(map.data(), 0xFFFC, 8);
    EXPECT_TRUE(mk::amd::iopm_intercepted(map.data(), 0xFFFF));
    EXPECT_EQ(map[0x2000], 0U) << "nothing past port 0xFFFF";
}

}  // namespace
