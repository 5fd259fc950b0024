// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * MV_LOADER_START: builds the microkernel's world in a pool of 2 MiB chunks and enters it on
 * every online CPU. The platform-independent steps (image check, page tables, bump allocation)
 * are loader/common's; this file only gets Linux's memory and CPUs. Every failure unwinds:
 * nothing is kept, no CPU is left changed.
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

#include <microv/cpu_caps.h>
#include <microv/mk_loader.h>

#include "loader.h"

#define CHUNK_ORDER 9 /* 2 MiB */
#define CHUNK_PAGES (1U << CHUNK_ORDER)
#define MK_STACK_PAGES 4U
#define SYSCALL_STACK_PAGES MV_MK_SYSCALL_STACK_PAGES
#define ENTRY_STACK_FIRST (2U + SYSCALL_STACK_PAGES)
#define IST_FIRST (ENTRY_STACK_FIRST + MK_STACK_PAGES)         /* then a guard and a stack page for each */
#define STACK_LAYOUT_PAGES (IST_FIRST + 2U * MV_MK_IST_STACKS) /* with a guard page below each stack */

static atomic64_t pool_bytes = ATOMIC64_INIT(0);

u64 mv_pool_bytes(void) { return (u64)atomic64_read(&pool_bytes); }

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

static struct start_ctx *running;

static void release(struct start_ctx *ctx)
{
    for (u32 i = 0; i < ctx->chunk_count; ++i) {
        __free_pages(ctx->chunks[i], CHUNK_ORDER);
        atomic64_sub(PAGE_SIZE << CHUNK_ORDER, &pool_bytes);
    }
    ctx->chunk_count = 0;
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

static int alloc_pool(struct start_ctx *ctx, u32 pool_mib)
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

static u64 direct(u64 phys) { return MV_MK_DIRECT_MAP_BASE + phys; }

/* Loads the flat image page by page at its link base, each part with its rights. */
static int map_kernel(struct start_ctx *ctx, const struct mv_mk_image_header *h)
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
static int map_world(struct start_ctx *ctx, struct mv_debug_ring *ring)
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

        ret = map_range(ctx, direct(phys), phys, PAGE_SIZE << CHUNK_ORDER, MV_MAP_WRITE);
    }
    if (!ret)
        ret = map_range(ctx, direct(ring_phys), ring_phys, PAGE_ALIGN(sizeof(*ring)), MV_MAP_WRITE);
    /* The local APIC page in xAPIC mode: the microkernel sends NMIs through it (x2APIC: MSRs). */
    if (!ret && ctx->lapic_phys)
        ret = map_range(ctx, direct(ctx->lapic_phys), ctx->lapic_phys, PAGE_SIZE, MV_MAP_WRITE | MV_MAP_UNCACHED);
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
static u64 os_lapic_page(void)
{
    u64 base;

    rdmsrl(MSR_IA32_APICBASE, base);
    if (!(base & MSR_IA32_APICBASE_ENABLE) || (base & X2APIC_ENABLE))
        return 0;
    return base & MSR_IA32_APICBASE_BASE;
}

/* `pages` physically contiguous zeroed pages from the bump allocator (chunk 0 is contiguous). */
static bool alloc_contiguous(struct start_ctx *ctx, u32 pages, u64 *first)
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
static u64 place_ext(struct start_ctx *ctx, u64 size)
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
    return direct(first);
}

/* What the OS is on this CPU right now: what the root VM starts from. */
static int capture_root_state(struct mv_root_state *st)
{
    struct desc_ptr gdt, idt;
    unsigned long dr7;
    u16 sel;

    native_store_gdt(&gdt);
    store_idt(&idt);
    if (gdt.size >= MV_GDT_COPY_MAX)
        return -E2BIG;
    st->cr0 = native_read_cr0();
    st->cr3 = __read_cr3();
    st->cr4 = __read_cr4();
    rdmsrl(MSR_EFER, st->efer);
    rdmsrl(MSR_IA32_CR_PAT, st->pat);
    rdmsrl(MSR_VM_HSAVE_PA, st->vm_hsave_pa);
    get_debugreg(dr7, 7);
    st->dr7 = dr7;
    st->gdtr_base = gdt.address;
    st->gdtr_limit = gdt.size;
    st->idtr_base = idt.address;
    st->idtr_limit = idt.size;
    asm volatile("mov %%cs, %0" : "=r"(sel));
    st->cs = sel;
    asm volatile("mov %%ss, %0" : "=r"(sel));
    st->ss = sel;
    asm volatile("mov %%ds, %0" : "=r"(sel));
    st->ds = sel;
    asm volatile("mov %%es, %0" : "=r"(sel));
    st->es = sel;
    memcpy(st->gdt, (void *)gdt.address, gdt.size + 1U);
    st->resume_rip = (u64)mv_world_switch_resume;
    return 0;
}

/* Whether this CPU still runs under MicroV: its CPUID signature (a CPU the microkernel gave back
 * after a fault of its own no longer has it, and VMMCALL there would be #UD). */
static bool microv_here(void)
{
    u32 eax, ebx, ecx, edx;

    cpuid(0x40000000, &eax, &ebx, &ecx, &edx);
    return ebx == 0x7263694D && ecx == 0x694D566F && edx == 0x566F7263; /* "MicroVMicroV" */
}

struct cpu_call {
    u64 cr3, entry;
    struct cpu_slot *slot;
    u64 status;
};

/* On the CPU being demoted, interrupts off: capture the OS, then enter the microkernel. */
static void enter_on_cpu(void *data)
{
    struct cpu_call *call = data;
    struct cpu_slot *slot = call->slot;

    if (capture_root_state(&slot->args->root)) {
        call->status = MV_MK_STATUS_BAD_ARGS;
        return;
    }
    call->status = mv_world_switch(call->cr3, direct(slot->stack_phys + MK_STACK_PAGES * PAGE_SIZE), call->entry,
                                   direct(slot->args_phys));
    /* The root VM's first exit on this CPU (this CPUID) makes it one of the CPUs that must all
     * ask to stop together (the microkernel's leave_barrier.hpp); it also checks MicroV answers. */
    if (call->status == MV_MK_STATUS_DEMOTED && !microv_here())
        call->status = MV_MK_STATUS_NOT_READY;
}

/* On every demoted CPU at once (IPIs, interrupts off): asks the microkernel to give the CPU
 * back. It does so only when every CPU under MicroV asks within about a second, and otherwise
 * refuses on all (MV_LOADER_STOP_REFUSED): no CPU may run natively over MicroV's memory while
 * another still runs MicroV. */
static void stop_on_cpu(void *data)
{
    struct cpu_slot *slot = data;
    u64 rax = MV_LOADER_HYPERCALL_STOP;

    if (microv_here()) {
        asm volatile("vmmcall" : "+a"(rax) : : "memory");
        slot->stop_status = rax;
    } else {
        slot->stop_status = 0; /* given back already */
    }
    smp_store_release(&slot->stop_done, 1);
}

/* How long a stop waits for a CPU to answer: well past the microkernel's own bound (2^32 TSC
 * ticks) for all CPUs to ask. A CPU that does not answer in time (halted with GIF=0) makes the
 * stop fail instead of blocking forever with the loader's lock and the hotplug lock held. */
#define STOP_WAIT_MS 10000U

/* Gives back every demoted CPU, all at once; returns how many could not be stopped. */
static u32 stop_all(struct start_ctx *ctx)
{
    const unsigned long deadline = jiffies + msecs_to_jiffies(STOP_WAIT_MS);
    struct cpu_slot *mine = NULL;
    unsigned long flags;
    unsigned int self;
    u32 failed = 0;

    /* The IPIs first, then this CPU's own request: the microkernel waits for all of them. */
    self = get_cpu();
    for (u32 i = 0; i < ctx->slot_count; ++i) {
        struct cpu_slot *slot = &ctx->slots[i];

        if (!slot->demoted || slot->stop_stuck)
            continue;
        slot->stop_status = ~0ULL;
        slot->stop_done = 0;
        if (slot->cpu == self) {
            mine = slot;
            continue;
        }
        INIT_CSD(&slot->stop_csd, stop_on_cpu, slot);
        if (smp_call_function_single_async(slot->cpu, &slot->stop_csd))
            slot->stop_done = 1; /* not sent: stop_status stays ~0, a failure */
    }
    if (mine) {
        local_irq_save(flags);
        stop_on_cpu(mine);
        local_irq_restore(flags);
    }
    put_cpu();

    for (u32 i = 0; i < ctx->slot_count; ++i) {
        struct cpu_slot *slot = &ctx->slots[i];

        if (!slot->demoted)
            continue;
        while (!slot->stop_stuck && !smp_load_acquire(&slot->stop_done) && time_before(jiffies, deadline))
            msleep(1);
        if (slot->stop_stuck || !smp_load_acquire(&slot->stop_done)) {
            /* Its IPI may still run one day: the slot (and so the whole start) stays allocated. */
            slot->stop_stuck = true;
            pr_err("microv: cpu %u does not answer the stop (halted under MicroV?)\n", slot->cpu);
            ++failed;
            continue;
        }
        if (slot->stop_status) {
            pr_err("microv: cpu %u did not stop (status %llu)\n", slot->cpu, slot->stop_status);
            ++failed;
            continue;
        }
        slot->demoted = false;
    }
    return failed;
}

struct ram_walk {
    struct mv_mk_args *args;
};

/* One "System RAM" resource: its whole pages go to the microkernel's list of the root VM's RAM. */
static int add_ram_range(struct resource *res, void *data)
{
    struct mv_mk_args *args = ((struct ram_walk *)data)->args;
    const u64 base = PAGE_ALIGN(res->start);
    const u64 end = (res->end + 1) & PAGE_MASK;

    if (args->ram_count == MV_MK_MAX_RAM_RANGES || end <= base)
        return 0; /* the rest is not offered to MicroV: hypercalls naming it are refused */
    args->ram[args->ram_count].base = base;
    args->ram[args->ram_count].size = end - base;
    ++args->ram_count;
    return 0;
}

/* The arguments and stack of every CPU, before the first is entered: after this, the pool
 * past the bump allocator's mark is the microkernel's. */
static int prepare_cpus(struct start_ctx *ctx, const struct mv_loader_start *req, u64 ext_va,
                        struct mv_debug_ring *ring, u64 msrpm_phys, u64 iopm_phys)
{
    unsigned int cpu;
    u32 i = 0;

    ctx->slots = kvcalloc(num_online_cpus(), sizeof(*ctx->slots), GFP_KERNEL);
    if (!ctx->slots)
        return -ENOMEM;
    for_each_online_cpu (cpu) {
        struct cpu_slot *slot = &ctx->slots[i];
        u64 phys;

        slot->cpu = cpu;
        slot->args = mv_boot_alloc_page(&ctx->alloc, &slot->args_phys);
        /* A guard page, the syscall stack, a guard page, the entry stack, then a guard page and
         * a page for each IST stack: a guard is left out of the microkernel's tables, so an
         * overflow faults (#PF, then #DF on its own stack, which reports it) instead of writing
         * over the page below. */
        for (u32 p = 0; slot->args && p < STACK_LAYOUT_PAGES; ++p) {
            const bool guard = p == 0 || p == ENTRY_STACK_FIRST - 1 || (p >= IST_FIRST && (p - IST_FIRST) % 2 == 0);

            if (!mv_boot_alloc_page(&ctx->alloc, &phys))
                return -ENOMEM;
            if (guard && mv_boot_unmap(&ctx->alloc, ctx->root, direct(phys)) != MV_MAP_OK)
                return -ENOMEM;
            if (p == 1)
                slot->args->syscall_stack_top = direct(phys + SYSCALL_STACK_PAGES * PAGE_SIZE);
            if (p == ENTRY_STACK_FIRST)
                slot->stack_phys = phys;
            if (p >= IST_FIRST && !guard)
                slot->args->ist_stack_top[(p - IST_FIRST) / 2] = direct(phys + PAGE_SIZE);
        }
        if (!slot->args)
            return -ENOMEM;
        slot->args->version = MV_MK_ARGS_VERSION;
        slot->args->ppid = (u16)i;
        slot->args->online_pps = (u16)num_online_cpus();
        slot->args->serial_port = req->serial_port;
        slot->args->test_fault = req->test_fault;
        slot->args->chunk_count = ctx->chunk_count;
        for (u32 c = 0; c < ctx->chunk_count; ++c) {
            slot->args->chunks[c].phys = page_to_phys(ctx->chunks[c]);
            slot->args->chunks[c].pages = CHUNK_PAGES;
        }
        slot->args->debug_ring = direct(virt_to_phys(ring));
        slot->args->ext_image = ext_va;
        slot->args->ext_image_size = req->ext_size;
        slot->args->msrpm_phys = msrpm_phys;
        slot->args->iopm_phys = iopm_phys;
        slot->args->promote = (u64)mv_promote;
        slot->args->os_direct_base = (u64)PAGE_OFFSET;
        slot->args->lapic_phys = ctx->lapic_phys;
        {
            struct ram_walk walk = {.args = slot->args};

            walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0, -1, &walk, add_ram_range);
        }
        ctx->slot_count = ++i;
    }
    for (i = 0; i < ctx->slot_count; ++i)
        ctx->slots[i].args->first_free_page = ctx->alloc.phys + ctx->alloc.used * PAGE_SIZE;
    return 0;
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
    if (stop_all(running)) {
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
    u64 ext_va, msrpm_phys = 0, iopm_phys = 0;
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

    if (alloc_pool(ctx, req->pool_mib)) {
        ret = fail(req, MV_START_NO_MEMORY, 0, -ENOMEM);
        goto out;
    }
    ext_va = 0;
    ctx->lapic_phys = os_lapic_page();
    if (map_kernel(ctx, &hdr) || map_world(ctx, ring) || !(ext_va = place_ext(ctx, req->ext_size)) ||
        !alloc_contiguous(ctx, 2, &msrpm_phys) || !alloc_contiguous(ctx, 3, &iopm_phys) ||
        prepare_cpus(ctx, req, ext_va, ring, msrpm_phys, iopm_phys)) {
        ret = fail(req, MV_START_POOL_TOO_SMALL, 0, -ENOMEM);
        goto out;
    }

    /* Demote the OS on each CPU in turn; on the first failure, give back the CPUs done. */
    for (u32 i = 0; i < ctx->slot_count; ++i) {
        struct cpu_call call = {.cr3 = ctx->root, .entry = hdr.link_base + hdr.entry, .slot = &ctx->slots[i]};
        int err = smp_call_function_single(ctx->slots[i].cpu, enter_on_cpu, &call, 1);

        if (err || call.status != MV_MK_STATUS_DEMOTED) {
            req->cpu = ctx->slots[i].cpu;
            ret = fail(req, MV_START_MK_FAILED, err ? 0 : (u32)call.status, err ? err : -EIO);
            break;
        }
        ctx->slots[i].demoted = true;
        ++req->cpus_entered;
    }
    if (ret && stop_all(ctx)) {
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
