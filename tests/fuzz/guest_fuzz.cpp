// SPDX-License-Identifier: MIT
// libFuzzer target: MicroV's logic for guests' VMs over a fake Sys whose answers come from the
// input. The first byte picks the mode:
//  - even: an exit of a guest's VS (vmexit of a VS whose VM is not the root VM: guest_exits.hpp)
//    with a fuzzed reason, exit record, registers, PP record and microkernel answers;
//  - odd: mv_vm_op_mmio_map or mmio_unmap of a fuzzed MDL (guest_memory.hpp) with fuzzed
//    microkernel statuses.
// Checks what must hold for any input (fuzz_exit and fuzz_memory say what).
#include "extension.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace {

namespace abi = mk::abi;
using abi::reg;

void check(bool ok)
{
    if (!ok) {
        std::abort();
    }
}

/// The input read in order, zero past its end: the fake answers from it as the logic asks.
struct input {
    const uint8_t *data;
    size_t size;
    size_t at;
    uint64_t take(size_t bytes)
    {
        uint64_t v = 0;
        for (size_t i = 0; i < bytes; ++i, ++at) {
            v |= at < size ? uint64_t{data[at]} << (8 * i) : 0;
        }
        return v;
    }
};

/// The never-returning operations: the fake throws which one ended the path.
enum class end { none, run, run_current, advance_ip_and_run_current, exit_failure };
struct stopped {
    end how;
};

/// A VS register: its value before the exit (drawn from the input when first touched), now.
struct vs_value {
    uint64_t old;
    uint64_t now;
    bool written;
};

/// One bf_vm_op_map_guest (map) or bf_vm_op_unmap_guest, in call order, with the fake's answer.
struct mem_call {
    bool map;
    uint64_t vmid, gpa, phys, pages, flags, status;
};

struct fake {
    input &in;
    uint64_t guest_vsid;  // the VSs the logic may write: the guest's that exited ...
    uint64_t root_vsid;   // ... and the root VS that runs it
    std::array<uint64_t, 0x1000 / 8> tls{};
    std::map<std::pair<uint64_t, reg>, vs_value> vs{};
    std::array<uint64_t, 3> run_ids{};  // run's (vmid, vpid, vsid)
    // Mode 2: which calls fail (call index to microkernel status), and every call.
    std::map<size_t, uint64_t> fails{};
    std::vector<mem_call> calls{};

    vs_value &at(uint64_t vsid, reg r)
    {
        const auto [it, added] = vs.try_emplace({vsid, r});
        if (added) {
            it->second.old = it->second.now = in.take(8);
        }
        return it->second;
    }
    uint64_t vs_read(uint64_t vsid, reg r) { return at(vsid, r).now; }
    void vs_write(uint64_t vsid, reg r, uint64_t value)
    {
        check(vsid == guest_vsid || vsid == root_vsid);  // no other VS is this exit's business
        vs_value &v = at(vsid, r);
        v.now = value;
        v.written = true;
    }
    /// bf_vs_op_write with its status (XSETBV's XCR0): taken, or refused as the input says.
    uint64_t vs_set(uint64_t vsid, reg r, uint64_t value)
    {
        if ((in.take(1) & 1U) != 0) {
            return abi::status_invalid_input_reg2;
        }
        vs_write(vsid, r, value);
        return abi::status_success;
    }
    /// Aligned 8-byte slots only; the logic writes only the general registers (0x800-0x878).
    uint64_t tls_get(uint64_t offset)
    {
        check(offset % 8 == 0 && offset < 0x1000);
        return tls[offset / 8];
    }
    void tls_set(uint64_t offset, uint64_t value)
    {
        check(offset % 8 == 0 && offset >= abi::tls_offset_rax && offset <= abi::tls_offset_r15);
        tls[offset / 8] = value;
    }
    vmm::cpuid_regs cpuid(uint32_t, uint32_t)
    {
        const uint64_t lo = in.take(8);
        const uint64_t hi = in.take(8);
        return {static_cast<uint32_t>(lo), static_cast<uint32_t>(lo >> 32), static_cast<uint32_t>(hi),
                static_cast<uint32_t>(hi >> 32)};
    }
    bool inject(uint64_t vsid, uint64_t event)
    {
        // Only the guest's VS, and only an event bf_vs_op_inject takes.
        check(vsid == guest_vsid && abi::event_injectable(event));
        return (in.take(1) & 1U) != 0;
    }
    void write_str(const char *) {}

    // Guests' memory (mode 2): the status of call i is fails[i], success if none.
    uint64_t answer()
    {
        const auto it = fails.find(calls.size());
        return it == fails.end() ? abi::status_success : it->second;
    }
    uint64_t map_guest(uint64_t vmid, uint64_t gpa, uint64_t phys, uint64_t pages, uint64_t flags)
    {
        calls.push_back({true, vmid, gpa, phys, pages, flags, answer()});
        return calls.back().status;
    }
    uint64_t unmap_guest(uint64_t vmid, uint64_t gpa, uint64_t pages)
    {
        calls.push_back({false, vmid, gpa, 0, pages, 0, answer()});
        return calls.back().status;
    }

    [[noreturn]] void run(uint64_t vmid, uint64_t vpid, uint64_t vsid)
    {
        run_ids = {vmid, vpid, vsid};
        throw stopped{end::run};
    }
    [[noreturn]] void run_current() { throw stopped{end::run_current}; }
    [[noreturn]] void advance_ip_and_run_current() { throw stopped{end::advance_ip_and_run_current}; }
    [[noreturn]] void exit_failure() { throw stopped{end::exit_failure}; }

    // Neither mode's logic has any business with the rest.
    [[noreturn]] static void unexpected() { std::abort(); }
    uint64_t rdmsr(uint32_t) { unexpected(); }
    bool wrmsr(uint32_t, uint64_t) { unexpected(); }
    uint64_t tsc() { unexpected(); }
    uint64_t random() { unexpected(); }
    struct result {
        uint64_t status;
        uint64_t reg0;
    };
    result create_vp(uint64_t) { unexpected(); }
    result create_vs(uint64_t, uint64_t) { unexpected(); }
    uint64_t init_as_root(uint64_t) { unexpected(); }
    result map_direct(uint64_t) { unexpected(); }
    uint64_t unmap_direct(uint64_t) { unexpected(); }
    result create_vm() { unexpected(); }
    uint64_t destroy_vm(uint64_t) { unexpected(); }
    uint64_t destroy_vp(uint64_t) { unexpected(); }
    uint64_t destroy_vs(uint64_t) { unexpected(); }
    result vs_get(uint64_t, reg) { unexpected(); }
    uint64_t run_guest(uint64_t, uint64_t, uint64_t) { unexpected(); }
    uint64_t queue_interrupt(uint64_t, uint64_t) { unexpected(); }
    uint64_t fpu_copy(uint64_t, uint64_t, uint64_t, bool) { unexpected(); }
    result guest_page(uint64_t, uint64_t) { unexpected(); }
    result alloc_page() { unexpected(); }
    void promote(uint64_t) { unexpected(); }
};
static_assert(vmm::vmm_sys<fake> && !vmm::sys_nothrow<fake>, "a whole Sys, whose paths end by throwing");

/// What an exit reason must give the root VS (docs/hypercalls.md, mv_vs_op_run): the
/// mv_exit_reason_t (none: the exit stays inside) and how many bytes of the shared page its
/// structure takes. The instructions a guest may not have give UNKNOWN only if #UD is refused.
struct to_root {
    uint64_t reason;
    size_t bytes;
};
constexpr uint64_t none = 8;  // past every mv_exit_reason_t
constexpr uint64_t code(abi::exit_reason r) { return static_cast<uint64_t>(r); }
to_root expected(uint64_t reason)
{
    using r = abi::exit_reason;
    switch (static_cast<r>(reason)) {
    case r::cpuid:
    case r::invd:
    case r::xsetbv:
        return {none, 0};
    case r::io:
        return {MV_EXIT_REASON_IO, offsetof(mv_exit_io_t, size) + 1};  // 0x21: its padding is not written
    case r::nested_page_fault:
        return {MV_EXIT_REASON_MMIO, sizeof(mv_exit_mmio_t)};
    case r::msr_read:
    case r::msr_write:
        return {MV_EXIT_REASON_MSR, sizeof(mv_exit_msr_t)};
    case r::hlt:
    case r::triple_fault:
        return {MV_EXIT_REASON_HLT, sizeof(mv_exit_hlt_t)};
    case r::interrupt:
        return {MV_EXIT_REASON_INTERRUPT, 0};
    case r::nmi:
        return {MV_EXIT_REASON_NMI, 0};
    case r::entry_failed:
        return {MV_EXIT_REASON_FAILURE, 0};
    default:
        return {MV_EXIT_REASON_UNKNOWN, sizeof(mv_exit_unknown_t)};
    }
}

/// Mode 1. Input: flags (bit 0: the root VS is in mv_vs_op_run), root VSID, root VPID, its
/// VMMCALL's length, the guest's VSID, the reason (8 bytes), the TLS words 0x800-0x8C8, 0xFF0 and
/// 0xFF8; then the microkernel's answers (VS registers, CPUID, inject, vs_set) as they are asked for.
void fuzz_exit(input &in)
{
    static auto *state = new vmm::extension_state;
    alignas(4096) static uint8_t page[4096];
    static uint8_t before[4096];
    *state = vmm::extension_state{};
    std::memset(page, 0xA5, sizeof(page));
    std::memcpy(before, page, sizeof(page));

    vmm::pp_record &pp = state->pps[0];
    const bool was_running = (in.take(1) & 1U) != 0;
    pp.guest_running = was_running;
    pp.shared_va = reinterpret_cast<uint64_t>(page);
    pp.root_vsid = static_cast<uint16_t>(in.take(1));
    pp.root_vpid = static_cast<uint16_t>(in.take(1));
    pp.run_insn_length = static_cast<uint8_t>(in.take(1));
    // A guest's VS is never the root VS (the microkernel's objects are distinct).
    uint64_t vsid = in.take(1);
    vsid = vsid == pp.root_vsid ? vsid + 1 : vsid;
    const uint64_t reason = in.take(8);

    fake sys{in, vsid, pp.root_vsid};
    for (uint64_t off = abi::tls_offset_rax; off <= abi::tls_offset_exit_vendor_info1; off += 8) {
        sys.tls[off / 8] = in.take(8);
    }
    // Some guest VM is active (a nonzero VMID in bits 16-31), on PP 0 (bits 0-15 of 0xFF8).
    uint64_t ids = in.take(8);
    ids |= ((ids >> 16) & 0xFFFF) == 0 ? 1ULL << 16 : 0;
    sys.tls[abi::tls_offset_active_extid / 8] = ids;
    sys.tls[abi::tls_offset_active_ppid / 8] = in.take(8) & ~0xFFFFULL;
    const auto tls_in = sys.tls;

    vmm::extension<fake> ext{sys, *state};
    end how = end::none;
    try {
        ext.vmexit(vsid, reason);
    } catch (const stopped &s) {
        how = s.how;
    }

    // Exactly one never-returning operation ends the path (the first one throws).
    check(how != end::none);
    const to_root want = expected(reason);
    const auto root_written = [&](reg r) {
        const auto it = sys.vs.find({pp.root_vsid, r});
        return it != sys.vs.end() && it->second.written;
    };
    const bool root_touched = std::any_of(
        sys.vs.begin(), sys.vs.end(), [&](const auto &v) { return v.first.first == pp.root_vsid && v.second.written; });
    size_t page_bytes = 0;  // how much of the shared page the exit may have written
    if (how == end::run) {
        // Back to the root VS in mv_vs_op_run: RAX the status, REG0 the reason, RIP past its VMMCALL.
        check(was_running && !pp.guest_running);
        check(sys.run_ids == (std::array<uint64_t, 3>{abi::root_vmid, pp.root_vpid, pp.root_vsid}));
        check(root_written(reg::rax) && root_written(reg::r10) && root_written(reg::rip));
        const uint64_t status = sys.vs.at({pp.root_vsid, reg::rax}).now;
        const uint64_t mv_reason = sys.vs.at({pp.root_vsid, reg::r10}).now;
        const vs_value &rip = sys.vs.at({pp.root_vsid, reg::rip});
        check(mv_reason <= MV_EXIT_REASON_NMI);
        check(status == (mv_reason == MV_EXIT_REASON_UNKNOWN   ? MV_STATUS_EXIT_UNKNOWN
                         : mv_reason == MV_EXIT_REASON_FAILURE ? MV_STATUS_EXIT_FAILURE
                                                               : MV_STATUS_SUCCESS));
        check(rip.now == rip.old + pp.run_insn_length);
        // The reason's own mv_exit_reason_t, or UNKNOWN for a #GP (an EFER write's, an XSETBV's) the VS
        // could not take.
        const bool gp_refused = mv_reason == MV_EXIT_REASON_UNKNOWN && (reason == code(abi::exit_reason::msr_write) ||
                                                                        reason == code(abi::exit_reason::xsetbv));
        check(mv_reason == want.reason || gp_refused);
        page_bytes = gp_refused ? sizeof(mv_exit_unknown_t) : want.bytes;
        if (mv_reason == MV_EXIT_REASON_IO) {
            mv_exit_io_t io{};
            std::memcpy(&io, page, sizeof(io));
            check(io.size <= MV_BIT_SIZE_32 && (io.type & ~0x7ULL) == 0 && io.addr <= 0xFFFF);
        }
    } else if (how == end::exit_failure) {
        // Giving up is for an exit on a PP whose root VS runs no guest, before anything is written.
        check(!was_running && !root_touched);
        page_bytes = 0;
    } else {
        // The guest runs on (inside exits, or an exception for it): the root VS is left alone.
        check(pp.guest_running == was_running && !root_touched);
    }
    check(std::memcmp(page + page_bytes, before + page_bytes, sizeof(page) - page_bytes) == 0);

    // EFER: the guest's bits only (never SVME or a reserved bit), LMA the CPU's, the rest as before.
    const auto efer = sys.vs.find({vsid, reg::efer});
    if (efer != sys.vs.end() && efer->second.written) {
        constexpr uint64_t lma = 1ULL << 10;
        const uint64_t old = efer->second.old;
        const uint64_t now = efer->second.now;
        check((now & ~vmm::guest_efer_bits) == (old & ~vmm::guest_efer_bits) && (now & lma) == (old & lma));
    }
    // XCR0 only, by an XSETBV with ECX 0, to EDX:EAX.
    const auto xcr0 = sys.vs.find({vsid, reg::xcr0});
    if (xcr0 != sys.vs.end() && xcr0->second.written) {
        check(reason == code(abi::exit_reason::xsetbv) && (tls_in[abi::tls_offset_rcx / 8] & 0xFFFFFFFFU) == 0);
        check(xcr0->second.now ==
              (tls_in[abi::tls_offset_rdx / 8] << 32 | (tls_in[abi::tls_offset_rax / 8] & 0xFFFFFFFFU)));
    }
    const uint32_t leaf = static_cast<uint32_t>(tls_in[abi::tls_offset_rax / 8]);
    const uint32_t index = static_cast<uint32_t>(tls_in[abi::tls_offset_rcx / 8]);
    const uint64_t eax = sys.tls[abi::tls_offset_rax / 8];
    const uint64_t ecx = sys.tls[abi::tls_offset_rcx / 8];
    const uint64_t edx = sys.tls[abi::tls_offset_rdx / 8];
    if (reason == code(abi::exit_reason::msr_read) && index == vmm::msr_efer &&
        how == end::advance_ip_and_run_current) {
        check(((edx << 32 | eax) & ~vmm::guest_efer_bits) == 0);  // a read shows no other bit either
    }
    // CPUID: no VMX for the guest, and nothing in the hypervisor range (MicroV's leaves are the root's).
    check(was_running || how == end::exit_failure);
    if (reason == code(abi::exit_reason::cpuid) && was_running) {
        check(how == end::advance_ip_and_run_current);
        const uint64_t ebx = sys.tls[abi::tls_offset_rbx / 8];
        check(leaf != 1 || (ecx & (1U << 5)) == 0);
        check(leaf < vmm::cpuid_hv_first || leaf > 0x400000FFU || (eax | ebx | ecx | edx) == 0);
    }
}

/// The microkernel statuses mode 2 draws from.
constexpr uint64_t mk_statuses[] = {abi::status_failure_unknown,    abi::status_invalid_input_reg0,
                                    abi::status_invalid_input_reg1, abi::status_invalid_input_reg2,
                                    abi::status_invalid_input_reg3, abi::status_invalid_perm_denied,
                                    abi::status_failure_unsupported};

/// Mode 2. Input: flags (bit 0: map, else unmap), the VMID (2 bytes), four (call index, status)
/// pairs (the microkernel refuses those calls; status byte 0: it does not), then the MDL (zero past
/// the input's end).
void fuzz_memory(input &in)
{
    const bool map = (in.take(1) & 1U) != 0;
    const uint64_t vmid = in.take(2);
    fake sys{in, 0, 0};
    for (int i = 0; i < 4; ++i) {
        const auto call = static_cast<size_t>(in.take(1));
        const uint64_t s = in.take(1);
        if (s != 0) {
            sys.fails[call] = mk_statuses[s % std::size(mk_statuses)];
        }
    }
    static auto *mdl = new mv_mdl_t;
    auto *bytes = reinterpret_cast<uint8_t *>(mdl);
    for (size_t i = 0; i < sizeof(*mdl); ++i) {
        bytes[i] = static_cast<uint8_t>(in.take(1));
    }

    vmm::guest_memory<fake> memory{sys};
    const uint64_t status = map ? memory.map(vmid, *mdl) : memory.unmap(vmid, *mdl);

    check(status == MV_STATUS_SUCCESS || status == MV_STATUS_FAILURE_UNKNOWN ||
          status == MV_STATUS_FAILURE_UNSUPPORTED || status == MV_STATUS_INVALID_INPUT_REG0);
    bool refused = false;  // whether the microkernel refused any call
    for (const mem_call &c : sys.calls) {
        // Whole pages of the guest's range, one syscall's worth; a map's flags the microkernel's.
        check(c.vmid == vmid && c.gpa % 4096 == 0 && c.phys % 4096 == 0);
        check(c.pages >= 1 && c.pages <= abi::max_map_pages && c.gpa <= abi::guest_gpa_limit &&
              c.pages * 4096 <= abi::guest_gpa_limit - c.gpa);
        check(!c.map || ((c.flags & ~abi::map_flags) == 0 && (c.flags & abi::map_read) != 0));
        check(map || !c.map);  // an unmap maps nothing
        refused = refused || c.status != abi::status_success;
    }
    // A failure of the MDL's own is found before the first syscall.
    check(status == MV_STATUS_SUCCESS || refused || sys.calls.empty());
    if (!map) {
        return;
    }
    // A failed map takes back exactly what it mapped, after it; a good one takes back nothing.
    std::vector<bool> taken_back(sys.calls.size(), false);
    for (size_t i = 0; i < sys.calls.size(); ++i) {
        const mem_call &m = sys.calls[i];
        if (status == MV_STATUS_SUCCESS || !m.map || m.status != abi::status_success) {
            continue;
        }
        size_t j = i + 1;
        while (j < sys.calls.size() &&
               (taken_back[j] || sys.calls[j].map || sys.calls[j].gpa != m.gpa || sys.calls[j].pages != m.pages)) {
            ++j;
        }
        check(j < sys.calls.size());
        taken_back[j] = true;
    }
    for (size_t i = 0; i < sys.calls.size(); ++i) {
        check(sys.calls[i].map || taken_back[i]);  // no unmap of what this map did not map
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in{data, size, 0};
    if ((in.take(1) & 1U) == 0) {
        fuzz_exit(in);
    } else {
        fuzz_memory(in);
    }
    return 0;
}
