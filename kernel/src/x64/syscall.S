/* SPDX-License-Identifier: MIT */
/*
 * The border between the microkernel (ring 0) and its extension (ring 3).
 *
 * mk_syscall_entry: SYSCALL lands here (LSTAR). GS becomes the PP's state (SWAPGS), the stack the
 * PP's syscall stack; the arguments (RAX, RDI, RSI, RDX, R10, R8, R9) go to mk_syscall as a
 * struct mk::syscall_frame, which it rewrites with the results, and SYSRET goes back. Interrupts
 * and NMIs are off throughout (IF = 0, GIF = 0), so nothing can land between SWAPGS and the
 * stack switch.
 *
 * mk_call_ext(ip, arg0, arg1, rsp): enters the extension at ip with two arguments on a fresh
 * stack, with no microkernel value left in any register. Never returns: the extension comes
 * back with a syscall.
 *
 * mk_context_save / mk_context_restore: a minimal setjmp/longjmp, to leave a failed start from
 * wherever it failed and return to the loader.
 */
#define PP_USER_RSP 0
#define PP_SYSCALL_RSP 8
#define USER_CS (0x20 | 3)
#define USER_DS (0x18 | 3)

    .text
    .globl mk_syscall_entry
mk_syscall_entry:
    swapgs
    mov %rsp, %gs:PP_USER_RSP
    mov %gs:PP_SYSCALL_RSP, %rsp
    push %gs:PP_USER_RSP
    push %rcx                 /* the extension's RIP */
    push %r11                 /* and RFLAGS */
    push %r9
    push %r8
    push %r10
    push %rdx
    push %rsi
    push %rdi
    push %rax
    mov %rsp, %rdi
    call mk_syscall
    pop %rax
    pop %rdi
    pop %rsi
    pop %rdx
    pop %r10
    pop %r8
    pop %r9
    pop %r11
    pop %rcx
    pop %rsp
    swapgs
    sysretq

    .globl mk_call_ext
mk_call_ext:
    pushq $USER_DS
    push %rcx
    pushq $0x2                /* RFLAGS: interrupts off */
    pushq $USER_CS
    push %rdi
    mov %rsi, %rdi
    mov %rdx, %rsi
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    swapgs
    iretq

    .globl mk_context_save
mk_context_save:
    mov %rbx, 0(%rdi)
    mov %rbp, 8(%rdi)
    mov %r12, 16(%rdi)
    mov %r13, 24(%rdi)
    mov %r14, 32(%rdi)
    mov %r15, 40(%rdi)
    lea 8(%rsp), %rax
    mov %rax, 48(%rdi)
    mov (%rsp), %rax
    mov %rax, 56(%rdi)
    xor %eax, %eax
    ret

    .globl mk_context_restore
mk_context_restore:
    mov 0(%rdi), %rbx
    mov 8(%rdi), %rbp
    mov 16(%rdi), %r12
    mov 24(%rdi), %r13
    mov 32(%rdi), %r14
    mov 40(%rdi), %r15
    mov 48(%rdi), %rsp
    mov %rsi, %rax
    jmp *56(%rdi)
