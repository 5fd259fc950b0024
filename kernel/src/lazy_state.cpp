// SPDX-License-Identifier: MIT
// What neither VMRUN nor VM entry switches, the same on every vendor: the x87/SSE/AVX state,
// XCR0 and DR0-DR3. The microkernel switches them lazily: the CPU holds one VS's (pp.fpu_vsid)
// until another VS runs on that PP, and only then are they saved to the VS that had them and the
// other's loaded. Neither the microkernel nor the extension touches these registers (both are
// built with general registers only, and use no breakpoints), so between two runs of the same VS
// nothing needs saving.
#include "pp.hpp"

#include <mk/x64/cpu.hpp>
#include <mk/x64/xsave.hpp>

namespace mk {
namespace {

bool g_xsave;          // XSAVE/XRSTOR (else FXSAVE/FXRSTOR)
uint64_t g_host_xcr0;  // the OS's XCR0, the same on every CPU: what the save areas hold
bool g_guests_ok;
uint32_t g_mxcsr_mask;  // the MXCSR bits this CPU has (FXSAVE's MXCSR_MASK)
alignas(64) uint8_t g_probe_area[x64::fpu_legacy_bytes];

constexpr uint32_t cpuid1_ecx_xsave = 1U << 26;
constexpr uint64_t cr4_osxsave = 1U << 18;

void save(void *area) noexcept
{
    if (g_xsave) {
        x64::xsave_all(area);
    } else {
        x64::fxsave(area);
    }
}

void restore(const void *area) noexcept
{
    if (g_xsave) {
        x64::xrstor_all(area);
    } else {
        x64::fxrstor(area);
    }
}

void save_drs(uint64_t (&dr)[4]) noexcept
{
    asm volatile("mov %%dr0, %0" : "=r"(dr[0]));
    asm volatile("mov %%dr1, %0" : "=r"(dr[1]));
    asm volatile("mov %%dr2, %0" : "=r"(dr[2]));
    asm volatile("mov %%dr3, %0" : "=r"(dr[3]));
}

void load_dr(unsigned index, uint64_t value) noexcept
{
    switch (index) {
    case 0:
        asm volatile("mov %0, %%dr0" : : "r"(value));
        break;
    case 1:
        asm volatile("mov %0, %%dr1" : : "r"(value));
        break;
    case 2:
        asm volatile("mov %0, %%dr2" : : "r"(value));
        break;
    default:
        asm volatile("mov %0, %%dr3" : : "r"(value));
        break;
    }
}

/// Whether the CPU holds vs's state right now (it is this PP's fpu_vsid).
bool on_this_cpu(const vs_slot &vs) noexcept
{
    const pp_state &pp = this_pp();
    return pp.fpu_vsid < max_vss && &g_objects.vss[pp.fpu_vsid] == &vs;
}

}  // namespace

bool fpu_init() noexcept
{
    g_xsave = (x64::cpuid(1, 0).ecx & cpuid1_ecx_xsave) != 0 && (x64::read_cr4() & cr4_osxsave) != 0;
    g_host_xcr0 = g_xsave ? x64::xgetbv0() : (x64::xcr0_bit::x87 | x64::xcr0_bit::sse);
    // MXCSR_MASK (bytes 28-31 of FXSAVE's image; 0 means the CPUs that predate it: 0xFFBF).
    x64::fxsave(g_probe_area);
    g_mxcsr_mask = static_cast<uint32_t>(x64::area_load(g_probe_area, 28, 4));
    g_mxcsr_mask = g_mxcsr_mask == 0 ? 0xFFBFU : g_mxcsr_mask;
    // CPUID 0xD.0 EBX: the save area's size for the XCR0 enabled now.
    const uint32_t bytes = g_xsave ? x64::cpuid(0xD, 0).ebx : 512;
    g_guests_ok = bytes <= page_size;
    if (!g_guests_ok) {
        g_console.write("microv: the CPU's x87/SSE/AVX save area is larger than a page: no guest VMs\n");
    }
    return g_guests_ok;
}

bool fpu_guests_ok() noexcept { return g_guests_ok; }
uint64_t fpu_host_xcr0() noexcept { return g_host_xcr0; }

void lazy_state_switch(pp_state &pp, uint16_t to) noexcept
{
    const uint16_t from = pp.fpu_vsid;
    if (from == to) {
        return;
    }
    pp.fpu_vsid = to;
    vs_slot &next = g_objects.vss[to];
    if (from >= max_vss || !g_objects.vss[from].used || next.fpu == nullptr) {
        return;  // the CPU's state becomes to's (the OS's, at the root VS's first run)
    }
    // All components with the host's XCR0 on: a guest's XMM and YMM registers are its own
    // whatever its XCR0 (XCR0 governs XSAVE and AVX, not whether SSE registers exist). The CPU's
    // XCR0 is read, not assumed to be the VS's: a CPU that let a guest's XSETBV through (the test
    // bed's QEMU 7.2 does not intercept it) must not hand the guest's XCR0 on.
    if (g_xsave && x64::xgetbv0() != g_host_xcr0) {
        x64::xsetbv0(g_host_xcr0);
    }
    save(g_objects.vss[from].fpu);
    restore(next.fpu);
    save_drs(g_objects.vss[from].dr);
    for (unsigned i = 0; i < 4; ++i) {
        if (next.dr[i] != g_objects.vss[from].dr[i]) {
            load_dr(i, next.dr[i]);
        }
    }
    if (g_xsave && next.xcr0 != g_host_xcr0) {
        x64::xsetbv0(next.xcr0);
    }
}

/// Whether some CPU holds the VS's state in its registers rather than in its page: never for a
/// VS no PP has active (every run of another VS switches first), checked all the same.
bool fpu_held(const vs_slot &vs) noexcept
{
    for (const pp_state *p : g_pps) {
        const uint16_t held = p != nullptr ? __atomic_load_n(&p->fpu_vsid, __ATOMIC_ACQUIRE) : max_vss;
        if (held < max_vss && &g_objects.vss[held] == &vs) {
            return true;
        }
    }
    return false;
}

size_t fpu_bytes(bool whole) noexcept { return whole ? page_size : x64::fpu_legacy_bytes; }

bool fpu_read(const vs_slot &vs, uint8_t *dst, bool whole) noexcept
{
    if (vs.is_root || vs.fpu == nullptr || fpu_held(vs)) {
        return false;
    }
    const auto *area = static_cast<const uint8_t *>(vs.fpu);
    __builtin_memcpy(dst, area, fpu_bytes(whole));
    if (!whole && g_xsave) {
        x64::fpu_legacy_view(dst, x64::area_load(area, x64::xsave_header_offset, 8));
    }
    return true;
}

bool fpu_write(vs_slot &vs, const uint8_t *src, bool whole) noexcept
{
    if (vs.is_root || vs.fpu == nullptr || fpu_held(vs)) {
        return false;
    }
    auto *area = static_cast<uint8_t *>(vs.fpu);
    // The checked fields once; the legacy area alone keeps the VS's header, with x87 and SSE made
    // live (else XRSTOR would put them in their initial state and ignore what was written).
    x64::fpu_checked c{};
    __builtin_memcpy(&c.mxcsr, src + x64::fpu_mxcsr_offset, sizeof(c.mxcsr));
    __builtin_memcpy(c.header, (whole ? src : area) + x64::xsave_header_offset, sizeof(c.header));
    if (!whole) {
        c.header[0] |= x64::xcr0_bit::x87 | x64::xcr0_bit::sse;
    }
    if (!x64::fpu_area_ok(c, g_xsave, g_host_xcr0, g_mxcsr_mask)) {
        return false;
    }
    __builtin_memcpy(area, src, fpu_bytes(whole));
    __builtin_memcpy(area + x64::fpu_mxcsr_offset, &c.mxcsr, sizeof(c.mxcsr));
    if (g_xsave) {
        __builtin_memcpy(area + x64::xsave_header_offset, c.header, sizeof(c.header));
    }
    return true;
}

uint64_t fpu_xcr0(const vs_slot &vs) noexcept { return vs.xcr0; }

bool fpu_set_xcr0(vs_slot &vs, uint64_t value) noexcept
{
    if (!g_xsave || vs.is_root || !x64::xcr0_ok(value, g_host_xcr0)) {
        return false;
    }
    vs.xcr0 = value;
    // The VS may hold the CPU right now (its XSETBV exit): its XCR0 takes effect at once.
    if (on_this_cpu(vs)) {
        x64::xsetbv0(value);
    }
    return true;
}

unsigned lazy_dr_index(abi::reg r) noexcept
{
    switch (r) {
    case abi::reg::dr0:
        return 0;
    case abi::reg::dr1:
        return 1;
    case abi::reg::dr2:
        return 2;
    case abi::reg::dr3:
        return 3;
    default:
        return 4;
    }
}

bool set_dr(vs_slot &vs, unsigned index, uint64_t value) noexcept
{
    // A breakpoint address is linear: canonical (bits 63:47 alike), or MOV to DR would #GP.
    const uint64_t top = value >> 47;
    if (vs.is_root || index > 3 || (top != 0 && top != 0x1FFFF)) {
        return false;
    }
    vs.dr[index] = value;
    if (on_this_cpu(vs)) {
        load_dr(index, value);
    }
    return true;
}

}  // namespace mk
