// SPDX-License-Identifier: MIT
// The root VM on one PP: made from the OS's state as the loader found it, run with VMRUN, its
// exits handled, and, on the loader's stop request, given back to the CPU (promote).
//
// Exits are still handled here in ring 0; they move to the MicroV extension in ring 3 with the
// syscall interface (see docs/architecture.md).
#include "pp.hpp"

#include <mk/x64/cpu.hpp>
#include <mk/x64/segment.hpp>
#include <vmm/cpuid_policy.hpp>
#include <vmm/msr_policy.hpp>

extern "C" void mk_vmrun(uint64_t guest_vmcb_phys, uint64_t *gprs, uint64_t host_vmcb_phys);

namespace mk {
namespace {

constexpr uint32_t asid_root = 1;
constexpr uint64_t rflags_reserved = 0x2;
constexpr uint64_t dr6_init = 0xFFFF0FF0;
constexpr uint8_t len_cpuid = 2;
constexpr uint8_t len_msr = 2;
constexpr uint8_t len_vmmcall = 3;
constexpr uint8_t vector_gp = 13;

enum gpr { rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi };

/// A segment register of the VMCB from one of the OS's GDT entries (copied by the loader).
amd::vmcb_segment os_segment(const mv_root_state &os, uint16_t selector) noexcept
{
    x64::segment_state s{};
    if (!x64::decode_segment(os.gdt, os.gdtr_limit, selector, false, s)) {
        return {selector, 0, 0, 0};
    }
    return {s.selector, s.attrib, s.limit, s.base};
}

/// The root VM's VMCB: the OS's registers, and the intercepts MicroV needs.
void build_root_vmcb(pp_state &pp, uint64_t os_rsp, uint64_t msrpm_phys) noexcept
{
    const mv_root_state &os = pp.args->root;
    amd::vmcb_state &st = pp.root_vmcb->state;
    amd::vmcb_control &ctl = pp.root_vmcb->control;

    // FS, GS, TR, LDTR and the SYSCALL MSRs came with VMSAVE; the rest is from the loader.
    st.es = os_segment(os, os.es);
    st.cs = os_segment(os, os.cs);
    st.ss = os_segment(os, os.ss);
    st.ds = os_segment(os, os.ds);
    st.gdtr = {0, 0, os.gdtr_limit, os.gdtr_base};
    st.idtr = {0, 0, os.idtr_limit, os.idtr_base};
    st.cpl = 0;
    st.efer = os.efer | amd::efer_svme;  // VMRUN requires it; the OS never sees it
    st.cr0 = os.cr0;
    st.cr3 = os.cr3;
    st.cr4 = os.cr4;
    st.dr7 = os.dr7;
    st.dr6 = dr6_init;
    st.g_pat = os.pat;
    st.rflags = rflags_reserved;  // interrupts stay off until the OS's own POPF
    st.rip = os.resume_rip;
    st.rsp = os_rsp;
    st.rax = MV_MK_STATUS_DEMOTED;

    ctl.intercept_misc1 = amd::intercept_misc1::cpuid | amd::intercept_misc1::msr_prot | amd::intercept_misc1::shutdown;
    ctl.intercept_misc2 = amd::intercept_misc2::vmrun | amd::intercept_misc2::vmmcall;
    ctl.msrpm_base_pa = msrpm_phys;
    ctl.guest_asid = asid_root;
    ctl.tlb_control = amd::tlb_ctl::flush_all;
}

/// Moves the root VM past the instruction that exited.
void advance(pp_state &pp, uint8_t length) noexcept
{
    amd::vmcb &v = *pp.root_vmcb;
    v.state.rip = pp.nrip_save ? v.control.nrip : v.state.rip + length;
}

void inject_gp(pp_state &pp) noexcept
{
    pp.root_vmcb->control.eventinj = amd::eventinj(vector_gp, amd::event_type::exception, true, 0);
}

void handle_cpuid(pp_state &pp) noexcept
{
    amd::vmcb_state &st = pp.root_vmcb->state;
    const auto leaf = static_cast<uint32_t>(st.rax);
    const auto subleaf = static_cast<uint32_t>(pp.gprs[rcx]);
    const x64::cpuid_result hw = x64::cpuid(leaf, subleaf);
    const vmm::cpuid_regs r = vmm::root_cpuid(leaf, subleaf, {hw.eax, hw.ebx, hw.ecx, hw.edx});
    st.rax = r.eax;
    pp.gprs[rbx] = r.ebx;
    pp.gprs[rcx] = r.ecx;
    pp.gprs[rdx] = r.edx;
    advance(pp, len_cpuid);
}

void handle_msr(pp_state &pp) noexcept
{
    amd::vmcb &v = *pp.root_vmcb;
    const auto msr = static_cast<uint32_t>(pp.gprs[rcx]);
    // EFER is the VMCB's: the root VM's own, not the CPU's.
    const uint64_t hw = msr == vmm::msr_efer ? v.state.efer : x64::rdmsr(msr);

    if (v.control.exitinfo1 == 0) {
        const vmm::msr_result r = vmm::root_rdmsr(msr, hw);
        if (r.action == vmm::msr_action::inject_gp) {
            inject_gp(pp);
            return;
        }
        v.state.rax = r.value & 0xFFFFFFFFU;
        pp.gprs[rdx] = r.value >> 32;
    } else {
        const uint64_t value = (v.state.rax & 0xFFFFFFFFU) | (pp.gprs[rdx] << 32);
        const vmm::msr_result r = vmm::root_wrmsr(msr, value, hw);
        if (r.action == vmm::msr_action::inject_gp) {
            inject_gp(pp);
            return;
        }
        if (msr == vmm::msr_efer) {
            v.state.efer = r.value;
        } else {
            x64::wrmsr(msr, r.value);
        }
    }
    advance(pp, len_msr);
}

/// Gives the CPU back to the OS, as the root VM is now: never returns.
[[noreturn]] void promote(pp_state &pp) noexcept
{
    amd::vmcb &v = *pp.root_vmcb;
    uint64_t phys = 0;
    auto *ps = static_cast<mv_promote_state *>(alloc_page(phys));
    if (ps == nullptr) {
        g_console.write("microv: no memory to stop; the root VM goes on\n");
        v.state.rax = 1;
        x64::halt_forever();
    }
    advance(pp, len_vmmcall);
    ps->cr3 = v.state.cr3;
    ps->vmcb_phys = pp.root_vmcb_phys;
    ps->rip = v.state.rip;
    ps->rsp = v.state.rsp;
    ps->rflags = v.state.rflags;
    for (unsigned i = 0; i < 16; ++i) {
        ps->gprs[i] = pp.gprs[i];
    }
    ps->gprs[rax] = 0;  // the stop request succeeded
    ps->cs = v.state.cs.selector;
    ps->ss = v.state.ss.selector;
    ps->ds = v.state.ds.selector;
    ps->es = v.state.es.selector;
    ps->gdtr_limit = static_cast<uint16_t>(v.state.gdtr.limit);
    ps->gdtr_base = v.state.gdtr.base;
    ps->idtr_limit = static_cast<uint16_t>(v.state.idtr.limit);
    ps->idtr_base = v.state.idtr.base;
    print_hex16("microv: root OS had been promoted on pp ", pp.id, "\n");

    // Control registers and EFER as the root VM last had them (mv_promote clears EFER.SVME).
    asm volatile("mov %0, %%cr0" : : "r"(v.state.cr0));
    asm volatile("mov %0, %%cr4" : : "r"(v.state.cr4));
    asm volatile("mov %0, %%cr2" : : "r"(v.state.cr2));
    x64::wrmsr(amd::msr::efer, v.state.efer);
    x64::wrmsr(0x277, v.state.g_pat);  // PAT

    using promote_fn = void (*)(uint64_t, uint64_t);
    reinterpret_cast<promote_fn>(pp.args->promote)(pp.args->os_direct_base + phys, v.state.cr3);
    __builtin_unreachable();
}

void handle_vmmcall(pp_state &pp) noexcept
{
    amd::vmcb &v = *pp.root_vmcb;
    if (v.state.rax == MV_LOADER_HYPERCALL_STOP && v.state.cpl == 0) {
        promote(pp);
    }
    v.state.rax = 1;  // MV_STATUS_FAILURE: the hypercall dispatcher is not there yet
    advance(pp, len_vmmcall);
}

[[noreturn]] void fatal_exit(pp_state &pp, const char *what) noexcept
{
    const amd::vmcb &v = *pp.root_vmcb;
    print_hex16("microv: pp ", pp.id, ": ");
    g_console.write(what);
    print_hex64(" (exit ", v.control.exitcode, "");
    print_hex64(", info1 ", v.control.exitinfo1, "");
    print_hex64(", info2 ", v.control.exitinfo2, "");
    print_hex64(", rip ", v.state.rip, ")\n");
    x64::halt_forever();
}

/// Puts the OS's descriptor tables and VMSAVE state back after a failed first VMRUN.
void restore_os(pp_state &pp) noexcept
{
    const mv_root_state &os = pp.args->root;
    const x64::table_pointer idtr{os.idtr_limit, os.idtr_base};
    x64::vmload(pp.root_vmcb_phys);
    x64::lidt(idtr);
    const x64::table_pointer gdtr{os.gdtr_limit, os.gdtr_base};
    asm volatile("lgdt %0" : : "m"(gdtr));
}

}  // namespace

uint64_t demote(pp_state &pp, uint64_t os_rsp) noexcept
{
    uint64_t phys = 0;
    pp.root_vmcb = static_cast<amd::vmcb *>(alloc_page(phys));
    pp.root_vmcb_phys = phys;
    void *host_vmcb = alloc_page(pp.host_vmcb_phys);
    void *hsave = alloc_page(phys);
    if (pp.root_vmcb == nullptr || host_vmcb == nullptr || hsave == nullptr) {
        return MV_MK_STATUS_NO_MEMORY;
    }

    // The OS's FS, GS, TR, LDTR and SYSCALL MSRs, before the microkernel's own replace them.
    x64::vmsave(pp.root_vmcb_phys);
    if (!load_descriptor_tables(pp)) {
        restore_os(pp);
        return MV_MK_STATUS_NO_MEMORY;
    }
    x64::vmsave(pp.host_vmcb_phys);
    x64::wrmsr(amd::msr::vm_hsave_pa, phys);
    pp.nrip_save = (x64::cpuid(0x8000000A, 0).edx & (1U << 3)) != 0;
    build_root_vmcb(pp, os_rsp, pp.args->msrpm_phys);

    print_hex16("microv: root OS had been demoted to vm 0x0000 on pp ", pp.id, "\n");
    for (;;) {
        mk_vmrun(pp.root_vmcb_phys, pp.gprs, pp.host_vmcb_phys);
        amd::vmcb &v = *pp.root_vmcb;
        ++pp.exits;
        v.control.tlb_control = amd::tlb_ctl::nothing;
        switch (v.control.exitcode) {
        case amd::vmexit::cpuid:
            handle_cpuid(pp);
            break;
        case amd::vmexit::msr:
            handle_msr(pp);
            break;
        case amd::vmexit::vmmcall:
            handle_vmmcall(pp);
            break;
        case amd::vmexit::vmrun:
            inject_gp(pp);  // the root VM sees no SVM
            break;
        case amd::vmexit::shutdown:
            fatal_exit(pp, "the root VM shut down (triple fault)");
        case amd::vmexit::invalid:
            if (pp.exits == 1) {
                print_hex16("microv: VMRUN of the root VM failed on pp ", pp.id, "; the OS goes on unchanged\n");
                restore_os(pp);
                return MV_MK_STATUS_VMRUN_FAILED;
            }
            fatal_exit(pp, "VMRUN failed");
        default:
            fatal_exit(pp, "unexpected exit of the root VM");
        }
    }
}

}  // namespace mk
