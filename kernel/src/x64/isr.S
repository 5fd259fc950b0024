/* SPDX-License-Identifier: MIT */
/*
 * The microkernel's exception entry points (vectors 0-31). Each pushes its vector (and a zero
 * where the CPU pushes no error code), then all general-purpose registers, and calls
 * mk_exception(struct mk::exception_frame *), which reports and does not return.
 */
    .text

.macro isr vector, has_error
    .globl mk_isr_\vector
mk_isr_\vector:
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\vector
    jmp mk_isr_common
.endm

isr 0, 0
isr 1, 0
isr 2, 0
isr 3, 0
isr 4, 0
isr 5, 0
isr 6, 0
isr 7, 0
isr 8, 1
isr 9, 0
isr 10, 1
isr 11, 1
isr 12, 1
isr 13, 1
isr 14, 1
isr 15, 0
isr 16, 0
isr 17, 1
isr 18, 0
isr 19, 0
isr 20, 0
isr 21, 1
isr 22, 0
isr 23, 0
isr 24, 0
isr 25, 0
isr 26, 0
isr 27, 0
isr 28, 0
isr 29, 1
isr 30, 1
isr 31, 0

/* The NMI: taken only when the microkernel opens GIF for one that made a VS exit; it has
 * served its purpose by then (IRET also ends the CPU's NMI blocking). */
    .globl mk_nmi
mk_nmi:
    iretq

mk_isr_common:
    testb $3, 24(%rsp)        /* from ring 3: GS is the extension's */
    jz 1f
    swapgs
1:  push %r15
    push %r14
    push %r13
    push %r12
    push %r11
    push %r10
    push %r9
    push %r8
    push %rdi
    push %rsi
    push %rbp
    push %rbx
    push %rdx
    push %rcx
    push %rax
    mov %rsp, %rdi
    and $-16, %rsp
    call mk_exception
2:  cli
    hlt
    jmp 2b

    .section .rodata
    .globl mk_isr_table
    .balign 8
mk_isr_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad mk_isr_\v
    .endr
