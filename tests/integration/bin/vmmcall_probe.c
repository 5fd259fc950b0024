/* SPDX-License-Identifier: MIT */
/*
 * Makes one VMMCALL with the RAX given (hex) from user space and prints the RAX that comes back,
 * on the CPU given if one is:
 *   vmmcall_probe 0x764d0000fffe0000 [CPU]
 * Under MicroV every VMMCALL exits to the hypervisor, whatever the CPL; without a hypervisor
 * the instruction raises #UD and the program dies of SIGILL.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: vmmcall_probe RAX [CPU]\n");
        return 2;
    }
    if (argc == 3) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((size_t)strtol(argv[2], NULL, 10), &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            perror("sched_setaffinity");
            return 2;
        }
    }
    uint64_t rax = strtoull(argv[1], NULL, 16);
    __asm__ volatile("vmmcall" : "+a"(rax) : : "memory");
    printf("rax 0x%llx\n", (unsigned long long)rax);
    return 0;
}
