// SPDX-License-Identifier: MIT
// The host's CR4: the OS's, less the features that would let state the root VM controls decide
// what the microkernel and the extension may do. Pure logic; mk_entry applies it on every PP.
#pragma once

#include <stdint.h>

namespace mk::x64 {

// CR4 bits (AMD APM vol. 2, 3.1.3; Intel SDM vol. 3A, 2.5).
inline constexpr uint64_t cr4_tsd = 1ULL << 2;   // RDTSC at CPL 0 only
inline constexpr uint64_t cr4_pke = 1ULL << 22;  // protection keys for user pages (PKRU)
inline constexpr uint64_t cr4_cet = 1ULL << 23;  // control-flow enforcement (shadow stacks, IBT)
inline constexpr uint64_t cr4_pks = 1ULL << 24;  // protection keys for supervisor pages (PKRS)

/// The CR4 the host runs with. PKRU (user pages, so the extension's) and PKRS (supervisor pages)
/// keep the root VM's values across an exit, and the CET MSRs the root task's: with those
/// features on, a root process could make the extension's or the microkernel's next access or
/// return fault and halt the PP (finding 2 of the isolation issue). Off in the host, they cannot;
/// the root VM keeps them, as its CR4 is its VMCB's. TSD goes too: Linux sets it while a task that
/// asked for it runs, and the extension reads the TSC in ring 3.
constexpr uint64_t host_cr4(uint64_t os_cr4) noexcept { return os_cr4 & ~(cr4_tsd | cr4_pke | cr4_cet | cr4_pks); }

}  // namespace mk::x64
