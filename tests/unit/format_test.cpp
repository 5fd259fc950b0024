// SPDX-License-Identifier: MIT
#include <mk/format.hpp>

#include <gtest/gtest.h>

namespace {

TEST(format, hex64)
{
    char buf[19];
    EXPECT_STREQ(mk::format_hex64(0, buf), "0x0000000000000000");
    EXPECT_STREQ(mk::format_hex64(0xDEADBEEF, buf), "0x00000000deadbeef");
    EXPECT_STREQ(mk::format_hex64(0xFFFFFFFFFFFFFFFFULL, buf), "0xffffffffffffffff");
    EXPECT_STREQ(mk::format_hex64(0x0123456789ABCDEFULL, buf), "0x0123456789abcdef");
}

TEST(format, dec64)
{
    char buf[21];
    EXPECT_STREQ(mk::format_dec64(0, buf), "0");
    EXPECT_STREQ(mk::format_dec64(7, buf), "7");
    EXPECT_STREQ(mk::format_dec64(1234567890, buf), "1234567890");
    EXPECT_STREQ(mk::format_dec64(18446744073709551615ULL, buf), "18446744073709551615");
}

TEST(format, join_builds_one_line_and_truncates)
{
    char line[16];
    EXPECT_STREQ(mk::join(line, "pp ", "0x0001", "\n"), "pp 0x0001\n");
    EXPECT_STREQ(mk::join(line, "0123456789", "abcdefghij"), "0123456789abcde") << "15 characters and the NUL";
    char one[1];
    EXPECT_STREQ(mk::join(one, "x"), "");
    EXPECT_STREQ(mk::join(line, ""), "");
}

}  // namespace
