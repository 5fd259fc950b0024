// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * MicroV's loader for Linux: the thin platform glue between vmmctl and the common loader code.
 * It creates /dev/microv and answers the ioctls of loader/common/include/microv/loader_ioctl.h.
 */
#include <asm/msr.h>
#include <asm/processor.h>
#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include <microv/cpu_caps.h>
#include <microv/loader_ioctl.h>

static void read_cpuid(u32 leaf, struct mv_cpuid_regs *regs)
{
    cpuid_count(leaf, 0, &regs->eax, &regs->ebx, &regs->ecx, &regs->edx);
}

/* Runs on the CPU being described, with preemption off. */
static void read_cpu(void *arg)
{
    struct mv_cpu_raw *raw = arg;
    u64 value;

    raw->cpu = smp_processor_id();
    read_cpuid(0x0, &raw->leaf_0);
    read_cpuid(0x1, &raw->leaf_1);
    read_cpuid(0x80000000, &raw->leaf_ext_0);
    if (raw->leaf_ext_0.eax >= 0x80000001 && raw->leaf_ext_0.eax <= 0x8FFFFFFF)
        read_cpuid(0x80000001, &raw->leaf_ext_1);
    if (raw->leaf_ext_0.eax >= 0x8000000A && raw->leaf_ext_0.eax <= 0x8FFFFFFF)
        read_cpuid(0x8000000A, &raw->leaf_ext_svm);

    /* VM_CR exists only with SVM; a #GP on a CPU without it is caught by rdmsrl_safe. */
    if (!rdmsrl_safe(MV_MSR_VM_CR, &value)) {
        raw->vm_cr = value;
        raw->flags |= MV_CPU_RAW_VM_CR_VALID;
    }
    if (!rdmsrl_safe(MV_MSR_EFER, &value)) {
        raw->efer = value;
        raw->flags |= MV_CPU_RAW_EFER_VALID;
    }
}

static long ioctl_cpu_info(struct mv_loader_cpu_info __user *user_req)
{
    struct mv_loader_cpu_info req;
    struct mv_cpu_raw *cpus;
    unsigned int cpu;
    u32 online, count = 0;
    long ret = 0;

    if (copy_from_user(&req, user_req, sizeof(req)))
        return -EFAULT;
    if (mv_loader_cpu_info_check(&req) != MV_REQ_OK)
        return -EINVAL;

    /* Hold the set of online CPUs still while it is counted and read. */
    cpus_read_lock();
    online = num_online_cpus();
    if (req.capacity < online) {
        cpus_read_unlock();
        req.online = online;
        return copy_to_user(user_req, &req, sizeof(req)) ? -EFAULT : -ENOSPC;
    }

    cpus = kvcalloc(online, sizeof(*cpus), GFP_KERNEL);
    if (!cpus) {
        cpus_read_unlock();
        return -ENOMEM;
    }
    for_each_online_cpu(cpu)
    {
        if (count == online)
            break;
        ret = smp_call_function_single(cpu, read_cpu, &cpus[count], 1);
        if (ret)
            break;
        ++count;
    }
    cpus_read_unlock();

    if (!ret && copy_to_user(u64_to_user_ptr(req.cpus), cpus, (size_t)count * sizeof(*cpus)))
        ret = -EFAULT;
    kvfree(cpus);
    if (ret)
        return ret;

    req.online = online;
    req.count = count;
    return copy_to_user(user_req, &req, sizeof(req)) ? -EFAULT : 0;
}

static long microv_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
    switch (cmd) {
    case MV_LOADER_CPU_INFO:
        return ioctl_cpu_info((struct mv_loader_cpu_info __user *)arg);
    default:
        return -ENOTTY;
    }
}

static const struct file_operations microv_fops = {
    .owner = THIS_MODULE,
    .unlocked_ioctl = microv_ioctl,
    .compat_ioctl = NULL, /* 64-bit callers only: the ABI carries 64-bit pointers */
    .llseek = noop_llseek,
};

static struct miscdevice microv_dev = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = MV_LOADER_DEVICE_NAME,
    .fops = &microv_fops,
    .mode = 0600,
};

static int __init microv_loader_init(void)
{
    int ret = misc_register(&microv_dev);

    if (ret) {
        pr_err("microv: cannot create /dev/%s: %d\n", MV_LOADER_DEVICE_NAME, ret);
        return ret;
    }
    pr_info("microv: loader ready at /dev/%s (abi %u)\n", MV_LOADER_DEVICE_NAME, MV_LOADER_ABI_VERSION);
    return 0;
}

static void __exit microv_loader_exit(void)
{
    misc_deregister(&microv_dev);
    pr_info("microv: loader removed\n");
}

module_init(microv_loader_init);
module_exit(microv_loader_exit);

MODULE_DESCRIPTION("MicroV loader");
MODULE_AUTHOR("The MicroV authors");
MODULE_LICENSE("Dual MIT/GPL");
