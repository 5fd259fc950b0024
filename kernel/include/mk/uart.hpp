// SPDX-License-Identifier: MIT
// A 16550-compatible UART, polled: the microkernel's serial console. No interrupts, no FIFO
// reliance beyond the transmit-holding-register-empty bit, so it works on any PC serial port.
#pragma once

#include <stdint.h>

namespace mk {

/// A 16550 takes 8 ports from its base.
inline constexpr uint16_t uart_ports = 8;

template <class Io>
class uart {
public:
    // Register offsets from the base port, and the bits used (16550 data sheet).
    static constexpr uint16_t thr = 0;  // transmit holding (DLAB=0) / divisor low (DLAB=1)
    static constexpr uint16_t ier = 1;  // interrupt enable / divisor high (DLAB=1)
    static constexpr uint16_t fcr = 2;  // FIFO control
    static constexpr uint16_t lcr = 3;  // line control
    static constexpr uint16_t mcr = 4;  // modem control
    static constexpr uint16_t lsr = 5;  // line status
    static constexpr uint8_t lcr_dlab = 0x80;
    static constexpr uint8_t lcr_8n1 = 0x03;
    static constexpr uint8_t lsr_thr_empty = 0x20;
    static constexpr uint32_t base_clock = 115200;
    // How long to wait for the transmitter before a character is dropped: a missing or stuck
    // UART must never hang the hypervisor.
    static constexpr uint32_t max_polls = 100000;

    explicit constexpr uart(uint16_t base) noexcept : m_base{base} {}

    /// Programs 8N1 at the given baud rate with FIFOs on and interrupts off.
    /// Returns false for a rate the divisor cannot express (0, above 115200, or not a divisor of it).
    bool init(uint32_t baud) const noexcept
    {
        if (baud == 0 || baud > base_clock || base_clock % baud != 0) {
            return false;
        }
        const uint32_t divisor = base_clock / baud;
        Io::out8(port(ier), 0x00);                                         // interrupts off
        Io::out8(port(lcr), lcr_dlab);                                     // reach the divisor latch
        Io::out8(port(thr), static_cast<uint8_t>(divisor & 0xFF));         // divisor, low byte
        Io::out8(port(ier), static_cast<uint8_t>((divisor >> 8) & 0xFF));  // divisor, high byte
        Io::out8(port(lcr), lcr_8n1);                                      // 8 data bits, no parity, 1 stop
        Io::out8(port(fcr), 0xC7);                                         // FIFOs on and cleared
        Io::out8(port(mcr), 0x03);                                         // DTR and RTS
        return true;
    }

    /// Sends one character; returns false when the transmitter never became ready.
    bool put(char c) const noexcept
    {
        for (uint32_t i = 0; i < max_polls; ++i) {
            if ((Io::in8(port(lsr)) & lsr_thr_empty) != 0) {
                Io::out8(port(thr), static_cast<uint8_t>(c));
                return true;
            }
        }
        return false;
    }

    /// Sends a NUL-terminated string, '\n' as "\r\n"; stops at the first dropped character.
    bool write(const char *s) const noexcept
    {
        for (; *s != '\0'; ++s) {
            if ((*s == '\n' && !put('\r')) || !put(*s)) {
                return false;
            }
        }
        return true;
    }

private:
    constexpr uint16_t port(uint16_t offset) const noexcept { return static_cast<uint16_t>(m_base + offset); }

    uint16_t m_base;
};

}  // namespace mk
