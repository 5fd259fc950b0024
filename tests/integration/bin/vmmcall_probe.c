/* SPDX-License-Identifier: MIT */
/*
 * Makes one VMMCALL with the RAX given (hex) from user space and prints the RAX that comes back:
 *   vmmcall_probe 0x764d0000fffe0000
 * Under MicroV every VMMCALL exits to the hypervisor, whatever the CPL; without a hypervisor
 * the instruction raises #UD and the program dies of SIGILL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: vmmcall_probe RAX\n");
        return 2;
    }
    uint64_t rax = strtoull(argv[1], NULL, 16);
    __asm__ volatile("vmmcall" : "+a"(rax) : : "memory");
    printf("rax 0x%llx\n", (unsigned long long)rax);
    return 0;
}
