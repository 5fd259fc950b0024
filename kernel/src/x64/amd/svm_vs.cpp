// SPDX-License-Identifier: MIT
// AMD's vendor seam, the VS side: a VS's VMCB from the OS's state, VMRUN with ring 0's
// invariants put back first, the exit in neutral terms, moving past an instruction, events, the
// registers by bf_reg_t, and the state promote gives back to the CPU.
#include "svm.hpp"

#include "../../vendor.hpp"

#include <mk/x64/amd/exit_record.hpp>
#include <mk/x64/amd/reset_state.hpp>
#include <mk/x64/amd/segment.hpp>
#include <mk/x64/amd/svm_insn.hpp>
#include <mk/x64/amd/vmcb_invariants.hpp>
#include <mk/x64/amd/vs_regs.hpp>
#include <mk/x64/cpu.hpp>

namespace mk {
namespace amd {
namespace {

constexpr uint64_t rflags_reserved = 0x2;
constexpr uint64_t dr6_init = 0xFFFF0FF0;

/// A segment register of the VMCB from one of the OS's GDT entries (copied by the loader).
vmcb_segment os_segment(const mv_root_state &os, uint16_t selector) noexcept
{
    segment_state s{};
    if (!decode_segment(os.gdt, os.gdtr_limit, selector, false, s)) {
        return {selector, 0, 0, 0};
    }
    return {s.selector, s.attrib, s.limit, s.base};
}

/// What every root VS runs with, whatever the extension wrote (amd/vmcb_invariants.hpp).
vmcb_invariants root_invariants(const pp_state &pp) noexcept
{
    return {pp.args->msr_map_phys, pp.args->io_map_phys, g_root_ncr3, asid_root, false};
}

/// What a guest's VS runs with: the strict maps, its VM's tables, an ASID with no stale
/// translation. Its VM's tlb_gen is read after pp.guest_vm_running was set (vs_run.cpp): an
/// unmap either sees this PP in the guest, or this PP sees its new tlb_gen.
vmcb_invariants guest_invariants(pp_state &pp, vs_slot &vs) noexcept
{
    const vm_slot &vm = g_objects.vms[g_objects.vps[vs.vpid].vmid];
    const uint64_t gen = __atomic_load_n(&vm.tlb_gen, __ATOMIC_SEQ_CST);
    vmcb &v = vmcb_of(vs);
    return {pp.args->guest_msr_map_phys, pp.args->guest_io_map_phys, vm.tables_phys, guest_asid(pp, vs, gen, v), true};
}

/// The exits a guest's new VS starts with besides ring 0's own: CPUID (answered from its VM's
/// table), HLT, VMMCALL, what would reach the host's caches or wait on the host's monitor, and
/// RDTSCP, which would read the host's TSC_AUX (its CPU number: not switched).
constexpr uint32_t guest_misc1 = intercept_misc1::cpuid | intercept_misc1::hlt;
constexpr uint32_t guest_misc2 = intercept_misc2::vmmcall | intercept_misc2::wbinvd | intercept_misc2::monitor |
                                 intercept_misc2::mwait | intercept_misc2::rdpru | intercept_misc2::rdtscp;

}  // namespace
}  // namespace amd

namespace vendor {

void vs_init_root(pp_state &pp, vs_slot &vs) noexcept
{
    const mv_root_state &os = pp.args->root;
    amd::vmcb &v = amd::vmcb_of(vs);
    amd::vmcb_state &st = v.state;
    amd::vmcb_control &ctl = v.control;

    // FS, GS, TR, LDTR and the SYSCALL MSRs as VMSAVE found them at entry; the rest from the loader.
    const auto &saved = static_cast<const amd::vmcb *>(locked_pool{}.phys_to_virt(amd::svm_of(pp).os_vmcb_phys))->state;
    st.fs = saved.fs;
    st.gs = saved.gs;
    st.tr = saved.tr;
    st.ldtr = saved.ldtr;
    st.kernel_gs_base = saved.kernel_gs_base;
    st.star = saved.star;
    st.lstar = saved.lstar;
    st.cstar = saved.cstar;
    st.sfmask = saved.sfmask;
    st.sysenter_cs = saved.sysenter_cs;
    st.sysenter_esp = saved.sysenter_esp;
    st.sysenter_eip = saved.sysenter_eip;
    st.es = amd::os_segment(os, os.es);
    st.cs = amd::os_segment(os, os.cs);
    st.ss = amd::os_segment(os, os.ss);
    st.ds = amd::os_segment(os, os.ds);
    st.gdtr = {0, 0, os.gdtr_limit, os.gdtr_base};
    st.idtr = {0, 0, os.idtr_limit, os.idtr_base};
    st.cpl = 0;
    st.efer = os.efer | amd::efer_svme;  // VMRUN requires it; the OS never sees it
    st.cr0 = os.cr0;
    st.cr3 = os.cr3;
    st.cr4 = os.cr4;
    st.dr7 = os.dr7;
    st.dr6 = amd::dr6_init;
    st.g_pat = os.pat;
    st.rflags = amd::rflags_reserved;  // interrupts stay off until the OS's own POPF
    st.rip = os.resume_rip;
    st.rsp = pp.os_rsp;
    vs.gprs[amd::gpr::rax] = MV_MK_STATUS_DEMOTED;

    // CPUID and VMMCALL exits are the extension's (its CPUID answers, the hypercalls); what only
    // the microkernel may decide (the intercepts isolation rests on, its maps, nested paging with
    // the root VM's tables, which leave the pool out) is the same code vs_run puts back before
    // every VMRUN (amd/vmcb_invariants.hpp).
    ctl.intercept_misc1 = amd::intercept_misc1::cpuid;
    ctl.intercept_exceptions = 0;
    ctl.intercept_misc2 = amd::intercept_misc2::vmmcall;
    ctl.tlb_control = amd::tlb_ctl::flush_all;
    amd::enforce_invariants(v, amd::root_invariants(pp));
}

void vs_init_guest(vs_slot &vs) noexcept
{
    amd::vmcb &v = amd::vmcb_of(vs);
    amd::reset_state(v, vs.gprs, x64::cpuid(1, 0).eax);
    v.control.intercept_misc1 = amd::guest_misc1 | amd::guest_required_misc1;
    v.control.intercept_misc2 = amd::guest_misc2 | amd::guest_required_misc2;
    v.control.v_intr = amd::v_intr_masking;
}

run_result vs_run(pp_state &pp, vs_slot &vs) noexcept
{
    amd::vmcb &v = amd::vmcb_of(vs);
    // Whatever the extension wrote: the intercepts, maps and nested paging isolation rests on.
    amd::enforce_invariants(v, vs.is_root ? amd::root_invariants(pp) : amd::guest_invariants(pp, vs));
    if (!pp.root_running && test_fault_here(pp, MV_TEST_FAULT_VMRUN_REFUSED)) {
        v.control.guest_asid = 0;  // test build: VMRUN refuses ASID 0 (VMEXIT_INVALID)
    }
    v.state.rax = vs.gprs[amd::gpr::rax];
    mk_vmrun(vs.hw_phys, vs.gprs, amd::svm_of(pp).host_vmcb_phys);
    vs.gprs[amd::gpr::rax] = v.state.rax;
    v.control.tlb_control = amd::tlb_ctl::nothing;

    const uint64_t code = v.control.exitcode;
    if (!vs.is_root) {
        v.control.eventinj = amd::eventinj_after_exit(v.control.exitintinfo);
    }
    if (amd::vmexit::vmrun_refused(code)) {
        return run_result::refused;
    }
    // The emulator under multi-threaded TCG has been seen saving the host's own state, right
    // after VMRUN, as the VS's.
    if (code == amd::vmexit::npf && v.state.rip == reinterpret_cast<uint64_t>(&mk_vmrun_resume) &&
        v.state.cr3 == x64::read_cr3()) {
        return run_result::host_state;
    }
    return code == amd::vmexit::nmi ? run_result::nmi : run_result::exited;
}

abi::exit_record vs_exit_record(const pp_state &pp, const vs_slot &vs) noexcept
{
    return amd::exit_record_of(amd::vmcb_of(vs), amd::svm_of(pp).nrip_save);
}

void take_pending_nmi() noexcept { amd::stgi_clgi(); }

bool vs_reinject_nmi(vs_slot &vs) noexcept
{
    amd::vmcb &v = amd::vmcb_of(vs);
    bool owed = false;
    v.control.eventinj = amd::eventinj_after_nmi_exit(v.control.exitintinfo, owed);
    return owed;
}

void vs_advance_ip(vs_slot &vs, uint8_t length) noexcept { amd::vmcb_of(vs).state.rip += length; }

bool vs_inject(vs_slot &vs, uint64_t event) noexcept
{
    amd::vmcb &v = amd::vmcb_of(vs);
    if (!abi::event_injectable(event) || (v.control.eventinj & amd::eventinj_valid) != 0) {
        return false;
    }
    v.control.eventinj = event;  // an event word is EVENTINJ's layout (amd/exit_record.hpp)
    return true;
}

bool vs_queue_interrupt(vs_slot &vs, uint8_t vector) noexcept
{
    amd::vmcb &v = amd::vmcb_of(vs);
    if (vs.is_root || (v.control.v_intr & amd::v_irq) != 0) {
        return false;
    }
    v.control.v_intr = amd::v_intr_queue(v.control.v_intr, vector);
    v.control.vmcb_clean &= ~amd::clean::tpr;
    return true;
}

bool vs_read(const vs_slot &vs, abi::reg r, uint64_t &out) noexcept
{
    return amd::vs_read(amd::vmcb_of(vs), vs.gprs, r, out);
}

bool vs_write(vs_slot &vs, abi::reg r, uint64_t value) noexcept
{
    return amd::vs_write(amd::vmcb_of(vs), vs.gprs, r, value);
}

void vs_leave_state(const vs_slot &vs, leave_regs &regs, mv_promote_state &ps) noexcept
{
    const amd::vmcb_state &s = amd::vmcb_of(vs).state;
    ps.cr3 = s.cr3;
    ps.os_state_phys = vs.hw_phys;  // mv_promote VMLOADs FS, GS, TR, LDTR and the SYSCALL MSRs from it
    ps.rip = s.rip;
    ps.rsp = s.rsp;
    ps.rflags = s.rflags;
    for (unsigned i = 0; i < 16; ++i) {
        ps.gprs[i] = vs.gprs[i];
    }
    ps.cs = s.cs.selector;
    ps.ss = s.ss.selector;
    ps.ds = s.ds.selector;
    ps.es = s.es.selector;
    ps.gdtr_limit = static_cast<uint16_t>(s.gdtr.limit);
    ps.gdtr_base = s.gdtr.base;
    ps.idtr_limit = static_cast<uint16_t>(s.idtr.limit);
    ps.idtr_base = s.idtr.base;
    // mv_promote clears EFER.SVME itself, after its VMLOAD.
    regs = {s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.g_pat};
}

}  // namespace vendor
}  // namespace mk
