/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The world switch into the microkernel, on the current CPU, with interrupts off:
 *
 *   u64 mv_world_switch(u64 mk_cr3, u64 mk_rsp, u64 mk_entry, u64 mk_args);
 *
 * Enters the host (MV_VENDOR_HOST_ENTER; SVM: sets EFER.SVME and clears GIF, so NMIs and SMIs
 * wait), switches to the microkernel's page tables and stack, and calls mk_entry(mk_args,
 * os_rsp). Two ways back:
 * - the microkernel demotes the OS: the OS goes on as the root VM at mv_world_switch_resume,
 *   with os_rsp, and this function returns MV_MK_STATUS_DEMOTED (0);
 * - the microkernel returns a failure: this switches back, leaves the host (MV_VENDOR_HOST_LEAVE;
 *   SVM: sets GIF, so a held NMI is taken now, by the OS, then clears EFER.SVME) and returns
 *   mk_entry's status.
 * mv_promote is the way out of the root VM: see below.
 * This page is mapped at the same address in the microkernel's address space, so execution
 * goes on across the CR3 writes. Toggling CR4.PGE flushes global TLB entries (and all PCIDs):
 * the OS's global kernel mappings must not survive into the microkernel's space, nor its
 * mappings back.
 *
 * What depends on the CPU's vendor is in the MV_VENDOR_* macros of switch_vendor.h, taken from
 * the vendor's folder, x64/$(MICROV_VENDOR)/ (Kbuild); everything else here is the same for all.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>

#include <asm/processor-flags.h>

#include "promote_state.h" /* PS_*: offsets in struct mv_promote_state */
#include "switch_vendor.h"

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
    mov %rdi, %rbp            /* mk_cr3; the vendor's macros clobber rax, rcx, rdx */
    mov %rdx, %rbx            /* mk_entry */
    mov %rcx, %r15            /* mk_args */

    MV_VENDOR_HOST_ENTER      /* SVM: EFER.SVME on, CLGI: NMIs and SMIs held from here */

    mov %r14, %rax            /* into the microkernel's space, flushing global entries */
    and $~X86_CR4_PGE, %rax
    mov %rax, %cr4
    mov %rbp, %cr3
    mov %r14, %cr4
    mov %rsi, %rsp            /* the microkernel's stack */

    mov %r15, %rdi
    mov %r13, %rsi            /* the OS's stack, where the root VM goes on */
    ANNOTATE_RETPOLINE_SAFE   /* the target is the microkernel, not OS code */
    call *%rbx                /* status in rax; rbx, rbp, r12-r15 kept by the callee */
    mov %rax, %r15

    mov %r14, %rax            /* back into the OS's space, flushing the microkernel's entries */
    and $~X86_CR4_PGE, %rax
    mov %rax, %cr4
    mov %r12, %cr3
    mov %r14, %cr4
    mov %r13, %rsp

    MV_VENDOR_HOST_LEAVE      /* SVM: STGI (a held NMI is taken now, by the OS), EFER.SVME off */

    mov %r15, %rax
    jmp .Lepilogue

    /* The OS goes on here as the root VM, on its own stack, in its own address space. */
SYM_INNER_LABEL(mv_world_switch_resume, SYM_L_GLOBAL)
    xor %eax, %eax            /* MV_MK_STATUS_DEMOTED */
.Lepilogue:
    popfq
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    RET
SYM_FUNC_END(mv_world_switch)
/*
 * void mv_promote(struct mv_promote_state *state, u64 os_cr3)   (never returns)
 *
 * Jumped to by the microkernel, in its address space, with interrupts off (SVM: GIF = 0), to give
 * the CPU back: state is the OS's address of the root VM's state. Switches to the OS's page
 * tables (this page is mapped in both), restores descriptor tables, the vendor's share of the
 * state (MV_VENDOR_LOAD_OS_STATE; SVM: VMLOAD of FS, GS, TR, LDTR and the SYSCALL MSRs from the
 * root VM's VMCB) and the data segments, leaves the host (MV_VENDOR_HOST_LEAVE; SVM: sets GIF,
 * clears EFER.SVME), and IRETs to where the root VM was, with its registers.
 */
SYM_CODE_START_NOALIGN(mv_promote)
    mov %cr4, %rax            /* into the OS's space, flushing the microkernel's entries */
    mov %rax, %rcx
    and $~X86_CR4_PGE, %rcx
    mov %rcx, %cr4
    mov %rsi, %cr3
    mov %rax, %cr4
    mov %rdi, %r15

    /* A stack of our own at the top of the state's page (the OS's direct map): the OS may have
     * been in user mode, where its stack is a user page that SMAP keeps ring 0 from writing. */
    lea 4096(%r15), %rsp
    sub $16, %rsp             /* descriptor-table pointers: limit, then base */
    mov PS_GDTR_LIMIT(%r15), %ax
    mov %ax, 6(%rsp)
    mov PS_GDTR_BASE(%r15), %rax
    mov %rax, 8(%rsp)
    lgdt 6(%rsp)
    mov PS_IDTR_LIMIT(%r15), %ax
    mov %ax, 6(%rsp)
    mov PS_IDTR_BASE(%r15), %rax
    mov %rax, 8(%rsp)
    lidt 6(%rsp)
    add $16, %rsp

    MV_VENDOR_LOAD_OS_STATE %r15  /* FS, GS, TR, LDTR, KERNEL_GS_BASE, STAR... (SVM: VMLOAD) */
    mov PS_DS(%r15), %ax
    mov %ax, %ds
    mov PS_ES(%r15), %ax
    mov %ax, %es

    /* The OS's IDT and TSS (its NMI stack) are back, for an NMI held until here. Interrupts
     * stay off until IRET restores RFLAGS. */
    MV_VENDOR_HOST_LEAVE      /* SVM: STGI (a held NMI is taken now, by the OS), EFER.SVME off */

    movzwl PS_SS(%r15), %eax  /* the IRET frame, on our stack; IRET loads the OS's RSP */
    push %rax
    push PS_RSP(%r15)
    push PS_RFLAGS(%r15)
    movzwl PS_CS(%r15), %eax
    push %rax
    push PS_RIP(%r15)

    mov PS_GPR(0)(%r15), %rax
    mov PS_GPR(1)(%r15), %rcx
    mov PS_GPR(2)(%r15), %rdx
    mov PS_GPR(3)(%r15), %rbx
    mov PS_GPR(5)(%r15), %rbp
    mov PS_GPR(6)(%r15), %rsi
    mov PS_GPR(7)(%r15), %rdi
    mov PS_GPR(8)(%r15), %r8
    mov PS_GPR(9)(%r15), %r9
    mov PS_GPR(10)(%r15), %r10
    mov PS_GPR(11)(%r15), %r11
    mov PS_GPR(12)(%r15), %r12
    mov PS_GPR(13)(%r15), %r13
    mov PS_GPR(14)(%r15), %r14
    mov PS_GPR(15)(%r15), %r15
    iretq
SYM_CODE_END(mv_promote)

SYM_CODE_START_NOALIGN(mv_world_switch_end)   /* the loader checks the code fits its one page */
    int3
SYM_CODE_END(mv_world_switch_end)
