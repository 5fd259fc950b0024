/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* Shared between the parts of MicroV's Linux loader. */
#ifndef MICROV_LOADER_LINUX_H
#define MICROV_LOADER_LINUX_H

#include <linux/types.h>

#include <microv/loader_ioctl.h>
#include <microv/mk_boot.h>

/** Reads struct mv_cpu_raw on every online CPU into cpus[0..capacity); the caller holds
 *  cpus_read_lock. Returns the number read, or a negative errno. */
int mv_read_cpus_locked(struct mv_cpu_raw *cpus, u32 capacity);

/** MV_LOADER_START's work, with the request already copied in; fills the request's outputs. */
long mv_start(struct mv_loader_start *req, struct mv_debug_ring *ring);

/** MV_LOADER_STOP's work: gives every CPU back and frees everything. */
long mv_stop(void);

/** CPUs MicroV runs on now (0 when it does not run). */
u32 mv_running_cpus(void);

/** Physical address of the running pool's first chunk, or 0. */
u64 mv_pool_phys(void);

/** Bytes of pool memory held right now. */
u64 mv_pool_bytes(void);

/** The world switch of switch_64.S. */
u64 mv_world_switch(u64 mk_cr3, u64 mk_rsp, u64 mk_entry, u64 mk_args);
/** Where the OS goes on as the root VM, and the way out of it (both in switch_64.S). */
extern const char mv_world_switch_resume[];
extern const char mv_promote[];
/** The end of the world switch's code, which must lie in the same page as its start. */
extern const char mv_world_switch_end[];

#endif
