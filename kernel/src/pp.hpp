// SPDX-License-Identifier: MIT
// The microkernel's per-PP state and the pieces shared by its source files.
#pragma once

#include <microv/mk_boot.h>
#include <mk/console.hpp>
#include <mk/page_pool.hpp>
#include <mk/x64/amd/vmcb.hpp>
#include <mk/x64/descriptors.hpp>
#include <x64/port_io.hpp>

#include <stdint.h>

namespace mk {

using pool_type = page_pool<MV_MK_MAX_CHUNKS>;

/// Everything one PP owns; lives in one pool page per PP.
struct pp_state {
    uint16_t id;
    const mv_mk_args *args;
    amd::vmcb *root_vmcb;
    uint64_t root_vmcb_phys;
    uint64_t host_vmcb_phys;
    uint64_t gprs[16];  // the root VM's registers by number; rax and rsp live in the VMCB
    bool nrip_save;
    uint64_t exits;
    alignas(16) uint64_t gdt[x64::gdt_entries];
    x64::tss tss;
};

extern console<::x64::port_io> g_console;

/// A zeroed pool page (its microkernel address) and its physical address; nullptr when out.
void *alloc_page(uint64_t &phys) noexcept;

/// Writes "text 0x0123\n"-style lines: a text and a 16-bit value in hex.
void print_hex16(const char *before, uint16_t value, const char *after) noexcept;
void print_hex64(const char *before, uint64_t value, const char *after) noexcept;

/// Loads this PP's GDT, TSS and the shared IDT; false when the pool ran out.
bool load_descriptor_tables(pp_state &pp) noexcept;

/// Prepares the root VM from the OS's state on this PP, then runs it; returns only on failure.
uint64_t demote(pp_state &pp, uint64_t os_rsp) noexcept;

}  // namespace mk
