/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* One start of MicroV as the Linux loader holds it, shared by start.c (the request, the running
 * start), world.c (the pool and the microkernel's address space) and cpus.c (entering the CPUs
 * and giving them back). */
#ifndef MICROV_LOADER_LINUX_START_H
#define MICROV_LOADER_LINUX_START_H

#include <linux/mm_types.h>
#include <linux/smp.h>
#include <linux/types.h>

#include <microv/cpu_caps.h>
#include <microv/mk_loader.h>

#include "loader.h"

#define CHUNK_ORDER 9 /* 2 MiB */
#define CHUNK_PAGES (1U << CHUNK_ORDER)

/* One CPU as the loader prepared it. */
struct cpu_slot {
    unsigned int cpu;
    struct mv_mk_args *args; /* the loader's view; the microkernel's is direct(args_phys) */
    u64 args_phys;
    u64 stack_phys;
    u64 stop_status;             /* RAX of this CPU's stop request */
    call_single_data_t stop_csd; /* the stop's IPI to this CPU */
    int stop_done;               /* the stop ran on this CPU (stop_status is its answer) */
    bool stop_stuck;             /* an earlier stop's IPI never ran: the CPU does not answer */
    bool demoted;
};

/* Everything one start holds; released by release(). While MicroV runs, the running one. */
struct start_ctx {
    struct page *chunks[MV_MK_MAX_CHUNKS];
    u32 chunk_count;
    struct mv_boot_alloc alloc;
    u64 root;
    void *kernel;
    void *ext;
    struct mv_cpu_raw *cpus;
    struct cpu_slot *slots;
    u32 slot_count;
    u64 lapic_phys; /* the xAPIC page (the same on every CPU), 0 in x2APIC mode */
};

/* The microkernel's address of a physical address in its direct map. */
static inline u64 mv_direct(u64 phys) { return MV_MK_DIRECT_MAP_BASE + phys; }

/* world.c: the pool and what the microkernel sees of memory. */
int mv_alloc_pool(struct start_ctx *ctx, u32 pool_mib);
void mv_free_pool(struct start_ctx *ctx);
int mv_map_kernel(struct start_ctx *ctx, const struct mv_mk_image_header *h);
int mv_map_world(struct start_ctx *ctx, struct mv_debug_ring *ring);
u64 mv_os_lapic_page(void);
bool mv_alloc_contiguous(struct start_ctx *ctx, u32 pages, u64 *first);
u64 mv_place_ext(struct start_ctx *ctx, u64 size);

/* cpus.c: entering the microkernel on each CPU, and giving every CPU back. */
struct cpu_call {
    u64 cr3, entry;
    struct cpu_slot *slot;
    u64 status;
};

void mv_enter_on_cpu(void *data);
u32 mv_stop_all(struct start_ctx *ctx);
int mv_prepare_cpus(struct start_ctx *ctx, const struct mv_loader_start *req, u64 ext_va, struct mv_debug_ring *ring,
                    u64 msr_map_phys, u64 io_map_phys);

#endif
