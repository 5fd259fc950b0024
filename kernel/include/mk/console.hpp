// SPDX-License-Identifier: MIT
// The microkernel's debug console: every line goes to the serial port (when there is one) and to
// the debug ring (when there is one).
#pragma once

#include <mk/debug_ring.hpp>
#include <mk/spinlock.hpp>
#include <mk/uart.hpp>

#include <stdint.h>

namespace mk {

template <class Io>
class console {
public:
    /// Attaches the ring and, for a non-zero port, prepares the serial port.
    void init(mv_debug_ring *ring, uint16_t serial_port, uint32_t baud) noexcept
    {
        m_ring = debug_ring{ring};
        m_uart = uart<Io>{serial_port};
        m_serial_ok = serial_port != 0 && m_uart.init(baud);
    }

    /// Writes s to the ring and, while it works, to the serial port, as one piece on both: the
    /// console's lock (in microkernel memory) serializes the writers of every PP.
    void write(const char *s) noexcept
    {
        const spin_guard g{m_lock};
        m_ring.write(s);
        if (m_serial_ok) {
            m_serial_ok = m_uart.write(s);
        }
    }

    bool serial_ok() const noexcept { return m_serial_ok; }

private:
    uart<Io> m_uart{0};
    debug_ring m_ring{};
    bool m_serial_ok{};
    uint32_t m_lock{};
};

}  // namespace mk
