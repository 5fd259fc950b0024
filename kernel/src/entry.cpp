// SPDX-License-Identifier: MIT
// The microkernel's entry: the loader calls mk_entry on each CPU, one CPU at a time, in the
// microkernel's own address space, on a microkernel stack, with interrupts and NMIs held off
// (GIF = 0). The first PP sets up what PPs share (console, page pool, MSR permission map); every
// PP then demotes the OS it finds into the root VM. Only failures return.
#include "pp.hpp"
#include "vendor.hpp"

#include <mk/format.hpp>
#include <mk/spinlock.hpp>
#include <mk/syscall_abi.hpp>
#include <mk/x64/cpu.hpp>
#include <mk/x64/cr4.hpp>
#include <mk/x64/lapic.hpp>

namespace mk {

console<x64::port_io> g_console;
kernel_objects g_objects;
pp_state *g_pps[max_pps];

namespace {

pool_type g_pool;
uint32_t g_pool_lock;

/// The pool the loader handed over, less the pages the loader used at the start of chunk 0.
bool init_pool(const mv_mk_args &args) noexcept
{
    pool_chunk chunks[MV_MK_MAX_CHUNKS];
    if (args.chunk_count == 0 || args.chunk_count > MV_MK_MAX_CHUNKS) {
        return false;
    }
    for (uint32_t i = 0; i < args.chunk_count; ++i) {
        chunks[i] = {reinterpret_cast<uint8_t *>(MV_MK_DIRECT_MAP_BASE + args.chunks[i].phys), args.chunks[i].phys,
                     args.chunks[i].pages};
    }
    const uint64_t used = (args.first_free_page - args.chunks[0].phys) / page_size;
    if (args.first_free_page < args.chunks[0].phys || used >= args.chunks[0].pages) {
        return false;
    }
    chunks[0].virt += used * page_size;
    chunks[0].phys += used * page_size;
    chunks[0].pages -= used;
    return g_pool.init(chunks, args.chunk_count) == pool_type::status::ok;
}

}  // namespace

bool in_direct_map(uint64_t addr, uint64_t size) noexcept
{
    return addr >= MV_MK_DIRECT_MAP_BASE && size <= MV_MK_DIRECT_MAP_SIZE &&
           addr - MV_MK_DIRECT_MAP_BASE <= MV_MK_DIRECT_MAP_SIZE - size;
}

pool_page locked_pool::alloc() noexcept
{
    const spin_guard g{g_pool_lock};
    return g_pool.alloc();
}

void locked_pool::free(const void *virt) noexcept
{
    const spin_guard g{g_pool_lock};
    (void)g_pool.free(virt);
}

uint64_t locked_pool::used() const noexcept
{
    const spin_guard g{g_pool_lock};
    return g_pool.used();
}

uint64_t locked_pool::total() const noexcept
{
    const spin_guard g{g_pool_lock};
    return g_pool.used() + g_pool.available();
}

void *locked_pool::phys_to_virt(uint64_t phys) const noexcept
{
    // Every pool page, the loader's part of chunk 0 included, is in the direct map.
    return reinterpret_cast<void *>(MV_MK_DIRECT_MAP_BASE + phys);
}

void *alloc_page(uint64_t &phys) noexcept
{
    const pool_page page = locked_pool{}.alloc();
    phys = page.phys;
    return page.virt;
}

// Each line is written whole: PPs that print at once (all of them leave together) do not
// interleave their lines.
void print_hex64(const char *before, uint64_t value, const char *after) noexcept
{
    char buf[19];
    char line[192];
    g_console.write(join(line, before, format_hex64(value, buf), after));
}

void print_id(const char *before, uint16_t id, const char *after) noexcept
{
    char buf[19];
    char line[192];
    g_console.write(join(line, before, "0x", format_hex64(id, buf) + 14, after));
}

}  // namespace mk

extern "C" uint64_t mk_entry(const mv_mk_args *args, uint64_t os_rsp)
{
    using namespace mk;

    // Check what the loader handed over before using any of it.
    if (args->version != MV_MK_ARGS_VERSION || args->ppid >= args->online_pps ||
        !in_direct_map(args->debug_ring, sizeof(mv_debug_ring)) || args->root.gdtr_limit >= MV_GDT_COPY_MAX ||
        !in_direct_map(args->ext_image, args->ext_image_size) || !in_direct_map(args->syscall_stack_top - 1, 1) ||
        !in_direct_map(args->ist_stack_top[0] - 1, 1) || !in_direct_map(args->ist_stack_top[1] - 1, 1) ||
        !in_direct_map(args->ist_stack_top[2] - 1, 1) || !vendor::args_ok(*args) ||
        mv_serial_port_ok(args->serial_port) == 0) {
        return MV_MK_STATUS_BAD_ARGS;
    }
#ifdef MICROV_TEST_FAULTS
    if (args->test_fault > MV_TEST_FAULT_LAST) {
        return MV_MK_STATUS_BAD_ARGS;
    }
#else
    if (args->test_fault != MV_TEST_FAULT_NONE) {
        return MV_MK_STATUS_BAD_ARGS;  // faults on purpose are the test build's alone
    }
#endif

    // The host's CR4 drops what the root VM's PKRU, PKRS or CET state could use against it (a
    // failed start gets the OS's CR4 back from the world switch, a promote the root VM's).
    x64::write_cr4(x64::host_cr4(x64::read_cr4()));

    // The first PP in sets up what all PPs share: console, pool, MSR map, the extension's image.
    if (args->ppid == 0) {
        g_console.init(reinterpret_cast<mv_debug_ring *>(args->debug_ring), args->serial_port, 115200);
        if (!init_pool(*args)) {
            g_console.write("microv: the loader's page pool is unusable\n");
            return MV_MK_STATUS_BAD_ARGS;
        }
        if (const uint64_t status = vendor::init_root_vm(*args); status != step_ok) {
            return status;
        }
        g_objects.vms[abi::root_vmid].used = true;
        (void)fpu_init();  // without it MicroV runs, but makes no guest VS
        if (const uint64_t status = load_extension(*args); status != step_ok) {
            return status;
        }
    }

    uint64_t phys = 0;
    auto *pp = static_cast<pp_state *>(alloc_page(phys));
    void *promote_page = pp == nullptr ? nullptr : alloc_page(pp->promote_page_phys);
    if (pp == nullptr || promote_page == nullptr) {
        return MV_MK_STATUS_NO_MEMORY;
    }
    pp->self = pp;
    pp->promote_page = promote_page;
    pp->id = args->ppid;
    pp->args = args;
    pp->os_rsp = os_rsp;
    pp->active_vsid = abi::invalid_id;
    pp->fpu_vsid = abi::invalid_id;

    // What of the OS's state the vendor code keeps, before the microkernel's own replaces it.
    if (const uint64_t status = vendor::pp_save_os(*pp); status != step_ok) {
        return status;
    }
    load_descriptor_tables(*pp);
    if (test_fault_here(*pp, MV_TEST_FAULT_NO_MEMORY) || !prepare_extension(*pp)) {
        restore_os_state(*pp);  // the microkernel's GDT and IDT may be loaded already
        return MV_MK_STATUS_NO_MEMORY;
    }
    vendor::pp_init_host(*pp);
    pp->apic_id = x64::lapic::own_id(x64::cpuid);
    if (pp->id < max_pps) {
        __atomic_store_n(&g_pps[pp->id], pp, __ATOMIC_RELEASE);
    }

    // A failed start comes back here, from wherever it failed, with the OS's tables restored.
    if (const uint64_t status = mk_context_save(&pp->entry_context); status != 0) {
        return status;
    }
    start_extension(*pp);
}
