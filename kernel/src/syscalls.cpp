// SPDX-License-Identifier: MIT
// The ring-0 binding of the syscall dispatcher (mk/syscall_dispatch.hpp): the platform it asks is
// this PP, the pool, the extension's page tables and the VMRUN path.
#include "pp.hpp"
#include "vendor.hpp"

#include <mk/phys_ranges.hpp>
#include <mk/syscall_dispatch.hpp>
#include <mk/x64/cpu.hpp>
#include <mk/x64/hwcr.hpp>

namespace mk {
namespace {

/// What the dispatcher may ask of ring 0, on the PP the syscall came from.
struct ring0_platform {
    pp_state &pp;

    uint16_t ppid() const noexcept { return pp.id; }
    uint16_t online_pps() const noexcept { return pp.args->online_pps; }
    uint16_t active_vsid() const noexcept { return pp.active_vsid; }
    bool root_running() const noexcept { return pp.root_running; }
    bool vs_active_anywhere(uint16_t vsid) const noexcept
    {
        for (const pp_state *p : g_pps) {
            if (p != nullptr && __atomic_load_n(&p->active_vsid, __ATOMIC_ACQUIRE) == vsid) {
                return true;
            }
        }
        return false;
    }
    bool bootstrapped() const noexcept { return pp.bootstrapped; }
    void write(const char *s) noexcept { g_console.write(s); }
    void *alloc_page(uint64_t &phys) noexcept { return mk::alloc_page(phys); }
    void free_page(void *page) noexcept { locked_pool{}.free(page); }
    bool ext_read_byte(uint64_t addr, char &out) noexcept
    {
        const auto *c = static_cast<const char *>(ext_to_mk(addr, false));
        out = c != nullptr ? *c : '\0';
        return c != nullptr;
    }
    bool ext_code(uint64_t addr) noexcept { return mk::ext_code(addr); }
    bool map_into_extension(uint64_t virt, uint64_t &phys) noexcept { return mk::map_into_extension(virt, phys); }
    bool unmap_from_extension(uint64_t virt) noexcept { return mk::unmap_from_extension(virt); }
    uint64_t rdmsr(uint32_t msr) noexcept { return x64::rdmsr(msr); }
    void wrmsr(uint32_t msr, uint64_t value) noexcept { x64::wrmsr(msr, value); }
    uint64_t hwcr_root_bits() noexcept { return x64::hwcr_root_bits_of(x64::cpuid); }
    bool root_may_share(uint64_t phys) const noexcept
    {
        const mv_mk_args &a = *pp.args;
        const mv_ram_range ring{a.debug_ring - MV_MK_DIRECT_MAP_BASE, sizeof(mv_debug_ring)};
        return mk::root_may_share(phys, a.ram, a.ram_count < MV_MK_MAX_RAM_RANGES ? a.ram_count : MV_MK_MAX_RAM_RANGES,
                                  a.chunks, a.chunk_count < MV_MK_MAX_CHUNKS ? a.chunk_count : MV_MK_MAX_CHUNKS, &ring,
                                  1);
    }
    bool map_direct(uint64_t phys, uint64_t &virt) noexcept { return mk::map_direct(phys, virt); }
    bool unmap_direct(uint64_t virt) noexcept { return mk::unmap_direct(virt); }
    bool vm_init(vm_slot &vm) noexcept { return vendor::vm_init(vm); }
    map_result vm_map(vm_slot &vm, uint64_t gpa, uint64_t hpa, uint64_t flags) noexcept
    {
        return vendor::vm_map(vm, gpa, hpa, flags);
    }
    bool vm_unmap(vm_slot &vm, uint64_t gpa) noexcept { return vendor::vm_unmap(vm, gpa); }
    bool vm_mapped(vm_slot &vm, uint64_t gpa) noexcept { return vendor::vm_mapped(vm, gpa); }
    uint64_t vm_page(vm_slot &vm, uint64_t gpa) noexcept { return vendor::vm_page(vm, gpa); }
    void vm_free(vm_slot &vm) noexcept { vendor::vm_free(vm); }
    void guest_tlb_flush(uint16_t vmid) noexcept { mk::guest_tlb_flush(pp, vmid); }
    void claim(uint16_t vsid) noexcept { __atomic_store_n(&pp.active_vsid, vsid, __ATOMIC_RELEASE); }
    void init_root_vs(vs_slot &vs) noexcept { mk::init_root_vs(pp, vs); }
    void init_guest_vs(vs_slot &vs) noexcept { vendor::vs_init_guest(vs); }
    bool guests_ok() const noexcept { return fpu_guests_ok(); }
    bool advance_ip(vs_slot &vs) noexcept { return mk::advance_ip(vs); }
    bool inject(vs_slot &vs, uint64_t event) noexcept { return vendor::vs_inject(vs, event); }
    bool queue_interrupt(vs_slot &vs, uint8_t vector) noexcept { return vendor::vs_queue_interrupt(vs, vector); }
    void *ext_page(uint64_t addr, bool write) noexcept { return ext_to_mk(addr, write); }
    bool fpu_read(const vs_slot &vs, uint8_t *dst, bool whole) noexcept { return mk::fpu_read(vs, dst, whole); }
    bool fpu_write(vs_slot &vs, const uint8_t *src, bool whole) noexcept { return mk::fpu_write(vs, src, whole); }
    // XCR0 and DR0-DR3 are no vendor's: the microkernel keeps them (lazy_state.cpp); a root VS's
    // are the OS's, not a VMM's.
    bool vs_read(const vs_slot &vs, abi::reg r, uint64_t &out) const noexcept
    {
        if (r == abi::reg::xcr0 || lazy_dr_index(r) < 4) {
            out = r == abi::reg::xcr0 ? fpu_xcr0(vs) : vs.dr[lazy_dr_index(r)];
            return !vs.is_root;
        }
        return vendor::vs_read(vs, r, out);
    }
    bool vs_write(vs_slot &vs, abi::reg r, uint64_t value) noexcept
    {
        if (lazy_dr_index(r) < 4) {
            return set_dr(vs, lazy_dr_index(r), value);
        }
        return r == abi::reg::xcr0 ? fpu_set_xcr0(vs, value) : vendor::vs_write(vs, r, value);
    }
    void active_to_tls(const vs_slot &vs) noexcept { vs_to_tls(pp, vs); }
    [[noreturn]] void run_vs(uint16_t vsid) noexcept { mk::run_vs(pp, vsid); }
    void promote(vs_slot &vs) noexcept { mk::promote(pp, vs); }
    [[noreturn]] void call_bootstrap() noexcept { mk::call_bootstrap(pp); }
    [[noreturn]] void extension_failed(const char *what) noexcept { mk::extension_failed(pp, what); }
};

}  // namespace

pp_state &this_pp() noexcept
{
    pp_state *pp = nullptr;
    asm volatile("mov %%gs:16, %0" : "=r"(pp));
    return *pp;
}

}  // namespace mk

extern "C" void mk_syscall(mk::syscall_frame *frame)
{
    using namespace mk;
    pp_state &pp = this_pp();

    // The active VS's registers as the extension left them in the TLS block.
    if (pp.active_vsid < max_vss && g_objects.vss[pp.active_vsid].used) {
        tls_to_vs(pp, g_objects.vss[pp.active_vsid]);
    }
#ifdef MICROV_TEST_FAULTS
    // Test build only: a private syscall that makes the microkernel fault in ring 0, to test
    // what a microkernel fault does (kernel/microv_kernel_faulty.bin).
    if (frame->rax == 0x66420000FFFF0000ULL) {
        *reinterpret_cast<volatile uint64_t *>(0x10) = 1;
    }
    // And one that writes just below this PP's syscall stack, as an overflow would: the guard
    // page must stop it.
    if (frame->rax == 0x66420000FFFE0000ULL) {
        *reinterpret_cast<volatile uint64_t *>(pp.args->syscall_stack_top - uint64_t{MV_MK_SYSCALL_STACK_PAGES} * 4096 -
                                               8) = 1;
    }
    // And below the NMI's IST stack (one page).
    if (frame->rax == 0x66420000FFFD0000ULL) {
        *reinterpret_cast<volatile uint64_t *>(pp.args->ist_stack_top[0] - 4096 - 8) = 1;
    }
#endif
    ring0_platform platform{pp};
    syscall_dispatch<ring0_platform>{platform, g_objects}.dispatch(*frame);
}
