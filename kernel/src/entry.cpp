// SPDX-License-Identifier: MIT
// The microkernel's entry: the loader calls mk_entry on each CPU, in the microkernel's own address
// space, on a microkernel stack, with interrupts and NMIs held off (GIF = 0). Today it checks its
// arguments, brings up the console and reports; demoting the OS into the root VM (VMCB, VMRUN,
// the extension) is the next step, so it answers MV_MK_STATUS_NOT_READY and the loader unwinds.
#include <microv/mk_boot.h>
#include <mk/console.hpp>
#include <mk/format.hpp>
#include <x64/port_io.hpp>

namespace {

mk::console<x64::port_io> g_console;

/// Whether a microkernel address lies in the direct map of the pool.
bool in_direct_map(uint64_t addr, uint64_t size) noexcept
{
    return addr >= MV_MK_DIRECT_MAP_BASE && size <= MV_MK_DIRECT_MAP_SIZE &&
           addr - MV_MK_DIRECT_MAP_BASE <= MV_MK_DIRECT_MAP_SIZE - size;
}

/// The last four hex digits of value: how PP numbers are printed.
const char *hex16(uint16_t value, char (&buf)[19]) noexcept { return mk::format_hex64(value, buf) + 14; }

}  // namespace

extern "C" uint64_t mk_entry(const mv_mk_args *args)
{
    // Check what the loader handed over before using any of it.
    if (args->version != MV_MK_ARGS_VERSION || args->ppid >= args->online_pps ||
        !in_direct_map(args->debug_ring, sizeof(mv_debug_ring))) {
        return MV_MK_STATUS_BAD_ARGS;
    }

    // The first CPU in prepares the console; the loader starts CPUs one at a time.
    if (args->ppid == 0) {
        g_console.init(reinterpret_cast<mv_debug_ring *>(args->debug_ring), args->serial_port, 115200);
    }

    char pp[19];
    g_console.write("microv: microkernel entered on pp 0x");
    g_console.write(hex16(args->ppid, pp));
    g_console.write("\n");
    return MV_MK_STATUS_NOT_READY;
}
