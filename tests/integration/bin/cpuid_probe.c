/* SPDX-License-Identifier: MIT */
/*
 * Prints what CPUID tells the software running on this CPU about a hypervisor, one line each:
 *   hypervisor-bit 0|1      CPUID.1:ECX[31]
 *   svm 0|1                 CPUID.0x80000001:ECX[2]
 *   signature TEXT          CPUID.0x40000000 EBX, ECX, EDX as 12 characters ('.' for unprintable)
 *   max-leaf 0xN            CPUID.0x40000000 EAX
 *   version N               CPUID.0x40000001 EAX, when max-leaf reaches it
 * With a CPU number argument it first pins itself to that CPU.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    char sig[13];

    if (argc > 1) {
        cpu_set_t set;
        const long cpu = strtol(argv[1], NULL, 10);
        CPU_ZERO(&set);
        CPU_SET((size_t)cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            perror("sched_setaffinity");
            return 2;
        }
    }
    __cpuid(1, a, b, c, d);
    printf("hypervisor-bit %u\n", (c >> 31) & 1U);
    __cpuid(0x80000001, a, b, c, d);
    printf("svm %u\n", (c >> 2) & 1U);
    __cpuid(0x40000000, a, b, c, d);
    const unsigned regs[3] = {b, c, d};
    for (int i = 0; i < 12; ++i) {
        const char ch = (char)((regs[i / 4] >> (8 * (i % 4))) & 0xFF);
        sig[i] = (char)(ch >= 0x20 && ch < 0x7F ? ch : '.');
    }
    sig[12] = '\0';
    printf("signature %s\n", sig);
    printf("max-leaf 0x%x\n", a);
    if (a >= 0x40000001 && a < 0x40000100) {
        __cpuid(0x40000001, a, b, c, d);
        printf("version %u\n", a);
    }
    return 0;
}
