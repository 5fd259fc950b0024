// SPDX-License-Identifier: MIT
// x86 port I/O: the seam between hardware and the code that drives it. Ring-0 code uses
// x64::port_io; host unit tests substitute a fake with the same two static functions.
#pragma once

#include <stdint.h>

namespace mk::x64 {

struct port_io {
    static void out8(uint16_t port, uint8_t value) { asm volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }

    static uint8_t in8(uint16_t port)
    {
        uint8_t value = 0;
        asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
        return value;
    }
};

}  // namespace mk::x64
