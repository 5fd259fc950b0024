// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A test module: executes one SVM instruction in the root OS's kernel (CPL 0), as any root-OS
 * kernel code could, with RAX = a physical address, and says whether it ran or faulted. Loading
 * succeeds when the instruction ran, and fails with EFAULT when it faulted:
 *   insmod svm_probe.ko insn=vmsave phys=0x12345000     (insn: vmload vmsave stgi clgi skinit invlpga)
 * Under MicroV every one of them must fault (#UD: the root VM has no SVM); VMSAVE to a page of
 * MicroV's would otherwise write the CPU's FS/GS/TR/SYSCALL state into it, VMLOAD read from it.
 */
#include <linux/module.h>
#include <linux/string.h>

#include <asm/asm.h>

static char *insn = "vmsave";
module_param(insn, charp, 0444);
MODULE_PARM_DESC(insn, "vmload, vmsave, stgi, clgi, skinit or invlpga");
static unsigned long phys;
module_param(phys, ulong, 0444);
MODULE_PARM_DESC(phys, "RAX for the instruction: a physical address");

/* Each runs its instruction; faulted stays 1 when the instruction faults (the extable fixup). */
#define SVM_TRY(text)                                                                                                  \
    static unsigned long try_##text(unsigned long rax)                                                                 \
    {                                                                                                                  \
        unsigned long faulted = 1;                                                                                     \
        asm volatile("1: " #text "\n\txor %0, %0\n2:\n" _ASM_EXTABLE(1b, 2b)                                           \
                     : "+r"(faulted)                                                                                   \
                     : "a"(rax), "c"(0UL)                                                                              \
                     : "memory");                                                                                      \
        return faulted;                                                                                                \
    }
SVM_TRY(vmload)
SVM_TRY(vmsave)
SVM_TRY(invlpga)

static unsigned long try_gif(bool set)
{
    unsigned long faulted = 1;
    unsigned long flags;

    /* CLGI then STGI at once, so that a native CLGI does not leave interrupts held. */
    local_irq_save(flags);
    if (set)
        asm volatile("1: stgi\n\txor %0, %0\n2:\n" _ASM_EXTABLE(1b, 2b) : "+r"(faulted) : : "memory");
    else
        asm volatile("1: clgi\n\tstgi\n\txor %0, %0\n2:\n" _ASM_EXTABLE(1b, 2b) : "+r"(faulted) : : "memory");
    local_irq_restore(flags);
    return faulted;
}

static int __init svm_probe_init(void)
{
    unsigned long faulted;

    if (!strcmp(insn, "vmload"))
        faulted = try_vmload(phys);
    else if (!strcmp(insn, "vmsave"))
        faulted = try_vmsave(phys);
    else if (!strcmp(insn, "invlpga"))
        faulted = try_invlpga(phys);
    else if (!strcmp(insn, "stgi"))
        faulted = try_gif(true);
    else if (!strcmp(insn, "clgi"))
        faulted = try_gif(false);
    else
        return -EINVAL; /* skinit would end the OS where it runs natively: not tried */
    pr_info("svm_probe: %s at 0x%lx: %s\n", insn, phys, faulted ? "fault" : "ran");
    return faulted ? -EFAULT : 0;
}

static void __exit svm_probe_exit(void) {}

module_init(svm_probe_init);
module_exit(svm_probe_exit);
MODULE_DESCRIPTION("MicroV test: SVM instructions from the root OS's kernel");
MODULE_LICENSE("Dual MIT/GPL");
