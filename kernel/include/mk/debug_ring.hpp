// SPDX-License-Identifier: MIT
// The writer's side of the debug ring (struct mv_debug_ring, shared with the loader): the newest
// output of the hypervisor, kept in pool memory so that `vmmctl dump` can show it even without a
// serial port. Writers only append; `written` counts every character ever written, so a reader
// knows how much was overwritten. The loader's reader is mv_debug_ring_read (loader/common).
// The ring is root-VM memory, which the root VM can write at any time: the count that decides
// where the next character goes is the microkernel's own, and so is the lock that serializes the
// writers (the console's, mk/console.hpp), so a root VM that scribbles on the ring garbles the log
// but can neither stall a writer nor steer a write.
#pragma once

#include <microv/mk_boot.h>

#include <stddef.h>
#include <stdint.h>

namespace mk {

class debug_ring {
public:
    constexpr debug_ring() noexcept = default;
    /// Attaches to ring, going on from what it holds (a ring outlives one start of MicroV).
    explicit debug_ring(mv_debug_ring *ring) noexcept
        : m_ring{ring}, m_written{ring != nullptr ? __atomic_load_n(&ring->written, __ATOMIC_RELAXED) : 0}
    {
    }

    /// Appends a NUL-terminated string. One writer at a time: the caller holds the lock that
    /// serializes them (the console's).
    void write(const char *s) noexcept
    {
        if (m_ring == nullptr) {
            return;
        }
        for (; *s != '\0'; ++s) {
            m_ring->buf[m_written % MV_DEBUG_RING_SIZE] = *s;
            ++m_written;
            __atomic_store_n(&m_ring->written, m_written, __ATOMIC_RELEASE);
        }
    }

    bool attached() const noexcept { return m_ring != nullptr; }

private:
    mv_debug_ring *m_ring{};
    uint64_t m_written{};
};

}  // namespace mk
