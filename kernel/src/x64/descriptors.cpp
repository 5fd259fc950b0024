// SPDX-License-Identifier: MIT
// Each PP's GDT and TSS, the IDT all PPs share, and the report of an exception in the microkernel.
#include "../pp.hpp"

#include <mk/x64/cpu.hpp>

extern "C" const uint64_t mk_isr_table[32];
extern "C" const char mk_nmi[];
extern "C" void mk_load_gdt(const mk::x64::table_pointer *gdtr, uint16_t code, uint16_t data);

namespace mk {
namespace {

// Exceptions on their own stacks (IST), whatever the stack was: NMI, #DF, #MC.
constexpr uint8_t ist_nmi = 1;
constexpr uint8_t ist_df = 2;
constexpr uint8_t ist_mc = 3;

alignas(16) x64::idt_gate g_idt[256];
bool g_idt_ready;

uint8_t ist_of(unsigned vector) noexcept
{
    switch (vector) {
    case 2:
        return ist_nmi;
    case 8:
        return ist_df;
    case 18:
        return ist_mc;
    default:
        return 0;
    }
}

}  // namespace

void load_descriptor_tables(pp_state &pp) noexcept
{
    // The IDT is the same on every PP; the first PP fills it (PPs start one at a time).
    if (!g_idt_ready) {
        for (unsigned v = 0; v < 32; ++v) {
            g_idt[v] = x64::make_interrupt_gate(mk_isr_table[v], x64::selector::kernel_code, ist_of(v));
        }
        // An NMI reaches the microkernel only where it opens GIF to take one that made its VS
        // exit (vs_run.cpp): nothing to report, it returns at once.
        g_idt[2] = x64::make_interrupt_gate(reinterpret_cast<uint64_t>(mk_nmi), x64::selector::kernel_code, ist_nmi);
        g_idt_ready = true;
    }

    // The loader's pages, each with an unmapped guard page below it.
    static_assert(MV_MK_IST_STACKS == 3);
    pp.tss.ist[ist_nmi - 1] = pp.args->ist_stack_top[0];
    pp.tss.ist[ist_df - 1] = pp.args->ist_stack_top[1];
    pp.tss.ist[ist_mc - 1] = pp.args->ist_stack_top[2];
    pp.tss.rsp[0] = pp.args->syscall_stack_top;  // exceptions from ring 3 (no syscall is running then)
    pp.tss.iopb_offset = sizeof(x64::tss);

    const auto tss = x64::make_tss_descriptor(reinterpret_cast<uint64_t>(&pp.tss), sizeof(x64::tss) - 1);
    pp.gdt[0] = 0;
    pp.gdt[1] = x64::gdt_kernel_code;
    pp.gdt[2] = x64::gdt_kernel_data;
    pp.gdt[3] = x64::gdt_user_data;
    pp.gdt[4] = x64::gdt_user_code;
    pp.gdt[5] = tss.low;
    pp.gdt[6] = tss.high;

    const x64::table_pointer gdtr{sizeof(pp.gdt) - 1, reinterpret_cast<uint64_t>(pp.gdt)};
    const x64::table_pointer idtr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
    mk_load_gdt(&gdtr, x64::selector::kernel_code, x64::selector::kernel_data);
    x64::ltr(x64::selector::tss);
    x64::wrmsr(0xC0000101, reinterpret_cast<uint64_t>(&pp));  // GS base: this_pp() from here on
    x64::lidt(idtr);
}

/// What isr.S pushed: the registers, the vector and error code, then the CPU's frame.
struct exception_frame {
    uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

}  // namespace mk

/// An exception in the microkernel is a bug: report everything, then stop this PP for good. One
/// in the extension is reported the same way, then handled as the extension failing.
extern "C" [[noreturn]] void mk_exception(const mk::exception_frame *f)
{
    using mk::print_hex64;
    const bool from_ext = (f->cs & 3) == 3;
    print_hex64("microv: EXCEPTION vector ", f->vector, "");
    print_hex64(" error ", f->error_code, "");
    print_hex64(" ring ", f->cs & 3, "\n");
    print_hex64("  rip ", f->rip, "");
    print_hex64(" rsp ", f->rsp, "");
    print_hex64(" rflags ", f->rflags, "");
    print_hex64(" cr2 ", mk::x64::read_cr2(), "\n");
    print_hex64("  rax ", f->rax, "");
    print_hex64(" rbx ", f->rbx, "");
    print_hex64(" rcx ", f->rcx, "");
    print_hex64(" rdx ", f->rdx, "\n");
    print_hex64("  rsi ", f->rsi, "");
    print_hex64(" rdi ", f->rdi, "");
    print_hex64(" rbp ", f->rbp, "");
    print_hex64(" r8 ", f->r8, "\n");
    if (from_ext) {
        mk::extension_failed(mk::this_pp(), "exception in ring 3");
    }
    mk::microkernel_failed(mk::this_pp());
}
