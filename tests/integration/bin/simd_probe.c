/* SPDX-License-Identifier: MIT */
/*
 * Checks that an exit to MicroV leaves the caller's SSE state as it was:
 *   simd_probe cpuid|hypercall [--cpu N]
 * Loads a distinct pattern into XMM0-15 and a non-default MXCSR, then either runs CPUID (an exit
 * answered by the extension) or makes mv_handle_op_close_handle on a handle just opened (a
 * hypercall whose answer the extension built with SSE moves before it was built without SSE),
 * 1,000 times, and reads them all back.
 * Prints "simd ok" or one "xmmN changed" line per register that came back different; exits 0 when
 * nothing changed, 1 otherwise, 2 on a usage or setup error. AMD only (VMMCALL), like the test bed.
 */
#define _GNU_SOURCE
#include <microv/hypercall.h>

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes XMM0-15 from in[], runs the exit, stores XMM0-15 into out[]; one asm block, so the
 * compiler cannot use the registers in between. */
#define SIMD_AROUND(exit_insn, ...)                                                                                    \
    __asm__ volatile("movdqu 0x00(%[in]), %%xmm0\n movdqu 0x10(%[in]), %%xmm1\n"                                       \
                     "movdqu 0x20(%[in]), %%xmm2\n movdqu 0x30(%[in]), %%xmm3\n"                                       \
                     "movdqu 0x40(%[in]), %%xmm4\n movdqu 0x50(%[in]), %%xmm5\n"                                       \
                     "movdqu 0x60(%[in]), %%xmm6\n movdqu 0x70(%[in]), %%xmm7\n"                                       \
                     "movdqu 0x80(%[in]), %%xmm8\n movdqu 0x90(%[in]), %%xmm9\n"                                       \
                     "movdqu 0xa0(%[in]), %%xmm10\n movdqu 0xb0(%[in]), %%xmm11\n"                                     \
                     "movdqu 0xc0(%[in]), %%xmm12\n movdqu 0xd0(%[in]), %%xmm13\n"                                     \
                     "movdqu 0xe0(%[in]), %%xmm14\n movdqu 0xf0(%[in]), %%xmm15\n" exit_insn "\n"                      \
                     "movdqu %%xmm0, 0x00(%[out])\n movdqu %%xmm1, 0x10(%[out])\n"                                     \
                     "movdqu %%xmm2, 0x20(%[out])\n movdqu %%xmm3, 0x30(%[out])\n"                                     \
                     "movdqu %%xmm4, 0x40(%[out])\n movdqu %%xmm5, 0x50(%[out])\n"                                     \
                     "movdqu %%xmm6, 0x60(%[out])\n movdqu %%xmm7, 0x70(%[out])\n"                                     \
                     "movdqu %%xmm8, 0x80(%[out])\n movdqu %%xmm9, 0x90(%[out])\n"                                     \
                     "movdqu %%xmm10, 0xa0(%[out])\n movdqu %%xmm11, 0xb0(%[out])\n"                                   \
                     "movdqu %%xmm12, 0xc0(%[out])\n movdqu %%xmm13, 0xd0(%[out])\n"                                   \
                     "movdqu %%xmm14, 0xe0(%[out])\n movdqu %%xmm15, 0xf0(%[out])\n" __VA_ARGS__)

#define SIMD_CLOBBERS                                                                                                  \
    "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",        \
        "xmm12", "xmm13", "xmm14", "xmm15"

static int compare(const uint8_t *in, const uint8_t *out, uint32_t mxcsr_in, uint32_t mxcsr_out)
{
    int changed = 0;
    for (size_t i = 0; i < 16; ++i) {
        if (memcmp(in + 16 * i, out + 16 * i, 16) != 0) {
            printf("xmm%zu changed\n", i);
            changed = 1;
        }
    }
    if (mxcsr_in != mxcsr_out) {
        printf("mxcsr changed: 0x%x -> 0x%x\n", mxcsr_in, mxcsr_out);
        changed = 1;
    }
    return changed;
}

int main(int argc, char **argv)
{
    uint8_t in[256], out[256];
    const uint32_t mxcsr_in = 0x1f80U ^ 0x6000U; /* round toward zero: not Linux's default */
    uint32_t mxcsr_saved = 0, mxcsr_out = 0;
    int hypercall = 0;

    if (argc < 2 || (strcmp(argv[1], "cpuid") != 0 && strcmp(argv[1], "hypercall") != 0)) {
        fprintf(stderr, "usage: simd_probe cpuid|hypercall [--cpu N]\n");
        return 2;
    }
    hypercall = strcmp(argv[1], "hypercall") == 0;
    if (argc == 4 && strcmp(argv[2], "--cpu") == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((size_t)strtol(argv[3], NULL, 10), &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            perror("sched_setaffinity");
            return 2;
        }
    }
    for (int i = 0; i < 256; ++i) {
        in[i] = (uint8_t)(0xA5 ^ (i * 7));
    }

    int changed = 0;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr_saved));
    for (int n = 0; n < 1000 && !changed; ++n) {
        if (hypercall) {
            struct mv_hypercall_regs r = {mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_OPEN_HANDLE_IDX_VAL), MV_SPEC_ID1_VAL,
                                          0, 0, 0};
            if (mv_hypercall(&r) != MV_STATUS_SUCCESS) {
                fprintf(stderr, "simd_probe: mv_handle_op_open_handle: status 0x%llx\n", (unsigned long long)r.rax);
                return 2;
            }
            register uint64_t r10 __asm__("r10") = r.reg0;
            uint64_t rax = mv_rax(MV_HANDLE_OP_VAL, MV_HANDLE_OP_CLOSE_HANDLE_IDX_VAL);
            __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr_in));
            SIMD_AROUND("vmmcall",
                        : "+a"(rax), "+r"(r10)
                        : [in] "r"(in), [out] "r"(out)
                        : "r11", "r12", "r13", SIMD_CLOBBERS);
            __asm__ volatile("stmxcsr %0" : "=m"(mxcsr_out));
            if (rax != MV_STATUS_SUCCESS) {
                fprintf(stderr, "simd_probe: mv_handle_op_close_handle: status 0x%llx\n", (unsigned long long)rax);
                return 2;
            }
        } else {
            __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr_in));
            uint32_t a = 0, c = 0;
            SIMD_AROUND("cpuid", : "+a"(a), "+c"(c) : [in] "r"(in), [out] "r"(out) : "rbx", "rdx", SIMD_CLOBBERS);
            __asm__ volatile("stmxcsr %0" : "=m"(mxcsr_out));
        }
        __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr_saved));
        changed = compare(in, out, mxcsr_in, mxcsr_out);
    }
    if (!changed) {
        printf("simd ok\n");
    }
    return changed;
}
