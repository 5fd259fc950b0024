// SPDX-License-Identifier: MIT
// The SVM instructions the microkernel runs outside mk_vmrun (x64/amd/vmrun.S).
#pragma once

#include <stdint.h>

namespace mk::amd {

inline void vmsave(uint64_t vmcb_phys) noexcept { asm volatile("vmsave %%rax" : : "a"(vmcb_phys) : "memory"); }
inline void vmload(uint64_t vmcb_phys) noexcept { asm volatile("vmload %%rax" : : "a"(vmcb_phys) : "memory"); }

/// Opens GIF for one instruction boundary: an NMI held pending since a VS exited on it is taken
/// (on its IST stack; the microkernel's handler only returns).
inline void stgi_clgi() noexcept { asm volatile("stgi; clgi" : : : "memory"); }

}  // namespace mk::amd
