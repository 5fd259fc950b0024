// SPDX-License-Identifier: MIT
// The microkernel's debug console: every line goes to the serial port and to the debug ring.
#pragma once

#include <mk/debug_ring.hpp>
#include <mk/uart.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk {

template <class Io, size_t RingSize>
class console {
public:
    explicit constexpr console(uint16_t serial_base) noexcept : m_uart{serial_base} {}

    /// Prepares the serial port; the ring works even when this fails.
    bool init(uint32_t baud) noexcept
    {
        m_serial_ok = m_uart.init(baud);
        return m_serial_ok;
    }

    /// Writes s to the ring and, while it works, to the serial port.
    void write(const char *s) noexcept
    {
        m_ring.write(s);
        if (m_serial_ok) {
            m_serial_ok = m_uart.write(s);
        }
    }

    const debug_ring<RingSize> &ring() const noexcept { return m_ring; }
    bool serial_ok() const noexcept { return m_serial_ok; }

private:
    uart<Io> m_uart;
    debug_ring<RingSize> m_ring{};
    bool m_serial_ok{};
};

}  // namespace mk
