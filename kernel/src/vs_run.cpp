// SPDX-License-Identifier: MIT
// Running VSs, the same on every vendor (the differences are behind vendor.hpp): the entry into
// a VS and the hand-over of its exits to the extension, NMIs, the leave protocol by which every PP
// gives its CPU back to the OS together (promote), and the ways out when a start or the
// microkernel fails.
#include "pp.hpp"
#include "vendor.hpp"

#include <mk/leave_barrier.hpp>
#include <mk/syscall_abi.hpp>
#include <mk/x64/cpu.hpp>

namespace mk {
namespace {

/// The TLS offsets of the GPRs, by register number (rsp has none: the extension reads it with
/// bf_vs_op_read).
constexpr uint64_t tls_gpr[16] = {
    abi::tls_offset_rax, abi::tls_offset_rcx, abi::tls_offset_rdx, abi::tls_offset_rbx, 0,
    abi::tls_offset_rbp, abi::tls_offset_rsi, abi::tls_offset_rdi, abi::tls_offset_r8,  abi::tls_offset_r9,
    abi::tls_offset_r10, abi::tls_offset_r11, abi::tls_offset_r12, abi::tls_offset_r13, abi::tls_offset_r14,
    abi::tls_offset_r15};

// All PPs leave together (mk/leave_barrier.hpp); a promote waits this many TSC ticks for the
// others (about 1-2 s at the TSC rates of today's CPUs) before it is refused.
leave_barrier g_leave;
constexpr uint64_t leave_timeout_ticks = 1ULL << 32;

/// Gives this PP back to the OS, as the root VS last was: the way out of every promote.
[[noreturn]] void leave(pp_state &pp, vs_slot &vs) noexcept;

/// What the microkernel keeps of an exit: the reason and the instruction's length.
void note_exit(vs_slot &vs, const abi::exit_record &r) noexcept
{
    vs.exit_reason = r.reason;
    vs.exit_insn_length = static_cast<uint8_t>(r.insn_length);
}

/// The exit record in the TLS block, after the general registers (mk/exit_abi.hpp): one copy,
/// on the path of every exit.
void record_to_tls(pp_state &pp, const abi::exit_record &r) noexcept
{
    __builtin_memcpy(pp.tls + abi::tls_offset_exit_reason, &r, sizeof(r));
}

}  // namespace

// Both on the path of every exit: plain copies, no calls.
void vs_to_tls(pp_state &pp, const vs_slot &vs) noexcept
{
    for (unsigned r = 0; r < 16; ++r) {
        if (tls_gpr[r] != 0) {
            __builtin_memcpy(pp.tls + tls_gpr[r], &vs.gprs[r], sizeof(uint64_t));
        }
    }
}

void tls_to_vs(const pp_state &pp, vs_slot &vs) noexcept
{
    for (unsigned r = 0; r < 16; ++r) {
        if (tls_gpr[r] != 0) {
            __builtin_memcpy(&vs.gprs[r], pp.tls + tls_gpr[r], sizeof(uint64_t));
        }
    }
}

void init_root_vs(pp_state &pp, vs_slot &vs) noexcept
{
    vendor::vs_init_root(pp, vs);
    vs.is_root = true;
    vs.xcr0 = fpu_host_xcr0();  // the OS's
}

bool advance_ip(vs_slot &vs) noexcept
{
    vendor::vs_advance_ip(vs, vs.exit_insn_length);
    return vs.exit_insn_length != 0;
}

void fail_hypercall(vs_slot &vs) noexcept
{
    vs.gprs[0] = abi::status_failure_unknown;
    advance_ip(vs);
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
/// gets this PP's root VS: an exit nobody handled is dropped, so the OS runs its instruction
/// again natively, but a hypercall in flight fails instead (natively it would be #UD); a guest's
/// VS is left where it is and the root VS's own hypercall that ran it fails.
[[noreturn]] void leave_with_others(pp_state &pp, vs_slot &vs, bool exited) noexcept
{
    vs_slot *root = vs.is_root ? &vs : root_vs_of(pp.id);
    if (root == nullptr) {
        print_id("microv: pp ", pp.id, " has no root VS to give back; this PP is halted\n");
        x64::halt_forever();
    }
    if ((exited || root != &vs) && root->exit_reason == static_cast<uint64_t>(abi::exit_reason::hypercall)) {
        fail_hypercall(*root);
    }
    leave(pp, *root);
}

/// An NMI made the VS exit; the CPU holds it pending while GIF is 0. The microkernel takes it
/// itself (so the VS would not exit on it again at once): it was sent to bring this PP out (to
/// leave, or a guest TLB shootdown's kick), or it was the root VM's own. A root VS gets that back
/// as an injected NMI; a guest's run ends (true), and the root VS takes the NMI at its next entry.
/// (Two NMIs that meet while one is pending are one: a kick may hide one of the root VM's.)
bool handle_nmi_exit(pp_state &pp, vs_slot &vs) noexcept
{
    vendor::take_pending_nmi();
    if (g_leave.going() || __atomic_exchange_n(&pp.kicked, false, __ATOMIC_ACQ_REL)) {
        return false;
    }
    if (!vs.is_root) {
        send_nmi_to_self(pp);
        return true;
    }
    if (vendor::vs_reinject_nmi(vs)) {
        send_nmi_to_self(pp);
    }
    return false;
}

/// Enters the VS once. While a guest's VS is in VMRUN, this PP says so for guest_tlb_flush.
vendor::run_result enter(pp_state &pp, vs_slot &vs) noexcept
{
    if (vs.is_root) {
        return vendor::vs_run(pp, vs);
    }
    __atomic_store_n(&pp.guest_vm_running, uint32_t{g_objects.vps[vs.vpid].vmid} + 1, __ATOMIC_SEQ_CST);
    const vendor::run_result result = vendor::vs_run(pp, vs);
    __atomic_add_fetch(&pp.guest_exits, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&pp.guest_vm_running, uint32_t{0}, __ATOMIC_RELEASE);
    return result;
}

}  // namespace

[[noreturn]] void run_vs(pp_state &pp, uint16_t vsid) noexcept
{
    vs_slot &vs = g_objects.vss[vsid];
    // Before the VS becomes this PP's active one: until then no other PP may destroy the VS
    // whose state the CPU holds, and the switch saves that state into its page.
    lazy_state_switch(pp, vsid);
    pp.active_vsid = vsid;
    if (!pp.root_running && test_fault_here(pp, MV_TEST_FAULT_MK_BEFORE_ROOT)) {
        *reinterpret_cast<volatile uint64_t *>(0x10) = 1;  // test build: a ring-0 fault
    }
    for (;;) {
        if (pp.root_running && g_leave.going()) {
            leave_with_others(pp, vs, false);
        }
        const vendor::run_result result = enter(pp, vs);
        if (result == vendor::run_result::refused && !pp.root_running) {
            print_id("microv: VMRUN of the root VM failed on pp ", pp.id, "; the OS goes on unchanged\n");
            fail_start(pp, MV_MK_STATUS_VMRUN_FAILED);
        }
        // The root VM's first exit on this PP makes it one of the PPs that leave together. If the
        // others are leaving already, this one goes with them, now.
        if (!pp.root_running && vs.is_root) {
            __atomic_store_n(&pp.root_running, true, __ATOMIC_RELEASE);
            if (!g_leave.join()) {
                note_exit(vs, vendor::vs_exit_record(pp, vs));
                leave_with_others(pp, vs, true);
            }
        }
        // The VS's saved state is the host's own: only a broken CPU does that (the test bed's
        // emulator under multi-threaded TCG, see docs/architecture.md). The VS's state is lost:
        // say so plainly instead of reporting a nested page fault of the "guest".
        if (result == vendor::run_result::host_state) {
            print_id("microv: pp ", pp.id, ": the CPU saved the hypervisor's own state as the VS's (emulator bug?)");
            g_console.write("; the VS's state is lost and this PP is halted\n");
            x64::halt_forever();
        }
        // An NMI is the microkernel's business: the VS runs on (or leaves, above), unless it
        // ends a guest's run. Any other exit goes to the extension, even when the PPs are
        // leaving: it finishes the exit, and this PP leaves before its next entry.
        if (result != vendor::run_result::nmi || handle_nmi_exit(pp, vs)) {
            break;
        }
    }

    // The extension sees the exited VS as the active one, its registers and the exit record in
    // the TLS block.
    const abi::exit_record record = vendor::vs_exit_record(pp, vs);
    note_exit(vs, record);
    vs_to_tls(pp, vs);
    record_to_tls(pp, record);
    tls_write16(pp, abi::tls_offset_active_vsid, vsid);
    tls_write16(pp, abi::tls_offset_active_vpid, vs.vpid);
    tls_write16(pp, abi::tls_offset_active_vmid, g_objects.vps[vs.vpid].vmid);
    call_vmexit(pp, record.reason);
}

void promote(pp_state &pp, vs_slot &vs) noexcept
{
    const auto now = [] { return x64::rdtsc(); };
    const auto relax = [] { x64::pause(); };
    if (g_leave.arrive_and_wait(now, relax, leave_timeout_ticks)) {
        leave(pp, vs);
    }
    print_id("microv: pp ", pp.id, " asked to leave alone; refused (every PP must ask)\n");
}

namespace {
[[noreturn]] void leave(pp_state &pp, vs_slot &vs) noexcept
{
    lazy_state_switch(pp, static_cast<uint16_t>(&vs - g_objects.vss));  // the OS's own x87/SSE/AVX state and XCR0
    // The page was set aside at entry: promote must work even when the pool cannot be used.
    auto *ps = static_cast<mv_promote_state *>(pp.promote_page);
    vendor::leave_regs regs{};
    vendor::vs_leave_state(vs, regs, *ps);
    print_id("microv: root OS had been promoted on pp ", pp.id, "\n");
    if (pp.id == 0) {
        // Every PP is here: none allocates now. What MicroV holds of its pool at the end, so that
        // a test can see a leak as a difference between two runs (microv_pool_accounting).
        print_hex64("microv: pool pages in use at the leave: ", locked_pool{}.used(), "\n");
    }
    g_leave.gone();

    // Control registers, EFER and PAT as the root VM last had them; the CPU's host setting as the
    // OS had it, so that nothing of this CPU names a page of the freed pool.
    asm volatile("mov %0, %%cr0" : : "r"(regs.cr0));
    asm volatile("mov %0, %%cr4" : : "r"(regs.cr4));
    asm volatile("mov %0, %%cr2" : : "r"(regs.cr2));
    x64::wrmsr(abi::msr::efer, regs.efer);
    x64::wrmsr(abi::msr::pat, regs.pat);
    vendor::pp_leave(pp);

    using promote_fn = void (*)(uint64_t, uint64_t);
    reinterpret_cast<promote_fn>(pp.args->promote)(pp.args->os_direct_base + pp.promote_page_phys, regs.cr3);
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
    print_id("microv: microkernel fault on pp ", pp.id, ": every PP goes back to the OS\n");
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
    // IRET that would reload them. Then the OS's GDTR and IDTR, and what the vendor code kept of
    // it (on AMD: its VMSAVE state, FS, GS, TR, LDTR, and VM_HSAVE_PA).
    const mv_root_state &os = pp.args->root;
    x64::lgdt({os.gdtr_limit, reinterpret_cast<uint64_t>(os.gdt)});
    mk_load_segments(os.cs, os.ss, os.ds, os.es);
    x64::lgdt({os.gdtr_limit, os.gdtr_base});
    const x64::table_pointer idtr{os.idtr_limit, os.idtr_base};
    x64::lidt(idtr);
    vendor::pp_restore_os(pp);
}

[[noreturn]] void fail_start(pp_state &pp, uint64_t status) noexcept
{
    // Back to mk_entry with the OS's state. (The extension's address space holds the
    // microkernel's upper half: no CR3 change needed.)
    restore_os_state(pp);
    mk_context_restore(&pp.entry_context, status);
}

}  // namespace mk
