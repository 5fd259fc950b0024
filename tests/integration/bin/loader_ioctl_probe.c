/* SPDX-License-Identifier: MIT */
/*
 * Sends the loader driver hostile and well-formed MV_LOADER_CPU_INFO requests and checks each
 * answer. Runs inside the test bed; prints one line per case and exits 1 on the first mismatch.
 */
#include <microv/loader_ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

static void expect(const char *what, int rc, int expected_errno)
{
    const int got = rc == 0 ? 0 : errno;
    const int ok = got == expected_errno;
    printf("%s %-48s errno %d (%s), expected %d\n", ok ? "ok  " : "FAIL", what, got, got ? strerror(got) : "none",
           expected_errno);
    failures += !ok;
}

static struct mv_loader_cpu_info request(uint32_t capacity, void *buf)
{
    struct mv_loader_cpu_info req;
    memset(&req, 0, sizeof(req));
    req.abi_version = MV_LOADER_ABI_VERSION;
    req.capacity = capacity;
    req.cpus = (uint64_t)(uintptr_t)buf;
    return req;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : MV_LOADER_DEVICE_PATH;
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    static struct mv_cpu_raw cpus[MV_LOADER_MAX_CPUS];
    struct mv_loader_cpu_info req;

    int fd = open(path, O_RDWR);
    if (fd < 0) {
        printf("FAIL cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }

    req = request(0, NULL);
    expect("size query (capacity 0)", ioctl(fd, MV_LOADER_CPU_INFO, &req), ENOSPC);
    printf("     online reported %u, sysconf %ld\n", req.online, online);
    failures += req.online != (uint32_t)online;

    req = request(MV_LOADER_MAX_CPUS, cpus);
    expect("full request", ioctl(fd, MV_LOADER_CPU_INFO, &req), 0);
    failures += req.count != (uint32_t)online || req.online != (uint32_t)online;
    for (uint32_t i = 0; i < req.count; ++i) {
        failures += cpus[i].leaf_0.eax == 0; /* every CPU has basic leaves */
    }

    req = request((uint32_t)online - 1, cpus);
    expect("capacity one short", ioctl(fd, MV_LOADER_CPU_INFO, &req), ENOSPC);

    req = request(MV_LOADER_MAX_CPUS, cpus);
    req.abi_version = 99;
    expect("wrong abi version", ioctl(fd, MV_LOADER_CPU_INFO, &req), EINVAL);

    req = request(MV_LOADER_MAX_CPUS + 1, cpus);
    expect("capacity above the limit", ioctl(fd, MV_LOADER_CPU_INFO, &req), EINVAL);

    req = request(MV_LOADER_MAX_CPUS, cpus);
    req.reserved = 1;
    expect("reserved field set", ioctl(fd, MV_LOADER_CPU_INFO, &req), EINVAL);

    req = request(4, NULL);
    expect("capacity without buffer", ioctl(fd, MV_LOADER_CPU_INFO, &req), EINVAL);

    req = request(MV_LOADER_MAX_CPUS, (void *)0xFFFF800000000000ULL); /* kernel address */
    expect("buffer in kernel space", ioctl(fd, MV_LOADER_CPU_INFO, &req), EFAULT);

    void *ro = mmap(NULL, (size_t)4096 * 32, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    req = request(MV_LOADER_MAX_CPUS, ro);
    expect("read-only buffer", ioctl(fd, MV_LOADER_CPU_INFO, &req), EFAULT);

    expect("request struct at a bad address", ioctl(fd, MV_LOADER_CPU_INFO, (void *)8), EFAULT);
    expect("unknown ioctl", ioctl(fd, _IOWR(MV_LOADER_IOCTL_MAGIC, 0x7F, struct mv_loader_cpu_info), &req), ENOTTY);

    close(fd);
    printf("%d failure(s)\n", failures);
    return failures != 0;
}
