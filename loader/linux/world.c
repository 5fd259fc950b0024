// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The pool of 2 MiB chunks and the microkernel's address space in it: the image at its link
 * address, the pool and debug ring in the direct map, the world switch page, the APIC page, the
 * extension's file and the permission maps. The page tables themselves are loader/common's.
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/ioport.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "start.h"

static atomic64_t pool_bytes = ATOMIC64_INIT(0);

u64 mv_pool_bytes(void) { return (u64)atomic64_read(&pool_bytes); }

void mv_free_pool(struct start_ctx *ctx)
{
    for (u32 i = 0; i < ctx->chunk_count; ++i) {
        __free_pages(ctx->chunks[i], CHUNK_ORDER);
        atomic64_sub(PAGE_SIZE << CHUNK_ORDER, &pool_bytes);
    }
    ctx->chunk_count = 0;
}

int mv_alloc_pool(struct start_ctx *ctx, u32 pool_mib)
{
    const u32 count = pool_mib / 2;

    for (ctx->chunk_count = 0; ctx->chunk_count < count; ++ctx->chunk_count) {
        struct page *chunk = alloc_pages(GFP_KERNEL | __GFP_NOWARN, CHUNK_ORDER);

        if (!chunk)
            return -ENOMEM;
        ctx->chunks[ctx->chunk_count] = chunk;
        atomic64_add(PAGE_SIZE << CHUNK_ORDER, &pool_bytes);
    }
    ctx->alloc.virt = page_address(ctx->chunks[0]);
    ctx->alloc.phys = page_to_phys(ctx->chunks[0]);
    ctx->alloc.pages = CHUNK_PAGES;
    ctx->alloc.used = 0;
    return mv_boot_alloc_page(&ctx->alloc, &ctx->root) ? 0 : -ENOMEM;
}

/* Maps bytes of physically contiguous memory at phys to the microkernel's virt. */
static int map_range(struct start_ctx *ctx, u64 virt, u64 phys, u64 bytes, u32 rights)
{
    for (u64 off = 0; off < bytes; off += PAGE_SIZE) {
        if (mv_boot_map(&ctx->alloc, ctx->root, virt + off, phys + off, rights) != MV_MAP_OK)
            return -ENOMEM;
    }
    return 0;
}

/* Loads the flat image page by page at its link base, each part with its rights. */
int mv_map_kernel(struct start_ctx *ctx, const struct mv_mk_image_header *h)
{
    for (u64 off = 0; off < h->bss_end; off += PAGE_SIZE) {
        const u32 rights = off < h->text_end ? MV_MAP_EXEC : off < h->rodata_end ? 0 : MV_MAP_WRITE;
        u64 phys;
        u8 *page = mv_boot_alloc_page(&ctx->alloc, &phys);

        if (!page)
            return -ENOMEM;
        if (off < h->data_end)
            memcpy(page, (u8 *)ctx->kernel + off, min_t(u64, PAGE_SIZE, h->data_end - off));
        if (mv_boot_map(&ctx->alloc, ctx->root, h->link_base + off, phys, rights) != MV_MAP_OK)
            return -ENOMEM;
    }
    return 0;
}

/* The pool, the debug ring and the world switch page, as the microkernel sees them. The world
 * switch is a copy in the pool, at the same address: the module's own page is root-VM memory,
 * which neither the root VM nor the extension may ever get to run in ring 0. */
int mv_map_world(struct start_ctx *ctx, struct mv_debug_ring *ring)
{
    const u64 ring_phys = virt_to_phys(ring);
    const u64 switch_va = (u64)mv_world_switch & PAGE_MASK;
    u64 switch_phys = 0;
    u8 *switch_copy;
    int ret = 0;

    if (((u64)mv_world_switch_end & PAGE_MASK) != switch_va) {
        pr_err("microv: the world switch spans two pages\n");
        return -EINVAL;
    }

    for (u32 i = 0; i < ctx->chunk_count && !ret; ++i) {
        const u64 phys = page_to_phys(ctx->chunks[i]);

        ret = map_range(ctx, mv_direct(phys), phys, PAGE_SIZE << CHUNK_ORDER, MV_MAP_WRITE);
    }
    if (!ret)
        ret = map_range(ctx, mv_direct(ring_phys), ring_phys, PAGE_ALIGN(sizeof(*ring)), MV_MAP_WRITE);
    /* The local APIC page in xAPIC mode: the microkernel sends NMIs through it (x2APIC: MSRs). */
    if (!ret && ctx->lapic_phys)
        ret = map_range(ctx, mv_direct(ctx->lapic_phys), ctx->lapic_phys, PAGE_SIZE, MV_MAP_WRITE | MV_MAP_UNCACHED);
    if (ret)
        return ret;
    switch_copy = mv_boot_alloc_page(&ctx->alloc, &switch_phys);
    if (!switch_copy)
        return -ENOMEM;
    memcpy(switch_copy, (void *)switch_va, PAGE_SIZE);
    return map_range(ctx, switch_va, switch_phys, PAGE_SIZE, MV_MAP_EXEC);
}

/* The OS's xAPIC page, or 0 when its APIC is in x2APIC mode (or off): Linux keeps one base on
 * every CPU. */
u64 mv_os_lapic_page(void)
{
    u64 base;

    rdmsrl(MSR_IA32_APICBASE, base);
    if (!(base & MSR_IA32_APICBASE_ENABLE) || (base & X2APIC_ENABLE))
        return 0;
    return base & MSR_IA32_APICBASE_BASE;
}

/* `pages` physically contiguous zeroed pages from the bump allocator (chunk 0 is contiguous). */
bool mv_alloc_contiguous(struct start_ctx *ctx, u32 pages, u64 *first)
{
    u64 phys = 0;

    for (u32 i = 0; i < pages; ++i) {
        if (!mv_boot_alloc_page(&ctx->alloc, &phys))
            return false;
        if (i == 0)
            *first = phys;
        else if (phys != *first + i * PAGE_SIZE)
            return false;
    }
    return true;
}

/* Copies the extension's ELF file into pool pages; returns its microkernel address, or 0. */
u64 mv_place_ext(struct start_ctx *ctx, u64 size)
{
    u64 first = 0;

    for (u64 off = 0; off < size; off += PAGE_SIZE) {
        u64 phys;
        u8 *page = mv_boot_alloc_page(&ctx->alloc, &phys);

        if (!page)
            return 0;
        if (off == 0)
            first = phys;
        memcpy(page, (u8 *)ctx->ext + off, min_t(u64, PAGE_SIZE, size - off));
    }
    return mv_direct(first);
}
