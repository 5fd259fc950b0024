// SPDX-License-Identifier: MIT
// The syscall ABI between the microkernel and its extensions (microkernel syscall spec, sections
// 1.4-1.5 and 2.3-2.17): RAX = signature | flags | opcode | index on the way in, a bf_status_t on
// the way out; arguments in RDI, RSI, RDX, R10, R8, R9. Every number here is the spec's.
#pragma once

#include <stdint.h>

namespace mk::abi {

// RAX on entry (2.4).
constexpr uint64_t sig_val = 0x6642000000000000ULL;  // "Bf" in RAX[63:48]
constexpr uint64_t sig_mask = 0xFFFF000000000000ULL;
constexpr uint64_t flags_mask = 0x0000FFFF00000000ULL;
constexpr uint64_t opcode_mask = 0xFFFF0000FFFF0000ULL;
constexpr uint64_t opcode_nosig_mask = 0x00000000FFFF0000ULL;
constexpr uint64_t index_mask = 0x000000000000FFFFULL;

// Specification IDs (2.7).
constexpr uint64_t spec_id1 = 0x31236642ULL;  // the spec version an extension asks for
constexpr uint32_t spec_id1_mask = 0x2U;      // the bit of the version word that says spec #1 is supported
constexpr uint32_t all_specs_supported = 0x2U;
constexpr uint32_t invalid_version = 0x80000000U;

constexpr uint64_t invalid_handle = 0xFFFFFFFFFFFFFFFFULL;

// ID constants (1.5).
constexpr uint16_t invalid_id = 0xFFFF;  // no extension, VM, VP, VS or PP
constexpr uint16_t bs_ppid = 0x0;        // the bootstrap physical processor
constexpr uint16_t root_vmid = 0x0;      // the root VM

// How many VMs, VPs and VSs the microkernel holds (its IDs are below these).
constexpr uint16_t max_vms = 16;
constexpr uint16_t max_vps = 64;
constexpr uint16_t max_vss = 64;

// Exit types of bf_control_op_exit (1.4.3).
constexpr uint64_t exit_status_success = 0;
constexpr uint64_t exit_status_failure = 1;

// bf_status_t (2.3): signature 0xDEAD on failure in bits 63:48, flags (the sub-code) in bits 47:16,
// the kind of error in bits 15:0.
constexpr uint64_t status_sig_mask = 0xFFFF000000000000ULL;
constexpr uint64_t status_flags_mask = 0x0000FFFFFFFF0000ULL;
constexpr uint64_t status_value_mask = 0x000000000000FFFFULL;

constexpr uint64_t status_success = 0x0000000000000000ULL;
constexpr uint64_t status_failure_unknown = 0xDEAD000000010001ULL;
constexpr uint64_t status_failure_unsupported = 0xDEAD000000020001ULL;
constexpr uint64_t status_failure_invalid_handle = 0xDEAD000000040001ULL;
constexpr uint64_t status_invalid_perm_denied = 0xDEAD000000010002ULL;
constexpr uint64_t status_invalid_input_reg0 = 0xDEAD000000010003ULL;
constexpr uint64_t status_invalid_input_reg1 = 0xDEAD000000020003ULL;
constexpr uint64_t status_invalid_input_reg2 = 0xDEAD000000040003ULL;
constexpr uint64_t status_invalid_input_reg3 = 0xDEAD000000080003ULL;
constexpr uint64_t status_invalid_input_reg4 = 0xDEAD000000100003ULL;
constexpr uint64_t status_invalid_input_reg5 = 0xDEAD000000200003ULL;
constexpr uint64_t status_invalid_output_reg0 = 0xDEAD000000400003ULL;
constexpr uint64_t status_invalid_output_reg1 = 0xDEAD000000800003ULL;
constexpr uint64_t status_invalid_output_reg2 = 0xDEAD000001000003ULL;
constexpr uint64_t status_invalid_output_reg3 = 0xDEAD000002000003ULL;
constexpr uint64_t status_invalid_output_reg4 = 0xDEAD000004000003ULL;
constexpr uint64_t status_invalid_output_reg5 = 0xDEAD000008000003ULL;

// Opcodes (RAX[31:16]) with the signature, as in the spec's tables (2.6).
constexpr uint64_t control_op = 0x6642000000000000ULL;
constexpr uint64_t handle_op = 0x6642000000010000ULL;
constexpr uint64_t debug_op = 0x6642000000020000ULL;
constexpr uint64_t callback_op = 0x6642000000030000ULL;
constexpr uint64_t vm_op = 0x6642000000040000ULL;
constexpr uint64_t vp_op = 0x6642000000050000ULL;
constexpr uint64_t vs_op = 0x6642000000060000ULL;
constexpr uint64_t intrinsic_op = 0x6642000000070000ULL;
constexpr uint64_t mem_op = 0x6642000000080000ULL;

// Indexes (RAX[15:0]) of the control syscalls (2.9).
constexpr uint64_t control_op_exit_idx = 0x0;
constexpr uint64_t control_op_wait_idx = 0x1;
constexpr uint64_t control_op_again_idx = 0x2;

// Handle syscalls (2.10).
constexpr uint64_t handle_op_open_handle_idx = 0x0;
constexpr uint64_t handle_op_close_handle_idx = 0x1;

// Debug syscalls (2.11). The spec's table gives dump_vmexit_log the value 0x3 of dump_vs; its
// heading (IDX=0x4) and the tight packing of the indexes say 0x4.
constexpr uint64_t debug_op_out_idx = 0x0;
constexpr uint64_t debug_op_dump_vm_idx = 0x1;
constexpr uint64_t debug_op_dump_vp_idx = 0x2;
constexpr uint64_t debug_op_dump_vs_idx = 0x3;
constexpr uint64_t debug_op_dump_vmexit_log_idx = 0x4;
constexpr uint64_t debug_op_write_c_idx = 0x5;
constexpr uint64_t debug_op_write_str_idx = 0x6;
constexpr uint64_t debug_op_dump_ext_idx = 0x7;
constexpr uint64_t debug_op_dump_page_pool_idx = 0x8;
constexpr uint64_t debug_op_dump_huge_pool_idx = 0x9;

// Callback syscalls (2.12).
constexpr uint64_t callback_op_register_bootstrap_idx = 0x0;
constexpr uint64_t callback_op_register_vmexit_idx = 0x1;
constexpr uint64_t callback_op_register_fail_idx = 0x2;

// VM syscalls (2.13).
constexpr uint64_t vm_op_create_vm_idx = 0x0;
constexpr uint64_t vm_op_destroy_vm_idx = 0x1;
constexpr uint64_t vm_op_map_direct_idx = 0x2;
constexpr uint64_t vm_op_unmap_direct_idx = 0x3;
constexpr uint64_t vm_op_unmap_direct_broadcast_idx = 0x4;  // BF_VM_OP_UNMAP_DIRECT_REMOTE_IDX_VAL
constexpr uint64_t vm_op_tlb_flush_idx = 0x5;
// Not in the spec: a guest VM's memory (docs/architecture.md, "The exit ABI"). map_guest maps
// pages of the root VM's RAM into a guest VM (rsi VMID, rdx first GPA, r10 first root-VM physical
// address, r8 page count, r9 map_* flags), all or none; unmap_guest takes pages out of it (rsi,
// rdx, r8 page count), all or none, and returns once no PP can reach them any more.
constexpr uint64_t vm_op_map_guest_idx = 0x10;
constexpr uint64_t vm_op_unmap_guest_idx = 0x11;
// Not in the spec: where a guest VM's GPA (rsi VMID, rdx GPA) is in the root VM's RAM: rdi = the
// root-VM physical address of its page with the map_* flags it has in bits 2:0; not mapped is
// INVALID_INPUT_REG2. A VMM's page-table walk reads the guest's tables through it.
constexpr uint64_t vm_op_guest_page_idx = 0x12;
constexpr uint64_t map_read = 1U << 0;
constexpr uint64_t map_write = 1U << 1;
constexpr uint64_t map_execute = 1U << 2;
constexpr uint64_t map_uncacheable = 1U << 3;  // else write-back
constexpr uint64_t map_flags = map_read | map_write | map_execute | map_uncacheable;
/// The pages one map_guest or unmap_guest may name, and the GPAs a guest VM may have.
constexpr uint64_t max_map_pages = 1U << 20;  // 4 GiB
constexpr uint64_t guest_gpa_limit = 1ULL << 48;

// VP syscalls (2.14).
constexpr uint64_t vp_op_create_vp_idx = 0x0;
constexpr uint64_t vp_op_destroy_vp_idx = 0x1;

// VS syscalls (2.15).
constexpr uint64_t vs_op_create_vs_idx = 0x0;
constexpr uint64_t vs_op_destroy_vs_idx = 0x1;
constexpr uint64_t vs_op_init_as_root_idx = 0x2;
constexpr uint64_t vs_op_read_idx = 0x3;
constexpr uint64_t vs_op_write_idx = 0x4;
constexpr uint64_t vs_op_run_idx = 0x5;
constexpr uint64_t vs_op_run_current_idx = 0x6;
constexpr uint64_t vs_op_advance_ip_and_run_idx = 0x7;  // bf_vs_op_advance_ip_and_run_impl
constexpr uint64_t vs_op_advance_ip_and_run_current_idx = 0x8;
constexpr uint64_t vs_op_promote_idx = 0x9;
constexpr uint64_t vs_op_clear_idx = 0xA;
constexpr uint64_t vs_op_migrate_idx = 0xB;
constexpr uint64_t vs_op_set_active_idx = 0xC;
constexpr uint64_t vs_op_advance_ip_and_set_active_idx = 0xD;
constexpr uint64_t vs_op_tlb_flush_idx = 0xE;
// Not in the spec: an event for the VS's next entry, as a neutral event word (mk/exit_abi.hpp).
constexpr uint64_t vs_op_inject_idx = 0xF;
// Not in the spec: an external interrupt (rdx, vector 16-255) the CPU delivers once the guest's VS
// can take it (RFLAGS.IF, no interrupt shadow); refused while one is still waiting.
constexpr uint64_t vs_op_queue_interrupt_idx = 0x10;
// Not in the spec: a guest VS's x87/SSE/AVX save area to (read) or from (write) the extension's
// page at rdx (page-aligned): r10 = 0 the legacy area (FXSAVE's 512 bytes), 1 the whole XSAVE area
// of fpu_area_bytes in the standard form, for the host's XCR0.
constexpr uint64_t vs_op_fpu_read_idx = 0x11;
constexpr uint64_t vs_op_fpu_write_idx = 0x12;
constexpr uint64_t fpu_legacy = 0;
constexpr uint64_t fpu_whole = 1;

// Intrinsic syscalls (2.16).
constexpr uint64_t intrinsic_op_rdmsr_idx = 0x0;
constexpr uint64_t intrinsic_op_wrmsr_idx = 0x1;

// Mem syscalls (2.17).
constexpr uint64_t mem_op_alloc_page_idx = 0x0;
constexpr uint64_t mem_op_free_page_idx = 0x1;
constexpr uint64_t mem_op_alloc_huge_idx = 0x2;
constexpr uint64_t mem_op_free_huge_idx = 0x3;

// Offsets into an extension's TLS block (2.8.1): the active VS's general purpose registers, then
// the IDs of what is active on this PP.
constexpr uint64_t tls_offset_rax = 0x800U;
constexpr uint64_t tls_offset_rbx = 0x808U;
constexpr uint64_t tls_offset_rcx = 0x810U;
constexpr uint64_t tls_offset_rdx = 0x818U;
constexpr uint64_t tls_offset_rbp = 0x820U;
constexpr uint64_t tls_offset_rsi = 0x828U;
constexpr uint64_t tls_offset_rdi = 0x830U;
constexpr uint64_t tls_offset_r8 = 0x838U;
constexpr uint64_t tls_offset_r9 = 0x840U;
constexpr uint64_t tls_offset_r10 = 0x848U;
constexpr uint64_t tls_offset_r11 = 0x850U;
constexpr uint64_t tls_offset_r12 = 0x858U;
constexpr uint64_t tls_offset_r13 = 0x860U;
constexpr uint64_t tls_offset_r14 = 0x868U;
constexpr uint64_t tls_offset_r15 = 0x870U;
constexpr uint64_t tls_offset_active_extid = 0xFF0U;
constexpr uint64_t tls_offset_active_vmid = 0xFF2U;
constexpr uint64_t tls_offset_active_vpid = 0xFF4U;
constexpr uint64_t tls_offset_active_vsid = 0xFF6U;
constexpr uint64_t tls_offset_active_ppid = 0xFF8U;
constexpr uint64_t tls_offset_online_pps = 0xFFAU;  // the number of online PPs

/// bf_reg_t on AMD (1.4.2.1): the registers bf_vs_op_read and bf_vs_op_write name.
enum class reg : uint64_t {
    unsupported = 0,
    rbx = 1,
    rcx = 2,
    rdx = 3,
    rbp = 4,
    rsi = 5,
    rdi = 6,
    r8 = 7,
    r9 = 8,
    r10 = 9,
    r11 = 10,
    r12 = 11,
    r13 = 12,
    r14 = 13,
    r15 = 14,
    intercept_cr_read = 15,
    intercept_cr_write = 16,
    intercept_dr_read = 17,
    intercept_dr_write = 18,
    intercept_exception = 19,
    intercept_instruction1 = 20,
    intercept_instruction2 = 21,
    intercept_instruction3 = 22,
    pause_filter_threshold = 23,
    pause_filter_count = 24,
    iopm_base_pa = 25,
    msrpm_base_pa = 26,
    tsc_offset = 27,
    guest_asid = 28,
    tlb_control = 29,
    virtual_interrupt_a = 30,
    virtual_interrupt_b = 31,
    exitcode = 32,
    exitinfo1 = 33,
    exitinfo2 = 34,
    exitininfo = 35,
    ctls1 = 36,
    avic_apic_bar = 37,
    guest_pa_of_ghcb = 38,
    eventinj = 39,
    n_cr3 = 40,
    ctls2 = 41,
    vmcb_clean_bits = 42,
    nrip = 43,
    number_of_bytes_fetched = 44,
    avic_apic_backing_page_ptr = 45,
    avic_logical_table_ptr = 46,
    avic_physical_table_ptr = 47,
    vmsa_ptr = 48,
    es_selector = 49,
    es_attrib = 50,
    es_limit = 51,
    es_base = 52,
    cs_selector = 53,
    cs_attrib = 54,
    cs_limit = 55,
    cs_base = 56,
    ss_selector = 57,
    ss_attrib = 58,
    ss_limit = 59,
    ss_base = 60,
    ds_selector = 61,
    ds_attrib = 62,
    ds_limit = 63,
    ds_base = 64,
    fs_selector = 65,
    fs_attrib = 66,
    fs_limit = 67,
    fs_base = 68,
    gs_selector = 69,
    gs_attrib = 70,
    gs_limit = 71,
    gs_base = 72,
    gdtr_selector = 73,
    gdtr_attrib = 74,
    gdtr_limit = 75,
    gdtr_base = 76,
    ldtr_selector = 77,
    ldtr_attrib = 78,
    ldtr_limit = 79,
    ldtr_base = 80,
    idtr_selector = 81,
    idtr_attrib = 82,
    idtr_limit = 83,
    idtr_base = 84,
    tr_selector = 85,
    tr_attrib = 86,
    tr_limit = 87,
    tr_base = 88,
    cpl = 89,
    efer = 90,
    cr4 = 91,
    cr3 = 92,
    cr0 = 93,
    dr7 = 94,
    dr6 = 95,
    rflags = 96,
    rip = 97,
    rsp = 98,
    rax = 99,
    star = 100,
    lstar = 101,
    cstar = 102,
    fmask = 103,
    kernel_gs_base = 104,
    sysenter_cs = 105,
    sysenter_esp = 106,
    sysenter_eip = 107,
    cr2 = 108,
    pat = 109,
    dbgctl = 110,
    br_from = 111,
    br_to = 112,
    lastexcpfrom = 113,
    lastexcpto = 114,
    cr8 = 115,
    dr0 = 116,
    dr1 = 117,
    dr2 = 118,
    dr3 = 119,
    xcr0 = 120,
    invalid = 121,
};

/// RAX for a syscall made of an opcode (with signature) and an index.
constexpr uint64_t rax(uint64_t opcode, uint64_t index) noexcept
{
    return (opcode & opcode_mask) | (index & index_mask);
}

/// Whether RAX carries the syscall signature.
constexpr bool has_sig(uint64_t rax_value) noexcept { return (rax_value & sig_mask) == sig_val; }

/// The opcode of RAX without the signature, as the dispatcher switches on it.
constexpr uint64_t opcode_of(uint64_t rax_value) noexcept { return (rax_value & opcode_nosig_mask) >> 16; }

/// The index of RAX.
constexpr uint64_t index_of(uint64_t rax_value) noexcept { return rax_value & index_mask; }

}  // namespace mk::abi
