/* SPDX-License-Identifier: MIT */
/*
 * A tiny VMM for the integration tests: runs a guest VM under MicroV through the test module
 * hypercall_kprobe (/dev/mv_hypercall_kprobe, which must be loaded), whose ioctl makes each
 * hypercall from the root VM's kernel, whose page is the shared page of the CPU it runs on and
 * whose guest RAM block (64 pages) becomes the guest's RAM, GPA 0 to 0x40000, one page each.
 *   guest_probe [OPTIONS] --guest FILE     load FILE at GPA 0x1000 and run it
 *   guest_probe [OPTIONS] --map-test       mmio_map's refusals, then the good map (and the run
 *                                          with --guest)
 * OPTIONS:
 *   --cpu N                   run on CPU N (default: the CPU it starts on); the VS is made there
 *   --entry HEX               start at GPA 0x1000 + HEX (default 0)
 *   --max-exits N             stop after N exits (default 1000)
 *   --stop-after-interrupts N stop after N interrupt exits in a row, with no other exit between:
 *                             the guest spins where only interrupts leave it
 *   --unmap-after-hlt         after the guest's HLT, mmio_unmap GPA 0x1000 (the guest's code) and
 *                             run on: the next fetch must be an MMIO exit for execution
 *   --unmap-remote-from CPU   the same unmap, but while the guest spins after its HLT, from a
 *                             thread on another CPU with the module's second page as that CPU's
 *                             shared page; the main thread runs the guest on meanwhile, and after
 *                             the HLT only interrupts and then that MMIO exit may come
 *   --fpu-test                the guest may use SSE (CR4.OSFXSR); every run is made with a
 *                             pattern in this process's XMM0 and XMM1, and XMM1 must hold it
 *                             still when the run returns ("root xmm1 changed" otherwise); after
 *                             the HLT, the guest's DR0 as mv_vs_op_reg_get reads it
 *   --xcr0 HEX                the guest's XCR0 before it runs (mv_vs_op_reg_set), for a guest
 *                             that uses AVX on an emulator whose SVM does not intercept XSETBV
 *                             (QEMU before 8.2): there the guest's own XSETBV reaches the CPU but
 *                             not MicroV, which puts back the VS's XCR0 at its next entry
 * The guest starts in real mode with CS, DS, ES and SS selector 0 and base 0, RIP 0x1000 + entry,
 * RSP 0x8000 (the protected- and long-mode guests switch modes themselves). Output, one line each
 * (the integration tests match them):
 *   cpu N | guest vm 0x.. vp 0x.. vs 0x.. | load N bytes at gpa 0x1000 entry 0x..
 *   map-test WHAT: status 0x.. refused|ACCEPTED     each refusal --map-test checks
 *   map guest ram: status 0x..                      the 64 pages mapped
 *   unmap gpa 0x1000: status 0x..                   --unmap-after-hlt
 *   remote unmap from cpu N: status 0x..            --unmap-remote-from (the thread's line)
 *   remote unmap took N us                          from the call to its return
 *   exit io out port 0x.. size N data 0x.. reps N   OUT (size in bytes)
 *   exit io in port 0x.. size N                     IN: port 0x11 answers 0x77, the others all ones
 *   exit io out string [rep ]port 0x.. size N reps N data "..."   OUTS: the bytes at DS:SI
 *   exit io in string [rep ]port 0x.. size N reps N INS: each element's answer stored at ES:DI
 *   exit mmio write gpa 0x.. size N data 0x..       a MOV to memory nothing maps (emulated), in
 *                                                   16-, 32- or 64-bit code as CS says
 *   exit mmio read gpa 0x.. size N                  a MOV from it: answers the low N bytes of
 *                                                   0x1122334455667799
 *   exit mmio execute gpa 0x..                      a fetch from it: the run ends
 *   exit msr read 0x.. | exit msr write 0x.. data 0x..   RDMSR answers 0; WRMSR is dropped
 *   exit hlt shutdown | reset | vm_crash | microv_crash  HLT runs on; the others end the run
 *   exit interrupt | exit nmi                       run again
 *   exit unknown 0x.. info1 0x.. info2 0x..         the SVM exit code and its information: the end
 *   guest_probe: done                               every hypercall that should work worked, every
 *                                                   exit was handled and every refusal refused
 * At the end, and on any error on the way, it destroys the VS, the VP and the VM (which must go
 * before the device is closed: the module cannot unmap its pages from a guest) and clears the
 * shared page. Exit status: 0 with "done", 1 when something failed, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include "../modules/hypercall_kprobe.h"

#include <microv/hypercall.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE_BYTES MV_KPROBE_PAGE_BYTES
#define GUEST_PAGES MV_KPROBE_GUEST_PAGES_COUNT
#define GUEST_BYTES ((uint64_t)MV_KPROBE_GUEST_BYTES)
#define LOAD_GPA 0x1000ULL
#define STACK_TOP 0x8000ULL
#define RAM_FLAGS                                                                                                      \
    (MV_MAP_FLAG_READ_ACCESS | MV_MAP_FLAG_WRITE_ACCESS | MV_MAP_FLAG_EXECUTE_ACCESS | MV_MAP_FLAG_WRITE_BACK)
/* What the guest's ports and MMIO answer. */
#define PORT_ANSWERED 0x11U
#define PORT_ANSWER 0x77U
#define MMIO_ANSWER 0x1122334455667799ULL /* a read of N bytes gets the low N: 0x99 for one */
/* A status MicroV never gives: the module could not make the hypercall at all. */
#define NOT_MADE 0xFFFFFFFFFFFFFFFFULL
/* --unmap-remote-from: how long the thread lets the guest spin before it unmaps. */
#define REMOTE_DELAY_NS 50000000L

/* mv_reg_t (hypercall spec 1.4.1): the registers this VMM reads or sets. */
enum guest_reg {
    GUEST_RAX = 1,
    GUEST_RCX = 3,
    GUEST_RDX = 4,
    GUEST_RSI = 6,
    GUEST_RDI = 7,
    GUEST_RSP = 16,
    GUEST_RIP = 17,
    GUEST_RFLAGS = 18,
    GUEST_ES_SELECTOR = 19,
    GUEST_ES_BASE = 22,
    GUEST_CS_SELECTOR = 23,
    GUEST_CS_ATTRIB = 24,
    GUEST_CS_BASE = 26,
    GUEST_SS_SELECTOR = 27,
    GUEST_SS_BASE = 30,
    GUEST_DS_SELECTOR = 31,
    GUEST_DS_BASE = 34,
    GUEST_DR0 = 59,
    GUEST_CR0 = 65,
    GUEST_CR4 = 68,
    GUEST_XCR0 = 70,
};
#define CR4_OSFXSR (1ULL << 9)
#define CR4_PAE (1ULL << 5)
#define CR0_PG (1ULL << 31)
/* CS's attributes as SVM packs them: L (64-bit code) and D (32-bit default sizes). */
#define CS_ATTRIB_L (1ULL << 9)
#define CS_ATTRIB_D (1ULL << 10)
/* --fpu-test: what this process holds in XMM0 and XMM1 across every run. */
#define ROOT_XMM_PATTERN 0x1122334455667788ULL
#define RFLAGS_DF (1ULL << 10)

static const char usage_text[] =
    "usage: guest_probe [--cpu N] [--entry HEX] [--max-exits N] [--stop-after-interrupts N] [--unmap-after-hlt]\n"
    "                   [--unmap-remote-from CPU] [--fpu-test] [--xcr0 HEX]\n"
    "                   (--guest FILE | --map-test [--guest FILE])\n";

struct options {
    long cpu; /* -1: where it starts */
    const char *guest;
    uint64_t entry;
    unsigned long max_exits;
    unsigned long stop_after_interrupts; /* 0: never */
    int unmap_after_hlt;
    long unmap_remote_from; /* -1: no remote unmap */
    int map_test;
    int fpu_test;
    uint64_t xcr0; /* 0: as after RESET */
};

static int dev = -1;
static uint64_t handle;
static int failed; /* something that should have worked did not */

static int usage(const char *why)
{
    fprintf(stderr, "guest_probe: %s\n%s", why, usage_text);
    return 2;
}

/* A whole number in the given base; 0 when s is not one. */
static int parse_u64(const char *s, int base, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtoull(s, &end, base);
    return errno == 0 && end != s && *end == '\0' && s[0] != '-';
}

/* ---- hypercalls and the module's pages ---- */

/* One hypercall from kernel mode, REG0 = the handle; its status (NOT_MADE when the module could
 * not make it), REG0 after it in *reg0 when reg0 is not NULL. */
static uint64_t hypercall(uint64_t rax, uint64_t reg1, uint64_t reg2, uint64_t reg3, uint32_t flags, uint64_t *reg0)
{
    struct mv_kprobe_call c = {rax, handle, reg1, reg2, reg3, flags, 0};
    if (ioctl(dev, MV_KPROBE_HYPERCALL, &c) != 0) {
        fprintf(stderr, "guest_probe: ioctl: %s%s\n", strerror(errno),
                errno == ENODEV ? " (MicroV is not running on this CPU)" : "");
        return NOT_MADE;
    }
    if (reg0 != NULL) {
        *reg0 = c.reg0;
    }
    return c.rax;
}

/* A hypercall that must work: 1 when it did; otherwise says so and marks the run failed. */
static int call_ok(const char *what, uint64_t rax, uint64_t reg1, uint64_t reg2, uint64_t reg3, uint64_t *reg0)
{
    const uint64_t status = hypercall(rax, reg1, reg2, reg3, 0, reg0);
    if (status != MV_STATUS_SUCCESS) {
        printf("guest_probe: %s failed: status 0x%llx\n", what, (unsigned long long)status);
        failed = 1;
        return 0;
    }
    return 1;
}

static int reg_get(uint64_t vs, uint64_t reg, uint64_t *val)
{
    return call_ok("reg_get", mv_rax(MV_VS_OP_VAL, MV_VS_OP_REG_GET_IDX_VAL), vs, reg, 0, val);
}

static int reg_set(uint64_t vs, uint64_t reg, uint64_t val)
{
    return call_ok("reg_set", mv_rax(MV_VS_OP_VAL, MV_VS_OP_REG_SET_IDX_VAL), vs, reg, val, NULL);
}

/* The shared page is the module's file at offset 0, written and read whole. */
static int page_write(const void *page)
{
    if (pwrite(dev, page, PAGE_BYTES, 0) != PAGE_BYTES) {
        perror("guest_probe: write of the shared page");
        return 0;
    }
    return 1;
}

static int page_read(void *page)
{
    if (pread(dev, page, PAGE_BYTES, 0) != PAGE_BYTES) {
        perror("guest_probe: read of the shared page");
        return 0;
    }
    return 1;
}

/* Guest RAM by GPA: the module's file from MV_KPROBE_GUEST_OFFSET on, in the same order. */
static int ram_io(uint64_t gpa, void *buf, size_t n, int write)
{
    const off_t off = (off_t)(MV_KPROBE_GUEST_OFFSET + gpa);
    if (gpa > GUEST_BYTES || n > GUEST_BYTES - gpa) {
        printf("guest_probe: gpa 0x%llx (%zu bytes) is not guest RAM\n", (unsigned long long)gpa, n);
        return 0;
    }
    const ssize_t done = write ? pwrite(dev, buf, n, off) : pread(dev, buf, n, off);
    if (done != (ssize_t)n) {
        perror("guest_probe: guest RAM");
        return 0;
    }
    return 1;
}

/* ---- the guest's VM, VP and VS ---- */

struct guest {
    uint64_t vm, vp, vs;
    int have_vm, have_vp, have_vs;
};

static int make_guest(struct guest *g)
{
    g->have_vm = call_ok("create_vm", mv_rax(MV_VM_OP_VAL, MV_VM_OP_CREATE_VM_IDX_VAL), 0, 0, 0, &g->vm);
    g->have_vp =
        g->have_vm && call_ok("create_vp", mv_rax(MV_VP_OP_VAL, MV_VP_OP_CREATE_VP_IDX_VAL), g->vm, 0, 0, &g->vp);
    g->have_vs =
        g->have_vp && call_ok("create_vs", mv_rax(MV_VS_OP_VAL, MV_VS_OP_CREATE_VS_IDX_VAL), g->vp, 0, 0, &g->vs);
    if (g->have_vs) {
        printf("guest vm 0x%llx vp 0x%llx vs 0x%llx\n", (unsigned long long)g->vm, (unsigned long long)g->vp,
               (unsigned long long)g->vs);
    }
    return g->have_vs;
}

/* In the order they must go; destroying the VM also takes its mappings of the guest RAM block. */
static void destroy_guest(struct guest *g)
{
    if (g->have_vs) {
        g->have_vs = !call_ok("destroy_vs", mv_rax(MV_VS_OP_VAL, MV_VS_OP_DESTROY_VS_IDX_VAL), g->vs, 0, 0, NULL);
    }
    if (g->have_vp && !g->have_vs) {
        g->have_vp = !call_ok("destroy_vp", mv_rax(MV_VP_OP_VAL, MV_VP_OP_DESTROY_VP_IDX_VAL), g->vp, 0, 0, NULL);
    }
    if (g->have_vm && !g->have_vp) {
        g->have_vm = !call_ok("destroy_vm", mv_rax(MV_VM_OP_VAL, MV_VM_OP_DESTROY_VM_IDX_VAL), g->vm, 0, 0, NULL);
    }
}

/* ---- mmio_map and mmio_unmap ---- */

static uint64_t mmio_map(uint64_t dst_vm, uint64_t src_vm, const struct mv_mdl_t *mdl)
{
    if (!page_write(mdl)) {
        return NOT_MADE;
    }
    return hypercall(mv_rax(MV_VM_OP_VAL, MV_VM_OP_MMIO_MAP_IDX_VAL), dst_vm, src_vm, 0, 0, NULL);
}

static uint64_t mmio_unmap(uint64_t vm, const struct mv_mdl_t *mdl)
{
    if (!page_write(mdl)) {
        return NOT_MADE;
    }
    return hypercall(mv_rax(MV_VM_OP_VAL, MV_VM_OP_MMIO_UNMAP_IDX_VAL), vm, 0, 0, 0, NULL);
}

/* An MDL of one entry. */
static void mdl_one(struct mv_mdl_t *mdl, uint64_t dst, uint64_t src, uint64_t bytes, uint64_t flags)
{
    memset(mdl, 0, sizeof(*mdl));
    mdl->num_entries = 1;
    mdl->entries[0] = (struct mv_mdl_entry_t){dst, src, bytes, flags};
}

/* GPA 0 to 64 pages onto the guest RAM block, one entry a page: the pages are not contiguous. */
static int map_ram(uint64_t vm, const struct mv_kprobe_guest_pages *ram)
{
    static struct mv_mdl_t mdl;
    memset(&mdl, 0, sizeof(mdl));
    mdl.num_entries = GUEST_PAGES;
    for (int i = 0; i < GUEST_PAGES; ++i) {
        mdl.entries[i] = (struct mv_mdl_entry_t){(uint64_t)i * PAGE_BYTES, ram->phys[i], PAGE_BYTES, RAM_FLAGS};
    }
    const uint64_t status = mmio_map(vm, MV_ROOT_VMID, &mdl);
    printf("map guest ram: status 0x%llx\n", (unsigned long long)status);
    if (status != MV_STATUS_SUCCESS) {
        failed = 1;
    }
    return status == MV_STATUS_SUCCESS;
}

/* One map MicroV must refuse; an acceptance fails the run. */
static void expect_refused(const char *what, uint64_t dst_vm, uint64_t src_vm, const struct mv_mdl_t *mdl)
{
    const uint64_t status = mmio_map(dst_vm, src_vm, mdl);
    const int refused = status != MV_STATUS_SUCCESS && status != NOT_MADE;
    printf("map-test %s: status 0x%llx %s\n", what, (unsigned long long)status, refused ? "refused" : "ACCEPTED");
    if (!refused) {
        failed = 1;
    }
}

/* The refusals of malformed MDLs and of VMs that may not be named; none of them maps anything, so
 * the good map after them maps every page anew. */
static void map_refusals(uint64_t vm, const struct mv_kprobe_guest_pages *ram)
{
    static struct mv_mdl_t mdl;
    const uint64_t p0 = ram->phys[0];

    mdl_one(&mdl, 0, p0, 0, RAM_FLAGS);
    expect_refused("bytes 0", vm, MV_ROOT_VMID, &mdl);
    mdl_one(&mdl, 0, p0, PAGE_BYTES / 2, RAM_FLAGS);
    expect_refused("bytes not a multiple of 4096", vm, MV_ROOT_VMID, &mdl);
    mdl_one(&mdl, 0x10, p0, PAGE_BYTES, RAM_FLAGS);
    expect_refused("dst not page aligned", vm, MV_ROOT_VMID, &mdl);
    mdl_one(&mdl, 0, p0 + 0x10, PAGE_BYTES, RAM_FLAGS);
    expect_refused("src not page aligned", vm, MV_ROOT_VMID, &mdl);
    mdl_one(&mdl, 0, p0, PAGE_BYTES, RAM_FLAGS);
    mdl.num_entries = 0;
    expect_refused("num_entries 0", vm, MV_ROOT_VMID, &mdl);
    mdl.num_entries = MV_MDL_MAX_ENTRIES + 1;
    expect_refused("num_entries 126", vm, MV_ROOT_VMID, &mdl);
    mdl.num_entries = 1;
    expect_refused("dst vmid 0", MV_ROOT_VMID, MV_ROOT_VMID, &mdl);
    expect_refused("dst vmid not a VM", 0x3f, MV_ROOT_VMID, &mdl);
    expect_refused("src vmid not the root VM", vm, vm, &mdl);
    mdl_one(&mdl, 0, 0xFEE00000ULL, PAGE_BYTES, RAM_FLAGS);
    expect_refused("src not RAM", vm, MV_ROOT_VMID, &mdl);
    /* A good first entry and a bad second: the first must not stay mapped either. */
    mdl_one(&mdl, 0, p0, PAGE_BYTES, RAM_FLAGS);
    mdl.entries[1] = (struct mv_mdl_entry_t){PAGE_BYTES, ram->phys[1], 0, RAM_FLAGS};
    mdl.num_entries = 2;
    expect_refused("second entry bad", vm, MV_ROOT_VMID, &mdl);
}

/* After the good map: mapping a mapped GPA again. */
static void map_again_refused(uint64_t vm, const struct mv_kprobe_guest_pages *ram)
{
    static struct mv_mdl_t mdl;
    mdl_one(&mdl, LOAD_GPA, ram->phys[1], PAGE_BYTES, RAM_FLAGS);
    expect_refused("a mapped gpa again", vm, MV_ROOT_VMID, &mdl);
}

static int unmap_code_page(uint64_t vm)
{
    static struct mv_mdl_t mdl;
    mdl_one(&mdl, LOAD_GPA, 0, PAGE_BYTES, 0);
    const uint64_t status = mmio_unmap(vm, &mdl);
    printf("unmap gpa 0x%llx: status 0x%llx\n", LOAD_GPA, (unsigned long long)status);
    if (status != MV_STATUS_SUCCESS) {
        failed = 1;
    }
    return status == MV_STATUS_SUCCESS;
}

/* ---- the remote unmap (--unmap-remote-from) ---- */

/* The thread's state: set before it starts, ok written by it and read only after the join. */
struct remote {
    pthread_t thread;
    int started;
    long cpu;
    uint64_t vm;
    int ok;
};

/* Pins the calling thread alone to cpu; the main thread stays on its own CPU. */
static int pin_thread(long cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    const int err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    if (err != 0 || sched_getcpu() != cpu) {
        fprintf(stderr, "guest_probe: the unmap's thread cannot run on cpu %ld: %s\n", cpu,
                err != 0 ? strerror(err) : "it runs elsewhere");
        return 0;
    }
    return 1;
}

/* The second page as this CPU's shared page (set), or none (clr); 1 when MicroV agreed. */
static int remote_shared_page(long cpu, int set)
{
    const uint64_t idx = set ? MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL : MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL;
    const uint64_t status = hypercall(mv_rax(MV_PP_OP_VAL, idx), 0, 0, 0, set ? MV_KPROBE_FLAG_PAGE2_IN_REG1 : 0, NULL);
    if (status != MV_STATUS_SUCCESS) {
        printf("guest_probe: %s_shared_page_gpa on cpu %ld failed: status 0x%llx\n", set ? "set" : "clr", cpu,
               (unsigned long long)status);
    }
    return status == MV_STATUS_SUCCESS;
}

/* The unmap of the guest's code page, its MDL in the second page (this thread's own buffer and
 * page: the main thread's run uses the first); how long the call took in *us. */
static uint64_t remote_unmap_call(uint64_t vm, long *us)
{
    static struct mv_mdl_t mdl;
    struct timespec t0, t1;

    mdl_one(&mdl, LOAD_GPA, 0, PAGE_BYTES, 0);
    if (pwrite(dev, &mdl, PAGE_BYTES, MV_KPROBE_PAGE2_OFFSET) != PAGE_BYTES) {
        perror("guest_probe: write of the second page");
        return NOT_MADE;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const uint64_t status = hypercall(mv_rax(MV_VM_OP_VAL, MV_VM_OP_MMIO_UNMAP_IDX_VAL), vm, 0, 0, 0, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *us = (long)(t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000L;
    return status;
}

/* The thread: on its CPU, with its own shared page, it lets the guest spin a while (so that the
 * unmap finds it inside the guest on the other CPU), unmaps and clears its shared page again. */
static void *remote_unmap(void *arg)
{
    struct remote *rm = arg;
    const struct timespec delay = {0, REMOTE_DELAY_NS};
    long us = 0;

    if (!pin_thread(rm->cpu) || !remote_shared_page(rm->cpu, 1)) {
        return NULL;
    }
    nanosleep(&delay, NULL);
    const uint64_t status = remote_unmap_call(rm->vm, &us);
    printf("remote unmap from cpu %ld: status 0x%llx\n", rm->cpu, (unsigned long long)status);
    if (status != NOT_MADE) {
        printf("remote unmap took %ld us\n", us);
    }
    const int cleared = remote_shared_page(rm->cpu, 0);
    rm->ok = status == MV_STATUS_SUCCESS && cleared;
    return NULL;
}

static int remote_start(struct remote *rm, long cpu, uint64_t vm)
{
    *rm = (struct remote){.cpu = cpu, .vm = vm};
    const int err = pthread_create(&rm->thread, NULL, remote_unmap, rm);
    if (err != 0) {
        fprintf(stderr, "guest_probe: pthread_create: %s\n", strerror(err));
        return 0;
    }
    rm->started = 1;
    return 1;
}

/* Waits for the thread (it must be gone before the guest is destroyed); whether all it did
 * worked. */
static int remote_join(struct remote *rm)
{
    if (!rm->started) {
        return 1;
    }
    pthread_join(rm->thread, NULL);
    rm->started = 0;
    return rm->ok;
}

/* ---- loading and starting the guest ---- */

static int load_guest(const char *path, uint64_t entry)
{
    static uint8_t image[MV_KPROBE_GUEST_BYTES];
    const size_t room = (size_t)(GUEST_BYTES - LOAD_GPA);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "guest_probe: %s: %s\n", path, strerror(errno));
        return 0;
    }
    const size_t n = fread(image, 1, room + 1, f);
    const int bad = ferror(f);
    fclose(f);
    if (bad || n == 0 || n > room || entry >= n) {
        fprintf(stderr, "guest_probe: %s: %zu bytes, entry 0x%llx (at most %zu bytes, the entry inside)\n", path, n,
                (unsigned long long)entry, room);
        return 0;
    }
    printf("load %zu bytes at gpa 0x%llx entry 0x%llx\n", n, LOAD_GPA, (unsigned long long)entry);
    return ram_io(LOAD_GPA, image, n, 1);
}

/* Real mode with flat segments at 0: CS, DS, ES, SS selector and base 0; RIP and RSP. */
static int set_start(uint64_t vs, uint64_t entry, int sse)
{
    if (sse && !reg_set(vs, GUEST_CR4, CR4_OSFXSR)) {
        return 0;
    }
    static const uint64_t zeroed[] = {GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_DS_SELECTOR, GUEST_DS_BASE,
                                      GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_SS_SELECTOR, GUEST_SS_BASE};
    for (size_t i = 0; i < sizeof(zeroed) / sizeof(zeroed[0]); ++i) {
        if (!reg_set(vs, zeroed[i], 0)) {
            return 0;
        }
    }
    return reg_set(vs, GUEST_RIP, LOAD_GPA + entry) && reg_set(vs, GUEST_RSP, STACK_TOP);
}

/* ---- the run loop ---- */

enum step { STEP_GO_ON, STEP_STOP, STEP_ERROR };

struct run {
    const struct options *opt;
    struct guest *g;
    struct mv_run_t next; /* the registers to set before the next run */
    int nregs;
    unsigned long exits;
    unsigned long interrupts_in_a_row;
    struct remote remote; /* started at the HLT with --unmap-remote-from */
    int fetched;          /* the MMIO exit for execution came */
};

/* A register for mv_run_t on the next run (MicroV sets it before the guest goes on). */
static int run_set(struct run *r, uint64_t reg, uint64_t val)
{
    if (r->nregs == (int)(sizeof(r->next.reg) / sizeof(r->next.reg[0]))) {
        printf("guest_probe: more registers than mv_run_t holds\n");
        return 0;
    }
    r->next.reg[r->nregs++] = (struct mv_rdl_entry_t){reg, val};
    return 1;
}

/* The low `bytes` bytes of value replaced by those of low. */
static uint64_t merge_low(uint64_t value, uint64_t low, unsigned bytes)
{
    const uint64_t mask = bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
    return (value & ~mask) | (low & mask);
}

/* A register after a load of `bytes` bytes into it: 1 and 2 replace the low bytes, 4 all of it,
 * zero-extended as a 32-bit load does in 64-bit code (outside it the upper half is not the
 * guest's to see), 8 all of it. */
static uint64_t load_low(uint64_t reg, uint64_t val, unsigned bytes)
{
    return bytes == 4 ? val & 0xFFFFFFFFULL : merge_low(reg, val, bytes);
}

static unsigned size_bytes(uint64_t bit_size) { return bit_size <= MV_BIT_SIZE_64 ? 1U << bit_size : 0; }

/* The bytes as a C string literal: printable ones as they are, the rest escaped. */
static void print_quoted(const uint8_t *b, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; ++i) {
        if (b[i] == '\n') {
            fputs("\\n", stdout);
        } else if (b[i] == '"' || b[i] == '\\') {
            printf("\\%c", b[i]);
        } else if (b[i] >= 0x20 && b[i] < 0x7F) {
            putchar(b[i]);
        } else {
            printf("\\x%02x", b[i]);
        }
    }
    putchar('"');
}

/* OUTS: MicroV leaves guest memory to the VMM. The bytes are at DS base + RSI (the guests use no
 * segment override, addresses that do not wrap and no paging or an identity map); afterwards RSI
 * moves past them and a REP's count is spent. */
static enum step io_string_out(struct run *r, const struct mv_exit_io_t *io, unsigned bytes)
{
    static uint8_t data[PAGE_BYTES];
    const int rep = (io->type & MV_EXIT_IO_REP) != 0;
    uint64_t rsi = 0, ds_base = 0, rflags = 0;
    const uint64_t n = io->reps <= sizeof(data) / bytes ? io->reps * bytes : sizeof(data) + 1;

    if (!reg_get(r->g->vs, GUEST_RSI, &rsi) || !reg_get(r->g->vs, GUEST_DS_BASE, &ds_base) ||
        !reg_get(r->g->vs, GUEST_RFLAGS, &rflags)) {
        return STEP_ERROR;
    }
    const uint64_t at = ds_base + rsi;
    if ((rflags & RFLAGS_DF) != 0 || n > sizeof(data) || !ram_io(at, data, (size_t)n, 0)) {
        printf("guest_probe: cannot emulate OUTS of %llu x %u bytes at 0x%llx (rflags 0x%llx)\n",
               (unsigned long long)io->reps, bytes, (unsigned long long)at, (unsigned long long)rflags);
        return STEP_ERROR;
    }
    printf("exit io out string %sport 0x%llx size %u reps %llu data ", rep ? "rep " : "", (unsigned long long)io->addr,
           bytes, (unsigned long long)io->reps);
    print_quoted(data, (size_t)n);
    putchar('\n');
    if (!run_set(r, GUEST_RSI, rsi + n) || (rep && !run_set(r, GUEST_RCX, 0))) {
        return STEP_ERROR;
    }
    return STEP_GO_ON;
}

/* What the guest's ports answer an IN of any size: PORT_ANSWER, or all ones. */
static uint64_t port_answer(uint64_t port) { return port == PORT_ANSWERED ? PORT_ANSWER : ~0ULL; }

/* INS: the VMM stores each element's answer at ES base + RDI (INS takes no segment override; the
 * guests' addresses as for OUTS); afterwards RDI moves past them and a REP's count is spent. */
static enum step io_string_in(struct run *r, const struct mv_exit_io_t *io, unsigned bytes)
{
    static uint8_t data[PAGE_BYTES];
    const int rep = (io->type & MV_EXIT_IO_REP) != 0;
    uint64_t rdi = 0, es_base = 0, rflags = 0;
    const uint64_t n = io->reps <= sizeof(data) / bytes ? io->reps * bytes : sizeof(data) + 1;

    if (!reg_get(r->g->vs, GUEST_RDI, &rdi) || !reg_get(r->g->vs, GUEST_ES_BASE, &es_base) ||
        !reg_get(r->g->vs, GUEST_RFLAGS, &rflags)) {
        return STEP_ERROR;
    }
    const uint64_t at = es_base + rdi;
    if ((rflags & RFLAGS_DF) != 0 || n > sizeof(data)) {
        printf("guest_probe: cannot emulate INS of %llu x %u bytes at 0x%llx (rflags 0x%llx)\n",
               (unsigned long long)io->reps, bytes, (unsigned long long)at, (unsigned long long)rflags);
        return STEP_ERROR;
    }
    printf("exit io in string %sport 0x%llx size %u reps %llu\n", rep ? "rep " : "", (unsigned long long)io->addr,
           bytes, (unsigned long long)io->reps);
    for (uint64_t i = 0; i < n; ++i) {
        data[i] = (uint8_t)(port_answer(io->addr) >> (8 * (i % bytes)));
    }
    if (!ram_io(at, data, (size_t)n, 1) || !run_set(r, GUEST_RDI, rdi + n) || (rep && !run_set(r, GUEST_RCX, 0))) {
        return STEP_ERROR;
    }
    return STEP_GO_ON;
}

/* Port I/O: OUT is shown, IN answered through RAX; MicroV has already moved RIP past it. */
static enum step on_io(struct run *r, const uint8_t *page)
{
    struct mv_exit_io_t io;
    memcpy(&io, page, sizeof(io));
    const unsigned bytes = size_bytes(io.size);
    const int out = (io.type & MV_EXIT_IO_OUT) != 0;

    if (bytes == 0 || bytes == 8) {
        printf("guest_probe: io exit with size %u\n", io.size);
        return STEP_ERROR;
    }
    if ((io.type & MV_EXIT_IO_STRING) != 0) {
        return out ? io_string_out(r, &io, bytes) : io_string_in(r, &io, bytes);
    }
    if (out) {
        printf("exit io out port 0x%llx size %u data 0x%llx reps %llu\n", (unsigned long long)io.addr, bytes,
               (unsigned long long)merge_low(0, io.data, bytes), (unsigned long long)io.reps);
        return STEP_GO_ON;
    }
    printf("exit io in port 0x%llx size %u\n", (unsigned long long)io.addr, bytes);
    return run_set(r, GUEST_RAX, load_low(io.data, port_answer(io.addr), bytes)) ? STEP_GO_ON : STEP_ERROR;
}

/* The guest's code where it made an access: its default operand and address sizes, and whether it
 * is 64-bit code (REX prefixes, 8-byte operands with REX.W, 8-byte moffs). */
struct code_mode {
    unsigned op_bytes;   /* 2 or 4 */
    unsigned addr_bytes; /* 2, 4 or 8 */
    int long64;
};

/* One MOV between a register or an immediate and memory, as the guests use them. */
struct mov {
    unsigned len;   /* the instruction's bytes */
    int write;      /* to memory */
    unsigned bytes; /* the operand: 1, 2, 4 or 8 */
    int reg;        /* x86's number of the register (0 RAX ... 15 R15), -1 for an immediate */
    int high8;      /* the register's second byte: AH, CH, DH or BH */
    uint64_t imm;   /* sign-extended to 64 bits, as the CPU writes it */
};

/* The prefixes before the opcode: the operand and address sizes they leave, and the REX. */
struct prefixes {
    size_t len;
    unsigned op_bytes;
    unsigned addr_bytes;
    uint8_t rex; /* 0: none */
};

#define REX_W 0x08U
#define REX_R 0x04U

static int is_segment_prefix(uint8_t b)
{
    return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
}

/* Segment overrides, 0x66 (the other operand size) and 0x67 (the other address size) in any
 * order, then in 64-bit code a REX, which counts only right before the opcode. */
static void read_prefixes(const uint8_t *b, size_t avail, const struct code_mode *cm, struct prefixes *p)
{
    *p = (struct prefixes){0, cm->op_bytes, cm->addr_bytes, 0};
    for (; p->len < avail; ++p->len) {
        if (b[p->len] == 0x66) {
            p->op_bytes = cm->op_bytes == 2 ? 4 : 2;
        } else if (b[p->len] == 0x67) {
            p->addr_bytes = cm->long64 ? 4 : cm->addr_bytes == 2 ? 4 : 2;
        } else if (!is_segment_prefix(b[p->len])) {
            break;
        }
    }
    if (cm->long64 && p->len < avail && (b[p->len] & 0xF0) == 0x40) {
        p->rex = b[p->len++];
    }
}

/* The displacement's bytes after a 16-bit ModRM memory operand; -1 for a register operand. */
static int modrm16_disp_bytes(uint8_t modrm)
{
    const unsigned mod = modrm >> 6, rm = modrm & 7U;
    if (mod == 3) {
        return -1;
    }
    return mod == 1 ? 1 : mod == 2 ? 2 : rm == 6 ? 2 : 0;
}

/* The bytes after the ModRM byte at b (a SIB, the displacement) of a memory operand with 32- or
 * 64-bit addresses; -1 for a register operand. Base 5 with mod 0 is a disp32 alone (RIP-relative
 * in 64-bit code without a SIB): the length is the same. */
static int modrm32_tail_bytes(const uint8_t *b, size_t avail)
{
    const unsigned mod = b[0] >> 6, rm = b[0] & 7U;
    if (mod == 3 || (rm == 4 && avail < 2)) {
        return -1;
    }
    const int sib = rm == 4;
    const unsigned base = sib ? b[1] & 7U : rm;
    return sib + (mod == 1 ? 1 : mod == 2 || base == 5 ? 4 : 0);
}

/* The immediate of `bytes` (at most 4) bytes at b, sign-extended. */
static uint64_t read_imm(const uint8_t *b, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; ++i) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    const uint64_t sign = 1ULL << (8 * bytes - 1);
    return (v ^ sign) - sign;
}

/* The ModRM forms at b[i]: MOV r/m<->r (88-8B) or MOV r/m, imm (C6 /0, C7 /0). 0 for a register
 * operand, another C6/C7 or too few bytes. */
static int decode_mov_modrm(const uint8_t *b, size_t avail, size_t i, const struct prefixes *p, uint8_t op,
                            struct mov *m)
{
    const int imm = op == 0xC6 || op == 0xC7;
    const unsigned regf = (b[i] >> 3) & 7U;
    const int tail = p->addr_bytes == 2 ? modrm16_disp_bytes(b[i]) : modrm32_tail_bytes(b + i, avail - i);
    if (tail < 0 || (imm && regf != 0)) {
        return 0;
    }
    i += 1 + (size_t)tail;
    m->write = imm || op == 0x88 || op == 0x89;
    if (imm) {
        const unsigned imm_bytes = m->bytes > 4 ? 4 : m->bytes;
        if (i + imm_bytes > avail) {
            return 0;
        }
        m->reg = -1;
        m->imm = read_imm(b + i, imm_bytes);
        i += imm_bytes;
    } else {
        /* Without a REX, byte registers 4-7 are AH CH DH BH; with one, SPL BPL SIL DIL. */
        m->high8 = m->bytes == 1 && p->rex == 0 && regf >= 4;
        m->reg = (int)(m->high8 ? regf - 4 : regf | ((p->rex & REX_R) != 0 ? 8U : 0U));
    }
    m->len = (unsigned)i;
    return i <= avail;
}

/* Decodes b (avail bytes at CS:RIP) in the mode cm: the prefixes, then MOV r/m<->r (88-8B), MOV
 * accumulator<->moffs (A0-A3, the offset as wide as an address) or MOV r/m, imm (C6 /0, C7 /0).
 * Even opcodes move a byte, odd ones the operand size (8 with REX.W). 0 for anything else. */
static int decode_mov(const uint8_t *b, size_t avail, const struct code_mode *cm, struct mov *m)
{
    struct prefixes p;
    read_prefixes(b, avail, cm, &p);
    if (p.len + 1 >= avail) {
        return 0;
    }
    const uint8_t op = b[p.len];
    *m = (struct mov){0};
    m->bytes = (op & 1U) == 0 ? 1 : (p.rex & REX_W) != 0 ? 8 : p.op_bytes;
    if (op >= 0xA0 && op <= 0xA3) {
        m->write = op >= 0xA2;
        m->len = (unsigned)(p.len + 1 + p.addr_bytes);
        return m->len <= avail;
    }
    if ((op >= 0x88 && op <= 0x8B) || op == 0xC6 || op == 0xC7) {
        return decode_mov_modrm(b, avail, p.len + 1, &p, op, m);
    }
    return 0;
}

/* x86's register numbers (RAX RCX RDX RBX RSP RBP RSI RDI R8-R15) as indexes of
 * mv_exit_mmio_t.regs (rax, rbx, rcx, rdx, rbp, rsi, rdi, r8-r15, rsp, rip); mv_reg_t numbers
 * follow regs + 1. */
static const unsigned gpr_index[16] = {0, 2, 3, 1, 15, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};

/* What a write stores: the register's (or its second byte's) or the immediate's low bytes. */
static uint64_t mov_data(const struct mov *m, const uint64_t *regs)
{
    const uint64_t v = m->reg < 0 ? m->imm : regs[gpr_index[m->reg]] >> (m->high8 ? 8 : 0);
    return merge_low(0, v, m->bytes);
}

/* A read's answer into the register, through mv_run_t. */
static int mov_answer(struct run *r, const struct mov *m, const uint64_t *regs, uint64_t answer)
{
    const unsigned gpr = gpr_index[m->reg];
    const uint64_t old = regs[gpr];
    const uint64_t val = m->high8 ? (old & ~0xFF00ULL) | ((answer & 0xFF) << 8) : load_low(old, answer, m->bytes);
    return run_set(r, gpr + 1, val);
}

/* The mode of the guest's code from CS's attributes (SVM's packed form: L bit 9, D bit 10). EFER
 * is no mv_reg_t, so LMA is not read: an L code segment under PAE paging is taken for 64-bit code
 * (outside long mode the CPU ignores L; the guests set it only once EFER.LME is on). */
static int code_mode_of(struct run *r, struct code_mode *cm)
{
    uint64_t attrib = 0, cr0 = 0, cr4 = 0;
    if (!reg_get(r->g->vs, GUEST_CS_ATTRIB, &attrib)) {
        return 0;
    }
    if ((attrib & CS_ATTRIB_L) != 0) {
        if (!reg_get(r->g->vs, GUEST_CR0, &cr0) || !reg_get(r->g->vs, GUEST_CR4, &cr4)) {
            return 0;
        }
        if ((cr0 & CR0_PG) != 0 && (cr4 & CR4_PAE) != 0) {
            *cm = (struct code_mode){4, 8, 1};
            return 1;
        }
    }
    *cm = (attrib & CS_ATTRIB_D) != 0 ? (struct code_mode){4, 4, 0} : (struct code_mode){2, 2, 0};
    return 1;
}

/* The instruction at CS base + RIP, from this VMM's own copy of guest memory (the guests' linear
 * addresses are physical ones: no paging, or an identity map). */
static int fetch_insn(struct run *r, uint64_t rip, uint8_t *b, size_t *n)
{
    uint64_t cs_base = 0;
    if (!reg_get(r->g->vs, GUEST_CS_BASE, &cs_base)) {
        return 0;
    }
    const uint64_t at = cs_base + rip;
    *n = at < GUEST_BYTES && GUEST_BYTES - at < 15 ? (size_t)(GUEST_BYTES - at) : 15;
    return ram_io(at, b, *n, 0);
}

/* A guest access to a GPA nothing maps: a fetch ends the run; reads and writes of the MOVs the
 * guests use, in the guest's mode, are emulated (writes shown, reads answered) and RIP moved past
 * them. */
static enum step on_mmio(struct run *r, const uint8_t *page)
{
    static struct mv_exit_mmio_t mm;
    uint8_t insn[15];
    size_t n = 0;
    struct code_mode cm;
    struct mov m;

    memcpy(&mm, page, sizeof(mm));
    if ((mm.flags & MV_EXIT_MMIO_EXECUTE) != 0) {
        printf("exit mmio execute gpa 0x%llx\n", (unsigned long long)mm.gpa);
        r->fetched = 1;
        return STEP_STOP;
    }
    const uint64_t rip = mm.regs[16];
    const int write = (mm.flags & MV_EXIT_MMIO_WRITE) != 0; /* on AMD, READ is always set */
    if (!fetch_insn(r, rip, insn, &n) || !code_mode_of(r, &cm) || !decode_mov(insn, n, &cm, &m) || m.write != write) {
        printf("guest_probe: cannot emulate the %s of gpa 0x%llx at rip 0x%llx\n", write ? "write" : "read",
               (unsigned long long)mm.gpa, (unsigned long long)rip);
        return STEP_ERROR;
    }
    if (write) {
        printf("exit mmio write gpa 0x%llx size %u data 0x%llx\n", (unsigned long long)mm.gpa, m.bytes,
               (unsigned long long)mov_data(&m, mm.regs));
    } else {
        printf("exit mmio read gpa 0x%llx size %u\n", (unsigned long long)mm.gpa, m.bytes);
        if (!mov_answer(r, &m, mm.regs, MMIO_ANSWER)) {
            return STEP_ERROR;
        }
    }
    return run_set(r, GUEST_RIP, rip + m.len) ? STEP_GO_ON : STEP_ERROR;
}

/* RDMSR or WRMSR MicroV leaves to the VMM: reads answer 0, writes are dropped; RIP moves past the
 * two bytes of the instruction. */
static enum step on_msr(struct run *r, const uint8_t *page)
{
    struct mv_exit_msr_t x;
    uint64_t rip = 0;
    memcpy(&x, page, sizeof(x));
    const int write = (x.flags & MV_EXIT_MSR_WRITE) != 0;
    if (write) {
        printf("exit msr write 0x%llx data 0x%llx\n", (unsigned long long)x.msr.reg, (unsigned long long)x.msr.val);
    } else {
        printf("exit msr read 0x%llx\n", (unsigned long long)x.msr.reg);
    }
    if (!reg_get(r->g->vs, GUEST_RIP, &rip) || !run_set(r, GUEST_RIP, rip + 2)) {
        return STEP_ERROR;
    }
    if (!write && (!run_set(r, GUEST_RAX, 0) || !run_set(r, GUEST_RDX, 0))) {
        return STEP_ERROR;
    }
    return STEP_GO_ON;
}

/* HLT: the guest's shutdown runs on (after the unmap with --unmap-after-hlt, with the unmap's
 * thread started with --unmap-remote-from); a crash or reset ends the run. */
static enum step on_hlt(struct run *r, const uint8_t *page)
{
    static const char *const names[] = {"shutdown", "reset", "vm_crash", "microv_crash"};
    struct mv_exit_hlt_t h;
    memcpy(&h, page, sizeof(h));
    if (h.reason >= sizeof(names) / sizeof(names[0])) {
        printf("exit hlt 0x%llx\n", (unsigned long long)h.reason);
        return STEP_STOP;
    }
    printf("exit hlt %s\n", names[h.reason]);
    if (h.reason != MV_HLT_SHUTDOWN) {
        return STEP_STOP;
    }
    uint64_t dr0 = 0;
    if (r->opt->fpu_test && reg_get(r->g->vs, GUEST_DR0, &dr0)) {
        printf("guest dr0 0x%llx\n", (unsigned long long)dr0);
    }
    if (r->opt->unmap_after_hlt && !unmap_code_page(r->g->vm)) {
        return STEP_ERROR;
    }
    if (r->opt->unmap_remote_from >= 0 && !r->remote.started &&
        !remote_start(&r->remote, r->opt->unmap_remote_from, r->g->vm)) {
        return STEP_ERROR;
    }
    return STEP_GO_ON;
}

/* Interrupts and NMIs are the root OS's: run again, unless the guest only spins. */
static enum step on_interrupt(struct run *r, const char *what)
{
    printf("exit %s\n", what);
    ++r->interrupts_in_a_row;
    if (r->opt->stop_after_interrupts != 0 && r->interrupts_in_a_row >= r->opt->stop_after_interrupts) {
        return STEP_STOP;
    }
    return STEP_GO_ON;
}

static enum step on_unknown(const uint8_t *page)
{
    struct mv_exit_unknown_t u;
    memcpy(&u, page, sizeof(u));
    printf("exit unknown 0x%llx info1 0x%llx info2 0x%llx\n", (unsigned long long)u.info0, (unsigned long long)u.info1,
           (unsigned long long)u.info2);
    return STEP_STOP;
}

static enum step dispatch_exit(struct run *r, uint64_t reason, const uint8_t *page)
{
    switch (reason) {
    case MV_EXIT_REASON_IO:
        return on_io(r, page);
    case MV_EXIT_REASON_MMIO:
        return on_mmio(r, page);
    case MV_EXIT_REASON_MSR:
        return on_msr(r, page);
    case MV_EXIT_REASON_HLT:
        return on_hlt(r, page);
    case MV_EXIT_REASON_INTERRUPT:
        return on_interrupt(r, "interrupt");
    case MV_EXIT_REASON_NMI:
        return on_interrupt(r, "nmi");
    case MV_EXIT_REASON_UNKNOWN:
        return on_unknown(page);
    default:
        printf("guest_probe: exit reason 0x%llx\n", (unsigned long long)reason);
        return STEP_ERROR;
    }
}

static enum step handle_exit(struct run *r, uint64_t status, uint64_t reason, const uint8_t *page)
{
    if (status == MV_STATUS_EXIT_UNKNOWN && reason == MV_EXIT_REASON_UNKNOWN) {
        return on_unknown(page); /* the spec's way of saying it; not a failed hypercall */
    }
    if (status != MV_STATUS_SUCCESS) {
        printf("guest_probe: run failed: status 0x%llx reason 0x%llx\n", (unsigned long long)status,
               (unsigned long long)reason);
        return STEP_ERROR;
    }
    const int interrupt = reason == MV_EXIT_REASON_INTERRUPT || reason == MV_EXIT_REASON_NMI;
    if (!interrupt) {
        r->interrupts_in_a_row = 0;
    }
    /* Once the remote unmap is under way the guest only spins: its next exit of its own must be
     * the fetch from the unmapped page. */
    const int spinning = r->remote.started;
    const enum step s = dispatch_exit(r, reason, page);
    if (spinning && !interrupt && !r->fetched) {
        printf("guest_probe: an exit other than the fetch after the remote unmap began\n");
        return STEP_ERROR;
    }
    return s;
}

/* mv_vs_op_run with ROOT_XMM_PATTERN in XMM0 and XMM1 of this process, loaded right before the
 * ioctl and XMM1 read right after it, in one asm block, so that no library code between them
 * uses the registers: whatever the guest did to its own XMM1 must not show here. */
static uint64_t run_with_xmm_pattern(uint64_t vs, uint64_t *reason)
{
    struct mv_kprobe_call c = {mv_rax(MV_VS_OP_VAL, MV_VS_OP_RUN_IDX_VAL), handle, vs, 0, 0, 0, 0};
    const uint64_t pattern = ROOT_XMM_PATTERN;
    uint64_t after = 0;
    long ret = 0;
    __asm__ volatile("movq %[p], %%xmm0\n\t"
                     "movq %[p], %%xmm1\n\t"
                     "syscall\n\t"
                     "movq %%xmm1, %[after]"
                     : "=a"(ret), [after] "=r"(after)
                     : "a"((long)SYS_ioctl), "D"((long)dev), "S"((unsigned long)MV_KPROBE_HYPERCALL),
                       "d"(&c), [p] "r"(pattern)
                     : "rcx", "r11", "xmm0", "xmm1", "memory");
    if (ret != 0) {
        fprintf(stderr, "guest_probe: ioctl: %s\n", strerror((int)-ret));
        return NOT_MADE;
    }
    if (after != pattern) {
        printf("root xmm1 changed: 0x%llx\n", (unsigned long long)after);
        failed = 1;
    }
    *reason = c.reg0;
    return c.rax;
}

/* One mv_vs_op_run: mv_run_t in the shared page before it, the exit's structure in it after. */
static enum step run_once(struct run *r)
{
    static uint8_t page[PAGE_BYTES];
    uint64_t reason = 0;

    memset(page, 0, sizeof(page));
    memcpy(page, &r->next, sizeof(r->next));
    memset(&r->next, 0, sizeof(r->next));
    r->nregs = 0;
    if (!page_write(page)) {
        return STEP_ERROR;
    }
    const uint64_t status = r->opt->fpu_test
                                ? run_with_xmm_pattern(r->g->vs, &reason)
                                : hypercall(mv_rax(MV_VS_OP_VAL, MV_VS_OP_RUN_IDX_VAL), r->g->vs, 0, 0, 0, &reason);
    if (status == NOT_MADE || !page_read(page)) {
        return STEP_ERROR;
    }
    ++r->exits;
    return handle_exit(r, status, reason, page);
}

static void run_guest(const struct options *opt, struct guest *g)
{
    static struct run r;
    enum step s = STEP_GO_ON;

    memset(&r, 0, sizeof(r));
    r.opt = opt;
    r.g = g;
    while (s == STEP_GO_ON) {
        if (r.exits == opt->max_exits) {
            printf("guest_probe: stopped after %lu exits\n", r.exits);
            break;
        }
        s = run_once(&r);
    }
    if (s == STEP_ERROR) {
        failed = 1;
    }
    const int remote = r.remote.started;
    if (!remote_join(&r.remote)) {
        failed = 1;
    }
    if (opt->unmap_remote_from >= 0 && (!remote || !r.fetched)) {
        printf("guest_probe: no mmio execute exit after the remote unmap\n");
        failed = 1;
    }
}

/* ---- setup ---- */

/* Pins this program to cpu, or to the CPU it runs on when cpu is negative. */
static int pin(long cpu)
{
    cpu_set_t set;
    if (cpu < 0) {
        cpu = sched_getcpu();
    }
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
        fprintf(stderr, "guest_probe: no CPU %ld\n", cpu);
        return 0;
    }
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        perror("guest_probe: sched_setaffinity");
        return 0;
    }
    printf("cpu %d\n", sched_getcpu());
    return 1;
}

/* The device, the handle and the module's page as this CPU's shared page. */
static int open_microv(void)
{
    dev = open(MV_KPROBE_DEVICE, O_RDWR);
    if (dev < 0) {
        fprintf(stderr, "guest_probe: %s: %s (is hypercall_kprobe.ko loaded?)\n", MV_KPROBE_DEVICE, strerror(errno));
        return 0;
    }
    handle = MV_SPEC_ID1_VAL; /* REG0 of open_handle is the spec's ID */
    if (!call_ok("open_handle", mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL), 0, 0, 0, &handle)) {
        return 0;
    }
    const uint64_t status = hypercall(mv_rax(MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL), 0, 0, 0,
                                      MV_KPROBE_FLAG_PAGE_IN_REG1, NULL);
    if (status != MV_STATUS_SUCCESS) {
        printf("guest_probe: set_shared_page_gpa failed: status 0x%llx\n", (unsigned long long)status);
        return 0;
    }
    return 1;
}

static void close_microv(void)
{
    call_ok("clr_shared_page_gpa", mv_rax(MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL), 0, 0, 0, NULL);
    call_ok("close_handle", mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL), 0, 0, 0, NULL);
    close(dev);
}

static int parse_options(int argc, char **argv, struct options *opt)
{
    uint64_t v = 0;
    *opt = (struct options){-1, NULL, 0, 1000, 0, 0, -1, 0, 0, 0};
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const int has_value = i + 1 < argc;
        if (strcmp(a, "--unmap-after-hlt") == 0) {
            opt->unmap_after_hlt = 1;
        } else if (strcmp(a, "--fpu-test") == 0) {
            opt->fpu_test = 1;
        } else if (strcmp(a, "--map-test") == 0) {
            opt->map_test = 1;
        } else if (has_value && strcmp(a, "--guest") == 0) {
            opt->guest = argv[++i];
        } else if (has_value &&
                   ((strcmp(a, "--entry") == 0 && parse_u64(argv[i + 1], 16, &opt->entry)) ||
                    (strcmp(a, "--xcr0") == 0 && parse_u64(argv[i + 1], 16, &opt->xcr0) && opt->xcr0 != 0))) {
            ++i; /* the two options with a hex value and nothing else to do */
        } else if (has_value && strcmp(a, "--cpu") == 0 && parse_u64(argv[i + 1], 10, &v)) {
            opt->cpu = (long)v;
            ++i;
        } else if (has_value && strcmp(a, "--unmap-remote-from") == 0 && parse_u64(argv[i + 1], 10, &v) &&
                   v < CPU_SETSIZE) {
            opt->unmap_remote_from = (long)v;
            ++i;
        } else if (has_value && strcmp(a, "--max-exits") == 0 && parse_u64(argv[i + 1], 10, &v)) {
            opt->max_exits = (unsigned long)v;
            ++i;
        } else if (has_value && strcmp(a, "--stop-after-interrupts") == 0 && parse_u64(argv[i + 1], 10, &v)) {
            opt->stop_after_interrupts = (unsigned long)v;
            ++i;
        } else {
            return usage(a);
        }
    }
    const int unmaps = opt->unmap_after_hlt || opt->unmap_remote_from >= 0;
    if (opt->guest == NULL && (!opt->map_test || unmaps)) {
        return usage("--guest FILE is needed");
    }
    if (opt->unmap_after_hlt && opt->unmap_remote_from >= 0) {
        return usage("--unmap-after-hlt or --unmap-remote-from, not both");
    }
    return 0;
}

/* Everything between the shared page's set and its clear: the guest's objects, its RAM, the
 * checks and the run; the objects are destroyed on every way out. */
static void with_guest(const struct options *opt)
{
    static struct mv_kprobe_guest_pages ram;
    struct guest g;

    memset(&g, 0, sizeof(g));
    if (ioctl(dev, MV_KPROBE_GUEST_PAGES, &ram) != 0) {
        perror("guest_probe: the guest RAM block's addresses");
        failed = 1;
        return;
    }
    if (make_guest(&g)) {
        if (opt->map_test) {
            map_refusals(g.vm, &ram);
        }
        const int mapped = map_ram(g.vm, &ram);
        if (mapped && opt->map_test) {
            map_again_refused(g.vm, &ram);
        }
        if (mapped && opt->guest != NULL) {
            if (load_guest(opt->guest, opt->entry) && set_start(g.vs, opt->entry, opt->fpu_test) &&
                (opt->xcr0 == 0 || reg_set(g.vs, GUEST_XCR0, opt->xcr0))) {
                run_guest(opt, &g);
            } else {
                failed = 1;
            }
        }
    }
    destroy_guest(&g);
}

int main(int argc, char **argv)
{
    struct options opt;
    const int bad = parse_options(argc, argv, &opt);
    if (bad != 0) {
        return bad;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* the lines interleave with the test's own output */
    if (!pin(opt.cpu)) {
        return 2;
    }
    if (opt.unmap_remote_from >= 0 && opt.unmap_remote_from == sched_getcpu()) {
        return usage("--unmap-remote-from needs another CPU than the guest's");
    }
    if (!open_microv()) {
        if (dev >= 0) {
            close(dev);
        }
        return 2;
    }
    with_guest(&opt);
    close_microv();
    if (failed) {
        printf("guest_probe: failed\n");
        return 1;
    }
    printf("guest_probe: done\n");
    return 0;
}
