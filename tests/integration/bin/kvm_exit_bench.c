/* SPDX-License-Identifier: MIT */
/*
 * A benchmark helper, not a test: KVM's cost of a guest CPUID exit in the same test bed, the
 * reference for MicroV's (scripts/bench-exits.sh). Needs /dev/kvm (Debian's kvm_amd loaded, so
 * MicroV not running):
 *   kvm_exit_bench N     a one-vCPU VM in real mode runs N CPUIDs, then HLT; then N OUTs, each a
 *                        KVM_EXIT_IO round trip to this process, then HLT; then N MOVs to memory no
 *                        slot holds (KVM_EXIT_MMIO, which KVM decodes), then HLT
 * Prints "kvm-cpuid NS ns" per CPUID, "kvm-pio NS ns" per OUT and "kvm-mmio NS ns" per MOV: the time of N less that of
 * one, over N - 1 (so the entry and the HLT exit are not counted), after a first run that warms up. vs_state_probe
 * bench N measures the same under MicroV. Exit 2 when KVM is missing or refuses.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* 16-bit code at guest address 0: 1: xor eax,eax; cpuid; dec esi; jnz 1b; hlt */
static const uint8_t guest_code[] = {0x66, 0x31, 0xC0, 0x0F, 0xA2, 0x66, 0x4E, 0x75, 0xF7, 0xF4};
/* At 0x100: 1: out 0x10, al; dec esi; jnz 1b; hlt */
#define PIO_CODE 0x100
static const uint8_t pio_code[] = {0xE6, 0x10, 0x66, 0x4E, 0x75, 0xFA, 0xF4};
/* At 0x200, DS based at 0xA0000 (no memory slot there): 1: mov [0x10], al; dec esi; jnz 1b; hlt */
#define MMIO_CODE 0x200
static const uint8_t mmio_code[] = {0xA2, 0x10, 0x00, 0x66, 0x4E, 0x75, 0xF9, 0xF4};

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int fail(const char *what)
{
    perror(what);
    return 2;
}

/* Runs the guest from rip with ESI = count until it halts, each OUT back to this process on the
 * way; returns the time, or -1. */
static double run(int vcpu, struct kvm_run *kr, uint64_t rip, uint32_t count)
{
    struct kvm_regs regs;
    memset(&regs, 0, sizeof(regs));
    regs.rip = rip;
    regs.rflags = 2;
    regs.rsi = count;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) != 0) {
        return -1;
    }
    const double start = now_ns();
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) != 0) {
            return -1;
        }
        if (kr->exit_reason == KVM_EXIT_HLT) {
            return now_ns() - start;
        }
        if (kr->exit_reason != KVM_EXIT_INTR && kr->exit_reason != KVM_EXIT_IO && kr->exit_reason != KVM_EXIT_MMIO) {
            fprintf(stderr, "kvm_exit_bench: unexpected exit %u\n", kr->exit_reason);
            return -1;
        }
    }
}

int main(int argc, char **argv)
{
    const long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    if (n < 2 || n > 100000000) {
        fprintf(stderr, "usage: kvm_exit_bench N   (N >= 2 CPUIDs)\n");
        return 2;
    }
    const int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        return fail("kvm_exit_bench: /dev/kvm");
    }
    const int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) {
        return fail("kvm_exit_bench: KVM_CREATE_VM");
    }
    uint8_t *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        return fail("kvm_exit_bench: mmap");
    }
    memcpy(mem, guest_code, sizeof(guest_code));
    memcpy(mem + PIO_CODE, pio_code, sizeof(pio_code));
    memcpy(mem + MMIO_CODE, mmio_code, sizeof(mmio_code));
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = 0x1000, .userspace_addr = (uint64_t)(uintptr_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) != 0) {
        return fail("kvm_exit_bench: KVM_SET_USER_MEMORY_REGION");
    }
    const int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    const int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vcpu < 0 || run_size <= 0) {
        return fail("kvm_exit_bench: KVM_CREATE_VCPU");
    }
    struct kvm_run *kr = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (kr == MAP_FAILED) {
        return fail("kvm_exit_bench: mmap kvm_run");
    }
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) != 0) {
        return fail("kvm_exit_bench: KVM_GET_SREGS");
    }
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    sregs.ds.base = 0xA0000; /* for the MMIO loop's writes */
    sregs.ds.selector = 0xA000;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) != 0) {
        return fail("kvm_exit_bench: KVM_SET_SREGS");
    }
    /* A first run touches the guest's page and warms KVM up: not counted. */
    const double warm = run(vcpu, kr, 0, 1);
    const double one = run(vcpu, kr, 0, 1);
    const double all = run(vcpu, kr, 0, (uint32_t)n);
    const double pio_one = run(vcpu, kr, PIO_CODE, 1);
    const double pio_all = run(vcpu, kr, PIO_CODE, (uint32_t)n);
    const double mmio_one = run(vcpu, kr, MMIO_CODE, 1);
    const double mmio_all = run(vcpu, kr, MMIO_CODE, (uint32_t)n);
    if (warm < 0 || one < 0 || all < 0 || pio_one < 0 || pio_all < 0 || mmio_one < 0 || mmio_all < 0) {
        return fail("kvm_exit_bench: KVM_RUN");
    }
    printf("kvm-cpuid %.0f ns\n", (all - one) / (double)(n - 1));
    printf("kvm-pio %.0f ns\n", (pio_all - pio_one) / (double)(n - 1));
    printf("kvm-mmio %.0f ns\n", (mmio_all - mmio_one) / (double)(n - 1));
    return 0;
}
