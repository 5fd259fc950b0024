/* SPDX-License-Identifier: MIT */
/*
 * Makes mv_* hypercalls from kernel mode through the test module hypercall_kprobe
 * (/dev/mv_hypercall_kprobe, which must be loaded) on one CPU, with the module's page as that PP's
 * shared page, and prints what came back:
 *   shared_page_probe [OPTIONS] cpuid IDX FUN[:SUB[:FLAGS[:RES]]]         one mv_cdl_entry_t
 *   shared_page_probe [OPTIONS] cdl IDX [LIST OPTIONS] FUN[:SUB[:FLAGS[:RES]]]...   an mv_cdl_t
 *   shared_page_probe [OPTIONS] rdl IDX [LIST OPTIONS] MSR[:VAL]...        an mv_rdl_t
 *   shared_page_probe [OPTIONS] rdl-all IDX      the MV_RDL_FLAG_ALL continuation, to its end
 *   shared_page_probe [OPTIONS] STEP...          any hypercalls; a STEP is one of
 *     call RAX [REG1 [REG2 [REG3]]]   a hypercall with REG0 = the handle
 *     cpu N              go on on CPU N
 *     handle H           REG0 of the calls after it
 * OPTIONS: --cpu N (pin to CPU N; default: the CPU it starts on), --no-page (set no shared page
 * first), --handle H (REG0 of the calls; default: the handle mv_handle_op_open_handle gives),
 * --rax X (RAX of a cpuid/cdl/rdl call instead of MV_PP_OP_VAL | IDX).
 * LIST OPTIONS: --reg0 X, --reg1 X (the list's reg0 and reg1, default 0), --num N (its
 * num_entries, default: the number of entries given).
 * Numbers are hex (0x optional) but N, which is decimal. A REG1 is a number, "page" (the module's
 * page) or "self" (a locked page of this process). An entry's FLAGS and RES default to 0; its
 * outputs start as 0xa5a5a5a5 (CPUID) and 0xa5a5a5a5a5a5a5a5 (MSR), so that an answer of 0 shows.
 * Output, one item a line:
 *   cpu N                              where it runs
 *   status 0x.. reg0 0x..              each hypercall of the scenario (RAX and REG0 after it)
 *   list reg0 0x.. reg1 0x.. num N     the list's header after the call (cdl, rdl)
 *   entry FUN SUB EAX EBX ECX EDX      each CPUID entry after a successful call ...
 *   root FUN SUB EAX EBX ECX EDX       ... and what CPUID shows this program for that leaf
 *   entry MSR VAL                      each MSR entry after a successful call
 *   page unchanged | page changed      the page after the call, against what was written (cpuid, cdl, rdl)
 *   total N calls M                    rdl-all: how many MSRs in how many calls (and "continuation
 *                                      mismatch ..." when reg1 out does not count down)
 * At the end it clears the shared page of the CPU it is on (closing the device has the module
 * clear it wherever one of its calls set one) and closes the handle it opened, which destroys the
 * guests made under that handle (give --handle to keep them under another).
 * Exit status: 0 whenever the hypercalls came back, 2 on a usage, device or setup error.
 */
#define _GNU_SOURCE
#include "../modules/hypercall_kprobe.h"
#include "own_page.h"

#include <microv/hypercall.h>

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_BYTES MV_KPROBE_PAGE_BYTES
#define CDL_SENTINEL 0xa5a5a5a5U
#define RDL_SENTINEL 0xa5a5a5a5a5a5a5a5ULL

static const char usage_text[] = "usage: shared_page_probe [--cpu N] [--no-page] [--handle H] [--rax X] SCENARIO\n"
                                 "  cpuid IDX FUN[:SUB[:FLAGS[:RES]]]\n"
                                 "  cdl IDX [--reg0 X] [--reg1 X] [--num N] FUN[:SUB[:FLAGS[:RES]]]...\n"
                                 "  rdl IDX [--reg0 X] [--reg1 X] [--num N] MSR[:VAL]...\n"
                                 "  rdl-all IDX\n"
                                 "  (call RAX [REG1|page|self] | cpu N | handle H)...\n";

static int usage(const char *why)
{
    fprintf(stderr, "shared_page_probe: %s\n%s", why, usage_text);
    return 2;
}

/* A whole number in the given base; 0 when s is not one. */
static int parse_u64(const char *s, int base, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtoull(s, &end, base);
    return errno == 0 && end != s && *end == '\0' && s[0] != '-';
}

/* FIELDS values separated by ':' (at least one, at most max); the rest stay as they were. */
static int parse_fields(const char *s, uint64_t *fields, int max)
{
    char buf[128];
    char *save = NULL;
    int n = 0;

    if (strlen(s) >= sizeof(buf)) {
        return 0;
    }
    memcpy(buf, s, strlen(s) + 1);
    for (char *tok = strtok_r(buf, ":", &save); tok != NULL; tok = strtok_r(NULL, ":", &save)) {
        if (n == max || !parse_u64(tok, 16, &fields[n++])) {
            return 0;
        }
    }
    return n > 0;
}

static int dev = -1;

/* One hypercall from kernel mode; 0 when the module could not make it. */
static int kcall(struct mv_kprobe_call *c)
{
    if (ioctl(dev, MV_KPROBE_HYPERCALL, c) != 0) {
        fprintf(stderr, "shared_page_probe: ioctl: %s%s\n", strerror(errno),
                errno == ENODEV ? " (MicroV is not running on this CPU)" : "");
        return 0;
    }
    return 1;
}

/* The hypercall (rax, reg0, reg1) from kernel mode, printed; 0 when it could not be made. */
static int kcall_print(uint64_t rax, uint64_t reg0, const uint64_t reg123[3], uint32_t flags, uint64_t *status)
{
    struct mv_kprobe_call c = {rax, reg0, reg123[0], reg123[1], reg123[2], flags, 0};
    if (!kcall(&c)) {
        return 0;
    }
    printf("status 0x%llx reg0 0x%llx\n", (unsigned long long)c.rax, (unsigned long long)c.reg0);
    *status = c.rax;
    return 1;
}

static int page_write(const uint8_t *page)
{
    if (pwrite(dev, page, PAGE_BYTES, 0) != PAGE_BYTES) {
        perror("shared_page_probe: write to the module's page");
        return 0;
    }
    return 1;
}

static int page_read(uint8_t *page)
{
    if (pread(dev, page, PAGE_BYTES, 0) != PAGE_BYTES) {
        perror("shared_page_probe: read of the module's page");
        return 0;
    }
    return 1;
}

/* What the scenario asks, from the command line. */
struct scenario {
    const char *mode;
    uint64_t idx;
    uint64_t rax; /* 0: MV_PP_OP_VAL | idx */
    uint64_t handle;
    uint64_t reg0; /* the list's */
    uint64_t reg1;
    uint64_t num;
    int num_given;
    int nentries;
    char **entries;
};

static void print_cdl_entry(const struct mv_cdl_entry_t *e)
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    printf("entry 0x%x 0x%x 0x%x 0x%x 0x%x 0x%x\n", e->fun, e->idx, e->eax, e->ebx, e->ecx, e->edx);
    __cpuid_count(e->fun, e->idx, a, b, c, d);
    printf("root 0x%x 0x%x 0x%x 0x%x 0x%x 0x%x\n", e->fun, e->idx, a, b, c, d);
}

/* A CDL entry from FUN[:SUB[:FLAGS[:RES]]]. */
static int parse_cdl_entry(const char *s, struct mv_cdl_entry_t *e)
{
    uint64_t f[4] = {0, 0, 0, 0};
    if (!parse_fields(s, f, 4)) {
        return 0;
    }
    e->fun = (uint32_t)f[0];
    e->idx = (uint32_t)f[1];
    e->flags = (uint32_t)f[2];
    e->reserved = (uint32_t)f[3];
    e->eax = e->ebx = e->ecx = e->edx = CDL_SENTINEL;
    return 1;
}

/* Writes the page, makes the call (printing its status), reads the page back. */
static int list_call(const struct scenario *sc, const uint8_t *written, uint8_t *page, uint64_t *status)
{
    const uint64_t rax = sc->rax != 0 ? sc->rax : mv_rax(MV_PP_OP_VAL, sc->idx);
    const uint64_t none[3] = {0, 0, 0};
    if (!page_write(written) || !kcall_print(rax, sc->handle, none, 0, status) || !page_read(page)) {
        return 0;
    }
    return 1;
}

static int run_cpuid(const struct scenario *sc)
{
    static uint8_t written[PAGE_BYTES], page[PAGE_BYTES];
    struct mv_cdl_entry_t e;
    uint64_t status = 0;

    if (sc->nentries != 1 || !parse_cdl_entry(sc->entries[0], &e)) {
        return usage("cpuid takes one FUN[:SUB[:FLAGS[:RES]]]");
    }
    memcpy(written, &e, sizeof(e));
    if (!list_call(sc, written, page, &status)) {
        return 2;
    }
    if (status == MV_STATUS_SUCCESS) {
        memcpy(&e, page, sizeof(e));
        print_cdl_entry(&e);
    }
    printf("page %s\n", memcmp(written, page, PAGE_BYTES) == 0 ? "unchanged" : "changed");
    return 0;
}

static int run_cdl(const struct scenario *sc)
{
    static struct mv_cdl_t written, page;
    uint64_t status = 0;

    if (sc->nentries > (int)MV_CDL_MAX_ENTRIES) {
        return usage("too many CDL entries");
    }
    written.reg0 = sc->reg0;
    written.reg1 = sc->reg1;
    written.num_entries = sc->num_given ? sc->num : (uint64_t)sc->nentries;
    for (int i = 0; i < sc->nentries; ++i) {
        if (!parse_cdl_entry(sc->entries[i], &written.entries[i])) {
            return usage("a CDL entry is FUN[:SUB[:FLAGS[:RES]]]");
        }
    }
    if (!list_call(sc, (const uint8_t *)&written, (uint8_t *)&page, &status)) {
        return 2;
    }
    printf("list reg0 0x%llx reg1 0x%llx num %llu\n", (unsigned long long)page.reg0, (unsigned long long)page.reg1,
           (unsigned long long)page.num_entries);
    if (status == MV_STATUS_SUCCESS) {
        for (uint64_t i = 0; i < page.num_entries && i < MV_CDL_MAX_ENTRIES; ++i) {
            print_cdl_entry(&page.entries[i]);
        }
    }
    printf("page %s\n", memcmp(&written, &page, PAGE_BYTES) == 0 ? "unchanged" : "changed");
    return 0;
}

static void print_rdl_entries(const struct mv_rdl_t *page)
{
    for (uint64_t i = 0; i < page->num_entries && i < MV_RDL_MAX_ENTRIES; ++i) {
        printf("entry 0x%llx 0x%llx\n", (unsigned long long)page->entries[i].reg,
               (unsigned long long)page->entries[i].val);
    }
}

static int run_rdl(const struct scenario *sc)
{
    static struct mv_rdl_t written, page;
    uint64_t status = 0;

    if (sc->nentries > (int)MV_RDL_MAX_ENTRIES) {
        return usage("too many RDL entries");
    }
    written.reg0 = sc->reg0;
    written.reg1 = sc->reg1;
    written.num_entries = sc->num_given ? sc->num : (uint64_t)sc->nentries;
    for (int i = 0; i < sc->nentries; ++i) {
        uint64_t f[2] = {0, RDL_SENTINEL};
        if (!parse_fields(sc->entries[i], f, 2)) {
            return usage("an RDL entry is MSR[:VAL]");
        }
        written.entries[i].reg = f[0];
        written.entries[i].val = f[1];
    }
    if (!list_call(sc, (const uint8_t *)&written, (uint8_t *)&page, &status)) {
        return 2;
    }
    printf("list reg0 0x%llx reg1 0x%llx num %llu\n", (unsigned long long)page.reg0, (unsigned long long)page.reg1,
           (unsigned long long)page.num_entries);
    if (status == MV_STATUS_SUCCESS) {
        print_rdl_entries(&page);
    }
    printf("page %s\n", memcmp(&written, &page, PAGE_BYTES) == 0 ? "unchanged" : "changed");
    return 0;
}

/* MV_RDL_FLAG_ALL from index 0 on, each call resuming where the last one stopped. */
static int run_rdl_all(const struct scenario *sc)
{
    static struct mv_rdl_t written, page;
    uint64_t start = 0, total = 0, calls = 0, left = 0;
    uint64_t status = 0;

    if (sc->nentries != 0) {
        return usage("rdl-all takes no entries");
    }
    for (;;) {
        memset(&written, 0, sizeof(written));
        written.reg0 = MV_RDL_FLAG_ALL;
        written.reg1 = start;
        if (!list_call(sc, (const uint8_t *)&written, (uint8_t *)&page, &status)) {
            return 2;
        }
        ++calls;
        if (status != MV_STATUS_SUCCESS) {
            break;
        }
        print_rdl_entries(&page);
        if (calls > 1 && page.reg1 + page.num_entries != left) {
            printf("continuation mismatch: call %llu from %llu: %llu entries, %llu left, %llu before\n",
                   (unsigned long long)calls, (unsigned long long)start, (unsigned long long)page.num_entries,
                   (unsigned long long)page.reg1, (unsigned long long)left);
        }
        total += page.num_entries;
        start += page.num_entries;
        left = page.reg1;
        if (left == 0) {
            break;
        }
        if (page.num_entries == 0 || calls >= 10000) {
            printf("continuation stuck: call %llu from %llu: %llu entries, %llu left\n", (unsigned long long)calls,
                   (unsigned long long)start, (unsigned long long)page.num_entries, (unsigned long long)left);
            break;
        }
    }
    printf("total %llu calls %llu\n", (unsigned long long)total, (unsigned long long)calls);
    return 0;
}

/* Pins this program to cpu, or to the CPU it runs on when cpu is negative. */
static int pin(long cpu)
{
    cpu_set_t set;
    if (cpu < 0) {
        cpu = sched_getcpu();
    }
    if (cpu < 0 || cpu >= CPU_SETSIZE) {
        fprintf(stderr, "shared_page_probe: no CPU %ld\n", cpu);
        return 0;
    }
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        perror("shared_page_probe: sched_setaffinity");
        return 0;
    }
    printf("cpu %d\n", sched_getcpu());
    return 1;
}

/* call RAX [REG1], cpu N, handle H: each step in turn; a call's REG0 is the current handle. */
static int run_calls(const struct scenario *sc, char **args, int n, int *set_any)
{
    uint64_t handle = sc->handle;
    int i = 0;
    while (i < n) {
        uint64_t rax = 0, reg1 = 0, status = 0, v = 0;
        uint32_t flags = 0;
        if (strcmp(args[i], "cpu") == 0 && i + 1 < n && parse_u64(args[i + 1], 10, &v)) {
            if (!pin((long)v)) {
                return 2;
            }
            i += 2;
            continue;
        }
        if (strcmp(args[i], "handle") == 0 && i + 1 < n && parse_u64(args[i + 1], 16, &handle)) {
            i += 2;
            continue;
        }
        if (strcmp(args[i], "call") != 0 || i + 1 >= n || !parse_u64(args[i + 1], 16, &rax)) {
            return usage("expected: call RAX [REG1], cpu N or handle H");
        }
        i += 2;
        if (i < n && strcmp(args[i], "call") != 0 && strcmp(args[i], "cpu") != 0 && strcmp(args[i], "handle") != 0) {
            if (strcmp(args[i], "page") == 0) {
                flags = MV_KPROBE_FLAG_PAGE_IN_REG1;
            } else if (strcmp(args[i], "self") == 0) {
                reg1 = own_page_phys(0);
                if (reg1 == 0) {
                    fprintf(stderr, "shared_page_probe: no physical address for a page of mine\n");
                    return 2;
                }
            } else if (!parse_u64(args[i], 16, &reg1)) {
                return usage("REG1 is a hex number, page or self");
            }
            ++i;
        }
        uint64_t regs[3] = {reg1, 0, 0};
        for (int r = 1; r < 3 && i < n && parse_u64(args[i], 16, &regs[r]); ++r) {
            ++i; /* REG2, REG3: numbers */
        }
        if (!kcall_print(rax, handle, regs, flags, &status)) {
            return 2;
        }
        if (rax == mv_rax(MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL)) {
            *set_any = 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct scenario sc;
    long cpu = -1;
    int no_page = 0, handle_given = 0, set_any = 0, rc = 0, i = 1;
    uint64_t v = 0;

    memset(&sc, 0, sizeof(sc));
    /* The options, then the scenario. */
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; ++i) {
        if (strcmp(argv[i], "--no-page") == 0) {
            no_page = 1;
        } else if (i + 1 >= argc) {
            return usage("an option without its value");
        } else if (strcmp(argv[i], "--cpu") == 0 && parse_u64(argv[i + 1], 10, &v)) {
            cpu = (long)v;
            ++i;
        } else if (strcmp(argv[i], "--handle") == 0 && parse_u64(argv[i + 1], 16, &sc.handle)) {
            handle_given = 1;
            ++i;
        } else if (strcmp(argv[i], "--rax") == 0 && parse_u64(argv[i + 1], 16, &sc.rax)) {
            ++i;
        } else {
            return usage(argv[i]);
        }
    }
    if (i >= argc) {
        return usage("no scenario");
    }
    sc.mode = argv[i];
    const int is_call = strcmp(sc.mode, "call") == 0 || strcmp(sc.mode, "cpu") == 0 || strcmp(sc.mode, "handle") == 0;
    if (!is_call) {
        if (strcmp(sc.mode, "cpuid") != 0 && strcmp(sc.mode, "cdl") != 0 && strcmp(sc.mode, "rdl") != 0 &&
            strcmp(sc.mode, "rdl-all") != 0) {
            return usage("unknown scenario");
        }
        if (++i >= argc || !parse_u64(argv[i], 16, &sc.idx)) {
            return usage("no IDX");
        }
        /* The list options, then the entries. */
        for (++i; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
            const int ok = strcmp(argv[i], "--reg0") == 0   ? parse_u64(argv[i + 1], 16, &sc.reg0)
                           : strcmp(argv[i], "--reg1") == 0 ? parse_u64(argv[i + 1], 16, &sc.reg1)
                           : strcmp(argv[i], "--num") == 0  ? (sc.num_given = parse_u64(argv[i + 1], 10, &sc.num))
                                                            : 0;
            if (!ok) {
                return usage(argv[i]);
            }
        }
        sc.entries = &argv[i];
        sc.nentries = argc - i;
    }

    /* This CPU, the module, the handle and (unless --no-page) the module's page as shared page. */
    if (!pin(cpu)) {
        return 2;
    }
    dev = open(MV_KPROBE_DEVICE, O_RDWR);
    if (dev < 0) {
        fprintf(stderr, "shared_page_probe: %s: %s (is hypercall_kprobe.ko loaded?)\n", MV_KPROBE_DEVICE,
                strerror(errno));
        return 2;
    }
    struct mv_kprobe_call open_call = {
        mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL), MV_SPEC_ID1_VAL, 0, 0, 0, 0, 0};
    if (!kcall(&open_call) || open_call.rax != MV_STATUS_SUCCESS) {
        fprintf(stderr, "shared_page_probe: open_handle failed: status 0x%llx\n", (unsigned long long)open_call.rax);
        return 2;
    }
    const uint64_t handle = open_call.reg0;
    if (!handle_given) {
        sc.handle = handle;
    }
    const uint64_t set_rax = mv_rax(MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL);
    struct mv_kprobe_call set_call = {set_rax, handle, 0, 0, 0, MV_KPROBE_FLAG_PAGE_IN_REG1, 0};
    if (!no_page && (!kcall(&set_call) || set_call.rax != MV_STATUS_SUCCESS)) {
        fprintf(stderr, "shared_page_probe: set_shared_page_gpa of the module's page failed: status 0x%llx\n",
                (unsigned long long)set_call.rax);
        return 2;
    }

    if (is_call) {
        rc = run_calls(&sc, &argv[i], argc - i, &set_any);
    } else if (strcmp(sc.mode, "cpuid") == 0) {
        rc = run_cpuid(&sc);
    } else if (strcmp(sc.mode, "cdl") == 0) {
        rc = run_cdl(&sc);
    } else if (strcmp(sc.mode, "rdl") == 0) {
        rc = run_rdl(&sc);
    } else {
        rc = run_rdl_all(&sc);
    }

    /* No shared page left behind (the module also clears it when the device is closed). */
    if (!no_page || set_any) {
        struct mv_kprobe_call clr = {mv_rax(MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL), handle, 0, 0, 0, 0, 0};
        if (!kcall(&clr) || clr.rax != MV_STATUS_SUCCESS) {
            fprintf(stderr, "shared_page_probe: clr_shared_page_gpa failed: status 0x%llx\n",
                    (unsigned long long)clr.rax);
            rc = 2;
        }
    }
    /* Its own handle goes too (a handle another step closed already is refused: no matter). */
    struct mv_kprobe_call close_call = {
        mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL), handle, 0, 0, 0, 0, 0};
    (void)kcall(&close_call);
    fflush(stdout);
    close(dev);
    return rc;
}
