/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* What the loader asks of the CPU vendor's code, x64/$(MICROV_VENDOR)/ (Kbuild): the C side; the
 * world switch's side is the macros of that folder's switch_vendor.h. Only AMD SVM (x64/amd/) exists. */
#ifndef MICROV_LOADER_LINUX_VENDOR_H
#define MICROV_LOADER_LINUX_VENDOR_H

#include <linux/types.h>

#include <microv/mk_boot.h>

/** Captures the vendor's part of what the OS is on this CPU into st (interrupts off). SVM:
 *  VM_HSAVE_PA, which the microkernel puts back on every way out. */
void mv_vendor_capture_root_state(struct mv_root_state *st);

/** The hypercall instruction from the root VM's kernel: rax in, MicroV's answer in rax out.
 *  SVM: VMMCALL. */
u64 mv_vendor_hypercall(u64 rax);

#endif
