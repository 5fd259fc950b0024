// SPDX-License-Identifier: MIT
// The one lock of MicroV's host code (ring 0 and the extension alike): a test-and-set spinlock on
// a 32-bit word, so that it can also live in memory shared with the loader (the debug ring), and
// a scope guard for it. Interrupts stay as they are: the host runs with them off.
#pragma once

#include <stdint.h>

namespace mk {

/// Takes the lock held in *word (0 free, 1 held), spinning with PAUSE.
inline void spin_lock(uint32_t &word) noexcept
{
    while (__atomic_exchange_n(&word, 1U, __ATOMIC_ACQUIRE) != 0U) {
        __builtin_ia32_pause();
    }
}

/// Gives the lock back.
inline void spin_unlock(uint32_t &word) noexcept { __atomic_store_n(&word, 0U, __ATOMIC_RELEASE); }

/// Holds a lock word for a scope.
class spin_guard {
public:
    explicit spin_guard(uint32_t &word) noexcept : m_word{word} { spin_lock(m_word); }
    ~spin_guard() { spin_unlock(m_word); }
    spin_guard(const spin_guard &) = delete;
    spin_guard &operator=(const spin_guard &) = delete;

private:
    uint32_t &m_word;
};

}  // namespace mk
