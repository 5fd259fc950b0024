/* SPDX-License-Identifier: MIT */
/*
 * long_mode: a 64-bit long-mode guest with its own page tables and IDT. Loaded at guest physical
 * 0x1000 and entered, like real_mode, in real mode with CS = DS = ES = SS = 0 (bases 0),
 * IP = 0x1000 + the entry's offset, SP = 0x8000; it switches itself to 32-bit protected mode
 * (its GDT, CR0.PE, a far jump), builds 4-level page tables at 0x10000-0x13FFF that map the first
 * 2 MiB linear to the same physical addresses in 4 KiB pages (nothing else), and enters long mode
 * (CR4.PAE, CR3, EFER.LME by WRMSR, which MicroV answers itself, CR0.PG, a far jump to a 64-bit
 * code segment). Its IDT's handlers report on ports 0x30-0x32.
 * Each step makes the exits the VMM must handle (vms/README.md lists them in order):
 *   offset 0x000  long_mode_start: EFER as the guest sees it, port I/O of each size and form with
 *                 64-bit registers, MMIO of 1, 2, 4 and 8 bytes by REX, SIB and moffs forms,
 *                 RDMSR and WRMSR that exit and LSTAR and KERNEL_GS_BASE (with SWAPGS) that do
 *                 not, #UD, #DE and #PF handled by the guest, SSE, AVX if CPUID has it (with
 *                 CR4.OSXSAVE and XSETBV), HLT, then a loop with interrupts off
 *   offset 0x100  long_mode_triple_fault: in long mode, an IDT that holds no vector, then a
 *                 write to an unmapped linear address: #PF, #GP, #DF, shutdown
 * Assembled for i386 and linked flat (flat.ld): .code16, .code32 and .code64 as it goes; 64-bit
 * code refers to its own symbols with 32-bit addresses only (i386 objects have no 64-bit
 * relocations; everything is below 4 GiB).
 */
    .set CODE32, 0x08
    .set DATA, 0x10
    .set CODE64, 0x18
    /* The page tables: PML4, PDPT, PD and PT, a page each. */
    .set PML4, 0x10000
    .set PDPT, 0x11000
    .set PD, 0x12000
    .set PT, 0x13000
    /* A linear address no page table maps (PDPT entry 1 is not present). */
    .set UNMAPPED, 0x40000000
    .set ERROR_CODE_VECTORS, 0x60227d00

    .code16
    .text

    /* Each entry names the 64-bit code it goes on with in EBX and switches to long mode. */
    .globl long_mode_start
long_mode_start:
    cli
    movl $lm_main, %ebx
    jmp to_protected

    /* The second entry, at a fixed offset the tests name (--entry 0x100). */
    .org 0x100, 0xf4
    .globl long_mode_triple_fault
long_mode_triple_fault:
    cli
    movl $lm_triple_fault, %ebx
    jmp to_protected

    /* Real mode to 32-bit protected mode: the GDT, CR0.PE (RESET's CD and NW off), a far jump. */
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

    /* The page tables, zeroed, then one entry each down to the PT, whose 512 entries map
     * 0-2 MiB (present, writable). */
    cld
    movl $PML4, %edi
    xorl %eax, %eax
    movl $4 * 4096 / 4, %ecx
    rep stosl
    movl $PDPT | 3, PML4
    movl $PD | 3, PDPT
    movl $PT | 3, PD
    movl $PT, %edi
    movl $3, %eax
    movl $512, %ecx
1:
    movl %eax, (%edi)
    addl $4096, %eax
    addl $8, %edi
    loop 1b

    /* Long mode: PAE, CR3, EFER.LME (RDMSR and WRMSR of EFER stay inside MicroV), paging; the
     * CPU sets EFER.LMA, and the far jump to the L code segment leaves compatibility mode. */
    movl $PML4, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $0x20, %eax
    movl %eax, %cr4
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
    ljmpl $CODE64, $long64

    .code64
long64:
    call build_idt
    lidt idt_desc
    movl %ebx, %ebx /* the upper half of a register is undefined across the switch */
    jmp *%rbx

    /* The IDT: 32 interrupt gates (present, DPL 0, 64-bit), vector v's handler at isr_stubs + 16 v. */
build_idt:
    movl $idt, %edi
    movl $isr_stubs, %eax
    movl $32, %ecx
1:
    movw %ax, (%rdi)
    movw $CODE64, 2(%rdi)
    movw $0x8e00, 4(%rdi)
    movl %eax, %edx
    shrl $16, %edx
    movw %dx, 6(%rdi)
    movq $0, 8(%rdi)
    addl $16, %eax
    addq $16, %rdi
    loop 1b
    ret

lm_main:
    /* EFER as MicroV shows it (no exit): LME and LMA, on port 0x10. */
    movl $0xc0000080, %ecx
    rdmsr
    outl %eax, $0x10

    /* OUT of each size to port 0x10; IN of each size from 0x11 (answered 0x77) into a RAX of all
     * ones: 1 and 2 bytes keep the rest, 4 bytes zero-extend into RAX as in any 32-bit write;
     * EAX, then RAX's upper half, on port 0x12. */
    movb $0x42, %al
    outb %al, $0x10
    movw $0x1234, %ax
    outw %ax, $0x10
    movl $0xdeadbeef, %eax
    outl %eax, $0x10
    movq $-1, %rax
    movw $0x11, %dx
    inb %dx, %al
    outl %eax, $0x12
    inw %dx, %ax
    outl %eax, $0x12
    inl %dx, %eax
    outl %eax, $0x12
    shrq $32, %rax
    outl %eax, $0x12

    /* OUTS and INS with 64-bit RSI, RDI and RCX: REP OUTSB, OUTSW, REP OUTSL to port 0x14; REP INSB
     * and INSW from port 0x11 to the buffer, shown on port 0x16; how far RSI and RDI went, each
     * with RCX above it, on 0x12. */
    cld
    movl $message, %esi
    movq $4, %rcx
    movw $0x14, %dx
    rep outsb
    outsw
    movq $2, %rcx
    rep outsl
    subq $message, %rsi
    shlq $8, %rcx
    orq %rcx, %rsi
    movl %esi, %eax
    outl %eax, $0x12
    movl $in_buffer, %edi
    movq $4, %rcx
    movw $0x11, %dx
    rep insb
    insw
    movl in_buffer, %eax
    outl %eax, $0x16
    movl in_buffer + 4, %eax
    outl %eax, $0x16
    subq $in_buffer, %rdi
    shlq $8, %rcx
    orq %rcx, %rdi
    movl %edi, %eax
    outl %eax, $0x12

    /* MMIO at 0xA0000 (nothing maps that GPA; the page tables map the linear address to it):
     * writes of 8 bytes (register, then a sign-extended immediate), 1 byte from SIL (a REX
     * without bits), 2 bytes from R9W by SIB, 4 bytes from R10D by base R11 (REX.R and REX.B), 8
     * bytes by moffs64... */
    movl $0xa0000, %ebx
    movabsq $0x0123456789abcdef, %rax
    movq %rax, (%rbx)
    movq $-2, 0x8(%rbx)
    movl $0x5a, %esi
    movb %sil, 0x10(%rbx)
    movl $2, %ecx
    movl $0xbeef, %r9d
    movw %r9w, 0x20(%rbx,%rcx,2)
    movl $0xa0000, %r11d
    movl $0xcafef00d, %r10d
    movl %r10d, 0x30(%r11)
    movabsq %rax, 0xa0070
    /* ...and reads (the VMM answers the low bytes of 0x1122334455667799): 8 bytes into R12 by SIB
     * + disp32 (its halves on port 0x15), 4 bytes into EAX by an absolute disp32 (zero-extends:
     * RAX's upper half shown), 1 byte into DIL and 2 into R13W (the rest kept), 1 by moffs64. */
    movq 0x100(%rbx,%rcx,8), %r12
    movl %r12d, %eax
    outl %eax, $0x15
    shrq $32, %r12
    movl %r12d, %eax
    outl %eax, $0x15
    movq $-1, %rax
    movl 0xa0080, %eax
    outl %eax, $0x15
    shrq $32, %rax
    outl %eax, $0x15
    movq $-1, %rdi
    movb 0x40(%rbx), %dil
    movl %edi, %eax
    outl %eax, $0x15
    movq $-1, %r13
    movw 0x50(%rbx), %r13w
    movl %r13d, %eax
    outl %eax, $0x15
    xorl %eax, %eax
    movabs 0xa0060, %al
    outl %eax, $0x15

    /* RDMSR of the x2APIC ID and WRMSR of a hypervisor-range MSR MicroV does not know go to the
     * VMM (its RDMSR answers 0: EAX on port 0x17). LSTAR and KERNEL_GS_BASE are the guest's own,
     * no exit: LSTAR written and read back, KERNEL_GS_BASE written, SWAPGS, then GS_BASE read;
     * low and high halves on port 0x17. */
    movl $0x802, %ecx
    movl $0xffffffff, %eax
    movl %eax, %edx
    rdmsr
    outl %eax, $0x17
    movl $0x40000000, %ecx
    movl $0x23456789, %eax
    movl $0x1, %edx
    wrmsr
    movl $0xc0000082, %ecx
    movl $0x81000000, %eax
    movl $0xffffffff, %edx
    wrmsr
    xorl %eax, %eax
    xorl %edx, %edx
    rdmsr
    outl %eax, $0x17
    movl %edx, %eax
    outl %eax, $0x17
    movl $0xc0000102, %ecx
    movl $0x3456789a, %eax
    movl $0x12, %edx
    wrmsr
    swapgs
    movl $0xc0000101, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    rdmsr
    outl %eax, $0x17
    movl %edx, %eax
    outl %eax, $0x17

    /* Exceptions the guest's own IDT takes: UD2 (#UD), a division by zero (#DE) and a write to
     * an address its page tables do not map (#PF: error code 2, a write to a page not present;
     * CR2). The handler reports them on ports 0x30-0x32 and resumes at resume_at. */
    movl $after_ud, resume_at
    ud2
after_ud:
    movl $after_de, resume_at
    movl $1, %eax
    xorl %edx, %edx
    xorl %ecx, %ecx
    divl %ecx
after_de:
    movl $after_pf, resume_at
    movl $1, UNMAPPED
after_pf:

    /* SSE (CR0.EM and TS off, MP and NE on, CR4.OSFXSR and OSXMMEXCPT): PADDQ of
     * 0x1111111122222222 with itself, its halves on port 0x18. */
    movq %cr0, %rax
    andq $~0xc, %rax
    orq $0x22, %rax
    movq %rax, %cr0
    movq %cr4, %rax
    orq $0x600, %rax
    movq %rax, %cr4
    movabsq $0x1111111122222222, %rax
    movq %rax, %xmm0
    paddq %xmm0, %xmm0
    movq %xmm0, %rax
    outl %eax, $0x18
    shrq $32, %rax
    outl %eax, $0x18

    /* CPUID.1:ECX's XSAVE (26), OSXSAVE (27) and AVX (28) bits on port 0x13. With XSAVE and AVX:
     * CR4.OSXSAVE, XSETBV of x87|SSE|AVX (an exit MicroV answers), the bits again on port 0x13,
     * then XCR0 on port 0x18: after an exit, so it is the VS's own, not just the CPU's. With AVX
     * in it, 1.5 + 1.5 in all eight lanes of YMM1, the first lane's sum (3) on port 0x18, and
     * after that exit the upper half's (3 again). Without AVX (in CPUID or XCR0), 0xffffffff on
     * port 0x18 instead. */
    movl $1, %eax
    cpuid
    andl $0x1c000000, %ecx
    movl %ecx, %eax
    outl %eax, $0x13
    andl $0x14000000, %ecx
    cmpl $0x14000000, %ecx
    jne no_avx
    movq %cr4, %rax
    orq $0x40000, %rax
    movq %rax, %cr4
    movl $7, %eax
    xorl %edx, %edx
    xorl %ecx, %ecx
    xsetbv
    movl $1, %eax
    cpuid
    andl $0x1c000000, %ecx
    movl %ecx, %eax
    outl %eax, $0x13
    xorl %ecx, %ecx
    xgetbv
    outl %eax, $0x18
    testl $4, %eax
    jz no_avx
    vbroadcastss one_and_a_half, %ymm0
    vaddps %ymm0, %ymm0, %ymm1
    vcvttss2si %xmm1, %eax
    outl %eax, $0x18
    vextractf128 $1, %ymm1, %xmm2
    vcvttss2si %xmm2, %eax
    outl %eax, $0x18
    jmp simd_done
no_avx:
    movl $0xffffffff, %eax
    outl %eax, $0x18
simd_done:

    /* The guest's shutdown; when the VMM runs it again, a spin nothing but interrupts leaves. */
    hlt
    cli
lm_spin:
    jmp lm_spin

    /* The second entry's long-mode part: a mark on port 0x10, no IDT, then #PF. */
lm_triple_fault:
    movb $0x64, %al
    outb %al, $0x10
    lidt empty_idt
    movl $1, UNMAPPED

    /* One stub per vector, 16 bytes apart: each pushes an error code where the CPU pushes none
     * (0), then its vector, so that isr_common finds the same frame for all. */
    .balign 16
isr_stubs:
    .set vector, 0
    .rept 32
    .balign 16
    .if ((ERROR_CODE_VECTORS >> vector) & 1) == 0
    pushq $0
    .endif
    pushq $vector
    jmp isr_common
    .set vector, vector + 1
    .endr

    /* The vector on port 0x30, for #PF also its error code on 0x31 and CR2's low half on 0x32;
     * then on at resume_at, which the code that meant to fault set. Any other exception
     * (resume_at 0) shows where it came from (RIP's low half on port 0x33) and triple-faults: the
     * run ends there. */
isr_common:
    pushq %rax
    pushq %rdx
    movq 16(%rsp), %rax
    outl %eax, $0x30
    cmpl $14, %eax
    jne 1f
    movq 24(%rsp), %rax
    outl %eax, $0x31
    movq %cr2, %rax
    outl %eax, $0x32
1:
    movl resume_at, %eax
    testl %eax, %eax
    jz 2f
    movl $0, resume_at
    movq %rax, 32(%rsp)
    popq %rdx
    popq %rax
    addq $16, %rsp
    iretq
2:
    movq 32(%rsp), %rax
    outl %eax, $0x33
    lidt empty_idt
    ud2

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* 0x08: code, 32-bit, base 0, limit 4 GiB */
    .quad 0x00cf92000000ffff /* 0x10: data, base 0, limit 4 GiB */
    .quad 0x00af9a000000ffff /* 0x18: code, 64-bit (L) */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
    /* 64-bit IDTRs: the base's upper half 0. */
idt_desc:
    .word 32 * 16 - 1
    .long idt, 0
empty_idt:
    .word 0
    .long 0, 0

resume_at:
    .long 0
one_and_a_half:
    .float 1.5
in_buffer:
    .long 0, 0xffffffff
message:
    .ascii "lm!\n"
    .ascii "ok"
    .ascii "64-bit!\n"

    .balign 16
idt:
    .fill 32 * 16, 1, 0
