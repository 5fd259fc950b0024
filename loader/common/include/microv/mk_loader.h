/* SPDX-License-Identifier: MIT */
/*
 * Platform-independent steps of starting the microkernel: checking its image, building its
 * address space in pool memory, reading its debug ring. Freestanding C, shared by every loader.
 */
#ifndef MICROV_MK_LOADER_H
#define MICROV_MK_LOADER_H

#include <microv/mk_boot.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mv_image_error {
    MV_IMAGE_OK = 0,
    MV_IMAGE_TOO_SMALL = 1,   /* shorter than its header */
    MV_IMAGE_BAD_MAGIC = 2,   /* not a microkernel image */
    MV_IMAGE_BAD_VERSION = 3, /* another version of the boot protocol */
    MV_IMAGE_BAD_LAYOUT = 4,  /* boundaries unaligned, out of order, or link base not canonical-high */
    MV_IMAGE_BAD_SIZE = 5,    /* file size is not data_end */
    MV_IMAGE_BAD_ENTRY = 6,   /* entry not inside the text */
    MV_IMAGE_TOO_BIG = 7,     /* more than MV_MK_IMAGE_MAX bytes in memory */
};
#define MV_MK_IMAGE_MAX (16ULL * 1024 * 1024)

/** Checks a microkernel image of size bytes; on success copies its header to out. */
enum mv_image_error mv_mk_image_check(const void *image, uint64_t size, struct mv_mk_image_header *out);

/** A text for each mv_image_error. */
const char *mv_image_error_text(enum mv_image_error error);

/** Pool memory as the loader sees it while it builds: a bump allocator over chunk 0. */
struct mv_boot_alloc {
    uint8_t *virt;  /* the loader's view of chunk 0 */
    uint64_t phys;  /* chunk 0's physical address */
    uint64_t pages; /* chunk 0's size */
    uint64_t used;  /* pages handed out from the start */
};

/** A zeroed page from the bump allocator: its loader address, and its physical one in *phys;
 *  NULL when chunk 0 is used up. */
void *mv_boot_alloc_page(struct mv_boot_alloc *alloc, uint64_t *phys);

/** The loader's address of a physical address inside chunk 0, or NULL. */
void *mv_boot_phys_to_virt(const struct mv_boot_alloc *alloc, uint64_t phys);

/** Rights of a page mapped by mv_boot_map. */
#define MV_MAP_WRITE 0x1U
#define MV_MAP_EXEC 0x2U
/** Uncached: PCD and PWT, PAT entry 3, which is UC in the OS's PAT (the microkernel keeps it). */
#define MV_MAP_UNCACHED 0x4U

enum mv_map_error {
    MV_MAP_OK = 0,
    MV_MAP_BAD_ADDRESS = 1, /* unaligned, not canonical, or phys beyond 52 bits */
    MV_MAP_WX = 2,          /* writable and executable */
    MV_MAP_EXISTS = 3,      /* something is mapped there already */
    MV_MAP_NO_MEMORY = 4,   /* the allocator ran out */
};

/**
 * Maps one 4 KiB page in the 4-level tables whose top table is at phys root (inside chunk 0);
 * tables come from alloc. Supervisor-only, non-global; not executable unless MV_MAP_EXEC.
 */
enum mv_map_error mv_boot_map(struct mv_boot_alloc *alloc, uint64_t root, uint64_t virt, uint64_t phys,
                              uint32_t rights);

/**
 * Removes the mapping of the 4 KiB page at virt (tables stay): MV_MAP_OK, or MV_MAP_BAD_ADDRESS
 * when virt is unaligned, not canonical or not mapped. For guard pages below stacks.
 */
enum mv_map_error mv_boot_unmap(const struct mv_boot_alloc *alloc, uint64_t root, uint64_t virt);

/**
 * Copies the newest characters of a debug ring into out[0..len) (oldest first) and returns how
 * many; *lost gets how many were overwritten before they could be read.
 */
uint64_t mv_debug_ring_read(const struct mv_debug_ring *ring, char *out, uint64_t len, uint64_t *lost);

#ifdef __cplusplus
}
#endif

#endif
