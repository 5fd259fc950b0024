/* SPDX-License-Identifier: MIT */
/*
 * The boot protocol between MicroV's loaders and the microkernel: the header at the start of the
 * microkernel's flat image, the per-CPU arguments the loader hands to its entry point, and the
 * shared debug ring. Used by the loaders (C) and the microkernel (C++).
 */
#ifndef MICROV_MK_BOOT_H
#define MICROV_MK_BOOT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define MV_PAGE_SIZE 4096ULL

/** "MicroVmk" read as a little-endian 64-bit number. */
#define MV_MK_IMAGE_MAGIC 0x6B6D566F7263694DULL
#define MV_MK_IMAGE_VERSION 1U

/**
 * At offset 0 of the microkernel's flat image (made by objcopy from its ELF). Offsets are from
 * the start of the image, which must be mapped at link_base: [0, text_end) read+execute,
 * [text_end, rodata_end) read-only, [rodata_end, data_end) read+write from the file,
 * [data_end, bss_end) read+write zeroed. The file is exactly data_end bytes long.
 */
struct mv_mk_image_header {
    uint64_t magic;
    uint32_t version;
    uint32_t header_size;
    uint64_t link_base;
    uint64_t text_end;
    uint64_t rodata_end;
    uint64_t data_end;
    uint64_t bss_end;
    uint64_t entry; /* offset of mk_entry, inside the text */
};

/** Where the microkernel sees the pool: pool physical address + this base. */
#define MV_MK_DIRECT_MAP_BASE 0xFFFF900000000000ULL
/** The direct map covers physical addresses below this (4-level paging: 64 TiB is plenty). */
#define MV_MK_DIRECT_MAP_SIZE 0x0000400000000000ULL

/** The debug ring both the microkernel (writer) and the loader (reader, `vmmctl dump`) see. */
#define MV_DEBUG_RING_SIZE (64U * 1024U - 16U) /* the whole struct is 64 KiB */
struct mv_debug_ring {
    uint64_t written; /* characters ever written; buf[i % size] holds character i */
    uint32_t lock;    /* writers' spinlock */
    uint32_t reserved;
    char buf[MV_DEBUG_RING_SIZE];
};

/** Status the microkernel's entry returns to the loader. */
#define MV_MK_STATUS_DEMOTED 0U        /* the OS now runs in the root VM (not reached yet) */
#define MV_MK_STATUS_BAD_ARGS 1U       /* the arguments failed the microkernel's checks */
#define MV_MK_STATUS_NOT_READY 2U      /* entered and checked, but cannot demote yet */

#define MV_MK_ARGS_VERSION 1U
#define MV_MK_MAX_CHUNKS 64U

/** A physically contiguous part of the pool. */
struct mv_pool_chunk {
    uint64_t phys;
    uint64_t pages;
};

/** What the loader hands the microkernel on each CPU; lives in pool memory. Pointers are the
 *  microkernel's (direct map) addresses. */
struct mv_mk_args {
    uint32_t version;
    uint16_t ppid;
    uint16_t online_pps;
    uint16_t serial_port; /* 0: no serial output */
    uint16_t reserved0;
    uint32_t chunk_count;
    struct mv_pool_chunk chunks[MV_MK_MAX_CHUNKS];
    uint64_t first_free_page; /* phys: the loader used the pool below this in chunk 0 */
    uint64_t debug_ring;      /* struct mv_debug_ring * */
    uint64_t ext_image;       /* the extension's ELF file */
    uint64_t ext_image_size;
};

#ifdef __cplusplus
}
#endif

#endif
