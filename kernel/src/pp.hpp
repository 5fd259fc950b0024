// SPDX-License-Identifier: MIT
// The microkernel's state: per PP, the VMs/VPs/VSs, the extension, and what the source files
// share. One extension (MicroV) for now; the tables have room for guest VMs to come.
#pragma once

#include <microv/mk_boot.h>
#include <mk/console.hpp>
#include <mk/page_pool.hpp>
#include <mk/page_tables.hpp>
#include <mk/syscall_dispatch.hpp>
#include <mk/x64/descriptors.hpp>
#include <mk/x64/port_io.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk {

using pool_type = page_pool<MV_MK_MAX_CHUNKS>;

/// The page pool behind a lock, in the shape page_tables wants.
struct locked_pool {
    pool_page alloc() noexcept;
    void free(const void *virt) noexcept;
    void *phys_to_virt(uint64_t phys) const noexcept;
    /// Pages handed out (the bitmap's own included), and all there are.
    uint64_t used() const noexcept;
    uint64_t total() const noexcept;
};

/// Callee-saved registers, stack and return address: where mk_context_restore goes back to.
struct context {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

/// Everything one PP owns; lives in one pool page per PP. The first two fields are read by
/// x64/syscall.S through GS.
struct pp_state {
    uint64_t user_rsp;     // the extension's RSP while a syscall runs
    uint64_t syscall_rsp;  // top of this PP's stack for entries from ring 3
    pp_state *self;        // GS:16, so that this_pp() is one load
    uint16_t id;
    const mv_mk_args *args;
    uint64_t os_rsp;
    void *vendor;            // the vendor's own state for this PP (vendor.hpp)
    uint32_t apic_id;        // how other PPs send this one an NMI (x64/lapic.hpp)
    uint16_t active_vsid;    // the VS that exited last, or abi invalid id
    bool root_running;       // the root VM has run on this PP
    bool bootstrapped;       // the extension's bootstrap callback was called on this PP
    context entry_context;   // mk_entry's, to return a failed start to the loader
    uint64_t ext_stack_top;  // the extension's stack on this PP
    void *promote_page;      // where promote writes the root VS's state (set aside at entry)
    uint64_t promote_page_phys;
    uint8_t *tls;  // the extension's TLS block on this PP (microkernel address of FS:0)
    // A guest's VS in VMRUN here: its VMID + 1 (0: none), and the count of its exits, by which
    // an unmap on another PP knows this one has left the translations it took out (guest_tlb).
    uint32_t guest_vm_running;
    uint64_t guest_exits;
    bool kicked;        // the next NMI was sent by a PP that needs this one out of its guest
    uint16_t fpu_vsid;  // the VS whose x87/SSE/AVX state, XCR0 and DR0-DR3 the CPU holds (lazy_state.cpp)
    alignas(16) uint64_t gdt[x64::gdt_entries];
    x64::tss tss;
};
static_assert(offsetof(pp_state, user_rsp) == 0);
static_assert(offsetof(pp_state, syscall_rsp) == 8);
static_assert(offsetof(pp_state, self) == 16);

/// What a step of mk_entry returns when nothing failed; otherwise the MV_MK_STATUS_* of the
/// failure (0 is also MV_MK_STATUS_DEMOTED, the status of a whole entry that worked).
constexpr uint64_t step_ok = 0;
static_assert(step_ok == MV_MK_STATUS_DEMOTED);

/// Every PP entered, by id (a root VP each, so no more than there are VP slots).
constexpr uint16_t max_pps = max_vps;
extern pp_state *g_pps[max_pps];

extern console<x64::port_io> g_console;
extern kernel_objects g_objects;

/// Whether a microkernel address range lies in the direct map of the pool.
bool in_direct_map(uint64_t addr, uint64_t size) noexcept;

/// A zeroed pool page (its microkernel address) and its physical address; nullptr when out.
void *alloc_page(uint64_t &phys) noexcept;

/// One console line: before, an ID (a PP's) as 0x and four hex digits, after.
void print_id(const char *before, uint16_t id, const char *after) noexcept;
/// One console line (or part of one): before, a 64-bit value as 0x and 16 hex digits, after.
void print_hex64(const char *before, uint64_t value, const char *after) noexcept;

/// Loads this PP's GDT, TSS (with the loader's IST stacks) and the shared IDT.
void load_descriptor_tables(pp_state &pp) noexcept;

/// The extension: loaded once (first PP), then prepared on each PP (TLS, stack, SYSCALL MSRs).
uint64_t load_extension(const mv_mk_args &args) noexcept;
bool prepare_extension(pp_state &pp) noexcept;
/// Runs the extension's _start (first PP) and bootstrap callback on this PP; never returns.
[[noreturn]] void start_extension(pp_state &pp) noexcept;
/// Calls the extension's bootstrap callback on this PP; never returns.
[[noreturn]] void call_bootstrap(pp_state &pp) noexcept;
/// The TLS block's ABI fields (offsets 0x800..0xFFF from FS).
void tls_write16(pp_state &pp, uint64_t offset, uint16_t value) noexcept;
void tls_write64(pp_state &pp, uint64_t offset, uint64_t value) noexcept;
uint64_t tls_read64(const pp_state &pp, uint64_t offset) noexcept;
/// Calls the extension's vmexit callback for the active VS; never returns.
[[noreturn]] void call_vmexit(pp_state &pp, uint64_t exit_reason) noexcept;
/// The extension faulted or gave up: report, and recover as far as possible; never returns.
[[noreturn]] void extension_failed(pp_state &pp, const char *what) noexcept;
/// Translates an extension address (user, mapped) into a microkernel one; nullptr if not.
void *ext_to_mk(uint64_t ext_addr, bool write) noexcept;
/// Whether an extension address is mapped, user and executable.
bool ext_code(uint64_t ext_addr) noexcept;
/// Maps a fresh pool page into the extension at virt (read/write); its physical address in phys.
bool map_into_extension(uint64_t virt, uint64_t &phys) noexcept;
/// Unmaps a page mapped by map_into_extension and gives it back to the pool.
bool unmap_from_extension(uint64_t virt) noexcept;
/// Maps a root-VM page (checked by the caller) into the extension's direct map; its address in virt.
bool map_direct(uint64_t phys, uint64_t &virt) noexcept;
/// Unmaps a page of the extension's direct map (the page stays the root VM's).
bool unmap_direct(uint64_t virt) noexcept;

/// What VMRUN does not switch, the microkernel does (lazy_state.cpp): the x87/SSE/AVX state,
/// XCR0 and DR0-DR3. Once: whether guests can have their own (the CPU's save area fits a page);
/// false, said on the console, when not.
bool fpu_init() noexcept;
/// The CPU takes to's state, the VS whose state it held keeps it (its page, its slot); a no-op
/// when the CPU holds to's already. Before a VS runs, and before a PP leaves (the root VS's state).
void lazy_state_switch(pp_state &pp, uint16_t to) noexcept;
/// DR0-DR3 by bf_reg_t: 0-3, or 4 for any other register; a guest's set (false: not canonical).
unsigned lazy_dr_index(abi::reg r) noexcept;
bool set_dr(vs_slot &vs, unsigned index, uint64_t value) noexcept;
/// A guest VS's XCR0 as bf_vs_op_read/write see it; a write the host's XCR0 cannot hold is false.
/// bf_vs_op_fpu_read/write of a guest's VS that no CPU holds: the legacy area (512 bytes) or the
/// whole page; a write XRSTOR would refuse (MXCSR, the XSAVE header) is refused, nothing changed.
bool fpu_read(const vs_slot &vs, uint8_t *dst, bool whole) noexcept;
bool fpu_write(vs_slot &vs, const uint8_t *src, bool whole) noexcept;
uint64_t fpu_xcr0(const vs_slot &vs) noexcept;
bool fpu_set_xcr0(vs_slot &vs, uint64_t value) noexcept;
/// Whether guests' VSs can be made (fpu_init said yes), and the OS's XCR0 (the root VSs').
bool fpu_guests_ok() noexcept;
uint64_t fpu_host_xcr0() noexcept;

/// The root VS of this PP from the OS's state (vendor::vs_init_root), marked as the root VS.
void init_root_vs(pp_state &pp, vs_slot &vs) noexcept;
/// The TLS block shows the VS's general registers; and back, before a syscall uses them.
void vs_to_tls(pp_state &pp, const vs_slot &vs) noexcept;
void tls_to_vs(const pp_state &pp, vs_slot &vs) noexcept;
/// Runs a VS until its next exit, then hands the exit to the extension; never returns.
[[noreturn]] void run_vs(pp_state &pp, uint16_t vsid) noexcept;
/// Gives the CPU back to the OS as the root VS has it now; never returns.
/// Gives this PP back to the OS once every PP that runs the root VM asks too (leave_barrier.hpp);
/// returns only when they do not all ask in time (the promote is refused, nothing changed).
void promote(pp_state &pp, vs_slot &vs) noexcept;
/// Moves a VS past the instruction that exited, as long as the exit said it was; false when the
/// length is unknown.
bool advance_ip(vs_slot &vs) noexcept;
/// The hypercall the VS exited on fails (RAX a failure status), and the VS goes on past it.
void fail_hypercall(vs_slot &vs) noexcept;
/// Sends every other PP that runs the root VM an NMI, which brings it out of its VS at once.
void send_nmi_to_others(const pp_state &pp) noexcept;
/// Sends a PP an NMI; false when its APIC did not take it.
bool send_nmi_to(const pp_state &pp) noexcept;
/// After a guest VM's tables lost translations: returns once no PP can still use them, each PP
/// in that VM's guest now brought out once (an NMI it takes as a kick) and every later entry
/// with a fresh TLB tag (guest_tlb.cpp).
void guest_tlb_flush(const pp_state &pp, uint16_t vmid) noexcept;
/// Sends this PP an NMI (one the root VM is owed, taken at its next VMRUN).
void send_nmi_to_self(const pp_state &pp) noexcept;
/// A fault in the microkernel itself (ring 0): fail the start, or give every CPU back; never returns.
[[noreturn]] void microkernel_failed(pp_state &pp) noexcept;
/// Puts back what the OS had before mk_entry changed it on this PP: its descriptor tables and
/// what the vendor code kept (vendor::pp_restore_os).
void restore_os_state(const pp_state &pp) noexcept;
/// Leaves a failed start: restore_os_state, then returns status from mk_entry.
[[noreturn]] void fail_start(pp_state &pp, uint64_t status) noexcept;

/// Whether the microkernel's test build is to make the fault `which` (enum mv_test_fault) here:
/// the loader asked for it and this is the last PP entered. Never in the real microkernel.
inline bool test_fault_here(const pp_state &pp, uint16_t which) noexcept
{
#ifdef MICROV_TEST_FAULTS
    return pp.args->test_fault == which && pp.id + 1U == pp.args->online_pps;
#else
    (void)pp;
    (void)which;
    return false;
#endif
}

/// The PP this code runs on (GS points at its state in the microkernel).
pp_state &this_pp() noexcept;

}  // namespace mk

extern "C" uint64_t mk_context_save(mk::context *ctx);
extern "C" [[noreturn]] void mk_context_restore(mk::context *ctx, uint64_t value);
extern "C" [[noreturn]] void mk_call_ext(uint64_t ip, uint64_t arg0, uint64_t arg1, uint64_t rsp);
extern "C" void mk_load_segments(uint16_t code, uint16_t stack, uint16_t data, uint16_t extra);
