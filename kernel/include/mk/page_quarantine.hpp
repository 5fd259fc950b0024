// SPDX-License-Identifier: MIT
// Pages the extension freed, kept for the extension alone. The microkernel cannot flush other
// PPs' TLBs yet (no IPIs), so a page the extension unmapped may still be reachable through a
// stale entry on another PP: back in the pool it could become a page table or a VMCB that ring 3
// then writes (finding 9 of the isolation issue). Kept here, it only ever comes back as another
// page of the extension's heap, so a stale entry can reach nothing but the extension's own data.
// When the quarantine is full, a freed page is not reused at all until MicroV stops (the loader
// frees the whole pool then). Pure bookkeeping of physical addresses.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk {

template <size_t Capacity>
class page_quarantine {
public:
    /// Keeps a freed page; false when full (the page is then left unused: leaked until stop).
    bool keep(uint64_t phys) noexcept
    {
        if (m_count == Capacity) {
            ++m_leaked;
            return false;
        }
        m_pages[m_count++] = phys;
        return true;
    }

    /// A kept page for the extension's heap, if there is one.
    bool take(uint64_t &phys) noexcept
    {
        if (m_count == 0) {
            return false;
        }
        phys = m_pages[--m_count];
        return true;
    }

    size_t size() const noexcept { return m_count; }
    uint64_t leaked() const noexcept { return m_leaked; }

private:
    uint64_t m_pages[Capacity]{};
    size_t m_count{};
    uint64_t m_leaked{};
};

}  // namespace mk
