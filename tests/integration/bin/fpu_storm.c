/* SPDX-License-Identifier: MIT */
/*
 * Load for the emulator-race regression test (microv_fpu_restore_race): on the CPU given, for the
 * seconds given, either
 *   fpu_storm restore SECONDS CPU   FXSAVE/FXRSTOR and (with OSXSAVE) XSAVE/XRSTOR in a loop, or
 *   fpu_storm exits SECONDS CPU     CPUID in a loop (under MicroV every CPUID is an exit).
 * QEMU 7.2's TCG updates CPU 0's internal flags without a lock whenever any vCPU restores x87
 * state (cpu_clear_ignne), so restores on other CPUs while CPU 0 enters and leaves guest mode can
 * undo CPU 0's own flag changes (see docs/architecture.md, "The test bed's emulator").
 * Prints the number of rounds done.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int has_osxsave(void)
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    __cpuid(1, a, b, c, d);
    return ((c >> 27) & 1U) != 0;
}

int main(int argc, char **argv)
{
    static _Alignas(64) uint8_t area[4096];
    cpu_set_t set;

    if (argc != 4 || (strcmp(argv[1], "restore") != 0 && strcmp(argv[1], "exits") != 0)) {
        fprintf(stderr, "usage: fpu_storm restore|exits SECONDS CPU\n");
        return 2;
    }
    const double seconds = strtod(argv[2], NULL);
    CPU_ZERO(&set);
    CPU_SET((size_t)strtol(argv[3], NULL, 10), &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        perror("sched_setaffinity");
        return 2;
    }
    const int restore = strcmp(argv[1], "restore") == 0;
    const int xsave = restore && has_osxsave();
    const double end = now() + seconds;
    unsigned long rounds = 0;
    memset(area, 0, sizeof(area));
    while (now() < end) {
        for (int i = 0; i < 256; ++i) {
            if (restore) {
                __asm__ __volatile__("fxsave64 %0; fxrstor64 %0" : "+m"(*(uint8_t(*)[512])area));
                if (xsave) {
                    __asm__ __volatile__("xsave64 %0; xrstor64 %0" : "+m"(*(uint8_t(*)[4096])area) : "a"(3), "d"(0));
                }
            } else {
                unsigned a = 0, b = 0, c = 0, d = 0;
                __cpuid(0, a, b, c, d);
            }
        }
        rounds += 256;
    }
    printf("%s: %lu rounds\n", argv[1], rounds);
    return 0;
}
