// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * MV_LOADER_START and MV_LOADER_STOP: check the request, build the microkernel's world in a pool
 * of 2 MiB chunks (world.c) and enter it on every online CPU (cpus.c); give everything back. The
 * platform-independent steps (image check, page tables, bump allocation) are loader/common's.
 * Every failure unwinds: nothing is kept, no CPU is left changed.
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

static struct start_ctx *running;

static void release(struct start_ctx *ctx)
{
    mv_free_pool(ctx);
    kvfree(ctx->kernel);
    kvfree(ctx->ext);
    kvfree(ctx->cpus);
    kvfree(ctx->slots);
    kfree(ctx);
}

/* While MicroV runs (or a CPU could not be given back) the module holds a reference to itself:
 * MicroV calls mv_promote in the module's text and writes the debug ring the module owns, so
 * rmmod is refused ("in use") until a stop has given every CPU back. */
static void set_running(struct start_ctx *ctx)
{
    if (ctx && !running)
        __module_get(THIS_MODULE);
    if (!ctx && running)
        module_put(THIS_MODULE);
    running = ctx;
}

u64 mv_pool_phys(void) { return running && running->chunk_count ? page_to_phys(running->chunks[0]) : 0; }

u32 mv_running_cpus(void)
{
    u32 n = 0;

    for (u32 i = 0; running && i < running->slot_count; ++i)
        n += running->slots[i].demoted;
    return n;
}

static long fail(struct mv_loader_start *req, u32 result, u32 detail, long err)
{
    req->result = result;
    req->detail = detail;
    return err;
}

/* Copies a user image of size bytes into kernel memory. */
static void *copy_image(u64 user, u64 size)
{
    void *buf = kvmalloc(size, GFP_KERNEL);

    if (buf && copy_from_user(buf, u64_to_user_ptr(user), size)) {
        kvfree(buf);
        return ERR_PTR(-EFAULT);
    }
    return buf ? buf : ERR_PTR(-ENOMEM);
}

/* Checks the request's fields; 0 when they are fine. */
static int check_request(const struct mv_loader_start *req)
{
    if (req->abi_version != MV_LOADER_ABI_VERSION || req->test_fault > MV_TEST_FAULT_LAST || req->reserved1 ||
        req->result || req->detail || req->cpu || req->cpus_entered)
        return -EINVAL;
    if (req->pool_mib < MV_LOADER_POOL_MIN_MIB || req->pool_mib > MV_LOADER_POOL_MAX_MIB || req->pool_mib % 2)
        return -EINVAL;
    if (!req->kernel_size || req->kernel_size > MV_LOADER_IMAGE_MAX || !req->ext_size ||
        req->ext_size > MV_LOADER_IMAGE_MAX || !mv_serial_port_ok(req->serial_port))
        return -EINVAL;
    return 0;
}

static const u8 elf64_ident[5] = {0x7F, 'E', 'L', 'F', 2};

long mv_stop(void)
{
    long ret = 0;

    if (!running)
        return -ENODEV;
    /* `running` and the slots change only under cpus_read_lock: the hotplug callback reads them
     * with the hotplug lock held for writing, and no other lock (see main.c). */
    cpus_read_lock();
    if (mv_stop_all(running)) {
        ret = -EIO;
    } else {
        release(running);
        set_running(NULL);
    }
    cpus_read_unlock();
    return ret;
}

long mv_start(struct mv_loader_start *req, struct mv_debug_ring *ring)
{
    struct start_ctx *ctx;
    struct mv_mk_image_header hdr;
    struct mv_machine_verdict verdict;
    enum mv_image_error image_error;
    u64 ext_va, msr_map_phys = 0, io_map_phys = 0;
    long ret = 0;
    int n;

    if (check_request(req))
        return fail(req, MV_START_BAD_REQUEST, 0, -EINVAL);
    if (running)
        return fail(req, MV_START_RUNNING, 0, -EBUSY);
    ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
    if (!ctx)
        return fail(req, MV_START_NO_MEMORY, 0, -ENOMEM);

    /* The images: the microkernel's header is checked here, the extension by the microkernel. */
    ctx->kernel = copy_image(req->kernel, req->kernel_size);
    if (IS_ERR(ctx->kernel)) {
        ret = PTR_ERR(ctx->kernel);
        ctx->kernel = NULL;
        return fail(req, ret == -EFAULT ? MV_START_BAD_REQUEST : MV_START_NO_MEMORY, 0, ret);
    }
    image_error = mv_mk_image_check(ctx->kernel, req->kernel_size, &hdr);
    if (image_error != MV_IMAGE_OK) {
        release(ctx);
        return fail(req, MV_START_BAD_KERNEL, image_error, -EINVAL);
    }
    ctx->ext = copy_image(req->ext, req->ext_size);
    if (IS_ERR(ctx->ext)) {
        ret = PTR_ERR(ctx->ext);
        ctx->ext = NULL;
        release(ctx);
        return fail(req, ret == -EFAULT ? MV_START_BAD_REQUEST : MV_START_NO_MEMORY, 0, ret);
    }
    if (req->ext_size < sizeof(elf64_ident) || memcmp(ctx->ext, elf64_ident, sizeof(elf64_ident))) {
        release(ctx);
        return fail(req, MV_START_BAD_EXT, 0, -EINVAL);
    }

    /* The set of CPUs stays as it is from the check until every CPU has been entered. */
    cpus_read_lock();
    ctx->cpus = kvcalloc(num_online_cpus(), sizeof(*ctx->cpus), GFP_KERNEL);
    n = ctx->cpus ? mv_read_cpus_locked(ctx->cpus, num_online_cpus()) : -ENOMEM;
    if (n < 0) {
        ret = fail(req, MV_START_NO_MEMORY, 0, n);
        goto out;
    }
    mv_machine_verdict_decide(ctx->cpus, (u32)n, &verdict);
    if (verdict.blockers) {
        req->cpu = verdict.first_bad_cpu;
        ret = fail(req, MV_START_CPU_UNSUITABLE, verdict.blockers, -ENODEV);
        goto out;
    }

    if (mv_alloc_pool(ctx, req->pool_mib)) {
        ret = fail(req, MV_START_NO_MEMORY, 0, -ENOMEM);
        goto out;
    }
    ext_va = 0;
    ctx->lapic_phys = mv_os_lapic_page();
    if (mv_map_kernel(ctx, &hdr) || mv_map_world(ctx, ring) || !(ext_va = mv_place_ext(ctx, req->ext_size)) ||
        !mv_alloc_contiguous(ctx, 2 * MV_MK_MSR_MAP_PAGES, &msr_map_phys) ||
        !mv_alloc_contiguous(ctx, 2 * MV_MK_IO_MAP_PAGES, &io_map_phys) ||
        mv_prepare_cpus(ctx, req, ext_va, ring, msr_map_phys, io_map_phys)) {
        ret = fail(req, MV_START_POOL_TOO_SMALL, 0, -ENOMEM);
        goto out;
    }

    /* Demote the OS on each CPU in turn; on the first failure, give back the CPUs done. */
    for (u32 i = 0; i < ctx->slot_count; ++i) {
        struct cpu_call call = {.cr3 = ctx->root, .entry = hdr.link_base + hdr.entry, .slot = &ctx->slots[i]};
        int err = smp_call_function_single(ctx->slots[i].cpu, mv_enter_on_cpu, &call, 1);

        if (err || call.status != MV_MK_STATUS_DEMOTED) {
            req->cpu = ctx->slots[i].cpu;
            ret = fail(req, MV_START_MK_FAILED, err ? 0 : (u32)call.status, err ? err : -EIO);
            break;
        }
        ctx->slots[i].demoted = true;
        ++req->cpus_entered;
    }
    if (ret && mv_stop_all(ctx)) {
        /* A CPU that cannot be given back still runs the microkernel: keep its memory. */
        set_running(ctx);
        cpus_read_unlock();
        return ret;
    }
    if (!ret) {
        set_running(ctx);
        cpus_read_unlock();
        return 0;
    }

out:
    cpus_read_unlock();
    release(ctx);
    return ret;
}
