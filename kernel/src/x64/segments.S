/* SPDX-License-Identifier: MIT */
/*
 * void mk_load_gdt(const mk::x64::table_pointer *gdtr, uint16_t code, uint16_t data)
 * Loads a GDT and reloads CS (with a far return), SS, DS and ES from it; FS and GS become null.
 */
    .text
    .globl mk_load_gdt
mk_load_gdt:
    lgdt (%rdi)
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov %esi, %edi            /* code */
    mov %edx, %esi            /* stack = data */
    mov %edx, %ecx            /* extra = data */
    jmp mk_load_segments

/*
 * void mk_load_segments(uint16_t code, uint16_t stack, uint16_t data, uint16_t extra)
 * Reloads CS (with a far return), SS, DS and ES from the GDT loaded now.
 */
    .globl mk_load_segments
mk_load_segments:
    mov %si, %ss
    mov %dx, %ds
    mov %cx, %es
    movzwl %di, %edi
    pop %rax                  /* return address */
    push %rdi                 /* the new CS */
    push %rax
    lretq
