// SPDX-License-Identifier: MIT
// A fake of mk::x64::port_io for host tests: records every write and serves reads from a script.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace test {

struct port_write {
    uint16_t port;
    uint8_t value;
    bool operator==(const port_write &) const = default;
};

struct fake_port_io {
    static inline std::vector<port_write> writes;
    static inline std::function<uint8_t(uint16_t)> on_read = [](uint16_t) -> uint8_t { return 0xFF; };
    static inline uint64_t reads = 0;

    static void reset()
    {
        writes.clear();
        reads = 0;
        on_read = [](uint16_t) -> uint8_t { return 0xFF; };
    }
    static void out8(uint16_t port, uint8_t value) { writes.push_back({port, value}); }
    static uint8_t in8(uint16_t port)
    {
        ++reads;
        return on_read(port);
    }
};

}  // namespace test
