// SPDX-License-Identifier: MIT
// The root VM's nested page tables: guest-physical = host-physical over the whole physical
// address space, except the holes given (the hypervisor's own memory), which the root VM cannot
// reach. 1 GiB pages where a GiB holds no hole, 2 MiB pages where it does; holes are 2 MiB
// aligned (the pool's chunks are). All guest accesses are user accesses in a nested walk, so
// every entry has U set (AMD APM vol. 2, 15.25.5).
#pragma once

#include <mk/page_pool.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk::amd {

/// A physical range the root VM must not reach: [base, base + size), both 2 MiB aligned.
struct npt_hole {
    uint64_t base;
    uint64_t size;
};

enum class npt_status { ok, bad_limit, bad_hole, no_memory };

template <class Pool>
class identity_npt {
public:
    static constexpr uint64_t present_rw_user = 0x7;
    static constexpr uint64_t large = 1ULL << 7;
    static constexpr uint64_t size_2m = 1ULL << 21;
    static constexpr uint64_t size_1g = 1ULL << 30;
    static constexpr uint64_t size_512g = 1ULL << 39;

    /// Builds the tables for [0, limit) (limit a multiple of 1 GiB, at most 2^48) without holes.
    npt_status build(Pool &pool, uint64_t limit, const npt_hole *holes, size_t count) noexcept
    {
        if (limit == 0 || limit % size_1g != 0 || limit > (1ULL << 48)) {
            return npt_status::bad_limit;
        }
        for (size_t i = 0; i < count; ++i) {
            if (holes[i].base % size_2m != 0 || holes[i].size % size_2m != 0 || holes[i].size == 0) {
                return npt_status::bad_hole;
            }
        }
        m_pool = &pool;
        uint64_t *pml4 = table(m_root);
        if (pml4 == nullptr) {
            return npt_status::no_memory;
        }
        for (uint64_t gib = 0; gib < limit; gib += size_1g) {
            if (!map_gib(pml4, gib, holes, count)) {
                return npt_status::no_memory;
            }
        }
        return npt_status::ok;
    }

    /// nCR3 for the VMCB.
    uint64_t root_phys() const noexcept { return m_root; }

private:
    /// A fresh zeroed table: its address, and its physical address in phys.
    uint64_t *table(uint64_t &phys) noexcept
    {
        const pool_page page = m_pool->alloc();
        phys = page.phys;
        return static_cast<uint64_t *>(page.virt);
    }

    /// The table an entry points to, made when missing.
    uint64_t *next(uint64_t &entry) noexcept
    {
        if ((entry & present_rw_user) == 0) {
            uint64_t phys = 0;
            if (table(phys) == nullptr) {
                return nullptr;
            }
            entry = phys | present_rw_user;
        }
        return static_cast<uint64_t *>(m_pool->phys_to_virt(entry & 0x000FFFFFFFFFF000ULL));
    }

    static bool in_hole(uint64_t addr, uint64_t size, const npt_hole *holes, size_t count) noexcept
    {
        for (size_t i = 0; i < count; ++i) {
            if (addr < holes[i].base + holes[i].size && holes[i].base < addr + size) {
                return true;
            }
        }
        return false;
    }

    bool map_gib(uint64_t *pml4, uint64_t gib, const npt_hole *holes, size_t count) noexcept
    {
        uint64_t *pdpt = next(pml4[(gib / size_512g) & 0x1FF]);
        if (pdpt == nullptr) {
            return false;
        }
        uint64_t &pdpte = pdpt[(gib / size_1g) & 0x1FF];
        if (!in_hole(gib, size_1g, holes, count)) {
            pdpte = gib | present_rw_user | large;
            return true;
        }
        // A GiB with a hole: 2 MiB pages, the hole's left out.
        uint64_t *pd = next(pdpte);
        if (pd == nullptr) {
            return false;
        }
        for (uint64_t i = 0; i < 512; ++i) {
            const uint64_t addr = gib + i * size_2m;
            pd[i] = in_hole(addr, size_2m, holes, count) ? 0 : (addr | present_rw_user | large);
        }
        return true;
    }

    Pool *m_pool{};
    uint64_t m_root{};
};

}  // namespace mk::amd
