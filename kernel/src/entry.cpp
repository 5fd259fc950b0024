// SPDX-License-Identifier: MIT
// Entry of the ring-0 image. Today it only brings up the debug console and stops the CPU: the
// launch path (GDT/IDT/TSS, page tables, VMRUN) arrives with the late-launch work.
#include <mk/console.hpp>
#include <x64/port_io.hpp>

namespace {

constexpr uint16_t com1 = 0x3F8;
constexpr size_t ring_size = 1U << 16;

mk::console<x64::port_io, ring_size> g_console{com1};

[[noreturn]] void halt_forever()
{
    for (;;) {
        asm volatile("cli; hlt");
    }
}

}  // namespace

extern "C" [[noreturn]] void _start()
{
    g_console.init(115200);
    g_console.write("microv: microkernel image loaded\n");
    halt_forever();
}
