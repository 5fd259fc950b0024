// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A test module: reads (or, with write=1, writes value to) 8 bytes at a physical address through
 * the kernel's direct map, as any root-OS kernel code could, and says whether that worked.
 * Loading succeeds when the access did, and fails with EFAULT when it faulted:
 *   insmod pool_probe.ko phys=0x12345000 [write=1 value=0x1]
 */
#include <linux/io.h>
#include <linux/module.h>
#include <linux/uaccess.h>

static unsigned long phys;
module_param(phys, ulong, 0444);
MODULE_PARM_DESC(phys, "the physical address to read");
static bool write;
module_param(write, bool, 0444);
MODULE_PARM_DESC(write, "write value instead of reading");
static unsigned long value;
module_param(value, ulong, 0444);
MODULE_PARM_DESC(value, "the 8 bytes to write");

/* copy_to_kernel_nofault is not exported: its core, with the same exception-table fixup. */
static long write_nofault(void *dst, u64 data)
{
    pagefault_disable();
    __put_kernel_nofault(dst, &data, u64, fault);
    pagefault_enable();
    return 0;
fault:
    pagefault_enable();
    return -EFAULT;
}

static int __init pool_probe_init(void)
{
    u64 data = value;
    long ret = write ? write_nofault(phys_to_virt(phys), data)
                     : copy_from_kernel_nofault(&data, phys_to_virt(phys), sizeof(data));

    pr_info("pool_probe: %s at 0x%lx: %s\n", write ? "write" : "read", phys, ret ? "fault" : "ok");
    return ret ? -EFAULT : 0;
}

static void __exit pool_probe_exit(void) {}

module_init(pool_probe_init);
module_exit(pool_probe_exit);
MODULE_DESCRIPTION("MicroV test: read physical memory from the root OS");
MODULE_LICENSE("Dual MIT/GPL");
