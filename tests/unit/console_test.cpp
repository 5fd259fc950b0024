// SPDX-License-Identifier: MIT
#include "fake_port_io.hpp"

#include <microv/mk_loader.h>
#include <mk/console.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using test::fake_port_io;
using console = mk::console<fake_port_io>;

class console_test : public ::testing::Test {
protected:
    void SetUp() override { fake_port_io::reset(); }

    std::string ring_text()
    {
        std::string out(64, '\0');
        uint64_t lost = 0;
        out.resize(mv_debug_ring_read(m_ring.get(), out.data(), out.size(), &lost));
        return out;
    }

    std::unique_ptr<mv_debug_ring> m_ring = std::make_unique<mv_debug_ring>();
};

TEST_F(console_test, writes_go_to_serial_and_ring)
{
    console c;
    c.init(m_ring.get(), 0x3F8, 115200);
    ASSERT_TRUE(c.serial_ok());
    fake_port_io::writes.clear();
    c.write("hi\n");
    EXPECT_EQ(ring_text(), "hi\n");
    EXPECT_EQ(fake_port_io::writes.size(), 4U);  // h i \r \n
    EXPECT_TRUE(c.serial_ok());
}

TEST_F(console_test, the_ring_works_without_serial)
{
    console c;
    c.init(m_ring.get(), 0x3F8, 7);  // a rate the UART cannot do
    EXPECT_FALSE(c.serial_ok());
    c.write("kept");
    EXPECT_EQ(ring_text(), "kept");
    EXPECT_TRUE(fake_port_io::writes.empty());
}

TEST_F(console_test, port_zero_means_no_serial)
{
    console c;
    c.init(m_ring.get(), 0, 115200);
    EXPECT_FALSE(c.serial_ok());
    c.write("x");
    EXPECT_TRUE(fake_port_io::writes.empty());
    EXPECT_EQ(ring_text(), "x");
}

TEST_F(console_test, a_dead_serial_port_is_given_up_after_one_timeout)
{
    console c;
    c.init(m_ring.get(), 0x3F8, 115200);
    ASSERT_TRUE(c.serial_ok());
    fake_port_io::on_read = [](uint16_t) -> uint8_t { return 0x00; };
    c.write("a");
    EXPECT_FALSE(c.serial_ok());
    const auto reads = fake_port_io::reads;
    c.write("bcd");
    EXPECT_EQ(fake_port_io::reads, reads) << "no more polling once the port is known dead";
    EXPECT_EQ(ring_text(), "abcd");
}

}  // namespace
