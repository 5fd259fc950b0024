/* SPDX-License-Identifier: MIT */
/*
 * One port access from user space in the root VM (needs root: ioperm):
 *   port_probe in PORT           prints the byte read, "0x.."
 *   port_probe out PORT VALUE    writes the byte, prints "out ok"
 * PORT and VALUE are hex. Exit 2 on a usage error or when ioperm is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
    const int out = argc == 4 && strcmp(argv[1], "out") == 0;
    if (!out && !(argc == 3 && strcmp(argv[1], "in") == 0)) {
        fprintf(stderr, "usage: port_probe in PORT | out PORT VALUE\n");
        return 2;
    }
    const unsigned long port = strtoul(argv[2], NULL, 16);
    if (port > 0xFFFF || ioperm(port, 1, 1) != 0) {
        perror("port_probe: ioperm");
        return 2;
    }
    if (out) {
        outb((unsigned char)strtoul(argv[3], NULL, 16), (unsigned short)port);
        printf("out ok\n");
    } else {
        printf("0x%02x\n", inb((unsigned short)port));
    }
    return 0;
}
