// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A test module: reads 8 bytes at a physical address through the kernel's direct map, as any
 * root-OS kernel code could, and says whether that worked. Loading succeeds when the read did,
 * and fails with EFAULT when it faulted:
 *   insmod pool_probe.ko phys=0x12345000
 */
#include <linux/io.h>
#include <linux/module.h>
#include <linux/uaccess.h>

static unsigned long phys;
module_param(phys, ulong, 0444);
MODULE_PARM_DESC(phys, "the physical address to read");

static int __init pool_probe_init(void)
{
    u64 value = 0;
    long ret = copy_from_kernel_nofault(&value, phys_to_virt(phys), sizeof(value));

    pr_info("pool_probe: read at 0x%lx: %s\n", phys, ret ? "fault" : "ok");
    return ret ? -EFAULT : 0;
}

static void __exit pool_probe_exit(void) {}

module_init(pool_probe_init);
module_exit(pool_probe_exit);
MODULE_DESCRIPTION("MicroV test: read physical memory from the root OS");
MODULE_LICENSE("Dual MIT/GPL");
