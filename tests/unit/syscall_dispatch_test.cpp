// SPDX-License-Identifier: MIT
// The microkernel's syscall dispatcher against a fake platform: every check of every argument,
// and where each syscall leads. The platform's never-returning calls throw here, so that a test
// can see which one a syscall ended in. Its VSs are AMD's (a VMCB page, amd/vs_regs.hpp), as ring
// 0's are today.
#include <mk/exit_abi.hpp>
#include <mk/syscall_dispatch.hpp>
#include <mk/x64/amd/vs_regs.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace abi = mk::abi;

/// Thrown by the fake where ring 0 would not return.
struct left {
    std::string how;
    uint64_t arg;
};

struct fake_platform {
    uint16_t pp = 0;
    uint16_t pps = 2;
    uint16_t active = abi::invalid_id;
    bool running = false;
    bool booted = false;
    bool vm_init_ok = true;
    bool fpu_fits = true;
    bool fpu_ok = true;  // fpu_read/write's answer
    int vm_inits = 0;
    std::string out;
    std::map<uint64_t, char> ext_memory;  // extension address -> byte
    std::vector<uint64_t> code;           // executable extension addresses
    std::vector<std::unique_ptr<mk::amd::vmcb>> pages;
    size_t pages_left = 100;
    std::vector<void *> freed;
    bool map_ok = true;
    std::vector<uint64_t> unmapped;
    std::vector<uint16_t> inited;
    bool advance_ok = true;
    bool promote_refused = false;
    int tls_syncs = 0;

    uint16_t ppid() const { return pp; }
    uint16_t online_pps() const { return pps; }
    uint16_t active_vsid() const { return active; }
    bool root_running() const { return running; }
    std::vector<uint16_t> active_elsewhere;  // the active VSs of the other PPs
    bool vs_active_anywhere(uint16_t vsid) const
    {
        return vsid == active ||
               std::find(active_elsewhere.begin(), active_elsewhere.end(), vsid) != active_elsewhere.end();
    }
    bool bootstrapped() const { return booted; }
    void write(const char *s) { out += s; }
    void *alloc_page(uint64_t &phys)
    {
        if (pages_left == 0) {
            return nullptr;
        }
        --pages_left;
        pages.push_back(std::make_unique<mk::amd::vmcb>());
        phys = 0x100000 + pages.size() * 0x1000;
        return pages.back().get();
    }
    void free_page(void *page) { freed.push_back(page); }
    bool ext_read_byte(uint64_t addr, char &c)
    {
        const auto it = ext_memory.find(addr);
        if (it == ext_memory.end()) {
            return false;
        }
        c = it->second;
        return true;
    }
    bool ext_code(uint64_t addr) { return std::find(code.begin(), code.end(), addr) != code.end(); }
    bool map_into_extension(uint64_t, uint64_t &phys)
    {
        phys = 0xABC000;
        return map_ok;
    }
    bool unmap_from_extension(uint64_t virt)
    {
        unmapped.push_back(virt);
        return true;
    }
    uint64_t rdmsr(uint32_t msr) { return msr == 0xC0010015U ? hwcr : 0x1000000ULL + msr; }
    uint64_t hwcr = 0x0000000001000010ULL;  // TscFreqSel and INVDWBINVD set
    uint64_t hwcr_settable = (1ULL << 25) | (1ULL << 30);
    uint64_t hwcr_root_bits() const { return hwcr_settable; }
    std::vector<std::pair<uint32_t, uint64_t>> msr_writes;
    void wrmsr(uint32_t msr, uint64_t value) { msr_writes.emplace_back(msr, value); }
    bool root_may_share(uint64_t phys) const { return phys >= 0x100000 && phys < 0x200000; }
    bool direct_ok = true;
    std::vector<uint64_t> direct_unmapped;
    bool map_direct(uint64_t phys, uint64_t &virt)
    {
        virt = 0x500000000000ULL + phys;
        return direct_ok;
    }
    bool unmap_direct(uint64_t virt)
    {
        direct_unmapped.push_back(virt);
        return virt != 0xBAD000;
    }
    bool vm_init(mk::vm_slot &vm)
    {
        ++vm_inits;
        vm.tables_phys = vm_init_ok ? 0x7000 : 0;
        return vm_init_ok;
    }
    std::map<std::pair<const mk::vm_slot *, uint64_t>, std::pair<uint64_t, uint64_t>> guest_pages;  // -> hpa, flags
    size_t map_budget = 1000;  // pages the "pool" has tables for
    mk::map_result vm_map(mk::vm_slot &vm, uint64_t gpa, uint64_t hpa, uint64_t flags)
    {
        if (guest_pages.count({&vm, gpa}) != 0) {
            return mk::map_result::mapped_already;
        }
        if (map_budget == 0) {
            return mk::map_result::no_memory;
        }
        --map_budget;
        guest_pages[{&vm, gpa}] = {hpa, flags};
        return mk::map_result::ok;
    }
    bool vm_unmap(mk::vm_slot &vm, uint64_t gpa) { return guest_pages.erase({&vm, gpa}) != 0; }
    bool vm_mapped(mk::vm_slot &vm, uint64_t gpa) { return guest_pages.count({&vm, gpa}) != 0; }
    uint64_t vm_page(mk::vm_slot &vm, uint64_t gpa)
    {
        const auto it = guest_pages.find({&vm, gpa & ~uint64_t{0xFFF}});
        return it == guest_pages.end() ? 0 : it->second.first | (it->second.second & 7U);
    }
    // Guests' queued interrupts and save areas, by VS slot.
    std::map<const mk::vs_slot *, uint8_t> queued;
    bool queue_interrupt(mk::vs_slot &vs, uint8_t vector)
    {
        return queued.emplace(&vs, vector).second;  // one at a time
    }
    std::map<uint64_t, std::unique_ptr<uint8_t[]>> ext_pages;  // the extension's pages it may name
    std::vector<std::pair<uint64_t, bool>> ext_pages_asked;    // address, writable
    void *ext_page(uint64_t addr, bool writable)
    {
        ext_pages_asked.emplace_back(addr, writable);
        const auto it = ext_pages.find(addr);
        return it == ext_pages.end() ? nullptr : it->second.get();
    }
    std::vector<std::pair<const mk::vs_slot *, bool>> fpu_reads, fpu_writes;  // VS, whole
    bool fpu_read(const mk::vs_slot &vs, uint8_t *, bool whole)
    {
        fpu_reads.emplace_back(&vs, whole);
        return fpu_ok;
    }
    bool fpu_write(mk::vs_slot &vs, const uint8_t *, bool whole)
    {
        fpu_writes.emplace_back(&vs, whole);
        return fpu_ok;
    }
    std::vector<const mk::vm_slot *> vms_freed;
    void vm_free(mk::vm_slot &vm)
    {
        vms_freed.push_back(&vm);
        vm.tables_phys = 0;
    }
    std::vector<uint16_t> flushes;
    void guest_tlb_flush(uint16_t vmid) { flushes.push_back(vmid); }
    void claim(uint16_t vsid) { active = vsid; }
    void init_root_vs(mk::vs_slot &vs) { vs.is_root = true; }
    std::vector<const mk::vs_slot *> guests_reset;
    void init_guest_vs(mk::vs_slot &vs) { guests_reset.push_back(&vs); }
    bool guests_ok() const { return fpu_fits; }
    static mk::amd::vmcb &vmcb(const mk::vs_slot &slot) { return *static_cast<mk::amd::vmcb *>(slot.hw); }
    bool advance_ip(mk::vs_slot &vs)
    {
        vmcb(vs).state.rip += 3;
        return advance_ok;
    }
    std::vector<uint64_t> injected;
    bool inject_ok = true;
    bool inject(mk::vs_slot &, uint64_t event)
    {
        injected.push_back(event);
        return inject_ok;
    }
    bool vs_read(const mk::vs_slot &slot, abi::reg r, uint64_t &value) const
    {
        return mk::amd::vs_read(vmcb(slot), slot.gprs, r, value);
    }
    bool vs_write(mk::vs_slot &slot, abi::reg r, uint64_t value)
    {
        return mk::amd::vs_write(vmcb(slot), slot.gprs, r, value);
    }
    void active_to_tls(const mk::vs_slot &) { ++tls_syncs; }
    [[noreturn]] void run_vs(uint16_t vsid) { throw left{"run", vsid}; }
    // Leaves, or returns when the other PPs did not ask to leave too (promote_refused).
    void promote(mk::vs_slot &vs)
    {
        if (!promote_refused) {
            throw left{"promote", vs.vpid};
        }
    }
    [[noreturn]] void call_bootstrap() { throw left{"bootstrap", pp}; }
    [[noreturn]] void extension_failed(const char *what) { throw left{std::string("failed: ") + what, 0}; }
};
static_assert(mk::dispatch_platform<fake_platform>, "the fake is a whole platform");
static_assert(!mk::dispatch_platform<mk::vs_slot>, "the concept checks something");

constexpr uint64_t h = mk::ext_handle;

class dispatch_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        objects = std::make_unique<mk::kernel_objects>();
        objects->vms[abi::root_vmid].used = true;
        objects->callbacks.handle_open = true;
    }

    /// Makes one syscall; returns the frame as it came back.
    mk::syscall_frame call(uint64_t opcode, uint64_t index, uint64_t rdi = h, uint64_t rsi = 0, uint64_t rdx = 0,
                           uint64_t r10 = 0)
    {
        mk::syscall_frame f{abi::rax(opcode, index), rdi, rsi, rdx, r10, 0, 0};
        mk::syscall_dispatch<fake_platform>{p, *objects}.dispatch(f);
        return f;
    }
    /// A syscall with all six argument registers.
    mk::syscall_frame call6(uint64_t opcode, uint64_t index, uint64_t rsi, uint64_t rdx, uint64_t r10, uint64_t r8,
                            uint64_t r9)
    {
        mk::syscall_frame f{abi::rax(opcode, index), h, rsi, rdx, r10, r8, r9};
        mk::syscall_dispatch<fake_platform>{p, *objects}.dispatch(f);
        return f;
    }
    uint64_t map(uint64_t vmid, uint64_t gpa, uint64_t hpa, uint64_t pages, uint64_t flags = abi::map_read)
    {
        return call6(abi::vm_op, abi::vm_op_map_guest_idx, vmid, gpa, hpa, pages, flags).rax;
    }
    uint64_t unmap(uint64_t vmid, uint64_t gpa, uint64_t pages)
    {
        return call6(abi::vm_op, abi::vm_op_unmap_guest_idx, vmid, gpa, 0, pages, 0).rax;
    }
    /// A guest VM with a VP and a VS (made on PP 0); returns the VS's id.
    uint64_t guest_vs()
    {
        const auto vm = call(abi::vm_op, abi::vm_op_create_vm_idx);
        const auto vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, vm.rdi);
        const auto vs = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp.rdi, 0);
        EXPECT_EQ(vs.rax, abi::status_success);
        return vs.rdi;
    }
    uint64_t status(uint64_t opcode, uint64_t index, uint64_t rdi = h, uint64_t rsi = 0, uint64_t rdx = 0,
                    uint64_t r10 = 0)
    {
        return call(opcode, index, rdi, rsi, rdx, r10).rax;
    }
    /// The syscall must leave through the platform; returns how.
    left leaves(uint64_t opcode, uint64_t index, uint64_t rdi = h, uint64_t rsi = 0, uint64_t rdx = 0, uint64_t r10 = 0)
    {
        try {
            call(opcode, index, rdi, rsi, rdx, r10);
        } catch (const left &l) {
            return l;
        }
        ADD_FAILURE() << "the syscall returned";
        return {};
    }

    /// A root VS on PP 0 (VP in VM 0); returns its id.
    uint64_t root_vs()
    {
        const auto vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid);
        const auto vs = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp.rdi, 0);
        EXPECT_EQ(vs.rax, abi::status_success);
        EXPECT_EQ(status(abi::vs_op, abi::vs_op_init_as_root_idx, h, vs.rdi), abi::status_success);
        return vs.rdi;
    }

    fake_platform p;
    std::unique_ptr<mk::kernel_objects> objects;
};

TEST_F(dispatch_test, without_the_signature_nothing_happens)
{
    mk::syscall_frame f{0x1234000000010000ULL, h, 0, 0, 0, 0, 0};
    mk::syscall_dispatch<fake_platform>{p, *objects}.dispatch(f);
    EXPECT_EQ(f.rax, abi::status_failure_unsupported);
}

TEST_F(dispatch_test, the_handle)
{
    objects->callbacks.handle_open = false;
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_create_vm_idx), abi::status_failure_invalid_handle) << "not open yet";

    auto f = call(abi::handle_op, abi::handle_op_open_handle_idx, 0x12345678);
    EXPECT_EQ(f.rax, abi::status_failure_unknown) << "an unknown spec version";
    EXPECT_EQ(f.rdi, abi::invalid_handle);

    f = call(abi::handle_op, abi::handle_op_open_handle_idx, abi::spec_id1);
    EXPECT_EQ(f.rax, abi::status_success);
    EXPECT_EQ(f.rdi, h);
    EXPECT_EQ(call(abi::handle_op, abi::handle_op_open_handle_idx, abi::spec_id1).rax, abi::status_failure_unknown)
        << "one handle at a time";

    EXPECT_EQ(status(abi::vm_op, abi::vm_op_create_vm_idx, h + 1), abi::status_failure_invalid_handle);
    EXPECT_EQ(status(abi::handle_op, 7), abi::status_failure_unsupported);
    EXPECT_EQ(status(abi::handle_op, abi::handle_op_close_handle_idx), abi::status_success);
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_create_vm_idx), abi::status_failure_invalid_handle) << "closed";
}

TEST_F(dispatch_test, debug_output_needs_no_handle)
{
    objects->callbacks.handle_open = false;
    EXPECT_EQ(status(abi::debug_op, abi::debug_op_out_idx, 0x12, 0x34), abi::status_success);
    EXPECT_EQ(p.out, "microv: ext: 0x0000000000000012 0x0000000000000034\n");
    p.out.clear();
    EXPECT_EQ(status(abi::debug_op, abi::debug_op_write_c_idx, 'x'), abi::status_success);
    EXPECT_EQ(p.out, "x");
    EXPECT_EQ(status(abi::debug_op, 0x55), abi::status_failure_unsupported);
}

TEST_F(dispatch_test, write_str_reads_the_extension_byte_by_byte)
{
    const std::string text = "hello";
    for (size_t i = 0; i <= text.size(); ++i) {
        p.ext_memory[0x40001000 + i] = i < text.size() ? text[i] : '\0';
    }
    EXPECT_EQ(status(abi::debug_op, abi::debug_op_write_str_idx, 0x40001000), abi::status_success);
    EXPECT_EQ(p.out, "hello");

    p.out.clear();
    p.ext_memory.erase(0x40001000 + text.size());  // no NUL: runs into unmapped memory
    EXPECT_EQ(status(abi::debug_op, abi::debug_op_write_str_idx, 0x40001000), abi::status_invalid_input_reg0);
    EXPECT_EQ(p.out, "") << "nothing of a refused string is printed";

    for (uint64_t i = 0; i < 300; ++i) {
        p.ext_memory[0x50000000 + i] = 'a';
    }
    EXPECT_EQ(status(abi::debug_op, abi::debug_op_write_str_idx, 0x50000000), abi::status_success);
    EXPECT_EQ(p.out, std::string(mk::max_debug_string, 'a')) << "cut at the limit";
}

TEST_F(dispatch_test, callbacks_must_be_extension_code)
{
    p.code = {0x40000100, 0x40000200, 0x40000300};
    EXPECT_EQ(status(abi::callback_op, abi::callback_op_register_bootstrap_idx, h, 0x40000100), abi::status_success);
    EXPECT_EQ(status(abi::callback_op, abi::callback_op_register_vmexit_idx, h, 0x40000200), abi::status_success);
    EXPECT_EQ(status(abi::callback_op, abi::callback_op_register_fail_idx, h, 0x40000300), abi::status_success);
    EXPECT_EQ(objects->callbacks.bootstrap, 0x40000100U);
    EXPECT_EQ(objects->callbacks.vmexit, 0x40000200U);
    EXPECT_EQ(objects->callbacks.fail, 0x40000300U);
    EXPECT_EQ(status(abi::callback_op, abi::callback_op_register_vmexit_idx, h, 0x40002000),
              abi::status_invalid_input_reg1);
    EXPECT_EQ(objects->callbacks.vmexit, 0x40000200U) << "a refused callback changes nothing";
    EXPECT_EQ(status(abi::callback_op, 9, h, 0x40000100), abi::status_failure_unsupported);
}

TEST_F(dispatch_test, control)
{
    EXPECT_EQ(leaves(abi::control_op, abi::control_op_wait_idx).how, "bootstrap") << "_start's wait";
    p.booted = true;
    EXPECT_EQ(leaves(abi::control_op, abi::control_op_wait_idx).how, "failed: it waited");
    EXPECT_EQ(leaves(abi::control_op, abi::control_op_exit_idx).how, "failed: it called bf_control_op_exit");
    EXPECT_EQ(status(abi::control_op, abi::control_op_again_idx), abi::status_failure_unsupported);
}

TEST_F(dispatch_test, vms)
{
    for (uint16_t id = 1; id < mk::max_vms; ++id) {
        const auto f = call(abi::vm_op, abi::vm_op_create_vm_idx);
        ASSERT_EQ(f.rax, abi::status_success);
        EXPECT_EQ(f.rdi, id);
    }
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_create_vm_idx), abi::status_failure_unknown) << "full";
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_destroy_vm_idx, h, abi::root_vmid), abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_destroy_vm_idx, h, mk::max_vms), abi::status_invalid_input_reg1);
    ASSERT_EQ(call(abi::vp_op, abi::vp_op_create_vp_idx, h, 3).rax, abi::status_success);
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_destroy_vm_idx, h, 3), abi::status_failure_unknown) << "it has a VP";
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_destroy_vm_idx, h, 4), abi::status_success);
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_destroy_vm_idx, h, 4), abi::status_invalid_input_reg1) << "gone";
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_tlb_flush_idx), abi::status_failure_unsupported);
}

TEST_F(dispatch_test, vps)
{
    EXPECT_EQ(status(abi::vp_op, abi::vp_op_create_vp_idx, h, 5), abi::status_invalid_input_reg1) << "no VM 5";
    for (uint16_t id = 0; id < mk::max_vps; ++id) {
        ASSERT_EQ(call(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid).rdi, id);
    }
    EXPECT_EQ(status(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid), abi::status_failure_unknown);
    ASSERT_EQ(call(abi::vs_op, abi::vs_op_create_vs_idx, h, 7, 0).rax, abi::status_success);
    EXPECT_EQ(status(abi::vp_op, abi::vp_op_destroy_vp_idx, h, 7), abi::status_failure_unknown) << "it has a VS";
    EXPECT_EQ(status(abi::vp_op, abi::vp_op_destroy_vp_idx, h, 8), abi::status_success);
    EXPECT_EQ(status(abi::vp_op, abi::vp_op_destroy_vp_idx, h, 8), abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::vp_op, 5), abi::status_failure_unsupported);
}

TEST_F(dispatch_test, vs_create_and_destroy)
{
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_create_vs_idx, h, 0, 0), abi::status_invalid_input_reg1) << "no VP";
    const auto vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid).rdi;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, p.pps), abi::status_invalid_input_reg2) << "no PP";
    p.pages_left = 0;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 0), abi::status_failure_unknown) << "no memory";
    p.pages_left = 1;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 0), abi::status_failure_unknown)
        << "no page for its x87/SSE/AVX state";
    ASSERT_EQ(p.freed.size(), 1U) << "its VMCB goes back";
    EXPECT_EQ(p.freed[0], p.pages.back().get());
    p.freed.clear();
    p.pages_left = 200;
    for (uint16_t id = 0; id < mk::max_vss; ++id) {
        const auto f = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 1);
        ASSERT_EQ(f.rax, abi::status_success);
        EXPECT_EQ(objects->vss[f.rdi].ppid, 1U);
        EXPECT_EQ(objects->vss[f.rdi].hw_phys, 0x100000 + (p.pages.size() - 1) * 0x1000) << "the first of two";
        EXPECT_EQ(objects->vss[f.rdi].fpu, p.pages.back().get());
        uint32_t mxcsr = 0;
        std::memcpy(&mxcsr, static_cast<const uint8_t *>(objects->vss[f.rdi].fpu) + 24, sizeof(mxcsr));
        EXPECT_EQ(mxcsr, 0x1F80U) << "the state after RESET";
    }
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 0), abi::status_failure_unknown) << "full";
    EXPECT_EQ(p.freed.size(), 2U) << "the pages of a VS that found no slot go back";

    p.active_elsewhere = {4};
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_destroy_vs_idx, h, 4), abi::status_invalid_input_reg1)
        << "another PP's active VS (finding 9 of the isolation issue: it may be in VMRUN there)";
    p.active_elsewhere.clear();
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_destroy_vs_idx, h, 6), abi::status_invalid_input_reg1)
        << "another PP's VS of the root VM";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_read_idx, h, 4, static_cast<uint64_t>(abi::reg::rbx)),
              abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, 4, static_cast<uint64_t>(abi::reg::rbx), 1),
              abi::status_invalid_input_reg1);
    EXPECT_EQ(p.freed.size(), 2U) << "nothing freed";
    p.pp = 1;  // on the VSs' own PP
    p.active = 3;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_destroy_vs_idx, h, 3), abi::status_invalid_input_reg1) << "running here";
    const void *fpu = objects->vss[4].fpu;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_destroy_vs_idx, h, 4), abi::status_success);
    ASSERT_EQ(p.freed.size(), 4U);
    EXPECT_EQ(p.freed[3], fpu) << "both its pages";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_destroy_vs_idx, h, 4), abi::status_invalid_input_reg1) << "gone";
    objects->vss[5].is_root = true;
    p.running = true;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_destroy_vs_idx, h, 5), abi::status_invalid_input_reg1) << "root, running";
}

TEST_F(dispatch_test, a_guests_vs_starts_at_reset_and_is_reached_from_any_pp_where_no_pp_has_it_active)
{
    const auto vm = call(abi::vm_op, abi::vm_op_create_vm_idx, h).rdi;
    const auto vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, vm).rdi;
    const auto root_vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid).rdi;
    const auto root_vs = call(abi::vs_op, abi::vs_op_create_vs_idx, h, root_vp, 1).rdi;
    EXPECT_TRUE(p.guests_reset.empty()) << "a VS of the root VM is made from the OS's state instead";
    const auto vs = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 1).rdi;  // on PP 1
    ASSERT_EQ(p.guests_reset.size(), 1U);
    EXPECT_EQ(p.guests_reset[0], &objects->vss[vs]);

    const auto rbx = static_cast<uint64_t>(abi::reg::rbx);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, vs, rbx, 0x55), abi::status_success) << "from PP 0";
    const auto f = call(abi::vs_op, abi::vs_op_read_idx, h, vs, rbx);
    EXPECT_EQ(f.rax, abi::status_success);
    EXPECT_EQ(f.rdi, 0x55U);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_read_idx, h, root_vs, rbx), abi::status_invalid_input_reg1)
        << "the root VM's VS of another PP";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, root_vs, rbx, 1), abi::status_invalid_input_reg1);
    p.active_elsewhere = {static_cast<uint16_t>(vs)};
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_read_idx, h, vs, rbx), abi::status_invalid_input_reg1)
        << "active on a PP: it may be in VMRUN there";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, vs, rbx, 1), abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_destroy_vs_idx, h, vs), abi::status_invalid_input_reg1);
    p.active_elsewhere.clear();
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, vs, 9999, 1), abi::status_invalid_input_reg2);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_destroy_vs_idx, h, vs), abi::status_success)
        << "a guest's VS of another PP, active nowhere: the root OS moved the thread";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_read_idx, h, vs, rbx), abi::status_invalid_input_reg1) << "gone";
    EXPECT_EQ(objects->lock, 0U) << "the lock is free again";
}

TEST_F(dispatch_test, init_as_root_only_here_and_only_in_vm_0)
{
    const auto vp0 = call(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid).rdi;
    const auto vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
    const auto vp1 = call(abi::vp_op, abi::vp_op_create_vp_idx, h, vm).rdi;
    const auto other_pp = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp0, 1).rdi;
    const auto guest = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp1, 0).rdi;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_init_as_root_idx, h, other_pp), abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_init_as_root_idx, h, guest), abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_init_as_root_idx, h, 60), abi::status_invalid_input_reg1);
    EXPECT_EQ(root_vs(), 2U);
    EXPECT_TRUE(objects->vss[2].is_root);
}

TEST_F(dispatch_test, vs_read_and_write)
{
    const auto vs = root_vs();
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, vs, static_cast<uint64_t>(abi::reg::rbx), 0x77),
              abi::status_success);
    EXPECT_EQ(p.tls_syncs, 0) << "not the active VS";
    const auto f = call(abi::vs_op, abi::vs_op_read_idx, h, vs, static_cast<uint64_t>(abi::reg::rbx));
    EXPECT_EQ(f.rax, abi::status_success);
    EXPECT_EQ(f.rdi, 0x77U);
    p.active = static_cast<uint16_t>(vs);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, vs, static_cast<uint64_t>(abi::reg::rip), 0x1000),
              abi::status_success);
    EXPECT_EQ(p.tls_syncs, 1) << "the TLS block shows the active VS";
    EXPECT_EQ(fake_platform::vmcb(objects->vss[vs]).state.rip, 0x1000U);

    EXPECT_EQ(status(abi::vs_op, abi::vs_op_read_idx, h, 60, 1), abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_read_idx, h, vs, 9999), abi::status_invalid_input_reg2);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, 60, 1, 0), abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_write_idx, h, vs, 0, 0), abi::status_invalid_input_reg2);
}

TEST_F(dispatch_test, run_checks_the_whole_chain)
{
    const auto vs = root_vs();
    const auto vp = objects->vss[vs].vpid;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_idx, h, 1, vp, vs), abi::status_invalid_input_reg3) << "wrong VM";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_idx, h, 0, vp + 1, vs), abi::status_invalid_input_reg3) << "wrong VP";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_idx, h, 0, vp, vs + 1), abi::status_invalid_input_reg3) << "no VS";
    p.pp = 1;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_idx, h, 0, vp, vs), abi::status_invalid_input_reg3) << "other PP";
    p.pp = 0;
    objects->vss[vs].is_root = false;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_idx, h, 0, vp, vs), abi::status_invalid_input_reg3)
        << "a VS not made from the OS's state: no nested page tables of the microkernel's would hold it";
    objects->vss[vs].is_root = true;
    const left l = leaves(abi::vs_op, abi::vs_op_run_idx, h, 0, vp, vs);
    EXPECT_EQ(l.how, "run");
    EXPECT_EQ(l.arg, vs);
}

TEST_F(dispatch_test, a_guest_vm_has_tables_from_its_creation_to_its_end)
{
    const auto vm = call(abi::vm_op, abi::vm_op_create_vm_idx);
    ASSERT_EQ(vm.rax, abi::status_success);
    EXPECT_EQ(objects->vms[vm.rdi].tables_phys, 0x7000U);
    p.vm_init_ok = false;
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_create_vm_idx), abi::status_failure_unknown) << "no page for its tables";
    EXPECT_FALSE(objects->vms[vm.rdi + 1].used) << "and no VM";
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_destroy_vm_idx, h, vm.rdi), abi::status_success);
    ASSERT_EQ(p.vms_freed.size(), 1U);
    EXPECT_EQ(p.vms_freed[0], &objects->vms[vm.rdi]);
}

TEST_F(dispatch_test, map_guest_checks_every_argument)
{
    const uint64_t vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
    constexpr uint64_t ram = 0x100000;  // the fake's root RAM: 0x100000-0x1FFFFF
    EXPECT_EQ(map(abi::root_vmid, 0, ram, 1), abi::status_invalid_input_reg1) << "the root VM's memory is fixed";
    EXPECT_EQ(map(vm + 1, 0, ram, 1), abi::status_invalid_input_reg1) << "no such VM";
    EXPECT_EQ(map(mk::max_vms, 0, ram, 1), abi::status_invalid_input_reg1);
    EXPECT_EQ(map(vm, 0x800, ram, 1), abi::status_invalid_input_reg2) << "a GPA not page-aligned";
    EXPECT_EQ(map(vm, abi::guest_gpa_limit, ram, 1), abi::status_invalid_input_reg2) << "beyond the tables";
    EXPECT_EQ(map(vm, 0, ram, 0), abi::status_invalid_input_reg4) << "no page";
    EXPECT_EQ(map(vm, 0, ram, abi::max_map_pages + 1), abi::status_invalid_input_reg4) << "too many";
    EXPECT_EQ(map(vm, abi::guest_gpa_limit - 0x1000, ram, 2), abi::status_invalid_input_reg4) << "past the limit";
    EXPECT_EQ(map(vm, 0, ram + 8, 1), abi::status_invalid_input_reg3) << "a root address not page-aligned";
    EXPECT_EQ(map(vm, 0, 0x1FF000, 2), abi::status_invalid_input_reg3) << "the second page is not the root VM's RAM";
    EXPECT_EQ(map(vm, 0, 0x1000, 1), abi::status_invalid_input_reg3) << "not RAM it may share (MicroV's)";
    EXPECT_EQ(map(vm, 0, ram, 1, abi::map_read | (1U << 4)), abi::status_invalid_input_reg5) << "an unknown flag";
    EXPECT_EQ(map(vm, 0, ram, 1, abi::map_write), abi::status_invalid_input_reg5) << "no read: not expressible";
    EXPECT_TRUE(p.guest_pages.empty()) << "nothing mapped by a refused call";
    EXPECT_TRUE(p.flushes.empty());

    EXPECT_EQ(map(vm, 0x2000, ram, 2, abi::map_read | abi::map_write | abi::map_execute), abi::status_success);
    ASSERT_EQ(p.guest_pages.size(), 2U);
    const auto second = p.guest_pages.at({&objects->vms[vm], 0x3000});
    EXPECT_EQ(second.first, ram + 0x1000);
    EXPECT_EQ(second.second, abi::map_read | abi::map_write | abi::map_execute);
    EXPECT_TRUE(p.flushes.empty()) << "a map takes nothing away";
}

TEST_F(dispatch_test, map_guest_is_all_or_nothing)
{
    const uint64_t vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
    ASSERT_EQ(map(vm, 0x3000, 0x100000, 1), abi::status_success);
    EXPECT_EQ(map(vm, 0x1000, 0x110000, 3), abi::status_invalid_input_reg2) << "its third page is mapped already";
    EXPECT_EQ(p.guest_pages.size(), 1U) << "the two before it are taken back";
    EXPECT_EQ(p.flushes, std::vector<uint16_t>{static_cast<uint16_t>(vm)}) << "which a running guest may have used";
    p.flushes.clear();
    p.map_budget = 2;
    EXPECT_EQ(map(vm, 0x10000, 0x120000, 5), abi::status_failure_unknown) << "the pool ran out";
    EXPECT_EQ(p.guest_pages.size(), 1U);
    EXPECT_EQ(p.flushes.size(), 1U);
    p.flushes.clear();
    p.map_budget = 0;
    EXPECT_EQ(map(vm, 0x10000, 0x120000, 1), abi::status_failure_unknown);
    EXPECT_TRUE(p.flushes.empty()) << "nothing was mapped, nothing to flush";
}

TEST_F(dispatch_test, unmap_guest_takes_all_or_nothing_and_flushes)
{
    const uint64_t vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
    ASSERT_EQ(map(vm, 0x1000, 0x100000, 2), abi::status_success);
    EXPECT_EQ(unmap(abi::root_vmid, 0x1000, 1), abi::status_invalid_input_reg1);
    EXPECT_EQ(unmap(vm, 0x1800, 1), abi::status_invalid_input_reg2);
    EXPECT_EQ(unmap(vm, 0x1000, 0), abi::status_invalid_input_reg4);
    EXPECT_EQ(unmap(vm, 0x1000, 3), abi::status_invalid_input_reg2) << "the third page is not mapped";
    EXPECT_EQ(p.guest_pages.size(), 2U);
    EXPECT_TRUE(p.flushes.empty());
    EXPECT_EQ(unmap(vm, 0x2000, 1), abi::status_success);
    EXPECT_EQ(p.guest_pages.size(), 1U);
    EXPECT_EQ(p.flushes, std::vector<uint16_t>{static_cast<uint16_t>(vm)});
    EXPECT_EQ(unmap(vm, 0x2000, 1), abi::status_invalid_input_reg2) << "twice";
}

TEST_F(dispatch_test, no_guest_vs_when_its_fpu_state_cannot_be_kept)
{
    const auto vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
    const auto vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, vm).rdi;
    p.fpu_fits = false;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 0), abi::status_failure_unsupported);
    EXPECT_TRUE(p.pages.empty()) << "nothing allocated";
    const auto root_vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid).rdi;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_create_vs_idx, h, root_vp, 0), abi::status_success)
        << "the root VM's state never leaves the CPU but for a guest";
}

TEST_F(dispatch_test, a_guest_vs_runs_on_any_pp_but_one_at_a_time)
{
    const uint64_t vs = guest_vs();
    const uint64_t vp = objects->vss[vs].vpid;
    const uint64_t vm = objects->vps[vp].vmid;
    EXPECT_EQ(objects->vss[vs].xcr0, 1U) << "x87 only, as after RESET";
    p.pp = 1;
    p.active_elsewhere = {static_cast<uint16_t>(vs)};
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_idx, h, vm, vp, vs), abi::status_failure_unknown)
        << "active on another PP";
    EXPECT_EQ(p.active, abi::invalid_id) << "not claimed";
    p.active_elsewhere.clear();
    const left l = leaves(abi::vs_op, abi::vs_op_run_idx, h, vm, vp, vs);
    EXPECT_EQ(l.how, "run");
    EXPECT_EQ(l.arg, vs);
    EXPECT_EQ(p.active, vs) << "claimed by this PP before it runs";
    EXPECT_EQ(leaves(abi::vs_op, abi::vs_op_run_idx, h, vm, vp, vs).how, "run") << "again, here";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_idx, h, 0, vp, vs), abi::status_invalid_input_reg3) << "wrong VM";

    const auto root_vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid).rdi;
    const auto plain = call(abi::vs_op, abi::vs_op_create_vs_idx, h, root_vp, 1).rdi;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_idx, h, 0, root_vp, plain), abi::status_invalid_input_reg3)
        << "a root VP's VS that holds no OS state";
}

TEST_F(dispatch_test, run_current_and_advance)
{
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_run_current_idx), abi::status_failure_unknown) << "nothing active";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_advance_ip_and_run_current_idx), abi::status_failure_unknown);
    const auto vs = root_vs();
    p.active = static_cast<uint16_t>(vs);
    EXPECT_EQ(leaves(abi::vs_op, abi::vs_op_run_current_idx).how, "run");
    EXPECT_EQ(leaves(abi::vs_op, abi::vs_op_advance_ip_and_run_current_idx).how, "run");
    EXPECT_EQ(fake_platform::vmcb(objects->vss[vs]).state.rip, 3U);
    p.advance_ok = false;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_advance_ip_and_run_current_idx), abi::status_failure_unknown)
        << "an exit whose length is unknown";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_migrate_idx), abi::status_failure_unsupported);
}

TEST_F(dispatch_test, inject_an_event_into_one_of_this_pps_vss)
{
    const auto vs = root_vs();
    const uint64_t gp = abi::event(13, abi::event_kind::exception, true, 0);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_inject_idx, h, vs, gp), abi::status_success);
    ASSERT_EQ(p.injected.size(), 1U);
    EXPECT_EQ(p.injected[0], gp);
    p.inject_ok = false;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_inject_idx, h, vs, 1), abi::status_invalid_input_reg2)
        << "an event the vendor code refuses";
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_inject_idx, h, 60, gp), abi::status_invalid_input_reg1) << "no VS";
    p.pp = 1;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_inject_idx, h, vs, gp), abi::status_invalid_input_reg1)
        << "another PP's VS";
    EXPECT_EQ(p.injected.size(), 2U);
}

TEST_F(dispatch_test, promote_only_the_active_root_vs)
{
    const auto vs = root_vs();
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_promote_idx, h, vs), abi::status_invalid_input_reg1) << "not active";
    const auto vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, abi::root_vmid).rdi;
    const auto plain = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 0).rdi;
    p.active = static_cast<uint16_t>(plain);
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_promote_idx, h, plain), abi::status_invalid_input_reg1) << "not root";
    p.active = static_cast<uint16_t>(vs);
    EXPECT_EQ(leaves(abi::vs_op, abi::vs_op_promote_idx, h, vs).how, "promote");
}

TEST_F(dispatch_test, a_refused_promote_fails_and_the_vs_stays)
{
    const auto vs = root_vs();
    p.active = static_cast<uint16_t>(vs);
    p.promote_refused = true;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_promote_idx, h, vs), abi::status_failure_unknown);
}

TEST_F(dispatch_test, intrinsics)
{
    for (const uint64_t msr : {0xC0010114ULL, 0xC0000080ULL, 0x277ULL}) {
        const auto f = call(abi::intrinsic_op, abi::intrinsic_op_rdmsr_idx, h, msr);
        EXPECT_EQ(f.rax, abi::status_success) << msr;
        EXPECT_EQ(f.rdi, 0x1000000ULL + msr);
    }
    EXPECT_EQ(call(abi::intrinsic_op, abi::intrinsic_op_rdmsr_idx, h, 0xC0010015).rdi, p.hwcr);
    EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_rdmsr_idx, h, 0xC0010117), abi::status_invalid_perm_denied);
    EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx, h, 0x277, 0), abi::status_invalid_perm_denied);
    EXPECT_EQ(status(abi::intrinsic_op, 2), abi::status_failure_unsupported);
    EXPECT_TRUE(p.msr_writes.empty());
}

TEST_F(dispatch_test, apic_base_writes_may_not_move_the_apic_page)
{
    const uint64_t base = 0x1000000ULL + 0x1B;  // what the fake reads: page 0x1000000, low bits 0x1B
    EXPECT_EQ(call(abi::intrinsic_op, abi::intrinsic_op_rdmsr_idx, h, 0x1B).rdi, base);
    EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx, h, 0x1B, base | 0xC00), abi::status_success)
        << "enable and x2APIC mode are the root VM's";
    EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx, h, 0x1B, base + 0x1000),
              abi::status_invalid_perm_denied);
    EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx, h, 0x1B, base | 1ULL << 40),
              abi::status_invalid_perm_denied);
    ASSERT_EQ(p.msr_writes.size(), 1U);
    EXPECT_EQ(p.msr_writes[0], (std::pair<uint32_t, uint64_t>{0x1B, base | 0xC00}));
}

TEST_F(dispatch_test, hwcr_writes_change_only_the_bits_the_root_vm_may_change)
{
    // Finding 10 of the isolation issue: the host runs with the root VM's HWCR.
    EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx, h, 0xC0010015, p.hwcr | 1U << 25),
              abi::status_success);
    EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx, h, 0xC0010015, p.hwcr | 1U << 30),
              abi::status_success);
    EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx, h, 0xC0010015, p.hwcr), abi::status_success);
    ASSERT_EQ(p.msr_writes.size(), 3U);
    EXPECT_EQ(p.msr_writes[0].second, p.hwcr | 1U << 25);
    // INVDWBINVD cleared, SmmLock or McStatusWrEn set, CpuidUserDis where the CPU lacks it: refused.
    for (const uint64_t v :
         std::initializer_list<uint64_t>{p.hwcr & ~0x10ULL, p.hwcr | 1U, p.hwcr | 1U << 18, p.hwcr | 1ULL << 35}) {
        EXPECT_EQ(status(abi::intrinsic_op, abi::intrinsic_op_wrmsr_idx, h, 0xC0010015, v),
                  abi::status_invalid_perm_denied)
            << std::hex << v;
    }
    EXPECT_EQ(p.msr_writes.size(), 3U);
}

TEST_F(dispatch_test, heap_pages)
{
    auto f = call(abi::mem_op, abi::mem_op_alloc_page_idx);
    EXPECT_EQ(f.rax, abi::status_success);
    EXPECT_EQ(f.rdi, mk::ext_heap_base);
    EXPECT_EQ(f.rsi, 0xABC000U);
    EXPECT_EQ(call(abi::mem_op, abi::mem_op_alloc_page_idx).rdi, mk::ext_heap_base + 0x1000);
    p.map_ok = false;
    EXPECT_EQ(status(abi::mem_op, abi::mem_op_alloc_page_idx), abi::status_failure_unknown);
    objects->heap_next = mk::ext_heap_pages;
    p.map_ok = true;
    EXPECT_EQ(status(abi::mem_op, abi::mem_op_alloc_page_idx), abi::status_failure_unknown) << "heap full";
    objects->heap_next = 2;

    EXPECT_EQ(status(abi::mem_op, abi::mem_op_free_page_idx, h, mk::ext_heap_base + 0x1000), abi::status_success);
    EXPECT_EQ(p.unmapped, std::vector<uint64_t>{mk::ext_heap_base + 0x1000});
    EXPECT_EQ(status(abi::mem_op, abi::mem_op_free_page_idx, h, mk::ext_heap_base - 0x1000),
              abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::mem_op, abi::mem_op_free_page_idx, h, mk::ext_heap_base + 0x2000),
              abi::status_invalid_input_reg1)
        << "never handed out";
    EXPECT_EQ(status(abi::mem_op, abi::mem_op_free_page_idx, h, mk::ext_heap_base + 8), abi::status_invalid_input_reg1);
    EXPECT_EQ(status(abi::mem_op, abi::mem_op_alloc_huge_idx), abi::status_failure_unsupported);
}

TEST_F(dispatch_test, direct_map_of_root_vm_pages)
{
    auto f = call(abi::vm_op, abi::vm_op_map_direct_idx, h, abi::root_vmid, 0x150000);
    EXPECT_EQ(f.rax, abi::status_success);
    EXPECT_EQ(f.rdi, 0x500000150000ULL);
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_map_direct_idx, h, 1, 0x150000), abi::status_invalid_input_reg1)
        << "only the root VM";
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_map_direct_idx, h, abi::root_vmid, 0x250000),
              abi::status_invalid_input_reg2)
        << "a page the root VM may not share";
    p.direct_ok = false;
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_map_direct_idx, h, abi::root_vmid, 0x150000), abi::status_failure_unknown);

    EXPECT_EQ(status(abi::vm_op, abi::vm_op_unmap_direct_idx, h, abi::root_vmid, 0x500000150000ULL),
              abi::status_success);
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_unmap_direct_idx, h, abi::root_vmid, 0xBAD000),
              abi::status_invalid_input_reg2);
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_unmap_direct_idx, h, 2, 0x500000150000ULL), abi::status_invalid_input_reg1);
}

TEST_F(dispatch_test, unknown_opcodes) { EXPECT_EQ(status(0x6642000000090000ULL, 0), abi::status_failure_unsupported); }

// ---- a guest's VS state: its memory, interrupts and x87/SSE/AVX state ----

TEST_F(dispatch_test, guest_page_finds_a_guests_gpa_in_the_root_vms_ram)
{
    const uint64_t vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
    ASSERT_EQ(map(vm, 0x2000, 0x150000, 1, abi::map_read | abi::map_write), abi::status_success);
    ASSERT_EQ(map(vm, 0x7000, 0x160000, 1, abi::map_read | abi::map_execute), abi::status_success);
    auto f = call(abi::vm_op, abi::vm_op_guest_page_idx, h, vm, 0x2ABC);
    EXPECT_EQ(f.rax, abi::status_success);
    EXPECT_EQ(f.rdi, 0x150000U | abi::map_read | abi::map_write) << "the page, with its rights";
    f = call(abi::vm_op, abi::vm_op_guest_page_idx, h, vm, 0x7000);
    EXPECT_EQ(f.rax, abi::status_success);
    EXPECT_EQ(f.rdi, 0x160000U | abi::map_read | abi::map_execute);

    f = call(abi::vm_op, abi::vm_op_guest_page_idx, h, vm, 0x3000);
    EXPECT_EQ(f.rax, abi::status_invalid_input_reg2) << "not mapped";
    EXPECT_EQ(f.rdi, h) << "rdi untouched by a refusal";
    p.guest_pages[{&objects->vms[vm], abi::guest_gpa_limit}] = {0x170000, abi::map_read};
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_guest_page_idx, h, vm, abi::guest_gpa_limit),
              abi::status_invalid_input_reg2)
        << "beyond a guest's GPAs, whatever the tables say";
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_guest_page_idx, h, vm, ~0ULL), abi::status_invalid_input_reg2);
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_guest_page_idx, h, abi::root_vmid, 0x2000), abi::status_invalid_input_reg1)
        << "the root VM's GPAs are its RAM";
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_guest_page_idx, h, vm + 1, 0x2000), abi::status_invalid_input_reg1)
        << "no such VM";
    EXPECT_EQ(status(abi::vm_op, abi::vm_op_guest_page_idx, h, mk::max_vms, 0x2000), abi::status_invalid_input_reg1);
}

TEST_F(dispatch_test, queue_interrupt_into_a_guests_vs_this_pp_may_reach)
{
    const uint64_t root = root_vs();
    const uint64_t vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
    const uint64_t vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, vm).rdi;
    const uint64_t vs = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 1).rdi;  // made on PP 1
    const uint64_t other = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 0).rdi;
    const auto queue = [&](uint64_t id, uint64_t vector) {
        return status(abi::vs_op, abi::vs_op_queue_interrupt_idx, h, id, vector);
    };
    EXPECT_EQ(queue(root, 0x30), abi::status_invalid_input_reg1) << "the root VM's VS";
    EXPECT_EQ(queue(60, 0x30), abi::status_invalid_input_reg1) << "no VS";
    p.active_elsewhere = {static_cast<uint16_t>(vs)};
    EXPECT_EQ(queue(vs, 0x30), abi::status_invalid_input_reg1) << "active on another PP";
    p.active_elsewhere.clear();
    EXPECT_TRUE(p.queued.empty());
    EXPECT_EQ(queue(vs, 15), abi::status_invalid_input_reg2) << "an exception's vector";
    EXPECT_EQ(queue(vs, 256), abi::status_invalid_input_reg2);
    EXPECT_TRUE(p.queued.empty());
    EXPECT_EQ(queue(vs, 16), abi::status_success) << "made on PP 1, active nowhere: reached from PP 0";
    EXPECT_EQ(p.queued.at(&objects->vss[vs]), 16U);
    EXPECT_EQ(queue(vs, 0x40), abi::status_failure_unknown) << "the first still waits";
    EXPECT_EQ(p.queued.at(&objects->vss[vs]), 16U);
    p.active = static_cast<uint16_t>(other);  // this PP's exit
    EXPECT_EQ(queue(other, 255), abi::status_success);
    EXPECT_EQ(p.queued.at(&objects->vss[other]), 255U);
    EXPECT_EQ(objects->lock, 0U);
}

TEST_F(dispatch_test, fpu_read_and_write_between_a_guests_vs_and_a_page_of_the_extensions)
{
    const uint64_t root = root_vs();
    const uint64_t vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
    const uint64_t vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, vm).rdi;
    const uint64_t vs = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 1).rdi;
    constexpr uint64_t page = mk::ext_heap_base + 0x3000;
    p.ext_pages[page] = std::make_unique<uint8_t[]>(4096);
    using pairs = std::vector<std::pair<const mk::vs_slot *, bool>>;
    for (const bool write : {false, true}) {
        SCOPED_TRACE(write);
        const uint64_t idx = write ? abi::vs_op_fpu_write_idx : abi::vs_op_fpu_read_idx;
        p.ext_pages_asked.clear();
        EXPECT_EQ(status(abi::vs_op, idx, h, root, page, abi::fpu_legacy), abi::status_invalid_input_reg1);
        EXPECT_EQ(status(abi::vs_op, idx, h, 60, page, abi::fpu_legacy), abi::status_invalid_input_reg1);
        p.active_elsewhere = {static_cast<uint16_t>(vs)};
        EXPECT_EQ(status(abi::vs_op, idx, h, vs, page, abi::fpu_legacy), abi::status_invalid_input_reg1);
        p.active_elsewhere.clear();
        EXPECT_EQ(status(abi::vs_op, idx, h, vs, page + 8, 7), abi::status_invalid_input_reg2) << "unaligned, first";
        EXPECT_EQ(status(abi::vs_op, idx, h, vs, page, 2), abi::status_invalid_input_reg3) << "neither form";
        EXPECT_TRUE(p.ext_pages_asked.empty()) << "checked before the page is looked up";
        EXPECT_EQ(status(abi::vs_op, idx, h, vs, page + 0x1000, abi::fpu_whole), abi::status_invalid_input_reg2)
            << "not a page of the extension's";
        EXPECT_TRUE(p.fpu_reads.empty() && p.fpu_writes.empty());
        EXPECT_EQ(status(abi::vs_op, idx, h, vs, page, abi::fpu_legacy), abi::status_success);
        EXPECT_EQ(status(abi::vs_op, idx, h, vs, page, abi::fpu_whole), abi::status_success);
        EXPECT_EQ(p.ext_pages_asked,
                  (std::vector<std::pair<uint64_t, bool>>{{page + 0x1000, !write}, {page, !write}, {page, !write}}))
            << "writable for a read into it";
        EXPECT_EQ(write ? p.fpu_writes : p.fpu_reads, (pairs{{&objects->vss[vs], false}, {&objects->vss[vs], true}}));
        EXPECT_TRUE((write ? p.fpu_reads : p.fpu_writes).empty());
        p.fpu_ok = false;
        EXPECT_EQ(status(abi::vs_op, idx, h, vs, page, abi::fpu_whole), abi::status_failure_unknown)
            << "an area XRSTOR would refuse";
        p.fpu_ok = true;
        p.fpu_reads.clear();
        p.fpu_writes.clear();
    }
    EXPECT_EQ(objects->lock, 0U);
}

/// A guest's VS made on PP 1, with the registers bf_vs_op_read/write and bf_vs_op_inject reach.
class guest_vs_reach : public dispatch_test {
protected:
    void SetUp() override
    {
        dispatch_test::SetUp();
        const uint64_t vm = call(abi::vm_op, abi::vm_op_create_vm_idx).rdi;
        const uint64_t vp = call(abi::vp_op, abi::vp_op_create_vp_idx, h, vm).rdi;
        vs = call(abi::vs_op, abi::vs_op_create_vs_idx, h, vp, 1).rdi;
        ASSERT_EQ(objects->vss[vs].ppid, 1U);
    }
    /// Read, write and inject from this PP: their statuses.
    std::vector<uint64_t> reach()
    {
        const auto rbx = static_cast<uint64_t>(abi::reg::rbx);
        return {status(abi::vs_op, abi::vs_op_read_idx, h, vs, rbx),
                status(abi::vs_op, abi::vs_op_write_idx, h, vs, rbx, 0x66),
                status(abi::vs_op, abi::vs_op_inject_idx, h, vs, abi::event(6, abi::event_kind::exception, false, 0))};
    }
    const std::vector<uint64_t> ok{abi::status_success, abi::status_success, abi::status_success};
    const std::vector<uint64_t> refused{abi::status_invalid_input_reg1, abi::status_invalid_input_reg1,
                                        abi::status_invalid_input_reg1};
    uint64_t vs = 0;
};

TEST_F(guest_vs_reach, from_the_pp_that_has_it_active_though_made_on_another)
{
    p.pp = 0;
    p.active = static_cast<uint16_t>(vs);  // PP 0 runs it: this is its exit
    EXPECT_EQ(reach(), ok);
    EXPECT_EQ(p.injected.size(), 1U);
    EXPECT_EQ(call(abi::vs_op, abi::vs_op_read_idx, h, vs, static_cast<uint64_t>(abi::reg::rbx)).rdi, 0x66U);
    EXPECT_EQ(p.tls_syncs, 1) << "the write to the active VS shows in the TLS block";
    p.inject_ok = false;
    EXPECT_EQ(status(abi::vs_op, abi::vs_op_inject_idx, h, vs, 1), abi::status_invalid_input_reg2)
        << "an event the vendor code refuses";
    EXPECT_EQ(objects->lock, 0U);
}

TEST_F(guest_vs_reach, not_while_another_pp_has_it_active_even_from_the_pp_it_was_made_on)
{
    p.pp = 0;
    p.active_elsewhere = {static_cast<uint16_t>(vs)};  // PP 1 runs it
    EXPECT_EQ(reach(), refused);
    p.pp = 1;  // its own PP, while PP 0 runs it
    EXPECT_EQ(reach(), refused) << "it may be in VMRUN on the other PP";
    EXPECT_TRUE(p.injected.empty());
    p.active_elsewhere.clear();
    EXPECT_EQ(reach(), ok) << "active nowhere";
    p.pp = 0;
    EXPECT_EQ(reach(), ok) << "from any PP";
    EXPECT_EQ(objects->lock, 0U);
}

}  // namespace
