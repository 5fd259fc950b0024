// SPDX-License-Identifier: MIT
// Number formatting for the microkernel's debug output, without libc.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk {

/// Writes value as "0x" and 16 hex digits plus a NUL into out (19 bytes); returns out.
inline char *format_hex64(uint64_t value, char (&out)[19]) noexcept
{
    constexpr char digits[] = "0123456789abcdef";
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < 16; ++i) {
        out[17 - i] = digits[(value >> (4 * i)) & 0xF];
    }
    out[18] = '\0';
    return out;
}

/// Writes value in decimal plus a NUL into out (21 bytes); returns out.
inline char *format_dec64(uint64_t value, char (&out)[21]) noexcept
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < n; ++i) {
        out[i] = tmp[n - 1 - i];
    }
    out[n] = '\0';
    return out;
}

/// Joins NUL-terminated parts into out, truncated to fit, NUL-terminated; returns out. A line is
/// built whole and written with one call, so that lines of PPs writing at once do not interleave.
template <size_t N, class... Parts>
constexpr const char *join(char (&out)[N], const Parts *...parts) noexcept
{
    static_assert(N > 0);
    size_t len = 0;
    const auto append = [&](const char *p) {
        for (; *p != '\0' && len + 1 < N; ++p) {
            out[len++] = *p;
        }
    };
    (append(parts), ...);
    out[len] = '\0';
    return out;
}

}  // namespace mk
