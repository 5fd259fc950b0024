// SPDX-License-Identifier: MIT
// The microkernel's page pool: every 4 KiB page the hypervisor uses comes from here. The loader
// hands over the pool as a few physically contiguous chunks; the pool keeps one bit per page (in
// pages of its own) so that a page given back is checked: it must belong to the pool, be
// page-aligned and be in use. Nothing is ever allocated outside the pool.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk {

constexpr uint64_t page_size = 4096;

/// A physically contiguous run of pool memory, as the loader maps it: virt is where the
/// microkernel sees it, phys where it really is.
struct pool_chunk {
    uint8_t *virt;
    uint64_t phys;
    uint64_t pages;
};

/// A page handed out by the pool.
struct pool_page {
    void *virt;
    uint64_t phys;
};

template <size_t MaxChunks>
class page_pool {
public:
    enum class status { ok, bad_chunk, too_many_chunks, overlap, too_small, not_ours, not_in_use };

    /// Takes ownership of the chunks: checks them, then sets aside the bitmap's pages.
    status init(const pool_chunk *chunks, size_t count) noexcept
    {
        if (count == 0 || count > MaxChunks) {
            return count == 0 ? status::too_small : status::too_many_chunks;
        }
        uint64_t total = 0;
        for (size_t i = 0; i < count; ++i) {
            if (!chunk_ok(chunks[i])) {
                return status::bad_chunk;
            }
            for (size_t j = 0; j < i; ++j) {
                if (overlaps(chunks[i], chunks[j])) {
                    return status::overlap;
                }
            }
            total += chunks[i].pages;
        }
        const uint64_t bitmap_pages = (total + bits_per_page - 1) / bits_per_page;
        if (chunks[0].pages <= bitmap_pages) {
            return status::too_small;  // the bitmap lives at the start of the first chunk
        }

        for (size_t i = 0; i < count; ++i) {
            m_chunks[i] = chunks[i];
        }
        m_count = count;
        m_total = total;
        m_bitmap = reinterpret_cast<uint64_t *>(chunks[0].virt);
        for (uint64_t w = 0; w < bitmap_pages * (page_size / 8); ++w) {
            m_bitmap[w] = 0;
        }
        m_used = 0;
        m_next = 0;
        for (uint64_t p = 0; p < bitmap_pages; ++p) {
            take(p);  // the bitmap's own pages are never handed out
        }
        m_reserved = bitmap_pages;
        return status::ok;
    }

    /// A zeroed page, or {nullptr, 0} when the pool is exhausted. Searches from after the last
    /// page handed out, a 64-page word at a time.
    pool_page alloc() noexcept
    {
        if (m_total == 0) {
            return {nullptr, 0};  // not initialized
        }
        const uint64_t words = (m_total + 63) / 64;
        for (uint64_t n = 0; n <= words; ++n) {
            const uint64_t w = (m_next / 64 + n) % words;
            const uint64_t free_bits = ~m_bitmap[w];
            if (free_bits == 0) {
                continue;
            }
            const auto index = w * 64 + static_cast<uint64_t>(__builtin_ctzll(free_bits));
            if (index >= m_total) {
                continue;  // the last word's bits beyond the pool
            }
            take(index);
            m_next = index + 1 < m_total ? index + 1 : 0;
            const pool_page page = page_at(index);
            if (page.virt != nullptr) {
                zero(page.virt);
            }
            return page;
        }
        return {nullptr, 0};
    }

    /// Gives back a page by its virtual address; refuses anything the pool did not hand out.
    status free(const void *virt) noexcept
    {
        uint64_t index = 0;
        if (!index_of(virt, index)) {
            return status::not_ours;
        }
        if (index < m_reserved || !in_use(index)) {
            return status::not_in_use;
        }
        m_bitmap[index / 64] &= ~(1ULL << (index % 64));
        --m_used;
        return status::ok;
    }

    /// Whether a physical address lies in the pool (the hypervisor's own memory).
    bool owns_phys(uint64_t phys) const noexcept
    {
        for (size_t i = 0; i < m_count; ++i) {
            if (phys >= m_chunks[i].phys && phys - m_chunks[i].phys < m_chunks[i].pages * page_size) {
                return true;
            }
        }
        return false;
    }

    /// The microkernel's view of a pool page's physical address, or nullptr when not in the pool.
    void *phys_to_virt(uint64_t phys) const noexcept
    {
        for (size_t i = 0; i < m_count; ++i) {
            if (phys >= m_chunks[i].phys && phys - m_chunks[i].phys < m_chunks[i].pages * page_size) {
                return m_chunks[i].virt + (phys - m_chunks[i].phys);
            }
        }
        return nullptr;
    }

    uint64_t total() const noexcept { return m_total; }        // pages, bitmap included
    uint64_t used() const noexcept { return m_used; }          // pages, bitmap included
    uint64_t reserved() const noexcept { return m_reserved; }  // the bitmap's pages
    uint64_t available() const noexcept { return m_total - m_used; }

private:
    static constexpr uint64_t bits_per_page = page_size * 8;

    static bool chunk_ok(const pool_chunk &c) noexcept
    {
        const auto virt = reinterpret_cast<uintptr_t>(c.virt);
        return c.virt != nullptr && c.pages != 0 && virt % page_size == 0 && c.phys % page_size == 0 &&
               c.pages <= (UINT64_MAX - c.phys) / page_size && c.pages <= (UINTPTR_MAX - virt) / page_size;
    }

    static bool overlaps(const pool_chunk &a, const pool_chunk &b) noexcept
    {
        const auto av = reinterpret_cast<uintptr_t>(a.virt);
        const auto bv = reinterpret_cast<uintptr_t>(b.virt);
        const bool phys = a.phys < b.phys + b.pages * page_size && b.phys < a.phys + a.pages * page_size;
        const bool virt = av < bv + b.pages * page_size && bv < av + a.pages * page_size;
        return phys || virt;
    }

    bool in_use(uint64_t index) const noexcept { return (m_bitmap[index / 64] >> (index % 64)) & 1U; }

    void take(uint64_t index) noexcept
    {
        m_bitmap[index / 64] |= 1ULL << (index % 64);
        ++m_used;
    }

    pool_page page_at(uint64_t index) const noexcept
    {
        for (size_t i = 0; i < m_count; ++i) {
            if (index < m_chunks[i].pages) {
                return {m_chunks[i].virt + index * page_size, m_chunks[i].phys + index * page_size};
            }
            index -= m_chunks[i].pages;
        }
        return {nullptr, 0};
    }

    bool index_of(const void *virt, uint64_t &index) const noexcept
    {
        const auto v = reinterpret_cast<uintptr_t>(virt);
        uint64_t base = 0;
        for (size_t i = 0; i < m_count; ++i) {
            const auto start = reinterpret_cast<uintptr_t>(m_chunks[i].virt);
            if (v >= start && v - start < m_chunks[i].pages * page_size) {
                if ((v - start) % page_size != 0) {
                    return false;
                }
                index = base + (v - start) / page_size;
                return true;
            }
            base += m_chunks[i].pages;
        }
        return false;
    }

    static void zero(void *page) noexcept
    {
        auto *words = static_cast<uint64_t *>(page);
        for (uint64_t i = 0; i < page_size / 8; ++i) {
            words[i] = 0;
        }
    }

    pool_chunk m_chunks[MaxChunks]{};
    size_t m_count{};
    uint64_t m_total{};
    uint64_t m_used{};
    uint64_t m_reserved{};
    uint64_t m_next{};
    uint64_t *m_bitmap{};
};

}  // namespace mk
