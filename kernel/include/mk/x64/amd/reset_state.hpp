// SPDX-License-Identifier: MIT
// The state a guest's new VS starts in: what an x86 CPU holds after RESET (AMD APM vol. 2, 14.1.3,
// "Processor Initialization State"), real mode at F000:FFF0, as the VMCB keeps it. A VMM changes it
// with the register hypercalls before the first run. Pure logic over a zeroed VMCB.
#pragma once

#include <mk/x64/amd/vmcb.hpp>
#include <mk/x64/amd/vs_regs.hpp>

#include <stdint.h>

namespace mk::amd {

// Segment attributes in the VMCB's format: type 3:0, S 4, DPL 6:5, P 7.
constexpr uint16_t reset_code_attrib = 0x9B;  // present, code, readable, accessed
constexpr uint16_t reset_data_attrib = 0x93;  // present, data, writable, accessed
constexpr uint16_t reset_ldt_attrib = 0x82;   // present, LDT
constexpr uint16_t reset_tss_attrib = 0x83;   // present, busy 16-bit TSS
constexpr uint64_t reset_cr0 = 0x60000010;    // CD, NW, ET
constexpr uint64_t reset_dr6 = 0xFFFF0FF0;
constexpr uint64_t reset_dr7 = 0x400;
constexpr uint64_t reset_pat = 0x0007040600070406ULL;

/// Puts the RESET state in a zeroed VMCB and the general registers; EDX gets the processor's
/// signature (CPUID 1 EAX: family, model, stepping), as a real CPU's does.
constexpr void reset_state(vmcb &v, uint64_t (&gprs)[gpr::count], uint32_t signature) noexcept
{
    vmcb_state &s = v.state;
    const vmcb_segment data{0, reset_data_attrib, 0xFFFF, 0};
    s.cs = {0xF000, reset_code_attrib, 0xFFFF, 0xFFFF0000};
    s.ds = data;
    s.es = data;
    s.fs = data;
    s.gs = data;
    s.ss = data;
    s.gdtr = {0, 0, 0xFFFF, 0};
    s.idtr = {0, 0, 0xFFFF, 0};
    s.ldtr = {0, reset_ldt_attrib, 0xFFFF, 0};
    s.tr = {0, reset_tss_attrib, 0xFFFF, 0};
    s.cr0 = reset_cr0;
    s.rflags = 0x2;
    s.rip = 0xFFF0;
    s.dr6 = reset_dr6;
    s.dr7 = reset_dr7;
    s.g_pat = reset_pat;
    for (uint64_t &r : gprs) {
        r = 0;
    }
    gprs[gpr::rdx] = signature;
}

}  // namespace mk::amd
