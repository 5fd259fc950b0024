// SPDX-License-Identifier: MIT
// A token bucket: up to `burst` events at once, then one per `period` ticks. MicroV bounds with it
// what a root-VM process can make the hypervisor do at its request with GIF=0 held, such as
// printing mv_debug_op_out lines on a slow serial port (finding 11 of the isolation issue).
// Pure logic; the caller supplies the time (the TSC).
#pragma once

#include <stdint.h>

namespace vmm {

struct rate_limit {
    uint64_t last;     // the tick up to which tokens were added
    uint32_t tokens;   // events allowed now
    uint32_t dropped;  // events refused since the last one allowed (saturates)
    bool started;

    /// Whether one more event may happen at tick `now`; counts the refused ones.
    constexpr bool allow(uint64_t now, uint32_t burst, uint64_t period) noexcept
    {
        if (!started || now < last) {  // the first event, or a TSC that went back (another PP's)
            started = true;
            tokens = burst;
            last = now;
        }
        const uint64_t refill = (now - last) / period;
        if (refill > 0) {
            tokens = refill >= burst - tokens ? burst : tokens + static_cast<uint32_t>(refill);
            last += refill * period;
        }
        if (tokens == 0) {
            dropped += dropped != UINT32_MAX ? 1U : 0U;
            return false;
        }
        --tokens;
        return true;
    }

    /// The refused events since the last allowed one, and forgets them.
    constexpr uint32_t take_dropped() noexcept
    {
        const uint32_t n = dropped;
        dropped = 0;
        return n;
    }
};

}  // namespace vmm
