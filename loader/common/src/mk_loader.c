/* SPDX-License-Identifier: MIT */
#include <microv/mk_loader.h>

#define PTE_PRESENT 0x1ULL
#define PTE_WRITE 0x2ULL
#define PTE_PWT 0x8ULL
#define PTE_PCD 0x10ULL
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL

static int page_aligned(uint64_t value) { return (value & (MV_PAGE_SIZE - 1)) == 0; }

enum mv_image_error mv_mk_image_check(const void *image, uint64_t size, struct mv_mk_image_header *out)
{
    const uint8_t *bytes = (const uint8_t *)image;
    struct mv_mk_image_header h;

    if (size < sizeof(h)) {
        return MV_IMAGE_TOO_SMALL;
    }
    for (uint64_t i = 0; i < sizeof(h); ++i) { /* the image may be unaligned: copy bytewise */
        ((uint8_t *)&h)[i] = bytes[i];
    }
    if (h.magic != MV_MK_IMAGE_MAGIC) {
        return MV_IMAGE_BAD_MAGIC;
    }
    if (h.version != MV_MK_IMAGE_VERSION || h.header_size != sizeof(h)) {
        return MV_IMAGE_BAD_VERSION;
    }
    /* The image lives in the top half, in order: text, rodata, data, bss. */
    if (!page_aligned(h.link_base) || h.link_base < 0xFFFF800000000000ULL || !page_aligned(h.text_end) ||
        !page_aligned(h.rodata_end) || !page_aligned(h.data_end) || h.text_end == 0 || h.rodata_end < h.text_end ||
        h.data_end < h.rodata_end || h.bss_end < h.data_end) {
        return MV_IMAGE_BAD_LAYOUT;
    }
    if (h.bss_end > MV_MK_IMAGE_MAX || h.bss_end > 0 - h.link_base) {
        return MV_IMAGE_TOO_BIG;
    }
    if (size != h.data_end) {
        return MV_IMAGE_BAD_SIZE;
    }
    if (h.entry < sizeof(h) || h.entry >= h.text_end) {
        return MV_IMAGE_BAD_ENTRY;
    }
    *out = h;
    return MV_IMAGE_OK;
}

const char *mv_image_error_text(enum mv_image_error error)
{
    switch (error) {
    case MV_IMAGE_OK:
        return "ok";
    case MV_IMAGE_TOO_SMALL:
        return "the microkernel image is shorter than its header";
    case MV_IMAGE_BAD_MAGIC:
        return "not a MicroV microkernel image (bad magic)";
    case MV_IMAGE_BAD_VERSION:
        return "the microkernel image is for another boot protocol version";
    case MV_IMAGE_BAD_LAYOUT:
        return "the microkernel image's layout is invalid";
    case MV_IMAGE_BAD_SIZE:
        return "the microkernel image's size does not match its header (truncated?)";
    case MV_IMAGE_BAD_ENTRY:
        return "the microkernel image's entry point is outside its text";
    case MV_IMAGE_TOO_BIG:
        return "the microkernel image is too big";
    }
    return "unknown image error";
}

void *mv_boot_alloc_page(struct mv_boot_alloc *alloc, uint64_t *phys)
{
    if (alloc->used >= alloc->pages) {
        return 0;
    }
    uint8_t *page = alloc->virt + alloc->used * MV_PAGE_SIZE;
    *phys = alloc->phys + alloc->used * MV_PAGE_SIZE;
    ++alloc->used;
    for (uint64_t i = 0; i < MV_PAGE_SIZE; ++i) {
        page[i] = 0;
    }
    return page;
}

void *mv_boot_phys_to_virt(const struct mv_boot_alloc *alloc, uint64_t phys)
{
    if (phys < alloc->phys || phys - alloc->phys >= alloc->pages * MV_PAGE_SIZE) {
        return 0;
    }
    return alloc->virt + (phys - alloc->phys);
}

static int canonical(uint64_t virt)
{
    const uint64_t high = virt >> 47;
    return high == 0 || high == 0x1FFFF;
}

enum mv_map_error mv_boot_map(struct mv_boot_alloc *alloc, uint64_t root, uint64_t virt, uint64_t phys, uint32_t rights)
{
    if (!page_aligned(virt) || !page_aligned(phys) || !canonical(virt) || phys >= (1ULL << 52)) {
        return MV_MAP_BAD_ADDRESS;
    }
    if ((rights & MV_MAP_WRITE) && (rights & MV_MAP_EXEC)) {
        return MV_MAP_WX;
    }
    uint64_t *table = (uint64_t *)mv_boot_phys_to_virt(alloc, root);
    if (!table) {
        return MV_MAP_BAD_ADDRESS;
    }
    /* Walk PML4, PDPT, PD, creating tables on the way; the leaf decides the rights. */
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t *entry = &table[(virt >> shift) & 0x1FF];
        if (!(*entry & PTE_PRESENT)) {
            uint64_t next = 0;
            if (!mv_boot_alloc_page(alloc, &next)) {
                return MV_MAP_NO_MEMORY;
            }
            *entry = next | PTE_PRESENT | PTE_WRITE;
        }
        table = (uint64_t *)mv_boot_phys_to_virt(alloc, *entry & PTE_ADDR);
    }
    uint64_t *leaf = &table[(virt >> 12) & 0x1FF];
    if (*leaf & PTE_PRESENT) {
        return MV_MAP_EXISTS;
    }
    *leaf = phys | PTE_PRESENT | ((rights & MV_MAP_WRITE) ? PTE_WRITE : 0) | ((rights & MV_MAP_EXEC) ? 0 : PTE_NX) |
            ((rights & MV_MAP_UNCACHED) ? PTE_PCD | PTE_PWT : 0);
    return MV_MAP_OK;
}

enum mv_map_error mv_boot_unmap(const struct mv_boot_alloc *alloc, uint64_t root, uint64_t virt)
{
    if (!page_aligned(virt) || !canonical(virt)) {
        return MV_MAP_BAD_ADDRESS;
    }
    uint64_t *table = (uint64_t *)mv_boot_phys_to_virt(alloc, root);
    for (int shift = 39; table && shift > 12; shift -= 9) {
        const uint64_t entry = table[(virt >> shift) & 0x1FF];
        table = (entry & PTE_PRESENT) ? (uint64_t *)mv_boot_phys_to_virt(alloc, entry & PTE_ADDR) : 0;
    }
    if (!table || !(table[(virt >> 12) & 0x1FF] & PTE_PRESENT)) {
        return MV_MAP_BAD_ADDRESS;
    }
    table[(virt >> 12) & 0x1FF] = 0;
    return MV_MAP_OK;
}

uint64_t mv_debug_ring_read(const struct mv_debug_ring *ring, char *out, uint64_t len, uint64_t *lost)
{
    const uint64_t written = ring->written;
    const uint64_t held = written < MV_DEBUG_RING_SIZE ? written : MV_DEBUG_RING_SIZE;
    const uint64_t n = held < len ? held : len;
    for (uint64_t i = 0, from = written - n; i < n; ++i, ++from) {
        out[i] = ring->buf[from % MV_DEBUG_RING_SIZE];
    }
    *lost = written - held;
    return n;
}
