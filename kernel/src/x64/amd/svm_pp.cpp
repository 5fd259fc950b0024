// SPDX-License-Identifier: MIT
// AMD's vendor seam, the host side: the root VM's intercept maps and nested page tables (once),
// and each PP's SVM setup (the host save area, the OS's and the microkernel's VMSAVE state).
#include "svm.hpp"

#include "../../vendor.hpp"

#include <mk/root_msrs.hpp>
#include <mk/x64/amd/iopm.hpp>
#include <mk/x64/amd/msrpm.hpp>
#include <mk/x64/amd/npt.hpp>
#include <mk/x64/amd/svm_insn.hpp>
#include <mk/x64/cpu.hpp>

namespace mk {
namespace amd {

uint64_t g_root_ncr3;

// The loader gives the maps as many pages as the boot protocol says.
static_assert(msrpm_bytes <= MV_MK_MSR_MAP_PAGES * page_size && iopm_bytes <= MV_MK_IO_MAP_PAGES * page_size);

namespace {

/// The root VM's MSR intercepts (abi/include/mk/root_msrs.hpp): the virtualization MSRs, and
/// writes to the memory-type MSRs, HWCR and the APIC base (see vmm/src/msr_policy.hpp).
void init_msrpm(uint64_t msrpm_phys) noexcept
{
    auto *map = reinterpret_cast<uint8_t *>(MV_MK_DIRECT_MAP_BASE + msrpm_phys);
    for (const uint32_t msr : abi::virtualization_msrs) {
        msrpm_intercept(map, msr);
    }
    for (const abi::msr_span &s : abi::memory_type_msrs) {
        for (uint32_t i = 0; i < s.count; ++i) {
            msrpm_intercept_write(map, s.first + i);
        }
    }
    for (const uint32_t msr : abi::host_checked_msrs) {
        msrpm_intercept_write(map, msr);
    }
}

/// The root VM's I/O intercepts: MicroV's own UART, if it has one; the root VM has every other
/// port (finding 10 of the isolation issue: it could reprogram MicroV's serial port).
void init_iopm(uint64_t iopm_phys, uint16_t serial_port) noexcept
{
    auto *map = reinterpret_cast<uint8_t *>(MV_MK_DIRECT_MAP_BASE + iopm_phys);
    if (serial_port != 0) {
        iopm_intercept(map, serial_port, uart_ports);
    }
}

/// The root VM's nested page tables: all of physical memory but the pool (MicroV's own memory).
uint64_t build_root_npt(const mv_mk_args &args) noexcept
{
    constexpr uint32_t page_1g = 1U << 26;  // CPUID 0x80000001 EDX
    if ((x64::cpuid(0x80000001, 0).edx & page_1g) == 0) {
        g_console.write("microv: the CPU has no 1 GiB pages, which the root VM's NPT needs\n");
        return MV_MK_STATUS_UNSUPPORTED_CPU;
    }
    const uint32_t phys_bits = x64::cpuid(0x80000008, 0).eax & 0xFF;
    npt_hole holes[MV_MK_MAX_CHUNKS];
    for (uint32_t i = 0; i < args.chunk_count; ++i) {
        holes[i] = {args.chunks[i].phys, args.chunks[i].pages * page_size};
    }
    static identity_npt<locked_pool> npt;
    static locked_pool pool;  // npt keeps a pointer to it
    const uint64_t limit = 1ULL << (phys_bits < 30 ? 30 : (phys_bits > 48 ? 48 : phys_bits));
    if (npt.build(pool, limit, holes, args.chunk_count) != npt_status::ok) {
        return MV_MK_STATUS_NO_MEMORY;
    }
    g_root_ncr3 = npt.root_phys();
    return step_ok;
}

}  // namespace
}  // namespace amd

namespace vendor {

bool args_ok(const mv_mk_args &args) noexcept
{
    return in_direct_map(MV_MK_DIRECT_MAP_BASE + args.io_map_phys, amd::iopm_bytes) &&
           in_direct_map(MV_MK_DIRECT_MAP_BASE + args.msr_map_phys, amd::msrpm_bytes) &&
           in_direct_map(MV_MK_DIRECT_MAP_BASE + args.guest_io_map_phys, amd::iopm_bytes) &&
           in_direct_map(MV_MK_DIRECT_MAP_BASE + args.guest_msr_map_phys, amd::msrpm_bytes);
}

uint64_t init_root_vm(const mv_mk_args &args) noexcept
{
    amd::init_msrpm(args.msr_map_phys);
    amd::init_iopm(args.io_map_phys, args.serial_port);
    amd::init_guest_maps(args);
    return amd::build_root_npt(args);
}

uint64_t pp_save_os(pp_state &pp) noexcept
{
    uint64_t phys = 0;
    auto *svm = static_cast<amd::svm_pp *>(alloc_page(phys));
    if (svm == nullptr || alloc_page(svm->host_vmcb_phys) == nullptr || alloc_page(svm->os_vmcb_phys) == nullptr ||
        alloc_page(svm->hsave_phys) == nullptr) {
        return MV_MK_STATUS_NO_MEMORY;
    }
    pp.vendor = svm;
    // The OS's FS, GS, TR, LDTR and SYSCALL MSRs, before the microkernel's own replace them.
    amd::vmsave(svm->os_vmcb_phys);
    return step_ok;
}

void pp_init_host(pp_state &pp) noexcept
{
    amd::svm_pp &svm = amd::svm_of(pp);
    // The microkernel's own FS, GS, TR and SYSCALL MSRs, put back after every exit.
    amd::vmsave(svm.host_vmcb_phys);
    x64::wrmsr(amd::msr::vm_hsave_pa, svm.hsave_phys);
    const x64::cpuid_result svm_leaf = x64::cpuid(0x8000000A, 0);
    svm.nrip_save = (svm_leaf.edx & (1U << 3)) != 0;
    // Guests' ASIDs: the first use of one starts a round, with every ASID flushed.
    svm.max_asid = svm_leaf.ebx > amd::asid_first_guest ? svm_leaf.ebx - 1 : amd::asid_first_guest;
    svm.next_asid = svm.max_asid + 1;
}

void pp_restore_os(const pp_state &pp) noexcept
{
    amd::vmload(amd::svm_of(pp).os_vmcb_phys);
    pp_leave(pp);
}

void pp_leave(const pp_state &pp) noexcept { x64::wrmsr(amd::msr::vm_hsave_pa, pp.args->root.vm_hsave_pa); }

}  // namespace vendor
}  // namespace mk
