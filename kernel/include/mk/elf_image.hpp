// SPDX-License-Identifier: MIT
// The microkernel's ELF64 image parser, for the ring-3 extension image: a static, non-PIE x86-64
// executable whose loadable segments are page-aligned and W^X (see vmm/vmm.ld). The image comes
// from outside the microkernel and is treated as hostile: every field is checked with
// overflow-safe arithmetic and nothing is ever read outside the buffer given to parse(). Fields are
// loaded a byte at a time, so the buffer needs no particular alignment.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk {

/// Why parse() refused an image (ok when it did not).
enum class elf_status {
    ok,
    too_small,                // no buffer, or shorter than the ELF header
    bad_magic,                // not "\x7fELF"
    not_elf64,                // EI_CLASS is not ELFCLASS64
    not_little_endian,        // EI_DATA is not ELFDATA2LSB
    bad_version,              // EI_VERSION or e_version is not EV_CURRENT
    not_exec,                 // e_type is not ET_EXEC (shared objects, PIE, relocatables, cores)
    not_x86_64,               // e_machine is not EM_X86_64
    not_static,               // a PT_INTERP or PT_DYNAMIC segment
    bad_phdr_table,           // wrong e_phentsize, PN_XNUM, or the table outside the file
    too_many_segments,        // more PT_LOAD segments than the parser has room for
    bad_segment,              // memsz 0, filesz > memsz, or unknown flag bits
    segment_outside_file,     // offset + filesz beyond the end of the file
    writable_and_executable,  // a segment both PF_W and PF_X
    not_page_aligned,         // vaddr or offset not a multiple of 4096
    overlapping_segments,     // two segments share a page
    address_out_of_range,     // a segment's pages not all inside [min_vaddr, max_vaddr)
    entry_not_executable,     // e_entry outside every executable segment
    no_segments,              // no PT_LOAD segment at all
};

/// A loadable (PT_LOAD) segment of a parsed image: its bytes are [offset, offset + filesz) of the
/// file, followed by zeros up to memsz, mapped at vaddr.
struct elf_segment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;
    bool write;
    bool exec;
};

/// Facts from the ELF64 specification (System V gABI) and the x86-64 psABI.
namespace elf {

constexpr size_t ehdr_size = 64;  // sizeof(Elf64_Ehdr)
constexpr size_t phdr_size = 56;  // sizeof(Elf64_Phdr)

constexpr uint8_t elfclass64 = 2;
constexpr uint8_t elfdata2lsb = 1;
constexpr uint8_t ev_current = 1;
constexpr uint16_t et_exec = 2;
constexpr uint16_t em_x86_64 = 62;
constexpr uint16_t pn_xnum = 0xFFFF;  // e_phnum escape: the real count is in section header 0

constexpr uint32_t pt_load = 1;
constexpr uint32_t pt_dynamic = 2;
constexpr uint32_t pt_interp = 3;

constexpr uint32_t pf_x = 1;
constexpr uint32_t pf_w = 2;
constexpr uint32_t pf_r = 4;

/// The ELF header fields the parser looks at (e_ident split into the bytes it checks).
struct ehdr {
    uint8_t magic[4];
    uint8_t elf_class;
    uint8_t data;
    uint8_t ident_version;
    uint16_t type;
    uint16_t machine;
    uint32_t version;
    uint64_t entry;
    uint64_t phoff;
    uint16_t phentsize;
    uint16_t phnum;
};

/// A program header (p_paddr and p_align are not used).
struct phdr {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
};

/// A little-endian field of 1 to 8 bytes, read a byte at a time.
inline uint64_t load_le(const uint8_t *p, size_t bytes) noexcept
{
    uint64_t value = 0;
    for (size_t i = bytes; i > 0; --i) {
        value = (value << 8) | p[i - 1];
    }
    return value;
}

inline uint16_t load16(const uint8_t *p) noexcept { return static_cast<uint16_t>(load_le(p, 2)); }
inline uint32_t load32(const uint8_t *p) noexcept { return static_cast<uint32_t>(load_le(p, 4)); }
inline uint64_t load64(const uint8_t *p) noexcept { return load_le(p, 8); }

/// Decodes the ELF header; p must have ehdr_size bytes.
inline ehdr load_ehdr(const uint8_t *p) noexcept
{
    ehdr h{};
    for (size_t i = 0; i < 4; ++i) {
        h.magic[i] = p[i];
    }
    h.elf_class = p[4];
    h.data = p[5];
    h.ident_version = p[6];
    h.type = load16(p + 16);
    h.machine = load16(p + 18);
    h.version = load32(p + 20);
    h.entry = load64(p + 24);
    h.phoff = load64(p + 32);
    h.phentsize = load16(p + 54);
    h.phnum = load16(p + 56);
    return h;
}

/// Decodes a program header; p must have phdr_size bytes.
inline phdr load_phdr(const uint8_t *p) noexcept
{
    phdr ph{};
    ph.type = load32(p);
    ph.flags = load32(p + 4);
    ph.offset = load64(p + 8);
    ph.vaddr = load64(p + 16);
    ph.filesz = load64(p + 32);
    ph.memsz = load64(p + 40);
    return ph;
}

}  // namespace elf

/// A parsed ELF64 image with room for MaxSegments loadable segments. The image keeps a pointer to
/// the buffer given to parse() (for the copy helpers), which must outlive it. A failed parse
/// leaves no segments, entry 0 and no buffer.
template <size_t MaxSegments>
class elf_image {
    static_assert(MaxSegments > 0, "an image has at least one loadable segment");

public:
    static constexpr uint64_t page = 4096;

    /// Checks the whole image, and records its loadable segments and entry point. Every page of
    /// every segment must lie in [min_vaddr, max_vaddr), the range the caller allows.
    elf_status parse(const void *data, size_t size, uint64_t min_vaddr, uint64_t max_vaddr) noexcept
    {
        clear();
        const elf_status status = check(static_cast<const uint8_t *>(data), size, min_vaddr, max_vaddr);
        if (status != elf_status::ok) {
            clear();  // nothing half-parsed stays usable
            return status;
        }
        m_data = static_cast<const uint8_t *>(data);
        return status;
    }

    size_t segment_count() const noexcept { return m_count; }

    /// Segment i, or an empty segment (memsz 0) when there is no such segment.
    const elf_segment &segment(size_t i) const noexcept { return i < m_count ? m_segments[i] : none; }

    uint64_t entry() const noexcept { return m_entry; }

    /// Copies segment i to dest: its filesz bytes, then zeros up to memsz (bytes of dest beyond
    /// memsz are untouched). Refuses (false) a bad index, no dest, or dest_size below memsz.
    bool copy_segment(size_t i, void *dest, size_t dest_size) const noexcept
    {
        if (i >= m_count || dest == nullptr || dest_size < m_segments[i].memsz) {
            return false;
        }
        fill(m_segments[i], 0, static_cast<uint8_t *>(dest), m_segments[i].memsz);
        return true;
    }

    /// The number of pages segment i spans (0 when there is no such segment).
    uint64_t page_count(size_t i) const noexcept { return i < m_count ? pages_of(m_segments[i].memsz) : 0; }

    /// Fills one whole page of dest (4096 bytes) with page p of segment i: file bytes, then zeros,
    /// including the tail of the last page beyond memsz. Refuses (false) a bad index, page or dest.
    bool copy_page(size_t i, uint64_t p, void *dest) const noexcept
    {
        if (i >= m_count || p >= pages_of(m_segments[i].memsz) || dest == nullptr) {
            return false;
        }
        fill(m_segments[i], p * page, static_cast<uint8_t *>(dest), page);
        return true;
    }

private:
    static constexpr elf_segment none{};

    elf_status check(const uint8_t *data, size_t size, uint64_t min_vaddr, uint64_t max_vaddr) noexcept
    {
        if (data == nullptr || size < elf::ehdr_size) {
            return elf_status::too_small;
        }
        const elf::ehdr h = elf::load_ehdr(data);
        elf_status status = check_header(h);
        if (status != elf_status::ok) {
            return status;
        }
        if (!table_ok(h, size)) {
            return elf_status::bad_phdr_table;
        }
        for (size_t i = 0; i < h.phnum; ++i) {
            status = add(elf::load_phdr(data + h.phoff + i * elf::phdr_size), size, min_vaddr, max_vaddr);
            if (status != elf_status::ok) {
                return status;
            }
        }
        if (m_count == 0) {
            return elf_status::no_segments;
        }
        m_entry = h.entry;
        return entry_ok() ? elf_status::ok : elf_status::entry_not_executable;
    }

    /// The identification and type fields: a current-version, little-endian ELF64 x86-64 EXEC.
    static elf_status check_header(const elf::ehdr &h) noexcept
    {
        if (h.magic[0] != 0x7F || h.magic[1] != 'E' || h.magic[2] != 'L' || h.magic[3] != 'F') {
            return elf_status::bad_magic;
        }
        if (h.elf_class != elf::elfclass64) {
            return elf_status::not_elf64;
        }
        if (h.data != elf::elfdata2lsb) {
            return elf_status::not_little_endian;
        }
        if (h.ident_version != elf::ev_current || h.version != elf::ev_current) {
            return elf_status::bad_version;
        }
        if (h.type != elf::et_exec) {
            return elf_status::not_exec;
        }
        return h.machine == elf::em_x86_64 ? elf_status::ok : elf_status::not_x86_64;
    }

    /// The program header table: entries of the ELF64 size, a real count, all inside the file.
    static bool table_ok(const elf::ehdr &h, size_t size) noexcept
    {
        if (h.phentsize != elf::phdr_size || h.phnum == elf::pn_xnum) {
            return false;
        }
        return h.phoff <= size && h.phnum * elf::phdr_size <= size - h.phoff;  // phnum * 56 < 2^22
    }

    /// Checks one program header and records it when it is PT_LOAD; other types are ignored,
    /// except those of a dynamically linked image.
    elf_status add(const elf::phdr &ph, size_t size, uint64_t min_vaddr, uint64_t max_vaddr) noexcept
    {
        if (ph.type == elf::pt_interp || ph.type == elf::pt_dynamic) {
            return elf_status::not_static;
        }
        if (ph.type != elf::pt_load) {
            return elf_status::ok;
        }
        const elf_status status = check_segment(ph, size, min_vaddr, max_vaddr);
        if (status != elf_status::ok) {
            return status;
        }
        for (size_t j = 0; j < m_count; ++j) {
            if (overlaps(ph, m_segments[j])) {
                return elf_status::overlapping_segments;
            }
        }
        if (m_count == MaxSegments) {
            return elf_status::too_many_segments;
        }
        const bool write = (ph.flags & elf::pf_w) != 0;
        const bool exec = (ph.flags & elf::pf_x) != 0;
        m_segments[m_count++] = {ph.vaddr, ph.memsz, ph.offset, ph.filesz, write, exec};
        return elf_status::ok;
    }

    /// One PT_LOAD on its own: sizes, rights, alignment, bytes in the file, pages in range.
    static elf_status check_segment(const elf::phdr &ph, size_t size, uint64_t min_vaddr, uint64_t max_vaddr) noexcept
    {
        constexpr uint32_t known_flags = elf::pf_r | elf::pf_w | elf::pf_x;
        if (ph.memsz == 0 || ph.filesz > ph.memsz || (ph.flags & ~known_flags) != 0) {
            return elf_status::bad_segment;
        }
        if ((ph.flags & elf::pf_w) != 0 && (ph.flags & elf::pf_x) != 0) {
            return elf_status::writable_and_executable;
        }
        if (ph.vaddr % page != 0 || ph.offset % page != 0) {
            return elf_status::not_page_aligned;
        }
        if (ph.filesz > size || ph.offset > size - ph.filesz) {
            return elf_status::segment_outside_file;
        }
        return in_range(ph.vaddr, ph.memsz, min_vaddr, max_vaddr) ? elf_status::ok : elf_status::address_out_of_range;
    }

    /// Whether the pages [vaddr, vaddr + pages * 4096) all lie in [min_vaddr, max_vaddr), without
    /// computing an end that could wrap.
    static bool in_range(uint64_t vaddr, uint64_t memsz, uint64_t min_vaddr, uint64_t max_vaddr) noexcept
    {
        if (vaddr < min_vaddr || vaddr >= max_vaddr) {
            return false;
        }
        return pages_of(memsz) <= (max_vaddr - vaddr) / page;
    }

    /// Whether a new segment shares a page with a recorded one. Both are in range, so neither
    /// page-rounded end wraps.
    static bool overlaps(const elf::phdr &ph, const elf_segment &s) noexcept
    {
        const uint64_t end = ph.vaddr + pages_of(ph.memsz) * page;
        const uint64_t s_end = s.vaddr + pages_of(s.memsz) * page;
        return ph.vaddr < s_end && s.vaddr < end;
    }

    /// Whether the entry point lies inside an executable segment.
    bool entry_ok() const noexcept
    {
        for (size_t i = 0; i < m_count; ++i) {
            const elf_segment &s = m_segments[i];
            if (s.exec && m_entry >= s.vaddr && m_entry - s.vaddr < s.memsz) {
                return true;
            }
        }
        return false;
    }

    static uint64_t pages_of(uint64_t bytes) noexcept { return bytes / page + (bytes % page != 0 ? 1 : 0); }

    /// Writes len bytes of the segment's memory image, from offset from on, to dest: file bytes
    /// below filesz, zeros above. The segment was checked to lie inside the buffer.
    void fill(const elf_segment &s, uint64_t from, uint8_t *dest, uint64_t len) const noexcept
    {
        for (uint64_t k = 0; k < len; ++k) {
            const uint64_t at = from + k;
            dest[k] = at < s.filesz ? m_data[s.offset + at] : 0;
        }
    }

    void clear() noexcept
    {
        m_count = 0;
        m_entry = 0;
        m_data = nullptr;
    }

    elf_segment m_segments[MaxSegments]{};
    size_t m_count{};
    uint64_t m_entry{};
    const uint8_t *m_data{};
};

}  // namespace mk
