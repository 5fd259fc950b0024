/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * AMD SVM's steps of the world switch, as GNU assembler macros for switch_64.S, which includes
 * this file by name from the folder of the vendor kbuild chose (MICROV_VENDOR in Kbuild). Another
 * vendor's folder (x64/intel/) has a switch_vendor.h with the same macros. What switch_64.S relies
 * on: a macro runs with interrupts off, changes no register but rax, rcx, rdx and the arithmetic
 * flags, and leaves the stack alone.
 */
#ifndef MICROV_LOADER_LINUX_X64_AMD_SWITCH_VENDOR_H
#define MICROV_LOADER_LINUX_X64_AMD_SWITCH_VENDOR_H

#include <asm/msr-index.h>

#ifndef PS_OS_STATE
#error "include promote_state.h before switch_vendor.h"
#endif

/* clang-format off */

/*
 * Into the host, in the OS's address space still: EFER.SVME on, since CLGI (like every SVM
 * instruction) is #UD without it, then CLGI: with GIF = 0 NMIs and SMIs are held until STGI,
 * so none is taken while the CPU is between the OS and the microkernel, and the microkernel runs
 * with GIF = 0, as it expects of the host.
 */
.macro MV_VENDOR_HOST_ENTER
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_SVME, %eax
    wrmsr
    clgi
.endm

/*
 * Out of the host, back in the OS's address space, on a stack and with descriptor tables the OS
 * can take an NMI with: STGI (a held NMI or SMI is taken now, by the OS; STGI needs EFER.SVME,
 * so it goes first), then EFER.SVME off, as the OS had it (a start is refused when it is on).
 */
.macro MV_VENDOR_HOST_LEAVE
    stgi
    mov $MSR_EFER, %ecx
    rdmsr
    and $~EFER_SVME, %eax
    wrmsr
.endm

/*
 * The OS's state that struct mv_promote_state does not hold itself, from the root VM's VMCB:
 * VMLOAD at state->os_state_phys puts back FS, GS, TR and LDTR (with their hidden parts: bases,
 * limits, attributes), KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK and the SYSENTER MSRs.
 * \state is the register holding the OS's address of struct mv_promote_state; VMLOAD takes the
 * VMCB's physical address in rax only.
 */
.macro MV_VENDOR_LOAD_OS_STATE state
    mov PS_OS_STATE(\state), %rax
    vmload %rax
.endm

/* clang-format on */

#endif
