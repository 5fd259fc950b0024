// SPDX-License-Identifier: MIT
// AMD's vendor seam, guest VMs: their nested page tables (amd/guest_npt.hpp), the strict MSR and
// I/O maps every guest's VS runs with, and the ASIDs of guests' VSs on each PP.
#include "svm.hpp"

#include "../../vendor.hpp"

#include <mk/x64/amd/guest_npt.hpp>
#include <mk/x64/amd/iopm.hpp>
#include <mk/x64/amd/msrpm.hpp>
#include <mk/x64/cpu.hpp>

namespace mk {
namespace amd {
namespace {

using tables = guest_npt<locked_pool>;

locked_pool g_table_pool;

/// MSRs whose state the VMCB or VMLOAD/VMSAVE keep per VS: a guest reaches its own copy, so
/// its accesses need not exit. PAT is the VMCB's G_PAT with nested paging. EFER is not here:
/// VMRUN needs its SVME bit set, which the guest must neither see nor clear (the extension
/// answers it).
constexpr uint32_t guest_own_msrs[] = {
    0x00000277U,  // PAT
    0xC0000081U,  // STAR
    0xC0000082U,  // LSTAR
    0xC0000083U,  // CSTAR
    0xC0000084U,  // SFMASK
    0xC0000100U,  // FS base
    0xC0000101U,  // GS base
    0xC0000102U,  // kernel GS base
    0x00000174U,  // SYSENTER_CS
    0x00000175U,  // SYSENTER_ESP
    0x00000176U,  // SYSENTER_EIP
};

}  // namespace

void init_guest_maps(const mv_mk_args &args) noexcept
{
    auto *msrpm = reinterpret_cast<uint8_t *>(MV_MK_DIRECT_MAP_BASE + args.guest_msr_map_phys);
    auto *iopm = reinterpret_cast<uint8_t *>(MV_MK_DIRECT_MAP_BASE + args.guest_io_map_phys);
    // Every port and every MSR exits, but the MSRs a guest's VS holds itself.
    for (size_t i = 0; i < iopm_bytes; ++i) {
        iopm[i] = 0xFF;
    }
    for (size_t i = 0; i < msrpm_bytes; ++i) {
        msrpm[i] = 0xFF;
    }
    for (const uint32_t msr : guest_own_msrs) {
        msrpm_pass(msrpm, msr);
    }
}

uint32_t guest_asid(pp_state &pp, vs_slot &vs, uint64_t tlb_gen, vmcb &v) noexcept
{
    svm_pp &svm = svm_of(pp);
    if (vs.tlb_tag != 0 && vs.tlb_tag_pp == pp.id && vs.tlb_tag_round == svm.asid_round && vs.tlb_gen_seen == tlb_gen) {
        return vs.tlb_tag;
    }
    // A fresh ASID of this PP's round holds no translation; when the round is used up, the next
    // starts with every ASID flushed (this CPU may have no flush by ASID).
    if (svm.next_asid > svm.max_asid) {
        ++svm.asid_round;
        svm.next_asid = asid_first_guest;
        v.control.tlb_control = tlb_ctl::flush_all;
    }
    if (vs.tlb_tag_pp != pp.id) {
        v.control.vmcb_clean = 0;  // another CPU's cached copy of the VMCB is not this one's
    }
    vs.tlb_tag = svm.next_asid++;
    vs.tlb_tag_pp = pp.id;
    vs.tlb_tag_round = svm.asid_round;
    vs.tlb_gen_seen = tlb_gen;
    return vs.tlb_tag;
}

}  // namespace amd

namespace vendor {

bool vm_init(vm_slot &vm) noexcept
{
    amd::tables t{amd::g_table_pool, 0};
    const bool ok = t.make_root();
    vm.tables_phys = ok ? t.root_phys() : 0;
    return ok;
}

map_result vm_map(vm_slot &vm, uint64_t gpa, uint64_t hpa, uint64_t flags) noexcept
{
    amd::tables t{amd::g_table_pool, vm.tables_phys};
    switch (t.map(gpa, hpa, flags)) {
    case amd::guest_map_status::ok:
        return map_result::ok;
    case amd::guest_map_status::mapped_already:
        return map_result::mapped_already;
    default:
        return map_result::no_memory;
    }
}

bool vm_unmap(vm_slot &vm, uint64_t gpa) noexcept
{
    amd::tables t{amd::g_table_pool, vm.tables_phys};
    return t.unmap(gpa);
}

bool vm_mapped(vm_slot &vm, uint64_t gpa) noexcept
{
    amd::tables t{amd::g_table_pool, vm.tables_phys};
    return (t.lookup(gpa) & amd::tables::present) != 0;
}

uint64_t vm_page(vm_slot &vm, uint64_t gpa) noexcept
{
    amd::tables t{amd::g_table_pool, vm.tables_phys};
    return amd::tables::page_of(t.lookup(gpa & ~uint64_t{0xFFF}));
}

void vm_free(vm_slot &vm) noexcept
{
    amd::tables t{amd::g_table_pool, vm.tables_phys};
    t.free_all();
    vm.tables_phys = 0;
}

}  // namespace vendor
}  // namespace mk
