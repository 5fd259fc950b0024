// SPDX-License-Identifier: MIT
// A guest VM's nested page tables: 4 KiB pages of the root VM's RAM at the GPAs the extension
// chose, with the rights and memory type it asked for, and nothing else. Four levels (GPAs below
// 2^48); the tables come from the pool and go back to it when the VM goes (free_all). Every entry
// has U set, since all guest accesses are user accesses in a nested walk (AMD APM vol. 2,
// 15.25.5); rights and memory type are decided in the last level only. Pure logic over a pool.
#pragma once

#include <mk/page_pool.hpp>
#include <mk/syscall_abi.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk::amd {

enum class guest_map_status { ok, mapped_already, no_memory };

template <class Pool>
class guest_npt {
public:
    static constexpr uint64_t present = 1ULL << 0;
    static constexpr uint64_t writable = 1ULL << 1;
    static constexpr uint64_t user = 1ULL << 2;
    static constexpr uint64_t pwt = 1ULL << 3;
    static constexpr uint64_t pcd = 1ULL << 4;
    static constexpr uint64_t no_execute = 1ULL << 63;
    static constexpr uint64_t addr_mask = 0x000FFFFFFFFFF000ULL;
    static constexpr uint64_t table_bits = present | writable | user;

    /// The tables whose top level is at root_phys (0: none yet; make_root makes it).
    guest_npt(Pool &pool, uint64_t root_phys) noexcept : m_pool{pool}, m_root{root_phys} {}

    /// The top-level table: false when the pool has no page.
    bool make_root() noexcept
    {
        const pool_page p = m_pool.alloc();
        m_root = p.phys;
        return p.virt != nullptr;
    }

    uint64_t root_phys() const noexcept { return m_root; }

    /// The last-level entry for rights (abi::map_*, read implied: nested tables cannot refuse a
    /// read of a present page) and a memory type. UC is PAT index 3 (PCD|PWT), UC in the
    /// architectural and in Linux's PAT; WB index 0.
    static constexpr uint64_t leaf(uint64_t hpa, uint64_t flags) noexcept
    {
        return (hpa & addr_mask) | present | user | ((flags & abi::map_write) != 0 ? writable : 0) |
               ((flags & abi::map_execute) != 0 ? 0 : no_execute) |
               ((flags & abi::map_uncacheable) != 0 ? pcd | pwt : 0);
    }

    /// What a last-level entry maps, as bf_vm_op_guest_page gives it: the page's address with
    /// abi::map_read/write/execute in the low bits; 0 for an entry not present.
    static constexpr uint64_t page_of(uint64_t entry) noexcept
    {
        if ((entry & present) == 0) {
            return 0;
        }
        return (entry & addr_mask) | abi::map_read | ((entry & writable) != 0 ? abi::map_write : 0) |
               ((entry & no_execute) != 0 ? 0 : abi::map_execute);
    }

    /// Maps the 4 KiB page at gpa (aligned, below abi::guest_gpa_limit: the caller checks) to hpa.
    /// A table made on the way stays (empty) when the pool runs out after it: free_all takes it.
    guest_map_status map(uint64_t gpa, uint64_t hpa, uint64_t flags) noexcept
    {
        uint64_t *e = entry(gpa, true);
        if (e == nullptr) {
            return guest_map_status::no_memory;
        }
        if ((*e & present) != 0) {
            return guest_map_status::mapped_already;
        }
        __atomic_store_n(e, leaf(hpa, flags), __ATOMIC_RELEASE);
        return guest_map_status::ok;
    }

    /// Takes the page at gpa out; false when it was not mapped. The TLBs are the caller's.
    bool unmap(uint64_t gpa) noexcept
    {
        uint64_t *e = entry(gpa, false);
        if (e == nullptr || (*e & present) == 0) {
            return false;
        }
        __atomic_store_n(e, uint64_t{0}, __ATOMIC_RELEASE);
        return true;
    }

    /// The last-level entry of gpa, 0 when none.
    uint64_t lookup(uint64_t gpa) noexcept
    {
        const uint64_t *e = entry(gpa, false);
        return e == nullptr ? 0 : *e;
    }

    /// Gives every table back to the pool (the pages they mapped stay the root VM's).
    void free_all() noexcept
    {
        if (m_root != 0) {
            free_tables(m_root);
            m_root = 0;
        }
    }

private:
    static constexpr unsigned levels = 4;

    static constexpr size_t index(uint64_t gpa, unsigned level) noexcept
    {
        return static_cast<size_t>((gpa >> (12 + 9 * level)) & 0x1FF);
    }

    uint64_t *table(uint64_t phys) noexcept { return static_cast<uint64_t *>(m_pool.phys_to_virt(phys)); }

    /// The last-level entry of gpa; tables on the way made when make is set (else nullptr where
    /// one is missing, or when the pool is out).
    uint64_t *entry(uint64_t gpa, bool make) noexcept
    {
        if (m_root == 0) {
            return nullptr;
        }
        uint64_t *t = table(m_root);
        for (unsigned level = levels - 1; level > 0; --level) {
            uint64_t &e = t[index(gpa, level)];
            if ((e & present) == 0) {
                if (!make) {
                    return nullptr;
                }
                const pool_page p = m_pool.alloc();
                if (p.virt == nullptr) {
                    return nullptr;
                }
                __atomic_store_n(&e, p.phys | table_bits, __ATOMIC_RELEASE);
            }
            t = table(e & addr_mask);
        }
        return &t[index(gpa, 0)];
    }

    /// The top-level table at phys and every table below it (the pages of the last level stay
    /// the root VM's). Loops, not recursion: ring 0's stack is small.
    void free_tables(uint64_t phys) noexcept
    {
        uint64_t *pml4 = table(phys);
        for (size_t a = 0; a < 512; ++a) {
            if ((pml4[a] & present) == 0) {
                continue;
            }
            uint64_t *pdpt = table(pml4[a] & addr_mask);
            for (size_t b = 0; b < 512; ++b) {
                if ((pdpt[b] & present) == 0) {
                    continue;
                }
                uint64_t *pd = table(pdpt[b] & addr_mask);
                for (size_t c = 0; c < 512; ++c) {
                    if ((pd[c] & present) != 0) {
                        m_pool.free(table(pd[c] & addr_mask));
                    }
                }
                m_pool.free(pd);
            }
            m_pool.free(pdpt);
        }
        m_pool.free(pml4);
    }

    Pool &m_pool;
    uint64_t m_root;
};

}  // namespace mk::amd
