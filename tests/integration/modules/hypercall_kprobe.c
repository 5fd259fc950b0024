// SPDX-License-Identifier: MIT
/*
 * A test module: makes mv_* hypercalls from kernel mode (CPL 0 of the root VM) for user-space test
 * programs, and owns one page of RAM they can use as a PP's shared page. /dev/mv_hypercall_kprobe
 * (one opener at a time; hypercall_kprobe.h):
 *   read/write, pread/pwrite   the page, 4096 bytes
 *   ioctl MV_KPROBE_HYPERCALL  one hypercall on the calling CPU, with interrupts off; with
 *                              MV_KPROBE_FLAG_PAGE_IN_REG1, REG1 is the page's physical address.
 *                              ENODEV when MicroV is not there (CPUID leaf 0x40000000): VMMCALL
 *                              without a hypervisor would be #UD in the kernel.
 * MicroV must never be left with the page once it is freed, nor with any other page a test named:
 * on every CPU where a set_shared_page_gpa through the ioctl succeeded (and no clr since), the
 * module clears the shared page when the device is closed and when the module goes.
 * Loaded by integration tests only, in the test bed:
 *   insmod /microv/test-modules/hypercall_kprobe.ko
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <asm/processor.h>

#include <microv/hypercall.h>

#include "hypercall_kprobe.h"

static struct page *kp_page;
/* Over everything below: one opener, one call at a time. */
static DEFINE_MUTEX(kp_lock);
static bool kp_busy;
/* The CPUs whose shared page a set through the ioctl made, and the handle that set it. */
static struct cpumask kp_shared;
static u64 kp_handle;
static atomic_t kp_clear_failures;

/* Whether MicroV runs on this CPU: its signature in CPUID leaf 0x40000000. */
static bool kp_microv_here(void)
{
    unsigned int eax, regs[3];
    char sig[sizeof(regs)];

    cpuid(0x40000000, &eax, &regs[0], &regs[1], &regs[2]);
    memcpy(sig, regs, sizeof(sig));
    return memcmp(sig, "MicroVMicroV", sizeof(sig)) == 0;
}

/* On each CPU of kp_shared (interrupts off): clear the shared page while MicroV is there. */
static void kp_clear_here(void *unused)
{
    struct mv_hypercall_regs r = {mv_rax(MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL), kp_handle, 0, 0, 0};

    if (kp_microv_here() && mv_hypercall(&r) != MV_STATUS_SUCCESS) {
        atomic_inc(&kp_clear_failures);
    }
}

/* Clears the shared page on every CPU where the ioctl set one (kp_lock held). */
static void kp_clear_all(void)
{
    if (cpumask_empty(&kp_shared)) {
        return;
    }
    atomic_set(&kp_clear_failures, 0);
    cpus_read_lock();
    if (!cpumask_subset(&kp_shared, cpu_online_mask)) {
        pr_info("hypercall_kprobe: CPUs with a shared page went offline: %*pbl\n", cpumask_pr_args(&kp_shared));
    }
    on_each_cpu_mask(&kp_shared, kp_clear_here, NULL, true);
    cpus_read_unlock();
    if (atomic_read(&kp_clear_failures) != 0) {
        pr_info("hypercall_kprobe: clr_shared_page_gpa failed on %d CPU(s)\n", atomic_read(&kp_clear_failures));
    }
    cpumask_clear(&kp_shared);
}

static int kp_open(struct inode *inode, struct file *file)
{
    int ret = 0;

    mutex_lock(&kp_lock);
    if (kp_busy) {
        ret = -EBUSY;
    } else {
        kp_busy = true;
        clear_highpage(kp_page);
    }
    mutex_unlock(&kp_lock);
    return ret;
}

static int kp_release(struct inode *inode, struct file *file)
{
    mutex_lock(&kp_lock);
    kp_clear_all();
    kp_busy = false;
    mutex_unlock(&kp_lock);
    return 0;
}

static ssize_t kp_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
    ssize_t ret;

    mutex_lock(&kp_lock);
    ret = simple_read_from_buffer(buf, count, pos, page_address(kp_page), MV_KPROBE_PAGE_BYTES);
    mutex_unlock(&kp_lock);
    return ret;
}

static ssize_t kp_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
    ssize_t ret;

    mutex_lock(&kp_lock);
    ret = simple_write_to_buffer(page_address(kp_page), MV_KPROBE_PAGE_BYTES, pos, buf, count);
    mutex_unlock(&kp_lock);
    return ret;
}

/* Remembers where a set or clr of the shared page succeeded (kp_lock held). */
static void kp_track(int cpu, u64 rax, u64 handle, u64 status)
{
    if (status != MV_STATUS_SUCCESS) {
        return;
    }
    if (rax == mv_rax(MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL)) {
        cpumask_set_cpu(cpu, &kp_shared);
        kp_handle = handle;
    } else if (rax == mv_rax(MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL)) {
        cpumask_clear_cpu(cpu, &kp_shared);
    }
}

static long kp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
    struct mv_kprobe_call c;
    struct mv_hypercall_regs r;
    unsigned long irqs;
    bool here;
    int cpu;

    if (cmd != MV_KPROBE_HYPERCALL) {
        return -ENOTTY;
    }
    if (copy_from_user(&c, (void __user *)arg, sizeof(c)) != 0) {
        return -EFAULT;
    }
    if ((c.flags & ~MV_KPROBE_FLAG_PAGE_IN_REG1) != 0 || c.pad != 0) {
        return -EINVAL;
    }
    r.rax = c.rax;
    r.reg0 = c.reg0;
    r.reg1 = (c.flags & MV_KPROBE_FLAG_PAGE_IN_REG1) != 0 ? page_to_phys(kp_page) : c.reg1;
    r.reg2 = c.reg2;
    r.reg3 = c.reg3;

    mutex_lock(&kp_lock);
    /* This CPU, with no interrupt between the check and the call: MicroV cannot stop in between. */
    cpu = get_cpu();
    local_irq_save(irqs);
    here = kp_microv_here();
    if (here) {
        mv_hypercall(&r);
    }
    local_irq_restore(irqs);
    put_cpu();
    if (here) {
        kp_track(cpu, c.rax, c.reg0, r.rax);
    }
    mutex_unlock(&kp_lock);
    if (!here) {
        return -ENODEV;
    }

    c.rax = r.rax;
    c.reg0 = r.reg0;
    c.reg1 = r.reg1;
    c.reg2 = r.reg2;
    c.reg3 = r.reg3;
    return copy_to_user((void __user *)arg, &c, sizeof(c)) != 0 ? -EFAULT : 0;
}

static const struct file_operations kp_fops = {
    .owner = THIS_MODULE,
    .open = kp_open,
    .release = kp_release,
    .read = kp_read,
    .write = kp_write,
    .llseek = default_llseek,
    .unlocked_ioctl = kp_ioctl,
};

static struct miscdevice kp_dev = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = "mv_hypercall_kprobe",
    .fops = &kp_fops,
    .mode = 0600,
};

static int __init kp_init(void)
{
    int ret;

    kp_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
    if (kp_page == NULL) {
        return -ENOMEM;
    }
    ret = misc_register(&kp_dev);
    if (ret != 0) {
        __free_page(kp_page);
        return ret;
    }
    pr_info("hypercall_kprobe: page at 0x%llx\n", (unsigned long long)page_to_phys(kp_page));
    return 0;
}

static void __exit kp_exit(void)
{
    misc_deregister(&kp_dev);
    mutex_lock(&kp_lock);
    kp_clear_all(); /* already done at the last close; never free a page MicroV may still hold */
    mutex_unlock(&kp_lock);
    __free_page(kp_page);
}

module_init(kp_init);
module_exit(kp_exit);
MODULE_DESCRIPTION("MicroV test: hypercalls from kernel mode and a shared page");
MODULE_LICENSE("Dual MIT/GPL");
