// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The loader's AMD SVM code in C (vendor.h); the world switch's SVM steps are in switch_vendor.h. */
#include <asm/msr.h>

#include "vendor.h"

void mv_vendor_capture_root_state(struct mv_root_state *st) { rdmsrl(MSR_VM_HSAVE_PA, st->vm_hsave_pa); }

u64 mv_vendor_hypercall(u64 rax)
{
    asm volatile("vmmcall" : "+a"(rax) : : "memory");
    return rax;
}
