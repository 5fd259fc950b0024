/* SPDX-License-Identifier: MIT */
/*
 * Prints, for every CPU that has /dev/cpu/N/msr (Linux's msr module), the MSRs that MicroV
 * touches, one line per CPU:
 *   cpu N efer 0x... vm_cr 0x... vm_hsave_pa 0x...
 * Under MicroV the root VM sees MicroV's answers (EFER.SVME hidden, VM_CR with SVMDIS|LOCK,
 * VM_HSAVE_PA 0); without it, the CPU's own values. Tests compare the lines before a start and
 * after a stop: every CPU must leave MicroV as MicroV found it. Exit 2 when an MSR cannot be read.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

enum { max_cpus = 64 };
static const struct {
    const char *name;
    uint32_t msr;
} msrs[] = {{"efer", 0xC0000080U}, {"vm_cr", 0xC0010114U}, {"vm_hsave_pa", 0xC0010117U}};

int main(void)
{
    int found = 0;

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
