// SPDX-License-Identifier: MIT
// All PPs leave MicroV together or none does. A PP that runs natively can write every page of
// MicroV's (the pool is ordinary memory in the OS's direct map), so while any PP still runs the
// hypervisor no other PP may be given back to the OS. The microkernel keeps this whatever the
// extension asks (finding 5 of the isolation issue): a promote waits here until every PP that
// runs the root VM has asked for one, and is refused when they do not all ask within a bound;
// a fault of the microkernel on one PP makes all of them leave (force), the faulted PP last.
//
// One 64-bit word holds the whole state, so that each step is one compare-and-swap:
// bits 0-15 the PPs waiting to leave, bits 16-31 the members (PPs whose root VM has run and
// exited once), bit 63 "go": set by the last member to arrive; from then on every member leaves,
// and no PP can become a member any more.
#pragma once

#include <stdint.h>

namespace mk {

class leave_barrier {
public:
    /// A PP's root VM has run (its first exit): it must be part of any leaving. False when the
    /// others are leaving already: then this PP must leave too, at once.
    bool join() noexcept
    {
        uint64_t w = load();
        for (;;) {
            if ((w & go) != 0) {
                return false;
            }
            if (cas(w, w + member_one)) {
                return true;
            }
        }
    }

    /// The microkernel failed on a member, which cannot go on and must not leave alone: every
    /// member leaves now, whatever it asked. The failed PP waits for others_gone() first.
    void force() noexcept { __atomic_fetch_or(&m_word, go, __ATOMIC_ACQ_REL); }

    /// A member is about to leave (called once "go" is set, by each member on its way out).
    void gone() noexcept { __atomic_fetch_add(&m_gone, 1U, __ATOMIC_ACQ_REL); }

    /// Whether every member but the caller has gone (the members are fixed once "go" is set).
    bool others_gone() const noexcept { return __atomic_load_n(&m_gone, __ATOMIC_ACQUIRE) + 1U >= members(load()); }

    /// A member asks to leave: waits until every member has asked, then returns true (leave
    /// now). Returns false, having withdrawn, when that takes longer than `timeout` ticks of
    /// `now()`. `relax()` is called while waiting (PAUSE).
    template <class Now, class Relax>
    bool arrive_and_wait(Now now, Relax relax, uint64_t timeout) noexcept
    {
        uint64_t w = load();
        for (;;) {
            if ((w & go) != 0) {
                return true;
            }
            uint64_t n = w + 1;
            if (waiting(n) >= members(n)) {
                n |= go;
            }
            if (cas(w, n)) {
                break;
            }
        }
        const uint64_t start = now();
        for (;;) {
            w = load();
            if ((w & go) != 0) {
                return true;
            }
            if (now() - start > timeout) {
                if (withdraw()) {
                    return false;
                }
                return true;  // the last member came just now
            }
            relax();
        }
    }

    /// Whether the members are leaving.
    bool going() const noexcept { return (load() & go) != 0; }
    uint16_t member_count() const noexcept { return static_cast<uint16_t>(members(load())); }

private:
    static constexpr uint64_t go = 1ULL << 63;
    static constexpr uint64_t member_one = 1ULL << 16;
    static uint64_t waiting(uint64_t w) noexcept { return w & 0xFFFFU; }
    static uint64_t members(uint64_t w) noexcept { return (w >> 16) & 0xFFFFU; }

    uint64_t load() const noexcept { return __atomic_load_n(&m_word, __ATOMIC_ACQUIRE); }
    bool cas(uint64_t &expected, uint64_t desired) noexcept
    {
        return __atomic_compare_exchange_n(&m_word, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    }

    /// Takes back an arrival; false when "go" came first (then the PP must leave).
    bool withdraw() noexcept
    {
        uint64_t w = load();
        for (;;) {
            if ((w & go) != 0) {
                return false;
            }
            if (cas(w, w - 1)) {
                return true;
            }
        }
    }

    uint64_t m_word{};
    uint32_t m_gone{};
};

}  // namespace mk
