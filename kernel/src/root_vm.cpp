// SPDX-License-Identifier: MIT
// Running VSs: the root VS made from the OS's state as the loader found it, the VMRUN of a VS
// and the hand-over of its exits to the extension, moving past an instruction, and giving the CPU
// back to the OS (promote).
#include "pp.hpp"

#include <mk/leave_barrier.hpp>
#include <mk/syscall_abi.hpp>
#include <mk/x64/amd/vmcb_invariants.hpp>
#include <mk/x64/cpu.hpp>
#include <mk/x64/segment.hpp>

namespace mk {
namespace {

constexpr uint32_t asid_root = 1;
constexpr uint64_t rflags_reserved = 0x2;
constexpr uint64_t dr6_init = 0xFFFF0FF0;
constexpr uint32_t msr_pat = 0x277;

/// A segment register of the VMCB from one of the OS's GDT entries (copied by the loader).
amd::vmcb_segment os_segment(const mv_root_state &os, uint16_t selector) noexcept
{
    x64::segment_state s{};
    if (!x64::decode_segment(os.gdt, os.gdtr_limit, selector, false, s)) {
        return {selector, 0, 0, 0};
    }
    return {s.selector, s.attrib, s.limit, s.base};
}

/// The length of the instruction behind an exit, for CPUs without NRIP save; 0 when unknown.
uint8_t instruction_length(uint64_t exitcode) noexcept
{
    switch (exitcode) {
    case amd::vmexit::cpuid:
    case amd::vmexit::msr:
    case amd::vmexit::rdtsc:
    case amd::vmexit::pause:
    case amd::vmexit::invd:
    case amd::vmexit::wbinvd:
        return 2;
    case amd::vmexit::vmmcall:
    case amd::vmexit::vmrun:
    case amd::vmexit::vmload:
    case amd::vmexit::vmsave:
    case amd::vmexit::stgi:
    case amd::vmexit::clgi:
    case amd::vmexit::skinit:
    case amd::vmexit::rdtscp:
    case amd::vmexit::monitor:
    case amd::vmexit::mwait:
    case amd::vmexit::xsetbv:
        return 3;
    case amd::vmexit::hlt:
        return 1;
    default:
        return 0;
    }
}

/// The TLS offsets of the GPRs, by register number (rsp has none: it lives in the VMCB).
constexpr uint64_t tls_gpr[16] = {
    abi::tls_offset_rax, abi::tls_offset_rcx, abi::tls_offset_rdx, abi::tls_offset_rbx, 0,
    abi::tls_offset_rbp, abi::tls_offset_rsi, abi::tls_offset_rdi, abi::tls_offset_r8,  abi::tls_offset_r9,
    abi::tls_offset_r10, abi::tls_offset_r11, abi::tls_offset_r12, abi::tls_offset_r13, abi::tls_offset_r14,
    abi::tls_offset_r15};

// All PPs leave together (mk/leave_barrier.hpp); a promote waits this many TSC ticks for the
// others (about 1-2 s at the TSC rates of today's CPUs) before it is refused.
leave_barrier g_leave;
constexpr uint64_t leave_timeout_ticks = 1ULL << 32;

/// What every root VS runs with, whatever the extension wrote (amd/vmcb_invariants.hpp). Only root
/// VSs run for now (syscall_dispatch's runnable); guest VMs will bring their own tables.
amd::vmcb_invariants root_invariants(const pp_state &pp) noexcept
{
    return {pp.args->msrpm_phys, pp.args->iopm_phys, g_root_ncr3, asid_root};
}

/// Gives this PP back to the OS, as the root VS last was: the way out of every promote.
[[noreturn]] void leave(pp_state &pp, vs_slot &vs) noexcept;

}  // namespace

void vs_to_tls(pp_state &pp, const vs_slot &vs) noexcept
{
    tls_write64(pp, abi::tls_offset_rax, vs.vmcb->state.rax);
    for (unsigned r = 1; r < 16; ++r) {
        if (tls_gpr[r] != 0) {
            tls_write64(pp, tls_gpr[r], vs.gprs[r]);
        }
    }
}

void tls_to_vs(const pp_state &pp, vs_slot &vs) noexcept
{
    vs.vmcb->state.rax = tls_read64(pp, abi::tls_offset_rax);
    for (unsigned r = 1; r < 16; ++r) {
        if (tls_gpr[r] != 0) {
            vs.gprs[r] = tls_read64(pp, tls_gpr[r]);
        }
    }
}

void init_root_vs(pp_state &pp, vs_slot &vs) noexcept
{
    const mv_root_state &os = pp.args->root;
    amd::vmcb_state &st = vs.vmcb->state;
    amd::vmcb_control &ctl = vs.vmcb->control;

    // FS, GS, TR, LDTR and the SYSCALL MSRs as VMSAVE found them at entry; the rest from the loader.
    const auto &saved = static_cast<const amd::vmcb *>(locked_pool{}.phys_to_virt(pp.os_vmcb_phys))->state;
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
    st.rsp = pp.os_rsp;
    st.rax = MV_MK_STATUS_DEMOTED;

    // CPUID and VMMCALL exits are the extension's (its CPUID answers, the hypercalls); what only
    // the microkernel may decide (the intercepts isolation rests on, its maps, nested paging with
    // the root VM's tables, which leave the pool out) is the same code run_vs puts back before
    // every VMRUN (amd/vmcb_invariants.hpp).
    ctl.intercept_misc1 = amd::intercept_misc1::cpuid;
    ctl.intercept_exceptions = 0;
    ctl.intercept_misc2 = amd::intercept_misc2::vmmcall;
    ctl.tlb_control = amd::tlb_ctl::flush_all;
    amd::enforce_invariants(*vs.vmcb, root_invariants(pp));
    vs.is_root = true;
}

bool advance_ip(const pp_state &pp, vs_slot &vs) noexcept
{
    amd::vmcb &v = *vs.vmcb;
    if (pp.nrip_save && v.control.nrip != 0) {
        v.state.rip = v.control.nrip;
        return true;
    }
    const uint8_t length = instruction_length(v.control.exitcode);
    v.state.rip += length;
    return length != 0;
}

namespace {

/// The root VS of a PP (the one the extension made from the OS's state there), or nullptr.
vs_slot *root_vs_of(uint16_t ppid) noexcept
{
    for (auto &vs : g_objects.vss) {
        if (vs.used && vs.is_root && vs.ppid == ppid) {
            return &vs;
        }
    }
    return nullptr;
}

/// Leaves along with every other PP (the barrier says go, or the microkernel failed here).
/// `vs` is the VS that just exited (`exited`: its exit not handled) or is about to run. The OS
/// gets this PP's root VS:
/// an exit nobody handled is dropped, so the OS runs its instruction again natively, but a
/// hypercall in flight fails instead (natively it would be #UD); a guest's VS is left where it is
/// and the root VS's own hypercall that ran it fails.
[[noreturn]] void leave_with_others(pp_state &pp, vs_slot &vs, bool exited) noexcept
{
    vs_slot *root = vs.is_root ? &vs : root_vs_of(pp.id);
    if (root == nullptr) {
        print_hex16("microv: pp ", pp.id, " has no root VS to give back; this PP is halted\n");
        x64::halt_forever();
    }
    if ((exited || root != &vs) && root->vmcb->control.exitcode == amd::vmexit::vmmcall) {
        root->vmcb->state.rax = abi::status_failure_unknown;
        advance_ip(pp, *root);
    }
    leave(pp, *root);
}

/// An NMI made the VS exit; the CPU holds it pending while GIF is 0. The microkernel takes it
/// itself (so the VS would not exit on it again at once): it was sent to bring this PP out, or
/// it was the root VM's own, which the VS gets back as an injected NMI.
void handle_nmi_exit(const pp_state &pp, amd::vmcb &v) noexcept
{
    x64::take_pending_nmi();
    if (g_leave.going()) {
        return;
    }
    bool owed = false;
    v.control.eventinj = amd::eventinj_after_nmi_exit(v.control.exitintinfo, owed);
    if (owed) {
        send_nmi_to_self(pp);
    }
}

}  // namespace

[[noreturn]] void run_vs(pp_state &pp, uint16_t vsid) noexcept
{
    vs_slot &vs = g_objects.vss[vsid];
    pp.active_vsid = vsid;
    amd::vmcb &v = *vs.vmcb;
    if (!pp.root_running && test_fault_here(pp, MV_TEST_FAULT_MK_BEFORE_ROOT)) {
        *reinterpret_cast<volatile uint64_t *>(0x10) = 1;  // test build: a ring-0 fault
    }
    for (;;) {
        if (pp.root_running && g_leave.going()) {
            leave_with_others(pp, vs, false);
        }
        // Whatever the extension wrote: the intercepts, maps and nested paging isolation rests on.
        amd::enforce_invariants(v, root_invariants(pp));
        if (!pp.root_running && test_fault_here(pp, MV_TEST_FAULT_VMRUN_REFUSED)) {
            v.control.guest_asid = 0;  // test build: VMRUN refuses ASID 0 (VMEXIT_INVALID)
        }
        mk_vmrun(vs.vmcb_phys, vs.gprs, pp.host_vmcb_phys);

        v.control.tlb_control = amd::tlb_ctl::nothing;
        if (amd::vmexit::vmrun_refused(v.control.exitcode) && !pp.root_running) {
            print_hex16("microv: VMRUN of the root VM failed on pp ", pp.id, "; the OS goes on unchanged\n");
            fail_start(pp, MV_MK_STATUS_VMRUN_FAILED);
        }
        // The root VM's first exit on this PP makes it one of the PPs that leave together. If the
        // others are leaving already, this one goes with them, now.
        if (!pp.root_running && vs.is_root) {
            __atomic_store_n(&pp.root_running, true, __ATOMIC_RELEASE);
            if (!g_leave.join()) {
                leave_with_others(pp, vs, true);
            }
        }
        // The VS's saved state is the host's own, right after VMRUN: only a broken CPU does that
        // (the test bed's emulator under multi-threaded TCG, see docs/architecture.md). The VS's
        // state is lost: say so plainly instead of reporting a nested page fault of the "guest".
        if (v.control.exitcode == amd::vmexit::npf && v.state.rip == reinterpret_cast<uint64_t>(&mk_vmrun_resume) &&
            v.state.cr3 == x64::read_cr3()) {
            print_hex16("microv: pp ", pp.id, ": the CPU saved the hypervisor's own state as the VS's (emulator bug?)");
            g_console.write("; the VS's state is lost and this PP is halted\n");
            x64::halt_forever();
        }
        // An NMI is the microkernel's business alone: the VS runs on (or leaves, above). Any other
        // exit goes to the extension, even when the PPs are leaving: it finishes the exit, and
        // this PP leaves before its next VMRUN.
        if (v.control.exitcode != amd::vmexit::nmi) {
            break;
        }
        handle_nmi_exit(pp, v);
    }

    // The extension sees the exited VS as the active one, its registers in the TLS block.
    vs_to_tls(pp, vs);
    tls_write16(pp, abi::tls_offset_active_vsid, vsid);
    tls_write16(pp, abi::tls_offset_active_vpid, vs.vpid);
    tls_write16(pp, abi::tls_offset_active_vmid, g_objects.vps[vs.vpid].vmid);
    call_vmexit(pp, v.control.exitcode);
}

void promote(pp_state &pp, vs_slot &vs) noexcept
{
    const auto now = [] { return x64::rdtsc(); };
    const auto relax = [] { x64::pause(); };
    if (g_leave.arrive_and_wait(now, relax, leave_timeout_ticks)) {
        leave(pp, vs);
    }
    print_hex16("microv: pp ", pp.id, " asked to leave alone; refused (every PP must ask)\n");
}

namespace {
[[noreturn]] void leave(pp_state &pp, vs_slot &vs) noexcept
{
    amd::vmcb &v = *vs.vmcb;
    // The page was set aside at entry: promote must work even when the pool cannot be used.
    auto *ps = static_cast<mv_promote_state *>(pp.promote_page);
    const uint64_t phys = pp.promote_page_phys;
    ps->cr3 = v.state.cr3;
    ps->vmcb_phys = vs.vmcb_phys;
    ps->rip = v.state.rip;
    ps->rsp = v.state.rsp;
    ps->rflags = v.state.rflags;
    for (unsigned i = 0; i < 16; ++i) {
        ps->gprs[i] = vs.gprs[i];
    }
    ps->gprs[0] = v.state.rax;
    ps->cs = v.state.cs.selector;
    ps->ss = v.state.ss.selector;
    ps->ds = v.state.ds.selector;
    ps->es = v.state.es.selector;
    ps->gdtr_limit = static_cast<uint16_t>(v.state.gdtr.limit);
    ps->gdtr_base = v.state.gdtr.base;
    ps->idtr_limit = static_cast<uint16_t>(v.state.idtr.limit);
    ps->idtr_base = v.state.idtr.base;
    print_hex16("microv: root OS had been promoted on pp ", pp.id, "\n");
    g_leave.gone();

    // Control registers, EFER and PAT as the root VM last had them (mv_promote clears EFER.SVME);
    // VM_HSAVE_PA as the OS had it, so that no MSR of this CPU names a page of the freed pool.
    asm volatile("mov %0, %%cr0" : : "r"(v.state.cr0));
    asm volatile("mov %0, %%cr4" : : "r"(v.state.cr4));
    asm volatile("mov %0, %%cr2" : : "r"(v.state.cr2));
    x64::wrmsr(amd::msr::efer, v.state.efer);
    x64::wrmsr(msr_pat, v.state.g_pat);
    x64::wrmsr(amd::msr::vm_hsave_pa, pp.args->root.vm_hsave_pa);

    using promote_fn = void (*)(uint64_t, uint64_t);
    reinterpret_cast<promote_fn>(pp.args->promote)(pp.args->os_direct_base + phys, v.state.cr3);
    __builtin_unreachable();
}
}  // namespace

[[noreturn]] void microkernel_failed(pp_state &pp) noexcept
{
    // Before the root VM ran: the start fails and the OS goes on as if nothing happened.
    if (!pp.root_running) {
        fail_start(pp, MV_MK_STATUS_MK_FAULT);
    }
    // After: every PP goes back to the OS, this one last. It may not go first, nor alone: natively
    // it could write the memory the others still run MicroV with (docs/security.md, finding 5).
    // The others leave at their next exit, which an NMI brings at once; this PP waits for them
    // without a bound (one that never exits keeps this CPU here, which is safe).
    print_hex16("microv: microkernel fault on pp ", pp.id, ": every PP goes back to the OS\n");
    g_leave.force();
    send_nmi_to_others(pp);
    while (!g_leave.others_gone()) {
        x64::pause();
    }
    if (pp.active_vsid < max_vss && g_objects.vss[pp.active_vsid].used) {
        leave_with_others(pp, g_objects.vss[pp.active_vsid], true);
    }
    g_console.write("microv: this PP is halted\n");
    x64::halt_forever();
}

void restore_os_state(const pp_state &pp) noexcept
{
    // The OS's CS, SS, DS and ES, loaded from the loader's copy of its GDT (the OS's own GDT is not
    // mapped here); a start that failed on the CPU that asked for it returns to the OS with no
    // IRET that would reload them. Then the OS's GDTR, its VMSAVE state (FS, GS, TR, LDTR), IDTR.
    const mv_root_state &os = pp.args->root;
    x64::lgdt({os.gdtr_limit, reinterpret_cast<uint64_t>(os.gdt)});
    mk_load_segments(os.cs, os.ss, os.ds, os.es);
    x64::lgdt({os.gdtr_limit, os.gdtr_base});
    x64::vmload(pp.os_vmcb_phys);
    const x64::table_pointer idtr{os.idtr_limit, os.idtr_base};
    x64::lidt(idtr);
    x64::wrmsr(amd::msr::vm_hsave_pa, os.vm_hsave_pa);
}

[[noreturn]] void fail_start(pp_state &pp, uint64_t status) noexcept
{
    // Back to mk_entry with the OS's state. (The extension's address space holds the
    // microkernel's upper half: no CR3 change needed.)
    restore_os_state(pp);
    mk_context_restore(&pp.entry_context, status);
}

}  // namespace mk
