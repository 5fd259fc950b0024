/* SPDX-License-Identifier: MIT */
/*
 * Prints, for every CPU that has /dev/cpu/N/msr (Linux's msr module), the MSRs that MicroV
 * touches, one line per CPU:
 *   cpu N efer 0x... vm_cr 0x... vm_hsave_pa 0x...
 * Under MicroV the root VM sees MicroV's answers (EFER.SVME hidden, VM_CR with SVMDIS|LOCK,
 * VM_HSAVE_PA 0); without it, the CPU's own values. Tests compare the lines before a start and
 * after a stop: every CPU must leave MicroV as MicroV found it. Exit 2 when an MSR cannot be read.
 *   msr_probe rdmsr CPU MSR          prints "0x..." (16 digits), the MSR's value on CPU
 *   msr_probe wrmsr CPU MSR VALUE    prints "wrmsr ok" or "wrmsr refused: REASON" (#GP is EIO)
 * (hex MSR and VALUE; exit 2 on a usage error or when the MSR device cannot be opened).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { max_cpus = 64 };
static const struct {
    const char *name;
    uint32_t msr;
} msrs[] = {{"efer", 0xC0000080U}, {"vm_cr", 0xC0010114U}, {"vm_hsave_pa", 0xC0010117U}};

/* One RDMSR or WRMSR on one CPU through Linux's msr device. */
static int one_access(int argc, char **argv)
{
    const int write = strcmp(argv[1], "wrmsr") == 0;
    if ((!write && argc != 4) || (write && argc != 5)) {
        fprintf(stderr, "usage: msr_probe [rdmsr CPU MSR | wrmsr CPU MSR VALUE]\n");
        return 2;
    }
    char path[32];
    snprintf(path, sizeof(path), "/dev/cpu/%ld/msr", strtol(argv[2], NULL, 10));
    const off_t msr = (off_t)strtoull(argv[3], NULL, 16);
    const int fd = open(path, write ? O_WRONLY : O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 2;
    }
    uint64_t value = write ? strtoull(argv[4], NULL, 16) : 0;
    const ssize_t n = write ? pwrite(fd, &value, sizeof(value), msr) : pread(fd, &value, sizeof(value), msr);
    const int err = errno;
    close(fd);
    if (write) {
        if (n == (ssize_t)sizeof(value)) {
            printf("wrmsr ok\n");
        } else {
            printf("wrmsr refused: %s\n", strerror(err));
        }
        return 0;
    }
    if (n != (ssize_t)sizeof(value)) {
        fprintf(stderr, "msr_probe: %s: cannot read 0x%jx: %s\n", path, (uintmax_t)msr, strerror(err));
        return 2;
    }
    printf("0x%016" PRIx64 "\n", value);
    return 0;
}

int main(int argc, char **argv)
{
    int found = 0;

    if (argc > 1 && (strcmp(argv[1], "rdmsr") == 0 || strcmp(argv[1], "wrmsr") == 0)) {
        return one_access(argc, argv);
    }

    for (int cpu = 0; cpu < max_cpus; ++cpu) {
        char path[32];
        snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
        const int fd = open(path, O_RDONLY);
        if (fd < 0) {
            continue;
        }
        printf("cpu %d", cpu);
        for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); ++i) {
            uint64_t value = 0;
            if (pread(fd, &value, sizeof(value), msrs[i].msr) != (ssize_t)sizeof(value)) {
                printf("\n");
                fprintf(stderr, "msr_probe: cpu %d: cannot read %s (0x%x)\n", cpu, msrs[i].name, msrs[i].msr);
                close(fd);
                return 2;
            }
            printf(" %s 0x%016" PRIx64, msrs[i].name, value);
        }
        printf("\n");
        close(fd);
        ++found;
    }
    if (found == 0) {
        fprintf(stderr, "msr_probe: no /dev/cpu/N/msr (is the msr module loaded?)\n");
        return 2;
    }
    return 0;
}
