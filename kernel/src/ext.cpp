// SPDX-License-Identifier: MIT
// The extension MicroV runs in ring 3 of the host: its address space (the microkernel's upper
// half, supervisor-only, plus its own lower half), its ELF image, and each PP's TLS block, stack
// and SYSCALL setup. Also the ways into it: _start, the bootstrap and vmexit callbacks, and what
// happens when it fails.
#include "pp.hpp"

#include <mk/elf_image.hpp>
#include <mk/exit_abi.hpp>
#include <mk/page_quarantine.hpp>
#include <mk/syscall_abi.hpp>
#include <mk/x64/cpu.hpp>

extern "C" void mk_syscall_entry();

namespace mk {
namespace {

// The extension's address space (lower half). Each range is far from the others.
constexpr uint64_t ext_image_min = 0x0000000000400000ULL;
constexpr uint64_t ext_image_max = 0x0000100000000000ULL;
constexpr uint64_t ext_tls_base = 0x0000200000000000ULL;    // + ppid * 64 KiB: 2 pages
constexpr uint64_t ext_stack_base = 0x0000300000000000ULL;  // + ppid * 1 MiB: guard page, 8 pages
constexpr uint64_t ext_stack_pages = 8;
constexpr uint64_t tls_pages = 2;

constexpr uint32_t msr_star = 0xC0000081;
constexpr uint32_t msr_lstar = 0xC0000082;
constexpr uint32_t msr_sfmask = 0xC0000084;
constexpr uint32_t msr_fs_base = 0xC0000100;
constexpr uint32_t msr_gs_base = 0xC0000101;
constexpr uint32_t msr_kernel_gs_base = 0xC0000102;
constexpr uint64_t sfmask_value = 0x47700;  // TF, IF, DF, IOPL, NT, AC cleared on SYSCALL

struct extension {
    page_tables<locked_pool> tables;
    locked_pool pool;
    uint64_t entry{};
    bool started{};
    page_quarantine<512> freed;  // heap pages the extension freed (page_quarantine.hpp)
    uint32_t freed_lock{};
    const mv_mk_args *args{};  // its chunks are what the microkernel's direct map holds
};
extension g_ext;

/// Maps count fresh pool pages at virt with rights; returns the first page's microkernel address.
void *map_new_pages(uint64_t virt, uint64_t count, page_rights rights) noexcept
{
    void *first = nullptr;
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t phys = 0;
        void *page = alloc_page(phys);
        if (page == nullptr || g_ext.tables.map(virt + i * page_size, phys, rights) != map_status::ok) {
            return nullptr;
        }
        first = i == 0 ? page : first;
    }
    return first;
}

}  // namespace

uint64_t load_extension(const mv_mk_args &args) noexcept
{
    // The ELF file as the loader left it in the pool, read through the direct map.
    const auto *file = reinterpret_cast<const uint8_t *>(args.ext_image);
    elf_image<8> image;
    if (args.ext_image_size > 16ULL * 1024 * 1024 ||
        image.parse(file, args.ext_image_size, ext_image_min, ext_image_max) != elf_status::ok) {
        g_console.write("microv: the extension's ELF image was refused\n");
        return MV_MK_STATUS_BAD_EXT;
    }
    if (!g_ext.tables.init(g_ext.pool)) {
        return MV_MK_STATUS_NO_MEMORY;
    }
    g_ext.args = &args;

    // The upper half is the microkernel's: the same tables, supervisor-only.
    const auto *mk_top = static_cast<const uint64_t *>(g_ext.pool.phys_to_virt(x64::read_cr3() & ~0xFFFULL));
    auto *ext_top = static_cast<uint64_t *>(g_ext.pool.phys_to_virt(g_ext.tables.root_phys()));
    for (unsigned i = 256; i < 512; ++i) {
        ext_top[i] = mk_top[i];
    }

    // Each segment, page by page, with the rights its ELF header asks for (W^X checked by parse).
    for (size_t s = 0; s < image.segment_count(); ++s) {
        const elf_segment &seg = image.segment(s);
        for (uint64_t p = 0; p < image.page_count(s); ++p) {
            uint64_t phys = 0;
            void *page = alloc_page(phys);
            if (page == nullptr || !image.copy_page(s, p, page) ||
                g_ext.tables.map(seg.vaddr + p * page_size, phys, {seg.write, seg.exec, true}) != map_status::ok) {
                return MV_MK_STATUS_NO_MEMORY;
            }
        }
    }
    g_ext.entry = image.entry();
    return step_ok;
}

bool prepare_extension(pp_state &pp) noexcept
{
    // TLS: two pages; FS points between them, the ABI's registers sit at FS:0x800.
    const uint64_t tls = ext_tls_base + pp.id * 0x10000ULL;
    auto *tls_mk = static_cast<uint8_t *>(map_new_pages(tls, tls_pages, {true, false, true}));
    const uint64_t stack = ext_stack_base + pp.id * 0x100000ULL + page_size;
    if (tls_mk == nullptr || map_new_pages(stack, ext_stack_pages, {true, false, true}) == nullptr) {
        return false;
    }
    // map_new_pages's pages are not contiguous: find FS:0 (the second TLS page) by translation.
    pp.tls = static_cast<uint8_t *>(ext_to_mk(tls + page_size, true));
    pp.ext_stack_top = stack + ext_stack_pages * page_size;
    pp.syscall_rsp = pp.args->syscall_stack_top;
    tls_write16(pp, abi::tls_offset_active_ppid, pp.id);
    tls_write16(pp, abi::tls_offset_online_pps, pp.args->online_pps);
    tls_write16(pp, abi::tls_offset_active_vmid, abi::invalid_id);
    tls_write16(pp, abi::tls_offset_active_vpid, abi::invalid_id);
    tls_write16(pp, abi::tls_offset_active_vsid, abi::invalid_id);

    // SYSCALL into mk_syscall_entry; GS is this PP's state in ring 0, nothing in ring 3.
    // SYSRET takes SS = STAR[63:48] + 8 and CS = STAR[63:48] + 16: user data, then user code.
    x64::wrmsr(msr_star, (static_cast<uint64_t>(x64::selector::kernel_data) << 48) |
                             (static_cast<uint64_t>(x64::selector::kernel_code) << 32));
    x64::wrmsr(msr_lstar, reinterpret_cast<uint64_t>(&mk_syscall_entry));
    x64::wrmsr(msr_sfmask, sfmask_value);
    x64::wrmsr(msr_fs_base, tls + page_size);
    x64::wrmsr(msr_gs_base, reinterpret_cast<uint64_t>(&pp));
    x64::wrmsr(msr_kernel_gs_base, 0);
    return true;
}

void *ext_to_mk(uint64_t ext_addr, bool write) noexcept
{
    uint64_t phys = 0;
    page_rights rights{};
    if (g_ext.tables.translate(ext_addr, phys, rights) != map_status::ok || !rights.user || (write && !rights.write)) {
        return nullptr;
    }
    // Only MicroV's memory is in the microkernel's direct map: not the root VM's pages of the
    // extension's direct map (a shared page), which ring 0 cannot reach.
    const mv_mk_args &a = *g_ext.args;
    for (uint32_t i = 0; i < a.chunk_count && i < MV_MK_MAX_CHUNKS; ++i) {
        if (phys >= a.chunks[i].phys && (phys - a.chunks[i].phys) / page_size < a.chunks[i].pages) {
            return g_ext.pool.phys_to_virt(phys);
        }
    }
    return nullptr;
}

void tls_write16(pp_state &pp, uint64_t offset, uint16_t value) noexcept
{
    __builtin_memcpy(pp.tls + offset, &value, sizeof(value));
}

void tls_write64(pp_state &pp, uint64_t offset, uint64_t value) noexcept
{
    __builtin_memcpy(pp.tls + offset, &value, sizeof(value));
}

uint64_t tls_read64(const pp_state &pp, uint64_t offset) noexcept
{
    uint64_t value = 0;
    __builtin_memcpy(&value, pp.tls + offset, sizeof(value));
    return value;
}

[[noreturn]] void start_extension(pp_state &pp) noexcept
{
    // The extension's address space from here on, on this PP.
    asm volatile("mov %0, %%cr3" : : "r"(g_ext.tables.root_phys()) : "memory");
    if (!g_ext.started) {
        g_ext.started = true;  // _start registers the callbacks, then waits: see control_op_wait
        mk_call_ext(g_ext.entry, abi::all_specs_supported, 0, pp.ext_stack_top);
    }
    call_bootstrap(pp);
}

bool ext_code(uint64_t ext_addr) noexcept
{
    uint64_t phys = 0;
    page_rights rights{};
    return g_ext.tables.translate(ext_addr, phys, rights) == map_status::ok && rights.user && rights.exec;
}

bool map_into_extension(uint64_t virt, uint64_t &phys) noexcept
{
    // A page the extension freed before comes first, zeroed; else a fresh one from the pool.
    bool reused = false;
    {
        const spin_guard g{g_ext.freed_lock};
        reused = g_ext.freed.take(phys);
    }
    void *page = reused ? g_ext.pool.phys_to_virt(phys) : alloc_page(phys);
    if (page == nullptr) {
        return false;
    }
    if (reused) {
        __builtin_memset(page, 0, page_size);
    }
    if (g_ext.tables.map(virt, phys, {true, false, true}) != map_status::ok) {
        if (reused) {
            const spin_guard g{g_ext.freed_lock};
            g_ext.freed.keep(phys);
        } else {
            g_ext.pool.free(page);
        }
        return false;
    }
    return true;
}

bool unmap_from_extension(uint64_t virt) noexcept
{
    uint64_t phys = 0;
    if (g_ext.tables.unmap(virt, phys) != map_status::ok) {
        return false;
    }
    // This PP only: the microkernel cannot reach the other PPs' TLBs yet (no IPIs), so the page
    // stays the extension's (page_quarantine.hpp) instead of going back to the pool.
    asm volatile("invlpg (%0)" : : "r"(virt) : "memory");
    const spin_guard g{g_ext.freed_lock};
    g_ext.freed.keep(phys);
    return true;
}

// The extension's direct map of root-VM pages: extension address = base + physical address.
constexpr uint64_t ext_direct_base = 0x0000500000000000ULL;
constexpr uint64_t ext_direct_size = 0x0000100000000000ULL;  // 16 TiB of physical addresses

bool map_direct(uint64_t phys, uint64_t &virt) noexcept
{
    if (phys >= ext_direct_size) {
        return false;
    }
    virt = ext_direct_base + phys;
    const map_status s = g_ext.tables.map(virt, phys, {true, false, true});
    return s == map_status::ok || s == map_status::already_mapped;  // mapping twice is harmless
}

bool unmap_direct(uint64_t virt) noexcept
{
    uint64_t phys = 0;
    if (virt < ext_direct_base || virt - ext_direct_base >= ext_direct_size ||
        g_ext.tables.unmap(virt, phys) != map_status::ok) {
        return false;
    }
    // This PP only, as for heap pages (see unmap_from_extension).
    asm volatile("invlpg (%0)" : : "r"(virt) : "memory");
    return true;
}

[[noreturn]] void call_bootstrap(pp_state &pp) noexcept
{
    pp.bootstrapped = true;
    if (g_objects.callbacks.bootstrap == 0) {
        extension_failed(pp, "registered no bootstrap callback");
    }
    // Test build: the extension faults in ring 3 (an instruction fetch at an address it lacks).
    const uint64_t ip = test_fault_here(pp, MV_TEST_FAULT_EXT_BEFORE_ROOT) ? 0x10 : g_objects.callbacks.bootstrap;
    mk_call_ext(ip, pp.id, 0, pp.ext_stack_top);
}

[[noreturn]] void call_vmexit(pp_state &pp, uint64_t exit_reason) noexcept
{
    if (g_objects.callbacks.vmexit == 0) {
        extension_failed(pp, "registered no vmexit callback");
    }
    mk_call_ext(g_objects.callbacks.vmexit, pp.active_vsid, exit_reason, pp.ext_stack_top);
}

[[noreturn]] void extension_failed(pp_state &pp, const char *what) noexcept
{
    print_id("microv: the extension failed on pp ", pp.id, ": ");
    g_console.write(what);
    g_console.write("\n");
    // Before the root VM ran, the start fails and the OS goes on as if nothing happened.
    if (!pp.root_running) {
        fail_start(pp, MV_MK_STATUS_EXT_FAILED);
    }
    // During an exit: a hypercall gets a failure status and the root VM goes on; any other exit
    // cannot be finished without the extension, and the PP stops.
    vs_slot &vs = g_objects.vss[pp.active_vsid];
    if (vs.exit_reason == static_cast<uint64_t>(abi::exit_reason::hypercall)) {
        fail_hypercall(vs);
        g_console.write("microv: the hypercall failed; the root VM goes on\n");
        run_vs(pp, pp.active_vsid);
    }
    g_console.write("microv: this PP cannot go on without the extension and is halted\n");
    x64::halt_forever();
}

}  // namespace mk
