/* SPDX-License-Identifier: MIT */
/*
 * A benchmark helper, not a test: the mean cost of the root VM's exits that MicroV handles, from
 * user space, pinned to one CPU:
 *   exit_bench N     N CPUIDs (leaf 0x40000000: a CPUID exit under MicroV) and, when MicroV runs,
 *                    N mv_pp_op_ppid hypercalls (a VMMCALL exit through the hypercall dispatcher)
 * Prints "cpuid NS ns" and "hypercall NS ns" per operation (CLOCK_MONOTONIC).
 */
#define _GNU_SOURCE
#include <microv/hypercall.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Whether MicroV answers CPUID leaf 0x40000000 with its signature. */
static int microv_here(void)
{
    uint32_t eax = 0x40000000U, ebx = 0, ecx = 0, edx = 0;
    char sig[13];
    __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    memcpy(sig, &ebx, 4);
    memcpy(sig + 4, &ecx, 4);
    memcpy(sig + 8, &edx, 4);
    sig[12] = '\0';
    return strcmp(sig, "MicroVMicroV") == 0;
}

int main(int argc, char **argv)
{
    cpu_set_t set;
    long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    struct mv_hypercall_regs r;
    uint64_t handle = 0;
    double t0 = 0;

    if (n <= 0) {
        fprintf(stderr, "usage: exit_bench N (N > 0)\n");
        return 2;
    }
    CPU_ZERO(&set);
    CPU_SET((size_t)sched_getcpu(), &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        perror("sched_setaffinity");
        return 2;
    }

    t0 = now_ns();
    for (long i = 0; i < n; ++i) {
        uint32_t eax = 0x40000000U, ebx = 0, ecx = 0, edx = 0;
        __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    }
    printf("cpuid %.0f ns\n", (now_ns() - t0) / (double)n);

    if (!microv_here()) {
        return 0;
    }
    memset(&r, 0, sizeof(r));
    r.rax = mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL);
    r.reg0 = MV_SPEC_ID1_VAL;
    if (mv_hypercall(&r) != MV_STATUS_SUCCESS) {
        fprintf(stderr, "exit_bench: mv_handle_op_open_handle failed: 0x%llx\n", (unsigned long long)r.rax);
        return 1;
    }
    handle = r.reg0;
    t0 = now_ns();
    for (long i = 0; i < n; ++i) {
        r.rax = mv_rax(MV_PP_OP_VAL, MV_PP_OP_PPID_IDX_VAL);
        r.reg0 = handle;
        if (mv_hypercall(&r) != MV_STATUS_SUCCESS) {
            fprintf(stderr, "exit_bench: mv_pp_op_ppid failed: 0x%llx\n", (unsigned long long)r.rax);
            return 1;
        }
    }
    printf("hypercall %.0f ns\n", (now_ns() - t0) / (double)n);
    return 0;
}
