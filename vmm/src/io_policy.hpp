// SPDX-License-Identifier: MIT
// The root VM's port I/O that exits to MicroV: only the ports of MicroV's own UART do (the
// microkernel's I/O permission map), and the root VM finds no device there: reads float high,
// writes go nowhere (finding 10 of the isolation issue: the root could reprogram or silence
// MicroV's serial port). String forms are refused with #GP: emulating them would mean walking the
// root VM's memory for a device it does not have. Pure logic, no hardware access.
#pragma once

#include <mk/exit_abi.hpp>

#include <stdint.h>

namespace vmm {

/// One IN/OUT/INS/OUTS as the io exit's qualification describes it (mk/exit_abi.hpp).
struct io_access {
    uint16_t port;
    uint8_t size;  // 1, 2 or 4 bytes; anything else is no known size
    bool in;
    bool string;
    bool rep;
};

constexpr io_access decode_io(uint64_t q) noexcept
{
    return {mk::abi::io_port(q), mk::abi::io_size(q), (q & mk::abi::io_in) != 0, (q & mk::abi::io_string) != 0,
            (q & mk::abi::io_rep) != 0};
}

enum class io_action {
    in_all_ones,  // IN: the bytes read are all ones (no device answers)
    out_dropped,  // OUT: nothing happens
    inject_gp     // string I/O, or an access of no known size
};

constexpr io_action root_io(const io_access &a) noexcept
{
    if (a.string || (a.size != 1 && a.size != 2 && a.size != 4)) {
        return io_action::inject_gp;
    }
    return a.in ? io_action::in_all_ones : io_action::out_dropped;
}

/// RAX after an IN of `size` bytes that read all ones: AL and AX keep the rest of RAX, EAX
/// clears the upper half as every 32-bit destination does.
constexpr uint64_t in_all_ones_rax(uint64_t rax, uint8_t size) noexcept
{
    if (size == 1) {
        return rax | 0xFFU;
    }
    if (size == 2) {
        return rax | 0xFFFFU;
    }
    return 0xFFFFFFFFU;
}

}  // namespace vmm
