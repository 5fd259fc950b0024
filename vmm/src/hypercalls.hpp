// SPDX-License-Identifier: MIT
// The mv_* hypercalls MicroV serves (MicroV hypercall spec), decided from the caller's registers
// alone: a pure function, so that unit tests and the fuzzer reach every branch. The extension's
// VMMCALL exit feeds it the registers from the TLS block and writes the results back.
// Decisions where the spec is silent are listed in docs/hypercalls.md.
#pragma once

#include "msr_lists.hpp"
#include "shared_page.hpp"
#include <microv/hypercall.h>

#include <stdint.h>

namespace vmm {

/// The highest TSC frequency mv_pp_op_tsc_set_khz takes: 32 bits of kHz, as KVM keeps it.
inline constexpr uint64_t tsc_khz_max = 0xFFFFFFFFULL;

/// One hypercall's inputs: RAX, REG0-REG3, where it came from, and the calling PP's state.
struct hypercall_in {
    uint64_t rax = 0;
    uint64_t reg[4] = {};
    uint16_t ppid = 0;
    uint16_t online_pps = 0;
    uint8_t cpl = 3;       // the caller's privilege level (3 until said: the least privileged)
    uint64_t tsc_khz = 0;  // this PP's, as mv_pp_op_tsc_set_khz left it (0: never set)
    uint16_t vmid = 0;     // the caller's VM, VP and VS (the microkernel's IDs of the exited VS)
    uint16_t vpid = 0;
    uint16_t vsid = 0;
    bool handle_ok = false;  // REG0 is an open handle (handles.hpp); whose objects, the caller checks
};

/// What the caller of root_hypercall must still do with a checked hypercall.
enum class hypercall_action : uint8_t {
    none,
    open_handle,       // a new handle in REG0
    close_handle,      // REG0's handle, and every guest VM made under it
    debug_out,         // print REG0 and REG1
    set_shared_page,   // map REG1 as this PP's shared page (the microkernel checks whose it is)
    clr_shared_page,   // forget this PP's shared page
    shared_page_call,  // serve `call` from this PP's shared page (shared_page.hpp)
    set_tsc_khz,       // keep REG1 as this PP's TSC frequency
    // The VM, VP and VS hypercalls on the ID in REG1[15:0] (guest_objects.hpp checks whose it is).
    create_vm,
    destroy_vm,
    create_vp,  // in the VM of REG1
    destroy_vp,
    vp_vmid,    // the VM of the VP of REG1
    create_vs,  // for the VP of REG1, on this PP
    destroy_vs,
    vs_vmid,  // the VM of the VS of REG1
    vs_vpid,  // the VP of the VS of REG1
    reg_get,  // the register REG2 (an mv_reg_t) of the VS of REG1
    reg_set,  // ... set to REG3
    // The rest of the VS's state (vs_calls.hpp), each on the guest's VS of REG1.
    reg_get_list,  // the RDL in this PP's shared page
    reg_set_list,
    msr_get,  // the MSR REG2[31:0]
    msr_set,  // ... set to REG3
    msr_get_list,
    msr_set_list,
    cpuid_get,  // the CDL entry at offset 0 of the shared page
    cpuid_set,
    cpuid_get_list,  // the CDL in the shared page
    cpuid_set_list,
    mp_state_get,
    mp_state_set,      // to REG2
    inject_exception,  // vector REG2, error code REG3
    queue_interrupt,   // vector REG2
    gva_to_gla,        // segment REG1[31:16], GVA REG2
    gla_to_gpa,        // GLA REG2
    fpu_get_all,       // the legacy area to or from the shared page
    fpu_set_all,
    xsave_get_all,  // the XSAVE area (page REG2) to or from the shared page
    xsave_set_all,
    mmio_map,    // the MDL in this PP's shared page into the VM of REG1, from the VM of REG2
    mmio_unmap,  // the MDL's GPAs out of the VM of REG1
    run,         // the VS of REG1 until its next exit the root VM must see
};

/// One hypercall's results: the status for RAX, REG0 to write back, and what is left to do.
struct hypercall_out {
    uint64_t status;
    uint64_t reg0;
    bool write_reg0;
    hypercall_action action;
    page_call call;
};

namespace detail {

constexpr hypercall_out status(uint64_t s) noexcept
{
    return {s, 0, false, hypercall_action::none, page_call::cpuid_supported};
}
constexpr hypercall_out value(uint64_t v) noexcept
{
    return {MV_STATUS_SUCCESS, v, true, hypercall_action::none, page_call::cpuid_supported};
}
constexpr hypercall_out act(hypercall_action a) noexcept
{
    return {MV_STATUS_SUCCESS, 0, false, a, page_call::cpuid_supported};
}
constexpr hypercall_out page(page_call c) noexcept
{
    return {MV_STATUS_SUCCESS, 0, false, hypercall_action::shared_page_call, c};
}

constexpr hypercall_out id_op(uint64_t index) noexcept
{
    // has_capability: no capability is defined yet, so none is supported; get/clr/set_capability
    // are "TBD" in the spec.
    return index == MV_ID_OP_VERSION_IDX_VAL ? value(MV_ALL_SPECS_SUPPORTED_VAL)
                                             : status(MV_STATUS_FAILURE_UNSUPPORTED);
}

constexpr hypercall_out handle_op(uint64_t index, const hypercall_in &in) noexcept
{
    switch (index) {
    case MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL:
        // REG0[31:0] names the spec version; REG0[63:32] is REVI.
        return (in.reg[0] & 0xFFFFFFFFULL) == MV_SPEC_ID1_VAL ? act(hypercall_action::open_handle)
                                                              : status(MV_STATUS_INVALID_INPUT_REG0);
    case MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL:
        return in.handle_ok ? act(hypercall_action::close_handle) : status(MV_STATUS_FAILURE_INVALID_HANDLE);
    default:
        return status(MV_STATUS_FAILURE_UNSUPPORTED);
    }
}

/// Whether a PP hypercall changes MicroV's state or names memory by address: those are the root
/// VM's kernel's alone, or any process of the root OS could have MicroV write into memory it
/// does not own (see docs/hypercalls.md).
constexpr bool kernel_only(uint64_t index) noexcept
{
    switch (index) {
    case MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL:
    case MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL:
    case MV_PP_OP_CPUID_GET_SUPPORTED_IDX_VAL:
    case MV_PP_OP_CPUID_GET_SUPPORTED_LIST_IDX_VAL:
    case MV_PP_OP_CPUID_GET_EMULATED_IDX_VAL:
    case MV_PP_OP_CPUID_GET_EMULATED_LIST_IDX_VAL:
    case MV_PP_OP_MSR_GET_SUPPORTED_LIST_IDX_VAL:
    case MV_PP_OP_MSR_GET_PERMISSABLE_LIST_IDX_VAL:
    case MV_PP_OP_TSC_SET_KHZ_IDX_VAL:
        return true;
    default:
        return false;
    }
}

/// The PP hypercalls once the handle and the caller are checked.
constexpr hypercall_out pp_call(uint64_t index, const hypercall_in &in) noexcept
{
    switch (index) {
    case MV_PP_OP_PPID_IDX_VAL:
        return value(in.ppid);
    case MV_PP_OP_ONLINE_PPS_IDX_VAL:
        return value(in.online_pps);
    case MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL:
        return act(hypercall_action::clr_shared_page);
    case MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL:
        // REG1[11:0] is REVZ: a GPA must be page-aligned. Whose page it is, the microkernel checks.
        return (in.reg[1] & 0xFFFU) != 0 ? status(MV_STATUS_INVALID_INPUT_REG1)
                                         : act(hypercall_action::set_shared_page);
    case MV_PP_OP_CPUID_GET_SUPPORTED_IDX_VAL:
        return page(page_call::cpuid_supported);
    case MV_PP_OP_CPUID_GET_SUPPORTED_LIST_IDX_VAL:
        return page(page_call::cpuid_supported_list);
    case MV_PP_OP_CPUID_GET_EMULATED_IDX_VAL:
        return page(page_call::cpuid_emulated);
    case MV_PP_OP_CPUID_GET_EMULATED_LIST_IDX_VAL:
        return page(page_call::cpuid_emulated_list);
    case MV_PP_OP_MSR_GET_SUPPORTED_IDX_VAL:
        // REG1[31:0] is the MSR, REG1[63:32] is REVI.
        return value(guest_msr_supported(static_cast<uint32_t>(in.reg[1])));
    case MV_PP_OP_MSR_GET_SUPPORTED_LIST_IDX_VAL:
        return page(page_call::msr_supported_list);
    case MV_PP_OP_MSR_GET_PERMISSABLE_IDX_VAL:
        return value(root_msr_permissions(static_cast<uint32_t>(in.reg[1])));
    case MV_PP_OP_MSR_GET_PERMISSABLE_LIST_IDX_VAL:
        return page(page_call::msr_permissable_list);
    case MV_PP_OP_TSC_GET_KHZ_IDX_VAL:
    case MV_VS_OP_TSC_GET_KHZ_IDX_VAL:
        // A guest's VS sees this PP's TSC as it is (MicroV does not scale it): the same frequency.
        return value(in.tsc_khz);
    case MV_PP_OP_TSC_SET_KHZ_IDX_VAL:
        return in.reg[1] == 0 || in.reg[1] > tsc_khz_max ? status(MV_STATUS_INVALID_INPUT_REG1)
                                                         : act(hypercall_action::set_tsc_khz);
    default:
        // Reserved in the spec: cpuid_get_permissable(_list), reg_get_*(_list),
        // msr_get_emulated(_list); and indexes the spec does not name.
        return status(MV_STATUS_FAILURE_UNSUPPORTED);
    }
}

constexpr hypercall_out pp_op(uint64_t index, const hypercall_in &in) noexcept
{
    // The handle before anything else, then the caller.
    if (!in.handle_ok) {
        return status(MV_STATUS_FAILURE_INVALID_HANDLE);
    }
    if (in.cpl != 0 && kernel_only(index)) {
        return status(MV_STATUS_INVALID_PERM_DENIED);
    }
    return pp_call(index, in);
}

/// What a VM, VP or VS hypercall that names or changes a guest's object asks; none for the
/// others.
constexpr hypercall_action object_action(uint64_t op, uint64_t index) noexcept
{
    using h = hypercall_action;
    if (op == MV_VM_OP_VAL) {
        switch (index) {
        case MV_VM_OP_CREATE_VM_IDX_VAL:
            return h::create_vm;
        case MV_VM_OP_DESTROY_VM_IDX_VAL:
            return h::destroy_vm;
        case MV_VM_OP_MMIO_MAP_IDX_VAL:
            return h::mmio_map;
        case MV_VM_OP_MMIO_UNMAP_IDX_VAL:
            return h::mmio_unmap;
        default:
            return h::none;
        }
    }
    if (op == MV_VP_OP_VAL) {
        switch (index) {
        case MV_VP_OP_CREATE_VP_IDX_VAL:
            return h::create_vp;
        case MV_VP_OP_DESTROY_VP_IDX_VAL:
            return h::destroy_vp;
        case MV_VP_OP_VMID_IDX_VAL:
            return h::vp_vmid;
        default:
            return h::none;
        }
    }
    constexpr struct {
        uint64_t index;
        hypercall_action action;
    } vs_state[] = {
        {MV_VS_OP_REG_GET_LIST_IDX_VAL, h::reg_get_list},
        {MV_VS_OP_REG_SET_LIST_IDX_VAL, h::reg_set_list},
        {MV_VS_OP_MSR_GET_IDX_VAL, h::msr_get},
        {MV_VS_OP_MSR_SET_IDX_VAL, h::msr_set},
        {MV_VS_OP_MSR_GET_LIST_IDX_VAL, h::msr_get_list},
        {MV_VS_OP_MSR_SET_LIST_IDX_VAL, h::msr_set_list},
        {MV_VS_OP_CPUID_GET_IDX_VAL, h::cpuid_get},
        {MV_VS_OP_CPUID_SET_IDX_VAL, h::cpuid_set},
        {MV_VS_OP_CPUID_GET_LIST_IDX_VAL, h::cpuid_get_list},
        {MV_VS_OP_CPUID_SET_LIST_IDX_VAL, h::cpuid_set_list},
        {MV_VS_OP_MP_STATE_GET_IDX_VAL, h::mp_state_get},
        {MV_VS_OP_MP_STATE_SET_IDX_VAL, h::mp_state_set},
        {MV_VS_OP_INJECT_EXCEPTION_IDX_VAL, h::inject_exception},
        {MV_VS_OP_QUEUE_INTERRUPT_IDX_VAL, h::queue_interrupt},
        {MV_VS_OP_GVA_TO_GLA_IDX_VAL, h::gva_to_gla},
        {MV_VS_OP_GLA_TO_GPA_IDX_VAL, h::gla_to_gpa},
        {MV_VS_OP_FPU_GET_ALL_IDX_VAL, h::fpu_get_all},
        {MV_VS_OP_FPU_SET_ALL_IDX_VAL, h::fpu_set_all},
        {MV_VS_OP_XSAVE_GET_ALL_IDX_VAL, h::xsave_get_all},
        {MV_VS_OP_XSAVE_SET_ALL_IDX_VAL, h::xsave_set_all},
    };
    for (const auto &c : vs_state) {
        if (c.index == index) {
            return c.action;
        }
    }
    switch (index) {
    case MV_VS_OP_CREATE_VS_IDX_VAL:
        return h::create_vs;
    case MV_VS_OP_DESTROY_VS_IDX_VAL:
        return h::destroy_vs;
    case MV_VS_OP_VMID_IDX_VAL:
        return h::vs_vmid;
    case MV_VS_OP_VPID_IDX_VAL:
        return h::vs_vpid;
    case MV_VS_OP_REG_GET_IDX_VAL:
        return h::reg_get;
    case MV_VS_OP_REG_SET_IDX_VAL:
        return h::reg_set;
    case MV_VS_OP_RUN_IDX_VAL:
        return h::run;
    default:
        return h::none;
    }
}

/// The VM, VP and VS hypercalls: all of them make, destroy or name guests' objects, which are the
/// root VM's kernel's (the shim's) alone, but for the caller's own IDs (vmid, vpid, vsid), which
/// any CPL may ask. REG1[63:16] is REVI.
constexpr hypercall_out object_op(uint64_t op, uint64_t index, const hypercall_in &in) noexcept
{
    if (!in.handle_ok) {
        return status(MV_STATUS_FAILURE_INVALID_HANDLE);
    }
    const bool own = (op == MV_VM_OP_VAL && index == MV_VM_OP_VMID_IDX_VAL) ||
                     (op == MV_VP_OP_VAL && index == MV_VP_OP_VPID_IDX_VAL) ||
                     (op == MV_VS_OP_VAL && index == MV_VS_OP_VSID_IDX_VAL);
    if (own) {
        return value(op == MV_VM_OP_VAL ? in.vmid : op == MV_VP_OP_VAL ? in.vpid : in.vsid);
    }
    const hypercall_action a = object_action(op, index);
    if (a == hypercall_action::none) {
        // gva_to_gpa, fpu_get/set, xsave_get/set (reserved in the spec) and unnamed indexes.
        return status(MV_STATUS_FAILURE_UNSUPPORTED);
    }
    return in.cpl != 0 ? status(MV_STATUS_INVALID_PERM_DENIED) : act(a);
}

}  // namespace detail

/// Whether root_hypercall's answer for RAX depends on the caller's CPL; for any other RAX every
/// CPL gets the same answer (the fuzzer checks it).
constexpr bool hypercall_needs_cpl(uint64_t rax) noexcept
{
    const uint64_t op = rax & (MV_HYPERCALL_OPCODE_MASK | MV_HYPERCALL_FLAGS_MASK);
    const uint64_t index = rax & MV_HYPERCALL_INDEX_MASK;
    return (op == MV_PP_OP_VAL && detail::kernel_only(index)) ||
           ((op == MV_VM_OP_VAL || op == MV_VP_OP_VAL || op == MV_VS_OP_VAL) &&
            detail::object_action(op, index) != hypercall_action::none);
}

/// Serves one hypercall of the root VM.
constexpr hypercall_out root_hypercall(const hypercall_in &in) noexcept
{
    // The signature, and no flags: none is defined.
    if ((in.rax & MV_HYPERCALL_SIG_MASK) != MV_HYPERCALL_SIG_VAL || (in.rax & MV_HYPERCALL_FLAGS_MASK) != 0) {
        return detail::status(MV_STATUS_FAILURE_UNSUPPORTED);
    }
    const uint64_t index = in.rax & MV_HYPERCALL_INDEX_MASK;
    switch (in.rax & MV_HYPERCALL_OPCODE_MASK) {
    case MV_ID_OP_VAL:
        return detail::id_op(index);
    case MV_HANDLE_OP_VAL:
        return detail::handle_op(index, in);
    case MV_DEBUG_OP_VAL:
        return index == MV_DEBUG_OP_OUT_IDX_VAL ? detail::act(hypercall_action::debug_out)
                                                : detail::status(MV_STATUS_FAILURE_UNSUPPORTED);
    case MV_PP_OP_VAL:
        return detail::pp_op(index, in);
    case MV_VM_OP_VAL:
    case MV_VP_OP_VAL:
    case MV_VS_OP_VAL:
        return detail::object_op(in.rax & MV_HYPERCALL_OPCODE_MASK, index, in);
    default:
        return detail::status(MV_STATUS_FAILURE_UNSUPPORTED);
    }
}

}  // namespace vmm
