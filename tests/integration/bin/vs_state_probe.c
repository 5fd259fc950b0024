/* SPDX-License-Identifier: MIT */
/*
 * The VS state hypercalls of a guest (spec 2.15), end to end: each scenario makes a guest VM, VP
 * and VS from the root VM's kernel through the test module hypercall_kprobe (as guest_probe does),
 * maps the module's 64 guest pages at GPA 0, makes the calls, and where it matters runs a few
 * bytes of 16-bit guest code to see that what was set is what the guest's CPU holds. Every check
 * prints one line:
 *   check NAME: ok
 *   check NAME: FAILED (what came instead)
 *   vs_state_probe [--cpu N] SCENARIO
 *     regs      mv_vs_op_reg_get_list / reg_set_list (all or none)
 *     msrs      mv_vs_op_msr_get / msr_set and their lists; the guest's RDMSR of STAR sees the value
 *     cpuid     mv_vs_op_cpuid_get / set and their lists; the guest's CPUID sees a feature taken
 *     mp        mv_vs_op_mp_state_get / set, and what running and HLT do to it
 *     events    mv_vs_op_inject_exception / queue_interrupt into a real-mode guest with handlers
 *     translate mv_vs_op_gva_to_gla / gla_to_gpa over the guest's own 4-level page tables
 *     fpu       mv_vs_op_fpu_get_all / set_all and xsave_get_all / set_all; the guest reads XMM0
 *     tsc       mv_vs_op_tsc_get_khz
 *   vs_state_probe [--cpu N] bench COUNT
 *               a benchmark, not a test: "microv-cpuid NS ns" (a guest CPUID MicroV answers) and
 *               "microv-pio NS ns" (a guest OUT's round trip to this process) and "microv-mmio NS ns"
 *               (a guest MOV to memory nothing maps, the same), as kvm_exit_bench
 *   vs_state_probe [--cpu N] cycles COUNT
 *               COUNT times: a handle opened, a guest made, mapped, run to its HLT, and destroyed
 *               (every other time by closing the handle alone); "cycles N of COUNT: ok|FAILED"
 * Exit status: 0 when every check passed, 1 when one failed, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include "../modules/hypercall_kprobe.h"

#include <microv/hypercall.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define PAGE_BYTES MV_KPROBE_PAGE_BYTES
#define GUEST_PAGES MV_KPROBE_GUEST_PAGES_COUNT
#define NOT_MADE 0xFFFFFFFFFFFFFFFFULL
#define CODE_GPA 0x1000ULL

/* mv_reg_t numbers (spec 1.4.2). */
enum {
    R_RAX = 1,
    R_RBX = 2,
    R_RCX = 3,
    R_RSP = 16,
    R_RIP = 17,
    R_ES = 19, /* each segment: selector, attrib, limit, base */
    R_CS = 23,
    R_SS = 27,
    R_DS = 31,
    R_FS = 35,
    R_CR0 = 65,
    R_CR3 = 67,
    R_CR4 = 68,
    R_XCR0 = 70,
};

static int dev = -1;
static uint64_t handle;
static int failures;
static uint64_t vm, vp, vs;

static uint64_t vsop(uint64_t idx) { return mv_rax(MV_VS_OP_VAL, idx); }

static uint64_t hypercall(uint64_t rax, uint64_t reg1, uint64_t reg2, uint64_t reg3, uint32_t flags, uint64_t *reg0)
{
    struct mv_kprobe_call c = {rax, handle, reg1, reg2, reg3, flags, 0};
    if (ioctl(dev, MV_KPROBE_HYPERCALL, &c) != 0) {
        fprintf(stderr, "vs_state_probe: ioctl: %s\n", strerror(errno));
        return NOT_MADE;
    }
    if (reg0 != NULL) {
        *reg0 = c.reg0;
    }
    return c.rax;
}

/* One check's line; fmt (with up to two values) says what came instead. */
static void check(const char *name, int ok, const char *fmt, unsigned long long a, unsigned long long b)
{
    if (ok) {
        printf("check %s: ok\n", name);
        return;
    }
    printf("check %s: FAILED (", name);
    printf(fmt, a, b);
    printf(")\n");
    ++failures;
}

/* A call whose status must be want. */
static void expect_status(const char *name, uint64_t want, uint64_t rax, uint64_t reg1, uint64_t reg2, uint64_t reg3)
{
    const uint64_t st = hypercall(rax, reg1, reg2, reg3, 0, NULL);
    check(name, st == want, "status 0x%llx, expected 0x%llx", (unsigned long long)st, (unsigned long long)want);
}

/* A call that must succeed with REG0 want. */
static void expect_value(const char *name, uint64_t want, uint64_t rax, uint64_t reg1, uint64_t reg2, uint64_t reg3)
{
    uint64_t v = 0;
    const uint64_t st = hypercall(rax, reg1, reg2, reg3, 0, &v);
    check(name, st == MV_STATUS_SUCCESS && v == want, "status 0x%llx reg0 0x%llx", (unsigned long long)st,
          (unsigned long long)v);
}

static uint64_t reg_get(uint64_t reg)
{
    uint64_t v = 0;
    if (hypercall(vsop(MV_VS_OP_REG_GET_IDX_VAL), vs, reg, 0, 0, &v) != MV_STATUS_SUCCESS) {
        check("reg_get (setup)", 0, "register %llu", (unsigned long long)reg, 0);
    }
    return v;
}

static void reg_set(uint64_t reg, uint64_t val)
{
    if (hypercall(vsop(MV_VS_OP_REG_SET_IDX_VAL), vs, reg, val, 0, NULL) != MV_STATUS_SUCCESS) {
        check("reg_set (setup)", 0, "register %llu value 0x%llx", (unsigned long long)reg, (unsigned long long)val);
    }
}

static int page_write(const void *page) { return pwrite(dev, page, PAGE_BYTES, 0) == PAGE_BYTES; }
static int page_read(void *page) { return pread(dev, page, PAGE_BYTES, 0) == PAGE_BYTES; }

static int ram_write(uint64_t gpa, const void *buf, size_t n)
{
    return pwrite(dev, buf, n, (off_t)(MV_KPROBE_GUEST_OFFSET + gpa)) == (ssize_t)n;
}

/* The guest: its VM, VP and VS on this CPU, the 64 pages at GPA 0, real mode at CODE_GPA. */
static int make_guest(void)
{
    static struct mv_mdl_t mdl;
    struct mv_kprobe_guest_pages ram;
    if (hypercall(mv_rax(MV_VM_OP_VAL, MV_VM_OP_CREATE_VM_IDX_VAL), 0, 0, 0, 0, &vm) != MV_STATUS_SUCCESS ||
        hypercall(mv_rax(MV_VP_OP_VAL, MV_VP_OP_CREATE_VP_IDX_VAL), vm, 0, 0, 0, &vp) != MV_STATUS_SUCCESS ||
        hypercall(vsop(MV_VS_OP_CREATE_VS_IDX_VAL), vp, 0, 0, 0, &vs) != MV_STATUS_SUCCESS ||
        ioctl(dev, MV_KPROBE_GUEST_PAGES, &ram) != 0) {
        fprintf(stderr, "vs_state_probe: no guest\n");
        return 0;
    }
    memset(&mdl, 0, sizeof(mdl));
    mdl.num_entries = GUEST_PAGES;
    for (int i = 0; i < GUEST_PAGES; ++i) {
        mdl.entries[i] =
            (struct mv_mdl_entry_t){(uint64_t)i * PAGE_BYTES, ram.phys[i], PAGE_BYTES,
                                    MV_MAP_FLAG_READ_ACCESS | MV_MAP_FLAG_WRITE_ACCESS | MV_MAP_FLAG_EXECUTE_ACCESS};
    }
    if (!page_write(&mdl) ||
        hypercall(mv_rax(MV_VM_OP_VAL, MV_VM_OP_MMIO_MAP_IDX_VAL), vm, MV_ROOT_VMID, 0, 0, NULL) != MV_STATUS_SUCCESS) {
        fprintf(stderr, "vs_state_probe: the guest's RAM was not mapped\n");
        return 0;
    }
    const uint64_t zero_segs[] = {R_ES, R_CS, R_SS, R_DS};
    for (size_t i = 0; i < sizeof(zero_segs) / sizeof(zero_segs[0]); ++i) {
        reg_set(zero_segs[i], 0);
        reg_set(zero_segs[i] + 3, 0);
    }
    reg_set(R_RIP, CODE_GPA);
    reg_set(R_RSP, 0x8000);
    return 1;
}

static void destroy_guest(void)
{
    hypercall(vsop(MV_VS_OP_DESTROY_VS_IDX_VAL), vs, 0, 0, 0, NULL);
    hypercall(mv_rax(MV_VP_OP_VAL, MV_VP_OP_DESTROY_VP_IDX_VAL), vp, 0, 0, 0, NULL);
    hypercall(mv_rax(MV_VM_OP_VAL, MV_VM_OP_DESTROY_VM_IDX_VAL), vm, 0, 0, 0, NULL);
}

/* Runs the guest until an exit other than an interrupt or NMI; its reason, the exit in *page. */
static uint64_t run_with(const struct mv_run_t *first, uint8_t *page, uint64_t *status)
{
    static struct mv_run_t none;
    for (int i = 0; i < 10000; ++i) {
        uint64_t reason = 0;
        if (!page_write(i == 0 ? first : &none)) {
            break;
        }
        *status = hypercall(vsop(MV_VS_OP_RUN_IDX_VAL), vs, 0, 0, 0, &reason);
        if (*status != MV_STATUS_SUCCESS) {
            return NOT_MADE;
        }
        if (reason != MV_EXIT_REASON_INTERRUPT && reason != MV_EXIT_REASON_NMI) {
            page_read(page);
            return reason;
        }
    }
    *status = NOT_MADE;
    return NOT_MADE;
}

static uint64_t run(uint8_t *page, uint64_t *status)
{
    static struct mv_run_t none;
    return run_with(&none, page, status);
}

/* Runs to the next exit, which must be an OUT to port with data: the guest's report. */
static void expect_out(const char *name, uint64_t port, uint64_t data)
{
    static uint8_t page[PAGE_BYTES];
    uint64_t status = 0;
    const uint64_t reason = run(page, &status);
    const struct mv_exit_io_t *io = (const void *)page;
    if (reason != MV_EXIT_REASON_IO) {
        check(name, 0, "run status 0x%llx exit reason 0x%llx", (unsigned long long)status, (unsigned long long)reason);
        return;
    }
    check(name, io->addr == port && io->data == data, "port 0x%llx data 0x%llx", (unsigned long long)io->addr,
          (unsigned long long)io->data);
}

static void load_code(const uint8_t *code, size_t n, uint64_t gpa) { ram_write(gpa, code, n); }

/* ---- scenarios ---- */

static void rdl_page(struct mv_rdl_t *l, const uint64_t (*entries)[2], uint64_t n)
{
    memset(l, 0, sizeof(*l));
    l->num_entries = n;
    for (uint64_t i = 0; i < n; ++i) {
        l->entries[i].reg = entries[i][0];
        l->entries[i].val = entries[i][1];
    }
}

/* An RDL call with entries, the list's num_entries num (n when 0). */
static uint64_t rdl_call_num(uint64_t idx, const uint64_t (*entries)[2], uint64_t n, uint64_t num, struct mv_rdl_t *out)
{
    static struct mv_rdl_t l;
    rdl_page(&l, entries, n);
    l.num_entries = num != 0 ? num : n;
    if (!page_write(&l)) {
        return NOT_MADE;
    }
    const uint64_t st = hypercall(vsop(idx), vs, 0, 0, 0, NULL);
    page_read(out);
    return st;
}

static uint64_t rdl_call(uint64_t idx, const uint64_t (*entries)[2], uint64_t n, struct mv_rdl_t *out)
{
    return rdl_call_num(idx, entries, n, 0, out);
}

static void scenario_regs(void)
{
    static struct mv_rdl_t out;
    const uint64_t set[][2] = {{R_RAX, 0x1111}, {R_RBX, 0x2222}, {R_RCX, 0x3333}};
    check("reg_set_list", rdl_call(MV_VS_OP_REG_SET_LIST_IDX_VAL, set, 3, &out) == MV_STATUS_SUCCESS, "%llu%.0llu", 0,
          0);
    const uint64_t get[][2] = {{R_RCX, 0}, {R_RAX, 0}, {R_RBX, 0}, {R_CR0, 0}};
    const uint64_t st = rdl_call(MV_VS_OP_REG_GET_LIST_IDX_VAL, get, 4, &out);
    check("reg_get_list",
          st == MV_STATUS_SUCCESS && out.entries[0].val == 0x3333 && out.entries[1].val == 0x1111 &&
              out.entries[2].val == 0x2222 && out.entries[3].val == 0x60000010,
          "status 0x%llx first 0x%llx", (unsigned long long)st, (unsigned long long)out.entries[0].val);
    /* All or none: XCR0 without x87 is refused after RAX was set, which goes back. */
    const uint64_t partly[][2] = {{R_RAX, 0x5555}, {R_XCR0, 0x2}};
    const uint64_t st2 = rdl_call(MV_VS_OP_REG_SET_LIST_IDX_VAL, partly, 2, &out);
    check("reg_set_list refused", st2 == MV_STATUS_FAILURE_UNSUPPORTED, "status 0x%llx", (unsigned long long)st2, 0);
    check("reg_set_list all or none", reg_get(R_RAX) == 0x1111, "rax 0x%llx", (unsigned long long)reg_get(R_RAX), 0);
    const uint64_t bad[][2] = {{R_RAX, 1}, {71, 1}};
    check("reg_set_list bad entry", rdl_call(MV_VS_OP_REG_SET_LIST_IDX_VAL, bad, 2, &out) == MV_STATUS_FAILURE_UNKNOWN,
          "refused", 0, 0);
    check("reg_get_list too long",
          rdl_call_num(MV_VS_OP_REG_GET_LIST_IDX_VAL, get, 4, 251, &out) == MV_STATUS_FAILURE_UNKNOWN, "refused", 0, 0);
    expect_status("reg_get_list root vs", MV_STATUS_INVALID_INPUT_REG1, vsop(MV_VS_OP_REG_GET_LIST_IDX_VAL), 0, 0, 0);
}

static void scenario_msrs(void)
{
    static struct mv_rdl_t out;
    const uint64_t get = vsop(MV_VS_OP_MSR_GET_IDX_VAL), set = vsop(MV_VS_OP_MSR_SET_IDX_VAL);
    expect_status("msr_set star", MV_STATUS_SUCCESS, set, vs, 0xC0000081, 0x0023001000000000ULL);
    expect_value("msr_get star", 0x0023001000000000ULL, get, vs, 0xC0000081, 0);
    expect_status("msr_set lstar", MV_STATUS_SUCCESS, set, vs, 0xC0000082, 0xFFFFFFFF81000000ULL);
    expect_value("msr_get lstar", 0xFFFFFFFF81000000ULL, get, vs, 0xC0000082, 0);
    expect_status("msr_set lstar not canonical", MV_STATUS_INVALID_INPUT_REG3, set, vs, 0xC0000082,
                  0x0000800000000000ULL);
    expect_status("msr_set pat bad type", MV_STATUS_INVALID_INPUT_REG3, set, vs, 0x277, 0x0007040600070402ULL);
    expect_status("msr_get apic base", MV_STATUS_FAILURE_UNSUPPORTED, get, vs, 0x1B, 0);
    expect_value("msr_get efer no svme", 0, get, vs, 0xC0000080, 0);
    expect_status("msr_set efer svme", MV_STATUS_INVALID_INPUT_REG3, set, vs, 0xC0000080, 1U << 12);
    expect_status("msr_set efer nxe", MV_STATUS_SUCCESS, set, vs, 0xC0000080, 1U << 11);
    expect_value("msr_get efer nxe", 1U << 11, get, vs, 0xC0000080, 0);
    expect_status("msr_get root vs", MV_STATUS_INVALID_INPUT_REG1, get, 0, 0xC0000081, 0);
    /* Lists: all or none. */
    const uint64_t partly[][2] = {{0xC0000081, 0x1}, {0xC0000083, 0x0000800000000000ULL}};
    check("msr_set_list refused", rdl_call(MV_VS_OP_MSR_SET_LIST_IDX_VAL, partly, 2, &out) == MV_STATUS_FAILURE_UNKNOWN,
          "refused", 0, 0);
    expect_value("msr_set_list all or none", 0x0023001000000000ULL, get, vs, 0xC0000081, 0);
    const uint64_t both[][2] = {{0xC0000083, 0xFFFFFFFF81000100ULL}, {0xC0000084, 0x47700}};
    check("msr_set_list", rdl_call(MV_VS_OP_MSR_SET_LIST_IDX_VAL, both, 2, &out) == MV_STATUS_SUCCESS, "%llu%.0llu", 0,
          0);
    const uint64_t names[][2] = {{0xC0000084, 0}, {0xC0000083, 0}, {0xC0000081, 0}};
    const uint64_t st = rdl_call(MV_VS_OP_MSR_GET_LIST_IDX_VAL, names, 3, &out);
    check("msr_get_list",
          st == MV_STATUS_SUCCESS && out.entries[0].val == 0x47700 && out.entries[1].val == 0xFFFFFFFF81000100ULL &&
              out.entries[2].val == 0x0023001000000000ULL,
          "status 0x%llx first 0x%llx", (unsigned long long)st, (unsigned long long)out.entries[0].val);
    const uint64_t unknown[][2] = {{0x1B, 0}};
    check("msr_get_list unsupported",
          rdl_call(MV_VS_OP_MSR_GET_LIST_IDX_VAL, unknown, 1, &out) == MV_STATUS_FAILURE_UNKNOWN, "refused", 0, 0);
    /* The guest's own RDMSR of STAR (it does not exit) sees what was set: mov ecx, 0xC0000081;
     * rdmsr; out 0x33, eax; mov eax, edx; out 0x33, eax; hlt. */
    static const uint8_t code[] = {0x66, 0xb9, 0x81, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x66,
                                   0xe7, 0x33, 0x66, 0x89, 0xd0, 0x66, 0xe7, 0x33, 0xf4};
    load_code(code, sizeof(code), CODE_GPA);
    expect_out("guest rdmsr star low", 0x33, 0);
    expect_out("guest rdmsr star high", 0x33, 0x00230010);
}

static void cdl_one(struct mv_cdl_entry_t *e, uint32_t fun, uint32_t idx, uint32_t ecx)
{
    memset(e, 0, sizeof(*e));
    e->fun = fun;
    e->idx = idx;
    e->eax = e->ebx = e->edx = 0xFFFFFFFFU;
    e->ecx = ecx;
}

static void scenario_cpuid(void)
{
    static struct mv_cdl_t l;
    static uint8_t page[PAGE_BYTES];
    struct mv_cdl_entry_t *e = (void *)page;
    const uint32_t hypervisor = 1U << 31;
    cdl_one(e, 1, 0, 0);
    page_write(page);
    uint64_t st = hypercall(vsop(MV_VS_OP_CPUID_GET_IDX_VAL), vs, 0, 0, 0, NULL);
    page_read(page);
    check("cpuid_get leaf 1 hypervisor bit", st == MV_STATUS_SUCCESS && (e->ecx & hypervisor) != 0,
          "status 0x%llx ecx 0x%llx", (unsigned long long)st, (unsigned long long)e->ecx);
    cdl_one(e, 1, 0, ~hypervisor);
    page_write(page);
    expect_status("cpuid_set leaf 1 without it", MV_STATUS_SUCCESS, vsop(MV_VS_OP_CPUID_SET_IDX_VAL), vs, 0, 0);
    cdl_one(e, 1, 0, 0);
    page_write(page);
    st = hypercall(vsop(MV_VS_OP_CPUID_GET_IDX_VAL), vs, 0, 0, 0, NULL);
    page_read(page);
    check("cpuid_get after set", st == MV_STATUS_SUCCESS && (e->ecx & hypervisor) == 0, "status 0x%llx ecx 0x%llx",
          (unsigned long long)st, (unsigned long long)e->ecx);
    /* Lists: leaf 0 (the vendor), leaf 7.0; then a set of 7.0 taking everything; flags are REVZ. */
    memset(&l, 0, sizeof(l));
    l.num_entries = 2;
    cdl_one(&l.entries[0], 0, 0, 0);
    cdl_one(&l.entries[1], 7, 0, 0);
    page_write(&l);
    st = hypercall(vsop(MV_VS_OP_CPUID_GET_LIST_IDX_VAL), vs, 0, 0, 0, NULL);
    page_read(&l);
    check("cpuid_get_list vendor", st == MV_STATUS_SUCCESS && l.entries[0].ebx == 0x68747541,
          "status 0x%llx ebx 0x%llx", (unsigned long long)st, (unsigned long long)l.entries[0].ebx);
    memset(&l, 0, sizeof(l));
    l.num_entries = 1;
    l.entries[0].fun = 7;
    page_write(&l);
    expect_status("cpuid_set_list leaf 7 off", MV_STATUS_SUCCESS, vsop(MV_VS_OP_CPUID_SET_LIST_IDX_VAL), vs, 0, 0);
    cdl_one(&l.entries[0], 7, 0, 0);
    page_write(&l);
    st = hypercall(vsop(MV_VS_OP_CPUID_GET_LIST_IDX_VAL), vs, 0, 0, 0, NULL);
    page_read(&l);
    check("cpuid_get_list after set", st == MV_STATUS_SUCCESS && (l.entries[0].ebx | l.entries[0].ecx) == 0,
          "status 0x%llx ebx 0x%llx", (unsigned long long)st, (unsigned long long)l.entries[0].ebx);
    l.entries[0].flags = 1;
    page_write(&l);
    expect_status("cpuid_set_list flags", MV_STATUS_FAILURE_UNKNOWN, vsop(MV_VS_OP_CPUID_SET_LIST_IDX_VAL), vs, 0, 0);
    /* The guest's CPUID leaf 1 has no hypervisor bit now: mov eax, 1; cpuid; mov eax, ecx;
     * shr eax, 31; out 0x34, eax; hlt. */
    static const uint8_t code[] = {0x66, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0x66, 0x89,
                                   0xc8, 0x66, 0xc1, 0xe8, 0x1f, 0x66, 0xe7, 0x34, 0xf4};
    load_code(code, sizeof(code), CODE_GPA);
    expect_out("guest cpuid leaf 1 hypervisor bit", 0x34, 0);
}

static void scenario_mp(void)
{
    static uint8_t page[PAGE_BYTES];
    uint64_t status = 0;
    const uint64_t get = vsop(MV_VS_OP_MP_STATE_GET_IDX_VAL), set = vsop(MV_VS_OP_MP_STATE_SET_IDX_VAL);
    expect_value("mp_state_get initial", MV_MP_STATE_INITIAL, get, vs, 0, 0);
    expect_status("mp_state_set 5", MV_STATUS_INVALID_INPUT_REG2, set, vs, 5, 0);
    expect_status("mp_state_set init", MV_STATUS_SUCCESS, set, vs, MV_MP_STATE_INIT, 0);
    expect_value("mp_state_get init", MV_MP_STATE_INIT, get, vs, 0, 0);
    run(page, &status);
    check("run refused in init", status == MV_STATUS_FAILURE_UNKNOWN, "status 0x%llx", (unsigned long long)status, 0);
    expect_status("mp_state_set sipi", MV_STATUS_SUCCESS, set, vs, MV_MP_STATE_SIPI, 0);
    run(page, &status);
    check("run refused in sipi", status == MV_STATUS_FAILURE_UNKNOWN, "status 0x%llx", (unsigned long long)status, 0);
    expect_status("mp_state_set running", MV_STATUS_SUCCESS, set, vs, MV_MP_STATE_RUNNING, 0);
    static const uint8_t code[] = {0xf4, 0xe6, 0x35, 0xf4}; /* hlt; out 0x35, al; hlt */
    load_code(code, sizeof(code), CODE_GPA);
    const uint64_t reason = run(page, &status);
    check("run to hlt", reason == MV_EXIT_REASON_HLT, "reason 0x%llx status 0x%llx", (unsigned long long)reason,
          (unsigned long long)status);
    expect_value("mp_state_get after hlt", MV_MP_STATE_WAIT, get, vs, 0, 0);
    expect_out("run on after hlt", 0x35, reg_get(R_RAX) & 0xFF);
    expect_value("mp_state_get while it runs on", MV_MP_STATE_RUNNING, get, vs, 0, 0);
    expect_status("mp_state_get root vs", MV_STATUS_INVALID_INPUT_REG1, get, 0, 0, 0);
}

static void scenario_events(void)
{
    /* IVT: vector 6 (#UD) to 0:0x1100, vector 0x20 to 0:0x1200. Main at 0x1000: sti; out 0x31,
     * al; jmp $. Each handler: mov al, VECTOR; out 0x30, al; iret. */
    const uint32_t ivt6 = 0x1100, ivt20 = 0x1200;
    static const uint8_t main_code[] = {0xfb, 0xe6, 0x31, 0xeb, 0xfe};
    static const uint8_t h6[] = {0xb0, 0x06, 0xe6, 0x30, 0xcf};
    static const uint8_t h20[] = {0xb0, 0x20, 0xe6, 0x30, 0xcf};
    ram_write(6ULL * 4, &ivt6, 4);
    ram_write(0x20ULL * 4, &ivt20, 4);
    load_code(main_code, sizeof(main_code), CODE_GPA);
    load_code(h6, sizeof(h6), 0x1100);
    load_code(h20, sizeof(h20), 0x1200);
    const uint64_t inject = vsop(MV_VS_OP_INJECT_EXCEPTION_IDX_VAL), queue = vsop(MV_VS_OP_QUEUE_INTERRUPT_IDX_VAL);
    expect_out("the guest is ready", 0x31, reg_get(R_RAX) & 0xFF);
    expect_status("inject_exception 32", MV_STATUS_INVALID_INPUT_REG2, inject, vs, 32, 0);
    expect_status("inject_exception root vs", MV_STATUS_INVALID_INPUT_REG1, inject, 0, 6, 0);
    expect_status("inject_exception ud", MV_STATUS_SUCCESS, inject, vs, 6, 0);
    expect_status("inject_exception while one is pending", MV_STATUS_FAILURE_UNKNOWN, inject, vs, 6, 0);
    expect_out("the guest's #UD handler ran", 0x30, 6);
    expect_status("queue_interrupt 30", MV_STATUS_INVALID_INPUT_REG2, queue, vs, 30, 0);
    expect_status("queue_interrupt 256", MV_STATUS_INVALID_INPUT_REG2, queue, vs, 256, 0);
    expect_status("queue_interrupt 0x20", MV_STATUS_SUCCESS, queue, vs, 0x20, 0);
    expect_status("queue_interrupt while one waits", MV_STATUS_FAILURE_UNKNOWN, queue, vs, 0x21, 0);
    expect_out("the guest's interrupt handler ran", 0x30, 0x20);
    expect_status("queue_interrupt again once taken", MV_STATUS_SUCCESS, queue, vs, 0x20, 0);
    expect_out("and ran again", 0x30, 0x20);
}

/* Guest page tables: PML4 0x10000, PDPT 0x11000, PD 0x12000, PT 0x13000, PD 0x14000. */
static void scenario_translate(void)
{
    const uint64_t gva = vsop(MV_VS_OP_GVA_TO_GLA_IDX_VAL), gla = vsop(MV_VS_OP_GLA_TO_GPA_IDX_VAL);
    const uint64_t P = 1, W = 2, U = 4, PS = 0x80, NX = 1ULL << 63;
    /* 0x00007F0000203000 -> 0x5000 (4K, RW, user); 0x40000000 -> 0x200000 (2M, RO, NX, supervisor). */
    const uint64_t va4k = 0x00007F0000203000ULL;
    const uint64_t e_pml4 = 0x11000 | P | W | U, e_pdpt = 0x12000 | P | W | U, e_pd = 0x13000 | P | W | U,
                   e_pt = 0x5000 | P | W | U;
    ram_write(0x10000 + ((va4k >> 39) & 0x1FF) * 8, &e_pml4, 8);
    ram_write(0x11000 + ((va4k >> 30) & 0x1FF) * 8, &e_pdpt, 8);
    ram_write(0x12000 + ((va4k >> 21) & 0x1FF) * 8, &e_pd, 8);
    ram_write(0x13000 + ((va4k >> 12) & 0x1FF) * 8, &e_pt, 8);
    const uint64_t e_pml4_0 = 0x11000 | P | W, e_pdpt_1 = 0x14000 | P | W | U, e_2m = 0x200000 | P | PS | NX | U;
    ram_write(0x10000, &e_pml4_0, 8);
    ram_write(0x11000 + 8, &e_pdpt_1, 8);
    ram_write(0x14000, &e_2m, 8);
    /* Real mode (the RESET state's CS base is 0 here), then DS based at 0x12340. */
    reg_set(R_DS + 3, 0x12340);
    reg_set(R_DS + 2, 0xFFFF);
    expect_value("gva_to_gla real mode ds", 0x12350, gva, vs | ((uint64_t)MV_SSID_DS << 16), 0x10, 0);
    expect_status("gva_to_gla beyond the limit", MV_STATUS_FAILURE_UNKNOWN, gva, vs | ((uint64_t)MV_SSID_DS << 16),
                  0x10000, 0);
    expect_status("gva_to_gla ssid 6", MV_STATUS_INVALID_INPUT_REG1, gva, vs | (6ULL << 16), 0x10, 0);
    expect_value("gla_to_gpa no paging",
                 0x7000 | MV_MAP_FLAG_READ_ACCESS | MV_MAP_FLAG_WRITE_ACCESS | MV_MAP_FLAG_EXECUTE_ACCESS |
                     MV_MAP_FLAG_USER,
                 gla, vs, 0x7000, 0);
    /* Long mode: PE, PG; PAE; EFER LME, LMA, NXE; CS a 64-bit code segment; FS based at 0x1000. */
    reg_set(R_CR3, 0x10000);
    reg_set(R_CR4, 0x20);
    expect_status("msr_set efer long mode", MV_STATUS_SUCCESS, vsop(MV_VS_OP_MSR_SET_IDX_VAL), vs, 0xC0000080, 0xD00);
    reg_set(R_CR0, 0x80000011);
    reg_set(R_CS + 1, 0x29B);
    reg_set(R_FS + 3, 0x1000);
    expect_value("gva_to_gla 64-bit fs", 0x1010, gva, vs | ((uint64_t)MV_SSID_FS << 16), 0x10, 0);
    expect_value("gva_to_gla 64-bit ds flat", 0x10, gva, vs | ((uint64_t)MV_SSID_DS << 16), 0x10, 0);
    expect_status("gva_to_gla 64-bit not canonical", MV_STATUS_FAILURE_UNKNOWN, gva, vs | ((uint64_t)MV_SSID_GS << 16),
                  0x0000800000000000ULL, 0);
    expect_value("gla_to_gpa 4k",
                 0x5000 | MV_MAP_FLAG_READ_ACCESS | MV_MAP_FLAG_WRITE_ACCESS | MV_MAP_FLAG_EXECUTE_ACCESS |
                     MV_MAP_FLAG_USER | MV_MAP_FLAG_4K_PAGE,
                 gla, vs, va4k, 0);
    expect_value("gla_to_gpa 2m", 0x200000 | 0x5000 | MV_MAP_FLAG_READ_ACCESS | MV_MAP_FLAG_2M_PAGE, gla, vs,
                 0x40005000, 0);
    expect_status("gla_to_gpa not present", MV_STATUS_FAILURE_UNKNOWN, gla, vs, 0x80000000, 0);
    expect_status("gla_to_gpa not canonical", MV_STATUS_FAILURE_UNKNOWN, gla, vs, 0x0000800000000000ULL, 0);
    expect_status("gla_to_gpa unaligned", MV_STATUS_INVALID_INPUT_REG2, gla, vs, va4k | 8, 0);
    reg_set(R_CR3, 0x100000); /* tables outside the guest's memory */
    expect_status("gla_to_gpa tables not mapped", MV_STATUS_FAILURE_UNKNOWN, gla, vs, va4k, 0);
}

static void scenario_fpu(void)
{
    static uint8_t page[PAGE_BYTES], area[PAGE_BYTES];
    const uint64_t fget = vsop(MV_VS_OP_FPU_GET_ALL_IDX_VAL), fset = vsop(MV_VS_OP_FPU_SET_ALL_IDX_VAL);
    const uint64_t xget = vsop(MV_VS_OP_XSAVE_GET_ALL_IDX_VAL), xset = vsop(MV_VS_OP_XSAVE_SET_ALL_IDX_VAL);
    uint16_t fcw = 0;
    uint32_t mxcsr = 0, xmm0 = 0;
    uint64_t st = hypercall(fget, vs, 0, 0, 0, NULL);
    page_read(page);
    memcpy(&fcw, page, 2);
    memcpy(&mxcsr, page + 24, 4);
    check("fpu_get_all after reset", st == MV_STATUS_SUCCESS && fcw == 0x37F && mxcsr == 0x1F80,
          "fcw 0x%llx mxcsr 0x%llx", (unsigned long long)fcw, (unsigned long long)mxcsr);
    /* XMM0 = 0x11223344, and MXCSR with its precision flag set (flags are state too). */
    const uint32_t pattern = 0x11223344, mx = 0x1F80 | 0x20;
    memcpy(page + 160, &pattern, 4);
    memcpy(page + 24, &mx, 4);
    page_write(page);
    expect_status("fpu_set_all", MV_STATUS_SUCCESS, fset, vs, 0, 0);
    st = hypercall(fget, vs, 0, 0, 0, NULL);
    page_read(area);
    memcpy(&xmm0, area + 160, 4);
    memcpy(&mxcsr, area + 24, 4);
    check("fpu_get_all after set", st == MV_STATUS_SUCCESS && xmm0 == pattern && mxcsr == mx,
          "xmm0 0x%llx mxcsr 0x%llx", (unsigned long long)xmm0, (unsigned long long)mxcsr);
    const uint32_t bad = 0x80000000U;
    memcpy(area + 24, &bad, 4);
    page_write(area);
    expect_status("fpu_set_all reserved mxcsr bit", MV_STATUS_FAILURE_UNKNOWN, fset, vs, 0, 0);
    st = hypercall(xget, vs, 0, 0, 0, NULL);
    page_read(area);
    uint64_t xstate_bv = 0;
    memcpy(&xstate_bv, area + 512, 8);
    memcpy(&xmm0, area + 160, 4);
    memcpy(&mxcsr, area + 24, 4);
    check("xsave_get_all", st == MV_STATUS_SUCCESS && (xstate_bv & 3) == 3 && xmm0 == pattern && mxcsr == mx,
          "xstate_bv 0x%llx xmm0 0x%llx", (unsigned long long)xstate_bv, (unsigned long long)xmm0);
    expect_status("xsave_get_all page 1", MV_STATUS_INVALID_INPUT_REG2, xget, vs, 1, 0);
    const uint32_t pattern2 = 0x55667788;
    memcpy(area + 160, &pattern2, 4);
    area[520] = 1; /* XCOMP_BV: the compacted form is refused */
    page_write(area);
    expect_status("xsave_set_all compacted", MV_STATUS_FAILURE_UNKNOWN, xset, vs, 0, 0);
    area[520] = 0;
    page_write(area);
    expect_status("xsave_set_all", MV_STATUS_SUCCESS, xset, vs, 0, 0);
    expect_status("fpu_get_all root vs", MV_STATUS_INVALID_INPUT_REG1, fget, 0, 0, 0);
    /* The guest's XMM0 is what was set: CR4.OSFXSR; movd eax, xmm0; out 0x32, eax; hlt. */
    reg_set(R_CR4, 0x200);
    static const uint8_t code[] = {0x66, 0x0f, 0x7e, 0xc0, 0x66, 0xe7, 0x32, 0xf4};
    load_code(code, sizeof(code), CODE_GPA);
    expect_out("the guest's xmm0", 0x32, pattern2);
}

static void scenario_tsc(void)
{
    uint64_t pp_khz = 0;
    hypercall(mv_rax(MV_PP_OP_VAL, MV_PP_OP_TSC_GET_KHZ_IDX_VAL), 0, 0, 0, 0, &pp_khz);
    expect_value("tsc_get_khz is the pp's", pp_khz, mv_rax(MV_PP_OP_VAL, MV_VS_OP_TSC_GET_KHZ_IDX_VAL), 0, 0, 0);
    expect_status("tsc_set_khz reserved", MV_STATUS_FAILURE_UNSUPPORTED,
                  mv_rax(MV_PP_OP_VAL, MV_VS_OP_TSC_SET_KHZ_IDX_VAL), 1000, 0, 0);
}

/* One handle's life: open, the shared page, the guest made, mapped and run to its HLT; then its
 * objects destroyed one by one (even cycles) or only the handle closed, which takes them (odd).
 * 0 when something failed (said on stderr). */
static int one_cycle(unsigned long i)
{
    static uint8_t page[PAGE_BYTES];
    static const uint8_t code[] = {0xf4}; /* hlt */
    uint64_t status = 0;
    handle = MV_SPEC_ID1_VAL;
    if (hypercall(mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL), 0, 0, 0, 0, &handle) != 0 ||
        hypercall(mv_rax(MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL), 0, 0, 0, MV_KPROBE_FLAG_PAGE_IN_REG1,
                  NULL) != 0 ||
        !make_guest()) {
        fprintf(stderr, "vs_state_probe: cycle %lu: no handle or guest\n", i);
        return 0;
    }
    load_code(code, sizeof(code), CODE_GPA);
    if (run(page, &status) != MV_EXIT_REASON_HLT) {
        fprintf(stderr, "vs_state_probe: cycle %lu: no HLT exit (status 0x%llx)\n", i, (unsigned long long)status);
        return 0;
    }
    if (i % 2 == 0) {
        destroy_guest();
    }
    hypercall(mv_rax(MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL), 0, 0, 0, 0, NULL);
    if (hypercall(mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL), 0, 0, 0, 0, NULL) != 0) {
        fprintf(stderr, "vs_state_probe: cycle %lu: the close failed\n", i);
        return 0;
    }
    return 1;
}

static const struct {
    const char *name;
    void (*run)(void);
} scenarios[] = {
    {"regs", scenario_regs},     {"msrs", scenario_msrs},           {"cpuid", scenario_cpuid}, {"mp", scenario_mp},
    {"events", scenario_events}, {"translate", scenario_translate}, {"fpu", scenario_fpu},     {"tsc", scenario_tsc},
};

static int pin(long cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0;
}

#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Runs the guest from rip with ESI = count until its HLT, running it again after each OUT (an IO
 * exit back to this process, RIP past it) and each MMIO write (this VMM steps RIP over the 3-byte
 * MOV through mv_run_t, as a VMM that decoded it would); the time, or -1. */
static double bench_run(uint64_t rip, uint64_t count)
{
    static uint8_t page[PAGE_BYTES];
    static struct mv_run_t next;
    const struct mv_exit_mmio_t *mmio = (const void *)page;
    uint64_t status = 0;
    reg_set(R_RIP, rip);
    reg_set(6 /* RSI */, count);
    memset(&next, 0, sizeof(next));
    const double start = now_ns();
    for (;;) {
        const uint64_t reason = run_with(&next, page, &status);
        next.reg[0] = (struct mv_rdl_entry_t){0, 0};
        if (reason == MV_EXIT_REASON_HLT) {
            return now_ns() - start;
        }
        if (reason == MV_EXIT_REASON_MMIO) {
            next.reg[0] = (struct mv_rdl_entry_t){R_RIP, mmio->regs[16] + 3};
        } else if (reason != MV_EXIT_REASON_IO) {
            return -1;
        }
    }
}

/* vs_state_probe [--cpu N] bench COUNT: a guest CPUID handled inside MicroV and a guest OUT's round
 * trip to this process (through the root VM's kernel), as kvm_exit_bench measures them under KVM:
 * the time of COUNT less that of one, over COUNT - 1, after a warm-up. */
static int bench(unsigned long n)
{
    /* 0x1000: 1: xor eax,eax; cpuid; dec esi; jnz 1b; hlt. 0x1100: 1: out 0x10, al; dec esi; jnz 1b; hlt */
    static const uint8_t cpuid_code[] = {0x66, 0x31, 0xC0, 0x0F, 0xA2, 0x66, 0x4E, 0x75, 0xF7, 0xF4};
    static const uint8_t pio_code[] = {0xE6, 0x10, 0x66, 0x4E, 0x75, 0xFA, 0xF4};
    /* 0x1200, DS based at 0xA0000 (no memory there): 1: mov [0x10], al; dec esi; jnz 1b; hlt */
    static const uint8_t mmio_code[] = {0xA2, 0x10, 0x00, 0x66, 0x4E, 0x75, 0xF9, 0xF4};
    if (n < 2 || !make_guest()) {
        return 2;
    }
    load_code(cpuid_code, sizeof(cpuid_code), CODE_GPA);
    load_code(pio_code, sizeof(pio_code), CODE_GPA + 0x100);
    load_code(mmio_code, sizeof(mmio_code), CODE_GPA + 0x200);
    reg_set(R_DS, 0xA000);
    reg_set(R_DS + 3, 0xA0000);
    const double warm = bench_run(CODE_GPA, 1);
    const double one = bench_run(CODE_GPA, 1);
    const double all = bench_run(CODE_GPA, n);
    const double pio_one = bench_run(CODE_GPA + 0x100, 1);
    const double pio_all = bench_run(CODE_GPA + 0x100, n);
    const double mmio_one = bench_run(CODE_GPA + 0x200, 1);
    const double mmio_all = bench_run(CODE_GPA + 0x200, n);
    destroy_guest();
    if (warm < 0 || one < 0 || all < 0 || pio_one < 0 || pio_all < 0 || mmio_one < 0 || mmio_all < 0) {
        fprintf(stderr, "vs_state_probe: a bench run failed\n");
        return 1;
    }
    printf("microv-cpuid %.0f ns\n", (all - one) / (double)(n - 1));
    printf("microv-pio %.0f ns\n", (pio_all - pio_one) / (double)(n - 1));
    printf("microv-mmio %.0f ns\n", (mmio_all - mmio_one) / (double)(n - 1));
    return 0;
}

/* vs_state_probe [--cpu N] cycles COUNT: COUNT one_cycle()s, with progress every 100. */
static int cycles(unsigned long count)
{
    unsigned long done = 0;
    while (done < count && one_cycle(done)) {
        if (++done % 100 == 0) {
            printf("cycles: %lu done\n", done);
            fflush(stdout);
        }
    }
    printf("cycles %lu of %lu: %s\n", done, count, done == count ? "ok" : "FAILED");
    return done == count ? 0 : 1;
}

int main(int argc, char **argv)
{
    long cpu = -1;
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "--cpu") == 0) {
        cpu = strtol(argv[2], NULL, 10);
        i = 3;
    }
    if (i + 1 == argc - 1 && (strcmp(argv[i], "cycles") == 0 || strcmp(argv[i], "bench") == 0)) {
        dev = open(MV_KPROBE_DEVICE, O_RDWR);
        if (dev < 0 || (cpu >= 0 && !pin(cpu))) {
            fprintf(stderr, "vs_state_probe: %s: %s\n", MV_KPROBE_DEVICE, strerror(errno));
            return 2;
        }
        const unsigned long count = strtoul(argv[i + 1], NULL, 10);
        int rc = 0;
        if (strcmp(argv[i], "cycles") == 0) {
            rc = cycles(count);
        } else {
            handle = MV_SPEC_ID1_VAL;
            rc = hypercall(mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL), 0, 0, 0, 0, &handle) != 0 ||
                         hypercall(mv_rax(MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL), 0, 0, 0,
                                   MV_KPROBE_FLAG_PAGE_IN_REG1, NULL) != 0
                     ? 2
                     : bench(count);
            hypercall(mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL), 0, 0, 0, 0, NULL);
        }
        close(dev);
        return rc;
    }
    if (i != argc - 1 || (cpu >= 0 && !pin(cpu))) {
        fprintf(stderr, "usage: vs_state_probe [--cpu N] regs|msrs|cpuid|mp|events|translate|fpu|tsc\n");
        return 2;
    }
    void (*scenario)(void) = NULL;
    for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); ++s) {
        if (strcmp(argv[i], scenarios[s].name) == 0) {
            scenario = scenarios[s].run;
        }
    }
    dev = open(MV_KPROBE_DEVICE, O_RDWR);
    if (scenario == NULL || dev < 0) {
        fprintf(stderr, "vs_state_probe: no scenario %s, or %s: %s\n", argv[i], MV_KPROBE_DEVICE, strerror(errno));
        return 2;
    }
    handle = MV_SPEC_ID1_VAL;
    if (hypercall(mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL), 0, 0, 0, 0, &handle) != 0 ||
        hypercall(mv_rax(MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL), 0, 0, 0, MV_KPROBE_FLAG_PAGE_IN_REG1,
                  NULL) != 0) {
        fprintf(stderr, "vs_state_probe: no handle or shared page\n");
        return 2;
    }
    printf("cpu %d\n", sched_getcpu());
    if (!make_guest()) {
        return 2;
    }
    scenario();
    destroy_guest();
    hypercall(mv_rax(MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL), 0, 0, 0, 0, NULL);
    hypercall(mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL), 0, 0, 0, 0, NULL);
    close(dev);
    printf("vs_state_probe: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
