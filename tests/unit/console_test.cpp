// SPDX-License-Identifier: MIT
#include "fake_port_io.hpp"

#include <mk/console.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using test::fake_port_io;
using console = mk::console<fake_port_io, 64>;

std::string ring_text(const console &c)
{
    std::string out(64, '\0');
    out.resize(c.ring().copy(out.data(), out.size()));
    return out;
}

class console_test : public ::testing::Test {
protected:
    void SetUp() override { fake_port_io::reset(); }
};

TEST_F(console_test, writes_go_to_serial_and_ring)
{
    console c{0x3F8};
    ASSERT_TRUE(c.init(115200));
    fake_port_io::writes.clear();
    c.write("hi\n");
    EXPECT_EQ(ring_text(c), "hi\n");
    EXPECT_EQ(fake_port_io::writes.size(), 4U);  // h i \r \n
    EXPECT_TRUE(c.serial_ok());
}

TEST_F(console_test, the_ring_works_without_serial)
{
    console c{0x3F8};
    EXPECT_FALSE(c.init(0));
    c.write("kept");
    EXPECT_EQ(ring_text(c), "kept");
    EXPECT_TRUE(fake_port_io::writes.empty());
}

TEST_F(console_test, a_dead_serial_port_is_given_up_after_one_timeout)
{
    console c{0x3F8};
    ASSERT_TRUE(c.init(115200));
    fake_port_io::on_read = [](uint16_t) -> uint8_t { return 0x00; };
    c.write("a");
    EXPECT_FALSE(c.serial_ok());
    const auto reads = fake_port_io::reads;
    c.write("bcd");
    EXPECT_EQ(fake_port_io::reads, reads) << "no more polling once the port is known dead";
    EXPECT_EQ(ring_text(c), "abcd");
}

}  // namespace
