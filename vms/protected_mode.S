/* SPDX-License-Identifier: MIT */
/*
 * protected_mode: a 32-bit protected-mode guest. Loaded at guest physical 0x1000 and entered, like
 * real_mode, in real mode with CS = DS = ES = SS = 0 (bases 0), IP = 0x1000 + the entry's offset,
 * SP = 0x8000; it switches itself to 32-bit protected mode (its GDT, CR0.PE, a far jump) with
 * flat segments, no paging and an IDT of its own whose handlers report on ports 0x30-0x32.
 * Each step makes the exits the VMM must handle (vms/README.md lists them in order):
 *   offset 0x000  protected_mode_start: port I/O of each size and form (IN, OUT, INS, OUTS, REP),
 *                 CPUID, MMIO of 1, 2 and 4 bytes by several addressing forms, RDMSR and WRMSR
 *                 that exit and STAR that does not, #UD and #DE handled by the guest, x87 and
 *                 SSE, HLT, then a loop with interrupts off that only physical interrupts leave
 *   offset 0x100  protected_mode_triple_fault: in protected mode, an IDT that holds no vector,
 *                 then UD2: #UD, #GP, #DF, shutdown
 * Assembled for i386 and linked flat (flat.ld); .code16 until the far jump, .code32 after it.
 */
    .set CODE32, 0x08
    .set DATA, 0x10
    /* The vectors for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30. */
    .set ERROR_CODE_VECTORS, 0x60227d00

    .code16
    .text

    /* Each entry names the 32-bit code it goes on with in EBX and switches to protected mode. */
    .globl protected_mode_start
protected_mode_start:
    cli
    movl $pm_main, %ebx
    jmp to_protected

    /* The second entry, at a fixed offset the tests name (--entry 0x100). */
    .org 0x100, 0xf4
    .globl protected_mode_triple_fault
protected_mode_triple_fault:
    cli
    movl $pm_triple_fault, %ebx
    jmp to_protected

    /* Real mode to 32-bit protected mode: the GDT, CR0.PE (and caching on: RESET's CD and NW
     * off), a far jump to the flat 32-bit code segment. */
to_protected:
    lgdtl gdt_desc
    movl %cr0, %eax
    andl $~0x60000000, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $CODE32, $protected32

    .code32
protected32:
    movw $DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $0x8000, %esp
    call build_idt
    lidt idt_desc
    jmp *%ebx

    /* The IDT: 32 interrupt gates (present, DPL 0, 32-bit), vector v's handler at isr_stubs + 16 v. */
build_idt:
    movl $idt, %edi
    movl $isr_stubs, %eax
    movl $32, %ecx
1:
    movw %ax, (%edi)
    movw $CODE32, 2(%edi)
    movw $0x8e00, 4(%edi)
    movl %eax, %edx
    shrl $16, %edx
    movw %dx, 6(%edi)
    addl $16, %eax
    addl $8, %edi
    loop 1b
    ret

pm_main:
    /* OUT of each size to port 0x10, through DX: the VMM sees the low 1, 2 and 4 bytes of EAX. */
    movw $0x10, %dx
    movb $0x42, %al
    outb %al, %dx
    movw $0x1234, %ax
    outw %ax, %dx
    movl $0xdeadbeef, %eax
    outl %eax, %dx

    /* IN of each size from 0x11 (the VMM answers 0x77): only as many low bytes of EAX change;
     * EAX on port 0x12 after each. */
    movl $0xaaaaaaaa, %eax
    inb $0x11, %al
    outl %eax, $0x12
    movw $0x11, %dx
    inw %dx, %ax
    outl %eax, $0x12
    inl %dx, %eax
    outl %eax, $0x12

    /* OUTS of DS:ESI to port 0x14: REP OUTSB of 4 bytes, one OUTSW, REP OUTSL of 2 dwords; then
     * how far ESI went (14) with what is left in ECX (0) above it, on port 0x12. */
    cld
    movl $message, %esi
    movl $4, %ecx
    movw $0x14, %dx
    rep outsb
    outsw
    movl $2, %ecx
    rep outsl
    movl %esi, %eax
    subl $message, %eax
    shll $8, %ecx
    orl %ecx, %eax
    outl %eax, $0x12

    /* INS from port 0x11 to ES:EDI: REP INSB of 4 bytes, one INSW; the buffer's two dwords on
     * port 0x16 (the INSW's upper neighbours kept), then EDI's way (6) and ECX (0) on 0x12. */
    movl $in_buffer, %edi
    movl $4, %ecx
    movw $0x11, %dx
    rep insb
    insw
    movl in_buffer, %eax
    outl %eax, $0x16
    movl in_buffer + 4, %eax
    outl %eax, $0x16
    movl %edi, %eax
    subl $in_buffer, %eax
    shll $8, %ecx
    orl %ecx, %eax
    outl %eax, $0x12

    /* CPUID is MicroV's to answer (no exit): the vendor's first four letters on port 0x13. */
    xorl %eax, %eax
    cpuid
    movl %ebx, %eax
    outl %eax, $0x13

    /* MMIO at 0xA0000 (nothing maps it): writes of 1, 2 and 4 bytes, an absolute disp32, base +
     * disp8, register-indirect, an immediate and the moffs form... */
    movb $0x5a, 0xa0010
    movl $0xa0000, %ebx
    movw $0xbeef, %ax
    movw %ax, 0x20(%ebx)
    movl $0xcafef00d, %ecx
    movl %ecx, (%ebx)
    movl $0x12345678, 0x40(%ebx)
    movb %al, 0xa0050
    /* ...and reads (the VMM answers the low bytes of 0x1122334455667799): 4 bytes by SIB + disp32,
     * 2 bytes into CX, one into AH, 4 by moffs; each register after on port 0x15. */
    movl $3, %esi
    movl 0x100(%ebx,%esi,8), %edx
    movl %edx, %eax
    outl %eax, $0x15
    movw (%ebx), %cx
    movl %ecx, %eax
    outl %eax, $0x15
    movl $0xaaaaaaaa, %eax
    movb 0x30(%ebx), %ah
    outl %eax, $0x15
    movl 0xa0060, %eax
    outl %eax, $0x15

    /* RDMSR of the APIC base and WRMSR of an x2APIC MSR go to the VMM (its RDMSR answers 0: EAX
     * on port 0x17); STAR is the guest's own, no exit: written, read back, on port 0x17. */
    movl $0x1b, %ecx
    movl $0xffffffff, %eax
    movl %eax, %edx
    rdmsr
    outl %eax, $0x17
    movl $0x830, %ecx
    movl $0xfe, %eax
    movl $0xa, %edx
    wrmsr
    movl $0xc0000081, %ecx
    movl $0x12345678, %eax
    movl $0x00180008, %edx
    wrmsr
    xorl %eax, %eax
    xorl %edx, %edx
    rdmsr
    outl %eax, $0x17
    movl %edx, %eax
    outl %eax, $0x17

    /* Exceptions the guest's own IDT takes (MicroV does not intercept them): UD2 (#UD) and a
     * division by zero (#DE); the handler reports the vector on port 0x30 and resumes at
     * resume_at. */
    movl $after_ud, resume_at
    ud2
after_ud:
    movl $after_de, resume_at
    movl $1, %eax
    xorl %edx, %edx
    xorl %ecx, %ecx
    divl %ecx
after_de:

    /* x87 and SSE: CR0.EM and TS off, MP and NE on, CR4.OSFXSR and OSXMMEXCPT. 6 * 7 by the x87,
     * 0x11111111 + 0x22222222 by PADDD, 6.0 squared by MULSS, on port 0x18; XMM0 again after those
     * exits. */
    movl %cr0, %eax
    andl $~0xc, %eax
    orl $0x22, %eax
    movl %eax, %cr0
    movl %cr4, %eax
    orl $0x600, %eax
    movl %eax, %cr4
    fninit
    fildl six
    fildl seven
    fmulp
    fistpl fpu_result
    movl fpu_result, %eax
    outl %eax, $0x18
    movl $0x11111111, %eax
    movd %eax, %xmm0
    movl $0x22222222, %eax
    movd %eax, %xmm1
    paddd %xmm1, %xmm0
    movd %xmm0, %eax
    outl %eax, $0x18
    cvtsi2ssl six, %xmm2
    mulss %xmm2, %xmm2
    cvttss2si %xmm2, %eax
    outl %eax, $0x18
    movd %xmm0, %eax
    outl %eax, $0x18

    /* The guest's shutdown; when the VMM runs it again, a spin nothing but interrupts leaves. */
    hlt
    cli
pm_spin:
    jmp pm_spin

    /* The second entry's protected-mode part: a mark on port 0x10, no IDT, then #UD. */
pm_triple_fault:
    movb $0x32, %al
    outb %al, $0x10
    lidt empty_idt
    ud2

    /* One stub per vector, 16 bytes apart: each pushes an error code where the CPU pushes none
     * (0), then its vector, so that isr_common finds the same frame for all. */
    .balign 16
isr_stubs:
    .set vector, 0
    .rept 32
    .balign 16
    .if ((ERROR_CODE_VECTORS >> vector) & 1) == 0
    pushl $0
    .endif
    pushl $vector
    jmp isr_common
    .set vector, vector + 1
    .endr

    /* The vector on port 0x30 (and for #PF, which this guest does not expect, its error code on
     * 0x31 and CR2 on 0x32); then on at resume_at, which the code that meant to fault set. Any
     * other exception (resume_at 0) shows where it came from (EIP on port 0x33) and
     * triple-faults: the run ends there. */
isr_common:
    pushal
    movl 32(%esp), %eax
    outl %eax, $0x30
    cmpl $14, %eax
    jne 1f
    movl 36(%esp), %eax
    outl %eax, $0x31
    movl %cr2, %eax
    outl %eax, $0x32
1:
    movl resume_at, %eax
    testl %eax, %eax
    jz 2f
    movl $0, resume_at
    movl %eax, 40(%esp)
    popal
    addl $8, %esp
    iretl
2:
    movl 40(%esp), %eax
    outl %eax, $0x33
    lidt empty_idt
    ud2

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* 0x08: code, 32-bit, base 0, limit 4 GiB */
    .quad 0x00cf92000000ffff /* 0x10: data, base 0, limit 4 GiB */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
idt_desc:
    .word 32 * 8 - 1
    .long idt
    /* IDTR contents: limit 0 (no vector fits), base 0. */
empty_idt:
    .word 0
    .long 0

resume_at:
    .long 0
six:
    .long 6
seven:
    .long 7
fpu_result:
    .long 0
in_buffer:
    .long 0, 0xffffffff
message:
    .ascii "pm!\n"
    .ascii "ok"
    .ascii "32-bit!\n"

    .balign 8
idt:
    .fill 32 * 8, 1, 0
