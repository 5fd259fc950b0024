// SPDX-License-Identifier: MIT
// The writer's side of the debug ring (struct mv_debug_ring, shared with the loader): the newest
// output of the hypervisor, kept in pool memory so that `vmmctl dump` can show it even without a
// serial port. Writers only append; `written` counts every character ever written, so a reader
// knows how much was overwritten. The loader's reader is mv_debug_ring_read (loader/common).
#pragma once

#include <microv/mk_boot.h>
#include <mk/spinlock.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk {

class debug_ring {
public:
    constexpr debug_ring() noexcept = default;
    explicit constexpr debug_ring(mv_debug_ring *ring) noexcept : m_ring{ring} {}

    /// Appends a NUL-terminated string as one piece: writers on other CPUs wait for the lock.
    void write(const char *s) noexcept
    {
        if (m_ring == nullptr) {
            return;
        }
        const spin_guard g{m_ring->lock};
        for (; *s != '\0'; ++s) {
            m_ring->buf[m_ring->written % MV_DEBUG_RING_SIZE] = *s;
            __atomic_store_n(&m_ring->written, m_ring->written + 1, __ATOMIC_RELEASE);
        }
    }

    bool attached() const noexcept { return m_ring != nullptr; }

private:
    mv_debug_ring *m_ring{};
};

}  // namespace mk
