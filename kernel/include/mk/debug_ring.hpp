// SPDX-License-Identifier: MIT
// The debug ring: a fixed buffer that keeps the newest output of the hypervisor, so that the
// loader can show it (`vmmctl dump`) even when no serial port is attached. Writers only append;
// the position counts every character ever written, so a reader can tell how much was lost.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk {

template <size_t Size>
class debug_ring {
    static_assert(Size != 0 && (Size & (Size - 1)) == 0, "the ring's size must be a power of two");

public:
    /// Appends one character, overwriting the oldest when full.
    void put(char c) noexcept
    {
        m_buf[m_pos & (Size - 1)] = c;
        ++m_pos;
    }

    /// Appends a NUL-terminated string.
    void write(const char *s) noexcept
    {
        for (; *s != '\0'; ++s) {
            put(*s);
        }
    }

    /// Characters written since the start, lost ones included.
    uint64_t written() const noexcept { return m_pos; }

    /// Characters still held (at most Size).
    size_t held() const noexcept { return m_pos < Size ? static_cast<size_t>(m_pos) : Size; }

    /// Copies the held characters, oldest first, into out[0..len); returns how many were copied.
    /// When len is smaller than held(), the newest len characters are copied.
    size_t copy(char *out, size_t len) const noexcept
    {
        const size_t n = held() < len ? held() : len;
        uint64_t from = m_pos - n;
        for (size_t i = 0; i < n; ++i, ++from) {
            out[i] = m_buf[from & (Size - 1)];
        }
        return n;
    }

private:
    char m_buf[Size]{};
    uint64_t m_pos{};
};

}  // namespace mk
