/* SPDX-License-Identifier: MIT */
/*
 * void mk_vmrun(uint64_t guest_vmcb_phys, uint64_t *gprs, uint64_t host_vmcb_phys)
 *
 * Runs a VS until its next #VMEXIT. gprs holds the guest's general-purpose registers by
 * register number (rax and rsp live in the VMCB and are not used). VMLOAD brings the guest's
 * FS, GS, TR, LDTR and SYSCALL MSRs in before VMRUN; VMSAVE keeps them after, and VMLOAD of the
 * host's VMCB puts the microkernel's back.
 */
    .text
    .globl mk_vmrun
mk_vmrun:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdx                 /* host VMCB */
    push %rsi                 /* gprs */

    mov %rdi, %rax
    mov 8*1(%rsi), %rcx
    mov 8*2(%rsi), %rdx
    mov 8*3(%rsi), %rbx
    mov 8*5(%rsi), %rbp
    mov 8*7(%rsi), %rdi
    mov 8*8(%rsi), %r8
    mov 8*9(%rsi), %r9
    mov 8*10(%rsi), %r10
    mov 8*11(%rsi), %r11
    mov 8*12(%rsi), %r12
    mov 8*13(%rsi), %r13
    mov 8*14(%rsi), %r14
    mov 8*15(%rsi), %r15
    mov 8*6(%rsi), %rsi

    vmload %rax
    /* The host's RFLAGS.IF is set across VMRUN: with V_INTR_MASKING (a guest's VS) it is what lets a
     * physical interrupt make the guest exit. GIF is 0 here and after #VMEXIT, so no interrupt is
     * taken in the microkernel; STI's shadow covers VMRUN. */
    sti
    vmrun %rax
    .globl mk_vmrun_resume    /* where the host goes on after #VMEXIT (see run_vs) */
mk_vmrun_resume:
    cli
    vmsave %rax

    xchg %rsi, (%rsp)         /* rsi = gprs; the guest's rsi waits on the stack */
    mov %rcx, 8*1(%rsi)
    mov %rdx, 8*2(%rsi)
    mov %rbx, 8*3(%rsi)
    mov %rbp, 8*5(%rsi)
    mov %rdi, 8*7(%rsi)
    mov %r8, 8*8(%rsi)
    mov %r9, 8*9(%rsi)
    mov %r10, 8*10(%rsi)
    mov %r11, 8*11(%rsi)
    mov %r12, 8*12(%rsi)
    mov %r13, 8*13(%rsi)
    mov %r14, 8*14(%rsi)
    mov %r15, 8*15(%rsi)
    popq 8*6(%rsi)

    pop %rax                  /* the microkernel's own FS, GS, TR and SYSCALL MSRs */
    vmload %rax

    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
