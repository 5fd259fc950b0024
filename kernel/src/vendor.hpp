// SPDX-License-Identifier: MIT
// The vendor seam of the microkernel: what differs between AMD SVM and Intel VMX, behind one set
// of functions the common code calls. A microkernel image holds one vendor's implementation
// (kernel/src/x64/amd/ today; x64/intel/ beside it later, as its own image the loader picks by
// the CPU it finds). Common code never looks inside a VS's or a PP's vendor state: vs_slot::hw
// and pp_state::vendor are the vendor's own.
//
// What an implementation provides, and Intel's would provide the same way:
// - the root VM's shared setup (MSR and I/O intercept maps, nested page tables), once;
// - per PP, the host side of the switch into a VS and back (AMD: the host save area, the
//   VMSAVE/VMLOAD state of the OS and of the microkernel; Intel: VMXON, the VMCS host fields);
// - per VS, its control structure from the OS's state, the entry with ring 0's invariants
//   forced on it, the exit in the neutral terms of mk/exit_abi.hpp, moving past an instruction,
//   injecting an event, the registers bf_vs_op_read/write name (bf_reg_t is the vendor's), and
//   the state promote puts back on the CPU.
#pragma once

#include "pp.hpp"

#include <mk/exit_abi.hpp>
#include <mk/syscall_abi.hpp>

#include <stdint.h>

namespace mk::vendor {

/// Whether the loader's arguments hold what this vendor needs (its maps' pages).
bool args_ok(const mv_mk_args &args) noexcept;

/// Once, on the first PP: the root VM's MSR and I/O intercept maps and its nested page tables
/// (all of memory but the pool). A step status of mk_entry.
uint64_t init_root_vm(const mv_mk_args &args) noexcept;

/// Per PP, before the microkernel's own descriptor tables and SYSCALL MSRs replace the OS's:
/// keeps the OS's state that the switch into a VS does not hold. A step status.
uint64_t pp_save_os(pp_state &pp) noexcept;

/// Per PP, with the microkernel's own state loaded: the host side of entering a VS.
void pp_init_host(pp_state &pp) noexcept;

/// Puts back the OS's state pp_save_os kept, and the CPU's host setting as the OS had it.
void pp_restore_os(const pp_state &pp) noexcept;

/// A guest VM's nested page tables: made empty (false when the pool has no page), a 4 KiB page of
/// the root VM's RAM mapped at a GPA (both checked by the caller) or taken out (false when none
/// was there), whether a GPA is mapped, and all of them given back when the VM goes. The TLBs are
/// the caller's (guest_tlb_flush).
bool vm_init(vm_slot &vm) noexcept;
map_result vm_map(vm_slot &vm, uint64_t gpa, uint64_t hpa, uint64_t flags) noexcept;
bool vm_unmap(vm_slot &vm, uint64_t gpa) noexcept;
bool vm_mapped(vm_slot &vm, uint64_t gpa) noexcept;
/// The root-VM page a guest's GPA is mapped to, with its abi::map_* rights in bits 2:0; 0: none.
uint64_t vm_page(vm_slot &vm, uint64_t gpa) noexcept;
void vm_free(vm_slot &vm) noexcept;

/// The root VS of this PP from the OS's state as the loader captured it (RIP where the OS goes
/// on, RAX the status it sees).
void vs_init_root(pp_state &pp, vs_slot &vs) noexcept;

/// A guest's new VS: the state the CPU has after RESET (real mode at F000:FFF0), which the VMM
/// then changes with bf_vs_op_write.
void vs_init_guest(vs_slot &vs) noexcept;

/// What an entry into a VS came back with.
enum class run_result {
    exited,      // an exit for the extension (vs_exit_record says which)
    nmi,         // an NMI: the microkernel's own business (take_pending_nmi, then decide)
    refused,     // the CPU refused the VS's state
    host_state,  // the CPU saved the host's own state as the VS's (an emulator bug, see run_vs)
};

/// Enters the VS with ring 0's invariants put back first, until its next exit. The VS's RAX
/// is gprs[0] before and after. A guest's VS runs with its VM's tables and a TLB tag that holds
/// no translation its VM's tables lost since (tlb_gen, read after pp.guest_vm_running is set),
/// every physical interrupt and NMI making it exit, and an event its last exit cut short
/// delivered again.
run_result vs_run(pp_state &pp, vs_slot &vs) noexcept;

/// The VS's last exit, for the extension.
abi::exit_record vs_exit_record(const pp_state &pp, const vs_slot &vs) noexcept;

/// Takes the NMI the CPU holds after an NMI exit, so that the VS does not exit on it again.
void take_pending_nmi() noexcept;

/// After an NMI exit that was the VS's own: it gets the NMI back on its next entry (after an
/// event the exit cut short); true when the NMI must be sent again (send_nmi_to_self).
bool vs_reinject_nmi(vs_slot &vs) noexcept;

/// Moves the VS's RIP forward by length bytes (past the instruction that exited).
void vs_advance_ip(vs_slot &vs, uint8_t length) noexcept;

/// An event (abi::event_injectable) for the VS's next entry; false if not injectable or one
/// is already pending.
bool vs_inject(vs_slot &vs, uint64_t event) noexcept;
/// An external interrupt the CPU delivers to the guest's VS once it can take it; false while an
/// earlier one still waits.
bool vs_queue_interrupt(vs_slot &vs, uint8_t vector) noexcept;

/// bf_vs_op_read/write of one register; false for a register the VS does not have.
bool vs_read(const vs_slot &vs, abi::reg r, uint64_t &out) noexcept;
bool vs_write(vs_slot &vs, abi::reg r, uint64_t value) noexcept;

/// What promote loads on the CPU before mv_promote: the root VS's control registers, EFER and
/// PAT, and its state for mv_promote (struct mv_promote_state).
struct leave_regs {
    uint64_t cr0, cr2, cr3, cr4, efer, pat;
};
void vs_leave_state(const vs_slot &vs, leave_regs &regs, mv_promote_state &ps) noexcept;

/// The CPU's host setting as the OS had it, once this PP leaves for good (AMD: VM_HSAVE_PA), so
/// that nothing of the CPU names a page of the freed pool.
void pp_leave(const pp_state &pp) noexcept;

}  // namespace mk::vendor
