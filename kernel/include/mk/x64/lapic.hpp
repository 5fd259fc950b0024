// SPDX-License-Identifier: MIT
// The local APIC, as far as the microkernel uses it: an NMI to one PP, which brings it out of
// whatever VS it runs (every VS intercepts NMIs), and the APIC ID a PP is reached by. Both modes
// are served, decided at each send from IA32_APIC_BASE (the root VM owns its APIC and may switch
// it): x2APIC, one MSR write; xAPIC, the ICR's two 32-bit halves in the APIC page, which the
// loader maps for the microkernel. The `Hw` seam (rdmsr, wrmsr, xapic_page, pause) lets host unit
// tests stand in for the CPU.
#pragma once

#include <mk/root_msrs.hpp>

#include <stdint.h>

namespace mk::x64::lapic {

constexpr uint32_t msr_apic_base = abi::msr::apic_base;
constexpr uint64_t base_x2apic = 1ULL << 10;  // EXTD
constexpr uint64_t base_enable = 1ULL << 11;  // EN
constexpr uint64_t base_address_mask = 0x000FFFFFFFFFF000ULL;

/// Whether the root VM may write value to IA32_APIC_BASE, which holds current: not when the APIC
/// page moves. In xAPIC mode it would cover whatever lies at its new address for this CPU, the
/// host's memory included (a VMCB, a page table), and the microkernel sends NMIs through the page
/// where the loader found it. Mode and enable bits are the root VM's.
constexpr bool base_write_ok(uint64_t current, uint64_t value) noexcept
{
    return ((current ^ value) & base_address_mask) == 0;
}

constexpr uint32_t msr_x2apic_icr = 0x830;
constexpr uint32_t xapic_icr_low = 0x300;   // offsets in the APIC page
constexpr uint32_t xapic_icr_high = 0x310;  // destination APIC ID in bits 31:24

constexpr uint32_t icr_delivery_nmi = 4U << 8;   // delivery mode NMI: the vector is ignored
constexpr uint32_t icr_send_pending = 1U << 12;  // xAPIC delivery status
constexpr uint32_t icr_level_assert = 1U << 14;
/// Physical destination, no shorthand, edge: the low half of an NMI to one APIC ID.
constexpr uint32_t icr_nmi = icr_delivery_nmi | icr_level_assert;

/// How long a send waits for the xAPIC to take the previous one (PAUSEs); CPUs of today never
/// show a pending send, so this only bounds a broken APIC.
constexpr uint32_t send_wait_limit = 1U << 20;

/// The APIC ID of the CPU this runs on, from CPUID (`cpuid(leaf, subleaf)` returns something with
/// eax, ebx, ecx, edx): the x2APIC ID of leaf 0xB where the CPU has it, else the initial APIC ID
/// of leaf 1.
template <class Cpuid>
uint32_t own_id(Cpuid cpuid) noexcept
{
    if (cpuid(0, 0).eax >= 0xB) {
        const auto topology = cpuid(0xB, 0);
        if (topology.ebx != 0) {  // leaf 0xB is valid (it reports logical processors)
            return topology.edx;
        }
    }
    return cpuid(1, 0).ebx >> 24;
}

/// Sends an NMI to the CPU with this APIC ID. False when the APIC is off, the ID cannot be named
/// in xAPIC mode, the APIC page is not the one the microkernel maps, or the APIC stays busy.
template <class Hw>
bool send_nmi(uint32_t apic_id) noexcept
{
    const uint64_t base = Hw::rdmsr(msr_apic_base);
    if ((base & base_enable) == 0) {
        return false;
    }
    if ((base & base_x2apic) != 0) {
        Hw::wrmsr(msr_x2apic_icr, (uint64_t{apic_id} << 32) | icr_nmi);
        return true;
    }
    volatile uint32_t *page = Hw::xapic_page(base & base_address_mask);
    if (apic_id > 0xFF || page == nullptr) {
        return false;
    }
    volatile uint32_t *low = page + xapic_icr_low / 4;
    volatile uint32_t *high = page + xapic_icr_high / 4;
    const auto idle = [low] {
        for (uint32_t i = 0; i < send_wait_limit; ++i) {
            if ((*low & icr_send_pending) == 0) {
                return true;
            }
            Hw::pause();
        }
        return false;
    };
    if (!idle()) {
        return false;
    }
    // The root VM's kernel may have exited between its own two writes of the ICR: its high half
    // is put back, so that its low half, written when it resumes, goes where it meant.
    const uint32_t os_high = *high;
    *high = apic_id << 24;
    *low = icr_nmi;
    const bool sent = idle();
    *high = os_high;
    return sent;
}

}  // namespace mk::x64::lapic
