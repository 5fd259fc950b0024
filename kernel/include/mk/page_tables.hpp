// SPDX-License-Identifier: MIT
// x86-64 4-level page tables for the microkernel's and the extensions' address spaces. Tables come
// from the page pool; a mapping is never silently replaced, and no page is ever writable and
// executable at once (W^X).
#pragma once

#include <mk/page_pool.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk {

/// What a mapped page may be used for.
struct page_rights {
    bool write;
    bool exec;
    bool user;  // reachable from ring 3
};

enum class map_status { ok, not_canonical, unaligned, bad_phys, wx_refused, already_mapped, not_mapped, no_memory };

template <class Pool>
class page_tables {
public:
    // Entry bits (AMD APM vol. 2, 5.3; Intel SDM vol. 3, 4.5).
    static constexpr uint64_t present = 1ULL << 0;
    static constexpr uint64_t writable = 1ULL << 1;
    static constexpr uint64_t user = 1ULL << 2;
    static constexpr uint64_t no_exec = 1ULL << 63;
    static constexpr uint64_t addr_mask = 0x000FFFFFFFFFF000ULL;  // bits 51:12
    static constexpr uint64_t max_phys = 1ULL << 52;

    page_tables() noexcept = default;
    page_tables(const page_tables &) = delete;
    page_tables &operator=(const page_tables &) = delete;

    /// Allocates the top-level table; false when the pool is exhausted.
    bool init(Pool &pool) noexcept
    {
        const pool_page top = pool.alloc();
        if (top.virt == nullptr) {
            return false;
        }
        m_pool = &pool;
        m_top = static_cast<uint64_t *>(top.virt);
        m_top_phys = top.phys;
        return true;
    }

    /// Maps one 4 KiB page.
    map_status map(uint64_t virt, uint64_t phys, page_rights rights) noexcept
    {
        if (const map_status s = check(virt); s != map_status::ok) {
            return s;
        }
        if (phys % page_size != 0) {
            return map_status::unaligned;
        }
        if (phys >= max_phys) {
            return map_status::bad_phys;
        }
        if (rights.write && rights.exec) {
            return map_status::wx_refused;
        }
        uint64_t *leaf = walk(virt, true);
        if (leaf == nullptr) {
            return map_status::no_memory;
        }
        if ((*leaf & present) != 0) {
            return map_status::already_mapped;
        }
        *leaf = phys | present | (rights.write ? writable : 0) | (rights.user ? user : 0) | (rights.exec ? 0 : no_exec);
        return map_status::ok;
    }

    /// Removes the mapping of one page; its physical address goes to phys. Tables stay.
    map_status unmap(uint64_t virt, uint64_t &phys) noexcept
    {
        if (const map_status s = check(virt); s != map_status::ok) {
            return s;
        }
        uint64_t *leaf = walk(virt, false);
        if (leaf == nullptr || (*leaf & present) == 0) {
            return map_status::not_mapped;
        }
        phys = *leaf & addr_mask;
        *leaf = 0;
        return map_status::ok;
    }

    /// Looks a page up: its physical address and rights.
    map_status translate(uint64_t virt, uint64_t &phys, page_rights &rights) const noexcept
    {
        if (const map_status s = check(virt & ~(page_size - 1)); s != map_status::ok) {
            return s;
        }
        const uint64_t *leaf = walk(virt, false);
        if (leaf == nullptr || (*leaf & present) == 0) {
            return map_status::not_mapped;
        }
        phys = (*leaf & addr_mask) | (virt & (page_size - 1));
        rights = {(*leaf & writable) != 0, (*leaf & no_exec) == 0, (*leaf & user) != 0};
        return map_status::ok;
    }

    /// Gives every table page back to the pool (not the mapped pages: they belong to their owners).
    void release() noexcept
    {
        if (m_top != nullptr) {
            release_table(m_top, 4);
            m_top = nullptr;
            m_top_phys = 0;
        }
    }

    /// The value for CR3 (or nCR3): the top-level table's physical address.
    uint64_t root_phys() const noexcept { return m_top_phys; }

    /// Whether an address is canonical for 4-level paging (bits 63:47 all equal).
    static constexpr bool canonical(uint64_t virt) noexcept
    {
        const uint64_t high = virt >> 47;
        return high == 0 || high == 0x1FFFF;
    }

private:
    map_status check(uint64_t virt) const noexcept
    {
        if (!canonical(virt)) {
            return map_status::not_canonical;
        }
        return virt % page_size == 0 ? map_status::ok : map_status::unaligned;
    }

    static size_t index(uint64_t virt, unsigned level) noexcept { return (virt >> (12 + 9 * (level - 1))) & 0x1FF; }

    /// The level-1 entry for virt, creating the tables on the way when create is true; nullptr
    /// when a table is missing or cannot be allocated. Only this class writes the tables, with
    /// pool pages and no huge pages, so every table entry leads to a pool page.
    /// (const: the tables are reached through pointers; only map() asks to create.)
    uint64_t *walk(uint64_t virt, bool create) const noexcept
    {
        uint64_t *table = m_top;
        for (unsigned level = 4; level > 1; --level) {
            uint64_t &entry = table[index(virt, level)];
            if ((entry & present) == 0) {
                if (!create) {
                    return nullptr;
                }
                const pool_page next = m_pool->alloc();
                if (next.virt == nullptr) {
                    return nullptr;
                }
                // Tables are permissive; the leaf decides the rights.
                entry = next.phys | present | writable | user;
            }
            table = static_cast<uint64_t *>(m_pool->phys_to_virt(entry & addr_mask));
        }
        return &table[index(virt, 1)];
    }

    // Recursion at most four deep: one call per paging level.
    void release_table(uint64_t *table, unsigned level) noexcept  // NOLINT(misc-no-recursion)
    {
        for (size_t i = 0; level > 1 && i < 512; ++i) {
            if ((table[i] & present) != 0) {
                release_table(static_cast<uint64_t *>(m_pool->phys_to_virt(table[i] & addr_mask)), level - 1);
            }
        }
        m_pool->free(table);
    }

    Pool *m_pool{};
    uint64_t *m_top{};
    uint64_t m_top_phys{};
};

}  // namespace mk
