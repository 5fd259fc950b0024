/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The world switch into the microkernel, on the current CPU, with interrupts off:
 *
 *   u64 mv_world_switch(u64 mk_cr3, u64 mk_rsp, u64 mk_entry, u64 mk_args);
 *
 * Sets EFER.SVME and clears GIF (so NMIs and SMIs wait), switches to the microkernel's page
 * tables and stack, and calls mk_entry(mk_args). When the microkernel returns, it switches back,
 * sets GIF (a held NMI is taken now, by the OS), clears EFER.SVME and returns mk_entry's status.
 * This page is mapped at the same address in the microkernel's address space, so execution
 * goes on across the CR3 writes. Toggling CR4.PGE flushes global TLB entries (and all PCIDs):
 * the OS's global kernel mappings must not survive into the microkernel's space, nor its
 * mappings back.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>

#include <asm/msr-index.h>
#include <asm/processor-flags.h>

    .section .text.mv_switch, "ax"
    .balign 4096
SYM_FUNC_START(mv_world_switch)
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    pushfq
    cli

    mov %cr3, %r12            /* the OS's address space */
    mov %rsp, %r13            /* the OS's stack */
    mov %cr4, %r14            /* the OS's CR4 */
    mov %rdi, %rbp            /* mk_cr3; rdmsr/wrmsr clobber rax, rcx, rdx */
    mov %rdx, %rbx            /* mk_entry */
    mov %rcx, %r15            /* mk_args */

    mov $MSR_EFER, %ecx       /* SVM on, so that CLGI works */
    rdmsr
    or $EFER_SVME, %eax
    wrmsr
    clgi                      /* hold NMIs and SMIs until STGI */

    mov %r14, %rax            /* into the microkernel's space, flushing global entries */
    and $~X86_CR4_PGE, %rax
    mov %rax, %cr4
    mov %rbp, %cr3
    mov %r14, %cr4
    mov %rsi, %rsp            /* the microkernel's stack */

    mov %r15, %rdi
    ANNOTATE_RETPOLINE_SAFE   /* the target is the microkernel, not OS code */
    call *%rbx                /* status in rax; rbx, rbp, r12-r15 kept by the callee */
    mov %rax, %r15

    mov %r14, %rax            /* back into the OS's space, flushing the microkernel's entries */
    and $~X86_CR4_PGE, %rax
    mov %rax, %cr4
    mov %r12, %cr3
    mov %r14, %cr4
    mov %r13, %rsp

    stgi                      /* a held NMI is delivered now, to the OS */
    mov $MSR_EFER, %ecx
    rdmsr
    and $~EFER_SVME, %eax
    wrmsr

    mov %r15, %rax
    popfq
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    RET
SYM_FUNC_END(mv_world_switch)
SYM_CODE_START_NOALIGN(mv_world_switch_end)   /* the loader checks the code fits its one page */
    int3
SYM_CODE_END(mv_world_switch_end)
