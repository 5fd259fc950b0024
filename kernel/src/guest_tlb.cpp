// SPDX-License-Identifier: MIT
// TLB shootdown for guest VMs, the same on every vendor. An unmap must not return while any PP
// can still reach the page through a cached translation (the root OS may free it at once). Each
// guest entry reads its VM's tlb_gen after announcing itself (pp_state::guest_vm_running) and
// takes a fresh TLB tag when it changed (vendor::vs_run); so after bumping tlb_gen, only the PPs
// already inside that VM's guest can hold a stale translation, and one exit of each is enough.
// NMIs bring them out at once: a guest spinning with interrupts off exits on them too.
#include "pp.hpp"

#include <mk/x64/cpu.hpp>

namespace mk {

void guest_tlb_flush(const pp_state &pp, uint16_t vmid) noexcept
{
    __atomic_add_fetch(&g_objects.vms[vmid].tlb_gen, 1, __ATOMIC_SEQ_CST);
    const uint32_t running = uint32_t{vmid} + 1;
    for (pp_state *other : g_pps) {
        if (other == nullptr || other == &pp ||
            __atomic_load_n(&other->guest_vm_running, __ATOMIC_SEQ_CST) != running) {
            continue;
        }
        const uint64_t exits = __atomic_load_n(&other->guest_exits, __ATOMIC_ACQUIRE);
        __atomic_store_n(&other->kicked, true, __ATOMIC_RELEASE);
        if (!send_nmi_to(*other)) {
            print_id("microv: no NMI could be sent to pp ", other->id, "; waiting for its next exit\n");
        }
        while (__atomic_load_n(&other->guest_vm_running, __ATOMIC_ACQUIRE) == running &&
               __atomic_load_n(&other->guest_exits, __ATOMIC_ACQUIRE) == exits) {
            x64::pause();
        }
    }
}

}  // namespace mk
