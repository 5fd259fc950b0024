// SPDX-License-Identifier: MIT
// The AMD SVM virtual machine control block (VMCB): one 4 KiB page per guest CPU, a control area
// (what to intercept, why the guest exited, what to inject) followed by the guest's state save
// area. Layout, bits and codes follow the AMD64 Architecture Programmer's Manual vol. 2, chapter 15
// (Secure Virtual Machine) and appendix B (Layout of VMCB). Fields the microkernel does not use yet
// (AVIC, SEV-ES, CET, ...) are kept as reserved bytes so that every offset stays exact.
#pragma once

#include <mk/root_msrs.hpp>

#include <stddef.h>
#include <stdint.h>

namespace mk::amd {

/// A segment register as the VMCB stores it. attrib packs descriptor bits 47:40 (type, S, DPL,
/// P) into bits 7:0 and descriptor bits 55:52 (AVL, L, D/B, G) into bits 11:8.
struct vmcb_segment {
    uint16_t selector;
    uint16_t attrib;
    uint32_t limit;
    uint64_t base;
};

/// The control area, VMCB offsets 0x000-0x3FF.
struct vmcb_control {
    uint32_t intercept_cr;          // 0x000: reads of CR0-15 in bits 15:0, writes in bits 31:16
    uint32_t intercept_dr;          // 0x004: reads of DR0-15 in bits 15:0, writes in bits 31:16
    uint32_t intercept_exceptions;  // 0x008: one bit per exception vector
    uint32_t intercept_misc1;       // 0x00C: see namespace intercept_misc1
    uint32_t intercept_misc2;       // 0x010: see namespace intercept_misc2
    uint32_t intercept_misc3;       // 0x014: newer instructions (INVLPGB, INVPCID, ...)
    uint8_t reserved_018[0x24];
    uint16_t pause_filter_threshold;  // 0x03C
    uint16_t pause_filter_count;      // 0x03E
    uint64_t iopm_base_pa;            // 0x040: physical address of the I/O permission map
    uint64_t msrpm_base_pa;           // 0x048: physical address of the MSR permission map
    uint64_t tsc_offset;              // 0x050
    uint32_t guest_asid;              // 0x058
    uint8_t tlb_control;              // 0x05C: see namespace tlb_ctl
    uint8_t reserved_05d[3];
    uint64_t v_intr;            // 0x060: virtual interrupt (V_TPR, V_IRQ, V_INTR_MASKING, vector, ...)
    uint64_t interrupt_shadow;  // 0x068: bit 0 the guest is in an interrupt shadow
    uint64_t exitcode;          // 0x070: see namespace vmexit
    uint64_t exitinfo1;         // 0x078
    uint64_t exitinfo2;         // 0x080
    uint64_t exitintinfo;       // 0x088: an event whose delivery was cut short, in EVENTINJ format
    uint64_t np_enable;         // 0x090: bit 0 nested paging
    uint64_t reserved_098;      // 0x098: AVIC APIC_BAR
    uint64_t ghcb_pa;           // 0x0A0: guest physical address of the GHCB (SEV-ES)
    uint64_t eventinj;          // 0x0A8: event to inject on VMRUN, see eventinj()
    uint64_t n_cr3;             // 0x0B0: nested page table root
    uint64_t lbr_virt;          // 0x0B8: bit 0 LBR virtualization
    uint32_t vmcb_clean;        // 0x0C0: see namespace clean
    uint8_t reserved_0c4[4];
    uint64_t nrip;                    // 0x0C8: the next instruction's RIP, on intercepted instructions
    uint8_t guest_insn_count;         // 0x0D0: bytes fetched on #NPF/#PF intercepts (decode assists)
    uint8_t guest_insn_bytes[15];     // 0x0D1-0x0DF
    uint8_t reserved_0e0[0x300];      // 0x0E0: AVIC pointers, VMSA pointer, ...
    uint8_t reserved_for_host[0x20];  // 0x3E0: left to the hypervisor by the APM
};

/// The state save area, VMCB offsets 0x400-0xFFF (the comments give offsets within this struct).
struct vmcb_state {
    vmcb_segment es;  // 0x000
    vmcb_segment cs;
    vmcb_segment ss;
    vmcb_segment ds;
    vmcb_segment fs;
    vmcb_segment gs;
    vmcb_segment gdtr;  // 0x060: only base and limit are used
    vmcb_segment ldtr;
    vmcb_segment idtr;  // 0x080: only base and limit are used
    vmcb_segment tr;
    uint8_t reserved_0a0[0x2B];  // 0x0A0: includes the SEV-SNP VMPL at 0x0CA
    uint8_t cpl;                 // 0x0CB
    uint8_t reserved_0cc[4];
    uint64_t efer;  // 0x0D0
    uint8_t reserved_0d8[0x70];
    uint64_t cr4;  // 0x148
    uint64_t cr3;
    uint64_t cr0;
    uint64_t dr7;
    uint64_t dr6;
    uint64_t rflags;
    uint64_t rip;                // 0x178
    uint8_t reserved_180[0x58];  // 0x180
    uint64_t rsp;                // 0x1D8
    uint8_t reserved_1e0[0x18];  // 0x1E0: S_CET, SSP, ISST_ADDR
    uint64_t rax;                // 0x1F8
    uint64_t star;
    uint64_t lstar;
    uint64_t cstar;
    uint64_t sfmask;
    uint64_t kernel_gs_base;
    uint64_t sysenter_cs;
    uint64_t sysenter_esp;
    uint64_t sysenter_eip;
    uint64_t cr2;  // 0x240
    uint8_t reserved_248[0x20];
    uint64_t g_pat;  // 0x268: the guest PAT under nested paging
    uint64_t dbgctl;
    uint64_t br_from;
    uint64_t br_to;
    uint64_t lastexcpfrom;
    uint64_t lastexcpto;          // 0x290
    uint8_t reserved_298[0x968];  // 0x298: SPEC_CTRL and SEV-ES state, then the rest of the page
};

/// One VMCB: the page whose physical address VMRUN takes in RAX.
struct alignas(4096) vmcb {
    vmcb_control control;
    vmcb_state state;
};

// The layout is the hardware's: check it where it matters.
static_assert(sizeof(vmcb_segment) == 16);
static_assert(sizeof(vmcb_control) == 0x400);
static_assert(sizeof(vmcb_state) == 0xC00);
static_assert(sizeof(vmcb) == 4096);
static_assert(alignof(vmcb) == 4096);
static_assert(offsetof(vmcb, state) == 0x400);
static_assert(offsetof(vmcb_control, intercept_misc3) == 0x014);
static_assert(offsetof(vmcb_control, pause_filter_threshold) == 0x03C);
static_assert(offsetof(vmcb_control, iopm_base_pa) == 0x040);
static_assert(offsetof(vmcb_control, guest_asid) == 0x058);
static_assert(offsetof(vmcb_control, tlb_control) == 0x05C);
static_assert(offsetof(vmcb_control, v_intr) == 0x060);
static_assert(offsetof(vmcb_control, exitcode) == 0x070);
static_assert(offsetof(vmcb_control, exitintinfo) == 0x088);
static_assert(offsetof(vmcb_control, np_enable) == 0x090);
static_assert(offsetof(vmcb_control, eventinj) == 0x0A8);
static_assert(offsetof(vmcb_control, n_cr3) == 0x0B0);
static_assert(offsetof(vmcb_control, vmcb_clean) == 0x0C0);
static_assert(offsetof(vmcb_control, nrip) == 0x0C8);
static_assert(offsetof(vmcb_control, guest_insn_bytes) == 0x0D1);
static_assert(offsetof(vmcb_control, reserved_for_host) == 0x3E0);
static_assert(offsetof(vmcb_state, tr) == 0x090);
static_assert(offsetof(vmcb_state, cpl) == 0x0CB);
static_assert(offsetof(vmcb_state, efer) == 0x0D0);
static_assert(offsetof(vmcb_state, cr4) == 0x148);
static_assert(offsetof(vmcb_state, rip) == 0x178);
static_assert(offsetof(vmcb_state, rsp) == 0x1D8);
static_assert(offsetof(vmcb_state, rax) == 0x1F8);
static_assert(offsetof(vmcb_state, cr2) == 0x240);
static_assert(offsetof(vmcb_state, g_pat) == 0x268);
static_assert(offsetof(vmcb_state, lastexcpto) == 0x290);

/// The bit that intercepts reads (or writes) of control register n, in intercept_cr.
constexpr uint32_t intercept_cr_read(unsigned n) noexcept { return 1U << (n & 0xF); }
constexpr uint32_t intercept_cr_write(unsigned n) noexcept { return 1U << (16 + (n & 0xF)); }

/// The bit that intercepts reads (or writes) of debug register n, in intercept_dr.
constexpr uint32_t intercept_dr_read(unsigned n) noexcept { return 1U << (n & 0xF); }
constexpr uint32_t intercept_dr_write(unsigned n) noexcept { return 1U << (16 + (n & 0xF)); }

/// Bits of intercept_misc1 (VMCB 0x00C). Bit n exits with code 0x60 + n.
namespace intercept_misc1 {
constexpr uint32_t intr = 1U << 0;
constexpr uint32_t nmi = 1U << 1;
constexpr uint32_t smi = 1U << 2;
constexpr uint32_t init = 1U << 3;
constexpr uint32_t vintr = 1U << 4;
constexpr uint32_t cr0_sel_write = 1U << 5;  // CR0 writes that change more than CR0.TS or CR0.MP
constexpr uint32_t idtr_read = 1U << 6;
constexpr uint32_t gdtr_read = 1U << 7;
constexpr uint32_t ldtr_read = 1U << 8;
constexpr uint32_t tr_read = 1U << 9;
constexpr uint32_t idtr_write = 1U << 10;
constexpr uint32_t gdtr_write = 1U << 11;
constexpr uint32_t ldtr_write = 1U << 12;
constexpr uint32_t tr_write = 1U << 13;
constexpr uint32_t rdtsc = 1U << 14;
constexpr uint32_t rdpmc = 1U << 15;
constexpr uint32_t pushf = 1U << 16;
constexpr uint32_t popf = 1U << 17;
constexpr uint32_t cpuid = 1U << 18;
constexpr uint32_t rsm = 1U << 19;
constexpr uint32_t iret = 1U << 20;
constexpr uint32_t intn = 1U << 21;
constexpr uint32_t invd = 1U << 22;
constexpr uint32_t pause = 1U << 23;
constexpr uint32_t hlt = 1U << 24;
constexpr uint32_t invlpg = 1U << 25;
constexpr uint32_t invlpga = 1U << 26;
constexpr uint32_t ioio_prot = 1U << 27;  // IN/OUT/INS/OUTS, filtered by the I/O permission map
constexpr uint32_t msr_prot = 1U << 28;   // RDMSR/WRMSR, filtered by the MSR permission map
constexpr uint32_t task_switch = 1U << 29;
constexpr uint32_t ferr_freeze = 1U << 30;
constexpr uint32_t shutdown = 1U << 31;
}  // namespace intercept_misc1

/// Bits of intercept_misc2 (VMCB 0x010). Bit n exits with code 0x80 + n.
namespace intercept_misc2 {
constexpr uint32_t vmrun = 1U << 0;  // VMRUN must always be intercepted
constexpr uint32_t vmmcall = 1U << 1;
constexpr uint32_t vmload = 1U << 2;
constexpr uint32_t vmsave = 1U << 3;
constexpr uint32_t stgi = 1U << 4;
constexpr uint32_t clgi = 1U << 5;
constexpr uint32_t skinit = 1U << 6;
constexpr uint32_t rdtscp = 1U << 7;
constexpr uint32_t icebp = 1U << 8;
constexpr uint32_t wbinvd = 1U << 9;
constexpr uint32_t monitor = 1U << 10;
constexpr uint32_t mwait = 1U << 11;
constexpr uint32_t mwait_conditional = 1U << 12;  // MWAIT only when the monitor hardware is armed
constexpr uint32_t xsetbv = 1U << 13;
constexpr uint32_t rdpru = 1U << 14;
constexpr uint32_t efer_write_trap = 1U << 15;  // exits after the guest's EFER write completes
}  // namespace intercept_misc2

/// Exit codes (VMCB 0x070).
namespace vmexit {
constexpr uint64_t cr0_read = 0x000;        // 0x000-0x00F: CR0-15 reads
constexpr uint64_t cr0_write = 0x010;       // 0x010-0x01F: CR0-15 writes
constexpr uint64_t dr0_read = 0x020;        // 0x020-0x02F: DR0-15 reads
constexpr uint64_t dr0_write = 0x030;       // 0x030-0x03F: DR0-15 writes
constexpr uint64_t exception_base = 0x040;  // 0x040-0x05F: exception vectors 0-31
constexpr uint64_t intr = 0x060;
constexpr uint64_t nmi = 0x061;
constexpr uint64_t smi = 0x062;
constexpr uint64_t init = 0x063;
constexpr uint64_t vintr = 0x064;
constexpr uint64_t cr0_sel_write = 0x065;
constexpr uint64_t idtr_read = 0x066;
constexpr uint64_t gdtr_read = 0x067;
constexpr uint64_t ldtr_read = 0x068;
constexpr uint64_t tr_read = 0x069;
constexpr uint64_t idtr_write = 0x06A;
constexpr uint64_t gdtr_write = 0x06B;
constexpr uint64_t ldtr_write = 0x06C;
constexpr uint64_t tr_write = 0x06D;
constexpr uint64_t rdtsc = 0x06E;
constexpr uint64_t rdpmc = 0x06F;
constexpr uint64_t pushf = 0x070;
constexpr uint64_t popf = 0x071;
constexpr uint64_t cpuid = 0x072;
constexpr uint64_t rsm = 0x073;
constexpr uint64_t iret = 0x074;
constexpr uint64_t swint = 0x075;
constexpr uint64_t invd = 0x076;
constexpr uint64_t pause = 0x077;
constexpr uint64_t hlt = 0x078;
constexpr uint64_t invlpg = 0x079;
constexpr uint64_t invlpga = 0x07A;
constexpr uint64_t ioio = 0x07B;
constexpr uint64_t msr = 0x07C;
constexpr uint64_t task_switch = 0x07D;
constexpr uint64_t ferr_freeze = 0x07E;
constexpr uint64_t shutdown = 0x07F;
constexpr uint64_t vmrun = 0x080;
constexpr uint64_t vmmcall = 0x081;
constexpr uint64_t vmload = 0x082;
constexpr uint64_t vmsave = 0x083;
constexpr uint64_t stgi = 0x084;
constexpr uint64_t clgi = 0x085;
constexpr uint64_t skinit = 0x086;
constexpr uint64_t rdtscp = 0x087;
constexpr uint64_t icebp = 0x088;
constexpr uint64_t wbinvd = 0x089;
constexpr uint64_t monitor = 0x08A;
constexpr uint64_t mwait = 0x08B;
constexpr uint64_t mwait_conditional = 0x08C;
constexpr uint64_t xsetbv = 0x08D;
constexpr uint64_t rdpru = 0x08E;
constexpr uint64_t efer_write_trap = 0x08F;
constexpr uint64_t npf = 0x400;  // nested page fault: EXITINFO1 error code, EXITINFO2 guest physical address
constexpr uint64_t invalid = 0xFFFFFFFFFFFFFFFFULL;  // VMRUN refused the guest state (-1)

/// The exit codes of the register accesses and exceptions, by number.
constexpr uint64_t cr_read(unsigned n) noexcept { return cr0_read + (n & 0xF); }
constexpr uint64_t cr_write(unsigned n) noexcept { return cr0_write + (n & 0xF); }
constexpr uint64_t dr_read(unsigned n) noexcept { return dr0_read + (n & 0xF); }
constexpr uint64_t dr_write(unsigned n) noexcept { return dr0_write + (n & 0xF); }
constexpr uint64_t exception(unsigned vector) noexcept { return exception_base + (vector & 0x1F); }

/// Whether an exit code says VMRUN refused the guest state: -1 as the APM defines EXITCODE, or
/// its low 32 bits alone, which QEMU 7.2's TCG stores (its exit code is a 32-bit value).
constexpr bool vmrun_refused(uint64_t exitcode) noexcept { return exitcode == invalid || exitcode == 0xFFFFFFFFULL; }
}  // namespace vmexit

/// Event types of EVENTINJ and EXITINTINFO, bits 10:8.
namespace event_type {
constexpr uint8_t intr = 0;  // external or virtual interrupt
constexpr uint8_t nmi = 2;
constexpr uint8_t exception = 3;
constexpr uint8_t soft_int = 4;  // INTn
}  // namespace event_type

// The other EVENTINJ fields: vector in bits 7:0, error code in bits 63:32.
constexpr uint64_t eventinj_type_shift = 8;
constexpr uint64_t eventinj_ev = 1ULL << 11;  // the error code is valid
constexpr uint64_t eventinj_valid = 1ULL << 31;
constexpr uint64_t eventinj_error_shift = 32;

/// An EVENTINJ value that injects vector with the given event_type on the next VMRUN; the error
/// code is pushed only when has_error is set.
constexpr uint64_t eventinj(uint8_t vector, uint8_t type, bool has_error, uint32_t error) noexcept
{
    // Vector, type and the valid bit are always there.
    uint64_t value = uint64_t{vector} | (uint64_t{type & 0x7U} << eventinj_type_shift) | eventinj_valid;
    // The error code travels with its own valid bit, or not at all.
    if (has_error) {
        value |= eventinj_ev | (uint64_t{error} << eventinj_error_shift);
    }
    return value;
}

/// The fields EXITINTINFO shares with EVENTINJ (vector, type, EV, V, error code); the rest is reserved.
constexpr uint64_t event_fields = 0xFFFFFFFF80000FFFULL;

/// What a VS gets on its next VMRUN after an NMI exit, the NMI having been taken by the host:
/// the NMI itself, unless the exit cut short the delivery of another event. That event goes
/// first (re-delivered as EXITINTINFO has it) and the NMI is `owed`: the caller sends it again, so
/// that it exits once more right after. Software interrupts and INT3/INTO are not re-delivered:
/// the VS's RIP is still on their instruction, which runs again after the NMI.
constexpr uint64_t eventinj_after_nmi_exit(uint64_t exitintinfo, bool &owed) noexcept
{
    const auto type = static_cast<uint8_t>((exitintinfo >> eventinj_type_shift) & 0x7U);
    const auto vector = static_cast<uint8_t>(exitintinfo & 0xFFU);
    const bool reexecuted =
        type == event_type::soft_int || (type == event_type::exception && (vector == 3 || vector == 4));
    owed = (exitintinfo & eventinj_valid) != 0 && !reexecuted;
    return owed ? exitintinfo & event_fields : eventinj(2, event_type::nmi, false, 0);
}

/// What a guest's VS gets again on its next entry after any exit: the event the exit cut short
/// (EXITINTINFO), but not one whose instruction runs again (software interrupts, INT3, INTO).
constexpr uint64_t eventinj_after_exit(uint64_t exitintinfo) noexcept
{
    bool owed = false;
    const uint64_t e = eventinj_after_nmi_exit(exitintinfo, owed);
    return owed ? e : 0;
}

/// TLB_CONTROL values (VMCB 0x05C): what VMRUN flushes before entering the guest.
namespace tlb_ctl {
constexpr uint8_t nothing = 0x0;
constexpr uint8_t flush_all = 0x1;               // every entry of every ASID
constexpr uint8_t flush_guest = 0x3;             // this guest's ASID
constexpr uint8_t flush_guest_non_global = 0x7;  // this guest's ASID, except global pages
}  // namespace tlb_ctl

// Bits of the other control fields.
constexpr uint64_t v_irq = 1ULL << 8;            // v_intr: a virtual interrupt is pending
constexpr uint64_t v_intr_masking = 1ULL << 24;  // v_intr: the guest's RFLAGS.IF masks only virtual interrupts
constexpr uint64_t v_intr_vector_shift = 32;     // v_intr: bits 39:32
constexpr uint64_t v_intr_prio_shift = 16;       // v_intr: bits 19:16, the virtual interrupt's priority
constexpr uint64_t v_ign_tpr = 1ULL << 20;       // v_intr: deliver it whatever V_TPR says
constexpr uint64_t interrupt_shadow_bit = 1ULL << 0;
constexpr uint64_t np_enable_bit = 1ULL << 0;

/// v_intr with a virtual interrupt of vector pending: the CPU delivers it through the guest's IDT
/// once RFLAGS.IF is set and no interrupt shadow holds (V_INTR_MASKING), with its priority the
/// vector's upper nibble and the guest's TPR ignored (MicroV has no virtual APIC), and clears V_IRQ.
constexpr uint64_t v_intr_queue(uint64_t v_intr, uint8_t vector) noexcept
{
    constexpr uint64_t fields = v_irq | (0xFULL << v_intr_prio_shift) | v_ign_tpr | (0xFFULL << v_intr_vector_shift);
    return (v_intr & ~fields) | v_irq | (uint64_t{vector} >> 4 << v_intr_prio_shift) | v_ign_tpr |
           (uint64_t{vector} << v_intr_vector_shift);
}

/// VMCB clean bits: a set bit lets the CPU reuse its cached copy of those fields on VMRUN.
namespace clean {
constexpr uint32_t intercepts = 1U << 0;  // intercept words, TSC offset, pause filter
constexpr uint32_t iopm = 1U << 1;        // IOPM and MSRPM base addresses
constexpr uint32_t asid = 1U << 2;
constexpr uint32_t tpr = 1U << 3;  // v_intr
constexpr uint32_t np = 1U << 4;   // np_enable, n_cr3, g_pat
constexpr uint32_t crx = 1U << 5;  // CR0, CR3, CR4, EFER
constexpr uint32_t drx = 1U << 6;  // DR6, DR7
constexpr uint32_t dt = 1U << 7;   // GDTR, IDTR
constexpr uint32_t seg = 1U << 8;  // CS, DS, SS, ES, CPL
constexpr uint32_t cr2 = 1U << 9;
constexpr uint32_t lbr = 1U << 10;  // dbgctl and the branch records
constexpr uint32_t avic = 1U << 11;
}  // namespace clean

// Sizes of the permission maps (physically contiguous, 4 KiB aligned).
constexpr uint64_t iopm_size = 0x3000;
constexpr uint64_t msrpm_size = 0x2000;

/// The SVM MSRs (their numbers are the ring-0/ring-3 contract's: abi/include/mk/root_msrs.hpp).
namespace msr {
constexpr uint32_t efer = abi::msr::efer;
constexpr uint32_t vm_cr = abi::msr::vm_cr;
constexpr uint32_t vm_hsave_pa = abi::msr::vm_hsave_pa;  // the host state save page VMRUN uses
}  // namespace msr

constexpr uint64_t efer_svme = 1ULL << 12;    // EFER: SVM enabled
constexpr uint64_t vm_cr_lock = 1ULL << 3;    // VM_CR: SVMDIS is locked
constexpr uint64_t vm_cr_svmdis = 1ULL << 4;  // VM_CR: SVM disabled (EFER.SVME cannot be set)

}  // namespace mk::amd
