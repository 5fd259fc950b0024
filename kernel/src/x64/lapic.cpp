// SPDX-License-Identifier: MIT
// NMIs from one PP to the others, through this CPU's local APIC (mk/x64/lapic.hpp).
#include "../pp.hpp"

#include <mk/x64/cpu.hpp>
#include <mk/x64/lapic.hpp>

namespace mk {
namespace {

struct apic_hw {
    static uint64_t rdmsr(uint32_t msr) noexcept { return x64::rdmsr(msr); }
    static void wrmsr(uint32_t msr, uint64_t value) noexcept { x64::wrmsr(msr, value); }
    static void pause() noexcept { x64::pause(); }

    /// The xAPIC page at phys, as 32-bit registers: only the page the loader mapped (uncached)
    /// for the microkernel; nullptr for any other.
    static volatile uint32_t *xapic_page(uint64_t phys) noexcept
    {
        const uint64_t mapped = this_pp().args->lapic_phys;
        if (mapped == 0 || phys != mapped) {
            return nullptr;
        }
        return reinterpret_cast<volatile uint32_t *>(MV_MK_DIRECT_MAP_BASE + phys);
    }
};

}  // namespace

void send_nmi_to_others(const pp_state &pp) noexcept
{
    for (uint16_t id = 0; id < max_pps; ++id) {
        const pp_state *other = __atomic_load_n(&g_pps[id], __ATOMIC_ACQUIRE);
        if (id == pp.id || other == nullptr || !__atomic_load_n(&other->root_running, __ATOMIC_ACQUIRE)) {
            continue;
        }
        if (!x64::lapic::send_nmi<apic_hw>(other->apic_id)) {
            print_id("microv: no NMI could be sent to pp ", id, " (its APIC is off or moved)\n");
        }
    }
}

bool send_nmi_to(const pp_state &pp) noexcept { return x64::lapic::send_nmi<apic_hw>(pp.apic_id); }

void send_nmi_to_self(const pp_state &pp) noexcept
{
    if (!x64::lapic::send_nmi<apic_hw>(pp.apic_id)) {
        print_id("microv: an NMI of the root VM on pp ", pp.id, " is lost (its APIC is off or moved)\n");
    }
}

}  // namespace mk
