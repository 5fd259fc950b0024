// SPDX-License-Identifier: MIT
// What ring 0 keeps in the VMCB of every VS it runs, whatever the extension wrote there
// (bf_vs_op_write reaches every field): the intercepts isolation rests on, its own MSR and I/O
// permission maps, nested paging on with the microkernel's tables, the VS's ASID, EFER.SVME. The
// extension may intercept more, never less. Put back before every VMRUN; a field put back also
// clears its clean bit, so that a CPU with VMCB clean bits reads it again.
#pragma once

#include <mk/x64/amd/vmcb.hpp>

#include <stdint.h>

namespace mk::amd {

/// The intercepts no VS runs without (docs/security.md): the SVM instructions, whose operands are
/// host physical addresses (APM 15.33.1, cf. CVE-2021-3656) or the host's GIF (finding 1 of the isolation issue; VMRUN
/// also because the CPU requires it); MSR and port accesses, filtered by the microkernel's maps; INVD, which would drop
/// the host's dirty cache lines; NMIs, by which ring 0 brings every PP out at once; shutdown, so that a triple fault of
/// the VS is an exit and not a reset of the machine.
constexpr uint32_t required_misc1 = intercept_misc1::nmi | intercept_misc1::msr_prot | intercept_misc1::ioio_prot |
                                    intercept_misc1::invlpga | intercept_misc1::invd | intercept_misc1::shutdown;
constexpr uint32_t required_misc2 = intercept_misc2::vmrun | intercept_misc2::vmload | intercept_misc2::vmsave |
                                    intercept_misc2::stgi | intercept_misc2::clgi | intercept_misc2::skinit;

/// What a guest's VS runs with besides: every physical interrupt makes it exit whatever its own
/// RFLAGS.IF says (the INTR intercept with V_INTR_MASKING: the root OS keeps the CPU), and XSETBV
/// exits (XCR0 is the CPU's, not the VMCB's).
constexpr uint32_t guest_required_misc1 = required_misc1 | intercept_misc1::intr;
constexpr uint32_t guest_required_misc2 = required_misc2 | intercept_misc2::xsetbv;

/// The microkernel's own values for a VS: its maps, its nested page tables, the VS's ASID, and
/// whether it is a guest's.
struct vmcb_invariants {
    uint64_t msrpm_base_pa;
    uint64_t iopm_base_pa;
    uint64_t n_cr3;
    uint32_t asid;
    bool guest;
};

/// Puts back in v what the invariants require; returns the clean bits this cleared (0 when the
/// extension had left everything as it must be).
constexpr uint32_t enforce_invariants(vmcb &v, const vmcb_invariants &inv) noexcept
{
    vmcb_control &c = v.control;
    uint32_t dirty = 0;
    const uint32_t misc1 = inv.guest ? guest_required_misc1 : required_misc1;
    const uint32_t misc2 = inv.guest ? guest_required_misc2 : required_misc2;
    if ((c.intercept_misc1 & misc1) != misc1 || (c.intercept_misc2 & misc2) != misc2) {
        c.intercept_misc1 |= misc1;
        c.intercept_misc2 |= misc2;
        dirty |= clean::intercepts;
    }
    if (inv.guest && (c.v_intr & v_intr_masking) == 0) {
        c.v_intr |= v_intr_masking;
        dirty |= clean::tpr;
    }
    if (c.msrpm_base_pa != inv.msrpm_base_pa || c.iopm_base_pa != inv.iopm_base_pa) {
        c.msrpm_base_pa = inv.msrpm_base_pa;
        c.iopm_base_pa = inv.iopm_base_pa;
        dirty |= clean::iopm;
    }
    if (c.guest_asid != inv.asid) {
        c.guest_asid = inv.asid;
        dirty |= clean::asid;
    }
    // Nested paging on, and nothing else in that word (SEV, SEV-ES: not MicroV's to give).
    if (c.np_enable != np_enable_bit || c.n_cr3 != inv.n_cr3) {
        c.np_enable = np_enable_bit;
        c.n_cr3 = inv.n_cr3;
        dirty |= clean::np;
    }
    if ((v.state.efer & efer_svme) == 0) {
        v.state.efer |= efer_svme;
        dirty |= clean::crx;
    }
    c.vmcb_clean &= ~dirty;
    return dirty;
}

}  // namespace mk::amd
