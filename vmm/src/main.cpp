// SPDX-License-Identifier: MIT
// Entry of the MicroV extension (ring 3 of the host). Today it opens its syscall handle, says
// hello through bf_debug_op_out and waits; registering the bootstrap and vmexit callbacks that
// create the root VM arrives with the late-launch work.
#include <vmm/syscall.hpp>

extern "C" [[noreturn]] void _start(uint64_t /*version*/)
{
    constexpr uint64_t hello = 0x4D6963726F56ULL;  // "MicroV"
    vmm::debug_out(hello, 0);
    const uint64_t handle = vmm::open_handle();
    vmm::wait(handle);
}
