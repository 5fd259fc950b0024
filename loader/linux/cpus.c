// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The CPUs of one start: each one's arguments and stacks, the capture of the OS's state and the
 * entry into the microkernel on each CPU in turn, and the stop that gives all of them back at once.
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

#include "promote_state.h"
#include "start.h"
#include "vendor.h"

#define MK_STACK_PAGES 4U
#define SYSCALL_STACK_PAGES MV_MK_SYSCALL_STACK_PAGES
#define ENTRY_STACK_FIRST (2U + SYSCALL_STACK_PAGES)
#define IST_FIRST (ENTRY_STACK_FIRST + MK_STACK_PAGES)         /* then a guard and a stack page for each */
#define STACK_LAYOUT_PAGES (IST_FIRST + 2U * MV_MK_IST_STACKS) /* with a guard page below each stack */

/* mv_promote (switch_64.S) reads struct mv_promote_state at the offsets of promote_state.h. */
static_assert(offsetof(struct mv_promote_state, cr3) == PS_CR3);
static_assert(offsetof(struct mv_promote_state, os_state_phys) == PS_OS_STATE);
static_assert(offsetof(struct mv_promote_state, rip) == PS_RIP);
static_assert(offsetof(struct mv_promote_state, rsp) == PS_RSP);
static_assert(offsetof(struct mv_promote_state, rflags) == PS_RFLAGS);
static_assert(offsetof(struct mv_promote_state, gprs) == PS_GPR(0));
static_assert(sizeof(((struct mv_promote_state *)0)->gprs) == PS_GPR(16) - PS_GPR(0));
static_assert(offsetof(struct mv_promote_state, cs) == PS_CS);
static_assert(offsetof(struct mv_promote_state, ss) == PS_SS);
static_assert(offsetof(struct mv_promote_state, ds) == PS_DS);
static_assert(offsetof(struct mv_promote_state, es) == PS_ES);
static_assert(offsetof(struct mv_promote_state, gdtr_limit) == PS_GDTR_LIMIT);
static_assert(offsetof(struct mv_promote_state, idtr_limit) == PS_IDTR_LIMIT);
static_assert(offsetof(struct mv_promote_state, gdtr_base) == PS_GDTR_BASE);
static_assert(offsetof(struct mv_promote_state, idtr_base) == PS_IDTR_BASE);

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
    mv_vendor_capture_root_state(st); /* SVM: VM_HSAVE_PA */
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
 * after a fault of its own no longer has it, and the hypercall there, VMMCALL on SVM, would be #UD). */
static bool microv_here(void)
{
    u32 eax, ebx, ecx, edx;

    cpuid(0x40000000, &eax, &ebx, &ecx, &edx);
    return ebx == 0x7263694D && ecx == 0x694D566F && edx == 0x566F7263; /* "MicroVMicroV" */
}

/* On the CPU being demoted, interrupts off: capture the OS, then enter the microkernel. */
void mv_enter_on_cpu(void *data)
{
    struct cpu_call *call = data;
    struct cpu_slot *slot = call->slot;

    if (capture_root_state(&slot->args->root)) {
        call->status = MV_MK_STATUS_BAD_ARGS;
        return;
    }
    call->status = mv_world_switch(call->cr3, mv_direct(slot->stack_phys + MK_STACK_PAGES * PAGE_SIZE), call->entry,
                                   mv_direct(slot->args_phys));
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

    if (microv_here()) {
        slot->stop_status = mv_vendor_hypercall(MV_LOADER_HYPERCALL_STOP);
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
u32 mv_stop_all(struct start_ctx *ctx)
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
int mv_prepare_cpus(struct start_ctx *ctx, const struct mv_loader_start *req, u64 ext_va, struct mv_debug_ring *ring,
                    u64 msr_map_phys, u64 io_map_phys)
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
            if (guard && mv_boot_unmap(&ctx->alloc, ctx->root, mv_direct(phys)) != MV_MAP_OK)
                return -ENOMEM;
            if (p == 1)
                slot->args->syscall_stack_top = mv_direct(phys + SYSCALL_STACK_PAGES * PAGE_SIZE);
            if (p == ENTRY_STACK_FIRST)
                slot->stack_phys = phys;
            if (p >= IST_FIRST && !guard)
                slot->args->ist_stack_top[(p - IST_FIRST) / 2] = mv_direct(phys + PAGE_SIZE);
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
        slot->args->debug_ring = mv_direct(virt_to_phys(ring));
        slot->args->ext_image = ext_va;
        slot->args->ext_image_size = req->ext_size;
        slot->args->msr_map_phys = msr_map_phys;
        slot->args->io_map_phys = io_map_phys;
        /* Each was allocated twice its size: the root VM's map, then the guests' (start.c). */
        slot->args->guest_msr_map_phys = msr_map_phys + MV_MK_MSR_MAP_PAGES * PAGE_SIZE;
        slot->args->guest_io_map_phys = io_map_phys + MV_MK_IO_MAP_PAGES * PAGE_SIZE;
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
