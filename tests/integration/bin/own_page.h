/* SPDX-License-Identifier: MIT */
/*
 * For the test bed's probes: a page of the calling process, locked in memory, and its physical
 * address (from /proc/self/pagemap, which gives frame numbers to root only). The root VM's GPAs
 * are its physical addresses, so the probes can name this page in a hypercall.
 */
#ifndef MICROV_TEST_OWN_PAGE_H
#define MICROV_TEST_OWN_PAGE_H

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The physical address of a fresh locked page of this process, filled with fill; 0 when it
 * cannot be found. The page stays for the life of the process. */
static uint64_t own_page_phys(int fill)
{
    uint64_t entry = 0;
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = open("/proc/self/pagemap", O_RDONLY);

    if (page == MAP_FAILED || fd < 0 || mlock(page, 4096) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return 0;
    }
    memset(page, fill, 4096);
    if (pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)page / 4096 * sizeof(entry))) != sizeof(entry)) {
        entry = 0;
    }
    close(fd);
    /* bit 63: present; bits 54-0: the page frame number */
    return (entry >> 63) != 0 ? (entry & ((1ULL << 55) - 1)) * 4096 : 0;
}

#endif
