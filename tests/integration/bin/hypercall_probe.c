/* SPDX-License-Identifier: MIT */
/*
 * Makes one mv_* hypercall from user space in the root VM and prints the status and REG0:
 *   hypercall_probe RAX [REG0 [REG1 [REG2]]] [--cpu N] [--repeat N]   (hex numbers; N decimal)
 *   hypercall_probe --open                           opens the handle, prints it
 * A REG value "self" is the physical address of a page of this process (locked, from
 * /proc/self/pagemap), for hypercalls that take a GPA (the root VM's GPAs are physical addresses).
 * --repeat N makes the same hypercall N times in a row (the output is the last one's).
 * Prints "status 0x... reg0 0x..." and exits 0 whenever the hypercall came back.
 */
#define _GNU_SOURCE
#include "own_page.h"

#include <microv/hypercall.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct mv_hypercall_regs r;
    uint64_t args[4] = {0, 0, 0, 0};
    int n = 0;
    long repeat = 1;

    memset(&r, 0, sizeof(r));
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET((size_t)strtol(argv[++i], NULL, 10), &set);
            if (sched_setaffinity(0, sizeof(set), &set) != 0) {
                perror("sched_setaffinity");
                return 2;
            }
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--open") == 0 && n == 0) {
            args[n++] = mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL);
            args[n++] = MV_SPEC_ID1_VAL;
        } else if (n < 4 && strcmp(argv[i], "self") == 0) {
            args[n] = own_page_phys(0x5A);
            if (args[n++] == 0) {
                fprintf(stderr, "hypercall_probe: no physical address for a page of mine\n");
                return 2;
            }
        } else if (n < 4) {
            args[n++] = strtoull(argv[i], NULL, 16);
        } else {
            fprintf(stderr, "usage: hypercall_probe RAX [REG0 [REG1 [REG2]]] [--cpu N] [--repeat N] | --open\n");
            return 2;
        }
    }
    if (n == 0 || repeat < 1) {
        fprintf(stderr, "usage: hypercall_probe RAX [REG0 [REG1 [REG2]]] [--cpu N] [--repeat N] | --open\n");
        return 2;
    }
    for (long k = 0; k < repeat; ++k) {
        r.rax = args[0];
        r.reg0 = args[1];
        r.reg1 = args[2];
        r.reg2 = args[3];
        mv_hypercall(&r);
    }
    printf("status 0x%llx reg0 0x%llx\n", (unsigned long long)r.rax, (unsigned long long)r.reg0);
    return 0;
}
