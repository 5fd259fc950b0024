/* SPDX-License-Identifier: MIT */
/*
 * real_mode: the first tiny guest, 16-bit real mode. Loaded at guest physical 0x1000 and entered
 * with CS = DS = ES = SS = 0 (bases 0), IP = 0x1000 + the entry's offset, SP = 0x8000.
 * Each step makes one exit the VMM must handle (vms/README.md lists them in order):
 *   offset 0x000  real_mode_start: port I/O of each size and form, CPUID, MMIO, HLT, then a loop
 *                 with interrupts off that only physical interrupts ever leave
 *   offset 0x100  real_mode_triple_fault: an IDT that holds no vector, then INT3: #GP, #DF, shutdown
 * Assembled for i386 (the 32-bit forms take an operand-size prefix) and linked flat (flat.ld).
 */
    .code16
    .text

    .globl real_mode_start
real_mode_start:
    cli

    /* OUT of each size to port 0x10: the VMM sees the low 1, 2 and 4 bytes of RAX. */
    movb $0x42, %al
    outb %al, $0x10
    movw $0x1234, %ax
    outw %ax, $0x10
    movl $0xdeadbeef, %eax
    outl %eax, $0x10

    /* IN from 0x11: the VMM's answer comes back in AL; it shows on port 0x12. */
    inb $0x11, %al
    outb %al, $0x12

    /* CPUID is MicroV's to answer (no exit): the vendor's first four letters on port 0x13. */
    xorl %eax, %eax
    cpuid
    movl %ebx, %eax
    outl %eax, $0x13

    /* REP OUTSB of DS:SI: the VMM reads the string from guest memory and moves SI and CX. The
     * whole of ESI and ECX is set (CPUID left ECX's upper half set): the exit gives RCX as the
     * count and the VMM reads at DS base + RSI, whatever the 16-bit address size uses. */
    movl $message, %esi
    movl $message_end - message, %ecx
    movw $0x14, %dx
    cld
    rep outsb

    /* MMIO at 0xA0010 and 0xA0020, which nothing maps: an ES override and a direct disp16 ModRM
     * for the write, the moffs form of MOV AL for the read; the value read shows on port 0x15. */
    movw $0xa000, %ax
    movw %ax, %es
    movb $0x5a, %es:0x10
    movb %es:0x20, %al
    outb %al, $0x15

    /* The guest's shutdown; when the VMM runs it again, a spin nothing but interrupts leaves. */
    hlt
    cli
spin:
    jmp spin

    /* The second entry, at a fixed offset the tests name (--entry 0x100). */
    .org 0x100, 0xf4
    .globl real_mode_triple_fault
real_mode_triple_fault:
    cli
    lidt empty_idt
    int3

    /* The third entry (--entry 0x180, with CR4.OSFXSR): the guest's own SSE registers and DR0. XMM0 must
     * be its own (0 after RESET), whatever the root VM's process holds; XMM1 it sets, and it must
     * stay the guest's across exits while the root VM's process loads its own between runs. */
    .org 0x180, 0xf4
    .globl real_mode_fpu
real_mode_fpu:
    movd %xmm0, %eax
    outl %eax, $0x16
    movl $0x5a5a5a5a, %eax
    movd %eax, %xmm1
    movd %xmm1, %eax
    outl %eax, $0x17
    movd %xmm1, %eax
    outl %eax, $0x18
    /* And a debug register of its own, which the VMM reads back once the guest has left the CPU. */
    movl $0x1234, %eax
    movl %eax, %dr0
    hlt
    cli
fpu_spin:
    jmp fpu_spin

    /* IDTR contents: limit 0 (no vector fits), base 0. */
empty_idt:
    .word 0
    .long 0

message:
    .ascii "mv!\n"
message_end:
